#pragma once

#include <QHostAddress>
#include <QList>
#include <QObject>
#include <QString>
#include <QStringList>

#include "common/resolverconfig.h"

class QDnsLookup;
class QTimer;

namespace fulcrum {

// Follows one name in DNS: asks the nameservers for its A and AAAA records, and asks again
// when the answer's shortest TTL runs out (clamped to 1 s .. 1 h), or every validMs when set.
// A nameserver that does not answer, or fails, passes the question to the next. An answer
// that says the name has no address (NXDOMAIN, no A or AAAA) or no answer at all keeps the
// last addresses: a DNS outage never takes servers out of rotation, the health checks do.
// Lives on the thread that made it (the lookups run on Qt's thread pool).
class DnsFollower : public QObject
{
    Q_OBJECT
public:
    DnsFollower(QString name, ResolverConfig config, QObject *parent = nullptr);
    ~DnsFollower() override;

    // Asks now, and from then on at every TTL.
    void start();

    const QString &name() const { return m_name; }
    // The last addresses DNS gave, IPv4 first; empty before the first answer (or if it never
    // gave one).
    const QList<QHostAddress> &addresses() const { return m_addresses; }
    // Why the last round gave no address ("" when it did).
    const QString &error() const { return m_error; }
    // Rounds finished (an answer, or all nameservers failed).
    int rounds() const { return m_rounds; }

    // "127.0.0.11, 127.0.0.12" (or "none").
    static QString addressesText(const QList<QHostAddress> &addresses);

Q_SIGNALS:
    // After every round (an answer, or every nameserver failed): previous and previousError
    // are what addresses() and error() held before it.
    void answered(const QList<QHostAddress> &previous, const QString &previousError);

private:
    void ask();
    void lookupFinished(QDnsLookup *lookup);
    void roundFinished();

    QString m_name;
    ResolverConfig m_config;
    QTimer *m_timer = nullptr;
    int m_pending = 0;                              // lookups (A, AAAA) not finished
    int m_nameserver = 0;                           // which one this round asks
    QList<QHostAddress> m_answer;                   // this nameserver's, so far
    qint64 m_shortestTtlMs = 0;
    QString m_lookupError;
    QStringList m_roundErrors;                      // "nameserver: why", this round
    QList<QHostAddress> m_addresses;
    QString m_error;
    int m_rounds = 0;
};

} // namespace fulcrum
