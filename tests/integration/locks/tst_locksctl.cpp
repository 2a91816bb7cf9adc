#include "engine/auditlog.h"
#include "freeport.h"
#include "programs.h"
#include "redisserver.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

using namespace fulcrum;
using namespace fulcrum::test;

// Runs the real fulcrumctl binary against a real redis-server.
class TestLocksCtl : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void init();
    void cleanup();
    void listJsonHasTheDocumentedFields();
    void releaseExitCodesAndAudit();
    void binaryKeyRoundTripsThroughTheCommandLine();
    void passwordSources();
    void acquireExtendRelease();
    void runHoldsTheLockAndPassesTheExitStatus();
    void runWhenTheLockIsTaken();
    void anEmptyNameIsRefused();
    void runPassesSigtermOnAndReleases();
    void keyTheLocksTabWouldNotShowIsSaidAtATerminal();
    void tableOfNothingAndOfAnEmptyValue();

private:
    struct Run
    {
        int status = -1;
        QString out;
        QString err;
    };
    Run ctl(const QStringList &arguments, const QProcessEnvironment &environment = QProcessEnvironment::systemEnvironment());
    std::unique_ptr<RedisServer> m_server;
    QTemporaryDir m_dir;
};

TestLocksCtl::Run TestLocksCtl::ctl(const QStringList &arguments, const QProcessEnvironment &environment)
{
    QProcessEnvironment env = environment;
    env.insert(QStringLiteral("XDG_STATE_HOME"), m_dir.path()); // never the tester's own audit log
    const ProgramRun r = runProgram(binaryPath(QStringLiteral("fulcrumctl")), arguments, env, {}, 30'000);
    return Run{r.exitCode, r.out, r.err};
}

void TestLocksCtl::init()
{
    m_server = std::make_unique<RedisServer>();
    QString error;
    QVERIFY2(m_server->start(&error), qPrintable(error));
}

void TestLocksCtl::cleanup()
{
    m_server.reset();
}

void TestLocksCtl::listJsonHasTheDocumentedFields()
{
    const QByteArray uuid = "0b6e1d62-1f35-4f0b-9b58-49f4c3b0a1aa";
    m_server->pipeline({{"SET", "lock:plain", "tok-1", "NX", "PX", "60000"},
                        {"SET", "lock:forever", "tok-2", "NX"},
                        {"HSET", "lock:redisson", uuid + ":42", "3"},
                        {"PEXPIRE", "lock:redisson", "30000"},
                        {"HSET", "app:lock:rw", "mode", "write", uuid + ":7:write", "1"},
                        {"SET", "other:key", "not matched"}});
    const Run run = ctl({QStringLiteral("locks"), QStringLiteral("list"), QStringLiteral("--redis"), m_server->url(), QStringLiteral("--json")});
    QCOMPARE(run.status, 0);
    const QJsonArray array = QJsonDocument::fromJson(run.out.toUtf8()).array();
    QCOMPARE(array.size(), 4);
    QHash<QString, QJsonObject> byKey;
    for (const QJsonValue &v : array)
        byKey.insert(v[QStringLiteral("key")].toString(), v.toObject());
    QCOMPARE(byKey[QStringLiteral("lock:plain")][QStringLiteral("kind")].toString(), QStringLiteral("plain"));
    QCOMPARE(byKey[QStringLiteral("lock:plain")][QStringLiteral("holder")].toString(), QStringLiteral("tok-1"));
    QVERIFY(byKey[QStringLiteral("lock:plain")][QStringLiteral("ttl_ms")].toInteger() > 0);
    QCOMPARE(byKey[QStringLiteral("lock:forever")][QStringLiteral("ttl_ms")].toInteger(), -1);
    QCOMPARE(byKey[QStringLiteral("lock:forever")][QStringLiteral("flags")].toArray().first().toString(), QStringLiteral("no-expiry"));
    const QJsonObject redisson = byKey[QStringLiteral("lock:redisson")];
    QCOMPARE(redisson[QStringLiteral("kind")].toString(), QStringLiteral("redisson"));
    QCOMPARE(redisson[QStringLiteral("holder")].toString(), QString::fromLatin1(uuid + ":42"));
    QCOMPARE(redisson[QStringLiteral("owner_uuid")].toString(), QString::fromLatin1(uuid));
    QCOMPARE(redisson[QStringLiteral("thread_id")].toInteger(), 42);
    QCOMPARE(redisson[QStringLiteral("reentrancy")].toInteger(), 3);
    const QJsonObject rw = byKey[QStringLiteral("app:lock:rw")];
    QCOMPARE(rw[QStringLiteral("kind")].toString(), QStringLiteral("redisson-rw"));
    QCOMPARE(rw[QStringLiteral("mode")].toString(), QStringLiteral("write"));
    QCOMPARE(rw[QStringLiteral("holder")].toString(), QString::fromLatin1(uuid + ":7:write"));

    const Run matched = ctl({QStringLiteral("locks"), QStringLiteral("list"), QStringLiteral("--redis"), m_server->url(), QStringLiteral("--json"),
                             QStringLiteral("--match"), QStringLiteral("other:*"), QStringLiteral("--match"), QStringLiteral("lock:plain")});
    QCOMPARE(matched.status, 0);
    QCOMPARE(QJsonDocument::fromJson(matched.out.toUtf8()).array().size(), 2);
    // Options alone mean list.
    const Run bare = ctl({QStringLiteral("locks"), QStringLiteral("--redis"), m_server->url(), QStringLiteral("--json")});
    QCOMPARE(bare.status, 0);
    QCOMPARE(QJsonDocument::fromJson(bare.out.toUtf8()).array().size(), 4);

    const Run text = ctl({QStringLiteral("locks"), QStringLiteral("list"), QStringLiteral("--redis"), m_server->url()});
    QCOMPARE(text.status, 0);
    QVERIFY2(text.out.contains(u"4 lock(s)"), qPrintable(text.out));
}

void TestLocksCtl::releaseExitCodesAndAudit()
{
    m_server->command({"SET", "lock:order:1", "seen", "PX", "60000"});
    const QString audit = m_dir.filePath(QStringLiteral("audit.log"));
    auto release = [&](const QString &key, const QString &holder) {
        return ctl({QStringLiteral("locks"), QStringLiteral("release"), key, QStringLiteral("--holder"), holder, QStringLiteral("--redis"), m_server->url(),
                    QStringLiteral("--audit-log"), audit});
    };
    // The holder changed between list and release: nothing deleted, exit 3, says who holds it.
    m_server->command({"SET", "lock:order:1", "someone-else", "PX", "60000"});
    Run run = release(QStringLiteral("lock:order:1"), QStringLiteral("seen"));
    QCOMPARE(run.status, 3);
    QVERIFY2(run.err.contains(u"now held by \"someone-else\"") && run.err.contains(u"nothing deleted"), qPrintable(run.err));
    QCOMPARE(m_server->command({"GET", "lock:order:1"}).string, QByteArray("someone-else"));

    run = release(QStringLiteral("lock:order:1"), QStringLiteral("someone-else"));
    QCOMPARE(run.status, 0);
    QCOMPARE(m_server->command({"EXISTS", "lock:order:1"}).integer, qint64(0));

    run = release(QStringLiteral("lock:order:1"), QStringLiteral("someone-else"));
    QCOMPARE(run.status, 3);
    QVERIFY2(run.err.contains(u"gone"), qPrintable(run.err));

    run = ctl({QStringLiteral("locks"), QStringLiteral("release"), QStringLiteral("lock:order:1"), QStringLiteral("--redis"), m_server->url()});
    QCOMPARE(run.status, 2);

    const QList<AuditEntry> entries = AuditLog(audit).recent();
    QCOMPARE(entries.size(), qsizetype(3));
    QCOMPARE(entries[0].origin, QStringLiteral("fulcrumctl"));
    QVERIFY(entries[0].result.startsWith(u"holder changed"));
    QCOMPARE(entries[1].result, QStringLiteral("ok"));
    QCOMPARE(entries[1].before, QStringLiteral("someone-else"));
    QVERIFY(entries[2].result.startsWith(u"gone"));
    QVERIFY(entries[1].target.contains(QString::number(m_server->port())));
    QVERIFY(!entries[1].user.isEmpty());
    QVERIFY((QFile(audit).permissions() & (QFileDevice::ReadOther | QFileDevice::ReadGroup)) == 0);
}

void TestLocksCtl::binaryKeyRoundTripsThroughTheCommandLine()
{
    const QByteArray key("lock:\xff\x00z", 8);
    const QByteArray neighbour("lock:\xff\x01z", 8);
    const QByteArray holder("tok\x01\xfe", 5);
    m_server->pipeline({{"SET", key, holder, "PX", "60000"}, {"SET", neighbour, holder, "PX", "60000"}});
    const Run list = ctl({QStringLiteral("locks"), QStringLiteral("list"), QStringLiteral("--redis"), m_server->url(), QStringLiteral("--json")});
    QCOMPARE(list.status, 0);
    QString shownKey;
    QString shownHolder;
    for (const QJsonValue &v : QJsonDocument::fromJson(list.out.toUtf8()).array()) {
        if (v[QStringLiteral("key")].toString().contains(u"x00")) {
            shownKey = v[QStringLiteral("key")].toString();
            shownHolder = v[QStringLiteral("holder")].toString();
        }
    }
    QCOMPARE(shownKey, QStringLiteral("lock:\\xff\\x00z"));
    QCOMPARE(shownHolder, QStringLiteral("tok\\x01\\xfe"));
    const Run release = ctl({QStringLiteral("locks"), QStringLiteral("release"), shownKey, QStringLiteral("--holder"), shownHolder,
                             QStringLiteral("--redis"), m_server->url(), QStringLiteral("--audit-log"), m_dir.filePath(QStringLiteral("a.log"))});
    QVERIFY2(release.status == 0, qPrintable(release.err));
    QCOMPARE(m_server->command({"EXISTS", key}).integer, qint64(0));
    QCOMPARE(m_server->command({"EXISTS", neighbour}).integer, qint64(1));
}

void TestLocksCtl::passwordSources()
{
    RedisServer::Options o;
    o.password = "ctl-secret-123";
    RedisServer server(o);
    QString error;
    QVERIFY2(server.start(&error), qPrintable(error));
    server.command({"SET", "lock:p", "t", "PX", "60000"});
    const QStringList list{QStringLiteral("locks"), QStringLiteral("list"), QStringLiteral("--redis"), server.url(), QStringLiteral("--json")};

    QProcessEnvironment clean = QProcessEnvironment::systemEnvironment();
    clean.remove(QStringLiteral("FULCRUM_REDIS_PASSWORD"));
    Run run = ctl(list, clean);
    QCOMPARE(run.status, 4);
    QVERIFY2(run.err.contains(u"requires a password"), qPrintable(run.err));

    const QString file = m_dir.filePath(QStringLiteral("redis.pass"));
    QFile f(file);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("ctl-secret-123\n");
    f.close();
    QVERIFY(f.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ReadGroup | QFileDevice::ReadOther));
    run = ctl(list + QStringList{QStringLiteral("--password-file"), file}, clean);
    QCOMPARE(run.status, 2);
    QVERIFY2(run.err.contains(u"accessible by group or others") && run.err.contains(u"chmod 600"), qPrintable(run.err));
    QVERIFY(f.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner));
    run = ctl(list + QStringList{QStringLiteral("--password-file"), file}, clean);
    QVERIFY2(run.status == 0, qPrintable(run.err));
    QCOMPARE(QJsonDocument::fromJson(run.out.toUtf8()).array().size(), 1);

    QProcessEnvironment withEnv = clean;
    withEnv.insert(QStringLiteral("FULCRUM_REDIS_PASSWORD"), QStringLiteral("ctl-secret-123"));
    run = ctl(list, withEnv);
    QVERIFY2(run.status == 0, qPrintable(run.err));

    withEnv.insert(QStringLiteral("FULCRUM_REDIS_PASSWORD"), QStringLiteral("wrong-one"));
    run = ctl(list, withEnv);
    QCOMPARE(run.status, 4);
    QVERIFY(!run.err.contains(u"wrong-one"));
    QVERIFY(!run.out.contains(u"wrong-one"));
}

void TestLocksCtl::acquireExtendRelease()
{
    const QStringList where{QStringLiteral("--redis"), m_server->url()};
    Run acquired = ctl(QStringList{QStringLiteral("lock"), QStringLiteral("acquire"), QStringLiteral("lock:job"), QStringLiteral("--ttl"), QStringLiteral("20s")} + where);
    QCOMPARE(acquired.status, 0);
    const QString token = acquired.out.trimmed();
    QVERIFY2(token.startsWith(u"fulcrum:") && token.size() == 40, qPrintable(token));
    Run second = ctl(QStringList{QStringLiteral("lock"), QStringLiteral("acquire"), QStringLiteral("lock:job"), QStringLiteral("--wait"), QStringLiteral("200ms")} + where);
    QCOMPARE(second.status, 1);
    Run extended = ctl(QStringList{QStringLiteral("lock"), QStringLiteral("extend"), QStringLiteral("lock:job"), QStringLiteral("--token"), token, QStringLiteral("--ttl"), QStringLiteral("90s")} + where);
    QCOMPARE(extended.status, 0);
    QVERIFY(m_server->command({"PTTL", "lock:job"}).integer > 60'000);
    Run wrong = ctl(QStringList{QStringLiteral("lock"), QStringLiteral("release"), QStringLiteral("lock:job"), QStringLiteral("--token"), QStringLiteral("fulcrum:00000000000000000000000000000000")} + where);
    QCOMPARE(wrong.status, 3);
    QCOMPARE(m_server->command({"EXISTS", "lock:job"}).integer, qint64(1));
    Run released = ctl(QStringList{QStringLiteral("lock"), QStringLiteral("release"), QStringLiteral("lock:job"), QStringLiteral("--token"), token} + where);
    QCOMPARE(released.status, 0);
    QCOMPARE(m_server->command({"EXISTS", "lock:job"}).integer, qint64(0));
    Run usage = ctl({QStringLiteral("lock"), QStringLiteral("acquire"), QStringLiteral("lock:job")});
    QCOMPARE(usage.status, 2);
}

void TestLocksCtl::runHoldsTheLockAndPassesTheExitStatus()
{
    const QString marker = m_dir.filePath(QStringLiteral("running"));
    const QString release = m_dir.filePath(QStringLiteral("release"));
    QProcess process;
    process.start(binaryPath(QStringLiteral("fulcrumctl")),
                  {QStringLiteral("lock"), QStringLiteral("run"), QStringLiteral("lock:nightly"), QStringLiteral("--ttl"), QStringLiteral("1500ms"),
                   QStringLiteral("--redis"), m_server->url(), QStringLiteral("--"), QStringLiteral("sh"), QStringLiteral("-c"),
                   QStringLiteral("echo $FULCRUM_LOCK_FENCE > %1.tmp && mv %1.tmp %1; for i in $(seq 200); do [ -e %2 ] && exit 7; sleep 0.05; done; exit 9").arg(marker, release)});
    QTRY_VERIFY_WITH_TIMEOUT(QFile::exists(marker), 10'000);
    QFile fence(marker);
    QVERIFY(fence.open(QIODevice::ReadOnly));
    QCOMPARE(fence.readAll().trimmed(), QByteArray("1"));
    // Held past its 1.5 s TTL: the watchdog renews it (the margin covers a loaded machine).
    QTest::qWait(2000);
    QVERIFY(m_server->command({"GET", "lock:nightly"}).string.startsWith("fulcrum:"));
    QFile(release).open(QIODevice::WriteOnly);
    QVERIFY(process.waitForFinished(10'000));
    QCOMPARE(process.exitCode(), 7);
    QCOMPARE(m_server->command({"EXISTS", "lock:nightly"}).integer, qint64(0));
}

void TestLocksCtl::runWhenTheLockIsTaken()
{
    m_server->command({"SET", "lock:nightly", "other", "PX", "60000"});
    const Run run = ctl({QStringLiteral("lock"), QStringLiteral("run"), QStringLiteral("lock:nightly"), QStringLiteral("--redis"), m_server->url(),
                         QStringLiteral("--"), QStringLiteral("true")});
    QCOMPARE(run.status, 75);
    QVERIFY2(run.err.contains(u"held by someone else"), qPrintable(run.err));
}

// `lock run "$LOCK" -- job` with LOCK unset: every such job would share the lock "" (and
// Redis takes "" as a key). Refused, nothing run, nothing written.
void TestLocksCtl::anEmptyNameIsRefused()
{
    const QString ran = m_dir.filePath(QStringLiteral("ran"));
    const Run run = ctl({QStringLiteral("lock"), QStringLiteral("run"), QString(), QStringLiteral("--redis"), m_server->url(),
                         QStringLiteral("--"), QStringLiteral("touch"), ran});
    QCOMPARE(run.status, 2);
    QVERIFY2(run.err.contains(u"KEY is empty (an unset shell variable?)"), qPrintable(run.err));
    QVERIFY(!QFile::exists(ran));
    QCOMPARE(m_server->command({"DBSIZE"}).integer, qint64(0));
    const Run acquire = ctl({QStringLiteral("lock"), QStringLiteral("acquire"), QString(), QStringLiteral("--redis"), m_server->url()});
    QCOMPARE(acquire.status, 2);
    QCOMPARE(m_server->command({"DBSIZE"}).integer, qint64(0));
    // The other backends' lock run says it the same way, before reaching any server.
    const Run zookeeper = ctl({QStringLiteral("lock"), QStringLiteral("run"), QStringLiteral(" "), QStringLiteral("--zookeeper"), QStringLiteral("127.0.0.1:1"),
                               QStringLiteral("--path"), QStringLiteral("/locks/x"), QStringLiteral("--"), QStringLiteral("touch"), ran});
    QCOMPARE(zookeeper.status, 2);
    QVERIFY2(zookeeper.err.contains(u"NAME is empty"), qPrintable(zookeeper.err));
    QVERIFY(!QFile::exists(ran));
}

void TestLocksCtl::runPassesSigtermOnAndReleases()
{
    const QString marker = m_dir.filePath(QStringLiteral("started"));
    QProcess process;
    process.start(binaryPath(QStringLiteral("fulcrumctl")),
                  {QStringLiteral("lock"), QStringLiteral("run"), QStringLiteral("lock:svc"), QStringLiteral("--ttl"), QStringLiteral("30s"),
                   QStringLiteral("--redis"), m_server->url(), QStringLiteral("--"), QStringLiteral("sh"), QStringLiteral("-c"),
                   QStringLiteral("trap 'exit 42' TERM; touch %1; for i in $(seq 200); do sleep 0.05; done; exit 9").arg(marker)});
    QTRY_VERIFY_WITH_TIMEOUT(QFile::exists(marker), 10'000);
    QCOMPARE(m_server->command({"EXISTS", "lock:svc"}).integer, qint64(1));
    process.terminate();
    QVERIFY(process.waitForFinished(15'000));
    QCOMPARE(process.exitCode(), 42);
    // Released at once, not left to its 30 s TTL.
    QCOMPARE(m_server->command({"EXISTS", "lock:svc"}).integer, qint64(0));
}

// `lock acquire nightly-export` made a lock that Fulcrum's own Locks tab and `locks list` never
// showed (their default patterns are lock:* and *:lock:*). At a terminal it says so; a cron job
// (stderr not a terminal) gets nothing extra in its mail.
void TestLocksCtl::keyTheLocksTabWouldNotShowIsSaidAtATerminal()
{
    // util-linux's script gives fulcrumctl a terminal and copies what it writes there.
    auto atTerminal = [&](const QString &key) {
        QProcess script;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("XDG_STATE_HOME"), m_dir.path());
        script.setProcessEnvironment(env);
        const QString command = QStringLiteral("'%1' lock acquire '%2' --ttl 20s --redis '%3'").arg(binaryPath(QStringLiteral("fulcrumctl")), key, m_server->url());
        script.start(QStringLiteral("script"), {QStringLiteral("-qec"), command, QStringLiteral("/dev/null")});
        if (!script.waitForFinished(30'000))
            qFatal("script did not end");
        return QString::fromUtf8(script.readAllStandardOutput());
    };
    const QString hidden = atTerminal(QStringLiteral("nightly-export"));
    QVERIFY2(hidden.contains(u"fulcrum:") && hidden.contains(u"note: \"nightly-export\" does not match lock:* or *:lock:*")
                 && hidden.contains(u"name it lock:nightly-export"),
             qPrintable(hidden));
    QVERIFY(m_server->command({"GET", "nightly-export"}).string.startsWith("fulcrum:"));
    const QString shown = atTerminal(QStringLiteral("lock:nightly-export"));
    QVERIFY2(shown.contains(u"fulcrum:") && !shown.contains(u"note:"), qPrintable(shown));
    const QString tagged = atTerminal(QStringLiteral("shop:lock:stock-7"));
    QVERIFY2(!tagged.contains(u"note:"), qPrintable(tagged));
    const Run piped = ctl({QStringLiteral("lock"), QStringLiteral("acquire"), QStringLiteral("weekly-export"), QStringLiteral("--redis"), m_server->url()});
    QCOMPARE(piped.status, 0);
    QVERIFY2(!piped.err.contains(u"note:"), qPrintable(piped.err));
}

// No header over an empty table (the count line says 0); a key set to "" is held by no one it
// names, and the table says so instead of leaving the cell blank (the detail said "nobody").
void TestLocksCtl::tableOfNothingAndOfAnEmptyValue()
{
    const Run none = ctl({QStringLiteral("locks"), QStringLiteral("--redis"), m_server->url()});
    QCOMPARE(none.status, 0);
    QVERIFY2(QRegularExpression(QStringLiteral("^0 lock\\(s\\) among 0 matching key\\(s\\) in \\d+ ms\n$")).match(none.out).hasMatch(), qPrintable(none.out));
    m_server->command({"SET", "lock:stock:sku-1", "", "PX", "60000"});
    const Run one = ctl({QStringLiteral("locks"), QStringLiteral("--redis"), m_server->url()});
    QCOMPARE(one.status, 0);
    const QString row = one.out.split(u'\n').filter(QStringLiteral("lock:stock:sku-1")).value(0);
    QVERIFY2(row.endsWith(u"(empty value)"), qPrintable(one.out));
    const Run shown = ctl({QStringLiteral("locks"), QStringLiteral("show"), QStringLiteral("lock:stock:sku-1"), QStringLiteral("--redis"), m_server->url()});
    QVERIFY2(shown.status == 0 && shown.out.contains(u"holder   (empty value)\n"), qPrintable(shown.out + shown.err));
}

QTEST_GUILESS_MAIN(TestLocksCtl)
#include "tst_locksctl.moc"
