#include "servercolors.h"

#include <QHash>

namespace fulcrum::ui {

QColor serverColor(const QString &serverKey)
{
    // Tableau 10 and 10 more of similar lightness: distinct for the first 20 servers, and
    // mid lightness so that both a white and a near-black chart background keep them visible.
    static const QRgb palette[] = {
        0x4e79a7, 0xf28e2b, 0xe15759, 0x76b7b2, 0x59a14f, 0xedc948, 0xb07aa1, 0xff9da7,
        0x9c755f, 0xbab0ac, 0x1f77b4, 0xff7f0e, 0x2ca02c, 0xd62728, 0x9467bd, 0x8c564b,
        0xe377c2, 0x7f7f7f, 0xbcbd22, 0x17becf,
    };
    constexpr int size = int(sizeof(palette) / sizeof(palette[0]));
    // Handed out in the order servers are first seen (snapshot order), so the first 20
    // never share a colour; every view asks here, so a server keeps its colour everywhere.
    // Only the UI thread calls this.
    static QHash<QString, int> assigned;
    auto it = assigned.constFind(serverKey);
    if (it == assigned.constEnd())
        it = assigned.insert(serverKey, int(assigned.size()));
    return QColor::fromRgb(palette[*it % size]);
}

} // namespace fulcrum::ui
