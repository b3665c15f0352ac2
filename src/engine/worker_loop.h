// The worker's measured loop: runs one experiment operation again and again, publishing samples.
#pragma once

#include "calibrated_work.h"
#include "experiment_spec.h"
#include "futex.h"
#include "stats_ring.h"
#include "tsc_clock.h"

#include <atomic>
#include <cstdint>
#include <cstring>

namespace clab {

// Phases of a run, in the shared control block (also the futex word workers wait on).
enum class RunPhase : std::uint32_t { Preparing = 0, Warmup = 1, Measuring = 2, Stop = 3 };

// Lives in shared memory (MAP_SHARED | MAP_ANONYMOUS) so forked workers see it.
// Each field the runner writes and workers read sits on its own cache line; workers only
// read it, except `ready` (incremented once per worker at the start gate) and the planned stop
// (written once, below).
// The plan (start, end of warm-up, planned end) is written before the gate opens and never
// changes; workers follow it by their own clock, so a run's phases do not wait for the runner to
// get a CPU (two spinning workers on two CPUs can starve it). The first worker past the planned
// end moves the phase word to Stop itself, so every wait that looks at the word ends then too.
// The word also carries every stop the plan cannot know: a user's stop, a failed worker, an
// operation-bounded end. It only ever moves forward.
struct alignas(CLAB_CACHE_LINE) RunControl {
    alignas(CLAB_CACHE_LINE) std::atomic<std::uint32_t> phase{0};
    alignas(CLAB_CACHE_LINE) std::atomic<std::uint32_t> ready{0};
    alignas(CLAB_CACHE_LINE) std::uint64_t startMonotonicNs = 0;
    std::uint64_t measureStartNs = 0; // CLOCK_MONOTONIC: the warm-up ends (0: no plan, follow the phase word)
    std::uint64_t stopAtNs = 0;       // CLOCK_MONOTONIC: the planned end (0: bounded by operations)

    // The phase the plan says at `now`, given the phase the runner has published.
    RunPhase planned(RunPhase published, std::uint64_t now) const noexcept
    {
        if (published == RunPhase::Warmup && measureStartNs != 0 && now >= measureStartNs)
            published = RunPhase::Measuring;
        if (published == RunPhase::Measuring && stopAtNs != 0 && now >= stopAtNs)
            published = RunPhase::Stop;
        return published;
    }

    // Moves the phase word forward to `p` (never back: a stop a worker announced stands) and
    // wakes everyone asleep on it. Returns whether this call moved it.
    // Memory ordering: acq_rel; what the caller wrote before is visible to whoever reads `p`.
    bool advance(RunPhase p) noexcept
    {
        auto cur = phase.load(std::memory_order_acquire);
        while (cur < static_cast<std::uint32_t>(p)) {
            if (phase.compare_exchange_weak(cur, static_cast<std::uint32_t>(p), std::memory_order_acq_rel,
                                            std::memory_order_acquire)) {
                futexWakeAll(phase);
                return true;
            }
        }
        return false;
    }
};

// How a worker failed, told to the supervisor whole: a forked worker's exit status carries only
// 8 bits, so the errno and what failed travel in the run's shared block instead. One cache line
// per worker, written only by that worker (before it ends; the supervisor reads it after
// wait4() or the thread's `done` flag, which order the writes before the read).
struct alignas(CLAB_CACHE_LINE) WorkerStatusLine {
    std::atomic<std::uint32_t> started{0}; // 1 once the start gate opened for this worker
    std::int32_t error = 0;                // errno value of the first failure reported; 0: none
    char what[CLAB_CACHE_LINE - 8] = {};   // what failed, NUL-terminated; may be empty
};
static_assert(sizeof(WorkerStatusLine) == CLAB_CACHE_LINE);

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
    void *primitiveShared = nullptr;    // the experiment family's shared state
    WorkerStatusLine *status = nullptr; // this worker's line in the run's shared block
};

// Records what failed in the worker's status line (the first report stands; `what` is cut to
// fit). No allocation, no lock: callable in a forked worker at any point.
inline void noteWorkerFailure(WorkerEnv &env, int error, const char *what) noexcept
{
    if (!env.status || env.status->error != 0 || error == 0)
        return;
    env.status->error = error;
    std::strncpy(env.status->what, what ? what : "", sizeof env.status->what - 1);
}

// Entry point of a worker (thread or forked process). Returns 0 on success, or an errno value
// when it failed: before the start gate (it could not start, e.g. pinning to a CPU failed) or
// during the run (e.g. a transport failed); its status line says which and, where known, what.
int runWorker(WorkerEnv &env) noexcept;

} // namespace clab
