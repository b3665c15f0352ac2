// Tests of result files and the samples CSV: exact round trips, per-interval rates, labels, atomic saves.
#include "result_file.h"

#include "metrics.h"

#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QTemporaryDir>
#include <functional>
#include <QTest>

#include <cmath>
#include <limits>

using namespace Qt::StringLiterals;

namespace {

constexpr std::uint64_t kMs = 1'000'000;
// Above 2^53: a double would round it, the file must not.
constexpr std::uint64_t kBigCounter = 9'007'199'254'740'993ULL;

clab::ExperimentSpec sampleSpec()
{
    clab::ExperimentSpec s;
    s.name = "Lock contention";
    s.topic = "Locks";
    s.execution = clab::ExecutionModel::Processes;
    s.workers = 2;
    s.durationNs = 2'000'000'000;
    s.warmupNs = 10 * kMs;
    s.sampleIntervalNs = 10 * kMs;
    s.placement = clab::PlacementPolicy::CpuList;
    s.cpuList = {0, 3};
    s.lock.guard = clab::Guard::Spinlock;
    s.workload.criticalSectionNs = 100;
    return s;
}

clab_sample sample(std::uint64_t tNs, std::uint64_t ops, bool warmup = false)
{
    clab_sample s{};
    s.t_ns = tNs;
    s.ops = ops;
    s.state = CLAB_WORKER_RUNNING;
    s.cpu = 0;
    s.flags = warmup ? CLAB_SAMPLE_WARMUP : 0u;
    return s;
}

// Two workers with known counters; the series rows are numbered in the comments because the
// CSV tests address them by index.
clab::RunResult sampleResult()
{
    clab::RunResult r;
    r.status = "finished";
    r.error = "";
    r.startRealtimeNs = 1'714'564'800'123'456'789ULL; // 2024-05-01T12:00:00.123456789Z
    r.wallNs = 2'000'000'123;
    r.machine = {"Example CPU @ 3.0GHz", 8,     "Linux 6.1.0", "lab-host", "GCC 12.2.0", "0.1.0",
                 "RelWithDebInfo",       "tsc", 2.995};
    r.samplesReceived = 7;
    r.samplesDropped = 1;
    r.counter = clab::CounterCheck{4000, 3990};

    clab::WorkerResult w0;
    w0.index = 0;
    w0.pid = 4242;
    w0.tid = 4243;
    w0.pinnedCpu = 0;
    w0.cpusSeen = {0};
    w0.exitState = "finished";
    w0.finalValid = true;
    w0.ops = 2500;
    w0.opsTotal = 2800;
    w0.bytes = kBigCounter;
    w0.waitNs = 123'456'789;
    w0.holdNs = 987'654;
    w0.contended = 150;
    w0.measuredNs = 2'000'000'000;
    w0.userNs = 1'900'000'001;
    w0.sysNs = 50'000'003;
    w0.volCsw = 12;
    w0.involCsw = 34;
    w0.ownerDied = 0;
    w0.drops = 1;
    w0.histogram.counts[10] = 5;
    w0.histogram.counts[100] = 3;
    w0.histogram.counts[500] = 1;
    w0.latency = clab::metrics::summarize(w0.histogram);

    clab::WorkerResult w1;
    w1.index = 1;
    w1.pid = 4250;
    w1.tid = 4250;
    w1.pinnedCpu = -1;
    w1.cpusSeen = {1, 3};
    w1.exitState = "crashed";
    w1.error = "killed by signal 11 (segmentation fault)";
    w1.finalValid = false;
    w1.ops = 1500;
    w1.opsTotal = 1500;
    w1.waitNs = 1;
    w1.measuredNs = 1'500'000'000;
    w1.ownerDied = 2;
    w1.histogram.counts[40] = 7;
    w1.latency = clab::metrics::summarize(w1.histogram);
    r.workers = {w0, w1};

    // row 0: worker 0 warm-up, first sample of the phase
    r.series.push_back({0, sample(5 * kMs, 100, true)});
    // row 1: worker 0 warm-up, 200 more ops in 5 ms
    r.series.push_back({0, sample(10 * kMs, 300, true)});
    // row 2: worker 0 measured, first of the phase (counters restart)
    r.series.push_back({0, sample(20 * kMs, 0)});
    // row 3: worker 0 measured, 1000 ops, 4096 bytes, 2 ms wait, 100 contended in 10 ms
    clab_sample s3 = sample(30 * kMs, 1000);
    s3.bytes = 4096;
    s3.wait_ns = 2 * kMs;
    s3.hold_ns = 1 * kMs;
    s3.contended = 100;
    s3.latency_count = 8;
    s3.latency_sum_ns = 1000;
    s3.user_ns = 9 * kMs;
    s3.sys_ns = 1 * kMs;
    s3.vol_csw = 3;
    s3.invol_csw = 4;
    s3.gauge0 = -5;
    s3.gauge1 = 7;
    s3.state = CLAB_WORKER_HOLDING;
    s3.cpu = 3;
    r.series.push_back({0, s3});
    // row 4: worker 1 measured, first of the phase, CPU unknown, state waiting
    clab_sample s4 = sample(20 * kMs, 500);
    s4.cpu = -1;
    s4.state = CLAB_WORKER_WAITING;
    r.series.push_back({1, s4});
    // row 5: worker 1, ops went backwards (500 -> 400): rate 0, no contention share
    r.series.push_back({1, sample(30 * kMs, 400)});
    r.figures = {{"maxHolders", "maximum concurrent holders", 4, ""},
                 {"handOffLatency", "hand-off latency", 1.25e-6, "s"},
                 {"unknown", "not measured", std::numeric_limits<double>::quiet_NaN(), ""}};
    r.checks = {{"neverOverAdmitted", "the semaphore never admits more than K", true, ""},
                {"noLostUpdates", "no update is lost", false, "10 updates lost"}};
    // row 6: worker 0 final sample, huge byte counter, unknown state number
    clab_sample s6 = sample(40 * kMs, 2500);
    s6.bytes = kBigCounter;
    s6.state = 42;
    s6.latency_count = 9;
    s6.latency_sum_ns = 1234;
    r.series.push_back({0, s6});
    return r;
}

void compareFiguresAndChecks(const clab::RunResult &b, const clab::RunResult &r)
{
    QCOMPARE(b.figures.size(), r.figures.size());
    for (std::size_t i = 0; i < r.figures.size(); ++i) {
        QCOMPARE(b.figures[i].name, r.figures[i].name);
        QCOMPARE(b.figures[i].label, r.figures[i].label);
        QCOMPARE(b.figures[i].unit, r.figures[i].unit);
        if (std::isnan(r.figures[i].value))
            QVERIFY(std::isnan(b.figures[i].value)); // written as null, read back as NaN
        else
            QCOMPARE(b.figures[i].value, r.figures[i].value);
    }
    QCOMPARE(b.checks.size(), r.checks.size());
    for (std::size_t i = 0; i < r.checks.size(); ++i) {
        QCOMPARE(b.checks[i].name, r.checks[i].name);
        QCOMPARE(b.checks[i].description, r.checks[i].description);
        QCOMPARE(b.checks[i].passed, r.checks[i].passed);
        QCOMPARE(b.checks[i].detail, r.checks[i].detail);
    }
}

// A sweep over the guard and the number of workers (2 variants × 2 values).
clab::ExperimentSpec sweepSpec()
{
    clab::ExperimentSpec s = sampleSpec();
    s.variants = {{"threads", {{"execution", "\"threads\""}}}, {"processes, pinned", {{"execution", "\"processes\""}}}};
    s.sweep = {{"primitive.guard", {"\"mutex\"", "\"none\""}}};
    return s;
}

// One result per point of sweepSpec(), each a little different so a mix-up shows.
std::vector<clab::model::PointResult> sweepPoints()
{
    QList<clab::model::FieldError> errors;
    const QList<clab::model::SweepPoint> expanded = clab::model::expandSweep(sweepSpec(), &errors);
    std::vector<clab::model::PointResult> points;
    for (qsizetype i = 0; i < expanded.size(); ++i) {
        clab::model::PointResult p{expanded[i].label, expanded[i].values, expanded[i].spec, sampleResult()};
        p.result.wallNs += static_cast<std::uint64_t>(i);
        p.result.workers[0].ops += static_cast<std::uint64_t>(i) * 100;
        p.result.figures.resize(static_cast<std::size_t>(i % 3));
        if (i == 1)
            p.result.counter.reset();
        points.push_back(std::move(p));
    }
    return points;
}

QList<QByteArrayList> parseCsv(const QByteArray &csv)
{
    QList<QByteArrayList> rows;
    const QByteArrayList lines = csv.split('\n');
    for (const QByteArray &line : lines) {
        if (!line.isEmpty())
            rows.append(line.split(','));
    }
    return rows;
}

QStringList dirEntries(const QString &dir)
{
    return QDir(dir).entryList(QDir::AllEntries | QDir::Hidden | QDir::System | QDir::NoDotAndDotDot, QDir::Name);
}

QByteArray readFile(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

bool writeFile(const QString &path, const QByteArray &bytes)
{
    QFile f(path);
    return f.open(QIODevice::WriteOnly) && f.write(bytes) == bytes.size();
}

} // namespace

class TestResultFile : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void jsonRoundTrip();
    void resavingALoadedResultIsIdentical();
    void jsonLayout();
    void csvHeader();
    void csvCells_data();
    void csvCells();
    void csvIsNumericAndTidy();
    void seriesJsonHoldsTheCsvTable();
    void savesAreAtomic();
    void saveIntoMissingDirectoryFails();
    void loadErrors_data();
    void loadErrors();
    void filesWithoutFiguresAndChecksLoad();
    void singleRunFilesHaveNoPoints();
    void sweepRoundTrip();
    void resavingALoadedSweepIsIdentical();
    void sweepLayout();
    void sweepWithoutPointsIsNotSaved();
    void sweepLoadErrors_data();
    void sweepLoadErrors();
    void sweepCsv();
};

void TestResultFile::jsonRoundTrip()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(u"run.json"_s);
    const clab::ExperimentSpec spec = sampleSpec();
    const clab::RunResult r = sampleResult();
    QString error;
    QVERIFY2(clab::model::saveResult(spec, r, path, &error), qPrintable(error));

    const clab::model::ResultLoad load = clab::model::loadResult(path);
    QVERIFY2(load.ok(), qPrintable(load.error));
    const clab::ExperimentSpec &s = *load.spec;
    QCOMPARE(QString::fromStdString(s.name), QString::fromStdString(spec.name));
    QCOMPARE(static_cast<int>(s.execution), static_cast<int>(spec.execution));
    QCOMPARE(s.cpuList, spec.cpuList);
    QCOMPARE(static_cast<int>(s.lock.guard), static_cast<int>(spec.lock.guard));
    QCOMPARE(s.warmupNs, spec.warmupNs);

    const clab::RunResult &b = *load.result;
    QCOMPARE(b.status, r.status);
    QCOMPARE(b.error, r.error);
    QCOMPARE(b.startRealtimeNs, r.startRealtimeNs);
    QCOMPARE(b.wallNs, r.wallNs);
    QCOMPARE(b.samplesReceived, r.samplesReceived);
    QCOMPARE(b.samplesDropped, r.samplesDropped);
    QCOMPARE(b.machine.cpuModel, r.machine.cpuModel);
    QCOMPARE(b.machine.logicalCpus, r.machine.logicalCpus);
    QCOMPARE(b.machine.kernel, r.machine.kernel);
    QCOMPARE(b.machine.hostname, r.machine.hostname);
    QCOMPARE(b.machine.compiler, r.machine.compiler);
    QCOMPARE(b.machine.appVersion, r.machine.appVersion);
    QCOMPARE(b.machine.buildType, r.machine.buildType);
    QCOMPARE(b.machine.clockSource, r.machine.clockSource);
    QCOMPARE(b.machine.tscTicksPerNs, r.machine.tscTicksPerNs);
    QVERIFY(b.counter.has_value());
    QCOMPARE(b.counter->expected, r.counter->expected);
    QCOMPARE(b.counter->actual, r.counter->actual);

    QCOMPARE(b.workers.size(), r.workers.size());
    for (std::size_t i = 0; i < r.workers.size(); ++i) {
        const clab::WorkerResult &x = r.workers[i];
        const clab::WorkerResult &y = b.workers[i];
        QCOMPARE(y.index, x.index);
        QCOMPARE(y.pid, x.pid);
        QCOMPARE(y.tid, x.tid);
        QCOMPARE(y.pinnedCpu, x.pinnedCpu);
        QCOMPARE(y.cpusSeen, x.cpusSeen);
        QCOMPARE(y.exitState, x.exitState);
        QCOMPARE(y.error, x.error);
        QCOMPARE(y.finalValid, x.finalValid);
        QCOMPARE(y.ops, x.ops);
        QCOMPARE(y.opsTotal, x.opsTotal);
        QCOMPARE(y.bytes, x.bytes);
        QCOMPARE(y.waitNs, x.waitNs);
        QCOMPARE(y.holdNs, x.holdNs);
        QCOMPARE(y.contended, x.contended);
        QCOMPARE(y.measuredNs, x.measuredNs);
        QCOMPARE(y.userNs, x.userNs);
        QCOMPARE(y.sysNs, x.sysNs);
        QCOMPARE(y.volCsw, x.volCsw);
        QCOMPARE(y.involCsw, x.involCsw);
        QCOMPARE(y.ownerDied, x.ownerDied);
        QCOMPARE(y.drops, x.drops);
        QCOMPARE(y.latency.count, x.latency.count);
        QCOMPARE(y.latency.meanNs, x.latency.meanNs);
        QCOMPARE(y.latency.p50Ns, x.latency.p50Ns);
        QCOMPARE(y.latency.p90Ns, x.latency.p90Ns);
        QCOMPARE(y.latency.p99Ns, x.latency.p99Ns);
        QCOMPARE(y.latency.p999Ns, x.latency.p999Ns);
        QCOMPARE(y.latency.maxNs, x.latency.maxNs);
        QVERIFY(y.histogram.counts == x.histogram.counts);
    }

    compareFiguresAndChecks(b, r);

    QCOMPARE(b.series.size(), r.series.size());
    for (std::size_t i = 0; i < r.series.size(); ++i) {
        const clab::SeriesPoint &x = r.series[i];
        const clab::SeriesPoint &y = b.series[i];
        QCOMPARE(y.worker, x.worker);
        QCOMPARE(y.sample.t_ns, x.sample.t_ns);
        QCOMPARE(y.sample.ops, x.sample.ops);
        QCOMPARE(y.sample.bytes, x.sample.bytes);
        QCOMPARE(y.sample.wait_ns, x.sample.wait_ns);
        QCOMPARE(y.sample.hold_ns, x.sample.hold_ns);
        QCOMPARE(y.sample.contended, x.sample.contended);
        QCOMPARE(y.sample.latency_count, x.sample.latency_count);
        QCOMPARE(y.sample.latency_sum_ns, x.sample.latency_sum_ns);
        QCOMPARE(y.sample.user_ns, x.sample.user_ns);
        QCOMPARE(y.sample.sys_ns, x.sample.sys_ns);
        QCOMPARE(y.sample.vol_csw, x.sample.vol_csw);
        QCOMPARE(y.sample.invol_csw, x.sample.invol_csw);
        QCOMPARE(y.sample.gauge0, x.sample.gauge0);
        QCOMPARE(y.sample.gauge1, x.sample.gauge1);
        QCOMPARE(y.sample.state, x.sample.state);
        QCOMPARE(y.sample.cpu, x.sample.cpu);
        QCOMPARE(y.sample.flags & CLAB_SAMPLE_WARMUP, x.sample.flags & CLAB_SAMPLE_WARMUP);
    }
}

void TestResultFile::resavingALoadedResultIsIdentical()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString first = dir.filePath(u"a.json"_s);
    const QString second = dir.filePath(u"b.json"_s);
    QString error;
    QVERIFY2(clab::model::saveResult(sampleSpec(), sampleResult(), first, &error), qPrintable(error));
    const clab::model::ResultLoad load = clab::model::loadResult(first);
    QVERIFY2(load.ok(), qPrintable(load.error));
    QVERIFY2(clab::model::saveResult(*load.spec, *load.result, second, &error), qPrintable(error));
    QCOMPARE(QString::fromUtf8(readFile(second)), QString::fromUtf8(readFile(first)));
}

void TestResultFile::jsonLayout()
{
    const clab::RunResult r = sampleResult();
    const QJsonObject o = clab::model::resultToJson(sampleSpec(), r);
    QCOMPARE(o.value(u"format").toString(), u"concurrency-lab-result"_s);
    QCOMPARE(o.value(u"schemaVersion").toInt(), 1);
    QCOMPARE(o.value(u"experiment").toObject(), clab::model::experimentToJson(sampleSpec()));

    const QJsonObject run = o.value(u"run").toObject();
    QCOMPARE(run.value(u"startedAt").toString(), u"2024-05-01T12:00:00.123456789Z"_s);
    QCOMPARE(run.value(u"wallSeconds").toDouble(), 2.000000123);
    QCOMPARE(run.value(u"status").toString(), u"finished"_s);

    const QJsonObject counter = o.value(u"counter").toObject();
    QCOMPARE(counter.value(u"expected").toInteger(), 4000);
    QCOMPARE(counter.value(u"actual").toInteger(), 3990);
    QCOMPARE(counter.value(u"lostUpdates").toInteger(), 10);

    const QJsonObject totals = o.value(u"totals").toObject();
    QCOMPARE(totals.value(u"workers").toInteger(), 2);
    QCOMPARE(totals.value(u"ops").toInteger(), 4000);
    QCOMPARE(totals.value(u"opsPerSecond").toDouble(), clab::metrics::rate(4000, r.wallNs));
    // Jain's index of 1250 ops/s and 1000 ops/s.
    QCOMPARE(totals.value(u"fairness").toDouble(), (2250.0 * 2250.0) / (2 * (1250.0 * 1250.0 + 1000.0 * 1000.0)));
    QCOMPARE(totals.value(u"samplesDropped").toInteger(), 1);
    QCOMPARE(totals.value(u"latency").toObject().value(u"count").toInteger(), 16);

    const QJsonArray workers = o.value(u"workers").toArray();
    QCOMPARE(workers.size(), 2);
    const QJsonObject w0 = workers.at(0).toObject();
    const QJsonObject w1 = workers.at(1).toObject();
    QCOMPARE(w0.value(u"pinnedCpu").toInt(), 0);
    QVERIFY(w1.value(u"pinnedCpu").isNull());
    QCOMPARE(w0.value(u"bytes").toInteger(), qint64(kBigCounter));
    QCOMPARE(w0.value(u"opsPerSecond").toDouble(), 1250.0);
    QCOMPARE(w0.value(u"contendedFraction").toDouble(), 0.06);
    QCOMPARE(w0.value(u"waitSeconds").toDouble(), 0.123456789);
    QCOMPARE(w0.value(u"histogram").toArray(), (QJsonArray{QJsonArray{10, 5}, QJsonArray{100, 3}, QJsonArray{500, 1}}));
    QCOMPARE(w0.value(u"latency").toObject().value(u"count").toInteger(), 9);
    QCOMPARE(w1.value(u"error").toString(), u"killed by signal 11 (segmentation fault)"_s);

    const QJsonObject series = o.value(u"series").toObject();
    QCOMPARE(series.value(u"columns").toVariant().toStringList(), clab::model::sampleColumns());
    QCOMPARE(series.value(u"rows").toArray().size(), qsizetype(r.series.size()));

    // Without a counter check there is no "counter" key at all.
    clab::RunResult noCounter = r;
    noCounter.counter.reset();
    QVERIFY(!clab::model::resultToJson(sampleSpec(), noCounter).contains(u"counter"));
    // A run that never started has no start time.
    noCounter.startRealtimeNs = 0;
    QVERIFY(clab::model::resultToJson(sampleSpec(), noCounter).value(u"run").toObject().value(u"startedAt").isNull());
}

void TestResultFile::csvHeader()
{
    const QByteArray csv = clab::model::samplesCsv(sampleResult());
    QCOMPARE(csv.left(csv.indexOf('\n')),
             QByteArray("worker,t_s,phase,state,cpu,ops,ops_per_s,bytes,bytes_per_s,wait_s,wait_fraction,hold_s,"
                        "contended,contended_fraction,latency_count,latency_mean_s,user_s,sys_s,voluntary_csw,"
                        "involuntary_csw,gauge0,gauge1"));
}

void TestResultFile::csvCells_data()
{
    QTest::addColumn<int>("row");
    QTest::addColumn<QString>("column");
    QTest::addColumn<QByteArray>("value");
    QTest::addRow("warm-up rows are labelled") << 0 << u"phase"_s << QByteArray("warmup");
    QTest::addRow("measured rows are labelled") << 2 << u"phase"_s << QByteArray("measured");
    QTest::addRow("first sample of warm-up has no rate") << 0 << u"ops_per_s"_s << QByteArray();
    QTest::addRow("warm-up rate: 200 ops in 5 ms") << 1 << u"ops_per_s"_s << QByteArray("40000");
    QTest::addRow("first measured sample has no rate") << 2 << u"ops_per_s"_s << QByteArray();
    QTest::addRow("first measured sample has no wait fraction") << 2 << u"wait_fraction"_s << QByteArray();
    QTest::addRow("ops 0 -> 1000 over 10 ms") << 3 << u"ops_per_s"_s << QByteArray("100000");
    QTest::addRow("bytes 0 -> 4096 over 10 ms") << 3 << u"bytes_per_s"_s << QByteArray("409600");
    QTest::addRow("2 ms wait in 10 ms") << 3 << u"wait_fraction"_s << QByteArray("0.2");
    QTest::addRow("100 of 1000 contended") << 3 << u"contended_fraction"_s << QByteArray("0.1");
    QTest::addRow("time in seconds") << 3 << u"t_s"_s << QByteArray("0.03");
    QTest::addRow("wait in seconds") << 3 << u"wait_s"_s << QByteArray("0.002");
    QTest::addRow("hold in seconds") << 3 << u"hold_s"_s << QByteArray("0.001");
    QTest::addRow("cumulative latency mean") << 3 << u"latency_mean_s"_s << QByteArray("1.25e-07");
    QTest::addRow("user seconds") << 3 << u"user_s"_s << QByteArray("0.009");
    QTest::addRow("negative gauge") << 3 << u"gauge0"_s << QByteArray("-5");
    QTest::addRow("state name") << 3 << u"state"_s << QByteArray("holding");
    QTest::addRow("CPU") << 3 << u"cpu"_s << QByteArray("3");
    QTest::addRow("worker index") << 4 << u"worker"_s << QByteArray("1");
    QTest::addRow("unknown CPU is empty") << 4 << u"cpu"_s << QByteArray();
    QTest::addRow("waiting state") << 4 << u"state"_s << QByteArray("waiting");
    QTest::addRow("no latency observations: empty mean") << 4 << u"latency_mean_s"_s << QByteArray();
    QTest::addRow("counter going backwards gives rate 0") << 5 << u"ops_per_s"_s << QByteArray("0");
    QTest::addRow("no ops in the interval: contention unknown") << 5 << u"contended_fraction"_s << QByteArray();
    QTest::addRow("counters above 2^53 stay exact") << 6 << u"bytes"_s << QByteArray("9007199254740993");
    QTest::addRow("rate spans the previous sample of the same worker") << 6 << u"ops_per_s"_s << QByteArray("150000");
    QTest::addRow("unknown state keeps its number") << 6 << u"state"_s << QByteArray("42");
}

void TestResultFile::csvCells()
{
    QFETCH(int, row);
    QFETCH(QString, column);
    QFETCH(QByteArray, value);
    const QList<QByteArrayList> table = parseCsv(clab::model::samplesCsv(sampleResult()));
    const qsizetype col = clab::model::sampleColumns().indexOf(column);
    QVERIFY(col >= 0);
    QCOMPARE(table.at(row + 1).at(col), value);
}

void TestResultFile::csvIsNumericAndTidy()
{
    const QList<QByteArrayList> table = parseCsv(clab::model::samplesCsv(sampleResult()));
    const QStringList columns = clab::model::sampleColumns();
    QCOMPARE(table.size(), 1 + 7);
    for (qsizetype r = 1; r < table.size(); ++r) {
        QCOMPARE(table[r].size(), columns.size());
        for (qsizetype c = 0; c < columns.size(); ++c) {
            const QByteArray &cell = table[r][c];
            if (columns[c] == u"phase" || columns[c] == u"state" || cell.isEmpty())
                continue;
            // What pandas' default C parser reads as a number: no separators, '.' decimals.
            bool ok = false;
            cell.toDouble(&ok);
            QVERIFY2(ok, qPrintable(columns[c] + u" = "_s + QString::fromUtf8(cell)));
            QVERIFY(!cell.contains(' '));
        }
    }
}

void TestResultFile::seriesJsonHoldsTheCsvTable()
{
    const clab::RunResult r = sampleResult();
    const QJsonArray rows =
        clab::model::resultToJson(sampleSpec(), r).value(u"series").toObject().value(u"rows").toArray();
    const QList<QByteArrayList> table = parseCsv(clab::model::samplesCsv(r));
    QCOMPARE(rows.size(), table.size() - 1);
    for (qsizetype i = 0; i < rows.size(); ++i) {
        const QJsonArray row = rows.at(i).toArray();
        QCOMPARE(row.size(), table[i + 1].size());
        for (qsizetype c = 0; c < row.size(); ++c) {
            const QJsonValue v = row.at(c);
            const QByteArray &cell = table[i + 1][c];
            if (v.isNull())
                QVERIFY(cell.isEmpty());
            else if (v.isString())
                QCOMPARE(QString::fromUtf8(cell), v.toString());
            else
                QCOMPARE(cell.toDouble(), v.toDouble());
        }
    }
}

void TestResultFile::savesAreAtomic()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString json = dir.filePath(u"run.json"_s);
    const QString csv = dir.filePath(u"run.csv"_s);
    QVERIFY(writeFile(csv, "old"));
    QString error;
    QVERIFY2(clab::model::saveResult(sampleSpec(), sampleResult(), json, &error), qPrintable(error));
    QVERIFY2(clab::model::saveSamplesCsv(sampleResult(), csv, &error), qPrintable(error));
    QCOMPARE(dirEntries(dir.path()), (QStringList{u"run.csv"_s, u"run.json"_s}));
    QCOMPARE(readFile(csv), clab::model::samplesCsv(sampleResult()));
}

void TestResultFile::saveIntoMissingDirectoryFails()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString json = dir.filePath(u"missing/run.json"_s);
    const QString csv = dir.filePath(u"missing/run.csv"_s);
    QString error;
    QVERIFY(!clab::model::saveResult(sampleSpec(), sampleResult(), json, &error));
    QVERIFY2(error.startsWith(u"cannot save \""_s + json + u"\": "_s), qPrintable(error));
    QVERIFY(!clab::model::saveSamplesCsv(sampleResult(), csv, &error));
    QVERIFY2(error.startsWith(u"cannot save \""_s + csv + u"\": "_s), qPrintable(error));
    QVERIFY(dirEntries(dir.path()).isEmpty());
}

void TestResultFile::loadErrors_data()
{
    QTest::addColumn<QByteArray>("content");
    QTest::addColumn<QString>("expected");

    QJsonObject good = clab::model::resultToJson(sampleSpec(), sampleResult());
    const auto bytes = [](const QJsonObject &o) { return QJsonDocument(o).toJson(); };

    QTest::addRow("an experiment file") << clab::model::serializeExperiment(sampleSpec())
                                        << u"format: not a Concurrency Lab result file: this is an experiment file"_s;
    QJsonObject newer = good;
    newer.insert(u"schemaVersion", 3);
    QTest::addRow("newer schema") << bytes(newer)
                                  << u"schemaVersion 3 is newer than this version of Concurrency Lab supports (1); "
                                     u"update the app to open this file"_s;
    QJsonObject noSeriesColumn = good;
    QJsonObject series = noSeriesColumn.value(u"series").toObject();
    QJsonArray columns = series.value(u"columns").toArray();
    columns.removeAt(1);
    series.insert(u"columns", columns);
    noSeriesColumn.insert(u"series", series);
    QTest::addRow("a sample column missing") << bytes(noSeriesColumn) << u"series.columns: column t_s is missing"_s;
    QJsonObject badWorker = good;
    QJsonArray workers = badWorker.value(u"workers").toArray();
    QJsonObject w = workers.at(1).toObject();
    w.insert(u"ops", -1);
    w.remove(u"tid");
    workers.replace(1, w);
    badWorker.insert(u"workers", workers);
    QTest::addRow("bad worker fields")
        << bytes(badWorker) << u"workers[1].tid: required\nworkers[1].ops: must be a non-negative integer, got -1"_s;
    QJsonObject badExperiment = good;
    QJsonObject e = badExperiment.value(u"experiment").toObject();
    e.insert(u"workers", 0);
    badExperiment.insert(u"experiment", e);
    QTest::addRow("invalid embedded experiment")
        << bytes(badExperiment) << u"experiment.workers: must be 1..1024, got 0"_s;
    QJsonObject badTime = good;
    QJsonObject run = badTime.value(u"run").toObject();
    run.insert(u"startedAt", u"yesterday"_s);
    badTime.insert(u"run", run);
    QTest::addRow("bad start time")
        << bytes(badTime)
        << u"run.startedAt: must be an ISO 8601 UTC time like \"2024-05-01T12:00:00.000000000Z\", got \"yesterday\""_s;
    QJsonObject noRun = good;
    noRun.remove(u"run");
    QTest::addRow("run section missing") << bytes(noRun) << u"run: required"_s;
    QJsonObject badSeries = good;
    badSeries.insert(u"series", QJsonArray{});
    QTest::addRow("series not an object") << bytes(badSeries) << u"series: must be an object, got []"_s;
    QTest::addRow("not JSON") << QByteArray("{\"format\": ")
                              << u"not valid JSON at the end of the file: unterminated object"_s;
    QTest::addRow("empty") << QByteArray() << u"empty file"_s;
}

void TestResultFile::loadErrors()
{
    QFETCH(QByteArray, content);
    QFETCH(QString, expected);
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(u"run.json"_s);
    QVERIFY(writeFile(path, content));
    const clab::model::ResultLoad load = clab::model::loadResult(path);
    QVERIFY(!load.ok());
    QVERIFY(!load.result.has_value());
    QStringList lines = expected.split(u'\n');
    for (QString &l : lines)
        l.prepend(path + u": "_s);
    QCOMPARE(load.error, lines.join(u'\n'));

    const clab::model::ResultLoad missing = clab::model::loadResult(dir.filePath(u"nope.json"_s));
    QCOMPARE(missing.error, dir.filePath(u"nope.json"_s) + u": file not found"_s);
}

void TestResultFile::filesWithoutFiguresAndChecksLoad()
{
    // Files written before figures and checks existed (same schema version) still load.
    QJsonObject o = clab::model::resultToJson(sampleSpec(), sampleResult());
    o.remove(u"figures");
    o.remove(u"checks");
    const auto load = clab::model::parseResult(QJsonDocument(o).toJson());
    QVERIFY2(load.ok(), qPrintable(load.error));
    QVERIFY(load.result->figures.empty());
    QVERIFY(load.result->checks.empty());
}

void TestResultFile::singleRunFilesHaveNoPoints()
{
    const QJsonObject o = clab::model::resultToJson(sampleSpec(), sampleResult());
    QVERIFY(!o.contains(u"points"));
    const auto load = clab::model::parseResult(QJsonDocument(o).toJson());
    QVERIFY2(load.ok(), qPrintable(load.error));
    QVERIFY(!load.isSweep());
    QVERIFY(load.points.empty());
    // The layout of a single-run file: the sections in their documented order.
    const QByteArray bytes = [] {
        QTemporaryDir dir;
        QString error;
        const QString path = dir.filePath(u"run.json"_s);
        return clab::model::saveResult(sampleSpec(), sampleResult(), path, &error) ? readFile(path) : QByteArray();
    }();
    qsizetype last = -1;
    for (const char *key : {"\n    \"format\"", "\n    \"schemaVersion\"", "\n    \"experiment\"", "\n    \"machine\"",
                            "\n    \"run\"", "\n    \"totals\"", "\n    \"counter\"", "\n    \"figures\"",
                            "\n    \"checks\"", "\n    \"workers\"", "\n    \"series\""}) {
        const qsizetype at = bytes.indexOf(key);
        QVERIFY2(at > last, key);
        last = at;
    }
    QVERIFY(bytes.contains("\"figures\": [\n        {\n            \"name\": \"maxHolders\",\n            \"label\""));
    QVERIFY(bytes.contains("\"value\": null,"));
}

void TestResultFile::sweepRoundTrip()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(u"sweep.json"_s);
    const std::vector<clab::model::PointResult> points = sweepPoints();
    QCOMPARE(points.size(), std::size_t(4));
    QString error;
    QVERIFY2(clab::model::saveSweepResult(sweepSpec(), points, path, &error), qPrintable(error));

    const clab::model::ResultLoad load = clab::model::loadResult(path);
    QVERIFY2(load.ok(), qPrintable(load.error));
    QVERIFY(load.isSweep());
    QCOMPARE(load.spec->variants.size(), std::size_t(2));
    QCOMPARE(load.spec->sweep.size(), std::size_t(1));
    QCOMPARE(load.points.size(), points.size());
    for (std::size_t i = 0; i < points.size(); ++i) {
        const clab::model::PointResult &a = points[i];
        const clab::model::PointResult &b = load.points[i];
        QCOMPARE(b.label, a.label);
        QCOMPARE(b.values, a.values);
        QCOMPARE(static_cast<int>(b.spec.execution), static_cast<int>(a.spec.execution));
        QCOMPARE(static_cast<int>(b.spec.lock.guard), static_cast<int>(a.spec.lock.guard));
        QVERIFY(b.spec.sweep.empty() && b.spec.variants.empty());
        QCOMPARE(b.result.wallNs, a.result.wallNs);
        QCOMPARE(b.result.workers.size(), a.result.workers.size());
        QCOMPARE(b.result.workers[0].ops, a.result.workers[0].ops);
        QCOMPARE(b.result.series.size(), a.result.series.size());
        QCOMPARE(b.result.counter.has_value(), a.result.counter.has_value());
        QCOMPARE(b.result.machine.hostname, a.result.machine.hostname);
        compareFiguresAndChecks(b.result, a.result);
    }
    QCOMPARE(load.points[1].label, u"threads, primitive.guard=none"_s);
    QCOMPARE(load.points[2].label, u"processes, pinned, primitive.guard=mutex"_s);
    // For code that shows one run: the first point's.
    QCOMPARE(load.result->wallNs, points[0].result.wallNs);
}

void TestResultFile::resavingALoadedSweepIsIdentical()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString first = dir.filePath(u"a.json"_s);
    const QString second = dir.filePath(u"b.json"_s);
    QString error;
    QVERIFY2(clab::model::saveSweepResult(sweepSpec(), sweepPoints(), first, &error), qPrintable(error));
    const clab::model::ResultLoad load = clab::model::loadResult(first);
    QVERIFY2(load.ok(), qPrintable(load.error));
    QVERIFY2(clab::model::saveSweepResult(*load.spec, load.points, second, &error), qPrintable(error));
    QCOMPARE(QString::fromUtf8(readFile(second)), QString::fromUtf8(readFile(first)));
    QCOMPARE(dirEntries(dir.path()), (QStringList{u"a.json"_s, u"b.json"_s}));
}

void TestResultFile::sweepLayout()
{
    const std::vector<clab::model::PointResult> points = sweepPoints();
    const QJsonObject o = clab::model::sweepResultToJson(sweepSpec(), points);
    QCOMPARE(o.value(u"format").toString(), u"concurrency-lab-result"_s);
    QCOMPARE(o.value(u"schemaVersion").toInt(), 1);
    QCOMPARE(o.value(u"experiment").toObject(), clab::model::experimentToJson(sweepSpec()));
    QCOMPARE(o.value(u"machine").toObject().value(u"hostname").toString(), u"lab-host"_s);
    for (const char16_t *key : {u"run", u"totals", u"workers", u"series", u"counter"})
        QVERIFY(!o.contains(QStringView(key)));
    const QJsonArray array = o.value(u"points").toArray();
    QCOMPARE(array.size(), 4);
    const QJsonObject p3 = array.at(3).toObject();
    QCOMPARE(p3.value(u"label").toString(), u"processes, pinned, primitive.guard=none"_s);
    QCOMPARE(p3.value(u"values").toObject(),
             (QJsonObject{{u"execution"_s, u"processes"_s}, {u"primitive.guard"_s, u"none"_s}}));
    QCOMPARE(p3.value(u"totals").toObject().value(u"ops").toInteger(), 4300);
    QCOMPARE(p3.value(u"checks").toArray().size(), 2);
    QVERIFY(!array.at(1).toObject().contains(u"counter"));
    QCOMPARE(QJsonValue(p3.value(u"series").toObject().value(u"columns")).toVariant().toStringList(),
             clab::model::sampleColumns());

    // Saved with the documented key order; a point's values in the order the sweep gives them.
    QTemporaryDir dir;
    const QString path = dir.filePath(u"sweep.json"_s);
    QString error;
    QVERIFY2(clab::model::saveSweepResult(sweepSpec(), points, path, &error), qPrintable(error));
    const QByteArray bytes = readFile(path);
    QVERIFY(bytes.contains("            \"values\": {\n                \"execution\": \"threads\",\n"
                           "                \"primitive.guard\": \"mutex\"\n            },\n            \"run\": {"));
    qsizetype last = -1;
    // Top-level keys are indented by 4, the experiment's by 8, a point's by 12.
    for (const char *key : {"\n    \"format\"", "\n    \"schemaVersion\"", "\n    \"experiment\"", "\n        \"sweep\"",
                            "\n    \"machine\"", "\n    \"points\"", "\n            \"label\"", "\n            \"values\"",
                            "\n            \"run\"", "\n            \"totals\"", "\n            \"counter\"",
                            "\n            \"figures\"", "\n            \"checks\"", "\n            \"workers\"",
                            "\n            \"series\""}) {
        const qsizetype at = bytes.indexOf(key);
        QVERIFY2(at > last, key);
        last = at;
    }
}

void TestResultFile::sweepWithoutPointsIsNotSaved()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(u"sweep.json"_s);
    QString error;
    QVERIFY(!clab::model::saveSweepResult(sweepSpec(), {}, path, &error));
    QCOMPARE(error, u"cannot save \""_s + path + u"\": a sweep result needs at least one point"_s);
    QVERIFY(dirEntries(dir.path()).isEmpty());
    QVERIFY(!clab::model::saveSweepResult(sweepSpec(), sweepPoints(), dir.filePath(u"no/dir/s.json"_s), &error));
    QVERIFY2(error.startsWith(u"cannot save \""_s), qPrintable(error));
}

void TestResultFile::sweepLoadErrors_data()
{
    QTest::addColumn<QByteArray>("content");
    QTest::addColumn<QString>("expected");
    const QJsonObject good = clab::model::sweepResultToJson(sweepSpec(), sweepPoints());
    const auto bytes = [](const QJsonObject &o) { return QJsonDocument(o).toJson(); };
    const auto withPoint = [&good](qsizetype i, const std::function<void(QJsonObject &)> &edit) {
        QJsonObject o = good;
        QJsonArray points = o.value(u"points").toArray();
        QJsonObject p = points.at(i).toObject();
        edit(p);
        points.replace(i, p);
        o.insert(u"points", points);
        return o;
    };

    QTest::addRow("a label the sweep does not give")
        << bytes(withPoint(1, [](QJsonObject &p) { p.insert(u"label", u"threads, primitive.guard=atomic"_s); }))
        << u"points[1]: not a point of the experiment's sweep (label \"threads, primitive.guard=atomic\", values "
           u"{\"execution\":\"threads\",\"primitive.guard\":\"none\"})"_s;
    QTest::addRow("values that do not match the label")
        << bytes(withPoint(0, [](QJsonObject &p) {
               p.insert(u"values", QJsonObject{{u"execution"_s, u"threads"_s}, {u"primitive.guard"_s, u"none"_s}});
           }))
        << u"points[0]: not a point of the experiment's sweep (label \"threads, primitive.guard=mutex\", values "
           u"{\"execution\":\"threads\",\"primitive.guard\":\"none\"})"_s;
    QTest::addRow("the same point twice") << bytes(withPoint(2, [&good](QJsonObject &p) {
        p = good.value(u"points").toArray().at(0).toObject();
    })) << u"points[2]: the same point as points[0]"_s;
    QJsonObject noPoints = good;
    noPoints.insert(u"points", QJsonArray{});
    QTest::addRow("no points") << bytes(noPoints) << u"points: must not be empty"_s;
    QJsonObject notArray = good;
    notArray.insert(u"points", 3);
    QTest::addRow("points not an array") << bytes(notArray) << u"points: must be an array, got 3"_s;
    QTest::addRow("a point without its run")
        << bytes(withPoint(3, [](QJsonObject &p) { p.remove(u"run"); })) << u"points[3].run: required"_s;
    QTest::addRow("a bad worker in a point")
        << bytes(withPoint(1, [](QJsonObject &p) {
               QJsonArray workers = p.value(u"workers").toArray();
               QJsonObject w = workers.at(0).toObject();
               w.insert(u"ops", -5);
               workers.replace(0, w);
               p.insert(u"workers", workers);
           }))
        << u"points[1].workers[0].ops: must be a non-negative integer, got -5"_s;
    QTest::addRow("a bad figure in a point")
        << bytes(withPoint(2, [](QJsonObject &p) {
               p.insert(u"figures", QJsonArray{QJsonObject{{u"name"_s, u"x"_s}, {u"label"_s, u"x"_s}, {u"unit"_s, u""_s}}});
           }))
        << u"points[2].figures[0].value: required"_s;
    QTest::addRow("a check that is not an object")
        << bytes(withPoint(0, [](QJsonObject &p) { p.insert(u"checks", QJsonArray{true}); }))
        << u"points[0].checks[0]: must be an object, got true"_s;
    QTest::addRow("a sample column missing in a point") << bytes(withPoint(0, [](QJsonObject &p) {
        QJsonObject series = p.value(u"series").toObject();
        QJsonArray columns = series.value(u"columns").toArray();
        columns.removeAt(0);
        series.insert(u"columns", columns);
        p.insert(u"series", series);
    })) << u"points[0].series.columns: column worker is missing"_s;
    QJsonObject badSweep = good;
    QJsonObject experiment = badSweep.value(u"experiment").toObject();
    experiment.insert(u"sweep", QJsonArray{QJsonObject{{u"parameter"_s, u"workers"_s}, {u"values"_s, QJsonArray{0}}}});
    badSweep.insert(u"experiment", experiment);
    QTest::addRow("an invalid sweep in the experiment")
        << bytes(badSweep) << u"experiment.sweep[0].values[0]: workers: must be 1..1024, got 0"_s;
}

void TestResultFile::sweepLoadErrors()
{
    QFETCH(QByteArray, content);
    QFETCH(QString, expected);
    const clab::model::ResultLoad load = clab::model::parseResult(content, u"s.json"_s);
    QVERIFY(!load.ok());
    QVERIFY(load.points.empty());
    QVERIFY(!load.result.has_value());
    QStringList lines = expected.split(u'\n');
    for (QString &l : lines)
        l.prepend(u"s.json: "_s);
    QCOMPARE(load.error, lines.join(u'\n'));
}

void TestResultFile::sweepCsv()
{
    const std::vector<clab::model::PointResult> points = sweepPoints();
    const QByteArray csv = clab::model::sweepSamplesCsv(points);
    QCOMPARE(clab::model::sweepSampleColumns(), (QStringList{u"point"_s, u"label"_s} + clab::model::sampleColumns()));
    QCOMPARE(csv.left(csv.indexOf('\n')), QByteArray("point,label,") + clab::model::sampleColumns().join(u',').toUtf8());
    // One row per sample of every point, each the point's own CSV row after "point,label".
    const QByteArrayList lines = csv.split('\n');
    QCOMPARE(lines.size(), qsizetype(1 + 4 * 7 + 1)); // header, rows, the empty string after the last newline
    for (std::size_t i = 0; i < points.size(); ++i) {
        const QByteArrayList own = clab::model::samplesCsv(points[i].result).split('\n');
        for (qsizetype r = 1; r <= 7; ++r) {
            const QByteArray &line = lines.at(1 + qsizetype(i) * 7 + r - 1);
            QByteArray label = points[i].label.toUtf8();
            if (label.contains(','))
                label = '"' + label + '"'; // RFC 4180: labels hold ", " between their parts
            QCOMPARE(line, QByteArray::number(qulonglong(i)) + ',' + label + ',' + own.at(r));
        }
    }
    QVERIFY(csv.contains("\n2,\"processes, pinned, primitive.guard=mutex\",0,0.005,warmup,"));

    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(u"sweep.csv"_s);
    QVERIFY(writeFile(path, "old"));
    QString error;
    QVERIFY2(clab::model::saveSweepSamplesCsv(points, path, &error), qPrintable(error));
    QCOMPARE(readFile(path), csv);
    QCOMPARE(dirEntries(dir.path()), QStringList{u"sweep.csv"_s});
}

QTEST_GUILESS_MAIN(TestResultFile)
#include "tst_result_file.moc"
