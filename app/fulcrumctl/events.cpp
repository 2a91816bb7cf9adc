// fulcrumctl events: what a running fulcrumd reported (reloads, health changes, operator
// actions), once or followed live over its Server-Sent Events stream.
#include "command.h"
#include "ctlengine.h"

#include "admin/adminjson.h"
#include "common/duration.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QSet>

namespace {

constexpr int kCatchUpEvents = 1000;   // the engine's list read after a gap in the stream

QString eventLine(const QJsonObject &json)
{
    const fulcrum::EngineEvent e = fulcrum::engineEventFromJson(json);
    return QStringLiteral("%1 %2 [%3] %4\n").arg(e.time.toString(Qt::ISODateWithMs), fulcrum::EngineEvent::severityName(e.severity), e.source, e.text);
}

int events(const QStringList &arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Print a running fulcrumd's recent events; --follow keeps printing new ones as they happen."));
    const CtlEngineOptions engine;
    engine.addTo(parser);
    const QCommandLineOption followOption(QStringLiteral("follow"), QStringLiteral("Keep printing new events (Ctrl-C ends)."));
    const QCommandLineOption limitOption(QStringLiteral("limit"), QStringLiteral("How many recent events (default 50)."), QStringLiteral("N"), QStringLiteral("50"));
    const QCommandLineOption jsonOption(QStringLiteral("json"), QStringLiteral("One JSON object per line."));
    const QCommandLineOption sinceOption(QStringLiteral("since"), QStringLiteral("Only the events of the last DURATION (15m, 1h, 24h); all the engine keeps of them (up to 1000) unless --limit."),
                                         QStringLiteral("DURATION"));
    const QCommandLineOption severityOption(QStringLiteral("severity"), QStringLiteral("warning: warnings and errors only; error: errors only (the list and --follow)."),
                                            QStringLiteral("LEVEL"));
    parser.addOptions({followOption, limitOption, sinceOption, severityOption, jsonOption});
    parser.addHelpOption();
    if (!parser.parse(QStringList{QStringLiteral("fulcrumctl events")} + arguments)) {
        ctlErr(QStringLiteral("fulcrumctl events: %1\n").arg(parser.errorText()));
        return EngineUsage;
    }
    if (parser.isSet(QStringLiteral("help"))) {
        ctlOut(ctlHelpText(parser, QStringLiteral("fulcrumctl events")));
        return EngineOk;
    }
    // --since without --limit: every event of the window the engine still has.
    const bool wholeWindow = parser.isSet(sinceOption) && !parser.isSet(limitOption);
    bool ok = wholeWindow;
    const int limit = wholeWindow ? 100'000 : parser.value(limitOption).toInt(&ok);
    if (!parser.isSet(engine.engine) || !parser.positionalArguments().isEmpty() || !ok || limit < 1 || limit > 100'000) {
        ctlErr(QStringLiteral("fulcrumctl events: usage: fulcrumctl events --engine URL [--token-file PATH] [--limit 1..100000] [--since 15m] "
                              "[--severity warning|error] [--follow] [--json]\n"));
        return EngineUsage;
    }
    const QString since = parser.value(sinceOption);
    if (parser.isSet(sinceOption) && (!fulcrum::parseDurationMs(since) || *fulcrum::parseDurationMs(since) <= 0)) {
        ctlErr(QStringLiteral("fulcrumctl events: --since \"%1\" is not a duration (15m, 1h, 24h)\n").arg(since));
        return EngineUsage;
    }
    const QString severity = parser.value(severityOption);
    const std::optional<fulcrum::EngineEvent::Severity> least =
        parser.isSet(severityOption) ? fulcrum::EngineEvent::parseSeverity(severity) : std::optional(fulcrum::EngineEvent::Info);
    if (!least) {
        ctlErr(QStringLiteral("fulcrumctl events: --severity \"%1\" must be warning (warnings and errors), error or info\n").arg(severity));
        return EngineUsage;
    }
    const auto client = CtlEngineClient::fromParser(parser, engine, QStringLiteral("events"));
    if (!client)
        return EngineUsage;
    const bool json = parser.isSet(jsonOption);
    // Each event once, in order: the engine's list and the stream overlap after a gap, and
    // events come newest last with their time (ms), so what is older than the newest printed,
    // or the same as one printed at that time, was printed already.
    QString newest;
    QSet<QByteArray> atNewest;
    auto print = [&](const QJsonObject &e) {
        if (fulcrum::engineEventFromJson(e).severity < *least)   // the stream sends every event
            return;
        const QString time = e.value(QStringLiteral("time")).toString();
        const QByteArray line = QJsonDocument(e).toJson(QJsonDocument::Compact);
        if (!newest.isEmpty() && (time < newest || (time == newest && atNewest.contains(line))))
            return;
        if (time != newest) {
            newest = time;
            atNewest.clear();
        }
        atNewest.insert(line);
        ctlOut(json ? QString::fromUtf8(line) + u'\n' : eventLine(e));
    };
    auto printList = [&](int count, const QString &window) {
        QString path = QStringLiteral("/api/v1/events?limit=%1").arg(count);
        if (!window.isEmpty())
            path += QStringLiteral("&since=") + window;
        if (*least > fulcrum::EngineEvent::Info)
            path += QStringLiteral("&severity=") + severity;
        const CtlEngineReply reply = client->request("GET", path);
        for (const QJsonValue &v : reply.json.value(QStringLiteral("events")).toArray())
            print(v.toObject());
        return reply;
    };
    const CtlEngineReply reply = printList(limit, since);
    if (reply.status != 200)
        return ctlEngineFailure(QStringLiteral("events"), reply);
    if (reply.json.value(QStringLiteral("events")).toArray().isEmpty() && !json)   // an empty screen says nothing at 3 a.m.
        ctlErr(QStringLiteral("no %1event%2 (the engine keeps its last 1000)\n")
                   .arg(*least == fulcrum::EngineEvent::Error ? QStringLiteral("error ") : *least == fulcrum::EngineEvent::Warning ? QStringLiteral("warning or error ") : QString(),
                        since.isEmpty() ? QString() : QStringLiteral(" in the last ") + since));
    if (!parser.isSet(followOption))
        return EngineOk;
    // Each time the stream answers (after a restart of the engine, a cut connection): what
    // happened since the newest printed, from the engine's list, then the stream again.
    return client->follow(QStringLiteral("events"), [&print](const QByteArray &type, const QByteArray &data) {
        if (type == "event")
            print(QJsonDocument::fromJson(data).object());
    }, [&printList] { printList(kCatchUpEvents, QString()); });
}

} // namespace

FULCRUM_CTL_COMMAND(events, "events", "print a running fulcrumd's events; --follow streams them", events);
