#pragma once

#include "config/config.h"
#include "locks/lockbackend.h"
#include "locks/lockobservations.h"
#include "locks/pendingreleases.h"
#include "locks/sql/locktables.h"

#include <QElapsedTimer>

#include <functional>
#include <memory>

namespace fulcrum {

class MysqlConnection;
struct MysqlResult;

// One MySQL or MariaDB server as a lock endpoint: named locks (GET_LOCK) read from MariaDB's
// metadata_lock_info plugin (holders) and the process list (waiters, in state "User lock"), or
// from MySQL 8's performance_schema.metadata_locks (both); whichever the server has is detected
// on connecting. A release KILLs the holder's connection only if IS_USED_LOCK still names it.
class MysqlLockBackend final : public LockBackend
{
    Q_OBJECT
public:
    MysqlLockBackend(const MysqlEndpointConfig &config, const QByteArray &password, QObject *parent = nullptr);
    ~MysqlLockBackend() override;

    static LockBackendCapabilities mysqlCapabilities();
    LockBackendCapabilities capabilities() const override { return mysqlCapabilities(); }
    QString url() const override { return m_config.url; }
    void open() override;
    LockBackendState state() const override { return m_state; }
    void scan() override;
    void cancelScan() override;
    bool isScanning() const override { return m_scanning; }
    const LockScanResult &lastResult() const override { return m_lastResult; }
    void release(const LockReleaseRequest &request, std::function<void(const ForceReleaseResult &)> done) override;

    static void probe(const MysqlEndpointConfig &config, const QByteArray &password, QObject *context,
                      std::function<void(bool ok, const QString &message)> done);

private:
    enum class Source { None, MetadataLockInfo, PerformanceSchema };

    void connectNow();
    void lose(const QString &why);
    struct Pass;   // one pass's answers, gathered statement by statement
    // Reads the catalogue for lock_tables when it is older than a minute (or never read), then
    // `then`; `broke`: the connection went away meanwhile.
    void withCatalogue(std::function<void(bool broke, const QString &error)> then);
    void dispatchRelease(const LockReleaseRequest &request, const std::shared_ptr<PendingRelease> &pending);
    void readNamedLocks(quint64 generation);
    void readTables(quint64 generation, std::shared_ptr<Pass> pass, qsizetype next);
    void finishPass(const Pass &pass);
    void releaseTableRow(const LockReleaseRequest &request, const std::shared_ptr<PendingRelease> &pending,
                         const locktables::TableLockKey &key);
    bool passFailed(const MysqlResult &r, const QString &what);

    MysqlEndpointConfig m_config;
    QByteArray m_password;
    MysqlConnection *m_connection = nullptr;
    LockBackendState m_state = LockBackendState::NotStarted;
    Source m_source = Source::None;
    QString m_sourceProblem;
    QString m_role;
    QString m_database;
    QList<locktables::TableShape> m_tables;   // lock_tables as the catalogue last showed them
    QElapsedTimer m_catalogueAge;             // invalid: read the catalogue before the next pass
    bool m_scanning = false;
    quint64 m_generation = 0;
    bool m_resumeWanted = false;
    int m_restarts = 0;
    QDateTime m_passStartedAt;
    QElapsedTimer m_passClock;
    LockScanResult m_lastResult;
    LockObservations m_observations;
    PendingReleases m_releases;
};

} // namespace fulcrum
