#include "settingsdialog.h"

#include "admin/adminclient.h"
#include "engine/capacityguard.h"
#include "locks/lockbackends.h"
#include "engine/enginelink.h"
#include "link/enginekinds.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSettings>
#include <QSpinBox>
#include <QTableWidget>
#include <QVBoxLayout>

#ifdef FULCRUM_HAVE_KEYCHAIN
#include "keychain/keychainsecretstore.h"
#endif

namespace fulcrum::ui {

namespace {

constexpr int kKindColumn = 2;

// The kinds as one sentence for tooltips: "fulcrumd: its admin API's URL, ...; HAProxy: ...".
QString kindsHelp()
{
    QStringList parts;
    for (const EngineKind &kind : EngineKinds::all())
        parts.append(QStringLiteral("%1: %2").arg(kind.label, kind.addressHelp));
    return parts.join(QStringLiteral("; "));
}

} // namespace

SettingsDialog::SettingsDialog(EngineLink *link, QWidget *parent)
    : QDialog(parent), m_link(link)
{
    setObjectName(QStringLiteral("settingsDialog"));
    setWindowTitle(tr("Settings"));
    // Wide enough for a socket path, the kind and the token field next to the engine buttons.
    setMinimumWidth(720);
    auto *layout = new QVBoxLayout(this);
    auto *form = new QFormLayout;
    form->addRow(tr("&Engines:"), createEngines());
    m_endpoints = new QPlainTextEdit(lockEndpoints().join(u'\n'), this);
    m_endpoints->setPlaceholderText(tr("one per line: 127.0.0.1:6379 (Redis), zookeeper://127.0.0.1:2181 (ZooKeeper, locks under /locks), "
                                     "etcd://127.0.0.1:2379 (etcd; etcds:// for https), postgres://USER@127.0.0.1:5432/DB (PostgreSQL advisory locks and blocking chains), "
                                     "mysql://USER@127.0.0.1:3306/DB (MySQL/MariaDB named locks)"));
    m_endpoints->setMaximumHeight(90);
    form->addRow(tr("&Lock endpoints:"), m_endpoints);
    m_patterns = new QLineEdit(redisPatterns().join(QStringLiteral(", ")), this);
    form->addRow(tr("Lock key &patterns:"), m_patterns);
    m_password = new QLineEdit(this);
    m_password->setObjectName(QStringLiteral("redisPassword"));
    m_password->setEchoMode(QLineEdit::Password);
#ifdef FULCRUM_HAVE_KEYCHAIN
    m_password->setPlaceholderText(tr("unchanged; stored in the desktop keychain"));
#else
    m_password->setEnabled(false);
    m_password->setPlaceholderText(tr("this build has no keychain support (qtkeychain-qt6-dev)"));
#endif
    form->addRow(tr("Redis pass&word:"), m_password);
    m_test = new QPushButton(tr("&Test connection"), this);
    m_test->setObjectName(QStringLiteral("testConnection"));
    m_test->setEnabled(link != nullptr);
    m_test->setToolTip(tr("The engine connects to the first Redis endpoint above and sends PING"));
    connect(m_test, &QPushButton::clicked, this, [this] { testConnection(); });
    form->addRow(QString(), m_test);
    m_threshold = new QSpinBox(this);
    m_threshold->setRange(1, 100);
    m_threshold->setSuffix(tr(" % of traffic"));
    m_threshold->setValue(qRound(confirmThreshold() * 100));
    form->addRow(tr("Ask before moving more than:"), m_threshold);
    m_minCapacity = new QSpinBox(this);
    m_minCapacity->setObjectName(QStringLiteral("minCapacity"));
    m_minCapacity->setRange(0, 100);
    m_minCapacity->setSuffix(tr(" % of its capacity"));
    m_minCapacity->setValue(qRound(minCapacityShare() * 100));
    m_minCapacity->setToolTip(tr("Drain, maintenance or a weight change that would leave a pool below this share of the capacity "
                                 "it has now asks first; one that leaves it no server at all always asks"));
    form->addRow(tr("Ask before leaving a pool below:"), m_minCapacity);
    m_language = new QComboBox(this);
    m_language->addItem(tr("System language"), QString());
    m_language->addItem(QStringLiteral("English"), QStringLiteral("en"));
    m_language->addItem(QStringLiteral("简体中文"), QStringLiteral("zh_CN"));
    m_language->setCurrentIndex(std::max(0, m_language->findData(language())));
    form->addRow(tr("&Language:"), m_language);
    layout->addLayout(form);
    m_message = new QLabel(this);
    m_message->setWordWrap(true);
    m_message->setObjectName(QStringLiteral("message"));
    layout->addWidget(m_message);
    if (m_link) {
        connect(m_link, &EngineLink::commandFinished, this, [this](const CommandResult &result) {
            if (result.id != m_testCommand)
                return;
            m_testCommand = 0;
            m_test->setEnabled(true);
            m_message->setText(result.ok ? tr("Connection works: %1").arg(result.message) : tr("Connection failed: %1").arg(result.message));
        });
    }
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Save | QDialogButtonBox::Cancel, this);
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    layout->addWidget(buttons);
}

QWidget *SettingsDialog::createEngines()
{
    auto *box = new QWidget(this);
    auto *layout = new QVBoxLayout(box);
    layout->setContentsMargins(0, 0, 0, 0);
    m_engines = new QTableWidget(0, 3, box);
    m_engines->setObjectName(QStringLiteral("engines"));
    m_engines->setHorizontalHeaderLabels({tr("Name"), tr("Address"), tr("Kind")});
    m_engines->horizontalHeader()->setSectionResizeMode(1, QHeaderView::Stretch);
    m_engines->verticalHeader()->hide();
    m_engines->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_engines->setSelectionMode(QAbstractItemView::SingleSelection);
    m_engines->setMaximumHeight(110);
    m_engines->setToolTip(tr("Engines the console attaches to when started without --demo (none: the in-process demo engine). %1").arg(kindsHelp()));
    for (const EngineSetting &engine : engines())
        addEngineRow(engine.name, engine.url, engine.kind);
    layout->addWidget(m_engines);

    auto *row = new QHBoxLayout;
    auto *add = new QPushButton(tr("&Add"), box);
    auto *remove = new QPushButton(tr("Re&move"), box);
    m_engineToken = new QLineEdit(box);
    m_engineToken->setObjectName(QStringLiteral("engineToken"));
    m_engineToken->setEchoMode(QLineEdit::Password);
#ifdef FULCRUM_HAVE_KEYCHAIN
    m_engineToken->setPlaceholderText(tr("token of the selected engine: unchanged; stored in the desktop keychain"));
#else
    m_engineToken->setPlaceholderText(tr("no keychain in this build: start with --token-file or FULCRUM_TOKEN"));
#endif
    m_testEngine = new QPushButton(tr("Test e&ngine"), box);
    m_testEngine->setObjectName(QStringLiteral("testEngine"));
    m_testEngine->setToolTip(tr("Asks the selected engine for its pools (GET /api/v1/pools) with its token"));
    row->addWidget(add);
    row->addWidget(remove);
    row->addWidget(m_engineToken, 1);
    m_trustEngine = new QPushButton(tr("Trust certificate…"), box);
    m_trustEngine->setObjectName(QStringLiteral("trustEngine"));
    m_trustEngine->setToolTip(tr("Shows the certificate the selected https engine presents; after you compare its fingerprint with the one on the "
                                 "engine's host, pins it in the address (pin=sha256:…)"));
    m_trustEngine->hide();
    row->addWidget(m_testEngine);
    row->addWidget(m_trustEngine);
    layout->addLayout(row);

    connect(add, &QPushButton::clicked, this, [this] {
        addEngineRow(QString(), QStringLiteral("http://127.0.0.1:9900"));
        m_engines->setCurrentCell(m_engines->rowCount() - 1, 0);
        m_engines->editItem(m_engines->item(m_engines->rowCount() - 1, 0));
    });
    connect(remove, &QPushButton::clicked, this, [this] {
        if (m_engines->currentRow() >= 0)
            m_engines->removeRow(m_engines->currentRow());
    });
    // A typed token belongs to its row (in memory until Save writes it to the keychain).
    connect(m_engineToken, &QLineEdit::textEdited, this, [this](const QString &text) {
        if (QTableWidgetItem *url = m_engines->item(std::max(0, m_engines->currentRow()), 1))
            url->setData(Qt::UserRole, text);
    });
    connect(m_engines, &QTableWidget::currentCellChanged, this, [this] { updateTokenField(); });
    connect(m_testEngine, &QPushButton::clicked, this, [this] { testEngine(); });
    connect(m_trustEngine, &QPushButton::clicked, this, [this] { trustEngineCertificate(); });
    return box;
}

void SettingsDialog::addEngineRow(const QString &name, const QString &url, const QString &kind)
{
    const int row = m_engines->rowCount();
    m_engines->insertRow(row);
    m_engines->setItem(row, 0, new QTableWidgetItem(name));
    m_engines->setItem(row, 1, new QTableWidgetItem(url));
    auto *kindBox = new QComboBox(m_engines);
    for (const EngineKind &k : EngineKinds::all())
        kindBox->addItem(k.label, k.id);
    kindBox->setCurrentIndex(std::max(0, kindBox->findData(kind)));
    kindBox->setToolTip(kindsHelp());
    connect(kindBox, &QComboBox::currentIndexChanged, this, [this] { updateTokenField(); });
    m_engines->setCellWidget(row, kKindColumn, kindBox);
}

QString SettingsDialog::rowKind(int row) const
{
    const auto *kindBox = qobject_cast<const QComboBox *>(m_engines->cellWidget(row, kKindColumn));
    return kindBox ? kindBox->currentData().toString() : EngineKinds::all().constFirst().id;
}

// The secret field belongs to the selected row; a kind without a secret (HAProxy: its socket's
// permissions decide) has it switched off.
void SettingsDialog::updateTokenField()
{
    const int row = m_engines->currentRow();
    const QTableWidgetItem *url = m_engines->item(row, 1);
    const EngineKind *kind = EngineKinds::find(row >= 0 ? rowKind(row) : QString());
    const bool secret = !kind || kind->hasSecret();
    m_engineToken->setEnabled(secret);
    m_engineToken->setText(url && secret ? url->data(Qt::UserRole).toString() : QString());
    if (!secret)
        m_engineToken->setPlaceholderText(tr("%1 needs no secret here").arg(kind->label));
    else
#ifdef FULCRUM_HAVE_KEYCHAIN
        m_engineToken->setPlaceholderText(tr("%1 of the selected engine: unchanged; stored in the desktop keychain")
                                              .arg(kind ? kind->secretName : tr("token")));
#else
        m_engineToken->setPlaceholderText(tr("no keychain in this build: start with --token-file or %1").arg(kind ? kind->secretEnvironment : QStringLiteral("FULCRUM_TOKEN")));
#endif
    m_engineToken->setToolTip(m_engineToken->placeholderText());   // the whole sentence where the field is narrow
}

QList<EngineSetting> SettingsDialog::engines()
{
    QList<EngineSetting> engines;
    for (const QString &line : QSettings().value(QStringLiteral("engines/list")).toStringList()) {
        const qsizetype equals = line.indexOf(u'=');
        if (equals <= 0)
            continue;
        // "KIND:ADDRESS", or a bare fulcrumd URL as saved before there were kinds.
        QString why;
        if (const std::optional<EngineKinds::Spelled> spelled = EngineKinds::parse(line.mid(equals + 1), &why))
            engines.append(EngineSetting{line.left(equals), spelled->address, spelled->kind->id});
    }
    return engines;
}

bool SettingsDialog::parseEngines(QList<EngineSetting> *engines, QString *error) const
{
    QStringList names;
    for (int row = 0; row < m_engines->rowCount(); ++row) {
        const QString name = m_engines->item(row, 0) ? m_engines->item(row, 0)->text().trimmed() : QString();
        const QString typed = m_engines->item(row, 1) ? m_engines->item(row, 1)->text().trimmed() : QString();
        if (name.isEmpty() && typed.isEmpty())
            continue;
        if (name.isEmpty() || name.contains(u'/') || name.contains(u'=') || names.contains(name)) {
            *error = tr("engine name \"%1\" in row %2 must be unique, not empty, without / or =; e.g. east").arg(name).arg(row + 1);
            return false;
        }
        QString why;
        const EngineKind *kind = EngineKinds::find(rowKind(row));
        const std::optional<QString> address = kind ? kind->normalize(typed, &why) : std::nullopt;
        if (!address) {
            *error = kind && kind != &EngineKinds::all().constFirst() ? tr("%1 engine \"%2\": %3").arg(kind->label, name, why)
                                                                     : tr("engine \"%1\": %2").arg(name, why);
            return false;
        }
        names.append(name);
        engines->append(EngineSetting{name, *address, kind->id});
    }
    return true;
}

void SettingsDialog::testEngine()
{
    QList<EngineSetting> engines;
    QString error;
    if (!parseEngines(&engines, &error) || engines.isEmpty()) {
        m_message->setText(error.isEmpty() ? tr("Add an engine (name and address) to test.") : error);
        return;
    }
    const int row = std::clamp(m_engines->currentRow(), 0, m_engines->rowCount() - 1);
    const QString name = m_engines->item(row, 0) ? m_engines->item(row, 0)->text().trimmed() : QString();
    EngineSetting engine = engines.first();
    for (const EngineSetting &e : std::as_const(engines)) {
        if (e.name == name)
            engine = e;
    }
    const EngineKind *kind = EngineKinds::find(engine.kind);
    QString why;
    QByteArray secret = m_engines->item(row, 1) && engine.name == name ? m_engines->item(row, 1)->data(Qt::UserRole).toString().toUtf8() : QByteArray();
#ifdef FULCRUM_HAVE_KEYCHAIN
    if (secret.isEmpty() && kind->hasSecret())
        secret = KeychainSecretStore().read(kind->keychainEntry(engine.url), &why).value_or(QByteArray());
#endif
    // A fulcrumd refuses every request without its token; an httpd manager may need none.
    if (secret.isEmpty() && kind->needsSecret(engine.url)) {
        m_message->setText(tr("No token for %1: type it in the token field (it is stored in the keychain on Save).").arg(engine.name));
        return;
    }
    const int probe = ++m_engineProbe;
    m_testEngine->setEnabled(false);
    m_message->setText(tr("Testing %1 at %2…").arg(engine.name, engine.url));
    kind->probe(engine.url, secret, this, [this, probe, name = engine.name](bool ok, const QString &message) {
        if (probe != m_engineProbe)
            return;
        m_testEngine->setEnabled(true);
        m_message->setText(ok ? tr("Engine %1 works: %2").arg(name, message) : tr("Engine %1 failed: %2").arg(name, message));
        // A certificate no CA of this console has signed: offer to look at it and pin it.
        m_trustEngine->setVisible(!ok && message.contains(u"pin=sha256:"));
    });
}

void SettingsDialog::trustEngineCertificate()
{
    const int row = m_engines->currentRow() >= 0 ? m_engines->currentRow() : 0;
    QTableWidgetItem *cell = m_engines->item(row, 1);
    QString why;
    const std::optional<AdminAddress> address = cell ? AdminAddress::parse(cell->text(), &why) : std::nullopt;
    if (!address || address->url.scheme() != u"https") {
        m_message->setText(address ? tr("Only an https engine has a certificate to trust.") : why);
        return;
    }
    m_trustEngine->setEnabled(false);
    AdminClient::peekCertificate(address->url, this, [this, row, address = *address](const QSslCertificate &certificate, const QString &error) {
        m_trustEngine->setEnabled(true);
        if (certificate.isNull()) {
            m_message->setText(error);
            return;
        }
        const QString fingerprint = tlsFingerprint(certificate);
        QMessageBox ask(QMessageBox::Warning, tr("Trust this certificate?"),
                        tr("%1 presents a certificate that no CA this console trusts has signed.").arg(address.url.toString()), QMessageBox::NoButton, this);
        ask.setInformativeText(
            tr("Subject: %1\nIssuer: %2\nValid: %3 to %4 (UTC)\n\nSHA-256 fingerprint:\n%5\n\nCompare it with the engine's own, on its host:\n"
               "openssl x509 -noout -fingerprint -sha256 -in CERT\n\nTrust exactly this certificate? The pin is kept in the engine's address; "
               "a new certificate will have to be trusted again.")
                .arg(certificate.subjectInfo(QSslCertificate::CommonName).join(QStringLiteral(", ")),
                     certificate.issuerInfo(QSslCertificate::CommonName).join(QStringLiteral(", ")),
                     certificate.effectiveDate().toUTC().toString(Qt::ISODate), certificate.expiryDate().toUTC().toString(Qt::ISODate),
                     fingerprint.mid(7)));
        QPushButton *trust = ask.addButton(tr("Trust this certificate"), QMessageBox::AcceptRole);
        ask.addButton(QMessageBox::Cancel);
        ask.setDefaultButton(QMessageBox::Cancel);
        ask.exec();
        if (ask.clickedButton() != trust)
            return;
        AdminAddress pinned = address;
        pinned.tls.pinSha256 = tlsFingerprintDigest(certificate);
        if (QTableWidgetItem *cell = m_engines->item(row, 1))
            cell->setText(pinned.toString());
        m_trustEngine->hide();
        m_message->setText(tr("Pinned %1 for %2; Save keeps it. Test the engine again to check.").arg(fingerprint, address.url.toString()));
    });
}

QStringList SettingsDialog::lockEndpoints()
{
    return QSettings().value(QStringLiteral("redis/endpoints")).toStringList();
}

QStringList SettingsDialog::redisPatterns()
{
    return QSettings().value(QStringLiteral("redis/patterns"), QStringList{QStringLiteral("lock:*"), QStringLiteral("*:lock:*")}).toStringList();
}

double SettingsDialog::minCapacityShare()
{
    return QSettings().value(QStringLiteral("weights/minCapacityPercent"), qRound(kDefaultMinCapacityShare * 100)).toInt() / 100.0;
}

double SettingsDialog::confirmThreshold()
{
    return QSettings().value(QStringLiteral("weights/confirmPercent"), 25).toInt() / 100.0;
}

QString SettingsDialog::language()
{
    return QSettings().value(QStringLiteral("ui/language")).toString();
}

QString SettingsDialog::message() const
{
    return m_message->text();
}

bool SettingsDialog::parseEndpoints(QStringList *endpoints, QString *error) const
{
    const QStringList lines = m_endpoints->toPlainText().split(u'\n', Qt::SkipEmptyParts);
    for (const QString &line : lines) {
        const QString endpoint = line.trimmed();
        LockEndpointConfig parsed;
        if (!parseLockEndpointAddress(endpoint, &parsed, error))
            return false;
        endpoints->append(endpoint);
    }
    return true;
}

void SettingsDialog::testConnection()
{
    QStringList endpoints;
    QString error;
    if (!parseEndpoints(&endpoints, &error) || endpoints.isEmpty()) {
        m_message->setText(error.isEmpty() ? tr("Add a lock endpoint (host:port, zookeeper://host:port, etcd://host:port, postgres://user@host:port/db or mysql://user@host:port/db) to test.") : error);
        return;
    }
    if (!m_link)
        return;
    const QString endpoint = endpoints.first();
    QByteArray password = m_password->text().toUtf8();
#ifdef FULCRUM_HAVE_KEYCHAIN
    if (password.isEmpty())
        password = KeychainSecretStore().read(keychainEntry(endpoint), &error).value_or(QByteArray());
#endif
    LockEndpointConfig config;
    parseLockEndpointAddress(endpoint, &config, &error);
    m_testCommand = m_link->testLockEndpoint(config, password);
    m_test->setEnabled(false);
    m_message->setText(tr("Testing %1…").arg(endpoint));
}

bool SettingsDialog::save(QString *error)
{
    QStringList endpoints;
    if (!parseEndpoints(&endpoints, error))
        return false;
    QList<EngineSetting> engineList;
    if (!parseEngines(&engineList, error))
        return false;
    QStringList patterns;
    for (const QString &pattern : m_patterns->text().split(u',', Qt::SkipEmptyParts))
        patterns.append(pattern.trimmed());
    if (!m_password->text().isEmpty()) {
        if (endpoints.isEmpty()) {
            *error = tr("a lock endpoint password needs an endpoint to belong to; add the endpoint first");
            return false;
        }
#ifdef FULCRUM_HAVE_KEYCHAIN
        KeychainSecretStore keychain;
        for (const QString &endpoint : endpoints) {
            QString why;
            if (!keychain.write(keychainEntry(endpoint), m_password->text().toUtf8(), &why)) {
                *error = tr("could not store the lock endpoint password in the keychain: %1; is a Secret Service (gnome-keyring, KWallet) running and unlocked?").arg(why);
                return false;
            }
        }
#endif
    }
    QStringList engineLines;
    for (int row = 0, index = 0; row < m_engines->rowCount(); ++row) {
        QTableWidgetItem *urlItem = m_engines->item(row, 1);
        const QString name = m_engines->item(row, 0) ? m_engines->item(row, 0)->text().trimmed() : QString();
        if (name.isEmpty() && (!urlItem || urlItem->text().trimmed().isEmpty()))
            continue;
        const EngineSetting &engine = engineList[index++];
        const EngineKind *kind = EngineKinds::find(engine.kind);
        engineLines.append(engine.name + u'=' + EngineKinds::spell(*kind, engine.url));
        const QByteArray token = urlItem ? urlItem->data(Qt::UserRole).toString().toUtf8() : QByteArray();
        if (token.isEmpty() || !kind->hasSecret())
            continue;
#ifdef FULCRUM_HAVE_KEYCHAIN
        QString why;
        if (!KeychainSecretStore().write(kind->keychainEntry(engine.url), token, &why)) {
            *error = tr("could not store the %1 of engine %2 in the keychain: %3; is a Secret Service (gnome-keyring, KWallet) running and unlocked?")
                         .arg(kind->secretName, engine.name, why);
            return false;
        }
        urlItem->setData(Qt::UserRole, QVariant());
#else
        *error = tr("this build has no keychain: the %1 of engine %2 cannot be stored; start with %3").arg(kind->secretName, engine.name, kind->secretEnvironment);
        return false;
#endif
    }
    QSettings settings;
    settings.setValue(QStringLiteral("engines/list"), engineLines);
    settings.setValue(QStringLiteral("redis/endpoints"), endpoints);
    settings.setValue(QStringLiteral("redis/patterns"), patterns);
    settings.setValue(QStringLiteral("weights/confirmPercent"), m_threshold->value());
    settings.setValue(QStringLiteral("weights/minCapacityPercent"), m_minCapacity->value());
    settings.setValue(QStringLiteral("ui/language"), m_language->currentData().toString());
    settings.sync();
    m_password->clear();
    m_engineToken->clear();
    return true;
}

void SettingsDialog::done(int result)
{
    if (result == QDialog::Accepted) {
        QString error;
        if (!save(&error)) {
            m_message->setText(error);
            return;
        }
    }
    QDialog::done(result);
}

} // namespace fulcrum::ui
