#pragma once

#include "engine/enginelink.h"

#include <QHash>
#include <QWidget>

#include <deque>
#include <memory>

QT_BEGIN_NAMESPACE
class QLabel;
class QDateTimeAxis;
class QLineSeries;
class QValueAxis;
QT_END_NAMESPACE

namespace fulcrum::ui {

class MarkedChartView;

// A state change drawn as a vertical line on the time axis of every live chart.
struct StateMarker
{
    QDateTime time;
    QString serverKey;
    QString label;
};

// Requests/s, p95 latency and error rate per server over the last minutes, one line per
// server in its colour; state changes marked on the time axis. Lines are fed with
// replace() from a bounded history kept here. Shows the chosen servers, or the first
// kMaxLines of the snapshot when none are chosen. The lines carry one point per second and
// are fed in turns, a few lines per tick, so that none is more than kRefreshMs behind.
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

    explicit LiveLoadView(QWidget *parent = nullptr);
    ~LiveLoadView() override;

    void updateFromSnapshot(const LinkSnapshot &snapshot);
    void addEvents(const QList<LinkEvent> &events);
    void setChosenServers(const QStringList &serverKeys);
    // Charts of figures the engine does not report (p95, 5xx) are hidden, and a line says so.
    void setCapabilities(const EngineCapabilities &capabilities);
    QStringList shownServers() const { return m_shown; }
    int markerCount() const;
    // For tests: the points the requests/s line of a server holds.
    QList<QPointF> requestsSeries(const QString &serverKey) const;
    // The time window chart `chart` (0 requests, 1 p95, 2 5xx) shows, as set on its axis.
    std::pair<QDateTime, QDateTime> timeRange(int chart) const;
    // What the charts say about which servers they show; empty when they show every server.
    QString selectionNote() const;

Q_SIGNALS:
    // The operator clicked "show all" in the selection note.
    void showAllRequested();

public:

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
    struct Chart
    {
        MarkedChartView *view = nullptr;
        QDateTimeAxis *time = nullptr;
        QValueAxis *value = nullptr;
        QHash<QString, QLineSeries *> lines;
        qint64 timeStart = 0;      // the axes' ranges as last set
        qint64 timeEnd = 0;
        double valueTop = 0;
    };
    void syncLines(Chart &chart, int first, int count);
    void syncTimeAxis(Chart &chart);
    void refreshLines();
    void refreshDueCharts(const QDateTime &previous);
    QStringList linesToShow() const;

    Chart m_charts[3];
    QLabel *m_notReported = nullptr;
    QLabel *m_selectionNote = nullptr;   // "1 of 6 servers: the selection in Servers · show all"
    void updateSelectionNote();
    QHash<QString, std::deque<Point>> m_history;   // per server key
    QStringList m_order;                           // snapshot order
    QStringList m_chosen;
    QStringList m_shown;
    std::shared_ptr<std::deque<StateMarker>> m_markers;
    QDateTime m_now;
    quint64 m_turn = 0;
    qint64 m_tickMs = 250;   // between the last two snapshots
    bool m_stale = false;
};

} // namespace fulcrum::ui
