#include "postgreslockbackend.h"

#include "common/bytestext.h"
#include "common/wallclock.h"
#include "locks/sql/pgadvisory.h"
#include "locks/sql/pgconnection.h"

#include <QHash>
#include <QJsonArray>
#include <QMap>
#include <QPointer>
#include <QSet>
#include <QTimeZone>
#include <QTimer>

#include <algorithm>
#include <map>

namespace fulcrum {

using namespace pgadvisory;

namespace {

constexpr int kReconnectMs = 2000;
constexpr int kOtherLocksListed = 50;
// However quiet the sessions, pg_locks is read again this often.
constexpr qint64 kFullReadAtLeastMs = 60'000;

// Microseconds since the epoch of a timestamptz, exact (QDateTime keeps milliseconds only).
#define PG_US(column) "(extract(epoch from " column ") * 1000000)::int8"

const QByteArray kRoleQuery =
    "SELECT current_user AS role, r.rolsuper, pg_has_role(current_user, 'pg_read_all_stats', 'MEMBER') AS read_all_stats, "
    "pg_has_role(current_user, 'pg_signal_backend', 'MEMBER') AS signal_backend, current_setting('server_version') AS version, current_database() AS database "
    "FROM pg_roles r WHERE r.rolname = current_user";

// The relation a lock is on, by name in the endpoint's own database (regclass resolves names
// there only), else by oid.
#define PG_RELATION(l) \
    "CASE WHEN " l ".relation IS NULL THEN NULL WHEN " l ".database = (SELECT oid FROM pg_database WHERE datname = current_database()) " \
    "THEN " l ".relation::regclass::text ELSE " l ".relation::text END"

// One statement per pass, one result: pg_locks read once (narrow rows, materialised) and
// pg_stat_activity read once, each session described once however many locks it holds. Rows
// by `kind`:
//   a  an advisory lock row: granted, mode, database oid, database name, classid, objid, objsubid, waitstart
//   o  another lock an advisory holder holds (what ending its session also frees): locktype, mode, relation, xid
//   w  what a session in a blocking chain waits for: locktype, mode, relation, xid, waitstart
//   s  a session that holds or waits for an advisory lock or is in a chain: user, application,
//      client address and port, backend_start, xact_start, query_start, state, query, database, blockers
// Measured at 10 000 advisory locks, 1 000 waiters and 1 200 sessions (tests/bench/locks/postgres):
// reading pg_locks is the floor of any pass (its function copies the whole lock table); the
// statement this replaced read it twice, read the sessions twice and formatted a session's columns
// on every lock row, for about 1.5 times this one's server CPU (interleaved runs).
QByteArray passQuery(int serverVersion, int limit, bool chains)
{
    // pg_locks.waitstart is PostgreSQL 14's.
    const QByteArray waitstart = serverVersion >= 140000 ? QByteArray(PG_US("waitstart")) : QByteArray("NULL::int8");
    QByteArray sql =
        "WITH l AS MATERIALIZED (SELECT locktype, granted, mode, pid, database, classid, objid, objsubid, relation, transactionid, "
        + waitstart + " AS waitstart_us FROM pg_locks WHERE pid IS DISTINCT FROM pg_backend_pid() "
        "AND (NOT granted OR locktype IN ('advisory', 'relation', 'tuple', 'transactionid', 'page', 'object'))), "
        "a AS (SELECT * FROM l WHERE locktype = 'advisory' LIMIT " + QByteArray::number(limit + 1) + "), "
        "s AS MATERIALIZED (SELECT pid, datname, usename, application_name, client_addr, client_port, backend_start, xact_start, "
        "query_start, state, query, wait_event_type, wait_event FROM pg_stat_activity), ";
    // A chain: sessions waiting on a row or table lock (not an advisory one: those are the
    // advisory rows' waiters), with whom they wait for. pg_blocking_pids per waiter is the
    // costly part, asked only of sessions that wait.
    sql += chains ? QByteArray("e AS (SELECT pid, pg_blocking_pids(pid) AS blockers FROM s WHERE wait_event_type = 'Lock' "
                               "AND wait_event <> 'advisory' AND pid <> pg_backend_pid()), "
                               "e2 AS (SELECT pid, blockers FROM e WHERE cardinality(blockers) > 0), ")
                  : QByteArray("e2 AS (SELECT NULL::int4 AS pid, NULL::int4[] AS blockers WHERE false), ");
    sql += "described AS (SELECT pid FROM a UNION SELECT pid FROM e2 UNION SELECT unnest(blockers) FROM e2) "
           "SELECT 'a' AS kind, a.pid, a.granted::text AS c1, a.mode AS c2, a.database::text AS c3, d.datname::text AS c4, a.classid::text AS c5, "
           "a.objid::text AS c6, a.objsubid::text AS c7, a.waitstart_us::text AS c8, NULL::text AS c9, NULL::text AS c10, NULL::text AS c11 "
           "FROM a LEFT JOIN pg_database d ON d.oid = a.database "
           "UNION ALL SELECT 'o', l.pid, l.locktype, l.mode, " PG_RELATION("l") ", l.transactionid::text, NULL, NULL, NULL, NULL, NULL, NULL, NULL "
           "FROM l WHERE l.granted AND l.locktype <> 'advisory' AND l.pid IN (SELECT pid FROM a WHERE granted) "
           "UNION ALL (SELECT DISTINCT ON (l.pid) 'w', l.pid, l.locktype, l.mode, " PG_RELATION("l") ", l.transactionid::text, NULL, NULL, NULL, "
           "l.waitstart_us::text, NULL, NULL, NULL FROM l WHERE NOT l.granted AND l.locktype <> 'advisory' AND l.pid IN (SELECT pid FROM e2) ORDER BY l.pid) "
           "UNION ALL SELECT 's', s.pid, s.usename::text, s.application_name, host(s.client_addr), s.client_port::text, "
           PG_US("s.backend_start") "::text, " PG_US("s.xact_start") "::text, " PG_US("s.query_start") "::text, s.state, s.query, "
           "coalesce(s.datname::text, ''), e2.blockers::text FROM s LEFT JOIN e2 ON e2.pid = s.pid WHERE s.pid IN (SELECT pid FROM described);\n";
    return sql;
}

// Whether a pass can find anything the last read of pg_locks did not: a lock is taken or let go
// only by a session running a statement (pg_advisory_lock, COMMIT, an UPDATE, its end; a
// waiter is granted when its holder's statement lets go), so when no session began or ended a
// statement, came, went or changed what it waits for, and none is running one right now
// (waiting for a lock is not running), pg_locks is as it was. One read of pg_stat_activity,
// about a tenth of a pass at 1 200 sessions (tests/bench/locks/postgres). Processes that never
// take a lock a pass shows are left out; any other process without a state counts as running.
const QByteArray kQuietProbe =
    "SELECT md5(coalesce(string_agg(concat_ws(',', pid, backend_start, xact_start, query_start, state_change, state, wait_event_type, "
    "wait_event), ';' ORDER BY pid), '')) AS fingerprint, "
    "coalesce(bool_or(wait_event_type IS DISTINCT FROM 'Lock' AND CASE WHEN state IS NULL THEN backend_type NOT IN ('checkpointer', "
    "'background writer', 'walwriter', 'archiver', 'autovacuum launcher', 'logical replication launcher', 'startup', 'walreceiver', "
    "'walsummarizer', 'io worker') ELSE state NOT LIKE 'idle%' END), false) AS running "
    "FROM pg_stat_activity WHERE pid <> pg_backend_pid()";

QDateTime fromMicros(const QByteArray &us)
{
    if (us.isNull())
        return {};
    return QDateTime::fromMSecsSinceEpoch(us.toLongLong() / 1000, QTimeZone::utc());
}

QString isoMicros(const QByteArray &us)
{
    if (us.isNull())
        return {};
    const qint64 value = us.toLongLong();
    const QDateTime t = QDateTime::fromMSecsSinceEpoch(value / 1000, QTimeZone::utc());
    return t.toString(QStringLiteral("yyyy-MM-ddTHH:mm:ss.zzz")) + QStringLiteral("%1Z").arg(qAbs(value % 1000), 3, 10, QLatin1Char('0'));
}

// One row of a result by column name.
struct Row
{
    const PgResult &result;
    const QList<QByteArray> &values;
    QByteArray operator[](const char *name) const
    {
        const int c = result.column(name);
        return c >= 0 ? values.at(c) : QByteArray();
    }
    QString text(const char *name) const { return QString::fromUtf8((*this)[name]); }
    qint64 integer(const char *name) const { return (*this)[name].toLongLong(); }
    bool flag(const char *name) const { return (*this)[name] == "t"; }
};

// A session as pg_stat_activity shows it; empty fields the role may not see.
struct Session
{
    qint64 pid = 0;
    QString user;
    QString application;
    QString clientAddress;          // "10.0.0.7:51234"; "local" for a Unix socket
    QByteArray backendStartUs;      // null: not visible to this role
    QByteArray xactStartUs;
    QString state;
    QString query;

    // From an `s` row of passQuery.
    static Session from(const QList<QByteArray> &v)
    {
        Session s;
        s.pid = v.value(1).toLongLong();
        s.user = QString::fromUtf8(v.value(2));
        s.application = QString::fromUtf8(v.value(3));
        const QByteArray address = v.value(4);
        const QByteArray port = v.value(5);
        if (!address.isNull())
            s.clientAddress = QString::fromUtf8(address) + (port.isNull() || port == "-1" ? QString() : u':' + QString::fromUtf8(port));
        else if (port == "-1")
            s.clientAddress = QStringLiteral("local");
        s.backendStartUs = v.value(6);
        s.xactStartUs = v.value(7);
        s.state = QString::fromUtf8(v.value(9));
        s.query = QString::fromUtf8(v.value(10));
        return s;
    }
    bool visible() const { return !backendStartUs.isNull(); }
    QByteArray id() const { return holderId(pid, backendStartUs.toLongLong()); }
    bool inTransaction() const { return !xactStartUs.isNull(); }
    QString who() const
    {
        QString text = QStringLiteral("pid %1").arg(pid);
        if (!user.isEmpty())
            text += u' ' + user;
        if (!application.isEmpty())
            text += QStringLiteral(" (%1)").arg(application);
        if (!clientAddress.isEmpty())
            text += QStringLiteral(" from %1").arg(clientAddress);
        return text;
    }
    void describe(QJsonObject &o) const
    {
        o.insert(QStringLiteral("pid"), pid);
        o.insert(QStringLiteral("user"), user);
        o.insert(QStringLiteral("application_name"), application);
        o.insert(QStringLiteral("backend_start"), isoMicros(backendStartUs));
        o.insert(QStringLiteral("xact_start"), isoMicros(xactStartUs));
        o.insert(QStringLiteral("in_transaction"), inTransaction());
        o.insert(QStringLiteral("state"), state);
        o.insert(QStringLiteral("query"), query);
    }
};

QString lockModeName(const QString &mode)
{
    if (mode == u"ExclusiveLock")
        return QStringLiteral("exclusive");
    if (mode == u"ShareLock")
        return QStringLiteral("shared");
    return mode;
}

// pg_locks does not say whether an advisory lock is session- or transaction-scoped. A session
// outside any transaction can only hold session locks; inside one, its query text is the hint.
QString scopeOf(const Session &s)
{
    if (!s.visible())
        return QStringLiteral("unknown");
    if (!s.inTransaction())
        return QStringLiteral("session");
    if (s.query.contains(QStringLiteral("xact_lock"), Qt::CaseInsensitive))
        return QStringLiteral("transaction");
    return QStringLiteral("session or transaction");
}

// What a chain's session waits for, from a `w` row of passQuery.
QString waitingOn(const QList<QByteArray> &v)
{
    const QString type = QString::fromUtf8(v.value(2));
    const QString mode = QString::fromUtf8(v.value(3));
    const QString relation = QString::fromUtf8(v.value(4));
    if (type == u"relation")
        return QStringLiteral("table %1 (%2)").arg(relation, mode);
    if (type == u"tuple")
        return QStringLiteral("a row of %1 (%2)").arg(relation, mode);
    if (type == u"transactionid")
        return QStringLiteral("a row locked by transaction %1 (%2)").arg(QString::fromUtf8(v.value(5)), mode);
    if (type.isEmpty())
        return QStringLiteral("a lock");
    return QStringLiteral("%1 (%2)").arg(type, mode);
}

QString privilegeFix(const QString &role, const QString &privilege)
{
    return QStringLiteral("GRANT %1 TO %2").arg(privilege, role.isEmpty() ? QStringLiteral("<role>") : role);
}

} // namespace

PostgresLockBackend::PostgresLockBackend(const PostgresEndpointConfig &config, const QByteArray &password, QObject *parent)
    : LockBackend(parent)
    , m_config(config)
    , m_password(password)
    , m_observations(LockObservationRules{config.longHeldMs})
{
}

PostgresLockBackend::~PostgresLockBackend()
{
    m_releases.failAll(url());
}

LockBackendCapabilities PostgresLockBackend::postgresCapabilities()
{
    LockBackendCapabilities c;
    c.backend = QStringLiteral("postgres");
    c.displayName = QStringLiteral("PostgreSQL");
    c.waiters = true;
    c.sessions = true;
    c.clientAddress = true;
    c.askHolder = true;
    c.kinds = {QStringLiteral("pg-advisory"), QStringLiteral("pg-blocking-chain"), QStringLiteral("lock-table")};
    c.releaseEffect = QStringLiteral(
        "Ends the holder's session with pg_terminate_backend: the only way to free another session's advisory lock "
        "(pg_cancel_backend does not). Checked first in the same statement: the pid must still belong to the session "
        "shown (same backend start) and still hold the lock (or still block the chain). Its open transaction is rolled "
        "back, EVERY lock it holds is freed (listed below), and the application sees its connection drop. The next "
        "waiter gets the lock at once.\n") + locktables::releaseEffect();
    c.askEffect = QStringLiteral(
        "Blocking chains only: cancels the root blocker's current query with pg_cancel_backend, after the same checks. "
        "Its session stays; a transaction in progress is aborted and its row and table locks freed. Does nothing for "
        "advisory locks, and nothing for a session idle in a transaction (terminate it instead).");
    return c;
}

void PostgresLockBackend::open()
{
    if (m_state != LockBackendState::NotStarted)
        return;
    connectNow();
}

void PostgresLockBackend::connectNow()
{
    m_state = LockBackendState::Connecting;
    m_read.reset();                 // another server, perhaps: read everything first
    m_quietFingerprint.clear();
    delete m_connection;
    m_connection = new PgConnection(m_config.url, m_password, this);
    PgConnection *connection = m_connection;
    connect(connection, &PgConnection::lost, this, [this, connection](const QString &why) {
        if (connection != m_connection)
            return;
        // A refused password does not get better by retrying; the operator fixes it and reloads.
        if (m_state == LockBackendState::Connecting
            && (why.contains(QStringLiteral("password authentication failed")) || why.contains(QStringLiteral("no password supplied")))) {
            m_state = LockBackendState::Disconnected;
            Q_EMIT errorOccurred(why);
            return;
        }
        lose(why);
    });
    connect(connection, &PgConnection::connected, this, [this, connection] {
        connection->query(kRoleQuery, {}, this, [this, connection](const QList<PgResult> &results) {
            if (connection != m_connection || results.isEmpty())
                return;
            const PgResult &r = results.last();
            if (!r.ok || r.rows.isEmpty()) {
                if (r.ok)
                    lose(QStringLiteral("%1: cannot read the role's privileges").arg(url()));
                return;
            }
            const Row row{r, r.rows.first()};
            m_role = row.text("role");
            m_database = row.text("database");
            m_readAllStats = row.flag("rolsuper") || row.flag("read_all_stats");
            m_signalBackend = row.flag("rolsuper") || row.flag("signal_backend");
            m_serverVersion = connection->serverVersion();
            m_catalogueAge.invalidate();   // another server or database, perhaps: read its lock tables afresh
            m_state = LockBackendState::Connected;
            Q_EMIT connected();
            if (m_resumeWanted) {
                m_resumeWanted = false;
                scan();
            }
        }, int(m_config.queryTimeoutMs));
    });
    connection->open(int(m_config.queryTimeoutMs));
}

void PostgresLockBackend::lose(const QString &why)
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

void PostgresLockBackend::scan()
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
        if (!m_scanning || generation != m_generation || broke)
            return;     // broke: lost() says so and the pass resumes after the reconnect
        if (!error.isEmpty()) {
            m_scanning = false;
            Q_EMIT scanFailed(QStringLiteral("%1: %2").arg(url(), error));
            return;
        }
        startPass(generation);
    });
}

void PostgresLockBackend::withCatalogue(std::function<void(bool broke, const QString &error)> then)
{
    // Read again every minute, and at once after a table statement failed (the age invalidated).
    if (!locktables::catalogueDue(m_config.lockTables, m_catalogueAge)) {
        then(false, {});
        return;
    }
    const QByteArray sql = locktables::catalogueQuery(locktables::Dialect::Postgres, m_config.lockTables);
    m_connection->query(sql, {}, this, [this, then](const QList<PgResult> &results) {
        const PgResult &r = results.value(results.size() - 1);
        if (results.isEmpty() || (!r.ok && r.sqlState.isEmpty())) {
            then(true, QStringLiteral("the connection was lost"));
            return;
        }
        if (!r.ok) {
            then(false, QStringLiteral("reading the catalogue for lock_tables failed: %1").arg(r.error));
            return;
        }
        QList<locktables::CatalogueRow> rows;
        for (const QList<QByteArray> &values : r.rows) {
            const Row row{r, values};
            rows.append({row.text("configured"), row.text("column_name"), row.text("data_type"), row.flag("can_select")});
        }
        m_tables = locktables::shapesFrom(locktables::Dialect::Postgres, m_config.lockTables, rows);
        m_catalogueAge.start();
        then(false, {});
    }, int(m_config.queryTimeoutMs));
}

void PostgresLockBackend::startPass(quint64 generation)
{
    // Without pg_read_all_stats other roles' sessions show no state: nothing tells that they
    // are quiet, and every pass reads everything. The first pass reads everything too (a
    // one-shot `fulcrumctl locks list` makes no other); the probe starts with the second.
    if (!m_readAllStats || !m_read) {
        readEverything(generation, {});
        return;
    }
    m_connection->query(kQuietProbe, {}, this, [this, generation](const QList<PgResult> &results) {
        if (!m_scanning || generation != m_generation)
            return;
        if (results.isEmpty() || (!results.last().ok && results.last().sqlState.isEmpty()))
            return;     // the connection broke: lost() says so and the pass resumes after the reconnect
        const PgResult &r = results.last();
        const bool answered = r.ok && !r.rows.isEmpty();
        const QByteArray fingerprint = answered ? r.rows.first().value(0) : QByteArray();
        const bool running = !answered || r.rows.first().value(1) != "f";
        const bool quiet = m_read && !running && !fingerprint.isEmpty() && fingerprint == m_quietFingerprint && m_lastFullRead.isValid()
                           && m_lastFullRead.elapsed() < kFullReadAtLeastMs;
        if (quiet)
            readTablesOnly(generation);
        else
            readEverything(generation, running ? QByteArray() : fingerprint);
    }, int(m_config.queryTimeoutMs));
}

QByteArray PostgresLockBackend::tableStatements() const
{
    QByteArray sql;
    for (const locktables::TableShape &table : std::as_const(m_tables)) {
        if (table.readable())
            sql += locktables::selectQuery(locktables::Dialect::Postgres, table, m_config.maxLocks) + ";\n";
    }
    return sql;
}

bool PostgresLockBackend::tableReadFailed(const QList<PgResult> &results, qsizetype tablesFrom)
{
    const PgResult &r = results.last();
    if (r.ok)
        return false;
    m_scanning = false;
    if (results.size() > tablesFrom) {
        // A lock table changed under us (dropped, altered, privilege revoked): the next pass reads
        // the catalogue first and leaves it out with a note.
        m_catalogueAge.invalidate();
        Q_EMIT scanFailed(QStringLiteral("%1: reading a lock table failed: %2 (the next pass reads the catalogue again)").arg(url(), r.error));
        return true;
    }
    Q_EMIT scanFailed(r.sqlState == "42501" ? QStringLiteral("%1: role %2 may not read the lock views: %3; %4")
                                                  .arg(url(), m_role, r.error, privilegeFix(m_role, QStringLiteral("pg_read_all_stats")))
                                            : QStringLiteral("%1: reading pg_locks failed: %2").arg(url(), r.error));
    return true;
}

void PostgresLockBackend::readEverything(quint64 generation, const QByteArray &fingerprint)
{
    const QByteArray sql = passQuery(m_serverVersion, m_config.maxLocks, m_config.blockingChains) + tableStatements();
    m_connection->query(sql, {}, this, [this, generation, fingerprint](const QList<PgResult> &results) {
        if (!m_scanning || generation != m_generation)
            return;
        if (results.isEmpty() || (!results.last().ok && results.last().sqlState.isEmpty()))
            return;     // the connection broke: lost() says so and the pass resumes after the reconnect
        if (tableReadFailed(results, 1))
            return;
        // The probe was read before pg_locks: whatever a session did after it shows at the next probe.
        m_quietFingerprint = fingerprint;
        m_lastFullRead.start();
        ++m_fullReads;
        finishPass(results);
    }, int(m_config.queryTimeoutMs));
}

void PostgresLockBackend::readTablesOnly(quint64 generation)
{
    ++m_passesConfirmed;
    const QByteArray sql = tableStatements();
    if (sql.isEmpty()) {
        publishPass(*m_read, {});
        return;
    }
    m_connection->query(sql, {}, this, [this, generation](const QList<PgResult> &results) {
        if (!m_scanning || generation != m_generation)
            return;
        if (results.isEmpty() || (!results.last().ok && results.last().sqlState.isEmpty()))
            return;
        if (tableReadFailed(results, 0))
            return;
        publishPass(*m_read, results);
    }, int(m_config.queryTimeoutMs));
}

void PostgresLockBackend::cancelScan()
{
    m_scanning = false;
    ++m_generation;
    m_resumeWanted = false;
}

void PostgresLockBackend::finishPass(const QList<PgResult> &results)
{
    ReadRows read;
    const PgResult &pass = results.at(0);
    bool invisible = false;

    // The pass's one result (passQuery), by kind.
    QHash<qint64, Session> sessions;
    QHash<qint64, QStringList> otherLocks;                     // an advisory holder's other locks
    QHash<qint64, std::pair<QString, QByteArray>> chainWaits;  // what a chain's session waits for, since when
    QList<const QList<QByteArray> *> advisoryRows;
    QList<const QList<QByteArray> *> sessionRows;
    for (const QList<QByteArray> &v : pass.rows) {
        const char kind = v.value(0).isEmpty() ? '?' : v.at(0).at(0);
        const qint64 pid = v.value(1).toLongLong();
        if (kind == 'a') {
            advisoryRows.append(&v);
        } else if (kind == 's') {
            sessions.insert(pid, Session::from(v));
            sessionRows.append(&v);
        } else if (kind == 'o') {
            const QString type = QString::fromUtf8(v.value(2));
            const QString mode = QString::fromUtf8(v.value(3));
            QString text;
            if (type == u"relation")
                text = QStringLiteral("table %1 (%2)").arg(QString::fromUtf8(v.value(4)), mode);
            else if (type == u"transactionid")
                text = QStringLiteral("its transaction %1 (rows it changed)").arg(QString::fromUtf8(v.value(5)));
            else
                text = QStringLiteral("%1 %2 (%3)").arg(type, QString::fromUtf8(v.value(4)), mode);
            otherLocks[pid].append(text);
        } else if (kind == 'w') {
            chainWaits.insert(pid, {waitingOn(v), v.value(9)});
        }
    }
    const auto sessionOf = [&sessions](qint64 pid) {
        const auto it = sessions.constFind(pid);
        if (it != sessions.constEnd())
            return *it;
        Session unseen;     // ended between the two reads, or a prepared transaction's
        unseen.pid = pid;
        return unseen;
    };

    struct Group
    {
        LockTag tag;
        QString database;
        QList<std::pair<Session, QString>> holders;   // session, mode
        QList<std::pair<Session, QByteArray>> waiters; // session, waitstart_us
    };
    std::map<std::tuple<qint64, quint32, quint32, int>, Group> groups;
    const int rows = int(advisoryRows.size());
    read.truncated = rows > m_config.maxLocks;
    for (int i = 0; i < std::min(rows, m_config.maxLocks); ++i) {
        const QList<QByteArray> &v = *advisoryRows.at(i);
        // a: kind, pid, granted, mode, database oid, database name, classid, objid, objsubid, waitstart
        const LockTag tag{quint32(v.value(6).toLongLong()), quint32(v.value(7).toLongLong()), int(v.value(8).toLongLong())};
        Group &g = groups[{v.value(4).toLongLong(), tag.classid, tag.objid, tag.objsubid}];
        g.tag = tag;
        g.database = QString::fromUtf8(v.value(5));
        const Session s = sessionOf(v.value(1).toLongLong());
        invisible = invisible || !s.visible();
        if (v.value(2) == "true")
            g.holders.append({s, QString::fromUtf8(v.value(3))});
        else
            g.waiters.append({s, v.value(9)});
    }
    // In queue order: holders by pid, waiters by when they began to wait (then pid).
    for (auto &[id, g] : groups) {
        std::sort(g.holders.begin(), g.holders.end(), [](const auto &x, const auto &y) { return x.first.pid < y.first.pid; });
        std::stable_sort(g.waiters.begin(), g.waiters.end(), [](const auto &x, const auto &y) {
            if (x.second.isNull() != y.second.isNull())
                return x.second.isNull();
            const qint64 a = x.second.toLongLong(), b = y.second.toLongLong();
            return a != b ? a < b : x.first.pid < y.first.pid;
        });
    }
    // Every session's advisory locks, to list beside its other locks.
    QHash<qint64, QStringList> advisoryHeld;
    for (const auto &[id, g] : groups) {
        for (const auto &[s, mode] : g.holders)
            advisoryHeld[s.pid].append(QStringLiteral("advisory %1").arg(keyText(g.tag).value_or(QString())));
    }

    // A holder's other locks, for each of its rows: everything its session holds but that row's
    // lock, the first kOtherLocksListed of them listed. Built once per session (a session may hold
    // thousands of advisory locks) and copied per row with one entry taken out.
    struct Holdings
    {
        QStringList all;        // its advisory locks, then its other locks
        QJsonArray head;        // all's first kOtherLocksListed + 1
    };
    QHash<qint64, Holdings> holdings;
    const auto otherLocksOf = [&](qint64 pid, const QString &self) -> std::pair<int, QJsonArray> {
        auto it = holdings.find(pid);
        if (it == holdings.end()) {
            Holdings h;
            h.all = advisoryHeld.value(pid) + otherLocks.value(pid);
            h.head = QJsonArray::fromStringList(h.all.mid(0, kOtherLocksListed + 1));
            it = holdings.insert(pid, h);
        }
        const qsizetype at = it->all.indexOf(self);
        const qsizetype others = it->all.size() - (at >= 0 ? 1 : 0);
        QJsonArray listed = it->head;
        if (at >= 0 && at <= kOtherLocksListed)
            listed.removeAt(at);
        if (listed.size() > kOtherLocksListed)
            listed.removeLast();
        if (others > kOtherLocksListed)
            listed.append(QStringLiteral("… and %1 more").arg(others - kOtherLocksListed));
        return {int(others), listed};
    };

    QHash<qint64, QJsonObject> described;
    const auto sessionDetails = [&described](const Session &session) {
        auto it = described.find(session.pid);
        if (it == described.end()) {
            QJsonObject o;
            session.describe(o);
            o.insert(QStringLiteral("scope"), scopeOf(session));
            it = described.insert(session.pid, o);
        }
        return *it;
    };

    for (auto &[id, g] : groups) {
        const std::optional<QString> key = keyText(g.tag);
        if (!key)
            continue;
        LockInfo info;
        info.backend = QStringLiteral("postgres");
        info.kind = QStringLiteral("pg-advisory");
        info.key = lockName(g.database, *key).toUtf8();
        // The holder's session fields, described once per session and shared by its rows.
        QJsonObject d = g.holders.isEmpty() ? QJsonObject() : sessionDetails(g.holders.first().first);
        d.insert(QStringLiteral("database"), g.database);
        d.insert(QStringLiteral("advisory_key"), *key);
        d.insert(QStringLiteral("key_form"), g.tag.objsubid == 1 ? QStringLiteral("bigint") : QStringLiteral("int4 pair"));
        if (g.holders.isEmpty()) {
            // Only waiters: the holder released between the rows; the next pass shows who got it.
            info.holderText = QStringLiteral("(being handed over)");
        } else {
            const Session &h = g.holders.first().first;
            info.holder = h.visible() ? h.id() : QByteArray::number(h.pid) + "@?";
            info.holderText = h.who();
            info.session = QStringLiteral("pid %1").arg(h.pid);
            info.clientAddress = h.clientAddress;
            d.insert(QStringLiteral("mode"), lockModeName(g.holders.first().second));
            const auto [count, listed] = otherLocksOf(h.pid, QStringLiteral("advisory %1").arg(*key));
            d.insert(QStringLiteral("other_lock_count"), count);
            d.insert(QStringLiteral("other_locks"), listed);
            if (g.holders.size() > 1) {
                for (const auto &[s, mode] : g.holders)
                    info.holders.append(s.visible() ? s.id() : QByteArray::number(s.pid) + "@?");
            }
        }
        for (const auto &[s, waitstart] : g.waiters) {
            LockWaiter w;
            w.id = s.visible() ? s.id() : QByteArray::number(s.pid) + "@?";
            w.who = s.who();
            w.session = QStringLiteral("pid %1").arg(s.pid);
            w.queuedAt = fromMicros(waitstart);
            info.waiters.append(w);
        }
        info.details = d;
        read.locks.append(std::move(info));
    }

    if (m_config.blockingChains) {
        // Blocking chains: a tree per root blocker (a blocker that waits on nobody).
        struct Node
        {
            Session session;
            QString database;
            QList<qint64> blockers;
            QString waitingOn;
            QByteArray waitstartUs;
        };
        QMap<qint64, Node> nodes;
        QMap<qint64, QList<qint64>> blocked;   // blocker → the sessions it blocks
        const auto nodeFor = [&](qint64 pid) -> Node & {
            auto it = nodes.find(pid);
            if (it == nodes.end()) {
                Node n;
                n.session = sessionOf(pid);
                invisible = invisible || !n.session.visible();
                it = nodes.insert(pid, n);
            }
            return *it;
        };
        for (const QList<QByteArray> *row : std::as_const(sessionRows)) {
            // s: ..., database (11), blockers (12) "{123,456}" when it waits in a chain
            const QByteArray list = row->value(12);
            if (list.isNull())
                continue;
            const qint64 pid = row->value(1).toLongLong();
            QList<qint64> blockers;
            for (const QByteArray &blocker : list.mid(1, list.size() - 2).split(','))
                if (!blocker.isEmpty())
                    blockers.append(blocker.toLongLong());
            for (qint64 b : std::as_const(blockers)) {
                blocked[b].append(pid);
                (void)nodeFor(b);
            }
            Node &n = nodeFor(pid);
            n.blockers = blockers;
            n.waitingOn = chainWaits.value(pid).first;
            n.waitstartUs = chainWaits.value(pid).second;
            if (n.waitingOn.isEmpty())
                n.waitingOn = QStringLiteral("a lock");
        }
        for (const QList<QByteArray> *row : std::as_const(sessionRows)) {
            const auto it = nodes.find(row->value(1).toLongLong());
            if (it != nodes.end())
                it->database = QString::fromUtf8(row->value(11));
        }
        const auto nodeJson = [&](auto &&self, qint64 pid, QSet<qint64> &seen, int depth, LockInfo &row) -> QJsonObject {
            const Node &n = nodes[pid];
            QJsonObject o;
            n.session.describe(o);
            if (!n.waitingOn.isEmpty()) {
                o.insert(QStringLiteral("waiting_on"), n.waitingOn);
                o.insert(QStringLiteral("waiting_since"), isoMicros(n.waitstartUs));
            }
            QJsonArray children;
            for (qint64 child : blocked.value(pid)) {
                if (seen.contains(child))
                    continue;
                seen.insert(child);
                const Node &c = nodes[child];
                LockWaiter w;
                w.id = c.session.visible() ? c.session.id() : QByteArray::number(child) + "@?";
                w.who = c.session.who();
                w.session = QStringLiteral("pid %1").arg(child);
                w.queuedAt = fromMicros(c.waitstartUs);
                w.note = QStringLiteral("%1waits for pid %2 on %3%4")
                             .arg(QString(depth * 2, u' '))
                             .arg(pid)
                             .arg(c.waitingOn, c.session.query.isEmpty() ? QString() : QStringLiteral(": ") + c.session.query.simplified().left(120));
                row.waiters.append(w);
                children.append(self(self, child, seen, depth + 1, row));
            }
            if (!children.isEmpty())
                o.insert(QStringLiteral("blocks"), children);
            return o;
        };
        for (auto it = nodes.begin(); it != nodes.end(); ++it) {
            const Node &root = it.value();
            if (!root.blockers.isEmpty() || !blocked.contains(root.session.pid))
                continue;
            LockInfo info;
            info.backend = QStringLiteral("postgres");
            info.kind = QStringLiteral("pg-blocking-chain");
            info.key = lockName(root.database, QStringLiteral("chain:%1").arg(root.session.pid)).toUtf8();
            info.holder = root.session.visible() ? root.session.id() : QByteArray::number(root.session.pid) + "@?";
            info.holderText = root.session.who();
            info.session = QStringLiteral("pid %1").arg(root.session.pid);
            info.clientAddress = root.session.clientAddress;
            QSet<qint64> seen{root.session.pid};
            const QJsonObject tree = nodeJson(nodeJson, root.session.pid, seen, 0, info);
            QJsonObject d;
            root.session.describe(d);
            d.insert(QStringLiteral("database"), root.database);
            d.insert(QStringLiteral("blocked_sessions"), int(info.waiters.size()));
            d.insert(QStringLiteral("chain"), tree);
            d.insert(QStringLiteral("can_cancel"), true);
            info.details = d;
            read.locks.append(std::move(info));
        }
    }
    // What this read found stands until a probe says a session did something (startPass).
    read.invisible = invisible;
    read.rowsRead = advisoryRows.size() + sessionRows.size();
    m_read = std::move(read);
    publishPass(*m_read, results.mid(1));
}

void PostgresLockBackend::publishPass(const ReadRows &read, const QList<PgResult> &tableResults)
{
    m_scanning = false;
    LockScanResult result;
    result.locks = read.locks;
    result.truncated = read.truncated;
    m_observations.beginPass(m_passStartedAt);
    for (LockInfo &info : result.locks)
        m_observations.observe(info);
    // Lock tables: their held rows, in the order the statements were sent; read on every pass
    // (a row stops being held when its time is up, with no statement run by anyone).
    qsizetype next = 0;
    qsizetype tableRows = 0;
    const QString database = m_database;
    for (const locktables::TableShape &table : std::as_const(m_tables)) {
        if (!table.readable())
            continue;
        const PgResult &rows = tableResults.value(next++);
        tableRows += rows.rows.size();
        if (rows.rows.size() > m_config.maxLocks)
            result.truncated = true;
        for (qsizetype i = 0; i < std::min<qsizetype>(rows.rows.size(), m_config.maxLocks); ++i) {
            const Row row{rows, rows.rows.at(i)};
            const QByteArray held = row["held_ms"];
            LockInfo info = locktables::lockFromRow(QStringLiteral("postgres"), database, table, row["name"], row["owner"], row["until_text"],
                                                    row.integer("ttl_ms"), held.isNull() ? std::nullopt : std::optional<qint64>(held.toLongLong()),
                                                    m_passStartedAt);
            m_observations.observe(info);
            result.locks.append(std::move(info));
        }
    }
    for (const QString &problem : locktables::problems(m_tables))
        result.notes.append(LockScanNote{{}, problem});
    if (!result.truncated)
        m_observations.endPass();
    std::sort(result.locks.begin(), result.locks.end(), [](const LockInfo &a, const LockInfo &b) { return a.key < b.key; });

    if (read.invisible && !m_readAllStats)
        result.notes.append(LockScanNote{{}, QStringLiteral("role %1 cannot see other roles' sessions (user, client, start, query are hidden, "
                                                            "and releasing needs the session's start): %2")
                                                 .arg(m_role, privilegeFix(m_role, QStringLiteral("pg_read_all_stats")))});
    if (result.truncated)
        result.notes.append(LockScanNote{{}, QStringLiteral("stopped at max_locks (%1 advisory lock rows): not every lock was read; raise "
                                                            "\"max_locks\"").arg(m_config.maxLocks)});
    result.keysScanned = read.rowsRead + tableRows;
    result.elapsedMs = m_passClock.elapsed();
    result.restarts = m_restarts;
    result.finishedAt = wallclock::nowUtc();
    m_lastResult = result;
    Q_EMIT progress(result.keysScanned, int(result.locks.size()));
    Q_EMIT scanFinished(result);
}

void PostgresLockBackend::release(const LockReleaseRequest &request, std::function<void(const ForceReleaseResult &)> done)
{
    m_quietFingerprint.clear();     // the next pass reads everything, whatever the probe says
    auto pending = m_releases.add(request, std::move(done));
    const auto fail = [this, pending](ForceReleaseResult::Outcome outcome, const QString &message) {
        m_releases.finishLater(this, pending, ForceReleaseResult{outcome, {}, message});
    };
    if (const std::optional<locktables::TableLockKey> tableKey = locktables::parseLockKey(request.key)) {
        releaseTableRow(request, pending, *tableKey);
        return;
    }
    const std::optional<LockName> name = parseLockName(request.key);
    const std::optional<HolderId> holder = parseHolderId(request.holder);
    if (!name) {
        fail(ForceReleaseResult::Failed, QStringLiteral("\"%1\" is not a lock this endpoint lists (DATABASE/KEY or DATABASE/chain:PID)")
                                             .arg(escapeBytes(request.key)));
        return;
    }
    if (!holder) {
        fail(ForceReleaseResult::Failed,
             request.holder.endsWith("@?")
                 ? QStringLiteral("the holder's session start is hidden from role %1, so Fulcrum cannot check that the pid is still the "
                                  "session shown; nothing was done: %2").arg(m_role, privilegeFix(m_role, QStringLiteral("pg_read_all_stats")))
                 : QStringLiteral("holder \"%1\" is not PID@BACKEND_START as 'locks list' prints it").arg(escapeBytes(request.holder)));
        return;
    }
    if (request.mode == LockReleaseRequest::RevokeSession || (request.mode == LockReleaseRequest::AskHolder && !name->chain)) {
        fail(ForceReleaseResult::Failed,
             request.mode == LockReleaseRequest::AskHolder
                 ? QStringLiteral("cancelling a query (pg_cancel_backend) does not free an advisory lock; only ending the session does "
                                  "(release without --ask); nothing was done")
                 : QStringLiteral("PostgreSQL has no session to revoke apart from ending it: release without --revoke terminates it; "
                                  "nothing was done"));
        return;
    }
    if (!isConnected()) {
        fail(ForceReleaseResult::Failed, QStringLiteral("%1 is not connected; nothing was done").arg(url()));
        return;
    }
    const bool cancel = request.mode == LockReleaseRequest::AskHolder;
    const QByteArray signal = cancel ? "pg_cancel_backend" : "pg_terminate_backend";
    // One statement: the session by pid, whether it is still the one shown and still holds
    // (blocks), the signal only when both hold, and who holds now if not.
    QByteArray still;
    QList<QByteArray> params{QByteArray::number(holder->pid), QByteArray::number(holder->backendStartUs)};
    QByteArray nowHolder;
    if (name->chain) {
        still = "EXISTS (SELECT 1 FROM pg_stat_activity b WHERE b.wait_event_type = 'Lock' AND a.pid = ANY(pg_blocking_pids(b.pid)))";
        nowHolder = "NULL::text";
    } else {
        const LockTag tag = *tagFromKeyText(name->key);
        params << name->database.toUtf8() << QByteArray::number(tag.classid) << QByteArray::number(tag.objid) << QByteArray::number(tag.objsubid);
        const QByteArray match = "l.locktype = 'advisory' AND l.granted AND l.database = (SELECT oid FROM pg_database WHERE datname = $3) "
                                 "AND l.classid = $4::int8::oid AND l.objid = $5::int8::oid AND l.objsubid = $6::int2";
        still = "EXISTS (SELECT 1 FROM pg_locks l WHERE l.pid = a.pid AND " + match + ")";
        nowHolder = "(SELECT l.pid::text || '@' || coalesce(" PG_US("h.backend_start") "::text, '?') FROM pg_locks l "
                    "LEFT JOIN pg_stat_activity h ON h.pid = l.pid WHERE " + match + " ORDER BY l.pid LIMIT 1)";
    }
    const QByteArray sql =
        "SELECT s.pid, s.backend_start_us, s.usename, s.still, s.in_xact, "
        "CASE WHEN s.backend_start_us = $2::int8 AND s.still THEN " + signal + "(s.pid) END AS signalled, " + nowHolder + " AS now_holder "
        "FROM (SELECT 1) one LEFT JOIN (SELECT a.pid, " PG_US("a.backend_start") " AS backend_start_us, a.usename, "
        "a.xact_start IS NOT NULL AS in_xact, " + still + " AS still FROM pg_stat_activity a WHERE a.pid = $1::int) s ON true";
    LockInfo shown;
    for (const LockInfo &lock : m_lastResult.locks) {
        if (lock.key == request.key)
            shown = lock;
    }
    m_connection->query(sql, params, this, [this, pending, holder, cancel, shown](const QList<PgResult> &results) {
        const PgResult &r = results.value(results.size() - 1);
        const QString holderText = QStringLiteral("pid %1").arg(holder->pid);
        if (!r.ok) {
            if (r.sqlState == "42501")
                m_releases.finish(pending, ForceReleaseResult{ForceReleaseResult::Failed, {},
                                                          QStringLiteral("role %1 may not signal %2: %3; %4 (signalling a superuser's session "
                                                                         "needs a superuser); nothing was done")
                                                              .arg(m_role, holderText, r.error, privilegeFix(m_role, QStringLiteral("pg_signal_backend")))});
            else
                m_releases.finish(pending, ForceReleaseResult{ForceReleaseResult::Failed, {},
                                                          QStringLiteral("checking %1 failed: %2; nothing was done").arg(holderText, r.error)});
            return;
        }
        const Row row{r, r.rows.value(0)};
        const QByteArray now = row["now_holder"];
        const auto changed = [&](const QString &why) {
            if (!now.isNull() && now != pending->request.holder)
                m_releases.finish(pending, ForceReleaseResult{ForceReleaseResult::HolderChanged, now,
                                                          QStringLiteral("%1; %2 is now held by %3; nothing was done")
                                                              .arg(why, escapeBytes(pending->request.key), QString::fromUtf8(now))});
            else
                m_releases.finish(pending, ForceReleaseResult{ForceReleaseResult::Gone, {}, QStringLiteral("%1; nothing was done").arg(why)});
        };
        if (row["pid"].isNull()) {
            changed(QStringLiteral("%1 has ended").arg(holderText));
            return;
        }
        if (row["backend_start_us"].isNull()) {
            m_releases.finish(pending, ForceReleaseResult{ForceReleaseResult::Failed, {},
                                                      QStringLiteral("role %1 cannot see when %2's session started, so cannot check it is the session "
                                                                     "shown; nothing was done: %3")
                                                          .arg(m_role, holderText, privilegeFix(m_role, QStringLiteral("pg_read_all_stats")))});
            return;
        }
        if (row.integer("backend_start_us") != holder->backendStartUs) {
            changed(QStringLiteral("%1 now belongs to another session (started %2, not %3): the pid was reused")
                        .arg(holderText, isoMicros(row["backend_start_us"]), isoMicros(QByteArray::number(holder->backendStartUs))));
            return;
        }
        if (!row.flag("still")) {
            changed(QStringLiteral("%1 no longer %2").arg(holderText, shown.kind == u"pg-blocking-chain" ? QStringLiteral("blocks anyone")
                                                                                                     : QStringLiteral("holds the lock")));
            return;
        }
        if (!row.flag("signalled")) {
            m_releases.finish(pending, ForceReleaseResult{ForceReleaseResult::Failed, {},
                                                      QStringLiteral("PostgreSQL did not signal %1 (it may have ended just now)").arg(holderText)});
            return;
        }
        const QString next = shown.waiters.isEmpty() ? QStringLiteral("nobody was waiting")
                                                     : QStringLiteral("the next waiter (%1) gets it").arg(shown.waiters.first().who);
        const int others = int(shown.detailInteger(QStringLiteral("other_lock_count"), 0));
        if (cancel) {
            m_releases.finish(pending, ForceReleaseResult{ForceReleaseResult::Released, {},
                                                      QStringLiteral("cancelled the current query of %1 (pg_cancel_backend); its session stays, a "
                                                                     "transaction in progress is aborted and its locks freed")
                                                          .arg(holderText)});
            return;
        }
        m_releases.finish(pending, ForceReleaseResult{ForceReleaseResult::Released, {},
                                                  QStringLiteral("terminated %1 (pg_terminate_backend)%2; every lock it held is freed%3; %4")
                                                      .arg(shown.holderText.isEmpty() ? holderText : shown.holderText,
                                                           row.flag("in_xact") ? QStringLiteral(", its open transaction rolled back") : QString(),
                                                           others > 0 ? QStringLiteral(" (%1 besides this one)").arg(others) : QString(), next)});
    }, int(m_config.queryTimeoutMs));
}

void PostgresLockBackend::releaseTableRow(const LockReleaseRequest &request, const std::shared_ptr<PendingRelease> &pending,
                                          const locktables::TableLockKey &key)
{
    if (isConnected() && !m_catalogueAge.isValid()) {
        // A release without a pass before it (fulcrumctl): which tables and columns, first.
        withCatalogue([this, request, pending, key](bool broke, const QString &error) {
            if (broke || !error.isEmpty()) {
                m_releases.finish(pending, ForceReleaseResult{ForceReleaseResult::Failed, {}, QStringLiteral("%1; nothing was done").arg(error)});
                return;
            }
            if (!m_catalogueAge.isValid())
                m_catalogueAge.start();   // no lock tables configured: say so below, do not ask again
            releaseTableRow(request, pending, key);
        });
        return;
    }
    const locktables::ExpiryPlan plan = locktables::planExpiry(request, key, m_tables, m_database, isConnected(), url());
    if (!plan.refusal.isEmpty()) {
        m_releases.finishLater(this, pending, ForceReleaseResult{ForceReleaseResult::Failed, {}, plan.refusal});
        return;
    }
    m_connection->query(locktables::expireStatementPostgres(*plan.shape), {key.name, plan.owner, plan.until}, this,
                        [this, pending, key, owner = plan.owner](const QList<PgResult> &results) {
        const PgResult &r = results.value(results.size() - 1);
        if (!r.ok) {
            m_releases.finish(pending, ForceReleaseResult{ForceReleaseResult::Failed, {},
                                                          r.sqlState == "42501"
                                                              ? QStringLiteral("role %1 may not update %2: %3; GRANT UPDATE ON %2 TO %1; nothing was done")
                                                                    .arg(m_role, key.table, r.error)
                                                              : QStringLiteral("expiring the row in %1 failed: %2; nothing was done").arg(key.table, r.error)});
            return;
        }
        const Row row{r, r.rows.value(0)};
        m_releases.finish(pending, locktables::expiryOutcome(row.integer("expired") == 1, row["now_holder"], key, owner));
    }, int(m_config.queryTimeoutMs));
}

void PostgresLockBackend::probe(const PostgresEndpointConfig &config, const QByteArray &password, QObject *context,
                                std::function<void(bool ok, const QString &message)> done)
{
    auto *connection = new PgConnection(config.url, password);
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
    QObject::connect(connection, &PgConnection::lost, connection, [answer](const QString &why) { answer(false, why); });
    QObject::connect(connection, &PgConnection::connected, connection, [connection, config, answer] {
        connection->query(kRoleQuery, {}, connection, [connection, config, answer](const QList<PgResult> &results) {
            const PgResult &r = results.value(results.size() - 1);
            if (!r.ok || r.rows.isEmpty()) {
                answer(false, QStringLiteral("%1: %2").arg(config.url, r.ok ? QStringLiteral("cannot read the role's privileges") : r.error));
                return;
            }
            const Row row{r, r.rows.first()};
            const QString role = row.text("role");
            QStringList missing;
            if (!row.flag("rolsuper") && !row.flag("read_all_stats"))
                missing << QStringLiteral("pg_read_all_stats (to see other roles' sessions)");
            if (!row.flag("rolsuper") && !row.flag("signal_backend"))
                missing << QStringLiteral("pg_signal_backend (to end other roles' sessions)");
            QString message = QStringLiteral("connected to %1 as %2 (PostgreSQL %3)").arg(config.url, role, row.text("version"));
            if (!missing.isEmpty())
                message += QStringLiteral("; the role lacks %1").arg(missing.join(QStringLiteral(" and ")));
            answer(true, message);
        }, int(config.queryTimeoutMs));
    });
    connection->open(int(config.queryTimeoutMs));
}

} // namespace fulcrum
