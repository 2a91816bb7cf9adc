#include "command.h"

#include "common/ownedtempdir.h"
#include "common/unixsignals.h"

#include <QCommandLineParser>
#include <QFile>
#include <QGuiApplication>

#include <algorithm>
#include <csignal>
#include <cstring>
#include <memory>

namespace {

fulcrum::UnixSignals *g_signals = nullptr;
QList<QMetaObject::Connection> g_defaultSignalHandling;

} // namespace

fulcrum::UnixSignals &ctlTakeOverSignals()
{
    for (const QMetaObject::Connection &connection : std::as_const(g_defaultSignalHandling))
        QObject::disconnect(connection);
    g_defaultSignalHandling.clear();
    return *g_signals;
}

QList<CtlCommand> &CtlCommands::all()
{
    static QList<CtlCommand> commands;
    return commands;
}

bool CtlCommands::add(CtlCommand command)
{
    all().append(std::move(command));
    return true;
}

void ctlOut(const QString &text)
{
    const QByteArray bytes = text.toUtf8();
    std::fwrite(bytes.constData(), 1, size_t(bytes.size()), stdout);
    std::fflush(stdout);
}

void ctlErr(const QString &text)
{
    const QByteArray bytes = text.toUtf8();
    std::fwrite(bytes.constData(), 1, size_t(bytes.size()), stderr);
    std::fflush(stderr);
}

QStringList ctlListUnlessNamed(const QStringList &arguments)
{
    const QString first = arguments.value(0);
    return first.startsWith(u"--") && first != u"--help" ? QStringList{QStringLiteral("list")} + arguments : arguments;
}

QString ctlHelpText(const QCommandLineParser &parser, const QString &program)
{
    QStringList lines = parser.helpText().split(u'\n');
    if (!lines.isEmpty() && lines.first().startsWith(u"Usage: ")) {
        const QString first = lines.first();
        const qsizetype options = first.indexOf(u" [options]");
        lines.first() = QStringLiteral("Usage: ") + program + (options >= 0 ? first.mid(options) : QString());
    }
    lines.removeIf([](const QString &line) { return line.trimmed().startsWith(u"--help-all"); });
    return lines.join(u'\n');
}

static QString usage()
{
    QList<CtlCommand> commands = CtlCommands::all();
    std::sort(commands.begin(), commands.end(), [](const CtlCommand &a, const CtlCommand &b) { return a.name < b.name; });
    QString text = QStringLiteral("Usage: fulcrumctl COMMAND [OPTIONS]\n\n"
                                  "Fulcrum's command line: what-if simulation, config import, locks, reports.\n\n"
                                  "Commands:\n");
    for (const CtlCommand &command : commands)
        text += QStringLiteral("  %1%2\n").arg(command.name, -16).arg(command.summary);
    text += QStringLiteral("\nRun 'fulcrumctl COMMAND --help' for a command's options.\n"
                           "  --help      show this help\n  --version   show the version\n");
    return text;
}

int main(int argc, char *argv[])
{
    // Only `report` draws (PDF through QPainter, which needs a QGuiApplication); it runs on
    // headless servers, so the offscreen platform is the default there.
    std::unique_ptr<fulcrum::OwnedTempDir> runtimeDir;   // outlives the application
    std::unique_ptr<QCoreApplication> app;
    if (argc > 1 && std::strcmp(argv[1], "report") == 0) {
        if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
            qputenv("QT_QPA_PLATFORM", "offscreen");
        // Qt Gui wants a private runtime folder; a cron job or an ssh command has none, and Qt
        // then printed "XDG_RUNTIME_DIR not set" into every report run's output. One of our
        // own (mode 0700), gone with the program.
        if (qEnvironmentVariableIsEmpty("XDG_RUNTIME_DIR")) {
            fulcrum::OwnedTempDir::removeStale(QStringLiteral("runtime"));
            runtimeDir = std::make_unique<fulcrum::OwnedTempDir>(QStringLiteral("runtime"));
            if (runtimeDir->isValid())
                qputenv("XDG_RUNTIME_DIR", QFile::encodeName(runtimeDir->path()));
        }
        app = std::make_unique<QGuiApplication>(argc, argv);
    } else {
        app = std::make_unique<QCoreApplication>(argc, argv);
    }
    QCoreApplication::setApplicationName(QStringLiteral("fulcrumctl"));
    QCoreApplication::setApplicationVersion(QStringLiteral(FULCRUM_VERSION));

    QStringList arguments = QCoreApplication::arguments();
    arguments.removeFirst();
    if (arguments.isEmpty() || arguments.first() == u"--help" || arguments.first() == u"-h" || arguments.first() == u"help") {
        ctlOut(usage());
        return arguments.isEmpty() ? 2 : 0;
    }
    if (arguments.first() == u"--version") {
        ctlOut(QStringLiteral("fulcrumctl %1\n").arg(QCoreApplication::applicationVersion()));
        return 0;
    }
    const QString name = arguments.takeFirst();
    fulcrum::UnixSignals signals;
    g_signals = &signals;
    int caught = 0;
    auto stop = [&caught](int signal) {
        caught = signal;
        QCoreApplication::exit(128 + signal);   // every event loop returns, later ones at once
    };
    g_defaultSignalHandling = {QObject::connect(&signals, &fulcrum::UnixSignals::terminateRequested, app.get(), stop),
                               QObject::connect(&signals, &fulcrum::UnixSignals::reloadRequested, app.get(), [stop] { stop(SIGHUP); })};
    for (const CtlCommand &command : CtlCommands::all()) {
        if (command.name == name) {
            const int status = command.run(arguments);
            return caught ? 128 + caught : status;
        }
    }
    ctlErr(QStringLiteral("fulcrumctl: unknown command '%1'. Run 'fulcrumctl --help' for the list of commands.\n").arg(name));
    return 2;
}
