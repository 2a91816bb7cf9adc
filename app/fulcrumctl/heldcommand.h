#pragma once

#include <QProcess>
#include <QProcessEnvironment>
#include <QString>
#include <QStringList>

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
