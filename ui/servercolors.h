#pragma once

#include <QColor>
#include <QString>

namespace fulcrum::ui {

// A server's colour, the same in every view and every run: chosen from its name, from a
// palette readable on light and dark backgrounds.
QColor serverColor(const QString &serverKey);

} // namespace fulcrum::ui
