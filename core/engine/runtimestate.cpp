#include "runtimestate.h"

#include "balancer/backend.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSaveFile>

namespace fulcrum {

namespace {

std::optional<AdminState> parseAdminState(const QString &name)
{
    if (name == u"ready")
        return AdminState::Ready;
    if (name == u"drain")
        return AdminState::Drain;
    if (name == u"maint")
        return AdminState::Maint;
    return std::nullopt;
}

} // namespace

bool RuntimeState::load(const QString &path, QString *error)
{
    m_overrides.clear();
    QFile file(path);
    if (!file.exists())
        return true;
    if (!file.open(QIODevice::ReadOnly)) {
        *error = QStringLiteral("%1: cannot read the runtime state: %2").arg(path, file.errorString());
        return false;
    }
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(file.readAll(), &parseError);
    if (!doc.isObject()) {
        *error = QStringLiteral("%1: not a runtime state file (%2); move it away to start without runtime changes")
                     .arg(path, parseError.error == QJsonParseError::NoError ? QStringLiteral("not a JSON object") : parseError.errorString());
        return false;
    }
    const QJsonArray servers = doc.object().value(QStringLiteral("servers")).toArray();
    for (const QJsonValue &v : servers) {
        const QJsonObject o = v.toObject();
        const QString pool = o.value(QStringLiteral("pool")).toString();
        const QString server = o.value(QStringLiteral("server")).toString();
        if (pool.isEmpty() || server.isEmpty())
            continue;
        Override entry;
        const QJsonValue weight = o.value(QStringLiteral("weight"));
        if (weight.isDouble() && weight.toInt(-1) >= 0 && weight.toInt(-1) <= kMaxWeight)
            entry.weight = weight.toInt();
        entry.state = parseAdminState(o.value(QStringLiteral("state")).toString());
        if (entry.weight || entry.state)
            m_overrides[{pool, server}] = entry;
    }
    return true;
}

bool RuntimeState::save(const QString &path, QString *error) const
{
    QJsonArray servers;
    for (const auto &[key, entry] : m_overrides) {
        QJsonObject o{{QStringLiteral("pool"), key.first}, {QStringLiteral("server"), key.second}};
        if (entry.weight)
            o.insert(QStringLiteral("weight"), *entry.weight);
        if (entry.state)
            o.insert(QStringLiteral("state"), adminStateName(*entry.state));
        servers.append(o);
    }
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly)) {
        *error = QStringLiteral("%1: cannot write the runtime state: %2").arg(path, file.errorString());
        return false;
    }
    file.write(QJsonDocument(QJsonObject{{QStringLiteral("servers"), servers}}).toJson(QJsonDocument::Indented));
    if (!file.commit()) {
        *error = QStringLiteral("%1: cannot write the runtime state: %2").arg(path, file.errorString());
        return false;
    }
    return true;
}

} // namespace fulcrum
