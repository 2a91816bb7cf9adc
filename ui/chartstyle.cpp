#include "chartstyle.h"

#include <QAbstractAxis>
#include <QChart>
#include <QLegend>

#include <cmath>

namespace fulcrum::ui {

QColor fadedText(const QPalette &palette, double amount)
{
    const QColor text = palette.color(QPalette::WindowText);
    const QColor base = palette.color(QPalette::Base);
    auto mix = [amount](int t, int b) { return int(std::lround(b + (t - b) * amount)); };
    return QColor(mix(text.red(), base.red()), mix(text.green(), base.green()), mix(text.blue(), base.blue()));
}

void applyPalette(QChart *chart, const QPalette &palette)
{
    const QColor text = palette.color(QPalette::WindowText);
    const QColor grid = fadedText(palette, 0.15);
    chart->setBackgroundBrush(palette.base());
    chart->setBackgroundPen(Qt::NoPen);
    chart->setDropShadowEnabled(false);   // a blur over the whole chart on every repaint
    chart->setBackgroundRoundness(0);
    chart->setPlotAreaBackgroundVisible(false);
    chart->setTitleBrush(text);
    chart->legend()->setLabelColor(text);
    for (QAbstractAxis *axis : chart->axes()) {
        axis->setLabelsColor(text);
        axis->setTitleBrush(text);
        axis->setLinePenColor(grid);
        axis->setGridLineColor(grid);
    }
}

} // namespace fulcrum::ui
