#pragma once

#include "admin/adminclient.h"
#include "admin/adminjson.h"
#include "engine/enginelink.h"
#include "engine/linkfigures.h"

#include <QDateTime>
#include <QHash>
#include <QJsonObject>
#include <QPointer>
#include <QUrl>
#include <QUrlQuery>

#include <deque>
#include <functional>
#include <optional>

class QNetworkAccessManager;
class QThread;
class QNetworkReply;
class QTimer;

namespace fulcrum {

class SecretStore;

struct RemoteEngineOptions
{
    QString name;                 // what the console calls this engine ("east"); empty: host:port
    QUrl url;                     // admin API base, http(s)://host:port
    ClientTlsFiles tls;           // https: the CA, client certificate or pin written in the address
    QByteArray token;             // bearer token (admin, or read-only for a viewer); in memory only
    int maxBackoffMs = 15'000;    // reconnect waits double from 500 ms up to this
    int silenceMs = 10'000;       // no message on the stream this long: the connection is dead
};

// Turns fulcrumd's snapshots (decoded from the stream by the wire codec) into the console's
// LinkSnapshot through the same SnapshotMapper as the embedded engine, and keeps what one
// snapshot alone does not say: the engine's tick, the distance between its snapshots. Runs on
// the link's decoder thread.
class RemoteSnapshotReader
{
public:
    LinkSnapshot read(const EngineSnapshot &engine);
    int tickMs() const { return m_tickMs; }
    // After a reconnect the time since the last snapshot is not a tick.
    void reconnected() { m_lastTime = QDateTime(); }

private:
    int m_tickMs = 500;
    QDateTime m_lastTime;
    SnapshotMapper m_mapper;
};

// One stream message as the decoder thread hands it over: the JSON, and for a snapshot or a
// lock table its decoded values (the big ones, kept off the UI thread).
struct RemoteMessage
{
    QByteArray type;
    QJsonObject json;
    EngineSnapshot engine;        // "snapshot"
    LinkSnapshot snapshot;        // "snapshot", mapped
    LockEndpointView locks;       // "locks"
};

class StreamDecoder;

// A running fulcrumd through its admin API: snapshots, events and lock tables from the
// Server-Sent Events stream (GET /api/v1/stream; no polling), commands as PUT/POST answered by
// commandFinished with the engine's own error text. Reconnects with capped backoff and says
// why it is not connected in stateChanged ("token refused (401): ..."). The network side is
// asynchronous on the caller's thread (QNetworkAccessManager): nothing waits on it; JSON is
// parsed and snapshots mapped on a thread of the link's own, in the order they came.
class RemoteEngineLink : public EngineLink
{
    Q_OBJECT
public:
    explicit RemoteEngineLink(RemoteEngineOptions options, QObject *parent = nullptr);
    ~RemoteEngineLink() override;

    // "http(s)://host:port" from what an operator typed ("host:port" is taken as http), without
    // its TLS items (AdminAddress::parse keeps them); nullopt with a message naming the input
    // and the fix when it is not an admin API address without a token.
    static std::optional<QUrl> parseUrl(const QString &text, QString *error);
    // The keychain entry of an engine's token, shared by the console and fulcrumctl:
    // "fulcrumd:http://host:port".
    static QString keychainEntry(const QUrl &url);
    // One GET /api/v1/pools with the token ("test connection"); done(ok, message for a
    // person) runs later on context's thread, at most once, within timeoutMs.
    static void probe(const AdminAddress &address, const QByteArray &token, QObject *context, std::function<void(bool, const QString &)> done,
                      int timeoutMs = 10'000);
    static void probe(const QUrl &url, const QByteArray &token, QObject *context, std::function<void(bool, const QString &)> done, int timeoutMs = 10'000)
    {
        probe(AdminAddress{url, {}}, token, context, std::move(done), timeoutMs);
    }

    LinkState state() const override { return m_state; }
    QString description() const override;
    int tickMs() const override { return m_last.tickMs; }
    QList<LockEndpointInfo> lockEndpoints() const override { return m_lockEndpointList; }
    QString name() const { return m_options.name; }
    QUrl url() const { return m_options.url; }
    QString stateDetail() const { return m_stateDetail; }
    QString transportWarning() const override;

    quint64 setWeight(const QString &pool, const QString &server, int weight) override;
    quint64 setState(const QString &pool, const QString &server, BackendState state) override;
    quint64 testLockEndpoint(const LockEndpointConfig &endpoint, const QByteArray &password) override;
    quint64 requestLockRelease(const QString &endpoint, const LockReleaseRequest &request) override;
    quint64 requestLockDetail(const QString &endpoint, const QByteArray &key) override;
    quint64 enableLockNotifications(const QString &endpoint) override;
    // The engine builds the report from its own history (GET /api/v1/report) and the body is
    // written to path as it arrives (QSaveFile: nothing half-written is left). json, html and
    // pdf in one request; csv one request per section, written as <path without .csv>-<section>.csv
    // like the in-process export, all or none (a failure or Cancel removes the ones written).
    quint64 exportReport(const ReportRequest &request, const QString &path) override;
    void cancelReport(quint64 id) override;
    // GET /api/v1/history over the window.
    quint64 requestHistory(const HistoryQuery &query) override;

private:
    struct Answer
    {
        int status = 0;           // 0: no HTTP answer
        QJsonObject json;
        QString error;            // transport failure, for a person
    };

    friend class StreamDecoder;
    // A stream message, parsed on the decoder thread (the snapshot mapped there too).
    void handleMessage(quint64 generation, const RemoteMessage &message);
    void handleSnapshot(const EngineSnapshot &engine, const LinkSnapshot &snapshot);
    void handleLocks(const LockEndpointView &endpoint);
    void fetchHistory();
    void addEvent(const LinkEvent &event);
    void flushEvents();
    void setLinkState(LinkState state, const QString &detail);
    void request(const QByteArray &method, const QString &path, const QJsonObject &body, std::function<void(const Answer &)> done);
    void finish(quint64 id, bool ok, const QString &message);
    using ReportFileDone = std::function<void(bool ok, const QString &message, qint64 size)>;
    // One GET /api/v1/report into path through QSaveFile; byteProgress: reportProgress in KiB.
    void fetchReportFile(quint64 id, const QUrlQuery &query, const QString &path, bool byteProgress, ReportFileDone done);
    // The csv sections one after another; written holds the files of the sections before.
    void fetchCsvSections(quint64 id, const ReportRequest &report, const QUrlQuery &query, const QString &prefix, QStringList written);
    QString serverPath(const QString &pool, const QString &server, const QString &what) const;
    const ServerStatus *lastServer(const QString &pool, const QString &server) const;

    RemoteEngineOptions m_options;
    AdminClient m_client;          // the requests, their TLS and their errors
    QNetworkAccessManager *m_network;
    AdminEventStream *m_events;    // GET /api/v1/stream, kept open by the shared client
    LinkState m_state = LinkState::Connecting;
    QString m_stateDetail;
    QThread *m_decoderThread;
    StreamDecoder *m_decoder;      // lives on m_decoderThread
    quint64 m_generation = 0;      // of the stream now open: messages of an older one are dropped
    quint64 m_lastCommandId = 0;
    LinkSnapshot m_last;
    QList<LockEndpointInfo> m_lockEndpointList;
    QHash<QString, LockEndpointView> m_lockEndpoints;       // each endpoint's last state in the snapshot
    QHash<QString, LockTable> m_lockTables;                  // each endpoint's last full table, live changes applied
    // A live endpoint's row changes, applied to its table on a beat (not per message: a busy
    // Redis sends dozens a second, and each application is a pass over the whole table).
    QHash<QString, QList<LockChangesMessage>> m_pendingLockChanges;
    QTimer *m_lockChangesBeat = nullptr;
    void handleLockChanges(const LockChangesMessage &message);
    void applyLockChanges();
    QList<LinkEvent> m_pendingEvents;
    QHash<quint64, QPointer<QNetworkReply>> m_reports;       // report downloads in progress, by command id
    QDateTime m_newestEvent;     // events up to here were shown: history fetched after a reconnect starts after it
};

} // namespace fulcrum
