// Interval deltas of cumulative samples; every figure goes through clab::metrics (one definition).
#include "sample_math.h"

#include "metrics.h"

namespace clab::app {

namespace {
std::uint64_t forward(std::uint64_t before, std::uint64_t after) noexcept
{
    return after >= before ? after - before : 0;
}
} // namespace

SampleDelta sampleDelta(const clab_sample &before, const clab_sample &after) noexcept
{
    SampleDelta d;
    d.t0Ns = before.t_ns;
    d.t1Ns = after.t_ns >= before.t_ns ? after.t_ns : before.t_ns;
    d.ops = forward(before.ops, after.ops);
    d.bytes = forward(before.bytes, after.bytes);
    d.waitNs = forward(before.wait_ns, after.wait_ns);
    d.holdNs = forward(before.hold_ns, after.hold_ns);
    d.contended = forward(before.contended, after.contended);
    return d;
}

IntervalFigures intervalFigures(const SampleDelta &d) noexcept
{
    IntervalFigures f;
    const std::uint64_t dt = d.dtNs();
    f.opsPerSecond = metrics::rateBetween(0, d.ops, dt);
    f.waitFraction = metrics::fraction(d.waitNs, dt);
    f.holdFraction = metrics::fraction(d.holdNs, dt);
    f.contendedFraction = metrics::fraction(d.contended, d.ops);
    return f;
}

} // namespace clab::app
