#include "resultbanner.h"

#include <QApplication>
#include <QHBoxLayout>
#include <QLabel>
#include <QLayout>
#include <QStyle>

namespace fulcrum::ui {

ResultBanner::ResultBanner(QWidget *parent)
    : QFrame(parent), m_icon(new QLabel(this)), m_text(new QLabel(this))
{
    setObjectName(QStringLiteral("resultBanner"));
    auto *layout = new QHBoxLayout(this);
    layout->setContentsMargins(8, 6, 8, 6);
    m_icon->setAlignment(Qt::AlignTop);
    m_text->setObjectName(QStringLiteral("result"));
    m_text->setWordWrap(true);
    m_text->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_text->setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Preferred);
    layout->addWidget(m_icon);
    layout->addWidget(m_text, 1);
    hide();
}

QString ResultBanner::text() const
{
    return m_text->text();
}

void ResultBanner::setResult(Outcome outcome, const QString &text)
{
    m_outcome = outcome;
    m_text->setText(text);
    QStyle::StandardPixmap icon = QStyle::SP_MessageBoxInformation;
    QString frame;
    switch (outcome) {
    case Outcome::None:
    case Outcome::Waiting:
        break;
    case Outcome::Done:
        icon = QStyle::SP_DialogApplyButton;
        // Translucent fills and fixed borders: readable on light and dark palettes.
        frame = QStringLiteral("#resultBanner { border: 2px solid #2e7d32; border-radius: 4px; background: rgba(46, 125, 50, 40); }");
        break;
    case Outcome::Failed:
        icon = QStyle::SP_MessageBoxCritical;
        frame = QStringLiteral("#resultBanner { border: 2px solid #c62828; border-radius: 4px; background: rgba(198, 40, 40, 40); }");
        break;
    }
    setProperty("outcome", outcome == Outcome::Done ? QStringLiteral("done") : outcome == Outcome::Failed ? QStringLiteral("failed") : QString());
    setStyleSheet(frame);
    const int size = style()->pixelMetric(QStyle::PM_SmallIconSize, nullptr, this) * 2;
    m_icon->setPixmap(style()->standardIcon(icon, nullptr, this).pixmap(size, size));
    setVisible(outcome != Outcome::None);
    if (QWidget *top = window())
        growToFit(top);
}

void growToFit(QWidget *window)
{
    QLayout *layout = window->layout();
    if (!layout)
        return;
    layout->invalidate();
    layout->activate();
    const int width = window->width();
    const int needed = layout->hasHeightForWidth() ? layout->totalHeightForWidth(width) : layout->totalSizeHint().height();
    window->setMinimumHeight(std::max(layout->totalMinimumSize().height(), needed));
    if (window->height() < needed)
        window->resize(width, needed);
}

QLabel *makeAlarmLine(const QString &objectName, QWidget *parent)
{
    auto *line = new QLabel(parent);
    line->setObjectName(objectName);
    line->setWordWrap(true);
    line->setMargin(6);
    line->setTextInteractionFlags(Qt::TextSelectableByMouse);
    line->setStyleSheet(QStringLiteral("QLabel { background: #c62828; color: white; font-weight: bold; border-radius: 3px; }"));
    line->hide();
    return line;
}

} // namespace fulcrum::ui
