// The app's end of a stats ring: owns the mapping and consumer slot 1, and pumps samples into a LiveRunStore.
#pragma once

#include "live_store.h"
#include "stats_ring.h"

#include <cstdint>
#include <memory>
#include <string>

namespace clab::app {

// Consumer slot the app reads (slot 0 is the runner's).
inline constexpr std::uint32_t kAppConsumer = 1;

class RingFeed {
public:
    // Takes over a mapped ring and joins it as consumer kAppConsumer.
    explicit RingFeed(StatsRing ring);
    ~RingFeed(); // leaves the consumer slot, then unmaps (it never unlinks: call unlink())
    RingFeed(const RingFeed &) = delete;
    RingFeed &operator=(const RingFeed &) = delete;

    // Drains every lane into `store`, refreshes per-lane figures and closes settled total slots.
    // Returns the number of samples taken. Runs on the GUI thread; never blocks.
    std::size_t pump(LiveRunStore &store);

    const StatsRing &ring() const { return *m_ring; }
    const std::string &name() const { return m_ring->name(); }
    // Removes the segment's name; harmless when the runner already did.
    void unlink() noexcept { m_ring->unlink(); }
    clab_run_state runState() const noexcept { return m_ring->runState(); }
    int runnerPid() const noexcept;
    std::uint64_t startMonotonicNs() const noexcept;
    std::uint64_t drops() const noexcept; // over all lanes

private:
    std::unique_ptr<StatsRing> m_ring; // heap: the reader keeps a reference to it
    std::unique_ptr<StatsRingReader> m_reader;
};

} // namespace clab::app
