#include "etcdmutex.h"

#include "common/bytestext.h"
#include "locks/etcd/etcdrecipes.h"

#include <QJsonArray>

namespace fulcrum {

namespace {

// While queued: how often to look whether every older contender is gone (the Go client
// watches; a poll keeps this client to plain requests).
constexpr int kTurnPollMs = 250;

QJsonObject keyOp(const char *op, const QJsonObject &request)
{
    return QJsonObject{{QString::fromLatin1(op), request}};
}

} // namespace

EtcdMutex::EtcdMutex(EtcdClient *client, const QByteArray &name, int ttlSeconds, QObject *parent)
    : QObject(parent)
    , m_client(client)
    , m_name(name)
    , m_ttlSeconds(qMax(ttlSeconds, 2))
{
    m_keepAlive.setInterval(qMax(500, m_ttlSeconds * 1000 / 3));
    connect(&m_keepAlive, &QTimer::timeout, this, &EtcdMutex::keepAlive);
    m_poll.setInterval(kTurnPollMs);
    connect(&m_poll, &QTimer::timeout, this, &EtcdMutex::checkTurn);
}

EtcdMutex::~EtcdMutex() = default;

void EtcdMutex::fail(const QString &why)
{
    m_poll.stop();
    if (!m_done) {
        m_done = true;
        Q_EMIT failed(why);
    }
}

void EtcdMutex::loseLock(const QString &why)
{
    m_poll.stop();
    m_keepAlive.stop();
    const bool wasHeld = m_held;
    m_held = false;
    if (wasHeld)
        Q_EMIT lost(why);
    else
        fail(why);
}

void EtcdMutex::acquire()
{
    m_client->call(QStringLiteral("/v3/lease/grant"), QJsonObject{{QStringLiteral("TTL"), QString::number(m_ttlSeconds)}}, this,
                   [this](const EtcdReply &reply) {
        if (!reply.ok) {
            fail(QStringLiteral("cannot get a lease: %1").arg(reply.error));
            return;
        }
        m_lease = EtcdClient::integer(reply.json.value(QStringLiteral("ID")));
        m_sinceRenewed.start();
        m_keepAlive.start();
        putKey();
    });
}

void EtcdMutex::putKey()
{
    const QByteArray prefix = m_name + '/';
    m_key = prefix + etcdrecipes::leaseHex(m_lease).toLatin1();
    const QString key = EtcdClient::base64(m_key);
    const QJsonObject owner{{QStringLiteral("key"), EtcdClient::base64(prefix)},
                            {QStringLiteral("range_end"), EtcdClient::base64(EtcdClient::prefixEnd(prefix))},
                            {QStringLiteral("sort_order"), QStringLiteral("ASCEND")},
                            {QStringLiteral("sort_target"), QStringLiteral("CREATE")},
                            {QStringLiteral("limit"), QStringLiteral("1")}};
    // concurrency.Mutex.Lock: put our key if it is not there yet, and read the oldest contender.
    const QJsonObject body{
        {QStringLiteral("compare"), QJsonArray{QJsonObject{{QStringLiteral("key"), key},
                                                           {QStringLiteral("target"), QStringLiteral("CREATE")},
                                                           {QStringLiteral("result"), QStringLiteral("EQUAL")},
                                                           {QStringLiteral("create_revision"), QStringLiteral("0")}}}},
        {QStringLiteral("success"), QJsonArray{keyOp("request_put", QJsonObject{{QStringLiteral("key"), key},
                                                                                {QStringLiteral("value"), QString()},
                                                                                {QStringLiteral("lease"), QString::number(m_lease)}}),
                                               keyOp("request_range", owner)}},
        {QStringLiteral("failure"), QJsonArray{keyOp("request_range", QJsonObject{{QStringLiteral("key"), key}}), keyOp("request_range", owner)}}};
    m_client->call(QStringLiteral("/v3/kv/txn"), body, this, [this](const EtcdReply &reply) {
        if (!reply.ok) {
            fail(QStringLiteral("cannot queue for %1: %2").arg(escapeBytes(m_name), reply.error));
            return;
        }
        const QJsonArray responses = reply.json.value(QStringLiteral("responses")).toArray();
        const auto kvs = [&](int i) {
            return responses.at(i).toObject().value(QStringLiteral("response_range")).toObject().value(QStringLiteral("kvs")).toArray();
        };
        if (reply.json.value(QStringLiteral("succeeded")).toBool())
            m_revision = EtcdClient::integer(reply.json.value(QStringLiteral("header")).toObject().value(QStringLiteral("revision")));
        else
            m_revision = etcdrecipes::keyFromJson(kvs(0).at(0).toObject()).createRevision;
        const QJsonArray owners = kvs(1);
        const etcdrecipes::EtcdKey oldest = etcdrecipes::keyFromJson(owners.at(0).toObject());
        if (owners.isEmpty() || oldest.createRevision == m_revision) {
            m_held = true;
            Q_EMIT acquired();
            return;
        }
        Q_EMIT queued(oldest.key);
        m_poll.start();
    });
}

void EtcdMutex::checkTurn()
{
    if (!m_poll.isActive() || m_done)
        return;
    m_poll.stop();
    const QByteArray prefix = m_name + '/';
    const QJsonObject older{{QStringLiteral("key"), EtcdClient::base64(prefix)},
                            {QStringLiteral("range_end"), EtcdClient::base64(EtcdClient::prefixEnd(prefix))},
                            {QStringLiteral("max_create_revision"), QString::number(m_revision - 1)},
                            // Go's waitDeletes: the newest older contender. (A count would not do:
                            // etcd counts the keys in the range before the revision filter.)
                            {QStringLiteral("sort_target"), QStringLiteral("CREATE")},
                            {QStringLiteral("sort_order"), QStringLiteral("DESCEND")},
                            {QStringLiteral("limit"), QStringLiteral("1")},
                            {QStringLiteral("keys_only"), true}};
    m_client->call(QStringLiteral("/v3/kv/range"), older, this, [this](const EtcdReply &reply) {
        if (m_done)
            return;
        if (!reply.ok && !reply.transport) {
            fail(QStringLiteral("cannot read the queue of %1: %2").arg(escapeBytes(m_name), reply.error));
            return;
        }
        if (!reply.ok || !reply.json.value(QStringLiteral("kvs")).toArray().isEmpty()) {
            m_poll.start();
            return;
        }
        // Every older contender is gone: ours, if our key is still there (the Go client checks too).
        m_client->call(QStringLiteral("/v3/kv/range"), QJsonObject{{QStringLiteral("key"), EtcdClient::base64(m_key)}}, this,
                       [this](const EtcdReply &mine) {
            if (m_done)
                return;
            if (!mine.ok) {
                m_poll.start();
                return;
            }
            if (mine.json.value(QStringLiteral("kvs")).toArray().isEmpty()) {
                fail(QStringLiteral("our key %1 was deleted while queueing (lease expired or key force-released)").arg(escapeBytes(m_key)));
                return;
            }
            m_held = true;
            Q_EMIT acquired();
        });
    });
}

void EtcdMutex::keepAlive()
{
    // Not renewed for two thirds of the TTL: etcd may expire the lease any moment now, and a
    // holder that cannot prove it holds must stop.
    if (m_sinceRenewed.elapsed() > qint64(m_ttlSeconds) * 2000 / 3) {
        loseLock(QStringLiteral("lease %1 not renewed for %2 s (etcd out of reach); it may have expired")
                     .arg(etcdrecipes::leaseHex(m_lease))
                     .arg(m_sinceRenewed.elapsed() / 1000));
        return;
    }
    m_client->call(QStringLiteral("/v3/lease/keepalive"), QJsonObject{{QStringLiteral("ID"), QString::number(m_lease)}}, this,
                   [this](const EtcdReply &reply) {
        if (!reply.ok || !m_keepAlive.isActive())
            return;         // out of reach: the next tick decides
        const qint64 ttl = EtcdClient::integer(reply.json.value(QStringLiteral("result")).toObject().value(QStringLiteral("TTL")));
        if (ttl <= 0) {
            loseLock(QStringLiteral("lease %1 was revoked or expired").arg(etcdrecipes::leaseHex(m_lease)));
            return;
        }
        m_sinceRenewed.restart();
        if (!m_held)
            return;
        m_client->call(QStringLiteral("/v3/kv/range"), QJsonObject{{QStringLiteral("key"), EtcdClient::base64(m_key)}}, this,
                       [this](const EtcdReply &mine) {
            if (mine.ok && m_held && mine.json.value(QStringLiteral("kvs")).toArray().isEmpty())
                loseLock(QStringLiteral("our key %1 was deleted by someone else (force-released)").arg(escapeBytes(m_key)));
        });
    });
}

void EtcdMutex::release()
{
    m_poll.stop();
    m_keepAlive.stop();
    m_held = false;
    m_done = true;
    if (m_lease == 0) {
        QMetaObject::invokeMethod(this, &EtcdMutex::released, Qt::QueuedConnection);
        return;
    }
    // concurrency.Mutex.Unlock deletes the key; closing the session revokes the lease.
    m_client->call(QStringLiteral("/v3/kv/deleterange"), QJsonObject{{QStringLiteral("key"), EtcdClient::base64(m_key)}}, this,
                   [this](const EtcdReply &) {
        m_client->call(QStringLiteral("/v3/lease/revoke"), QJsonObject{{QStringLiteral("ID"), QString::number(m_lease)}}, this,
                       [this](const EtcdReply &) { Q_EMIT released(); });
    });
}

} // namespace fulcrum
