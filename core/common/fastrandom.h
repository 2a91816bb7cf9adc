#pragma once

#include <QtGlobal>

#include "hashing.h"

namespace fulcrum {

// xoshiro256**: a fast, seedable generator for picking (not for secrets: tokens use
// QRandomGenerator::system()). One per worker, never shared between threads.
class FastRandom
{
public:
    explicit FastRandom(quint64 seed = 0x5eed) noexcept { reseed(seed); }

    void reseed(quint64 seed) noexcept
    {
        quint64 x = seed;
        for (quint64 &word : m_state) {
            x += 0x9e3779b97f4a7c15ULL;
            word = mix64(x);
        }
    }

    quint64 next() noexcept
    {
        const quint64 result = rotl(m_state[1] * 5, 7) * 9;
        const quint64 t = m_state[1] << 17;
        m_state[2] ^= m_state[0];
        m_state[3] ^= m_state[1];
        m_state[1] ^= m_state[2];
        m_state[0] ^= m_state[3];
        m_state[2] ^= t;
        m_state[3] = rotl(m_state[3], 45);
        return result;
    }

    // Uniform in [0, bound) without modulo bias worth caring about (Lemire's multiply-shift).
    quint32 below(quint32 bound) noexcept
    {
        return quint32((quint64(quint32(next() >> 32)) * bound) >> 32);
    }

    double unit() noexcept { return double(next() >> 11) * 0x1.0p-53; }

private:
    static quint64 rotl(quint64 x, int k) noexcept { return (x << k) | (x >> (64 - k)); }
    quint64 m_state[4];
};

} // namespace fulcrum
