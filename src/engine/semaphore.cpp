// The semaphore experiment (the course's Semaphore: acquire / release / get_value) on a POSIX
// unnamed semaphore in the run's shared block (pshared = 1 when the workers are processes).
//
// gate: N workers, K permits. One operation: calibrated work outside, acquire (sem_trywait first;
// if no permit is free, the wait is timed exactly and done with sem_clockwait in stop slices),
// hold the permit for workload.criticalSection, release. One uncontended acquisition in 64 is
// timed too and booked with weight 64 (as the lock-contention experiment does).
//   Bookkeeping the experiment adds to the semaphore, both documented in the result:
//   * `waiters`, on the semaphore's own cache line: incremented before a worker blocks,
//     decremented after; only the slow path touches it, and that path has the line anyway.
//   * `holders` / `maxHolders`, on a line of their own, written inside the permit: the current
//     number of permit holders and its high-water mark. They are how the run checks the claim
//     "never more than K inside"; they cost one line transfer per operation, like the counter
//     of the lock-contention experiment.
//   Sampled per operation (just after acquiring): gauge0 = sem_getvalue() (the course's
//   get_value), gauge1 = waiters.
//
// ping-pong: workers in pairs (2k, 2k+1) pass a token through two semaphores initialised to 0:
// the initiator posts `ping` and waits on `pong`, the responder waits on `ping` and posts `pong`.
// The initiator's lane histogram holds the round trips. gauge0 = the value of the semaphore the
// worker waits on; no waiters count (it would add two atomics to a path that is measured whole).
#include "experiment_family.h"
#include "stoppable_wait.h"
#include "worker_loop_impl.h"

#include <cerrno>
#include <cstring>
#include <new>
#include <semaphore.h>

namespace clab {

namespace {

// sem_t guarantees: at most `value` concurrent successful waits; sem_post is a release and a
// successful sem_wait / sem_trywait / sem_clockwait an acquire (POSIX memory synchronisation).
// Memory ordering of the bookkeeping: `waiters` is relaxed (a gauge, it orders nothing).
struct alignas(CLAB_CACHE_LINE) SemaphoreLine {
    sem_t sem;
    std::atomic<std::uint32_t> waiters{0}; // the experiment's bookkeeping, on the semaphore's line
    bool ready = false;
};
static_assert(sizeof(SemaphoreLine) == CLAB_CACHE_LINE, "the waiters count must share the semaphore's cache line");

struct alignas(CLAB_CACHE_LINE) HolderCount {
    std::atomic<std::uint32_t> holders{0};
    std::atomic<std::uint32_t> maxHolders{0};
};

// Written once by each worker after its loop, read by finish().
struct alignas(CLAB_CACHE_LINE) SemaphoreWorkerFigures {
    std::uint32_t written = 0;
    std::uint64_t admissions = 0; // gate: permits taken, all phases
    std::uint64_t sent = 0;       // ping-pong initiator: tokens posted, all phases
    std::uint64_t received = 0;   // ping-pong responder: tokens taken, all phases
};

// Gate: [gate line][holders][figures × workers]; ping-pong: [2 lines × pairs][holders][figures].
struct SemaphoreLayout {
    std::size_t lines, holdersAt, figuresAt, size;
    explicit SemaphoreLayout(const ExperimentSpec &spec)
    {
        lines = spec.semaphore.pattern == SemaphorePattern::Gate ? 1 : std::max<std::uint32_t>(spec.workers, 2);
        holdersAt = lines * sizeof(SemaphoreLine);
        figuresAt = holdersAt + sizeof(HolderCount);
        size = figuresAt + spec.workers * sizeof(SemaphoreWorkerFigures);
    }
    static SemaphoreLine *line(void *mem, std::size_t i) { return static_cast<SemaphoreLine *>(mem) + i; }
    HolderCount *holders(void *mem) const
    {
        return reinterpret_cast<HolderCount *>(static_cast<std::byte *>(mem) + holdersAt);
    }
    SemaphoreWorkerFigures *figures(void *mem, std::size_t i) const
    {
        return reinterpret_cast<SemaphoreWorkerFigures *>(static_cast<std::byte *>(mem) + figuresAt) + i;
    }
};

// sem_wait that a stop can end: true with a permit taken, false when the run stopped first.
bool semWaitUnlessStopped(sem_t *s, const RunControl &ctl, std::uint64_t slice) noexcept
{
    if constexpr (CLAB_TSAN) {
        return pollUnlessStopped([s] { return sem_trywait(s) == 0 ? 0 : errno; }, EAGAIN, ctl) == 0;
    }
    for (;;) {
        const timespec ts = monotonicTimespec(monotonicNs() + slice);
        if (sem_clockwait(s, CLOCK_MONOTONIC, &ts) == 0)
            return true;
        if (errno == ETIMEDOUT && stopRequested(ctl))
            return false;
        // EINTR, or a slice ended while the run goes on: wait again.
    }
}

struct GateOp {
    SemaphoreLine &line;
    HolderCount &count;
    const RunControl &ctl;
    TickClock clock;
    std::uint64_t slice, workUnits, csUnits, seed;
    TimingSampler sampler;
    SemaphoreWorkerFigures f{};

    GateOp(const WorkerEnv &env, SemaphoreLine &l, HolderCount &h)
        : line(l)
        , count(h)
        , ctl(*env.control)
        , clock(env.clock)
        , slice(stopPollNs(*env.spec))
        , workUnits(env.work.unitsFor(env.spec->workload.cpuWorkNs))
        , csUnits(env.work.unitsFor(env.spec->workload.criticalSectionNs))
        , seed(0x9E3779B97F4A7C15ULL * (env.index + 1))
        , sampler(TimingSampler::kDefaultEvery, env.index)
    {
    }

    bool operator()(WorkerCounters &c, StatsLaneWriter &lane, bool measuring) noexcept
    {
        if (workUnits != 0)
            seed = spinWork(workUnits, seed);
        bool timed = sampler.next();
        std::uint64_t weight = sampler.weight();
        std::uint64_t t0 = timed ? clock.now() : 0;
        if (sem_trywait(&line.sem) != 0) {
            // No permit free: this acquisition is contended and timed exactly.
            if (!timed)
                t0 = clock.now();
            timed = true;
            weight = 1;
            ++c.contended;
            line.waiters.fetch_add(1, std::memory_order_relaxed);
            const bool got = semWaitUnlessStopped(&line.sem, ctl, slice);
            line.waiters.fetch_sub(1, std::memory_order_relaxed);
            if (!got)
                return false;
        }
        const std::uint64_t tAcq = timed ? clock.now() : 0;
        // Inside the permit. Relaxed is enough: sem_post (release) → sem_wait (acquire) orders a
        // leaving holder's decrement before the next holder's increment, so only a semaphore
        // that admitted too many could make the count exceed K.
        const std::uint32_t h = count.holders.fetch_add(1, std::memory_order_relaxed) + 1;
        std::uint32_t m = count.maxHolders.load(std::memory_order_relaxed);
        while (h > m && !count.maxHolders.compare_exchange_weak(m, h, std::memory_order_relaxed)) {
        }
        int value = 0;
        sem_getvalue(&line.sem, &value);
        c.gauge0 = value;
        c.gauge1 = line.waiters.load(std::memory_order_relaxed);
        if (csUnits != 0)
            seed = spinWork(csUnits, seed);
        count.holders.fetch_sub(1, std::memory_order_relaxed);
        const std::uint64_t tRel = timed ? clock.now() : 0;
        sem_post(&line.sem);
        ++f.admissions;
        if (timed) {
            const std::uint64_t waitTicks = tAcq - t0;
            c.waitTicks += waitTicks * weight;
            c.holdTicks += (tRel - tAcq) * weight;
            const std::uint64_t waitNs = clock.toNs(waitTicks);
            c.latencyCount += weight;
            c.latencySumNs += waitNs * weight;
            if (measuring)
                lane.recordLatency(waitNs, weight);
        }
        return true;
    }
};

struct PingPongOp {
    SemaphoreLine &ping, &pong;
    const RunControl &ctl;
    TickClock clock;
    std::uint64_t slice;
    bool initiator;
    SemaphoreWorkerFigures f{};

    PingPongOp(const WorkerEnv &env, SemaphoreLine &a, SemaphoreLine &b)
        : ping(a), pong(b), ctl(*env.control), clock(env.clock), slice(stopPollNs(*env.spec)), initiator(env.index % 2 == 0)
    {
    }

    bool take(sem_t *s, WorkerCounters &c) noexcept
    {
        if (sem_trywait(s) == 0)
            return true;
        ++c.contended;
        return semWaitUnlessStopped(s, ctl, slice);
    }

    bool operator()(WorkerCounters &c, StatsLaneWriter &lane, bool measuring) noexcept
    {
        if (initiator) {
            const std::uint64_t t0 = clock.now();
            sem_post(&ping.sem);
            ++f.sent;
            if (!take(&pong.sem, c))
                return false; // the token is in flight; finish() allows for it
            const std::uint64_t t1 = clock.now();
            c.waitTicks += t1 - t0;
            const std::uint64_t ns = clock.toNs(t1 - t0);
            ++c.latencyCount;
            c.latencySumNs += ns;
            if (measuring)
                lane.recordLatency(ns);
            return true;
        }
        const std::uint64_t t0 = clock.now();
        if (!take(&ping.sem, c))
            return false;
        c.waitTicks += clock.now() - t0;
        ++f.received;
        sem_post(&pong.sem);
        return true;
    }
};

template<class Op>
int runOp(WorkerEnv &env, Op &op, SemaphoreWorkerFigures &out) noexcept
{
    const int rc = detail::workerLoop(env, op);
    op.f.written = 1;
    out = op.f;
    return rc;
}

std::size_t sharedSize(const ExperimentSpec &spec) { return SemaphoreLayout(spec).size; }

std::string init(void *mem, const ExperimentSpec &spec, bool processShared)
{
    const SemaphoreLayout layout(spec);
    const bool gate = spec.semaphore.pattern == SemaphorePattern::Gate;
    if (gate && (spec.semaphore.permits < 1 || spec.semaphore.permits > limits::kMaxPermits))
        return "primitive.permits: must be 1.." + std::to_string(limits::kMaxPermits) + ", got " +
               std::to_string(spec.semaphore.permits);
    if (!gate) {
        if (spec.execution == ExecutionModel::Sequential)
            return "execution: the semaphore ping-pong needs both sides of a pair to run at the same time; "
                   "\"sequential\" runs one worker after the other (use threads or processes)";
        if (spec.workers < 2 || spec.workers % 2 != 0)
            return "workers: the semaphore ping-pong pairs the workers, so it needs an even number of them (got " +
                   std::to_string(spec.workers) + ")";
        if (std::string e = lockstepWarmupError(spec, "the semaphore ping-pong"); !e.empty())
            return e;
    }
    new (layout.holders(mem)) HolderCount{};
    for (std::uint32_t i = 0; i < spec.workers; ++i)
        new (layout.figures(mem, i)) SemaphoreWorkerFigures{};
    for (std::size_t i = 0; i < layout.lines; ++i) {
        auto *l = new (SemaphoreLayout::line(mem, i)) SemaphoreLine{};
        if (sem_init(&l->sem, processShared ? 1 : 0, gate ? spec.semaphore.permits : 0) != 0)
            return std::string("cannot initialise the semaphore: ") + std::strerror(errno);
        l->ready = true;
    }
    return {};
}

int runSemaphoreWorker(WorkerEnv &env)
{
    const SemaphoreLayout layout(*env.spec);
    void *mem = env.primitiveShared;
    SemaphoreWorkerFigures &out = *layout.figures(mem, env.index);
    if (env.spec->semaphore.pattern == SemaphorePattern::Gate) {
        GateOp op(env, *SemaphoreLayout::line(mem, 0), *layout.holders(mem));
        return runOp(env, op, out);
    }
    const std::uint32_t pair = env.index / 2;
    PingPongOp op(env, *SemaphoreLayout::line(mem, 2 * pair), *SemaphoreLayout::line(mem, 2 * pair + 1));
    return runOp(env, op, out);
}

void cleanup(void *mem, const ExperimentSpec &spec, bool stuckThreads)
{
    if (stuckThreads)
        return;
    const SemaphoreLayout layout(spec);
    for (std::size_t i = 0; i < layout.lines; ++i) {
        SemaphoreLine *l = SemaphoreLayout::line(mem, i);
        if (l->ready)
            sem_destroy(&l->sem);
        l->ready = false;
    }
}

void finish(void *mem, const ExperimentSpec &spec, bool allFinished, RunResult &result)
{
    const SemaphoreLayout layout(spec);
    if (spec.semaphore.pattern == SemaphorePattern::PingPong) {
        std::uint64_t trips = 0;
        double sum = 0;
        for (std::uint32_t i = 0; i < spec.workers && i < result.workers.size(); i += 2) {
            trips += result.workers[i].latency.count;
            sum += result.workers[i].latency.meanNs * static_cast<double>(result.workers[i].latency.count);
        }
        result.figures.push_back({"roundTrips", "round trips (measured)", static_cast<double>(trips), ""});
        result.figures.push_back({"roundTripMeanNs", "round trip post → wait → post → wait (mean)",
                                  trips ? sum / static_cast<double>(trips) : 0, "ns"});
        if (!allFinished)
            return;
        bool exact = spec.operationsPerWorker != 0;
        for (const WorkerResult &w : result.workers)
            exact = exact && w.ops == spec.operationsPerWorker;
        ResultCheck check{"everyTokenReturned", "every token posted was taken by the other side", true, {}};
        for (std::uint32_t p = 0; p + 1 < spec.workers; p += 2) {
            const std::uint64_t sent = layout.figures(mem, p)->sent, got = layout.figures(mem, p + 1)->received;
            if (!(exact ? got == sent : (got == sent || got + 1 == sent)))
                check.passed = false;
            check.detail += (check.detail.empty() ? "" : "; ") + std::string("pair ") + std::to_string(p / 2) + ": " +
                            std::to_string(sent) + " posted, " + std::to_string(got) + " taken";
        }
        result.checks.push_back(std::move(check));
        return;
    }

    const HolderCount &count = *layout.holders(mem);
    const std::uint32_t k = spec.semaphore.permits;
    const std::uint32_t maxHolders = count.maxHolders.load(std::memory_order_acquire);
    result.figures.push_back({"permits", "permits (K)", static_cast<double>(k), ""});
    result.figures.push_back({"maxHolders", "most workers holding a permit at once", static_cast<double>(maxHolders), ""});
    // Valid even when a worker died: the high-water mark only grows, whoever wrote it.
    result.checks.push_back({"neverMoreThanKHolders", "never more than K = " + std::to_string(k) + " workers inside",
                             maxHolders <= k,
                             "at most " + std::to_string(maxHolders) + " held a permit at once, K = " + std::to_string(k)});
    if (!allFinished)
        return;
    int value = -1;
    sem_getvalue(&SemaphoreLayout::line(mem, 0)->sem, &value);
    result.figures.push_back({"finalValue", "get_value() after the run", static_cast<double>(value), ""});
    result.checks.push_back({"everyPermitReturned", "every permit taken was released", value == static_cast<int>(k),
                             "get_value() after the run: " + std::to_string(value) + ", K = " + std::to_string(k)});
}

} // namespace

const ExperimentFamily kSemaphoreFamily{PrimitiveKind::Semaphore, sharedSize, init, runSemaphoreWorker, finish, cleanup};

} // namespace clab
