// The event experiment (the course's Event: set / clear / wait(timeout) / is_set): hand-off
// wake-up latency between a setter and a waiter, and a gate that releases many waiters at once.
//
// Hand-off (workers in pairs 2k, 2k+1): the setter stamps the TSC into the `go` line, sets `go`;
// the waiter wakes, reads the stamp (wake-up latency = its clock - the stamp: the invariant TSC is
// one clock across CPUs), clears `go` and sets `ack`; the setter wakes on `ack` (a round trip),
// clears it, pauses setInterval and starts again. Lane histograms: the waiters' wake-up latency.
// The setters' round trips are reported as figures (they would blur the wake-up histogram).
//
// Gate (worker 0 sets, the others wait): round r uses event r % 2 (two events, so a waiter that
// passed round r cannot pass again before the setter opens round r + 1). The setter stamps, sets,
// then waits until every waiter has written its wake-up stamp for round r into its own slot,
// clears the event, and books max(stamps) - set stamp: the time until the LAST waiter runs (its
// lane histogram). Each waiter's own wake-up goes into the figures.
//
// Stop: every wait is a timed wait cut into stopPollNs slices; between slices the phase is read,
// and an op that sees Stop returns false (abandoned, not counted).
#include "experiment_family.h"
#include "latency_histogram.h"
#include "metrics.h"
#include "process_event.h"
#include "stoppable_wait.h"
#include "worker_loop_impl.h"

#include <algorithm>
#include <cstring>
#include <new>
#include <sched.h>

namespace clab {

namespace {

// The event and the message that goes with it (written by the setter just before set()), on one
// cache line: the waiter reads both, so the stamp costs no extra line transfer.
// Memory ordering: the stamp is a relaxed store sequenced before set() (a release) and a relaxed
// load sequenced after a wait() that returned true (an acquire), so the waiter reads the stamp
// of the set() that woke it; the setter writes the next stamp only after the waiter's answer.
template<class Ev>
struct alignas(CLAB_CACHE_LINE) EventLine {
    Ev ev;
    std::uint64_t stampTicks = 0; // atomic_ref: written by the setter, read by the waiter
};

// Gate: one per worker, written only by that waiter (the setter reads it).
// Memory ordering: wakeTicks is written, then round is stored with release; the setter
// acquire-loads round and only then reads wakeTicks. A waiter rewrites its slot only after the
// setter has opened the next round, i.e. after it has read this one.
struct alignas(CLAB_CACHE_LINE) WaiterSlot {
    std::atomic<std::uint64_t> round{0}; // last round passed; release after wakeTicks
    std::uint64_t wakeTicks = 0;
};

// Written once by each worker when its loop is over, read by finish().
struct alignas(CLAB_CACHE_LINE) EventWorkerFigures {
    std::uint32_t written = 0;
    std::uint64_t sets = 0;     // all phases (checks)
    std::uint64_t received = 0; // all phases: sets a waiter saw / gate rounds it passed
    std::uint64_t started = 0;  // gate setter: rounds opened (all phases)
    std::uint64_t completed = 0; // gate setter: rounds every waiter passed (all phases)
    std::uint64_t timeouts = 0; // wait(timeout) calls that timed out, measured phase
    std::uint64_t measuredSets = 0;
    std::uint64_t roundTrips = 0; // hand-off setter, measured
    double roundTripMeanNs = 0, roundTripP50Ns = 0, roundTripP99Ns = 0;
    std::uint64_t gateRounds = 0; // gate setter, measured
    double firstWakeSumNs = 0, anyWakeSumNs = 0;
    std::uint64_t anyWakeCount = 0;
};

// Byte offsets of the parts of the shared block (arrays sized by the worker count).
template<class Ev>
struct EventLayout {
    std::size_t lines, slotsAt, figuresAt, size;
    explicit EventLayout(const ExperimentSpec &spec)
    {
        lines = spec.event.pattern == EventPattern::HandOff ? std::max<std::uint32_t>(spec.workers, 2) : 2;
        slotsAt = lines * sizeof(EventLine<Ev>);
        figuresAt = slotsAt + spec.workers * sizeof(WaiterSlot);
        size = figuresAt + spec.workers * sizeof(EventWorkerFigures);
    }
    static EventLine<Ev> *line(void *mem, std::size_t i) { return static_cast<EventLine<Ev> *>(mem) + i; }
    WaiterSlot *slot(void *mem, std::size_t i) const
    {
        return reinterpret_cast<WaiterSlot *>(static_cast<std::byte *>(mem) + slotsAt) + i;
    }
    EventWorkerFigures *figures(void *mem, std::size_t i) const
    {
        return reinterpret_cast<EventWorkerFigures *>(static_cast<std::byte *>(mem) + figuresAt) + i;
    }
};

enum class WaitEnd { Set, Stopped };

// Python's `while not ev.wait(timeout): timeouts += 1`, in stop slices. Call it only after
// isSet() said no (that fast check costs no clock read).
template<class Ev>
WaitEnd waitForSet(Ev &ev, std::uint64_t timeoutNs, std::uint64_t slice, const RunControl &ctl, std::uint64_t &timeouts,
                   bool measuring) noexcept
{
    std::uint64_t now = monotonicNs();
    std::uint64_t userDeadline = timeoutNs != 0 ? now + timeoutNs : UINT64_MAX;
    for (;;) {
        if (ev.waitUntil(std::min(userDeadline, now + slice)))
            return WaitEnd::Set;
        now = monotonicNs();
        if (now >= userDeadline) {
            if (measuring)
                ++timeouts;
            userDeadline = now + timeoutNs;
        }
        if (stopRequested(ctl))
            return WaitEnd::Stopped;
    }
}

struct Common {
    const RunControl &ctl;
    TickClock clock;
    std::uint64_t interval, slice, timeout;
    EventWorkerFigures f{};
    explicit Common(const WorkerEnv &env)
        : ctl(*env.control)
        , clock(env.clock)
        , interval(env.spec->event.setIntervalNs)
        , slice(stopPollNs(*env.spec))
        , timeout(env.spec->event.waitTimeoutNs)
    {
    }
    std::uint64_t ticksToNs(std::uint64_t later, std::uint64_t earlier) const noexcept
    {
        return later > earlier ? clock.toNs(later - earlier) : 0; // never negative across CPUs
    }
};

template<class Ev>
struct HandOffSetter : Common {
    EventLine<Ev> &go, &ack;
    LatencyHistogram roundTrip; // private; summarised into the figures at the end
    double roundTripSumNs = 0;
    HandOffSetter(const WorkerEnv &env, EventLine<Ev> &g, EventLine<Ev> &a) : Common(env), go(g), ack(a) {}

    bool operator()(WorkerCounters &c, StatsLaneWriter &, bool measuring) noexcept
    {
        if (interval != 0 && !sleepUnlessStopped(interval, ctl, slice))
            return false;
        const std::uint64_t tSet = clock.now();
        std::atomic_ref<std::uint64_t>(go.stampTicks).store(tSet, std::memory_order_relaxed); // published by set()
        go.ev.set();
        ++f.sets;
        if (measuring)
            ++f.measuredSets;
        c.gauge0 = static_cast<std::int64_t>(f.sets);
        if (!ack.ev.isSet()) {
            ++c.contended;
            if (waitForSet(ack.ev, timeout, slice, ctl, f.timeouts, measuring) == WaitEnd::Stopped)
                return false; // the round stays in flight; finish() allows for it
        }
        const std::uint64_t tBack = clock.now();
        ack.ev.clear();
        c.waitTicks += tBack - tSet;
        c.gauge1 = static_cast<std::int64_t>(f.timeouts);
        if (measuring) {
            const std::uint64_t ns = ticksToNs(tBack, tSet);
            ++f.roundTrips;
            roundTripSumNs += static_cast<double>(ns);
            ++roundTrip.counts[histogramBucket(ns)];
        }
        return true;
    }
    void publishFigures(EventWorkerFigures &out) noexcept
    {
        f.roundTripMeanNs = f.roundTrips ? roundTripSumNs / static_cast<double>(f.roundTrips) : 0;
        f.roundTripP50Ns = roundTrip.quantile(0.5);
        f.roundTripP99Ns = roundTrip.quantile(0.99);
        f.written = 1;
        out = f;
    }
};

template<class Ev>
struct HandOffWaiter : Common {
    EventLine<Ev> &go, &ack;
    HandOffWaiter(const WorkerEnv &env, EventLine<Ev> &g, EventLine<Ev> &a) : Common(env), go(g), ack(a) {}

    bool operator()(WorkerCounters &c, StatsLaneWriter &lane, bool measuring) noexcept
    {
        const bool wasSet = go.ev.isSet();
        c.gauge0 = wasSet ? 1 : 0; // is_set() as the waiter found it
        std::uint64_t t0 = 0;
        if (!wasSet) {
            t0 = clock.now();
            if (waitForSet(go.ev, timeout, slice, ctl, f.timeouts, measuring) == WaitEnd::Stopped)
                return false;
        }
        const std::uint64_t tWake = clock.now();
        const std::uint64_t stamp = std::atomic_ref<std::uint64_t>(go.stampTicks).load(std::memory_order_relaxed);
        go.ev.clear();
        ack.ev.set();
        ++f.received;
        if (!wasSet) {
            ++c.contended;
            c.waitTicks += tWake - t0;
        }
        const std::uint64_t ns = ticksToNs(tWake, stamp);
        ++c.latencyCount;
        c.latencySumNs += ns;
        c.gauge1 = static_cast<std::int64_t>(f.timeouts);
        if (measuring)
            lane.recordLatency(ns);
        return true;
    }
    void publishFigures(EventWorkerFigures &out) noexcept
    {
        f.written = 1;
        out = f;
    }
};

template<class Ev>
struct GateSetter : Common {
    EventLine<Ev> *gate; // [2]
    WaiterSlot *slots;   // [workers]; slot 0 (the setter's) unused
    std::uint32_t workers;
    std::uint64_t round = 0;
    GateSetter(const WorkerEnv &env, EventLine<Ev> *g, WaiterSlot *s)
        : Common(env), gate(g), slots(s), workers(env.spec->workers)
    {
    }

    bool operator()(WorkerCounters &c, StatsLaneWriter &lane, bool measuring) noexcept
    {
        if (interval != 0 && !sleepUnlessStopped(interval, ctl, slice))
            return false;
        const std::uint64_t r = ++round;
        EventLine<Ev> &line = gate[r % 2];
        const std::uint64_t tSet = clock.now();
        std::atomic_ref<std::uint64_t>(line.stampTicks).store(tSet, std::memory_order_relaxed);
        line.ev.set();
        ++f.sets;
        ++f.started;
        if (measuring)
            ++f.measuredSets;
        // Wait until every waiter has passed round r. Its stamps, not this polling, are what is
        // measured, so the polling only paces the rounds: yield first (the waiters may need
        // this CPU), then sleep briefly.
        std::uint64_t firstWake = UINT64_MAX, lastWake = 0;
        double sum = 0;
        for (std::uint32_t i = 1; i < workers; ++i) {
            unsigned tries = 0;
            while (slots[i].round.load(std::memory_order_acquire) < r) {
                if (++tries < 64) {
                    sched_yield();
                } else {
                    if (stopRequested(ctl))
                        return false;
                    const timespec ts{0, 20'000};
                    nanosleep(&ts, nullptr);
                }
            }
            const std::uint64_t w = slots[i].wakeTicks;
            firstWake = std::min(firstWake, w);
            lastWake = std::max(lastWake, w);
            sum += static_cast<double>(ticksToNs(w, tSet));
        }
        line.ev.clear();
        ++f.completed;
        const std::uint64_t tDone = clock.now();
        ++c.contended;
        c.waitTicks += tDone - tSet;
        const std::uint64_t lastNs = ticksToNs(lastWake, tSet);
        ++c.latencyCount;
        c.latencySumNs += lastNs;
        c.gauge0 = static_cast<std::int64_t>(r);
        if (measuring) {
            lane.recordLatency(lastNs);
            ++f.gateRounds;
            f.firstWakeSumNs += static_cast<double>(ticksToNs(firstWake, tSet));
            f.anyWakeSumNs += sum;
            f.anyWakeCount += workers - 1;
        }
        return true;
    }
    void publishFigures(EventWorkerFigures &out) noexcept
    {
        f.written = 1;
        out = f;
    }
};

template<class Ev>
struct GateWaiter : Common {
    EventLine<Ev> *gate;
    WaiterSlot &mine;
    std::uint64_t round = 0;
    GateWaiter(const WorkerEnv &env, EventLine<Ev> *g, WaiterSlot &s) : Common(env), gate(g), mine(s) {}

    bool operator()(WorkerCounters &c, StatsLaneWriter &, bool measuring) noexcept
    {
        const std::uint64_t r = round + 1;
        EventLine<Ev> &line = gate[r % 2];
        const bool wasSet = line.ev.isSet();
        c.gauge0 = wasSet ? 1 : 0;
        std::uint64_t t0 = 0;
        if (!wasSet) {
            t0 = clock.now();
            if (waitForSet(line.ev, timeout, slice, ctl, f.timeouts, measuring) == WaitEnd::Stopped)
                return false;
        }
        const std::uint64_t tWake = clock.now();
        mine.wakeTicks = tWake;
        mine.round.store(r, std::memory_order_release);
        round = r;
        ++f.received;
        if (!wasSet) {
            ++c.contended;
            c.waitTicks += tWake - t0;
        }
        c.gauge1 = static_cast<std::int64_t>(f.timeouts);
        return true;
    }
    void publishFigures(EventWorkerFigures &out) noexcept
    {
        f.written = 1;
        out = f;
    }
};

template<class Op>
int runOp(WorkerEnv &env, Op &op, EventWorkerFigures &out) noexcept
{
    const int rc = detail::workerLoop(env, op);
    op.publishFigures(out);
    return rc;
}

template<class Ev>
int runWorkerImpl(WorkerEnv &env) noexcept
{
    const EventLayout<Ev> layout(*env.spec);
    void *mem = env.primitiveShared;
    EventWorkerFigures &out = *layout.figures(mem, env.index);
    if (env.spec->event.pattern == EventPattern::HandOff) {
        const std::uint32_t pair = env.index / 2;
        EventLine<Ev> &go = *EventLayout<Ev>::line(mem, 2 * pair);
        EventLine<Ev> &ack = *EventLayout<Ev>::line(mem, 2 * pair + 1);
        if (env.index % 2 == 0) {
            HandOffSetter<Ev> op(env, go, ack);
            return runOp(env, op, out);
        }
        HandOffWaiter<Ev> op(env, go, ack);
        return runOp(env, op, out);
    }
    EventLine<Ev> *gate = EventLayout<Ev>::line(mem, 0);
    if (env.index == 0) {
        GateSetter<Ev> op(env, gate, layout.slot(mem, 0));
        return runOp(env, op, out);
    }
    GateWaiter<Ev> op(env, gate, *layout.slot(mem, env.index));
    return runOp(env, op, out);
}

template<class Ev>
std::string initImpl(void *mem, const ExperimentSpec &spec, bool processShared)
{
    const EventLayout<Ev> layout(spec);
    for (std::size_t i = 0; i < layout.lines; ++i) {
        auto *l = new (EventLayout<Ev>::line(mem, i)) EventLine<Ev>{};
        if (std::string e = l->ev.init(processShared); !e.empty()) {
            for (std::size_t k = 0; k < i; ++k)
                EventLayout<Ev>::line(mem, k)->ev.destroy();
            return e;
        }
    }
    for (std::uint32_t i = 0; i < spec.workers; ++i) {
        new (layout.slot(mem, i)) WaiterSlot{};
        new (layout.figures(mem, i)) EventWorkerFigures{};
    }
    return {};
}

template<class Ev>
void cleanupImpl(void *mem, const ExperimentSpec &spec)
{
    const EventLayout<Ev> layout(spec);
    for (std::size_t i = 0; i < layout.lines; ++i)
        EventLayout<Ev>::line(mem, i)->ev.destroy();
}

std::size_t sharedSize(const ExperimentSpec &spec)
{
    return spec.event.implementation == EventImplementation::Futex ? EventLayout<FutexEvent>(spec).size
                                                                   : EventLayout<CondVarEvent>(spec).size;
}

std::string init(void *mem, const ExperimentSpec &spec, bool processShared)
{
    if (spec.execution == ExecutionModel::Sequential)
        return "execution: the event experiment needs its setter and waiters to run at the same time; "
               "\"sequential\" runs one worker after the other (use threads or processes)";
    if (spec.event.pattern == EventPattern::HandOff && (spec.workers < 2 || spec.workers % 2 != 0))
        return "workers: the hand-off pattern pairs each setter with one waiter, so it needs an even number of workers (got " +
               std::to_string(spec.workers) + ")";
    if (spec.event.pattern == EventPattern::Gate && spec.workers < 2)
        return "workers: the gate pattern needs a setter and at least one waiter (got " + std::to_string(spec.workers) + ")";
    if (std::string e = lockstepWarmupError(spec, "the event experiment"); !e.empty())
        return e;
    return spec.event.implementation == EventImplementation::Futex ? initImpl<FutexEvent>(mem, spec, processShared)
                                                                   : initImpl<CondVarEvent>(mem, spec, processShared);
}

int runEventWorker(WorkerEnv &env)
{
    return env.spec->event.implementation == EventImplementation::Futex ? runWorkerImpl<FutexEvent>(env)
                                                                        : runWorkerImpl<CondVarEvent>(env);
}

void cleanup(void *mem, const ExperimentSpec &spec, bool stuckThreads)
{
    if (stuckThreads)
        return; // a stuck thread may still use them
    if (spec.event.implementation == EventImplementation::Futex)
        return; // a futex word owns nothing
    // glibc's pthread_cond_destroy waits until every waiter has left; a worker killed inside a
    // wait never leaves. Destroy only when every worker finished its body (wrote its figures);
    // otherwise the objects stay as plain words in the run's anonymous block, which is unmapped.
    const EventLayout<CondVarEvent> layout(spec);
    for (std::uint32_t i = 0; i < spec.workers; ++i) {
        if (layout.figures(mem, i)->written == 0)
            return;
    }
    cleanupImpl<CondVarEvent>(mem, spec);
}

void addFigure(RunResult &r, std::string name, std::string label, double value, std::string unit)
{
    r.figures.push_back({std::move(name), std::move(label), value, std::move(unit)});
}

void finish(void *mem, const ExperimentSpec &spec, bool allFinished, RunResult &result)
{
    // The layout's figure array has the same offset for both implementations' sizes only by
    // accident, so compute it for the one in use.
    const std::size_t figuresAt = spec.event.implementation == EventImplementation::Futex
                                      ? EventLayout<FutexEvent>(spec).figuresAt
                                      : EventLayout<CondVarEvent>(spec).figuresAt;
    auto fig = [&](std::uint32_t i) -> const EventWorkerFigures & {
        return reinterpret_cast<const EventWorkerFigures *>(static_cast<const std::byte *>(mem) + figuresAt)[i];
    };
    std::uint64_t timeouts = 0, sets = 0;
    for (std::uint32_t i = 0; i < spec.workers; ++i) {
        timeouts += fig(i).timeouts;
        sets += fig(i).measuredSets;
    }
    addFigure(result, "sets", "set() calls (measured)", static_cast<double>(sets), "");
    addFigure(result, "waitTimeouts", "wait(timeout) calls that timed out", static_cast<double>(timeouts), "");
    // When every worker did its planned operations nothing was in flight at the end: counts match exactly.
    bool exactCount = spec.operationsPerWorker != 0 && allFinished;
    for (const WorkerResult &w : result.workers)
        exactCount = exactCount && w.ops == spec.operationsPerWorker;

    if (spec.event.pattern == EventPattern::HandOff) {
        LatencyHistogram wake;
        std::uint64_t trips = 0;
        double tripSum = 0, p50 = 0, p99 = 0;
        for (std::uint32_t i = 0; i < spec.workers; ++i) {
            if (i % 2 == 1 && i < result.workers.size())
                wake += result.workers[i].histogram;
            if (i % 2 == 0) {
                trips += fig(i).roundTrips;
                tripSum += fig(i).roundTripMeanNs * static_cast<double>(fig(i).roundTrips);
                p50 = std::max(p50, fig(i).roundTripP50Ns);
                p99 = std::max(p99, fig(i).roundTripP99Ns);
            }
        }
        const LatencySummary w = metrics::summarize(wake);
        addFigure(result, "wakeUpMeanNs", "wake-up latency, set → waiter running (mean)", w.meanNs, "ns");
        addFigure(result, "wakeUpP50Ns", "wake-up latency (median)", w.p50Ns, "ns");
        addFigure(result, "wakeUpP99Ns", "wake-up latency (99th percentile)", w.p99Ns, "ns");
        addFigure(result, "roundTrips", "round trips set → waiter → ack (measured)", static_cast<double>(trips), "");
        addFigure(result, "roundTripMeanNs", "round trip set → ack (mean)", trips ? tripSum / static_cast<double>(trips) : 0, "ns");
        addFigure(result, "roundTripP50Ns", "round trip (median; worst pair)", p50, "ns");
        addFigure(result, "roundTripP99Ns", "round trip (99th percentile; worst pair)", p99, "ns");
        if (!allFinished)
            return;
        ResultCheck check{"everySetDelivered", "every set() reached its waiter", true, {}};
        for (std::uint32_t p = 0; p + 1 < spec.workers; p += 2) {
            const std::uint64_t s = fig(p).sets, got = fig(p + 1).received;
            // The round in flight when a timed run stops may be set but not yet seen.
            const bool ok = exactCount ? got == s : (got == s || got + 1 == s);
            if (!ok)
                check.passed = false;
            if (!check.detail.empty())
                check.detail += "; ";
            check.detail += "pair " + std::to_string(p / 2) + ": " + std::to_string(s) + " sets, " + std::to_string(got) +
                            " seen by the waiter";
        }
        result.checks.push_back(std::move(check));
        return;
    }

    const EventWorkerFigures &setter = fig(0);
    const LatencySummary last = result.workers.empty() ? LatencySummary{} : result.workers[0].latency;
    addFigure(result, "gateRounds", "gate rounds (measured)", static_cast<double>(setter.gateRounds), "");
    addFigure(result, "lastWaiterMeanNs", "time until the last waiter runs (mean)", last.meanNs, "ns");
    addFigure(result, "lastWaiterP50Ns", "time until the last waiter runs (median)", last.p50Ns, "ns");
    addFigure(result, "lastWaiterP99Ns", "time until the last waiter runs (99th percentile)", last.p99Ns, "ns");
    addFigure(result, "firstWaiterMeanNs", "time until the first waiter runs (mean)",
              setter.gateRounds ? setter.firstWakeSumNs / static_cast<double>(setter.gateRounds) : 0, "ns");
    addFigure(result, "waiterWakeUpMeanNs", "wake-up latency of a waiter (mean over all)",
              setter.anyWakeCount ? setter.anyWakeSumNs / static_cast<double>(setter.anyWakeCount) : 0, "ns");
    if (!allFinished)
        return;
    ResultCheck check{"everyRoundReleasedAll", "every gate round released all " + std::to_string(spec.workers - 1) + " waiters",
                      true, {}};
    check.detail = std::to_string(setter.completed) + " rounds completed, " + std::to_string(setter.started) + " opened";
    for (std::uint32_t i = 1; i < spec.workers; ++i) {
        const std::uint64_t got = fig(i).received;
        // A waiter passes every completed round, and at most the one opened when a stop came.
        const bool ok = exactCount ? got == setter.completed : got >= setter.completed && got <= setter.started;
        if (!ok) {
            check.passed = false;
            check.detail += "; waiter " + std::to_string(i) + " passed " + std::to_string(got);
        }
    }
    result.checks.push_back(std::move(check));
}

} // namespace

const ExperimentFamily kEventFamily{PrimitiveKind::Event, sharedSize, init, runEventWorker, finish, cleanup};

} // namespace clab
