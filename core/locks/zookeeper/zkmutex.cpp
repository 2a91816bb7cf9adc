#include "zkmutex.h"

#include "locks/zookeeper/zkrecipes.h"

#include <QNetworkInterface>
#include <QUuid>

#include <algorithm>
#include <utility>

namespace fulcrum {

namespace {

// What Curator writes into its lock nodes by default: this host's first non-loopback IPv4
// address (CuratorFrameworkFactory's localAddress), so both show the same kind of holder.
QByteArray localAddress()
{
    for (const QHostAddress &a : QNetworkInterface::allAddresses()) {
        if (a.protocol() == QAbstractSocket::IPv4Protocol && !a.isLoopback())
            return a.toString().toUtf8();
    }
    return QByteArrayLiteral("127.0.0.1");
}

} // namespace

ZkMutex::ZkMutex(ZkClient *client, const QByteArray &path, const QByteArray &data, QObject *parent)
    : QObject(parent)
    , m_client(client)
    , m_path(path.endsWith('/') && path.size() > 1 ? path.chopped(1) : path)
    , m_data(data.isNull() ? localAddress() : data)
    , m_prefix("_c_" + QUuid::createUuid().toByteArray(QUuid::WithoutBraces) + "-lock-")
{
    m_disconnected.setSingleShot(true);
    connect(&m_disconnected, &QTimer::timeout, this, [this] {
        if (m_held)
            loseLock(QStringLiteral("lost the ZooKeeper lock %1: no contact with ZooKeeper at %2 for a third of the session "
                                    "timeout (%3 ms), so the server may have expired the session; %4")
                         .arg(QString::fromUtf8(m_path), m_client->connectString())
                         .arg(m_client->negotiatedTimeoutMs())
                         .arg(m_client->stateReason()));
    });
    connect(m_client, &ZkClient::connectionLost, this, [this] {
        if (m_held && !m_disconnected.isActive())
            m_disconnected.start(lostAfterDisconnectMs(m_client->negotiatedTimeoutMs()));
    });
    connect(m_client, &ZkClient::connected, this, [this] {
        m_disconnected.stop();
        if (!m_wanted || m_creating)
            return;
        if (m_node.isEmpty())
            findOwnNode();
        else
            check();
    });
    connect(m_client, &ZkClient::sessionExpired, this, [this](const QString &why) {
        m_disconnected.stop();
        if (!m_wanted)
            return;
        const bool hadNode = !m_node.isEmpty();
        m_node.clear();
        if (hadNode)
            loseLock(QStringLiteral("lost the ZooKeeper lock %1: %2").arg(QString::fromUtf8(m_path), why));
        else
            fail(why);
    });
}

void ZkMutex::loseLock(const QString &why)
{
    m_wanted = false;
    m_held = false;
    m_creating = false;
    // Should the session live on after all, the node goes now and lets the next waiter in.
    if (!m_node.isEmpty())
        m_client->remove(std::exchange(m_node, {}), -1, m_client, [](int) {});
    Q_EMIT lost(why);
}

ZkMutex::~ZkMutex()
{
    // An ephemeral node goes with the session anyway; deleting it now lets the next waiter in.
    if (!m_node.isEmpty() && m_client->isConnected())
        m_client->remove(m_node, -1, m_client, [](int) {});
}

void ZkMutex::acquire()
{
    if (m_wanted)
        return;
    m_wanted = true;
    if (m_client->isConnected())
        createNode();
}

void ZkMutex::fail(const QString &why)
{
    m_wanted = false;
    m_creating = false;
    Q_EMIT failed(why);
}

void ZkMutex::createNode()
{
    m_creating = true;
    m_client->create(zkrecipes::childPath(m_path, m_prefix), m_data, ZkClient::Ephemeral | ZkClient::Sequential, this,
                     [this](int rc, const QByteArray &created) {
        if (!m_wanted)
            return;
        if (rc == zkrc::Ok) {
            m_creating = false;
            m_node = created;
            check();
        } else if (rc == zkrc::NoNode) {
            createParents(m_path, [this] { createNode(); });
        } else if (zkrc::isConnectionProblem(rc)) {
            // The node may exist without us knowing its name: the uuid prefix finds it once
            // connected again (Curator's protected mode).
            m_creating = false;
        } else {
            fail(QStringLiteral("cannot queue for lock %1: %2 (check the path and that its ACL lets this user create nodes)")
                     .arg(QString::fromUtf8(m_path), zkrc::text(rc)));
        }
    });
}

void ZkMutex::createParents(const QByteArray &path, std::function<void()> then)
{
    // A session's requests are applied in order, so the parents can be sent all at once.
    const QList<QByteArray> parts = path.split('/');
    QByteArray prefix;
    QList<QByteArray> parents;
    for (const QByteArray &part : parts) {
        if (part.isEmpty())
            continue;
        prefix += '/' + part;
        parents.append(prefix);
    }
    auto failure = std::make_shared<int>(zkrc::Ok);
    for (qsizetype i = 0; i < parents.size(); ++i) {
        const bool last = i == parents.size() - 1;
        m_client->create(parents[i], {}, ZkClient::Container, this, [this, failure, last, then](int rc, const QByteArray &) {
            if (rc != zkrc::Ok && rc != zkrc::NodeExists && *failure == zkrc::Ok)
                *failure = rc;
            if (!last || !m_wanted)
                return;
            if (*failure == zkrc::Ok || zkrc::isConnectionProblem(*failure))
                then();
            else
                fail(QStringLiteral("cannot create the lock's folder %1: %2").arg(QString::fromUtf8(m_path), zkrc::text(*failure)));
        });
    }
}

void ZkMutex::findOwnNode()
{
    m_creating = true;
    m_client->getChildren(m_path, this, [this](int rc, const QList<QByteArray> &names, const ZkStat &) {
        if (!m_wanted || zkrc::isConnectionProblem(rc)) {
            m_creating = false;
            return;
        }
        for (const QByteArray &name : names) {
            if (name.startsWith(m_prefix)) {
                m_creating = false;
                m_node = zkrecipes::childPath(m_path, name);
                check();
                return;
            }
        }
        createNode();
    });
}

void ZkMutex::check()
{
    m_client->getChildren(m_path, this, [this](int rc, const QList<QByteArray> &names, const ZkStat &) {
        if (!m_wanted || m_node.isEmpty() || zkrc::isConnectionProblem(rc))
            return;
        struct Entry
        {
            QByteArray name;
            qint64 sequence;
        };
        QList<Entry> queue;
        for (const QByteArray &name : names) {
            const auto c = zkrecipes::parseContender(name);
            if (c && (c->family == zkrecipes::Family::CuratorMutex || c->family == zkrecipes::Family::KazooLock))
                queue.append(Entry{name, c->sequence});
        }
        std::stable_sort(queue.begin(), queue.end(), [](const Entry &a, const Entry &b) { return a.sequence < b.sequence; });
        const QByteArray own = m_node.mid(m_node.lastIndexOf('/') + 1);
        const auto it = std::find_if(queue.begin(), queue.end(), [&own](const Entry &e) { return e.name == own; });
        if (it == queue.end()) {
            const bool wasHeld = m_held;
            m_held = false;
            m_node.clear();
            m_wanted = false;
            const QString why = QStringLiteral("the lock node for %1 was deleted by someone else").arg(QString::fromUtf8(m_path));
            if (wasHeld)
                Q_EMIT lost(why);
            else
                Q_EMIT failed(why);
            return;
        }
        if (it == queue.begin()) {
            if (!m_held) {
                m_held = true;
                Q_EMIT acquired();
            }
            return;
        }
        Q_EMIT queued(queue.first().name);
        // Watch only the predecessor, not the folder: one waiter wakes per release.
        const QByteArray predecessor = zkrecipes::childPath(m_path, (it - 1)->name);
        m_client->exists(predecessor, this, [this](int rc, const ZkStat &) {
            if (rc == zkrc::NoNode)
                check();
        }, [this](ZkWatchEvent) { check(); });
    });
}

void ZkMutex::release()
{
    m_wanted = false;
    m_creating = false;
    if (m_node.isEmpty()) {
        m_held = false;
        QMetaObject::invokeMethod(this, &ZkMutex::released, Qt::QueuedConnection);
        return;
    }
    const QByteArray node = m_node;
    m_client->remove(node, -1, this, [this](int rc) {
        if (rc == zkrc::Ok || rc == zkrc::NoNode) {
            m_held = false;
            m_node.clear();
            Q_EMIT released();
        } else {
            Q_EMIT failed(QStringLiteral("cannot delete lock node %1: %2").arg(QString::fromUtf8(m_node), zkrc::text(rc)));
        }
    });
}

} // namespace fulcrum
