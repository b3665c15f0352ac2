// A comparison chart: one value per sweep point, a line per series over the sweep's parameter.
#pragma once

#include "chart_panel.h"

#include <QList>
#include <QPointF>
#include <QString>

#include <memory>

namespace clab::charts {

// One line: its points (x in data units, y in the quantity's base unit), drawn with markers.
struct ScalingSeries {
    QString name;
    QList<QPointF> points;
    int colorIndex = 0;              // seriesColor(colorIndex)
    Qt::PenStyle dash = Qt::SolidLine;
};

// A labelled position on the x axis ("8 KiB" at 8192).
struct AxisTick {
    double x = 0;
    QString label;
};

// How the y values read: Plain picks a decimal prefix (k, M, G) for `unit`; Nanoseconds picks
// ns, µs, ms or s.
enum class ScalingUnit { Plain, Nanoseconds };

class ScalingChart : public ChartPanel {
    Q_OBJECT
public:
    explicit ScalingChart(QWidget *parent = nullptr);
    ~ScalingChart() override;

    void setTitle(const QString &title);
    QString title() const;
    // The x axis shows exactly `ticks`, labelled; `log` places them on a logarithmic scale (each
    // doubling the same width), else linearly. `joinPoints` draws lines between a series' points
    // (off for categories, whose order means nothing: markers only).
    void setXAxis(const QString &title, const QList<AxisTick> &ticks, bool log, bool joinPoints = true);
    // The y axis reads "<quantity> (<prefix><unit>)", from 0 to a little above the largest value;
    // values a factor of 8 and more apart are drawn on a logarithmic axis (", log scale").
    void setYAxis(const QString &quantity, const QString &unit, ScalingUnit kind = ScalingUnit::Plain);
    // Replaces every series: one replace() each.
    void setSeries(const QList<ScalingSeries> &series);

    int seriesCount() const;
    QString seriesName(int i) const;
    // The points of series i as handed to the chart (x in axis units, y scaled to the shown unit).
    QList<QPointF> seriesPoints(int i) const;
    QString xAxisTitle() const;
    QString yAxisTitle() const;
    QStringList xAxisLabels() const;

    bool hasData() const override;
    void clear() override;

protected:
    void changeEvent(QEvent *event) override;

private:
    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace clab::charts
