#pragma once

#include "engine/enginelink.h"
#include "engine/linkfigures.h"
#include "haproxy/runtimeclient.h"
#include "haproxy/showstat.h"

#include <QElapsedTimer>
#include <QTimer>

#include <functional>

namespace fulcrum {

// The console over an existing HAProxy, through its Runtime API (stats socket, Unix or TCP).
// Polls `show stat` at the tick and turns it into snapshots (pool = backend, server =
// server); sends `set server B/S weight N` and `set server B/S state ready|drain|maint`.
// HAProxy weights are 0–256. Latency: `show stat` has only rtime, the average response
// time over the last 1024 requests, shown as p50; p95 and p99 are not available (0).
// HAProxy keeps no locks: the link has no lock endpoints, and EngineLink's defaults answer lock
// commands with that.
// All socket work is asynchronous on the caller's event loop; nothing here blocks.
class HaproxyEngineLink : public EngineLink
{
    Q_OBJECT
public:
    static constexpr int kHaproxyMaxWeight = 256;

    explicit HaproxyEngineLink(const RuntimeAddress &address, int tickMs = 500, QObject *parent = nullptr);
    ~HaproxyEngineLink() override;

    LinkState state() const override { return m_state; }
    QString description() const override;
    int tickMs() const override { return m_tickMs; }

    quint64 setWeight(const QString &pool, const QString &server, int weight) override;
    quint64 setState(const QString &pool, const QString &server, BackendState state) override;

    EngineCapabilities capabilities() const override { return kindCapabilities(); }
    static EngineCapabilities kindCapabilities();
    QString weightNote() const override;

    // Asks the socket `show cli level` and `show info` once (Settings' "Test engine"): done(ok,
    // message) names the HAProxy version and whether the socket is at admin level. Not called
    // when context is gone first.
    static void probe(const RuntimeAddress &address, QObject *context, std::function<void(bool, const QString &)> done);

    // What `show cli level` said: "admin", "operator", "user"; empty until known.
    QString accessLevel() const { return m_level; }
    // Why the link is not connected (or is read-only); empty when all is well.
    QString lastError() const { return m_detail; }

    // `show stat` status ("UP", "UP 2/3", "DOWN 1/2", "NOLB", "MAINT (via b/s)", "DRAIN",
    // "no check") as a state and the console's state text. Public for the parser tests.
    static BackendState stateFromStatus(const QString &status, QString *stateText);
    // The last check as one line: "L7OK 200 in 1 ms", "L4CON in 0 ms: Connection refused".
    static QString checkReason(const StatRow &row);

private:
    void poll();
    void onStat(const RuntimeReply &reply);
    void publish(const ShowStat &stat);
    void setLinkState(LinkState state, const QString &detail);
    quint64 runServerCommand(const QString &pool, const QString &server, const QByteArray &what, const QString &before,
                             const QString &after, const QString &action);
    QString explain(const QString &pool, const QString &server, const QString &answer) const;
    quint64 refuse(const QString &message);

    RuntimeClient m_client;
    int m_tickMs;
    QTimer m_tick;
    QElapsedTimer m_clock;
    LinkState m_state = LinkState::Connecting;
    QString m_detail;
    QString m_level;
    bool m_polling = false;
    bool m_levelAsked = false;
    quint64 m_sequence = 0;
    quint64 m_lastCommandId = 0;
    LinkSnapshot m_last;
    CounterWindow m_rates;                            // per "pool/server": counters over the last second
    QList<LinkEvent> m_events;                        // operator events since the last snapshot
};

} // namespace fulcrum
