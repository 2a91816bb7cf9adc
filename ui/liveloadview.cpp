#include "liveloadview.h"

#include "chartstyle.h"
#include "servercolors.h"

#include <QChart>
#include <QChartView>
#include <QComboBox>
#include <QDateTimeAxis>
#include <QDateTimeEdit>
#include <QDialog>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QGraphicsScene>
#include <QHBoxLayout>
#include <QJsonArray>
#include <QLabel>
#include <QLegend>
#include <QLineSeries>
#include <QMouseEvent>
#include <QPainter>
#include <QPushButton>
#include <QStandardItemModel>
#include <QValueAxis>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>
#include <functional>
#include <optional>
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

// The time format for a window: seconds when they matter, the date when it spans days.
QString timeFormat(qint64 spanMs)
{
    if (spanMs <= 30 * 60'000)
        return QStringLiteral("HH:mm:ss");
    if (spanMs <= 36 * 3'600'000LL)
        return QStringLiteral("HH:mm");
    return QStringLiteral("MM-dd HH:mm");
}

// A window widened to round tick steps of local time (10 s … 1 day), at most 8 of them.
struct TickedWindow
{
    qint64 start;
    qint64 end;
    int intervals;
};
TickedWindow tickedWindow(qint64 fromMs, qint64 toMs)
{
    static constexpr qint64 kSteps[] = {10'000, 30'000, 60'000, 120'000, 300'000, 600'000, 900'000, 1'800'000, 3'600'000,
                                        7'200'000, 10'800'000, 21'600'000, 43'200'000, 86'400'000};
    const qint64 span = std::max<qint64>(1, toMs - fromMs);
    qint64 step = kSteps[std::size(kSteps) - 1];
    for (qint64 candidate : kSteps) {
        if (span / candidate <= 7) {
            step = candidate;
            break;
        }
    }
    // Round in local time, so an hour tick reads HH:00 and a day tick 00:00 where the operator is.
    const qint64 offset = qint64(QDateTime::fromMSecsSinceEpoch(fromMs).offsetFromUtc()) * 1000;
    const auto floorTo = [step, offset](qint64 ms) { return (ms + offset) / step * step - offset; };
    const qint64 start = floorTo(fromMs);
    qint64 end = floorTo(toMs);
    if (end < toMs)
        end += step;
    return {start, end, int(std::max<qint64>(1, (end - start) / step))};
}

QString formatValue(int chart, double value)
{
    switch (chart) {
    case 0: return LiveLoadView::tr("%1 req/s").arg(value, 0, 'f', value < 10 ? 1 : 0);
    case 1: return LiveLoadView::tr("%1 ms").arg(value, 0, 'f', 1);
    default: return LiveLoadView::tr("%1 %").arg(value, 0, 'f', 1);
    }
}

} // namespace

// A chart view that paints the markers over the plot (cheaper than a series per marker and
// never in the legend) and what the pointer is over. Markers are mapped through the anchor
// series at every paint, so they move with the data; the owner repaints the whole viewport
// whenever the time axis moves or markers come and go, because a partial repaint would leave
// a marker drawn at its old x outside the repainted part.
class MarkedChartView : public QChartView
{
public:
    MarkedChartView(int which, QLineSeries *anchor, QWidget *parent)
        : QChartView(parent), m_which(which), m_anchor(anchor)
    {
        setMouseTracking(true);
        viewport()->setMouseTracking(true);
    }

    const std::deque<StateMarker> *markers = nullptr;
    bool drawLabels = false;
    QString timeFormat = QStringLiteral("HH:mm:ss");

    struct PlacedLabel
    {
        QRectF rect;              // scene coordinates
        const StateMarker *marker;
    };

    // Labels left to right in up to kLabelRows rows, each where it does not touch the one
    // before it in that row; a label with no room is left out (its line is still drawn and
    // the pointer names it), so close changes never smear into each other.
    QList<PlacedLabel> placeLabels(const QFont &font) const
    {
        QList<PlacedLabel> placed;
        if (!drawLabels || !markers || !chart())
            return placed;
        const QRectF plot = chart()->plotArea();
        const QFontMetricsF metrics(font);
        std::vector<std::pair<qreal, const StateMarker *>> inPlot;
        for (const StateMarker &marker : *markers) {
            const qreal x = xOf(marker.time);
            if (x >= plot.left() && x <= plot.right())
                inPlot.emplace_back(x, &marker);
        }
        std::stable_sort(inPlot.begin(), inPlot.end(), [](const auto &a, const auto &b) { return a.first < b.first; });
        qreal rowEnd[LiveLoadView::kLabelRows];
        std::fill(std::begin(rowEnd), std::end(rowEnd), plot.left() - 1000);
        for (const auto &[x, marker] : inPlot) {
            const qreal width = metrics.horizontalAdvance(marker->label) + 4;
            const qreal left = std::max(plot.left(), std::min(x + 3, plot.right() - width));
            for (int row = 0; row < LiveLoadView::kLabelRows; ++row) {
                if (left < rowEnd[row] + 6)
                    continue;
                placed.append({QRectF(left, plot.top() + 2 + row * metrics.height(), width, metrics.height()), marker});
                rowEnd[row] = left + width;
                break;
            }
        }
        return placed;
    }

    QFont labelFont() const
    {
        QFont font = this->font();
        font.setPointSizeF(font.pointSizeF() * 0.85);
        return font;
    }

    // Where the pointer's box is drawn, in scene coordinates (empty without one).
    QRectF hoverBox() const { return layoutHover(hoverText(), labelFont()).box; }

    QStringList hoverText() const
    {
        if (!m_hover || !chart())
            return {};
        const QPointF scenePoint = mapToScene(m_hover->toPoint());
        const QRectF plot = chart()->plotArea();
        if (!plot.contains(scenePoint))
            return {};
        const double at = chart()->mapToValue(scenePoint, m_anchor).x();
        // The time of the values read (the nearest point's, the same second for every line),
        // else the pointer's: a pixel spans a third of a second on a five-minute axis.
        double readAt = at;
        QStringList lines{QString()};
        // The nearest point of each line, when it is close: a line with a gap says nothing there.
        const double pixel = std::abs(chart()->mapToValue(scenePoint + QPointF(1, 0), m_anchor).x() - at);
        for (QAbstractSeries *abstract : chart()->series()) {
            auto *line = qobject_cast<QLineSeries *>(abstract);
            if (!line || line == m_anchor || !line->isVisible() || line->count() == 0)
                continue;
            const QList<QPointF> points = line->points();
            auto it = std::lower_bound(points.begin(), points.end(), at, [](const QPointF &p, double x) { return p.x() < x; });
            const QPointF *nearest = nullptr;
            if (it != points.end())
                nearest = &*it;
            if (it != points.begin() && (!nearest || at - std::prev(it)->x() < nearest->x() - at))
                nearest = &*std::prev(it);
            const double spacing = points.size() > 1 ? (points.last().x() - points.first().x()) / double(points.size() - 1) : 0;
            if (!nearest || std::abs(nearest->x() - at) > std::max(spacing * 1.5, pixel * 6))
                continue;
            if (lines.size() == 1)
                readAt = nearest->x();
            lines.append(QStringLiteral("%1  %2").arg(line->name(), formatValue(m_which, nearest->y())));
        }
        lines[0] = QDateTime::fromMSecsSinceEpoch(qint64(readAt)).toString(timeFormat == u"HH:mm:ss" ? timeFormat : QStringLiteral("yyyy-MM-dd HH:mm:ss"));
        if (markers) {
            for (const StateMarker &marker : *markers) {
                if (std::abs(xOf(marker.time) - scenePoint.x()) <= 6)
                    lines.append(QStringLiteral("%1  %2").arg(marker.time.toLocalTime().toString(QStringLiteral("HH:mm:ss")), marker.label));
            }
        }
        return lines;
    }

protected:
    void mouseMoveEvent(QMouseEvent *event) override
    {
        m_hover = event->position();
        viewport()->update();
        QChartView::mouseMoveEvent(event);
    }

    void leaveEvent(QEvent *event) override
    {
        m_hover.reset();
        viewport()->update();
        QChartView::leaveEvent(event);
    }

    void drawForeground(QPainter *painter, const QRectF &rect) override
    {
        QChartView::drawForeground(painter, rect);
        if (!m_anchor || !chart() || !markers)
            return;
        const QRectF plot = chart()->plotArea();
        painter->save();
        painter->setFont(labelFont());
        for (const StateMarker &marker : *markers) {
            const qreal x = xOf(marker.time);
            if (x < plot.left() || x > plot.right())
                continue;
            const QColor colour = serverColor(marker.serverKey);
            painter->setPen(QPen(colour, 1.5, marker.kind == StateMarker::Kind::Weight ? Qt::DotLine : Qt::DashLine));
            painter->drawLine(QPointF(x, plot.top()), QPointF(x, plot.bottom()));
        }
        for (const PlacedLabel &label : placeLabels(painter->font())) {
            painter->setPen(serverColor(label.marker->serverKey));
            painter->drawText(label.rect, Qt::AlignLeft | Qt::AlignVCenter, label.marker->label);
        }
        drawHover(painter, plot);
        painter->restore();
    }

private:
    qreal xOf(const QDateTime &time) const
    {
        return chart()->mapToPosition(QPointF(double(time.toMSecsSinceEpoch()), 0), m_anchor).x();
    }

    // The pointer's box: the time on top, then the lines' values and the changes in as many
    // columns as the chart's height needs (twelve servers do not fit one column of a short
    // chart, which cut the list off), inside the view.
    struct HoverLayout
    {
        QRectF box;
        QList<QPointF> origins;   // each line's baseline start
    };

    HoverLayout layoutHover(const QStringList &lines, const QFont &font) const
    {
        HoverLayout layout;
        if (lines.isEmpty() || !m_hover)
            return layout;
        const QRectF plot = chart()->plotArea();
        const QRectF view = sceneRect();
        const qreal x = mapToScene(m_hover->toPoint()).x();
        const QFontMetricsF metrics(font);
        const qreal lineHeight = metrics.height();
        const qreal gap = metrics.horizontalAdvance(QStringLiteral("    "));
        const int fitting = std::max(2, int((view.height() - 8 - 4) / lineHeight));
        const int perColumn = fitting - 1;   // under the time
        const int entries = int(lines.size()) - 1;
        const int columns = std::max(1, (entries + perColumn - 1) / perColumn);
        const int rows = std::min(entries, perColumn);
        QList<qreal> columnWidth(columns, 0);
        for (int i = 0; i < entries; ++i)
            columnWidth[i / perColumn] = std::max(columnWidth[i / perColumn], metrics.horizontalAdvance(lines[i + 1]));
        qreal width = 0;
        for (qreal w : columnWidth)
            width += w;
        width = std::max(width + gap * (columns - 1), metrics.horizontalAdvance(lines[0]));
        QRectF box(0, 0, width + 12, lineHeight * (rows + 1) + 8);
        box.moveTop(std::max(view.top(), std::min(plot.top() + 4, view.bottom() - box.height() - 1)));
        box.moveLeft(x + 10 + box.width() <= plot.right() ? x + 10 : std::max(view.left(), x - 10 - box.width()));
        layout.box = box;
        const qreal top = box.top() + 4 + metrics.ascent();
        layout.origins.append(QPointF(box.left() + 6, top));
        qreal left = box.left() + 6;
        for (int i = 0; i < entries; ++i) {
            const int column = i / perColumn;
            if (i > 0 && i % perColumn == 0)
                left += columnWidth[column - 1] + gap;
            layout.origins.append(QPointF(left, top + (i % perColumn + 1) * lineHeight));
        }
        return layout;
    }

    void drawHover(QPainter *painter, const QRectF &plot)
    {
        const QStringList lines = hoverText();
        if (lines.isEmpty())
            return;
        const qreal x = mapToScene(m_hover->toPoint()).x();
        painter->setPen(QPen(fadedText(palette(), 0.5), 1));
        painter->drawLine(QPointF(x, plot.top()), QPointF(x, plot.bottom()));
        const HoverLayout layout = layoutHover(lines, painter->font());
        painter->setPen(QPen(fadedText(palette(), 0.4), 1));
        painter->setBrush(palette().base());
        painter->drawRect(layout.box);
        painter->setPen(palette().color(QPalette::Text));
        for (int i = 0; i < lines.size(); ++i)
            painter->drawText(layout.origins[i], lines[i]);
    }

    int m_which;
    QLineSeries *m_anchor;
    std::optional<QPointF> m_hover;
};

LiveLoadView::LiveLoadView(QWidget *parent)
    : QWidget(parent)
{
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(0);

    // What is shown: live, paused, or a window of the engine's history.
    auto *controls = new QHBoxLayout;
    controls->setContentsMargins(8, 4, 8, 4);
    m_range = new QComboBox(this);
    m_range->setObjectName(QStringLiteral("liveRange"));
    m_range->addItem(tr("Live (last 5 min)"), 0);
    m_range->addItem(tr("History: last 15 min"), 900);
    m_range->addItem(tr("History: last 1 h"), 3600);
    m_range->addItem(tr("History: last 24 h"), 86'400);
    m_range->addItem(tr("History: last 7 days"), 7 * 86'400);
    m_range->addItem(tr("History: custom window…"), -1);
    auto *rangeLabel = new QLabel(tr("&Show:"), this);
    rangeLabel->setBuddy(m_range);
    m_pause = new QPushButton(tr("&Pause"), this);
    m_pause->setObjectName(QStringLiteral("livePause"));
    m_pause->setToolTip(tr("Stop the charts where they are to read them; the engine keeps recording"));
    m_reload = new QPushButton(tr("Re&load"), this);
    m_reload->setObjectName(QStringLiteral("liveReload"));
    m_reload->setToolTip(tr("Ask the engine's history again, up to now"));
    m_status = new QLabel(this);
    m_status->setObjectName(QStringLiteral("liveStatus"));
    m_status->setWordWrap(true);
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);
    controls->addWidget(rangeLabel);
    controls->addWidget(m_range);
    controls->addWidget(m_pause);
    controls->addWidget(m_reload);
    controls->addWidget(m_status, 1);
    layout->addLayout(controls);
    connect(m_range, &QComboBox::activated, this, &LiveLoadView::rangeChosen);
    connect(m_pause, &QPushButton::clicked, this, [this] { setPaused(m_mode == Mode::Live); });
    connect(m_reload, &QPushButton::clicked, this, [this] {
        if (m_rangeSeconds > 0)
            showLast(m_rangeSeconds);
        else
            requestWindow(m_pastFrom, m_pastTo);
    });

    // Never silently a subset: the charts say when they show only the selection.
    m_selectionNote = new QLabel(this);
    m_selectionNote->setObjectName(QStringLiteral("selectionNote"));
    m_selectionNote->setContentsMargins(8, 4, 8, 4);
    m_selectionNote->setTextFormat(Qt::RichText);
    m_selectionNote->hide();
    connect(m_selectionNote, &QLabel::linkActivated, this, [this] { Q_EMIT showAllRequested(); });
    layout->addWidget(m_selectionNote);
    // One legend for the three charts (the colours are the same in each), above them and
    // wrapped over the width: Qt's legend is one column beside a chart and cut off on a short
    // one (at 1024×640 it showed six of twelve servers), and it took the plots' width.
    m_legend = new QLabel(this);
    m_legend->setObjectName(QStringLiteral("liveLegend"));
    m_legend->setContentsMargins(8, 0, 8, 0);
    m_legend->setTextFormat(Qt::RichText);
    m_legend->setWordWrap(true);
    m_legend->setTextInteractionFlags(Qt::TextSelectableByMouse);
    layout->addWidget(m_legend);
    const QString titles[3] = {tr("Requests per second"), tr("p95 latency (ms)"), tr("Errors (5xx %)")};
    for (int i = 0; i < 3; ++i) {
        Chart &c = m_charts[i];
        auto *chart = new QChart;
        chart->setTitle(titles[i]);
        chart->setAnimationOptions(QChart::NoAnimation);
        chart->legend()->setVisible(false);   // m_legend above the charts stands for all three
        chart->setMargins(QMargins(kChartSideMargin, 2, kChartSideMargin, 2));
        c.time = new QDateTimeAxis(chart);
        c.time->setFormat(QStringLiteral("HH:mm:ss"));
        c.time->setTickCount(6);
        c.value = new QValueAxis(chart);
        c.value->setLabelFormat(i == 2 ? QStringLiteral("%.1f") : QStringLiteral("%d"));
        // Before the first snapshot (an engine that does not answer yet) the axes read as
        // they will with data: the last five minutes and the first data's top. Qt's defaults
        // labelled six ticks "00:00:00" and a 0–1 range "0 0 0 0 0 1".
        const auto [top, ticks] = niceCeiling((i == 2 ? 1.0 : 10.0) * 1.15);
        c.valueTop = top;
        c.valueTicks = ticks;
        c.value->setRange(0, top);
        c.value->setTickCount(ticks);
        const QDateTime now = QDateTime::currentDateTime();
        c.time->setRange(now.addSecs(-kWindowSeconds), now);
        chart->addAxis(c.time, Qt::AlignBottom);
        chart->addAxis(c.value, Qt::AlignLeft);
        // An empty series on both axes from the start: Qt 6.4 never shows a time axis that
        // had no series at the first layout, and the markers need a series to map through.
        auto *anchor = new QLineSeries(chart);
        chart->addSeries(anchor);
        anchor->attachAxis(c.time);
        anchor->attachAxis(c.value);
        c.view = new MarkedChartView(i, anchor, this);
        c.view->markers = &m_markers;
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
        // A resize (a smaller window, a chart shown or hidden) changes how many labels fit.
        // A resize or a new value range (wider labels) moves a plot's left edge: the three
        // start at the same x, so a change's dashed line is one column through them.
        connect(chart, &QChart::plotAreaChanged, this, [this, i] {
            fitValueTicks(m_charts[i]);
            const QChart *laidOut = m_charts[i].view->chart();
            m_naturalLeft[i] = laidOut->plotArea().isEmpty() ? -1 : laidOut->plotArea().left() - (laidOut->margins().left() - kChartSideMargin);
            alignPlotsLeft();
        });
        layout->addWidget(c.view, i == 0 ? 3 : 2);
    }
    m_notReported = new QLabel(this);
    m_notReported->setObjectName(QStringLiteral("liveNotReported"));
    m_notReported->setContentsMargins(8, 4, 8, 4);
    m_notReported->hide();
    layout->addWidget(m_notReported);
    updateControls();
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
    m_hasHistory = capabilities.reports;
    // Without a history store only the live view is offered, and the list says why.
    if (auto *model = qobject_cast<QStandardItemModel *>(m_range->model())) {
        for (int row = 1; row < model->rowCount(); ++row) {
            QStandardItem *item = model->item(row);
            item->setEnabled(m_hasHistory);
            item->setToolTip(m_hasHistory ? QString() : tr("This engine keeps no history; only the live view is available."));
        }
    }
    m_range->setToolTip(m_hasHistory ? tr("Live, or a window of the engine's history") : tr("This engine keeps no history; only the live view is available."));
    if (!m_hasHistory && m_mode == Mode::History)
        showLast(0);
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
    return int(m_markers.size());
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
    bool dropped = false;
    while (!m_markers.empty() && m_markers.front().time.toMSecsSinceEpoch() < oldest) {
        m_markers.pop_front();
        dropped = true;
    }
    // Paused and history views stand still; the live history goes on for when they end.
    if (m_mode != Mode::Live)
        return;
    // Charts are costly to feed; a hidden view only keeps its history and catches up when shown.
    if (!isVisible()) {
        m_stale = true;
        return;
    }
    if (dropped)
        repaintCharts();
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

void LiveLoadView::repaintCharts()
{
    for (Chart &chart : m_charts)
        chart.view->viewport()->update();
}

void LiveLoadView::addEvents(const QList<LinkEvent> &events)
{
    bool added = false;
    for (const LinkEvent &event : events) {
        const QString server = event.target.section(u'/', -1);
        if (event.what == QLatin1String("set-weight")) {
            m_markers.push_back(StateMarker{event.time, event.target, tr("%1 weight %2 → %3").arg(server, event.before, event.after), StateMarker::Kind::Weight});
            added = true;
            continue;
        }
        // Only arrivals in a state: "up, 1/3 failed" is on the way, not there.
        if ((event.what != QLatin1String("state") && event.what != QLatin1String("set-state")) || event.after.contains(u','))
            continue;
        m_markers.push_back(StateMarker{event.time, event.target, tr("%1 → %2").arg(server, event.after)});
        added = true;
    }
    if (added && m_mode == Mode::Live)
        repaintCharts();
}

QStringList LiveLoadView::linesToShow() const
{
    QStringList shown;
    const Series &data = series();
    for (const QString &key : m_chosen.isEmpty() ? order() : m_chosen) {
        if (data.contains(key))
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

QString LiveLoadView::statusText() const
{
    return m_status->isHidden() ? QString() : m_status->text();
}

QChartView *LiveLoadView::chartView(int chart) const
{
    return m_charts[std::clamp(chart, 0, 2)].view;
}

QList<std::pair<QRectF, QString>> LiveLoadView::markerLabels(int chart) const
{
    const MarkedChartView *view = m_charts[std::clamp(chart, 0, 2)].view;
    QList<std::pair<QRectF, QString>> labels;
    for (const MarkedChartView::PlacedLabel &placed : view->placeLabels(view->labelFont()))
        labels.append({placed.rect, placed.marker->label});
    return labels;
}

QStringList LiveLoadView::hoverText(int chart) const
{
    return m_charts[std::clamp(chart, 0, 2)].view->hoverText();
}

QRectF LiveLoadView::hoverBox(int chart) const
{
    return m_charts[std::clamp(chart, 0, 2)].view->hoverBox();
}

void LiveLoadView::updateSelectionNote()
{
    QString note;
    const int total = int(order().size());
    if (!m_chosen.isEmpty())
        note = tr("%1 of %2 servers: the selection in Servers · <a href=\"all\">show all</a>").arg(m_shown.size()).arg(total);
    else if (m_shown.size() < total)
        note = tr("the first %1 of %2 servers; select servers in the Servers tab to choose").arg(m_shown.size()).arg(total);
    if (m_selectionNote->text() != note)
        m_selectionNote->setText(note);
    m_selectionNote->setVisible(!note.isEmpty());
}

void LiveLoadView::updateLegend()
{
    // Each entry kept whole: non-breaking spaces inside it, and a word joiner after each hyphen
    // (checkout-eu-west-1a-10 broke after one; Qt's <nobr> holds a whole paragraph together,
    // which would not wrap at all). Lines wrap between entries.
    QStringList entries;
    QStringList html;
    for (const QString &key : std::as_const(m_shown)) {
        const QString name = key.section(u'/', -1);
        entries.append(QStringLiteral("■ ") + name);
        html.append(QStringLiteral("<span style=\"color:%1\">&#9632;</span>&nbsp;%2")
                        .arg(serverColor(key).name(), name.toHtmlEscaped().replace(u' ', QStringLiteral("&nbsp;")).replace(u'-', QStringLiteral("-&#8288;"))));
    }
    m_legendEntries = entries;
    const QString text = html.join(QStringLiteral("&nbsp;&nbsp; "));
    if (m_legend->text() != text)
        m_legend->setText(text);
    m_legend->setVisible(!entries.isEmpty());
}

QStringList LiveLoadView::legendEntries() const
{
    return m_legend->isHidden() ? QStringList() : m_legendEntries;
}

void LiveLoadView::refreshLines()
{
    m_shown = linesToShow();
    updateSelectionNote();
    updateLegend();
    for (Chart &chart : m_charts) {
        syncLines(chart, 0, kMaxLines);
        syncTimeAxis(chart);
    }
    repaintCharts();
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
    const Series &data = series();
    double top = which == 2 ? 1.0 : 10.0;
    for (int i = 0; i < m_shown.size(); ++i) {
        const QString &key = m_shown[i];
        const std::deque<Point> &history = *data.find(key);
        QLineSeries *&line = c.lines[key];
        const bool added = !line;
        if (added) {
            line = new QLineSeries(chart);
            line->setName(key.section(u'/', -1));
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
        c.valueTicks = ticks;
        c.value->setRange(0, nice);
        fitValueTicks(c);
    }
}

void LiveLoadView::alignPlotsLeft()
{
    // Where each plot would start with the chart's own left margin, and the margin that puts
    // it at the rightmost of those: computed from the base margin each time, so a narrower
    // label later lets the plots move back.
    qreal target = 0;
    for (int i = 0; i < 3; ++i) {
        if (!m_charts[i].view->chart() || m_naturalLeft[i] < 0)
            return;
        if (m_charts[i].view->isVisible())
            target = std::max(target, m_naturalLeft[i]);
    }
    for (int i = 0; i < 3; ++i) {
        QChart *chart = m_charts[i].view->chart();
        QMargins margins = chart->margins();
        const int left = kChartSideMargin + std::max(0, int(std::lround(target - m_naturalLeft[i])));
        if (left != margins.left()) {
            margins.setLeft(left);
            chart->setMargins(margins);
        }
    }
}

void LiveLoadView::fitValueTicks(Chart &c)
{
    const qreal plotHeight = c.view->chart()->plotArea().height();
    const int lineHeight = QFontMetrics(c.value->labelsFont()).height();
    // A label takes its line and a third more between labels.
    const int fitting = plotHeight > 0 ? std::max(2, int(plotHeight / (lineHeight * 4 / 3.0)) + 1) : c.valueTicks;
    int ticks = c.valueTicks;
    if (ticks > fitting) {
        // The half of a 1-2-5 top is a round figure the label format can show (250, 1, 0.5 %),
        // except for a top of 2.5 × 10ⁿ or a whole-number axis's top of 1.
        const double half = c.valueTop / 2;
        const bool wholeNumbers = c.value->labelFormat() == u"%d";
        const bool halfShows = wholeNumbers ? half == std::floor(half) : std::abs(half * 10 - std::round(half * 10)) < 1e-9;
        ticks = fitting >= 3 && halfShows ? 3 : 2;
    }
    if (c.value->tickCount() != ticks)
        c.value->setTickCount(ticks);
}

void LiveLoadView::syncTimeAxis(Chart &c)
{
    qint64 start = 0;
    qint64 end = 0;
    qint64 intervals = 1;
    if (m_mode == Mode::Paused)
        return;   // the live window as it was when paused
    if (m_mode == Mode::History) {
        const TickedWindow window = tickedWindow(m_pastFrom, m_pastTo);
        start = window.start;
        end = window.end;
        intervals = window.intervals;
    } else if (m_now.isValid()) {
        // The axes move in steps, not every tick: new labels mean a new layout of the whole
        // chart. The window ends at the next kTimeStepSeconds boundary and starts at the oldest
        // point kept (at least a minute back), so a fresh start fills the chart. One window for
        // the three charts, so a moment is at the same x in each (a new range costs a remap of
        // every line, about 5 ms per chart, once per step).
        const qint64 step = qint64(kTimeStepSeconds) * 1000;
        end = (m_now.toMSecsSinceEpoch() / step + 1) * step;
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
        intervals = (end - oldest + labelStep - 1) / labelStep;
        start = end - intervals * labelStep;
    } else {
        return;
    }
    if (start != c.timeStart || end != c.timeEnd) {
        c.timeStart = start;
        c.timeEnd = end;
        const QString format = m_mode == Mode::Live ? QStringLiteral("HH:mm:ss") : timeFormat(end - start);
        c.time->setFormat(format);
        c.view->timeFormat = format;
        c.time->setTickCount(int(intervals) + 1);
        c.time->setRange(QDateTime::fromMSecsSinceEpoch(start), QDateTime::fromMSecsSinceEpoch(end));
        // Every marker moves with the axis: the whole plot is drawn again, not only the parts
        // whose lines changed.
        c.view->viewport()->update();
    }
}

void LiveLoadView::setMode(Mode mode)
{
    m_mode = mode;
    for (Chart &chart : m_charts)
        chart.view->markers = mode == Mode::Live ? &m_markers : &m_pastMarkers;
    updateControls();
}

void LiveLoadView::setPaused(bool paused)
{
    if (paused == (m_mode == Mode::Paused) || m_mode == Mode::History)
        return;
    if (paused) {
        // A copy of what is on screen, so hover and the selection work on it while live data
        // goes on arriving.
        m_past = m_history;
        m_pastOrder = m_order;
        m_pastMarkers = m_markers;
        m_pastFrom = m_charts[0].timeStart;
        m_pastTo = m_charts[0].timeEnd;
        m_rangeSeconds = 0;
        setMode(Mode::Paused);
        // The axes as they are: a paused window is the live one, not re-ticked.
        setStatus(tr("Paused at %1: the charts stand still; the engine keeps recording. Resume to follow live.")
                      .arg(m_now.toLocalTime().toString(QStringLiteral("HH:mm:ss"))));
        return;
    }
    backToLive();
}

void LiveLoadView::backToLive()
{
    m_past.clear();
    m_pastMarkers.clear();
    for (Chart &chart : m_charts)
        chart.timeStart = chart.timeEnd = 0;
    setMode(Mode::Live);   // also shows "Live" in the list
    setStatus(QString());
    refreshLines();
}

void LiveLoadView::showLast(qint64 seconds)
{
    if (seconds <= 0) {
        backToLive();
        return;
    }
    const int index = m_range->findData(seconds);
    if (index >= 0)
        m_range->setCurrentIndex(index);
    const qint64 now = m_now.isValid() ? m_now.toMSecsSinceEpoch() : QDateTime::currentMSecsSinceEpoch();
    requestWindow(now - seconds * 1000, now);
    m_rangeSeconds = seconds;
}

void LiveLoadView::showWindow(const QDateTime &from, const QDateTime &to)
{
    m_range->setCurrentIndex(m_range->findData(-1));
    requestWindow(from.toMSecsSinceEpoch(), to.toMSecsSinceEpoch());
}

void LiveLoadView::requestWindow(qint64 fromMs, qint64 toMs)
{
    m_rangeSeconds = 0;
    m_pastFrom = fromMs;
    m_pastTo = toMs;
    m_past.clear();
    m_pastOrder.clear();
    m_pastMarkers.clear();
    for (Chart &chart : m_charts)
        chart.timeStart = chart.timeEnd = 0;
    setMode(Mode::History);
    const QString format = timeFormat(toMs - fromMs);
    setStatus(tr("Loading %1 – %2 from the engine's history…")
                  .arg(QDateTime::fromMSecsSinceEpoch(fromMs).toString(format), QDateTime::fromMSecsSinceEpoch(toMs).toString(format)));
    refreshLines();
    Q_EMIT historyRequested(fromMs, toMs, kHistoryPoints);
}

void LiveLoadView::showHistory(const QJsonObject &json, const QString &error)
{
    if (m_mode != Mode::History)
        return;   // the operator went back to live meanwhile
    m_past.clear();
    m_pastOrder.clear();
    m_pastMarkers.clear();
    if (!error.isEmpty()) {
        setStatus(tr("No history to show: %1").arg(error), true);
        refreshLines();
        return;
    }
    const auto timeOf = [](const QJsonValue &value) {
        QDateTime time = QDateTime::fromString(value.toString(), Qt::ISODateWithMs);
        if (time.timeSpec() == Qt::LocalTime)
            time.setTimeSpec(Qt::UTC);
        return time;
    };
    for (const QJsonValue &value : json.value(QStringLiteral("servers")).toArray()) {
        const QJsonObject server = value.toObject();
        const QString key = server.value(QStringLiteral("pool")).toString() + u'/' + server.value(QStringLiteral("server")).toString();
        std::deque<Point> &points = m_past[key];
        m_pastOrder.append(key);
        QString state;
        int weight = -1;
        for (const QJsonValue &pointValue : server.value(QStringLiteral("points")).toArray()) {
            const QJsonObject p = pointValue.toObject();
            const QDateTime time = timeOf(p.value(QStringLiteral("time")));
            if (!time.isValid())
                continue;
            const double requests = p.value(QStringLiteral("requests")).toDouble();
            const double errors = p.value(QStringLiteral("errors")).toDouble();
            points.push_back(Point{time.toMSecsSinceEpoch(), float(p.value(QStringLiteral("requests_per_s")).toDouble()),
                                   float(p.value(QStringLiteral("p95_ms")).toDouble()), float(requests > 0 ? errors * 100 / requests : 0)});
            // Changes between points are this window's markers (at its resolution).
            const QString nowState = p.value(QStringLiteral("state")).toString();
            const int nowWeight = p.value(QStringLiteral("weight")).toInt();
            const QString name = key.section(u'/', -1);
            if (!state.isEmpty() && nowState != state)
                m_pastMarkers.push_back(StateMarker{time, key, tr("%1 → %2").arg(name, nowState)});
            if (weight >= 0 && nowWeight != weight)
                m_pastMarkers.push_back(StateMarker{time, key, tr("%1 weight %2 → %3").arg(name).arg(weight).arg(nowWeight), StateMarker::Kind::Weight});
            state = nowState;
            weight = nowWeight;
        }
    }
    std::stable_sort(m_pastMarkers.begin(), m_pastMarkers.end(), [](const StateMarker &a, const StateMarker &b) { return a.time < b.time; });
    const QString format = timeFormat(m_pastTo - m_pastFrom);
    const int resolution = json.value(QStringLiteral("resolution_s")).toInt();
    QString text = m_pastOrder.isEmpty()
        ? tr("Nothing recorded %1 – %2: the engine's history has no samples in this window.")
              .arg(QDateTime::fromMSecsSinceEpoch(m_pastFrom).toString(format), QDateTime::fromMSecsSinceEpoch(m_pastTo).toString(format))
        : tr("History %1 – %2 · one point per %3 · %n server(s)", nullptr, int(m_pastOrder.size()))
              .arg(QDateTime::fromMSecsSinceEpoch(m_pastFrom).toString(format), QDateTime::fromMSecsSinceEpoch(m_pastTo).toString(format),
                   resolution < 60 ? tr("%1 s").arg(resolution) : resolution < 3600 ? tr("%1 min").arg(resolution / 60) : tr("%1 h").arg(resolution / 3600));
    QStringList missing;
    for (const QJsonValue &value : json.value(QStringLiteral("missing")).toArray())
        missing.append(value.toString());
    if (!missing.isEmpty())
        text += u' ' + tr("(not shown: %1)").arg(missing.join(QStringLiteral("; ")));
    setStatus(text, m_pastOrder.isEmpty());
    refreshLines();
}

void LiveLoadView::rangeChosen(int index)
{
    const qint64 seconds = m_range->itemData(index).toLongLong();
    if (seconds >= 0) {
        showLast(seconds);
        return;
    }
    // A custom window: from and to, in local time, with the last hour offered.
    QDialog dialog(this);
    dialog.setWindowTitle(tr("History window"));
    auto *form = new QFormLayout(&dialog);
    const QDateTime now = m_now.isValid() ? m_now.toLocalTime() : QDateTime::currentDateTime();
    auto *from = new QDateTimeEdit(m_mode == Mode::History && m_rangeSeconds == 0 && m_pastFrom ? QDateTime::fromMSecsSinceEpoch(m_pastFrom) : now.addSecs(-3600), &dialog);
    auto *to = new QDateTimeEdit(m_mode == Mode::History && m_rangeSeconds == 0 && m_pastTo ? QDateTime::fromMSecsSinceEpoch(m_pastTo) : now, &dialog);
    for (QDateTimeEdit *edit : {from, to}) {
        edit->setCalendarPopup(true);
        edit->setDisplayFormat(QStringLiteral("yyyy-MM-dd HH:mm:ss"));
    }
    from->setObjectName(QStringLiteral("historyFrom"));
    to->setObjectName(QStringLiteral("historyTo"));
    form->addRow(tr("&From:"), from);
    form->addRow(tr("&To:"), to);
    auto *problem = new QLabel(&dialog);
    problem->setWordWrap(true);
    problem->hide();
    form->addRow(problem);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, &dialog);
    buttons->button(QDialogButtonBox::Ok)->setText(tr("&Show"));
    form->addRow(buttons);
    connect(buttons, &QDialogButtonBox::rejected, &dialog, &QDialog::reject);
    connect(buttons, &QDialogButtonBox::accepted, &dialog, [&] {
        if (to->dateTime() <= from->dateTime()) {
            problem->setText(tr("\"To\" must be after \"From\"; the window %1 – %2 is empty.")
                                 .arg(from->dateTime().toString(from->displayFormat()), to->dateTime().toString(to->displayFormat())));
            problem->show();
            return;
        }
        dialog.accept();
    });
    if (dialog.exec() != QDialog::Accepted) {
        // Back to what was shown.
        const int shown = m_mode == Mode::History ? m_range->findData(m_rangeSeconds > 0 ? m_rangeSeconds : -1) : 0;
        m_range->setCurrentIndex(std::max(0, shown));
        return;
    }
    showWindow(from->dateTime(), to->dateTime());
}

void LiveLoadView::updateControls()
{
    m_pause->setVisible(m_mode != Mode::History);
    m_pause->setText(m_mode == Mode::Paused ? tr("&Resume") : tr("&Pause"));
    m_reload->setVisible(m_mode == Mode::History);
    if (m_mode == Mode::Live && m_range->currentIndex() != 0)
        m_range->setCurrentIndex(0);
}

void LiveLoadView::setStatus(const QString &text, bool error)
{
    m_status->setText(text);
    // Red reads on light and dark palettes alike; otherwise the palette's own text colour.
    QPalette red = palette();
    red.setColor(QPalette::WindowText, QColor(0xd0, 0x30, 0x30));
    m_status->setPalette(error ? red : QPalette());
    m_status->setVisible(!text.isEmpty());
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
