// One experiment family (lock contention, message passing, ...): its shared state, workers and checks.
#pragma once

#include "experiment_spec.h"
#include "run_result.h"

#include <cstddef>
#include <string>

namespace clab {

struct WorkerEnv;

// What the supervisor needs from a family. Every function but runWorker runs in the runner;
// runWorker runs in the worker (a thread or a forked process) and is the measured path.
// The shared block is anonymous MAP_SHARED memory, zero-filled, aligned to a cache line,
// inherited by forked workers; named OS objects a family creates must be removed in cleanup(),
// which runs in every case (success, failure, stop), and should be unlinked as early as the
// family can (as soon as every worker has opened them).
struct ExperimentFamily {
    PrimitiveKind kind;
    // Bytes of shared state the family needs for this experiment.
    std::size_t (*sharedSize)(const ExperimentSpec &spec);
    // Creates the primitives in `shared`. processShared: workers are separate processes.
    // Returns an empty string, or a plain-words error that names what could not be created.
    std::string (*init)(void *shared, const ExperimentSpec &spec, bool processShared);
    // The worker body: must call detail::workerLoop (worker_loop_impl.h) with its operation.
    int (*runWorker)(WorkerEnv &env);
    // After every worker has ended: family-specific figures and correctness checks.
    // allFinished: every worker wrote its final block (totals are exact).
    void (*finish)(void *shared, const ExperimentSpec &spec, bool allFinished, RunResult &result);
    // Releases OS objects; `leakMemory` when a stuck thread may still use the shared state.
    void (*cleanup)(void *shared, const ExperimentSpec &spec, bool stuckThreads);
};

// One object per family, each defined in the family's own source file.
extern const ExperimentFamily kLockContentionFamily;
extern const ExperimentFamily kSharedValueFamily;
extern const ExperimentFamily kMessagePassingFamily;
extern const ExperimentFamily kSemaphoreFamily;
extern const ExperimentFamily kEventFamily;
extern const ExperimentFamily kSyncFamily;
extern const ExperimentFamily kWorkFamily;
extern const ExperimentFamily kLifecycleFamily;

// The family that runs `kind`. Every PrimitiveKind has one.
const ExperimentFamily &familyFor(PrimitiveKind kind);

} // namespace clab
