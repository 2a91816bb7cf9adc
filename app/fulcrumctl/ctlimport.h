#pragma once

#include "config/config.h"

#include <QStringList>

#include <functional>

// What an import of another balancer's config gives fulcrumctl: the config, what did not
// carry over exactly (notes) and what makes the import fail (errors).
struct CtlImported
{
    fulcrum::Config config;
    QStringList notes;
    QStringList errors;
};

// One import command (import-nginx, import-apache): FILE [-o OUT]. Reads FILE, imports it,
// checks the result with the config parser fulcrumd uses, prints the notes on stderr and
// writes the JSON to OUT or stdout.
struct CtlImportCommand
{
    QString name;           // "import-nginx"
    QString description;    // the first line of --help
    QString fileKind;       // "nginx config": what FILE must be, in the usage error
    QString fileHelp;       // what FILE is, in --help
    std::function<CtlImported(const QByteArray &text, const QString &fileName)> import;
};

int runCtlImport(const CtlImportCommand &command, const QStringList &arguments);
