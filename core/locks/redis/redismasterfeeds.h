#pragma once

#include "config/config.h"
#include "locks/lockbackend.h"

#include <QObject>

#include <functional>
#include <map>

class QTimer;

namespace fulcrum {

class RedisKeyspaceFeed;
class RedisNodeSet;

// Live on several masters read side by side (a Cluster's, a Redlock's). Asks every master for
// notify-keyspace-events (once all are connected, and every minute), keeps one keyspace
// subscription per master of the set, turns every master's inspector live once all are
// confirmed, and runs the audited enable action on every master. The backend keeps the table:
// it reads everything on readEverything(), adopts that pass when everyMasterSubscribed(), and
// merges each master's rowsChanged() in its own way (a Cluster by slot, a Redlock by quorum).
class RedisMasterFeeds : public QObject
{
    Q_OBJECT
public:
    RedisMasterFeeds(const RedisEndpointConfig &config, RedisNodeSet *nodes, QString url, QObject *parent);
    ~RedisMasterFeeds() override;

    // Starts the minute's check; the backend's open().
    void start();
    // Live, resyncing or polling and why, with the changes every master's inspector applied.
    LockFeedState state() const;
    LockFeedState::Mode mode() const { return m_state.mode; }
    void setState(LockFeedState state);
    // One subscription per master of the set now; those of nodes no longer in it go.
    void ensure();
    bool everyMasterSubscribed() const;
    // A pass read every master while everyMasterSubscribed(): live from here, if not already.
    void passCompletedLive();
    int count() const { return int(m_feeds.size()); }
    // CONFIG SET notify-keyspace-events, each master's own merged with what live needs.
    void enable(std::function<void(bool ok, const QString &message)> done);

Q_SIGNALS:
    void stateChanged(const fulcrum::LockFeedState &state);
    // Every subscription is confirmed and every inspector live: read everything once, now.
    void readEverything();
    // Back to polling: the backend's live table ends here (its rows stay as the last result).
    void dropped();
    // One master's change set, read again by that master's inspector.
    void rowsChanged(const QString &master, const fulcrum::LockChanges &changes);
    // notifications: require, and a master does not publish them: for the endpoint's errors.
    void errorOccurred(const QString &message);

private:
    void check();
    void drop(const LockFeedState &polling);
    void subscribed();
    bool everyMasterConnected() const;

    RedisEndpointConfig m_config;
    RedisNodeSet *m_nodes = nullptr;
    QString m_url;
    std::map<QString, RedisKeyspaceFeed *> m_feeds;     // master address → its subscription
    bool m_wanted = false;              // every master publishes what live needs (or require)
    bool m_resyncPass = false;          // the next complete pass makes the table live again
    LockFeedState m_state;
    QString m_subscribeRefused;
    QString m_requireReported;
    quint64 m_checkGeneration = 0;
    QTimer *m_check = nullptr;
};

} // namespace fulcrum
