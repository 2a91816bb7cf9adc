// The admin API's files on disk: bearer tokens and the runtime state.
#include "admin/admintoken.h"
#include "engine/runtimestate.h"

#include <QFile>
#include <QTemporaryDir>
#include <QTest>

using namespace fulcrum;

class TestAdminFiles : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void tokenIsCreatedOwnerOnlyAndKept();
    void tokenFileOthersCanReadIsRefused();
    void shortTokenIsRefused();
    void tokensEqual_data();
    void tokensEqual();
    void runtimeStateRoundTrip();
    void runtimeStateMalformed_data();
    void runtimeStateMalformed();
};

void TestAdminFiles::tokenIsCreatedOwnerOnlyAndKept()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("admin.token"));
    QString error;
    const auto first = loadOrCreateToken(path, &error);
    QVERIFY2(first, qPrintable(error));
    QCOMPARE(first->size(), 64);
    QCOMPARE(QFile(path).permissions() & ~(QFile::ReadOwner | QFile::WriteOwner | QFile::ReadUser | QFile::WriteUser), QFile::Permissions());
    const auto second = loadOrCreateToken(path, &error);
    QVERIFY(second);
    QCOMPARE(*second, *first);
    const auto other = loadOrCreateToken(dir.filePath(QStringLiteral("other.token")), &error);
    QVERIFY(other && *other != *first);
}

void TestAdminFiles::tokenFileOthersCanReadIsRefused()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("admin.token"));
    QString error;
    QVERIFY(loadOrCreateToken(path, &error));
    QFile(path).setPermissions(QFile::ReadOwner | QFile::WriteOwner | QFile::ReadOther);
    QVERIFY(!loadOrCreateToken(path, &error));
    QVERIFY2(error.contains(path) && error.contains(u"chmod 600"), qPrintable(error));
}

void TestAdminFiles::shortTokenIsRefused()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("admin.token"));
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write("short\n");
    file.close();
    file.setPermissions(QFile::ReadOwner | QFile::WriteOwner);
    QString error;
    QVERIFY(!loadOrCreateToken(path, &error));
    QVERIFY2(error.contains(u"shorter"), qPrintable(error));
}

void TestAdminFiles::tokensEqual_data()
{
    QTest::addColumn<QByteArray>("a");
    QTest::addColumn<QByteArray>("b");
    QTest::addColumn<bool>("equal");
    QTest::newRow("same") << QByteArray("abcdef0123") << QByteArray("abcdef0123") << true;
    QTest::newRow("last byte") << QByteArray("abcdef0123") << QByteArray("abcdef0124") << false;
    QTest::newRow("prefix") << QByteArray("abcdef0123") << QByteArray("abcdef012") << false;
    QTest::newRow("longer") << QByteArray("abcdef012") << QByteArray("abcdef0123") << false;
    QTest::newRow("empty") << QByteArray() << QByteArray("a") << false;
}

void TestAdminFiles::tokensEqual()
{
    QFETCH(QByteArray, a);
    QFETCH(QByteArray, b);
    QFETCH(bool, equal);
    QCOMPARE(fulcrum::tokensEqual(a, b), equal);
}

void TestAdminFiles::runtimeStateRoundTrip()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("runtime-state.json"));
    RuntimeState state;
    QString error;
    QVERIFY(state.load(path, &error)); // missing = empty
    QVERIFY(state.overrides().empty());
    state.setWeight(QStringLiteral("web"), QStringLiteral("app1"), 7);
    state.setState(QStringLiteral("web"), QStringLiteral("app1"), AdminState::Drain);
    state.setState(QStringLiteral("api"), QStringLiteral("a b"), AdminState::Maint);
    QVERIFY2(state.save(path, &error), qPrintable(error));
    RuntimeState loaded;
    QVERIFY(loaded.load(path, &error));
    QCOMPARE(loaded.overrides().size(), size_t(2));
    const RuntimeState::Override &web = loaded.overrides().at({QStringLiteral("web"), QStringLiteral("app1")});
    QCOMPARE(web.weight, std::optional<int>(7));
    QCOMPARE(web.state, std::optional<AdminState>(AdminState::Drain));
    const RuntimeState::Override &api = loaded.overrides().at({QStringLiteral("api"), QStringLiteral("a b")});
    QVERIFY(!api.weight);
    QCOMPARE(api.state, std::optional<AdminState>(AdminState::Maint));
}

void TestAdminFiles::runtimeStateMalformed_data()
{
    QTest::addColumn<QByteArray>("content");
    QTest::addColumn<bool>("ok");
    QTest::addColumn<int>("entries");
    QTest::newRow("not json") << QByteArray("{nope") << false << 0;
    QTest::newRow("array") << QByteArray("[]") << false << 0;
    QTest::newRow("bad entries skipped") << QByteArray(R"({"servers": [{"pool": "web"}, {"pool": "web", "server": "a", "weight": -4, "state": "up"},
        {"pool": "web", "server": "b", "weight": 99999}, {"pool": "web", "server": "c", "weight": 3}, 7]})") << true << 1;
}

void TestAdminFiles::runtimeStateMalformed()
{
    QFETCH(QByteArray, content);
    QFETCH(bool, ok);
    QFETCH(int, entries);
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("runtime-state.json"));
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write(content);
    file.close();
    RuntimeState state;
    QString error;
    QCOMPARE(state.load(path, &error), ok);
    if (!ok)
        QVERIFY2(error.contains(path), qPrintable(error));
    QCOMPARE(int(state.overrides().size()), entries);
}

QTEST_GUILESS_MAIN(TestAdminFiles)
#include "tst_adminfiles.moc"
