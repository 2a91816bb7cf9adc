#include "savedengines.h"

#include "engine/multienginelink.h"
#include "link/enginekinds.h"

namespace fulcrum::ui {

SavedEngines::SavedEngines(MultiEngineLink *link, SecretStore *keychain, const QString &tokenFile, QObject *parent)
    : QObject(parent), m_link(link), m_keychain(keychain), m_tokenFile(tokenFile)
{
}

EngineLink *SavedEngines::createLink(const EngineSetting &engine, const QByteArray &token, QString *error,
                                     const EngineContext &context)
{
    const EngineKind *kind = EngineKinds::find(engine.kind);
    if (!kind) {
        *error = tr("\"%1\" is not a kind of engine this console knows").arg(engine.kind);
        return nullptr;
    }
    const std::optional<QString> address = kind->normalize(engine.url, error);
    return address ? kind->create(engine.name, *address, token, context) : nullptr;
}

QByteArray SavedEngines::tokenOf(const EngineSetting &engine, QString *error) const
{
    const EngineKind *kind = EngineKinds::find(engine.kind);
    if (!kind)
        return QByteArray();
    return EngineKinds::readSecret(*kind, engine.url, m_tokenFile, m_keychain, error).value_or(QByteArray());
}

QString SavedEngines::apply(const QList<EngineSetting> &engines)
{
    if (!m_link)
        return QString();
    QStringList added;
    QStringList removed;
    QStringList problems;
    QHash<QString, EngineSetting> wanted;
    for (const EngineSetting &engine : engines)
        wanted.insert(engine.name, engine);
    // A token stored in Settings for an engine that is already open takes a new link too.
    QHash<QString, QByteArray> tokens;
    QHash<QString, QString> tokenProblems;
    for (const EngineSetting &engine : engines) {
        QString why;
        const QByteArray token = tokenOf(engine, &why);
        tokens.insert(engine.name, token);
        const EngineKind *kind = EngineKinds::find(engine.kind);
        if (token.isEmpty() && kind && kind->needsSecret(engine.url))
            tokenProblems.insert(engine.name, why);
    }

    for (const QString &name : m_link->engineNames()) {
        const auto it = wanted.constFind(name);
        if (it != wanted.cend() && m_applied.value(name) == *it && m_tokens.value(name) == tokens.value(name))
            continue;
        m_link->removeEngine(name);
        m_applied.remove(name);
        m_tokens.remove(name);
        if (it == wanted.cend())
            removed.append(name);
    }
    for (const EngineSetting &engine : engines) {
        if (m_link->engine(engine.name))
            continue;
        QString error;
        EngineLink *link = createLink(engine, tokens.value(engine.name), &error, m_context);
        if (!link || !m_link->addEngine(engine.name, link)) {
            delete link;
            problems.append(tr("%1 not opened: %2").arg(engine.name, error.isEmpty() ? tr("name used twice or has a '/'") : error));
            continue;
        }
        if (tokenProblems.contains(engine.name))
            problems.append(tr("%1: %2").arg(engine.name, tokenProblems.value(engine.name)));
        m_applied.insert(engine.name, engine);
        m_tokens.insert(engine.name, tokens.value(engine.name));
        added.append(engine.name);
    }
    QStringList parts;
    if (!added.isEmpty())
        parts.append(tr("Engines opened: %1.").arg(added.join(QStringLiteral(", "))));
    if (!removed.isEmpty())
        parts.append(tr("Engines removed: %1.").arg(removed.join(QStringLiteral(", "))));
    parts.append(problems);
    return parts.join(u' ');
}

} // namespace fulcrum::ui
