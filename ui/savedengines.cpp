#include "savedengines.h"

#include "engine/multienginelink.h"
#include "engine/remoteenginelink.h"
#include "haproxy/haproxyenginelink.h"
#include "haproxy/runtimeaddress.h"

namespace fulcrum::ui {

SavedEngines::SavedEngines(MultiEngineLink *link, SecretStore *keychain, const QString &tokenFile, QObject *parent)
    : QObject(parent), m_link(link), m_keychain(keychain), m_tokenFile(tokenFile)
{
}

EngineLink *SavedEngines::createLink(const EngineSetting &engine, const QByteArray &token, QString *error)
{
    if (engine.kind == EngineSetting::Kind::Haproxy) {
        const std::optional<RuntimeAddress> address = RuntimeAddress::parse(engine.url, error);
        return address ? new HaproxyEngineLink(*address) : nullptr;
    }
    const std::optional<QUrl> url = RemoteEngineLink::parseUrl(engine.url, error);
    if (!url)
        return nullptr;
    RemoteEngineOptions options;
    options.name = engine.name;
    options.url = *url;
    options.token = token;
    return new RemoteEngineLink(options);
}

QByteArray SavedEngines::tokenOf(const EngineSetting &engine, QString *error) const
{
    if (engine.kind == EngineSetting::Kind::Haproxy)
        return QByteArray();
    const std::optional<QUrl> url = RemoteEngineLink::parseUrl(engine.url, error);
    return url ? RemoteEngineLink::readToken(*url, m_tokenFile, m_keychain, error).value_or(QByteArray()) : QByteArray();
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
        if (token.isEmpty() && engine.kind == EngineSetting::Kind::Fulcrumd)
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
        EngineLink *link = createLink(engine, tokens.value(engine.name), &error);
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
