#include "keychainsecretstore.h"

#include <QEventLoop>

#include <qt6keychain/keychain.h>

namespace fulcrum {

static bool runJob(QKeychain::Job &job, const QString &entry, const QString &what, QString *error)
{
    job.setAutoDelete(false);
    job.setKey(entry);
    QEventLoop loop;
    QObject::connect(&job, &QKeychain::Job::finished, &loop, &QEventLoop::quit);
    job.start();
    loop.exec();
    if (job.error() == QKeychain::NoError)
        return true;
    if (job.error() == QKeychain::EntryNotFound)
        *error = QStringLiteral("keychain has no entry \"%1\" under service \"%2\"; store it with: fulcrumctl secret set %1").arg(entry, KeychainSecretStore::service());
    else
        *error = QStringLiteral("keychain %1 of \"%2\" failed: %3 (is a Secret Service such as gnome-keyring running and unlocked?)")
                     .arg(what, entry, job.errorString());
    return false;
}

std::optional<QByteArray> KeychainSecretStore::read(const QString &entry, QString *error)
{
    QKeychain::ReadPasswordJob job(service());
    if (!runJob(job, entry, QStringLiteral("read"), error))
        return std::nullopt;
    return job.binaryData();
}

bool KeychainSecretStore::write(const QString &entry, const QByteArray &secret, QString *error)
{
    QKeychain::WritePasswordJob job(service());
    job.setBinaryData(secret);
    return runJob(job, entry, QStringLiteral("write"), error);
}

bool KeychainSecretStore::remove(const QString &entry, QString *error)
{
    QKeychain::DeletePasswordJob job(service());
    return runJob(job, entry, QStringLiteral("delete"), error);
}

} // namespace fulcrum
