#pragma once

#include "demobackends.h"

#include <QByteArray>
#include <QMap>
#include <QProcess>
#include <QString>
#include <QTemporaryDir>

#include <memory>
#include <vector>

namespace fulcrum::test {

// A real haproxy (Debian's /usr/sbin/haproxy) for one test, in the foreground (-db): a
// frontend on a free loopback port in front of backend "checkout" with one in-process demo
// backend per weight (servers app1, app2, ...; HTTP health checks on /health every 200 ms,
// rise 1, fall 2), and three stats sockets: admin.sock (level admin), user.sock (level user)
// and a TCP one at level admin on a free loopback port. The destructor always stops it, and
// it dies with the test process. command() and serverField() use their own socket code, not
// the client under test.
class HaproxyServer
{
public:
    struct Options
    {
        QList<int> weights{100, 100, 50};
        bool checks = true;
    };

    HaproxyServer();
    explicit HaproxyServer(Options options);
    ~HaproxyServer();
    HaproxyServer(const HaproxyServer &) = delete;
    HaproxyServer &operator=(const HaproxyServer &) = delete;

    bool start(QString *error);
    void stop();
    bool isRunning() const;
    // SIGSTOP / SIGCONT: a hung haproxy (its sockets still accept, nothing answers).
    void suspend();
    void resume();

    QString adminSocket() const;
    QString userSocket() const;
    QString adminTcpAddress() const { return QStringLiteral("127.0.0.1:%1").arg(m_adminPort); }
    quint16 frontendPort() const { return m_frontendPort; }
    QString backendName() const { return QStringLiteral("checkout"); }
    QStringList serverNames() const;
    InProcessDemoBackend &backend(int index) { return *m_backends.at(size_t(index)); }
    QString directory() const { return m_dir.path(); }
    QString output() const;   // what haproxy printed, for failure messages

    // One Runtime API command over admin.sock; the answer as HAProxy sent it.
    QByteArray command(const QByteArray &command) const;
    // One field of one server's `show stat` row ("status", "weight", "uweight", "stot"),
    // read by header name; empty when not found.
    QString serverField(const QString &server, const QString &field) const;

private:
    bool launch(QString *error);

    Options m_options;
    QTemporaryDir m_dir;
    quint16 m_frontendPort = 0;
    quint16 m_adminPort = 0;
    std::vector<std::unique_ptr<InProcessDemoBackend>> m_backends;
    std::unique_ptr<QProcess> m_process;
};

} // namespace fulcrum::test
