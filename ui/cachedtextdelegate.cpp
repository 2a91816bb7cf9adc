#include "cachedtextdelegate.h"

#include <QApplication>
#include <QPainter>
#include <QStyle>

namespace fulcrum::ui {

void CachedTextDelegate::paint(QPainter *painter, const QStyleOptionViewItem &option, const QModelIndex &index) const
{
    QStyleOptionViewItem opt = option;
    initStyleOption(&opt, index);
    if (opt.text.isEmpty() || (opt.features & (QStyleOptionViewItem::HasDecoration | QStyleOptionViewItem::HasCheckIndicator))
        || (opt.features & QStyleOptionViewItem::WrapText)) {
        QStyledItemDelegate::paint(painter, option, index);
        return;
    }
    const QWidget *widget = opt.widget;
    const QStyle *style = widget ? widget->style() : QApplication::style();
    // The same text rectangle as the style's own item drawing: the cell less the focus margin.
    const int margin = style->pixelMetric(QStyle::PM_FocusFrameHMargin, nullptr, widget) + 1;
    const QRect textRect = opt.rect.adjusted(margin, 0, -margin, 0);

    if (opt.font != m_font) {
        m_texts.clear();
        m_font = opt.font;
    }
    auto it = m_texts.find(opt.text);
    if (it == m_texts.end()) {
        if (m_texts.size() >= kMaxCached)
            m_texts.clear();
        QStaticText text(opt.text);
        text.setTextFormat(Qt::PlainText);
        text.setPerformanceHint(QStaticText::AggressiveCaching);
        text.prepare(QTransform(), opt.font);
        it = m_texts.insert(opt.text, text);
    }
    const QSizeF size = it->size();
    if (size.width() > textRect.width()) {
        QStyledItemDelegate::paint(painter, option, index);   // the style elides it
        return;
    }

    // Background, selection and focus from the style, without the text.
    QStyleOptionViewItem frame = opt;
    frame.text.clear();
    frame.features &= ~QStyleOptionViewItem::HasDisplay;
    style->drawControl(QStyle::CE_ItemViewItem, &frame, painter, widget);

    QPalette::ColorGroup group = (opt.state & QStyle::State_Enabled) ? QPalette::Normal : QPalette::Disabled;
    if (group == QPalette::Normal && !(opt.state & QStyle::State_Active))
        group = QPalette::Inactive;
    const QRect at = QStyle::alignedRect(opt.direction, opt.displayAlignment, size.toSize(), textRect);
    painter->save();
    painter->setFont(opt.font);
    painter->setPen(opt.palette.color(group, (opt.state & QStyle::State_Selected) ? QPalette::HighlightedText : QPalette::Text));
    painter->drawStaticText(at.topLeft(), *it);
    painter->restore();
}

} // namespace fulcrum::ui
