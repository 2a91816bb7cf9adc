#include "backend.h"

#include <cmath>

namespace fulcrum {

QString backendStateName(BackendState state)
{
    switch (state) {
    case BackendState::Up: return QStringLiteral("up");
    case BackendState::Down: return QStringLiteral("down");
    case BackendState::Drain: return QStringLiteral("drain");
    case BackendState::Maint: return QStringLiteral("maint");
    }
    return QStringLiteral("unknown");
}

std::optional<BackendState> parseBackendState(QStringView name)
{
    if (name == u"up")
        return BackendState::Up;
    if (name == u"down")
        return BackendState::Down;
    if (name == u"drain")
        return BackendState::Drain;
    if (name == u"maint")
        return BackendState::Maint;
    return std::nullopt;
}

namespace {

// exp(-x) for x >= 0. Between two answers of a busy server x is a few microseconds over
// kDecayNs (1e-6 and less). Below 1e-4 (a millisecond apart) four terms of the series are
// exp() to double precision (the rest is under x^4/24 < 5e-18); libm's exp() was 2 % of a
// proxy worker's CPU, called once per response.
double decayFactor(double x) noexcept
{
    if (x < 1e-4)
        return 1.0 - x * (1.0 - x * (0.5 - x * (1.0 / 6.0)));
    return std::exp(-x);
}

} // namespace

void BackendLive::recordLatency(qint64 nowNs, double rttNs) noexcept
{
    const double previous = peakEwmaNs.load(std::memory_order_relaxed);
    const qint64 stamp = ewmaStampNs.exchange(nowNs, std::memory_order_relaxed);
    double next;
    if (previous <= 0.0 || rttNs > previous) {
        next = rttNs; // peak: a slow answer counts at once
    } else {
        const double elapsed = double(std::max<qint64>(0, nowNs - stamp));
        const double w = decayFactor(elapsed / kDecayNs);
        next = previous * w + rttNs * (1.0 - w);
    }
    peakEwmaNs.store(next, std::memory_order_relaxed);
}

double BackendLive::currentEwmaNs(qint64 nowNs) const noexcept
{
    // Decays toward zero while no answer arrives (Linkerd), so a server that was slow a
    // while ago is tried again instead of being shunned forever.
    const double value = peakEwmaNs.load(std::memory_order_relaxed);
    if (value <= 0.0)
        return 0.0;
    const double elapsed = double(std::max<qint64>(0, nowNs - ewmaStampNs.load(std::memory_order_relaxed)));
    return value * decayFactor(elapsed / kDecayNs);
}

} // namespace fulcrum
