// The shared-memory channel: a single-producer / single-consumer message ring in shared memory.
//
// Two parties (threads or processes) map the same memory; one sends fixed-size messages, the
// other receives them in order. The ring holds `slots` messages; each slot is the message size
// rounded up to a cache line, so a slot being written never shares a line with one being read.
// Everything in shared memory is plain data addressed by offsets (never pointers), so the ring
// works at different addresses in different processes.
//
// How a party waits when the ring is empty (consumer) or full (producer) is chosen at compile
// time and is part of what is measured:
//   * Blocking: the waiter announces in a word what it waits for, re-checks, and sleeps on a
//     futex; the other side makes the futex call only when that word says someone sleeps for what
//     it has just done, and clears it as it does, so a busy channel costs no system call at all
//     and a sleep costs exactly one wake-up.
//   * Spinning: the waiter busy-waits with `pause`, never entering the kernel.
//
// A naive baseline with the same interface, LockedShmQueue (a process-shared mutex and two
// condition variables around a slot array), is the "obvious way" the ring is compared with.
#pragma once

#include "stats_ring_layout.h" // CLAB_CACHE_LINE

#include <atomic>
#include <bit>
#include <cerrno>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <ctime>
#include <linux/futex.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace clab {

static_assert(std::atomic<std::uint64_t>::is_always_lock_free, "the ring's indexes must be lock-free in shared memory");
static_assert(std::endian::native == std::endian::little, "the futex word is the low half of a 64-bit index");

enum class ShmWait { Blocking, Spinning };

// What a send or receive ended with.
enum class ChannelStatus { Ok, Interrupted };

namespace shm_detail {

inline void cpuRelax() noexcept
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

// The low 32 bits of a 64-bit index, as a futex word (little-endian: same address).
inline std::uint32_t *lowWord(std::atomic<std::uint64_t> &a) noexcept
{
    return reinterpret_cast<std::uint32_t *>(&a);
}

// Process-shared (not FUTEX_PRIVATE): the word may be mapped by several processes.
inline long futexWait32(std::uint32_t *word, std::uint32_t expected, const timespec *timeout) noexcept
{
    return syscall(SYS_futex, word, FUTEX_WAIT, expected, timeout, nullptr, 0);
}

inline void futexWake32(std::uint32_t *word) noexcept
{
    syscall(SYS_futex, word, FUTEX_WAKE, INT_MAX, nullptr, nullptr, 0);
}

// The full (store-load) fence of the blocking mode's handshake (see wakeIfWaiting). It orders
// only atomics, a sleep word against an index, so that no wake-up is lost; the message bytes are
// published by head/tail's release/acquire, which ThreadSanitizer does model. TSan does not model
// fences, and GCC flags std::atomic_thread_fence under -fsanitize=thread (-Wtsan, an error with
// CLAB_WERROR): here that cannot hide or invent a data race, so under GCC's TSan the same fence is
// issued (libtsan still executes a hardware fence) with that one warning silenced. Other builds
// compile exactly std::atomic_thread_fence(seq_cst).
inline void storeLoadFence() noexcept
{
#if defined(__SANITIZE_THREAD__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wtsan"
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
#pragma GCC diagnostic pop
#else
    std::atomic_thread_fence(std::memory_order_seq_cst);
#endif
}

// Called after `index` was stored and a seq_cst fence: wakes the other party if it sleeps waiting
// for a value `index` has reached. The compare-exchange clears only the sleep it saw, so a waker
// that read an old sleep's value can never clear a newer one (which would lose that wake-up), and
// one sleep costs one wake-up call however many messages pass before the sleeper runs.
inline void wakeIfWaiting(std::atomic<std::uint64_t> &waitsFor, std::uint64_t index,
                          std::atomic<std::uint64_t> &indexWord) noexcept
{
    std::uint64_t w = waitsFor.load(std::memory_order_relaxed);
    while (w != 0 && w <= index) [[unlikely]] {
        if (waitsFor.compare_exchange_weak(w, 0, std::memory_order_relaxed)) {
            futexWake32(lowWord(indexWord));
            return;
        }
    }
}

} // namespace shm_detail

// The ring's shared part. Requires: zero-filled or constructed in place before either party
// uses it; exactly one producer and one consumer at a time.
//
// Cache lines: `head` is written by the producer only, `tail` by the consumer only, and each
// sleep word (mostly) by the party that sleeps, each on its own line, so the only lines that move
// between the two CPUs are the one a side has just written and the slots themselves.
struct ShmRingHeader {
    alignas(CLAB_CACHE_LINE) std::atomic<std::uint64_t> head{0}; // messages published
    alignas(CLAB_CACHE_LINE) std::atomic<std::uint64_t> tail{0}; // messages consumed
    // Blocking mode only. Non-zero while a party sleeps: the index value that will end its sleep
    // (head the consumer waits for, tail the producer waits for). Written by the sleeper; cleared
    // by it when it stops waiting, or by the other side with a compare-exchange when it wakes it.
    alignas(CLAB_CACHE_LINE) std::atomic<std::uint64_t> consumerWaitsFor{0};
    alignas(CLAB_CACHE_LINE) std::atomic<std::uint64_t> producerWaitsFor{0};
    // Read-only after init.
    alignas(CLAB_CACHE_LINE) std::uint64_t slots = 0;       // capacity in messages
    std::uint64_t slotSize = 0;                             // bytes per slot (multiple of a cache line)
    std::uint64_t messageSize = 0;                          // bytes per message
    std::uint64_t slotsOffset = 0;                          // from this header to slot 0

    static constexpr std::uint64_t slotSizeFor(std::uint64_t messageSize) noexcept
    {
        return (messageSize + CLAB_CACHE_LINE - 1) / CLAB_CACHE_LINE * CLAB_CACHE_LINE;
    }
    // Bytes of shared memory for a ring: header plus slots.
    static constexpr std::uint64_t bytesFor(std::uint64_t slots, std::uint64_t messageSize) noexcept
    {
        return sizeof(ShmRingHeader) + slots * slotSizeFor(messageSize);
    }
    // Sets up a ring at `mem` (which has bytesFor(...) bytes) with the slots right after the header.
    static ShmRingHeader *create(void *mem, std::uint64_t slots, std::uint64_t messageSize) noexcept
    {
        auto *h = new (mem) ShmRingHeader{};
        h->slots = slots;
        h->messageSize = messageSize;
        h->slotSize = slotSizeFor(messageSize);
        h->slotsOffset = sizeof(ShmRingHeader);
        return h;
    }
    std::byte *slotBase() noexcept { return reinterpret_cast<std::byte *>(this) + slotsOffset; }

    // Racy estimate of the messages in the ring: exact only when neither side moves. Head is read
    // first (acquire keeps the tail load after it): tail only grows and head never runs more than
    // `slots` ahead of it, so the estimate stays within 0..slots while both sides move.
    std::uint64_t sizeGuess() const noexcept
    {
        const std::uint64_t h = head.load(std::memory_order_acquire);
        const std::uint64_t t = tail.load(std::memory_order_relaxed);
        return h >= t ? h - t : 0;
    }
};
static_assert(sizeof(ShmRingHeader) % CLAB_CACHE_LINE == 0);

// The sending side. Lives in the producer's own memory (its cached copy of `tail` is private).
// `interrupt`: a flag set from outside (a signal handler) that makes a waiting send give up.
// Memory ordering: send() writes the slot, then stores head with release, so a consumer that
// loads head with acquire sees the whole message; it loads tail with acquire before reusing a
// slot, so the consumer's copy out of that slot happened before. Blocking mode adds a seq_cst
// fence between the head store and the read of the consumer's sleep word (the other half of the
// consumer's store / fence / re-check), so a wake-up is never lost; see wakeIfWaiting for why the
// word holds the awaited index rather than a flag.
template<ShmWait Wait>
class ShmRingProducer {
public:
    ShmRingProducer() = default;
    ShmRingProducer(ShmRingHeader *ring, const std::atomic<bool> *interrupt) noexcept
        : m_ring(ring), m_slots(ring->slotBase()), m_capacity(ring->slots), m_slotSize(ring->slotSize),
          m_head(ring->head.load(std::memory_order_relaxed)), m_cachedTail(ring->tail.load(std::memory_order_acquire)),
          m_interrupt(interrupt)
    {
        m_offset = (m_head % m_capacity) * m_slotSize;
        m_end = m_capacity * m_slotSize;
    }

    // Copies n (≤ messageSize) bytes into the next slot; waits while the ring is full.
    ChannelStatus send(const std::byte *p, std::size_t n) noexcept
    {
        if (m_head - m_cachedTail == m_capacity) [[unlikely]] {
            if (!waitForSpace())
                return ChannelStatus::Interrupted;
        }
        std::memcpy(m_slots + m_offset, p, n);
        m_offset += m_slotSize;
        if (m_offset == m_end)
            m_offset = 0;
        ++m_head;
        m_ring->head.store(m_head, std::memory_order_release);
        if constexpr (Wait == ShmWait::Blocking) {
            shm_detail::storeLoadFence();
            shm_detail::wakeIfWaiting(m_ring->consumerWaitsFor, m_head, m_ring->head);
        }
        return ChannelStatus::Ok;
    }

    // Messages in the ring now (head − tail, both read from shared memory; see sizeGuess). Meant
    // for sampling, not for every send: it reads the consumer's line.
    std::uint64_t queued() const noexcept { return m_ring->sizeGuess(); }

private:
    // Out of line: the send path stays small enough to be inlined into its caller.
    [[gnu::noinline, gnu::cold]] bool waitForSpace() noexcept
    {
        for (;;) {
            m_cachedTail = m_ring->tail.load(std::memory_order_acquire);
            if (m_head - m_cachedTail < m_capacity)
                return true;
            if (m_interrupt->load(std::memory_order_relaxed))
                return false;
            if constexpr (Wait == ShmWait::Spinning) {
                shm_detail::cpuRelax();
            } else {
                // Waits for tail to pass head - capacity (then a slot is free).
                m_ring->producerWaitsFor.store(m_head - m_capacity + 1, std::memory_order_relaxed);
                shm_detail::storeLoadFence();
                m_cachedTail = m_ring->tail.load(std::memory_order_acquire);
                if (m_head - m_cachedTail < m_capacity) {
                    m_ring->producerWaitsFor.store(0, std::memory_order_relaxed);
                    return true;
                }
                // Sleeps only while tail still says "full" (its low half equals head - capacity).
                shm_detail::futexWait32(shm_detail::lowWord(m_ring->tail), static_cast<std::uint32_t>(m_head - m_capacity),
                                        nullptr);
                m_ring->producerWaitsFor.store(0, std::memory_order_relaxed);
            }
        }
    }

    ShmRingHeader *m_ring = nullptr;
    std::byte *m_slots = nullptr;
    std::uint64_t m_capacity = 0;
    std::uint64_t m_slotSize = 0;
    std::uint64_t m_head = 0;
    std::uint64_t m_cachedTail = 0;
    std::uint64_t m_offset = 0; // of slot head % capacity (tail % capacity), kept without a division
    std::uint64_t m_end = 0;    // capacity × slot size
    const std::atomic<bool> *m_interrupt = nullptr;
};

// The receiving side. Memory ordering: receive() loads head with acquire before reading a slot
// and stores tail with release after copying the message out, so the producer cannot overwrite
// a slot still being read. Blocking mode: flag store, seq_cst fence, re-check before sleeping;
// a seq_cst fence between the tail store and the read of the producer's sleep word.
template<ShmWait Wait>
class ShmRingConsumer {
public:
    ShmRingConsumer() = default;
    ShmRingConsumer(ShmRingHeader *ring, const std::atomic<bool> *interrupt) noexcept
        : m_ring(ring), m_slots(ring->slotBase()), m_capacity(ring->slots), m_slotSize(ring->slotSize),
          m_tail(ring->tail.load(std::memory_order_relaxed)), m_cachedHead(ring->head.load(std::memory_order_acquire)),
          m_interrupt(interrupt)
    {
        m_offset = (m_tail % m_capacity) * m_slotSize;
        m_end = m_capacity * m_slotSize;
    }

    // Copies the next message (n ≤ messageSize bytes of it) to p; waits while the ring is empty.
    ChannelStatus receive(std::byte *p, std::size_t n) noexcept
    {
        if (m_tail == m_cachedHead) [[unlikely]] {
            if (!waitForData())
                return ChannelStatus::Interrupted;
        }
        std::memcpy(p, m_slots + m_offset, n);
        m_offset += m_slotSize;
        if (m_offset == m_end)
            m_offset = 0;
        ++m_tail;
        m_ring->tail.store(m_tail, std::memory_order_release);
        if constexpr (Wait == ShmWait::Blocking) {
            shm_detail::storeLoadFence();
            shm_detail::wakeIfWaiting(m_ring->producerWaitsFor, m_tail, m_ring->tail);
        }
        return ChannelStatus::Ok;
    }

    // Messages in the ring now (see ShmRingProducer::queued).
    std::uint64_t queued() const noexcept { return m_ring->sizeGuess(); }

private:
    // Out of line: the receive path stays small enough to be inlined into its caller.
    [[gnu::noinline, gnu::cold]] bool waitForData() noexcept
    {
        for (;;) {
            m_cachedHead = m_ring->head.load(std::memory_order_acquire);
            if (m_cachedHead != m_tail)
                return true;
            if (m_interrupt->load(std::memory_order_relaxed))
                return false;
            if constexpr (Wait == ShmWait::Spinning) {
                shm_detail::cpuRelax();
            } else {
                // Waits for head to pass tail (then a message is there).
                m_ring->consumerWaitsFor.store(m_tail + 1, std::memory_order_relaxed);
                shm_detail::storeLoadFence();
                m_cachedHead = m_ring->head.load(std::memory_order_acquire);
                if (m_cachedHead != m_tail) {
                    m_ring->consumerWaitsFor.store(0, std::memory_order_relaxed);
                    return true;
                }
                // Sleeps only while head still equals tail (low halves: head - tail ≤ slots < 2^32).
                shm_detail::futexWait32(shm_detail::lowWord(m_ring->head), static_cast<std::uint32_t>(m_tail), nullptr);
                m_ring->consumerWaitsFor.store(0, std::memory_order_relaxed);
            }
        }
    }

    ShmRingHeader *m_ring = nullptr;
    std::byte *m_slots = nullptr;
    std::uint64_t m_capacity = 0;
    std::uint64_t m_slotSize = 0;
    std::uint64_t m_tail = 0;
    std::uint64_t m_cachedHead = 0;
    std::uint64_t m_offset = 0; // of slot head % capacity (tail % capacity), kept without a division
    std::uint64_t m_end = 0;    // capacity × slot size
    const std::atomic<bool> *m_interrupt = nullptr;
};

// The naive baseline: the same channel done the obvious way, a slot array guarded by one
// process-shared mutex with "not empty" / "not full" condition variables. Every send and
// receive takes the lock; every send signals, so a waiting receiver is woken through the kernel.
// Requires: init() once before use, destroy() after both parties are done.
// Memory ordering: the mutex orders everything (acquire on lock, release on unlock).
struct LockedShmQueue {
    pthread_mutex_t mutex;
    pthread_cond_t notEmpty;
    pthread_cond_t notFull;
    std::uint64_t head = 0, tail = 0;
    std::uint64_t slots = 0, slotSize = 0, slotsOffset = 0;

    static std::uint64_t bytesFor(std::uint64_t slots, std::uint64_t messageSize) noexcept
    {
        return (sizeof(LockedShmQueue) + CLAB_CACHE_LINE - 1) / CLAB_CACHE_LINE * CLAB_CACHE_LINE +
               slots * ShmRingHeader::slotSizeFor(messageSize);
    }
    // Returns 0 or an errno value.
    static int create(void *mem, std::uint64_t slots, std::uint64_t messageSize, LockedShmQueue **out) noexcept
    {
        auto *q = new (mem) LockedShmQueue{};
        q->slots = slots;
        q->slotSize = ShmRingHeader::slotSizeFor(messageSize);
        q->slotsOffset = (sizeof(LockedShmQueue) + CLAB_CACHE_LINE - 1) / CLAB_CACHE_LINE * CLAB_CACHE_LINE;
        pthread_mutexattr_t ma;
        pthread_mutexattr_init(&ma);
        pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
        int rc = pthread_mutex_init(&q->mutex, &ma);
        pthread_mutexattr_destroy(&ma);
        pthread_condattr_t ca;
        pthread_condattr_init(&ca);
        pthread_condattr_setpshared(&ca, PTHREAD_PROCESS_SHARED);
        pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
        if (rc == 0)
            rc = pthread_cond_init(&q->notEmpty, &ca);
        if (rc == 0)
            rc = pthread_cond_init(&q->notFull, &ca);
        pthread_condattr_destroy(&ca);
        *out = q;
        return rc;
    }
    void destroy() noexcept
    {
        pthread_cond_destroy(&notEmpty);
        pthread_cond_destroy(&notFull);
        pthread_mutex_destroy(&mutex);
    }
    std::byte *slot(std::uint64_t i) noexcept
    {
        return reinterpret_cast<std::byte *>(this) + slotsOffset + (i % slots) * slotSize;
    }
};

// Both ends of the baseline behind the ring's interface. Waits are bounded (50 ms) so that an
// `interrupt` flag set from outside is seen even though condition waits ignore signals.
class LockedShmEndpoint {
public:
    LockedShmEndpoint() = default;
    LockedShmEndpoint(LockedShmQueue *q, const std::atomic<bool> *interrupt) noexcept : m_q(q), m_interrupt(interrupt) {}

    ChannelStatus send(const std::byte *p, std::size_t n) noexcept
    {
        pthread_mutex_lock(&m_q->mutex);
        while (m_q->head - m_q->tail == m_q->slots) {
            if (!waitOn(m_q->notFull))
                return ChannelStatus::Interrupted;
        }
        std::memcpy(m_q->slot(m_q->head), p, n);
        ++m_q->head;
        pthread_cond_signal(&m_q->notEmpty);
        pthread_mutex_unlock(&m_q->mutex);
        return ChannelStatus::Ok;
    }
    ChannelStatus receive(std::byte *p, std::size_t n) noexcept
    {
        pthread_mutex_lock(&m_q->mutex);
        while (m_q->head == m_q->tail) {
            if (!waitOn(m_q->notEmpty))
                return ChannelStatus::Interrupted;
        }
        std::memcpy(p, m_q->slot(m_q->tail), n);
        ++m_q->tail;
        pthread_cond_signal(&m_q->notFull);
        pthread_mutex_unlock(&m_q->mutex);
        return ChannelStatus::Ok;
    }
    // Messages in the queue now; takes the queue's lock (head and tail are guarded by it).
    std::uint64_t queued() const noexcept
    {
        pthread_mutex_lock(&m_q->mutex);
        const std::uint64_t n = m_q->head - m_q->tail;
        pthread_mutex_unlock(&m_q->mutex);
        return n;
    }

private:
    // Called with the mutex held; returns false (mutex released) when interrupted.
    bool waitOn(pthread_cond_t &cv) noexcept
    {
        if (m_interrupt->load(std::memory_order_relaxed)) {
            pthread_mutex_unlock(&m_q->mutex);
            return false;
        }
        timespec ts{};
        clock_gettime(CLOCK_MONOTONIC, &ts);
        ts.tv_nsec += 50'000'000;
        if (ts.tv_nsec >= 1'000'000'000) {
            ts.tv_nsec -= 1'000'000'000;
            ++ts.tv_sec;
        }
        pthread_cond_timedwait(&cv, &m_q->mutex, &ts);
        return true;
    }

    LockedShmQueue *m_q = nullptr;
    const std::atomic<bool> *m_interrupt = nullptr;
};

} // namespace clab
