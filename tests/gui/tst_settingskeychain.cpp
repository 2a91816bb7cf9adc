#include "engine/inprocessenginelink.h"
#include "keychain/keychainsecretstore.h"
#include "redisserver.h"
#include "settingsdialog.h"

#include <QApplication>
#include <QFile>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSettings>
#include <QStandardPaths>
#include <QTest>

#include "keyringsession.h"


using namespace fulcrum;
using namespace fulcrum::ui;

// The settings dialog against the real Secret Service: this test re-runs itself inside a
// private D-Bus session with an unlocked throwaway gnome-keyring (see main), as tst_keychain.
class TestSettingsKeychain : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void passwordGoesToTheKeychainNotTheSettingsFile();
    void badEndpointIsRefusedAndNothingIsStored();
    void testConnectionUsesTheKeychainPassword();
};

void TestSettingsKeychain::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
    QSettings().clear();
    // gnome-keyring-daemon --unlock returns before its login collection is unlocked on the bus.
    KeychainSecretStore store;
    QString error;
    const bool ready = QTest::qWaitFor([&] { return store.write(QStringLiteral("console-readiness-probe"), "x", &error); }, 30'000);
    QVERIFY2(ready, qPrintable(error));
    QVERIFY(store.remove(QStringLiteral("console-readiness-probe"), &error));
}

void TestSettingsKeychain::passwordGoesToTheKeychainNotTheSettingsFile()
{
    const QByteArray password = "ui-s3cret-7f3a9";
    SettingsDialog dialog(nullptr);
    dialog.endpointsField()->setPlainText(QStringLiteral("127.0.0.1:6390\n10.0.0.5:6379"));
    dialog.passwordField()->setText(QString::fromUtf8(password));
    QString error;
    QVERIFY2(dialog.save(&error), qPrintable(error));
    QVERIFY(dialog.passwordField()->text().isEmpty());   // not kept around in the widget either

    KeychainSecretStore store;
    for (const QString &endpoint : {QStringLiteral("127.0.0.1:6390"), QStringLiteral("10.0.0.5:6379")}) {
        QCOMPARE(store.read(SettingsDialog::keychainEntry(endpoint), &error).value_or(QByteArray()), password);
        QVERIFY(store.remove(SettingsDialog::keychainEntry(endpoint), &error));
    }
    QCOMPARE(SettingsDialog::redisEndpoints(), (QStringList{QStringLiteral("127.0.0.1:6390"), QStringLiteral("10.0.0.5:6379")}));
    QSettings settings;
    settings.sync();
    QFile file(settings.fileName());
    QVERIFY2(file.open(QIODevice::ReadOnly), qPrintable(settings.fileName()));
    const QByteArray contents = file.readAll();
    QVERIFY(contents.contains("127.0.0.1:6390"));
    QVERIFY(!contents.contains(password));
    for (const QString &key : settings.allKeys())
        QVERIFY(!settings.value(key).toString().contains(QString::fromUtf8(password)));
}

void TestSettingsKeychain::badEndpointIsRefusedAndNothingIsStored()
{
    SettingsDialog dialog(nullptr);
    dialog.endpointsField()->setPlainText(QStringLiteral("redis.internal"));
    dialog.passwordField()->setText(QStringLiteral("never-stored"));
    QString error;
    QVERIFY(!dialog.save(&error));
    QVERIFY2(error.contains(QStringLiteral("redis.internal")) && error.contains(QStringLiteral("127.0.0.1:6379")), qPrintable(error));
    KeychainSecretStore store;
    QVERIFY(!store.read(SettingsDialog::keychainEntry(QStringLiteral("redis.internal")), &error).has_value());
}

void TestSettingsKeychain::testConnectionUsesTheKeychainPassword()
{
    fulcrum::test::RedisServer::Options options;
    options.password = "redis-pass-for-test-button";
    fulcrum::test::RedisServer redis(options);
    QString error;
    QVERIFY2(redis.start(&error), qPrintable(error));
    InProcessEngineLink link(InProcessOptions::demo());
    const QString endpoint = QStringLiteral("127.0.0.1:%1").arg(redis.port());

    SettingsDialog dialog(&link);
    dialog.show();
    dialog.endpointsField()->setPlainText(endpoint);
    dialog.passwordField()->setText(QStringLiteral("wrong-password"));
    QTest::mouseClick(dialog.testButton(), Qt::LeftButton);
    QTRY_VERIFY(dialog.message().startsWith(QStringLiteral("Connection failed")));
    QVERIFY2(!dialog.message().contains(QStringLiteral("wrong-password")), qPrintable(dialog.message()));

    // Saved with the right password, then tested with the field empty: the keychain's is used.
    dialog.passwordField()->setText(QString::fromUtf8(options.password));
    QVERIFY2(dialog.save(&error), qPrintable(error));
    QVERIFY(dialog.passwordField()->text().isEmpty());
    QTest::mouseClick(dialog.testButton(), Qt::LeftButton);
    QTRY_VERIFY2(dialog.message().startsWith(QStringLiteral("Connection works")), qPrintable(dialog.message()));
    QVERIFY(dialog.message().contains(QStringLiteral("PONG")));
    KeychainSecretStore().remove(SettingsDialog::keychainEntry(endpoint), &error);
}

int main(int argc, char *argv[])
{
    if (!fulcrum::test::enterPrivateKeyringSession(argc, argv, "tst_settingskeychain"))
        return 1;
    QApplication app(argc, argv);
    QApplication::setOrganizationName(QStringLiteral("fulcrum"));
    QApplication::setApplicationName(QStringLiteral("fulcrum-settings-test"));
    TestSettingsKeychain test;
    return QTest::qExec(&test, argc, argv);
}

#include "tst_settingskeychain.moc"
