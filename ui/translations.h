#pragma once

#include <QLocale>
#include <QStringList>

class QObject;

namespace fulcrum::ui {

// Installs the console's translations for a locale: Qt's own (qtbase: the standard buttons
// Save, Cancel, Apply, Close…, from Debian's qt6-translations-l10n) and Fulcrum's (":/i18n",
// compiled into the fulcrum program). Returns the ones it could not load, by file name, so the
// caller can say so; nothing for English. The translators live as children of parent.
QStringList installTranslations(const QLocale &locale, QObject *parent);

} // namespace fulcrum::ui
