// Runner overhead: the instrumented lock-contention experiment vs the same loop bare, side by side.
//
// Usage: bench_runner_overhead [seconds-per-round] [rounds]
// Each round runs the bare loop and the engine (the very code path of concurrency-lab-runner:
// runExperiment with a stats ring and a sampling interval of 10 ms) back to back with the same
// placement, and the ratio engine/bare is reported per case as the median over rounds. The
// machine is shared and noisy, so only ratios measured side by side mean anything.
#include "experiment_spec.h"
#include "metrics.h"
#include "run_supervisor.h"
#include "stats_ring.h"
#include "tsc_clock.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <pthread.h>
#include <sched.h>
#include <thread>
#include <vector>

using namespace clab;

namespace {

void pin(int cpu)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(static_cast<unsigned>(cpu), &set);
    sched_setaffinity(0, sizeof set, &set);
}

// The obvious loop: lock, increment, unlock, as fast as it goes, no instrumentation at all.
double bareMutexOpsPerSecond(int workers, std::uint64_t ns, const std::vector<int> &cpus)
{
    pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
    std::uint64_t counter = 0;
    std::atomic<bool> go{false}, stop{false};
    std::vector<std::uint64_t> ops(static_cast<std::size_t>(workers) * 8, 0); // padded: one line each
    std::vector<std::thread> ts;
    for (int w = 0; w < workers; ++w) {
        ts.emplace_back([&, w] {
            pin(cpus[static_cast<std::size_t>(w) % cpus.size()]);
            while (!go.load(std::memory_order_acquire)) {
            }
            std::uint64_t n = 0;
            while (!stop.load(std::memory_order_relaxed)) {
                pthread_mutex_lock(&m);
                ++counter;
                pthread_mutex_unlock(&m);
                ++n;
            }
            ops[static_cast<std::size_t>(w) * 8] = n;
        });
    }
    const std::uint64_t t0 = monotonicNs();
    go.store(true, std::memory_order_release);
    std::this_thread::sleep_for(std::chrono::nanoseconds(ns));
    stop.store(true);
    for (auto &t : ts)
        t.join();
    const std::uint64_t t1 = monotonicNs();
    std::uint64_t total = 0;
    for (int w = 0; w < workers; ++w)
        total += ops[static_cast<std::size_t>(w) * 8];
    return metrics::rate(total, t1 - t0);
}

double engineOpsPerSecond(int workers, std::uint64_t ns, PlacementPolicy placement)
{
    ExperimentSpec s;
    s.name = "overhead";
    s.execution = ExecutionModel::Threads;
    s.workers = static_cast<std::uint32_t>(workers);
    s.durationNs = ns;
    s.warmupNs = 0;
    s.sampleIntervalNs = 10'000'000;
    s.placement = placement;
    s.lock.guard = Guard::Mutex;
    StatsRing ring = StatsRing::createAnonymous(s.workers, recommendedLaneCapacity(s.sampleIntervalNs));
    const RunResult r = runExperiment(s, ring, SupervisorOptions{}, RunHooks{});
    return metrics::totals(r.workers, r.wallNs).opsPerSecond;
}

double median(std::vector<double> v)
{
    std::sort(v.begin(), v.end());
    return v.empty() ? 0.0 : v[v.size() / 2];
}

} // namespace

int main(int argc, char **argv)
{
    const double seconds = argc > 1 ? std::atof(argv[1]) : 1.0;
    const int rounds = argc > 2 ? std::atoi(argv[2]) : 5;
    const auto ns = static_cast<std::uint64_t>(seconds * 1e9);
    const unsigned cpus = std::thread::hardware_concurrency();

    struct Case {
        const char *name;
        int workers;
        PlacementPolicy placement;
        std::vector<int> bareCpus;
        double target;
    };
    std::vector<Case> cases{{"uncontended mutex, 1 worker on CPU 0", 1, PlacementPolicy::SameCpu, {0}, 0.90}};
    if (cpus >= 2)
        cases.push_back({"contended mutex, 2 workers on CPUs 0,1", 2, PlacementPolicy::Spread, {0, 1}, 0.90});

    std::printf("runner overhead: %d rounds of %.2f s per side, alternating, medians\n", rounds, seconds);
    bool ok = true;
    for (const Case &c : cases) {
        std::vector<double> bare, engine, ratio;
        for (int r = 0; r < rounds; ++r) {
            const double b = bareMutexOpsPerSecond(c.workers, ns, c.bareCpus);
            const double e = engineOpsPerSecond(c.workers, ns, c.placement);
            bare.push_back(b);
            engine.push_back(e);
            ratio.push_back(e / b);
        }
        const double mr = median(ratio);
        std::printf("%-40s bare %8.2f Mops/s  runner %8.2f Mops/s  runner/bare %.3f (target >= %.2f) %s\n", c.name,
                    median(bare) / 1e6, median(engine) / 1e6, mr, c.target, mr >= c.target ? "ok" : "MISSED");
        ok = ok && mr >= c.target;
    }
    return ok ? 0 : 1;
}
