#pragma once

#include "engine/enginelink.h"
#include "engine/enginesnapshot.h"

#include <QHash>
#include <QSet>
#include <QString>

#include <deque>
#include <optional>

namespace fulcrum {

struct AuditEntry;

// Figures and events every link computes the same way, kept in one place so that all engines
// read alike: from a Fulcrum engine's snapshot (in this process, or decoded from fulcrumd's
// admin API by the wire codec), and from the cumulative counters of a polled engine (HAProxy,
// Apache httpd).

// Requests per second and error rate over the last second, per server, from counters that
// only grow. Counters that go back (a reload, `clear counters`) start the window again.
class CounterWindow
{
public:
    struct Rates
    {
        double requestsPerSecond = 0;
        double errorRate = 0;     // errors / requests over the window, 0..1
    };

    Rates add(const QString &key, qint64 nowMs, qint64 requests, qint64 errors);
    // Forgets the servers that are gone.
    void keepOnly(const QSet<QString> &keys);

private:
    struct Sample
    {
        qint64 ms = 0;
        qint64 requests = 0;
        qint64 errors = 0;
    };
    QHash<QString, std::deque<Sample>> m_samples;
};

// The console's view of a Fulcrum engine's snapshot, the same for the embedded engine and for
// fulcrumd across the admin API: the set and effective weights, the health view's state text,
// the last check and its time, and the error rate over the last second from the cumulative
// counts (by the engine's clock; counters that go back mean it restarted).
class SnapshotMapper
{
public:
    LinkSnapshot map(const EngineSnapshot &engine, int tickMs);

private:
    CounterWindow m_rates;
};

// Each server's share of its pool's requests per second.
void assignTrafficShares(QList<ServerStatus> &servers);

// A Health event for every server whose state text changed between two snapshots.
QList<LinkEvent> stateChangeEvents(const LinkSnapshot &before, const LinkSnapshot &after, const QString &who);

// An engine's health event as the console lists it, the same for every link: kind by the
// health event's kind name ("check", "outlier", "panic", "outage", as the admin API spells
// them), target "pool/server", or the pool alone for a pool-wide event (panic, outage).
LinkEvent healthLinkEvent(const QDateTime &time, QStringView kind, const QString &pool, const QString &server, const QString &from,
                          const QString &to, const QString &reason);
// The same from a Fulcrum engine's health event; nullopt for an operator's (those come with
// the user who made them, as audit entries or from the link itself).
std::optional<LinkEvent> healthLinkEvent(const HealthEvent &event);

// An engine's own news (a reload, a refused config, a lock endpoint connected or lost, a
// Cluster's failover) as the console lists it; nullopt for the sources that also come
// structured (health, operator). `engine` names the engine in a composite.
std::optional<LinkEvent> engineLinkEvent(const EngineEvent &event, const QString &engine);

// An operator action from an engine's audit log.
LinkEvent auditLinkEvent(const AuditEntry &entry);

// A lock endpoint's connection ("connected", "connecting", "waiting to reconnect", ...) as a
// link state.
LinkState lockEndpointLinkState(const QString &connection);

// The Link event for a connection that was made or lost (nullopt for Connecting ⇄
// Disconnected, which the status bar shows and the event list need not).
std::optional<LinkEvent> connectionEvent(LinkState before, LinkState after, const QString &target, const QString &detail);

} // namespace fulcrum
