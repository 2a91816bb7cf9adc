// View → Theme: the console in a dark palette is usable (charts and tables draw from the
// palette, tints are translucent), the choice is kept, and System goes back to what it was.
#include "engine/inprocessenginelink.h"
#include "isolatedpaths.h"
#include "mainwindow.h"
#include "servertablemodel.h"
#include "theme.h"
#include "weightschartview.h"

#include <QAction>
#include <QApplication>
#include <QChart>
#include <QTest>

#include <memory>

using namespace fulcrum;
using namespace fulcrum::ui;

class TestTheme : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { fulcrum::test::useIsolatedStandardPaths(); }
    void darkAndBack();
};

void TestTheme::darkAndBack()
{
    const QPalette systemPalette = QApplication::palette();
    InProcessOptions options = InProcessOptions::demo();
    options.flapping = false;
    InProcessEngineLink link(options);
    MainWindow window(&link);
    window.showView(MainWindow::Weights);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    QTRY_COMPARE(window.weightsChart()->servers().size(), 6);

    QAction *dark = window.findChild<QAction *>(QStringLiteral("theme-dark"));
    QAction *system = window.findChild<QAction *>(QStringLiteral("theme-system"));
    QVERIFY(dark && system && system->isChecked());
    dark->trigger();
    QVERIFY(dark->isChecked());
    QVERIFY(QApplication::palette().color(QPalette::Window).lightness() < 80);
    QVERIFY(QApplication::palette().color(QPalette::WindowText).lightness() > 180);
    // The chart follows: dark plot, light text.
    QTRY_VERIFY(window.weightsChart()->chart()->backgroundBrush().color().lightness() < 80);
    QVERIFY(window.weightsChart()->chart()->titleBrush().color().lightness() > 180);
    // State tints are translucent, so a dark row reads as dark.
    ServerStatus down;
    down.state = BackendState::Down;
    QVERIFY(stateTint(down).alpha() < 128);
    QCOMPARE(savedTheme(), Theme::Dark);

    system->trigger();
    QCOMPARE(QApplication::palette().color(QPalette::Window), systemPalette.color(QPalette::Window));
    QTRY_COMPARE(window.weightsChart()->chart()->backgroundBrush().color(), systemPalette.color(QPalette::Base));
    QCOMPARE(savedTheme(), Theme::System);
}

QTEST_MAIN(TestTheme)
#include "tst_theme.moc"
