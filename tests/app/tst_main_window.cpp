// End to end with the real runner: run, watch every chart fill, compare the table with the result
// file; kill the runner mid-run; stop mid-run; reopen a result; export charts; keep the layout.
// Without a runner: the editor's first tab fits the default window, the Scaling tab only opens
// for a sweep, and the lost updates say that they count the warm-up.
#include "chart_panel.h"
#include "experiment_file.h"
#include "experiment_form.h"
#include "histogram_chart.h"
#include "main_window.h"
#include "metrics.h"
#include "result_file.h"
#include "run_dashboard.h"
#include "run_history_model.h"
#include "sweep_table_model.h"
#include "time_series_chart.h"
#include "timeline_view.h"
#include "worker_table_model.h"

#include <QAction>
#include <QDir>
#include <QDockWidget>
#include <QFile>
#include <QFileInfo>
#include <QImage>
#include <QScrollArea>
#include <QScrollBar>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTabWidget>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>

#include <cerrno>
#include <csignal>
#include <sys/types.h>

using namespace clab;
using namespace clab::app;

namespace {

ExperimentSpec experiment(double seconds, std::uint32_t workers = 2, Guard guard = Guard::Mutex,
                          ExecutionModel execution = ExecutionModel::Threads)
{
    ExperimentSpec s;
    s.name = "App end-to-end";
    s.topic = "Locks";
    s.prediction = "With the mutex no update is lost.";
    s.execution = execution;
    s.workers = workers;
    s.durationNs = static_cast<std::uint64_t>(seconds * 1e9);
    s.sampleIntervalNs = 10'000'000;
    s.lock.guard = guard;
    s.workload.cpuWorkNs = 200;
    s.workload.criticalSectionNs = 100;
    return s;
}

bool processGone(qint64 pid)
{
    return pid > 0 && ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH;
}

bool ringGone(const QString &name)
{
    return !name.isEmpty() && !QFileInfo::exists(QStringLiteral("/dev/shm") + name);
}

// A finished run as the runner would write it: every worker did `ops` measured operations after
// `warmupOps` in the warm-up, and the shared counter holds every increment.
RunResult finishedRun(std::uint32_t workers, std::uint64_t ops, std::uint64_t warmupOps)
{
    RunResult r;
    r.status = "finished";
    r.startRealtimeNs = 1'700'000'000'000'000'000ULL;
    r.wallNs = 100'000'000;
    r.machine.cpuModel = "Test CPU";
    r.machine.logicalCpus = 2;
    for (std::uint32_t i = 0; i < workers; ++i) {
        WorkerResult w;
        w.index = i;
        w.exitState = "finished";
        w.finalValid = true;
        w.ops = ops;
        w.opsTotal = ops + warmupOps;
        w.measuredNs = r.wallNs;
        r.workers.push_back(w);
    }
    const std::uint64_t increments = std::uint64_t{workers} * (ops + warmupOps);
    r.counter = CounterCheck{increments, increments};
    return r;
}

QScrollArea *scrollAreaOf(const QWidget *w)
{
    for (QWidget *p = w->parentWidget(); p; p = p->parentWidget()) {
        if (auto *area = qobject_cast<QScrollArea *>(p))
            return area;
    }
    return nullptr;
}

} // namespace

class TestMainWindow : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void init();
    void runEndToEnd();
    void messagePassingShowsRoundTripsAndQueueDepth();
    void reopenResultAndExport();
    void killedRunnerIsReportedAndRunWorksAgain();
    void stopMidRunLeavesNothingBehind();
    void runnerMissingIsReported();
    void runnerRefusalIsReported();
    void layoutIsRestored();
    void opensExperimentFromFile();
    void experimentFitsAtDefaultSize();
    void scalingTabOnlyForSweeps();
    void lostUpdatesSayTheyCountTheWarmup();

private:
    QString writeExperiment(const ExperimentSpec &spec, const QString &name);
    bool haveRunner() const { return QFileInfo(qEnvironmentVariable("CLAB_RUNNER")).isExecutable(); }

    QTemporaryDir m_dir;
    QString m_lastResult;
};

void TestMainWindow::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
    QVERIFY(m_dir.isValid());
}

void TestMainWindow::init()
{
    QSettings().clear();
}

QString TestMainWindow::writeExperiment(const ExperimentSpec &spec, const QString &name)
{
    const QString path = m_dir.filePath(name);
    QString error;
    if (!model::saveExperiment(spec, path, &error))
        qWarning("%s", qPrintable(error));
    return path;
}

void TestMainWindow::runEndToEnd()
{
    if (!haveRunner())
        QSKIP("CLAB_RUNNER does not name the runner executable (CTest sets it)");
    MainWindow w;
    w.setConfirmDiscard(false);
    QVERIFY(w.openExperiment(writeExperiment(experiment(1.0), QStringLiteral("e2e.cclab"))));
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    RunController *c = w.controller();
    QSignalSpy started(c, &RunController::runStarted);
    QSignalSpy finished(c, &RunController::runFinished);
    QSignalSpy failed(c, &RunController::runFailed);
    w.runAction()->trigger();
    QVERIFY(started.count() == 1 || started.wait(5000));
    QVERIFY(!w.runAction()->isEnabled());
    QVERIFY(w.stopAction()->isEnabled());
    // Live: data within a second of the start, and the status bar names the runner.
    QTRY_VERIFY_WITH_TIMEOUT(w.dashboard()->totalThroughputChart()->hasData(), 3000);
    QTRY_VERIFY_WITH_TIMEOUT(w.statusText().contains(QStringLiteral("runner %1").arg(c->runnerPid())), 2000);
    QVERIFY(w.statusText().contains(QStringLiteral("samples/s")));
    const QString ring = c->ringName();
    QVERIFY(ring.startsWith(QStringLiteral("/clab-")));

    QVERIFY(finished.count() == 1 || finished.wait(30000));
    QCOMPARE(failed.count(), 0);
    const auto outcome = finished.at(0).at(0).value<RunOutcome>();
    QCOMPARE(outcome.kind, RunOutcome::Kind::Finished);
    QVERIFY(QFileInfo::exists(outcome.resultPath));
    m_lastResult = m_dir.filePath(QStringLiteral("kept-result.json"));
    QFile::remove(m_lastResult);
    QVERIFY(QFile::copy(outcome.resultPath, m_lastResult));

    // Every chart received data (the State chart explains that a lock has no state to plot).
    RunDashboard *d = w.dashboard();
    d->refreshAllPages();
    QVERIFY(d->totalThroughputChart()->hasData());
    QVERIFY(d->workerThroughputChart()->hasData());
    QCOMPARE(d->workerThroughputChart()->seriesCount(), 2);
    QVERIFY(d->workerThroughputChart()->pointCount(0) > 10);
    QVERIFY(d->workerThroughputChart()->pointCount(1) > 10);
    QVERIFY(d->chart(RunDashboard::ContentionPage)->hasData());
    QVERIFY(d->chart(RunDashboard::LatencyPage)->hasData());
    QVERIFY(d->chart(RunDashboard::TimelinePage)->hasData());
    QVERIFY(!d->chart(RunDashboard::StatePage)->hasData());
    QVERIFY(d->chart(RunDashboard::StatePage)->placeholderText().contains(QStringLiteral("no state")));
    const auto *latency = qobject_cast<charts::HistogramChart *>(d->chart(RunDashboard::LatencyPage));
    QVERIFY(latency);
    QCOMPARE(latency->markerLabels().size(), 5);

    // The table shows every worker, and its totals are the result file's.
    const model::ResultLoad load = model::loadResult(outcome.resultPath);
    QVERIFY2(load.ok(), qPrintable(load.error));
    const RunResult &r = *load.result;
    QCOMPARE(r.workers.size(), std::size_t{2});
    WorkerTableModel *m = d->tableModel();
    QCOMPARE(m->workerCount(), 2);
    QCOMPARE(m->rowCount(), 3);
    const metrics::Totals t = metrics::totals(r.workers, r.wallNs);
    QVERIFY(t.ops > 0);
    const int total = m->rowCount() - 1;
    QCOMPARE(m->data(m->index(total, WorkerTableModel::OpsColumn), WorkerTableModel::SortRole).toULongLong(), t.ops);
    QCOMPARE(m->data(m->index(total, WorkerTableModel::OpsPerSecondColumn), WorkerTableModel::SortRole).toDouble(),
             t.opsPerSecond);
    for (int i = 0; i < 2; ++i) {
        QCOMPARE(m->data(m->index(i, WorkerTableModel::WorkerColumn)).toString(), QStringLiteral("W%1").arg(i));
        QCOMPARE(m->row(i).ops, r.workers[static_cast<std::size_t>(i)].ops);
        QCOMPARE(m->row(i).opsPerSecond, metrics::opsPerSecond(r.workers[static_cast<std::size_t>(i)]));
    }
    // The prediction sits beside the result, with its verdict.
    QVERIFY(r.counter.has_value());
    QCOMPARE(r.counter->lost(), std::int64_t{0});
    QVERIFY(d->predictionText().contains(QStringLiteral("With the mutex no update is lost.")));
    QVERIFY(d->predictionText().contains(QStringLiteral("Holds")));
    QVERIFY(!d->predictionContradicted());
    QVERIFY(w.bannerText().contains(QStringLiteral("Finished")));

    QVERIFY(w.statusText().contains(QStringLiteral("Finished")));
    QVERIFY(w.runAction()->isEnabled());
    QVERIFY(!w.stopAction()->isEnabled());
    QCOMPARE(w.historyModel()->runCount(), 1);
    QVERIFY(ringGone(ring));
    QTRY_VERIFY_WITH_TIMEOUT(processGone(outcome.runnerPid), 2000);
}

void TestMainWindow::messagePassingShowsRoundTripsAndQueueDepth()
{
    if (!haveRunner())
        QSKIP("CLAB_RUNNER does not name the runner executable (CTest sets it)");
    MainWindow w;
    w.setConfirmDiscard(false);
    ExperimentSpec s = experiment(1.0);
    s.name = "Pipe ping-pong";
    s.topic = "Pipes";
    s.prediction.clear();
    s.primitive = PrimitiveKind::MessagePassing;
    s.messaging.transport = Transport::Pipe;
    s.messaging.pattern = MessagePattern::PingPong;
    s.placement = PlacementPolicy::SameCpu;
    s.workload = Workload{};
    QVERIFY(w.openExperiment(writeExperiment(s, QStringLiteral("pingpong.cclab"))));
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    QSignalSpy finished(w.controller(), &RunController::runFinished);
    w.dashboard()->setCurrentPage(RunDashboard::ContentionPage);
    w.runAction()->trigger();
    // Live: the round trip's p50 and p99 over time, and the pipe's queue depth, both with data.
    auto *roundTrip = qobject_cast<charts::TimeSeriesChart *>(w.dashboard()->chart(RunDashboard::ContentionPage));
    QVERIFY(roundTrip);
    auto *depth = w.dashboard()->findChild<charts::TimeSeriesChart *>(QStringLiteral("contendedChart"));
    QVERIFY(depth);
    QTRY_VERIFY_WITH_TIMEOUT(roundTrip->hasData(), 5000);
    QCOMPARE(roundTrip->seriesCount(), 2);
    QCOMPARE(roundTrip->seriesName(0), QStringLiteral("median (p50)"));
    QVERIFY(finished.count() == 1 || finished.wait(30000));
    QVERIFY(roundTrip->pointCount(0) > 5);
    QVERIFY(roundTrip->pointCount(1) > 5);
    // The axis is in a time unit (a pipe round trip on one CPU: µs).
    QVERIFY2(roundTrip->yAxisTitle().startsWith(QStringLiteral("Round trip (")), qPrintable(roundTrip->yAxisTitle()));
    QVERIFY(roundTrip->yAxisMax() > 0);
    QVERIFY(depth->hasData());
    QVERIFY(depth->pointCount(0) > 5);
    QCOMPARE(depth->seriesName(0), QStringLiteral("in a pair's channel (fewest and most over the pairs)"));
    // The State tab points there rather than saying the primitive has no state.
    QVERIFY2(w.dashboard()->chart(RunDashboard::StatePage)->placeholderText().contains(QStringLiteral("Contention tab")),
             qPrintable(w.dashboard()->chart(RunDashboard::StatePage)->placeholderText()));
}

void TestMainWindow::reopenResultAndExport()
{
    if (m_lastResult.isEmpty() || !QFileInfo::exists(m_lastResult))
        QSKIP("needs the result of runEndToEnd");
    MainWindow w;
    w.setConfirmDiscard(false);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    QVERIFY(w.openFile(m_lastResult));
    const model::ResultLoad load = model::loadResult(m_lastResult);
    QVERIFY(load.ok());
    RunDashboard *d = w.dashboard();
    QVERIFY(d->totalThroughputChart()->hasData());
    QCOMPARE(d->tableModel()->workerCount(), 2);
    QCOMPARE(d->tableModel()->totals().ops, metrics::totals(load.result->workers, load.result->wallNs).ops);
    QCOMPARE(w.historyModel()->runCount(), 1);

    // Figures for a report: every page exports as PNG and SVG.
    for (int page = 0; page < RunDashboard::PageCount; ++page) {
        d->setCurrentPage(static_cast<RunDashboard::Page>(page));
        const QString png = m_dir.filePath(QStringLiteral("page%1.png").arg(page));
        const QString svg = m_dir.filePath(QStringLiteral("page%1.svg").arg(page));
        QVERIFY(w.exportCurrentChart(png));
        QVERIFY(w.exportCurrentChart(svg));
        const QImage image(png);
        QVERIFY(!image.isNull());
        QVERIFY(image.width() > 100);
        QFile f(svg);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QByteArray text = f.readAll();
        QVERIFY(text.contains("<svg"));
        QVERIFY(text.size() > 1000);
    }
}

void TestMainWindow::killedRunnerIsReportedAndRunWorksAgain()
{
    if (!haveRunner())
        QSKIP("CLAB_RUNNER does not name the runner executable (CTest sets it)");
    MainWindow w;
    w.setConfirmDiscard(false);
    QVERIFY(w.openExperiment(writeExperiment(experiment(5.0), QStringLiteral("kill.cclab"))));
    w.show();
    RunController *c = w.controller();
    QSignalSpy failed(c, &RunController::runFailed);
    QSignalSpy finished(c, &RunController::runFinished);
    w.run();
    QTRY_VERIFY_WITH_TIMEOUT(c->runnerPid() > 0 && w.dashboard()->totalThroughputChart()->hasData(), 5000);
    const qint64 pid = c->runnerPid();
    const QString ring = c->ringName();
    QCOMPARE(::kill(static_cast<pid_t>(pid), SIGKILL), 0);

    QVERIFY(failed.count() == 1 || failed.wait(10000));
    const QString reason = failed.at(0).at(0).toString();
    QVERIFY2(reason.contains(QStringLiteral("killed by signal 9")), qPrintable(reason));
    QVERIFY2(reason.contains(QStringLiteral("SIGKILL")), qPrintable(reason));
    QVERIFY(w.bannerText().contains(QStringLiteral("killed")));
    QVERIFY(w.statusText().contains(QStringLiteral("Failed")));
    // The data gathered so far stays on screen.
    QVERIFY(w.dashboard()->totalThroughputChart()->hasData());
    QCOMPARE(w.dashboard()->tableModel()->workerCount(), 2);
    QVERIFY(w.dashboard()->tableModel()->totals().ops > 0);
    QVERIFY(ringGone(ring));
    QCOMPARE(finished.count(), 0);

    // And the app is usable: a second run succeeds.
    QVERIFY(w.runAction()->isEnabled());
    w.form()->editField(QStringLiteral("duration"), QStringLiteral("1 s"));
    w.run();
    QVERIFY(finished.wait(30000));
    QCOMPARE(finished.at(0).at(0).value<RunOutcome>().kind, RunOutcome::Kind::Finished);
    QCOMPARE(w.historyModel()->runCount(), 2);
    QVERIFY(ringGone(c->ringName()));
}

void TestMainWindow::stopMidRunLeavesNothingBehind()
{
    if (!haveRunner())
        QSKIP("CLAB_RUNNER does not name the runner executable (CTest sets it)");
    MainWindow w;
    w.setConfirmDiscard(false);
    // Processes, so there are worker processes that must not outlive the stop either.
    QVERIFY(w.openExperiment(writeExperiment(experiment(20.0, 3, Guard::Mutex, ExecutionModel::Processes),
                                             QStringLiteral("stop.cclab"))));
    w.show();
    RunController *c = w.controller();
    QSignalSpy finished(c, &RunController::runFinished);
    w.run();
    QTRY_VERIFY_WITH_TIMEOUT(c->runnerPid() > 0 && c->store().samplesIngested() > 20, 8000);
    const qint64 runner = c->runnerPid();
    const QString ring = c->ringName();
    w.stopAction()->trigger();
    QVERIFY(w.statusText().contains(QStringLiteral("Stopping")) || finished.count() == 1);
    QVERIFY(finished.count() == 1 || finished.wait(15000));
    const auto outcome = finished.at(0).at(0).value<RunOutcome>();
    QCOMPARE(outcome.kind, RunOutcome::Kind::Stopped);
    QVERIFY(outcome.result.has_value()); // a clean stop still writes the result
    QCOMPARE(outcome.result->status, std::string("stopped"));
    QVERIFY(ringGone(ring));
    QTRY_VERIFY_WITH_TIMEOUT(processGone(runner), 3000);
    for (const WorkerResult &wr : outcome.result->workers)
        QTRY_VERIFY_WITH_TIMEOUT(processGone(wr.pid), 3000);
    QVERIFY(w.runAction()->isEnabled());
}

void TestMainWindow::runnerMissingIsReported()
{
    MainWindow w;
    w.setConfirmDiscard(false);
    w.loadSpec(experiment(1.0));
    w.controller()->setRunnerPath(m_dir.filePath(QStringLiteral("no-such-runner")));
    QSignalSpy failed(w.controller(), &RunController::runFailed);
    w.run();
    QCOMPARE(failed.count(), 1);
    QVERIFY(failed.at(0).at(0).toString().contains(QStringLiteral("not found")));
    QVERIFY(w.bannerText().contains(QStringLiteral("CLAB_RUNNER")));
    QVERIFY(!w.controller()->isActive());
    QVERIFY(w.runAction()->isEnabled());
    QVERIFY(ringGone(w.controller()->ringName()) || w.controller()->ringName().isEmpty());
}

void TestMainWindow::runnerRefusalIsReported()
{
    if (!haveRunner())
        QSKIP("CLAB_RUNNER does not name the runner executable (CTest sets it)");
    // Valid for the file format, impossible on this machine: pin to CPU 1023.
    ExperimentSpec s = experiment(1.0);
    s.placement = PlacementPolicy::CpuList;
    s.cpuList = {1023};
    MainWindow w;
    w.setConfirmDiscard(false);
    w.loadSpec(s);
    QVERIFY(w.form()->isValid());
    QSignalSpy failed(w.controller(), &RunController::runFailed);
    w.run();
    QVERIFY(failed.count() == 1 || failed.wait(15000));
    const QString reason = failed.at(0).at(0).toString();
    QVERIFY2(reason.contains(QStringLiteral("CPU 1023")), qPrintable(reason));
    QVERIFY(ringGone(w.controller()->ringName()));
    QVERIFY(w.runAction()->isEnabled());
}

void TestMainWindow::layoutIsRestored()
{
    QByteArray geometry;
    {
        MainWindow w;
        w.setConfirmDiscard(false);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        w.resize(1000, 700);
        auto *history = w.findChild<QDockWidget *>(QStringLiteral("historyDock"));
        QVERIFY(history);
        history->hide();
        QVERIFY(w.close());
    }
    MainWindow again;
    again.show();
    QVERIFY(QTest::qWaitForWindowExposed(&again));
    QCOMPARE(again.size(), QSize(1000, 700));
    QVERIFY(again.findChild<QDockWidget *>(QStringLiteral("historyDock"))->isHidden());
    QVERIFY(!again.findChild<QDockWidget *>(QStringLiteral("presetDock"))->isHidden());
}

void TestMainWindow::opensExperimentFromFile()
{
    MainWindow w;
    w.setConfirmDiscard(false);
    ExperimentSpec s = experiment(2.0, 5, Guard::Spinlock);
    s.name = "From disk";
    const QString path = writeExperiment(s, QStringLiteral("from-disk.cclab"));
    QVERIFY(w.openFile(path));
    QCOMPARE(w.form()->spec().name, std::string("From disk"));
    QCOMPARE(w.form()->spec().workers, 5u);
    QCOMPARE(w.documentPath(), QFileInfo(path).absoluteFilePath());
    QVERIFY(w.windowTitle().contains(QStringLiteral("from-disk.cclab")));
    // Edit, save (atomic, through the model), and the file holds the edit.
    w.form()->editField(QStringLiteral("workers"), 6);
    QVERIFY(w.isWindowModified());
    QVERIFY(w.saveExperimentTo(path));
    QVERIFY(!w.isWindowModified());
    const model::ExperimentLoad load = model::loadExperiment(path);
    QVERIFY(load.ok());
    QCOMPARE(load.spec->workers, 6u);
    // A broken file is refused with the field named, and the editor keeps what it had.
    QFile broken(m_dir.filePath(QStringLiteral("broken.cclab")));
    QVERIFY(broken.open(QIODevice::WriteOnly));
    broken.write(R"({"format": "concurrency-lab", "schemaVersion": 1, "name": "x", "workers": -3})");
    broken.close();
    QVERIFY(!w.openFile(broken.fileName()));
    QVERIFY(w.bannerText().contains(QStringLiteral("workers")));
    QCOMPARE(w.form()->spec().workers, 6u);
}

void TestMainWindow::experimentFitsAtDefaultSize()
{
    const QDir presets(qEnvironmentVariable("CLAB_PRESETS_DIR"));
    const QStringList files = presets.entryList({QStringLiteral("*.cclab")}, QDir::Files, QDir::Name);
    if (qEnvironmentVariableIsEmpty("CLAB_PRESETS_DIR") || files.isEmpty())
        QSKIP("CLAB_PRESETS_DIR does not name the presets folder (CTest sets it)");
    MainWindow w;
    w.setConfirmDiscard(false);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    QCOMPARE(w.size(), QSize(1400, 880)); // the default: no saved geometry (init() cleared it)
    // Every preset: what a person sets first (execution, workers, the length) and every parameter of
    // the preset's primitive are on screen in the Experiment panel, without scrolling.
    for (const QString &file : files) {
        const model::ExperimentLoad load = model::loadExperiment(presets.filePath(file));
        QVERIFY2(load.ok(), qPrintable(load.errorText()));
        w.loadSpec(*load.spec);
        QCoreApplication::sendPostedEvents(nullptr, QEvent::LayoutRequest);
        QCoreApplication::processEvents();
        QStringList paths{QStringLiteral("execution"), QStringLiteral("workers"),
                          load.spec->operationsPerWorker != 0 ? QStringLiteral("operations")
                                                              : QStringLiteral("duration"),
                          QStringLiteral("primitive.kind")};
        for (const QString &path : w.form()->fieldPaths()) {
            if (path.startsWith(QLatin1String("primitive.")) && !paths.contains(path))
                paths << path;
        }
        QVERIFY(paths.size() > 5);
        for (const QString &path : std::as_const(paths)) {
            QWidget *editor = w.form()->editorFor(path);
            QVERIFY2(editor, qPrintable(path));
            QScrollArea *scroll = scrollAreaOf(editor);
            QVERIFY2(scroll && scroll->window() == &w, qPrintable(path));
            QCOMPARE(scroll->verticalScrollBar()->value(), 0);
            const QRect shown = scroll->viewport()->rect();
            const QRect at(editor->mapTo(scroll->viewport(), QPoint(0, 0)), editor->size());
            QVERIFY2(editor->isVisible() && shown.contains(at),
                     qPrintable(QStringLiteral("%1: %2 at y %3..%4, the panel shows y 0..%5")
                                    .arg(file, path)
                                    .arg(at.top())
                                    .arg(at.bottom())
                                    .arg(shown.bottom())));
        }
    }
}

void TestMainWindow::scalingTabOnlyForSweeps()
{
    // A sweep's result file (two guards × one and two workers) and a single run's.
    ExperimentSpec sweep = experiment(0.1, 1);
    sweep.variants = {Variant{"mutex", {{"primitive.guard", "\"mutex\""}}},
                      Variant{"atomic", {{"primitive.guard", "\"atomic\""}}}};
    sweep.sweep = {SweepAxis{"workers", {"1", "2"}}};
    QList<model::FieldError> errors;
    std::vector<model::PointResult> points;
    for (const model::SweepPoint &p : model::expandSweep(sweep, &errors))
        points.push_back({p.label, p.values, p.spec, finishedRun(p.spec.workers, 1000, 0)});
    QCOMPARE(points.size(), std::size_t{4});
    const QString sweepPath = m_dir.filePath(QStringLiteral("sweep-result.json"));
    QString error;
    QVERIFY2(model::saveSweepResult(sweep, points, sweepPath, &error), qPrintable(error));
    const QString singlePath = m_dir.filePath(QStringLiteral("single-result.json"));
    QVERIFY2(model::saveResult(experiment(0.1), finishedRun(2, 1000, 0), singlePath, &error), qPrintable(error));

    MainWindow w;
    w.setConfirmDiscard(false);
    QTabWidget *tabs = w.dashboard()->tabs();
    const int scaling = RunDashboard::ScalingPage;
    QCOMPARE(tabs->tabText(scaling).remove(QLatin1Char('&')), QStringLiteral("Scaling")); // still at its index
    // Nothing has run: there is nothing to compare, and the tab says so.
    QVERIFY(!tabs->isTabEnabled(scaling));
    QVERIFY2(tabs->tabToolTip(scaling).contains(QStringLiteral("variants or a sweep")),
             qPrintable(tabs->tabToolTip(scaling)));

    // A sweep's result: the tab opens, on show, with every point.
    QVERIFY(w.openFile(sweepPath));
    QVERIFY(tabs->isTabEnabled(scaling));
    QCOMPARE(w.dashboard()->currentPage(), RunDashboard::ScalingPage);
    QCOMPARE(w.dashboard()->sweepModel()->rowCount(), 4);

    // A single run's result: nothing to compare again; the charts of the run are on show.
    QVERIFY(w.openFile(singlePath));
    QVERIFY(!tabs->isTabEnabled(scaling));
    QVERIFY2(tabs->tabToolTip(scaling).contains(QStringLiteral("not a sweep")), qPrintable(tabs->tabToolTip(scaling)));
    QCOMPARE(w.dashboard()->currentPage(), RunDashboard::ThroughputPage);
    // Asking for it (`--page scaling`) does not show the empty page either.
    w.dashboard()->setCurrentPage(RunDashboard::ScalingPage);
    QCOMPARE(w.dashboard()->currentPage(), RunDashboard::ThroughputPage);

    // The sweep again, from the run history: enabled again.
    auto *history = w.findChild<QTableView *>(QStringLiteral("historyView"));
    QVERIFY(history);
    QCOMPARE(w.historyModel()->runCount(), 2);
    const int sweepRow = w.historyModel()->run(0).sweep ? 0 : 1;
    Q_EMIT history->activated(w.historyModel()->index(sweepRow, 0));
    QVERIFY(tabs->isTabEnabled(scaling));
    QCOMPARE(w.dashboard()->currentPage(), RunDashboard::ScalingPage);

    // Starting a single run closes it (here the runner cannot even start).
    w.controller()->setRunnerPath(m_dir.filePath(QStringLiteral("no-such-runner")));
    w.loadSpec(experiment(0.1));
    w.run();
    QVERIFY(!tabs->isTabEnabled(scaling));
    QVERIFY2(tabs->tabToolTip(scaling).contains(QStringLiteral("single run")), qPrintable(tabs->tabToolTip(scaling)));
    QVERIFY(w.dashboard()->currentPage() != RunDashboard::ScalingPage);
}

void TestMainWindow::lostUpdatesSayTheyCountTheWarmup()
{
    // 2 workers × 1000 measured operations, after 100 each in the warm-up: 2 000 operations
    // measured, 2 200 increments of the counter.
    ExperimentSpec s = experiment(0.1);
    s.warmupNs = 20'000'000;
    const QString path = m_dir.filePath(QStringLiteral("warmup-result.json"));
    QString error;
    QVERIFY2(model::saveResult(s, finishedRun(2, 1000, 100), path, &error), qPrintable(error));
    MainWindow w;
    w.setConfirmDiscard(false);
    QVERIFY(w.openFile(path));
    RunDashboard *d = w.dashboard();
    QVERIFY2(d->predictionText().contains(QStringLiteral("Holds")), qPrintable(d->predictionText()));
    QVERIFY2(d->predictionText().contains(QStringLiteral("updates lost (counted with the warm-up)")),
             qPrintable(d->predictionText()));
    QVERIFY2(d->summaryText().contains(QStringLiteral("counted with the warm-up")), qPrintable(d->summaryText()));

    // Without a warm-up the counter counts what the table counts: nothing to explain.
    s.warmupNs = 0;
    QVERIFY2(model::saveResult(s, finishedRun(2, 1000, 0), path, &error), qPrintable(error));
    QVERIFY(w.openFile(path));
    QVERIFY2(d->predictionText().contains(QStringLiteral("updates lost")), qPrintable(d->predictionText()));
    QVERIFY(!d->predictionText().contains(QStringLiteral("warm-up")));
    QVERIFY(!d->summaryText().contains(QStringLiteral("warm-up")));
}

QTEST_MAIN(TestMainWindow)
#include "tst_main_window.moc"
