#include "zookeeperlockbackend.h"

#include "common/bytestext.h"
#include "common/wallclock.h"
#include "locks/zookeeper/zkfourletterwords.h"

#include <QElapsedTimer>
#include <QMap>
#include <QPointer>
#include <QTimer>

#include <deque>

namespace fulcrum {

using namespace zkrecipes;

namespace {

// Folders read at once: enough to keep ZkClient's pipeline full, few enough that a pass holds
// only a bounded number of folders' children in memory.
constexpr int kFoldersInFlight = 64;

// After a pass lost its connection: how soon to look whether the client is connected again
// without having said so (it recovered within the session before the failed request came back).
constexpr int kResumeCheckMs = 500;

ZkClient::Options clientOptions(const ZooKeeperEndpointConfig &config, const QByteArray &password)
{
    ZkClient::Options o;
    o.hosts = config.hosts;
    o.chroot = config.chroot;
    o.sessionTimeoutMs = config.sessionTimeoutMs;
    o.user = config.user;
    o.password = password;
    return o;
}

QString who(const ZooKeeperEndpointConfig &config)
{
    return config.user.isEmpty() ? QStringLiteral("anonymous clients") : QStringLiteral("user \"%1\"").arg(config.user);
}


} // namespace

void readZkChildren(ZkClient *client, QObject *context, const QByteArray &path, const QList<QByteArray> &names,
                    std::function<void(int rc, const ZkFolder &folder)> done, int maxData, const QSet<QByteArray> &namesOnly,
                    const ZkWatchFor &watchFor)
{
    if (names.isEmpty()) {
        // Answered from the event loop, as every read is.
        QMetaObject::invokeMethod(context, [done] { done(zkrc::Ok, {}); }, Qt::QueuedConnection);
        return;
    }
    struct State
    {
        QList<ZkNode> nodes;
        QList<bool> present;
        QHash<QByteArray, QList<QByteArray>> subfolderNames;
        int pending = 0;
        int failure = zkrc::Ok;
    };
    auto state = std::make_shared<State>();
    state->nodes.resize(names.size());
    state->present.fill(false, names.size());
    state->pending = int(names.size());
    for (qsizetype i = 0; i < names.size(); ++i) {
        if (namesOnly.contains(names[i])) {
            state->present[i] = true;
            --state->pending;
        }
    }
    if (state->pending == 0) {
        ZkFolder folder;
        for (const QByteArray &name : names)
            folder.children.append(ZkNode{name, {}, {}});
        QMetaObject::invokeMethod(context, [done, folder] { done(zkrc::Ok, folder); }, Qt::QueuedConnection);
        return;
    }
    auto arrived = [state, done](qsizetype i, int rc) {
        if (rc == zkrc::Ok)
            state->present[i] = true;
        else if (rc != zkrc::NoNode && state->failure == zkrc::Ok)
            state->failure = rc;
        if (--state->pending > 0)
            return;
        if (state->failure != zkrc::Ok) {
            done(state->failure, {});
            return;
        }
        ZkFolder folder;
        folder.children.reserve(state->nodes.size());
        for (qsizetype j = 0; j < state->nodes.size(); ++j) {
            if (state->present[j])
                folder.children.append(std::move(state->nodes[j]));
        }
        folder.subfolderNames = std::move(state->subfolderNames);
        done(zkrc::Ok, folder);
    };
    const QSet<QByteArray> siblings(names.begin(), names.end());
    for (qsizetype i = 0; i < names.size(); ++i) {
        const QByteArray &name = names[i];
        state->nodes[i].name = name;
        if (namesOnly.contains(name))
            continue;
        if (isDataShown(name, siblings)) {
            const QByteArray node = childPath(path, name);
            client->get(node, context, [state, i, arrived, maxData](int rc, const QByteArray &data, const ZkStat &stat) {
                state->nodes[i].data = data.left(maxData);
                state->nodes[i].stat = stat;
                arrived(i, rc);
            }, watchFor ? watchFor(node, true) : ZkClient::WatchCallback());
        } else {
            const QByteArray child = childPath(path, name);
            client->getChildren(child, context, [state, i, arrived](int rc, const QList<QByteArray> &below, const ZkStat &stat) {
                state->nodes[i].stat = stat;
                if (!below.isEmpty())
                    state->subfolderNames.insert(state->nodes[i].name, below);
                arrived(i, rc);
            }, watchFor ? watchFor(child, false) : ZkClient::WatchCallback());
        }
    }
}

void readZkFolder(ZkClient *client, QObject *context, const QByteArray &path,
                  std::function<void(int rc, const ZkFolder &folder)> done, int maxData, const ZkWatchFor &watchFor)
{
    client->getChildren(path, context, [client, context, path, done, maxData, watchFor](int rc, const QList<QByteArray> &names, const ZkStat &) {
        if (rc != zkrc::Ok || names.isEmpty())
            done(rc, {});
        else
            readZkChildren(client, context, path, names, done, maxData, {}, watchFor);
    }, watchFor ? watchFor(path, false) : ZkClient::WatchCallback());
}

struct ZooKeeperLockBackend::Pass
{
    quint64 generation = 0;
    QDateTime startedAt;
    QElapsedTimer clock;
    QElapsedTimer sinceProgress;
    struct Folder
    {
        QByteArray path;
        int depth = 0;
        std::optional<QList<QByteArray>> names;         // known when its parent's read listed them
    };
    std::deque<Folder> folders;                         // to read
    QSet<QByteArray> roots;
    int reading = 0;                                    // folder reads (and semaphore parts) under way
    qint64 waiterBudget = 0;                            // waiters this pass may still read whole
    QHash<QByteArray, LockWaiter> waiterCache;          // becomes m_waiterCache when the pass ends
    int consPending = 0;
    QHash<QString, QString> addressBySession;
    QMap<QByteArray, LockInfo> rows;
    QList<LockScanNote> notes;
    qint64 nodes = 0;
    bool truncated = false;
    bool depthNoted = false;
    // Live: a partial pass reads only the folders whose watches fired (and folders new below
    // them); it adds to the table instead of replacing it.
    bool partial = false;
    QSet<QByteArray> partialRoots;
    QHash<QByteArray, QSet<QByteArray>> childrenOf;     // a partial root's children as read now
    QSet<QByteArray> walked;                            // every folder read
};

ZooKeeperLockBackend::ZooKeeperLockBackend(const ZooKeeperEndpointConfig &config, const QByteArray &password, QObject *parent)
    : LockBackend(parent)
    , m_config(config)
    , m_client(new ZkClient(clientOptions(config, password), this))
    , m_observations(LockObservationRules{config.longHeldMs})
    , m_table(&m_observations)
    , m_feed(config.watch, QStringLiteral("reading every lock once, with a watch on every folder read; then the watches follow the changes"))
{
    for (const QString &root : m_config.paths) {
        QByteArray path = root.toUtf8();
        if (path.size() > 1 && path.endsWith('/'))
            path.chop(1);
        if (!path.startsWith('/'))
            path.prepend('/');
        m_roots.append(path);
    }
    connect(m_client, &ZkClient::connected, this, [this] {
        setState(LockBackendState::Connected);
        const QString session = m_client->sessionIdText();
        const bool newSession = session != std::exchange(m_session, session);
        Q_EMIT connected();
        if (m_resumeWanted) {
            m_resumeWanted = false;
            startPass();
        }
        if (!m_config.watch || !m_tableActive)
            return;
        if (newSession) {
            // The old session's watches went with it: nothing tells what changed meanwhile.
            m_armed.clear();
            setFeed(LockFeedState{LockFeedState::Resyncing,
                                  QStringLiteral("a new session %1 (the old one expired, and its watches with it): every lock is read again").arg(session)});
            if (!m_pass || m_pass->partial)
                startPass();
            return;
        }
        LockFeedState live{LockFeedState::Live, QStringLiteral("the session survived the lost connection: ZooKeeper set its watches again and fired "
                                                               "those whose nodes changed meanwhile")};
        live.liveSince = m_liveSince;
        setFeed(live);
        scheduleLiveRead();
    });
    auto lost = [this](const QString &why, bool expired) {
        setState(LockBackendState::WaitingToReconnect);
        if (m_pass)
            interruptPass(why);
        Q_EMIT errorOccurred(why);
        if (!m_config.watch || !m_tableActive)
            return;
        if (expired) {
            m_armed.clear();
            setFeed(LockFeedState{LockFeedState::Resyncing,
                                  QStringLiteral("%1: the session's watches are gone; every lock is read again on the new session").arg(why)});
        } else if (m_feed.current().mode == LockFeedState::Live) {
            setFeed(LockFeedState{LockFeedState::Resyncing,
                                  QStringLiteral("%1; back within the session timeout (%2 s), ZooKeeper fires the watches whose nodes changed; "
                                                 "after it, every lock is read again")
                                      .arg(why)
                                      .arg(m_client->negotiatedTimeoutMs() / 1000.0)});
        }
    };
    connect(m_client, &ZkClient::connectionLost, this, [lost](const QString &why) { lost(why, false); });
    connect(m_client, &ZkClient::sessionExpired, this, [lost](const QString &why) { lost(why, true); });
    connect(m_client, &ZkClient::authFailed, this, [this](const QString &why) {
        setState(LockBackendState::Disconnected);
        if (m_pass)
            interruptPass(why);
        Q_EMIT errorOccurred(why);
    });
}

ZooKeeperLockBackend::~ZooKeeperLockBackend()
{
    m_releases.failAll(url());
}

LockBackendCapabilities ZooKeeperLockBackend::zooKeeperCapabilities(bool clientAddress)
{
    LockBackendCapabilities c;
    c.backend = backendName;
    c.displayName = QStringLiteral("ZooKeeper");
    c.ttl = false;
    c.waiters = true;
    c.sessions = true;
    c.clientAddress = clientAddress;
    c.askHolder = true;
    c.kinds = {QStringLiteral("curator-mutex"), QStringLiteral("curator-rwlock"), QStringLiteral("curator-semaphore"),
               QStringLiteral("kazoo-lock"), QStringLiteral("kazoo-rwlock"), QStringLiteral("kazoo-semaphore")};
    c.releaseEffect = QStringLiteral(
        "Deletes exactly the holder's znode, at the version Fulcrum read (nothing is deleted if it is gone or changed). "
        "The next waiter takes the lock at once. The old holder is NOT told: it keeps running as if it held the lock "
        "until its own session or code notices. Asking the holder (Curator's Revoker: __REVOKE__ written to its node) "
        "is gentler, and works only for Curator holders that made their lock revocable.");
    return c;
}

LockBackendCapabilities ZooKeeperLockBackend::capabilities() const
{
    return zooKeeperCapabilities(m_config.fourLetterWords && !m_consRefused);
}

void ZooKeeperLockBackend::setState(LockBackendState state)
{
    m_state = state;
}

void ZooKeeperLockBackend::open()
{
    if (m_state != LockBackendState::NotStarted)
        return;
    setState(LockBackendState::Connecting);
    m_client->open();
}

bool ZooKeeperLockBackend::isScanning() const
{
    return m_pass && !m_pass->partial;
}

const LockScanResult &ZooKeeperLockBackend::lastResult() const
{
    return m_tableActive ? m_table.result(m_lastResult) : m_lastResult;
}

LockFeedState ZooKeeperLockBackend::feedState() const
{
    return m_feed.state();
}

void ZooKeeperLockBackend::setFeed(LockFeedState feed)
{
    if (m_feed.set(std::move(feed)))
        Q_EMIT feedChanged(feedState());
}

void ZooKeeperLockBackend::scan()
{
    if (!m_client->isConnected() || (m_pass && !m_pass->partial))
        return;
    if (m_pass) {
        // A reconciling pass goes first; the folders the partial pass was reading wait for it.
        m_dirty.unite(m_pass->partialRoots);
        m_pass.reset();
        ++m_generation;
    }
    m_restarts = 0;
    startPass();
}

// The watch callbacks: one armed watch per path and kind at a time (a folder read again while
// its watch is still armed gets no second one). The key leaves m_armed when the callback is
// destroyed: after it fired, or when ZooKeeper did not set it, or with its session.
ZkClient::WatchCallback ZooKeeperLockBackend::arm(const QByteArray &key, const QByteArray &owner)
{
    if (!m_config.watch || m_armed.contains(key))
        return {};
    m_armed.insert(key);
    QPointer<ZooKeeperLockBackend> self(this);
    std::shared_ptr<void> armed(nullptr, [self, key](void *) {
        if (self)
            self->m_armed.remove(key);
    });
    return [self, path = key.mid(1), owner, armed](ZkWatchEvent) {
        if (self)
            self->folderChanged(self->m_partOwner.value(path, owner));
    };
}

ZkClient::WatchCallback ZooKeeperLockBackend::watchFolder(const QByteArray &path, const QByteArray &owner)
{
    return arm(QByteArrayLiteral("c") + path, owner);
}

ZkClient::WatchCallback ZooKeeperLockBackend::watchNode(const QByteArray &path, const QByteArray &owner)
{
    return arm(QByteArrayLiteral("e") + path, owner);
}

void ZooKeeperLockBackend::folderChanged(const QByteArray &owner)
{
    m_feed.countEvent();
    m_dirty.insert(owner);
    scheduleLiveRead();
}

void ZooKeeperLockBackend::scheduleLiveRead()
{
    if (m_liveReadScheduled || m_pass || m_dirty.isEmpty() || !m_tableActive)
        return;
    m_liveReadScheduled = true;
    // Every watch that fires within a tick joins one partial pass (the freshness target is 50 ms).
    QTimer::singleShot(10, Qt::PreciseTimer, this, [this] {
        m_liveReadScheduled = false;
        if (m_pass || m_dirty.isEmpty() || !m_client->isConnected())
            return;
        // A storm (a deploy, a mass session expiry): one pass reads it all for less.
        if (m_dirty.size() > std::max<qsizetype>(100, qsizetype(m_folders.size() / 2))) {
            m_dirty.clear();
            startPass();
            return;
        }
        startPass(std::exchange(m_dirty, {}));
    });
}

// Levels below the lock root `path` lies under (0: a root), as a pass counts them.
int ZooKeeperLockBackend::depthOf(const QByteArray &path) const
{
    for (const QByteArray &root : m_roots) {
        if (path == root)
            return 0;
        if (root == "/" || (path.startsWith(root) && path.at(root.size()) == '/'))
            return int(path.mid(root == "/" ? 0 : root.size()).count('/'));
    }
    return 0;
}

void ZooKeeperLockBackend::cancelScan()
{
    m_pass.reset();
    ++m_generation;
    m_resumeWanted = false;
}

void ZooKeeperLockBackend::interruptPass(const QString &why)
{
    if (m_pass && m_pass->partial) {
        // Read again once connected (the same session) or by the new session's pass.
        m_dirty.unite(m_pass->partialRoots);
        m_pass.reset();
        ++m_generation;
        return;
    }
    m_pass.reset();
    ++m_generation;
    ++m_restarts;
    m_resumeWanted = true;
    Q_EMIT scanInterrupted(why);
    // A request can fail with a connection loss that the client has already recovered from (or
    // that never changed its state): no `connected` will come to resume the pass, so look again
    // shortly, and resume if the client is connected by then.
    const quint64 generation = m_generation;
    QTimer::singleShot(kResumeCheckMs, this, [this, generation] {
        if (m_resumeWanted && !m_pass && m_generation == generation && m_client->isConnected()) {
            m_resumeWanted = false;
            startPass();
        }
    });
}

void ZooKeeperLockBackend::startPass(const QSet<QByteArray> &partialRoots)
{
    m_pass = std::make_unique<Pass>();
    Pass &p = *m_pass;
    p.generation = ++m_generation;
    p.startedAt = wallclock::nowUtc();
    p.clock.start();
    p.sinceProgress.start();
    p.waiterBudget = m_config.waiterDetails;
    for (const QByteArray &root : std::as_const(m_roots)) {
        p.roots.insert(root);
        if (partialRoots.isEmpty())
            p.folders.push_back(Pass::Folder{root, 0, std::nullopt});
    }
    if (!partialRoots.isEmpty()) {
        p.partial = true;
        p.partialRoots = partialRoots;
        for (const QByteArray &folder : partialRoots)
            p.folders.push_back(Pass::Folder{folder, depthOf(folder), std::nullopt});
    }
    if (m_config.fourLetterWords && !p.partial) {
        const quint64 generation = p.generation;
        const QStringList servers = m_config.hosts.split(u',', Qt::SkipEmptyParts);
        p.consPending = int(servers.size());
        for (const QString &server : servers) {
            queryZkConnections(server.trimmed(), this, [this, generation](const ZkConnections &answer) {
                if (!m_pass || m_pass->generation != generation)
                    return;
                --m_pass->consPending;
                if (answer.ok) {
                    m_pass->addressBySession.insert(answer.addressBySession);
                } else {
                    m_consRefused = m_consRefused || answer.notWhitelisted;
                    addNote({}, answer.error);
                }
                maybeFinish();
            });
        }
    }
    readNextFolders();
    maybeFinish();
}

void ZooKeeperLockBackend::addRow(std::optional<LockInfo> row)
{
    if (row)
        m_pass->rows.insert(row->key, std::move(*row));
}

void ZooKeeperLockBackend::addNote(const QByteArray &key, const QString &text)
{
    m_pass->notes.append(LockScanNote{key, text});
}

// Connection problems restart the pass (returns true: stop here). Other refusals become notes,
// or fail the pass when a lock root itself is refused.
bool ZooKeeperLockBackend::failed(int rc, const QByteArray &path, bool isRoot)
{
    if (rc == zkrc::Ok)
        return false;
    if (zkrc::isConnectionProblem(rc)) {
        interruptPass(QStringLiteral("lost ZooKeeper while reading %1: %2").arg(QString::fromUtf8(path), zkrc::text(rc)));
        return true;
    }
    if (rc == zkrc::NoNode) {
        if (isRoot)
            addNote(path, QStringLiteral("lock root %1 does not exist on %2; check the endpoint's paths").arg(QString::fromUtf8(path), url()));
        return false;
    }
    if (rc == zkrc::NoAuth && isRoot) {
        const QString why = QStringLiteral("ZooKeeper %1 does not let %2 read lock root %3 (ACL without READ); give it READ "
                                           "or set the endpoint's user and password")
                                .arg(url(), who(m_config), QString::fromUtf8(path));
        m_pass.reset();
        ++m_generation;
        Q_EMIT scanFailed(why);
        return true;
    }
    addNote(path, QStringLiteral("cannot read %1: %2").arg(QString::fromUtf8(path), zkrc::text(rc)));
    return false;
}

void ZooKeeperLockBackend::readNextFolders()
{
    while (m_pass && m_pass->reading < kFoldersInFlight && !m_pass->folders.empty()) {
        Pass::Folder folder = std::move(m_pass->folders.front());
        m_pass->folders.pop_front();
        readLockFolder(folder.path, folder.depth, folder.names);
    }
}

void ZooKeeperLockBackend::readLockFolder(const QByteArray &path, int depth, const std::optional<QList<QByteArray>> &names)
{
    const quint64 generation = m_pass->generation;
    ++m_pass->reading;
    auto stillOurs = [this, generation] { return m_pass && m_pass->generation == generation; };
    auto read = [this, path, depth, generation, stillOurs](int rc, const ZkFolder &folder, const QSet<QByteArray> &unread) {
        if (!stillOurs())
            return;
        const QList<ZkNode> &children = folder.children;
        --m_pass->reading;
        if (rc == zkrc::NoNode && m_pass->roots.contains(path)) {
            // A lock root that is not there yet: an exists watch says when it is.
            if (ZkClient::WatchCallback watch = watchNode(path, path))
                m_client->exists(path, this, [](int, const ZkStat &) {}, std::move(watch));
        }
        if (failed(rc, path, m_pass->roots.contains(path)))
            return;
        Pass &p = *m_pass;
        p.walked.insert(path);
        if (p.partialRoots.contains(path)) {
            QSet<QByteArray> &names = p.childrenOf[path];
            for (const ZkNode &c : children)
                names.insert(c.name);
        }
        p.nodes += children.size();
        if (p.nodes > m_config.maxNodes && !p.truncated) {
            p.truncated = true;
            addNote(path, QStringLiteral("stopped after %1 znodes (max_nodes %2): the table is incomplete; raise max_nodes "
                                         "or narrow paths")
                              .arg(p.nodes)
                              .arg(m_config.maxNodes));
        }

        const FolderPlan plan = planFolder(children);
        QSet<QByteArray> taken;
        // Semaphores span folders: their parts are read here and become one row.
        auto readParts = [this, path, generation, stillOurs](QList<QByteArray> parts, std::function<void(const QList<QList<ZkNode>> &)> combine) {
            struct Parts
            {
                QList<QList<ZkNode>> read;
                int pending = 0;
                bool failed = false;
            };
            auto state = std::make_shared<Parts>();
            state->read.resize(parts.size());
            state->pending = int(parts.size());
            m_pass->reading += int(parts.size());
            for (qsizetype i = 0; i < parts.size(); ++i) {
                const QByteArray part = parts[i];
                if (m_config.watch)
                    m_partOwner.insert(part, path);
                readZkFolder(m_client, this, part, [this, state, i, part, combine, stillOurs](int rc, const ZkFolder &folder) {
                    if (!stillOurs() || state->failed)
                        return;
                    const QList<ZkNode> &nodes = folder.children;
                    --m_pass->reading;
                    if (failed(rc, part, false)) {
                        state->failed = true;
                        return;
                    }
                    m_pass->nodes += nodes.size();
                    state->read[i] = nodes;
                    if (--state->pending == 0)
                        combine(state->read);
                    readNextFolders();
                    maybeFinish();
                }, 1024, [this, path](const QByteArray &watched, bool data) { return data ? watchNode(watched, path) : watchFolder(watched, path); });
            }
        };
        if (plan.curatorSemaphore) {
            taken << "leases" << "locks";
            readParts({childPath(path, "leases"), childPath(path, "locks")}, [this, path](const QList<QList<ZkNode>> &parts) {
                addRow(curatorSemaphore(path, parts[0], parts[1]));
            });
        }
        for (const QByteArray &name : plan.kazooSemaphores) {
            taken << name << name + kazooSemaphoreLockSuffix;
            QByteArray maxLeases;
            for (const ZkNode &c : children) {
                if (c.name == name)
                    maxLeases = c.data;
            }
            const QByteArray semaphore = childPath(path, name);
            readParts({semaphore, semaphore + kazooSemaphoreLockSuffix}, [this, semaphore, maxLeases](const QList<QList<ZkNode>> &parts) {
                addRow(kazooSemaphore(semaphore, maxLeases, parts[0], parts[1]));
            });
        }

        QList<ZkNode> rest;
        for (const ZkNode &c : children) {
            if (!taken.contains(c.name))
                rest.append(c);
        }
        FolderLocks found = locksInFolder(path, rest);
        if (found.lock)
            fillWaiters(*found.lock, unread);
        addRow(found.lock);
        if (found.note)
            p.notes.append(*found.note);
        if (!p.truncated) {
            for (const ZkNode &c : rest) {
                if (c.stat.numChildren == 0)
                    continue;
                if (depth + 1 > m_config.maxDepth) {
                    p.truncated = true;
                    if (!p.depthNoted) {
                        p.depthNoted = true;
                        addNote(path, QStringLiteral("%1 is %2 levels below its lock root and has subfolders: not read "
                                                     "(max_depth %2); raise max_depth to see deeper locks")
                                          .arg(QString::fromUtf8(childPath(path, c.name)))
                                          .arg(m_config.maxDepth));
                    }
                    continue;
                }
                // A partial pass goes down only into folders that are new: the others have
                // watches of their own.
                if (p.partial && m_folders.count(childPath(path, c.name)) > 0)
                    continue;
                const auto below = folder.subfolderNames.constFind(c.name);
                p.folders.push_back(Pass::Folder{childPath(path, c.name), depth + 1,
                                                 below == folder.subfolderNames.cend() ? std::nullopt : std::make_optional(*below)});
            }
        }
        if (!p.partial && p.sinceProgress.elapsed() >= 100) {
            p.sinceProgress.restart();
            Q_EMIT progress(p.nodes, int(p.rows.size()));
        }
        readNextFolders();
        maybeFinish();
    };
    auto readChildren = [this, path, read, stillOurs](const QList<QByteArray> &names) {
        if (!stillOurs())
            return;
        const QSet<QByteArray> unread = waitersLeftUnread(path, names);
        readZkChildren(m_client, this, path, names, [read, unread](int rc, const ZkFolder &folder) { read(rc, folder, unread); },
                       1024, unread, [this, path](const QByteArray &child, bool data) {
                           // A contender's data watch fires on its data (Curator's __REVOKE__) and its end.
                           return data ? watchNode(child, path) : watchFolder(child, child);
                       });
    };
    if (names) {
        readChildren(*names);
        return;
    }
    m_client->getChildren(path, this, [read, readChildren](int rc, const QList<QByteArray> &names, const ZkStat &) {
        if (rc != zkrc::Ok || names.isEmpty())
            read(rc, {}, {});
        else
            readChildren(names);
    }, watchFolder(path, path));
}

// Which waiters of the lock folder `path` this pass lists by name only: those the last pass
// read already (filled from the cache), and all of a lock's waiters when the ones not read yet
// are more than what is left of the pass's budget (waiter_details).
QSet<QByteArray> ZooKeeperLockBackend::waitersLeftUnread(const QByteArray &path, const QList<QByteArray> &names)
{
    QSet<QByteArray> unread;
    const QList<QByteArray> waiting = waiterNamesOf(path, names);
    if (waiting.isEmpty())
        return unread;
    QList<QByteArray> unknown;
    for (const QByteArray &w : waiting) {
        if (m_waiterCache.contains(childPath(path, w)))
            unread.insert(w);
        else
            unknown.append(w);
    }
    if (unknown.size() <= m_pass->waiterBudget) {
        m_pass->waiterBudget -= unknown.size();
    } else {
        for (const QByteArray &w : unknown)
            unread.insert(w);
    }
    return unread;
}

// A row's waiters that were listed by name get what the cache knows of them; what is still
// unknown is counted in details.waiters_unread (the console reads those on demand: inspect()).
// Waiters read whole go into the pass's cache.
void ZooKeeperLockBackend::fillWaiters(LockInfo &row, const QSet<QByteArray> &unread)
{
    int unknown = 0;
    for (LockWaiter &w : row.waiters) {
        const QByteArray path = childPath(row.key, w.id);
        if (!unread.contains(w.id)) {
            if (m_pass && !w.session.isEmpty())
                m_pass->waiterCache.insert(path, w);
            continue;
        }
        const auto cached = m_waiterCache.constFind(path);
        if (cached == m_waiterCache.cend()) {
            ++unknown;
            continue;
        }
        w.who = cached->who;
        w.session = cached->session;
        w.queuedAt = cached->queuedAt;
        if (m_pass)
            m_pass->waiterCache.insert(path, *cached);
    }
    if (unknown > 0)
        row.details.insert(QStringLiteral("waiters_unread"), unknown);
}

void ZooKeeperLockBackend::maybeFinish()
{
    if (m_pass && m_pass->reading == 0 && m_pass->folders.empty() && m_pass->consPending == 0)
        finishPass();
}

void ZooKeeperLockBackend::finishPartialPass(std::unique_ptr<Pass> pass)
{
    for (const QByteArray &root : std::as_const(pass->partialRoots)) {
        // What was below a child that is gone, is gone.
        const QSet<QByteArray> names = pass->childrenOf.value(root);
        m_table.removeBelow(root, '/', &names);
        const QByteArray below = root == "/" ? root : root + '/';
        for (auto it = m_folders.lower_bound(below); it != m_folders.end() && it->startsWith(below);) {
            const qsizetype end = it->indexOf('/', below.size());
            if (names.contains(it->mid(below.size(), end < 0 ? -1 : end - below.size())))
                ++it;
            else
                it = m_folders.erase(it);
        }
        if (!pass->rows.contains(root))
            m_table.remove(root);
        m_table.clearNote(root);
        if (!names.isEmpty() || pass->walked.contains(root))
            m_folders.insert(root);
    }
    const QDateTime now = wallclock::nowUtc();
    for (LockInfo &row : pass->rows) {
        row.clientAddress = m_addressBySession.value(row.session);
        row.readAt = now;
        m_table.put(std::move(row));
    }
    for (const LockScanNote &note : std::as_const(pass->notes))
        m_table.setNote(note);
    for (const QByteArray &folder : std::as_const(pass->walked))
        m_folders.insert(folder);
    m_waiterCache.insert(pass->waiterCache);
    const LockChanges changes = m_table.takeChanges();
    if (!changes.isEmpty())
        Q_EMIT rowsChanged(changes);
    scheduleLiveRead();
}

void ZooKeeperLockBackend::finishPass()
{
    std::unique_ptr<Pass> pass = std::move(m_pass);
    if (pass->partial) {
        finishPartialPass(std::move(pass));
        return;
    }
    LockScanResult result;
    m_observations.beginPass(pass->startedAt);
    m_handOvers.beginPass(pass->startedAt);
    result.locks.reserve(pass->rows.size());
    for (LockInfo &row : pass->rows) {
        row.clientAddress = pass->addressBySession.value(row.session);
        m_observations.observe(row);
        m_handOvers.observe(row, m_config.sessionTimeoutMs);
        result.locks.append(std::move(row));
    }
    m_observations.endPass();
    m_handOvers.endPass();
    result.notes = pass->notes;
    result.keysScanned = pass->nodes;
    result.elapsedMs = pass->clock.elapsed();
    result.restarts = m_restarts;
    result.truncated = pass->truncated;
    result.finishedAt = wallclock::nowUtc();
    m_lastResult = result;
    m_waiterCache = std::move(pass->waiterCache);
    if (m_config.watch) {
        // The pass becomes the live table: every folder it read has a watch now.
        m_table.adopt(m_lastResult);
        m_tableActive = true;
        m_folders = std::set<QByteArray>(pass->walked.cbegin(), pass->walked.cend());
        m_addressBySession = pass->addressBySession;
        if (m_feed.current().mode != LockFeedState::Live) {
            m_liveSince = wallclock::nowUtc();
            LockFeedState live{LockFeedState::Live,
                               QStringLiteral("%1 watches on %2 folders and their holders").arg(m_armed.size()).arg(m_folders.size())};
            live.liveSince = m_liveSince;
            setFeed(live);
        }
        scheduleLiveRead();
    }
    Q_EMIT progress(result.keysScanned, int(result.locks.size()));
    Q_EMIT scanFinished(m_lastResult);
}

void ZooKeeperLockBackend::release(const LockReleaseRequest &request, std::function<void(const ForceReleaseResult &)> done)
{
    auto pending = m_releases.add(request, std::move(done));
    const QByteArray key = request.key;
    auto fail = [this, pending](const QString &message) {
        m_releases.finish(pending, ForceReleaseResult{ForceReleaseResult::Failed, {}, message});
    };
    if (!m_client->isConnected()) {
        QMetaObject::invokeMethod(this, [fail, this] {
            fail(QStringLiteral("not connected to %1 (%2); nothing was changed").arg(url(), m_client->stateReason()));
        }, Qt::QueuedConnection);
        return;
    }
    auto readError = [this, key](int rc) {
        return QStringLiteral("cannot read lock %1 on %2: %3; nothing was changed").arg(QString::fromUtf8(key), url(), zkrc::text(rc));
    };
    // Read the lock again, as a pass would, and act only if the operator's holder still holds.
    readLockNow(key, [this, pending, fail, readError](int rc, const std::optional<LockInfo> &current, const QList<ZkNode> &holderFolder,
                                                      const QByteArray &holderFolderPath) {
        if (rc != zkrc::Ok) {
            fail(readError(rc));
            return;
        }
        if (!current)
            m_releases.finish(pending, ForceReleaseResult{ForceReleaseResult::Gone, {},
                                                      QStringLiteral("%1 has no lock any more; nothing was changed")
                                                          .arg(QString::fromUtf8(pending->request.key))});
        else if (pending->request.mode == LockReleaseRequest::AskHolder)
            askHolder(pending, *current, holderFolder, holderFolderPath);
        else
            deleteHolder(pending, *current, holderFolder, holderFolderPath);
    });
}

void ZooKeeperLockBackend::readLockNow(const QByteArray &key,
                                       std::function<void(int, const std::optional<LockInfo> &, const QList<ZkNode> &, const QByteArray &)> done)
{
    readZkFolder(m_client, this, key, [this, key, done](int rc, const ZkFolder &folder) {
        const QList<ZkNode> &children = folder.children;
        if (rc == zkrc::NoNode || (rc == zkrc::Ok && children.isEmpty())) {
            done(zkrc::Ok, std::nullopt, {}, key);
            return;
        }
        if (rc != zkrc::Ok) {
            done(rc, std::nullopt, {}, key);
            return;
        }
        if (planFolder(children).curatorSemaphore) {
            const QByteArray leasesPath = childPath(key, "leases");
            readZkFolder(m_client, this, leasesPath, [this, key, leasesPath, done](int rc, const ZkFolder &leasesFolder) {
                const QList<ZkNode> leases = leasesFolder.children;
                if (rc != zkrc::Ok && rc != zkrc::NoNode) {
                    done(rc, std::nullopt, {}, key);
                    return;
                }
                readZkFolder(m_client, this, childPath(key, "locks"), [key, leases, leasesPath, done](int rc, const ZkFolder &locksFolder) {
                    if (rc != zkrc::Ok && rc != zkrc::NoNode) {
                        done(rc, std::nullopt, {}, key);
                        return;
                    }
                    done(zkrc::Ok, curatorSemaphore(key, leases, locksFolder.children), leases, leasesPath);
                });
            });
            return;
        }
        done(zkrc::Ok, locksInFolder(key, children).lock, children, key);
    });
}

void ZooKeeperLockBackend::inspect(const QByteArray &key, std::function<void(const LockInspection &)> done)
{
    if (!m_client->isConnected()) {
        QMetaObject::invokeMethod(this, [this, done, key] {
            done(LockInspection{std::nullopt, false,
                                QStringLiteral("not connected to %1 (%2); cannot read %3").arg(url(), m_client->stateReason(), QString::fromUtf8(key))});
        }, Qt::QueuedConnection);
        return;
    }
    readLockNow(key, [this, key, done](int rc, const std::optional<LockInfo> &read, const QList<ZkNode> &, const QByteArray &) {
        if (rc != zkrc::Ok) {
            done(LockInspection{std::nullopt, false, QStringLiteral("cannot read lock %1 on %2: %3").arg(QString::fromUtf8(key), url(), zkrc::text(rc))});
            return;
        }
        if (!read) {
            done(LockInspection{std::nullopt, true, QStringLiteral("%1 has no lock on %2 any more").arg(QString::fromUtf8(key), url())});
            return;
        }
        // What passes observed (first seen, held for, flags, client address) stays with the row
        // while its holder is the same; the waiters are the ones just read.
        LockInfo row = *read;
        for (const LockInfo &seen : m_lastResult.locks) {
            if (seen.key != key)
                continue;
            if (seen.holder == row.holder) {
                row.firstSeen = seen.firstSeen;
                row.heldForMs = seen.heldForMs;
                row.holderChanges = seen.holderChanges;
                row.flags = seen.flags;
                row.clientAddress = seen.clientAddress;
            }
            break;
        }
        for (const LockWaiter &w : row.waiters) {
            if (!w.session.isEmpty())
                m_waiterCache.insert(childPath(key, w.id), w);
        }
        done(LockInspection{row, false, {}});
    });
}

// The version the pass read of `name` in its folder (-1, any version, when it was not read):
// what a delete or a revoke is conditional on.
static int nodeVersion(const QList<ZkNode> &folder, const QByteArray &name)
{
    for (const ZkNode &n : folder) {
        if (n.name == name)
            return n.stat.version;
    }
    return -1;
}

void ZooKeeperLockBackend::deleteHolder(const std::shared_ptr<PendingRelease> &pending, const LockInfo &current,
                                        const QList<ZkNode> &holderFolder, const QByteArray &holderFolderPath)
{
    const QByteArray &wanted = pending->request.holder;
    if (!holdsNow(current, wanted)) {
        if (current.holder.isEmpty()) {
            m_releases.finish(pending, ForceReleaseResult{ForceReleaseResult::Gone, {},
                                                      QStringLiteral("nobody holds %1 any more; nothing was deleted").arg(QString::fromUtf8(current.key))});
            return;
        }
        m_releases.finish(pending, ForceReleaseResult{ForceReleaseResult::HolderChanged, current.holder,
                                                  QStringLiteral("%1 is now held by %2, not %3; nothing was deleted")
                                                      .arg(QString::fromUtf8(current.key), escapeBytes(current.holder), escapeBytes(wanted))});
        return;
    }
    const int version = nodeVersion(holderFolder, wanted);
    const QByteArray path = childPath(holderFolderPath, wanted);
    const QString next = current.waiters.isEmpty() ? QString() : escapeBytes(current.waiters.first().id);
    m_client->remove(path, version, this, [this, pending, path, version, next, holderFolderPath](int rc) {
        const QString p = QString::fromUtf8(path);
        if (rc == zkrc::Ok) {
            const QString after = next.isEmpty() ? QStringLiteral("nobody was waiting")
                                                 : QStringLiteral("the next waiter (%1) takes the lock now").arg(next);
            m_releases.finish(pending, ForceReleaseResult{ForceReleaseResult::Released, {},
                                                      QStringLiteral("deleted %1 (version %2); %3; the old holder is not told")
                                                          .arg(p).arg(version).arg(after)});
        } else if (rc == zkrc::NoNode) {
            m_releases.finish(pending, ForceReleaseResult{ForceReleaseResult::Gone, {},
                                                      QStringLiteral("%1 went away before the delete; nothing was deleted").arg(p)});
        } else if (rc == zkrc::BadVersion) {
            m_releases.finish(pending, ForceReleaseResult{ForceReleaseResult::Failed, {},
                                                      QStringLiteral("%1 changed after it was read (version is no longer %2); nothing "
                                                                     "was deleted; look at the lock again and retry")
                                                          .arg(p).arg(version)});
        } else if (rc == zkrc::NoAuth) {
            m_releases.finish(pending, ForceReleaseResult{ForceReleaseResult::Failed, {},
                                                      QStringLiteral("ZooKeeper refused to delete %1: the ACL of %2 does not give %3 the "
                                                                     "DELETE permission; nothing was deleted. Connect as a user whose "
                                                                     "digest the ACL allows (the endpoint's user and password)")
                                                          .arg(p, QString::fromUtf8(holderFolderPath), who(m_config))});
        } else {
            m_releases.finish(pending, ForceReleaseResult{ForceReleaseResult::Failed, {},
                                                      QStringLiteral("deleting %1 failed: %2; it may or may not be gone, look at the "
                                                                     "lock again")
                                                          .arg(p, zkrc::text(rc))});
        }
    });
}

void ZooKeeperLockBackend::askHolder(const std::shared_ptr<PendingRelease> &pending, const LockInfo &current,
                                     const QList<ZkNode> &holderFolder, const QByteArray &holderFolderPath)
{
    const QByteArray &wanted = pending->request.holder;
    if (current.kind != u"curator-mutex" && current.kind != u"curator-rwlock") {
        m_releases.finish(pending, ForceReleaseResult{ForceReleaseResult::Failed, {},
                                                  QStringLiteral("%1 is a %2 lock: only Curator InterProcessMutex and ReadWriteLock "
                                                                 "holders can be asked to release (Revoker); force-release instead")
                                                      .arg(QString::fromUtf8(current.key), current.kind)});
        return;
    }
    if (!holdsNow(current, wanted)) {
        m_releases.finish(pending, ForceReleaseResult{current.holder.isEmpty() ? ForceReleaseResult::Gone : ForceReleaseResult::HolderChanged,
                                                  current.holder,
                                                  QStringLiteral("%1 is now held by %2, not %3; nobody was asked")
                                                      .arg(QString::fromUtf8(current.key), escapeBytes(current.holder), escapeBytes(wanted))});
        return;
    }
    const int version = nodeVersion(holderFolder, wanted);
    const QByteArray path = childPath(holderFolderPath, wanted);
    // Curator's Revoker.attemptRevoke(): the holder's own data watch sees __REVOKE__ and, if it
    // called makeRevocable(), its listener decides. The version keeps it to this very node.
    m_client->setData(path, QByteArrayLiteral("__REVOKE__"), version, this, [this, pending, path, holderFolderPath](int rc, const ZkStat &) {
        const QString p = QString::fromUtf8(path);
        if (rc == zkrc::Ok) {
            m_releases.finish(pending, ForceReleaseResult{ForceReleaseResult::Asked, {},
                                                      QStringLiteral("wrote __REVOKE__ to %1: a Curator holder that made its lock "
                                                                     "revocable releases it when its listener runs; others ignore it. "
                                                                     "The next pass shows whether it let go")
                                                          .arg(p)});
        } else if (rc == zkrc::NoNode) {
            m_releases.finish(pending, ForceReleaseResult{ForceReleaseResult::Gone, {}, QStringLiteral("%1 went away; nobody was asked").arg(p)});
        } else if (rc == zkrc::NoAuth) {
            m_releases.finish(pending, ForceReleaseResult{ForceReleaseResult::Failed, {},
                                                      QStringLiteral("ZooKeeper refused to write %1: its ACL does not give %2 the WRITE "
                                                                     "permission; connect as a user the ACL allows")
                                                          .arg(p, who(m_config))});
        } else {
            m_releases.finish(pending, ForceReleaseResult{ForceReleaseResult::Failed, {},
                                                      QStringLiteral("asking the holder of %1 failed: %2").arg(p, zkrc::text(rc))});
        }
    });
}

void ZooKeeperLockBackend::probe(const ZooKeeperEndpointConfig &config, const QByteArray &password, QObject *context,
                                 std::function<void(bool ok, const QString &message)> done)
{
    auto *client = new ZkClient(clientOptions(config, password));
    struct State
    {
        bool finished = false;
        QStringList roots;
        int pending = 0;
    };
    auto state = std::make_shared<State>();
    QPointer<QObject> guard(context);
    auto finish = [client, state, guard, done](bool ok, const QString &message) {
        if (state->finished)
            return;
        state->finished = true;
        client->deleteLater();
        if (guard)
            done(ok, message);
    };
    const QString where = ZkClient::connectString(config.hosts, config.chroot);
    QObject::connect(client, &ZkClient::authFailed, client, [finish](const QString &why) { finish(false, why); });
    QTimer::singleShot(config.sessionTimeoutMs + 2000, client, [finish, client, where] {
        finish(false, QStringLiteral("no ZooKeeper session with %1 in time: %2").arg(where, client->stateReason()));
    });
    QObject::connect(client, &ZkClient::connected, client, [client, state, config, finish, where] {
        state->pending = int(config.paths.size());
        if (state->pending == 0) {
            finish(true, QStringLiteral("connected to %1").arg(where));
            return;
        }
        for (const QString &root : config.paths) {
            client->exists(root.toUtf8(), client, [state, root, finish, where, client](int rc, const ZkStat &stat) {
                if (rc == zkrc::Ok)
                    state->roots << QStringLiteral("%1: %2 children").arg(root).arg(stat.numChildren);
                else if (rc == zkrc::NoNode)
                    state->roots << QStringLiteral("%1: does not exist yet").arg(root);
                else
                    state->roots << QStringLiteral("%1: %2").arg(root, zkrc::text(rc));
                if (--state->pending == 0)
                    finish(true, QStringLiteral("connected to %1 (session timeout %2 ms); %3")
                                     .arg(where)
                                     .arg(client->negotiatedTimeoutMs())
                                     .arg(state->roots.join(QStringLiteral("; "))));
            });
        }
    });
    client->open();
}

} // namespace fulcrum
