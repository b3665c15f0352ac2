// Following a sweep's points on one stats ring: which point a sample belongs to, and the drain.
#include "sweep_feed.h"

#include "ring_feed.h"

#include <algorithm>
#include <atomic>

namespace clab::app {

void SweepPointTracker::reset(std::vector<std::uint32_t> workersPerPoint)
{
    m_workers = std::move(workersPerPoint);
    if (m_workers.empty())
        m_workers.push_back(0);
    const std::uint32_t lanes = *std::max_element(m_workers.begin(), m_workers.end());
    m_lanes.assign(lanes, Lane{});
    for (std::uint32_t i = 0; i < lanes; ++i)
        m_lanes[i].point = nextPointWith(i, 0);
}

std::uint32_t SweepPointTracker::nextPointWith(std::uint32_t lane, std::uint32_t from) const
{
    for (std::uint32_t p = from; p < m_workers.size(); ++p) {
        if (m_workers[p] > lane)
            return p;
    }
    return static_cast<std::uint32_t>(m_workers.size() - 1);
}

std::uint32_t SweepPointTracker::classify(std::uint32_t lane, const clab_sample &s, std::uint32_t headerPoint)
{
    if (lane >= m_lanes.size())
        return headerPoint;
    Lane &l = m_lanes[lane];
    const std::uint32_t last = static_cast<std::uint32_t>(m_workers.size() - 1);
    const std::uint32_t bound = std::min(headerPoint, last);
    if (l.any && (l.sawFinal || s.t_ns < l.lastT) && l.point < bound)
        l.point = std::min(nextPointWith(lane, l.point + 1), bound);
    else if (!l.any && l.point > bound)
        l.point = bound; // cannot happen with a well-behaved runner; never ahead of the header
    l.any = true;
    l.lastT = s.t_ns;
    l.sawFinal = (s.flags & CLAB_SAMPLE_FINAL) != 0;
    return l.point;
}

SweepFeed::SweepFeed(StatsRing ring, std::vector<std::uint32_t> workersPerPoint)
    : m_ring(std::make_unique<StatsRing>(std::move(ring)))
    , m_reader(std::make_unique<StatsRingReader>(*m_ring, kAppConsumer))
    , m_workers(workersPerPoint)
{
    m_tracker.reset(std::move(workersPerPoint));
    m_batch.reserve(4096);
}

SweepFeed::~SweepFeed()
{
    m_reader.reset(); // before the mapping goes
    m_ring.reset();
}

std::uint32_t SweepFeed::announcedPoint() const noexcept
{
    return std::atomic_ref<std::uint32_t>(m_ring->header()->point_index).load(std::memory_order_acquire);
}

std::size_t SweepFeed::pump(LiveRunStore &store, const std::function<void(std::uint32_t point)> &startPoint)
{
    m_batch.clear();
    const std::size_t n = m_reader->drain([this](std::uint32_t lane, const clab_sample &s) { m_batch.push_back({lane, 0, s}); });
    // Read after the drain: every sample taken was published before the runner announced a point
    // later than this one, so no sample belongs to a point beyond it.
    const std::uint32_t last = static_cast<std::uint32_t>(m_workers.size() - 1);
    const std::uint32_t announced = std::min(announcedPoint(), last);
    std::uint32_t newest = m_shown;
    for (Taken &t : m_batch) {
        t.point = m_tracker.classify(t.lane, t.sample, announced);
        newest = std::max(newest, t.point);
    }
    newest = std::max(newest, announced);
    // Points in order: what is left of the point on show, then each later one (a point shorter
    // than a frame is passed through on the way to the newest, so every point is announced).
    for (std::uint32_t p = m_shown; p <= newest; ++p) {
        if (p > m_shown) {
            m_shown = p;
            startPoint(p);
        }
        for (const Taken &t : m_batch) {
            if (t.point == p)
                store.ingest(t.lane, t.sample);
        }
    }
    if (announced == m_shown) {
        // Lane figures are the current point's only while the runner is on it (it clears them
        // before the next point starts).
        const std::uint32_t lanes = std::min(m_workers[m_shown], m_ring->laneCount());
        for (std::uint32_t i = 0; i < lanes; ++i)
            store.updateLane(i, m_reader->histogram(i), m_reader->drops(i), m_reader->cpuMask(i), m_reader->workerState(i));
    }
    store.settle();
    return n;
}

int SweepFeed::runnerPid() const noexcept
{
    return std::atomic_ref<std::int32_t>(m_ring->header()->runner_pid).load(std::memory_order_relaxed);
}

std::uint64_t SweepFeed::startMonotonicNs() const noexcept
{
    return std::atomic_ref<std::uint64_t>(m_ring->header()->start_monotonic_ns).load(std::memory_order_relaxed);
}

std::uint64_t SweepFeed::drops() const noexcept
{
    // Lanes the point on show does not use still hold an earlier point's count.
    std::uint64_t d = 0;
    const std::uint32_t lanes = std::min(m_workers[m_shown], m_ring->laneCount());
    for (std::uint32_t i = 0; i < lanes; ++i)
        d += m_reader->drops(i);
    return d;
}

} // namespace clab::app
