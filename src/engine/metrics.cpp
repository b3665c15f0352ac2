// Pure metric math (no I/O, no clocks): tested with tables of counters in, figures out.
#include "metrics.h"

#include <algorithm>

namespace clab::metrics {

double rate(std::uint64_t count, std::uint64_t ns) noexcept
{
    return ns == 0 ? 0.0 : static_cast<double>(count) * 1e9 / static_cast<double>(ns);
}

double rateBetween(std::uint64_t before, std::uint64_t after, std::uint64_t dtNs) noexcept
{
    return after < before ? 0.0 : rate(after - before, dtNs);
}

double fraction(std::uint64_t part, std::uint64_t whole) noexcept
{
    if (whole == 0)
        return 0.0;
    return std::clamp(static_cast<double>(part) / static_cast<double>(whole), 0.0, 1.0);
}

double jainIndex(const std::vector<double> &xs) noexcept
{
    double sum = 0, sumSq = 0;
    for (double x : xs) {
        sum += x;
        sumSq += x * x;
    }
    if (xs.empty() || sumSq == 0.0)
        return 1.0;
    return sum * sum / (static_cast<double>(xs.size()) * sumSq);
}

LatencySummary summarize(const LatencyHistogram &h) noexcept
{
    LatencySummary s;
    s.count = h.total();
    if (s.count == 0)
        return s;
    s.meanNs = h.mean();
    s.p50Ns = h.quantile(0.50);
    s.p90Ns = h.quantile(0.90);
    s.p99Ns = h.quantile(0.99);
    s.p999Ns = h.quantile(0.999);
    s.maxNs = h.maxValue();
    return s;
}

double opsPerSecond(const WorkerResult &w) noexcept { return rate(w.ops, w.measuredNs); }
double waitFraction(const WorkerResult &w) noexcept { return fraction(w.waitNs, w.measuredNs); }
double contendedFraction(const WorkerResult &w) noexcept { return fraction(w.contended, w.ops); }
double meanHoldNs(const WorkerResult &w) noexcept
{
    return w.ops == 0 ? 0.0 : static_cast<double>(w.holdNs) / static_cast<double>(w.ops);
}

Totals totals(const std::vector<WorkerResult> &workers, std::uint64_t wallNs)
{
    Totals t;
    std::uint64_t workerNs = 0;
    std::vector<double> perWorker;
    perWorker.reserve(workers.size());
    LatencyHistogram all;
    for (const auto &w : workers) {
        t.ops += w.ops;
        t.opsTotal += w.opsTotal;
        t.bytes += w.bytes;
        t.waitNs += w.waitNs;
        t.holdNs += w.holdNs;
        t.contended += w.contended;
        t.userNs += w.userNs;
        t.sysNs += w.sysNs;
        t.volCsw += w.volCsw;
        t.involCsw += w.involCsw;
        t.drops += w.drops;
        workerNs += w.measuredNs;
        perWorker.push_back(opsPerSecond(w));
        all += w.histogram;
    }
    t.opsPerSecond = rate(t.ops, wallNs);
    t.bytesPerSecond = rate(t.bytes, wallNs);
    t.waitFraction = fraction(t.waitNs, workerNs);
    t.contendedFraction = fraction(t.contended, t.ops);
    t.meanHoldNs = t.ops == 0 ? 0.0 : static_cast<double>(t.holdNs) / static_cast<double>(t.ops);
    t.fairness = jainIndex(perWorker);
    t.latency = summarize(all);
    return t;
}

} // namespace clab::metrics
