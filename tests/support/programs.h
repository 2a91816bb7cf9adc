#pragma once

#include <QByteArray>
#include <QProcess>
#include <QProcessEnvironment>
#include <QString>
#include <QStringList>

namespace fulcrum::test {

// One run of a program to its end, as an operator or a script runs it.
struct ProgramRun
{
    int exitCode = -1;            // -1: it crashed, or was killed after the timeout
    QString out;
    QString err;
};

// Runs program (a path: binaryPath("fulcrumctl")) with input on its stdin, then closes it.
ProgramRun runProgram(const QString &program, const QStringList &arguments,
                      const QProcessEnvironment &environment = QProcessEnvironment::systemEnvironment(),
                      const QByteArray &input = {}, int timeoutMs = 60'000);

// Starts `fulcrumd --config configPath` with its log on a pipe and waits (15 s at most) until
// the admin API listens; false with what it logged in *log when it exited or never got there.
bool startFulcrumd(QProcess &process, const QString &configPath, QString *log);

// The environment for third-party servers a test starts (redis-server, haproxy): this
// process's, less libfaketime. Under `faketime` only Fulcrum's own programs see the shifted
// date; redis-server's allocator (jemalloc) deadlocks inside libfaketime's clock_gettime.
QProcessEnvironment componentEnvironment();

// A graceful stop: SIGTERM, then SIGKILL if it has not exited after 10 s.
void stopProcess(QProcess &process);

// Waits until the process has written `text` to stderr; keeps everything read in *log.
bool waitForStderr(QProcess &process, const QString &text, QString *log, int timeoutMs = 10'000);

// A server written in Python for a test (tests/support/…), on a free loopback port it is given
// as its first argument, run by Debian's /usr/bin/python3 (where the Debian modules it imports
// live, whatever python3 the PATH finds first). It prints "ready" once it listens; it is
// killed with the test.
class ScriptServer
{
public:
    ScriptServer(const QString &script, const QStringList &arguments);
    ~ScriptServer();
    ScriptServer(const ScriptServer &) = delete;
    ScriptServer &operator=(const ScriptServer &) = delete;
    // Whether it said "ready" (15 s at most); if not, a warning names `packages`.
    bool ready(const QString &packages);
    quint16 port() const { return m_port; }

private:
    quint16 m_port;
    QProcess m_process;
    QByteArray m_output;
};

} // namespace fulcrum::test
