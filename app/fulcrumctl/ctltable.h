#pragma once

#include <QList>
#include <QString>
#include <QStringList>

#include <algorithm>
#include <utility>

// A table for the terminal: each column as wide as its longest cell, so that a long server
// name or lock key ("lock:orders:2026-12-06:checkout-42") does not push its row out of line
// as fixed widths did; columns two spaces apart (one made "STATE IN STATE" one blur). The last column is not padded; a note is a line of its own under the
// row before it (a blocking chain's waiters).
class CtlTable
{
public:
    // rightAligned: the columns of figures, read from the right. The header is a row like the
    // others (add it first, or again under each note that starts a section).
    explicit CtlTable(QList<int> rightAligned = {}, QString indent = {}, QString gap = QStringLiteral("  "))
        : m_rightAligned(std::move(rightAligned)), m_indent(std::move(indent)), m_gap(std::move(gap))
    {
    }

    void add(QStringList row)
    {
        for (qsizetype i = 0; i < row.size(); ++i) {
            if (i == m_widths.size())
                m_widths.append(0);
            m_widths[i] = std::max(m_widths[i], row[i].size());
        }
        m_lines.append({std::move(row), false});
    }
    void addNote(const QString &line) { m_lines.append({QStringList{line}, true}); }

    QString text() const
    {
        QString out;
        for (const auto &[cells, note] : m_lines) {
            if (note) {
                out += cells.first() + u'\n';
                continue;
            }
            QString line = m_indent;
            for (qsizetype i = 0; i < cells.size(); ++i) {
                if (i > 0)
                    line += m_gap;
                const bool last = i == cells.size() - 1;
                if (m_rightAligned.contains(int(i)))
                    line += cells[i].rightJustified(m_widths[i]);
                else
                    line += last ? cells[i] : cells[i].leftJustified(m_widths[i]);
            }
            out += line + u'\n';
        }
        return out;
    }

private:
    QList<int> m_rightAligned;
    QString m_indent;
    QString m_gap;
    QList<qsizetype> m_widths;
    QList<std::pair<QStringList, bool>> m_lines;
};
