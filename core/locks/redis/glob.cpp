#include "glob.h"

#include <algorithm>

namespace fulcrum {

static bool matchClass(QByteArrayView pattern, qsizetype &p, char c)
{
    // pattern[p] is '[': returns whether c matches, leaves p on the closing ']' (or the end).
    ++p;
    const bool negate = p < pattern.size() && pattern[p] == '^';
    if (negate)
        ++p;
    bool matched = false;
    while (p < pattern.size() && pattern[p] != ']') {
        if (pattern[p] == '\\' && p + 1 < pattern.size()) {
            ++p;
            matched = matched || pattern[p] == c;
        } else if (p + 2 < pattern.size() && pattern[p + 1] == '-' && pattern[p + 2] != ']') {
            char lo = pattern[p];
            char hi = pattern[p + 2];
            if (lo > hi)
                std::swap(lo, hi);
            matched = matched || (uchar(c) >= uchar(lo) && uchar(c) <= uchar(hi));
            p += 2;
        } else {
            matched = matched || pattern[p] == c;
        }
        ++p;
    }
    return negate ? !matched : matched;
}

bool redisGlobMatch(QByteArrayView pattern, QByteArrayView text)
{
    qsizetype p = 0;
    qsizetype s = 0;
    while (p < pattern.size()) {
        switch (pattern[p]) {
        case '*': {
            while (p + 1 < pattern.size() && pattern[p + 1] == '*')
                ++p;
            if (p + 1 == pattern.size())
                return true;
            for (qsizetype i = s; i <= text.size(); ++i) {
                if (redisGlobMatch(pattern.sliced(p + 1), text.sliced(i)))
                    return true;
            }
            return false;
        }
        case '?':
            if (s >= text.size())
                return false;
            ++s;
            break;
        case '[':
            if (s >= text.size() || !matchClass(pattern, p, text[s]))
                return false;
            ++s;
            break;
        case '\\':
            if (p + 1 < pattern.size())
                ++p;
            [[fallthrough]];
        default:
            if (s >= text.size() || pattern[p] != text[s])
                return false;
            ++s;
            break;
        }
        ++p;
    }
    return s == text.size();
}

// The literal stretches of a glob: what every match contains verbatim.
static QList<QByteArray> literalRuns(const QByteArray &pattern)
{
    QList<QByteArray> runs;
    QByteArray run;
    for (qsizetype p = 0; p < pattern.size(); ++p) {
        const char c = pattern[p];
        if (c == '\\' && p + 1 < pattern.size()) {
            run += pattern[++p];
            continue;
        }
        if (c == '*' || c == '?' || c == '[') {
            if (!run.isEmpty())
                runs << run;
            run.clear();
            if (c == '[') {
                while (p < pattern.size() && pattern[p] != ']')
                    p += pattern[p] == '\\' ? 2 : 1;
            }
            continue;
        }
        run += c;
    }
    if (!run.isEmpty())
        runs << run;
    return runs;
}

std::optional<QByteArray> coveringGlob(const QList<QByteArray> &patterns)
{
    if (patterns.isEmpty())
        return std::nullopt;
    QList<QList<QByteArray>> runs;
    for (const QByteArray &p : patterns)
        runs << literalRuns(p);
    QByteArray best;
    for (const QByteArray &run : runs.first()) {
        for (qsizetype length = run.size(); length > best.size(); --length) {
            for (qsizetype start = 0; start + length <= run.size(); ++start) {
                const QByteArray candidate = run.mid(start, length);
                const bool inAll = std::all_of(runs.begin() + 1, runs.end(), [&](const QList<QByteArray> &other) {
                    return std::any_of(other.begin(), other.end(), [&](const QByteArray &r) { return r.contains(candidate); });
                });
                if (inAll) {
                    best = candidate;
                    break;
                }
            }
        }
    }
    if (best.size() < 3)
        return std::nullopt;
    QByteArray glob = "*";
    for (const char c : std::as_const(best)) {
        if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\')
            glob += '\\';
        glob += c;
    }
    return glob + '*';
}

} // namespace fulcrum
