#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QString>

#include <optional>

namespace fulcrum {

// Reads the bearer token in `path`, or on first start creates it: 32 random bytes from the
// system generator as 64 hex characters, written atomically with mode 0600. An existing file
// that group or others may read is refused (the error names the file and the chmod that fixes it).
std::optional<QByteArray> loadOrCreateToken(const QString &path, QString *error);

// Compares in time that depends only on the lengths, so a client cannot find a token byte by byte.
bool tokensEqual(QByteArrayView a, QByteArrayView b);

} // namespace fulcrum
