#include "common/statedir.h"
#include "engine/inprocessenginelink.h"
#include "engine/localredisserver.h"
#include "haproxy/haproxyenginelink.h"
#ifdef FULCRUM_HAVE_KEYCHAIN
#include "keychain/keychainsecretstore.h"
#endif
#include "mainwindow.h"
#include "reportpdf/historywithpdf.h"
#include "settingsdialog.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QDir>
#include <QLibraryInfo>
#include <QLocale>
#include <QTranslator>

#include <cstdio>

using namespace fulcrum;

int main(int argc, char *argv[])
{
    QApplication app(argc, argv);
    QApplication::setOrganizationName(QStringLiteral("fulcrum"));
    QApplication::setApplicationName(QStringLiteral("fulcrum"));
    QApplication::setApplicationDisplayName(QStringLiteral("Fulcrum"));
    QApplication::setApplicationVersion(QStringLiteral(FULCRUM_VERSION));

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Fulcrum console: live load, weights, servers, locks and events."));
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption demoOption(QStringLiteral("demo"), QStringLiteral("Run an in-process engine with demo backends, load and a local redis-server (the default)."));
    const QCommandLineOption langOption(QStringLiteral("lang"), QStringLiteral("Language: en or zh_CN (default: Settings, then the system's)."), QStringLiteral("LANG"));
    const QCommandLineOption screenshotOption(QStringLiteral("screenshot"), QStringLiteral("Save a PNG of every view into DIR after a minute of demo traffic, then exit."), QStringLiteral("DIR"));
    const QCommandLineOption afterOption(QStringLiteral("screenshot-after"), QStringLiteral("Snapshots to wait for before --screenshot (default 240, one minute at 4 Hz)."), QStringLiteral("N"), QStringLiteral("240"));
    const QCommandLineOption haproxyOption(QStringLiteral("haproxy"),
                                           QStringLiteral("Open the console over a running HAProxy through its Runtime API: the stats socket path "
                                                          "(/run/haproxy/admin.sock) or host:port. Changing weights and states needs `level admin`."),
                                           QStringLiteral("ADDRESS"));
    parser.addOptions({demoOption, langOption, screenshotOption, afterOption});
    parser.addOption(haproxyOption);
    parser.process(app);

    const QString language = parser.isSet(langOption) ? parser.value(langOption) : ui::SettingsDialog::language();
    if (!language.isEmpty() && language != QLatin1String("en") && language != QLatin1String("zh_CN")) {
        std::fprintf(stderr, "fulcrum: --lang %s is not a shipped language; use en or zh_CN\n", qPrintable(language));
        return 2;
    }
    QTranslator qtTranslator;
    QTranslator translator;
    const QLocale locale = language.isEmpty() ? QLocale::system() : QLocale(language);
    if (language != QLatin1String("en")) {
        if (qtTranslator.load(locale, QStringLiteral("qtbase"), QStringLiteral("_"), QLibraryInfo::path(QLibraryInfo::TranslationsPath)))
            QApplication::installTranslator(&qtTranslator);
        if (translator.load(locale, QStringLiteral("fulcrum"), QStringLiteral("_"), QStringLiteral(":/i18n")))
            QApplication::installTranslator(&translator);
    }
    if (parser.isSet(haproxyOption)) {
        QString error;
        const std::optional<RuntimeAddress> address = RuntimeAddress::parse(parser.value(haproxyOption), &error);
        if (!address) {
            std::fprintf(stderr, "fulcrum: --haproxy: %s\n", qPrintable(error));
            return 2;
        }
        HaproxyEngineLink haproxy(*address);
        ui::MainWindow window(&haproxy);
        window.show();
        return app.exec();
    }
    if (!ui::SettingsDialog::engineAddress().isEmpty() && !parser.isSet(demoOption))
        std::fprintf(stderr, "fulcrum: attaching to a remote engine (%s) comes with the admin API; starting the in-process demo engine instead\n",
                     qPrintable(ui::SettingsDialog::engineAddress()));

    // Demo mode's own Redis, for the locks view; stopped when main returns.
    InProcessOptions options = InProcessOptions::demo();
    // The demo engine keeps history for File → Export report…, apart from a fulcrumd's.
    options.history = historyWithPdf(QDir(defaultStateDir()).filePath(QStringLiteral("console-demo")));
    LocalRedisServer redis;
    QString redisError;
    if (redis.start(&redisError)) {
        InProcessRedis endpoint;
        endpoint.config.port = redis.port();
        endpoint.demoLocks = true;
        options.redis.append(endpoint);
    } else {
        std::fprintf(stderr, "fulcrum: %s\n", qPrintable(redisError));
    }
    // Endpoints saved in Settings; their passwords come from the keychain (before the event
    // loop runs, so its short nested wait for D-Bus blocks nothing).
    for (const QString &endpoint : ui::SettingsDialog::redisEndpoints()) {
        const qsizetype colon = endpoint.lastIndexOf(u':');
        InProcessRedis redis;
        redis.config.host = endpoint.left(colon);
        redis.config.port = quint16(endpoint.mid(colon + 1).toUInt());
        redis.config.lockPatterns = ui::SettingsDialog::redisPatterns();
#ifdef FULCRUM_HAVE_KEYCHAIN
        QString keychainError;
        redis.password = KeychainSecretStore().read(ui::SettingsDialog::keychainEntry(endpoint), &keychainError).value_or(QByteArray());
#endif
        options.redis.append(redis);
    }
    InProcessEngineLink link(options);
    ui::MainWindow window(&link);
    window.show();

    if (parser.isSet(screenshotOption)) {
        const QString dir = parser.value(screenshotOption);
        const int after = std::max(1, parser.value(afterOption).toInt());
        auto seen = std::make_shared<int>(0);
        QObject::connect(&link, &EngineLink::snapshotReady, &window, [&window, dir, after, seen] {
            if (++*seen != after)
                return;
            QString error;
            if (!window.saveScreenshots(dir, &error)) {
                std::fprintf(stderr, "fulcrum: %s\n", qPrintable(error));
                QApplication::exit(1);
                return;
            }
            QApplication::quit();
        });
    }
    return app.exec();
}
