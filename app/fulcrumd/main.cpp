#include "common/unixsignals.h"

#include "admin/adminserver.h"
#include "admin/admintoken.h"
#include "balancer/picker.h"
#include "common/statedir.h"
#include "config/configparser.h"
#include "engine/demoenvironment.h"
#include "engine/engine.h"
#include "history/historyservice.h"
#include "proxy/loadgenerator.h"

#ifdef FULCRUM_HAVE_KEYCHAIN
#include "keychain/keychainsecretstore.h"
#endif

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDir>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTimer>

#include <cstdio>
#include <memory>

using namespace fulcrum;

static void printErr(const QString &text)
{
    std::fputs(qPrintable(text + u'\n'), stderr);
    std::fflush(stderr);
}

// --listen/--backend/--algorithm as a config, read by the same parser as a file, so the
// quick start gets the same checks and the same error messages.
static ConfigResult quickStartConfig(const QString &listen, const QStringList &backends, const QString &algorithm, int workers)
{
    QJsonArray servers;
    for (const QString &b : backends) {
        const qsizetype eq = b.lastIndexOf(u'=');
        QJsonObject server{{QStringLiteral("address"), eq < 0 ? b : b.left(eq)}};
        if (eq >= 0) {
            bool ok = false;
            const int weight = b.mid(eq + 1).toInt(&ok);
            server.insert(QStringLiteral("weight"), ok ? QJsonValue(weight) : QJsonValue(b.mid(eq + 1)));
        }
        servers.append(server);
    }
    QJsonObject pool{{QStringLiteral("name"), QStringLiteral("default")}, {QStringLiteral("servers"), servers}};
    if (!algorithm.isEmpty())
        pool.insert(QStringLiteral("algorithm"), algorithm);
    pool.insert(QStringLiteral("health_check"), QJsonObject{{QStringLiteral("enabled"), false}});
    QJsonObject root{
        {QStringLiteral("listeners"), QJsonArray{QJsonObject{{QStringLiteral("listen"), listen}, {QStringLiteral("pool"), QStringLiteral("default")}}}},
        {QStringLiteral("pools"), QJsonArray{pool}},
    };
    if (workers > 0)
        root.insert(QStringLiteral("proxy"), QJsonObject{{QStringLiteral("workers"), workers}});
    return parseConfig(QJsonDocument(root).toJson(QJsonDocument::Indented), QStringLiteral("command line"));
}

// The admin API of a service: tokens from (or created in) the state dir, then bind.
static bool startAdmin(AdminServer &admin, const Config &config)
{
    const QDir stateDir(config.stateDir);
    const QString tokenFile = config.admin.tokenFile.isEmpty() ? stateDir.filePath(QStringLiteral("admin.token")) : config.admin.tokenFile;
    const QString readOnlyFile = config.admin.readOnlyTokenFile.isEmpty() ? stateDir.filePath(QStringLiteral("admin-readonly.token")) : config.admin.readOnlyTokenFile;
    QString error;
    const auto token = loadOrCreateToken(tokenFile, &error);
    const auto readOnly = token ? loadOrCreateToken(readOnlyFile, &error) : std::nullopt;
    if (!token || !readOnly || !admin.listen(config.admin, *token, *readOnly, &error)) {
        printErr(QStringLiteral("fulcrumd: cannot start the admin API: %1").arg(error));
        return false;
    }
    printErr(QStringLiteral("fulcrumd: admin API on http://%1:%2/ (token in %3, read-only token in %4)").arg(config.admin.host).arg(admin.port()).arg(tokenFile, readOnlyFile));
    return true;
}

static void printEvents(Engine &engine, QObject *context)
{
    QObject::connect(&engine, &Engine::eventOccurred, context, [](const EngineEvent &event) {
        printErr(QStringLiteral("fulcrumd: %1 [%2] %3").arg(EngineEvent::severityName(event.severity), event.source, event.text));
    });
}

// One line per server every few seconds, so a headless demo shows the live figures too.
static void printSnapshot(const EngineSnapshot &snapshot)
{
    for (const PoolView &pool : snapshot.pools) {
        QStringList parts;
        for (const ServerSnapshot &s : pool.servers)
            parts.append(QStringLiteral("%1 w%2 %3 req/s p50 %4 ms p99 %5 ms").arg(s.spec.name).arg(s.spec.weight)
                             .arg(s.stats.requestsPerSecond, 0, 'f', 1).arg(s.stats.p50Ms, 0, 'f', 1).arg(s.stats.p99Ms, 0, 'f', 1));
        std::printf("%s: %s\n", qPrintable(pool.name), qPrintable(parts.join(QStringLiteral(" | "))));
    }
    std::fflush(stdout);
}

static int runDemo(QCoreApplication &app, const QString &listen, int workers, double rate, const QString &stateDir)
{
    const qsizetype colon = listen.lastIndexOf(u':');
    bool ok = false;
    const int port = colon < 0 ? -1 : listen.mid(colon + 1).toInt(&ok);
    if (!ok || port < 0 || port > 65535 || listen.left(colon) != u"127.0.0.1") {
        printErr(QStringLiteral("fulcrumd: --demo serves on loopback only; --listen \"%1\" must be 127.0.0.1:PORT").arg(listen));
        return 2;
    }
    Engine engine;
    DemoEnvironment demo;
    Config config;
    config.proxy.workers = workers > 0 ? workers : 2;
    config.stateDir = stateDir;
    QStringList errors;
    printEvents(engine, &app);
    if (!demo.startBackends(quint16(port), &config, &errors) || !engine.start(config, &errors)) {
        printErr(QStringLiteral("fulcrumd: cannot start the demo:\n  %1").arg(errors.join(QStringLiteral("\n  "))));
        return 1;
    }
    for (const ListenerView &l : engine.snapshot().listeners)
        printErr(QStringLiteral("fulcrumd: demo: proxy on http://%1:%2/ over app1 (w3, ~15 ms), app2 (w2, ~35 ms), app3 (w1, ~80 ms); load %3 req/s")
                     .arg(l.host).arg(l.port).arg(rate));
    // History for reports: kept only with a state dir, like the audit log.
    HistoryService history(&engine);
    if (!stateDir.isEmpty())
        history.start(config.history, stateDir);
    demo.startLoad(engine, rate);
    QTimer summary;
    QObject::connect(&summary, &QTimer::timeout, &app, [&engine] { printSnapshot(engine.snapshot()); });
    summary.start(5000);
    UnixSignals signals;
    QObject::connect(&signals, &UnixSignals::terminateRequested, &app, [&] {
        demo.load()->stop();
        engine.stop();
    });
    QObject::connect(&signals, &UnixSignals::reloadRequested, &app, [] { printErr(QStringLiteral("fulcrumd: SIGHUP ignored in demo mode")); });
    QObject::connect(&engine, &Engine::stopped, &app, &QCoreApplication::quit);
    return app.exec();
}

int main(int argc, char *argv[])
{
    // The proxy workers' event loops: Qt's plain poll dispatcher instead of GLib's, which
    // signals an eventfd every time a socket starts or stops waiting to write (measured:
    // about 10% less CPU per proxied request). fulcrumd has no GUI that would need GLib.
    qputenv("QT_NO_GLIB", "1");
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("fulcrumd"));
    QCoreApplication::setApplicationVersion(QStringLiteral(FULCRUM_VERSION));

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Fulcrum engine: HTTP load-balancing proxy, health checker, lock poller, admin API.\n"
        "Serve a config:  fulcrumd --config FILE   (SIGHUP reloads it, SIGTERM stops gracefully)\n"
        "Quick start:     fulcrumd --listen 127.0.0.1:8080 --backend 127.0.0.1:9001=5 --backend 127.0.0.1:9002\n"
        "Demo:            fulcrumd --demo   (three demo backends, steady load, the proxy on 127.0.0.1:8080)"));
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption configOption(QStringLiteral("config"), QStringLiteral("Read the JSON config from FILE."), QStringLiteral("FILE"));
    const QCommandLineOption checkOption(QStringLiteral("check"), QStringLiteral("Validate the config, print every error, and exit (0 = valid)."));
    const QCommandLineOption listenOption(QStringLiteral("listen"), QStringLiteral("Quick start: accept clients on ADDRESS (e.g. 127.0.0.1:8080)."), QStringLiteral("ADDRESS"));
    const QCommandLineOption backendOption(QStringLiteral("backend"), QStringLiteral("Quick start: a server, HOST:PORT[=WEIGHT] (weight default 1); repeat for each."), QStringLiteral("SERVER"));
    const QCommandLineOption algorithmOption(QStringLiteral("algorithm"), QStringLiteral("Quick start: %1 (default weighted-round-robin).").arg(algorithmNames().join(QStringLiteral(", "))), QStringLiteral("NAME"));
    const QCommandLineOption workersOption(QStringLiteral("workers"), QStringLiteral("Proxy worker threads (default: config, or the number of cores)."), QStringLiteral("N"));
    const QCommandLineOption demoOption(QStringLiteral("demo"), QStringLiteral("Run the embedded demo: three demo backends with different latencies, a load generator and the proxy (on --listen, default 127.0.0.1:8080)."));
    const QCommandLineOption rateOption(QStringLiteral("rate"), QStringLiteral("Demo: requests per second of the load generator (default 50)."), QStringLiteral("R"), QStringLiteral("50"));
    const QCommandLineOption stateDirOption(QStringLiteral("state-dir"), QStringLiteral("Keep history (for fulcrumctl report) and the audit log in DIR; overrides the config's state_dir."), QStringLiteral("DIR"));
    parser.addOptions({configOption, checkOption, listenOption, backendOption, algorithmOption, workersOption, demoOption, rateOption, stateDirOption});
    parser.process(app);

    int workers = 0;
    if (parser.isSet(workersOption)) {
        bool ok = false;
        workers = parser.value(workersOption).toInt(&ok);
        if (!ok || workers < 1 || workers > 256) {
            printErr(QStringLiteral("fulcrumd: --workers \"%1\" must be a number from 1 to 256").arg(parser.value(workersOption)));
            return 2;
        }
    }
    const bool demo = parser.isSet(demoOption);
    if (demo && (parser.isSet(configOption) || parser.isSet(backendOption))) {
        printErr(QStringLiteral("fulcrumd: --demo brings its own backends; leave out --config and --backend"));
        return 2;
    }
    bool rateOk = false;
    const double rate = parser.value(rateOption).toDouble(&rateOk);
    if (!rateOk || rate <= 0 || rate > 100'000) {
        printErr(QStringLiteral("fulcrumd: --rate \"%1\" must be a number of requests per second from 0 to 100000").arg(parser.value(rateOption)));
        return 2;
    }
    if (demo)
        return runDemo(app, parser.isSet(listenOption) ? parser.value(listenOption) : QStringLiteral("127.0.0.1:8080"), workers, rate, parser.value(stateDirOption));
    const bool quickStart = parser.isSet(listenOption) || parser.isSet(backendOption);
    if (quickStart && parser.isSet(configOption)) {
        printErr(QStringLiteral("fulcrumd: use either --config FILE or --listen/--backend, not both"));
        return 2;
    }
    if (quickStart && (!parser.isSet(listenOption) || !parser.isSet(backendOption))) {
        printErr(QStringLiteral("fulcrumd: the quick start needs --listen ADDRESS and at least one --backend HOST:PORT[=WEIGHT]"));
        return 2;
    }
    if (!quickStart && !parser.isSet(configOption)) {
        printErr(QStringLiteral("fulcrumd: no config given; use --config FILE, or --listen ADDRESS --backend HOST:PORT (see docs/proxy.md)"));
        return 2;
    }
    const QString configPath = parser.value(configOption);
    const ConfigResult result = quickStart ? quickStartConfig(parser.value(listenOption), parser.values(backendOption), parser.value(algorithmOption), workers)
                                           : loadConfigFile(configPath);
    const QString source = quickStart ? QStringLiteral("command line") : configPath;
    if (!result.ok()) {
        printErr(QStringLiteral("%1\n%2: %3 error(s); nothing was applied").arg(result.errorText(), source).arg(result.errors.size()));
        return 1;
    }
    if (parser.isSet(checkOption)) {
        std::printf("%s: valid (%zu listener(s), %zu pool(s), %zu lock endpoint(s))\n", qPrintable(source),
                    result.config->listeners.size(), result.config->pools.size(), result.config->locks.size());
        return 0;
    }
    Config config = *result.config;
    if (workers > 0)
        config.proxy.workers = workers;
    if (parser.isSet(stateDirOption))
        config.stateDir = parser.value(stateDirOption);
    // A service keeps its tokens, runtime weights/states and audit log somewhere even when the
    // config names no state_dir (the same place fulcrumctl looks).
    if (config.admin.enabled && config.stateDir.isEmpty()) {
        config.stateDir = defaultStateDir();
    }

    Engine engine;
#ifdef FULCRUM_HAVE_KEYCHAIN
    KeychainSecretStore keychain;
    engine.setKeychain(&keychain);
#endif
    printEvents(engine, &app);
    QObject::connect(&engine, &Engine::stopped, &app, &QCoreApplication::quit);
    QStringList errors;
    if (!engine.start(config, &errors)) {
        printErr(QStringLiteral("fulcrumd: cannot start:\n  %1").arg(errors.join(QStringLiteral("\n  "))));
        return 1;
    }
    AdminServer admin(&engine);
    if (config.admin.enabled && !startAdmin(admin, config))
        return 1;
    // History for reports (and the admin API's /history and /report): kept only with a state
    // dir or a history.path. A store that cannot be opened is reported; balancing goes on.
    HistoryService history(&engine);
    if (!config.stateDir.isEmpty() || !config.history.path.isEmpty())
        history.start(config.history, config.stateDir);
    admin.setReportService(&history);

    UnixSignals signals;
    int terminations = 0;
    QObject::connect(&signals, &UnixSignals::terminateRequested, &app, [&](int) {
        // A second SIGTERM/SIGINT does not wait for the requests in flight.
        if (++terminations > 1)
            QCoreApplication::exit(1);
        else
            engine.stop();
    });
    QObject::connect(&signals, &UnixSignals::reloadRequested, &app, [&] {
        if (quickStart) {
            printErr(QStringLiteral("fulcrumd: SIGHUP ignored: there is no config file to reload (started with --listen/--backend)"));
            return;
        }
        const ConfigResult next = loadConfigFile(configPath);
        if (!next.ok()) {
            // Every error with its place in the log; the rejection itself is an engine event, so
            // the console's Events view, `fulcrumctl events` and the admin API say it too.
            printErr(next.errorText());
            engine.addEvent(EngineEvent::Error, QStringLiteral("config"),
                            QStringLiteral("reload of %1 rejected (%2 error(s)), still serving the previous config; the first: %3%4")
                                .arg(configPath).arg(next.errors.size()).arg(next.errorText().section(u'\n', 0, 0))
                                .arg(next.errors.size() > 1 ? QStringLiteral(" (fulcrumd --config %1 --check lists them all)").arg(configPath) : QString()));
            return;
        }
        Config nextConfig = *next.config;
        if (workers > 0)
            nextConfig.proxy.workers = workers;
        if (parser.isSet(stateDirOption))
            nextConfig.stateDir = parser.value(stateDirOption);
        // The admin listener, tokens and state dir are bound at start; a reload keeps them.
        if (!(nextConfig.admin == config.admin) || (!nextConfig.stateDir.isEmpty() && nextConfig.stateDir != config.stateDir))
            printErr(QStringLiteral("fulcrumd: admin and state_dir changes in %1 take effect at the next restart").arg(configPath));
        nextConfig.admin = config.admin;
        nextConfig.stateDir = config.stateDir;
        if (!history.applyConfig(nextConfig.history))
            printErr(QStringLiteral("fulcrumd: history.path changes in %1 take effect at the next restart").arg(configPath));
        // admin.tls's files are read again (a renewed certificate at the same paths); one that
        // cannot be used refuses the reload whole, as a listener's certificate does.
        std::optional<QSslConfiguration> adminTls;
        if (config.admin.enabled && config.admin.hasTls()) {
            QString error;
            adminTls = admin.readTls(config.admin, &error);
            if (!adminTls) {
                printErr(QStringLiteral("fulcrumd: %1").arg(error));
                engine.addEvent(EngineEvent::Error, QStringLiteral("config"),
                                QStringLiteral("reload of %1 rejected, still serving the previous config and admin certificate: %2").arg(configPath, error));
                return;
            }
        }
        QStringList reloadErrors;
        if (!engine.reload(nextConfig, &reloadErrors))   // a refusal is the engine's own event, printed above
            return;
        if (adminTls)
            admin.useTls(*adminTls, config.admin);
    });
    return app.exec();
}
