#pragma once

#include <QString>

namespace fulcrum {

// Why a check passed or failed, in HAProxy's vocabulary, so operators who know HAProxy's
// stats page read ours without a legend.
enum class CheckReason : quint8 {
    None,   // no check has finished yet
    L4OK,   // TCP connect succeeded (tcp checks)
    L4TOUT, // no TCP connection within the timeout
    L4CON,  // connection refused, reset, unreachable, or could not be attempted
    L6TOUT, // connected, but no TLS handshake within the timeout (servers reached over TLS)
    L6RSP,  // the TLS handshake failed: the certificate, the protocol
    L7OK,   // HTTP status in the expected ranges (and body contains the expected text)
    L7STS,  // HTTP status outside the expected ranges
    L7TOUT, // connected, but no complete answer within the timeout
    L7RSP,  // connected, but the answer is not HTTP or lacks the expected text
};

bool isPassing(CheckReason reason);

// The outcome of one check.
struct CheckResult
{
    CheckReason reason = CheckReason::None;
    int httpStatus = 0;        // L7OK/L7STS
    qint64 durationUs = 0;
    QString detail;            // failures only: "Connection refused", "body lacks \"ok\"", ...

    bool passed() const { return isPassing(reason); }
    // "L7STS 503", "L4CON", "L7OK" (what HAProxy prints in its status column).
    QString reasonText() const;
    // "L7STS 503 in 2ms", "L4CON in 0ms (Connection refused)".
    QString summary() const;
};

QString checkReasonText(CheckReason reason, int httpStatus);
// The inverse of checkReasonText ("L7STS 503" → L7STS and 503); None for "-" or another text.
CheckReason parseCheckReason(QStringView text, int *httpStatus);

} // namespace fulcrum
