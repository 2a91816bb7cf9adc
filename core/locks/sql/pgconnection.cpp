#include "pgconnection.h"

#include <QSocketNotifier>
#include <QTimer>

#include <libpq-fe.h>

namespace fulcrum {

namespace {

QString resultError(const PGresult *result)
{
    QString text = QString::fromUtf8(PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY));
    if (text.isEmpty())
        text = QString::fromUtf8(PQresultErrorMessage(result)).trimmed();
    const QString detail = QString::fromUtf8(PQresultErrorField(result, PG_DIAG_MESSAGE_DETAIL));
    const QString hint = QString::fromUtf8(PQresultErrorField(result, PG_DIAG_MESSAGE_HINT));
    if (!detail.isEmpty())
        text += QStringLiteral(" (%1)").arg(detail);
    if (!hint.isEmpty())
        text += QStringLiteral("; %1").arg(hint);
    return text;
}

PgResult fromResult(const PGresult *result)
{
    PgResult r;
    const ExecStatusType status = PQresultStatus(result);
    r.ok = status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK;
    if (!r.ok) {
        r.error = resultError(result);
        r.sqlState = PQresultErrorField(result, PG_DIAG_SQLSTATE);
        return r;
    }
    const int columns = PQnfields(result);
    for (int c = 0; c < columns; ++c)
        r.columns.append(PQfname(result, c));
    const int rows = PQntuples(result);
    r.rows.reserve(rows);
    for (int i = 0; i < rows; ++i) {
        QList<QByteArray> row;
        row.reserve(columns);
        for (int c = 0; c < columns; ++c)
            row.append(PQgetisnull(result, i, c) ? QByteArray() : QByteArray(PQgetvalue(result, i, c), PQgetlength(result, i, c)));
        r.rows.append(std::move(row));
    }
    return r;
}

} // namespace

PgConnection::PgConnection(const QString &url, const QByteArray &password, QObject *parent)
    : QObject(parent)
    , m_url(url)
    , m_password(password)
    , m_timer(new QTimer(this))
{
    m_timer->setSingleShot(true);
    connect(m_timer, &QTimer::timeout, this, [this] {
        close(m_connecting ? QStringLiteral("%1: not connected within the timeout").arg(m_url)
                           : QStringLiteral("%1: a statement took longer than its timeout; the connection was dropped").arg(m_url));
    });
}

PgConnection::~PgConnection()
{
    failAll(QStringLiteral("%1: the connection was closed").arg(m_url));
    if (m_conn)
        PQfinish(m_conn);
}

int PgConnection::serverVersion() const { return m_open ? PQserverVersion(m_conn) : 0; }
int PgConnection::backendPid() const { return m_open ? PQbackendPID(m_conn) : 0; }

QString PgConnection::connectionError() const
{
    QString text = m_conn ? QString::fromUtf8(PQerrorMessage(m_conn)).trimmed() : QStringLiteral("out of memory");
    text.replace(u'\n', QStringLiteral("; "));
    return QStringLiteral("%1: %2").arg(m_url, text.isEmpty() ? QStringLiteral("connection failed") : text);
}

void PgConnection::open(int timeoutMs)
{
    if (m_conn)
        return;
    const QByteArray dbname = m_url.toUtf8();
    // libpq reads the URL itself (expand_dbname); the password goes beside it.
    const char *keywords[] = {"dbname", "password", "fallback_application_name", nullptr};
    const char *values[] = {dbname.constData(), m_password.isEmpty() ? nullptr : m_password.constData(), "fulcrum", nullptr};
    m_conn = PQconnectStartParams(keywords, values, 1);
    if (!m_conn || PQstatus(m_conn) == CONNECTION_BAD) {
        const QString why = connectionError();
        close(why);
        return;
    }
    m_connecting = true;
    m_timer->start(timeoutMs);
    watchSocket();
    m_writeNotifier->setEnabled(true);
    m_readNotifier->setEnabled(false);
}

void PgConnection::watchSocket()
{
    const int socket = PQsocket(m_conn);
    if (socket == m_socket && m_readNotifier)
        return;
    // Possibly from inside one of their own signals: deleted once it has returned.
    if (m_readNotifier) {
        m_readNotifier->setEnabled(false);
        m_readNotifier->deleteLater();
        m_writeNotifier->setEnabled(false);
        m_writeNotifier->deleteLater();
    }
    m_socket = socket;
    m_readNotifier = new QSocketNotifier(qintptr(socket), QSocketNotifier::Read, this);
    m_writeNotifier = new QSocketNotifier(qintptr(socket), QSocketNotifier::Write, this);
    m_writeNotifier->setEnabled(false);
    connect(m_readNotifier, &QSocketNotifier::activated, this, &PgConnection::onReadable);
    connect(m_writeNotifier, &QSocketNotifier::activated, this, &PgConnection::onWritable);
}

void PgConnection::pollConnect()
{
    const PostgresPollingStatusType status = PQconnectPoll(m_conn);
    if (status == PGRES_POLLING_FAILED) {
        close(connectionError());
        return;
    }
    // The socket may change while connecting (another host of the list, an SSL retry).
    watchSocket();
    if (status == PGRES_POLLING_OK) {
        m_connecting = false;
        m_timer->stop();
        PQsetnonblocking(m_conn, 1);
        m_open = true;
        m_readNotifier->setEnabled(true);
        m_writeNotifier->setEnabled(false);
        Q_EMIT connected();
        sendNext();
        return;
    }
    m_readNotifier->setEnabled(status == PGRES_POLLING_READING);
    m_writeNotifier->setEnabled(status == PGRES_POLLING_WRITING);
}

void PgConnection::onReadable()
{
    if (m_connecting) {
        pollConnect();
        return;
    }
    if (!m_conn)
        return;
    if (!PQconsumeInput(m_conn) || PQstatus(m_conn) == CONNECTION_BAD) {
        close(connectionError());
        return;
    }
    // Notices and notifications are not used; drop them so they do not pile up.
    while (PGnotify *notify = PQnotifies(m_conn))
        PQfreemem(notify);
    if (m_busy)
        collect();
}

void PgConnection::onWritable()
{
    if (m_connecting) {
        pollConnect();
        return;
    }
    if (!m_conn)
        return;
    const int flushed = PQflush(m_conn);
    if (flushed < 0) {
        close(connectionError());
        return;
    }
    m_writeNotifier->setEnabled(flushed == 1);
}

void PgConnection::query(const QByteArray &sql, const QList<QByteArray> &params, QObject *context, Done done, int timeoutMs)
{
    m_queue.push_back(Pending{sql, params, context, std::move(done), timeoutMs});
    if (!m_conn) {
        // Not open (never opened, or lost): answer on the next turn of the event loop, as a
        // connection that broke would.
        QTimer::singleShot(0, this, [this] { failAll(QStringLiteral("%1: not connected").arg(m_url)); });
        return;
    }
    sendNext();
}

void PgConnection::sendNext()
{
    if (!m_open || m_busy || m_queue.empty())
        return;
    Pending &next = m_queue.front();
    int sent = 0;
    if (next.params.isEmpty()) {
        sent = PQsendQuery(m_conn, next.sql.constData());
    } else {
        QList<const char *> values;
        for (const QByteArray &p : next.params)
            values.append(p.isNull() ? nullptr : p.constData());
        sent = PQsendQueryParams(m_conn, next.sql.constData(), int(values.size()), nullptr, values.constData(), nullptr, nullptr, 0);
    }
    if (!sent) {
        close(connectionError());
        return;
    }
    m_busy = true;
    m_results.clear();
    m_timer->start(next.timeoutMs);
    const int flushed = PQflush(m_conn);
    if (flushed < 0) {
        close(connectionError());
        return;
    }
    m_writeNotifier->setEnabled(flushed == 1);
}

void PgConnection::collect()
{
    while (m_busy && !PQisBusy(m_conn)) {
        PGresult *result = PQgetResult(m_conn);
        if (!result) {
            finishCurrent();
            return;
        }
        m_results.append(fromResult(result));
        PQclear(result);
    }
}

void PgConnection::finishCurrent()
{
    m_timer->stop();
    m_busy = false;
    const QList<PgResult> results = std::exchange(m_results, {});
    Pending done = std::move(m_queue.front());
    m_queue.pop_front();
    QPointer<PgConnection> self(this);
    if (done.context)
        done.done(results);
    if (self)
        sendNext();
}

void PgConnection::failAll(const QString &why)
{
    PgResult failed;
    failed.error = why;
    std::deque<Pending> queue;
    queue.swap(m_queue);
    m_busy = false;
    for (Pending &p : queue) {
        if (p.context)
            p.done({failed});
    }
}

void PgConnection::close(const QString &why)
{
    const bool wasUp = m_conn != nullptr;
    m_timer->stop();
    // close() runs inside a notifier's own signal (a read that found the connection gone):
    // the notifiers go once that has returned.
    for (QSocketNotifier *notifier : {m_readNotifier, m_writeNotifier}) {
        if (notifier) {
            notifier->setEnabled(false);
            notifier->deleteLater();
        }
    }
    m_readNotifier = m_writeNotifier = nullptr;
    m_socket = -1;
    if (m_conn) {
        PQfinish(m_conn);
        m_conn = nullptr;
    }
    m_open = false;
    m_connecting = false;
    QPointer<PgConnection> self(this);
    failAll(why);
    if (self && wasUp)
        Q_EMIT lost(why);
}

} // namespace fulcrum
