#pragma once

#include <QList>
#include <QObject>
#include <QPointer>

class QTcpServer;
class QTcpSocket;

namespace fulcrum::test {

// A loopback TCP relay in the test's own event loop, between a client under test and a real
// server: cut() closes every relayed connection and stops listening (the server stays up and
// can be changed meanwhile), restore() listens on the same port again. What a lost network
// looks like to the client, on demand and without timing.
class TcpRelay : public QObject
{
public:
    TcpRelay(quint16 targetPort, QObject *parent = nullptr);
    ~TcpRelay() override;

    bool start();                   // listens on a free loopback port
    quint16 port() const { return m_port; }
    void cut();
    bool restore();
    int connectionsRelayed() const { return m_relayed; }

private:
    void accept();

    quint16 m_targetPort = 0;
    quint16 m_port = 0;
    QTcpServer *m_server = nullptr;
    QList<QPointer<QTcpSocket>> m_sockets;
    int m_relayed = 0;
};

} // namespace fulcrum::test
