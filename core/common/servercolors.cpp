#include "servercolors.h"

#include "hashing.h"

namespace fulcrum {

namespace {

// Tableau 10, then Tableau's classic 10: mid lightness, so that both a white and a near-black
// background keep them visible. The first eight are the most distinct from one another (brown
// and grey, the next two, read as "no data" beside them).
constexpr std::array<quint32, ServerColors::kPaletteSize> kPalette = {
    0x4e79a7, 0xf28e2b, 0xe15759, 0x76b7b2, 0x59a14f, 0xedc948, 0xb07aa1, 0xff9da7,
    0x9c755f, 0xbab0ac, 0x1f77b4, 0xff7f0e, 0x2ca02c, 0xd62728, 0x9467bd, 0x8c564b,
    0xe377c2, 0x7f7f7f, 0xbcbd22, 0x17becf,
};

} // namespace

quint32 ServerColors::colorOf(const QString &serverKey)
{
    if (auto it = m_assigned.constFind(serverKey); it != m_assigned.constEnd())
        return kPalette[size_t(*it)];
    const quint64 hash = stableHash(serverKey.toUtf8());
    int slot = -1;
    for (int step = 0; step < kPreferred && slot < 0; ++step) {
        const int candidate = int((hash + quint64(step)) % kPreferred);
        if (!m_taken[size_t(candidate)])
            slot = candidate;
    }
    for (int candidate = kPreferred; candidate < kPaletteSize && slot < 0; ++candidate) {
        if (!m_taken[size_t(candidate)])
            slot = candidate;
    }
    if (slot < 0)
        slot = int(hash % kPaletteSize);   // more than 20 servers: colours are shared
    else
        m_taken[size_t(slot)] = true;
    m_assigned.insert(serverKey, slot);
    return kPalette[size_t(slot)];
}

QString ServerColors::hexName(quint32 rgb)
{
    return QStringLiteral("#%1").arg(rgb & 0xffffff, 6, 16, QLatin1Char('0'));
}

} // namespace fulcrum
