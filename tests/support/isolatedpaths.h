#pragma once

namespace fulcrum::test {

// QStandardPaths' test mode (settings, state, data) under a home folder of this test process's
// own, removed when the process ends: test mode alone writes to ~/.qttest, and no test may
// leave files behind. Call it first, in initTestCase(). Children started later inherit HOME,
// and no XDG folder of the run, so their settings land under it too.
void useIsolatedStandardPaths();

} // namespace fulcrum::test
