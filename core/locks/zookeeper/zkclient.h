#pragma once

#include "locks/zookeeper/zknode.h"

#include <QByteArray>
#include <QHash>
#include <QList>
#include <QObject>
#include <QPointer>
#include <QString>
#include <QTimer>

#include <deque>
#include <functional>
#include <memory>

class QSocketNotifier;
struct _zhandle;

namespace fulcrum {

// The C client's result codes this code acts on (zookeeper.h's ZOO_ERRORS), so that callers
// need not include the C headers.
namespace zkrc {
inline constexpr int Ok = 0;
inline constexpr int ConnectionLoss = -4;
inline constexpr int OperationTimeout = -7;
inline constexpr int InvalidState = -9;
inline constexpr int NoNode = -101;
inline constexpr int NoAuth = -102;
inline constexpr int BadVersion = -103;
inline constexpr int NodeExists = -110;
inline constexpr int NotEmpty = -111;
inline constexpr int SessionExpired = -112;
inline constexpr int AuthFailed = -115;
inline constexpr int Closing = -116;
// The request never reached a live session (lost connection, expired or closing session):
// worth repeating once connected again, unlike NoNode or NoAuth.
bool isConnectionProblem(int rc);
QString text(int rc);
} // namespace zkrc

enum class ZkWatchEvent { Created, Deleted, DataChanged, ChildrenChanged };

// One ZooKeeper session over the single-threaded C client (libzookeeper_st), driven by the Qt
// event loop: zookeeper_interest() tells which socket and timeout to wait for, a
// QSocketNotifier and a QTimer wait for them, zookeeper_process() runs on activity. Every
// completion and watch therefore runs on this object's thread inside zookeeper_process(),
// never on a library thread (the reason for the st library over the mt one, whose completion
// thread would have to hop onto the Qt thread for every reply).
// After an expired session it opens a new one by itself; after a lost connection the C client
// reconnects within the session. Requests are pipelined, at most maxInFlight outstanding; the
// rest wait in order. A request's callback runs once, unless its context object is gone or the
// client is destroyed first; delete a ZkClient with deleteLater(), never inside its callbacks.
class ZkClient : public QObject
{
    Q_OBJECT
public:
    enum class State { Closed, Connecting, Connected, AuthFailed };

    struct Options
    {
        QString hosts;                  // host:port[,host:port...]
        QString chroot;                 // "/shop" or empty
        int sessionTimeoutMs = 10'000;
        QString user;                   // digest auth; empty = none
        QByteArray password;
        int maxInFlight = 1000;
    };

    enum CreateMode { Persistent = 0, Ephemeral = 1, Sequential = 2, Container = 4 };

    using ChildrenCallback = std::function<void(int rc, const QList<QByteArray> &names, const ZkStat &stat)>;
    using DataCallback = std::function<void(int rc, const QByteArray &data, const ZkStat &stat)>;
    using StatCallback = std::function<void(int rc, const ZkStat &stat)>;
    using VoidCallback = std::function<void(int rc)>;
    using CreateCallback = std::function<void(int rc, const QByteArray &createdPath)>;
    using WatchCallback = std::function<void(ZkWatchEvent event)>;

    explicit ZkClient(Options options, QObject *parent = nullptr);
    ~ZkClient() override;

    // "h1:2181,h2:2181/chroot", as zookeeper_init() takes it.
    static QString connectString(const QString &hosts, const QString &chroot);
    QString connectString() const { return connectString(m_options.hosts, m_options.chroot); }

    void open();
    void close();
    State state() const { return m_state; }
    bool isConnected() const { return m_state == State::Connected; }
    QString stateReason() const { return m_reason; }
    QString sessionIdText() const;          // 0x…, empty while no session
    int negotiatedTimeoutMs() const;
    int inFlight() const { return m_inFlight; }

    // A watch fires at most once (ZooKeeper's one-shot watches) and is dropped with its session.
    void getChildren(const QByteArray &path, QObject *context, ChildrenCallback done, WatchCallback watch = {});
    void get(const QByteArray &path, QObject *context, DataCallback done, WatchCallback watch = {});
    void exists(const QByteArray &path, QObject *context, StatCallback done, WatchCallback watch = {});
    void remove(const QByteArray &path, int version, QObject *context, VoidCallback done);
    void create(const QByteArray &path, const QByteArray &data, int mode, QObject *context, CreateCallback done);
    void setData(const QByteArray &path, const QByteArray &data, int version, QObject *context, StatCallback done);

Q_SIGNALS:
    void connected();                       // a session is up (new, or resumed after a lost connection)
    void connectionLost(const QString &reason);     // the session may still be alive; the client retries
    void sessionExpired(const QString &reason);     // ephemeral nodes and watches are gone; a new session follows
    void authFailed(const QString &reason);
    void stateChanged(fulcrum::ZkClient::State state);

private:
    struct Request;
    struct Watch;
    friend struct Request;
    friend struct Watch;

    void startHandle();
    void closeHandle();
    void pump();
    void schedulePump();
    void process(int events);
    void submit(std::function<int(Request *)> call, std::unique_ptr<Request> request);
    void requestDone();
    Watch *newWatch(QObject *context, WatchCallback fn);
    void dropWatch(Watch *watch);
    void setState(State state, const QString &reason);
    void onSessionEvent(int state);

    static void sessionWatcher(_zhandle *zh, int type, int state, const char *path, void *context);
    static void nodeWatcher(_zhandle *zh, int type, int state, const char *path, void *context);

    Options m_options;
    _zhandle *m_zh = nullptr;
    State m_state = State::Closed;
    QString m_reason;
    bool m_open = false;
    bool m_destroying = false;
    bool m_inProcess = false;
    bool m_pumpScheduled = false;
    int m_fd = -1;
    QSocketNotifier *m_readNotifier = nullptr;
    QSocketNotifier *m_writeNotifier = nullptr;
    QTimer m_timer;
    int m_inFlight = 0;
    std::deque<std::pair<std::function<int(Request *)>, std::unique_ptr<Request>>> m_waiting;
    QHash<Watch *, std::shared_ptr<Watch>> m_watches;
};

} // namespace fulcrum
