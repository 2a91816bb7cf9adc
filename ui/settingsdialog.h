#pragma once

#include <QDialog>
#include <QPointer>

namespace fulcrum {
class EngineLink;
}

QT_BEGIN_NAMESPACE
class QComboBox;
class QPushButton;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QSpinBox;
class QTableWidget;
QT_END_NAMESPACE

namespace fulcrum::ui {

// One engine the console attaches to: its name, its kind (an EngineKinds id: fulcrumd,
// haproxy, httpd, ...) and its address as that kind writes it. Its secret (a fulcrumd's token,
// a manager's password) lives in the keychain, never here.
struct EngineSetting
{
    QString name;
    QString url;                  // the address, normalized by its kind
    QString kind = QStringLiteral("fulcrumd");

    bool operator==(const EngineSetting &other) const = default;
};

// Engines (name, admin URL), Redis endpoints and key patterns, the confirmation threshold and
// the language, in QSettings. The Redis password goes to the desktop keychain (QtKeychain via
// fulcrum_keychain) under "redis:<endpoint>", an engine's token under "fulcrumd:<url>" (the
// entry fulcrumctl --engine reads too), never into QSettings.
class SettingsDialog : public QDialog
{
    Q_OBJECT
public:
    // The link runs "test connection" from the engine's side; without one the button is off.
    explicit SettingsDialog(EngineLink *link, QWidget *parent = nullptr);

    // The engines to attach to when started without --demo, --engine and --haproxy.
    static QList<EngineSetting> engines();
    // Settings → Locks: one address per line (host:port, redis://…, zookeeper://…, etcd://…), kept under
    // the "redis/endpoints" key the Redis-only console used, so saved settings carry over.
    static QStringList lockEndpoints();
    static QStringList redisPatterns();
    static double confirmThreshold();      // 0..1
    // Actions that would leave a pool below this share (0..1) of its capacity ask first.
    static double minCapacityShare();
    static QString language();             // "" = system, "en", "zh_CN"
    static QString keychainEntry(const QString &endpoint) { return QStringLiteral("redis:") + endpoint; }

    QLineEdit *passwordField() const { return m_password; }
    QPlainTextEdit *endpointsField() const { return m_endpoints; }
    QPushButton *testButton() const { return m_test; }
    QTableWidget *enginesTable() const { return m_engines; }
    QLineEdit *engineTokenField() const { return m_engineToken; }
    QPushButton *testEngineButton() const { return m_testEngine; }
    QPushButton *trustEngineButton() const { return m_trustEngine; }
    // Adds a row to the engines table (what the Add button does, with the values typed).
    void addEngineRow(const QString &name, const QString &url, const QString &kind = QStringLiteral("fulcrumd"));
    QString message() const;
    // Tests the first Redis endpoint in the form, with the password typed or else the one
    // in the keychain; the answer shows under the form.
    void testConnection();
    // Probes the selected engine (else the first) the way its kind does (a fulcrumd: GET
    // /api/v1/pools; a HAProxy: `show info`; an httpd: its manager), with the secret typed
    // for it, or else the one in the keychain. The answer shows under the form.
    void testEngine();
    // Trust on first use: shows the certificate of the selected https engine and, when the
    // operator says its fingerprint is the one on the engine's host, pins it in the address.
    void trustEngineCertificate();
    // Saves everything; false with a message naming the field and the fix when it cannot.
    bool save(QString *error);

protected:
    void done(int result) override;

private:
    bool parseEndpoints(QStringList *endpoints, QString *error) const;
    bool parseEngines(QList<EngineSetting> *engines, QString *error) const;
    QWidget *createEngines();
    QString rowKind(int row) const;
    void updateTokenField();

    QPointer<EngineLink> m_link;
    quint64 m_testCommand = 0;
    QPushButton *m_test = nullptr;
    QTableWidget *m_engines = nullptr;
    QLineEdit *m_engineToken = nullptr;
    QPushButton *m_testEngine = nullptr;
    QPushButton *m_trustEngine = nullptr;  // shown when a test found a certificate nothing trusts
    int m_engineProbe = 0;        // answers of older probes are dropped
    QPlainTextEdit *m_endpoints = nullptr;
    QLineEdit *m_patterns = nullptr;
    QLineEdit *m_password = nullptr;
    QSpinBox *m_threshold = nullptr;
    QSpinBox *m_minCapacity = nullptr;
    QComboBox *m_language = nullptr;
    QLabel *m_message = nullptr;
};

} // namespace fulcrum::ui
