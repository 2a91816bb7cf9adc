#pragma once

#include <QProcess>
#include <QString>
#include <QStringList>

#include <memory>

namespace fulcrum::test {

class EtcdServer;

// One real `etcdctl lock NAME` or `etcdctl elect NAME PROPOSAL` (ETCDCTL_API=3), as an operator
// or a script runs them: it prints its key once it holds the lock (or leads), then waits.
// release() ends it with SIGTERM (it unlocks or resigns), kill() with SIGKILL (its lease lives
// on until its TTL). The process dies with the test.
class EtcdLockProcess
{
public:
    static std::unique_ptr<EtcdLockProcess> lock(const EtcdServer &server, const QString &name, const QStringList &extra = {});
    static std::unique_ptr<EtcdLockProcess> elect(const EtcdServer &server, const QString &name, const QString &proposal);
    ~EtcdLockProcess();
    EtcdLockProcess(const EtcdLockProcess &) = delete;
    EtcdLockProcess &operator=(const EtcdLockProcess &) = delete;

    bool isAcquired();              // it printed its key
    QByteArray key();               // the key it printed: NAME/<lease id in hex>
    QString output();
    void release();
    void kill();
    bool isRunning() const;
    int exitCode() const;

private:
    EtcdLockProcess() = default;
    std::unique_ptr<QProcess> m_process;
    QString m_output;
};

} // namespace fulcrum::test
