#pragma once

#include "config/config.h"
#include "engine/enginesnapshot.h"
#include "locks/lockbackend.h"

#include <QObject>
#include <QStringList>

#include <functional>
#include <optional>
#include <map>
#include <memory>
#include <vector>

namespace fulcrum {

class AuditLog;
class SecretStore;

// The engine's lock endpoints, of any backend: one LockBackend each, polled on its own timer
// (never more than a fifth of the server's time: the wait grows with the last pass), the
// endpoint's events, and every operator release audited here, before and after, whatever the
// backend. Backends know nothing of this.
class LockService : public QObject
{
    Q_OBJECT
public:
    LockService(AuditLog *audit, QObject *parent = nullptr);
    ~LockService() override;

    // Where releases are audited; not owned; must outlive the endpoints (set before apply()).
    void setAuditLog(AuditLog *audit) { m_audit = audit; }
    // Where keychain passwords come from; not owned; may be null.
    void setKeychain(SecretStore *keychain) { m_keychain = keychain; }

    // Endpoints whose config is unchanged keep running (and their history); others restart.
    void apply(const std::vector<LockEndpointConfig> &endpoints);
    void clear();

    QStringList endpointNames() const;
    // Starts a pass on the endpoint now (does nothing while one runs or when not connected).
    void scan(const QString &endpoint);
    // Reads one lock whole now (waiters a pass listed by name included); `done` runs exactly
    // once on this thread; errors name the endpoint and the lock.
    void inspect(const QString &endpoint, const QByteArray &key, std::function<void(const LockInspection &)> done);
    // Compare-first release, audited as `user` from `origin`, then a rescan. `done` runs exactly
    // once, later on this thread: Failed when the endpoint is unknown, not connected, or
    // reconfigured/stopped before the backend answered.
    void release(const QString &endpoint, const LockReleaseRequest &request, const QString &user, const QString &origin,
                 std::function<void(const ForceReleaseResult &)> done);

    // The audited enable action: the endpoint's server starts publishing the change
    // notifications a live table follows (Redis: CONFIG SET notify-keyspace-events, merged with
    // what is set). `done` runs exactly once, later, on this thread.
    void enableNotifications(const QString &endpoint, const QString &user, const QString &origin,
                             std::function<void(bool ok, const QString &message)> done);

    std::vector<LockEndpointView> views() const;
    // One endpoint as it is now (a live table's latest rows); nullopt when there is none.
    std::optional<LockEndpointView> view(const QString &endpoint) const;
    // How one endpoint's table keeps current, without reading the table.
    LockFeedState feed(const QString &endpoint) const;

Q_SIGNALS:
    void scanFinished(const QString &endpoint, const fulcrum::LockScanResult &result);
    // A live endpoint changed rows between passes (as they arrive, one batch per read).
    void rowsChanged(const QString &endpoint, const fulcrum::LockChanges &changes);
    // For one-shot users (fulcrumctl): the endpoint connected, could not connect or lost its
    // connection, or the server refused a pass.
    void endpointConnected(const QString &endpoint);
    void endpointFailed(const QString &endpoint, const QString &why);
    // For the engine's event list: severity as EngineEvent::Severity, source "locks" or "operator".
    void eventOccurred(int severity, const QString &source, const QString &text);

private:
    struct Endpoint;

    std::unique_ptr<Endpoint> makeEndpoint(const LockEndpointConfig &config);

    AuditLog *m_audit = nullptr;
    SecretStore *m_keychain = nullptr;
    std::vector<LockEndpointConfig> m_order;
    std::map<QString, std::unique_ptr<Endpoint>> m_endpoints;
};

} // namespace fulcrum
