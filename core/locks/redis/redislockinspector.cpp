#include "redislockinspector.h"

#include "common/wallclock.h"
#include "config/config.h"
#include "locks/redis/glob.h"
#include "locks/redis/redisconnection.h"
#include "locks/redis/redislocks.h"

#include <QThread>
#include <QtEndian>

#include <algorithm>
#include <cstring>
#include <utility>
#include <vector>

namespace fulcrum {

namespace {

constexpr int kLiveTickMs = 10;   // live: changed keys are read in one batch per tick

const QByteArray &keyOf(const LockInfo &lock) { return lock.key; }
const QByteArray &keyOf(const QByteArray &key) { return key; }

// How a batch of keys is read, a pass's SCAN batch or a live tick's changed keys: PTTL per key,
// then one MGET for all of them, or (getPerKey: a Cluster master, which refuses MGET over keys of
// different slots) GET per key after the PTTLs.
RedisCommands pttlAndValues(const QList<QByteArray> &keys, bool getPerKey)
{
    RedisCommands commands;
    qsizetype keyBytes = 0;
    for (const QByteArray &key : keys)
        keyBytes += key.size();
    commands.reserve(getPerKey ? 2 * keys.size() : keys.size() + 1, 2 * keyBytes + 40 * keys.size() + 16);
    for (const QByteArray &key : keys)
        commands.add({"PTTL", key});
    if (getPerKey) {
        for (const QByteArray &key : keys)
            commands.add({"GET", key});
    } else {
        commands.add("MGET", keys);
    }
    return commands;
}

// Strings known to be too large to be a lock: PTTL and STRLEN per key, never the value.
RedisCommands pttlAndLengths(const QList<QByteArray> &keys)
{
    RedisCommands commands;
    commands.reserve(2 * keys.size(), 64 * keys.size());
    for (const QByteArray &key : keys) {
        commands.add({"PTTL", key});
        commands.add({"STRLEN", key});
    }
    return commands;
}

// What the replies of pttlAndValues() say of each key: `each(index, what, pttl, value)`, where
// value is the string read (String), else null. Other: not a string (MGET's nil, GET's
// WRONGTYPE), it needs a second look (TYPE, HSCAN). OtherWithGet: the value could not be read
// (MGET refused as a whole, or GET refused, e.g. an ACL that allows only some keys): the second
// look reads it with GET too, so a refusal becomes a note on its own key.
enum class KeyRead { Error, Gone, String, Other, OtherWithGet };
template <typename Each>
void walkKeyReads(const QList<QByteArray> &keys, const QList<RedisReply> &replies, bool getPerKey, Each each)
{
    const RedisReply &values = replies.last();
    const bool valuesRead = getPerKey || (values.type == RedisReply::Array && values.elements.size() == keys.size());
    for (qsizetype i = 0; i < keys.size(); ++i) {
        const RedisReply &pttl = replies[i];
        const RedisReply *value = !valuesRead ? nullptr : getPerKey ? &replies[keys.size() + i] : &values.elements[i];
        if (pttl.isError())
            each(i, KeyRead::Error, pttl, nullptr);
        else if (pttl.integer == -2)
            each(i, KeyRead::Gone, pttl, nullptr); // released between the event (or SCAN) and the read
        else if (value && value->type == RedisReply::String)
            each(i, KeyRead::String, pttl, value);
        else if (value && (!value->isError() || value->string.startsWith("WRONGTYPE")))
            each(i, KeyRead::Other, pttl, nullptr);
        else
            each(i, KeyRead::OtherWithGet, pttl, nullptr);
    }
}

} // namespace

RedisLockInspectorOptions RedisLockInspectorOptions::fromConfig(const RedisEndpointConfig &config)
{
    RedisLockInspectorOptions options;
    options.patterns = config.lockPatterns;
    options.longHeldMs = config.longHeldMs;
    options.scanCount = config.scanCount;
    return options;
}

RedisLockInspector::RedisLockInspector(RedisConnection *connection, RedisLockInspectorOptions options, QObject *parent)
    : QObject(parent)
    , m_connection(connection)
    , m_options(std::move(options))
    , m_observations({m_options.longHeldMs, m_options.churnChanges, m_options.churnWindowMs})
    , m_table(m_options.observe ? &m_observations : nullptr)
{
    qRegisterMetaType<fulcrum::LockScanResult>();
    if (m_options.patterns.isEmpty())
        m_options.patterns = RedisLockInspectorOptions().patterns;
    for (const QString &pattern : std::as_const(m_options.patterns))
        m_patterns << pattern.toUtf8();
    m_scanPatterns = m_patterns;
    if (m_patterns.size() > 1) {
        if (const auto covering = coveringGlob(m_patterns)) {
            m_scanPatterns = {*covering};
            m_filterKeys = true;
        }
    }
    connect(connection, &RedisConnection::connected, this, [this] {
        if (m_running && m_waitingForConnection)
            startPass();
    });
    m_clock.start();
    m_deadlineTimer = new QTimer(this);
    m_deadlineTimer->setSingleShot(true);
    connect(m_deadlineTimer, &QTimer::timeout, this, &RedisLockInspector::deadlinesDue);
}

// The pass thread's side of runPassesOn(): a connection of its own and an inspector that does
// whole passes on it, there. What that inspector reports is posted to the owning inspector,
// tagged with the owner's pass generation, so a pass the owner cancelled meanwhile is dropped
// there. The owner destroys this object on its thread (and waits) before it goes itself, so the
// owner is alive whenever something is posted to it.
class RedisLockInspector::PassRunner : public QObject
{
public:
    explicit PassRunner(RedisLockInspector *owner)
        : m_owner(owner)
    {
    }

    // On the pass thread, first thing.
    void init(const RedisConnectionOptions &options, RedisLockInspectorOptions inspectorOptions)
    {
        m_connection = new RedisConnection(options, this);
        inspectorOptions.observe = false; // the owner observes the rows it gets
        m_inspector = new RedisLockInspector(m_connection, std::move(inspectorOptions), this);
        // The pass connection opens with the owner's: a pass asked for while it is still on its
        // way (the first one, or right after a reconnect) waits for it rather than leaving the
        // node out of the pass; anything else the inner inspector reports as it always does.
        connect(m_connection, &RedisConnection::stateChanged, this, [this](RedisConnection::State state) {
            if (m_startWhenConnected && state != RedisConnection::State::Connecting) {
                m_startWhenConnected = false;
                m_inspector->scan();
            }
        });
        connect(m_inspector, &RedisLockInspector::progress, this, [this](qint64 keys, int locks) {
            post([generation = m_generation, keys, locks](RedisLockInspector *owner) {
                if (generation == owner->m_generation && owner->m_running)
                    Q_EMIT owner->progress(keys, locks);
            });
        });
        connect(m_inspector, &RedisLockInspector::scanFinished, this, [this] {
            post([generation = m_generation, result = m_inspector->takeLastResult()](RedisLockInspector *owner) mutable {
                owner->onRunnerFinished(generation, std::move(result));
            });
        });
        connect(m_inspector, &RedisLockInspector::scanInterrupted, this, [this](const QString &why) {
            post([generation = m_generation, why](RedisLockInspector *owner) { owner->onRunnerInterrupted(generation, why); });
        });
        connect(m_inspector, &RedisLockInspector::scanFailed, this, [this](const QString &why) {
            post([generation = m_generation, why](RedisLockInspector *owner) { owner->onRunnerFailed(generation, why); });
        });
        m_connection->open();
    }

    void start(quint64 generation)
    {
        m_inspector->cancel();
        m_generation = generation;
        m_startWhenConnected = m_connection->state() == RedisConnection::State::Connecting;
        if (!m_startWhenConnected)
            m_inspector->scan();
    }

    void stop()
    {
        m_startWhenConnected = false;
        m_inspector->cancel();
    }

private:
    template <typename F>
    void post(F call)
    {
        RedisLockInspector *owner = m_owner;
        QMetaObject::invokeMethod(owner, [owner, call = std::move(call)]() mutable { call(owner); }, Qt::QueuedConnection);
    }

    RedisLockInspector *m_owner;
    RedisConnection *m_connection = nullptr;
    RedisLockInspector *m_inspector = nullptr;
    quint64 m_generation = 0;
    bool m_startWhenConnected = false;
};

RedisLockInspector::~RedisLockInspector()
{
    if (!m_runner)
        return;
    PassRunner *runner = std::exchange(m_runner, nullptr);
    if (runner->thread()->isRunning())
        QMetaObject::invokeMethod(runner, [runner] { delete runner; }, Qt::BlockingQueuedConnection);
    else
        delete runner; // the thread is gone already: nothing runs there any more
}

void RedisLockInspector::runPassesOn(QThread *thread, const RedisConnectionOptions &options)
{
    Q_ASSERT(!m_runner && thread != QThread::currentThread());
    m_runner = new PassRunner(this);
    m_runner->moveToThread(thread);
    QMetaObject::invokeMethod(m_runner, [runner = m_runner, options, inspectorOptions = m_options] { runner->init(options, inspectorOptions); },
                              Qt::QueuedConnection);
}

void RedisLockInspector::onRunnerFinished(quint64 generation, LockScanResult result)
{
    if (generation != m_generation || !m_running)
        return;
    if (m_options.observe) {
        for (LockInfo &lock : result.locks)
            m_observations.observe(lock);
        m_observations.endPass();
    }
    result.elapsedMs = m_passClock.elapsed();
    completePass(std::move(result));
}

// The pass thread's inspector starts its pass over by itself once its connection is back.
void RedisLockInspector::onRunnerInterrupted(quint64 generation, const QString &why)
{
    if (generation == m_generation && m_running)
        Q_EMIT scanInterrupted(why);
}

void RedisLockInspector::onRunnerFailed(quint64 generation, const QString &why)
{
    if (generation != m_generation || !m_running)
        return;
    ++m_generation;
    m_running = false;
    Q_EMIT scanFailed(why);
}

// A live row's TTL runs out at readAt + ttl; 2 ms later Redis has certainly passed it too.
void RedisLockInspector::watchDeadline(const QByteArray &key, qint64 ttlMs, qint64 readAtMs)
{
    if (ttlMs < 0) {
        m_deadlineOf.remove(key);
        return;
    }
    const qint64 due = readAtMs + ttlMs + 2;
    m_deadlineOf.insert(key, due);
    m_deadlines.emplace(due, key);
    if (!m_deadlineTimer->isActive() || m_deadlines.begin()->first == due)
        m_deadlineTimer->start(int(std::clamp<qint64>(m_deadlines.begin()->first - m_clock.elapsed(), 0, 3'600'000)));
}

void RedisLockInspector::deadlinesDue()
{
    const qint64 now = m_clock.elapsed();
    while (!m_deadlines.empty() && m_deadlines.begin()->first <= now) {
        const auto [due, key] = *m_deadlines.begin();
        m_deadlines.erase(m_deadlines.begin());
        // Entries of rows changed or gone since are left in the map and skipped here.
        const auto current = m_deadlineOf.constFind(key);
        if (current == m_deadlineOf.cend() || *current != due)
            continue;
        m_deadlineOf.erase(current);
        if (m_live && !m_dirty.contains(key))
            m_dirty.insert(key, QByteArrayLiteral("ttl due"));
    }
    if (!m_deadlines.empty())
        m_deadlineTimer->start(int(std::clamp<qint64>(m_deadlines.begin()->first - now, 0, 3'600'000)));
    if (m_running) {
        for (auto it = m_dirty.cbegin(); it != m_dirty.cend(); ++it)
            m_changedDuringPass.insert(it.key());
        m_dirty.clear();
        return;
    }
    scheduleLiveRead();
}

void RedisLockInspector::scan()
{
    if (m_running || !m_connection)
        return;
    m_running = true;
    m_restarts = 0;
    if (m_runner) {
        ++m_generation;
        m_passClock.start();
        if (m_options.observe)
            m_observations.beginPass(wallclock::nowUtc());
        QMetaObject::invokeMethod(m_runner, [runner = m_runner, generation = m_generation] { runner->start(generation); }, Qt::QueuedConnection);
        return;
    }
    if (m_connection->isConnected()) {
        startPass();
    } else {
        m_waitingForConnection = true;
        Q_EMIT scanInterrupted(QStringLiteral("waiting for %1 (%2)").arg(m_connection->endpoint(), RedisConnection::stateName(m_connection->state())));
    }
}

void RedisLockInspector::cancel()
{
    if (!m_running)
        return;
    ++m_generation; // replies of the cancelled pass are recognised by their generation and dropped
    m_running = false;
    m_waitingForConnection = false;
    m_outstanding = 0;
    m_heldScans.clear();
    if (m_runner)
        QMetaObject::invokeMethod(m_runner, [runner = m_runner] { runner->stop(); }, Qt::QueuedConnection);
}

void RedisLockInspector::startPass()
{
    ++m_generation;
    m_waitingForConnection = false;
    m_cursors = QList<QByteArray>(m_scanPatterns.size(), QByteArrayLiteral("0"));
    m_scansRunning = int(m_scanPatterns.size());
    m_heldScans.clear();
    m_outstanding = 0;
    m_keysSeen = 0;
    m_passLocks.clear();
    m_passLocks.reserve(m_lastLockCount);
    m_passNotes.clear();
    m_passNotesOmitted = 0;
    m_largeBefore.unite(std::exchange(m_largeStrings, {}));
    m_passClock.start();
    if (m_options.observe)
        m_observations.beginPass(wallclock::nowUtc());
    m_lastProgressMs = -1;
    for (int pattern = 0; pattern < m_scanPatterns.size(); ++pattern)
        sendScan(pattern);
}

void RedisLockInspector::sendScan(int pattern)
{
    const quint64 generation = m_generation;
    m_connection->command({QByteArrayLiteral("SCAN"), m_cursors.at(pattern), QByteArrayLiteral("MATCH"), m_scanPatterns.at(pattern),
                           QByteArrayLiteral("COUNT"), QByteArray::number(m_options.scanCount)},
                          [this, guard = QPointer<RedisLockInspector>(this), generation, pattern](const RedisReply &reply) {
                              if (guard)
                                  onScanReply(generation, pattern, reply);
                          });
    // Out now, ahead of the batch's reads: the server scans on while this side parses and classifies.
    m_connection->flush();
}

void RedisLockInspector::onScanReply(quint64 generation, int pattern, const RedisReply &reply)
{
    if (generation != m_generation)
        return;
    if (reply.type == RedisReply::Failed) {
        interrupt(reply.errorText());
        return;
    }
    if (reply.type != RedisReply::Array || reply.elements.size() != 2 || reply.elements[1].type != RedisReply::Array) {
        ++m_generation;
        m_running = false;
        Q_EMIT scanFailed(QStringLiteral("%1 refused SCAN: %2").arg(m_connection->endpoint(),
                                                                   reply.isError() ? reply.errorText() : QStringLiteral("unexpected reply")));
        return;
    }
    // Ask for the next batch before reading this one: the server runs that SCAN while this
    // client is still busy with the batch's PTTL/MGET replies.
    m_cursors[pattern] = reply.elements[0].string;
    const bool more = m_cursors[pattern] != "0";
    if (more) {
        // Flow control: a keyspace full of matching keys must not queue unbounded reads.
        if (m_outstanding < m_options.maxKeysInFlight)
            sendScan(pattern);
        else
            m_heldScans.append(pattern);
    }
    QList<QByteArray> keys;
    keys.reserve(reply.elements[1].elements.size());
    for (const RedisReply &key : reply.elements[1].elements) {
        if (m_filterKeys && std::none_of(m_patterns.begin(), m_patterns.end(),
                                         [&](const QByteArray &p) { return redisGlobMatch(p, key.string); }))
            continue;
        // SCAN may return a key twice, and a key may match more than one pattern: such a key is
        // read twice and listed once (finishPass). A set of the pass's keys to read each key
        // once cost about 6 % of a pass's client cycles, for what SCAN does only while the server
        // resizes its table.
        keys.append(key.string);
    }
    m_keysSeen += keys.size();
    if (!keys.isEmpty())
        readKeys(std::move(keys));
    reportProgress(false);
    if (!more) {
        --m_scansRunning;
        maybeFinish();
    }
}

// One pipeline per SCAN batch: PTTL per key, then one MGET for all of them. Measured on 1 M keys
// against TYPE+PTTL+GET per key and against one read-only Lua script per batch, this costs the
// server the least (the key lookups dominate, MGET does them without a command per key) and
// gives the client the fewest replies to parse. MGET answers nil for a key that is gone or not a
// string; only those get a second look (readOtherTypes). A Cluster master gets GET per key
// (getPerKey): it refuses an MGET whose keys are in several slots, and before 2026-12-05 every
// key of a cluster pass went to the second look because of that.
void RedisLockInspector::readKeys(QList<QByteArray> keys)
{
    if (!m_largeStrings.isEmpty() || !m_largeBefore.isEmpty()) {
        QList<QByteArray> large;
        QList<QByteArray> rest;
        for (QByteArray &key : keys)
            (isLargeString(key) ? large : rest).append(std::move(key));
        keys = std::move(rest);
        if (!large.isEmpty())
            readLargeStrings(std::move(large));
        if (keys.isEmpty())
            return;
    }
    const RedisCommands commands = pttlAndValues(keys, m_options.getPerKey);
    m_outstanding += int(keys.size());
    const quint64 generation = m_generation;
    m_connection->pipeline(commands, [this, guard = QPointer<RedisLockInspector>(this), generation, keys = std::move(keys)](const QList<RedisReply> &replies) {
        if (guard)
            onKeysRead(generation, keys, replies);
    });
}

void RedisLockInspector::onKeysRead(quint64 generation, const QList<QByteArray> &keys, const QList<RedisReply> &replies)
{
    if (generation != m_generation)
        return;
    if (passReadFailed(replies))
        return;
    int done = 0;
    QList<OtherKey> others;
    QList<OtherKey> othersWithGet;
    walkKeyReads(keys, replies, m_options.getPerKey, [&](qsizetype i, KeyRead what, const RedisReply &pttl, const RedisReply *value) {
        switch (what) {
        case KeyRead::Error: addNote({keys[i], QStringLiteral("could not be read: %1").arg(pttl.errorText()), true}); ++done; break;
        case KeyRead::Gone: ++done; break;
        case KeyRead::String: classify(keys[i], QByteArrayLiteral("string"), pttl.integer, *value); ++done; break;
        case KeyRead::Other: others.append({keys[i], pttl.integer}); break;
        case KeyRead::OtherWithGet: othersWithGet.append({keys[i], pttl.integer}); break;
        }
    });
    if (!others.isEmpty())
        readOtherTypes(std::move(others), false);
    if (!othersWithGet.isEmpty())
        readOtherTypes(std::move(othersWithGet), true);
    keysDone(done);
}

// The second look, for a batch's keys that MGET found no string in (Redisson hashes, keys of
// the wrong type to note, keys deleted or replaced since): TYPE and HSCAN per key (GET too when
// MGET could not be used), all of them in one pipeline with one callback. A key per pipeline
// was a sixth of a pass's client CPU with 20 % of the locks in hashes.
void RedisLockInspector::readOtherTypes(QList<OtherKey> others, bool withGet)
{
    const qsizetype stride = withGet ? 3 : 2;
    RedisCommands commands;
    commands.reserve(others.size() * stride, others.size() * stride * 64);
    for (const OtherKey &other : std::as_const(others)) {
        commands.add({"TYPE", other.key});
        commands.add({"HSCAN", other.key, "0", "COUNT", hashReadCountText});
        if (withGet)
            commands.add({"GET", other.key});
    }
    const quint64 generation = m_generation;
    m_connection->pipeline(commands, [this, guard = QPointer<RedisLockInspector>(this), generation, others = std::move(others), withGet,
                                      stride](const QList<RedisReply> &replies) {
        if (!guard || generation != m_generation)
            return;
        if (passReadFailed(replies))
            return;
        int done = 0;
        QList<OtherKey> strings; // strings now, though MGET found none: replaced in between
        for (qsizetype i = 0; i < others.size(); ++i) {
            const RedisReply &type = replies[i * stride];
            if (!type.isError() && type.string == "string" && !withGet) {
                strings.append(others[i]);
                continue;
            }
            classifyOther(others[i], type, replies[i * stride + 1], withGet ? &replies[i * stride + 2] : nullptr);
            ++done;
        }
        if (!strings.isEmpty())
            readOtherTypes(std::move(strings), true);
        keysDone(done);
    });
}

// Strings found too large to be a lock before: PTTL and STRLEN, so the pass learns whether one
// is still there and still too large without reading it. One that shrank (or is no string any
// more) is read again as any key.
void RedisLockInspector::readLargeStrings(QList<QByteArray> keys)
{
    const RedisCommands commands = pttlAndLengths(keys);
    m_outstanding += int(keys.size());
    const quint64 generation = m_generation;
    m_connection->pipeline(commands, [this, guard = QPointer<RedisLockInspector>(this), generation, keys = std::move(keys)](const QList<RedisReply> &replies) {
        if (!guard || generation != m_generation)
            return;
        if (passReadFailed(replies))
            return;
        QList<QByteArray> again;
        for (qsizetype i = 0; i < keys.size(); ++i) {
            const RedisReply &pttl = replies[2 * i];
            const RedisReply &length = replies[2 * i + 1];
            if (pttl.isError()) {
                addNote({keys[i], QStringLiteral("could not be read: %1").arg(pttl.errorText()), true});
            } else if (pttl.integer == -2) {
                continue;   // gone
            } else if (!length.isError() && length.integer > kMaxLockValueBytes) {
                m_largeStrings.insert(keys[i]);
                addNote({keys[i], tooLargeStringNote(length.integer), false});
            } else {
                m_largeStrings.remove(keys[i]);
                m_largeBefore.remove(keys[i]);
                again.append(keys[i]);
            }
        }
        if (!again.isEmpty())
            readKeys(std::move(again));
        keysDone(int(keys.size()));
    });
}

// A string read whole and found too large to be a lock: its next reads ask only its length.
void RedisLockInspector::noteIfLargeString(const QByteArray &key, const QByteArray &type, const RedisReply &value)
{
    if (type == "string" && value.type == RedisReply::String && value.string.size() > kMaxLockValueBytes)
        m_largeStrings.insert(key);
}

void RedisLockInspector::classifyOther(const OtherKey &other, const RedisReply &type, const RedisReply &hash, const RedisReply *string)
{
    if (type.isError())
        addNote({other.key, QStringLiteral("could not be read: %1").arg(type.errorText()), true});
    else if (type.string == "string")
        classify(other.key, type.string, other.pttl, *string);
    else
        classify(other.key, type.string, other.pttl, hash);
}

// A string or hash whose value read failed (an ACL, an error) may be a lock; a list's refused
// HSCAN (WRONGTYPE) is no news.
static bool unreadableValue(const QByteArray &type, const RedisReply &value)
{
    return value.isError() && (type == "string" || type == "hash");
}

void RedisLockInspector::classify(const QByteArray &key, const QByteArray &type, qint64 pttl, const RedisReply &value)
{
    QString note;
    if (auto info = classifyLockKey(key, type, pttl, value, &note)) {
        if (m_options.observe)
            m_observations.observe(*info);
        m_passLocks.append(std::move(*info));
    } else if (!note.isEmpty()) {
        noteIfLargeString(key, type, value);
        addNote({key, note, unreadableValue(type, value)});
    }
}

void RedisLockInspector::addNote(LockScanNote note)
{
    keepNote(m_passNotes, m_passNotesOmitted, std::move(note));
}

// Done as each lock is read, while the server still works on the rest of the pass: at the end
// of a pass it was a tail of tens of milliseconds at 100 000 locks.
void RedisLockInspector::keysDone(int count)
{
    m_outstanding -= count;
    if (!m_heldScans.isEmpty() && m_outstanding < m_options.maxKeysInFlight / 2) {
        for (const int pattern : std::exchange(m_heldScans, {}))
            sendScan(pattern);
    }
    maybeFinish();
}

void RedisLockInspector::interrupt(const QString &why)
{
    ++m_generation; // replies of the broken pass are ignored from here on
    ++m_restarts;
    m_waitingForConnection = true;
    Q_EMIT scanInterrupted(why);
    if (m_connection && m_connection->isConnected())
        QMetaObject::invokeMethod(this, [this] {
            if (m_running && m_waitingForConnection)
                startPass();
        }, Qt::QueuedConnection);
}

void RedisLockInspector::reportProgress(bool force)
{
    const qint64 now = m_passClock.elapsed();
    if (!force && m_lastProgressMs >= 0 && now - m_lastProgressMs < 100)
        return;
    m_lastProgressMs = now;
    Q_EMIT progress(m_keysSeen, int(m_passLocks.size()));
}

void RedisLockInspector::maybeFinish()
{
    if (m_scansRunning == 0 && m_outstanding == 0 && m_running && !m_waitingForConnection)
        finishPass();
}

void RedisLockInspector::finishPass()
{
    m_largeBefore.clear();   // looked at in this pass, or gone from it
    if (m_options.observe)
        m_observations.endPass();
    // Sorting 100 000 rows by key was most of the end-of-pass tail. The first 16 bytes of each key,
    // held inline as two big-endian words, decide almost every comparison without touching the
    // key itself; only equal prefixes compare the whole keys (the same order as QByteArray's <).
    struct SortKey
    {
        quint64 prefix[2];
        const char *data;
        qsizetype size;
        qsizetype index;
    };
    std::vector<SortKey> order;
    order.reserve(size_t(m_passLocks.size()));
    for (qsizetype i = 0; i < m_passLocks.size(); ++i) {
        const QByteArray &key = m_passLocks.at(i).key;
        char head[16] = {};
        std::memcpy(head, key.constData(), size_t(std::min<qsizetype>(key.size(), 16)));
        order.push_back({{qFromBigEndian<quint64>(head), qFromBigEndian<quint64>(head + 8)}, key.constData(), key.size(), i});
    }
    auto sameKey = [](const SortKey &a, const SortKey &b) {
        return a.prefix[0] == b.prefix[0] && a.prefix[1] == b.prefix[1] && a.size == b.size && std::memcmp(a.data, b.data, size_t(a.size)) == 0;
    };
    std::sort(order.begin(), order.end(), [](const SortKey &a, const SortKey &b) {
        if (a.prefix[0] != b.prefix[0])
            return a.prefix[0] < b.prefix[0];
        if (a.prefix[1] != b.prefix[1])
            return a.prefix[1] < b.prefix[1];
        const int c = std::memcmp(a.data, b.data, size_t(std::min(a.size, b.size)));
        if (c != 0 || a.size != b.size)
            return c < 0 || (c == 0 && a.size < b.size);
        return a.index < b.index; // a key read twice: its reads in the order they were made
    });
    // Each key once: of a key read twice (SCAN returned it twice, or two patterns matched it),
    // the later read.
    QList<LockInfo> sorted;
    sorted.reserve(m_passLocks.size());
    for (size_t i = 0; i < order.size(); ++i) {
        if (i + 1 < order.size() && sameKey(order[i], order[i + 1]))
            continue;
        sorted.append(std::move(m_passLocks[order[i].index]));
    }
    // A key read twice may have been a note once and a lock the other time (it changed in
    // between): the lock stands. And a note once.
    if (!m_passNotes.isEmpty()) {
        QList<LockScanNote> notes;
        QSet<QByteArray> noted;
        for (LockScanNote &note : m_passNotes) {
            const bool isLock = std::binary_search(sorted.cbegin(), sorted.cend(), note.key,
                                                   [](const auto &a, const auto &b) { return keyOf(a) < keyOf(b); });
            if (isLock || noted.contains(note.key))
                continue;
            noted.insert(note.key);
            notes.append(std::move(note));
        }
        m_passNotes = std::move(notes);
    }
    LockScanResult result{std::move(sorted), std::move(m_passNotes), m_passNotesOmitted, m_keysSeen, m_passClock.elapsed(), m_restarts, false,
                          wallclock::nowUtc()};
    m_passLocks.clear();
    m_passNotes.clear();
    completePass(std::move(result));
}

void RedisLockInspector::completePass(LockScanResult result)
{
    // The previous result (100 000 rows to free) goes after the new one is out, not before.
    m_lastLockCount = result.locks.size();
    const LockScanResult previous = std::exchange(m_last, std::move(result));
    m_running = false;
    ++m_generation;
    if (m_live) {
        adoptPassAsLiveTable();
        // Keys that changed while the pass ran may have been read before the change.
        for (const QByteArray &key : std::exchange(m_changedDuringPass, {}))
            m_dirty.insert(key, QByteArrayLiteral("changed during the pass"));
        scheduleLiveRead();
    }
    Q_EMIT progress(m_last.keysScanned, int(m_last.locks.size()));
    Q_EMIT scanFinished(m_last);
}

const LockScanResult &RedisLockInspector::lastResult() const
{
    return m_live ? m_table.result(m_last) : m_last;
}

void RedisLockInspector::setLive(bool live)
{
    if (live == m_live)
        return;
    if (!live)
        m_last = m_table.result(m_last); // the table as it stands stays the last result
    m_live = live;
    ++m_liveGeneration;
    m_liveOutstanding = 0;
    m_dirty.clear();
    m_changedDuringPass.clear();
    m_table.clear();
    m_eventsApplied = 0;
    m_deadlineOf.clear();
    m_deadlines.clear();
    m_deadlineTimer->stop();
    if (live && m_last.finishedAt.isValid())
        adoptPassAsLiveTable();
}

void RedisLockInspector::adoptPassAsLiveTable()
{
    ++m_liveGeneration; // a batch still in flight read keys the pass has read again since
    m_liveOutstanding = 0;
    m_table.adopt(m_last);
    m_deadlineOf.clear();
    m_deadlines.clear();
    const qint64 now = m_clock.elapsed();
    for (const LockInfo &lock : std::as_const(m_last.locks))
        watchDeadline(lock.key, lock.ttlMs, now);
}

void RedisLockInspector::keyChanged(const QByteArray &key, const QByteArray &event)
{
    if (!m_live)
        return;
    ++m_eventsApplied;
    if (m_running) {
        m_changedDuringPass.insert(key);
        return;
    }
    m_dirty.insert(key, event);
    // A storm (a mass expiry, a FLUSHDB, a deploy taking 100 000 locks at once): one pass reads
    // it all for less than key-by-key reads would cost.
    if (m_dirty.size() > std::max(m_options.maxKeysInFlight, 1000)) {
        m_dirty.clear();
        scan();
        return;
    }
    scheduleLiveRead();
}

void RedisLockInspector::scheduleLiveRead()
{
    if (m_liveReadScheduled || m_liveOutstanding > 0 || m_dirty.isEmpty())
        return;
    m_liveReadScheduled = true;
    // One batch per tick: every key announced within it joins the batch. Reading at once per
    // event-loop turn costs Redis a socket read and write per handful of keys; a 10 ms tick
    // (the freshness target is 50 ms) gathers ten times more per round trip.
    QTimer::singleShot(kLiveTickMs, Qt::PreciseTimer, this, [this] {
        m_liveReadScheduled = false;
        readLive();
    });
}

// One pipeline per batch, as a pass reads a SCAN batch: PTTL per key and one MGET. A key whose
// last event says it is gone (del, expired, evicted, the old name of a rename) is not read.
void RedisLockInspector::readLive()
{
    if (!m_live || m_running || m_liveOutstanding > 0 || m_dirty.isEmpty())
        return;
    if (!m_connection || !m_connection->isConnected())
        return; // the pass after the reconnect reads everything
    const QHash<QByteArray, QByteArray> dirty = std::exchange(m_dirty, {});
    QList<QByteArray> keys;
    keys.reserve(dirty.size());
    for (auto it = dirty.cbegin(); it != dirty.cend(); ++it) {
        const QByteArray &event = it.value();
        if (event == "del" || event == "expired" || event == "evicted" || event == "rename_from")
            liveRemove(it.key());
        else
            keys.append(it.key());
    }
    QList<QByteArray> large;
    if (!m_largeStrings.isEmpty()) {
        QList<QByteArray> rest;
        for (QByteArray &key : keys)
            (m_largeStrings.contains(key) ? large : rest).append(std::move(key));
        keys = std::move(rest);
    }
    if (!large.isEmpty())
        readLiveLargeStrings(std::move(large));
    if (keys.isEmpty()) {
        if (m_liveOutstanding == 0)
            liveReadsDone(0);
        return;
    }
    const RedisCommands commands = pttlAndValues(keys, m_options.getPerKey);
    m_liveOutstanding += int(keys.size());
    const quint64 generation = m_liveGeneration;
    m_connection->pipeline(commands, [this, guard = QPointer<RedisLockInspector>(this), generation, keys](const QList<RedisReply> &replies) {
        if (guard)
            onLiveRead(generation, keys, replies);
    });
    m_connection->flush();
}

// The connection dropped under a pass's read: the pass starts over once it is back.
bool RedisLockInspector::passReadFailed(const QList<RedisReply> &replies)
{
    const auto failed = std::find_if(replies.begin(), replies.end(), [](const RedisReply &r) { return r.type == RedisReply::Failed; });
    if (failed == replies.end())
        return false;
    interrupt(failed->errorText());
    return true;
}

// The connection dropped under a live read: the batch is dropped, and the pass after the
// reconnect reads everything.
bool RedisLockInspector::liveReadFailed(const QList<RedisReply> &replies)
{
    const bool failed = std::any_of(replies.begin(), replies.end(), [](const RedisReply &r) { return r.type == RedisReply::Failed; });
    if (failed) {
        ++m_liveGeneration;
        m_liveOutstanding = 0;
    }
    return failed;
}

void RedisLockInspector::onLiveRead(quint64 generation, const QList<QByteArray> &keys, const QList<RedisReply> &replies)
{
    if (generation != m_liveGeneration || liveReadFailed(replies))
        return;
    int done = 0;
    walkKeyReads(keys, replies, m_options.getPerKey, [&](qsizetype i, KeyRead what, const RedisReply &pttl, const RedisReply *value) {
        switch (what) {
        case KeyRead::Error:
            m_table.setNote({keys[i], QStringLiteral("could not be read: %1").arg(pttl.errorText()), true});
            ++done;
            break;
        case KeyRead::Gone: liveRemove(keys[i]); ++done; break;
        case KeyRead::String: liveClassify(keys[i], QByteArrayLiteral("string"), pttl.integer, *value); ++done; break;
        case KeyRead::Other:
        case KeyRead::OtherWithGet: readLiveOther(generation, keys[i], pttl.integer); break;
        }
    });
    liveReadsDone(done);
}

// Changed strings known to be too large to be a lock: PTTL and STRLEN, as a pass reads them.
// One that shrank (or is no string any more) is read again as any changed key, next tick.
void RedisLockInspector::readLiveLargeStrings(QList<QByteArray> keys)
{
    const RedisCommands commands = pttlAndLengths(keys);
    m_liveOutstanding += int(keys.size());
    const quint64 generation = m_liveGeneration;
    m_connection->pipeline(commands, [this, guard = QPointer<RedisLockInspector>(this), generation, keys = std::move(keys)](const QList<RedisReply> &replies) {
        if (!guard || generation != m_liveGeneration || liveReadFailed(replies))
            return;
        for (qsizetype i = 0; i < keys.size(); ++i) {
            const RedisReply &pttl = replies[2 * i];
            const RedisReply &length = replies[2 * i + 1];
            if (pttl.isError()) {
                m_table.setNote({keys[i], QStringLiteral("could not be read: %1").arg(pttl.errorText()), true});
            } else if (pttl.integer == -2) {
                liveRemove(keys[i]);
            } else if (!length.isError() && length.integer > kMaxLockValueBytes) {
                m_table.setNote({keys[i], tooLargeStringNote(length.integer), false});
            } else {
                m_largeStrings.remove(keys[i]);
                m_dirty.insert(keys[i], QByteArrayLiteral("set"));
            }
        }
        liveReadsDone(int(keys.size()));
    });
}

// TYPE, HSCAN and GET in one pipeline: a Redisson hash, or a key replaced since the first read.
void RedisLockInspector::readLiveOther(quint64 generation, const QByteArray &key, qint64 pttl)
{
    m_connection->pipeline({{QByteArrayLiteral("TYPE"), key}, {QByteArrayLiteral("HSCAN"), key, QByteArrayLiteral("0"), QByteArrayLiteral("COUNT"), hashReadCountText.toByteArray()}, {QByteArrayLiteral("GET"), key}},
                           [this, guard = QPointer<RedisLockInspector>(this), generation, key, pttl](const QList<RedisReply> &replies) {
                               if (!guard || generation != m_liveGeneration || liveReadFailed(replies))
                                   return;
                               const RedisReply &type = replies[0];
                               if (type.isError()) {
                                   m_table.setNote({key, QStringLiteral("could not be read: %1").arg(type.errorText()), true});
                               } else if (type.string == "none") {
                                   liveRemove(key);
                               } else {
                                   liveClassify(key, type.string, pttl, type.string == "string" ? replies[2] : replies[1]);
                               }
                               liveReadsDone(1);
                           });
}

void RedisLockInspector::liveClassify(const QByteArray &key, const QByteArray &type, qint64 pttl, const RedisReply &value)
{
    QString note;
    std::optional<LockInfo> info = classifyLockKey(key, type, pttl, value, &note);
    if (!info) {
        liveRemove(key);
        noteIfLargeString(key, type, value);
        if (!note.isEmpty())
            m_table.setNote({key, note, unreadableValue(type, value)});
        return;
    }
    info->readAt = wallclock::nowUtc();
    watchDeadline(key, info->ttlMs, m_clock.elapsed());
    m_table.put(std::move(*info)); // observed there, when this inspector observes
}

void RedisLockInspector::liveRemove(const QByteArray &key)
{
    m_largeStrings.remove(key);
    m_deadlineOf.remove(key);
    m_table.remove(key);
}

void RedisLockInspector::liveReadsDone(int count)
{
    m_liveOutstanding -= count;
    if (m_liveOutstanding > 0)
        return;
    m_liveOutstanding = 0;
    const LockChanges changes = m_table.takeChanges();
    if (!changes.isEmpty())
        Q_EMIT rowsChanged(changes);
    scheduleLiveRead();
}

} // namespace fulcrum
