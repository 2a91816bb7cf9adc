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
struct st_mysql;
struct st_mysql_res;

namespace fulcrum {

// One statement's answer: its rows as text (a null QByteArray is SQL NULL), or its error.
struct MysqlResult
{
    bool ok = false;
    QString error;
    unsigned errorCode = 0;         // 1095 = ER_KILL_DENIED_ERROR, 1227 = ER_SPECIFIC_ACCESS_DENIED, ...
    QList<QByteArray> columns;
    QList<QList<QByteArray>> rows;

    int column(const char *name) const { return int(columns.indexOf(QByteArray(name))); }
};

// One MySQL/MariaDB connection on libmariadb's non-blocking API (mysql_real_connect_start,
// mysql_real_query_start, mysql_store_result_start and their _cont calls) driven by
// QSocketNotifiers, so the thread it lives in never waits on the server; statements run one
// at a time, each with a timeout after which the connection is dropped.
class MysqlConnection : public QObject
{
    Q_OBJECT
public:
    // `url`: mysql://user@host:port/db[?ssl-mode=…&ssl-ca=…&ssl-cert=…&ssl-key=…]; the password
    // is passed beside it.
    MysqlConnection(const QString &url, const QByteArray &password, QObject *parent = nullptr);
    ~MysqlConnection() override;

    void open(int timeoutMs = 10'000);
    bool isOpen() const { return m_open; }
    // The TLS cipher of the open connection; empty without TLS.
    QString tlsCipher() const;
    void close(const QString &why);
    // `text` as a quoted SQL string literal for this connection.
    QByteArray quote(const QByteArray &text) const;

    using Done = std::function<void(const MysqlResult &)>;
    void query(const QByteArray &sql, QObject *context, Done done, int timeoutMs = 10'000);

Q_SIGNALS:
    void connected();
    void lost(const QString &why);

private:
    enum class Phase { Idle, Connecting, Querying, Storing };
    struct Pending
    {
        QByteArray sql;
        QPointer<QObject> context;
        Done done;
        int timeoutMs = 0;
    };

    void wait(int status);
    void onEvent(int events);
    void step(int status);
    void sendNext();
    void finishCurrent(const MysqlResult &result);
    MysqlResult errorResult() const;
    void failAll(const QString &why);

    QString m_url;
    QByteArray m_password;
    // What mysql_real_connect_start was given: the library goes on reading these after open()
    // has returned (it copies host and user only once the server's greeting is in), so they
    // live as long as the connection.
    QByteArray m_host;
    QByteArray m_user;
    QByteArray m_database;
    st_mysql *m_mysql = nullptr;
    st_mysql *m_connectResult = nullptr;
    st_mysql_res *m_result = nullptr;
    int m_queryError = 0;
    Phase m_phase = Phase::Idle;
    QSocketNotifier *m_readNotifier = nullptr;
    QSocketNotifier *m_writeNotifier = nullptr;
    QTimer *m_libTimer = nullptr;       // libmariadb's own timeouts (MYSQL_WAIT_TIMEOUT)
    QTimer *m_timer = nullptr;          // ours: per statement and for connecting
    bool m_open = false;
    std::deque<Pending> m_queue;
};

} // namespace fulcrum
