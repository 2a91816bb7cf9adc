#include "redisclusterservers.h"

#include "locks/redis/redisclustertopology.h"
#include "programs.h"

#include <QDeadlineTimer>
#include <QThread>

namespace fulcrum::test {

RedisClusterServers::RedisClusterServers(int masters, int replicasPerMaster)
    : m_masters(masters)
    , m_replicas(replicasPerMaster)
{
}

RedisClusterServers::~RedisClusterServers() = default;

bool RedisClusterServers::start(QString *error)
{
    const int total = m_masters * (1 + m_replicas);
    QStringList nodes;
    for (int i = 0; i < total; ++i) {
        RedisServer::Options options;
        options.clusterEnabled = true;
        auto server = std::make_unique<RedisServer>(options);
        if (!server->start(error))
            return false;
        nodes << server->address();
        m_servers.push_back(std::move(server));
    }
    QStringList arguments{QStringLiteral("--cluster"), QStringLiteral("create")};
    arguments << nodes << QStringLiteral("--cluster-replicas") << QString::number(m_replicas) << QStringLiteral("--cluster-yes");
    const ProgramRun run = runProgram(QStringLiteral("redis-cli"), arguments, componentEnvironment(), {}, 60'000);
    if (run.exitCode != 0) {
        *error = QStringLiteral("redis-cli --cluster create failed: %1 %2").arg(run.out, run.err);
        return false;
    }
    return waitUntilHealthy(m_masters, 30'000, error);
}

RedisServer *RedisClusterServers::serverAt(const QString &address)
{
    for (const auto &server : m_servers) {
        if (server->address() == address)
            return server.get();
    }
    return nullptr;
}

QStringList RedisClusterServers::addresses() const
{
    QStringList out;
    for (const auto &server : m_servers)
        out << server->address();
    return out;
}

static std::optional<RedisClusterTopology> readTopology(RedisServer &server)
{
    const RedisReply reply = server.command({QByteArrayLiteral("CLUSTER"), QByteArrayLiteral("SHARDS")});
    QString why;
    return parseClusterShards(reply, false, &why);
}

QStringList RedisClusterServers::masterAddresses()
{
    for (const auto &server : m_servers) {
        if (!server->isRunning())
            continue;
        if (const auto topology = readTopology(*server))
            return topology->masters();
    }
    return {};
}

QString RedisClusterServers::masterOf(const QByteArray &key)
{
    for (const auto &server : m_servers) {
        if (!server->isRunning())
            continue;
        if (const auto topology = readTopology(*server)) {
            if (const RedisClusterShard *shard = topology->shardForSlot(redisKeySlot(key)))
                return shard->master;
        }
    }
    return {};
}

QString RedisClusterServers::nodeId(const QString &address)
{
    RedisServer *server = serverAt(address);
    return server ? QString::fromUtf8(server->command({QByteArrayLiteral("CLUSTER"), QByteArrayLiteral("MYID")}).string) : QString();
}

RedisReply RedisClusterServers::command(const QList<QByteArray> &arguments)
{
    RedisServer *target = nullptr;
    for (const auto &server : m_servers) {
        if (server->isRunning()) {
            target = server.get();
            break;
        }
    }
    bool asking = false;
    for (int hop = 0; target && hop < 5; ++hop) {
        const RedisReply reply = asking ? target->pipeline({{QByteArrayLiteral("ASKING")}, arguments}).value(1)
                                        : target->command(arguments);
        const auto redirect = parseRedisRedirect(reply);
        if (!redirect)
            return reply;
        asking = redirect->ask;
        target = serverAt(redirect->node);
    }
    return RedisReply::failed(QStringLiteral("no node took the command"));
}

bool RedisClusterServers::waitUntilHealthy(int masters, int timeoutMs, QString *error)
{
    const QDeadlineTimer deadline(timeoutMs);
    QString last;
    while (!deadline.hasExpired()) {
        bool ok = true;
        for (const auto &server : m_servers) {
            if (!server->isRunning())
                continue;
            const RedisReply info = server->command({QByteArrayLiteral("CLUSTER"), QByteArrayLiteral("INFO")});
            if (!info.string.contains("cluster_state:ok")) {
                ok = false;
                last = QStringLiteral("%1: %2").arg(server->address(), QString::fromUtf8(info.string.left(60)));
                break;
            }
            const auto topology = readTopology(*server);
            if (!topology || topology->masters().size() != masters || topology->coveredSlots() != redisClusterSlots) {
                ok = false;
                last = QStringLiteral("%1 sees %2").arg(server->address(), topology ? topology->describe() : QStringLiteral("no topology"));
                break;
            }
        }
        if (ok)
            return true;
        QThread::msleep(100);
    }
    *error = QStringLiteral("the cluster did not become healthy within %1 ms: %2").arg(timeoutMs).arg(last);
    return false;
}

} // namespace fulcrum::test
