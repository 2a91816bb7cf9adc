#pragma once

#include <QHash>
#include <QString>

#include <array>

namespace fulcrum {

// The colours servers are drawn in, by the console and by reports alike: one palette, one rule.
// A server's key ("pool/server") prefers one of the palette's first eight colours by its stable
// hash; when a server met before has it, the next free one of the eight, then the first free
// one of the twelve after. So the first 20 servers never share a colour, and a server has the
// same colour in the console and in a report of the same servers whenever no two of them prefer
// one colour, or they are met in the same order (the console meets them in the engine's order,
// a report in pool and server name order). Colours are mid-light, readable on white and near-black.
class ServerColors
{
public:
    static constexpr int kPaletteSize = 20;
    static constexpr int kPreferred = 8;

    // 0xRRGGBB; the same key always gets the same colour from one ServerColors.
    quint32 colorOf(const QString &serverKey);

    // "#rrggbb", for HTML and SVG.
    static QString hexName(quint32 rgb);

private:
    QHash<QString, int> m_assigned;
    std::array<bool, kPaletteSize> m_taken{};
};

} // namespace fulcrum
