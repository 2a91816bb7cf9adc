#pragma once

#include <QByteArray>
#include <QHash>
#include <QPointer>
#include <QString>
#include <QStringList>
#include <QUrlQuery>

#include <functional>
#include <vector>

class QJsonObject;
class QTcpSocket;

namespace fulcrum {

// One admin API request as a handler sees it: the token checked, the body complete.
struct AdminRequest
{
    QByteArray method;
    QStringList path;        // percent-decoded segments, empty ones dropped: "/api//v1/" is {api, v1}
    QUrlQuery query;
    QByteArray body;
    bool readOnly = false;   // authenticated with the read-only token
    QString user;            // who, for the audit log (X-Fulcrum-User)
    QString origin;          // "admin-api <peer address>", for the audit log
    QHash<QString, QString> captures;   // the route's {name} segments, set by the router

    // Path and query from a request target such as "/api/v1/pools/web?limit=5".
    void setTarget(QByteArrayView target);
    QString capture(const char *name) const { return captures.value(QString::fromLatin1(name)); }
};

// An answer: JSON as a rule, a report file or metrics text otherwise.
struct AdminReply
{
    int status = 200;
    QByteArray body;
    QByteArray contentType = "application/json";
    QByteArray extraHeaders;   // whole header lines, each ending in CRLF

    static AdminReply json(int status, const QJsonObject &object);
    // {"error": message, "field": field}; field (left out when empty) names the input that was wrong.
    static AdminReply error(int status, const QString &message, const QString &field = QString());
};

// How a handler answers, at once or later (when the engine or a worker thread is done), and
// once: with a reply, or by turning the connection into an event stream. A reply to a client
// that has hung up goes nowhere.
class AdminResponder
{
public:
    using Send = std::function<void(const AdminReply &reply)>;
    using OpenStream = std::function<QTcpSocket *()>;

    AdminResponder(QPointer<QTcpSocket> connection, Send send, OpenStream openStream)
        : m_connection(std::move(connection)), m_send(std::move(send)), m_openStream(std::move(openStream)) {}

    void reply(const AdminReply &reply) const { m_send(reply); }
    // Sends the head of a text/event-stream answer and hands the connection over: the caller
    // writes the events. Null when the client is gone.
    QTcpSocket *openEventStream() const { return m_openStream(); }
    // The client's connection while it is open, null once it hung up.
    QTcpSocket *connection() const;

private:
    QPointer<QTcpSocket> m_connection;
    Send m_send;
    OpenStream m_openStream;
};

// Method + path pattern → handler. A pattern is literal segments and {name} captures, one
// segment each: "/api/v1/pools/{pool}/servers/{server}". The first route added that matches
// method and path answers; a path no route has is a 404 that points at the routes nearest to
// it, a path that routes have for other methods only a 405 with Allow.
class AdminRouter
{
public:
    using Handler = std::function<AdminReply(const AdminRequest &request)>;
    using DeferredHandler = std::function<void(const AdminRequest &request, const AdminResponder &responder)>;

    // A handler that answers at once.
    void add(QByteArrayView method, QByteArrayView pattern, Handler handler);
    // A handler that answers through the responder, now or later.
    void addDeferred(QByteArrayView method, QByteArrayView pattern, DeferredHandler handler);

    // Sets request.captures and runs the route's handler, or answers 404 or 405.
    void route(AdminRequest &request, const AdminResponder &responder) const;

private:
    struct Route
    {
        QByteArray method;
        QStringList pattern;
        DeferredHandler handler;
    };

    // How many leading segments of path the pattern matches (at most the pattern's length).
    static qsizetype sharedSegments(const QStringList &pattern, const QStringList &path);
    AdminReply notFound(const QStringList &path) const;

    std::vector<Route> m_routes;
};

} // namespace fulcrum
