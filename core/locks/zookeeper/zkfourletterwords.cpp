#include "zkfourletterwords.h"

#include <QPointer>
#include <QRegularExpression>
#include <QTcpSocket>
#include <QTimer>

#include <memory>

namespace fulcrum {

ZkConnections parseConsAnswer(const QByteArray &answer, const QString &server)
{
    ZkConnections result;
    const QString text = QString::fromUtf8(answer);
    if (text.contains(u"not in the whitelist") || text.contains(u"not executed")) {
        result.notWhitelisted = true;
        result.error = QStringLiteral("ZooKeeper %1 does not allow the \"cons\" four-letter word, so client addresses "
                                      "are not shown; add cons to 4lw.commands.whitelist in its zoo.cfg, or set "
                                      "four_letter_words to false")
                           .arg(server);
        return result;
    }
    static const QRegularExpression line(QStringLiteral(R"(^\s*/?(\S+?)\[\d+\]\((.*)\)\s*$)"));
    static const QRegularExpression sid(QStringLiteral(R"((?:^|,)sid=(0x[0-9a-fA-F]+))"));
    for (const QString &one : text.split(u'\n', Qt::SkipEmptyParts)) {
        const QRegularExpressionMatch m = line.match(one);
        if (!m.hasMatch())
            continue;
        const QRegularExpressionMatch s = sid.match(m.captured(2));
        if (s.hasMatch())
            result.addressBySession.insert(s.captured(1).toLower(), m.captured(1));
    }
    result.ok = true;
    return result;
}

void queryZkConnections(const QString &server, QObject *context, std::function<void(const ZkConnections &)> done,
                        int timeoutMs)
{
    const qsizetype colon = server.lastIndexOf(u':');
    const QString host = colon > 0 ? server.left(colon) : server;
    const quint16 port = colon > 0 ? server.mid(colon + 1).toUShort() : 2181;
    auto *socket = new QTcpSocket(context);
    auto buffer = std::make_shared<QByteArray>();
    auto finished = std::make_shared<bool>(false);
    auto finish = [socket, server, done, buffer, finished](const QString &error) {
        if (*finished)
            return;
        *finished = true;
        ZkConnections result;
        if (error.isEmpty()) {
            result = parseConsAnswer(*buffer, server);
        } else {
            result.error = error;
        }
        socket->deleteLater();
        done(result);
    };
    QObject::connect(socket, &QTcpSocket::connected, socket, [socket] { socket->write("cons"); });
    QObject::connect(socket, &QTcpSocket::readyRead, socket, [socket, buffer] { buffer->append(socket->readAll()); });
    // The server closes the connection once it has written the whole answer.
    QObject::connect(socket, &QTcpSocket::disconnected, socket, [socket, buffer, finish] {
        buffer->append(socket->readAll());
        finish({});
    });
    QObject::connect(socket, &QTcpSocket::errorOccurred, socket, [socket, buffer, finish, server](QAbstractSocket::SocketError e) {
        if (e == QAbstractSocket::RemoteHostClosedError) {
            buffer->append(socket->readAll());
            finish({});
            return;
        }
        finish(QStringLiteral("cannot ask ZooKeeper %1 for \"cons\": %2").arg(server, socket->errorString()));
    });
    QTimer::singleShot(timeoutMs, socket, [finish, server] {
        finish(QStringLiteral("ZooKeeper %1 did not answer \"cons\" in time").arg(server));
    });
    socket->connectToHost(host, port);
}

} // namespace fulcrum
