#pragma once

#include <QByteArray>
#include <QElapsedTimer>
#include <QList>
#include <QObject>
#include <QPointer>
#include <QTimer>

#include <functional>

namespace fulcrum {

class RedisConnection;
struct RedisReply;

struct LockOptions
{
    qint64 ttlMs = 30'000;
    qint64 waitMs = 0;                  // keep retrying this long; 0 = one attempt
    int maxAttempts = 1000;             // bound on attempts even with a long wait
    qint64 retryDelayMinMs = 20;        // random pause between attempts, so contenders spread out
    qint64 retryDelayMaxMs = 200;
};

// A lock this process holds. The token is 128 random bits; the value stored in Redis is
// "<token>:<fence>", which is how the inspector recognises Fulcrum's own locks.
struct LockHandle
{
    QByteArray key;
    QByteArray token;                   // "fulcrum:<32 hex digits>"
    qint64 fence = 0;                   // strictly increasing per key on a single master
    qint64 validityMs = 0;              // how long the lock is safe to rely on, from acquiredAt
    qint64 acquiredAtMs = 0;            // LockClient's monotonic clock

    bool isValid() const { return !token.isEmpty(); }
};

struct LockResult
{
    bool acquired = false;
    bool heldByOther = false;           // false + !acquired = Redis could not be asked (see error)
    LockHandle handle;
    QString error;
};

struct LockOperationResult
{
    bool ok = false;                    // released / extended on a quorum of masters
    bool notHolder = false;             // the lock is gone or someone else holds it now
    int masters = 0;                    // on how many masters it worked
    qint64 validityMs = 0;              // extend: new validity
    QString error;
};

// The correct version of "SET NX in a loop, DEL to release": SET NX PX with a random token,
// bounded retries with random backoff, compare-and-delete release and compare-and-pexpire extend
// in Lua, a fencing token from INCR in the same script as the SET. With more than one master it
// is Redlock: quorum N/2+1, validity = ttl − elapsed − (0.01·ttl + 2 ms), and after a failed
// attempt the lock is released on every master.
class LockClient : public QObject
{
    Q_OBJECT
public:
    explicit LockClient(QList<RedisConnection *> masters, QObject *parent = nullptr);

    void acquire(const QByteArray &key, const LockOptions &options, std::function<void(const LockResult &)> done);
    void release(const LockHandle &handle, std::function<void(const LockOperationResult &)> done);
    void extend(const LockHandle &handle, qint64 ttlMs, std::function<void(const LockOperationResult &)> done);

    int quorum() const { return int(m_masters.size()) / 2 + 1; }
    qint64 nowMs() const { return m_clock.elapsed(); }

    static QByteArray newToken();
    // Companion key with the fencing counter: "fulcrum:fence:{KEY}", whose hash tag puts it in the
    // lock key's cluster slot when KEY has no {tag} of its own.
    static QByteArray fenceKey(const QByteArray &key);
    // In a Redis Cluster, where both keys must share a slot: for KEY with a {tag} of its own,
    // "fulcrum:fence:{TAG}:KEY"; otherwise fenceKey(). (Single masters keep fenceKey() for every
    // key, so existing counters go on.)
    static QByteArray clusterFenceKey(const QByteArray &key);
    // In a cluster, a MOVED reply (the key's slot went to another master, a resharding) makes the
    // connection read the map again and reconnect, and the command is sent once more there.
    void setCluster(bool cluster) { m_cluster = cluster; }

    static const QByteArray acquireScript;
    static const QByteArray releaseScript;
    static const QByteArray extendScript;

private:
    struct Attempt;
    void runAttempt(std::shared_ptr<Attempt> attempt);
    void finishAttempt(std::shared_ptr<Attempt> attempt);
    void send(RedisConnection *master, const QList<QByteArray> &command, std::function<void(const RedisReply &)> callback);
    // Runs one compare-and-X script on every master and counts where it worked.
    void runOnAll(const QList<QByteArray> &command, int quorum, std::function<void(const LockOperationResult &)> done);

    QList<QPointer<RedisConnection>> m_masters;
    bool m_cluster = false;
    QElapsedTimer m_clock;
};

// Renews a held lock every ttl/3 until stopped. Emits lost() when the lock is no longer ours or
// could not be renewed before it would have expired: whoever relies on it must stop at once.
class LockWatchdog : public QObject
{
    Q_OBJECT
public:
    LockWatchdog(LockClient *client, LockHandle handle, qint64 ttlMs, QObject *parent = nullptr);

    void start();
    void stop();
    const LockHandle &handle() const { return m_handle; }

Q_SIGNALS:
    void renewed(qint64 validityMs);
    void lost(const QString &why);

private:
    void renew();

    QPointer<LockClient> m_client;
    LockHandle m_handle;
    qint64 m_ttlMs;
    qint64 m_safeUntilMs = 0;
    bool m_inFlight = false;
    QTimer m_timer;
};

} // namespace fulcrum
