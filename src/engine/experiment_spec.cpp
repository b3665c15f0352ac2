// Names of the experiment's enumerations, spelled as in the file format.
#include "experiment_spec.h"

namespace clab {

const char *toString(ExecutionModel m)
{
    switch (m) {
    case ExecutionModel::Threads: return "threads";
    case ExecutionModel::Processes: return "processes";
    case ExecutionModel::Sequential: return "sequential";
    }
    return "?";
}

const char *toString(PlacementPolicy p)
{
    switch (p) {
    case PlacementPolicy::Unpinned: return "unpinned";
    case PlacementPolicy::SameCpu: return "same-cpu";
    case PlacementPolicy::Spread: return "spread";
    case PlacementPolicy::CpuList: return "cpu-list";
    }
    return "?";
}

const char *toString(PrimitiveKind k)
{
    switch (k) {
    case PrimitiveKind::LockContention: return "lock-contention";
    }
    return "?";
}

const char *toString(Guard g)
{
    switch (g) {
    case Guard::None: return "none";
    case Guard::Mutex: return "mutex";
    case Guard::Spinlock: return "spinlock";
    case Guard::Atomic: return "atomic";
    }
    return "?";
}

} // namespace clab
