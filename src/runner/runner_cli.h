// The runner's command line: run, validate, list-presets.
#pragma once

#include <QString>
#include <QStringList>

namespace clab::runner {

// Exit codes, documented in --help.
enum ExitCode : int { ExitOk = 0, ExitRunFailed = 1, ExitBadInput = 2, ExitInternal = 3 };

int runnerMain(int argc, char **argv);

// Directories searched for presets, in order: $CLAB_PRESETS_DIR, <prefix>/share/concurrency-lab/presets
// next to the executable, then the source tree's resources/presets (for build-tree runs).
QStringList presetDirectories();
// A path as given, or a preset name ("lock-contention") resolved through presetDirectories().
QString resolveExperimentPath(const QString &arg);

} // namespace clab::runner
