#include "tcprelay.h"

#include <QHostAddress>
#include <QTcpServer>
#include <QTcpSocket>

namespace fulcrum::test {

TcpRelay::TcpRelay(quint16 targetPort, QObject *parent)
    : QObject(parent)
    , m_targetPort(targetPort)
{
}

TcpRelay::~TcpRelay()
{
    cut();
}

bool TcpRelay::start()
{
    return restore();
}

bool TcpRelay::restore()
{
    if (m_server)
        return true;
    m_server = new QTcpServer(this);
    if (!m_server->listen(QHostAddress::LocalHost, m_port)) {
        delete std::exchange(m_server, nullptr);
        return false;
    }
    m_port = m_server->serverPort();
    connect(m_server, &QTcpServer::newConnection, this, &TcpRelay::accept);
    return true;
}

void TcpRelay::cut()
{
    delete std::exchange(m_server, nullptr);
    for (const QPointer<QTcpSocket> &socket : std::exchange(m_sockets, {})) {
        if (socket) {
            socket->disconnect(this);
            socket->abort();
            socket->deleteLater();
        }
    }
}

void TcpRelay::accept()
{
    while (QTcpSocket *client = m_server->nextPendingConnection()) {
        ++m_relayed;
        auto *server = new QTcpSocket(this);
        client->setParent(this);
        m_sockets << client << server;
        auto pipe = [](QTcpSocket *from, QTcpSocket *to) {
            QObject::connect(from, &QTcpSocket::readyRead, to, [from, to] {
                if (to->state() == QAbstractSocket::ConnectedState)
                    to->write(from->readAll());
            });
            // A close carries the last bytes with it (a server refusing an expired session
            // answers, then closes): they go on before the close does.
            QObject::connect(from, &QTcpSocket::disconnected, to, [from, to] {
                if (from->isOpen() && to->state() == QAbstractSocket::ConnectedState)
                    to->write(from->readAll());
                to->disconnectFromHost();
            });
        };
        pipe(client, server);
        pipe(server, client);
        // Bytes the client sent before the server side was up go once it is.
        connect(server, &QTcpSocket::connected, client, [client, server] { server->write(client->readAll()); });
        // Refused or failed before it was up: the client sees a reset. (A close by the server
        // is an "error" too, RemoteHostClosedError; `disconnected` passes that on in order.)
        connect(server, &QTcpSocket::errorOccurred, client, [client, server](QAbstractSocket::SocketError error) {
            if (error != QAbstractSocket::RemoteHostClosedError && server->state() != QAbstractSocket::ConnectedState)
                client->abort();
        });
        server->connectToHost(QHostAddress::LocalHost, m_targetPort);
    }
}

} // namespace fulcrum::test
