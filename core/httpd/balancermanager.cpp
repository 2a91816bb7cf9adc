#include "httpd/balancermanager.h"

#include <QUrlQuery>
#include <QXmlStreamReader>

#include <cmath>

namespace fulcrum {

namespace {

const QString kNamespace = QStringLiteral("http://httpd.apache.org");

qint64 number(const QString &text)
{
    return text.trimmed().toLongLong();
}

} // namespace

bool HttpdWorker::hasFlag(QStringView flag) const
{
    const QStringList flags = status.split(u' ', Qt::SkipEmptyParts);
    return flags.contains(flag.toString());
}

QString HttpdWorker::serverName() const
{
    if (!route.isEmpty())
        return route;
    const QUrl parsed(url);
    return parsed.port() > 0 ? QStringLiteral("%1:%2").arg(parsed.host()).arg(parsed.port()) : parsed.host();
}

const HttpdWorker *HttpdBalancer::worker(const QString &serverName) const
{
    for (const HttpdWorker &w : workers) {
        if (w.serverName() == serverName)
            return &w;
    }
    return nullptr;
}

std::optional<QList<HttpdBalancer>> parseBalancerManagerXml(const QByteArray &xml, QString *error)
{
    QXmlStreamReader reader(xml);
    QList<HttpdBalancer> balancers;
    HttpdBalancer *balancer = nullptr;
    HttpdWorker *worker = nullptr;
    bool sawManager = false;
    while (!reader.atEnd()) {
        reader.readNext();
        if (reader.isStartElement() && reader.namespaceUri() == kNamespace) {
            const QStringView name = reader.name();
            if (name == u"manager") {
                sawManager = true;
            } else if (name == u"balancer") {
                balancers.append(HttpdBalancer{});
                balancer = &balancers.last();
                worker = nullptr;
            } else if (name == u"worker" && balancer) {
                balancer->workers.append(HttpdWorker{});
                worker = &balancer->workers.last();
            } else if (worker) {
                const QString text = reader.readElementText();
                if (name == u"name")
                    worker->url = text.trimmed();
                else if (name == u"route")
                    worker->route = text.trimmed();
                else if (name == u"loadfactor")
                    worker->loadFactor = text.trimmed().toDouble();
                else if (name == u"status")
                    worker->status = text.simplified();
                else if (name == u"elected")
                    worker->elected = number(text);
                else if (name == u"busy")
                    worker->busy = number(text);
                else if (name == u"transferred")
                    worker->transferred = number(text);
                else if (name == u"read")
                    worker->read = number(text);
                else if (name == u"lbset")
                    worker->lbset = int(number(text));
            } else if (balancer && name != u"workers") {
                const QString text = reader.readElementText();
                if (name == u"name")
                    balancer->name = text.trimmed().remove(QStringLiteral("balancer://"));
                else if (name == u"nonce")
                    balancer->nonce = text.trimmed();
                else if (name == u"lbmethod")
                    balancer->lbmethod = text.trimmed();
            }
        } else if (reader.isEndElement() && reader.namespaceUri() == kNamespace) {
            if (reader.name() == u"worker")
                worker = nullptr;
            else if (reader.name() == u"balancer")
                balancer = nullptr;
        }
    }
    if (reader.hasError() || !sawManager) {
        const QString start = QString::fromUtf8(xml.left(120)).simplified();
        *error = start.contains(QLatin1String("<html"), Qt::CaseInsensitive) || start.contains(QLatin1String("<!DOCTYPE"), Qt::CaseInsensitive)
            ? QStringLiteral("the balancer-manager answered its HTML page, not XML: httpd drops the query (?xml=1) "
                             "when the request has no Referer naming the server; check the URL points at the manager")
            : QStringLiteral("the answer is not balancer-manager XML (%1): %2")
                  .arg(reader.hasError() ? reader.errorString() : QStringLiteral("no httpd:manager element"), start);
        return std::nullopt;
    }
    return balancers;
}

BackendState httpdState(const HttpdWorker &worker, QString *stateText)
{
    const bool standby = worker.hasFlag(u"Stby");
    const QString suffix = standby ? QStringLiteral(" (standby)") : QString();
    if (worker.hasFlag(u"Dis") || worker.hasFlag(u"Stop")) {
        *stateText = (worker.hasFlag(u"Stop") ? QStringLiteral("stopped") : QStringLiteral("disabled")) + suffix;
        return BackendState::Maint;
    }
    if (worker.hasFlag(u"Err") || worker.hasFlag(u"HcFl")) {
        *stateText = (worker.hasFlag(u"HcFl") ? QStringLiteral("down (health check failed)") : QStringLiteral("down (in error)")) + suffix;
        return BackendState::Down;
    }
    if (worker.hasFlag(u"Drn")) {
        *stateText = QStringLiteral("drain") + suffix;
        return BackendState::Drain;
    }
    *stateText = QStringLiteral("up") + suffix;
    return BackendState::Up;
}

QByteArray httpdChangeForm(const HttpdBalancer &balancer, const HttpdWorker &worker, const HttpdChange &change)
{
    QUrlQuery form;
    if (change.loadFactor)
        form.addQueryItem(QStringLiteral("w_lf"), QString::number(*change.loadFactor, 'f', 2));
    if (change.drain)
        form.addQueryItem(QStringLiteral("w_status_N"), *change.drain ? QStringLiteral("1") : QStringLiteral("0"));
    if (change.disabled)
        form.addQueryItem(QStringLiteral("w_status_D"), *change.disabled ? QStringLiteral("1") : QStringLiteral("0"));
    form.addQueryItem(QStringLiteral("b"), balancer.name);
    form.addQueryItem(QStringLiteral("w"), worker.url);
    form.addQueryItem(QStringLiteral("nonce"), balancer.nonce);
    return form.query(QUrl::FullyEncoded).toUtf8();
}

bool httpdChangeApplied(const HttpdWorker &worker, const HttpdChange &change)
{
    if (change.loadFactor && std::abs(worker.loadFactor - *change.loadFactor) > 0.005)
        return false;
    if (change.drain && worker.hasFlag(u"Drn") != *change.drain)
        return false;
    if (change.disabled && worker.hasFlag(u"Dis") != *change.disabled)
        return false;
    return true;
}

} // namespace fulcrum
