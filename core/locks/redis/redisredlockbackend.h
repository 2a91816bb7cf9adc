#pragma once

#include "config/config.h"
#include "locks/lockbackend.h"
#include "locks/lockobservations.h"
#include "locks/pendingreleases.h"
#include "locks/redis/redisreply.h"

#include <QElapsedTimer>
#include <QHash>

#include <functional>
#include <memory>
#include <vector>

namespace fulcrum {

class RedisMasterFeeds;
class RedisNodeSet;

// One Redlock row from what each master holds under one name: the pure merge rule, tested
// without servers (tst_redlockmerge) and with them (tst_redisredlock).
struct RedlockCopy
{
    QString master;                 // "host:port"
    LockInfo lock;                  // that master's row for the key
};
// quorum = N/2+1. The holder is the token on a quorum of masters; Redisson locks taken through
// separate Redisson clients (RedissonRedLock) carry a different client UUID on each master, so
// those agree when a quorum has the same thread id. Flags: RedlockSplit (no quorum and several
// tokens), RedlockMinority (a token on fewer than a quorum: the only one, or beside the
// majority's), TtlSkew (the majority's TTLs differ by more than 1 % of the TTL + `slackMs`).
LockInfo mergeRedlockCopies(const QByteArray &key, const QList<RedlockCopy> &copies, int masters, qint64 slackMs);

// Redlock over independent masters (redsync, node-redlock, Redisson's RedissonRedLock): every
// master is read at once, each name becomes one row with the token and TTL on each master, the
// majority holder and the split / leftover / skew flags. A release compares and deletes the
// token each master was shown holding, on every master, and reports each master's outcome.
// Live, as a Cluster is: one keyspace subscription per master; a master's change to a name is
// merged with the other masters' copies of that name again, so the row's holder, quorum and
// flags change as the masters do.
class RedisRedlockBackend final : public LockBackend
{
    Q_OBJECT
public:
    RedisRedlockBackend(const RedisEndpointConfig &config, const QByteArray &password = {}, QObject *parent = nullptr);
    ~RedisRedlockBackend() override;

    LockBackendCapabilities capabilities() const override;
    QString url() const override;
    void open() override;
    LockBackendState state() const override;
    void scan() override;
    void cancelScan() override;
    bool isScanning() const override;
    const LockScanResult &lastResult() const override;
    LockFeedState feedState() const override;
    // CONFIG SET notify-keyspace-events (merged) on every master; audited by the lock service.
    void enableNotifications(std::function<void(bool ok, const QString &message)> done) override;
    void release(const LockReleaseRequest &request, std::function<void(const ForceReleaseResult &)> done) override;

private:
    void passFinished();
    // Live: one master's change set, each name merged again over every master's copy.
    void nodeRowsChanged(const QString &master, const LockChanges &changes);
    // The copies' TTLs counted down to now (each from when it was read), then merged.
    LockInfo mergeAsOfNow(const QByteArray &key, const QList<RedlockCopy> &copies) const;

    RedisEndpointConfig m_config;
    RedisNodeSet *m_nodes = nullptr;
    bool m_wanted = false;
    bool m_scanning = false;
    QElapsedTimer m_passClock;
    LockObservations m_observations;
    LockScanResult m_last;
    // What each master holds under each name, in the masters' order, as the table shows it (the
    // last pass, and while live every change since): a release compares these.
    QHash<QByteArray, QList<RedlockCopy>> m_shown;
    qint64 m_slackMs = 50;              // TTLs of one token may differ this much without a skew
    PendingReleases m_releases;

    RedisMasterFeeds *m_feeds = nullptr;       // one keyspace subscription per master, and the live table
};

} // namespace fulcrum
