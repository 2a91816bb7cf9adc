#pragma once

#include <QCommandLineOption>
#include <QCommandLineParser>
#include <QJsonObject>
#include <QList>
#include <QPair>

#include "admin/adminclient.h"

#include <functional>
#include <optional>

namespace fulcrum {
struct LockInfo;
}

// A lock row's HOLDER cell, the same in every lock table: the holder, Redisson's reentrancy
// and mode, the holder's own text ("[pid 4242 on db1]") and how many wait.
QString holderColumn(const fulcrum::LockInfo &info);
// What stands for a holder the row does not name: "(empty value)" for a Redis key set to "".
QString emptyHolderText(const fulcrum::LockInfo &lock);

// Options every command that talks to a running fulcrumd's admin API shares. The token comes
// from --token-file (0600), FULCRUM_TOKEN or the keychain entry "fulcrumd:URL" (the console's
// too; `fulcrumctl secret set --engine URL`), in that order; never from the command line.
struct CtlEngineOptions
{
    QCommandLineOption engine{QStringLiteral("engine"), QStringLiteral("Admin API of a running fulcrumd, e.g. http://127.0.0.1:9900, or "
                                                                       "https://host:9900?ca=PATH (also cert=PATH&key=PATH for a client certificate, "
                                                                       "pin=sha256:FINGERPRINT to trust one certificate)."), QStringLiteral("URL")};
    QCommandLineOption tokenFile{QStringLiteral("token-file"), QStringLiteral("Read the admin token from this file (mode 0600); default: FULCRUM_TOKEN, then the keychain entry of the URL."), QStringLiteral("PATH")};

    void addTo(QCommandLineParser &parser) const { parser.addOptions({engine, tokenFile}); }
};

// Exit statuses of the engine commands (docs/admin-api.md).
// EngineUnsafe: the change would take a pool out of service (or below --min-capacity) and was
// not confirmed (--yes, or "y" at a terminal); nothing was sent.
// EngineStillBusy: `set-state drain|maint --wait` timed out with requests still in flight.
enum CtlEngineExit { EngineOk = 0, EngineRefused = 1, EngineUsage = 2, EngineNotHolder = 3, EngineUnreachable = 4, EngineUnsafe = 5, EngineStillBusy = 6 };

struct CtlEngineReply
{
    int status = 0;             // HTTP status; 0 when the engine was not reached
    QJsonObject json;
    QByteArray body;
    QString error;              // transport or token problem, for a person
    QList<QPair<QByteArray, QByteArray>> headers;

    QByteArray header(const QByteArray &name) const;
};

// Resolves --engine and the token; on failure prints the problem and returns nullopt.
struct CtlEngineClient
{
    fulcrum::AdminClient admin;  // the one admin client: token, TLS, error texts
    QString baseUrl;             // http(s)://host:port, for messages

    static std::optional<CtlEngineClient> fromParser(const QCommandLineParser &parser, const CtlEngineOptions &options, const QString &command);
    // One blocking request (body: JSON or empty; path may carry a query).
    CtlEngineReply request(const QByteArray &method, const QString &path, const QJsonObject &body = {}, int timeoutMs = 10'000) const;
    // Follows the engine's event stream (GET /api/v1/stream, the shared client's
    // AdminEventStream) until the engine refuses it or Ctrl-C: a lost connection is said on
    // stderr and made again (0.5 s doubling to 15 s). `onOpened` runs each time the stream
    // answers (the first time too), to catch up on what the stream does not carry across a gap;
    // messages that arrive meanwhile wait for it. Returns the exit status of the refusal.
    int follow(const QString &command, const std::function<void(const QByteArray &, const QByteArray &)> &onEvent,
               const std::function<void()> &onOpened = {}) const;
};

// Prints the engine's error ("fulcrumctl CMD: 404: pool "x" does not exist ...") and returns
// the exit status for it.
int ctlEngineFailure(const QString &command, const CtlEngineReply &reply);

// `locks list|release` against an engine instead of a Redis URL.
int ctlEngineLocksList(const QStringList &arguments);
int ctlEngineLocksRelease(const QStringList &arguments);
int ctlEngineLocksShow(const QStringList &arguments);
// `locks notifications enable --endpoint NAME --engine URL`.
int ctlEngineLocksNotifications(const QStringList &arguments);
// One lock whole, for `locks show`: holder, session, TTL, flags, every waiter, details.
QString lockDetailText(const fulcrum::LockInfo &lock);
