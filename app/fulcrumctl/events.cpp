// fulcrumctl events: what a running fulcrumd reported (reloads, health changes, operator
// actions), once or followed live over its Server-Sent Events stream.
#include "command.h"
#include "ctlengine.h"

#include "admin/adminjson.h"

#include <QJsonArray>
#include <QJsonDocument>

namespace {

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
    parser.addOptions({followOption, limitOption, jsonOption});
    parser.addHelpOption();
    if (!parser.parse(QStringList{QStringLiteral("fulcrumctl events")} + arguments)) {
        ctlErr(QStringLiteral("fulcrumctl events: %1\n").arg(parser.errorText()));
        return EngineUsage;
    }
    if (parser.isSet(QStringLiteral("help"))) {
        ctlOut(parser.helpText());
        return EngineOk;
    }
    bool ok = false;
    const int limit = parser.value(limitOption).toInt(&ok);
    if (!parser.isSet(engine.engine) || !parser.positionalArguments().isEmpty() || !ok || limit < 1 || limit > 100'000) {
        ctlErr(QStringLiteral("fulcrumctl events: usage: fulcrumctl events --engine URL [--token-file PATH] [--limit 1..100000] [--follow] [--json]\n"));
        return EngineUsage;
    }
    const auto client = CtlEngineClient::fromParser(parser, engine, QStringLiteral("events"));
    if (!client)
        return EngineUsage;
    const bool json = parser.isSet(jsonOption);
    auto print = [json](const QJsonObject &e) {
        ctlOut(json ? QString::fromUtf8(QJsonDocument(e).toJson(QJsonDocument::Compact)) + u'\n' : eventLine(e));
    };
    const CtlEngineReply reply = client->request("GET", QStringLiteral("/api/v1/events?limit=%1").arg(limit));
    if (reply.status != 200)
        return ctlEngineFailure(QStringLiteral("events"), reply);
    for (const QJsonValue &v : reply.json.value(QStringLiteral("events")).toArray())
        print(v.toObject());
    if (!parser.isSet(followOption))
        return EngineOk;
    return client->stream(QStringLiteral("/api/v1/stream"), [&print](const QByteArray &type, const QByteArray &data) {
        if (type == "event")
            print(QJsonDocument::fromJson(data).object());
    });
}

} // namespace

FULCRUM_CTL_COMMAND(events, "events", "print a running fulcrumd's events; --follow streams them", events);
