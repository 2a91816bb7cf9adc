#include "configparser.h"

#include "common/duration.h"
#include "common/socketaddress.h"
#include "balancer/consistenthashpicker.h"
#include "proxy/tls.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QRegularExpression>
#include <QHostAddress>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSet>
#include <QUrl>

#include <algorithm>
#include <tuple>

namespace fulcrum {

QString ConfigError::toString() const
{
    // No place in the file (it could not be read at all): the file alone, as compilers write it.
    if (line <= 0)
        return QStringLiteral("%1: %2").arg(file, message);
    return QStringLiteral("%1:%2:%3: %4").arg(file).arg(line).arg(column).arg(message);
}

QString ConfigResult::errorText() const
{
    // In the file's order, as an editor walks them (they are found key by key, not line by line).
    QList<ConfigError> sorted = errors;
    std::stable_sort(sorted.begin(), sorted.end(), [](const ConfigError &a, const ConfigError &b) {
        return std::tie(a.file, a.line, a.column) < std::tie(b.file, b.line, b.column);
    });
    QStringList lines;
    for (const ConfigError &e : sorted)
        lines << e.toString();
    return lines.join(u'\n');
}

namespace {

int editDistance(const QString &a, const QString &b)
{
    std::vector<int> row(size_t(b.size() + 1));
    for (qsizetype j = 0; j <= b.size(); ++j)
        row[size_t(j)] = int(j);
    for (qsizetype i = 1; i <= a.size(); ++i) {
        int diagonal = row[0];
        row[0] = int(i);
        for (qsizetype j = 1; j <= b.size(); ++j) {
            const int above = row[size_t(j)];
            row[size_t(j)] = std::min({row[size_t(j)] + 1, row[size_t(j - 1)] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
            diagonal = above;
        }
    }
    return row[size_t(b.size())];
}

// The known name a typo most likely meant (at most two edits away), or empty.
QString closest(const QString &typed, const QStringList &known)
{
    QString suggestion;
    int best = 3;
    for (const QString &k : known) {
        const int d = editDistance(typed, k);
        if (d < best) {
            best = d;
            suggestion = k;
        }
    }
    return suggestion;
}

// Walks the JSON tree, reading typed fields and collecting every error with its position.
class Reader
{
public:
    Reader(const QString &file, const JsonLocations &locations)
        : m_file(file), m_locations(locations)
    {
    }

    QList<ConfigError> errors;
    // Read the files the config names (certificates, keys, CAs) and check them now; off for a
    // config written for another machine (an import), whose files are checked where it runs.
    bool readListenerFiles = true;
    bool readServerFiles = true;

    void error(const QString &pointer, const QString &message, bool atKey = false)
    {
        const TextPosition p = atKey ? m_locations.key(pointer) : m_locations.value(pointer);
        errors.append(ConfigError{m_file, p.line, p.column, message});
    }

    // Reports keys that are not in `known`, suggesting the closest known one.
    void onlyKeys(const QJsonObject &object, const QString &pointer, const QString &what, const QStringList &known)
    {
        for (auto it = object.begin(); it != object.end(); ++it) {
            if (known.contains(it.key()))
                continue;
            const QString suggestion = closest(it.key(), known);
            error(JsonLocations::child(pointer, it.key()),
                  suggestion.isEmpty()
                      ? QStringLiteral("unknown key \"%1\" in %2; allowed keys: %3").arg(it.key(), what, known.join(QStringLiteral(", ")))
                      : QStringLiteral("unknown key \"%1\" in %2; did you mean \"%3\"?").arg(it.key(), what, suggestion),
                  true);
        }
    }

    QJsonObject object(const QJsonValue &v, const QString &pointer, const QString &what)
    {
        if (!v.isObject()) {
            error(pointer, QStringLiteral("%1 must be an object {...}").arg(what));
            return {};
        }
        return v.toObject();
    }

    QJsonArray array(const QJsonObject &o, const QString &key, const QString &pointer, const QString &what)
    {
        const QJsonValue v = o.value(key);
        if (v.isUndefined())
            return {};
        if (!v.isArray()) {
            error(JsonLocations::child(pointer, key), QStringLiteral("%1 must be an array [...]").arg(what));
            return {};
        }
        return v.toArray();
    }

    QString string(const QJsonObject &o, const QString &key, const QString &pointer, const QString &fallback, const QString &what)
    {
        const QJsonValue v = o.value(key);
        if (v.isUndefined())
            return fallback;
        if (!v.isString()) {
            error(JsonLocations::child(pointer, key), QStringLiteral("%1 must be a string").arg(what));
            return fallback;
        }
        return v.toString();
    }

    bool boolean(const QJsonObject &o, const QString &key, const QString &pointer, bool fallback, const QString &what)
    {
        const QJsonValue v = o.value(key);
        if (v.isUndefined())
            return fallback;
        if (!v.isBool()) {
            error(JsonLocations::child(pointer, key), QStringLiteral("%1 must be true or false").arg(what));
            return fallback;
        }
        return v.toBool();
    }

    qint64 integer(const QJsonObject &o, const QString &key, const QString &pointer, qint64 fallback, qint64 min, qint64 max, const QString &what)
    {
        const QJsonValue v = o.value(key);
        if (v.isUndefined())
            return fallback;
        const double d = v.toDouble();
        if (!v.isDouble() || d != double(qint64(d))) {
            error(JsonLocations::child(pointer, key), QStringLiteral("%1 must be a whole number %2..%3").arg(what).arg(min).arg(max));
            return fallback;
        }
        if (d < double(min) || d > double(max)) {
            error(JsonLocations::child(pointer, key), QStringLiteral("%1 %2 must be %3..%4").arg(what).arg(qint64(d)).arg(min).arg(max));
            return fallback;
        }
        return qint64(d);
    }

    // A duration: a number of milliseconds or a string like "250ms", "2s", "5m".
    qint64 duration(const QJsonObject &o, const QString &key, const QString &pointer, qint64 fallback, qint64 minMs, qint64 maxMs, const QString &what)
    {
        const QJsonValue v = o.value(key);
        if (v.isUndefined())
            return fallback;
        std::optional<qint64> ms;
        if (v.isDouble() && v.toDouble() >= 0 && v.toDouble() == double(qint64(v.toDouble())))
            ms = qint64(v.toDouble());
        else if (v.isString())
            ms = parseDurationMs(v.toString());
        const QString shown = v.isString() ? v.toString() : QString::number(v.toDouble());
        if (!ms) {
            error(JsonLocations::child(pointer, key),
                  QStringLiteral("%1 \"%2\" is not a duration; write milliseconds (2000) or a string such as \"250ms\", \"2s\", \"5m\"").arg(what, shown));
            return fallback;
        }
        if (*ms < minMs || *ms > maxMs) {
            error(JsonLocations::child(pointer, key),
                  QStringLiteral("%1 %2 must be between %3 and %4").arg(what, shown, formatDurationMs(minMs), formatDurationMs(maxMs)));
            return fallback;
        }
        return *ms;
    }

    // "host:port", "[v6]:port" or ":port" (loopback).
    bool address(const QString &text, const QString &pointer, const QString &what, QString *host, quint16 *port, bool allowZeroPort = false)
    {
        QString h;
        QString p;
        if (text.startsWith(u'[')) {
            const qsizetype close = text.indexOf(u']');
            if (close > 0 && text.mid(close + 1).startsWith(u':')) {
                h = text.mid(1, close - 1);
                p = text.mid(close + 2);
            }
        } else {
            const qsizetype colon = text.lastIndexOf(u':');
            if (colon >= 0 && text.indexOf(u':') == colon) {
                h = text.left(colon);
                p = text.mid(colon + 1);
            }
        }
        if (h.isEmpty() && !p.isEmpty() && text.startsWith(u':'))
            h = QStringLiteral("127.0.0.1");
        bool ok = false;
        const uint value = p.toUInt(&ok);
        if (h.isEmpty() || !ok || value > 65535 || (value == 0 && !allowZeroPort)) {
            error(pointer, QStringLiteral("%1 \"%2\" must be HOST:PORT with a port 1..65535, e.g. \"127.0.0.1:9001\" or \"[::1]:9001\"").arg(what, text));
            return false;
        }
        *host = h;
        *port = quint16(value);
        return true;
    }

private:
    QString m_file;
    const JsonLocations &m_locations;
};

HashKeySource parseHashKey(Reader &r, const QString &text, const QString &pointer)
{
    if (text == u"client-ip")
        return HashKeySource{HashKeySource::ClientIp, {}};
    if (text.startsWith(u"header:") && text.size() > 7)
        return HashKeySource{HashKeySource::Header, text.mid(7)};
    if (text.startsWith(u"cookie:") && text.size() > 7)
        return HashKeySource{HashKeySource::Cookie, text.mid(7)};
    if (text == u"uri")
        return HashKeySource{HashKeySource::Uri, {}};
    if (text == u"path")
        return HashKeySource{HashKeySource::Path, {}};
    r.error(pointer, QStringLiteral("hash_key \"%1\" must be \"client-ip\", \"header:NAME\", \"cookie:NAME\", \"uri\" or \"path\"").arg(text));
    return {};
}

// proxy.resolver: {"nameservers": ["IP", ...], "valid": "30s", "retry": "5s"}.
ResolverConfig parseResolver(Reader &r, const QJsonValue &value, const QString &pointer)
{
    ResolverConfig c;
    const QJsonObject o = r.object(value, pointer, QStringLiteral("proxy.resolver"));
    r.onlyKeys(o, pointer, QStringLiteral("proxy.resolver"), {QStringLiteral("nameservers"), QStringLiteral("valid"), QStringLiteral("retry")});
    const QString listPointer = JsonLocations::child(pointer, QStringLiteral("nameservers"));
    const QJsonArray nameservers = r.array(o, QStringLiteral("nameservers"), pointer, QStringLiteral("proxy.resolver.nameservers"));
    for (int i = 0; i < nameservers.size(); ++i) {
        // "IP", "IP:53" or "[IPv6]:53": Qt 6.4's DNS lookups ask port 53 only.
        QString host;
        QString port;
        splitHostPort(nameservers.at(i).toString(), QStringLiteral("53"), &host, &port);
        const QHostAddress address(host);
        if (!nameservers.at(i).isString() || address.isNull())
            r.error(JsonLocations::child(listPointer, i),
                    QStringLiteral("proxy.resolver.nameservers entry \"%1\" must be a nameserver's IP address, e.g. \"127.0.0.53\" or \"10.0.0.2\"")
                        .arg(nameservers.at(i).toVariant().toString()));
        else if (port != u"53")
            r.error(JsonLocations::child(listPointer, i),
                    QStringLiteral("proxy.resolver.nameservers entry \"%1\": Fulcrum asks nameservers on port 53 only; "
                                   "run the nameserver on port 53 or write its address without a port").arg(nameservers.at(i).toString()));
        else
            c.nameservers << address.toString();
    }
    if (nameservers.isEmpty())
        r.error(o.contains(QStringLiteral("nameservers")) ? listPointer : pointer,
                QStringLiteral("proxy.resolver needs \"nameservers\": the IP addresses of the DNS servers to ask for the servers' names, e.g. [\"10.0.0.2\"]"));
    c.validMs = r.duration(o, QStringLiteral("valid"), pointer, c.validMs, 1000, 3'600'000, QStringLiteral("proxy.resolver.valid"));
    c.retryMs = r.duration(o, QStringLiteral("retry"), pointer, c.retryMs, 100, 3'600'000, QStringLiteral("proxy.resolver.retry"));
    return c;
}

// proxy.access_log: {"path": "/var/log/fulcrum/access.log", "format": "text" | "json", "only": "all" | "errors"}.
// The file is checked here, so that --check and a reload refuse a path the workers could not
// write (the running config and its log stay).
AccessLogConfig parseAccessLog(Reader &r, const QJsonValue &value, const QString &pointer)
{
    AccessLogConfig c;
    const QJsonObject o = r.object(value, pointer, QStringLiteral("proxy.access_log"));
    r.onlyKeys(o, pointer, QStringLiteral("proxy.access_log"), {QStringLiteral("path"), QStringLiteral("format"), QStringLiteral("only")});
    const QString pathPointer = JsonLocations::child(pointer, QStringLiteral("path"));
    const QString path = r.string(o, QStringLiteral("path"), pointer, QString(), QStringLiteral("proxy.access_log.path"));
    if (path.isEmpty()) {
        r.error(o.contains(QStringLiteral("path")) ? pathPointer : pointer,
                QStringLiteral("proxy.access_log needs \"path\": the file to append one line per request to, e.g. \"/var/log/fulcrum/access.log\""));
    } else if (!QDir::isAbsolutePath(path)) {
        r.error(pathPointer, QStringLiteral("proxy.access_log.path \"%1\" must be an absolute path, e.g. \"/var/log/fulcrum/access.log\"").arg(path));
    } else {
        const QFileInfo file(path);
        const QFileInfo folder(file.absolutePath());
        if (file.exists() && (file.isDir() || !file.isFile()))
            r.error(pathPointer, QStringLiteral("proxy.access_log.path \"%1\" is not a regular file; name a file in it, e.g. \"%1/access.log\"").arg(path));
        else if (file.exists() && !file.isWritable())
            r.error(pathPointer, QStringLiteral("proxy.access_log.path \"%1\" cannot be written by this user; give it write permission (chown or chmod) or name another file").arg(path));
        else if (!file.exists() && !folder.isDir())
            r.error(pathPointer, QStringLiteral("proxy.access_log.path \"%1\": the folder %2 does not exist; create it (mkdir -p %2) or name another folder").arg(path, folder.filePath()));
        else if (!file.exists() && !folder.isWritable())
            r.error(pathPointer, QStringLiteral("proxy.access_log.path \"%1\": the folder %2 cannot be written by this user, so the file cannot be made; give it write permission or name another folder").arg(path, folder.filePath()));
        else
            c.path = QDir::cleanPath(path);
    }
    const QString format = r.string(o, QStringLiteral("format"), pointer, QStringLiteral("text"), QStringLiteral("proxy.access_log.format"));
    if (format == u"text")
        c.format = AccessLogConfig::Format::Text;
    else if (format == u"json")
        c.format = AccessLogConfig::Format::Json;
    else
        r.error(JsonLocations::child(pointer, QStringLiteral("format")),
                QStringLiteral("proxy.access_log.format \"%1\" must be \"text\" (nginx's combined format, then key=value fields) or \"json\" (one object per line)").arg(format));
    const QString only = r.string(o, QStringLiteral("only"), pointer, QStringLiteral("all"), QStringLiteral("proxy.access_log.only"));
    if (only == u"errors")
        c.errorsOnly = true;
    else if (only != u"all")
        r.error(JsonLocations::child(pointer, QStringLiteral("only")),
                QStringLiteral("proxy.access_log.only \"%1\" must be \"all\" (every request) or \"errors\" (status 400 and above, and requests that did not end normally)").arg(only));
    return c;
}

HealthCheckConfig parseHealth(Reader &r, const QJsonValue &value, const QString &pointer, const QString &poolName)
{
    HealthCheckConfig h;
    if (value.isUndefined())
        return h;
    const QJsonObject o = r.object(value, pointer, QStringLiteral("health_check of pool \"%1\"").arg(poolName));
    r.onlyKeys(o, pointer, QStringLiteral("health_check"),
               {QStringLiteral("enabled"), QStringLiteral("type"), QStringLiteral("method"), QStringLiteral("path"), QStringLiteral("host"),
                QStringLiteral("expect_status"), QStringLiteral("expect_body"), QStringLiteral("interval"), QStringLiteral("fast_interval"),
                QStringLiteral("down_interval"), QStringLiteral("timeout"), QStringLiteral("rise"), QStringLiteral("fall"),
                QStringLiteral("reuse_connection")});
    h.enabled = r.boolean(o, QStringLiteral("enabled"), pointer, true, QStringLiteral("health_check.enabled"));
    const QString type = r.string(o, QStringLiteral("type"), pointer, QStringLiteral("http"), QStringLiteral("health_check.type"));
    if (type == u"http")
        h.type = HealthCheckConfig::Http;
    else if (type == u"tcp")
        h.type = HealthCheckConfig::Tcp;
    else
        r.error(JsonLocations::child(pointer, QStringLiteral("type")), QStringLiteral("health_check.type \"%1\" must be \"http\" or \"tcp\"").arg(type));
    h.method = r.string(o, QStringLiteral("method"), pointer, h.method, QStringLiteral("health_check.method"));
    static const QStringList methods{QStringLiteral("GET"), QStringLiteral("HEAD"), QStringLiteral("OPTIONS"), QStringLiteral("POST")};
    if (!methods.contains(h.method))
        r.error(JsonLocations::child(pointer, QStringLiteral("method")), QStringLiteral("health_check.method \"%1\" must be one of %2").arg(h.method, methods.join(QStringLiteral(", "))));
    h.path = r.string(o, QStringLiteral("path"), pointer, h.path, QStringLiteral("health_check.path"));
    if (!h.path.startsWith(u'/'))
        r.error(JsonLocations::child(pointer, QStringLiteral("path")), QStringLiteral("health_check.path \"%1\" must start with /").arg(h.path));
    h.host = r.string(o, QStringLiteral("host"), pointer, QString(), QStringLiteral("health_check.host"));
    h.expectBody = r.string(o, QStringLiteral("expect_body"), pointer, QString(), QStringLiteral("health_check.expect_body"));
    if (o.contains(QStringLiteral("expect_status"))) {
        h.expectStatus.clear();
        const QString sp = JsonLocations::child(pointer, QStringLiteral("expect_status"));
        const QJsonArray ranges = r.array(o, QStringLiteral("expect_status"), pointer, QStringLiteral("health_check.expect_status"));
        for (int i = 0; i < ranges.size(); ++i) {
            const QString text = ranges.at(i).isDouble() ? QString::number(ranges.at(i).toInt()) : ranges.at(i).toString();
            const QStringList parts = text.split(u'-');
            bool ok1 = false, ok2 = false;
            const int lo = parts.value(0).toInt(&ok1);
            const int hi = parts.size() == 2 ? parts.value(1).toInt(&ok2) : lo;
            if (parts.size() == 1)
                ok2 = ok1;
            if (!ok1 || !ok2 || parts.size() > 2 || lo < 100 || hi > 599 || lo > hi)
                r.error(JsonLocations::child(sp, i), QStringLiteral("expect_status entry \"%1\" must be a status (200) or a range (200-399) within 100..599").arg(text));
            else
                h.expectStatus.append({lo, hi});
        }
        if (h.expectStatus.isEmpty() && ranges.isEmpty())
            r.error(sp, QStringLiteral("expect_status must list at least one status or range, e.g. [\"200-399\"]"));
    }
    h.intervalMs = r.duration(o, QStringLiteral("interval"), pointer, h.intervalMs, 10, 3'600'000, QStringLiteral("health_check.interval"));
    h.fastIntervalMs = r.duration(o, QStringLiteral("fast_interval"), pointer, o.contains(QStringLiteral("interval")) && !o.contains(QStringLiteral("fast_interval")) ? h.intervalMs : h.fastIntervalMs, 10, 3'600'000, QStringLiteral("health_check.fast_interval"));
    h.downIntervalMs = r.duration(o, QStringLiteral("down_interval"), pointer, o.contains(QStringLiteral("interval")) && !o.contains(QStringLiteral("down_interval")) ? h.intervalMs : h.downIntervalMs, 10, 3'600'000, QStringLiteral("health_check.down_interval"));
    h.timeoutMs = r.duration(o, QStringLiteral("timeout"), pointer, std::min(h.timeoutMs, h.intervalMs), 1, 600'000, QStringLiteral("health_check.timeout"));
    h.rise = int(r.integer(o, QStringLiteral("rise"), pointer, h.rise, 1, 100, QStringLiteral("health_check.rise")));
    h.fall = int(r.integer(o, QStringLiteral("fall"), pointer, h.fall, 1, 100, QStringLiteral("health_check.fall")));
    h.reuseConnection = r.boolean(o, QStringLiteral("reuse_connection"), pointer, h.reuseConnection, QStringLiteral("health_check.reuse_connection"));
    return h;
}

OutlierConfig parseOutlier(Reader &r, const QJsonValue &value, const QString &pointer)
{
    OutlierConfig c;
    if (value.isUndefined())
        return c;
    const QJsonObject o = r.object(value, pointer, QStringLiteral("outlier_detection"));
    r.onlyKeys(o, pointer, QStringLiteral("outlier_detection"),
               {QStringLiteral("enabled"), QStringLiteral("consecutive_failures"), QStringLiteral("base_ejection_time"),
                QStringLiteral("max_ejection_time"), QStringLiteral("max_ejection_percent")});
    c.enabled = r.boolean(o, QStringLiteral("enabled"), pointer, c.enabled, QStringLiteral("outlier_detection.enabled"));
    c.consecutiveFailures = int(r.integer(o, QStringLiteral("consecutive_failures"), pointer, c.consecutiveFailures, 1, 1000, QStringLiteral("outlier_detection.consecutive_failures")));
    c.baseEjectionMs = r.duration(o, QStringLiteral("base_ejection_time"), pointer, c.baseEjectionMs, 1, 86'400'000, QStringLiteral("outlier_detection.base_ejection_time"));
    c.maxEjectionMs = r.duration(o, QStringLiteral("max_ejection_time"), pointer, c.maxEjectionMs, 1, 86'400'000, QStringLiteral("outlier_detection.max_ejection_time"));
    c.maxEjectionPercent = int(r.integer(o, QStringLiteral("max_ejection_percent"), pointer, c.maxEjectionPercent, 0, 100, QStringLiteral("outlier_detection.max_ejection_percent")));
    return c;
}

ListenerCertificate parseListenerCertificate(Reader &r, const QJsonObject &o, const QString &pointer, const QString &what)
{
    ListenerCertificate c;
    c.certFile = r.string(o, QStringLiteral("cert"), pointer, QString(), what + QStringLiteral(".cert"));
    c.keyFile = r.string(o, QStringLiteral("key"), pointer, QString(), what + QStringLiteral(".key"));
    c.ocspFile = r.string(o, QStringLiteral("ocsp_response"), pointer, QString(), what + QStringLiteral(".ocsp_response"));
    if (c.certFile.isEmpty() || c.keyFile.isEmpty())
        r.error(pointer, QStringLiteral("%1 needs \"cert\" and \"key\": the PEM certificate chain (leaf first) and its private key, "
                                        "e.g. \"/etc/fulcrum/shop.pem\" and \"/etc/fulcrum/shop.key\" (mode 0600)").arg(what));
    return c;
}

// "tls" of a listener: one certificate (cert, key, ocsp_response) or several ("certificates").
// The files are read now, so a missing file, a key of another certificate or a bad OCSP
// response is an error at the key that names it, and the running config stays.
// listeners[].redirect.except: the path prefixes a redirect listener sends to its pool instead
// of redirecting them (the ACME HTTP-01 challenge), each checked by pathPrefixProblem.
QList<QByteArray> parseRedirectExcept(Reader &r, const QJsonObject &redirect, const QString &pointer, const QString &listener)
{
    constexpr int kMaxPrefixes = 16;
    QList<QByteArray> prefixes;
    const QString at = JsonLocations::child(pointer, QStringLiteral("except"));
    if (redirect.contains(QStringLiteral("except")) && !redirect.value(QStringLiteral("except")).isArray()) {
        r.error(at, QStringLiteral("listener \"%1\": redirect except must be a list of path prefixes, e.g. [\"/.well-known/acme-challenge/\"]").arg(listener));
        return prefixes;
    }
    const QJsonArray list = redirect.value(QStringLiteral("except")).toArray();
    if (redirect.contains(QStringLiteral("except")) && list.isEmpty())
        r.error(at, QStringLiteral("listener \"%1\": redirect except is empty; remove it, or list the path prefixes its pool serves, e.g. "
                                   "[\"/.well-known/acme-challenge/\"]").arg(listener));
    if (list.size() > kMaxPrefixes)
        r.error(at, QStringLiteral("listener \"%1\": redirect except lists %2 prefixes; at most %3").arg(listener).arg(list.size()).arg(kMaxPrefixes));
    for (int i = 0; i < list.size() && i < kMaxPrefixes; ++i) {
        const QString prefix = list.at(i).toString();
        const QString problem = list.at(i).isString()
                                    ? pathPrefixProblem(prefix, QStringLiteral("a listener that sends every path to a pool is a listener without \"redirect\""))
                                    : QStringLiteral("must be a string");
        if (!problem.isEmpty()) {
            r.error(JsonLocations::child(at, i), QStringLiteral("listener \"%1\": redirect except \"%2\" %3").arg(listener, prefix, problem));
            continue;
        }
        prefixes.append(prefix.toLatin1());
    }
    return prefixes;
}

// listeners[].routes: path prefixes, host names or both sent to other pools than the
// listener's, each prefix checked by pathPrefixProblem, each host by routeHostProblem, each pool
// defined, no host and prefix twice.
std::vector<ListenerRoute> parseRoutes(Reader &r, const QJsonObject &listener, const QString &pointer, const QString &name, const QSet<QString> &poolNames)
{
    constexpr int kMaxRoutes = 256;
    std::vector<ListenerRoute> routes;
    const QString at = JsonLocations::child(pointer, QStringLiteral("routes"));
    const QJsonArray list = r.array(listener, QStringLiteral("routes"), pointer, QStringLiteral("listener \"%1\" routes").arg(name));
    if (list.size() > kMaxRoutes)
        r.error(at, QStringLiteral("listener \"%1\" has %2 routes; at most %3").arg(name).arg(list.size()).arg(kMaxRoutes));
    const QString defined = QStringList(poolNames.values()).join(QStringLiteral(", "));
    for (int i = 0; i < list.size() && i < kMaxRoutes; ++i) {
        const QString entry = JsonLocations::child(at, i);
        const QJsonObject o = r.object(list.at(i), entry, QStringLiteral("listener \"%1\" route %2").arg(name).arg(i));
        r.onlyKeys(o, entry, QStringLiteral("route"), {QStringLiteral("host"), QStringLiteral("prefix"), QStringLiteral("pool"), QStringLiteral("prefix_rewrite")});
        const QString host = r.string(o, QStringLiteral("host"), entry, QString(), QStringLiteral("route host")).toLower();
        const QString prefix = r.string(o, QStringLiteral("prefix"), entry, QString(), QStringLiteral("route prefix"));
        const QString pool = r.string(o, QStringLiteral("pool"), entry, QString(), QStringLiteral("route pool"));
        bool ok = true;
        if (o.contains(QStringLiteral("host"))) {
            if (const QString problem = routeHostProblem(host); !problem.isEmpty()) {
                r.error(JsonLocations::child(entry, QStringLiteral("host")), QStringLiteral("listener \"%1\": route host \"%2\" %3").arg(name, host, problem));
                ok = false;
            }
        }
        if (prefix.isEmpty() && host.isEmpty()) {
            r.error(entry, QStringLiteral("listener \"%1\": route %2 needs \"prefix\" (the start of the paths it takes, e.g. \"/api/\"), \"host\" "
                                          "(the name clients ask for, e.g. \"api.shop.example\") or both").arg(name).arg(i));
            ok = false;
        } else if (prefix.isEmpty() && o.contains(QStringLiteral("prefix"))) {
            r.error(JsonLocations::child(entry, QStringLiteral("prefix")),
                    QStringLiteral("listener \"%1\": route %2 has an empty \"prefix\"; leave it out for every path of the host").arg(name).arg(i));
            ok = false;
        } else if (prefix.isEmpty()) {
            // A host's every path.
        } else if (const QString problem = pathPrefixProblem(prefix, host.isEmpty() ? QStringLiteral("that is the listener's own \"pool\"")
                                                                                     : QStringLiteral("leave \"prefix\" out for every path of the host"));
                   !problem.isEmpty()) {
            r.error(JsonLocations::child(entry, QStringLiteral("prefix")), QStringLiteral("listener \"%1\": route prefix \"%2\" %3").arg(name, prefix, problem));
            ok = false;
        }
        const QString rewrite = r.string(o, QStringLiteral("prefix_rewrite"), entry, QString(), QStringLiteral("route prefix_rewrite"));
        if (o.contains(QStringLiteral("prefix_rewrite"))) {
            const QString where = JsonLocations::child(entry, QStringLiteral("prefix_rewrite"));
            if (prefix.isEmpty()) {
                r.error(where, QStringLiteral("listener \"%1\": route %2 has \"prefix_rewrite\" but no \"prefix\" to put it in place of; add the prefix "
                                              "(e.g. \"/api/\"), or remove \"prefix_rewrite\"").arg(name).arg(i));
                ok = false;
            } else if (const QString problem = rewrite == u"/" ? QString() : pathPrefixProblem(rewrite, QString()); !problem.isEmpty()) {
                r.error(where, QStringLiteral("listener \"%1\": route prefix_rewrite \"%2\" %3 (it is what the servers get in place of \"%4\": \"/\" strips "
                                              "it)").arg(name, rewrite, problem, prefix));
                ok = false;
            }
        }
        const ListenerRoute route{prefix.toLatin1(), pool, host.toLatin1(), rewrite.toLatin1()};
        if (ok && std::any_of(routes.begin(), routes.end(), [&](const ListenerRoute &other) { return other.prefix == route.prefix && other.host == route.host; })) {
            r.error(entry, QStringLiteral("listener \"%1\": route \"%2\" is given twice").arg(name, route.text()));
            ok = false;
        }
        if (pool.isEmpty()) {
            r.error(entry, QStringLiteral("listener \"%1\": route %2 needs \"pool\": one of %3").arg(name).arg(i).arg(defined));
            ok = false;
        } else if (!poolNames.contains(pool)) {
            r.error(JsonLocations::child(entry, QStringLiteral("pool")),
                    QStringLiteral("listener \"%1\" routes %2 to pool \"%3\", which is not defined; defined pools: %4").arg(name, route.text(), pool, defined));
            ok = false;
        }
        if (ok)
            routes.push_back(route);
    }
    return routes;
}

ListenerTlsConfig parseListenerTls(Reader &r, const QJsonValue &value, const QString &pointer, const QString &listener)
{
    ListenerTlsConfig c;
    const qsizetype errorsBefore = r.errors.size();
    const QString what = QStringLiteral("listener \"%1\" tls").arg(listener);
    const QJsonObject o = r.object(value, pointer, what);
    r.onlyKeys(o, pointer, QStringLiteral("listener tls"),
               {QStringLiteral("cert"), QStringLiteral("key"), QStringLiteral("ocsp_response"), QStringLiteral("certificates"), QStringLiteral("min_version"),
                QStringLiteral("ciphers"), QStringLiteral("session_tickets"), QStringLiteral("ticket_key_rotation"), QStringLiteral("http2"),
                QStringLiteral("http2_max_streams"), QStringLiteral("hsts")});
    const bool single = o.contains(QStringLiteral("cert")) || o.contains(QStringLiteral("key")) || o.contains(QStringLiteral("ocsp_response"));
    const QString listPointer = JsonLocations::child(pointer, QStringLiteral("certificates"));
    if (single && o.contains(QStringLiteral("certificates"))) {
        r.error(listPointer, QStringLiteral("%1: write either \"cert\"/\"key\" (one certificate) or \"certificates\": [...] (several), not both").arg(what));
    } else if (single) {
        c.certificates.push_back(parseListenerCertificate(r, o, pointer, what));
    } else {
        const QJsonArray list = r.array(o, QStringLiteral("certificates"), pointer, what + QStringLiteral(".certificates"));
        if (list.isEmpty())
            r.error(o.contains(QStringLiteral("certificates")) ? listPointer : pointer,
                    QStringLiteral("%1 needs a certificate: \"cert\" and \"key\", or \"certificates\": [{\"cert\": ..., \"key\": ...}, ...]").arg(what));
        for (int i = 0; i < list.size(); ++i) {
            const QString itemPointer = JsonLocations::child(listPointer, i);
            const QJsonObject item = r.object(list.at(i), itemPointer, QStringLiteral("%1 certificate %2").arg(what).arg(i));
            r.onlyKeys(item, itemPointer, QStringLiteral("certificate"), {QStringLiteral("cert"), QStringLiteral("key"), QStringLiteral("ocsp_response")});
            c.certificates.push_back(parseListenerCertificate(r, item, itemPointer, QStringLiteral("%1 certificate %2").arg(what).arg(i)));
        }
    }
    const QString version = r.string(o, QStringLiteral("min_version"), pointer, QStringLiteral("1.2"), what + QStringLiteral(".min_version"));
    if (version == u"1.2" || version == u"TLSv1.2")
        c.minVersion = 12;
    else if (version == u"1.3" || version == u"TLSv1.3")
        c.minVersion = 13;
    else
        r.error(JsonLocations::child(pointer, QStringLiteral("min_version")),
                QStringLiteral("min_version \"%1\" must be \"1.2\" or \"1.3\"; TLS 1.0 and 1.1 are not offered (RFC 8996)").arg(version));
    c.ciphers = r.string(o, QStringLiteral("ciphers"), pointer, QString(), what + QStringLiteral(".ciphers"));
    c.sessionTickets = r.boolean(o, QStringLiteral("session_tickets"), pointer, c.sessionTickets, what + QStringLiteral(".session_tickets"));
    c.ticketKeyRotationMs = r.duration(o, QStringLiteral("ticket_key_rotation"), pointer, c.ticketKeyRotationMs, 1000, 7 * 86'400'000LL,
                                       what + QStringLiteral(".ticket_key_rotation"));
    c.http2.enabled = r.boolean(o, QStringLiteral("http2"), pointer, c.http2.enabled, what + QStringLiteral(".http2"));
    c.http2.maxConcurrentStreams = int(r.integer(o, QStringLiteral("http2_max_streams"), pointer, c.http2.maxConcurrentStreams, 1, 1000,
                                                 what + QStringLiteral(".http2_max_streams")));
    // RFC 6797 6.1: max-age, then the optional includeSubDomains (and preload, a list browsers keep).
    c.hsts = r.string(o, QStringLiteral("hsts"), pointer, QString(), what + QStringLiteral(".hsts")).trimmed();
    if (o.contains(QStringLiteral("hsts")) && !isHstsValue(c.hsts))
        r.error(JsonLocations::child(pointer, QStringLiteral("hsts")),
                QStringLiteral("%1.hsts \"%2\" is not a Strict-Transport-Security value; write \"max-age=SECONDS\", then \"; includeSubDomains\" "
                               "and \"; preload\" if wanted (e.g. \"max-age=63072000; includeSubDomains\")").arg(what, c.hsts));
    if (r.errors.size() != errorsBefore || c.certificates.empty() || !r.readListenerFiles)
        return c;
    TlsServerContext::LoadError error;
    if (!TlsServerContext::load(c, nullptr, &error)) {
        QString at = pointer;
        if (error.certificate >= 0 && !single)
            at = JsonLocations::child(listPointer, error.certificate);
        if (!error.key.isEmpty())
            at = JsonLocations::child(at, error.key);
        r.error(at, QStringLiteral("%1: %2").arg(what, error.message));
    }
    return c;
}

BackendTls parseServerTls(Reader &r, const QJsonValue &value, const QString &pointer, const QString &server)
{
    BackendTls c;
    const QString what = QStringLiteral("server \"%1\" tls").arg(server);
    if (value.isBool()) {
        c.enabled = value.toBool();
        return c;
    }
    const QJsonObject o = r.object(value, pointer, what + QStringLiteral(" (true, or an object)"));
    r.onlyKeys(o, pointer, QStringLiteral("server tls"),
               {QStringLiteral("ca"), QStringLiteral("server_name"), QStringLiteral("verify"), QStringLiteral("cert"), QStringLiteral("key")});
    c.enabled = true;
    c.caFile = r.string(o, QStringLiteral("ca"), pointer, QString(), what + QStringLiteral(".ca"));
    c.serverName = r.string(o, QStringLiteral("server_name"), pointer, QString(), what + QStringLiteral(".server_name"));
    c.verify = r.boolean(o, QStringLiteral("verify"), pointer, true, what + QStringLiteral(".verify"));
    c.certFile = r.string(o, QStringLiteral("cert"), pointer, QString(), what + QStringLiteral(".cert"));
    c.keyFile = r.string(o, QStringLiteral("key"), pointer, QString(), what + QStringLiteral(".key"));
    if (c.certFile.isEmpty() != c.keyFile.isEmpty()) {
        r.error(pointer, QStringLiteral("%1: a client certificate needs both \"cert\" and \"key\"").arg(what));
        return c;
    }
    QString error;
    if (r.readServerFiles && !TlsClientContext::load(c, &error))
        r.error(pointer, QStringLiteral("%1: %2").arg(what, error));
    return c;
}

BackendSpec parseServer(Reader &r, const QJsonValue &value, const QString &pointer, const QString &poolName, int index)
{
    BackendSpec s;
    const QJsonObject o = r.object(value, pointer, QStringLiteral("server %1 of pool \"%2\"").arg(index).arg(poolName));
    r.onlyKeys(o, pointer, QStringLiteral("server"),
               {QStringLiteral("name"), QStringLiteral("address"), QStringLiteral("weight"), QStringLiteral("max_connections"),
                QStringLiteral("backup"), QStringLiteral("state"), QStringLiteral("tls")});
    const QString address = r.string(o, QStringLiteral("address"), pointer, QString(), QStringLiteral("server address"));
    if (address.isEmpty() && !o.value(QStringLiteral("address")).isString())
        r.error(pointer, QStringLiteral("server %1 of pool \"%2\" needs an \"address\": \"HOST:PORT\"").arg(index).arg(poolName));
    else
        r.address(address, JsonLocations::child(pointer, QStringLiteral("address")), QStringLiteral("server address"), &s.host, &s.port);
    s.name = r.string(o, QStringLiteral("name"), pointer, address, QStringLiteral("server name"));
    s.weight = int(r.integer(o, QStringLiteral("weight"), pointer, 1, 0, kMaxWeight,
                             QStringLiteral("weight for server \"%1\"").arg(s.name)));
    s.maxConnections = int(r.integer(o, QStringLiteral("max_connections"), pointer, 0, 0, 1'000'000,
                                     QStringLiteral("max_connections for server \"%1\"").arg(s.name)));
    s.backup = r.boolean(o, QStringLiteral("backup"), pointer, false, QStringLiteral("backup"));
    if (o.contains(QStringLiteral("tls")))
        s.tls = parseServerTls(r, o.value(QStringLiteral("tls")), JsonLocations::child(pointer, QStringLiteral("tls")), s.name);
    const QString state = r.string(o, QStringLiteral("state"), pointer, QStringLiteral("up"), QStringLiteral("state"));
    if (state == u"up")
        s.state = BackendState::Up;
    else if (state == u"drain")
        s.state = BackendState::Drain;
    else if (state == u"maint")
        s.state = BackendState::Maint;
    else
        r.error(JsonLocations::child(pointer, QStringLiteral("state")),
                QStringLiteral("state \"%1\" for server \"%2\" must be \"up\", \"drain\" or \"maint\" (down is decided by health checks)").arg(state, s.name));
    return s;
}

PoolConfig parsePool(Reader &r, const QJsonValue &value, const QString &pointer, int index)
{
    PoolConfig p;
    const QJsonObject o = r.object(value, pointer, QStringLiteral("pool %1").arg(index));
    r.onlyKeys(o, pointer, QStringLiteral("pool"),
               {QStringLiteral("name"), QStringLiteral("algorithm"), QStringLiteral("hash_key"), QStringLiteral("maglev_table_size"),
                QStringLiteral("servers"), QStringLiteral("health_check"), QStringLiteral("outlier_detection"), QStringLiteral("slow_start"),
                QStringLiteral("response_timeout"), QStringLiteral("connect_timeout"), QStringLiteral("max_body_bytes"),
                QStringLiteral("keepalive_timeout"), QStringLiteral("max_idle_per_server"), QStringLiteral("keepalive_requests"),
                QStringLiteral("keepalive_time")});
    p.name = r.string(o, QStringLiteral("name"), pointer, QString(), QStringLiteral("pool name"));
    if (p.name.isEmpty())
        r.error(pointer, QStringLiteral("pool %1 needs a \"name\"").arg(index));
    const QString algorithm = r.string(o, QStringLiteral("algorithm"), pointer, algorithmName(Algorithm::WeightedRoundRobin), QStringLiteral("algorithm"));
    if (const auto choice = parseAlgorithm(algorithm)) {
        p.options.algorithm = choice->algorithm;
        p.options.choices = choice->choices;
    } else {
        const QString meant = closest(algorithm, algorithmNames());
        r.error(JsonLocations::child(pointer, QStringLiteral("algorithm")),
                meant.isEmpty() ? QStringLiteral("algorithm \"%1\" of pool \"%2\" is unknown; use one of: %3, \"random two\"")
                                      .arg(algorithm, p.name, algorithmNames().join(QStringLiteral(", ")))
                                : QStringLiteral("algorithm \"%1\" of pool \"%2\" is unknown; did you mean \"%3\"?").arg(algorithm, p.name, meant));
    }
    if (o.contains(QStringLiteral("hash_key"))) {
        p.options.hashKey = parseHashKey(r, r.string(o, QStringLiteral("hash_key"), pointer, QString(), QStringLiteral("hash_key")),
                                         JsonLocations::child(pointer, QStringLiteral("hash_key")));
        if (p.options.algorithm != Algorithm::ConsistentHash)
            r.error(JsonLocations::child(pointer, QStringLiteral("hash_key")),
                    QStringLiteral("hash_key only applies to \"consistent-hash\"; pool \"%1\" uses \"%2\"").arg(p.name, algorithm));
    }
    p.options.maglevTableSize = quint32(r.integer(o, QStringLiteral("maglev_table_size"), pointer, 65537, 3, 16'777'259, QStringLiteral("maglev_table_size")));
    if (!ConsistentHashPicker::isPrime(p.options.maglevTableSize))
        r.error(JsonLocations::child(pointer, QStringLiteral("maglev_table_size")),
                QStringLiteral("maglev_table_size %1 must be a prime number (65537, 655373, ...)").arg(p.options.maglevTableSize));
    const QString sp = JsonLocations::child(pointer, QStringLiteral("servers"));
    const QJsonArray servers = r.array(o, QStringLiteral("servers"), pointer, QStringLiteral("servers"));
    if (servers.isEmpty())
        r.error(o.contains(QStringLiteral("servers")) ? sp : pointer, QStringLiteral("pool \"%1\" needs at least one server in \"servers\"").arg(p.name));
    QSet<QString> names;
    for (int i = 0; i < servers.size(); ++i) {
        BackendSpec s = parseServer(r, servers.at(i), JsonLocations::child(sp, i), p.name, i);
        if (names.contains(s.name))
            r.error(JsonLocations::child(sp, i), QStringLiteral("server name \"%1\" appears twice in pool \"%2\"; names must be unique").arg(s.name, p.name));
        names.insert(s.name);
        p.servers.push_back(std::move(s));
    }
    p.health = parseHealth(r, o.value(QStringLiteral("health_check")), JsonLocations::child(pointer, QStringLiteral("health_check")), p.name);
    p.outlier = parseOutlier(r, o.value(QStringLiteral("outlier_detection")), JsonLocations::child(pointer, QStringLiteral("outlier_detection")));
    p.slowStartMs = r.duration(o, QStringLiteral("slow_start"), pointer, 0, 0, 86'400'000, QStringLiteral("slow_start"));
    // The same range as proxy.response_timeout, which it overrides for this pool's servers.
    p.options.responseTimeoutMs = r.duration(o, QStringLiteral("response_timeout"), pointer, 0, 1, 3'600'000,
                                             QStringLiteral("response_timeout of pool \"%1\"").arg(p.name));
    // And proxy.connect_timeout's.
    p.options.connectTimeoutMs = r.duration(o, QStringLiteral("connect_timeout"), pointer, 0, 1, 600'000,
                                            QStringLiteral("connect_timeout of pool \"%1\"").arg(p.name));
    // And proxy.max_body_bytes' (0: no limit), absent: the proxy's.
    p.options.maxBodyBytes = r.integer(o, QStringLiteral("max_body_bytes"), pointer, -1, 0, qint64(1) << 50,
                                       QStringLiteral("max_body_bytes of pool \"%1\"").arg(p.name));
    // The server side of proxy.idle_timeout, and proxy.max_idle_per_server (0: none kept).
    p.options.keepaliveTimeoutMs = r.duration(o, QStringLiteral("keepalive_timeout"), pointer, 0, 1, 3'600'000,
                                              QStringLiteral("keepalive_timeout of pool \"%1\"").arg(p.name));
    p.options.maxIdlePerServer = int(r.integer(o, QStringLiteral("max_idle_per_server"), pointer, -1, 0, 100'000,
                                               QStringLiteral("max_idle_per_server of pool \"%1\"").arg(p.name)));
    // A server connection's lifetime, by requests and by age (0 or absent: no limit).
    p.options.keepaliveRequests = r.integer(o, QStringLiteral("keepalive_requests"), pointer, 0, 0, 1'000'000'000,
                                            QStringLiteral("keepalive_requests of pool \"%1\"").arg(p.name));
    p.options.keepaliveTimeMs = r.duration(o, QStringLiteral("keepalive_time"), pointer, 0, 1, 7 * 86'400'000LL,
                                           QStringLiteral("keepalive_time of pool \"%1\"").arg(p.name));
    return p;
}

SecretSource parseSecret(Reader &r, const QString &text, const QString &pointer)
{
    if (text == u"keychain")
        return SecretSource{SecretSource::Keychain, {}};
    if (text.startsWith(u"keychain:"))
        return SecretSource{SecretSource::Keychain, text.mid(9)};
    if (text.startsWith(u"file:") && text.size() > 5)
        return SecretSource{SecretSource::File, text.mid(5)};
    if (text.startsWith(u"env:") && text.size() > 4)
        return SecretSource{SecretSource::Environment, text.mid(4)};
    r.error(pointer, QStringLiteral("password \"%1\" must say where the secret is: \"keychain\", \"file:/path/0600-file\" or \"env:VARIABLE\"; "
                                    "the password itself never goes in the config").arg(text.size() > 3 ? text.left(2) + QStringLiteral("…") : text));
    return {};
}

// "HOST:PORT", "redis://HOST:PORT" or "rediss://HOST:PORT": one node of a cluster, sentinel
// group or Redlock. `tls` becomes true for rediss://; false with *why when it is none of these.
static bool parseRedisNode(const QString &text, QString *node, bool *tls, QString *why)
{
    QString rest = text;
    if (rest.startsWith(u"rediss://")) {
        *tls = true;
        rest = rest.mid(9);
    } else if (rest.startsWith(u"redis://")) {
        rest = rest.mid(8);
    }
    if (rest.endsWith(u'/'))
        rest.chop(1);
    const qsizetype colon = rest.lastIndexOf(u':');
    bool ok = false;
    const int port = colon > 0 ? rest.mid(colon + 1).toInt(&ok) : 0;
    if (!ok || port < 1 || port > 65535 || rest.contains(u'@') || rest.contains(u'/')) {
        *why = QStringLiteral("\"%1\" is not HOST:PORT (or redis://HOST:PORT, rediss://HOST:PORT; no user, password or database here)").arg(text);
        return false;
    }
    *node = rest;
    return true;
}

// A "redis" entry, or a "locks" entry with "backend": "redis" (which may say so). One of
// "url" (one node), "cluster" (seed nodes), "sentinels" + "master_name", or "redlock" (masters).
RedisEndpointConfig parseRedis(Reader &r, const QJsonValue &value, const QString &pointer, int index, bool inLocks)
{
    RedisEndpointConfig c;
    const QJsonObject o = r.object(value, pointer, QStringLiteral("redis endpoint %1").arg(index));
    QStringList known{QStringLiteral("name"), QStringLiteral("url"), QStringLiteral("user"), QStringLiteral("password"),
                      QStringLiteral("lock_patterns"), QStringLiteral("long_held"), QStringLiteral("poll_interval"), QStringLiteral("scan_count"),
                      QStringLiteral("cluster"), QStringLiteral("sentinels"), QStringLiteral("master_name"), QStringLiteral("redlock"),
                      QStringLiteral("sentinel_user"), QStringLiteral("sentinel_password"), QStringLiteral("database"), QStringLiteral("tls"), QStringLiteral("ca_file"), QStringLiteral("cert_file"),
                      QStringLiteral("key_file"), QStringLiteral("server_name"), QStringLiteral("tls_insecure"),
                      QStringLiteral("notifications"), QStringLiteral("reconcile_interval")};
    if (inLocks)
        known << QStringLiteral("backend");
    r.onlyKeys(o, pointer, QStringLiteral("redis endpoint"), known);
    const QStringList shapes{QStringLiteral("url"), QStringLiteral("cluster"), QStringLiteral("sentinels"), QStringLiteral("redlock")};
    QStringList given;
    for (const QString &shape : shapes) {
        if (o.contains(shape))
            given << shape;
    }
    if (given.size() > 1)
        r.error(JsonLocations::child(pointer, given.at(1)),
                QStringLiteral("redis endpoint %1 gives both \"%2\" and \"%3\"; an endpoint is one node (url), a cluster, a sentinel group or a Redlock: keep one")
                    .arg(index).arg(given.at(0), given.at(1)));
    const QString shape = given.value(0, QStringLiteral("url"));
    if (shape != u"url") {
        c.topology = shape == u"cluster" ? RedisEndpointConfig::Topology::Cluster
                   : shape == u"sentinels" ? RedisEndpointConfig::Topology::Sentinel
                                           : RedisEndpointConfig::Topology::Redlock;
        const QString listPointer = JsonLocations::child(pointer, shape);
        const QJsonArray list = r.array(o, shape, pointer, shape);
        bool anyTls = false;
        bool anyPlain = false;
        for (int i = 0; i < list.size(); ++i) {
            QString node;
            bool tls = false;
            QString why;
            if (!list.at(i).isString() || !parseRedisNode(list.at(i).toString(), &node, &tls, &why)) {
                r.error(JsonLocations::child(listPointer, i), why.isEmpty() ? QStringLiteral("%1 entries are strings \"HOST:PORT\"").arg(shape) : why);
                continue;
            }
            if (tls)
                anyTls = true;
            else if (list.at(i).toString().startsWith(u"redis://"))
                anyPlain = true; // a bare HOST:PORT takes the endpoint's scheme
            if (c.nodes.contains(node))
                r.error(JsonLocations::child(listPointer, i), QStringLiteral("%1 is listed twice").arg(node));
            c.nodes << node;
        }
        if (anyTls && anyPlain)
            r.error(listPointer, QStringLiteral("mix of redis:// and rediss:// nodes; one endpoint is all TLS or all plain (set \"tls\": true)"));
        c.tls = anyTls;
        if (c.topology == RedisEndpointConfig::Topology::Redlock && list.size() < 3)
            r.error(listPointer, QStringLiteral("redlock needs at least 3 independent masters (it takes N/2+1 of them to hold a lock); list them all"));
        else if (list.isEmpty())
            r.error(listPointer, QStringLiteral("%1 is empty; list at least one \"HOST:PORT\"").arg(shape));
        if (c.topology == RedisEndpointConfig::Topology::Sentinel) {
            c.masterName = r.string(o, QStringLiteral("master_name"), pointer, QString(), QStringLiteral("master_name"));
            if (c.masterName.isEmpty())
                r.error(o.contains(QStringLiteral("master_name")) ? JsonLocations::child(pointer, QStringLiteral("master_name")) : pointer,
                        QStringLiteral("a sentinel endpoint needs \"master_name\": the name the sentinels monitor (sentinel monitor NAME ...), e.g. \"mymaster\""));
        }
        if (c.topology != RedisEndpointConfig::Topology::Cluster)
            c.database = int(r.integer(o, QStringLiteral("database"), pointer, 0, 0, 15, QStringLiteral("database")));
        else if (o.contains(QStringLiteral("database")))
            r.error(JsonLocations::child(pointer, QStringLiteral("database")), QStringLiteral("a Redis Cluster has only database 0; remove \"database\""));
        c.host = c.nodes.isEmpty() ? c.host : c.nodes.first().section(u':', 0, -2);
        c.port = c.nodes.isEmpty() ? c.port : quint16(c.nodes.first().section(u':', -1).toInt());
    }
    if (o.contains(QStringLiteral("master_name")) && c.topology != RedisEndpointConfig::Topology::Sentinel)
        r.error(JsonLocations::child(pointer, QStringLiteral("master_name")), QStringLiteral("master_name is for sentinel endpoints; give \"sentinels\" too, or remove it"));
    for (const QString &key : {QStringLiteral("sentinel_user"), QStringLiteral("sentinel_password")}) {
        if (o.contains(key) && c.topology != RedisEndpointConfig::Topology::Sentinel)
            r.error(JsonLocations::child(pointer, key),
                    QStringLiteral("%1 is for sentinel endpoints (the sentinels' own credentials); use \"user\" and \"password\" for this endpoint's servers").arg(key));
    }
    if (c.topology == RedisEndpointConfig::Topology::Sentinel) {
        c.sentinelUser = r.string(o, QStringLiteral("sentinel_user"), pointer, QString(), QStringLiteral("sentinel_user"));
        if (o.contains(QStringLiteral("sentinel_password")))
            c.sentinelPassword = parseSecret(r, r.string(o, QStringLiteral("sentinel_password"), pointer, QString(), QStringLiteral("sentinel_password")),
                                             JsonLocations::child(pointer, QStringLiteral("sentinel_password")));
        if (!c.sentinelUser.isEmpty() && c.sentinelPassword.kind == SecretSource::None)
            r.error(JsonLocations::child(pointer, QStringLiteral("sentinel_user")),
                    QStringLiteral("sentinel_user needs \"sentinel_password\" beside it (\"keychain\", \"file:PATH\" or \"env:VAR\"): AUTH takes a user and its password"));
    }
    const QString up = JsonLocations::child(pointer, QStringLiteral("url"));
    const QString url = r.string(o, QStringLiteral("url"), pointer, QString(), QStringLiteral("url"));
    if (shape != u"url") {
        // cluster, sentinels or redlock: done above
    } else if (url.startsWith(u"unix://") || url.startsWith(u"unix:")) {
        c.unixSocket = QUrl(url).path();
        if (c.unixSocket.isEmpty())
            r.error(up, QStringLiteral("url \"%1\" must name a socket path, e.g. \"unix:///run/redis/redis.sock\"").arg(url));
    } else {
        const QUrl u(url, QUrl::StrictMode);
        if (!u.isValid() || (u.scheme() != u"redis" && u.scheme() != u"rediss") || u.host().isEmpty()) {
            r.error(o.contains(QStringLiteral("url")) ? up : pointer,
                    QStringLiteral("redis endpoint %1 needs \"url\": \"redis://HOST:PORT[/DB]\", \"rediss://HOST:PORT[/DB]\" (TLS) or \"unix:///path/to/redis.sock\"; "
                                   "or \"cluster\", \"sentinels\" or \"redlock\" with a list of HOST:PORT").arg(index));
        } else {
            if (!u.password().isEmpty())
                r.error(up, QStringLiteral("url of redis endpoint %1 contains a password; remove it and set \"password\": \"keychain\", \"file:PATH\" or \"env:VAR\"").arg(index));
            c.tls = u.scheme() == u"rediss";
            c.host = u.host();
            c.port = quint16(u.port(6379));
            c.user = u.userName();
            const QString db = u.path().mid(1);
            if (!db.isEmpty()) {
                bool ok = false;
                c.database = db.toInt(&ok);
                if (!ok || c.database < 0 || c.database > 15)
                    r.error(up, QStringLiteral("database \"%1\" in url must be a number 0..15").arg(db));
            }
        }
        if (o.contains(QStringLiteral("database")))
            r.error(JsonLocations::child(pointer, QStringLiteral("database")), QStringLiteral("give the database in the url (redis://HOST:PORT/DB), not as \"database\""));
    }
    if (o.contains(QStringLiteral("tls"))) {
        const bool tls = r.boolean(o, QStringLiteral("tls"), pointer, c.tls, QStringLiteral("tls"));
        if (!tls && c.tls)
            r.error(JsonLocations::child(pointer, QStringLiteral("tls")), QStringLiteral("\"tls\": false contradicts the rediss:// address; write redis:// or remove \"tls\""));
        c.tls = tls;
    }
    if (c.tls && !c.unixSocket.isEmpty())
        r.error(JsonLocations::child(pointer, QStringLiteral("tls")), QStringLiteral("TLS over a unix socket is not supported; use rediss://HOST:PORT"));
    c.caFile = r.string(o, QStringLiteral("ca_file"), pointer, QString(), QStringLiteral("ca_file"));
    c.certFile = r.string(o, QStringLiteral("cert_file"), pointer, QString(), QStringLiteral("cert_file"));
    c.keyFile = r.string(o, QStringLiteral("key_file"), pointer, QString(), QStringLiteral("key_file"));
    c.serverName = r.string(o, QStringLiteral("server_name"), pointer, QString(), QStringLiteral("server_name"));
    c.tlsInsecure = r.boolean(o, QStringLiteral("tls_insecure"), pointer, false, QStringLiteral("tls_insecure"));
    if (c.certFile.isEmpty() != c.keyFile.isEmpty())
        r.error(JsonLocations::child(pointer, c.certFile.isEmpty() ? QStringLiteral("key_file") : QStringLiteral("cert_file")),
                QStringLiteral("a client certificate needs both \"cert_file\" and \"key_file\""));
    if (!c.tls) {
        for (const QString &key : {QStringLiteral("ca_file"), QStringLiteral("cert_file"), QStringLiteral("key_file"), QStringLiteral("server_name"), QStringLiteral("tls_insecure")}) {
            if (o.contains(key)) {
                r.error(JsonLocations::child(pointer, key),
                        QStringLiteral("%1 is for TLS; write the address as rediss://HOST:PORT or set \"tls\": true").arg(key));
                break;
            }
        }
    }
    const QString defaultName = c.topology == RedisEndpointConfig::Topology::Sentinel ? c.masterName
                              : c.topology != RedisEndpointConfig::Topology::Node ? c.nodes.join(u',')
                              : c.unixSocket.isEmpty() ? QStringLiteral("%1:%2").arg(c.host).arg(c.port) : c.unixSocket;
    c.name = r.string(o, QStringLiteral("name"), pointer, defaultName, QStringLiteral("name"));
    if (o.contains(QStringLiteral("user")))
        c.user = r.string(o, QStringLiteral("user"), pointer, c.user, QStringLiteral("user"));
    if (o.contains(QStringLiteral("password")))
        c.password = parseSecret(r, r.string(o, QStringLiteral("password"), pointer, QString(), QStringLiteral("password")),
                                 JsonLocations::child(pointer, QStringLiteral("password")));
    if (o.contains(QStringLiteral("lock_patterns"))) {
        c.lockPatterns.clear();
        const QJsonArray patterns = r.array(o, QStringLiteral("lock_patterns"), pointer, QStringLiteral("lock_patterns"));
        for (int i = 0; i < patterns.size(); ++i) {
            if (!patterns.at(i).isString() || patterns.at(i).toString().isEmpty())
                r.error(JsonLocations::child(JsonLocations::child(pointer, QStringLiteral("lock_patterns")), i),
                        QStringLiteral("lock_patterns entries must be non-empty glob strings such as \"lock:*\""));
            else
                c.lockPatterns << patterns.at(i).toString();
        }
    }
    c.longHeldMs = r.duration(o, QStringLiteral("long_held"), pointer, c.longHeldMs, 1, 86'400'000 * 30LL, QStringLiteral("long_held"));
    c.pollIntervalMs = r.duration(o, QStringLiteral("poll_interval"), pointer, c.pollIntervalMs, 100, 3'600'000, QStringLiteral("poll_interval"));
    c.scanCount = int(r.integer(o, QStringLiteral("scan_count"), pointer, c.scanCount, 1, 1'000'000, QStringLiteral("scan_count")));
    if (o.contains(QStringLiteral("notifications"))) {
        const QString given = r.string(o, QStringLiteral("notifications"), pointer, QString(), QStringLiteral("notifications"));
        bool known = false;
        for (const auto n : {RedisEndpointConfig::Notifications::Auto, RedisEndpointConfig::Notifications::Require, RedisEndpointConfig::Notifications::Off}) {
            if (RedisEndpointConfig::notificationsName(n) == given) {
                c.notifications = n;
                known = true;
            }
        }
        if (!known)
            r.error(JsonLocations::child(pointer, QStringLiteral("notifications")),
                    QStringLiteral("notifications is \"%1\"; use \"auto\" (follow keyspace notifications when the server has them on, else poll), "
                                   "\"require\" (never poll) or \"off\" (always poll)").arg(given));
    }
    c.reconcileIntervalMs = r.duration(o, QStringLiteral("reconcile_interval"), pointer, c.reconcileIntervalMs, 1000, 86'400'000,
                                       QStringLiteral("reconcile_interval"));
    return c;
}

// "user" and "password" of an endpoint whose auth takes both; a password without a user is
// the error `needsUser` names.
void parseUserAndPassword(Reader &r, const QJsonObject &o, const QString &pointer, QString *user, SecretSource *password,
                          const QString &needsUser)
{
    *user = r.string(o, QStringLiteral("user"), pointer, QString(), QStringLiteral("user"));
    if (o.contains(QStringLiteral("password")))
        *password = parseSecret(r, r.string(o, QStringLiteral("password"), pointer, QString(), QStringLiteral("password")),
                                JsonLocations::child(pointer, QStringLiteral("password")));
    if (password->kind != SecretSource::None && user->isEmpty())
        r.error(JsonLocations::child(pointer, QStringLiteral("password")), needsUser);
}

// A "locks" entry with "backend": "zookeeper". "hosts" is the C client's connect string:
// "h1:2181,h2:2181" with an optional "/chroot" at the end.
ZooKeeperEndpointConfig parseZooKeeper(Reader &r, const QJsonObject &o, const QString &pointer, int index)
{
    ZooKeeperEndpointConfig c;
    r.onlyKeys(o, pointer, QStringLiteral("zookeeper endpoint"),
               {QStringLiteral("backend"), QStringLiteral("name"), QStringLiteral("hosts"), QStringLiteral("paths"), QStringLiteral("max_depth"),
                QStringLiteral("max_nodes"), QStringLiteral("session_timeout"), QStringLiteral("user"), QStringLiteral("password"),
                QStringLiteral("four_letter_words"), QStringLiteral("waiter_details"), QStringLiteral("long_held"),
                QStringLiteral("poll_interval"), QStringLiteral("watch"), QStringLiteral("reconcile_interval")});
    const QString hp = JsonLocations::child(pointer, QStringLiteral("hosts"));
    QString hosts = r.string(o, QStringLiteral("hosts"), pointer, QString(), QStringLiteral("hosts"));
    if (hosts.isEmpty()) {
        r.error(o.contains(QStringLiteral("hosts")) ? hp : pointer,
                QStringLiteral("zookeeper endpoint %1 needs \"hosts\": \"HOST:PORT[,HOST:PORT...][/chroot]\", e.g. \"127.0.0.1:2181\"").arg(index));
    } else {
        const qsizetype slash = hosts.indexOf(u'/');
        if (slash >= 0) {
            c.chroot = hosts.mid(slash);
            hosts.truncate(slash);
            if (c.chroot.size() < 2 || c.chroot.endsWith(u'/') || c.chroot.contains(QStringLiteral("//")))
                r.error(hp, QStringLiteral("chroot \"%1\" in hosts must be an absolute znode path such as \"/shop\"").arg(c.chroot));
        }
        for (const QString &host : hosts.split(u',')) {
            const qsizetype colon = host.lastIndexOf(u':');
            bool ok = false;
            const int port = colon > 0 ? host.mid(colon + 1).toInt(&ok) : 0;
            if (colon <= 0 || !ok || port < 1 || port > 65535 || host.contains(u'@')) {
                r.error(hp, QStringLiteral("\"%1\" in hosts must be HOST:PORT, e.g. \"127.0.0.1:2181\"; the password goes in \"password\"").arg(host));
                break;
            }
        }
        c.hosts = hosts;
    }
    c.name = r.string(o, QStringLiteral("name"), pointer, c.hosts + c.chroot, QStringLiteral("name"));
    if (o.contains(QStringLiteral("paths"))) {
        c.paths.clear();
        const QString pp = JsonLocations::child(pointer, QStringLiteral("paths"));
        const QJsonArray paths = r.array(o, QStringLiteral("paths"), pointer, QStringLiteral("paths"));
        for (int i = 0; i < paths.size(); ++i) {
            const QString path = paths.at(i).toString();
            if (!path.startsWith(u'/') || (path.size() > 1 && path.endsWith(u'/')) || path.contains(QStringLiteral("//")))
                r.error(JsonLocations::child(pp, i), QStringLiteral("paths entries must be absolute znode paths such as \"/locks\""));
            else
                c.paths << path;
        }
        if (paths.isEmpty())
            r.error(pp, QStringLiteral("paths is empty; name at least one lock root such as \"/locks\""));
    }
    c.maxDepth = int(r.integer(o, QStringLiteral("max_depth"), pointer, c.maxDepth, 1, 64, QStringLiteral("max_depth")));
    c.maxNodes = int(r.integer(o, QStringLiteral("max_nodes"), pointer, c.maxNodes, 1, 10'000'000, QStringLiteral("max_nodes")));
    c.sessionTimeoutMs = int(r.duration(o, QStringLiteral("session_timeout"), pointer, c.sessionTimeoutMs, 2000, 600'000, QStringLiteral("session_timeout")));
    parseUserAndPassword(r, o, pointer, &c.user, &c.password,
                         QStringLiteral("a zookeeper password is for digest auth and needs a \"user\" beside it"));
    c.fourLetterWords = r.boolean(o, QStringLiteral("four_letter_words"), pointer, c.fourLetterWords, QStringLiteral("four_letter_words"));
    c.waiterDetails = int(r.integer(o, QStringLiteral("waiter_details"), pointer, c.waiterDetails, 0, 10'000'000, QStringLiteral("waiter_details")));
    c.longHeldMs = r.duration(o, QStringLiteral("long_held"), pointer, c.longHeldMs, 1, 86'400'000 * 30LL, QStringLiteral("long_held"));
    c.pollIntervalMs = r.duration(o, QStringLiteral("poll_interval"), pointer, c.pollIntervalMs, 100, 3'600'000, QStringLiteral("poll_interval"));
    c.watch = r.boolean(o, QStringLiteral("watch"), pointer, c.watch, QStringLiteral("watch"));
    c.reconcileIntervalMs = r.duration(o, QStringLiteral("reconcile_interval"), pointer, c.reconcileIntervalMs, 1000, 86'400'000,
                                       QStringLiteral("reconcile_interval"));
    return c;
}

// A "locks" entry with "backend": "etcd": member URLs, key prefixes, paging and auth/TLS.
EtcdEndpointConfig parseEtcd(Reader &r, const QJsonObject &o, const QString &pointer, int index)
{
    EtcdEndpointConfig c;
    r.onlyKeys(o, pointer, QStringLiteral("etcd endpoint"),
               {QStringLiteral("backend"), QStringLiteral("name"), QStringLiteral("endpoints"), QStringLiteral("prefixes"),
                QStringLiteral("page_size"), QStringLiteral("max_keys"), QStringLiteral("user"), QStringLiteral("password"),
                QStringLiteral("ca_file"), QStringLiteral("cert_file"), QStringLiteral("key_file"), QStringLiteral("long_held"),
                QStringLiteral("long_lease"), QStringLiteral("poll_interval"), QStringLiteral("watch"), QStringLiteral("reconcile_interval")});
    const QString ep = JsonLocations::child(pointer, QStringLiteral("endpoints"));
    const QJsonArray endpoints = r.array(o, QStringLiteral("endpoints"), pointer, QStringLiteral("endpoints"));
    if (endpoints.isEmpty()) {
        r.error(o.contains(QStringLiteral("endpoints")) ? ep : pointer,
                QStringLiteral("etcd endpoint %1 needs \"endpoints\": [\"http://HOST:2379\", ...] (https:// with ca_file for TLS)").arg(index));
    } else {
        for (int i = 0; i < endpoints.size(); ++i) {
            const QString text = endpoints.at(i).toString();
            const QUrl u(text, QUrl::StrictMode);
            if (!u.isValid() || (u.scheme() != u"http" && u.scheme() != u"https") || u.host().isEmpty() || u.port() < 1
                || !u.userInfo().isEmpty() || (!u.path().isEmpty() && u.path() != u"/")) {
                r.error(JsonLocations::child(ep, i),
                        QStringLiteral("\"%1\" in endpoints must be a member URL such as \"http://127.0.0.1:2379\" or \"https://etcd1:2379\" "
                                       "(port required, no path, no user or password: they go in \"user\" and \"password\")")
                            .arg(text));
                continue;
            }
            c.endpoints << QStringLiteral("%1://%2:%3").arg(u.scheme(), u.host().contains(u':') ? u'[' + u.host() + u']' : u.host()).arg(u.port());
        }
        bool https = false, http = false;
        for (const QString &e : c.endpoints)
            (e.startsWith(u"https") ? https : http) = true;
        if (https && http)
            r.error(ep, QStringLiteral("endpoints mix http:// and https://; one cluster speaks one of them"));
    }
    c.name = r.string(o, QStringLiteral("name"), pointer, c.url(), QStringLiteral("name"));
    if (o.contains(QStringLiteral("prefixes"))) {
        const QString pp = JsonLocations::child(pointer, QStringLiteral("prefixes"));
        const QJsonArray prefixes = r.array(o, QStringLiteral("prefixes"), pointer, QStringLiteral("prefixes"));
        for (int i = 0; i < prefixes.size(); ++i) {
            if (!prefixes.at(i).isString() || prefixes.at(i).toString().isEmpty())
                r.error(JsonLocations::child(pp, i), QStringLiteral("prefixes entries must be non-empty key prefixes such as \"/locks/\"; "
                                                                    "leave prefixes out to read the whole keyspace"));
            else
                c.prefixes << prefixes.at(i).toString();
        }
    }
    c.pageSize = int(r.integer(o, QStringLiteral("page_size"), pointer, c.pageSize, 1, 100'000, QStringLiteral("page_size")));
    c.maxKeys = int(r.integer(o, QStringLiteral("max_keys"), pointer, c.maxKeys, 1, 10'000'000, QStringLiteral("max_keys")));
    parseUserAndPassword(r, o, pointer, &c.user, &c.password,
                         QStringLiteral("an etcd password needs a \"user\" beside it (etcd auth is user + password)"));
    c.caFile = r.string(o, QStringLiteral("ca_file"), pointer, QString(), QStringLiteral("ca_file"));
    c.certFile = r.string(o, QStringLiteral("cert_file"), pointer, QString(), QStringLiteral("cert_file"));
    c.keyFile = r.string(o, QStringLiteral("key_file"), pointer, QString(), QStringLiteral("key_file"));
    if (c.certFile.isEmpty() != c.keyFile.isEmpty())
        r.error(JsonLocations::child(pointer, c.certFile.isEmpty() ? QStringLiteral("key_file") : QStringLiteral("cert_file")),
                QStringLiteral("a client certificate needs both \"cert_file\" and \"key_file\""));
    const bool https = !c.endpoints.isEmpty() && c.endpoints.first().startsWith(u"https");
    if (!https && (!c.caFile.isEmpty() || !c.certFile.isEmpty()))
        r.error(JsonLocations::child(pointer, c.caFile.isEmpty() ? QStringLiteral("cert_file") : QStringLiteral("ca_file")),
                QStringLiteral("ca_file, cert_file and key_file are for https:// endpoints; write the endpoints as https://HOST:PORT"));
    c.longHeldMs = r.duration(o, QStringLiteral("long_held"), pointer, c.longHeldMs, 1, 86'400'000 * 30LL, QStringLiteral("long_held"));
    c.longLeaseMs = r.duration(o, QStringLiteral("long_lease"), pointer, c.longLeaseMs, 1000, 86'400'000 * 365LL, QStringLiteral("long_lease"));
    c.pollIntervalMs = r.duration(o, QStringLiteral("poll_interval"), pointer, c.pollIntervalMs, 100, 3'600'000, QStringLiteral("poll_interval"));
    c.watch = r.boolean(o, QStringLiteral("watch"), pointer, c.watch, QStringLiteral("watch"));
    c.reconcileIntervalMs = r.duration(o, QStringLiteral("reconcile_interval"), pointer, c.reconcileIntervalMs, 1000, 86'400'000,
                                       QStringLiteral("reconcile_interval"));
    return c;
}

// "lock_tables": ["shedlock", {"table": "ops.job_locks", "name": "job", "owner": "node",
// "until": "expires_at", "since": "taken_at"}]. A string is a table in ShedLock's schema; an
// object maps a table of one's own ("since" may be "" when the table has no such column).
// Absent: ShedLock's "shedlock", read when it exists; [] reads no table.
QList<LockTableConfig> parseLockTables(Reader &r, const QJsonObject &o, const QString &pointer)
{
    const QString key = QStringLiteral("lock_tables");
    if (!o.contains(key))
        return {LockTableConfig::shedLockIfPresent()};
    const QString tp = JsonLocations::child(pointer, key);
    if (!o.value(key).isArray()) {
        r.error(tp, QStringLiteral("\"lock_tables\" is a list: [\"shedlock\"] for ShedLock's table, or objects {\"table\", \"name\", "
                                   "\"owner\", \"until\", \"since\"} for a table of one's own; [] for none"));
        return {LockTableConfig::shedLockIfPresent()};
    }
    QList<LockTableConfig> tables;
    const QJsonArray array = o.value(key).toArray();
    for (int i = 0; i < array.size(); ++i) {
        const QString ep = JsonLocations::child(tp, QString::number(i));
        const QString where = QStringLiteral("lock_tables[%1]").arg(i);
        LockTableConfig t;
        if (array.at(i).isString()) {
            t.table = array.at(i).toString();
            if (const QString why = LockTableConfig::checkName(t.table, true); !why.isEmpty())
                r.error(ep, QStringLiteral("%1: %2").arg(where, why));
        } else if (array.at(i).isObject()) {
            const QJsonObject to = array.at(i).toObject();
            r.onlyKeys(to, ep, where, {QStringLiteral("table"), QStringLiteral("name"), QStringLiteral("owner"), QStringLiteral("until"),
                                       QStringLiteral("since")});
            if (!to.contains(QStringLiteral("table")))
                r.error(ep, QStringLiteral("%1 needs \"table\": the table whose rows are locks").arg(where));
            t.table = r.string(to, QStringLiteral("table"), ep, t.table, where + QStringLiteral(".table"));
            t.nameColumn = r.string(to, QStringLiteral("name"), ep, t.nameColumn, where + QStringLiteral(".name"));
            t.ownerColumn = r.string(to, QStringLiteral("owner"), ep, t.ownerColumn, where + QStringLiteral(".owner"));
            t.untilColumn = r.string(to, QStringLiteral("until"), ep, t.untilColumn, where + QStringLiteral(".until"));
            t.sinceColumn = r.string(to, QStringLiteral("since"), ep, t.sinceColumn, where + QStringLiteral(".since"));
            for (const auto &[field, value, qualified] : {std::tuple{QStringLiteral("table"), t.table, true},
                                                          std::tuple{QStringLiteral("name"), t.nameColumn, false},
                                                          std::tuple{QStringLiteral("owner"), t.ownerColumn, false},
                                                          std::tuple{QStringLiteral("until"), t.untilColumn, false}}) {
                if (const QString why = LockTableConfig::checkName(value, qualified); !why.isEmpty())
                    r.error(JsonLocations::child(ep, field), QStringLiteral("%1.%2 %3; Fulcrum writes it into SQL, quoted, so only plain names "
                                                                            "are taken").arg(where, field, why));
            }
            if (!t.sinceColumn.isEmpty())
                if (const QString why = LockTableConfig::checkName(t.sinceColumn, false); !why.isEmpty())
                    r.error(JsonLocations::child(ep, QStringLiteral("since")),
                            QStringLiteral("%1.since %2; \"\" when the table has no such column").arg(where, why));
        } else {
            r.error(ep, QStringLiteral("%1 is a table name (ShedLock's schema) or an object {\"table\", \"name\", \"owner\", \"until\", "
                                       "\"since\"}").arg(where));
            continue;
        }
        for (const LockTableConfig &before : std::as_const(tables)) {
            if (before.table == t.table)
                r.error(ep, QStringLiteral("%1: table %2 is listed twice").arg(where, t.table));
        }
        tables.append(t);
    }
    return tables;
}

// A "locks" entry with "backend": "postgres": one server by URL (libpq's URI form, no password).
PostgresEndpointConfig parsePostgres(Reader &r, const QJsonObject &o, const QString &pointer, int index)
{
    PostgresEndpointConfig c;
    r.onlyKeys(o, pointer, QStringLiteral("postgres endpoint"),
               {QStringLiteral("backend"), QStringLiteral("name"), QStringLiteral("url"), QStringLiteral("password"),
                QStringLiteral("blocking_chains"), QStringLiteral("max_locks"), QStringLiteral("query_timeout"),
                QStringLiteral("long_held"), QStringLiteral("poll_interval"), QStringLiteral("lock_tables")});
    c.url = r.string(o, QStringLiteral("url"), pointer, QString(), QStringLiteral("url"));
    if (c.url.isEmpty()) {
        r.error(o.contains(QStringLiteral("url")) ? JsonLocations::child(pointer, QStringLiteral("url")) : pointer,
                QStringLiteral("postgres endpoint %1 needs \"url\": \"postgres://USER@HOST:5432/DB\"").arg(index));
    } else if (const QString why = PostgresEndpointConfig::checkUrl(c.url); !why.isEmpty()) {
        r.error(JsonLocations::child(pointer, QStringLiteral("url")), why);
    }
    c.name = r.string(o, QStringLiteral("name"), pointer, c.url, QStringLiteral("name"));
    if (o.contains(QStringLiteral("password")))
        c.password = parseSecret(r, r.string(o, QStringLiteral("password"), pointer, QString(), QStringLiteral("password")),
                                 JsonLocations::child(pointer, QStringLiteral("password")));
    c.blockingChains = r.boolean(o, QStringLiteral("blocking_chains"), pointer, c.blockingChains, QStringLiteral("blocking_chains"));
    c.maxLocks = int(r.integer(o, QStringLiteral("max_locks"), pointer, c.maxLocks, 1, 10'000'000, QStringLiteral("max_locks")));
    c.queryTimeoutMs = r.duration(o, QStringLiteral("query_timeout"), pointer, c.queryTimeoutMs, 100, 600'000, QStringLiteral("query_timeout"));
    c.longHeldMs = r.duration(o, QStringLiteral("long_held"), pointer, c.longHeldMs, 1, 86'400'000 * 30LL, QStringLiteral("long_held"));
    c.pollIntervalMs = r.duration(o, QStringLiteral("poll_interval"), pointer, c.pollIntervalMs, 100, 3'600'000, QStringLiteral("poll_interval"));
    c.lockTables = parseLockTables(r, o, pointer);
    return c;
}

// A "locks" entry with "backend": "mysql" (MySQL or MariaDB): one server by URL, no password in it.
MysqlEndpointConfig parseMysql(Reader &r, const QJsonObject &o, const QString &pointer, int index)
{
    MysqlEndpointConfig c;
    r.onlyKeys(o, pointer, QStringLiteral("mysql endpoint"),
               {QStringLiteral("backend"), QStringLiteral("name"), QStringLiteral("url"), QStringLiteral("password"),
                QStringLiteral("query_timeout"), QStringLiteral("long_held"), QStringLiteral("poll_interval"),
                QStringLiteral("lock_tables")});
    c.url = r.string(o, QStringLiteral("url"), pointer, QString(), QStringLiteral("url"));
    if (c.url.isEmpty()) {
        r.error(o.contains(QStringLiteral("url")) ? JsonLocations::child(pointer, QStringLiteral("url")) : pointer,
                QStringLiteral("mysql endpoint %1 needs \"url\": \"mysql://USER@HOST:3306/DB\"").arg(index));
    } else if (const QString why = MysqlEndpointConfig::checkUrl(c.url); !why.isEmpty()) {
        r.error(JsonLocations::child(pointer, QStringLiteral("url")), why);
    }
    c.name = r.string(o, QStringLiteral("name"), pointer, c.url, QStringLiteral("name"));
    if (o.contains(QStringLiteral("password")))
        c.password = parseSecret(r, r.string(o, QStringLiteral("password"), pointer, QString(), QStringLiteral("password")),
                                 JsonLocations::child(pointer, QStringLiteral("password")));
    c.queryTimeoutMs = r.duration(o, QStringLiteral("query_timeout"), pointer, c.queryTimeoutMs, 100, 600'000, QStringLiteral("query_timeout"));
    c.longHeldMs = r.duration(o, QStringLiteral("long_held"), pointer, c.longHeldMs, 1, 86'400'000 * 30LL, QStringLiteral("long_held"));
    c.pollIntervalMs = r.duration(o, QStringLiteral("poll_interval"), pointer, c.pollIntervalMs, 100, 3'600'000, QStringLiteral("poll_interval"));
    c.lockTables = parseLockTables(r, o, pointer);
    return c;
}

// "history": {"path": FILE, "retention": {"raw": "1h", "minute": "7d", "hour": "365d"}}. Each
// resolution is made from the one before, so each must be kept at least as long.
HistoryConfig parseHistory(Reader &r, const QJsonValue &value)
{
    const QString pointer = QStringLiteral("/history");
    HistoryConfig h;
    const QJsonObject o = r.object(value, pointer, QStringLiteral("history"));
    r.onlyKeys(o, pointer, QStringLiteral("history"), {QStringLiteral("path"), QStringLiteral("retention")});
    h.path = r.string(o, QStringLiteral("path"), pointer, QString(), QStringLiteral("history.path"));
    if (o.contains(QStringLiteral("path")) && o.value(QStringLiteral("path")).isString() && h.path.isEmpty())
        r.error(JsonLocations::child(pointer, QStringLiteral("path")), QStringLiteral("history.path is empty; leave it out for <state_dir>/history.sqlite or name a file"));
    if (!o.contains(QStringLiteral("retention")))
        return h;
    const QString rp = JsonLocations::child(pointer, QStringLiteral("retention"));
    const QJsonObject ro = r.object(o.value(QStringLiteral("retention")), rp, QStringLiteral("history.retention"));
    r.onlyKeys(ro, rp, QStringLiteral("history.retention"), {QStringLiteral("raw"), QStringLiteral("minute"), QStringLiteral("hour")});
    constexpr qint64 minute = 60'000;
    constexpr qint64 day = 86'400'000;
    // At least a minute of 1 s rows: the recorder compacts once a minute, whole minutes at a time.
    h.rawMs = r.duration(ro, QStringLiteral("raw"), rp, h.rawMs, minute, 31 * day, QStringLiteral("history.retention.raw"));
    h.minuteMs = r.duration(ro, QStringLiteral("minute"), rp, h.minuteMs, minute, 3660 * day, QStringLiteral("history.retention.minute"));
    h.hourMs = r.duration(ro, QStringLiteral("hour"), rp, h.hourMs, minute, 36'600 * day, QStringLiteral("history.retention.hour"));
    if (h.minuteMs < h.rawMs)
        r.error(JsonLocations::child(rp, QStringLiteral("minute")),
                QStringLiteral("history.retention.minute (%1) is shorter than history.retention.raw (%2); 1 min rows are made from 1 s rows, "
                               "so keep them at least as long: raise minute or lower raw")
                    .arg(formatDurationMs(h.minuteMs), formatDurationMs(h.rawMs)));
    if (h.hourMs < h.minuteMs)
        r.error(JsonLocations::child(rp, QStringLiteral("hour")),
                QStringLiteral("history.retention.hour (%1) is shorter than history.retention.minute (%2); 1 h rows are made from 1 min rows, "
                               "so keep them at least as long: raise hour or lower minute")
                    .arg(formatDurationMs(h.hourMs), formatDurationMs(h.minuteMs)));
    return h;
}

} // namespace

ConfigResult parseConfig(const QByteArray &text, const QString &fileName, ConfigFiles files)
{
    ConfigResult result;
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(text, &parseError);
    if (parseError.error != QJsonParseError::NoError) {
        const TextPosition p = JsonLocations::positionOfOffset(text, parseError.offset);
        result.errors.append(ConfigError{fileName, p.line, p.column,
                                         QStringLiteral("not valid JSON: %1 (check for a missing comma, quote or bracket just before this point)").arg(parseError.errorString())});
        return result;
    }
    const JsonLocations locations = JsonLocations::scan(text);
    Reader r(fileName, locations);
    r.readListenerFiles = files == ConfigFiles::Read;
    r.readServerFiles = files != ConfigFiles::NotRead;
    if (!doc.isObject()) {
        r.error(QString(), QStringLiteral("the config must be a JSON object {...} with \"listeners\" and \"pools\""));
        result.errors = r.errors;
        return result;
    }
    const QJsonObject root = doc.object();
    r.onlyKeys(root, QString(), QStringLiteral("the config"),
               {QStringLiteral("listeners"), QStringLiteral("pools"), QStringLiteral("redis"), QStringLiteral("locks"), QStringLiteral("admin"),
                QStringLiteral("proxy"), QStringLiteral("history"), QStringLiteral("state_dir")});
    Config config;

    const QJsonArray pools = r.array(root, QStringLiteral("pools"), QString(), QStringLiteral("pools"));
    QSet<QString> poolNames;
    for (int i = 0; i < pools.size(); ++i) {
        const QString pointer = JsonLocations::child(QStringLiteral("/pools"), i);
        PoolConfig p = parsePool(r, pools.at(i), pointer, i);
        if (!p.name.isEmpty() && poolNames.contains(p.name))
            r.error(JsonLocations::child(pointer, QStringLiteral("name")), QStringLiteral("pool name \"%1\" is used twice; names must be unique").arg(p.name));
        poolNames.insert(p.name);
        config.pools.push_back(std::move(p));
    }

    const QJsonArray listeners = r.array(root, QStringLiteral("listeners"), QString(), QStringLiteral("listeners"));
    QSet<QString> binds;
    for (int i = 0; i < listeners.size(); ++i) {
        const QString pointer = JsonLocations::child(QStringLiteral("/listeners"), i);
        const QJsonObject o = r.object(listeners.at(i), pointer, QStringLiteral("listener %1").arg(i));
        r.onlyKeys(o, pointer, QStringLiteral("listener"),
                   {QStringLiteral("name"), QStringLiteral("listen"), QStringLiteral("pool"), QStringLiteral("tls"), QStringLiteral("redirect"),
                    QStringLiteral("routes")});
        ListenerConfig l;
        const QString listen = r.string(o, QStringLiteral("listen"), pointer, QString(), QStringLiteral("listen"));
        if (listen.isEmpty())
            r.error(pointer, QStringLiteral("listener %1 needs \"listen\": \"HOST:PORT\", e.g. \"127.0.0.1:8080\"").arg(i));
        else if (r.address(listen, JsonLocations::child(pointer, QStringLiteral("listen")), QStringLiteral("listen"), &l.host, &l.port, true)) {
            if (QHostAddress(l.host).isNull() && l.host != u"localhost")
                r.error(JsonLocations::child(pointer, QStringLiteral("listen")), QStringLiteral("listen \"%1\" must use an IP address (127.0.0.1, ::1, 0.0.0.0), not a host name").arg(listen));
            if (binds.contains(listen))
                r.error(JsonLocations::child(pointer, QStringLiteral("listen")), QStringLiteral("listen \"%1\" is used by two listeners").arg(listen));
            binds.insert(listen);
        }
        l.name = r.string(o, QStringLiteral("name"), pointer, listen, QStringLiteral("listener name"));
        if (o.contains(QStringLiteral("redirect"))) {
            // Checked against its TLS listener once all listeners are read (below).
            const QString at = JsonLocations::child(pointer, QStringLiteral("redirect"));
            const QJsonObject redirect = r.object(o.value(QStringLiteral("redirect")), at, QStringLiteral("listener \"%1\" redirect").arg(l.name));
            r.onlyKeys(redirect, at, QStringLiteral("redirect"), {QStringLiteral("to"), QStringLiteral("status"), QStringLiteral("port"), QStringLiteral("except")});
            l.redirect.to = r.string(redirect, QStringLiteral("to"), at, QString(), QStringLiteral("redirect to"));
            if (l.redirect.to.isEmpty())
                r.error(at, QStringLiteral("listener \"%1\": redirect needs \"to\": the name of the TLS listener to send clients to").arg(l.name));
            l.redirect.status = int(r.integer(redirect, QStringLiteral("status"), at, 301, 301, 308, QStringLiteral("redirect status")));
            if (l.redirect.status != 301 && l.redirect.status != 302 && l.redirect.status != 307 && l.redirect.status != 308)
                r.error(JsonLocations::child(at, QStringLiteral("status")),
                        QStringLiteral("listener \"%1\": redirect status %2 is not a redirect; use 301 or 308 (permanent), 302 or 307 (temporary)")
                            .arg(l.name).arg(l.redirect.status));
            l.redirect.port = quint16(r.integer(redirect, QStringLiteral("port"), at, 0, 1, 65535, QStringLiteral("redirect port")));
            l.redirect.except = parseRedirectExcept(r, redirect, at, l.name);
            if (o.contains(QStringLiteral("pool")) && !redirect.contains(QStringLiteral("except")))
                r.error(JsonLocations::child(pointer, QStringLiteral("pool")),
                        QStringLiteral("listener \"%1\" redirects every request, so it sends none to a pool: remove \"pool\", or name the paths it "
                                       "serves in \"redirect\": {\"except\": [\"/.well-known/acme-challenge/\"]}").arg(l.name));
            if (o.contains(QStringLiteral("pool"))) {
                // Where the `except` paths go; checked against the pools like any listener's.
                l.pool = r.string(o, QStringLiteral("pool"), pointer, QString(), QStringLiteral("pool"));
                if (!poolNames.contains(l.pool))
                    r.error(JsonLocations::child(pointer, QStringLiteral("pool")),
                            QStringLiteral("listener \"%1\" sends its except paths to pool \"%2\", which is not defined; defined pools: %3")
                                .arg(l.name, l.pool, QStringList(poolNames.values()).join(QStringLiteral(", "))));
            }
            if (o.contains(QStringLiteral("tls")))
                r.error(JsonLocations::child(pointer, QStringLiteral("tls")),
                        QStringLiteral("listener \"%1\" redirects to HTTPS, so it is plain HTTP itself: remove \"tls\"").arg(l.name));
            if (o.contains(QStringLiteral("routes")))
                r.error(JsonLocations::child(pointer, QStringLiteral("routes")),
                        QStringLiteral("listener \"%1\" redirects every request, so it routes none: put the paths it serves in \"redirect\": {\"except\": [...]} "
                                       "and their pool in \"pool\"").arg(l.name));
            config.listeners.push_back(l);
            continue;
        }
        l.pool = r.string(o, QStringLiteral("pool"), pointer, QString(), QStringLiteral("pool"));
        if (l.pool.isEmpty() && config.pools.size() == 1)
            l.pool = config.pools.front().name;
        if (!poolNames.contains(l.pool))
            r.error(o.contains(QStringLiteral("pool")) ? JsonLocations::child(pointer, QStringLiteral("pool")) : pointer,
                    QStringLiteral("listener \"%1\" sends to pool \"%2\", which is not defined; defined pools: %3")
                        .arg(l.name, l.pool, QStringList(poolNames.values()).join(QStringLiteral(", "))));
        if (o.contains(QStringLiteral("tls")))
            l.tls = parseListenerTls(r, o.value(QStringLiteral("tls")), JsonLocations::child(pointer, QStringLiteral("tls")), l.name);
        l.routes = parseRoutes(r, o, pointer, l.name, poolNames);
        config.listeners.push_back(l);
    }

    // A redirect listener sends clients to a TLS listener of this config: its port, and its pool
    // for the `except` paths when the listener names none (and for the books).
    for (qsizetype i = 0; i < qsizetype(config.listeners.size()); ++i) {
        ListenerConfig &l = config.listeners[size_t(i)];
        if (!l.redirect.enabled())
            continue;
        const QString at = JsonLocations::child(JsonLocations::child(QStringLiteral("/listeners"), int(i)), QStringLiteral("redirect"));
        const auto target = std::find_if(config.listeners.begin(), config.listeners.end(), [&](const ListenerConfig &t) { return t.name == l.redirect.to; });
        QStringList tlsListeners;
        for (const ListenerConfig &t : config.listeners) {
            if (t.tls.enabled())
                tlsListeners << t.name;
        }
        const QString choices = tlsListeners.isEmpty() ? QStringLiteral("this config has none") : QStringLiteral("TLS listeners: %1").arg(tlsListeners.join(QStringLiteral(", ")));
        if (target == config.listeners.end()) {
            r.error(JsonLocations::child(at, QStringLiteral("to")),
                    QStringLiteral("listener \"%1\" redirects to listener \"%2\", which is not defined; %3").arg(l.name, l.redirect.to, choices));
        } else if (!target->tls.enabled()) {
            r.error(JsonLocations::child(at, QStringLiteral("to")),
                    QStringLiteral("listener \"%1\" redirects to listener \"%2\", which is not a TLS listener (clients would be sent to https:// where it "
                                   "speaks plain HTTP); %3").arg(l.name, l.redirect.to, choices));
        } else {
            l.redirect.toPort = target->port;
            if (l.pool.isEmpty())
                l.pool = target->pool;
        }
    }

    // "redis" entries are Redis lock endpoints; "locks" entries say their "backend". Names are
    // unique across both.
    QSet<QString> lockNames;
    auto addLockEndpoint = [&](LockEndpointConfig c, const QString &pointer) {
        if (lockNames.contains(c.name()))
            r.error(pointer, QStringLiteral("lock endpoint name \"%1\" is used twice; give each a unique \"name\"").arg(c.name()));
        lockNames.insert(c.name());
        config.locks.push_back(std::move(c));
    };
    const QJsonArray redis = r.array(root, QStringLiteral("redis"), QString(), QStringLiteral("redis"));
    for (int i = 0; i < redis.size(); ++i) {
        const QString pointer = JsonLocations::child(QStringLiteral("/redis"), i);
        addLockEndpoint(LockEndpointConfig::fromRedis(parseRedis(r, redis.at(i), pointer, i, false)), pointer);
    }
    const QJsonArray locks = r.array(root, QStringLiteral("locks"), QString(), QStringLiteral("locks"));
    for (int i = 0; i < locks.size(); ++i) {
        const QString pointer = JsonLocations::child(QStringLiteral("/locks"), i);
        const QJsonObject o = r.object(locks.at(i), pointer, QStringLiteral("lock endpoint %1").arg(i));
        const QString backend = o.value(QStringLiteral("backend")).toString();
        if (backend == u"redis") {
            addLockEndpoint(LockEndpointConfig::fromRedis(parseRedis(r, o, pointer, i, true)), pointer);
        } else if (backend == u"zookeeper") {
            addLockEndpoint(LockEndpointConfig::fromZooKeeper(parseZooKeeper(r, o, pointer, i)), pointer);
        } else if (backend == u"etcd") {
            addLockEndpoint(LockEndpointConfig::fromEtcd(parseEtcd(r, o, pointer, i)), pointer);
        } else if (backend == u"postgres") {
            addLockEndpoint(LockEndpointConfig::fromPostgres(parsePostgres(r, o, pointer, i)), pointer);
        } else if (backend == u"mysql") {
            addLockEndpoint(LockEndpointConfig::fromMysql(parseMysql(r, o, pointer, i)), pointer);
        } else {
            r.error(o.contains(QStringLiteral("backend")) ? JsonLocations::child(pointer, QStringLiteral("backend")) : pointer,
                    QStringLiteral("lock endpoint %1 needs \"backend\": \"redis\", \"zookeeper\", \"etcd\", \"postgres\" or \"mysql\"%2")
                        .arg(i).arg(backend.isEmpty() ? QString() : QStringLiteral(", not \"%1\"").arg(backend)));
        }
    }

    if (root.contains(QStringLiteral("admin"))) {
        const QString pointer = QStringLiteral("/admin");
        const QJsonObject o = r.object(root.value(QStringLiteral("admin")), pointer, QStringLiteral("admin"));
        config.admin.enabled = true;
        r.onlyKeys(o, pointer, QStringLiteral("admin"), {QStringLiteral("listen"), QStringLiteral("allow_non_loopback"),
                                                         QStringLiteral("token_file"), QStringLiteral("read_only_token_file"), QStringLiteral("tls")});
        const QString listen = r.string(o, QStringLiteral("listen"), pointer, QStringLiteral("127.0.0.1:9900"), QStringLiteral("admin.listen"));
        r.address(listen, JsonLocations::child(pointer, QStringLiteral("listen")), QStringLiteral("admin.listen"), &config.admin.host, &config.admin.port, true);
        config.admin.allowNonLoopback = r.boolean(o, QStringLiteral("allow_non_loopback"), pointer, false, QStringLiteral("admin.allow_non_loopback"));
        const QHostAddress bind(config.admin.host);
        if (!config.admin.allowNonLoopback && !bind.isLoopback() && config.admin.host != u"localhost")
            r.error(JsonLocations::child(pointer, QStringLiteral("listen")),
                    QStringLiteral("admin.listen \"%1\" is not a loopback address; the admin API can change weights and release locks, "
                                   "so set \"allow_non_loopback\": true to say you mean it").arg(listen));
        config.admin.tokenFile = r.string(o, QStringLiteral("token_file"), pointer, QString(), QStringLiteral("admin.token_file"));
        config.admin.readOnlyTokenFile = r.string(o, QStringLiteral("read_only_token_file"), pointer, QString(), QStringLiteral("admin.read_only_token_file"));
        if (o.contains(QStringLiteral("tls"))) {
            const QString tlsPointer = JsonLocations::child(pointer, QStringLiteral("tls"));
            const QJsonObject t = r.object(o.value(QStringLiteral("tls")), tlsPointer, QStringLiteral("admin.tls"));
            r.onlyKeys(t, tlsPointer, QStringLiteral("admin.tls"), {QStringLiteral("cert"), QStringLiteral("key"), QStringLiteral("client_ca")});
            config.admin.tlsCertFile = r.string(t, QStringLiteral("cert"), tlsPointer, QString(), QStringLiteral("admin.tls.cert"));
            config.admin.tlsKeyFile = r.string(t, QStringLiteral("key"), tlsPointer, QString(), QStringLiteral("admin.tls.key"));
            config.admin.tlsClientCaFile = r.string(t, QStringLiteral("client_ca"), tlsPointer, QString(), QStringLiteral("admin.tls.client_ca"));
            if (config.admin.tlsCertFile.isEmpty() || config.admin.tlsKeyFile.isEmpty())
                r.error(tlsPointer, QStringLiteral("admin.tls needs \"cert\" and \"key\": the PEM certificate chain and its private key "
                                                   "(e.g. \"/etc/fulcrum/admin.pem\" and \"/etc/fulcrum/admin.key\", the key mode 0600)"));
        }
    }

    if (root.contains(QStringLiteral("proxy"))) {
        const QString pointer = QStringLiteral("/proxy");
        const QJsonObject o = r.object(root.value(QStringLiteral("proxy")), pointer, QStringLiteral("proxy"));
        r.onlyKeys(o, pointer, QStringLiteral("proxy"),
                   {QStringLiteral("workers"), QStringLiteral("connect_timeout"), QStringLiteral("header_timeout"), QStringLiteral("idle_timeout"),
                    QStringLiteral("response_timeout"), QStringLiteral("max_header_bytes"), QStringLiteral("max_body_bytes"),
                    QStringLiteral("max_idle_per_server"), QStringLiteral("stop_timeout"), QStringLiteral("tunnel_timeout"),
                    QStringLiteral("client_keepalive_requests"), QStringLiteral("client_keepalive_time"), QStringLiteral("resolver"),
                    QStringLiteral("access_log")});
        ProxyConfig &p = config.proxy;
        p.workers = int(r.integer(o, QStringLiteral("workers"), pointer, 0, 0, 256, QStringLiteral("proxy.workers")));
        p.connectTimeoutMs = r.duration(o, QStringLiteral("connect_timeout"), pointer, p.connectTimeoutMs, 1, 600'000, QStringLiteral("proxy.connect_timeout"));
        p.headerTimeoutMs = r.duration(o, QStringLiteral("header_timeout"), pointer, p.headerTimeoutMs, 1, 600'000, QStringLiteral("proxy.header_timeout"));
        p.idleTimeoutMs = r.duration(o, QStringLiteral("idle_timeout"), pointer, p.idleTimeoutMs, 1, 3'600'000, QStringLiteral("proxy.idle_timeout"));
        p.responseTimeoutMs = r.duration(o, QStringLiteral("response_timeout"), pointer, p.responseTimeoutMs, 1, 3'600'000, QStringLiteral("proxy.response_timeout"));
        p.maxHeaderBytes = r.integer(o, QStringLiteral("max_header_bytes"), pointer, p.maxHeaderBytes, 1024, 1024 * 1024, QStringLiteral("proxy.max_header_bytes"));
        p.maxBodyBytes = r.integer(o, QStringLiteral("max_body_bytes"), pointer, p.maxBodyBytes, 0, qint64(1) << 50, QStringLiteral("proxy.max_body_bytes"));
        p.maxIdlePerServer = int(r.integer(o, QStringLiteral("max_idle_per_server"), pointer, p.maxIdlePerServer, 0, 100'000, QStringLiteral("proxy.max_idle_per_server")));
        p.stopTimeoutMs = r.duration(o, QStringLiteral("stop_timeout"), pointer, p.stopTimeoutMs, 0, 3'600'000, QStringLiteral("proxy.stop_timeout"));
        p.tunnelTimeoutMs = r.duration(o, QStringLiteral("tunnel_timeout"), pointer, p.tunnelTimeoutMs, 1000, 7 * 86'400'000LL, QStringLiteral("proxy.tunnel_timeout"));
        // A client connection's lifetime, by requests and by age (0 or absent: no limit).
        p.clientKeepaliveRequests = r.integer(o, QStringLiteral("client_keepalive_requests"), pointer, p.clientKeepaliveRequests, 0, 1'000'000'000,
                                              QStringLiteral("proxy.client_keepalive_requests"));
        p.clientKeepaliveTimeMs = r.duration(o, QStringLiteral("client_keepalive_time"), pointer, p.clientKeepaliveTimeMs, 1, 7 * 86'400'000LL,
                                             QStringLiteral("proxy.client_keepalive_time"));
        if (o.contains(QStringLiteral("resolver")))
            p.resolver = parseResolver(r, o.value(QStringLiteral("resolver")), JsonLocations::child(pointer, QStringLiteral("resolver")));
        if (o.contains(QStringLiteral("access_log")))
            p.accessLog = parseAccessLog(r, o.value(QStringLiteral("access_log")), JsonLocations::child(pointer, QStringLiteral("access_log")));
    }
    if (root.contains(QStringLiteral("history")))
        config.history = parseHistory(r, root.value(QStringLiteral("history")));
    config.stateDir = r.string(root, QStringLiteral("state_dir"), QString(), QString(), QStringLiteral("state_dir"));

    if (pools.isEmpty() && !root.contains(QStringLiteral("pools")) && config.locks.empty())
        r.error(QString(), QStringLiteral("the config defines nothing to run: add \"pools\" (with \"listeners\") and/or \"redis\" or \"locks\" endpoints"));

    result.errors = r.errors;
    if (result.errors.isEmpty())
        result.config = std::move(config);
    return result;
}

ConfigResult loadConfigFile(const QString &path, ConfigFiles files)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        ConfigResult result;
        result.errors.append(ConfigError{path, 0, 0, QStringLiteral("cannot read the config: %1").arg(file.errorString())});
        return result;
    }
    return parseConfig(file.readAll(), path, files);
}

} // namespace fulcrum
