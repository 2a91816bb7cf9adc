#include "redisserver.h"

#include "common/childprocess.h"
#include "freeport.h"
#include "programs.h"
#include "testcertificates.h"

#include <QDeadlineTimer>
#include <QFile>
#include <QThread>

#include <optional>

#include <csignal>

namespace fulcrum::test {

static QByteArray encode(const QList<QByteArray> &arguments)
{
    QByteArray out = '*' + QByteArray::number(arguments.size()) + "\r\n";
    for (const QByteArray &a : arguments)
        out += '$' + QByteArray::number(a.size()) + "\r\n" + a + "\r\n";
    return out;
}

// Parses one reply at pos; nullopt when the buffer does not hold all of it yet.
static std::optional<RedisReply> parse(const QByteArray &buffer, qsizetype &pos)
{
    const qsizetype lineEnd = buffer.indexOf("\r\n", pos);
    if (lineEnd < 0)
        return std::nullopt;
    const char kind = buffer[pos];
    const QByteArray line = buffer.mid(pos + 1, lineEnd - pos - 1);
    qsizetype next = lineEnd + 2;
    RedisReply r;
    switch (kind) {
    case '+': r.type = RedisReply::Status; r.string = line; break;
    case '-': r.type = RedisReply::Error; r.string = line; break;
    case ':': r.type = RedisReply::Integer; r.integer = line.toLongLong(); break;
    case '$': {
        const qsizetype length = line.toLongLong();
        if (length < 0) {
            r.type = RedisReply::Nil;
            break;
        }
        if (buffer.size() < next + length + 2)
            return std::nullopt;
        r.type = RedisReply::String;
        r.string = buffer.mid(next, length);
        next += length + 2;
        break;
    }
    case '*': {
        const qsizetype count = line.toLongLong();
        if (count < 0) {
            r.type = RedisReply::Nil;
            break;
        }
        r.type = RedisReply::Array;
        for (qsizetype i = 0; i < count; ++i) {
            auto element = parse(buffer, next);
            if (!element)
                return std::nullopt;
            r.elements.append(*element);
        }
        break;
    }
    default:
        r = RedisReply::failed(QStringLiteral("bad RESP from server"));
    }
    pos = next;
    return r;
}

RedisServer::RedisServer()
    : RedisServer(Options{})
{
}

RedisServer::RedisServer(Options options)
    : m_options(std::move(options))
{
}

RedisServer::~RedisServer()
{
    stop();
}

QString RedisServer::unixSocketPath() const
{
    return m_options.unixSocket ? m_dir.filePath(QStringLiteral("redis.sock")) : QString();
}

QString RedisServer::url(int database) const
{
    return QStringLiteral("redis://127.0.0.1:%1/%2").arg(m_port).arg(database);
}

QString RedisServer::tlsUrl(int database) const
{
    return QStringLiteral("rediss://127.0.0.1:%1/%2").arg(m_tlsPort).arg(database);
}

bool RedisServer::start(QString *error)
{
    if (m_options.tls && !QFile::exists(caFile())) {
        QString why;
        if (!makeTestCertificates(m_dir.path(), &why)) {
            if (error)
                *error = why;
            return false;
        }
    }
    for (int attempt = 0; attempt < 5; ++attempt) {
        m_port = freeLoopbackPort();
        // A cluster node also listens on its port + 10000 (the cluster bus), so the port must be
        // at most 55535 and the bus port free too.
        for (int pick = 0; m_options.clusterEnabled && pick < 100 && (m_port > 55535 || !isLoopbackPortFree(quint16(m_port + 10000))); ++pick)
            m_port = freeLoopbackPort();
        if (m_options.tls)
            m_tlsPort = freeLoopbackPort();
        QString why;
        if (launch(&why))
            return true;
        if (error)
            *error = why;
    }
    return false;
}

bool RedisServer::restart(QString *error)
{
    stop();
    for (int attempt = 0; attempt < 20; ++attempt) {
        QString why;
        if (launch(&why))
            return true;
        if (error)
            *error = why;
        QThread::msleep(100); // the port may still be held for a moment
    }
    return false;
}

bool RedisServer::launch(QString *error)
{
    QStringList config{QStringLiteral("port %1").arg(m_port),
                       QStringLiteral("bind 127.0.0.1"),
                       QStringLiteral("save \"\""),
                       QStringLiteral("appendonly no"),
                       QStringLiteral("daemonize no"),
                       QStringLiteral("dir %1").arg(m_dir.path()),
                       QStringLiteral("logfile \"\""),
                       QStringLiteral("loglevel warning"),
                       QStringLiteral("enable-debug-command local")};
    if (!m_options.password.isEmpty())
        config << QStringLiteral("requirepass %1").arg(QString::fromUtf8(m_options.password));
    if (m_options.unixSocket)
        config << QStringLiteral("unixsocket %1").arg(unixSocketPath()) << QStringLiteral("unixsocketperm 700");
    if (m_options.tls) {
        const QString dir = m_dir.path();
        config << QStringLiteral("tls-port %1").arg(m_tlsPort) << QStringLiteral("tls-cert-file %1/server.pem").arg(dir)
               << QStringLiteral("tls-key-file %1/server.key").arg(dir) << QStringLiteral("tls-ca-cert-file %1/ca.pem").arg(dir)
               << QStringLiteral("tls-auth-clients optional");
    }
    if (m_options.clusterEnabled)
        config << QStringLiteral("cluster-enabled yes") << QStringLiteral("cluster-config-file %1/nodes.conf").arg(m_dir.path())
               << QStringLiteral("cluster-node-timeout 1000");
    config << m_options.extraConfig;
    const QString configPath = m_dir.filePath(QStringLiteral("redis.conf"));
    QFile file(configPath);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate)) {
        *error = QStringLiteral("cannot write %1").arg(configPath);
        return false;
    }
    file.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner);
    file.write(config.join(u'\n').toUtf8() + '\n');
    file.close();

    m_process = std::make_unique<QProcess>();
    m_process->setProcessChannelMode(QProcess::MergedChannels);
    // If the test itself dies, the child goes with it instead of lingering on its port.
    tieToParent(*m_process, SIGTERM);
    m_process->setProcessEnvironment(componentEnvironment());
    m_process->start(QStringLiteral("redis-server"), {configPath});
    if (!m_process->waitForStarted(5000)) {
        *error = QStringLiteral("redis-server did not start: %1 (is the redis-server package installed?)").arg(m_process->errorString());
        m_process.reset();
        return false;
    }
    const QDeadlineTimer deadline(10'000);
    while (!deadline.hasExpired()) {
        if (m_process->state() != QProcess::Running) {
            *error = QStringLiteral("redis-server exited: %1").arg(QString::fromLocal8Bit(m_process->readAll()));
            m_process.reset();
            return false;
        }
        m_client.reset();
        const RedisReply pong = command({QByteArrayLiteral("PING")});
        if (pong.type == RedisReply::Status && pong.string == "PONG")
            return true;
        QThread::msleep(20);
    }
    *error = QStringLiteral("redis-server on port %1 did not answer PING within 10 s").arg(m_port);
    kill();
    return false;
}

void RedisServer::stop()
{
    m_client.reset();
    if (!m_process)
        return;
    if (m_process->state() != QProcess::NotRunning) {
        m_process->terminate();
        if (!m_process->waitForFinished(5000)) {
            m_process->kill();
            m_process->waitForFinished(2000);
        }
    }
    m_process.reset();
}

void RedisServer::kill()
{
    m_client.reset();
    if (!m_process)
        return;
    m_process->kill();
    m_process->waitForFinished(2000);
    m_process.reset();
}

bool RedisServer::isRunning() const
{
    return m_process && m_process->state() == QProcess::Running;
}

bool RedisServer::ensureClient()
{
    if (m_client && m_client->state() == QAbstractSocket::ConnectedState)
        return true;
    m_client = std::make_unique<QTcpSocket>();
    m_buffer.clear();
    m_client->connectToHost(host(), m_port);
    if (!m_client->waitForConnected(1000)) {
        m_client.reset();
        return false;
    }
    if (!m_options.password.isEmpty()) {
        m_client->write(encode({QByteArrayLiteral("AUTH"), m_options.password}));
        qsizetype pos = 0;
        while (true) {
            if (!m_client->waitForReadyRead(2000)) {
                m_client.reset();
                return false;
            }
            m_buffer += m_client->readAll();
            if (auto reply = parse(m_buffer, pos)) {
                m_buffer.remove(0, pos);
                break;
            }
        }
    }
    return true;
}

RedisReply RedisServer::command(const QList<QByteArray> &arguments)
{
    return pipeline({arguments}).value(0, RedisReply::failed(QStringLiteral("no reply")));
}

QList<RedisReply> RedisServer::pipeline(const QList<QList<QByteArray>> &commands)
{
    QList<RedisReply> replies;
    if (!ensureClient())
        return {RedisReply::failed(QStringLiteral("cannot connect to redis-server on port %1").arg(m_port))};
    QByteArray out;
    for (const auto &c : commands)
        out += encode(c);
    m_client->write(out);
    qsizetype pos = 0;
    while (replies.size() < commands.size()) {
        if (auto reply = parse(m_buffer, pos)) {
            replies.append(*reply);
            continue;
        }
        if (!m_client->waitForReadyRead(10'000)) {
            m_client.reset();
            replies.append(RedisReply::failed(QStringLiteral("connection to redis-server lost")));
            return replies;
        }
        m_buffer += m_client->readAll();
    }
    m_buffer.remove(0, pos);
    return replies;
}

} // namespace fulcrum::test
