#pragma once

#include "config/config.h"
#include "locks/lockbackend.h"

#include <QTimer>

#include <functional>
#include <memory>
#include <vector>

namespace fulcrum {

class RedisConnection;
class RedisLockInspector;
class RedisSentinelWatch;
class RedisKeyspaceFeed;

// One Redis (a node, a node behind a proxy, or the master a group of Sentinels names) as a
// lock endpoint: a RedisConnection that reconnects by itself, a RedisLockInspector for the
// passes, and the compare-and-delete script for releases. Behind Sentinel, every connection
// attempt asks the sentinels for the master first, and a +switch-master (or a changed answer to
// the periodic check) reconnects to the new master at once.
class RedisLockBackend final : public LockBackend
{
    Q_OBJECT
public:
    // sentinelPassword: the sentinels' own, for a Sentinel endpoint (config.sentinelUser's).
    RedisLockBackend(const RedisEndpointConfig &config, const QByteArray &password, QObject *parent = nullptr,
                     const QByteArray &sentinelPassword = {});
    ~RedisLockBackend() override;

    static LockBackendCapabilities redisCapabilities();
    LockBackendCapabilities capabilities() const override;
    QString url() const override;
    void open() override;
    LockBackendState state() const override;
    void scan() override;
    void cancelScan() override;
    bool isScanning() const override;
    const LockScanResult &lastResult() const override;
    LockFeedState feedState() const override;
    void enableNotifications(std::function<void(bool ok, const QString &message)> done) override;
    void release(const LockReleaseRequest &request, std::function<void(const ForceReleaseResult &)> done) override;

    // "Test connection": connects once (no retries) and PINGs; `done` runs once on `context`'s thread.
    static void probe(const RedisEndpointConfig &config, const QByteArray &password, QObject *context,
                      std::function<void(bool ok, const QString &message)> done);

private:
    struct PendingRelease;

    // Keyspace notifications (notifications: auto | require): asked of the server on every
    // connect and every minute; followed when it publishes what is needed.
    bool canGoLive(QString *why) const;
    void checkNotifications();
    void startFeed(const QString &note);
    void stopFeed(const LockFeedState &polling);
    void setFeed(LockFeedState feed);

    RedisEndpointConfig m_config;
    RedisConnection *m_connection = nullptr;
    RedisLockInspector *m_inspector = nullptr;
    RedisSentinelWatch *m_sentinel = nullptr;
    std::vector<std::shared_ptr<PendingRelease>> m_releases;
    RedisKeyspaceFeed *m_feed = nullptr;
    LockFeedState m_feedState;
    QString m_feedNote;                 // said while live (CONFIG GET refused under require)
    bool m_resyncPass = false;          // the pass running was started by a (re)subscription
    QString m_subscribeRefused;         // PSUBSCRIBE refused (ACL): not asked again until reconnected
    QString m_requireReported;          // the last "require" error emitted, reported once
    QTimer *m_notifyCheck = nullptr;
};

} // namespace fulcrum
