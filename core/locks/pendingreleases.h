#pragma once

#include "locks/lockbackend.h"

#include <functional>
#include <memory>
#include <vector>

namespace fulcrum {

// One release a backend has under way.
struct PendingRelease
{
    LockReleaseRequest request;
    std::function<void(const ForceReleaseResult &)> done;
    bool finished = false;
};

// The releases a backend has under way: each is answered exactly once, and those still open
// when the backend goes are answered Failed (LockBackend::release promises an answer).
class PendingReleases
{
public:
    std::shared_ptr<PendingRelease> add(const LockReleaseRequest &request, std::function<void(const ForceReleaseResult &)> done);
    void finish(const std::shared_ptr<PendingRelease> &pending, const ForceReleaseResult &result);
    // finish() from `context`'s event loop: an answer known at once (a refusal) never runs inside
    // release() itself, before its caller is ready for it.
    void finishLater(QObject *context, const std::shared_ptr<PendingRelease> &pending, const ForceReleaseResult &result);
    // From the backend's destructor: "the endpoint URL was closed before the release finished".
    void failAll(const QString &url);

private:
    std::vector<std::shared_ptr<PendingRelease>> m_open;
};

} // namespace fulcrum
