// Fixed-capacity time series for live charts: when full, slots double in width and merge pairwise,
// so a run of any length keeps its whole history in bounded memory at falling resolution.
#pragma once

#include "plot_data.h"
#include "timeline_view.h"

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace clab::app {

// Values over time, kept as min/max slots of width binWidth() (seconds). Requires values added
// in non-decreasing time order (a value earlier than the last slot is merged into it).
// Guarantees: size() <= capacity() at all times; memory is reserved once.
class BinnedSeries {
public:
    explicit BinnedSeries(std::size_t capacity = 2048, double binWidth = 0.01);

    // Forgets all values; slots restart at `binWidth` seconds.
    void reset(double binWidth);
    void setCapacity(std::size_t capacity);
    void add(double t, double value);

    std::span<const charts::MinMaxPoint> points() const { return m_points; }
    double binWidth() const { return m_width; }
    std::size_t size() const { return m_points.size(); }
    std::size_t capacity() const { return m_capacity; }
    bool empty() const { return m_points.empty(); }
    double lastValue() const { return m_points.empty() ? 0.0 : m_points.back().last; }
    double lastTime() const { return m_lastT; }
    std::size_t memoryBytes() const { return m_points.capacity() * sizeof(charts::MinMaxPoint); }

private:
    std::int64_t slotOf(double t) const;
    void compact();

    std::vector<charts::MinMaxPoint> m_points;
    std::size_t m_capacity;
    double m_width;
    double m_lastT = 0;
};

// A worker's states over time as counts per slot (same doubling scheme as BinnedSeries).
class StateTrack {
public:
    explicit StateTrack(std::size_t capacity = 2048, double binWidth = 0.01);

    void reset(double binWidth);
    void setCapacity(std::size_t capacity);
    // The worker was mostly in `state` from t0 to t1 (one sample's interval). Intervals come in
    // time order and follow each other.
    void add(double t0, double t1, int state);
    // Adds each slot's counts to every pixel column it covers: a slot lasts until the next one
    // starts (the last until the end of the last interval), so sparse samples still draw a
    // continuous row.
    void accumulate(const charts::TimeAxis &axis, std::span<charts::StateCounts> columns) const;

    std::size_t size() const { return m_slots.size(); }
    std::size_t capacity() const { return m_capacity; }
    double binWidth() const { return m_width; }
    // What a view that draws incrementally needs: adding samples changes nothing before the
    // start of the newest slot; anything else that rewrites the past (a reset, or merging slots
    // to stay within capacity) changes the generation.
    double unsettledFrom() const { return m_slots.empty() ? 0.0 : m_slots.back().t; }
    std::uint64_t generation() const { return m_generation; }
    std::size_t memoryBytes() const { return m_slots.capacity() * sizeof(Slot); }

private:
    struct Slot {
        double t = 0;
        charts::StateCounts counts;
    };
    std::int64_t slotOf(double t) const;
    void compact();

    std::vector<Slot> m_slots;
    std::size_t m_capacity;
    double m_width;
    double m_end = 0;
    std::uint64_t m_generation = 0;
};

} // namespace clab::app
