#pragma once

#include <QStringList>

#include <cstdio>
#include <functional>

// A fulcrumctl subcommand: gets its own arguments (without "fulcrumctl NAME"),
// returns the process exit status. Exit 2 = usage error, as for every tool here.
struct CtlCommand
{
    QString name;
    QString summary;
    std::function<int(const QStringList &arguments)> run;
};

class CtlCommands
{
public:
    static QList<CtlCommand> &all();
    static bool add(CtlCommand command);
};

// Output helpers: UTF-8 to stdout/stderr, never through qDebug (which may be silenced).
void ctlOut(const QString &text);
void ctlErr(const QString &text);

#define FULCRUM_CTL_COMMAND(id, name, summary, function) \
    static const bool fulcrumCtlRegistered_##id = CtlCommands::add(CtlCommand{QStringLiteral(name), QStringLiteral(summary), function})
