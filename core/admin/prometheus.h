#pragma once

#include <QByteArray>

namespace fulcrum {

class Engine;

// The engine's figures in the Prometheus text exposition format 0.0.4 (what GET /metrics
// answers): per server requests, responses by class, a latency histogram, state and weights;
// per lock endpoint the connection, lock count and ages. Latency buckets are sums of the
// engine's log buckets, so a bucket boundary is exact to within 1/16 of its value.
QByteArray prometheusMetrics(const Engine &engine);

} // namespace fulcrum
