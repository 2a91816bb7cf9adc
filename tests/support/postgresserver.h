#pragma once

#include <QProcess>
#include <QProcessEnvironment>
#include <QString>
#include <QStringList>
#include <QTemporaryDir>

#include <memory>
#include <optional>

namespace fulcrum::test {

// A real PostgreSQL (Debian's postgresql) for one test suite: initdb into a temporary
// directory and postgres on a free loopback port, with its Unix socket in that directory.
// PostgreSQL refuses to run as root, so when the tests run as root both run as `nobody`
// (setpriv), in a directory under /tmp that nobody may enter (the run's TMPDIR is private to
// root). Trust authentication on loopback; superuser "postgres". The destructor stops it, and
// the kernel ends it if the test dies (setpriv --pdeathsig).
class PostgresServer
{
public:
    struct Options
    {
        QStringList settings;       // more "-c name=value" for postgres
    };

    PostgresServer();
    explicit PostgresServer(Options options);
    ~PostgresServer();
    PostgresServer(const PostgresServer &) = delete;
    PostgresServer &operator=(const PostgresServer &) = delete;

    bool start(QString *error = nullptr);
    quint16 port() const { return m_port; }
    QString socketDirectory() const { return m_dir.path(); }
    // postgres://USER@127.0.0.1:PORT/DB
    QString url(const QString &user = QStringLiteral("postgres"), const QString &database = QStringLiteral("postgres")) const;
    QString log() const;

    // psql's arguments for USER on DB over TCP (so sessions have a client address).
    QStringList psqlArguments(const QString &user = QStringLiteral("postgres"), const QString &database = QStringLiteral("postgres")) const;
    static QString psqlPath();
    // Runs SQL as the superuser to its end; false with psql's output in `error`.
    bool sql(const QString &sql, QString *output = nullptr, const QString &database = QStringLiteral("postgres")) const;

private:
    bool launch(QString *error);

    Options m_options;
    QTemporaryDir m_dir;
    QString m_bin;
    quint16 m_port = 0;
    std::unique_ptr<QProcess> m_process;
};

// One long-lived `psql` session fed statements on its stdin, as an application's connection:
// it holds its locks until it is told to quit or is killed.
class PsqlSession
{
public:
    PsqlSession(const PostgresServer &server, const QString &user = QStringLiteral("postgres"),
                const QString &application = QStringLiteral("psql-test"), const QString &database = QStringLiteral("postgres"));
    ~PsqlSession();

    bool start(QString *error = nullptr);
    // Sends SQL (ending in ';') and an \echo of a marker after it; does not wait.
    QString send(const QString &sql);
    // Waits (QTRY-style, 15 s at most) until the marker `send` returned was printed.
    bool waitFor(const QString &marker, int timeoutMs = 15'000);
    // send + waitFor; the statement's output (psql -At) before the marker.
    std::optional<QString> run(const QString &sql, int timeoutMs = 15'000);
    qint64 pid() const { return m_pid; }            // the session's server process (pg_backend_pid)
    QString output() const { return m_out; }
    bool isRunning() const { return m_process.state() == QProcess::Running; }
    // True when psql has seen its connection end (pg_terminate_backend) or exited.
    bool connectionLost(int timeoutMs = 15'000);
    void quit();

private:
    void read();

    const PostgresServer &m_server;
    QString m_user;
    QString m_application;
    QString m_database;
    QProcess m_process;
    QString m_out;
    qint64 m_pid = 0;
    int m_markers = 0;
};

} // namespace fulcrum::test
