#pragma once

#include "engine/inprocessenginelink.h"

#include <QByteArray>
#include <QList>
#include <QObject>
#include <QString>

#include <functional>
#include <memory>
#include <optional>

namespace fulcrum {

class SecretStore;

class Engine;
class EngineLink;
class ReportService;
struct EngineCapabilities;

// What the program that opens an engine lends it, the same for every kind: a kind reads what
// it needs and ignores the rest (an engine reached over the network needs none of it; the
// embedded engine, which runs inside the console, needs all of it).
struct EngineContext
{
    // Where an engine run inside this program keeps its state (each under a folder of its own).
    QString stateDir;
    // Makes the history (store, recorder, reports) of an engine run inside this program from
    // its state folder; unset: it keeps none, and Export report says why. The console installs
    // it (history and PDF are libraries above fulcrum_core).
    std::function<std::function<std::unique_ptr<ReportService>(Engine *)>(const QString &stateDir)> history;
    // The lock endpoints the operator saved (Settings → Locks), passwords already read from the
    // keychain, for an engine run inside this program to inspect beside its own.
    QList<InProcessLockEndpoint> lockEndpoints;
    // The program's keychain, for the lock passwords an operator's config names by keychain
    // entry (read when the engine is made, before the event loop runs); null: none.
    SecretStore *keychain = nullptr;
};

// One kind of engine the console and fulcrumctl attach to (the model: Envoy's named factories,
// Tiled's MapFormat): how its address is written and checked, where its secret comes from, how
// to probe it and how to make its link, and what it can do. Each kind's folder provides one;
// the registry (core/link/enginekinds) lists them. Nothing above the registry names a kind.
struct EngineKind
{
    QString id;                   // "fulcrumd", "haproxy", "httpd": the KIND of KIND:ADDRESS
    QString label;                // for people: "fulcrumd", "HAProxy", "Apache httpd"
    QString addressHelp;          // how its address is written, with an example
    QString secretName;           // what its secret is ("admin token", "manager password"); empty: it has none
    QString secretEnvironment;    // the environment variable a script may give the secret in
    // How to give the secret for this address, said when none is found; unset: a file (0600),
    // secretEnvironment, or `fulcrumctl secret set` with keychainEntry.
    std::function<QString(const QString &address)> secretHelp;
    std::function<EngineCapabilities()> capabilities;
    // The address in its canonical form, or nullopt with *error naming the input and the forms.
    std::function<std::optional<QString>(const QString &address, QString *error)> normalize;
    // The keychain entry of its secret for this (normalized) address; empty when it has none.
    std::function<QString(const QString &address)> keychainEntry;
    // A link to it; name is the engine's name in the console. Null only for an address that
    // normalize() refuses.
    std::function<EngineLink *(const QString &name, const QString &address, const QByteArray &secret,
                               const EngineContext &context)> create;
    // Reads it once for Settings' "Test engine": done(ok, what it is or what is wrong).
    std::function<void(const QString &address, const QByteArray &secret, QObject *context,
                       std::function<void(bool, const QString &)> done)> probe;

    // Whether this address cannot be reached without its secret (a fulcrumd always; an httpd
    // manager when the address names a user).
    std::function<bool(const QString &address)> needsSecret;

    bool hasSecret() const { return !secretName.isEmpty(); }
};

} // namespace fulcrum
