#pragma once

#include <QProcess>
#include <QString>
#include <QStringList>

#include <memory>

namespace fulcrum::test {

// One real lock client holding one lock, as a service would: Kazoo (tests/support/zk/
// kazoo_locks.py under Debian's python3) or Curator (tests/support/zk/CuratorLocks.java, compiled
// once per suite). It prints "waiting", then "acquired" once it holds; release() lets go, kill()
// ends it with SIGKILL (its session, and so its nodes, live on until the session timeout).
class ZkLockProcess
{
public:
    enum class Library { Kazoo, Curator };

    // recipe: Kazoo lock|read|write|semaphore, Curator mutex|revocable|read|write|semaphore.
    ZkLockProcess(Library library, const QString &recipe, const QString &hosts, const QString &path,
                  const QString &identifier = {}, int maxLeases = 1);
    ~ZkLockProcess();
    ZkLockProcess(const ZkLockProcess &) = delete;
    ZkLockProcess &operator=(const ZkLockProcess &) = delete;

    // Compiles CuratorLocks.java once per process into a temporary directory (javac, ~2 s);
    // false with javac's words in *error.
    static bool prepareCurator(QString *error);

    bool start(QString *error = nullptr);
    bool hasSaid(const QString &word);              // reads what it printed so far
    bool isAcquired() { return hasSaid(QStringLiteral("acquired")); }
    QString output();
    void release();
    void kill();
    bool isRunning() const;

private:
    Library m_library;
    QStringList m_arguments;
    std::unique_ptr<QProcess> m_process;
    QString m_output;
};

} // namespace fulcrum::test
