// The runner's end-of-run summary as a plain-text table.
#pragma once

#include "experiment_spec.h"
#include "run_result.h"

#include <string>
#include <vector>

namespace clab::runner {

std::string formatSummary(const ExperimentSpec &spec, const RunResult &r);

struct SweepRow {
    std::string label;
    const ExperimentSpec *spec = nullptr;
    const RunResult *result = nullptr;
};
// One row per point: throughput, latency, CPU, lost updates, status, and the speed-up over the
// baseline point: the first variant with the same sweep values (points are variant-major, so
// the baseline of point p is point p % pointsPerVariant).
std::string formatSweepSummary(const ExperimentSpec &base, const std::vector<SweepRow> &rows, std::size_t pointsPerVariant);
// "1.23 M", "456 k", "12.0" style numbers and "1.2 µs" style durations.
std::string humanCount(double v);
std::string humanDuration(double ns);

} // namespace clab::runner
