// Qt Charts adapter for the latency histogram: a step area on a log axis plus labelled marker lines.
#include "histogram_chart.h"

#include "chart_theme.h"
#include "plot_data.h"
#include "time_series_chart.h"

#include <QAreaSeries>
#include <QChart>
#include <QChartView>
#include <QEvent>
#include <QLegendMarker>
#include <QLineSeries>
#include <QCategoryAxis>
#include <QScatterSeries>
#include <QValueAxis>
#include <QVBoxLayout>

#include <algorithm>
#include <climits>
#include <array>
#include <cmath>
#include <vector>

namespace clab::charts {

namespace {

QString formatTime(double ns)
{
    const TimeUnit u = timeUnitFor(ns);
    return QString::number(ns / u.nsPerUnit, 'g', 3) + QLatin1Char(' ') + u.name;
}

struct MarkerStyle {
    Qt::PenStyle dash;
    QColor color;
};

MarkerStyle markerStyle(int i)
{
    static const std::array<MarkerStyle, 6> styles{
        MarkerStyle{Qt::SolidLine, QColor(0x00, 0x9E, 0x73)}, MarkerStyle{Qt::DashLine, QColor(0xE6, 0x9F, 0x00)},
        MarkerStyle{Qt::DashDotLine, QColor(0xD5, 0x5E, 0x00)}, MarkerStyle{Qt::DotLine, QColor(0xCC, 0x79, 0xA7)},
        MarkerStyle{Qt::DashDotDotLine, QColor(0xC0, 0x20, 0x20)}, MarkerStyle{Qt::SolidLine, QColor(0x70, 0x70, 0x70)}};
    return styles[static_cast<std::size_t>(i) % styles.size()];
}

} // namespace

struct HistogramChart::Private {
    QChart *chart = nullptr;
    QChartView *view = nullptr;
    // x is log10(ns) on a linear axis with one labelled category per decade ("100 ns", "1 µs" …):
    // QLogValueAxis can only print numbers ("1e+06").
    QCategoryAxis *x = nullptr;
    QValueAxis *y = nullptr;
    QLineSeries *upper = nullptr;
    QAreaSeries *area = nullptr;
    std::vector<QLineSeries *> markerLines;
    std::vector<QScatterSeries *> markerLabels;
    QList<QPointF> buffer;
    QList<QPointF> drawnBuffer; // what the area series holds
    QString quantity = QStringLiteral("Latency");
    double decadeLo = -1, decadeHi = -1;
    qsizetype bins = 0;
    bool hasData = false;

    QColor labelColor;

    void applyTheme(const QPalette &pal)
    {
        labelColor = pal.color(QPalette::Text);
        applyChartTheme(chart, pal);
        QColor fill = seriesColor(0);
        fill.setAlpha(150);
        area->setBrush(fill);
        area->setPen(QPen(seriesColor(0), 1));
        for (QScatterSeries *s : markerLabels)
            s->setPointLabelsColor(pal.color(QPalette::Text));
    }

    void ensureMarkers(qsizetype n)
    {
        while (static_cast<qsizetype>(markerLines.size()) < n) {
            const int i = static_cast<int>(markerLines.size());
            auto *line = new QLineSeries;
            line->setUseOpenGL(false);
            QPen pen(markerStyle(i).color, 2);
            pen.setStyle(markerStyle(i).dash);
            line->setPen(pen);
            chart->addSeries(line);
            line->attachAxis(x);
            line->attachAxis(y);
            auto *label = new QScatterSeries;
            label->setUseOpenGL(false);
            label->setMarkerSize(1);
            label->setColor(Qt::transparent);
            label->setBorderColor(Qt::transparent);
            label->setPointLabelsVisible(true);
            label->setPointLabelsColor(labelColor); // created after the theme was applied
            label->setPointLabelsClipping(false);
            chart->addSeries(label);
            label->attachAxis(x);
            label->attachAxis(y);
            const auto legendMarkers = chart->legend()->markers(label);
            for (QLegendMarker *m : legendMarkers)
                m->setVisible(false);
            markerLines.push_back(line);
            markerLabels.push_back(label);
        }
    }
};

HistogramChart::HistogramChart(QWidget *parent)
    : ChartPanel(parent)
    , d(std::make_unique<Private>())
{
    d->chart = new QChart;
    d->chart->setAnimationOptions(QChart::NoAnimation);
    d->chart->legend()->setAlignment(Qt::AlignBottom);
    d->chart->legend()->setMarkerShape(QLegend::MarkerShapeFromSeries);
    d->chart->setMargins(QMargins(4, 4, 4, 4));
    d->x = new QCategoryAxis;
    d->x->setLabelsPosition(QCategoryAxis::AxisLabelsPositionOnValue);
    d->y = new QValueAxis;
    d->y->setTitleText(tr("Share of observations (%)"));
    d->y->setLabelFormat(QStringLiteral("%g"));
    d->chart->addAxis(d->x, Qt::AlignBottom);
    d->chart->addAxis(d->y, Qt::AlignLeft);
    d->upper = new QLineSeries(this);
    d->upper->setUseOpenGL(false);
    d->area = new QAreaSeries(d->upper);
    d->area->setName(tr("Observations"));
    d->chart->addSeries(d->area);
    d->area->attachAxis(d->x);
    d->area->attachAxis(d->y);
    d->view = new QChartView(d->chart, this);
    d->view->setObjectName(QStringLiteral("chartView"));
    d->view->setRenderHint(QPainter::Antialiasing, true);
    d->view->setFrameShape(QFrame::NoFrame);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(d->view);
    d->x->setRange(0, 6);
    d->y->setRange(0, 10);
    d->x->setTitleText(d->quantity);
    d->chart->legend()->hide(); // markers carry their labels on the chart; the numbers sit beside it
    d->applyTheme(palette());
}

HistogramChart::~HistogramChart() = default;

void HistogramChart::setQuantity(const QString &quantity)
{
    d->quantity = quantity;
}

void HistogramChart::setHistogram(std::span<const HistogramBin> binsIn, const QList<ValueMarker> &markers)
{
    // The engine's buckets are 1/32 octave wide: too thin to see on a log axis. Merge them into
    // display bins of a tenth of a decade each (sums of shares, so the y axis reads "% of all
    // observations in this slice").
    constexpr double kBinsPerDecade = 10;
    std::vector<HistogramBin> merged;
    merged.reserve(96);
    long long group = LLONG_MIN;
    for (const HistogramBin &b : binsIn) {
        if (b.fraction <= 0)
            continue;
        const auto g = static_cast<long long>(std::floor(std::log10(std::max(b.lo, 1.0)) * kBinsPerDecade));
        if (g != group || merged.empty()) {
            merged.push_back({std::pow(10.0, static_cast<double>(g) / kBinsPerDecade),
                              std::pow(10.0, static_cast<double>(g + 1) / kBinsPerDecade), 0});
            group = g;
        }
        merged.back().fraction += b.fraction;
    }
    const std::span<const HistogramBin> bins(merged);

    double lo = 0, hi = 0, top = 0;
    for (const HistogramBin &b : bins) {
        if (b.fraction <= 0)
            continue;
        if (lo == 0 || b.lo < lo)
            lo = b.lo;
        hi = std::max(hi, b.hi);
        top = std::max(top, b.fraction);
    }
    d->bins = 0;
    d->buffer.clear();
    if (top <= 0) {
        d->upper->replace(d->buffer);
        d->drawnBuffer.clear();
        for (std::size_t i = 0; i < d->markerLines.size(); ++i) {
            d->markerLines[i]->clear();
            d->markerLabels[i]->clear();
            d->markerLines[i]->setVisible(false);
        }
        d->hasData = false;
        setPlaceholderVisible(true);
        return;
    }
    // Whole decades of nanoseconds, so every category line is 1, 10, 100 … of some unit.
    const double decadeLo = std::floor(std::log10(std::max(lo, 1.0)));
    const double decadeHi = std::max(decadeLo + 1, std::ceil(std::log10(std::max(hi, 1.0)) - 1e-9));
    const auto toX = [](double ns) { return std::log10(std::max(ns, 1.0)); };
    const double yTop = std::min(100.0, niceCeiling(top * 100 * 1.15));

    double prevHi = -1;
    for (const HistogramBin &b : bins) {
        if (b.fraction <= 0)
            continue;
        const double x0 = toX(b.lo);
        const double x1 = std::max(toX(b.hi), x0 + 1e-6);
        const double yv = b.fraction * 100;
        if (prevHi < 0 || std::abs(x0 - prevHi) > 1e-9) {
            // A gap (or the start): down to the axis after the previous bin, up at this one.
            if (prevHi >= 0)
                d->buffer.append(QPointF(prevHi, 0));
            d->buffer.append(QPointF(x0, 0));
        }
        d->buffer.append(QPointF(x0, yv));
        d->buffer.append(QPointF(x1, yv));
        prevHi = x1;
        ++d->bins;
    }
    if (!d->buffer.isEmpty())
        d->buffer.append(QPointF(d->buffer.constLast().x(), 0));
    if (decadeLo != d->decadeLo || decadeHi != d->decadeHi) {
        // Categories only change with the range: relabelling every frame would re-layout the chart.
        const auto labels = d->x->categoriesLabels();
        for (const QString &l : labels)
            d->x->remove(l);
        d->x->setStartValue(decadeLo);
        for (double k = decadeLo; k <= decadeHi + 1e-9; k += 1)
            d->x->append(formatTime(std::pow(10.0, k)), k);
        d->decadeLo = decadeLo;
        d->decadeHi = decadeHi;
    }
    // Room on the right for the label of a marker close to the end ("max 61.9 ms").
    double rightEdge = decadeHi;
    for (const ValueMarker &m : markers) {
        if (m.value > 0 && std::log10(std::max(m.value, 1.0)) > decadeHi - 0.35)
            rightEdge = decadeHi + 0.6;
    }
    if (d->x->min() != decadeLo || d->x->max() != rightEdge)
        d->x->setRange(decadeLo, rightEdge);
    const QString title = d->quantity + QStringLiteral(" (log scale)");
    if (d->x->titleText() != title)
        d->x->setTitleText(title);
    if (d->y->max() != yTop)
        d->y->setRange(0, yTop);
    // Each replace() makes the chart lay the series out again: hand over only what changed.
    if (d->buffer != d->drawnBuffer) {
        d->upper->replace(d->buffer);
        d->drawnBuffer = d->buffer;
    }

    d->ensureMarkers(markers.size());
    for (std::size_t i = 0; i < d->markerLines.size(); ++i) {
        QLineSeries *line = d->markerLines[i];
        QScatterSeries *label = d->markerLabels[i];
        if (static_cast<qsizetype>(i) >= markers.size() || markers[static_cast<qsizetype>(i)].value <= 0) {
            line->setVisible(false);
            label->setVisible(false);
            continue;
        }
        const ValueMarker &m = markers[static_cast<qsizetype>(i)];
        const double xv = std::clamp(std::log10(std::max(m.value, 1.0)), decadeLo, decadeHi);
        const QString name = m.label + QStringLiteral(" = ") + formatTime(m.value);
        if (line->name() != name)
            line->setName(name);
        const QList<QPointF> linePoints{QPointF(xv, 0), QPointF(xv, yTop)};
        if (line->points() != linePoints)
            line->replace(linePoints);
        // Labels step down the chart so close percentiles do not print over each other.
        const double yLabel = yTop * (0.95 - 0.09 * static_cast<double>(i));
        const QString labelText = m.label + QLatin1Char(' ') + formatTime(m.value);
        if (label->pointLabelsFormat() != labelText)
            label->setPointLabelsFormat(labelText);
        const QList<QPointF> labelPoints{QPointF(xv, yLabel)};
        if (label->points() != labelPoints)
            label->replace(labelPoints);
        if (!line->isVisible())
            line->setVisible(true);
        if (!label->isVisible())
            label->setVisible(true);
        const auto legendMarkers = d->chart->legend()->markers(label);
        for (QLegendMarker *lm : legendMarkers)
            lm->setVisible(false);
    }
    d->hasData = true;
    setPlaceholderVisible(false);
}

qsizetype HistogramChart::binCount() const
{
    return d->bins;
}

QStringList HistogramChart::markerLabels() const
{
    QStringList out;
    for (QLineSeries *l : d->markerLines) {
        if (l->isVisible())
            out << l->name();
    }
    return out;
}

bool HistogramChart::hasData() const
{
    return d->hasData;
}

void HistogramChart::clear()
{
    setHistogram({}, {});
}

void HistogramChart::changeEvent(QEvent *event)
{
    ChartPanel::changeEvent(event);
    if (event->type() == QEvent::PaletteChange)
        d->applyTheme(palette());
}

} // namespace clab::charts
