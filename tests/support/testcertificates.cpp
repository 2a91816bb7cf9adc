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

} // namespace fulcrum::test
