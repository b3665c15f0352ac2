// Percentiles and arithmetic on the log-linear latency histogram.
#include "latency_histogram.h"

#include <algorithm>
#include <cmath>

namespace clab {

namespace {
double midpoint(std::uint32_t i) noexcept
{
    const auto lo = static_cast<double>(histogramBucketLower(i));
    const auto hi = static_cast<double>(histogramBucketUpper(i));
    // Buckets below 2^SUB_BITS hold exactly one integer value.
    return hi - lo <= 1.0 ? lo : (lo + hi) / 2.0;
}

// Each bucket's midpoint must be within 5 % of every value in it (the ring's promise).
constexpr bool bucketsWithinFivePercent()
{
    for (std::uint32_t i = 0; i < CLAB_HIST_BUCKETS; ++i) {
        const std::uint64_t lo = histogramBucketLower(i);
        const std::uint64_t hi = histogramBucketUpper(i);
        if (lo == 0 || hi - lo <= 1)
            continue;
        if ((hi - lo) * 100 > lo * 5)
            return false;
        if (histogramBucket(lo) != i || histogramBucket(hi - 1) != i)
            return false;
    }
    return true;
}
static_assert(bucketsWithinFivePercent());
static_assert(histogramBucket(10'000'000'000ULL) < CLAB_HIST_BUCKETS - 1, "10 s must not be clamped");
static_assert(histogramBucketUpper(CLAB_HIST_BUCKETS - 1) == 1ULL << 34, "the last bucket ends where the range does");
} // namespace

std::uint64_t LatencyHistogram::total() const noexcept
{
    std::uint64_t n = 0;
    for (auto c : counts)
        n += c;
    return n;
}

double LatencyHistogram::quantile(double q) const noexcept
{
    const std::uint64_t n = total();
    if (n == 0)
        return 0.0;
    q = std::clamp(q, 0.0, 1.0);
    // Rank of the observation (1-based) that the quantile falls on.
    auto rank = static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(n)));
    rank = std::clamp<std::uint64_t>(rank, 1, n);
    std::uint64_t seen = 0;
    for (std::uint32_t i = 0; i < CLAB_HIST_BUCKETS; ++i) {
        seen += counts[i];
        if (seen >= rank)
            return midpoint(i);
    }
    return midpoint(CLAB_HIST_BUCKETS - 1);
}

double LatencyHistogram::maxValue() const noexcept
{
    for (std::uint32_t i = CLAB_HIST_BUCKETS; i-- > 0;) {
        if (counts[i] != 0)
            return static_cast<double>(histogramBucketUpper(i) - (i < (1U << CLAB_HIST_SUB_BITS) ? 1 : 0));
    }
    return 0.0;
}

double LatencyHistogram::mean() const noexcept
{
    double sum = 0.0;
    std::uint64_t n = 0;
    for (std::uint32_t i = 0; i < CLAB_HIST_BUCKETS; ++i) {
        if (counts[i] == 0)
            continue;
        sum += midpoint(i) * static_cast<double>(counts[i]);
        n += counts[i];
    }
    return n == 0 ? 0.0 : sum / static_cast<double>(n);
}

LatencyHistogram &LatencyHistogram::operator+=(const LatencyHistogram &o) noexcept
{
    for (std::size_t i = 0; i < counts.size(); ++i)
        counts[i] += o.counts[i];
    return *this;
}

LatencyHistogram LatencyHistogram::since(const LatencyHistogram &earlier) const noexcept
{
    LatencyHistogram d;
    for (std::size_t i = 0; i < counts.size(); ++i)
        d.counts[i] = counts[i] >= earlier.counts[i] ? counts[i] - earlier.counts[i] : 0;
    return d;
}

} // namespace clab
