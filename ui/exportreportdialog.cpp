#include "exportreportdialog.h"
#include "resultbanner.h"

#include "common/wallclock.h"

#include <QComboBox>
#include <QDateTimeEdit>
#include <QDialogButtonBox>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QStandardPaths>
#include <QVBoxLayout>

namespace fulcrum::ui {

namespace {

constexpr qint64 kLastWindowsMs[] = {15 * 60'000LL, 3'600'000LL, 24 * 3'600'000LL, 7 * 24 * 3'600'000LL};

} // namespace

ExportReportDialog::ExportReportDialog(EngineLink *link, QWidget *parent)
    : QDialog(parent)
    , m_link(link)
    , m_window(new QComboBox(this))
    , m_from(new QDateTimeEdit(this))
    , m_to(new QDateTimeEdit(this))
    , m_format(new QComboBox(this))
    , m_file(new QLineEdit(this))
    , m_csvNote(new QLabel(this))
    , m_progress(new QProgressBar(this))
    , m_status(new ResultBanner(this))
{
    setWindowTitle(tr("Export report"));
    setObjectName(QStringLiteral("exportReportDialog"));

    m_window->addItems({tr("Last 15 minutes"), tr("Last hour"), tr("Last 24 hours"), tr("Last 7 days"), tr("Custom (from – to)")});
    m_window->setCurrentIndex(LastHour);
    const QDateTime now = wallclock::nowUtc();
    for (QDateTimeEdit *edit : {m_from, m_to}) {
        edit->setTimeSpec(Qt::UTC);
        edit->setDisplayFormat(QStringLiteral("yyyy-MM-dd HH:mm 'UTC'"));
        edit->setCalendarPopup(true);
    }
    m_from->setDateTime(now.addSecs(-3600));
    m_to->setDateTime(now);

    m_format->addItem(tr("PDF (A4, charts)"), QStringLiteral("pdf"));
    m_format->addItem(tr("HTML (one file, opens offline)"), QStringLiteral("html"));
    m_format->addItem(tr("CSV (one file per section)"), QStringLiteral("csv"));
    m_format->addItem(tr("JSON"), QStringLiteral("json"));

    const QString documents = QStandardPaths::writableLocation(QStandardPaths::DocumentsLocation);
    m_file->setText(QDir(documents.isEmpty() ? QDir::homePath() : documents)
                        .filePath(QStringLiteral("fulcrum-report-%1.pdf").arg(now.toString(QStringLiteral("yyyyMMdd-HHmm")))));
    // Wide enough to show the whole default path (up to a sensible width).
    m_file->setMinimumWidth(std::min(560, m_file->fontMetrics().horizontalAdvance(m_file->text()) + 24));
    auto *browseButton = new QPushButton(tr("Browse…"), this);
    auto *fileRow = new QHBoxLayout;
    fileRow->addWidget(m_file, 1);
    fileRow->addWidget(browseButton);
    m_csvNote->setWordWrap(true);
    m_csvNote->setText(tr("CSV writes one file per section next to this name: NAME-servers.csv, NAME-pools.csv, …"));
    m_csvNote->setVisible(false);

    auto *form = new QFormLayout;
    form->addRow(tr("&Window:"), m_window);
    form->addRow(tr("&From:"), m_from);
    form->addRow(tr("&To:"), m_to);
    form->addRow(tr("F&ormat:"), m_format);
    // A label beside a layout has no buddy of its own: give it the path field, or it shows a literal "&".
    auto *fileLabel = new QLabel(tr("F&ile:"), this);
    fileLabel->setObjectName(QStringLiteral("fileLabel"));
    fileLabel->setBuddy(m_file);
    form->addRow(fileLabel, fileRow);
    form->addRow(QString(), m_csvNote);

    m_progress->setRange(0, 1000);
    m_progress->setValue(0);
    m_progress->setVisible(false);

    auto *buttons = new QDialogButtonBox(this);
    m_export = buttons->addButton(tr("&Export"), QDialogButtonBox::AcceptRole);
    m_close = buttons->addButton(QDialogButtonBox::Close);
    m_export->setDefault(true);

    auto *layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(m_progress);
    layout->addWidget(m_status);
    layout->addWidget(buttons);

    connect(m_window, &QComboBox::currentIndexChanged, this, &ExportReportDialog::windowChanged);
    connect(m_format, &QComboBox::currentIndexChanged, this, &ExportReportDialog::formatChanged);
    connect(browseButton, &QPushButton::clicked, this, &ExportReportDialog::browse);
    connect(m_export, &QPushButton::clicked, this, &ExportReportDialog::startExport);
    connect(m_close, &QPushButton::clicked, this, &ExportReportDialog::reject);
    if (m_link) {
        connect(m_link, &EngineLink::reportProgress, this, &ExportReportDialog::onProgress);
        connect(m_link, &EngineLink::commandFinished, this, &ExportReportDialog::onCommandFinished);
    }
    windowChanged();
}

ExportReportDialog::~ExportReportDialog()
{
    if (isRunning() && m_link)
        m_link->cancelReport(m_running);
}

ReportRequest ExportReportDialog::request(qint64 nowMs) const
{
    ReportRequest r;
    r.format = m_format->currentData().toString();
    const int window = m_window->currentIndex();
    if (window == Custom) {
        r.fromMs = m_from->dateTime().toMSecsSinceEpoch();
        r.toMs = m_to->dateTime().toMSecsSinceEpoch();
    } else {
        r.toMs = nowMs;
        r.fromMs = nowMs - kLastWindowsMs[std::clamp(window, 0, int(std::size(kLastWindowsMs)) - 1)];
    }
    return r;
}

void ExportReportDialog::startExport()
{
    if (isRunning())
        return;
    if (!m_link) {
        showStatus(tr("There is no engine to build the report."), true);
        return;
    }
    const ReportRequest r = request(wallclock::nowMs());
    if (r.toMs <= r.fromMs) {
        showStatus(tr("The window is empty: “To” must be after “From”."), true);
        return;
    }
    const QString path = m_file->text().trimmed();
    if (path.isEmpty()) {
        showStatus(tr("Choose the file to write the report to."), true);
        return;
    }
    if (!QFileInfo(QFileInfo(path).absolutePath()).isDir()) {
        showStatus(tr("The folder %1 does not exist; choose another file.").arg(QFileInfo(path).absolutePath()), true);
        return;
    }
    showStatus(tr("Building the report…"), false);
    setRunning(m_link->exportReport(r, QFileInfo(path).absoluteFilePath()));
}

void ExportReportDialog::onProgress(quint64 id, int done, int total)
{
    if (id != m_running || total <= 0)
        return;
    m_progress->setRange(0, total);
    m_progress->setValue(std::clamp(done, 0, total));
}

void ExportReportDialog::onCommandFinished(const CommandResult &result)
{
    if (result.id != m_running || m_running == 0)
        return;
    setRunning(0);
    if (result.ok) {
        m_progress->setRange(0, 1);
        m_progress->setValue(1);
        showStatus(tr("Report written: %1").arg(result.message), false, true);
    } else if (result.message == u"cancelled") {
        m_progress->setVisible(false);
        showStatus(tr("Export cancelled."), false);
    } else {
        m_progress->setVisible(false);
        showStatus(tr("The report was not written: %1").arg(result.message), true);
    }
    Q_EMIT reportFinished(result.ok, m_status->text());
}

void ExportReportDialog::reject()
{
    // While a report is built, Cancel stops it; the dialog stays to say so.
    if (isRunning()) {
        if (m_link)
            m_link->cancelReport(m_running);
        showStatus(tr("Cancelling…"), false);
        return;
    }
    QDialog::reject();
}

void ExportReportDialog::browse()
{
    const QString format = m_format->currentData().toString();
    const QString filter = QStringLiteral("%1 (*.%2)").arg(m_format->currentText(), format);
    const QString chosen = QFileDialog::getSaveFileName(this, tr("Export report to"), m_file->text(), filter);
    if (!chosen.isEmpty())
        m_file->setText(QFileInfo(chosen).suffix().isEmpty() ? chosen + u'.' + format : chosen);
}

void ExportReportDialog::formatChanged()
{
    const QString format = m_format->currentData().toString();
    m_csvNote->setVisible(format == u"csv");
    const QString path = m_file->text();
    const QFileInfo info(path);
    static const QStringList known{QStringLiteral("pdf"), QStringLiteral("html"), QStringLiteral("csv"), QStringLiteral("json")};
    if (known.contains(info.suffix().toLower()))
        m_file->setText(path.left(path.size() - info.suffix().size()) + format);
}

void ExportReportDialog::windowChanged()
{
    const bool custom = m_window->currentIndex() == Custom;
    m_from->setEnabled(custom);
    m_to->setEnabled(custom);
}

void ExportReportDialog::setRunning(quint64 id)
{
    m_running = id;
    const bool running = id != 0;
    m_export->setEnabled(!running);
    m_close->setText(running ? tr("Cancel") : tr("Close"));
    if (running) {
        m_progress->setRange(0, 0);   // busy until the engine says how far it is
        m_progress->setVisible(true);
    }
}

QLabel *ExportReportDialog::statusLabel() const
{
    return m_status->textLabel();
}

void ExportReportDialog::showStatus(const QString &text, bool error, bool done)
{
    // Written: green with a tick; not written: red; building, cancelling, cancelled: plain.
    m_status->setResult(error ? ResultBanner::Outcome::Failed : done ? ResultBanner::Outcome::Done : ResultBanner::Outcome::Waiting, text);
}

} // namespace fulcrum::ui
