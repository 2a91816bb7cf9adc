#pragma once

#include <QFrame>

class QLabel;

namespace fulcrum::ui {

// The outcome of an action in a dialog: an icon, a coloured frame (green done, red not done,
// plain while waiting) and word-wrapped text. Setting it grows the dialog to fit, so the rows
// above are never squashed into clipped half-height text (a word-wrapped label's height
// depends on its width, which a dialog does not recompute by itself).
class ResultBanner : public QFrame
{
    Q_OBJECT
public:
    enum class Outcome { None, Waiting, Done, Failed };

    explicit ResultBanner(QWidget *parent = nullptr);

    void setResult(Outcome outcome, const QString &text);
    Outcome outcome() const { return m_outcome; }
    QString text() const;
    QLabel *iconLabel() const { return m_icon; }
    QLabel *textLabel() const { return m_text; }

private:
    Outcome m_outcome = Outcome::None;
    QLabel *m_icon;
    QLabel *m_text;
};

// A red line across a view that says something is wrong now (an engine or a lock store that
// does not answer), word-wrapped so the reason is whole and selectable; hidden until given a
// text.
QLabel *makeAlarmLine(const QString &objectName, QWidget *parent);

// Grows a top-level widget to the height its layout needs at its present width (and makes that
// its minimum), after a word-wrapped text changed.
void growToFit(QWidget *window);

} // namespace fulcrum::ui
