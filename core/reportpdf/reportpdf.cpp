#include "reportpdf.h"

#include "history/reportwriters.h"

#include <QFileInfo>
#include <QFontMetricsF>
#include <QPageLayout>
#include <QPageSize>
#include <QPainter>
#include <QPainterPath>
#include <QPdfWriter>

#include <algorithm>
#include <cmath>

namespace fulcrum {

namespace {

QColor rgb(quint32 value)
{
    return QColor::fromRgb(QRgb(value));
}

// Flows text, tables and charts down A4 landscape pages (units: points), starting a new
// page with its header and footer when the next block does not fit.
class PdfLayout
{
public:
    PdfLayout(QPdfWriter *writer, QPainter *painter, const HealthReport &report)
        : m_writer(writer), m_painter(painter), m_report(report)
    {
        m_width = writer->width();
        m_height = writer->height();
        startPage();
    }

    int pages() const { return m_page; }

    void ensure(double height)
    {
        if (m_y + height > m_height - 24) {
            m_writer->newPage();
            startPage();
        }
    }

    void heading(const QString &text)
    {
        ensure(40);
        m_y += 8;
        m_painter->setFont(font(12, true));
        m_painter->drawText(QPointF(0, m_y + 12), text);
        m_y += 18;
    }

    void paragraph(const QString &text)
    {
        m_painter->setFont(font(9));
        const QRectF bounds = m_painter->boundingRect(QRectF(0, 0, m_width, 1000), Qt::TextWordWrap, text);
        ensure(bounds.height() + 4);
        m_painter->drawText(QRectF(0, m_y, m_width, bounds.height()), Qt::TextWordWrap, text);
        m_y += bounds.height() + 4;
    }

    // A framed, bold paragraph in red: what a reader must know before any figure.
    void warning(const QString &text)
    {
        m_painter->setFont(font(10, true));
        const QRectF bounds = m_painter->boundingRect(QRectF(0, 0, m_width - 12, 1000), Qt::TextWordWrap, text);
        const QRectF box(0, m_y + 2, m_width, bounds.height() + 10);
        ensure(box.height() + 8);
        m_painter->fillRect(box.translated(0, 0), QColor(0xfd, 0xec, 0xea));
        m_painter->setPen(QColor(0xd6, 0x27, 0x28));
        m_painter->drawRect(box);
        m_painter->setPen(Qt::black);
        m_painter->drawText(box.adjusted(6, 5, -6, -5), Qt::TextWordWrap, text);
        m_y += box.height() + 8;
    }

    void table(const ReportTable &table)
    {
        QStringList headers = table.headers;
        QList<QStringList> rows = table.rows;
        if (rows.isEmpty()) {
            paragraph(QStringLiteral("None in this window."));
            return;
        }
        // Columns get their natural width; the font shrinks (down to 5 pt) until they fit.
        double size = 8;
        std::vector<double> widths;
        for (; size >= 5; size -= 0.5) {
            const QFontMetricsF metrics(font(size), m_writer);
            const QFontMetricsF boldMetrics(font(size, true), m_writer);
            widths.assign(size_t(headers.size()), 0);
            for (int c = 0; c < headers.size(); ++c)
                widths[size_t(c)] = boldMetrics.horizontalAdvance(headers[c]) + 6;
            for (const QStringList &row : rows) {
                for (int c = 0; c < row.size() && c < headers.size(); ++c)
                    widths[size_t(c)] = std::max(widths[size_t(c)], std::min(220.0, metrics.horizontalAdvance(row[c]) + 6));
            }
            double total = 0;
            for (double w : widths)
                total += w;
            if (total <= m_width)
                break;
        }
        size = std::max(size, 5.0);
        double total = 0;
        for (double w : widths)
            total += w;
        if (total > m_width) {
            for (double &w : widths)
                w *= m_width / total;
        }
        const double rowHeight = size + 4;
        auto drawRow = [&](const QStringList &cells, bool header) {
            ensure(rowHeight);
            m_painter->setFont(font(size, header));
            const QFontMetricsF metrics(m_painter->font(), m_writer);
            double x = 0;
            if (header)
                m_painter->fillRect(QRectF(0, m_y, std::min(total, m_width), rowHeight), QColor(0xee, 0xee, 0xee));
            for (int c = 0; c < headers.size(); ++c) {
                const QString text = metrics.elidedText(c < cells.size() ? cells[c] : QString(), Qt::ElideRight, widths[size_t(c)] - 4);
                m_painter->drawText(QRectF(x + 2, m_y, widths[size_t(c)] - 4, rowHeight), Qt::AlignVCenter | Qt::AlignLeft, text);
                x += widths[size_t(c)];
            }
            m_painter->setPen(QColor(0xcc, 0xcc, 0xcc));
            m_painter->drawLine(QPointF(0, m_y + rowHeight), QPointF(std::min(total, m_width), m_y + rowHeight));
            m_painter->setPen(Qt::black);
            m_y += rowHeight;
        };
        drawRow(headers, true);
        for (const QStringList &row : rows) {
            if (m_y + rowHeight > m_height - 24)
                drawRow(headers, true);   // repeats the header after the page break ensure() makes
            drawRow(row, false);
        }
        m_y += 6;
    }

    void lineChart(const QString &title, bool latency)
    {
        const double height = 170;
        ensure(height + 20);
        m_painter->setFont(font(9, true));
        m_painter->drawText(QPointF(0, m_y + 10), title);
        const QRectF plot(50, m_y + 16, m_width - 60, height - 34);
        double maxValue = 0;
        for (const ServerReport &s : m_report.servers) {
            for (const ChartPoint &p : latency ? s.latency : s.traffic)
                maxValue = std::max(maxValue, p.value);
        }
        if (maxValue <= 0)
            maxValue = 1;
        timeTicks(plot);
        m_painter->setPen(QColor(0x99, 0x99, 0x99));
        m_painter->drawRect(plot);
        m_painter->setFont(font(6));
        m_painter->drawText(QRectF(0, plot.top() - 4, 46, 10), Qt::AlignRight, QString::number(maxValue, 'f', 1));
        m_painter->drawText(QRectF(0, plot.bottom() - 6, 46, 10), Qt::AlignRight, QStringLiteral("0"));
        const std::vector<quint32> colors = healthReportServerColors(m_report);
        for (size_t i = 0; i < m_report.servers.size(); ++i) {
            QPainterPath path;
            bool first = true;
            qint64 previous = 0;
            for (const ChartPoint &p : latency ? m_report.servers[i].latency : m_report.servers[i].traffic) {
                const QPointF point(x(plot, p.timeMs), plot.bottom() - plot.height() * p.value / maxValue);
                // A line breaks where nothing was recorded instead of bridging the gap.
                if (first || p.timeMs - previous > m_report.chartGapMs)
                    path.moveTo(point);
                else
                    path.lineTo(point);
                first = false;
                previous = p.timeMs;
            }
            QPen pen(rgb(colors[i]));
            pen.setWidthF(0.8);
            m_painter->strokePath(path, pen);
        }
        m_painter->setPen(Qt::black);
        m_y += height;
        legend();
    }

    void stateTimeline()
    {
        const double row = 11;
        const double left = 130;
        const double width = m_width - left;
        const double rowsHeight = row * double(m_report.servers.size());
        // Heading, rows and their time axis on one page when they fit on one.
        ensure(std::min(26 + rowsHeight + 16, m_height - 44));
        heading(QStringLiteral("State timeline (green up, red down, orange drain, grey maintenance, light grey not recorded)"));
        size_t next = 0;
        while (next < m_report.servers.size()) {
            ensure(row + 16);
            const size_t fit = size_t(std::max(1.0, std::floor((m_height - 24 - 16 - m_y) / row)));
            const size_t end = std::min(m_report.servers.size(), next + fit);
            const QRectF rows(left, m_y, width, row * double(end - next));
            timeTicks(rows);
            for (; next < end; ++next) {
                const ServerReport &s = m_report.servers[next];
                m_painter->setFont(font(6));
                m_painter->drawText(QRectF(0, m_y, left - 4, row), Qt::AlignRight | Qt::AlignVCenter, QStringLiteral("%1/%2").arg(s.pool, s.server));
                m_painter->fillRect(QRectF(left, m_y + 1, width, row - 2), rgb(reportStateColor(QString())));
                for (const StateSpan &state : s.states) {
                    const double x0 = x(rows, state.fromMs);
                    const double x1 = x(rows, state.toMs);
                    m_painter->fillRect(QRectF(x0, m_y + 1, std::max(0.3, x1 - x0), row - 2), rgb(reportStateColor(state.state)));
                }
                m_y += row;
            }
            m_y += 16;
        }
    }

private:
    QFont font(double points, bool bold = false) const
    {
        QFont f(QStringLiteral("DejaVu Sans"));
        f.setPointSizeF(points);
        f.setBold(bold);
        // No ligatures: pdftotext and copy-paste then give "Traffic", not an "ffi" ligature glyph.
        f.setStyleStrategy(QFont::PreferNoShaping);
        return f;
    }

    // The x of time t in a rectangle spanning the recorded part of the window.
    double x(const QRectF &area, qint64 t) const
    {
        const double span = double(std::max<qint64>(1, m_report.recordedToMs - m_report.recordedFromMs));
        return area.left() + area.width() * double(t - m_report.recordedFromMs) / span;
    }

    // Light vertical lines at readable times, labelled under the area; "UTC" leads the labels,
    // left of the first (at the right end it was drawn over a label at the window's end).
    void timeTicks(const QRectF &area)
    {
        m_painter->setFont(font(6));
        const std::vector<ReportTimeTick> ticks = reportTimeTicks(m_report.recordedFromMs, m_report.recordedToMs);
        for (const ReportTimeTick &tick : ticks) {
            const double at = x(area, tick.timeMs);
            m_painter->setPen(QColor(0xe4, 0xe4, 0xe4));
            m_painter->drawLine(QPointF(at, area.top()), QPointF(at, area.bottom()));
            m_painter->setPen(QColor(0x55, 0x55, 0x55));
            m_painter->drawText(QRectF(at - 40, area.bottom() + 2, 80, 9), Qt::AlignHCenter | Qt::AlignTop, tick.label);
        }
        const QFontMetricsF metrics(m_painter->font(), m_writer);
        const double firstLabelLeft = ticks.empty() ? area.left()
                                                    : std::min(area.left(), x(area, ticks.front().timeMs) - metrics.horizontalAdvance(ticks.front().label) / 2);
        m_painter->drawText(QRectF(0, area.bottom() + 2, std::max(0.0, firstLabelLeft - 4), 9), Qt::AlignRight | Qt::AlignTop, QStringLiteral("UTC"));
        m_painter->setPen(Qt::black);
    }

    void legend()
    {
        m_painter->setFont(font(6));
        const QFontMetricsF metrics(m_painter->font(), m_writer);
        const std::vector<quint32> colors = healthReportServerColors(m_report);
        double left = 0;
        ensure(10);
        for (size_t i = 0; i < m_report.servers.size(); ++i) {
            const QString label = QStringLiteral("%1/%2").arg(m_report.servers[i].pool, m_report.servers[i].server);
            const double w = metrics.horizontalAdvance(label) + 16;
            if (left + w > m_width) {
                left = 0;
                m_y += 9;
                ensure(10);
            }
            m_painter->fillRect(QRectF(left, m_y + 2, 8, 5), rgb(colors[i]));
            m_painter->drawText(QPointF(left + 10, m_y + 7), label);
            left += w;
        }
        m_y += 14;
    }

    void startPage()
    {
        ++m_page;
        m_painter->setPen(Qt::black);
        m_painter->setFont(font(8));
        m_painter->drawText(QRectF(0, 0, m_width, 12), Qt::AlignLeft,
                            QStringLiteral("Fulcrum health report · window %1 – %2 UTC (%3)")
                                .arg(reportTime(m_report.fromMs), reportTime(m_report.toMs), reportDuration(m_report.windowMs())));
        m_painter->drawText(QRectF(0, 0, m_width, 12), Qt::AlignRight, QStringLiteral("generated at %1 UTC").arg(reportTime(m_report.generatedAtMs)));
        m_painter->drawLine(QPointF(0, 14), QPointF(m_width, 14));
        m_painter->drawText(QRectF(0, m_height - 12, m_width, 12), Qt::AlignHCenter, QStringLiteral("Page %1").arg(m_page));
        m_y = 20;
    }

    QPdfWriter *m_writer;
    QPainter *m_painter;
    const HealthReport &m_report;
    double m_width = 0;
    double m_height = 0;
    double m_y = 0;
    int m_page = 0;
};

} // namespace

int writeHealthReportPdf(const HealthReport &report, const QString &path, QString *error)
{
    QPdfWriter writer(path);
    writer.setResolution(72);   // one unit = one point
    writer.setPageLayout(QPageLayout(QPageSize(QPageSize::A4), QPageLayout::Landscape, QMarginsF(28, 28, 28, 28), QPageLayout::Point));
    writer.setTitle(QStringLiteral("Fulcrum health report %1 – %2 UTC").arg(reportTime(report.fromMs), reportTime(report.toMs)));
    writer.setCreator(QStringLiteral("Fulcrum"));
    QPainter painter;
    if (!painter.begin(&writer)) {
        if (error)
            *error = QStringLiteral("%1: cannot write the PDF; check the directory %2 exists and is writable").arg(path, QFileInfo(path).absolutePath());
        return 0;
    }
    PdfLayout layout(&writer, &painter, report);
    layout.heading(QStringLiteral("Fulcrum health report"));
    if (const QString warning = healthReportCoverageWarning(report); !warning.isEmpty())
        layout.warning(warning);
    layout.paragraph(QStringLiteral("Window %1 – %2 UTC (%3). %4")
                         .arg(reportTime(report.fromMs), reportTime(report.toMs), reportDuration(report.windowMs()), healthReportCoverageText(report)));
    auto table = [&](const QString &title, const QString &section) {
        layout.heading(title);
        layout.table(healthReportReadableTable(report, section));
    };
    table(QStringLiteral("Pools"), QStringLiteral("pools"));
    table(QStringLiteral("Servers"), QStringLiteral("servers"));
    layout.heading(QStringLiteral("Charts"));
    layout.paragraph(healthReportChartSpanText(report));
    if (report.recordedToMs > report.recordedFromMs) {
        layout.lineChart(QStringLiteral("Traffic per server (requests/s)"), false);
        layout.lineChart(QStringLiteral("Latency per server (mean, ms)"), true);
        layout.stateTimeline();
    }
    table(QStringLiteral("Check failures by reason"), QStringLiteral("check-failures"));
    table(QStringLiteral("Weight changes"), QStringLiteral("weight-changes"));
    table(QStringLiteral("Locks held longer than %1 or without expiry").arg(reportDuration(report.options.lockHeldThresholdMs)), QStringLiteral("locks"));
    table(QStringLiteral("Force-releases"), QStringLiteral("force-releases"));
    table(QStringLiteral("Operator actions"), QStringLiteral("operator-actions"));
    const int pages = layout.pages();
    if (!painter.end()) {
        if (error)
            *error = QStringLiteral("%1: writing the PDF failed; check free space and permissions").arg(path);
        return 0;
    }
    return pages;
}

} // namespace fulcrum
