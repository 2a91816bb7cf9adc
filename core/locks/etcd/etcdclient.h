#pragma once

#include <QByteArray>
#include <QJsonObject>
#include <QObject>
#include <QPointer>
#include <QSslConfiguration>
#include <QString>
#include <QStringList>

#include <deque>
#include <functional>

class QNetworkAccessManager;
class QNetworkReply;

namespace fulcrum {

// One answer of etcd's JSON gateway. `ok` false with `transport` true: no member answered
// (connection refused, timeout, TLS); with `transport` false: etcd answered with a gRPC error.
struct EtcdReply
{
    bool ok = false;
    bool transport = false;
    int code = 0;                   // gRPC status code of an etcd error (5 not found, 16 unauthenticated, ...)
    QString error;                  // one line for a person, naming the member
    QJsonObject json;
    QString member;                 // the member URL that answered (or failed last)
};

// etcd's v3 API through the JSON gateway of etcd 3.4 (POST /v3/...: keys and values base64,
// 64-bit numbers as strings) over Qt Network. Several members: a request that cannot reach one
// goes to the next, and the client stays on the member that answered. User/password auth: the
// token is fetched before the first request and again when etcd says it is invalid or expired.
// No request waits for another: callers keep several in flight (Qt opens up to six
// connections per member).
class EtcdWatchStream;

class EtcdClient : public QObject
{
    Q_OBJECT
public:
    struct Options
    {
        QStringList endpoints;      // http://host:port or https://host:port, in the order tried
        QString user;               // empty: no auth
        QByteArray password;
        QString caFile;             // https: the CA that signed the members' certificates
        QString certFile;           // https: optional client certificate and its key
        QString keyFile;
        int timeoutMs = 5000;       // per request and member
    };

    explicit EtcdClient(Options options, QObject *parent = nullptr);
    ~EtcdClient() override;

    // False with `error` when the TLS files cannot be read (named with the fix).
    bool isUsable(QString *error) const;
    QString currentMember() const;
    const Options &options() const { return m_options; }

    // POST `path` (e.g. "/v3/kv/range") with `body`; `done` runs once on this thread unless
    // `context` is gone by then.
    void call(const QString &path, const QJsonObject &body, QObject *context, std::function<void(const EtcdReply &)> done);

    // Opens etcd's watch stream (POST /v3/watch, kept open) on the member that answered last,
    // sends `requests` (create_request objects), and hands each answer on as it arrives. Owned
    // by `parent`; deleting it ends the stream. An expired token is renewed once.
    EtcdWatchStream *watch(const QList<QJsonObject> &requests, QObject *parent);

    static QString base64(const QByteArray &bytes);
    static QByteArray unbase64(const QJsonValue &value);
    static qint64 integer(const QJsonValue &value);     // "123" or 123; absent = 0
    // The end of a prefix range: the prefix with its last byte below 0xff incremented
    // ("\0" when every byte is 0xff: the rest of the keyspace).
    static QByteArray prefixEnd(const QByteArray &prefix);

private:
    friend class EtcdWatchStream;
    QNetworkReply *postBytes(int member, const QString &path, const QByteArray &body, bool withToken, int timeoutMs);
    // Runs `then` once a token is there (at once without auth); `then(false, error)` when none comes.
    void withToken(QObject *context, std::function<void(bool ok, const QString &error)> then, bool renew);

    struct Call
    {
        QString path;
        QJsonObject body;
        QPointer<QObject> context;
        bool hasContext = false;
        std::function<void(const EtcdReply &)> done;
        int member = 0;                 // the member this call is at
        int membersTried = 0;
        QStringList memberErrors;       // why each member tried did not answer
        bool reauthenticated = false;
    };

    void send(std::shared_ptr<Call> call);
    void authenticate();
    void finish(const std::shared_ptr<Call> &call, const EtcdReply &reply);
    EtcdReply readReply(QNetworkReply *reply, int member) const;
    QNetworkReply *post(int member, const QString &path, const QJsonObject &body, bool withToken);
    QString memberUrl(int member) const;

    Options m_options;
    QNetworkAccessManager *m_network = nullptr;
    QSslConfiguration m_ssl;
    QString m_tlsError;
    int m_member = 0;               // where the next call starts: the member that answered last
    QByteArray m_token;
    bool m_authenticating = false;
    std::deque<std::shared_ptr<Call>> m_waitingForToken;
};

// One watch stream of etcd's JSON gateway: each message etcd writes ({"result": {...}},
// newline-delimited) is handed on as `result`; the stream ends once (`ended`), by a lost
// connection, an error message of etcd's, or the member closing it.
class EtcdWatchStream : public QObject
{
    Q_OBJECT
public:
    ~EtcdWatchStream() override;
    QString member() const { return m_member; }

Q_SIGNALS:
    void result(const QJsonObject &result);
    void ended(const QString &why);

private:
    friend class EtcdClient;
    EtcdWatchStream(EtcdClient *client, QByteArray body, QObject *parent);
    void start(bool renewedToken);
    void readMore();
    void end(const QString &why);

    QPointer<EtcdClient> m_client;
    QByteArray m_body;
    QPointer<QNetworkReply> m_reply;
    QByteArray m_buffer;
    QString m_member;
    bool m_ended = false;
    bool m_answered = false;
};

} // namespace fulcrum
