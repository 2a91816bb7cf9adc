#include "secretstore.h"

#include <QFile>
#include <QFileInfo>

#include <sys/stat.h>

namespace fulcrum {

std::optional<QByteArray> FileSecretStore::read(const QString &path, QString *error)
{
    struct stat st {};
    if (::stat(QFile::encodeName(path).constData(), &st) != 0) {
        *error = QStringLiteral("secret file %1 does not exist or cannot be opened; create it with: "
                                "install -m 600 /dev/null %1, then write the password or token into it").arg(path);
        return std::nullopt;
    }
    if (!S_ISREG(st.st_mode)) {
        *error = QStringLiteral("secret file %1 is not a regular file").arg(path);
        return std::nullopt;
    }
    if (st.st_mode & (S_IRWXG | S_IRWXO)) {
        *error = QStringLiteral("secret file %1 is accessible by group or others (mode %2); refusing to use it. Fix: chmod 600 %1")
                     .arg(path, QString::number(st.st_mode & 0777, 8).rightJustified(4, u'0'));
        return std::nullopt;
    }
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        *error = QStringLiteral("cannot read secret file %1: %2").arg(path, file.errorString());
        return std::nullopt;
    }
    QByteArray secret = file.readAll();
    while (secret.endsWith('\n') || secret.endsWith('\r'))
        secret.chop(1);
    if (secret.isEmpty()) {
        *error = QStringLiteral("secret file %1 is empty").arg(path);
        return std::nullopt;
    }
    return secret;
}

std::optional<QByteArray> EnvironmentSecretStore::read(const QString &variable, QString *error)
{
    const QByteArray name = variable.toLocal8Bit();
    if (!qEnvironmentVariableIsSet(name.constData()) || qEnvironmentVariableIsEmpty(name.constData())) {
        *error = QStringLiteral("environment variable %1 is not set or empty; export it before running, or use a secret file (0600)").arg(variable);
        return std::nullopt;
    }
    return qgetenv(name.constData());
}

std::optional<QByteArray> InMemorySecretStore::read(const QString &reference, QString *error)
{
    const auto it = m_secrets.constFind(reference);
    if (it != m_secrets.cend())
        return *it;
    *error = QStringLiteral("no password for \"%1\" was read from the keychain at start").arg(reference);
    return std::nullopt;
}

std::optional<QByteArray> readSecret(const SecretSource &source, SecretStore *keychain, QString *error)
{
    switch (source.kind) {
    case SecretSource::None:
        return QByteArray();
    case SecretSource::File:
        return FileSecretStore().read(source.reference, error);
    case SecretSource::Environment:
        return EnvironmentSecretStore().read(source.reference, error);
    case SecretSource::Keychain:
        if (!keychain) {
            *error = QStringLiteral("password is in the keychain, but this program was built without keychain support; "
                                    "use \"file:PATH\" or \"env:VAR\" instead");
            return std::nullopt;
        }
        if (source.reference.isEmpty()) {
            *error = QStringLiteral("keychain password source names no entry; write \"keychain:ENTRY\"");
            return std::nullopt;
        }
        return keychain->read(source.reference, error);
    }
    return std::nullopt;
}

} // namespace fulcrum
