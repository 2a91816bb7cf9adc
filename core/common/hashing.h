#pragma once

#include <QByteArrayView>
#include <QtGlobal>

namespace fulcrum {

// Stable 64-bit hash (FNV-1a, then a splitmix64 finaliser for avalanche): the same key
// maps to the same server on every machine and every run, unlike qHash (seeded per process).
constexpr quint64 mix64(quint64 x) noexcept
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
}

inline quint64 stableHash(QByteArrayView bytes, quint64 seed = 0) noexcept
{
    quint64 h = 0xcbf29ce484222325ULL ^ mix64(seed);
    for (char c : bytes) {
        h ^= quint8(c);
        h *= 0x100000001b3ULL;
    }
    return mix64(h);
}

} // namespace fulcrum
