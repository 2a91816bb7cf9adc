#pragma once

#include <QPalette>

QT_BEGIN_NAMESPACE
class QChart;
QT_END_NAMESPACE

namespace fulcrum::ui {

// Charts draw with their own theme; this makes them follow the system palette instead,
// so a dark desktop gets dark charts.
void applyPalette(QChart *chart, const QPalette &palette);

// The palette's text colour faded towards its base colour by `amount` (0..1), as an opaque
// colour. Charts use it instead of a translucent colour: Qt's raster engine blends a tall
// translucent fill or line on its GUI thread pool, and on a busy 2-core machine handing the
// spans over and waiting for them cost more than drawing them.
QColor fadedText(const QPalette &palette, double amount);

} // namespace fulcrum::ui
