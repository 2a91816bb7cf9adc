#include "heldcommand.h"

#include "command.h"
#include "ctlredis.h"

#include "common/childprocess.h"
#include "common/unixsignals.h"

#include <QCommandLineParser>
#include <QEventLoop>
#include <QTimer>

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

bool runUntil(qint64 timeoutMs, const std::function<void(QObject *scope, std::function<void()> quit)> &start)
{
    QEventLoop loop;
    QObject scope;
    QTimer timer;
    timer.setSingleShot(true);
    bool timedOut = false;
    QObject::connect(&timer, &QTimer::timeout, &loop, [&] {
        timedOut = true;
        loop.quit();
    });
    bool quitEarly = false;
    start(&scope, [&] {
        quitEarly = true;
        loop.quit();
    });
    if (quitEarly)
        return true;
    if (timeoutMs >= 0)
        timer.start(int(qMin<qint64>(timeoutMs, std::numeric_limits<int>::max())));
    loop.exec();
    return !timedOut;
}


int lockRunError(const QString &message, int status)
{
    ctlErr(QStringLiteral("fulcrumctl lock run: %1\n").arg(message));
    return status;
}

int parseLockRunArguments(QCommandLineParser &parser, const QStringList &options, const QStringList &command, const QString &example)
{
    parser.addPositionalArgument(QStringLiteral("NAME"), QStringLiteral("Lock name."));
    parser.addPositionalArgument(QStringLiteral("--"), QStringLiteral("Then the command to run under the lock, and its arguments."), QStringLiteral("-- COMMAND [ARGS...]"));
    parser.addHelpOption();
    if (!parser.parse(QStringList{QStringLiteral("fulcrumctl lock run")} + options))
        return lockRunError(parser.errorText(), ExitUsage);
    if (parser.isSet(QStringLiteral("help"))) {
        ctlOut(ctlHelpText(parser, QStringLiteral("fulcrumctl lock run")));
        return ExitOk;
    }
    if (parser.positionalArguments().size() != 1)
        return lockRunError(QStringLiteral("give exactly one NAME"), ExitUsage);
    if (parser.positionalArguments().first().trimmed().isEmpty())   // `lock run "$LOCK" ...` with LOCK unset
        return lockRunError(QStringLiteral("NAME is empty (an unset shell variable?); give the lock's name, e.g. nightly-export"), ExitUsage);
    if (command.isEmpty())
        return lockRunError(QStringLiteral("give the command after --, e.g. %1").arg(example), ExitUsage);
    return -1;
}
