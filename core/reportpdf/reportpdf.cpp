#include "reportpdf.h"

#include "common/duration.h"
#include "history/reportwriters.h"

#include <QFileInfo>
#include <QFontMetricsF>
#include <QPageLayout>
#include <QPageSize>
#include <QPainter>
#include <QPainterPath>
#include <QPdfWriter>

#include <algorithm>

namespace fulcrum {

namespace {

const QColor kPalette[] = {QColor(0x1f, 0x77, 0xb4), QColor(0xff, 0x7f, 0x0e), QColor(0x2c, 0xa0, 0x2c), QColor(0xd6, 0x27, 0x28), QColor(0x94, 0x67, 0xbd),
                           QColor(0x8c, 0x56, 0x4b), QColor(0xe3, 0x77, 0xc2), QColor(0x7f, 0x7f, 0x7f), QColor(0xbc, 0xbd, 0x22), QColor(0x17, 0xbe, 0xcf)};

QColor stateColor(const QString &state)
{
    if (state == u"up")
        return QColor(0x2c, 0xa0, 0x2c);
    if (state == u"down")
        return QColor(0xd6, 0x27, 0x28);
    if (state == u"drain")
        return QColor(0xff, 0x7f, 0x0e);
    if (state == u"maint")
        return QColor(0x7f, 0x7f, 0x7f);
    return QColor(0xdd, 0xdd, 0xdd);
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
        ensure(14);
        m_painter->setFont(font(9));
        m_painter->drawText(QPointF(0, m_y + 10), text);
        m_y += 14;
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
        const QRectF plot(50, m_y + 16, m_width - 60, height - 30);
        double maxValue = 0;
        for (const ServerReport &s : m_report.servers) {
            for (const ChartPoint &p : latency ? s.latency : s.traffic)
                maxValue = std::max(maxValue, p.value);
        }
        if (maxValue <= 0)
            maxValue = 1;
        m_painter->setPen(QColor(0x99, 0x99, 0x99));
        m_painter->drawRect(plot);
        m_painter->setFont(font(6));
        m_painter->drawText(QRectF(0, plot.top() - 4, 46, 10), Qt::AlignRight, QString::number(maxValue, 'f', 1));
        m_painter->drawText(QRectF(0, plot.bottom() - 6, 46, 10), Qt::AlignRight, QStringLiteral("0"));
        m_painter->drawText(QPointF(plot.left(), plot.bottom() + 9), formatReportTime(m_report.fromMs));
        m_painter->drawText(QRectF(plot.right() - 150, plot.bottom() + 2, 150, 10), Qt::AlignRight, formatReportTime(m_report.toMs));
        const double span = double(std::max<qint64>(1, m_report.windowMs()));
        int index = 0;
        for (const ServerReport &s : m_report.servers) {
            QPainterPath path;
            bool first = true;
            for (const ChartPoint &p : latency ? s.latency : s.traffic) {
                const QPointF point(plot.left() + plot.width() * double(p.timeMs - m_report.fromMs) / span, plot.bottom() - plot.height() * p.value / maxValue);
                if (first)
                    path.moveTo(point);
                else
                    path.lineTo(point);
                first = false;
            }
            QPen pen(kPalette[index % 10]);
            pen.setWidthF(0.8);
            m_painter->strokePath(path, pen);
            ++index;
        }
        m_painter->setPen(Qt::black);
        m_y += height;
        legend();
    }

    void stateTimeline()
    {
        const double row = 11;
        heading(QStringLiteral("State timeline (green up, red down, orange drain, grey maint, light grey no data)"));
        const double left = 130;
        const double span = double(std::max<qint64>(1, m_report.windowMs()));
        for (const ServerReport &s : m_report.servers) {
            ensure(row);
            m_painter->setFont(font(6));
            m_painter->drawText(QRectF(0, m_y, left - 4, row), Qt::AlignRight | Qt::AlignVCenter, QStringLiteral("%1/%2").arg(s.pool, s.server));
            const double width = m_width - left;
            m_painter->fillRect(QRectF(left, m_y + 1, width, row - 2), stateColor(QString()));
            for (const StateSpan &state : s.states) {
                const double x0 = left + width * double(state.fromMs - m_report.fromMs) / span;
                const double x1 = left + width * double(state.toMs - m_report.fromMs) / span;
                m_painter->fillRect(QRectF(x0, m_y + 1, std::max(0.3, x1 - x0), row - 2), stateColor(state.state));
            }
            m_y += row;
        }
        m_y += 6;
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

    void legend()
    {
        m_painter->setFont(font(6));
        const QFontMetricsF metrics(m_painter->font(), m_writer);
        double x = 0;
        int index = 0;
        ensure(10);
        for (const ServerReport &s : m_report.servers) {
            const QString label = QStringLiteral("%1/%2").arg(s.pool, s.server);
            const double w = metrics.horizontalAdvance(label) + 16;
            if (x + w > m_width) {
                x = 0;
                m_y += 9;
                ensure(10);
            }
            m_painter->fillRect(QRectF(x, m_y + 2, 8, 5), kPalette[index % 10]);
            m_painter->drawText(QPointF(x + 10, m_y + 7), label);
            x += w;
            ++index;
        }
        m_y += 14;
    }

    void startPage()
    {
        ++m_page;
        m_painter->setPen(Qt::black);
        m_painter->setFont(font(8));
        m_painter->drawText(QRectF(0, 0, m_width, 12), Qt::AlignLeft,
                            QStringLiteral("Fulcrum health report · window %1 – %2 (%3)")
                                .arg(formatReportTime(m_report.fromMs), formatReportTime(m_report.toMs), formatDurationMs(m_report.windowMs())));
        m_painter->drawText(QRectF(0, 0, m_width, 12), Qt::AlignRight, QStringLiteral("generated at %1").arg(formatReportTime(m_report.generatedAtMs)));
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
    writer.setTitle(QStringLiteral("Fulcrum health report %1 – %2").arg(formatReportTime(report.fromMs), formatReportTime(report.toMs)));
    writer.setCreator(QStringLiteral("Fulcrum"));
    QPainter painter;
    if (!painter.begin(&writer)) {
        if (error)
            *error = QStringLiteral("%1: cannot write the PDF; check the directory %2 exists and is writable").arg(path, QFileInfo(path).absolutePath());
        return 0;
    }
    PdfLayout layout(&writer, &painter, report);
    layout.heading(QStringLiteral("Fulcrum health report"));
    layout.paragraph(QStringLiteral("Window %1 – %2 (%3). Generated at %4.")
                         .arg(formatReportTime(report.fromMs), formatReportTime(report.toMs), formatDurationMs(report.windowMs()), formatReportTime(report.generatedAtMs)));
    layout.heading(QStringLiteral("Pools"));
    layout.table(healthReportTable(report, QStringLiteral("pools")));
    layout.heading(QStringLiteral("Servers"));
    layout.table(healthReportTable(report, QStringLiteral("servers")));
    layout.heading(QStringLiteral("Charts"));
    layout.lineChart(QStringLiteral("Traffic per server (requests/s)"), false);
    layout.lineChart(QStringLiteral("Latency per server (mean ms)"), true);
    layout.stateTimeline();
    layout.heading(QStringLiteral("Check failures by reason"));
    layout.table(healthReportTable(report, QStringLiteral("check-failures")));
    layout.heading(QStringLiteral("Weight changes"));
    layout.table(healthReportTable(report, QStringLiteral("weight-changes")));
    layout.heading(QStringLiteral("Locks held longer than %1 or without expiry").arg(formatDurationMs(report.options.lockHeldThresholdMs)));
    layout.table(healthReportTable(report, QStringLiteral("locks")));
    layout.heading(QStringLiteral("Force-releases"));
    layout.table(healthReportTable(report, QStringLiteral("force-releases")));
    layout.heading(QStringLiteral("Operator actions"));
    layout.table(healthReportTable(report, QStringLiteral("operator-actions")));
    const int pages = layout.pages();
    if (!painter.end()) {
        if (error)
            *error = QStringLiteral("%1: writing the PDF failed; check free space and permissions").arg(path);
        return 0;
    }
    return pages;
}

} // namespace fulcrum
