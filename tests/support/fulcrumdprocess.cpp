#include "fulcrumdprocess.h"

#include "common/childprocess.h"
#include "demobackends.h"
#include "freeport.h"
#include "programs.h"

#include <QDeadlineTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>

#include <csignal>

namespace fulcrum::test {

namespace {

QByteArray readTrimmed(const QString &path)
{
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll().trimmed() : QByteArray();
}

} // namespace

FulcrumdProcess::FulcrumdProcess(Options options)
    : m_options(std::move(options))
{
    m_adminPort = freeLoopbackPort();
    m_proxyPort = freeLoopbackPort();
}

FulcrumdProcess::~FulcrumdProcess()
{
    stop();
}

QUrl FulcrumdProcess::adminUrl() const
{
    return QUrl(QStringLiteral("%1://127.0.0.1:%2").arg(m_options.adminTls.isEmpty() ? QStringLiteral("http") : QStringLiteral("https")).arg(m_adminPort));
}

QString FulcrumdProcess::logFile() const
{
    return m_dir.filePath(QStringLiteral("fulcrumd.log"));
}

QString FulcrumdProcess::configFile() const
{
    return m_dir.filePath(QStringLiteral("fulcrum.json"));
}

QString FulcrumdProcess::tokenFile() const
{
    return m_dir.filePath(QStringLiteral("state/admin.token"));
}

bool FulcrumdProcess::start(QString *log)
{
    log->clear();
    QJsonArray servers;
    for (const auto &[name, port] : std::as_const(m_options.servers))
        servers.append(QJsonObject{{QStringLiteral("name"), name}, {QStringLiteral("address"), QStringLiteral("127.0.0.1:%1").arg(port)}, {QStringLiteral("weight"), 10}});
    QJsonObject listener{{QStringLiteral("name"), QStringLiteral("main")},
                         {QStringLiteral("listen"), QStringLiteral("127.0.0.1:%1").arg(m_proxyPort)},
                         {QStringLiteral("pool"), m_options.pool}};
    if (!m_options.routes.isEmpty())
        listener.insert(QStringLiteral("routes"), m_options.routes);
    QJsonObject config{
        {QStringLiteral("listeners"), QJsonArray{listener}},
        {QStringLiteral("pools"), QJsonArray{QJsonObject{
             {QStringLiteral("name"), m_options.pool},
             {QStringLiteral("health_check"), QJsonObject{{QStringLiteral("interval"), QStringLiteral("100ms")}, {QStringLiteral("fast_interval"), QStringLiteral("50ms")},
                                                          {QStringLiteral("down_interval"), QStringLiteral("100ms")}, {QStringLiteral("timeout"), QStringLiteral("300ms")}}},
             {QStringLiteral("servers"), servers}}}},
        {QStringLiteral("admin"), QJsonObject{{QStringLiteral("listen"), QStringLiteral("127.0.0.1:%1").arg(m_adminPort)}}},
        {QStringLiteral("proxy"), QJsonObject{{QStringLiteral("workers"), 1}, {QStringLiteral("stop_timeout"), QStringLiteral("2s")}}},
        {QStringLiteral("state_dir"), m_dir.filePath(QStringLiteral("state"))},
    };
    if (!m_options.adminTls.isEmpty()) {
        QJsonObject admin = config.value(QStringLiteral("admin")).toObject();
        admin.insert(QStringLiteral("tls"), m_options.adminTls);
        config.insert(QStringLiteral("admin"), admin);
    }
    if (!m_options.morePools.isEmpty()) {
        QJsonArray pools = config.value(QStringLiteral("pools")).toArray();
        for (const QJsonValue &pool : std::as_const(m_options.morePools))
            pools.append(pool);
        config.insert(QStringLiteral("pools"), pools);
    }
    if (m_options.redisPort) {
        config.insert(QStringLiteral("redis"), QJsonArray{QJsonObject{{QStringLiteral("name"), QStringLiteral("cache")},
                                                                      {QStringLiteral("url"), QStringLiteral("redis://127.0.0.1:%1").arg(m_options.redisPort)},
                                                                      {QStringLiteral("poll_interval"), QStringLiteral("200ms")}}});
    }
    const QString path = configFile();
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly)) {
        *log = QStringLiteral("cannot write %1").arg(path);
        return false;
    }
    file.write(QJsonDocument(config).toJson());
    file.close();

    // Its log goes to a file: a pipe nobody reads during a long test would fill and stall it.
    const QString logPath = logFile();
    QFile::remove(logPath);
    m_process.setStandardOutputFile(QProcess::nullDevice());
    m_process.setStandardErrorFile(logPath);
    tieToParent(m_process);
    m_process.start(binaryPath(QStringLiteral("fulcrumd")), {QStringLiteral("--config"), path});
    QDeadlineTimer deadline(15'000);
    while (!log->contains(u"admin API on http")) {
        if (deadline.hasExpired() || m_process.state() == QProcess::NotRunning) {
            m_process.waitForFinished(100);
            *log = QString::fromUtf8(readTrimmed(logPath));
            return false;
        }
        m_process.waitForFinished(50);
        *log = QString::fromUtf8(readTrimmed(logPath));
    }
    m_token = readTrimmed(tokenFile());
    m_readOnlyToken = readTrimmed(m_dir.filePath(QStringLiteral("state/admin-readonly.token")));
    return !m_token.isEmpty();
}

void FulcrumdProcess::stop()
{
    stopProcess(m_process);
}

void FulcrumdProcess::reload()
{
    if (m_process.state() != QProcess::NotRunning)
        ::kill(pid_t(m_process.processId()), SIGHUP);
}

QJsonObject FulcrumdProcess::request(const QByteArray &method, const QByteArray &path, const QByteArray &body, int *status) const
{
    QByteArray raw = method + ' ' + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Fulcrum-User: tester\r\nAuthorization: Bearer " + m_token + "\r\n";
    if (!body.isNull())
        raw += "Content-Type: application/json\r\nContent-Length: " + QByteArray::number(body.size()) + "\r\n";
    raw += "\r\n" + body;
    SimpleHttpConnection connection(m_adminPort);
    const SimpleHttpResponse response = connection.exchange(raw);
    if (status)
        *status = response.status;
    return QJsonDocument::fromJson(response.body).object();
}

QJsonObject FulcrumdProcess::server(const QString &name) const
{
    return request("GET", QStringLiteral("/api/v1/pools/%1/servers/%2").arg(m_options.pool, name).toUtf8());
}

} // namespace fulcrum::test
