// Machine context for result files, read from /proc and uname.
#include "machine_info.h"

#include <fstream>
#include <sched.h>
#include <string>
#include <sys/utsname.h>
#include <thread>
#include <unistd.h>

#ifndef CLAB_VERSION
#define CLAB_VERSION "unknown"
#endif
#ifndef CLAB_BUILD_TYPE
#define CLAB_BUILD_TYPE "unknown"
#endif
#ifndef CLAB_COMPILER
#define CLAB_COMPILER "unknown"
#endif

namespace clab {

namespace {
std::string cpuModel()
{
    std::ifstream in("/proc/cpuinfo");
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("model name", 0) == 0) {
            const auto colon = line.find(':');
            if (colon != std::string::npos)
                return line.substr(line.find_first_not_of(" \t", colon + 1));
        }
    }
    return "unknown";
}
} // namespace

std::vector<int> allowedCpus()
{
    std::vector<int> cpus;
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof set, &set) == 0) {
        for (int i = 0; i < CPU_SETSIZE; ++i) {
            if (CPU_ISSET(static_cast<unsigned>(i), &set))
                cpus.push_back(i);
        }
    }
    return cpus;
}

MachineInfo collectMachineInfo(const TickClock &clock)
{
    MachineInfo m;
    m.cpuModel = cpuModel();
    m.logicalCpus = static_cast<int>(std::thread::hardware_concurrency());
    utsname u{};
    if (uname(&u) == 0) {
        m.kernel = std::string(u.sysname) + " " + u.release;
        m.hostname = u.nodename;
    }
    m.compiler = CLAB_COMPILER;
    m.appVersion = CLAB_VERSION;
    m.buildType = CLAB_BUILD_TYPE;
    m.clockSource = clock.sourceName();
    m.tscTicksPerNs = clock.usesTsc() ? clock.ticksPerNs() : 0.0;
    return m;
}

} // namespace clab
