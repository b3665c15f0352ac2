// End to end with the real runner: a sweep runs point by point in the main window, the point
// indicator follows it, the Scaling page compares the points with the result file's numbers,
// a stop ends the whole sweep, a failed point is reported, and nothing is left in /dev/shm.
#include "experiment_file.h"
#include "experiment_form.h"
#include "main_window.h"
#include "metrics.h"
#include "plot_data.h"
#include "result_file.h"
#include "run_dashboard.h"
#include "scaling_chart.h"
#include "sweep_feed.h"
#include "sweep_summary.h"
#include "sweep_table_model.h"

#include <QAbstractItemModelTester>
#include <QAction>
#include <QDir>
#include <QFileInfo>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>

#include <cerrno>
#include <cmath>
#include <csignal>
#include <sys/types.h>
#include <unistd.h>

using namespace clab;
using namespace clab::app;

namespace {

// Lock contention, two guards (variants) × 1 and 2 workers (the sweep): four short points.
ExperimentSpec shortSweep(double seconds)
{
    ExperimentSpec s;
    s.name = "Sweep end-to-end";
    s.topic = "Locks";
    s.execution = ExecutionModel::Threads;
    s.workers = 1;
    s.durationNs = static_cast<std::uint64_t>(seconds * 1e9);
    s.warmupNs = 20'000'000;
    s.sampleIntervalNs = 10'000'000;
    s.lock.guard = Guard::Mutex;
    s.workload.cpuWorkNs = 200;
    s.workload.criticalSectionNs = 100;
    s.variants = {Variant{"mutex", {{"primitive.guard", "\"mutex\""}}}, Variant{"atomic", {{"primitive.guard", "\"atomic\""}}}};
    s.sweep = {SweepAxis{"workers", {"1", "2"}}};
    return s;
}

bool processGone(qint64 pid)
{
    return pid > 0 && ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH;
}

// Every stats ring this process created (their names carry the creator's pid).
QStringList ourRings()
{
    return QDir(QStringLiteral("/dev/shm")).entryList({QStringLiteral("clab-%1-*").arg(::getpid())}, QDir::Files | QDir::System);
}

QStringList labelsOf(const ExperimentSpec &spec)
{
    QList<model::FieldError> errors;
    QStringList labels;
    for (const model::SweepPoint &p : model::expandSweep(spec, &errors))
        labels << p.label;
    return labels;
}

} // namespace

class TestSweepRun : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void init();
    void sweepRunsEveryPointAndComparesThem();
    void stopMidSweepStopsEverything();
    void failedPointIsReportedAndDataKept();
    void pointTrackerFollowsLanes();
    void summaryGroupsPointsBySweepValues();
    void scalingChartRescales_data();
    void scalingChartRescales();

private:
    bool haveRunner() const { return QFileInfo(qEnvironmentVariable("CLAB_RUNNER")).isExecutable(); }
    QTemporaryDir m_dir;
};

void TestSweepRun::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
    QVERIFY(m_dir.isValid());
}

void TestSweepRun::init()
{
    QSettings().clear();
}

void TestSweepRun::sweepRunsEveryPointAndComparesThem()
{
    if (!haveRunner())
        QSKIP("CLAB_RUNNER does not name the runner executable (CTest sets it)");
    const ExperimentSpec spec = shortSweep(0.2);
    const QStringList labels = labelsOf(spec);
    QCOMPARE(labels.size(), 4);

    MainWindow w;
    w.setConfirmDiscard(false);
    w.loadSpec(spec);
    QVERIFY(w.form()->isValid());
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    RunController *c = w.controller();
    RunDashboard *d = w.dashboard();
    new QAbstractItemModelTester(d->sweepModel(), QAbstractItemModelTester::FailureReportingMode::QtTest, &w);

    // What the window says at each point: the status bar and the line above the charts.
    QStringList statusAt, indicatorAt;
    QList<int> announced;
    connect(c, &RunController::pointStarted, &w, [&](int index) {
        announced << index;
        statusAt << w.statusText();
        indicatorAt << d->pointIndicatorText();
    });
    QSignalSpy finished(c, &RunController::runFinished);
    QSignalSpy failed(c, &RunController::runFailed);
    w.run();
    QVERIFY(c->isActive());
    QVERIFY(c->isSweep());
    QCOMPARE(c->pointCount(), 4);
    QCOMPARE(d->pointIndicatorText(), QStringLiteral("Point 1 of 4: ") + labels[0]);
    QVERIFY2(w.statusText().contains(QStringLiteral("point 1 of 4: ") + labels[0]), qPrintable(w.statusText()));
    const QString ring = c->ringName();
    QVERIFY(ring.startsWith(QStringLiteral("/clab-")));

    QVERIFY(finished.count() == 1 || finished.wait(60000));
    QCOMPARE(failed.count(), 0);
    // The indicator advanced through every point, in order, naming each.
    QCOMPARE(announced, (QList<int>{1, 2, 3}));
    for (int i = 0; i < announced.size(); ++i) {
        const QString expected = QStringLiteral("point %1 of 4: ").arg(i + 2) + labels[i + 1];
        QVERIFY2(statusAt[i].contains(expected), qPrintable(statusAt[i] + QStringLiteral(" lacks ") + expected));
        QCOMPARE(indicatorAt[i], QStringLiteral("Point %1 of 4: ").arg(i + 2) + labels[i + 1]);
    }

    const auto outcome = finished.at(0).at(0).value<RunOutcome>();
    QCOMPARE(outcome.kind, RunOutcome::Kind::Finished);
    QVERIFY(outcome.sweep);
    QCOMPARE(outcome.sweep->size(), std::size_t{4});
    QCOMPARE(outcome.pointsPlanned, 4);
    QVERIFY(QFileInfo::exists(outcome.resultPath));

    // The Scaling page: one row per point of the result file, with the file's numbers.
    const model::ResultLoad load = model::loadResult(outcome.resultPath);
    QVERIFY2(load.ok(), qPrintable(load.error));
    QVERIFY(load.isSweep());
    QCOMPARE(load.points.size(), std::size_t{4});
    QCOMPARE(d->currentPage(), RunDashboard::ScalingPage);
    SweepTableModel *m = d->sweepModel();
    QCOMPARE(m->rowCount(), 4);
    std::vector<const RunResult *> results;
    for (const model::PointResult &p : load.points)
        results.push_back(&p.result);
    const std::vector<double> speedUps = model::sweepSpeedUps(results, 2);
    double maxRate = 0;
    for (int i = 0; i < 4; ++i) {
        const model::PointResult &p = load.points[static_cast<std::size_t>(i)];
        QCOMPARE(p.label, labels[i]);
        QCOMPARE(m->data(m->index(i, SweepTableModel::PointColumn), Qt::ToolTipRole).toString(), p.label);
        QCOMPARE(m->data(m->index(i, SweepTableModel::XColumn)).toString(), QString::number(p.spec.workers));
        const metrics::Totals t = metrics::totals(p.result.workers, p.result.wallNs);
        QVERIFY(t.opsPerSecond > 0);
        maxRate = std::max(maxRate, t.opsPerSecond);
        QCOMPARE(m->data(m->index(i, SweepTableModel::ThroughputColumn), SweepTableModel::SortRole).toDouble(), t.opsPerSecond);
        QCOMPARE(m->data(m->index(i, SweepTableModel::StatusColumn)).toString(), QStringLiteral("finished"));
        QCOMPARE(m->data(m->index(i, SweepTableModel::SpeedUpColumn), SweepTableModel::SortRole).toDouble(),
                 speedUps[static_cast<std::size_t>(i)]);
    }
    QCOMPARE(m->data(m->index(0, SweepTableModel::SpeedUpColumn), SweepTableModel::SortRole).toDouble(), 1.0);
    QVERIFY(!d->sweepTableView()->isColumnHidden(SweepTableModel::SpeedUpColumn));

    // The chart: a line per guard over the worker count, the same numbers (in the axis's unit).
    charts::ScalingChart *chart = d->scalingChart();
    QVERIFY(chart->hasData());
    QCOMPARE(chart->seriesCount(), 2);
    QCOMPARE(chart->seriesName(0), QStringLiteral("mutex"));
    QCOMPARE(chart->seriesName(1), QStringLiteral("atomic"));
    QCOMPARE(chart->xAxisLabels(), (QStringList{QStringLiteral("1"), QStringLiteral("2")}));
    QVERIFY2(chart->yAxisTitle().contains(QStringLiteral("ops/s")), qPrintable(chart->yAxisTitle()));
    QVERIFY(chart->xAxisTitle().startsWith(QStringLiteral("Workers")));
    const double divisor = charts::unitPrefixFor(maxRate).divisor;
    for (int s = 0; s < 2; ++s) {
        const QList<QPointF> pts = chart->seriesPoints(s);
        QCOMPARE(pts.size(), 2);
        for (int k = 0; k < 2; ++k) {
            const int point = s * 2 + k; // variant-major: mutex 1, mutex 2, atomic 1, atomic 2
            const model::PointResult &p = load.points[static_cast<std::size_t>(point)];
            const double rate = metrics::totals(p.result.workers, p.result.wallNs).opsPerSecond;
            QVERIFY2(std::abs(pts[k].y() * divisor - rate) <= rate * 1e-9,
                     qPrintable(QStringLiteral("series %1 point %2: chart %3, file %4").arg(s).arg(k).arg(pts[k].y() * divisor).arg(rate)));
        }
    }
    // The other pages keep the last point; double-clicking a row shows that point's charts.
    QCOMPARE(d->pointIndicatorText(), QStringLiteral("Point 4 of 4: ") + labels[3]);
    Q_EMIT d->sweepTableView()->activated(m->index(0, SweepTableModel::SeriesColumn));
    QCOMPARE(d->pointIndicatorText(), QStringLiteral("Showing point 1 of 4: ") + labels[0]);

    // The sweep's result file reopens onto the same comparison.
    {
        MainWindow again;
        again.setConfirmDiscard(false);
        QVERIFY(again.openFile(outcome.resultPath));
        QCOMPARE(again.dashboard()->currentPage(), RunDashboard::ScalingPage);
        SweepTableModel *m2 = again.dashboard()->sweepModel();
        QCOMPARE(m2->rowCount(), 4);
        for (int i = 0; i < 4; ++i)
            QCOMPARE(m2->data(m2->index(i, SweepTableModel::ThroughputColumn), SweepTableModel::SortRole).toDouble(),
                     m->data(m->index(i, SweepTableModel::ThroughputColumn), SweepTableModel::SortRole).toDouble());
        QCOMPARE(again.dashboard()->pointIndicatorText(), QStringLiteral("Showing point 4 of 4: ") + labels[3]);
    }

    // Nothing left behind: the ring is gone, the runner too.
    QVERIFY(!QFileInfo::exists(QStringLiteral("/dev/shm") + ring));
    QVERIFY2(ourRings().isEmpty(), qPrintable(ourRings().join(QLatin1Char(' '))));
    QTRY_VERIFY_WITH_TIMEOUT(processGone(outcome.runnerPid), 3000);
    QVERIFY(w.runAction()->isEnabled());
}

void TestSweepRun::stopMidSweepStopsEverything()
{
    if (!haveRunner())
        QSKIP("CLAB_RUNNER does not name the runner executable (CTest sets it)");
    ExperimentSpec spec = shortSweep(3.0);
    spec.execution = ExecutionModel::Processes; // worker processes must not outlive the stop either
    MainWindow w;
    w.setConfirmDiscard(false);
    w.loadSpec(spec);
    w.show();
    RunController *c = w.controller();
    QSignalSpy point(c, &RunController::pointStarted);
    QSignalSpy finished(c, &RunController::runFinished);
    w.run();
    QVERIFY(point.count() >= 1 || point.wait(20000)); // the second point runs
    QTRY_VERIFY_WITH_TIMEOUT(c->store().samplesIngested() > 5, 5000);
    const qint64 runner = c->runnerPid();
    w.stopAction()->trigger();
    QVERIFY(finished.count() == 1 || finished.wait(20000));
    const auto outcome = finished.at(0).at(0).value<RunOutcome>();
    QCOMPARE(outcome.kind, RunOutcome::Kind::Stopped);
    QVERIFY2(outcome.message.contains(QStringLiteral("Stopped the sweep during point 2 of 4")), qPrintable(outcome.message));
    // No further point ran: the file holds the first point and the stopped second one.
    QVERIFY(outcome.sweep);
    QCOMPARE(outcome.sweep->size(), std::size_t{2});
    QCOMPARE(outcome.sweep->back().result.status, std::string("stopped"));
    QCOMPARE(point.count(), 1);
    QCOMPARE(w.dashboard()->sweepModel()->rowCount(), 2);
    QVERIFY(w.bannerText().contains(QStringLiteral("Stopped")));
    QVERIFY(ourRings().isEmpty());
    QTRY_VERIFY_WITH_TIMEOUT(processGone(runner), 3000);
    for (const model::PointResult &p : *outcome.sweep) {
        for (const WorkerResult &wr : p.result.workers)
            QTRY_VERIFY_WITH_TIMEOUT(processGone(wr.pid), 3000);
    }
    QVERIFY(w.runAction()->isEnabled());
}

void TestSweepRun::failedPointIsReportedAndDataKept()
{
    if (!haveRunner())
        QSKIP("CLAB_RUNNER does not name the runner executable (CTest sets it)");
    // The second variant makes no progress (each operation sleeps 1 s) and the stall check fails it.
    ExperimentSpec spec = shortSweep(0.3);
    spec.sweep.clear();
    spec.warmupNs = 0;
    spec.variants = {Variant{"busy", {}}, Variant{"asleep", {{"workload.thinkTime", "\"1 s\""}, {"duration", "\"5 s\""}}}};
    MainWindow w;
    w.setConfirmDiscard(false);
    w.loadSpec(spec);
    QVERIFY(w.form()->isValid());
    w.controller()->setStallTimeout(0.4);
    QSignalSpy failed(w.controller(), &RunController::runFailed);
    QSignalSpy result(w.controller(), &RunController::resultAvailable);
    w.run();
    QVERIFY(failed.count() == 1 || failed.wait(30000));
    const QString reason = failed.at(0).at(0).toString();
    QVERIFY2(reason.contains(QStringLiteral("point 2 of 2 (asleep) failed")), qPrintable(reason));
    QVERIFY2(reason.contains(QStringLiteral("no worker made progress")), qPrintable(reason));
    QVERIFY(w.bannerText().contains(QStringLiteral("asleep")));
    // The data so far is kept: both points in the table, the failed one marked, the good one plotted.
    const auto outcome = result.at(0).at(0).value<RunOutcome>();
    QVERIFY(outcome.sweep);
    QCOMPARE(outcome.sweep->size(), std::size_t{2});
    SweepTableModel *m = w.dashboard()->sweepModel();
    QCOMPARE(m->rowCount(), 2);
    QCOMPARE(m->data(m->index(0, SweepTableModel::StatusColumn)).toString(), QStringLiteral("finished"));
    QCOMPARE(m->data(m->index(1, SweepTableModel::StatusColumn)).toString(), QStringLiteral("failed"));
    QVERIFY(w.dashboard()->scalingChart()->hasData());
    QVERIFY(ourRings().isEmpty());
    QVERIFY(w.runAction()->isEnabled());
}

void TestSweepRun::pointTrackerFollowsLanes()
{
    // Points with 1, 2 and 1 workers: lane 1 skips the points it has no worker in.
    SweepPointTracker t;
    t.reset({1, 2, 1, 2});
    const auto sample = [](std::uint64_t tNs, std::uint32_t flags = 0) {
        clab_sample s{};
        s.t_ns = tNs;
        s.flags = flags;
        return s;
    };
    QCOMPARE(t.classify(0, sample(10), 0), 0u);
    QCOMPARE(t.classify(0, sample(20, CLAB_SAMPLE_FINAL), 0), 0u);
    // The runner has not announced point 1 yet: nothing can be ahead of it.
    QCOMPARE(t.classify(0, sample(30), 0), 0u);
    QCOMPARE(t.classify(0, sample(5), 1), 1u);  // time went backwards: a new start gate
    QCOMPARE(t.classify(1, sample(7), 1), 1u);  // lane 1's first point is point 1
    QCOMPARE(t.classify(1, sample(9, CLAB_SAMPLE_FINAL), 1), 1u);
    QCOMPARE(t.classify(0, sample(50, CLAB_SAMPLE_FINAL), 1), 1u);
    QCOMPARE(t.classify(0, sample(60), 2), 2u);  // after the final sample
    QCOMPARE(t.classify(1, sample(4), 3), 3u);   // point 2 has no worker in lane 1
}

void TestSweepRun::summaryGroupsPointsBySweepValues()
{
    // Ping-pong, two placements (variants) × two transports × two sizes; results made up.
    ExperimentSpec base;
    base.name = "IPC";
    base.execution = ExecutionModel::Processes;
    base.workers = 2;
    base.durationNs = 100'000'000;
    base.primitive = PrimitiveKind::MessagePassing;
    base.variants = {Variant{"same CPU", {{"placement", "\"same-cpu\""}}}, Variant{"across CPUs", {{"placement", "\"spread\""}}}};
    base.sweep = {SweepAxis{"primitive.transport", {"\"pipe\"", "\"shm-channel\""}}, SweepAxis{"primitive.messageSize", {"64", "\"1 KiB\""}}};
    QList<model::FieldError> errors;
    const QList<model::SweepPoint> expansion = model::expandSweep(base, &errors);
    QVERIFY(errors.isEmpty());
    QCOMPARE(expansion.size(), 8);
    std::vector<model::PointResult> points;
    for (qsizetype i = 0; i < expansion.size(); ++i) {
        model::PointResult p{expansion[i].label, expansion[i].values, expansion[i].spec, {}};
        p.result.status = i == 5 ? "failed" : "finished";
        p.result.wallNs = 1'000'000'000;
        for (std::uint32_t w = 0; w < 2; ++w) {
            WorkerResult wr;
            wr.index = w;
            wr.ops = static_cast<std::uint64_t>(1000 * (i + 1));
            wr.measuredNs = 1'000'000'000;
            p.result.workers.push_back(wr);
        }
        p.result.figures.push_back({"roundTripP50", "Round trip, median", 1000.0 * static_cast<double>(i + 1), "ns"});
        p.result.figures.push_back({"roundTripP99", "Round trip, 99th percentile", 5000.0 * static_cast<double>(i + 1), "ns"});
        points.push_back(std::move(p));
    }
    const SweepSummary s = summarizeSweep(base, points);
    QCOMPARE(s.headline, SweepHeadline::RoundTrip);
    QCOMPARE(s.pointsPlanned, 8);
    QCOMPARE(s.xTitle, QStringLiteral("Message size"));
    QVERIFY(s.xNumeric);
    QVERIFY(s.xBytes);
    QVERIFY(s.xLog); // 64 B .. 1 KiB
    QCOMPARE(s.xCategories, (QStringList{QStringLiteral("64 B"), QStringLiteral("1 KiB")}));
    QCOMPARE(s.series, (QStringList{QStringLiteral("pipe, same CPU"), QStringLiteral("shm-channel, same CPU"),
                                    QStringLiteral("pipe, across CPUs"), QStringLiteral("shm-channel, across CPUs")}));
    QCOMPARE(s.seriesVariant, (std::vector<int>{0, 0, 1, 1}));
    QCOMPARE(s.baseline, QStringLiteral("same CPU"));
    QCOMPARE(s.points.size(), std::size_t{8});
    std::vector<const RunResult *> results;
    for (const model::PointResult &p : points)
        results.push_back(&p.result);
    const std::vector<double> speedUps = model::sweepSpeedUps(results, 4);
    for (std::size_t i = 0; i < 8; ++i) {
        const SweepPointFigures &f = s.points[i];
        QCOMPARE(f.series, static_cast<int>(i / 2));
        QCOMPARE(f.x, i % 2 == 0 ? 64.0 : 1024.0);
        QCOMPARE(f.p50Ns, 1000.0 * static_cast<double>(i + 1));
        QCOMPARE(f.p99Ns, 5000.0 * static_cast<double>(i + 1));
        QCOMPARE(f.opsPerSecond, metrics::totals(points[i].result.workers, points[i].result.wallNs).opsPerSecond);
        if (std::isnan(speedUps[i]))
            QVERIFY(std::isnan(f.speedUp));
        else
            QCOMPARE(f.speedUp, speedUps[i]);
    }
    // Across CPUs over the same CPU at the same transport and size; the failed point has none.
    QCOMPARE(s.points[4].speedUp, 5.0);
    QVERIFY(std::isnan(s.points[5].speedUp));
    QCOMPARE(s.points[5].status, QStringLiteral("failed"));
}

void TestSweepRun::scalingChartRescales_data()
{
    QTest::addColumn<QList<double>>("values");
    QTest::addColumn<QString>("title");
    QTest::addColumn<double>("divisor");
    // Each row starts from an empty chart (axis 0..1), then jumps: a new range must never be laid
    // out with the old tick interval (that asked for millions of ticks and hung the window).
    QTest::addRow("thousands") << QList<double>{1220, 889, 3549} << QStringLiteral("Throughput (ops/s)") << 1.0;
    QTest::addRow("millions") << QList<double>{2.1e6, 4.8e6} << QStringLiteral("Throughput (M ops/s)") << 1e6;
    QTest::addRow("wide range, log scale") << QList<double>{12.0, 150.0, 3000.0}
                                           << QStringLiteral("Throughput (ops/s), log scale") << 1.0;
}

void TestSweepRun::scalingChartRescales()
{
    QFETCH(QList<double>, values);
    QFETCH(QString, title);
    QFETCH(double, divisor);
    charts::ScalingChart chart;
    chart.resize(600, 400);
    chart.show();
    chart.setYAxis(QStringLiteral("Throughput"), QStringLiteral("ops/s"));
    chart.setXAxis(QStringLiteral("Workers"), {{1, QStringLiteral("1")}, {2, QStringLiteral("2")}, {4, QStringLiteral("4")}}, true);
    chart.setSeries({});
    QVERIFY(!chart.hasData());
    charts::ScalingSeries line{QStringLiteral("mutex"), {}, 0, Qt::SolidLine};
    for (qsizetype i = 0; i < values.size(); ++i)
        line.points.append(QPointF(std::pow(2.0, static_cast<double>(i)), values[i]));
    chart.setSeries({line});
    QVERIFY(chart.hasData());
    QCOMPARE(chart.yAxisTitle(), title);
    const QList<QPointF> pts = chart.seriesPoints(0);
    QCOMPARE(pts.size(), values.size());
    for (qsizetype i = 0; i < values.size(); ++i) {
        QCOMPARE(pts[i].x(), static_cast<double>(i)); // log2 of 1, 2, 4
        QCOMPARE(pts[i].y() * divisor, values[i]);
    }
    chart.clear(); // and back down
    QVERIFY(!chart.hasData());
    QVERIFY(!chart.toImage().isNull());
}

QTEST_MAIN(TestSweepRun)
#include "tst_sweep_run.moc"
