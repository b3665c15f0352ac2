// What the semaphore, event and sync families share: blocking that a stop can end, 1-in-K timing.
#pragma once

#include "experiment_spec.h"
#include "tsc_clock.h"
#include "worker_loop.h"

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <ctime>
#include <pthread.h>
#include <string>

// ThreadSanitizer (GCC 12's libtsan) does not intercept the CLOCK_MONOTONIC timed calls of glibc
// 2.30+ (pthread_mutex_clocklock, pthread_rwlock_clock*lock, sem_clockwait), so it would not see
// those acquisitions and would report the data they protect as racing. Under TSan the slow paths
// poll the try-variants instead, which it does intercept; timing means nothing there anyway.
#if defined(__SANITIZE_THREAD__)
#define CLAB_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define CLAB_TSAN 1
#endif
#endif
#ifndef CLAB_TSAN
#define CLAB_TSAN 0
#endif

namespace clab {

// Under TSan only: waits until `tryOnce` (returns 0 on success or an errno value) succeeds or
// returns something other than `busy`, polling every 20 µs; gives up with ECANCELED at a stop.
template<class TryOnce>
int pollUnlessStopped(TryOnce tryOnce, int busy, const RunControl &ctl) noexcept;

// How long a blocked worker sleeps before it looks at the run's phase again. Every blocking call
// of these families is cut into slices of at most this length (a timed wait, re-armed while the
// run goes on), so a stop ends any wait within one slice, whoever else is alive. The cost is one
// wake-up per slice while a worker stays blocked: with the default sampling interval (10 ms),
// 5 ms, i.e. 200 wake-ups a second for a worker that is blocked all the time, and none at all
// for waits shorter than a slice.
inline std::uint64_t stopPollNs(const ExperimentSpec &spec) noexcept
{
    return std::clamp<std::uint64_t>(spec.sampleIntervalNs / 2, 1'000'000, 20'000'000);
}

// Memory ordering: relaxed; the phase is a hint to leave, it publishes no data.
inline bool stopRequested(const RunControl &ctl) noexcept
{
    return ctl.phase.load(std::memory_order_relaxed) == static_cast<std::uint32_t>(RunPhase::Stop);
}

inline timespec monotonicTimespec(std::uint64_t ns) noexcept
{
    return {static_cast<time_t>(ns / 1'000'000'000ULL), static_cast<long>(ns % 1'000'000'000ULL)};
}

// Sleeps `ns` in slices of `slice`; returns false (early) when the run stops meanwhile.
inline bool sleepUnlessStopped(std::uint64_t ns, const RunControl &ctl, std::uint64_t slice) noexcept
{
    if (ns == 0)
        return !stopRequested(ctl);
    const std::uint64_t end = monotonicNs() + ns;
    for (;;) {
        if (stopRequested(ctl))
            return false;
        const std::uint64_t now = monotonicNs();
        if (now >= end)
            return true;
        const timespec ts = monotonicTimespec(std::min(end, now + slice));
        while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) == EINTR) {
        }
    }
}

// Families whose workers go round by round together (a setter and its waiter, producers and
// consumers) cannot combine an operation count with a warm-up: each worker starts counting at
// its own first check after the phase change, so the counts would end at different rounds and
// one side would wait for ever for a partner that is done. Returns the error, or "".
inline std::string lockstepWarmupError(const ExperimentSpec &spec, const char *experiment)
{
    if (spec.operationsPerWorker == 0 || spec.warmupNs == 0)
        return {};
    return std::string("warmup: ") + experiment +
           " moves its workers round by round together; with an operation count each worker would start "
           "counting at a different round after the warm-up and one side would be left waiting at the end. "
           "Bound the run by a duration, or set the warm-up to 0";
}

// One operation in `every` is timed on its fast path (uncontended ones); slow paths always are.
// The first timed one is staggered by the worker's index so workers do not time in lock step.
class TimingSampler {
public:
    static constexpr std::uint32_t kDefaultEvery = 64;
    TimingSampler(std::uint32_t every, std::uint32_t index) noexcept
        : m_every(std::max<std::uint32_t>(every, 1)), m_countdown(1 + index % m_every)
    {
    }
    bool next() noexcept
    {
        if (--m_countdown != 0)
            return false;
        m_countdown = m_every;
        return true;
    }
    std::uint64_t weight() const noexcept { return m_every; }

private:
    std::uint32_t m_every;
    std::uint32_t m_countdown;
};

// xorshift64*: a worker-private stream for choices such as "read or write" (no shared state).
class WorkerRandom {
public:
    explicit WorkerRandom(std::uint64_t seed) noexcept : m_s(seed | 1) {}
    std::uint64_t next() noexcept
    {
        m_s ^= m_s >> 12;
        m_s ^= m_s << 25;
        m_s ^= m_s >> 27;
        return m_s * 0x2545F4914F6CDD1DULL;
    }
    // True with probability p (0..1).
    bool chance(double p) noexcept
    {
        if (p >= 1.0)
            return true;
        if (p <= 0.0)
            return false;
        return static_cast<double>(next() >> 11) * 0x1.0p-53 < p;
    }

private:
    std::uint64_t m_s;
};

// A pthread mutex for the run: process-shared and robust (a holder that dies does not wedge the
// others: the next locker gets EOWNERDEAD) when the workers are processes.
inline int initRunMutex(pthread_mutex_t *m, bool processShared, int type = PTHREAD_MUTEX_DEFAULT) noexcept
{
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_settype(&attr, type);
    if (processShared) {
        pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
        pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
    }
    const int rc = pthread_mutex_init(m, &attr);
    pthread_mutexattr_destroy(&attr);
    return rc;
}

// A condition variable for the run, process-shared when the workers are processes, timed on
// CLOCK_MONOTONIC so a wall-clock jump cannot stretch a wait.
inline int initRunCond(pthread_cond_t *c, bool processShared) noexcept
{
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    if (processShared)
        pthread_condattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
    const int rc = pthread_cond_init(c, &attr);
    pthread_condattr_destroy(&attr);
    return rc;
}

template<class TryOnce>
int pollUnlessStopped(TryOnce tryOnce, int busy, const RunControl &ctl) noexcept
{
    for (;;) {
        const int rc = tryOnce();
        if (rc != busy)
            return rc;
        if (stopRequested(ctl))
            return ECANCELED;
        const timespec ts{0, 20'000};
        nanosleep(&ts, nullptr);
    }
}

// Locks `m`, giving up when the run stops. Returns 0, EOWNERDEAD (the lock is held and the
// caller must make it consistent), or ECANCELED (stopped, not held).
inline int lockUnlessStopped(pthread_mutex_t *m, const RunControl &ctl, std::uint64_t slice) noexcept
{
    if constexpr (CLAB_TSAN)
        return pollUnlessStopped([m] { return pthread_mutex_trylock(m); }, EBUSY, ctl);
    for (;;) {
        const timespec ts = monotonicTimespec(monotonicNs() + slice);
        const int rc = pthread_mutex_clocklock(m, CLOCK_MONOTONIC, &ts);
        if (rc != ETIMEDOUT)
            return rc;
        if (stopRequested(ctl))
            return ECANCELED;
    }
}

} // namespace clab
