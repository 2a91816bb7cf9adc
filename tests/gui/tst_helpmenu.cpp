// Help, for the operator who has never seen the console before: every shortcut, the README's
// "At 3 a.m." table (the same text as on the project page), and what is running.
#include "engine/inprocessenginelink.h"
#include "helpdialogs.h"
#include "isolatedpaths.h"
#include "mainwindow.h"

#include <QAction>
#include <QApplication>
#include <QDialog>
#include <QFile>
#include <QTest>

#include <memory>

using namespace fulcrum;
using namespace fulcrum::ui;

class TestHelpMenu : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();
    void shortcutsListEveryShortcut();
    void threeAmIsTheReadmesTable();
    void aboutSaysWhatRuns();

private:
    QDialog *open(const char *action, const char *dialog);

    std::unique_ptr<InProcessEngineLink> m_link;
    std::unique_ptr<MainWindow> m_window;
};

void TestHelpMenu::initTestCase()
{
    fulcrum::test::useIsolatedStandardPaths();
}

void TestHelpMenu::init()
{
    InProcessOptions options = InProcessOptions::demo();
    options.flapping = false;
    m_link = std::make_unique<InProcessEngineLink>(options);
    m_window = std::make_unique<MainWindow>(m_link.get());
    m_window->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
}

void TestHelpMenu::cleanup()
{
    m_window.reset();
    m_link.reset();
}

QDialog *TestHelpMenu::open(const char *action, const char *dialog)
{
    QAction *found = m_window->findChild<QAction *>(QString::fromLatin1(action));
    if (!found)
        return nullptr;
    found->trigger();
    // open() shows it at once (window-modal, not blocking).
    QDialog *shown = m_window->findChild<QDialog *>(QString::fromLatin1(dialog));
    return shown && shown->isVisible() ? shown : nullptr;
}

void TestHelpMenu::shortcutsListEveryShortcut()
{
    QDialog *dialog = open("shortcutsAction", "shortcutsDialog");
    QVERIFY(dialog);
    const QString text = helpText(dialog);
    for (const char *row : {"| Drain | Ctrl+Shift+D |", "| Maintenance | Ctrl+Shift+M |", "| Ready | Ctrl+Shift+R |",
                            "| Export report | Ctrl+E |", "| Keyboard shortcuts | F1 |", "| Undo | Ctrl+Z |"})
        QVERIFY2(text.contains(QString::fromUtf8(row)), qPrintable(text));
    dialog->close();
}

void TestHelpMenu::threeAmIsTheReadmesTable()
{
    QDialog *dialog = open("threeAmAction", "threeAmDialog");
    QVERIFY(dialog);
    // The README this console was built with, from its heading to the next section.
    QFile readme(QStringLiteral(":/help/README.md"));
    QVERIFY(readme.open(QIODevice::ReadOnly));
    const QString section = threeAmSection(QString::fromUtf8(readme.readAll()));
    QVERIFY(section.startsWith(u"## At 3 a.m."));
    QVERIFY(!section.contains(u"\n## "));
    QCOMPARE(helpText(dialog), section);
    QVERIFY(section.contains(u"take a server out for maintenance") && section.contains(u"free a stuck lock"));
    dialog->close();
}

void TestHelpMenu::aboutSaysWhatRuns()
{
    QDialog *dialog = open("aboutAction", "aboutDialog");
    QVERIFY(dialog);
    const QString text = helpText(dialog);
    QVERIFY2(text.contains(QStringLiteral("Fulcrum " FULCRUM_VERSION)) && text.contains(m_link->description())
                 && text.contains(QString::fromLatin1(qVersion())),
             qPrintable(text));
    dialog->close();
}

QTEST_MAIN(TestHelpMenu)
#include "tst_helpmenu.moc"
