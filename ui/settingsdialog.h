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
QT_END_NAMESPACE

namespace fulcrum::ui {

// Engine address, Redis endpoints and key patterns, the confirmation threshold and the
// language, in QSettings. The Redis password goes to the desktop keychain (QtKeychain via
// fulcrum_keychain) under "redis:<endpoint>", never into QSettings.
class SettingsDialog : public QDialog
{
    Q_OBJECT
public:
    // The link runs "test connection" from the engine's side; without one the button is off.
    explicit SettingsDialog(EngineLink *link, QWidget *parent = nullptr);

    static QString engineAddress();
    static QStringList redisEndpoints();
    static QStringList redisPatterns();
    static double confirmThreshold();      // 0..1
    static QString language();             // "" = system, "en", "zh_CN"
    static QString keychainEntry(const QString &endpoint) { return QStringLiteral("redis:") + endpoint; }

    QLineEdit *passwordField() const { return m_password; }
    QPlainTextEdit *endpointsField() const { return m_endpoints; }
    QPushButton *testButton() const { return m_test; }
    QString message() const;
    // Tests the first Redis endpoint in the form, with the password typed or else the one
    // in the keychain; the answer shows under the form.
    void testConnection();
    // Saves everything; false with a message naming the field and the fix when it cannot.
    bool save(QString *error);

protected:
    void done(int result) override;

private:
    bool parseEndpoints(QStringList *endpoints, QString *error) const;

    QPointer<EngineLink> m_link;
    quint64 m_testCommand = 0;
    QPushButton *m_test = nullptr;
    QLineEdit *m_engine = nullptr;
    QPlainTextEdit *m_endpoints = nullptr;
    QLineEdit *m_patterns = nullptr;
    QLineEdit *m_password = nullptr;
    QSpinBox *m_threshold = nullptr;
    QComboBox *m_language = nullptr;
    QLabel *m_message = nullptr;
};

} // namespace fulcrum::ui
