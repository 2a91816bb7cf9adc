#include "ctlimport.h"

#include "command.h"

#include "config/configparser.h"

#include <QCommandLineParser>
#include <QFile>
#include <QJsonDocument>
#include <QRegularExpression>
#include <QSaveFile>

using namespace fulcrum;

namespace {

// An nginx config given to import-apache, or an httpd one to import-nginx, fails on syntax or
// finds no balancer; which command reads it is the useful answer.
QString otherImporterHint(const QString &command, const QByteArray &text)
{
    static const QRegularExpression nginx(QStringLiteral(R"((^|\n)\s*(upstream\s+\S+\s*\{|proxy_pass\s|server\s*\{|http\s*\{))"));
    static const QRegularExpression apache(QStringLiteral(R"((^|\n)\s*(<(VirtualHost|Proxy|Location|IfModule)\b|BalancerMember\s|ProxyPass\s))"),
                                           QRegularExpression::CaseInsensitiveOption);
    const QString content = QString::fromUtf8(text);
    const bool looksNginx = nginx.match(content).hasMatch();
    const bool looksApache = apache.match(content).hasMatch();
    if (command == u"import-apache" && looksNginx && !looksApache)
        return QStringLiteral("it looks like an nginx config (upstream, server and http blocks): fulcrumctl import-nginx FILE reads it");
    if (command == u"import-nginx" && looksApache && !looksNginx)
        return QStringLiteral("it looks like an Apache httpd config (<VirtualHost>, <Proxy>, BalancerMember): fulcrumctl import-apache FILE reads it");
    return QString();
}

} // namespace

int runCtlImport(const CtlImportCommand &command, const QStringList &arguments)
{
    const QString prefix = QStringLiteral("fulcrumctl ") + command.name;
    QCommandLineParser parser;
    parser.setApplicationDescription(command.description + QStringLiteral(" (JSON on stdout or in -o FILE).\n"
                                                                          "Everything that does not carry over exactly is listed on stderr."));
    const QCommandLineOption outputOption({QStringLiteral("o"), QStringLiteral("output")}, QStringLiteral("Write the config to FILE."), QStringLiteral("FILE"));
    parser.addOption(outputOption);
    parser.addHelpOption();
    parser.addPositionalArgument(QStringLiteral("FILE"), command.fileHelp);
    if (!parser.parse(QStringList{prefix} + arguments)) {
        ctlErr(QStringLiteral("%1: %2\n").arg(prefix, parser.errorText()));
        return 2;
    }
    if (parser.isSet(QStringLiteral("help"))) {
        ctlOut(ctlHelpText(parser, prefix));
        return 0;
    }
    if (parser.positionalArguments().size() != 1) {
        ctlErr(QStringLiteral("%1: give exactly one %2 FILE\n").arg(prefix, command.fileKind));
        return 2;
    }
    const QString path = parser.positionalArguments().first();
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        ctlErr(QStringLiteral("%1: cannot read %2: %3\n").arg(prefix, path, file.errorString()));
        return 1;
    }
    const QByteArray text = file.readAll();
    const ConfigImport result = command.import(text, path);
    if (!result.ok()) {
        ctlErr(result.errors.join(u'\n') + u'\n');
        if (const QString hint = otherImporterHint(command.name, text); !hint.isEmpty())
            ctlErr(QStringLiteral("%1: %2\n").arg(prefix, hint));
        return 1;
    }
    const QByteArray json = QJsonDocument(configToJson(result.config)).toJson(QJsonDocument::Indented);
    const bool toFile = parser.isSet(outputOption) && parser.value(outputOption) != u"-";   // "-o -" is stdout, as without -o
    const QString outName = toFile ? parser.value(outputOption) : QStringLiteral("<stdout>");
    // The import must produce a config fulcrumd accepts; say so loudly if it does not. The files
    // it names (certificates) belong to the machine that will run it, often not this one: they
    // are checked here too, and what is missing or wrong here is said with its place in the
    // written config, but does not stop the import.
    const ConfigResult check = parseConfig(json, QStringLiteral("<imported>"), ConfigFiles::NotRead);
    if (!check.ok()) {
        ctlErr(QStringLiteral("%1: the imported config does not validate:\n%2\n").arg(prefix, check.errorText()));
        return 1;
    }
    QStringList notes = result.notes;
    const ConfigResult withFiles = parseConfig(json, outName, ConfigFiles::Read);
    for (const ConfigError &error : withFiles.errors)
        notes << error.toString();
    if (!withFiles.ok())
        notes << QStringLiteral("the file(s) above are read again by \"fulcrumd --config %1 --check\" on the machine that runs it: "
                                "copy them there or fix the paths before starting it").arg(toFile ? outName : QStringLiteral("FILE"));
    for (const QString &note : std::as_const(notes))
        ctlErr(QStringLiteral("note: %1\n").arg(note));
    if (toFile) {
        QSaveFile out(outName);
        if (!out.open(QIODevice::WriteOnly) || out.write(json) != json.size() || !out.commit()) {
            ctlErr(QStringLiteral("%1: cannot write %2: %3\n").arg(prefix, out.fileName(), out.errorString()));
            return 1;
        }
        ctlErr(QStringLiteral("wrote %1 (%2 pool(s), %3 listener(s), %4 note(s))\n")
                   .arg(out.fileName()).arg(result.config.pools.size()).arg(result.config.listeners.size()).arg(notes.size()));
    } else {
        ctlOut(QString::fromUtf8(json));
    }
    return 0;
}
