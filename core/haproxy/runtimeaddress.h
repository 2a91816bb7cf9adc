#pragma once

#include <QString>

#include <optional>

namespace fulcrum {

// Where a HAProxy Runtime API (stats socket) listens, as an operator writes it: a Unix
// socket path ("/run/haproxy/admin.sock", "unix@/run/haproxy/admin.sock") or a TCP address
// ("127.0.0.1:9999", "ipv4@127.0.0.1:9999", "[::1]:9999", "ipv6@::1:9999"), the same
// spellings as the `stats socket` line in haproxy.cfg.
struct RuntimeAddress
{
    enum class Kind { Unix, Tcp };
    Kind kind = Kind::Unix;
    QString path;                 // Unix
    QString host;                 // TCP
    quint16 port = 0;             // TCP

    QString toString() const;
    // nullopt with *error naming the input and the expected forms.
    static std::optional<RuntimeAddress> parse(const QString &text, QString *error);
};

} // namespace fulcrum
