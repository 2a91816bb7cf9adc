// Redis over TLS and with ACL users, against a real redis-server built with OpenSSL (Debian's):
// certificates made by openssl in the test, the server's tls-port beside its plain port.
// hiredis 0.14 has no TLS; RedisConnection puts the bytes on a QSslSocket and keeps hiredis's
// reply parser, so everything the plain connection promises is checked here again over TLS.
#include "locks/lockbackends.h"
#include "locks/redis/redisconnection.h"
#include "locks/redis/redislockbackend.h"
#include "redisserver.h"
#include "redistestutil.h"
#include "testcertificates.h"

#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace fulcrum;
using namespace fulcrum::test;

class TestRedisTls : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void pipelinedCommandsOverTls();
    void largeRepliesAcrossReads();
    void certificateChecks_data();
    void certificateChecks();
    void clientCertificateRequired();
    void reconnectsAfterRestart();
    void locksListedAndReleasedOverTls();
    void aclUserThatMayOnlyRead();
    void aclUserInUrl();

private:
    RedisConnectionOptions tlsOptions(const RedisServer &server) const;
    static QString connectOnce(RedisConnectionOptions options);
    RedisServer m_server{RedisServer::Options{{}, false, {}, true, false}};
};

void TestRedisTls::initTestCase()
{
    QString error;
    QVERIFY2(m_server.start(&error), qPrintable(error));
}

RedisConnectionOptions TestRedisTls::tlsOptions(const RedisServer &server) const
{
    RedisConnectionOptions o;
    o.host = server.host();
    o.port = server.tlsPort();
    o.tls = true;
    o.caFile = server.caFile();
    o.connectTimeoutMs = 5000;
    return o;
}

// Connects without retrying: "" when connected, else the error.
QString TestRedisTls::connectOnce(RedisConnectionOptions options)
{
    options.reconnect = false;
    RedisConnection connection(options);
    QSignalSpy errors(&connection, &RedisConnection::errorOccurred);
    connection.open();
    if (!QTest::qWaitFor([&] { return connection.isConnected() || errors.count() > 0; }, 10'000))
        return QStringLiteral("neither connected nor failed");
    return connection.isConnected() ? QString() : errors.first().first().toString();
}

void TestRedisTls::pipelinedCommandsOverTls()
{
    RedisConnection connection(tlsOptions(m_server));
    QCOMPARE(connection.endpoint(), QStringLiteral("rediss://127.0.0.1:%1/0").arg(m_server.tlsPort()));
    connection.open();
    QTRY_VERIFY_WITH_TIMEOUT(connection.isConnected(), 10'000);
    QList<qint64> got;
    for (int i = 0; i < 2000; ++i)
        connection.command({"INCR", "tls:counter"}, [&got](const RedisReply &r) { got << r.integer; });
    QTRY_COMPARE_WITH_TIMEOUT(got.size(), 2000, 10'000);
    for (int i = 0; i < 2000; ++i)
        QCOMPARE(got[i], qint64(i + 1));
    std::optional<QList<RedisReply>> replies;
    connection.pipeline({{"SET", "tls:a", "1"}, {"GET", "tls:a"}, {"NOSUCHCOMMAND"}}, [&](const QList<RedisReply> &r) { replies = r; });
    QTRY_VERIFY_WITH_TIMEOUT(replies.has_value(), 10'000);
    QCOMPARE(replies->at(1).string, QByteArray("1"));
    QCOMPARE(replies->at(2).type, RedisReply::Error);
    // What went over the wire was TLS: the server counts the connection as a TLS client.
    const RedisReply clients = callAndWait(connection, {"CLIENT", "INFO"});
    QVERIFY2(clients.string.contains("laddr=127.0.0.1:" + QByteArray::number(m_server.tlsPort())), clients.string.constData());
}

void TestRedisTls::largeRepliesAcrossReads()
{
    RedisConnection connection(tlsOptions(m_server));
    connection.open();
    QTRY_VERIFY_WITH_TIMEOUT(connection.isConnected(), 10'000);
    QByteArray big(3 * 1024 * 1024, 'x');
    for (int i = 0; i < big.size(); i += 4096)
        big[i] = char('a' + (i / 4096) % 26);
    QCOMPARE(callAndWait(connection, {"SET", "tls:big", big}).type, RedisReply::Status);
    QCOMPARE(callAndWait(connection, {"GET", "tls:big"}).string, big);
}

void TestRedisTls::certificateChecks_data()
{
    QTest::addColumn<QString>("serverName");
    QTest::addColumn<bool>("wrongCa");
    QTest::addColumn<bool>("insecure");
    QTest::addColumn<QString>("error");
    QTest::newRow("right CA and name") << QString() << false << false << QString();
    QTest::newRow("localhost is in the certificate") << QStringLiteral("localhost") << false << false << QString();
    QTest::newRow("name not in the certificate") << QStringLiteral("redis.example.net") << false << false << QStringLiteral("TLS handshake failed");
    QTest::newRow("another CA") << QString() << true << false << QStringLiteral("TLS handshake failed");
    QTest::newRow("another CA, tls_insecure") << QString() << true << true << QString();
}

void TestRedisTls::certificateChecks()
{
    QFETCH(QString, serverName);
    QFETCH(bool, wrongCa);
    QFETCH(bool, insecure);
    QFETCH(QString, error);
    RedisConnectionOptions options = tlsOptions(m_server);
    options.serverName = serverName;
    options.tlsInsecure = insecure;
    QTemporaryDir other;
    if (wrongCa) {
        QString why;
        QVERIFY2(makeTestCertificates(other.path(), &why), qPrintable(why));
        options.caFile = other.filePath(QStringLiteral("ca.pem"));
    }
    const QString got = connectOnce(options);
    if (error.isEmpty()) {
        QVERIFY2(got.isEmpty(), qPrintable(got));
    } else {
        QVERIFY2(got.contains(error), qPrintable(got));
        QVERIFY2(got.contains(u"ca_file") && got.contains(u"server_name"), qPrintable(got)); // says what to check
    }
}

void TestRedisTls::clientCertificateRequired()
{
    RedisServer strict(RedisServer::Options{{}, false, {QStringLiteral("tls-auth-clients yes")}, true, false});
    QString error;
    QVERIFY2(strict.start(&error), qPrintable(error));
    RedisConnectionOptions options = tlsOptions(strict);
    QVERIFY(!connectOnce(options).isEmpty());
    options.certFile = strict.clientCertFile();
    options.keyFile = strict.clientKeyFile();
    const QString got = connectOnce(options);
    QVERIFY2(got.isEmpty(), qPrintable(got));
    // A key file that is not a key is named, and not retried.
    options.keyFile = strict.caFile();
    const QString bad = connectOnce(options);
    QVERIFY2(bad.contains(u"key_file") && bad.contains(strict.caFile()), qPrintable(bad));
}

void TestRedisTls::reconnectsAfterRestart()
{
    RedisServer server(RedisServer::Options{{}, false, {}, true, false});
    QString error;
    QVERIFY2(server.start(&error), qPrintable(error));
    RedisConnectionOptions options = tlsOptions(server);
    options.reconnectMinMs = 50;
    options.reconnectMaxMs = 200;
    RedisConnection connection(options);
    connection.open();
    QTRY_VERIFY_WITH_TIMEOUT(connection.isConnected(), 10'000);
    // Commands in flight when the server goes get a Failed reply, not silence.
    callAndWait(connection, {"SET", "k", "v"});
    std::optional<RedisReply> inFlight;
    connection.command({"DEBUG", "SLEEP", "1"}, [&](const RedisReply &r) { inFlight = r; });
    QTest::qWait(100);
    server.kill();
    QTRY_VERIFY_WITH_TIMEOUT(inFlight.has_value(), 10'000);
    QCOMPARE(inFlight->type, RedisReply::Failed);
    QVERIFY2(server.restart(&error), qPrintable(error));
    QTRY_VERIFY_WITH_TIMEOUT(connection.isConnected(), 15'000);
    QCOMPARE(callAndWait(connection, {"PING"}).string, QByteArray("PONG"));
}

void TestRedisTls::locksListedAndReleasedOverTls()
{
    m_server.command({"SET", "lock:tls:1", "holder-1", "PX", "600000"});
    m_server.command({"HSET", "lock:tls:2", "uuid-2:9", "1"});
    RedisEndpointConfig config;
    config.host = m_server.host();
    config.port = m_server.tlsPort();
    config.tls = true;
    config.caFile = m_server.caFile();
    RedisLockBackend backend(config, {});
    QCOMPARE(backend.url(), QStringLiteral("rediss://127.0.0.1:%1/0").arg(m_server.tlsPort()));
    backend.open();
    QTRY_VERIFY_WITH_TIMEOUT(backend.isConnected(), 10'000);
    QSignalSpy finished(&backend, &LockBackend::scanFinished);
    backend.scan();
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 10'000);
    QSet<QByteArray> keys;
    for (const LockInfo &lock : backend.lastResult().locks)
        keys.insert(lock.key);
    QVERIFY(keys.contains("lock:tls:1") && keys.contains("lock:tls:2"));
    std::optional<ForceReleaseResult> outcome;
    backend.release({LockReleaseRequest::Delete, "lock:tls:1", "holder-1"}, [&](const ForceReleaseResult &r) { outcome = r; });
    QTRY_VERIFY_WITH_TIMEOUT(outcome.has_value(), 10'000);
    QCOMPARE(outcome->outcome, ForceReleaseResult::Released);
    QCOMPARE(m_server.command({"EXISTS", "lock:tls:1"}).integer, 0);
}

void TestRedisTls::aclUserThatMayOnlyRead()
{
    // A monitoring user: reads every key and may run scripts, but not DEL or PUBLISH.
    QCOMPARE(m_server.command({"ACL", "SETUSER", "watcher", "on", ">watcher-pw", "~*", "&*", "+@read", "+ping", "+eval"}).type, RedisReply::Status);
    QCOMPARE(m_server.command({"ACL", "SETUSER", "blind", "on", ">blind-pw", "~*", "+@read", "+ping"}).type, RedisReply::Status);
    m_server.command({"SET", "lock:acl:1", "holder-acl", "PX", "600000"});
    for (const auto &[user, password, lacks] : {std::tuple{QStringLiteral("watcher"), QByteArray("watcher-pw"), QStringLiteral("can't run this command")},
                                                std::tuple{QStringLiteral("blind"), QByteArray("blind-pw"), QStringLiteral("'eval'")}}) {
        RedisEndpointConfig config;
        config.host = m_server.host();
        config.port = m_server.tlsPort();
        config.tls = true;
        config.caFile = m_server.caFile();
        config.user = user;
        RedisLockBackend backend(config, password);
        backend.open();
        QTRY_VERIFY_WITH_TIMEOUT(backend.isConnected(), 10'000);
        // It may list the locks ...
        QSignalSpy finished(&backend, &LockBackend::scanFinished);
        backend.scan();
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 10'000);
        bool listed = false;
        for (const LockInfo &lock : backend.lastResult().locks)
            listed = listed || lock.key == "lock:acl:1";
        QVERIFY(listed);
        // ... but a release is refused with what the user lacks, and nothing is deleted.
        std::optional<ForceReleaseResult> outcome;
        backend.release({LockReleaseRequest::Delete, "lock:acl:1", "holder-acl"}, [&](const ForceReleaseResult &r) { outcome = r; });
        QTRY_VERIFY_WITH_TIMEOUT(outcome.has_value(), 10'000);
        QCOMPARE(outcome->outcome, ForceReleaseResult::Failed);
        QVERIFY2(outcome->message.contains(u"ACL") && outcome->message.contains(lacks) && outcome->message.contains(u"+del"), qPrintable(outcome->message));
        QVERIFY2(outcome->message.contains(user), qPrintable(outcome->message)); // the endpoint names the user
        QCOMPARE(m_server.command({"EXISTS", "lock:acl:1"}).integer, 1);
    }
}

void TestRedisTls::aclUserInUrl()
{
    QCOMPARE(m_server.command({"ACL", "SETUSER", "ops", "on", ">ops-pw", "~lock:*", "&*", "+@all"}).type, RedisReply::Status);
    m_server.command({"SET", "lock:acl:2", "holder-2", "PX", "600000"});
    // The user comes from the URL (rediss://ops@host), the password from a secret store, never the URL.
    LockEndpointConfig endpoint;
    QString error;
    QVERIFY(parseLockEndpointAddress(QStringLiteral("rediss://ops@127.0.0.1:%1").arg(m_server.tlsPort()), &endpoint, &error));
    QVERIFY2(error.isEmpty(), qPrintable(error));
    QCOMPARE(endpoint.redis.user, QStringLiteral("ops"));
    QVERIFY(endpoint.redis.tls);
    endpoint.redis.caFile = m_server.caFile();
    std::unique_ptr<LockBackend> backend(createLockBackend(endpoint, "ops-pw", nullptr));
    backend->open();
    QTRY_VERIFY_WITH_TIMEOUT(backend->isConnected(), 10'000);
    std::optional<ForceReleaseResult> outcome;
    backend->release({LockReleaseRequest::Delete, "lock:acl:2", "holder-2"}, [&](const ForceReleaseResult &r) { outcome = r; });
    QTRY_VERIFY_WITH_TIMEOUT(outcome.has_value(), 10'000);
    QVERIFY2(outcome->outcome == ForceReleaseResult::Released, qPrintable(outcome->message));
    // A wrong password for the user is a clear error that names the user.
    const QString wrong = [&] {
        RedisConnectionOptions o = tlsOptions(m_server);
        o.user = QStringLiteral("ops");
        o.password = "nope";
        return connectOnce(o);
    }();
    QVERIFY2(wrong.contains(u"\"ops\"") && wrong.contains(u"WRONGPASS"), qPrintable(wrong));
}

QTEST_GUILESS_MAIN(TestRedisTls)
#include "tst_redistls.moc"
