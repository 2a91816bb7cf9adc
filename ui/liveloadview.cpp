#include "liveloadview.h"

#include "chartstyle.h"
#include "servercolors.h"

#include <QChart>
#include <QChartView>
#include <QDateTimeAxis>
#include <QGraphicsScene>
#include <QLegend>
#include <QLegendMarker>
#include <QLineSeries>
#include <QPainter>
#include <QValueAxis>
#include <QLabel>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>
#include <utility>

namespace fulcrum::ui {

namespace {

// The smallest of 1, 2, 2.5, 5 × 10^n at or above value, and how many ticks divide it into
// round steps.
std::pair<double, int> niceCeiling(double value)
{
    const double magnitude = std::pow(10.0, std::floor(std::log10(value)));
    for (const auto &[factor, ticks] : {std::pair{1.0, 6}, std::pair{2.0, 5}, std::pair{2.5, 6}, std::pair{5.0, 6}}) {
        if (factor * magnitude >= value)
            return {factor * magnitude, ticks};
    }
    return {10 * magnitude, 6};
}

} // namespace

// A chart view that paints the state-change markers over the plot: cheaper than a series
// per marker and never in the legend.
class MarkedChartView : public QChartView
{
public:
    MarkedChartView(std::shared_ptr<std::deque<StateMarker>> markers, QLineSeries *anchor, QWidget *parent)
        : QChartView(parent), m_markers(std::move(markers)), m_anchor(anchor) {}

    bool drawLabels = false;

protected:
    void drawForeground(QPainter *painter, const QRectF &rect) override
    {
        QChartView::drawForeground(painter, rect);
        if (!m_anchor || !chart())
            return;
        const QRectF plot = chart()->plotArea();
        painter->save();
        QFont font = painter->font();
        font.setPointSizeF(font.pointSizeF() * 0.85);
        painter->setFont(font);
        for (const StateMarker &marker : *m_markers) {
            const QPointF at = chart()->mapToPosition(QPointF(marker.time.toMSecsSinceEpoch(), 0), m_anchor);
            if (at.x() < plot.left() || at.x() > plot.right())
                continue;
            const QColor colour = serverColor(marker.serverKey);
            painter->setPen(QPen(colour, 1.5, Qt::DashLine));
            const QPointF top = chart()->mapToScene(QPointF(at.x(), plot.top()));
            const QPointF bottom = chart()->mapToScene(QPointF(at.x(), plot.bottom()));
            painter->drawLine(top, bottom);
            if (drawLabels) {
                painter->setPen(colour);
                painter->drawText(top + QPointF(3, 12), marker.label);
            }
        }
        painter->restore();
    }

private:
    std::shared_ptr<std::deque<StateMarker>> m_markers;
    QLineSeries *m_anchor;
};

LiveLoadView::LiveLoadView(QWidget *parent)
    : QWidget(parent), m_markers(std::make_shared<std::deque<StateMarker>>())
{
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(0);
    // Never silently a subset: the charts say when they show only the selection.
    m_selectionNote = new QLabel(this);
    m_selectionNote->setObjectName(QStringLiteral("selectionNote"));
    m_selectionNote->setContentsMargins(8, 4, 8, 4);
    m_selectionNote->setTextFormat(Qt::RichText);
    m_selectionNote->hide();
    connect(m_selectionNote, &QLabel::linkActivated, this, [this] { Q_EMIT showAllRequested(); });
    layout->addWidget(m_selectionNote);
    const QString titles[3] = {tr("Requests per second"), tr("p95 latency (ms)"), tr("Errors (5xx %)")};
    for (int i = 0; i < 3; ++i) {
        Chart &c = m_charts[i];
        auto *chart = new QChart;
        chart->setTitle(titles[i]);
        chart->setAnimationOptions(QChart::NoAnimation);
        chart->legend()->setVisible(true);   // on all three, so their plot areas line up
        chart->legend()->setAlignment(Qt::AlignRight);
        chart->setMargins(QMargins(4, 2, 4, 2));
        c.time = new QDateTimeAxis(chart);
        c.time->setFormat(QStringLiteral("HH:mm:ss"));
        c.time->setTickCount(6);
        c.value = new QValueAxis(chart);
        c.value->setLabelFormat(i == 2 ? QStringLiteral("%.1f") : QStringLiteral("%d"));
        chart->addAxis(c.time, Qt::AlignBottom);
        chart->addAxis(c.value, Qt::AlignLeft);
        // An empty series on both axes from the start: Qt 6.4 never shows a time axis that
        // had no series at the first layout, and the markers need a series to map through.
        auto *anchor = new QLineSeries(chart);
        chart->addSeries(anchor);
        anchor->attachAxis(c.time);
        anchor->attachAxis(c.value);
        for (QLegendMarker *marker : chart->legend()->markers(anchor))
            marker->setVisible(false);
        c.view = new MarkedChartView(m_markers, anchor, this);
        c.view->setObjectName(QStringLiteral("liveChart%1").arg(i));
        c.view->drawLabels = i == 0;
        c.view->setChart(chart);
        // Every line changes its geometry each second: a BSP index of the scene's items would
        // be rebuilt for them each time and is of no use for a dozen items.
        c.view->scene()->setItemIndexMethod(QGraphicsScene::NoIndex);
        // Antialiased strokes of a dozen 300-point lines were most of a repaint; plain
        // one-pixel lines take the raster engine's fast path and read as well.
        c.view->setRenderHint(QPainter::Antialiasing, false);
        applyPalette(chart, palette());
        layout->addWidget(c.view, i == 0 ? 3 : 2);
    }
    m_notReported = new QLabel(this);
    m_notReported->setObjectName(QStringLiteral("liveNotReported"));
    m_notReported->setContentsMargins(8, 4, 8, 4);
    m_notReported->hide();
    layout->addWidget(m_notReported);
}

void LiveLoadView::setCapabilities(const EngineCapabilities &capabilities)
{
    m_charts[1].view->setVisible(capabilities.percentiles);
    m_charts[2].view->setVisible(capabilities.errorRates);
    QStringList missing;
    if (!capabilities.percentiles)
        missing.append(tr("p95 latency"));
    if (!capabilities.errorRates)
        missing.append(tr("5xx errors"));
    m_notReported->setText(tr("Not reported by this engine: %1.").arg(missing.join(QStringLiteral(", "))));
    m_notReported->setVisible(!missing.isEmpty());
}

LiveLoadView::~LiveLoadView() = default;

void LiveLoadView::setChosenServers(const QStringList &serverKeys)
{
    if (serverKeys == m_chosen)
        return;
    m_chosen = serverKeys;
    if (isVisible())
        refreshLines();
    else
        m_stale = true;
}

int LiveLoadView::markerCount() const
{
    return int(m_markers->size());
}

void LiveLoadView::updateFromSnapshot(const LinkSnapshot &snapshot)
{
    const QDateTime previous = std::exchange(m_now, snapshot.time);
    const qint64 nowMs = snapshot.time.toMSecsSinceEpoch();
    const qint64 oldest = nowMs - qint64(kWindowSeconds) * 1000;
    QStringList order;
    order.reserve(snapshot.servers.size());
    for (const ServerStatus &server : snapshot.servers) {
        const QString key = server.key();
        order.append(key);
        std::deque<Point> &history = m_history[key];
        const Point point{nowMs, float(server.requestsPerSecond), float(server.p95Ms), float(server.errorRate * 100)};
        // One point per second: the newest tick of a second replaces the one before it, so
        // a line holds at most kWindowSeconds + 1 points whatever the tick rate.
        if (!history.empty() && history.back().ms / 1000 == nowMs / 1000)
            history.back() = point;
        else
            history.push_back(point);
        while (!history.empty() && history.front().ms < oldest)
            history.pop_front();
    }
    if (order != m_order) {
        for (auto it = m_history.begin(); it != m_history.end();) {
            it = order.contains(it.key()) ? std::next(it) : m_history.erase(it);
        }
        m_order = order;
    }
    while (!m_markers->empty() && m_markers->front().time.toMSecsSinceEpoch() < oldest)
        m_markers->pop_front();
    // Charts are costly to feed; a hidden view only keeps its history and catches up when shown.
    if (!isVisible()) {
        m_stale = true;
        return;
    }
    if (std::exchange(m_stale, false))
        refreshLines();
    else
        refreshDueCharts(previous);
}

void LiveLoadView::refreshDueCharts(const QDateTime &previous)
{
    // A replace() makes Qt Charts map every point of the line again and stroke it into a
    // hit-test shape (a join per point): a full line costs about 0.15 ms. The lines move one
    // point per second, so the lines are fed in turns: a turn is one chart's lines, at most
    // kLinesPerTurn of them, and a tick takes as many turns as keep every line at most
    // kRefreshMs behind (at 4 Hz with 12 lines: one turn per tick, six turns).
    const QStringList shown = linesToShow();
    if (shown != m_shown) {
        refreshLines();   // the three charts show the same servers
        return;
    }
    const qint64 tickMs = previous.isValid() ? std::clamp<qint64>(previous.msecsTo(m_now), 1, kRefreshMs) : kRefreshMs;
    m_tickMs = tickMs;
    const int groups = std::max(1, int((m_shown.size() + kLinesPerTurn - 1) / kLinesPerTurn));
    const int turns = 3 * groups;
    const int ticksPerRefresh = std::max(1, int(kRefreshMs / tickMs));
    const int turnsPerTick = (turns + ticksPerRefresh - 1) / ticksPerRefresh;
    for (int k = 0; k < turnsPerTick; ++k) {
        const int turn = int(m_turn++ % quint64(turns));
        syncLines(m_charts[turn / groups], (turn % groups) * kLinesPerTurn, kLinesPerTurn);
    }
    // The time axes are checked every tick, so a chart whose lines wait for their turn is
    // still mapped onto the same window as the others.
    for (Chart &chart : m_charts)
        syncTimeAxis(chart);
}

void LiveLoadView::showEvent(QShowEvent *event)
{
    QWidget::showEvent(event);
    if (m_stale)
        refreshLines();
    m_stale = false;
}

void LiveLoadView::addEvents(const QList<LinkEvent> &events)
{
    for (const LinkEvent &event : events) {
        // Only arrivals in a state: "up, 1/3 failed" is on the way, not there.
        if ((event.what != QLatin1String("state") && event.what != QLatin1String("set-state")) || event.after.contains(u','))
            continue;
        const QString server = event.target.section(u'/', 1);
        m_markers->push_back(StateMarker{event.time, event.target, tr("%1 → %2").arg(server, event.after)});
    }
}

QStringList LiveLoadView::linesToShow() const
{
    QStringList shown;
    for (const QString &key : m_chosen.isEmpty() ? m_order : m_chosen) {
        if (m_history.contains(key))
            shown.append(key);
        if (shown.size() == kMaxLines)
            break;
    }
    return shown;
}

QString LiveLoadView::selectionNote() const
{
    return m_selectionNote->isHidden() ? QString() : m_selectionNote->text();
}

void LiveLoadView::updateSelectionNote()
{
    QString note;
    if (!m_chosen.isEmpty())
        note = tr("%1 of %2 servers: the selection in Servers · <a href=\"all\">show all</a>").arg(m_shown.size()).arg(m_order.size());
    else if (m_shown.size() < m_order.size())
        note = tr("the first %1 of %2 servers; select servers in the Servers tab to choose").arg(m_shown.size()).arg(m_order.size());
    if (m_selectionNote->text() != note)
        m_selectionNote->setText(note);
    m_selectionNote->setVisible(!note.isEmpty());
}

void LiveLoadView::refreshLines()
{
    m_shown = linesToShow();
    updateSelectionNote();
    for (Chart &chart : m_charts) {
        syncLines(chart, 0, kMaxLines);
        syncTimeAxis(chart);
    }
}

void LiveLoadView::syncLines(Chart &c, int first, int count)
{
    const int which = int(&c - m_charts);
    QChart *chart = c.view->chart();
    for (auto it = c.lines.begin(); it != c.lines.end();) {
        if (m_shown.contains(it.key())) {
            ++it;
            continue;
        }
        chart->removeSeries(it.value());
        delete it.value();
        it = c.lines.erase(it);
    }
    auto valueOf = [which](const Point &p) { return double(which == 0 ? p.requests : which == 1 ? p.p95 : p.errors); };
    double top = which == 2 ? 1.0 : 10.0;
    for (int i = 0; i < m_shown.size(); ++i) {
        const QString &key = m_shown[i];
        const std::deque<Point> &history = m_history[key];
        QLineSeries *&line = c.lines[key];
        const bool added = !line;
        if (added) {
            line = new QLineSeries(chart);
            line->setName(key.section(u'/', 1));
            line->setPen(QPen(serverColor(key), kLineWidth));
            chart->addSeries(line);
            line->attachAxis(c.time);
            line->attachAxis(c.value);
        }
        if (!added && (i < first || i >= first + count)) {
            for (const Point &p : history)
                top = std::max(top, valueOf(p));
            continue;
        }
        QList<QPointF> points;
        points.reserve(qsizetype(history.size()));
        for (const Point &p : history) {
            top = std::max(top, valueOf(p));
            points.append(QPointF(double(p.ms), valueOf(p)));
        }
        line->replace(points);
    }
    // Values: a 1-2-5 top with room above the highest point; it shrinks only when the lines
    // use less than a third of it, so a line moving near the top does not rescale every tick.
    const double wanted = top * 1.15;
    if (wanted > c.valueTop || wanted < c.valueTop / 3) {
        const auto [nice, ticks] = niceCeiling(wanted);
        c.valueTop = nice;
        c.value->setTickCount(ticks);
        c.value->setRange(0, nice);
    }
}

void LiveLoadView::syncTimeAxis(Chart &c)
{
    // The axes move in steps, not every tick: new labels mean a new layout of the whole chart.
    // The window ends at the next kTimeStepSeconds boundary and starts at the oldest
    // point kept (at least a minute back), so a fresh start fills the chart.
    if (m_now.isValid()) {
        // One window for the three charts, so a moment is at the same x in each (a new range
        // costs a remap of every line, about 5 ms per chart, once per step).
        const qint64 step = qint64(kTimeStepSeconds) * 1000;
        const qint64 end = (m_now.toMSecsSinceEpoch() / step + 1) * step;
        qint64 oldest = end - 60'000;
        for (const QString &key : m_shown) {
            const std::deque<Point> &history = m_history[key];
            if (!history.empty())
                oldest = std::min(oldest, history.front().ms);
        }
        // Labels every 10, 20, 30 or 60 s, at most six intervals.
        qint64 labelStep = step;
        for (const qint64 candidate : {qint64(20'000), qint64(30'000), qint64(60'000)}) {
            if ((end - oldest + labelStep - 1) / labelStep <= 6)
                break;
            labelStep = candidate;
        }
        const qint64 intervals = (end - oldest + labelStep - 1) / labelStep;
        const qint64 start = end - intervals * labelStep;
        if (start != c.timeStart || end != c.timeEnd) {
            c.timeStart = start;
            c.timeEnd = end;
            c.time->setTickCount(int(intervals) + 1);
            c.time->setRange(QDateTime::fromMSecsSinceEpoch(start), QDateTime::fromMSecsSinceEpoch(end));
        }
    }
}

std::pair<QDateTime, QDateTime> LiveLoadView::timeRange(int chart) const
{
    const QDateTimeAxis *axis = m_charts[std::clamp(chart, 0, 2)].time;
    return {axis->min(), axis->max()};
}

QList<QPointF> LiveLoadView::requestsSeries(const QString &serverKey) const
{
    const QLineSeries *line = m_charts[0].lines.value(serverKey);
    return line ? line->points() : QList<QPointF>();
}

void LiveLoadView::changeEvent(QEvent *event)
{
    if (event->type() == QEvent::PaletteChange) {
        for (Chart &c : m_charts)
            applyPalette(c.view->chart(), palette());
    }
    QWidget::changeEvent(event);
}

} // namespace fulcrum::ui
