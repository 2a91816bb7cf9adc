#include "keychain/keychainsecretstore.h"
#include "freeport.h"
#include "redisserver.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QProcess>
#include <QTest>

#include "keyringsession.h"


using namespace fulcrum;
using namespace fulcrum::test;

// The real Secret Service: this test re-runs itself inside a private D-Bus session with an
// unlocked gnome-keyring (see main below), so it never touches the tester's own keyring.
class TestKeychain : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void writeReadDelete();
    void fulcrumctlUsesTheKeychain();
};

void TestKeychain::initTestCase()
{
    // gnome-keyring-daemon --unlock returns before its login collection is unlocked on the bus.
    KeychainSecretStore store;
    QString error;
    const bool ready = QTest::qWaitFor([&] { return store.write(QStringLiteral("readiness-probe"), "x", &error); }, 30'000);
    QVERIFY2(ready, qPrintable(error));
    QVERIFY(store.remove(QStringLiteral("readiness-probe"), &error));
}

void TestKeychain::writeReadDelete()
{
    KeychainSecretStore store;
    QString error;
    QVERIFY2(store.write(QStringLiteral("test-entry"), "kc-secret", &error), qPrintable(error));
    QCOMPARE(store.read(QStringLiteral("test-entry"), &error).value_or(QByteArray()), QByteArray("kc-secret"));
    QVERIFY2(store.remove(QStringLiteral("test-entry"), &error), qPrintable(error));
    QVERIFY(!store.read(QStringLiteral("test-entry"), &error).has_value());
    QVERIFY2(error.contains(u"no entry \"test-entry\""), qPrintable(error));
}

void TestKeychain::fulcrumctlUsesTheKeychain()
{
    RedisServer::Options o;
    o.password = "keychain-redis-pass";
    RedisServer server(o);
    QString error;
    QVERIFY2(server.start(&error), qPrintable(error));
    server.command({"SET", "lock:kc", "t", "PX", "60000"});

    QProcess set;
    set.start(binaryPath(QStringLiteral("fulcrumctl")), {QStringLiteral("secret"), QStringLiteral("set"), QStringLiteral("prod-redis")});
    set.write("keychain-redis-pass\n");
    set.closeWriteChannel();
    QVERIFY(set.waitForFinished(20'000));
    QVERIFY2(set.exitCode() == 0, set.readAllStandardError().constData());

    QProcess list;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.remove(QStringLiteral("FULCRUM_REDIS_PASSWORD"));
    list.setProcessEnvironment(env);
    list.start(binaryPath(QStringLiteral("fulcrumctl")), {QStringLiteral("locks"), QStringLiteral("list"), QStringLiteral("--redis"), server.url(),
                                                          QStringLiteral("--keychain"), QStringLiteral("prod-redis"), QStringLiteral("--json")});
    QVERIFY(list.waitForFinished(20'000));
    QVERIFY2(list.exitCode() == 0, list.readAllStandardError().constData());
    QCOMPARE(QJsonDocument::fromJson(list.readAllStandardOutput()).array().size(), 1);
    QVERIFY(KeychainSecretStore().remove(QStringLiteral("prod-redis"), &error));
}

int main(int argc, char *argv[])
{
    if (!fulcrum::test::enterPrivateKeyringSession(argc, argv, "tst_keychain"))
        return 1;
    QCoreApplication app(argc, argv);
    TestKeychain test;
    return QTest::qExec(&test, argc, argv);
}

#include "tst_keychain.moc"
