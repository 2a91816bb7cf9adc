// A fulcrumd admin token in the real Secret Service (a private keyring session, see main):
// stored with `fulcrumctl secret set --engine URL`, read by `fulcrumctl ... --engine URL` and
// by the console's link from the same entry, against a real fulcrumd.
#include "demobackends.h"
#include "engine/remoteenginelink.h"
#include "link/enginekinds.h"
#include "freeport.h"
#include "fulcrumdprocess.h"
#include "keychain/keychainsecretstore.h"
#include "keyringsession.h"
#include "programs.h"

#include <QFileInfo>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <memory>
#include <tuple>

using namespace fulcrum;
using namespace fulcrum::test;

class TestEngineToken : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void fulcrumctlReadsTheTokenFromTheKeychain();
    void orderIsFileThenEnvironmentThenKeychain();
    void consoleLinkUsesTheSameEntry();
    void missingTokenNamesAllThreeSources();

private:
    // Runs fulcrumctl without FULCRUM_TOKEN (unless given); exit code, stdout, stderr.
    std::tuple<int, QString, QString> run(const QStringList &arguments, const QByteArray &stdinText = {}, const QByteArray &envToken = {});

    std::unique_ptr<InProcessDemoBackend> m_app1;
    std::unique_ptr<FulcrumdProcess> m_engine;
    QString m_url;
};

void TestEngineToken::initTestCase()
{
    // gnome-keyring-daemon --unlock returns before its login collection is unlocked on the bus.
    KeychainSecretStore store;
    QString error;
    QVERIFY2(QTest::qWaitFor([&] { return store.write(QStringLiteral("readiness-probe"), "x", &error); }, 30'000), qPrintable(error));
    QVERIFY(store.remove(QStringLiteral("readiness-probe"), &error));

    m_app1 = std::make_unique<InProcessDemoBackend>(QStringLiteral("app1"));
    QVERIFY(m_app1->isListening());
    FulcrumdProcess::Options options;
    options.servers = {{QStringLiteral("app1"), m_app1->port()}};
    m_engine = std::make_unique<FulcrumdProcess>(options);
    QString log;
    QVERIFY2(m_engine->start(&log), qPrintable(log));
    m_url = m_engine->adminUrl().toString();
}

void TestEngineToken::cleanupTestCase()
{
    m_engine.reset();
}

std::tuple<int, QString, QString> TestEngineToken::run(const QStringList &arguments, const QByteArray &stdinText, const QByteArray &envToken)
{
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.remove(QStringLiteral("FULCRUM_TOKEN"));
    if (!envToken.isEmpty())
        env.insert(QStringLiteral("FULCRUM_TOKEN"), QString::fromLatin1(envToken));
    const ProgramRun r = runProgram(binaryPath(QStringLiteral("fulcrumctl")), arguments, env, stdinText, 20'000);
    return {r.exitCode, r.out, r.err};
}

void TestEngineToken::fulcrumctlReadsTheTokenFromTheKeychain()
{
    auto [code, out, err] = run({QStringLiteral("secret"), QStringLiteral("set"), QStringLiteral("--engine"), m_url}, m_engine->token() + '\n');
    QVERIFY2(code == 0, qPrintable(err));
    QVERIFY2(err.contains(QStringLiteral("fulcrumd:") + m_url), qPrintable(err));
    // Never echoed anywhere.
    QVERIFY(!out.contains(QString::fromLatin1(m_engine->token())) && !err.contains(QString::fromLatin1(m_engine->token())));

    std::tie(code, out, err) = run({QStringLiteral("backends"), QStringLiteral("list"), QStringLiteral("--engine"), m_url});
    QVERIFY2(code == 0, qPrintable(err));
    QVERIFY2(out.contains(u"app1"), qPrintable(out));
    std::tie(code, out, err) = run({QStringLiteral("backends"), QStringLiteral("set-weight"), QStringLiteral("web/app1"), QStringLiteral("7"), QStringLiteral("--engine"), m_url});
    QVERIFY2(code == 0, qPrintable(err));
    QCOMPARE(m_engine->server(QStringLiteral("app1")).value(QStringLiteral("weight")).toInt(), 7);

    // `report --engine` resolves its token the same way: here only the keychain has it.
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString json = dir.filePath(QStringLiteral("r.json"));
    std::tie(code, out, err) = run({QStringLiteral("report"), QStringLiteral("--engine"), m_url, QStringLiteral("--since"), QStringLiteral("15m"), QStringLiteral("-o"), json});
    QVERIFY2(code == 0, qPrintable(err));
    QVERIFY2(QFileInfo(json).size() > 0, qPrintable(out));
    std::tie(code, out, err) = run({QStringLiteral("report"), QStringLiteral("--engine"), m_url, QStringLiteral("--since"), QStringLiteral("15m"), QStringLiteral("--format"),
                                    QStringLiteral("csv"), QStringLiteral("-o"), dir.filePath(QStringLiteral("r"))});
    QVERIFY2(code == 0, qPrintable(err));
    QVERIFY2(QFileInfo::exists(dir.filePath(QStringLiteral("r-servers.csv"))), qPrintable(out));

    // `secret get` gives it back to a script, on stdout only.
    std::tie(code, out, err) = run({QStringLiteral("secret"), QStringLiteral("get"), QStringLiteral("--engine"), m_url});
    QVERIFY2(code == 0, qPrintable(err));
    QCOMPARE(out.trimmed().toLatin1(), m_engine->token());
}

void TestEngineToken::orderIsFileThenEnvironmentThenKeychain()
{
    // A wrong FULCRUM_TOKEN wins over the right keychain entry (and is refused) ...
    auto [code, out, err] = run({QStringLiteral("backends"), QStringLiteral("list"), QStringLiteral("--engine"), m_url}, {}, "wrong-token");
    QCOMPARE(code, 4);
    QVERIFY2(err.contains(u"401"), qPrintable(err));
    // ... and --token-file wins over both.
    std::tie(code, out, err) = run({QStringLiteral("backends"), QStringLiteral("list"), QStringLiteral("--engine"), m_url, QStringLiteral("--token-file"), m_engine->tokenFile()},
                                   {}, "wrong-token");
    QVERIFY2(code == 0, qPrintable(err));
}

void TestEngineToken::consoleLinkUsesTheSameEntry()
{
    KeychainSecretStore keychain;
    QString error;
    const std::optional<EngineKinds::Spelled> engine = EngineKinds::parse(m_engine->adminUrl().toString(), &error);
    QVERIFY2(engine, qPrintable(error));
    const std::optional<QByteArray> token = EngineKinds::readSecret(*engine->kind, engine->address, QString(), &keychain, &error);
    QVERIFY2(token, qPrintable(error));
    QCOMPARE(*token, m_engine->token());
    RemoteEngineOptions options;
    options.url = m_engine->adminUrl();
    options.token = *token;
    RemoteEngineLink link(options);
    QTRY_COMPARE_WITH_TIMEOUT(link.state(), LinkState::Connected, 10'000);
}

void TestEngineToken::missingTokenNamesAllThreeSources()
{
    auto [code, out, err] = run({QStringLiteral("secret"), QStringLiteral("delete"), QStringLiteral("--engine"), m_url});
    QVERIFY2(code == 0, qPrintable(err));
    std::tie(code, out, err) = run({QStringLiteral("backends"), QStringLiteral("list"), QStringLiteral("--engine"), m_url});
    QCOMPARE(code, 2);
    for (const char16_t *source : {u"--token-file", u"FULCRUM_TOKEN", u"fulcrumctl secret set --engine"})
        QVERIFY2(err.contains(QStringView(source)), qPrintable(err));
    std::tie(code, out, err) = run({QStringLiteral("secret"), QStringLiteral("set"), QStringLiteral("--engine"), QStringLiteral("ftp://nope")}, "x\n");
    QCOMPARE(code, 2);
    QVERIFY2(err.contains(u"http://127.0.0.1:9900"), qPrintable(err));
}

int main(int argc, char *argv[])
{
    if (!fulcrum::test::enterPrivateKeyringSession(argc, argv, "tst_enginetoken"))
        return 1;
    QCoreApplication app(argc, argv);
    TestEngineToken test;
    return QTest::qExec(&test, argc, argv);
}

#include "tst_enginetoken.moc"
