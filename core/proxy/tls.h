#pragma once

#include "balancer/backend.h"
#include "config/config.h"

#include <QByteArray>
#include <QString>
#include <QStringList>

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <utility>
#include <sys/types.h>
#include <vector>

typedef struct ssl_ctx_st SSL_CTX;
typedef struct ssl_st SSL;
typedef struct ssl_session_st SSL_SESSION;
typedef struct evp_cipher_ctx_st EVP_CIPHER_CTX;
typedef struct evp_mac_ctx_st EVP_MAC_CTX;

namespace fulcrum {

// The session-ticket keys of one listener. The current key seals new tickets; the one before
// still opens tickets (and has them renewed); an older one is forgotten. So a ticket is good
// for one to two rotation periods, and a stolen key opens at most two periods of sessions.
// The proxy keeps them across reloads (clients' tickets stay good) and every worker shares
// them (a client resumes on any worker). Restarting fulcrumd starts new keys.
class TicketKeys
{
public:
    explicit TicketKeys(qint64 rotationMs);
    qint64 rotationMs() const { return m_rotationMs; }
    void setRotation(qint64 rotationMs);
    // OpenSSL's ticket key callback: 1 sealed or opened with the current key, 2 opened with the
    // previous one (renew), 0 unknown key (full handshake), -1 failure.
    int seal(unsigned char *keyName, unsigned char *iv, EVP_CIPHER_CTX *cipher, EVP_MAC_CTX *mac, int encrypt);
    // How many rotations happened (tests and the stats).
    quint64 rotations() const;

private:
    struct Key
    {
        unsigned char name[16];
        unsigned char aes[32];
        unsigned char hmac[32];
        qint64 bornMs = 0;
    };
    void rotateIfDue();
    static Key makeKey();

    mutable std::mutex m_mutex;
    qint64 m_rotationMs;
    std::vector<Key> m_keys;          // [0] current, [1] previous
    quint64 m_rotations = 0;
};

// How often something went wrong, and the last time's reason and when (ms since the epoch;
// 0: never), noted from any worker.
class CountedReason
{
public:
    std::atomic<quint64> count{0};
    void note(const QString &reason, qint64 nowMs);
    std::pair<QString, qint64> last() const;

private:
    mutable std::mutex m_mutex;
    QString m_reason;
    qint64 m_ms = 0;
};

// What a TLS listener's handshakes came to, across its workers and reloads: the figures an
// operator needs when clients start failing (an expired certificate, a missing chain).
struct ListenerTlsStats
{
    std::atomic<quint64> handshakes{0};
    CountedReason handshakeFailures;
    // HTTP/2 (ALPN h2): connections, streams (requests), and connections closed for abuse
    // (rapid reset, CONTINUATION flood, HPACK bomb, a stream flood).
    std::atomic<quint64> h2Connections{0};
    std::atomic<quint64> h2Streams{0};
    CountedReason h2Refusals;
};

// A listener's TLS: one OpenSSL context per certificate, all set alike (TLS 1.2+, Mozilla
// "intermediate" ciphers, ALPN http/1.1, tickets from TicketKeys, OCSP stapling, no
// renegotiation). Immutable once loaded, shared by every worker; a reload loads a new one and
// connections made before keep the old one until they close.
class TlsServerContext
{
public:
    // What went wrong loading, to be shown at the config key it concerns.
    struct LoadError
    {
        int certificate = -1;          // index into certificates; -1: the tls object itself
        QString key;                   // "cert", "key", "ocsp_response", "ciphers"
        QString message;
    };
    static std::shared_ptr<TlsServerContext> load(const ListenerTlsConfig &config, std::shared_ptr<TicketKeys> keys,
                                                  LoadError *error, QStringList *warnings = nullptr);
    ~TlsServerContext();
    TlsServerContext(const TlsServerContext &) = delete;
    TlsServerContext &operator=(const TlsServerContext &) = delete;

    // A new server-side connection (accept state); null when OpenSSL is out of memory.
    SSL *newConnection() const;
    // The names each certificate answers (its DNS names), for messages and the console.
    QStringList names(int certificate) const;
    int certificateCount() const { return int(m_certificates.size()); }
    // When the first of its certificates expires (seconds since the epoch).
    qint64 earliestExpiry() const;
    const ListenerHttp2Config &http2() const { return m_http2; }
    // "Strict-Transport-Security: …\r\n" for every answer over the listener; empty: none.
    const QByteArray &hstsLine() const { return m_hstsLine; }

private:
    struct Certificate;
    TlsServerContext() = default;
    static int selectCertificate(SSL *ssl, int *alert, void *arg);
    static int selectProtocol(SSL *ssl, const unsigned char **out, unsigned char *outLength, const unsigned char *in, unsigned int inLength, void *arg);
    static int stapleOcsp(SSL *ssl, void *arg);
    static int ticketKey(SSL *ssl, unsigned char *keyName, unsigned char *iv, EVP_CIPHER_CTX *cipher, EVP_MAC_CTX *mac, int encrypt);

    std::vector<std::unique_ptr<Certificate>> m_certificates;
    std::shared_ptr<TicketKeys> m_keys;
    ListenerHttp2Config m_http2;
    QByteArray m_hstsLine;
};

// TLS from the proxy to servers of one configuration (CA, verification, client certificate).
class TlsClientContext
{
public:
    static std::shared_ptr<TlsClientContext> load(const BackendTls &config, QString *error);
    ~TlsClientContext();
    TlsClientContext(const TlsClientContext &) = delete;
    TlsClientContext &operator=(const TlsClientContext &) = delete;

    // A new client-side connection to `host` (connect state): SNI and the certificate's name
    // check use serverName when configured, else host (an IP address is checked as one). It
    // offers the last session this context got from that name, so a new connection to a
    // server resumes (an abbreviated handshake) instead of paying a full one.
    SSL *newConnection(const QString &host) const;
    bool verifies() const { return m_verify; }

private:
    TlsClientContext() = default;
    static int newSession(SSL *ssl, SSL_SESSION *session);
    SSL_CTX *m_ctx = nullptr;
    QString m_serverName;
    bool m_verify = true;
    // The newest session per server name (TLS 1.3 tickets arrive after the handshake, so a
    // callback keeps them); shared by the workers using this context.
    mutable std::mutex m_sessionsMutex;
    mutable std::map<QByteArray, SSL_SESSION *> m_sessions;
};

// What an SSL_read, SSL_write or SSL_do_handshake that returned `result` means; read it at
// once after the call (it reads errno and OpenSSL's error queue, and clears the queue).
struct TlsIoStatus
{
    enum Kind { Done, WantRead, WantWrite, Closed, Failed } kind = Done;
    int systemError = 0;            // Failed: errno of a broken connection, else EPROTO
    QString error;                  // Failed: why ("certificate has expired", "Connection reset by peer")
};
TlsIoStatus tlsIoStatus(SSL *ssl, int result, int savedErrno);
// The same for a read or write that returned n, as a byte count: n > 0 done, -1 nothing now
// (either want), 0 closed, -2 failed.
ssize_t tlsBytes(int n, const TlsIoStatus &status);

// The reason a TLS call failed, from OpenSSL's error queue (which it clears) or, for a
// certificate the peer sent, the verification result: "certificate has expired".
QString takeTlsError(SSL *ssl);

} // namespace fulcrum
