#include "accesslog.h"

#include <QDateTime>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <ctime>

namespace fulcrum {

namespace {

constexpr size_t kFlushBytes = 64 * 1024;
constexpr qint64 kFlushEveryMs = 1000;
constexpr qint64 kReopenRetryMs = 1000;
// A file that cannot be written holds at most this much; beyond it lines are dropped (counted).
constexpr size_t kMaxBufferBytes = 1024 * 1024;

void appendInt(std::string &out, qint64 value)
{
    char digits[24];
    const auto result = std::to_chars(digits, digits + sizeof digits, value);
    out.append(digits, size_t(result.ptr - digits));
}

void appendTwo(std::string &out, int value)
{
    out.push_back(char('0' + value / 10 % 10));
    out.push_back(char('0' + value % 10));
}

// Milliseconds with three decimals (microseconds) from nanoseconds: "0.412".
void appendMs(std::string &out, qint64 ns)
{
    const qint64 us = (ns + 500) / 1000;
    appendInt(out, us / 1000);
    out.push_back('.');
    const int rest = int(us % 1000);
    out.push_back(char('0' + rest / 100));
    appendTwo(out, rest % 100);
}

// A figure that may not apply: `absent` ("-" in text, "null" in JSON) when it does not.
void appendIntOr(std::string &out, qint64 value, bool present, const char *absent)
{
    if (present)
        appendInt(out, value);
    else
        out.append(absent);
}

void appendMsOr(std::string &out, qint64 ns, const char *absent)
{
    if (ns >= 0)
        appendMs(out, ns);
    else
        out.append(absent);
}

void appendHex(std::string &out, unsigned char c)
{
    static const char hex[] = "0123456789abcdef";
    out.push_back(hex[c >> 4]);
    out.push_back(hex[c & 15]);
}

// A value in the text format: what a client sent cannot break the line or the quotes
// (nginx's escaping: \" \\ and \xHH for control and non-ASCII bytes). Without quotes (names),
// a space is escaped too, so that fields stay split at spaces.
void appendTextValue(std::string &out, QByteArrayView value, bool quoted)
{
    for (const char ch : value) {
        const auto c = static_cast<unsigned char>(ch);
        if (c == '"' || c == '\\') {
            out.push_back('\\');
            out.push_back(ch);
        } else if (c < 0x20 || c >= 0x7f || (!quoted && c == ' ')) {
            out.append("\\x");
            appendHex(out, c);
        } else {
            out.push_back(ch);
        }
    }
}

// Length of the well-formed UTF-8 sequence at p (RFC 3629), or 0.
int utf8SequenceLength(const unsigned char *p, const unsigned char *end)
{
    const unsigned char c = p[0];
    int length = 0;
    unsigned char low = 0x80;
    unsigned char high = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) {
        length = 2;
    } else if (c >= 0xe0 && c <= 0xef) {
        length = 3;
        if (c == 0xe0)
            low = 0xa0;
        else if (c == 0xed)
            high = 0x9f;   // no surrogates
    } else if (c >= 0xf0 && c <= 0xf4) {
        length = 4;
        if (c == 0xf0)
            low = 0x90;
        else if (c == 0xf4)
            high = 0x8f;
    } else {
        return 0;
    }
    if (end - p < length || p[1] < low || p[1] > high)
        return 0;
    for (int i = 2; i < length; ++i) {
        if (p[i] < 0x80 || p[i] > 0xbf)
            return 0;
    }
    return length;
}

// A JSON string: valid UTF-8 is kept, any other byte is written as the code point of its value
// (\u00XX), so a line is always valid JSON whatever a client sent.
void appendJsonString(std::string &out, QByteArrayView value)
{
    out.push_back('"');
    const auto *p = reinterpret_cast<const unsigned char *>(value.data());
    const auto *end = p + value.size();
    while (p < end) {
        const unsigned char c = *p;
        if (c == '"' || c == '\\') {
            out.push_back('\\');
            out.push_back(char(c));
            ++p;
        } else if (c < 0x20 || c == 0x7f) {
            out.append("\\u00");
            appendHex(out, c);
            ++p;
        } else if (c < 0x80) {
            out.push_back(char(c));
            ++p;
        } else if (const int length = utf8SequenceLength(p, end); length > 0) {
            out.append(reinterpret_cast<const char *>(p), size_t(length));
            p += length;
        } else {
            out.append("\\u00");
            appendHex(out, c);
            ++p;
        }
    }
    out.push_back('"');
}

// A pool's or server's name as UTF-8: written into `stack` when it is ASCII (names nearly always
// are: no allocation per line), else converted.
struct Utf8Name
{
    char stack[128];
    QByteArray converted;
    QByteArrayView of(const QString *text)
    {
        if (!text)
            return {};
        const qsizetype n = text->size();
        if (n <= qsizetype(sizeof stack)) {
            const QChar *chars = text->constData();
            qsizetype i = 0;
            for (; i < n && chars[i].unicode() < 0x80; ++i)
                stack[i] = char(chars[i].unicode());
            if (i == n)
                return QByteArrayView(stack, n);
        }
        converted = text->toUtf8();
        return converted;
    }
};

// "IP:PORT" or "[IPv6]:PORT", or "" for an address of another family.
std::string addressText(const SocketAddress &address)
{
    char host[INET6_ADDRSTRLEN] = {};
    std::string out;
    if (address.address.ss_family == AF_INET) {
        const auto *in = reinterpret_cast<const sockaddr_in *>(&address.address);
        inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
        out.append(host).push_back(':');
        appendInt(out, ntohs(in->sin_port));
    } else if (address.address.ss_family == AF_INET6) {
        const auto *in6 = reinterpret_cast<const sockaddr_in6 *>(&address.address);
        inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
        out.append("[").append(host).append("]:");
        appendInt(out, ntohs(in6->sin6_port));
    }
    return out;
}

struct Civil
{
    int year, month, day, hour, minute, second, ms;
};

Civil civilUtc(qint64 wallMs)
{
    // One conversion per second per worker thread: lines of the same second share it.
    thread_local qint64 cachedSecond = -1;
    thread_local Civil cached{};
    const qint64 second = wallMs / 1000;
    if (second != cachedSecond) {
        const time_t seconds = time_t(second);
        tm t{};
        gmtime_r(&seconds, &t);
        cached = {t.tm_year + 1900, t.tm_mon + 1, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec, 0};
        cachedSecond = second;
    }
    Civil civil = cached;
    civil.ms = int(wallMs % 1000);
    return civil;
}

void appendText(std::string &out, const AccessRecord &r, qint64 wallNowMs)
{
    static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    const Civil t = civilUtc(wallNowMs);
    // nginx's "combined": $remote_addr - $remote_user [$time_local] "$request" $status
    // $body_bytes_sent "$http_referer" "$http_user_agent" (here in UTC, and bytes with the head).
    appendTextValue(out, r.clientIp.isEmpty() ? QByteArrayView("-") : r.clientIp, false);
    out.append(" - - [");
    appendTwo(out, t.day);
    out.push_back('/');
    out.append(months[t.month - 1]);
    out.push_back('/');
    appendInt(out, t.year);
    out.push_back(':');
    appendTwo(out, t.hour);
    out.push_back(':');
    appendTwo(out, t.minute);
    out.push_back(':');
    appendTwo(out, t.second);
    out.append(" +0000] \"");
    if (r.method.isEmpty()) {
        out.push_back('-');
    } else {
        appendTextValue(out, r.method, true);
        out.push_back(' ');
        appendTextValue(out, r.target, true);
        out.push_back(' ');
        appendTextValue(out, r.protocol, true);
    }
    out.append("\" ");
    appendInt(out, r.status);
    out.push_back(' ');
    appendInt(out, r.bytesOut);
    out.append(" \"");
    appendTextValue(out, r.referer.isEmpty() ? QByteArrayView("-") : r.referer, true);
    out.append("\" \"");
    appendTextValue(out, r.userAgent.isEmpty() ? QByteArrayView("-") : r.userAgent, true);
    out.append("\" host=\"");
    appendTextValue(out, r.host, true);
    out.append("\" scheme=");
    out.append(r.https ? "https" : "http");
    Utf8Name name;
    out.append(" pool=");
    appendTextValue(out, r.pool ? name.of(r.pool) : QByteArrayView("-"), false);
    out.append(" server=");
    appendTextValue(out, r.server ? name.of(r.server) : QByteArrayView("-"), false);
    out.append(" upstream=");
    const std::string upstream = r.upstream ? addressText(*r.upstream) : std::string();
    out.append(upstream.empty() ? "-" : upstream);
    out.append(" upstream_status=");
    appendIntOr(out, r.upstreamStatus, r.upstreamStatus > 0, "-");
    out.append(" tries=");
    appendInt(out, r.tries);
    out.append(" bytes_in=");
    appendInt(out, r.bytesIn);
    out.append(" time_ms=");
    appendMs(out, r.durationNs);
    out.append(" connect_ms=");
    appendMsOr(out, r.connectNs, "-");
    out.append(" header_ms=");
    appendMsOr(out, r.headerNs, "-");
    out.append(" end=");
    out.append(r.end ? r.end : "-");
    out.append(" request_id=\"");
    appendTextValue(out, r.requestId.isEmpty() ? QByteArrayView("-") : r.requestId, true);
    out.push_back('"');
    if (!r.error.isEmpty()) {
        out.append(" error=\"");
        appendTextValue(out, r.error, true);
        out.push_back('"');
    }
    out.push_back('\n');
}

void appendJson(std::string &out, const AccessRecord &r, qint64 wallNowMs)
{
    const Civil t = civilUtc(wallNowMs);
    out.append("{\"time\":\"");
    appendInt(out, t.year);
    out.push_back('-');
    appendTwo(out, t.month);
    out.push_back('-');
    appendTwo(out, t.day);
    out.push_back('T');
    appendTwo(out, t.hour);
    out.push_back(':');
    appendTwo(out, t.minute);
    out.push_back(':');
    appendTwo(out, t.second);
    out.push_back('.');
    out.push_back(char('0' + t.ms / 100));
    appendTwo(out, t.ms % 100);
    out.append("Z\",\"client\":");
    appendJsonString(out, r.clientIp);
    const auto optionalString = [&out](const char *key, QByteArrayView value) {
        out.append(key);
        if (value.isEmpty())
            out.append("null");
        else
            appendJsonString(out, value);
    };
    optionalString(",\"method\":", r.method);
    optionalString(",\"target\":", r.method.isEmpty() ? QByteArrayView() : r.target);
    optionalString(",\"protocol\":", r.method.isEmpty() ? QByteArrayView() : r.protocol);
    out.append(r.https ? ",\"scheme\":\"https\"" : ",\"scheme\":\"http\"");
    optionalString(",\"host\":", r.host);
    out.append(",\"status\":");
    appendInt(out, r.status);
    out.append(",\"bytes_in\":");
    appendInt(out, r.bytesIn);
    out.append(",\"bytes_out\":");
    appendInt(out, r.bytesOut);
    out.append(",\"duration_ms\":");
    appendMs(out, r.durationNs);
    Utf8Name name;
    optionalString(",\"pool\":", r.pool ? name.of(r.pool) : QByteArrayView());
    optionalString(",\"server\":", r.server ? name.of(r.server) : QByteArrayView());
    const std::string upstream = r.upstream ? addressText(*r.upstream) : std::string();
    optionalString(",\"upstream\":", QByteArrayView(upstream.data(), qsizetype(upstream.size())));
    out.append(",\"upstream_status\":");
    appendIntOr(out, r.upstreamStatus, r.upstreamStatus > 0, "null");
    out.append(",\"tries\":");
    appendInt(out, r.tries);
    out.append(",\"connect_ms\":");
    appendMsOr(out, r.connectNs, "null");
    out.append(",\"header_ms\":");
    appendMsOr(out, r.headerNs, "null");
    optionalString(",\"end\":", r.end ? QByteArrayView(r.end) : QByteArrayView());
    optionalString(",\"user_agent\":", r.userAgent);
    optionalString(",\"referer\":", r.referer);
    optionalString(",\"request_id\":", r.requestId);
    optionalString(",\"error\":", r.error);
    out.append("}\n");
}

QString errnoText(int error)
{
    return QString::fromLocal8Bit(std::strerror(error));
}

} // namespace

AccessLog::AccessLog(std::shared_ptr<AccessLogStats> stats)
    : m_stats(std::move(stats))
{
}

AccessLog::~AccessLog()
{
    flush();
    close();
}

std::string AccessLog::format(const AccessRecord &record, AccessLogConfig::Format format, qint64 wallNowMs)
{
    std::string line;
    if (format == AccessLogConfig::Format::Json)
        appendJson(line, record, wallNowMs);
    else
        appendText(line, record, wallNowMs);
    return line;
}

void AccessLog::configure(const AccessLogConfig &config)
{
    if (config.path != m_config.path) {
        flush();
        close();
    }
    m_config = config;
    if (m_config.enabled() && m_fd < 0)
        open();
    if (!m_config.enabled()) {
        m_buffer.clear();
        m_buffer.shrink_to_fit();
        m_bufferedLines = 0;
    }
}

void AccessLog::noteFailure(const QString &reason)
{
    m_stats->failures.note(reason, QDateTime::currentMSecsSinceEpoch());
}

void AccessLog::open()
{
    const QByteArray path = m_config.path.toLocal8Bit();
    m_fd = ::open(path.constData(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    if (m_fd < 0) {
        noteFailure(QStringLiteral("cannot open %1: %2; lines wait in memory until it opens (1 MiB per worker)")
                                   .arg(m_config.path, errnoText(errno)));
        return;
    }
    struct stat st{};
    if (::fstat(m_fd, &st) == 0) {
        m_device = quint64(st.st_dev);
        m_inode = quint64(st.st_ino);
    }
}

void AccessLog::close()
{
    if (m_fd >= 0)
        ::close(m_fd);
    m_fd = -1;
}

void AccessLog::write(const AccessRecord &record, qint64 wallNowMs)
{
    if (!m_config.enabled())
        return;
    if (m_buffer.size() > kMaxBufferBytes) {
        // The file has not taken anything for a while (it could not be opened or written).
        m_stats->droppedLines.fetch_add(1, std::memory_order_relaxed);
        return;
    }
    if (m_config.format == AccessLogConfig::Format::Json)
        appendJson(m_buffer, record, wallNowMs);
    else
        appendText(m_buffer, record, wallNowMs);
    ++m_bufferedLines;
    if (m_buffer.size() >= kFlushBytes && m_fd >= 0)
        flush();
}

void AccessLog::reopenIfMoved()
{
    struct stat st{};
    const QByteArray path = m_config.path.toLocal8Bit();
    if (::stat(path.constData(), &st) == 0 && quint64(st.st_dev) == m_device && quint64(st.st_ino) == m_inode)
        return;
    // Moved or deleted (logrotate's create, or a rm): what waits, and what comes, goes to a new
    // file at the path (the lines of the last second may have come after the move).
    close();
    open();
}

void AccessLog::tick(qint64 nowMs)
{
    if (!m_config.enabled() || nowMs - m_lastFlushMs < kFlushEveryMs)
        return;
    m_lastFlushMs = nowMs;
    if (m_fd < 0) {
        if (nowMs - m_lastOpenTryMs < kReopenRetryMs)
            return;
        m_lastOpenTryMs = nowMs;
        open();
    } else {
        reopenIfMoved();
    }
    flush();
}

void AccessLog::flush()
{
    if (m_buffer.empty() || m_fd < 0)
        return;
    size_t written = 0;
    while (written < m_buffer.size()) {
        const ssize_t n = ::write(m_fd, m_buffer.data() + written, m_buffer.size() - written);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            // Disk full, an I/O error: these lines are lost, and said so; the next ones try again.
            // (A partial line may have been written before; the next line starts a new one.)
            const int error = n < 0 ? errno : ENOSPC;
            if (written > 0 && m_buffer[written - 1] != '\n') {
                [[maybe_unused]] const ssize_t newline = ::write(m_fd, "\n", 1);
            }
            m_stats->droppedLines.fetch_add(m_bufferedLines, std::memory_order_relaxed);
            noteFailure(QStringLiteral("cannot write to %1: %2; the lines of that write are lost").arg(m_config.path, errnoText(error)));
            m_buffer.clear();
            m_bufferedLines = 0;
            return;
        }
        written += size_t(n);
    }
    m_stats->lines.fetch_add(m_bufferedLines, std::memory_order_relaxed);
    m_buffer.clear();
    m_bufferedLines = 0;
}

} // namespace fulcrum
