#include "httpparser.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace fulcrum {

namespace {

// RFC 9110 5.6.2 tchar, as a table: it is asked for every byte of every method and header name.
constexpr auto kTokenChars = [] {
    std::array<bool, 256> table{};
    for (int c = '0'; c <= '9'; ++c)
        table[size_t(c)] = true;
    for (int c = 'a'; c <= 'z'; ++c)
        table[size_t(c)] = table[size_t(c - 'a' + 'A')] = true;
    for (const char c : {'!', '#', '$', '%', '&', '\'', '*', '+', '-', '.', '^', '_', '`', '|', '~'})
        table[uchar(c)] = true;
    return table;
}();

inline bool isTokenChar(char c)
{
    return kTokenChars[uchar(c)];
}

// The rule itself, a byte at a time through the table.
inline const char *tokenEndByTable(const char *p)
{
    while (isTokenChar(*p))
        ++p;
    return p;
}

// Where the run of token characters that starts at `p` ends: at the first other byte, which
// the caller guarantees is there before `end` (the header block's last LF).
// With SSE2 sixteen bytes at a time, for the bytes nearly every field name is made of: letters,
// digits and '-', each class one range compare (offset so that it is a signed "less than"). The
// first other byte ends the name when it is the colon; any other tchar ('_', '.', ...) goes on
// by the table. The table alone, a byte at a time, was 330 of the 970 instructions that the
// header lines of a request and its answer cost.
inline const char *tokenEnd(const char *p, const char *end)
{
#if defined(__SSE2__)
    const __m128i caseBit = _mm_set1_epi8(0x20);
    const __m128i letterOffset = _mm_set1_epi8(char(0x80 - 'a'));
    const __m128i letterLimit = _mm_set1_epi8(char(-0x80 + 26));   // 'a' lands on -0x80
    const __m128i digitOffset = _mm_set1_epi8(char(0x80 - '0'));
    const __m128i digitLimit = _mm_set1_epi8(char(-0x80 + 10));   // '0' lands on -0x80
    const __m128i dash = _mm_set1_epi8('-');
    while (end - p >= 16) {
        const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i *>(p));
        const __m128i letter = _mm_cmplt_epi8(_mm_add_epi8(_mm_or_si128(x, caseBit), letterOffset), letterLimit);
        const __m128i digit = _mm_cmplt_epi8(_mm_add_epi8(x, digitOffset), digitLimit);
        const __m128i common = _mm_or_si128(_mm_or_si128(letter, digit), _mm_cmpeq_epi8(x, dash));
        if (const unsigned other = ~unsigned(_mm_movemask_epi8(common)) & 0xffffu) {
            p += std::countr_zero(other);
            if (*p == ':')
                return p;
            break;   // another byte: the table decides from here
        }
        p += 16;
    }
#else
    Q_UNUSED(end);
#endif
    return tokenEndByTable(p);
}

} // namespace

namespace detail {

#if defined(__SSE2__)
const char *tokenEndSse2(const char *p, const char *end)
{
    return tokenEnd(p, end);
}
#endif

const char *tokenEndPortable(const char *p, const char *end)
{
    Q_UNUSED(end);
    return tokenEndByTable(p);
}

} // namespace detail

namespace {

// field-vchar, SP, HTAB, obs-text: everything but CTLs (NUL, CR, LF, DEL...)
bool isFieldValueChar(char c)
{
    const auto u = uchar(c);
    return u == '\t' || (u >= 0x20 && u != 0x7f);
}

bool isHexDigit(char c, int *value)
{
    if (c >= '0' && c <= '9') { *value = c - '0'; return true; }
    if (c >= 'a' && c <= 'f') { *value = c - 'a' + 10; return true; }
    if (c >= 'A' && c <= 'F') { *value = c - 'A' + 10; return true; }
    return false;
}

inline bool isOptionalWhitespace(char c)
{
    return c == ' ' || c == '\t';
}

// [begin, end) without the optional whitespace around it (RFC 9110 5.6.3).
inline QByteArrayView trimmed(const char *begin, const char *end)
{
    while (begin < end && isOptionalWhitespace(*begin))
        ++begin;
    while (end > begin && isOptionalWhitespace(end[-1]))
        --end;
    return QByteArrayView(begin, end - begin);
}

inline QByteArrayView trimmed(QByteArrayView v)
{
    return trimmed(v.data(), v.data() + v.size());
}

// Calls `use` with each item of a comma-separated field value, without its surrounding
// whitespace (RFC 9110 5.6.1; empty items included).
template<typename Use>
void forEachListItem(QByteArrayView value, Use &&use)
{
    while (!value.isEmpty()) {
        const qsizetype comma = indexOfChar(value, ',');
        use(trimmed(comma < 0 ? value : value.first(comma)));
        if (comma < 0)
            break;
        value = value.sliced(comma + 1);
    }
}

// The Connection options, read in one pass over the list (case-insensitive tokens, RFC 9110
// 7.6.1) into ConnectionOption bits.
quint8 readConnectionOptions(QByteArrayView value)
{
    quint8 options = 0;
    forEachListItem(value, [&](QByteArrayView item) {
        if (equalsIgnoreCase(item, "keep-alive"))
            options |= ConnectionKeepAlive;
        else if (equalsIgnoreCase(item, "upgrade"))
            options |= ConnectionUpgrade;
        else if (!item.isEmpty())   // "close" too: it names no field, but one named "Close" goes, as it always did
            options |= ConnectionNamesOther | (equalsIgnoreCase(item, "close") ? ConnectionClose : 0);
    });
    return options;
}

} // namespace

namespace detail {

// Finds the end of the head ("\r\n\r\n") and of its first line. A bare LF (one without its
// CR) before the end gives length -1: the sender does not speak CRLF, and is told at once rather
// than after waiting for a terminator that will never come.
// With SSE2 (every x86-64) 32 bytes at a time: a mask of the line feeds, one of the carriage
// returns, and the head ends at the first LF with a CR before it and an LF two bytes
// before that (every LF before it had its CR, or the scan stopped there). The memchr scan (the
// portable one below, a call per line) and a second search for the first line took about 490
// instructions for a request and its answer; this one takes about 320.
#if defined(__SSE2__)
HeadEnd findHeadEndSse2(QByteArrayView data)
{
    const char *const begin = data.data();
    const qsizetype n = data.size();
    const __m128i lineFeeds = _mm_set1_epi8('\n');
    const __m128i returns = _mm_set1_epi8('\r');
    const auto masks = [&](const char *at, std::uint64_t *lf, std::uint64_t *cr) {
        const __m128i low = _mm_loadu_si128(reinterpret_cast<const __m128i *>(at));
        const __m128i high = _mm_loadu_si128(reinterpret_cast<const __m128i *>(at + 16));
        *lf = unsigned(_mm_movemask_epi8(_mm_cmpeq_epi8(low, lineFeeds))) | std::uint64_t(unsigned(_mm_movemask_epi8(_mm_cmpeq_epi8(high, lineFeeds)))) << 16;
        *cr = unsigned(_mm_movemask_epi8(_mm_cmpeq_epi8(low, returns))) | std::uint64_t(unsigned(_mm_movemask_epi8(_mm_cmpeq_epi8(high, returns)))) << 16;
    };
    // 32 bytes a step, one bit per byte in the low 32 bits of each mask.
    std::uint64_t crBefore = 0;    // bit 0: the byte before this step is a CR
    std::uint64_t lfsBefore = 0;   // bits 0 and 1: the bytes two and one before this step are LFs
    qsizetype firstLf = -1;
    for (qsizetype at = 0; at < n; at += 32) {
        std::uint64_t lf;
        std::uint64_t cr;
        if (n - at >= 32) {
            masks(begin + at, &lf, &cr);
        } else if (n >= 32) {
            // The last 32 bytes, shifted so that bit 0 is `at` again (no copy).
            const int seen = int(at - (n - 32));
            masks(begin + n - 32, &lf, &cr);
            lf >>= seen;
            cr >>= seen;
        } else {
            char tail[32] = {};   // NUL bytes past the end: neither CR nor LF
            std::memcpy(tail, begin + at, size_t(n - at));
            masks(tail, &lf, &cr);
        }
        const std::uint64_t afterCr = (cr << 1) | crBefore;
        const std::uint64_t bare = lf & ~afterCr;
        const std::uint64_t ends = lf & afterCr & ((lf << 2) | lfsBefore);
        if (firstLf < 0 && lf != 0)
            firstLf = at + std::countr_zero(lf);
        if (const std::uint64_t events = bare | ends) {
            const int i = std::countr_zero(events);
            if (bare & (std::uint64_t(1) << i))
                return {-1, -1};
            return {at + i + 1, firstLf - 1};
        }
        crBefore = cr >> 31;
        lfsBefore = lf >> 30;
    }
    return {};
}
#endif

// The same with memchr, a line at a time: the other architectures' way (tested on x86-64 too).
HeadEnd findHeadEndPortable(QByteArrayView data)
{
    const char *const begin = data.data();
    const qsizetype n = data.size();
    qsizetype firstLf = -1;
    for (const char *p = begin; p < begin + n;) {
        const auto *lf = static_cast<const char *>(std::memchr(p, '\n', size_t(begin + n - p)));
        if (!lf)
            return {};
        const qsizetype i = lf - begin;
        if (i == 0 || begin[i - 1] != '\r')
            return {-1, -1};
        if (firstLf < 0)
            firstLf = i;
        // Every LF before this one had its CR, so "\n" two back makes this "\r\n\r\n".
        if (i >= 3 && begin[i - 2] == '\n')
            return {i + 1, firstLf - 1};
        p = lf + 1;
    }
    return {};
}

} // namespace detail

namespace {

using detail::HeadEnd;

inline HeadEnd findHeadEnd(QByteArrayView data)
{
#if defined(__SSE2__)
    return detail::findHeadEndSse2(data);
#else
    return detail::findHeadEndPortable(data);
#endif
}

// Where the first CRLF starts, or -1.
qsizetype findCrlf(QByteArrayView data)
{
    const char *const begin = data.data();
    const char *const stop = begin + data.size();
    for (const char *p = begin; p < stop;) {
        const auto *lf = static_cast<const char *>(std::memchr(p, '\n', size_t(stop - p)));
        if (!lf)
            return -1;
        if (lf > begin && lf[-1] == '\r')
            return lf - begin - 1;
        p = lf + 1;
    }
    return -1;
}

// Header lines between the start line and the empty line. Sets framing-relevant facts.
struct HeaderFacts
{
    int contentLengthCount = 0;
    qint64 contentLength = -1;
    int transferEncodingCount = 0;
    bool chunked = false;
    quint8 connection = 0;   // ConnectionOption bits
    bool expectContinue = false;
    bool hasHost = false;
    int hostCount = 0;
};

// Where the first byte that may not stand in a field value (a CTL other than HTAB: NUL..US but
// HTAB, and DEL) is in [p, end), or `end`. Sixteen bytes at a time with SSE2, then eight: a
// value's bytes are nearly all visible ASCII, and the byte-wise check was a fifth of the
// response head's parse.
const char *findValueEnd(const char *p, const char *end)
{
#if defined(__SSE2__)
    const __m128i space = _mm_set1_epi8(0x20);
    const __m128i tab = _mm_set1_epi8('\t');
    const __m128i del = _mm_set1_epi8(0x7f);
    const __m128i minusOne = _mm_set1_epi8(-1);
    while (end - p >= 16) {
        const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i *>(p));
        // Compared as signed bytes: 0x80..0xff (obs-text, allowed) are below zero.
        const __m128i control = _mm_and_si128(_mm_cmplt_epi8(x, space), _mm_cmpgt_epi8(x, minusOne));
        const __m128i refused = _mm_or_si128(_mm_andnot_si128(_mm_cmpeq_epi8(x, tab), control), _mm_cmpeq_epi8(x, del));
        if (const unsigned at = unsigned(_mm_movemask_epi8(refused)))
            return p + std::countr_zero(at);
        p += 16;
    }
#endif
    constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
    constexpr std::uint64_t kHighs = 0x8080808080808080ULL;
    while (end - p >= 8) {
        std::uint64_t x;
        std::memcpy(&x, p, 8);
        // Bit 7 of each byte below 0x20, or equal to 0x7f. A borrow only runs towards later
        // bytes, so the lowest flag is exact (flags after it may be false).
        const std::uint64_t del = x ^ (0x7f * kOnes);
        const std::uint64_t flags = ((x - 0x20 * kOnes) & ~x & kHighs) | ((del - kOnes) & ~del & kHighs);
        if (flags == 0) {
            p += 8;
            continue;
        }
#if Q_BYTE_ORDER == Q_LITTLE_ENDIAN
        const char *hit = p + std::countr_zero(flags) / 8;
#else
        const char *hit = p;
        while (isFieldValueChar(*hit))
            ++hit;
#endif
        if (*hit != '\t')
            return hit;
        p = hit + 1;   // HTAB is allowed: go on after it
    }
    for (; p < end; ++p) {
        if (!isFieldValueChar(*p))
            return p;
    }
    return end;
}

HttpParseResult parseHeaders(QByteArrayView block, const HttpLimits &limits, std::vector<HttpHeader> &headers, HeaderFacts &facts)
{
    headers.clear();
    // The block ends with the head's last LF (the callers cut it at "\r\n\r\n"); that LF, not
    // a token character, stops the name scan below without a bound check per byte.
    if (block.isEmpty() || block.back() != '\n')
        return HttpParseResult::error(400, "header line without CRLF");
    const char *p = block.data();
    const char *const end = p + block.size();
    while (p < end) {
        if (p[0] == '\r' && p[1] == '\n')
            break;   // the empty line (a CR is never the block's last byte)
        if (*p == ' ' || *p == '\t')
            return HttpParseResult::error(400, "obsolete line folding (a header line starting with whitespace) is not accepted");
        // The name: token characters up to the colon, in one pass.
        const char *const colon = tokenEnd(p, end);
        if (*colon != ':' || colon == p) {
            // Not "name:": say what the line is (its CRLF is looked for only on this path).
            const QByteArrayView rest(p, end - p);
            const qsizetype eol = findCrlf(rest);
            if (eol < 0)
                return HttpParseResult::error(400, "header line without CRLF");
            if (indexOfChar(rest.first(eol), ':') <= 0)
                return HttpParseResult::error(400, "header line without a name and colon");
            return HttpParseResult::error(400, "invalid character in a header name (whitespace before the colon is not accepted)");
        }
        // The value runs to the first byte a value may not hold (at the latest the block's last
        // LF), which must be the CR of CRLF. A lone CR, a bare LF or another CTL inside the value
        // is refused.
        const char *const valueEnd = findValueEnd(colon + 1, end);
        if (!(valueEnd[0] == '\r' && valueEnd[1] == '\n')) {
            if (findCrlf(QByteArrayView(valueEnd, end - valueEnd)) < 0)
                return HttpParseResult::error(400, "header line without CRLF");
            return HttpParseResult::error(400, "control character in a header value");
        }
        const QByteArrayView name(p, colon - p);
        const QByteArrayView value = trimmed(colon + 1, valueEnd);
        p = valueEnd + 2;
        if (int(headers.size()) >= limits.maxHeaders)
            return HttpParseResult::error(431, "too many header lines");
        const HeaderKind kind = headers.emplace_back(name, value).kind;

        switch (kind) {
        case HeaderKind::ContentLength: {
            if (++facts.contentLengthCount > 1)
                return HttpParseResult::error(400, "more than one Content-Length header");
            // At most 18 digits, so the sum cannot overflow; read here, as QByteArray's
            // locale-aware toLongLong() cost a twentieth of a request's user-space instructions.
            if (value.isEmpty() || value.size() > 18)
                return HttpParseResult::error(400, "Content-Length is not a plain decimal number");
            qint64 length = 0;
            for (const char c : value) {
                if (c < '0' || c > '9')
                    return HttpParseResult::error(400, "Content-Length is not a plain decimal number");
                length = length * 10 + (c - '0');
            }
            facts.contentLength = length;
            break;
        }
        case HeaderKind::TransferEncoding:
            if (++facts.transferEncodingCount > 1)
                return HttpParseResult::error(400, "more than one Transfer-Encoding header");
            if (!equalsIgnoreCase(value, "chunked"))
                return HttpParseResult::error(limits.unknownTransferCodingStatus, "Transfer-Encoding other than exactly \"chunked\" is not accepted");
            facts.chunked = true;
            break;
        case HeaderKind::Connection:
            facts.connection |= readConnectionOptions(value);
            break;
        case HeaderKind::Expect:
            facts.expectContinue = equalsIgnoreCase(value, "100-continue");
            break;
        case HeaderKind::Host:
            facts.hasHost = true;
            ++facts.hostCount;
            break;
        default:
            break;
        }
    }
    if (facts.contentLengthCount > 0 && facts.transferEncodingCount > 0)
        return HttpParseResult::error(400, "both Content-Length and Transfer-Encoding (request smuggling shape)");
    return {HttpParseResult::Complete};
}

// HTTP/1.1 keeps a connection unless told "close"; HTTP/1.0 only when told "keep-alive".
bool keepsAlive(int versionMinor, quint8 connection)
{
    if (connection & ConnectionClose)
        return false;
    return versionMinor >= 1 || (connection & ConnectionKeepAlive);
}

int parseVersion(QByteArrayView v)
{
    // One compare of the "HTTP/" prefix (QByteArrayView::startsWith is a call into Qt).
    if (v.size() != 8 || std::memcmp(v.data(), "HTTP/", 5) != 0 || v[6] != '.' || v[5] < '0' || v[5] > '9' || v[7] < '0' || v[7] > '9')
        return -2;
    if (v[5] != '1')
        return -1;
    return v[7] - '0';
}

} // namespace

bool HttpRequestHead::idempotent() const
{
    return method == "GET" || method == "HEAD" || method == "PUT" || method == "DELETE" || method == "OPTIONS";
}

namespace {

QByteArrayView headerIn(const std::vector<HttpHeader> &headers, QByteArrayView name)
{
    for (const HttpHeader &h : headers) {
        if (equalsIgnoreCase(h.name, name))
            return h.value;
    }
    return {};
}

} // namespace

QByteArrayView HttpRequestHead::header(QByteArrayView name) const
{
    return headerIn(headers, name);
}

namespace {

// An absolute-form target's authority and the rest ("shop:80", "/p?q"); false for any other form.
bool splitAbsoluteForm(QByteArrayView target, QByteArrayView *authority, QByteArrayView *rest)
{
    if (!target.startsWith("http://") && !target.startsWith("https://"))
        return false;
    const QByteArrayView after = target.sliced(target.indexOf("//") + 2);
    const qsizetype slash = after.indexOf('/');
    *authority = slash < 0 ? after : after.first(slash);
    *rest = slash < 0 ? QByteArrayView("/") : after.sliced(slash);
    return true;
}

} // namespace

QByteArrayView HttpRequestHead::originTarget() const
{
    QByteArrayView authority;
    QByteArrayView rest;
    return splitAbsoluteForm(target, &authority, &rest) ? rest : target;
}

QByteArrayView HttpRequestHead::path() const
{
    const QByteArrayView origin = originTarget();
    const qsizetype query = origin.indexOf('?');
    return query < 0 ? origin : origin.first(query);
}

QByteArrayView HttpRequestHead::hostAsked() const
{
    QByteArrayView authority;
    QByteArrayView rest;
    return splitAbsoluteForm(target, &authority, &rest) ? authority : header("host");
}

QByteArrayView HttpResponseHead::header(QByteArrayView name) const
{
    return headerIn(headers, name);
}

ConnectionTokens::ConnectionTokens(const std::vector<HttpHeader> &headers, quint8 options)
{
    if (!(options & ConnectionNamesOther))
        return;
    for (const HttpHeader &h : headers) {
        if (h.kind != HeaderKind::Connection)
            continue;
        forEachListItem(h.value, [this](QByteArrayView token) {
            if (!token.isEmpty())
                m_names.push_back(token);
        });
    }
}

HttpParseResult parseRequestHead(QByteArrayView data, const HttpLimits &limits, HttpRequestHead &head)
{
    // RFC 9112 2.2: empty lines before a request line are ignored (some clients send CRLF after a POST body).
    qsizetype skip = 0;
    while (skip + 1 < data.size() && skip < 8 && data[skip] == '\r' && data[skip + 1] == '\n')
        skip += 2;
    const QByteArrayView rest = data.sliced(skip);
    // A TLS hello or other binary sent to the plain port: answer now, not at the header timeout.
    if (!rest.isEmpty() && !isTokenChar(rest.front()) && rest.front() != '\r')
        return HttpParseResult::error(400, "request does not start with an HTTP method");
    const HeadEnd headEnd = findHeadEnd(rest);
    const qsizetype end = headEnd.length;
    if (end < 0)
        return HttpParseResult::error(400, "line ends with a bare LF; HTTP requires CRLF");
    if (end == 0 || end > limits.maxHeadBytes) {
        if (rest.size() > limits.maxHeadBytes || end > limits.maxHeadBytes)
            return HttpParseResult::error(431, "request line and headers are larger than the limit");
        return {HttpParseResult::Incomplete};
    }
    const QByteArrayView all = rest.first(end);
    const qsizetype lineEnd = headEnd.firstLineEnd;
    const QByteArrayView line = all.first(lineEnd);

    const qsizetype sp1 = indexOfChar(line, ' ');
    const qsizetype sp2 = sp1 < 0 ? -1 : indexOfChar(line, ' ', sp1 + 1);
    if (sp1 <= 0 || sp2 <= sp1 + 1 || indexOfChar(line, ' ', sp2 + 1) >= 0)
        return HttpParseResult::error(400, "request line is not \"METHOD target HTTP/1.x\"");
    head.method = line.first(sp1);
    head.target = line.sliced(sp1 + 1, sp2 - sp1 - 1);
    if (!std::all_of(head.method.begin(), head.method.end(), [](char c) { return isTokenChar(c); }))
        return HttpParseResult::error(400, "invalid character in the method");
    if (!std::all_of(head.target.begin(), head.target.end(), [](char c) { return uchar(c) > 0x20 && uchar(c) != 0x7f; }))
        return HttpParseResult::error(400, "invalid character in the request target");
    const int minor = parseVersion(line.sliced(sp2 + 1));
    if (minor == -2)
        return HttpParseResult::error(400, "request line does not end with HTTP/1.x");
    if (minor == -1)
        return HttpParseResult::error(505, "only HTTP/1.0 and HTTP/1.1 are served");
    head.versionMinor = minor;

    HeaderFacts facts;
    const HttpParseResult headers = parseHeaders(all.sliced(lineEnd + 2), limits, head.headers, facts);
    if (headers.status == HttpParseResult::Error)
        return headers;
    if (minor == 0 && facts.transferEncodingCount > 0)
        return HttpParseResult::error(400, "Transfer-Encoding in an HTTP/1.0 request");
    if (minor >= 1 && facts.hostCount != 1)
        return HttpParseResult::error(400, facts.hostCount == 0 ? "HTTP/1.1 request without a Host header" : "more than one Host header");
    if (minor == 0 && facts.hostCount > 1)
        return HttpParseResult::error(400, "more than one Host header");

    head.hasHost = facts.hasHost;
    head.expectContinue = facts.expectContinue && minor >= 1;
    head.connectionOptions = facts.connection;
    head.keepAlive = keepsAlive(minor, facts.connection);
    if (facts.chunked) {
        head.framing = BodyFraming::Chunked;
        head.contentLength = -1;
    } else if (facts.contentLength > 0) {
        head.framing = BodyFraming::Length;
        head.contentLength = facts.contentLength;
    } else {
        head.framing = BodyFraming::None;
        head.contentLength = 0;
    }
    head.headLength = skip + end;
    return {HttpParseResult::Complete};
}

HttpParseResult parseResponseHead(QByteArrayView data, const HttpLimits &limits, bool requestWasHead, HttpResponseHead &head)
{
    const HeadEnd headEnd = findHeadEnd(data);
    const qsizetype end = headEnd.length;
    if (end < 0)
        return HttpParseResult::error(502, "server response line ends with a bare LF");
    if (end == 0 || end > limits.maxHeadBytes) {
        if (data.size() > limits.maxHeadBytes || end > limits.maxHeadBytes)
            return HttpParseResult::error(502, "server response head is larger than the limit");
        return {HttpParseResult::Incomplete};
    }
    const QByteArrayView all = data.first(end);
    const qsizetype lineEnd = headEnd.firstLineEnd;
    const QByteArrayView line = all.first(lineEnd);
    // HTTP/1.1 200 [reason]
    if (line.size() < 12 || line[8] != ' ' || (line.size() > 12 && line[12] != ' '))
        return HttpParseResult::error(502, "server status line is not \"HTTP/1.x NNN reason\"");
    const int minor = parseVersion(line.first(8));
    if (minor < 0)
        return HttpParseResult::error(502, "server answered with a version other than HTTP/1.x");
    const QByteArrayView code = line.sliced(9, 3);
    if (!std::all_of(code.begin(), code.end(), [](char c) { return c >= '0' && c <= '9'; }) || code[0] == '0')
        return HttpParseResult::error(502, "server status code is not three digits");
    head.status = (code[0] - '0') * 100 + (code[1] - '0') * 10 + (code[2] - '0');   // three digits, checked above
    head.versionMinor = minor;
    head.statusLineLength = lineEnd;

    HeaderFacts facts;
    const HttpParseResult headers = parseHeaders(all.sliced(lineEnd + 2), limits, head.headers, facts);
    if (headers.status == HttpParseResult::Error)
        return HttpParseResult::error(502, headers.message);
    head.connectionOptions = facts.connection;
    head.keepAlive = keepsAlive(minor, facts.connection);
    head.contentLength = 0;
    if (requestWasHead || head.status < 200 || head.status == 204 || head.status == 304) {
        head.framing = BodyFraming::None;
    } else if (facts.chunked) {
        head.framing = BodyFraming::Chunked;
    } else if (facts.contentLengthCount > 0) {
        head.framing = facts.contentLength > 0 ? BodyFraming::Length : BodyFraming::None;
        head.contentLength = facts.contentLength;
    } else {
        head.framing = BodyFraming::UntilClose;
        head.keepAlive = false;
    }
    head.headLength = end;
    return {HttpParseResult::Complete};
}

const char *httpReasonPhrase(int status)
{
    switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 411: return "Length Required";
    case 413: return "Content Too Large";
    case 415: return "Unsupported Media Type";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 505: return "HTTP Version Not Supported";
    }
    // A status Fulcrum does not write today: the name of its class (RFC 9110 15).
    switch (status / 100) {
    case 1: return "Informational";
    case 2: return "Successful";
    case 3: return "Redirection";
    case 4: return "Client Error";
    default: return "Server Error";
    }
}

qsizetype ChunkedDecoder::fail(const char *message, qsizetype consumed)
{
    m_state = State::Failed;
    m_error = message;
    return consumed;
}

qsizetype ChunkedDecoder::consume(QByteArrayView data, const PayloadSink &onPayload)
{
    qsizetype i = 0;
    const qsizetype n = data.size();
    while (i < n) {
        const char c = data[i];
        switch (m_state) {
        case State::Size: {
            int digit = 0;
            if (isHexDigit(c, &digit)) {
                // 15 hex digits = 60 bits: anything longer is an overflow attempt.
                if (++m_sizeDigits > 15)
                    return fail("chunk size is too large", i);
                m_chunkLeft = m_chunkLeft * 16 + digit;
                ++i;
            } else if (m_sizeDigits == 0) {
                return fail("chunk size is not a hexadecimal number", i);
            } else if (c == ';') {
                m_state = State::SizeExt;
                ++i;
            } else if (c == '\r') {
                m_state = State::SizeLf;
                ++i;
            } else {
                return fail("invalid character after a chunk size", i);
            }
            break;
        }
        case State::SizeExt:
            if (c == '\r') {
                m_state = State::SizeLf;
            } else if (!isFieldValueChar(c)) {
                return fail("control character in a chunk extension", i);
            } else if (++m_trailerBytes > m_maxTrailerBytes) {
                return fail("chunk extensions are larger than the limit", i);
            }
            ++i;
            break;
        case State::SizeLf:
            if (c != '\n')
                return fail("chunk size line does not end with CRLF", i);
            ++i;
            m_sizeDigits = 0;
            if (m_chunkLeft == 0) {
                m_state = State::TrailerStart;
            } else {
                m_state = State::Data;
            }
            break;
        case State::Data: {
            const qsizetype take = qsizetype(qMin<qint64>(m_chunkLeft, n - i));
            if (onPayload)
                onPayload(data.sliced(i, take));
            i += take;
            m_chunkLeft -= take;
            m_payload += take;
            if (m_chunkLeft == 0)
                m_state = State::DataCr;
            break;
        }
        case State::DataCr:
            if (c != '\r')
                return fail("chunk data is longer than its size says", i);
            m_state = State::DataLf;
            ++i;
            break;
        case State::DataLf:
            if (c != '\n')
                return fail("chunk data is not followed by CRLF", i);
            m_state = State::Size;
            ++i;
            break;
        case State::TrailerStart:
            if (c == '\r') {
                m_state = State::FinalLf;
                ++i;
                break;
            }
            if (!isTokenChar(c))
                return fail(c == ' ' || c == '\t' ? "obsolete line folding in a trailer" : "invalid trailer line", i);
            m_state = State::TrailerLine;
            m_trailerHasColon = false;
            m_trailerLineLength = 0;
            break;
        case State::TrailerLine:
            if (++m_trailerBytes > m_maxTrailerBytes)
                return fail("trailers are larger than the limit", i);
            if (c == '\r') {
                if (!m_trailerHasColon)
                    return fail("trailer line without a colon", i);
                m_state = State::TrailerLf;
            } else if (!m_trailerHasColon) {
                if (c == ':' && m_trailerLineLength > 0)
                    m_trailerHasColon = true;
                else if (!isTokenChar(c))
                    return fail("invalid character in a trailer name", i);
            } else if (!isFieldValueChar(c)) {
                return fail("control character in a trailer value", i);
            }
            ++m_trailerLineLength;
            ++i;
            break;
        case State::TrailerLf:
            if (c != '\n')
                return fail("trailer line does not end with CRLF", i);
            m_state = State::TrailerStart;
            ++i;
            break;
        case State::FinalLf:
            if (c != '\n')
                return fail("chunked body does not end with CRLF", i);
            m_state = State::Done;
            return i + 1;
        case State::Done:
        case State::Failed:
            return i;
        }
    }
    return i;
}

} // namespace fulcrum
