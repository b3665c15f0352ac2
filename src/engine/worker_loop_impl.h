// The generic measured loop, instantiated once per operation type so each op is inlined.
#pragma once

#include "worker_loop.h"

#include <algorithm>
#include <cerrno>
#include <pthread.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/timerfd.h>
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

// Runs `op` through the phases set by the runner. Op: void operator()(WorkerCounters&, StatsLaneWriter&, bool measuring).
template<class Op>
int workerLoop(WorkerEnv &env, Op &op) noexcept
{
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
            lane.setState(CLAB_WORKER_FAILED);
            ctl.ready.fetch_add(1, std::memory_order_acq_rel);
            futexWakeAll(ctl.ready);
            return e;
        }
    }
    Pauses pauses(spec.workload);

    // Start gate: announce readiness, then sleep until the runner opens the gate.
    ctl.ready.fetch_add(1, std::memory_order_acq_rel);
    futexWakeAll(ctl.ready);
    while (ctl.phase.load(std::memory_order_acquire) == static_cast<std::uint32_t>(RunPhase::Preparing))
        futexWait(ctl.phase, static_cast<std::uint32_t>(RunPhase::Preparing));

    const std::uint64_t startMono = ctl.startMonotonicNs;
    const std::uint64_t interval = spec.sampleIntervalNs;
    const std::uint64_t opsLimit = spec.operationsPerWorker;
    std::uint64_t opsTotal = 0;
    bool stopped = false;
    lane.setState(CLAB_WORKER_RUNNING);

    for (auto phase = static_cast<RunPhase>(ctl.phase.load(std::memory_order_acquire));
         phase == RunPhase::Warmup || phase == RunPhase::Measuring;) {
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
        const bool limited = measuring && opsLimit != 0;

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
            s.state = static_cast<std::uint32_t>(dominantState(now - prevT, waitNs - prevWait, holdNs - prevHold, ioNs - prevIo));
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
            op(c, lane, measuring);
            if (pauses.any())
                c.ioTicks += pauses.run(clock);
            ++c.ops;
            // The operation limit is folded into the countdown, so the common path is one
            // decrement and one branch.
            if (--countdown != 0)
                continue;
            if (limited && c.ops >= opsLimit) {
                next = RunPhase::Stop;
                break;
            }
            const std::uint64_t now = monotonicNs();
            if (now >= nextPublish) {
                publish(now, 0);
                nextPublish += interval;
                if (nextPublish <= now) // fell behind (descheduled): skip, do not burst
                    nextPublish = now + interval;
            }
            next = static_cast<RunPhase>(ctl.phase.load(std::memory_order_acquire));
            if (next != phase)
                break;
            const std::uint64_t dt = now - lastCheckNs;
            const std::uint64_t dops = c.ops - lastCheckOps;
            const std::uint64_t target = std::max<std::uint64_t>(interval / 8, 50'000);
            if (dt > 0) {
                const double perNs = static_cast<double>(dops) / static_cast<double>(dt);
                checkEvery = std::clamp<std::uint64_t>(static_cast<std::uint64_t>(perNs * static_cast<double>(target)), 1, 1U << 20);
            }
            lastCheckNs = now;
            lastCheckOps = c.ops;
            countdown = limited ? std::min(checkEvery, opsLimit - c.ops) : checkEvery;
        }

        const std::uint64_t end = monotonicNs();
        opsTotal += c.ops;
        if (measuring) {
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
        publish(end, 0); // last warm-up sample
        phase = next;
    }
    (void)stopped;
    lane.setState(CLAB_WORKER_FINISHED);
    return 0;
}

} // namespace clab::detail
