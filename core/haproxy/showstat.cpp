#include "haproxy/showstat.h"

namespace fulcrum {

namespace {

// Where each field of a CSV line starts and how long it is (quotes included); nullopt on an
// unterminated quote.
std::optional<QList<StatRow::Span>> csvSpans(QByteArrayView line)
{
    QList<StatRow::Span> spans;
    int start = 0;
    bool quoted = false;
    for (int i = 0; i < int(line.size()); ++i) {
        const char c = line[i];
        if (c == '"') {
            quoted = !quoted;   // a doubled quote inside toggles twice
        } else if (c == ',' && !quoted) {
            spans.append({start, i - start});
            start = i + 1;
        }
    }
    if (quoted)
        return std::nullopt;
    spans.append({start, int(line.size()) - start});
    return spans;
}

QByteArray unquote(QByteArrayView field)
{
    if (!field.startsWith('"'))
        return field.toByteArray();
    QByteArray out;
    out.reserve(field.size());
    for (qsizetype i = 1; i < field.size(); ++i) {
        if (field[i] != '"') {
            out += field[i];
        } else if (i + 1 < field.size() && field[i + 1] == '"') {
            out += '"';
            ++i;
        }
    }
    return out;
}

} // namespace

StatRow::StatRow(std::shared_ptr<const QHash<QString, int>> columns, QByteArray line, QList<Span> spans, int lineNumber)
    : m_columns(std::move(columns)), m_text(std::move(line)), m_spans(std::move(spans)), m_line(lineNumber)
{
}

bool StatRow::has(const QString &column) const
{
    return m_columns && m_columns->contains(column);
}

QByteArray StatRow::field(const QString &column) const
{
    if (!m_columns)
        return QByteArray();
    const int index = m_columns->value(column, -1);
    if (index < 0 || index >= m_spans.size())
        return QByteArray();
    const Span span = m_spans[index];
    return unquote(QByteArrayView(m_text).sliced(span.first, span.second));
}

QString StatRow::text(const QString &column) const
{
    return QString::fromUtf8(field(column));
}

std::optional<qint64> StatRow::number(const QString &column) const
{
    const QByteArray value = field(column);
    if (value.isEmpty())
        return std::nullopt;
    bool ok = false;
    const qint64 n = value.toLongLong(&ok);
    return ok ? std::optional<qint64>(n) : std::nullopt;
}

std::optional<QStringList> splitCsvLine(QByteArrayView line)
{
    const std::optional<QList<StatRow::Span>> spans = csvSpans(line);
    if (!spans)
        return std::nullopt;
    QStringList fields;
    for (const StatRow::Span &span : *spans)
        fields.append(QString::fromUtf8(unquote(line.sliced(span.first, span.second))));
    return fields;
}

std::optional<ShowStat> parseShowStat(const QByteArray &output, QString *error)
{
    qsizetype end = output.indexOf('\n');
    if (end < 0)
        end = output.size();
    const QByteArray first = output.left(end).trimmed();
    if (!first.startsWith("# ")) {
        const QString shown = first.isEmpty() ? QStringLiteral("nothing") : QStringLiteral("\"%1\"").arg(QString::fromUtf8(first.left(120)));
        *error = QStringLiteral("`show stat` answered %1 instead of the \"# pxname,svname,...\" header; "
                                "is this a HAProxy stats socket?").arg(shown);
        return std::nullopt;
    }
    const std::optional<QStringList> header = splitCsvLine(QByteArrayView(first).sliced(2));
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
    const bool hasType = columns->contains(QStringLiteral("type"));
    int lineNumber = 1;
    for (qsizetype start = end + 1; start < output.size(); start = end + 1) {
        ++lineNumber;
        end = output.indexOf('\n', start);
        if (end < 0)
            end = output.size();
        const QByteArray line = output.mid(start, end - start).trimmed();
        if (line.isEmpty())
            continue;   // HAProxy ends every answer with an empty line
        std::optional<QList<StatRow::Span>> spans = csvSpans(line);
        if (!spans) {
            *error = QStringLiteral("`show stat` line %1: unterminated quote").arg(lineNumber);
            return std::nullopt;
        }
        if (spans->size() != header->size()) {
            *error = QStringLiteral("`show stat` line %1 has %2 fields, the header has %3; the output is cut or mixed")
                         .arg(lineNumber).arg(spans->size()).arg(header->size());
            return std::nullopt;
        }
        StatRow row(columns, line, std::move(*spans), lineNumber);
        const QString proxy = row.proxy();
        const QString service = row.service();
        if (proxy.isEmpty() || service.isEmpty()) {
            *error = QStringLiteral("`show stat` line %1 has an empty pxname or svname").arg(lineNumber);
            return std::nullopt;
        }
        // type: 0 frontend, 1 backend, 2 server, 3 listener; svname says the same for the first two.
        const qint64 type = hasType ? row.number(QStringLiteral("type"), -1)
                            : service == QLatin1String("FRONTEND") ? 0
                            : service == QLatin1String("BACKEND") ? 1 : 2;
        switch (type) {
        case 0: result.frontends.append(row); break;
        case 1: result.backends.append(row); break;
        case 2: result.servers.append(row); break;
        case 3: result.listeners.append(row); break;
        default:
            *error = QStringLiteral("`show stat` line %1: unknown row type \"%2\"").arg(lineNumber).arg(row.text(QStringLiteral("type")));
            return std::nullopt;
        }
    }
    return result;
}

} // namespace fulcrum
