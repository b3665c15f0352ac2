// The app's end of the stats ring for a run of one or many sweep points: tells which point each
// sample belongs to and hands the samples of the point on show to a LiveRunStore.
#pragma once

#include "live_store.h"
#include "stats_ring.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace clab::app {

// Which sweep point a sample belongs to. A sweep runs its points one after another on one ring,
// and a lane's samples arrive in order, but a drain can hold the end of one point and the start of
// the next. Within a point a lane's sample times only grow and its last measured sample is flagged
// final, so a lane has moved on to a later point when its time goes backwards (each point has its
// own start gate) or a sample follows the final one. The next point of a lane is the next one with
// a worker in that lane; the ring header's point index, read after the samples were taken, bounds
// it. Pure: no ring, no clock (tested with rows of samples).
class SweepPointTracker {
public:
    // Workers of each point, in the order the points run (one entry for a single run).
    void reset(std::vector<std::uint32_t> workersPerPoint);
    // The point of the next sample of `lane`; `headerPoint` is the newest point the runner has
    // announced. Call for every sample of a lane in order.
    std::uint32_t classify(std::uint32_t lane, const clab_sample &s, std::uint32_t headerPoint);
    std::uint32_t pointCount() const { return static_cast<std::uint32_t>(m_workers.size()); }

private:
    struct Lane {
        std::uint32_t point = 0;
        std::uint64_t lastT = 0;
        bool any = false;
        bool sawFinal = false;
    };
    std::uint32_t nextPointWith(std::uint32_t lane, std::uint32_t after) const;

    std::vector<std::uint32_t> m_workers;
    std::vector<Lane> m_lanes;
};

class SweepFeed {
public:
    // Takes over a mapped ring (as many lanes as the largest point has workers) and joins it as
    // the app's consumer. `workersPerPoint` as for SweepPointTracker.
    SweepFeed(StatsRing ring, std::vector<std::uint32_t> workersPerPoint);
    ~SweepFeed(); // leaves the consumer slot, then unmaps (it never unlinks: call unlink())
    SweepFeed(const SweepFeed &) = delete;
    SweepFeed &operator=(const SweepFeed &) = delete;

    // Drains every lane. Samples of the point on show go into `store`; when a later point starts
    // (its first sample, or the runner announcing it), startPoint(point) is called first, and the
    // caller resets the store for that point. Samples of a point already left behind are dropped
    // (the runner's result file holds that point's figures). Runs on the GUI thread; never blocks.
    // Returns the number of samples taken.
    std::size_t pump(LiveRunStore &store, const std::function<void(std::uint32_t point)> &startPoint);

    // The point whose samples go into the store now.
    std::uint32_t shownPoint() const { return m_shown; }
    // The point the runner announced last (ring header).
    std::uint32_t announcedPoint() const noexcept;
    const std::string &name() const { return m_ring->name(); }
    // Removes the segment's name; harmless when the runner already did.
    void unlink() noexcept { m_ring->unlink(); }
    clab_run_state runState() const noexcept { return m_ring->runState(); }
    int runnerPid() const noexcept;
    std::uint64_t startMonotonicNs() const noexcept;
    std::uint64_t drops() const noexcept; // over the lanes of the point on show

private:
    std::unique_ptr<StatsRing> m_ring; // heap: the reader keeps a reference to it
    std::unique_ptr<StatsRingReader> m_reader;
    SweepPointTracker m_tracker;
    std::vector<std::uint32_t> m_workers;
    std::uint32_t m_shown = 0;
    struct Taken {
        std::uint32_t lane;
        std::uint32_t point;
        clab_sample sample;
    };
    std::vector<Taken> m_batch; // reused between frames
};

} // namespace clab::app
