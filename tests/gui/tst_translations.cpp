// zh_CN reaches Qt's own words too: the standard buttons of every dialog (Apply, Cancel, Save,
// Close) come from Qt's qtbase translation, which the console installs with its own. Without
// Debian's qt6-translations-l10n they stayed English.
#include "translations.h"

#include <QApplication>
#include <QDialogButtonBox>
#include <QFontDatabase>
#include <QFontMetrics>
#include <QMessageBox>
#include <QPushButton>
#include <QTest>

using namespace fulcrum::ui;

class TestTranslations : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void standardButtonsInChinese();
    void englishInstallsNothing();
    void chineseCanBeDrawn();
};

void TestTranslations::standardButtonsInChinese()
{
    QObject owner;
    const QStringList missing = installTranslations(QLocale(QStringLiteral("zh_CN")), &owner);
    // Fulcrum's own file is compiled into the fulcrum program, not into this test.
    for (const QString &file : missing)
        QVERIFY2(!file.contains(u"qtbase"), qPrintable(file));
    QMessageBox box(QMessageBox::Warning, QStringLiteral("t"), QStringLiteral("q"), QMessageBox::Apply | QMessageBox::Cancel);
    QCOMPARE(box.button(QMessageBox::Cancel)->text().remove(u'&'), QStringLiteral("取消"));
    QCOMPARE(box.button(QMessageBox::Apply)->text().remove(u'&'), QStringLiteral("应用"));
    QDialogButtonBox buttons(QDialogButtonBox::Save | QDialogButtonBox::Close);
    QCOMPARE(buttons.button(QDialogButtonBox::Save)->text().remove(u'&'), QStringLiteral("保存"));
    QCOMPARE(buttons.button(QDialogButtonBox::Close)->text().remove(u'&'), QStringLiteral("关闭"));
}

void TestTranslations::englishInstallsNothing()
{
    QObject owner;
    QVERIFY(installTranslations(QLocale(QStringLiteral("en")), &owner).isEmpty());
    QVERIFY(owner.children().isEmpty());
}

// The words are no use drawn as boxes: the machine needs a font with Chinese glyphs (Debian's
// fonts-wqy-microhei, in scripts/packages.txt; a desktop brings its own). Without one, every
// zh_CN label was a row of empty squares.
void TestTranslations::chineseCanBeDrawn()
{
    const QStringList families = QFontDatabase::families(QFontDatabase::SimplifiedChinese);
    QVERIFY2(!families.isEmpty(), "no font on this machine has Simplified Chinese glyphs: install fonts-wqy-microhei");
    QFont font(families.first());
    QVERIFY(QFontMetrics(font).inFontUcs4(U'锁'));   // "lock"
}

QTEST_MAIN(TestTranslations)
#include "tst_translations.moc"
