// A week of history for 50 servers, stored as the engine's store keeps it (1 s rows for the
// last hour, 1 min rows for the rest, made by the store's own downsampleSamples from 1 s data),
// then reports over 1 h, 24 h and 7 d in every format. Prints times and the store's size.
// Usage: bench_reports [--days N] [--servers N] [--keep DIR]
#include "history/healthreport.h"
#include "history/historystore.h"
#include "history/reportwriters.h"
#include "reportpdf/reportpdf.h"

#include "balancer/backend.h"

#include <QCommandLineParser>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QGuiApplication>
#include <QTemporaryDir>

#include <cstdio>

using namespace fulcrum;

static void print(const QString &text)
{
    std::fputs(text.toUtf8().constData(), stdout);
    std::fflush(stdout);
}

int main(int argc, char *argv[])
{
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
        qputenv("QT_QPA_PLATFORM", "offscreen");
    QGuiApplication app(argc, argv);
    QCommandLineParser parser;
    const QCommandLineOption daysOption(QStringLiteral("days"), QStringLiteral("Days of history."), QStringLiteral("N"), QStringLiteral("7"));
    const QCommandLineOption serversOption(QStringLiteral("servers"), QStringLiteral("Servers (5 pools)."), QStringLiteral("N"), QStringLiteral("50"));
    const QCommandLineOption keepOption(QStringLiteral("keep"), QStringLiteral("Write the store and reports here."), QStringLiteral("DIR"));
    parser.addOptions({daysOption, serversOption, keepOption});
    parser.addHelpOption();
    parser.process(app);
    const int days = parser.value(daysOption).toInt();
    const int serverCount = parser.value(serversOption).toInt();
    QTemporaryDir temp;
    const QString dir = parser.isSet(keepOption) ? parser.value(keepOption) : temp.path();
    const QString path = dir + QStringLiteral("/history.sqlite");
    QFile::remove(path);

    const qint64 toMs = (QDateTime::currentMSecsSinceEpoch() / 3'600'000) * 3'600'000;
    const qint64 fromMs = toMs - qint64(days) * 86'400'000;
    const qint64 secondsCutoff = toMs - 3'600'000;
    HistoryStore store;
    QString error;
    if (!store.open(path, &error)) {
        print(error + u'\n');
        return 1;
    }
    QElapsedTimer timer;
    timer.start();
    quint64 secondsGenerated = 0;
    qint64 rows = 0;
    quint32 seed = 12345;
    auto next = [&seed] { seed = seed * 1664525u + 1013904223u; return seed >> 8; };
    for (int server = 0; server < serverCount; ++server) {
        const QString pool = QStringLiteral("pool%1").arg(server % 5);
        const QString name = QStringLiteral("app%1").arg(server, 2, 10, QLatin1Char('0'));
        HistoryBatch events;
        for (qint64 dayStart = fromMs; dayStart < toMs; dayStart += 86'400'000) {
            std::vector<HistorySample> day;
            day.reserve(86'400);
            for (qint64 t = dayStart; t < dayStart + 86'400'000 && t < toMs; t += 1000) {
                // One 10-minute outage per server per day, at a server-specific hour.
                const qint64 sinceDay = t - dayStart;
                const bool down = sinceDay >= (server % 24) * 3'600'000LL && sinceDay < (server % 24) * 3'600'000LL + 600'000;
                HistorySample s;
                s.timeMs = t;
                s.pool = pool;
                s.server = name;
                s.requests = down ? 0 : 50 + next() % 50;
                s.errors = down ? 0 : (next() % 100 == 0 ? 1 : 0);
                s.meanMs = down ? 0 : 5 + double(next() % 1000) / 100.0;
                s.p50Ms = s.meanMs * 0.8;
                s.p95Ms = s.meanMs * 2;
                s.p99Ms = s.meanMs * 4;
                s.state = int(down ? BackendState::Down : BackendState::Up);
                s.weight = s.effectiveWeight = 1 + server % 3;
                s.upMs = down ? 0 : 1000;
                s.coveredMs = 1000;
                day.push_back(std::move(s));
                if (down && sinceDay == (server % 24) * 3'600'000LL) {
                    HealthEvent e;
                    e.timeMs = t;
                    e.pool = pool;
                    e.server = name;
                    e.from = QStringLiteral("up, 1/2 failed");
                    e.to = QStringLiteral("down");
                    e.reason = QStringLiteral("L4TOUT");
                    events.healthEvents.push_back(e);
                    e.timeMs = t + 600'000;
                    e.from = QStringLiteral("down");
                    e.to = QStringLiteral("up");
                    e.reason = QStringLiteral("L7OK");
                    events.healthEvents.push_back(e);
                }
            }
            secondsGenerated += day.size();
            HistoryBatch batch;
            std::vector<HistorySample> old;
            for (HistorySample &s : day) {
                if (s.timeMs >= secondsCutoff)
                    batch.samples.push_back(std::move(s));
                else
                    old.push_back(std::move(s));
            }
            std::vector<HistorySample> minutes = downsampleSamples(old, 60);
            batch.samples.insert(batch.samples.end(), minutes.begin(), minutes.end());
            rows += qint64(batch.samples.size());
            if (!store.write(batch, &error)) {
                print(error + u'\n');
                return 1;
            }
        }
        if (!store.write(events, &error)) {
            print(error + u'\n');
            return 1;
        }
    }
    const qint64 fillMs = timer.elapsed();
    print(QStringLiteral("history: %1 servers x %2 days = %3 M one-second samples -> %4 rows (1 s for the last hour, 1 min before), built and written in %5 s\n")
              .arg(serverCount).arg(days).arg(double(secondsGenerated) / 1e6, 0, 'f', 1).arg(rows).arg(double(fillMs) / 1000.0, 0, 'f', 1));
    print(QStringLiteral("store size: %1 MiB (%2)\n").arg(double(store.sizeBytes()) / 1048576.0, 0, 'f', 1).arg(path));

    struct Window
    {
        const char *name;
        qint64 ms;
    };
    for (const Window &w : {Window{"1h", 3'600'000}, Window{"24h", 86'400'000}, Window{"7d", qint64(days) * 86'400'000}}) {
        timer.restart();
        const HealthReport report = buildHealthReport(store, toMs - w.ms, toMs, QDateTime::currentMSecsSinceEpoch());
        const qint64 buildMs = timer.elapsed();
        QString line = QStringLiteral("report %1: build %2 ms").arg(QLatin1StringView(w.name), -3).arg(buildMs);
        for (const QString &format : {QStringLiteral("json"), QStringLiteral("csv"), QStringLiteral("html"), QStringLiteral("pdf")}) {
            const QString out = QStringLiteral("%1/report-%2.%3").arg(dir, QLatin1StringView(w.name), format);
            timer.restart();
            QStringList written;
            bool ok = true;
            if (format == u"pdf")
                ok = writeHealthReportPdf(report, out, &error) > 0;
            else
                ok = writeHealthReport(report, format, out, &written, &error);
            if (!ok) {
                print(error + u'\n');
                return 1;
            }
            qint64 bytes = 0;
            if (format == u"csv") {
                for (const QString &f : written)
                    bytes += QFileInfo(f).size();
            } else {
                bytes = QFileInfo(out).size();
            }
            line += QStringLiteral(", %1 %2 ms (%3 KiB)").arg(format).arg(timer.elapsed()).arg(bytes / 1024);
        }
        print(line + u'\n');
    }
    return 0;
}
