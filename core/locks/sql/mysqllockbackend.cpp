#include "mysqllockbackend.h"

#include "common/bytestext.h"
#include "common/wallclock.h"
#include "locks/sql/mysqlconnection.h"

#include <QJsonObject>
#include <QMap>
#include <QPointer>
#include <QRegularExpression>
#include <QTimer>

#include <algorithm>
#include <memory>
#include <optional>

namespace fulcrum {

namespace {

constexpr int kReconnectMs = 2000;

const QByteArray kServerQuery =
    "SELECT VERSION() AS version, CONNECTION_ID() AS me, CURRENT_USER() AS role, "
    "(SELECT COUNT(*) FROM information_schema.PLUGINS WHERE PLUGIN_NAME = 'METADATA_LOCK_INFO' AND PLUGIN_STATUS = 'ACTIVE') AS mdl_plugin, "
    "@@performance_schema AS ps, DATABASE() AS db";
// Whether performance_schema records metadata locks (MySQL 8: on by default; MariaDB: off
// unless performance-schema-instrument='wait/lock/metadata/sql/mdl=ON').
const QByteArray kMdlInstrument =
    "SELECT ENABLED FROM performance_schema.setup_instruments WHERE NAME = 'wait/lock/metadata/sql/mdl'";

// MariaDB: holders from metadata_lock_info (the lock's name is its TABLE_SCHEMA), joined with
// the process list for who they are.
const QByteArray kMariaHolders =
    "SELECT m.THREAD_ID AS id, m.TABLE_SCHEMA AS name, m.LOCK_MODE AS mode, m.LOCK_TIME_MS AS held_ms, p.USER AS user, "
    "p.HOST AS host, p.DB AS db, p.COMMAND AS command, p.STATE AS state, p.INFO AS info "
    "FROM information_schema.METADATA_LOCK_INFO m LEFT JOIN information_schema.PROCESSLIST p ON p.ID = m.THREAD_ID "
    "WHERE m.LOCK_TYPE = 'User lock'";
// MariaDB's waiters: connections in state "User lock"; the name is read from their statement.
const QByteArray kMariaWaiters =
    "SELECT ID AS id, USER AS user, HOST AS host, DB AS db, TIME_MS AS time_ms, INFO AS info "
    "FROM information_schema.PROCESSLIST WHERE STATE = 'User lock' AND ID <> CONNECTION_ID()";
// MySQL 8: both from performance_schema (GRANTED and PENDING).
const QByteArray kMysqlLocks =
    "SELECT ml.OBJECT_NAME AS name, ml.LOCK_STATUS AS status, ml.LOCK_TYPE AS mode, t.PROCESSLIST_ID AS id, "
    "t.PROCESSLIST_USER AS user, t.PROCESSLIST_HOST AS host, t.PROCESSLIST_DB AS db, t.PROCESSLIST_TIME * 1000 AS time_ms, "
    "t.PROCESSLIST_INFO AS info FROM performance_schema.metadata_locks ml "
    "JOIN performance_schema.threads t ON t.THREAD_ID = ml.OWNER_THREAD_ID WHERE ml.OBJECT_TYPE = 'USER LEVEL LOCK'";

struct Row
{
    const MysqlResult &result;
    const QList<QByteArray> &values;
    QByteArray operator[](const char *name) const
    {
        const int c = result.column(name);
        return c >= 0 ? values.at(c) : QByteArray();
    }
    QString text(const char *name) const { return QString::fromUtf8((*this)[name]); }
};

// The lock a waiting statement asks for: GET_LOCK('name', ...) with a literal name.
std::optional<QByteArray> requestedLock(const QByteArray &statement)
{
    static const QRegularExpression getLock(QStringLiteral("get_lock\\s*\\(\\s*'((?:[^'\\\\]|\\\\.|'')*)'"),
                                            QRegularExpression::CaseInsensitiveOption);
    const QRegularExpressionMatch m = getLock.match(QString::fromUtf8(statement));
    if (!m.hasMatch())
        return std::nullopt;
    QString name = m.captured(1);
    name.replace(QStringLiteral("''"), QStringLiteral("'"));
    name.replace(QStringLiteral("\\'"), QStringLiteral("'"));
    name.replace(QStringLiteral("\\\\"), QStringLiteral("\\"));
    return name.toUtf8();
}

QString who(const Row &row)
{
    QString text = QStringLiteral("connection %1").arg(row.text("id"));
    if (!row["user"].isNull())
        text += QStringLiteral(" %1@%2").arg(row.text("user"), row.text("host"));
    else
        text += QStringLiteral(" (not visible to this user: it needs PROCESS)");
    if (!row["db"].isNull())
        text += QStringLiteral(" (%1)").arg(row.text("db"));
    return text;
}

} // namespace

struct MysqlLockBackend::Pass
{
    MysqlResult holders;
    MysqlResult waiters;
    QList<std::pair<locktables::TableShape, MysqlResult>> tables;
};

MysqlLockBackend::MysqlLockBackend(const MysqlEndpointConfig &config, const QByteArray &password, QObject *parent)
    : LockBackend(parent)
    , m_config(config)
    , m_password(password)
    , m_observations(LockObservationRules{config.longHeldMs})
{
}

MysqlLockBackend::~MysqlLockBackend()
{
    m_releases.failAll(url());
}

LockBackendCapabilities MysqlLockBackend::mysqlCapabilities()
{
    LockBackendCapabilities c;
    c.backend = QStringLiteral("mysql");
    c.displayName = QStringLiteral("MySQL/MariaDB");
    c.waiters = true;
    c.sessions = true;
    c.clientAddress = true;
    c.kinds = {QStringLiteral("mysql-user-lock"), QStringLiteral("lock-table")};
    c.releaseEffect = QStringLiteral(
        "KILLs the holder's connection, after IS_USED_LOCK(name) has said that connection still holds the lock. The "
        "check and the KILL are two statements one after the other on one connection (not atomic: the window is one round "
        "trip, well under a millisecond on a local network). The holder's open transaction is rolled back, EVERY named "
        "lock it holds is freed, and the application sees its connection drop. The next waiter gets the lock at once.\n")
                        + locktables::releaseEffect();
    return c;
}

void MysqlLockBackend::open()
{
    if (m_state != LockBackendState::NotStarted)
        return;
    connectNow();
}

void MysqlLockBackend::connectNow()
{
    m_state = LockBackendState::Connecting;
    delete m_connection;
    m_connection = new MysqlConnection(m_config.url, m_password, this);
    MysqlConnection *connection = m_connection;
    connect(connection, &MysqlConnection::lost, this, [this, connection](const QString &why) {
        if (connection != m_connection)
            return;
        if (m_state == LockBackendState::Connecting && why.contains(QStringLiteral("Access denied"))) {
            m_state = LockBackendState::Disconnected;
            Q_EMIT errorOccurred(why);
            return;
        }
        lose(why);
    });
    connect(connection, &MysqlConnection::connected, this, [this, connection] {
        connection->query(kServerQuery, this, [this, connection](const MysqlResult &r) {
            if (connection != m_connection)
                return;
            if (!r.ok || r.rows.isEmpty()) {
                // Never left "connecting" for good: said, and tried again like a lost connection.
                lose(QStringLiteral("%1: the server did not answer what it is (%2)").arg(url(), r.ok ? QStringLiteral("no row") : r.error));
                return;
            }
            const Row row{r, r.rows.first()};
            m_role = row.text("role");
            m_database = row.text("db");
            m_catalogueAge.invalidate();
            const bool maria = row.text("version").contains(QStringLiteral("MariaDB"), Qt::CaseInsensitive);
            const bool plugin = maria && row["mdl_plugin"].toInt() > 0;
            const bool ps = row["ps"] == "1";
            const QString version = row.text("version");
            const auto ready = [this, connection, maria, plugin, version](bool instrumented) {
                m_source = plugin ? Source::MetadataLockInfo : instrumented ? Source::PerformanceSchema : Source::None;
                m_sourceProblem = maria ? QStringLiteral("MariaDB %1 shows named locks through the metadata_lock_info plugin (INSTALL SONAME "
                                                         "'metadata_lock_info', or plugin_load_add = metadata_lock_info in the server's config) "
                                                         "or through performance_schema (performance_schema = ON and "
                                                         "performance-schema-instrument = 'wait/lock/metadata/sql/mdl=ON')").arg(version)
                                        : QStringLiteral("MySQL %1 shows named locks in performance_schema.metadata_locks: start the server with "
                                                         "performance_schema = ON (and the wait/lock/metadata/sql/mdl instrument, on by default)")
                                              .arg(version);
                // Lock tables' TIMESTAMP columns read and written in UTC, as UTC_TIMESTAMP() compares.
                connection->query("SET time_zone = '+00:00'", this, [this, connection](const MysqlResult &) {
                    if (connection != m_connection)
                        return;
                    m_state = LockBackendState::Connected;
                    Q_EMIT connected();
                    if (m_resumeWanted) {
                        m_resumeWanted = false;
                        scan();
                    }
                }, int(m_config.queryTimeoutMs));
            };
            if (plugin || !ps) {
                ready(false);
                return;
            }
            connection->query(kMdlInstrument, this, [connection, this, ready](const MysqlResult &instrument) {
                if (connection != m_connection)
                    return;
                // Not readable (privileges): assume MySQL's default, on.
                ready(!instrument.ok || instrument.rows.isEmpty() || instrument.rows.first().value(0) == "YES");
            }, int(m_config.queryTimeoutMs));
        }, int(m_config.queryTimeoutMs));
    });
    connection->open(int(m_config.queryTimeoutMs));
}

void MysqlLockBackend::lose(const QString &why)
{
    if (m_scanning) {
        m_scanning = false;
        ++m_generation;
        ++m_restarts;
        m_resumeWanted = true;
        Q_EMIT scanInterrupted(why);
    }
    if (m_state == LockBackendState::Connected || m_state == LockBackendState::Connecting) {
        m_state = LockBackendState::WaitingToReconnect;
        Q_EMIT errorOccurred(why);
        QTimer::singleShot(kReconnectMs, this, [this] {
            if (m_state == LockBackendState::WaitingToReconnect)
                connectNow();
        });
    }
}

void MysqlLockBackend::scan()
{
    if (m_scanning || !isConnected())
        return;
    if (!m_resumeWanted)
        m_restarts = 0;
    m_scanning = true;
    const quint64 generation = ++m_generation;
    m_passStartedAt = wallclock::nowUtc();
    m_passClock.start();
    withCatalogue([this, generation](bool broke, const QString &error) {
        if (!m_scanning || generation != m_generation)
            return;
        if (broke || !error.isEmpty()) {
            m_scanning = false;     // broke: lost() says so and the pass resumes after the reconnect
            if (!broke)
                Q_EMIT scanFailed(QStringLiteral("%1: %2").arg(url(), error));
            return;
        }
        readNamedLocks(generation);
    });
}

void MysqlLockBackend::withCatalogue(std::function<void(bool broke, const QString &error)> then)
{
    // Read again every minute, and at once after a table statement failed (the age invalidated).
    if (!locktables::catalogueDue(m_config.lockTables, m_catalogueAge)) {
        then(false, {});
        return;
    }
    m_connection->query(locktables::catalogueQuery(locktables::Dialect::Mysql, m_config.lockTables), this, [this, then](const MysqlResult &r) {
        if (!r.ok) {
            then(r.errorCode >= 2000 && r.errorCode < 3000, QStringLiteral("reading the catalogue for lock_tables failed: %1").arg(r.error));
            return;
        }
        QList<locktables::CatalogueRow> rows;
        for (const QList<QByteArray> &values : r.rows) {
            const Row row{r, values};
            rows.append({row.text("configured"), row.text("column_name"), row.text("data_type"), row["can_select"] == "1"});
        }
        m_tables = locktables::shapesFrom(locktables::Dialect::Mysql, m_config.lockTables, rows);
        m_catalogueAge.start();
        then(false, {});
    }, int(m_config.queryTimeoutMs));
}

bool MysqlLockBackend::passFailed(const MysqlResult &r, const QString &what)
{
    if (r.ok)
        return false;
    m_scanning = false;
    if (r.errorCode >= 2000 && r.errorCode < 3000)
        return true;    // the connection broke: lost() says so and the pass resumes after the reconnect
    Q_EMIT scanFailed(QStringLiteral("%1 failed: %2").arg(what, r.error));
    return true;
}

void MysqlLockBackend::readNamedLocks(quint64 generation)
{
    auto pass = std::make_shared<Pass>();
    if (m_source == Source::None) {
        // Without a source of named locks, a pass is only worth running for lock tables.
        if (std::none_of(m_tables.cbegin(), m_tables.cend(), [](const locktables::TableShape &t) { return t.readable(); })) {
            m_scanning = false;
            Q_EMIT scanFailed(QStringLiteral("%1: %2").arg(url(), m_sourceProblem));
            return;
        }
        readTables(generation, pass, 0);
        return;
    }
    const QByteArray first = m_source == Source::MetadataLockInfo ? kMariaHolders : kMysqlLocks;
    m_connection->query(first, this, [this, generation, pass](const MysqlResult &holders) {
        if (!m_scanning || generation != m_generation || passFailed(holders, QStringLiteral("reading named locks")))
            return;
        pass->holders = holders;
        if (m_source == Source::PerformanceSchema) {
            readTables(generation, pass, 0);
            return;
        }
        m_connection->query(kMariaWaiters, this, [this, generation, pass](const MysqlResult &waiters) {
            if (!m_scanning || generation != m_generation || passFailed(waiters, QStringLiteral("reading named locks")))
                return;
            pass->waiters = waiters;
            readTables(generation, pass, 0);
        }, int(m_config.queryTimeoutMs));
    }, int(m_config.queryTimeoutMs));
}

void MysqlLockBackend::readTables(quint64 generation, std::shared_ptr<Pass> pass, qsizetype next)
{
    while (next < m_tables.size() && !m_tables.at(next).readable())
        ++next;
    if (next >= m_tables.size()) {
        finishPass(*pass);
        return;
    }
    const locktables::TableShape table = m_tables.at(next);
    m_connection->query(locktables::selectQuery(locktables::Dialect::Mysql, table, 100'000), this,
                        [this, generation, pass, next, table](const MysqlResult &rows) {
        if (!m_scanning || generation != m_generation)
            return;
        if (!rows.ok && !(rows.errorCode >= 2000 && rows.errorCode < 3000)) {
            // Dropped or altered since the catalogue was read: the next pass reads it again.
            m_catalogueAge.invalidate();
        }
        if (passFailed(rows, QStringLiteral("reading lock table %1").arg(table.config.table)))
            return;
        pass->tables.append({table, rows});
        readTables(generation, pass, next + 1);
    }, int(m_config.queryTimeoutMs));
}

void MysqlLockBackend::cancelScan()
{
    m_scanning = false;
    ++m_generation;
    m_resumeWanted = false;
}

void MysqlLockBackend::finishPass(const Pass &pass)
{
    const MysqlResult &holders = pass.holders;
    const MysqlResult &waiters = pass.waiters;
    m_scanning = false;
    LockScanResult result;
    const QDateTime now = wallclock::nowUtc();
    QMap<QByteArray, LockInfo> rows;
    bool hidden = false;
    const auto rowFor = [&](const QByteArray &name) -> LockInfo & {
        LockInfo &info = rows[name];
        if (info.key.isEmpty()) {
            info.backend = QStringLiteral("mysql");
            info.kind = QStringLiteral("mysql-user-lock");
            info.key = name;
        }
        return info;
    };
    struct Waiting
    {
        QByteArray name;
        LockWaiter waiter;
        qint64 waitedMs;
    };
    QList<Waiting> queued;
    const auto addWaiter = [&](const QByteArray &name, const Row &row) {
        LockWaiter w;
        w.id = row["id"];
        w.who = who(row);
        w.session = QStringLiteral("connection %1").arg(row.text("id"));
        const qint64 waited = qint64(row["time_ms"].toDouble());
        w.queuedAt = now.addMSecs(-waited);
        queued.append(Waiting{name, w, waited});
    };
    for (const QList<QByteArray> &values : holders.rows) {
        const Row row{holders, values};
        const QByteArray name = row["name"];
        if (m_source == Source::PerformanceSchema && row["status"] != "GRANTED") {
            addWaiter(name, row);
            continue;
        }
        LockInfo &info = rowFor(name);
        hidden = hidden || row["user"].isNull();
        info.holder = row["id"];
        info.holderText = who(row);
        info.session = QStringLiteral("connection %1").arg(row.text("id"));
        info.clientAddress = row.text("host");
        if (!row["held_ms"].isNull())
            info.acquiredAt = now.addMSecs(-qint64(row["held_ms"].toDouble()));
        QJsonObject d{{QStringLiteral("connection_id"), row.text("id")},
                      {QStringLiteral("user"), row.text("user")},
                      {QStringLiteral("host"), row.text("host")},
                      {QStringLiteral("db"), row.text("db")},
                      {QStringLiteral("state"), row.text("state")},
                      {QStringLiteral("query"), row.text("info")},
                      {QStringLiteral("lock_mode"), row.text("mode")},
                      {QStringLiteral("source"), m_source == Source::MetadataLockInfo ? QStringLiteral("metadata_lock_info")
                                                                                       : QStringLiteral("performance_schema")}};
        info.details = d;
    }
    for (const QList<QByteArray> &values : waiters.rows) {
        const Row row{waiters, values};
        const std::optional<QByteArray> name = requestedLock(row["info"]);
        if (!name) {
            result.notes.append(LockScanNote{{}, QStringLiteral("connection %1 waits for a named lock whose name is not a literal in its "
                                                                "statement: %2").arg(row.text("id"), row.text("info").left(200))});
            continue;
        }
        addWaiter(*name, row);
    }
    std::sort(queued.begin(), queued.end(), [](const Waiting &a, const Waiting &b) { return a.waitedMs > b.waitedMs; });
    for (const Waiting &w : queued) {
        LockInfo &info = rowFor(w.name);
        if (info.holder.isEmpty())
            info.holderText = QStringLiteral("(being handed over)");
        info.waiters.append(w.waiter);
    }
    m_observations.beginPass(m_passStartedAt);
    for (LockInfo &info : rows) {
        m_observations.observe(info);
        result.locks.append(info);
    }
    qsizetype tableRows = 0;
    for (const auto &[table, answer] : pass.tables) {
        tableRows += answer.rows.size();
        for (const QList<QByteArray> &values : answer.rows) {
            const Row row{answer, values};
            const QByteArray held = row["held_ms"];
            LockInfo info = locktables::lockFromRow(QStringLiteral("mysql"), m_database, table, row["name"], row["owner"], row["until_text"],
                                                    row["ttl_ms"].toLongLong(), held.isNull() ? std::nullopt : std::optional<qint64>(held.toLongLong()),
                                                    m_passStartedAt);
            m_observations.observe(info);
            result.locks.append(std::move(info));
        }
    }
    m_observations.endPass();
    std::sort(result.locks.begin(), result.locks.end(), [](const LockInfo &a, const LockInfo &b) { return a.key < b.key; });
    for (const QString &problem : locktables::problems(m_tables))
        result.notes.append(LockScanNote{{}, problem});
    if (m_source == Source::None)
        result.notes.append(LockScanNote{{}, QStringLiteral("named locks (GET_LOCK) are not read: %1").arg(m_sourceProblem)});
    if (hidden)
        result.notes.append(LockScanNote{{}, QStringLiteral("user %1 cannot see other users' connections (who holds is shown by connection "
                                                            "id only): GRANT PROCESS ON *.* TO %1").arg(m_role)});
    result.keysScanned = holders.rows.size() + waiters.rows.size() + tableRows;
    result.elapsedMs = m_passClock.elapsed();
    result.restarts = m_restarts;
    result.finishedAt = wallclock::nowUtc();
    m_lastResult = result;
    Q_EMIT progress(result.keysScanned, int(result.locks.size()));
    Q_EMIT scanFinished(result);
}

void MysqlLockBackend::release(const LockReleaseRequest &request, std::function<void(const ForceReleaseResult &)> done)
{
    auto pending = m_releases.add(request, std::move(done));
    if (locktables::parseLockKey(request.key) && isConnected() && !m_catalogueAge.isValid()) {
        // A release without a pass before it (fulcrumctl): is the name one of the lock tables?
        withCatalogue([this, request, pending](bool broke, const QString &error) {
            if (broke || !error.isEmpty()) {
                m_releases.finish(pending, ForceReleaseResult{ForceReleaseResult::Failed, {}, QStringLiteral("%1; nothing was done").arg(error)});
                return;
            }
            if (!m_catalogueAge.isValid())
                m_catalogueAge.start();   // no lock tables configured: the name is a named lock's
            dispatchRelease(request, pending);
        });
        return;
    }
    dispatchRelease(request, pending);
}

void MysqlLockBackend::dispatchRelease(const LockReleaseRequest &request, const std::shared_ptr<PendingRelease> &pending)
{
    const auto fail = [this, pending](const QString &message) {
        m_releases.finishLater(this, pending, ForceReleaseResult{ForceReleaseResult::Failed, {}, message});
    };
    if (const std::optional<locktables::TableLockKey> tableKey = locktables::parseLockKey(request.key);
        tableKey && std::any_of(m_tables.cbegin(), m_tables.cend(), [&](const locktables::TableShape &t) { return t.config.table == tableKey->table; })) {
        releaseTableRow(request, pending, *tableKey);
        return;
    }
    bool numeric = false;
    const qulonglong id = request.holder.toULongLong(&numeric);
    if (request.mode != LockReleaseRequest::Delete) {
        fail(QStringLiteral("MySQL/MariaDB named locks have one release: KILL the holder's connection (release without --ask or --revoke); nothing was done"));
        return;
    }
    if (!numeric || id == 0) {
        fail(QStringLiteral("holder \"%1\" is not a connection id as 'locks list' prints it").arg(escapeBytes(request.holder)));
        return;
    }
    if (!isConnected()) {
        fail(QStringLiteral("%1 is not connected; nothing was done").arg(url()));
        return;
    }
    LockInfo shown;
    for (const LockInfo &lock : m_lastResult.locks) {
        if (lock.key == request.key)
            shown = lock;
    }
    const QByteArray check = "SELECT IS_USED_LOCK(" + m_connection->quote(request.key) + ") AS holder";
    m_connection->query(check, this, [this, pending, id, shown](const MysqlResult &r) {
        if (!r.ok) {
            m_releases.finish(pending, ForceReleaseResult{ForceReleaseResult::Failed, {}, QStringLiteral("checking the holder failed: %1; nothing was done").arg(r.error)});
            return;
        }
        const QByteArray now = r.rows.value(0).value(0);
        if (now.isNull()) {
            m_releases.finish(pending, ForceReleaseResult{ForceReleaseResult::Gone, {},
                                                      QStringLiteral("nobody holds %1 now; nothing was done").arg(escapeBytes(pending->request.key))});
            return;
        }
        if (now.toULongLong() != id) {
            m_releases.finish(pending, ForceReleaseResult{ForceReleaseResult::HolderChanged, now,
                                                      QStringLiteral("%1 is now held by connection %2; nothing was done")
                                                          .arg(escapeBytes(pending->request.key), QString::fromUtf8(now))});
            return;
        }
        m_connection->query("KILL CONNECTION " + QByteArray::number(id), this, [this, pending, id, shown](const MysqlResult &killed) {
            if (!killed.ok) {
                const bool denied = killed.errorCode == 1095 || killed.errorCode == 1227;
                m_releases.finish(pending, ForceReleaseResult{killed.errorCode == 1094 ? ForceReleaseResult::Gone : ForceReleaseResult::Failed, {},
                                                          denied ? QStringLiteral("user %1 may not KILL connection %2: %3; GRANT CONNECTION ADMIN ON *.* TO %1 "
                                                                                  "(MariaDB 10.5+; SUPER before it; CONNECTION_ADMIN on MySQL 8); nothing was done")
                                                                       .arg(m_role).arg(id).arg(killed.error)
                                                                 : QStringLiteral("KILL CONNECTION %1 failed: %2").arg(id).arg(killed.error)});
                return;
            }
            const QString next = shown.waiters.isEmpty() ? QStringLiteral("nobody was waiting")
                                                         : QStringLiteral("the next waiter (%1) gets it").arg(shown.waiters.first().who);
            m_releases.finish(pending, ForceReleaseResult{ForceReleaseResult::Released, {},
                                                      QStringLiteral("killed connection %1 (IS_USED_LOCK named it a moment before): its transaction is "
                                                                     "rolled back and every named lock it held is freed; %2").arg(id).arg(next)});
        }, int(m_config.queryTimeoutMs));
    }, int(m_config.queryTimeoutMs));
}

void MysqlLockBackend::releaseTableRow(const LockReleaseRequest &request, const std::shared_ptr<PendingRelease> &pending,
                                       const locktables::TableLockKey &key)
{
    const locktables::ExpiryPlan plan = locktables::planExpiry(request, key, m_tables, m_database, isConnected(), url());
    if (!plan.refusal.isEmpty()) {
        m_releases.finishLater(this, pending, ForceReleaseResult{ForceReleaseResult::Failed, {}, plan.refusal});
        return;
    }
    const QByteArray name = m_connection->quote(key.name);
    // The UPDATE and the ROW_COUNT() after it are queued together on the one connection: nothing
    // runs between them.
    const QByteArray update = locktables::expireStatementMysql(*plan.shape, name, m_connection->quote(plan.owner), m_connection->quote(plan.until));
    auto updateError = std::make_shared<MysqlResult>();
    m_connection->query(update, this, [updateError](const MysqlResult &r) { *updateError = r; }, int(m_config.queryTimeoutMs));
    m_connection->query(locktables::expiredAnswerMysql(*plan.shape, name), this, [this, pending, updateError, key, owner = plan.owner](const MysqlResult &r) {
        const auto fail = [&](const QString &message) { m_releases.finish(pending, ForceReleaseResult{ForceReleaseResult::Failed, {}, message}); };
        if (!updateError->ok) {
            const bool denied = updateError->errorCode == 1142 || updateError->errorCode == 1143;
            fail(denied ? QStringLiteral("user %1 may not update %2: %3; GRANT UPDATE ON %2 TO %1; nothing was done").arg(m_role, key.table, updateError->error)
                        : QStringLiteral("expiring the row in %1 failed: %2; nothing was done").arg(key.table, updateError->error));
            return;
        }
        if (!r.ok) {
            fail(QStringLiteral("reading the outcome of the UPDATE on %1 failed: %2").arg(key.table, r.error));
            return;
        }
        const Row row{r, r.rows.value(0)};
        m_releases.finish(pending, locktables::expiryOutcome(row["expired"] == "1", row["now_holder"], key, owner));
    }, int(m_config.queryTimeoutMs));
}

void MysqlLockBackend::probe(const MysqlEndpointConfig &config, const QByteArray &password, QObject *context,
                             std::function<void(bool ok, const QString &message)> done)
{
    auto *connection = new MysqlConnection(config.url, password);
    QPointer<QObject> guard(context);
    auto answered = std::make_shared<bool>(false);
    const auto answer = [connection, guard, done, answered](bool ok, const QString &message) {
        if (*answered)
            return;
        *answered = true;
        connection->deleteLater();
        if (guard)
            done(ok, message);
    };
    QObject::connect(connection, &MysqlConnection::lost, connection, [answer](const QString &why) { answer(false, why); });
    QObject::connect(connection, &MysqlConnection::connected, connection, [connection, config, answer] {
        connection->query(kServerQuery, connection, [connection, config, answer](const MysqlResult &r) {
            if (!r.ok || r.rows.isEmpty()) {
                answer(false, r.ok ? QStringLiteral("%1: no answer to SELECT VERSION()").arg(config.url) : r.error);
                return;
            }
            const Row row{r, r.rows.first()};
            const bool maria = row.text("version").contains(QStringLiteral("MariaDB"), Qt::CaseInsensitive);
            QString message = QStringLiteral("connected to %1 as %2 (%3), %4").arg(config.url, row.text("role"), row.text("version"),
                                                                               connection->tlsCipher().isEmpty() ? QStringLiteral("without TLS")
                                                                                                                 : QStringLiteral("TLS %1").arg(connection->tlsCipher()));
            if (maria && row["mdl_plugin"].toInt() == 0)
                message += QStringLiteral("; named locks need the metadata_lock_info plugin (INSTALL SONAME 'metadata_lock_info') or "
                                          "performance_schema with the wait/lock/metadata/sql/mdl instrument");
            else if (!maria && row["ps"] != "1")
                message += QStringLiteral("; named locks need performance_schema = ON");
            answer(true, message);
        }, int(config.queryTimeoutMs));
    });
    connection->open(int(config.queryTimeoutMs));
}

} // namespace fulcrum
