#include "redisconnection.h"

#include "config/config.h"

#include <QFile>
#include <QRandomGenerator>
#include <QSocketNotifier>
#include <QLocalSocket>
#include <QSslConfiguration>
#include <QSslKey>
#include <QSslSocket>

#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include <algorithm>
#include <memory>
#include <vector>

namespace fulcrum {

// The Qt transport is a QSslSocket (TCP, encrypted or not) or a QLocalSocket (a unix socket);
// QIODevice has neither abort() nor flush().
static void abortStream(QIODevice *stream)
{
    if (auto *tcp = qobject_cast<QAbstractSocket *>(stream))
        tcp->abort();
    else if (auto *local = qobject_cast<QLocalSocket *>(stream))
        local->abort();
}

static void flushStream(QIODevice *stream)
{
    if (auto *tcp = qobject_cast<QAbstractSocket *>(stream))
        tcp->flush();
    else if (auto *local = qobject_cast<QLocalSocket *>(stream))
        local->flush();
}

RedisConnectionOptions RedisConnectionOptions::fromConfig(const RedisEndpointConfig &config, const QByteArray &password,
                                                          const QByteArray &sentinelPassword)
{
    RedisConnectionOptions o;
    o.host = config.host;
    o.port = config.port;
    o.unixSocket = config.unixSocket;
    o.database = config.database;
    o.user = config.user;
    o.password = password;
    o.sentinelUser = config.sentinelUser;
    o.sentinelPassword = sentinelPassword;
    o.tls = config.tls;
    o.caFile = config.caFile;
    o.certFile = config.certFile;
    o.keyFile = config.keyFile;
    o.serverName = config.serverName;
    o.tlsInsecure = config.tlsInsecure;
    return o;
}

QList<QByteArray> RedisConnectionOptions::authCommand() const
{
    if (password.isEmpty())
        return {};
    QList<QByteArray> auth{QByteArrayLiteral("AUTH")};
    if (!user.isEmpty())
        auth << user.toUtf8();
    auth << password;
    return auth;
}

QString RedisConnectionOptions::endpoint() const
{
    if (!unixSocket.isEmpty())
        return database == 0 ? QStringLiteral("unix://%1").arg(unixSocket) : QStringLiteral("unix://%1?db=%2").arg(unixSocket).arg(database);
    const QString userPart = user.isEmpty() ? QString() : user + u'@';
    const QString hostPart = host.contains(u':') ? u'[' + host + u']' : host;
    return QStringLiteral("%1://%2%3:%4/%5").arg(tls ? QStringLiteral("rediss") : QStringLiteral("redis"), userPart, hostPart).arg(port).arg(database);
}

// The replies of one pipeline() call, collected until the last one is in.
struct RedisConnection::PipelineState
{
    QList<RedisReply> replies;
    qsizetype remaining = 0;
    PipelineCallback callback;
};

// What hiredis hands back with a reply: a single command's callback, or a slot in a pipeline.
struct RedisConnection::Pending
{
    Callback callback;
    std::shared_ptr<PipelineState> pipeline;
    qsizetype index = 0;
};

// hiredis's reader builds each reply through these functions, straight into RedisReply values.
// Its own redisReply objects (an allocation per element and per string, then a copy of each
// into a RedisReply, then a free of each) were 7 % of a Cluster pass's client instructions.
// A reply's top-level object starts with a redisReply as hiredis's would: its async layer reads
// type and str of a reply that arrives with no command waiting for it. Elements live in their
// parent's list, sized once by createArray, so no element moves while its children are read.
namespace {

struct ReaderReply
{
    redisReply head{};
    RedisReply value;
};

RedisReply *readerSlot(const redisReadTask *task, void **object)
{
    if (!task->parent) {
        auto *top = new ReaderReply;
        top->head.type = task->type;
        *object = top;
        return &top->value;
    }
    // The parent is the top-level reply when it has no parent itself, else an element.
    const redisReadTask *parent = task->parent;
    RedisReply *array = parent->parent ? static_cast<RedisReply *>(parent->obj) : &static_cast<ReaderReply *>(parent->obj)->value;
    RedisReply *slot = &array->elements[task->idx];
    *object = slot;
    return slot;
}

void *readerString(const redisReadTask *task, char *str, size_t len)
{
    void *object = nullptr;
    RedisReply *reply = readerSlot(task, &object);
    reply->type = task->type == REDIS_REPLY_ERROR ? RedisReply::Error : task->type == REDIS_REPLY_STATUS ? RedisReply::Status : RedisReply::String;
    reply->string = QByteArray(str, qsizetype(len));
    if (!task->parent) {
        auto *top = static_cast<ReaderReply *>(object);
        top->head.str = reply->string.data();
        top->head.len = len;
    }
    return object;
}

void *readerArray(const redisReadTask *task, int elements)
{
    void *object = nullptr;
    RedisReply *reply = readerSlot(task, &object);
    reply->type = RedisReply::Array;
    reply->elements.resize(std::max(elements, 0));
    return object;
}

void *readerInteger(const redisReadTask *task, long long value)
{
    void *object = nullptr;
    RedisReply *reply = readerSlot(task, &object);
    reply->type = RedisReply::Integer;
    reply->integer = value;
    if (!task->parent)
        static_cast<ReaderReply *>(object)->head.integer = value;
    return object;
}

void *readerNil(const redisReadTask *task)
{
    void *object = nullptr;
    readerSlot(task, &object)->type = RedisReply::Nil;
    return object;
}

// Only ever called on a top-level reply: the elements go with it.
void readerFree(void *object)
{
    delete static_cast<ReaderReply *>(object);
}

const redisReplyObjectFunctions kReaderFunctions{readerString, readerArray, readerInteger, readerNil, readerFree};

RedisReply takeReply(void *object)
{
    return std::move(static_cast<ReaderReply *>(object)->value);
}

} // namespace

RedisConnection::RedisConnection(RedisConnectionOptions options, QObject *parent)
    : QObject(parent)
    , m_options(std::move(options))
{
    m_clock.start();
    m_connectTimer.setSingleShot(true);
    m_reconnectTimer.setSingleShot(true);
    m_timeoutTimer.setInterval(int(std::clamp<qint64>(m_options.commandTimeoutMs / 4, 10, 250)));
    connect(&m_connectTimer, &QTimer::timeout, this, [this] {
        if (m_state == State::Connecting)
            fail(QStringLiteral("%1: no connection within %2 ms; check that Redis runs there and the network path is open")
                     .arg(endpoint()).arg(m_options.connectTimeoutMs), true);
    });
    connect(&m_reconnectTimer, &QTimer::timeout, this, &RedisConnection::startConnecting);
    connect(&m_timeoutTimer, &QTimer::timeout, this, &RedisConnection::checkTimeouts);
}

RedisConnection::~RedisConnection()
{
    m_wanted = false;
    if (m_stream) {
        // Pending callbacks are dropped, as with hiredis below.
        for (Pending *pending : m_streamPending)
            delete pending;
        m_streamPending.clear();
        m_stream->disconnect(this);
        abortStream(m_stream);
        delete m_stream;
        m_stream = nullptr;
    }
    if (m_reader)
        redisReaderFree(m_reader);
    if (m_context) {
        redisAsyncContext *context = m_context;
        // Pending callbacks are dropped: their owners may already be gone.
        context->data = nullptr;
        redisAsyncFree(context);
    }
    for (Pending *pending : m_sparePendings)
        delete pending;
}

QString RedisConnection::stateName(State state)
{
    switch (state) {
    case State::Disconnected: return QStringLiteral("disconnected");
    case State::Connecting: return QStringLiteral("connecting");
    case State::Connected: return QStringLiteral("connected");
    case State::WaitingToReconnect: return QStringLiteral("waiting to reconnect");
    }
    return {};
}

void RedisConnection::open()
{
    m_wanted = true;
    m_retryAfterDrop = true;
    if (!m_context && !m_reconnectTimer.isActive())
        startConnecting();
}

void RedisConnection::close()
{
    m_wanted = false;
    m_reconnectTimer.stop();
    m_connectTimer.stop();
    if (m_context)
        redisAsyncDisconnect(m_context);
    else if (m_stream && !m_streamPending.empty())
        ; // replies in flight come first; onStreamReadable() closes after the last one
    else if (m_stream)
        tearDownStream();
    else
        setState(State::Disconnected);
}

void RedisConnection::setState(State state)
{
    if (m_state == state)
        return;
    m_state = state;
    Q_EMIT stateChanged(state);
    if (state == State::Connected)
        Q_EMIT connected();
}

bool RedisConnection::transportOpen() const
{
    return m_context || m_stream;
}

void RedisConnection::startConnecting()
{
    if (transportOpen() || !m_wanted || m_resolving)
        return;
    setState(State::Connecting);
    if (!m_resolver) {
        connectTransport();
        return;
    }
    m_resolving = true;
    m_resolver([this, guard = QPointer<RedisConnection>(this)](const QString &address, const QString &error) {
        if (!guard)
            return;
        m_resolving = false;
        if (!m_wanted) {
            setState(State::Disconnected);
            return;
        }
        const qsizetype colon = address.lastIndexOf(u':');
        bool ok = false;
        const int port = colon > 0 ? address.mid(colon + 1).toInt(&ok) : 0;
        if (!error.isEmpty() || !ok || port < 1 || port > 65535) {
            fail(error.isEmpty() ? QStringLiteral("%1: no address for the server (\"%2\")").arg(endpoint(), address) : error, true);
            return;
        }
        m_options.host = address.left(colon);
        if (m_options.host.startsWith(u'[') && m_options.host.endsWith(u']'))
            m_options.host = m_options.host.mid(1, m_options.host.size() - 2);
        m_options.port = quint16(port);
        connectTransport();
    });
}

void RedisConnection::reconnectNow(const QString &why)
{
    if (!m_wanted)
        return;
    m_attempt = 0;
    if (transportOpen()) {
        fail(QStringLiteral("%1: reconnecting: %2").arg(endpoint(), why), true);
    } else if (!m_resolving) {
        m_reconnectTimer.stop();
        startConnecting();
    }
}

void RedisConnection::connectTransport()
{
    if (m_pushHandler && !m_options.unixSocket.isEmpty()) {
        startLocal();
        return;
    }
    if (m_options.tls || m_pushHandler) {
        startTls();
        return;
    }
    redisAsyncContext *context = m_options.unixSocket.isEmpty()
        ? redisAsyncConnect(m_options.host.toUtf8().constData(), m_options.port)
        : redisAsyncConnectUnix(QFile::encodeName(m_options.unixSocket).constData());
    if (!context) {
        fail(QStringLiteral("%1: out of memory creating the connection").arg(endpoint()), true);
        return;
    }
    if (context->err) {
        const QString why = QString::fromUtf8(context->errstr);
        redisAsyncFree(context);
        fail(QStringLiteral("%1: cannot connect: %2").arg(endpoint(), why), true);
        return;
    }
    // Replies straight into RedisReply values (set before any reply can arrive).
    context->c.reader->fn = const_cast<redisReplyObjectFunctions *>(&kReaderFunctions);
    m_context = context;
    context->data = this;
    context->ev.data = this;
    context->ev.addRead = &RedisConnection::addRead;
    context->ev.delRead = &RedisConnection::delRead;
    context->ev.addWrite = &RedisConnection::addWrite;
    context->ev.delWrite = &RedisConnection::delWrite;
    context->ev.cleanup = &RedisConnection::cleanup;
    m_readNotifier = new QSocketNotifier(context->c.fd, QSocketNotifier::Read, this);
    m_readNotifier->setEnabled(false);
    m_writeNotifier = new QSocketNotifier(context->c.fd, QSocketNotifier::Write, this);
    m_writeNotifier->setEnabled(false);
    connect(m_readNotifier, &QSocketNotifier::activated, this, [this] {
        if (!m_context)
            return;
        redisAsyncHandleRead(m_context);
        // Commands sent from reply callbacks (a SCAN chain's next call) go out now, not one
        // event-loop turn later: the server is idle until they arrive. Not from inside the
        // callbacks themselves: a failed write frees the context there.
        if (m_context && m_writeNotifier && m_writeNotifier->isEnabled())
            redisAsyncHandleWrite(m_context);
    });
    connect(m_writeNotifier, &QSocketNotifier::activated, this, [this] {
        if (m_context)
            redisAsyncHandleWrite(m_context);
    });
    // Must come after the hooks: hiredis asks for the first write event to detect the connect.
    redisAsyncSetConnectCallback(context, &RedisConnection::onConnected);
    redisAsyncSetDisconnectCallback(context, &RedisConnection::onDisconnected);
    m_connectTimer.start(int(m_options.connectTimeoutMs));
    m_timeoutTimer.start();
}

void RedisConnection::onConnected(const redisAsyncContext *context, int status)
{
    auto *self = static_cast<RedisConnection *>(context->data);
    if (!self)
        return;
    if (status != REDIS_OK) {
        // hiredis frees the context right after this returns; cleanup() schedules the retry.
        self->m_lastError = QStringLiteral("%1: cannot connect: %2").arg(self->endpoint(), QString::fromUtf8(context->errstr));
        Q_EMIT self->errorOccurred(self->m_lastError);
        return;
    }
    self->handshake();
}

void RedisConnection::onDisconnected(const redisAsyncContext *context, int status)
{
    auto *self = static_cast<RedisConnection *>(context->data);
    if (!self || status == REDIS_OK || !self->m_wanted)
        return;
    self->m_lastError = QStringLiteral("%1: connection lost: %2").arg(self->endpoint(), QString::fromUtf8(context->errstr));
    Q_EMIT self->errorOccurred(self->m_lastError);
}

void RedisConnection::handshake()
{
    auto refused = [this](const RedisReply &reply, const QString &what) {
        if (reply.type == RedisReply::Failed)
            return true; // the drop itself is reported and retried
        if (reply.type != RedisReply::Error)
            return false;
        const bool credentials = reply.string.startsWith("NOAUTH") || reply.string.startsWith("WRONGPASS") || reply.string.contains("AUTH");
        // Wrong credentials or a missing database will not fix themselves: stop, say what to change.
        fail(credentials && what == u"PING"
                 ? QStringLiteral("%1 requires a password (%2); %3").arg(endpoint(), reply.errorText(), m_options.passwordHint)
                 : QStringLiteral("%1 refused %2: %3").arg(endpoint(), what, reply.errorText()),
             false);
        return true;
    };
    if (!m_options.password.isEmpty()) {
        sendRaw(m_options.authCommand(), [this, refused](const RedisReply &reply) {
            refused(reply, m_options.user.isEmpty() ? QStringLiteral("AUTH (password)") : QStringLiteral("AUTH for user \"%1\"").arg(m_options.user));
        });
    }
    if (m_options.database != 0) {
        sendRaw({QByteArrayLiteral("SELECT"), QByteArray::number(m_options.database)}, [this, refused](const RedisReply &reply) {
            refused(reply, QStringLiteral("SELECT %1").arg(m_options.database));
        });
    }
    sendRaw({QByteArrayLiteral("PING")}, [this, refused](const RedisReply &reply) {
        if (refused(reply, QStringLiteral("PING")) || m_state != State::Connecting)
            return;
        m_connectTimer.stop();
        m_attempt = 0;
        m_lastError.clear();
        setState(State::Connected);
    });
}

void RedisConnection::command(const QList<QByteArray> &arguments, Callback callback)
{
    if (m_state != State::Connected || !transportOpen()) {
        deliverLater(std::move(callback),
                     RedisReply::failed(QStringLiteral("%1 is %2%3").arg(endpoint(), stateName(m_state),
                                                                        m_lastError.isEmpty() ? QString() : QStringLiteral(" (%1)").arg(m_lastError))));
        return;
    }
    sendRaw(arguments, std::move(callback));
}

void RedisConnection::pipeline(const QList<QList<QByteArray>> &commands, PipelineCallback callback)
{
    RedisCommands formatted;
    for (const QList<QByteArray> &command : commands)
        formatted.add(command);
    pipeline(formatted, std::move(callback));
}

void RedisConnection::pipeline(const RedisCommands &commands, PipelineCallback callback)
{
    auto state = std::make_shared<PipelineState>();
    state->replies.resize(commands.size());
    state->remaining = commands.size();
    state->callback = std::move(callback);
    if (commands.isEmpty()) {
        deliverLater([state](const RedisReply &) { state->callback(state->replies); }, {});
        return;
    }
    if (m_state != State::Connected || !transportOpen()) {
        const RedisReply failed = RedisReply::failed(QStringLiteral("%1 is %2%3").arg(endpoint(), stateName(m_state),
                                                                                      m_lastError.isEmpty() ? QString() : QStringLiteral(" (%1)").arg(m_lastError)));
        for (qsizetype i = 0; i < commands.size(); ++i)
            settlePipelineSlot(state, i, failed, true);
        return;
    }
    if (m_stream) {
        // One write for the whole batch; the replies come back in order.
        m_stream->write(commands.bytes().data(), commands.bytes().size());
        const qint64 now = m_clock.elapsed();
        for (qsizetype i = 0; i < commands.size(); ++i) {
            m_streamPending.push_back(makePending({}, state, i));
            m_sentAt.push_back(now);
        }
        return;
    }
    for (qsizetype i = 0; i < commands.size(); ++i) {
        Pending *pending = makePending({}, state, i);
        if (!sendPending(commands.command(i), pending)) {
            recycle(pending);
            settlePipelineSlot(state, i, RedisReply::failed(QStringLiteral("%1: connection is closing").arg(endpoint())), true);
        }
    }
}

void RedisConnection::flush()
{
    if (m_stream) {
        flushStream(m_stream);
        return;
    }
    if (!m_context || !(m_context->c.flags & REDIS_CONNECTED))
        return;
    // hiredis's own write handler would free the context on a write error, under the reply
    // callbacks that may be calling this. A failed plain write leaves the error on the context;
    // the next socket event finds it and drops the connection the usual way.
    int done = 0;
    if (redisBufferWrite(&m_context->c, &done) == REDIS_OK && done && m_writeNotifier)
        m_writeNotifier->setEnabled(false);
}

void RedisConnection::settlePipelineSlot(const std::shared_ptr<PipelineState> &state, qsizetype index, RedisReply reply, bool later)
{
    state->replies[index] = std::move(reply);
    if (--state->remaining > 0)
        return;
    if (later)
        deliverLater([state](const RedisReply &) { state->callback(state->replies); }, {});
    else
        state->callback(state->replies);
}

void RedisConnection::sendRaw(const QList<QByteArray> &arguments, Callback callback)
{
    Pending *pending = makePending(std::move(callback), {}, 0);
    if (!sendPending(RedisCommands::format(arguments), pending)) {
        deliverLater(std::move(pending->callback), RedisReply::failed(QStringLiteral("%1: connection is closing").arg(endpoint())));
        recycle(pending);
    }
}

// Hands one command (RESP bytes) to the transport; on success it owns `pending` until
// dispatchReply(), else the caller still does.
bool RedisConnection::sendPending(QByteArrayView command, Pending *pending)
{
    if (!m_context && !m_stream)
        return false;
    if (m_stream) {
        m_stream->write(command.data(), command.size());
        m_streamPending.push_back(pending);
    } else if (redisAsyncFormattedCommand(m_context, &RedisConnection::onReply, pending, command.data(), size_t(command.size())) != REDIS_OK) {
        return false;
    }
    m_sentAt.push_back(m_clock.elapsed());
    return true;
}

void RedisConnection::onReply(redisAsyncContext *context, void *reply, void *privateData)
{
    auto *self = static_cast<RedisConnection *>(context->data);
    if (!self) {
        delete static_cast<Pending *>(privateData);
        return;
    }
    self->dispatchReply(static_cast<Pending *>(privateData), reply);
}

// Pending objects are recycled: a lock pass sends two commands per lock, and a new and a delete
// for each were two of the dozen allocations a lock cost.
RedisConnection::Pending *RedisConnection::makePending(Callback callback, std::shared_ptr<PipelineState> pipeline, qsizetype index)
{
    if (m_sparePendings.empty())
        return new Pending{std::move(callback), std::move(pipeline), index};
    Pending *pending = m_sparePendings.back();
    m_sparePendings.pop_back();
    pending->callback = std::move(callback);
    pending->pipeline = std::move(pipeline);
    pending->index = index;
    return pending;
}

void RedisConnection::recycle(Pending *pending)
{
    pending->callback = nullptr;
    pending->pipeline.reset();
    if (m_sparePendings.size() >= kSparePendings) {
        delete pending;
        return;
    }
    m_sparePendings.push_back(pending);
}

// One reply (or none: the transport is being torn down) for one command sent; owns `raw`.
void RedisConnection::dispatchReply(Pending *raw, void *reply)
{
    Callback callback = std::move(raw->callback);
    const std::shared_ptr<PipelineState> pipeline = std::move(raw->pipeline);
    const qsizetype index = raw->index;
    recycle(raw);
    if (!m_sentAt.empty())
        m_sentAt.pop_front();
    if (pipeline) {
        settlePipelineSlot(pipeline, index,
                           reply ? takeReply(reply)
                                 : RedisReply::failed(m_lastError.isEmpty() ? QStringLiteral("%1: connection closed").arg(endpoint()) : m_lastError),
                           !reply);
        return;
    }
    if (!callback)
        return;
    if (!reply) {
        // The transport is being torn down: answer after it is done.
        deliverLater(std::move(callback),
                     RedisReply::failed(m_lastError.isEmpty() ? QStringLiteral("%1: connection closed").arg(endpoint()) : m_lastError));
        return;
    }
    callback(takeReply(reply));
}

std::optional<QSslConfiguration> redisTlsConfiguration(const RedisConnectionOptions &options, QString *error)
{
    const QString endpoint = options.endpoint();
    QSslConfiguration tls = QSslConfiguration::defaultConfiguration();
    tls.setProtocol(QSsl::TlsV1_2OrLater);
    if (!options.caFile.isEmpty()) {
        const QList<QSslCertificate> cas = QSslCertificate::fromPath(options.caFile, QSsl::Pem);
        if (cas.isEmpty()) {
            *error = QStringLiteral("%1: ca_file %2 holds no PEM certificate; give the CA that signed the server's certificate").arg(endpoint, options.caFile);
            return std::nullopt;
        }
        tls.setCaCertificates(cas);
    }
    if (!options.certFile.isEmpty() || !options.keyFile.isEmpty()) {
        const QList<QSslCertificate> chain = QSslCertificate::fromPath(options.certFile, QSsl::Pem);
        if (chain.isEmpty()) {
            *error = QStringLiteral("%1: cert_file %2 holds no PEM certificate; give the client certificate together with key_file")
                         .arg(endpoint, options.certFile);
            return std::nullopt;
        }
        QFile keyFile(options.keyFile);
        if (!keyFile.open(QIODevice::ReadOnly)) {
            *error = QStringLiteral("%1: key_file %2 cannot be read: %3").arg(endpoint, options.keyFile, keyFile.errorString());
            return std::nullopt;
        }
        const QByteArray pem = keyFile.readAll();
        QSslKey key;
        for (QSsl::KeyAlgorithm algorithm : {QSsl::Rsa, QSsl::Ec, QSsl::Dsa}) {
            key = QSslKey(pem, algorithm, QSsl::Pem);
            if (!key.isNull())
                break;
        }
        if (key.isNull()) {
            *error = QStringLiteral("%1: key_file %2 holds no unencrypted PEM private key (RSA or EC)").arg(endpoint, options.keyFile);
            return std::nullopt;
        }
        tls.setLocalCertificateChain(chain);
        tls.setPrivateKey(key);
    }
    if (options.tlsInsecure)
        tls.setPeerVerifyMode(QSslSocket::VerifyNone);
    return tls;
}

void RedisConnection::sendSubscription(const QList<QByteArray> &arguments)
{
    if (m_state != State::Connected || !m_stream || !m_pushHandler)
        return;
    m_stream->write(RedisCommands::format(arguments));
    flushStream(m_stream);
}

// A subscriber's message or subscription confirmation (RESP2: an array led by its kind), as
// opposed to the reply of a command sent with a callback.
static bool isPushReply(const RedisReply &r)
{
    if (r.type != RedisReply::Array || r.elements.isEmpty() || r.elements[0].type != RedisReply::String)
        return false;
    const QByteArray &kind = r.elements[0].string;
    return kind == "message" || kind == "pmessage" || kind == "subscribe" || kind == "psubscribe" || kind == "unsubscribe"
        || kind == "punsubscribe";
}

// The Qt-socket transport: TLS (options.tls), or a plain socket for a subscriber.
// What both Qt transports do alike: replies are read as they come, a close is a drop, and the
// connect runs under the connect timeout.
template <typename Socket>
void RedisConnection::watchStream(Socket *socket)
{
    connect(socket, &Socket::readyRead, this, &RedisConnection::onStreamReadable);
    connect(socket, &Socket::disconnected, this, [this, socket] {
        if (m_stream == socket)
            fail(QStringLiteral("%1: connection closed by the server").arg(endpoint()), true);
    });
    m_connectTimer.start(int(m_options.connectTimeoutMs));
    m_timeoutTimer.start();
}

void RedisConnection::startTls()
{
    QString error;
    const std::optional<QSslConfiguration> tls = m_options.tls ? redisTlsConfiguration(m_options, &error) : std::optional<QSslConfiguration>(QSslConfiguration());
    if (!tls) {
        // A file that cannot be read will not fix itself by retrying: stop and say what to change.
        m_lastError = error;
        m_retryAfterDrop = false;
        Q_EMIT errorOccurred(error);
        contextGone();
        return;
    }
    m_reader = redisReaderCreateWithFunctions(const_cast<redisReplyObjectFunctions *>(&kReaderFunctions));
    auto *ssl = new QSslSocket(this);
    m_stream = ssl;
    if (m_options.tls)
        ssl->setSslConfiguration(*tls);
    m_tlsErrors.clear();
    if (m_options.tls)
        connect(ssl, &QSslSocket::encrypted, this, [this] { handshake(); });
    else
        connect(ssl, &QSslSocket::connected, this, [this] { handshake(); });
    connect(ssl, &QSslSocket::sslErrors, this, [this](const QList<QSslError> &errors) {
        for (const QSslError &error : errors)
            m_tlsErrors << error.errorString();
    });
    connect(ssl, &QSslSocket::errorOccurred, this, [this, ssl](QAbstractSocket::SocketError) {
        if (m_stream != ssl)
            return;
        const bool handshaking = m_state == State::Connecting && !ssl->isEncrypted();
        QString why = ssl->errorString();
        if (!m_tlsErrors.isEmpty())
            why = m_tlsErrors.join(QStringLiteral("; "));
        fail(handshaking && !m_tlsErrors.isEmpty()
                 ? QStringLiteral("%1: TLS handshake failed: %2; check ca_file and server_name, or the server's certificate").arg(endpoint(), why)
             : handshaking ? QStringLiteral("%1: cannot connect: %2").arg(endpoint(), why)
                           : QStringLiteral("%1: connection lost: %2").arg(endpoint(), why),
             true);
    });
    watchStream(ssl);
    if (m_options.tls)
        ssl->connectToHostEncrypted(m_options.host, m_options.port,
                                    m_options.serverName.isEmpty() ? m_options.host : m_options.serverName);
    else
        ssl->connectToHost(m_options.host, m_options.port);
}

// A subscriber connection to a unix socket: the same parser and pending queue as over TCP, on a
// QLocalSocket.
void RedisConnection::startLocal()
{
    m_reader = redisReaderCreateWithFunctions(const_cast<redisReplyObjectFunctions *>(&kReaderFunctions));
    auto *local = new QLocalSocket(this);
    m_stream = local;
    // Queued: a local connect can complete inside connectToServer(), before the caller is done.
    connect(local, &QLocalSocket::connected, this, [this, local] {
        if (m_stream == local)
            handshake();
    }, Qt::QueuedConnection);
    connect(local, &QLocalSocket::errorOccurred, this, [this, local](QLocalSocket::LocalSocketError) {
        if (m_stream != local)
            return;
        const QString why = local->errorString();
        fail(m_state == State::Connecting ? QStringLiteral("%1: cannot connect: %2").arg(endpoint(), why)
                                          : QStringLiteral("%1: connection lost: %2").arg(endpoint(), why),
             true);
    });
    watchStream(local);
    local->connectToServer(m_options.unixSocket);
}

void RedisConnection::onStreamReadable()
{
    if (!m_stream || !m_reader)
        return;
    const QByteArray bytes = m_stream->readAll();
    if (redisReaderFeed(m_reader, bytes.constData(), size_t(bytes.size())) != REDIS_OK) {
        fail(QStringLiteral("%1: cannot read the server's reply: %2").arg(endpoint(), QString::fromUtf8(m_reader->errstr)), true);
        return;
    }
    QPointer<RedisConnection> alive(this);
    QIODevice *socket = m_stream;
    while (m_stream == socket && m_reader) {
        void *reply = nullptr;
        if (redisReaderGetReply(m_reader, &reply) != REDIS_OK) {
            fail(QStringLiteral("%1: protocol error in the server's reply: %2").arg(endpoint(), QString::fromUtf8(m_reader->errstr)), true);
            return;
        }
        if (!reply)
            break;
        // A subscriber's refusal (-NOPERM for a channel the ACL user may not read) answers
        // sendSubscription(), which has no callback: the push handler gets it.
        if (m_pushHandler && (isPushReply(static_cast<ReaderReply *>(reply)->value) || m_streamPending.empty())) {
            const RedisReply push = takeReply(reply);
            readerFree(reply);
            m_pushHandler(push);
            if (!alive)
                return;
            continue;
        }
        if (m_streamPending.empty()) {
            readerFree(reply);
            fail(QStringLiteral("%1: the server sent a reply nobody asked for").arg(endpoint()), true);
            return;
        }
        Pending *pending = m_streamPending.front();
        m_streamPending.pop_front();
        dispatchReply(pending, reply);
        readerFree(reply);
        if (!alive)
            return;
    }
    if (m_stream == socket && !m_wanted && m_streamPending.empty())
        tearDownStream();
}

// Closes the Qt transport (TLS, a subscriber): every command still waiting gets a Failed reply,
// then the usual reconnect (or not) follows, as after hiredis's cleanup().
void RedisConnection::tearDownStream()
{
    if (!m_stream)
        return;
    QIODevice *socket = std::exchange(m_stream, nullptr);
    socket->disconnect(this);
    abortStream(socket);
    socket->deleteLater();
    std::deque<Pending *> pending = std::move(m_streamPending);
    m_streamPending.clear();
    for (Pending *one : pending)
        dispatchReply(one, nullptr);
    if (m_reader) {
        redisReaderFree(m_reader);
        m_reader = nullptr;
    }
    contextGone();
}

void RedisConnection::deliverLater(Callback callback, RedisReply reply)
{
    if (!callback)
        return;
    QMetaObject::invokeMethod(this, [callback = std::move(callback), reply = std::move(reply)] { callback(reply); }, Qt::QueuedConnection);
}

void RedisConnection::checkTimeouts()
{
    if (!transportOpen() || m_sentAt.empty())
        return;
    const qint64 waited = m_clock.elapsed() - m_sentAt.front();
    if (waited > m_options.commandTimeoutMs)
        fail(QStringLiteral("%1: no reply within %2 ms; the server is stuck or the network dropped").arg(endpoint()).arg(m_options.commandTimeoutMs), true);
}

void RedisConnection::fail(const QString &message, bool retry)
{
    m_lastError = message;
    m_retryAfterDrop = retry;
    Q_EMIT errorOccurred(message);
    if (m_context)
        redisAsyncFree(m_context); // cleanup() runs when hiredis is done, and takes it from there
    else if (m_stream)
        tearDownStream();
    else
        contextGone();
}

void RedisConnection::contextGone()
{
    m_connectTimer.stop();
    m_timeoutTimer.stop();
    m_sentAt.clear();
    if (m_wanted && m_retryAfterDrop && m_options.reconnect) {
        scheduleReconnect();
    } else {
        m_wanted = m_wanted && m_retryAfterDrop && m_options.reconnect;
        setState(State::Disconnected);
    }
}

void RedisConnection::scheduleReconnect()
{
    const qint64 ceiling = std::min(m_options.reconnectMaxMs, m_options.reconnectMinMs << std::min(m_attempt, 20));
    ++m_attempt;
    // Full jitter on the upper half: many clients dropped together do not come back in lockstep.
    const qint64 delay = ceiling / 2 + qint64(QRandomGenerator::global()->bounded(quint64(ceiling / 2 + 1)));
    setState(State::WaitingToReconnect);
    m_reconnectTimer.start(int(delay));
}

void RedisConnection::addRead(void *data)
{
    auto *self = static_cast<RedisConnection *>(data);
    if (self->m_readNotifier)
        self->m_readNotifier->setEnabled(true);
}

void RedisConnection::delRead(void *data)
{
    auto *self = static_cast<RedisConnection *>(data);
    if (self->m_readNotifier)
        self->m_readNotifier->setEnabled(false);
}

void RedisConnection::addWrite(void *data)
{
    auto *self = static_cast<RedisConnection *>(data);
    if (self->m_writeNotifier)
        self->m_writeNotifier->setEnabled(true);
}

void RedisConnection::delWrite(void *data)
{
    auto *self = static_cast<RedisConnection *>(data);
    if (self->m_writeNotifier)
        self->m_writeNotifier->setEnabled(false);
}

void RedisConnection::cleanup(void *data)
{
    auto *self = static_cast<RedisConnection *>(data);
    // The notifiers may be the very objects whose signal got us here: disable now, delete later.
    for (QSocketNotifier *notifier : {self->m_readNotifier, self->m_writeNotifier}) {
        if (notifier) {
            notifier->setEnabled(false);
            notifier->deleteLater();
        }
    }
    self->m_readNotifier = nullptr;
    self->m_writeNotifier = nullptr;
    const bool destroying = self->m_context && self->m_context->data == nullptr;
    self->m_context = nullptr;
    if (!destroying)
        self->contextGone();
}

} // namespace fulcrum
