#include "haproxy/runtimeclient.h"

#include <QFileInfo>
#include <QLocalSocket>
#include <QTcpSocket>

namespace fulcrum {

namespace {
// `show stat` of a few thousand servers is a few MB; past this something is wrong.
constexpr qsizetype kMaxReplyBytes = 64 * 1024 * 1024;

enum ErrorKind { Closed, NotFound, Refused, Access, Other };
}

RuntimeClient::RuntimeClient(RuntimeAddress address, QObject *parent)
    : QObject(parent), m_address(std::move(address))
{
    m_deadline.setSingleShot(true);
    connect(&m_deadline, &QTimer::timeout, this, [this] {
        const QString command = QString::fromUtf8(m_queue.front().command);
        RuntimeReply reply;
        reply.error = m_connected
            ? tr("%1 accepted the connection but did not answer `%2` within %3 ms: haproxy may be overloaded, "
                 "or this is not a HAProxy stats socket").arg(m_address.toString(), command).arg(m_timeoutMs)
            : tr("could not connect to %1 within %2 ms: check that haproxy runs and that this is its stats socket")
                  .arg(m_address.toString()).arg(m_timeoutMs);
        finish(reply);
    });
}

RuntimeClient::~RuntimeClient()
{
    if (m_socket) {
        m_socket->disconnect(this);
        delete m_socket;
    }
}

void RuntimeClient::send(const QByteArray &command, QObject *context, Callback callback)
{
    m_queue.push_back(Request{command, context, std::move(callback)});
    if (m_queue.size() == 1)
        QMetaObject::invokeMethod(this, [this] { startNext(); }, Qt::QueuedConnection);
}

QString RuntimeClient::notAdminMessage(const QString &level) const
{
    const QString where = level.isEmpty() ? m_address.toString() : tr("%1 (level %2)").arg(m_address.toString(), level);
    return tr("the stats socket %1 is not at admin level: add `level admin` to its `stats socket` line in haproxy.cfg "
              "and reload haproxy").arg(where);
}

void RuntimeClient::startNext()
{
    if (m_queue.empty() || m_socket)
        return;
    m_connected = false;
    m_buffer.clear();
    m_deadline.start(m_timeoutMs);
    if (m_address.kind == RuntimeAddress::Kind::Unix) {
        auto *socket = new QLocalSocket(this);
        m_socket = socket;
        connect(socket, &QLocalSocket::connected, this, &RuntimeClient::onConnected);
        connect(socket, &QLocalSocket::readyRead, this, &RuntimeClient::onData);
        connect(socket, &QLocalSocket::disconnected, this, &RuntimeClient::onClosed);
        connect(socket, &QLocalSocket::errorOccurred, this, [this, socket](QLocalSocket::LocalSocketError error) {
            const int kind = error == QLocalSocket::PeerClosedError ? Closed
                             : error == QLocalSocket::ServerNotFoundError ? NotFound
                             : error == QLocalSocket::ConnectionRefusedError ? Refused
                             : error == QLocalSocket::SocketAccessError ? Access : Other;
            onError(socket->errorString(), kind);
        });
        socket->connectToServer(m_address.path);
    } else {
        auto *socket = new QTcpSocket(this);
        m_socket = socket;
        connect(socket, &QTcpSocket::connected, this, &RuntimeClient::onConnected);
        connect(socket, &QTcpSocket::readyRead, this, &RuntimeClient::onData);
        connect(socket, &QTcpSocket::disconnected, this, &RuntimeClient::onClosed);
        connect(socket, &QTcpSocket::errorOccurred, this, [this, socket](QAbstractSocket::SocketError error) {
            const int kind = error == QAbstractSocket::RemoteHostClosedError ? Closed
                             : error == QAbstractSocket::HostNotFoundError ? NotFound
                             : error == QAbstractSocket::ConnectionRefusedError ? Refused
                             : error == QAbstractSocket::SocketAccessError ? Access : Other;
            onError(socket->errorString(), kind);
        });
        socket->connectToHost(m_address.host, m_address.port);
    }
}

void RuntimeClient::onConnected()
{
    m_connected = true;
    m_socket->write(m_queue.front().command + '\n');
}

void RuntimeClient::onData()
{
    if (!m_socket)
        return;
    m_buffer += m_socket->readAll();
    if (m_buffer.size() > kMaxReplyBytes) {
        RuntimeReply reply;
        reply.error = tr("%1 sent more than %2 MB for `%3`; is this a HAProxy stats socket?")
                          .arg(m_address.toString()).arg(kMaxReplyBytes / (1024 * 1024)).arg(QString::fromUtf8(m_queue.front().command));
        finish(reply);
    }
}

void RuntimeClient::onClosed()
{
    if (!m_socket)
        return;
    m_buffer += m_socket->readAll();
    if (!m_connected) {
        RuntimeReply reply;
        reply.error = tr("%1 closed the connection before it was set up; is haproxy restarting?").arg(m_address.toString());
        finish(reply);
        return;
    }
    RuntimeReply reply;
    reply.ok = true;
    reply.output = m_buffer;
    finish(reply);
}

void RuntimeClient::onError(const QString &socketError, int kind)
{
    if (!m_socket)
        return;
    if (kind == Closed && m_connected) {
        onClosed();
        return;
    }
    RuntimeReply reply;
    reply.error = connectError(socketError, kind);
    finish(reply);
}

QString RuntimeClient::connectError(const QString &socketError, int kind) const
{
    const QString where = m_address.toString();
    if (m_address.kind == RuntimeAddress::Kind::Unix) {
        switch (kind) {
        case NotFound:
            return tr("no HAProxy stats socket at %1: check the `stats socket %1 level admin` line in the global section "
                      "of haproxy.cfg and that haproxy is running").arg(where);
        case Refused:
            return tr("%1 refused the connection: haproxy is not running (the socket file is left over) or is restarting; "
                      "start haproxy and try again").arg(where);
        case Access: {
            QString group = QFileInfo(m_address.path).group();
            if (group.isEmpty() || group == QLatin1String("root"))
                group = QStringLiteral("haproxy");
            return tr("permission denied on %1: run as a member of group %2 (sudo usermod -aG %2 $USER, then log in again), "
                      "or give the socket `mode 660 group %2` on its stats socket line").arg(where, group);
        }
        default:
            return tr("cannot use the stats socket %1: %2").arg(where, socketError);
        }
    }
    switch (kind) {
    case Refused:
        return tr("connection refused on %1: check that haproxy runs and that haproxy.cfg has `stats socket ipv4@%1 level admin`")
            .arg(where);
    case NotFound:
        return tr("host %1 not found: check the address of the HAProxy stats socket").arg(m_address.host);
    case Closed:
        return tr("%1 closed the connection before answering; is this a HAProxy stats socket?").arg(where);
    default:
        return tr("cannot use the stats socket %1: %2").arg(where, socketError);
    }
}

void RuntimeClient::finish(RuntimeReply reply)
{
    m_deadline.stop();
    if (m_socket) {
        m_socket->disconnect(this);
        m_socket->deleteLater();
        m_socket = nullptr;
    }
    Request request = std::move(m_queue.front());
    m_queue.pop_front();
    if (!m_queue.empty())
        QMetaObject::invokeMethod(this, [this] { startNext(); }, Qt::QueuedConnection);
    if (request.context && request.callback)
        request.callback(reply);
}

} // namespace fulcrum
