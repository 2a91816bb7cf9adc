#include "locks/lockbackends.h"
#include "common/statedir.h"
#include "common/unixsignals.h"
#include "engine/multienginelink.h"
#include "link/enginekinds.h"
#ifdef FULCRUM_HAVE_KEYCHAIN
#include "keychain/keychainsecretstore.h"
#endif
#include "mainwindow.h"
#include "savedengines.h"
#include "reportpdf/historywithpdf.h"
#include "settingsdialog.h"
#include "theme.h"
#include "translations.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QLocale>
#include <QTimer>

#include <cerrno>
#include <cstdio>
#include <memory>
#include <vector>

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace fulcrum;

static QString kindIds()
{
    QStringList ids;
    for (const EngineKind &kind : EngineKinds::all())
        ids.append(kind.id);
    return ids.join(QStringLiteral(", "));
}

static int runConsole(QApplication &app, EngineLink *link, const QCommandLineParser &parser, const QCommandLineOption &screenshotOption,
                      const QCommandLineOption &afterOption, ui::SavedEngines *savedEngines = nullptr)
{
    ui::MainWindow window(link);
    window.followSavedEngines(savedEngines);
    window.show();

    if (parser.isSet(screenshotOption)) {
        const QString dir = parser.value(screenshotOption);
        const int after = std::max(1, parser.value(afterOption).toInt());
        auto seen = std::make_shared<int>(0);
        auto save = [&window, dir] {
            QString error;
            if (!window.saveScreenshots(dir, &error)) {
                std::fprintf(stderr, "fulcrum: %s\n", qPrintable(error));
                QApplication::exit(1);
                return;
            }
            QApplication::quit();
        };
        QObject::connect(link, &EngineLink::snapshotReady, &window, [save, after, seen] {
            if (++*seen == after)
                save();
        });
        // An engine that never answers (down, a wrong address) sends no snapshot: the views
        // are saved as they show that, after as long as the snapshots would have taken and 5 s.
        QTimer::singleShot(after * 250 + 5000, &window, [save, seen] {
            if (*seen == 0)
                save();
        });
    }
    return app.exec();
}

// The console's options, for the console and for --help/--version (which need no display).
struct ConsoleOptions
{
    QCommandLineOption demo{QStringLiteral("demo"), QStringLiteral("Run an in-process engine with demo backends, load and a local redis-server (the default).")};
    QCommandLineOption config{QStringLiteral("config"),
                              QStringLiteral("Run the engine inside the console on this fulcrumd config (validated first; its listeners, pools and lock "
                                             "endpoints; its state_dir, else ~/.local/state/fulcrum/console-NAME, keeps the audit log, weights, states "
                                             "and history). The same as --engine NAME=embedded:FILE."),
                              QStringLiteral("FILE")};
    QCommandLineOption lang{QStringLiteral("lang"), QStringLiteral("Language: en or zh_CN (default: Settings, then the system's)."), QStringLiteral("LANG")};
    QCommandLineOption screenshot{QStringLiteral("screenshot"), QStringLiteral("Save a PNG of every view into DIR after a minute of demo traffic, then exit."),
                                  QStringLiteral("DIR")};
    QCommandLineOption after{QStringLiteral("screenshot-after"), QStringLiteral("Snapshots to wait for before --screenshot (default 240, one minute at 4 Hz)."),
                             QStringLiteral("N"), QStringLiteral("240")};
    QCommandLineOption haproxy{QStringLiteral("haproxy"),
                               QStringLiteral("Open the console over a running HAProxy through its Runtime API: the stats socket path "
                                              "(/run/haproxy/admin.sock) or host:port. Changing weights and states needs `level admin`. "
                                              "With --engine too, shown side by side as \"haproxy\"."),
                               QStringLiteral("ADDRESS")};
    QCommandLineOption engine{QStringLiteral("engine"),
                              QStringLiteral("Attach to a running engine: NAME=KIND:ADDRESS, or NAME=URL for a fulcrumd's admin API "
                                             "(repeat for several, shown side by side; default: the engines in Settings). "
                                             "Kinds: %1. A secret (a fulcrumd's token, a manager's password): --token-file, "
                                             "the kind's environment variable (FULCRUM_TOKEN, ...), or the keychain.")
                                  .arg(kindIds()),
                              QStringLiteral("NAME=KIND:ADDRESS")};
    QCommandLineOption tokenFile{QStringLiteral("token-file"), QStringLiteral("Read the engines' admin token from this file (mode 0600); for scripts."),
                                 QStringLiteral("PATH")};
    QCommandLineOption httpd{QStringLiteral("httpd"),
                             QStringLiteral("Open the console over a running Apache httpd through its balancer-manager: "
                                            "http://HOST:PORT/balancer-manager. A protected manager: --httpd-user, and the "
                                            "password in FULCRUM_HTTPD_PASSWORD or the keychain entry httpd:URL. "
                                            "With --engine or --haproxy too, shown side by side as \"httpd\"."),
                             QStringLiteral("URL")};
    QCommandLineOption httpdUser{QStringLiteral("httpd-user"), QStringLiteral("The balancer-manager's Basic auth user."), QStringLiteral("USER")};

    void addTo(QCommandLineParser &parser) const
    {
        parser.setApplicationDescription(QStringLiteral("Fulcrum console: live load, weights, servers, locks and events."));
        parser.addHelpOption();
        parser.addVersionOption();
        parser.addOptions({demo, config, lang, screenshot, after, engine, tokenFile, haproxy, httpd, httpdUser});
    }
};

static void nameTheApplication()
{
    QCoreApplication::setOrganizationName(QStringLiteral("fulcrum"));
    QCoreApplication::setApplicationName(QStringLiteral("fulcrum"));
    QCoreApplication::setApplicationVersion(QStringLiteral(FULCRUM_VERSION));
}

static bool hasDisplay()
{
    return !qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM") || !qEnvironmentVariableIsEmpty("DISPLAY") || !qEnvironmentVariableIsEmpty("WAYLAND_DISPLAY");
}

// --help-all lists Qt's window-system options too, which only a QApplication knows: with a
// display it is answered there.
static bool asksForHelpOrVersion(int argc, char *argv[])
{
    for (int i = 1; i < argc; ++i) {
        const QByteArrayView arg(argv[i]);
        if (arg == "-h" || arg == "-?" || arg == "--help" || arg == "-v" || arg == "--version" || (arg == "--help-all" && !hasDisplay()))
            return true;
    }
    return false;
}

static const char kNoDisplayHelp[] =
    "  Over ssh: ssh -X (or -Y) to bring the window home, or run the console on your own desktop and\n"
    "  attach it from there: fulcrum --engine NAME=https://HOST:9900.\n"
    "  Without any display: fulcrumctl report --engine URL -o report.pdf writes a health report;\n"
    "  fulcrumctl backends, locks and events answer in the terminal; QT_QPA_PLATFORM=offscreen runs\n"
    "  the console with no window at all (for --screenshot).\n";

// Run as root, over `sudo` or `ssh -X`, the session has no XDG_RUNTIME_DIR and Qt says so on
// stderr at every start, then uses /tmp/runtime-USER. The console makes that folder itself
// (0700, this user's) and sets XDG_RUNTIME_DIR to it, so an operator is not sent looking for a problem; a folder
// it cannot make or that is not this user's alone is left to Qt, whose warning then matters.
static void provideRuntimeDir()
{
    if (qEnvironmentVariableIsSet("XDG_RUNTIME_DIR"))
        return;
    const passwd *user = ::getpwuid(::geteuid());
    const QByteArray dir = QFile::encodeName(QDir::tempPath()) + "/runtime-" + (user ? QByteArray(user->pw_name) : QByteArray::number(::geteuid()));
    if (::mkdir(dir.constData(), 0700) != 0 && errno != EEXIST)
        return;
    struct stat st;
    if (::lstat(dir.constData(), &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != ::geteuid() || (st.st_mode & 0777) != 0700)
        return;
    qputenv("XDG_RUNTIME_DIR", dir);
}

// Qt ends a program whose window system cannot be opened with qFatal (an abort and a core file,
// after advice to reinstall): while the console starts, say what is wrong and what to do instead.
static QtMessageHandler g_qtMessages = nullptr;
static void startupMessages(QtMsgType type, const QMessageLogContext &context, const QString &message)
{
    if (type == QtFatalMsg && message.contains(QLatin1String("platform plugin"))) {
        const QByteArray display = qgetenv("WAYLAND_DISPLAY").isEmpty() ? qgetenv("DISPLAY") : qgetenv("WAYLAND_DISPLAY");
        std::fprintf(stderr, "fulcrum: cannot open a window on display \"%s\": is its X or Wayland server running, and may this user use it "
                             "(xauth, XAUTHORITY)?\n%s", display.constData(), kNoDisplayHelp);
        std::fflush(stderr);
        std::_Exit(1);
    }
    g_qtMessages(type, context, message);
}

int main(int argc, char *argv[])
{
    const ConsoleOptions options;
    if (asksForHelpOrVersion(argc, argv)) {
        // Answered without opening a window: also over ssh, with no display.
        QCoreApplication core(argc, argv);
        nameTheApplication();
        QCommandLineParser parser;
        options.addTo(parser);
        parser.process(core);
        return 0;
    }
    if (!hasDisplay()) {
        std::fprintf(stderr, "fulcrum: no display to open the console on (DISPLAY and WAYLAND_DISPLAY are not set).\n%s", kNoDisplayHelp);
        return 1;
    }
    provideRuntimeDir();
    g_qtMessages = qInstallMessageHandler(startupMessages);
    QApplication app(argc, argv);
    qInstallMessageHandler(g_qtMessages);
    nameTheApplication();
    QApplication::setApplicationDisplayName(QStringLiteral("Fulcrum"));

    QCommandLineParser parser;
    options.addTo(parser);
    parser.process(app);
    const QCommandLineOption &demoOption = options.demo, &configOption = options.config, &langOption = options.lang,
                             &screenshotOption = options.screenshot, &afterOption = options.after, &haproxyOption = options.haproxy,
                             &engineOption = options.engine, &tokenFileOption = options.tokenFile, &httpdOption = options.httpd,
                             &httpdUserOption = options.httpdUser;
    // SIGTERM, SIGINT and SIGHUP (a logout, `kill`, a closed terminal) end the console as Quit
    // does, so the demo's redis-server stops and its folder goes; the kernel ends the children
    // of a console that is killed outright (see LocalRedisServer).
    UnixSignals signals;
    QObject::connect(&signals, &UnixSignals::terminateRequested, &app, [] { QCoreApplication::exit(0); });
    QObject::connect(&signals, &UnixSignals::reloadRequested, &app, [] { QCoreApplication::exit(0); });

    const QString language = parser.isSet(langOption) ? parser.value(langOption) : ui::SettingsDialog::language();
    if (!language.isEmpty() && language != QLatin1String("en") && language != QLatin1String("zh_CN")) {
        std::fprintf(stderr, "fulcrum: --lang %s is not a shipped language; use en or zh_CN\n", qPrintable(language));
        return 2;
    }
    const QLocale locale = language.isEmpty() ? QLocale::system() : QLocale(language);
    if (language != QLatin1String("en")) {
        // Without Qt's own file the standard buttons stay English: say which package has it.
        for (const QString &missing : ui::installTranslations(locale, &app)) {
            if (missing.contains(u"qtbase") && locale.language() == QLocale::Chinese)
                std::fprintf(stderr, "fulcrum: %s not found: standard buttons stay in English (package qt6-translations-l10n)\n", qPrintable(missing));
        }
    }
    // View → Theme as last chosen (light or dark whatever the desktop says; system by default).
    if (const ui::Theme theme = ui::savedTheme(); theme != ui::Theme::System)
        ui::applyTheme(theme);
    // Engines to attach to: --haproxy, --httpd and every --engine, else the engines in Settings;
    // with none (or --demo) the embedded demo. Several are shown side by side, each under its name.
    // Every engine as KIND:ADDRESS (the registry reads it); --haproxy and --httpd are the same
    // as --engine haproxy=haproxy:ADDRESS and --engine httpd=httpd:URL.
    QStringList spelledEngines;
    if (parser.isSet(configOption)) {
        if (parser.isSet(demoOption)) {
            std::fprintf(stderr, "fulcrum: --config runs your config, --demo the demo's; give one of them\n");
            return 2;
        }
        const QString file = parser.value(configOption);
        QString error;
        if (!EngineKinds::find(QStringLiteral("embedded"))->normalize(file, &error)) {
            std::fprintf(stderr, "fulcrum: --config %s: %s\n", qPrintable(file), qPrintable(error));
            return 2;
        }
        spelledEngines.append(QStringLiteral("%1=embedded:%2").arg(QFileInfo(file).completeBaseName(), file));
    }
    if (parser.isSet(haproxyOption))
        spelledEngines.append(QStringLiteral("haproxy=haproxy:") + parser.value(haproxyOption));
    if (parser.isSet(httpdOption)) {
        QString manager = parser.value(httpdOption);
        if (parser.isSet(httpdUserOption)) {
            QUrl url(manager.contains(QLatin1String("://")) ? manager : QStringLiteral("http://") + manager);
            url.setUserName(parser.value(httpdUserOption));
            manager = url.toString();
        }
        spelledEngines.append(QStringLiteral("httpd=httpd:") + manager);
    }
    spelledEngines += parser.values(engineOption);
    QList<ui::EngineSetting> engines;
    for (const QString &value : std::as_const(spelledEngines)) {
        // NAME=KIND:ADDRESS; the name may be left out (NAME= is not a kind, and a URL has no '=' before its scheme).
        const qsizetype equals = value.indexOf(u'=');
        const qsizetype colon = value.indexOf(u':');
        const bool named = equals > 0 && (colon < 0 || equals < colon);
        QString error;
        const std::optional<EngineKinds::Spelled> spelled = EngineKinds::parse(named ? value.mid(equals + 1) : value, &error);
        if (!spelled) {
            // The name only: what was typed may hold a secret, which the kind's message leaves out.
            std::fprintf(stderr, "fulcrum: --engine %s: %s\n", qPrintable(named ? value.left(equals) : QStringLiteral("(unnamed)")), qPrintable(error));
            return 2;
        }
        engines.append(ui::EngineSetting{named ? value.left(equals) : QString(), spelled->address, spelled->kind->id});
    }
#ifdef FULCRUM_HAVE_KEYCHAIN
    KeychainSecretStore keychain;
    SecretStore *store = &keychain;
#else
    SecretStore *store = nullptr;
#endif
    // What an engine that runs inside the console is lent: its state folder, history with PDF
    // for File → Export report…, and the Redis endpoints saved in Settings (their passwords read
    // from the keychain now, before the event loop runs, so QtKeychain's short nested wait for
    // D-Bus blocks nothing).
    EngineContext context;
    context.stateDir = defaultStateDir();
    context.keychain = store;
    context.history = [](const QString &stateDir) { return historyWithPdf(stateDir); };
    for (const QString &endpoint : ui::SettingsDialog::lockEndpoints()) {
        InProcessLockEndpoint lock;
        QString parseError;
        if (!parseLockEndpointAddress(endpoint, &lock.config, &parseError)) {
            qWarning("fulcrum: Settings → Locks: %s", qPrintable(parseError));
            continue;
        }
        lock.config.redis.lockPatterns = ui::SettingsDialog::redisPatterns();
        if (store) {
            QString keychainError;
            lock.password = store->read(ui::SettingsDialog::keychainEntry(endpoint), &keychainError).value_or(QByteArray());
        }
        context.lockEndpoints.append(lock);
    }
    // Without --demo, --engine, --haproxy and --httpd: the engines saved in Settings, always as
    // one composite so that Settings can add and remove them live; with none saved either (or
    // with --demo), the registry's built-in engine, the embedded demo.
    const QList<ui::EngineSetting> saved = ui::SettingsDialog::engines();
    if (engines.isEmpty() && !parser.isSet(demoOption) && !saved.isEmpty()) {
        MultiEngineLink multi;
        ui::SavedEngines savedEngines(&multi, store, parser.value(tokenFileOption));
        savedEngines.setContext(context);
        // Read before the event loop runs (QtKeychain's short nested wait blocks nothing then).
        const QString opened = savedEngines.apply(saved);
        if (!opened.isEmpty())
            std::fprintf(stderr, "fulcrum: %s\n", qPrintable(opened));
        return runConsole(app, &multi, parser, screenshotOption, afterOption, &savedEngines);
    }
    if (engines.isEmpty() || parser.isSet(demoOption)) {
        const EngineKinds::Spelled builtIn = EngineKinds::builtIn();
        engines = {ui::EngineSetting{QString(), builtIn.address, builtIn.kind->id}};
    }
    std::vector<std::pair<QString, EngineLink *>> links;   // owned by `link` below
    for (const ui::EngineSetting &engine : std::as_const(engines)) {
        const EngineKind &kind = *EngineKinds::find(engine.kind);
        // Read before the event loop runs (QtKeychain's short nested wait blocks nothing then).
        // Without its secret the link still starts: the status bar says the engine refused it.
        QString error;
        const QByteArray secret = EngineKinds::readSecret(kind, engine.url, parser.value(tokenFileOption), store, &error).value_or(QByteArray());
        if (secret.isEmpty() && kind.needsSecret(engine.url))
            std::fprintf(stderr, "fulcrum: %s\n", qPrintable(error));
        const QUrl url(engine.url);
        const QString name = !engine.name.isEmpty() ? engine.name
                             : url.host().isEmpty() ? kind.id : QStringLiteral("%1:%2").arg(url.host()).arg(url.port(9900));
        EngineLink *made = kind.create(name, engine.url, secret, context);
        if (!made) {
            std::fprintf(stderr, "fulcrum: engine %s (%s) could not be opened\n", qPrintable(name), qPrintable(kind.label));
            for (auto &[ignored, other] : links)
                delete other;
            return 2;
        }
        links.emplace_back(name, made);
    }
    std::unique_ptr<EngineLink> link;
    if (links.size() == 1) {
        link.reset(links.front().second);
    } else {
        auto multi = std::make_unique<MultiEngineLink>();
        for (size_t i = 0; i < links.size(); ++i) {
            if (!multi->addEngine(links[i].first, links[i].second)) {
                std::fprintf(stderr, "fulcrum: engine name \"%s\" is used twice or has a '/'; give each --engine a unique NAME=URL\n",
                             qPrintable(links[i].first));
                for (size_t j = i; j < links.size(); ++j)
                    delete links[j].second;
                return 2;
            }
        }
        link = std::move(multi);
    }
    return runConsole(app, link.get(), parser, screenshotOption, afterOption);
}
