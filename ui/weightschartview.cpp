#include "weightschartview.h"

#include "chartstyle.h"
#include "servercolors.h"
#include "weightcontroller.h"

#include <QBarCategoryAxis>
#include <QBarSet>
#include <QChart>
#include <QKeyEvent>
#include <QLegend>
#include <QMouseEvent>
#include <QPainter>
#include <QFontMetricsF>
#include <QScatterSeries>
#include <QStackedBarSeries>
#include <QValueAxis>

#include <algorithm>
#include <cmath>
#include <utility>

namespace fulcrum::ui {

namespace {
constexpr int kGrabPixels = 14;   // how far from a handle a press still grabs it
constexpr double kHandleRadius = 8;
}

WeightsChartView::WeightsChartView(WeightController *controller, QWidget *parent)
    : QChartView(parent), m_controller(controller)
{
    setObjectName(QStringLiteral("weightsChart"));
    setFocusPolicy(Qt::StrongFocus);
    setRenderHint(QPainter::Antialiasing, false);
    setRubberBand(QChartView::NoRubberBand);
    auto *chart = new QChart;
    chart->legend()->hide();
    chart->setAnimationOptions(QChart::NoAnimation);
    m_bars = new QStackedBarSeries(chart);
    m_bars->setBarWidth(0.6);
    // The handles are painted over the chart (drawForeground), not as a scatter series: 40
    // labelled markers as chart items cost more to repaint than everything else on the chart,
    // and were repainted whenever a bar moved. This empty series only maps values to positions.
    m_handles = new QScatterSeries(chart);
    m_handles->setName(tr("target share"));
    chart->addSeries(m_bars);
    chart->addSeries(m_handles);
    m_axisX = new QBarCategoryAxis(chart);
    m_axisY = new QValueAxis(chart);
    m_axisY->setRange(0, 100);
    m_axisY->setTickType(QValueAxis::TicksDynamic);
    m_axisY->setTickAnchor(0);
    m_axisY->setTickInterval(10);
    m_axisY->setLabelFormat(QStringLiteral("%d %"));
    m_axisY->setTitleText(tr("share of requests"));
    chart->addAxis(m_axisX, Qt::AlignBottom);
    chart->addAxis(m_axisY, Qt::AlignLeft);
    for (QAbstractSeries *series : {static_cast<QAbstractSeries *>(m_bars), static_cast<QAbstractSeries *>(m_handles)}) {
        series->attachAxis(m_axisX);
        series->attachAxis(m_axisY);
    }
    setChart(chart);
    applyPalette(chart, palette());
    updateTitle();
    connect(chart, &QChart::plotAreaChanged, this, &WeightsChartView::fitCategoryLabels);
}

QStringList WeightsChartView::categoryLabels() const
{
    return m_axisX->categories();
}

void WeightsChartView::fitCategoryLabels()
{
    // Qt cuts a name that does not fit under its bar at the right end: six servers named
    // checkout-eu-west-1a-07 … -12 all read "checko…". Cut in the middle, the end that tells
    // them apart stays ("chec…1a-07"); the full name is in the title when the bar is picked.
    if (m_servers.isEmpty())
        return;
    const qreal slot = chart()->plotArea().width() / qreal(m_servers.size());
    const QFontMetricsF metrics(m_axisX->labelsFont());
    const qreal room = slot - metrics.horizontalAdvance(QStringLiteral("  "));
    QStringList labels;
    labels.reserve(m_servers.size());
    for (const ServerStatus &server : std::as_const(m_servers)) {
        QString label = room <= 0 || metrics.horizontalAdvance(server.name) <= room ? server.name : metrics.elidedText(server.name, Qt::ElideMiddle, room);
        // An axis keeps only distinct categories: two names cut alike get an invisible mark.
        while (labels.contains(label))
            label.append(QChar(0x200b));
        labels.append(label);
    }
    if (labels != m_axisX->categories())
        m_axisX->setCategories(labels);
}

void WeightsChartView::setPool(const QString &pool)
{
    if (pool == m_pool)
        return;
    m_pool = pool;
    m_dragIndex = -1;
    m_selected = -1;
    m_servers.clear();
    rebuild({});
    if (isVisible())
        apply(m_last);
}

QStringList WeightsChartView::pools() const
{
    return m_pools;
}

QStringList WeightsChartView::servers() const
{
    QStringList names;
    for (const ServerStatus &server : m_servers)
        names.append(server.name);
    return names;
}

QString WeightsChartView::selectedServer() const
{
    return m_selected >= 0 && m_selected < m_servers.size() ? m_servers[m_selected].name : QString();
}

void WeightsChartView::setSelectedIndex(int index)
{
    if (index < -1 || index >= m_servers.size())
        index = -1;
    if (index == m_selected)
        return;
    m_selected = index;
    showTargets(m_shownTargets);
    updateTitle();
    if (index >= 0)
        Q_EMIT selectedServerChanged(m_servers[index].pool, m_servers[index].name);
}

void WeightsChartView::updateFromSnapshot(const LinkSnapshot &snapshot)
{
    // Hidden: keep only the latest snapshot and draw it when shown.
    if (!isVisible()) {
        m_pending = snapshot;
        m_hasPending = true;
        return;
    }
    m_hasPending = false;
    m_pending = LinkSnapshot();
    apply(snapshot);
}

void WeightsChartView::apply(const LinkSnapshot &snapshot)
{
    m_last = snapshot;
    QStringList pools;
    for (const ServerStatus &server : snapshot.servers) {
        if (pools.isEmpty() || pools.last() != server.pool) {
            if (!pools.contains(server.pool))
                pools.append(server.pool);
        }
    }
    if (pools != m_pools) {
        m_pools = pools;
        Q_EMIT poolsChanged(pools);
    }
    if ((m_pool.isEmpty() || !pools.contains(m_pool)) && !pools.isEmpty())
        m_pool = pools.first();
    QList<ServerStatus> servers;
    m_totalInPool = 0;
    for (const ServerStatus &server : snapshot.servers) {
        if (server.pool != m_pool)
            continue;
        ++m_totalInPool;
        if (servers.size() < kMaxBars)
            servers.append(server);
    }
    bool sameServers = servers.size() == m_servers.size();
    for (int i = 0; sameServers && i < servers.size(); ++i)
        sameServers = servers[i].name == m_servers[i].name;
    if (!sameServers) {
        m_dragIndex = -1;   // the server under the mouse may be gone: drop the drag
        rebuild(servers);
    }
    m_servers = servers;
    if (!sameServers)
        fitCategoryLabels();
    for (int i = 0; i < m_servers.size(); ++i) {
        QBarSet *set = m_sets.size() == 1 && m_servers.size() > 1 ? m_sets.first() : m_sets[i];
        const double share = std::round(m_servers[i].share * 1000) / 10;
        if (set->at(i) != share)
            set->replace(i, share);
    }
    if (m_dragIndex < 0)
        showTargets(targetShares(m_servers));
    updateAxisRange();
    updateTitle();
}

void WeightsChartView::rebuild(const QList<ServerStatus> &servers)
{
    m_bars->clear();
    m_sets.clear();
    QStringList categories;
    for (const ServerStatus &server : servers)
        categories.append(server.name);
    // A set per server (its own colour, a value only in its own category) costs n² bar
    // items; past kMaxColouredBars one neutral set keeps it linear, and the handles carry
    // the colours.
    if (servers.size() <= kMaxColouredBars) {
        for (int i = 0; i < servers.size(); ++i) {
            auto *set = new QBarSet(servers[i].name);
            const QColor colour = serverColor(servers[i].key());
            set->setColor(colour);
            set->setBorderColor(colour.darker(130));
            set->append(QList<qreal>(servers.size(), 0.0));
            m_sets.append(set);
        }
    } else {
        auto *set = new QBarSet(tr("actual share"));
        set->setColor(fadedText(palette(), 0.35));
        set->setBorderColor(Qt::transparent);
        set->append(QList<qreal>(servers.size(), 0.0));
        m_sets.append(set);
    }
    m_bars->append(m_sets);
    m_axisX->clear();
    m_axisX->append(categories);
    viewport()->update();   // handle colours follow the number of bar sets
    if (m_selected >= servers.size())
        m_selected = -1;
}

void WeightsChartView::showTargets(const QList<double> &targets)
{
    // Targets move only with weights, states and drags: the handles are repainted then, and
    // not with every tick's bars.
    QStringList states;   // a server's state text is painted too ("MAINT", "DOWN")
    for (const ServerStatus &server : std::as_const(m_servers))
        states.append(server.state == BackendState::Up ? QString() : server.stateText);
    if (targets == m_shownTargets && m_selected == m_paintedSelection && states == m_paintedStates)
        return;
    m_shownTargets = targets;
    m_paintedSelection = m_selected;
    m_paintedStates = states;
    viewport()->update();
}

void WeightsChartView::drawForeground(QPainter *painter, const QRectF &rect)
{
    QChartView::drawForeground(painter, rect);
    if (!chart())
        return;
    painter->save();
    painter->setRenderHint(QPainter::Antialiasing, true);
    const QColor text = palette().color(QPalette::WindowText);
    const bool colouredHandles = m_sets.size() == 1 && m_servers.size() > 1;
    QFont font = painter->font();
    font.setPointSizeF(font.pointSizeF() * 0.85);
    painter->setFont(font);
    const double ascent = QFontMetricsF(font).ascent();   // drawStaticText takes the top, not the baseline
    const QRectF plot = chart()->mapToScene(chart()->plotArea()).boundingRect();
    for (int i = 0; i < m_shownTargets.size(); ++i) {
        if (!hasHandle(i)) {
            // Out of rotation: hatched across its column with its state written, never an
            // empty bar with a handle at 0 % that invites a drag.
            const double left = chart()->mapToScene(chart()->mapToPosition(QPointF(i - 0.3, 0), m_handles)).x();
            const double right = chart()->mapToScene(chart()->mapToPosition(QPointF(i + 0.3, 0), m_handles)).x();
            const QRectF column(QPointF(left, plot.top()), QPointF(right, plot.bottom()));
            painter->setPen(Qt::NoPen);
            painter->setBrush(QBrush(fadedText(palette(), 0.45), Qt::BDiagPattern));
            painter->drawRect(column);
            const QString state = i < m_servers.size() ? m_servers[i].stateText.toUpper() : QString();
            QFont bold = font;
            bold.setBold(true);
            painter->setFont(bold);
            const QRectF box = QFontMetricsF(bold).boundingRect(state).adjusted(-4, -2, 4, 2);
            const QRectF label(QPointF(column.center().x() - box.width() / 2, column.bottom() - box.height() - 8), box.size());
            painter->setPen(Qt::NoPen);
            painter->setBrush(palette().color(QPalette::Base));
            painter->drawRect(label);
            painter->setPen(palette().color(QPalette::WindowText));
            painter->drawText(label, Qt::AlignCenter, state);
            painter->setFont(font);
            if (i == m_selected) {
                painter->setPen(QPen(palette().color(QPalette::Highlight), 3));
                painter->setBrush(Qt::NoBrush);
                painter->drawRect(column);
            }
            continue;
        }
        const double percent = std::round(m_shownTargets[i] * 1000) / 10;
        QPointF at = chart()->mapToScene(chart()->mapToPosition(QPointF(i, percent), m_handles));
        at.setY(std::max(at.y(), plot.top()));   // never over the title, whatever the share
        if (i == m_selected) {
            painter->setPen(QPen(palette().color(QPalette::Highlight), 4));
            painter->setBrush(Qt::NoBrush);
            painter->drawEllipse(at, kHandleRadius + 6, kHandleRadius + 6);
        }
        painter->setPen(QPen(text, 1));
        painter->setBrush(colouredHandles && i < m_servers.size() ? serverColor(m_servers[i].key()) : palette().color(QPalette::Base));
        painter->drawEllipse(at, kHandleRadius, kHandleRadius);
        // The same figure in every language, as the axis labels. Laid out once per figure:
        // the handles are painted again with every tick's bars, their figures seldom change.
        const QString label = QStringLiteral("%1 %").arg(percent, 0, 'f', 1);
        auto cached = m_handleLabels.find(label);
        if (cached == m_handleLabels.end()) {
            if (m_handleLabels.size() >= 1024)
                m_handleLabels.clear();
            QStaticText laidOut(label);
            laidOut.setTextFormat(Qt::PlainText);
            laidOut.prepare(QTransform(), font);
            cached = m_handleLabels.insert(label, laidOut);
        }
        painter->drawStaticText(at + QPointF(kHandleRadius + 2, -kHandleRadius - ascent), *cached);
    }
    painter->restore();
}

void WeightsChartView::updateAxisRange()
{
    if (m_dragIndex >= 0)
        return;   // a moving scale under the mouse would make the drag jump
    double top = 0;
    for (int i = 0; i < m_servers.size(); ++i)
        top = std::max({top, m_servers[i].share, i < m_shownTargets.size() ? m_shownTargets[i] : 0.0});
    const double max = std::max(20.0, std::min(100.0, std::ceil(top * 100 * 1.4 / 10) * 10));
    // Grow at once; shrink only when well below, so shares near a step do not rescale every tick.
    if (max > m_axisY->max() || max < m_axisY->max() * 0.6) {
        m_axisY->setRange(0, max);
        m_axisY->setTickInterval(max <= 50 ? 5 : 10);
    }
}

void WeightsChartView::updateTitle()
{
    QString title;
    if (m_dragIndex >= 0) {
        const ServerStatus &server = m_dragBase[m_dragIndex];
        title = tr("%1: weight %2 → %3, target share %4 %")
                    .arg(server.name).arg(server.weight).arg(m_dragWeight)
                    .arg(m_shownTargets.value(m_dragIndex) * 100, 0, 'f', 1);
    } else if (m_selected >= 0 && m_selected < m_servers.size()) {
        const ServerStatus &server = m_servers[m_selected];
        title = tr("%1: weight %2, actual %3 %, target %4 % — drag the handle or press ↑/↓")
                    .arg(server.name).arg(server.weight).arg(server.share * 100, 0, 'f', 1)
                    .arg(m_shownTargets.value(m_selected) * 100, 0, 'f', 1);
    } else if (!m_servers.isEmpty() && std::none_of(m_servers.cbegin(), m_servers.cend(), [](const ServerStatus &s) { return s.takesTraffic(); })) {
        title = tr("Pool %1 cannot serve: no server takes traffic, every request gets 503. Select a server and press Ready.").arg(m_pool);
    } else {
        title = tr("Pool %1: bars = actual share now, handles = target share (weight); drag a handle to reweight").arg(m_pool);
    }
    if (m_totalInPool > m_servers.size())
        title += u'\n' + tr("showing the first %1 of %2 servers").arg(m_servers.size()).arg(m_totalInPool);
    if (title != chart()->title())
        chart()->setTitle(title);
}

QPointF WeightsChartView::valueAt(const QPoint &viewportPos) const
{
    return chart()->mapToValue(chart()->mapFromScene(mapToScene(viewportPos)), m_handles);
}

QPoint WeightsChartView::positionFor(int index, double share) const
{
    const QPointF scene = chart()->mapToScene(chart()->mapToPosition(QPointF(index, share * 100), m_handles));
    return mapFromScene(scene);
}

QPoint WeightsChartView::drawnHandlePosition(int index) const
{
    const QRectF plot = chart()->mapToScene(chart()->plotArea()).boundingRect();
    QPointF scene = chart()->mapToScene(chart()->mapToPosition(QPointF(index, std::round(m_shownTargets.value(index) * 1000) / 10), m_handles));
    scene.setY(std::max(scene.y(), plot.top()));
    return mapFromScene(scene);
}

bool WeightsChartView::hasHandle(int index) const
{
    return index >= 0 && index < m_servers.size() && m_servers[index].state == BackendState::Up;
}

QPoint WeightsChartView::handlePosition(int index) const
{
    return positionFor(index, m_shownTargets.value(index));
}

void WeightsChartView::mousePressEvent(QMouseEvent *event)
{
    if (event->button() != Qt::LeftButton) {
        QChartView::mousePressEvent(event);
        return;
    }
    const QPointF value = valueAt(event->position().toPoint());
    const int index = int(std::lround(value.x()));
    if (index < 0 || index >= m_servers.size() || std::abs(value.x() - index) > 0.45) {
        setSelectedIndex(-1);
        return;
    }
    setSelectedIndex(index);
    setFocus(Qt::MouseFocusReason);
    const QPoint handle = handlePosition(index);
    if (!hasHandle(index) || std::abs(handle.y() - event->position().y()) > kGrabPixels)
        return;
    if (weightForShare(m_servers, index, m_shownTargets.value(index)) < 0)
        return;   // only server taking traffic, or not up: a share cannot be dragged
    m_dragIndex = index;
    m_dragBase = m_servers;
    m_dragWeight = m_servers[index].weight;
    event->accept();
}

void WeightsChartView::mouseMoveEvent(QMouseEvent *event)
{
    if (m_dragIndex < 0) {
        QChartView::mouseMoveEvent(event);
        return;
    }
    // The axis holds still during a drag (a moving scale would make the drag jump): a share
    // above its top is taken (the title says it), and the handle is drawn on the plot's top
    // edge rather than over the title (drawnHandlePosition).
    const double share = std::clamp(valueAt(event->position().toPoint()).y() / 100.0, 0.0, 0.99);
    const int weight = weightForShare(m_dragBase, m_dragIndex, share, m_controller->maxWeight());
    // Snapped to a round step of the pool's weights (105, not 106), within the engine's range;
    // dragged to the top, the engine's top (HAProxy's 256, not 255).
    if (weight >= 0)
        m_dragWeight = std::clamp(weight >= m_controller->maxWeight() ? weight : snappedWeight(m_dragBase, m_dragIndex, weight),
                                  m_controller->minWeight(), m_controller->maxWeight());
    showTargets(projectedShares(m_dragBase, m_dragIndex, m_dragWeight));
    updateTitle();
    event->accept();
}

void WeightsChartView::mouseReleaseEvent(QMouseEvent *event)
{
    if (m_dragIndex < 0 || event->button() != Qt::LeftButton) {
        QChartView::mouseReleaseEvent(event);
        return;
    }
    const ServerStatus server = m_dragBase[m_dragIndex];
    const int weight = m_dragWeight;
    m_dragIndex = -1;
    m_dragBase.clear();
    if (weight != server.weight)
        m_controller->requestWeight(server.pool, server.name, weight);
    // Until the engine's next snapshot, show what was asked for (or the old value if refused).
    QList<ServerStatus> shown = m_servers;
    const int index = m_controller->snapshot().indexOf(server.pool, server.name);
    for (ServerStatus &s : shown) {
        if (s.name == server.name && index >= 0)
            s.weight = m_controller->snapshot().servers[index].weight;
    }
    showTargets(targetShares(shown));
    updateTitle();
    event->accept();
}

void WeightsChartView::stepWeight(int direction, bool fine)
{
    if (m_selected < 0 || m_selected >= m_servers.size())
        return;
    const ServerStatus &server = m_servers[m_selected];
    const int current = m_controller->snapshot().indexOf(server.pool, server.name) >= 0
                            ? m_controller->snapshot().servers[m_controller->snapshot().indexOf(server.pool, server.name)].weight
                            : server.weight;
    // 10 % steps (at least 1); Shift for steps of 1.
    const int step = fine ? 1 : std::max(1, int(std::lround(current * 0.1)));
    const int weight = std::clamp(current + direction * step, m_controller->minWeight(), m_controller->maxWeight());
    if (m_controller->requestWeight(server.pool, server.name, weight)) {
        QList<ServerStatus> shown = m_servers;
        shown[m_selected].weight = weight;
        showTargets(targetShares(shown));
        updateTitle();
    }
}

void WeightsChartView::keyPressEvent(QKeyEvent *event)
{
    const bool fine = event->modifiers() & Qt::ShiftModifier;
    switch (event->key()) {
    case Qt::Key_Left:
        setSelectedIndex(m_selected <= 0 ? int(m_servers.size()) - 1 : m_selected - 1);
        break;
    case Qt::Key_Right:
        setSelectedIndex(m_servers.isEmpty() ? -1 : (m_selected + 1) % int(m_servers.size()));
        break;
    case Qt::Key_Up:
        stepWeight(+1, fine);
        break;
    case Qt::Key_Down:
        stepWeight(-1, fine);
        break;
    case Qt::Key_Escape:
        if (m_dragIndex >= 0) {
            m_dragIndex = -1;
            showTargets(targetShares(m_servers));
            updateTitle();
        }
        break;
    default:
        QChartView::keyPressEvent(event);
        return;
    }
    event->accept();
}

void WeightsChartView::showEvent(QShowEvent *event)
{
    QChartView::showEvent(event);
    if (m_hasPending) {
        m_hasPending = false;
        const LinkSnapshot pending = std::exchange(m_pending, LinkSnapshot());
        apply(pending);
    }
}

void WeightsChartView::changeEvent(QEvent *event)
{
    if (event->type() == QEvent::FontChange)
        m_handleLabels.clear();
    if (event->type() == QEvent::PaletteChange) {
        applyPalette(chart(), palette());
        if (m_sets.size() == 1 && m_servers.size() > 1)
            m_sets.first()->setColor(fadedText(palette(), 0.35));
        viewport()->update();
    }
    QChartView::changeEvent(event);
}

} // namespace fulcrum::ui
