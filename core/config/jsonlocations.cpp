#include "jsonlocations.h"

#include <QJsonArray>
#include <QJsonDocument>

namespace fulcrum {

namespace {

class Scanner
{
public:
    Scanner(const QByteArray &text, QHash<QString, TextPosition> &values, QHash<QString, TextPosition> &keys)
        : m_text(text), m_values(values), m_keys(keys)
    {
    }

    bool value(const QString &pointer)
    {
        skipSpace();
        if (m_pos >= m_text.size())
            return false;
        m_values.insert(pointer, here());
        const char c = m_text[m_pos];
        if (c == '{')
            return object(pointer);
        if (c == '[')
            return array(pointer);
        if (c == '"') {
            QString ignored;
            return string(ignored);
        }
        while (m_pos < m_text.size() && !QByteArrayView(",]} \t\r\n").contains(m_text[m_pos]))
            advance();
        return true;
    }

private:
    bool object(const QString &pointer)
    {
        advance(); // {
        skipSpace();
        if (peek() == '}') {
            advance();
            return true;
        }
        while (m_pos < m_text.size()) {
            skipSpace();
            const TextPosition keyAt = here();
            QString key;
            if (!string(key))
                return false;
            const QString childPointer = JsonLocations::child(pointer, key);
            m_keys.insert(childPointer, keyAt);
            skipSpace();
            if (peek() != ':')
                return false;
            advance();
            if (!value(childPointer))
                return false;
            skipSpace();
            if (peek() == ',') {
                advance();
                continue;
            }
            if (peek() == '}') {
                advance();
                return true;
            }
            return false;
        }
        return false;
    }

    bool array(const QString &pointer)
    {
        advance(); // [
        skipSpace();
        if (peek() == ']') {
            advance();
            return true;
        }
        for (int index = 0; m_pos < m_text.size(); ++index) {
            if (!value(JsonLocations::child(pointer, index)))
                return false;
            skipSpace();
            if (peek() == ',') {
                advance();
                continue;
            }
            if (peek() == ']') {
                advance();
                return true;
            }
            return false;
        }
        return false;
    }

    bool string(QString &out)
    {
        if (peek() != '"')
            return false;
        const qsizetype start = m_pos;
        advance();
        bool escaped = false;
        while (m_pos < m_text.size()) {
            const char c = m_text[m_pos];
            advance();
            if (escaped) {
                escaped = false;
            } else if (c == '\\') {
                escaped = true;
            } else if (c == '"') {
                const QByteArray raw = m_text.mid(start, m_pos - start);
                if (!raw.contains('\\')) {
                    out = QString::fromUtf8(raw.mid(1, raw.size() - 2));
                } else {
                    const QJsonDocument doc = QJsonDocument::fromJson("[" + raw + "]");
                    out = doc.array().at(0).toString();
                }
                return true;
            }
        }
        return false;
    }

    char peek() const { return m_pos < m_text.size() ? m_text[m_pos] : '\0'; }
    void advance()
    {
        if (m_text[m_pos] == '\n') {
            ++m_line;
            m_column = 1;
        } else if ((quint8(m_text[m_pos]) & 0xC0) != 0x80) {
            ++m_column; // count characters, not UTF-8 continuation bytes
        }
        ++m_pos;
    }
    void skipSpace()
    {
        while (m_pos < m_text.size() && QByteArrayView(" \t\r\n").contains(m_text[m_pos]))
            advance();
    }
    TextPosition here() const { return TextPosition{m_line, m_column}; }

    const QByteArray &m_text;
    QHash<QString, TextPosition> &m_values;
    QHash<QString, TextPosition> &m_keys;
    qsizetype m_pos = 0;
    int m_line = 1;
    int m_column = 1;
};

QString parentOf(const QString &pointer)
{
    const qsizetype slash = pointer.lastIndexOf(u'/');
    return slash <= 0 ? QString() : pointer.left(slash);
}

} // namespace

JsonLocations JsonLocations::scan(const QByteArray &text)
{
    JsonLocations locations;
    Scanner(text, locations.m_values, locations.m_keys).value(QString());
    return locations;
}

TextPosition JsonLocations::value(const QString &pointer) const
{
    for (QString p = pointer;; p = parentOf(p)) {
        const auto it = m_values.constFind(p);
        if (it != m_values.constEnd())
            return *it;
        if (p.isEmpty())
            return TextPosition{};
    }
}

TextPosition JsonLocations::key(const QString &pointer) const
{
    const auto it = m_keys.constFind(pointer);
    return it != m_keys.constEnd() ? *it : value(pointer);
}

TextPosition JsonLocations::positionOfOffset(const QByteArray &text, qsizetype offset)
{
    TextPosition p;
    for (qsizetype i = 0; i < offset && i < text.size(); ++i) {
        if (text[i] == '\n') {
            ++p.line;
            p.column = 1;
        } else if ((quint8(text[i]) & 0xC0) != 0x80) {
            ++p.column;
        }
    }
    return p;
}

QString JsonLocations::child(const QString &pointer, const QString &key)
{
    QString escaped = key;
    escaped.replace(u'~', QStringLiteral("~0")).replace(u'/', QStringLiteral("~1"));
    return pointer + u'/' + escaped;
}

QString JsonLocations::child(const QString &pointer, int index)
{
    return pointer + u'/' + QString::number(index);
}

} // namespace fulcrum
