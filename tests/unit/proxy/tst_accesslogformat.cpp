// The access log's two formats, byte by byte: whatever a client sends in a header or a target,
// a text line stays one line with its quotes and spaces where they belong, and a JSON line is
// valid JSON that reads back the same text (bytes that are not UTF-8 as U+00XX).
#include "common/wallclock.h"
#include "proxy/accesslog.h"

#include <QDateTime>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstring>

using namespace fulcrum;

namespace {

// The time a line is stamped with: the project's clock now (faketime moves it), read once.
const QDateTime kAt = wallclock::nowUtc();
const qint64 kWall = kAt.toMSecsSinceEpoch();

QString latin1OrUtf8(const QByteArray &bytes)
{
    // What a JSON reader must see: valid UTF-8 as itself, every other byte as U+00XX.
    QString out;
    for (qsizetype i = 0; i < bytes.size();) {
        const auto c = static_cast<unsigned char>(bytes.at(i));
        if (c < 0x80) {
            out += QChar(char16_t(c));
            ++i;
            continue;
        }
        int length = c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
        const QString decoded = length && i + length <= bytes.size() ? QString::fromUtf8(bytes.mid(i, length)) : QString();
        if (length && decoded.size() >= 1 && !decoded.contains(QChar::ReplacementCharacter) && decoded.toUtf8() == bytes.mid(i, length)) {
            out += decoded;
            i += length;
        } else {
            out += QChar(char16_t(c));
            ++i;
        }
    }
    return out;
}

} // namespace

class TestAccessLogFormat : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void everyByteInAJsonStringReadsBack()
    {
        const QString pool = QStringLiteral("web");
        for (int byte = 0; byte < 256; ++byte) {
            const QByteArray values[] = {QByteArray(1, char(byte)), QByteArray("a").append(char(byte)).append('b'), QByteArray("\xc3").append(char(byte))};
            for (const QByteArray &value : values) {
                AccessRecord r;
                r.clientIp = "10.0.0.7";
                r.method = "GET";
                r.target = value;
                r.userAgent = value;
                r.protocol = "HTTP/1.1";
                r.status = 200;
                r.pool = &pool;
                const std::string line = AccessLog::format(r, AccessLogConfig::Format::Json, kWall);
                QVERIFY(line.back() == '\n');
                QCOMPARE(int(std::count(line.begin(), line.end(), '\n')), 1);
                QJsonParseError error;
                const QJsonObject o = QJsonDocument::fromJson(QByteArray::fromStdString(line), &error).object();
                QVERIFY2(error.error == QJsonParseError::NoError, qPrintable(QStringLiteral("byte %1: %2: %3").arg(byte).arg(error.errorString(), QString::fromStdString(line))));
                QCOMPARE(o.value(u"target").toString(), latin1OrUtf8(value));
                QCOMPARE(o.value(u"user_agent").toString(), latin1OrUtf8(value));
            }
        }
        // Well-formed multi-byte UTF-8 is kept as it is.
        AccessRecord r;
        r.method = "GET";
        r.target = "/caf\xc3\xa9/\xe2\x82\xac/\xf0\x9f\x9b\x92";
        const std::string line = AccessLog::format(r, AccessLogConfig::Format::Json, kWall);
        QVERIFY2(line.find("/caf\xc3\xa9/\xe2\x82\xac/\xf0\x9f\x9b\x92") != std::string::npos, line.c_str());
        // Overlong forms and surrogates are not UTF-8.
        r.target = "\xc0\xaf\xed\xa0\x80";
        QCOMPARE(QJsonDocument::fromJson(QByteArray::fromStdString(AccessLog::format(r, AccessLogConfig::Format::Json, kWall))).object().value(u"target").toString(),
                 QStringLiteral("\u00c0\u00af\u00ed\u00a0\u0080"));
    }

    void everyByteInATextLineIsEscaped()
    {
        const QString pool = QStringLiteral("web");
        for (int byte = 0; byte < 256; ++byte) {
            AccessRecord r;
            r.clientIp = "10.0.0.7";
            r.method = "GET";
            r.target = "/x";
            r.protocol = "HTTP/1.1";
            const QByteArray value = QByteArray("a").append(char(byte)).append('b');
            r.userAgent = value;
            r.requestId = value;
            r.status = 200;
            r.pool = &pool;
            const QByteArray line = QByteArray::fromStdString(AccessLog::format(r, AccessLogConfig::Format::Text, kWall));
            QCOMPARE(int(line.count('\n')), 1);
            QVERIFY(line.endsWith('\n'));
            // Only printable ASCII in a line, and quotes only where fields start and end.
            for (const char c : line.chopped(1))
                QVERIFY2(static_cast<unsigned char>(c) >= 0x20 && static_cast<unsigned char>(c) < 0x7f, line.constData());
            QByteArray expected;
            if (byte == '"' || byte == '\\')
                expected = QByteArray("a\\").append(char(byte)).append('b');
            else if (byte < 0x20 || byte >= 0x7f)
                expected = QByteArray("a\\x").append(QByteArray::number(byte, 16).rightJustified(2, '0')).append('b');
            else
                expected = value;
            QVERIFY2(line.contains("\"" + expected + "\" host="), line.constData());
            QVERIFY2(line.endsWith(" request_id=\"" + expected + "\"\n"), line.constData());
        }
    }

    void aTextLineReadsAsNginxCombined()
    {
        const QString pool = QStringLiteral("checkout");
        const QString server = QStringLiteral("app 2");   // a space in a name cannot split a field
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_port = htons(8080);
        inet_pton(AF_INET, "10.0.1.12", &address.sin_addr);
        SocketAddress upstream;
        std::memcpy(&upstream.address, &address, sizeof address);
        upstream.addressLength = sizeof address;
        AccessRecord r;
        r.clientIp = "10.0.0.7";
        r.method = "GET";
        r.target = "/cart?id=7";
        r.protocol = "HTTP/1.1";
        r.https = true;
        r.host = "shop.example";
        r.referer = "https://shop.example/";
        r.userAgent = "Mozilla/5.0";
        r.requestId = "9f1c";
        r.status = 502;
        r.bytesIn = 412;
        r.bytesOut = 231;
        r.durationNs = 3'214'400;
        r.pool = &pool;
        r.server = &server;
        r.upstream = &upstream;
        r.tries = 2;
        r.end = "connect-failed";
        r.error = "server app2 (10.0.1.12:8080) of pool \"checkout\": connection failed: Connection refused";
        QCOMPARE(QByteArray::fromStdString(AccessLog::format(r, AccessLogConfig::Format::Text, kWall)),
                 QByteArray("10.0.0.7 - - [" + kAt.toString(QStringLiteral("dd/MMM/yyyy:HH:mm:ss")).toLatin1() + " +0000] \"GET /cart?id=7 HTTP/1.1\" 502 231 \"https://shop.example/\" \"Mozilla/5.0\" "
                            "host=\"shop.example\" scheme=https pool=checkout server=app\\x202 upstream=10.0.1.12:8080 upstream_status=- tries=2 "
                            "bytes_in=412 time_ms=3.214 connect_ms=- header_ms=- end=connect-failed request_id=\"9f1c\" "
                            "error=\"server app2 (10.0.1.12:8080) of pool \\\"checkout\\\": connection failed: Connection refused\"\n"));
        const QJsonObject o = QJsonDocument::fromJson(QByteArray::fromStdString(AccessLog::format(r, AccessLogConfig::Format::Json, kWall))).object();
        QCOMPARE(o.value(u"time").toString(), kAt.toString(Qt::ISODateWithMs));
        QCOMPARE(o.value(u"server").toString(), server);
        QCOMPARE(o.value(u"upstream").toString(), QStringLiteral("10.0.1.12:8080"));
        QCOMPARE(o.value(u"duration_ms").toDouble(), 3.214);
        QVERIFY(o.value(u"upstream_status").isNull());
        QVERIFY(o.value(u"connect_ms").isNull());
        QCOMPARE(o.value(u"end").toString(), QStringLiteral("connect-failed"));
        QCOMPARE(o.value(u"error").toString(), QString::fromLatin1(r.error.toByteArray()));
        // IPv6, and a request the proxy could not read.
        sockaddr_in6 address6{};
        address6.sin6_family = AF_INET6;
        address6.sin6_port = htons(443);
        inet_pton(AF_INET6, "fd00::12", &address6.sin6_addr);
        std::memcpy(&upstream.address, &address6, sizeof address6);
        upstream.addressLength = sizeof address6;
        r.method = {};
        r.status = 400;
        const QByteArray bad = QByteArray::fromStdString(AccessLog::format(r, AccessLogConfig::Format::Text, kWall));
        QVERIFY2(bad.contains("] \"-\" 400 231 ") && bad.contains(" upstream=[fd00::12]:443 "), bad.constData());
        const QJsonObject badJson = QJsonDocument::fromJson(QByteArray::fromStdString(AccessLog::format(r, AccessLogConfig::Format::Json, kWall))).object();
        QVERIFY(badJson.value(u"method").isNull() && badJson.value(u"target").isNull() && badJson.value(u"protocol").isNull());
        // Times are rounded to the microsecond.
        r.durationNs = 999'999'499;
        QVERIFY(QByteArray::fromStdString(AccessLog::format(r, AccessLogConfig::Format::Text, kWall)).contains(" time_ms=999.999 "));
        r.durationNs = 500;
        QVERIFY(QByteArray::fromStdString(AccessLog::format(r, AccessLogConfig::Format::Text, kWall)).contains(" time_ms=0.001 "));
    }
};

QTEST_GUILESS_MAIN(TestAccessLogFormat)
#include "tst_accesslogformat.moc"
