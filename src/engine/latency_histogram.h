// Log-linear latency histogram (1 ns .. 17 s, every bucket ≤ 3.1 % wide): index math and percentiles.
#pragma once

#include "stats_ring_layout.h"

#include <array>
#include <bit>
#include <cstdint>

namespace clab {

// Bucket index of a value in ns; the mapping is the one documented in stats_ring_layout.h.
constexpr std::uint32_t histogramBucket(std::uint64_t ns) noexcept
{
    constexpr std::uint64_t sub = 1ULL << CLAB_HIST_SUB_BITS;
    if (ns < sub)
        return static_cast<std::uint32_t>(ns);
    const unsigned m = 63U - static_cast<unsigned>(std::countl_zero(ns));
    const std::uint64_t idx = (m - CLAB_HIST_SUB_BITS + 1) * sub + ((ns >> (m - CLAB_HIST_SUB_BITS)) - sub);
    return idx < CLAB_HIST_BUCKETS ? static_cast<std::uint32_t>(idx) : CLAB_HIST_BUCKETS - 1;
}

// Smallest value that maps to bucket i.
constexpr std::uint64_t histogramBucketLower(std::uint32_t i) noexcept
{
    constexpr std::uint64_t sub = 1ULL << CLAB_HIST_SUB_BITS;
    if (i < sub)
        return i;
    const std::uint64_t octave = i / sub; // >= 1
    const std::uint64_t offset = i % sub;
    const unsigned shift = static_cast<unsigned>(octave - 1);
    return (sub + offset) << shift;
}

// One past the largest value that maps to bucket i (for the last bucket: 2^34, the end of the
// documented range; larger values are clamped into it). histogramBucketLower follows the layout
// formula past the last bucket, so this holds for every i.
constexpr std::uint64_t histogramBucketUpper(std::uint32_t i) noexcept
{
    return histogramBucketLower(i + 1);
}

struct LatencyHistogram {
    std::array<std::uint64_t, CLAB_HIST_BUCKETS> counts{};

    std::uint64_t total() const noexcept;
    // Value below which a fraction q (0..1) of observations fall: the midpoint of the bucket
    // holding the q-th observation, so the error is at most half a bucket (≤ 1.6 %). 0 if empty.
    double quantile(double q) const noexcept;
    double maxValue() const noexcept; // upper bound of the highest non-empty bucket
    double mean() const noexcept;     // from bucket midpoints
    LatencyHistogram &operator+=(const LatencyHistogram &o) noexcept;
    // Counts that went backwards (a reader raced a reset) are clamped to zero.
    LatencyHistogram since(const LatencyHistogram &earlier) const noexcept;
};

} // namespace clab
