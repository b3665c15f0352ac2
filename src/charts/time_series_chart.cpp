// Qt Charts adapter for live time series (OpenGL off: it crashes offscreen and loses lines in SVG).
#include "time_series_chart.h"

#include "chart_theme.h"

#include <QAreaSeries>
#include <QChart>
#include <QChartView>
#include <QEvent>
#include <QLegendMarker>
#include <QLineSeries>
#include <QLogValueAxis>
#include <QValueAxis>
#include <QVBoxLayout>

#include <algorithm>
#include <array>
#include <cmath>
#include <vector>

namespace clab::charts {

QColor seriesColor(int index)
{
    // Okabe–Ito for the first eight (colour-blind safe), then a darker/lighter second round.
    static const std::array<QColor, 16> colors{
        QColor(0x00, 0x72, 0xB2), QColor(0xD5, 0x5E, 0x00), QColor(0x00, 0x9E, 0x73), QColor(0xCC, 0x79, 0xA7),
        QColor(0xE6, 0x9F, 0x00), QColor(0x56, 0xB4, 0xE9), QColor(0x8C, 0x6B, 0xB1), QColor(0x9E, 0x9A, 0x20),
        QColor(0x1F, 0x4E, 0x99), QColor(0xA3, 0x3B, 0x20), QColor(0x2C, 0x7F, 0x5E), QColor(0xB0, 0x4A, 0x8C),
        QColor(0xB8, 0x86, 0x0B), QColor(0x3E, 0x8E, 0xC4), QColor(0x6A, 0x4C, 0x93), QColor(0x70, 0x70, 0x70)};
    return colors[static_cast<std::size_t>(index) % colors.size()];
}

struct TimeSeriesChart::Private {
    QChart *chart = nullptr;
    QChartView *view = nullptr;
    QValueAxis *x = nullptr;
    QValueAxis *y = nullptr;
    QLogValueAxis *ylog = nullptr; // the y axis of Duration charts (owned by the chart while shown)
    QList<SeriesStyle> styles;
    std::vector<QLineSeries *> series;
    std::vector<QList<QPointF>> buffers; // decimated, unscaled values (kept so until the next setSeriesData)
    QList<QPointF> scaled;               // a buffer in the axis's unit, handed to the chart
    std::vector<qsizetype> drawn;
    QAreaSeries *band = nullptr;
    QLineSeries *bandUpper = nullptr;
    double bandT0 = 0, bandT1 = 0;
    QString quantity = QStringLiteral("Value");
    QString unit;
    ValueScale scale = ValueScale::Plain;
    double t0 = 0, t1 = 1;
    double yMax = 0; // in data units, grow-only until clear()
    double yMin = 0; // Duration (log axis): the lowest positive value, shrink-only until clear()
    bool hasData = false;
    bool exportQuality = false;

    QAbstractAxis *yAxis() const { return scale == ValueScale::Duration ? static_cast<QAbstractAxis *>(ylog) : y; }
    // Puts the axis the scale needs on the chart's left and moves every series onto it.
    void useScale(ValueScale s)
    {
        const bool log = s == ValueScale::Duration;
        if (log && !ylog) {
            ylog = new QLogValueAxis;
            ylog->setBase(10);
            ylog->setLabelFormat(QStringLiteral("%g"));
            ylog->setMinorTickCount(-1);
        }
        QAbstractAxis *from = yAxis();
        scale = s;
        QAbstractAxis *to = yAxis();
        if (from == to)
            return;
        chart->addAxis(to, Qt::AlignLeft);
        for (QLineSeries *ls : series) {
            ls->detachAxis(from);
            ls->attachAxis(to);
        }
        if (band) {
            band->detachAxis(from);
            band->attachAxis(to);
        }
        chart->removeAxis(from); // kept (not deleted) for a later switch back
        from->setParent(nullptr);
    }
    ~Private()
    {
        // The axis not on show belongs to no one; the one on show is the chart's.
        for (QAbstractAxis *a : {static_cast<QAbstractAxis *>(y), static_cast<QAbstractAxis *>(ylog)}) {
            if (a && !a->parent())
                delete a;
        }
    }
    void applyTheme(const QPalette &pal)
    {
        applyChartTheme(chart, pal);
        for (std::size_t i = 0; i < series.size(); ++i)
            applyStyle(static_cast<int>(i));
        if (band) {
            QColor c = pal.color(QPalette::Text);
            c.setAlpha(28);
            band->setBrush(c);
            band->setPen(Qt::NoPen);
        }
    }
    void applyStyle(int i)
    {
        const SeriesStyle &s = styles[i];
        QPen pen(s.color.isValid() ? s.color : seriesColor(i));
        // On screen every line is one device pixel wide: the raster engine then takes its
        // cosmetic-stroker path, which drew a frame's lines about 2.5 times faster than 1.5 px
        // antialiased strokes (measured with 3 × 2400 points). Colour and dash tell series apart.
        pen.setWidthF(exportQuality ? s.width : std::min<qreal>(s.width, 1.0));
        pen.setCosmetic(!exportQuality);
        pen.setStyle(s.dash);
        pen.setCapStyle(Qt::FlatCap);
        series[static_cast<std::size_t>(i)]->setPen(pen);
    }
    void updateAxes()
    {
        const double span = t1 - t0;
        // About six to ten ticks whatever the run's length.
        const double step = niceCeiling(span / 8);
        x->setTickType(QValueAxis::TicksDynamic);
        x->setTickAnchor(0);
        // Never let the axis see a long range with a short interval, even for a moment: it would
        // lay out one tick per interval (a run of hours after one of milliseconds: millions).
        if (step >= x->tickInterval()) {
            x->setTickInterval(step);
            x->setRange(t0, t1);
        } else {
            x->setRange(t0, t1);
            x->setTickInterval(step);
        }
        x->setLabelFormat(step >= 1 ? QStringLiteral("%.0f") : step >= 0.1 ? QStringLiteral("%.1f") : QStringLiteral("%.2f"));
    }
    void updateBand()
    {
        if (!band)
            return;
        // A log axis has no zero to shade down to; Duration charts have no data in the warm-up
        // anyway (nothing is timed before the measured phase).
        const bool visible = bandT1 > bandT0 && scale != ValueScale::Duration;
        band->setVisible(visible);
        // The grey band is explained in the help and docs; a legend entry would crowd out the series.
        const auto markers = chart->legend()->markers(band);
        for (QLegendMarker *m : markers)
            m->setVisible(false);
        if (!visible)
            return;
        const double top = y->max();
        bandUpper->replace(QList<QPointF>{QPointF(bandT0, top), QPointF(bandT1, top)});
    }
};

TimeSeriesChart::TimeSeriesChart(QWidget *parent)
    : ChartPanel(parent)
    , d(std::make_unique<Private>())
{
    d->chart = new QChart;
    d->chart->setAnimationOptions(QChart::NoAnimation);
    d->chart->legend()->setAlignment(Qt::AlignBottom);
    d->chart->legend()->setMarkerShape(QLegend::MarkerShapeFromSeries);
    d->chart->setMargins(QMargins(4, 4, 4, 4));
    d->x = new QValueAxis;
    d->x->setTitleText(tr("Time since start (s)"));
    d->y = new QValueAxis;
    d->y->setLabelFormat(QStringLiteral("%g"));
    d->chart->addAxis(d->x, Qt::AlignBottom);
    d->chart->addAxis(d->y, Qt::AlignLeft);
    d->view = new QChartView(d->chart, this);
    d->view->setObjectName(QStringLiteral("chartView"));
    d->view->setRenderHint(QPainter::Antialiasing, true);
    d->view->setFrameShape(QFrame::NoFrame);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(d->view);
    d->updateAxes();
    d->y->setRange(0, 1);
    d->applyTheme(palette());
    setQuantity(d->quantity, d->unit);
}

TimeSeriesChart::~TimeSeriesChart() = default;

void TimeSeriesChart::setQuantity(const QString &quantity, const QString &unit)
{
    d->quantity = quantity;
    d->unit = unit;
    d->yAxis()->setTitleText(yAxisTitle());
}

QString TimeSeriesChart::yAxisTitle() const
{
    if (d->scale == ValueScale::Percent)
        return d->quantity + QStringLiteral(" (%)");
    if (d->scale == ValueScale::Duration)
        return d->quantity + QStringLiteral(" (") + timeUnitFor(d->yMax).name + QLatin1Char(')');
    const UnitPrefix p = unitPrefixFor(d->yMax);
    const QString unit = (p.prefix.isEmpty() ? d->unit : p.prefix + QLatin1Char(' ') + d->unit).trimmed();
    if (d->quantity.isEmpty()) // the series names say what it is: the axis only needs the unit
        return unit;
    return unit.isEmpty() ? d->quantity : d->quantity + QStringLiteral(" (") + unit + QLatin1Char(')');
}

void TimeSeriesChart::setValueScale(ValueScale scale)
{
    d->useScale(scale);
    d->applyTheme(palette());
    d->yAxis()->setTitleText(yAxisTitle());
    d->updateBand();
}

void TimeSeriesChart::setSeries(const QList<SeriesStyle> &styles)
{
    for (QLineSeries *s : d->series) {
        d->chart->removeSeries(s);
        delete s;
    }
    d->series.clear();
    d->buffers.clear();
    d->drawn.clear();
    d->styles = styles;
    for (qsizetype i = 0; i < styles.size(); ++i) {
        auto *s = new QLineSeries;
        s->setName(styles[i].name);
        s->setUseOpenGL(false);
        d->chart->addSeries(s);
        s->attachAxis(d->x);
        s->attachAxis(d->yAxis());
        d->series.push_back(s);
        d->buffers.emplace_back();
        d->buffers.back().reserve(4096);
        d->drawn.push_back(0);
        d->applyStyle(static_cast<int>(i));
    }
    d->hasData = false;
}

int TimeSeriesChart::seriesCount() const
{
    return static_cast<int>(d->series.size());
}

QString TimeSeriesChart::seriesName(int i) const
{
    return i >= 0 && i < seriesCount() ? d->series[static_cast<std::size_t>(i)]->name() : QString();
}

void TimeSeriesChart::setSeriesName(int i, const QString &name)
{
    if (i < 0 || i >= seriesCount())
        return;
    d->styles[i].name = name;
    if (d->series[static_cast<std::size_t>(i)]->name() != name)
        d->series[static_cast<std::size_t>(i)]->setName(name);
}

void TimeSeriesChart::setTimeRange(double t0, double t1)
{
    if (!(t1 > t0))
        t1 = t0 + 1;
    if (t0 == d->t0 && t1 == d->t1)
        return;
    d->t0 = t0;
    d->t1 = t1;
    d->updateAxes();
}

void TimeSeriesChart::setBand(double t0, double t1, const QString &label)
{
    d->bandT0 = t0;
    d->bandT1 = t1;
    if (!d->band && t1 > t0) {
        d->bandUpper = new QLineSeries(this);
        d->band = new QAreaSeries(d->bandUpper);
        d->chart->addSeries(d->band);
        d->band->attachAxis(d->x);
        d->band->attachAxis(d->yAxis());
        d->applyTheme(palette());
    }
    if (d->band)
        d->band->setName(label);
    d->updateBand();
}

int TimeSeriesChart::plotWidthPixels() const
{
    const int w = static_cast<int>(d->chart->plotArea().width());
    // Before the first layout the plot area is empty: assume most of the widget.
    return w > 10 ? w : std::max(100, width() - 80);
}

int TimeSeriesChart::plotColumns() const
{
    const int width = plotWidthPixels();
    const int series = std::max(1, seriesCount());
    // Two points (a min/max pair) per column and series.
    return std::clamp(kPointBudget / (2 * series), std::min(width, 100), width);
}

qreal TimeSeriesChart::penWidth(int i) const
{
    return i >= 0 && i < seriesCount() ? d->series[static_cast<std::size_t>(i)]->pen().widthF() : 0.0;
}

void TimeSeriesChart::setExportQuality(bool on)
{
    if (d->exportQuality == on)
        return;
    d->exportQuality = on;
    for (std::size_t i = 0; i < d->series.size(); ++i)
        d->applyStyle(static_cast<int>(i));
}

void TimeSeriesChart::setSeriesData(int i, std::span<const MinMaxPoint> points)
{
    if (i < 0 || i >= seriesCount())
        return;
    const TimeAxis axis{d->t0, d->t1, plotColumns()};
    decimateMinMax(points, axis, d->buffers[static_cast<std::size_t>(i)]);
}

void TimeSeriesChart::commit()
{
    double maxValue = 0;
    for (const QList<QPointF> &b : d->buffers) {
        for (const QPointF &p : b)
            maxValue = std::max(maxValue, p.y());
    }
    const bool percent = d->scale == ValueScale::Percent;
    double factor = 1;
    if (percent) {
        d->yMax = std::max(d->yMax, std::min(1.0, niceCeiling(maxValue * 1.05 * 100) / 100));
        factor = 100;
    } else if (d->scale == ValueScale::Duration) {
        d->yMax = std::max(d->yMax, niceCeiling(maxValue * 1.05));
        factor = 1 / timeUnitFor(d->yMax).nsPerUnit;
    } else {
        d->yMax = std::max(d->yMax, niceCeiling(maxValue * 1.05));
        factor = 1 / unitPrefixFor(d->yMax).divisor;
    }
    if (d->scale == ValueScale::Duration) {
        // Whole decades from the lowest positive value to the highest, growing outwards only.
        double minPositive = 0;
        for (const QList<QPointF> &b : d->buffers) {
            for (const QPointF &p : b) {
                if (p.y() > 0 && (minPositive == 0 || p.y() < minPositive))
                    minPositive = p.y();
            }
        }
        if (minPositive > 0)
            d->yMin = d->yMin > 0 ? std::min(d->yMin, minPositive) : minPositive;
        const double lo = d->yMin > 0 ? std::pow(10.0, std::floor(std::log10(d->yMin * factor))) : 1.0;
        const double hi = d->yMax > 0 ? std::pow(10.0, std::ceil(std::log10(d->yMax * factor))) : 10.0;
        const double top = hi > lo ? hi : lo * 10;
        if (d->ylog->min() != lo || d->ylog->max() != top)
            d->ylog->setRange(lo, top);
    } else {
        const double shownMax = d->yMax * factor;
        if (d->y->max() != shownMax || d->y->min() != 0)
            d->y->setRange(0, shownMax);
    }
    const QString title = yAxisTitle();
    if (d->yAxis()->titleText() != title)
        d->yAxis()->setTitleText(title);

    bool any = false;
    for (std::size_t i = 0; i < d->series.size(); ++i) {
        const QList<QPointF> &b = d->buffers[i];
        if (factor != 1) {
            d->scaled.resize(b.size());
            for (qsizetype k = 0; k < b.size(); ++k)
                d->scaled[k] = QPointF(b[k].x(), b[k].y() * factor);
            d->series[i]->replace(d->scaled);
        } else {
            d->series[i]->replace(b);
        }
        d->drawn[i] = b.size();
        any = any || !b.isEmpty();
    }
    d->updateBand();
    d->hasData = d->hasData || any;
    setPlaceholderVisible(!d->hasData);
}

qsizetype TimeSeriesChart::pointCount(int i) const
{
    return i >= 0 && i < seriesCount() ? d->drawn[static_cast<std::size_t>(i)] : 0;
}

double TimeSeriesChart::yAxisMax() const
{
    return d->scale == ValueScale::Duration ? d->ylog->max() : d->y->max();
}

double TimeSeriesChart::yAxisMin() const
{
    return d->scale == ValueScale::Duration ? d->ylog->min() : d->y->min();
}

bool TimeSeriesChart::logarithmicY() const
{
    return d->scale == ValueScale::Duration;
}

bool TimeSeriesChart::hasData() const
{
    return d->hasData;
}

void TimeSeriesChart::clear()
{
    for (std::size_t i = 0; i < d->series.size(); ++i) {
        d->buffers[i].clear();
        d->series[i]->clear();
        d->drawn[i] = 0;
    }
    d->yMax = 0;
    d->yMin = 0;
    if (d->scale == ValueScale::Duration)
        d->ylog->setRange(1, 10);
    else
        d->y->setRange(0, d->scale == ValueScale::Percent ? 100 : 1);
    d->yAxis()->setTitleText(yAxisTitle());
    d->hasData = false;
    setPlaceholderVisible(true);
}

void TimeSeriesChart::changeEvent(QEvent *event)
{
    ChartPanel::changeEvent(event);
    if (event->type() == QEvent::PaletteChange)
        d->applyTheme(palette());
}

QWidget *TimeSeriesChart::exportWidget()
{
    return this;
}

} // namespace clab::charts
