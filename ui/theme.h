#pragma once

#include <QString>

namespace fulcrum::ui {

// View → Theme: the system's look, or Fusion with a light or a dark palette (for a control room
// at night, whatever the desktop says). Every view draws from the palette, charts included.
enum class Theme { System, Light, Dark };

void applyTheme(Theme theme);
Theme savedTheme();                 // Settings' choice (QSettings "view/theme"), System by default
void saveTheme(Theme theme);
QString themeName(Theme theme);     // "system", "light", "dark"

} // namespace fulcrum::ui
