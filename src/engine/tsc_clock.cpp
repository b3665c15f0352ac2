// TSC detection and calibration.
#include "tsc_clock.h"

#include <fstream>
#include <string>
#include <thread>

namespace clab {

namespace {
bool cpuHasInvariantTsc()
{
#if CLAB_HAVE_TSC
    std::ifstream in("/proc/cpuinfo");
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("flags", 0) == 0)
            return line.find(" constant_tsc") != std::string::npos && line.find(" nonstop_tsc") != std::string::npos;
    }
#endif
    return false;
}

std::uint64_t rawNs() noexcept
{
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
    return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000ULL + static_cast<std::uint64_t>(ts.tv_nsec);
}
} // namespace

TickClock TickClock::calibrate(std::uint64_t windowNs)
{
    TickClock c;
    c.m_tsc = cpuHasInvariantTsc();
    if (!c.m_tsc)
        return c;
#if CLAB_HAVE_TSC
    const std::uint64_t t0 = rawNs();
    const std::uint64_t c0 = __rdtsc();
    std::this_thread::sleep_for(std::chrono::nanoseconds(windowNs));
    const std::uint64_t t1 = rawNs();
    const std::uint64_t c1 = __rdtsc();
    if (c1 <= c0 || t1 <= t0) {
        c.m_tsc = false;
        return c;
    }
    c.m_nsPerTick = static_cast<double>(t1 - t0) / static_cast<double>(c1 - c0);
#endif
    return c;
}

} // namespace clab
