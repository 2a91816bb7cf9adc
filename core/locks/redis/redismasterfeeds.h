#pragma once

#include "config/config.h"
#include "locks/livelocktable.h"
#include "locks/lockbackend.h"

#include <QObject>

#include <functional>
#include <map>

class QTimer;

namespace fulcrum {

class RedisKeyspaceFeed;
class RedisNodeSet;

// Live on several masters read side by side (a Cluster's, a Redlock's), for the backend that
// owns it. Asks every master for notify-keyspace-events (once all are connected, and every
// minute), keeps one keyspace subscription per master of the set, turns every master's
// inspector live once all are confirmed and has the backend read everything, keeps the live
// table that pass becomes, and runs the audited enable action on every master. The backend
// merges each master's rowsChanged() into table() in its own way (a Cluster by slot, a Redlock
// by quorum). The feed's state, errors and the pass it asks for go to the backend's signals.
class RedisMasterFeeds : public QObject
{
    Q_OBJECT
public:
    // `observations`: the backend's, told of the rows the table puts and removes.
    RedisMasterFeeds(const RedisEndpointConfig &config, RedisNodeSet *nodes, LockObservations *observations, LockBackend *backend);
    ~RedisMasterFeeds() override;

    // Starts the minute's check; the backend's open().
    void start();
    // Live, resyncing or polling and why, with the changes every master's inspector applied.
    LockFeedState state() const;
    LockFeedState::Mode mode() const { return m_state.mode; }
    // One subscription per master of the set now; those of nodes no longer in it go.
    void ensure();
    // A pass ended with `pass` as the backend's last result; `missing` names the masters (or
    // shards) it could not read. With every master subscribed and read, the pass becomes the
    // live table (live from here, if not already); with one missing, resyncing until `until`.
    void passRead(const LockScanResult &pass, const QStringList &missing, const QString &until);
    // Live: the table changes are merged into (nullptr while polled or resyncing).
    LiveLockTable *table() { return m_tableActive ? &m_table : nullptr; }
    // The backend's table as of now: the live one, or its last pass.
    const LockScanResult &result(const LockScanResult &last) const { return m_tableActive ? m_table.result(last) : last; }
    // CONFIG SET notify-keyspace-events, each master's own merged with what live needs.
    void enable(std::function<void(bool ok, const QString &message)> done);

Q_SIGNALS:
    // Back to polling: the backend keeps result() as its last pass; the table ends after this.
    void dropped();
    // One master's change set, read again by that master's inspector.
    void rowsChanged(const QString &master, const fulcrum::LockChanges &changes);
    // Connected to the backend's feedChanged and errorOccurred.
    void stateChanged(const fulcrum::LockFeedState &state);
    void errorOccurred(const QString &message);

private:
    void setState(LockFeedState state);
    void check();
    void drop(const LockFeedState &polling);
    // A feed on its way out says nothing more: a subscription it completes or loses from now on
    // (its connection may answer before deleteLater runs) is no longer this endpoint's.
    void retire(RedisKeyspaceFeed *feed);
    void subscribed();
    bool everyMasterConnected() const;

    RedisEndpointConfig m_config;
    RedisNodeSet *m_nodes = nullptr;
    LockBackend *m_backend = nullptr;
    QString m_url;
    std::map<QString, RedisKeyspaceFeed *> m_feeds;     // master address → its subscription
    bool m_wanted = false;              // every master publishes what live needs (or require)
    bool m_resyncPass = false;          // the next complete pass makes the table live again
    LockFeedState m_state;
    QString m_subscribeRefused;
    QString m_requireReported;
    quint64 m_checkGeneration = 0;
    QTimer *m_check = nullptr;
    bool m_tableActive = false;
    LiveLockTable m_table;
};

} // namespace fulcrum
