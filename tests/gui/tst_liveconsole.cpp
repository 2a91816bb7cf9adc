#include "demobackends.h"
#include "engine/inprocessenginelink.h"
#include "engine/remoteenginelink.h"
#include "fulcrumdprocess.h"
#include "isolatedpaths.h"
#include "locks/lockbackends.h"
#include "lockmodel.h"
#include "locksview.h"
#include "locksviewrows.h"
#include "redisserver.h"

#include <QApplication>
#include <QComboBox>
#include <QLabel>
#include <QJsonDocument>
#include <QMessageBox>
#include <QPushButton>
#include <QTableView>
#include <QTest>
#include <QTimer>

#include <memory>

using namespace fulcrum;
using namespace fulcrum::test;
using namespace fulcrum::ui;

// The console's Locks view on a live table: a Redis without keyspace notifications is polled and
// says why; Follow changes live… explains, asks, turns them on through the engine (audited) and
// the table follows Redis from then on; and through a remote engine, rows change as the
// stream's lock-changes arrive. Every poll here is an hour apart.
class TestLiveConsole : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { useIsolatedStandardPaths(); }
    void followLiveAsksTurnsOnAndFollows();
    void remoteEngineRowsFollowTheStream();
};

void TestLiveConsole::followLiveAsksTurnsOnAndFollows()
{
    RedisServer server;
    QString error;
    QVERIFY2(server.start(&error), qPrintable(error));
    server.command({"SET", "lock:cart:1", "web-1", "PX", "600000"});
    InProcessOptions options = InProcessOptions::demo();
    options.flapping = false;
    InProcessLockEndpoint endpoint;
    QVERIFY2(parseLockEndpointAddress(server.url(), &endpoint.config, &error), qPrintable(error));
    endpoint.config.redis.name = QStringLiteral("shop");
    endpoint.config.redis.pollIntervalMs = 3'600'000;
    options.locks.append(endpoint);
    InProcessEngineLink link(options);
    QList<LinkEvent> events;
    QObject::connect(&link, &EngineLink::eventsReady, &link, [&events](const QList<LinkEvent> &more) { events += more; });
    LocksView view(&link);
    QObject::connect(&link, &EngineLink::lockTableReady, &view, &LocksView::setLockTable);
    view.resize(1024, 640);
    view.show();
    auto *picker = view.findChild<QComboBox *>(QStringLiteral("lockEndpoints"));
    picker->setCurrentIndex(picker->findData(QStringLiteral("shop")));
    QTRY_VERIFY_WITH_TIMEOUT(rowOf(&view, QStringLiteral("lock:cart:1")) >= 0, 15'000);
    // Polled, and why: what the server has and needs.
    QTRY_VERIFY_WITH_TIMEOUT(view.followButton()->isVisible(), 15'000);
    QVERIFY2(view.feedText().startsWith(QStringLiteral("Polled: ")) && view.feedText().contains(QStringLiteral("notify-keyspace-events is \"\"")),
             qPrintable(view.feedText()));

    // The question names the setting and that it is server-wide; Cancel changes nothing.
    QString asked;
    QTimer::singleShot(200, &view, [&asked] {
        auto *box = qobject_cast<QMessageBox *>(QApplication::activeModalWidget());
        if (!box)
            return;
        asked = box->text();
        box->button(QMessageBox::Cancel)->click();
    });
    view.followButton()->click();
    QVERIFY2(asked.contains(QStringLiteral("notify-keyspace-events Kg$hxe")) && asked.contains(QStringLiteral("server-wide")), qPrintable(asked));
    QTest::qWait(300);
    QCOMPARE(server.command({"CONFIG", "GET", "notify-keyspace-events"}).elements.value(1).string, QByteArray(""));

    // Confirmed: turned on, audited as an operator event, then live.
    QTimer::singleShot(200, &view, [] {
        auto *box = qobject_cast<QMessageBox *>(QApplication::activeModalWidget());
        if (!box)
            return;
        for (QAbstractButton *button : box->buttons()) {
            if (box->buttonRole(button) == QMessageBox::AcceptRole)
                button->click();
        }
    });
    view.followButton()->click();
    QTRY_VERIFY_WITH_TIMEOUT(view.feedText().startsWith(QStringLiteral("Live: ")), 15'000);
    QVERIFY(!view.followButton()->isVisible());
    QVERIFY(server.command({"CONFIG", "GET", "notify-keyspace-events"}).elements.value(1).string.contains('K'));
    QTRY_VERIFY_WITH_TIMEOUT(std::any_of(events.begin(), events.end(), [](const LinkEvent &e) { return e.what == u"enable-notifications"; }), 10'000);

    // And the table follows: a new lock and a release show without a pass.
    server.command({"SET", "lock:cart:2", "web-2", "PX", "600000"});
    QTRY_VERIFY_WITH_TIMEOUT(rowOf(&view, QStringLiteral("lock:cart:2")) >= 0, 10'000);
    // Each row says how fresh it is; the status says the table is live.
    QVERIFY2(view.statusText().endsWith(QStringLiteral("live")), qPrintable(view.statusText()));
    view.table()->selectRow(rowOf(&view, QStringLiteral("lock:cart:2")));
    auto *detail = view.findChild<QLabel *>(QStringLiteral("lockDetail"));
    QVERIFY(detail);
    QTRY_VERIFY2_WITH_TIMEOUT(detail->text().contains(QStringLiteral("when Redis last announced a change to it (the table is live)")),
                              qPrintable(detail->text()), 5'000);
    server.command({"DEL", "lock:cart:1"});
    QTRY_VERIFY_WITH_TIMEOUT(rowOf(&view, QStringLiteral("lock:cart:1")) < 0, 10'000);
}

void TestLiveConsole::remoteEngineRowsFollowTheStream()
{
    RedisServer::Options redisOptions;
    redisOptions.extraConfig << QStringLiteral("notify-keyspace-events KA");
    RedisServer server(redisOptions);
    QString error;
    QVERIFY2(server.start(&error), qPrintable(error));
    server.command({"SET", "lock:order:1", "w-1", "PX", "600000"});
    InProcessDemoBackend app(QStringLiteral("app1"));
    QVERIFY(app.isListening());
    FulcrumdProcess::Options options;
    options.servers = {{QStringLiteral("app1"), app.port()}};
    options.redisPort = server.port();
    FulcrumdProcess engine(options);
    QString log;
    QVERIFY2(engine.start(&log), qPrintable(log));
    RemoteEngineOptions remote;
    remote.name = QStringLiteral("east");
    remote.url = engine.adminUrl();
    remote.token = engine.token();
    RemoteEngineLink link(remote);
    LocksView view(&link);
    QObject::connect(&link, &EngineLink::lockTableReady, &view, &LocksView::setLockTable);
    view.resize(1024, 640);
    view.show();
    // The engine names its endpoints once connected (the main window passes them on).
    QTRY_VERIFY_WITH_TIMEOUT(link.lockEndpointNames().contains(QStringLiteral("cache")), 20'000);
    view.setEndpoints(link.lockEndpointNames());
    QTRY_VERIFY2_WITH_TIMEOUT(rowOf(&view, QStringLiteral("lock:order:1")) >= 0,
                              qPrintable(QStringLiteral("%1 rows, status %2, engine: %3").arg(view.table()->model()->rowCount()).arg(view.statusText(),
                                  QString::fromUtf8(QJsonDocument(engine.request("GET", "/api/v1/locks/cache")).toJson(QJsonDocument::Compact)))), 20'000);
    QTRY_VERIFY2_WITH_TIMEOUT(view.feedText().startsWith(QStringLiteral("Live: ")), qPrintable(view.feedText() + QStringLiteral(" / engine: ") + QString::fromUtf8(QJsonDocument(engine.request("GET", "/api/v1/locks/cache").value(QStringLiteral("feed")).toObject()).toJson())), 20'000);
    server.command({"SET", "lock:order:2", "w-2", "PX", "600000"});
    QTRY_VERIFY_WITH_TIMEOUT(rowOf(&view, QStringLiteral("lock:order:2")) >= 0, 10'000);
    server.command({"DEL", "lock:order:1"});
    QTRY_VERIFY_WITH_TIMEOUT(rowOf(&view, QStringLiteral("lock:order:1")) < 0, 10'000);
}

QTEST_MAIN(TestLiveConsole)
#include "tst_liveconsole.moc"
