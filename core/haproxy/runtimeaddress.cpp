#include "haproxy/runtimeaddress.h"

#include <QHostAddress>

namespace fulcrum {

QString RuntimeAddress::toString() const
{
    if (kind == Kind::Unix)
        return path;
    return host.contains(u':') ? QStringLiteral("[%1]:%2").arg(host).arg(port) : QStringLiteral("%1:%2").arg(host).arg(port);
}

std::optional<RuntimeAddress> RuntimeAddress::parse(const QString &input, QString *error)
{
    const QString text = input.trimmed();
    const auto fail = [&](const QString &why) -> std::optional<RuntimeAddress> {
        *error = QStringLiteral("HAProxy address \"%1\": %2; use a socket path such as /run/haproxy/admin.sock "
                                "or host:port such as 127.0.0.1:9999").arg(input, why);
        return std::nullopt;
    };
    if (text.isEmpty())
        return fail(QStringLiteral("empty"));
    RuntimeAddress address;
    if (text.startsWith(u'/') || text.startsWith(QLatin1String("unix@"))) {
        address.kind = Kind::Unix;
        address.path = text.startsWith(u'/') ? text : text.mid(5);
        if (!address.path.startsWith(u'/'))
            return fail(QStringLiteral("a Unix socket path must be absolute"));
        return address;
    }
    QString rest = text;
    bool ipv6 = false;
    if (rest.startsWith(QLatin1String("ipv4@")) || rest.startsWith(QLatin1String("tcp@"))) {
        rest = rest.mid(rest.indexOf(u'@') + 1);
    } else if (rest.startsWith(QLatin1String("ipv6@"))) {
        rest = rest.mid(5);
        ipv6 = true;
    }
    const qsizetype colon = rest.lastIndexOf(u':');
    if (colon <= 0)
        return fail(QStringLiteral("no port; a TCP stats socket is host:port"));
    QString host = rest.left(colon);
    if (host.startsWith(u'[') && host.endsWith(u']'))
        host = host.mid(1, host.size() - 2);
    else if (host.contains(u':') && !ipv6)
        return fail(QStringLiteral("an IPv6 address needs brackets: [::1]:9999"));
    bool ok = false;
    const uint port = rest.mid(colon + 1).toUInt(&ok);
    if (!ok || port == 0 || port > 65535)
        return fail(QStringLiteral("port \"%1\" is not 1..65535").arg(rest.mid(colon + 1)));
    if (host.isEmpty())
        return fail(QStringLiteral("no host"));
    address.kind = Kind::Tcp;
    address.host = host;
    address.port = quint16(port);
    return address;
}

} // namespace fulcrum
