// Tests of the shared value / array experiment: lost updates unguarded and none guarded, per-element
// accounting of arrays, torn strings, and parameters refused at run time.
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

Q_DECLARE_METATYPE(clab::ElementType)
Q_DECLARE_METATYPE(clab::ExecutionModel)
Q_DECLARE_METATYPE(clab::Guard)

namespace {

int usableCpus()
{
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof set, &set) != 0)
        return 1;
    return CPU_COUNT(&set);
}

ExperimentSpec baseSpec(ElementType type, Guard guard, ExecutionModel exec)
{
    ExperimentSpec spec;
    spec.name = "shared value test";
    spec.primitive = PrimitiveKind::SharedValue;
    spec.execution = exec;
    spec.workers = 2;
    spec.placement = PlacementPolicy::Spread;
    spec.durationNs = 200'000'000;
    spec.sampleIntervalNs = 10'000'000;
    spec.sharedValue.type = type;
    spec.sharedValue.guard = guard;
    return spec;
}

RunResult run(const ExperimentSpec &spec)
{
    StatsRing ring = StatsRing::createAnonymous(spec.workers, recommendedLaneCapacity(spec.sampleIntervalNs));
    return runExperiment(spec, ring, SupervisorOptions{}, RunHooks{});
}

// The figure's value; fails the test (through the returned NaN compared by callers) when missing.
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

#define REQUIRE_FIGURE(r, name) \
    do { \
        if (std::isnan(figure((r), (name)))) \
            QFAIL((std::string("figure ") + (name) + " missing").c_str()); \
    } while (false)

} // namespace

class TestSharedValue : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void unguardedLosesUpdates_data();
    void unguardedLosesUpdates();
    void guardedLosesNothing_data();
    void guardedLosesNothing();
    void arrayPerElementAccounting_data();
    void arrayPerElementAccounting();
    void tornStrings_data();
    void tornStrings();
    void refusedParameters_data();
    void refusedParameters();
};

void TestSharedValue::unguardedLosesUpdates_data()
{
    QTest::addColumn<ElementType>("type");
    QTest::addColumn<ExecutionModel>("exec");
    QTest::addRow("int32 value, threads") << ElementType::Int32 << ExecutionModel::Threads;
    QTest::addRow("int64 value, processes") << ElementType::Int64 << ExecutionModel::Processes;
    QTest::addRow("double value, threads") << ElementType::Double << ExecutionModel::Threads;
    QTest::addRow("double value, processes") << ElementType::Double << ExecutionModel::Processes;
}

void TestSharedValue::unguardedLosesUpdates()
{
    if (usableCpus() < 2)
        QSKIP("needs 2 CPUs: on one CPU the race only shows when a worker is preempted inside its window");
    QFETCH(ElementType, type);
    QFETCH(ExecutionModel, exec);
    ExperimentSpec spec = baseSpec(type, Guard::None, exec);
    spec.workload.criticalSectionNs = 200; // the window between read and write
    const RunResult r = run(spec);
    QCOMPARE(r.status, std::string("finished"));
    QVERIFY(r.counter.has_value());
    QVERIFY2(r.counter->expected > 10'000, "too few operations to judge");
    qInfo("%llu increments, %lld lost, in %.0f ms", static_cast<unsigned long long>(r.counter->expected),
          static_cast<long long>(r.counter->lost()), static_cast<double>(r.wallNs) / 1e6);
    // Both workers ran at once on two CPUs, each overwriting the other's increments.
    QVERIFY2(r.counter->lost() > 0, qPrintable(QStringLiteral("expected %1, actual %2").arg(r.counter->expected).arg(r.counter->actual)));
    QCOMPARE(figure(r, "lostUpdates"), static_cast<double>(r.counter->lost()));
    QCOMPARE(figure(r, "expected"), static_cast<double>(r.counter->expected));
    QCOMPARE(figure(r, "actual"), static_cast<double>(r.counter->actual));
    QVERIFY(!check(r, "noLostUpdates")); // no claim is made for the unguarded value
    for (const WorkerResult &w : r.workers)
        QCOMPARE(w.cpusSeen.size(), std::size_t{1}); // pinned, each on its own CPU
    QVERIFY(r.workers[0].cpusSeen != r.workers[1].cpusSeen);
}

void TestSharedValue::guardedLosesNothing_data()
{
    QTest::addColumn<ElementType>("type");
    QTest::addColumn<Guard>("guard");
    QTest::addColumn<ExecutionModel>("exec");
    QTest::addRow("int32 mutex threads") << ElementType::Int32 << Guard::Mutex << ExecutionModel::Threads;
    QTest::addRow("int32 atomic processes") << ElementType::Int32 << Guard::Atomic << ExecutionModel::Processes;
    QTest::addRow("int64 mutex processes") << ElementType::Int64 << Guard::Mutex << ExecutionModel::Processes;
    QTest::addRow("int64 atomic threads") << ElementType::Int64 << Guard::Atomic << ExecutionModel::Threads;
    QTest::addRow("double mutex threads") << ElementType::Double << Guard::Mutex << ExecutionModel::Threads;
    QTest::addRow("double atomic (CAS loop) threads") << ElementType::Double << Guard::Atomic << ExecutionModel::Threads;
    QTest::addRow("double atomic (CAS loop) processes") << ElementType::Double << Guard::Atomic << ExecutionModel::Processes;
}

void TestSharedValue::guardedLosesNothing()
{
    QFETCH(ElementType, type);
    QFETCH(Guard, guard);
    QFETCH(ExecutionModel, exec);
    ExperimentSpec spec = baseSpec(type, guard, exec);
    spec.workload.criticalSectionNs = 100;
    spec.sharedValue.initial = {-5};
    const RunResult r = run(spec);
    QCOMPARE(r.status, std::string("finished"));
    QVERIFY(r.counter.has_value());
    QVERIFY(r.counter->expected > 10'000);
    QCOMPARE(r.counter->actual, r.counter->expected);
    QCOMPARE(figure(r, "lostUpdates"), 0.0);
    const ResultCheck *c = check(r, "noLostUpdates");
    QVERIFY(c);
    QVERIFY2(c->passed, c->detail.c_str());
    if (type == ElementType::Double && guard == Guard::Atomic)
        REQUIRE_FIGURE(r, "casRetries");
}

void TestSharedValue::arrayPerElementAccounting_data()
{
    QTest::addColumn<Guard>("guard");
    QTest::addColumn<ExecutionModel>("exec");
    QTest::addRow("Array of 8 int64, no guard, threads") << Guard::None << ExecutionModel::Threads;
    QTest::addRow("Array of 8 int64, mutex, processes") << Guard::Mutex << ExecutionModel::Processes;
    QTest::addRow("Array of 8 int64, atomic, threads") << Guard::Atomic << ExecutionModel::Threads;
}

void TestSharedValue::arrayPerElementAccounting()
{
    QFETCH(Guard, guard);
    QFETCH(ExecutionModel, exec);
    ExperimentSpec spec = baseSpec(ElementType::Int64, guard, exec);
    spec.durationNs = 0;
    spec.operationsPerWorker = 100'003; // not a multiple of 8: elements 0..2 get one more each
    spec.sharedValue.initial = {10, 20, 30, 40, 50, 60, 70, 80}; // Array('q', [10, ..., 80])
    spec.workload.criticalSectionNs = 50;
    const RunResult r = run(spec);
    QCOMPARE(r.status, std::string("finished"));
    QCOMPARE(figure(r, "length"), 8.0);
    double lostSum = 0;
    for (int i = 0; i < 8; ++i) {
        const std::string idx = "[" + std::to_string(i) + "]";
        // Each worker's k-th operation updated element k % 8.
        const double expected = 2.0 * (100'003 / 8 + (i < 100'003 % 8 ? 1 : 0));
        QCOMPARE(figure(r, "expected" + idx), expected);
        const double actual = figure(r, "actual" + idx);
        const double lost = figure(r, "lostUpdates" + idx);
        QCOMPARE(lost, expected - actual);
        QVERIFY(lost >= 0);
        lostSum += lost;
    }
    QCOMPARE(figure(r, "lostUpdates"), lostSum);
    QVERIFY(r.counter.has_value());
    QCOMPARE(r.counter->expected, std::uint64_t{200'006});
    QCOMPARE(static_cast<double>(r.counter->lost()), lostSum);
    if (guard != Guard::None) {
        QCOMPARE(lostSum, 0.0);
        QVERIFY(check(r, "noLostUpdates") && check(r, "noLostUpdates")->passed);
    }
}

void TestSharedValue::tornStrings_data()
{
    QTest::addColumn<Guard>("guard");
    QTest::addColumn<ExecutionModel>("exec");
    QTest::addRow("unguarded, threads") << Guard::None << ExecutionModel::Threads;
    QTest::addRow("unguarded, processes") << Guard::None << ExecutionModel::Processes;
    QTest::addRow("mutex, threads") << Guard::Mutex << ExecutionModel::Threads;
    QTest::addRow("mutex, processes") << Guard::Mutex << ExecutionModel::Processes;
}

void TestSharedValue::tornStrings()
{
    QFETCH(Guard, guard);
    QFETCH(ExecutionModel, exec);
    if (guard == Guard::None && usableCpus() < 2)
        QSKIP("needs 2 CPUs for the writers to overlap reliably");
    ExperimentSpec spec = baseSpec(ElementType::Char, guard, exec);
    spec.sharedValue.initialText = std::string(48, '-'); // Array('c', b'-----...')
    spec.workload.criticalSectionNs = 200;
    const RunResult r = run(spec);
    QCOMPARE(r.status, std::string("finished"));
    QCOMPARE(figure(r, "length"), 48.0);
    const double reads = figure(r, "reads");
    const double torn = figure(r, "tornReads");
    QVERIFY(reads > 1000);
    qInfo("%.0f reads, %.0f torn, %.0f overwritten", reads, torn, figure(r, "overwrittenReads"));
    // Every operation reads the string once: reads are the operations of both workers.
    QCOMPARE(reads, static_cast<double>(r.workers[0].opsTotal + r.workers[1].opsTotal));
    if (guard == Guard::None) {
        QVERIFY2(torn > 0, "two unguarded writers on two CPUs must tear some reads");
        QVERIFY(!check(r, "noTornReads"));
    } else {
        QCOMPARE(torn, 0.0);
        QCOMPARE(figure(r, "overwrittenReads"), 0.0);
        QCOMPARE(figure(r, "finalStringTorn"), 0.0);
        const ResultCheck *c = check(r, "noTornReads");
        QVERIFY(c);
        QVERIFY2(c->passed, c->detail.c_str());
    }
}

void TestSharedValue::refusedParameters_data()
{
    QTest::addColumn<int>("which");
    QTest::addColumn<QString>("mustMention");
    QTest::addRow("atomic char string") << 0 << QStringLiteral("primitive.guard");
    QTest::addRow("spinlock guard") << 1 << QStringLiteral("primitive.guard");
    QTest::addRow("non-integer int32 initial value") << 2 << QStringLiteral("primitive.initial[1]");
    QTest::addRow("empty array") << 3 << QStringLiteral("primitive.length");
    QTest::addRow("memory buffers beyond the machine") << 4 << QStringLiteral("workload.memoryBuffer");
}

void TestSharedValue::refusedParameters()
{
    QFETCH(int, which);
    QFETCH(QString, mustMention);
    ExperimentSpec spec = baseSpec(ElementType::Int32, Guard::Mutex, ExecutionModel::Threads);
    spec.durationNs = 20'000'000;
    switch (which) {
    case 0:
        spec.sharedValue.type = ElementType::Char;
        spec.sharedValue.guard = Guard::Atomic;
        spec.sharedValue.length = 8;
        break;
    case 1: spec.sharedValue.guard = Guard::Spinlock; break;
    case 2: spec.sharedValue.initial = {1, 2.5}; break;
    case 3: spec.sharedValue.length = 0; break;
    case 4:
        spec.workers = 64;
        spec.placement = PlacementPolicy::Unpinned;
        spec.workload.memoryBytes = 4096;
        spec.workload.memoryBufferBytes = limits::kMaxMemoryBufferBytes; // 64 GiB in all
        break;
    }
    const std::string error = runError(spec);
    QVERIFY2(QString::fromStdString(error).contains(mustMention), error.c_str());
}

QTEST_GUILESS_MAIN(TestSharedValue)
#include "tst_shared_value.moc"
