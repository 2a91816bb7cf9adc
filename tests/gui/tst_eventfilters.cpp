// The Events view's filters, through the window's own combo boxes: kind, severity (errors are
// a pool outage, panic, a server down, a lost connection; warnings failing checks and
// ejections) and how far back, beside the free text.
#include "common/wallclock.h"
#include "engine/linkfigures.h"
#include "engine/inprocessenginelink.h"
#include "eventmodel.h"
#include "isolatedpaths.h"
#include "mainwindow.h"

#include <QBrush>
#include <QComboBox>
#include <QHeaderView>
#include <QTableView>
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
    void engineNoticesKeepTheirSeverity();
    void filtersThroughTheWindow();
    void flapsFoldIntoOneRow();
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

void TestEventFilters::engineNoticesKeepTheirSeverity()
{
    // The engine's own notices (config, proxy, lock endpoints, as every link maps them): the
    // row takes the engine's severity (an info about a lock endpoint is not amber, an info
    // about the config is not red), the text is in the column that takes the room, after its
    // source, and the Detail column names the severity.
    EventModel model;
    const struct
    {
        EngineEvent::Severity severity;
        const char *source;
        EventSeverity expected;
        const char *word;
    } cases[] = {{EngineEvent::Info, "locks", EventSeverity::Info, "info"},
                 {EngineEvent::Warning, "locks", EventSeverity::Warning, "warning"},
                 {EngineEvent::Error, "locks", EventSeverity::Error, "error"},
                 {EngineEvent::Info, "config", EventSeverity::Info, "info"},
                 {EngineEvent::Warning, "proxy", EventSeverity::Warning, "warning"},
                 {EngineEvent::Error, "engine", EventSeverity::Error, "error"}};
    for (const auto &c : cases) {
        EngineEvent notice;
        notice.time = wallclock::nowUtc();
        notice.severity = c.severity;
        notice.source = QString::fromLatin1(c.source);
        notice.text = QStringLiteral("redis://127.0.0.1:6379/0: keyspace notifications are off; the table is polled");
        const std::optional<LinkEvent> event = engineLinkEvent(notice, QStringLiteral("embedded"));
        QVERIFY(event);
        QCOMPARE(eventSeverity(*event), c.expected);
        // Kind: a lock endpoint's notice is a lock event, the others the engine's (not "connection").
        QCOMPARE(event->kind, notice.source == u"locks" ? LinkEvent::Kind::Lock : LinkEvent::Kind::Engine);
        model.addEvents({*event});
        QCOMPARE(model.index(0, EventModel::Kind).data().toString(), notice.source == u"locks" ? QStringLiteral("lock") : QStringLiteral("engine"));
        QCOMPARE(model.index(0, EventModel::Change).data().toString(), QStringLiteral("%1: %2").arg(notice.source, notice.text));
        QCOMPARE(model.index(0, EventModel::Detail).data().toString(), QString::fromLatin1(c.word));
        const QVariant colour = model.index(0, EventModel::Change).data(Qt::ForegroundRole);
        QCOMPARE(colour.isValid(), c.expected != EventSeverity::Info);
    }
    // The in-process engine that refused its config: an error of the engine's.
    QCOMPARE(eventSeverity(LinkEvent{wallclock::nowUtc(), LinkEvent::Kind::Engine, QStringLiteral("engine"), QStringLiteral("embedded"),
                                     QStringLiteral("start"), QString(), QStringLiteral("not running"), QStringLiteral("pools[0]: no servers")}),
             EventSeverity::Error);
    // A health change by the engine keeps its own rule (and its detail), whatever it says.
    LinkEvent health = makeEvent(0, LinkEvent::Kind::Health, QStringLiteral("checkout/app1"), QStringLiteral("up"), QStringLiteral("down"));
    health.detail = QStringLiteral("info: L7STS 503");
    QCOMPARE(eventSeverity(health), EventSeverity::Error);
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

void TestEventFilters::flapsFoldIntoOneRow()
{
    InProcessOptions options = InProcessOptions::demo();
    options.flapping = false;
    InProcessEngineLink link(options);
    MainWindow window(&link);
    window.resize(1024, 640);
    window.showView(MainWindow::Events);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    EventModel *events = window.eventModel();
    // app5 flaps seven times in a minute; app2 is drained; app5 fails twice more.
    const QStringList states{QStringLiteral("up"), QStringLiteral("up, 1/3 failed"), QStringLiteral("down"), QStringLiteral("down, 1/2 ok"),
                             QStringLiteral("up"), QStringLiteral("up, 1/3 failed"), QStringLiteral("down"), QStringLiteral("down, 1/2 ok")};
    QList<LinkEvent> flap;
    for (int i = 0; i < 7; ++i) {
        LinkEvent event = makeEvent(300 - i * 10, LinkEvent::Kind::Health, QStringLiteral("cart/app5"), states[i], states[i + 1]);
        event.detail = QStringLiteral("L7STS 503 in 12 ms (Service Unavailable) from the health endpoint /health of cart/app5");
        flap.append(event);
    }
    events->addEvents(flap);
    LinkEvent drained = makeEvent(200, LinkEvent::Kind::Operator, QStringLiteral("cart/app2"), QStringLiteral("up"), QStringLiteral("drain"));
    drained.what = QStringLiteral("set-state");
    events->addEvents({drained});
    events->addEvents({makeEvent(100, LinkEvent::Kind::Health, QStringLiteral("cart/app5"), QStringLiteral("up"), QStringLiteral("up, 1/3 failed")),
                       makeEvent(90, LinkEvent::Kind::Health, QStringLiteral("cart/app5"), QStringLiteral("up, 1/3 failed"), QStringLiteral("up, 2/3 failed"))});

    auto *text = window.findChild<QLineEdit *>(QStringLiteral("eventFilter"));
    QVERIFY(text);
    text->setText(QStringLiteral("cart"));
    QSortFilterProxyModel *shown = window.eventFilter();
    // Two failing checks (too few to fold), the drain, and the flap as one row.
    QCOMPARE(shown->rowCount(), 4);
    const QModelIndex head = shown->index(3, EventModel::Change);
    QCOMPARE(head.data().toString(), QStringLiteral("▸ flapping: 7 changes in 1 min 0 s · now down, 1/2 ok"));
    QCOMPARE(shown->index(3, EventModel::Time).data().toString(), flap.last().time.toLocalTime().toString(QStringLiteral("yyyy-MM-dd HH:mm:ss")));
    // As loud as its loudest change (two of them were "down").
    QCOMPARE(head.data(Qt::ForegroundRole).value<QBrush>().color(), QColor(0xd6, 0x27, 0x28));
    auto *severity = window.findChild<QComboBox *>(QStringLiteral("eventSeverity"));
    severity->setCurrentIndex(severity->findData(int(EventSeverity::Error)));
    QCOMPARE(shown->rowCount(), 1);
    severity->setCurrentIndex(0);

    // Enter opens it: every change, oldest last, indented under the newest.
    QTableView *table = window.eventsView();
    table->setFocus();
    table->setCurrentIndex(shown->index(3, EventModel::Time));
    QTest::keyClick(table, Qt::Key_Return);
    QCOMPARE(shown->rowCount(), 10);
    QCOMPARE(shown->index(3, EventModel::Change).data().toString(), QStringLiteral("▾ state: down → down, 1/2 ok"));
    QCOMPARE(shown->index(9, EventModel::Change).data().toString(), QStringLiteral("    state: up → up, 1/3 failed"));
    // A double-click closes it again.
    const QRect rect = table->visualRect(shown->index(3, EventModel::Target));
    QTest::mouseClick(table->viewport(), Qt::LeftButton, Qt::NoModifier, rect.center());   // the press a double-click starts with
    QTest::mouseDClick(table->viewport(), Qt::LeftButton, Qt::NoModifier, rect.center());
    QCOMPARE(shown->rowCount(), 4);

    // Changes that come one tick at a time fold the same way: past the third, each new one
    // takes the older head into the run, and only the newest stays in sight.
    for (int i = 0; i < 5; ++i)
        events->addEvents({makeEvent(80 - i * 10, LinkEvent::Kind::Health, QStringLiteral("cart/app9"), states[i], states[i + 1])});
    QCOMPARE(shown->rowCount(), 5);
    QCOMPARE(shown->index(0, EventModel::Change).data().toString(), QStringLiteral("▸ flapping: 5 changes in 40 s · now up, 1/3 failed"));

        // The change is what is read: the last column, and wider than the detail at 1024 px.
    QHeaderView *header = table->horizontalHeader();
    QCOMPARE(header->logicalIndex(header->count() - 1), int(EventModel::Change));
    QVERIFY2(table->columnWidth(EventModel::Change) >= table->columnWidth(EventModel::Detail),
             qPrintable(QStringLiteral("change %1, detail %2").arg(table->columnWidth(EventModel::Change)).arg(table->columnWidth(EventModel::Detail))));
}

QTEST_MAIN(TestEventFilters)
#include "tst_eventfilters.moc"
