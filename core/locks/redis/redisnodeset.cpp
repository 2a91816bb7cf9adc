#include "redisnodeset.h"

#include <QThread>

#include <algorithm>

namespace fulcrum {

bool splitRedisNodeAddress(const QString &address, QString *host, quint16 *port)
{
    const qsizetype colon = address.lastIndexOf(u':');
    if (colon <= 0)
        return false;
    bool ok = false;
    const int number = address.mid(colon + 1).toInt(&ok);
    if (!ok || number < 1 || number > 65535)
        return false;
    QString h = address.left(colon);
    if (h.startsWith(u'[') && h.endsWith(u']'))
        h = h.mid(1, h.size() - 2);
    *host = h;
    *port = quint16(number);
    return !h.isEmpty();
}

RedisNodeSet::RedisNodeSet(RedisConnectionOptions base, RedisLockInspectorOptions inspector, QObject *parent)
    : QObject(parent)
    , m_base(std::move(base))
    , m_inspectorOptions(std::move(inspector))
{
}

RedisNodeSet::~RedisNodeSet()
{
    // The inspectors first: each takes its pass side down on its pass thread, which must still run.
    for (const auto &node : m_nodes) {
        delete node->inspector;
        delete node->connection;
    }
    for (QThread *thread : m_passThreads) {
        thread->quit();
        thread->wait();
        delete thread;
    }
}

// The pass thread with the fewest nodes; a new one while there are fewer than kMaxPassThreads
// and each has a node already.
int RedisNodeSet::pickPassThread()
{
    const auto fewest = std::min_element(m_passThreadNodes.begin(), m_passThreadNodes.end());
    if (fewest != m_passThreadNodes.end() && (*fewest == 0 || int(m_passThreads.size()) >= kMaxPassThreads))
        return int(fewest - m_passThreadNodes.begin());
    auto *thread = new QThread;
    thread->setObjectName(QStringLiteral("redis-pass"));
    thread->start();
    m_passThreads.push_back(thread);
    m_passThreadNodes.push_back(0);
    return int(m_passThreads.size()) - 1;
}

RedisConnectionOptions RedisNodeSet::optionsFor(const QString &address) const
{
    RedisConnectionOptions options = m_base;
    options.unixSocket.clear();
    splitRedisNodeAddress(address, &options.host, &options.port);
    return options;
}

void RedisNodeSet::setNodes(const QStringList &addresses)
{
    for (auto it = m_nodes.begin(); it != m_nodes.end();) {
        if (addresses.contains((*it)->address)) {
            ++it;
            continue;
        }
        Node *gone = it->get();
        delete gone->inspector;
        delete gone->connection;
        --m_passThreadNodes[size_t(gone->passThread)];
        it = m_nodes.erase(it);
    }
    for (const QString &address : addresses) {
        if (node(address))
            continue;
        auto node = std::make_unique<Node>();
        Node *n = node.get();
        n->address = address;
        n->connection = new RedisConnection(optionsFor(address), this);
        n->inspector = new RedisLockInspector(n->connection, m_inspectorOptions, this);
        n->passThread = pickPassThread();
        ++m_passThreadNodes[size_t(n->passThread)];
        n->inspector->runPassesOn(m_passThreads[size_t(n->passThread)], optionsFor(address));
        connect(n->connection, &RedisConnection::connected, this, [this, address] { Q_EMIT nodeConnected(address); });
        connect(n->connection, &RedisConnection::errorOccurred, this, [this, address](const QString &message) { Q_EMIT nodeError(address, message); });
        connect(n->inspector, &RedisLockInspector::progress, this, [this, n](qint64 scanned, int found) {
            n->scanned = scanned;
            n->found = found;
            qint64 total = 0;
            int locks = 0;
            for (const auto &one : m_nodes) {
                total += one->scanned;
                locks += one->found;
            }
            Q_EMIT progress(total, locks);
        });
        connect(n->inspector, &RedisLockInspector::scanFinished, this, [this, n] { nodeDone(n, QString()); });
        connect(n->inspector, &RedisLockInspector::scanInterrupted, this, [this, n](const QString &why) {
            n->inspector->cancel(); // this pass goes on without the node; the next one tries it again
            nodeDone(n, why);
        });
        connect(n->inspector, &RedisLockInspector::scanFailed, this, [this, n](const QString &why) { nodeDone(n, why); });
        m_nodes.push_back(std::move(node));
        n->connection->open();
    }
    if (m_running)
        maybeFinish(); // a node dropped from the set no longer holds the pass up
}

QStringList RedisNodeSet::addresses() const
{
    QStringList out;
    for (const auto &node : m_nodes)
        out << node->address;
    return out;
}

RedisNodeSet::Node *RedisNodeSet::node(const QString &address) const
{
    for (const auto &node : m_nodes) {
        if (node->address == address)
            return node.get();
    }
    return nullptr;
}

int RedisNodeSet::connectedCount() const
{
    int count = 0;
    for (const auto &node : m_nodes)
        count += node->connection->isConnected() ? 1 : 0;
    return count;
}

void RedisNodeSet::scan()
{
    if (m_running)
        return;
    m_running = true;
    for (const auto &node : m_nodes) {
        node->read = false;
        node->scanned = 0;
        node->found = 0;
        node->failure.clear();
        if (!node->connection->isConnected()) {
            node->inPass = false;
            node->failure = node->connection->lastError().isEmpty()
                ? QStringLiteral("%1 is %2").arg(node->connection->endpoint(), RedisConnection::stateName(node->connection->state()))
                : node->connection->lastError();
            continue;
        }
        node->inPass = true;
    }
    // Started after the flags are set: a node may finish at once.
    for (const auto &node : m_nodes) {
        if (node->inPass)
            node->inspector->scan();
    }
    maybeFinish();
}

void RedisNodeSet::cancel()
{
    for (const auto &node : m_nodes) {
        node->inspector->cancel();
        node->inPass = false;
    }
    m_running = false;
}

void RedisNodeSet::nodeDone(Node *node, const QString &failure)
{
    if (!m_running || !node->inPass)
        return;
    node->inPass = false;
    node->read = failure.isEmpty();
    node->failure = failure;
    maybeFinish();
}

void RedisNodeSet::maybeFinish()
{
    if (!m_running)
        return;
    for (const auto &node : m_nodes) {
        if (node->inPass)
            return;
    }
    m_running = false;
    Q_EMIT passFinished();
}

} // namespace fulcrum
