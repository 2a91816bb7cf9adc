#include "checkresult.h"

#include "common/duration.h"

namespace fulcrum {

bool isPassing(CheckReason reason)
{
    return reason == CheckReason::L4OK || reason == CheckReason::L7OK;
}

QString checkReasonText(CheckReason reason, int httpStatus)
{
    switch (reason) {
    case CheckReason::None: return QStringLiteral("-");
    case CheckReason::L4OK: return QStringLiteral("L4OK");
    case CheckReason::L4TOUT: return QStringLiteral("L4TOUT");
    case CheckReason::L4CON: return QStringLiteral("L4CON");
    case CheckReason::L7OK: return QStringLiteral("L7OK");
    case CheckReason::L7STS: return QStringLiteral("L7STS %1").arg(httpStatus);
    case CheckReason::L7TOUT: return QStringLiteral("L7TOUT");
    case CheckReason::L7RSP: return QStringLiteral("L7RSP");
    case CheckReason::L6TOUT: return QStringLiteral("L6TOUT");
    case CheckReason::L6RSP: return QStringLiteral("L6RSP");
    }
    return QStringLiteral("-");
}

CheckReason parseCheckReason(QStringView text, int *httpStatus)
{
    *httpStatus = 0;
    const QString whole = text.toString();
    const QString word = whole.section(u' ', 0, 0);
    for (CheckReason reason : {CheckReason::L4OK, CheckReason::L4TOUT, CheckReason::L4CON, CheckReason::L6TOUT, CheckReason::L6RSP, CheckReason::L7OK,
                               CheckReason::L7STS, CheckReason::L7TOUT, CheckReason::L7RSP}) {
        if (word != checkReasonText(reason, 0).section(u' ', 0, 0))
            continue;
        if (reason == CheckReason::L7STS)
            *httpStatus = whole.section(u' ', 1, 1).toInt();
        return reason;
    }
    return CheckReason::None;
}

QString CheckResult::reasonText() const
{
    return checkReasonText(reason, httpStatus);
}

QString CheckResult::summary() const
{
    if (reason == CheckReason::None)
        return QStringLiteral("not checked yet");
    QString text = QStringLiteral("%1 in %2").arg(reasonText(), formatDurationMs(durationUs / 1000));
    if (!detail.isEmpty())
        text += QStringLiteral(" (%1)").arg(detail);
    return text;
}

} // namespace fulcrum
