// fulcrumctl demo-backend: a demo HTTP application server for demos, tests and benchmarks.
#include "command.h"

#include "common/duration.h"
#include "common/unixsignals.h"
#include "demo/demobackend.h"

#include <QCommandLineParser>
#include <QCoreApplication>

using namespace fulcrum;

namespace {

// "127.0.0.1:8080", "[::1]:0", "localhost:80".
bool parseListen(const QString &text, QHostAddress *address, quint16 *port)
{
    const qsizetype colon = text.lastIndexOf(u':');
    if (colon <= 0)
        return false;
    QString host = text.left(colon);
    if (host.startsWith(u'[') && host.endsWith(u']'))
        host = host.mid(1, host.size() - 2);
    if (host == u"localhost")
        host = QStringLiteral("127.0.0.1");
    bool ok = false;
    const uint value = text.mid(colon + 1).toUInt(&ok);
    if (!ok || value > 65535 || !address->setAddress(host))
        return false;
    *port = quint16(value);
    return true;
}

int demoBackend(const QStringList &arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Run a demo HTTP application server. It answers every path with its name (body and\n"
        "X-Served-By header), GET /health per --health, /bytes/N streams N bytes, /echo returns\n"
        "the request body's length and CRC-32, and POST /_control?latency=50ms&jitter=0&\n"
        "error_rate=0.5&health=ok|503|hang|close changes its behaviour while it runs.\n"
        "Prints \"listening on HOST:PORT\" once ready; stops on SIGTERM or SIGINT."));
    const QCommandLineOption listenOption(QStringLiteral("listen"), QStringLiteral("Address to listen on; port 0 picks a free one (default 127.0.0.1:0)."), QStringLiteral("HOST:PORT"), QStringLiteral("127.0.0.1:0"));
    const QCommandLineOption nameOption(QStringLiteral("name"), QStringLiteral("Name in answers (default app)."), QStringLiteral("NAME"), QStringLiteral("app"));
    const QCommandLineOption latencyOption(QStringLiteral("latency"), QStringLiteral("Delay before each answer, e.g. 20ms (default 0)."), QStringLiteral("DURATION"), QStringLiteral("0"));
    const QCommandLineOption jitterOption(QStringLiteral("jitter"), QStringLiteral("Latency varies by up to this much either way (default 0)."), QStringLiteral("DURATION"), QStringLiteral("0"));
    const QCommandLineOption errorRateOption(QStringLiteral("error-rate"), QStringLiteral("Share of application requests answered 500, 0..1 (default 0)."), QStringLiteral("RATE"), QStringLiteral("0"));
    const QCommandLineOption healthOption(QStringLiteral("health"), QStringLiteral("GET /health: ok, 503, hang or close (default ok)."), QStringLiteral("MODE"), QStringLiteral("ok"));
    const QCommandLineOption threadsOption(QStringLiteral("threads"), QStringLiteral("Threads serving connections (default 1)."), QStringLiteral("N"), QStringLiteral("1"));
    parser.addOptions({listenOption, nameOption, latencyOption, jitterOption, errorRateOption, healthOption, threadsOption});
    parser.addHelpOption();
    if (!parser.parse(QStringList{QStringLiteral("fulcrumctl demo-backend")} + arguments)) {
        ctlErr(QStringLiteral("fulcrumctl demo-backend: %1\n").arg(parser.errorText()));
        return 2;
    }
    if (parser.isSet(QStringLiteral("help"))) {
        ctlOut(ctlHelpText(parser, QStringLiteral("fulcrumctl demo-backend")));
        return 0;
    }
    auto usageError = [](const QString &message) {
        ctlErr(QStringLiteral("fulcrumctl demo-backend: %1\n").arg(message));
        return 2;
    };
    if (!parser.positionalArguments().isEmpty())
        return usageError(QStringLiteral("unexpected argument \"%1\"; all settings are options, see --help").arg(parser.positionalArguments().first()));
    QHostAddress address;
    quint16 port = 0;
    if (!parseListen(parser.value(listenOption), &address, &port))
        return usageError(QStringLiteral("--listen \"%1\" must be HOST:PORT, e.g. 127.0.0.1:8081 or [::1]:0").arg(parser.value(listenOption)));
    // The control endpoint's own parser checks the values, so the options and POST /_control
    // accept exactly the same spellings.
    QUrlQuery control;
    control.addQueryItem(QStringLiteral("latency"), parser.value(latencyOption));
    control.addQueryItem(QStringLiteral("jitter"), parser.value(jitterOption));
    control.addQueryItem(QStringLiteral("error_rate"), parser.value(errorRateOption));
    control.addQueryItem(QStringLiteral("health"), parser.value(healthOption));
    DemoBackendSettings settings;
    QString error;
    if (!applyDemoControl(control, &settings, &error)) {
        for (const char *key : {"latency", "jitter", "health"})
            error.replace(QStringLiteral("%1=").arg(QLatin1StringView(key)), QStringLiteral("--%1 ").arg(QLatin1StringView(key)));
        return usageError(error.replace(QStringLiteral("error_rate="), QStringLiteral("--error-rate ")));
    }
    bool ok = false;
    const int threads = parser.value(threadsOption).toInt(&ok);
    if (!ok || threads < 1 || threads > 256)
        return usageError(QStringLiteral("--threads \"%1\" must be 1..256").arg(parser.value(threadsOption)));

    QObject context;
    // Serves until stopped: SIGTERM, SIGINT and SIGHUP end it with status 0.
    UnixSignals &signals = ctlTakeOverSignals();
    QObject::connect(&signals, &UnixSignals::terminateRequested, &context, [] { QCoreApplication::quit(); });
    QObject::connect(&signals, &UnixSignals::reloadRequested, &context, [] { QCoreApplication::quit(); });
    DemoBackend backend(parser.value(nameOption));
    backend.setSettings(settings);
    if (!backend.listen(address, port, threads, &error)) {
        ctlErr(QStringLiteral("fulcrumctl demo-backend: %1; pick another port or stop what uses it\n").arg(error));
        return 1;
    }
    const QString host = address.protocol() == QAbstractSocket::IPv6Protocol
        ? QStringLiteral("[%1]").arg(address.toString())
        : address.toString();
    ctlOut(QStringLiteral("listening on %1:%2\n").arg(host).arg(backend.serverPort()));
    return QCoreApplication::exec();
}

} // namespace

FULCRUM_CTL_COMMAND(demo_backend, "demo-backend", "run a demo HTTP backend (name, latency, errors, health modes)", demoBackend);
