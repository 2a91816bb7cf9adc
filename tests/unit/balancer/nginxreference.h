#pragma once

#include <vector>

// nginx's smooth weighted round-robin, written as ngx_http_upstream_get_peer() does it
// (O(n) per pick): every peer's current weight grows by its weight, the largest wins (the
// earlier peer on ties, by the strict '>'), the winner's current weight drops by the total.
// An independent reference for tests and the benchmark, not the product's code.
class NginxReferenceWrr
{
public:
    explicit NginxReferenceWrr(std::vector<int> weights)
        : m_weights(std::move(weights)), m_current(m_weights.size(), 0), m_down(m_weights.size(), false)
    {
    }

    void setDown(size_t i, bool down) { m_down[i] = down; }

    int pick()
    {
        long long total = 0;
        int best = -1;
        for (size_t i = 0; i < m_weights.size(); ++i) {
            if (m_down[i] || m_weights[i] <= 0)
                continue;
            m_current[i] += m_weights[i];
            total += m_weights[i];
            if (best == -1 || m_current[i] > m_current[size_t(best)])
                best = int(i);
        }
        if (best == -1)
            return -1;
        m_current[size_t(best)] -= total;
        return best;
    }

private:
    std::vector<int> m_weights;
    std::vector<long long> m_current;
    std::vector<bool> m_down;
};
