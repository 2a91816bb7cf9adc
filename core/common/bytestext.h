#pragma once

#include <QByteArray>
#include <QString>
#include <QStringView>

#include <optional>

namespace fulcrum {

// Lock names, holders and tokens are bytes in every lock backend (Redis keys and values,
// ZooKeeper znode data). Shown to people: printable UTF-8 stays as it is, a backslash becomes
// "\\", every other byte "\xHH". unescapeBytes() turns that text back into the exact bytes, so an
// operator can copy a lock from `locks list` into `locks release`.
QString escapeBytes(const QByteArray &bytes);
std::optional<QByteArray> unescapeBytes(QStringView text);

} // namespace fulcrum
