#pragma once

#include "common/fastrandom.h"
#include "demobackend.h"
#include "proxy/httpparser.h"

#include <QByteArray>
#include <QObject>

#include <memory>

class QTcpSocket;
class QTimer;

namespace fulcrum {

// Owns the connections of one thread of a demo backend.
class DemoWorker : public QObject
{
    Q_OBJECT
public:
    explicit DemoWorker(std::shared_ptr<DemoBackendState> state, QObject *parent = nullptr);

    void adopt(qintptr descriptor);
    DemoBackendState &state() { return *m_state; }
    const std::shared_ptr<DemoBackendState> &sharedState() const { return m_state; }
    FastRandom &random() { return m_random; }

private:
    std::shared_ptr<DemoBackendState> m_state;
    FastRandom m_random;
};

// One client connection: requests read with the proxy's strict parser (Content-Length and
// chunked bodies are read to the end and only counted and checksummed, never kept) and the answer.
// Requests on one connection are answered in order; while one is pending, the next is not
// read, so a pipelining client is slowed by TCP rather than by our memory.
class DemoConnection : public QObject
{
    Q_OBJECT
public:
    DemoConnection(DemoWorker *worker, qintptr descriptor);
    ~DemoConnection() override;

private:
    enum class Phase { Head, Body, ChunkedBody, Waiting, Streaming, Hung, Closing };

    void process();
    // False while the head is incomplete, or when it was refused (the connection is closing).
    bool readHead(QByteArrayView unread);
    void countBody(QByteArrayView bytes);
    void dispatch();
    void answer();
    void answerControl();
    void pump();
    void finishResponse();
    void reject(int status, const QByteArray &message);
    QByteArray head(int status, qint64 contentLength, const QByteArray &contentType,
                    const QByteArray &extraHeaders = {}, bool chunked = false) const;
    void writeHead(int status, qint64 contentLength, const QByteArray &contentType,
                   const QByteArray &extraHeaders = {}, bool chunked = false);
    void writeSimple(int status, const QByteArray &body, const QByteArray &contentType = "text/plain",
                     const QByteArray &extraHeaders = {});

    DemoWorker *m_worker;
    // Held while counted as open: the worker (and its hold on the state) may go first.
    std::shared_ptr<DemoBackendState> m_open;
    QTcpSocket *m_socket;
    QTimer *m_delay;
    QByteArray m_in;
    qsizetype m_pos = 0;
    Phase m_phase = Phase::Head;
    quint64 m_requestsOnConnection = 0;

    // The request being read or answered.
    QByteArray m_method;
    QByteArray m_path;
    QByteArray m_query;
    bool m_keepAlive = true;
    qint64 m_bodyRemaining = 0;
    qint64 m_bodyBytes = 0;
    quint32 m_bodyCrc = 0;
    ChunkedDecoder m_chunks;

    // A streamed /bytes/N answer.
    qint64 m_streamOffset = 0;
    qint64 m_streamRemaining = 0;
    bool m_streamChunked = false;
};

} // namespace fulcrum
