#include "programs.h"

#include "common/childprocess.h"
#include "freeport.h"

#include <QDeadlineTimer>

#include <csignal>

namespace fulcrum::test {

ProgramRun runProgram(const QString &program, const QStringList &arguments, const QProcessEnvironment &environment,
                      const QByteArray &input, int timeoutMs)
{
    QProcess process;
    process.setProcessEnvironment(environment);
    tieToParent(process);
    process.start(program, arguments);
    if (!input.isEmpty())
        process.write(input);
    process.closeWriteChannel();
    ProgramRun run;
    if (!process.waitForFinished(timeoutMs)) {
        process.kill();
        process.waitForFinished();
    } else if (process.exitStatus() == QProcess::NormalExit) {
        run.exitCode = process.exitCode();
    }
    run.out = QString::fromUtf8(process.readAllStandardOutput());
    run.err = QString::fromUtf8(process.readAllStandardError());
    return run;
}

QProcessEnvironment componentEnvironment()
{
    return environmentWithoutFaketime();
}

bool startFulcrumd(QProcess &process, const QString &configPath, QString *log)
{
    tieToParent(process);
    process.start(binaryPath(QStringLiteral("fulcrumd")), {QStringLiteral("--config"), configPath});
    QDeadlineTimer deadline(15'000);
    while (!log->contains(u"admin API on http")) {
        if (deadline.hasExpired() || process.state() == QProcess::NotRunning)
            return false;
        process.waitForReadyRead(50);
        *log += QString::fromUtf8(process.readAllStandardError());
    }
    return true;
}

void stopProcess(QProcess &process)
{
    if (process.state() == QProcess::NotRunning)
        return;
    ::kill(pid_t(process.processId()), SIGTERM);
    if (!process.waitForFinished(10'000)) {
        process.kill();
        process.waitForFinished(5000);
    }
}

bool waitForStderr(QProcess &process, const QString &text, QString *log, int timeoutMs)
{
    QDeadlineTimer deadline(timeoutMs);
    while (!log->contains(text)) {
        if (deadline.hasExpired() || process.state() == QProcess::NotRunning)
            return false;
        process.waitForReadyRead(50);
        *log += QString::fromUtf8(process.readAllStandardError());
    }
    return true;
}

ScriptServer::ScriptServer(const QString &script, const QStringList &arguments)
    : m_port(freeLoopbackPort())
{
    m_process.setProcessChannelMode(QProcess::MergedChannels);
    m_process.setProcessEnvironment(componentEnvironment());
    tieToParent(m_process, SIGKILL);
    m_process.start(QStringLiteral("/usr/bin/python3"), QStringList{script, QString::number(m_port)} + arguments);
}

ScriptServer::~ScriptServer()
{
    m_process.kill();
    m_process.waitForFinished(5000);
}

bool ScriptServer::ready(const QString &packages)
{
    QDeadlineTimer deadline(15'000);
    while (!m_output.contains("ready") && m_process.state() != QProcess::NotRunning && !deadline.hasExpired()) {
        m_process.waitForReadyRead(50);
        m_output += m_process.readAll();
    }
    if (!m_output.contains("ready"))
        qWarning("%s did not start (packages %s): %s", qPrintable(m_process.arguments().value(0)), qPrintable(packages), m_output.constData());
    return m_output.contains("ready");
}

} // namespace fulcrum::test
