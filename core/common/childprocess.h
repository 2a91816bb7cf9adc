#pragma once

#include <csignal>

class QProcess;

namespace fulcrum {

// Ties the child that `process` starts to the life of the calling thread: the kernel sends
// it `signal` when that thread ends, however it ends (SIGKILL or a crash included), so that
// a demo redis-server or a PDF writer is never left orphaned. Call it before start(), from
// the thread that lives as long as the child should (the main thread for servers).
void tieToParent(QProcess &process, int signal = SIGKILL);

} // namespace fulcrum
