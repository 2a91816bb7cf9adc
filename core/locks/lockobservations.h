#pragma once

#include "locks/lockinfo.h"

#include <QDateTime>
#include <QHash>
#include <QList>

namespace fulcrum {

struct LockObservationRules
{
    qint64 longHeldMs = 60'000;         // flag a holder seen longer than this
    int churnChanges = 3;               // flag this many holder changes ...
    qint64 churnWindowMs = 60'000;      // ... within this window
};

// What only watching a lock over several passes tells, the same for every backend: first seen,
// how long the current holder has held it (since the first pass that saw it hold), holder
// changes, and the long-held and churn flags. A backend's inspector calls beginPass() when a
// pass starts, observe() on each row it finds and endPass() when the pass is complete; locks
// not seen in a complete pass are forgotten.
class LockObservations
{
public:
    explicit LockObservations(LockObservationRules rules = {}) : m_rules(rules) {}

    void setRules(LockObservationRules rules) { m_rules = rules; }
    const LockObservationRules &rules() const { return m_rules; }

    // History times are pass start times: known while the pass still reads.
    void beginPass(const QDateTime &passStartedAt);
    void observe(LockInfo &info);
    // A live table's row read again between passes, at `now`.
    void observeAt(LockInfo &info, const QDateTime &now);
    // A live table's row that is gone.
    void forget(const QByteArray &key) { m_history.remove(key); }
    void endPass();
    void clear() { m_history.clear(); }

private:
    struct History
    {
        QDateTime firstSeen;
        QByteArray holder;
        QDateTime holderSince;
        int changes = 0;
        QList<QDateTime> recentChanges;
        quint64 lastPass = 0;           // the pass that last saw this key
    };

    LockObservationRules m_rules;
    QDateTime m_passStartedAt;
    quint64 m_pass = 0;
    QHash<QByteArray, History> m_history;
};

} // namespace fulcrum
