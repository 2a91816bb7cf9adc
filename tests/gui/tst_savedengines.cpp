// Settings → Engines while the console runs, against real engines: a HAProxy added in the
// dialog (a real haproxy) shows its servers, a fulcrumd removed in the dialog (a real
// fulcrumd with a real redis-server) leaves every view without a restart, and "Test engine"
// on a HAProxy entry asks its socket and says its level.
#include "demobackends.h"
#include "engine/multienginelink.h"
#include "fulcrumdprocess.h"
#include "haproxyserver.h"
#include "isolatedpaths.h"
#include "locksview.h"
#include "mainwindow.h"
#include "redisserver.h"
#include "savedengines.h"
#include "servertablemodel.h"
#include "settingsdialog.h"
#include "weightcontroller.h"
#include "weightschartview.h"

#include <QAction>
#include <QComboBox>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSettings>
#include <QStatusBar>
#include <QTableWidget>
#include <QTest>

#include <memory>

using namespace fulcrum;
using namespace fulcrum::test;
using namespace fulcrum::ui;

class TestSavedEngines : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void init();
    void cleanup();
    void haproxyAddedInSettingsShowsItsServers();
    void testEngineAsksTheHaproxySocket();
    void removedEngineLeavesEveryViewWithoutRestart();
    void badHaproxyAddressIsRefused();

private:
    SettingsDialog *openSettings();
    int engineRow(SettingsDialog *dialog, const QString &name) const;
    bool hasServer(const QString &key) const { return m_window->serverModel()->rowOf(key) >= 0; }

    std::unique_ptr<InProcessDemoBackend> m_app1;
    std::unique_ptr<InProcessDemoBackend> m_app2;
    std::unique_ptr<RedisServer> m_redis;
    std::unique_ptr<FulcrumdProcess> m_east;
    std::unique_ptr<HaproxyServer> m_haproxy;
    std::unique_ptr<MultiEngineLink> m_link;
    std::unique_ptr<SavedEngines> m_saved;
    std::unique_ptr<MainWindow> m_window;
};

void TestSavedEngines::initTestCase()
{
    useIsolatedStandardPaths();
    m_app1 = std::make_unique<InProcessDemoBackend>(QStringLiteral("app1"));
    m_app2 = std::make_unique<InProcessDemoBackend>(QStringLiteral("app2"));
    QVERIFY(m_app1->isListening() && m_app2->isListening());
    m_redis = std::make_unique<RedisServer>();
    QString error;
    QVERIFY2(m_redis->start(&error), qPrintable(error));
    FulcrumdProcess::Options options;
    options.servers = {{QStringLiteral("app1"), m_app1->port()}, {QStringLiteral("app2"), m_app2->port()}};
    options.redisPort = m_redis->port();
    m_east = std::make_unique<FulcrumdProcess>(options);
    QString log;
    QVERIFY2(m_east->start(&log), qPrintable(log));
    m_haproxy = std::make_unique<HaproxyServer>();
    QVERIFY2(m_haproxy->start(&error), qPrintable(error));
}

void TestSavedEngines::cleanupTestCase()
{
    m_haproxy.reset();
    m_east.reset();
    m_redis.reset();
}

void TestSavedEngines::init()
{
    // The console as `fulcrum` starts it from Settings: one fulcrumd saved, opened through the composite.
    QSettings().setValue(QStringLiteral("engines/list"), QStringList{QStringLiteral("east=") + m_east->adminUrl().toString()});
    m_link = std::make_unique<MultiEngineLink>();
    m_saved = std::make_unique<SavedEngines>(m_link.get(), nullptr, m_east->tokenFile());
    QCOMPARE(m_saved->apply(SettingsDialog::engines()), QStringLiteral("Engines opened: east."));
    m_window = std::make_unique<MainWindow>(m_link.get());
    m_window->followSavedEngines(m_saved.get());
    m_window->resize(1200, 800);
    m_window->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
    QTRY_VERIFY_WITH_TIMEOUT(hasServer(QStringLiteral("east/web/app1")) && hasServer(QStringLiteral("east/web/app2")), 10'000);
}

void TestSavedEngines::cleanup()
{
    m_window.reset();
    m_saved.reset();
    m_link.reset();
    QSettings().remove(QStringLiteral("engines"));
}

SettingsDialog *TestSavedEngines::openSettings()
{
    auto *action = m_window->findChild<QAction *>(QStringLiteral("settingsAction"));
    if (!action)
        return nullptr;
    action->trigger();
    const QList<SettingsDialog *> dialogs = m_window->findChildren<SettingsDialog *>();
    for (SettingsDialog *dialog : dialogs) {
        if (dialog->isVisible())
            return dialog;
    }
    return nullptr;
}

int TestSavedEngines::engineRow(SettingsDialog *dialog, const QString &name) const
{
    for (int row = 0; row < dialog->enginesTable()->rowCount(); ++row) {
        if (dialog->enginesTable()->item(row, 0)->text() == name)
            return row;
    }
    return -1;
}

void TestSavedEngines::haproxyAddedInSettingsShowsItsServers()
{
    SettingsDialog *dialog = openSettings();
    QVERIFY(dialog);
    QCOMPARE(engineRow(dialog, QStringLiteral("east")), 0);
    dialog->addEngineRow(QStringLiteral("lb"), m_haproxy->adminSocket(), QStringLiteral("haproxy"));
    // The token field is not a HAProxy's.
    dialog->enginesTable()->setCurrentCell(1, 0);
    QVERIFY(!dialog->engineTokenField()->isEnabled());
    dialog->accept();
    QVERIFY(!dialog->isVisible());

    // Saved with its kind, and opened at once next to east: haproxy's three servers in the table and the Weights pool list.
    const QList<EngineSetting> saved = SettingsDialog::engines();
    QCOMPARE(saved.size(), 2);
    QCOMPARE(saved[1].kind, QStringLiteral("haproxy"));
    QCOMPARE(saved[1].url, m_haproxy->adminSocket());
    QTRY_VERIFY_WITH_TIMEOUT(hasServer(QStringLiteral("lb/checkout/app1")) && hasServer(QStringLiteral("lb/checkout/app2"))
                                 && hasServer(QStringLiteral("lb/checkout/app3")),
                             10'000);
    QVERIFY(hasServer(QStringLiteral("east/web/app1")));
    QCOMPARE(m_link->engineNames(), (QStringList{QStringLiteral("east"), QStringLiteral("lb")}));
    m_window->showView(MainWindow::Weights);   // a hidden view catches up when shown
    QTRY_VERIFY(m_window->weightsChart()->pools().contains(QStringLiteral("lb/checkout")));
    QVERIFY(m_window->statusBar()->currentMessage().contains(QStringLiteral("Engines opened: lb.")));
    // HAProxy's scale now holds for every drag, and the note says so.
    QCOMPARE(m_window->weightController()->maxWeight(), 256);
    auto *note = m_window->findChild<QLabel *>(QStringLiteral("weightNote"));
    QVERIFY(note && note->text().contains(QStringLiteral("lb: HAProxy weights are 0–256")));

    // A weight set on a server of the added engine reaches haproxy.
    QVERIFY(m_window->weightController()->requestWeight(QStringLiteral("lb/checkout"), QStringLiteral("app2"), 60));
    QTRY_COMPARE_WITH_TIMEOUT(m_haproxy->serverField(QStringLiteral("app2"), QStringLiteral("weight")), QStringLiteral("60"), 10'000);
}

void TestSavedEngines::testEngineAsksTheHaproxySocket()
{
    SettingsDialog dialog(m_link.get());
    dialog.addEngineRow(QStringLiteral("lb"), m_haproxy->adminSocket(), QStringLiteral("haproxy"));
    dialog.addEngineRow(QStringLiteral("viewer"), m_haproxy->userSocket(), QStringLiteral("haproxy"));
    dialog.addEngineRow(QStringLiteral("gone"), m_haproxy->directory() + QStringLiteral("/missing.sock"), QStringLiteral("haproxy"));
    const int base = engineRow(&dialog, QStringLiteral("lb"));
    QVERIFY(base >= 0);

    dialog.enginesTable()->setCurrentCell(base, 0);
    dialog.testEngine();
    QTRY_VERIFY_WITH_TIMEOUT(dialog.message().startsWith(QStringLiteral("Engine lb works")), 10'000);
    QVERIFY2(dialog.message().contains(QStringLiteral("admin level")) && dialog.message().contains(QStringLiteral("HAProxy 2.")), qPrintable(dialog.message()));

    dialog.enginesTable()->setCurrentCell(base + 1, 0);
    dialog.testEngine();
    QTRY_VERIFY_WITH_TIMEOUT(dialog.message().startsWith(QStringLiteral("Engine viewer works")), 10'000);
    QVERIFY2(dialog.message().contains(QStringLiteral("read-only")) && dialog.message().contains(QStringLiteral("level admin")), qPrintable(dialog.message()));

    dialog.enginesTable()->setCurrentCell(base + 2, 0);
    dialog.testEngine();
    QTRY_VERIFY_WITH_TIMEOUT(dialog.message().startsWith(QStringLiteral("Engine gone failed")), 10'000);
    QVERIFY2(dialog.message().contains(QStringLiteral("no HAProxy stats socket at")), qPrintable(dialog.message()));
}

void TestSavedEngines::removedEngineLeavesEveryViewWithoutRestart()
{
    // Both engines first, so that removing one leaves the other running.
    SettingsDialog *dialog = openSettings();
    QVERIFY(dialog);
    dialog->addEngineRow(QStringLiteral("lb"), m_haproxy->adminTcpAddress(), QStringLiteral("haproxy"));
    dialog->accept();
    QTRY_VERIFY_WITH_TIMEOUT(hasServer(QStringLiteral("lb/checkout/app1")), 10'000);
    QTRY_VERIFY_WITH_TIMEOUT(m_window->locksView()->endpoints().contains(QStringLiteral("east/cache")), 10'000);
    m_window->showView(MainWindow::Weights);
    QTRY_VERIFY(m_window->weightsChart()->pools().contains(QStringLiteral("east/web")));
    // A weight change on east, still on the undo stack when east goes.
    QVERIFY(m_window->weightController()->requestWeight(QStringLiteral("east/web"), QStringLiteral("app1"), 7));
    QTRY_COMPARE_WITH_TIMEOUT(m_east->server(QStringLiteral("app1")).value(QStringLiteral("weight")).toInt(), 7, 10'000);

    dialog = openSettings();
    QVERIFY(dialog);
    const int row = engineRow(dialog, QStringLiteral("east"));
    QVERIFY(row >= 0);
    dialog->enginesTable()->removeRow(row);
    dialog->accept();
    QCOMPARE(m_link->engineNames(), QStringList{QStringLiteral("lb")});
    QVERIFY(m_window->statusBar()->currentMessage().contains(QStringLiteral("Engines removed: east.")));

    // Gone from every view at once (the composite publishes without east right away) and stays gone.
    QTRY_VERIFY(!hasServer(QStringLiteral("east/web/app1")) && !hasServer(QStringLiteral("east/web/app2")));
    QVERIFY(hasServer(QStringLiteral("lb/checkout/app1")));
    QTRY_VERIFY(!m_window->weightsChart()->pools().contains(QStringLiteral("east/web")));
    QVERIFY(!m_window->locksView()->endpoints().contains(QStringLiteral("east/cache")));
    QTest::qWait(1500);   // several ticks of lb: nothing of east comes back
    QVERIFY(!hasServer(QStringLiteral("east/web/app1")));
    QVERIFY(!m_window->locksView()->endpoints().contains(QStringLiteral("east/cache")));
    for (int i = 0; i < m_window->serverModel()->rowCount(); ++i)
        QVERIFY(m_window->serverModel()->serverAt(i)->pool.startsWith(QStringLiteral("lb/")));

    // Undo of east's change is refused by the composite (no such engine now): east keeps 7, nothing crashes.
    m_window->weightController()->undoStack()->undo();
    QTRY_VERIFY(m_window->statusBar()->currentMessage().contains(QStringLiteral("names no engine")));
    QCOMPARE(m_east->server(QStringLiteral("app1")).value(QStringLiteral("weight")).toInt(), 7);

    // Added back: east's servers return.
    dialog = openSettings();
    QVERIFY(dialog);
    dialog->addEngineRow(QStringLiteral("east"), m_east->adminUrl().toString());
    dialog->accept();
    QTRY_VERIFY_WITH_TIMEOUT(hasServer(QStringLiteral("east/web/app1")), 10'000);
}

void TestSavedEngines::badHaproxyAddressIsRefused()
{
    SettingsDialog dialog(m_link.get());
    dialog.addEngineRow(QStringLiteral("lb"), QStringLiteral("127.0.0.1:99999"), QStringLiteral("haproxy"));
    QString error;
    QVERIFY(!dialog.save(&error));
    QVERIFY2(error.startsWith(QStringLiteral("HAProxy engine \"lb\": ")), qPrintable(error));
    QCOMPARE(SettingsDialog::engines().size(), 1);   // nothing saved
}

QTEST_MAIN(TestSavedEngines)
#include "tst_savedengines.moc"
