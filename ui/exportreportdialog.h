#pragma once

#include "engine/enginelink.h"

#include <QDialog>
#include <QPointer>

class QComboBox;
class QDateTimeEdit;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;

namespace fulcrum::ui {

class ResultBanner;

// File → Export report…: a window (last 15 min, 1 h, 24 h, 7 d, or from–to), a format and a
// file. The engine builds the report (EngineLink::exportReport) while the progress bar runs;
// Cancel stops it. Nothing here waits for the engine.
class ExportReportDialog : public QDialog
{
    Q_OBJECT
public:
    enum Window { Last15Minutes, LastHour, Last24Hours, Last7Days, Custom };

    explicit ExportReportDialog(EngineLink *link, QWidget *parent = nullptr);
    ~ExportReportDialog() override;

    // What Export would ask the engine for, with "last …" windows ending at nowMs.
    ReportRequest request(qint64 nowMs) const;
    bool isRunning() const { return m_running != 0; }

    QComboBox *windowBox() const { return m_window; }
    QDateTimeEdit *fromEdit() const { return m_from; }
    QDateTimeEdit *toEdit() const { return m_to; }
    QComboBox *formatBox() const { return m_format; }
    QLineEdit *fileEdit() const { return m_file; }
    QPushButton *exportButton() const { return m_export; }
    QPushButton *closeButton() const { return m_close; }
    QProgressBar *progressBar() const { return m_progress; }
    QLabel *statusLabel() const;
    ResultBanner *resultBanner() const { return m_status; }

Q_SIGNALS:
    // A report was written (ok), failed or was cancelled; message is for the operator.
    void reportFinished(bool ok, const QString &message);

protected:
    void reject() override;

private:
    void startExport();
    void onProgress(quint64 id, int done, int total);
    void onCommandFinished(const CommandResult &result);
    void browse();
    void formatChanged();
    void windowChanged();
    void setRunning(quint64 id);
    void showStatus(const QString &text, bool error, bool done = false);

    QPointer<EngineLink> m_link;
    QComboBox *m_window;
    QDateTimeEdit *m_from;
    QDateTimeEdit *m_to;
    QComboBox *m_format;
    QLineEdit *m_file;
    QLabel *m_csvNote;
    QProgressBar *m_progress;
    ResultBanner *m_status;
    QPushButton *m_export;
    QPushButton *m_close;
    quint64 m_running = 0;
};

} // namespace fulcrum::ui
