// Microbenchmarks of the stats ring: publishing a sample, recording a latency, draining many lanes.
//
//   BM_Publish/no_consumer        nobody reads: the ring never fills (the cheapest path)
//   BM_Publish/concurrent_reader  a reader thread on another core drains the lane all the time
//   BM_Publish/full_ring          a consumer that never drains: every publish is a counted drop
//   (ns/publish is the figure to quote; items_per_second is its inverse)
//   BM_RecordLatency              one histogram update on the worker's lane
//   BM_DrainLanes/<lanes>         one reader draining <lanes> full lanes; items/s = samples/s
#include "run_supervisor.h"
#include "stats_ring.h"

#include <benchmark/benchmark.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <thread>
#include <vector>

using namespace clab;

namespace {

// What the runner gives a 1 kHz worker with a 40 ms drain period.
const std::uint32_t kCapacity = recommendedLaneCapacity(1'000'000, 40'000'000);

clab_sample typicalSample(std::uint64_t i)
{
    clab_sample s{};
    s.t_ns = i * 1'000'000;
    s.ops = i * 1000;
    s.bytes = i * 64'000;
    s.wait_ns = i * 250'000;
    s.hold_ns = i * 100'000;
    s.contended = i * 10;
    s.state = CLAB_WORKER_RUNNING;
    return s;
}

enum class PublishMode { NoConsumer, ConcurrentReader, FullRing };

// Publishes in bursts of kBurst and times only the bursts. With a concurrent reader the producer
// then waits (untimed) until the next burst fits: a producer publishing flat out makes ~100 M
// samples/s, more than a reader pulling 128-byte samples across cores can follow, so an unpaced
// loop would mostly measure the drop path. Paced like this, every publish is accepted and lands
// in a slot the reader (spinning on the other core) has just read: the worst case for cache
// traffic, since the real reader looks only 30 times a second.
constexpr std::uint32_t kBurst = 64;

void BM_Publish(benchmark::State &state, PublishMode mode)
{
    StatsRing ring = StatsRing::createAnonymous(1, kCapacity);
    std::optional<StatsRingReader> idleConsumer;
    if (mode == PublishMode::FullRing)
        idleConsumer.emplace(ring, 0);

    std::atomic<bool> ready{false}, stop{false};
    std::atomic<std::uint64_t> drained{0};
    std::thread reader;
    if (mode == PublishMode::ConcurrentReader) {
        reader = std::thread([&] {
            StatsRingReader r(ring, 0); // joins before the first publish
            ready.store(true, std::memory_order_release);
            std::uint64_t sum = 0;
            while (!stop.load(std::memory_order_relaxed)) {
                const std::size_t n = r.drain([&](std::uint32_t, const clab_sample &s) { sum += s.ops; });
                if (n != 0)
                    drained.fetch_add(n, std::memory_order_release);
            }
            benchmark::DoNotOptimize(sum);
        });
        while (!ready.load(std::memory_order_acquire))
            std::this_thread::yield();
    }

    StatsLaneWriter w = ring.writer(0);
    clab_sample s = typicalSample(1);
    std::uint64_t i = 0, accepted = 0;
    for (auto _ : state) {
        const auto t0 = std::chrono::steady_clock::now();
        for (std::uint32_t k = 0; k < kBurst; ++k) {
            s.ops = ++i;
            accepted += w.publish(s) ? 1u : 0u;
        }
        const auto t1 = std::chrono::steady_clock::now();
        state.SetIterationTime(std::chrono::duration<double>(t1 - t0).count());
        if (mode == PublishMode::ConcurrentReader) {
            // Untimed: wait until the next burst fits, so that no publish is a drop.
            for (int spins = 0; accepted - drained.load(std::memory_order_acquire) > kCapacity - kBurst; ++spins) {
                if (spins > 1000)
                    std::this_thread::yield();
            }
        }
    }
    stop.store(true, std::memory_order_relaxed);
    if (reader.joinable())
        reader.join();

    const auto drops = static_cast<double>(w.producer()->drops);
    state.SetItemsProcessed(static_cast<std::int64_t>(i));
    state.counters["ns/publish"] = benchmark::Counter(static_cast<double>(i), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
    state.counters["drop%"] = i == 0 ? 0.0 : 100.0 * drops / static_cast<double>(i);
}
BENCHMARK_CAPTURE(BM_Publish, no_consumer, PublishMode::NoConsumer)->UseManualTime();
// A fixed count: the untimed waits for the reader dominate the wall time on a busy machine.
BENCHMARK_CAPTURE(BM_Publish, concurrent_reader, PublishMode::ConcurrentReader)->UseManualTime()->Iterations(50000);
BENCHMARK_CAPTURE(BM_Publish, full_ring, PublishMode::FullRing)->UseManualTime();

void BM_RecordLatency(benchmark::State &state)
{
    StatsRing ring = StatsRing::createAnonymous(1, kCapacity);
    StatsLaneWriter w = ring.writer(0);
    // Latencies spread log-uniformly over 10 ns .. 10 ms, so the buckets touched vary.
    std::vector<std::uint64_t> values(4096);
    std::uint64_t x = 88172645463325252ULL;
    for (auto &v : values) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        const unsigned shift = 3 + static_cast<unsigned>(x % 21); // 2^3 .. 2^23
        v = (1ULL << shift) + (x >> 40) % (1ULL << shift);
    }
    std::size_t i = 0;
    for (auto _ : state) {
        w.recordLatency(values[i++ & 4095]);
    }
    state.SetItemsProcessed(state.iterations());
    StatsRingReader r(ring, 0);
    benchmark::DoNotOptimize(r.histogram(0).total());
}
BENCHMARK(BM_RecordLatency);

void BM_DrainLanes(benchmark::State &state)
{
    const auto lanes = static_cast<std::uint32_t>(state.range(0));
    StatsRing ring = StatsRing::createAnonymous(lanes, kCapacity);
    StatsRingReader reader(ring, 0);
    std::vector<StatsLaneWriter> writers;
    for (std::uint32_t l = 0; l < lanes; ++l)
        writers.push_back(ring.writer(l));
    std::uint64_t seq = 0, total = 0, sum = 0;
    for (auto _ : state) {
        // Fill every lane (not timed), then time one drain of all of them.
        for (auto &w : writers)
            for (std::uint32_t k = 0; k < kCapacity; ++k)
                w.publish(typicalSample(++seq));
        const auto t0 = std::chrono::steady_clock::now();
        const std::size_t n = reader.drain([&](std::uint32_t lane, const clab_sample &s) { sum += s.ops + s.t_ns + lane; });
        const auto t1 = std::chrono::steady_clock::now();
        state.SetIterationTime(std::chrono::duration<double>(t1 - t0).count());
        total += n;
        if (n != static_cast<std::size_t>(lanes) * kCapacity)
            state.SkipWithError("a lane was not full");
    }
    benchmark::DoNotOptimize(sum);
    state.SetItemsProcessed(static_cast<std::int64_t>(total));
    state.counters["samples/drain"] = static_cast<double>(lanes) * kCapacity;
}
BENCHMARK(BM_DrainLanes)->Arg(1)->Arg(8)->Arg(64)->UseManualTime();

} // namespace

BENCHMARK_MAIN();
