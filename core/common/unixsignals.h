#pragma once

#include <QObject>

class QSocketNotifier;

namespace fulcrum {

// Turns SIGTERM, SIGINT and SIGHUP into Qt signals in the main thread (self-pipe: the
// handler only writes the signal number to a socket, a QSocketNotifier reads it), so that
// every program ends the way Quit does: children stopped, temporary folders removed.
// One per process, made after the Q(Core)Application.
class UnixSignals : public QObject
{
    Q_OBJECT

public:
    explicit UnixSignals(QObject *parent = nullptr);
    ~UnixSignals() override;

Q_SIGNALS:
    void terminateRequested(int signalNumber);
    void reloadRequested();

private:
    void readSignals();

    QSocketNotifier *m_notifier = nullptr;
};

} // namespace fulcrum
