#pragma once

#include "locks/redis/rediscommands.h"
#include "locks/redis/redisreply.h"

#include <QElapsedTimer>
#include <QObject>
#include <QPointer>
#include <QSslConfiguration>
#include <QTimer>

#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

struct redisAsyncContext;
struct redisReader;
class QSocketNotifier;
class QIODevice;
class QSslSocket;

namespace fulcrum {

struct RedisEndpointConfig;

// Where and how to connect. The password is handed over in memory only (from a SecretStore).
struct RedisConnectionOptions
{
    QString host = QStringLiteral("127.0.0.1");
    quint16 port = 6379;
    QString unixSocket;                 // used instead of host:port when set
    int database = 0;
    QString user;                       // ACL user; empty = AUTH with the password only
    QByteArray password;                // empty = no AUTH
    // What a server that wants a password is told to be given (the fix, after "requires a password").
    QString passwordHint = QStringLiteral("give one with --password-file, FULCRUM_REDIS_PASSWORD or the keychain");
    // A Sentinel endpoint's sentinels: their own user and password (RedisSentinelWatch uses these).
    QString sentinelUser;
    QByteArray sentinelPassword;
    qint64 connectTimeoutMs = 3000;
    qint64 commandTimeoutMs = 5000;     // a reply later than this drops the connection
    bool reconnect = true;
    qint64 reconnectMinMs = 100;
    qint64 reconnectMaxMs = 5000;       // backoff doubles from min up to this cap, with jitter
    // TLS: hiredis 0.14 has none, so the bytes go over a QSslSocket and hiredis only parses the
    // replies. The certificate is checked against caFile (else the system's CAs) and serverName
    // (else host) unless tlsInsecure.
    bool tls = false;
    QString caFile;
    QString certFile;
    QString keyFile;
    QString serverName;
    bool tlsInsecure = false;

    // AUTH [user] password, as the handshake sends it (empty without a password).
    QList<QByteArray> authCommand() const;
    static RedisConnectionOptions fromConfig(const RedisEndpointConfig &config, const QByteArray &password,
                                             const QByteArray &sentinelPassword = {});
    QString endpoint() const;           // redis[s]://[user@]host:port/db or unix://path, never a password
};

// The TLS settings of `options` (CA, client certificate and key, verification) as Qt takes them;
// nullopt with *error naming the file and the fix when one cannot be read.
std::optional<QSslConfiguration> redisTlsConfiguration(const RedisConnectionOptions &options, QString *error);

// One asynchronous hiredis connection driven by the Qt event loop of the thread it lives in.
// Commands sent back to back are pipelined. Replies come back in order through callbacks.
// After a drop it reconnects on its own with capped exponential backoff; AUTH and SELECT are
// replayed before it reports Connected again.
class RedisConnection : public QObject
{
    Q_OBJECT
public:
    enum class State { Disconnected, Connecting, Connected, WaitingToReconnect };
    Q_ENUM(State)
    using Callback = std::function<void(const RedisReply &)>;
    using PipelineCallback = std::function<void(const QList<RedisReply> &)>;

    explicit RedisConnection(RedisConnectionOptions options, QObject *parent = nullptr);
    ~RedisConnection() override;

    void open();
    // Stops reconnecting; commands in flight get their replies first when the server answers.
    void close();

    // Where to connect is asked anew before every connection attempt (Sentinel: the current
    // master). The resolver answers once with "host:port", or with an error (then the attempt
    // fails and is retried with backoff, as a refused connection would be).
    using AddressResolver = std::function<void(std::function<void(const QString &address, const QString &error)>)>;
    void setAddressResolver(AddressResolver resolver) { m_resolver = std::move(resolver); }
    // Drops the connection (commands in flight get Failed replies) and connects again at once,
    // asking the resolver where.
    void reconnectNow(const QString &why);

    // Sends a command. The callback runs exactly once, on this object's thread: with the reply,
    // or with a Failed reply (not connected, timeout, connection lost) — never synchronously
    // inside command(), so callers may send more commands from a callback. Destroying the
    // connection drops pending callbacks.
    void command(const QList<QByteArray> &arguments, Callback callback);
    // Sends the commands back to back and calls back once with all their replies, in order,
    // under the same rules as command(). One callback instead of one per command is what keeps
    // a batch of thousands of small reads cheap on the client.
    void pipeline(const QList<QList<QByteArray>> &commands, PipelineCallback callback);
    // The same for commands already in wire format: what a lock pass sends, two per lock.
    void pipeline(const RedisCommands &commands, PipelineCallback callback);
    // Writes what was sent so far to the socket now. Commands sent from a reply callback
    // otherwise go out only after every reply already read has been handled, and the server
    // waits that long for them: a SCAN chain's next call should start while this side works.
    void flush();

    // A subscriber connection (PSUBSCRIBE): set before open(). Messages and subscription
    // confirmations go to `handler`, in order; replies to other commands (PING) still come to
    // their own callbacks. It runs over a Qt socket with hiredis's reply parser (as TLS does):
    // hiredis's async subscriber API keeps callbacks of its own. So no unix socket.
    using PushHandler = std::function<void(const RedisReply &)>;
    void setPushHandler(PushHandler handler) { m_pushHandler = std::move(handler); }
    // Sends a command whose replies come to the push handler (PSUBSCRIBE: one per pattern, or
    // the error that refuses it).
    void sendSubscription(const QList<QByteArray> &arguments);

    State state() const { return m_state; }
    bool isConnected() const { return m_state == State::Connected; }
    QString lastError() const { return m_lastError; }
    QString endpoint() const { return m_options.endpoint(); }
    int pendingCommands() const { return int(m_sentAt.size()); }
    const RedisConnectionOptions &options() const { return m_options; }

    static QString stateName(State state);

Q_SIGNALS:
    void stateChanged(fulcrum::RedisConnection::State state);
    void connected();
    // A connection attempt or an established connection failed; reconnecting follows unless
    // the server refused the credentials.
    void errorOccurred(const QString &message);

private:
    struct Pending;
    struct PipelineState;
    static void onReply(redisAsyncContext *context, void *reply, void *privateData);
    static void onConnected(const redisAsyncContext *context, int status);
    static void onDisconnected(const redisAsyncContext *context, int status);
    static void addRead(void *data);
    static void delRead(void *data);
    static void addWrite(void *data);
    static void delWrite(void *data);
    static void cleanup(void *data);

    void startConnecting();
    void connectTransport();
    void startTls();
    void startLocal();
    template <typename Socket>
    void watchStream(Socket *socket);
    void onStreamReadable();
    void dispatchReply(Pending *pending, void *reply);
    Pending *makePending(Callback callback, std::shared_ptr<PipelineState> pipeline, qsizetype index);
    void recycle(Pending *pending);
    void tearDownStream();
    bool transportOpen() const;
    void sendRaw(const QList<QByteArray> &arguments, Callback callback);
    bool sendPending(QByteArrayView command, Pending *pending);
    void handshake();
    void fail(const QString &message, bool retry);
    void contextGone();
    void scheduleReconnect();
    void setState(State state);
    void checkTimeouts();
    void deliverLater(Callback callback, RedisReply reply);
    void settlePipelineSlot(const std::shared_ptr<PipelineState> &state, qsizetype index, RedisReply reply, bool later);

    RedisConnectionOptions m_options;
    redisAsyncContext *m_context = nullptr;
    QSocketNotifier *m_readNotifier = nullptr;
    QSocketNotifier *m_writeNotifier = nullptr;
    State m_state = State::Disconnected;
    QString m_lastError;
    bool m_wanted = false;               // open() called and close() not: keep reconnecting
    bool m_retryAfterDrop = true;
    int m_attempt = 0;
    QTimer m_connectTimer;
    QTimer m_reconnectTimer;
    QTimer m_timeoutTimer;
    QElapsedTimer m_clock;
    static constexpr size_t kSparePendings = 4096;
    std::vector<Pending *> m_sparePendings;  // recycled by makePending()
    std::deque<qint64> m_sentAt;         // replies arrive in order, so the front is the oldest
    // Qt transport (TLS, and every subscriber connection: hiredis 0.14's async API has no push
    // messages): the socket (a QSslSocket over TCP, a QLocalSocket for a unix socket), hiredis's
    // reply parser, and the commands sent whose replies have not come, in order.
    AddressResolver m_resolver;
    bool m_resolving = false;
    QIODevice *m_stream = nullptr;
    redisReader *m_reader = nullptr;
    std::deque<Pending *> m_streamPending;
    PushHandler m_pushHandler;
    QStringList m_tlsErrors;
};

} // namespace fulcrum
