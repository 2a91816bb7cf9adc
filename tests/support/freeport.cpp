#include "freeport.h"

#include <QDir>
#include <QTcpServer>

#include <cerrno>
#include <cstring>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace fulcrum::test {

quint16 freeLoopbackPort()
{
    QTcpServer server;
    if (!server.listen(QHostAddress::LocalHost, 0))
        qFatal("cannot bind a loopback port: %s", qPrintable(server.errorString()));
    return server.serverPort();
}

bool isLoopbackPortFree(quint16 port)
{
    QTcpServer server;
    return server.listen(QHostAddress::LocalHost, port);
}

RefusingPort::RefusingPort()
{
    m_fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (m_fd < 0 || ::bind(m_fd, reinterpret_cast<sockaddr *>(&address), sizeof address) != 0
        || ::getsockname(m_fd, reinterpret_cast<sockaddr *>(&address), &length) != 0)
        qFatal("cannot bind a loopback port: %s", std::strerror(errno));
    m_port = ntohs(address.sin_port);
}

RefusingPort::~RefusingPort()
{
    if (m_fd >= 0)
        ::close(m_fd);
}

QString binaryPath(const QString &name)
{
    const QByteArray fromEnv = qgetenv("FULCRUM_BIN_DIR");
    const QString dir = fromEnv.isEmpty() ? QStringLiteral(FULCRUM_BIN_DIR) : QString::fromLocal8Bit(fromEnv);
    return QDir(dir).filePath(name);
}

} // namespace fulcrum::test
