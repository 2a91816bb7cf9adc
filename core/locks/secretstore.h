#pragma once

#include "config/config.h"

#include <QByteArray>
#include <QHash>
#include <QString>

#include <optional>

namespace fulcrum {

// Where secrets (lock endpoints' passwords) are read from. Implementations never log or echo a secret;
// errors name the source (file path, variable, keychain entry), never the value.
class SecretStore
{
public:
    virtual ~SecretStore() = default;
    virtual std::optional<QByteArray> read(const QString &reference, QString *error) = 0;
};

// A file only its owner may read (0600 or 0400). One secret, trailing newline ignored.
class FileSecretStore final : public SecretStore
{
public:
    std::optional<QByteArray> read(const QString &path, QString *error) override;
};

// An environment variable, for scripts and CI.
class EnvironmentSecretStore final : public SecretStore
{
public:
    std::optional<QByteArray> read(const QString &variable, QString *error) override;
};

// Secrets read before they are needed (from the keychain at start, from a 0600 file by
// fulcrumd or fulcrumctl), handed to code that reads through the SecretStore interface. The
// engine thread must not run QtKeychain's nested D-Bus wait, so the app reads first.
class InMemorySecretStore final : public SecretStore
{
public:
    void insert(const QString &reference, const QByteArray &secret) { m_secrets.insert(reference, secret); }
    std::optional<QByteArray> read(const QString &reference, QString *error) override;

private:
    QHash<QString, QByteArray> m_secrets;
};

// Resolves a config SecretSource. `keychain` may be null when the program has no keychain
// (fulcrum_core does not link QtKeychain: see core/keychain/).
std::optional<QByteArray> readSecret(const SecretSource &source, SecretStore *keychain, QString *error);

} // namespace fulcrum
