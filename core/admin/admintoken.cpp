#include "admintoken.h"

#include <QFile>
#include <QFileInfo>
#include <QRandomGenerator>
#include <QSaveFile>

namespace fulcrum {

std::optional<QByteArray> loadOrCreateToken(const QString &path, QString *error)
{
    QFile file(path);
    if (file.exists()) {
        const QFile::Permissions open = QFile::ReadGroup | QFile::WriteGroup | QFile::ExeGroup | QFile::ReadOther | QFile::WriteOther | QFile::ExeOther;
        if (file.permissions() & open) {
            *error = QStringLiteral("%1: token file is readable by group or others; run `chmod 600 %1`").arg(path);
            return std::nullopt;
        }
        if (!file.open(QIODevice::ReadOnly)) {
            *error = QStringLiteral("%1: cannot read the token: %2").arg(path, file.errorString());
            return std::nullopt;
        }
        const QByteArray token = file.readAll().trimmed();
        if (token.size() < 16) {
            *error = QStringLiteral("%1: token shorter than 16 characters; delete the file to have a new one generated").arg(path);
            return std::nullopt;
        }
        return token;
    }
    quint32 words[8];
    QRandomGenerator::system()->fillRange(words);
    const QByteArray token = QByteArray(reinterpret_cast<const char *>(words), sizeof words).toHex();
    QSaveFile out(path);
    if (!out.open(QIODevice::WriteOnly) || !out.setPermissions(QFile::ReadOwner | QFile::WriteOwner)) {
        *error = QStringLiteral("%1: cannot create the token file: %2").arg(path, out.errorString());
        return std::nullopt;
    }
    out.write(token + '\n');
    if (!out.commit()) {
        *error = QStringLiteral("%1: cannot create the token file: %2").arg(path, out.errorString());
        return std::nullopt;
    }
    return token;
}

bool tokensEqual(QByteArrayView a, QByteArrayView b)
{
    unsigned char diff = a.size() == b.size() ? 0 : 1;
    const qsizetype n = a.size();
    for (qsizetype i = 0; i < n; ++i)
        diff |= static_cast<unsigned char>(a[i] ^ (i < b.size() ? b[i] : 0));
    return diff == 0;
}

} // namespace fulcrum
