// The registry of experiment families.
#include "experiment_family.h"


#include <cstdlib>

namespace clab {

const ExperimentFamily &familyFor(PrimitiveKind kind)
{
    switch (kind) {
    case PrimitiveKind::LockContention: return kLockContentionFamily;
    case PrimitiveKind::SharedValue: return kSharedValueFamily;
    case PrimitiveKind::MessagePassing: return kMessagePassingFamily;
    case PrimitiveKind::Semaphore: return kSemaphoreFamily;
    case PrimitiveKind::Event: return kEventFamily;
    case PrimitiveKind::Sync: return kSyncFamily;
    case PrimitiveKind::Work: return kWorkFamily;
    case PrimitiveKind::Lifecycle: return kLifecycleFamily;
    }
    std::abort(); // unreachable: every kind is listed above, and -Wswitch says so when one is added
}

} // namespace clab
