// "Lock and friends": mutex, recursive mutex, reader-writer lock, spinlock, condition-variable
// producer/consumer and barrier, each as an experiment with wait, hold, contention, owner
// hand-offs and its own correctness check.
//
// Every lock kind does one operation the same way (as the lock-contention experiment does):
// calibrated work outside; try to acquire (a success is an uncontended acquisition and costs no
// timestamp, except one in 64 which is timed and booked with weight 64); if that fails, the
// acquisition is contended, timed exactly, and done with the primitive's timed call in stop
// slices; inside, the protected data: `lastOwner` (an owner hand-off is an acquisition whose
// previous owner was another worker) and a counter updated as read / critical-section work /
// write, so a lock that let two in would lose updates (checked at the end). The protected data
// sits on the lock's own cache line where it fits (mutex, spinlock, rwlock), so measuring
// hand-offs adds no line transfer.
//
// Condition variable: the first half of the workers produce item ids into a bounded ring of
// queueCapacity in the shared block, the second half consume; a producer waits on `notFull`
// while the ring is full, a consumer on `notEmpty` while it is empty (counted). Item ids are
// (producer << 40 | sequence); producers and consumers keep a count, a sum and a hash of the ids
// they moved, and finish() checks produced = consumed + left in the ring for all three.
//
// Barrier: each round every worker writes its arrival TSC into its own slot (double-buffered by
// round parity, so round r+2 cannot overwrite round r before it is read), then waits; the one
// the barrier names serial reads every slot: arrival skew = last - first arrival (its lane
// histogram), and checks that every party had arrived (a barrier that let someone through
// early would show a stale slot). Leaving early, the choice made:
//   * pthread_barrier_t cannot time out or be aborted. A worker that leaves the loop (stop,
//     operation limit, failed start) therefore stays a "ghost": it keeps arriving, marked as
//     departed, until a round in which every party is marked departed; everyone reads the marks
//     of the same round after the same barrier, so all agree on the last round and nobody is
//     stranded. A worker that DIES (processes) cannot arrive any more: the others stay blocked
//     until the runner kills them after its grace period, and the run fails naming the dead
//     worker first. That is pthread_barrier's limit, shown as it is.
//   * The futex barrier (barrierImplementation "futex") can be broken: a worker leaving at a
//     stop breaks it, a waiter that sees the run stop breaks it, and every waiter returns at
//     once; a dead worker costs one stop slice. A worker that is done with its operations
//     while the run goes on (after a warm-up each worker starts counting at its own round)
//     arrives as a ghost, as with pthread_barrier_t.
#include "abortable_barrier.h"
#include "experiment_family.h"
#include "lock_contention.h"
#include "metrics.h"
#include "stoppable_wait.h"
#include "worker_loop_impl.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <new>
#include <pthread.h>

namespace clab {

namespace {

// --- shared state -------------------------------------------------------------------------

// The lock and the data it protects on one line: the line moves with the lock anyway.
// Memory ordering: lastOwner and counter are only touched between acquire and release of the
// lock (the counter through relaxed atomic_ref, so a lock that let two in loses updates visibly
// instead of being undefined behaviour).
struct alignas(CLAB_CACHE_LINE) MutexLine {
    pthread_mutex_t mutex;
    std::uint32_t lastOwner = UINT32_MAX;
    std::uint64_t counter = 0;
};
static_assert(sizeof(MutexLine) == CLAB_CACHE_LINE);

struct alignas(CLAB_CACHE_LINE) SpinLine {
    Spinlock lock;
    std::uint32_t lastOwner = UINT32_MAX;
    std::uint64_t counter = 0;
};
static_assert(sizeof(SpinLine) == CLAB_CACHE_LINE);

// pthread_rwlock_t takes 56 bytes: the writers' data fits beside it with a 32-bit version.
struct alignas(CLAB_CACHE_LINE) RwLine {
    pthread_rwlock_t rw;
    std::uint32_t lastWriter = UINT32_MAX;
    std::uint32_t version = 0; // writes, modulo 2^32; readers check it does not move under them
};
static_assert(sizeof(RwLine) == CLAB_CACHE_LINE);

struct alignas(CLAB_CACHE_LINE) QueueLine {
    pthread_mutex_t mutex;
    std::uint32_t lastOwner = UINT32_MAX;
    std::uint32_t head = 0;  // protected by mutex
    std::uint32_t count = 0; // protected by mutex
};
static_assert(sizeof(QueueLine) == CLAB_CACHE_LINE);

struct alignas(CLAB_CACHE_LINE) CondLine {
    pthread_cond_t cond;
};

struct alignas(CLAB_CACHE_LINE) BarrierLine {
    pthread_barrier_t pthreadBarrier;
    FutexBarrier futexBarrier;
};

// One per worker and round parity, written only by its worker.
// Memory ordering: relaxed stores before the worker arrives, relaxed loads after the reader has
// passed the same round: the barrier orders them (pthread_barrier_wait synchronises memory; the
// futex barrier's arrival is an acq_rel RMW and its release an acquire-loaded RMW). Round r+2
// rewrites the slot of round r only after barrier r+1, which every reader of round r's slots
// reaches after reading them.
struct alignas(CLAB_CACHE_LINE) ArrivalSlot {
    std::uint64_t ticks = 0;
    std::uint64_t round = 0;
    std::uint32_t departed = 0;
};

// Written once by each worker when its loop is over, read by finish().
struct alignas(CLAB_CACHE_LINE) SyncWorkerFigures {
    std::uint32_t written = 0;
    // locks
    std::uint64_t acquisitions = 0; // all phases (the counter check)
    std::uint64_t measuredAcquisitions = 0, handoffs = 0;
    // rwlock (measured; waits in ns, 1-in-64 sampled and weighted like the standard wait)
    std::uint64_t reads = 0, writes = 0, readWaitNs = 0, writeWaitNs = 0, readContended = 0, writeContended = 0;
    std::uint64_t writesAll = 0, readTorn = 0; // all phases
    // condvar
    std::uint64_t items = 0, itemSum = 0, itemHash = 0; // all phases: produced or consumed
    std::uint64_t measuredItems = 0, waitsFull = 0, waitsEmpty = 0;
    // barrier
    std::uint64_t passes = 0, earlyReleases = 0; // all phases
};

struct SyncFixed {
    MutexLine mutex;
    SpinLine spin;
    RwLine rw;
    QueueLine queue;
    CondLine notFull, notEmpty;
    BarrierLine barrier;
    bool mutexReady = false, rwReady = false, queueReady = false, barrierReady = false;
};

struct SyncLayout {
    std::size_t itemsAt, arrivalsAt, figuresAt, size;
    explicit SyncLayout(const ExperimentSpec &spec)
    {
        const auto round = [](std::size_t n) { return (n + CLAB_CACHE_LINE - 1) / CLAB_CACHE_LINE * CLAB_CACHE_LINE; };
        const std::size_t capacity = spec.sync.kind == SyncKind::CondVar ? spec.sync.queueCapacity : 0;
        const std::size_t arrivals = spec.sync.kind == SyncKind::Barrier ? 2 * spec.workers : 0;
        itemsAt = round(sizeof(SyncFixed));
        arrivalsAt = itemsAt + round(capacity * sizeof(std::uint64_t));
        figuresAt = arrivalsAt + arrivals * sizeof(ArrivalSlot);
        size = figuresAt + spec.workers * sizeof(SyncWorkerFigures);
    }
    static SyncFixed *fixed(void *mem) { return static_cast<SyncFixed *>(mem); }
    std::uint64_t *items(void *mem) const { return reinterpret_cast<std::uint64_t *>(static_cast<std::byte *>(mem) + itemsAt); }
    ArrivalSlot *arrivals(void *mem) const
    {
        return reinterpret_cast<ArrivalSlot *>(static_cast<std::byte *>(mem) + arrivalsAt);
    }
    SyncWorkerFigures *figures(void *mem, std::size_t i) const
    {
        return reinterpret_cast<SyncWorkerFigures *>(static_cast<std::byte *>(mem) + figuresAt) + i;
    }
};

inline void cpuRelax() noexcept
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

inline std::uint64_t mixId(std::uint64_t x) noexcept // splitmix64 finaliser
{
    x ^= x >> 30;
    x *= 0xBF58476D1CE4E5B9ULL;
    x ^= x >> 27;
    x *= 0x94D049BB133111EBULL;
    return x ^ (x >> 31);
}

// --- the operations -----------------------------------------------------------------------

struct OpBase {
    const RunControl &ctl;
    TickClock clock;
    std::uint32_t me;
    std::uint64_t slice, workUnits, csUnits, seed;
    TimingSampler sampler;
    SyncWorkerFigures f{};

    explicit OpBase(const WorkerEnv &env)
        : ctl(*env.control)
        , clock(env.clock)
        , me(env.index)
        , slice(stopPollNs(*env.spec))
        , workUnits(env.work.unitsFor(env.spec->workload.cpuWorkNs))
        , csUnits(env.work.unitsFor(env.spec->workload.criticalSectionNs))
        , seed(0x9E3779B97F4A7C15ULL * (env.index + 1))
        , sampler(TimingSampler::kDefaultEvery, env.index)
    {
    }
    void outsideWork() noexcept
    {
        if (workUnits != 0)
            seed = spinWork(workUnits, seed);
    }
    void criticalWork() noexcept
    {
        if (csUnits != 0)
            seed = spinWork(csUnits, seed);
    }
    // The read-modify-write the lock protects, stretched by the critical section's work.
    template<class T>
    void guardedIncrement(T &value) noexcept
    {
        std::atomic_ref<T> v(value);
        const T x = v.load(std::memory_order_relaxed);
        criticalWork();
        v.store(static_cast<T>(x + 1), std::memory_order_relaxed);
    }
    void noteOwner(std::uint32_t &lastOwner, bool measuring) noexcept
    {
        if (lastOwner != me && lastOwner != UINT32_MAX && measuring)
            ++f.handoffs; // the first acquisition of the run has no previous owner
        lastOwner = me;
    }
    // Books one acquisition; weight > 1 for a sampled uncontended one.
    void book(WorkerCounters &c, StatsLaneWriter &lane, bool measuring, std::uint64_t t0, std::uint64_t tAcq,
              std::uint64_t tRel, std::uint64_t weight) noexcept
    {
        const std::uint64_t waitTicks = tAcq - t0;
        c.waitTicks += waitTicks * weight;
        c.holdTicks += (tRel - tAcq) * weight;
        const std::uint64_t waitNs = clock.toNs(waitTicks);
        c.latencyCount += weight;
        c.latencySumNs += waitNs * weight;
        if (measuring)
            lane.recordLatency(waitNs, weight);
    }
};

// Mutex (plain or recursive) and spinlock: one exclusive acquisition per operation.
template<SyncKind Kind>
struct ExclusiveOp : OpBase {
    MutexLine *m;
    SpinLine *s;
    std::uint32_t depth;

    ExclusiveOp(const WorkerEnv &env, SyncFixed &fx)
        : OpBase(env), m(&fx.mutex), s(&fx.spin), depth(std::max<std::uint32_t>(env.spec->sync.recursionDepth, 1))
    {
    }

    int tryAcquire() noexcept
    {
        if constexpr (Kind == SyncKind::Spinlock)
            return s->lock.tryLock() ? 0 : EBUSY;
        else
            return pthread_mutex_trylock(&m->mutex);
    }
    // 0 or EOWNERDEAD with the lock held; ECANCELED when the run stopped first.
    int acquireSlow() noexcept
    {
        if constexpr (Kind == SyncKind::Spinlock) {
            // Test-and-set with a pause between attempts; the phase is looked at every 1024.
            for (std::uint32_t n = 1;; ++n) {
                for (int i = 0; i < 16; ++i)
                    cpuRelax();
                if (s->lock.tryLock())
                    return 0;
                if ((n & 1023U) == 0 && stopRequested(ctl))
                    return ECANCELED;
            }
        } else {
            return lockUnlessStopped(&m->mutex, ctl, slice);
        }
    }

    bool operator()(WorkerCounters &c, StatsLaneWriter &lane, bool measuring) noexcept
    {
        outsideWork();
        bool timed = sampler.next();
        std::uint64_t weight = sampler.weight();
        std::uint64_t t0 = timed ? clock.now() : 0;
        int rc = tryAcquire();
        if (rc == EBUSY) {
            if (!timed)
                t0 = clock.now();
            timed = true;
            weight = 1;
            ++c.contended;
            rc = acquireSlow();
            if (rc == ECANCELED)
                return false;
        }
        if constexpr (Kind != SyncKind::Spinlock) {
            if (rc == EOWNERDEAD) {
                pthread_mutex_consistent(&m->mutex);
                ++c.ownerDied;
            }
        }
        const std::uint64_t tAcq = timed ? clock.now() : 0;
        if constexpr (Kind == SyncKind::RecursiveMutex) {
            // The nested acquisitions of an owner succeed at once (the mutex counts them).
            for (std::uint32_t d = 1; d < depth; ++d)
                pthread_mutex_lock(&m->mutex);
        }
        if constexpr (Kind == SyncKind::Spinlock) {
            noteOwner(s->lastOwner, measuring);
            guardedIncrement(s->counter);
        } else {
            noteOwner(m->lastOwner, measuring);
            guardedIncrement(m->counter);
        }
        const std::uint64_t tRel = timed ? clock.now() : 0;
        if constexpr (Kind == SyncKind::Spinlock) {
            s->lock.unlock();
        } else {
            if constexpr (Kind == SyncKind::RecursiveMutex) {
                for (std::uint32_t d = 1; d < depth; ++d)
                    pthread_mutex_unlock(&m->mutex);
            }
            pthread_mutex_unlock(&m->mutex);
        }
        ++f.acquisitions;
        if (measuring)
            ++f.measuredAcquisitions;
        if (timed)
            book(c, lane, measuring, t0, tAcq, tRel, weight);
        return true;
    }
};

// Reader-writer lock: each operation reads with probability readShare, else writes.
// glibc's default policy is used (readers preferred), as a program gets it without asking.
struct RwOp : OpBase {
    RwLine *l;
    double readShare;
    WorkerRandom rng;

    RwOp(const WorkerEnv &env, SyncFixed &fx)
        : OpBase(env), l(&fx.rw), readShare(env.spec->sync.readShare), rng(0xD1B54A32D192ED03ULL * (env.index + 1))
    {
    }

    int slow(bool read) noexcept
    {
        if constexpr (CLAB_TSAN) {
            return pollUnlessStopped(
                [this, read] { return read ? pthread_rwlock_tryrdlock(&l->rw) : pthread_rwlock_trywrlock(&l->rw); }, EBUSY,
                ctl);
        }
        for (;;) {
            const timespec ts = monotonicTimespec(monotonicNs() + slice);
            const int rc = read ? pthread_rwlock_clockrdlock(&l->rw, CLOCK_MONOTONIC, &ts)
                                : pthread_rwlock_clockwrlock(&l->rw, CLOCK_MONOTONIC, &ts);
            if (rc != ETIMEDOUT)
                return rc;
            if (stopRequested(ctl))
                return ECANCELED;
        }
    }

    bool operator()(WorkerCounters &c, StatsLaneWriter &lane, bool measuring) noexcept
    {
        outsideWork();
        const bool read = rng.chance(readShare);
        bool timed = sampler.next();
        std::uint64_t weight = sampler.weight();
        std::uint64_t t0 = timed ? clock.now() : 0;
        int rc = read ? pthread_rwlock_tryrdlock(&l->rw) : pthread_rwlock_trywrlock(&l->rw);
        bool contended = false;
        if (rc == EBUSY) {
            if (!timed)
                t0 = clock.now();
            timed = true;
            weight = 1;
            contended = true;
            ++c.contended;
            rc = slow(read);
            if (rc == ECANCELED)
                return false;
        }
        const std::uint64_t tAcq = timed ? clock.now() : 0;
        std::atomic_ref<std::uint32_t> version(l->version);
        if (read) {
            const std::uint32_t v0 = version.load(std::memory_order_relaxed);
            criticalWork();
            if (version.load(std::memory_order_relaxed) != v0)
                ++f.readTorn; // a writer was inside while this reader was
        } else {
            noteOwner(l->lastWriter, measuring);
            guardedIncrement(l->version);
            ++f.writesAll;
        }
        const std::uint64_t tRel = timed ? clock.now() : 0;
        pthread_rwlock_unlock(&l->rw);
        ++f.acquisitions;
        if (measuring) {
            ++f.measuredAcquisitions;
            const std::uint64_t waitNs = timed ? clock.toNs(tAcq - t0) * weight : 0;
            if (read) {
                ++f.reads;
                f.readWaitNs += waitNs;
                f.readContended += contended;
            } else {
                ++f.writes;
                f.writeWaitNs += waitNs;
                f.writeContended += contended;
            }
        }
        if (timed)
            book(c, lane, measuring, t0, tAcq, tRel, weight);
        return true;
    }
};

// Bounded producer/consumer queue under a mutex with two condition variables.
struct CondVarOp : OpBase {
    QueueLine *q;
    CondLine *notFull, *notEmpty;
    std::uint64_t *items;
    std::uint32_t capacity;
    bool producer;
    std::uint64_t sequence = 0;

    CondVarOp(const WorkerEnv &env, SyncFixed &fx, std::uint64_t *it)
        : OpBase(env)
        , q(&fx.queue)
        , notFull(&fx.notFull)
        , notEmpty(&fx.notEmpty)
        , items(it)
        , capacity(env.spec->sync.queueCapacity)
        , producer(env.index < env.spec->workers / 2)
    {
    }

    bool operator()(WorkerCounters &c, StatsLaneWriter &lane, bool measuring) noexcept
    {
        outsideWork(); // producing or consuming the item
        bool timed = sampler.next();
        std::uint64_t weight = sampler.weight();
        std::uint64_t t0 = timed ? clock.now() : 0;
        int rc = pthread_mutex_trylock(&q->mutex);
        if (rc == EBUSY) {
            if (!timed)
                t0 = clock.now();
            timed = true;
            weight = 1;
            ++c.contended;
            rc = lockUnlessStopped(&q->mutex, ctl, slice);
            if (rc == ECANCELED)
                return false;
        }
        if (rc == EOWNERDEAD) {
            pthread_mutex_consistent(&q->mutex);
            ++c.ownerDied;
        }
        // Wait for room (producer) or an item (consumer). The wait makes the operation a timed,
        // contended one; when it was not timed already, its clock starts here (the uncontended
        // lock before it took a few ns).
        pthread_cond_t *cond = producer ? &notFull->cond : &notEmpty->cond;
        bool waited = false;
        while (producer ? q->count == capacity : q->count == 0) {
            if (!waited) {
                waited = true;
                if (!timed) {
                    t0 = clock.now();
                    timed = true;
                    weight = 1;
                    ++c.contended;
                } else if (weight != 1) {
                    weight = 1;
                    ++c.contended;
                }
                if (measuring)
                    ++(producer ? f.waitsFull : f.waitsEmpty);
            }
            const timespec ts = monotonicTimespec(monotonicNs() + slice);
            const int w = pthread_cond_clockwait(cond, &q->mutex, CLOCK_MONOTONIC, &ts);
            if (w == EOWNERDEAD) {
                pthread_mutex_consistent(&q->mutex);
                ++c.ownerDied;
            } else if (w == ETIMEDOUT && stopRequested(ctl)) {
                pthread_mutex_unlock(&q->mutex);
                return false;
            }
        }
        const std::uint64_t tAcq = timed ? clock.now() : 0;
        noteOwner(q->lastOwner, measuring);
        std::uint64_t id;
        if (producer) {
            id = (static_cast<std::uint64_t>(me) << 40) | sequence++;
            items[(q->head + q->count) % capacity] = id;
            ++q->count;
        } else {
            id = items[q->head];
            q->head = (q->head + 1) % capacity;
            --q->count;
        }
        criticalWork();
        pthread_cond_signal(producer ? &notEmpty->cond : &notFull->cond);
        const std::uint64_t tRel = timed ? clock.now() : 0;
        pthread_mutex_unlock(&q->mutex);
        ++f.items;
        f.itemSum += id;
        f.itemHash += mixId(id);
        ++f.acquisitions;
        if (measuring) {
            ++f.measuredItems;
            ++f.measuredAcquisitions;
        }
        c.gauge0 = static_cast<std::int64_t>(f.items);
        if (timed)
            book(c, lane, measuring, t0, tAcq, tRel, weight);
        return true;
    }
};

// One barrier round per operation.
template<BarrierImplementation Impl>
struct BarrierOp : OpBase {
    BarrierLine *b;
    ArrivalSlot *arrivals; // [2][workers]
    std::uint32_t workers;
    std::uint64_t round = 0;

    BarrierOp(const WorkerEnv &env, SyncFixed &fx, ArrivalSlot *a)
        : OpBase(env), b(&fx.barrier), arrivals(a), workers(env.spec->workers)
    {
    }
    ArrivalSlot &slot(std::uint64_t r, std::uint32_t i) const noexcept { return arrivals[(r % 2) * workers + i]; }

    // Returns true for the serial party, false for the others; Broken → nullopt-like via `broken`.
    bool arriveAndWait(bool &broken) noexcept
    {
        if constexpr (Impl == BarrierImplementation::Pthread) {
            broken = false;
            return pthread_barrier_wait(&b->pthreadBarrier) == PTHREAD_BARRIER_SERIAL_THREAD;
        } else {
            const FutexBarrier::Result r = b->futexBarrier.wait(ctl, slice);
            broken = r == FutexBarrier::Result::Broken;
            return r == FutexBarrier::Result::Serial;
        }
    }

    void stamp(std::uint64_t r, std::uint64_t ticks, bool departed) noexcept
    {
        ArrivalSlot &a = slot(r, me);
        std::atomic_ref<std::uint64_t>(a.ticks).store(ticks, std::memory_order_relaxed);
        std::atomic_ref<std::uint64_t>(a.round).store(r, std::memory_order_relaxed);
        std::atomic_ref<std::uint32_t>(a.departed).store(departed ? 1 : 0, std::memory_order_relaxed);
    }

    bool operator()(WorkerCounters &c, StatsLaneWriter &lane, bool measuring) noexcept
    {
        // Do not open a round once the run stops: every worker then leaves within one round,
        // so the others do at most one round with departed partners.
        if (stopRequested(ctl))
            return false;
        outsideWork();
        const std::uint64_t r = ++round;
        const std::uint64_t tArrive = clock.now();
        stamp(r, tArrive, false); // published to the serial party by the barrier itself
        bool broken = false;
        const bool serial = arriveAndWait(broken);
        if (broken)
            return false; // someone left: the round never completed
        const std::uint64_t tLeave = clock.now();
        ++f.passes;
        c.waitTicks += tLeave - tArrive;
        if (!serial)
            ++c.contended; // had to wait for the others
        if (serial) {
            std::uint64_t first = UINT64_MAX, last = 0;
            bool ghosts = false;
            for (std::uint32_t i = 0; i < workers; ++i) {
                const ArrivalSlot &a = slot(r, i);
                if (std::atomic_ref<const std::uint32_t>(a.departed).load(std::memory_order_relaxed) != 0) {
                    ghosts = true;
                    continue;
                }
                if (std::atomic_ref<const std::uint64_t>(a.round).load(std::memory_order_relaxed) != r)
                    ++f.earlyReleases; // this party had not arrived: the barrier let us through early
                const std::uint64_t t = std::atomic_ref<const std::uint64_t>(a.ticks).load(std::memory_order_relaxed);
                first = std::min(first, t);
                last = std::max(last, t);
            }
            if (!ghosts) {
                const std::uint64_t skewNs = last > first ? clock.toNs(last - first) : 0;
                ++c.latencyCount;
                c.latencySumNs += skewNs;
                if (measuring)
                    lane.recordLatency(skewNs);
            }
        }
        return true;
    }

    // After the loop: make sure nobody is left waiting for this worker. At a stop the futex
    // barrier is broken (everyone leaves at once). Otherwise (this worker did its operations
    // while others still count theirs: a warm-up ends at a different round for each) the worker
    // keeps arriving, marked departed, until a round in which every party is departed. The
    // marks of round r are read by all after barrier r and not rewritten before barrier r+1, so
    // every departed worker sees the same marks and all leave after the same round.
    void depart() noexcept
    {
        if constexpr (Impl == BarrierImplementation::Futex) {
            if (stopRequested(ctl) || b->futexBarrier.broken()) {
                b->futexBarrier.abort();
                return;
            }
        }
        for (;;) {
            const std::uint64_t r = ++round;
            stamp(r, 0, true);
            bool broken = false;
            arriveAndWait(broken);
            if (broken)
                return; // the futex barrier was broken by a stop: nobody waits any more
            bool all = true;
            for (std::uint32_t i = 0; i < workers && all; ++i)
                all = std::atomic_ref<const std::uint32_t>(slot(r, i).departed).load(std::memory_order_relaxed) != 0;
            if (all)
                return;
        }
    }
};

template<class Op>
int runOp(WorkerEnv &env, Op &op, SyncWorkerFigures &out) noexcept
{
    const int rc = detail::workerLoop(env, op);
    op.f.written = 1;
    out = op.f;
    return rc;
}

template<BarrierImplementation Impl>
int runBarrier(WorkerEnv &env, SyncFixed &fx, const SyncLayout &layout, SyncWorkerFigures &out) noexcept
{
    BarrierOp<Impl> op(env, fx, layout.arrivals(env.primitiveShared));
    const int rc = detail::workerLoop(env, op);
    op.depart();
    op.f.written = 1; // after departing: `written` also tells cleanup() this worker left cleanly
    out = op.f;
    return rc;
}

// --- the family ---------------------------------------------------------------------------

std::size_t sharedSize(const ExperimentSpec &spec) { return SyncLayout(spec).size; }

std::string init(void *mem, const ExperimentSpec &spec, bool processShared)
{
    const SyncParams &p = spec.sync;
    const bool together = p.kind == SyncKind::CondVar || p.kind == SyncKind::Barrier;
    if (together && spec.execution == ExecutionModel::Sequential)
        return std::string("execution: the ") + toString(p.kind) +
               " experiment needs its workers to run at the same time; \"sequential\" runs one after the other "
               "(use threads or processes)";
    if (p.kind == SyncKind::CondVar && (spec.workers < 2 || spec.workers % 2 != 0))
        return "workers: the producer/consumer experiment makes half the workers producers and half consumers, so it "
               "needs an even number of them (got " +
               std::to_string(spec.workers) + ")";
    if (p.kind == SyncKind::CondVar) {
        if (std::string e = lockstepWarmupError(spec, "the producer/consumer experiment"); !e.empty())
            return e;
    }
    if (p.kind == SyncKind::CondVar && (p.queueCapacity < 1 || p.queueCapacity > limits::kMaxQueueCapacity))
        return "primitive.queueCapacity: must be 1.." + std::to_string(limits::kMaxQueueCapacity) + ", got " +
               std::to_string(p.queueCapacity);
    if (p.kind == SyncKind::Barrier && spec.workers < 2)
        return "workers: a barrier needs at least two workers (got " + std::to_string(spec.workers) + ")";
    if (p.kind == SyncKind::RecursiveMutex && (p.recursionDepth < 1 || p.recursionDepth > limits::kMaxRecursionDepth))
        return "primitive.recursionDepth: must be 1.." + std::to_string(limits::kMaxRecursionDepth) + ", got " +
               std::to_string(p.recursionDepth);
    if (p.kind == SyncKind::RwLock && !(p.readShare >= 0.0 && p.readShare <= 1.0))
        return "primitive.readShare: must be between 0 and 1, got " + std::to_string(p.readShare);

    const SyncLayout layout(spec);
    SyncFixed *fx = new (mem) SyncFixed{};
    for (std::uint32_t i = 0; i < spec.workers; ++i)
        new (layout.figures(mem, i)) SyncWorkerFigures{};
    auto fail = [](const char *what, int rc) { return std::string("cannot initialise the ") + what + ": " + std::strerror(rc); };
    switch (p.kind) {
    case SyncKind::Mutex:
    case SyncKind::RecursiveMutex:
        if (const int rc = initRunMutex(&fx->mutex.mutex, processShared,
                                        p.kind == SyncKind::RecursiveMutex ? PTHREAD_MUTEX_RECURSIVE : PTHREAD_MUTEX_DEFAULT);
            rc != 0)
            return fail("mutex", rc);
        fx->mutexReady = true;
        break;
    case SyncKind::Spinlock: new (&fx->spin.lock) Spinlock{}; break;
    case SyncKind::RwLock: {
        pthread_rwlockattr_t attr;
        pthread_rwlockattr_init(&attr);
        if (processShared)
            pthread_rwlockattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
        const int rc = pthread_rwlock_init(&fx->rw.rw, &attr);
        pthread_rwlockattr_destroy(&attr);
        if (rc != 0)
            return fail("reader-writer lock", rc);
        fx->rwReady = true;
        break;
    }
    case SyncKind::CondVar: {
        if (const int rc = initRunMutex(&fx->queue.mutex, processShared); rc != 0)
            return fail("queue's mutex", rc);
        if (const int rc = initRunCond(&fx->notFull.cond, processShared); rc != 0) {
            pthread_mutex_destroy(&fx->queue.mutex);
            return fail("condition variable", rc);
        }
        if (const int rc = initRunCond(&fx->notEmpty.cond, processShared); rc != 0) {
            pthread_cond_destroy(&fx->notFull.cond);
            pthread_mutex_destroy(&fx->queue.mutex);
            return fail("condition variable", rc);
        }
        fx->queueReady = true;
        break;
    }
    case SyncKind::Barrier: {
        for (std::uint32_t i = 0; i < 2 * spec.workers; ++i)
            new (layout.arrivals(mem) + i) ArrivalSlot{};
        if (p.barrierImplementation == BarrierImplementation::Futex) {
            fx->barrier.futexBarrier.init(spec.workers, processShared);
            break;
        }
        pthread_barrierattr_t attr;
        pthread_barrierattr_init(&attr);
        if (processShared)
            pthread_barrierattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
        const int rc = pthread_barrier_init(&fx->barrier.pthreadBarrier, &attr, spec.workers);
        pthread_barrierattr_destroy(&attr);
        if (rc != 0)
            return fail("barrier", rc);
        fx->barrierReady = true;
        break;
    }
    }
    return {};
}

int runSyncWorker(WorkerEnv &env)
{
    const SyncLayout layout(*env.spec);
    void *mem = env.primitiveShared;
    SyncFixed &fx = *SyncLayout::fixed(mem);
    SyncWorkerFigures &out = *layout.figures(mem, env.index);
    switch (env.spec->sync.kind) {
    case SyncKind::Mutex: {
        ExclusiveOp<SyncKind::Mutex> op(env, fx);
        return runOp(env, op, out);
    }
    case SyncKind::RecursiveMutex: {
        ExclusiveOp<SyncKind::RecursiveMutex> op(env, fx);
        return runOp(env, op, out);
    }
    case SyncKind::Spinlock: {
        ExclusiveOp<SyncKind::Spinlock> op(env, fx);
        return runOp(env, op, out);
    }
    case SyncKind::RwLock: {
        RwOp op(env, fx);
        return runOp(env, op, out);
    }
    case SyncKind::CondVar: {
        CondVarOp op(env, fx, layout.items(mem));
        return runOp(env, op, out);
    }
    case SyncKind::Barrier:
        return env.spec->sync.barrierImplementation == BarrierImplementation::Futex
                   ? runBarrier<BarrierImplementation::Futex>(env, fx, layout, out)
                   : runBarrier<BarrierImplementation::Pthread>(env, fx, layout, out);
    }
    return EINVAL;
}

void cleanup(void *mem, const ExperimentSpec &spec, bool stuckThreads)
{
    if (stuckThreads)
        return; // a stuck thread may still be inside one of them
    // glibc's pthread_cond_destroy and pthread_barrier_destroy wait until every waiter has left;
    // a worker killed inside a wait never leaves, so they would wait for ever. Destroy only when
    // every worker finished its body (it wrote its figures). Otherwise leave the objects as they
    // are: process-shared pthread objects are plain words in the run's anonymous shared block,
    // which the runner unmaps; they hold nothing in the kernel.
    const SyncLayout layout(spec);
    for (std::uint32_t i = 0; i < spec.workers; ++i) {
        if (layout.figures(mem, i)->written == 0)
            return;
    }
    SyncFixed &fx = *SyncLayout::fixed(mem);
    if (fx.mutexReady)
        pthread_mutex_destroy(&fx.mutex.mutex);
    if (fx.rwReady)
        pthread_rwlock_destroy(&fx.rw.rw);
    if (fx.queueReady) {
        pthread_cond_destroy(&fx.notFull.cond);
        pthread_cond_destroy(&fx.notEmpty.cond);
        pthread_mutex_destroy(&fx.queue.mutex);
    }
    if (fx.barrierReady)
        pthread_barrier_destroy(&fx.barrier.pthreadBarrier);
    fx.mutexReady = fx.rwReady = fx.queueReady = fx.barrierReady = false;
}

void addFigure(RunResult &r, std::string name, std::string label, double value, std::string unit = {})
{
    r.figures.push_back({std::move(name), std::move(label), value, std::move(unit)});
}

double ratio(std::uint64_t a, std::uint64_t b) { return b ? static_cast<double>(a) / static_cast<double>(b) : 0.0; }

void finish(void *mem, const ExperimentSpec &spec, bool allFinished, RunResult &result)
{
    const SyncLayout layout(spec);
    const SyncFixed &fx = *SyncLayout::fixed(mem);
    SyncWorkerFigures sum{};
    std::uint64_t minPasses = UINT64_MAX, maxPasses = 0;
    for (std::uint32_t i = 0; i < spec.workers; ++i) {
        const SyncWorkerFigures &w = *layout.figures(mem, i);
        sum.acquisitions += w.acquisitions;
        sum.measuredAcquisitions += w.measuredAcquisitions;
        sum.handoffs += w.handoffs;
        sum.reads += w.reads;
        sum.writes += w.writes;
        sum.readWaitNs += w.readWaitNs;
        sum.writeWaitNs += w.writeWaitNs;
        sum.readContended += w.readContended;
        sum.writeContended += w.writeContended;
        sum.writesAll += w.writesAll;
        sum.readTorn += w.readTorn;
        sum.waitsFull += w.waitsFull;
        sum.waitsEmpty += w.waitsEmpty;
        sum.earlyReleases += w.earlyReleases;
        minPasses = std::min(minPasses, w.passes);
        maxPasses = std::max(maxPasses, w.passes);
    }
    const SyncKind kind = spec.sync.kind;
    if (kind != SyncKind::Barrier) {
        addFigure(result, "acquisitions", "acquisitions (measured)", static_cast<double>(sum.measuredAcquisitions));
        addFigure(result, "ownerHandoffs", "owner hand-offs: acquisitions whose previous owner was another worker",
                  static_cast<double>(sum.handoffs));
        addFigure(result, "ownerHandoffFraction", "owner hand-offs per acquisition", ratio(sum.handoffs, sum.measuredAcquisitions));
    }

    switch (kind) {
    case SyncKind::Mutex:
    case SyncKind::RecursiveMutex:
    case SyncKind::Spinlock: {
        if (kind == SyncKind::RecursiveMutex)
            addFigure(result, "recursionDepth", "nested acquisitions per operation", spec.sync.recursionDepth);
        if (!allFinished)
            return;
        const std::uint64_t counter = kind == SyncKind::Spinlock ? fx.spin.counter : fx.mutex.counter;
        result.counter = CounterCheck{sum.acquisitions, counter};
        result.checks.push_back({"mutualExclusion", "no update made under the lock was lost (one holder at a time)",
                                 counter == sum.acquisitions,
                                 std::to_string(sum.acquisitions) + " increments, counter holds " + std::to_string(counter)});
        return;
    }
    case SyncKind::RwLock: {
        addFigure(result, "readOps", "read operations (measured)", static_cast<double>(sum.reads));
        addFigure(result, "writeOps", "write operations (measured)", static_cast<double>(sum.writes));
        addFigure(result, "readShareObserved", "share of operations that only read", ratio(sum.reads, sum.reads + sum.writes));
        addFigure(result, "readWaitMeanNs", "wait to read (mean)", ratio(sum.readWaitNs, sum.reads), "ns");
        addFigure(result, "writeWaitMeanNs", "wait to write (mean)", ratio(sum.writeWaitNs, sum.writes), "ns");
        addFigure(result, "readContendedFraction", "reads that had to wait", ratio(sum.readContended, sum.reads));
        addFigure(result, "writeContendedFraction", "writes that had to wait", ratio(sum.writeContended, sum.writes));
        result.checks.push_back({"noWriterDuringRead", "no writer was inside while a reader was", sum.readTorn == 0,
                                 std::to_string(sum.readTorn) + " reads saw the data change under them"});
        if (!allFinished)
            return;
        const auto expected = static_cast<std::uint32_t>(sum.writesAll);
        result.checks.push_back({"writesExclusive", "no write was lost (one writer at a time)", fx.rw.version == expected,
                                 std::to_string(sum.writesAll) + " writes, version holds " + std::to_string(fx.rw.version) +
                                     " (modulo 2^32)"});
        return;
    }
    case SyncKind::CondVar: {
        SyncWorkerFigures made{}, taken{};
        for (std::uint32_t i = 0; i < spec.workers; ++i) {
            const SyncWorkerFigures &w = *layout.figures(mem, i);
            SyncWorkerFigures &side = i < spec.workers / 2 ? made : taken;
            side.items += w.items;
            side.itemSum += w.itemSum;
            side.itemHash += w.itemHash;
            side.measuredItems += w.measuredItems;
        }
        addFigure(result, "itemsProduced", "items produced (measured)", static_cast<double>(made.measuredItems));
        addFigure(result, "itemsConsumed", "items consumed (measured)", static_cast<double>(taken.measuredItems));
        addFigure(result, "waitsOnFull", "producer waits on a full queue", static_cast<double>(sum.waitsFull));
        addFigure(result, "waitsOnEmpty", "consumer waits on an empty queue", static_cast<double>(sum.waitsEmpty));
        addFigure(result, "queueCapacity", "queue capacity", spec.sync.queueCapacity);
        if (!allFinished)
            return;
        // What is still in the ring completes the balance.
        std::uint64_t left = 0, leftSum = 0, leftHash = 0;
        const std::uint64_t *items = layout.items(mem);
        for (std::uint32_t k = 0; k < fx.queue.count && k < spec.sync.queueCapacity; ++k) {
            const std::uint64_t id = items[(fx.queue.head + k) % spec.sync.queueCapacity];
            ++left;
            leftSum += id;
            leftHash += mixId(id);
        }
        const bool ok = made.items == taken.items + left && made.itemSum == taken.itemSum + leftSum &&
                        made.itemHash == taken.itemHash + leftHash;
        result.checks.push_back({"everyItemOnce", "every item produced was consumed exactly once (or is still queued)", ok,
                                 std::to_string(made.items) + " produced, " + std::to_string(taken.items) + " consumed, " +
                                     std::to_string(left) + " left in the queue; id sums and hashes " +
                                     (ok ? "match" : "differ")});
        return;
    }
    case SyncKind::Barrier: {
        LatencyHistogram skew;
        std::uint64_t rounds = 0;
        for (const WorkerResult &w : result.workers) {
            skew += w.histogram;
            rounds = std::max(rounds, w.ops);
        }
        const LatencySummary s = metrics::summarize(skew);
        addFigure(result, "barrierRounds", "barrier rounds (measured)", static_cast<double>(rounds));
        addFigure(result, "arrivalSkewMeanNs", "arrival skew per round, last − first arrival (mean)", s.meanNs, "ns");
        addFigure(result, "arrivalSkewP50Ns", "arrival skew (median)", s.p50Ns, "ns");
        addFigure(result, "arrivalSkewP99Ns", "arrival skew (99th percentile)", s.p99Ns, "ns");
        result.checks.push_back({"barrierHeld", "no worker left a round before every worker had arrived",
                                 sum.earlyReleases == 0, std::to_string(sum.earlyReleases) + " early releases seen"});
        if (!allFinished)
            return;
        // Bounded by operations after a warm-up, each worker started counting at its own round
        // and the early finishers arrived as departed parties: their live rounds differ by design.
        if (spec.operationsPerWorker != 0 && spec.warmupNs != 0)
            return;
        bool exact = spec.operationsPerWorker != 0;
        for (const WorkerResult &w : result.workers)
            exact = exact && w.ops == spec.operationsPerWorker;
        const std::uint64_t spread = maxPasses - minPasses;
        result.checks.push_back({"roundsInStep", "every worker passed the same rounds (one more at most around a stop)",
                                 exact ? spread == 0 : spread <= 1,
                                 "rounds passed per worker: " + std::to_string(minPasses) + " to " + std::to_string(maxPasses)});
        return;
    }
    }
}

} // namespace

const ExperimentFamily kSyncFamily{PrimitiveKind::Sync, sharedSize, init, runSyncWorker, finish, cleanup};

} // namespace clab
