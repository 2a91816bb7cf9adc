#pragma once

#include "config/config.h"
#include "locks/lockbackend.h"
#include "locks/lockinfo.h"

#include <QByteArray>
#include <QDateTime>
#include <QElapsedTimer>
#include <QList>
#include <QString>

#include <optional>

// Locks kept as rows of a table (ShedLock's `shedlock`, or a table of one's own): the SQL that
// finds the tables in the catalogue, reads the held rows and expires one only while it is
// still what the operator saw, for PostgreSQL and MySQL/MariaDB. Pure text in and out: the
// backends run the statements on their own connections.
namespace fulcrum::locktables {

enum class Dialect { Postgres, Mysql };

// One configured table as the catalogue shows it.
struct TableShape
{
    LockTableConfig config;
    bool exists = false;
    QString untilType;              // the catalogue's type names, lower case
    QString sinceType;
    QString problem;                // not read, and why (a missing column, an unusable type); empty = fine

    // Read in a pass: it exists and has no problem.
    bool readable() const { return exists && problem.isEmpty(); }
};

// The catalogue statement for `tables`: one row per column of every configured table that
// exists, with the columns `configured` (the table as configured), `column_name`, `data_type`,
// `can_select` ('t'/'1' or 'f'/'0').
QByteArray catalogueQuery(Dialect dialect, const QList<LockTableConfig> &tables);
// One row of the catalogue statement.
struct CatalogueRow
{
    QString configured;
    QString column;
    QString type;
    bool canSelect = true;
};
QList<TableShape> shapesFrom(Dialect dialect, const QList<LockTableConfig> &tables, const QList<CatalogueRow> &rows);
// Notes for a pass: a required table that is missing, a column that is not there.
QStringList problems(const QList<TableShape> &shapes);

// Whether the catalogue is to be read before the next pass or release: never read yet, or
// read more than a minute ago (lock tables come and go with deployments: ShedLock creates its
// table when the application first starts). False when no table is configured.
bool catalogueDue(const QList<LockTableConfig> &tables, const QElapsedTimer &age);

// The held rows of a readable table (until later than the database's now), by name, at most
// `limit` + 1: columns name, owner, until_text, ttl_ms, held_ms (NULL without a since column).
QByteArray selectQuery(Dialect dialect, const TableShape &shape, int limit);

// A lock row's name: "DATABASE/table:TABLE:NAME"; and back.
QByteArray lockKey(const QString &database, const QString &table, const QByteArray &name);
struct TableLockKey
{
    QString database;
    QString table;
    QByteArray name;
};
std::optional<TableLockKey> parseLockKey(const QByteArray &key);

// What a release compares: the owner and the until value exactly as the database printed them,
// "OWNER@UNTIL" (split at the last '@': an until value has none).
QByteArray holderId(const QByteArray &owner, const QByteArray &untilText);
std::optional<std::pair<QByteArray, QByteArray>> parseHolderId(const QByteArray &id);

// One row of selectQuery as a lock. `backend` is "postgres" or "mysql".
LockInfo lockFromRow(const QString &backend, const QString &database, const TableShape &shape, const QByteArray &name,
                     const QByteArray &owner, const QByteArray &untilText, qint64 ttlMs, std::optional<qint64> heldMs,
                     const QDateTime &passStartedAt);

// PostgreSQL: one statement with $1 name, $2 owner, $3 until text, that sets the row's until to
// the database's now only while the row is still held by that owner with that until, and answers
// `expired` (0 or 1) and `now_holder` (OWNER@UNTIL of the row held now, NULL if none).
QByteArray expireStatementPostgres(const TableShape &shape);
// MySQL/MariaDB: the UPDATE (literals quoted by `quote`), then the statement that answers
// `expired` (ROW_COUNT() of the UPDATE, so run it right after on the same connection) and
// `now_holder`.
QByteArray expireStatementMysql(const TableShape &shape, const QByteArray &quotedName, const QByteArray &quotedOwner,
                                const QByteArray &quotedUntil);
QByteArray expiredAnswerMysql(const TableShape &shape, const QByteArray &quotedName);

// A release of a table row, checked before anything is sent: the table's shape and the owner
// and until to compare, or why it cannot be tried (`refusal`, ending in "nothing was done").
struct ExpiryPlan
{
    const TableShape *shape = nullptr;
    QByteArray owner;
    QByteArray until;
    QString refusal;
};
// `url` names the endpoint when it is not connected (then the plan is a refusal too).
ExpiryPlan planExpiry(const LockReleaseRequest &request, const TableLockKey &key, const QList<TableShape> &tables, const QString &database,
                      bool connected, const QString &url);
// The release's result from the expiry statement's answer: expired, or who holds the row now
// (null: nobody).
ForceReleaseResult expiryOutcome(bool expired, const QByteArray &nowHolder, const TableLockKey &key, const QByteArray &owner);

// What an expiry does, for the release dialog and the audit: the job is not stopped.
QString releaseEffect();

} // namespace fulcrum::locktables
