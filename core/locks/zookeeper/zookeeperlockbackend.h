#pragma once

#include "config/config.h"
#include "locks/lockbackend.h"
#include "locks/livelocktable.h"
#include "locks/lockobservations.h"
#include "locks/pendingreleases.h"
#include "locks/zookeeper/zkclient.h"
#include "locks/zookeeper/zkrecipes.h"

#include <QSet>

#include <functional>
#include <memory>
#include <set>

namespace fulcrum {

// One ZooKeeper ensemble as a lock endpoint: a ZkClient session, passes that walk the
// configured lock roots (pipelined reads, depth and node limits) and recognise Curator's and
// Kazoo's recipes, and releases that delete exactly the holder's znode at the version read.
// Live (watch: true): every folder a pass reads gets a child watch and every contender a data
// watch; a watch that fires makes its folder be read again (a partial pass over that folder,
// and down into folders that are new), and re-arms it, as ZooKeeper's one-shot watches need.
// A new session (the old one expired, and its watches with it) is read whole again.
class ZooKeeperLockBackend final : public LockBackend
{
    Q_OBJECT
public:
    ZooKeeperLockBackend(const ZooKeeperEndpointConfig &config, const QByteArray &password, QObject *parent = nullptr);
    ~ZooKeeperLockBackend() override;

    // clientAddress: whether "cons" may tell where holders connect from.
    static LockBackendCapabilities zooKeeperCapabilities(bool clientAddress = true);
    LockBackendCapabilities capabilities() const override;
    QString url() const override { return m_config.url(); }
    void open() override;
    LockBackendState state() const override { return m_state; }
    void scan() override;
    void cancelScan() override;
    bool isScanning() const override;
    const LockScanResult &lastResult() const override;
    LockFeedState feedState() const override;
    void inspect(const QByteArray &key, std::function<void(const LockInspection &)> done) override;
    void release(const LockReleaseRequest &request, std::function<void(const ForceReleaseResult &)> done) override;

    // "Test connection": one session, an exists() on every lock root, then closed; `done` runs
    // once on `context`'s thread within the session timeout (plus a little).
    static void probe(const ZooKeeperEndpointConfig &config, const QByteArray &password, QObject *context,
                      std::function<void(bool ok, const QString &message)> done);

private:
    struct Pass;

    void setState(LockBackendState state);
    void startPass(const QSet<QByteArray> &partialRoots = {});
    void interruptPass(const QString &why);
    void readNextFolders();
    void readLockFolder(const QByteArray &path, int depth, const std::optional<QList<QByteArray>> &names);
    QSet<QByteArray> waitersLeftUnread(const QByteArray &path, const QList<QByteArray> &names);
    void fillWaiters(LockInfo &row, const QSet<QByteArray> &unread);
    // Reads lock `key` whole, as a release must: rc, the row (nullopt: no lock), and the folder
    // holding its holder's node with that folder's path.
    void readLockNow(const QByteArray &key,
                     std::function<void(int rc, const std::optional<LockInfo> &lock, const QList<ZkNode> &holderFolder,
                                        const QByteArray &holderFolderPath)> done);
    void addRow(std::optional<LockInfo> row);
    void addNote(const QByteArray &key, const QString &text);
    bool failed(int rc, const QByteArray &path, bool isRoot);
    void maybeFinish();
    void finishPass();
    void deleteHolder(const std::shared_ptr<PendingRelease> &pending, const LockInfo &current, const QList<ZkNode> &holderFolder,
                      const QByteArray &holderFolderPath);
    void askHolder(const std::shared_ptr<PendingRelease> &pending, const LockInfo &current, const QList<ZkNode> &holderFolder,
                   const QByteArray &holderFolderPath);

    ZooKeeperEndpointConfig m_config;
    ZkClient *m_client = nullptr;
    LockBackendState m_state = LockBackendState::NotStarted;
    std::unique_ptr<Pass> m_pass;
    quint64 m_generation = 0;
    bool m_resumeWanted = false;
    int m_restarts = 0;
    bool m_consRefused = false;
    LockScanResult m_lastResult;
    LockObservations m_observations;
    zkrecipes::ZkHandOverHistory m_handOvers;

    // Live: watches armed ("c" + path: children, "e" + path: data or exists), folders to read again.
    ZkClient::WatchCallback watchFolder(const QByteArray &path, const QByteArray &owner);
    ZkClient::WatchCallback watchNode(const QByteArray &path, const QByteArray &owner);
    ZkClient::WatchCallback arm(const QByteArray &key, const QByteArray &owner);
    void folderChanged(const QByteArray &owner);
    void scheduleLiveRead();
    void finishPartialPass(std::unique_ptr<Pass> pass);
    void setFeed(LockFeedState feed);
    int depthOf(const QByteArray &path) const;
    bool m_tableActive = false;
    LiveLockTable m_table;
    WatchedFeed m_feed;
    QDateTime m_liveSince;
    QSet<QByteArray> m_armed;
    QHash<QByteArray, QByteArray> m_partOwner;  // a semaphore's part folder → the folder whose row it is
    std::set<QByteArray> m_folders;             // every folder the table was read from
    QSet<QByteArray> m_dirty;
    bool m_liveReadScheduled = false;
    QString m_session;
    QHash<QString, QString> m_addressBySession; // the last full pass's "cons"
    QList<QByteArray> m_roots;
    // Waiters' who/session/queued-at by znode path, as the last pass (or an inspect) read them:
    // a waiter node never changes its session or ctime, so a pass need not read it again.
    QHash<QByteArray, LockWaiter> m_waiterCache;
    PendingReleases m_releases;
};

// One folder as a pass reads it: its children, and the names below those that are folders.
struct ZkFolder
{
    QList<ZkNode> children;
    QHash<QByteArray, QList<QByteArray>> subfolderNames;    // child name → its own children's names
};

// Reads the children `names` of a folder, pipelined, one request each: those whose data a row
// can show (zkrecipes::isDataShown) with get; every other one with getChildren2, which gives its
// Stat (data left empty) and, when it is a folder, the names that spare reading it a second
// time on the way down. Names in `namesOnly` are not read at all: they come back with their
// name only (waiters a pass lists by name). A child that vanishes meanwhile is left out; `done` gets the first
// other failure, or Ok. Data is cut to maxData bytes (what a row shows), so a pass's memory
// stays bounded.
// `watchFor` (optional): the watch to set on each child as it is read: a data watch on those
// read with get (`data` true), a child watch on those read with getChildren2.
using ZkWatchFor = std::function<ZkClient::WatchCallback(const QByteArray &path, bool data)>;
void readZkChildren(ZkClient *client, QObject *context, const QByteArray &path, const QList<QByteArray> &names,
                    std::function<void(int rc, const ZkFolder &folder)> done, int maxData = 1024,
                    const QSet<QByteArray> &namesOnly = {}, const ZkWatchFor &watchFor = {});
// The folder's names (getChildren, with the child watch `watchFor` gives for it), then readZkChildren.
void readZkFolder(ZkClient *client, QObject *context, const QByteArray &path,
                  std::function<void(int rc, const ZkFolder &folder)> done, int maxData = 1024, const ZkWatchFor &watchFor = {});

} // namespace fulcrum
