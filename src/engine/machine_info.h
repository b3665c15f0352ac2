// What machine a run happened on: CPU model, cores, kernel, compiler, build.
#pragma once

#include "run_result.h"
#include "tsc_clock.h"

#include <vector>

namespace clab {

MachineInfo collectMachineInfo(const TickClock &clock);
// CPUs this process may run on (sched_getaffinity), ascending.
std::vector<int> allowedCpus();

} // namespace clab
