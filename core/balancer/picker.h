#pragma once

#include <QString>
#include <QStringList>

#include <memory>
#include <optional>
#include <span>

namespace fulcrum {

struct BackendLive;

enum class Algorithm {
    RoundRobin,
    WeightedRoundRobin,
    LeastConnections,
    Random,
    LeastResponseTime,
    ConsistentHash,
};

QString algorithmName(Algorithm algorithm);
QStringList algorithmNames();

// An algorithm as written by people: "random", "random two", "random(2)" (HAProxy) all
// name Random; choices says 2 for the power-of-two-choices variant.
struct AlgorithmChoice
{
    Algorithm algorithm = Algorithm::WeightedRoundRobin;
    int choices = 1;
};
std::optional<AlgorithmChoice> parseAlgorithm(QStringView text);

// What a picker knows of one server. `available` already folds in state, weight 0 and
// the backup tier; the picker only has to honour it.
struct PickerEntry
{
    int weight = 1;
    bool available = true;
    quint64 nameHash = 0;           // stable identity (consistent hashing)
    BackendLive *live = nullptr;    // shared live figures (in-flight, EWMA); may be null in unit tests
};

struct PickContext
{
    quint64 keyHash = 0;    // consistent-hash key (client IP, header or cookie), hashed
    bool hasKey = false;
    qint64 nowNs = 0;       // monotonic time, for least-response-time
};

struct PickerOptions
{
    int choices = 1;                 // random: 2 = power of two choices
    quint32 maglevTableSize = 65537; // consistent-hash: must be prime
    quint64 seed = 1;                // random generators
};

// One balancing algorithm (HAProxy's lb_*.c, Envoy's load_balancer_impl): initialised
// with the servers, told of weight and availability changes, asked to pick.
// Not thread-safe: every worker thread owns its own picker.
class Picker
{
public:
    virtual ~Picker() = default;

    virtual void init(std::span<const PickerEntry> entries) = 0;
    virtual void setWeight(int index, int weight) = 0;
    virtual void setAvailable(int index, bool available) = 0;
    // Index of the chosen server, or -1 when no server is available.
    virtual int pick(const PickContext &context) = 0;

    // A request picked by this picker started / ended (used by least-connections).
    virtual void requestStarted(int index) {}
    virtual void requestFinished(int index) {}
};

std::unique_ptr<Picker> makePicker(Algorithm algorithm, const PickerOptions &options);

} // namespace fulcrum
