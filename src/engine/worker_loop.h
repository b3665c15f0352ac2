// The worker's measured loop: runs one experiment operation again and again, publishing samples.
#pragma once

#include "calibrated_work.h"
#include "experiment_spec.h"
#include "futex.h"
#include "stats_ring.h"
#include "tsc_clock.h"

#include <atomic>
#include <cstdint>

namespace clab {

// Phases of a run, in the shared control block (also the futex word workers wait on).
enum class RunPhase : std::uint32_t { Preparing = 0, Warmup = 1, Measuring = 2, Stop = 3 };

// Lives in shared memory (MAP_SHARED | MAP_ANONYMOUS) so forked workers see it.
// Each field the runner writes and workers read sits on its own cache line; workers only
// read it (ready is the exception, incremented once per worker at the start gate).
struct alignas(CLAB_CACHE_LINE) RunControl {
    alignas(CLAB_CACHE_LINE) std::atomic<std::uint32_t> phase{0};
    alignas(CLAB_CACHE_LINE) std::atomic<std::uint32_t> ready{0};
    alignas(CLAB_CACHE_LINE) std::uint64_t startMonotonicNs = 0; // written before the gate opens
};

// Counters a worker keeps in registers / its own stack while it measures.
struct WorkerCounters {
    std::uint64_t ops = 0;
    std::uint64_t bytes = 0;
    std::uint64_t waitTicks = 0;
    std::uint64_t holdTicks = 0;
    std::uint64_t ioTicks = 0;
    std::uint64_t contended = 0;
    std::uint64_t latencyCount = 0;
    std::uint64_t latencySumNs = 0;
    std::uint64_t ownerDied = 0;
    std::int64_t gauge0 = 0;
    std::int64_t gauge1 = 0;
};

// Everything one worker needs; plain data so it survives fork.
struct WorkerEnv {
    std::uint32_t index = 0;
    const ExperimentSpec *spec = nullptr;
    RunControl *control = nullptr;
    StatsLaneWriter lane;
    TickClock clock;
    CalibratedWork work;
    int pinCpu = -1;
    void *primitiveShared = nullptr; // the experiment family's shared state
};

// Entry point of a worker (thread or forked process). Returns 0 on success, or an errno-style
// code when it could not even start (e.g. pinning to a CPU failed).
int runWorker(WorkerEnv &env) noexcept;

} // namespace clab
