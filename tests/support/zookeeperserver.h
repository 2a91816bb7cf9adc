#pragma once

#include <QProcess>
#include <QString>
#include <QStringList>
#include <QTemporaryDir>

#include <memory>

namespace fulcrum::test {

// A real ZooKeeper for one test suite: Debian's jars run as a standalone ZooKeeperServerMain on
// a free loopback port, with its own temporary dataDir, the admin server off and a short tick
// so that sessions expire within seconds. Four-letter words "cons", "ruok" and "srvr" are
// allowed or none are. stop()/kill()/restart() keep the port and the data, as an operator's
// restart does; the destructor always stops it and the kernel ends it if the test dies.
class ZooKeeperServer
{
public:
    struct Options
    {
        bool fourLetterWords = true;
        int tickTimeMs = 500;
        int minSessionTimeoutMs = 2000;
        int maxSessionTimeoutMs = 10'000;
        bool fastStart = true;          // C1 only: starts faster, for tests (benchmarks want C2)
        QStringList extraConfig;        // extra zoo.cfg lines
    };

    ZooKeeperServer();
    explicit ZooKeeperServer(Options options);
    ~ZooKeeperServer();
    ZooKeeperServer(const ZooKeeperServer &) = delete;
    ZooKeeperServer &operator=(const ZooKeeperServer &) = delete;

    bool start(QString *error = nullptr);
    bool restart(QString *error = nullptr);     // same port, same data
    void stop();
    void kill();                                // SIGKILL, as a crash
    bool isRunning() const;

    quint16 port() const { return m_port; }
    QString hosts() const { return QStringLiteral("127.0.0.1:%1").arg(m_port); }
    qint64 pid() const;
    QString directory() const { return m_dir.path(); }
    QString log() const;

    // The classpath Debian's zookeeper package runs the server with (its jar's manifest names
    // the rest), usable by Curator clients too.
    static QString classPath();

private:
    bool launch(QString *error);
    bool listensOnPort() const;

    Options m_options;
    QTemporaryDir m_dir;
    quint16 m_port = 0;
    std::unique_ptr<QProcess> m_process;
};

} // namespace fulcrum::test
