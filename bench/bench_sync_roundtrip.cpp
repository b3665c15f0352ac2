// Round trips of a token passed between two workers: the engine's semaphore and event
// experiments vs minimal raw loops of the same calls, side by side, at the same placement.
//
// Usage: bench_sync_roundtrip [seconds-per-side] [rounds] [fifo|other]
// Each round runs every raw loop and its engine counterpart back to back (threads, both workers
// pinned), and the ratio engine/raw of the time per round trip is reported as the median over
// rounds. With `fifo` (the default) the process runs under SCHED_FIFO priority 1, which every
// thread of both sides inherits: on a shared machine the neighbours' compile jobs then cannot
// preempt a round trip halfway (both sides get the same treatment; the line printed first says
// which policy was in force). `other` keeps the normal time-sharing policy. Placements: both workers on CPU 0; on CPUs 0 and 1; on CPUs 0 and 1 with the CPUs kept
// awake (/dev/cpu_dma_latency held at 0 for both sides: an idle CPU of a virtual machine halts,
// which makes a cross-CPU wake-up cost tens of µs). The machine is shared and noisy, so only
// ratios measured side by side mean anything.
//
//   semaphore      engine: semaphore ping-pong   raw: sem_post(ping); sem_wait(pong) | sem_wait(ping); sem_post(pong)
//   event (futex)  engine: event hand-off, futex, setInterval 0
//                  raw: the same FutexEvent calls: set(go); wait(ack); clear(ack) | wait(go); clear(go); set(ack)
//   event vs raw futex: the same engine run against the same hand-off written with bare futex
//                  calls (a word per direction, store + FUTEX_WAKE always, FUTEX_WAIT while 0).
//                  Not the same calls: FutexEvent's set() wakes only when a waiter announced
//                  itself, so this line prices the event's protocol plus the engine, and is
//                  shown without a target (line "event, futex" prices the engine alone).
//   event (condvar) engine: event hand-off, condvar   raw: the same CondVarEvent calls.
#include "experiment_spec.h"
#include "process_event.h"
#include "run_supervisor.h"
#include "stats_ring.h"
#include "tsc_clock.h"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <climits>
#include <cstring>
#include <cstdio>
#include <cstdlib>
#include <fcntl.h>
#include <functional>
#include <linux/futex.h>
#include <memory>
#include <sched.h>
#include <semaphore.h>
#include <string>
#include <sys/syscall.h>
#include <thread>
#include <unistd.h>
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

// Runs `initiator` (one round trip per call) and `responder` (one reply per call) on two pinned
// threads for about `ns`; returns ns per round trip. `stopResponder` unblocks the responder once
// the initiator is done (it sees `stop` after its next reply).
double rawRoundTripNs(std::uint64_t ns, int cpuA, int cpuB, const std::function<void()> &initiator,
                      const std::function<void()> &responder, const std::function<void()> &stopResponder)
{
    std::atomic<int> ready{0};
    std::atomic<bool> stop{false};
    std::uint64_t trips = 0, elapsed = 0;
    std::thread b([&] {
        pin(cpuB);
        ready.fetch_add(1);
        while (ready.load() < 2)
            sched_yield(); // under SCHED_FIFO on one CPU the other thread must get to run
        while (!stop.load(std::memory_order_relaxed))
            responder();
    });
    std::thread a([&] {
        pin(cpuA);
        ready.fetch_add(1);
        while (ready.load() < 2)
            sched_yield();
        const std::uint64_t t0 = monotonicNs();
        const std::uint64_t end = t0 + ns;
        std::uint64_t n = 0, now = t0;
        do {
            for (int i = 0; i < 64; ++i)
                initiator();
            n += 64;
            now = monotonicNs();
        } while (now < end);
        trips = n;
        elapsed = now - t0;
        stop.store(true);
        stopResponder();
    });
    a.join();
    b.join();
    return static_cast<double>(elapsed) / static_cast<double>(trips);
}

// The engine, through runExperiment as the runner calls it; ns per round trip of worker 0 (the
// initiator / setter) over its own measured time.
double engineRoundTripNs(ExperimentSpec s, std::uint64_t ns, bool sameCpu)
{
    s.name = "round trip";
    s.execution = ExecutionModel::Threads;
    s.workers = 2;
    s.durationNs = ns;
    s.warmupNs = 0;
    s.sampleIntervalNs = 10'000'000;
    s.placement = sameCpu ? PlacementPolicy::SameCpu : PlacementPolicy::Spread;
    StatsRing ring = StatsRing::createAnonymous(s.workers, recommendedLaneCapacity(s.sampleIntervalNs));
    const RunResult r = runExperiment(s, ring, SupervisorOptions{}, RunHooks{});
    if (r.status != "finished" || r.workers.empty() || r.workers[0].ops == 0) {
        std::fprintf(stderr, "engine run failed: %s %s\n", r.status.c_str(), r.error.c_str());
        std::exit(2);
    }
    return static_cast<double>(r.workers[0].measuredNs) / static_cast<double>(r.workers[0].ops);
}

ExperimentSpec semaphoreSpec()
{
    ExperimentSpec s;
    s.primitive = PrimitiveKind::Semaphore;
    s.semaphore.pattern = SemaphorePattern::PingPong;
    return s;
}

ExperimentSpec eventSpec(EventImplementation impl)
{
    ExperimentSpec s;
    s.primitive = PrimitiveKind::Event;
    s.event.pattern = EventPattern::HandOff;
    s.event.implementation = impl;
    s.event.setIntervalNs = 0;
    return s;
}

double rawSemaphore(std::uint64_t ns, int a, int b)
{
    sem_t ping, pong;
    sem_init(&ping, 0, 0);
    sem_init(&pong, 0, 0);
    const double r = rawRoundTripNs(
        ns, a, b,
        [&] {
            sem_post(&ping);
            sem_wait(&pong);
        },
        [&] {
            sem_wait(&ping);
            sem_post(&pong);
        },
        [&] { sem_post(&ping); });
    sem_destroy(&ping);
    sem_destroy(&pong);
    return r;
}

template<class Ev>
double rawEvent(std::uint64_t ns, int a, int b)
{
    struct alignas(64) Line {
        Ev ev;
    };
    Line go{}, ack{};
    go.ev.init(false);
    ack.ev.init(false);
    const double r = rawRoundTripNs(
        ns, a, b,
        [&] {
            go.ev.set();
            ack.ev.waitUntil(0);
            ack.ev.clear();
        },
        [&] {
            go.ev.waitUntil(0);
            go.ev.clear();
            ack.ev.set();
        },
        [&] { go.ev.set(); });
    go.ev.destroy();
    ack.ev.destroy();
    return r;
}

// The least the same hand-off can be with raw futex calls: one word per direction (as the event
// hand-off has `go` and `ack`); "set" is a store and an unconditional FUTEX_WAKE, "wait" is
// FUTEX_WAIT while the word is 0, "clear" a store of 0.
double rawBareFutex(std::uint64_t ns, int a, int b)
{
    struct alignas(64) Word {
        std::atomic<std::uint32_t> v{0};
    };
    Word go, ack;
    auto set = [](Word &w) {
        w.v.store(1, std::memory_order_release);
        syscall(SYS_futex, reinterpret_cast<std::uint32_t *>(&w.v), FUTEX_WAKE | FUTEX_PRIVATE_FLAG, 1, nullptr, nullptr, 0);
    };
    auto wait = [](Word &w) {
        while (w.v.load(std::memory_order_acquire) == 0)
            syscall(SYS_futex, reinterpret_cast<std::uint32_t *>(&w.v), FUTEX_WAIT | FUTEX_PRIVATE_FLAG, 0, nullptr, nullptr, 0);
    };
    return rawRoundTripNs(
        ns, a, b,
        [&] {
            set(go);
            wait(ack);
            ack.v.store(0, std::memory_order_relaxed);
        },
        [&] {
            wait(go);
            go.v.store(0, std::memory_order_relaxed);
            set(ack);
        },
        [&] { set(go); });
}

double median(std::vector<double> v)
{
    std::sort(v.begin(), v.end());
    return v.empty() ? 0.0 : v[v.size() / 2];
}

// Holds /dev/cpu_dma_latency at 0 while alive (as cyclictest does); -1 when it cannot.
class KeepCpusAwake {
public:
    KeepCpusAwake()
    {
        m_fd = open("/dev/cpu_dma_latency", O_WRONLY | O_CLOEXEC);
        const std::int32_t zero = 0;
        if (m_fd >= 0 && write(m_fd, &zero, sizeof zero) != sizeof zero) {
            close(m_fd);
            m_fd = -1;
        }
    }
    ~KeepCpusAwake()
    {
        if (m_fd >= 0)
            close(m_fd);
    }
    KeepCpusAwake(const KeepCpusAwake &) = delete;
    KeepCpusAwake &operator=(const KeepCpusAwake &) = delete;
    bool ok() const { return m_fd >= 0; }

private:
    int m_fd = -1;
};

} // namespace

int main(int argc, char **argv)
{
    const double seconds = argc > 1 ? std::atof(argv[1]) : 0.25;
    const int rounds = argc > 2 ? std::atoi(argv[2]) : 15;
    const bool fifo = argc > 3 ? std::string(argv[3]) != "other" : true;
    const auto ns = static_cast<std::uint64_t>(seconds * 1e9);
    std::string policy = "SCHED_OTHER (time sharing)";
    if (fifo) {
        const sched_param sp{1};
        if (sched_setscheduler(0, SCHED_FIFO, &sp) == 0)
            policy = "SCHED_FIFO priority 1 (inherited by every thread of both sides)";
        else
            policy = std::string("SCHED_OTHER (SCHED_FIFO refused: ") + std::strerror(errno) + ")";
    }
    const bool twoCpus = std::thread::hardware_concurrency() >= 2;
    constexpr double kTarget = 1.2;

    struct Placement {
        const char *name;
        int a, b;
        bool awake;
    };
    std::vector<Placement> placements{{"same CPU (both workers on CPU 0)", 0, 0, false}};
    if (twoCpus) {
        placements.push_back({"across CPUs (worker 0 on CPU 0, worker 1 on CPU 1)", 0, 1, false});
        placements.push_back({"across CPUs, CPUs kept awake (/dev/cpu_dma_latency = 0)", 0, 1, true});
    }
    struct Case {
        const char *name;
        std::function<double(std::uint64_t, int, int)> raw;
        ExperimentSpec engine;
        bool sameCalls; // the target applies to the engine against the very same calls
    };
    const std::vector<Case> cases{
        {"semaphore (sem_post / sem_wait)", rawSemaphore, semaphoreSpec(), true},
        {"event, futex (same FutexEvent calls)", rawEvent<FutexEvent>, eventSpec(EventImplementation::Futex), true},
        {"event, futex vs bare futex calls", rawBareFutex, eventSpec(EventImplementation::Futex), false},
        {"event, condvar (same CondVarEvent calls)", rawEvent<CondVarEvent>, eventSpec(EventImplementation::CondVar), true},
    };

    std::printf("sync round trips: threads, %d rounds of %.2f s per side, raw and engine alternating, medians\n", rounds,
                seconds);
    std::printf("scheduling: %s\n", policy.c_str());
    std::printf("time per round trip (worker 0 -> worker 1 -> worker 0); ratio = engine / raw (target <= %.2f)\n", kTarget);
    bool ok = true;
    for (const Placement &p : placements) {
        std::unique_ptr<KeepCpusAwake> awake;
        if (p.awake) {
            awake = std::make_unique<KeepCpusAwake>();
            if (!awake->ok()) {
                std::printf("%s: skipped (cannot hold /dev/cpu_dma_latency; needs root)\n", p.name);
                continue;
            }
        }
        std::printf("%s\n", p.name);
        for (const Case &c : cases) {
            std::vector<double> raw, engine, ratio;
            for (int r = 0; r < rounds; ++r) {
                const double x = c.raw(ns, p.a, p.b);
                const double e = engineRoundTripNs(c.engine, ns, p.a == p.b);
                raw.push_back(x);
                engine.push_back(e);
                ratio.push_back(e / x);
            }
            const double mr = median(ratio);
            if (c.sameCalls) {
                std::printf("  %-42s raw %9.2f us  engine %9.2f us  engine/raw %.3f (target <= %.2f) %s\n", c.name,
                            median(raw) / 1e3, median(engine) / 1e3, mr, kTarget, mr <= kTarget ? "ok" : "MISSED");
                ok = ok && mr <= kTarget;
            } else {
                std::printf("  %-42s raw %9.2f us  engine %9.2f us  engine/raw %.3f (different protocol: no target)\n",
                            c.name, median(raw) / 1e3, median(engine) / 1e3, mr);
            }
        }
    }
    return ok ? 0 : 1;
}
