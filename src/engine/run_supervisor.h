// Runs one experiment: sets up shared state, starts and supervises workers, drains the ring.
#pragma once

#include "experiment_spec.h"
#include "run_result.h"
#include "stats_ring.h"

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace clab {

struct RunProgress {
    const char *phase = "preparing"; // preparing, warmup, measuring, stopping
    std::uint64_t elapsedNs = 0;      // since the start gate
    std::uint64_t plannedNs = 0;      // warm-up + duration, 0 when bounded by operations
    std::uint64_t opsDone = 0;        // measured operations so far (all workers)
    std::uint64_t opsPlanned = 0;     // workers × operations, 0 when bounded by time
    std::uint64_t samplesReceived = 0;
    std::uint64_t samplesDropped = 0;
    std::uint32_t workersRunning = 0;
};

struct RunHooks {
    // Called on the supervising thread for every sample drained (keep it cheap).
    std::function<void(std::uint32_t worker, const clab_sample &)> onSample;
    // Called about ten times a second.
    std::function<void(const RunProgress &)> onProgress;
    // Set to 1 to stop gracefully (result "stopped"), 2 to kill workers at once.
    const std::atomic<int> *interrupt = nullptr;
};

struct SupervisorOptions {
    std::uint64_t graceNs = 5'000'000'000;       // after a stop, before workers are killed
    std::uint64_t startTimeoutNs = 10'000'000'000;
    std::uint64_t stallTimeoutNs = 0;            // no progress for this long fails the run (0: off)
    std::uint64_t drainPeriodNs = 20'000'000;
    std::size_t maxSeriesPoints = 400'000;       // beyond this the stored series is decimated
    std::uint32_t consumer = 0;                  // the ring consumer slot the supervisor reads
    std::uint32_t pointIndex = 0;                // sweep point, published in the ring header
    std::uint32_t pointCount = 1;
};

// Capacity (samples per lane) that holds comfortably more than one drain period of samples.
std::uint32_t recommendedLaneCapacity(std::uint64_t sampleIntervalNs, std::uint64_t drainPeriodNs = 40'000'000);

// CPU each worker is pinned to (-1: not pinned), or an error naming the CPU that cannot be used.
struct PlacementPlan {
    std::vector<int> cpus;
    std::string error;
};
PlacementPlan planPlacement(const ExperimentSpec &spec, const std::vector<int> &allowed);

// Runs `spec` with `ring` (lane_count >= spec.workers; a sweep reuses one ring for all its
// points, the header's point_index telling a reader which point the samples belong to). Never throws for what a worker
// does: failures end up in RunResult::status/error. Throws std::runtime_error only when the run
// cannot start (placement impossible, shared memory unavailable).
RunResult runExperiment(const ExperimentSpec &spec, StatsRing &ring, const SupervisorOptions &opts, const RunHooks &hooks);

// Set by runExperiment when a worker thread could not be stopped: the caller should leave with
// _exit() after writing its output instead of running static destructors.
bool runLeftStuckThreads() noexcept;

} // namespace clab
