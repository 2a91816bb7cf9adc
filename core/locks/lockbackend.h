#pragma once

#include "locks/lockinfo.h"

#include <QObject>
#include <QString>
#include <QStringList>

#include <functional>
#include <optional>

namespace fulcrum {

// What a lock backend can tell and do; the console hides columns a backend does not have and
// the release dialog explains a release in these words.
struct LockBackendCapabilities
{
    QString backend;                // "redis", "zookeeper"
    QString displayName;            // "Redis", "ZooKeeper"
    bool ttl = false;               // locks expire (TTL, lease)
    bool waiters = false;           // contenders queue visibly behind the holder
    bool sessions = false;          // holders have a session or connection the backend names
    bool clientAddress = false;     // the backend can say where a holder connects from
    bool askHolder = false;         // some locks can be asked to release (Curator's Revoker)
    bool revokeSession = false;     // a holder's session (etcd lease) can be ended, which frees the lock and tells the holder
    QStringList kinds;              // the recipes it recognises
    QString releaseEffect;          // one paragraph: what a force-release does, to whom
    QString revokeEffect;           // one paragraph: what revoking the holder's session does, to whom
    QString askEffect;              // one paragraph: what asking does where it is not Curator's Revoker (PostgreSQL: cancel the query)
};

enum class LockBackendState { NotStarted, Connecting, Connected, WaitingToReconnect, Disconnected };
QString lockBackendStateText(LockBackendState state);

// An operator's release: "this holder of this lock", as the table showed them.
struct LockReleaseRequest
{
    // Delete: the holder's key or node. AskHolder: Curator's Revoker. RevokeSession: end the
    // holder's session (etcd: revoke its lease, which deletes every key on it).
    enum Mode { Delete, AskHolder, RevokeSession } mode = Delete;
    QByteArray key;                 // the lock's name as listed
    QByteArray holder;              // the row's `holder`: nothing happens unless it still holds
};

struct ForceReleaseResult
{
    enum Outcome { Released, HolderChanged, Gone, Failed, Asked } outcome = Failed;
    QByteArray currentHolder;       // HolderChanged: who holds it now
    QString message;                // one line for a person
};
QString forceReleaseOutcomeName(ForceReleaseResult::Outcome outcome);
// "delete", "ask", "revoke": the admin API's and the audit's names of a release mode.
QString lockReleaseModeName(LockReleaseRequest::Mode mode);
std::optional<LockReleaseRequest::Mode> lockReleaseModeFromName(const QString &name);

// One lock read whole (LockBackend::inspect): the row, or why not.
struct LockInspection
{
    std::optional<LockInfo> lock;
    bool gone = false;              // no such lock (any more): not an error of the endpoint
    QString error;                  // one line for a person when there is no row
};

// How an endpoint's table keeps current: re-read whole on a timer (polling), or read once and
// then followed through the backend's change stream (live: Redis keyspace notifications), or
// being read whole again because the stream was lost (resyncing).
struct LockFeedState
{
    enum Mode { Polling, Live, Resyncing } mode = Polling;
    QString why{};                  // polling or resyncing: why, in one line for a person
    QString needs{};                // what the server needs for live ("notify-keyspace-events Kg$hxe"); empty when nothing
    bool canEnable = false;         // an explicit, audited enable would make it live (Redis: CONFIG SET)
    QDateTime liveSince{};          // live: when the stream was (re)established and the first pass done (UTC)
    qint64 eventsApplied = 0;       // live: change notifications applied since liveSince
    friend bool operator==(const LockFeedState &, const LockFeedState &) = default;
    // The same mode, reason and enable offer: what a table shows of its feed. The change count
    // alone moves with every notification and is not worth publishing a table again.
    bool sameShownState(const LockFeedState &other) const
    {
        return mode == other.mode && why == other.why && canEnable == other.canEnable;
    }
};
QString lockFeedModeName(LockFeedState::Mode mode);     // "polling", "live", "resyncing"

// One lock endpoint of any backend: one connection (with its own reconnects), one inspection
// pass at a time, compare-first release. It knows nothing of the engine and writes no audit
// log: the lock service above it polls, audits and reports (core/engine/lockservice.h).
// Everything is asynchronous on the thread the backend lives in.
class LockBackend : public QObject
{
    Q_OBJECT
public:
    using QObject::QObject;

    virtual LockBackendCapabilities capabilities() const = 0;
    // Where it points, never with a secret: redis://host:6379/0, zookeeper://h1:2181,h2:2181/chroot
    virtual QString url() const = 0;

    // Connects, and reconnects by itself after a loss until destroyed.
    virtual void open() = 0;
    virtual LockBackendState state() const = 0;
    bool isConnected() const { return state() == LockBackendState::Connected; }

    // Starts one pass; does nothing while one runs or when not connected.
    virtual void scan() = 0;
    // Stops the running pass; no scanFinished follows.
    virtual void cancelScan() = 0;
    virtual bool isScanning() const = 0;
    // While a pass runs over several nodes at once (a Cluster's masters): how far each is, in
    // one line for a person ("0-5460 done · 5461-10922 98000 keys · …"); empty otherwise.
    virtual QString passProgressDetail() const { return {}; }
    // The table as it is now: the last pass, with the changes a live feed applied since.
    virtual const LockScanResult &lastResult() const = 0;

    // Polling, live or resyncing, and why. The default: polled, the backend has no change stream.
    virtual LockFeedState feedState() const;
    // The audited "enable" action: turns the server's change notifications on (Redis: CONFIG SET
    // notify-keyspace-events, merged with what is set). Nothing else ever changes a server's
    // settings. `done` runs once on this thread. The default: this backend has nothing to enable.
    virtual void enableNotifications(std::function<void(bool ok, const QString &message)> done);

    // Reads one lock whole, now. A pass may list a lock's waiters by name only (a ZooKeeper pass
    // over more waiters than its waiter_details budget); this reads each waiter's who, session
    // and queued-at too. `done` runs once on this thread, never after the backend is destroyed.
    // The default answers from the last pass.
    virtual void inspect(const QByteArray &key, std::function<void(const LockInspection &)> done);

    // Compare-and-release: nothing is changed unless request.holder still holds request.key.
    // `done` runs once on this thread, also when the backend is destroyed first (Failed).
    virtual void release(const LockReleaseRequest &request, std::function<void(const ForceReleaseResult &)> done) = 0;

Q_SIGNALS:
    void connected();
    // A connection, password or protocol failure; repeated reconnect failures repeat it.
    void errorOccurred(const QString &message);
    void progress(qint64 scanned, int locksFound);
    void scanFinished(const fulcrum::LockScanResult &result);
    // The pass lost its connection; it resumes from the start when the connection is back.
    void scanInterrupted(const QString &why);
    // The server refused the pass itself (an ACL without SCAN, a NOAUTH on a lock root).
    void scanFailed(const QString &why);
    // Where the locks live changed: a Cluster's map was read or changed (failover, resharding),
    // Sentinel named a new master. One line for the engine's events.
    void topologyChanged(const QString &message);
    // A live feed applied changes to the table (lastResult() has them already).
    void rowsChanged(const fulcrum::LockChanges &changes);
    // feedState() changed: live, back to polling, resyncing.
    void feedChanged(const fulcrum::LockFeedState &feed);
};

} // namespace fulcrum

Q_DECLARE_METATYPE(fulcrum::LockFeedState)
