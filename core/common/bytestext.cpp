#include "bytestext.h"

#include <QChar>

#include <cctype>

namespace fulcrum {

// Length of the valid, printable UTF-8 sequence at bytes[i], or 0 when the byte must be escaped.
static int printableUtf8Length(const QByteArray &bytes, qsizetype i)
{
    const auto b = uchar(bytes[i]);
    if (b >= 0x20 && b < 0x7f)
        return b == '\\' ? 0 : 1;
    int length = 0;
    char32_t codePoint = 0;
    if ((b & 0xe0) == 0xc0) {
        length = 2;
        codePoint = b & 0x1f;
    } else if ((b & 0xf0) == 0xe0) {
        length = 3;
        codePoint = b & 0x0f;
    } else if ((b & 0xf8) == 0xf0) {
        length = 4;
        codePoint = b & 0x07;
    } else {
        return 0;
    }
    if (i + length > bytes.size())
        return 0;
    for (int k = 1; k < length; ++k) {
        const auto c = uchar(bytes[i + k]);
        if ((c & 0xc0) != 0x80)
            return 0;
        codePoint = (codePoint << 6) | (c & 0x3f);
    }
    static constexpr char32_t minimum[] = {0, 0, 0x80, 0x800, 0x10000};
    if (codePoint < minimum[length] || codePoint > 0x10ffff || (codePoint >= 0xd800 && codePoint <= 0xdfff))
        return 0; // overlong or surrogate: not valid UTF-8, escape byte by byte
    if (!QChar::isPrint(codePoint))
        return 0;
    return length;
}

QString escapeBytes(const QByteArray &bytes)
{
    QByteArray out;
    out.reserve(bytes.size());
    for (qsizetype i = 0; i < bytes.size();) {
        const int length = printableUtf8Length(bytes, i);
        if (length > 0) {
            out.append(bytes.constData() + i, length);
            i += length;
            continue;
        }
        if (bytes[i] == '\\') {
            out.append("\\\\");
        } else {
            static constexpr char hex[] = "0123456789abcdef";
            const auto b = uchar(bytes[i]);
            out.append("\\x");
            out.append(hex[b >> 4]);
            out.append(hex[b & 0xf]);
        }
        ++i;
    }
    return QString::fromUtf8(out);
}

std::optional<QByteArray> unescapeBytes(QStringView text)
{
    const QByteArray utf8 = text.toUtf8();
    QByteArray out;
    out.reserve(utf8.size());
    for (qsizetype i = 0; i < utf8.size(); ++i) {
        if (utf8[i] != '\\') {
            out.append(utf8[i]);
            continue;
        }
        if (i + 1 < utf8.size() && utf8[i + 1] == '\\') {
            out.append('\\');
            ++i;
            continue;
        }
        if (i + 3 < utf8.size() && utf8[i + 1] == 'x' && std::isxdigit(uchar(utf8[i + 2])) && std::isxdigit(uchar(utf8[i + 3]))) {
            out.append(char(utf8.mid(i + 2, 2).toInt(nullptr, 16)));
            i += 3;
            continue;
        }
        return std::nullopt; // a lone backslash: the text was not produced by escapeBytes()
    }
    return out;
}

} // namespace fulcrum
