#include "translations.h"

#include <QCoreApplication>
#include <QLibraryInfo>
#include <QTranslator>

namespace fulcrum::ui {

QStringList installTranslations(const QLocale &locale, QObject *parent)
{
    if (locale.language() == QLocale::English || locale.language() == QLocale::C)
        return {};
    QStringList missing;
    const struct { const char *name; QString directory; } files[] = {
        {"qtbase", QLibraryInfo::path(QLibraryInfo::TranslationsPath)},
        {"fulcrum", QStringLiteral(":/i18n")},
    };
    for (const auto &file : files) {
        auto *translator = new QTranslator(parent);
        if (translator->load(locale, QString::fromLatin1(file.name), QStringLiteral("_"), file.directory)) {
            QCoreApplication::installTranslator(translator);
        } else {
            missing.append(QStringLiteral("%1/%2_%3.qm").arg(file.directory, QString::fromLatin1(file.name), locale.name()));
            delete translator;
        }
    }
    return missing;
}

} // namespace fulcrum::ui
