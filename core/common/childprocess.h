#pragma once

#include <csignal>

class QProcess;
class QProcessEnvironment;

namespace fulcrum {

// Ties the child that `process` starts to the life of the calling thread: the kernel sends
// it `signal` when that thread ends, however it ends (SIGKILL or a crash included), so that
// a demo redis-server or a PDF writer is never left orphaned. Call it before start(), from
// the thread that lives as long as the child should (the main thread for servers).
void tieToParent(QProcess &process, int signal = SIGKILL);

// This process's environment less libfaketime, for third-party servers it starts (the demo's
// redis-server): under `faketime` a server keeps its own clock, and redis-server's allocator
// (jemalloc) deadlocks inside libfaketime's clock_gettime.
QProcessEnvironment environmentWithoutFaketime();

} // namespace fulcrum
