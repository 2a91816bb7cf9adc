// zh_CN reaches Qt's own words too: the standard buttons of every dialog (Apply, Cancel, Save,
// Close) come from Qt's qtbase translation, which the console installs with its own. Without
// Debian's qt6-translations-l10n they stayed English.
#include "translations.h"

#include <QApplication>
#include <QDialogButtonBox>
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

QTEST_MAIN(TestTranslations)
#include "tst_translations.moc"
