#include "poolstrip.h"

#include <QHBoxLayout>
#include <QLabel>

#include <algorithm>

namespace fulcrum::ui {

QList<PoolSummary> summarizePools(const LinkSnapshot &snapshot)
{
    QList<PoolSummary> out;
    QHash<QString, qsizetype> index;
    QHash<QString, double> errorsPerSecond;
    QHash<QString, std::pair<double, double>> p50;   // Σ p50 × req/s, Σ req/s of servers with a p50
    for (const ServerStatus &s : snapshot.servers) {
        auto it = index.constFind(s.pool);
        if (it == index.cend()) {
            PoolSummary summary;
            summary.pool = s.pool;
            out.append(summary);
            it = index.insert(s.pool, out.size() - 1);
        }
        PoolSummary &p = out[*it];
        ++p.total;
        p.up += s.state == BackendState::Up ? 1 : 0;
        p.requestsPerSecond += s.requestsPerSecond;
        errorsPerSecond[s.pool] += s.requestsPerSecond * s.errorRate;
        if (s.requestsPerSecond > 0 && s.p95Ms > 0)
            p.p95Ms = std::max(p.p95Ms.value_or(0.0), s.p95Ms);
        if (s.requestsPerSecond > 0 && s.p99Ms > 0)
            p.p99Ms = std::max(p.p99Ms.value_or(0.0), s.p99Ms);
        if (s.requestsPerSecond > 0 && s.p50Ms > 0) {
            p50[s.pool].first += s.p50Ms * s.requestsPerSecond;
            p50[s.pool].second += s.requestsPerSecond;
        }
        p.weight += s.weight;
        p.effectiveWeight += s.effectiveWeight;
        p.activeConnections += s.activeConnections;
    }
    for (PoolSummary &p : out) {
        if (const auto weighted = p50.value(p.pool); weighted.second > 0)
            p.p50Ms = weighted.first / weighted.second;
        p.cannotServe = snapshot.cannotServe(p.pool);
        double errors = errorsPerSecond.value(p.pool);
        if (const PoolStatus *status = snapshot.pool(p.pool)) {
            p.panic = status->panic;
            if (status->reportsUnserved) {
                p.unservedPerSecond = status->unservedPerSecond;
                p.requestsPerSecond += status->unservedPerSecond;
                errors += status->unservedPerSecond;
            }
        }
        p.errorShare = p.requestsPerSecond > 0 ? std::clamp(errors / p.requestsPerSecond, 0.0, 1.0) : 0.0;
    }
    return out;
}

PoolStrip::PoolStrip(QWidget *parent)
    : QWidget(parent)
{
    setObjectName(QStringLiteral("poolStrip"));
    m_layout = new QHBoxLayout(this);
    m_layout->setContentsMargins(6, 4, 6, 0);
    m_layout->setSpacing(6);
    m_layout->addStretch(1);
    // The strip keeps a chip's height before the first snapshot too: the views under it do
    // not jump when the chips arrive (a drag started in the first second stays under the mouse).
    PoolSummary dummy;
    dummy.pool = QStringLiteral("pool");
    QLabel sample(chipText(dummy, EngineCapabilities()));
    sample.setMargin(3);
    sample.setStyleSheet(QStringLiteral("QLabel { font-weight: bold; border: 1px solid black; }"));   // as tall as any chip
    setMinimumHeight(sample.sizeHint().height() + m_layout->contentsMargins().top() + m_layout->contentsMargins().bottom());
}

QString PoolStrip::chipText(const PoolSummary &p, const EngineCapabilities &capabilities)
{
    QStringList parts{p.pool};
    if (p.cannotServe) {
        parts.append(tr("NO SERVER: %1/%2 up, none takes traffic").arg(p.up).arg(p.total));
        parts.append(p.unservedPerSecond > 0 ? tr("503 to every request (%1/s)").arg(p.unservedPerSecond, 0, 'f', 0)
                                             : tr("503 to every request"));
        return parts.join(QStringLiteral(" · "));
    }
    parts.append(tr("%1/%2 up").arg(p.up).arg(p.total));
    if (p.panic)
        parts.append(tr("PANIC"));
    parts.append(tr("%1 req/s").arg(p.requestsPerSecond, 0, 'f', p.requestsPerSecond < 10 ? 1 : 0));
    if (capabilities.errorRates)
        parts.append(tr("5xx %1 %").arg(p.errorShare * 100, 0, 'f', p.errorShare > 0 && p.errorShare < 0.1 ? 2 : 1));
    if (capabilities.percentiles && p.p95Ms)
        parts.append(tr("p95 %1 ms").arg(*p.p95Ms, 0, 'f', 1));
    return parts.join(QStringLiteral(" · "));
}

void PoolStrip::updateFromSnapshot(const LinkSnapshot &snapshot)
{
    const QList<PoolSummary> pools = summarizePools(snapshot);
    QStringList order;
    for (const PoolSummary &p : pools)
        order.append(p.pool);
    if (order != m_order) {
        // Pools came or went (a reload, an engine added): chips in the snapshot's order.
        for (QLabel *chip : std::as_const(m_chips))
            delete chip;
        m_chips.clear();
        for (int i = 0; i < order.size(); ++i) {
            auto *chip = new QLabel(this);
            chip->setObjectName(QStringLiteral("poolChip"));
            chip->setTextFormat(Qt::PlainText);
            chip->setMargin(3);
            m_layout->insertWidget(i, chip);
            m_chips.insert(order[i], chip);
        }
        m_order = order;
    }
    for (const PoolSummary &p : pools) {
        QLabel *chip = m_chips.value(p.pool);
        const QString text = chipText(p, m_capabilities);
        if (chip->text() != text)
            chip->setText(text);
        // The loudest thing on screen when a pool cannot serve; amber in panic; the palette's own
        // look otherwise (light and dark alike). The same 1 px border in all three: a pool that
        // goes down does not move the views under the strip.
        const QString style = p.cannotServe ? QStringLiteral("QLabel { background: #c62828; color: white; font-weight: bold; border: 1px solid #c62828; border-radius: 3px; }")
                              : p.panic      ? QStringLiteral("QLabel { background: #ef6c00; color: white; font-weight: bold; border: 1px solid #ef6c00; border-radius: 3px; }")
                                             : QStringLiteral("QLabel { border: 1px solid palette(mid); border-radius: 3px; }");
        if (chip->styleSheet() != style)
            chip->setStyleSheet(style);
        chip->setProperty("cannotServe", p.cannotServe);
        chip->setToolTip(p.cannotServe ? tr("Pool %1 cannot serve: no server is up with a weight above 0, so the balancer answers 503 to every "
                                            "request. Bring a server back (Ready) or raise a weight.").arg(p.pool)
                                       : tr("Pool %1: 5xx counts the servers' 5xx and failed connections and the 503s the balancer "
                                            "answered itself; p95 is the worst server's.").arg(p.pool));
    }
}

} // namespace fulcrum::ui
