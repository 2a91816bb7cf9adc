#pragma once

#include "locks/zookeeper/zkclient.h"

#include <QByteArray>
#include <QObject>
#include <QString>
#include <QTimer>

namespace fulcrum {

// Fulcrum's own ZooKeeper lock, speaking Curator's InterProcessMutex recipe: an
// EPHEMERAL_SEQUENTIAL node <path>/_c_<uuid>-lock-<seq> (parents created as containers, data =
// this host's address, as Curator writes by default); the lowest sequence holds; a waiter
// watches only its predecessor. A Java service locking the same path with Curator, or a Kazoo
// Lock with extra_lock_patterns=["-lock-"], excludes and is excluded. Kazoo's own "__lock__"
// nodes are ordered by their sequence too, which Curator does not do.
// Losing the session loses the lock: lost() says so, and the caller must stop its work. A
// holder cut off from ZooKeeper counts as having lost it once the server may have expired the
// session (see lostAfterDisconnectMs), not only when a reconnect hears "expired": with the
// ensemble down that answer never comes, while the next waiter may already hold the lock.
class ZkMutex : public QObject
{
    Q_OBJECT
public:
    ZkMutex(ZkClient *client, const QByteArray &path, const QByteArray &data, QObject *parent = nullptr);
    ~ZkMutex() override;

    // Queues for the lock once the client is connected; acquired() when it holds.
    void acquire();
    // Deletes the own node (holding or still queued); released() once it is gone.
    void release();
    bool isHeld() const { return m_held; }
    QByteArray nodePath() const { return m_node; }

    // How long after a lost connection a held lock counts as lost: the C client declares the
    // connection lost after hearing nothing for 2/3 of the session timeout, so the server may
    // expire the session (and hand the lock on) a third of it later.
    static int lostAfterDisconnectMs(int sessionTimeoutMs) { return sessionTimeoutMs / 3; }

Q_SIGNALS:
    void acquired();
    void queued(const QByteArray &holderNode);  // behind another contender; may repeat as the queue moves
    void released();
    void lost(const QString &why);          // session expired while holding or queued
    void failed(const QString &why);        // could not queue (ACL, bad path)

private:
    void createNode();
    void createParents(const QByteArray &path, std::function<void()> then);
    void findOwnNode();
    void check();
    void fail(const QString &why);
    void loseLock(const QString &why);

    ZkClient *m_client;
    QByteArray m_path;
    QByteArray m_data;
    QByteArray m_prefix;                    // _c_<uuid>-lock-: finds the node again after a lost reply
    QByteArray m_node;                      // full path of the own node, once created
    bool m_wanted = false;
    bool m_held = false;
    bool m_creating = false;
    QTimer m_disconnected;
};

} // namespace fulcrum
