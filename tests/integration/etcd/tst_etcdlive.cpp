#include "locks/etcd/etcdlockbackend.h"
#include "etcdclients.h"
#include "etcdserver.h"
#include "tcprelay.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QSignalSpy>
#include <QTest>

#include <memory>

using namespace fulcrum;
using namespace fulcrum::test;

// The live etcd table (issue 18) against a real etcd and real `etcdctl lock` processes: after
// one pass, a /v3/watch on the prefixes follows every change, with no further pass. A relay in
// the test's own loop stands between the backend and etcd, so that the connection can be cut
// while etcd goes on changing, and the watch must resume from the revision it had seen (or,
// when etcd compacted that revision away, read everything again). No test here calls scan()
// after the first pass: rows that change did so through the watch.
class TestEtcdLive : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void everyChangeFollowsTheWatch();
    void watchOffPolls();
    void watchResumesFromTheLastRevisionAfterAReconnect();
    void compactedRevisionIsReadAgainWhole();

private:
    std::unique_ptr<EtcdLockBackend> liveBackend(const QStringList &endpoints, const QString &prefix, QSignalSpy **passes);
    qint64 currentRevision() const;

    std::unique_ptr<EtcdServer> m_server;
    std::vector<std::unique_ptr<QSignalSpy>> m_spies;
};

static const LockInfo *rowOf(const LockScanResult &result, const QByteArray &key)
{
    for (const LockInfo &info : result.locks) {
        if (info.key == key)
            return &info;
    }
    return nullptr;
}

void TestEtcdLive::initTestCase()
{
    m_server = std::make_unique<EtcdServer>();
    QString error;
    QVERIFY2(m_server->start(&error), qPrintable(error));
}

// Connected, one pass done and the watch created; `passes` counts scanFinished from then on.
std::unique_ptr<EtcdLockBackend> TestEtcdLive::liveBackend(const QStringList &endpoints, const QString &prefix, QSignalSpy **passes)
{
    EtcdEndpointConfig config;
    config.name = QStringLiteral("etcd");
    config.endpoints = endpoints;
    config.prefixes = {prefix};
    auto backend = std::make_unique<EtcdLockBackend>(config, QByteArray());
    backend->open();
    if (!QTest::qWaitFor([&] { return backend->isConnected(); }, 20'000))
        return nullptr;
    backend->scan();
    if (!QTest::qWaitFor([&] { return backend->feedState().mode == LockFeedState::Live; }, 20'000))
        return nullptr;
    m_spies.push_back(std::make_unique<QSignalSpy>(backend.get(), &LockBackend::scanFinished));
    *passes = m_spies.back().get();
    return backend;
}

qint64 TestEtcdLive::currentRevision() const
{
    QString out;
    if (!m_server->etcdctl({QStringLiteral("get"), QStringLiteral("/"), QStringLiteral("--write-out=json")}, &out))
        return -1;
    const QJsonObject header = QJsonDocument::fromJson(out.toUtf8()).object().value(QStringLiteral("header")).toObject();
    return qint64(header.value(QStringLiteral("revision")).toDouble());
}

void TestEtcdLive::everyChangeFollowsTheWatch()
{
    QSignalSpy *passes = nullptr;
    auto backend = liveBackend(m_server->clientUrls(), QStringLiteral("/live/"), &passes);
    QVERIFY(backend);
    QSignalSpy changes(backend.get(), &LockBackend::rowsChanged);
    const QByteArray name = "/live/orders/cart-7";
    QVERIFY(!rowOf(backend->lastResult(), name));

    // A holder appears.
    auto holder = EtcdLockProcess::lock(*m_server, QString::fromUtf8(name));
    QVERIFY(QTest::qWaitFor([&] { return holder->isAcquired(); }, 20'000));
    QTRY_VERIFY_WITH_TIMEOUT(rowOf(backend->lastResult(), name), 10'000);
    const LockInfo first = *rowOf(backend->lastResult(), name);
    QCOMPARE(first.holder, holder->key());
    QVERIFY(first.readAt.isValid());
    QVERIFY(first.ttlMs > 0);                                   // the holder's lease was looked up
    QVERIFY(first.detailInteger(QStringLiteral("granted_ttl_s")) > 0);
    QVERIFY(changes.count() > 0);

    // A waiter queues behind it.
    auto waiter = EtcdLockProcess::lock(*m_server, QString::fromUtf8(name));
    QTRY_VERIFY_WITH_TIMEOUT(rowOf(backend->lastResult(), name) && rowOf(backend->lastResult(), name)->waiters.size() == 1, 10'000);
    QCOMPARE(rowOf(backend->lastResult(), name)->holder, holder->key());
    QCOMPARE(rowOf(backend->lastResult(), name)->ttlMs >= 0, true);

    // The holder lets go: the waiter holds.
    holder->release();
    QVERIFY(QTest::qWaitFor([&] { return waiter->isAcquired(); }, 20'000));
    QTRY_COMPARE_WITH_TIMEOUT(rowOf(backend->lastResult(), name) ? rowOf(backend->lastResult(), name)->holder : QByteArray(),
                              waiter->key(), 10'000);
    QVERIFY(rowOf(backend->lastResult(), name)->waiters.isEmpty());

    // An election on the same prefix.
    auto leader = EtcdLockProcess::elect(*m_server, QStringLiteral("/live/leader"), QStringLiteral("node-a"));
    QVERIFY(QTest::qWaitFor([&] { return leader->isAcquired(); }, 20'000));
    QTRY_VERIFY_WITH_TIMEOUT(rowOf(backend->lastResult(), "/live/leader"), 10'000);
    QCOMPARE(rowOf(backend->lastResult(), "/live/leader")->kind, QStringLiteral("etcd-election"));

    // Its lease revoked by someone else: the row goes (a DELETE event).
    waiter->kill();
    const QByteArray lease = waiter->key().mid(waiter->key().lastIndexOf('/') + 1);
    QVERIFY(m_server->etcdctl({QStringLiteral("lease"), QStringLiteral("revoke"), QString::fromLatin1(lease)}));
    QTRY_VERIFY_WITH_TIMEOUT(!rowOf(backend->lastResult(), name), 10'000);
    bool removedSeen = false;
    for (const QList<QVariant> &signal : std::as_const(changes))
        removedSeen = removedSeen || signal.at(0).value<LockChanges>().removed.contains(name);
    QVERIFY(removedSeen);

    // A key outside the prefixes, or not shaped like a lock, changes nothing.
    QVERIFY(m_server->etcdctl({QStringLiteral("put"), QStringLiteral("/live/config/timeout"), QStringLiteral("30")}));
    QVERIFY(m_server->etcdctl({QStringLiteral("put"), QStringLiteral("/elsewhere/x/1"), QStringLiteral("1")}));
    QTest::qWait(300);
    QVERIFY(!rowOf(backend->lastResult(), "/live/config"));
    QCOMPARE(passes->count(), 0);                                // all of it without a pass
    QCOMPARE(backend->feedState().mode, LockFeedState::Live);
    QVERIFY(backend->feedState().eventsApplied >= 4);
    leader->release();
}

void TestEtcdLive::watchOffPolls()
{
    EtcdEndpointConfig config;
    config.name = QStringLiteral("etcd");
    config.endpoints = m_server->clientUrls();
    config.prefixes = {QStringLiteral("/off/")};
    config.watch = false;
    EtcdLockBackend backend(config, QByteArray());
    backend.open();
    QVERIFY(QTest::qWaitFor([&] { return backend.isConnected(); }, 20'000));
    QSignalSpy finished(&backend, &LockBackend::scanFinished);
    backend.scan();
    QVERIFY(QTest::qWaitFor([&] { return finished.count() > 0; }, 20'000));
    auto holder = EtcdLockProcess::lock(*m_server, QStringLiteral("/off/job"));
    QVERIFY(QTest::qWaitFor([&] { return holder->isAcquired(); }, 20'000));
    QTest::qWait(500);
    QVERIFY(!rowOf(backend.lastResult(), "/off/job"));         // nothing follows changes
    QCOMPARE(backend.feedState().mode, LockFeedState::Polling);
    QVERIFY2(backend.feedState().why.contains(QStringLiteral("watch: false")), qPrintable(backend.feedState().why));
    backend.scan();
    QVERIFY(QTest::qWaitFor([&] { return finished.count() > 1; }, 20'000));
    QVERIFY(rowOf(backend.lastResult(), "/off/job"));
}

void TestEtcdLive::watchResumesFromTheLastRevisionAfterAReconnect()
{
    const quint16 etcdPort = quint16(QUrl(m_server->clientUrl()).port());
    TcpRelay relay(etcdPort);
    QVERIFY(relay.start());
    QSignalSpy *passes = nullptr;
    auto backend = liveBackend({QStringLiteral("http://127.0.0.1:%1").arg(relay.port())}, QStringLiteral("/resume/"), &passes);
    QVERIFY(backend);
    auto before = EtcdLockProcess::lock(*m_server, QStringLiteral("/resume/a"));
    QVERIFY(QTest::qWaitFor([&] { return before->isAcquired(); }, 20'000));
    QTRY_VERIFY_WITH_TIMEOUT(rowOf(backend->lastResult(), "/resume/a"), 10'000);

    // The network goes; etcd goes on: one lock is released and another taken meanwhile.
    relay.cut();
    QTRY_COMPARE_WITH_TIMEOUT(backend->feedState().mode, LockFeedState::Resyncing, 10'000);
    QVERIFY2(backend->feedState().why.contains(QStringLiteral("resumes from revision")), qPrintable(backend->feedState().why));
    before->release();
    QVERIFY(QTest::qWaitFor([&] { return !before->isRunning(); }, 20'000));
    auto during = EtcdLockProcess::lock(*m_server, QStringLiteral("/resume/b"));
    QVERIFY(QTest::qWaitFor([&] { return during->isAcquired(); }, 20'000));
    QTest::qWait(500);
    QVERIFY(rowOf(backend->lastResult(), "/resume/a"));         // nothing could say otherwise yet

    // Back: etcd replays what happened since the last revision seen; no pass reads anything.
    QVERIFY(relay.restore());
    QTRY_COMPARE_WITH_TIMEOUT(backend->feedState().mode, LockFeedState::Live, 20'000);
    QTRY_VERIFY_WITH_TIMEOUT(rowOf(backend->lastResult(), "/resume/b") && !rowOf(backend->lastResult(), "/resume/a"), 10'000);
    QCOMPARE(rowOf(backend->lastResult(), "/resume/b")->holder, during->key());
    QCOMPARE(passes->count(), 0);
    during->release();
}

void TestEtcdLive::compactedRevisionIsReadAgainWhole()
{
    const quint16 etcdPort = quint16(QUrl(m_server->clientUrl()).port());
    TcpRelay relay(etcdPort);
    QVERIFY(relay.start());
    QSignalSpy *passes = nullptr;
    auto backend = liveBackend({QStringLiteral("http://127.0.0.1:%1").arg(relay.port())}, QStringLiteral("/compact/"), &passes);
    QVERIFY(backend);
    auto before = EtcdLockProcess::lock(*m_server, QStringLiteral("/compact/a"));
    QVERIFY(QTest::qWaitFor([&] { return before->isAcquired(); }, 20'000));
    QTRY_VERIFY_WITH_TIMEOUT(rowOf(backend->lastResult(), "/compact/a"), 10'000);

    relay.cut();
    QTRY_COMPARE_WITH_TIMEOUT(backend->feedState().mode, LockFeedState::Resyncing, 10'000);
    before->release();
    QVERIFY(QTest::qWaitFor([&] { return !before->isRunning(); }, 20'000));
    auto during = EtcdLockProcess::lock(*m_server, QStringLiteral("/compact/b"));
    QVERIFY(QTest::qWaitFor([&] { return during->isAcquired(); }, 20'000));
    // etcd forgets the history the watch would resume from.
    const qint64 revision = currentRevision();
    QVERIFY(revision > 0);
    QVERIFY(m_server->etcdctl({QStringLiteral("compact"), QString::number(revision)}));

    QVERIFY(relay.restore());
    QTRY_VERIFY_WITH_TIMEOUT(passes->count() > 0, 20'000);      // read again whole
    QTRY_COMPARE_WITH_TIMEOUT(backend->feedState().mode, LockFeedState::Live, 20'000);
    QVERIFY(rowOf(backend->lastResult(), "/compact/b"));
    QVERIFY(!rowOf(backend->lastResult(), "/compact/a"));
    QCOMPARE(rowOf(backend->lastResult(), "/compact/b")->holder, during->key());

    // And it follows changes again from the pass's revision.
    during->release();
    QTRY_VERIFY_WITH_TIMEOUT(!rowOf(backend->lastResult(), "/compact/b"), 10'000);
    QCOMPARE(passes->count(), 1);
}

QTEST_GUILESS_MAIN(TestEtcdLive)
#include "tst_etcdlive.moc"
