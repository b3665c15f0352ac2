// The metrics of DESIGN.md, defined once: pure functions shared by the runner's summary and the app.
#pragma once

#include "latency_histogram.h"
#include "run_result.h"

#include <cstdint>
#include <vector>

namespace clab::metrics {

// Events per second; 0 when no time has passed.
double rate(std::uint64_t count, std::uint64_t ns) noexcept;
// Rate between two cumulative readings; a counter that went backwards gives 0, not a negative rate.
double rateBetween(std::uint64_t before, std::uint64_t after, std::uint64_t dtNs) noexcept;
// part / whole clamped to 0..1; 0 when whole is 0.
double fraction(std::uint64_t part, std::uint64_t whole) noexcept;
// Jain's fairness index (Σx)² / (n·Σx²): 1 when all equal, 1/n when one takes all. 1 for empty or all-zero.
double jainIndex(const std::vector<double> &xs) noexcept;

LatencySummary summarize(const LatencyHistogram &h) noexcept;

struct Totals {
    std::uint64_t ops = 0, opsTotal = 0, bytes = 0, waitNs = 0, holdNs = 0, contended = 0;
    std::uint64_t userNs = 0, sysNs = 0, volCsw = 0, involCsw = 0, drops = 0;
    double opsPerSecond = 0, bytesPerSecond = 0, waitFraction = 0, contendedFraction = 0;
    double meanHoldNs = 0, fairness = 1;
    LatencySummary latency;
};

// Per-worker figures derived from a WorkerResult.
double opsPerSecond(const WorkerResult &w) noexcept;
double waitFraction(const WorkerResult &w) noexcept;      // wait / the worker's measured time
double contendedFraction(const WorkerResult &w) noexcept; // contended acquisitions / operations
double meanHoldNs(const WorkerResult &w) noexcept;

// Totals over workers. Throughput is total operations over the run's wall time; wait fraction is
// total wait over total worker time; fairness is Jain's index of the workers' ops/s.
Totals totals(const std::vector<WorkerResult> &workers, std::uint64_t wallNs);

} // namespace clab::metrics
