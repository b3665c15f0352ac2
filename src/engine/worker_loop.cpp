// Dispatch from the experiment's primitive to its family's worker body.
#include "worker_loop.h"

#include "experiment_family.h"

namespace clab {

int runWorker(WorkerEnv &env) noexcept
{
    return familyFor(env.spec->primitive).runWorker(env);
}

} // namespace clab
