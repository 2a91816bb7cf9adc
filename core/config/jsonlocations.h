#pragma once

#include <QByteArray>
#include <QHash>
#include <QString>

namespace fulcrum {

struct TextPosition
{
    int line = 1;
    int column = 1;
};

// Line and column of every key and value in a JSON text, by JSON pointer ("/pools/0/weight"),
// so config errors can point at the exact spot (QJsonDocument keeps no positions).
class JsonLocations
{
public:
    static JsonLocations scan(const QByteArray &text);

    // Position of the value at pointer, or of its nearest ancestor that has one.
    TextPosition value(const QString &pointer) const;
    // Position of the key that names pointer's value (for "unknown key" errors).
    TextPosition key(const QString &pointer) const;

    static TextPosition positionOfOffset(const QByteArray &text, qsizetype offset);
    static QString child(const QString &pointer, const QString &key);
    static QString child(const QString &pointer, int index);

private:
    QHash<QString, TextPosition> m_values;
    QHash<QString, TextPosition> m_keys;
};

} // namespace fulcrum
