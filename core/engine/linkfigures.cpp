#include "engine/linkfigures.h"

#include "common/wallclock.h"

#include <algorithm>

namespace fulcrum {

CounterWindow::Rates CounterWindow::add(const QString &key, qint64 nowMs, qint64 requests, qint64 errors)
{
    std::deque<Sample> &window = m_samples[key];
    if (!window.empty() && (requests < window.back().requests || errors < window.back().errors))
        window.clear();
    window.push_back(Sample{nowMs, requests, errors});
    // From the newest sample at least a second old.
    while (window.size() > 2 && nowMs - window[1].ms >= 1000)
        window.pop_front();
    const Sample &from = window.front();
    const double seconds = double(nowMs - from.ms) / 1000.0;
    const qint64 windowRequests = requests - from.requests;
    Rates rates;
    rates.requestsPerSecond = seconds > 0 ? double(windowRequests) / seconds : 0;
    rates.errorRate = windowRequests > 0 ? std::min(1.0, double(errors - from.errors) / double(windowRequests)) : 0;
    return rates;
}

void CounterWindow::keepOnly(const QSet<QString> &keys)
{
    for (auto it = m_samples.begin(); it != m_samples.end();) {
        if (keys.contains(it.key()))
            ++it;
        else
            it = m_samples.erase(it);
    }
}

void assignTrafficShares(QList<ServerStatus> &servers)
{
    QHash<QString, double> poolRps;
    for (const ServerStatus &s : std::as_const(servers))
        poolRps[s.pool] += s.requestsPerSecond;
    for (ServerStatus &s : servers) {
        const double total = poolRps.value(s.pool);
        s.share = total > 0 ? s.requestsPerSecond / total : 0;
    }
}

QList<LinkEvent> stateChangeEvents(const LinkSnapshot &before, const LinkSnapshot &after, const QString &who)
{
    QList<LinkEvent> events;
    for (const ServerStatus &s : after.servers) {
        const int index = before.indexOf(s.pool, s.name);
        if (index >= 0 && before.servers[index].stateText != s.stateText) {
            events.append(LinkEvent{after.time, LinkEvent::Kind::Health, who, s.key(), QStringLiteral("state"),
                                    before.servers[index].stateText, s.stateText, s.reason});
        }
    }
    return events;
}

LinkEvent healthLinkEvent(const QDateTime &time, QStringView kind, const QString &pool, const QString &server, const QString &from,
                          const QString &to, const QString &reason)
{
    const LinkEvent::Kind linkKind = kind == u"outlier" ? LinkEvent::Kind::Ejection
                                     : kind == u"panic" ? LinkEvent::Kind::Panic
                                     : kind == u"outage" ? LinkEvent::Kind::Outage
                                                         : LinkEvent::Kind::Health;
    return LinkEvent{time, linkKind, QStringLiteral("engine"), server.isEmpty() ? pool : pool + u'/' + server,
                     linkKind == LinkEvent::Kind::Outage ? QStringLiteral("pool") : linkKind == LinkEvent::Kind::Panic ? QStringLiteral("panic mode") : QStringLiteral("state"),
                     from, to, reason};
}

std::optional<LinkEvent> connectionEvent(LinkState before, LinkState after, const QString &target, const QString &detail)
{
    if (before == after || (before != LinkState::Connected && after != LinkState::Connected))
        return std::nullopt;
    return LinkEvent{wallclock::nowUtc(), LinkEvent::Kind::Link, QStringLiteral("console"), target, QStringLiteral("connection"),
                     linkStateName(before), linkStateName(after), detail};
}

} // namespace fulcrum
