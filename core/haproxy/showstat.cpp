#include "haproxy/showstat.h"

namespace fulcrum {

StatRow::StatRow(std::shared_ptr<const QHash<QString, int>> columns, QStringList values, int line)
    : m_columns(std::move(columns)), m_values(std::move(values)), m_line(line)
{
}

bool StatRow::has(const QString &column) const
{
    return m_columns && m_columns->contains(column);
}

QString StatRow::text(const QString &column) const
{
    if (!m_columns)
        return QString();
    const int index = m_columns->value(column, -1);
    return index >= 0 && index < m_values.size() ? m_values[index] : QString();
}

std::optional<qint64> StatRow::number(const QString &column) const
{
    const QString value = text(column);
    if (value.isEmpty())
        return std::nullopt;
    bool ok = false;
    const qint64 n = value.toLongLong(&ok);
    return ok ? std::optional<qint64>(n) : std::nullopt;
}

std::optional<QStringList> splitCsvLine(QStringView line)
{
    QStringList fields;
    QString field;
    bool quoted = false;
    for (qsizetype i = 0; i < line.size(); ++i) {
        const QChar c = line[i];
        if (quoted) {
            if (c != u'"') {
                field += c;
            } else if (i + 1 < line.size() && line[i + 1] == u'"') {
                field += u'"';
                ++i;
            } else {
                quoted = false;
            }
        } else if (c == u'"') {
            quoted = true;
        } else if (c == u',') {
            fields.append(field);
            field.clear();
        } else {
            field += c;
        }
    }
    if (quoted)
        return std::nullopt;
    fields.append(field);
    return fields;
}

std::optional<ShowStat> parseShowStat(const QByteArray &output, QString *error)
{
    const QString text = QString::fromUtf8(output);
    const QStringList lines = text.split(u'\n');
    const QString first = lines.value(0).trimmed();
    if (!first.startsWith(QLatin1String("# "))) {
        const QString shown = first.isEmpty() ? QStringLiteral("nothing") : QStringLiteral("\"%1\"").arg(first.left(120));
        *error = QStringLiteral("`show stat` answered %1 instead of the \"# pxname,svname,...\" header; "
                                "is this a HAProxy stats socket?").arg(shown);
        return std::nullopt;
    }
    const std::optional<QStringList> header = splitCsvLine(QStringView(first).mid(2));
    if (!header) {
        *error = QStringLiteral("`show stat` line 1: unterminated quote in the header");
        return std::nullopt;
    }
    auto columns = std::make_shared<QHash<QString, int>>();
    for (int i = 0; i < header->size(); ++i) {
        const QString &name = header->at(i);
        // "-" separates HAProxy's own columns from the extra modules' (h1, h2, ssl); an
        // empty name is the trailing comma. Neither names a field anyone reads.
        if (name.isEmpty() || name == QLatin1String("-"))
            continue;
        if (columns->contains(name)) {
            *error = QStringLiteral("`show stat` line 1: column \"%1\" appears twice").arg(name);
            return std::nullopt;
        }
        columns->insert(name, i);
    }
    for (const char *required : {"pxname", "svname", "status"}) {
        if (!columns->contains(QLatin1String(required))) {
            *error = QStringLiteral("`show stat` has no \"%1\" column; this HAProxy is too old or this is not its stats output")
                         .arg(QLatin1String(required));
            return std::nullopt;
        }
    }
    ShowStat result;
    result.columns = *header;
    const int typeColumn = columns->value(QStringLiteral("type"), -1);
    for (int i = 1; i < lines.size(); ++i) {
        const QString line = lines[i].trimmed();
        if (line.isEmpty())
            continue;   // HAProxy ends every answer with an empty line
        std::optional<QStringList> values = splitCsvLine(line);
        if (!values) {
            *error = QStringLiteral("`show stat` line %1: unterminated quote").arg(i + 1);
            return std::nullopt;
        }
        if (values->size() != header->size()) {
            *error = QStringLiteral("`show stat` line %1 has %2 fields, the header has %3; the output is cut or mixed")
                         .arg(i + 1).arg(values->size()).arg(header->size());
            return std::nullopt;
        }
        StatRow row(columns, std::move(*values), i + 1);
        if (row.proxy().isEmpty() || row.service().isEmpty()) {
            *error = QStringLiteral("`show stat` line %1 has an empty pxname or svname").arg(i + 1);
            return std::nullopt;
        }
        // type: 0 frontend, 1 backend, 2 server, 3 listener; svname says the same for the first two.
        const qint64 type = typeColumn >= 0 ? row.number(QStringLiteral("type"), -1)
                            : row.service() == QLatin1String("FRONTEND") ? 0
                            : row.service() == QLatin1String("BACKEND") ? 1 : 2;
        switch (type) {
        case 0: result.frontends.append(row); break;
        case 1: result.backends.append(row); break;
        case 2: result.servers.append(row); break;
        case 3: result.listeners.append(row); break;
        default:
            *error = QStringLiteral("`show stat` line %1: unknown row type \"%2\"").arg(i + 1).arg(row.text(QStringLiteral("type")));
            return std::nullopt;
        }
    }
    return result;
}

} // namespace fulcrum
