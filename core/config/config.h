#pragma once

#include "balancer/backend.h"
#include "balancer/pool.h"
#include "common/accesslogconfig.h"
#include "common/resolverconfig.h"

#include <QJsonObject>
#include <QList>
#include <QString>
#include <QStringList>

#include <vector>

namespace fulcrum {

// Active health checks of a pool (HAProxy's inter/fastinter/downinter, rise, fall).
struct HealthCheckConfig
{
    bool enabled = true;
    enum Type { Http, Tcp } type = Http;
    QString method = QStringLiteral("GET");
    QString path = QStringLiteral("/health");
    QString host;                                   // Host header; default: the server's address
    QList<QPair<int, int>> expectStatus{{200, 399}}; // inclusive ranges
    QString expectBody;                             // substring the body must contain; empty = any
    qint64 intervalMs = 2000;
    qint64 fastIntervalMs = 500;                    // while a server is changing state
    qint64 downIntervalMs = 5000;                   // while a server is fully down
    qint64 timeoutMs = 1000;
    int rise = 2;
    int fall = 3;
    bool reuseConnection = true;                    // http: keep the check connection open (Envoy); false = connect per check (HAProxy)

    friend bool operator==(const HealthCheckConfig &, const HealthCheckConfig &) = default;
};

// Passive outlier detection from live traffic (Envoy's consecutive-5xx ejection).
struct OutlierConfig
{
    bool enabled = true;
    int consecutiveFailures = 5;
    qint64 baseEjectionMs = 30'000;
    qint64 maxEjectionMs = 300'000;
    int maxEjectionPercent = 50;

    friend bool operator==(const OutlierConfig &, const OutlierConfig &) = default;
};

struct PoolConfig
{
    QString name;
    PoolOptions options;
    std::vector<BackendSpec> servers;
    HealthCheckConfig health;
    OutlierConfig outlier;
    qint64 slowStartMs = 0;                         // 0 = off

    friend bool operator==(const PoolConfig &, const PoolConfig &) = default;
};

// One certificate of a TLS listener: the chain (leaf first, then its issuers) and its key, PEM;
// optionally an OCSP response (DER, as `openssl ocsp -respout` writes it) stapled to handshakes.
struct ListenerCertificate
{
    QString certFile;
    QString keyFile;                                // a 0600 file
    QString ocspFile;                               // empty: no stapling

    friend bool operator==(const ListenerCertificate &, const ListenerCertificate &) = default;
};

// TLS termination on a listener (HTTPS). Several certificates: the client's server name (SNI)
// picks the one whose names match (an exact name before a wildcard); the first answers clients
// that send no name or one no certificate carries. The files are read again on every reload.
// HTTP/2 from clients on a TLS listener (ALPN h2; there is no cleartext h2c).
struct ListenerHttp2Config
{
    bool enabled = true;
    int maxConcurrentStreams = 128;                 // SETTINGS_MAX_CONCURRENT_STREAMS, 1..1000

    friend bool operator==(const ListenerHttp2Config &, const ListenerHttp2Config &) = default;
};

struct ListenerTlsConfig
{
    std::vector<ListenerCertificate> certificates;
    int minVersion = 12;                            // 12: TLS 1.2 and 1.3; 13: TLS 1.3 only
    QString ciphers;                                // TLS 1.2 cipher list (OpenSSL syntax); empty: Mozilla "intermediate"
    bool sessionTickets = true;
    qint64 ticketKeyRotationMs = 3'600'000;         // a new ticket key this often; a ticket opens for one more period
    ListenerHttp2Config http2;
    // Strict-Transport-Security on every answer over this listener ("max-age=63072000;
    // includeSubDomains"); empty: none added (the servers' own passes through).
    QString hsts;

    bool enabled() const { return !certificates.empty(); }
    friend bool operator==(const ListenerTlsConfig &, const ListenerTlsConfig &) = default;
};

// A Strict-Transport-Security value Fulcrum sends (ListenerTlsConfig::hsts): "max-age=SECONDS",
// then "; includeSubDomains" and "; preload" (RFC 6797 6.1); nothing else, no line break.
bool isHstsValue(const QString &value);

// What is wrong with a path prefix of listeners[].redirect.except or listeners[].routes ("" when
// nothing is): it must be a plain path as clients send it, other than "/" (`everyPath` says
// what to do instead), with nothing a request could walk out of it with (no '%', '\\', '?', '#',
// dot segment, blank or non-ASCII). For the parser and the importers alike.
QString pathPrefixProblem(const QString &prefix, const QString &everyPath);

// What is wrong with a host name of listeners[].routes ("" when nothing is): a DNS name as
// clients write it in Host (letters, digits, '-', '.'; any case), or "*.example.com" for every
// name under example.com; no port, no IP literal in brackets, at most 253 characters.
QString routeHostProblem(const QString &host);

// A plain-HTTP listener that answers every request with a redirect to the same host and path
// on a TLS listener of the config (listeners[].redirect), as nginx's
// `return 301 https://$host$request_uri` and HAProxy's `redirect scheme https` do.
struct ListenerRedirect
{
    QString to;              // the TLS listener's name; empty: not a redirect listener
    int status = 301;        // 301, 302, 307 or 308
    quint16 port = 0;        // in the Location; 0: the TLS listener's own port (443: left out)
    quint16 toPort = 0;      // the TLS listener's port, set by the parser
    // Path prefixes the listener's pool answers instead (the ACME HTTP-01 challenge's
    // "/.well-known/acme-challenge/"), as written: each starts with '/' and holds no '%', '?',
    // '#', '\\' or dot segment. A request is one of them only when its own path holds none of
    // those either (ClientSession), so no path walks out of a prefix to reach the pool in plain
    // HTTP.
    QList<QByteArray> except;

    bool enabled() const { return !to.isEmpty(); }
    // The port the Location names (0: none, https's 443).
    quint16 locationPort() const { return (port ? port : toPort) == 443 ? 0 : (port ? port : toPort); }
    friend bool operator==(const ListenerRedirect &, const ListenerRedirect &) = default;
};

// listeners[].routes: requests whose path starts with `prefix` go to `pool` instead of the
// listener's own (the longest prefix that matches wins, as nginx's prefix locations); a route
// with a `host` takes only the requests that ask for that host, before any route without one
// (as nginx picks the server block by server_name, then the location), and without a `prefix`
// every path of that host.
struct ListenerRoute
{
    QByteArray prefix;       // checked by pathPrefixProblem; empty: every path (only with a host)
    QString pool;
    QByteArray host{};       // checked by routeHostProblem, lower case; empty: any host; "*.shop.example": every name under it
    QByteArray prefixRewrite{};  // with a prefix: what the servers get in its place ("/" strips it); empty: the path as sent

    // The name to show: "api.shop.example/v2/", "/api/", "api.shop.example".
    QString text() const { return QString::fromLatin1(host + prefix); }

    friend bool operator==(const ListenerRoute &, const ListenerRoute &) = default;
};

struct ListenerConfig
{
    QString name;
    QString host = QStringLiteral("127.0.0.1");
    quint16 port = 0;
    QString pool;            // every path no route takes; a redirect listener: where its `except` paths go (default: its TLS listener's pool)
    ListenerTlsConfig tls;
    ListenerRedirect redirect;
    std::vector<ListenerRoute> routes;

    friend bool operator==(const ListenerConfig &, const ListenerConfig &) = default;
};

// Proxy timeouts and limits, shared by all listeners.
struct ProxyConfig
{
    int workers = 0;                                // 0 = number of cores
    qint64 connectTimeoutMs = 3000;
    qint64 headerTimeoutMs = 10'000;                // client must send the request head within this (slowloris)
    qint64 idleTimeoutMs = 60'000;                  // keep-alive idle, both sides
    qint64 responseTimeoutMs = 30'000;              // server must start answering within this (504)
    qint64 maxHeaderBytes = 16 * 1024;              // request line + headers (431 beyond)
    qint64 maxBodyBytes = 0;                        // 0 = no limit (413 beyond)
    int maxIdlePerServer = 64;                      // kept-alive connections per server and worker
    qint64 stopTimeoutMs = 10'000;                  // graceful stop deadline
    qint64 tunnelTimeoutMs = 3'600'000;             // an upgraded connection (WebSocket) with no byte either way is closed
    // A client connection's requests, and how long after it was accepted it takes new ones
    // (nginx's keepalive_requests and keepalive_time for clients); 0: no limit. HTTP/1.1: the
    // answer to the last says Connection: close; HTTP/2: GOAWAY after the stream that reached it.
    qint64 clientKeepaliveRequests = 0;
    qint64 clientKeepaliveTimeMs = 0;
    ResolverConfig resolver;                        // server names followed in DNS (proxy.resolver)
    AccessLogConfig accessLog;                      // one line per request (proxy.access_log)

    friend bool operator==(const ProxyConfig &, const ProxyConfig &) = default;
};

// Where a Redis password comes from. Never the config file itself.
struct SecretSource
{
    enum Kind { None, Keychain, File, Environment } kind = None;
    QString reference;                              // keychain entry, file path or variable name

    friend bool operator==(const SecretSource &, const SecretSource &) = default;
};

struct RedisEndpointConfig
{
    QString name;
    QString host = QStringLiteral("127.0.0.1");
    quint16 port = 6379;
    QString unixSocket;                             // instead of host:port when set
    int database = 0;
    QString user;                                   // ACL user; empty = default user
    SecretSource password;
    QStringList lockPatterns{QStringLiteral("lock:*"), QStringLiteral("*:lock:*")};
    qint64 longHeldMs = 60'000;                     // flag locks held longer than this
    qint64 pollIntervalMs = 1000;
    int scanCount = 1000;                           // SCAN COUNT per call
    // Keyspace notifications: auto = follow them when the server already publishes what is
    // needed, else poll and say what the server needs; require = never poll, an error until the
    // server publishes them; off = always poll. Only an explicit, audited enable action changes
    // the server's notify-keyspace-events.
    enum class Notifications { Auto, Require, Off } notifications = Notifications::Auto;
    qint64 reconcileIntervalMs = 600'000;           // live: a full pass this often anyway
    static QString notificationsName(Notifications notifications); // "auto", "require", "off"

    // How the locks are spread: one node (host/port or unixSocket), a Cluster found from seed
    // nodes, the master a group of Sentinels names, or Redlock over independent masters.
    enum class Topology { Node, Cluster, Sentinel, Redlock } topology = Topology::Node;
    QStringList nodes;                              // "host:port": cluster seeds, sentinels, or Redlock masters
    QString masterName;                             // Sentinel: the master's name (SENTINEL get-master-addr-by-name)
    // Sentinel: the sentinels' own credentials (their requirepass, or an ACL user of theirs),
    // apart from the master's; none = the sentinels are asked without AUTH.
    QString sentinelUser;
    SecretSource sentinelPassword;
    // TLS (rediss://): the server's certificate is verified against caFile (else the system's CAs)
    // and serverName (else the host); tlsInsecure turns verification off and is shown in red.
    bool tls = false;
    QString caFile;
    QString certFile;                               // client certificate (PEM), with keyFile
    QString keyFile;
    QString serverName;
    bool tlsInsecure = false;

    static QString topologyName(Topology topology); // "node", "cluster", "sentinel", "redlock"
    // redis[s]://[user@]host:port/db, redis-cluster://h:p,h:p, redis-sentinel://h:p,h:p/master,
    // redlock://h:p,h:p,h:p (rediss-… with TLS); never with a password
    QString url() const;
    friend bool operator==(const RedisEndpointConfig &, const RedisEndpointConfig &) = default;
};

// A ZooKeeper ensemble whose lock recipes (Curator, Kazoo) Fulcrum inspects.
struct ZooKeeperEndpointConfig
{
    QString name;
    QString hosts = QStringLiteral("127.0.0.1:2181");  // host:port[,host:port...], as the C client takes them
    QString chroot;                                 // "/shop" or empty: every path below is under it
    QStringList paths{QStringLiteral("/locks")};    // lock roots, searched recursively
    int maxDepth = 8;                               // levels below a root
    int maxNodes = 200'000;                         // znodes one pass reads at most (then: truncated)
    int sessionTimeoutMs = 10'000;                  // asked of the server; it may grant another
    QString user;                                   // digest auth user; empty = no auth
    SecretSource password;                          // digest auth password
    bool fourLetterWords = true;                    // ask "cons" for holders' client addresses
    int waiterDetails = 1000;                       // waiters a pass reads whole (who, session, queued at); the rest by name
    qint64 longHeldMs = 60'000;
    qint64 pollIntervalMs = 2000;
    bool watch = true;                              // live: child and data watches after each pass instead of polling
    qint64 reconcileIntervalMs = 600'000;           // live: a full pass this often catches what the watches cannot promise

    QString url() const;                            // zookeeper://hosts[/chroot], never with a password
    friend bool operator==(const ZooKeeperEndpointConfig &, const ZooKeeperEndpointConfig &) = default;
};

// An etcd cluster whose Go-client lock and election recipes Fulcrum inspects (v3 JSON gateway).
struct EtcdEndpointConfig
{
    QString name;
    QStringList endpoints;                          // member URLs, http:// or https://, tried in order
    QStringList prefixes;                           // key prefixes read; empty = the whole keyspace
    int pageSize = 1000;                            // keys per range request
    int maxKeys = 200'000;                          // lock keys one pass keeps at most (then: truncated)
    QString user;                                   // etcd auth user; empty = no auth
    SecretSource password;
    QString caFile;                                 // https: CA of the members' certificates
    QString certFile;                               // https: client certificate (with keyFile)
    QString keyFile;
    qint64 longHeldMs = 60'000;
    qint64 longLeaseMs = 3'600'000;                 // a granted lease TTL above this is flagged no-expiry
    qint64 pollIntervalMs = 2000;
    bool watch = true;                              // live: a /v3/watch on the prefixes after each pass instead of polling
    qint64 reconcileIntervalMs = 600'000;           // live: a full pass this often catches what the watch cannot promise

    QString url() const;                            // etcd://user@h1:2379,h2:2379 (etcds:// for https), never with a password
    friend bool operator==(const EtcdEndpointConfig &, const EtcdEndpointConfig &) = default;
};

// A table whose rows are locks (the "locks in a table" pattern): ShedLock's schema by default,
// or a table of one's own mapped column by column. A row is held while its `until` column is
// later than the database's now; timestamps without a time zone are read as UTC (ShedLock's).
struct LockTableConfig
{
    QString table = QStringLiteral("shedlock");     // "table" or "schema.table", as the catalogue spells it
    QString nameColumn = QStringLiteral("name");
    QString ownerColumn = QStringLiteral("locked_by");
    QString untilColumn = QStringLiteral("lock_until");
    QString sinceColumn = QStringLiteral("locked_at");  // empty: the table does not say since when
    bool required = true;                           // false: the default ShedLock table, read only when it exists

    // The default of every database endpoint: ShedLock's table, read when it is there.
    static LockTableConfig shedLockIfPresent();
    bool isShedLockSchema() const;
    // Empty when `name` is a plain SQL name (letters, digits, _ and $; not starting with a
    // digit), with one "schema." allowed when `qualified`; else the problem.
    static QString checkName(const QString &name, bool qualified);
    friend bool operator==(const LockTableConfig &, const LockTableConfig &) = default;
};

// A PostgreSQL server whose advisory locks and blocking chains Fulcrum inspects (libpq, asynchronous).
struct PostgresEndpointConfig
{
    QString name;
    QString url;                                    // postgres://user@host:port/db?sslmode=... (?host=/dir for a Unix socket), never with a password
    SecretSource password;
    bool blockingChains = true;                     // also read sessions waiting on row and table locks (pg_blocking_pids)
    int maxLocks = 100'000;                         // advisory lock rows one pass keeps at most (then: truncated)
    qint64 queryTimeoutMs = 10'000;                 // a statement that takes longer drops the connection
    qint64 longHeldMs = 60'000;
    qint64 pollIntervalMs = 2000;
    QList<LockTableConfig> lockTables{LockTableConfig::shedLockIfPresent()};

    // Empty when `text` is a postgres:// URL Fulcrum takes, else the problem and the fix.
    static QString checkUrl(const QString &text);
    friend bool operator==(const PostgresEndpointConfig &, const PostgresEndpointConfig &) = default;
};

// A MySQL or MariaDB server whose named locks (GET_LOCK) Fulcrum inspects (libmariadb, non-blocking).
struct MysqlEndpointConfig
{
    QString name;
    QString url;                                    // mysql://user@host:port/db, never with a password
    SecretSource password;
    qint64 queryTimeoutMs = 10'000;
    qint64 longHeldMs = 60'000;
    qint64 pollIntervalMs = 2000;
    QList<LockTableConfig> lockTables{LockTableConfig::shedLockIfPresent()};

    // Empty when `text` is a mysql:// URL Fulcrum takes, else the problem and the fix.
    static QString checkUrl(const QString &text);
    friend bool operator==(const MysqlEndpointConfig &, const MysqlEndpointConfig &) = default;
};

// One lock endpoint of any backend ("locks" in the config; "redis" entries are Redis ones).
// Only the options of `backend` are used.
struct LockEndpointConfig
{
    QString backend = QStringLiteral("redis");      // "redis", "zookeeper", "etcd", "postgres" or "mysql"
    RedisEndpointConfig redis;
    ZooKeeperEndpointConfig zookeeper;
    EtcdEndpointConfig etcd;
    PostgresEndpointConfig postgres;
    MysqlEndpointConfig mysql;

    static LockEndpointConfig fromRedis(RedisEndpointConfig redis);
    static LockEndpointConfig fromZooKeeper(ZooKeeperEndpointConfig zookeeper);
    static LockEndpointConfig fromEtcd(EtcdEndpointConfig etcd);
    static LockEndpointConfig fromPostgres(PostgresEndpointConfig postgres);
    static LockEndpointConfig fromMysql(MysqlEndpointConfig mysql);
    bool isRedis() const { return backend == u"redis"; }
    bool isZooKeeper() const { return backend == u"zookeeper"; }
    bool isEtcd() const { return backend == u"etcd"; }
    bool isPostgres() const { return backend == u"postgres"; }
    bool isMysql() const { return backend == u"mysql"; }
    QString name() const;
    QString url() const;                            // never with a password
    qint64 longHeldMs() const;
    qint64 pollIntervalMs() const;
    // Live (a backend following its change stream): how often a full pass reconciles; 0 for
    // backends that have no change stream.
    qint64 reconcileIntervalMs() const;
    SecretSource password() const;
    // On the options of `backend`.
    void setName(const QString &name);
    void setPassword(const SecretSource &password);
    friend bool operator==(const LockEndpointConfig &, const LockEndpointConfig &) = default;
};

struct AdminConfig
{
    bool enabled = false;                           // fulcrumd serves the admin API when the config has an "admin" section
    QString host = QStringLiteral("127.0.0.1");
    quint16 port = 9900;
    bool allowNonLoopback = false;                  // must be said explicitly to bind elsewhere
    QString tokenFile;                              // default: <state dir>/admin.token (0600)
    QString readOnlyTokenFile;
    // "tls": the admin API speaks https only. The certificate chain and its key (PEM; the key
    // a 0600 file), and for mutual TLS the CA every client certificate must chain to.
    QString tlsCertFile;
    QString tlsKeyFile;
    QString tlsClientCaFile;
    bool hasTls() const { return !tlsCertFile.isEmpty(); }

    friend bool operator==(const AdminConfig &, const AdminConfig &) = default;
};

// The history store behind reports ("history" in the config): where it is and how long each
// resolution is kept. 1 min rows are made from 1 s rows older than rawMs, 1 h rows from 1 min
// rows older than minuteMs; rows, events and audit entries older than hourMs are deleted.
struct HistoryConfig
{
    QString path;                                   // default: <state dir>/history.sqlite
    qint64 rawMs = 3'600'000;
    qint64 minuteMs = 7 * 86'400'000LL;
    qint64 hourMs = 365 * 86'400'000LL;

    friend bool operator==(const HistoryConfig &, const HistoryConfig &) = default;
};

struct Config
{
    std::vector<ListenerConfig> listeners;
    std::vector<PoolConfig> pools;
    std::vector<LockEndpointConfig> locks;           // "redis" and "locks" entries, in the file's order
    AdminConfig admin;
    ProxyConfig proxy;
    HistoryConfig history;
    QString stateDir;                               // runtime weights/states, history; default per user

    const PoolConfig *pool(QStringView name) const;
    friend bool operator==(const Config &, const Config &) = default;
};

// The JSON form of a config, as the parser reads it (used by import-nginx and to show the
// running config).
QJsonObject configToJson(const Config &config);
// One of listeners[].routes as configToJson writes it: its pool, and host, prefix and
// prefix_rewrite where set.
QJsonObject routeToJson(const ListenerRoute &route);

} // namespace fulcrum
