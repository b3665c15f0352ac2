// Qt Charts adapter for the scaling / comparison view (OpenGL off, no animations, one replace() per series).
#include "scaling_chart.h"

#include "chart_theme.h"
#include "plot_data.h"
#include "time_series_chart.h"

#include <QCategoryAxis>
#include <QChart>
#include <QChartView>
#include <QEvent>
#include <QLegendMarker>
#include <QLineSeries>
#include <QLogValueAxis>
#include <QScatterSeries>
#include <QValueAxis>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>
#include <vector>

namespace clab::charts {

struct ScalingChart::Private {
    QChart *chart = nullptr;
    QChartView *view = nullptr;
    QCategoryAxis *x = nullptr;
    QValueAxis *y = nullptr;
    QLogValueAxis *yLog = nullptr; // used instead of y when the values span a factor of 8 or more
    bool logY = false;
    QList<ScalingSeries> data;
    std::vector<QLineSeries *> lines;      // the lines (hidden when points are not joined)
    std::vector<QScatterSeries *> markers; // the points, so each value is visible on its own
    QList<AxisTick> ticks;
    bool log = false;
    bool join = true;
    QString quantity = QStringLiteral("Value");
    QString unit;
    QString shownUnit;
    ScalingUnit kind = ScalingUnit::Plain;
    bool hasData = false;

    double toAxis(double v) const { return log ? std::log2(std::max(v, 1e-300)) : v; }

    void applyTheme(const QPalette &pal)
    {
        applyChartTheme(chart, pal);
        for (std::size_t i = 0; i < lines.size(); ++i)
            applyStyle(i, pal);
    }
    void applyStyle(std::size_t i, const QPalette &pal)
    {
        const ScalingSeries &s = data[static_cast<qsizetype>(i)];
        const QColor c = seriesColor(s.colorIndex);
        QPen pen(c);
        pen.setWidthF(2.0);
        pen.setStyle(s.dash);
        lines[i]->setPen(pen);
        // Marker shapes differ too, so series stay apart in grey scale and for colour-blind eyes.
        static const QScatterSeries::MarkerShape shapes[] = {QScatterSeries::MarkerShapeCircle, QScatterSeries::MarkerShapeRectangle,
                                                             QScatterSeries::MarkerShapeTriangle, QScatterSeries::MarkerShapeRotatedRectangle,
                                                             QScatterSeries::MarkerShapeStar, QScatterSeries::MarkerShapePentagon};
        markers[i]->setMarkerShape(shapes[i % std::size(shapes)]);
        markers[i]->setMarkerSize(10);
        markers[i]->setColor(c);
        markers[i]->setBorderColor(pal.color(QPalette::Base));
    }
    void layoutX()
    {
        const auto labels = x->categoriesLabels();
        for (const QString &l : labels)
            x->remove(l);
        double lo = 0, hi = 1;
        if (!ticks.isEmpty()) {
            lo = toAxis(ticks.front().x);
            hi = lo;
            for (const AxisTick &t : std::as_const(ticks)) {
                const double a = toAxis(t.x);
                lo = std::min(lo, a);
                hi = std::max(hi, a);
                if (!x->categoriesLabels().contains(t.label))
                    x->append(t.label, a);
            }
        }
        // Half a step of room on both sides, so the first and last points are not on the frame.
        const double pad = ticks.size() > 1 ? (hi - lo) / (2.0 * static_cast<double>(ticks.size() - 1)) : 0.5;
        x->setStartValue(lo - pad);
        x->setRange(lo - pad, hi + pad);
    }
};

ScalingChart::ScalingChart(QWidget *parent)
    : ChartPanel(parent)
    , d(std::make_unique<Private>())
{
    d->chart = new QChart;
    d->chart->setAnimationOptions(QChart::NoAnimation);
    // Beside the plot: series names of a sweep are long ("shm-channel, across CPUs").
    d->chart->legend()->setAlignment(Qt::AlignRight);
    d->chart->legend()->setMarkerShape(QLegend::MarkerShapeFromSeries);
    d->chart->setMargins(QMargins(4, 4, 4, 4));
    d->x = new QCategoryAxis;
    d->x->setLabelsPosition(QCategoryAxis::AxisLabelsPositionOnValue);
    d->x->setGridLineVisible(true);
    d->y = new QValueAxis;
    d->y->setLabelFormat(QStringLiteral("%g"));
    d->y->setRange(0, 1);
    d->chart->addAxis(d->x, Qt::AlignBottom);
    d->chart->addAxis(d->y, Qt::AlignLeft);
    d->yLog = new QLogValueAxis;
    d->yLog->setBase(10);
    d->yLog->setLabelFormat(QStringLiteral("%g"));
    d->yLog->setMinorTickCount(8);
    d->yLog->setVisible(false);
    d->chart->addAxis(d->yLog, Qt::AlignLeft);
    d->view = new QChartView(d->chart, this);
    d->view->setObjectName(QStringLiteral("chartView"));
    d->view->setRenderHint(QPainter::Antialiasing, qEnvironmentVariableIsEmpty("CLAB_NO_AA"));
    d->view->setFrameShape(QFrame::NoFrame);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(d->view);
    d->applyTheme(palette());
    setYAxis(d->quantity, d->unit);
}

ScalingChart::~ScalingChart() = default;

void ScalingChart::setTitle(const QString &title)
{
    d->chart->setTitle(title);
}

QString ScalingChart::title() const
{
    return d->chart->title();
}

void ScalingChart::setXAxis(const QString &title, const QList<AxisTick> &ticks, bool log, bool joinPoints)
{
    d->x->setTitleText(title);
    d->ticks = ticks;
    d->log = log;
    d->join = joinPoints;
    d->layoutX();
}

void ScalingChart::setYAxis(const QString &quantity, const QString &unit, ScalingUnit kind)
{
    d->quantity = quantity;
    d->unit = unit;
    d->kind = kind;
    d->shownUnit = unit;
    d->y->setTitleText(yAxisTitle());
}

QString ScalingChart::yAxisTitle() const
{
    QString t = d->shownUnit.isEmpty() ? d->quantity : d->quantity + QStringLiteral(" (") + d->shownUnit + QLatin1Char(')');
    if (d->logY)
        t += tr(", log scale");
    return t;
}

QString ScalingChart::xAxisTitle() const
{
    return d->x->titleText();
}

QStringList ScalingChart::xAxisLabels() const
{
    return d->x->categoriesLabels();
}

void ScalingChart::setSeries(const QList<ScalingSeries> &series)
{
    // Series objects are rebuilt only when their number changes; data goes in with one replace().
    if (static_cast<std::size_t>(series.size()) != d->lines.size()) {
        for (QLineSeries *s : d->lines) {
            d->chart->removeSeries(s);
            delete s;
        }
        for (QScatterSeries *s : d->markers) {
            d->chart->removeSeries(s);
            delete s;
        }
        d->lines.clear();
        d->markers.clear();
        for (qsizetype i = 0; i < series.size(); ++i) {
            auto *line = new QLineSeries;
            auto *points = new QScatterSeries;
            d->chart->addSeries(line);
            d->chart->addSeries(points);
            for (QAbstractSeries *s : {static_cast<QAbstractSeries *>(line), static_cast<QAbstractSeries *>(points)}) {
                s->attachAxis(d->x);
                s->attachAxis(d->logY ? static_cast<QAbstractAxis *>(d->yLog) : d->y);
            }
            d->lines.push_back(line);
            d->markers.push_back(points);
        }
    }
    d->data = series;

    double maxValue = 0, minPositive = 0;
    for (const ScalingSeries &s : series) {
        for (const QPointF &p : s.points) {
            if (!std::isfinite(p.y()))
                continue;
            maxValue = std::max(maxValue, p.y());
            if (p.y() > 0)
                minPositive = minPositive > 0 ? std::min(minPositive, p.y()) : p.y();
        }
    }
    // Values a factor of 8 and more apart (a round trip on one CPU and across two) go on a
    // logarithmic scale, so the small ones are not flattened onto the axis.
    const bool logY = minPositive > 0 && maxValue / minPositive >= 8;
    double divisor = 1;
    if (d->kind == ScalingUnit::Nanoseconds) {
        const TimeUnit u = timeUnitFor(maxValue);
        divisor = u.nsPerUnit;
        d->shownUnit = u.name;
    } else {
        const UnitPrefix p = unitPrefixFor(maxValue);
        divisor = p.divisor;
        // "M ops/s", but "MB/s" as bytes are always written.
        const bool glue = d->unit.startsWith(QLatin1Char('B')) || p.prefix.isEmpty();
        d->shownUnit = d->unit.isEmpty() ? p.prefix : p.prefix + (glue ? QString() : QStringLiteral(" ")) + d->unit;
    }
    // About five ticks, the top a whole number of them a little above the largest value.
    const double shownMax = maxValue > 0 ? maxValue * 1.05 / divisor : 1;
    const double step = niceCeiling(shownMax / 5);
    const double top = std::ceil(shownMax / step) * step;
    // Fixed ticks while the range and the interval change: a new range with the old interval (or
    // the reverse) could ask for tens of thousands of ticks in between.
    d->y->setTickType(QValueAxis::TicksFixed);
    d->y->setRange(0, top);
    d->y->setTickAnchor(0);
    d->y->setTickInterval(step);
    d->y->setTickType(QValueAxis::TicksDynamic);
    if (logY) {
        d->yLog->setRange(std::pow(10.0, std::floor(std::log10(minPositive / divisor))),
                          std::pow(10.0, std::ceil(std::log10(maxValue / divisor))));
    }
    if (logY != d->logY) {
        QAbstractAxis *from = logY ? static_cast<QAbstractAxis *>(d->y) : d->yLog;
        QAbstractAxis *to = logY ? static_cast<QAbstractAxis *>(d->yLog) : d->y;
        for (std::size_t i = 0; i < d->lines.size(); ++i) {
            for (QAbstractSeries *s : {static_cast<QAbstractSeries *>(d->lines[i]), static_cast<QAbstractSeries *>(d->markers[i])}) {
                s->detachAxis(from);
                s->attachAxis(to);
            }
        }
        from->setVisible(false);
        to->setVisible(true);
        d->logY = logY;
    }
    d->y->setTitleText(yAxisTitle());
    d->yLog->setTitleText(yAxisTitle());

    bool any = false;
    for (std::size_t i = 0; i < d->lines.size(); ++i) {
        const ScalingSeries &s = series[static_cast<qsizetype>(i)];
        QList<QPointF> pts;
        pts.reserve(s.points.size());
        for (const QPointF &p : s.points) {
            if (std::isfinite(p.y()) && (!logY || p.y() > 0))
                pts.append(QPointF(d->toAxis(p.x()), p.y() / divisor));
        }
        std::sort(pts.begin(), pts.end(), [](const QPointF &a, const QPointF &b) { return a.x() < b.x(); });
        d->lines[i]->setName(s.name);
        d->markers[i]->setName(s.name);
        d->lines[i]->replace(d->join ? pts : QList<QPointF>());
        d->lines[i]->setVisible(d->join);
        d->markers[i]->replace(pts);
        any = any || !pts.isEmpty();
        // One legend entry per series: the line's when points are joined, else the marker's.
        for (QLegendMarker *m : d->chart->legend()->markers(d->lines[i]))
            m->setVisible(d->join);
        for (QLegendMarker *m : d->chart->legend()->markers(d->markers[i]))
            m->setVisible(!d->join);
    }
    d->applyTheme(palette());
    d->hasData = any;
    setPlaceholderVisible(!any);
}

int ScalingChart::seriesCount() const
{
    return static_cast<int>(d->lines.size());
}

QString ScalingChart::seriesName(int i) const
{
    return i >= 0 && i < seriesCount() ? d->lines[static_cast<std::size_t>(i)]->name() : QString();
}

QList<QPointF> ScalingChart::seriesPoints(int i) const
{
    return i >= 0 && i < seriesCount() ? d->markers[static_cast<std::size_t>(i)]->points() : QList<QPointF>();
}

bool ScalingChart::hasData() const
{
    return d->hasData;
}

void ScalingChart::clear()
{
    setSeries({});
    d->ticks.clear();
    d->layoutX();
    d->chart->setTitle(QString());
    d->hasData = false;
    setPlaceholderVisible(true);
}

void ScalingChart::changeEvent(QEvent *event)
{
    ChartPanel::changeEvent(event);
    if (event->type() == QEvent::PaletteChange)
        d->applyTheme(palette());
}

} // namespace clab::charts
