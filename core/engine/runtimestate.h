#pragma once

#include "health/healthstatemachine.h"

#include <QString>

#include <map>
#include <optional>
#include <utility>

namespace fulcrum {

// Weights and operator states set at runtime, per pool and server. They outlive a restart and
// a reload (unlike HAProxy's runtime API): the engine applies them after every config, until an
// operator sets them again. Stored as JSON in <state dir>/runtime-state.json, written
// atomically (QSaveFile), so a crash mid-write leaves the previous file.
class RuntimeState
{
public:
    struct Override
    {
        std::optional<int> weight;
        std::optional<AdminState> state;
    };
    using Key = std::pair<QString, QString>; // pool, server

    // A missing file is an empty state; an unreadable or malformed one is an error naming it.
    bool load(const QString &path, QString *error);
    bool save(const QString &path, QString *error) const;

    void setWeight(const QString &pool, const QString &server, int weight) { m_overrides[{pool, server}].weight = weight; }
    void setState(const QString &pool, const QString &server, AdminState state) { m_overrides[{pool, server}].state = state; }
    const std::map<Key, Override> &overrides() const { return m_overrides; }

private:
    std::map<Key, Override> m_overrides;
};

} // namespace fulcrum
