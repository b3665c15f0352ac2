// Calibration of the CPU work kernel.
#include "calibrated_work.h"
#include "tsc_clock.h"

#include <algorithm>

namespace clab {

std::uint64_t spinWork(std::uint64_t units, std::uint64_t seed) noexcept
{
    std::uint64_t x = seed | 1;
    for (std::uint64_t i = 0; i < units; ++i) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        asm volatile("" : "+r"(x)); // one dependent step per unit, never folded by the optimiser
    }
    return x;
}

CalibratedWork CalibratedWork::calibrate()
{
    constexpr std::uint64_t kUnits = 200'000;
    double best = 0.0;
    std::uint64_t sink = 0;
    for (int trial = 0; trial < 7; ++trial) {
        const std::uint64_t t0 = monotonicNs();
        sink += spinWork(kUnits, sink + 1);
        const std::uint64_t t1 = monotonicNs();
        if (t1 > t0)
            best = std::max(best, static_cast<double>(kUnits) / static_cast<double>(t1 - t0));
    }
    asm volatile("" ::"r"(sink));
    CalibratedWork w;
    if (best > 0.0)
        w.m_unitsPerNs = best;
    return w;
}

} // namespace clab
