#pragma once

#include "engine/enginekind.h"
#include "settingsdialog.h"

#include <QHash>
#include <QObject>
#include <QPointer>

namespace fulcrum {
class EngineLink;
class MultiEngineLink;
class SecretStore;
}

namespace fulcrum::ui {

// Keeps one MultiEngineLink in step with the engines saved in Settings → Engines while the
// console runs: Save adds the new engines, removes the ones no longer listed and replaces the
// ones whose address, kind or stored token changed.
class SavedEngines : public QObject
{
    Q_OBJECT
public:
    // keychain may be null (a build without one): fulcrumd engines then start without a token
    // and the status bar shows the engine's refusal. tokenFile (--token-file) goes first.
    SavedEngines(MultiEngineLink *link, SecretStore *keychain, const QString &tokenFile = QString(), QObject *parent = nullptr);

    // What engines that run inside the console are lent (state folder, history, the saved Redis
    // endpoints); the engines opened from then on get it.
    void setContext(const EngineContext &context) { m_context = context; }

    // One line for the status bar saying what changed ("" when nothing did); an engine that
    // cannot be opened is named in it with the reason and left out.
    QString apply(const QList<EngineSetting> &engines);

    // A link for one saved engine; null with *error when its address does not parse. A
    // fulcrumd's token comes from tokenFile, FULCRUM_TOKEN or the keychain; without one the
    // link still starts, *error says so and the engine's 401 shows in the status bar.
    static EngineLink *createLink(const EngineSetting &engine, const QByteArray &token, QString *error,
                                  const EngineContext &context = {});

private:
    QByteArray tokenOf(const EngineSetting &engine, QString *error) const;

    QPointer<MultiEngineLink> m_link;
    SecretStore *m_keychain;
    QString m_tokenFile;
    EngineContext m_context;
    QHash<QString, EngineSetting> m_applied;
    QHash<QString, QByteArray> m_tokens;      // what each fulcrumd link was opened with
};

} // namespace fulcrum::ui
