#include "locks/sql/pgadvisory.h"

#include <QCryptographicHash>
#include <QTest>

using namespace fulcrum;
using namespace fulcrum::pgadvisory;

Q_DECLARE_METATYPE(fulcrum::pgadvisory::LockTag)

// Advisory keys as pg_locks shows them and as the application wrote them (no server).
class TestPgAdvisory : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void keysRoundTrip_data();
    void keysRoundTrip();
    void badKeysAndNames();
    void holderIds();
    void keyForNameMatchesTheDocumentedSql();
};

void TestPgAdvisory::keysRoundTrip_data()
{
    QTest::addColumn<LockTag>("tag");
    QTest::addColumn<QString>("text");
    // pg_advisory_lock(42): classid 0, objid 42, objsubid 1.
    QTest::newRow("bigint 42") << LockTag{0, 42, 1} << QStringLiteral("42");
    QTest::newRow("bigint -1") << LockTag{0xffffffffu, 0xffffffffu, 1} << QStringLiteral("-1");
    QTest::newRow("bigint high bits") << LockTag{2, 410065450u, 1} << QStringLiteral("9000000042");
    QTest::newRow("bigint min") << LockTag{0x80000000u, 0, 1} << QStringLiteral("-9223372036854775808");
    QTest::newRow("bigint max") << LockTag{0x7fffffffu, 0xffffffffu, 1} << QStringLiteral("9223372036854775807");
    // pg_advisory_lock(1, -2): classid 1, objid 4294967294, objsubid 2.
    QTest::newRow("pair 1,-2") << LockTag{1, 4294967294u, 2} << QStringLiteral("1,-2");
    QTest::newRow("pair extremes") << LockTag{0x80000000u, 0x7fffffffu, 2} << QStringLiteral("-2147483648,2147483647");
}

void TestPgAdvisory::keysRoundTrip()
{
    QFETCH(LockTag, tag);
    QFETCH(QString, text);
    QCOMPARE(keyText(tag).value_or(QString()), text);
    QCOMPARE(tagFromKeyText(text), std::optional<LockTag>(tag));
    const auto name = parseLockName(lockName(QStringLiteral("shop/eu"), text).toUtf8());
    QVERIFY(name);
    QCOMPARE(name->database, QStringLiteral("shop/eu"));
    QCOMPARE(name->key, text);
    QVERIFY(!name->chain);
}

void TestPgAdvisory::badKeysAndNames()
{
    QVERIFY(!keyText(LockTag{1, 2, 3}));
    QVERIFY(!tagFromKeyText(QStringLiteral("forty-two")));
    QVERIFY(!tagFromKeyText(QStringLiteral("1,2,3")));
    QVERIFY(!tagFromKeyText(QStringLiteral("2147483648,1")));
    QVERIFY(!tagFromKeyText(QStringLiteral("9223372036854775808")));
    QVERIFY(!parseLockName("42"));
    QVERIFY(!parseLockName("shop/x"));
    const auto chain = parseLockName("shop/chain:1234");
    QVERIFY(chain && chain->chain);
    QCOMPARE(chain->chainRootPid, 1234);
    QVERIFY(!parseLockName("shop/chain:0"));
}

void TestPgAdvisory::holderIds()
{
    QCOMPARE(holderId(1234, 1733244600123456), QByteArray("1234@1733244600123456"));
    const auto id = parseHolderId("1234@1733244600123456");
    QVERIFY(id);
    QCOMPARE(id->pid, 1234);
    QCOMPARE(id->backendStartUs, 1733244600123456);
    QVERIFY(!parseHolderId("1234@?"));
    QVERIFY(!parseHolderId("1234"));
    QVERIFY(!parseHolderId("@5"));
}

void TestPgAdvisory::keyForNameMatchesTheDocumentedSql()
{
    // SELECT ('x' || left(encode(sha256(convert_to('nightly-export', 'UTF8')), 'hex'), 16))::bit(64)::bigint;
    const QByteArray digest = QCryptographicHash::hash("nightly-export", QCryptographicHash::Sha256);
    const qint64 expected = qint64(digest.left(8).toHex().toULongLong(nullptr, 16));
    QCOMPARE(keyForName(QStringLiteral("nightly-export")), expected);
    QVERIFY(keyForName(QStringLiteral("a")) != keyForName(QStringLiteral("b")));
}

QTEST_GUILESS_MAIN(TestPgAdvisory)
#include "tst_pgadvisory.moc"
