#pragma once

#include <QByteArray>
#include <QSslCertificate>
#include <QSslConfiguration>
#include <QSslError>
#include <QString>

#include <optional>

class QUrlQuery;

namespace fulcrum {

// TLS settings read from PEM files, for the clients that reach an https address Fulcrum does not
// own (an Apache balancer-manager, fulcrumd's admin API) and for the admin API's server side.
// Every reader names the file, what is wrong and the fix.

// A client's TLS files, as written in an address: ?ca=PATH&cert=PATH&key=PATH&pin=sha256:HEX.
struct ClientTlsFiles
{
    QString caFile;               // the CA that signed the server's certificate; empty: the system's CAs
    QString certFile;             // a client certificate (mutual TLS), with its unencrypted key
    QString keyFile;              // a 0600 file, refused when others may read it
    QByteArray pinSha256;         // trust exactly this server certificate (SHA-256 of its DER), whoever signed it

    bool isEmpty() const { return caFile.isEmpty() && certFile.isEmpty() && keyFile.isEmpty() && pinSha256.isEmpty(); }
    // Takes ca, cert, key and pin out of `query` (what is left is not TLS's); false with *error
    // when a pin is not sha256:HEX of 32 bytes or a certificate comes without its key.
    bool take(QUrlQuery &query, const QString &address, QString *error);
    // The same items again, to be written back into an address.
    void put(QUrlQuery &query) const;
    // The files read now (TLS 1.2 or later, the peer verified); nullopt with *error.
    std::optional<QSslConfiguration> configuration(QString *error) const;
    // With a pin, the errors that the pin answers (an unknown issuer, a self-signed certificate,
    // a host name the certificate does not carry) are ignored when the server's certificate is
    // (`peer`, the server's own certificate) the pinned one; an expired or not-yet-valid
    // certificate is refused all the same.
    QList<QSslError> errorsToIgnore(const QSslCertificate &peer, const QList<QSslError> &errors) const;

    friend bool operator==(const ClientTlsFiles &, const ClientTlsFiles &) = default;
};

// A PEM file's bytes; `what` names it in the error ("certificate", "key"). A secret (a private
// key) is refused when others may read it, with the chmod that fixes it.
std::optional<QByteArray> readPemFile(const QString &path, const QString &what, bool secret, QString *error);

// "sha256:AB:CD:…" as `openssl x509 -fingerprint -sha256` prints it (after "sha256:").
// A certificate (a listener's, the admin API's) that expires sooner than this is a warning at
// every start and reload.
inline constexpr int kCertificateExpiryWarningDays = 14;

QString tlsFingerprint(const QSslCertificate &certificate);
QByteArray tlsFingerprintDigest(const QSslCertificate &certificate);
// The pin "sha256:HEX" (colons and case as one likes) as a digest; empty when it is not one.
QByteArray parseTlsPin(const QString &pin);

// A server's certificate chain and key (and, for mutual TLS, the CA its clients' certificates
// must chain to), read and checked now: a missing or unreadable file, a file without PEM, a key
// others may read, a key that does not belong to the certificate. `what` names the setting
// ("admin.tls"). TLS 1.2 or later.
std::optional<QSslConfiguration> serverTlsConfiguration(const QString &certFile, const QString &keyFile, const QString &clientCaFile,
                                                        const QString &what, QString *error);

// A sentence for a failed handshake seen by a client: what the certificate problem is and the
// fix (the CA to give, or the pin with the certificate's fingerprint to check).
QString describeTlsErrors(const QList<QSslError> &errors, const QString &address);

} // namespace fulcrum
