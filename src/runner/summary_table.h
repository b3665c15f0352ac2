// The runner's end-of-run summary as a plain-text table.
#pragma once

#include "experiment_spec.h"
#include "run_result.h"

#include <string>

namespace clab::runner {

std::string formatSummary(const ExperimentSpec &spec, const RunResult &r);
// "1.23 M", "456 k", "12.0" style numbers and "1.2 µs" style durations.
std::string humanCount(double v);
std::string humanDuration(double ns);

} // namespace clab::runner
