#pragma once

#include "locks/livelocktable.h"
#include "locks/lockinfo.h"
#include "locks/lockobservations.h"
#include "locks/redis/redisreply.h"

#include <QElapsedTimer>
#include <QHash>
#include <QObject>
#include <QPointer>
#include <QSet>
#include <QStringList>
#include <QTimer>

#include <map>
#include <utility>

class QThread;

namespace fulcrum {

class RedisConnection;
struct RedisConnectionOptions;
struct RedisEndpointConfig;

struct RedisLockInspectorOptions
{
    // lock_patterns, long_held and scan_count of an endpoint.
    static RedisLockInspectorOptions fromConfig(const RedisEndpointConfig &config);

    QStringList patterns{QStringLiteral("lock:*"), QStringLiteral("*:lock:*")};
    int scanCount = 1000;               // SCAN COUNT: keys the server looks at per call (~0.7 ms of Redis at 1 M keys)
    int maxKeysInFlight = 10'000;       // SCAN waits while this many keys are still being read
    qint64 longHeldMs = 60'000;         // flag a holder seen longer than this
    int churnChanges = 3;               // flag this many holder changes ...
    qint64 churnWindowMs = 60'000;      // ... within this window
    // Observe rows over passes (first seen, held for, holder changes). Off where the rows are
    // merged from several inspectors and observed once there (Cluster, Redlock).
    bool observe = true;
    // Read values with GET per key instead of one MGET per batch: a Redis Cluster refuses MGET
    // over keys of different slots (CROSSSLOT), and a batch's keys are spread over many slots.
    bool getPerKey = false;
};

// Finds the locks in one Redis: incremental SCAN MATCH/COUNT (never KEYS; one pass with a
// pattern covering all configured ones when they share a literal, else one per pattern side by
// side on one pipelined connection), and behind each SCAN reply one pipeline for its keys:
// PTTL per key and one MGET for all of them (GET per key on a Cluster master). Keys that read
// as no string get TYPE and HSCAN. All asynchronous. Each scan() is one pass; history across passes gives first seen,
// observed hold time and holder changes. If the connection drops mid-pass, the pass starts over
// once it is back (rows are per key, so nothing is listed twice).
class RedisLockInspector : public QObject
{
    Q_OBJECT
public:
    RedisLockInspector(RedisConnection *connection, RedisLockInspectorOptions options, QObject *parent = nullptr);
    ~RedisLockInspector() override;

    // Full passes run on `thread`, over a connection of their own to the same server made from
    // `options`, by an inspector living there; this one gets each pass's rows (moved, not
    // copied) and goes on as if it had read them itself. So the masters of a Cluster or a
    // Redlock are read and parsed on as many cores, and the owning thread only merges. Live
    // reads, and every other command, stay on this object's connection and thread. Call once,
    // before the first scan(); `thread` must be running, and keep running until this object is
    // destroyed.
    void runPassesOn(QThread *thread, const RedisConnectionOptions &options);

    // Starts a pass; does nothing while one runs.
    void scan();
    // Stops the running pass; no scanFinished follows, replies still on their way are dropped.
    void cancel();
    bool isScanning() const { return m_running; }
    // The last pass; live, with every change applied since (rebuilt here when rows changed).
    const LockScanResult &lastResult() const;
    // The last pass's rows, handed over: for a backend that merges the passes of several
    // inspectors into a result of its own (Cluster) and reads them nowhere else. Moving them
    // there instead of copying spares touching every field of 100 000 rows twice (the copy,
    // and the free of the copied-from ones a pass later). lastResult() lists none after this;
    // a live table is kept apart and keeps its rows.
    QList<LockInfo> takeLastLocks() { return std::exchange(m_last.locks, {}); }
    // The last pass whole, handed over (from a pass thread to the inspector that asked for it).
    LockScanResult takeLastResult() { return std::exchange(m_last, {}); }

    // Live: the table outlives the pass. Each finished pass becomes a table kept by key, and
    // keyChanged() reads changed keys again in pipelined batches (one per event-loop turn while
    // events come, one batch in flight at a time) and changes only their rows. Events during a
    // pass are read again when it ends, so the pass cannot leave an older row behind.
    void setLive(bool live);
    bool isLive() const { return m_live; }
    // A keyspace notification: `key` changed by `event` (set, expire, del, expired, hset, ...).
    void keyChanged(const QByteArray &key, const QByteArray &event);
    qint64 eventsApplied() const { return m_eventsApplied; }
    const RedisLockInspectorOptions &options() const { return m_options; }
    // What SCAN MATCH gets: the patterns, or the one pattern covering them all.
    const QList<QByteArray> &scanPatterns() const { return m_scanPatterns; }

Q_SIGNALS:
    void progress(qint64 keysScanned, int locksFound);
    void scanFinished(const fulcrum::LockScanResult &result);
    // The pass lost its connection; it resumes from the start when the connection is back.
    void scanInterrupted(const QString &why);
    // Redis refused the scan itself (e.g. an ACL without SCAN): the pass is over.
    void scanFailed(const QString &why);
    // Live: rows read again after keyChanged(); lastResult() has them already.
    void rowsChanged(const fulcrum::LockChanges &changes);

private:
    void scheduleLiveRead();
    void readLive();
    void onLiveRead(quint64 generation, const QList<QByteArray> &keys, const QList<RedisReply> &replies);
    void readLiveOther(quint64 generation, const QByteArray &key, qint64 pttl);
    void liveClassify(const QByteArray &key, const QByteArray &type, qint64 pttl, const RedisReply &value);
    void liveRemove(const QByteArray &key);
    void liveReadsDone(int count);
    bool liveReadFailed(const QList<RedisReply> &replies);
    bool passReadFailed(const QList<RedisReply> &replies);
    void adoptPassAsLiveTable();
    void watchDeadline(const QByteArray &key, qint64 ttlMs, qint64 readAtMs);
    void deadlinesDue();
    void startPass();
    void sendScan(int pattern);
    void onScanReply(quint64 generation, int pattern, const RedisReply &reply);
    void readKeys(QList<QByteArray> keys);
    void onKeysRead(quint64 generation, const QList<QByteArray> &keys, const QList<RedisReply> &replies);
    struct OtherKey
    {
        QByteArray key;
        qint64 pttl;
    };
    void readOtherTypes(QList<OtherKey> keys, bool withGet);
    bool isLargeString(const QByteArray &key) const { return m_largeStrings.contains(key) || m_largeBefore.contains(key); }
    void noteIfLargeString(const QByteArray &key, const QByteArray &type, const RedisReply &value);
    void readLargeStrings(QList<QByteArray> keys);
    void readLiveLargeStrings(QList<QByteArray> keys);
    void classifyOther(const OtherKey &other, const RedisReply &type, const RedisReply &hash, const RedisReply *string);
    void addNote(LockScanNote note);
    void classify(const QByteArray &key, const QByteArray &type, qint64 pttl, const RedisReply &value);
    void keysDone(int count);
    void interrupt(const QString &why);
    void maybeFinish();
    void finishPass();
    void completePass(LockScanResult result);
    void reportProgress(bool force);

    // runPassesOn: the pass thread's side, and what it posts back here.
    class PassRunner;
    PassRunner *m_runner = nullptr;
    void onRunnerFinished(quint64 generation, LockScanResult result);
    void onRunnerInterrupted(quint64 generation, const QString &why);
    void onRunnerFailed(quint64 generation, const QString &why);

    QPointer<RedisConnection> m_connection;
    RedisLockInspectorOptions m_options;
    bool m_running = false;
    bool m_waitingForConnection = false;
    quint64 m_generation = 0;
    QList<QByteArray> m_patterns;       // the configured patterns, as bytes
    QList<QByteArray> m_scanPatterns;   // what SCAN MATCH gets: the patterns, or one covering them
    bool m_filterKeys = false;          // a covering pattern is used: match the real ones here
    QList<QByteArray> m_cursors;        // one SCAN per scan pattern, run side by side
    int m_scansRunning = 0;
    QList<int> m_heldScans;             // patterns whose next SCAN waits for reads to drain
    int m_outstanding = 0;              // keys sent for reading and not classified yet
    // Strings found too large to be a lock (kMaxLockValueBytes): read with STRLEN, not GET/MGET.
    // Those of the pass before are kept until this pass has looked at them once.
    QSet<QByteArray> m_largeStrings;
    QSet<QByteArray> m_largeBefore;
    int m_restarts = 0;
    qint64 m_keysSeen = 0;              // keys SCAN returned this pass (matching a pattern)
    qsizetype m_lastLockCount = 0;      // rows of the last pass, to reserve for the next
    QList<LockInfo> m_passLocks;
    QList<LockScanNote> m_passNotes;
    qint64 m_passNotesOmitted = 0;      // notes beyond maxNotesPerPass this pass
    QElapsedTimer m_passClock;
    qint64 m_lastProgressMs = -1;
    LockObservations m_observations;
    mutable LockScanResult m_last;

    // Live table (setLive): rows and notes by key, the keys to read again, and the change set
    // being built by the batch in flight.
    bool m_live = false;
    LiveLockTable m_table;
    QHash<QByteArray, QByteArray> m_dirty;          // key -> last event, not read yet
    QSet<QByteArray> m_changedDuringPass;
    bool m_liveReadScheduled = false;
    quint64 m_liveGeneration = 0;                   // live reads of an older table are dropped
    int m_liveOutstanding = 0;                      // keys of the batch in flight not settled yet
    qint64 m_eventsApplied = 0;
    // Live: when each row's TTL runs out (monotonic ms). Redis announces an expiry only when it
    // reclaims the key (on a read, or when its sampling expire cycle finds it: seconds later on
    // a big keyspace), so the table reads such keys again at their deadline; the read makes
    // Redis expire them there and then.
    QElapsedTimer m_clock;
    QHash<QByteArray, qint64> m_deadlineOf;
    std::multimap<qint64, QByteArray> m_deadlines;
    QTimer *m_deadlineTimer = nullptr;
};

} // namespace fulcrum
