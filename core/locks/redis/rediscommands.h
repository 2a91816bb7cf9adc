#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QList>

#include <initializer_list>
#include <string>
#include <vector>

namespace fulcrum {

// Commands in Redis's wire format (RESP arrays of bulk strings), one after another in one
// buffer. A lock pass sends two commands per lock; building them here costs a few appends per
// argument into one growing buffer, where hiredis's own formatter (redisFormatSdsCommandArgv)
// cost a sixth of a Cluster pass's client instructions, and a QList<QByteArray> per command an
// allocation each.
class RedisCommands
{
public:
    void reserve(qsizetype commands, qsizetype bytes);
    void add(std::initializer_list<QByteArrayView> arguments);
    void add(const QList<QByteArray> &arguments);
    // `head` then every one of `rest`: MGET k1 k2 ...
    void add(QByteArrayView head, const QList<QByteArray> &rest);

    qsizetype size() const { return qsizetype(m_ends.size()); }
    bool isEmpty() const { return m_ends.empty(); }
    // The i-th command's bytes, as it goes on the wire.
    QByteArrayView command(qsizetype i) const;
    // Every command's bytes, back to back.
    QByteArrayView bytes() const { return QByteArrayView(m_bytes.data(), qsizetype(m_bytes.size())); }

    static QByteArray format(const QList<QByteArray> &arguments);

private:
    void arrayHeader(qsizetype count);
    void bulk(QByteArrayView argument);
    void endCommand() { m_ends.push_back(qsizetype(m_bytes.size())); }

    std::string m_bytes;
    std::vector<qsizetype> m_ends;
};

} // namespace fulcrum
