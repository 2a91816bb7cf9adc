#pragma once

#include "engine/enginelink.h"

#include <QHash>
#include <QJsonObject>
#include <QWidget>

#include <deque>
#include <memory>

QT_BEGIN_NAMESPACE
class QChartView;
class QComboBox;
class QLabel;
class QDateTimeAxis;
class QLineSeries;
class QPushButton;
class QValueAxis;
QT_END_NAMESPACE

namespace fulcrum::ui {

class MarkedChartView;

// A state or weight change drawn as a vertical line on the time axis of every live chart.
struct StateMarker
{
    enum class Kind { State, Weight };
    QDateTime time;
    QString serverKey;
    QString label;
    Kind kind = Kind::State;
};

// Requests/s, p95 latency and error rate per server, one line per server in its colour; state
// and weight changes marked on the time axis; the pointer shows each line's value.
//
// Three ways to look: live (the last minutes, scrolling), paused (the live charts stand still
// on a copy while the engine keeps recording), and a window of the engine's history (last
// 15 min … 7 days, or a custom window), asked for with historyRequested and shown by
// showHistory. Shows the chosen servers, or the first kMaxLines of the snapshot when none are
// chosen, and says so. Live lines carry one point per second and are fed in turns, a few
// lines per tick, so that none is more than kRefreshMs behind.
class LiveLoadView : public QWidget
{
    Q_OBJECT
public:
    static constexpr int kMaxLines = 12;
    static constexpr int kWindowSeconds = 300;
    static constexpr int kTimeStepSeconds = 10;   // the time axis moves in steps of this
    static constexpr int kLineWidth = 1;
    static constexpr int kLinesPerTurn = 6;       // lines fed per chart and turn (see refreshDueCharts)
    static constexpr qint64 kRefreshMs = 1500;    // how far behind a line may be
    static constexpr int kHistoryPoints = 600;    // per server, asked of the history store
    static constexpr int kLabelRows = 3;          // marker labels stack in this many rows
    static constexpr int kChartSideMargin = 4;    // a chart's own left and right margin

    enum class Mode { Live, Paused, History };

    explicit LiveLoadView(QWidget *parent = nullptr);
    ~LiveLoadView() override;

    void updateFromSnapshot(const LinkSnapshot &snapshot);
    void addEvents(const QList<LinkEvent> &events);
    void setChosenServers(const QStringList &serverKeys);
    // Charts of figures the engine does not report (p95, 5xx) are hidden, and a line says so;
    // without history (capabilities.reports) only the live view is offered.
    void setCapabilities(const EngineCapabilities &capabilities);

    Mode mode() const { return m_mode; }
    // Pause freezes the live charts (on a copy: hover and the selection still work); resume
    // jumps back to now.
    void setPaused(bool paused);
    // The last `seconds` from the engine's history; 0 goes back to live.
    void showLast(qint64 seconds);
    // A fixed window from the engine's history.
    void showWindow(const QDateTime &from, const QDateTime &to);
    // The answer to historyRequested: GET /api/v1/history's JSON, or why there is none.
    void showHistory(const QJsonObject &series, const QString &error);

    QStringList shownServers() const { return m_shown; }
    int markerCount() const;
    // For tests: the points the requests/s line of a server holds.
    QList<QPointF> requestsSeries(const QString &serverKey) const;
    // The time window chart `chart` (0 requests, 1 p95, 2 5xx) shows, as set on its axis.
    std::pair<QDateTime, QDateTime> timeRange(int chart) const;
    // What the charts say about which servers they show; empty when they show every server.
    QString selectionNote() const;
    // The legend above the charts, one "■ name" per line shown, in order.
    QStringList legendEntries() const;
    // The line above the charts: paused, which window of history, or why there is none.
    QString statusText() const;
    QChartView *chartView(int chart) const;
    // Where the marker labels of a chart are drawn (scene coordinates) and which they are.
    QList<std::pair<QRectF, QString>> markerLabels(int chart) const;
    // What the pointer shows over a chart: its time, each line's value, the changes near it;
    // empty when the pointer is not over the plot.
    QStringList hoverText(int chart) const;
    // Where the pointer's box is drawn (scene coordinates); empty when there is none.
    QRectF hoverBox(int chart) const;

Q_SIGNALS:
    // The operator clicked "show all" in the selection note.
    void showAllRequested();
    // Asks the engine's history for a window; answer with showHistory.
    void historyRequested(qint64 fromMs, qint64 toMs, int points);

protected:
    void changeEvent(QEvent *event) override;
    void showEvent(QShowEvent *event) override;

private:
    struct Point
    {
        qint64 ms;
        float requests;
        float p95;
        float errors;
    };
    using Series = QHash<QString, std::deque<Point>>;
    struct Chart
    {
        MarkedChartView *view = nullptr;
        QDateTimeAxis *time = nullptr;
        QValueAxis *value = nullptr;
        QHash<QString, QLineSeries *> lines;
        qint64 timeStart = 0;      // the axes' ranges as last set
        qint64 timeEnd = 0;
        double valueTop = 0;
        int valueTicks = 6;        // the 1-2-5 top's own ticks; fewer are shown on a short chart
    };
    // Ticks on the value axis: the top's own, or fewer (the top and its half, or the top
    // alone) when the plot is too short for their labels, which Qt would otherwise elide to "…".
    void fitValueTicks(Chart &chart);
    void alignPlotsLeft();
    // The legend above the charts: the shown lines' colours and names.
    void updateLegend();
    void syncLines(Chart &chart, int first, int count);
    void syncTimeAxis(Chart &chart);
    void refreshLines();
    void refreshDueCharts(const QDateTime &previous);
    void repaintCharts();
    QStringList linesToShow() const;
    const Series &series() const { return m_mode == Mode::Live ? m_history : m_past; }
    const QStringList &order() const { return m_mode == Mode::Live ? m_order : m_pastOrder; }
    void setMode(Mode mode);
    // Drops the paused copy or the history window and follows the live data again.
    void backToLive();
    void requestWindow(qint64 fromMs, qint64 toMs);
    void rangeChosen(int index);
    void updateControls();
    void updateSelectionNote();
    void setStatus(const QString &text, bool error = false);

    Chart m_charts[3];
    // Where each plot's left edge would be with the base margin, as its own last layout found it
    // (-1: not laid out yet). Read from a chart's plotArea only when that chart has just been
    // laid out: another chart's plotArea may still be the one of its margins before a change,
    // and mixing the two made the margins chase each other forever (the console froze).
    qreal m_naturalLeft[3] = {-1, -1, -1};
    QComboBox *m_range = nullptr;
    QPushButton *m_pause = nullptr;
    QPushButton *m_reload = nullptr;
    QLabel *m_status = nullptr;
    QLabel *m_notReported = nullptr;
    QLabel *m_selectionNote = nullptr;   // "1 of 6 servers: the selection in Servers · show all"
    QLabel *m_legend = nullptr;          // the lines' colours and names, wrapped over the width
    QStringList m_legendEntries;         // what it says, "■ name" per line
    Series m_history;                    // live, per server key
    QStringList m_order;                 // snapshot order
    Series m_past;                       // paused copy or a window of history
    QStringList m_pastOrder;
    qint64 m_pastFrom = 0;               // the paused or history window
    qint64 m_pastTo = 0;
    qint64 m_rangeSeconds = 0;           // the "last …" asked for; 0: a fixed window
    QStringList m_chosen;
    QStringList m_shown;
    std::deque<StateMarker> m_markers;   // live
    std::deque<StateMarker> m_pastMarkers;
    Mode m_mode = Mode::Live;
    bool m_hasHistory = true;
    QDateTime m_now;
    quint64 m_turn = 0;
    qint64 m_tickMs = 250;   // between the last two snapshots
    bool m_stale = false;
};

} // namespace fulcrum::ui
