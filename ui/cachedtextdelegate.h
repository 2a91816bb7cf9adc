#pragma once

#include <QFont>
#include <QHash>
#include <QStaticText>
#include <QStyledItemDelegate>

namespace fulcrum::ui {

// Draws a cell's one-line text from a cache of laid-out texts (QStaticText) instead of laying
// it out on every paint: a table of live figures repaints hundreds of cells per tick, most of
// them showing a text it has shown before. Everything else (selection, focus, decoration,
// editing, text that must be elided) is QStyledItemDelegate's.
class CachedTextDelegate : public QStyledItemDelegate
{
public:
    using QStyledItemDelegate::QStyledItemDelegate;

    void paint(QPainter *painter, const QStyleOptionViewItem &option, const QModelIndex &index) const override;

private:
    static constexpr qsizetype kMaxCached = 4096;   // a few thousand short figures: well under a MiB

    mutable QHash<QString, QStaticText> m_texts;
    mutable QFont m_font;   // the font the cached texts were laid out in
};

} // namespace fulcrum::ui
