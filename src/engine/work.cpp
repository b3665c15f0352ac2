// The work family: workers run only the workload (the course's performance test), optionally under
// an emulated CPython global interpreter lock (the GIL experiments).
//
// An operation is one unit of the workload: calibrated CPU work, the memory walk, then the loop's
// think time / IO wait. Nothing else is measured, so threads vs processes vs one sequential worker
// compare the execution models themselves: same work per operation, same operations per worker.
//
// The GIL (gil = true) follows CPython's "new GIL" (Python/ceval_gil.h, 3.2 and later):
//  * a worker must hold the GIL to run its CPU and memory work;
//  * it drops the GIL before blocking (the workload's IO wait and think time), as CPython does
//    around blocking system calls (Py_BEGIN_ALLOW_THREADS), and takes it again afterwards;
//  * a worker that waits for the GIL longer than the switch interval (sys.getswitchinterval(),
//    5 ms by default) without the GIL changing hands sets the drop request;
//  * the holder checks the drop request between small slices of its work (every ~2 µs of CPU work
//    or 2048 stores), like CPython's eval breaker between bytecodes, drops the GIL and then waits
//    until another worker has taken it (FORCE_SWITCHING) before it asks for it again.
// Threads (and the single sequential thread) share one GIL. In processes mode every process has
// its own GIL, as every CPython process has its own interpreter: the workers never contend for it,
// which the result states as a checked claim.
#include "experiment_family.h"
#include "worker_loop_impl.h"
#include "workload.h"

#include <atomic>
#include <cerrno>
#include <cstring>
#include <new>
#include <pthread.h>
#include <time.h>

namespace clab {

namespace {

constexpr std::uint32_t kNobody = UINT32_MAX;

timespec monotonicDeadline(std::uint64_t fromNowNs)
{
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    const std::uint64_t ns = static_cast<std::uint64_t>(ts.tv_nsec) + fromNowNs % 1'000'000'000ULL;
    ts.tv_sec += static_cast<time_t>(fromNowNs / 1'000'000'000ULL + ns / 1'000'000'000ULL);
    ts.tv_nsec = static_cast<long>(ns % 1'000'000'000ULL);
    return ts;
}

// What one take() found.
struct GilTake {
    bool waited = false;  // the GIL was held by another worker when this one asked
    bool handOff = false; // it was taken over from another worker (a switch)
};

// CPython's GIL, emulated: a flag guarded by a mutex, a condition variable the waiters sleep on
// with the switch interval as timeout, the drop request (eval breaker), and a switch condition
// the forced dropper waits on.
// Requires: one object per interpreter: shared by the threads of one process; never shared
// between processes (its pthread objects are process-private). drop() only by the holder.
// Guarantees: at most one holder at a time; a waiter that waits one switch interval without any
// switch makes the holder drop the GIL at its next check, and the holder then waits until some
// other worker has taken the GIL (no immediate re-take that would starve the waiter).
// Memory ordering: take() is an acquire and drop() a release (through the mutex); the drop
// request is a relaxed hint (the holder polls it; the hand-off itself goes through the mutex).
class EmulatedGil {
public:
    int init(std::uint64_t intervalNs) noexcept
    {
        m_intervalNs = std::max<std::uint64_t>(intervalNs, 1'000);
        pthread_condattr_t ca;
        pthread_condattr_init(&ca);
        pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
        int rc = pthread_mutex_init(&m_mutex, nullptr);
        if (rc == 0)
            rc = pthread_cond_init(&m_cond, &ca);
        if (rc == 0)
            rc = pthread_mutex_init(&m_switchMutex, nullptr);
        if (rc == 0)
            rc = pthread_cond_init(&m_switchCond, &ca);
        pthread_condattr_destroy(&ca);
        m_ready = rc == 0;
        return rc;
    }
    void destroy() noexcept
    {
        if (!m_ready)
            return;
        pthread_cond_destroy(&m_switchCond);
        pthread_mutex_destroy(&m_switchMutex);
        pthread_cond_destroy(&m_cond);
        pthread_mutex_destroy(&m_mutex);
        m_ready = false;
    }

    bool dropRequested() const noexcept { return m_dropRequest.load(std::memory_order_relaxed) != 0; }
    std::uint64_t switches() const noexcept { return m_switchNumber; }

    GilTake take(std::uint32_t me) noexcept
    {
        GilTake r;
        pthread_mutex_lock(&m_mutex);
        if (m_locked) {
            r.waited = true;
            m_waiters.fetch_add(1, std::memory_order_relaxed);
            while (m_locked) {
                const std::uint64_t saved = m_switchNumber;
                const timespec deadline = monotonicDeadline(m_intervalNs);
                const int rc = pthread_cond_timedwait(&m_cond, &m_mutex, &deadline);
                // Waited a whole interval and nobody switched: ask the holder to drop it.
                if (rc == ETIMEDOUT && m_locked && m_switchNumber == saved)
                    m_dropRequest.store(1, std::memory_order_relaxed);
            }
            m_waiters.fetch_sub(1, std::memory_order_relaxed);
        }
        pthread_mutex_lock(&m_switchMutex); // last holder changes only under it (see drop())
        m_locked = true;
        if (m_lastHolder != me) {
            r.handOff = m_lastHolder != kNobody;
            m_lastHolder = me;
            ++m_switchNumber;
        }
        pthread_cond_broadcast(&m_switchCond);
        pthread_mutex_unlock(&m_switchMutex);
        m_dropRequest.store(0, std::memory_order_relaxed); // the request was for the previous holder
        pthread_mutex_unlock(&m_mutex);
        return r;
    }

    // Returns true when the drop was forced (a drop request was pending) and the dropper waited
    // for another worker to take the GIL.
    bool drop(std::uint32_t me) noexcept
    {
        pthread_mutex_lock(&m_mutex);
        m_locked = false;
        pthread_cond_signal(&m_cond);
        pthread_mutex_unlock(&m_mutex);
        if (!dropRequested())
            return false;
        pthread_mutex_lock(&m_switchMutex);
        // FORCE_SWITCHING: not switched yet, so wait until a waiter has taken it. Bounded waits,
        // and only while somebody waits, so a dropper is never left waiting for nobody.
        for (int rounds = 0; m_lastHolder == me && m_waiters.load(std::memory_order_relaxed) != 0 && rounds < 100; ++rounds) {
            m_dropRequest.store(0, std::memory_order_relaxed);
            const timespec deadline = monotonicDeadline(m_intervalNs);
            pthread_cond_timedwait(&m_switchCond, &m_switchMutex, &deadline);
        }
        pthread_mutex_unlock(&m_switchMutex);
        return true;
    }

private:
    // Written by waiters, read by the holder between work slices: its own cache line.
    alignas(CLAB_CACHE_LINE) std::atomic<std::uint32_t> m_dropRequest{0};
    alignas(CLAB_CACHE_LINE) pthread_mutex_t m_mutex;
    pthread_cond_t m_cond;
    bool m_locked = false;                  // under m_mutex
    std::uint32_t m_lastHolder = kNobody;   // written under both mutexes
    std::uint64_t m_switchNumber = 0;       // written under both mutexes
    std::atomic<std::uint32_t> m_waiters{0};
    std::uint64_t m_intervalNs = 5'000'000;
    pthread_mutex_t m_switchMutex;
    pthread_cond_t m_switchCond;
    bool m_ready = false;
};
static_assert(std::atomic<std::uint32_t>::is_always_lock_free);

// Written by its own worker after its loop; read by finish().
struct alignas(CLAB_CACHE_LINE) WorkWorkerSlot {
    std::uint64_t gilTakes = 0;
    std::uint64_t gilWaitedTakes = 0;
    std::uint64_t gilHandOffs = 0;
    std::uint64_t gilForcedDrops = 0;
    std::uint64_t gilIoDrops = 0;
    std::uint64_t memoryStores = 0;
    std::uint64_t memoryWrittenBytes = 0;
    std::uint64_t memoryPositions = 0;
};

struct WorkShared {
    EmulatedGil gil; // threads and sequential mode; in processes mode each worker has its own
};

std::size_t roundUp(std::size_t n) { return (n + CLAB_CACHE_LINE - 1) / CLAB_CACHE_LINE * CLAB_CACHE_LINE; }
std::size_t slotsOffset() { return roundUp(sizeof(WorkShared)); }
WorkShared *sharedOf(void *mem) { return static_cast<WorkShared *>(mem); }
WorkWorkerSlot *slotsOf(void *mem) { return reinterpret_cast<WorkWorkerSlot *>(static_cast<std::byte *>(mem) + slotsOffset()); }

std::size_t sharedSize(const ExperimentSpec &spec) { return slotsOffset() + sizeof(WorkWorkerSlot) * spec.workers; }

bool sharedGil(const ExperimentSpec &spec) { return spec.work.gil && spec.execution != ExecutionModel::Processes; }

std::string init(void *mem, const ExperimentSpec &spec, bool)
{
    if (std::string error = checkWorkload(spec); !error.empty())
        return error;
    if (spec.workload.criticalSectionNs != 0)
        return "workload.criticalSection: the work experiment has no critical section (its workers share nothing); "
               "use workload.cpuWork";
    if (spec.work.gil && (spec.work.switchIntervalNs < limits::kMinSwitchIntervalNs || spec.work.switchIntervalNs > limits::kMaxSwitchIntervalNs))
        return "primitive.switchInterval: must be 1 us..1 s, got " + std::to_string(spec.work.switchIntervalNs) + " ns";
    auto *s = new (mem) WorkShared{};
    for (std::uint32_t w = 0; w < spec.workers; ++w)
        new (slotsOf(mem) + w) WorkWorkerSlot{};
    if (sharedGil(spec)) {
        if (const int rc = s->gil.init(spec.work.switchIntervalNs); rc != 0)
            return std::string("cannot create the emulated GIL: ") + std::strerror(rc);
    }
    return {};
}

void cleanup(void *mem, const ExperimentSpec &spec, bool stuckThreads)
{
    if (!stuckThreads && sharedGil(spec))
        sharedOf(mem)->gil.destroy();
}

// Without a GIL: the workload, nothing else.
struct PlainWorkOp {
    OperationWork work;
    std::uint64_t bytesPerOp;
    void operator()(WorkerCounters &c, StatsLaneWriter &, bool) noexcept
    {
        work.run();
        c.bytes += bytesPerOp;
    }
};

// Under the GIL. Booked as the standard metrics: GIL wait = wait time (and the latency
// histogram: every take is timed), GIL held = hold time, takes that found the GIL held =
// contended acquisitions; IO waits are the loop's IO time. The timeline thus shows waiting /
// holding / IO as the GIL moves. Gauges: gauge0 = hand-offs to this worker so far (all phases),
// gauge1 = forced drops so far.
struct GilWorkOp {
    EmulatedGil *gil;
    OperationWork work;
    TickClock clock;
    std::uint32_t me;
    std::uint64_t bytesPerOp;
    bool holding = false;
    bool lastMeasuring = false;
    std::uint64_t holdMark = 0;
    WorkWorkerSlot tally;

    void take(WorkerCounters &c, StatsLaneWriter &lane, bool measuring) noexcept
    {
        const std::uint64_t t0 = clock.now();
        const GilTake r = gil->take(me);
        const std::uint64_t t1 = clock.now();
        const std::uint64_t waitNs = clock.toNs(t1 - t0);
        c.waitTicks += t1 - t0;
        ++c.latencyCount;
        c.latencySumNs += waitNs;
        if (measuring)
            lane.recordLatency(waitNs);
        ++tally.gilTakes;
        if (r.waited) {
            ++c.contended;
            ++tally.gilWaitedTakes;
        }
        tally.gilHandOffs += r.handOff ? 1 : 0;
        c.gauge0 = static_cast<std::int64_t>(tally.gilHandOffs); // the live view's "GIL switches"
        holding = true;
        holdMark = t1;
    }
    bool drop(WorkerCounters &c) noexcept
    {
        c.holdTicks += clock.now() - holdMark;
        holding = false;
        return gil->drop(me);
    }

    void operator()(WorkerCounters &c, StatsLaneWriter &lane, bool measuring) noexcept
    {
        if (measuring != lastMeasuring) { // the counters restarted with the phase
            lastMeasuring = measuring;
            holdMark = clock.now();
        }
        if (!holding)
            take(c, lane, measuring);
        work.runSliced([&]() noexcept {
            if (gil->dropRequested()) [[unlikely]] { // the eval breaker
                ++tally.gilForcedDrops;
                c.gauge1 = static_cast<std::int64_t>(tally.gilForcedDrops);
                drop(c);
                take(c, lane, measuring);
            }
        });
        c.bytes += bytesPerOp;
        const std::uint64_t t = clock.now();
        c.holdTicks += t - holdMark;
        holdMark = t;
    }

    // Blocking IO and sleep release the GIL (Py_BEGIN_ALLOW_THREADS); the next operation takes it again.
    void beforePauses(WorkerCounters &c) noexcept
    {
        if (holding) {
            ++tally.gilIoDrops;
            drop(c);
        }
    }

    // A thread that ends releases the GIL.
    void exit() noexcept
    {
        if (holding) {
            holding = false;
            gil->drop(me);
        }
    }
};

void recordMemory(WorkWorkerSlot &slot, const OperationWork &work) noexcept
{
    const MemoryWalk &m = work.memory();
    if (!m.active())
        return;
    slot.memoryStores = m.storesDone();
    slot.memoryWrittenBytes = m.countWrittenBytes();
    slot.memoryPositions = m.positions();
}

int runWorkWorker(WorkerEnv &env) noexcept
{
    const ExperimentSpec &spec = *env.spec;
    WorkWorkerSlot &slot = slotsOf(env.primitiveShared)[env.index];
    const std::uint64_t seed = 0x9E3779B97F4A7C15ULL * (env.index + 1);
    if (!spec.work.gil) {
        PlainWorkOp op{OperationWork(spec.workload, env.work, seed), spec.workload.memoryBytes};
        if (const int e = op.work.prepare(); e != 0)
            return e;
        const int rc = detail::workerLoop(env, op);
        recordMemory(slot, op.work);
        return rc;
    }
    // Processes: this process's own GIL (it lives on this worker's stack).
    EmulatedGil ownGil;
    EmulatedGil *gil = &sharedOf(env.primitiveShared)->gil;
    if (!sharedGil(spec)) {
        if (const int rc = ownGil.init(spec.work.switchIntervalNs); rc != 0)
            return rc;
        gil = &ownGil;
    }
    GilWorkOp op{gil, OperationWork(spec.workload, env.work, seed), env.clock, env.index, spec.workload.memoryBytes, false, false, 0, {}};
    int rc = op.work.prepare();
    if (rc == 0) {
        rc = detail::workerLoop(env, op);
        op.exit();
        recordMemory(op.tally, op.work);
        slot = op.tally;
    }
    if (gil == &ownGil)
        ownGil.destroy();
    return rc;
}

// --- the tally --------------------------------------------------------------------------------

void addFigure(RunResult &r, std::string name, std::string label, double value, std::string unit = {})
{
    r.figures.push_back(NamedFigure{std::move(name), std::move(label), value, std::move(unit)});
}

double ratio(std::uint64_t a, std::uint64_t b) { return b == 0 ? 0.0 : static_cast<double>(a) / static_cast<double>(b); }

void finish(void *mem, const ExperimentSpec &spec, bool allFinished, RunResult &result)
{
    // The figures the course's performance table is made of (any run, finished or not).
    std::uint64_t ops = 0, cpuNs = 0, bytes = 0;
    for (const WorkerResult &w : result.workers) {
        ops += w.ops;
        cpuNs += w.userNs + w.sysNs;
        bytes += w.bytes;
    }
    addFigure(result, "wallTime", "wall time of the measured phase (first start to last end)",
              static_cast<double>(result.wallNs) / 1e9, "s");
    addFigure(result, "operations", "operations done (all workers)", static_cast<double>(ops));
    addFigure(result, "opsPerSecond", "operations per second (all workers)", ratio(ops, result.wallNs) * 1e9, "1/s");
    addFigure(result, "cpuUtilisation", "CPUs kept busy on average (CPU time / wall time)", ratio(cpuNs, result.wallNs));
    if (spec.workload.memoryBytes != 0)
        addFigure(result, "memoryBytesPerSecond", "bytes walked by the memory workload per second", ratio(bytes, result.wallNs) * 1e9, "B/s");

    const WorkWorkerSlot *slots = slotsOf(mem);
    if (spec.work.gil) {
        std::uint64_t handOffs = 0, forced = 0, ioDrops = 0, waited = 0, heldNs = 0;
        for (std::uint32_t i = 0; i < spec.workers && i < result.workers.size(); ++i) {
            const WorkerResult &w = result.workers[i];
            const std::string idx = "[" + std::to_string(i) + "]";
            addFigure(result, "gilHeld" + idx, "worker " + std::to_string(i) + ": share of its time holding the GIL", ratio(w.holdNs, w.measuredNs));
            addFigure(result, "gilWait" + idx, "worker " + std::to_string(i) + ": share of its time waiting for the GIL", ratio(w.waitNs, w.measuredNs));
            handOffs += slots[i].gilHandOffs;
            forced += slots[i].gilForcedDrops;
            ioDrops += slots[i].gilIoDrops;
            waited += slots[i].gilWaitedTakes;
            heldNs += w.holdNs;
        }
        addFigure(result, "gilSwitches", "GIL hand-offs between workers", static_cast<double>(handOffs));
        addFigure(result, "gilForcedDrops", "GIL drops forced by a waiter after the switch interval", static_cast<double>(forced));
        addFigure(result, "gilIoDrops", "GIL drops for blocking IO or sleep", static_cast<double>(ioDrops));
        addFigure(result, "gilHeldTotal", "GIL held, summed over workers, per unit of wall time", ratio(heldNs, result.wallNs));
        addFigure(result, "switchInterval", "switch interval (sys.getswitchinterval())", static_cast<double>(spec.work.switchIntervalNs) / 1e9, "s");
        if (allFinished && sharedGil(spec)) {
            // Hold intervals are timed inside the real ones, which never overlap: their sum cannot
            // exceed the wall time (2 % + 1 ms allowed for clock conversion).
            ResultCheck check;
            check.name = "gilExclusive";
            check.description = "one worker at a time holds the GIL (held times add up to at most the wall time)";
            const double limit = static_cast<double>(result.wallNs) * 1.02 + 1e6;
            check.passed = static_cast<double>(heldNs) <= limit;
            check.detail = "held " + std::to_string(heldNs / 1'000'000) + " ms in all, wall time " +
                           std::to_string(result.wallNs / 1'000'000) + " ms";
            result.checks.push_back(std::move(check));
        }
        if (allFinished && !sharedGil(spec)) {
            ResultCheck check;
            check.name = "gilPerProcess";
            check.description = "in processes mode every process has its own GIL (as in CPython), so no worker ever waits for another's";
            check.passed = handOffs == 0 && waited == 0;
            check.detail = std::to_string(handOffs) + " hand-offs between workers, " + std::to_string(waited) + " takes that had to wait";
            result.checks.push_back(std::move(check));
        }
    }
    if (spec.workload.memoryBytes != 0 && allFinished) {
        ResultCheck check;
        check.name = "memoryWalk";
        check.description = "the memory workload wrote the bytes it claims (counted in each worker's buffer after the run)";
        check.passed = true;
        for (std::uint32_t i = 0; i < spec.workers; ++i) {
            const WorkWorkerSlot &s = slots[i];
            const std::uint64_t want = std::min(s.memoryStores, s.memoryPositions);
            if (s.memoryWrittenBytes != want) {
                check.passed = false;
                check.detail += "worker " + std::to_string(i) + ": " + std::to_string(s.memoryWrittenBytes) + " bytes written, expected " +
                                std::to_string(want) + "; ";
            }
        }
        if (check.passed)
            check.detail = "every worker's buffer holds exactly min(stores, stride positions) written bytes";
        std::uint64_t stores = 0;
        for (std::uint32_t i = 0; i < spec.workers; ++i)
            stores += slots[i].memoryStores;
        addFigure(result, "memoryStores", "stores of the memory workload (warm-up included)", static_cast<double>(stores));
        result.checks.push_back(std::move(check));
    }
}

} // namespace

const ExperimentFamily kWorkFamily{PrimitiveKind::Work, sharedSize, init, runWorkWorker, finish, cleanup};

} // namespace clab
