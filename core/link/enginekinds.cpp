#include "link/enginekinds.h"

#include "engine/embeddedkind.h"
#include "engine/fulcrumdkind.h"
#include "haproxy/haproxykind.h"
#include "httpd/httpdkind.h"
#include "locks/secretstore.h"

#include <QStringList>
#include <QUrl>

namespace fulcrum {

const QList<EngineKind> &EngineKinds::all()
{
    // One line per kind; the first is what a bare address means.
    static const QList<EngineKind> kinds{
        fulcrumdEngineKind(),
        haproxyEngineKind(),
        httpdEngineKind(),
        embeddedEngineKind(),
    };
    return kinds;
}

const EngineKind *EngineKinds::find(const QString &id)
{
    for (const EngineKind &kind : all()) {
        if (kind.id == id)
            return &kind;
    }
    return nullptr;
}

std::optional<EngineKinds::Spelled> EngineKinds::parse(const QString &spelled, QString *error)
{
    const QString text = spelled.trimmed();
    const qsizetype colon = text.indexOf(u':');
    const EngineKind *kind = colon > 0 ? find(text.left(colon)) : nullptr;
    const QString address = kind ? text.mid(colon + 1) : text;
    if (!kind)
        kind = &all().constFirst();
    QString why;
    const std::optional<QString> normalized = kind->normalize(address, &why);
    if (!normalized) {
        QStringList forms;
        for (const EngineKind &k : all())
            forms.append(QStringLiteral("%1:ADDRESS (%2)").arg(k.id, k.addressHelp));
        // The kind's own message names the input (and leaves out any secret typed in it).
        *error = QStringLiteral("%1 engine: %2. An engine is written KIND:ADDRESS, one of: %3; a bare URL is a fulcrumd")
                     .arg(kind->label, why, forms.join(QStringLiteral("; ")));
        return std::nullopt;
    }
    return Spelled{kind, *normalized};
}

QString EngineKinds::spell(const EngineKind &kind, const QString &address)
{
    return &kind == &all().constFirst() ? address : kind.id + u':' + address;
}

EngineKinds::Spelled EngineKinds::builtIn()
{
    QString error;
    return *parse(QStringLiteral("embedded:demo"), &error);
}

std::optional<QByteArray> EngineKinds::readSecret(const EngineKind &kind, const QString &address, const QString &secretFile,
                                                  SecretStore *keychain, QString *error)
{
    if (!kind.hasSecret())
        return QByteArray();
    const bool needed = kind.needsSecret(address);
    QString why;
    std::optional<QByteArray> secret;
    if (!secretFile.isEmpty()) {
        secret = FileSecretStore().read(secretFile, &why);
        if (!secret) {
            *error = why;
            return std::nullopt;
        }
    } else if (qEnvironmentVariableIsSet(qPrintable(kind.secretEnvironment))) {
        secret = EnvironmentSecretStore().read(kind.secretEnvironment, &why);
        if (!secret) {
            *error = why;
            return std::nullopt;
        }
    } else if (keychain) {
        secret = keychain->read(kind.keychainEntry(address), &why);
    }
    if (secret && !secret->trimmed().isEmpty())
        return secret->trimmed();
    if (!needed)
        return QByteArray();
    const QString help = kind.secretHelp ? kind.secretHelp(address)
                                         : QStringLiteral("give a file (mode 0600), set %1, or store it in the keychain with: fulcrumctl secret set %2")
                                               .arg(kind.secretEnvironment, kind.keychainEntry(address));
    *error = QStringLiteral("no %1 for %2: %3%4")
                 .arg(kind.secretName, QUrl(address).toString(QUrl::RemoveQuery), help,
                      keychain ? (why.isEmpty() ? QString() : QStringLiteral(" (keychain: %1)").arg(why))
                               : QStringLiteral(" (this build has no keychain support)"));
    return std::nullopt;
}

} // namespace fulcrum
