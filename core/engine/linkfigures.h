#pragma once

#include "engine/enginelink.h"

#include <QHash>
#include <QSet>
#include <QString>

#include <deque>
#include <optional>

namespace fulcrum {

// Figures every link over a polled engine (HAProxy, Apache httpd) computes the same way from
// the engine's cumulative counters, kept in one place so that all engines read alike.

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

// Each server's share of its pool's requests per second.
void assignTrafficShares(QList<ServerStatus> &servers);

// A Health event for every server whose state text changed between two snapshots.
QList<LinkEvent> stateChangeEvents(const LinkSnapshot &before, const LinkSnapshot &after, const QString &who);

// An engine's health event as the console lists it, the same for every link: kind by the
// health event's kind name ("check", "outlier", "panic", "outage", as the admin API spells
// them), target "pool/server", or the pool alone for a pool-wide event (panic, outage).
LinkEvent healthLinkEvent(const QDateTime &time, QStringView kind, const QString &pool, const QString &server, const QString &from,
                          const QString &to, const QString &reason);

// The Link event for a connection that was made or lost (nullopt for Connecting ⇄
// Disconnected, which the status bar shows and the event list need not).
std::optional<LinkEvent> connectionEvent(LinkState before, LinkState after, const QString &target, const QString &detail);

} // namespace fulcrum
