#include "config.h"
#include "routetable.h"

#include "common/duration.h"

#include <QJsonArray>
#include <QRegularExpression>
#include <QUrl>
#include <QUrlQuery>

#include <utility>

namespace fulcrum {

const PoolConfig *Config::pool(QStringView name) const
{
    for (const PoolConfig &p : pools) {
        if (p.name == name)
            return &p;
    }
    return nullptr;
}

QString RedisEndpointConfig::notificationsName(Notifications notifications)
{
    switch (notifications) {
    case Notifications::Auto: return QStringLiteral("auto");
    case Notifications::Require: return QStringLiteral("require");
    case Notifications::Off: return QStringLiteral("off");
    }
    return {};
}

QString RedisEndpointConfig::topologyName(Topology topology)
{
    switch (topology) {
    case Topology::Node: return QStringLiteral("node");
    case Topology::Cluster: return QStringLiteral("cluster");
    case Topology::Sentinel: return QStringLiteral("sentinel");
    case Topology::Redlock: return QStringLiteral("redlock");
    }
    return {};
}

QString RedisEndpointConfig::url() const
{
    const QString userPart = user.isEmpty() ? QString() : user + u'@';
    const QString s = tls ? QStringLiteral("s") : QString();
    switch (topology) {
    case Topology::Cluster:
        return QStringLiteral("redis%1-cluster://%2%3").arg(s, userPart, nodes.join(u','));
    case Topology::Sentinel:
        return QStringLiteral("redis%1-sentinel://%2%3/%4%5").arg(s, userPart, nodes.join(u','), masterName,
                                                                  database ? QStringLiteral("?db=%1").arg(database) : QString());
    case Topology::Redlock:
        return QStringLiteral("redlock%1://%2%3/%4").arg(s, userPart, nodes.join(u',')).arg(database);
    case Topology::Node:
        break;
    }
    if (!unixSocket.isEmpty())
        return QStringLiteral("unix://%1").arg(unixSocket);
    const QString hostPart = host.contains(u':') ? u'[' + host + u']' : host;
    return QStringLiteral("redis%1://%2%3:%4/%5").arg(s, userPart, hostPart).arg(port).arg(database);
}

QString ZooKeeperEndpointConfig::url() const
{
    const QString userPart = user.isEmpty() ? QString() : user + u'@';
    return QStringLiteral("zookeeper://%1%2%3").arg(userPart, hosts, chroot);
}

QString EtcdEndpointConfig::url() const
{
    const bool https = !endpoints.isEmpty() && endpoints.first().startsWith(u"https://");
    QStringList hosts;
    for (const QString &endpoint : endpoints)
        hosts << QString(endpoint).remove(QStringLiteral("https://")).remove(QStringLiteral("http://"));
    const QString userPart = user.isEmpty() ? QString() : user + u'@';
    return QStringLiteral("%1://%2%3").arg(https ? QStringLiteral("etcds") : QStringLiteral("etcd"), userPart, hosts.join(u','));
}

// `text` with any password between "user:" and "@" masked: errors quote what was given.
static QString withoutPassword(const QString &text)
{
    static const QRegularExpression password(QStringLiteral("^([a-z]+://[^:/@]*):[^@]*@"));
    return QString(text).replace(password, QStringLiteral("\\1:…@"));
}

namespace {

// "lock_tables" as the config writes it: a ShedLock table by its name, one's own as an object.
QJsonArray lockTablesJson(const QList<LockTableConfig> &tables)
{
    QJsonArray array;
    for (const LockTableConfig &t : tables) {
        if (t.isShedLockSchema()) {
            array.append(t.table);
            continue;
        }
        QJsonObject o{{QStringLiteral("table"), t.table},
                      {QStringLiteral("name"), t.nameColumn},
                      {QStringLiteral("owner"), t.ownerColumn},
                      {QStringLiteral("until"), t.untilColumn}};
        o.insert(QStringLiteral("since"), t.sinceColumn);
        array.append(o);
    }
    return array;
}

} // namespace

LockTableConfig LockTableConfig::shedLockIfPresent()
{
    LockTableConfig c;
    c.required = false;
    return c;
}

bool LockTableConfig::isShedLockSchema() const
{
    const LockTableConfig shedLock;
    return nameColumn == shedLock.nameColumn && ownerColumn == shedLock.ownerColumn && untilColumn == shedLock.untilColumn
           && sinceColumn == shedLock.sinceColumn;
}

QString LockTableConfig::checkName(const QString &name, bool qualified)
{
    static const QRegularExpression plain(QStringLiteral("^[A-Za-z_][A-Za-z0-9_$]*$"));
    static const QRegularExpression dotted(QStringLiteral("^[A-Za-z_][A-Za-z0-9_$]*(\\.[A-Za-z_][A-Za-z0-9_$]*)?$"));
    if (name.isEmpty())
        return QStringLiteral("is empty");
    if ((qualified ? dotted : plain).match(name).hasMatch())
        return {};
    return qualified ? QStringLiteral("\"%1\" is not a plain table name (letters, digits, _ and $, not starting with a digit, "
                                      "with at most one \"schema.\" before it)").arg(name)
                     : QStringLiteral("\"%1\" is not a plain column name (letters, digits, _ and $, not starting with a digit)").arg(name);
}

QString PostgresEndpointConfig::checkUrl(const QString &text)
{
    const QString form = QStringLiteral("write it like postgres://USER@HOST:5432/DB?sslmode=require, or postgres://USER@/DB?host=/run/postgresql for a Unix socket");
    const QUrl u(text, QUrl::StrictMode);
    if (!u.isValid() || (u.scheme() != u"postgres" && u.scheme() != u"postgresql"))
        return QStringLiteral("\"%1\" is not a postgres:// URL; %2").arg(withoutPassword(text), form);
    if (!u.password().isEmpty())
        return QStringLiteral("the URL carries a password; take it out and give it as the endpoint's password "
                              "(keychain, file:/path with mode 0600 or env:VARIABLE)");
    const QUrlQuery query(u);
    for (const auto &[key, value] : query.queryItems()) {
        static const QStringList allowed{QStringLiteral("sslmode"), QStringLiteral("host"), QStringLiteral("hostaddr"), QStringLiteral("port"),
                                         QStringLiteral("sslrootcert"), QStringLiteral("sslcert"), QStringLiteral("sslkey"),
                                         QStringLiteral("connect_timeout"), QStringLiteral("application_name"),
                                         QStringLiteral("target_session_attrs"), QStringLiteral("user"), QStringLiteral("dbname")};
        if (!allowed.contains(key))
            return QStringLiteral("URL parameter \"%1\" is not one Fulcrum passes on (%2)%3")
                .arg(key, allowed.join(QStringLiteral(", ")),
                     key == u"password" ? QStringLiteral("; the password goes in the endpoint's password source, never in the URL") : QString());
    }
    if (u.host().isEmpty() && !query.hasQueryItem(QStringLiteral("host")))
        return QStringLiteral("\"%1\" names no host; %2").arg(withoutPassword(text), form);
    return {};
}

QString MysqlEndpointConfig::checkUrl(const QString &text)
{
    const QString form = QStringLiteral("write it like mysql://USER@HOST:3306/DB");
    const QUrl u(text, QUrl::StrictMode);
    if (!u.isValid() || (u.scheme() != u"mysql" && u.scheme() != u"mariadb"))
        return QStringLiteral("\"%1\" is not a mysql:// URL; %2").arg(withoutPassword(text), form);
    if (!u.password().isEmpty())
        return QStringLiteral("the URL carries a password; take it out and give it as the endpoint's password "
                              "(keychain, file:/path with mode 0600 or env:VARIABLE)");
    if (u.host().isEmpty() || u.userName().isEmpty())
        return QStringLiteral("\"%1\" needs a user and a host; %2").arg(withoutPassword(text), form);
    // TLS as MySQL's own clients spell it: ssl-mode (DISABLED, PREFERRED: TLS when the server
    // offers it, the default; REQUIRED; VERIFY_CA and VERIFY_IDENTITY: the certificate checked
    // against ssl-ca), ssl-ca, and a client certificate with ssl-cert + ssl-key.
    const QUrlQuery query(u);
    const QStringList known{QStringLiteral("ssl-mode"), QStringLiteral("ssl-ca"), QStringLiteral("ssl-cert"), QStringLiteral("ssl-key")};
    for (const auto &[key, value] : query.queryItems(QUrl::FullyDecoded)) {
        if (!known.contains(key))
            return QStringLiteral("\"%1\" has the parameter %2; mysql:// URLs take only %3 (e.g. mysql://USER@HOST:3306/DB?ssl-mode=VERIFY_IDENTITY&ssl-ca=/etc/ssl/db-ca.pem)")
                .arg(withoutPassword(text), key, known.join(QStringLiteral(", ")));
    }
    const QString mode = query.queryItemValue(QStringLiteral("ssl-mode"), QUrl::FullyDecoded).toUpper();
    const QStringList modes{QStringLiteral("DISABLED"), QStringLiteral("PREFERRED"), QStringLiteral("REQUIRED"), QStringLiteral("VERIFY_CA"),
                            QStringLiteral("VERIFY_IDENTITY")};
    if (query.hasQueryItem(QStringLiteral("ssl-mode")) && !modes.contains(mode))
        return QStringLiteral("ssl-mode=%1 in \"%2\" is not one of %3").arg(mode, withoutPassword(text), modes.join(QStringLiteral(", ")));
    if (mode.startsWith(u"VERIFY") && !query.hasQueryItem(QStringLiteral("ssl-ca")))
        return QStringLiteral("ssl-mode=%1 checks the server's certificate: add ssl-ca=/path/to/ca.pem to \"%2\"").arg(mode, withoutPassword(text));
    if (query.hasQueryItem(QStringLiteral("ssl-cert")) != query.hasQueryItem(QStringLiteral("ssl-key")))
        return QStringLiteral("a client certificate needs both ssl-cert and ssl-key in \"%1\"").arg(withoutPassword(text));
    if (mode == u"DISABLED" && (query.hasQueryItem(QStringLiteral("ssl-ca")) || query.hasQueryItem(QStringLiteral("ssl-cert"))))
        return QStringLiteral("ssl-mode=DISABLED with certificates in \"%1\": take them out or choose another ssl-mode").arg(withoutPassword(text));
    return {};
}

LockEndpointConfig LockEndpointConfig::fromRedis(RedisEndpointConfig redis)
{
    LockEndpointConfig c;
    c.backend = QStringLiteral("redis");
    c.redis = std::move(redis);
    return c;
}

LockEndpointConfig LockEndpointConfig::fromZooKeeper(ZooKeeperEndpointConfig zookeeper)
{
    LockEndpointConfig c;
    c.backend = QStringLiteral("zookeeper");
    c.zookeeper = std::move(zookeeper);
    return c;
}

LockEndpointConfig LockEndpointConfig::fromEtcd(EtcdEndpointConfig etcd)
{
    LockEndpointConfig c;
    c.backend = QStringLiteral("etcd");
    c.etcd = std::move(etcd);
    return c;
}

LockEndpointConfig LockEndpointConfig::fromPostgres(PostgresEndpointConfig postgres)
{
    LockEndpointConfig c;
    c.backend = QStringLiteral("postgres");
    c.postgres = std::move(postgres);
    return c;
}

LockEndpointConfig LockEndpointConfig::fromMysql(MysqlEndpointConfig mysql)
{
    LockEndpointConfig c;
    c.backend = QStringLiteral("mysql");
    c.mysql = std::move(mysql);
    return c;
}

QString LockEndpointConfig::name() const
{
    return isMysql() ? mysql.name : isPostgres() ? postgres.name : isEtcd() ? etcd.name : isZooKeeper() ? zookeeper.name : redis.name;
}
QString LockEndpointConfig::url() const
{
    return isMysql() ? mysql.url : isPostgres() ? postgres.url : isEtcd() ? etcd.url() : isZooKeeper() ? zookeeper.url() : redis.url();
}
qint64 LockEndpointConfig::longHeldMs() const
{
    return isMysql() ? mysql.longHeldMs : isPostgres() ? postgres.longHeldMs : isEtcd() ? etcd.longHeldMs : isZooKeeper() ? zookeeper.longHeldMs : redis.longHeldMs;
}
qint64 LockEndpointConfig::reconcileIntervalMs() const
{
    return isRedis() ? redis.reconcileIntervalMs : isEtcd() ? etcd.reconcileIntervalMs : isZooKeeper() ? zookeeper.reconcileIntervalMs : 0;
}

qint64 LockEndpointConfig::pollIntervalMs() const
{
    return isMysql() ? mysql.pollIntervalMs : isPostgres() ? postgres.pollIntervalMs : isEtcd() ? etcd.pollIntervalMs : isZooKeeper() ? zookeeper.pollIntervalMs : redis.pollIntervalMs;
}
SecretSource LockEndpointConfig::password() const
{
    return isMysql() ? mysql.password : isPostgres() ? postgres.password : isEtcd() ? etcd.password : isZooKeeper() ? zookeeper.password : redis.password;
}
void LockEndpointConfig::setName(const QString &name)
{
    (isMysql() ? mysql.name : isPostgres() ? postgres.name : isEtcd() ? etcd.name : isZooKeeper() ? zookeeper.name : redis.name) = name;
}
void LockEndpointConfig::setPassword(const SecretSource &password)
{
    (isMysql() ? mysql.password : isPostgres() ? postgres.password : isEtcd() ? etcd.password : isZooKeeper() ? zookeeper.password : redis.password) = password;
}

static QString hashKeyText(const HashKeySource &key)
{
    switch (key.kind) {
    case HashKeySource::ClientIp: return QStringLiteral("client-ip");
    case HashKeySource::Header: return QStringLiteral("header:") + key.name;
    case HashKeySource::Cookie: return QStringLiteral("cookie:") + key.name;
    case HashKeySource::Uri: return QStringLiteral("uri");
    case HashKeySource::Path: return QStringLiteral("path");
    }
    return {};
}

static QString secretText(const SecretSource &secret)
{
    switch (secret.kind) {
    case SecretSource::None: return {};
    case SecretSource::Keychain: return secret.reference.isEmpty() ? QStringLiteral("keychain") : QStringLiteral("keychain:") + secret.reference;
    case SecretSource::File: return QStringLiteral("file:") + secret.reference;
    case SecretSource::Environment: return QStringLiteral("env:") + secret.reference;
    }
    return {};
}

bool isHstsValue(const QString &value)
{
    static const QRegularExpression valid(QStringLiteral("^max-age=\\d{1,10}(\\s*;\\s*includeSubDomains)?(\\s*;\\s*preload)?$"),
                                          QRegularExpression::CaseInsensitiveOption);
    return valid.match(value).hasMatch();
}

QString pathPrefixProblem(const QString &prefix, const QString &everyPath)
{
    constexpr int kMaxPrefixBytes = 256;
    if (!prefix.startsWith(u'/'))
        return QStringLiteral("must start with \"/\"");
    if (prefix == u"/")
        return QStringLiteral("is every path; %1").arg(everyPath);
    if (prefix.size() > kMaxPrefixBytes)
        return QStringLiteral("is longer than %1 characters").arg(kMaxPrefixBytes);
    for (const QChar c : prefix) {
        const char16_t ch = c.unicode();
        if (ch <= 0x20 || ch >= 0x7f)
            return QStringLiteral("holds a blank, control or non-ASCII character; write the path as clients send it (percent-encoding is not allowed either)");
        if (ch == u'%' || ch == u'\\' || ch == u'?' || ch == u'#')
            return QStringLiteral("holds \"%1\"; a prefix is a plain path (no percent-encoding, backslash, query or fragment)").arg(c);
    }
    for (const QString &segment : prefix.split(u'/')) {
        if (segment == u"." || segment == u"..")
            return QStringLiteral("holds the dot segment \"%1\"").arg(segment);
    }
    return {};
}

namespace {

int hexValue(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

bool isUnreserved(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
}

// A path (starting with '/') without its dot segments (RFC 3986 5.2.4), as the servers read it.
QByteArray withoutDotSegments(QByteArrayView path)
{
    std::vector<QByteArrayView> kept;
    bool endsWithSlash = false;
    for (qsizetype start = 1; start <= path.size();) {
        qsizetype end = path.indexOf('/', start);
        if (end < 0)
            end = path.size();
        const QByteArrayView segment = path.sliced(start, end - start);
        const bool last = end == path.size();
        if (segment == "." || segment == "..") {
            if (segment == ".." && !kept.empty())
                kept.pop_back();
            endsWithSlash = last;
        } else {
            kept.push_back(segment);
            endsWithSlash = false;
        }
        start = end + 1;
    }
    QByteArray out;
    for (const QByteArrayView segment : kept)
        out.append('/').append(segment);
    if (out.isEmpty() || endsWithSlash)
        out.append('/');
    return out;
}

} // namespace

QByteArray routePlainPath(QByteArrayView path)
{
    QByteArray decoded;
    decoded.reserve(path.size());
    for (qsizetype i = 0; i < path.size(); ++i) {
        if (path[i] == '%' && i + 2 < path.size() && hexValue(path[i + 1]) >= 0 && hexValue(path[i + 2]) >= 0) {
            const char c = char(hexValue(path[i + 1]) * 16 + hexValue(path[i + 2]));
            if (isUnreserved(c)) {
                decoded.append(c);
                i += 2;
                continue;
            }
        }
        decoded.append(path[i]);
    }
    return path.startsWith('/') ? withoutDotSegments(decoded) : decoded;
}

QByteArray routeRewrittenTarget(QByteArrayView path, QByteArrayView query, QByteArrayView prefix, QByteArrayView rewrite)
{
    QByteArray plain;
    if (!routePathIsPlain(path)) {
        plain = routePlainPath(path);
        path = plain;
    }
    if (!path.startsWith(prefix))
        return {};
    QByteArray target;
    target.reserve(rewrite.size() + path.size() - prefix.size() + query.size());
    target.append(rewrite).append(path.sliced(prefix.size())).append(query);
    return target;
}

QByteArrayView routeHostName(QByteArrayView host)
{
    if (host.startsWith('['))
        return {};
    if (const qsizetype colon = host.indexOf(':'); colon >= 0)
        host = host.first(colon);
    if (host.endsWith('.'))
        host.chop(1);
    return host;
}

bool redirectExceptTakes(const QList<QByteArray> &except, QByteArrayView path)
{
    if (!path.startsWith('/') || path.contains('%') || path.contains('\\'))
        return false;
    for (qsizetype start = 1; start <= path.size();) {
        qsizetype end = path.indexOf('/', start);
        if (end < 0)
            end = path.size();
        const QByteArrayView segment = path.sliced(start, end - start);
        if (segment == "." || segment == "..")
            return false;
        start = end + 1;
    }
    return std::any_of(except.begin(), except.end(), [path](const QByteArray &prefix) { return path.startsWith(prefix); });
}

QString routeHostProblem(const QString &host)
{
    constexpr int kMaxHostBytes = 253;
    if (host.isEmpty())
        return QStringLiteral("is empty");
    if (host.size() > kMaxHostBytes)
        return QStringLiteral("is longer than %1 characters").arg(kMaxHostBytes);
    if (host.contains(u':') || host.startsWith(u'['))
        return QStringLiteral("holds a port or an IPv6 address; a route's host is the name clients ask for, without a port (e.g. \"api.shop.example\")");
    const QString name = host.startsWith(QStringLiteral("*.")) ? host.mid(2) : host;
    if (name.isEmpty() || name.startsWith(u'.') || name.endsWith(u'.') || name.contains(QStringLiteral("..")))
        return QStringLiteral("is not a host name: an empty label (write \"shop.example\", or \"*.shop.example\" for every name under it)");
    for (const QChar c : name) {
        const char16_t ch = c.unicode();
        if (ch == u'*')
            return QStringLiteral("holds \"*\" other than as its first label (\"*.shop.example\" is every name under shop.example; nothing else is a pattern)");
        if (!((ch >= u'a' && ch <= u'z') || (ch >= u'A' && ch <= u'Z') || (ch >= u'0' && ch <= u'9') || ch == u'-' || ch == u'.'))
            return QStringLiteral("holds \"%1\"; a host name is letters, digits, \"-\" and \".\" (an international name in its xn-- form)").arg(c);
    }
    return {};
}

QJsonObject routeToJson(const ListenerRoute &route)
{
    QJsonObject o{{QStringLiteral("pool"), route.pool}};
    if (!route.host.isEmpty())
        o.insert(QStringLiteral("host"), QString::fromLatin1(route.host));
    if (!route.prefix.isEmpty())
        o.insert(QStringLiteral("prefix"), QString::fromLatin1(route.prefix));
    if (!route.prefixRewrite.isEmpty())
        o.insert(QStringLiteral("prefix_rewrite"), QString::fromLatin1(route.prefixRewrite));
    return o;
}

QJsonObject configToJson(const Config &config)
{
    QJsonObject root;
    QJsonArray listeners;
    for (const ListenerConfig &l : config.listeners) {
        const QString host = l.host.contains(u':') ? u'[' + l.host + u']' : l.host;
        QJsonObject listener{{QStringLiteral("name"), l.name}, {QStringLiteral("listen"), QStringLiteral("%1:%2").arg(host).arg(l.port)}};
        if (l.redirect.enabled()) {
            QJsonObject redirect{{QStringLiteral("to"), l.redirect.to}, {QStringLiteral("status"), l.redirect.status}};
            if (l.redirect.port)
                redirect.insert(QStringLiteral("port"), l.redirect.port);
            if (!l.redirect.except.isEmpty()) {
                QJsonArray except;
                for (const QByteArray &prefix : l.redirect.except)
                    except.append(QString::fromLatin1(prefix));
                redirect.insert(QStringLiteral("except"), except);
                if (!l.pool.isEmpty())
                    listener.insert(QStringLiteral("pool"), l.pool);
            }
            listener.insert(QStringLiteral("redirect"), redirect);
        } else {
            listener.insert(QStringLiteral("pool"), l.pool);
        }
        if (!l.routes.empty()) {
            QJsonArray routes;
            for (const ListenerRoute &route : l.routes)
                routes.append(routeToJson(route));
            listener.insert(QStringLiteral("routes"), routes);
        }
        if (l.tls.enabled()) {
            QJsonArray certificates;
            for (const ListenerCertificate &c : l.tls.certificates) {
                QJsonObject certificate{{QStringLiteral("cert"), c.certFile}, {QStringLiteral("key"), c.keyFile}};
                if (!c.ocspFile.isEmpty())
                    certificate.insert(QStringLiteral("ocsp_response"), c.ocspFile);
                certificates.append(certificate);
            }
            QJsonObject tls{{QStringLiteral("certificates"), certificates}};
            const ListenerTlsConfig defaults;
            if (l.tls.minVersion != defaults.minVersion)
                tls.insert(QStringLiteral("min_version"), l.tls.minVersion >= 13 ? QStringLiteral("1.3") : QStringLiteral("1.2"));
            if (!l.tls.ciphers.isEmpty())
                tls.insert(QStringLiteral("ciphers"), l.tls.ciphers);
            if (l.tls.sessionTickets != defaults.sessionTickets)
                tls.insert(QStringLiteral("session_tickets"), l.tls.sessionTickets);
            if (l.tls.ticketKeyRotationMs != defaults.ticketKeyRotationMs)
                tls.insert(QStringLiteral("ticket_key_rotation"), l.tls.ticketKeyRotationMs);
            if (l.tls.http2.enabled != defaults.http2.enabled)
                tls.insert(QStringLiteral("http2"), l.tls.http2.enabled);
            if (l.tls.http2.maxConcurrentStreams != defaults.http2.maxConcurrentStreams)
                tls.insert(QStringLiteral("http2_max_streams"), l.tls.http2.maxConcurrentStreams);
            if (!l.tls.hsts.isEmpty())
                tls.insert(QStringLiteral("hsts"), l.tls.hsts);
            listener.insert(QStringLiteral("tls"), tls);
        }
        listeners.append(listener);
    }
    root.insert(QStringLiteral("listeners"), listeners);

    QJsonArray pools;
    const HealthCheckConfig defaultHealth;
    const OutlierConfig defaultOutlier;
    for (const PoolConfig &p : config.pools) {
        QJsonObject pool{{QStringLiteral("name"), p.name}};
        pool.insert(QStringLiteral("algorithm"), p.options.algorithm == Algorithm::Random && p.options.choices == 2
                                                      ? QStringLiteral("random two") : algorithmName(p.options.algorithm));
        if (p.options.algorithm == Algorithm::ConsistentHash)
            pool.insert(QStringLiteral("hash_key"), hashKeyText(p.options.hashKey));
        if (p.options.maglevTableSize != 65537)
            pool.insert(QStringLiteral("maglev_table_size"), qint64(p.options.maglevTableSize));
        QJsonArray servers;
        for (const BackendSpec &s : p.servers) {
            QJsonObject server{{QStringLiteral("name"), s.name}, {QStringLiteral("address"), s.address()}, {QStringLiteral("weight"), s.weight}};
            if (s.maxConnections > 0)
                server.insert(QStringLiteral("max_connections"), s.maxConnections);
            if (s.backup)
                server.insert(QStringLiteral("backup"), true);
            if (s.state != BackendState::Up)
                server.insert(QStringLiteral("state"), backendStateName(s.state));
            if (s.tls.enabled) {
                QJsonObject tls;
                if (!s.tls.caFile.isEmpty())
                    tls.insert(QStringLiteral("ca"), s.tls.caFile);
                if (!s.tls.serverName.isEmpty())
                    tls.insert(QStringLiteral("server_name"), s.tls.serverName);
                if (!s.tls.verify)
                    tls.insert(QStringLiteral("verify"), false);
                if (!s.tls.certFile.isEmpty()) {
                    tls.insert(QStringLiteral("cert"), s.tls.certFile);
                    tls.insert(QStringLiteral("key"), s.tls.keyFile);
                }
                server.insert(QStringLiteral("tls"), tls.isEmpty() ? QJsonValue(true) : QJsonValue(tls));
            }
            servers.append(server);
        }
        pool.insert(QStringLiteral("servers"), servers);
        if (!(p.health == defaultHealth)) {
            const HealthCheckConfig &h = p.health;
            QJsonArray statuses;
            for (const auto &range : h.expectStatus)
                statuses.append(range.first == range.second ? QString::number(range.first) : QStringLiteral("%1-%2").arg(range.first).arg(range.second));
            QJsonObject health{{QStringLiteral("enabled"), h.enabled},
                               {QStringLiteral("type"), h.type == HealthCheckConfig::Http ? QStringLiteral("http") : QStringLiteral("tcp")},
                               {QStringLiteral("interval"), h.intervalMs}, {QStringLiteral("fast_interval"), h.fastIntervalMs},
                               {QStringLiteral("down_interval"), h.downIntervalMs}, {QStringLiteral("timeout"), h.timeoutMs},
                               {QStringLiteral("rise"), h.rise}, {QStringLiteral("fall"), h.fall}};
            if (h.type == HealthCheckConfig::Http) {
                health.insert(QStringLiteral("method"), h.method);
                health.insert(QStringLiteral("path"), h.path);
                health.insert(QStringLiteral("reuse_connection"), h.reuseConnection);
                health.insert(QStringLiteral("expect_status"), statuses);
                if (!h.host.isEmpty())
                    health.insert(QStringLiteral("host"), h.host);
                if (!h.expectBody.isEmpty())
                    health.insert(QStringLiteral("expect_body"), h.expectBody);
            }
            pool.insert(QStringLiteral("health_check"), health);
        }
        if (!(p.outlier == defaultOutlier)) {
            pool.insert(QStringLiteral("outlier_detection"),
                        QJsonObject{{QStringLiteral("enabled"), p.outlier.enabled},
                                    {QStringLiteral("consecutive_failures"), p.outlier.consecutiveFailures},
                                    {QStringLiteral("base_ejection_time"), p.outlier.baseEjectionMs},
                                    {QStringLiteral("max_ejection_time"), p.outlier.maxEjectionMs},
                                    {QStringLiteral("max_ejection_percent"), p.outlier.maxEjectionPercent}});
        }
        if (p.slowStartMs > 0)
            pool.insert(QStringLiteral("slow_start"), p.slowStartMs);
        if (p.options.ownsResponseTimeout())
            pool.insert(QStringLiteral("response_timeout"), p.options.responseTimeoutMs);
        if (p.options.ownsConnectTimeout())
            pool.insert(QStringLiteral("connect_timeout"), p.options.connectTimeoutMs);
        if (p.options.ownsMaxBodyBytes())
            pool.insert(QStringLiteral("max_body_bytes"), p.options.maxBodyBytes);
        if (p.options.ownsKeepaliveTimeout())
            pool.insert(QStringLiteral("keepalive_timeout"), p.options.keepaliveTimeoutMs);
        if (p.options.ownsMaxIdlePerServer())
            pool.insert(QStringLiteral("max_idle_per_server"), p.options.maxIdlePerServer);
        if (p.options.keepaliveRequests > 0)
            pool.insert(QStringLiteral("keepalive_requests"), p.options.keepaliveRequests);
        if (p.options.keepaliveTimeMs > 0)
            pool.insert(QStringLiteral("keepalive_time"), p.options.keepaliveTimeMs);
        pools.append(pool);
    }
    root.insert(QStringLiteral("pools"), pools);

    QJsonArray redis;
    QJsonArray locks;
    for (const LockEndpointConfig &lock : config.locks) {
        if (lock.isMysql()) {
            const MysqlEndpointConfig &m = lock.mysql;
            QJsonObject endpoint{{QStringLiteral("backend"), lock.backend},
                                 {QStringLiteral("name"), m.name},
                                 {QStringLiteral("url"), m.url},
                                 {QStringLiteral("query_timeout"), m.queryTimeoutMs},
                                 {QStringLiteral("long_held"), m.longHeldMs},
                                 {QStringLiteral("poll_interval"), m.pollIntervalMs}};
            if (m.password.kind != SecretSource::None)
                endpoint.insert(QStringLiteral("password"), secretText(m.password));
            if (m.lockTables != MysqlEndpointConfig().lockTables)
                endpoint.insert(QStringLiteral("lock_tables"), lockTablesJson(m.lockTables));
            locks.append(endpoint);
            continue;
        }
        if (lock.isPostgres()) {
            const PostgresEndpointConfig &p = lock.postgres;
            QJsonObject endpoint{{QStringLiteral("backend"), lock.backend},
                                 {QStringLiteral("name"), p.name},
                                 {QStringLiteral("url"), p.url},
                                 {QStringLiteral("blocking_chains"), p.blockingChains},
                                 {QStringLiteral("max_locks"), p.maxLocks},
                                 {QStringLiteral("query_timeout"), p.queryTimeoutMs},
                                 {QStringLiteral("long_held"), p.longHeldMs},
                                 {QStringLiteral("poll_interval"), p.pollIntervalMs}};
            if (p.password.kind != SecretSource::None)
                endpoint.insert(QStringLiteral("password"), secretText(p.password));
            if (p.lockTables != PostgresEndpointConfig().lockTables)
                endpoint.insert(QStringLiteral("lock_tables"), lockTablesJson(p.lockTables));
            locks.append(endpoint);
            continue;
        }
        if (lock.isEtcd()) {
            const EtcdEndpointConfig &e = lock.etcd;
            QJsonObject endpoint{{QStringLiteral("backend"), lock.backend},
                                 {QStringLiteral("name"), e.name},
                                 {QStringLiteral("endpoints"), QJsonArray::fromStringList(e.endpoints)},
                                 {QStringLiteral("page_size"), e.pageSize},
                                 {QStringLiteral("max_keys"), e.maxKeys},
                                 {QStringLiteral("long_held"), e.longHeldMs},
                                 {QStringLiteral("long_lease"), e.longLeaseMs},
                                 {QStringLiteral("poll_interval"), e.pollIntervalMs},
                                 {QStringLiteral("watch"), e.watch},
                                 {QStringLiteral("reconcile_interval"), e.reconcileIntervalMs}};
            if (!e.prefixes.isEmpty())
                endpoint.insert(QStringLiteral("prefixes"), QJsonArray::fromStringList(e.prefixes));
            if (!e.user.isEmpty())
                endpoint.insert(QStringLiteral("user"), e.user);
            if (e.password.kind != SecretSource::None)
                endpoint.insert(QStringLiteral("password"), secretText(e.password));
            for (const auto &[key, file] : {std::pair{QStringLiteral("ca_file"), e.caFile}, std::pair{QStringLiteral("cert_file"), e.certFile},
                                            std::pair{QStringLiteral("key_file"), e.keyFile}}) {
                if (!file.isEmpty())
                    endpoint.insert(key, file);
            }
            locks.append(endpoint);
            continue;
        }
        if (lock.isZooKeeper()) {
            const ZooKeeperEndpointConfig &z = lock.zookeeper;
            QJsonObject endpoint{{QStringLiteral("backend"), lock.backend},
                                 {QStringLiteral("name"), z.name},
                                 {QStringLiteral("hosts"), z.hosts + z.chroot},
                                 {QStringLiteral("paths"), QJsonArray::fromStringList(z.paths)},
                                 {QStringLiteral("max_depth"), z.maxDepth},
                                 {QStringLiteral("max_nodes"), z.maxNodes},
                                 {QStringLiteral("session_timeout"), z.sessionTimeoutMs},
                                 {QStringLiteral("four_letter_words"), z.fourLetterWords},
                                 {QStringLiteral("waiter_details"), z.waiterDetails},
                                 {QStringLiteral("long_held"), z.longHeldMs},
                                 {QStringLiteral("poll_interval"), z.pollIntervalMs},
                                 {QStringLiteral("watch"), z.watch},
                                 {QStringLiteral("reconcile_interval"), z.reconcileIntervalMs}};
            if (!z.user.isEmpty())
                endpoint.insert(QStringLiteral("user"), z.user);
            if (z.password.kind != SecretSource::None)
                endpoint.insert(QStringLiteral("password"), secretText(z.password));
            locks.append(endpoint);
            continue;
        }
        const RedisEndpointConfig &r = lock.redis;
        QJsonObject endpoint{{QStringLiteral("name"), r.name}};
        using Topology = RedisEndpointConfig::Topology;
        if (r.topology == Topology::Node) {
            endpoint.insert(QStringLiteral("url"), r.url());
        } else {
            const QString scheme = r.tls ? QStringLiteral("rediss://") : QStringLiteral("redis://");
            QJsonArray nodes;
            for (const QString &node : r.nodes)
                nodes.append(scheme + node);
            endpoint.insert(r.topology == Topology::Cluster ? QStringLiteral("cluster")
                            : r.topology == Topology::Sentinel ? QStringLiteral("sentinels") : QStringLiteral("redlock"), nodes);
            if (r.topology == Topology::Sentinel) {
                endpoint.insert(QStringLiteral("master_name"), r.masterName);
                if (!r.sentinelUser.isEmpty())
                    endpoint.insert(QStringLiteral("sentinel_user"), r.sentinelUser);
                if (r.sentinelPassword.kind != SecretSource::None)
                    endpoint.insert(QStringLiteral("sentinel_password"), secretText(r.sentinelPassword));
            }
            if (r.topology != Topology::Cluster && r.database != 0)
                endpoint.insert(QStringLiteral("database"), r.database);
            if (!r.user.isEmpty())
                endpoint.insert(QStringLiteral("user"), r.user);
        }
        if (r.tls) {
            for (const auto &[key, value] : {std::pair{QStringLiteral("ca_file"), r.caFile}, std::pair{QStringLiteral("cert_file"), r.certFile},
                                             std::pair{QStringLiteral("key_file"), r.keyFile}, std::pair{QStringLiteral("server_name"), r.serverName}}) {
                if (!value.isEmpty())
                    endpoint.insert(key, value);
            }
            if (r.tlsInsecure)
                endpoint.insert(QStringLiteral("tls_insecure"), true);
        }
        if (r.scanCount != RedisEndpointConfig().scanCount)
            endpoint.insert(QStringLiteral("scan_count"), r.scanCount);
        if (r.notifications != RedisEndpointConfig().notifications)
            endpoint.insert(QStringLiteral("notifications"), RedisEndpointConfig::notificationsName(r.notifications));
        if (r.reconcileIntervalMs != RedisEndpointConfig().reconcileIntervalMs)
            endpoint.insert(QStringLiteral("reconcile_interval"), r.reconcileIntervalMs);
        if (r.password.kind != SecretSource::None)
            endpoint.insert(QStringLiteral("password"), secretText(r.password));
        endpoint.insert(QStringLiteral("lock_patterns"), QJsonArray::fromStringList(r.lockPatterns));
        endpoint.insert(QStringLiteral("long_held"), r.longHeldMs);
        endpoint.insert(QStringLiteral("poll_interval"), r.pollIntervalMs);
        redis.append(endpoint);
    }
    if (!redis.isEmpty())
        root.insert(QStringLiteral("redis"), redis);
    if (!locks.isEmpty())
        root.insert(QStringLiteral("locks"), locks);
    const AdminConfig defaultAdmin;
    if (!(config.admin == defaultAdmin)) {
        QJsonObject admin{{QStringLiteral("listen"), QStringLiteral("%1:%2").arg(config.admin.host).arg(config.admin.port)}};
        if (config.admin.allowNonLoopback)
            admin.insert(QStringLiteral("allow_non_loopback"), true);
        if (!config.admin.tokenFile.isEmpty())
            admin.insert(QStringLiteral("token_file"), config.admin.tokenFile);
        if (!config.admin.readOnlyTokenFile.isEmpty())
            admin.insert(QStringLiteral("read_only_token_file"), config.admin.readOnlyTokenFile);
        if (config.admin.hasTls()) {
            QJsonObject tls{{QStringLiteral("cert"), config.admin.tlsCertFile}, {QStringLiteral("key"), config.admin.tlsKeyFile}};
            if (!config.admin.tlsClientCaFile.isEmpty())
                tls.insert(QStringLiteral("client_ca"), config.admin.tlsClientCaFile);
            admin.insert(QStringLiteral("tls"), tls);
        }
        root.insert(QStringLiteral("admin"), admin);
    }
    // "7d" where that reads back exactly, else milliseconds (the parser takes both).
    const auto duration = [](qint64 ms) {
        const QString text = formatDurationMs(ms);
        return parseDurationMs(text) == ms ? QJsonValue(text) : QJsonValue(ms);
    };
    const ProxyConfig defaultProxy;
    if (!(config.proxy == defaultProxy)) {
        QJsonObject proxy;
        const auto put = [&](const char *key, qint64 value, qint64 fallback, bool isDuration) {
            if (value != fallback)
                proxy.insert(QLatin1StringView(key), isDuration ? duration(value) : QJsonValue(value));
        };
        put("workers", config.proxy.workers, defaultProxy.workers, false);
        put("connect_timeout", config.proxy.connectTimeoutMs, defaultProxy.connectTimeoutMs, true);
        put("header_timeout", config.proxy.headerTimeoutMs, defaultProxy.headerTimeoutMs, true);
        put("idle_timeout", config.proxy.idleTimeoutMs, defaultProxy.idleTimeoutMs, true);
        put("response_timeout", config.proxy.responseTimeoutMs, defaultProxy.responseTimeoutMs, true);
        put("max_header_bytes", config.proxy.maxHeaderBytes, defaultProxy.maxHeaderBytes, false);
        put("max_body_bytes", config.proxy.maxBodyBytes, defaultProxy.maxBodyBytes, false);
        put("max_idle_per_server", config.proxy.maxIdlePerServer, defaultProxy.maxIdlePerServer, false);
        put("stop_timeout", config.proxy.stopTimeoutMs, defaultProxy.stopTimeoutMs, true);
        put("tunnel_timeout", config.proxy.tunnelTimeoutMs, defaultProxy.tunnelTimeoutMs, true);
        put("client_keepalive_requests", config.proxy.clientKeepaliveRequests, defaultProxy.clientKeepaliveRequests, false);
        put("client_keepalive_time", config.proxy.clientKeepaliveTimeMs, defaultProxy.clientKeepaliveTimeMs, true);
        const ResolverConfig &resolver = config.proxy.resolver;
        if (resolver.enabled()) {
            QJsonObject r{{QStringLiteral("nameservers"), QJsonArray::fromStringList(resolver.nameservers)}};
            if (resolver.validMs != ResolverConfig{}.validMs)
                r.insert(QStringLiteral("valid"), duration(resolver.validMs));
            if (resolver.retryMs != ResolverConfig{}.retryMs)
                r.insert(QStringLiteral("retry"), duration(resolver.retryMs));
            proxy.insert(QStringLiteral("resolver"), r);
        }
        const AccessLogConfig &accessLog = config.proxy.accessLog;
        if (accessLog.enabled()) {
            QJsonObject a{{QStringLiteral("path"), accessLog.path}};
            if (accessLog.format == AccessLogConfig::Format::Json)
                a.insert(QStringLiteral("format"), QStringLiteral("json"));
            if (accessLog.errorsOnly)
                a.insert(QStringLiteral("only"), QStringLiteral("errors"));
            proxy.insert(QStringLiteral("access_log"), a);
        }
        root.insert(QStringLiteral("proxy"), proxy);
    }
    const HistoryConfig defaultHistory;
    if (!(config.history == defaultHistory)) {
        QJsonObject history{{QStringLiteral("retention"), QJsonObject{{QStringLiteral("raw"), duration(config.history.rawMs)},
                                                                       {QStringLiteral("minute"), duration(config.history.minuteMs)},
                                                                       {QStringLiteral("hour"), duration(config.history.hourMs)}}}};
        if (!config.history.path.isEmpty())
            history.insert(QStringLiteral("path"), config.history.path);
        root.insert(QStringLiteral("history"), history);
    }
    if (!config.stateDir.isEmpty())
        root.insert(QStringLiteral("state_dir"), config.stateDir);
    return root;
}

} // namespace fulcrum
