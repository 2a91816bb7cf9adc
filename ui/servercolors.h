#pragma once

#include <QColor>
#include <QString>

namespace fulcrum::ui {

// A server's colour in every view, by the rule reports use too (common/servercolors.h):
// the console meets servers in the engine's order and keeps each one's colour for the session.
QColor serverColor(const QString &serverKey);

} // namespace fulcrum::ui
