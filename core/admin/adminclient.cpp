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

} // namespace fulcrum
