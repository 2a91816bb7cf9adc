#pragma once

#include <QHash>
#include <QObject>
#include <QString>

#include <functional>

namespace fulcrum {

// What one server said to the "cons" four-letter word: which session connects from where.
struct ZkConnections
{
    bool ok = false;
    bool notWhitelisted = false;            // the server answered but does not allow "cons"
    QString error;                          // a person's sentence when !ok
    QHash<QString, QString> addressBySession;   // "0x1000…" → "127.0.0.1:43210"
};

// Parses a "cons" answer (lines like " /127.0.0.1:43210[1](queued=0,…,sid=0x1000…,…)").
ZkConnections parseConsAnswer(const QByteArray &answer, const QString &server);

// Sends "cons" to one server (host:port) over a plain TCP socket and parses the answer; `done`
// runs once on `context`'s thread, within timeoutMs.
void queryZkConnections(const QString &server, QObject *context, std::function<void(const ZkConnections &)> done,
                        int timeoutMs = 3000);

} // namespace fulcrum
