#include "servercolors.h"

#include "common/servercolors.h"

namespace fulcrum::ui {

QColor serverColor(const QString &serverKey)
{
    // One assignment for the whole console, so a server keeps its colour in every view.
    // Only the UI thread calls this.
    static ServerColors colors;
    return QColor::fromRgb(colors.colorOf(serverKey));
}

} // namespace fulcrum::ui
