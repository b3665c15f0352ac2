// Doubling-slot series (tested in tests/app/tst_live_store.cpp for their bounds).
#include "bounded_series.h"

#include <algorithm>
#include <cmath>

namespace clab::app {

namespace {
constexpr std::size_t kMinCapacity = 16;

std::int64_t slotIndex(double t, double width)
{
    return static_cast<std::int64_t>(std::floor(std::max(t, 0.0) / width));
}
} // namespace

BinnedSeries::BinnedSeries(std::size_t capacity, double binWidth)
    : m_capacity(std::max(capacity, kMinCapacity))
    , m_width(binWidth > 0 ? binWidth : 0.01)
{
    m_points.reserve(m_capacity + 1);
}

void BinnedSeries::reset(double binWidth)
{
    m_points.clear();
    m_width = binWidth > 0 ? binWidth : 0.01;
    m_lastT = 0;
}

void BinnedSeries::setCapacity(std::size_t capacity)
{
    m_capacity = std::max(capacity, kMinCapacity);
    m_points.clear();
    m_points.shrink_to_fit();
    m_points.reserve(m_capacity + 1);
    m_lastT = 0;
}

std::int64_t BinnedSeries::slotOf(double t) const
{
    return slotIndex(t, m_width);
}

void BinnedSeries::add(double t, double value)
{
    if (!std::isfinite(t) || !std::isfinite(value))
        return;
    m_lastT = std::max(m_lastT, t);
    if (!m_points.empty() && slotOf(t) <= slotOf(m_points.back().t)) {
        charts::MinMaxPoint &p = m_points.back();
        p.lo = std::min(p.lo, value);
        p.hi = std::max(p.hi, value);
        p.last = value;
        return;
    }
    m_points.push_back({t, value, value, value, value});
    while (m_points.size() > m_capacity)
        compact();
}

void BinnedSeries::compact()
{
    m_width *= 2;
    std::size_t w = 0;
    for (std::size_t r = 0; r < m_points.size(); ++r) {
        const charts::MinMaxPoint &p = m_points[r];
        if (w > 0 && slotOf(m_points[w - 1].t) == slotOf(p.t)) {
            charts::MinMaxPoint &q = m_points[w - 1];
            q.lo = std::min(q.lo, p.lo);
            q.hi = std::max(q.hi, p.hi);
            q.last = p.last;
        } else {
            m_points[w++] = p;
        }
    }
    m_points.resize(w);
}

StateTrack::StateTrack(std::size_t capacity, double binWidth)
    : m_capacity(std::max(capacity, kMinCapacity))
    , m_width(binWidth > 0 ? binWidth : 0.01)
{
    m_slots.reserve(m_capacity + 1);
}

void StateTrack::reset(double binWidth)
{
    m_slots.clear();
    m_end = 0;
    m_width = binWidth > 0 ? binWidth : 0.01;
    ++m_generation;
}

void StateTrack::setCapacity(std::size_t capacity)
{
    m_capacity = std::max(capacity, kMinCapacity);
    m_slots.clear();
    m_slots.shrink_to_fit();
    m_slots.reserve(m_capacity + 1);
    ++m_generation;
}

std::int64_t StateTrack::slotOf(double t) const
{
    return slotIndex(t, m_width);
}

void StateTrack::add(double t, double end, int state)
{
    if (state < 0 || state >= charts::kMaxTimelineStates || !std::isfinite(t) || !std::isfinite(end))
        return;
    m_end = std::max({m_end, end, t});
    if (m_slots.empty() || slotOf(t) > slotOf(m_slots.back().t)) {
        m_slots.push_back({t, {}});
        while (m_slots.size() > m_capacity)
            compact();
    }
    ++m_slots.back().counts.n[static_cast<std::size_t>(state)];
}

void StateTrack::compact()
{
    ++m_generation;
    m_width *= 2;
    std::size_t w = 0;
    for (std::size_t r = 0; r < m_slots.size(); ++r) {
        if (w > 0 && slotOf(m_slots[w - 1].t) == slotOf(m_slots[r].t))
            m_slots[w - 1].counts += m_slots[r].counts;
        else
            m_slots[w++] = m_slots[r];
    }
    m_slots.resize(w);
}

void StateTrack::accumulate(const charts::TimeAxis &axis, std::span<charts::StateCounts> columns) const
{
    if (columns.empty() || m_slots.empty() || axis.pixels <= 0)
        return;
    // The window of columns asked for: [first, last] of the whole axis, columns[0] is `first`.
    const int first = std::clamp(axis.firstColumn, 0, axis.pixels - 1);
    const int last = static_cast<int>(std::min<std::int64_t>(first + static_cast<std::int64_t>(columns.size()) - 1,
                                                             axis.pixels - 1));
    const int lastColumn = axis.pixels - 1;
    // The first slot that may reach into the window: one before the first starting a column
    // ahead of it (a column of margin keeps rounding at the window's edge from missing one).
    const double from = first > 0 ? axis.toTime(first - 1) : axis.t0;
    auto it = std::lower_bound(m_slots.begin(), m_slots.end(), from, [](const Slot &s, double t) { return s.t < t; });
    if (it != m_slots.begin())
        --it;
    for (; it != m_slots.end() && it->t <= axis.t1; ++it) {
        const auto next = std::next(it);
        const double end = next != m_slots.end() ? next->t : m_end;
        if (end < axis.t0)
            continue;
        const int c0 = std::min(axis.column(std::max(it->t, axis.t0)), lastColumn);
        if (c0 > last)
            break; // slots come in time order: the rest lie beyond the window
        // The slot ends where the next begins: that column belongs to the next slot.
        const double px = axis.toPixel(std::min(end, axis.t1));
        int c1 = std::min(static_cast<int>(std::ceil(px)) - 1, lastColumn);
        c1 = std::max(c0, c1);
        for (int c = std::max(c0, first); c <= std::min(c1, last); ++c)
            columns[static_cast<std::size_t>(c - first)] += it->counts;
    }
}

} // namespace clab::app
