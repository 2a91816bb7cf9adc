#pragma once

#include "locks/zookeeper/zkclient.h"

#include <QByteArray>
#include <QObject>
#include <QString>

namespace fulcrum {

// Fulcrum's own ZooKeeper lock, speaking Curator's InterProcessMutex recipe: an
// EPHEMERAL_SEQUENTIAL node <path>/_c_<uuid>-lock-<seq> (parents created as containers, data =
// this host's address, as Curator writes by default); the lowest sequence holds; a waiter
// watches only its predecessor. A Java service locking the same path with Curator, or a Kazoo
// Lock with extra_lock_patterns=["-lock-"], excludes and is excluded. Kazoo's own "__lock__"
// nodes are ordered by their sequence too, which Curator does not do.
// Losing the session loses the lock: lost() says so, and the caller must stop its work.
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

Q_SIGNALS:
    void acquired();
    void released();
    void lost(const QString &why);          // session expired while holding or queued
    void failed(const QString &why);        // could not queue (ACL, bad path)

private:
    void createNode();
    void createParents(const QByteArray &path, std::function<void()> then);
    void findOwnNode();
    void check();
    void fail(const QString &why);

    ZkClient *m_client;
    QByteArray m_path;
    QByteArray m_data;
    QByteArray m_prefix;                    // _c_<uuid>-lock-: finds the node again after a lost reply
    QByteArray m_node;                      // full path of the own node, once created
    bool m_wanted = false;
    bool m_held = false;
    bool m_creating = false;
};

} // namespace fulcrum
