#pragma once

#include <QString>

#include <optional>

namespace fulcrum {

// What an operator says about a server, on top of what the checks say: `ready` (follow the
// checks), `drain` (no new requests, checks continue), `maint` (no traffic, no checks).
enum class AdminState : quint8 { Ready, Drain, Maint };

QString adminStateName(AdminState state);
// The inverse of adminStateName; nullopt for another word.
std::optional<AdminState> parseAdminState(QStringView name);

// HAProxy's slowstart: the effective weight `elapsed` into a ramp of `total`, linear from
// 10% to 100% of the set weight, never 0 while the set weight is not.
int slowStartWeight(int setWeight, qint64 elapsed, qint64 total);

// The up/down decision of one server from its check results, HAProxy style: `fall` failures
// in a row take an up server down, `rise` successes in a row bring a down server up, and
// the count in between is visible ("up, 1/3 failed", "down, 1/2 ok").
class HealthStateMachine
{
public:
    explicit HealthStateMachine(int rise = 2, int fall = 3, bool up = true);

    void setThresholds(int rise, int fall);
    // Returns true when the result flipped the server between up and down.
    bool record(bool passed);
    // Starts over in the given state with nothing counted (leaving maintenance).
    void reset(bool up);

    bool isUp() const { return m_up; }
    // Results so far against the current state: failures while up, successes while down.
    int count() const { return m_count; }
    bool isChanging() const { return m_count > 0; }
    int rise() const { return m_rise; }
    int fall() const { return m_fall; }
    QString text() const;

private:
    int m_rise;
    int m_fall;
    bool m_up;
    int m_count = 0;
};

} // namespace fulcrum
