#include "postgresserver.h"

#include "common/childprocess.h"
#include "freeport.h"
#include "programs.h"

#include <QCoreApplication>
#include <QDeadlineTimer>
#include <QDir>
#include <QFile>
#include <QThread>

#include <csignal>
#include <unistd.h>

namespace fulcrum::test {

namespace {

// The newest installed server's bin directory: /usr/lib/postgresql/15/bin on Debian 12.
QString postgresBinDirectory()
{
    QDir lib(QStringLiteral("/usr/lib/postgresql"));
    QStringList versions = lib.entryList(QDir::Dirs | QDir::NoDotAndDotDot);
    std::sort(versions.begin(), versions.end(), [](const QString &a, const QString &b) { return a.toInt() > b.toInt(); });
    for (const QString &v : versions) {
        const QString bin = lib.filePath(v + QStringLiteral("/bin"));
        if (QFile::exists(bin + QStringLiteral("/postgres")))
            return bin;
    }
    return {};
}

// As root: run as nobody, ended with its parent. Otherwise: as ourselves.
QStringList unprivileged(const QString &program, const QStringList &arguments)
{
    if (geteuid() != 0)
        return QStringList{program} + arguments;
    return QStringList{QStringLiteral("--reuid=nobody"), QStringLiteral("--regid=nogroup"), QStringLiteral("--clear-groups"),
                       QStringLiteral("--pdeathsig=SIGKILL"), QStringLiteral("--"), program} + arguments;
}

QString unprivilegedProgram(const QString &program)
{
    return geteuid() == 0 ? QStringLiteral("/usr/bin/setpriv") : program;
}

} // namespace

PostgresServer::PostgresServer()
    : PostgresServer(Options{})
{
}

PostgresServer::PostgresServer(Options options)
    : m_options(std::move(options))
    // Not the run's TMPDIR: nobody may not enter it. Removed (as root) by the destructor.
    , m_dir(geteuid() == 0 ? QStringLiteral("/tmp/fulcrum-pg-XXXXXX") : QDir::tempPath() + QStringLiteral("/fulcrum-pg-XXXXXX"))
    , m_bin(postgresBinDirectory())
{
}

PostgresServer::~PostgresServer()
{
    if (m_process && m_process->state() != QProcess::NotRunning) {
        // SIGINT: PostgreSQL's fast shutdown (ends every session, no waiting for clients).
        ::kill(pid_t(m_process->processId()), SIGINT);
        if (!m_process->waitForFinished(10'000)) {
            m_process->kill();
            m_process->waitForFinished(5000);
        }
    }
}

QString PostgresServer::url(const QString &user, const QString &database) const
{
    return QStringLiteral("postgres://%1@127.0.0.1:%2/%3").arg(user).arg(m_port).arg(database);
}

QString PostgresServer::log() const
{
    QFile file(m_dir.filePath(QStringLiteral("postgres.log")));
    return file.open(QIODevice::ReadOnly) ? QString::fromLocal8Bit(file.readAll().right(4000)) : QString();
}

QString PostgresServer::psqlPath()
{
    return QStringLiteral("/usr/bin/psql");
}

QStringList PostgresServer::psqlArguments(const QString &user, const QString &database) const
{
    return {QStringLiteral("-X"), QStringLiteral("-A"), QStringLiteral("-t"), QStringLiteral("-q"), QStringLiteral("-h"), QStringLiteral("127.0.0.1"),
            QStringLiteral("-p"), QString::number(m_port), QStringLiteral("-U"), user, QStringLiteral("-d"), database};
}

bool PostgresServer::sql(const QString &sql, QString *output, const QString &database) const
{
    const ProgramRun run = runProgram(psqlPath(), psqlArguments(QStringLiteral("postgres"), database)
                                                      << QStringLiteral("-v") << QStringLiteral("ON_ERROR_STOP=1") << QStringLiteral("-c") << sql,
                                      componentEnvironment(), {}, 30'000);
    if (output)
        *output = run.exitCode == 0 ? run.out.trimmed() : run.out + run.err;
    return run.exitCode == 0;
}

bool PostgresServer::start(QString *error)
{
    QString why;
    if (m_bin.isEmpty() || !m_dir.isValid()) {
        if (error)
            *error = m_bin.isEmpty() ? QStringLiteral("no PostgreSQL server in /usr/lib/postgresql (install the postgresql package)")
                                     : QStringLiteral("cannot make a temporary directory: %1").arg(m_dir.errorString());
        return false;
    }
    if (geteuid() == 0) {
        const ProgramRun chown = runProgram(QStringLiteral("/bin/chown"), {QStringLiteral("nobody:nogroup"), m_dir.path()});
        if (chown.exitCode != 0) {
            if (error)
                *error = QStringLiteral("chown nobody %1: %2").arg(m_dir.path(), chown.err);
            return false;
        }
    }
    const QString data = m_dir.filePath(QStringLiteral("data"));
    const ProgramRun init = runProgram(unprivilegedProgram(m_bin + QStringLiteral("/initdb")),
                                       unprivileged(m_bin + QStringLiteral("/initdb"),
                                                    {QStringLiteral("-D"), data, QStringLiteral("-U"), QStringLiteral("postgres"),
                                                     QStringLiteral("--auth=trust"), QStringLiteral("-E"), QStringLiteral("UTF8"),
                                                     QStringLiteral("--locale=C"), QStringLiteral("--no-sync")})
                                           .mid(geteuid() == 0 ? 0 : 1),
                                       componentEnvironment(), {}, 120'000);
    if (init.exitCode != 0) {
        if (error)
            *error = QStringLiteral("initdb failed: %1 %2").arg(init.out, init.err);
        return false;
    }
    for (int attempt = 0; attempt < 5; ++attempt) {
        if (launch(&why))
            return true;
    }
    if (error)
        *error = why;
    return false;
}

bool PostgresServer::launch(QString *error)
{
    m_port = freeLoopbackPort();
    QStringList args{QStringLiteral("-D"), m_dir.filePath(QStringLiteral("data")), QStringLiteral("-k"), m_dir.path(),
                     QStringLiteral("-p"), QString::number(m_port), QStringLiteral("-c"), QStringLiteral("listen_addresses=127.0.0.1"),
                     QStringLiteral("-c"), QStringLiteral("fsync=off"), QStringLiteral("-c"), QStringLiteral("full_page_writes=off"),
                     QStringLiteral("-c"), QStringLiteral("max_connections=300"), QStringLiteral("-c"), QStringLiteral("max_locks_per_transaction=256")};
    for (const QString &setting : m_options.settings)
        args << QStringLiteral("-c") << setting;
    m_process = std::make_unique<QProcess>();
    m_process->setStandardOutputFile(m_dir.filePath(QStringLiteral("postgres.log")), QIODevice::Append);
    m_process->setProcessChannelMode(QProcess::MergedChannels);
    m_process->setProcessEnvironment(componentEnvironment());
    if (geteuid() != 0)
        tieToParent(*m_process, SIGKILL);
    const QStringList command = unprivileged(m_bin + QStringLiteral("/postgres"), args);
    m_process->start(unprivilegedProgram(m_bin + QStringLiteral("/postgres")), geteuid() == 0 ? command : command.mid(1));
    if (!m_process->waitForStarted(5000)) {
        *error = QStringLiteral("postgres did not start: %1").arg(m_process->errorString());
        return false;
    }
    const QDeadlineTimer deadline(30'000);
    while (true) {
        if (m_process->state() != QProcess::Running) {
            m_process->waitForFinished(1000);
            *error = QStringLiteral("postgres exited: %1").arg(log());
            return false;
        }
        const ProgramRun ready = runProgram(m_bin + QStringLiteral("/pg_isready"),
                                            {QStringLiteral("-h"), QStringLiteral("127.0.0.1"), QStringLiteral("-p"), QString::number(m_port),
                                             QStringLiteral("-U"), QStringLiteral("postgres"), QStringLiteral("-t"), QStringLiteral("2")},
                                            componentEnvironment(), {}, 10'000);
        // Ready, and ours: the socket in our directory answers on the same port.
        if (ready.exitCode == 0 && QFile::exists(m_dir.filePath(QStringLiteral(".s.PGSQL.%1").arg(m_port))))
            return true;
        if (deadline.hasExpired()) {
            *error = QStringLiteral("postgres was not ready within 30 s: %1").arg(log());
            m_process->kill();
            m_process->waitForFinished(5000);
            return false;
        }
        QThread::msleep(100);
    }
}

PsqlSession::PsqlSession(const PostgresServer &server, const QString &user, const QString &application, const QString &database)
    : m_server(server), m_user(user), m_application(application), m_database(database)
{
    QObject::connect(&m_process, &QProcess::readyReadStandardOutput, &m_process, [this] { read(); });
}

PsqlSession::~PsqlSession()
{
    if (m_process.state() != QProcess::NotRunning) {
        m_process.kill();
        m_process.waitForFinished(5000);
    }
}

void PsqlSession::read()
{
    m_out += QString::fromUtf8(m_process.readAllStandardOutput());
}

bool PsqlSession::start(QString *error)
{
    QProcessEnvironment env = componentEnvironment();
    env.insert(QStringLiteral("PGAPPNAME"), m_application);
    m_process.setProcessEnvironment(env);
    m_process.setProcessChannelMode(QProcess::MergedChannels);
    tieToParent(m_process, SIGKILL);
    m_process.start(PostgresServer::psqlPath(), m_server.psqlArguments(m_user, m_database));
    if (!m_process.waitForStarted(5000)) {
        if (error)
            *error = QStringLiteral("psql did not start: %1").arg(m_process.errorString());
        return false;
    }
    const auto pid = run(QStringLiteral("SELECT pg_backend_pid();"));
    if (!pid || pid->trimmed().toLongLong() <= 0) {
        if (error)
            *error = QStringLiteral("psql as %1 did not connect: %2").arg(m_user, m_out);
        return false;
    }
    m_pid = pid->trimmed().toLongLong();
    return true;
}

QString PsqlSession::send(const QString &sql)
{
    const QString marker = QStringLiteral("--marker-%1--").arg(++m_markers);
    m_process.write((sql + QStringLiteral("\n\\echo ") + marker + u'\n').toUtf8());
    return marker;
}

bool PsqlSession::waitFor(const QString &marker, int timeoutMs)
{
    const QDeadlineTimer deadline(timeoutMs);
    while (!m_out.contains(marker)) {
        if (deadline.hasExpired() || m_process.state() != QProcess::Running)
            return m_out.contains(marker);
        m_process.waitForReadyRead(50);
        read();
        QCoreApplication::processEvents();
    }
    return true;
}

std::optional<QString> PsqlSession::run(const QString &sql, int timeoutMs)
{
    const qsizetype from = m_out.size();
    const QString marker = send(sql);
    if (!waitFor(marker, timeoutMs))
        return std::nullopt;
    return m_out.mid(from, m_out.indexOf(marker, from) - from).trimmed();
}

bool PsqlSession::connectionLost(int timeoutMs)
{
    if (m_process.state() == QProcess::Running)
        send(QStringLiteral("SELECT 1;"));
    const QDeadlineTimer deadline(timeoutMs);
    while (!deadline.hasExpired()) {
        read();
        if (m_process.state() != QProcess::Running || m_out.contains(QStringLiteral("terminating connection"))
            || m_out.contains(QStringLiteral("connection to server")))
            return true;
        m_process.waitForReadyRead(50);
        m_process.waitForFinished(10);
    }
    return false;
}

void PsqlSession::quit()
{
    if (m_process.state() == QProcess::Running) {
        m_process.write("\\q\n");
        m_process.closeWriteChannel();
        if (!m_process.waitForFinished(5000))
            m_process.kill();
    }
    m_process.waitForFinished(5000);
}

} // namespace fulcrum::test
