#pragma once

#include "balancer/backend.h"

#include <QByteArray>
#include <QList>
#include <QString>
#include <QUrl>

#include <optional>

namespace fulcrum {

// One BalancerMember as Apache httpd's balancer-manager reports it (`?xml=1`).
struct HttpdWorker
{
    QString url;                  // "http://10.0.0.5:8080": httpd's name for it, and the w= of a change
    QString route;
    double loadFactor = 1;        // 1–100 (decimals since httpd 2.4.41)
    QString status;               // "Init Ok", "Init Drn Ok", "Init Dis Err", ...
    qint64 elected = 0;           // requests sent to it since httpd started (cumulative)
    qint64 busy = 0;              // requests in flight
    qint64 transferred = 0;       // bytes sent to it
    qint64 read = 0;              // bytes read from it
    int lbset = 0;

    bool hasFlag(QStringView flag) const;
    // The console's name for it: its route when it has one (what operators use), else host:port.
    QString serverName() const;
};

struct HttpdBalancer
{
    QString name;                 // "web", from "balancer://web"
    QString nonce;                // a change must carry it; new at every httpd start
    QString lbmethod;             // byrequests, bytraffic, bybusyness, heartbeat
    QList<HttpdWorker> workers;

    const HttpdWorker *worker(const QString &serverName) const;
};

// Parses `GET /balancer-manager?xml=1`; nullopt with *error saying what the answer was when
// it is not the manager's XML (an HTML page: httpd ignored the parameters, see kReferer).
std::optional<QList<HttpdBalancer>> parseBalancerManagerXml(const QByteArray &xml, QString *error);

// A member's status flags as Fulcrum's state, with the words the console shows:
// Dis/Stop → maint ("disabled"), Drn → drain, Err/HcFl → down, else up; Stby is a backup.
BackendState httpdState(const HttpdWorker &worker, QString *stateText);

// The form a balancer-manager change is POSTed as (what its own HTML form sends).
struct HttpdChange
{
    std::optional<double> loadFactor;
    std::optional<bool> drain;    // w_status_N
    std::optional<bool> disabled; // w_status_D
};
QByteArray httpdChangeForm(const HttpdBalancer &balancer, const HttpdWorker &worker, const HttpdChange &change);
// True when `worker` as read back shows `change` applied (httpd answers 200 even when it ignored it).
bool httpdChangeApplied(const HttpdWorker &worker, const HttpdChange &change);

} // namespace fulcrum
