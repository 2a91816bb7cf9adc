#pragma once

#include "common/accesslogconfig.h"
#include "common/socketaddress.h"
#include "proxy/tls.h"

#include <QByteArrayView>
#include <QString>

#include <atomic>
#include <memory>
#include <string>

namespace fulcrum {

// What the workers' access logs came to, read by the engine's tick: lines written, lines lost,
// and how often a write or an open failed, with the last reason (an event says it). Any thread.
struct AccessLogStats
{
    std::atomic<quint64> lines{0};
    std::atomic<quint64> droppedLines{0};
    CountedReason failures;
};

// One request as the access log tells it. Views point into the session's memory and are read
// only during AccessLog::write().
struct AccessRecord
{
    QByteArrayView clientIp;
    QByteArrayView method;                 // empty: the head was not read (a 400 or 408 before it)
    QByteArrayView target;
    QByteArrayView protocol;               // "HTTP/1.1", "HTTP/1.0", "HTTP/2.0"
    bool https = false;
    QByteArrayView host;
    QByteArrayView userAgent;
    QByteArrayView referer;
    QByteArrayView requestId;              // X-Request-ID as the client sent it
    int status = 0;
    qint64 bytesIn = 0;                    // from the client: head and body
    qint64 bytesOut = 0;                   // to the client: head and body
    qint64 durationNs = 0;                 // from the head's first byte to the end
    const QString *pool = nullptr;
    const QString *server = nullptr;       // null: no server was picked
    const SocketAddress *upstream = nullptr;   // the address last connected to (or tried)
    int upstreamStatus = 0;                // 0: none came
    int tries = 0;
    qint64 connectNs = -1;                 // -1: no connection was made for it (0: a kept-alive one)
    qint64 headerNs = -1;                  // from the last try's start to the server's head; -1: none
    const char *end = nullptr;             // null: ended normally; else what cut it short
    QByteArrayView error;                  // the proxy's own answer's reason, when it made one
};

// One worker's access log: lines formatted into a buffer of its own and appended to the file
// (O_APPEND, so the workers' writes do not overlap) when the buffer holds 64 KiB or at the
// worker's sweep once a second, as nginx's `access_log … buffer= flush=` does. A file moved away
// or deleted (logrotate) is noticed at that sweep and opened again at the path; a write that
// fails (disk full) loses that buffer's lines, counts them and says why, and never blocks the
// worker longer than the write itself.
class AccessLog
{
public:
    explicit AccessLog(std::shared_ptr<AccessLogStats> stats);
    ~AccessLog();
    AccessLog(const AccessLog &) = delete;
    AccessLog &operator=(const AccessLog &) = delete;

    // A reload: another path opens that file (the buffer goes to the old one first).
    void configure(const AccessLogConfig &config);
    bool enabled() const { return m_config.enabled(); }
    // Whether a request with this status and end would be written (only: "errors").
    bool wants(int status, const char *end) const { return !m_config.errorsOnly || status >= 400 || end; }
    void write(const AccessRecord &record, qint64 wallNowMs);
    // The worker's sweep: writes what waits once a second, and reopens a rotated file.
    void tick(qint64 nowMs);
    void flush();

    // For tests of the formats: one record as a line (with its newline).
    static std::string format(const AccessRecord &record, AccessLogConfig::Format format, qint64 wallNowMs);

private:
    void open();
    void close();
    void noteFailure(const QString &reason);
    void reopenIfMoved();

    std::shared_ptr<AccessLogStats> m_stats;
    AccessLogConfig m_config;
    int m_fd = -1;
    quint64 m_device = 0;
    quint64 m_inode = 0;
    std::string m_buffer;
    quint64 m_bufferedLines = 0;
    qint64 m_lastFlushMs = 0;
    qint64 m_lastOpenTryMs = 0;
};

} // namespace fulcrum
