#include "demobackends.h"
#include "engine/inprocessenginelink.h"
#include "engine/remoteenginelink.h"
#include "fulcrumdprocess.h"
#include "isolatedpaths.h"
#include "keychain/keychainsecretstore.h"
#include "redisserver.h"
#include "settingsdialog.h"
#include "common/tlsfiles.h"
#include "testcertificates.h"

#include <QApplication>
#include <QFile>
#include <QLineEdit>
#include <QMessageBox>
#include <QSslCertificate>
#include <QTemporaryDir>
#include <QTimer>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSettings>
#include <QTableWidget>
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
    void engineTokenGoesToTheKeychainAndTestsTheRealEngine();
    void engineCertificateIsPinnedOnFirstUse();
};

void TestSettingsKeychain::initTestCase()
{
    fulcrum::test::useIsolatedStandardPaths();
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
    QCOMPARE(SettingsDialog::lockEndpoints(), (QStringList{QStringLiteral("127.0.0.1:6390"), QStringLiteral("10.0.0.5:6379")}));
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

void TestSettingsKeychain::engineTokenGoesToTheKeychainAndTestsTheRealEngine()
{
    fulcrum::test::InProcessDemoBackend app1(QStringLiteral("app1"));
    fulcrum::test::FulcrumdProcess::Options options;
    options.servers = {{QStringLiteral("app1"), app1.port()}};
    fulcrum::test::FulcrumdProcess engine(options);
    QString log;
    QVERIFY2(engine.start(&log), qPrintable(log));
    const QString url = engine.adminUrl().toString();

    SettingsDialog dialog(nullptr);
    dialog.show();
    dialog.addEngineRow(QStringLiteral("east"), url);
    dialog.enginesTable()->setCurrentCell(0, 0);
    // A wrong token typed for the engine: the engine's own refusal shows.
    dialog.engineTokenField()->setText(QStringLiteral("wrong-token"));
    Q_EMIT dialog.engineTokenField()->textEdited(dialog.engineTokenField()->text());
    QTest::mouseClick(dialog.testEngineButton(), Qt::LeftButton);
    QTRY_VERIFY2_WITH_TIMEOUT(dialog.message().contains(QStringLiteral("401")), qPrintable(dialog.message()), 10'000);
    QVERIFY(!dialog.message().contains(QStringLiteral("wrong-token")));

    // The right one, saved: in the keychain under the entry fulcrumctl reads, not in the settings file.
    dialog.engineTokenField()->setText(QString::fromLatin1(engine.token()));
    Q_EMIT dialog.engineTokenField()->textEdited(dialog.engineTokenField()->text());
    QString error;
    QVERIFY2(dialog.save(&error), qPrintable(error));
    QVERIFY(dialog.engineTokenField()->text().isEmpty());
    KeychainSecretStore store;
    const QString entry = RemoteEngineLink::keychainEntry(engine.adminUrl());
    QCOMPARE(entry, QStringLiteral("fulcrumd:") + url);
    QCOMPARE(store.read(entry, &error).value_or(QByteArray()), engine.token());
    QCOMPARE(SettingsDialog::engines().size(), 1);
    QCOMPARE(SettingsDialog::engines().first().name, QStringLiteral("east"));
    QCOMPARE(SettingsDialog::engines().first().url, url);
    QSettings settings;
    settings.sync();
    QFile file(settings.fileName());
    QVERIFY(file.open(QIODevice::ReadOnly));
    QVERIFY(!file.readAll().contains(engine.token()));

    // Tested with the field empty: the keychain's token is used, and the engine answers.
    QTest::mouseClick(dialog.testEngineButton(), Qt::LeftButton);
    QTRY_VERIFY2_WITH_TIMEOUT(dialog.message().startsWith(QStringLiteral("Engine east works")), qPrintable(dialog.message()), 10'000);
    QVERIFY(dialog.message().contains(QStringLiteral("web")));

    // A bad row is refused naming it, and nothing is saved.
    dialog.addEngineRow(QStringLiteral("west"), QStringLiteral("ftp://lb2"));
    QVERIFY(!dialog.save(&error));
    QVERIFY2(error.contains(QStringLiteral("west")) && error.contains(QStringLiteral("ftp://lb2")), qPrintable(error));
    QCOMPARE(SettingsDialog::engines().size(), 1);
    store.remove(entry, &error);
}

// Trust on first use against a real fulcrumd over https whose certificate no CA of this side
// trusts: the test shows the certificate's fingerprint in a question, and only a yes pins it.
void TestSettingsKeychain::engineCertificateIsPinnedOnFirstUse()
{
    QTemporaryDir dir;
    fulcrum::test::TestCertificates certificates(dir.path());
    QString error;
    QVERIFY2(certificates.makeCa(QStringLiteral("ca"), &error) && certificates.makeSigned(QStringLiteral("server"), QStringLiteral("ca"), QStringLiteral("serverAuth"), &error),
             qPrintable(error));
    const QString fingerprint = tlsFingerprint(QSslCertificate::fromPath(certificates.file(QStringLiteral("server.pem"))).first());
    fulcrum::test::InProcessDemoBackend app1(QStringLiteral("app1"));
    fulcrum::test::FulcrumdProcess::Options options;
    options.servers = {{QStringLiteral("app1"), app1.port()}};
    options.adminTls = QJsonObject{{QStringLiteral("cert"), certificates.file(QStringLiteral("server.pem"))},
                                   {QStringLiteral("key"), certificates.file(QStringLiteral("server.key"))}};
    fulcrum::test::FulcrumdProcess engine(options);
    QString log;
    QVERIFY2(engine.start(&log), qPrintable(log));

    SettingsDialog dialog(nullptr);
    dialog.show();
    dialog.enginesTable()->setRowCount(0);   // the engines an earlier case saved
    dialog.addEngineRow(QStringLiteral("tls"), engine.adminUrl().toString());
    dialog.enginesTable()->setCurrentCell(0, 0);
    dialog.engineTokenField()->setText(QString::fromLatin1(engine.token()));
    Q_EMIT dialog.engineTokenField()->textEdited(dialog.engineTokenField()->text());
    QVERIFY(!dialog.trustEngineButton()->isVisible());
    QTest::mouseClick(dialog.testEngineButton(), Qt::LeftButton);
    QTRY_VERIFY2_WITH_TIMEOUT(dialog.message().contains(fingerprint), qPrintable(dialog.message()), 10'000);
    QVERIFY(dialog.trustEngineButton()->isVisible());

    // First "Cancel": nothing is pinned. Then "Trust this certificate".
    for (const bool trust : {false, true}) {
        QString shown;
        // The question runs its own event loop: a timer answers it from inside.
        QTimer answer;
        answer.setInterval(50);
        connect(&answer, &QTimer::timeout, this, [&] {
            auto *box = qobject_cast<QMessageBox *>(QApplication::activeModalWidget());
            if (!box)
                return;
            answer.stop();
            shown = box->informativeText();
            if (!qEnvironmentVariableIsEmpty("FULCRUM_TEST_SHOTS"))
                box->grab().save(qEnvironmentVariable("FULCRUM_TEST_SHOTS") + QStringLiteral("/trust-certificate.png"));
            for (QAbstractButton *button : box->buttons()) {
                if ((trust && box->buttonRole(button) == QMessageBox::AcceptRole) || (!trust && box->buttonRole(button) == QMessageBox::RejectRole))
                    button->click();
            }
        });
        answer.start();
        QTest::mouseClick(dialog.trustEngineButton(), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(!shown.isEmpty(), 15'000);
        QVERIFY2(shown.contains(fingerprint.mid(7)) && shown.contains(u"openssl x509 -noout -fingerprint -sha256"), qPrintable(shown));
        QTRY_COMPARE_WITH_TIMEOUT(dialog.enginesTable()->item(0, 1)->text().contains(u"pin=sha256:"), trust, 5'000);
    }
    // The pinned address works, and is what Save keeps.
    QTest::mouseClick(dialog.testEngineButton(), Qt::LeftButton);
    QTRY_VERIFY2_WITH_TIMEOUT(dialog.message().startsWith(QStringLiteral("Engine tls works")), qPrintable(dialog.message()), 10'000);
    QVERIFY2(dialog.save(&error), qPrintable(error));
    QVERIFY(SettingsDialog::engines().constLast().url.contains(QStringLiteral("pin=sha256:") + fingerprint.mid(7).remove(u':')));
    KeychainSecretStore().remove(RemoteEngineLink::keychainEntry(engine.adminUrl()), &error);
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
