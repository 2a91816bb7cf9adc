#include "pendingreleases.h"

namespace fulcrum {

std::shared_ptr<PendingRelease> PendingReleases::add(const LockReleaseRequest &request, std::function<void(const ForceReleaseResult &)> done)
{
    auto pending = std::make_shared<PendingRelease>(PendingRelease{request, std::move(done)});
    m_open.push_back(pending);
    return pending;
}

void PendingReleases::finish(const std::shared_ptr<PendingRelease> &pending, const ForceReleaseResult &result)
{
    if (pending->finished)
        return;
    pending->finished = true;
    std::erase(m_open, pending);
    pending->done(result);
}

void PendingReleases::finishLater(QObject *context, const std::shared_ptr<PendingRelease> &pending, const ForceReleaseResult &result)
{
    QMetaObject::invokeMethod(context, [this, pending, result] { finish(pending, result); }, Qt::QueuedConnection);
}

void PendingReleases::failAll(const QString &url)
{
    const auto open = std::move(m_open);
    m_open.clear();
    for (const auto &pending : open) {
        if (!pending->finished) {
            pending->finished = true;
            pending->done(ForceReleaseResult{ForceReleaseResult::Failed, {},
                                             QStringLiteral("the endpoint %1 was closed before the release finished").arg(url)});
        }
    }
}

} // namespace fulcrum
