#include "demobackends.h"

#include "common/childprocess.h"
#include "freeport.h"

#include <QDeadlineTimer>

#include <csignal>

namespace fulcrum::test {

SimpleHttpConnection::SimpleHttpConnection(quint16 port, int timeoutMs)
    : m_timeoutMs(timeoutMs)
{
    m_socket.connectToHost(QHostAddress::LocalHost, port);
    m_socket.waitForConnected(timeoutMs);
}

bool SimpleHttpConnection::fill()
{
    if (m_socket.bytesAvailable() == 0 && !m_socket.waitForReadyRead(m_timeoutMs))
        return false;
    m_buffer += m_socket.readAll();
    return true;
}

bool SimpleHttpConnection::waitForClose()
{
    QDeadlineTimer deadline(m_timeoutMs);
    while (m_socket.state() != QAbstractSocket::UnconnectedState && !deadline.hasExpired()) {
        m_socket.waitForReadyRead(int(std::max<qint64>(1, deadline.remainingTime())));
        m_buffer += m_socket.readAll();
    }
    return m_socket.state() == QAbstractSocket::UnconnectedState;
}

SimpleHttpResponse SimpleHttpConnection::exchange(const QByteArray &rawRequest)
{
    if (!isConnected()) {
        SimpleHttpResponse failed;
        failed.error = QStringLiteral("not connected: %1").arg(m_socket.errorString());
        return failed;
    }
    m_socket.write(rawRequest);
    m_socket.flush();
    return readResponse(rawRequest.startsWith("HEAD "));
}

SimpleHttpResponse SimpleHttpConnection::get(const QByteArray &path)
{
    return exchange("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
}

SimpleHttpResponse SimpleHttpConnection::post(const QByteArray &path, const QByteArray &body, bool chunked)
{
    QByteArray request = "POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
    if (!chunked) {
        request += "Content-Length: " + QByteArray::number(body.size()) + "\r\n\r\n" + body;
        return exchange(request);
    }
    request += "Transfer-Encoding: chunked\r\n\r\n";
    // Uneven pieces, so chunk boundaries fall anywhere.
    qsizetype offset = 0;
    qsizetype piece = 1;
    while (offset < body.size()) {
        const qsizetype n = std::min(piece, body.size() - offset);
        request += QByteArray::number(n, 16) + "\r\n" + body.mid(offset, n) + "\r\n";
        offset += n;
        piece = piece * 3 + 7;
    }
    request += "0\r\n\r\n";
    return exchange(request);
}

SimpleHttpResponse SimpleHttpConnection::readResponse(bool headRequest)
{
    SimpleHttpResponse response;
    for (;;) {
        qsizetype end;
        while ((end = m_buffer.indexOf("\r\n\r\n")) < 0) {
            if (!fill()) {
                response.error = QStringLiteral("no complete response head: %1").arg(m_socket.errorString());
                return response;
            }
        }
        const QList<QByteArray> lines = m_buffer.left(end).split('\n');
        m_buffer.remove(0, end + 4);
        const QList<QByteArray> statusLine = lines.first().trimmed().split(' ');
        response.status = statusLine.size() >= 2 ? statusLine[1].toInt() : 0;
        response.headers.clear();
        for (qsizetype i = 1; i < lines.size(); ++i) {
            const qsizetype colon = lines[i].indexOf(':');
            if (colon > 0)
                response.headers.insert(lines[i].left(colon).trimmed().toLower(), lines[i].mid(colon + 1).trimmed());
        }
        if (response.status >= 200 || response.status == 0)
            break;
    }
    if (response.status == 0) {
        response.error = QStringLiteral("malformed status line");
        return response;
    }
    if (headRequest || response.status == 204 || response.status == 304)
        return response;
    if (response.header("transfer-encoding").contains("chunked")) {
        for (;;) {
            qsizetype eol;
            while ((eol = m_buffer.indexOf("\r\n")) < 0) {
                if (!fill()) {
                    response.status = 0;
                    response.error = QStringLiteral("chunked body cut short");
                    return response;
                }
            }
            bool ok = false;
            const qint64 size = m_buffer.left(eol).split(';').first().trimmed().toLongLong(&ok, 16);
            m_buffer.remove(0, eol + 2);
            if (!ok) {
                response.status = 0;
                response.error = QStringLiteral("bad chunk size");
                return response;
            }
            while (m_buffer.size() < size + 2) {
                if (!fill()) {
                    response.status = 0;
                    response.error = QStringLiteral("chunk cut short");
                    return response;
                }
            }
            if (size == 0) {
                m_buffer.remove(0, 2); // no trailers from our servers
                return response;
            }
            response.body += m_buffer.left(size);
            m_buffer.remove(0, size + 2);
        }
    }
    if (response.headers.contains("content-length")) {
        const qint64 length = response.header("content-length").toLongLong();
        while (m_buffer.size() < length) {
            if (!fill()) {
                response.status = 0;
                response.error = QStringLiteral("body cut short at %1 of %2 bytes").arg(m_buffer.size()).arg(length);
                return response;
            }
        }
        response.body = m_buffer.left(length);
        m_buffer.remove(0, length);
        return response;
    }
    while (fill()) {
    }
    response.body = m_buffer;
    m_buffer.clear();
    return response;
}

std::vector<std::unique_ptr<QTcpSocket>> sendWithoutWaiting(quint16 port, int count, const QByteArray &path)
{
    std::vector<std::unique_ptr<QTcpSocket>> clients;
    for (int i = 0; i < count; ++i) {
        auto client = std::make_unique<QTcpSocket>();
        client->connectToHost(QHostAddress::LocalHost, port);
        if (!client->waitForConnected(5000))
            return {};
        client->write("GET " + path + " HTTP/1.1\r\nHost: shop\r\n\r\n");
        if (!client->waitForBytesWritten(5000))
            return {};
        clients.push_back(std::move(client));
    }
    return clients;
}

SimpleHttpResponse httpGet(quint16 port, const QByteArray &path, int timeoutMs)
{
    SimpleHttpConnection connection(port, timeoutMs);
    return connection.get(path);
}

DemoBackendProcess::DemoBackendProcess(QString name, QStringList extraArguments)
    : m_name(std::move(name))
    , m_extraArguments(std::move(extraArguments))
{
    start();
}

DemoBackendProcess::~DemoBackendProcess()
{
    if (!isRunning())
        return;
    m_process->terminate();
    if (!m_process->waitForFinished(3000)) {
        m_process->kill();
        m_process->waitForFinished(3000);
    }
}

bool DemoBackendProcess::isRunning() const
{
    return m_process && m_process->state() != QProcess::NotRunning;
}

bool DemoBackendProcess::start()
{
    if (isRunning())
        return true;
    m_error.clear();
    // Rebinding the port of a killed process can race with its teardown for a moment.
    for (int attempt = 0; attempt < 20; ++attempt) {
        m_process = std::make_unique<QProcess>();
        m_process->setProcessChannelMode(QProcess::ForwardedErrorChannel);
        // If the test itself dies, the child goes with it instead of lingering on its port.
        tieToParent(*m_process);
        m_process->start(binaryPath(QStringLiteral("fulcrumctl")),
                         QStringList{QStringLiteral("demo-backend"),
                                     QStringLiteral("--listen"), QStringLiteral("127.0.0.1:%1").arg(m_port),
                                     QStringLiteral("--name"), m_name}
                             + m_extraArguments);
        if (!m_process->waitForStarted(5000)) {
            m_error = QStringLiteral("cannot start %1: %2").arg(binaryPath(QStringLiteral("fulcrumctl")), m_process->errorString());
            return false;
        }
        QDeadlineTimer deadline(10'000);
        QByteArray output;
        while (!output.contains('\n') && m_process->state() == QProcess::Running && !deadline.hasExpired()) {
            m_process->waitForReadyRead(int(std::max<qint64>(1, deadline.remainingTime())));
            output += m_process->readAllStandardOutput();
        }
        const QByteArray line = output.left(output.indexOf('\n')).trimmed();
        if (line.startsWith("listening on ")) {
            m_port = quint16(line.mid(line.lastIndexOf(':') + 1).toUInt());
            return m_port != 0;
        }
        m_process->kill();
        m_process->waitForFinished(3000);
        m_error = QStringLiteral("demo backend \"%1\" did not report \"listening on\" (exit %2)").arg(m_name).arg(m_process->exitCode());
        if (m_port == 0)
            return false;
        QThread::msleep(50);
    }
    return false;
}

void DemoBackendProcess::kill()
{
    if (!isRunning())
        return;
    m_process->kill();
    m_process->waitForFinished(5000);
}

bool DemoBackendProcess::control(const QString &query)
{
    SimpleHttpConnection connection(m_port);
    const SimpleHttpResponse response = connection.post("/_control?" + query.toUtf8(), {});
    if (response.status != 200) {
        m_error = QStringLiteral("control \"%1\" refused: %2 %3").arg(query).arg(response.status).arg(QString::fromUtf8(response.body) + response.error);
        return false;
    }
    return true;
}

bool DemoBackendProcess::setLatency(qint64 latencyMs, qint64 jitterMs)
{
    return control(QStringLiteral("latency=%1ms&jitter=%2ms").arg(latencyMs).arg(jitterMs));
}

bool DemoBackendProcess::setErrorRate(double rate)
{
    return control(QStringLiteral("error_rate=%1").arg(rate));
}

bool DemoBackendProcess::setHealth(const QString &mode)
{
    return control(QStringLiteral("health=%1").arg(mode));
}

InProcessDemoBackend::InProcessDemoBackend(QString name, quint16 port, const QHostAddress &address)
{
    m_thread.setObjectName(QStringLiteral("demo-backend"));
    m_anchor.moveToThread(&m_thread);
    m_thread.start();
    QMetaObject::invokeMethod(&m_anchor, [this, &name, port, &address] {
        m_backend = new DemoBackend(name);
        if (m_backend->listen(address, port))
            m_port = m_backend->serverPort();
    }, Qt::BlockingQueuedConnection);
}

InProcessDemoBackend::~InProcessDemoBackend()
{
    QMetaObject::invokeMethod(&m_anchor, [this] { delete m_backend; }, Qt::BlockingQueuedConnection);
    m_thread.quit();
    m_thread.wait();
}

} // namespace fulcrum::test
