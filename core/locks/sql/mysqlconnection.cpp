#include "mysqlconnection.h"

#include <QSocketNotifier>
#include <QTimer>
#include <QUrl>
#include <QUrlQuery>

#include <mysql.h>
#include <sys/socket.h>

namespace fulcrum {

MysqlConnection::MysqlConnection(const QString &url, const QByteArray &password, QObject *parent)
    : QObject(parent)
    , m_url(url)
    , m_password(password)
    , m_libTimer(new QTimer(this))
    , m_timer(new QTimer(this))
{
    m_libTimer->setSingleShot(true);
    m_timer->setSingleShot(true);
    connect(m_libTimer, &QTimer::timeout, this, [this] { onEvent(MYSQL_WAIT_TIMEOUT); });
    connect(m_timer, &QTimer::timeout, this, [this] {
        close(m_phase == Phase::Connecting ? QStringLiteral("%1: not connected within the timeout").arg(m_url)
                                           : QStringLiteral("%1: a statement took longer than its timeout; the connection was dropped").arg(m_url));
    });
}

MysqlConnection::~MysqlConnection()
{
    failAll(QStringLiteral("%1: the connection was closed").arg(m_url));
    if (m_result)
        mysql_free_result(m_result);
    if (m_mysql) {
        ::shutdown(int(mysql_get_socket(m_mysql)), SHUT_RDWR);
        mysql_close(m_mysql);
    }
}

QString MysqlConnection::tlsCipher() const
{
    const char *cipher = m_mysql && m_open ? mysql_get_ssl_cipher(m_mysql) : nullptr;
    return cipher ? QString::fromLatin1(cipher) : QString();
}

QByteArray MysqlConnection::quote(const QByteArray &text) const
{
    QByteArray out(text.size() * 2 + 1, Qt::Uninitialized);
    const unsigned long n = m_mysql ? mysql_real_escape_string(m_mysql, out.data(), text.constData(), (unsigned long)text.size()) : 0;
    return '\'' + out.left(qsizetype(n)) + '\'';
}

void MysqlConnection::open(int timeoutMs)
{
    if (m_mysql)
        return;
    m_mysql = mysql_init(nullptr);
    mysql_options(m_mysql, MYSQL_OPT_NONBLOCK, nullptr);
    const unsigned timeoutS = unsigned(qMax(1, timeoutMs / 1000));
    mysql_options(m_mysql, MYSQL_OPT_CONNECT_TIMEOUT, &timeoutS);
    const QUrl u(m_url);
    // TLS (checked by MysqlEndpointConfig::checkUrl): on when the server offers it unless
    // ssl-mode=DISABLED; required, and the certificate verified, as ssl-mode says.
    const QUrlQuery query(u);
    const QString mode = query.queryItemValue(QStringLiteral("ssl-mode"), QUrl::FullyDecoded).toUpper();
    const QByteArray ca = query.queryItemValue(QStringLiteral("ssl-ca"), QUrl::FullyDecoded).toUtf8();
    const QByteArray cert = query.queryItemValue(QStringLiteral("ssl-cert"), QUrl::FullyDecoded).toUtf8();
    const QByteArray key = query.queryItemValue(QStringLiteral("ssl-key"), QUrl::FullyDecoded).toUtf8();
    if (mode != u"DISABLED") {
        mysql_ssl_set(m_mysql, key.isEmpty() ? nullptr : key.constData(), cert.isEmpty() ? nullptr : cert.constData(),
                      ca.isEmpty() ? nullptr : ca.constData(), nullptr, nullptr);
        const my_bool verify = mode.startsWith(u"VERIFY");
        mysql_optionsv(m_mysql, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &verify);
        if (mode == u"REQUIRED" || verify) {
            const my_bool enforce = 1;
            mysql_optionsv(m_mysql, MYSQL_OPT_SSL_ENFORCE, &enforce);
        }
        // Connector/C 3.3 asks for TLS only when a file is named or TLS is enforced (and
        // MYSQL_OPT_SSL_ENFORCE off turns it off): PREFERRED asks too, and the library drops
        // the request when the server does not offer TLS.
        m_mysql->options.use_ssl = 1;
    }
    m_host = u.host().toUtf8();
    m_user = u.userName().toUtf8();
    m_database = u.path().mid(1).toUtf8();
    m_phase = Phase::Connecting;
    m_timer->start(timeoutMs);
    const int status = mysql_real_connect_start(&m_connectResult, m_mysql, m_host.constData(), m_user.constData(),
                                                m_password.isEmpty() ? nullptr : m_password.constData(),
                                                m_database.isEmpty() ? nullptr : m_database.constData(), unsigned(u.port(3306)), nullptr, 0);
    step(status);
}

void MysqlConnection::wait(int status)
{
    const int socket = int(mysql_get_socket(m_mysql));
    if (!m_readNotifier || m_readNotifier->socket() != socket) {
        // Possibly from inside one of their own signals: deleted once it has returned.
        if (m_readNotifier) {
            m_readNotifier->setEnabled(false);
            m_readNotifier->deleteLater();
            m_writeNotifier->setEnabled(false);
            m_writeNotifier->deleteLater();
        }
        m_readNotifier = new QSocketNotifier(qintptr(socket), QSocketNotifier::Read, this);
        m_writeNotifier = new QSocketNotifier(qintptr(socket), QSocketNotifier::Write, this);
        connect(m_readNotifier, &QSocketNotifier::activated, this, [this] { onEvent(MYSQL_WAIT_READ); });
        connect(m_writeNotifier, &QSocketNotifier::activated, this, [this] { onEvent(MYSQL_WAIT_WRITE); });
    }
    m_readNotifier->setEnabled(status & MYSQL_WAIT_READ);
    m_writeNotifier->setEnabled(status & MYSQL_WAIT_WRITE);
    if (status & MYSQL_WAIT_TIMEOUT)
        m_libTimer->start(int(mysql_get_timeout_value_ms(m_mysql)));
    else
        m_libTimer->stop();
}

void MysqlConnection::onEvent(int events)
{
    if (!m_mysql)
        return;
    if (m_phase == Phase::Idle) {
        // Readable while idle: the server closed the connection (KILL, shutdown, timeout).
        if (m_readNotifier)
            m_readNotifier->setEnabled(false);
        close(QStringLiteral("%1: the server closed the connection").arg(m_url));
        return;
    }
    int status = 0;
    switch (m_phase) {
    case Phase::Connecting: status = mysql_real_connect_cont(&m_connectResult, m_mysql, events); break;
    case Phase::Querying: status = mysql_real_query_cont(&m_queryError, m_mysql, events); break;
    case Phase::Storing: status = mysql_store_result_cont(&m_result, m_mysql, events); break;
    case Phase::Idle: break;
    }
    step(status);
}

MysqlResult MysqlConnection::errorResult() const
{
    MysqlResult r;
    r.errorCode = mysql_errno(m_mysql);
    r.error = QStringLiteral("%1: %2").arg(m_url, QString::fromUtf8(mysql_error(m_mysql)));
    return r;
}

void MysqlConnection::step(int status)
{
    if (status != 0) {
        wait(status);
        return;
    }
    switch (m_phase) {
    case Phase::Connecting:
        m_timer->stop();
        if (!m_connectResult) {
            const QString why = errorResult().error;
            close(why);
            return;
        }
        m_phase = Phase::Idle;
        m_open = true;
        wait(MYSQL_WAIT_READ);
        Q_EMIT connected();
        sendNext();
        return;
    case Phase::Querying:
        if (m_queryError) {
            const MysqlResult failed = errorResult();
            // Errors 2000..2999 are the client's: the connection is gone.
            if (failed.errorCode >= 2000 && failed.errorCode < 3000) {
                close(failed.error);
                return;
            }
            finishCurrent(failed);
            return;
        }
        m_phase = Phase::Storing;
        step(mysql_store_result_start(&m_result, m_mysql));
        return;
    case Phase::Storing: {
        MysqlResult r;
        if (!m_result && mysql_field_count(m_mysql) > 0) {
            close(errorResult().error);
            return;
        }
        r.ok = true;
        if (m_result) {
            const unsigned columns = mysql_num_fields(m_result);
            MYSQL_FIELD *fields = mysql_fetch_fields(m_result);
            for (unsigned c = 0; c < columns; ++c)
                r.columns.append(QByteArray(fields[c].name));
            while (MYSQL_ROW row = mysql_fetch_row(m_result)) {
                unsigned long *lengths = mysql_fetch_lengths(m_result);
                QList<QByteArray> values;
                for (unsigned c = 0; c < columns; ++c)
                    values.append(row[c] ? QByteArray(row[c], qsizetype(lengths[c])) : QByteArray());
                r.rows.append(values);
            }
            mysql_free_result(m_result);
            m_result = nullptr;
        }
        finishCurrent(r);
        return;
    }
    case Phase::Idle:
        return;
    }
}

void MysqlConnection::query(const QByteArray &sql, QObject *context, Done done, int timeoutMs)
{
    m_queue.push_back(Pending{sql, context, std::move(done), timeoutMs});
    if (!m_mysql) {
        QTimer::singleShot(0, this, [this] { failAll(QStringLiteral("%1: not connected").arg(m_url)); });
        return;
    }
    // Sent from the event loop, never from here: when the reply is already in (a loaded machine
    // lets the server answer between the send and the first read), the query would complete,
    // and `done` run, inside query() itself, before the caller is ready for it.
    QMetaObject::invokeMethod(this, &MysqlConnection::sendNext, Qt::QueuedConnection);
}

void MysqlConnection::sendNext()
{
    if (!m_open || m_phase != Phase::Idle || m_queue.empty())
        return;
    m_phase = Phase::Querying;
    m_timer->start(m_queue.front().timeoutMs);
    const QByteArray &sql = m_queue.front().sql;
    step(mysql_real_query_start(&m_queryError, m_mysql, sql.constData(), (unsigned long)sql.size()));
}

void MysqlConnection::finishCurrent(const MysqlResult &result)
{
    m_timer->stop();
    m_phase = Phase::Idle;
    wait(MYSQL_WAIT_READ);
    Pending done = std::move(m_queue.front());
    m_queue.pop_front();
    QPointer<MysqlConnection> self(this);
    if (done.context)
        done.done(result);
    if (self)
        sendNext();
}

void MysqlConnection::failAll(const QString &why)
{
    MysqlResult failed;
    failed.error = why;
    failed.errorCode = 2013;
    std::deque<Pending> queue;
    queue.swap(m_queue);
    for (Pending &p : queue) {
        if (p.context)
            p.done(failed);
    }
}

void MysqlConnection::close(const QString &why)
{
    const bool wasUp = m_mysql != nullptr;
    m_timer->stop();
    m_libTimer->stop();
    // close() runs inside a notifier's own signal (a read that found the connection gone):
    // the notifiers go once that has returned.
    for (QSocketNotifier *notifier : {m_readNotifier, m_writeNotifier}) {
        if (notifier) {
            notifier->setEnabled(false);
            notifier->deleteLater();
        }
    }
    m_readNotifier = m_writeNotifier = nullptr;
    if (m_result) {
        mysql_free_result(m_result);
        m_result = nullptr;
    }
    if (m_mysql) {
        // mysql_close sends COM_QUIT, which could wait on a stalled network: the socket is
        // shut down first, so that it fails at once.
        ::shutdown(int(mysql_get_socket(m_mysql)), SHUT_RDWR);
        mysql_close(m_mysql);
        m_mysql = nullptr;
    }
    m_open = false;
    m_phase = Phase::Idle;
    QPointer<MysqlConnection> self(this);
    failAll(why);
    if (self && wasUp)
        Q_EMIT lost(why);
}

} // namespace fulcrum
