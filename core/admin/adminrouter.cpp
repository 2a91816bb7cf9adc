#include "adminrouter.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QTcpSocket>
#include <QUrl>

namespace fulcrum {

namespace {

constexpr qsizetype kMaxNearRoutes = 4;   // a 404 lists the routes next to the path up to this many

bool isCapture(const QString &segment)
{
    return segment.size() > 2 && segment.startsWith(u'{') && segment.endsWith(u'}');
}

} // namespace

void AdminRequest::setTarget(QByteArrayView target)
{
    const qsizetype q = target.indexOf('?');
    query = q < 0 ? QUrlQuery() : QUrlQuery(QString::fromUtf8(target.sliced(q + 1)));
    path.clear();
    // Split first, decode each segment then: an encoded slash (%2F) stays inside its segment.
    for (const QByteArray &segment : (q < 0 ? target : target.first(q)).toByteArray().split('/')) {
        if (!segment.isEmpty())
            path.append(QUrl::fromPercentEncoding(segment));
    }
}

AdminReply AdminReply::json(int status, const QJsonObject &object)
{
    return AdminReply{status, QJsonDocument(object).toJson(QJsonDocument::Compact) + '\n', "application/json", {}};
}

AdminReply AdminReply::error(int status, const QString &message, const QString &field)
{
    QJsonObject o{{QStringLiteral("error"), message}};
    if (!field.isEmpty())
        o.insert(QStringLiteral("field"), field);
    return json(status, o);
}

QTcpSocket *AdminResponder::connection() const
{
    return m_connection.data();
}

void AdminRouter::add(QByteArrayView method, QByteArrayView pattern, Handler handler)
{
    addDeferred(method, pattern, [handler = std::move(handler)](const AdminRequest &request, const AdminResponder &responder) {
        responder.reply(handler(request));
    });
}

void AdminRouter::addDeferred(QByteArrayView method, QByteArrayView pattern, DeferredHandler handler)
{
    Route route{method.toByteArray(), {}, std::move(handler)};
    for (const QByteArray &segment : pattern.toByteArray().split('/')) {
        if (!segment.isEmpty())
            route.pattern.append(QString::fromLatin1(segment));
    }
    m_routes.push_back(std::move(route));
}

qsizetype AdminRouter::sharedSegments(const QStringList &pattern, const QStringList &path)
{
    qsizetype n = 0;
    while (n < pattern.size() && n < path.size() && (isCapture(pattern[n]) || pattern[n] == path[n]))
        ++n;
    return n;
}

void AdminRouter::route(AdminRequest &request, const AdminResponder &responder) const
{
    QStringList allowed;
    for (const Route &route : m_routes) {
        if (route.pattern.size() != request.path.size() || sharedSegments(route.pattern, request.path) != request.path.size())
            continue;
        if (route.method != request.method) {
            if (!allowed.contains(QString::fromLatin1(route.method)))
                allowed.append(QString::fromLatin1(route.method));
            continue;
        }
        request.captures.clear();
        for (qsizetype i = 0; i < route.pattern.size(); ++i) {
            if (isCapture(route.pattern[i]))
                request.captures.insert(route.pattern[i].mid(1, route.pattern[i].size() - 2), request.path[i]);
        }
        route.handler(request, responder);
        return;
    }
    if (allowed.isEmpty()) {
        responder.reply(notFound(request.path));
        return;
    }
    AdminReply reply = AdminReply::error(405, QStringLiteral("/%1 only answers %2").arg(request.path.join(u'/'), allowed.join(QStringLiteral(", "))));
    reply.extraHeaders = "Allow: " + allowed.join(QStringLiteral(", ")).toLatin1() + "\r\n";
    responder.reply(reply);
}

AdminReply AdminRouter::notFound(const QStringList &path) const
{
    // The routes that go on from the longest start this path shares with any: a mistyped
    // "/api/v1/pools/web/x" is shown a pool's paths.
    qsizetype longest = 0;
    for (const Route &route : m_routes)
        longest = std::max(longest, sharedSegments(route.pattern, path));
    QStringList near;
    for (const Route &route : m_routes) {
        const QString pattern = u'/' + route.pattern.join(u'/');
        if (longest > 0 && route.pattern.size() > longest && sharedSegments(route.pattern, path) == longest && !near.contains(pattern))
            near.append(pattern);
    }
    const QString asked = u'/' + path.join(u'/');
    if (!near.isEmpty() && near.size() <= kMaxNearRoutes)
        return AdminReply::error(404, QStringLiteral("no such path \"%1\"; next to it: %2 (see docs/admin-api.md)").arg(asked, near.join(QStringLiteral(", "))));
    if (path.size() < 2 || path[0] != u"api" || path[1] != u"v1")
        return AdminReply::error(404, QStringLiteral("no such path \"%1\"; the API is under /api/v1 (see docs/admin-api.md)").arg(asked));
    return AdminReply::error(404, QStringLiteral("no such path \"%1\"; see docs/admin-api.md").arg(asked));
}

} // namespace fulcrum
