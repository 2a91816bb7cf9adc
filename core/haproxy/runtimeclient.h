#pragma once

#include "haproxy/runtimeaddress.h"

#include <QByteArray>
#include <QObject>
#include <QPointer>
#include <QTimer>

#include <deque>
#include <functional>

QT_BEGIN_NAMESPACE
class QIODevice;
QT_END_NAMESPACE

namespace fulcrum {

// What one Runtime API command got back: HAProxy's text, or why there is none.
struct RuntimeReply
{
    bool ok = false;              // the command reached HAProxy and the connection closed normally
    QByteArray output;            // HAProxy's answer as sent ("" for a successful `set server`)
    QString error;                // when !ok: the socket, the problem and the fix
};

// An asynchronous client of HAProxy's Runtime API (the stats socket), Unix or TCP.
// HAProxy's non-interactive mode: one command per connection, the answer is everything
// until HAProxy closes it. Commands run one at a time in the order sent, so a weight change
// and the `show stat` after it are seen in that order; each has a deadline. Nothing blocks.
class RuntimeClient : public QObject
{
    Q_OBJECT
public:
    using Callback = std::function<void(const RuntimeReply &reply)>;

    explicit RuntimeClient(RuntimeAddress address, QObject *parent = nullptr);
    ~RuntimeClient() override;

    const RuntimeAddress &address() const { return m_address; }
    void setTimeoutMs(int ms) { m_timeoutMs = ms; }
    int timeoutMs() const { return m_timeoutMs; }
    // Commands sent and not answered yet (the running one included).
    int pending() const { return int(m_queue.size()); }

    // Queues one command (without the newline). The callback runs later, from the event
    // loop, unless context is gone by then.
    void send(const QByteArray &command, QObject *context, Callback callback);

    // The sentence for "this socket refused a command for lack of level": shared by every
    // caller that sees HAProxy's "Permission denied".
    QString notAdminMessage(const QString &level = QString()) const;

private:
    struct Request
    {
        QByteArray command;
        QPointer<QObject> context;
        Callback callback;
    };

    void startNext();
    void onConnected();
    void onData();
    void onClosed();
    void onError(const QString &socketError, int kind);
    void finish(RuntimeReply reply);
    QString connectError(const QString &socketError, int kind) const;

    RuntimeAddress m_address;
    int m_timeoutMs = 3000;
    std::deque<Request> m_queue;
    QIODevice *m_socket = nullptr;     // the running command's connection
    bool m_connected = false;
    QByteArray m_buffer;
    QTimer m_deadline;
};

} // namespace fulcrum
