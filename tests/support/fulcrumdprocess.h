#pragma once

#include <QByteArray>
#include <QJsonArray>
#include <QJsonObject>
#include <QList>
#include <QProcess>
#include <QString>
#include <QTemporaryDir>
#include <QUrl>

#include <utility>

namespace fulcrum::test {

// A real fulcrumd for one test: its own temporary config and state dir, the admin API on a
// free loopback port (the same one across restarts), one pool in front of the given servers,
// and optionally one Redis lock endpoint "cache". The destructor always stops it.
class FulcrumdProcess
{
public:
    struct Options
    {
        QString pool = QStringLiteral("web");
        QList<std::pair<QString, quint16>> servers;   // name, loopback port
        quint16 redisPort = 0;                         // 0: no lock endpoint
        QJsonObject adminTls;                          // "admin": {"tls": ...}; empty: plain http
        QJsonArray routes;                             // the listener's "routes"; empty: none
        QJsonArray morePools;                          // pools beside `pool`, as written in "pools"
    };

    explicit FulcrumdProcess(Options options);
    ~FulcrumdProcess();
    FulcrumdProcess(const FulcrumdProcess &) = delete;
    FulcrumdProcess &operator=(const FulcrumdProcess &) = delete;

    // Starts it and waits for the admin API; false with its log in *log on failure (also when
    // it exited: *log says why).
    bool start(QString *log);
    void stop();      // SIGTERM, then SIGKILL after 10 s
    void reload();    // SIGHUP: its config file read again
    bool isRunning() const { return m_process.state() != QProcess::NotRunning; }

    quint16 adminPort() const { return m_adminPort; }
    quint16 proxyPort() const { return m_proxyPort; }
    QUrl adminUrl() const;          // https:// with adminTls
    void setAdminTls(const QJsonObject &tls) { m_options.adminTls = tls; }
    QByteArray token() const { return m_token; }
    QByteArray readOnlyToken() const { return m_readOnlyToken; }
    QString tokenFile() const;
    QString logFile() const;        // what it wrote to stderr: its events
    QString configFile() const;     // the config it runs, written by start()

    // One blocking request to the admin API with the admin token (plain http only); the JSON
    // answer (empty on failure).
    QJsonObject request(const QByteArray &method, const QByteArray &path, const QByteArray &body = {}, int *status = nullptr) const;
    // GET /api/v1/pools/POOL/servers/NAME: the engine's own view of one server.
    QJsonObject server(const QString &name) const;

private:
    Options m_options;
    QTemporaryDir m_dir;
    quint16 m_adminPort = 0;
    quint16 m_proxyPort = 0;
    QProcess m_process;
    QByteArray m_token;
    QByteArray m_readOnlyToken;
};

} // namespace fulcrum::test
