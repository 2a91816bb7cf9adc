#include "healthstatemachine.h"

#include <algorithm>
#include <cmath>

namespace fulcrum {

QString adminStateName(AdminState state)
{
    switch (state) {
    case AdminState::Ready: return QStringLiteral("ready");
    case AdminState::Drain: return QStringLiteral("drain");
    case AdminState::Maint: return QStringLiteral("maint");
    }
    return QStringLiteral("ready");
}

std::optional<AdminState> parseAdminState(QStringView name)
{
    for (AdminState state : {AdminState::Ready, AdminState::Drain, AdminState::Maint}) {
        if (name == adminStateName(state))
            return state;
    }
    return std::nullopt;
}

int slowStartWeight(int setWeight, qint64 elapsed, qint64 total)
{
    if (setWeight <= 0 || total <= 0 || elapsed >= total)
        return std::max(0, setWeight);
    const double share = 0.1 + 0.9 * double(std::max<qint64>(0, elapsed)) / double(total);
    return std::clamp(int(std::ceil(setWeight * share - 1e-9)), 1, setWeight);
}

HealthStateMachine::HealthStateMachine(int rise, int fall, bool up)
    : m_rise(std::max(1, rise))
    , m_fall(std::max(1, fall))
    , m_up(up)
{
}

void HealthStateMachine::setThresholds(int rise, int fall)
{
    m_rise = std::max(1, rise);
    m_fall = std::max(1, fall);
    m_count = std::min(m_count, (m_up ? m_fall : m_rise) - 1);
}

bool HealthStateMachine::record(bool passed)
{
    if (passed == m_up) {
        m_count = 0;
        return false;
    }
    if (++m_count < (m_up ? m_fall : m_rise))
        return false;
    m_up = !m_up;
    m_count = 0;
    return true;
}

void HealthStateMachine::reset(bool up)
{
    m_up = up;
    m_count = 0;
}

QString HealthStateMachine::text() const
{
    if (m_count == 0)
        return m_up ? QStringLiteral("up") : QStringLiteral("down");
    return m_up ? QStringLiteral("up, %1/%2 failed").arg(m_count).arg(m_fall)
                : QStringLiteral("down, %1/%2 ok").arg(m_count).arg(m_rise);
}

} // namespace fulcrum
