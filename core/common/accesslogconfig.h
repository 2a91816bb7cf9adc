#pragma once

#include <QString>
#include <QtGlobal>

namespace fulcrum {

// proxy.access_log: one line per request the proxy answered (nginx's access_log, HAProxy's
// httplog). Each worker appends to the file through its own buffer, written when it holds
// 64 KiB or once a second; a file moved away (logrotate) is noticed within a second and made
// again at the path.
struct AccessLogConfig
{
    enum class Format { Text, Json };
    QString path;                                   // absolute; empty: no access log
    Format format = Format::Text;                   // text: nginx's "combined" and then key=value fields
    bool errorsOnly = false;                        // only: "errors": status >= 400, or a request that did not end normally

    bool enabled() const { return !path.isEmpty(); }
    friend bool operator==(const AccessLogConfig &, const AccessLogConfig &) = default;
};

} // namespace fulcrum
