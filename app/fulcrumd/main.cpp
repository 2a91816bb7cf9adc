#include "config/configparser.h"

#include <QCommandLineParser>
#include <QCoreApplication>

#include <cstdio>

using namespace fulcrum;

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("fulcrumd"));
    QCoreApplication::setApplicationVersion(QStringLiteral(FULCRUM_VERSION));

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Fulcrum engine: HTTP load-balancing proxy, health checker, lock poller, admin API."));
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption configOption(QStringLiteral("config"), QStringLiteral("Read the JSON config from FILE."), QStringLiteral("FILE"));
    const QCommandLineOption checkOption(QStringLiteral("check"), QStringLiteral("Validate the config, print every error, and exit (0 = valid)."));
    parser.addOptions({configOption, checkOption});
    parser.process(app);

    if (!parser.isSet(configOption)) {
        std::fputs("fulcrumd: no config given; use --config FILE (see README.md, \"Configuration\")\n", stderr);
        return 2;
    }
    const ConfigResult result = loadConfigFile(parser.value(configOption));
    if (!result.ok()) {
        std::fprintf(stderr, "%s\n%s: %lld error(s); nothing was applied\n", qPrintable(result.errorText()),
                     qPrintable(parser.value(configOption)), qlonglong(result.errors.size()));
        return 1;
    }
    if (parser.isSet(checkOption)) {
        std::printf("%s: valid (%zu listener(s), %zu pool(s), %zu redis endpoint(s))\n", qPrintable(parser.value(configOption)),
                    result.config->listeners.size(), result.config->pools.size(), result.config->redis.size());
        return 0;
    }
    std::fputs("fulcrumd: serving traffic arrives with the proxy (issue 3); use --check for now\n", stderr);
    return 2;
}
