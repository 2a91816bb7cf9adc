// fulcrumctl import-nginx: nginx upstream blocks -> Fulcrum JSON config.
#include "command.h"

#include "config/configparser.h"
#include "config/nginximport.h"

#include <QCommandLineParser>
#include <QFile>
#include <QJsonDocument>
#include <QSaveFile>

using namespace fulcrum;

static int importNginxCommand(const QStringList &arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Turn nginx upstream blocks into a Fulcrum config (JSON on stdout or in -o FILE).\n"
        "Everything that does not carry over exactly is listed on stderr."));
    const QCommandLineOption outputOption({QStringLiteral("o"), QStringLiteral("output")}, QStringLiteral("Write the config to FILE."), QStringLiteral("FILE"));
    parser.addOption(outputOption);
    parser.addHelpOption();
    parser.addPositionalArgument(QStringLiteral("FILE"), QStringLiteral("nginx config file with upstream blocks"));
    if (!parser.parse(QStringList{QStringLiteral("fulcrumctl import-nginx")} + arguments)) {
        ctlErr(QStringLiteral("fulcrumctl import-nginx: %1\n").arg(parser.errorText()));
        return 2;
    }
    if (parser.isSet(QStringLiteral("help"))) {
        ctlOut(parser.helpText());
        return 0;
    }
    if (parser.positionalArguments().size() != 1) {
        ctlErr(QStringLiteral("fulcrumctl import-nginx: give exactly one nginx config FILE\n"));
        return 2;
    }
    const QString path = parser.positionalArguments().first();
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        ctlErr(QStringLiteral("fulcrumctl import-nginx: cannot read %1: %2\n").arg(path, file.errorString()));
        return 1;
    }
    const NginxImportResult result = importNginx(file.readAll(), path);
    if (!result.ok()) {
        ctlErr(result.errors.join(u'\n') + u'\n');
        return 1;
    }
    const QByteArray json = QJsonDocument(configToJson(result.config)).toJson(QJsonDocument::Indented);
    // The import must produce a config fulcrumd accepts; say so loudly if it does not.
    const ConfigResult check = parseConfig(json, QStringLiteral("<imported>"));
    if (!check.ok()) {
        ctlErr(QStringLiteral("fulcrumctl import-nginx: the imported config does not validate:\n%1\n").arg(check.errorText()));
        return 1;
    }
    for (const QString &note : result.notes)
        ctlErr(QStringLiteral("note: %1\n").arg(note));
    if (parser.isSet(outputOption)) {
        QSaveFile out(parser.value(outputOption));
        if (!out.open(QIODevice::WriteOnly) || out.write(json) != json.size() || !out.commit()) {
            ctlErr(QStringLiteral("fulcrumctl import-nginx: cannot write %1: %2\n").arg(out.fileName(), out.errorString()));
            return 1;
        }
        ctlErr(QStringLiteral("wrote %1 (%2 pool(s), %3 listener(s), %4 note(s))\n")
                   .arg(out.fileName()).arg(result.config.pools.size()).arg(result.config.listeners.size()).arg(result.notes.size()));
    } else {
        ctlOut(QString::fromUtf8(json));
    }
    return 0;
}

FULCRUM_CTL_COMMAND(importnginx, "import-nginx", "turn nginx upstream blocks into a Fulcrum config", importNginxCommand);
