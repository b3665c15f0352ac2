// A live line chart over time: one replace() per series per frame from min/max-decimated data.
#pragma once

#include "chart_panel.h"
#include "plot_data.h"

#include <QColor>
#include <QList>

#include <memory>
#include <span>

namespace clab::charts {

struct SeriesStyle {
    QString name;
    QColor color; // invalid: taken from the chart's palette by index
    Qt::PenStyle dash = Qt::SolidLine;
    qreal width = 1.5;
};

// Plain: values as given, the axis picks a decimal prefix (k, M, G) from the data.
// Percent: values are fractions 0..1, drawn as 0..100 %. Duration: values are nanoseconds, drawn in
// the unit that suits the largest (ns, µs, ms, s), which the axis title names, on a logarithmic
// axis of whole decades: a median of 10 µs stays readable beside a start-up p99 of 10 ms.
enum class ValueScale { Plain, Percent, Duration };

class TimeSeriesChart : public ChartPanel {
    Q_OBJECT
public:
    explicit TimeSeriesChart(QWidget *parent = nullptr);
    ~TimeSeriesChart() override;

    // The y axis reads "<quantity> (<prefix><unit>)", e.g. "Throughput (M ops/s)".
    void setQuantity(const QString &quantity, const QString &unit);
    void setValueScale(ValueScale scale);
    // Replaces all series (and clears their data).
    void setSeries(const QList<SeriesStyle> &series);
    int seriesCount() const;
    QString seriesName(int i) const;
    // Renames a series without touching its data (e.g. which worker is "slowest" changed).
    void setSeriesName(int i, const QString &name);
    // The visible time range, in seconds from the start of the run.
    void setTimeRange(double t0, double t1);
    // A shaded band with a label, e.g. the warm-up phase; t1 <= t0 hides it.
    void setBand(double t0, double t1, const QString &label);

    // Decimates the data of series i into the series' preallocated buffer: one min/max pair per
    // pixel column, or per few columns when the chart has so many series that more than
    // kPointBudget points would be handed over per frame (see plotColumns()).
    void setSeriesData(int i, std::span<const MinMaxPoint> points);
    // Hands every buffer to the chart (one replace() per series) and fixes the y range for the
    // frame: it only grows during a run, so lines do not jump; clear() resets it.
    void commit();

    // Points handed to the chart for series i at the last commit.
    qsizetype pointCount(int i) const;
    int plotWidthPixels() const;
    // Columns the data is decimated to: the plot's width, fewer when the series together would
    // exceed the point budget. Replacing and drawing a point costs about 1 µs on the machines
    // measured, so the budget bounds a frame whatever the number of series.
    int plotColumns() const;
    static constexpr int kPointBudget = 8000;
    // Width of series i's line as drawn now (on screen: 1 px; in an export: the style's width).
    qreal penWidth(int i) const;
    void setExportQuality(bool on) override;
    double yAxisMax() const;
    double yAxisMin() const;
    bool logarithmicY() const;
    QString yAxisTitle() const;

    bool hasData() const override;
    void clear() override;

protected:
    void changeEvent(QEvent *event) override;
    QWidget *exportWidget() override;

private:
    struct Private;
    std::unique_ptr<Private> d;
};

// Colours that stay apart for up to 16 series and read on light and dark backgrounds.
QColor seriesColor(int index);

} // namespace clab::charts
