#pragma once

#include "demo/demobackend.h"

#include <QByteArray>
#include <QHostAddress>
#include <QMap>
#include <QProcess>
#include <QString>
#include <QTcpSocket>
#include <QThread>

#include <memory>
#include <vector>

namespace fulcrum::test {

// One HTTP response as a test sees it; header names are lower-cased.
struct SimpleHttpResponse
{
    int status = 0;                       // 0 = no (complete) response
    QMap<QByteArray, QByteArray> headers;
    QByteArray body;
    QString error;                        // why status is 0

    QByteArray header(const QByteArray &name) const { return headers.value(name.toLower()); }
};

// A blocking HTTP/1.1 client over one kept-alive TCP connection, for tests talking to a
// server in another thread or process. Reads Content-Length, chunked and close-delimited bodies.
class SimpleHttpConnection
{
public:
    SimpleHttpConnection(quint16 port, int timeoutMs = 5000);

    bool isConnected() const { return m_socket.state() == QAbstractSocket::ConnectedState; }
    // Sends the bytes as they are (for malformed-input tests) and reads one response.
    SimpleHttpResponse exchange(const QByteArray &rawRequest);
    SimpleHttpResponse get(const QByteArray &path);
    SimpleHttpResponse post(const QByteArray &path, const QByteArray &body, bool chunked = false);
    // Waits until the server closes the connection (true) or the timeout passes (false).
    bool waitForClose();

private:
    bool fill();
    SimpleHttpResponse readResponse(bool headRequest);

    QTcpSocket m_socket;
    QByteArray m_buffer;
    int m_timeoutMs;
};

// One request on a fresh connection.
SimpleHttpResponse httpGet(quint16 port, const QByteArray &path, int timeoutMs = 5000);
// `count` GETs of `path`, each on a connection of its own, sent without waiting for the answers:
// requests a slow server holds in flight while a test looks. Empty when a connection failed.
std::vector<std::unique_ptr<QTcpSocket>> sendWithoutWaiting(quint16 port, int count, const QByteArray &path);

// A real `fulcrumctl demo-backend` process on a free loopback port. It can be killed
// (SIGKILL, as a crash) and started again on the same port; the destructor always stops it.
class DemoBackendProcess
{
public:
    explicit DemoBackendProcess(QString name, QStringList extraArguments = {});
    ~DemoBackendProcess();
    DemoBackendProcess(const DemoBackendProcess &) = delete;
    DemoBackendProcess &operator=(const DemoBackendProcess &) = delete;

    // Starts it (on the previous port after a kill). False with error() set on failure.
    bool start();
    void kill();
    bool isRunning() const;
    quint16 port() const { return m_port; }
    QString name() const { return m_name; }
    QString address() const { return QStringLiteral("127.0.0.1:%1").arg(m_port); }
    QString error() const { return m_error; }

    // Through POST /_control, e.g. control("latency=50ms&health=503"). False on a refusal.
    bool control(const QString &query);
    bool setLatency(qint64 latencyMs, qint64 jitterMs = 0);
    bool setErrorRate(double rate);
    bool setHealth(const QString &mode); // ok, 503, hang, close

private:
    QString m_name;
    QStringList m_extraArguments;
    quint16 m_port = 0;
    std::unique_ptr<QProcess> m_process;
    QString m_error;
};

// A DemoBackend on its own thread in this process: cheaper than a process, and blocking
// clients in the test thread still get answers. Settings change through backend() directly.
class InProcessDemoBackend
{
public:
    explicit InProcessDemoBackend(QString name, quint16 port = 0, const QHostAddress &address = QHostAddress::LocalHost);
    ~InProcessDemoBackend();
    InProcessDemoBackend(const InProcessDemoBackend &) = delete;
    InProcessDemoBackend &operator=(const InProcessDemoBackend &) = delete;

    bool isListening() const { return m_port != 0; }
    quint16 port() const { return m_port; }
    DemoBackend &backend() { return *m_backend; }

private:
    QThread m_thread;
    QObject m_anchor; // lives on m_thread: the context for calls into it
    DemoBackend *m_backend = nullptr;
    quint16 m_port = 0;
};

} // namespace fulcrum::test
