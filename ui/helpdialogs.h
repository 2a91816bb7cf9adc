#pragma once

#include <QList>
#include <QString>

class QAction;
class QDialog;
class QWidget;

namespace fulcrum::ui {

// The README's "At 3 a.m." section (heading to the next "## "), as Markdown; empty when the
// text has none. The console shows the README it was built with (":/help/README.md"), so the
// table an operator reads in the app and on the project page is one text.
QString threeAmSection(const QString &readme);

// "Action — keys" rows, as Markdown, for every action that has a shortcut, in menu order.
QString shortcutsMarkdown(const QList<QAction *> &actions);

// Help → Keyboard shortcuts, Help → At 3 a.m., Help → About: non-modal dialogs (opened with
// open()), each with an object name for tests: "shortcutsDialog", "threeAmDialog", "aboutDialog".
QDialog *makeShortcutsDialog(const QList<QAction *> &actions, QWidget *parent);
QDialog *makeThreeAmDialog(QWidget *parent);
QDialog *makeAboutDialog(const QString &engines, QWidget *parent);

// The Markdown a help dialog shows (for tests).
QString helpText(const QDialog *dialog);

} // namespace fulcrum::ui
