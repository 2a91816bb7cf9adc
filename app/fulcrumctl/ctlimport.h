#pragma once

#include "config/configimport.h"

#include <QStringList>

#include <functional>

// One import command (import-nginx, import-apache): FILE [-o OUT]. Reads FILE, imports it,
// checks the result with the config parser fulcrumd uses, prints the notes on stderr and
// writes the JSON to OUT or stdout.
struct CtlImportCommand
{
    QString name;           // "import-nginx"
    QString description;    // the first line of --help
    QString fileKind;       // "nginx config": what FILE must be, in the usage error
    QString fileHelp;       // what FILE is, in --help
    std::function<fulcrum::ConfigImport(const QByteArray &text, const QString &fileName)> import;
};

int runCtlImport(const CtlImportCommand &command, const QStringList &arguments);
