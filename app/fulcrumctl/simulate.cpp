// fulcrumctl simulate: preview an algorithm's choices with the proxy's own Balancer.
#include "command.h"

#include "balancer/balancer.h"
#include "common/hashing.h"

#include <QCommandLineParser>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

using namespace fulcrum;

static int simulate(const QStringList &arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Preview which server each request would go to, with the same Balancer the proxy runs.\n"
        "Prints the chosen server index (0-based) per pick, one per line."));
    const QCommandLineOption algorithmOption(QStringLiteral("algorithm"), QStringLiteral("round-robin, weighted-round-robin, least-connections, random, \"random two\", least-response-time, consistent-hash."), QStringLiteral("NAME"));
    const QCommandLineOption weightsOption(QStringLiteral("weights"), QStringLiteral("Comma-separated weights, one per server, 0..10000 (e.g. 5,1,1)."), QStringLiteral("LIST"));
    const QCommandLineOption countOption(QStringLiteral("count"), QStringLiteral("Number of picks (default: number of keys, or 100)."), QStringLiteral("N"));
    const QCommandLineOption seedOption(QStringLiteral("seed"), QStringLiteral("Seed for random choices (default 1)."), QStringLiteral("S"), QStringLiteral("1"));
    const QCommandLineOption choicesOption(QStringLiteral("choices"), QStringLiteral("random: 2 = power of two choices."), QStringLiteral("N"), QStringLiteral("1"));
    const QCommandLineOption keysOption(QStringLiteral("keys"), QStringLiteral("consistent-hash: file with one request key per line, used in turn."), QStringLiteral("FILE"));
    const QCommandLineOption statesOption(QStringLiteral("states"), QStringLiteral("Comma-separated states per server: up, down, drain, maint (default all up)."), QStringLiteral("LIST"));
    const QCommandLineOption jsonOption(QStringLiteral("json"), QStringLiteral("Print a JSON array instead of lines."));
    const QCommandLineOption summaryOption(QStringLiteral("summary"), QStringLiteral("Print the share each server got instead of every pick."));
    parser.addOptions({algorithmOption, weightsOption, countOption, seedOption, choicesOption, keysOption, statesOption, jsonOption, summaryOption});
    parser.addHelpOption();
    if (!parser.parse(QStringList{QStringLiteral("fulcrumctl simulate")} + arguments)) {
        ctlErr(QStringLiteral("fulcrumctl simulate: %1\n").arg(parser.errorText()));
        return 2;
    }
    if (parser.isSet(QStringLiteral("help"))) {
        ctlOut(ctlHelpText(parser, QStringLiteral("fulcrumctl simulate")));
        return 0;
    }
    auto usageError = [](const QString &message) {
        ctlErr(QStringLiteral("fulcrumctl simulate: %1\n").arg(message));
        return 2;
    };
    const auto algorithm = parseAlgorithm(parser.value(algorithmOption));
    if (!algorithm)
        return usageError(QStringLiteral("--algorithm \"%1\" is unknown; use one of: %2, \"random two\"")
                              .arg(parser.value(algorithmOption), algorithmNames().join(QStringLiteral(", "))));
    const QStringList weightTexts = parser.value(weightsOption).split(u',', Qt::SkipEmptyParts);
    if (weightTexts.isEmpty())
        return usageError(QStringLiteral("--weights is required, e.g. --weights 5,1,1"));
    const QStringList stateTexts = parser.value(statesOption).split(u',', Qt::SkipEmptyParts);
    if (!stateTexts.isEmpty() && stateTexts.size() != weightTexts.size())
        return usageError(QStringLiteral("--states lists %1 states for %2 servers; give one per server").arg(stateTexts.size()).arg(weightTexts.size()));
    std::vector<BackendSpec> servers;
    for (qsizetype i = 0; i < weightTexts.size(); ++i) {
        bool ok = false;
        const int weight = weightTexts[i].trimmed().toInt(&ok);
        if (!ok || weight < 0 || weight > kMaxWeight)
            return usageError(QStringLiteral("--weights: \"%1\" at position %2 (server s%3) must be a whole number 0..%4").arg(weightTexts[i]).arg(i + 1).arg(i).arg(kMaxWeight));
        BackendSpec s;
        s.name = QStringLiteral("s%1").arg(i);
        s.host = QStringLiteral("127.0.0.1");
        s.port = quint16(10000 + i);
        s.weight = weight;
        if (!stateTexts.isEmpty()) {
            const auto state = parseBackendState(stateTexts[i].trimmed());
            if (!state)
                return usageError(QStringLiteral("--states: \"%1\" at position %2 (server s%3) must be up, down, drain or maint").arg(stateTexts[i]).arg(i + 1).arg(i));
            s.state = *state;
        }
        servers.push_back(s);
    }
    QList<QByteArray> keys;
    if (parser.isSet(keysOption)) {
        QFile file(parser.value(keysOption));
        if (!file.open(QIODevice::ReadOnly))
            return usageError(QStringLiteral("--keys: cannot read %1: %2").arg(file.fileName(), file.errorString()));
        for (QByteArray line : file.readAll().split('\n')) {
            if (line.endsWith('\r'))
                line.chop(1);
            if (!line.isEmpty())
                keys << line;
        }
        if (keys.isEmpty())
            return usageError(QStringLiteral("--keys: %1 has no keys (one per line)").arg(file.fileName()));
    }
    bool ok = true;
    const qint64 count = parser.isSet(countOption) ? parser.value(countOption).toLongLong(&ok) : (keys.isEmpty() ? 100 : keys.size());
    if (!ok || count < 0 || count > 100'000'000)
        return usageError(QStringLiteral("--count \"%1\" must be 0..100000000").arg(parser.value(countOption)));
    const quint64 seed = parser.value(seedOption).toULongLong(&ok);
    if (!ok)
        return usageError(QStringLiteral("--seed \"%1\" must be a whole number").arg(parser.value(seedOption)));
    const int choices = parser.value(choicesOption).toInt(&ok);
    if (!ok || choices < 1 || choices > 2)
        return usageError(QStringLiteral("--choices must be 1 or 2"));

    PoolOptions options;
    options.algorithm = algorithm->algorithm;
    options.choices = std::max(algorithm->choices, choices);
    Pool pool(QStringLiteral("simulate"), options, servers);
    Balancer balancer(pool, seed);

    // Requests stay open for the whole simulation (least-connections and P2C see them all).
    std::vector<qint64> hits(servers.size(), 0);
    QByteArray lines;
    QJsonArray picks;
    for (qint64 n = 0; n < count; ++n) {
        PickContext context;
        if (!keys.isEmpty()) {
            context.hasKey = true;
            context.keyHash = stableHash(keys[n % keys.size()]);
        }
        const Pick pick = balancer.pick(context);
        balancer.requestStarted(pick);
        if (pick.valid())
            ++hits[size_t(pick.index)];
        if (parser.isSet(summaryOption))
            continue;
        if (parser.isSet(jsonOption))
            picks.append(pick.index);
        else
            lines += QByteArray::number(pick.index) + '\n';
        if (lines.size() > (1 << 20)) {
            ctlOut(QString::fromLatin1(lines));
            lines.clear();
        }
    }
    if (parser.isSet(summaryOption)) {
        if (parser.isSet(jsonOption)) {
            QJsonArray rows;
            for (size_t i = 0; i < servers.size(); ++i)
                rows.append(QJsonObject{{QStringLiteral("index"), qint64(i)}, {QStringLiteral("weight"), servers[i].weight},
                                        {QStringLiteral("picks"), hits[i]}, {QStringLiteral("share"), count ? double(hits[i]) / double(count) : 0.0}});
            ctlOut(QString::fromUtf8(QJsonDocument(rows).toJson(QJsonDocument::Compact)) + u'\n');
        } else {
            qint64 totalWeight = 0;
            for (const BackendSpec &s : servers)
                totalWeight += s.state == BackendState::Up ? s.weight : 0;
            QString text = QStringLiteral("server  weight  state   picks       share   weight share\n");
            for (size_t i = 0; i < servers.size(); ++i) {
                const double share = count ? 100.0 * double(hits[i]) / double(count) : 0.0;
                const double weightShare = totalWeight && servers[i].state == BackendState::Up ? 100.0 * servers[i].weight / double(totalWeight) : 0.0;
                text += QStringLiteral("%1  %2  %3  %4  %5%  %6%\n")
                            .arg(qint64(i), 6).arg(servers[i].weight, 6).arg(backendStateName(servers[i].state), -6)
                            .arg(hits[i], 10).arg(share, 6, 'f', 2).arg(weightShare, 10, 'f', 2);
            }
            ctlOut(text);
        }
        return 0;
    }
    if (parser.isSet(jsonOption))
        ctlOut(QString::fromUtf8(QJsonDocument(picks).toJson(QJsonDocument::Compact)) + u'\n');
    else
        ctlOut(QString::fromLatin1(lines));
    return 0;
}

FULCRUM_CTL_COMMAND(simulate, "simulate", "preview an algorithm's picks for given weights (same code as the proxy)", simulate);
