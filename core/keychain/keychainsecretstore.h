#pragma once

#include "locks/secretstore.h"

namespace fulcrum {

// Secrets in the desktop keychain (Secret Service on Linux) through QtKeychain. Entries live
// under the service "fulcrum"; the reference is the entry name. Jobs are asynchronous: read()
// and write() run a local event loop until the job is done, so call them before the main
// event loop starts or from code that tolerates re-entrancy (command-line startup).
class KeychainSecretStore final : public SecretStore
{
public:
    static QString service() { return QStringLiteral("fulcrum"); }
    std::optional<QByteArray> read(const QString &entry, QString *error) override;
    bool write(const QString &entry, const QByteArray &secret, QString *error);
    bool remove(const QString &entry, QString *error);
};

} // namespace fulcrum
