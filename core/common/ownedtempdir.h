#pragma once

#include <QString>
#include <QTemporaryDir>

namespace fulcrum {

// A temporary folder, <tmp>/fulcrum-ROLE-XXXXXX, that does not outlive its program even when
// the program is killed: its owner holds an flock on a file inside for as long as it lives
// (the kernel drops it however the process ends), and removeStale() – called by the next
// start – deletes every such folder of ROLE whose lock nobody holds. Removed by the destructor.
class OwnedTempDir
{
public:
    explicit OwnedTempDir(const QString &role);
    ~OwnedTempDir();
    OwnedTempDir(const OwnedTempDir &) = delete;
    OwnedTempDir &operator=(const OwnedTempDir &) = delete;

    bool isValid() const { return m_lockFd >= 0; }
    QString errorString() const { return m_error; }
    QString path() const { return m_dir.path(); }
    QString filePath(const QString &name) const { return m_dir.filePath(name); }

    // Removes the folders of `role` left behind by programs that ended without removing them
    // (only this user's, never through a symbolic link). Returns how many it removed.
    static int removeStale(const QString &role);

private:
    QTemporaryDir m_dir;
    int m_lockFd = -1;
    QString m_error;
};

} // namespace fulcrum
