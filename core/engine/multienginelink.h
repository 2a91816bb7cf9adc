#pragma once

#include "engine/enginelink.h"

#include <QHash>
#include <QList>

#include <memory>
#include <vector>

class QTimer;

namespace fulcrum {

// Several engines side by side as one link: every view shows all of them. Pool and Redis
// endpoint names get the engine's name in front ("east/checkout", "east/cache"), so servers
// are "east/checkout/app1"; commands go to the engine the name starts with, without the
// prefix. One merged snapshot per tick of the fastest engine; the state is the worst
// engine's, and the detail names each engine's state.
class MultiEngineLink : public EngineLink
{
    Q_OBJECT
public:
    explicit MultiEngineLink(QObject *parent = nullptr);
    ~MultiEngineLink() override;

    // Takes ownership. Names are unique and have no '/' (RemoteEngineLink names are checked
    // by the app); false when that does not hold.
    bool addEngine(const QString &name, EngineLink *link);
    // Drops the engine and deletes its link while the console runs: a merged snapshot without
    // its servers goes out at once, and its unanswered commands are answered as unknown.
    // false when there is no engine of that name.
    bool removeEngine(const QString &name);
    QStringList engineNames() const;
    EngineLink *engine(const QString &name) const;

    LinkState state() const override { return m_state; }
    QString description() const override;
    QString transportWarning() const override;
    int tickMs() const override;
    QList<LockEndpointInfo> lockEndpoints() const override;

    quint64 setWeight(const QString &pool, const QString &server, int weight) override;
    quint64 setState(const QString &pool, const QString &server, BackendState state) override;
    quint64 testLockEndpoint(const LockEndpointConfig &endpoint, const QByteArray &password) override;
    quint64 requestLockRelease(const QString &endpoint, const LockReleaseRequest &request) override;
    quint64 requestLockDetail(const QString &endpoint, const QByteArray &key) override;
    quint64 enableLockNotifications(const QString &endpoint) override;
    // The lowest of the engines' limits, so that no drag asks any of them for more than it
    // takes; the note names the engines whose scale differs.
    EngineCapabilities capabilities() const override;
    QString weightNote() const override;
    // A report is one engine's history: says how to get it instead of guessing which engine.
    quint64 exportReport(const ReportRequest &request, const QString &path) override;
    // Every engine's history side by side, pools named as in snapshots.
    quint64 requestHistory(const HistoryQuery &query) override;

private:
    struct Child
    {
        QString name;
        EngineLink *link = nullptr;
        LinkState state = LinkState::Connecting;
        QString detail;
        LinkSnapshot snapshot;     // pool names prefixed
    };

    // The child a prefixed name belongs to and the name without the prefix; null when none.
    Child *route(const QString &prefixed, QString *local);
    quint64 forward(Child *child, quint64 childId);
    void failLater(quint64 id, const QString &message);
    void publishSnapshot();
    void updateState();

    std::vector<std::unique_ptr<Child>> m_children;   // the links themselves are QObject children
    QHash<QPair<const EngineLink *, quint64>, quint64> m_commands;   // child's command id -> ours
    struct DetailAsked
    {
        quint64 id;                                                    // ours
        QString endpoint;                                              // as we name it
        QByteArray key;
    };
    QHash<QPair<const EngineLink *, quint64>, DetailAsked> m_details; // child's lock detail id -> ours
    quint64 m_lastCommandId = 0;
    quint64 m_sequence = 0;
    bool m_dirty = false;
    QTimer *m_tick;
    LinkState m_state = LinkState::Connecting;
};

} // namespace fulcrum
