#include "knownhistory.h"

#include "balancer/backend.h"

namespace fulcrum::test {

const QString KnownHistory::kFormulaTarget = QStringLiteral("=HYPERLINK(\"x\",\"y\")");

namespace {

bool app2Down(qint64 second)
{
    return (second >= 600 && second < 900) || (second >= 2000 && second < 2100);
}

HealthEvent event(qint64 second, HealthEvent::Kind kind, const QString &from, const QString &to, const QString &reason)
{
    HealthEvent e;
    e.kind = kind;
    e.timeMs = KnownHistory::kFromMs + second * 1000;
    e.pool = QStringLiteral("web");
    e.server = kind == HealthEvent::Panic ? QString() : QStringLiteral("app2");
    e.from = from;
    e.to = to;
    e.reason = reason;
    return e;
}

AuditEntry audit(qint64 second, const QString &user, const QString &action, const QString &target, const QString &before, const QString &after)
{
    AuditEntry a;
    a.time = QDateTime::fromMSecsSinceEpoch(KnownHistory::kFromMs + second * 1000, Qt::UTC);
    a.user = user;
    a.origin = QStringLiteral("fulcrumctl");
    a.action = action;
    a.target = target;
    a.before = before;
    a.after = after;
    a.result = QStringLiteral("ok");
    return a;
}

LockObservation lock(qint64 second, const QString &key, const QString &holder, qint64 ttlMs, qint64 heldMs)
{
    LockObservation l;
    l.timeMs = KnownHistory::kFromMs + second * 1000;
    l.endpoint = QStringLiteral("redis://127.0.0.1:6379");
    l.key = key;
    l.kind = QStringLiteral("plain");
    l.holder = holder;
    l.ttlMs = ttlMs;
    l.heldForMs = heldMs;
    return l;
}

} // namespace

bool KnownHistory::write(HistoryStore &store, const QString &path, bool restartHalfway, QString *error)
{
    if (!store.open(path, error))
        return false;
    for (qint64 minute = 0; minute < 60; ++minute) {
        if (restartHalfway && minute == 30) {
            store.close();
            if (!store.open(path, error))
                return false;
        }
        HistoryBatch batch;
        for (qint64 second = minute * 60; second < (minute + 1) * 60; ++second) {
            HistorySample a;
            a.timeMs = kFromMs + second * 1000;
            a.pool = QStringLiteral("web");
            a.server = QStringLiteral("app1");
            a.requests = 30;
            a.meanMs = 10;
            a.p50Ms = 8;
            a.p95Ms = 20;
            a.p99Ms = 40;
            a.state = int(BackendState::Up);
            a.weight = a.effectiveWeight = 3;
            a.upMs = a.coveredMs = 1000;
            batch.samples.push_back(a);
            HistorySample b = a;
            b.server = QStringLiteral("app2");
            const bool down = app2Down(second);
            b.requests = down ? 0 : 10;
            b.errors = down ? 0 : 1;
            b.meanMs = down ? 0 : 20;
            b.p50Ms = down ? 0 : 15;
            b.p95Ms = down ? 0 : 50;
            b.p99Ms = down ? 0 : 90;
            b.state = int(down ? BackendState::Down : BackendState::Up);
            b.weight = b.effectiveWeight = second >= 3000 ? 2 : 1;
            b.upMs = down ? 0 : 1000;
            batch.samples.push_back(b);
        }
        const qint64 start = minute * 60, end = start + 60;
        auto in = [&](qint64 s) { return s >= start && s < end; };
        const QString l4 = QStringLiteral("L4CON: Connection refused");
        const QString l7 = QStringLiteral("L7STS 503");
        if (in(598)) batch.healthEvents.push_back(event(598, HealthEvent::Check, QStringLiteral("up"), QStringLiteral("up, 1/2 failed"), l4));
        if (in(600)) batch.healthEvents.push_back(event(600, HealthEvent::Check, QStringLiteral("up, 1/2 failed"), QStringLiteral("down"), l4));
        if (in(610)) batch.healthEvents.push_back(event(610, HealthEvent::Panic, QStringLiteral("normal"), QStringLiteral("PANIC"), QStringLiteral("1/2 healthy")));
        if (in(640)) batch.healthEvents.push_back(event(640, HealthEvent::Panic, QStringLiteral("PANIC"), QStringLiteral("normal"), QStringLiteral("2/2 healthy")));
        if (in(899)) batch.healthEvents.push_back(event(899, HealthEvent::Check, QStringLiteral("down"), QStringLiteral("down, 1/2 ok"), QStringLiteral("L7OK")));
        if (in(900)) batch.healthEvents.push_back(event(900, HealthEvent::Check, QStringLiteral("down, 1/2 ok"), QStringLiteral("up"), QStringLiteral("L7OK")));
        if (in(1998)) batch.healthEvents.push_back(event(1998, HealthEvent::Check, QStringLiteral("up"), QStringLiteral("up, 1/2 failed"), l7));
        if (in(2000)) batch.healthEvents.push_back(event(2000, HealthEvent::Check, QStringLiteral("up, 1/2 failed"), QStringLiteral("down"), l7));
        if (in(2100)) batch.healthEvents.push_back(event(2100, HealthEvent::Check, QStringLiteral("down"), QStringLiteral("up"), QStringLiteral("L7OK")));
        if (in(1200)) {
            batch.locks.push_back(lock(1200, QStringLiteral("lock:orders"), QStringLiteral("node-a"), 30'000, 60'000));
            batch.locks.push_back(lock(1200, QStringLiteral("lock:cron"), QStringLiteral("cron-1"), -1, 5'000));
            batch.locks.push_back(lock(1200, QStringLiteral("lock:quick"), QStringLiteral("q"), 10'000, 1'000));
        }
        if (in(1260))
            batch.locks.push_back(lock(1260, QStringLiteral("lock:orders"), QStringLiteral("node-a"), 30'000, 120'000));
        if (in(1500))
            batch.audit.append(audit(1500, QStringLiteral("bob"), QStringLiteral("force-release"), QStringLiteral("redis://127.0.0.1:6379 lock:orders"),
                                     QStringLiteral("node-a"), QString()));
        if (in(2500))
            batch.audit.append(audit(2500, QStringLiteral("mallory"), QStringLiteral("set-state"), kFormulaTarget, QStringLiteral("-up"), QStringLiteral("@drain")));
        if (in(3000))
            batch.audit.append(audit(3000, QStringLiteral("alice"), QStringLiteral("set-weight"), QStringLiteral("web/app2"), QStringLiteral("1"), QStringLiteral("2")));
        if (minute == 59)
            batch.audit.append(audit(4000, QStringLiteral("late"), QStringLiteral("set-weight"), QStringLiteral("web/app1"), QStringLiteral("3"), QStringLiteral("4")));
        if (!store.write(batch, error))
            return false;
    }
    return true;
}

bool KnownHistory::writeRuns(HistoryStore &store, const QString &path, const std::vector<Run> &runs, QString *error)
{
    if (!store.open(path, error))
        return false;
    for (const Run &run : runs) {
        HistoryBatch batch;
        qint64 t = run.startMs;
        for (int tick = 0; tick < run.ticks; ++tick) {
            const qint64 lengthMs = tick % 5 == 4 ? 1500 : 1000;
            for (const char *server : {"app1", "app2"}) {
                HistorySample s;
                s.timeMs = t;
                s.pool = QStringLiteral("web");
                s.server = QString::fromLatin1(server);
                s.requests = 10.0 * double(lengthMs) / 1000;
                s.meanMs = s.p50Ms = 12;
                s.p95Ms = 15;
                s.p99Ms = 20;
                s.state = int(BackendState::Up);
                s.weight = s.effectiveWeight = 1;
                s.upMs = s.coveredMs = lengthMs;
                batch.samples.push_back(s);
            }
            t += lengthMs;
        }
        if (!store.write(batch, error))
            return false;
    }
    return true;
}

} // namespace fulcrum::test
