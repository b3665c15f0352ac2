// Tests of the work family and the workloads: the memory workload touches the bytes it claims, the
// emulated GIL serialises CPU-bound threads (not processes) and lets IO-bound threads overlap, and
// the figures the course's performance table needs are present.
#include "experiment_spec.h"
#include "run_supervisor.h"
#include "stats_ring.h"

#include "tsan_qt_suppressions.h"

#include <QTest>

#include <cmath>
#include <sched.h>
#include <stdexcept>
#include <string>

using namespace clab;

Q_DECLARE_METATYPE(clab::ExecutionModel)

namespace {

int usableCpus()
{
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof set, &set) != 0)
        return 1;
    return CPU_COUNT(&set);
}

ExperimentSpec workSpec(ExecutionModel exec, std::uint32_t workers, bool gil)
{
    ExperimentSpec spec;
    spec.name = "work test";
    spec.primitive = PrimitiveKind::Work;
    spec.execution = exec;
    spec.workers = workers;
    spec.placement = PlacementPolicy::Spread;
    spec.durationNs = 300'000'000;
    spec.sampleIntervalNs = 10'000'000;
    spec.work.gil = gil;
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

double totalOpsPerSecond(const RunResult &r)
{
    std::uint64_t ops = 0;
    for (const WorkerResult &w : r.workers)
        ops += w.ops;
    return r.wallNs == 0 ? 0.0 : static_cast<double>(ops) * 1e9 / static_cast<double>(r.wallNs);
}

} // namespace

class TestWork : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void memoryWorkloadTouchesTheBytes_data();
    void memoryWorkloadTouchesTheBytes();
    void lockContentionRunsTheWorkload();
    void performanceFigures_data();
    void performanceFigures();
    void gilCpuBound();
    void gilIoBound();
    void gilFractionsAndSwitches();
    void gilPerProcess();
    void refusedParameters_data();
    void refusedParameters();
};

void TestWork::memoryWorkloadTouchesTheBytes_data()
{
    QTest::addColumn<ExecutionModel>("exec");
    QTest::addColumn<bool>("gil");
    QTest::addColumn<quint64>("bytes");
    QTest::addColumn<quint32>("stride");
    QTest::addColumn<quint64>("buffer");
    QTest::addColumn<quint64>("ops");
    // Without wrap-around: ops × bytes ≤ buffer, so every store lands on a fresh position.
    QTest::addRow("stride 64, threads") << ExecutionModel::Threads << false << quint64(64 * 1024) << quint32(64) << quint64(4 << 20) << quint64(40);
    QTest::addRow("stride 1, processes") << ExecutionModel::Processes << false << quint64(10'000) << quint32(1) << quint64(1 << 20) << quint64(50);
    QTest::addRow("stride 4096, sequential") << ExecutionModel::Sequential << false << quint64(1 << 20) << quint32(4096) << quint64(64 << 20) << quint64(30);
    QTest::addRow("stride 100 (not a power of two), GIL threads") << ExecutionModel::Threads << true << quint64(5'000) << quint32(100) << quint64(1 << 20) << quint64(100);
    // Wrapping: the walk covers the buffer several times; each position is written, none twice counted.
    QTest::addRow("wrap-around, threads") << ExecutionModel::Threads << false << quint64(300'000) << quint32(64) << quint64(1 << 20) << quint64(20);
}

void TestWork::memoryWorkloadTouchesTheBytes()
{
    QFETCH(ExecutionModel, exec);
    QFETCH(bool, gil);
    QFETCH(quint64, bytes);
    QFETCH(quint32, stride);
    QFETCH(quint64, buffer);
    QFETCH(quint64, ops);
    ExperimentSpec spec = workSpec(exec, 2, gil);
    spec.durationNs = 0;
    spec.operationsPerWorker = ops;
    spec.workload.memoryBytes = bytes;
    spec.workload.memoryStride = stride;
    spec.workload.memoryBufferBytes = buffer;
    const RunResult r = run(spec);
    QCOMPARE(r.status, std::string("finished"));
    const std::uint64_t storesPerOp = (bytes + stride - 1) / stride;
    QCOMPARE(figure(r, "memoryStores"), static_cast<double>(2 * ops * storesPerOp));
    for (const WorkerResult &w : r.workers) {
        QCOMPARE(w.ops, ops);
        QCOMPARE(w.bytes, ops * bytes); // the bytes walked, as the workload reports them
    }
    // Each worker counted the written bytes of its own buffer after the run.
    const ResultCheck *c = check(r, "memoryWalk");
    QVERIFY(c);
    QVERIFY2(c->passed, c->detail.c_str());
}

void TestWork::lockContentionRunsTheWorkload()
{
    // The lock-contention experiment uses the same workload: memory work outside its critical section.
    ExperimentSpec spec;
    spec.name = "lock contention with a memory workload";
    spec.primitive = PrimitiveKind::LockContention;
    spec.lock.guard = Guard::Mutex;
    spec.workers = 2;
    spec.durationNs = 0;
    spec.operationsPerWorker = 2'000;
    spec.workload.memoryBytes = 4096;
    spec.workload.memoryBufferBytes = 1 << 20;
    spec.workload.cpuWorkNs = 1'000;
    const RunResult r = run(spec);
    QCOMPARE(r.status, std::string("finished"));
    QVERIFY(r.counter.has_value());
    QCOMPARE(r.counter->actual, std::uint64_t{4'000});
    // Memory work takes time: 4 KiB of stores and 1 µs of CPU per operation, at least 2 ms per worker.
    for (const WorkerResult &w : r.workers)
        QVERIFY(w.measuredNs >= 2'000'000);
}

void TestWork::performanceFigures_data()
{
    QTest::addColumn<ExecutionModel>("exec");
    QTest::addColumn<bool>("gil");
    QTest::addRow("single process (sequential)") << ExecutionModel::Sequential << false;
    QTest::addRow("threads with the GIL") << ExecutionModel::Threads << true;
    QTest::addRow("threads without a GIL") << ExecutionModel::Threads << false;
    QTest::addRow("processes") << ExecutionModel::Processes << false;
}

void TestWork::performanceFigures()
{
    // Each point of the course's performance table needs its wall time and ops/s.
    QFETCH(ExecutionModel, exec);
    QFETCH(bool, gil);
    ExperimentSpec spec = workSpec(exec, 2, gil);
    spec.durationNs = 0;
    spec.operationsPerWorker = 200;
    spec.workload.cpuWorkNs = 100'000;
    const RunResult r = run(spec);
    QCOMPARE(r.status, std::string("finished"));
    const double wall = figure(r, "wallTime");
    const double rate = figure(r, "opsPerSecond");
    QCOMPARE(figure(r, "operations"), 400.0);
    QVERIFY(wall > 0);
    QVERIFY(std::fabs(rate * wall - 400.0) < 1e-6 * 400.0);
    QCOMPARE(wall, static_cast<double>(r.wallNs) / 1e9);
    // 400 operations of 100 µs of CPU work: at least 40 ms of CPU and 20 ms of wall time.
    // CPU time comes from getrusage; on a loaded virtual machine its accounting of a few tens
    // of milliseconds is coarse, so ask for half of the 40 ms the work needs.
    QVERIFY2(figure(r, "cpuUtilisation") * wall >= 0.02,
             qPrintable(QStringLiteral("the CPU work was not done: %1 s of CPU").arg(figure(r, "cpuUtilisation") * wall)));
    QVERIFY(wall >= 0.019);
    if (exec == ExecutionModel::Sequential) // one body after the other: at least the sum
        QVERIFY(wall >= 0.038);
}

void TestWork::gilCpuBound()
{
    if (usableCpus() < 2)
        QSKIP("needs 2 CPUs: the claim compares parallel processes with GIL-bound threads");
    // Each attempt measures the three cases side by side. The machine is shared: an attempt in
    // which the two processes did not get two CPUs (CPU time / wall < 1.5) cannot judge the claim
    // and is repeated. In every attempt the GIL threads must not run in parallel (CPU time / wall
    // of about 1: the waiter sleeps), which holds however busy the machine is.
    QString log;
    for (int attempt = 0; attempt < 5; ++attempt) {
        ExperimentSpec one = workSpec(ExecutionModel::Threads, 1, false);
        one.workload.cpuWorkNs = 50'000;
        ExperimentSpec gilThreads = workSpec(ExecutionModel::Threads, 2, true);
        gilThreads.workload = one.workload;
        ExperimentSpec procs = workSpec(ExecutionModel::Processes, 2, true); // each process has its own GIL
        procs.workload = one.workload;
        const RunResult b = run(one);
        const RunResult g = run(gilThreads);
        const RunResult p = run(procs);
        QCOMPARE(b.status, std::string("finished"));
        QCOMPARE(g.status, std::string("finished"));
        QCOMPARE(p.status, std::string("finished"));
        const double base = totalOpsPerSecond(b);
        const double gilRatio = totalOpsPerSecond(g) / base;
        const double procRatio = totalOpsPerSecond(p) / base;
        const double gilCpus = figure(g, "cpuUtilisation"), procCpus = figure(p, "cpuUtilisation");
        log += QStringLiteral("attempt %1: 2 GIL threads %2x (CPUs used %3), 2 processes %4x (CPUs used %5), one worker used %6 CPU; ")
                   .arg(attempt)
                   .arg(gilRatio, 0, 'f', 2)
                   .arg(gilCpus, 0, 'f', 2)
                   .arg(procRatio, 0, 'f', 2)
                   .arg(procCpus, 0, 'f', 2)
                   .arg(figure(b, "cpuUtilisation"), 0, 'f', 2);
        QVERIFY2(gilCpus <= 1.15, qPrintable(log));
        if (procCpus < 1.5 || figure(b, "cpuUtilisation") < 0.9)
            continue; // the machine did not give this attempt the CPUs it needs
        QVERIFY2(gilRatio <= 1.2, qPrintable(log));
        QVERIFY2(procRatio >= 1.5, qPrintable(log));
        qInfo("%s", qPrintable(log));
        return;
    }
    QSKIP(qPrintable(QStringLiteral("the shared machine never gave the processes two CPUs: ") + log));
}

void TestWork::gilIoBound()
{
    // IO-bound threads drop the GIL while they wait, so their waits overlap: 2 threads ~ 2x one.
    QString log;
    for (int attempt = 0; attempt < 3; ++attempt) {
        ExperimentSpec one = workSpec(ExecutionModel::Threads, 1, true);
        one.placement = PlacementPolicy::SameCpu;
        one.workload.cpuWorkNs = 20'000;
        one.workload.ioWaitNs = 1'000'000;
        ExperimentSpec two = one;
        two.workers = 2;
        const double base = totalOpsPerSecond(run(one));
        const RunResult r = run(two);
        QCOMPARE(r.status, std::string("finished"));
        const double ratio = totalOpsPerSecond(r) / base;
        log += QStringLiteral("attempt %1: 2 IO-bound GIL threads %2x one; ").arg(attempt).arg(ratio);
        if (ratio >= 1.6) {
            QVERIFY(figure(r, "gilIoDrops") > 0);
            return;
        }
    }
    QFAIL(qPrintable(log));
}

void TestWork::gilFractionsAndSwitches()
{
    ExperimentSpec spec = workSpec(ExecutionModel::Threads, 2, true);
    spec.workload.cpuWorkNs = 200'000;
    spec.work.switchIntervalNs = 5'000'000;
    const RunResult r = run(spec);
    QCOMPARE(r.status, std::string("finished"));
    const double held0 = figure(r, "gilHeld[0]"), held1 = figure(r, "gilHeld[1]");
    const double wait0 = figure(r, "gilWait[0]"), wait1 = figure(r, "gilWait[1]");
    QVERIFY(!std::isnan(held0) && !std::isnan(held1) && !std::isnan(wait0) && !std::isnan(wait1));
    // Both got turns (the waiter forces a switch after the interval) and never held it together.
    QVERIFY2(held0 > 0.2 && held1 > 0.2, qPrintable(QStringLiteral("held %1 / %2").arg(held0).arg(held1)));
    QVERIFY2(wait0 > 0.2 && wait1 > 0.2, qPrintable(QStringLiteral("waited %1 / %2").arg(wait0).arg(wait1)));
    QVERIFY(figure(r, "gilHeldTotal") <= 1.02);
    const ResultCheck *c = check(r, "gilExclusive");
    QVERIFY(c);
    QVERIFY2(c->passed, c->detail.c_str());
    // A CPU-bound holder only lets go when asked, and a waiter asks only after a whole interval
    // without a switch: at most about one switch per interval (fewer when the shared machine
    // leaves the waiter no CPU to ask with), and at least a few in 300 ms.
    const double intervals = static_cast<double>(r.wallNs) / 5e6;
    const double switches = figure(r, "gilSwitches");
    QVERIFY2(switches >= 2 && switches <= intervals * 1.2 + 2,
             qPrintable(QStringLiteral("%1 switches in %2 intervals").arg(switches).arg(intervals)));
    QVERIFY(figure(r, "gilForcedDrops") >= switches - 2);
    QCOMPARE(figure(r, "gilIoDrops"), 0.0);
}

void TestWork::gilPerProcess()
{
    ExperimentSpec spec = workSpec(ExecutionModel::Processes, 2, true);
    spec.workload.cpuWorkNs = 100'000;
    spec.durationNs = 200'000'000;
    const RunResult r = run(spec);
    QCOMPARE(r.status, std::string("finished"));
    const ResultCheck *c = check(r, "gilPerProcess");
    QVERIFY(c);
    QVERIFY2(c->passed, c->detail.c_str());
    QCOMPARE(figure(r, "gilSwitches"), 0.0);
    QVERIFY(figure(r, "gilHeld[0]") > 0.9); // alone with its own GIL: holds it all the time
    QVERIFY(!check(r, "gilExclusive"));
}

void TestWork::refusedParameters_data()
{
    QTest::addColumn<int>("which");
    QTest::addColumn<QString>("mustMention");
    QTest::addRow("switch interval below 1 us") << 0 << QStringLiteral("primitive.switchInterval");
    QTest::addRow("a critical section (the work family has none)") << 1 << QStringLiteral("workload.criticalSection");
    QTest::addRow("memory buffer smaller than the stride") << 2 << QStringLiteral("workload.memoryBuffer");
}

void TestWork::refusedParameters()
{
    QFETCH(int, which);
    QFETCH(QString, mustMention);
    ExperimentSpec spec = workSpec(ExecutionModel::Threads, 2, true);
    switch (which) {
    case 0: spec.work.switchIntervalNs = 10; break;
    case 1: spec.workload.criticalSectionNs = 1'000; break;
    case 2:
        spec.workload.memoryBytes = 4096;
        spec.workload.memoryStride = 4096;
        spec.workload.memoryBufferBytes = 1024;
        break;
    }
    std::string error;
    try {
        const RunResult r = run(spec);
        error = "(no error; status " + r.status + ")";
    } catch (const std::runtime_error &e) {
        error = e.what();
    }
    QVERIFY2(QString::fromStdString(error).startsWith(mustMention), error.c_str());
}

QTEST_GUILESS_MAIN(TestWork)
#include "tst_work.moc"
