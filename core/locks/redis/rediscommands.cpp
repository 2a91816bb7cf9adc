#include "rediscommands.h"

#include <charconv>

namespace fulcrum {

void RedisCommands::reserve(qsizetype commands, qsizetype bytes)
{
    m_ends.reserve(size_t(commands));
    m_bytes.reserve(size_t(bytes));
}

// "*<count>\r\n" or "$<length>\r\n" at `at`; returns the end.
static char *writeLength(char *at, char kind, qsizetype length)
{
    *at++ = kind;
    at = std::to_chars(at, at + 20, length).ptr;
    *at++ = '\r';
    *at++ = '\n';
    return at;
}

void RedisCommands::arrayHeader(qsizetype count)
{
    char text[24];
    m_bytes.append(text, size_t(writeLength(text, '*', count) - text));
}

void RedisCommands::bulk(QByteArrayView argument)
{
    char text[24];
    m_bytes.append(text, size_t(writeLength(text, '$', argument.size()) - text));
    m_bytes.append(argument.data(), size_t(argument.size()));
    m_bytes.append("\r\n", 2);
}

void RedisCommands::add(std::initializer_list<QByteArrayView> arguments)
{
    arrayHeader(qsizetype(arguments.size()));
    for (const QByteArrayView argument : arguments)
        bulk(argument);
    endCommand();
}

void RedisCommands::add(const QList<QByteArray> &arguments)
{
    arrayHeader(arguments.size());
    for (const QByteArray &argument : arguments)
        bulk(argument);
    endCommand();
}

void RedisCommands::add(QByteArrayView head, const QList<QByteArray> &rest)
{
    arrayHeader(rest.size() + 1);
    bulk(head);
    for (const QByteArray &argument : rest)
        bulk(argument);
    endCommand();
}

QByteArrayView RedisCommands::command(qsizetype i) const
{
    const qsizetype begin = i == 0 ? 0 : m_ends[size_t(i - 1)];
    return QByteArrayView(m_bytes.data() + begin, m_ends[size_t(i)] - begin);
}

QByteArray RedisCommands::format(const QList<QByteArray> &arguments)
{
    RedisCommands one;
    one.add(arguments);
    return QByteArray(one.m_bytes.data(), qsizetype(one.m_bytes.size()));
}

} // namespace fulcrum
