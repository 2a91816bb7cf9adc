#pragma once

#include "checkresult.h"
#include "common/socketaddress.h"

#include <QByteArray>
#include <QList>
#include <QObject>
#include <QPair>

#include <functional>
#include <memory>
#include <vector>

#include <sys/socket.h>

class QSocketNotifier;
typedef struct ssl_st SSL;

namespace fulcrum {

class TlsClientContext;

// TLS for an HTTP check of a server reached over TLS (servers[].tls): the handshake, with the
// proxy's own verification, comes before the request.
struct CheckTls
{
    std::shared_ptr<const TlsClientContext> context;
    QString host;                          // the server's host: SNI and name check unless the context names one
};

// What an HTTP check expects; a null pointer (or empty request) makes a TCP connect check.
struct HttpExpectation
{
    QList<QPair<int, int>> statusRanges;   // inclusive
    QByteArray bodyContains;               // empty = any body
};

// Where a check connects to.
using CheckTarget = SocketAddress;

// Runs many health checks at once on non-blocking sockets, all watched by one epoll
// descriptor behind one QSocketNotifier: no QObject, timer or notifier per check, which is
// what lets one thread check thousands of servers each second. Slots are small integers
// chosen by the caller (its server index); one check per slot at a time. Timeouts are the
// caller's: it calls expire() when its deadline passes. Linux only (epoll), like fulcrumd.
class CheckProber : public QObject
{
    Q_OBJECT
public:
    using Completion = std::function<void(int slot, const CheckResult &result)>;

    explicit CheckProber(Completion completion, QObject *parent = nullptr);
    ~CheckProber() override;

    bool isReady() const { return m_epoll >= 0; }
    // Starts a check; the result comes through the completion, possibly before this returns
    // (a refused connect). request empty = TCP check. The expectation must outlive the check.
    // keepAlive: an HTTP check leaves its connection open for the next check of the slot
    // when the answer allows (Envoy's reuse_connection); otherwise every check connects anew
    // (HAProxy's way). Either way a connection the server closed is replaced at once.
    // tls (HTTP checks only): the request goes over TLS; a failed handshake is L6RSP.
    void start(int slot, const CheckTarget &target, const QByteArray &request, const HttpExpectation *expect,
               bool keepAlive = false, const CheckTls *tls = nullptr);
    // The deadline passed: L4TOUT before the connect completed, L6TOUT during a TLS handshake,
    // L7TOUT after.
    void expire(int slot);
    // Drops a check without a result, and its connection (maintenance, shutdown).
    void cancel(int slot);
    bool isRunning(int slot) const;
    int runningCount() const { return m_running; }

private:
    enum class Phase : quint8 { Idle, Connecting, Handshaking, Sending, Receiving };
    struct Probe
    {
        int fd = -1;
        Phase phase = Phase::Idle;
        bool watched = false;      // in the epoll set
        bool keepAlive = false;
        bool reused = false;       // this attempt runs on a kept-alive connection
        CheckTarget target;
        quint32 generation = 0;
        qint64 startNs = 0;
        qsizetype sent = 0;
        QByteArray request;
        const HttpExpectation *expect = nullptr;
        QByteArray response;
        std::shared_ptr<const TlsClientContext> tls;   // null: plain
        QString tlsHost;
        SSL *ssl = nullptr;
        bool sslWantsWrite = false;                     // the handshake or a read waits for room to write
    };

    void onEpollReadable();
    void handle(int slot, quint32 events);
    void afterConnect(int slot);
    void handshake(int slot);
    void sendRequest(int slot);
    // One send or receive, plain or TLS: > 0 bytes, 0 end of stream, -1 nothing now, -2 failed.
    ssize_t sendSome(Probe &p, const char *data, size_t size, QString *error);
    ssize_t receiveSome(Probe &p, char *buffer, size_t size, QString *error);
    void receive(int slot);
    // Evaluates what has arrived; true when the check is decided (and finished).
    bool evaluate(int slot, bool atEof);
    void finish(int slot, CheckReason reason, int status = 0, QString detail = {});
    void connectFresh(int slot);
    bool retryFresh(int slot);
    void closeProbe(Probe &probe, bool keepConnection = false);
    void closeConnection(Probe &probe);
    // How far an HTTP answer has arrived, by its Content-Length.
    enum class Framing { Incomplete, Complete, CompleteReusable, Unknown };
    static Framing framing(const QByteArray &response);
    bool watch(int slot, quint32 events);
    Probe &probe(int slot);

    Completion m_completion;
    int m_epoll = -1;
    QSocketNotifier *m_notifier = nullptr;
    std::vector<Probe> m_probes;
    int m_running = 0;
};

} // namespace fulcrum
