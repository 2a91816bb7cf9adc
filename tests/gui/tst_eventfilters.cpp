// The Events view's filters, through the window's own combo boxes: kind, severity (errors are
// a pool outage, panic, a server down, a lost connection; warnings failing checks and
// ejections) and how far back, beside the free text.
#include "common/wallclock.h"
#include "engine/inprocessenginelink.h"
#include "eventmodel.h"
#include "isolatedpaths.h"
#include "mainwindow.h"

#include <QComboBox>
#include <QLineEdit>
#include <QTest>

#include <memory>

using namespace fulcrum;
using namespace fulcrum::ui;

class TestEventFilters : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { fulcrum::test::useIsolatedStandardPaths(); }
    void severities();
    void filtersThroughTheWindow();
};

namespace {

LinkEvent makeEvent(qint64 ageSeconds, LinkEvent::Kind kind, const QString &target, const QString &before, const QString &after)
{
    return LinkEvent{wallclock::nowUtc().addSecs(-ageSeconds), kind, QStringLiteral("engine"), target, QStringLiteral("state"), before, after, QString()};
}

} // namespace

void TestEventFilters::severities()
{
    QCOMPARE(eventSeverity(makeEvent(0, LinkEvent::Kind::Outage, QStringLiteral("checkout"), QStringLiteral("serving"), QStringLiteral("NO SERVER"))),
             EventSeverity::Error);
    QCOMPARE(eventSeverity(makeEvent(0, LinkEvent::Kind::Outage, QStringLiteral("checkout"), QStringLiteral("NO SERVER"), QStringLiteral("serving"))),
             EventSeverity::Error);
    QCOMPARE(eventSeverity(makeEvent(0, LinkEvent::Kind::Health, QStringLiteral("checkout/app1"), QStringLiteral("up, 2/3 failed"), QStringLiteral("down"))),
             EventSeverity::Error);
    QCOMPARE(eventSeverity(makeEvent(0, LinkEvent::Kind::Health, QStringLiteral("checkout/app1"), QStringLiteral("up"), QStringLiteral("up, 1/3 failed"))),
             EventSeverity::Warning);
    QCOMPARE(eventSeverity(makeEvent(0, LinkEvent::Kind::Health, QStringLiteral("checkout/app1"), QStringLiteral("down"), QStringLiteral("up"))),
             EventSeverity::Info);
    QCOMPARE(eventSeverity(makeEvent(0, LinkEvent::Kind::Link, QStringLiteral("Redis 127.0.0.1:6379"), QStringLiteral("connected"), QStringLiteral("disconnected"))),
             EventSeverity::Error);
    QCOMPARE(eventSeverity(makeEvent(0, LinkEvent::Kind::Link, QStringLiteral("Redis 127.0.0.1:6379"), QStringLiteral("disconnected"), QStringLiteral("connected"))),
             EventSeverity::Info);
}

void TestEventFilters::filtersThroughTheWindow()
{
    InProcessOptions options = InProcessOptions::demo();
    options.flapping = false;
    InProcessEngineLink link(options);
    MainWindow window(&link);
    window.showView(MainWindow::Events);
    window.show();
    EventModel *events = window.eventModel();
    // The demo's own events may come too: count ours by target.
    events->addEvents({makeEvent(7200, LinkEvent::Kind::Health, QStringLiteral("cart/old1"), QStringLiteral("up"), QStringLiteral("down")),
                       makeEvent(600, LinkEvent::Kind::Health, QStringLiteral("cart/app2"), QStringLiteral("up"), QStringLiteral("up, 1/3 failed")),
                       makeEvent(300, LinkEvent::Kind::Outage, QStringLiteral("cart"), QStringLiteral("serving"), QStringLiteral("NO SERVER")),
                       makeEvent(60, LinkEvent::Kind::Health, QStringLiteral("cart/app2"), QStringLiteral("down"), QStringLiteral("up"))});
    auto *text = window.findChild<QLineEdit *>(QStringLiteral("eventFilter"));
    auto *kind = window.findChild<QComboBox *>(QStringLiteral("eventKind"));
    auto *severity = window.findChild<QComboBox *>(QStringLiteral("eventSeverity"));
    auto *since = window.findChild<QComboBox *>(QStringLiteral("eventWindow"));
    QVERIFY(text && kind && severity && since);
    QSortFilterProxyModel *shown = window.eventFilter();
    text->setText(QStringLiteral("cart"));
    QCOMPARE(shown->rowCount(), 4);
    severity->setCurrentIndex(severity->findData(int(EventSeverity::Warning)));
    QCOMPARE(shown->rowCount(), 3);                      // the recovery is not a warning
    severity->setCurrentIndex(severity->findData(int(EventSeverity::Error)));
    QCOMPARE(shown->rowCount(), 2);                      // the outage and the old down
    since->setCurrentIndex(since->findData(3600));
    QCOMPARE(shown->rowCount(), 1);                      // the down two hours ago is out of the window
    QCOMPARE(shown->index(0, EventModel::Target).data().toString(), QStringLiteral("cart"));
    severity->setCurrentIndex(0);
    kind->setCurrentIndex(kind->findData(int(LinkEvent::Kind::Health)));
    QCOMPARE(shown->rowCount(), 2);                      // within the hour: the failing check and the recovery
    kind->setCurrentIndex(0);
    since->setCurrentIndex(0);
    text->clear();
    QVERIFY(shown->rowCount() >= 4);
}

QTEST_MAIN(TestEventFilters)
#include "tst_eventfilters.moc"
