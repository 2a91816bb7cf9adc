#pragma once

#include "config/config.h"

#include <QObject>
#include <QStringList>

#include <memory>
#include <vector>

namespace fulcrum {

class DemoBackend;
class Engine;
class LoadGenerator;

// The embedded default (`fulcrumd --demo`, the console's demo mode): three demo backends
// with different latencies on loopback, a pool over them, the proxy in front, and a load
// generator sending steady traffic through it, so every figure the console shows is real.
class DemoEnvironment : public QObject
{
    Q_OBJECT

public:
    explicit DemoEnvironment(QObject *parent = nullptr);
    ~DemoEnvironment() override;

    // Starts the backends (free loopback ports) and returns the config that serves them on
    // `listenPort` (0 = any free port).
    bool startBackends(quint16 listenPort, Config *config, QStringList *errors);
    // Sends `rate` requests per second to the engine's first listener until stopped.
    void startLoad(const Engine &engine, double rate);
    void stop();

    DemoBackend *backend(const QString &name) const;
    LoadGenerator *load() const { return m_load; }

private:
    std::vector<DemoBackend *> m_backends;
    LoadGenerator *m_load = nullptr;
};

} // namespace fulcrum
