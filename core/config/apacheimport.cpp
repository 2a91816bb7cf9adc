#include "apacheimport.h"

#include "common/duration.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QHash>
#include <QHostAddress>
#include <QMap>
#include <QRegularExpression>
#include <QSet>
#include <QUrl>

#include <algorithm>
#include <climits>
#include <limits>
#include <numeric>
#include <optional>

namespace fulcrum {

namespace {

// One directive or section of an httpd config. Directive names are case-insensitive in httpd:
// `key` is the lower-case name to match on, `name` the spelling to quote back.
struct ApacheNode
{
    QString name;
    QString key;
    QStringList args;
    QString file;       // the file it was read from: the imported one, or one it includes
    // Its line in `file` as parsed; once includes are expanded, its place in reading order
    // across all the files (an index into the importer's places), which is what notes sort by.
    int line = 0;
    QString unread;     // an Include that brought nothing in here: why
    bool section = false;
    std::vector<ApacheNode> children;
};

// Words of one logical line as httpd's ap_getword_conf splits them: blanks separate words,
// "..." and '...' group them, a backslash inside quotes escapes the quote.
QStringList splitWords(QStringView text)
{
    QStringList words;
    qsizetype i = 0;
    while (i < text.size()) {
        while (i < text.size() && text[i].isSpace())
            ++i;
        if (i >= text.size())
            break;
        QString word;
        const QChar quote = text[i];
        if (quote == u'"' || quote == u'\'') {
            ++i;
            while (i < text.size() && text[i] != quote) {
                if (text[i] == u'\\' && i + 1 < text.size() && (text[i + 1] == quote || text[i + 1] == u'\\'))
                    ++i;
                word += text[i++];
            }
            ++i;
        } else {
            while (i < text.size() && !text[i].isSpace())
                word += text[i++];
        }
        words << word;
    }
    return words;
}

class ApacheParser
{
public:
    ApacheParser(const QByteArray &text, const QString &file, QStringList &errors)
        : m_lines(QString::fromUtf8(text).split(u'\n')), m_file(file), m_errors(errors)
    {
    }

    std::vector<ApacheNode> parse()
    {
        std::vector<ApacheNode> top;
        std::vector<ApacheNode *> open; // sections not closed yet, innermost last
        auto children = [&]() -> std::vector<ApacheNode> & { return open.empty() ? top : open.back()->children; };
        for (int index = 0; index < m_lines.size(); ++index) {
            const int lineNumber = index + 1;
            // A trailing backslash continues the line (httpd joins the next line as it is).
            QString logical = m_lines[index];
            if (logical.endsWith(u'\r'))
                logical.chop(1);
            while (logical.endsWith(u'\\') && index + 1 < m_lines.size()) {
                logical.chop(1);
                QString next = m_lines[++index];
                if (next.endsWith(u'\r'))
                    next.chop(1);
                logical += next;
            }
            const QString text = logical.trimmed();
            if (text.isEmpty() || text.startsWith(u'#'))
                continue;
            if (text.startsWith(QStringLiteral("</"))) {
                const QString name = text.mid(2).chopped(text.endsWith(u'>') ? 1 : 0).trimmed();
                if (open.empty()) {
                    m_errors << QStringLiteral("%1:%2: </%3> closes no section; remove it or add the <%3 ...> it belongs to").arg(m_file).arg(lineNumber).arg(name);
                    return {};
                }
                if (name.compare(open.back()->name, Qt::CaseInsensitive) != 0) {
                    m_errors << QStringLiteral("%1:%2: </%3> found while <%4> from line %5 is open; close it first with </%4>")
                                    .arg(m_file).arg(lineNumber).arg(name, open.back()->name).arg(open.back()->line);
                    return {};
                }
                open.pop_back();
                continue;
            }
            ApacheNode node;
            node.file = m_file;
            node.line = lineNumber;
            QString body = text;
            if (text.startsWith(u'<')) {
                if (!text.endsWith(u'>')) {
                    m_errors << QStringLiteral("%1:%2: section \"%3\" lacks its closing '>'; write it as <Name arguments>").arg(m_file).arg(lineNumber).arg(text);
                    return {};
                }
                node.section = true;
                body = text.mid(1).chopped(1);
            }
            QStringList words = splitWords(body);
            if (words.isEmpty()) {
                m_errors << QStringLiteral("%1:%2: \"%3\" names no section; write it as <Name arguments>").arg(m_file).arg(lineNumber).arg(text);
                return {};
            }
            node.name = words.takeFirst();
            node.key = node.name.toLower();
            node.args = words;
            children().push_back(std::move(node));
            if (children().back().section)
                open.push_back(&children().back());
        }
        if (!open.empty()) {
            const ApacheNode *unclosed = open.front();
            m_errors << QStringLiteral("%1:%2: <%3 %4> is not closed: add </%3> after its last directive")
                            .arg(m_file).arg(unclosed->line).arg(unclosed->name, unclosed->args.join(u' '));
            return {};
        }
        return top;
    }

private:
    QStringList m_lines;
    QString m_file;
    QStringList &m_errors;
};

// httpd's Include and IncludeOptional: the directives of the files they name take their place,
// in the section they stand in. A relative path is read from ServerRoot (as set above it, else
// the imported file's folder: import /etc/apache2/apache2.conf itself on Debian); a glob's
// files and a folder's files in sorted order. An include that brings nothing in here stays,
// with why, and becomes a note in its place: an import often runs away from the machine httpd
// runs on, and what it could read still carries over.
// The files of an included folder in httpd's order: each folder's entries sorted by name (byte
// order, as strcmp), a subfolder's files where its name sorts (sub/b.conf before sub-x.conf).
void filesInFolder(const QString &path, QStringList &files, int depth)
{
    if (depth > kMaxImportIncludeDepth)
        return;
    QStringList names = QDir(path).entryList(QDir::Files | QDir::Dirs | QDir::NoDotAndDotDot | QDir::Hidden, QDir::Unsorted);
    std::sort(names.begin(), names.end(), [](const QString &a, const QString &b) { return QFile::encodeName(a) < QFile::encodeName(b); });
    for (const QString &name : std::as_const(names)) {
        const QString entry = path + u'/' + name;
        if (QFileInfo(entry).isDir())
            filesInFolder(entry, files, depth + 1);
        else
            files << entry;
    }
}

void expandIncludes(std::vector<ApacheNode> &nodes, QDir &root, int depth, QStringList &errors)
{
    std::vector<ApacheNode> out;
    out.reserve(nodes.size());
    for (ApacheNode &n : nodes) {
        if (n.key == u"serverroot" && !n.args.isEmpty())
            root = QDir(n.args.first());
        if (n.section)
            expandIncludes(n.children, root, depth, errors);
        if (n.section || (n.key != u"include" && n.key != u"includeoptional") || n.args.size() != 1) {
            out.push_back(std::move(n));
            continue;
        }
        if (depth >= kMaxImportIncludeDepth) {
            errors << QStringLiteral("%1:%2: %3 %4: files include each other more than %5 deep (a loop?); fix the %3 lines")
                          .arg(n.file).arg(n.line).arg(n.name, n.args.first()).arg(kMaxImportIncludeDepth);
            return;
        }
        const QString pattern = QDir::cleanPath(root.absoluteFilePath(n.args.first()));
        QStringList files;
        for (const QString &path : filesMatching(pattern)) {
            if (QFileInfo(path).isDir())
                filesInFolder(path, files, 0);
            else
                files << path;
        }
        if (files.isEmpty()) {
            n.unread = QStringLiteral("no file %1 here, so nothing in it is imported; run the import where httpd's files are, or import that file too").arg(pattern);
            out.push_back(std::move(n));
            continue;
        }
        for (const QString &path : std::as_const(files)) {
            QFile file(path);
            if (!file.open(QIODevice::ReadOnly)) {
                ApacheNode unread = n;
                unread.unread = QStringLiteral("cannot read %1 (%2), so nothing in it is imported").arg(path, file.errorString());
                out.push_back(std::move(unread));
                continue;
            }
            std::vector<ApacheNode> included = ApacheParser(file.readAll(), path, errors).parse();
            if (errors.isEmpty())
                expandIncludes(included, root, depth + 1, errors);
            if (!errors.isEmpty())
                return;
            for (ApacheNode &each : included)
                out.push_back(std::move(each));
        }
    }
    nodes = std::move(out);
}

// Where a node was read: its file and line, kept by its place in reading order.
struct Place
{
    QString file;
    int line;
};

void numberInReadingOrder(std::vector<ApacheNode> &nodes, std::vector<Place> &places)
{
    for (ApacheNode &n : nodes) {
        places.push_back({n.file, n.line});
        n.line = int(places.size() - 1);
        numberInReadingOrder(n.children, places);
    }
}

bool isBalancerUrl(const QString &url)
{
    return url.startsWith(QStringLiteral("balancer://"), Qt::CaseInsensitive);
}

// "balancer://Shop/x" -> "Shop"; httpd compares balancer names without regard to case.
QString balancerName(const QString &url)
{
    return url.mid(11).section(u'/', 0, 0);
}

QString balancerPath(const QString &url)
{
    const QString rest = url.mid(11);
    const qsizetype slash = rest.indexOf(u'/');
    return slash < 0 ? QString() : rest.mid(slash);
}

struct Member
{
    QString url;
    QStringList params;
    int line = 0;
};

// The members of one balancer that carry a time (timeout=, connectiontimeout=, ttl=): the
// largest and the smallest, where each was written, whether they differ, and how many of the
// balancer's imported members carry one (members) of all (of).
struct MemberTimeouts
{
    qint64 largestMs = -1;
    int line = 0;
    qint64 smallestMs = -1;
    int smallestLine = 0;
    bool differ = false;
    int members = 0;
    int of = 0;

    void add(qint64 ms, int at)
    {
        if (largestMs >= 0 && ms != largestMs)
            differ = true;
        if (ms > largestMs) {
            largestMs = ms;
            line = at;
        }
        if (smallestMs < 0 || ms < smallestMs) {
            smallestMs = ms;
            smallestLine = at;
        }
        ++members;
    }
};

// A member's timeout=: whole seconds, at least one (mod_proxy reads it with atoi()).
std::optional<qint64> httpdSeconds(const QString &text)
{
    bool ok = false;
    const qint64 seconds = text.trimmed().toLongLong(&ok);
    if (!ok || seconds < 1 || seconds > 365LL * 86'400)
        return std::nullopt;
    return seconds * 1000;
}

// A member's connectiontimeout=, read as httpd reads it (ap_timeout_parameter_parse): a number,
// then a unit told by its first letters, "ms", "mi" (minutes: "mi", "min"), "s" or "h", seconds
// without one; mod_proxy wants at least one millisecond.
std::optional<qint64> httpdTimeoutMs(const QString &text)
{
    static const QRegularExpression form(QStringLiteral("^\\s*(\\d{1,12})(.*)$"));
    const QRegularExpressionMatch m = form.match(text);
    if (!m.hasMatch())
        return std::nullopt;
    const qint64 n = m.captured(1).toLongLong();
    const QString unit = m.captured(2);
    qint64 ms = -1;
    if (unit.isEmpty() || unit.startsWith(u's'))
        ms = n * 1000;
    else if (unit.startsWith(u'h'))
        ms = n * 3'600'000;
    else if (unit.startsWith(QStringLiteral("ms")))
        ms = n;
    else if (unit.startsWith(QStringLiteral("mi")))
        ms = n * 60'000;
    if (ms < 1)
        return std::nullopt;
    return ms;
}

struct BalancerSetting
{
    QString key;   // lower case
    QString value;
    QString origin; // "ProxySet" or "ProxyPass": where the setting was written
    int line = 0;
};

struct Balancer
{
    QString name;  // as first written
    int line = 0;
    std::vector<Member> members;
    std::vector<BalancerSetting> settings; // in file order: httpd lets the last one win
};

// A ProxyPass to a balancer and where httpd serves it.
struct Route
{
    const ApacheNode *virtualHost = nullptr; // nullptr: the main server (its Listen addresses)
    QString path;
    bool pathIsRegex = false;
    QString balancerKey;
    QString targetPath;
    int line = 0;
};

// What httpd put in place of a ProxyPass path (`ProxyPass /api/ balancer://api/` sends
// /api/x as /x) as a route's prefix_rewrite: empty when it sent the path unchanged; nullopt when
// the slashes of the two do not match (httpd's own mismatch, /api/ to balancer://api) or the
// path is no plain path, which a prefix_rewrite cannot copy.
std::optional<QByteArray> prefixRewriteOf(const Route &route)
{
    const QString &path = route.path;
    const QString &target = route.targetPath;
    if (target == path)
        return QByteArray();
    if (!target.startsWith(u'/') || path.endsWith(u'/') != target.endsWith(u'/'))
        return std::nullopt;
    if (target != u"/" && !pathPrefixProblem(target, QString()).isEmpty())
        return std::nullopt;
    return target.toLatin1();
}

// A ProxyPass path that httpd rewrote, as a route of its own: its prefix_rewrite when the path
// can be a route's prefix and httpd's mapping can be copied; empty otherwise.
QByteArray routeRewriteOf(const Route &route)
{
    if (route.pathIsRegex || route.path == u"/" || !pathPrefixProblem(route.path, QString()).isEmpty())
        return {};
    return prefixRewriteOf(route).value_or(QByteArray());
}

struct ListenAddress
{
    QString host; // empty: every address
    quint16 port = 0;
    bool tls = false;
    int line = 0;
};

// Parses "HOST:PORT", "[V6]:PORT", "HOST", "PORT" (Listen) or "*:PORT" (VirtualHost).
bool splitAddress(const QString &text, QString *host, quint16 *port)
{
    QString h = text;
    QString p;
    if (text.startsWith(u'[')) {
        const qsizetype close = text.indexOf(u']');
        if (close < 0)
            return false;
        h = text.mid(1, close - 1);
        if (text.mid(close + 1).startsWith(u':'))
            p = text.mid(close + 2);
    } else if (text.count(u':') == 1) {
        h = text.section(u':', 0, 0);
        p = text.section(u':', 1);
    } else if (!text.contains(u':') && !text.contains(u'.') && !text.contains(u'*') && text != u"_default_") {
        h.clear();
        p = text;
    }
    *host = (h == u"*" || h == u"_default_") ? QString() : h;
    *port = 0;
    if (p.isEmpty() || p == u"*")
        return true;
    bool ok = false;
    const uint number = p.toUInt(&ok);
    if (!ok || number == 0 || number > 65535)
        return false;
    *port = quint16(number);
    return true;
}

QString hostPort(const QString &host, quint16 port)
{
    return host.contains(u':') ? QStringLiteral("[%1]:%2").arg(host).arg(port) : QStringLiteral("%1:%2").arg(host).arg(port);
}

class ApacheImporter
{
public:
    ApacheImporter(const QString &file, const QDir &serverRoot, std::vector<Place> places, ApacheImportResult &result)
        : m_file(file), m_serverRoot(serverRoot), m_places(std::move(places)), m_result(result) {}

    void run(const std::vector<ApacheNode> &top)
    {
        walk(top, nullptr, QString());
        if (!m_result.errors.isEmpty())
            return;
        for (const QString &key : m_balancerOrder) {
            makePool(m_balancers[key]);
            if (!m_result.errors.isEmpty())
                return;
        }
        if (m_result.config.pools.empty()) {
            m_result.errors << QStringLiteral("%1: no <Proxy balancer://NAME> block or \"BalancerMember balancer://NAME URL\" line with a member to import, "
                                              "in it or in the files it includes%2").arg(m_file, m_unreadIncludes.isEmpty() ? QString() : QStringLiteral(
                                              "; the balancers may be in files these includes did not find here: run the import where httpd's files are\n  ")
                                              + m_unreadIncludes.join(QStringLiteral("\n  ")));
            return;
        }
        makeListeners();
        // In file order, as a reader goes through the config (the checks above run per balancer).
        std::stable_sort(m_notes.begin(), m_notes.end(), [](const auto &a, const auto &b) { return a.first < b.first; });
        for (const auto &[line, text] : m_notes)
            m_result.notes << text;
    }

private:
    // `at`: a node's place in reading order (its `line` once numbered).
    QString where(int at) const { return QStringLiteral("%1:%2").arg(m_places[size_t(at)].file).arg(m_places[size_t(at)].line); }
    void note(int at, const QString &what) { m_notes.push_back({at, QStringLiteral("%1: %2").arg(where(at), what)}); }
    void error(int at, const QString &what) { m_result.errors << QStringLiteral("%1: %2").arg(where(at), what); }

    Balancer &balancer(const QString &url, int line)
    {
        const QString name = balancerName(url);
        const QString key = name.toLower();
        if (!m_balancers.contains(key)) {
            m_balancers[key] = Balancer{name, line, {}, {}};
            m_balancerOrder << key;
        }
        return m_balancers[key];
    }

    // What httpd did to a request that Fulcrum does not, for a directive the import does not
    // read; empty where the directive only tunes httpd itself (logs, files, modules) or is read.
    static QString whyNotCarried(const ApacheNode &n)
    {
        static const QHash<QString, QString> reasons = [] {
            QHash<QString, QString> r;
            const auto add = [&r](std::initializer_list<const char *> keys, const QString &why) {
                for (const char *k : keys)
                    r.insert(QLatin1StringView(k), why);
            };
            add({"header"}, QStringLiteral("Fulcrum adds no response header of its own (but Via); set it in the application"));
            add({"requestheader"}, QStringLiteral("Fulcrum sends the client's headers, X-Forwarded-For, X-Forwarded-Proto and Via, and no header of its own choosing"));
            add({"rewriterule", "rewritecond", "redirect", "redirectmatch", "redirectpermanent", "redirecttemporary"},
                QStringLiteral("Fulcrum does not answer or rewrite requests itself; every request goes to the listener's pool"));
            add({"documentroot", "alias", "aliasmatch", "scriptalias", "directoryindex", "fallbackresource"},
                QStringLiteral("Fulcrum serves no files; every request goes to the listener's pool"));
            add({"require", "allow", "deny", "order", "authtype", "authname", "authuserfile", "authbasicprovider", "satisfy", "sslverifyclient"},
                QStringLiteral("Fulcrum does no access control here, so every client reaches the servers: keep it in a firewall or in the application"));
            add({"errordocument", "proxyerroroverride"}, QStringLiteral("clients get the servers' own error pages, and Fulcrum's for 502, 503 and 504"));
            add({"addoutputfilterbytype", "setoutputfilter", "deflatecompressionlevel"},
                QStringLiteral("Fulcrum does not compress or filter answers; the servers' own compression passes through"));
            add({"remoteipheader", "remoteiptrustedproxy", "remoteipinternalproxy"},
                QStringLiteral("Fulcrum takes the client's address from the connection, and appends it to the X-Forwarded-For the client sent"));
            add({"cacheenable", "cachequickhandler", "cacheroot"}, QStringLiteral("Fulcrum caches nothing; every request reaches a server"));
            add({"customlog", "transferlog"}, QStringLiteral("Fulcrum writes an access log only where \"proxy\": {\"access_log\": {\"path\": \"/var/log/fulcrum/access.log\"}} names a file of its own"));
            return r;
        }();
        if (n.key == u"require" && n.args.join(u' ').compare(QStringLiteral("all granted"), Qt::CaseInsensitive) == 0)
            return {};   // every client: what Fulcrum does
        return reasons.value(n.key);
    }

    void walk(const std::vector<ApacheNode> &nodes, const ApacheNode *virtualHost, const QString &location)
    {
        for (const ApacheNode &n : nodes) {
            if (n.section && n.key == u"proxy") {
                const QString url = n.args.value(0);
                if (isBalancerUrl(url))
                    readProxyBlock(n, balancer(url, n.line));
                else
                    note(n.line, QStringLiteral("<Proxy %1> not carried over: only <Proxy balancer://NAME> blocks become pools").arg(url));
            } else if (n.section && n.key == u"proxymatch") {
                note(n.line, QStringLiteral("<ProxyMatch %1> not carried over: only <Proxy balancer://NAME> blocks become pools").arg(n.args.value(0)));
            } else if (n.section && n.key == u"virtualhost") {
                m_virtualHosts.push_back(&n);
                walk(n.children, &n, QString());
            } else if (n.section && (n.key == u"location" || n.key == u"locationmatch")) {
                readLocation(n, virtualHost);
            } else if (n.section && (n.key == u"directory" || n.key == u"directorymatch" || n.key == u"files" || n.key == u"filesmatch")) {
                continue;   // rules for httpd's own files: nothing a proxied request meets
            } else if (n.section) {
                // <IfModule>, <IfDefine> ...: what they hold counts as if written here.
                walk(n.children, virtualHost, location);
            } else if (n.key == u"balancermember") {
                if (!isBalancerUrl(n.args.value(0)) || n.args.size() < 2) {
                    error(n.line, QStringLiteral("BalancerMember outside a <Proxy balancer://NAME> block must name its balancer: BalancerMember balancer://NAME http://HOST:PORT"));
                    continue;
                }
                balancer(n.args[0], n.line).members.push_back(Member{n.args[1], n.args.mid(2), n.line});
            } else if (n.key == u"proxyset") {
                if (isBalancerUrl(n.args.value(0)))
                    readSettings(balancer(n.args[0], n.line), n.args.mid(1), QStringLiteral("ProxySet"), n.line);
                else
                    note(n.line, QStringLiteral("ProxySet %1 not carried over: it sets a single worker, not a balancer").arg(n.args.join(u' ')));
            } else if (n.key == u"proxypass" || n.key == u"proxypassmatch") {
                readProxyPass(n, virtualHost, location, false);
            } else if (n.key == u"include" || n.key == u"includeoptional") {
                // Still here: it brought nothing in (expandIncludes says why), or it is malformed.
                note(n.line, QStringLiteral("%1 %2: %3").arg(n.name, n.args.join(u' '), n.unread.isEmpty() ? QStringLiteral("skipped: it takes one file, folder or glob") : n.unread));
                m_unreadIncludes << QStringLiteral("%1: %2 %3").arg(where(n.line), n.name, n.args.join(u' '));
            } else if (n.key == u"listen" && !virtualHost) {
                ListenAddress a;
                a.line = n.line;
                if (!splitAddress(n.args.value(0), &a.host, &a.port) || a.port == 0) {
                    note(n.line, QStringLiteral("Listen %1 not carried over: not [HOST:]PORT").arg(n.args.join(u' ')));
                    continue;
                }
                a.tls = n.args.value(1).compare(QStringLiteral("https"), Qt::CaseInsensitive) == 0;
                m_listens.push_back(a);
            } else if (virtualHost || !location.isEmpty()) {
                m_hostDirectives[virtualHost].push_back(&n);
            } else if (n.key.startsWith(u"proxy") || n.key.startsWith(u"ssl") || n.key == u"protocols" || n.key == u"timeout" || n.key == u"limitrequestbody"
                       || n.key.startsWith(u"keepalive") || n.key == u"maxkeepaliverequests" || n.key == u"limitrequestfieldsize"
                       || !whyNotCarried(n).isEmpty()) {
                m_hostDirectives[nullptr].push_back(&n);   // the main server's, inherited by virtual hosts
            }
        }
    }

    void readProxyBlock(const ApacheNode &block, Balancer &b)
    {
        for (const ApacheNode &n : block.children) {
            if (n.key == u"balancermember" && !n.args.isEmpty()) {
                b.members.push_back(Member{n.args[0], n.args.mid(1), n.line});
            } else if (n.key == u"proxyset") {
                readSettings(b, n.args, QStringLiteral("ProxySet"), n.line);
            } else if (n.key == u"require" || n.key == u"order" || n.key == u"allow" || n.key == u"deny" || n.key == u"satisfy") {
                note(n.line, QStringLiteral("%1 %2 in <Proxy balancer://%3> not carried over: Fulcrum listeners do not restrict which clients may connect")
                                 .arg(n.name, n.args.join(u' '), b.name));
            } else {
                note(n.line, QStringLiteral("%1%2 in <Proxy balancer://%3> not carried over (no Fulcrum equivalent)")
                                 .arg(n.section ? QStringLiteral("<") + n.name + u'>' : n.name, n.args.isEmpty() || n.section ? QString() : u' ' + n.args.join(u' '), b.name));
            }
        }
    }

    void readSettings(Balancer &b, const QStringList &args, const QString &origin, int line)
    {
        for (const QString &arg : args) {
            if (!arg.contains(u'=')) {
                note(line, QStringLiteral("%1 flag \"%2\" not carried over (no Fulcrum equivalent)").arg(origin, arg));
                continue;
            }
            b.settings.push_back(BalancerSetting{arg.section(u'=', 0, 0).toLower(), arg.section(u'=', 1), origin, line});
        }
    }

    void readLocation(const ApacheNode &location, const ApacheNode *virtualHost)
    {
        bool proxies = false;
        for (const ApacheNode &n : location.children)
            proxies = proxies || ((n.key == u"proxypass") && isBalancerUrl(n.args.value(0)));
        for (const ApacheNode &n : location.children) {
            if (n.key == u"proxypass")
                readProxyPass(n, virtualHost, location.args.value(0), location.key == u"locationmatch");
            else if (proxies)
                note(n.line, QStringLiteral("%1 %2 in <%3 %4> not carried over: Fulcrum listeners do not act per path")
                                 .arg(n.name, n.args.join(u' '), location.name, location.args.value(0)));
            else if (n.section)
                walk(n.children, virtualHost, location.args.value(0));
            else if (const QString why = whyNotCarried(n); !why.isEmpty())
                note(n.line, QStringLiteral("%1 %2 in <%3 %4> not carried over: %5").arg(n.name, n.args.join(u' '), location.name, location.args.value(0), why));
        }
    }

    void readProxyPass(const ApacheNode &n, const ApacheNode *virtualHost, const QString &location, bool locationIsRegex)
    {
        // Inside <Location PATH> the path is the location's; elsewhere it is the first word.
        const bool inLocation = !location.isEmpty() && (n.args.value(0).contains(QStringLiteral("://")) || n.args.value(0) == u"!");
        const QString path = inLocation ? location : n.args.value(0);
        const QString target = n.args.value(inLocation ? 0 : 1);
        if (target == u"!") {
            note(n.line, QStringLiteral("%1 %2 ! not carried over: Fulcrum listeners do not exclude paths; those requests go to the pool too").arg(n.name, path));
            return;
        }
        if (!isBalancerUrl(target)) {
            note(n.line, QStringLiteral("%1 %2 %3 not carried over: only balancer:// targets become listeners").arg(n.name, path, target));
            return;
        }
        Route route;
        route.virtualHost = virtualHost;
        route.path = path;
        route.pathIsRegex = n.key == u"proxypassmatch" || locationIsRegex;
        route.balancerKey = balancerName(target).toLower();
        route.targetPath = balancerPath(target);
        route.line = n.line;
        m_routes.push_back(route);
        readSettings(balancer(target, n.line), n.args.mid(inLocation ? 1 : 2), n.name, n.line);
    }

    void makePool(Balancer &b)
    {
        if (b.members.empty()) {
            note(b.line, QStringLiteral("balancer://%1 has no BalancerMember; skipped").arg(b.name));
            return;
        }
        PoolConfig pool;
        pool.name = b.name;
        pool.options.algorithm = Algorithm::WeightedRoundRobin; // lbmethod=byrequests, httpd's default, is the same smooth weighted round robin
        applySettings(b, pool);

        std::vector<int> loadFactors;   // httpd's own unit: loadfactor x 100, cut to a whole number
        std::vector<QPair<int, int>> tiers; // (lbset, 0 member / 1 hot spare / 2 hot standby)
        QSet<QString> names;
        bool drains = false;
        MemberTimeouts timeouts;
        MemberTimeouts connects;   // connectiontimeout=, the same way
        MemberTimeouts ttls;       // ttl=: how long an unused connection to the member is kept
        QStringList noReuse;       // members with disablereuse=On
        int noReuseLine = 0;
        for (const Member &m : b.members) {
            BackendSpec s;
            int loadFactor = 100;
            int lbset = 0;
            int tier = 0;
            if (!memberAddress(m, &s))
                continue;
            if (m.url.startsWith(QStringLiteral("https:"), Qt::CaseInsensitive))
                carryTlsToMember(b, m, &s);
            for (const QString &param : m.params) {
                const QString key = param.section(u'=', 0, 0).toLower();
                const QString value = param.section(u'=', 1);
                if (key == u"loadfactor") {
                    bool ok = false;
                    const double factor = value.toDouble(&ok);
                    loadFactor = ok ? int(factor * 100.0) : 0;
                    if (loadFactor < 100 || loadFactor > 10000) {
                        error(m.line, QStringLiteral("loadfactor=%1 for %2 must be a number from 1 to 100 (decimals allowed, e.g. 2.5); httpd rejects it too").arg(value, m.url));
                        return;
                    }
                    if (!qFuzzyCompare(double(loadFactor) / 100.0, factor))
                        note(m.line, QStringLiteral("%1: loadfactor=%2 is taken as %3, as httpd takes it (it keeps two decimals)").arg(m.url, value).arg(double(loadFactor) / 100.0));
                } else if (key == u"status") {
                    applyStatus(m, value, &s, &tier);
                    drains = drains || s.state == BackendState::Drain;
                } else if (key == u"lbset") {
                    bool ok = false;
                    lbset = value.toInt(&ok);
                    if (!ok || lbset < 0 || lbset > 99) {
                        note(m.line, QStringLiteral("%1: lbset=%2 is not 0..99; lbset 0 used").arg(m.url, value));
                        lbset = 0;
                    }
                } else if (key == u"timeout") {
                    if (const std::optional<qint64> ms = httpdSeconds(value)) {
                        timeouts.add(*ms, m.line);
                    } else {
                        note(m.line, QStringLiteral("%1: timeout=%2 not carried over: not a whole number of seconds").arg(m.url, value));
                    }
                } else if (key == u"connectiontimeout") {
                    if (const std::optional<qint64> ms = httpdTimeoutMs(value)) {
                        connects.add(*ms, m.line);
                    } else {
                        note(m.line, QStringLiteral("%1: connectiontimeout=%2 not carried over: not a time httpd reads (a number, optionally ms, s, mi or h)").arg(m.url, value));
                    }
                } else if (key == u"route") {
                    note(m.line, QStringLiteral("%1: route=%2 not carried over: Fulcrum's stickiness hashes the session cookie, it does not read a route from it").arg(m.url, value));
                } else if (key == u"ttl") {
                    if (const std::optional<qint64> ms = httpdSeconds(value)) {
                        ttls.add(*ms, m.line);
                    } else {
                        note(m.line, QStringLiteral("%1: ttl=%2 not carried over: not a whole number of seconds").arg(m.url, value));
                    }
                } else if (key == u"disablereuse") {
                    if (value.compare(QStringLiteral("on"), Qt::CaseInsensitive) == 0) {
                        noReuse << m.url;
                        noReuseLine = m.line;
                    }
                } else if (key == u"max" || key == u"smax" || key == u"min") {
                    note(m.line, QStringLiteral("%1: %2 not carried over: it sizes httpd's connection pool per child process; Fulcrum keeps proxy.max_idle_per_server "
                                                "idle connections per worker and limits concurrent requests with max_connections").arg(m.url, param));
                } else if (key.startsWith(u"hc")) {
                    note(m.line, QStringLiteral("%1: %2 not carried over: mod_proxy_hcheck checks each member; Fulcrum checks per pool (pools[].health_check)").arg(m.url, param));
                } else {
                    note(m.line, QStringLiteral("%1: parameter \"%2\" not carried over (no Fulcrum equivalent)").arg(m.url, param));
                }
            }
            if (names.contains(s.name)) {
                note(m.line, QStringLiteral("%1: a second member at %2 not carried over: Fulcrum names servers by address, and one name may appear once in a pool").arg(m.url, s.name));
                continue;
            }
            names.insert(s.name);
            ++timeouts.of;
            ++connects.of;
            ++ttls.of;
            loadFactors.push_back(loadFactor);
            tiers.push_back({lbset, tier});
            pool.servers.push_back(std::move(s));
        }
        if (pool.servers.empty()) {
            note(b.line, QStringLiteral("balancer://%1 has no member that could be carried over; skipped").arg(b.name));
            return;
        }
        setWeights(b, pool, loadFactors);
        if (timeouts.members > 0)
            m_memberTimeouts.insert(pool.name, timeouts);
        if (connects.members > 0)
            carryConnectTimeout(pool, connects);
        if (ttls.members > 0)
            carryKeepaliveTimeout(pool, ttls);
        if (!noReuse.isEmpty()) {
            pool.options.maxIdlePerServer = 0;
            note(noReuseLine, QStringLiteral("balancer://%1: disablereuse=On: pools[\"%1\"].max_idle_per_server = 0 (a new connection per request)%2")
                                  .arg(pool.name, noReuse.size() < int(pool.servers.size())
                                                      ? QStringLiteral("; for every member, not only %1, since Fulcrum has one setting per pool").arg(noReuse.join(QStringLiteral(", ")))
                                                      : QString()));
        }
        setBackups(b, pool, tiers);
        if (drains && pool.options.algorithm == Algorithm::ConsistentHash)
            note(b.line, QStringLiteral("balancer://%1: a draining member (+N) still takes the requests whose session names its route in httpd; Fulcrum sends it no new request").arg(b.name));
        note(b.line, QStringLiteral("balancer://%1: httpd takes a member out after a failed connection and retries it after retry= (60 s); Fulcrum ejects after %2 consecutive failures "
                                    "(5xx count too), for %3 s doubling up to %4 s, and adds active health checks (GET /health every 2 s): check the path")
                         .arg(b.name).arg(pool.outlier.consecutiveFailures).arg(double(pool.outlier.baseEjectionMs) / 1000.0).arg(double(pool.outlier.maxEjectionMs) / 1000.0));
        m_result.config.pools.push_back(std::move(pool));
    }

    // The members' connectiontimeout= as the pool's connect_timeout: the largest, since Fulcrum
    // has one per pool. A member without one waited httpd's Timeout to connect, which Fulcrum does
    // not carry for any pool (its 3 s moves to the next server sooner).
    void carryConnectTimeout(PoolConfig &pool, const MemberTimeouts &t)
    {
        const qint64 ms = std::min<qint64>(t.largestMs, 600'000);
        pool.options.connectTimeoutMs = ms;
        note(t.line, QStringLiteral("balancer://%1: connectiontimeout=%2: pools[\"%1\"].connect_timeout = %3%4%5%6")
                         .arg(pool.name, formatDurationMs(t.largestMs), formatDurationMs(ms), t.largestMs > ms ? QStringLiteral(" (Fulcrum's limit)") : QString(),
                              t.differ ? QStringLiteral("; the largest of its members', since Fulcrum has one per pool") : QString(),
                              t.members < t.of ? QStringLiteral("; its members without connectiontimeout= get it too (httpd gave them its Timeout)") : QString()));
    }

    // The members' ttl= as the pool's keepalive_timeout: the smallest, so that no member's
    // connection is kept unused longer than its ttl (a firewall or the member may drop it then).
    void carryKeepaliveTimeout(PoolConfig &pool, const MemberTimeouts &t)
    {
        const qint64 ms = std::min<qint64>(t.smallestMs, 3'600'000);
        pool.options.keepaliveTimeoutMs = ms;
        note(t.smallestLine, QStringLiteral("balancer://%1: ttl=%2: pools[\"%1\"].keepalive_timeout = %3%4%5%6")
                                 .arg(pool.name, formatDurationMs(t.smallestMs), formatDurationMs(ms), t.smallestMs > ms ? QStringLiteral(" (Fulcrum's limit)") : QString(),
                                      t.differ ? QStringLiteral("; the smallest of its members', since Fulcrum has one per pool") : QString(),
                                      t.members < t.of ? QStringLiteral("; its members without ttl= get it too (httpd kept theirs until the member closed them)") : QString()));
    }

    bool memberAddress(const Member &m, BackendSpec *s)
    {
        const QUrl url(m.url, QUrl::StrictMode);
        const QString scheme = url.scheme().toLower();
        if (!url.isValid() || url.host().isEmpty() || (scheme != u"http" && scheme != u"https")) {
            note(m.line, QStringLiteral("member %1 not carried over: Fulcrum proxies to http://HOST:PORT servers only").arg(m.url));
            return false;
        }
        s->host = url.host();
        s->port = quint16(url.port(scheme == u"https" ? 443 : 80));
        s->name = s->address();
        if (!url.path().isEmpty() && url.path() != u"/")
            note(m.line, QStringLiteral("member %1: path %2 not carried over: Fulcrum forwards the request path unchanged").arg(m.url, url.path()));
        return true;
    }

    // An https:// member: TLS to it, with what mod_ssl's proxy side was told (SSLProxy* of the
    // virtual host that routes to the balancer, else of the main server). httpd does not check
    // a member's certificate chain unless SSLProxyVerify require (its default is none), though it
    // checks its name and expiry; Fulcrum checks all of it or none, so it keeps "none" and says so.
    void carryTlsToMember(const Balancer &b, const Member &m, BackendSpec *s)
    {
        const ApacheNode *host = nullptr;
        for (const Route &r : m_routes) {
            if (r.balancerKey == b.name.toLower()) {
                host = r.virtualHost;
                break;
            }
        }
        const auto path = [&](const ApacheNode *n) { return QDir::cleanPath(m_serverRoot.absoluteFilePath(n->args.first())); };
        s->tls.enabled = true;
        const ApacheNode *verify = hostDirective(host, u"sslproxyverify");
        s->tls.verify = verify && verify->args.first().compare(QStringLiteral("require"), Qt::CaseInsensitive) == 0;
        if (const ApacheNode *ca = hostDirective(host, u"sslproxycacertificatefile"))
            s->tls.caFile = path(ca);
        if (const ApacheNode *machine = hostDirective(host, u"sslproxymachinecertificatefile"))
            s->tls.certFile = s->tls.keyFile = path(machine);   // httpd's file holds the certificate and its key
        if (m_tlsMembersNoted.contains(b.name))
            return;
        m_tlsMembersNoted.insert(b.name);
        const ApacheNode *engine = hostDirective(host, u"sslproxyengine");
        if (!engine || engine->args.first().compare(QStringLiteral("on"), Qt::CaseInsensitive) != 0)
            note(m.line, QStringLiteral("member %1: httpd answers 500 for it without SSLProxyEngine on; Fulcrum speaks TLS to it").arg(m.url));
        if (!s->tls.verify)
            note(m.line, QStringLiteral("balancer://%1: TLS to its https:// members without checking their certificates (httpd checked their name and expiry, "
                                        "not who signed them, with SSLProxyVerify none, its default); to check them, set \"tls\": {\"ca\": \"...\", "
                                        "\"verify\": true} on each server").arg(b.name));
        else
            note(m.line, QStringLiteral("balancer://%1: TLS to its https:// members, their certificates checked against %2")
                             .arg(b.name, s->tls.caFile.isEmpty() ? QStringLiteral("the system's CAs") : s->tls.caFile));
    }

    // status=+H-D...: '+' sets the flags after it, '-' clears them, a bare flag sets it.
    void applyStatus(const Member &m, const QString &value, BackendSpec *s, int *tier)
    {
        bool set = true;
        for (const QChar c : value) {
            if (c == u'+' || c == u'-') {
                set = c == u'+';
                continue;
            }
            const QChar flag = c.toUpper();
            if (!set) {
                if (flag == u'H' || flag == u'R')
                    *tier = 0;
                else if (flag == u'D' || flag == u'S' || flag == u'N')
                    s->state = BackendState::Up;
                continue;
            }
            if (flag == u'H') {
                *tier = 2;
            } else if (flag == u'R') {
                *tier = 1;
                note(m.line, QStringLiteral("%1: status +R (hot spare) became backup: httpd brings in one spare for each unusable member; Fulcrum uses backups only when no other server can take traffic").arg(m.url));
            } else if (flag == u'D' || flag == u'S') {
                s->state = BackendState::Maint;
            } else if (flag == u'N') {
                s->state = BackendState::Drain;
            } else if (flag == u'I') {
                note(m.line, QStringLiteral("%1: status +I (ignore errors) not carried over: Fulcrum's health checks and outlier detection still take the server out").arg(m.url));
            } else if (flag == u'E' || flag == u'C') {
                note(m.line, QStringLiteral("%1: status +%2 (%3) not carried over: in Fulcrum, health checks decide whether a server is down").arg(m.url, QString(flag)).arg(flag == u'E' ? QStringLiteral("in error") : QStringLiteral("health check failed")));
            } else {
                note(m.line, QStringLiteral("%1: status flag \"%2\" is not one httpd knows (D, S, I, H, R, E, N, C); ignored").arg(m.url, QString(c)));
            }
        }
    }

    void applySettings(const Balancer &b, PoolConfig &pool)
    {
        QString method = QStringLiteral("byrequests");
        int methodLine = b.line;
        QString sticky;
        int stickyLine = b.line;
        for (const BalancerSetting &s : b.settings) {
            if (s.key == u"lbmethod") {
                method = s.value.toLower();
                methodLine = s.line;
            } else if (s.key == u"stickysession") {
                sticky = s.value;
                stickyLine = s.line;
            } else if (s.key == u"nofailover") {
                note(s.line, QStringLiteral("%1 nofailover=%2 not carried over: Fulcrum always sends a request elsewhere when its server is out").arg(s.origin, s.value));
            } else if (s.key == u"failonstatus" || s.key == u"failontimeout") {
                note(s.line, QStringLiteral("%1 %2=%3 not carried over: Fulcrum's outlier detection counts connect failures, resets and every 5xx").arg(s.origin, s.key, s.value));
            } else {
                note(s.line, QStringLiteral("%1 %2=%3 for balancer://%4 not carried over (no Fulcrum equivalent)").arg(s.origin, s.key, s.value, b.name));
            }
        }
        if (!sticky.isEmpty()) {
            const QString cookie = sticky.section(u'|', 0, 0);
            pool.options.algorithm = Algorithm::ConsistentHash;
            pool.options.hashKey = HashKeySource{HashKeySource::Cookie, cookie};
            note(stickyLine, QStringLiteral("stickysession=%1 became consistent-hash on cookie %2: httpd sends a request to the member whose route= ends the cookie's value, "
                                            "Fulcrum hashes the whole value (Maglev), so a session may continue on another server than the one that made it; "
                                            "requests without the cookie go to a random server (lbmethod=%3 not used)")
                                 .arg(sticky, cookie, method));
            if (sticky.contains(u'|'))
                note(stickyLine, QStringLiteral("stickysession=%1: the URL parameter \"%2\" not carried over: Fulcrum reads the session from the cookie only").arg(sticky, sticky.section(u'|', 1)));
        } else if (method == u"bybusyness") {
            pool.options.algorithm = Algorithm::LeastConnections;
            note(methodLine, QStringLiteral("lbmethod=bybusyness became least-connections: Fulcrum divides in-flight requests by weight; httpd compares them as they are and uses loadfactor only to break ties"));
        } else if (method == u"bytraffic") {
            note(methodLine, QStringLiteral("lbmethod=bytraffic became weighted-round-robin: httpd shares the bytes sent and received in loadfactor proportion, "
                                            "Fulcrum shares requests in that proportion; they agree only while responses are of similar size"));
        } else if (method == u"heartbeat") {
            pool.options.algorithm = Algorithm::LeastConnections;
            note(methodLine, QStringLiteral("lbmethod=heartbeat became least-connections: httpd picks at random weighted by the idle workers each backend reports "
                                            "through mod_heartbeat (and ignores loadfactor and members that send no heartbeat); Fulcrum counts in-flight requests itself and needs no heartbeat"));
        } else if (method != u"byrequests") {
            note(methodLine, QStringLiteral("lbmethod=%1 is not one httpd knows (byrequests, bytraffic, bybusyness, heartbeat); weighted-round-robin used").arg(method));
        }
    }

    // Fulcrum weights are whole numbers: the smallest ones with loadfactor's proportions.
    void setWeights(const Balancer &b, PoolConfig &pool, const std::vector<int> &loadFactors)
    {
        int divisor = 100;
        for (int factor : loadFactors)
            divisor = std::gcd(divisor, factor);
        QStringList factors;
        QStringList weights;
        for (size_t i = 0; i < pool.servers.size(); ++i) {
            pool.servers[i].weight = loadFactors[i] / divisor;
            factors << QString::number(double(loadFactors[i]) / 100.0);
            weights << QString::number(pool.servers[i].weight);
        }
        if (divisor != 100)
            note(b.line, QStringLiteral("balancer://%1: load factors %2 became weights %3 (x %4): Fulcrum weights are whole numbers; the proportions are kept")
                             .arg(b.name, factors.join(QStringLiteral(", ")), weights.join(QStringLiteral(", "))).arg(100 / divisor));
    }

    // httpd tries lbset 0, its hot spares, its hot standbys, then lbset 1 ...; Fulcrum has two
    // tiers, servers and backups. Two tiers in httpd map exactly; more fold into "backup".
    void setBackups(const Balancer &b, PoolConfig &pool, const std::vector<QPair<int, int>> &tiers)
    {
        std::vector<QPair<int, int>> order(tiers);
        std::sort(order.begin(), order.end());
        order.erase(std::unique(order.begin(), order.end()), order.end());
        for (size_t i = 0; i < pool.servers.size(); ++i)
            pool.servers[i].backup = tiers[i] != order.front();
        QSet<int> lbsets;
        for (const auto &t : order)
            lbsets.insert(t.first);
        if (lbsets.size() < 2 && (order.size() < 2 || order.front().second == 0))
            return;
        QStringList names;
        for (const auto &[lbset, tier] : order)
            names << QStringLiteral("lbset %1%2").arg(lbset).arg(tier == 2 ? QStringLiteral(" hot standby") : tier == 1 ? QStringLiteral(" hot spare") : QString());
        if (order.size() == 2)
            note(b.line, QStringLiteral("balancer://%1: %2 became backup: httpd uses them only when no member of %3 is usable, as Fulcrum uses backups").arg(b.name, names[1], names[0]));
        else
            note(b.line, QStringLiteral("balancer://%1: httpd uses its members in %2 tiers (%3), Fulcrum in two: all after %4 became backup and share the traffic when they are used")
                             .arg(b.name).arg(order.size()).arg(names.join(QStringLiteral(", ")), names[0]));
    }

    // Where httpd accepts the requests of a route: its virtual host's addresses, with the host
    // and port a `Listen` gives where the VirtualHost leaves them open; else every Listen.
    // The last `key` directive of a virtual host, else of the main server, as httpd inherits them.
    const ApacheNode *hostDirective(const ApacheNode *virtualHost, QStringView key) const
    {
        for (const ApacheNode *host : {virtualHost, static_cast<const ApacheNode *>(nullptr)}) {
            const ApacheNode *found = nullptr;
            for (const ApacheNode *n : m_hostDirectives.value(host)) {
                if (n->key == key && !n->args.isEmpty())
                    found = n;
            }
            if (found || !host)
                return found;
        }
        return nullptr;
    }

    // A virtual host's ServerName and ServerAliases as route hosts (lower case, without a scheme
    // or port); `unmatched` gets the aliases Fulcrum cannot match ("shop*", "?.example").
    QList<QByteArray> routeHosts(const ApacheNode *virtualHost, QStringList *unmatched) const
    {
        QList<QByteArray> hosts;
        if (!virtualHost)
            return hosts;
        for (const ApacheNode *n : m_hostDirectives.value(virtualHost)) {
            if (n->key != u"servername" && n->key != u"serveralias")
                continue;
            for (const QString &written : n->key == u"servername" ? n->args.mid(0, 1) : n->args) {
                QString name = written.toLower().section(QStringLiteral("://"), -1);
                if (!name.startsWith(u'['))
                    name = name.section(u':', 0, 0);
                if (routeHostProblem(name).isEmpty()) {
                    if (!hosts.contains(name.toLatin1()))
                        hosts << name.toLatin1();
                } else if (!unmatched->contains(written)) {
                    *unmatched << written;
                }
            }
        }
        return hosts;
    }

    // mod_ssl's TLS of a virtual host (or the main server): `SSLEngine on` and its certificate.
    // The key may sit in the certificate's file, as httpd allows; paths are from ServerRoot.
    struct HostTls
    {
        const ApacheNode *engine = nullptr;   // SSLEngine on; nullptr: plain HTTP
        std::optional<ListenerCertificate> certificate;
    };
    HostTls hostTls(const ApacheNode *virtualHost) const
    {
        HostTls tls;
        const ApacheNode *engine = hostDirective(virtualHost, u"sslengine");
        if (!engine || engine->args.first().compare(QStringLiteral("on"), Qt::CaseInsensitive) != 0)
            return tls;
        tls.engine = engine;
        const auto path = [&](const ApacheNode *n) { return QDir::cleanPath(m_serverRoot.absoluteFilePath(n->args.first())); };
        if (const ApacheNode *cert = hostDirective(virtualHost, u"sslcertificatefile")) {
            const ApacheNode *key = hostDirective(virtualHost, u"sslcertificatekeyfile");
            tls.certificate = ListenerCertificate{path(cert), path(key ? key : cert), QString()};
        }
        return tls;
    }

    // What of a TLS virtual host's mod_ssl settings the listener takes (protocols, tickets) and
    // what it cannot (said once per host).
    // `decides`: this host's settings are the listener's (the first TLS host on its address);
    // otherwise they are worked out only to be compared with the listener's.
    // mod_headers' `Header [always] set|add|append Strict-Transport-Security "VALUE"`: the value,
    // else empty.
    static QString hstsValue(const ApacheNode &n)
    {
        if (n.key != u"header")
            return {};
        const qsizetype name = n.args.indexOf(QRegularExpression(QStringLiteral("^strict-transport-security:?$"), QRegularExpression::CaseInsensitiveOption));
        if (name < 1 || name + 1 >= n.args.size())
            return {};
        const QString action = n.args[name - 1].toLower();
        return action == u"set" || action == u"add" || action == u"append" ? n.args[name + 1].trimmed() : QString();
    }

    // The Strict-Transport-Security a virtual host (else the main server) adds.
    const ApacheNode *hstsHeader(const ApacheNode *virtualHost) const
    {
        for (const ApacheNode *host : {virtualHost, static_cast<const ApacheNode *>(nullptr)}) {
            for (const ApacheNode *n : m_hostDirectives.value(host)) {
                if (!hstsValue(*n).isEmpty())
                    return n;
            }
            if (!host)
                break;
        }
        return nullptr;
    }

    void carryTlsSettings(const ApacheNode *virtualHost, const HostTls &tls, ListenerTlsConfig &listener, bool decides)
    {
        if (const ApacheNode *hsts = hstsHeader(virtualHost); hsts && isHstsValue(hstsValue(*hsts)))
            listener.hsts = hstsValue(*hsts);
        if (const ApacheNode *protocols = hostDirective(virtualHost, u"sslprotocol")) {
            // httpd's syntax: "all", "+X", "-X", "X"; a bare name or "all" without a sign starts over.
            const QStringList known{QStringLiteral("sslv3"), QStringLiteral("tlsv1"), QStringLiteral("tlsv1.1"), QStringLiteral("tlsv1.2"), QStringLiteral("tlsv1.3")};
            QSet<QString> on;
            for (const QString &arg : protocols->args) {
                const QChar sign = arg.startsWith(u'+') || arg.startsWith(u'-') ? arg[0] : QChar();
                const QString name = (sign.isNull() ? arg : arg.mid(1)).toLower();
                const QSet<QString> names = name == u"all" ? QSet<QString>(known.begin(), known.end()) : QSet<QString>{name};
                if (sign.isNull())
                    on.clear();
                if (sign == u'-')
                    on.subtract(names);
                else
                    on.unite(names);
            }
            if (!on.contains(QStringLiteral("tlsv1.2")) && on.contains(QStringLiteral("tlsv1.3")))
                listener.minVersion = 13;
            if (on.contains(QStringLiteral("sslv3")) || on.contains(QStringLiteral("tlsv1")) || on.contains(QStringLiteral("tlsv1.1")))
                note(protocols->line, QStringLiteral("SSLProtocol %1: Fulcrum offers TLS 1.2 and 1.3 only (RFC 8996)").arg(protocols->args.join(u' ')));
        }
        if (const ApacheNode *tickets = hostDirective(virtualHost, u"sslsessiontickets"))
            listener.sessionTickets = tickets->args.first().compare(QStringLiteral("off"), Qt::CaseInsensitive) != 0;
        // httpd offers HTTP/2 only with `Protocols h2 ...` (mod_http2); Fulcrum by default.
        const ApacheNode *protocols = hostDirective(virtualHost, u"protocols");
        const bool h2 = protocols && std::any_of(protocols->args.begin(), protocols->args.end(), [](const QString &p) { return p.compare(QStringLiteral("h2"), Qt::CaseInsensitive) == 0; });
        listener.http2.enabled = h2;
        if (m_tlsNoted.contains(virtualHost))
            return;
        m_tlsNoted.insert(virtualHost);
        note(tls.engine->line, QStringLiteral("SSLEngine on: TLS with %1; the files must exist where fulcrumd runs (it reads them at start)").arg(tls.certificate->certFile));
        if (!listener.http2.enabled && decides)
            note(tls.engine->line, QStringLiteral("SSLEngine on: httpd spoke HTTP/1.1 only here (no Protocols h2), so the listener keeps to it (\"http2\": false); "
                                                  "remove that to offer HTTP/2"));
        if (const ApacheNode *ciphers = hostDirective(virtualHost, u"sslciphersuite"))
            note(ciphers->line, QStringLiteral("SSLCipherSuite %1 not carried over: Fulcrum uses Mozilla's intermediate list; set \"tls\": {\"ciphers\": ...} to keep yours")
                                    .arg(ciphers->args.join(u' ')));
        if (const ApacheNode *chain = hostDirective(virtualHost, u"sslcertificatechainfile"))
            note(chain->line, QStringLiteral("SSLCertificateChainFile %1 not carried over: append it to %2 (leaf first); Fulcrum reads the chain from the certificate's file")
                                  .arg(chain->args.first(), tls.certificate->certFile));
        if (const ApacheNode *stapling = hostDirective(virtualHost, u"sslusestapling"); stapling && stapling->args.first().compare(QStringLiteral("on"), Qt::CaseInsensitive) == 0)
            note(stapling->line, QStringLiteral("SSLUseStapling on not carried over: Fulcrum staples a response file it is given (\"ocsp_response\"), it does not fetch one"));
    }

    static QString tlsSettingsText(const ListenerTlsConfig &t)
    {
        return QStringLiteral("%1, session tickets %2, HTTP/2 %3")
            .arg(t.minVersion == 13 ? QStringLiteral("TLS 1.3 only") : QStringLiteral("TLS 1.2 and 1.3"), t.sessionTickets ? QStringLiteral("on") : QStringLiteral("off"),
                 t.http2.enabled ? QStringLiteral("on") : QStringLiteral("off"));
    }

    // How long httpd waited for a pool's members, as the pool's response_timeout where it is not
    // proxy.response_timeout (the largest of all): a member's timeout=, else the ProxyTimeout
    // (else Timeout) of the virtual hosts that route to its balancer. Fulcrum has it per pool, not
    // per server: the largest of the members'.
    void carryPoolTimeouts()
    {
        const qint64 proxyMs = m_result.config.proxy.responseTimeoutMs;
        for (PoolConfig &pool : m_result.config.pools) {
            // The virtual hosts' wait: the largest of those routing to this balancer.
            const auto [hostMs, hostAt] = largestOfPoolHosts(m_hostTimeout, pool.name, [](qint64 ms) { return ms; }).value_or(HostValue{-1, nullptr});
            const auto members = m_memberTimeouts.constFind(pool.name);
            if (members == m_memberTimeouts.cend()) {
                if (hostMs <= 0 || hostMs >= proxyMs)
                    continue;   // the largest of all, or no listener: the proxy's
                pool.options.responseTimeoutMs = hostMs;
                const QString what = hostAt ? QStringLiteral("%1 %2").arg(hostAt->name, hostAt->args.first())
                                            : QStringLiteral("Timeout (httpd's default, 60 s)");
                note(hostAt ? hostAt->line : m_balancers[pool.name.toLower()].line,
                     QStringLiteral("%1: pools[\"%2\"].response_timeout = %3: the virtual hosts that route to balancer://%2 waited less than the largest "
                                    "(proxy.response_timeout, %4)")
                         .arg(what, pool.name, formatDurationMs(hostMs), formatDurationMs(proxyMs)));
                continue;
            }
            const MemberTimeouts &t = *members;
            const QString &name = pool.name;
            const bool someWithout = t.members < t.of;
            const qint64 othersMs = hostMs > 0 ? hostMs : proxyMs;   // what members without timeout= waited
            const qint64 wanted = someWithout ? std::max(t.largestMs, othersMs) : t.largestMs;
            const qint64 ms = std::min<qint64>(wanted, 3'600'000);
            const QString why = t.differ ? QStringLiteral("; the largest of its members' timeout=, since Fulcrum has one per pool") : QString();
            const QString without = someWithout ? QStringLiteral("; members without timeout= waited ProxyTimeout (%1)").arg(formatDurationMs(othersMs)) : QString();
            if (ms == proxyMs) {
                note(t.line, QStringLiteral("balancer://%1: timeout=%2: the same as proxy.response_timeout, so pool \"%1\" takes that%3%4")
                                 .arg(name, formatDurationMs(t.largestMs), why, without));
                continue;
            }
            pool.options.responseTimeoutMs = ms;
            note(t.line, QStringLiteral("balancer://%1: timeout=%2: pools[\"%1\"].response_timeout (how long a server may take to start answering) = %3%4%5%6; "
                                        "httpd's timeout= bounds every wait for the member's data, Fulcrum's the wait for its answer to begin")
                             .arg(name, formatDurationMs(t.largestMs), formatDurationMs(ms), wanted > ms ? QStringLiteral(" (Fulcrum's limit)") : QString(), why, without));
        }
    }

    // A value per virtual host (a limit, and the directive it came from: nullptr for httpd's default).
    using HostValue = std::pair<qint64, const ApacheNode *>;
    using HostValues = QHash<const ApacheNode *, HostValue>;

    // The largest of `values` over the virtual hosts that route to `pool`, as `rank` orders them
    // (LimitRequestBody's 0, no limit, is above all); nullopt where none of them has one.
    template <typename Rank>
    std::optional<HostValue> largestOfPoolHosts(const HostValues &values, const QString &pool, Rank rank) const
    {
        std::optional<HostValue> largest;
        for (const ApacheNode *host : m_poolHosts.value(pool)) {
            const auto found = values.constFind(host);
            if (found != values.cend() && (!largest || rank(found->first) > rank(largest->first)))
                largest = *found;
        }
        return largest;
    }

    // A pool's own max_body_bytes where the virtual hosts that route to its balancer all allowed
    // less than the largest of all (proxy.max_body_bytes): uploads may take 200 MB while the API's
    // host keeps httpd's limit of 1 MB. Only where some host wrote a LimitRequestBody: with none,
    // Fulcrum's own (no limit) holds everywhere, as for the proxy.
    void carryPoolBodyLimits()
    {
        const bool written = std::any_of(m_hostBody.cbegin(), m_hostBody.cend(), [](const auto &b) { return b.second != nullptr; });
        const qint64 proxyBytes = m_result.config.proxy.maxBodyBytes;
        const auto rank = [](qint64 bytes) { return bytes == 0 ? std::numeric_limits<qint64>::max() : bytes; };
        for (PoolConfig &pool : m_result.config.pools) {
            const std::optional<HostValue> largest = largestOfPoolHosts(m_hostBody, pool.name, rank);
            if (!written || !largest || rank(largest->first) >= rank(proxyBytes))
                continue;
            const auto [bytes, at] = *largest;
            pool.options.maxBodyBytes = bytes;
            const QString what = at ? QStringLiteral("LimitRequestBody %1").arg(at->args.first()) : QStringLiteral("LimitRequestBody (httpd's default, 1 GiB)");
            note(at ? at->line : m_balancers[pool.name.toLower()].line,
                 QStringLiteral("%1: pools[\"%2\"].max_body_bytes = %3 bytes: the virtual hosts that route to balancer://%2 allowed less than the largest "
                                "(proxy.max_body_bytes, %4)")
                     .arg(what, pool.name).arg(bytes).arg(proxyBytes == 0 ? QStringLiteral("no limit") : QStringLiteral("%1 bytes").arg(proxyBytes)));
        }
    }

    // httpd's limits on what it proxies, once for every Fulcrum listener: the largest of the
    // virtual hosts that got one. A member may take ProxyTimeout (else Timeout, 60 s by default)
    // to answer. LimitRequestBody (0: none) where one is written, a host without one counting
    // at httpd's default (1 GiB since 2.4.53); with none written, Fulcrum's own (no limit).
    void carryLimits(const QSet<const ApacheNode *> &hosts)
    {
        qint64 timeoutMs = -1;
        const ApacheNode *timeoutAt = nullptr;
        constexpr qint64 kHttpdDefaultBody = qint64(1) << 30;
        std::optional<qint64> body;   // the largest, 0 above all
        const ApacheNode *bodyAt = nullptr;
        bool bodyDefaulted = false;
        for (const ApacheNode *host : hosts) {
            const ApacheNode *t = hostDirective(host, u"proxytimeout");
            if (!t)
                t = hostDirective(host, u"timeout");
            bool ok = true;
            const qint64 ms = t ? t->args.first().toLongLong(&ok) * 1000 : 60'000;
            if (!ok || ms <= 0) {
                note(t->line, QStringLiteral("%1 %2 not carried over: not a number of seconds").arg(t->name, t->args.first()));
            } else {
                m_hostTimeout.insert(host, {ms, t});
                if (ms > timeoutMs) {
                    timeoutMs = ms;
                    timeoutAt = t;
                }
            }
            const ApacheNode *limit = hostDirective(host, u"limitrequestbody");
            ok = true;
            const qint64 bytes = limit ? limit->args.first().toLongLong(&ok) : kHttpdDefaultBody;
            bodyDefaulted = bodyDefaulted || !limit;
            if (!ok || bytes < 0) {
                note(limit->line, QStringLiteral("LimitRequestBody %1 not carried over: not a number of bytes").arg(limit->args.first()));
            } else {
                m_hostBody.insert(host, {bytes, limit});
                if (limit && (!body || (*body != 0 && (bytes == 0 || bytes > *body)))) {
                    body = bytes;
                    bodyAt = limit;
                }
            }
        }
        if (body && bodyDefaulted && *body != 0 && *body < kHttpdDefaultBody) {
            body = kHttpdDefaultBody;   // a host without LimitRequestBody took httpd's 1 GiB
            bodyAt = nullptr;
        }
        if (timeoutMs > 0) {
            m_result.config.proxy.responseTimeoutMs = std::min<qint64>(timeoutMs, 3'600'000);
            const QString shown = formatDurationMs(m_result.config.proxy.responseTimeoutMs) + (timeoutMs > 3'600'000 ? QStringLiteral(" (Fulcrum's limit)") : QString());
            if (timeoutAt)
                note(timeoutAt->line, QStringLiteral("%1 %2: proxy.response_timeout (how long a server may take to start answering) = %3%4")
                                          .arg(timeoutAt->name, timeoutAt->args.first(), shown,
                                               hosts.size() > 1 ? QStringLiteral("; the largest of the imported virtual hosts', since Fulcrum has one for every listener") : QString()));
            else
                m_notes.push_back({INT_MAX, QStringLiteral("%1: Timeout (httpd's default, 60 s, where neither ProxyTimeout nor Timeout is set): proxy.response_timeout "
                                                           "(how long a server may take to start answering) = %2").arg(m_file, shown)});
        }
        if (body) {
            m_result.config.proxy.maxBodyBytes = *body;
            const QString shown = *body == 0 ? QStringLiteral("no limit") : QStringLiteral("%1 bytes").arg(*body);
            if (bodyAt)
                note(bodyAt->line, QStringLiteral("LimitRequestBody %1: proxy.max_body_bytes (a larger request body gets 413) = %2").arg(bodyAt->args.first(), shown));
            else
                m_notes.push_back({INT_MAX, QStringLiteral("%1: LimitRequestBody (httpd's default, 1 GiB, in a virtual host without one): proxy.max_body_bytes "
                                                           "(a larger request body gets 413) = %2; the largest of the imported virtual hosts'").arg(m_file, shown)});
        }
    }

    // A note on what a directive (or httpd's default where `at` is null) became.
    void noteCarried(const ApacheNode *at, const QString &byDefault, const QString &what)
    {
        if (at)
            note(at->line, QStringLiteral("%1 %2: %3").arg(at->name, at->args.join(u' '), what));
        else
            m_notes.push_back({INT_MAX, QStringLiteral("%1: %2: %3").arg(m_file, byDefault, what)});
    }

    // httpd's KeepAliveTimeout: seconds, or milliseconds with "ms".
    static std::optional<qint64> keepAliveTimeoutMs(const QString &text)
    {
        const bool ms = text.endsWith(QStringLiteral("ms"), Qt::CaseInsensitive);
        bool ok = false;
        const qint64 n = (ms ? text.chopped(2) : text).toLongLong(&ok);
        return ok && n >= 0 ? std::optional<qint64>(ms ? n : n * 1000) : std::nullopt;
    }

    // httpd's client side, once for every Fulcrum listener: the largest of the virtual hosts'.
    // KeepAlive (On) and KeepAliveTimeout (5 s) → proxy.idle_timeout, MaxKeepAliveRequests (100;
    // 0: none) → proxy.client_keepalive_requests; KeepAlive Off in every host → one request per
    // connection. LimitRequestFieldSize (8190 bytes a line) where it is raised → proxy.max_header_bytes.
    void carryClientSide(const QSet<const ApacheNode *> &hosts)
    {
        ProxyConfig &proxy = m_result.config.proxy;
        const ApacheNode *idleAt = nullptr;
        const ApacheNode *requestsAt = nullptr;
        std::optional<qint64> idleMs;
        std::optional<qint64> requests;   // 0: no limit, the largest of all
        std::vector<const ApacheNode *> off;
        const ApacheNode *fieldAt = nullptr;
        qint64 fieldBytes = 8190;
        QSet<const ApacheNode *> refused;
        for (const ApacheNode *host : hosts) {
            const ApacheNode *keepAlive = hostDirective(host, u"keepalive");
            if (keepAlive && keepAlive->args.first().compare(QStringLiteral("off"), Qt::CaseInsensitive) == 0) {
                if (std::find(off.begin(), off.end(), keepAlive) == off.end())
                    off.push_back(keepAlive);
            } else {
                const ApacheNode *t = hostDirective(host, u"keepalivetimeout");
                const std::optional<qint64> ms = t ? keepAliveTimeoutMs(t->args.first()) : std::optional<qint64>(5000);
                if (!ms && !refused.contains(t)) {
                    note(t->line, QStringLiteral("KeepAliveTimeout %1 not carried over: not a number of seconds (or of milliseconds with \"ms\")").arg(t->args.first()));
                    refused.insert(t);
                } else if (ms && (!idleMs || *ms > *idleMs)) {
                    idleMs = ms;
                    idleAt = t;
                }
                const ApacheNode *r = hostDirective(host, u"maxkeepaliverequests");
                bool ok = true;
                const qint64 n = r ? r->args.first().toLongLong(&ok) : 100;
                if ((!ok || n < 0) && !refused.contains(r)) {
                    note(r->line, QStringLiteral("MaxKeepAliveRequests %1 not carried over: not a number").arg(r->args.first()));
                    refused.insert(r);
                } else if (ok && n >= 0 && (!requests || (*requests != 0 && (n == 0 || n > *requests)))) {
                    requests = n;
                    requestsAt = r;
                }
            }
            const ApacheNode *field = hostDirective(host, u"limitrequestfieldsize");
            bool ok = true;
            const qint64 bytes = field ? field->args.first().toLongLong(&ok) : 8190;
            if ((!ok || bytes <= 0) && !refused.contains(field)) {
                note(field->line, QStringLiteral("LimitRequestFieldSize %1 not carried over: not a number of bytes").arg(field->args.first()));
                refused.insert(field);
            } else if (ok && bytes > fieldBytes) {
                fieldBytes = bytes;
                fieldAt = field;
            }
        }
        const QString ofAll = hosts.size() > 1 ? QStringLiteral("; the largest of the imported virtual hosts', since Fulcrum has one for every listener") : QString();
        if (!idleMs && !off.empty()) {
            // httpd kept no client connection: each answer is its connection's last.
            proxy.clientKeepaliveRequests = 1;
            note(off.front()->line, QStringLiteral("KeepAlive Off: httpd kept no client connection alive; proxy.client_keepalive_requests = 1 "
                                                   "(every answer says \"Connection: close\")"));
        } else if (idleMs) {
            for (const ApacheNode *o : off)
                note(o->line, QStringLiteral("KeepAlive Off not carried over for this virtual host: Fulcrum's idle_timeout is proxy-wide, so its clients are "
                                             "kept alive too (set proxy.client_keepalive_requests to 1 to end every connection after one answer)"));
            const qint64 ms = std::clamp<qint64>(*idleMs, 1, 3'600'000);
            if (ms != proxy.idleTimeoutMs) {
                // idle_timeout is also the server keep-alive of a pool without one (no ttl=).
                QStringList pinned;
                for (PoolConfig &pool : m_result.config.pools) {
                    if (pool.options.keepaliveTimeoutMs == 0 && pool.options.maxIdlePerServer != 0) {
                        pool.options.keepaliveTimeoutMs = proxy.idleTimeoutMs;
                        pinned << QStringLiteral("pools[\"%1\"]").arg(pool.name);
                    }
                }
                if (!pinned.isEmpty())
                    m_notes.push_back({INT_MAX, QStringLiteral("%1: %2.keepalive_timeout = %3 (the members have no ttl=; Fulcrum's default for server connections, "
                                                               "which proxy.idle_timeout would otherwise set)")
                                                    .arg(m_file, pinned.join(QStringLiteral(", ")), formatDurationMs(proxy.idleTimeoutMs))});
            }
            proxy.idleTimeoutMs = ms;
            noteCarried(idleAt, QStringLiteral("KeepAliveTimeout (httpd's default, 5 s)"),
                        QStringLiteral("proxy.idle_timeout = %1 (how long a client connection may wait for its next request)%2%3")
                            .arg(formatDurationMs(ms), ms != *idleMs ? QStringLiteral(" (Fulcrum's limit)") : QString(), ofAll));
        }
        if (requests) {
            const qint64 n = std::min<qint64>(*requests, 1'000'000'000);
            proxy.clientKeepaliveRequests = n;
            noteCarried(requestsAt, QStringLiteral("MaxKeepAliveRequests (httpd's default, 100)"),
                        QStringLiteral("proxy.client_keepalive_requests = %1%2%3")
                            .arg(n == 0 ? QStringLiteral("0 (no limit)") : QStringLiteral("%1 (a client connection's request of that number is its last)").arg(n),
                                 n != *requests ? QStringLiteral(" (Fulcrum's limit)") : QString(), ofAll));
        }
        // httpd took up to LimitRequestFields (100) lines of LimitRequestFieldSize each; Fulcrum
        // bounds the head as a whole. A raised line size (big cookies, Kerberos tokens) gets room
        // for one such line beside 8 KiB of the rest.
        if (fieldAt) {
            proxy.maxHeaderBytes = std::clamp<qint64>(fieldBytes + 8192, proxy.maxHeaderBytes, 1024 * 1024);
            note(fieldAt->line, QStringLiteral("LimitRequestFieldSize %1: proxy.max_header_bytes = %2 (one such line and 8 KiB for the rest; a bigger request head "
                                               "gets 431; httpd limited each line, Fulcrum the head as a whole)%3")
                                    .arg(fieldAt->args.first()).arg(proxy.maxHeaderBytes)
                                    .arg(fieldBytes + 8192 > 1024 * 1024 ? QStringLiteral(" (Fulcrum's limit)") : QString()));
        } else {
            m_notes.push_back({INT_MAX, QStringLiteral("%1: LimitRequestFieldSize (httpd's default, 8190 bytes a line, up to 100 lines): proxy.max_header_bytes "
                                                       "stays %2 for the head as a whole; raise it if clients send bigger heads (they get 431)")
                                            .arg(m_file).arg(proxy.maxHeaderBytes)});
        }
    }

    // The redirect of a port-80 virtual host whose only work is sending clients to HTTPS:
    // `Redirect [permanent|301|302|307|308] / https://HOST/`, or mod_rewrite's
    // `RewriteRule ^/?(.*)$ https://%{HTTP_HOST}/$1 [R=301,L]` (any pattern matching every path).
    // Null, with the status, when it does something else.
    const ApacheNode *redirectToHttps(const ApacheNode *host, int *status) const
    {
        const ApacheNode *found = nullptr;
        for (const ApacheNode *n : m_hostDirectives.value(host)) {
            if (n->key == u"redirect" || n->key == u"redirectpermanent" || n->key == u"redirecttemp") {
                QStringList args = n->args;
                int code = n->key == u"redirectpermanent" ? 301 : 302;
                if (n->key == u"redirect" && args.size() == 3) {
                    const QString kind = args.takeFirst().toLower();
                    code = kind == u"permanent" ? 301 : kind == u"temp" ? 302 : kind == u"seeother" ? 303 : kind.toInt();
                }
                static const QRegularExpression https(QStringLiteral("^https://[A-Za-z0-9.-]+(:\\d+)?/?$"));
                if (args.size() == 2 && args[0] == u"/" && https.match(args[1]).hasMatch() && (code == 301 || code == 302 || code == 307 || code == 308)) {
                    found = n;
                    *status = code;
                }
            } else if (n->key == u"rewriterule" && n->args.size() == 3) {
                static const QRegularExpression https(QStringLiteral("^https://%\\{(HTTP_HOST|SERVER_NAME)\\}(/?\\$\\d|%\\{REQUEST_URI\\})$"));
                static const QRegularExpression flag(QStringLiteral("(^|[\\[,])R=(30[1278])([],]|$)"));
                const QRegularExpressionMatch r = flag.match(n->args[2]);
                if (https.match(n->args[1]).hasMatch() && r.hasMatch() && (n->args[0] == u"^/?(.*)$" || n->args[0] == u"^(.*)$" || n->args[0] == u"^"
                                                                             || n->args[0] == u"(.*)" || n->args[0] == u".*")) {
                    found = n;
                    *status = r.captured(2).toInt();
                }
            }
        }
        return found;
    }

    // A virtual host that only redirects to HTTPS becomes a redirect listener per address to
    // the imported TLS listener (the one on 443, else the first).
    bool carryRedirectToHttps(const ApacheNode *host)
    {
        int status = 301;
        const ApacheNode *redirect = redirectToHttps(host, &status);
        if (!redirect)
            return false;
        const ListenerConfig *target = redirectTarget(m_result.config);
        const QString written = QStringLiteral("%1 %2").arg(redirect->name, redirect->args.join(u' '));
        if (!target) {
            note(redirect->line, QStringLiteral("%1 not carried over: no TLS listener was imported to send these clients to; add one, then a listener "
                                                "{\"listen\": \"0.0.0.0:80\", \"redirect\": {\"to\": \"NAME\"}}").arg(written));
            return true;
        }
        const QString to = target->name;
        const QString pool = target->pool;
        Route route;
        route.virtualHost = host;
        for (const ListenAddress &a : addressesOf(route)) {
            ListenerConfig l;
            l.host = a.host.isEmpty() ? QStringLiteral("0.0.0.0") : a.host;
            l.port = a.port;
            l.name = freeListenerName(m_result.config, QStringLiteral("redirect-%1").arg(a.port));
            l.pool = pool;
            l.redirect.to = to;
            l.redirect.status = status;
            m_result.config.listeners.push_back(l);
            const QString fixed = redirect->key == u"rewriterule" ? QString() : redirect->args.last().section(QStringLiteral("://"), 1).section(u'/', 0, 0);
            note(redirect->line, QStringLiteral("%1: listener \"%2\" (%3) redirects every request to https on listener \"%4\", with the client's Host%5")
                                     .arg(written, l.name, hostPort(l.host, l.port), to,
                                          fixed.isEmpty() ? QString()
                                                          : QStringLiteral(" and path (httpd sent every client to %1; Fulcrum keeps the Host each asked for)").arg(fixed)));
        }
        for (const ApacheNode *n : m_hostDirectives.value(host)) {
            if (n == redirect || n->key == u"servername" || n->key == u"serveralias" || n->key == u"rewriteengine")
                continue;
            // On a plain port, HTTPS is always off: such a condition holds for every request.
            if (n->key == u"rewritecond" && n->args.size() >= 2 && n->args[0].compare(QStringLiteral("%{HTTPS}"), Qt::CaseInsensitive) == 0
                && (n->args[1].compare(QStringLiteral("off"), Qt::CaseInsensitive) == 0 || n->args[1].compare(QStringLiteral("!=on"), Qt::CaseInsensitive) == 0))
                continue;
            if (n->key == u"rewritecond") {
                note(n->line, QStringLiteral("%1 %2 not carried over: the listener redirects every request, whatever the condition").arg(n->name, n->args.join(u' ')));
                continue;
            }
            if (const QString why = whyNotCarried(*n); !why.isEmpty())
                note(n->line, QStringLiteral("%1 %2 not carried over: %3").arg(n->name, n->args.join(u' '), why));
        }
        return true;
    }

    std::vector<ListenAddress> addressesOf(const Route &route)
    {
        if (!route.virtualHost)
            return m_listens;
        std::vector<ListenAddress> out;
        for (const QString &text : route.virtualHost->args) {
            ListenAddress a;
            a.line = route.virtualHost->line;
            if (!splitAddress(text, &a.host, &a.port)) {
                note(a.line, QStringLiteral("<VirtualHost %1> not carried over: not HOST:PORT").arg(text));
                continue;
            }
            bool matched = false;
            for (const ListenAddress &l : m_listens) {
                if ((a.port == 0 || a.port == l.port) && (a.host.isEmpty() || l.host.isEmpty() || a.host == l.host)) {
                    out.push_back(ListenAddress{a.host.isEmpty() ? l.host : a.host, l.port, l.tls, a.line});
                    matched = true;
                }
            }
            if (!matched && a.port != 0)
                out.push_back(a);
            else if (!matched)
                note(a.line, QStringLiteral("<VirtualHost %1> not carried over: it names no port and no Listen gives one").arg(text));
        }
        return out;
    }

    void makeListeners()
    {
        // The catch-all "/" routes first: a listener takes every path, so it goes to the pool that gets most of them.
        std::stable_sort(m_routes.begin(), m_routes.end(), [](const Route &a, const Route &b) { return a.path == u"/" && b.path != u"/"; });
        QMap<QString, QString> poolAt; // "host:port" -> pool
        QMap<QString, const ApacheNode *> hostAt; // "host:port" -> the virtual host whose listener it is
        QMap<QString, QSet<QByteArray>> defaultNames; // "host:port" -> that virtual host's names
        QSet<const ApacheNode *> hostRouted; // virtual hosts that became routes by host of another's listener
        QSet<const ApacheNode *> hostsWithListeners;
        for (const Route &route : m_routes) {
            bool routed = false;   // taken as a route of a listener made for another path of its host
            const Balancer &b = m_balancers[route.balancerKey];
            if (!m_result.config.pool(b.name)) {
                note(route.line, QStringLiteral("ProxyPass %1 balancer://%2 not carried over: the balancer was not imported").arg(route.path, b.name));
                continue;
            }
            const std::vector<ListenAddress> addresses = addressesOf(route);
            if (addresses.empty())
                note(route.line, QStringLiteral("ProxyPass %1 balancer://%2 not carried over: no Listen or <VirtualHost HOST:PORT> says where httpd accepts it").arg(route.path, b.name));
            bool listens = false;
            for (const ListenAddress &a : addresses) {
                const QString host = a.host.isEmpty() ? QStringLiteral("0.0.0.0") : a.host;
                if (QHostAddress(host).isNull()) {
                    note(a.line, QStringLiteral("address %1 not carried over: Fulcrum listens on IP addresses, not host names").arg(hostPort(host, a.port)));
                    continue;
                }
                const QString listen = hostPort(host, a.port);
                const HostTls tls = hostTls(route.virtualHost);
                if (tls.engine && !tls.certificate && !m_tlsNoted.contains(route.virtualHost)) {
                    m_tlsNoted.insert(route.virtualHost);
                    note(tls.engine->line, QStringLiteral("SSLEngine on: no SSLCertificateFile in its <VirtualHost> or the main server; the listener is plain HTTP: "
                                                          "add \"tls\" by hand"));
                }
                if (poolAt.contains(listen)) {
                    // Several TLS virtual hosts on one address: one listener, its certificates
                    // picked by SNI as httpd picks by ServerName.
                    const auto same = std::find_if(m_result.config.listeners.begin(), m_result.config.listeners.end(),
                                                   [&](const ListenerConfig &o) { return hostPort(o.host, o.port) == listen; });
                    if (tls.certificate && same != m_result.config.listeners.end()) {
                        if (!same->tls.enabled()) {
                            note(tls.engine->line, QStringLiteral("SSLEngine on for %1, where another virtual host is plain HTTP; kept plain").arg(listen));
                        } else if (std::find(same->tls.certificates.begin(), same->tls.certificates.end(), *tls.certificate) == same->tls.certificates.end()) {
                            same->tls.certificates.push_back(*tls.certificate);
                            // httpd (2.4.42+, OpenSSL 1.1.1+) applies each name's own protocols
                            // after SNI; a Fulcrum listener has one setting for all its names.
                            ListenerTlsConfig own;
                            carryTlsSettings(route.virtualHost, tls, own, false);
                            const ApacheNode *first = m_tlsHostAt.value(listen);
                            if (tlsSettingsText(own) != tlsSettingsText(same->tls) && first)
                                note(route.virtualHost->line, QStringLiteral("<VirtualHost %1> asks for %2; the listener on %3 keeps %4, as the first TLS virtual host there "
                                                                             "(%5) asks: a Fulcrum listener has one TLS setting for all its certificates; "
                                                                             "give this host a listener of its own to keep its settings")
                                                                  .arg(route.virtualHost->args.join(u' '), tlsSettingsText(own), listen, tlsSettingsText(same->tls), where(first->line)));
                        }
                    }
                    // Another virtual host on this address (name-based): routes by its names
                    // to its balancers, each path of it as its own route, "/" every path.
                    const bool otherHost = route.virtualHost != hostAt.value(listen);
                    QStringList unmatched;
                    const QList<QByteArray> names = otherHost ? routeHosts(route.virtualHost, &unmatched) : QList<QByteArray>();
                    if (!otherHost && poolAt[listen] == b.name) {
                        // The listener's own balancer under another path that httpd rewrote
                        // (ProxyPass /api/ balancer://web/v1/ beside ProxyPass / balancer://web/):
                        // a route of its own that rewrites it alike.
                        const QByteArray rewrite = routeRewriteOf(route);
                        if (!rewrite.isEmpty() && same != m_result.config.listeners.end()
                            && std::none_of(same->routes.begin(), same->routes.end(), [&](const ListenerRoute &r) { return r.prefix == route.path.toLatin1() && r.host.isEmpty(); })) {
                            same->routes.push_back({route.path.toLatin1(), b.name, {}, rewrite});
                            note(route.line, QStringLiteral("ProxyPass %1 balancer://%2%3: route %1 to pool \"%2\" on %4 with \"prefix_rewrite\": \"%5\" (the servers "
                                                            "get %5 in place of %1, as from httpd)")
                                                 .arg(route.path, b.name, route.targetPath, listen, QString::fromLatin1(rewrite)));
                            routed = true;
                        }
                        listens = true;
                        continue;
                    }
                    QString whyNot;
                    if (otherHost && names.isEmpty())
                        whyNot = QStringLiteral("it is another virtual host's address, and this one has no ServerName or ServerAlias Fulcrum can route by");
                    else if (route.pathIsRegex)
                        whyNot = QStringLiteral("Fulcrum routes by path prefix only, and %1 is a pattern").arg(route.path);
                    else if (const QString problem = otherHost && route.path == u"/" ? QString() : pathPrefixProblem(route.path, QStringLiteral("the listener's own"));
                             !problem.isEmpty())
                        whyNot = QStringLiteral("as a path prefix, \"%1\" %2").arg(route.path, problem);
                    if (!whyNot.isEmpty() || same == m_result.config.listeners.end()) {
                        note(route.line, QStringLiteral("%1 %2 balancer://%3 not carried over for %4: %5, so the listener sends these requests to pool \"%6\"; "
                                                        "give pool \"%3\" a listener of its own")
                                             .arg(route.pathIsRegex ? QStringLiteral("path pattern") : QStringLiteral("ProxyPass"), route.path, b.name, listen, whyNot,
                                                  poolAt[listen]));
                        continue;
                    }
                    if (otherHost) {
                        QStringList added;
                        const QByteArray prefix = route.path == u"/" ? QByteArray() : route.path.toLatin1();
                        const QByteArray rewrite = prefix.isEmpty() ? QByteArray() : prefixRewriteOf(route).value_or(QByteArray());
                        for (const QByteArray &name : names) {
                            if (defaultNames.value(listen).contains(name)) {
                                if (route.path == u"/")
                                    note(route.virtualHost->line, QStringLiteral("<VirtualHost %1>: %2 is also the first virtual host's name on %3; httpd used the "
                                                                                 "first, and so does Fulcrum").arg(route.virtualHost->args.join(u' '), QString::fromLatin1(name), listen));
                                continue;
                            }
                            if (std::none_of(same->routes.begin(), same->routes.end(), [&](const ListenerRoute &r) { return r.prefix == prefix && r.host == name; })) {
                                same->routes.push_back({prefix, b.name, name, rewrite});
                                added << QString::fromLatin1(name);
                            }
                        }
                        if (!unmatched.isEmpty() && route.path == u"/")
                            note(route.virtualHost->line, QStringLiteral("<VirtualHost %1>: ServerAlias %2 not routed by: Fulcrum routes by exact names and \"*.name\", "
                                                                         "so requests for them go to the first virtual host's pool \"%3\"")
                                                              .arg(route.virtualHost->args.join(u' '), unmatched.join(u' '), poolAt[listen]));
                        if (!added.isEmpty())
                            note(route.line, QStringLiteral("ProxyPass %1 balancer://%2%3: requests for %4%5 go to pool \"%2\" on %6 (listeners[].routes by host); any "
                                                            "other name goes to the first virtual host's pool \"%7\", as httpd's default for the address")
                                                 .arg(route.path, b.name, route.targetPath, added.join(QStringLiteral(", ")),
                                                      route.path == u"/" ? QString() : QStringLiteral(" under %1").arg(route.path), listen, poolAt[listen]));
                        hostRouted.insert(route.virtualHost);
                        listens = routed = true;
                        continue;
                    }
                    if (std::none_of(same->routes.begin(), same->routes.end(), [&](const ListenerRoute &r) { return r.prefix == route.path.toLatin1() && r.host.isEmpty(); })) {
                        const std::optional<QByteArray> rewrite = prefixRewriteOf(route);
                        same->routes.push_back({route.path.toLatin1(), b.name, {}, rewrite.value_or(QByteArray())});
                        const QString target = route.targetPath.isEmpty() ? QStringLiteral("/") : route.targetPath;
                        const QString sent = target.endsWith(u'/') || !route.path.endsWith(u'/') ? target : target + u'/';
                        note(route.line, QStringLiteral("ProxyPass %1 balancer://%2%3: route %1 to pool \"%2\" on %4 (listeners[].routes; the longest prefix that "
                                                        "matches wins)%5%6")
                                             .arg(route.path, b.name, route.targetPath, listen,
                                                  rewrite && !rewrite->isEmpty()
                                                      ? QStringLiteral(", \"prefix_rewrite\": \"%1\" (the servers get %1 in place of %2, as from httpd)")
                                                            .arg(QString::fromLatin1(*rewrite), route.path)
                                                  : sent != route.path ? QStringLiteral("; httpd sent %1 in place of %2, Fulcrum sends the path as the client did (the "
                                                                                        "slashes of the two do not match, which prefix_rewrite does not copy): the "
                                                                                        "servers must answer under %2").arg(sent, route.path)
                                                                       : QString(),
                                                  route.path.endsWith(u'/') ? QString()
                                                                            : QStringLiteral("; httpd took %1 and %1/…, the prefix %1 takes %1x… too").arg(route.path)));
                    }
                    listens = routed = true;
                    continue;
                }
                ListenerConfig l;
                l.pool = b.name;
                l.host = host;
                l.port = a.port;
                l.name = QStringLiteral("%1-%2").arg(b.name).arg(a.port);
                poolAt[listen] = b.name;
                hostAt[listen] = route.virtualHost;
                {
                    QStringList unmatched;
                    for (const QByteArray &name : routeHosts(route.virtualHost, &unmatched))
                        defaultNames[listen].insert(name);
                }
                listens = true;
                // Made for a path httpd rewrote (ProxyPass /api/ balancer://api/): a route that
                // rewrites it alike; the listener's pool takes the other paths as sent.
                if (const QByteArray rewrite = routeRewriteOf(route); !rewrite.isEmpty())
                    l.routes.push_back({route.path.toLatin1(), b.name, {}, rewrite});
                if (tls.certificate) {
                    l.tls.certificates.push_back(*tls.certificate);
                    carryTlsSettings(route.virtualHost, tls, l.tls, true);
                    m_tlsHostAt.insert(listen, route.virtualHost);
                } else if (a.tls && !tls.engine) {
                    note(a.line, QStringLiteral("Listen %1 https, but no SSLEngine on for it: httpd serves plain HTTP there too; kept plain").arg(listen));
                }
                if (!QHostAddress(host).isLoopback())
                    note(a.line, QStringLiteral("%1: binds %2, not loopback; check that this is wanted").arg(listen, host));
                m_result.config.listeners.push_back(l);
            }
            if (!listens)
                continue;
            hostsWithListeners.insert(route.virtualHost);
            m_poolHosts[b.name].insert(route.virtualHost);
            const QString target = route.targetPath.isEmpty() ? QStringLiteral("/") : route.targetPath;
            if (routed)
                continue;   // said with the route
            if (route.pathIsRegex)
                note(route.line, QStringLiteral("path pattern %1 not carried over: httpd sent only matching requests to balancer://%2; the listener sends every path (Fulcrum listeners do not route by path)").arg(route.path, b.name));
            else if (const QByteArray rewrite = routeRewriteOf(route); !rewrite.isEmpty())
                note(route.line, QStringLiteral("ProxyPass %1 balancer://%2%3: route %1 to pool \"%2\" with \"prefix_rewrite\": \"%4\" (the servers get %4 in place of "
                                                "%1, as from httpd); the listener sends its other paths to pool \"%2\" unchanged, where httpd sent only %1")
                                     .arg(route.path, b.name, route.targetPath, QString::fromLatin1(rewrite)));
            else if (route.path != u"/" || target != u"/")
                note(route.line, QStringLiteral("ProxyPass %1 balancer://%2%3: the listener sends every path to pool \"%2\" unchanged; httpd sent only %1 and rewrote it to %4 "
                                                "(a listener's own pool takes every path no route takes, as it is sent)").arg(route.path, b.name, route.targetPath, target));
        }
        for (const ApacheNode *host : hostsWithListeners) {
            for (const ApacheNode *n : m_hostDirectives.value(host)) {
                static const QSet<QString> carried{QStringLiteral("sslengine"), QStringLiteral("sslcertificatefile"), QStringLiteral("sslcertificatekeyfile"),
                                                   QStringLiteral("sslcertificatechainfile"), QStringLiteral("sslprotocol"), QStringLiteral("sslciphersuite"),
                                                   QStringLiteral("sslsessiontickets"), QStringLiteral("sslusestapling"), QStringLiteral("sslproxyengine"),
                                                   QStringLiteral("sslproxyverify"), QStringLiteral("sslproxycacertificatefile"),
                                                   QStringLiteral("sslproxymachinecertificatefile")};
                if (n->key.startsWith(u"ssl") && !carried.contains(n->key) && host)
                    note(n->line, QStringLiteral("%1 %2 not carried over (no Fulcrum equivalent)").arg(n->name, n->args.join(u' ')));
                else if ((n->key == u"servername" || n->key == u"serveralias") && host && hostRouted.contains(host))
                    note(n->line, QStringLiteral("%1 %2: the listener's routes by host%3").arg(n->name, n->args.join(u' '),
                                                                                           hostTls(host).certificate ? QStringLiteral(", and its certificate picked by that name (SNI)")
                                                                                                                     : QString()));
                else if (n->key == u"servername" || n->key == u"serveralias")
                    note(n->line, QStringLiteral("%1 %2: the first virtual host on its address, so the listener's own pool, which also takes every name no other "
                                                 "virtual host there has (as httpd's default)%3")
                                      .arg(n->name, n->args.join(u' '), host && hostTls(host).certificate ? QStringLiteral("; its certificate picked by that name (SNI)")
                                                                                                          : QString()));
                else if (n->key == u"proxypreservehost" || n->key == u"proxyaddheaders")
                    continue;   // below
                else if (n->key.startsWith(u"proxy") && n->key != u"proxytimeout")
                    note(n->line, QStringLiteral("%1 %2 not carried over (no Fulcrum equivalent)").arg(n->name, n->args.join(u' ')));
                else if (const QString hsts = hstsValue(*n); !hsts.isEmpty() && hostTls(host).certificate)
                    note(n->line, isHstsValue(hsts) ? QStringLiteral("%1 %2: the TLS listener's tls.hsts (on every answer over it, Fulcrum's own too, in place "
                                                                     "of a server's)").arg(n->name, n->args.join(u' '))
                                                    : QStringLiteral("%1 %2 not carried over: not a value Fulcrum sends (max-age=SECONDS; includeSubDomains; "
                                                                     "preload)").arg(n->name, n->args.join(u' ')));
                else if (!hsts.isEmpty())
                    continue;   // over plain HTTP browsers ignore it (RFC 6797 8.1)
                else if (const QString why = whyNotCarried(*n); !why.isEmpty())
                    note(n->line, QStringLiteral("%1 %2 not carried over: %3").arg(n->name, n->args.join(u' '), why));
            }
            // The Host header: httpd sent the member's host:port unless ProxyPreserveHost On;
            // Fulcrum passes the client's, as ProxyPreserveHost On does.
            const ApacheNode *preserve = hostDirective(host, u"proxypreservehost");
            if (!preserve || preserve->args.first().compare(QStringLiteral("on"), Qt::CaseInsensitive) != 0) {
                const QString what = QStringLiteral("httpd sent the member's host:port as Host (ProxyPreserveHost Off%1); Fulcrum passes the client's Host "
                                                    "as it came, as ProxyPreserveHost On does").arg(preserve ? QString() : QStringLiteral(", httpd's default"));
                if (preserve)
                    note(preserve->line, what);
                else if (host)
                    note(host->line, QStringLiteral("<VirtualHost %1>: %2").arg(host->args.join(u' '), what));
                else
                    m_notes.push_back({INT_MAX, QStringLiteral("%1: %2").arg(m_file, what)});
            }
            if (const ApacheNode *add = hostDirective(host, u"proxyaddheaders"); add && add->args.first().compare(QStringLiteral("off"), Qt::CaseInsensitive) == 0)
                note(add->line, QStringLiteral("ProxyAddHeaders Off not carried over: Fulcrum always sends X-Forwarded-For and X-Forwarded-Proto (and Via)"));
        }
        // The main server's, inherited by every virtual host: said once, where they stand.
        if (!hostsWithListeners.isEmpty() && !hostsWithListeners.contains(nullptr)) {
            for (const ApacheNode *n : m_hostDirectives.value(nullptr)) {
                if (!hstsValue(*n).isEmpty())
                    continue;   // each TLS listener's tls.hsts
                if (const QString why = whyNotCarried(*n); !why.isEmpty())
                    note(n->line, QStringLiteral("%1 %2 not carried over: %3").arg(n->name, n->args.join(u' '), why));
            }
        }
        // A virtual host that proxies nothing to a balancer (the port-80 redirect to HTTPS, a
        // static site): one note, it stays with httpd.
        for (const ApacheNode *host : m_virtualHosts) {
            if (std::any_of(m_routes.begin(), m_routes.end(), [host](const Route &r) { return r.virtualHost == host; }))
                continue;
            if (carryRedirectToHttps(host))
                continue;
            QStringList what;
            for (const ApacheNode *n : m_hostDirectives.value(host)) {
                if (!what.contains(n->name) && n->key != u"servername" && n->key != u"serveralias")
                    what << n->name;
            }
            note(host->line, QStringLiteral("<VirtualHost %1> not carried over: it proxies nothing to a balancer, so Fulcrum has nothing to take from it (%2); "
                                            "whatever it does (a redirect to HTTPS, files) stays with httpd")
                                 .arg(host->args.join(u' '), what.isEmpty() ? QStringLiteral("no directive") : what.mid(0, 5).join(QStringLiteral(", "))));
        }
        carryLimits(hostsWithListeners);
        carryClientSide(hostsWithListeners);
        carryPoolTimeouts();
        carryPoolBodyLimits();
        for (const PoolConfig &p : m_result.config.pools) {
            bool used = false;
            for (const ListenerConfig &l : m_result.config.listeners)
                used = used || l.pool == p.name
                       || std::any_of(l.routes.begin(), l.routes.end(), [&p](const ListenerRoute &r) { return r.pool == p.name; });
            if (!used)
                m_notes.push_back({INT_MAX, QStringLiteral("%1: balancer://%2 got no listener of its own; add one: {\"listen\": \"127.0.0.1:PORT\", \"pool\": \"%2\"}")
                                                .arg(where(m_balancers[p.name.toLower()].line), p.name)});
        }
    }

    QString m_file;
    QDir m_serverRoot;             // relative paths (certificates) are read from here
    QSet<const ApacheNode *> m_tlsNoted;   // virtual hosts whose TLS was noted
    QSet<QString> m_tlsMembersNoted;       // balancers whose https:// members were noted
    QHash<QString, const ApacheNode *> m_tlsHostAt; // "host:port" -> the TLS virtual host whose settings its listener has
    std::vector<Place> m_places;   // by a node's place in reading order
    QStringList m_unreadIncludes;  // "FILE:LINE: Include PATH" of includes that brought nothing in
    ApacheImportResult &m_result;
    std::vector<std::pair<int, QString>> m_notes; // (line, note)
    QMap<QString, Balancer> m_balancers; // by lower-case name
    QStringList m_balancerOrder;
    QHash<QString, MemberTimeouts> m_memberTimeouts;   // by pool name: balancers with a member's timeout=
    QHash<QString, QSet<const ApacheNode *>> m_poolHosts;   // pool -> the virtual hosts (nullptr: main server) routing to it
    HostValues m_hostBody;      // LimitRequestBody (nullptr: httpd's 1 GiB)
    HostValues m_hostTimeout;   // ProxyTimeout/Timeout (nullptr: httpd's 60 s)
    std::vector<Route> m_routes;
    std::vector<const ApacheNode *> m_virtualHosts;   // in reading order
    std::vector<ListenAddress> m_listens;
    QHash<const ApacheNode *, std::vector<const ApacheNode *>> m_hostDirectives; // per virtual host (nullptr: main server)
};

} // namespace

ApacheImportResult importApache(const QByteArray &text, const QString &fileName)
{
    ApacheImportResult result;
    ApacheParser parser(text, fileName, result.errors);
    std::vector<ApacheNode> top = parser.parse();
    QDir root = QFileInfo(fileName).absoluteDir();
    if (result.errors.isEmpty())
        expandIncludes(top, root, 0, result.errors);
    if (!result.errors.isEmpty())
        return result;
    std::vector<Place> places;
    numberInReadingOrder(top, places);
    ApacheImporter(fileName, root, std::move(places), result).run(top);
    if (!result.ok())
        result.config = Config{};
    return result;
}

} // namespace fulcrum
