// Tests of the thread-lifecycle experiment: create-join counts (threads and processes), join with a
// timeout, daemon vs non-daemon workers when the main worker exits, the main worker's timeline,
// and what happens when a worker is killed (nobody hangs, nothing is left in the process table).
#include "experiment_spec.h"
#include "run_supervisor.h"
#include "stats_ring.h"

#include "tsan_qt_suppressions.h"

#include <QTest>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <dirent.h>
#include <stdexcept>
#include <string>
#include <sys/wait.h>
#include <unistd.h>

using namespace clab;

Q_DECLARE_METATYPE(clab::ExecutionModel)

namespace {

ExperimentSpec createJoinSpec(ExecutionModel exec, std::uint64_t ops)
{
    ExperimentSpec spec;
    spec.name = "lifecycle test";
    spec.primitive = PrimitiveKind::Lifecycle;
    spec.execution = exec;
    spec.workers = 2;
    spec.placement = PlacementPolicy::Spread;
    spec.durationNs = 0;
    spec.operationsPerWorker = ops;
    spec.sampleIntervalNs = 10'000'000;
    spec.lifecycle.mode = LifecycleMode::CreateJoin;
    return spec;
}

// Worker 0 main, workers 1..2 daemons, worker 3 a non-daemon doing 60 operations of 2 ms.
ExperimentSpec daemonSpec(ExecutionModel exec)
{
    ExperimentSpec spec;
    spec.name = "daemon test";
    spec.primitive = PrimitiveKind::Lifecycle;
    spec.execution = exec;
    spec.workers = 4;
    spec.placement = PlacementPolicy::Unpinned;
    spec.durationNs = 0;
    spec.operationsPerWorker = 60;
    spec.sampleIntervalNs = 5'000'000;
    spec.lifecycle.mode = LifecycleMode::Daemon;
    spec.lifecycle.daemonWorkers = 2;
    spec.lifecycle.mainWorkNs = 30'000'000;
    spec.workload.cpuWorkNs = 100'000;
    spec.workload.thinkTimeNs = 1'900'000;
    return spec;
}

RunResult run(const ExperimentSpec &spec)
{
    StatsRing ring = StatsRing::createAnonymous(spec.workers, recommendedLaneCapacity(spec.sampleIntervalNs));
    return runExperiment(spec, ring, SupervisorOptions{}, RunHooks{});
}

double figure(const RunResult &r, const std::string &name)
{
    for (const NamedFigure &f : r.figures) {
        if (f.name == name)
            return f.value;
    }
    return std::nan("");
}

const ResultCheck *check(const RunResult &r, const std::string &name)
{
    for (const ResultCheck &c : r.checks) {
        if (c.name == name)
            return &c;
    }
    return nullptr;
}

std::string runError(const ExperimentSpec &spec)
{
    try {
        const RunResult r = run(spec);
        return "(no error; status " + r.status + ")";
    } catch (const std::runtime_error &e) {
        return e.what();
    }
}

// Live processes (not zombies) whose name is this test's, other than this process: forked workers
// and their fork-only children keep the parent's name.
int strayCopiesOfThisProgram()
{
    char self[64] = {};
    if (std::FILE *f = std::fopen("/proc/self/comm", "re")) {
        if (!std::fgets(self, sizeof self, f))
            self[0] = 0;
        std::fclose(f);
    }
    int n = 0;
    DIR *d = opendir("/proc");
    if (!d)
        return 0;
    while (dirent *e = readdir(d)) {
        const int pid = std::atoi(e->d_name);
        if (pid <= 0 || pid == getpid())
            continue;
        char path[64], comm[64] = {}, stat[512] = {};
        std::snprintf(path, sizeof path, "/proc/%d/comm", pid);
        if (std::FILE *f = std::fopen(path, "re")) {
            if (!std::fgets(comm, sizeof comm, f))
                comm[0] = 0;
            std::fclose(f);
        }
        if (std::strcmp(comm, self) != 0)
            continue;
        std::snprintf(path, sizeof path, "/proc/%d/stat", pid);
        if (std::FILE *f = std::fopen(path, "re")) {
            if (!std::fgets(stat, sizeof stat, f))
                stat[0] = 0;
            std::fclose(f);
        }
        const char *close = std::strrchr(stat, ')');
        if (close && close[1] == ' ' && close[2] != 'Z')
            ++n;
    }
    closedir(d);
    return n;
}

} // namespace

class TestLifecycle : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void createJoin_data();
    void createJoin();
    void joinTimeout_data();
    void joinTimeout();
    void daemons_data();
    void daemons();
    void daemonJoinTimeout();
    void killedNonDaemonDoesNotHangTheMain();
    void killedWorkerLeavesNoChildren();
    void refusedParameters_data();
    void refusedParameters();
};

void TestLifecycle::createJoin_data()
{
    QTest::addColumn<ExecutionModel>("exec");
    QTest::addColumn<bool>("execChild");
    QTest::addColumn<quint64>("ops");
    QTest::addRow("threads: pthread_create + join") << ExecutionModel::Threads << false << quint64(300);
    QTest::addRow("sequential: threads, one worker at a time") << ExecutionModel::Sequential << false << quint64(100);
    QTest::addRow("processes: fork + exec /bin/true + waitpid") << ExecutionModel::Processes << true << quint64(40);
    QTest::addRow("processes: fork + _exit + waitpid") << ExecutionModel::Processes << false << quint64(80);
}

void TestLifecycle::createJoin()
{
    QFETCH(ExecutionModel, exec);
    QFETCH(bool, execChild);
    QFETCH(quint64, ops);
    ExperimentSpec spec = createJoinSpec(exec, ops);
    spec.lifecycle.execChild = execChild;
    const RunResult r = run(spec);
    QCOMPARE(r.status, std::string("finished"));
    QCOMPARE(figure(r, "created"), static_cast<double>(2 * ops));
    QCOMPARE(figure(r, "joined"), static_cast<double>(2 * ops));
    QCOMPARE(figure(r, "joinTimeouts"), 0.0);
    for (const WorkerResult &w : r.workers) {
        QCOMPARE(w.ops, ops);
        QCOMPARE(w.latency.count, ops); // every create -> joined is timed
        QVERIFY(w.latency.p50Ns > 1'000); // creating and joining a thread takes microseconds
    }
    QVERIFY(figure(r, "createJoinMedian") > 0);
    const ResultCheck *c = check(r, "allJoined");
    QVERIFY(c);
    QVERIFY2(c->passed, c->detail.c_str());
    // Everything created was reaped: this process has no child left over.
    QCOMPARE(waitpid(-1, nullptr, WNOHANG), -1);
    QCOMPARE(errno, ECHILD);
}

void TestLifecycle::joinTimeout_data()
{
    QTest::addColumn<ExecutionModel>("exec");
    QTest::addRow("threads: pthread_clockjoin_np") << ExecutionModel::Threads;
    QTest::addRow("processes: pidfd + poll") << ExecutionModel::Processes;
}

void TestLifecycle::joinTimeout()
{
    // The child works 5 ms, the join waits 1 ms: every join(timeout) returns with the child alive,
    // which is then joined for good.
    QFETCH(ExecutionModel, exec);
    ExperimentSpec spec = createJoinSpec(exec, 20);
    spec.lifecycle.execChild = false;
    spec.lifecycle.joinTimeoutNs = 1'000'000;
    spec.workload.cpuWorkNs = 5'000'000;
    const RunResult r = run(spec);
    QCOMPARE(r.status, std::string("finished"));
    // A join can only time out while the child still runs: a parent descheduled for the child's
    // whole 5 ms (a loaded machine) finds it done, so not every join must time out, but some must,
    // and every child is joined in the end.
    QVERIFY2(figure(r, "joinTimeouts") >= 1.0 && figure(r, "joinTimeouts") <= 40.0,
             qPrintable(QString::number(figure(r, "joinTimeouts"))));
    QCOMPARE(figure(r, "joined"), 40.0);
    for (const WorkerResult &w : r.workers)
        QVERIFY(w.latency.p50Ns >= 4'500'000); // joined only after the child's work
    QVERIFY(check(r, "allJoined") && check(r, "allJoined")->passed);
}

void TestLifecycle::daemons_data()
{
    QTest::addColumn<ExecutionModel>("exec");
    QTest::addRow("threads") << ExecutionModel::Threads;
    QTest::addRow("processes") << ExecutionModel::Processes;
}

void TestLifecycle::daemons()
{
    QFETCH(ExecutionModel, exec);
    const ExperimentSpec spec = daemonSpec(exec);
    const RunResult r = run(spec);
    QCOMPARE(r.status, std::string("finished"));
    const ResultCheck *d = check(r, "daemonsAbandoned");
    const ResultCheck *n = check(r, "nonDaemonsCompleted");
    QVERIFY(d && n);
    QVERIFY2(d->passed, d->detail.c_str());
    QVERIFY2(n->passed, n->detail.c_str());
    QCOMPARE(figure(r, "daemonsKilledWithMain"), 2.0);
    QCOMPARE(figure(r, "nonDaemonsFinished"), 1.0);
    QCOMPARE(r.workers[3].ops, std::uint64_t{60}); // the non-daemon did all its work
    // The main worker outlived its own 30 ms of work: it waited for the non-daemon (60 x ~2 ms).
    const double life = figure(r, "mainLifetime");
    QVERIFY2(life >= 0.1, qPrintable(QString::number(life)));
    // Daemons ran as long as the main worker, then stopped with it.
    for (std::size_t i = 1; i <= 2; ++i) {
        QVERIFY(r.workers[i].ops > 0);
        QVERIFY(static_cast<double>(r.workers[i].measuredNs) / 1e9 >= life * 0.9);
    }
    // The main worker's timeline: running, then waiting (joining), with the change published.
    bool sawRunning = false, sawWaiting = false, waitingAfterRunning = false;
    for (const SeriesPoint &p : r.series) {
        if (p.worker != 0 || (p.sample.flags & CLAB_SAMPLE_WARMUP) != 0)
            continue;
        if (p.sample.state == CLAB_WORKER_RUNNING)
            sawRunning = true;
        if (p.sample.state == CLAB_WORKER_WAITING) {
            sawWaiting = true;
            waitingAfterRunning = sawRunning;
        }
    }
    QVERIFY(sawRunning);
    QVERIFY(sawWaiting);
    QVERIFY(waitingAfterRunning);
}

void TestLifecycle::daemonJoinTimeout()
{
    // join(timeout=10 ms) on a non-daemon that needs ~120 ms returns with it alive; the exit still
    // waits for it (non-daemons always finish before the main worker's exit).
    ExperimentSpec spec = daemonSpec(ExecutionModel::Threads);
    spec.lifecycle.joinTimeoutNs = 10'000'000;
    const RunResult r = run(spec);
    QCOMPARE(r.status, std::string("finished"));
    QCOMPARE(figure(r, "joinTimeouts"), 1.0);
    QVERIFY(check(r, "nonDaemonsCompleted") && check(r, "nonDaemonsCompleted")->passed);
    QVERIFY(check(r, "daemonsAbandoned") && check(r, "daemonsAbandoned")->passed);
}

void TestLifecycle::killedNonDaemonDoesNotHangTheMain()
{
    // Processes mode: the non-daemon is SIGKILLed while the main worker joins it. The run must end
    // with an error naming it, and the main worker must stop, not wait forever.
    ExperimentSpec spec = daemonSpec(ExecutionModel::Processes);
    spec.operationsPerWorker = 100'000; // far more than the run will allow
    std::atomic<bool> killed{false};
    StatsRing ring = StatsRing::createAnonymous(spec.workers, recommendedLaneCapacity(spec.sampleIntervalNs));
    RunHooks hooks;
    hooks.onProgress = [&](const RunProgress &p) {
        if (!killed && p.elapsedNs > 100'000'000) {
            const auto *prod = reinterpret_cast<const clab_lane_producer *>(ring.lane(3));
            const int pid = std::atomic_ref<const std::int32_t>(prod->pid).load();
            if (pid > 0 && pid != getpid()) {
                ::kill(pid, SIGKILL);
                killed = true;
            }
        }
    };
    const auto t0 = std::chrono::steady_clock::now();
    const RunResult r = runExperiment(spec, ring, SupervisorOptions{}, hooks);
    const auto took = std::chrono::steady_clock::now() - t0;
    QVERIFY(killed);
    QCOMPARE(r.status, std::string("failed"));
    QVERIFY2(r.error.find("worker 3") != std::string::npos, r.error.c_str());
    QVERIFY2(took < std::chrono::seconds(2), "the main worker hung in its join");
    QCOMPARE(r.workers[0].exitState, std::string("finished")); // it stopped cooperatively, was not killed
}

void TestLifecycle::killedWorkerLeavesNoChildren()
{
    // Processes mode: a worker SIGKILLed mid-run takes its child with it (PR_SET_PDEATHSIG), so
    // nothing of the run stays in the process table.
    // The detector sees a forked copy of this program (so that its 0 below means something).
    const pid_t probe = fork();
    if (probe == 0) {
        pause();
        _exit(0);
    }
    QVERIFY(probe > 0);
    QTRY_COMPARE_WITH_TIMEOUT(strayCopiesOfThisProgram(), 1, 2000);
    ::kill(probe, SIGKILL);
    waitpid(probe, nullptr, 0);
    QCOMPARE(strayCopiesOfThisProgram(), 0);

    // One worker whose fork-only child computes for 5 s: only PR_SET_PDEATHSIG ends it sooner.
    ExperimentSpec spec = createJoinSpec(ExecutionModel::Processes, 1'000);
    spec.workers = 1;
    spec.lifecycle.execChild = false;
    spec.workload.cpuWorkNs = 5'000'000'000;
    std::atomic<bool> killed{false};
    StatsRing ring = StatsRing::createAnonymous(spec.workers, recommendedLaneCapacity(spec.sampleIntervalNs));
    RunHooks hooks;
    hooks.onProgress = [&](const RunProgress &p) {
        if (!killed && p.elapsedNs > 120'000'000) {
            const auto *prod = reinterpret_cast<const clab_lane_producer *>(ring.lane(0));
            const int pid = std::atomic_ref<const std::int32_t>(prod->pid).load();
            if (pid > 0 && pid != getpid()) {
                ::kill(pid, SIGKILL);
                killed = true;
            }
        }
    };
    const RunResult r = runExperiment(spec, ring, SupervisorOptions{}, hooks);
    QVERIFY(killed);
    QCOMPARE(r.status, std::string("failed"));
    QVERIFY2(r.error.find("worker 0") != std::string::npos, r.error.c_str());
    QTRY_COMPARE_WITH_TIMEOUT(strayCopiesOfThisProgram(), 0, 2000);
}

void TestLifecycle::refusedParameters_data()
{
    QTest::addColumn<int>("which");
    QTest::addColumn<QString>("mustMention");
    QTest::addRow("daemon mode, sequential") << 0 << QStringLiteral("execution");
    QTest::addRow("every worker a daemon") << 1 << QStringLiteral("primitive.daemonWorkers");
    QTest::addRow("daemon mode bounded by a duration") << 2 << QStringLiteral("operations");
    QTest::addRow("daemon mode with a warm-up") << 3 << QStringLiteral("warmup");
    QTest::addRow("a critical section (there is none)") << 4 << QStringLiteral("workload.criticalSection");
}

void TestLifecycle::refusedParameters()
{
    QFETCH(int, which);
    QFETCH(QString, mustMention);
    ExperimentSpec spec = daemonSpec(ExecutionModel::Threads);
    switch (which) {
    case 0: spec.execution = ExecutionModel::Sequential; break;
    case 1: spec.lifecycle.daemonWorkers = 4; break;
    case 2:
        spec.operationsPerWorker = 0;
        spec.durationNs = 100'000'000;
        break;
    case 3: spec.warmupNs = 10'000'000; break;
    case 4: spec.workload.criticalSectionNs = 1'000; break;
    }
    const std::string error = runError(spec);
    QVERIFY2(QString::fromStdString(error).startsWith(mustMention), error.c_str());
}

QTEST_GUILESS_MAIN(TestLifecycle)
#include "tst_lifecycle.moc"
