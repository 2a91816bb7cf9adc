#pragma once

#include <QByteArray>

namespace fulcrum {

// What a ClientSession reads one client's requests from and writes its responses to: the
// client's TCP (or TLS) connection, or one HTTP/2 stream of it. The calls mean what they mean
// on StreamSocket; a stream carries exactly one request and its response.
class ClientStream
{
public:
    virtual qsizetype bytesAvailable() const = 0;
    virtual QByteArray read(qsizetype max) = 0;
    virtual QByteArray readAll() = 0;
    // Moves up to max bytes to the end of target. Into an empty target the stream may hand
    // over its whole buffer and keep target's memory for its next read, so the buffers of a
    // keep-alive connection go back and forth instead of being allocated per request.
    virtual void readInto(QByteArray &target, qsizetype max)
    {
        QByteArray bytes = read(max);
        if (target.isEmpty())
            target.swap(bytes);
        else
            target += bytes;
    }
    virtual void write(const QByteArray &data) = 0;
    virtual void write(const char *data, qsizetype size) = 0;
    // Response bytes not yet sent (backpressure: a session stops reading its server above a bound).
    virtual qsizetype bytesToWrite() const = 0;
    virtual void flush() = 0;
    // Ends the response once everything written is out (linger: see StreamSocket).
    virtual void closeAfterFlush(bool linger) = 0;
    // Ends now; what was not sent is dropped and the session hears nothing more.
    virtual void abort() = 0;
    virtual bool isClosed() const = 0;

protected:
    ~ClientStream() = default;
};

// Up to max bytes from the front of buffer, without a copy when it is all of it.
inline QByteArray takeFront(QByteArray &buffer, qsizetype max)
{
    QByteArray out;
    if (buffer.size() <= max) {
        out.swap(buffer);
    } else {
        out = buffer.first(max);
        buffer.remove(0, max);
    }
    return out;
}

} // namespace fulcrum
