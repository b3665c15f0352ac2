// How numbers read in the app: short, with SI prefixes and units, the same in table, status bar and labels.
#pragma once

#include <QString>

#include <cstdint>

namespace clab::app {

// "987", "12.3 k", "4.56 M", "1.2 G" (three significant digits).
QString formatCount(double v);
// "12.3 k ops/s"
QString formatRate(double perSecond, const QString &unit = QStringLiteral("ops/s"));
// Fraction 0..1 as "42.0 %", "0.12 %", "< 0.01 %", "0 %".
QString formatPercent(double fraction);
// Nanoseconds as "850 ns", "1.25 µs", "3.4 ms", "2.50 s".
QString formatNs(double ns);
// Seconds with one decimal below a minute, "2 min 05 s" above.
QString formatSeconds(double seconds);
// Whole numbers with thin-space thousands separators: "1 234 567".
QString formatInteger(std::uint64_t v);
// "1 worker", "4 workers" (English plural without a translation catalogue).
QString countOf(std::uint64_t n, const QString &one, const QString &many);
QString workerCount(std::uint64_t n);

} // namespace clab::app
