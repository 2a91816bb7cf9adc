#pragma once

#include <QString>
#include <QStringList>

namespace fulcrum::test {

// A test CA and two certificates it signed, made by `openssl` in `dir`: ca.pem/ca.key,
// server.pem/server.key and client.pem/client.key (both for 127.0.0.1 and localhost, server and
// client use, RSA 2048, ten years). False with *error naming the openssl step that failed.
bool makeTestCertificates(const QString &dir, QString *error);

// Certificates made by the OpenSSL command line (package openssl) in a test's own folder: P-256
// keys (0600), a CA per call of makeCa, and leaf certificates it signs for 127.0.0.1.
class TestCertificates
{
public:
    explicit TestCertificates(QString dir) : m_dir(std::move(dir)) {}

    // NAME.pem and NAME.key, a self-signed CA valid ten years.
    bool makeCa(const QString &name, QString *error);
    // NAME.pem and NAME.key signed by the CA `ca`, with subjectAltName `altNames` and the
    // extended key usage `usage` (serverAuth, clientAuth), valid `days` from now, or made as if
    // the time were `faketime` ("2020-01-01 00:00:00": long expired by now). NAME.pem holds the
    // certificate; NAME-chain.pem the certificate then the CA's (what a server serves).
    bool makeSigned(const QString &name, const QString &ca, const QString &usage, QString *error, int days = 3650,
                    const QString &faketime = QString(), const QString &altNames = QStringLiteral("IP:127.0.0.1"));
    QString file(const QString &name) const { return m_dir + u'/' + name; }

private:
    bool openssl(const QStringList &arguments, QString *error, const QString &faketime = QString());
    QString m_dir;
};


} // namespace fulcrum::test
