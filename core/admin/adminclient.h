#pragma once

#include "common/tlsfiles.h"

#include <QByteArray>
#include <QJsonObject>
#include <QObject>
#include <QPointer>
#include <QString>
#include <QUrl>

#include <functional>
#include <optional>

class QNetworkAccessManager;
class QNetworkReply;
class QNetworkRequest;
class QTimer;

namespace fulcrum {

// Where one fulcrumd's admin API is: http(s)://host:port, and for https the TLS files and pin
// written in the address as query items (?ca=PATH&cert=PATH&key=PATH&pin=sha256:HEX).
struct AdminAddress
{
    QUrl url;                     // scheme, host and port only
    ClientTlsFiles tls;

    // From what an operator typed ("host:port" is taken as http); nullopt with a message naming
    // the input and the fix (a token in it, a path, TLS items on an http address...).
    static std::optional<AdminAddress> parse(const QString &text, QString *error);
    // The address as typed back: the URL and its TLS items.
    QString toString() const;
    // http to a host that is not loopback: tokens and lock data cross the network in clear.
    bool isUnencryptedRemote() const;
};

// The one client of the admin API, for the console's remote link and fulcrumctl: requests that
// carry the token and the operator's name (for the audit), TLS with the address's CA, client
// certificate or pin, and the engine's answers turned into sentences for a person. Nothing here
// waits: the caller owns the QNetworkAccessManager and the replies.
class AdminClient
{
public:
    AdminClient() = default;
    AdminClient(AdminAddress address, QByteArray token);

    const AdminAddress &address() const { return m_address; }
    const QUrl &url() const { return m_address.url; }
    const QByteArray &token() const { return m_token; }
    // The TLS files could not be read (names the file and the fix): check it before sending.
    const QString &setupError() const { return m_setupError; }

    // A request for a path with its query ("/api/v1/locks?endpoint=a").
    QNetworkRequest request(const QString &pathAndQuery) const;
    // Sends it (a JSON body when `body` is not empty); the pin answers the reply's TLS errors.
    QNetworkReply *send(QNetworkAccessManager &network, const QByteArray &method, const QString &pathAndQuery, const QJsonObject &body = {}) const;
    QNetworkReply *send(QNetworkAccessManager &network, const QByteArray &method, const QNetworkRequest &request, const QByteArray &payload = {}) const;

    // Why a reply got no HTTP answer, for a person (refused, not found, timeout, TLS refused
    // and how to fix it).
    QString transportError(QNetworkReply *reply) const;
    // What an HTTP error answer means: the engine's own "error" text, and for 401 how to store
    // the token.
    QString statusError(int status, const QByteArray &body) const;

    // Trust on first use: the certificate an https engine presents, read without trusting it
    // (nothing else is sent), for a person to compare its fingerprint with the one on the
    // engine's host before pinning it. done(certificate, error) runs once on context's thread.
    static void peekCertificate(const QUrl &url, QObject *context, std::function<void(const QSslCertificate &, const QString &)> done,
                                int timeoutMs = 10'000);

private:
    AdminAddress m_address;
    QByteArray m_token;
    std::optional<QSslConfiguration> m_tls;
    QString m_setupError;
};

// Server-Sent Events framing, read side: bytes in, (event type, data) out, one call per event.
class SseReader
{
public:
    template<typename OnEvent>
    void feed(const QByteArray &bytes, OnEvent &&onEvent)
    {
        m_buffer += bytes;
        qsizetype end;
        while ((end = m_buffer.indexOf("\n\n")) >= 0) {
            QByteArray type;
            QByteArray data;
            parse(end, &type, &data);
            m_buffer.remove(0, end + 2);
            onEvent(type, data);
        }
    }
    // Bytes of an event not complete yet.
    qsizetype pending() const { return m_buffer.size(); }
    void clear() { m_buffer.clear(); }

private:
    void parse(qsizetype end, QByteArray *type, QByteArray *data) const;
    QByteArray m_buffer;
};

// The engine's event stream (GET /api/v1/stream) kept open, for the console and fulcrumctl:
// framed by SseReader, a silence of `silenceMs` taken as a dead connection, a message over
// `maxMessageBytes` as a URL that is not a fulcrumd, and every end followed by a new attempt
// after a wait that doubles from `firstBackoffMs` up to `maxBackoffMs` (the longest at once
// after a refused token). Resuming is the consumer's part: after `opened` the stream starts
// again with the engine's state as it is (a snapshot, every lock table), and what happened in
// between is in the engine's lists (events, health events, audit), which `opened` is the cue to
// read.
class AdminEventStream : public QObject
{
    Q_OBJECT
public:
    struct Options
    {
        int firstBackoffMs = 500;
        int maxBackoffMs = 15'000;
        int silenceMs = 10'000;
        qsizetype maxMessageBytes = 64 * 1024 * 1024;
        bool retryRefusals = true;   // false: a 4xx answer (token refused, not a fulcrumd) ends the stream for good
    };

    AdminEventStream(AdminClient client, QNetworkAccessManager *network, Options options, QObject *parent = nullptr);
    ~AdminEventStream() override;

    void start();
    void stop();
    bool isOpen() const;
    const AdminClient &client() const { return m_client; }

Q_SIGNALS:
    // A new attempt begins (the first one too): what came before it is stale.
    void connecting();
    // The first message of an attempt arrived: the engine answers again.
    void opened();
    void message(const QByteArray &type, const QByteArray &data);
    // The stream ended, for a person; retryInMs < 0: it is not tried again (a refusal without
    // retryRefusals). status: the HTTP status, 0 without one.
    void lost(const QString &why, int status, int retryInMs);

private:
    void connectStream();
    void onData();
    void onFinished();

    AdminClient m_client;
    QNetworkAccessManager *m_network;
    Options m_options;
    QPointer<QNetworkReply> m_reply;
    SseReader m_sse;
    QTimer *m_retry;
    QTimer *m_silence;
    int m_backoffMs = 0;
    bool m_seen = false;          // a message came on this attempt
    bool m_stopped = true;
};

} // namespace fulcrum
