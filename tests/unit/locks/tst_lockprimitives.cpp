#include "locks/lockbackends.h"
#include "locks/redis/glob.h"
#include "locks/redis/redislocks.h"
#include "locks/lockinfo.h"
#include "locks/livelocktable.h"
#include "locks/redis/redisurl.h"
#include "locks/secretstore.h"

#include <QFile>
#include <QTemporaryDir>
#include <QTest>

using namespace fulcrum;

class TestLockPrimitives : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void notesInTheOrderAPersonReadsThem();
    void warningNotesAreKeptBeforePlainOnes();
    void escapeRoundTrip_data();
    void escapeRoundTrip();
    void unescapeRejectsLoneBackslash();
    void glob_data();
    void glob();
    void coveringGlob_data();
    void coveringGlob();
    void redisUrl_data();
    void redisUrl();
    void passwordFilePermissions();
    void environmentSecret();
    void redissonChannelNames();
};

void TestLockPrimitives::escapeRoundTrip_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<QString>("shown");
    QTest::newRow("ascii") << QByteArray("lock:order:1") << QStringLiteral("lock:order:1");
    QTest::newRow("utf-8 stays readable") << QByteArray("lock:\xe8\xae\xa2\xe5\x8d\x95") << QStringLiteral("lock:订单");
    QTest::newRow("invalid utf-8") << QByteArray("lock:\xff\xfe") << QStringLiteral("lock:\\xff\\xfe");
    QTest::newRow("nul and control") << QByteArray("a\x00\n", 3) << QStringLiteral("a\\x00\\x0a");
    QTest::newRow("backslash") << QByteArray("a\\x41") << QStringLiteral("a\\\\x41");
    QTest::newRow("truncated sequence") << QByteArray("\xe8\xae") << QStringLiteral("\\xe8\\xae");
    QTest::newRow("overlong") << QByteArray("\xc0\xaf") << QStringLiteral("\\xc0\\xaf");
}

void TestLockPrimitives::escapeRoundTrip()
{
    QFETCH(QByteArray, bytes);
    QFETCH(QString, shown);
    QCOMPARE(escapeBytes(bytes), shown);
    QCOMPARE(unescapeBytes(shown).value_or("<none>"), bytes);
}

void TestLockPrimitives::unescapeRejectsLoneBackslash()
{
    QVERIFY(!unescapeBytes(u"lock:\\").has_value());
    QVERIFY(!unescapeBytes(u"lock:\\xZZ").has_value());
    QVERIFY(!unescapeBytes(u"lock:\\n").has_value());
}

void TestLockPrimitives::glob_data()
{
    QTest::addColumn<QByteArray>("pattern");
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<bool>("matches");
    QTest::newRow("prefix") << QByteArray("lock:*") << QByteArray("lock:a") << true;
    QTest::newRow("prefix no") << QByteArray("lock:*") << QByteArray("xlock:a") << false;
    QTest::newRow("infix") << QByteArray("*:lock:*") << QByteArray("app:lock:1") << true;
    QTest::newRow("infix no") << QByteArray("*:lock:*") << QByteArray("lock:1") << false;
    QTest::newRow("question") << QByteArray("lock:?") << QByteArray("lock:7") << true;
    QTest::newRow("class") << QByteArray("lock:[a-c]") << QByteArray("lock:b") << true;
    QTest::newRow("negated class") << QByteArray("lock:[^a-c]") << QByteArray("lock:b") << false;
    QTest::newRow("escaped star") << QByteArray("lock:\\*") << QByteArray("lock:*") << true;
    QTest::newRow("escaped star no") << QByteArray("lock:\\*") << QByteArray("lock:x") << false;
    QTest::newRow("binary") << QByteArray("lock:*") << QByteArray("lock:\x00\xff", 7) << true;
    QTest::newRow("empty star") << QByteArray("lock:*") << QByteArray("lock:") << true;
}

void TestLockPrimitives::glob()
{
    QFETCH(QByteArray, pattern);
    QFETCH(QByteArray, text);
    QFETCH(bool, matches);
    QCOMPARE(redisGlobMatch(pattern, text), matches);
}

void TestLockPrimitives::coveringGlob_data()
{
    QTest::addColumn<QByteArrayList>("patterns");
    QTest::addColumn<QByteArray>("covering");
    QTest::newRow("defaults") << QByteArrayList{"lock:*", "*:lock:*"} << QByteArray("*lock:*");
    QTest::newRow("nothing shared") << QByteArrayList{"lock:*", "redlock:*", "mutex:*"} << QByteArray();
    QTest::newRow("short literal") << QByteArrayList{"a:*", "*:a"} << QByteArray();
    QTest::newRow("special chars escaped") << QByteArrayList{"x[*]lock\\*:*", "*lock\\*:*"} << QByteArray("*lock\\*:*");
}

void TestLockPrimitives::coveringGlob()
{
    QFETCH(QByteArrayList, patterns);
    QFETCH(QByteArray, covering);
    QCOMPARE(fulcrum::coveringGlob(patterns).value_or(QByteArray()), covering);
}

void TestLockPrimitives::redisUrl_data()
{
    QTest::addColumn<QString>("url");
    QTest::addColumn<bool>("ok");
    QTest::addColumn<QString>("host");
    QTest::addColumn<int>("port");
    QTest::addColumn<int>("db");
    QTest::addColumn<QString>("user");
    QTest::addColumn<QString>("socket");
    QTest::newRow("plain") << QStringLiteral("redis://127.0.0.1:6380/2") << true << QStringLiteral("127.0.0.1") << 6380 << 2 << QString() << QString();
    QTest::newRow("default port") << QStringLiteral("redis://redis.internal") << true << QStringLiteral("redis.internal") << 6379 << 0 << QString() << QString();
    QTest::newRow("acl user") << QStringLiteral("redis://ops@10.0.0.5:6379/0") << true << QStringLiteral("10.0.0.5") << 6379 << 0 << QStringLiteral("ops") << QString();
    QTest::newRow("ipv6") << QStringLiteral("redis://[::1]:7000") << true << QStringLiteral("::1") << 7000 << 0 << QString() << QString();
    QTest::newRow("unix") << QStringLiteral("unix:///run/redis.sock?db=3") << true << QString() << 6379 << 3 << QString() << QStringLiteral("/run/redis.sock");
    QTest::newRow("password refused") << QStringLiteral("redis://ops:secret@host:6379") << false << QString() << 0 << 0 << QString() << QString();
    QTest::newRow("bad db") << QStringLiteral("redis://host/99") << false << QString() << 0 << 0 << QString() << QString();
    QTest::newRow("wrong scheme") << QStringLiteral("http://host") << false << QString() << 0 << 0 << QString() << QString();
}

void TestLockPrimitives::redisUrl()
{
    QFETCH(QString, url);
    QFETCH(bool, ok);
    QString error;
    const auto endpoint = parseRedisUrl(url, &error);
    QCOMPARE(endpoint.has_value(), ok);
    if (!ok) {
        QVERIFY(!error.isEmpty());
        QVERIFY2(!error.contains(u"secret"), "the password must not be echoed back");
        return;
    }
    QFETCH(QString, host);
    QFETCH(int, port);
    QFETCH(int, db);
    QFETCH(QString, user);
    QFETCH(QString, socket);
    QCOMPARE(endpoint->unixSocket, socket);
    if (socket.isEmpty()) {
        QCOMPARE(endpoint->host, host);
        QCOMPARE(int(endpoint->port), port);
    }
    QCOMPARE(endpoint->database, db);
    QCOMPARE(endpoint->user, user);
}

void TestLockPrimitives::passwordFilePermissions()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("pass"));
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write("hunter2\n");
    file.close();
    QVERIFY(file.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ReadGroup));
    QString error;
    FileSecretStore store;
    QVERIFY(!store.read(path, &error).has_value());
    QVERIFY2(error.contains(u"0640") && error.contains(u"chmod 600"), qPrintable(error));
    QVERIFY(!error.contains(u"hunter2"));
    QVERIFY(file.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner));
    QCOMPARE(store.read(path, &error).value_or(QByteArray()), QByteArray("hunter2"));
    QVERIFY(!store.read(dir.filePath(QStringLiteral("missing")), &error).has_value());
    QVERIFY(error.contains(u"does not exist"));
    QCOMPARE(readSecret(SecretSource{SecretSource::File, path}, nullptr, &error).value_or(QByteArray()), QByteArray("hunter2"));
    QVERIFY(!readSecret(SecretSource{SecretSource::Keychain, QStringLiteral("x")}, nullptr, &error).has_value());
    QVERIFY(error.contains(u"without keychain support"));
}

void TestLockPrimitives::environmentSecret()
{
    qputenv("FULCRUM_TEST_SECRET", "from-env");
    QString error;
    QCOMPARE(EnvironmentSecretStore().read(QStringLiteral("FULCRUM_TEST_SECRET"), &error).value_or(QByteArray()), QByteArray("from-env"));
    RedisEndpointConfig endpoint;
    endpoint.name = QStringLiteral("orders-redis");
    endpoint.password = SecretSource{SecretSource::Environment, QStringLiteral("FULCRUM_TEST_SECRET")};
    QCOMPARE(readLockEndpointPassword(LockEndpointConfig::fromRedis(endpoint), nullptr, &error).value_or(QByteArray()), QByteArray("from-env"));
    qunsetenv("FULCRUM_TEST_SECRET");
    QVERIFY(!EnvironmentSecretStore().read(QStringLiteral("FULCRUM_TEST_SECRET"), &error).has_value());
    QVERIFY(error.contains(u"FULCRUM_TEST_SECRET"));
    QVERIFY(!readLockEndpointPassword(LockEndpointConfig::fromRedis(endpoint), nullptr, &error).has_value());
    QVERIFY2(error.contains(u"orders-redis") && error.contains(u"FULCRUM_TEST_SECRET"), qPrintable(error));
}

void TestLockPrimitives::redissonChannelNames()
{
    QCOMPARE(redissonChannel("redisson_lock__channel", "lock:a"), QByteArray("redisson_lock__channel:{lock:a}"));
    QCOMPARE(redissonChannel("redisson_lock__channel", "{tag}:a"), QByteArray("redisson_lock__channel:{tag}:a"));
    QCOMPARE(redissonChannel("redisson_rwlock", "prices"), QByteArray("redisson_rwlock:{prices}"));
}

// The console's list and `locks list --engine` show a pass's notes in this order: the endpoint's
// own, then keys that could not be read (a lock may hide there), then the rest, each by key.
void TestLockPrimitives::notesInTheOrderAPersonReadsThem()
{
    const QList<LockScanNote> notes{{"lock:z", QStringLiteral("a list"), false},
                                    {"lock:b", QStringLiteral("NOPERM"), true},
                                    {{}, QStringLiteral("role cannot see"), false},
                                    {"lock:a", QStringLiteral("a set"), false},
                                    {"lock:a-hidden", QStringLiteral("NOPERM"), true}};
    QStringList order;
    for (const LockScanNote &note : notesInReadingOrder(notes))
        order << (note.key.isEmpty() ? note.text : QString::fromUtf8(note.key));
    QCOMPARE(order, (QStringList{QStringLiteral("role cannot see"), QStringLiteral("lock:a-hidden"), QStringLiteral("lock:b"), QStringLiteral("lock:a"),
                                 QStringLiteral("lock:z")}));
}

// A full list of notes gives way to a key that could not be read or a note on the endpoint:
// a plain note goes (counted), never a warning one; with warnings only, the new one is counted.
void TestLockPrimitives::warningNotesAreKeptBeforePlainOnes()
{
    QList<LockScanNote> notes;
    qint64 omitted = 0;
    for (int i = 0; i < maxNotesPerPass; ++i)
        keepNote(notes, omitted, {"lock:list:" + QByteArray::number(i), QStringLiteral("a list, not a lock"), false});
    keepNote(notes, omitted, {"lock:list:extra", QStringLiteral("a list, not a lock"), false});
    QCOMPARE(notes.size(), maxNotesPerPass);
    QCOMPARE(omitted, qint64(1));
    keepNote(notes, omitted, {"lock:hidden", QStringLiteral("could not be read: NOPERM"), true});
    keepNote(notes, omitted, {{}, QStringLiteral("role cannot see other sessions"), false});
    QCOMPARE(notes.size(), maxNotesPerPass);
    QCOMPARE(omitted, qint64(3));
    QCOMPARE(notes[0].key, QByteArray("lock:hidden"));   // warnings first, in arrival order
    QVERIFY(notes[1].key.isEmpty());
    QCOMPARE(notes.last().key, QByteArray("lock:list:997"));   // the last plain ones went
    for (int i = 0; i < maxNotesPerPass; ++i)
        keepNote(notes, omitted, {"lock:hidden:" + QByteArray::number(i), QStringLiteral("could not be read: NOPERM"), true});
    QCOMPARE(notes.size(), maxNotesPerPass);
    QVERIFY(std::all_of(notes.cbegin(), notes.cend(), isWarningNote));
    QCOMPARE(notes[0].key, QByteArray("lock:hidden"));
    QCOMPARE(notes.last().key, QByteArray("lock:hidden:997"));
    QCOMPARE(omitted, qint64(3 + 998 + 2));

    // A live table (keyspace events, watches) keeps its notes by key, with the same rule.
    LiveLockTable live;
    for (int i = 0; i < maxNotesPerPass; ++i)
        live.setNote({"lock:list:" + QByteArray::number(i), QStringLiteral("a list, not a lock"), false});
    live.setNote({"lock:list:extra", QStringLiteral("a list, not a lock"), false});
    live.setNote({"lock:hidden", QStringLiteral("could not be read: NOPERM"), true});
    const LockScanResult &table = live.result(LockScanResult());
    QCOMPARE(table.notes.size(), maxNotesPerPass);
    QCOMPARE(table.notesOmitted, qint64(2));
    QVERIFY(std::any_of(table.notes.cbegin(), table.notes.cend(), [](const LockScanNote &n) { return n.key == "lock:hidden" && n.unreadable; }));
    QVERIFY(std::none_of(table.notes.cbegin(), table.notes.cend(), [](const LockScanNote &n) { return n.key == "lock:list:extra"; }));
}

QTEST_GUILESS_MAIN(TestLockPrimitives)
#include "tst_lockprimitives.moc"
