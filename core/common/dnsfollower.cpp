#include "dnsfollower.h"

#include <QDnsLookup>
#include <QTimer>

#include <algorithm>

namespace fulcrum {

namespace {

constexpr qint64 kShortestTtlMs = 1000;
constexpr qint64 kLongestTtlMs = 3'600'000;

QList<QHostAddress> sorted(QList<QHostAddress> addresses)
{
    std::sort(addresses.begin(), addresses.end(), [](const QHostAddress &a, const QHostAddress &b) {
        if (a.protocol() != b.protocol())
            return a.protocol() == QAbstractSocket::IPv4Protocol;
        return a.toString() < b.toString();
    });
    return addresses;
}

} // namespace

DnsFollower::DnsFollower(QString name, ResolverConfig config, QObject *parent)
    : QObject(parent), m_name(std::move(name)), m_config(std::move(config)), m_timer(new QTimer(this))
{
    m_timer->setSingleShot(true);
    connect(m_timer, &QTimer::timeout, this, [this] {
        m_nameserver = 0;
        ask();
    });
}

DnsFollower::~DnsFollower() = default;   // the lookups are children: deleted, their threads' answers dropped

void DnsFollower::start()
{
    m_timer->stop();
    m_nameserver = 0;
    ask();
}

QString DnsFollower::addressesText(const QList<QHostAddress> &addresses)
{
    if (addresses.isEmpty())
        return QStringLiteral("none");
    QStringList texts;
    for (const QHostAddress &address : addresses)
        texts << address.toString();
    return texts.join(QStringLiteral(", "));
}

void DnsFollower::ask()
{
    if (m_pending > 0 || m_config.nameservers.isEmpty())
        return;
    if (m_nameserver == 0)
        m_roundErrors.clear();
    m_answer.clear();
    m_shortestTtlMs = kLongestTtlMs;
    const QHostAddress nameserver(m_config.nameservers.value(m_nameserver));
    for (QDnsLookup::Type type : {QDnsLookup::A, QDnsLookup::AAAA}) {
        auto *lookup = new QDnsLookup(type, m_name, nameserver, this);
        connect(lookup, &QDnsLookup::finished, this, [this, lookup] { lookupFinished(lookup); });
        ++m_pending;
        lookup->lookup();
    }
}

void DnsFollower::lookupFinished(QDnsLookup *lookup)
{
    lookup->deleteLater();
    if (lookup->error() == QDnsLookup::NoError) {
        for (const QDnsHostAddressRecord &record : lookup->hostAddressRecords()) {
            if (!m_answer.contains(record.value()))
                m_answer.append(record.value());
            m_shortestTtlMs = std::min(m_shortestTtlMs, qint64(record.timeToLive()) * 1000);
        }
    } else {
        switch (lookup->error()) {
        case QDnsLookup::NotFoundError: m_lookupError = QStringLiteral("the name does not exist (NXDOMAIN)"); break;
        // Qt 6.4 says "Invalid reply received" both for a nameserver that did not answer and for
        // "no record of this type" (a name with A records only, asked for AAAA).
        case QDnsLookup::InvalidReplyError: m_lookupError = QStringLiteral("no answer, or no A/AAAA record"); break;
        case QDnsLookup::ServerFailureError: m_lookupError = QStringLiteral("server failure (SERVFAIL)"); break;
        case QDnsLookup::ServerRefusedError: m_lookupError = QStringLiteral("refused"); break;
        default: m_lookupError = lookup->errorString(); break;
        }
    }
    if (--m_pending == 0)
        roundFinished();
}

void DnsFollower::roundFinished()
{
    const QString nameserver = m_config.nameservers.value(m_nameserver);
    if (m_answer.isEmpty()) {
        m_roundErrors << QStringLiteral("%1: %2").arg(nameserver, m_lookupError.isEmpty() ? QStringLiteral("no A or AAAA record") : m_lookupError);
        m_lookupError.clear();
        if (m_nameserver + 1 < m_config.nameservers.size()) {
            ++m_nameserver;   // the next one answers this round
            ask();
            return;
        }
    }
    m_lookupError.clear();
    ++m_rounds;
    const QList<QHostAddress> previous = m_addresses;
    const QString previousError = m_error;
    qint64 nextMs = m_config.retryMs;
    if (m_answer.isEmpty()) {
        m_error = QStringLiteral("DNS gave no address for %1 (%2)").arg(m_name, m_roundErrors.join(QStringLiteral("; ")));
        if (!m_addresses.isEmpty())
            m_error += QStringLiteral("; the last addresses stay: %1").arg(addressesText(m_addresses));
    } else {
        m_error.clear();
        m_addresses = sorted(m_answer);
        nextMs = m_config.validMs > 0 ? m_config.validMs : std::clamp(m_shortestTtlMs, kShortestTtlMs, kLongestTtlMs);
    }
    m_nameserver = 0;
    m_timer->start(int(std::min<qint64>(nextMs, kLongestTtlMs)));
    Q_EMIT answered(previous, previousError);
}

} // namespace fulcrum
