// A latency histogram on a logarithmic time axis with percentile markers (p50, p90, p99, p99.9, max).
#pragma once

#include "chart_panel.h"

#include <QList>

#include <memory>
#include <span>

namespace clab::charts {

// One bucket: values in [lo, hi) nanoseconds, holding `fraction` (0..1) of all observations.
struct HistogramBin {
    double lo = 0;
    double hi = 0;
    double fraction = 0;
};

// A value marked on the axis with its label, e.g. {"p99", 12'400} (nanoseconds).
struct ValueMarker {
    QString label;
    double value = 0;
};

class HistogramChart : public ChartPanel {
    Q_OBJECT
public:
    explicit HistogramChart(QWidget *parent = nullptr);
    ~HistogramChart() override;

    void setQuantity(const QString &quantity);
    // Replaces the histogram (bins in ascending order) and the markers; one replace() per series.
    void setHistogram(std::span<const HistogramBin> bins, const QList<ValueMarker> &markers);
    qsizetype binCount() const;
    QStringList markerLabels() const; // as shown in the legend, e.g. "p50 = 1.2 µs"

    bool hasData() const override;
    void clear() override;

protected:
    void changeEvent(QEvent *event) override;

private:
    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace clab::charts
