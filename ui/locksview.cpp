#include "locksview.h"
#include "resultbanner.h"

#include "common/wallclock.h"
#include "locks/lockbackends.h"
#include "lockmodel.h"
#include "servertablemodel.h"

#include <QAction>
#include <QEvent>
#include <QComboBox>
#include <QDialog>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLabel>
#include <QPalette>
#include <QLineEdit>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSortFilterProxyModel>
#include <QTableView>
#include <QTimer>
#include <QVBoxLayout>

#include <algorithm>
#include <limits>

namespace fulcrum::ui {

ForceReleaseDialog::ForceReleaseDialog(EngineLink *link, const LockRow &lock, QWidget *parent)
    : QDialog(parent), m_link(link), m_lock(lock)
{
    setWindowTitle(tr("Force-release a lock"));
    setObjectName(QStringLiteral("forceReleaseDialog"));
    const LockBackendCapabilities capabilities = lockBackendCapabilities(lock.backend.isEmpty() ? QStringLiteral("redis") : lock.backend);
    auto *layout = new QVBoxLayout(this);
    auto *warning = new QLabel(tr("The holder may still be working under this lock. Releasing it lets another "
                                  "client in at once. Only the holder shown below is released: if the lock "
                                  "changes hands before you confirm, nothing is deleted."), this);
    warning->setWordWrap(true);
    layout->addWidget(warning);
    if (!capabilities.releaseEffect.isEmpty()) {
        auto *effect = new QLabel(tr("What a release does on %1: %2").arg(capabilities.displayName, capabilities.releaseEffect), this);
        effect->setObjectName(QStringLiteral("releaseEffect"));
        effect->setWordWrap(true);
        layout->addWidget(effect);
    }
    // Two releases (etcd): the dialog says what each does before the operator chooses.
    if (capabilities.askHolder && !capabilities.askEffect.isEmpty() && lock.details.value(QStringLiteral("can_cancel")).toBool()) {
        auto *effect = new QLabel(tr("What cancelling the root blocker's query does: %1").arg(capabilities.askEffect), this);
        effect->setObjectName(QStringLiteral("askEffect"));
        effect->setWordWrap(true);
        layout->addWidget(effect);
    }
    if (capabilities.revokeSession && !capabilities.revokeEffect.isEmpty()) {
        auto *effect = new QLabel(tr("What revoking the holder's lease does: %1").arg(capabilities.revokeEffect), this);
        effect->setObjectName(QStringLiteral("revokeEffect"));
        effect->setWordWrap(true);
        layout->addWidget(effect);
    }
    auto *form = new QFormLayout;
    const QDateTime now = wallclock::nowUtc();
    auto selectable = [this](const QString &text) {
        auto *label = new QLabel(text, this);
        label->setTextInteractionFlags(Qt::TextSelectableByMouse);
        return label;
    };
    form->addRow(tr("Endpoint:"), selectable(QStringLiteral("%1 (%2)").arg(lock.endpoint, capabilities.displayName)));
    form->addRow(capabilities.backend == u"redis" ? tr("Key:") : tr("Lock:"), selectable(QString::fromUtf8(lock.key)));
    form->addRow(tr("Holder:"), selectable(lock.holderText.isEmpty() ? QString::fromUtf8(lock.holder)
                                                                      : QStringLiteral("%1 (%2)").arg(lock.holderText, QString::fromUtf8(lock.holder))));
    if (!lock.session.isEmpty()) {
        const QString leaseDecimal = lock.details.value(QStringLiteral("lease_id")).toString();
        form->addRow(capabilities.revokeSession ? tr("Lease:") : tr("Session:"),
                     selectable(leaseDecimal.isEmpty() ? lock.session : QStringLiteral("%1 (%2)").arg(lock.session, leaseDecimal)));
    }
    if (capabilities.revokeSession) {
        QStringList others;
        for (const QJsonValue &key : lock.details.value(QStringLiteral("lease_keys")).toArray())
            others << key.toString();
        auto *leaseKeys = selectable(others.isEmpty() ? tr("none: only the lock's key") : others.join(u'\n'));
        leaseKeys->setObjectName(QStringLiteral("leaseKeys"));
        leaseKeys->setWordWrap(true);
        form->addRow(tr("Other keys on the lease (revoking deletes them too):"), leaseKeys);
    }
    // A database session (PostgreSQL): ending it frees everything it holds and rolls back its
    // transaction; the operator sees both before confirming.
    if (lock.details.contains(QStringLiteral("other_locks")) || lock.details.contains(QStringLiteral("in_transaction"))) {
        QStringList others;
        for (const QJsonValue &other : lock.details.value(QStringLiteral("other_locks")).toArray())
            others << other.toString();
        auto *otherLocks = selectable(others.isEmpty() ? tr("none besides this one") : others.join(u'\n'));
        otherLocks->setObjectName(QStringLiteral("otherLocks"));
        otherLocks->setWordWrap(true);
        form->addRow(tr("Other locks the session holds (ending it frees them too):"), otherLocks);
        auto *transaction = selectable(lock.details.value(QStringLiteral("in_transaction")).toBool()
                                           ? tr("yes: ending the session rolls it back (%1)").arg(lock.details.value(QStringLiteral("state")).toString())
                                           : tr("no"));
        transaction->setObjectName(QStringLiteral("inTransaction"));
        form->addRow(tr("Inside a transaction:"), transaction);
        const QString query = lock.details.value(QStringLiteral("query")).toString();
        if (!query.isEmpty()) {
            auto *last = selectable(query.simplified().left(300));
            last->setWordWrap(true);
            form->addRow(tr("Current or last query:"), last);
        }
    }
    form->addRow(tr("Held for:"), selectable(lock.firstSeen.isValid() ? durationText(lock.firstSeen.secsTo(now)) : tr("unknown")));
    const qint64 remaining = LockModel::remainingMs(lock, now);
    if (capabilities.ttl)
        form->addRow(tr("TTL:"), selectable(remaining < 0 ? tr("no expiry") : tr("%1 s").arg(remaining / 1000.0, 0, 'f', 1)));
    if (capabilities.waiters)
        form->addRow(tr("Next in line:"), selectable(lock.waiters.isEmpty() ? tr("nobody waits")
                                                                            : tr("%1 (%n waiting)", nullptr, int(lock.waiters.size()))
                                                                                  .arg(lock.waiters.first().who.isEmpty() ? QString::fromUtf8(lock.waiters.first().id)
                                                                                                                          : lock.waiters.first().who)));
    if (lock.noExpiry() && capabilities.ttl) {
        m_typedKey = new QLineEdit(this);
        m_typedKey->setObjectName(QStringLiteral("typedKey"));
        m_typedKey->setPlaceholderText(tr("type the key to confirm"));
        form->addRow(tr("This lock never expires. Type its key:"), m_typedKey);
        connect(m_typedKey, &QLineEdit::textChanged, this, [this] { updateReleaseEnabled(); });
    }
    layout->addLayout(form);
    m_result = new ResultBanner(this);
    layout->addWidget(m_result);
    m_buttons = new QDialogButtonBox(QDialogButtonBox::Cancel, this);
    auto *releaseButton = m_buttons->addButton(tr("Force-release"), QDialogButtonBox::DestructiveRole);
    releaseButton->setObjectName(QStringLiteral("releaseButton"));
    releaseButton->setAutoDefault(false);
    m_buttons->button(QDialogButtonBox::Cancel)->setDefault(true);
    connect(releaseButton, &QPushButton::clicked, this, [this] { release(LockReleaseRequest::Delete); });
    // Curator's Revoker: a holder that made its lock revocable lets go when asked.
    if (capabilities.askHolder && lock.kind.startsWith(u"curator")) {
        auto *ask = m_buttons->addButton(tr("Ask the holder to release"), QDialogButtonBox::ActionRole);
        ask->setObjectName(QStringLiteral("askButton"));
        ask->setAutoDefault(false);
        ask->setToolTip(tr("Writes Curator's revoke request on the holder's node. A holder that made its lock revocable releases it "
                           "itself, cleanly; one that did not ignores it and nothing changes."));
        connect(ask, &QPushButton::clicked, this, [this] { release(LockReleaseRequest::AskHolder); });
    }
    // PostgreSQL's blocking chains: cancel the root blocker's query instead of ending its session.
    if (capabilities.askHolder && lock.details.value(QStringLiteral("can_cancel")).toBool()) {
        auto *ask = m_buttons->addButton(tr("Cancel the root blocker's query"), QDialogButtonBox::ActionRole);
        ask->setObjectName(QStringLiteral("askButton"));
        ask->setAutoDefault(false);
        ask->setToolTip(capabilities.askEffect);
        connect(ask, &QPushButton::clicked, this, [this] { release(LockReleaseRequest::AskHolder); });
    }
    if (capabilities.revokeSession) {
        auto *revoke = m_buttons->addButton(tr("Revoke the holder's lease"), QDialogButtonBox::DestructiveRole);
        revoke->setObjectName(QStringLiteral("revokeButton"));
        revoke->setAutoDefault(false);
        revoke->setToolTip(tr("Ends the holder's session: it learns it lost the lock. Every key on the lease is deleted."));
        connect(revoke, &QPushButton::clicked, this, [this] { release(LockReleaseRequest::RevokeSession); });
    }
    connect(m_buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    layout->addWidget(m_buttons);
    if (m_link) {
        connect(m_link, &EngineLink::commandFinished, this, [this](const CommandResult &result) {
            if (result.id != m_command || m_outcome != Outcome::Pending)
                return;
            m_outcome = result.ok ? Outcome::Released : Outcome::Refused;
            if (result.ok && m_mode == LockReleaseRequest::AskHolder)
                m_outcome = Outcome::Asked;
            if (result.ok && m_mode == LockReleaseRequest::RevokeSession)
                m_outcome = Outcome::Revoked;
            m_result->setResult(result.ok ? ResultBanner::Outcome::Done : ResultBanner::Outcome::Failed, outcomeText() + u'\n' + result.message);
            m_buttons->button(QDialogButtonBox::Cancel)->setText(tr("Close"));
        });
    }
    updateReleaseEnabled();
}

QPushButton *ForceReleaseDialog::releaseButton() const
{
    return findChild<QPushButton *>(QStringLiteral("releaseButton"));
}

QPushButton *ForceReleaseDialog::askButton() const
{
    return findChild<QPushButton *>(QStringLiteral("askButton"));
}

QPushButton *ForceReleaseDialog::revokeButton() const
{
    return findChild<QPushButton *>(QStringLiteral("revokeButton"));
}

QString ForceReleaseDialog::outcomeText() const
{
    switch (m_outcome) {
    case Outcome::None: return QString();
    case Outcome::Pending: return tr("Asking the engine…");
    case Outcome::Released: return tr("Released: the lock was deleted.");
    case Outcome::Asked: return tr("Asked: the holder was asked to release; the table shows when it has.");
    case Outcome::Revoked: return tr("Revoked: the holder's lease is gone, with every key on it.");
    case Outcome::Refused: return tr("Not released: nothing was deleted.");
    }
    return QString();
}

void ForceReleaseDialog::updateReleaseEnabled()
{
    const bool typed = !m_typedKey || m_typedKey->text() == QString::fromUtf8(m_lock.key);
    releaseButton()->setEnabled(typed && m_outcome == Outcome::None && m_link);
    if (QPushButton *ask = askButton())
        ask->setEnabled(m_outcome == Outcome::None && m_link);
    if (QPushButton *revoke = revokeButton())
        revoke->setEnabled(typed && m_outcome == Outcome::None && m_link);
}

void ForceReleaseDialog::release(LockReleaseRequest::Mode mode)
{
    if (!m_link || m_outcome != Outcome::None)
        return;
    m_outcome = Outcome::Pending;
    m_mode = mode;
    m_result->setResult(ResultBanner::Outcome::Waiting, outcomeText());
    m_command = m_link->requestLockRelease(m_lock.endpoint, LockReleaseRequest{mode, m_lock.key, m_lock.holder});
    updateReleaseEnabled();
}

LocksView::LocksView(EngineLink *link, QWidget *parent)
    : QWidget(parent), m_link(link)
{
    auto *layout = new QVBoxLayout(this);
    auto *bar = new QHBoxLayout;
    m_endpoints = new QComboBox(this);
    m_endpoints->setObjectName(QStringLiteral("lockEndpoints"));
    m_endpoints->setMinimumContentsLength(24);
    m_filter = new QLineEdit(this);
    m_filter->setObjectName(QStringLiteral("lockFilter"));
    m_filter->setPlaceholderText(tr("Filter locks by name, holder or kind"));
    m_filter->setClearButtonEnabled(true);
    m_progress = new QProgressBar(this);
    m_progress->setRange(0, 0);
    m_progress->setMaximumWidth(160);
    m_progress->hide();
    m_status = new QLabel(this);
    bar->addWidget(new QLabel(tr("Endpoint:"), this));
    bar->addWidget(m_endpoints);
    bar->addWidget(m_filter, 1);
    bar->addWidget(m_progress);
    bar->addWidget(m_status);
    layout->addLayout(bar);
    // Its own line, wrapped: a long text in the bar made the window as wide as the text.
    m_note = new QLabel(this);
    m_note->setObjectName(QStringLiteral("lockNote"));
    m_note->setWordWrap(true);
    m_note->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_note->hide();
    layout->addWidget(m_note);
    m_notes = new QLabel(this);
    m_notes->setObjectName(QStringLiteral("lockNotes"));
    m_notes->setWordWrap(true);
    m_notes->setTextFormat(Qt::RichText);
    m_notes->setTextInteractionFlags(Qt::TextSelectableByMouse | Qt::LinksAccessibleByMouse | Qt::LinksAccessibleByKeyboard);
    m_notes->hide();
    connect(m_notes, &QLabel::linkActivated, this, [this] { showNotesList(); });
    layout->addWidget(m_notes);
    m_banner = makeAlarmLine(QStringLiteral("locksBanner"), this);
    layout->addWidget(m_banner);
    auto *feedBar = new QHBoxLayout;
    m_feed = new QLabel(this);
    m_feed->setObjectName(QStringLiteral("lockFeed"));
    m_feed->setWordWrap(true);
    m_feed->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_follow = new QPushButton(tr("Follow changes live…"), this);
    m_follow->setObjectName(QStringLiteral("followLive"));
    m_follow->hide();
    connect(m_follow, &QPushButton::clicked, this, &LocksView::askToFollow);
    feedBar->addWidget(m_feed, 1);
    feedBar->addWidget(m_follow);
    layout->addLayout(feedBar);

    m_model = new LockModel(this);
    m_proxy = new QSortFilterProxyModel(this);
    m_proxy->setSourceModel(m_model);
    m_proxy->setSortRole(LockModel::SortRole);
    m_proxy->setFilterKeyColumn(-1);
    m_proxy->setFilterCaseSensitivity(Qt::CaseInsensitive);
    // Rows re-sorted by every countdown tick and scan move under the pointer: sort on a beat.
    m_proxy->setDynamicSortFilter(false);
    m_view = new QTableView(this);
    m_view->setObjectName(QStringLiteral("locksTable"));
    m_view->setModel(m_proxy);
    m_view->setSortingEnabled(true);
    m_view->sortByColumn(LockModel::Ttl, Qt::AscendingOrder);
    m_view->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_view->setSelectionMode(QAbstractItemView::SingleSelection);
    m_view->horizontalHeader()->setStretchLastSection(true);
    m_view->verticalHeader()->hide();
    m_view->setWordWrap(false);
    m_view->setContextMenuPolicy(Qt::ActionsContextMenu);
    auto *release = new QAction(tr("Force-release…"), m_view);
    m_release = release;
    release->setShortcut(QKeySequence::Delete);
    release->setShortcutContext(Qt::WidgetWithChildrenShortcut);
    connect(release, &QAction::triggered, this, [this] {
        if (ForceReleaseDialog *dialog = forceReleaseSelected())
            dialog->open();
    });
    m_view->addAction(release);
    layout->addWidget(m_view, 1);
    m_detail = new QLabel(this);
    m_detail->setObjectName(QStringLiteral("lockDetail"));
    m_detail->setWordWrap(true);
    m_detail->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_detail->setAlignment(Qt::AlignTop | Qt::AlignLeft);
    m_detail->hide();
    layout->addWidget(m_detail);
    connect(m_view->selectionModel(), &QItemSelectionModel::selectionChanged, this, [this] { updateDetail(); });
    if (m_link) {
        connect(m_link, &EngineLink::commandFinished, this, [this](const CommandResult &result) {
            if (result.id != m_followAsked || !result.id)
                return;
            m_followAsked = 0;
            m_follow->setEnabled(true);
            if (!result.ok)
                QMessageBox::warning(this, tr("Change notifications not turned on"), result.message);
            updateFeed();
        });
        connect(m_link, &EngineLink::lockDetailReady, this, [this](quint64 id, const LockDetail &detail) {
            if (id != m_waitersRead.asked)
                return;
            m_waitersRead.asked = 0;
            m_waitersRead.error = detail.row ? QString() : detail.error;
            if (detail.row) {
                for (const LockWaiter &w : detail.row->waiters)
                    m_waitersRead.waiters.insert(w.id, w);
            }
            updateDetail();
        });
    }

    connect(m_filter, &QLineEdit::textChanged, m_proxy, &QSortFilterProxyModel::setFilterFixedString);
    connect(m_filter, &QLineEdit::textChanged, this, [this] { updateStatus(); });
    connect(m_endpoints, &QComboBox::currentIndexChanged, this, [this] {
        // The picker itself turns red while an endpoint without certificate checks is shown.
        const QVariant warning = m_endpoints->currentData(Qt::ForegroundRole);
        m_endpoints->setStyleSheet(warning.isValid() ? QStringLiteral("QComboBox { color: #c01c28; font-weight: bold; }") : QString());
        m_endpoints->setToolTip(m_endpoints->currentData(Qt::ToolTipRole).toString());
        showEndpoint(currentEndpoint());
    });
    m_countdown = new QTimer(this);
    m_countdown->setInterval(250);
    connect(m_countdown, &QTimer::timeout, this, [this] { m_model->tick(wallclock::nowUtc()); });
    m_countdown->start();
    m_view->viewport()->installEventFilter(this);
    m_resort = new QTimer(this);
    m_resort->setInterval(5000);
    connect(m_resort, &QTimer::timeout, this, [this] {
        if (!m_pointerOver)
            resortNow();
    });
    m_resort->start();
    connect(m_view->horizontalHeader(), &QHeaderView::sortIndicatorChanged, this, [this] { resortNow(); });

    const QList<LockEndpointInfo> endpoints = link ? link->lockEndpoints() : QList<LockEndpointInfo>();
    for (const LockEndpointInfo &endpoint : endpoints)
        addEndpoint(endpoint);
    updateNote();
}

QString LocksView::currentEndpoint() const
{
    return m_endpoints->currentData().toString();
}

int LocksView::endpointIndex(const QString &endpoint) const
{
    return m_endpoints->findData(endpoint);
}

// What the link knows of an endpoint, or just its name and backend.
LockEndpointInfo LocksView::endpointInfo(const QString &endpoint, const QString &backend) const
{
    const QList<LockEndpointInfo> known = m_link ? m_link->lockEndpoints() : QList<LockEndpointInfo>();
    for (const LockEndpointInfo &e : known) {
        if (e.name == endpoint)
            return e;
    }
    return LockEndpointInfo{endpoint, backend, QString(), false};
}

// The picker names each endpoint's backend: "orders (ZooKeeper)", "orders (Redis Cluster)"; an
// endpoint whose TLS certificate is not verified says so, in red.
void LocksView::addEndpoint(const LockEndpointInfo &endpoint)
{
    const QString name = !endpoint.displayName.isEmpty()
        ? endpoint.displayName
        : lockBackendCapabilities(endpoint.backend.isEmpty() ? QStringLiteral("redis") : endpoint.backend).displayName;
    QString text = QStringLiteral("%1 (%2)").arg(endpoint.name, name);
    if (endpoint.tlsInsecure)
        text += QStringLiteral(" — ") + tr("TLS NOT VERIFIED (tls_insecure)");
    m_endpoints->addItem(text, endpoint.name);
    if (endpoint.tlsInsecure) {
        const int index = m_endpoints->count() - 1;
        m_endpoints->setItemData(index, QBrush(QColor(0xc0, 0x1c, 0x28)), Qt::ForegroundRole);
        m_endpoints->setItemData(index, tr("The server's certificate is not checked (tls_insecure in the config): "
                                           "anyone on the path can read and change what Fulcrum sees and releases."), Qt::ToolTipRole);
    }
}

// One line per node of a session tree ({pid, user, application_name, state, query, waiting_on,
// waiting_since, blocks: [...]}), indented by depth.
void LocksView::appendTree(QStringList &lines, const QJsonObject &node, int depth)
{
    QString line = QString(depth * 4, u' ') + tr("pid %1").arg(node.value(QStringLiteral("pid")).toInteger());
    const QString user = node.value(QStringLiteral("user")).toString();
    const QString application = node.value(QStringLiteral("application_name")).toString();
    if (!user.isEmpty())
        line += u' ' + user;
    if (!application.isEmpty())
        line += QStringLiteral(" (%1)").arg(application);
    const QString state = node.value(QStringLiteral("state")).toString();
    if (!state.isEmpty())
        line += QStringLiteral(", ") + state;
    const QString waiting = node.value(QStringLiteral("waiting_on")).toString();
    if (!waiting.isEmpty())
        line += tr(", waits on %1").arg(waiting);
    const QString query = node.value(QStringLiteral("query")).toString().simplified();
    if (!query.isEmpty())
        line += QStringLiteral(": ") + query.left(100);
    lines << line;
    for (const QJsonValue &child : node.value(QStringLiteral("blocks")).toArray())
        appendTree(lines, child.toObject(), depth + 1);
}

void LocksView::updateDetail()
{
    const QModelIndexList rows = m_view->selectionModel() ? m_view->selectionModel()->selectedRows() : QModelIndexList();
    const LockRow *lock = rows.isEmpty() ? nullptr : m_model->lockAt(m_proxy->mapToSource(rows.first()).row());
    if (!lock) {
        m_detail->clear();
        m_detail->hide();
        return;
    }
    QStringList lines;
    lines << tr("%1 — %2, held by %3").arg(QString::fromUtf8(lock->key), lockKindText(lock->kind), LockModel::holderName(*lock));
    if (!lock->holderText.isEmpty())
        lines << tr("Holder says: %1").arg(lock->holderText);
    if (!m_model->capabilities().clientAddress && !lock->session.isEmpty())
        lines << tr("Session %1").arg(lock->session);
    else if (!lock->session.isEmpty() || !lock->clientAddress.isEmpty())
        lines << tr("Session %1, client %2").arg(lock->session.isEmpty() ? tr("unknown") : lock->session,
                                                  lock->clientAddress.isEmpty() ? tr("unknown") : lock->clientAddress);
    if (lock->kind == u"lock-table") {
        // A row in a table (ShedLock): taken when its node wrote it, free when its until passes.
        if (lock->acquiredAt.isValid())
            lines << tr("Taken at %1 (the database's time)").arg(lock->acquiredAt.toLocalTime().toString(QStringLiteral("yyyy-MM-dd HH:mm:ss")));
        if (!lock->noExpiry())
            lines << tr("Free in %1 s unless its node extends it; a release expires the row now but does not stop the job")
                         .arg(LockModel::remainingMs(*lock, wallclock::nowUtc()) / 1000);
    } else if (lock->acquiredAt.isValid()) {
        lines << tr("Queued for it at %1 (backend's time)").arg(lock->acquiredAt.toLocalTime().toString(QStringLiteral("yyyy-MM-dd HH:mm:ss")));
    }
    // How fresh the row is: a live table reads a row when the backend says it changed.
    if (m_shown.feed.mode == LockFeedState::Live && lock->lastRead.isValid())
        lines << tr("Read at %1, when %2 last announced a change to it (the table is live)")
                     .arg(lock->lastRead.toLocalTime().toString(QStringLiteral("HH:mm:ss.zzz")), m_model->capabilities().displayName);
    else if (lock->lastRead.isValid())
        lines << tr("Read at %1 by the last pass").arg(lock->lastRead.toLocalTime().toString(QStringLiteral("HH:mm:ss")));
    if (lock->holders.size() > 1) {
        QStringList all;
        for (const QByteArray &h : lock->holders)
            all << QString::fromUtf8(h);
        lines << tr("Shared by %n holder(s): %1", nullptr, int(lock->holders.size())).arg(all.join(QStringLiteral(", ")));
    }
    if (m_model->capabilities().waiters) {
        if (lock->waiters.isEmpty())
            lines << tr("Nobody waits.");
        readWaitersOf(*lock);
        const bool readHere = m_waitersRead.endpoint == lock->endpoint && m_waitersRead.key == lock->key;
        if (readHere && m_waitersRead.asked)
            lines << tr("Reading the waiters' details (the last pass listed them by name)…");
        else if (readHere && !m_waitersRead.error.isEmpty())
            lines << tr("The waiters' details could not be read: %1").arg(m_waitersRead.error);
        int position = 0;
        for (LockWaiter w : lock->waiters) {
            if (w.session.isEmpty() && readHere)
                w = m_waitersRead.waiters.value(w.id, w);
            QString line = tr("%1. %2").arg(++position).arg(w.who.isEmpty() ? QString::fromUtf8(w.id) : QStringLiteral("%1 (%2)").arg(w.who, QString::fromUtf8(w.id)));
            if (!w.session.isEmpty())
                line += tr(", session %1").arg(w.session);
            if (w.queuedAt.isValid())
                line += tr(", waiting since %1").arg(w.queuedAt.toLocalTime().toString(QStringLiteral("HH:mm:ss")));
            if (!w.note.isEmpty())
                line += QStringLiteral(" — ") + w.note;
            lines << line;
        }
    }
    // Redlock: one line per master, the majority's copies marked, before the other details.
    const QJsonArray masters = lock->details.value(QStringLiteral("masters")).toArray();
    if (!masters.isEmpty()) {
        lines << tr("On %1 of %2 masters (a majority is %3):")
                     .arg(lock->details.value(QStringLiteral("agreeing")).toInt())
                     .arg(lock->details.value(QStringLiteral("of_masters")).toInt())
                     .arg(lock->details.value(QStringLiteral("quorum")).toInt());
        for (const QJsonValue &value : masters) {
            const QJsonObject m = value.toObject();
            const qint64 ttl = m.value(QStringLiteral("ttl_ms")).toInteger(-1);
            lines << QStringLiteral("  %1  %2  %3%4")
                         .arg(m.value(QStringLiteral("node")).toString(), m.value(QStringLiteral("holder")).toString(),
                              ttl < 0 ? tr("no expiry") : tr("TTL %1 s").arg(ttl / 1000.0, 0, 'f', 1),
                              m.value(QStringLiteral("majority")).toBool() ? QString() : QStringLiteral("  ") + tr("(not the majority's)"));
        }
    }
    for (auto it = lock->details.begin(); it != lock->details.end(); ++it) {
        if (it.key() == u"waiters_unread" || (!masters.isEmpty() && (it.key() == u"masters" || it.key() == u"agreeing" || it.key() == u"of_masters" || it.key() == u"quorum")))
            continue;
        if (it.value().isObject()) {
            // A tree (PostgreSQL's blocking chain): each session under the one it waits for.
            lines << QStringLiteral("%1:").arg(it.key());
            appendTree(lines, it.value().toObject(), 1);
            continue;
        }
        QString value;
        if (it.value().isArray()) {
            QStringList items;
            for (const QJsonValue &item : it.value().toArray())
                items << (item.isString() ? item.toString() : QString::fromUtf8(QJsonDocument(QJsonArray{item}).toJson(QJsonDocument::Compact)));
            value = items.isEmpty() ? tr("none") : items.join(QStringLiteral(", "));
        } else if (it.value().isBool()) {
            value = it.value().toBool() ? QStringLiteral("true") : QStringLiteral("false");
        } else {
            value = it.value().isString() ? it.value().toString() : QString::number(it.value().toDouble(), 'g', 17);
        }
        lines << QStringLiteral("%1: %2").arg(it.key(), value);
    }
    m_detail->setText(lines.join(u'\n'));
    m_detail->show();
}

void LocksView::readWaitersOf(const LockRow &lock)
{
    if (!m_link || lock.details.value(QStringLiteral("waiters_unread")).toInt() <= 0)
        return;
    const bool same = m_waitersRead.endpoint == lock.endpoint && m_waitersRead.key == lock.key;
    const bool missing = std::any_of(lock.waiters.begin(), lock.waiters.end(), [&](const LockWaiter &w) {
        return w.session.isEmpty() && !(same && m_waitersRead.waiters.contains(w.id));
    });
    if (!missing || (same && (m_waitersRead.asked || (m_waitersRead.since.isValid() && m_waitersRead.since.elapsed() < 5000))))
        return;
    if (!same)
        m_waitersRead = WaitersRead{lock.endpoint, lock.key, 0, {}, {}, {}};
    m_waitersRead.error.clear();
    m_waitersRead.since.start();
    m_waitersRead.asked = m_link->requestLockDetail(lock.endpoint, lock.key);
}

QString LocksView::detailText() const
{
    return m_detail->isHidden() ? QString() : m_detail->text();
}

void LocksView::setLockTable(const LockTable &table)
{
    m_tables.insert(table.endpoint, table);
    m_states[table.endpoint].readAt = wallclock::nowUtc();
    if (endpointIndex(table.endpoint) < 0)
        addEndpoint(endpointInfo(table.endpoint, table.backend));
    if (currentEndpoint() == table.endpoint)
        showEndpoint(table.endpoint);
    if (!m_columnsSized && m_model->rowCount() > 0) {
        m_columnsSized = true;
        m_view->resizeColumnsToContents();
    }
}

void LocksView::setEndpoints(const QStringList &endpoints)
{
    for (auto it = m_tables.begin(); it != m_tables.end();)
        it = endpoints.contains(it.key()) ? std::next(it) : m_tables.erase(it);
    for (int i = m_endpoints->count() - 1; i >= 0; --i) {
        if (!endpoints.contains(m_endpoints->itemData(i).toString()))
            m_endpoints->removeItem(i);
    }
    for (const QString &endpoint : endpoints) {
        if (endpointIndex(endpoint) < 0)
            addEndpoint(endpointInfo(endpoint, QString()));
    }
    if (m_endpoints->count() == 0) {
        m_model->setTable(LockTable{});
        m_shown = LockTable{};
        m_status->clear();
        updateNote();
    }
}

QStringList LocksView::endpoints() const
{
    QStringList names;
    for (int i = 0; i < m_endpoints->count(); ++i)
        names.append(m_endpoints->itemData(i).toString());
    return names;
}

void LocksView::setEndpointState(const QString &endpoint, LinkState state, const QString &detail)
{
    EndpointState &known = m_states[endpoint];
    known.state = state;
    known.detail = detail;
    updateStaleness();
}

QString LocksView::bannerText() const
{
    return m_banner->isHidden() ? QString() : m_banner->text();
}

void LocksView::updateStaleness()
{
    const QString endpoint = currentEndpoint();
    const auto it = m_states.constFind(endpoint);
    const bool stale = it != m_states.cend() && it->state != LinkState::Connected && it->readAt.isValid();
    m_model->setStale(stale ? it->readAt : QDateTime());
    m_release->setEnabled(!stale);
    if (!stale) {
        m_banner->hide();
        m_banner->clear();
        updateNote();
        return;
    }
    const QString state = it->state == LinkState::Connecting ? tr("reconnecting") : tr("disconnected");
    // The engine's message names the endpoint's URL first ("redis://HOST:PORT/0: cannot connect:
    // …"); the banner names it already.
    QString why = it->detail;
    if (why.startsWith(u"redis://") || why.startsWith(u"rediss://") || why.startsWith(u"unix:") || why.startsWith(u"zookeeper://")
        || why.startsWith(u"etcd://") || why.startsWith(u"etcds://") || why.startsWith(u"postgres://") || why.startsWith(u"postgresql://")) {
        const qsizetype colon = why.indexOf(QLatin1String(": "));
        if (colon > 0)
            why = why.mid(colon + 2);
    }
    m_banner->setText(tr("%1 %2 is %3%4. The locks below are as of %5 and may have changed; their countdowns are stopped, "
                         "and force-release waits until it is connected again.")
                          .arg(m_model->capabilities().displayName, endpoint, state, why.isEmpty() ? QString() : QStringLiteral(" (%1)").arg(why),
                               it->readAt.toLocalTime().toString(QStringLiteral("HH:mm:ss"))));
    m_banner->show();
    updateNote();   // the banner says it already
}

void LocksView::showEndpoint(const QString &endpoint)
{
    const LockTable table = m_tables.value(endpoint, LockTable{endpoint, m_link ? m_link->lockEndpointBackend(endpoint) : QString(), {}, false, 0, QString()});
    const QString backend = table.backend.isEmpty() && m_link ? m_link->lockEndpointBackend(endpoint) : table.backend;
    m_model->setCapabilities(lockBackendCapabilities(backend.isEmpty() ? QStringLiteral("redis") : backend));
    for (int column = 0; column < LockModel::ColumnCount; ++column)
        m_view->setColumnHidden(column, !m_model->columnApplies(column));
    m_model->setTable(table);
    updateDetail();
    m_progress->setVisible(table.scanning);
    m_progress->setFormat(m_model->capabilities().backend == u"zookeeper" ? tr("%1 nodes read").arg(table.keysScanned)
                          : table.passDetail.isEmpty()                  ? tr("%1 keys scanned").arg(table.keysScanned)
                                                                        : tr("%1 keys scanned (%2)").arg(table.keysScanned).arg(table.passDetail));
    m_progress->setTextVisible(table.scanning);
    m_shown = table;
    updateStatus();
    updateNotes();
    updateStaleness();
    updateFeed();
}

QString LocksView::feedText() const
{
    return m_feed->text();
}

void LocksView::updateFeed()
{
    const LockFeedState &feed = m_shown.feed;
    switch (feed.mode) {
    case LockFeedState::Live:
        m_feed->setText(tr("Live: rows change as %1 announces each change (%n change(s) followed since %2); a full pass reconciles now and then.",
                           nullptr, int(std::min<qint64>(feed.eventsApplied, std::numeric_limits<int>::max())))
                            .arg(m_model->capabilities().displayName, feed.liveSince.toLocalTime().toString(QStringLiteral("HH:mm:ss"))));
        break;
    case LockFeedState::Resyncing:
        m_feed->setText(tr("Resyncing: %1").arg(feed.why));
        break;
    case LockFeedState::Polling:
        m_feed->setText(feed.why.isEmpty() ? tr("Polled: the whole table is read again on a timer.") : tr("Polled: %1").arg(feed.why));
        break;
    }
    m_feed->setVisible(!currentEndpoint().isEmpty());
    m_follow->setVisible(feed.mode == LockFeedState::Polling && feed.canEnable);
}

// The only way the console changes a server's settings: asked, explained, confirmed, audited.
void LocksView::askToFollow()
{
    const QString endpoint = currentEndpoint();
    if (!m_link || endpoint.isEmpty())
        return;
    const LockFeedState &feed = m_shown.feed;
    QMessageBox box(QMessageBox::Question, tr("Follow %1 live?").arg(endpoint),
                    tr("This sets %1 on the server. It is server-wide: Redis then publishes a message for every change to any key of "
                       "those classes, which costs it a little CPU on every write, whether or not Fulcrum listens. Fulcrum adds the "
                       "missing flags and removes none. The change is written to the audit log under your name.\n\nWhy it is polled now: %2")
                        .arg(feed.needs, feed.why),
                    QMessageBox::Cancel, this);
    QPushButton *go = box.addButton(tr("Turn on and follow"), QMessageBox::AcceptRole);
    box.setDefaultButton(QMessageBox::Cancel);
    box.exec();
    if (box.clickedButton() != go)
        return;
    m_follow->setEnabled(false);
    m_followAsked = m_link->enableLockNotifications(endpoint);
}

bool LocksView::eventFilter(QObject *watched, QEvent *event)
{
    if (watched == m_view->viewport()) {
        if (event->type() == QEvent::Enter)
            m_pointerOver = true;
        else if (event->type() == QEvent::Leave)
            m_pointerOver = false;
    }
    return QWidget::eventFilter(watched, event);
}

void LocksView::setResortIntervalMs(int ms)
{
    m_resort->setInterval(ms);
}

void LocksView::resortNow()
{
    // The selection goes with its row (persistent indexes); only the order changes.
    m_proxy->sort(m_view->horizontalHeader()->sortIndicatorSection(), m_view->horizontalHeader()->sortIndicatorOrder());
}

QString LocksView::statusText() const
{
    return m_note->isHidden() ? m_status->text() : m_note->text();
}

QString LocksView::notesText() const
{
    return m_notes->isHidden() ? QString() : m_notesPlain;
}

QString LocksView::notesListText() const
{
    QStringList lines;
    for (const LockScanNote &note : notesInReadingOrder(m_shown.notes))
        lines << (note.key.isEmpty() ? note.text : QStringLiteral("%1: %2").arg(escapeBytes(note.key), note.text));
    if (m_shown.notesOmitted > 0)
        lines << tr("… and %n more, not kept (a pass keeps the first %1)", nullptr, int(std::min<qint64>(m_shown.notesOmitted, std::numeric_limits<int>::max())))
                     .arg(maxNotesPerPass);
    return lines.join(u'\n');
}

QDialog *LocksView::showNotesList()
{
    auto *dialog = new QDialog(this);
    dialog->setObjectName(QStringLiteral("lockNotesList"));
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setWindowTitle(tr("Not shown as locks: %1").arg(m_shown.endpoint));
    auto *layout = new QVBoxLayout(dialog);
    auto *text = new QPlainTextEdit(notesListText(), dialog);
    text->setReadOnly(true);
    text->setLineWrapMode(QPlainTextEdit::NoWrap);
    layout->addWidget(text);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Close, dialog);
    connect(buttons, &QDialogButtonBox::rejected, dialog, &QDialog::reject);
    layout->addWidget(buttons);
    dialog->resize(720, 360);
    dialog->show();
    return dialog;
}

// An operator looking for a lock the table does not show learns why here: a pass that could not
// see everything says so, and so do keys that matched the patterns and are not locks.
void LocksView::updateNotes()
{
    QStringList lines;
    qsizetype unreadable = 0;
    qint64 others = 0;
    // One look at the notes, at every table the engine sends (a live table's every beat): the
    // list's order (notesInReadingOrder) is made only when the list is opened.
    const LockScanNote *firstUnreadable = nullptr;
    for (const LockScanNote &note : m_shown.notes) {
        if (note.key.isEmpty()) {
            lines << note.text;
        } else if (note.unreadable) {
            ++unreadable;
            if (!firstUnreadable || note.key < firstUnreadable->key)
                firstUnreadable = &note;
        } else {
            ++others;
        }
    }
    if (firstUnreadable)
        lines << tr("%n matched key(s) could not be read, so a lock among them would not show (%1: %2).", nullptr, int(unreadable))
                     .arg(escapeBytes(firstUnreadable->key), firstUnreadable->text);
    // A pass keeps warning notes before plain ones (keepNote): while it kept a plain one, every
    // note it left out was plain too; a list of warnings only can have left out either kind.
    const qint64 omitted = m_shown.notesOmitted;
    if (others > 0 || (omitted > 0 && unreadable == 0))
        others += omitted;
    else if (omitted > 0)
        lines << tr("%n more matched key(s) not kept: could not be read, or not locks (a pass keeps %1 notes).", nullptr,
                    int(std::min<qint64>(omitted, std::numeric_limits<int>::max())))
                     .arg(maxNotesPerPass);
    if (others > 0)
        lines << tr("%n matched key(s) are not locks (another type, another format, too large) and are not shown.", nullptr,
                    int(std::min<qint64>(others, std::numeric_limits<int>::max())));
    const bool anyKey = unreadable > 0 || others > 0 || omitted > 0;
    QStringList rich;
    for (const QString &line : std::as_const(lines))
        rich << line.toHtmlEscaped();
    QString html = rich.join(QStringLiteral("<br>"));
    if (anyKey)
        html += QStringLiteral(" <a href=\"notes\">%1</a>").arg(tr("Show them…"));
    m_notesPlain = lines.join(u'\n');
    m_notes->setText(html);
    m_notes->setVisible(!lines.isEmpty());
}

void LocksView::updateNote()
{
    QString text;
    bool problem = false;
    if (m_endpoints->count() == 0) {
        text = tr("No lock endpoint configured: add one to the engine's config, or under Settings → Locks for the embedded demo.");
    } else if (!m_shown.error.isEmpty() && m_banner->isHidden()) {
        text = tr("Last scan failed: %1").arg(m_shown.error);
        problem = true;
    }
    m_note->setText(text);
    // Red as the live view's error line (a palette, not a style sheet re-applied at every table).
    QPalette red = palette();
    red.setColor(QPalette::WindowText, QColor(0xd0, 0x30, 0x30));
    m_note->setPalette(problem ? red : QPalette());
    m_note->setVisible(!text.isEmpty());
}

void LocksView::updateStatus()
{
    const int all = int(m_shown.rows.size());
    const int shown = m_proxy->rowCount();
    if (m_endpoints->count() == 0)
        m_status->clear();
    else if (!m_shown.error.isEmpty())
        m_status->setText(tr("Last scan failed"));
    else if (m_model->capabilities().backend == u"zookeeper" && !m_filter->text().isEmpty() && shown != all)
        m_status->setText(tr("%1 of %n lock(s) shown (filter), %2 nodes read", nullptr, all).arg(shown).arg(m_shown.keysScanned));
    else if (m_model->capabilities().backend == u"zookeeper")
        m_status->setText(tr("%n lock(s), %1 nodes read", nullptr, all).arg(m_shown.keysScanned));
    else if (!m_filter->text().isEmpty() && shown != all)
        m_status->setText(tr("%1 of %n lock(s) shown (filter), %2 keys scanned", nullptr, all).arg(shown).arg(m_shown.keysScanned));
    else if (m_shown.feed.mode == LockFeedState::Live)
        m_status->setText(tr("%n lock(s), live", nullptr, all));
    else
        m_status->setText(tr("%n lock(s), %1 keys scanned", nullptr, all).arg(m_shown.keysScanned));
    updateNote();
}

ForceReleaseDialog *LocksView::forceReleaseSelected()
{
    const QModelIndexList rows = m_view->selectionModel()->selectedRows();
    if (rows.isEmpty())
        return nullptr;
    const LockRow *lock = m_model->lockAt(m_proxy->mapToSource(rows.first()).row());
    if (!lock)
        return nullptr;
    auto *dialog = new ForceReleaseDialog(m_link, *lock, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    return dialog;
}

} // namespace fulcrum::ui
