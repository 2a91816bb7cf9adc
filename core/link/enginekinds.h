#pragma once

#include "engine/enginekind.h"

#include <QList>
#include <QString>

#include <optional>

namespace fulcrum {

class SecretStore;

// The registry of engine kinds: a new kind is one folder that provides an EngineKind, plus one
// line in enginekinds.cpp. The console's Settings, its command line and fulcrumctl read it.
namespace EngineKinds {

const QList<EngineKind> &all();
const EngineKind *find(const QString &id);

// An engine as an operator writes it: "KIND:ADDRESS" with a registered KIND, or a bare
// fulcrumd URL (the form that came first). nullopt with *error naming the input and the kinds.
struct Spelled
{
    const EngineKind *kind = nullptr;
    QString address;              // normalized by the kind
};
std::optional<Spelled> parse(const QString &spelled, QString *error);
// The inverse: what parse() reads back (a fulcrumd stays a bare URL).
QString spell(const EngineKind &kind, const QString &address);

// What the console opens when told of no engine, and with --demo: embedded:demo.
Spelled builtIn();

// An engine's secret, the same way for the console and fulcrumctl: secretFile (0600, when not
// empty), else the kind's environment variable, else its keychain entry (keychain may be null).
// Empty when the kind has no secret; nullopt with a message naming the three when none has it.
std::optional<QByteArray> readSecret(const EngineKind &kind, const QString &address, const QString &secretFile,
                                     SecretStore *keychain, QString *error);

} // namespace EngineKinds

} // namespace fulcrum
