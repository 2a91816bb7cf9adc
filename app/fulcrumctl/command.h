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

namespace fulcrum {
class UnixSignals;
}

// SIGTERM, SIGINT and SIGHUP end a command the way Quit would: every event loop returns, the
// command cleans up (children stopped, files closed) and fulcrumctl exits 128+signal. A
// command that serves until stopped, or passes signals on, takes them over with this: the
// default handling stops, and it connects to the object returned.
fulcrum::UnixSignals &ctlTakeOverSignals();

// Output helpers: UTF-8 to stdout/stderr, never through qDebug (which may be silenced).
void ctlOut(const QString &text);
void ctlErr(const QString &text);

// A command's arguments with `list` in front when they start with an option ("backends --engine
// URL", "locks --redis URL"): with no subcommand named, the one that changes nothing is meant.
QStringList ctlListUnlessNamed(const QStringList &arguments);

// A subcommand's --help: Qt's text with "Usage: fulcrumctl locks list [options] ..." where Qt
// writes argv[0] alone, and without Qt's --help-all (no Qt option applies to fulcrumctl).
class QCommandLineParser;
QString ctlHelpText(const QCommandLineParser &parser, const QString &program);

#define FULCRUM_CTL_COMMAND(id, name, summary, function) \
    static const bool fulcrumCtlRegistered_##id = CtlCommands::add(CtlCommand{QStringLiteral(name), QStringLiteral(summary), function})
