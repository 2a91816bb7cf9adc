#include "common/ownedtempdir.h"

#include <QDir>
#include <QFileInfo>

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

namespace fulcrum {

namespace {

const char kOwnerFile[] = ".owner";

QString pattern(const QString &role)
{
    return QStringLiteral("fulcrum-%1-").arg(role);
}

} // namespace

OwnedTempDir::OwnedTempDir(const QString &role)
    : m_dir(QDir(QDir::tempPath()).filePath(pattern(role) + QStringLiteral("XXXXXX")))
{
    if (!m_dir.isValid()) {
        m_error = m_dir.errorString();
        return;
    }
    // O_CLOEXEC: children must not inherit the lock, or a surviving child would keep the
    // folder "owned" after its parent died.
    const QByteArray owner = QFile::encodeName(m_dir.filePath(QString::fromLatin1(kOwnerFile)));
    const int fd = ::open(owner.constData(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0 || ::flock(fd, LOCK_EX | LOCK_NB) != 0) {
        m_error = QStringLiteral("cannot lock %1: %2").arg(QFile::decodeName(owner), QString::fromLocal8Bit(std::strerror(errno)));
        if (fd >= 0)
            ::close(fd);
        return;
    }
    m_lockFd = fd;
}

OwnedTempDir::~OwnedTempDir()
{
    if (m_lockFd >= 0)
        ::close(m_lockFd);
    // m_dir removes the folder.
}

int OwnedTempDir::removeStale(const QString &role)
{
    int removed = 0;
    const QDir tmp(QDir::tempPath());
    const QStringList names = tmp.entryList({pattern(role) + QStringLiteral("*")}, QDir::Dirs | QDir::NoSymLinks | QDir::NoDotAndDotDot | QDir::Hidden);
    for (const QString &name : names) {
        const QString path = tmp.filePath(name);
        if (QFileInfo(path).ownerId() != ::getuid())
            continue;
        const QByteArray owner = QFile::encodeName(QDir(path).filePath(QString::fromLatin1(kOwnerFile)));
        const int fd = ::open(owner.constData(), O_RDWR | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
            continue;   // not made by OwnedTempDir, or still being made
        if (::flock(fd, LOCK_EX | LOCK_NB) == 0 && QDir(path).removeRecursively())
            ++removed;
        ::close(fd);
    }
    return removed;
}

} // namespace fulcrum
