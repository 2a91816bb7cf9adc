#include "redisclustertopology.h"

#include <QHash>

#include <algorithm>
#include <array>

namespace fulcrum {

// CRC16/XMODEM a byte at a time from a table made at compile time: a cluster pass hashes every
// lock's key, and bit by bit that was 2.5 % of its client CPU.
static constexpr std::array<quint16, 256> kCrc16Table = [] {
    std::array<quint16, 256> table{};
    for (int byte = 0; byte < 256; ++byte) {
        quint16 crc = quint16(byte << 8);
        for (int bit = 0; bit < 8; ++bit)
            crc = (crc & 0x8000) ? quint16((crc << 1) ^ 0x1021) : quint16(crc << 1);
        table[size_t(byte)] = crc;
    }
    return table;
}();

quint16 redisCrc16(const QByteArray &bytes)
{
    quint16 crc = 0;
    for (const char c : bytes)
        crc = quint16((crc << 8) ^ kCrc16Table[size_t(((crc >> 8) ^ quint8(c)) & 0xff)]);
    return crc;
}

QByteArray redisHashTag(const QByteArray &key)
{
    const qsizetype open = key.indexOf('{');
    const qsizetype close = open >= 0 ? key.indexOf('}', open + 1) : -1;
    return close > open + 1 ? key.mid(open + 1, close - open - 1) : QByteArray();
}

int redisKeySlot(const QByteArray &key)
{
    const QByteArray tag = redisHashTag(key);
    return redisCrc16(tag.isEmpty() ? key : tag) & (redisClusterSlots - 1);
}

QString RedisClusterShard::slotsText() const
{
    QStringList parts;
    for (const auto &[first, last] : slots)
        parts << (first == last ? QString::number(first) : QStringLiteral("%1-%2").arg(first).arg(last));
    return parts.join(u',');
}

int RedisClusterShard::slotCount() const
{
    int count = 0;
    for (const auto &[first, last] : slots)
        count += last - first + 1;
    return count;
}

QStringList RedisClusterTopology::masters() const
{
    QStringList out;
    for (const RedisClusterShard &shard : shards) {
        if (!shard.master.isEmpty() && !shard.masterFailed)
            out << shard.master;
    }
    return out;
}

QStringList RedisClusterTopology::nodes() const
{
    QStringList out;
    for (const RedisClusterShard &shard : shards) {
        if (!shard.master.isEmpty())
            out << shard.master;
    }
    for (const RedisClusterShard &shard : shards) {
        for (const QString &replica : shard.replicas) {
            if (!out.contains(replica))
                out << replica;
        }
    }
    return out;
}

const RedisClusterShard *RedisClusterTopology::shardForSlot(int slot) const
{
    for (const RedisClusterShard &shard : shards) {
        for (const auto &[first, last] : shard.slots) {
            if (slot >= first && slot <= last)
                return &shard;
        }
    }
    return nullptr;
}

int RedisClusterTopology::coveredSlots() const
{
    int count = 0;
    for (const RedisClusterShard &shard : shards) {
        if (!shard.master.isEmpty() && !shard.masterFailed)
            count += shard.slotCount();
    }
    return count;
}

QString RedisClusterTopology::describe() const
{
    QStringList parts;
    for (const RedisClusterShard &shard : shards) {
        parts << QStringLiteral("%1 %2%3").arg(shard.master.isEmpty() ? QStringLiteral("(no master)") : shard.master, shard.slotsText(),
                                               shard.masterFailed ? QStringLiteral(" (failed)") : QString());
    }
    return parts.join(QStringLiteral(", "));
}

static void sortShards(RedisClusterTopology &topology)
{
    for (RedisClusterShard &shard : topology.shards)
        std::sort(shard.slots.begin(), shard.slots.end());
    std::sort(topology.shards.begin(), topology.shards.end(), [](const RedisClusterShard &a, const RedisClusterShard &b) {
        const int first = a.slots.isEmpty() ? redisClusterSlots : a.slots.first().first;
        const int second = b.slots.isEmpty() ? redisClusterSlots : b.slots.first().first;
        return first < second;
    });
}

static QString hostPort(const QString &host, qint64 port)
{
    return host.contains(u':') ? QStringLiteral("[%1]:%2").arg(host).arg(port) : QStringLiteral("%1:%2").arg(host).arg(port);
}

std::optional<RedisClusterTopology> parseClusterShards(const RedisReply &reply, bool tls, QString *error)
{
    if (reply.type != RedisReply::Array) {
        *error = QStringLiteral("CLUSTER SHARDS answered %1").arg(reply.isError() ? reply.errorText() : QStringLiteral("something that is not a list"));
        return std::nullopt;
    }
    // RESP2 sends each map as a flat list: key, value, key, value.
    auto field = [](const RedisReply &map, const char *name) -> const RedisReply * {
        for (qsizetype i = 0; i + 1 < map.elements.size(); i += 2) {
            if (map.elements[i].string == name)
                return &map.elements[i + 1];
        }
        return nullptr;
    };
    auto text = [&](const RedisReply &map, const char *name) {
        const RedisReply *value = field(map, name);
        return value && value->type == RedisReply::String ? QString::fromUtf8(value->string) : QString();
    };
    RedisClusterTopology topology;
    for (const RedisReply &shardReply : reply.elements) {
        const RedisReply *slots = field(shardReply, "slots");
        const RedisReply *nodes = field(shardReply, "nodes");
        if (shardReply.type != RedisReply::Array || !slots || !nodes || slots->type != RedisReply::Array || nodes->type != RedisReply::Array) {
            *error = QStringLiteral("CLUSTER SHARDS sent a shard without slots and nodes");
            return std::nullopt;
        }
        RedisClusterShard shard;
        for (qsizetype i = 0; i + 1 < slots->elements.size(); i += 2)
            shard.slots.append({int(slots->elements[i].integer), int(slots->elements[i + 1].integer)});
        QString failedMaster;
        for (const RedisReply &node : nodes->elements) {
            const RedisReply *port = field(node, tls ? "tls-port" : "port");
            if (!port)
                port = field(node, "port");
            QString host = text(node, "endpoint");
            if (host.isEmpty() || host == u"?")
                host = text(node, "ip");
            if (!port || host.isEmpty())
                continue;
            const QString address = hostPort(host, port->integer);
            const bool master = text(node, "role") == u"master";
            const bool failed = text(node, "health") == u"fail";
            if (master && !failed) {
                shard.master = address;
                shard.masterId = text(node, "id");
            } else if (master) {
                failedMaster = address;
            } else if (!failed) {
                shard.replicas << address;
            }
        }
        if (shard.master.isEmpty() && !failedMaster.isEmpty()) {
            shard.master = failedMaster;
            shard.masterFailed = true;
        }
        if (shard.slots.isEmpty())
            continue; // a master with no slots (being added or removed) holds no locks to read
        topology.shards << shard;
    }
    sortShards(topology);
    return topology;
}

std::optional<RedisClusterTopology> parseClusterNodes(const QByteArray &text, const QString &self, QString *error)
{
    struct Node
    {
        QString id, address, masterId;
        bool master = false, failed = false;
        QList<QPair<int, int>> slots;
    };
    QList<Node> nodes;
    for (const QByteArray &line : text.split('\n')) {
        const QList<QByteArray> f = line.trimmed().split(' ');
        if (f.size() < 8)
            continue;
        Node node;
        node.id = QString::fromUtf8(f[0]);
        QString address = QString::fromUtf8(f[1]).section(u'@', 0, 0).section(u',', 0, 0);
        const QList<QByteArray> flags = f[2].split(',');
        if (flags.contains("myself") && (address.startsWith(u':') || address.isEmpty()))
            address = self;
        if (flags.contains("noaddr") || flags.contains("handshake"))
            continue;
        node.address = address;
        node.master = flags.contains("master");
        node.failed = flags.contains("fail");
        node.masterId = f[3] == "-" ? QString() : QString::fromUtf8(f[3]);
        for (qsizetype i = 8; i < f.size(); ++i) {
            if (f[i].startsWith('['))
                continue; // a slot being migrated or imported: still served by this node
            const QList<QByteArray> range = f[i].split('-');
            bool ok1 = false, ok2 = true;
            const int first = range[0].toInt(&ok1);
            const int last = range.size() > 1 ? range[1].toInt(&ok2) : first;
            if (ok1 && ok2)
                node.slots.append({first, last});
        }
        nodes << node;
    }
    if (nodes.isEmpty()) {
        *error = QStringLiteral("CLUSTER NODES listed no nodes");
        return std::nullopt;
    }
    RedisClusterTopology topology;
    for (const Node &node : nodes) {
        if (!node.master || node.slots.isEmpty())
            continue;
        RedisClusterShard shard;
        shard.slots = node.slots;
        shard.master = node.address;
        shard.masterId = node.id;
        shard.masterFailed = node.failed;
        for (const Node &replica : nodes) {
            if (!replica.master && replica.masterId == node.id && !replica.failed)
                shard.replicas << replica.address;
        }
        topology.shards << shard;
    }
    sortShards(topology);
    return topology;
}

std::optional<RedisRedirect> parseRedisRedirect(const RedisReply &reply)
{
    if (reply.type != RedisReply::Error)
        return std::nullopt;
    const QList<QByteArray> parts = reply.string.split(' ');
    if (parts.size() != 3 || (parts[0] != "MOVED" && parts[0] != "ASK"))
        return std::nullopt;
    bool ok = false;
    RedisRedirect redirect;
    redirect.ask = parts[0] == "ASK";
    redirect.slot = parts[1].toInt(&ok);
    redirect.node = QString::fromUtf8(parts[2]);
    if (!ok || redirect.slot < 0 || redirect.slot >= redisClusterSlots || !redirect.node.contains(u':'))
        return std::nullopt;
    if (redirect.node.startsWith(u':'))
        return std::nullopt; // "MOVED 3999 :6380": the caller knows the host it asked
    return redirect;
}

} // namespace fulcrum
