#include "testcertificates.h"

#include "programs.h"

#include <QFile>
#include <QStringList>

namespace fulcrum::test {

bool makeTestCertificates(const QString &dir, QString *error)
{
    QFile ext(dir + QStringLiteral("/ext.cnf"));
    if (!ext.open(QIODevice::WriteOnly)) {
        *error = QStringLiteral("cannot write %1").arg(ext.fileName());
        return false;
    }
    ext.write("subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n");
    ext.close();
    QList<QStringList> all{
        {QStringLiteral("req"), QStringLiteral("-x509"), QStringLiteral("-newkey"), QStringLiteral("rsa:2048"), QStringLiteral("-nodes"),
         QStringLiteral("-keyout"), dir + QStringLiteral("/ca.key"), QStringLiteral("-out"), dir + QStringLiteral("/ca.pem"),
         QStringLiteral("-days"), QStringLiteral("3650"), QStringLiteral("-subj"), QStringLiteral("/CN=fulcrum test CA")},
    };
    for (const QString &who : {QStringLiteral("server"), QStringLiteral("client")}) {
        all << QStringList{QStringLiteral("req"), QStringLiteral("-newkey"), QStringLiteral("rsa:2048"), QStringLiteral("-nodes"),
                           QStringLiteral("-keyout"), dir + u'/' + who + QStringLiteral(".key"), QStringLiteral("-out"),
                           dir + u'/' + who + QStringLiteral(".csr"), QStringLiteral("-subj"), QStringLiteral("/CN=127.0.0.1")};
        all << QStringList{QStringLiteral("x509"), QStringLiteral("-req"), QStringLiteral("-in"), dir + u'/' + who + QStringLiteral(".csr"),
                           QStringLiteral("-CA"), dir + QStringLiteral("/ca.pem"), QStringLiteral("-CAkey"), dir + QStringLiteral("/ca.key"),
                           QStringLiteral("-CAcreateserial"), QStringLiteral("-out"), dir + u'/' + who + QStringLiteral(".pem"),
                           QStringLiteral("-days"), QStringLiteral("3650"), QStringLiteral("-extfile"), ext.fileName()};
    }
    for (const QStringList &step : all) {
        const ProgramRun run = runProgram(QStringLiteral("/usr/bin/openssl"), step, componentEnvironment());
        if (run.exitCode != 0) {
            *error = QStringLiteral("openssl %1 failed (package openssl): %2").arg(step.join(u' '), run.err);
            return false;
        }
    }
    return true;
}

namespace {

const QStringList kP256{QStringLiteral("-newkey"), QStringLiteral("ec"), QStringLiteral("-pkeyopt"), QStringLiteral("ec_paramgen_curve:prime256v1"),
                        QStringLiteral("-nodes")};

} // namespace

bool TestCertificates::openssl(const QStringList &arguments, QString *error, const QString &faketime)
{
    // openssl itself runs without the test's libfaketime; `faketime` is asked for explicitly.
    const ProgramRun run = faketime.isEmpty() ? runProgram(QStringLiteral("openssl"), arguments, componentEnvironment())
                                              : runProgram(QStringLiteral("faketime"), QStringList{faketime, QStringLiteral("openssl")} + arguments,
                                                           componentEnvironment());
    if (run.exitCode != 0)
        *error = QStringLiteral("openssl %1 failed (packages openssl, faketime): %2").arg(arguments.join(u' '), run.err);
    return run.exitCode == 0;
}

bool TestCertificates::makeCa(const QString &name, QString *error)
{
    const bool ok = openssl(QStringList{QStringLiteral("req"), QStringLiteral("-x509")} + kP256
                                + QStringList{QStringLiteral("-keyout"), file(name + QStringLiteral(".key")), QStringLiteral("-out"), file(name + QStringLiteral(".pem")),
                                              QStringLiteral("-days"), QStringLiteral("3650"), QStringLiteral("-subj"), QStringLiteral("/CN=Fulcrum test %1").arg(name)},
                            error);
    QFile::setPermissions(file(name + QStringLiteral(".key")), QFileDevice::ReadOwner | QFileDevice::WriteOwner);
    return ok;
}

bool TestCertificates::makeSigned(const QString &name, const QString &ca, const QString &usage, QString *error, int days, const QString &faketime,
                                  const QString &altNames)
{
    QFile ext(file(name + QStringLiteral(".ext")));
    if (!ext.open(QIODevice::WriteOnly)) {
        *error = QStringLiteral("cannot write %1").arg(ext.fileName());
        return false;
    }
    ext.write("subjectAltName=" + altNames.toLatin1() + "\nextendedKeyUsage=" + usage.toLatin1() + "\n");
    ext.close();
    const bool ok = openssl(QStringList{QStringLiteral("req")} + kP256
                                + QStringList{QStringLiteral("-keyout"), file(name + QStringLiteral(".key")), QStringLiteral("-out"), file(name + QStringLiteral(".csr")),
                                              QStringLiteral("-subj"), QStringLiteral("/CN=%1").arg(name)},
                            error)
                    && openssl({QStringLiteral("x509"), QStringLiteral("-req"), QStringLiteral("-in"), file(name + QStringLiteral(".csr")), QStringLiteral("-CA"),
                                file(ca + QStringLiteral(".pem")), QStringLiteral("-CAkey"), file(ca + QStringLiteral(".key")), QStringLiteral("-CAcreateserial"),
                                QStringLiteral("-out"), file(name + QStringLiteral(".pem")), QStringLiteral("-days"), QString::number(days), QStringLiteral("-extfile"),
                                file(name + QStringLiteral(".ext"))},
                               error, faketime);
    QFile::setPermissions(file(name + QStringLiteral(".key")), QFileDevice::ReadOwner | QFileDevice::WriteOwner);
    if (ok) {
        QFile leaf(file(name + QStringLiteral(".pem"))), issuer(file(ca + QStringLiteral(".pem"))), chain(file(name + QStringLiteral("-chain.pem")));
        if (!leaf.open(QIODevice::ReadOnly) || !issuer.open(QIODevice::ReadOnly) || !chain.open(QIODevice::WriteOnly | QIODevice::Truncate)) {
            *error = QStringLiteral("cannot write %1").arg(chain.fileName());
            return false;
        }
        chain.write(leaf.readAll() + issuer.readAll());
    }
    return ok;
}

} // namespace fulcrum::test
