#pragma once

#include "historystore.h"
#include "locks/lockinfo.h"

#include <QObject>
#include <QPointer>

#include <map>

class QTimer;

namespace fulcrum {

class Engine;
struct EngineSnapshot;

// Feeds the engine's history into a HistoryStore: at every snapshot it takes each server's
// new 1 s point (Engine::history; its request and error counts exactly from the snapshot's
// cumulative totals) with the state and weights of that snapshot; health
// events and lock passes come from the engine's signals, audit entries from its audit log. Everything is buffered and
// written in one transaction per flush (every flushIntervalMs, on the engine's thread,
// never on a proxy worker). When the store fails, one warning goes to the engine's event
// list, the buffer stays bounded (oldest rows dropped) and balancing goes on untouched.
class HistoryRecorder : public QObject
{
    Q_OBJECT
public:
    HistoryRecorder(Engine *engine, HistoryStore *store, QObject *parent = nullptr);
    ~HistoryRecorder() override;

    void setFlushInterval(int ms);
    void setMaxBufferedRows(qsizetype rows) { m_maxBuffered = rows; }

    void recordHealthEvent(const HealthEvent &event);
    void recordLockPass(const QString &endpoint, const LockScanResult &result);

    // Writes what is buffered now (also compacts once a minute). False when the store failed.
    bool flush();
    QString lastError() const { return m_lastError; }
    qsizetype bufferedRows() const { return m_buffer.size(); }

Q_SIGNALS:
    void storeFailed(const QString &error);

private:
    void onSnapshot(const EngineSnapshot &snapshot);
    void trimBuffer();

    QPointer<Engine> m_engine;
    HistoryStore *m_store;
    QTimer *m_timer;
    HistoryBatch m_buffer;
    qsizetype m_maxBuffered = 3600 * 50;
    struct Progress
    {
        qint64 lastPointMs = 0;
        quint64 requests = 0;     // cumulative counts at the last recorded point
        quint64 errors = 0;
    };
    std::map<std::pair<QString, QString>, Progress> m_servers;
    qint64 m_lastAuditMs = 0;
    qint64 m_lastCompactMs = 0;
    bool m_failing = false;
    QString m_lastError;
};

} // namespace fulcrum
