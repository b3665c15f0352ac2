// The course's Event (set / clear / wait(timeout) / is_set) for threads and processes: a futex
// word, and the obvious baseline on a pthread mutex and condition variable.
#pragma once

#include "stoppable_wait.h"

#include <atomic>
#include <cerrno>
#include <climits>
#include <cstdint>
#include <cstring>
#include <ctime>
#include <linux/futex.h>
#include <pthread.h>
#include <string>
#include <sys/syscall.h>
#include <unistd.h>

namespace clab {

// Event on one 32-bit futex word: bit 0 = set, bit 1 = someone may be sleeping on the word.
// Requires: the object lives in memory every party maps (MAP_SHARED when the parties are
// processes; then processShared = true so the kernel keys the futex by page, not by process).
// Guarantees: wait() returns true as soon as the event is set (it never sleeps while the event
// is set); set() wakes every sleeper and costs no system call when nobody sleeps; a set() followed
// at once by clear() may be missed by a waiter that was not yet asleep (as in Python).
// Memory ordering: set() is a release, a wait()/isSet() that returns true is an acquire, so what
// the setter wrote before set() is visible to the waiter after wait(); clear() is a release.
class FutexEvent {
public:
    std::string init(bool processShared) noexcept
    {
        m_word.store(0, std::memory_order_relaxed);
        m_op = processShared ? 0 : FUTEX_PRIVATE_FLAG;
        return {};
    }
    void destroy() noexcept {}

    bool isSet() const noexcept { return (m_word.load(std::memory_order_acquire) & kSet) != 0; }

    void set() noexcept
    {
        if ((m_word.exchange(kSet, std::memory_order_acq_rel) & kWaiters) != 0)
            syscall(SYS_futex, word(), FUTEX_WAKE | m_op, INT_MAX, nullptr, nullptr, 0);
    }

    void clear() noexcept { m_word.fetch_and(~kSet, std::memory_order_release); }

    // Waits until the event is set or CLOCK_MONOTONIC reaches deadlineNs (0: no deadline).
    // Returns whether the event is set.
    bool waitUntil(std::uint64_t deadlineNs) noexcept
    {
        std::uint32_t s = m_word.load(std::memory_order_acquire);
        while ((s & kSet) == 0) {
            if ((s & kWaiters) == 0) {
                if (!m_word.compare_exchange_weak(s, s | kWaiters, std::memory_order_acquire))
                    continue;
                s |= kWaiters;
            }
            const timespec ts = monotonicTimespec(deadlineNs);
            // FUTEX_WAIT_BITSET takes an absolute CLOCK_MONOTONIC deadline; it returns at once
            // (EAGAIN) if the word is no longer `s`, so a set() between load and sleep is not lost.
            const long rc = syscall(SYS_futex, word(), FUTEX_WAIT_BITSET | m_op, s, deadlineNs ? &ts : nullptr, nullptr,
                                    FUTEX_BITSET_MATCH_ANY);
            if (rc != 0 && errno == ETIMEDOUT)
                return isSet();
            s = m_word.load(std::memory_order_acquire);
        }
        return true;
    }

private:
    static constexpr std::uint32_t kSet = 1;
    static constexpr std::uint32_t kWaiters = 2;
    std::uint32_t *word() noexcept { return reinterpret_cast<std::uint32_t *>(&m_word); }
    std::atomic<std::uint32_t> m_word{0};
    int m_op = 0;
};
static_assert(std::atomic<std::uint32_t>::is_always_lock_free && sizeof(std::atomic<std::uint32_t>) == 4);

// The obvious event: a flag guarded by a mutex, waiters sleep on a condition variable
// (what Python's threading.Event does). Same interface and guarantees as FutexEvent, plus: a
// holder of the mutex that dies (processes) does not wedge the others (robust mutex).
// Memory ordering: every operation but isSet() takes the mutex (acquire on lock, release on
// unlock); isSet() is an acquire load of the flag, which set() stores under the mutex.
class CondVarEvent {
public:
    std::string init(bool processShared) noexcept
    {
        m_flag.store(0, std::memory_order_relaxed);
        if (const int rc = initRunMutex(&m_mutex, processShared); rc != 0)
            return std::string("cannot initialise the event's mutex: ") + std::strerror(rc);
        if (const int rc = initRunCond(&m_cond, processShared); rc != 0) {
            pthread_mutex_destroy(&m_mutex);
            return std::string("cannot initialise the event's condition variable: ") + std::strerror(rc);
        }
        m_ready = true;
        return {};
    }
    void destroy() noexcept
    {
        if (!m_ready)
            return;
        pthread_cond_destroy(&m_cond);
        pthread_mutex_destroy(&m_mutex);
        m_ready = false;
    }

    bool isSet() const noexcept { return m_flag.load(std::memory_order_acquire) != 0; }

    void set() noexcept
    {
        lock();
        m_flag.store(1, std::memory_order_relaxed);
        pthread_cond_broadcast(&m_cond);
        pthread_mutex_unlock(&m_mutex);
    }

    void clear() noexcept
    {
        lock();
        m_flag.store(0, std::memory_order_relaxed);
        pthread_mutex_unlock(&m_mutex);
    }

    bool waitUntil(std::uint64_t deadlineNs) noexcept
    {
        lock();
        const timespec ts = monotonicTimespec(deadlineNs);
        while (m_flag.load(std::memory_order_relaxed) == 0) {
            const int rc = deadlineNs ? pthread_cond_clockwait(&m_cond, &m_mutex, CLOCK_MONOTONIC, &ts)
                                      : pthread_cond_wait(&m_cond, &m_mutex);
            if (rc == EOWNERDEAD)
                pthread_mutex_consistent(&m_mutex);
            else if (rc == ETIMEDOUT)
                break;
        }
        const bool set = m_flag.load(std::memory_order_relaxed) != 0;
        pthread_mutex_unlock(&m_mutex);
        return set;
    }

private:
    void lock() noexcept
    {
        if (pthread_mutex_lock(&m_mutex) == EOWNERDEAD)
            pthread_mutex_consistent(&m_mutex);
    }
    pthread_mutex_t m_mutex;
    pthread_cond_t m_cond;
    std::atomic<std::uint32_t> m_flag{0};
    bool m_ready = false;
};

} // namespace clab
