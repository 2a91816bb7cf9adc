#pragma once

#include <QPalette>

QT_BEGIN_NAMESPACE
class QChart;
QT_END_NAMESPACE

namespace fulcrum::ui {

// Charts draw with their own theme; this makes them follow the system palette instead,
// so a dark desktop gets dark charts.
void applyPalette(QChart *chart, const QPalette &palette);

} // namespace fulcrum::ui
