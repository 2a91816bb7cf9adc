// `fulcrumctl health-check --config FILE` against real demo backends.
#include "demobackends.h"
#include "freeport.h"
#include "programs.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

using namespace fulcrum::test;

class TestHealthCheckCommand : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void reportsEveryServer();
    void exitsZeroWhenAllPass();
    void namesAMissingPool();

private:
    struct Run
    {
        int exitCode = -1;
        QByteArray out;
        QByteArray err;
    };
    Run run(const QStringList &arguments);
    QString writeConfig(const QList<QPair<QString, quint16>> &servers);
    QTemporaryDir m_dir;
};

TestHealthCheckCommand::Run TestHealthCheckCommand::run(const QStringList &arguments)
{
    const ProgramRun r = runProgram(binaryPath(QStringLiteral("fulcrumctl")), QStringList{QStringLiteral("health-check")} + arguments,
                                    QProcessEnvironment::systemEnvironment(), {}, 20'000);
    return Run{r.exitCode, r.out.toUtf8(), r.err.toUtf8()};
}

QString TestHealthCheckCommand::writeConfig(const QList<QPair<QString, quint16>> &servers)
{
    QJsonArray list;
    for (const auto &[name, port] : servers)
        list.append(QJsonObject{{QStringLiteral("name"), name}, {QStringLiteral("address"), QStringLiteral("127.0.0.1:%1").arg(port)}});
    const QJsonObject config{{QStringLiteral("pools"), QJsonArray{QJsonObject{{QStringLiteral("name"), QStringLiteral("web")},
                                                                              {QStringLiteral("servers"), list}}}}};
    const QString path = m_dir.filePath(QStringLiteral("config-%1.json").arg(servers.size()));
    QFile file(path);
    file.open(QIODevice::WriteOnly);
    file.write(QJsonDocument(config).toJson());
    return path;
}

void TestHealthCheckCommand::reportsEveryServer()
{
    DemoBackendProcess ok(QStringLiteral("ok"));
    DemoBackendProcess sick(QStringLiteral("sick"), {QStringLiteral("--health"), QStringLiteral("503")});
    QVERIFY(ok.isRunning() && sick.isRunning());
    const QString config = writeConfig({{QStringLiteral("ok"), ok.port()}, {QStringLiteral("sick"), sick.port()},
                                        {QStringLiteral("gone"), freeLoopbackPort()}});
    const Run r = run({QStringLiteral("--config"), config, QStringLiteral("--json")});
    QCOMPARE(r.exitCode, 1);
    const QJsonArray rows = QJsonDocument::fromJson(r.out).array();
    QCOMPARE(rows.size(), 3);
    QCOMPARE(rows[0].toObject().value(QStringLiteral("result")).toString(), QStringLiteral("L7OK"));
    QCOMPARE(rows[1].toObject().value(QStringLiteral("result")).toString(), QStringLiteral("L7STS 503"));
    QCOMPARE(rows[2].toObject().value(QStringLiteral("result")).toString(), QStringLiteral("L4CON"));
    QCOMPARE(rows[2].toObject().value(QStringLiteral("detail")).toString(), QStringLiteral("Connection refused"));
    QVERIFY(r.err.isEmpty());
}

void TestHealthCheckCommand::exitsZeroWhenAllPass()
{
    DemoBackendProcess ok(QStringLiteral("ok"));
    const Run r = run({QStringLiteral("--config"), writeConfig({{QStringLiteral("ok"), ok.port()}})});
    QCOMPARE(r.exitCode, 0);
    QVERIFY(r.out.contains("L7OK"));
    QVERIFY(r.out.startsWith("POOL"));
}

void TestHealthCheckCommand::namesAMissingPool()
{
    const QString config = writeConfig({{QStringLiteral("ok"), freeLoopbackPort()}});
    const Run r = run({QStringLiteral("--config"), config, QStringLiteral("--pool"), QStringLiteral("shop")});
    QCOMPARE(r.exitCode, 2);
    QVERIFY2(r.err.contains("has no pool \"shop\"; its pools are: web"), r.err.constData());
    QCOMPARE(run({}).exitCode, 2);
}

QTEST_GUILESS_MAIN(TestHealthCheckCommand)
#include "tst_healthcheckcommand.moc"
