#include "socketaddress.h"

#include <QHostAddress>

#include <cstring>

#include <arpa/inet.h>
#include <netinet/in.h>

namespace fulcrum {

void splitHostPort(const QString &text, const QString &defaultPort, QString *host, QString *port)
{
    *host = text;
    *port = defaultPort;
    if (text.startsWith(u'[')) {
        const qsizetype close = text.indexOf(u']');
        *host = text.mid(1, close - 1);
        if (text.mid(close + 1).startsWith(u':'))
            *port = text.mid(close + 2);
    } else if (text.count(u':') == 1) {
        *host = text.section(u':', 0, 0);
        *port = text.section(u':', 1);
    }
}

bool toSocketAddress(const QHostAddress &address, quint16 port, SocketAddress *out)
{
    *out = SocketAddress{};
    if (address.protocol() == QAbstractSocket::IPv4Protocol) {
        auto *in = reinterpret_cast<sockaddr_in *>(&out->address);
        in->sin_family = AF_INET;
        in->sin_port = htons(port);
        in->sin_addr.s_addr = htonl(address.toIPv4Address());
        out->addressLength = sizeof(sockaddr_in);
        return true;
    }
    if (address.protocol() == QAbstractSocket::IPv6Protocol) {
        auto *in6 = reinterpret_cast<sockaddr_in6 *>(&out->address);
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons(port);
        const Q_IPV6ADDR bytes = address.toIPv6Address();
        std::memcpy(&in6->sin6_addr, bytes.c, 16);
        in6->sin6_scope_id = address.scopeId().toUInt();
        out->addressLength = sizeof(sockaddr_in6);
        return true;
    }
    return false;
}

} // namespace fulcrum
