#pragma once

#include "config/config.h"

#include <QByteArray>
#include <QString>

#include <optional>

namespace fulcrum {

// Where secrets (Redis passwords) are read from. Implementations never log or echo a secret;
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

// Resolves a config SecretSource. `keychain` may be null when the program has no keychain
// (fulcrum_core does not link QtKeychain: see core/keychain/).
std::optional<QByteArray> readSecret(const SecretSource &source, SecretStore *keychain, QString *error);
// An endpoint's password; a bare "keychain" means the entry named after the endpoint.
std::optional<QByteArray> readRedisPassword(const RedisEndpointConfig &endpoint, SecretStore *keychain, QString *error);

} // namespace fulcrum
