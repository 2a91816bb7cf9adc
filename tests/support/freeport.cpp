#include "freeport.h"

#include <QDir>
#include <QTcpServer>

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

QString binaryPath(const QString &name)
{
    const QByteArray fromEnv = qgetenv("FULCRUM_BIN_DIR");
    const QString dir = fromEnv.isEmpty() ? QStringLiteral(FULCRUM_BIN_DIR) : QString::fromLocal8Bit(fromEnv);
    return QDir(dir).filePath(name);
}

} // namespace fulcrum::test
