// Operations of the lock-contention experiment, one per guard, each timed on its slow path only.
#include "lock_contention.h"
#include "worker_loop_impl.h"
#include "workload.h"

#include <cerrno>
#include <cstring>
#include <new>

namespace clab {

namespace {

std::string initShared(void *mem, const ExperimentSpec &spec, bool processShared)
{
    if (std::string error = checkWorkload(spec); !error.empty())
        return error;
    auto *s = new (mem) LockContentionShared{};
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
    if (processShared) {
        pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
        pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
    }
    const int rc = pthread_mutex_init(&s->mutex, &attr);
    pthread_mutexattr_destroy(&attr);
    return rc == 0 ? std::string() : std::string("cannot initialise the mutex: ") + std::strerror(rc);
}

void finishShared(void *mem, const ExperimentSpec &, bool allFinished, RunResult &result)
{
    if (!allFinished)
        return; // a worker that did not finish took its increment count with it
    auto *s = static_cast<LockContentionShared *>(mem);
    CounterCheck check;
    for (const auto &w : result.workers)
        check.expected += w.opsTotal;
    check.actual = std::atomic_ref<std::uint64_t>(s->counter).load(std::memory_order_acquire);
    result.counter = check;
}

void cleanupShared(void *mem, const ExperimentSpec &, bool stuckThreads)
{
    if (!stuckThreads)
        pthread_mutex_destroy(&static_cast<LockContentionShared *>(mem)->mutex);
}

// What every guard shares: calibrated work and the 1-in-K timing of uncontended acquisitions.
struct OpBase {
    LockContentionShared *shared;
    TickClock clock;
    OperationWork work; // the workload outside the critical section (CPU and memory)
    std::uint64_t csUnits;
    std::uint64_t sampleEvery;
    std::uint64_t countdown;
    std::uint64_t seed;

    OpBase(WorkerEnv &env)
        : shared(static_cast<LockContentionShared *>(env.primitiveShared))
        , clock(env.clock)
        , work(env.spec->workload, env.work, 0x9E3779B97F4A7C15ULL * (env.index + 1))
        , csUnits(env.work.unitsFor(env.spec->workload.criticalSectionNs))
        , sampleEvery(std::max<std::uint64_t>(1, env.spec->lock.timingSampleEvery))
        , countdown(1 + env.index % sampleEvery) // stagger so workers do not time in lock step
        , seed(0x9E3779B97F4A7C15ULL * (env.index + 1))
    {
    }

    // The read-modify-write the guard protects: read, do the critical section's work, write back.
    void increment() noexcept
    {
        std::atomic_ref<std::uint64_t> counter(shared->counter);
        const std::uint64_t v = counter.load(std::memory_order_relaxed);
        if (csUnits != 0)
            seed = spinWork(csUnits, seed);
        counter.store(v + 1, std::memory_order_relaxed);
    }

    void outsideWork() noexcept { work.run(); }

    bool sampleThisOne() noexcept
    {
        if (--countdown != 0) [[likely]]
            return false;
        countdown = sampleEvery;
        return true;
    }

    // Books one timed acquisition. `weight` > 1 for a sampled uncontended one, standing for the
    // acquisitions that were not timed.
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

// Lock-based guards share one shape: try first, and only if that fails time the wait.
template<class TryLock, class Lock, class Unlock>
struct LockedOp : OpBase {
    TryLock tryLock;
    Lock lockSlow;
    Unlock unlock;

    LockedOp(WorkerEnv &env, TryLock t, Lock l, Unlock u) : OpBase(env), tryLock(t), lockSlow(l), unlock(u) {}

    void operator()(WorkerCounters &c, StatsLaneWriter &lane, bool measuring) noexcept
    {
        outsideWork();
        const bool sampled = sampleThisOne();
        const std::uint64_t t0 = sampled ? clock.now() : 0;
        int rc = tryLock(shared);
        if (rc == 0) [[likely]] {
            if (!sampled) [[likely]] {
                increment();
                unlock(shared);
                return;
            }
            const std::uint64_t tAcq = clock.now();
            increment();
            const std::uint64_t tRel = clock.now();
            unlock(shared);
            book(c, lane, measuring, t0, tAcq, tRel, sampleEvery);
            return;
        }
        // Contended (or the previous owner died): time this one exactly.
        const std::uint64_t tWait = sampled ? t0 : clock.now();
        if (rc == EBUSY) {
            ++c.contended;
            rc = lockSlow(shared);
        }
        if (rc == EOWNERDEAD) {
            pthread_mutex_consistent(&shared->mutex);
            ++c.ownerDied;
        }
        const std::uint64_t tAcq = clock.now();
        increment();
        const std::uint64_t tRel = clock.now();
        unlock(shared);
        book(c, lane, measuring, tWait, tAcq, tRel, 1);
    }
};

template<class T, class L, class U>
LockedOp<T, L, U> makeLocked(WorkerEnv &env, T t, L l, U u)
{
    return LockedOp<T, L, U>(env, t, l, u);
}

// Lock-free fetch-add: no acquisition to contend on; the RMW itself is timed 1 in K.
struct AtomicOp : OpBase {
    using OpBase::OpBase;
    void operator()(WorkerCounters &c, StatsLaneWriter &lane, bool measuring) noexcept
    {
        outsideWork();
        if (csUnits != 0)
            seed = spinWork(csUnits, seed);
        std::atomic_ref<std::uint64_t> counter(shared->counter);
        if (!sampleThisOne()) {
            counter.fetch_add(1, std::memory_order_relaxed);
            return;
        }
        const std::uint64_t t0 = clock.now();
        counter.fetch_add(1, std::memory_order_relaxed);
        const std::uint64_t t1 = clock.now();
        book(c, lane, measuring, t0, t1, t1, sampleEvery);
    }
};

// No guard at all: the read-modify-write races and loses updates, which the result counts.
struct UnguardedOp : OpBase {
    using OpBase::OpBase;
    void operator()(WorkerCounters &, StatsLaneWriter &, bool) noexcept
    {
        outsideWork();
        increment();
    }
};

// Prepares the op's workload (its memory buffer is allocated here, before the start gate), then runs it.
template<class Op>
int runOp(WorkerEnv &env, Op &op) noexcept
{
    if (const int e = op.work.prepare(); e != 0)
        return e;
    return detail::workerLoop(env, op);
}

int runLockWorker(WorkerEnv &env) noexcept
{
    switch (env.spec->lock.guard) {
    case Guard::None: {
        UnguardedOp op(env);
        return runOp(env, op);
    }
    case Guard::Atomic: {
        AtomicOp op(env);
        return runOp(env, op);
    }
    case Guard::Mutex: {
        auto op = makeLocked(
            env, [](LockContentionShared *s) noexcept { return pthread_mutex_trylock(&s->mutex); },
            [](LockContentionShared *s) noexcept { return pthread_mutex_lock(&s->mutex); },
            [](LockContentionShared *s) noexcept { pthread_mutex_unlock(&s->mutex); });
        return runOp(env, op);
    }
    case Guard::Spinlock: {
        auto op = makeLocked(
            env, [](LockContentionShared *s) noexcept { return s->spinlock.tryLock() ? 0 : EBUSY; },
            [](LockContentionShared *s) noexcept {
                s->spinlock.lock();
                return 0;
            },
            [](LockContentionShared *s) noexcept { s->spinlock.unlock(); });
        return runOp(env, op);
    }
    }
    return EINVAL;
}

std::size_t sharedSize(const ExperimentSpec &) { return sizeof(LockContentionShared); }

} // namespace

const ExperimentFamily kLockContentionFamily{PrimitiveKind::LockContention, sharedSize, initShared, runLockWorker,
                                             finishShared, cleanupShared};

} // namespace clab
