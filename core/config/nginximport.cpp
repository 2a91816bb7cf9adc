#include "nginximport.h"

#include "common/duration.h"
#include "common/socketaddress.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QHostAddress>
#include <QHash>
#include <QMap>
#include <QRegularExpression>
#include <QSet>

#include <array>
#include <algorithm>
#include <limits>
#include <memory>
#include <optional>

namespace fulcrum {

namespace {

struct Directive
{
    QString name;
    QStringList args;
    QString file;   // the file it was read from: the imported one, or one it includes
    int line = 0;
    std::vector<Directive> children;
    bool block = false;
};

// The URI variable a `hash` key is made of: $request_uri first, else $uri or $document_uri
// (written bare or as ${name}); empty when it has none.
QString uriVariableOf(const QString &key)
{
    QStringList variables;
    for (qsizetype i = key.indexOf(u'$'); i >= 0; i = key.indexOf(u'$', i + 1)) {
        qsizetype start = i + 1;
        const bool braced = start < key.size() && key[start] == u'{';
        start += braced ? 1 : 0;
        qsizetype end = start;
        while (end < key.size() && (key[end].isLetterOrNumber() || key[end] == u'_'))
            ++end;
        variables << u'$' + key.mid(start, end - start);
    }
    for (const QString &name : {QStringLiteral("$request_uri"), QStringLiteral("$uri"), QStringLiteral("$document_uri")}) {
        if (variables.contains(name))
            return name;
    }
    return {};
}

class NginxParser
{
public:
    NginxParser(const QByteArray &text, const QString &file, QStringList &errors)
        : m_text(QString::fromUtf8(text)), m_file(file), m_errors(errors)
    {
    }

    std::vector<Directive> parse()
    {
        std::vector<Directive> top;
        parseBlock(top, 0);
        return top;
    }

private:
    bool parseBlock(std::vector<Directive> &out, int depth)
    {
        Directive current;
        while (true) {
            QString token;
            int line = 0;
            const Token kind = next(token, line);
            if (kind == End) {
                if (depth > 0)
                    m_errors << QStringLiteral("%1:%2: unexpected end of file: a block is not closed with }").arg(m_file).arg(line);
                else if (!current.name.isEmpty())
                    m_errors << QStringLiteral("%1:%2: directive \"%3\" is not terminated by ;").arg(m_file).arg(current.line).arg(current.name);
                return depth == 0;
            }
            if (kind == Word) {
                if (current.name.isEmpty()) {
                    current.name = token;
                    current.file = m_file;
                    current.line = line;
                } else {
                    current.args << token;
                }
            } else if (kind == Semicolon) {
                if (!current.name.isEmpty())
                    out.push_back(std::move(current));
                current = Directive{};
            } else if (kind == Open) {
                current.block = true;
                if (!parseBlock(current.children, depth + 1))
                    return false;
                out.push_back(std::move(current));
                current = Directive{};
            } else if (kind == Close) {
                if (depth == 0) {
                    m_errors << QStringLiteral("%1:%2: unexpected }").arg(m_file).arg(line);
                    return false;
                }
                return true;
            }
        }
    }

    enum Token { Word, Semicolon, Open, Close, End };

    Token next(QString &token, int &line)
    {
        while (m_pos < m_text.size()) {
            const QChar c = m_text[m_pos];
            if (c == u'\n') {
                ++m_line;
                ++m_pos;
            } else if (c.isSpace()) {
                ++m_pos;
            } else if (c == u'#') {
                while (m_pos < m_text.size() && m_text[m_pos] != u'\n')
                    ++m_pos;
            } else {
                break;
            }
        }
        line = m_line;
        if (m_pos >= m_text.size())
            return End;
        const QChar c = m_text[m_pos];
        if (c == u';' || c == u'{' || c == u'}') {
            ++m_pos;
            return c == u';' ? Semicolon : c == u'{' ? Open : Close;
        }
        if (c == u'"' || c == u'\'') {
            ++m_pos;
            while (m_pos < m_text.size() && m_text[m_pos] != c) {
                if (m_text[m_pos] == u'\\' && m_pos + 1 < m_text.size())
                    ++m_pos;
                if (m_text[m_pos] == u'\n')
                    ++m_line;
                token += m_text[m_pos++];
            }
            ++m_pos;
            return Word;
        }
        // As nginx's ngx_conf_read_token: a word ends at a space, ';' or '{', except the '{' of
        // a variable's "${name}"; a '}' inside a word is part of it.
        while (m_pos < m_text.size() && !m_text[m_pos].isSpace() && m_text[m_pos] != u';'
               && (m_text[m_pos] != u'{' || (!token.isEmpty() && token.back() == u'$')))
            token += m_text[m_pos++];
        return Word;
    }

    QString m_text;
    QString m_file;
    QStringList &m_errors;
    qsizetype m_pos = 0;
    int m_line = 1;
};

// nginx's `include`: the directives of the files it names take its place, in the block it stands
// in; a glob's files in sorted order, as nginx reads them. nginx reads a relative path from its
// prefix (/etc/nginx in Debian's build); the imported file's own folder is the guess, as for
// certificates. A file that cannot be read here is a note, not an error: an import often runs
// away from the machine nginx runs on, and what it could read still carries over. Whatever an
// include does not bring in is said, since its upstreams would be missing without a trace.
void expandIncludes(std::vector<Directive> &directives, const QDir &prefix, int depth, QStringList &errors, QStringList &notes)
{
    std::vector<Directive> out;
    out.reserve(directives.size());
    for (Directive &d : directives) {
        if (d.block || d.name != u"include") {
            if (d.block)
                expandIncludes(d.children, prefix, depth, errors, notes);
            out.push_back(std::move(d));
            continue;
        }
        const QString at = QStringLiteral("%1:%2: include %3").arg(d.file).arg(d.line).arg(d.args.join(u' '));
        if (d.args.size() != 1) {
            notes << QStringLiteral("%1: skipped: include takes one file or glob").arg(at);
            continue;
        }
        if (depth >= kMaxImportIncludeDepth) {
            errors << QStringLiteral("%1: files include each other more than %2 deep (a loop?); fix the include lines").arg(at).arg(kMaxImportIncludeDepth);
            return;
        }
        const QString pattern = QDir::cleanPath(prefix.absoluteFilePath(d.args.first()));
        const QStringList files = filesMatching(pattern);
        if (files.isEmpty()) {
            notes << QStringLiteral("%1: no file %2 here, so nothing in it is imported; run the import where nginx's files are, "
                                    "or import that file too").arg(at, pattern);
            continue;
        }
        for (const QString &path : std::as_const(files)) {
            QFile file(path);
            if (QFileInfo(path).isDir() || !file.open(QIODevice::ReadOnly)) {
                notes << QStringLiteral("%1: cannot read %2 (%3), so nothing in it is imported")
                             .arg(at, path, QFileInfo(path).isDir() ? QStringLiteral("a folder") : file.errorString());
                continue;
            }
            NginxParser parser(file.readAll(), path, errors);
            std::vector<Directive> included = parser.parse();
            if (errors.isEmpty())
                expandIncludes(included, prefix, depth + 1, errors, notes);
            if (!errors.isEmpty())
                return;
            for (Directive &each : included)
                out.push_back(std::move(each));
        }
    }
    directives = std::move(out);
}

// nginx's time ("60s", "1m30s", "500ms", a bare number of seconds) in milliseconds.
std::optional<qint64> nginxTimeMs(const QString &text)
{
    static const QRegularExpression part(QStringLiteral("(\\d+)(ms|s|m|h|d|w)?"));
    qint64 total = 0;
    qsizetype at = 0;
    while (at < text.size()) {
        const QRegularExpressionMatch m = part.match(text, at, QRegularExpression::NormalMatch, QRegularExpression::AnchorAtOffsetMatchOption);
        if (!m.hasMatch() || m.capturedLength() == 0)
            return std::nullopt;
        const QString unit = m.captured(2);
        const qint64 scale = unit == u"ms" ? 1 : unit == u"m" ? 60'000 : unit == u"h" ? 3'600'000 : unit == u"d" ? 86'400'000 : unit == u"w" ? 604'800'000 : 1000;
        total += m.captured(1).toLongLong() * scale;
        at += m.capturedLength();
    }
    return text.isEmpty() ? std::nullopt : std::optional<qint64>(total);
}

// The http upstreams; those of `stream {}` (TCP and UDP balancing) go to `streamUpstreams`.
void collectUpstreams(const std::vector<Directive> &directives, std::vector<const Directive *> &upstreams, std::vector<const Directive *> &streamUpstreams)
{
    for (const Directive &d : directives) {
        if (d.name == u"upstream" && d.block)
            upstreams.push_back(&d);
        else if (d.name == u"stream" && d.block)
            collectUpstreams(d.children, streamUpstreams, streamUpstreams);
        else if (d.block)
            collectUpstreams(d.children, upstreams, streamUpstreams);
    }
}

// nginx's "HOST[:PORT]" or "[IPV6][:PORT]" as host and port text (`defaultPort` when none is
// written), for an upstream's servers and a proxy_pass to an address alike.
// A server block's proxy_pass: the upstream (or address) it names, in which location.
struct ProxyPass
{
    QString target;     // "shop" of http://shop/api/, "127.0.0.1:8080" of http://127.0.0.1:8080
    QString location;   // "/api/", "~ \.php$"; empty outside a location
    const Directive *at;
    const Directive *block;   // the location it stands in, else nullptr (the server block)
    bool https = false;       // proxy_pass https://: TLS to the servers
};

void collectProxyPasses(const std::vector<Directive> &directives, const QString &location, const Directive *block, std::vector<ProxyPass> &passes)
{
    for (const Directive &d : directives) {
        if ((d.name == u"proxy_pass") && !d.args.isEmpty()) {
            QString target = d.args.first();
            const bool https = target.startsWith(QStringLiteral("https://"));
            target.remove(QStringLiteral("http://")).remove(QStringLiteral("https://"));
            passes.push_back({target.section(u'/', 0, 0), location, &d, block, https});
        } else if (d.block) {
            const bool isLocation = d.name == u"location";
            collectProxyPasses(d.children, isLocation ? d.args.join(u' ') : location, isLocation ? &d : block, passes);
        }
    }
}

// nginx's size ("1m", "512k", "2g", a bare number of bytes) in bytes.
std::optional<qint64> nginxSize(const QString &text)
{
    static const QRegularExpression size(QStringLiteral("^(\\d+)([kKmMgG]?)$"));
    const QRegularExpressionMatch m = size.match(text);
    if (!m.hasMatch())
        return std::nullopt;
    const QChar unit = m.captured(2).isEmpty() ? QChar() : m.captured(2).at(0).toLower();
    return m.captured(1).toLongLong() * (unit == u'k' ? 1024 : unit == u'm' ? 1024 * 1024 : unit == u'g' ? qint64(1024) * 1024 * 1024 : 1);
}

// A proxy_pass straight to an address (no upstream of that name): nginx's one server. The
// pool's name is the address with '.' and ':' as '-' ("127-0-0-1-8080"); nullopt for a target
// made of variables, which only nginx can work out at run time.
std::optional<BackendSpec> directServer(const ProxyPass &pass)
{
    const QString &target = pass.target;
    if (target.isEmpty() || target.contains(u'$') || (target.startsWith(u'[') && !target.contains(u']')))
        return std::nullopt;
    QString host;
    QString port;
    splitHostPort(target, pass.https ? QStringLiteral("443") : QStringLiteral("80"), &host, &port);
    bool ok = false;
    const uint portNumber = port.toUInt(&ok);
    if (!ok || portNumber == 0 || portNumber > 65535 || host.isEmpty())
        return std::nullopt;
    BackendSpec s;
    s.name = target;
    s.host = host;
    s.port = quint16(portNumber);
    return s;
}

void collectServers(const std::vector<Directive> &directives, std::vector<const Directive *> &servers)
{
    for (const Directive &d : directives) {
        if (d.name == u"server" && d.block)
            servers.push_back(&d);
        else if (d.block && d.name != u"upstream" && d.name != u"stream")
            collectServers(d.children, servers);
    }
}

// A whole number above 0, as nginx reads keepalive_requests.
std::optional<qint64> positiveCount(const QString &text)
{
    bool ok = false;
    const qint64 n = text.toLongLong(&ok);
    return ok && n > 0 ? std::optional<qint64>(n) : std::nullopt;
}

// large_client_header_buffers "4 8k": the most a request's head could take, number × size.
std::optional<qint64> headerBuffers(const QStringList &args)
{
    if (args.size() != 2)
        return std::nullopt;
    const qint64 size = nginxSize(args.at(1)).value_or(0);
    const qint64 number = positiveCount(args.at(0)).value_or(0);
    return size > 0 && number > 0 ? std::optional<qint64>(number * size) : std::nullopt;
}

// The client side of each listener, as nginx applied it to the block (its own directive, else
// the http block's; null: nginx's default).
struct ClientBlock
{
    const Directive *keepaliveRequests = nullptr;
    const Directive *keepaliveTime = nullptr;
    const Directive *keepaliveTimeout = nullptr;
    const Directive *headerBuffers = nullptr;
};

// The largest of the listeners' values of one directive: Fulcrum has these once, proxy-wide,
// so that no client is cut sooner than nginx cut it. Values nginx would not read are noted.
struct Largest
{
    std::optional<qint64> value;
    const Directive *at = nullptr;   // null: nginx's default
    bool differs = false;
};
Largest largestOf(const std::vector<ClientBlock> &blocks, const Directive *ClientBlock::*member, const char *directive, qint64 nginxDefault,
                  std::optional<qint64> (*parse)(const QStringList &), NginxImportResult &result)
{
    Largest largest;
    QSet<const Directive *> refused;
    for (const ClientBlock &block : blocks) {
        const Directive *d = block.*member;
        const std::optional<qint64> value = d ? parse(d->args) : std::optional<qint64>(nginxDefault);
        if (!value) {
            if (!refused.contains(d))
                result.notes << QStringLiteral("%1:%2: %3 %4 not carried over: not a value nginx reads").arg(d->file).arg(d->line).arg(QLatin1StringView(directive), d->args.join(u' '));
            refused.insert(d);
            continue;
        }
        largest.differs = largest.differs || (largest.value && *largest.value != *value);
        if (!largest.value || *value > *largest.value) {
            largest.value = value;
            largest.at = d;
        }
    }
    return largest;
}

QString whereOf(const Largest &largest, const char *directive)
{
    const Directive *at = largest.at;
    return at ? QStringLiteral("%1:%2: %3 %4").arg(at->file).arg(at->line).arg(QLatin1StringView(directive), at->args.join(u' '))
              : QStringLiteral("%1 (nginx's default where it is not set)").arg(QLatin1StringView(directive));
}

// nginx's client side, proxy-wide in Fulcrum: keepalive_requests (default 1000) and
// keepalive_time (1h) end a client connection; keepalive_timeout (75s; 0: none kept) is how long
// an idle one is kept; large_client_header_buffers (4 8k) bounds a request's head.
void carryClientSide(const std::vector<ClientBlock> &blocks, NginxImportResult &result)
{
    if (blocks.empty())
        return;
    ProxyConfig &proxy = result.config.proxy;
    const auto count = [](const QStringList &args) { return positiveCount(args.value(0)); };
    const auto time = [](const QStringList &args) { return nginxTimeMs(args.value(0)); };
    const QString ofThe = QStringLiteral("; the largest of the imported server blocks' values");

    struct Setting
    {
        const Directive *ClientBlock::*member;
        const char *directive;
        const char *key;
        qint64 nginxDefault;
        qint64 ceiling;
        qint64 ProxyConfig::*field;
        std::optional<qint64> (*parse)(const QStringList &);
        bool isDuration;
    };
    const Setting settings[] = {{&ClientBlock::keepaliveRequests, "keepalive_requests", "client_keepalive_requests", 1000, 1'000'000'000,
                                 &ProxyConfig::clientKeepaliveRequests, count, false},
                                {&ClientBlock::keepaliveTime, "keepalive_time", "client_keepalive_time", 3'600'000, 7 * 86'400'000LL,
                                 &ProxyConfig::clientKeepaliveTimeMs, time, true}};
    for (const Setting &s : settings) {
        const Largest largest = largestOf(blocks, s.member, s.directive, s.nginxDefault, s.parse, result);
        if (!largest.value)
            continue;
        const qint64 value = std::min(*largest.value, s.ceiling);
        proxy.*(s.field) = value;
        result.notes << QStringLiteral("%1: proxy.%2 = %3 (a client connection's request %4 is its last)%5%6")
                            .arg(whereOf(largest, s.directive), QLatin1StringView(s.key), s.isDuration ? formatDurationMs(value) : QString::number(value),
                                 s.isDuration ? QStringLiteral("after that long") : QStringLiteral("of that number"),
                                 value != *largest.value ? QStringLiteral(" (Fulcrum's limit)") : QString(), largest.differs ? ofThe : QString());
    }

    // keepalive_timeout: proxy.idle_timeout, which is also the pools' server keep-alive where a
    // pool sets none; those keep nginx's 60 s (its upstream keepalive_timeout default) as before.
    const Largest idle = largestOf(blocks, &ClientBlock::keepaliveTimeout, "keepalive_timeout", 75'000, time, result);
    // One note per directive, though an http block's is inherited by several listeners.
    QSet<const Directive *> saidOnce[2];
    const auto firstTime = [&saidOnce](int note, const Directive *d) {
        const bool first = !saidOnce[note].contains(d);
        saidOnce[note].insert(d);
        return first;
    };
    for (const ClientBlock &block : blocks) {
        if (block.keepaliveTimeout && block.keepaliveTimeout->args.size() > 1 && firstTime(0, block.keepaliveTimeout))
            result.notes << QStringLiteral("%1:%2: keepalive_timeout %3: the second value (nginx's \"Keep-Alive: timeout=\" header) is not sent; "
                                           "clients learn the end of a kept connection from its close")
                                .arg(block.keepaliveTimeout->file).arg(block.keepaliveTimeout->line).arg(block.keepaliveTimeout->args.join(u' '));
    }
    if (idle.value && *idle.value == 0) {
        // nginx kept no client connection: each answer is its connection's last.
        proxy.clientKeepaliveRequests = 1;
        result.notes << QStringLiteral("%1: nginx kept no client connection alive; proxy.client_keepalive_requests = 1 (every answer says \"Connection: close\")")
                            .arg(whereOf(idle, "keepalive_timeout"));
    } else if (idle.value) {
        const qint64 value = std::min<qint64>(*idle.value, 3'600'000);
        for (const ClientBlock &block : blocks) {
            if (block.keepaliveTimeout && nginxTimeMs(block.keepaliveTimeout->args.value(0)) == 0 && firstTime(1, block.keepaliveTimeout))
                result.notes << QStringLiteral("%1:%2: keepalive_timeout 0 not carried over for this block: Fulcrum's idle_timeout is proxy-wide, so its clients are "
                                               "kept alive %3 too (set proxy.client_keepalive_requests to 1 to end every connection after one answer)")
                                    .arg(block.keepaliveTimeout->file).arg(block.keepaliveTimeout->line).arg(formatDurationMs(value));
        }
        if (value != proxy.idleTimeoutMs) {
            QStringList pinned;
            for (PoolConfig &pool : result.config.pools) {
                if (pool.options.keepaliveTimeoutMs == 0) {
                    pool.options.keepaliveTimeoutMs = 60'000;
                    pinned << QStringLiteral("pools[\"%1\"]").arg(pool.name);
                }
            }
            if (!pinned.isEmpty())
                result.notes << QStringLiteral("%1.keepalive_timeout = 60s (nginx's for connections to an upstream's servers, which proxy.idle_timeout would "
                                               "otherwise set)").arg(pinned.join(QStringLiteral(", ")));
        }
        proxy.idleTimeoutMs = value;
        result.notes << QStringLiteral("%1: proxy.idle_timeout = %2 (how long a client connection may wait for its next request)%3%4")
                            .arg(whereOf(idle, "keepalive_timeout"), formatDurationMs(value),
                                 value != *idle.value ? QStringLiteral(" (Fulcrum's limit)") : QString(), idle.differs ? ofThe : QString());
    }

    // large_client_header_buffers: nginx took a request line and each header line of up to one
    // buffer, and a head of up to all of them; Fulcrum bounds the head as a whole.
    const Largest head = largestOf(blocks, &ClientBlock::headerBuffers, "large_client_header_buffers", 4 * 8192, headerBuffers, result);
    if (head.value) {
        const qint64 value = std::clamp<qint64>(*head.value, 1024, 1024 * 1024);
        proxy.maxHeaderBytes = value;
        result.notes << QStringLiteral("%1: proxy.max_header_bytes = %2 (a bigger request head gets 431; nginx also limited each line to one buffer)%3%4")
                            .arg(whereOf(head, "large_client_header_buffers")).arg(value)
                            .arg(value != *head.value ? QStringLiteral(" (Fulcrum's limit)") : QString(), head.differs ? ofThe : QString());
    }
}

// The http block that holds `server` (ssl_* set there apply to every server block in it).
const Directive *enclosingHttp(const std::vector<Directive> &directives, const Directive *server)
{
    for (const Directive &d : directives) {
        if (!d.block)
            continue;
        for (const Directive &child : d.children) {
            if (&child == server)
                return d.name == u"http" ? &d : nullptr;
        }
        if (const Directive *found = enclosingHttp(d.children, server))
            return found;
    }
    return nullptr;
}

// A directive's arguments in the location (if given), else the server block, else its http
// block (nginx's inheritance).
const Directive *inherited(const Directive *server, const Directive *http, const QString &name, const Directive *location = nullptr)
{
    for (const Directive *block : {location, server, http}) {
        if (!block)
            continue;
        for (const Directive &d : block->children) {
            if (d.name == name && !d.args.isEmpty())
                return &d;
        }
    }
    return nullptr;
}

// What a server block or location did that Fulcrum does not: each directive the import does
// not read, noted where it stands, so that no rate limit, access rule, redirect or header a shop
// relied on goes missing without a word. Reasons for the ones that matter most; the rest get
// "no Fulcrum equivalent". Directives the import reads (or that only tune nginx itself) are
// passed over.
QString whyNotCarried(const QString &name)
{
    static const QHash<QString, QString> reasons = [] {
        QHash<QString, QString> r;
        const auto add = [&r](std::initializer_list<const char *> names, const QString &why) {
            for (const char *n : names)
                r.insert(QLatin1StringView(n), why);
        };
        add({"add_header", "more_set_headers"}, QStringLiteral("Fulcrum adds no response header of its own (but Via); set it in the application"));
        add({"proxy_hide_header", "proxy_pass_header", "proxy_ignore_headers"}, QStringLiteral("Fulcrum passes the servers' headers as they are"));
        add({"limit_req", "limit_conn", "limit_rate", "limit_rate_after"},
            QStringLiteral("Fulcrum does not limit clients' requests, connections or bandwidth (pools[].servers[].max_connections limits what each server gets)"));
        add({"allow", "deny", "auth_basic", "auth_basic_user_file", "auth_request", "satisfy", "ssl_verify_client", "ssl_client_certificate"},
            QStringLiteral("Fulcrum does no access control here, so every client reaches the servers: keep it in a firewall or in the application"));
        add({"return", "rewrite"}, QStringLiteral("Fulcrum does not answer or rewrite requests itself; every request goes to the listener's pool"));
        add({"root", "alias", "try_files", "index", "autoindex", "expires"}, QStringLiteral("Fulcrum serves no files; every request goes to the listener's pool"));
        add({"error_page", "proxy_intercept_errors"}, QStringLiteral("clients get the servers' own error pages, and Fulcrum's for 502, 503 and 504"));
        add({"proxy_next_upstream", "proxy_next_upstream_tries", "proxy_next_upstream_timeout"},
            QStringLiteral("Fulcrum sends a request to another server once when the connection fails or the server closes it unanswered (an idempotent "
                           "request), not on a status such as 502"));
        add({"proxy_cache", "proxy_cache_valid", "proxy_cache_key", "proxy_cache_bypass", "proxy_no_cache", "proxy_cache_use_stale", "proxy_cache_lock"},
            QStringLiteral("Fulcrum caches nothing; every request reaches a server"));
        add({"gzip", "gzip_types", "gzip_proxied", "gzip_comp_level", "gzip_min_length", "gzip_vary"},
            QStringLiteral("Fulcrum does not compress answers; the servers' own compression passes through"));
        add({"set_real_ip_from", "real_ip_header", "real_ip_recursive"},
            QStringLiteral("Fulcrum takes the client's address from the connection, and appends it to the X-Forwarded-For the client sent"));
        add({"ssl_stapling", "ssl_stapling_verify", "ssl_trusted_certificate"},
            QStringLiteral("Fulcrum staples an OCSP response file it is given (ssl_stapling_file), it does not fetch one"));
        add({"sub_filter", "sub_filter_once", "sub_filter_types", "ssi"}, QStringLiteral("Fulcrum does not change response bodies"));
        return r;
    }();
    return reasons.value(name);
}

// Directives the import reads, or that tune only nginx itself: no note.
bool carriedOrNginxOwn(const QString &name)
{
    static const QSet<QString> names = [] {
        QSet<QString> n;
        for (const char *name : {"listen", "server_name", "proxy_pass", "proxy_http_version", "proxy_buffering", "proxy_request_buffering", "proxy_buffer_size",
                                 "proxy_buffers", "proxy_busy_buffers_size", "proxy_read_timeout", "proxy_connect_timeout", "proxy_send_timeout",
                                 "client_max_body_size", "client_body_buffer_size", "client_header_buffer_size", "client_body_timeout",
                                 "client_header_timeout", "send_timeout", "keepalive_requests", "keepalive_time", "keepalive_timeout",
                                 "large_client_header_buffers", "access_log", "error_log", "log_not_found", "ssl_certificate", "ssl_certificate_key",
                                 "ssl_stapling_file", "ssl_protocols", "ssl_session_tickets", "ssl_ciphers", "ssl_session_cache", "ssl_session_timeout",
                                 "ssl_prefer_server_ciphers", "ssl_dhparam", "ssl_ecdh_curve", "ssl_buffer_size", "ssl_session_ticket_key", "http2",
                                 "resolver", "resolver_timeout", "include", "sendfile", "tcp_nopush", "tcp_nodelay", "server_tokens", "charset",
                                 "types", "default_type", "server_name_in_redirect", "port_in_redirect", "absolute_redirect", "reset_timedout_connection",
                                 "lingering_close", "lingering_time", "lingering_timeout", "proxy_ssl_server_name"})
            n.insert(QLatin1StringView(name));
        return n;
    }();
    return names.contains(name) || name.startsWith(QStringLiteral("proxy_ssl_"));
}

// proxy_set_header: what Fulcrum does by itself (Host as the client sent it, X-Forwarded-For
// appended, X-Forwarded-Proto from the listener, the upgrade headers) needs no note.
QString proxySetHeaderNote(const Directive &d)
{
    const QString name = d.args.value(0).toLower();
    const QString value = d.args.value(1);
    if ((name == u"host" && (value == u"$host" || value == u"$http_host")) || (name == u"x-forwarded-for" && value == u"$proxy_add_x_forwarded_for")
        || (name == u"x-forwarded-proto" && value == u"$scheme") || (name == u"upgrade" && value == u"$http_upgrade")
        || (name == u"connection" && (value.isEmpty() || value.compare(QStringLiteral("upgrade"), Qt::CaseInsensitive) == 0 || value == u"$connection_upgrade")))
        return {};
    const QString what = QStringLiteral("proxy_set_header %1 not carried over: ").arg(d.args.join(u' '));
    if (name == u"host")
        return what + QStringLiteral("Fulcrum passes the client's Host as it came");
    if (name == u"x-forwarded-for")
        return what + QStringLiteral("Fulcrum appends the client's address to the X-Forwarded-For the client sent (nginx sent %1): "
                                     "servers must read the last address, not the first").arg(value);
    if (name == u"x-forwarded-proto")
        return what + QStringLiteral("Fulcrum sets X-Forwarded-Proto to its own listener's scheme (http, or https on a TLS listener)");
    if (name == u"x-real-ip")
        return what + QStringLiteral("Fulcrum sends no X-Real-IP; the client's address is the last one in X-Forwarded-For");
    return what + QStringLiteral("Fulcrum sends the client's headers, X-Forwarded-For, X-Forwarded-Proto and Via, and no header of its own choosing");
}

// add_header Strict-Transport-Security: the TLS listener's hsts (listeners[].tls.hsts).
bool isHstsHeader(const Directive &d)
{
    return d.name == u"add_header" && d.args.value(0).compare(QStringLiteral("strict-transport-security"), Qt::CaseInsensitive) == 0;
}

// Directives that nginx takes from the innermost level having any of them (add_header,
// proxy_set_header): of that level's `name` directives, the one `matches` accepts, else null.
template <typename Matches>
const Directive *innermostOf(std::initializer_list<const Directive *> levels, QStringView name, Matches matches)
{
    for (const Directive *block : levels) {
        if (!block)
            continue;
        bool any = false;
        for (const Directive &d : block->children) {
            if (d.name != name)
                continue;
            any = true;
            if (matches(d))
                return &d;
        }
        if (any)
            return nullptr;
    }
    return nullptr;
}

// The Strict-Transport-Security nginx added in a server block (its own, else the http block's).
const Directive *hstsOf(const Directive *server, const Directive *http)
{
    return innermostOf({server, http}, u"add_header", isHstsHeader);
}

// `block`'s directives (a server block, a location, an if) that are not carried over, noted;
// locations are followed. `level`: the block's own name, for the notes.
void noteNotCarried(const Directive &block, QStringList &notes, const Directive *carried = nullptr)
{
    for (const Directive &d : block.children) {
        if (&d == carried)
            continue;
        const auto note = [&](const QString &what) { notes << QStringLiteral("%1:%2: %3").arg(d.file).arg(d.line).arg(what); };
        if (d.name == u"location") {
            noteNotCarried(d, notes, carried);
        } else if (d.name == u"if") {
            note(QStringLiteral("if %1 not carried over: Fulcrum evaluates no conditions, so what the block does applies to no request").arg(d.args.join(u' ')));
        } else if (d.name == u"proxy_set_header") {
            if (const QString why = proxySetHeaderNote(d); !why.isEmpty())
                note(why);
        } else if (isHstsHeader(d) && block.name == u"server") {
            continue;   // the TLS listener's hsts, said where the listener is made
        } else if (d.name == u"proxy_redirect") {
            // off, or default: the Location the servers send is what Fulcrum passes (it gets the
            // client's Host, so servers build the address the client used).
            if (d.args.value(0) != u"off" && d.args.value(0) != u"default")
                note(QStringLiteral("proxy_redirect %1 not carried over: Fulcrum passes the servers' Location headers as they are").arg(d.args.join(u' ')));
        } else if (d.block) {
            note(QStringLiteral("%1 block not carried over (no Fulcrum equivalent)").arg(QStringList{d.name, d.args.join(u' ')}.join(u' ').trimmed()));
        } else if (!carriedOrNginxOwn(d.name)) {
            const QString why = whyNotCarried(d.name);
            note(QStringLiteral("%1 %2 not carried over: %3").arg(d.name, d.args.join(u' '), why.isEmpty() ? QStringLiteral("no Fulcrum equivalent") : why));
        }
    }
}

// The http block's own directives that change what happens to a request (the rest tune nginx
// itself and stay unsaid): inherited by every server block, so said once, here.
void noteHttpNotCarried(const Directive &http, QStringList &notes)
{
    for (const Directive &d : http.children) {
        const auto note = [&](const QString &what) { notes << QStringLiteral("%1:%2: %3").arg(d.file).arg(d.line).arg(what); };
        if (d.name == u"proxy_set_header") {
            if (const QString why = proxySetHeaderNote(d); !why.isEmpty())
                note(why);
        } else if (isHstsHeader(d)) {
            continue;   // the TLS listeners' hsts, said where each listener is made
        } else if (!d.block && d.name != u"gzip_types" && !whyNotCarried(d.name).isEmpty() && !(d.name == u"gzip" && d.args.value(0) == u"off")) {
            note(QStringLiteral("%1 %2 not carried over: %3").arg(d.name, d.args.join(u' '), whyNotCarried(d.name)));
        }
    }
}

// nginx sends "Host: <proxy_pass's host>" unless proxy_set_header Host is in force for the
// location.
bool setsHost(const Directive *location, const Directive *server, const Directive *http)
{
    return innermostOf({location, server, http}, u"proxy_set_header",
                       [](const Directive &d) { return d.args.value(0).compare(QStringLiteral("host"), Qt::CaseInsensitive) == 0; });
}

// A `listen` argument ("80", "127.0.0.1:8080", "[::]:443", "*:80") as host and port.
bool parseListen(const QString &argument, QString *host, quint16 *port)
{
    QString listen = argument;
    if (!listen.contains(u':') || (listen.startsWith(u'[') && !listen.contains(QStringLiteral("]:"))))
        listen = QStringLiteral("0.0.0.0:") + listen;
    const qsizetype colon = listen.lastIndexOf(u':');
    *host = listen.left(colon).remove(u'[').remove(u']');
    if (*host == u"*")
        *host = QStringLiteral("0.0.0.0");
    bool ok = false;
    *port = quint16(listen.mid(colon + 1).toUInt(&ok));
    return ok && *port != 0 && !argument.startsWith(QStringLiteral("unix:"));
}

// The `return 301 https://$host$request_uri;` that is all a server block does with requests
// (in the block, or in its `location /`): the usual port-80 block of an HTTPS site. Null when
// the block does anything else with them.
const Directive *redirectToHttps(const Directive &server)
{
    const Directive *found = nullptr;
    const auto look = [&found](const Directive &block) {
        for (const Directive &d : block.children) {
            static const QRegularExpression target(QStringLiteral("^https://(\\$host|\\$http_host|\\$server_name|[A-Za-z0-9.-]+)\\$request_uri$"));
            if (d.name == u"return" && d.args.size() == 2 && QStringList{QStringLiteral("301"), QStringLiteral("302"), QStringLiteral("307"), QStringLiteral("308")}.contains(d.args[0])
                && target.match(d.args[1]).hasMatch())
                found = &d;
        }
    };
    look(server);
    for (const Directive &d : server.children) {
        if (d.name == u"location" && d.args == QStringList{QStringLiteral("/")})
            look(d);
    }
    return found;
}

// A port-80 block that redirects to HTTPS: its server block, its `return`, and the path
// prefixes it proxies instead (`location /.well-known/acme-challenge/ { proxy_pass ...; }` beside
// `location / { return 301 ...; }`) with the pool they go to.
struct RedirectBlock
{
    const Directive *server = nullptr;
    const Directive *redirect = nullptr;
    QList<QByteArray> except;
    QString pool;
};

// The prefix of a plain prefix location (`location /p/`, `location ^~ /p/`) that a listener can
// take as a route or a redirect listener as an except path, else why not.
// The path of `proxy_pass http://NAME/PATH`, which nginx puts in place of its location's prefix
// ("/" for http://api/); empty without one (http://api).
QString proxyPassPath(const Directive &proxyPass)
{
    const QString &url = proxyPass.args.first();
    return url.count(u'/') >= 3 ? url.section(u'/', 3).prepend(u'/') : QString();
}

// Whether such a path can be a route's prefix_rewrite: not made of variables, "/" or a plain path.
bool isPrefixRewrite(const QString &path)
{
    return !path.isEmpty() && !path.contains(u'$') && (path == u"/" || pathPrefixProblem(path, QString()).isEmpty());
}

QString prefixLocationPath(const Directive &location, QString *whyNot)
{
    const QStringList &args = location.args;
    const QString path = args.size() == 1 ? args[0] : args.size() == 2 && args[0] == u"^~" ? args[1] : QString();
    if (path.isEmpty()) {
        *whyNot = QStringLiteral("Fulcrum takes paths by prefix only, and location %1 is not a prefix location").arg(args.join(u' '));
        return {};
    }
    if (const QString problem = pathPrefixProblem(path, QStringLiteral("the listener's own")); !problem.isEmpty()) {
        *whyNot = QStringLiteral("as a path prefix, \"%1\" %2").arg(path, problem);
        return {};
    }
    return path;
}

// Each port-80 block that only redirects to HTTPS becomes a redirect listener to the imported
// TLS listener (the one on 443, else the first), one per `listen`; the prefixes it proxied
// instead go to their pool.
void carryRedirects(const std::vector<RedirectBlock> &blocks, NginxImportResult &result)
{
    const ListenerConfig *target = redirectTarget(result.config);
    const QString targetName = target ? target->name : QString();
    const QString targetPool = target ? target->pool : QString();
    for (const RedirectBlock &block : blocks) {
        const Directive *server = block.server;
        const Directive *redirect = block.redirect;
        const auto note = [&result](const Directive &at, const QString &what) { result.notes << QStringLiteral("%1:%2: %3").arg(at.file).arg(at.line).arg(what); };
        const QString written = QStringLiteral("return %1").arg(redirect->args.join(u' '));
        if (targetName.isEmpty()) {
            note(*redirect, QStringLiteral("%1 not carried over: no TLS listener was imported to send these clients to; add one, then a listener "
                                           "{\"listen\": \"0.0.0.0:80\", \"redirect\": {\"to\": \"NAME\"}}").arg(written));
            continue;
        }
        noteNotCarried(*server, result.notes, redirect);
        for (const Directive &d : server->children) {
            if (d.name != u"listen" || d.args.isEmpty())
                continue;
            ListenerConfig l;
            if (!parseListen(d.args.first(), &l.host, &l.port)) {
                note(d, QStringLiteral("listen %1 not carried over: Fulcrum listens on TCP HOST:PORT").arg(d.args.first()));
                continue;
            }
            l.name = freeListenerName(result.config, QStringLiteral("redirect-%1").arg(l.port));
            l.pool = block.except.isEmpty() ? targetPool : block.pool;
            l.redirect.to = targetName;
            l.redirect.status = redirect->args[0].toInt();
            l.redirect.except = block.except;
            result.config.listeners.push_back(l);
            const QString host = redirect->args[1].section(QStringLiteral("://"), 1).section(u'$', 0, 0);
            note(*redirect, QStringLiteral("%1: listener \"%2\" (listen %3) redirects %4 to https on listener \"%5\", with the client's Host%6")
                                .arg(written, l.name, d.args.first(),
                                     block.except.isEmpty() ? QStringLiteral("every request")
                                                            : QStringLiteral("every request but %1 (sent to pool \"%2\")")
                                                                  .arg(QString::fromLatin1(block.except.join(", ")), block.pool),
                                     targetName,
                                     host.isEmpty() ? QString()
                                                    : QStringLiteral(" (nginx sent every client to %1; Fulcrum keeps the Host each asked for)").arg(host)));
        }
        // The ACME challenge served from files on port 80 (certbot --webroot) stays with nginx.
        for (const Directive &d : server->children) {
            if (d.name == u"location" && d.args.join(u' ').contains(QStringLiteral("acme-challenge"))
                && !std::any_of(d.children.begin(), d.children.end(), [](const Directive &c) { return c.name == u"proxy_pass"; }))
                note(d, QStringLiteral("location %1: Fulcrum serves no files, so these requests are redirected to HTTPS too; Let's Encrypt follows "
                                       "the redirect, so the TLS listener's servers must answer the challenge, or run certbot standalone "
                                       "(--http-01-port) behind a pool, name it in the listener's \"pool\" and the path in \"redirect\": {\"except\": [...]}")
                               .arg(d.args.join(u' ')));
        }
    }
}

} // namespace

NginxImportResult importNginx(const QByteArray &text, const QString &fileName)
{
    NginxImportResult result;
    NginxParser parser(text, fileName, result.errors);
    std::vector<Directive> top = parser.parse();
    if (result.errors.isEmpty())
        expandIncludes(top, QFileInfo(fileName).absoluteDir(), 0, result.errors, result.notes);
    if (!result.errors.isEmpty())
        return result;
    std::vector<const Directive *> upstreams;
    std::vector<const Directive *> streamUpstreams;
    collectUpstreams(top, upstreams, streamUpstreams);
    if (upstreams.empty() && !streamUpstreams.empty()) {
        result.errors << QStringLiteral("%1: its upstreams are all in stream {} (TCP/UDP balancing, which Fulcrum does not do); there is nothing to import").arg(fileName);
        return result;
    }
    std::vector<const Directive *> servers;
    collectServers(top, servers);
    for (const Directive &d : top) {
        if (d.name == u"http" && d.block)
            noteHttpNotCarried(d, result.notes);
    }
    bool anyDirectPass = false;
    for (const Directive *server : servers) {
        std::vector<ProxyPass> passes;
        collectProxyPasses(server->children, QString(), nullptr, passes);
        for (const ProxyPass &pass : passes)
            anyDirectPass = anyDirectPass || directServer(pass).has_value();
    }
    if (upstreams.empty() && !anyDirectPass) {
        result.errors << QStringLiteral("%1: no \"upstream NAME { server ...; }\" block and no proxy_pass to an address found; there is nothing to import%2").arg(fileName,
            result.notes.isEmpty() ? QString() : QStringLiteral("; the upstreams may be in files its includes did not find here: run the import where nginx's files are\n  ")
                                                 + result.notes.join(QStringLiteral("\n  ")));
        return result;
    }
    auto note = [&](const Directive &at, const QString &what) { result.notes << QStringLiteral("%1:%2: %3").arg(at.file).arg(at.line).arg(what); };
    for (const Directive *upstream : streamUpstreams)
        note(*upstream, QStringLiteral("upstream \"%1\" in stream {} not carried over: it balances TCP/UDP connections, Fulcrum balances HTTP").arg(upstream->args.value(0)));

    QHash<QString, const Directive *> upstreamOf;   // a pool's upstream block, for notes on it
    std::vector<std::pair<const Directive *, const Directive *>> resolving;   // (upstream, server … resolve)
    for (const Directive *upstream : upstreams) {
        PoolConfig pool;
        pool.name = upstream->args.value(0, QStringLiteral("pool"));
        pool.options.algorithm = Algorithm::WeightedRoundRobin; // nginx's default
        QMap<QPair<int, qint64>, int> failureSettings;          // (max_fails, fail_timeout) -> servers using it
        const Directive *failureAt = upstream;
        const Directive *keepaliveAt = nullptr;                 // carried once every server is known
        bool keepaliveRequestsSet = false;                      // or nginx's defaults, with keepalive
        bool keepaliveTimeSet = false;
        for (const Directive &d : upstream->children) {
            if (d.name == u"server") {
                if (d.args.isEmpty()) {
                    note(d, QStringLiteral("server without an address skipped"));
                    continue;
                }
                QString address = d.args.first();
                if (address.startsWith(u"unix:")) {
                    note(d, QStringLiteral("server %1 not carried over: Unix-socket servers are not supported by the proxy; listen on loopback TCP instead").arg(address));
                    continue;
                }
                BackendSpec s;
                s.name = address;
                QString host;
                QString port;
                splitHostPort(address, QStringLiteral("80"), &host, &port);
                bool portOk = false;
                const uint portNumber = port.toUInt(&portOk);
                if (!portOk || portNumber == 0 || portNumber > 65535) {
                    note(d, QStringLiteral("server %1 not carried over: port \"%2\" is not 1..65535").arg(address, port));
                    continue;
                }
                s.host = host;
                s.port = quint16(portNumber);
                int maxFails = 1;
                qint64 failTimeoutMs = 10'000;
                for (const QString &arg : d.args.mid(1)) {
                    const QString key = arg.section(u'=', 0, 0);
                    const QString value = arg.section(u'=', 1);
                    bool ok = false;
                    if (key == u"weight") {
                        s.weight = value.toInt(&ok);
                        if (!ok || s.weight < 1 || s.weight > kMaxWeight) {
                            note(d, QStringLiteral("server %1: weight=%2 is not 1..%3; weight 1 used").arg(address, value).arg(kMaxWeight));
                            s.weight = 1;
                        }
                    } else if (key == u"max_conns") {
                        s.maxConnections = value.toInt(&ok);
                        if (!ok || s.maxConnections < 0) {
                            note(d, QStringLiteral("server %1: max_conns=%2 is not a number; no limit used").arg(address, value));
                            s.maxConnections = 0;
                        }
                    } else if (key == u"max_fails") {
                        maxFails = value.toInt(&ok);
                        if (!ok || maxFails < 0)
                            maxFails = 1;
                    } else if (key == u"fail_timeout") {
                        failTimeoutMs = nginxTimeMs(value).value_or(0);
                        if (failTimeoutMs <= 0)
                            failTimeoutMs = 10'000;
                    } else if (key == u"backup") {
                        s.backup = true;
                    } else if (key == u"down") {
                        s.state = BackendState::Maint;
                    } else if (key == u"slow_start") {
                        pool.slowStartMs = nginxTimeMs(value).value_or(0);
                    } else if (arg == u"resolve") {
                        resolving.emplace_back(upstream, &d);   // carried with the resolver, below
                    } else {
                        note(d, QStringLiteral("server %1: parameter \"%2\" not carried over (no Fulcrum equivalent)").arg(address, arg));
                    }
                }
                ++failureSettings[{maxFails, failTimeoutMs}];
                failureAt = &d;
                // nginx takes one address twice as two peers (a way to weigh it); Fulcrum names a
                // server by its address, once per pool. Two plain entries share the traffic as one
                // server of their summed weight does; anything else cannot be said twice.
                const auto twin = std::find_if(pool.servers.begin(), pool.servers.end(), [&](const BackendSpec &o) { return o.name == s.name; });
                if (twin != pool.servers.end()) {
                    if (twin->backup == s.backup && twin->state == s.state && twin->maxConnections == 0 && s.maxConnections == 0
                        && twin->weight + s.weight <= kMaxWeight) {
                        note(d, QStringLiteral("server %1 is listed again: merged with the first entry into one server of weight %2 + %3 = %4, "
                                               "which gets the same share").arg(address).arg(twin->weight).arg(s.weight).arg(twin->weight + s.weight));
                        twin->weight += s.weight;
                    } else {
                        note(d, QStringLiteral("server %1 is listed again with other parameters: not carried over, since Fulcrum names servers by address "
                                               "and one name may appear once in a pool").arg(address));
                    }
                    continue;
                }
                pool.servers.push_back(std::move(s));
            } else if (d.name == u"least_conn") {
                pool.options.algorithm = Algorithm::LeastConnections;
            } else if (d.name == u"random") {
                pool.options.algorithm = Algorithm::Random;
                if (d.args.contains(QStringLiteral("two"))) {
                    pool.options.choices = 2;
                    if (d.args.contains(QStringLiteral("least_time")) || d.args.contains(QStringLiteral("least_time=header")) || d.args.contains(QStringLiteral("least_time=last_byte")))
                        note(d, QStringLiteral("random two least_time: compared on in-flight requests (least_conn), not on time; consider \"least-response-time\""));
                }
            } else if (d.name == u"ip_hash") {
                pool.options.algorithm = Algorithm::ConsistentHash;
                pool.options.hashKey = HashKeySource{HashKeySource::ClientIp, {}};
                note(d, QStringLiteral("ip_hash became consistent-hash on the client IP (Maglev): clients stay sticky, but land on other servers than nginx chose"));
            } else if (d.name == u"hash") {
                pool.options.algorithm = Algorithm::ConsistentHash;
                const QString key = d.args.value(0);
                if (key == u"$remote_addr" || key == u"$binary_remote_addr") {
                    pool.options.hashKey = HashKeySource{HashKeySource::ClientIp, {}};
                } else if (key.startsWith(u"$cookie_")) {
                    pool.options.hashKey = HashKeySource{HashKeySource::Cookie, key.mid(8)};
                } else if (key.startsWith(u"$http_")) {
                    pool.options.hashKey = HashKeySource{HashKeySource::Header, key.mid(6).replace(u'_', u'-')};
                } else if (const QString uriVariable = uriVariableOf(key); !uriVariable.isEmpty()) {
                    // A cache tier's key: $request_uri, $uri, often after $scheme or $host.
                    const bool whole = uriVariable == u"$request_uri";
                    pool.options.hashKey = HashKeySource{whole ? HashKeySource::Uri : HashKeySource::Path, {}};
                    if (!whole)
                        note(d, QStringLiteral("hash ") + key
                                    + QStringLiteral(": hash_key \"path\", the path as the client sent it, up to '?'; nginx hashed it decoded and normalized "
                                                     "(after any rewrite), so /a%2Fb or //a land apart from /a/b here"));
                    if (key != uriVariable)
                        note(d, QStringLiteral("hash %1: only %2 is the key (hash_key \"%3\"); the rest of it is left out, so keys that differed only there now meet")
                                    .arg(key, uriVariable, whole ? QStringLiteral("uri") : QStringLiteral("path")));
                } else {
                    pool.options.hashKey = HashKeySource{HashKeySource::ClientIp, {}};
                    note(d, QStringLiteral("hash key \"%1\" not carried over: Fulcrum hashes the client IP, a header, a cookie, the request URI or its path; "
                                           "the client IP is used").arg(key));
                }
                if (!d.args.contains(QStringLiteral("consistent")))
                    note(d, QStringLiteral("hash without \"consistent\" became consistent hashing (Maglev): keys map to other servers than nginx chose"));
            } else if (d.name == u"keepalive") {
                keepaliveAt = &d;
            } else if (d.name == u"keepalive_timeout") {
                // How long an idle connection to the upstream's servers is kept: the pool's own.
                const qint64 ms = nginxTimeMs(d.args.value(0)).value_or(0);
                if (ms <= 0) {
                    note(d, QStringLiteral("keepalive_timeout \"%1\" is not an nginx time; the proxy's idle_timeout applies").arg(d.args.value(0)));
                } else {
                    pool.options.keepaliveTimeoutMs = std::min<qint64>(ms, 3'600'000);
                    if (ms > 3'600'000)
                        note(d, QStringLiteral("keepalive_timeout %1 is over Fulcrum's 1h; keepalive_timeout 1h used").arg(d.args.value(0)));
                }
            } else if (d.name == u"keepalive_requests") {
                // How many requests one connection to the upstream's servers carries.
                const std::optional<qint64> requests = positiveCount(d.args.value(0));
                keepaliveRequestsSet = true;
                if (!requests)
                    note(d, QStringLiteral("keepalive_requests \"%1\" is not a positive number; no limit on a server connection's requests").arg(d.args.value(0)));
                else
                    pool.options.keepaliveRequests = std::min<qint64>(*requests, 1'000'000'000);
            } else if (d.name == u"keepalive_time") {
                // How long after it was opened a connection to the upstream's servers takes requests.
                const qint64 ms = nginxTimeMs(d.args.value(0)).value_or(0);
                keepaliveTimeSet = true;
                if (ms <= 0)
                    note(d, QStringLiteral("keepalive_time \"%1\" is not an nginx time; no limit on a server connection's age").arg(d.args.value(0)));
                else
                    pool.options.keepaliveTimeMs = std::min<qint64>(ms, 7 * 86'400'000LL);
                if (ms > 7 * 86'400'000LL)
                    note(d, QStringLiteral("keepalive_time %1 is over Fulcrum's 7d; keepalive_time 7d used").arg(d.args.value(0)));
            } else if (d.name == u"zone") {
                note(d, QStringLiteral("zone not needed: Fulcrum's workers share server state by themselves"));
            } else {
                note(d, QStringLiteral("directive \"%1\" not carried over (no Fulcrum equivalent)").arg(d.name));
            }
        }
        if (pool.servers.empty()) {
            note(*upstream, QStringLiteral("upstream \"%1\" has no server that could be carried over; skipped").arg(pool.name));
            continue;
        }
        if (keepaliveAt) {
            // nginx's count is per worker for the whole upstream; Fulcrum's per server and worker.
            bool ok = false;
            const int total = keepaliveAt->args.value(0).toInt(&ok);
            const int servers = int(pool.servers.size());
            if (!ok || total <= 0) {
                note(*keepaliveAt, QStringLiteral("keepalive \"%1\" is not a positive number; the proxy's max_idle_per_server applies").arg(keepaliveAt->args.value(0)));
            } else {
                pool.options.maxIdlePerServer = std::min((total + servers - 1) / servers, 100'000);
                note(*keepaliveAt, QStringLiteral("keepalive %1 is nginx's idle connections per worker for the whole upstream; Fulcrum counts them per server "
                                                  "and worker: max_idle_per_server %2 (%1 over %3 servers)")
                                       .arg(total).arg(pool.options.maxIdlePerServer).arg(servers));
                // nginx closed each kept connection after 1000 requests or 1h (its defaults for
                // keepalive_requests and keepalive_time) where the upstream named neither.
                QStringList defaults;
                if (!keepaliveRequestsSet) {
                    pool.options.keepaliveRequests = 1000;
                    defaults << QStringLiteral("keepalive_requests 1000");
                }
                if (!keepaliveTimeSet) {
                    pool.options.keepaliveTimeMs = 3'600'000;
                    defaults << QStringLiteral("keepalive_time 1h");
                }
                if (!defaults.isEmpty())
                    note(*keepaliveAt, QStringLiteral("nginx's defaults carried with keepalive: %1 (a server connection is closed after so many requests "
                                                      "or so long, not kept for ever)").arg(defaults.join(QStringLiteral(" and "))));
            }
        }
        // nginx's max_fails/fail_timeout are per server; Fulcrum's passive ejection is per pool.
        auto mostUsed = failureSettings.constBegin();
        for (auto it = failureSettings.constBegin(); it != failureSettings.constEnd(); ++it) {
            if (it.value() > mostUsed.value())
                mostUsed = it;
        }
        const auto [maxFails, failTimeoutMs] = mostUsed.key();
        if (maxFails == 0) {
            pool.outlier.enabled = false;
        } else {
            pool.outlier.consecutiveFailures = maxFails;
            pool.outlier.baseEjectionMs = failTimeoutMs;
            pool.outlier.maxEjectionMs = std::max(failTimeoutMs, pool.outlier.maxEjectionMs);
        }
        if (failureSettings.size() > 1)
            note(*failureAt, QStringLiteral("upstream \"%1\": servers use different max_fails/fail_timeout; Fulcrum's ejection is per pool, so max_fails=%2 fail_timeout=%3s (used by most servers) applies to all")
                                  .arg(pool.name).arg(maxFails).arg(double(failTimeoutMs) / 1000.0));
        note(*upstream, QStringLiteral("upstream \"%1\": nginx marks a server failed after max_fails errors within fail_timeout; Fulcrum ejects after %2 consecutive failures, for %3 s doubling up to %4 s, and adds active health checks (GET /health every 2 s): check the path")
                                 .arg(pool.name).arg(pool.outlier.consecutiveFailures).arg(double(pool.outlier.baseEjectionMs) / 1000.0).arg(double(pool.outlier.maxEjectionMs) / 1000.0));
        upstreamOf.insert(pool.name, upstream);
        result.config.pools.push_back(std::move(pool));
    }

    // `server NAME resolve` (NGINX Plus, and nginx since 1.27.3): the name is followed in DNS
    // through the `resolver` of its upstream block, else of the http block. Fulcrum has one
    // resolver for every named server.
    if (!resolving.empty()) {
        const Directive *upstream = resolving.front().first;
        const Directive *resolver = nullptr;
        for (const Directive *block : {upstream, enclosingHttp(top, upstream)}) {
            if (!block || resolver)
                continue;
            for (const Directive &d : block->children) {
                if (d.name == u"resolver" && !d.args.isEmpty() && !resolver)
                    resolver = &d;
            }
        }
        if (!resolver) {
            note(*resolving.front().second, QStringLiteral("server %1 resolve: no resolver directive found to carry over; the name is resolved once, at start "
                                                           "and at every reload (add \"proxy\": {\"resolver\": {\"nameservers\": [\"IP\"]}} to follow it)")
                                                .arg(resolving.front().second->args.first()));
        } else {
            ResolverConfig carried;
            for (const QString &arg : resolver->args) {
                if (arg.startsWith(QStringLiteral("valid="))) {
                    carried.validMs = std::clamp<qint64>(nginxTimeMs(arg.mid(6)).value_or(0), 0, 3'600'000);   // Fulcrum's range: at most an hour
                    if (carried.validMs > 0 && carried.validMs < 1000)
                        carried.validMs = 1000;
                    continue;
                }
                if (arg.contains(u'=')) {
                    if (arg == u"ipv6=off" || arg == u"ipv4=off")
                        note(*resolver, QStringLiteral("resolver %1 not carried over: Fulcrum asks for A and AAAA records and connects to either").arg(arg));
                    continue;   // status_zone=…: nothing to carry
                }
                QString host;
                QString port;
                splitHostPort(arg, QStringLiteral("53"), &host, &port);
                if (QHostAddress(host).isNull())
                    note(*resolver, QStringLiteral("resolver %1 not carried over: Fulcrum asks nameservers by IP address").arg(arg));
                else if (port != u"53")
                    note(*resolver, QStringLiteral("resolver %1 not carried over: Fulcrum asks nameservers on port 53 only").arg(arg));
                else
                    carried.nameservers << QHostAddress(host).toString();
            }
            if (carried.enabled()) {
                result.config.proxy.resolver = carried;
                note(*resolver, QStringLiteral("resolver: proxy.resolver asks %1 for the servers' names %2; a failed answer keeps the last addresses")
                                    .arg(carried.nameservers.join(QStringLiteral(", ")),
                                         carried.validMs ? QStringLiteral("every %1 (valid=)").arg(formatDurationMs(carried.validMs)) : QStringLiteral("when their TTL runs out")));
                // nginx follows only the servers marked resolve; Fulcrum follows every name.
                for (const PoolConfig &pool : result.config.pools) {
                    for (const BackendSpec &server : pool.servers) {
                        const bool marked = std::any_of(resolving.begin(), resolving.end(), [&](const auto &r) { return r.second->args.first() == server.name; });
                        if (!marked && QHostAddress(server.host).isNull())
                            note(*upstreamOf.value(pool.name, upstream), QStringLiteral("server %1 has no resolve in nginx (resolved once there); Fulcrum follows it in DNS too, "
                                                                                      "as it does every server written as a name").arg(server.name));
                    }
                }
            } else {
                note(*resolver, QStringLiteral("resolver: no nameserver could be carried over; the servers marked resolve are resolved once, at start and at every reload"));
            }
        }
    }

    // proxy_pass https://: TLS to the pool's servers, with what nginx checked of them. nginx does
    // not verify a server's certificate unless told (proxy_ssl_verify off is its default); the
    // import keeps that, since verifying would fail where nginx works, and says how to turn it on.
    const auto carryTlsToServers = [&](const ProxyPass &pass, const Directive *server) {
        PoolConfig &pool = *std::find_if(result.config.pools.begin(), result.config.pools.end(), [&](const PoolConfig &p) { return p.name == pass.target; });
        if (std::all_of(pool.servers.begin(), pool.servers.end(), [](const BackendSpec &s) { return s.tls.enabled; }))
            return;
        const Directive *http = enclosingHttp(top, server);
        const auto find = [&](const QString &name) { return inherited(server, http, name, pass.block); };
        const QDir base = QFileInfo(fileName).absoluteDir();
        const auto path = [&](const Directive *d) { return d ? QDir::cleanPath(base.absoluteFilePath(d->args.first())) : QString(); };
        BackendTls tls;
        tls.enabled = true;
        const Directive *verify = find(QStringLiteral("proxy_ssl_verify"));
        tls.verify = verify && verify->args.first() == u"on";
        tls.caFile = path(find(QStringLiteral("proxy_ssl_trusted_certificate")));
        if (const Directive *name = find(QStringLiteral("proxy_ssl_name")); name && !name->args.first().contains(u'$'))
            tls.serverName = name->args.first();
        tls.certFile = path(find(QStringLiteral("proxy_ssl_certificate")));
        tls.keyFile = path(find(QStringLiteral("proxy_ssl_certificate_key")));
        for (BackendSpec &s : pool.servers)
            s.tls = tls;
        if (!tls.verify)
            note(*pass.at, QStringLiteral("proxy_pass %1: TLS to the servers of pool \"%2\" without checking their certificates, as nginx did (proxy_ssl_verify "
                                          "is off unless set); to check them, set \"tls\": {\"ca\": \"...\", \"verify\": true} on each server")
                               .arg(pass.at->args.first(), pool.name));
        else
            note(*pass.at, QStringLiteral("proxy_pass %1: TLS to the servers of pool \"%2\", their certificates checked against %3")
                               .arg(pass.at->args.first(), pool.name, tls.caFile.isEmpty() ? QStringLiteral("the system's CAs") : tls.caFile));
        for (const QString &other : {QStringLiteral("proxy_ssl_protocols"), QStringLiteral("proxy_ssl_ciphers"), QStringLiteral("proxy_ssl_session_reuse"),
                                     QStringLiteral("proxy_ssl_verify_depth"), QStringLiteral("proxy_ssl_crl"), QStringLiteral("proxy_ssl_password_file")}) {
            if (const Directive *d = find(other))
                note(*d, QStringLiteral("%1 %2 not carried over (Fulcrum speaks TLS 1.2 and 1.3 to servers with OpenSSL's defaults)").arg(other, d->args.join(u' ')));
        }
    };

    // nginx's limits on what it proxies: proxy.* takes the largest value any imported location
    // had (nginx's default where it set none), so no request nginx let through is refused or cut
    // short, and a pool whose locations all allowed less keeps its own (pools[], below).
    struct Limit
    {
        QString directive;
        QString key;                // Fulcrum's, in proxy and in pools[]
        qint64 nginxDefault = -1;   // -1: nginx's default is not carried
        qint64 ceiling = 0;         // Fulcrum's range: 1..ceiling, for a size 0..ceiling
        bool size = false;          // bytes, where 0 is no limit (the largest of all)
        qint64 ProxyConfig::*field = nullptr;
        qint64 PoolOptions::*poolField = nullptr;
        std::optional<qint64> (*parse)(const QString &) = nullptr;
        std::vector<std::pair<const Directive *, std::optional<qint64>>> seen;
        bool defaults = false;   // a location took nginx's default

        QString shown(qint64 v) const { return !size ? formatDurationMs(v) : v == 0 ? QStringLiteral("no limit") : QStringLiteral("%1 bytes").arg(v); }
        qint64 rank(qint64 v) const { return size && v == 0 ? std::numeric_limits<qint64>::max() : v; }
    };
    // Fulcrum's ranges: a server may take up to an hour to answer, a connect up to 10 minutes.
    std::vector<Limit> limits(3);
    limits[0].directive = QStringLiteral("proxy_read_timeout");
    limits[0].key = QStringLiteral("response_timeout");
    limits[0].nginxDefault = 60'000;
    limits[0].ceiling = 3'600'000;
    limits[0].field = &ProxyConfig::responseTimeoutMs;
    limits[0].poolField = &PoolOptions::responseTimeoutMs;
    limits[0].parse = nginxTimeMs;
    limits[1].directive = QStringLiteral("proxy_connect_timeout");
    limits[1].key = QStringLiteral("connect_timeout");
    limits[1].nginxDefault = -1;   // nginx's 60 s is not carried: Fulcrum's 3 s moves to another server sooner
    limits[1].ceiling = 600'000;
    limits[1].field = &ProxyConfig::connectTimeoutMs;
    limits[1].poolField = &PoolOptions::connectTimeoutMs;
    limits[1].parse = nginxTimeMs;
    limits[2].directive = QStringLiteral("client_max_body_size");
    limits[2].key = QStringLiteral("max_body_bytes");
    limits[2].nginxDefault = 1024 * 1024;
    limits[2].ceiling = qint64(1) << 50;
    limits[2].size = true;
    limits[2].field = &ProxyConfig::maxBodyBytes;
    limits[2].poolField = &PoolOptions::maxBodyBytes;
    limits[2].parse = nginxSize;
    // The same limits per pool: the largest of the locations that reach it (nginx's default
    // where one sets none: 60 s to read, 1 MiB of body; client_max_body_size 0, no limit, is the
    // largest of all). A pool whose locations all allowed less than the largest of all keeps its
    // own pools[].response_timeout / connect_timeout / max_body_bytes; one reached by a location
    // without proxy_connect_timeout takes the proxy's.
    struct PoolLimit
    {
        qint64 largest = -1;
        const Directive *at = nullptr;   // nullptr: nginx's default
        bool unset = false;              // a location set none and nginx's default is not carried
    };
    QMap<QString, std::array<PoolLimit, 3>> limitsOf;   // by pool, in the order of `limits`
    // Each listener's client side (keepalive_*, large_client_header_buffers).
    std::vector<ClientBlock> clientSide;
    // Server blocks whose only work is `return 301 https://$host$request_uri`: redirect
    // listeners to the imported TLS listener, once all listeners are known.
    std::vector<RedirectBlock> redirectBlocks;

    // Listeners: server blocks whose locations proxy_pass to an imported upstream, else straight
    // to an address (a pool of that one server). The listener's own pool is the one of
    // `location /`, else the first; other prefix locations to other pools are its routes, and
    // every location that cannot be one is noted, so no path's traffic moves without a word.
    // Several server blocks on one address (name-based virtual hosts): the first is the
    // listener's pool and routes (nginx's default server for names no server_name has), each
    // other's server_name names become routes by host to its pool and routes.
    QHash<QString, QSet<QByteArray>> namesTaken;   // by "host:port": the names a block on it has, the first block's too
    QHash<QString, QList<QByteArray>> firstNames;  // by "host:port": the routable names of the block that made its listener
    QSet<QString> defaultAt;                       // "host:port" whose listener's own pool is a default_server block's
    const Directive *loggedServer = nullptr;     // the first block that became a listener
    const Directive *loggedLocation = nullptr;
    for (const Directive *server : servers) {
        std::vector<ProxyPass> passes;
        collectProxyPasses(server->children, QString(), nullptr, passes);
        // A block that redirects to HTTPS in the block itself: nginx answers every request
        // before any location is chosen, and its proxy_passes are never reached.
        const Directive *redirect = redirectToHttps(*server);
        if (redirect && std::any_of(server->children.begin(), server->children.end(), [redirect](const Directive &d) { return &d == redirect; })) {
            for (const ProxyPass &pass : passes)
                note(*pass.at, QStringLiteral("proxy_pass %1 not carried over: the server block's own return answers every request before any location, "
                                              "so nginx never sent one there either").arg(pass.at->args.first()));
            redirectBlocks.push_back({server, redirect, {}, {}});
            continue;
        }
        // A proxy_pass straight to an address: a pool of that one server, named after it; the
        // other passes to the same address name the same pool.
        const auto directPool = [&](ProxyPass &direct) {
            const BackendSpec backend = *directServer(direct);
            const QString written = direct.target;
            direct.target = QString(direct.target).replace(u'.', u'-').replace(u':', u'-').remove(u'[').remove(u']');
            if (!result.config.pool(direct.target)) {
                PoolConfig pool;
                pool.name = direct.target;
                pool.servers.push_back(backend);
                note(*direct.at, QStringLiteral("proxy_pass %1: no upstream of that name, so pool \"%2\" with that one server%3")
                                     .arg(direct.at->args.first(), pool.name,
                                          redirect ? QString()   // a redirect's except pool: its checks are said below
                                                   : QStringLiteral("; Fulcrum adds active health checks (GET /health every 2 s): check the path")));
                result.config.pools.push_back(std::move(pool));
            }
            for (ProxyPass &pass : passes) {
                if (&pass != &direct && pass.target == written && pass.https == direct.https)
                    pass.target = direct.target;
            }
        };
        ProxyPass *chosen = nullptr;
        for (ProxyPass &pass : passes) {
            if (upstreamOf.contains(pass.target) && (!chosen || (pass.location == u"/" && chosen->location != u"/")))
                chosen = &pass;
        }
        if (!chosen) {
            for (ProxyPass &pass : passes) {
                if (directServer(pass) && (!chosen || (pass.location == u"/" && chosen->location != u"/")))
                    chosen = &pass;
            }
            if (chosen)
                directPool(*chosen);
        }
        if (chosen && chosen->https)
            carryTlsToServers(*chosen, server);
        // Other prefix locations that proxy_pass to another pool: routes of the listener
        // (listeners[].routes), the longest prefix first as in nginx.
        std::vector<ListenerRoute> routes;
        QSet<const ProxyPass *> routed;
        if (chosen && !redirect) {
            for (ProxyPass &pass : passes) {
                QString whyNot;
                const QString prefix = pass.target == chosen->target || !pass.block ? QString() : prefixLocationPath(*pass.block, &whyNot);
                if (prefix.isEmpty() || (!upstreamOf.contains(pass.target) && !directServer(pass)))
                    continue;   // noted below
                if (!upstreamOf.contains(pass.target))
                    directPool(pass);
                if (pass.https)
                    carryTlsToServers(pass, server);
                routed.insert(&pass);
                if (std::any_of(routes.begin(), routes.end(), [&](const ListenerRoute &r) { return r.prefix == prefix.toLatin1(); }))
                    continue;
                // proxy_pass with a URI: nginx puts it in place of the location's prefix.
                const QString uri = proxyPassPath(*pass.at);
                const bool rewrites = !uri.isEmpty() && uri != prefix;
                const bool carried = rewrites && isPrefixRewrite(uri);
                routes.push_back({prefix.toLatin1(), pass.target, {}, carried ? uri.toLatin1() : QByteArray()});
                note(*pass.at, QStringLiteral("location %1 proxy_pass %2: route %3 to pool \"%4\" (listeners[].routes; the longest prefix that matches wins, as in "
                                              "nginx)%5").arg(pass.location, pass.at->args.first(), prefix, pass.target,
                                                              carried    ? QStringLiteral(", \"prefix_rewrite\": \"%1\" (the servers get %1 in place of %2, as from nginx)")
                                                                               .arg(uri, prefix)
                                                              : rewrites ? QStringLiteral("; nginx sent %1 in place of %2, Fulcrum sends the path as the client did (%1 "
                                                                                          "is not a plain path prefix_rewrite can be): the servers must answer under %2")
                                                                               .arg(uri, prefix)
                                                                         : QString()));
            }
            // Locations to the listener's own pool (its own location too, when it is not "/")
            // where nginx put a URI in place of the prefix: routes of their own, so that their
            // paths reach the servers rewritten alike.
            for (ProxyPass &pass : passes) {
                if (pass.target != chosen->target || !pass.block || pass.location == u"/")
                    continue;
                QString whyNot;
                const QString prefix = prefixLocationPath(*pass.block, &whyNot);
                const QString uri = proxyPassPath(*pass.at);
                if (prefix.isEmpty() || uri.isEmpty() || uri == prefix
                    || std::any_of(routes.begin(), routes.end(), [&](const ListenerRoute &r) { return r.prefix == prefix.toLatin1(); }))
                    continue;
                if (!isPrefixRewrite(uri)) {
                    note(*pass.at, QStringLiteral("location %1 proxy_pass %2: nginx sent %3 in place of %1, Fulcrum sends the path as the client did (%3 is not a "
                                                  "plain path prefix_rewrite can be): the servers must answer under %1").arg(prefix, pass.at->args.first(), uri));
                    continue;
                }
                routes.push_back({prefix.toLatin1(), chosen->target, {}, uri.toLatin1()});
                note(*pass.at, QStringLiteral("location %1 proxy_pass %2: route %1 to pool \"%3\" with \"prefix_rewrite\": \"%4\" (the servers get %4 in "
                                              "place of %1, as from nginx)").arg(prefix, pass.at->args.first(), chosen->target, uri));
            }
            // A location to the listener's own pool inside a routed prefix keeps its way there.
            for (ProxyPass &pass : passes) {
                QString whyNot;
                const QString prefix = pass.target != chosen->target || !pass.block ? QString() : prefixLocationPath(*pass.block, &whyNot);
                if (!prefix.isEmpty() && prefix != u"/"
                    && std::any_of(routes.begin(), routes.end(), [&](const ListenerRoute &r) { return prefix.toLatin1().startsWith(r.prefix) && r.prefix != prefix.toLatin1(); }))
                    routes.push_back({prefix.toLatin1(), chosen->target});
            }
        }
        if (chosen) {
            // Every location of this block reaches the listener: its limits, as nginx applied
            // them there (the location's own, else the server's, else the http block's).
            const Directive *http = enclosingHttp(top, server);
            clientSide.push_back({inherited(server, http, QStringLiteral("keepalive_requests")), inherited(server, http, QStringLiteral("keepalive_time")),
                                  inherited(server, http, QStringLiteral("keepalive_timeout")), inherited(server, http, QStringLiteral("large_client_header_buffers"))});
            for (const ProxyPass &pass : passes) {
                std::array<PoolLimit, 3> &own = limitsOf[routed.contains(&pass) ? pass.target : chosen->target];
                for (size_t i = 0; i < limits.size(); ++i) {
                    Limit &limit = limits[i];
                    const Directive *d = inherited(server, http, limit.directive, pass.block);
                    std::optional<qint64> value = limit.nginxDefault >= 0 ? std::optional<qint64>(limit.nginxDefault) : std::nullopt;
                    if (d) {
                        limit.seen.push_back({d, limit.parse(d->args.first())});
                        value = limit.seen.back().second;
                    } else {
                        limit.defaults = true;
                    }
                    if (!d && limit.nginxDefault < 0)
                        own[i].unset = true;
                    else if (value && (own[i].largest < 0 || limit.rank(*value) > limit.rank(own[i].largest)))
                        own[i] = {*value, d, own[i].unset};
                }
            }
        }
        if (chosen && redirect) {
            // `location /` redirects to HTTPS and other locations proxy (the ACME challenge to
            // certbot): a redirect listener whose except paths go to the chosen pool.
            RedirectBlock block{server, redirect, {}, chosen->target};
            for (const ProxyPass &pass : passes) {
                QString whyNot;
                const QString prefix = pass.block ? prefixLocationPath(*pass.block, &whyNot) : QString();
                if (pass.target != chosen->target)
                    whyNot = QStringLiteral("a redirect listener sends its except paths to one pool, \"%1\"").arg(chosen->target);
                if (!whyNot.isEmpty() || prefix.isEmpty()) {
                    note(*pass.at, QStringLiteral("location %1 proxy_pass %2 not carried over: %3; these requests are redirected to HTTPS")
                                       .arg(pass.location, pass.at->args.first(), whyNot));
                } else if (!block.except.contains(prefix.toLatin1())) {
                    block.except.append(prefix.toLatin1());
                }
            }
            // certbot standalone listens only while it renews: a pool made for it here gets no
            // health checks, which would report it down (a pool outage) the rest of the time.
            for (PoolConfig &pool : result.config.pools) {
                if (!block.except.isEmpty() && pool.name == chosen->target && !upstreamOf.contains(pool.name) && pool.health.enabled) {
                    pool.health.enabled = false;
                    note(*chosen->at, QStringLiteral("proxy_pass %1: pool \"%2\" gets no health checks (\"health_check\": {\"enabled\": false}): a server that "
                                                     "answers only now and then, such as certbot while it renews, would otherwise be reported down")
                                          .arg(chosen->at->args.first(), pool.name));
                }
            }
            redirectBlocks.push_back(block);
            continue;
        }
        for (const ProxyPass &pass : passes) {
            if (!chosen) {
                note(*pass.at, QStringLiteral("proxy_pass %1 not carried over: its address is made of variables, which nginx works out per request; "
                                              "put the servers in an upstream block").arg(pass.at->args.first()));
            } else if (pass.target != chosen->target && !routed.contains(&pass)) {
                QString whyNot;
                if (pass.block)
                    prefixLocationPath(*pass.block, &whyNot);
                note(*pass.at, QStringLiteral("location %1 proxy_pass %2 not carried over: %3, so these requests go to \"%4\"; give %5 a listener of its own, "
                                              "or a route of a prefix location")
                                   .arg(pass.location.isEmpty() ? QStringLiteral("(none)") : pass.location, pass.at->args.first(),
                                        whyNot.isEmpty() ? QStringLiteral("its address is made of variables") : whyNot, chosen->target,
                                        result.config.pool(pass.target) ? QStringLiteral("upstream \"%1\"").arg(pass.target) : QStringLiteral("that address (in a pool)")));
            }
        }
        if (!chosen && redirect) {
            redirectBlocks.push_back({server, redirect, {}, {}});   // its passes are noted above
            continue;
        }
        if (!chosen && passes.empty()) {
            QStringList what;
            for (const Directive &d : server->children) {
                if (d.name != u"listen" && d.name != u"server_name" && !what.contains(d.name))
                    what << d.name;
            }
            const Directive *listen = nullptr;
            for (const Directive &d : server->children)
                listen = !listen && d.name == u"listen" ? &d : listen;
            note(*server, QStringLiteral("server block%1 not carried over: none of its locations proxy_pass to a server, so Fulcrum has nothing to "
                                         "take from it (%2); whatever it does (a redirect to HTTPS, files) stays with nginx%3")
                              .arg(listen ? QStringLiteral(" (listen %1)").arg(listen->args.join(u' ')) : QString(),
                                   what.isEmpty() ? QStringLiteral("it is empty") : what.mid(0, 5).join(QStringLiteral(", ")),
                                   listen && listen->args.contains(QStringLiteral("default_server"))
                                       ? QStringLiteral("; it was nginx's default_server there, so on a listener of that address names no server_name has "
                                                        "go to the first proxying block's pool instead")
                                       : QString()));
            continue;
        }
        if (!chosen)
            continue;
        {
            const Directive *http = enclosingHttp(top, server);
            noteNotCarried(*server, result.notes);
            if (!setsHost(chosen->block, server, http)) {
                const QString target = chosen->at->args.first().section(QStringLiteral("://"), 1).section(u'/', 0, 0);
                note(*chosen->at, QStringLiteral("proxy_pass %1: nginx sent \"Host: %2\" (its default without proxy_set_header Host); Fulcrum passes the "
                                                 "client's Host as it came").arg(chosen->at->args.first(), target));
            }
        }
        if (chosen->location != u"/")
            note(*chosen->at, QStringLiteral("location %1: the listener sends every path no route takes to pool \"%2\", not only %1, and does not rewrite those")
                                  .arg(chosen->location.isEmpty() ? QStringLiteral("(none)") : chosen->location, chosen->target));
        const QString poolName = chosen->target;
        // This block's server_name as route hosts, matched as nginx matches them: exact names,
        // "*.name", and ".name" (the name and every name under it); "_" and "" name nothing.
        const Directive *serverName = inherited(server, nullptr, QStringLiteral("server_name"));
        QList<QByteArray> hostNames;
        QStringList unmatched;
        for (const QString &written : serverName ? serverName->args : QStringList()) {
            const QString name = written.toLower();
            if (name.isEmpty() || name == u"_" || name == u"\"\"")
                continue;
            const QStringList forms = name.startsWith(u'.') ? QStringList{name.mid(1), u'*' + name} : QStringList{name};
            for (const QString &form : forms) {
                if (!name.startsWith(u'~') && routeHostProblem(form).isEmpty() && !hostNames.contains(form.toLatin1()))
                    hostNames << form.toLatin1();
                else if (!unmatched.contains(written))
                    unmatched << written;
            }
        }
        const QString serverNameText = serverName ? QStringLiteral(" (server_name %1)").arg(serverName->args.join(u' ')) : QString();
        // Another block on this address made the listener: this one's names become its routes.
        // A later `default_server` block takes the listener's own pool and host-less routes,
        // and the first block's pool and paths become routes by its names, as nginx sends
        // every name no server_name has to the default server. True when this block did.
        const auto routeByHost = [&](ListenerConfig &same, const Directive &listen) {
            constexpr size_t kMaxRoutes = 256;
            const QString address = QStringLiteral("%1:%2").arg(same.host).arg(same.port);
            QSet<QByteArray> &taken = namesTaken[address];
            const bool becomesDefault = listen.args.contains(QStringLiteral("default_server")) && !defaultAt.contains(address);
            if (becomesDefault)
                defaultAt.insert(address);
            if (same.pool == poolName && same.routes == routes) {
                // The same pool and paths as the first block (and no name routed yet): nothing to tell apart.
                for (const QByteArray &host : hostNames)
                    taken.insert(host);
                return becomesDefault;
            }
            bool isDefault = false;
            if (becomesDefault) {
                const QList<QByteArray> firstHosts = firstNames.value(address);
                std::vector<ListenerRoute> moved;   // the other blocks' routes by host, then the first block's pool and paths by its names
                for (const ListenerRoute &route : same.routes) {
                    if (!route.host.isEmpty())
                        moved.push_back(route);
                }
                for (const QByteArray &host : firstHosts) {
                    moved.push_back({QByteArray(), same.pool, host});
                    for (const ListenerRoute &route : same.routes) {
                        if (route.host.isEmpty())
                            moved.push_back({route.prefix, route.pool, host, route.prefixRewrite});
                    }
                }
                const size_t own = (routes.size() + 1) * std::count_if(hostNames.begin(), hostNames.end(), [&](const QByteArray &h) { return !taken.contains(h); });
                if (moved.size() + routes.size() + own > kMaxRoutes) {
                    note(listen, QStringLiteral("listen %1 default_server: not made the listener's own pool: listener \"%2\" would have more than %3 routes, so names "
                                                "no server_name has go to the first server block's pool \"%4\", not to \"%5\"; give this block a listener of its own")
                                     .arg(listen.args.first(), same.name)
                                     .arg(kMaxRoutes)
                                     .arg(same.pool, poolName));
                } else {
                    QStringList names;
                    for (const QByteArray &host : firstHosts)
                        names << QString::fromLatin1(host);
                    const QString paths = routes.empty() ? QString() : QStringLiteral(" with its routes by path (%1)").arg(routes.size());
                    note(listen, firstHosts.isEmpty()
                                     ? QStringLiteral("listen %1 default_server: listener \"%2\"'s own pool is \"%3\"%4, for every name no server_name has, as nginx's "
                                                      "default server; the first server block on this address (pool \"%5\") names no host Fulcrum can route by, so "
                                                      "it is not reached here: give it a listener of its own")
                                           .arg(listen.args.first(), same.name, poolName, paths, same.pool)
                                     : QStringLiteral("listen %1 default_server: listener \"%2\"'s own pool is \"%3\"%4, for every name no server_name has, as nginx's "
                                                      "default server; the first server block's pool \"%5\" and its paths become routes by its names (%6)")
                                           .arg(listen.args.first(), same.name, poolName, paths, same.pool, names.join(QStringLiteral(", "))));
                    moved.insert(moved.end(), routes.begin(), routes.end());
                    same.routes = std::move(moved);
                    same.pool = poolName;
                    isDefault = true;
                }
            }
            if (!unmatched.isEmpty())
                note(*serverName, QStringLiteral("server_name %1 not routed by: Fulcrum routes by exact names and \"*.name\"; regular expressions and \"name.*\" "
                                                 "are not matched, so requests for them go to listener \"%2\"'s pool \"%3\"")
                                      .arg(unmatched.join(u' '), same.name, same.pool));
            if (hostNames.isEmpty()) {
                if (!isDefault)
                    note(listen, QStringLiteral("listen %1%2: another server block on this address sends to pool \"%3\", and this block names no host Fulcrum can "
                                                "route by, so pool \"%4\" is not reached here: give it a listener of its own")
                                     .arg(listen.args.first(), serverNameText, same.pool, poolName));
                return isDefault;
            }
            QList<QByteArray> added;
            for (const QByteArray &host : hostNames) {
                if (taken.contains(host)) {
                    note(listen, QStringLiteral("listen %1: server_name %2 is already an earlier server block's on this address; nginx used the first "
                                                "(\"conflicting server name\"), and so does Fulcrum").arg(listen.args.first(), QString::fromLatin1(host)));
                    continue;
                }
                // The default block's names are routes too, so that no other block's "*.name" takes them.
                std::vector<ListenerRoute> own{{QByteArray(), poolName, host}};
                for (const ListenerRoute &route : routes)
                    own.push_back({route.prefix, route.pool, host, route.prefixRewrite});
                if (same.routes.size() + own.size() > kMaxRoutes) {
                    note(listen, QStringLiteral("listen %1: server_name %2 not routed by: listener \"%3\" would have more than %4 routes; give it a listener of its own")
                                     .arg(listen.args.first(), QString::fromLatin1(host), same.name).arg(kMaxRoutes));
                    continue;
                }
                taken.insert(host);
                same.routes.insert(same.routes.end(), own.begin(), own.end());
                added << host;
            }
            if (!added.isEmpty())
                note(listen, QStringLiteral("listen %1%2: requests for %3 go to pool \"%4\"%5 (listener \"%6\"'s routes by host)%7")
                                 .arg(listen.args.first(), serverNameText, QString::fromLatin1(added.join(", ")), poolName,
                                      routes.empty() ? QString() : QStringLiteral(" and its routes by path (%1)").arg(routes.size()), same.name,
                                      isDefault ? QString()
                                                : QStringLiteral("; any other name goes to the listener's pool \"%1\", nginx's default server there").arg(same.pool)));
            return isDefault;
        };
        for (const Directive &d : server->children) {
            if (d.name != u"listen" || d.args.isEmpty())
                continue;
            ListenerConfig l;
            l.pool = poolName;
            l.routes = routes;
            const bool ok = parseListen(d.args.first(), &l.host, &l.port);
            if (d.args.first().startsWith(QStringLiteral("unix:"))) {
                note(d, QStringLiteral("listen %1 not carried over: Fulcrum listens on TCP addresses, not Unix sockets").arg(d.args.first()));
                continue;
            }
            if (!ok) {
                note(d, QStringLiteral("listen %1 not carried over: not HOST:PORT").arg(d.args.first()));
                continue;
            }
            l.name = QStringLiteral("%1-%2").arg(poolName).arg(l.port);
            if (d.args.contains(QStringLiteral("ssl"))) {
                // nginx reads relative paths from its prefix; the config's own folder is the guess.
                const QDir base = QFileInfo(fileName).absoluteDir();
                const Directive *http = enclosingHttp(top, server);
                const auto path = [&](const QString &name) {
                    const Directive *found = inherited(server, http, name);
                    return found ? QDir::cleanPath(base.absoluteFilePath(found->args.first())) : QString();
                };
                const ListenerCertificate certificate{path(QStringLiteral("ssl_certificate")), path(QStringLiteral("ssl_certificate_key")),
                                                      path(QStringLiteral("ssl_stapling_file"))};
                if (certificate.certFile.isEmpty() || certificate.keyFile.isEmpty()) {
                    note(d, QStringLiteral("listen %1 ssl: no ssl_certificate and ssl_certificate_key in its server or http block; "
                                                "the listener is plain HTTP: add \"tls\" by hand").arg(d.args.first()));
                } else {
                    // Several server blocks on one TLS address: one listener, its certificates
                    // picked by SNI as nginx picks by server_name.
                    auto same = std::find_if(result.config.listeners.begin(), result.config.listeners.end(),
                                             [&](const ListenerConfig &o) { return o.host == l.host && o.port == l.port; });
                    if (same != result.config.listeners.end()) {
                        // One listener, its certificates picked by SNI, its pools by Host.
                        const bool isDefault = routeByHost(*same, d);
                        if (!same->tls.enabled()) {
                            note(d, QStringLiteral("listen %1: plain and ssl on one address; kept plain").arg(d.args.first()));
                        } else {
                            auto &certificates = same->tls.certificates;
                            auto known = std::find(certificates.begin(), certificates.end(), certificate);
                            if (known == certificates.end())
                                known = certificates.insert(certificates.end(), certificate);
                            // nginx's default server's certificate answers a name no certificate has; Fulcrum's first does.
                            if (isDefault)
                                std::rotate(certificates.begin(), known, known + 1);
                        }
                        continue;
                    }
                    l.tls.certificates.push_back(certificate);
                    if (const Directive *hsts = hstsOf(server, http)) {
                        const QString value = hsts->args.value(1).trimmed();
                        if (isHstsValue(value)) {
                            l.tls.hsts = value;
                            note(*hsts, QStringLiteral("add_header Strict-Transport-Security: listener \"%1\" tls.hsts = \"%2\" (on every answer over it, "
                                                       "Fulcrum's own too, in place of a server's)").arg(l.name, value));
                        } else {
                            note(*hsts, QStringLiteral("add_header Strict-Transport-Security \"%1\" not carried over: not a value Fulcrum sends (max-age=SECONDS; "
                                                       "includeSubDomains; preload)").arg(value));
                        }
                    }
                    if (const Directive *protocols = inherited(server, http, QStringLiteral("ssl_protocols"))) {
                        if (!protocols->args.contains(QStringLiteral("TLSv1.2")) && protocols->args.contains(QStringLiteral("TLSv1.3")))
                            l.tls.minVersion = 13;
                        if (protocols->args.contains(QStringLiteral("TLSv1")) || protocols->args.contains(QStringLiteral("TLSv1.1")))
                            note(*protocols, QStringLiteral("ssl_protocols %1: Fulcrum offers TLS 1.2 and 1.3 only (RFC 8996)").arg(protocols->args.join(u' ')));
                    }
                    if (const Directive *ciphers = inherited(server, http, QStringLiteral("ssl_ciphers")))
                        note(*ciphers, QStringLiteral("ssl_ciphers %1 not carried over: Fulcrum uses Mozilla's intermediate list; "
                                                           "set \"tls\": {\"ciphers\": ...} to keep yours").arg(ciphers->args.join(u' ')));
                    if (const Directive *tickets = inherited(server, http, QStringLiteral("ssl_session_tickets")))
                        l.tls.sessionTickets = tickets->args.first() != u"off";
                    // nginx offers HTTP/2 only when told (`listen ... http2`, or `http2 on` since
                    // 1.25); Fulcrum by default. Kept as nginx had it, and said.
                    const Directive *http2 = inherited(server, http, QStringLiteral("http2"));
                    if (!d.args.contains(QStringLiteral("http2")) && !(http2 && http2->args.first() == u"on")) {
                        l.tls.http2.enabled = false;
                        note(d, QStringLiteral("listen %1 ssl: nginx spoke HTTP/1.1 only here (no http2), so the listener keeps to it (\"http2\": false); "
                                               "remove that to offer HTTP/2").arg(d.args.first()));
                    }
                    note(d, QStringLiteral("listen %1 ssl: TLS with %2; the files must exist where fulcrumd runs (it reads them at start)")
                                     .arg(d.args.first(), certificate.certFile));
                }
            }
            // Several plain server blocks on one address: nginx picks one by server_name (name-based
            // virtual hosts); a Fulcrum listener has one pool, the first block's.
            const auto same = std::find_if(result.config.listeners.begin(), result.config.listeners.end(),
                                           [&](const ListenerConfig &o) { return o.host == l.host && o.port == l.port; });
            if (same != result.config.listeners.end()) {
                if (same->tls.enabled())
                    note(d, QStringLiteral("listen %1: plain and ssl on one address; kept ssl").arg(d.args.first()));
                routeByHost(*same, d);
                continue;
            }
            for (int n = 2; std::any_of(result.config.listeners.begin(), result.config.listeners.end(), [&](const ListenerConfig &o) { return o.name == l.name; }); ++n)
                l.name = QStringLiteral("%1-%2-%3").arg(poolName).arg(l.port).arg(n);   // [::]:80 beside 0.0.0.0:80
            if (!QHostAddress(l.host).isLoopback())
                note(d, QStringLiteral("listen %1: binds %2, not loopback; check that this is wanted").arg(d.args.first(), l.host));
            const QString address = QStringLiteral("%1:%2").arg(l.host).arg(l.port);
            for (const QByteArray &host : hostNames)
                namesTaken[address].insert(host);
            firstNames[address] = hostNames;
            if (d.args.contains(QStringLiteral("default_server")))
                defaultAt.insert(address);
            result.config.listeners.push_back(l);
            if (!loggedServer) {
                loggedServer = server;
                loggedLocation = chosen->block;
            }
        }
    }
    // nginx logs every request unless told not to; Fulcrum only where proxy.access_log names a
    // file. nginx's file and format are nginx's: not carried over, but said, so that an import
    // does not end the logging without a word.
    if (loggedServer) {
        const Directive *log = inherited(loggedServer, enclosingHttp(top, loggedServer), QStringLiteral("access_log"), loggedLocation);
        const QString how = QStringLiteral("Fulcrum writes one only where \"proxy\": {\"access_log\": {\"path\": \"/var/log/fulcrum/access.log\"}} "
                                           "names a file of its own (nginx's combined format, then the server, its status, tries and timings)");
        if (!log)
            result.notes << QStringLiteral("nginx logged every request (its default: access_log logs/access.log combined); %1").arg(how);
        else if (log->args.first() != u"off")
            note(*log, QStringLiteral("access_log %1 not carried over: %2").arg(log->args.join(u' '), how));
    }
    for (Limit &limit : limits) {
        std::optional<qint64> largest;
        const Directive *at = nullptr;
        bool unlimited = false;   // client_max_body_size 0
        QSet<const Directive *> refused;   // one directive, inherited by several locations: said once
        for (const auto &[d, value] : limit.seen) {
            if (!value) {
                if (!refused.contains(d))
                    note(*d, QStringLiteral("%1 %2 not carried over: not a value nginx reads").arg(limit.directive, d->args.first()));
                refused.insert(d);
                continue;
            }
            unlimited = unlimited || (limit.size && *value == 0);
            if (!largest || *value > *largest) {
                largest = value;
                at = d;
            }
        }
        // proxy_connect_timeout: nginx's default (60 s) is not carried; Fulcrum's 3 s fails
        // over to another server sooner.
        if (limit.defaults && limit.nginxDefault >= 0 && (!largest || limit.nginxDefault > *largest)) {
            largest = limit.nginxDefault;
            at = nullptr;
        }
        if (!largest)
            continue;
        const qint64 value = unlimited ? 0 : std::clamp<qint64>(*largest, limit.size ? 0 : 1, limit.ceiling);
        result.config.proxy.*(limit.field) = value;
        const QString where = at ? QStringLiteral("%1:%2: %3 %4").arg(at->file).arg(at->line).arg(limit.directive, at->args.first())
                                 : QStringLiteral("%1 (nginx's default where it is not set)").arg(limit.directive);
        const QString what = limit.field == &ProxyConfig::responseTimeoutMs ? QStringLiteral("proxy.response_timeout (how long a server may take to start answering)")
                             : limit.field == &ProxyConfig::connectTimeoutMs ? QStringLiteral("proxy.connect_timeout")
                                                                            : QStringLiteral("proxy.max_body_bytes (a larger request body gets 413)");
        const bool differs = std::any_of(limit.seen.begin(), limit.seen.end(), [&](const auto &s) { return s.second && *s.second != *largest; })
                             || (limit.defaults && limit.nginxDefault >= 0 && limit.nginxDefault != value);
        result.notes << QStringLiteral("%1: %2 = %3%4%5").arg(where, what, limit.shown(value),
                                                             value != *largest && !unlimited ? QStringLiteral(" (Fulcrum's limit)") : QString(),
                                                             differs ? QStringLiteral("; the largest of the imported locations' values, for every pool without its own")
                                                                     : QString());
    }
    carryClientSide(clientSide, result);
    carryRedirects(redirectBlocks, result);
    for (auto it = limitsOf.cbegin(); it != limitsOf.cend(); ++it) {
        PoolConfig *pool = nullptr;
        for (PoolConfig &p : result.config.pools)
            pool = p.name == it.key() ? &p : pool;
        for (size_t i = 0; pool && i < it.value().size(); ++i) {
            const PoolLimit &own = it.value()[i];
            const Limit &limit = limits[i];
            const qint64 proxyValue = result.config.proxy.*(limit.field);
            const qint64 value = std::clamp<qint64>(own.largest, limit.size ? 0 : 1, limit.ceiling);
            if (own.unset || own.largest < 0 || limit.rank(value) >= limit.rank(proxyValue))
                continue;
            pool->options.*(limit.poolField) = value;
            const QString where = own.at ? QStringLiteral("%1:%2: %3 %4").arg(own.at->file).arg(own.at->line).arg(limit.directive, own.at->args.first())
                                         : QStringLiteral("%1 (nginx's default where it is not set)").arg(limit.directive);
            result.notes << QStringLiteral("%1: pools[\"%2\"].%3 = %4, the largest of the locations that reach pool \"%2\" (proxy.%3, %5, is the largest of all)")
                                .arg(where, pool->name, limit.key, limit.shown(value), limit.shown(proxyValue));
        }
    }
    for (const PoolConfig &p : result.config.pools) {
        bool used = false;
        for (const ListenerConfig &l : result.config.listeners)
            used = used || l.pool == p.name;
        if (!used && upstreamOf.contains(p.name))
            note(*upstreamOf.value(p.name), QStringLiteral("no server block proxies to upstream \"%1\"; add a listener {\"listen\": \"127.0.0.1:PORT\", \"pool\": \"%1\"}").arg(p.name));
    }
    return result;
}

} // namespace fulcrum
