#include "tlsfiles.h"

#include <QCoreApplication>
#include <QCryptographicHash>
#include <QFile>
#include <QSslKey>
#include <QSslSocket>
#include <QUrlQuery>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <sys/stat.h>

namespace fulcrum {

std::optional<QByteArray> readPemFile(const QString &path, const QString &what, bool secret, QString *error)
{
    // A private key is a secret: like ssh, refuse one that others may read.
    struct stat info {};
    if (secret && ::stat(QFile::encodeName(path).constData(), &info) == 0 && (info.st_mode & 077) != 0) {
        *error = QCoreApplication::translate("fulcrum::TlsFiles", "the %1 %2 can be read by others (mode %3); run: chmod 600 %2")
                     .arg(what, path, QString::number(info.st_mode & 0777, 8).rightJustified(4, u'0'));
        return std::nullopt;
    }
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        *error = QCoreApplication::translate("fulcrum::TlsFiles", "cannot read the %1 %2: %3; give a readable PEM file").arg(what, path, file.errorString());
        return std::nullopt;
    }
    return file.readAll();
}

namespace {

std::optional<QList<QSslCertificate>> readCertificates(const QString &path, const QString &what, QString *error)
{
    const std::optional<QByteArray> pem = readPemFile(path, what, false, error);
    if (!pem)
        return std::nullopt;
    const QList<QSslCertificate> certificates = QSslCertificate::fromData(*pem, QSsl::Pem);
    if (certificates.isEmpty()) {
        *error = QCoreApplication::translate("fulcrum::TlsFiles", "the %1 %2 holds no PEM certificate (-----BEGIN CERTIFICATE-----)").arg(what, path);
        return std::nullopt;
    }
    return certificates;
}

std::optional<QSslKey> readPrivateKey(const QString &path, const QString &what, QString *error)
{
    const std::optional<QByteArray> pem = readPemFile(path, what, true, error);
    if (!pem)
        return std::nullopt;
    for (const QSsl::KeyAlgorithm algorithm : {QSsl::Rsa, QSsl::Ec, QSsl::Dsa}) {
        QSslKey key(*pem, algorithm, QSsl::Pem, QSsl::PrivateKey);
        if (!key.isNull())
            return key;
    }
    *error = QCoreApplication::translate("fulcrum::TlsFiles", "the %1 %2 is not an unencrypted PEM private key (RSA or EC); decrypt it with: openssl pkey -in KEY -out %2").arg(what, path);
    return std::nullopt;
}

bool keyMatchesCertificate(const QSslCertificate &certificate, const QSslKey &key)
{
    const QByteArray certificatePem = certificate.toPem();
    const QByteArray keyPem = key.toPem();
    BIO *certificateBio = BIO_new_mem_buf(certificatePem.constData(), int(certificatePem.size()));
    BIO *keyBio = BIO_new_mem_buf(keyPem.constData(), int(keyPem.size()));
    X509 *x509 = certificateBio ? PEM_read_bio_X509(certificateBio, nullptr, nullptr, nullptr) : nullptr;
    EVP_PKEY *pkey = keyBio ? PEM_read_bio_PrivateKey(keyBio, nullptr, nullptr, nullptr) : nullptr;
    const bool matches = x509 && pkey && X509_check_private_key(x509, pkey) == 1;
    EVP_PKEY_free(pkey);
    X509_free(x509);
    BIO_free(keyBio);
    BIO_free(certificateBio);
    ERR_clear_error(); // a mismatch leaves an error on this thread's queue: not Qt's to find later
    return matches;
}

// The certificate may be fine, but nothing this side trusts has signed it: what a CA file or a pin answers.
bool isUntrustedIssuer(QSslError::SslError error)
{
    switch (error) {
    case QSslError::SelfSignedCertificate:
    case QSslError::SelfSignedCertificateInChain:
    case QSslError::UnableToGetLocalIssuerCertificate:
    case QSslError::UnableToVerifyFirstCertificate:
    case QSslError::UnableToGetIssuerCertificate:
    case QSslError::CertificateUntrusted:
        return true;
    default:
        return false;
    }
}

QString hexWithColons(const QByteArray &digest)
{
    return QString::fromLatin1(digest.toHex(':').toUpper());
}

} // namespace

QByteArray tlsFingerprintDigest(const QSslCertificate &certificate)
{
    return certificate.digest(QCryptographicHash::Sha256);
}

QString tlsFingerprint(const QSslCertificate &certificate)
{
    return QStringLiteral("sha256:") + hexWithColons(tlsFingerprintDigest(certificate));
}

QByteArray parseTlsPin(const QString &pin)
{
    QString hex = pin.trimmed();
    if (!hex.startsWith(u"sha256:", Qt::CaseInsensitive))
        return {};
    hex = hex.mid(7).remove(u':');
    const QByteArray digest = QByteArray::fromHex(hex.toLatin1());
    if (digest.size() != 32 || digest.toHex().compare(hex.toLatin1(), Qt::CaseInsensitive) != 0)
        return {};
    return digest;
}

bool ClientTlsFiles::take(QUrlQuery &query, const QString &address, QString *error)
{
    const auto takeItem = [&query](const char *name) {
        const QString key = QString::fromLatin1(name);
        const QString value = query.queryItemValue(key, QUrl::FullyDecoded);
        query.removeAllQueryItems(key);
        return value;
    };
    caFile = takeItem("ca");
    certFile = takeItem("cert");
    keyFile = takeItem("key");
    const QString pin = takeItem("pin");
    pinSha256.clear();
    if (!pin.isEmpty()) {
        pinSha256 = parseTlsPin(pin);
        if (pinSha256.isEmpty()) {
            *error = QCoreApplication::translate("fulcrum::TlsFiles", "\"%1\": pin=%2 is not a certificate fingerprint; write pin=sha256: and the 32 bytes in hex, as "
                        "openssl x509 -noout -fingerprint -sha256 -in CERT prints them")
                         .arg(address, pin);
            return false;
        }
    }
    if (certFile.isEmpty() != keyFile.isEmpty()) {
        *error = QCoreApplication::translate("fulcrum::TlsFiles", "\"%1\": a client certificate needs its key: give both cert=PATH and key=PATH").arg(address);
        return false;
    }
    return true;
}

void ClientTlsFiles::put(QUrlQuery &query) const
{
    if (!caFile.isEmpty())
        query.addQueryItem(QStringLiteral("ca"), caFile);
    if (!certFile.isEmpty())
        query.addQueryItem(QStringLiteral("cert"), certFile);
    if (!keyFile.isEmpty())
        query.addQueryItem(QStringLiteral("key"), keyFile);
    if (!pinSha256.isEmpty())
        query.addQueryItem(QStringLiteral("pin"), QStringLiteral("sha256:") + QString::fromLatin1(pinSha256.toHex().toUpper()));
}

std::optional<QSslConfiguration> ClientTlsFiles::configuration(QString *error) const
{
    QSslConfiguration tls = QSslConfiguration::defaultConfiguration();
    tls.setPeerVerifyMode(QSslSocket::VerifyPeer);
    tls.setProtocol(QSsl::TlsV1_2OrLater);
    if (!caFile.isEmpty()) {
        const std::optional<QList<QSslCertificate>> cas = readCertificates(caFile, QCoreApplication::translate("fulcrum::TlsFiles", "CA file"), error);
        if (!cas)
            return std::nullopt;
        tls.setCaCertificates(*cas);
    }
    if (!certFile.isEmpty()) {
        const std::optional<QList<QSslCertificate>> chain = readCertificates(certFile, QCoreApplication::translate("fulcrum::TlsFiles", "client certificate"), error);
        if (!chain)
            return std::nullopt;
        const std::optional<QSslKey> key = readPrivateKey(keyFile, QCoreApplication::translate("fulcrum::TlsFiles", "client key"), error);
        if (!key)
            return std::nullopt;
        tls.setLocalCertificateChain(*chain);
        tls.setPrivateKey(*key);
    }
    return tls;
}

QList<QSslError> ClientTlsFiles::errorsToIgnore(const QSslCertificate &peer, const QList<QSslError> &errors) const
{
    if (pinSha256.isEmpty() || tlsFingerprintDigest(peer) != pinSha256)
        return {};
    QList<QSslError> ignore;
    for (const QSslError &e : errors) {
        // Expired, revoked, not yet valid: a pin does not make those right.
        if (isUntrustedIssuer(e.error()) || e.error() == QSslError::HostNameMismatch)
            ignore.append(e);
    }
    // All or nothing: one error left unanswered fails the handshake anyway.
    return ignore.size() == errors.size() ? ignore : QList<QSslError>{};
}

std::optional<QSslConfiguration> serverTlsConfiguration(const QString &certFile, const QString &keyFile, const QString &clientCaFile,
                                                        const QString &what, QString *error)
{
    QString why;
    const std::optional<QList<QSslCertificate>> chain = readCertificates(certFile, QCoreApplication::translate("fulcrum::TlsFiles", "certificate"), &why);
    const std::optional<QSslKey> key = chain ? readPrivateKey(keyFile, QCoreApplication::translate("fulcrum::TlsFiles", "key"), &why) : std::nullopt;
    if (!key) {
        *error = QStringLiteral("%1.cert/key: %2").arg(what, why);
        return std::nullopt;
    }
    QSslConfiguration tls = QSslConfiguration::defaultConfiguration();
    tls.setProtocol(QSsl::TlsV1_2OrLater);
    tls.setLocalCertificateChain(*chain);
    tls.setPrivateKey(*key);
    tls.setPeerVerifyMode(QSslSocket::VerifyNone);
    if (!clientCaFile.isEmpty()) {
        const std::optional<QList<QSslCertificate>> cas = readCertificates(clientCaFile, QCoreApplication::translate("fulcrum::TlsFiles", "client CA file"), &why);
        if (!cas) {
            *error = QStringLiteral("%1.client_ca: %2").arg(what, why);
            return std::nullopt;
        }
        tls.setCaCertificates(*cas);
        tls.setPeerVerifyMode(QSslSocket::VerifyPeer); // a client without a certificate from this CA is refused
    }
    // The key must belong to the certificate. Qt says so only when a client connects (every
    // handshake then fails); OpenSSL's own check says it now.
    if (!keyMatchesCertificate(chain->first(), *key)) {
        *error = QCoreApplication::translate("fulcrum::TlsFiles", "%1: the key %2 does not belong to the certificate %3; give the key the certificate was made for")
                     .arg(what, keyFile, certFile);
        return std::nullopt;
    }
    return tls;
}

QString describeTlsErrors(const QList<QSslError> &errors, const QString &address)
{
    QStringList parts;
    for (const QSslError &e : errors) {
        const QSslCertificate &c = e.certificate();
        switch (e.error()) {
        case QSslError::CertificateExpired:
            parts.append(QCoreApplication::translate("fulcrum::TlsFiles", "its certificate expired on %1 (UTC); renew it on the server").arg(c.expiryDate().toUTC().toString(Qt::ISODate)));
            break;
        case QSslError::CertificateNotYetValid:
            parts.append(QCoreApplication::translate("fulcrum::TlsFiles", "its certificate is not valid before %1 (UTC); check the clocks of both machines").arg(c.effectiveDate().toUTC().toString(Qt::ISODate)));
            break;
        case QSslError::HostNameMismatch:
            parts.append(QCoreApplication::translate("fulcrum::TlsFiles", "its certificate is for %1, not this host name; connect by a name it carries, or pin it")
                             .arg((c.subjectAlternativeNames().values(QSsl::DnsEntry) + c.subjectAlternativeNames().values(QSsl::IpAddressEntry)).join(QStringLiteral(", "))));
            break;
        case QSslError::NoPeerCertificate:
            parts.append(QCoreApplication::translate("fulcrum::TlsFiles", "it sent no certificate"));
            break;
        default:
            if (!isUntrustedIssuer(e.error())) {
                parts.append(e.errorString());
                break;
            }
            parts.append(QCoreApplication::translate("fulcrum::TlsFiles", "its certificate (%1) is not signed by a CA this side trusts; give the CA file (ca=PATH), or check the "
                            "fingerprint on the server (openssl x509 -noout -fingerprint -sha256 -in CERT) and pin it (pin=%1)")
                             .arg(tlsFingerprint(c)));
            break;
        }
    }
    parts.removeDuplicates();
    return QCoreApplication::translate("fulcrum::TlsFiles", "TLS with %1 refused: %2").arg(address, parts.join(QStringLiteral("; ")));
}

} // namespace fulcrum
