#pragma once

#include <QProcess>
#include <QProcessEnvironment>
#include <QString>
#include <QStringList>

#include <functional>

class QCommandLineParser;

// COMMAND of `lock run`, whatever the backend holds the lock: run with fulcrumctl's stdio,
// SIGTERM/SIGINT/SIGHUP passed on, sent SIGTERM when the lock is lost and by the kernel when
// fulcrumctl dies (the job is no longer protected either way).
class HeldCommand
{
public:
    HeldCommand(QStringList command, const QProcessEnvironment &environment);

    // Runs COMMAND to its end; lockLost() (from a signal while it runs) stops it.
    void exec();
    void lockLost(const QString &why);

    bool lockWasLost() const { return m_lost; }
    bool started() const { return m_process.error() != QProcess::FailedToStart; }
    QString startError() const;     // names COMMAND and why it did not start
    // fulcrumctl's status: 127 when COMMAND could not start, 76 when the lock was lost, else
    // COMMAND's exit code (128+SIGTERM for a crash).
    int exitStatus() const;

private:
    QStringList m_command;
    QProcess m_process;
    bool m_lost = false;
};

// Runs an event loop until `quit` is called or timeoutMs have passed (negative: no limit);
// false on the timeout. `start` connects with `scope` as the context, so that nothing it
// connected outlives the loop. The waits of every `lock run` backend.
bool runUntil(qint64 timeoutMs, const std::function<void(QObject *scope, std::function<void()> quit)> &start);
// "fulcrumctl lock run: MESSAGE" on stderr; returns status.
int lockRunError(const QString &message, int status);
// The common part of every `lock run` form: adds NAME and --help, parses the options before
// "--", and checks there is one NAME and a COMMAND (`example` shows a whole command line).
// -1 to go on, else the exit status (help printed, or a usage error said).
int parseLockRunArguments(QCommandLineParser &parser, const QStringList &options, const QStringList &command, const QString &example);
