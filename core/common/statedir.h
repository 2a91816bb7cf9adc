#pragma once

#include <QString>

namespace fulcrum {

// Where Fulcrum keeps runtime weights and states, tokens, history and the audit log when
// the config names no state_dir: systemd's StateDirectory= ($STATE_DIRECTORY) for the
// service, else $XDG_STATE_HOME/fulcrum (~/.local/state/fulcrum). fulcrumd and fulcrumctl
// agree on it, so `fulcrumctl report` finds what the engine recorded.
QString defaultStateDir();

} // namespace fulcrum
