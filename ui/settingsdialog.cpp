#include "settingsdialog.h"

#include "engine/enginelink.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSettings>
#include <QSpinBox>
#include <QVBoxLayout>

#ifdef FULCRUM_HAVE_KEYCHAIN
#include "keychain/keychainsecretstore.h"
#endif

namespace fulcrum::ui {

SettingsDialog::SettingsDialog(EngineLink *link, QWidget *parent)
    : QDialog(parent), m_link(link)
{
    setObjectName(QStringLiteral("settingsDialog"));
    setWindowTitle(tr("Settings"));
    auto *layout = new QVBoxLayout(this);
    auto *form = new QFormLayout;
    m_engine = new QLineEdit(engineAddress(), this);
    m_engine->setPlaceholderText(tr("empty: the in-process engine; or host:port of a fulcrumd admin API"));
    form->addRow(tr("&Engine address:"), m_engine);
    m_endpoints = new QPlainTextEdit(redisEndpoints().join(u'\n'), this);
    m_endpoints->setPlaceholderText(tr("one per line: 127.0.0.1:6379"));
    m_endpoints->setMaximumHeight(90);
    form->addRow(tr("&Redis endpoints:"), m_endpoints);
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

QString SettingsDialog::engineAddress()
{
    return QSettings().value(QStringLiteral("engine/address")).toString();
}

QStringList SettingsDialog::redisEndpoints()
{
    return QSettings().value(QStringLiteral("redis/endpoints")).toStringList();
}

QStringList SettingsDialog::redisPatterns()
{
    return QSettings().value(QStringLiteral("redis/patterns"), QStringList{QStringLiteral("lock:*"), QStringLiteral("*:lock:*")}).toStringList();
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
        const qsizetype colon = endpoint.lastIndexOf(u':');
        bool ok = false;
        const int port = colon > 0 ? endpoint.mid(colon + 1).toInt(&ok) : 0;
        if (!ok || port < 1 || port > 65535) {
            *error = tr("Redis endpoint \"%1\" is not host:port; write it like 127.0.0.1:6379").arg(endpoint);
            return false;
        }
        endpoints->append(endpoint);
    }
    return true;
}

void SettingsDialog::testConnection()
{
    QStringList endpoints;
    QString error;
    if (!parseEndpoints(&endpoints, &error) || endpoints.isEmpty()) {
        m_message->setText(error.isEmpty() ? tr("Add a Redis endpoint (host:port) to test.") : error);
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
    const qsizetype colon = endpoint.lastIndexOf(u':');
    m_testCommand = m_link->testRedis(endpoint.left(colon), quint16(endpoint.mid(colon + 1).toUInt()), password);
    m_test->setEnabled(false);
    m_message->setText(tr("Testing %1…").arg(endpoint));
}

bool SettingsDialog::save(QString *error)
{
    QStringList endpoints;
    if (!parseEndpoints(&endpoints, error))
        return false;
    QStringList patterns;
    for (const QString &pattern : m_patterns->text().split(u',', Qt::SkipEmptyParts))
        patterns.append(pattern.trimmed());
    if (!m_password->text().isEmpty()) {
        if (endpoints.isEmpty()) {
            *error = tr("a Redis password needs an endpoint to belong to; add the endpoint first");
            return false;
        }
#ifdef FULCRUM_HAVE_KEYCHAIN
        KeychainSecretStore keychain;
        for (const QString &endpoint : endpoints) {
            QString why;
            if (!keychain.write(keychainEntry(endpoint), m_password->text().toUtf8(), &why)) {
                *error = tr("could not store the Redis password in the keychain: %1; is a Secret Service (gnome-keyring, KWallet) running and unlocked?").arg(why);
                return false;
            }
        }
#endif
    }
    QSettings settings;
    settings.setValue(QStringLiteral("engine/address"), m_engine->text().trimmed());
    settings.setValue(QStringLiteral("redis/endpoints"), endpoints);
    settings.setValue(QStringLiteral("redis/patterns"), patterns);
    settings.setValue(QStringLiteral("weights/confirmPercent"), m_threshold->value());
    settings.setValue(QStringLiteral("ui/language"), m_language->currentData().toString());
    settings.sync();
    m_password->clear();
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
