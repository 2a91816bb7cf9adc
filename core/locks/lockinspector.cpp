#include "lockinspector.h"

#include "locks/glob.h"
#include "locks/redisconnection.h"

#include <algorithm>
#include <memory>
#include <utility>

namespace fulcrum {

struct LockInspector::KeyRead
{
    quint64 generation = 0;
    QByteArray key;
    QByteArray type;
    qint64 pttl = -2;
    RedisReply value;
    int remaining = 3;
    bool hashRead = false;
    QString failure;                    // a Failed reply: the connection is gone
    QString error;                      // TYPE or PTTL refused
};

LockInspector::LockInspector(RedisConnection *connection, LockInspectorOptions options, QObject *parent)
    : QObject(parent)
    , m_connection(connection)
    , m_options(std::move(options))
{
    qRegisterMetaType<fulcrum::LockScanResult>();
    if (m_options.patterns.isEmpty())
        m_options.patterns = LockInspectorOptions().patterns;
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
}

void LockInspector::scan()
{
    if (m_running || !m_connection)
        return;
    m_running = true;
    m_restarts = 0;
    if (m_connection->isConnected()) {
        startPass();
    } else {
        m_waitingForConnection = true;
        Q_EMIT scanInterrupted(QStringLiteral("waiting for %1 (%2)").arg(m_connection->endpoint(), RedisConnection::stateName(m_connection->state())));
    }
}

void LockInspector::startPass()
{
    ++m_generation;
    m_waitingForConnection = false;
    m_cursors = QList<QByteArray>(m_scanPatterns.size(), QByteArrayLiteral("0"));
    m_scansRunning = int(m_scanPatterns.size());
    m_heldScans.clear();
    m_outstanding = 0;
    m_passKeys.clear();
    m_passLocks.clear();
    m_passNotes.clear();
    m_passClock.start();
    m_lastProgressMs = -1;
    for (int pattern = 0; pattern < m_scanPatterns.size(); ++pattern)
        sendScan(pattern);
}

void LockInspector::sendScan(int pattern)
{
    const quint64 generation = m_generation;
    m_connection->command({QByteArrayLiteral("SCAN"), m_cursors.at(pattern), QByteArrayLiteral("MATCH"), m_scanPatterns.at(pattern),
                           QByteArrayLiteral("COUNT"), QByteArray::number(m_options.scanCount)},
                          [this, guard = QPointer<LockInspector>(this), generation, pattern](const RedisReply &reply) {
                              if (guard)
                                  onScanReply(generation, pattern, reply);
                          });
}

void LockInspector::onScanReply(quint64 generation, int pattern, const RedisReply &reply)
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
    // client is still busy with the batch's TYPE/PTTL/GET replies.
    m_cursors[pattern] = reply.elements[0].string;
    const bool more = m_cursors[pattern] != "0";
    if (more) {
        // Flow control: a keyspace full of matching keys must not queue unbounded reads.
        if (m_outstanding < m_options.maxKeysInFlight)
            sendScan(pattern);
        else
            m_heldScans.append(pattern);
    }
    for (const RedisReply &key : reply.elements[1].elements) {
        // SCAN may return a key twice, and a key may match more than one pattern.
        if (m_passKeys.contains(key.string))
            continue;
        if (m_filterKeys && std::none_of(m_patterns.begin(), m_patterns.end(),
                                         [&](const QByteArray &p) { return redisGlobMatch(p, key.string); }))
            continue;
        m_passKeys.insert(key.string);
        readKey(key.string);
    }
    reportProgress(false);
    if (!more) {
        --m_scansRunning;
        maybeFinish();
    }
}

void LockInspector::readKey(const QByteArray &key)
{
    auto read = std::make_shared<KeyRead>();
    read->generation = m_generation;
    read->key = key;
    ++m_outstanding;
    QPointer<LockInspector> guard(this);
    auto step = [this, guard, read](const RedisReply &reply, int which) {
        if (!guard || read->generation != m_generation)
            return;
        if (reply.type == RedisReply::Failed) {
            read->failure = reply.errorText();
        } else if (which == 0) {
            if (reply.isError())
                read->error = reply.errorText();
            read->type = reply.string;
        } else if (which == 1) {
            if (reply.isError())
                read->error = reply.errorText();
            read->pttl = reply.integer;
        } else {
            read->value = reply; // GET on a hash answers WRONGTYPE: expected, HGETALL follows
        }
        if (--read->remaining == 0)
            onKeyRead(read);
    };
    m_connection->command({QByteArrayLiteral("TYPE"), key}, [step](const RedisReply &r) { step(r, 0); });
    m_connection->command({QByteArrayLiteral("PTTL"), key}, [step](const RedisReply &r) { step(r, 1); });
    m_connection->command({QByteArrayLiteral("GET"), key}, [step](const RedisReply &r) { step(r, 2); });
}

void LockInspector::onKeyRead(const std::shared_ptr<KeyRead> &read)
{
    if (!read->failure.isEmpty()) {
        interrupt(read->failure);
        return;
    }
    if (read->type == "hash" && !read->hashRead) {
        read->hashRead = true;
        read->remaining = 1;
        QPointer<LockInspector> guard(this);
        m_connection->command({QByteArrayLiteral("HGETALL"), read->key}, [this, guard, read](const RedisReply &reply) {
            if (!guard || read->generation != m_generation)
                return;
            if (reply.type == RedisReply::Failed) {
                interrupt(reply.errorText());
                return;
            }
            read->value = reply;
            onKeyRead(read);
        });
        return;
    }
    --m_outstanding;
    if (!m_heldScans.isEmpty() && m_outstanding < m_options.maxKeysInFlight / 2) {
        for (const int pattern : std::exchange(m_heldScans, {}))
            sendScan(pattern);
    }
    if (!read->error.isEmpty()) {
        m_passNotes.append({read->key, QStringLiteral("could not be read: %1").arg(read->error)});
    } else {
        QString note;
        if (auto info = classifyLockKey(read->key, read->type, read->pttl, read->value, &note))
            m_passLocks.append(std::move(*info));
        else if (!note.isEmpty())
            m_passNotes.append({read->key, note});
    }
    maybeFinish();
}

void LockInspector::interrupt(const QString &why)
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

void LockInspector::reportProgress(bool force)
{
    const qint64 now = m_passClock.elapsed();
    if (!force && m_lastProgressMs >= 0 && now - m_lastProgressMs < 100)
        return;
    m_lastProgressMs = now;
    Q_EMIT progress(qint64(m_passKeys.size()), int(m_passLocks.size()));
}

void LockInspector::maybeFinish()
{
    if (m_scansRunning == 0 && m_outstanding == 0 && m_running && !m_waitingForConnection)
        finishPass();
}

void LockInspector::finishPass()
{
    const QDateTime now = QDateTime::currentDateTimeUtc();
    QHash<QByteArray, History> history;
    history.reserve(m_passLocks.size());
    for (LockInfo &info : m_passLocks) {
        History h = m_history.value(info.key);
        if (!h.firstSeen.isValid()) {
            h.firstSeen = now;
            h.holder = info.holder;
            h.holderSince = now;
        } else if (h.holder != info.holder) {
            ++h.changes;
            h.holder = info.holder;
            h.holderSince = now;
            h.recentChanges.append(now);
        }
        while (!h.recentChanges.isEmpty() && h.recentChanges.first().msecsTo(now) > m_options.churnWindowMs)
            h.recentChanges.removeFirst();
        info.firstSeen = h.firstSeen;
        info.heldForMs = h.holderSince.msecsTo(now);
        info.holderChanges = h.changes;
        if (info.heldForMs > m_options.longHeldMs)
            info.flags |= LockInfo::LongHeld;
        if (h.recentChanges.size() >= m_options.churnChanges)
            info.flags |= LockInfo::Churn;
        history.insert(info.key, h);
    }
    m_history = std::move(history);
    std::sort(m_passLocks.begin(), m_passLocks.end(), [](const LockInfo &a, const LockInfo &b) { return a.key < b.key; });
    m_last = LockScanResult{std::move(m_passLocks), std::move(m_passNotes), qint64(m_passKeys.size()), m_passClock.elapsed(), m_restarts, now};
    m_passLocks.clear();
    m_passNotes.clear();
    m_passKeys.clear();
    m_running = false;
    ++m_generation;
    Q_EMIT progress(m_last.keysScanned, int(m_last.locks.size()));
    Q_EMIT scanFinished(m_last);
}

} // namespace fulcrum
