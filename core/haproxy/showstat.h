#pragma once

#include <QByteArray>
#include <QHash>
#include <QList>
#include <QString>
#include <QStringList>

#include <memory>
#include <optional>

namespace fulcrum {

// One line of HAProxy's `show stat`, read by column name as the header line names them:
// columns move between HAProxy versions and new ones are added at the end.
class StatRow
{
public:
    // A field's place in the line: start and length, quotes included.
    using Span = std::pair<int, int>;

    StatRow() = default;
    StatRow(std::shared_ptr<const QHash<QString, int>> columns, QByteArray line, QList<Span> spans, int lineNumber);

    bool has(const QString &column) const;
    // The field's text; empty when the column is missing or the field is empty.
    QString text(const QString &column) const;
    // The field as a whole number; nullopt when missing, empty or not a number.
    std::optional<qint64> number(const QString &column) const;
    qint64 number(const QString &column, qint64 fallback) const { return number(column).value_or(fallback); }

    QString proxy() const { return text(QStringLiteral("pxname")); }
    QString service() const { return text(QStringLiteral("svname")); }
    int line() const { return m_line; }   // 1-based line in the output, for messages

private:
    QByteArray field(const QString &column) const;

    // The line and where its fields are, rather than ~150 strings per row: only a dozen are
    // read, and `show stat` of a thousand servers comes at every tick.
    std::shared_ptr<const QHash<QString, int>> m_columns;
    QByteArray m_text;
    QList<Span> m_spans;
    int m_line = 0;
};

// `show stat` split by row type: frontends, backends (the per-proxy totals) and servers.
// Listener rows (`option socket-stats`) are kept apart and not used.
struct ShowStat
{
    QStringList columns;
    QList<StatRow> frontends;
    QList<StatRow> backends;
    QList<StatRow> servers;
    QList<StatRow> listeners;
};

// Parses `show stat` output strictly: the first line must be the "# pxname,svname,..."
// header, every line must have as many fields as the header (fields may be quoted, as
// HAProxy's csv_enc does), and pxname, svname and status must be there. Unknown columns
// are kept and ignored. On failure: nullopt, *error names the line and what is wrong.
std::optional<ShowStat> parseShowStat(const QByteArray &output, QString *error);

// Splits one CSV line into fields: commas, double-quoted fields with "" for a quote.
// nullopt on an unterminated quote.
std::optional<QStringList> splitCsvLine(QByteArrayView line);

} // namespace fulcrum
