// The registry of experiment families.
#include "experiment_family.h"

#include "lock_contention.h"

#include <cstdlib>

namespace clab {

const ExperimentFamily &familyFor(PrimitiveKind kind)
{
    switch (kind) {
    case PrimitiveKind::LockContention: return kLockContentionFamily;
    }
    std::abort(); // unreachable: every kind is listed above, and -Wswitch says so when one is added
}

} // namespace clab
