#include "picker.h"

#include "consistenthashpicker.h"
#include "leastconnectionspicker.h"
#include "leastresponsetimepicker.h"
#include "randompicker.h"
#include "roundrobinpicker.h"
#include "weightedroundrobinpicker.h"

namespace fulcrum {

QString algorithmName(Algorithm algorithm)
{
    switch (algorithm) {
    case Algorithm::RoundRobin: return QStringLiteral("round-robin");
    case Algorithm::WeightedRoundRobin: return QStringLiteral("weighted-round-robin");
    case Algorithm::LeastConnections: return QStringLiteral("least-connections");
    case Algorithm::Random: return QStringLiteral("random");
    case Algorithm::LeastResponseTime: return QStringLiteral("least-response-time");
    case Algorithm::ConsistentHash: return QStringLiteral("consistent-hash");
    }
    return QString();
}

QStringList algorithmNames()
{
    return {algorithmName(Algorithm::RoundRobin), algorithmName(Algorithm::WeightedRoundRobin),
            algorithmName(Algorithm::LeastConnections), algorithmName(Algorithm::Random),
            algorithmName(Algorithm::LeastResponseTime), algorithmName(Algorithm::ConsistentHash)};
}

std::optional<AlgorithmChoice> parseAlgorithm(QStringView text)
{
    text = text.trimmed();
    if (text == u"random two" || text == u"random(2)" || text == u"random-two")
        return AlgorithmChoice{Algorithm::Random, 2};
    for (Algorithm a : {Algorithm::RoundRobin, Algorithm::WeightedRoundRobin, Algorithm::LeastConnections,
                        Algorithm::Random, Algorithm::LeastResponseTime, Algorithm::ConsistentHash}) {
        if (text == algorithmName(a))
            return AlgorithmChoice{a, 1};
    }
    return std::nullopt;
}

std::unique_ptr<Picker> makePicker(Algorithm algorithm, const PickerOptions &options)
{
    switch (algorithm) {
    case Algorithm::RoundRobin: return std::make_unique<RoundRobinPicker>();
    case Algorithm::WeightedRoundRobin: return std::make_unique<WeightedRoundRobinPicker>();
    case Algorithm::LeastConnections: return std::make_unique<LeastConnectionsPicker>();
    case Algorithm::Random: return std::make_unique<RandomPicker>(options.seed, options.choices);
    case Algorithm::LeastResponseTime: return std::make_unique<LeastResponseTimePicker>(options.seed);
    case Algorithm::ConsistentHash: return std::make_unique<ConsistentHashPicker>(options.maglevTableSize, options.seed);
    }
    return nullptr;
}

} // namespace fulcrum
