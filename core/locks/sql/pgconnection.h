#pragma once

#include <QByteArray>
#include <QList>
#include <QObject>
#include <QPointer>
#include <QString>

#include <deque>
#include <functional>

class QSocketNotifier;
class QTimer;
struct pg_conn;

namespace fulcrum {

// One statement's answer: its rows as text (a null QByteArray is SQL NULL), or its error.
struct PgResult
{
    bool ok = false;
    QString error;                  // libpq's primary message, with its detail and hint
    QByteArray sqlState;            // "42501" = insufficient privilege, ...
    QList<QByteArray> columns;
    QList<QList<QByteArray>> rows;

    int column(const char *name) const { return int(columns.indexOf(QByteArray(name))); }
};

// One PostgreSQL connection driven by libpq's asynchronous calls (PQconnectStartParams,
// PQconnectPoll, PQsendQuery, PQconsumeInput) on QSocketNotifiers, so the thread it lives in
// (the engine's, the console's) never waits on the server. Statements run one at a time in
// the order given; each has a timeout after which the connection is dropped (a statement that
// hangs on a dead network must not hold the lock view forever). Host names are resolved by
// libpq inside PQconnectStartParams, synchronously: give an address (or hostaddr=) where a
// slow resolver matters.
class PgConnection : public QObject
{
    Q_OBJECT
public:
    // `url`: postgres://user@host:port/db?...; the password is passed beside it, never in it.
    PgConnection(const QString &url, const QByteArray &password, QObject *parent = nullptr);
    ~PgConnection() override;

    void open(int timeoutMs = 10'000);
    bool isOpen() const { return m_open; }
    void close(const QString &why);
    int serverVersion() const;      // 150004 for 15.4; 0 before connected
    int backendPid() const;         // this connection's own server process

    using Done = std::function<void(const QList<PgResult> &)>;
    // Runs `sql` (several statements when `params` is empty; one with $1.. otherwise). `done`
    // gets one PgResult per statement that ran (the last one failed when an error stopped
    // them), or a single failed PgResult when the connection broke or timed out. It runs on
    // this thread, never after `context` is destroyed.
    void query(const QByteArray &sql, const QList<QByteArray> &params, QObject *context, Done done, int timeoutMs = 10'000);

Q_SIGNALS:
    void connected();
    // Connecting failed, or an open connection broke (server gone, session terminated, timeout).
    void lost(const QString &why);

private:
    struct Pending
    {
        QByteArray sql;
        QList<QByteArray> params;
        QPointer<QObject> context;
        Done done;
        int timeoutMs = 0;
    };

    void pollConnect();
    void watchSocket();
    void onReadable();
    void onWritable();
    void sendNext();
    void collect();
    void finishCurrent();
    void failAll(const QString &why);
    QString connectionError() const;

    QString m_url;
    QByteArray m_password;
    pg_conn *m_conn = nullptr;
    int m_socket = -1;
    QSocketNotifier *m_readNotifier = nullptr;
    QSocketNotifier *m_writeNotifier = nullptr;
    QTimer *m_timer = nullptr;
    bool m_open = false;
    bool m_connecting = false;
    bool m_busy = false;
    std::deque<Pending> m_queue;
    QList<PgResult> m_results;
};

} // namespace fulcrum
