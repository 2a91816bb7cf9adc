#include "locktables.h"

#include "common/bytestext.h"

#include <QHash>
#include <QJsonObject>
#include <QStringList>

namespace fulcrum::locktables {

namespace {

// Names are checked plain by the config (LockTableConfig::checkName): quoting them is enough.
QByteArray quoted(Dialect dialect, const QString &name)
{
    const char q = dialect == Dialect::Postgres ? '"' : '`';
    QByteArrayList parts;
    for (const QString &part : name.split(u'.'))
        parts.append(q + part.toUtf8() + q);
    return parts.join('.');
}

QByteArray literal(const QString &text)
{
    QByteArray out = text.toUtf8();
    out.replace('\'', "''");
    return '\'' + out + '\'';
}

bool withTimeZone(const QString &type)
{
    return type == u"timestamp with time zone";
}

// The column as a point in time the database's now compares with: timestamps without a time
// zone are UTC (as ShedLock writes them); MySQL's session runs in UTC (the backend sets it).
QByteArray instant(Dialect dialect, const QByteArray &column, const QString &type)
{
    if (dialect == Dialect::Mysql || withTimeZone(type))
        return column;
    return "(" + column + " AT TIME ZONE 'UTC')";
}

QByteArray now(Dialect dialect)
{
    return dialect == Dialect::Postgres ? "now()" : "UTC_TIMESTAMP(6)";
}

// The database's now as the until column stores it.
QByteArray nowAsStored(Dialect dialect, const QString &type)
{
    if (dialect == Dialect::Mysql || withTimeZone(type))
        return now(dialect);
    return "(now() AT TIME ZONE 'UTC')";
}

QByteArray asText(Dialect dialect, const QByteArray &column)
{
    return dialect == Dialect::Postgres ? column + "::text" : "CAST(" + column + " AS CHAR)";
}

bool usableTime(Dialect dialect, const QString &type)
{
    if (dialect == Dialect::Postgres)
        return type == u"timestamp without time zone" || type == u"timestamp with time zone";
    return type == u"timestamp" || type == u"datetime";
}

} // namespace

QByteArray catalogueQuery(Dialect dialect, const QList<LockTableConfig> &tables)
{
    if (tables.isEmpty())
        return {};
    if (dialect == Dialect::Postgres) {
        QByteArrayList values;
        for (const LockTableConfig &t : tables)
            values.append("(" + literal(t.table) + ", " + literal(QString::fromUtf8(quoted(dialect, t.table))) + ")");
        return "SELECT t.configured, a.attname::text AS column_name, format_type(a.atttypid, NULL) AS data_type, "
               "has_table_privilege(a.attrelid, 'SELECT') AS can_select "
               "FROM (VALUES " + values.join(", ") + ") t(configured, quoted) "
               "JOIN pg_attribute a ON a.attrelid = to_regclass(t.quoted) AND a.attnum > 0 AND NOT a.attisdropped";
    }
    QByteArrayList selects;
    for (const LockTableConfig &t : tables) {
        const qsizetype dot = t.table.indexOf(u'.');
        const QByteArray schema = dot < 0 ? QByteArray("DATABASE()") : literal(t.table.left(dot));
        const QByteArray name = literal(dot < 0 ? t.table : t.table.mid(dot + 1));
        selects.append("SELECT " + literal(t.table) + " AS configured, COLUMN_NAME AS column_name, LOWER(DATA_TYPE) AS data_type, "
                       "1 AS can_select FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = " + schema + " AND TABLE_NAME = " + name);
    }
    return selects.join(" UNION ALL ");
}

QList<TableShape> shapesFrom(Dialect dialect, const QList<LockTableConfig> &tables, const QList<CatalogueRow> &rows)
{
    QList<TableShape> shapes;
    for (const LockTableConfig &t : tables) {
        TableShape shape;
        shape.config = t;
        QHash<QString, QString> columns;
        bool canSelect = true;
        for (const CatalogueRow &row : rows) {
            if (row.configured == t.table) {
                columns.insert(row.column, row.type.toLower());
                canSelect = canSelect && row.canSelect;
            }
        }
        shape.exists = !columns.isEmpty();
        if (!shape.exists) {
            if (t.required)
                shape.problem = QStringLiteral("lock table %1 does not exist (or this user may not see it): create it, grant SELECT on it, "
                                               "or take it out of \"lock_tables\"").arg(t.table);
            shapes.append(shape);
            continue;
        }
        QStringList missing;
        for (const QString &column : {t.nameColumn, t.ownerColumn, t.untilColumn, t.sinceColumn}) {
            if (!column.isEmpty() && !columns.contains(column))
                missing.append(column);
        }
        shape.untilType = columns.value(t.untilColumn);
        shape.sinceType = columns.value(t.sinceColumn);
        if (!canSelect) {
            shape.problem = QStringLiteral("lock table %1 is there but this user may not read it: GRANT SELECT, UPDATE ON %1 TO <user> "
                                           "(UPDATE for releases)").arg(t.table);
        } else if (!missing.isEmpty()) {
            shape.problem = QStringLiteral("lock table %1 has no column %2 (it has %3): fix the mapping in \"lock_tables\"")
                                .arg(t.table, missing.join(QStringLiteral(", ")), QStringList(columns.keys()).join(QStringLiteral(", ")));
        } else if (!usableTime(dialect, shape.untilType)) {
            shape.problem = QStringLiteral("lock table %1: column %2 is %3; Fulcrum reads until columns of type %4")
                                .arg(t.table, t.untilColumn, shape.untilType,
                                     dialect == Dialect::Postgres ? QStringLiteral("timestamp or timestamptz") : QStringLiteral("TIMESTAMP or DATETIME"));
        } else if (!t.sinceColumn.isEmpty() && !usableTime(dialect, shape.sinceType)) {
            shape.problem = QStringLiteral("lock table %1: column %2 is %3, not a timestamp; map \"since\" to a timestamp column or \"\"")
                                .arg(t.table, t.sinceColumn, shape.sinceType);
        }
        shapes.append(shape);
    }
    return shapes;
}

QStringList problems(const QList<TableShape> &shapes)
{
    QStringList out;
    for (const TableShape &shape : shapes) {
        if (!shape.problem.isEmpty())
            out.append(shape.problem);
    }
    return out;
}

QByteArray selectQuery(Dialect dialect, const TableShape &shape, int limit)
{
    const LockTableConfig &t = shape.config;
    const QByteArray table = quoted(dialect, t.table);
    const QByteArray name = quoted(dialect, t.nameColumn);
    const QByteArray owner = quoted(dialect, t.ownerColumn);
    const QByteArray untilColumn = quoted(dialect, t.untilColumn);
    const QByteArray until = instant(dialect, untilColumn, shape.untilType);
    QByteArray ttl, held;
    if (dialect == Dialect::Postgres) {
        ttl = "(extract(epoch from (" + until + " - now())) * 1000)::int8";
        held = t.sinceColumn.isEmpty()
                   ? QByteArray("NULL::int8")
                   : "(extract(epoch from (now() - " + instant(dialect, quoted(dialect, t.sinceColumn), shape.sinceType) + ")) * 1000)::int8";
    } else {
        ttl = "TIMESTAMPDIFF(MICROSECOND, UTC_TIMESTAMP(6), " + until + ") DIV 1000";
        held = t.sinceColumn.isEmpty() ? QByteArray("NULL")
                                       : "TIMESTAMPDIFF(MICROSECOND, " + quoted(dialect, t.sinceColumn) + ", UTC_TIMESTAMP(6)) DIV 1000";
    }
    return "SELECT " + asText(dialect, name) + " AS name, COALESCE(" + asText(dialect, owner) + ", '') AS owner, "
           + asText(dialect, untilColumn) + " AS until_text, " + ttl + " AS ttl_ms, " + held + " AS held_ms FROM " + table
           + " WHERE " + until + " > " + now(dialect) + " ORDER BY 1 LIMIT " + QByteArray::number(limit + 1);
}

QByteArray lockKey(const QString &database, const QString &table, const QByteArray &name)
{
    return database.toUtf8() + "/table:" + table.toUtf8() + ':' + name;
}

std::optional<TableLockKey> parseLockKey(const QByteArray &key)
{
    const qsizetype marker = key.indexOf("/table:");
    if (marker < 0)
        return std::nullopt;
    const qsizetype tableStart = marker + 7;
    const qsizetype colon = key.indexOf(':', tableStart);
    if (colon <= tableStart)
        return std::nullopt;
    TableLockKey k{QString::fromUtf8(key.left(marker)), QString::fromUtf8(key.mid(tableStart, colon - tableStart)), key.mid(colon + 1)};
    if (!LockTableConfig::checkName(k.table, true).isEmpty())
        return std::nullopt;
    return k;
}

QByteArray holderId(const QByteArray &owner, const QByteArray &untilText)
{
    return owner + '@' + untilText;
}

std::optional<std::pair<QByteArray, QByteArray>> parseHolderId(const QByteArray &id)
{
    const qsizetype at = id.lastIndexOf('@');
    if (at < 0 || at == id.size() - 1)
        return std::nullopt;
    return std::pair{id.left(at), id.mid(at + 1)};
}

LockInfo lockFromRow(const QString &backend, const QString &database, const TableShape &shape, const QByteArray &name,
                     const QByteArray &owner, const QByteArray &untilText, qint64 ttlMs, std::optional<qint64> heldMs,
                     const QDateTime &passStartedAt)
{
    const LockTableConfig &t = shape.config;
    LockInfo info;
    info.backend = backend;
    info.kind = QStringLiteral("lock-table");
    info.key = lockKey(database, t.table, name);
    info.holder = holderId(owner, untilText);
    info.holderText = owner.isEmpty() ? QStringLiteral("(no owner written)") : QString::fromUtf8(owner);
    info.ttlMs = std::max<qint64>(0, ttlMs);
    if (heldMs)
        info.acquiredAt = passStartedAt.addMSecs(-*heldMs);
    QJsonObject d{{QStringLiteral("database"), database},
                  {QStringLiteral("table"), t.table},
                  {QStringLiteral("schema"), t.isShedLockSchema() ? QStringLiteral("shedlock") : QStringLiteral("custom")},
                  {QStringLiteral("lock_name"), escapeBytes(name)},
                  {QStringLiteral("owner"), escapeBytes(owner)},
                  {QStringLiteral("until"), QString::fromUtf8(untilText)},
                  {QStringLiteral("columns"), QStringLiteral("%1, %2, %3%4").arg(t.nameColumn, t.ownerColumn, t.untilColumn,
                                                                                 t.sinceColumn.isEmpty() ? QString() : QStringLiteral(", ") + t.sinceColumn)}};
    info.details = d;
    return info;
}

QByteArray expireStatementPostgres(const TableShape &shape)
{
    const Dialect d = Dialect::Postgres;
    const LockTableConfig &t = shape.config;
    const QByteArray table = quoted(d, t.table);
    const QByteArray name = quoted(d, t.nameColumn) + "::text";
    const QByteArray owner = "COALESCE(" + quoted(d, t.ownerColumn) + "::text, '')";
    const QByteArray untilColumn = quoted(d, t.untilColumn);
    const QByteArray held = instant(d, untilColumn, shape.untilType) + " > now()";
    return "WITH u AS (UPDATE " + table + " SET " + untilColumn + " = " + nowAsStored(d, shape.untilType) + " WHERE " + name + " = $1 AND "
           + owner + " = $2 AND " + untilColumn + "::text = $3 AND " + held + " RETURNING 1) "
           "SELECT (SELECT count(*) FROM u)::int AS expired, (SELECT " + owner + " || '@' || " + untilColumn + "::text FROM " + table
           + " WHERE " + name + " = $1 AND " + held + " LIMIT 1) AS now_holder";
}

QByteArray expireStatementMysql(const TableShape &shape, const QByteArray &quotedName, const QByteArray &quotedOwner,
                                const QByteArray &quotedUntil)
{
    const Dialect d = Dialect::Mysql;
    const LockTableConfig &t = shape.config;
    const QByteArray untilColumn = quoted(d, t.untilColumn);
    return "UPDATE " + quoted(d, t.table) + " SET " + untilColumn + " = UTC_TIMESTAMP(6) WHERE " + asText(d, quoted(d, t.nameColumn))
           + " = " + quotedName + " AND COALESCE(" + asText(d, quoted(d, t.ownerColumn)) + ", '') = " + quotedOwner + " AND "
           + asText(d, untilColumn) + " = " + quotedUntil + " AND " + untilColumn + " > UTC_TIMESTAMP(6)";
}

QByteArray expiredAnswerMysql(const TableShape &shape, const QByteArray &quotedName)
{
    const Dialect d = Dialect::Mysql;
    const LockTableConfig &t = shape.config;
    const QByteArray untilColumn = quoted(d, t.untilColumn);
    return "SELECT ROW_COUNT() AS expired, (SELECT CONCAT(COALESCE(" + asText(d, quoted(d, t.ownerColumn)) + ", ''), '@', "
           + asText(d, untilColumn) + ") FROM " + quoted(d, t.table) + " WHERE " + asText(d, quoted(d, t.nameColumn)) + " = " + quotedName
           + " AND " + untilColumn + " > UTC_TIMESTAMP(6) LIMIT 1) AS now_holder";
}

QString releaseEffect()
{
    return QStringLiteral(
        "Lock tables (ShedLock and the like): sets the row's until column to the database's now with one conditional UPDATE, "
        "only while its owner and until are still the ones shown. The lock is then free for the next node that tries; the job "
        "that held it is NOT stopped: it runs on until it ends on its own and may overlap with the next run.");
}

bool catalogueDue(const QList<LockTableConfig> &tables, const QElapsedTimer &age)
{
    constexpr qint64 kCatalogueMaxAgeMs = 60'000;
    return !tables.isEmpty() && (!age.isValid() || age.elapsed() >= kCatalogueMaxAgeMs);
}

ExpiryPlan planExpiry(const LockReleaseRequest &request, const TableLockKey &key, const QList<TableShape> &tables, const QString &database,
                      bool connected, const QString &url)
{
    ExpiryPlan plan;
    for (const TableShape &table : tables) {
        if (table.config.table == key.table && table.readable())
            plan.shape = &table;
    }
    const std::optional<std::pair<QByteArray, QByteArray>> holder = parseHolderId(request.holder);
    if (holder) {
        plan.owner = holder->first;
        plan.until = holder->second;
    }
    if (request.mode != LockReleaseRequest::Delete)
        plan.refusal = QStringLiteral("a lock table's row has one release: expiring it (release without --ask or --revoke); nothing was done");
    else if (!holder)
        plan.refusal = QStringLiteral("holder \"%1\" is not OWNER@UNTIL as 'locks list' prints it; nothing was done").arg(escapeBytes(request.holder));
    else if (!plan.shape)
        plan.refusal = QStringLiteral("%1 is not a lock table this endpoint reads (see \"lock_tables\"); nothing was done").arg(key.table);
    else if (key.database != database)
        plan.refusal = QStringLiteral("%1 is in database %2; this endpoint is connected to %3; nothing was done").arg(key.table, key.database, database);
    else if (!connected)
        plan.refusal = QStringLiteral("%1 is not connected; nothing was done").arg(url);
    return plan;
}

ForceReleaseResult expiryOutcome(bool expired, const QByteArray &nowHolder, const TableLockKey &key, const QByteArray &owner)
{
    if (expired)
        return {ForceReleaseResult::Released, {},
                QStringLiteral("expired the row %1 of %2 (its until set to the database's now; owner and until checked in the same "
                               "UPDATE): the lock is free for the next node that tries; the job %3 started is NOT stopped and may still be running")
                    .arg(escapeBytes(key.name), key.table, owner.isEmpty() ? QStringLiteral("its holder") : escapeBytes(owner))};
    if (nowHolder.isNull())
        return {ForceReleaseResult::Gone, {},
                QStringLiteral("%1 in %2 is not held any more (expired or unlocked); nothing was done").arg(escapeBytes(key.name), key.table)};
    return {ForceReleaseResult::HolderChanged, nowHolder,
            QStringLiteral("%1 in %2 is now held by %3 (another owner, or the same one renewed it); nothing was done")
                .arg(escapeBytes(key.name), key.table, escapeBytes(nowHolder))};
}

} // namespace fulcrum::locktables
