#include "engine/remoteenginelink.h"

#include "common/duration.h"
#include "common/wallclock.h"
#include "admin/adminjson.h"
#include "engine/auditlog.h"
#include "locks/redis/redisreply.h"
#include "locks/secretstore.h"

#include <QCoreApplication>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QSaveFile>
#include <QUrlQuery>
#include <QThread>
#include <QTimer>

#include <algorithm>
#include <map>
#include <memory>
#include <utility>

namespace fulcrum {

namespace {

constexpr int kCommandTimeoutMs = 10'000;
constexpr int kReportSilenceMs = 300'000;   // a report of weeks of history may take a while before its first byte
constexpr int kHistoryLimit = 200;

AdminEventStream::Options streamOptions(const RemoteEngineOptions &options)
{
    AdminEventStream::Options stream;
    stream.maxBackoffMs = options.maxBackoffMs;
    stream.silenceMs = options.silenceMs;
    return stream;
}

} // namespace

// Parses stream messages off the UI thread: a snapshot of 500 servers is about 260 KB of JSON.
class StreamDecoder : public QObject
{
public:
    explicit StreamDecoder(RemoteEngineLink *link) : m_link(link) {}

    void decode(quint64 generation, const QByteArray &type, const QByteArray &data)
    {
        RemoteMessage message;
        message.type = type;
        message.json = QJsonDocument::fromJson(data).object();
        if (message.json.isEmpty())
            return;
        if (type == "snapshot") {
            message.engine = snapshotFromJson(message.json);
            message.snapshot = m_reader.read(message.engine);
            message.json = QJsonObject();
        } else if (type == "locks") {
            message.locks = lockEndpointFromJson(message.json);
            message.json = QJsonObject();
        }
        QMetaObject::invokeMethod(m_link, [link = m_link, generation, message = std::move(message)] {
            link->handleMessage(generation, message);
        }, Qt::QueuedConnection);
    }
    void reconnected() { m_reader.reconnected(); }

private:
    RemoteEngineLink *m_link;
    RemoteSnapshotReader m_reader;
};

RemoteEngineLink::RemoteEngineLink(RemoteEngineOptions options, QObject *parent)
    : EngineLink(parent)
    , m_options(std::move(options))
    , m_client(AdminAddress{m_options.url, m_options.tls}, m_options.token)
    , m_network(new QNetworkAccessManager(this))
    , m_events(new AdminEventStream(m_client, m_network, streamOptions(m_options), this))
    , m_decoderThread(new QThread(this))
    , m_decoder(new StreamDecoder(this))
{
    qRegisterMetaType<LinkSnapshot>();
    qRegisterMetaType<LinkEvent>();
    qRegisterMetaType<LockTable>();
    qRegisterMetaType<CommandResult>();
    if (m_options.name.isEmpty())
        m_options.name = QStringLiteral("%1:%2").arg(m_options.url.host()).arg(m_options.url.port(9900));
    // The stream itself (reconnects, silence, oversized messages) is the shared client's;
    // what a new attempt, a message and a loss mean for the console is here.
    connect(m_events, &AdminEventStream::connecting, this, [this] {
        setLinkState(LinkState::Connecting, tr("connecting to %1").arg(m_options.url.toString()));
        ++m_generation;
        QMetaObject::invokeMethod(m_decoder, [decoder = m_decoder] { decoder->reconnected(); }, Qt::QueuedConnection);
    });
    connect(m_events, &AdminEventStream::message, this, [this](const QByteArray &type, const QByteArray &data) {
        QMetaObject::invokeMethod(m_decoder, [decoder = m_decoder, generation = m_generation, type, data] { decoder->decode(generation, type, data); },
                                  Qt::QueuedConnection);
    });
    connect(m_events, &AdminEventStream::lost, this, [this](const QString &why, int, int retryInMs) {
        if (m_state == LinkState::Connected) {
            flushEvents();
            addEvent(LinkEvent{wallclock::nowUtc(), LinkEvent::Kind::Link, QStringLiteral("console"), m_options.name,
                               QStringLiteral("link"), QStringLiteral("connected"), QStringLiteral("lost"), why});
            flushEvents();
        }
        setLinkState(LinkState::Disconnected, tr("%1; retrying in %2 s").arg(why).arg((retryInMs + 999) / 1000));
    });
    m_stateDetail = tr("connecting to %1").arg(m_options.url.toString());
    m_decoderThread->setObjectName(QStringLiteral("fulcrum-remote-decoder"));
    m_decoder->moveToThread(m_decoderThread);
    connect(m_decoderThread, &QThread::finished, m_decoder, &QObject::deleteLater);
    m_decoderThread->start();
    // Started from the event loop: whoever made the link connects its signals first.
    QTimer::singleShot(0, m_events, &AdminEventStream::start);
}

RemoteEngineLink::~RemoteEngineLink()
{
    m_decoderThread->quit();
    m_decoderThread->wait();
    m_events->disconnect(this);
    m_events->stop();
}

std::optional<QUrl> RemoteEngineLink::parseUrl(const QString &text, QString *error)
{
    const std::optional<AdminAddress> address = AdminAddress::parse(text, error);
    return address ? std::optional<QUrl>(address->url) : std::nullopt;
}

QString RemoteEngineLink::keychainEntry(const QUrl &url)
{
    return QStringLiteral("fulcrumd:") + url.toString(QUrl::StripTrailingSlash);
}

void RemoteEngineLink::probe(const AdminAddress &address, const QByteArray &token, QObject *context, std::function<void(bool, const QString &)> done,
                             int timeoutMs)
{
    const AdminClient client(address, token);
    if (!client.setupError().isEmpty()) {
        QMetaObject::invokeMethod(context, [done = std::move(done), why = client.setupError()] { done(false, why); }, Qt::QueuedConnection);
        return;
    }
    auto *network = new QNetworkAccessManager(context);
    QNetworkRequest request = client.request(QStringLiteral("/api/v1/pools"));
    request.setTransferTimeout(timeoutMs);
    QNetworkReply *reply = client.send(*network, "GET", request);
    QObject::connect(reply, &QNetworkReply::finished, context, [reply, network, client, done = std::move(done)] {
        const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        const QByteArray body = reply->readAll();
        const QJsonObject json = QJsonDocument::fromJson(body).object();
        const QString url = client.url().toString();
        if (status == 200) {
            QStringList pools;
            int servers = 0;
            for (const QJsonValue &value : json.value(QStringLiteral("pools")).toArray()) {
                const PoolView pool = poolFromJson(value.toObject());
                pools.append(pool.name);
                servers += int(pool.servers.size());
            }
            QString text = QStringLiteral("%1 answered: %2 pool(s) (%3), %4 server(s)").arg(url).arg(pools.size()).arg(pools.join(QStringLiteral(", "))).arg(servers);
            if (client.address().isUnencryptedRemote())
                text += tr("; unencrypted: the token and lock data cross the network in clear (set admin.tls on the engine and use https://)");
            done(true, text);
        } else if (status == 0) {
            done(false, client.transportError(reply));
        } else {
            done(false, client.statusError(status, body));
        }
        reply->deleteLater();
        network->deleteLater();
    });
}

QString RemoteEngineLink::description() const
{
    return tr("fulcrumd %1 at %2").arg(m_options.name, m_options.url.toString());
}

QString RemoteEngineLink::transportWarning() const
{
    if (!m_client.address().isUnencryptedRemote())
        return {};
    return tr("%1 unencrypted: its token and lock data cross the network in clear; set admin.tls on the engine and connect with https://")
        .arg(m_options.name);
}

void RemoteEngineLink::setLinkState(LinkState state, const QString &detail)
{
    if (state == m_state && detail == m_stateDetail)
        return;
    m_state = state;
    m_stateDetail = detail;
    Q_EMIT stateChanged(state, detail);
}

void RemoteEngineLink::handleMessage(quint64 generation, const RemoteMessage &message)
{
    // A message still on its way from a stream that has since ended must not revive it.
    if (generation != m_generation || !m_events->isOpen())
        return;
    const QByteArray &type = message.type;
    if (type == "snapshot") {
        handleSnapshot(message.engine, message.snapshot);
    } else if (type == "locks") {
        handleLocks(message.locks);
    } else if (type == "lock-changes") {
        handleLockChanges(lockChangesFromJson(message.json));
    } else if (type == "health") {
        // Operator actions come as audit entries, with who did them.
        if (const std::optional<LinkEvent> event = healthLinkEvent(healthEventFromJson(message.json)))
            addEvent(*event);
    } else if (type == "audit") {
        addEvent(auditLinkEvent(AuditEntry::fromJson(message.json)));
    } else if (type == "event") {
        // Health and operator events also come structured (health events, audit entries).
        if (const std::optional<LinkEvent> event = engineLinkEvent(engineEventFromJson(message.json), m_options.name))
            addEvent(*event);
    }
}

LinkSnapshot RemoteSnapshotReader::read(const EngineSnapshot &engine)
{
    // The engine's tick (1–4 Hz) is the distance between its snapshots.
    if (m_lastTime.isValid() && engine.time.isValid()) {
        const qint64 gap = m_lastTime.msecsTo(engine.time);
        if (gap > 0)
            m_tickMs = int(std::clamp<qint64>((gap + 125) / 250 * 250, 250, 1000));
    }
    LinkSnapshot snapshot = m_mapper.map(engine, m_tickMs);
    m_lastTime = snapshot.time;
    return snapshot;
}

void RemoteEngineLink::handleSnapshot(const EngineSnapshot &engine, const LinkSnapshot &snapshot)
{
    QList<LockEndpointInfo> endpoints;
    for (const LockEndpointView &e : engine.lockEndpoints) {
        endpoints.append(LockEndpointInfo{e.name, e.backend, e.capabilities.displayName, e.tlsInsecure});
        const auto seen = m_lockEndpoints.constFind(e.name);
        const bool known = seen != m_lockEndpoints.cend();
        if (!known || seen->connectionState != e.connectionState || seen->lastError != e.lastError)
            Q_EMIT lockEndpointStateChanged(e.name, lockEndpointLinkState(e.connectionState), e.lastError);
        const bool progressed = e.scanning && (!known || !seen->scanning || e.passKeysScanned != seen->passKeysScanned);
        // The feed (live, polling and why) changes between passes too.
        bool feedChanged = false;
        if (auto table = m_lockTables.find(e.name); table != m_lockTables.end()) {
            feedChanged = !table->feed.sameShownState(e.feed);
            table->feed = e.feed;
        }
        if (progressed || feedChanged || (known && e.lastError != seen->lastError)) {
            LockTable table = m_lockTables.value(e.name, LockTable{e.name, e.backend, {}, false, 0, QString(), QString(), e.feed});
            table.scanning = e.scanning;
            if (e.scanning) {
                table.keysScanned = e.passKeysScanned;
                table.passDetail = e.passDetail;
            }
            table.error = e.lastError;
            Q_EMIT lockTableReady(table);
        }
        m_lockEndpoints.insert(e.name, e);
    }
    m_lockEndpointList = endpoints;

    const bool first = m_state != LinkState::Connected;
    m_last = snapshot;
    if (first) {
        setLinkState(LinkState::Connected, QString());
        fetchHistory();
    }
    flushEvents();
    Q_EMIT snapshotReady(snapshot);
}

void RemoteEngineLink::handleLocks(const LockEndpointView &endpoint)
{
    LockTable table;
    table.endpoint = endpoint.name;
    table.backend = endpoint.backend;
    table.keysScanned = endpoint.lastResult.keysScanned;
    table.notes = endpoint.lastResult.notes;
    table.notesOmitted = endpoint.lastResult.notesOmitted;
    table.error = endpoint.lastError;
    const QDateTime readAt = endpoint.hasResult ? endpoint.lastResult.finishedAt : wallclock::nowUtc();
    for (const LockInfo &lock : endpoint.lastResult.locks)
        table.rows.append(LockRow::fromInfo(table.endpoint, lock, readAt));
    table.feed = endpoint.feed;
    m_pendingLockChanges.remove(table.endpoint); // the full table has them
    m_lockTables.insert(table.endpoint, table);
    Q_EMIT lockTableReady(table);
}

void RemoteEngineLink::handleLockChanges(const LockChangesMessage &message)
{
    if (!m_lockTables.contains(message.endpoint))
        return; // the full table comes first, and has these
    m_pendingLockChanges[message.endpoint].append(message);
    if (!m_lockChangesBeat) {
        m_lockChangesBeat = new QTimer(this);
        m_lockChangesBeat->setSingleShot(true);
        m_lockChangesBeat->setInterval(200);
        connect(m_lockChangesBeat, &QTimer::timeout, this, &RemoteEngineLink::applyLockChanges);
    }
    if (!m_lockChangesBeat->isActive())
        m_lockChangesBeat->start();
}

void RemoteEngineLink::applyLockChanges()
{
    const QHash<QString, QList<LockChangesMessage>> pending = std::exchange(m_pendingLockChanges, {});
    for (auto it = pending.cbegin(); it != pending.cend(); ++it) {
        auto table = m_lockTables.find(it.key());
        if (table == m_lockTables.end())
            continue;
        std::map<QByteArray, LockRow> rows;
        for (LockRow &row : table->rows)
            rows.emplace(row.key, std::move(row));
        for (const LockChangesMessage &change : it.value()) {
            for (const QByteArray &key : change.changes.removed)
                rows.erase(key);
            for (const LockInfo &info : change.changes.upserted) {
                // A row read just now: its TTL counts down from when it was read.
                rows.insert_or_assign(info.key, LockRow::fromInfo(table->endpoint, info, info.readAt.isValid() ? info.readAt : wallclock::nowUtc()));
            }
            table->feed = change.feed;
        }
        table->rows.clear();
        table->rows.reserve(qsizetype(rows.size()));
        for (auto &[key, row] : rows)
            table->rows.append(std::move(row));
        Q_EMIT lockTableReady(*table);
    }
}

// What happened before this console attached (or while it was cut off): health events,
// engine events and operator actions up to the first snapshot of this connection; later ones come on the stream.
void RemoteEngineLink::fetchHistory()
{
    const QDateTime after = m_newestEvent;
    const QDateTime until = m_last.time;
    auto collected = std::make_shared<QList<LinkEvent>>();
    auto pending = std::make_shared<int>(3);
    auto take = [this, after, until, collected, pending](QList<LinkEvent> events) {
        for (const LinkEvent &event : events) {
            if ((!after.isValid() || event.time > after) && event.time <= until)
                collected->append(event);
        }
        if (--*pending > 0)
            return;
        std::stable_sort(collected->begin(), collected->end(), [](const LinkEvent &a, const LinkEvent &b) { return a.time < b.time; });
        if (!collected->isEmpty())
            Q_EMIT eventsReady(*collected);
        if (!collected->isEmpty() && (!m_newestEvent.isValid() || collected->last().time > m_newestEvent))
            m_newestEvent = collected->last().time;
    };
    const QString limit = QString::number(kHistoryLimit);
    request("GET", QStringLiteral("/api/v1/health-events?limit=") + limit, {}, [this, take](const Answer &answer) {
        QList<LinkEvent> events;
        for (const QJsonValue &value : answer.json.value(QStringLiteral("events")).toArray()) {
            if (const std::optional<LinkEvent> event = healthLinkEvent(healthEventFromJson(value.toObject())))
                events.append(*event);
        }
        take(events);
    });
    request("GET", QStringLiteral("/api/v1/events?limit=") + limit, {}, [this, take](const Answer &answer) {
        QList<LinkEvent> events;
        for (const QJsonValue &value : answer.json.value(QStringLiteral("events")).toArray()) {
            if (const std::optional<LinkEvent> event = engineLinkEvent(engineEventFromJson(value.toObject()), m_options.name))
                events.append(*event);
        }
        take(events);
    });
    request("GET", QStringLiteral("/api/v1/audit?limit=") + limit, {}, [take](const Answer &answer) {
        QList<LinkEvent> events;
        for (const QJsonValue &value : answer.json.value(QStringLiteral("entries")).toArray())
            events.append(auditLinkEvent(AuditEntry::fromJson(value.toObject())));
        take(events);
    });
}

void RemoteEngineLink::addEvent(const LinkEvent &event)
{
    m_pendingEvents.append(event);
    if (!m_newestEvent.isValid() || event.time > m_newestEvent)
        m_newestEvent = event.time;
}

void RemoteEngineLink::flushEvents()
{
    if (m_pendingEvents.isEmpty())
        return;
    QList<LinkEvent> events;
    events.swap(m_pendingEvents);
    Q_EMIT eventsReady(events);
}

void RemoteEngineLink::request(const QByteArray &method, const QString &path, const QJsonObject &body, std::function<void(const Answer &)> done)
{
    QNetworkRequest request = m_client.request(path);
    request.setTransferTimeout(kCommandTimeoutMs);
    QByteArray payload;
    if (!body.isEmpty()) {
        payload = QJsonDocument(body).toJson(QJsonDocument::Compact);
        request.setHeader(QNetworkRequest::ContentTypeHeader, QStringLiteral("application/json"));
    }
    if (!m_client.setupError().isEmpty()) {
        QMetaObject::invokeMethod(this, [done = std::move(done), why = m_client.setupError()] { done(Answer{0, {}, why}); }, Qt::QueuedConnection);
        return;
    }
    QNetworkReply *reply = m_client.send(*m_network, method, request, payload);
    connect(reply, &QNetworkReply::finished, this, [this, reply, done = std::move(done)] {
        Answer answer;
        answer.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        const QByteArray bytes = reply->readAll();
        answer.json = QJsonDocument::fromJson(bytes).object();
        if (answer.status == 0)
            answer.error = m_client.transportError(reply);
        else if (answer.status >= 300)
            answer.error = m_client.statusError(answer.status, bytes);
        reply->deleteLater();
        done(answer);
    });
}

void RemoteEngineLink::finish(quint64 id, bool ok, const QString &message)
{
    QMetaObject::invokeMethod(this, [this, result = CommandResult{id, ok, message}] { Q_EMIT commandFinished(result); }, Qt::QueuedConnection);
}

QString RemoteEngineLink::serverPath(const QString &pool, const QString &server, const QString &what) const
{
    return QStringLiteral("/api/v1/pools/%1/servers/%2/%3")
        .arg(QString::fromUtf8(QUrl::toPercentEncoding(pool)), QString::fromUtf8(QUrl::toPercentEncoding(server)), what);
}

const ServerStatus *RemoteEngineLink::lastServer(const QString &pool, const QString &server) const
{
    const int index = m_last.indexOf(pool, server);
    return index < 0 ? nullptr : &m_last.servers[index];
}

quint64 RemoteEngineLink::setWeight(const QString &pool, const QString &server, int weight)
{
    const quint64 id = ++m_lastCommandId;
    const ServerStatus *before = lastServer(pool, server);
    const QString old = before ? QString::number(before->weight) : QStringLiteral("?");
    request("PUT", serverPath(pool, server, QStringLiteral("weight")), QJsonObject{{QStringLiteral("weight"), weight}},
            [this, id, pool, server, old, weight](const Answer &answer) {
        if (answer.status == 200)
            finish(id, true, tr("weight of %1/%2: %3 → %4").arg(pool, server, old).arg(weight));
        else
            finish(id, false, QStringLiteral("%1/%2 on %3: %4").arg(pool, server, m_options.name, answer.error));
    });
    return id;
}

quint64 RemoteEngineLink::setState(const QString &pool, const QString &server, BackendState state)
{
    const quint64 id = ++m_lastCommandId;
    if (state == BackendState::Down) {
        finish(id, false, QStringLiteral("%1/%2: \"down\" comes from health checks; use drain or maint to take it out").arg(pool, server));
        return id;
    }
    const QString name = state == BackendState::Drain ? QStringLiteral("drain") : state == BackendState::Maint ? QStringLiteral("maint") : QStringLiteral("ready");
    const ServerStatus *before = lastServer(pool, server);
    const QString old = before ? before->stateText : QStringLiteral("?");
    request("PUT", serverPath(pool, server, QStringLiteral("state")), QJsonObject{{QStringLiteral("state"), name}},
            [this, id, pool, server, old, name](const Answer &answer) {
        if (answer.status == 200)
            finish(id, true, QStringLiteral("%1/%2: %3 → %4").arg(pool, server, old, name));
        else
            finish(id, false, QStringLiteral("%1/%2 on %3: %4").arg(pool, server, m_options.name, answer.error));
    });
    return id;
}

quint64 RemoteEngineLink::testLockEndpoint(const LockEndpointConfig &endpoint, const QByteArray &)
{
    const quint64 id = ++m_lastCommandId;
    finish(id, false, tr("%1: a remote engine polls only the lock endpoints in its own config; add it to fulcrumd's \"locks\" list "
                         "(password from its keychain or a file) and reload, then its state shows here")
                          .arg(endpoint.url()));
    return id;
}

quint64 RemoteEngineLink::requestLockDetail(const QString &endpoint, const QByteArray &key)
{
    const quint64 id = ++m_lastCommandId;
    QUrlQuery query;
    query.addQueryItem(QStringLiteral("key"), QString::fromUtf8(QUrl::toPercentEncoding(escapeBytes(key))));
    request("GET",
            QStringLiteral("/api/v1/locks/%1/lock?%2")
                .arg(QString::fromUtf8(QUrl::toPercentEncoding(endpoint)), query.toString(QUrl::FullyEncoded)),
            QJsonObject(), [this, id, endpoint, key](const Answer &answer) {
        LockDetail detail{endpoint, key, std::nullopt, answer.status == 404 && answer.json.value(QStringLiteral("field")).toString() == u"key", {}};
        if (answer.status == 200 && answer.json.value(QStringLiteral("lock")).isObject()) {
            detail.row = LockRow::fromInfo(endpoint, LockInfo::fromJson(answer.json.value(QStringLiteral("lock")).toObject()), wallclock::nowUtc());
        } else {
            const QString message = answer.json.value(QStringLiteral("error")).toString();
            detail.error = message.isEmpty() ? answer.error : message;
        }
        Q_EMIT lockDetailReady(id, detail);
    });
    return id;
}

quint64 RemoteEngineLink::requestLockRelease(const QString &endpoint, const LockReleaseRequest &release)
{
    const quint64 id = ++m_lastCommandId;
    QJsonObject body{{QStringLiteral("key"), escapeBytes(release.key)}, {QStringLiteral("holder"), escapeBytes(release.holder)}};
    if (release.mode != LockReleaseRequest::Delete)
        body.insert(QStringLiteral("mode"), lockReleaseModeName(release.mode));
    request("POST", QStringLiteral("/api/v1/locks/%1/release").arg(QString::fromUtf8(QUrl::toPercentEncoding(endpoint))),
            body,
            [this, id](const Answer &answer) {
        const QString message = answer.json.value(QStringLiteral("message")).toString();
        if (answer.status == 200) {
            finish(id, true, message);
            return;
        }
        // 409: the holder changed; 404: gone. The engine's message says so and that nothing was deleted.
        finish(id, false, answer.status == 409 || answer.status == 404 ? message.isEmpty() ? answer.error : message : answer.error);
    });
    return id;
}

quint64 RemoteEngineLink::enableLockNotifications(const QString &endpoint)
{
    const quint64 id = ++m_lastCommandId;
    request("POST", QStringLiteral("/api/v1/locks/%1/notifications/enable").arg(QString::fromUtf8(QUrl::toPercentEncoding(endpoint))), QJsonObject(),
            [this, id](const Answer &answer) {
        const QString message = answer.json.value(QStringLiteral("message")).toString();
        finish(id, answer.status == 200, message.isEmpty() ? answer.error : message);
    });
    return id;
}

quint64 RemoteEngineLink::exportReport(const ReportRequest &report, const QString &path)
{
    const quint64 id = ++m_lastCommandId;
    const auto iso = [](qint64 ms) { return QDateTime::fromMSecsSinceEpoch(ms, Qt::UTC).toString(Qt::ISODate); };
    QUrlQuery query;
    query.addQueryItem(QStringLiteral("from"), iso(report.fromMs));
    query.addQueryItem(QStringLiteral("to"), iso(report.toMs));
    query.addQueryItem(QStringLiteral("format"), report.format);
    query.addQueryItem(QStringLiteral("lock_threshold"), QStringLiteral("%1ms").arg(report.lockHeldThresholdMs));
    if (report.format == u"csv") {
        fetchCsvSections(id, report, query, path.endsWith(u".csv") ? path.chopped(4) : path, {});
        return id;
    }
    fetchReportFile(id, query, path, true, [this, id, path, report, iso](bool ok, const QString &message, qint64 size) {
        if (!ok) {
            finish(id, false, message);
            return;
        }
        finish(id, true, tr("%1 report by %2, %3 – %4: %5 (%6 KiB)")
                             .arg(report.format.toUpper(), m_options.name, iso(report.fromMs), iso(report.toMs), path)
                             .arg((size + 1023) / 1024));
    });
    return id;
}

quint64 RemoteEngineLink::requestHistory(const HistoryQuery &history)
{
    const quint64 id = ++m_lastCommandId;
    const auto iso = [](qint64 ms) { return QDateTime::fromMSecsSinceEpoch(ms, Qt::UTC).toString(Qt::ISODateWithMs); };
    QUrlQuery query;
    query.addQueryItem(QStringLiteral("from"), iso(history.fromMs));
    query.addQueryItem(QStringLiteral("to"), iso(history.toMs));
    query.addQueryItem(QStringLiteral("points"), QString::number(history.maxPoints));
    if (!history.pool.isEmpty())
        query.addQueryItem(QStringLiteral("pool"), history.pool);
    if (!history.server.isEmpty())
        query.addQueryItem(QStringLiteral("server"), history.server);
    request("GET", QStringLiteral("/api/v1/history?") + query.toString(QUrl::FullyEncoded), {}, [this, id](const Answer &answer) {
        const QString error = !answer.error.isEmpty() ? answer.error
                              : !answer.json.value(QStringLiteral("servers")).isArray()
                                  ? tr("%1 answered /api/v1/history without a list of servers; is it a Fulcrum engine of this version?").arg(m_options.url.toString())
                                  : QString();
        Q_EMIT historyReady(id, error.isEmpty() ? answer.json : QJsonObject(), error);
    });
    return id;
}

void RemoteEngineLink::fetchCsvSections(quint64 id, const ReportRequest &report, const QUrlQuery &query, const QString &prefix, QStringList written)
{
    const QStringList sections = csvReportSections();
    const int index = int(written.size());
    if (index == sections.size()) {
        const auto iso = [](qint64 ms) { return QDateTime::fromMSecsSinceEpoch(ms, Qt::UTC).toString(Qt::ISODate); };
        finish(id, true, tr("CSV report by %1, %2 – %3: %4").arg(m_options.name, iso(report.fromMs), iso(report.toMs), written.join(QStringLiteral(", "))));
        return;
    }
    Q_EMIT reportProgress(id, index, int(sections.size()));
    // Every section over the same from/to, so the files describe one window.
    QUrlQuery sectionQuery = query;
    sectionQuery.addQueryItem(QStringLiteral("section"), sections[index]);
    const QString path = QStringLiteral("%1-%2.csv").arg(prefix, sections[index]);
    fetchReportFile(id, sectionQuery, path, false, [this, id, report, query, prefix, written, path](bool ok, const QString &message, qint64) mutable {
        if (!ok) {
            for (const QString &file : std::as_const(written))
                QFile::remove(file);
            finish(id, false, written.isEmpty() ? message : tr("%1 (the %2 section(s) already written were removed)").arg(message).arg(written.size()));
            return;
        }
        written.append(path);
        fetchCsvSections(id, report, query, prefix, written);
    });
}

void RemoteEngineLink::fetchReportFile(quint64 id, const QUrlQuery &query, const QString &path, bool byteProgress, ReportFileDone done)
{
    auto file = std::make_shared<QSaveFile>(path);
    if (!file->open(QIODevice::WriteOnly)) {
        done(false, tr("cannot write %1: %2; choose another folder").arg(path, file->errorString()), 0);
        return;
    }
    QNetworkRequest request = m_client.request(QStringLiteral("/api/v1/report?") + query.toString(QUrl::FullyEncoded));
    request.setTransferTimeout(kReportSilenceMs);
    QNetworkReply *reply = m_client.send(*m_network, "GET", request);
    m_reports.insert(id, reply);
    connect(reply, &QNetworkReply::readyRead, this, [reply, file] {
        if (reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt() == 200)
            file->write(reply->readAll());
    });
    if (byteProgress) {
        connect(reply, &QNetworkReply::downloadProgress, this, [this, id](qint64 received, qint64 total) {
            // In KiB, so that the figures fit the signal's ints; total 0 while the size is unknown.
            Q_EMIT reportProgress(id, int(received / 1024), total > 0 ? int(std::max<qint64>(1, total / 1024)) : 0);
        });
    }
    connect(reply, &QNetworkReply::finished, this, [this, id, reply, file, path, done = std::move(done)] {
        m_reports.remove(id);
        reply->deleteLater();
        const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        if (reply->property("cancelled").toBool()) {
            file->cancelWriting();
            done(false, tr("cancelled; nothing written"), 0);
            return;
        }
        if (status != 200) {
            file->cancelWriting();
            const QByteArray body = reply->readAll();
            done(false, status == 0 ? m_client.transportError(reply) : m_client.statusError(status, body), 0);
            return;
        }
        file->write(reply->readAll());
        const qint64 size = file->size();
        if (!file->commit()) {
            done(false, tr("cannot write %1: %2; choose another folder").arg(path, file->errorString()), 0);
            return;
        }
        done(true, QString(), size);
    });
}

void RemoteEngineLink::cancelReport(quint64 id)
{
    if (QNetworkReply *reply = m_reports.value(id)) {
        reply->setProperty("cancelled", true);
        reply->abort();
    }
}

} // namespace fulcrum
