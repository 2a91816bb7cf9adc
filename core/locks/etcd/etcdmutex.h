#pragma once

#include "locks/etcd/etcdclient.h"

#include <QByteArray>
#include <QElapsedTimer>
#include <QObject>
#include <QTimer>

namespace fulcrum {

// Fulcrum's own lock on etcd, the recipe of the Go client's concurrency.Mutex (and so of
// `etcdctl lock NAME`): a lease with a TTL kept alive, the key <name>/<lease id in hex> put on
// it in a transaction only if it does not exist, and the lock held once no key under <name>/
// has a lower create revision. A Go service or etcdctl on the same name excludes it and is
// excluded by it. Unlike the Go client it says it lost the lock when its key was deleted by
// someone else (a force-release), not only when its lease is gone; and when it cannot renew
// the lease for two thirds of the TTL, since etcd may expire it any moment after.
class EtcdMutex : public QObject
{
    Q_OBJECT
public:
    EtcdMutex(EtcdClient *client, const QByteArray &name, int ttlSeconds, QObject *parent = nullptr);
    ~EtcdMutex() override;

    void acquire();                 // queues; acquired() or queued() (then acquired() later), or failed()
    void release();                 // deletes the key and revokes the lease, then released()
    bool isHeld() const { return m_held; }
    QByteArray key() const { return m_key; }
    qint64 createRevision() const { return m_revision; }
    qint64 lease() const { return m_lease; }

Q_SIGNALS:
    void acquired();
    void queued(const QByteArray &holderKey);
    void failed(const QString &why);
    void lost(const QString &why);
    void released();

private:
    void putKey();
    void checkTurn();
    void keepAlive();
    void fail(const QString &why);
    void loseLock(const QString &why);

    EtcdClient *m_client;
    QByteArray m_name;
    int m_ttlSeconds;
    qint64 m_lease = 0;
    QByteArray m_key;
    qint64 m_revision = 0;
    bool m_held = false;
    bool m_done = false;
    QTimer m_keepAlive;
    QTimer m_poll;
    QElapsedTimer m_sinceRenewed;
};

} // namespace fulcrum
