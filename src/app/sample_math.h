// Live figures from cumulative ring samples: interval deltas and rates (through clab::metrics only).
#pragma once

#include "stats_ring_layout.h"

#include <cstdint>

namespace clab::app {

// What one worker did between two cumulative samples of the same phase. Counters that went
// backwards (a reset, a torn read) are clamped to zero instead of producing negative figures.
struct SampleDelta {
    std::uint64_t t0Ns = 0; // time of the earlier sample (since the start gate)
    std::uint64_t t1Ns = 0; // time of the later one
    std::uint64_t ops = 0;
    std::uint64_t bytes = 0;
    std::uint64_t waitNs = 0;
    std::uint64_t holdNs = 0;
    std::uint64_t contended = 0;

    std::uint64_t dtNs() const noexcept { return t1Ns > t0Ns ? t1Ns - t0Ns : 0; }
};

SampleDelta sampleDelta(const clab_sample &before, const clab_sample &after) noexcept;

// The figures the charts plot for one interval, each computed by clab::metrics.
struct IntervalFigures {
    double opsPerSecond = 0;
    double waitFraction = 0;      // wait / wall time of the interval, 0..1
    double contendedFraction = 0; // contended acquisitions / operations, 0..1
    double holdFraction = 0;      // hold / wall time, 0..1
};

IntervalFigures intervalFigures(const SampleDelta &d) noexcept;

} // namespace clab::app
