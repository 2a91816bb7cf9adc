#pragma once

#include <QByteArrayView>
#include <QVarLengthArray>
#include <QtGlobal>

#include <cstdint>
#include <cstring>
#include <functional>
#include <vector>

namespace fulcrum {

inline char asciiLower(char c)
{
    return static_cast<unsigned char>(c - 'A') < 26 ? char(c + ('a' - 'A')) : c;
}

// Eight bytes folded at once: 'A'..'Z' become 'a'..'z', every other byte (bytes from 0x80
// included) stays as it is.
inline std::uint64_t asciiLower8(std::uint64_t x)
{
    constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
    const std::uint64_t low7 = x & (0x7f * kOnes);
    const std::uint64_t atLeastA = low7 + (0x80 - 'A') * kOnes;   // bit 7 set where low7 >= 'A'
    const std::uint64_t aboveZ = low7 + (0x80 - 'Z' - 1) * kOnes; // bit 7 set where low7 > 'Z'
    const std::uint64_t upper = atLeastA & ~aboveZ & ~x & (0x80 * kOnes);
    return x | (upper >> 2);   // 0x80 >> 2 is the 0x20 between the cases
}

// ASCII case-insensitive equality, as HTTP compares field names and tokens (RFC 9110 5.1).
// Inline, and a word at a time: Qt's qstrnicmp (out of line, Latin-1 folding) was a tenth of
// the workers' user-space instructions per request, the byte-wise loop after it still 6 %.
inline bool equalsIgnoreCase(QByteArrayView a, QByteArrayView b)
{
    if (a.size() != b.size())
        return false;
    const char *x = a.data();
    const char *y = b.data();
    const qsizetype n = a.size();
    const auto sameWord = [x, y](qsizetype at, size_t width) {
        std::uint64_t wx = 0;
        std::uint64_t wy = 0;
        std::memcpy(&wx, x + at, width);
        std::memcpy(&wy, y + at, width);
        return wx == wy || asciiLower8(wx) == asciiLower8(wy);
    };
    if (n >= 8) {
        // Whole words, the last one overlapping the one before it when n is not a multiple of 8.
        for (qsizetype i = 0; i + 8 < n; i += 8) {
            if (!sameWord(i, 8))
                return false;
        }
        return sameWord(n - 8, 8);
    }
    if (n >= 4)
        return sameWord(0, 4) && sameWord(n - 4, 4);
    for (qsizetype i = 0; i < n; ++i) {
        if (x[i] != y[i] && asciiLower(x[i]) != asciiLower(y[i]))
            return false;
    }
    return true;
}

// The field names the proxy acts on, told apart once per header line by the parser (one
// switch on the name's length and a compare), so that writing a head out again is a switch
// per header instead of a dozen name compares.
enum class HeaderKind : quint8 {
    Other,
    ContentLength,
    TransferEncoding,
    Connection,
    KeepAlive,
    ProxyConnection,
    TE,
    Upgrade,
    Expect,
    Host,
    Via,
    XForwardedFor,
    XForwardedProto,
};

namespace detail {

// Whether `name` is `known` (lowercase letters, digits and '-') in any case, a word at a time:
// each word of the name with the case bit (0x20) set where the known word has a letter (its
// bit 6, shifted) equals the known word exactly. Only 'A'..'Z' and 'a'..'z' meet a letter so;
// digits and '-' (bit 6 clear) are compared as they are. The known words and masks are
// constants of the caller's literal.
template<qsizetype N>
inline bool isKnownName(QByteArrayView name, const char (&known)[N])
{
    constexpr qsizetype n = N - 1;
    static_assert(n >= 2);
    const char *const x = name.data();
    const auto same = [x, &known]<typename Word>(qsizetype at, Word) {
        Word w;
        Word k;
        std::memcpy(&w, x + at, sizeof w);
        std::memcpy(&k, known + at, sizeof k);
        constexpr Word kBit6 = Word(0x4040404040404040ULL);
        return Word(w | Word((k & kBit6) >> 1)) == k;
    };
    if constexpr (n >= 8) {
        for (qsizetype i = 0; i + 8 < n; i += 8) {
            if (!same(i, std::uint64_t()))
                return false;
        }
        return same(n - 8, std::uint64_t());
    } else if constexpr (n >= 4) {
        return same(0, std::uint32_t()) && same(n - 4, std::uint32_t());
    } else {
        return same(0, std::uint16_t()) && same(n - 2, std::uint16_t());
    }
}

} // namespace detail

inline HeaderKind headerKind(QByteArrayView name)
{
    // A switch on the length, then the known name's words against the name's.
    const auto is = [name]<qsizetype N>(const char (&known)[N], HeaderKind kind) {
        return detail::isKnownName(name, known) ? kind : HeaderKind::Other;
    };
    switch (name.size()) {
    case 2: return is("te", HeaderKind::TE);
    case 3: return is("via", HeaderKind::Via);
    case 4: return is("host", HeaderKind::Host);
    case 6: return is("expect", HeaderKind::Expect);
    case 7: return is("upgrade", HeaderKind::Upgrade);
    case 10: return (name[0] | 0x20) == 'c' ? is("connection", HeaderKind::Connection) : is("keep-alive", HeaderKind::KeepAlive);
    case 14: return is("content-length", HeaderKind::ContentLength);
    case 15: return is("x-forwarded-for", HeaderKind::XForwardedFor);
    case 16: return is("proxy-connection", HeaderKind::ProxyConnection);
    case 17: return (name[0] | 0x20) == 't' ? is("transfer-encoding", HeaderKind::TransferEncoding) : is("x-forwarded-proto", HeaderKind::XForwardedProto);
    default: return HeaderKind::Other;
    }
}

struct HttpHeader
{
    HttpHeader(QByteArrayView name, QByteArrayView value) : name(name), value(value), kind(headerKind(name)) {}

    QByteArrayView name;
    QByteArrayView value;   // without surrounding whitespace
    HeaderKind kind;
};

// The fields every hop removes: Connection, Keep-Alive, Proxy-Connection, TE, Upgrade
// (RFC 9110 7.6.1); and with HTTP/2 (connectionSpecific) Transfer-Encoding too (RFC 9113 8.2.2).
inline bool isHopByHop(HeaderKind kind, bool connectionSpecific = false)
{
    switch (kind) {
    case HeaderKind::Connection:
    case HeaderKind::KeepAlive:
    case HeaderKind::ProxyConnection:
    case HeaderKind::TE:
    case HeaderKind::Upgrade:
        return true;
    case HeaderKind::TransferEncoding:
        return connectionSpecific;
    default:
        return false;
    }
}

inline bool isHopByHop(QByteArrayView name, bool connectionSpecific = false)
{
    return isHopByHop(headerKind(name), connectionSpecific);
}

// Where `c` first is in `v`, or -1: memchr, where QByteArrayView::indexOf(char) goes through
// Qt's generic substring search.
inline qsizetype indexOfChar(QByteArrayView v, char c, qsizetype from = 0)
{
    if (from >= v.size())
        return -1;
    const void *at = std::memchr(v.data() + from, c, size_t(v.size() - from));
    return at ? static_cast<const char *>(at) - v.data() : -1;
}


// The Connection options of a head (RFC 9110 7.6.1), noted by the parser as it reads them.
enum ConnectionOption : quint8 {
    ConnectionClose = 1,
    ConnectionKeepAlive = 2,
    ConnectionUpgrade = 4,
    // Any other token ("close" included): a field name the next hop must not see.
    // "keep-alive" and "upgrade" name fields that are dropped as hop-by-hop anyway.
    ConnectionNamesOther = 8,
};

// The field names a head's Connection headers list: hop-by-hop too (RFC 9110 7.6.1). Read
// once per head, not once per header.
class ConnectionTokens
{
public:
    // options: the head's connectionOptions. Without ConnectionNamesOther the headers are not
    // read (the list would only name fields that are dropped anyway): the usual head pays
    // nothing.
    explicit ConnectionTokens(const std::vector<HttpHeader> &headers, quint8 options = ConnectionNamesOther);
    bool names(QByteArrayView name) const
    {
        for (const QByteArrayView n : m_names) {
            if (equalsIgnoreCase(n, name))
                return true;
        }
        return false;
    }

private:
    QVarLengthArray<QByteArrayView, 4> m_names;
};

enum class BodyFraming { None, Length, Chunked, UntilClose };

// Where a parse stands. On Error, httpStatus says what to answer (400, 431, 501, 505) and
// message says why, for the log and the response body.
struct HttpParseResult
{
    enum Status { Incomplete, Complete, Error } status = Incomplete;
    int httpStatus = 0;
    const char *message = "";

    static HttpParseResult error(int httpStatus, const char *message) { return {Error, httpStatus, message}; }
};

// A parsed request line and header block. Every view points into the buffer given to the
// parser, which must stay unchanged while they are used.
struct HttpRequestHead
{
    QByteArrayView method;
    QByteArrayView target;
    int versionMinor = 1;
    std::vector<HttpHeader> headers;
    BodyFraming framing = BodyFraming::None;
    qint64 contentLength = 0;
    bool keepAlive = true;
    quint8 connectionOptions = 0;   // ConnectionOption bits
    bool expectContinue = false;
    bool hasHost = false;
    qsizetype headLength = 0;       // bytes up to and including the empty line

    // GET, HEAD, PUT, DELETE, OPTIONS (RFC 9110 9.2.2 minus TRACE): safe to send twice.
    bool idempotent() const;
    QByteArrayView header(QByteArrayView name) const;
    // The target in origin form (RFC 9112 3.2): an absolute-form target ("http://shop/p?q")
    // without its scheme and host ("/p?q"; "/" when it names no path), any other as it is.
    QByteArrayView originTarget() const;
    // originTarget() up to its query.
    QByteArrayView path() const;
    // The host the request is for: an absolute-form target's own, else Host (RFC 9112 3.2.2).
    QByteArrayView hostAsked() const;
};

struct HttpResponseHead
{
    int status = 0;
    int versionMinor = 1;
    std::vector<HttpHeader> headers;
    BodyFraming framing = BodyFraming::UntilClose;
    qint64 contentLength = 0;
    bool keepAlive = true;
    quint8 connectionOptions = 0;   // ConnectionOption bits
    qsizetype headLength = 0;
    qsizetype statusLineLength = 0; // without its CRLF

    QByteArrayView header(QByteArrayView name) const;
};

struct HttpLimits
{
    qint64 maxHeadBytes = 16 * 1024;    // request line + headers; beyond: 431
    int maxHeaders = 100;               // beyond: 431
    // A request Transfer-Encoding other than exactly "chunked": 400 where its body cannot be
    // delimited safely (the proxy, RFC 9112 6.3); a server that only reads bodies may say 501,
    // "not implemented" (RFC 9112 6.1; the demo backend).
    int unknownTransferCodingStatus = 400;
};

// Strict HTTP/1.1 head parsing (RFC 9112), tuned against request smuggling: CRLF only,
// no obsolete line folding, no whitespace before a colon, exactly one valid Content-Length,
// Transfer-Encoding only as "chunked" and never together with Content-Length.
HttpParseResult parseRequestHead(QByteArrayView data, const HttpLimits &limits, HttpRequestHead &head);
// requestWasHead: a response to HEAD has no body whatever its headers say.
HttpParseResult parseResponseHead(QByteArrayView data, const HttpLimits &limits, bool requestWasHead, HttpResponseHead &head);

namespace detail {

// Where a head ends, as the parser finds it (exposed for the tests).
struct HeadEnd
{
    qsizetype length = 0;          // bytes including the "\r\n\r\n"; 0 when not yet there, -1 on a bare LF
    qsizetype firstLineEnd = -1;   // where the first line's CRLF starts, when length > 0
};
#if defined(__SSE2__)
HeadEnd findHeadEndSse2(QByteArrayView data);   // what the parser uses where the build has SSE2
#endif
HeadEnd findHeadEndPortable(QByteArrayView data);   // and elsewhere

// Where the token characters (RFC 9110 5.6.2 tchar) from `p` end; a byte that is not one must
// be there before `end`.
#if defined(__SSE2__)
const char *tokenEndSse2(const char *p, const char *end);
#endif
const char *tokenEndPortable(const char *p, const char *end);

} // namespace detail

// The reason phrase of a status line (RFC 9110 15): the one table of every HTTP answer Fulcrum
// writes (proxy, admin API, demo backend).
const char *httpReasonPhrase(int status);

// Follows a chunked body as it streams past, without copying it: tells how many of the
// given bytes belong to the body and rejects malformed chunk sizes, extensions and trailers.
class ChunkedDecoder
{
public:
    explicit ChunkedDecoder(qint64 maxTrailerBytes = 16 * 1024) : m_maxTrailerBytes(maxTrailerBytes) {}

    using PayloadSink = std::function<void(QByteArrayView payload)>;

    // Consumes up to the end of the body; returns the number of bytes that belong to it.
    // onPayload, when given, sees the body's data without the chunk framing, piece by piece.
    qsizetype consume(QByteArrayView data, const PayloadSink &onPayload = {});
    bool done() const { return m_state == State::Done; }
    bool failed() const { return m_state == State::Failed; }
    const char *error() const { return m_error; }
    qint64 payloadBytes() const { return m_payload; }
    void reset() { *this = ChunkedDecoder(m_maxTrailerBytes); }

private:
    enum class State { Size, SizeExt, SizeLf, Data, DataCr, DataLf, TrailerStart, TrailerLine, TrailerLf, FinalLf, Done, Failed };
    qsizetype fail(const char *message, qsizetype consumed);

    State m_state = State::Size;
    qint64 m_maxTrailerBytes;
    qint64 m_chunkLeft = 0;
    int m_sizeDigits = 0;
    qint64 m_trailerBytes = 0;
    qint64 m_payload = 0;
    bool m_trailerHasColon = false;
    qsizetype m_trailerLineLength = 0;
    const char *m_error = "";
};

} // namespace fulcrum
