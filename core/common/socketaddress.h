#pragma once

#include <QString>
#include <QtGlobal>

#include <sys/socket.h>

class QHostAddress;

namespace fulcrum {

// An address to connect() to, resolved once: health checks and the proxy's server
// connections both connect with plain non-blocking sockets.
struct SocketAddress
{
    sockaddr_storage address{};
    socklen_t addressLength = 0;
    bool valid() const { return addressLength > 0; }
};

// An IPv4 or IPv6 address and a port; false (and *out invalid) for anything else.
bool toSocketAddress(const QHostAddress &address, quint16 port, SocketAddress *out);

// "HOST", "HOST:PORT", "[IPV6]" or "[IPV6]:PORT" into its host and port text (defaultPort when
// none is written; a bare IPv6 address without brackets is all host). Checks nothing.
void splitHostPort(const QString &text, const QString &defaultPort, QString *host, QString *port);

} // namespace fulcrum
