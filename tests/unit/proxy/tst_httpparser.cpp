#include "proxy/httpparser.h"

#include <QTest>

#include <cctype>

using namespace fulcrum;

class TestHttpParser : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void acceptsRequest_data();
    void acceptsRequest();
    void rejectsRequest_data();
    void rejectsRequest();
    void waitsForCompleteHead();
    void limitsHeadSize();
    void parsesResponse_data();
    void parsesResponse();
    void chunked_data();
    void chunked();
    void chunkedByteByByte();
    void chunkedPayloadWithoutFraming();
    void unknownTransferCodingStatusIsTheServers();
    void reasonPhrases();
    void headerLineErrorsNameTheProblem_data();
    void headerLineErrorsNameTheProblem();
    void comparesTokensAsAscii();
    void tellsTheFieldsItActsOn();
    void findsCharacters();
    void responseKnowsItsStatusLine();
    void valueBytesAreCheckedAtEveryPosition();
    void findsTheHeadEndAtEveryOffset();
    void nameBytesAreCheckedAtEveryPosition();
};

void TestHttpParser::acceptsRequest_data()
{
    QTest::addColumn<QByteArray>("request");
    QTest::addColumn<QByteArray>("method");
    QTest::addColumn<QByteArray>("target");
    QTest::addColumn<int>("framing");
    QTest::addColumn<qint64>("length");
    QTest::addColumn<bool>("keepAlive");

    QTest::newRow("get") << QByteArray("GET /a?b=1 HTTP/1.1\r\nHost: x\r\n\r\n") << QByteArray("GET") << QByteArray("/a?b=1") << int(BodyFraming::None) << qint64(0) << true;
    QTest::newRow("content-length") << QByteArray("POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 12\r\n\r\n") << QByteArray("POST") << QByteArray("/p") << int(BodyFraming::Length) << qint64(12) << true;
    QTest::newRow("content-length 0") << QByteArray("POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n") << QByteArray("POST") << QByteArray("/p") << int(BodyFraming::None) << qint64(0) << true;
    QTest::newRow("content-length leading zeros") << QByteArray("POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 007\r\n\r\n") << QByteArray("POST") << QByteArray("/p") << int(BodyFraming::Length) << qint64(7) << true;
    QTest::newRow("content-length 18 digits") << QByteArray("POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 999999999999999999\r\n\r\n") << QByteArray("POST") << QByteArray("/p") << int(BodyFraming::Length) << qint64(999999999999999999LL) << true;
    QTest::newRow("chunked any case") << QByteArray("PUT /u HTTP/1.1\r\nHost: x\r\ntransfer-encoding: Chunked\r\n\r\n") << QByteArray("PUT") << QByteArray("/u") << int(BodyFraming::Chunked) << qint64(-1) << true;
    QTest::newRow("connection close") << QByteArray("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n") << QByteArray("GET") << QByteArray("/") << int(BodyFraming::None) << qint64(0) << false;
    QTest::newRow("http/1.0 default close") << QByteArray("GET / HTTP/1.0\r\n\r\n") << QByteArray("GET") << QByteArray("/") << int(BodyFraming::None) << qint64(0) << false;
    QTest::newRow("http/1.0 keep-alive") << QByteArray("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n") << QByteArray("GET") << QByteArray("/") << int(BodyFraming::None) << qint64(0) << true;
    QTest::newRow("leading empty line") << QByteArray("\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n") << QByteArray("GET") << QByteArray("/") << int(BodyFraming::None) << qint64(0) << true;
    QTest::newRow("whitespace around value") << QByteArray("GET / HTTP/1.1\r\nHost:   x \t\r\nX-A:\r\n\r\n") << QByteArray("GET") << QByteArray("/") << int(BodyFraming::None) << qint64(0) << true;
    QTest::newRow("obs-text in value") << QByteArray("GET / HTTP/1.1\r\nHost: x\r\nX-Name: caf\xc3\xa9\r\n\r\n") << QByteArray("GET") << QByteArray("/") << int(BodyFraming::None) << qint64(0) << true;
}

void TestHttpParser::acceptsRequest()
{
    QFETCH(QByteArray, request);
    QFETCH(QByteArray, method);
    QFETCH(QByteArray, target);
    QFETCH(int, framing);
    QFETCH(qint64, length);
    QFETCH(bool, keepAlive);

    const QByteArray withBody = request + "trailing body bytes";
    HttpRequestHead head;
    const HttpParseResult result = parseRequestHead(withBody, HttpLimits{}, head);
    QVERIFY2(result.status == HttpParseResult::Complete, result.message);
    QCOMPARE(head.method, QByteArrayView(method));
    QCOMPARE(head.target, QByteArrayView(target));
    QCOMPARE(int(head.framing), framing);
    QCOMPARE(head.contentLength, length);
    QCOMPARE(head.keepAlive, keepAlive);
    QCOMPARE(head.headLength, request.size());
}

void TestHttpParser::rejectsRequest_data()
{
    QTest::addColumn<QByteArray>("request");
    QTest::addColumn<int>("status");

    // Request smuggling shapes (the proxy must never forward these).
    QTest::newRow("CL + TE") << QByteArray("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n") << 400;
    QTest::newRow("TE + CL") << QByteArray("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n") << 400;
    QTest::newRow("duplicate CL, same value") << QByteArray("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n") << 400;
    QTest::newRow("duplicate CL, different") << QByteArray("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n") << 400;
    QTest::newRow("CL list") << QByteArray("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5, 5\r\n\r\n") << 400;
    QTest::newRow("CL negative") << QByteArray("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n") << 400;
    QTest::newRow("CL plus sign") << QByteArray("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: +5\r\n\r\n") << 400;
    QTest::newRow("CL hex") << QByteArray("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0x5\r\n\r\n") << 400;
    QTest::newRow("CL 19 digits") << QByteArray("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000000000000000\r\n\r\n") << 400;
    QTest::newRow("CL empty") << QByteArray("POST / HTTP/1.1\r\nHost: x\r\nContent-Length:\r\n\r\n") << 400;
    QTest::newRow("CL digit then space inside") << QByteArray("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1 2\r\n\r\n") << 400;
    QTest::newRow("CL empty") << QByteArray("POST / HTTP/1.1\r\nHost: x\r\nContent-Length:\r\n\r\n") << 400;
    QTest::newRow("CL overflow") << QByteArray("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999\r\n\r\n") << 400;
    QTest::newRow("space before colon") << QByteArray("POST / HTTP/1.1\r\nHost: x\r\nContent-Length : 5\r\n\r\n") << 400;
    QTest::newRow("obs-fold") << QByteArray("GET / HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n") << 400;
    QTest::newRow("obs-fold tab") << QByteArray("GET / HTTP/1.1\r\nHost: x\r\nX-A: a\r\n\tb\r\n\r\n") << 400;
    QTest::newRow("TE gzip") << QByteArray("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n") << 400;
    QTest::newRow("TE gzip, chunked") << QByteArray("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n") << 400;
    QTest::newRow("TE chunked twice") << QByteArray("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n") << 400;
    QTest::newRow("TE xchunked") << QByteArray("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: xchunked\r\n\r\n") << 400;
    QTest::newRow("TE in HTTP/1.0") << QByteArray("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n") << 400;
    QTest::newRow("bare LF") << QByteArray("GET / HTTP/1.1\nHost: x\n\n") << 400;
    QTest::newRow("bare CR in value") << QByteArray("GET / HTTP/1.1\r\nHost: x\r\nX-A: a\rb\r\n\r\n") << 400;
    QTest::newRow("NUL in value") << QByteArray("GET / HTTP/1.1\r\nHost: x\r\nX-A: a\0b\r\n\r\n", 37) << 400;
    // Malformed.
    QTest::newRow("no host") << QByteArray("GET / HTTP/1.1\r\n\r\n") << 400;
    QTest::newRow("two hosts") << QByteArray("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n") << 400;
    QTest::newRow("no version") << QByteArray("GET /\r\nHost: x\r\n\r\n") << 400;
    QTest::newRow("extra space") << QByteArray("GET  / HTTP/1.1\r\nHost: x\r\n\r\n") << 400;
    QTest::newRow("space in target") << QByteArray("GET /a b HTTP/1.1\r\nHost: x\r\n\r\n") << 400;
    QTest::newRow("bad method") << QByteArray("G(T / HTTP/1.1\r\nHost: x\r\n\r\n") << 400;
    QTest::newRow("lowercase version") << QByteArray("GET / http/1.1\r\nHost: x\r\n\r\n") << 400;
    QTest::newRow("http/2") << QByteArray("GET / HTTP/2.0\r\nHost: x\r\n\r\n") << 505;
    QTest::newRow("no colon") << QByteArray("GET / HTTP/1.1\r\nHost: x\r\nnonsense\r\n\r\n") << 400;
    QTest::newRow("empty name") << QByteArray("GET / HTTP/1.1\r\nHost: x\r\n: v\r\n\r\n") << 400;
    QTest::newRow("TLS hello, no terminator") << QByteArray("\x16\x03\x01\x02\x00\x01", 6) << 400;
}

void TestHttpParser::rejectsRequest()
{
    QFETCH(QByteArray, request);
    QFETCH(int, status);
    HttpRequestHead head;
    const HttpParseResult result = parseRequestHead(request, HttpLimits{}, head);
    QCOMPARE(result.status, HttpParseResult::Error);
    QCOMPARE(result.httpStatus, status);
    QVERIFY(qstrlen(result.message) > 0);
}

void TestHttpParser::waitsForCompleteHead()
{
    const QByteArray request("GET / HTTP/1.1\r\nHost: x\r\nX-Long: abcdef\r\n\r\n");
    HttpRequestHead head;
    for (qsizetype n = 0; n < request.size(); ++n)
        QCOMPARE(parseRequestHead(QByteArrayView(request).first(n), HttpLimits{}, head).status, HttpParseResult::Incomplete);
    QCOMPARE(parseRequestHead(request, HttpLimits{}, head).status, HttpParseResult::Complete);
}

void TestHttpParser::limitsHeadSize()
{
    HttpLimits limits;
    limits.maxHeadBytes = 1024;
    HttpRequestHead head;
    const QByteArray big = "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + QByteArray(2000, 'a');
    QCOMPARE(parseRequestHead(big, limits, head).httpStatus, 431);
    QCOMPARE(parseRequestHead(big + "\r\n\r\n", limits, head).httpStatus, 431);
    const QByteArray longLine = "GET /" + QByteArray(2000, 'a');
    QCOMPARE(parseRequestHead(longLine, limits, head).httpStatus, 431);
    QByteArray many = "GET / HTTP/1.1\r\nHost: x\r\n";
    for (int i = 0; i < 200; ++i)
        many += "X: y\r\n";
    QCOMPARE(parseRequestHead(many + "\r\n", HttpLimits{}, head).httpStatus, 431);
    const QByteArray justFits = "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + QByteArray(1024 - 36, 'a') + "\r\n\r\n";
    QCOMPARE(justFits.size(), 1024);
    QCOMPARE(parseRequestHead(justFits, limits, head).status, HttpParseResult::Complete);
}

void TestHttpParser::parsesResponse_data()
{
    QTest::addColumn<QByteArray>("response");
    QTest::addColumn<bool>("requestWasHead");
    QTest::addColumn<int>("status");
    QTest::addColumn<int>("framing");
    QTest::addColumn<bool>("keepAlive");
    QTest::addColumn<bool>("ok");

    QTest::newRow("200 length") << QByteArray("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n") << false << 200 << int(BodyFraming::Length) << true << true;
    QTest::newRow("200 no reason") << QByteArray("HTTP/1.1 200\r\nContent-Length: 3\r\n\r\n") << false << 200 << int(BodyFraming::Length) << true << true;
    QTest::newRow("chunked") << QByteArray("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n") << false << 200 << int(BodyFraming::Chunked) << true << true;
    QTest::newRow("until close") << QByteArray("HTTP/1.1 200 OK\r\n\r\n") << false << 200 << int(BodyFraming::UntilClose) << false << true;
    QTest::newRow("head") << QByteArray("HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n") << true << 200 << int(BodyFraming::None) << true << true;
    QTest::newRow("204") << QByteArray("HTTP/1.1 204 No Content\r\n\r\n") << false << 204 << int(BodyFraming::None) << true << true;
    QTest::newRow("304") << QByteArray("HTTP/1.1 304 Not Modified\r\n\r\n") << false << 304 << int(BodyFraming::None) << true << true;
    QTest::newRow("100") << QByteArray("HTTP/1.1 100 Continue\r\n\r\n") << false << 100 << int(BodyFraming::None) << true << true;
    QTest::newRow("1.0 close") << QByteArray("HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\n") << false << 200 << int(BodyFraming::Length) << false << true;
    QTest::newRow("CL + TE") << QByteArray("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n") << false << 0 << 0 << false << false;
    QTest::newRow("garbage") << QByteArray("SSH-2.0-OpenSSH\r\n\r\n") << false << 0 << 0 << false << false;
}

void TestHttpParser::parsesResponse()
{
    QFETCH(QByteArray, response);
    QFETCH(bool, requestWasHead);
    QFETCH(int, status);
    QFETCH(int, framing);
    QFETCH(bool, keepAlive);
    QFETCH(bool, ok);
    HttpResponseHead head;
    const HttpParseResult result = parseResponseHead(response, HttpLimits{}, requestWasHead, head);
    if (!ok) {
        QCOMPARE(result.status, HttpParseResult::Error);
        QCOMPARE(result.httpStatus, 502);
        return;
    }
    QVERIFY2(result.status == HttpParseResult::Complete, result.message);
    QCOMPARE(head.status, status);
    QCOMPARE(int(head.framing), framing);
    QCOMPARE(head.keepAlive, keepAlive);
    QCOMPARE(head.headLength, response.size());
}

void TestHttpParser::chunked_data()
{
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<bool>("ok");
    QTest::addColumn<qint64>("payload");

    QTest::newRow("simple") << QByteArray("5\r\nhello\r\n0\r\n\r\n") << true << qint64(5);
    QTest::newRow("two chunks, hex") << QByteArray("a\r\n0123456789\r\nA\r\n0123456789\r\n0\r\n\r\n") << true << qint64(20);
    QTest::newRow("extension") << QByteArray("5;name=value\r\nhello\r\n0;x\r\n\r\n") << true << qint64(5);
    QTest::newRow("trailers") << QByteArray("5\r\nhello\r\n0\r\nX-Checksum: abc\r\nX-Other: 1\r\n\r\n") << true << qint64(5);
    QTest::newRow("leading zeros") << QByteArray("0005\r\nhello\r\n0\r\n\r\n") << true << qint64(5);
    QTest::newRow("empty size") << QByteArray("\r\nhello\r\n0\r\n\r\n") << false << qint64(0);
    QTest::newRow("negative size") << QByteArray("-5\r\nhello\r\n0\r\n\r\n") << false << qint64(0);
    QTest::newRow("0x prefix") << QByteArray("0x5\r\nhello\r\n0\r\n\r\n") << false << qint64(0);
    QTest::newRow("space after size") << QByteArray("5 \r\nhello\r\n0\r\n\r\n") << false << qint64(0);
    QTest::newRow("overflow") << QByteArray("10000000000000000\r\nhello\r\n0\r\n\r\n") << false << qint64(0);
    QTest::newRow("size LF only") << QByteArray("5\nhello\r\n0\r\n\r\n") << false << qint64(0);
    QTest::newRow("data longer than size") << QByteArray("3\r\nhello\r\n0\r\n\r\n") << false << qint64(0);
    QTest::newRow("data not followed by CRLF") << QByteArray("5\r\nhelloXY0\r\n\r\n") << false << qint64(0);
    QTest::newRow("trailer obs-fold") << QByteArray("0\r\nX-A: 1\r\n b\r\n\r\n") << false << qint64(0);
    QTest::newRow("trailer without colon") << QByteArray("0\r\nnonsense\r\n\r\n") << false << qint64(0);
    QTest::newRow("control in extension") << QByteArray("5;a\x01\r\nhello\r\n0\r\n\r\n") << false << qint64(0);
    QTest::newRow("final without CRLF") << QByteArray("0\r\n\rX") << false << qint64(0);
}

void TestHttpParser::chunked()
{
    QFETCH(QByteArray, body);
    QFETCH(bool, ok);
    QFETCH(qint64, payload);
    ChunkedDecoder decoder;
    const QByteArray withNext = body + "GET /next";
    const qsizetype used = decoder.consume(withNext);
    if (!ok) {
        QVERIFY(decoder.failed());
        QVERIFY(!decoder.done());
        return;
    }
    QVERIFY2(decoder.done(), decoder.error());
    QCOMPARE(used, body.size());
    QCOMPARE(decoder.payloadBytes(), payload);
}

void TestHttpParser::chunkedByteByByte()
{
    const QByteArray body("1a;ext\r\nabcdefghijklmnopqrstuvwxyz\r\n3\r\nabc\r\n0\r\nT: v\r\n\r\n");
    ChunkedDecoder decoder;
    for (qsizetype i = 0; i < body.size(); ++i) {
        QVERIFY(!decoder.done());
        QCOMPARE(decoder.consume(QByteArrayView(body).sliced(i, 1)), 1);
        QVERIFY2(!decoder.failed(), decoder.error());
    }
    QVERIFY(decoder.done());
    QCOMPARE(decoder.payloadBytes(), 29);
    QCOMPARE(decoder.consume("more"), 0);
}

void TestHttpParser::chunkedPayloadWithoutFraming()
{
    const QByteArray body("1a;ext\r\nabcdefghijklmnopqrstuvwxyz\r\n3\r\nabc\r\n0\r\nT: v\r\n\r\n");
    for (qsizetype piece : {qsizetype(1), qsizetype(7), body.size()}) {
        ChunkedDecoder decoder;
        QByteArray payload;
        for (qsizetype i = 0; i < body.size(); i += piece)
            decoder.consume(QByteArrayView(body).sliced(i, std::min(piece, body.size() - i)), [&](QByteArrayView data) { payload += data; });
        QVERIFY2(decoder.done(), decoder.error());
        QCOMPARE(payload, QByteArray("abcdefghijklmnopqrstuvwxyzabc"));
    }
}

void TestHttpParser::unknownTransferCodingStatusIsTheServers()
{
    const QByteArray gzip("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n");
    HttpRequestHead head;
    HttpLimits server;
    server.unknownTransferCodingStatus = 501;
    QCOMPARE(parseRequestHead(gzip, server, head).httpStatus, 501);
    // The smuggling shapes stay 400 whatever the server says about codings.
    QCOMPARE(parseRequestHead("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", server, head).httpStatus, 400);
    QCOMPARE(parseRequestHead("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", server, head).httpStatus, 400);
}

void TestHttpParser::reasonPhrases()
{
    QCOMPARE(httpReasonPhrase(200), "OK");
    QCOMPARE(httpReasonPhrase(405), "Method Not Allowed");
    QCOMPARE(httpReasonPhrase(413), "Content Too Large");
    QCOMPARE(httpReasonPhrase(502), "Bad Gateway");
    // One Fulcrum never writes: its class.
    QCOMPARE(httpReasonPhrase(418), "Client Error");
    QCOMPARE(httpReasonPhrase(599), "Server Error");
}

void TestHttpParser::headerLineErrorsNameTheProblem_data()
{
    QTest::addColumn<QByteArray>("line");
    QTest::addColumn<QByteArray>("message");
    QTest::newRow("space before the colon") << QByteArray("X-A : 1") << QByteArray("invalid character in a header name (whitespace before the colon is not accepted)");
    QTest::newRow("space inside the name") << QByteArray("X A: 1") << QByteArray("invalid character in a header name (whitespace before the colon is not accepted)");
    QTest::newRow("control character in the name") << QByteArray("X\x01A: 1") << QByteArray("invalid character in a header name (whitespace before the colon is not accepted)");
    QTest::newRow("no name") << QByteArray(": 1") << QByteArray("header line without a name and colon");
    QTest::newRow("no colon") << QByteArray("X-A") << QByteArray("header line without a name and colon");
    QTest::newRow("no colon, a space") << QByteArray("X-A 1") << QByteArray("header line without a name and colon");
    QTest::newRow("control character in the value") << QByteArray("X-A: a\x01b") << QByteArray("control character in a header value");
    QTest::newRow("DEL in the value") << QByteArray("X-A: a\x7f") << QByteArray("control character in a header value");
    QTest::newRow("lone CR in the value") << QByteArray("X-A: a\rb") << QByteArray("control character in a header value");
    QTest::newRow("lone CR ending the value") << QByteArray("X-A: abcdefghijkl\r") << QByteArray("control character in a header value");
}

// What the 400 says is what the client's developer reads: each malformed line names its fault.
void TestHttpParser::headerLineErrorsNameTheProblem()
{
    QFETCH(QByteArray, line);
    QFETCH(QByteArray, message);
    HttpRequestHead head;
    const HttpParseResult result = parseRequestHead("GET / HTTP/1.1\r\nHost: x\r\n" + line + "\r\n\r\n", HttpLimits{}, head);
    QCOMPARE(result.status, HttpParseResult::Error);
    QCOMPARE(result.httpStatus, 400);
    QCOMPARE(QByteArray(result.message), message);
}

// Field names and tokens compare as ASCII without case (RFC 9110 5.1): letters fold, nothing
// else does (not the punctuation one bit away, not Latin-1 letters).
void TestHttpParser::comparesTokensAsAscii()
{
    QVERIFY(equalsIgnoreCase("Content-Length", "content-length"));
    QVERIFY(equalsIgnoreCase("KEEP-ALIVE", "keep-alive"));
    QVERIFY(equalsIgnoreCase("", ""));
    QVERIFY(!equalsIgnoreCase("content-length", "content-lengthx"));
    QVERIFY(!equalsIgnoreCase("content-lengtH", "content-lengtx"));
    QVERIFY(!equalsIgnoreCase("^", "~"));
    QVERIFY(!equalsIgnoreCase("@", "`"));
    QVERIFY(!equalsIgnoreCase("[", "{"));
    QVERIFY(!equalsIgnoreCase("\r", "-"));
    QVERIFY(!equalsIgnoreCase("\xc9", "\xe9")); // É and é in Latin-1
    // Every pair of byte values, at every place of names of every way the compare splits them
    // (byte by byte below 4, two overlapping 4-byte words below 8, whole words and a last one
    // overlapping the word before it from 8), against the rule written plainly.
    const auto fold = [](int c) { return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c; };
    int mismatches = 0;
    int pairs = 0;
    for (const int length : {1, 3, 4, 5, 7, 8, 12, 16, 17}) {
        for (int at = 0; at < length; ++at) {
            for (int a = 0; a < 256; ++a) {
                for (int b = 0; b < 256; ++b) {
                    QByteArray x = QByteArray("content-type-abcde").first(length);
                    QByteArray y = QByteArray("CONTENT-TYPE-ABCDE").first(length);
                    x[at] = char(a);
                    y[at] = char(b);
                    if (equalsIgnoreCase(x, y) != (fold(a) == fold(b)))
                        ++mismatches;
                    ++pairs;
                }
            }
        }
    }
    QCOMPARE(mismatches, 0);
    QCOMPARE(pairs, 73 * 256 * 256);
    QVERIFY(isHopByHop("Keep-Alive"));
    QVERIFY(isHopByHop("TE"));
    QVERIFY(!isHopByHop("Transfer-Encoding"));
    QVERIFY(isHopByHop("Transfer-Encoding", true));
    // A response's Connection tokens, any case.
    HttpResponseHead response;
    QCOMPARE(parseResponseHead("HTTP/1.1 200 OK\r\nConnection: Keep-Alive, CLOSE\r\nContent-Length: 0\r\n\r\n", HttpLimits{}, false, response).status,
             HttpParseResult::Complete);
    QVERIFY(!response.keepAlive);
    QVERIFY(ConnectionTokens(response.headers).names("close"));
    QVERIFY(ConnectionTokens(response.headers).names("keep-alive"));
    QVERIFY(!ConnectionTokens(response.headers).names("upgrade"));
    QCOMPARE(response.connectionOptions, quint8(ConnectionKeepAlive | ConnectionClose | ConnectionNamesOther));

    // The parser notes the options, over every Connection header; the writers read the list
    // only when it names a field that is not dropped as hop-by-hop anyway.
    const auto optionsOf = [](const QByteArray &connection) {
        HttpRequestHead head;
        const QByteArray request = "GET / HTTP/1.1\r\nHost: x\r\n" + connection + "\r\n";
        if (parseRequestHead(request, HttpLimits{}, head).status != HttpParseResult::Complete)
            return quint8(0xff);
        // Skipping the list must never lose a field it names.
        const ConnectionTokens all(head.headers);
        const ConnectionTokens skipped(head.headers, head.connectionOptions);
        for (const char *name : {"x-secret", "X-Other", "close"}) {
            if (all.names(name) != skipped.names(name))
                return quint8(0xfe);
        }
        return head.connectionOptions;
    };
    QCOMPARE(optionsOf(""), quint8(0));
    QCOMPARE(optionsOf("Connection: keep-alive\r\n"), quint8(ConnectionKeepAlive));
    QCOMPARE(optionsOf("Connection: Upgrade\r\n"), quint8(ConnectionUpgrade));
    QCOMPARE(optionsOf("Connection: upgrade , KEEP-ALIVE,,\r\n"), quint8(ConnectionUpgrade | ConnectionKeepAlive));
    QCOMPARE(optionsOf("Connection: close\r\n"), quint8(ConnectionClose | ConnectionNamesOther));
    QCOMPARE(optionsOf("Connection: keep-alive\r\nConnection: X-Secret\r\n"), quint8(ConnectionKeepAlive | ConnectionNamesOther));
    QCOMPARE(optionsOf("Connection: x-secret, upgrade\r\n"), quint8(ConnectionUpgrade | ConnectionNamesOther));
    QCOMPARE(optionsOf("Connection: upgraded\r\n"), quint8(ConnectionNamesOther));
    HttpRequestHead old;
    QCOMPARE(parseRequestHead("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", HttpLimits{}, old).status, HttpParseResult::Complete);
    QVERIFY(old.keepAlive);
    QCOMPARE(parseRequestHead("GET / HTTP/1.0\r\n\r\n", HttpLimits{}, old).status, HttpParseResult::Complete);
    QVERIFY(!old.keepAlive);
}

void TestHttpParser::tellsTheFieldsItActsOn()
{
    const std::vector<std::pair<QByteArray, HeaderKind>> known = {
        {"Content-Length", HeaderKind::ContentLength}, {"Transfer-Encoding", HeaderKind::TransferEncoding},
        {"Connection", HeaderKind::Connection}, {"Keep-Alive", HeaderKind::KeepAlive},
        {"Proxy-Connection", HeaderKind::ProxyConnection}, {"TE", HeaderKind::TE}, {"Upgrade", HeaderKind::Upgrade},
        {"Expect", HeaderKind::Expect}, {"Host", HeaderKind::Host}, {"Via", HeaderKind::Via},
        {"X-Forwarded-For", HeaderKind::XForwardedFor}, {"X-Forwarded-Proto", HeaderKind::XForwardedProto},
    };
    for (const auto &[name, kind] : known) {
        // Any case; and every one-byte change of the name (same length) is another field.
        QCOMPARE(headerKind(name), kind);
        QCOMPARE(headerKind(name.toLower()), kind);
        QCOMPARE(headerKind(name.toUpper()), kind);
        // Every byte value at every place: the same field exactly when it is the same letter in
        // either case ('-' and CR, '@' and '`', '[' and '{' differ only in a case-like bit).
        for (qsizetype at = 0; at < name.size(); ++at) {
            for (int b = 0; b < 256; ++b) {
                QByteArray other = name;
                other[at] = char(b);
                const bool same = b == uchar(name[at]) || (std::isalpha(uchar(name[at])) && b == (uchar(name[at]) ^ 0x20));
                QVERIFY2((headerKind(other) == kind) == same, qPrintable(QStringLiteral("%1 with byte 0x%2 at %3").arg(QString::fromLatin1(name)).arg(b, 2, 16, QLatin1Char('0')).arg(at)));
            }
        }
        QCOMPARE(headerKind(name + "s"), HeaderKind::Other);
        QCOMPARE(headerKind(name.chopped(1)), HeaderKind::Other);
    }
    for (const QByteArray other : {"Server", "Date", "Content-Type", "Cookie", "Set-Cookie", "Accept", "A", "X-Forwarded-Host"})
        QCOMPARE(headerKind(other), HeaderKind::Other);
    // The parser hands every header its kind.
    HttpRequestHead head;
    QCOMPARE(parseRequestHead("GET / HTTP/1.1\r\nhOST: a\r\nvia: 1.0 x\r\nX-Thing: 1\r\nte: trailers\r\n\r\n", HttpLimits{}, head).status,
             HttpParseResult::Complete);
    QCOMPARE(int(head.headers.size()), 4);
    QCOMPARE(head.headers[0].kind, HeaderKind::Host);
    QCOMPARE(head.headers[1].kind, HeaderKind::Via);
    QCOMPARE(head.headers[2].kind, HeaderKind::Other);
    QCOMPARE(head.headers[3].kind, HeaderKind::TE);
    QVERIFY(isHopByHop(head.headers[3].kind));
    QVERIFY(!isHopByHop(head.headers[1].kind));
}

void TestHttpParser::findsCharacters()
{
    QCOMPARE(indexOfChar("a,b,c", ','), qsizetype(1));
    QCOMPARE(indexOfChar("a,b,c", ',', 2), qsizetype(3));
    QCOMPARE(indexOfChar("a,b,c", ',', 4), qsizetype(-1));
    QCOMPARE(indexOfChar("a,b,c", ',', 5), qsizetype(-1));
    QCOMPARE(indexOfChar("a,b,c", ',', 50), qsizetype(-1));
    QCOMPARE(indexOfChar(QByteArrayView(), ','), qsizetype(-1));
    QCOMPARE(indexOfChar(QByteArrayView("a\0,", 3), ','), qsizetype(2));
}

// The proxy passes the status line on from the parse, not from a second search.
void TestHttpParser::responseKnowsItsStatusLine()
{
    HttpResponseHead head;
    const QByteArray response("HTTP/1.1 404 Not Here\r\nContent-Length: 0\r\n\r\n");
    QCOMPARE(parseResponseHead(response, HttpLimits{}, false, head).status, HttpParseResult::Complete);
    QCOMPARE(QByteArrayView(response).first(head.statusLineLength), QByteArrayView("HTTP/1.1 404 Not Here"));
    QCOMPARE(parseResponseHead("HTTP/1.1 204\r\n\r\n", HttpLimits{}, false, head).status, HttpParseResult::Complete);
    QCOMPARE(head.statusLineLength, qsizetype(12));
}

// The head's end is found 32 bytes at a time: its "\r\n\r\n", a bare LF and the first
// line's end are told at every offset, also when they straddle two blocks, and agree with a
// plain byte-by-byte reading of the rule.
void TestHttpParser::findsTheHeadEndAtEveryOffset()
{
    // The rule written plainly: the head ends after the first "\r\n\r\n"; an LF without a CR
    // before it, found first, is an error; otherwise the head is not complete yet.
    const auto expected = [](QByteArrayView data) -> qsizetype {
        for (qsizetype i = 0; i < data.size(); ++i) {
            if (data[i] != '\n')
                continue;
            if (i == 0 || data[i - 1] != '\r')
                return -1;
            if (i >= 3 && data.sliced(i - 3, 4) == "\r\n\r\n")
                return i + 1;
        }
        return 0;
    };
    // Both scans, the one this build uses and the other architectures' one, against the rule.
    int scans = 0;
    const auto scansAgree = [&](QByteArrayView data) {
        const detail::HeadEnd portable = detail::findHeadEndPortable(data);
#if defined(__SSE2__)
        const detail::HeadEnd sse2 = detail::findHeadEndSse2(data);
        if (sse2.length != portable.length || (portable.length > 0 && sse2.firstLineEnd != portable.firstLineEnd))
            return false;
#endif
        ++scans;
        return portable.length == expected(data);
    };
    int complete = 0;
    int bare = 0;
    for (int pad = 0; pad < 40; ++pad) {
        for (const bool response : {false, true}) {
            const QByteArray start = response ? QByteArray("HTTP/1.1 200 O") + QByteArray(pad % 7, 'k') : "GET /" + QByteArray(pad % 5, 'p') + " HTTP/1.1";
            const QByteArray head = start + "\r\nHost: x\r\nX-Pad: " + QByteArray(pad, 'a') + "\r\n\r\n";
            const QByteArray whole = head + "next";
            // Every cut: complete exactly when the terminator is in.
            for (qsizetype n = 0; n <= whole.size(); ++n) {
                const QByteArrayView data = QByteArrayView(whole).first(n);
                HttpRequestHead request;
                HttpResponseHead answer;
                const HttpParseResult result = response ? parseResponseHead(data, HttpLimits{}, false, answer)
                                                        : parseRequestHead(data, HttpLimits{}, request);
                const qsizetype want = expected(data);
                QVERIFY2(want >= 0, data.toByteArray().constData());
                QVERIFY2(scansAgree(data), data.toByteArray().constData());
                if (want == 0) {
                    QVERIFY2(result.status == HttpParseResult::Incomplete, data.toByteArray().constData());
                    continue;
                }
                QCOMPARE(want, head.size());
                QCOMPARE(result.status, HttpParseResult::Complete);
                QCOMPARE(response ? answer.headLength : request.headLength, head.size());
                if (response)
                    QCOMPARE(answer.statusLineLength, start.size());
                else
                    QCOMPARE(request.target.size(), qsizetype(1 + pad % 5));
                ++complete;
            }
            // Every CR of the head missing, or replaced by a visible byte: a bare LF, refused.
            for (qsizetype at = 0; at < head.size(); ++at) {
                if (head[at] != '\r')
                    continue;
                for (const QByteArray &changed : {QByteArray(whole).remove(at, 1), QByteArray(whole).replace(at, 1, "z")}) {
                    QCOMPARE(expected(changed), qsizetype(-1));
                    QVERIFY2(scansAgree(changed), changed.constData());
                    HttpRequestHead request;
                    HttpResponseHead answer;
                    const HttpParseResult result = response ? parseResponseHead(changed, HttpLimits{}, false, answer)
                                                            : parseRequestHead(changed, HttpLimits{}, request);
                    QCOMPARE(result.status, HttpParseResult::Error);
                    QVERIFY2(QByteArray(result.message).contains("bare LF"), result.message);
                    ++bare;
                }
            }
        }
    }
    QCOMPARE(complete, 2 * 40 * 5);   // the head, and then each of "next" one byte more
    QCOMPARE(bare, 40 * 2 * 4 * 2);   // four CRs in each head, each missing and replaced
    QVERIFY(scans > bare + complete);
}

// A value's bytes are checked eight at a time and then one by one: every byte value, at every
// place of a value longer than two words, is accepted or refused as RFC 9110 5.5 says
// (field-vchar, SP, HTAB and obs-text pass; other CTLs and DEL are refused), and an accepted
// value is kept whole.
void TestHttpParser::valueBytesAreCheckedAtEveryPosition()
{
    const auto allowed = [](int b) { return b == '\t' || (b >= 0x20 && b != 0x7f); };
    const QByteArray filler("abcdefghijklmnopqrst");
    int refused = 0;
    for (int b = 0; b < 256; ++b) {
        for (int at = 0; at < filler.size(); ++at) {
            QByteArray value = filler;
            value[at] = char(b);
            HttpRequestHead head;
            const QByteArray request = "GET / HTTP/1.1\r\nHost: x\r\nX-V: " + value + "\r\nX-After: 1\r\n\r\n";   // the head's views point into it
            const HttpParseResult result = parseRequestHead(request, HttpLimits{}, head);
            // A byte that ends the line (LF) is a different fault, found before the headers are read.
            if (b == '\n') {
                QCOMPARE(result.status, HttpParseResult::Error);
                continue;
            }
            if (allowed(b)) {
                QVERIFY2(result.status == HttpParseResult::Complete, qPrintable(QStringLiteral("byte 0x%1 at %2 refused").arg(b, 2, 16, QLatin1Char('0')).arg(at)));
                // Leading and trailing blanks are not part of the value (RFC 9112 5).
                const bool blank = b == ' ' || b == '\t';
                const QByteArray expected = blank && at == 0 ? value.mid(1) : blank && at == filler.size() - 1 ? value.chopped(1) : value;
                QCOMPARE(QByteArray(head.header("x-v").toByteArray()), expected);
                QCOMPARE(QByteArray(head.header("x-after").toByteArray()), QByteArray("1"));
            } else {
                QVERIFY2(result.status == HttpParseResult::Error, qPrintable(QStringLiteral("byte 0x%1 at %2 accepted").arg(b, 2, 16, QLatin1Char('0')).arg(at)));
                QCOMPARE(QByteArray(result.message), QByteArray("control character in a header value"));
                ++refused;
            }
        }
    }
    QCOMPARE(refused, (32 - 2 + 1) * filler.size());   // NUL..US without HTAB and LF, and DEL

    // A tab (allowed) earlier in the value does not hide a refused byte after it, in the same
    // word or a later one.
    for (int b = 0; b < 256; ++b) {
        if (b == '\n')
            continue;
        for (int tab = 0; tab < filler.size(); ++tab) {
            for (int at = tab + 1; at < filler.size(); ++at) {
                QByteArray value = filler;
                value[tab] = '\t';
                value[at] = char(b);
                HttpRequestHead head;
                const HttpParseResult result = parseRequestHead("GET / HTTP/1.1\r\nHost: x\r\nX-V: " + value + "\r\n\r\n", HttpLimits{}, head);
                QVERIFY2((result.status == HttpParseResult::Complete) == allowed(b),
                         qPrintable(QStringLiteral("byte 0x%1 at %2 after a tab at %3").arg(b, 2, 16, QLatin1Char('0')).arg(at).arg(tab)));
            }
        }
    }
}

#include "tst_httpparser.moc"

// A name's bytes are checked sixteen at a time and then one by one: every byte value, at every
// place of names shorter and longer than one step, ends the name exactly where RFC 9110 5.6.2's
// tchar list says, in both scans, and the parser accepts the line only when that byte is its colon.
void TestHttpParser::nameBytesAreCheckedAtEveryPosition()
{
    const QByteArray tcharPunctuation("!#$%&'*+-.^_`|~");
    const auto tchar = [&](int b) {
        return (b >= '0' && b <= '9') || (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || tcharPunctuation.contains(char(b));
    };
    int tokenBytes = 0;
    for (const int length : {5, 15, 16, 17, 33}) {
        const QByteArray filler = QByteArray("X-Name-Of-Thirty-Three-Characters").left(length);
        for (int b = 0; b < 256; ++b) {
            for (int at = 0; at < length; ++at) {
                QByteArray name = filler;
                name[at] = char(b);
                // The line as the parser sees it, with the rest of the head after it.
                const QByteArray block = name + ": v\r\nX-After: 1\r\n\r\n";
                const char *const begin = block.constData();
                const char *const end = begin + block.size();
                const qsizetype want = tchar(b) ? length : at;
#if defined(__SSE2__)
                QCOMPARE(detail::tokenEndSse2(begin, end) - begin, want);
#endif
                QCOMPARE(detail::tokenEndPortable(begin, end) - begin, want);
                HttpRequestHead head;
                const QByteArray request = "GET / HTTP/1.1\r\nHost: x\r\n" + block;
                const HttpParseResult result = parseRequestHead(request, HttpLimits{}, head);
                if (tchar(b)) {
                    QVERIFY2(result.status == HttpParseResult::Complete, qPrintable(QStringLiteral("byte 0x%1 at %2 of %3 refused").arg(b, 2, 16, QLatin1Char('0')).arg(at).arg(length)));
                    QCOMPARE(QByteArray(head.header(name).toByteArray()), QByteArray("v"));
                    ++tokenBytes;
                } else if (b != ':' || at == 0) {
                    QVERIFY2(result.status == HttpParseResult::Error, qPrintable(QStringLiteral("byte 0x%1 at %2 of %3 accepted").arg(b, 2, 16, QLatin1Char('0')).arg(at).arg(length)));
                }
            }
        }
    }
    QCOMPARE(tokenBytes, (10 + 26 + 26 + 15) * (5 + 15 + 16 + 17 + 33));   // the 77 tchar bytes, everywhere
}

QTEST_GUILESS_MAIN(TestHttpParser)
