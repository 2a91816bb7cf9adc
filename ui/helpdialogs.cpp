#include "helpdialogs.h"

#include <QAction>
#include <QDialog>
#include <QDialogButtonBox>
#include <QFile>
#include <QKeySequence>
#include <QTextBrowser>
#include <QVBoxLayout>

namespace fulcrum::ui {

namespace {

QDialog *markdownDialog(const QString &objectName, const QString &title, const QString &markdown, QSize size, QWidget *parent)
{
    auto *dialog = new QDialog(parent);
    dialog->setObjectName(objectName);
    dialog->setWindowTitle(title);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    auto *layout = new QVBoxLayout(dialog);
    auto *text = new QTextBrowser(dialog);
    text->setObjectName(QStringLiteral("helpText"));
    text->setOpenExternalLinks(true);
    text->setMarkdown(markdown);
    text->setProperty("sourceMarkdown", markdown);   // not "markdown": QTextEdit's own property re-renders it
    layout->addWidget(text);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Close, dialog);
    QObject::connect(buttons, &QDialogButtonBox::rejected, dialog, &QDialog::reject);
    layout->addWidget(buttons);
    dialog->resize(size);
    return dialog;
}

} // namespace

QString threeAmSection(const QString &readme)
{
    const qsizetype start = readme.indexOf(QLatin1String("\n## At 3 a.m."));
    if (start < 0)
        return QString();
    const qsizetype end = readme.indexOf(QLatin1String("\n## "), start + 1);
    return readme.mid(start + 1, end < 0 ? -1 : end - start - 1).trimmed();
}

QString shortcutsMarkdown(const QList<QAction *> &actions)
{
    QStringList rows{QObject::tr("| Action | Keys |"), QStringLiteral("|---|---|")};
    for (const QAction *action : actions) {
        if (action->shortcut().isEmpty())
            continue;
        QString text = action->text();
        text.remove(u'&');
        if (text.endsWith(u'…'))
            text.chop(1);
        rows.append(QStringLiteral("| %1 | %2 |").arg(text, action->shortcut().toString(QKeySequence::NativeText)));
    }
    return rows.join(u'\n');
}

QDialog *makeShortcutsDialog(const QList<QAction *> &actions, QWidget *parent)
{
    return markdownDialog(QStringLiteral("shortcutsDialog"), QObject::tr("Keyboard shortcuts"), shortcutsMarkdown(actions), QSize(460, 520), parent);
}

QDialog *makeThreeAmDialog(QWidget *parent)
{
    QFile file(QStringLiteral(":/help/README.md"));
    QString section;
    if (file.open(QIODevice::ReadOnly))
        section = threeAmSection(QString::fromUtf8(file.readAll()));
    if (section.isEmpty())
        section = QObject::tr("This build carries no README; see the project's README.md, section \"At 3 a.m.\".");
    return markdownDialog(QStringLiteral("threeAmDialog"), QObject::tr("At 3 a.m.: what to type"), section, QSize(900, 620), parent);
}

QDialog *makeAboutDialog(const QString &engines, QWidget *parent)
{
    const QString markdown = QObject::tr("## Fulcrum %1\n\nLoad balancing, health checks and distributed locks for the people who run "
                                         "them.\n\n**Engines in this window:** %2\n\nQt %3.")
                                 .arg(QStringLiteral(FULCRUM_VERSION), engines, QString::fromLatin1(qVersion()));
    return markdownDialog(QStringLiteral("aboutDialog"), QObject::tr("About Fulcrum"), markdown, QSize(460, 300), parent);
}

QString helpText(const QDialog *dialog)
{
    const auto *text = dialog->findChild<QTextBrowser *>(QStringLiteral("helpText"));
    return text ? text->property("sourceMarkdown").toString() : QString();
}

} // namespace fulcrum::ui
