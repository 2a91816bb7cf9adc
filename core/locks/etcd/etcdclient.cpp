#include "etcdclient.h"

#include <QFile>
#include <QJsonDocument>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QSslCertificate>
#include <QSslKey>
#include <QTimer>
#include <QUrl>

namespace fulcrum {

namespace {

// etcd's errors that mean "log in again": a token that expired or was never sent.
bool needsToken(const EtcdReply &reply)
{
    return reply.code == 16 || reply.error.contains(QStringLiteral("invalid auth token"))
           || reply.error.contains(QStringLiteral("user name is empty"));
}

} // namespace

EtcdClient::EtcdClient(Options options, QObject *parent)
    : QObject(parent)
    , m_options(std::move(options))
    , m_network(new QNetworkAccessManager(this))
{
    m_network->setAutoDeleteReplies(false);
    m_ssl = QSslConfiguration::defaultConfiguration();
    if (!m_options.caFile.isEmpty()) {
        const QList<QSslCertificate> cas = QSslCertificate::fromPath(m_options.caFile, QSsl::Pem);
        if (cas.isEmpty())
            m_tlsError = QStringLiteral("ca_file %1 holds no PEM certificate (or cannot be read); point it at the CA that signed the "
                                        "etcd members' certificates").arg(m_options.caFile);
        m_ssl.setCaCertificates(cas);
    }
    if (!m_options.certFile.isEmpty() || !m_options.keyFile.isEmpty()) {
        const QList<QSslCertificate> certs = QSslCertificate::fromPath(m_options.certFile, QSsl::Pem);
        QFile keyFile(m_options.keyFile);
        QSslKey key;
        if (keyFile.open(QIODevice::ReadOnly)) {
            const QByteArray pem = keyFile.readAll();
            key = QSslKey(pem, QSsl::Rsa);
            if (key.isNull())
                key = QSslKey(pem, QSsl::Ec);
        }
        if (certs.isEmpty())
            m_tlsError = QStringLiteral("cert_file %1 holds no PEM certificate (or cannot be read); a client certificate needs both "
                                        "cert_file and key_file").arg(m_options.certFile);
        else if (key.isNull())
            m_tlsError = QStringLiteral("key_file %1 holds no unencrypted PEM RSA or EC key (or cannot be read); a client certificate "
                                        "needs both cert_file and key_file").arg(m_options.keyFile);
        else {
            m_ssl.setLocalCertificate(certs.first());
            m_ssl.setPrivateKey(key);
        }
    }
}

EtcdClient::~EtcdClient() = default;

bool EtcdClient::isUsable(QString *error) const
{
    if (m_options.endpoints.isEmpty()) {
        *error = QStringLiteral("no etcd member URL; give at least one, e.g. http://127.0.0.1:2379");
        return false;
    }
    if (!m_tlsError.isEmpty()) {
        *error = m_tlsError;
        return false;
    }
    return true;
}

QString EtcdClient::memberUrl(int member) const
{
    return m_options.endpoints.isEmpty() ? QString() : m_options.endpoints.at(member % m_options.endpoints.size());
}

QString EtcdClient::currentMember() const
{
    return memberUrl(m_member);
}

QString EtcdClient::base64(const QByteArray &bytes)
{
    return QString::fromLatin1(bytes.toBase64());
}

QByteArray EtcdClient::unbase64(const QJsonValue &value)
{
    return QByteArray::fromBase64(value.toString().toLatin1());
}

qint64 EtcdClient::integer(const QJsonValue &value)
{
    if (value.isString())
        return value.toString().toLongLong();
    return qint64(value.toDouble());
}

QByteArray EtcdClient::prefixEnd(const QByteArray &prefix)
{
    QByteArray end = prefix;
    while (!end.isEmpty()) {
        if (quint8(end.back()) < 0xff) {
            end.back() = char(quint8(end.back()) + 1);
            return end;
        }
        end.chop(1);
    }
    return QByteArray(1, '\0');
}

QNetworkReply *EtcdClient::post(int member, const QString &path, const QJsonObject &body, bool withToken)
{
    return postBytes(member, path, QJsonDocument(body).toJson(QJsonDocument::Compact), withToken, m_options.timeoutMs);
}

QNetworkReply *EtcdClient::postBytes(int member, const QString &path, const QByteArray &body, bool withToken, int timeoutMs)
{
    QNetworkRequest request(QUrl(memberUrl(member) + path));
    request.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/json"));
    request.setTransferTimeout(timeoutMs);
    // etcd routes HTTP/2 to its gRPC server when the content type says so; plain HTTP/1.1 keeps
    // every request on the gateway.
    request.setAttribute(QNetworkRequest::Http2AllowedAttribute, false);
    if (request.url().scheme() == u"https")
        request.setSslConfiguration(m_ssl);
    if (withToken && !m_token.isEmpty())
        request.setRawHeader(QByteArrayLiteral("Authorization"), m_token);
    return m_network->post(request, body);
}

EtcdReply EtcdClient::readReply(QNetworkReply *reply, int member) const
{
    EtcdReply answer;
    answer.member = memberUrl(member);
    const QByteArray bytes = reply->readAll();
    const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    const QJsonObject json = QJsonDocument::fromJson(bytes).object();
    if (status == 0) {
        answer.transport = true;
        answer.error = QStringLiteral("%1: %2").arg(answer.member, reply->errorString());
        return answer;
    }
    if (status == 200 && !json.contains(QStringLiteral("error"))) {
        answer.ok = true;
        answer.json = json;
        return answer;
    }
    answer.code = int(integer(json.value(QStringLiteral("code"))));
    const QString message = json.value(QStringLiteral("error")).toString();
    if (message.isEmpty()) {
        // Not etcd's gateway (a proxy, another server on the port): say what answered.
        answer.transport = true;
        answer.error = QStringLiteral("%1 answered HTTP %2, not as etcd's v3 JSON gateway (is this an etcd 3.4+ client URL?)")
                           .arg(answer.member).arg(status);
        return answer;
    }
    answer.error = QStringLiteral("%1: %2").arg(answer.member, message);
    return answer;
}

void EtcdClient::call(const QString &path, const QJsonObject &body, QObject *context, std::function<void(const EtcdReply &)> done)
{
    auto c = std::make_shared<Call>();
    c->path = path;
    c->body = body;
    c->context = context;
    c->hasContext = context != nullptr;
    c->done = std::move(done);
    c->member = m_member;
    if (!m_tlsError.isEmpty() || m_options.endpoints.isEmpty()) {
        EtcdReply reply;
        reply.transport = true;
        isUsable(&reply.error);
        QTimer::singleShot(0, this, [this, c, reply] { finish(c, reply); });
        return;
    }
    if (!m_options.user.isEmpty() && (m_token.isEmpty() || m_authenticating)) {
        m_waitingForToken.push_back(c);
        authenticate();
        return;
    }
    send(c);
}

void EtcdClient::send(std::shared_ptr<Call> c)
{
    QNetworkReply *reply = post(c->member, c->path, c->body, true);
    connect(reply, &QNetworkReply::finished, this, [this, reply, c] {
        reply->deleteLater();
        const EtcdReply answer = readReply(reply, c->member);
        const int members = int(m_options.endpoints.size());
        if (answer.transport) {
            c->memberErrors << answer.error;
            c->member = (c->member + 1) % members;
            if (++c->membersTried < members) {
                send(c);
                return;
            }
            EtcdReply failed = answer;
            failed.error = QStringLiteral("no etcd member answered (%1)").arg(c->memberErrors.join(QStringLiteral("; ")));
            finish(c, failed);
            return;
        }
        m_member = c->member;
        if (!answer.ok && !m_options.user.isEmpty() && !c->reauthenticated && needsToken(answer)) {
            c->reauthenticated = true;
            m_token.clear();
            m_waitingForToken.push_back(c);
            authenticate();
            return;
        }
        finish(c, answer);
    });
}

void EtcdClient::authenticate()
{
    if (m_authenticating)
        return;
    m_authenticating = true;
    const QJsonObject body{{QStringLiteral("name"), m_options.user}, {QStringLiteral("password"), QString::fromUtf8(m_options.password)}};
    auto attempt = std::make_shared<std::function<void()>>();
    auto errors = std::make_shared<QStringList>();
    auto member = std::make_shared<int>(m_member);
    *attempt = [this, body, attempt, errors, member] {
        QNetworkReply *reply = post(*member, QStringLiteral("/v3/auth/authenticate"), body, false);
        connect(reply, &QNetworkReply::finished, this, [this, reply, attempt, errors, member] {
            reply->deleteLater();
            EtcdReply answer = readReply(reply, *member);
            if (answer.transport) {
                *errors << answer.error;
                *member = (*member + 1) % int(m_options.endpoints.size());
                if (errors->size() < m_options.endpoints.size()) {
                    (*attempt)();
                    return;
                }
                answer.error = QStringLiteral("no etcd member answered (%1)").arg(errors->join(QStringLiteral("; ")));
            } else if (answer.ok) {
                m_member = *member;
                m_token = answer.json.value(QStringLiteral("token")).toString().toUtf8();
            } else {
                answer.error = QStringLiteral("etcd at %1 refused user \"%2\": %3; check the user and the endpoint's password source")
                                   .arg(answer.member, m_options.user, answer.error.mid(answer.member.size() + 2));
            }
            m_authenticating = false;
            *attempt = nullptr;     // breaks the cycle attempt → lambda → attempt
            auto waiting = std::move(m_waitingForToken);
            m_waitingForToken.clear();
            for (const auto &c : waiting) {
                if (answer.ok)
                    send(c);
                else
                    finish(c, answer);
            }
        });
    };
    (*attempt)();
}

void EtcdClient::withToken(QObject *context, std::function<void(bool, const QString &)> then, bool renew)
{
    if (m_options.user.isEmpty()) {
        QTimer::singleShot(0, context, [then] { then(true, {}); });
        return;
    }
    if (renew && !m_authenticating)
        m_token.clear();
    // A status call goes through the token logic like any call: it fetches one when needed.
    call(QStringLiteral("/v3/maintenance/status"), {}, context, [then](const EtcdReply &reply) { then(reply.ok, reply.error); });
}

EtcdWatchStream *EtcdClient::watch(const QList<QJsonObject> &requests, QObject *parent)
{
    QByteArray body;
    for (const QJsonObject &request : requests)
        body += QJsonDocument(request).toJson(QJsonDocument::Compact) + '\n';
    auto *stream = new EtcdWatchStream(this, body, parent);
    withToken(stream, [stream](bool ok, const QString &error) {
        if (ok)
            stream->start(false);
        else
            stream->end(error);
    }, false);
    return stream;
}

EtcdWatchStream::EtcdWatchStream(EtcdClient *client, QByteArray body, QObject *parent)
    : QObject(parent)
    , m_client(client)
    , m_body(std::move(body))
{
}

EtcdWatchStream::~EtcdWatchStream()
{
    m_ended = true;
    if (m_reply) {
        m_reply->disconnect(this);
        m_reply->abort();
        m_reply->deleteLater();
    }
}

void EtcdWatchStream::start(bool renewedToken)
{
    if (!m_client || m_ended)
        return;
    m_answered = false;
    m_buffer.clear();
    m_member = m_client->currentMember();
    // No transfer timeout: a quiet watch sends nothing for minutes (progress notifications come
    // every ten by etcd's default).
    QNetworkReply *reply = m_client->postBytes(m_client->m_member, QStringLiteral("/v3/watch"), m_body, true, 0);
    m_reply = reply;
    connect(reply, &QNetworkReply::readyRead, this, &EtcdWatchStream::readMore);
    connect(reply, &QNetworkReply::finished, this, [this, reply, renewedToken] {
        readMore();
        reply->deleteLater();
        if (m_ended)
            return;
        const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        const bool authRefused = status == 401 || m_buffer.contains("invalid auth token") || m_buffer.contains("user name is empty");
        if (!m_answered && authRefused && !renewedToken && m_client && !m_client->options().user.isEmpty()) {
            m_client->withToken(this, [this](bool ok, const QString &error) {
                if (ok)
                    start(true);
                else
                    end(error);
            }, true);
            return;
        }
        QString why;
        if (reply->error() != QNetworkReply::NoError)
            why = QStringLiteral("%1: %2").arg(m_member, reply->errorString());
        else if (!m_buffer.trimmed().isEmpty())
            why = QStringLiteral("%1: %2").arg(m_member, QString::fromUtf8(m_buffer.trimmed().left(300)));
        else
            why = QStringLiteral("%1 closed the watch stream").arg(m_member);
        end(why);
    });
}

void EtcdWatchStream::readMore()
{
    if (!m_reply || m_ended)
        return;
    m_buffer += m_reply->readAll();
    qsizetype newline;
    while (!m_ended && (newline = m_buffer.indexOf('\n')) >= 0) {
        const QByteArray line = m_buffer.left(newline).trimmed();
        m_buffer.remove(0, newline + 1);
        if (line.isEmpty())
            continue;
        const QJsonObject message = QJsonDocument::fromJson(line).object();
        if (message.contains(QStringLiteral("result"))) {
            m_answered = true;
            Q_EMIT result(message.value(QStringLiteral("result")).toObject());
            continue;
        }
        // {"error": {"grpc_code": .., "message": ..}}: the stream ends with it.
        const QJsonObject error = message.value(QStringLiteral("error")).toObject();
        const QString text = error.value(QStringLiteral("message")).toString();
        if (!m_answered && m_client && !m_client->options().user.isEmpty()
            && (text.contains(QStringLiteral("invalid auth token")) || text.contains(QStringLiteral("user name is empty")))) {
            m_buffer = line;       // the finished handler renews the token and starts again
            return;
        }
        end(QStringLiteral("%1: %2").arg(m_member, text.isEmpty() ? QString::fromUtf8(line.left(300)) : text));
        return;
    }
}

void EtcdWatchStream::end(const QString &why)
{
    if (m_ended)
        return;
    m_ended = true;
    if (m_reply) {
        m_reply->disconnect(this);
        m_reply->abort();
        m_reply->deleteLater();
    }
    Q_EMIT ended(why);
}

void EtcdClient::finish(const std::shared_ptr<Call> &call, const EtcdReply &reply)
{
    if (!call->done || (call->hasContext && !call->context))
        return;
    auto done = std::move(call->done);
    call->done = nullptr;
    done(reply);
}

} // namespace fulcrum
