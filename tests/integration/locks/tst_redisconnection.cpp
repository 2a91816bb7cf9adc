#include "locks/redis/redisconnection.h"
#include "freeport.h"
#include "redisserver.h"
#include "redistestutil.h"

#include <QSignalSpy>
#include <QTest>

#include <optional>

using namespace fulcrum;
using namespace fulcrum::test;

class TestRedisConnection : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void tcpPipelinedCommandsKeepOrder();
    void unixSocket();
    void passwordAndAcl_data();
    void passwordAndAcl();
    void missingPasswordIsReported();
    void selectDatabase();
    void commandTimeoutDropsAndReconnects();
    void reconnectsAfterRestart();
    void connectTimeoutToUnreachablePort();
    void binarySafeArguments();
    void repliesOfEveryShape();
    void pipelineAnswersOnceInOrder();
    void pipelineFailsWholeWhenNotConnected();
    void pipelineFailsWhenTheServerDies();
    void flushSendsFromInsideReplyCallbacks();
};

static RedisConnectionOptions optionsFor(const RedisServer &server)
{
    RedisConnectionOptions o;
    o.host = server.host();
    o.port = server.port();
    o.password = server.password();
    o.reconnectMinMs = 20;
    o.reconnectMaxMs = 200;
    return o;
}

void TestRedisConnection::tcpPipelinedCommandsKeepOrder()
{
    RedisServer server;
    QString error;
    QVERIFY2(server.start(&error), qPrintable(error));
    RedisConnection connection(optionsFor(server));
    QSignalSpy states(&connection, &RedisConnection::stateChanged);
    connection.open();
    QTRY_VERIFY(connection.isConnected());
    QCOMPARE(states.first().first().value<RedisConnection::State>(), RedisConnection::State::Connecting);
    QList<qint64> got;
    for (int i = 1; i <= 500; ++i)
        connection.command({"INCR", "counter"}, [&got](const RedisReply &r) { got.append(r.integer); });
    QTRY_COMPARE(got.size(), 500);
    for (int i = 0; i < 500; ++i)
        QCOMPARE(got[i], qint64(i + 1));
}

void TestRedisConnection::unixSocket()
{
    RedisServer::Options o;
    o.unixSocket = true;
    RedisServer server(o);
    QString error;
    QVERIFY2(server.start(&error), qPrintable(error));
    RedisConnectionOptions options;
    options.unixSocket = server.unixSocketPath();
    RedisConnection connection(options);
    connection.open();
    QTRY_VERIFY(connection.isConnected());
    QCOMPARE(callAndWait(connection, {"SET", "k", "v"}).string, QByteArray("OK"));
    QCOMPARE(server.command({"GET", "k"}).string, QByteArray("v"));
    QVERIFY(connection.endpoint().startsWith(u"unix://"));
}

void TestRedisConnection::passwordAndAcl_data()
{
    QTest::addColumn<QString>("user");
    QTest::addColumn<QByteArray>("password");
    QTest::addColumn<bool>("accepted");
    QTest::newRow("requirepass") << QString() << QByteArray("s3cret-pass") << true;
    QTest::newRow("wrong password") << QString() << QByteArray("nope") << false;
    QTest::newRow("acl user") << QStringLiteral("ops") << QByteArray("ops-pass") << true;
    QTest::newRow("acl user wrong password") << QStringLiteral("ops") << QByteArray("bad") << false;
}

void TestRedisConnection::passwordAndAcl()
{
    QFETCH(QString, user);
    QFETCH(QByteArray, password);
    QFETCH(bool, accepted);
    RedisServer::Options o;
    o.password = "s3cret-pass";
    RedisServer server(o);
    QString error;
    QVERIFY2(server.start(&error), qPrintable(error));
    QCOMPARE(server.command({"ACL", "SETUSER", "ops", "on", ">ops-pass", "~*", "&*", "+@all"}).string, QByteArray("OK"));
    RedisConnectionOptions options = optionsFor(server);
    options.user = user;
    options.password = password;
    RedisConnection connection(options);
    QSignalSpy errors(&connection, &RedisConnection::errorOccurred);
    connection.open();
    if (accepted) {
        QTRY_VERIFY(connection.isConnected());
        QCOMPARE(callAndWait(connection, {"PING"}).string, QByteArray("PONG"));
    } else {
        QTRY_VERIFY(!errors.isEmpty());
        QTRY_COMPARE(connection.state(), RedisConnection::State::Disconnected);
        const QString message = errors.last().first().toString();
        QVERIFY2(message.contains(u"AUTH"), qPrintable(message));
        QVERIFY2(!message.contains(QString::fromUtf8(password)), "the password must never appear in a message");
    }
}

void TestRedisConnection::missingPasswordIsReported()
{
    RedisServer::Options o;
    o.password = "s3cret-pass";
    RedisServer server(o);
    QString error;
    QVERIFY2(server.start(&error), qPrintable(error));
    RedisConnectionOptions options = optionsFor(server);
    options.password.clear();
    RedisConnection connection(options);
    connection.open();
    QTRY_COMPARE(connection.state(), RedisConnection::State::Disconnected);
    QVERIFY2(connection.lastError().contains(u"requires a password"), qPrintable(connection.lastError()));
}

void TestRedisConnection::selectDatabase()
{
    RedisServer server;
    QString error;
    QVERIFY2(server.start(&error), qPrintable(error));
    RedisConnectionOptions options = optionsFor(server);
    options.database = 3;
    RedisConnection connection(options);
    connection.open();
    QTRY_VERIFY(connection.isConnected());
    QCOMPARE(callAndWait(connection, {"SET", "in-db-3", "x"}).string, QByteArray("OK"));
    QCOMPARE(server.command({"SELECT", "3"}).string, QByteArray("OK"));
    QCOMPARE(server.command({"GET", "in-db-3"}).string, QByteArray("x"));
}

void TestRedisConnection::commandTimeoutDropsAndReconnects()
{
    RedisServer server;
    QString error;
    QVERIFY2(server.start(&error), qPrintable(error));
    RedisConnectionOptions options = optionsFor(server);
    options.commandTimeoutMs = 200;
    RedisConnection connection(options);
    connection.open();
    QTRY_VERIFY(connection.isConnected());
    const RedisReply reply = callAndWait(connection, {"DEBUG", "SLEEP", "0.6"});
    QCOMPARE(reply.type, RedisReply::Failed);
    QVERIFY2(reply.errorText().contains(u"no reply within 200 ms"), qPrintable(reply.errorText()));
    QTRY_VERIFY_WITH_TIMEOUT(connection.isConnected(), 10'000);
    QCOMPARE(callAndWait(connection, {"PING"}).string, QByteArray("PONG"));
}

void TestRedisConnection::reconnectsAfterRestart()
{
    RedisServer server;
    QString error;
    QVERIFY2(server.start(&error), qPrintable(error));
    RedisConnection connection(optionsFor(server));
    connection.open();
    QTRY_VERIFY(connection.isConnected());
    server.kill();
    QTRY_VERIFY(!connection.isConnected());
    QCOMPARE(callAndWait(connection, {"PING"}).type, RedisReply::Failed);
    QVERIFY2(server.restart(&error), qPrintable(error));
    QTRY_VERIFY_WITH_TIMEOUT(connection.isConnected(), 10'000);
    QCOMPARE(callAndWait(connection, {"PING"}).string, QByteArray("PONG"));
}

void TestRedisConnection::connectTimeoutToUnreachablePort()
{
    RedisConnectionOptions options;
    options.port = freeLoopbackPort(); // nothing listens: refused at once, then retried with backoff
    options.reconnectMinMs = 20;
    options.reconnectMaxMs = 100;
    RedisConnection connection(options);
    QSignalSpy errors(&connection, &RedisConnection::errorOccurred);
    connection.open();
    QTRY_VERIFY(errors.size() >= 2);
    QVERIFY(errors.first().first().toString().contains(QString::number(options.port)));
    QVERIFY(!connection.isConnected());
    connection.close();
    QCOMPARE(connection.state(), RedisConnection::State::Disconnected);
}

void TestRedisConnection::binarySafeArguments()
{
    RedisServer server;
    QString error;
    QVERIFY2(server.start(&error), qPrintable(error));
    RedisConnection connection(optionsFor(server));
    connection.open();
    QTRY_VERIFY(connection.isConnected());
    const QByteArray key("lock:\x00\xff\r\n", 9);
    const QByteArray value("\x00\x01\x02 v", 5);
    QCOMPARE(callAndWait(connection, {"SET", key, value}).string, QByteArray("OK"));
    QCOMPARE(callAndWait(connection, {"GET", key}).string, value);
    QCOMPARE(server.command({"GET", key}).string, value);
}

// Replies are built by hiredis's reader straight into RedisReply values (Fulcrum's reader
// functions), on both transports: hiredis's own socket, and a Qt socket (a subscriber's, here).
void TestRedisConnection::repliesOfEveryShape()
{
    RedisServer server;
    QString error;
    QVERIFY2(server.start(&error), qPrintable(error));
    RedisConnection plain(optionsFor(server));
    RedisConnection qtSocket(optionsFor(server));
    qtSocket.setPushHandler([](const RedisReply &) {});
    plain.open();
    qtSocket.open();
    QTRY_VERIFY(plain.isConnected() && qtSocket.isConnected());
    const QByteArray script = "return {1, 'two', {3, {ARGV[1], false}}, {}, redis.status_reply('FINE'), redis.error_reply('ERR inside')}";
    const QByteArray binary("\x00\xff\r\n$-1\r\n", 10);
    for (RedisConnection *connection : {&plain, &qtSocket}) {
        const RedisReply r = callAndWait(*connection, {"EVAL", script, "0", binary});
        QCOMPARE(r.type, RedisReply::Array);
        QCOMPARE(r.elements.size(), 6);
        QCOMPARE(r.elements[0].type, RedisReply::Integer);
        QCOMPARE(r.elements[0].integer, 1);
        QCOMPARE(r.elements[1].type, RedisReply::String);
        QCOMPARE(r.elements[1].string, QByteArray("two"));
        const RedisReply &nested = r.elements[2];
        QCOMPARE(nested.type, RedisReply::Array);
        QCOMPARE(nested.elements.size(), 2);
        QCOMPARE(nested.elements[0].integer, 3);
        QCOMPARE(nested.elements[1].elements.size(), 2);
        QCOMPARE(nested.elements[1].elements[0].string, binary);
        QCOMPARE(nested.elements[1].elements[1].type, RedisReply::Nil);
        QCOMPARE(r.elements[3].type, RedisReply::Array);
        QVERIFY(r.elements[3].elements.isEmpty());
        QCOMPARE(r.elements[4].type, RedisReply::Status);
        QCOMPARE(r.elements[4].string, QByteArray("FINE"));
        QCOMPARE(r.elements[5].type, RedisReply::Error);
        QCOMPARE(r.elements[5].string, QByteArray("ERR inside"));
        // Top-level replies of each kind.
        QCOMPARE(callAndWait(*connection, {"GET", "no-such-key"}).type, RedisReply::Nil);
        QCOMPARE(callAndWait(*connection, {"PING"}).type, RedisReply::Status);
        const RedisReply refused = callAndWait(*connection, {"NOSUCHCOMMAND"});
        QCOMPARE(refused.type, RedisReply::Error);
        QVERIFY2(refused.string.startsWith("ERR unknown command"), refused.string.constData());
        callAndWait(*connection, {"DEL", "n"});
        QCOMPARE(callAndWait(*connection, {"INCRBY", "n", "41"}).integer, 41);
    }
}

void TestRedisConnection::pipelineAnswersOnceInOrder()
{
    RedisServer server;
    QString error;
    QVERIFY2(server.start(&error), qPrintable(error));
    RedisConnection connection(optionsFor(server));
    connection.open();
    QTRY_VERIFY(connection.isConnected());
    QList<QList<QByteArray>> commands;
    for (int i = 1; i <= 300; ++i)
        commands.append(QList<QByteArray>{"INCR", "counter"});
    commands.append(QList<QByteArray>{"GET", "no-such-key"});
    commands.append(QList<QByteArray>{"HGETALL", "counter"}); // wrong type: an error reply in its slot, the rest unaffected
    int calls = 0;
    QList<RedisReply> got;
    connection.pipeline(commands, [&](const QList<RedisReply> &replies) {
        ++calls;
        got = replies;
    });
    QCOMPARE(calls, 0); // never synchronously inside pipeline()
    QTRY_COMPARE(calls, 1);
    QCOMPARE(got.size(), commands.size());
    for (int i = 0; i < 300; ++i)
        QCOMPARE(got[i].integer, qint64(i + 1));
    QVERIFY(got[300].isNil());
    QCOMPARE(got[301].type, RedisReply::Error);
    QVERIFY(got[301].string.startsWith("WRONGTYPE"));
    QTest::qWait(50);
    QCOMPARE(calls, 1);
}

void TestRedisConnection::pipelineFailsWholeWhenNotConnected()
{
    RedisConnectionOptions options;
    options.port = freeLoopbackPort();
    RedisConnection connection(options);
    int calls = 0;
    QList<RedisReply> got;
    connection.pipeline({{"PING"}, {"PING"}}, [&](const QList<RedisReply> &replies) {
        ++calls;
        got = replies;
    });
    QCOMPARE(calls, 0);
    QTRY_COMPARE(calls, 1);
    QCOMPARE(got.size(), qsizetype(2));
    QCOMPARE(got[0].type, RedisReply::Failed);
    QCOMPARE(got[1].type, RedisReply::Failed);
    QVERIFY2(got[0].errorText().contains(u"disconnected"), qPrintable(got[0].errorText()));
}

void TestRedisConnection::pipelineFailsWhenTheServerDies()
{
    RedisServer server;
    QString error;
    QVERIFY2(server.start(&error), qPrintable(error));
    RedisConnection connection(optionsFor(server));
    connection.open();
    QTRY_VERIFY(connection.isConnected());
    // The server sleeps on the first command and is killed meanwhile: no reply ever comes.
    std::optional<QList<RedisReply>> got;
    connection.pipeline({{"DEBUG", "SLEEP", "2"}, {"PING"}}, [&](const QList<RedisReply> &replies) { got = replies; });
    QTest::qWait(100);
    server.kill();
    QTRY_VERIFY(got.has_value());
    QCOMPARE(got->size(), qsizetype(2));
    QCOMPARE(got->at(0).type, RedisReply::Failed);
    QCOMPARE(got->at(1).type, RedisReply::Failed);
}

void TestRedisConnection::flushSendsFromInsideReplyCallbacks()
{
    RedisServer server;
    QString error;
    QVERIFY2(server.start(&error), qPrintable(error));
    RedisConnection connection(optionsFor(server));
    connection.flush(); // not connected yet: nothing to write, nothing breaks
    connection.open();
    QTRY_VERIFY(connection.isConnected());
    std::optional<RedisReply> pushed;
    RedisReply seenByOthers;
    connection.command({"PING"}, [&](const RedisReply &) {
        connection.command({"RPUSH", "flushed", "sent-from-callback"}, [&](const RedisReply &reply) { pushed = reply; });
        connection.flush();
        // Still inside the callback, so the connection's own write handler has not run: another
        // client's BLPOP only gets the element if flush() put the RPUSH on the wire (else nil after 5 s).
        seenByOthers = server.command({"BLPOP", "flushed", "5"});
    });
    QTRY_VERIFY(pushed.has_value());
    QCOMPARE(pushed->integer, qint64(1));
    QCOMPARE(seenByOthers.type, RedisReply::Array);
    QCOMPARE(seenByOthers.elements.size(), qsizetype(2));
    QCOMPARE(seenByOthers.elements[1].string, QByteArray("sent-from-callback"));
    QCOMPARE(callAndWait(connection, {"PING"}).string, QByteArray("PONG")); // and the connection carries on
}

QTEST_GUILESS_MAIN(TestRedisConnection)
#include "tst_redisconnection.moc"
