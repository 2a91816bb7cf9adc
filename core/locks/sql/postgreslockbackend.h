#pragma once

#include "config/config.h"
#include "locks/lockbackend.h"
#include "locks/lockobservations.h"
#include "locks/pendingreleases.h"
#include "locks/sql/locktables.h"

#include <QElapsedTimer>

#include <functional>
#include <optional>

namespace fulcrum {

class PgConnection;
struct PgResult;

// One PostgreSQL server as a lock endpoint: passes that read every advisory lock (pg_locks
// joined with pg_stat_activity, holders and waiters) and, when asked, the blocking chains of
// sessions waiting on row and table locks (pg_blocking_pids), in one round trip; releases that
// end the holder's session (pg_terminate_backend) or cancel its query (pg_cancel_backend, for
// chains), each only while the pid still belongs to the session the operator saw and still
// holds (blocks) what was shown. All of it on libpq's asynchronous API (pgconnection.h).
class PostgresLockBackend final : public LockBackend
{
    Q_OBJECT
public:
    PostgresLockBackend(const PostgresEndpointConfig &config, const QByteArray &password, QObject *parent = nullptr);
    ~PostgresLockBackend() override;

    static LockBackendCapabilities postgresCapabilities();
    LockBackendCapabilities capabilities() const override { return postgresCapabilities(); }
    QString url() const override { return m_config.url; }
    void open() override;
    LockBackendState state() const override { return m_state; }
    void scan() override;
    void cancelScan() override;
    bool isScanning() const override { return m_scanning; }
    const LockScanResult &lastResult() const override { return m_lastResult; }
    void release(const LockReleaseRequest &request, std::function<void(const ForceReleaseResult &)> done) override;

    // "Test connection": connect, read the role's privileges, disconnect; `done` runs once on
    // `context`'s thread.
    static void probe(const PostgresEndpointConfig &config, const QByteArray &password, QObject *context,
                      std::function<void(bool ok, const QString &message)> done);

    // Passes that read pg_locks, and passes the session probe found quiet (the last read's rows
    // published again, lock tables read afresh).
    quint64 fullReads() const { return m_fullReads; }
    quint64 passesConfirmed() const { return m_passesConfirmed; }

private:
    void connectNow();
    void lose(const QString &why);
    // Reads the catalogue for lock_tables when it is older than a minute (or never read), then
    // `then`; `broke`: the connection went away meanwhile.
    void withCatalogue(std::function<void(bool broke, const QString &error)> then);
    // The rows one read of pg_locks gave, before the pass's observations.
    struct ReadRows
    {
        QList<LockInfo> locks;
        bool invisible = false;     // a session this role may not see
        bool truncated = false;
        qint64 rowsRead = 0;
    };
    // A pass: the session probe, then everything (pg_locks, sessions, lock tables) or, when the
    // sessions were quiet since the last read, the lock tables only.
    void startPass(quint64 generation);
    void readEverything(quint64 generation, const QByteArray &fingerprint);
    void readTablesOnly(quint64 generation);
    QByteArray tableStatements() const;
    // A failed statement of a pass said as scanFailed; `tablesFrom`: the index of the first table's result.
    bool tableReadFailed(const QList<PgResult> &results, qsizetype tablesFrom);
    void finishPass(const QList<PgResult> &results);
    void publishPass(const ReadRows &read, const QList<PgResult> &tableResults);
    void releaseTableRow(const LockReleaseRequest &request, const std::shared_ptr<PendingRelease> &pending,
                         const locktables::TableLockKey &key);

    PostgresEndpointConfig m_config;
    QByteArray m_password;
    PgConnection *m_connection = nullptr;
    LockBackendState m_state = LockBackendState::NotStarted;
    bool m_scanning = false;
    quint64 m_generation = 0;
    bool m_resumeWanted = false;
    int m_restarts = 0;
    QString m_role;
    QString m_database;
    bool m_readAllStats = false;
    bool m_signalBackend = false;
    int m_serverVersion = 0;
    QList<locktables::TableShape> m_tables;   // lock_tables as the catalogue last showed them
    QElapsedTimer m_catalogueAge;             // invalid: read the catalogue before the next pass
    QDateTime m_passStartedAt;
    QElapsedTimer m_passClock;
    LockScanResult m_lastResult;
    std::optional<ReadRows> m_read;           // the last read of pg_locks
    QByteArray m_quietFingerprint;            // the sessions as the probe before that read saw them
    QElapsedTimer m_lastFullRead;
    quint64 m_fullReads = 0;
    quint64 m_passesConfirmed = 0;
    LockObservations m_observations;
    PendingReleases m_releases;
};

} // namespace fulcrum
