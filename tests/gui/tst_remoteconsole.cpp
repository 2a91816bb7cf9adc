// The console over the admin API: real fulcrumd processes, the real window, mouse events on
// the weights chart. What the engine itself answers over its API is what the assertions read.
#include "demobackends.h"
#include "engine/multienginelink.h"
#include "engine/remoteenginelink.h"
#include "freeport.h"
#include "fulcrumdprocess.h"
#include "haproxy/haproxyenginelink.h"
#include "haproxyserver.h"
#include "isolatedpaths.h"
#include "lockmodel.h"
#include "locksview.h"
#include "liveloadview.h"
#include "mainwindow.h"
#include "redisserver.h"
#include "servertablemodel.h"
#include "weightcontroller.h"
#include "weightschartview.h"

#include <QChartView>
#include <QGraphicsScene>
#include <QGraphicsTextItem>
#include <QComboBox>
#include <QDirIterator>
#include <QFile>
#include <QJsonArray>
#include <QLabel>
#include <QStatusBar>
#include <QLineEdit>
#include <QPushButton>
#include <QTableView>
#include <QTcpSocket>
#include <QProcess>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QElapsedTimer>
#include <QTest>
#include <QUndoStack>

#include <algorithm>
#include <memory>

using namespace fulcrum;
using namespace fulcrum::test;
using namespace fulcrum::ui;

class TestRemoteConsole : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void dragDrivesTheRealEngine();
    void twoEnginesInOneWindow();
    void forceReleaseThroughTheLocksView();
    void haproxyAndFulcrumdSideBySide();
    void programAttachesFromTheCommandLine();
    void programRefusesBadEngines_data();
    void programRefusesBadEngines();
    void programWithoutADisplay();
    void programWithoutARuntimeDir();
    void engineThatDoesNotAnswer();
    void activeIsRequestsBeingServed();

private:
    // Health checks have passed for every server: the target shares are over all of them.
    static bool allTakeTraffic(const MainWindow &window, int servers)
    {
        const LinkSnapshot snapshot = window.weightController()->snapshot();
        return snapshot.servers.size() == servers
               && std::all_of(snapshot.servers.cbegin(), snapshot.servers.cend(), [](const ServerStatus &s) { return s.takesTraffic(); });
    }
    int engineWeight(const FulcrumdProcess &engine, const QString &server) const
    {
        return engine.server(server).value(QStringLiteral("weight")).toInt();
    }
    std::unique_ptr<RemoteEngineLink> makeLink(const FulcrumdProcess &engine, const QString &name) const
    {
        RemoteEngineOptions options;
        options.name = name;
        options.url = engine.adminUrl();
        options.token = engine.token();
        return std::make_unique<RemoteEngineLink>(options);
    }

    std::unique_ptr<InProcessDemoBackend> m_app1;
    std::unique_ptr<InProcessDemoBackend> m_app2;
    std::unique_ptr<InProcessDemoBackend> m_app3;
    std::unique_ptr<RedisServer> m_redis;
    std::unique_ptr<FulcrumdProcess> m_east;
    std::unique_ptr<FulcrumdProcess> m_west;
};

void TestRemoteConsole::initTestCase()
{
    useIsolatedStandardPaths();
    m_app1 = std::make_unique<InProcessDemoBackend>(QStringLiteral("app1"));
    m_app2 = std::make_unique<InProcessDemoBackend>(QStringLiteral("app2"));
    m_app3 = std::make_unique<InProcessDemoBackend>(QStringLiteral("app3"));
    QVERIFY(m_app1->isListening() && m_app2->isListening() && m_app3->isListening());
    m_redis = std::make_unique<RedisServer>();
    QString error;
    QVERIFY2(m_redis->start(&error), qPrintable(error));
    FulcrumdProcess::Options options;
    options.servers = {{QStringLiteral("app1"), m_app1->port()}, {QStringLiteral("app2"), m_app2->port()}, {QStringLiteral("app3"), m_app3->port()}};
    options.redisPort = m_redis->port();
    m_east = std::make_unique<FulcrumdProcess>(options);
    options.redisPort = 0;
    QString log;
    QVERIFY2(m_east->start(&log), qPrintable(log));
    options.pool = QStringLiteral("checkout");
    options.servers.removeLast();
    m_west = std::make_unique<FulcrumdProcess>(options);
    QVERIFY2(m_west->start(&log), qPrintable(log));
}

void TestRemoteConsole::cleanupTestCase()
{
    m_east.reset();
    m_west.reset();
    m_redis.reset();
}

void TestRemoteConsole::dragDrivesTheRealEngine()
{
    std::unique_ptr<RemoteEngineLink> link = makeLink(*m_east, QStringLiteral("east"));
    MainWindow window(link.get());
    window.resize(1200, 800);
    window.showView(MainWindow::Weights);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    window.weightController()->setConfirmThreshold(1.0);
    window.weightController()->setConfirmer([](const QString &) { return true; });
    WeightsChartView *chart = window.weightsChart();
    QTRY_COMPARE_WITH_TIMEOUT(chart->servers().size(), 3, 10'000);
    QCOMPARE(link->state(), LinkState::Connected);
    QTRY_VERIFY_WITH_TIMEOUT(allTakeTraffic(window, 3), 10'000);

    // app2 from a third of the target share down to 20 %: the others' 20 * 0.2 / 0.8 = 5.
    const int index = int(chart->servers().indexOf(QStringLiteral("app2")));
    QVERIFY(index >= 0);
    QWidget *viewport = chart->viewport();
    const QPoint start = chart->handlePosition(index);
    QTest::mousePress(viewport, Qt::LeftButton, Qt::NoModifier, start);
    QVERIFY(chart->isDragging());
    const QPoint end = chart->positionFor(index, 0.2);
    QTest::mouseMove(viewport, chart->positionFor(index, 0.27));
    QTest::mouseMove(viewport, end);
    // Nothing reaches the engine before the release.
    QCOMPARE(engineWeight(*m_east, QStringLiteral("app2")), 10);
    QTest::mouseRelease(viewport, Qt::LeftButton, Qt::NoModifier, end);

    QTRY_VERIFY_WITH_TIMEOUT(engineWeight(*m_east, QStringLiteral("app2")) != 10, 10'000);
    const int applied = engineWeight(*m_east, QStringLiteral("app2"));
    QVERIFY2(std::abs(applied - 5) <= 1, qPrintable(QString::number(applied)));
    QCOMPARE(engineWeight(*m_east, QStringLiteral("app1")), 10);
    QCOMPARE(engineWeight(*m_east, QStringLiteral("app3")), 10);
    // The window follows the engine, not its own guess: the servers table shows the applied weight.
    ServerTableModel *model = window.serverModel();
    QTRY_COMPARE_WITH_TIMEOUT(model->serverAt(model->rowOf(QStringLiteral("web/app2")))->weight, applied, 5000);

    // Undo goes through the engine as well.
    window.weightController()->undoStack()->undo();
    QTRY_COMPARE_WITH_TIMEOUT(engineWeight(*m_east, QStringLiteral("app2")), 10, 10'000);
}

void TestRemoteConsole::twoEnginesInOneWindow()
{
    MultiEngineLink link;
    QVERIFY(link.addEngine(QStringLiteral("east"), makeLink(*m_east, QStringLiteral("east")).release()));
    QVERIFY(link.addEngine(QStringLiteral("west"), makeLink(*m_west, QStringLiteral("west")).release()));
    MainWindow window(&link);
    window.resize(1200, 800);
    window.showView(MainWindow::Weights);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    window.weightController()->setConfirmThreshold(1.0);
    window.weightController()->setConfirmer([](const QString &) { return true; });

    // Both engines' servers in the servers table, each pool named after its engine.
    ServerTableModel *model = window.serverModel();
    QTRY_COMPARE_WITH_TIMEOUT(model->rowCount(), 5, 10'000);
    QVERIFY(model->rowOf(QStringLiteral("east/web/app3")) >= 0);
    QVERIFY(model->rowOf(QStringLiteral("west/checkout/app1")) >= 0);
    auto *pools = window.findChild<QComboBox *>(QStringLiteral("weightsPool"));
    QVERIFY(pools);
    QTRY_COMPARE_WITH_TIMEOUT(pools->count(), 2, 5000);

    // Dragging on west's pool changes west's engine only.
    WeightsChartView *chart = window.weightsChart();
    pools->setCurrentText(QStringLiteral("west/checkout"));
    QTRY_COMPARE(chart->pool(), QStringLiteral("west/checkout"));
    QTRY_COMPARE_WITH_TIMEOUT(chart->servers().size(), 2, 5000);
    QTRY_VERIFY_WITH_TIMEOUT(allTakeTraffic(window, 5), 10'000);
    const int index = int(chart->servers().indexOf(QStringLiteral("app1")));
    QVERIFY(index >= 0);
    QWidget *viewport = chart->viewport();
    QTest::mousePress(viewport, Qt::LeftButton, Qt::NoModifier, chart->handlePosition(index));
    const QPoint end = chart->positionFor(index, 0.75);
    QTest::mouseMove(viewport, chart->positionFor(index, 0.6));
    QTest::mouseMove(viewport, end);
    QTest::mouseRelease(viewport, Qt::LeftButton, Qt::NoModifier, end);
    QTRY_VERIFY_WITH_TIMEOUT(engineWeight(*m_west, QStringLiteral("app1")) != 10, 10'000);
    const int applied = engineWeight(*m_west, QStringLiteral("app1"));
    QVERIFY2(std::abs(applied - 30) <= 2, qPrintable(QString::number(applied)));
    QCOMPARE(engineWeight(*m_west, QStringLiteral("app2")), 10);
    QCOMPARE(engineWeight(*m_east, QStringLiteral("app1")), 10);
    window.weightController()->undoStack()->undo();
    QTRY_COMPARE_WITH_TIMEOUT(engineWeight(*m_west, QStringLiteral("app1")), 10, 10'000);

    // Live load's history window: both engines' stores through GET /api/v1/history, side by
    // side, each pool named after its engine as in the live view.
    window.showView(MainWindow::LiveLoad);
    LiveLoadView *live = window.liveLoad();
    // The engines write their history every few seconds: asked again (Reload) until it has some.
    QElapsedTimer waited;
    waited.start();
    live->showLast(900);
    QTRY_VERIFY_WITH_TIMEOUT(!live->statusText().startsWith(u"Loading"), 10'000);
    while (!live->statusText().startsWith(u"History") && waited.elapsed() < 20'000) {
        QTest::qWait(1000);
        live->showLast(900);
        QTRY_VERIFY_WITH_TIMEOUT(!live->statusText().startsWith(u"Loading"), 10'000);
    }
    QVERIFY2(live->statusText().startsWith(u"History"), qPrintable(live->statusText()));
    QVERIFY2(live->statusText().contains(u"5 server(s)"), qPrintable(live->statusText()));
    QVERIFY2(!live->statusText().contains(u"not shown"), qPrintable(live->statusText()));
    QCOMPARE(live->shownServers().size(), 5);
    QVERIFY(!live->requestsSeries(QStringLiteral("east/web/app1")).isEmpty());
    QVERIFY(!live->requestsSeries(QStringLiteral("west/checkout/app1")).isEmpty());
}

// The locks view and its force-release dialog over the remote link, the lock in a real
// redis-server polled by the real fulcrumd: released when the holder is still the one shown,
// nothing deleted when another worker took it in between.
void TestRemoteConsole::forceReleaseThroughTheLocksView()
{
    std::unique_ptr<RemoteEngineLink> link = makeLink(*m_east, QStringLiteral("east"));
    MainWindow window(link.get());
    window.resize(1200, 800);
    window.showView(MainWindow::Locks);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    LocksView *locks = window.locksView();
    m_redis->command({"SET", "lock:cart:42", "worker-1:token-a"});                 // no expiry
    m_redis->command({"SET", "lock:order:9", "worker-1:token-b", "PX", "60000"});
    auto rowOf = [locks](const QByteArray &key) {
        const QAbstractItemModel *model = locks->table()->model();
        for (int row = 0; row < model->rowCount(); ++row) {
            if (model->index(row, LockModel::Key).data().toString() == QString::fromUtf8(key))
                return row;
        }
        return -1;
    };
    QTRY_VERIFY_WITH_TIMEOUT(rowOf("lock:cart:42") >= 0 && rowOf("lock:order:9") >= 0, 10'000);

    locks->table()->selectRow(rowOf("lock:cart:42"));
    std::unique_ptr<ForceReleaseDialog> dialog(locks->forceReleaseSelected());
    QVERIFY(dialog);
    dialog->show();
    QVERIFY(dialog->keyConfirmation());   // no expiry: the key must be typed
    QTest::keyClicks(dialog->keyConfirmation(), QStringLiteral("lock:cart:42"));
    QTest::mouseClick(dialog->releaseButton(), Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(dialog->outcome(), ForceReleaseDialog::Outcome::Released, 10'000);
    QCOMPARE(m_redis->command({"EXISTS", "lock:cart:42"}).integer, 0);
    QCOMPARE(m_redis->command({"GET", "lock:order:9"}).string, QByteArray("worker-1:token-b"));
    QTRY_VERIFY_WITH_TIMEOUT(rowOf("lock:cart:42") < 0, 10'000);

    locks->table()->selectRow(rowOf("lock:order:9"));
    dialog.reset(locks->forceReleaseSelected());
    QVERIFY(dialog);
    dialog->show();
    m_redis->command({"SET", "lock:order:9", "worker-3:token-c", "PX", "60000"});
    QTest::mouseClick(dialog->releaseButton(), Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(dialog->outcome(), ForceReleaseDialog::Outcome::Refused, 10'000);
    QCOMPARE(m_redis->command({"GET", "lock:order:9"}).string, QByteArray("worker-3:token-c"));
    const QString shown = dialog->findChild<QLabel *>(QStringLiteral("result"))->text();
    QVERIFY2(shown.contains(QStringLiteral("nothing was deleted")) && shown.contains(QStringLiteral("worker-3:token-c")), qPrintable(shown));
    // The engine audited both, as this console's user.
    const QJsonArray audit = m_east->request("GET", "/api/v1/audit?limit=2").value(QStringLiteral("entries")).toArray();
    QCOMPARE(audit.size(), 2);
    QCOMPARE(audit.at(0).toObject().value(QStringLiteral("action")).toString(), QStringLiteral("force-release"));
    QCOMPARE(audit.at(0).toObject().value(QStringLiteral("result")).toString(), QStringLiteral("ok"));
    QVERIFY(audit.at(1).toObject().value(QStringLiteral("result")).toString() != u"ok");
}

// A real haproxy and a real fulcrumd in one window: both engines' servers, HAProxy's 0–256
// scale for every drag (the lowest limit), and a weight change reaching haproxy only.
void TestRemoteConsole::haproxyAndFulcrumdSideBySide()
{
    HaproxyServer haproxy;
    QString error;
    QVERIFY2(haproxy.start(&error), qPrintable(error));
    const std::optional<RuntimeAddress> address = RuntimeAddress::parse(haproxy.adminSocket(), &error);
    QVERIFY2(address, qPrintable(error));
    MultiEngineLink link;
    QVERIFY(link.addEngine(QStringLiteral("haproxy"), new HaproxyEngineLink(*address, 250)));
    QVERIFY(link.addEngine(QStringLiteral("east"), makeLink(*m_east, QStringLiteral("east")).release()));
    QCOMPARE(link.maxWeight(), HaproxyEngineLink::kHaproxyMaxWeight);
    QVERIFY2(link.weightNote().startsWith(u"haproxy: ") && link.weightNote().contains(u"256"), qPrintable(link.weightNote()));

    MainWindow window(&link);
    window.resize(1200, 800);
    window.showView(MainWindow::Servers);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    ServerTableModel *model = window.serverModel();
    QTRY_COMPARE_WITH_TIMEOUT(model->rowCount(), 6, 10'000);
    QVERIFY(model->rowOf(QStringLiteral("haproxy/checkout/app2")) >= 0);
    QVERIFY(model->rowOf(QStringLiteral("east/web/app2")) >= 0);
    QCOMPARE(window.weightController()->maxWeight(), HaproxyEngineLink::kHaproxyMaxWeight);

    window.weightController()->setConfirmThreshold(1.0);
    window.weightController()->requestWeight(QStringLiteral("haproxy/checkout"), QStringLiteral("app2"), 40);
    QTRY_COMPARE_WITH_TIMEOUT(haproxy.serverField(QStringLiteral("app2"), QStringLiteral("weight")), QStringLiteral("40"), 10'000);
    QCOMPARE(engineWeight(*m_east, QStringLiteral("app2")), 10);
    QTRY_COMPARE_WITH_TIMEOUT(model->serverAt(model->rowOf(QStringLiteral("haproxy/checkout/app2")))->weight, 40, 5000);
}

// The real `fulcrum` program: --engine twice and --token-file, its settings in a temporary
// home; --screenshot makes it exit by itself after a few snapshots.
void TestRemoteConsole::programAttachesFromTheCommandLine()
{
    QTemporaryDir home;
    QProcess console;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("XDG_CONFIG_HOME"), home.filePath(QStringLiteral("config")));
    env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
    env.remove(QStringLiteral("FULCRUM_TOKEN"));
    console.setProcessEnvironment(env);
    // Both engines read the same token file here: give west east's token through a restart.
    m_west->stop();
    QFile::remove(m_west->tokenFile());
    QVERIFY(QFile::copy(m_east->tokenFile(), m_west->tokenFile()));
    QFile::setPermissions(m_west->tokenFile(), QFile::ReadOwner | QFile::WriteOwner);
    QString log;
    QVERIFY2(m_west->start(&log), qPrintable(log));
    QCOMPARE(m_west->token(), m_east->token());
    const QString shots = home.filePath(QStringLiteral("shots"));
    console.start(binaryPath(QStringLiteral("fulcrum")),
                  {QStringLiteral("--engine"), QStringLiteral("east=") + m_east->adminUrl().toString(),
                   QStringLiteral("--engine"), QStringLiteral("west=127.0.0.1:%1").arg(m_west->adminPort()),
                   QStringLiteral("--token-file"), m_east->tokenFile(), QStringLiteral("--screenshot"), shots, QStringLiteral("--screenshot-after"), QStringLiteral("6")});
    QVERIFY(console.waitForFinished(60'000));
    QVERIFY2(console.exitCode() == 0, console.readAllStandardError().constData());
    for (const char *view : {"live-load", "weights", "servers", "locks", "events"})
        QVERIFY(QFile::exists(shots + QStringLiteral("/console-%1.png").arg(QLatin1StringView(view))));
    // Its settings file has no token.
    QDirIterator files(home.filePath(QStringLiteral("config")), QDir::Files, QDirIterator::Subdirectories);
    while (files.hasNext()) {
        QFile file(files.next());
        QVERIFY(file.open(QIODevice::ReadOnly));
        QVERIFY(!file.readAll().contains(m_east->token()));
    }
}

void TestRemoteConsole::programRefusesBadEngines_data()
{
    QTest::addColumn<QStringList>("arguments");
    QTest::addColumn<QString>("message");
    QTest::newRow("not http") << QStringList{QStringLiteral("--engine"), QStringLiteral("east=ftp://lb1")} << QStringLiteral("http://127.0.0.1:9900");
    QTest::newRow("token in the URL") << QStringList{QStringLiteral("--engine"), QStringLiteral("east=http://admin:secret@lb1:9900")}
                                      << QStringLiteral("never in the URL");
    QTest::newRow("same name twice") << QStringList{QStringLiteral("--engine"), QStringLiteral("east=127.0.0.1:1"), QStringLiteral("--engine"), QStringLiteral("east=127.0.0.1:2")}
                                     << QStringLiteral("unique NAME=URL");
}

void TestRemoteConsole::programRefusesBadEngines()
{
    QFETCH(QStringList, arguments);
    QFETCH(QString, message);
    QTemporaryDir home;
    QProcess console;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("XDG_CONFIG_HOME"), home.path());
    env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
    env.insert(QStringLiteral("FULCRUM_TOKEN"), QStringLiteral("some-token"));
    console.setProcessEnvironment(env);
    console.start(binaryPath(QStringLiteral("fulcrum")), arguments);
    QVERIFY(console.waitForFinished(20'000));
    QCOMPARE(console.exitCode(), 2);
    const QString err = QString::fromUtf8(console.readAllStandardError());
    QVERIFY2(err.contains(message), qPrintable(err));
    QVERIFY(!err.contains(u"secret"));
}

// A wrong address or an engine that is down: the reason whole in a red line above the views
// (the status bar cut it off), and empty charts whose axes read as they will with data.
void TestRemoteConsole::engineThatDoesNotAnswer()
{
    const quint16 port = freeLoopbackPort();
    RemoteEngineOptions options;
    options.name = QStringLiteral("east");
    options.url = QUrl(QStringLiteral("http://127.0.0.1:%1").arg(port));
    options.token = "not-used";
    RemoteEngineLink link(options);
    MainWindow window(&link);
    window.resize(1008, 560);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    QTRY_VERIFY_WITH_TIMEOUT(!window.linkBannerText().isEmpty(), 10'000);
    const QString banner = window.linkBannerText();
    QVERIFY2(banner.startsWith(u"Cannot reach the engine: ") && banner.contains(QStringLiteral("127.0.0.1:%1").arg(port)) && banner.contains(u"retrying in"),
             qPrintable(banner));
    auto *label = window.findChild<QLabel *>(QStringLiteral("linkBanner"));
    QVERIFY(label && label->isVisible());
    QApplication::processEvents();
    QVERIFY2(label->height() >= label->heightForWidth(label->width()), qPrintable(QStringLiteral("%1 of %2 px").arg(label->height()).arg(label->heightForWidth(label->width()))));
    // The status bar keeps the state and fits the window; the reason is on the state's tooltip
    // (it was the whole reason, cut at the window's edge).
    int statusWidth = 0;
    bool reasonOnTooltip = false;
    for (const QLabel *part : window.statusBar()->findChildren<QLabel *>()) {
        if (!part->isVisible())
            continue;
        QVERIFY2(part->width() >= part->sizeHint().width(), qPrintable(QStringLiteral("\"%1\": %2 of %3 px").arg(part->text()).arg(part->width()).arg(part->sizeHint().width())));
        statusWidth += part->sizeHint().width();
        reasonOnTooltip = reasonOnTooltip || part->toolTip().contains(QStringLiteral("127.0.0.1:%1").arg(port));
    }
    QVERIFY2(statusWidth <= 1008, qPrintable(QString::number(statusWidth)));
    QCOMPARE(window.width(), 1008);
    QVERIFY(reasonOnTooltip);
    window.showView(MainWindow::LiveLoad);
    QApplication::processEvents();
    for (int i = 0; i < 3; ++i) {
        QStringList labels;
        for (QGraphicsItem *item : window.liveLoad()->chartView(i)->scene()->items()) {
            if (const auto *text = qgraphicsitem_cast<QGraphicsTextItem *>(item); text && text->isVisible() && !text->toPlainText().isEmpty())
                labels.append(text->toPlainText());
        }
        QStringList distinct = labels;
        distinct.removeDuplicates();
        QVERIFY2(distinct.size() == labels.size(), qPrintable(QStringLiteral("chart %1: %2").arg(i).arg(labels.join(u'|'))));
    }
}

// "Active" is what is being served now, as HAProxy's scur and httpd's busy count it (and NGINX
// Plus's "active"): it was every open server connection, so a quiet fulcrumd kept showing its
// kept-alive idle connections as active, and a drained server did not seem to empty.
void TestRemoteConsole::activeIsRequestsBeingServed()
{
    std::unique_ptr<RemoteEngineLink> link = makeLink(*m_east, QStringLiteral("east"));
    MainWindow window(link.get());
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    QTRY_VERIFY_WITH_TIMEOUT(allTakeTraffic(window, 3), 10'000);
    ServerTableModel *model = window.serverModel();
    auto activeInConsole = [&] {
        int active = 0;
        for (int row = 0; row < model->rowCount(); ++row)
            active += model->serverAt(row)->activeConnections;
        return active;
    };
    for (InProcessDemoBackend *backend : {m_app1.get(), m_app2.get(), m_app3.get()})
        backend->backend().setLatency(200);   // under the checks' 300 ms timeout
    // Six clients, each asking again as soon as it is answered, without blocking this thread.
    std::vector<std::unique_ptr<QTcpSocket>> clients;
    bool asking = true;
    int answers = 0;
    for (int i = 0; i < 6; ++i) {
        auto client = std::make_unique<QTcpSocket>();
        QTcpSocket *socket = client.get();
        connect(socket, &QTcpSocket::connected, socket, [socket] { socket->write("GET /cart HTTP/1.1\r\nHost: shop\r\n\r\n"); });
        connect(socket, &QTcpSocket::readyRead, socket, [socket, &asking, &answers] {
            const QByteArray got = socket->readAll();
            answers += int(got.count("HTTP/1.1 "));
            if (asking)
                socket->write("GET /cart HTTP/1.1\r\nHost: shop\r\n\r\n");
        });
        socket->connectToHost(QHostAddress::LocalHost, m_east->proxyPort());
        clients.push_back(std::move(client));
    }
    QTRY_VERIFY_WITH_TIMEOUT(activeInConsole() > 0, 10'000);
    asking = false;
    QTRY_VERIFY_WITH_TIMEOUT(answers > 0 && activeInConsole() == 0, 10'000);
    for (InProcessDemoBackend *backend : {m_app1.get(), m_app2.get(), m_app3.get()})
        backend->backend().setLatency(0);
    // The engine still holds its kept-alive connections to the servers: open, not active.
    int open = 0;
    for (const char *name : {"app1", "app2", "app3"})
        open += m_east->server(QLatin1StringView(name)).value(QStringLiteral("active_connections")).toInt();
    QVERIFY2(open > 0, "the engine keeps idle connections to the servers");
    QCOMPARE(activeInConsole(), 0);
}

// Over ssh without -X: --help and --version answer, and the console itself says what is wrong
// and what to use instead, where Qt aborted (a core file, advice to reinstall).
void TestRemoteConsole::programWithoutADisplay()
{
    QTemporaryDir home;
    auto run = [&](const QStringList &arguments, const QString &display) {
        auto console = std::make_unique<QProcess>();
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("XDG_CONFIG_HOME"), home.path());
        for (const char *name : {"QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY"})
            env.remove(QLatin1StringView(name));
        if (!display.isEmpty())
            env.insert(QStringLiteral("DISPLAY"), display);
        console->setProcessEnvironment(env);
        console->start(binaryPath(QStringLiteral("fulcrum")), arguments);
        if (!console->waitForFinished(20'000))
            qFatal("fulcrum %s did not end", qPrintable(arguments.join(u' ')));
        return console;
    };
    auto help = run({QStringLiteral("--help")}, {});
    QCOMPARE(help->exitStatus(), QProcess::NormalExit);
    QCOMPARE(help->exitCode(), 0);
    const QByteArray usage = help->readAllStandardOutput();
    QVERIFY2(usage.contains("--engine") && usage.contains("--haproxy") && usage.contains("--httpd-user"), usage.constData());
    auto version = run({QStringLiteral("--version")}, {});
    QCOMPARE(version->exitCode(), 0);
    QVERIFY(version->readAllStandardOutput().startsWith("fulcrum "));

    auto none = run({QStringLiteral("--demo")}, {});
    QCOMPARE(none->exitStatus(), QProcess::NormalExit);
    QCOMPARE(none->exitCode(), 1);
    const QByteArray noneErr = none->readAllStandardError();
    QVERIFY2(noneErr.contains("DISPLAY and WAYLAND_DISPLAY are not set") && noneErr.contains("fulcrumctl report"), noneErr.constData());
    QVERIFY(!noneErr.contains("Reinstalling"));

    // A display that is named but not there (a stale DISPLAY after ssh): Qt's own fatal error.
    auto stale = run({}, QStringLiteral(":4711"));
    QCOMPARE(stale->exitStatus(), QProcess::NormalExit);
    QCOMPARE(stale->exitCode(), 1);
    const QByteArray staleErr = stale->readAllStandardError();
    QVERIFY2(staleErr.contains("cannot open a window on display \":4711\"") && staleErr.contains("fulcrumctl report"), staleErr.constData());
    QVERIFY(!staleErr.contains("Reinstalling"));
}

// Run as root over sudo or ssh -X there is no XDG_RUNTIME_DIR: the console makes Qt's fallback
// folder itself (0700) and starts without Qt's warning about it. A fallback that is not this
// user's alone is left to Qt, which says so: that one matters.
void TestRemoteConsole::programWithoutARuntimeDir()
{
    QTemporaryDir home;
    const QByteArray user = qgetenv("USER").isEmpty() ? QByteArray("root") : qgetenv("USER");
    const QString runtime = home.filePath(QStringLiteral("tmp/runtime-") + QString::fromLocal8Bit(user));
    QVERIFY(QDir().mkpath(home.filePath(QStringLiteral("tmp"))));
    auto run = [&] {
        auto console = std::make_unique<QProcess>();
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("XDG_CONFIG_HOME"), home.filePath(QStringLiteral("config")));
        env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
        env.insert(QStringLiteral("TMPDIR"), home.filePath(QStringLiteral("tmp")));
        env.remove(QStringLiteral("XDG_RUNTIME_DIR"));
        console->setProcessEnvironment(env);
        console->start(binaryPath(QStringLiteral("fulcrum")), {QStringLiteral("--engine"), QStringLiteral("east=") + m_east->adminUrl().toString(),
                                                               QStringLiteral("--token-file"), m_east->tokenFile(), QStringLiteral("--screenshot"),
                                                               home.filePath(QStringLiteral("shots")), QStringLiteral("--screenshot-after"), QStringLiteral("1")});
        if (!console->waitForFinished(60'000))
            qFatal("fulcrum did not end");
        return console;
    };
    auto first = run();
    const QByteArray err = first->readAllStandardError();
    QVERIFY2(first->exitCode() == 0, err.constData());
    QVERIFY2(!err.contains("XDG_RUNTIME_DIR"), err.constData());
    const QFileInfo made(runtime);
    QVERIFY2(made.isDir(), qPrintable(runtime));
    QCOMPARE(made.permissions() & ~(QFile::ReadUser | QFile::WriteUser | QFile::ExeUser),
             QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);

    QVERIFY(QFile::setPermissions(runtime, made.permissions() | QFile::ReadOther | QFile::ExeOther));
    auto open = run();
    const QByteArray openErr = open->readAllStandardError();
    QVERIFY2(open->exitCode() == 0, openErr.constData());
    QVERIFY2(openErr.contains("runtime directory"), openErr.constData());   // Qt's own warning, kept
}

QTEST_MAIN(TestRemoteConsole)
#include "tst_remoteconsole.moc"
