#pragma once

#include "config/config.h"
#include "locks/etcd/etcdclient.h"
#include "locks/etcd/etcdrecipes.h"
#include "locks/livelocktable.h"
#include "locks/lockbackend.h"
#include "locks/lockobservations.h"
#include "locks/pendingreleases.h"

#include <QHash>
#include <QSet>

#include <functional>
#include <memory>

class QTimer;

namespace fulcrum {

// One etcd cluster as a lock endpoint: passes that read the configured prefixes in pages (at
// one revision), keep only keys shaped like the Go client's lock and election contenders,
// then look up the holders' leases several at a time; releases that delete the holder's key
// or revoke its lease, each only while the key still has the create revision read. Live
// (watch: true): after a pass, a watch on the prefixes from the pass's revision; each change
// names a key, and the locks it touches are read again, batched in one transaction per tick.
class EtcdLockBackend final : public LockBackend
{
    Q_OBJECT
public:
    EtcdLockBackend(const EtcdEndpointConfig &config, const QByteArray &password, QObject *parent = nullptr);
    ~EtcdLockBackend() override;

    static LockBackendCapabilities etcdCapabilities();
    LockBackendCapabilities capabilities() const override { return etcdCapabilities(); }
    QString url() const override { return m_config.url(); }
    void open() override;
    LockBackendState state() const override { return m_state; }
    void scan() override;
    void cancelScan() override;
    bool isScanning() const override { return m_pass != nullptr; }
    const LockScanResult &lastResult() const override;
    LockFeedState feedState() const override;
    void release(const LockReleaseRequest &request, std::function<void(const ForceReleaseResult &)> done) override;

    // "Test connection": one status request (after auth) through the members in turn; `done`
    // runs once on `context`'s thread.
    static void probe(const EtcdEndpointConfig &config, const QByteArray &password, QObject *context,
                      std::function<void(bool ok, const QString &message)> done);

    static EtcdClient::Options clientOptions(const EtcdEndpointConfig &config, const QByteArray &password);

private:
    struct Pass;

    void connectNow();
    void lose(const EtcdReply &reply);
    void startPass();
    void readPage(int range, const QByteArray &from);
    void lookUpLeases();
    void maybeFinish();
    void finishPass();
    void readLock(const QByteArray &name, QObject *context, std::function<void(const EtcdReply &, const std::optional<LockInfo> &)> done);
    void deleteHolder(const std::shared_ptr<PendingRelease> &pending, const LockInfo &current);
    void revokeLease(const std::shared_ptr<PendingRelease> &pending, const LockInfo &current);

    // Live: the watch, the locks to read again, the table.
    void startWatch(qint64 fromRevision);
    qint64 resumeRevision() const;
    void onWatchResult(const QJsonObject &result);
    void onWatchEnded(const QString &why);
    void resync(const QString &why);
    void setFeed(LockFeedState feed);
    void markDirty(const QByteArray &key);
    void scheduleLiveRead();
    void readLive();
    void applyLiveLock(const QByteArray &name, std::optional<LockInfo> row, quint64 generation);
    void liveReadsDone(int count);

    EtcdEndpointConfig m_config;
    EtcdClient *m_client = nullptr;
    LockBackendState m_state = LockBackendState::NotStarted;
    std::unique_ptr<Pass> m_pass;
    quint64 m_generation = 0;
    bool m_resumeWanted = false;
    int m_restarts = 0;
    LockScanResult m_lastResult;
    LockObservations m_observations;
    PendingReleases m_releases;

    bool m_tableActive = false;                 // live: lastResult() is the table, not the last pass
    LiveLockTable m_table;
    WatchedFeed m_feed;
    EtcdWatchStream *m_watch = nullptr;
    int m_watchesWanted = 0;
    int m_watchesCreated = 0;
    qint64 m_fromRevision = 0;                  // the watch replays changes from here
    QHash<qint64, qint64> m_watchRevisions;     // watch id → every change up to here is in the table
    QSet<QByteArray> m_dirty;                   // lock names to read again
    QSet<QByteArray> m_changedDuringPass;
    bool m_liveReadScheduled = false;
    int m_liveReading = 0;                      // lock reads of the batch in flight
    quint64 m_liveGeneration = 0;               // reads of an older table are dropped
    QTimer *m_watchRetry = nullptr;
};

} // namespace fulcrum
