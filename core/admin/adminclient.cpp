#include "adminclient.h"

#include "engine/auditlog.h"

#include <QCoreApplication>
#include <QHostAddress>
#include <QJsonDocument>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QSslConfiguration>
#include <QSslSocket>
#include <QTimer>
#include <QUrlQuery>

namespace fulcrum {

// The words of the remote link's errors keep its translation context (fulcrum::RemoteEngineLink).

std::optional<AdminAddress> AdminAddress::parse(const QString &text, QString *error)
{
    QString typed = text.trimmed();
    if (!typed.contains(QStringLiteral("://")))
        typed.prepend(QStringLiteral("http://"));
    QUrl url(typed, QUrl::StrictMode);
    const bool pathOk = url.path().isEmpty() || url.path() == u"/";
    if (!url.userInfo().isEmpty()) {
        // Never repeat what was typed: the user info may be a password.
        *error = QStringLiteral("engine URL \"%1\" carries a user or token; give the token with --token-file, FULCRUM_TOKEN or the keychain, never in the URL")
                     .arg(url.toString(QUrl::RemoveUserInfo));
        return std::nullopt;
    }
    if (!url.isValid() || (url.scheme() != u"http" && url.scheme() != u"https") || url.host().isEmpty() || !pathOk || url.hasFragment()) {
        *error = QStringLiteral("engine URL \"%1\" must be the admin API's address such as http://127.0.0.1:9900 or https://host:9900 "
                                "(no token or path in it)").arg(text.trimmed());
        return std::nullopt;
    }
    AdminAddress address;
    QUrlQuery query(url);
    if (!address.tls.take(query, url.toString(QUrl::RemoveQuery), error))
        return std::nullopt;
    if (!query.isEmpty()) {
        *error = QStringLiteral("engine URL \"%1\": \"%2\" is not a setting of an engine address; an https address takes ca=PATH, cert=PATH, key=PATH "
                                "and pin=sha256:FINGERPRINT").arg(text.trimmed(), query.toString());
        return std::nullopt;
    }
    if (!address.tls.isEmpty() && url.scheme() != u"https") {
        *error = QStringLiteral("engine URL \"%1\": ca=, cert=, key= and pin= are for an https engine; write https://").arg(text.trimmed());
        return std::nullopt;
    }
    address.url.setScheme(url.scheme());
    address.url.setHost(url.host());
    address.url.setPort(url.port(9900));
    return address;
}

QString AdminAddress::toString() const
{
    QUrl out = url;
    QUrlQuery query;
    tls.put(query);
    if (!query.isEmpty())
        out.setQuery(query);
    return out.toString();
}

bool AdminAddress::isUnencryptedRemote() const
{
    if (url.scheme() != u"http")
        return false;
    const QHostAddress host(url.host());
    return url.host() != u"localhost" && !host.isLoopback();
}

AdminClient::AdminClient(AdminAddress address, QByteArray token)
    : m_address(std::move(address)), m_token(std::move(token))
{
    if (m_address.url.scheme() == u"https") {
        m_tls = m_address.tls.configuration(&m_setupError);
        if (m_setupError.isEmpty() && !m_tls)
            m_setupError = QStringLiteral("TLS settings of %1 could not be read").arg(m_address.url.toString());
    }
}

QNetworkRequest AdminClient::request(const QString &pathAndQuery) const
{
    QUrl url = m_address.url;
    const qsizetype q = pathAndQuery.indexOf(u'?');
    url.setPath(q < 0 ? pathAndQuery : pathAndQuery.left(q));
    if (q >= 0)
        url.setQuery(pathAndQuery.mid(q + 1));
    QNetworkRequest request(url);
    request.setRawHeader("Authorization", "Bearer " + m_token);
    request.setRawHeader("X-Fulcrum-User", AuditLog::currentOsUser().toUtf8());
    request.setAttribute(QNetworkRequest::RedirectPolicyAttribute, QNetworkRequest::ManualRedirectPolicy);
    // Each answer is small and the stream never ends: no HTTP/2 upgrade, no caching.
    request.setAttribute(QNetworkRequest::Http2AllowedAttribute, false);
    request.setAttribute(QNetworkRequest::CacheLoadControlAttribute, QNetworkRequest::AlwaysNetwork);
    if (m_tls)
        request.setSslConfiguration(*m_tls);
    return request;
}

QNetworkReply *AdminClient::send(QNetworkAccessManager &network, const QByteArray &method, const QString &pathAndQuery, const QJsonObject &body) const
{
    QNetworkRequest r = request(pathAndQuery);
    QByteArray payload;
    if (!body.isEmpty()) {
        payload = QJsonDocument(body).toJson(QJsonDocument::Compact);
        r.setHeader(QNetworkRequest::ContentTypeHeader, QStringLiteral("application/json"));
    }
    return send(network, method, r, payload);
}

QNetworkReply *AdminClient::send(QNetworkAccessManager &network, const QByteArray &method, const QNetworkRequest &request, const QByteArray &payload) const
{
    QNetworkReply *reply = network.sendCustomRequest(request, method, payload);
    const ClientTlsFiles tls = m_address.tls;
    QObject::connect(reply, &QNetworkReply::sslErrors, reply, [reply, tls](const QList<QSslError> &errors) {
        const QList<QSslError> ignore = tls.errorsToIgnore(reply->sslConfiguration().peerCertificate(), errors);
        if (!ignore.isEmpty())
            reply->ignoreSslErrors(ignore);
        else
            reply->setProperty("fulcrumSslErrors", QVariant::fromValue(errors));
    });
    return reply;
}

QString AdminClient::transportError(QNetworkReply *reply) const
{
    const QString url = m_address.url.toString();
    const QList<QSslError> tlsErrors = reply->property("fulcrumSslErrors").value<QList<QSslError>>();
    if (!tlsErrors.isEmpty())
        return describeTlsErrors(tlsErrors, url);
    switch (reply->error()) {
    case QNetworkReply::ConnectionRefusedError:
        return QCoreApplication::translate("fulcrum::RemoteEngineLink", "cannot connect to %1: connection refused; is fulcrumd running with admin.listen on this address?").arg(url);
    case QNetworkReply::HostNotFoundError:
        return QCoreApplication::translate("fulcrum::RemoteEngineLink", "cannot connect to %1: host not found; check the engine URL").arg(url);
    case QNetworkReply::OperationCanceledError:
    case QNetworkReply::TimeoutError:
        return QCoreApplication::translate("fulcrum::RemoteEngineLink", "no answer from %1 in time; is the address right and the engine's host reachable?").arg(url);
    case QNetworkReply::SslHandshakeFailedError:
        return QCoreApplication::translate("fulcrum::TlsFiles", "TLS with %1 failed: %2; if the engine asks for a client certificate (admin.tls.client_ca), "
                                                                "add cert=PATH&key=PATH to the address")
            .arg(url, reply->errorString());
    case QNetworkReply::RemoteHostClosedError:
        if (m_address.url.scheme() == u"http")
            return QCoreApplication::translate("fulcrum::TlsFiles", "%1 closed the connection without an answer; if the engine serves TLS (admin.tls), write https://")
                .arg(url);
        // Under TLS 1.3 a server that refuses the client's certificate says so after the
        // client has finished its side of the handshake: the client sees a closed connection.
        if (m_address.tls.certFile.isEmpty())
            return QCoreApplication::translate("fulcrum::TlsFiles", "%1 closed the connection without an answer; if the engine asks for a client certificate "
                                                                    "(admin.tls.client_ca), add cert=PATH&key=PATH to the address")
                .arg(url);
        return QCoreApplication::translate("fulcrum::TlsFiles", "%1 closed the connection without an answer; does the engine trust the client certificate %2? "
                                                                "It must come from the CA in its admin.tls.client_ca")
            .arg(url, m_address.tls.certFile);
    default:
        return QCoreApplication::translate("fulcrum::RemoteEngineLink", "cannot reach %1: %2").arg(url, reply->errorString());
    }
}

QString AdminClient::statusError(int status, const QByteArray &body) const
{
    // What the engine said, for a person: its JSON "error", else the body, else the status.
    const QJsonObject json = QJsonDocument::fromJson(body).object();
    QString message = json.value(QStringLiteral("error")).toString();
    if (message.isEmpty())
        message = json.value(QStringLiteral("message")).toString();
    if (message.isEmpty())
        message = QString::fromUtf8(body.left(300)).trimmed();
    if (message.isEmpty())
        message = QStringLiteral("HTTP %1").arg(status);
    const QString fix = QCoreApplication::translate("fulcrum::RemoteEngineLink", "store the engine's admin token with: fulcrumctl secret set --engine %1").arg(m_address.url.toString());
    if (status == 401)
        return QCoreApplication::translate("fulcrum::RemoteEngineLink", "token refused (401): %1; %2").arg(message, fix);
    if (status == 403)
        return QCoreApplication::translate("fulcrum::RemoteEngineLink", "not allowed (403): %1").arg(message);
    return QCoreApplication::translate("fulcrum::RemoteEngineLink", "engine answered %1: %2").arg(status).arg(message);
}

void AdminClient::peekCertificate(const QUrl &url, QObject *context, std::function<void(const QSslCertificate &, const QString &)> done, int timeoutMs)
{
    auto *socket = new QSslSocket(context);
    QSslConfiguration peek = QSslConfiguration::defaultConfiguration();
    peek.setPeerVerifyMode(QSslSocket::QueryPeer); // read the certificate, judge nothing: a person will
    peek.setProtocol(QSsl::TlsV1_2OrLater);
    socket->setSslConfiguration(peek);
    auto finish = std::make_shared<std::function<void(const QSslCertificate &, const QString &)>>(std::move(done));
    const auto end = [socket, finish](const QSslCertificate &certificate, const QString &error) {
        if (!*finish)
            return;
        const auto callback = std::exchange(*finish, nullptr);
        socket->abort();
        socket->deleteLater();
        callback(certificate, error);
    };
    QObject::connect(socket, &QSslSocket::encrypted, context, [socket, end] { end(socket->peerCertificate(), QString()); });
    QObject::connect(socket, &QSslSocket::errorOccurred, context, [socket, end, url](QAbstractSocket::SocketError) {
        end(QSslCertificate(), QStringLiteral("cannot read the certificate of %1: %2").arg(url.toString(), socket->errorString()));
    });
    QTimer::singleShot(timeoutMs, socket, [end, url] { end(QSslCertificate(), QStringLiteral("no TLS answer from %1 in time").arg(url.toString())); });
    socket->connectToHostEncrypted(url.host(), quint16(url.port(9900)));
}

void SseReader::parse(qsizetype end, QByteArray *type, QByteArray *data) const
{
    for (const QByteArray &line : m_buffer.left(end).split('\n')) {
        if (line.startsWith("event:"))
            *type = line.mid(6).trimmed();
        else if (line.startsWith("data:"))
            *data += line.mid(line.startsWith("data: ") ? 6 : 5);
    }
}

AdminEventStream::AdminEventStream(AdminClient client, QNetworkAccessManager *network, Options options, QObject *parent)
    : QObject(parent)
    , m_client(std::move(client))
    , m_network(network)
    , m_options(options)
    , m_retry(new QTimer(this))
    , m_silence(new QTimer(this))
{
    m_retry->setSingleShot(true);
    connect(m_retry, &QTimer::timeout, this, &AdminEventStream::connectStream);
    m_silence->setSingleShot(true);
    m_silence->setInterval(m_options.silenceMs);
    connect(m_silence, &QTimer::timeout, this, [this] {
        if (m_reply) {
            m_reply->setProperty("silent", true);
            m_reply->abort();
        }
    });
}

AdminEventStream::~AdminEventStream()
{
    stop();
}

bool AdminEventStream::isOpen() const
{
    return !m_reply.isNull();
}

void AdminEventStream::start()
{
    m_stopped = false;
    m_backoffMs = 0;
    connectStream();
}

void AdminEventStream::stop()
{
    m_stopped = true;
    m_retry->stop();
    m_silence->stop();
    if (QNetworkReply *reply = m_reply) {
        m_reply = nullptr;
        reply->disconnect(this);
        reply->abort();
        reply->deleteLater();
    }
}

void AdminEventStream::connectStream()
{
    if (m_reply || m_stopped)
        return;
    m_sse.clear();
    m_seen = false;
    Q_EMIT connecting();
    if (!m_client.setupError().isEmpty()) {
        // TLS files that cannot be read do not fix themselves soon: say so, and look again later.
        const int retry = m_options.retryRefusals ? m_options.maxBackoffMs : -1;
        if (retry >= 0)
            m_retry->start(retry);
        else
            m_stopped = true;
        Q_EMIT lost(m_client.setupError(), 0, retry);
        return;
    }
    QNetworkRequest request = m_client.request(QStringLiteral("/api/v1/stream"));
    request.setRawHeader("Accept", "text/event-stream");
    m_reply = m_client.send(*m_network, "GET", request);
    connect(m_reply, &QNetworkReply::readyRead, this, &AdminEventStream::onData);
    connect(m_reply, &QNetworkReply::finished, this, &AdminEventStream::onFinished);
    m_silence->start();
}

void AdminEventStream::onData()
{
    if (!m_reply)
        return;
    if (m_reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt() != 200)
        return;   // an error body: read whole when the reply finishes
    m_silence->start();
    QPointer<AdminEventStream> self(this);
    m_sse.feed(m_reply->readAll(), [this, self](const QByteArray &type, const QByteArray &data) {
        if (!self || m_stopped)
            return;
        if (!m_seen) {
            m_seen = true;
            m_backoffMs = 0;   // it answers: the next loss starts waiting from the shortest again
            Q_EMIT opened();
        }
        Q_EMIT message(type, data);
    });
    if (self && m_reply && m_sse.pending() > m_options.maxMessageBytes) {
        m_reply->setProperty("oversized", true);
        m_reply->abort();
    }
}

void AdminEventStream::onFinished()
{
    QNetworkReply *reply = m_reply;
    m_reply = nullptr;
    m_silence->stop();
    if (!reply)
        return;
    reply->deleteLater();
    const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    const QString url = m_client.url().toString();
    QString why;
    if (reply->property("oversized").toBool()) {
        why = QCoreApplication::translate("fulcrum::AdminEventStream", "%1 sent a stream message over %2 MiB; is this URL a fulcrumd admin API?")
                  .arg(url).arg(m_options.maxMessageBytes / (1024 * 1024));
    } else if (reply->property("silent").toBool()) {
        why = QCoreApplication::translate("fulcrum::AdminEventStream", "no data from %1 for %2 s; reconnecting").arg(url).arg(m_options.silenceMs / 1000);
    } else if (status == 200) {
        why = QCoreApplication::translate("fulcrum::AdminEventStream", "%1 closed the stream (engine stopping or restarting?)").arg(url);
    } else if (status != 0) {
        why = m_client.statusError(status, reply->readAll());
    } else {
        why = m_client.transportError(reply);
    }
    if (m_stopped)
        return;
    const bool refused = status >= 400 && status < 500;
    if (refused && !m_options.retryRefusals) {
        m_stopped = true;
        Q_EMIT lost(why, status, -1);
        return;
    }
    m_backoffMs = m_backoffMs == 0 ? m_options.firstBackoffMs : std::min(m_backoffMs * 2, m_options.maxBackoffMs);
    // A refused token does not fix itself in half a second: wait the longest before asking again.
    if (status == 401 || status == 403)
        m_backoffMs = m_options.maxBackoffMs;
    m_backoffMs = std::min(m_backoffMs, m_options.maxBackoffMs);
    m_retry->start(m_backoffMs);
    Q_EMIT lost(why, status, m_backoffMs);
}

} // namespace fulcrum
