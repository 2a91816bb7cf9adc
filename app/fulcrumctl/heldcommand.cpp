#include "heldcommand.h"

#include "command.h"
#include "ctlredis.h"

#include "common/childprocess.h"
#include "common/unixsignals.h"

#include <QEventLoop>

#include <csignal>
#include <unistd.h>

using namespace fulcrum;

HeldCommand::HeldCommand(QStringList command, const QProcessEnvironment &environment)
    : m_command(std::move(command))
{
    m_process.setProcessChannelMode(QProcess::ForwardedChannels);
    m_process.setInputChannelMode(QProcess::ForwardedInputChannel);
    m_process.setProcessEnvironment(environment);
}

void HeldCommand::exec()
{
    QEventLoop loop;
    QObject::connect(&m_process, &QProcess::finished, &loop, &QEventLoop::quit);
    QObject::connect(&m_process, &QProcess::errorOccurred, &loop, [&loop](QProcess::ProcessError e) {
        if (e == QProcess::FailedToStart)
            loop.quit();
    });
    UnixSignals &signals = ctlTakeOverSignals();
    QObject::connect(&signals, &UnixSignals::terminateRequested, &loop, [this](int signal) {
        if (m_process.processId() > 0)
            ::kill(pid_t(m_process.processId()), signal);
    });
    QObject::connect(&signals, &UnixSignals::reloadRequested, &loop, [this] {
        if (m_process.processId() > 0)
            ::kill(pid_t(m_process.processId()), SIGHUP);
    });
    tieToParent(m_process, SIGTERM);
    m_process.start(m_command.first(), m_command.mid(1));
    loop.exec();
    if (started() && m_process.state() != QProcess::NotRunning)
        m_process.waitForFinished(-1);
}

void HeldCommand::lockLost(const QString &why)
{
    if (m_lost)
        return;
    m_lost = true;
    ctlErr(QStringLiteral("fulcrumctl lock run: %1; stopping the command\n").arg(why));
    m_process.terminate();
}

QString HeldCommand::startError() const
{
    return QStringLiteral("cannot start \"%1\": %2").arg(m_command.first(), m_process.errorString());
}

int HeldCommand::exitStatus() const
{
    if (!started())
        return 127;
    if (m_lost)
        return ExitRunLockLost;
    if (m_process.exitStatus() == QProcess::CrashExit)
        return 128 + SIGTERM;
    return m_process.exitCode();
}
