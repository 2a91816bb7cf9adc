#include "common/childprocess.h"
#include "etcdclients.h"
#include "etcdserver.h"
#include "freeport.h"
#include "programs.h"

#include <QEventLoop>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>
#include <memory>

using namespace fulcrum;
using namespace fulcrum::test;

// fulcrumctl (the real binary) on etcd: `locks list|release --etcd` (delete and --revoke, exit 3,
// the audit log) and `lock run --etcd` next to real `etcdctl lock` processes on the same name,
// both ways. One etcd for the suite; who holds is judged by what the clients say and what ran.
class TestEtcdCtl : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void listAndReleaseWithTheSameCommandLine();
    void revokeFromTheCommandLineEndsTheHolder();
    void lockRunHoldsWhileEtcdctlWaitsAndHandsOver();
    void etcdctlHoldsFirstLockRunWaitsOrGivesUp();
    void revokedLeaseStopsTheCommand();
    void badEtcdAddressIsNamed();
    void fulcrumdServesEtcdLocksAndRevokesThroughItsAdminApi();

private:
    QJsonObject listedRow(const QString &name, int waiters);
    QStringList runArguments(const QString &name, const QStringList &extra, const QString &script) const;
    int contenders(const QString &name) const;
    // Starts `fulcrumctl lock run NAME` whose COMMAND runs `before`, writes its FULCRUM_LOCK_KEY
    // and FULCRUM_LOCK_FENCE to `started`, then runs `after`; returns those two once written.
    QList<QByteArray> startLockRun(QProcess &ctl, const QString &name, const QStringList &extra, const QString &started,
                                   const QString &before, const QString &after);
    QString file(const QString &name) const { return m_dir.filePath(name); }

    std::unique_ptr<EtcdServer> m_server;
    QTemporaryDir m_dir;
};

void TestEtcdCtl::initTestCase()
{
    m_server = std::make_unique<EtcdServer>();
    QString error;
    QVERIFY2(m_server->start(&error), qPrintable(error));
}

int TestEtcdCtl::contenders(const QString &name) const
{
    QString out;
    m_server->etcdctl({QStringLiteral("get"), QStringLiteral("--prefix"), QStringLiteral("--keys-only"), name + u'/'}, &out);
    return int(out.split(u'\n', Qt::SkipEmptyParts).size());
}

QJsonObject TestEtcdCtl::listedRow(const QString &name, int waiters)
{
    QJsonObject row;
    (void)QTest::qWaitFor([&] {
        const ProgramRun list = runProgram(binaryPath(QStringLiteral("fulcrumctl")),
                                           {QStringLiteral("locks"), QStringLiteral("list"), QStringLiteral("--etcd"), m_server->clientUrl(),
                                            QStringLiteral("--prefix"), name, QStringLiteral("--json")});
        if (list.exitCode != 0)
            return false;
        for (const QJsonValue &value : QJsonDocument::fromJson(list.out.toUtf8()).array()) {
            if (value.toObject().value(QStringLiteral("key")).toString() == name)
                row = value.toObject();
        }
        return row.value(QStringLiteral("waiters")).toArray().size() == waiters;
    }, 30'000);
    return row;
}

QStringList TestEtcdCtl::runArguments(const QString &name, const QStringList &extra, const QString &script) const
{
    return QStringList{QStringLiteral("lock"), QStringLiteral("run"), name, QStringLiteral("--etcd"), m_server->clientUrl(),
                       QStringLiteral("--prefix"), QStringLiteral("/run/")}
         + extra + QStringList{QStringLiteral("--"), QStringLiteral("sh"), QStringLiteral("-c"), script};
}

QList<QByteArray> TestEtcdCtl::startLockRun(QProcess &ctl, const QString &name, const QStringList &extra, const QString &started,
                                            const QString &before, const QString &after)
{
    tieToParent(ctl, SIGKILL);
    ctl.start(binaryPath(QStringLiteral("fulcrumctl")),
              runArguments(name, extra, QStringLiteral("%1 echo \"$FULCRUM_LOCK_KEY $FULCRUM_LOCK_FENCE\" > %2.tmp && mv %2.tmp %2; %3")
                                            .arg(before, started, after)));
    if (!QTest::qWaitFor([&] { return QFile::exists(started); }, 20'000))
        return {};
    QFile marker(started);
    return marker.open(QIODevice::ReadOnly) ? marker.readAll().trimmed().split(' ') : QList<QByteArray>();
}

void TestEtcdCtl::listAndReleaseWithTheSameCommandLine()
{
    const QString name = QStringLiteral("/ctl/stock-9");
    auto holder = EtcdLockProcess::lock(*m_server, name);
    QTRY_VERIFY_WITH_TIMEOUT(holder->isAcquired(), 20'000);
    auto waiter = EtcdLockProcess::lock(*m_server, name);
    QTRY_COMPARE_WITH_TIMEOUT(contenders(name), 2, 20'000);
    const QJsonObject row = listedRow(name, 1);
    QCOMPARE(row.value(QStringLiteral("backend")).toString(), QStringLiteral("etcd"));
    QCOMPARE(row.value(QStringLiteral("kind")).toString(), QStringLiteral("etcd-mutex"));
    QCOMPARE(row.value(QStringLiteral("holder")).toString(), QString::fromUtf8(holder->key()));
    QVERIFY(!row.value(QStringLiteral("lease_id")).toString().isEmpty());

    const QString ctl = binaryPath(QStringLiteral("fulcrumctl"));
    const ProgramRun table = runProgram(ctl, {QStringLiteral("locks"), QStringLiteral("list"), QStringLiteral("--etcd"), m_server->clientUrl(),
                                              QStringLiteral("--prefix"), name});
    QCOMPARE(table.exitCode, 0);
    QVERIFY2(table.out.contains(name) && table.out.contains(u"etcd-mutex") && table.out.contains(u"1 waiting"), qPrintable(table.out));

    const QString auditPath = file(QStringLiteral("audit-delete.log"));
    const QStringList release{QStringLiteral("locks"), QStringLiteral("release"), name, QStringLiteral("--etcd"), m_server->clientUrl(),
                              QStringLiteral("--audit-log"), auditPath, QStringLiteral("--holder")};
    // Exit 3: not the holder; nothing is deleted.
    const ProgramRun wrong = runProgram(ctl, release + QStringList{name + QStringLiteral("/1")});
    QVERIFY2(wrong.exitCode == 3, qPrintable(wrong.err));
    QVERIFY2(wrong.err.contains(QString::fromUtf8(holder->key())), qPrintable(wrong.err));
    QCOMPARE(contenders(name), 2);
    const ProgramRun right = runProgram(ctl, release + QStringList{QString::fromUtf8(holder->key())});
    QVERIFY2(right.exitCode == 0, qPrintable(right.err));
    QTRY_VERIFY_WITH_TIMEOUT(waiter->isAcquired(), 15'000);
    QVERIFY(holder->isRunning());                       // not told

    QFile audit(auditPath);
    QVERIFY(audit.open(QIODevice::ReadOnly));
    QCOMPARE(audit.readAll().count("force-release"), 2);
}

void TestEtcdCtl::revokeFromTheCommandLineEndsTheHolder()
{
    const QString name = QStringLiteral("/ctl/revoke");
    auto holder = EtcdLockProcess::lock(*m_server, name);
    QTRY_VERIFY_WITH_TIMEOUT(holder->isAcquired(), 20'000);
    const QString auditPath = file(QStringLiteral("audit-revoke.log"));
    const ProgramRun revoke = runProgram(binaryPath(QStringLiteral("fulcrumctl")),
                                         {QStringLiteral("locks"), QStringLiteral("release"), name, QStringLiteral("--etcd"), m_server->clientUrl(),
                                          QStringLiteral("--audit-log"), auditPath, QStringLiteral("--revoke"), QStringLiteral("--holder"),
                                          QString::fromUtf8(holder->key())});
    QVERIFY2(revoke.exitCode == 0, qPrintable(revoke.err));
    QVERIFY2(revoke.out.contains(u"revoked lease"), qPrintable(revoke.out));
    QTRY_VERIFY_WITH_TIMEOUT(!holder->isRunning(), 20'000);
    QFile audit(auditPath);
    QVERIFY(audit.open(QIODevice::ReadOnly));
    QVERIFY(audit.readAll().contains("revoke-lease"));
}

void TestEtcdCtl::lockRunHoldsWhileEtcdctlWaitsAndHandsOver()
{
    const QString name = QStringLiteral("/run/handover");
    const QString started = file(QStringLiteral("a-started"));
    const QString finish = file(QStringLiteral("a-finish"));
    QProcess ctl;
    // The bound on the loop only keeps a broken run from hanging; it is not a timing assertion.
    const QList<QByteArray> env = startLockRun(ctl, QStringLiteral("handover"), {QStringLiteral("--ttl"), QStringLiteral("10s")}, started, {},
                                               QStringLiteral("for i in $(seq 2400); do [ -e %1 ] && exit 7; sleep 0.05; done; exit 9").arg(finish));
    QCOMPARE(env.size(), 2);
    QVERIFY2(env[0].startsWith(name.toUtf8() + '/'), env[0].constData());
    QVERIFY2(env[1].toLongLong() > 0, env[1].constData());

    // etcdctl lock on the same name queues behind fulcrumctl and gets the lock when it is done.
    auto etcdctl = EtcdLockProcess::lock(*m_server, name);
    QTRY_COMPARE_WITH_TIMEOUT(contenders(name), 2, 20'000);
    QTest::qWait(500);
    QVERIFY(!etcdctl->isAcquired());
    QVERIFY(ctl.state() == QProcess::Running);
    QFile(finish).open(QIODevice::WriteOnly);
    QTRY_VERIFY_WITH_TIMEOUT(ctl.state() == QProcess::NotRunning, 20'000);
    QCOMPARE(ctl.exitCode(), 7);
    QTRY_VERIFY_WITH_TIMEOUT(etcdctl->isAcquired(), 15'000);
    QCOMPARE(contenders(name), 1);                      // fulcrumctl's key is gone
}

void TestEtcdCtl::etcdctlHoldsFirstLockRunWaitsOrGivesUp()
{
    const QString name = QStringLiteral("/run/held-first");
    const QString ran = file(QStringLiteral("ran-held-first"));
    auto etcdctl = EtcdLockProcess::lock(*m_server, name);
    QTRY_VERIFY_WITH_TIMEOUT(etcdctl->isAcquired(), 20'000);

    // One attempt: not acquired, the command never ran, and no key is left behind.
    const ProgramRun once = runProgram(binaryPath(QStringLiteral("fulcrumctl")),
                                       runArguments(QStringLiteral("held-first"), {}, QStringLiteral("touch %1").arg(ran)));
    QCOMPARE(once.exitCode, 75);
    QVERIFY2(once.err.contains(u"held by someone else") && once.err.contains(QString::fromUtf8(etcdctl->key())), qPrintable(once.err));
    QVERIFY(!QFile::exists(ran));
    QCOMPARE(contenders(name), 1);

    // Waiting: queued behind etcdctl, the command runs once it unlocks.
    QProcess ctl;
    tieToParent(ctl, SIGKILL);
    ctl.start(binaryPath(QStringLiteral("fulcrumctl")),
              runArguments(QStringLiteral("held-first"), {QStringLiteral("--wait"), QStringLiteral("60s")}, QStringLiteral("touch %1; exit 3").arg(ran)));
    QTRY_COMPARE_WITH_TIMEOUT(contenders(name), 2, 20'000);
    QVERIFY(!QFile::exists(ran));
    etcdctl->release();
    QTRY_VERIFY_WITH_TIMEOUT(ctl.state() == QProcess::NotRunning, 30'000);
    QVERIFY2(ctl.exitCode() == 3, ctl.readAllStandardError().constData());
    QVERIFY(QFile::exists(ran));
    QTRY_COMPARE_WITH_TIMEOUT(contenders(name), 0, 15'000);
}

void TestEtcdCtl::revokedLeaseStopsTheCommand()
{
    const QString name = QStringLiteral("/run/revoked");
    const QString started = file(QStringLiteral("r-started"));
    const QString stopped = file(QStringLiteral("r-stopped"));
    QProcess ctl;
    const QList<QByteArray> env = startLockRun(ctl, QStringLiteral("revoked"), {QStringLiteral("--ttl"), QStringLiteral("6s")}, started,
                                               QStringLiteral("trap 'touch %1; exit 42' TERM;").arg(stopped),
                                               QStringLiteral("for i in $(seq 2400); do sleep 0.05; done; exit 9"));
    QCOMPARE(env.size(), 2);
    const QByteArray key = env[0];
    const QString lease = QString::fromUtf8(key.mid(key.lastIndexOf('/') + 1));
    QVERIFY(m_server->etcdctl({QStringLiteral("lease"), QStringLiteral("revoke"), lease}));
    QTRY_VERIFY_WITH_TIMEOUT(ctl.state() == QProcess::NotRunning, 20'000);
    const QString err = QString::fromLocal8Bit(ctl.readAllStandardError());
    QCOMPARE(ctl.exitCode(), 76);
    QVERIFY(QFile::exists(stopped));                    // the command got SIGTERM
    QVERIFY2(err.contains(u"revoked or expired"), qPrintable(err));
}

void TestEtcdCtl::badEtcdAddressIsNamed()
{
    const QString ctl = binaryPath(QStringLiteral("fulcrumctl"));
    const ProgramRun bad = runProgram(ctl, {QStringLiteral("locks"), QStringLiteral("list"), QStringLiteral("--etcd"), QStringLiteral("etcd1")});
    QCOMPARE(bad.exitCode, 2);
    QVERIFY2(bad.err.contains(u"--etcd") && bad.err.contains(u"http://127.0.0.1:2379"), qPrintable(bad.err));
    // Nothing listens there: the member is named with why.
    const quint16 port = freeLoopbackPort();
    const ProgramRun down = runProgram(ctl, {QStringLiteral("locks"), QStringLiteral("list"), QStringLiteral("--etcd"),
                                             QStringLiteral("http://127.0.0.1:%1").arg(port)});
    QCOMPARE(down.exitCode, 4);
    QVERIFY2(down.err.contains(QStringLiteral("127.0.0.1:%1").arg(port)), qPrintable(down.err));
}

// One request to the admin API, answered or not within 10 s: status and body.
static std::pair<int, QByteArray> adminRequest(const QString &url, const QString &tokenFile, const QByteArray &method,
                                               const QByteArray &body = {})
{
    QFile token(tokenFile);
    if (!token.open(QIODevice::ReadOnly))
        return {0, "no token file"};
    QNetworkAccessManager network;
    QNetworkRequest request{QUrl(url)};
    request.setRawHeader("Authorization", "Bearer " + token.readAll().trimmed());
    request.setHeader(QNetworkRequest::ContentTypeHeader, QStringLiteral("application/json"));
    request.setTransferTimeout(10'000);
    QNetworkReply *reply = network.sendCustomRequest(request, method, body);
    QEventLoop loop;
    QObject::connect(reply, &QNetworkReply::finished, &loop, &QEventLoop::quit);
    loop.exec();
    const std::pair<int, QByteArray> answer{reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), reply->readAll()};
    reply->deleteLater();
    return answer;
}

void TestEtcdCtl::fulcrumdServesEtcdLocksAndRevokesThroughItsAdminApi()
{
    const QString name = QStringLiteral("/daemon/refund-12");
    auto holder = EtcdLockProcess::lock(*m_server, name);
    QTRY_VERIFY_WITH_TIMEOUT(holder->isAcquired(), 20'000);
    auto waiter = EtcdLockProcess::lock(*m_server, name);
    QTRY_COMPARE_WITH_TIMEOUT(contenders(name), 2, 20'000);

    QTemporaryDir dir;
    const quint16 adminPort = freeLoopbackPort();
    const QString configPath = dir.filePath(QStringLiteral("fulcrum.json"));
    QFile file(configPath);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write(QStringLiteral("{\"locks\": [{\"backend\": \"etcd\", \"name\": \"k8s\", \"endpoints\": [\"%1\"], \"prefixes\": [\"/daemon/\"],"
                              " \"poll_interval\": \"200ms\"}], \"admin\": {\"listen\": \"127.0.0.1:%2\"}, \"state_dir\": \"%3\"}")
                   .arg(m_server->clientUrl())
                   .arg(adminPort)
                   .arg(dir.filePath(QStringLiteral("state")))
                   .toUtf8());
    file.close();
    QProcess fulcrumd;
    QString log;
    QVERIFY2(startFulcrumd(fulcrumd, configPath, &log), qPrintable(log));
    const QString engine = QStringLiteral("http://127.0.0.1:%1").arg(adminPort);
    const QString tokenFile = dir.filePath(QStringLiteral("state/admin.token"));
    const QString ctl = binaryPath(QStringLiteral("fulcrumctl"));
    QJsonObject endpoint;
    QJsonObject row;
    QTRY_VERIFY_WITH_TIMEOUT(([&] {
        const ProgramRun run = runProgram(ctl, {QStringLiteral("locks"), QStringLiteral("list"), QStringLiteral("--engine"), engine,
                                                QStringLiteral("--token-file"), tokenFile, QStringLiteral("--endpoint"), QStringLiteral("k8s"),
                                                QStringLiteral("--json")});
        endpoint = QJsonDocument::fromJson(run.out.toUtf8()).object();
        for (const QJsonValue &value : endpoint.value(QStringLiteral("locks")).toArray()) {
            if (value.toObject().value(QStringLiteral("key")).toString() == name)
                row = value.toObject();
        }
        return row.value(QStringLiteral("waiters")).toArray().size() == 1;
    })(), 30'000);
    QCOMPARE(endpoint.value(QStringLiteral("backend")).toString(), QStringLiteral("etcd"));
    const QJsonObject capabilities = endpoint.value(QStringLiteral("capabilities")).toObject();
    QVERIFY(capabilities.value(QStringLiteral("revoke_session")).toBool());
    QVERIFY(capabilities.value(QStringLiteral("revoke_effect")).toString().contains(u"EVERY"));
    QCOMPARE(row.value(QStringLiteral("holder")).toString(), QString::fromUtf8(holder->key()));

    // Prometheus: the etcd endpoint's locks and waiters, labelled with its backend.
    const auto metrics = adminRequest(engine + QStringLiteral("/metrics"), tokenFile, "GET");
    QCOMPARE(metrics.first, 200);
    QVERIFY2(metrics.second.contains("fulcrum_locks{endpoint=\"k8s\",backend=\"etcd\"} 1"), metrics.second.constData());
    QVERIFY2(metrics.second.contains("fulcrum_lock_waiters{endpoint=\"k8s\",backend=\"etcd\"} 1"), metrics.second.constData());
    // A release mode the API does not know: a 400 that lists the modes, and nothing released.
    const auto badMode = adminRequest(engine + QStringLiteral("/api/v1/locks/k8s/release"), tokenFile, "POST",
                                      QJsonDocument(QJsonObject{{QStringLiteral("key"), name},
                                                                {QStringLiteral("holder"), QString::fromUtf8(holder->key())},
                                                                {QStringLiteral("mode"), QStringLiteral("nuke")}})
                                          .toJson(QJsonDocument::Compact));
    QCOMPARE(badMode.first, 400);
    QVERIFY2(badMode.second.contains("revoke") && badMode.second.contains("nuke"), badMode.second.constData());
    QVERIFY(holder->isRunning());

    const ProgramRun revoke = runProgram(ctl, {QStringLiteral("locks"), QStringLiteral("release"), name, QStringLiteral("--endpoint"),
                                               QStringLiteral("k8s"), QStringLiteral("--engine"), engine, QStringLiteral("--token-file"), tokenFile,
                                               QStringLiteral("--revoke"), QStringLiteral("--holder"), QString::fromUtf8(holder->key())});
    QVERIFY2(revoke.exitCode == 0, qPrintable(revoke.err));
    QTRY_VERIFY_WITH_TIMEOUT(!holder->isRunning(), 20'000);
    QTRY_VERIFY_WITH_TIMEOUT(waiter->isAcquired(), 20'000);
    stopProcess(fulcrumd);
    QFile audit(dir.filePath(QStringLiteral("state/audit.log")));
    QVERIFY(audit.open(QIODevice::ReadOnly));
    QVERIFY(audit.readAll().contains("revoke-lease"));
}

QTEST_GUILESS_MAIN(TestEtcdCtl)
#include "tst_etcdctl.moc"
