#include "ctlengine.h"

#include "admin/adminjson.h"
#include "common/bytestext.h"
#include "common/duration.h"
#include "common/wallclock.h"

#include "command.h"
#include "ctltable.h"

#include "engine/auditlog.h"
#include "engine/remoteenginelink.h"
#include "link/enginekinds.h"
#include "locks/lockinfo.h"
#ifdef FULCRUM_HAVE_KEYCHAIN
#include "keychain/keychainsecretstore.h"
#endif
#include "locks/secretstore.h"

#include <QEventLoop>
#include <QJsonArray>
#include <QJsonDocument>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QTimer>
#include <QUrl>

using namespace fulcrum;

QByteArray CtlEngineReply::header(const QByteArray &name) const
{
    for (const auto &[key, value] : headers) {
        if (key.compare(name, Qt::CaseInsensitive) == 0)
            return value;
    }
    return {};
}

std::optional<CtlEngineClient> CtlEngineClient::fromParser(const QCommandLineParser &parser, const CtlEngineOptions &options, const QString &command)
{
    CtlEngineClient client;
    QString why;
    const std::optional<AdminAddress> address = AdminAddress::parse(parser.value(options.engine), &why);
    if (!address) {
        ctlErr(QStringLiteral("fulcrumctl %1: --engine: %2\n").arg(command, why));
        return std::nullopt;
    }
    client.baseUrl = address->url.toString();
#ifdef FULCRUM_HAVE_KEYCHAIN
    KeychainSecretStore keychain;
    SecretStore *store = &keychain;
#else
    SecretStore *store = nullptr;
#endif
    // A bare URL is the registry's fulcrumd: its token from --token-file, FULCRUM_TOKEN or the keychain.
    const std::optional<EngineKinds::Spelled> engine = EngineKinds::parse(client.baseUrl, &why);
    const std::optional<QByteArray> token = engine ? EngineKinds::readSecret(*engine->kind, engine->address, parser.value(options.tokenFile), store, &why)
                                                   : std::nullopt;
    if (!token) {
        ctlErr(QStringLiteral("fulcrumctl %1: %2\n").arg(command, why));
        return std::nullopt;
    }
    client.admin = AdminClient(*address, token->trimmed());
    if (!client.admin.setupError().isEmpty()) {
        ctlErr(QStringLiteral("fulcrumctl %1: %2\n").arg(command, client.admin.setupError()));
        return std::nullopt;
    }
    return client;
}

CtlEngineReply CtlEngineClient::request(const QByteArray &method, const QString &path, const QJsonObject &body, int timeoutMs) const
{
    QNetworkAccessManager manager;
    QNetworkReply *reply = admin.send(manager, method, path, body);
    QEventLoop loop;
    QTimer::singleShot(timeoutMs, &loop, [reply] { reply->abort(); });
    QObject::connect(reply, &QNetworkReply::finished, &loop, &QEventLoop::quit);
    if (!reply->isFinished())
        loop.exec();
    CtlEngineReply out;
    out.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    out.body = reply->readAll();
    out.json = QJsonDocument::fromJson(out.body).object();
    out.headers = reply->rawHeaderPairs();
    if (out.status == 0)
        out.error = QStringLiteral("cannot reach the engine: ") + admin.transportError(reply);
    delete reply;
    return out;
}

int CtlEngineClient::follow(const QString &command, const std::function<void(const QByteArray &, const QByteArray &)> &onEvent,
                            const std::function<void()> &onOpened) const
{
    QNetworkAccessManager manager;
    AdminEventStream::Options options;
    options.retryRefusals = false;   // a refused token or a URL that is no fulcrumd: say so and end
    AdminEventStream stream(admin, &manager, options);
    QEventLoop loop;
    int exitStatus = EngineOk;
    bool lost = false;
    bool catchingUp = false;
    QList<QPair<QByteArray, QByteArray>> waiting;   // messages that came while catching up
    QObject::connect(&stream, &AdminEventStream::opened, &loop, [&] {
        if (lost)
            ctlErr(QStringLiteral("fulcrumctl %1: the stream from %2 answers again\n").arg(command, baseUrl));
        lost = false;
        if (!onOpened)
            return;
        // Not from inside the stream's own read: the catch-up waits for a request of its own.
        catchingUp = true;
        QMetaObject::invokeMethod(&loop, [&] {
            onOpened();
            catchingUp = false;
            for (const auto &[type, data] : std::exchange(waiting, {}))
                onEvent(type, data);
        }, Qt::QueuedConnection);
    });
    QObject::connect(&stream, &AdminEventStream::message, &loop, [&](const QByteArray &type, const QByteArray &data) {
        if (catchingUp)
            waiting.append({type, data});
        else
            onEvent(type, data);
    });
    QObject::connect(&stream, &AdminEventStream::lost, &loop, [&](const QString &why, int status, int retryInMs) {
        if (retryInMs < 0) {
            ctlErr(QStringLiteral("fulcrumctl %1: %2\n").arg(command, why));
            exitStatus = status == 0 || status == 401 || status == 403 ? EngineUnreachable : EngineRefused;
            loop.quit();
            return;
        }
        lost = true;
        ctlErr(QStringLiteral("fulcrumctl %1: %2; reconnecting in %3 s\n").arg(command, why).arg(double(retryInMs) / 1000.0, 0, 'f', 1));
    });
    stream.start();
    loop.exec();
    return exitStatus;
}

int ctlEngineFailure(const QString &command, const CtlEngineReply &reply)
{
    if (reply.status == 0) {
        ctlErr(QStringLiteral("fulcrumctl %1: %2\n").arg(command, reply.error));
        return EngineUnreachable;
    }
    const QString message = reply.json.value(QStringLiteral("error")).toString(QString::fromUtf8(reply.body).trimmed());
    ctlErr(QStringLiteral("fulcrumctl %1: engine answered %2: %3\n").arg(command).arg(reply.status).arg(message));
    if (reply.status == 401 || reply.status == 403)
        return EngineUnreachable;
    return reply.status == 409 ? EngineNotHolder : EngineRefused;
}

// One change of `locks list --follow`, on one line: key, recipe, holder, TTL, waiters, how long
// the engine has seen it held, flags.
static QString lockLine(const LockInfo &lock)
{
    QString line = QStringLiteral("%1  %2  holder %3").arg(lock.displayKey(), lock.kind, lock.displayHolder());
    if (!lock.holderText.isEmpty())
        line += QStringLiteral(" [%1]").arg(lock.holderText);
    if (lock.ttlMs >= 0)
        line += QStringLiteral("  ttl %1").arg(formatDurationMs(lock.ttlMs));
    if (!lock.waiters.isEmpty())
        line += QStringLiteral("  %1 waiting").arg(lock.waiters.size());
    line += QStringLiteral("  held for %1").arg(formatDurationMs(lock.heldForMs));
    if (const QStringList flags = lock.flagNames(); !flags.isEmpty())
        line += QStringLiteral("  %1").arg(flags.join(u','));
    return line;
}

// An endpoint's feed in a few words: "live (42 change notifications)", "polling".
static QString feedSummary(const LockFeedState &feed)
{
    if (feed.mode == LockFeedState::Live)
        return QStringLiteral("live (%1 change notifications)").arg(feed.eventsApplied);
    return lockFeedModeName(feed.mode);
}

// Why, and what would make it live, on lines of their own under the endpoint's line (on its
// line they made it several screen widths long).
static QString feedDetails(const LockFeedState &feed, const QString &endpoint, const QString &engineUrl)
{
    QString text;
    if (!feed.why.isEmpty())
        text += QStringLiteral("  %1: %2\n").arg(feed.mode == LockFeedState::Live ? QStringLiteral("note") : QStringLiteral("why"), feed.why);
    if (feed.canEnable)
        text += QStringLiteral("  to follow it live: fulcrumctl locks notifications enable --endpoint %1 --engine %2 (turns on %3)\n")
                    .arg(endpoint, engineUrl, feed.needs);
    return text;
}

// What the pass did not show, under the endpoint's table as the console says it above its own:
// the endpoint's notes, then up to 10 keys (those that could not be read first), then how many more.
static QString notesText(const LockScanResult &result)
{
    QString text;
    constexpr qsizetype shownKeys = 10;
    qsizetype keys = 0;
    for (const LockScanNote &note : notesInReadingOrder(result.notes)) {
        if (note.key.isEmpty())
            text += QStringLiteral("  note: %1\n").arg(note.text);
        else if (keys++ < shownKeys)
            text += QStringLiteral("  not shown: %1: %2\n").arg(escapeBytes(note.key), note.text);
    }
    const qint64 more = std::max<qsizetype>(0, keys - shownKeys) + result.notesOmitted;
    if (more > 0)
        text += QStringLiteral("  not shown: %1 more key(s) (--json lists the first %2)\n").arg(more).arg(maxNotesPerPass);
    return text;
}

int ctlEngineLocksList(const QStringList &arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("List the locks a running fulcrumd sees on its lock endpoints, any backend (its last poll)."));
    const CtlEngineOptions engine;
    engine.addTo(parser);
    const QCommandLineOption endpointOption(QStringLiteral("endpoint"), QStringLiteral("Only this lock endpoint (its name in the config)."), QStringLiteral("NAME"));
    const QCommandLineOption jsonOption(QStringLiteral("json"), QStringLiteral("Print the engine's JSON."));
    const QCommandLineOption followOption(QStringLiteral("follow"), QStringLiteral("Then print each change as it reaches the engine (live endpoints: as Redis announces it; "
                                                                                 "polled ones: each pass); with --json one JSON object per line. Ctrl-C ends."));
    parser.addOptions({endpointOption, jsonOption, followOption});
    parser.addHelpOption();
    if (!parser.parse(QStringList{QStringLiteral("fulcrumctl locks list")} + arguments) || !parser.positionalArguments().isEmpty()) {
        ctlErr(QStringLiteral("fulcrumctl locks list: %1\n").arg(parser.errorText().isEmpty() ? QStringLiteral("no arguments besides options") : parser.errorText()));
        return EngineUsage;
    }
    const auto client = CtlEngineClient::fromParser(parser, engine, QStringLiteral("locks list"));
    if (!client)
        return EngineUsage;
    const QString path = parser.isSet(endpointOption) ? QStringLiteral("/api/v1/locks/%1").arg(QString::fromUtf8(QUrl::toPercentEncoding(parser.value(endpointOption))))
                                                      : QStringLiteral("/api/v1/locks");
    const CtlEngineReply reply = client->request("GET", path);
    if (reply.status != 200)
        return ctlEngineFailure(QStringLiteral("locks list"), reply);
    if (parser.isSet(jsonOption)) {
        ctlOut(QString::fromUtf8(QJsonDocument(reply.json).toJson(QJsonDocument::Indented)));
        return EngineOk;
    }
    const QJsonArray endpoints = parser.isSet(endpointOption) ? QJsonArray{reply.json} : reply.json.value(QStringLiteral("endpoints")).toArray();
    // Nothing printed would read as "no locks held": say there is nothing to look at.
    if (endpoints.isEmpty()) {
        ctlOut(QStringLiteral("%1 watches no lock endpoint (its config has no \"redis\" or \"locks\" entries): nothing to list. "
                              "To read a lock store directly: fulcrumctl locks --redis URL (or --zookeeper, --etcd, --postgres, --mysql)\n")
                   .arg(client->baseUrl));
        return EngineOk;
    }
    for (const QJsonValue &v : endpoints) {
        const LockEndpointView e = lockEndpointFromJson(v.toObject());
        ctlOut(QStringLiteral("%1 (%2, %3): %4, %5 lock(s), %7%6\n").arg(e.name, e.backend, e.url, e.connectionState)
                   .arg(e.lastResult.locks.size())
                   .arg(e.lastError.isEmpty() ? QString() : QStringLiteral("; ") + e.lastError)
                   .arg(feedSummary(e.feed))
               + feedDetails(e.feed, e.name, client->baseUrl));
        if (!e.lastResult.locks.isEmpty()) {
            // HELD FOR is as long as the engine has seen the same holder: since its start at most.
            CtlTable table({2, 3}, QStringLiteral("  "));
            table.add({QStringLiteral("LOCK"), QStringLiteral("KIND"), QStringLiteral("TTL"), QStringLiteral("HELD FOR"), QStringLiteral("FLAGS"), QStringLiteral("HOLDER")});
            for (const LockInfo &lock : e.lastResult.locks) {
                table.add({lock.displayKey(), lock.kind, lock.ttlMs < 0 ? QStringLiteral("-") : formatDurationMs(lock.ttlMs), formatDurationMs(lock.heldForMs),
                           lock.flagNames().join(u','), holderColumn(lock)});
            }
            ctlOut(table.text());
        }
        ctlOut(notesText(e.lastResult));
    }
    if (!parser.isSet(followOption))
        return EngineOk;
    // --follow: every change as it reaches the engine, until the stream ends or Ctrl-C.
    const QString only = parser.value(endpointOption);
    // After a gap the engine sends every endpoint's table again ("full pass"): that is the resync.
    return client->follow(QStringLiteral("locks list"), [&](const QByteArray &type, const QByteArray &data) {
        if (type != "lock-changes" && type != "locks")
            return;
        const QJsonObject json = QJsonDocument::fromJson(data).object();
        const QString endpoint = json.value(type == "locks" ? QStringLiteral("name") : QStringLiteral("endpoint")).toString();
        if (!only.isEmpty() && endpoint != only)
            return;
        if (parser.isSet(jsonOption)) {
            ctlOut(QString::fromUtf8(QJsonDocument(QJsonObject{{QStringLiteral("event"), QString::fromLatin1(type)}, {QStringLiteral("data"), json}})
                                         .toJson(QJsonDocument::Compact)) + u'\n');
            return;
        }
        const QString now = wallclock::nowUtc().toLocalTime().toString(QStringLiteral("HH:mm:ss.zzz"));
        if (type == "locks") {
            const LockEndpointView table = lockEndpointFromJson(json);
            ctlOut(QStringLiteral("%1 %2: full pass: %3 lock(s), %4\n").arg(now, endpoint).arg(table.lastResult.locks.size()).arg(feedSummary(table.feed)));
            return;
        }
        const LockChangesMessage changes = lockChangesFromJson(json);
        for (const LockInfo &lock : changes.changes.upserted)
            ctlOut(QStringLiteral("%1 %2: + %3\n").arg(now, endpoint, lockLine(lock)));
        for (const QByteArray &key : changes.changes.removed)
            ctlOut(QStringLiteral("%1 %2: - %3\n").arg(now, endpoint, escapeBytes(key)));
    });
}

int ctlEngineLocksNotifications(const QStringList &arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "enable: turn on the keyspace notifications a live lock table follows, on the endpoint's server (Redis: CONFIG SET\n"
        "notify-keyspace-events, adding K and g$hxe to what is set; server-wide, audited by the engine). Fulcrum changes a\n"
        "server's settings only through this. Exit 0 enabled or already on; 1 refused (managed Redis: the message names the setting);\n"
        "4 engine unreachable."));
    const CtlEngineOptions engine;
    engine.addTo(parser);
    const QCommandLineOption endpointOption(QStringLiteral("endpoint"), QStringLiteral("Lock endpoint name in the engine's config."), QStringLiteral("NAME"));
    parser.addOption(endpointOption);
    parser.addPositionalArgument(QStringLiteral("enable"), QStringLiteral("The action."));
    parser.addHelpOption();
    if (!parser.parse(QStringList{QStringLiteral("fulcrumctl locks notifications")} + arguments) || parser.positionalArguments() != QStringList{QStringLiteral("enable")}
        || !parser.isSet(endpointOption) || !parser.isSet(engine.engine)) {
        ctlErr(QStringLiteral("fulcrumctl locks notifications: usage: fulcrumctl locks notifications enable --endpoint NAME --engine URL [--token-file PATH]\n"
                              "(through a running fulcrumd only: the engine audits the change and follows the notifications)\n"));
        return EngineUsage;
    }
    const auto client = CtlEngineClient::fromParser(parser, engine, QStringLiteral("locks notifications"));
    if (!client)
        return EngineUsage;
    const CtlEngineReply reply = client->request("POST", QStringLiteral("/api/v1/locks/%1/notifications/enable")
                                                             .arg(QString::fromUtf8(QUrl::toPercentEncoding(parser.value(endpointOption)))));
    if (reply.status != 200)
        return ctlEngineFailure(QStringLiteral("locks notifications enable"), reply);
    ctlOut(reply.json.value(QStringLiteral("message")).toString() + u'\n');
    return EngineOk;
}

int ctlEngineLocksRelease(const QStringList &arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Force-release LOCK through a running fulcrumd, only if HOLDER still holds it (audited by the engine); any backend.\n"
        "--ask asks the holder to release instead (ZooKeeper locks a Curator holder made revocable); --revoke revokes the\n"
        "holder's etcd lease (every key on it goes, and the holder learns its session is over).\n"
        "Exit 0 released; 3 the holder changed; 1 refused (gone, unknown endpoint); 4 engine unreachable or token refused."));
    const CtlEngineOptions engine;
    engine.addTo(parser);
    const QCommandLineOption endpointOption(QStringLiteral("endpoint"), QStringLiteral("Lock endpoint name in the engine's config."), QStringLiteral("NAME"));
    const QCommandLineOption holderOption(QStringLiteral("holder"), QStringLiteral("The holder shown by 'locks list'."), QStringLiteral("HOLDER"));
    const QCommandLineOption askOption(QStringLiteral("ask"), QStringLiteral("Ask the holder to release instead of deleting its lock."));
    const QCommandLineOption revokeOption(QStringLiteral("revoke"), QStringLiteral("Revoke the holder's session (etcd lease) instead of deleting its lock."));
    parser.addOptions({endpointOption, holderOption, askOption, revokeOption});
    parser.addPositionalArgument(QStringLiteral("LOCK"), QStringLiteral("Lock name (Redis key, ZooKeeper lock folder), escaped as 'locks list' prints it."));
    parser.addHelpOption();
    if (!parser.parse(QStringList{QStringLiteral("fulcrumctl locks release")} + arguments) || parser.positionalArguments().size() != 1
        || !parser.isSet(endpointOption) || !parser.isSet(holderOption)) {
        ctlErr(QStringLiteral("fulcrumctl locks release: usage: fulcrumctl locks release LOCK --holder HOLDER --endpoint NAME --engine URL [--token-file PATH] [--ask]\n"));
        return EngineUsage;
    }
    const auto client = CtlEngineClient::fromParser(parser, engine, QStringLiteral("locks release"));
    if (!client)
        return EngineUsage;
    const CtlEngineReply reply = client->request("POST", QStringLiteral("/api/v1/locks/%1/release").arg(QString::fromUtf8(QUrl::toPercentEncoding(parser.value(endpointOption)))),
                                                 QJsonObject{{QStringLiteral("key"), parser.positionalArguments().first()},
                                                             {QStringLiteral("holder"), parser.value(holderOption)},
                                                             {QStringLiteral("mode"), parser.isSet(askOption)      ? QStringLiteral("ask")
                                                                                     : parser.isSet(revokeOption) ? QStringLiteral("revoke")
                                                                                                                  : QStringLiteral("delete")}});
    if (reply.status != 200)
        return ctlEngineFailure(QStringLiteral("locks release"), reply);
    ctlOut(reply.json.value(QStringLiteral("message")).toString() + u'\n');
    return EngineOk;
}

QString emptyHolderText(const LockInfo &lock)
{
    // A Redis lock whose value is empty (SET key ""): held, by no one it names.
    return lock.backend.startsWith(u"redis") ? QStringLiteral("(empty value)") : QStringLiteral("-");
}

QString lockDetailText(const LockInfo &lock)
{
    auto time = [](const QDateTime &t) { return t.isValid() ? t.toUTC().toString(Qt::ISODate) : QStringLiteral("unknown"); };
    QString out = QStringLiteral("%1  (%2, %3)\n").arg(lock.displayKey(), lock.backend, lock.kind);
    out += QStringLiteral("holder   %1").arg(lock.holder.isEmpty() ? emptyHolderText(lock) : lock.displayHolder(400));
    if (!lock.holderText.isEmpty())
        out += QStringLiteral(" [%1]").arg(lock.holderText);
    out += u'\n';
    for (const QByteArray &h : lock.holders) {
        if (h != lock.holder)
            out += QStringLiteral("         also %1\n").arg(escapeBytes(h));
    }
    if (!lock.session.isEmpty() || !lock.clientAddress.isEmpty())
        out += QStringLiteral("session  %1  client %2\n").arg(lock.session.isEmpty() ? QStringLiteral("unknown") : lock.session,
                                                                lock.clientAddress.isEmpty() ? QStringLiteral("unknown") : lock.clientAddress);
    if (lock.acquiredAt.isValid())
        out += QStringLiteral("acquired %1 (the backend's clock)\n").arg(time(lock.acquiredAt));
    if (lock.ttlMs >= 0)
        out += QStringLiteral("ttl      %1\n").arg(formatDurationMs(lock.ttlMs));
    if (lock.heldForMs > 0)
        out += QStringLiteral("held     for %1 as observed\n").arg(formatDurationMs(lock.heldForMs));
    if (lock.flags)
        out += QStringLiteral("flags    %1\n").arg(lock.flagNames().join(u','));
    out += QStringLiteral("waiters  %1\n").arg(lock.waiters.size());
    int position = 0;
    for (const LockWaiter &w : lock.waiters) {
        out += QStringLiteral("  %1. %2").arg(++position).arg(escapeBytes(w.id));
        if (!w.who.isEmpty())
            out += QStringLiteral(" [%1]").arg(w.who);
        if (!w.session.isEmpty())
            out += QStringLiteral("  session %1").arg(w.session);
        if (w.queuedAt.isValid())
            out += QStringLiteral("  queued %1").arg(time(w.queuedAt));
        if (!w.note.isEmpty())
            out += QStringLiteral("  (%1)").arg(w.note);
        out += u'\n';
    }
    for (auto it = lock.details.begin(); it != lock.details.end(); ++it)
        out += QStringLiteral("%1: %2\n").arg(it.key(), it.value().isString() ? it.value().toString() : QString::number(it.value().toDouble(), 'g', 17));
    return out;
}

int ctlEngineLocksShow(const QStringList &arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Show one lock whole, read now by a running fulcrumd: holder, session, every waiter "
                                                    "(also those its passes list by name only), details."));
    const CtlEngineOptions engine;
    engine.addTo(parser);
    const QCommandLineOption endpointOption(QStringLiteral("endpoint"), QStringLiteral("Lock endpoint name in the engine's config."), QStringLiteral("NAME"));
    const QCommandLineOption jsonOption(QStringLiteral("json"), QStringLiteral("Print the engine's JSON."));
    parser.addOptions({endpointOption, jsonOption});
    parser.addPositionalArgument(QStringLiteral("LOCK"), QStringLiteral("Lock name, escaped as 'locks list' prints it."));
    parser.addHelpOption();
    if (!parser.parse(QStringList{QStringLiteral("fulcrumctl locks show")} + arguments) || parser.positionalArguments().size() != 1
        || !parser.isSet(endpointOption)) {
        ctlErr(QStringLiteral("fulcrumctl locks show: usage: fulcrumctl locks show LOCK --endpoint NAME --engine URL [--token-file PATH] [--json]\n"));
        return EngineUsage;
    }
    const auto client = CtlEngineClient::fromParser(parser, engine, QStringLiteral("locks show"));
    if (!client)
        return EngineUsage;
    const CtlEngineReply reply = client->request("GET", QStringLiteral("/api/v1/locks/%1/lock?key=%2")
                                                            .arg(QString::fromUtf8(QUrl::toPercentEncoding(parser.value(endpointOption))),
                                                                 QString::fromUtf8(QUrl::toPercentEncoding(parser.positionalArguments().first()))));
    if (reply.status != 200)
        return ctlEngineFailure(QStringLiteral("locks show"), reply);
    if (parser.isSet(jsonOption)) {
        ctlOut(QString::fromUtf8(QJsonDocument(reply.json.value(QStringLiteral("lock")).toObject()).toJson(QJsonDocument::Indented)));
        return EngineOk;
    }
    ctlOut(lockDetailText(LockInfo::fromJson(reply.json.value(QStringLiteral("lock")).toObject())));
    return EngineOk;
}
