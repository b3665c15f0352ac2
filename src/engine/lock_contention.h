// The lock-contention experiment: N workers increment one shared counter under a chosen guard.
#pragma once

#include "experiment_family.h"
#include "experiment_spec.h"
#include "stats_ring_layout.h"

#include <atomic>
#include <cstdint>
#include <pthread.h>

namespace clab {

// Test-and-test-and-set spinlock with a pause in the spin.
// Requires: unlock only by the holder. Guarantees: mutual exclusion, no fairness.
// Memory ordering: lock() is an acquire, unlock() a release.
class Spinlock {
public:
    bool tryLock() noexcept { return !m_word.exchange(1, std::memory_order_acquire); }
    void lock() noexcept
    {
        while (m_word.exchange(1, std::memory_order_acquire) != 0) {
            while (m_word.load(std::memory_order_relaxed) != 0)
                pause();
        }
    }
    void unlock() noexcept { m_word.store(0, std::memory_order_release); }

private:
    static void pause() noexcept
    {
#if defined(__x86_64__) || defined(__i386__)
        __builtin_ia32_pause();
#endif
    }
    std::atomic<std::uint32_t> m_word{0};
};
static_assert(std::atomic<std::uint32_t>::is_always_lock_free);

// Shared state of the experiment, placed in memory every worker maps (process-shared).
// The counter, the mutex and the spinlock sit on separate cache lines, as separate objects would.
struct LockContentionShared {
    alignas(CLAB_CACHE_LINE) std::uint64_t counter = 0;
    alignas(CLAB_CACHE_LINE) pthread_mutex_t mutex;
    alignas(CLAB_CACHE_LINE) Spinlock spinlock;
};

// The family (kLockContentionFamily in experiment_family.h): the mutex is process-shared and
// robust in processes mode (a worker that dies holding it does not wedge the others); finish()
// checks the counter for lost updates.


} // namespace clab
