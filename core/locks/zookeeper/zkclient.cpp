#include "zkclient.h"

#include <QLoggingCategory>
#include <QSocketNotifier>

#include <zookeeper/zookeeper.h>

#include <cerrno>
#include <cstring>

namespace fulcrum {

// The C client's own log (connection attempts, warnings) goes here, off by default:
// QT_LOGGING_RULES="fulcrum.zookeeper.client=true" shows it.
Q_LOGGING_CATEGORY(lcZkClient, "fulcrum.zookeeper.client", QtWarningMsg)

namespace zkrc {

bool isConnectionProblem(int rc)
{
    return rc == ZCONNECTIONLOSS || rc == ZOPERATIONTIMEOUT || rc == ZSESSIONEXPIRED || rc == ZCLOSING
        || rc == ZINVALIDSTATE || rc == ZSESSIONMOVED;
}

QString text(int rc)
{
    return QString::fromUtf8(zerror(rc));
}

} // namespace zkrc

static ZkStat toStat(const Stat *s)
{
    if (!s)
        return {};
    return ZkStat{s->czxid, s->mzxid, s->ctime, s->mtime, s->version, s->cversion, s->aversion,
                  s->ephemeralOwner, s->dataLength, s->numChildren, s->pzxid};
}

static void logToCategory(const char *message)
{
    qCDebug(lcZkClient, "%s", message);
}

struct ZkClient::Watch
{
    ZkClient *client = nullptr;
    QPointer<QObject> context;
    WatchCallback fn;
};

// One outstanding call; the C client hands it back to the completion, which deletes it.
struct ZkClient::Request
{
    ZkClient *client = nullptr;
    QPointer<QObject> context;
    Watch *watch = nullptr;
    ChildrenCallback children;
    DataCallback data;
    StatCallback stat;
    VoidCallback done;
    CreateCallback created;
    bool existsCall = false;

    // Called first by every completion: frees the in-flight slot and a watch the server did not
    // register; false when the answer has nobody left to go to.
    bool finish(int rc)
    {
        if (client->m_destroying)
            return false;
        const bool watchRegistered = rc == ZOK || (existsCall && rc == ZNONODE);
        if (watch && !watchRegistered)
            client->dropWatch(watch);
        client->requestDone();
        return !context.isNull();
    }

    void fail(int rc)
    {
        if (children)
            children(rc, {}, {});
        else if (data)
            data(rc, {}, {});
        else if (stat)
            stat(rc, {});
        else if (done)
            done(rc);
        else if (created)
            created(rc, {});
    }
};

ZkClient::ZkClient(Options options, QObject *parent)
    : QObject(parent)
    , m_options(std::move(options))
{
    m_timer.setSingleShot(true);
    connect(&m_timer, &QTimer::timeout, this, [this] { process(0); });
}

ZkClient::~ZkClient()
{
    m_destroying = true;
    m_waiting.clear();
    closeHandle();
}

QString ZkClient::connectString(const QString &hosts, const QString &chroot)
{
    if (chroot.isEmpty() || chroot == u"/")
        return hosts;
    return hosts + (chroot.startsWith(u'/') ? chroot : u'/' + chroot);
}

QString ZkClient::sessionIdText() const
{
    if (!m_zh || m_state != State::Connected)
        return {};
    const clientid_t *id = zoo_client_id(m_zh);
    return id ? QStringLiteral("0x") + QString::number(quint64(id->client_id), 16) : QString();
}

int ZkClient::negotiatedTimeoutMs() const
{
    return m_zh ? zoo_recv_timeout(m_zh) : m_options.sessionTimeoutMs;
}

void ZkClient::open()
{
    if (m_open)
        return;
    m_open = true;
    startHandle();
}

void ZkClient::close()
{
    m_open = false;
    const auto waiting = std::move(m_waiting);
    m_waiting.clear();
    for (const auto &entry : waiting) {
        if (entry.second->context)
            entry.second->fail(ZCLOSING);
    }
    closeHandle();
    setState(State::Closed, QStringLiteral("closed"));
}

void ZkClient::startHandle()
{
    // Global in the C library; quiet unless something is wrong.
    zoo_set_debug_level(ZOO_LOG_LEVEL_WARN);
    const QByteArray hosts = connectString().toUtf8();
    m_zh = zookeeper_init2(hosts.constData(), &ZkClient::sessionWatcher, m_options.sessionTimeoutMs, nullptr, this, 0,
                           &logToCategory);
    if (!m_zh) {
        const QString why = QStringLiteral("cannot use ZooKeeper hosts \"%1\": %2; hosts must be host:port[,host:port...] "
                                           "with names that resolve")
                                .arg(connectString(), QString::fromLocal8Bit(std::strerror(errno)));
        setState(State::Connecting, why);
        Q_EMIT connectionLost(why);
        QTimer::singleShot(2000, this, [this] {
            if (m_open && !m_zh)
                startHandle();
        });
        return;
    }
    if (!m_options.user.isEmpty()) {
        // Digest identities are not checked when added: a wrong password shows later as
        // NoAuth on the nodes whose ACL needs it. The C client resends it after reconnects.
        const QByteArray credentials = m_options.user.toUtf8() + ':' + m_options.password;
        zoo_add_auth(m_zh, "digest", credentials.constData(), int(credentials.size()), nullptr, nullptr);
    }
    setState(State::Connecting, QStringLiteral("connecting to %1").arg(connectString()));
    pump();
}

void ZkClient::closeHandle()
{
    m_timer.stop();
    if (m_readNotifier) {
        m_readNotifier->setEnabled(false);
        m_readNotifier->deleteLater();
        m_readNotifier = nullptr;
    }
    if (m_writeNotifier) {
        m_writeNotifier->setEnabled(false);
        m_writeNotifier->deleteLater();
        m_writeNotifier = nullptr;
    }
    m_fd = -1;
    if (!m_zh)
        return;
    _zhandle *zh = m_zh;
    m_zh = nullptr;
    // Outstanding completions run inside zookeeper_close() with ZCLOSING and report it to
    // their callers (unless the client itself is going away).
    const bool wasProcessing = m_inProcess;
    m_inProcess = true;
    zookeeper_close(zh);
    m_inProcess = wasProcessing;
    m_inFlight = 0;
    m_watches.clear();
}

void ZkClient::setState(State state, const QString &reason)
{
    m_reason = reason;
    if (m_state == state)
        return;
    m_state = state;
    if (!m_destroying)
        Q_EMIT stateChanged(state);
}

void ZkClient::schedulePump()
{
    if (m_inProcess || m_pumpScheduled)
        return;
    m_pumpScheduled = true;
    QMetaObject::invokeMethod(this, [this] {
        m_pumpScheduled = false;
        pump();
    }, Qt::QueuedConnection);
}

void ZkClient::pump()
{
    if (!m_zh)
        return;
    int fd = -1;
    int interest = 0;
    timeval tv{};
    const int rc = zookeeper_interest(m_zh, &fd, &interest, &tv);
    if (rc == ZCONNECTIONLOSS && m_state == State::Connecting && m_reason.startsWith(u"connecting")) {
        const QString why = QStringLiteral("cannot reach ZooKeeper at %1 (%2); retrying. Is the server running and the address right?")
                                .arg(connectString(), QString::fromLocal8Bit(std::strerror(errno)));
        m_reason = why;
        Q_EMIT connectionLost(why);
    }
    if (fd != m_fd) {
        for (QSocketNotifier **n : {&m_readNotifier, &m_writeNotifier}) {
            if (*n) {
                (*n)->setEnabled(false);
                (*n)->deleteLater();
                *n = nullptr;
            }
        }
        m_fd = fd;
        if (fd >= 0) {
            m_readNotifier = new QSocketNotifier(fd, QSocketNotifier::Read, this);
            m_writeNotifier = new QSocketNotifier(fd, QSocketNotifier::Write, this);
            connect(m_readNotifier, &QSocketNotifier::activated, this, [this] { process(ZOOKEEPER_READ); });
            connect(m_writeNotifier, &QSocketNotifier::activated, this, [this] { process(ZOOKEEPER_WRITE); });
        }
    }
    if (m_readNotifier)
        m_readNotifier->setEnabled(interest & ZOOKEEPER_READ);
    if (m_writeNotifier)
        m_writeNotifier->setEnabled(interest & ZOOKEEPER_WRITE);
    const qint64 ms = qint64(tv.tv_sec) * 1000 + (tv.tv_usec + 999) / 1000;
    m_timer.start(int(qBound(qint64(0), ms, qint64(60000))));
}

void ZkClient::process(int events)
{
    if (!m_zh)
        return;
    m_inProcess = true;
    // One call reads one reply; draining what has arrived here, instead of one reply per event
    // loop round, is what makes pipelined passes fast. Bounded so that timers still run.
    int rc = zookeeper_process(m_zh, events);
    for (int round = 0; rc == ZOK && (events & ZOOKEEPER_READ) && m_zh && round < 10'000; ++round)
        rc = zookeeper_process(m_zh, ZOOKEEPER_READ);
    m_inProcess = false;
    pump();
}

void ZkClient::onSessionEvent(int state)
{
    if (state == ZOO_CONNECTED_STATE || state == ZOO_READONLY_STATE) {
        setState(State::Connected, QStringLiteral("connected to %1, session %2, timeout %3 ms")
                                       .arg(connectString(), sessionIdText())
                                       .arg(negotiatedTimeoutMs()));
        Q_EMIT connected();
    } else if (state == ZOO_CONNECTING_STATE || state == ZOO_ASSOCIATING_STATE || state == ZOO_NOTCONNECTED_STATE) {
        if (m_state == State::Connected) {
            const QString why = QStringLiteral("connection to %1 lost; reconnecting within the session").arg(connectString());
            setState(State::Connecting, why);
            Q_EMIT connectionLost(why);
        }
    } else if (state == ZOO_EXPIRED_SESSION_STATE) {
        const QString why = QStringLiteral("ZooKeeper session at %1 expired (no contact within %2 ms); its ephemeral nodes "
                                           "and watches are gone, opening a new session")
                                .arg(connectString())
                                .arg(negotiatedTimeoutMs());
        setState(State::Connecting, why);
        Q_EMIT sessionExpired(why);
        // Never inside zookeeper_process(): the handle is closed from the event loop.
        QMetaObject::invokeMethod(this, [this] {
            closeHandle();
            if (m_open)
                startHandle();
        }, Qt::QueuedConnection);
    } else if (state == ZOO_AUTH_FAILED_STATE) {
        const QString why = QStringLiteral("ZooKeeper at %1 refused the credentials of user \"%2\"; check user and password")
                                .arg(connectString(), m_options.user);
        setState(State::AuthFailed, why);
        Q_EMIT authFailed(why);
        QMetaObject::invokeMethod(this, [this] { closeHandle(); }, Qt::QueuedConnection);
    }
}

void ZkClient::sessionWatcher(_zhandle *, int type, int state, const char *, void *context)
{
    auto *self = static_cast<ZkClient *>(context);
    if (self->m_destroying || type != ZOO_SESSION_EVENT)
        return;
    self->onSessionEvent(state);
}

void ZkClient::nodeWatcher(_zhandle *, int type, int, const char *, void *context)
{
    auto *watch = static_cast<Watch *>(context);
    ZkClient *self = watch->client;
    // Session events reach every watch; the watch itself stays registered across reconnects
    // and is freed with its handle.
    if (self->m_destroying || type == ZOO_SESSION_EVENT || type == ZOO_NOTWATCHING_EVENT)
        return;
    ZkWatchEvent event = ZkWatchEvent::DataChanged;
    if (type == ZOO_CREATED_EVENT)
        event = ZkWatchEvent::Created;
    else if (type == ZOO_DELETED_EVENT)
        event = ZkWatchEvent::Deleted;
    else if (type == ZOO_CHILD_EVENT)
        event = ZkWatchEvent::ChildrenChanged;
    const std::shared_ptr<Watch> keep = self->m_watches.take(watch);
    if (keep && keep->context && keep->fn)
        keep->fn(event);
}

ZkClient::Watch *ZkClient::newWatch(QObject *context, WatchCallback fn)
{
    if (!fn)
        return nullptr;
    auto watch = std::make_shared<Watch>(Watch{this, context, std::move(fn)});
    m_watches.insert(watch.get(), watch);
    return watch.get();
}

void ZkClient::dropWatch(Watch *watch)
{
    m_watches.remove(watch);
}

void ZkClient::submit(std::function<int(Request *)> call, std::unique_ptr<Request> request)
{
    if (m_inFlight >= m_options.maxInFlight) {
        m_waiting.emplace_back(std::move(call), std::move(request));
        return;
    }
    Request *raw = request.release();
    const int rc = m_zh ? call(raw) : int(ZCONNECTIONLOSS);
    if (rc != ZOK) {
        // Refused before it was sent (no session, bad path): answered from the event loop, as
        // every other completion is.
        std::shared_ptr<Request> failed(raw);
        if (failed->watch)
            dropWatch(failed->watch);
        QMetaObject::invokeMethod(this, [failed, rc] {
            if (failed->context)
                failed->fail(rc);
        }, Qt::QueuedConnection);
        return;
    }
    ++m_inFlight;
    schedulePump();
}

void ZkClient::requestDone()
{
    --m_inFlight;
    while (m_inFlight < m_options.maxInFlight && !m_waiting.empty()) {
        auto next = std::move(m_waiting.front());
        m_waiting.pop_front();
        submit(std::move(next.first), std::move(next.second));
    }
}

void ZkClient::getChildren(const QByteArray &path, QObject *context, ChildrenCallback done, WatchCallback watch)
{
    auto r = std::make_unique<Request>();
    r->client = this;
    r->context = context;
    r->children = std::move(done);
    r->watch = newWatch(context, std::move(watch));
    submit([this, path](Request *req) {
        auto completion = [](int rc, const String_vector *strings, const Stat *stat, const void *data) {
            std::unique_ptr<Request> r(static_cast<Request *>(const_cast<void *>(data)));
            if (!r->finish(rc))
                return;
            QList<QByteArray> names;
            if (rc == ZOK && strings) {
                names.reserve(strings->count);
                for (int i = 0; i < strings->count; ++i)
                    names.append(QByteArray(strings->data[i]));
            }
            r->children(rc, names, toStat(stat));
        };
        if (req->watch)
            return zoo_awget_children2(m_zh, path.constData(), &ZkClient::nodeWatcher, req->watch, completion, req);
        return zoo_aget_children2(m_zh, path.constData(), 0, completion, req);
    }, std::move(r));
}

void ZkClient::get(const QByteArray &path, QObject *context, DataCallback done, WatchCallback watch)
{
    auto r = std::make_unique<Request>();
    r->client = this;
    r->context = context;
    r->data = std::move(done);
    r->watch = newWatch(context, std::move(watch));
    submit([this, path](Request *req) {
        auto completion = [](int rc, const char *value, int length, const Stat *stat, const void *data) {
            std::unique_ptr<Request> r(static_cast<Request *>(const_cast<void *>(data)));
            if (!r->finish(rc))
                return;
            r->data(rc, rc == ZOK && value && length > 0 ? QByteArray(value, length) : QByteArray(), toStat(stat));
        };
        if (req->watch)
            return zoo_awget(m_zh, path.constData(), &ZkClient::nodeWatcher, req->watch, completion, req);
        return zoo_aget(m_zh, path.constData(), 0, completion, req);
    }, std::move(r));
}

void ZkClient::exists(const QByteArray &path, QObject *context, StatCallback done, WatchCallback watch)
{
    auto r = std::make_unique<Request>();
    r->client = this;
    r->context = context;
    r->stat = std::move(done);
    r->existsCall = true;
    r->watch = newWatch(context, std::move(watch));
    submit([this, path](Request *req) {
        auto completion = [](int rc, const Stat *stat, const void *data) {
            std::unique_ptr<Request> r(static_cast<Request *>(const_cast<void *>(data)));
            if (!r->finish(rc))
                return;
            r->stat(rc, toStat(stat));
        };
        if (req->watch)
            return zoo_awexists(m_zh, path.constData(), &ZkClient::nodeWatcher, req->watch, completion, req);
        return zoo_aexists(m_zh, path.constData(), 0, completion, req);
    }, std::move(r));
}

void ZkClient::remove(const QByteArray &path, int version, QObject *context, VoidCallback done)
{
    auto r = std::make_unique<Request>();
    r->client = this;
    r->context = context;
    r->done = std::move(done);
    submit([this, path, version](Request *req) {
        auto completion = [](int rc, const void *data) {
            std::unique_ptr<Request> r(static_cast<Request *>(const_cast<void *>(data)));
            if (!r->finish(rc))
                return;
            r->done(rc);
        };
        return zoo_adelete(m_zh, path.constData(), version, completion, req);
    }, std::move(r));
}

void ZkClient::create(const QByteArray &path, const QByteArray &data, int mode, QObject *context, CreateCallback done)
{
    auto r = std::make_unique<Request>();
    r->client = this;
    r->context = context;
    r->created = std::move(done);
    int flags = ZOO_PERSISTENT;
    if (mode & Container)
        flags = ZOO_CONTAINER;
    else if ((mode & Ephemeral) && (mode & Sequential))
        flags = ZOO_EPHEMERAL_SEQUENTIAL;
    else if (mode & Ephemeral)
        flags = ZOO_EPHEMERAL;
    else if (mode & Sequential)
        flags = ZOO_PERSISTENT_SEQUENTIAL;
    submit([this, path, data, flags](Request *req) {
        auto completion = [](int rc, const char *value, const void *d) {
            std::unique_ptr<Request> r(static_cast<Request *>(const_cast<void *>(d)));
            if (!r->finish(rc))
                return;
            r->created(rc, rc == ZOK && value ? QByteArray(value) : QByteArray());
        };
        return zoo_acreate(m_zh, path.constData(), data.isNull() ? nullptr : data.constData(), int(data.size()),
                           &ZOO_OPEN_ACL_UNSAFE, flags, completion, req);
    }, std::move(r));
}

void ZkClient::setData(const QByteArray &path, const QByteArray &data, int version, QObject *context, StatCallback done)
{
    auto r = std::make_unique<Request>();
    r->client = this;
    r->context = context;
    r->stat = std::move(done);
    submit([this, path, data, version](Request *req) {
        auto completion = [](int rc, const Stat *stat, const void *d) {
            std::unique_ptr<Request> r(static_cast<Request *>(const_cast<void *>(d)));
            if (!r->finish(rc))
                return;
            r->stat(rc, toStat(stat));
        };
        return zoo_aset(m_zh, path.constData(), data.constData(), int(data.size()), version, completion, req);
    }, std::move(r));
}

} // namespace fulcrum
