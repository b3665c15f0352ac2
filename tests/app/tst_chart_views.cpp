// What keeps a live frame cheap, checked for what it must not change:
// - the worker-state timeline draws incrementally (a paint computes again only the columns its
//   source says may have changed): the picture it keeps is exactly the picture a fresh view draws
//   from the same data, while a run grows, after a resize, after slots merge and after the data
//   starts over; the windowed accumulation it relies on matches the whole axis's;
// - time-series charts hand over a bounded number of points per frame however many series they
//   have, draw one-pixel lines on screen and the styles' widths in exports.
#include "bounded_series.h"
#include "stats_ring_layout.h"
#include "time_series_chart.h"
#include "timeline_view.h"

#include <QApplication>
#include <QFile>
#include <QTemporaryDir>
#include <QImage>
#include <QTest>

#include <random>
#include <vector>

using namespace clab;

namespace {

// Rows of StateTracks fed like the app's store: one interval per sample, in time order.
class TrackSource : public charts::TimelineSource {
public:
    explicit TrackSource(int rows, std::size_t capacity = 1024)
        : m_tracks(static_cast<std::size_t>(rows), app::StateTrack(capacity, 0.005))
        , m_t(static_cast<std::size_t>(rows), 0.0)
    {
    }
    int rowCount() const override { return static_cast<int>(m_tracks.size()); }
    QString rowLabel(int row) const override { return QStringLiteral("W%1").arg(row); }
    void accumulate(int row, const charts::TimeAxis &axis, std::span<charts::StateCounts> columns) const override
    {
        m_tracks[static_cast<std::size_t>(row)].accumulate(axis, columns);
    }
    std::optional<Tail> tail(int row) const override
    {
        const app::StateTrack &t = m_tracks[static_cast<std::size_t>(row)];
        return Tail{t.unsettledFrom(), t.generation()};
    }
    // Every row advances to `until` in samples of random length and state.
    void grow(double until, std::mt19937 &rng)
    {
        std::uniform_real_distribution<double> step(0.001, 0.03);
        std::uniform_int_distribution<int> state(CLAB_WORKER_RUNNING, CLAB_WORKER_IO);
        for (std::size_t r = 0; r < m_tracks.size(); ++r) {
            while (m_t[r] < until) {
                const double t1 = std::min(until, m_t[r] + step(rng));
                m_tracks[r].add(m_t[r], t1, state(rng));
                m_t[r] = t1;
            }
        }
    }
    std::uint64_t generation(int row) const { return m_tracks[static_cast<std::size_t>(row)].generation(); }
    void restart()
    {
        for (app::StateTrack &t : m_tracks)
            t.reset(0.005);
        std::fill(m_t.begin(), m_t.end(), 0.0);
    }

private:
    std::vector<app::StateTrack> m_tracks;
    std::vector<double> m_t;
};

QList<charts::StateStyle> states()
{
    return {{QStringLiteral("created"), QColor(0xbd, 0xbd, 0xbd), Qt::Dense6Pattern},
            {QStringLiteral("running"), QColor(0x4c, 0xaf, 0x50), Qt::SolidPattern},
            {QStringLiteral("waiting"), QColor(0xe6, 0x55, 0x1f), Qt::BDiagPattern},
            {QStringLiteral("holding"), QColor(0x1f, 0x6f, 0xd0), Qt::CrossPattern},
            {QStringLiteral("io"), QColor(0x9e, 0x9a, 0xc8), Qt::Dense4Pattern}};
}

// What a view that never painted before draws for the same data at the same size.
QImage freshPicture(const TrackSource &source, QSize size, double t1)
{
    charts::TimelineView fresh;
    fresh.setStates(states());
    fresh.resize(size);
    fresh.setTimeRange(0, t1);
    fresh.setSource(&source);
    return fresh.grab().toImage();
}

} // namespace

class TestChartViews : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void windowedAccumulationMatchesWholeAxis();
    void incrementalPaintMatchesFreshPaint_data();
    void incrementalPaintMatchesFreshPaint();
    void mergedSlotsAreRedrawnWhole();
    void restartedDataIsRedrawnWhole();
    void seriesStayWithinPointBudget();
    void exportsDrawTheStylesWidths();
    void durationsUseWholeDecades();
};

void TestChartViews::windowedAccumulationMatchesWholeAxis()
{
    std::mt19937 rng(7);
    TrackSource source(1);
    source.grow(3.7, rng);
    for (const int pixels : {1, 7, 640, 1301}) {
        const charts::TimeAxis whole{0, 4, pixels};
        std::vector<charts::StateCounts> all(static_cast<std::size_t>(pixels));
        source.accumulate(0, whole, all);
        for (const int first : {0, 1, pixels / 3, pixels / 2 + 1, pixels - 1}) {
            for (const int count : {1, 5, pixels}) {
                charts::TimeAxis window = whole;
                window.firstColumn = first;
                const auto n = static_cast<std::size_t>(std::min(count, pixels - first));
                std::vector<charts::StateCounts> part(n);
                source.accumulate(0, window, part);
                for (std::size_t k = 0; k < n; ++k) {
                    QVERIFY2(part[k].n == all[static_cast<std::size_t>(first) + k].n,
                             qPrintable(QStringLiteral("pixels %1, window from %2: column %3 differs")
                                            .arg(pixels)
                                            .arg(first)
                                            .arg(static_cast<qulonglong>(static_cast<std::size_t>(first) + k))));
                }
            }
        }
    }
}

void TestChartViews::incrementalPaintMatchesFreshPaint_data()
{
    QTest::addColumn<int>("rows");
    QTest::addColumn<QSize>("size");
    QTest::newRow("4 tall rows (labels in runs)") << 4 << QSize(700, 420);
    QTest::newRow("64 thin rows") << 64 << QSize(900, 400);
}

void TestChartViews::incrementalPaintMatchesFreshPaint()
{
    QFETCH(int, rows);
    QFETCH(QSize, size);
    std::mt19937 rng(11);
    TrackSource source(rows);
    charts::TimelineView view;
    view.setStates(states());
    view.resize(size);
    view.setTimeRange(0, 2);
    view.setSource(&source);
    (void)view.grab(); // the first paint draws the whole width
    const int wholeWidth = view.columnsRedrawn();
    QVERIFY(wholeWidth > 100);

    for (int step = 1; step <= 6; ++step) {
        source.grow(0.3 * step, rng);
        // The legend's shares are recounted at most four times a second: let them be current.
        QTest::qWait(260);
        view.refresh();
        const QImage kept = view.grab().toImage();
        // Only the columns from the end of the data drawn last time were computed again (the
        // data reaches 15 % further along the axis each step; before step 1 there was none).
        if (step > 1)
            QVERIFY2(view.columnsRedrawn() < wholeWidth - (step - 1) * wholeWidth / 8,
                     qPrintable(QStringLiteral("step %1 redrew %2 of %3 columns").arg(step).arg(view.columnsRedrawn()).arg(wholeWidth)));
        QCOMPARE(kept, freshPicture(source, size, 2));
    }

    // A new size is drawn whole, and matches too.
    const QSize bigger = size + QSize(57, 31);
    view.resize(bigger);
    const QImage resized = view.grab().toImage();
    QVERIFY(view.columnsRedrawn() > wholeWidth);
    QCOMPARE(resized, freshPicture(source, bigger, 2));
}

void TestChartViews::mergedSlotsAreRedrawnWhole()
{
    // 16 slots of 5 ms hold 80 ms: growing to 1.9 s merges slots several times over.
    std::mt19937 rng(3);
    TrackSource source(6, 16);
    const std::uint64_t initial = source.generation(0);
    charts::TimelineView view;
    view.setStates(states());
    view.resize(640, 360);
    view.setTimeRange(0, 2);
    view.setSource(&source);
    for (int step = 1; step <= 5; ++step) {
        source.grow(0.38 * step, rng);
        QTest::qWait(260);
        view.refresh();
        QCOMPARE(view.grab().toImage(), freshPicture(source, QSize(640, 360), 2));
    }
    QVERIFY(source.generation(0) >= initial + 3); // the case under test happened
}

void TestChartViews::restartedDataIsRedrawnWhole()
{
    std::mt19937 rng(5);
    TrackSource source(8);
    charts::TimelineView view;
    view.setStates(states());
    view.resize(640, 360);
    view.setTimeRange(0, 2);
    view.setSource(&source);
    source.grow(1.6, rng);
    view.refresh();
    (void)view.grab();
    // The same source starts over (the next point of a sweep): nothing of the old run may remain.
    source.restart();
    source.grow(0.2, rng);
    QTest::qWait(260);
    view.refresh();
    const QImage afterRestart = view.grab().toImage();
    QCOMPARE(afterRestart, freshPicture(source, QSize(640, 360), 2));
}

namespace {

// A noisy series over [0, 1] s with one point a millisecond, like a worker's rate.
std::vector<charts::MinMaxPoint> noisy(int seed)
{
    std::mt19937 rng(static_cast<unsigned>(seed));
    std::uniform_real_distribution<double> v(0, 100);
    std::vector<charts::MinMaxPoint> out;
    for (int i = 0; i < 1000; ++i) {
        const double x = v(rng);
        out.push_back({i / 1000.0, x, x, x, x});
    }
    return out;
}

} // namespace

void TestChartViews::seriesStayWithinPointBudget()
{
    charts::TimeSeriesChart chart;
    chart.resize(1400, 500);
    chart.show();
    QVERIFY(QTest::qWaitForWindowExposed(&chart));
    chart.setTimeRange(0, 1);
    for (const int n : {1, 3, 16}) {
        QList<charts::SeriesStyle> styles;
        for (int i = 0; i < n; ++i)
            styles.append({QStringLiteral("W%1").arg(i), QColor(), Qt::SolidLine, 1.5});
        chart.setSeries(styles);
        std::vector<std::vector<charts::MinMaxPoint>> data;
        for (int i = 0; i < n; ++i) {
            data.push_back(noisy(i));
            chart.setSeriesData(i, data.back());
        }
        chart.commit();
        qsizetype total = 0;
        for (int i = 0; i < n; ++i)
            total += chart.pointCount(i);
        QVERIFY2(total <= charts::TimeSeriesChart::kPointBudget + 2 * n,
                 qPrintable(QStringLiteral("%1 series: %2 points").arg(n).arg(total)));
        // Few series keep one min/max pair per pixel column; many share the budget.
        if (n == 1)
            QCOMPARE(chart.plotColumns(), chart.plotWidthPixels());
        if (n == 16)
            QVERIFY(chart.plotColumns() < chart.plotWidthPixels());
        QVERIFY(chart.pointCount(n - 1) > 100); // still a line, not a handful of dots
    }
}

void TestChartViews::exportsDrawTheStylesWidths()
{
    charts::TimeSeriesChart chart;
    chart.resize(800, 400);
    chart.setTimeRange(0, 1);
    chart.setSeries({{QStringLiteral("thick"), QColor(0x00, 0x72, 0xB2), Qt::SolidLine, 3.0}});
    const auto data = noisy(1);
    chart.setSeriesData(0, data);
    chart.commit();
    QCOMPARE(chart.penWidth(0), 1.0); // on screen: the cheap one-pixel line
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(QStringLiteral("chart.svg"));
    QString error;
    QVERIFY2(chart.saveSvg(path, &error), qPrintable(error));
    QFile svg(path);
    QVERIFY(svg.open(QIODevice::ReadOnly));
    const QByteArray text = svg.readAll();
    QVERIFY2(text.contains("stroke-width=\"3\""), "the export draws the style's 3 px line");
    QCOMPARE(chart.penWidth(0), 1.0); // and the screen gets its one-pixel line back
}

void TestChartViews::durationsUseWholeDecades()
{
    charts::TimeSeriesChart chart;
    chart.resize(600, 300);
    chart.setQuantity(QStringLiteral("Round trip"), QString());
    chart.setSeries({{QStringLiteral("p50"), Qt::blue, Qt::SolidLine, 2.0}, {QStringLiteral("p99"), Qt::red, Qt::DashLine, 2.0}});
    chart.setValueScale(charts::ValueScale::Duration);
    chart.setBand(0, 0.2, QStringLiteral("warm-up"));
    chart.setTimeRange(0, 2);
    QVERIFY(chart.logarithmicY());
    chart.show();
    QVERIFY(QTest::qWaitForWindowExposed(&chart));
    // A median near 12 µs and a start-up p99 of 16 ms, in ns.
    std::vector<charts::MinMaxPoint> p50, p99;
    for (int i = 0; i < 200; ++i) {
        const double t = 0.25 + i * 0.008;
        p50.push_back({t, 11'800, 12'600, 12'000, 12'000});
        p99.push_back({t, 40'000, i < 10 ? 16'000'000.0 : 60'000.0, 50'000, 50'000});
    }
    chart.setSeriesData(0, p50);
    chart.setSeriesData(1, p99);
    chart.commit();
    // Shown in ms (the largest value's unit) on whole decades that hold both: 0.01 .. 100 ms.
    QCOMPARE(chart.yAxisTitle(), QStringLiteral("Round trip (ms)"));
    QCOMPARE(chart.yAxisMin(), 0.01);
    QCOMPARE(chart.yAxisMax(), 100.0);
    QVERIFY(chart.hasData());
    QCOMPARE(chart.pointCount(0), chart.pointCount(1));
    QVERIFY(chart.pointCount(0) > 100);
    // Smaller values later widen it downwards; it never narrows during a run.
    p50.push_back({1.9, 900, 900, 900, 900});
    chart.setSeriesData(0, p50);
    chart.commit();
    QCOMPARE(chart.yAxisMin(), 0.0001);
    QCOMPARE(chart.yAxisMax(), 100.0);
    // Back to a linear scale for another family, and to a clear axis for the next run.
    chart.setValueScale(charts::ValueScale::Percent);
    chart.clear();
    QVERIFY(!chart.logarithmicY());
    QCOMPARE(chart.yAxisMin(), 0.0);
    QCOMPARE(chart.yAxisMax(), 100.0);
    chart.setValueScale(charts::ValueScale::Duration);
    chart.clear();
    QVERIFY(chart.logarithmicY());
    QCOMPARE(chart.yAxisMin(), 1.0);
    QCOMPARE(chart.yAxisMax(), 10.0);
}

QTEST_MAIN(TestChartViews)
#include "tst_chart_views.moc"
