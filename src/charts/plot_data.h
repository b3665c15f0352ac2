// Chart data math without widgets: time→pixel mapping, min/max decimation, axis ranges, unit prefixes.
#pragma once

#include <QList>
#include <QPointF>
#include <QString>

#include <cstddef>
#include <span>

namespace clab::charts {

// The range of values one series took in a time slot starting at t (lo == hi for a single value).
struct MinMaxPoint {
    double t = 0;
    double lo = 0;
    double hi = 0;
    // Value seen first and last in the slot, so a decimated line keeps its direction.
    double first = 0;
    double last = 0;
};

// Maps the time range [t0, t1] onto `pixels` pixel columns (column c covers [t0 + c·w, t0 + (c+1)·w)).
struct TimeAxis {
    double t0 = 0;
    double t1 = 1;
    int pixels = 1;
    // For accumulating per-column data over part of the axis only: element k of the output
    // holds column firstColumn + k (the mapping of time to columns is the whole axis's).
    int firstColumn = 0;

    double secondsPerPixel() const noexcept;
    // Fractional pixel position of t (0 at t0, `pixels` at t1); not clamped.
    double toPixel(double t) const noexcept;
    // The column holding t, clamped to 0 .. pixels-1.
    int column(double t) const noexcept;
    // The time at fractional pixel position px.
    double toTime(double px) const noexcept;
    bool contains(double t) const noexcept { return t >= t0 && t <= t1; }
};

// Reduces time-sorted points to at most two per pixel column (the column's minimum and maximum, in
// the order they were reached) so a line drawn through them shows every peak at any zoom.
// A column holding a single plain value keeps that value at its own time. Points outside
// [axis.t0, axis.t1] are skipped. `out` is cleared, then filled; its capacity is reused.
void decimateMinMax(std::span<const MinMaxPoint> in, const TimeAxis &axis, QList<QPointF> &out);

// The smallest "nice" number (1, 2, 2.5, 5 × 10^k) that is >= v; 1 for v <= 0.
double niceCeiling(double v) noexcept;

// A decimal prefix that keeps the axis labels short: divisor 1, 1e3, 1e6, 1e9 and "", "k", "M", "G".
struct UnitPrefix {
    double divisor = 1;
    QString prefix;
};
UnitPrefix unitPrefixFor(double maxValue);

// Time prefix for a value in nanoseconds: ns, µs, ms, s.
struct TimeUnit {
    double nsPerUnit = 1;
    QString name;
};
TimeUnit timeUnitFor(double ns);

} // namespace clab::charts
