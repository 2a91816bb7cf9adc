// fulcrumctl load: steady client traffic for demos, bounded in time.
#include "command.h"

#include "common/duration.h"
#include "proxy/loadgenerator.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QEventLoop>

using namespace fulcrum;

static int load(const QStringList &arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Send GET requests to URL at a steady rate for a while, then print the achieved rate and latencies.\n"
        "Example: fulcrumctl load --target http://127.0.0.1:8080/ --rate 200 --duration 30s"));
    const QCommandLineOption targetOption(QStringLiteral("target"), QStringLiteral("http://HOST:PORT/PATH to request."), QStringLiteral("URL"));
    const QCommandLineOption rateOption(QStringLiteral("rate"), QStringLiteral("Requests per second (default 50)."), QStringLiteral("R"), QStringLiteral("50"));
    const QCommandLineOption durationOption(QStringLiteral("duration"), QStringLiteral("How long to send, e.g. 10s, 2m (default 10s; at most 24h)."), QStringLiteral("D"), QStringLiteral("10s"));
    const QCommandLineOption connectionsOption(QStringLiteral("connections"), QStringLiteral("Kept-alive connections at most (default 64)."), QStringLiteral("N"), QStringLiteral("64"));
    parser.addOptions({targetOption, rateOption, durationOption, connectionsOption});
    parser.addHelpOption();
    if (!parser.parse(QStringList{QStringLiteral("fulcrumctl load")} + arguments)) {
        ctlErr(QStringLiteral("fulcrumctl load: %1\n").arg(parser.errorText()));
        return 2;
    }
    if (parser.isSet(QStringLiteral("help"))) {
        ctlOut(ctlHelpText(parser, QStringLiteral("fulcrumctl load")));
        return 0;
    }
    auto usageError = [](const QString &message) {
        ctlErr(QStringLiteral("fulcrumctl load: %1\n").arg(message));
        return 2;
    };
    const QUrl target(parser.value(targetOption));
    if (!parser.isSet(targetOption) || !target.isValid() || target.scheme() != u"http" || target.host().isEmpty())
        return usageError(QStringLiteral("--target \"%1\" must be an http:// URL, e.g. http://127.0.0.1:8080/").arg(parser.value(targetOption)));
    bool ok = false;
    const double rate = parser.value(rateOption).toDouble(&ok);
    if (!ok || rate <= 0 || rate > 1'000'000)
        return usageError(QStringLiteral("--rate \"%1\" must be a number of requests per second, above 0 and at most 1000000").arg(parser.value(rateOption)));
    const std::optional<qint64> duration = parseDurationMs(parser.value(durationOption));
    if (!duration || *duration <= 0 || *duration > 24 * 3600 * 1000LL)
        return usageError(QStringLiteral("--duration \"%1\" must be a duration such as 500ms, 10s or 5m, at most 24h").arg(parser.value(durationOption)));
    const int connections = parser.value(connectionsOption).toInt(&ok);
    if (!ok || connections < 1 || connections > 10'000)
        return usageError(QStringLiteral("--connections \"%1\" must be 1..10000").arg(parser.value(connectionsOption)));

    LoadOptions options;
    options.target = target;
    options.rate = rate;
    options.durationMs = *duration;
    options.maxConnections = connections;
    LoadGenerator generator;
    QEventLoop loop;
    LoadReport report;
    QObject::connect(&generator, &LoadGenerator::finished, &loop, [&](const LoadReport &r) {
        report = r;
        loop.quit();
    });
    generator.start(options);
    loop.exec();
    ctlOut(QStringLiteral("target %1, rate %2/s for %3 ms\n").arg(target.toString()).arg(rate).arg(*duration) + report.summary());
    for (auto it = report.servedBy.cbegin(); it != report.servedBy.cend(); ++it)
        ctlOut(QStringLiteral("served by %1: %2\n").arg(it.key()).arg(it.value()));
    return report.completed > 0 ? 0 : 1;
}

FULCRUM_CTL_COMMAND(load, "load", "send steady GET traffic at a rate for a duration; print the achieved rate and latency", load);
