#include "duration.h"

#include <cmath>

namespace fulcrum {

std::optional<qint64> parseDurationMs(QStringView text)
{
    text = text.trimmed();
    if (text.isEmpty())
        return std::nullopt;
    qsizetype unitStart = 0;
    while (unitStart < text.size() && (text[unitStart].isDigit() || text[unitStart] == u'.'))
        ++unitStart;
    bool ok = false;
    const double value = text.left(unitStart).toDouble(&ok);
    if (!ok || value < 0 || !std::isfinite(value))
        return std::nullopt;
    const QStringView unit = text.mid(unitStart);
    double factor = 0;
    if (unit.isEmpty() || unit == u"ms")
        factor = 1;
    else if (unit == u"s")
        factor = 1000;
    else if (unit == u"m" || unit == u"min")
        factor = 60'000;
    else if (unit == u"h")
        factor = 3'600'000;
    else if (unit == u"d")
        factor = 86'400'000;
    else
        return std::nullopt;
    const double ms = value * factor;
    if (ms > 1e15)
        return std::nullopt;
    return qint64(std::llround(ms));
}

QString formatDurationMs(qint64 ms)
{
    if (ms < 0)
        return QStringLiteral("-") + formatDurationMs(-ms);
    if (ms < 1000)
        return QStringLiteral("%1ms").arg(ms);
    if (ms < 60'000) {
        const double s = double(ms) / 1000.0;
        return QStringLiteral("%1s").arg(s, 0, 'g', ms % 1000 == 0 ? 2 : 3);
    }
    qint64 s = ms / 1000;
    const qint64 d = s / 86400;
    s %= 86400;
    const qint64 h = s / 3600;
    s %= 3600;
    const qint64 m = s / 60;
    s %= 60;
    QString out;
    if (d)
        out += QStringLiteral("%1d").arg(d);
    if (h)
        out += QStringLiteral("%1h").arg(h);
    if (m && !d)
        out += QStringLiteral("%1m").arg(m);
    if (s && !d && !h)
        out += QStringLiteral("%1s").arg(s);
    return out;
}

} // namespace fulcrum
