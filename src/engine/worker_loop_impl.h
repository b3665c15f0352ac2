// The generic measured loop, instantiated once per operation type so each op is inlined.
#pragma once

#include "worker_loop.h"

#include <algorithm>
#include <cerrno>
#include <concepts>
#include <cstdio>
#include <pthread.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/timerfd.h>
#include <type_traits>
#include <unistd.h>

namespace clab::detail {

inline std::uint64_t tvNs(const timeval &tv) noexcept
{
    return static_cast<std::uint64_t>(tv.tv_sec) * 1'000'000'000ULL + static_cast<std::uint64_t>(tv.tv_usec) * 1000ULL;
}

struct CpuUsage {
    std::uint64_t userNs = 0, sysNs = 0, vol = 0, invol = 0;
    static CpuUsage ofThisThread() noexcept
    {
        rusage ru{};
        getrusage(RUSAGE_THREAD, &ru);
        return {tvNs(ru.ru_utime), tvNs(ru.ru_stime), static_cast<std::uint64_t>(ru.ru_nvcsw),
                static_cast<std::uint64_t>(ru.ru_nivcsw)};
    }
    CpuUsage minus(const CpuUsage &b) const noexcept
    {
        auto d = [](std::uint64_t x, std::uint64_t y) { return x >= y ? x - y : 0; };
        return {d(userNs, b.userNs), d(sysNs, b.sysNs), d(vol, b.vol), d(invol, b.invol)};
    }
};

// Idle and IO pauses outside the operation proper (think time, blocking reads).
class Pauses {
public:
    explicit Pauses(const Workload &w) noexcept : m_think(w.thinkTimeNs), m_io(w.ioWaitNs)
    {
        if (m_io != 0)
            m_timer = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
    }
    ~Pauses()
    {
        if (m_timer >= 0)
            close(m_timer);
    }
    Pauses(const Pauses &) = delete;
    Pauses &operator=(const Pauses &) = delete;
    bool any() const noexcept { return m_think != 0 || m_io != 0; }

    // Returns ticks spent blocked on IO.
    std::uint64_t run(const TickClock &clock) const noexcept
    {
        if (m_think != 0) {
            timespec ts{static_cast<time_t>(m_think / 1'000'000'000ULL), static_cast<long>(m_think % 1'000'000'000ULL)};
            while (clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, &ts) == EINTR) {
            }
        }
        if (m_io == 0 || m_timer < 0)
            return 0;
        // A real blocking read(): the worker sleeps in the kernel until the timer fires.
        itimerspec its{};
        its.it_value = {static_cast<time_t>(m_io / 1'000'000'000ULL), static_cast<long>(m_io % 1'000'000'000ULL)};
        const std::uint64_t t0 = clock.now();
        timerfd_settime(m_timer, 0, &its, nullptr);
        std::uint64_t expirations = 0;
        while (read(m_timer, &expirations, sizeof expirations) < 0 && errno == EINTR) {
        }
        return clock.now() - t0;
    }

private:
    std::uint64_t m_think;
    std::uint64_t m_io;
    int m_timer = -1;
};

// Which state the worker spent most of the last interval in (the timeline's cue).
inline clab_worker_state dominantState(std::uint64_t dtNs, std::uint64_t waitNs, std::uint64_t holdNs, std::uint64_t ioNs) noexcept
{
    if (dtNs == 0)
        return CLAB_WORKER_RUNNING;
    const std::uint64_t half = dtNs / 2;
    if (waitNs > half)
        return CLAB_WORKER_WAITING;
    if (ioNs > half)
        return CLAB_WORKER_IO;
    if (holdNs > half)
        return CLAB_WORKER_HOLDING;
    return CLAB_WORKER_RUNNING;
}

// The op's sampleGauges hook, if it has one (see workerLoop), called before each publish().
// Called at the call sites rather than inside `publish`: naming `op` in that lambda, even in a
// discarded `if constexpr` branch, makes it capture `op` and changes the loop's code for every op.
template<class Op>
inline void sampleGaugesOf(Op &op, WorkerCounters &c) noexcept
{
    if constexpr (requires { op.sampleGauges(c); })
        op.sampleGauges(c);
}

// Runs `op` through the phases set by the runner. Op: void operator()(WorkerCounters&, StatsLaneWriter&, bool measuring).
// An op may return bool instead: false means it abandoned the operation (it saw the run stop
// while it was blocked, or a peer left); the loop then does not count it and checks the phase
// at once instead of after its countdown. Ops returning void are compiled exactly as before.
//
// Optional members of an op, found at compile time (ops without them compile exactly as before):
//  void beforePauses(WorkerCounters&)  called right before the workload's think time / IO wait
//                                      (the emulated GIL is dropped there, as CPython does for IO).
//  bool finished() const               polled before every measured operation; true ends the
//                                      worker's measured phase (final block written). Such an op
//                                      bounds itself: the spec's operationsPerWorker is not applied.
//  clab_worker_state state() const     what the worker does now as the op knows it (e.g. a main
//                                      worker that starts joining others). Polled before every
//                                      operation; a change publishes a sample at once (closing the
//                                      interval spent in the old state) and sets the lane's state,
//                                      so the timeline has the exact instant. Meant for rare changes.
//  void sampleGauges(WorkerCounters&)  called right before each sample is published (once per
//                                      sample interval, and for the phase's last sample), never per
//                                      operation: sets gauges the op reads at sample time (e.g. a
//                                      queue's depth through a system call); leaving one untouched
//                                      keeps its last value.
// Without state(), the lane's producer state follows each sample's dominant state.
template<class Op>
int workerLoop(WorkerEnv &env, Op &op) noexcept
{
    constexpr bool kSelfBounded = requires(const Op &o) { { o.finished() } -> std::convertible_to<bool>; };
    constexpr bool kExplicitState = requires(const Op &o) { { o.state() } -> std::convertible_to<clab_worker_state>; };
    const ExperimentSpec &spec = *env.spec;
    RunControl &ctl = *env.control;
    StatsLaneWriter &lane = env.lane;
    const TickClock clock = env.clock;
    lane.setIdentity(env.index, static_cast<int>(getpid()), static_cast<int>(gettid()));
    lane.setState(CLAB_WORKER_CREATED);

    if (env.pinCpu >= 0) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(static_cast<unsigned>(env.pinCpu), &set);
        if (sched_setaffinity(0, sizeof set, &set) != 0) {
            const int e = errno;
            char what[48];
            std::snprintf(what, sizeof what, "pinning to CPU %d (sched_setaffinity)", env.pinCpu);
            noteWorkerFailure(env, e, what);
            lane.setState(CLAB_WORKER_FAILED);
            ctl.ready.fetch_add(1, std::memory_order_acq_rel);
            futexWakeAll(ctl.ready);
            return e;
        }
    }
    Pauses pauses(spec.workload);
    const bool hasPauses = pauses.any(); // hoisted: the loop calls into libc, which blocks the compiler from doing it

    // Start gate: announce readiness, then sleep until the runner opens the gate.
    ctl.ready.fetch_add(1, std::memory_order_acq_rel);
    futexWakeAll(ctl.ready);
    while (ctl.phase.load(std::memory_order_acquire) == static_cast<std::uint32_t>(RunPhase::Preparing))
        futexWait(ctl.phase, static_cast<std::uint32_t>(RunPhase::Preparing));
    if (env.status)
        env.status->started.store(1, std::memory_order_relaxed); // a failure from here on is one "during the run"

    const std::uint64_t startMono = ctl.startMonotonicNs;
    const std::uint64_t interval = spec.sampleIntervalNs;
    const std::uint64_t opsLimit = spec.operationsPerWorker;
    std::uint64_t opsTotal = 0;
    bool stopped = false;
    lane.setState(CLAB_WORKER_RUNNING);
    [[maybe_unused]] clab_worker_state opState = CLAB_WORKER_RUNNING;

    // The phase follows the run's plan by this worker's own clock (see RunControl), or the
    // runner's phase word when that says more (a stop the plan cannot know).
    // The first worker past the planned end announces the stop to everyone (see RunControl).
    auto followPlan = [&ctl](std::uint64_t now) {
        const auto published = static_cast<RunPhase>(ctl.phase.load(std::memory_order_acquire));
        const RunPhase p = ctl.planned(published, now);
        if (p == RunPhase::Stop && published != RunPhase::Stop)
            ctl.advance(RunPhase::Stop);
        return p;
    };
    for (auto phase = followPlan(monotonicNs()); phase == RunPhase::Warmup || phase == RunPhase::Measuring;) {
        const bool measuring = phase == RunPhase::Measuring;
        WorkerCounters c;
        const CpuUsage cpu0 = CpuUsage::ofThisThread();
        const std::uint64_t phaseStart = monotonicNs();
        std::uint64_t nextPublish = phaseStart + interval;
        // Operations between clock checks: starts at 1 and adapts so that a check happens about
        // every interval/8, which bounds both sampling jitter and the reaction to a stop.
        std::uint64_t checkEvery = 1;
        std::uint64_t countdown = 1;
        std::uint64_t lastCheckNs = phaseStart;
        std::uint64_t lastCheckOps = 0;
        std::uint64_t prevT = phaseStart, prevWait = 0, prevHold = 0, prevIo = 0;
        RunPhase next = phase;
        const bool limited = measuring && opsLimit != 0 && !kSelfBounded;

        auto publish = [&](std::uint64_t now, std::uint32_t flags) {
            const CpuUsage u = CpuUsage::ofThisThread().minus(cpu0);
            const std::uint64_t waitNs = clock.toNs(c.waitTicks), holdNs = clock.toNs(c.holdTicks), ioNs = clock.toNs(c.ioTicks);
            clab_sample s{};
            s.t_ns = now - startMono;
            s.ops = c.ops;
            s.bytes = c.bytes;
            s.wait_ns = waitNs;
            s.hold_ns = holdNs;
            s.contended = c.contended;
            s.latency_count = c.latencyCount;
            s.latency_sum_ns = c.latencySumNs;
            s.user_ns = u.userNs;
            s.sys_ns = u.sysNs;
            s.vol_csw = u.vol;
            s.invol_csw = u.invol;
            s.gauge0 = c.gauge0;
            s.gauge1 = c.gauge1;
            const clab_worker_state state = dominantState(now - prevT, waitNs - prevWait, holdNs - prevHold, ioNs - prevIo);
            s.state = static_cast<std::uint32_t>(state);
            if constexpr (!kExplicitState)
                lane.setState(state);
            s.cpu = sched_getcpu();
            s.flags = flags | (measuring ? 0U : CLAB_SAMPLE_WARMUP);
            lane.noteCpu(s.cpu);
            lane.publish(s);
            prevT = now;
            prevWait = waitNs;
            prevHold = holdNs;
            prevIo = ioNs;
        };

        for (;;) {
            if constexpr (kExplicitState) {
                if (const clab_worker_state st = op.state(); st != opState) {
                    const std::uint64_t now = monotonicNs();
                    sampleGaugesOf(op, c);
                    publish(now, 0);
                    opState = st;
                    lane.setState(st);
                    nextPublish = now + interval;
                }
            }
            if constexpr (kSelfBounded) {
                if (measuring && op.finished()) {
                    next = RunPhase::Stop;
                    break;
                }
            }
            bool completed = true;
            if constexpr (std::is_same_v<std::invoke_result_t<Op &, WorkerCounters &, StatsLaneWriter &, bool>, bool>)
                completed = op(c, lane, measuring);
            else
                op(c, lane, measuring);
            if (completed) {
                if (hasPauses) {
                    if constexpr (requires { op.beforePauses(c); })
                        op.beforePauses(c);
                    c.ioTicks += pauses.run(clock);
                }
                ++c.ops;
                // The operation limit is folded into the countdown, so the common path is one
                // decrement and one branch.
                if (--countdown != 0)
                    continue;
                if (limited && c.ops >= opsLimit) {
                    next = RunPhase::Stop;
                    break;
                }
            }
            // An abandoned operation (see above) is not counted and goes straight to the check.
            const std::uint64_t now = monotonicNs();
            if (now >= nextPublish) {
                sampleGaugesOf(op, c);
                publish(now, 0);
                nextPublish += interval;
                if (nextPublish <= now) // fell behind (descheduled): skip, do not burst
                    nextPublish = now + interval;
            }
            next = followPlan(now);
            if (next != phase)
                break;
            // Operation cost can change by orders of magnitude within a run (a lock holder is
            // preempted, a peer stalls), so the count adapts asymmetrically: it shrinks at once
            // when checks come too far apart and grows at most twofold per check, and it is
            // capped, so a clock read stays below a nanosecond per operation on fast loops
            // while a slow spell cannot delay a stop by more than about `cap` slow operations.
            constexpr std::uint64_t kMaxCheckEvery = 256;
            const std::uint64_t dt = now - lastCheckNs;
            const std::uint64_t dops = c.ops - lastCheckOps;
            const std::uint64_t target = std::max<std::uint64_t>(interval / 8, 50'000);
            if (dt > 0) {
                const double perNs = static_cast<double>(dops) / static_cast<double>(dt);
                const auto ideal = static_cast<std::uint64_t>(perNs * static_cast<double>(target));
                checkEvery = std::clamp<std::uint64_t>(std::min(ideal, checkEvery * 2), 1, kMaxCheckEvery);
            }
            lastCheckNs = now;
            lastCheckOps = c.ops;
            countdown = limited ? std::min(checkEvery, opsLimit - c.ops) : checkEvery;
        }

        const std::uint64_t end = monotonicNs();
        opsTotal += c.ops;
        if (measuring) {
            sampleGaugesOf(op, c);
            publish(end, CLAB_SAMPLE_FINAL);
            const CpuUsage u = CpuUsage::ofThisThread().minus(cpu0);
            clab_lane_final f{};
            f.exit_state = CLAB_WORKER_FINISHED;
            f.ops = c.ops;
            f.ops_total = opsTotal;
            f.bytes = c.bytes;
            f.wait_ns = clock.toNs(c.waitTicks);
            f.hold_ns = clock.toNs(c.holdTicks);
            f.contended = c.contended;
            f.measured_ns = end - phaseStart;
            f.user_ns = u.userNs;
            f.sys_ns = u.sysNs;
            f.vol_csw = u.vol;
            f.invol_csw = u.invol;
            f.cpu_mask = lane.producer()->cpu_mask;
            f.start_ns = phaseStart - startMono;
            f.end_ns = end - startMono;
            f.owner_died = c.ownerDied;
            lane.writeFinal(f);
            stopped = true;
            break;
        }
        sampleGaugesOf(op, c);
        publish(end, 0); // last warm-up sample
        phase = next;
    }
    if (!stopped) {
        // The run stopped before this worker reached its measured phase (it was first scheduled
        // after the stop on a loaded machine, or the stop came during warm-up): it finished having
        // measured nothing, which the final block says plainly rather than leaving the totals open.
        // It did run, on some CPU: record it, or such a worker would report no CPU at all (it
        // never published a sample, which is what notes CPUs otherwise).
        lane.noteCpu(sched_getcpu());
        const std::uint64_t now = monotonicNs();
        clab_lane_final f{};
        f.exit_state = CLAB_WORKER_FINISHED;
        f.ops_total = opsTotal;
        f.cpu_mask = lane.producer()->cpu_mask;
        f.start_ns = now - startMono;
        f.end_ns = now - startMono;
        lane.writeFinal(f);
    }
    lane.setState(CLAB_WORKER_FINISHED);
    return 0;
}

} // namespace clab::detail
