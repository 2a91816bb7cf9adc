#pragma once

#include "engine/enginelink.h"

#include <QDialog>
#include <QHash>
#include <QJsonObject>
#include <QElapsedTimer>
#include <QPointer>
#include <QWidget>

QT_BEGIN_NAMESPACE
class QComboBox;
class QDialog;
class QDialogButtonBox;
class QLabel;
class QLineEdit;
class QProgressBar;
class QSortFilterProxyModel;
class QTableView;
class QTimer;
QT_END_NAMESPACE

namespace fulcrum::ui {

class ResultBanner;

class LockModel;

// Confirms a force-release and reports its outcome. Shows the lock, holder, age and what a
// release does on this backend (who takes the lock next, whether the holder is told); a lock
// with no expiry also needs its name typed. The release compares first on the holder shown
// here, so a lock that changed hands in between is left alone and said so. Where the holder
// made its lock revocable (Curator), asking it to release is offered as the gentler choice.
class ForceReleaseDialog : public QDialog
{
    Q_OBJECT
public:
    enum class Outcome { None, Pending, Released, Asked, Revoked, Refused };

    ForceReleaseDialog(EngineLink *link, const LockRow &lock, QWidget *parent = nullptr);

    Outcome outcome() const { return m_outcome; }
    QString outcomeText() const;
    QLineEdit *keyConfirmation() const { return m_typedKey; }
    QPushButton *releaseButton() const;
    // Null unless the backend can ask this lock's holder to release.
    QPushButton *askButton() const;
    // Null unless the backend can revoke the holder's session (etcd lease).
    QPushButton *revokeButton() const;

private:
    void release(LockReleaseRequest::Mode mode);
    void updateReleaseEnabled();

    QPointer<EngineLink> m_link;
    LockRow m_lock;
    QLineEdit *m_typedKey = nullptr;
    ResultBanner *m_result = nullptr;
    QDialogButtonBox *m_buttons = nullptr;
    Outcome m_outcome = Outcome::None;
    LockReleaseRequest::Mode m_mode = LockReleaseRequest::Delete;
    quint64 m_command = 0;
};

// The locks of each lock endpoint, any backend: filter, live TTL countdown, flags
// highlighted, scan progress, a detail pane with the selected lock's waiters, force-release.
// Columns the endpoint's backend has no figures for are hidden.
class LocksView : public QWidget
{
    Q_OBJECT
public:
    bool eventFilter(QObject *watched, QEvent *event) override;
    explicit LocksView(EngineLink *link, QWidget *parent = nullptr);

    void setLockTable(const LockTable &table);
    // The engine's connection to an endpoint: while it is not connected, its rows are shown as
    // stale (as of their last read) under a banner that says why, and force-release waits.
    void setEndpointState(const QString &endpoint, LinkState state, const QString &detail);
    // The banner's text; empty when the endpoint shown is connected.
    QString bannerText() const;
    // The feed line ("Live: …", "Polled: …") and the follow-live button, for tests.
    QString feedText() const;
    QPushButton *followButton() const { return m_follow; }
    bool hasTable(const QString &endpoint) const { return m_tables.contains(endpoint); }
    // The endpoints the link has now (an engine was added or removed): the others' tables go.
    void setEndpoints(const QStringList &endpoints);
    QStringList endpoints() const;
    QTableView *table() const { return m_view; }
    LockModel *model() const { return m_model; }
    QLineEdit *filter() const { return m_filter; }
    QString statusText() const;
    // The line on what the last pass did not show: the endpoint's own notes (a role that cannot
    // see other sessions, a pass stopped at its limit), keys that could not be read (a lock may
    // hide behind them), and how many matched keys are not locks. Empty when none.
    QString notesText() const;
    // The list its "Show…" link opens, one "KEY: why" per line.
    QString notesListText() const;
    // Opens that list (what the link does); for tests.
    QDialog *showNotesList();
    // The detail pane's text for the selected lock (empty when none is selected).
    QString detailText() const;
    // Rows do not move with every countdown tick or scan: they take their sorted places at this
    // beat (default 5 s), and not while the pointer is over the table. For tests.
    void setResortIntervalMs(int ms);
    void resortNow();
    // Opens the confirmation for the selected lock; null when none is selected.
    ForceReleaseDialog *forceReleaseSelected();
    // Column widths came from saved settings: do not size them to the first locks.
    void keepColumnWidths() { m_columnsSized = true; }

private:
    void showEndpoint(const QString &endpoint);
    QString currentEndpoint() const;
    int endpointIndex(const QString &endpoint) const;
    void addEndpoint(const LockEndpointInfo &endpoint);
    LockEndpointInfo endpointInfo(const QString &endpoint, const QString &backend) const;
    void updateDetail();
    static void appendTree(QStringList &lines, const QJsonObject &node, int depth);
    // Asks the engine for the waiters of `lock` a pass listed by name only, at most every 5 s.
    void readWaitersOf(const LockRow &lock);
    // "6 lock(s)", or "2 of 6 lock(s) shown (filter)" while the filter hides some.
    void updateStatus();

    QPointer<EngineLink> m_link;
    QHash<QString, LockTable> m_tables;
    QComboBox *m_endpoints = nullptr;
    QLineEdit *m_filter = nullptr;
    QProgressBar *m_progress = nullptr;
    QLabel *m_status = nullptr;        // short: "6 lock(s), live", "Last scan failed"
    // The long line under the bar, wrapped: the last pass's error in red (unless the banner
    // already says the endpoint is not connected), or the hint that there is no endpoint.
    QLabel *m_note = nullptr;
    void updateNote();
    QLabel *m_notes = nullptr;         // notesText(), with its "Show…" link
    QString m_notesPlain;
    void updateNotes();
    LockTable m_shown;                 // the table on screen, for the status text
    struct EndpointState
    {
        LinkState state = LinkState::Connected;   // until the link says otherwise: its tables arrive
        QString detail;
        QDateTime readAt;              // when its last table arrived
    };
    QHash<QString, EndpointState> m_states;
    QLabel *m_banner = nullptr;
    // How the shown table keeps current (live, polled and why, resyncing), and the audited
    // action that would make a polled one live.
    QLabel *m_feed = nullptr;
    QPushButton *m_follow = nullptr;
    quint64 m_followAsked = 0;
    void updateFeed();
    void askToFollow();
    QLabel *m_detail = nullptr;
    QAction *m_release = nullptr;
    void updateStaleness();
    LockModel *m_model = nullptr;
    QSortFilterProxyModel *m_proxy = nullptr;
    QTableView *m_view = nullptr;
    QTimer *m_countdown = nullptr;
    QTimer *m_resort = nullptr;        // the calm beat at which rows take their sorted places
    bool m_pointerOver = false;        // rows keep still under the pointer
    bool m_columnsSized = false;
    // The selected lock's waiters as the engine read them whole (requestLockDetail).
    struct WaitersRead
    {
        QString endpoint;
        QByteArray key;
        quint64 asked = 0;             // the request under way; 0: none
        QElapsedTimer since;           // since it was asked
        QHash<QByteArray, LockWaiter> waiters;
        QString error;
    };
    WaitersRead m_waitersRead;
};

} // namespace fulcrum::ui
