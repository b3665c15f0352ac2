// The figures of a sweep's points for the scaling view: the headline metric of each point, grouped
// into series (the variant and every sweep axis but the last) over the last sweep axis. Pure: no widgets.
#pragma once

#include "experiment_spec.h"
#include "result_file.h"

#include <QString>
#include <QStringList>

#include <cmath>
#include <limits>
#include <vector>

namespace clab::app {

// What a sweep of this family is compared by.
enum class SweepHeadline {
    Throughput, // operations per second, all workers together
    RoundTrip,  // message-passing ping-pong: round-trip time, p50 and p99
    Streaming,  // message-passing streaming: payload bytes per second
};

struct SweepPointFigures {
    int point = 0;   // index in the result (the order the points ran)
    QString label;   // the point's label, as in the result file
    int series = 0;  // index into SweepSummary::series
    double x = 0;    // the sweep value (bytes, workers …), or the category's index
    QString xText;   // the sweep value for people: "8 KiB", "pipe"
    QString status;  // finished, stopped, failed
    QString error;   // plain words when the point did not finish
    // metrics::totals of the point's workers over its wall time.
    double opsPerSecond = 0;
    double bytesPerSecond = 0;
    // Ping-pong: the family's roundTripP50 / roundTripP99 figures; otherwise the acquisition
    // latency of metrics::totals. NaN when nothing was timed.
    double p50Ns = std::numeric_limits<double>::quiet_NaN();
    double p99Ns = std::numeric_limits<double>::quiet_NaN();
    // model::sweepSpeedUps: ops/s over the first variant's at the same sweep values; NaN: none.
    double speedUp = std::numeric_limits<double>::quiet_NaN();
};

struct SweepSummary {
    SweepHeadline headline = SweepHeadline::Throughput;
    QString xParameter;      // JSON path of the x axis ("primitive.messageSize"); "" when variants only
    QString xTitle;          // "Message size"
    bool xNumeric = false;   // false: categories (xCategories, x = index)
    bool xLog = false;       // numeric values spanning a wide range (sizes, 1-2-4-8 workers)
    bool xBytes = false;     // the values are sizes
    QStringList xCategories; // every x value's text in axis order (numeric or not)
    std::vector<double> xValues; // the numeric x values in axis order (empty for categories)
    QStringList series;      // one name per series
    std::vector<int> seriesVariant; // the variant of each series (dash style), 0 without variants
    QString baseline;        // the first variant's label, the speed-up's reference ("" without variants)
    int pointsPlanned = 0;   // points the experiment gives
    std::vector<SweepPointFigures> points;
};

// One row per point of `points` (a stopped sweep has fewer than the experiment gives).
SweepSummary summarizeSweep(const ExperimentSpec &base, const std::vector<model::PointResult> &points);

// "Message size" for "primitive.messageSize", "Workers" for "workers"; the path itself otherwise.
QString sweepParameterTitle(const QString &path);

} // namespace clab::app
