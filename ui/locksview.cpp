#include "locksview.h"
#include "resultbanner.h"

#include "common/wallclock.h"
#include "lockmodel.h"
#include "servertablemodel.h"

#include <QAction>
#include <QEvent>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSortFilterProxyModel>
#include <QTableView>
#include <QTimer>
#include <QVBoxLayout>

namespace fulcrum::ui {

ForceReleaseDialog::ForceReleaseDialog(EngineLink *link, const LockRow &lock, QWidget *parent)
    : QDialog(parent), m_link(link), m_lock(lock)
{
    setWindowTitle(tr("Force-release a lock"));
    setObjectName(QStringLiteral("forceReleaseDialog"));
    auto *layout = new QVBoxLayout(this);
    auto *warning = new QLabel(tr("The holder may still be working under this lock. Releasing it lets another "
                                  "client in at once. Only the holder shown below is released: if the lock "
                                  "changes hands before you confirm, nothing is deleted."), this);
    warning->setWordWrap(true);
    layout->addWidget(warning);
    auto *form = new QFormLayout;
    const QDateTime now = wallclock::nowUtc();
    auto selectable = [this](const QString &text) {
        auto *label = new QLabel(text, this);
        label->setTextInteractionFlags(Qt::TextSelectableByMouse);
        return label;
    };
    form->addRow(tr("Endpoint:"), selectable(lock.endpoint));
    form->addRow(tr("Key:"), selectable(QString::fromUtf8(lock.key)));
    form->addRow(tr("Holder:"), selectable(QString::fromUtf8(lock.holder)));
    form->addRow(tr("Held for:"), selectable(lock.firstSeen.isValid() ? durationText(lock.firstSeen.secsTo(now)) : tr("unknown")));
    const qint64 remaining = LockModel::remainingMs(lock, now);
    form->addRow(tr("TTL:"), selectable(remaining < 0 ? tr("no expiry") : tr("%1 s").arg(remaining / 1000.0, 0, 'f', 1)));
    if (lock.noExpiry()) {
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
    connect(releaseButton, &QPushButton::clicked, this, [this] { release(); });
    connect(m_buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    layout->addWidget(m_buttons);
    if (m_link) {
        connect(m_link, &EngineLink::commandFinished, this, [this](const CommandResult &result) {
            if (result.id != m_command || m_outcome != Outcome::Pending)
                return;
            m_outcome = result.ok ? Outcome::Released : Outcome::Refused;
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

QString ForceReleaseDialog::outcomeText() const
{
    switch (m_outcome) {
    case Outcome::None: return QString();
    case Outcome::Pending: return tr("Asking the engine…");
    case Outcome::Released: return tr("Released: the lock was deleted.");
    case Outcome::Refused: return tr("Not released: nothing was deleted.");
    }
    return QString();
}

void ForceReleaseDialog::updateReleaseEnabled()
{
    const bool typed = !m_typedKey || m_typedKey->text() == QString::fromUtf8(m_lock.key);
    releaseButton()->setEnabled(typed && m_outcome == Outcome::None && m_link);
}

void ForceReleaseDialog::release()
{
    if (!m_link || m_outcome != Outcome::None)
        return;
    m_outcome = Outcome::Pending;
    m_result->setResult(ResultBanner::Outcome::Waiting, outcomeText());
    m_command = m_link->releaseLock(m_lock.endpoint, m_lock.key, m_lock.holder);
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
    m_filter->setPlaceholderText(tr("Filter locks by key, holder or kind"));
    m_filter->setClearButtonEnabled(true);
    m_progress = new QProgressBar(this);
    m_progress->setRange(0, 0);
    m_progress->setMaximumWidth(160);
    m_progress->hide();
    m_status = new QLabel(this);
    bar->addWidget(new QLabel(tr("Redis:"), this));
    bar->addWidget(m_endpoints);
    bar->addWidget(m_filter, 1);
    bar->addWidget(m_progress);
    bar->addWidget(m_status);
    layout->addLayout(bar);
    m_banner = new QLabel(this);
    m_banner->setObjectName(QStringLiteral("locksBanner"));
    m_banner->setWordWrap(true);
    m_banner->setMargin(6);
    m_banner->setStyleSheet(QStringLiteral("QLabel { background: #c62828; color: white; font-weight: bold; border-radius: 3px; }"));
    m_banner->hide();
    layout->addWidget(m_banner);

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
    layout->addWidget(m_view);

    connect(m_filter, &QLineEdit::textChanged, m_proxy, &QSortFilterProxyModel::setFilterFixedString);
    connect(m_filter, &QLineEdit::textChanged, this, [this] { updateStatus(); });
    connect(m_endpoints, &QComboBox::currentTextChanged, this, [this](const QString &endpoint) { showEndpoint(endpoint); });
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

    const QStringList endpoints = link ? link->redisEndpoints() : QStringList();
    m_endpoints->addItems(endpoints);
    m_status->setText(endpoints.isEmpty() ? tr("No Redis endpoint configured: add one under Settings → Redis.") : QString());
}

void LocksView::setLockTable(const LockTable &table)
{
    m_tables.insert(table.endpoint, table);
    m_states[table.endpoint].readAt = wallclock::nowUtc();
    if (m_endpoints->findText(table.endpoint) < 0)
        m_endpoints->addItem(table.endpoint);
    if (m_endpoints->currentText() == table.endpoint)
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
        if (!endpoints.contains(m_endpoints->itemText(i)))
            m_endpoints->removeItem(i);
    }
    for (const QString &endpoint : endpoints) {
        if (m_endpoints->findText(endpoint) < 0)
            m_endpoints->addItem(endpoint);
    }
    if (m_endpoints->count() == 0) {
        m_model->setTable(LockTable{});
        m_status->setText(tr("No Redis endpoint configured: add one under Settings → Redis."));
    }
}

QStringList LocksView::endpoints() const
{
    QStringList names;
    for (int i = 0; i < m_endpoints->count(); ++i)
        names.append(m_endpoints->itemText(i));
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
    const QString endpoint = m_endpoints->currentText();
    const auto it = m_states.constFind(endpoint);
    const bool stale = it != m_states.cend() && it->state != LinkState::Connected && it->readAt.isValid();
    m_model->setStale(stale ? it->readAt : QDateTime());
    m_release->setEnabled(!stale);
    if (!stale) {
        m_banner->hide();
        m_banner->clear();
        return;
    }
    const QString state = it->state == LinkState::Connecting ? tr("reconnecting") : tr("disconnected");
    // The engine's message names the endpoint's URL first ("redis://HOST:PORT/0: cannot connect:
    // …"); the banner names it already.
    QString why = it->detail;
    if (why.startsWith(u"redis://") || why.startsWith(u"rediss://") || why.startsWith(u"unix:")) {
        const qsizetype colon = why.indexOf(QLatin1String(": "));
        if (colon > 0)
            why = why.mid(colon + 2);
    }
    m_banner->setText(tr("Redis %1 is %2%3. The locks below are as of %4 and may have changed; their countdowns are stopped, "
                         "and force-release waits until it is connected again.")
                          .arg(endpoint, state, why.isEmpty() ? QString() : QStringLiteral(" (%1)").arg(why),
                               it->readAt.toLocalTime().toString(QStringLiteral("HH:mm:ss"))));
    m_banner->show();
}

void LocksView::showEndpoint(const QString &endpoint)
{
    const LockTable table = m_tables.value(endpoint, LockTable{endpoint, {}, false, 0, QString()});
    m_model->setTable(table);
    m_progress->setVisible(table.scanning);
    m_progress->setFormat(tr("%1 keys scanned").arg(table.keysScanned));
    m_progress->setTextVisible(table.scanning);
    m_shown = table;
    updateStatus();
    updateStaleness();
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
    return m_status->text();
}

void LocksView::updateStatus()
{
    const int all = int(m_shown.rows.size());
    const int shown = m_proxy->rowCount();
    if (!m_shown.error.isEmpty())
        m_status->setText(tr("Last scan failed: %1").arg(m_shown.error));
    else if (!m_filter->text().isEmpty() && shown != all)
        m_status->setText(tr("%1 of %n lock(s) shown (filter), %2 keys scanned", nullptr, all).arg(shown).arg(m_shown.keysScanned));
    else
        m_status->setText(tr("%n lock(s), %1 keys scanned", nullptr, all).arg(m_shown.keysScanned));
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
