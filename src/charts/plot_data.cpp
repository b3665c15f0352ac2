// Chart data math without widgets (tested in tests/app/tst_plot_data.cpp).
#include "plot_data.h"

#include <algorithm>
#include <cmath>

namespace clab::charts {

double TimeAxis::secondsPerPixel() const noexcept
{
    return pixels > 0 ? (t1 - t0) / pixels : 0.0;
}

double TimeAxis::toPixel(double t) const noexcept
{
    const double span = t1 - t0;
    if (!(span > 0))
        return 0.0;
    return (t - t0) / span * pixels;
}

int TimeAxis::column(double t) const noexcept
{
    if (pixels <= 0)
        return 0;
    const double px = std::floor(toPixel(t));
    if (!(px > 0)) // also catches NaN
        return 0;
    if (px >= pixels - 1)
        return pixels - 1;
    return static_cast<int>(px);
}

double TimeAxis::toTime(double px) const noexcept
{
    if (pixels <= 0)
        return t0;
    return t0 + px / pixels * (t1 - t0);
}

void decimateMinMax(std::span<const MinMaxPoint> in, const TimeAxis &axis, QList<QPointF> &out)
{
    out.clear();
    if (axis.pixels <= 0 || !(axis.t1 > axis.t0))
        return;
    out.reserve(std::min<qsizetype>(static_cast<qsizetype>(in.size()) * 2, qsizetype(axis.pixels) * 2 + 2));

    int col = -1;
    int count = 0;
    double lo = 0, hi = 0, first = 0, last = 0, t = 0;
    const auto flush = [&] {
        if (count == 0)
            return;
        const double x = count == 1 ? t : axis.toTime(col + 0.5);
        if (lo == hi) {
            out.append(QPointF(x, lo));
        } else if (last >= first) { // rising through the column: low first
            out.append(QPointF(x, lo));
            out.append(QPointF(x, hi));
        } else {
            out.append(QPointF(x, hi));
            out.append(QPointF(x, lo));
        }
    };
    for (const MinMaxPoint &p : in) {
        if (!axis.contains(p.t))
            continue;
        const int c = axis.column(p.t);
        if (c != col) {
            flush();
            col = c;
            count = 0;
        }
        if (count == 0) {
            lo = p.lo;
            hi = p.hi;
            first = p.first;
            t = p.t;
        } else {
            lo = std::min(lo, p.lo);
            hi = std::max(hi, p.hi);
        }
        last = p.last;
        ++count;
    }
    flush();
}

double niceCeiling(double v) noexcept
{
    if (!(v > 0) || !std::isfinite(v))
        return 1.0;
    const double exponent = std::floor(std::log10(v));
    const double base = std::pow(10.0, exponent);
    for (const double m : {1.0, 2.0, 2.5, 5.0, 10.0}) {
        // A relative tolerance keeps 3.0000000001 (a float artefact of 3) from jumping to 5.
        if (v <= m * base * (1 + 1e-12))
            return m * base;
    }
    return 10.0 * base;
}

UnitPrefix unitPrefixFor(double maxValue)
{
    const double v = std::abs(maxValue);
    if (v >= 1e9)
        return {1e9, QStringLiteral("G")};
    if (v >= 1e6)
        return {1e6, QStringLiteral("M")};
    if (v >= 1e4) // below 10 000 plain numbers read fine
        return {1e3, QStringLiteral("k")};
    return {1, QString()};
}

TimeUnit timeUnitFor(double ns)
{
    const double v = std::abs(ns);
    if (v >= 1e9)
        return {1e9, QStringLiteral("s")};
    if (v >= 1e6)
        return {1e6, QStringLiteral("ms")};
    if (v >= 1e3)
        return {1e3, QStringLiteral("µs")};
    return {1, QStringLiteral("ns")};
}

} // namespace clab::charts
