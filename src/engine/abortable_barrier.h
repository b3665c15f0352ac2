// A process-shared barrier on a futex word that can be broken, like Python's threading.Barrier
// (wait / abort / BrokenBarrierError): the alternative to pthread_barrier_t, which can neither
// time out nor be aborted, so a party that leaves or dies strands every other one.
#pragma once

#include "stoppable_wait.h"

#include <atomic>
#include <cerrno>
#include <climits>
#include <cstdint>
#include <ctime>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace clab {

// Central-counter barrier with a generation word. The generation word holds the round number
// (low 31 bits) and the broken flag (bit 31), so abort() changes the very word sleepers wait on
// and wakes them at once.
// Requires: `parties` callers per round; the object in memory every party maps (processShared
// when they are processes). Guarantees: no party returns Passed/Serial from round r before all
// `parties` have arrived at round r; exactly one per round gets Serial (the last to arrive);
// once broken, every waiting and every later wait() returns Broken, except a party whose round
// had already completed (it returns Passed: a completed round is never reported as broken).
// Memory ordering: everything a party wrote before wait() is visible to every party after its
// wait() returns Passed or Serial (arrival is an acq_rel RMW, the release of a round a release
// RMW that every waiter acquire-loads).
class FutexBarrier {
public:
    enum class Result { Passed, Serial, Broken };

    void init(std::uint32_t parties, bool processShared) noexcept
    {
        m_arrived.store(0, std::memory_order_relaxed);
        m_word.store(0, std::memory_order_relaxed);
        m_parties = parties;
        m_op = processShared ? 0 : FUTEX_PRIVATE_FLAG;
    }

    // Waits for the round to complete. A wait that sees the run stop (checked every `slice` ns
    // while asleep) breaks the barrier, so the others leave too, and returns Broken.
    Result wait(const RunControl &ctl, std::uint64_t slice) noexcept
    {
        const std::uint32_t w = m_word.load(std::memory_order_acquire);
        if ((w & kBroken) != 0)
            return Result::Broken;
        if (m_arrived.fetch_add(1, std::memory_order_acq_rel) + 1 == m_parties) {
            m_arrived.store(0, std::memory_order_relaxed); // ordered before the release below
            std::uint32_t cur = w;
            while (!m_word.compare_exchange_weak(cur, (cur & kBroken) | ((cur + 1) & kRoundMask), std::memory_order_acq_rel,
                                                 std::memory_order_relaxed)) {
            }
            wakeAll();
            return Result::Serial;
        }
        const timespec rel = monotonicTimespec(slice);
        for (;;) {
            const std::uint32_t now = m_word.load(std::memory_order_acquire);
            if ((now & kRoundMask) != (w & kRoundMask))
                return Result::Passed;
            if ((now & kBroken) != 0)
                return Result::Broken;
            const long rc = syscall(SYS_futex, word(), FUTEX_WAIT | m_op, now, &rel, nullptr, 0);
            if (rc != 0 && errno == ETIMEDOUT && stopRequested(ctl))
                abort(); // the next pass through the loop reports Passed or Broken
        }
    }

    // Breaks the barrier for good and wakes every party waiting on it. Idempotent.
    void abort() noexcept
    {
        if ((m_word.fetch_or(kBroken, std::memory_order_acq_rel) & kBroken) == 0)
            wakeAll();
    }

    bool broken() const noexcept { return (m_word.load(std::memory_order_acquire) & kBroken) != 0; }

private:
    static constexpr std::uint32_t kBroken = 1U << 31;
    static constexpr std::uint32_t kRoundMask = kBroken - 1;
    std::uint32_t *word() noexcept { return reinterpret_cast<std::uint32_t *>(&m_word); }
    void wakeAll() noexcept { syscall(SYS_futex, word(), FUTEX_WAKE | m_op, INT_MAX, nullptr, nullptr, 0); }

    std::atomic<std::uint32_t> m_word{0};
    std::atomic<std::uint32_t> m_arrived{0};
    std::uint32_t m_parties = 1;
    int m_op = 0;
};

} // namespace clab
