// Cheap timestamps for the measured path: the invariant TSC where the CPU has one, calibrated to ns.
#pragma once

#include <cstdint>
#include <ctime>
#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#define CLAB_HAVE_TSC 1
#else
#define CLAB_HAVE_TSC 0
#endif

namespace clab {

inline std::uint64_t monotonicNs() noexcept
{
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000ULL + static_cast<std::uint64_t>(ts.tv_nsec);
}

inline std::uint64_t realtimeNs() noexcept
{
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000ULL + static_cast<std::uint64_t>(ts.tv_nsec);
}

// Ticks are TSC cycles when the TSC is invariant (constant_tsc and nonstop_tsc), else nanoseconds
// of CLOCK_MONOTONIC. Memory ordering: none; rdtsc is not serialising, which is what we want: a
// timestamp may move by a few cycles around neighbouring loads, far below what is measured.
class TickClock {
public:
    // Measures the tick rate against CLOCK_MONOTONIC_RAW over about `windowNs`.
    static TickClock calibrate(std::uint64_t windowNs = 20'000'000);

    std::uint64_t now() const noexcept
    {
#if CLAB_HAVE_TSC
        if (m_tsc)
            return __rdtsc();
#endif
        return monotonicNs();
    }
    std::uint64_t toNs(std::uint64_t ticks) const noexcept
    {
        return static_cast<std::uint64_t>(static_cast<double>(ticks) * m_nsPerTick);
    }
    bool usesTsc() const noexcept { return m_tsc; }
    double ticksPerNs() const noexcept { return 1.0 / m_nsPerTick; }
    const char *sourceName() const noexcept { return m_tsc ? "tsc" : "clock_gettime"; }

private:
    bool m_tsc = false;
    double m_nsPerTick = 1.0;
};

} // namespace clab
