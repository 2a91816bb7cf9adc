#include "tls.h"

#include "common/tlsfiles.h"

#include <QDateTime>
#include <QFile>
#include <QHostAddress>

#include <chrono>
#include <cerrno>
#include <cstring>
#include <ctime>

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

namespace fulcrum {

namespace {

// Mozilla's "intermediate" TLS 1.2 suites (server-side TLS guidelines, v5.7); TLS 1.3 keeps
// OpenSSL's own three.
constexpr char kIntermediateCiphers[] =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:"
    "DHE-RSA-CHACHA20-POLY1305";
constexpr char kGroups[] = "X25519:prime256v1:secp384r1";
// ALPN, server preference first: h2 where the listener serves HTTP/2, then http/1.1.
constexpr unsigned char kAlpnH2[] = {2, 'h', '2', 8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
constexpr const unsigned char *kAlpn = kAlpnH2 + 3;
constexpr unsigned kAlpnLength = sizeof(kAlpnH2) - 3;

qint64 monotonicMs()
{
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

QString openSslReason()
{
    QString reason;
    while (const unsigned long e = ERR_get_error()) {
        if (reason.isEmpty()) {
            const char *text = ERR_reason_error_string(e);
            reason = text ? QString::fromLatin1(text) : QStringLiteral("OpenSSL error %1").arg(e, 0, 16);
        }
    }
    return reason.isEmpty() ? QStringLiteral("unknown OpenSSL error") : reason;
}

struct BioDeleter
{
    void operator()(BIO *b) const { BIO_free(b); }
};
using BioPtr = std::unique_ptr<BIO, BioDeleter>;

BioPtr memoryBio(const QByteArray &bytes)
{
    return BioPtr(BIO_new_mem_buf(bytes.constData(), int(bytes.size())));
}

QString timeText(const ASN1_TIME *time)
{
    std::tm tm{};
    if (!time || ASN1_TIME_to_tm(time, &tm) != 1)
        return QStringLiteral("?");
    return QDateTime(QDate(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday), QTime(tm.tm_hour, tm.tm_min, tm.tm_sec), Qt::UTC)
        .toString(Qt::ISODate);
}

std::time_t toTimeT(const ASN1_TIME *time)
{
    std::tm tm{};
    if (!time || ASN1_TIME_to_tm(time, &tm) != 1)
        return 0;
    return timegm(&tm);
}

// The DNS names (else the common name) a certificate answers.
QStringList certificateNames(X509 *leaf)
{
    QStringList names;
    auto *sans = static_cast<GENERAL_NAMES *>(X509_get_ext_d2i(leaf, NID_subject_alt_name, nullptr, nullptr));
    for (int i = 0; sans && i < sk_GENERAL_NAME_num(sans); ++i) {
        const GENERAL_NAME *name = sk_GENERAL_NAME_value(sans, i);
        if (name->type == GEN_DNS)
            names.append(QString::fromLatin1(reinterpret_cast<const char *>(ASN1_STRING_get0_data(name->d.dNSName)), ASN1_STRING_length(name->d.dNSName)));
    }
    GENERAL_NAMES_free(sans);
    if (names.isEmpty()) {
        char cn[256] = {};
        if (X509_NAME_get_text_by_NID(X509_get_subject_name(leaf), NID_commonName, cn, sizeof(cn)) > 0)
            names.append(QString::fromLatin1(cn));
    }
    return names;
}

void setCommonOptions(SSL_CTX *ctx)
{
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION);
    // Renegotiation is a client's way to make the server do handshakes for free; an unexpected
    // end of stream is read as an end, as every browser and server does.
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION | SSL_OP_IGNORE_UNEXPECTED_EOF);
    // Buffers go back while a connection is idle (about 34 KiB each), and a write may send part
    // of a buffer and go on from a moved one, as StreamSocket's queue does.
    SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
}

} // namespace

// ---- CountedReason ----

void CountedReason::note(const QString &reason, qint64 nowMs)
{
    count.fetch_add(1, std::memory_order_relaxed);
    std::lock_guard lock(m_mutex);
    m_reason = reason;
    m_ms = nowMs;
}

std::pair<QString, qint64> CountedReason::last() const
{
    std::lock_guard lock(m_mutex);
    return {m_reason, m_ms};
}

// ---- TicketKeys ----

TicketKeys::TicketKeys(qint64 rotationMs)
    : m_rotationMs(qMax<qint64>(1000, rotationMs))
{
    m_keys.push_back(makeKey());
}

void TicketKeys::setRotation(qint64 rotationMs)
{
    std::lock_guard lock(m_mutex);
    m_rotationMs = qMax<qint64>(1000, rotationMs);
}

quint64 TicketKeys::rotations() const
{
    std::lock_guard lock(m_mutex);
    return m_rotations;
}

TicketKeys::Key TicketKeys::makeKey()
{
    Key key;
    if (RAND_bytes(key.name, sizeof(key.name)) != 1 || RAND_bytes(key.aes, sizeof(key.aes)) != 1 || RAND_bytes(key.hmac, sizeof(key.hmac)) != 1)
        qFatal("fulcrumd: OpenSSL's random generator failed; cannot make session ticket keys");
    key.bornMs = monotonicMs();
    return key;
}

void TicketKeys::rotateIfDue()
{
    const qint64 now = monotonicMs();
    // After a long quiet spell every key is stale: one fresh key, nothing old opens.
    if (now - m_keys.front().bornMs >= 2 * m_rotationMs) {
        m_keys.assign(1, makeKey());
        m_rotations += 2;
        return;
    }
    if (now - m_keys.front().bornMs >= m_rotationMs) {
        m_keys.insert(m_keys.begin(), makeKey());
        m_keys.resize(2);
        ++m_rotations;
    }
}

int TicketKeys::seal(unsigned char *keyName, unsigned char *iv, EVP_CIPHER_CTX *cipher, EVP_MAC_CTX *mac, int encrypt)
{
    std::lock_guard lock(m_mutex);
    rotateIfDue();
    const Key *key = nullptr;
    int result = 1;
    if (encrypt) {
        key = &m_keys.front();
        if (RAND_bytes(iv, EVP_CIPHER_get_iv_length(EVP_aes_256_cbc())) != 1)
            return -1;
        std::memcpy(keyName, key->name, sizeof(key->name));
    } else {
        for (size_t i = 0; i < m_keys.size() && !key; ++i) {
            if (std::memcmp(keyName, m_keys[i].name, sizeof(m_keys[i].name)) == 0) {
                key = &m_keys[i];
                result = i == 0 ? 1 : 2;
            }
        }
        if (!key)
            return 0;
    }
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_octet_string(OSSL_MAC_PARAM_KEY, const_cast<unsigned char *>(key->hmac), sizeof(key->hmac)),
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, const_cast<char *>("SHA256"), 0),
        OSSL_PARAM_construct_end(),
    };
    if (EVP_MAC_CTX_set_params(mac, params) != 1)
        return -1;
    const int ok = encrypt ? EVP_EncryptInit_ex(cipher, EVP_aes_256_cbc(), nullptr, key->aes, iv)
                           : EVP_DecryptInit_ex(cipher, EVP_aes_256_cbc(), nullptr, key->aes, iv);
    return ok == 1 ? result : -1;
}

// ---- TlsServerContext ----

struct TlsServerContext::Certificate
{
    SSL_CTX *ctx = nullptr;
    X509 *leaf = nullptr;                 // owned by ctx
    QStringList names;
    QByteArray ocsp;                      // DER; empty: nothing to staple
    std::time_t ocspNextUpdate = 0;       // the response is stapled until then (0: no end given)

    ~Certificate() { SSL_CTX_free(ctx); }
};

TlsServerContext::~TlsServerContext() = default;

std::shared_ptr<TlsServerContext> TlsServerContext::load(const ListenerTlsConfig &config, std::shared_ptr<TicketKeys> keys,
                                                         LoadError *error, QStringList *warnings)
{
    std::shared_ptr<TlsServerContext> context(new TlsServerContext);
    context->m_keys = std::move(keys);
    context->m_http2 = config.http2;
    if (!config.hsts.isEmpty())
        context->m_hstsLine = "Strict-Transport-Security: " + config.hsts.toLatin1() + "\r\n";
    ERR_clear_error();
    const auto fail = [error](int certificate, const QString &key, const QString &message) {
        *error = LoadError{certificate, key, message};
        ERR_clear_error();
        return nullptr;
    };
    if (config.certificates.empty())
        return fail(-1, QString(), QStringLiteral("tls needs at least one certificate: \"cert\" and \"key\" (PEM files)"));
    for (size_t i = 0; i < config.certificates.size(); ++i) {
        const ListenerCertificate &files = config.certificates[i];
        const int index = int(i);
        auto certificate = std::make_unique<Certificate>();
        SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
        if (!ctx)
            return fail(index, QStringLiteral("cert"), QStringLiteral("OpenSSL could not make a context: %1").arg(openSslReason()));
        certificate->ctx = ctx;
        setCommonOptions(ctx);
        if (config.minVersion >= 13)
            SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
        const QString ciphers = config.ciphers.isEmpty() ? QString::fromLatin1(kIntermediateCiphers) : config.ciphers;
        if (SSL_CTX_set_cipher_list(ctx, ciphers.toLatin1().constData()) != 1)
            return fail(-1, QStringLiteral("ciphers"),
                        QStringLiteral("no cipher in \"%1\" is known to OpenSSL (%2); write OpenSSL cipher names separated by \":\", "
                                       "or leave \"ciphers\" out for Mozilla's intermediate list")
                            .arg(config.ciphers, openSslReason()));
        SSL_CTX_set1_groups_list(ctx, kGroups);
        SSL_CTX_set_dh_auto(ctx, 1);

        // The chain: leaf first, then its issuers.
        QString why;
        const std::optional<QByteArray> chainPem = readPemFile(files.certFile, QStringLiteral("certificate"), false, &why);
        if (!chainPem)
            return fail(index, QStringLiteral("cert"), why);
        {
            BioPtr bio = memoryBio(*chainPem);
            X509 *leaf = PEM_read_bio_X509_AUX(bio.get(), nullptr, nullptr, nullptr);
            if (!leaf)
                return fail(index, QStringLiteral("cert"),
                            QStringLiteral("the certificate %1 holds no PEM certificate (-----BEGIN CERTIFICATE-----): %2").arg(files.certFile, openSslReason()));
            const int used = SSL_CTX_use_certificate(ctx, leaf);
            X509_free(leaf);
            if (used != 1)
                return fail(index, QStringLiteral("cert"), QStringLiteral("OpenSSL refuses the certificate %1: %2").arg(files.certFile, openSslReason()));
            while (X509 *issuer = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
                if (SSL_CTX_add0_chain_cert(ctx, issuer) != 1) {
                    X509_free(issuer);
                    return fail(index, QStringLiteral("cert"), QStringLiteral("OpenSSL refuses a chain certificate in %1: %2").arg(files.certFile, openSslReason()));
                }
            }
            ERR_clear_error();   // the end of the PEM stream leaves "no start line"
        }
        certificate->leaf = SSL_CTX_get0_certificate(ctx);
        certificate->names = certificateNames(certificate->leaf);

        const std::optional<QByteArray> keyPem = readPemFile(files.keyFile, QStringLiteral("key"), true, &why);
        if (!keyPem)
            return fail(index, QStringLiteral("key"), why);
        {
            BioPtr bio = memoryBio(*keyPem);
            EVP_PKEY *key = PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, const_cast<char *>(""));
            if (!key)
                return fail(index, QStringLiteral("key"),
                            QStringLiteral("the key %1 is not an unencrypted PEM private key; decrypt it with: openssl pkey -in KEY -out %1").arg(files.keyFile));
            const int used = SSL_CTX_use_PrivateKey(ctx, key);
            EVP_PKEY_free(key);
            if (used != 1 || SSL_CTX_check_private_key(ctx) != 1)
                return fail(index, QStringLiteral("key"),
                            QStringLiteral("the key %1 does not belong to the certificate %2; give the key the certificate was made for").arg(files.keyFile, files.certFile));
        }
        if (warnings) {
            const QString names = certificate->names.join(QStringLiteral(", "));
            std::time_t soon = std::time(nullptr) + kCertificateExpiryWarningDays * 86'400;
            if (X509_cmp_current_time(X509_get0_notAfter(certificate->leaf)) < 0)
                warnings->append(QStringLiteral("the certificate %1 (%2) expired on %3 UTC; clients refuse it: renew it and reload")
                                     .arg(files.certFile, names, timeText(X509_get0_notAfter(certificate->leaf))));
            else if (X509_cmp_time(X509_get0_notAfter(certificate->leaf), &soon) < 0)
                warnings->append(QStringLiteral("the certificate %1 (%2) expires on %3 UTC, in less than %4 days: renew it and reload")
                                     .arg(files.certFile, names, timeText(X509_get0_notAfter(certificate->leaf))).arg(kCertificateExpiryWarningDays));
            else if (X509_cmp_current_time(X509_get0_notBefore(certificate->leaf)) > 0)
                warnings->append(QStringLiteral("the certificate %1 (%2) is not valid before %3 UTC; check this machine's clock")
                                     .arg(files.certFile, names, timeText(X509_get0_notBefore(certificate->leaf))));
        }

        if (!files.ocspFile.isEmpty()) {
            QFile file(files.ocspFile);
            if (!file.open(QIODevice::ReadOnly))
                return fail(index, QStringLiteral("ocsp_response"),
                            QStringLiteral("cannot read the OCSP response %1: %2; give the DER file `openssl ocsp -respout` writes").arg(files.ocspFile, file.errorString()));
            const QByteArray der = file.readAll();
            const unsigned char *p = reinterpret_cast<const unsigned char *>(der.constData());
            OCSP_RESPONSE *response = d2i_OCSP_RESPONSE(nullptr, &p, long(der.size()));
            if (!response)
                return fail(index, QStringLiteral("ocsp_response"),
                            QStringLiteral("%1 is not a DER OCSP response; fetch one with `openssl ocsp -issuer CA -cert CERT -url URL -respout %1`").arg(files.ocspFile));
            const std::unique_ptr<OCSP_RESPONSE, decltype(&OCSP_RESPONSE_free)> responseOwner(response, OCSP_RESPONSE_free);
            if (OCSP_response_status(response) != OCSP_RESPONSE_STATUS_SUCCESSFUL)
                return fail(index, QStringLiteral("ocsp_response"),
                            QStringLiteral("the OCSP response %1 says the responder failed (%2); fetch a new one")
                                .arg(files.ocspFile, QString::fromLatin1(OCSP_response_status_str(OCSP_response_status(response)))));
            OCSP_BASICRESP *basic = OCSP_response_get1_basic(response);
            const std::unique_ptr<OCSP_BASICRESP, decltype(&OCSP_BASICRESP_free)> basicOwner(basic, OCSP_BASICRESP_free);
            STACK_OF(X509) *chain = nullptr;
            SSL_CTX_get0_chain_certs(ctx, &chain);
            X509 *issuer = nullptr;
            for (int c = 0; chain && c < sk_X509_num(chain) && !issuer; ++c) {
                if (X509_check_issued(sk_X509_value(chain, c), certificate->leaf) == X509_V_OK)
                    issuer = sk_X509_value(chain, c);
            }
            if (!basic || !issuer)
                return fail(index, QStringLiteral("ocsp_response"),
                            !basic ? QStringLiteral("the OCSP response %1 holds no basic response; fetch a new one").arg(files.ocspFile)
                                   : QStringLiteral("stapling needs the issuer of %1 in its chain file, after the certificate").arg(files.certFile));
            OCSP_CERTID *id = OCSP_cert_to_id(nullptr, certificate->leaf, issuer);
            int status = -1;
            int reason = 0;
            ASN1_GENERALIZEDTIME *revoked = nullptr;
            ASN1_GENERALIZEDTIME *thisUpdate = nullptr;
            ASN1_GENERALIZEDTIME *nextUpdate = nullptr;
            const int found = OCSP_resp_find_status(basic, id, &status, &reason, &revoked, &thisUpdate, &nextUpdate);
            OCSP_CERTID_free(id);
            if (found != 1)
                return fail(index, QStringLiteral("ocsp_response"),
                            QStringLiteral("the OCSP response %1 is not about the certificate %2; fetch the response for this certificate").arg(files.ocspFile, files.certFile));
            if (status == V_OCSP_CERTSTATUS_REVOKED)
                return fail(index, QStringLiteral("ocsp_response"),
                            QStringLiteral("the OCSP response %1 says the certificate %2 was revoked on %3 UTC; replace the certificate")
                                .arg(files.ocspFile, files.certFile, timeText(revoked)));
            certificate->ocsp = der;
            certificate->ocspNextUpdate = toTimeT(nextUpdate);
            if (warnings && nextUpdate && X509_cmp_current_time(nextUpdate) < 0)
                warnings->append(QStringLiteral("the OCSP response %1 was good until %2 UTC: it is not stapled; fetch a new one and reload")
                                     .arg(files.ocspFile, timeText(nextUpdate)));
            SSL_CTX_set_tlsext_status_cb(ctx, &TlsServerContext::stapleOcsp);
            SSL_CTX_set_tlsext_status_arg(ctx, certificate.get());
        }

        SSL_CTX_set_app_data(ctx, context.get());
        SSL_CTX_set_tlsext_servername_callback(ctx, &TlsServerContext::selectCertificate);
        SSL_CTX_set_tlsext_servername_arg(ctx, context.get());
        SSL_CTX_set_alpn_select_cb(ctx, &TlsServerContext::selectProtocol, context.get());
        // Stateless resumption only: tickets, sealed by TicketKeys, so every worker (and every
        // context after a reload) opens every ticket; no per-process session cache to lock.
        SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
        static const unsigned char sessionContext[] = "fulcrum";
        SSL_CTX_set_session_id_context(ctx, sessionContext, sizeof(sessionContext) - 1);
        if (config.sessionTickets && context->m_keys) {
            SSL_CTX_set_tlsext_ticket_key_evp_cb(ctx, &TlsServerContext::ticketKey);
            SSL_CTX_set_timeout(ctx, long(qMax<qint64>(1, context->m_keys->rotationMs() / 1000)));
            SSL_CTX_set_num_tickets(ctx, 1);
        } else {
            SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
            SSL_CTX_set_num_tickets(ctx, 0);
        }
        context->m_certificates.push_back(std::move(certificate));
    }
    ERR_clear_error();
    return context;
}

qint64 TlsServerContext::earliestExpiry() const
{
    qint64 earliest = 0;
    for (const auto &certificate : m_certificates) {
        const qint64 at = toTimeT(X509_get0_notAfter(certificate->leaf));
        if (at > 0 && (earliest == 0 || at < earliest))
            earliest = at;
    }
    return earliest;
}

SSL *TlsServerContext::newConnection() const
{
    SSL *ssl = SSL_new(m_certificates.front()->ctx);
    if (ssl)
        SSL_set_accept_state(ssl);
    return ssl;
}

QStringList TlsServerContext::names(int certificate) const
{
    return certificate >= 0 && certificate < int(m_certificates.size()) ? m_certificates[size_t(certificate)]->names : QStringList();
}

int TlsServerContext::selectCertificate(SSL *ssl, int *, void *arg)
{
    const auto *context = static_cast<const TlsServerContext *>(arg);
    const char *name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
    if (!name || !*name || context->m_certificates.size() < 2)
        return SSL_TLSEXT_ERR_OK;   // the first certificate answers
    const size_t length = std::strlen(name);
    // An exact name first: "api.shop.example" takes its own certificate over "*.shop.example".
    for (const unsigned int flags : {unsigned(X509_CHECK_FLAG_NO_WILDCARDS), 0u}) {
        for (const auto &certificate : context->m_certificates) {
            if (X509_check_host(certificate->leaf, name, length, flags, nullptr) == 1) {
                if (SSL_get_SSL_CTX(ssl) != certificate->ctx)
                    SSL_set_SSL_CTX(ssl, certificate->ctx);
                return SSL_TLSEXT_ERR_OK;
            }
        }
    }
    return SSL_TLSEXT_ERR_OK;
}

int TlsServerContext::selectProtocol(SSL *, const unsigned char **out, unsigned char *outLength, const unsigned char *in, unsigned int inLength, void *arg)
{
    const bool http2 = static_cast<const TlsServerContext *>(arg)->m_http2.enabled;
    unsigned char *selected = nullptr;
    if (SSL_select_next_proto(&selected, outLength, http2 ? kAlpnH2 : kAlpn, http2 ? sizeof(kAlpnH2) : kAlpnLength, in, inLength) != OPENSSL_NPN_NEGOTIATED)
        return SSL_TLSEXT_ERR_ALERT_FATAL;   // RFC 7301: no protocol in common is a no_application_protocol alert
    *out = selected;
    return SSL_TLSEXT_ERR_OK;
}

int TlsServerContext::stapleOcsp(SSL *ssl, void *arg)
{
    const auto *certificate = static_cast<const Certificate *>(arg);
    if (certificate->ocsp.isEmpty() || (certificate->ocspNextUpdate != 0 && std::time(nullptr) >= certificate->ocspNextUpdate))
        return SSL_TLSEXT_ERR_NOACK;   // an expired response would make a strict client fail the handshake
    auto *copy = static_cast<unsigned char *>(OPENSSL_malloc(size_t(certificate->ocsp.size())));
    if (!copy)
        return SSL_TLSEXT_ERR_NOACK;
    std::memcpy(copy, certificate->ocsp.constData(), size_t(certificate->ocsp.size()));
    SSL_set_tlsext_status_ocsp_resp(ssl, copy, long(certificate->ocsp.size()));
    return SSL_TLSEXT_ERR_OK;
}

int TlsServerContext::ticketKey(SSL *ssl, unsigned char *keyName, unsigned char *iv, EVP_CIPHER_CTX *cipher, EVP_MAC_CTX *mac, int encrypt)
{
    const auto *context = static_cast<const TlsServerContext *>(SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl)));
    if (!context || !context->m_keys)
        return encrypt ? -1 : 0;
    return context->m_keys->seal(keyName, iv, cipher, mac, encrypt);
}

// ---- TlsClientContext ----

TlsClientContext::~TlsClientContext()
{
    for (auto &entry : m_sessions)
        SSL_SESSION_free(entry.second);
    SSL_CTX_free(m_ctx);
}

namespace {

// The server name a client connection was made for (its session cache key), freed with the SSL.
int sessionKeyIndex()
{
    static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, [](void *, void *key, CRYPTO_EX_DATA *, int, long, void *) {
        OPENSSL_free(key);
    });
    return index;
}

constexpr size_t kMaxCachedSessions = 1024;   // server names per context; one session each

} // namespace

int TlsClientContext::newSession(SSL *ssl, SSL_SESSION *session)
{
    auto *context = static_cast<TlsClientContext *>(SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl)));
    const char *key = static_cast<const char *>(SSL_get_ex_data(ssl, sessionKeyIndex()));
    if (!context || !key)
        return 0;
    // A copy: OpenSSL marks a connection's own session not resumable when the connection ends
    // without close_notify, as a server connection dropped after its response does.
    SSL_SESSION *copy = SSL_SESSION_dup(session);
    if (!copy)
        return 0;
    std::lock_guard lock(context->m_sessionsMutex);
    auto it = context->m_sessions.find(QByteArray(key));
    if (it != context->m_sessions.end()) {
        SSL_SESSION_free(it->second);
        it->second = copy;
    } else if (context->m_sessions.size() < kMaxCachedSessions) {
        context->m_sessions.emplace(QByteArray(key), copy);
    } else {
        SSL_SESSION_free(copy);
    }
    return 0;   // OpenSSL keeps its own reference to the original
}

std::shared_ptr<TlsClientContext> TlsClientContext::load(const BackendTls &config, QString *error)
{
    std::shared_ptr<TlsClientContext> context(new TlsClientContext);
    ERR_clear_error();
    context->m_ctx = SSL_CTX_new(TLS_client_method());
    if (!context->m_ctx) {
        *error = QStringLiteral("OpenSSL could not make a context: %1").arg(openSslReason());
        return nullptr;
    }
    SSL_CTX *ctx = context->m_ctx;
    setCommonOptions(ctx);
    context->m_serverName = config.serverName;
    context->m_verify = config.verify;
    // Client-side resumption: sessions kept here, by server name (see newSession).
    SSL_CTX_set_app_data(ctx, context.get());
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
    SSL_CTX_sess_set_new_cb(ctx, &TlsClientContext::newSession);
    QString why;
    if (config.verify) {
        if (!config.caFile.isEmpty()) {
            if (!readPemFile(config.caFile, QStringLiteral("CA file"), false, &why)) {
                *error = why;
                return nullptr;
            }
            if (SSL_CTX_load_verify_locations(ctx, QFile::encodeName(config.caFile).constData(), nullptr) != 1) {
                *error = QStringLiteral("the CA file %1 holds no PEM certificate (%2); give the CA that signed the servers' certificates")
                             .arg(config.caFile, openSslReason());
                return nullptr;
            }
        } else {
            SSL_CTX_set_default_verify_paths(ctx);
        }
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
    } else {
        SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
    }
    if (!config.certFile.isEmpty()) {
        if (!readPemFile(config.certFile, QStringLiteral("client certificate"), false, &why) || !readPemFile(config.keyFile, QStringLiteral("client key"), true, &why)) {
            *error = why;
            return nullptr;
        }
        if (SSL_CTX_use_certificate_chain_file(ctx, QFile::encodeName(config.certFile).constData()) != 1) {
            *error = QStringLiteral("the client certificate %1 holds no PEM certificate (%2)").arg(config.certFile, openSslReason());
            return nullptr;
        }
        if (SSL_CTX_use_PrivateKey_file(ctx, QFile::encodeName(config.keyFile).constData(), SSL_FILETYPE_PEM) != 1 || SSL_CTX_check_private_key(ctx) != 1) {
            *error = QStringLiteral("the client key %1 is not an unencrypted PEM key of the certificate %2 (%3)").arg(config.keyFile, config.certFile, openSslReason());
            return nullptr;
        }
    }
    ERR_clear_error();
    return context;
}

SSL *TlsClientContext::newConnection(const QString &host) const
{
    SSL *ssl = SSL_new(m_ctx);
    if (!ssl)
        return nullptr;
    const QString name = m_serverName.isEmpty() ? host : m_serverName;
    const QByteArray latin = name.toLatin1();
    const bool isIp = !QHostAddress(name).isNull();
    if (!isIp)
        SSL_set_tlsext_host_name(ssl, latin.constData());
    if (m_verify) {
        if (isIp)
            X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), latin.constData());
        else
            SSL_set1_host(ssl, latin.constData());
    }
    SSL_set_ex_data(ssl, sessionKeyIndex(), OPENSSL_strdup(latin.constData()));
    {
        std::lock_guard lock(m_sessionsMutex);
        const auto it = m_sessions.find(latin);
        if (it != m_sessions.end())
            SSL_set_session(ssl, it->second);   // takes its own reference
    }
    SSL_set_connect_state(ssl);
    return ssl;
}

TlsIoStatus tlsIoStatus(SSL *ssl, int result, int savedErrno)
{
    if (result > 0)
        return {};
    switch (SSL_get_error(ssl, result)) {
    case SSL_ERROR_WANT_READ:
        return {TlsIoStatus::WantRead, 0, {}};
    case SSL_ERROR_WANT_WRITE:
        return {TlsIoStatus::WantWrite, 0, {}};
    case SSL_ERROR_ZERO_RETURN:
        return {TlsIoStatus::Closed, 0, {}};
    case SSL_ERROR_SYSCALL:
        if (ERR_peek_error() == 0) {
            // The socket itself: an end of stream (errno 0) or a broken connection.
            if (savedErrno == 0)
                return {TlsIoStatus::Closed, 0, {}};
            return {TlsIoStatus::Failed, savedErrno, QString::fromLocal8Bit(std::strerror(savedErrno))};
        }
        [[fallthrough]];
    default:
        return {TlsIoStatus::Failed, EPROTO, takeTlsError(ssl)};
    }
}

ssize_t tlsBytes(int n, const TlsIoStatus &status)
{
    switch (status.kind) {
    case TlsIoStatus::Done: return n;
    case TlsIoStatus::WantRead:
    case TlsIoStatus::WantWrite: return -1;
    case TlsIoStatus::Closed: return 0;
    case TlsIoStatus::Failed: break;
    }
    return -2;
}

QString takeTlsError(SSL *ssl)
{
    if (ssl && SSL_get_verify_result(ssl) != X509_V_OK) {
        ERR_clear_error();
        return QString::fromLatin1(X509_verify_cert_error_string(SSL_get_verify_result(ssl)));
    }
    return openSslReason();
}

} // namespace fulcrum
