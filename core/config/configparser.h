#pragma once

#include "config.h"
#include "jsonlocations.h"

#include <QList>

#include <optional>

namespace fulcrum {

// One problem in a config file: where, what is wrong and what is allowed.
struct ConfigError
{
    QString file;
    int line = 0;
    int column = 0;
    QString message;

    // "config.json:14:9: weight -3 for server "app2" must be 0..10000"
    QString toString() const;
};

struct ConfigResult
{
    std::optional<Config> config;   // set only when there is no error at all
    QList<ConfigError> errors;

    bool ok() const { return config.has_value(); }
    QString errorText() const;      // every error, one per line
};

// Whether parseConfig reads the files a config names (TLS certificates, keys, CAs) and checks
// them, as a start or reload must. NotRead checks the config alone (an import, for a machine
// whose files are not here); ServerFilesOnly reads what talking to the servers needs (their
// TLS CA and client certificate), not the listeners' certificates (a health check from a
// laptop).
enum class ConfigFiles { Read, NotRead, ServerFilesOnly };

// Reads and validates a whole config. Nothing is half-applied: any error rejects the file,
// and every error found is reported, not only the first.
ConfigResult parseConfig(const QByteArray &text, const QString &fileName, ConfigFiles files = ConfigFiles::Read);
ConfigResult loadConfigFile(const QString &path, ConfigFiles files = ConfigFiles::Read);

} // namespace fulcrum
