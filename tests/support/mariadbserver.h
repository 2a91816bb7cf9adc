#pragma once

#include <QProcess>
#include <QString>
#include <QStringList>
#include <QTemporaryDir>

#include <memory>
#include <optional>

namespace fulcrum::test {

// A real MariaDB (Debian's mariadb-server) for one test suite: mariadb-install-db into a
// temporary directory, mariadbd on a free loopback port with the metadata_lock_info plugin (or
// performance_schema, or neither, to see what Fulcrum says), its socket in that directory. Root connects over the
// socket; tests create their own users. The destructor stops it; the kernel ends it if the test dies.
class MariaDbServer
{
public:
    // Where the server shows named locks (GET_LOCK): the metadata_lock_info plugin, or
    // performance_schema with its metadata-lock instrument on (as MySQL 8 does by default), or neither.
    enum class NamedLocks { MetadataLockInfo, PerformanceSchema, None };
    explicit MariaDbServer(NamedLocks namedLocks = NamedLocks::MetadataLockInfo);
    ~MariaDbServer();
    MariaDbServer(const MariaDbServer &) = delete;
    MariaDbServer &operator=(const MariaDbServer &) = delete;

    // More mariadbd arguments (TLS files, require_secure_transport), before start().
    void setExtraArguments(const QStringList &arguments) { m_extraArguments = arguments; }
    bool start(QString *error = nullptr);
    quint16 port() const { return m_port; }
    QString url(const QString &user, const QString &database = {}) const;   // mysql://USER@127.0.0.1:PORT/DB
    QString log() const;
    // Runs SQL as root over the socket; false with the client's output in `error`.
    bool sql(const QString &sql, QString *output = nullptr) const;
    // `mariadb` arguments for USER over TCP (so connections have a host).
    QStringList clientArguments(const QString &user) const;

private:
    bool launch(QString *error);

    NamedLocks m_namedLocks;
    QStringList m_extraArguments;
    QTemporaryDir m_dir;
    quint16 m_port = 0;
    std::unique_ptr<QProcess> m_process;
};

// One long-lived `mariadb` client fed statements on its stdin, as an application's connection.
class MariaDbSession
{
public:
    MariaDbSession(const MariaDbServer &server, const QString &user);
    ~MariaDbSession();

    bool start(QString *error = nullptr);
    QString send(const QString &sql);               // returns a marker printed after it
    bool waitFor(const QString &marker, int timeoutMs = 15'000);
    std::optional<QString> run(const QString &sql, int timeoutMs = 15'000);
    qint64 connectionId() const { return m_id; }
    bool isRunning() const { return m_process.state() == QProcess::Running; }
    // True when the client has seen its connection end (KILL) or exited.
    bool connectionLost(int timeoutMs = 15'000);
    void quit();

private:
    void read();

    const MariaDbServer &m_server;
    QString m_user;
    QProcess m_process;
    QString m_out;
    qint64 m_id = 0;
    int m_markers = 0;
};

} // namespace fulcrum::test
