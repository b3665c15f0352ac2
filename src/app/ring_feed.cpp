// Draining the stats ring into the live store (shared by the run controller and bench_gui_frame).
#include "ring_feed.h"

#include <atomic>

namespace clab::app {

RingFeed::RingFeed(StatsRing ring)
    : m_ring(std::make_unique<StatsRing>(std::move(ring)))
    , m_reader(std::make_unique<StatsRingReader>(*m_ring, kAppConsumer))
{
}

RingFeed::~RingFeed()
{
    m_reader.reset(); // before the mapping goes
    m_ring.reset();
}

std::size_t RingFeed::pump(LiveRunStore &store)
{
    const std::size_t n = m_reader->drain([&store](std::uint32_t lane, const clab_sample &s) { store.ingest(lane, s); });
    const std::uint32_t lanes = m_ring->laneCount();
    for (std::uint32_t i = 0; i < lanes; ++i)
        store.updateLane(i, m_reader->histogram(i), m_reader->drops(i), m_reader->cpuMask(i), m_reader->workerState(i));
    store.settle();
    return n;
}

int RingFeed::runnerPid() const noexcept
{
    return std::atomic_ref<std::int32_t>(m_ring->header()->runner_pid).load(std::memory_order_relaxed);
}

std::uint64_t RingFeed::startMonotonicNs() const noexcept
{
    return std::atomic_ref<std::uint64_t>(m_ring->header()->start_monotonic_ns).load(std::memory_order_relaxed);
}

std::uint64_t RingFeed::drops() const noexcept
{
    std::uint64_t d = 0;
    for (std::uint32_t i = 0; i < m_ring->laneCount(); ++i)
        d += m_reader->drops(i);
    return d;
}

} // namespace clab::app
