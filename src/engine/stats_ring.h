// The stats ring: one POSIX shared-memory segment per run, a lock-free lane per worker.
#pragma once

#include "latency_histogram.h"
#include "stats_ring_layout.h"

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>

namespace clab {

static_assert(std::atomic<std::uint64_t>::is_always_lock_free, "ring counters must be lock-free in shared memory");
static_assert(std::atomic<std::uint32_t>::is_always_lock_free);
static_assert(std::atomic_ref<std::uint64_t>::required_alignment == alignof(std::uint64_t));

// Byte size of one lane for a given capacity (a multiple of the cache line).
std::size_t laneStride(std::uint32_t capacity) noexcept;
std::size_t segmentSize(std::uint32_t lanes, std::uint32_t capacity) noexcept;

// Publishes one worker's samples. Lives in the worker (thread or process) that owns the lane.
// Requires: exactly one StatsLaneWriter per lane at a time. Guarantees: publish() never blocks,
// never allocates, and never writes a cache line another worker writes.
// Memory ordering: publish() stores the sample, then head with release; a reader that
// acquire-loads head sees the sample complete.
class StatsLaneWriter {
public:
    StatsLaneWriter() = default;
    StatsLaneWriter(std::byte *lane, std::uint32_t capacity) noexcept;

    // Returns false (and counts a drop) when every active consumer is `capacity` samples behind.
    bool publish(const clab_sample &s) noexcept;
    // Adds `weight` observations of `ns` to the lane's cumulative histogram.
    void recordLatency(std::uint64_t ns, std::uint64_t weight = 1) noexcept
    {
        std::atomic_ref<std::uint64_t> c(m_hist[histogramBucket(ns)]);
        c.store(c.load(std::memory_order_relaxed) + weight, std::memory_order_relaxed);
    }
    void setState(clab_worker_state s) noexcept;
    void setIdentity(std::uint32_t index, int pid, int tid) noexcept;
    void noteCpu(int cpu) noexcept;
    void writeFinal(const clab_lane_final &f) noexcept;
    clab_lane_producer *producer() const noexcept { return m_prod; }

private:
    clab_lane_producer *m_prod = nullptr;
    clab_lane_consumer *m_cons = nullptr;
    clab_lane_final *m_final = nullptr;
    std::uint64_t *m_hist = nullptr;
    clab_sample *m_samples = nullptr;
    std::uint32_t m_mask = 0;
    std::uint64_t m_head = 0;        // private copy of head: the producer is its only writer
    std::uint64_t m_cachedFree = 0;  // slots known free without reading the consumers' lines
};

// A mapped segment. Move-only; unmaps on destruction (it never unlinks by itself: call unlink()).
class StatsRing {
public:
    // A fresh unguessable name: "/clab-<pid>-<128 random bits in hex>".
    static std::string uniqueName();
    // Creates the segment (O_EXCL, mode 0600) and initialises the header and lanes.
    // Throws std::system_error / std::invalid_argument naming what failed.
    static StatsRing create(const std::string &name, std::uint32_t lanes, std::uint32_t capacity);
    // Creates, maps and unlinks at once: nothing is left behind whatever happens later
    // (forked workers inherit the mapping).
    static StatsRing createAnonymous(std::uint32_t lanes, std::uint32_t capacity);
    // Maps an existing segment after checking magic, layout version and sizes.
    static StatsRing attach(const std::string &name);

    StatsRing() = default;
    StatsRing(StatsRing &&o) noexcept;
    StatsRing &operator=(StatsRing &&o) noexcept;
    StatsRing(const StatsRing &) = delete;
    StatsRing &operator=(const StatsRing &) = delete;
    ~StatsRing();

    // Removes the name (the mapping stays valid). Safe to call twice; returns false if already gone.
    bool unlink() noexcept;
    const std::string &name() const noexcept { return m_name; }
    bool isMapped() const noexcept { return m_base != nullptr; }

    clab_ring_header *header() const noexcept { return reinterpret_cast<clab_ring_header *>(m_base); }
    std::uint32_t laneCount() const noexcept { return header()->lane_count; }
    std::uint32_t capacity() const noexcept { return header()->lane_capacity; }
    std::byte *lane(std::uint32_t i) const noexcept;

    StatsLaneWriter writer(std::uint32_t lane) const noexcept;
    // Clears a lane's cumulative statistics (histogram, drops, CPU mask, final block, state)
    // before a new run reuses the ring; head and tails stay. Only while no worker publishes.
    void resetLaneStats(std::uint32_t lane) noexcept;
    void setRunState(clab_run_state s) noexcept;
    clab_run_state runState() const noexcept;

private:
    std::byte *m_base = nullptr;
    std::size_t m_size = 0;
    std::string m_name;
    bool m_linked = false;
};

// Drains every lane for one consumer slot. Not thread-safe: one thread per reader.
class StatsRingReader {
public:
    StatsRingReader(const StatsRing &ring, std::uint32_t consumer);
    ~StatsRingReader(); // marks the consumer inactive so producers stop waiting for it
    StatsRingReader(const StatsRingReader &) = delete;
    StatsRingReader &operator=(const StatsRingReader &) = delete;

    // Calls fn(lane, const clab_sample&) for every sample published since the last drain, lane by
    // lane, in order. Returns the number of samples delivered.
    template<class Fn>
    std::size_t drain(Fn &&fn)
    {
        std::size_t n = 0;
        for (std::uint32_t i = 0; i < m_lanes; ++i)
            n += drainLane(i, fn);
        return n;
    }
    template<class Fn>
    std::size_t drainLane(std::uint32_t i, Fn &&fn)
    {
        std::byte *lane = m_ring.lane(i);
        auto *prod = reinterpret_cast<clab_lane_producer *>(lane);
        auto *cons = reinterpret_cast<clab_lane_consumer *>(lane + CLAB_CACHE_LINE) + m_consumer;
        const clab_sample *samples = samplesOf(lane);
        const std::uint64_t head = std::atomic_ref<std::uint64_t>(prod->head).load(std::memory_order_acquire);
        std::uint64_t tail = std::atomic_ref<std::uint64_t>(cons->tail).load(std::memory_order_relaxed);
        std::size_t n = 0;
        for (; tail < head; ++tail, ++n)
            fn(i, samples[tail & m_mask]);
        std::atomic_ref<std::uint64_t>(cons->tail).store(tail, std::memory_order_release);
        return n;
    }

    // A racy count of samples waiting in lane i.
    std::uint64_t sizeGuess(std::uint32_t i) const noexcept;
    std::uint64_t drops(std::uint32_t i) const noexcept;
    clab_worker_state workerState(std::uint32_t i) const noexcept;
    std::uint64_t cpuMask(std::uint32_t i) const noexcept;
    // Copies lane i's cumulative histogram.
    LatencyHistogram histogram(std::uint32_t i) const noexcept;
    // The worker's final block, if it wrote one.
    bool final(std::uint32_t i, clab_lane_final &out) const noexcept;

private:
    const clab_sample *samplesOf(std::byte *lane) const noexcept;
    const StatsRing &m_ring;
    std::uint32_t m_consumer;
    std::uint32_t m_lanes;
    std::uint64_t m_mask;
};

} // namespace clab
