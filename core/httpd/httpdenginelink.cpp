#include "httpd/httpdenginelink.h"

#include "common/tlsfiles.h"
#include "common/wallclock.h"
#include "engine/auditlog.h"

#include <QFile>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QSet>
#include <QUrlQuery>

#include <algorithm>
#include <cmath>


namespace fulcrum {

namespace {

const QStringList kTlsItems{QStringLiteral("ca"), QStringLiteral("cert"), QStringLiteral("key")};

QNetworkRequest managerRequest(const HttpdOptions &options, bool xml, const std::optional<QSslConfiguration> &tls)
{
    QUrl url = options.managerUrl;
    if (xml)
        url.setQuery(QStringLiteral("xml=1"));
    QNetworkRequest request(url);
    if (tls)
        request.setSslConfiguration(*tls);
    // httpd drops every parameter of a request whose Referer does not name the manager.
    request.setRawHeader("Referer", options.managerUrl.toString(QUrl::RemoveUserInfo).toUtf8());
    if (!options.user.isEmpty())
        request.setRawHeader("Authorization", "Basic " + (options.user.toUtf8() + ':' + options.password).toBase64());
    request.setTransferTimeout(std::max(2000, 2 * options.tickMs));
    request.setAttribute(QNetworkRequest::RedirectPolicyAttribute, QNetworkRequest::ManualRedirectPolicy);
    return request;
}

// Empty when the reply is a 2xx answer; else what went wrong and what to do, for a person.
QString replyError(QNetworkReply *reply, const HttpdOptions &options)
{
    const QString where = options.managerUrl.toString(QUrl::RemoveUserInfo);
    const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    if (status == 0 && options.managerUrl.scheme() == u"https"
        && (reply->error() == QNetworkReply::SslHandshakeFailedError || reply->error() == QNetworkReply::RemoteHostClosedError
            || reply->errorString().contains(QLatin1String("SSL routines")))) {
        // The two ways an https manager turns a client away: a certificate this side does not
        // trust, or (TLS 1.3) a client certificate it wanted and did not get.
        return HttpdEngineLink::tr("TLS with the balancer-manager at %1 failed: %2. If its certificate is signed by your own CA, add "
                                   "ca=PATH to the address; if it asks for a client certificate (SSLVerifyClient), add cert=PATH&key=PATH")
            .arg(where, reply->errorString());
    }
    if (status == 0)
        return HttpdEngineLink::tr("cannot reach the balancer-manager at %1: %2").arg(where, reply->errorString());
    if (status == 401) {
        return options.user.isEmpty()
            ? HttpdEngineLink::tr("the balancer-manager at %1 asks for a user and password (401): give the manager's user, "
                                  "and its password through the keychain").arg(where)
            : HttpdEngineLink::tr("the balancer-manager at %1 refused user \"%2\" (401): check the user and its password").arg(where, options.user);
    }
    if (status == 403)
        return HttpdEngineLink::tr("the balancer-manager at %1 forbids this client (403): allow it in the manager's <Location> (Require ip ...)").arg(where);
    if (status == 404)
        return HttpdEngineLink::tr("no balancer-manager at %1 (404): check the path, and that its <Location> has SetHandler balancer-manager").arg(where);
    if (status >= 300)
        return HttpdEngineLink::tr("the balancer-manager at %1 answered HTTP %2 %3")
            .arg(where).arg(status).arg(reply->attribute(QNetworkRequest::HttpReasonPhraseAttribute).toString());
    return QString();
}

QString loadFactorText(double value)
{
    return QString::number(value, 'f', std::abs(value - std::round(value)) < 0.005 ? 0 : 2);
}

} // namespace

std::optional<QUrl> HttpdOptions::parseManagerUrl(const QString &text, QString *error)
{
    QString spelled = text.trimmed();
    if (!spelled.contains(QLatin1String("://")))
        spelled.prepend(QStringLiteral("http://"));
    QUrl url(spelled, QUrl::StrictMode);
    if (!url.isValid() || url.host().isEmpty() || (url.scheme() != u"http" && url.scheme() != u"https")) {
        *error = QStringLiteral("\"%1\" is not a balancer-manager address; write http://HOST:PORT/balancer-manager (or HOST:PORT)").arg(text);
        return std::nullopt;
    }
    if (url.path().isEmpty() || url.path() == u"/")
        url.setPath(QStringLiteral("/balancer-manager"));
    // The query holds the TLS files only (the manager's own parameters are Fulcrum's to send).
    const QUrlQuery query(url);
    QUrlQuery tls;
    for (const auto &[name, value] : query.queryItems(QUrl::FullyDecoded)) {
        if (!kTlsItems.contains(name) || value.isEmpty() || tls.hasQueryItem(name)) {
            *error = QStringLiteral("\"%1\": \"%2\" is not a setting of a balancer-manager address; the address takes ca=PATH, "
                                    "cert=PATH and key=PATH (https), each once").arg(url.toString(QUrl::RemovePassword), name);
            return std::nullopt;
        }
        tls.addQueryItem(name, value);
    }
    if (!tls.isEmpty() && url.scheme() != u"https") {
        *error = QStringLiteral("\"%1\": ca=, cert= and key= are for an https manager; write https://").arg(url.toString(QUrl::RemovePassword));
        return std::nullopt;
    }
    if (tls.hasQueryItem(QStringLiteral("cert")) != tls.hasQueryItem(QStringLiteral("key"))) {
        *error = QStringLiteral("\"%1\": a client certificate needs both cert=PATH and key=PATH").arg(url.toString(QUrl::RemovePassword));
        return std::nullopt;
    }
    // One spelling: ca, cert, key in that order.
    QUrlQuery ordered;
    for (const QString &name : kTlsItems) {
        if (tls.hasQueryItem(name))
            ordered.addQueryItem(name, tls.queryItemValue(name, QUrl::FullyDecoded));
    }
    url.setQuery(ordered);
    return url;
}

HttpdOptions HttpdOptions::fromAddress(const QString &address, const QByteArray &password)
{
    QString error;
    HttpdOptions options;
    options.managerUrl = parseManagerUrl(address, &error).value_or(QUrl());
    const QUrlQuery query(options.managerUrl);
    options.caFile = query.queryItemValue(QStringLiteral("ca"), QUrl::FullyDecoded);
    options.certFile = query.queryItemValue(QStringLiteral("cert"), QUrl::FullyDecoded);
    options.keyFile = query.queryItemValue(QStringLiteral("key"), QUrl::FullyDecoded);
    options.managerUrl.setQuery(QString());
    options.user = options.managerUrl.userName();
    options.managerUrl.setUserInfo(QString());
    options.password = password;
    return options;
}

std::optional<QSslConfiguration> HttpdOptions::tlsConfiguration(QString *error) const
{
    return ClientTlsFiles{caFile, certFile, keyFile, {}}.configuration(error);
}

HttpdEngineLink::HttpdEngineLink(HttpdOptions options, QObject *parent)
    : EngineLink(parent), m_options(std::move(options))
{
    qRegisterMetaType<LinkSnapshot>();
    qRegisterMetaType<LinkEvent>();
    qRegisterMetaType<LockTable>();
    qRegisterMetaType<CommandResult>();
    m_options.tickMs = std::clamp(m_options.tickMs, 250, 60'000);
    if (m_options.managerUrl.scheme() == u"https")
        m_tls = m_options.tlsConfiguration(&m_tlsError);
    m_clock.start();
    m_tick.setInterval(m_options.tickMs);
    connect(&m_tick, &QTimer::timeout, this, &HttpdEngineLink::poll);
    m_tick.start();
    QMetaObject::invokeMethod(this, [this] { poll(); }, Qt::QueuedConnection);
}

HttpdEngineLink::~HttpdEngineLink() = default;

QString HttpdEngineLink::description() const
{
    return tr("Apache httpd at %1").arg(m_options.managerUrl.toString(QUrl::RemoveUserInfo));
}

EngineCapabilities HttpdEngineLink::kindCapabilities()
{
    EngineCapabilities c;
    c.minWeight = kMinLoadFactor;
    c.maxWeight = kMaxLoadFactor;
    c.locks = false;
    c.reports = false;
    c.responseTimes = false;      // the balancer-manager counts requests and bytes, not their time
    c.percentiles = false;
    c.errorRates = false;         // nor their outcome
    c.auditLog = false;
    c.forgetsOnRestart = tr("load factors and drain/disabled flags set here, unless BalancerPersist is on");
    return c;
}

QString HttpdEngineLink::weightNote() const
{
    return tr("Apache httpd load factors are %1–%2 (Fulcrum's weights are 0–%3); to stop traffic, drain or disable the member. "
              "httpd forgets changes made here when it restarts, unless BalancerPersist is on.")
        .arg(kMinLoadFactor).arg(kMaxLoadFactor).arg(kMaxWeight);
}

void HttpdEngineLink::probe(const HttpdOptions &options, QObject *context, std::function<void(bool, const QString &)> done)
{
    std::optional<QSslConfiguration> tls;
    if (options.managerUrl.scheme() == u"https") {
        QString error;
        tls = options.tlsConfiguration(&error);
        if (!tls) {
            done(false, error);
            return;
        }
    }
    auto *network = new QNetworkAccessManager(context);
    QNetworkReply *reply = network->get(managerRequest(options, true, tls));
    connect(reply, &QNetworkReply::finished, context, [reply, network, options, done = std::move(done)] {
        reply->deleteLater();
        network->deleteLater();
        const QString where = options.managerUrl.toString(QUrl::RemoveUserInfo);
        if (const QString error = replyError(reply, options); !error.isEmpty()) {
            done(false, error);
            return;
        }
        QString error;
        const std::optional<QList<HttpdBalancer>> balancers = parseBalancerManagerXml(reply->readAll(), &error);
        if (!balancers) {
            done(false, tr("%1: %2").arg(where, error));
            return;
        }
        QStringList names;
        for (const HttpdBalancer &b : *balancers)
            names.append(tr("%1 (%n member(s))", nullptr, int(b.workers.size())).arg(b.name));
        const QString server = QString::fromLatin1(reply->rawHeader("Server"));
        done(true, tr("%1: %2 balancer-manager; balancers: %3")
                       .arg(where, server.isEmpty() ? QStringLiteral("Apache httpd") : server,
                            names.isEmpty() ? tr("none") : names.join(QStringLiteral(", "))));
    });
}

void HttpdEngineLink::poll()
{
    // A slow httpd: skip ticks rather than pile up requests.
    if (m_reading || m_commandRunning)
        return;
    if (!m_tlsError.isEmpty()) {
        setLinkState(LinkState::Disconnected, m_tlsError);
        return;
    }
    m_reading = true;
    QNetworkReply *reply = m_network.get(managerRequest(m_options, true, m_tls));
    connect(reply, &QNetworkReply::finished, this, [this, reply] {
        m_reading = false;
        onRead(reply);
    });
}

void HttpdEngineLink::onRead(QNetworkReply *reply)
{
    reply->deleteLater();
    if (const QString error = replyError(reply, m_options); !error.isEmpty()) {
        setLinkState(LinkState::Disconnected, error);
        return;
    }
    QString error;
    const std::optional<QList<HttpdBalancer>> balancers = parseBalancerManagerXml(reply->readAll(), &error);
    if (!balancers) {
        setLinkState(LinkState::Disconnected, tr("%1: %2").arg(m_options.managerUrl.toString(QUrl::RemoveUserInfo), error));
        return;
    }
    setLinkState(LinkState::Connected, QString());
    m_balancers = *balancers;
    publish(m_balancers);
}

void HttpdEngineLink::publish(const QList<HttpdBalancer> &balancers)
{
    const qint64 nowMs = m_clock.elapsed();
    LinkSnapshot snapshot;
    snapshot.sequence = ++m_sequence;
    snapshot.time = wallclock::nowUtc();
    snapshot.tickMs = m_options.tickMs;
    QSet<QString> seen;
    for (const HttpdBalancer &balancer : balancers) {
        for (const HttpdWorker &worker : balancer.workers) {
            ServerStatus s;
            s.pool = balancer.name;
            s.name = worker.serverName();
            s.address = worker.url;
            s.state = httpdState(worker, &s.stateText);
            s.backup = worker.hasFlag(u"Stby");
            s.weight = int(std::lround(worker.loadFactor));
            s.effectiveWeight = s.state == BackendState::Up ? s.weight : 0;
            s.activeConnections = int(worker.busy);
            s.reason = tr("httpd: %1").arg(worker.status);
            // `elected` counts the requests httpd sent to the member; it counts no errors.
            const CounterWindow::Rates rates = m_rates.add(s.key(), nowMs, worker.elected, 0);
            s.requestsPerSecond = rates.requestsPerSecond;
            const int before = m_last.indexOf(s.pool, s.name);
            if (before < 0 || m_last.servers[before].stateText != s.stateText || !m_stateSince.contains(s.key()))
                m_stateSince[s.key()] = snapshot.time;
            s.stateSince = m_stateSince.value(s.key());
            seen.insert(s.key());
            snapshot.servers.append(s);
        }
    }
    assignTrafficShares(snapshot.servers);
    m_rates.keepOnly(seen);
    for (auto it = m_stateSince.begin(); it != m_stateSince.end();)
        it = seen.contains(it.key()) ? std::next(it) : m_stateSince.erase(it);
    QList<LinkEvent> events;
    events.swap(m_events);
    events += stateChangeEvents(m_last, snapshot, QStringLiteral("httpd"));
    m_last = snapshot;
    if (!events.isEmpty())
        Q_EMIT eventsReady(events);
    Q_EMIT snapshotReady(snapshot);
}

void HttpdEngineLink::setLinkState(LinkState state, const QString &detail)
{
    if (state == m_state && detail == m_detail)
        return;
    const LinkState before = m_state;
    m_state = state;
    m_detail = detail;
    if (const std::optional<LinkEvent> event = connectionEvent(before, state, m_options.managerUrl.toString(QUrl::RemoveUserInfo), detail)) {
        m_events.append(*event);
        if (state != LinkState::Connected) {
            QList<LinkEvent> events;
            events.swap(m_events);
            Q_EMIT eventsReady(events);
        }
    }
    Q_EMIT stateChanged(state, detail);
}

quint64 HttpdEngineLink::refuse(const QString &message)
{
    const quint64 id = ++m_lastCommandId;
    QMetaObject::invokeMethod(this, [this, result = CommandResult{id, false, message}] { Q_EMIT commandFinished(result); },
                              Qt::QueuedConnection);
    return id;
}

quint64 HttpdEngineLink::setWeight(const QString &pool, const QString &server, int weight)
{
    if (weight < kMinLoadFactor || weight > kMaxLoadFactor) {
        return refuse(tr("load factor %1 for %2/%3 is outside Apache httpd's range %4–%5; to stop its traffic, drain or disable it")
                          .arg(weight).arg(pool, server).arg(kMinLoadFactor).arg(kMaxLoadFactor));
    }
    Command command;
    command.pool = pool;
    command.server = server;
    command.change.loadFactor = weight;
    command.action = QStringLiteral("set-weight");
    const int index = m_last.indexOf(pool, server);
    command.before = index >= 0 ? QString::number(m_last.servers[index].weight) : QString();
    command.after = QString::number(weight);
    return enqueue(command);
}

quint64 HttpdEngineLink::setState(const QString &pool, const QString &server, BackendState state)
{
    Command command;
    command.pool = pool;
    command.server = server;
    command.action = QStringLiteral("set-state");
    switch (state) {
    case BackendState::Up:
        command.change.drain = false;
        command.change.disabled = false;
        command.after = QStringLiteral("up");
        break;
    case BackendState::Drain:
        command.change.drain = true;
        command.change.disabled = false;
        command.after = QStringLiteral("drain");
        break;
    case BackendState::Maint:
        command.change.drain = false;
        command.change.disabled = true;
        command.after = QStringLiteral("disabled");
        break;
    case BackendState::Down:
        return refuse(tr("down is what httpd finds when a member fails, not a state to set; disable %1/%2 (no traffic) "
                         "or drain it (no new traffic)").arg(pool, server));
    }
    const int index = m_last.indexOf(pool, server);
    command.before = index >= 0 ? m_last.servers[index].stateText : QString();
    return enqueue(command);
}

quint64 HttpdEngineLink::enqueue(Command command)
{
    command.id = ++m_lastCommandId;
    m_commands.push_back(command);
    QMetaObject::invokeMethod(this, [this] { runNextCommand(); }, Qt::QueuedConnection);
    return command.id;
}

void HttpdEngineLink::runNextCommand()
{
    if (m_commandRunning || m_commands.empty())
        return;
    const Command &command = m_commands.front();
    const HttpdBalancer *balancer = nullptr;
    for (const HttpdBalancer &b : std::as_const(m_balancers)) {
        if (b.name == command.pool)
            balancer = &b;
    }
    const HttpdWorker *worker = balancer ? balancer->worker(command.server) : nullptr;
    if (!worker) {
        m_commandRunning = true;
        finishCommand(false, balancer ? tr("httpd's balancer %1 has no member \"%2\" (as last read); pick the server from the list")
                                            .arg(command.pool, command.server)
                                      : tr("httpd has no balancer \"%1\" (as last read); pick the server from the list").arg(command.pool));
        return;
    }
    m_commandRunning = true;
    const QString usedNonce = balancer->nonce;
    const QString workerUrl = worker->url;
    QNetworkRequest request = managerRequest(m_options, false, m_tls);
    request.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/x-www-form-urlencoded"));
    QNetworkReply *post = m_network.post(request, httpdChangeForm(*balancer, *worker, command.change));
    connect(post, &QNetworkReply::finished, this, [this, post, usedNonce, workerUrl] {
        post->deleteLater();
        if (const QString error = replyError(post, m_options); !error.isEmpty()) {
            finishCommand(false, error);
            return;
        }
        // httpd answers 200 whether or not it applied the change: read it back.
        QNetworkReply *check = m_network.get(managerRequest(m_options, true, m_tls));
        connect(check, &QNetworkReply::finished, this, [this, check, usedNonce, workerUrl] {
            check->deleteLater();
            if (const QString error = replyError(check, m_options); !error.isEmpty()) {
                finishCommand(false, tr("httpd took the change, but reading it back failed: %1").arg(error));
                return;
            }
            QString error;
            const std::optional<QList<HttpdBalancer>> balancers = parseBalancerManagerXml(check->readAll(), &error);
            if (!balancers) {
                finishCommand(false, tr("httpd took the change, but its answer could not be read back: %1").arg(error));
                return;
            }
            m_balancers = *balancers;
            const Command &command = m_commands.front();
            const HttpdBalancer *balancer = nullptr;
            for (const HttpdBalancer &b : std::as_const(m_balancers)) {
                if (b.name == command.pool)
                    balancer = &b;
            }
            const HttpdWorker *worker = nullptr;
            for (const HttpdWorker &w : balancer ? balancer->workers : QList<HttpdWorker>()) {
                if (w.url == workerUrl)
                    worker = &w;
            }
            if (!worker) {
                finishCommand(false, tr("httpd no longer has %1/%2 after the change (was it reloaded?); nothing is known to have changed")
                                         .arg(command.pool, command.server));
            } else if (httpdChangeApplied(*worker, command.change)) {
                QString stateText;
                httpdState(*worker, &stateText);
                const QString now = command.change.loadFactor ? loadFactorText(worker->loadFactor) : stateText;
                m_events.append(LinkEvent{wallclock::nowUtc(), LinkEvent::Kind::Operator, AuditLog::currentOsUser(),
                                          command.pool + u'/' + command.server, command.action, command.before, now,
                                          tr("through %1").arg(m_options.managerUrl.toString(QUrl::RemoveUserInfo))});
                finishCommand(true, command.before.isEmpty() ? tr("httpd %1/%2: now %3").arg(command.pool, command.server, now)
                                                             : tr("httpd %1/%2: %3 → %4").arg(command.pool, command.server, command.before, now));
            } else if (balancer->nonce != usedNonce) {
                finishCommand(false, tr("httpd's nonce for balancer %1 changed since the console read it (httpd restarted or reloaded), "
                                        "so httpd ignored the change to %2: nothing was changed. The view now shows httpd's current "
                                        "state; do it again if it is still needed").arg(command.pool, command.server));
            } else {
                QString stateText;
                httpdState(*worker, &stateText);
                finishCommand(false, tr("httpd answered the change to %1/%2 but did not apply it (it still shows load factor %3, %4): "
                                        "httpd ignores changes whose Referer does not name its manager; check that %5 is the address "
                                        "httpd serves the manager on")
                                         .arg(command.pool, command.server, loadFactorText(worker->loadFactor), stateText,
                                              m_options.managerUrl.toString(QUrl::RemoveUserInfo)));
            }
        });
    });
}

void HttpdEngineLink::finishCommand(bool ok, const QString &message)
{
    const quint64 id = m_commands.front().id;
    m_commands.pop_front();
    m_commandRunning = false;
    Q_EMIT commandFinished(CommandResult{id, ok, message});
    if (!m_balancers.isEmpty())
        publish(m_balancers);   // show what httpd has now rather than at the next tick
    QMetaObject::invokeMethod(this, [this] { runNextCommand(); }, Qt::QueuedConnection);
}

} // namespace fulcrum
