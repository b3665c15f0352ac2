// Tests of the metric math: counters in, rates, fractions, fairness and totals out.
#include "metrics.h"

#include "tsan_qt_suppressions.h"

#include <QTest>

#include <cmath>
#include <cstdint>
#include <vector>

using namespace clab;

Q_DECLARE_METATYPE(std::vector<clab::WorkerResult>)
Q_DECLARE_METATYPE(std::vector<double>)

namespace {

constexpr std::uint64_t kSecond = 1'000'000'000ULL;

WorkerResult worker(std::uint64_t ops, std::uint64_t measuredNs, std::uint64_t waitNs = 0, std::uint64_t holdNs = 0,
                    std::uint64_t contended = 0, std::uint64_t bytes = 0)
{
    WorkerResult w;
    w.ops = ops;
    w.opsTotal = ops + ops / 10; // some warm-up on top
    w.measuredNs = measuredNs;
    w.waitNs = waitNs;
    w.holdNs = holdNs;
    w.contended = contended;
    w.bytes = bytes;
    w.userNs = measuredNs / 2;
    w.sysNs = measuredNs / 4;
    w.volCsw = 10;
    w.involCsw = 3;
    w.drops = 1;
    return w;
}

bool near(double got, double want)
{
    return std::fabs(got - want) <= 1e-9 * std::max(1.0, std::fabs(want));
}

QByteArray describe(const char *what, double got, double want)
{
    return QByteArray(what) + ": got " + QByteArray::number(got, 'g', 15) + ", want " + QByteArray::number(want, 'g', 15);
}

#define CHECK_NEAR(what, got, want) QVERIFY2(near((got), (want)), describe((what), (got), (want)).constData())

} // namespace

class TestMetrics : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void rate_data();
    void rate();
    void rateBetween_data();
    void rateBetween();
    void fraction_data();
    void fraction();
    void jainIndex_data();
    void jainIndex();
    void perWorker_data();
    void perWorker();
    void totals_data();
    void totals();
    void totalsMergeLatency();
    void summarizeEmptyAndFilled();
};

void TestMetrics::rate_data()
{
    QTest::addColumn<quint64>("count");
    QTest::addColumn<quint64>("ns");
    QTest::addColumn<double>("expected");
    QTest::addRow("1000 in one second") << quint64(1000) << quint64(kSecond) << 1000.0;
    QTest::addRow("3 in two seconds") << quint64(3) << quint64(2 * kSecond) << 1.5;
    QTest::addRow("1 in 1 ns") << quint64(1) << quint64(1) << 1e9;
    QTest::addRow("nothing in one second") << quint64(0) << quint64(kSecond) << 0.0;
    QTest::addRow("no time passed gives 0, not infinity") << quint64(5) << quint64(0) << 0.0;
    QTest::addRow("nothing in no time") << quint64(0) << quint64(0) << 0.0;
    QTest::addRow("2^40 in 1 ms") << quint64(1ULL << 40) << quint64(1'000'000) << 1.099511627776e15;
}

void TestMetrics::rate()
{
    QFETCH(quint64, count);
    QFETCH(quint64, ns);
    QFETCH(double, expected);
    CHECK_NEAR("rate", metrics::rate(count, ns), expected);
}

void TestMetrics::rateBetween_data()
{
    QTest::addColumn<quint64>("before");
    QTest::addColumn<quint64>("after");
    QTest::addColumn<quint64>("dtNs");
    QTest::addColumn<double>("expected");
    QTest::addRow("grew by 500 in half a second") << quint64(1000) << quint64(1500) << quint64(kSecond / 2) << 1000.0;
    QTest::addRow("unchanged") << quint64(42) << quint64(42) << quint64(kSecond) << 0.0;
    QTest::addRow("went backwards gives 0") << quint64(1500) << quint64(1000) << quint64(kSecond) << 0.0;
    QTest::addRow("reset to zero gives 0") << quint64(1ULL << 60) << quint64(0) << quint64(kSecond) << 0.0;
    QTest::addRow("no time passed gives 0") << quint64(0) << quint64(10) << quint64(0) << 0.0;
    QTest::addRow("from 0") << quint64(0) << quint64(250) << quint64(kSecond / 4) << 1000.0;
}

void TestMetrics::rateBetween()
{
    QFETCH(quint64, before);
    QFETCH(quint64, after);
    QFETCH(quint64, dtNs);
    QFETCH(double, expected);
    CHECK_NEAR("rateBetween", metrics::rateBetween(before, after, dtNs), expected);
    QVERIFY(metrics::rateBetween(before, after, dtNs) >= 0.0);
}

void TestMetrics::fraction_data()
{
    QTest::addColumn<quint64>("part");
    QTest::addColumn<quint64>("whole");
    QTest::addColumn<double>("expected");
    QTest::addRow("half") << quint64(1) << quint64(2) << 0.5;
    QTest::addRow("all") << quint64(7) << quint64(7) << 1.0;
    QTest::addRow("none") << quint64(0) << quint64(5) << 0.0;
    QTest::addRow("part above whole clamps to 1") << quint64(3) << quint64(2) << 1.0;
    QTest::addRow("whole 0 gives 0") << quint64(5) << quint64(0) << 0.0;
    QTest::addRow("0 of 0 gives 0") << quint64(0) << quint64(0) << 0.0;
    QTest::addRow("tiny part") << quint64(1) << quint64(1'000'000) << 1e-6;
}

void TestMetrics::fraction()
{
    QFETCH(quint64, part);
    QFETCH(quint64, whole);
    QFETCH(double, expected);
    const double f = metrics::fraction(part, whole);
    CHECK_NEAR("fraction", f, expected);
    QVERIFY(f >= 0.0 && f <= 1.0);
}

void TestMetrics::jainIndex_data()
{
    QTest::addColumn<std::vector<double>>("xs");
    QTest::addColumn<double>("expected");
    QTest::addRow("all equal gives 1") << std::vector<double>{5, 5, 5, 5} << 1.0;
    QTest::addRow("one of four takes all gives 1/4") << std::vector<double>{10, 0, 0, 0} << 0.25;
    QTest::addRow("one of eight takes all gives 1/8") << std::vector<double>{0, 0, 0, 3, 0, 0, 0, 0} << 0.125;
    QTest::addRow("empty gives 1") << std::vector<double>{} << 1.0;
    QTest::addRow("all zero gives 1") << std::vector<double>{0, 0, 0} << 1.0;
    QTest::addRow("a single worker gives 1") << std::vector<double>{123.0} << 1.0;
    QTest::addRow("1 and 2 gives 0.9") << std::vector<double>{1, 2} << 0.9;
    QTest::addRow("1 and 3 gives 0.8") << std::vector<double>{1000, 3000} << 0.8;
    QTest::addRow("scale does not matter") << std::vector<double>{1e12, 2e12} << 0.9;
}

void TestMetrics::jainIndex()
{
    QFETCH(std::vector<double>, xs);
    QFETCH(double, expected);
    const double j = metrics::jainIndex(xs);
    CHECK_NEAR("jainIndex", j, expected);
    if (!xs.empty())
        QVERIFY(j >= 1.0 / static_cast<double>(xs.size()) - 1e-12 && j <= 1.0 + 1e-12);
}

void TestMetrics::perWorker_data()
{
    QTest::addColumn<quint64>("ops");
    QTest::addColumn<quint64>("measuredNs");
    QTest::addColumn<quint64>("waitNs");
    QTest::addColumn<quint64>("holdNs");
    QTest::addColumn<quint64>("contended");
    QTest::addColumn<double>("opsPerSecond");
    QTest::addColumn<double>("waitFraction");
    QTest::addColumn<double>("contendedFraction");
    QTest::addColumn<double>("meanHoldNs");

    QTest::addRow("busy worker") << quint64(2000) << quint64(2 * kSecond) << quint64(kSecond / 2) << quint64(400'000)
                                 << quint64(500) << 1000.0 << 0.25 << 0.25 << 200.0;
    QTest::addRow("idle worker") << quint64(0) << quint64(kSecond) << quint64(0) << quint64(0) << quint64(0) << 0.0 << 0.0 << 0.0 << 0.0;
    QTest::addRow("never measured") << quint64(10) << quint64(0) << quint64(5) << quint64(10) << quint64(1) << 0.0 << 0.0 << 0.1 << 1.0;
    QTest::addRow("wait above measured time clamps to 1") << quint64(100) << quint64(kSecond) << quint64(3 * kSecond)
                                                          << quint64(0) << quint64(100) << 100.0 << 1.0 << 1.0 << 0.0;
    QTest::addRow("contended above ops clamps to 1") << quint64(10) << quint64(kSecond) << quint64(0) << quint64(0)
                                                     << quint64(11) << 10.0 << 0.0 << 1.0 << 0.0;
}

void TestMetrics::perWorker()
{
    QFETCH(quint64, ops);
    QFETCH(quint64, measuredNs);
    QFETCH(quint64, waitNs);
    QFETCH(quint64, holdNs);
    QFETCH(quint64, contended);
    QFETCH(double, opsPerSecond);
    QFETCH(double, waitFraction);
    QFETCH(double, contendedFraction);
    QFETCH(double, meanHoldNs);
    const WorkerResult w = worker(ops, measuredNs, waitNs, holdNs, contended);
    CHECK_NEAR("opsPerSecond", metrics::opsPerSecond(w), opsPerSecond);
    CHECK_NEAR("waitFraction", metrics::waitFraction(w), waitFraction);
    CHECK_NEAR("contendedFraction", metrics::contendedFraction(w), contendedFraction);
    CHECK_NEAR("meanHoldNs", metrics::meanHoldNs(w), meanHoldNs);
}

void TestMetrics::totals_data()
{
    QTest::addColumn<std::vector<WorkerResult>>("workers");
    QTest::addColumn<quint64>("wallNs");
    QTest::addColumn<double>("opsPerSecond");
    QTest::addColumn<double>("bytesPerSecond");
    QTest::addColumn<double>("waitFraction");
    QTest::addColumn<double>("contendedFraction");
    QTest::addColumn<double>("meanHoldNs");
    QTest::addColumn<double>("fairness");

    // ops/s is over the wall time; wait fraction over the summed worker time; fairness over
    // each worker's own ops/s.
    QTest::addRow("two workers, one three times faster")
        << std::vector<WorkerResult>{worker(1000, kSecond, kSecond / 5, 1'000'000, 100, 1000),
                                     worker(3000, kSecond, 3 * kSecond / 5, 3'000'000, 300, 3000)}
        << quint64(2 * kSecond) << 2000.0 << 2000.0 << 0.4 << 0.1 << 1000.0 << 0.8;
    QTest::addRow("four equal workers")
        << std::vector<WorkerResult>(4, worker(500, kSecond / 2, kSecond / 10, 50'000, 50, 500 * 64))
        << quint64(kSecond / 2) << 4000.0 << 4000.0 * 64 << 0.2 << 0.1 << 100.0 << 1.0;
    QTest::addRow("one of four did everything")
        << std::vector<WorkerResult>{worker(1000, kSecond), worker(0, kSecond), worker(0, kSecond), worker(0, kSecond)}
        << quint64(kSecond) << 1000.0 << 0.0 << 0.0 << 0.0 << 0.0 << 0.25;
    QTest::addRow("same ops over different lengths are not fair")
        << std::vector<WorkerResult>{worker(1000, kSecond, kSecond / 2), worker(1000, 2 * kSecond, kSecond)}
        << quint64(2 * kSecond) << 1000.0 << 0.0 << 0.5 << 0.0 << 0.0 << 0.9;
    QTest::addRow("wait above worker time clamps to 1")
        << std::vector<WorkerResult>{worker(10, kSecond, 5 * kSecond)} << quint64(kSecond) << 10.0 << 0.0 << 1.0 << 0.0
        << 0.0 << 1.0;
    QTest::addRow("no wall time gives no rate")
        << std::vector<WorkerResult>{worker(10, kSecond, 0, 0, 0, 100)} << quint64(0) << 0.0 << 0.0 << 0.0 << 0.0 << 0.0
        << 1.0;
    QTest::addRow("no workers") << std::vector<WorkerResult>{} << quint64(kSecond) << 0.0 << 0.0 << 0.0 << 0.0 << 0.0 << 1.0;
}

void TestMetrics::totals()
{
    QFETCH(std::vector<WorkerResult>, workers);
    QFETCH(quint64, wallNs);
    QFETCH(double, opsPerSecond);
    QFETCH(double, bytesPerSecond);
    QFETCH(double, waitFraction);
    QFETCH(double, contendedFraction);
    QFETCH(double, meanHoldNs);
    QFETCH(double, fairness);

    const metrics::Totals t = metrics::totals(workers, wallNs);
    CHECK_NEAR("opsPerSecond", t.opsPerSecond, opsPerSecond);
    CHECK_NEAR("bytesPerSecond", t.bytesPerSecond, bytesPerSecond);
    CHECK_NEAR("waitFraction", t.waitFraction, waitFraction);
    CHECK_NEAR("contendedFraction", t.contendedFraction, contendedFraction);
    CHECK_NEAR("meanHoldNs", t.meanHoldNs, meanHoldNs);
    CHECK_NEAR("fairness", t.fairness, fairness);

    // The plain sums.
    std::uint64_t ops = 0, opsTotal = 0, bytes = 0, wait = 0, hold = 0, contended = 0, user = 0, sys = 0, vol = 0,
                  invol = 0, drops = 0;
    for (const auto &w : workers) {
        ops += w.ops;
        opsTotal += w.opsTotal;
        bytes += w.bytes;
        wait += w.waitNs;
        hold += w.holdNs;
        contended += w.contended;
        user += w.userNs;
        sys += w.sysNs;
        vol += w.volCsw;
        invol += w.involCsw;
        drops += w.drops;
    }
    QCOMPARE(quint64(t.ops), quint64(ops));
    QCOMPARE(quint64(t.opsTotal), quint64(opsTotal));
    QCOMPARE(quint64(t.bytes), quint64(bytes));
    QCOMPARE(quint64(t.waitNs), quint64(wait));
    QCOMPARE(quint64(t.holdNs), quint64(hold));
    QCOMPARE(quint64(t.contended), quint64(contended));
    QCOMPARE(quint64(t.userNs), quint64(user));
    QCOMPARE(quint64(t.sysNs), quint64(sys));
    QCOMPARE(quint64(t.volCsw), quint64(vol));
    QCOMPARE(quint64(t.involCsw), quint64(invol));
    QCOMPARE(quint64(t.drops), quint64(drops));
    QCOMPARE(quint64(t.latency.count), quint64(0));
}

void TestMetrics::totalsMergeLatency()
{
    WorkerResult a = worker(100, kSecond), b = worker(100, kSecond);
    a.histogram.counts[histogramBucket(1'000)] = 90;
    b.histogram.counts[histogramBucket(1'000'000)] = 10;
    const metrics::Totals t = metrics::totals({a, b}, kSecond);
    QCOMPARE(quint64(t.latency.count), quint64(100));
    QVERIFY2(std::fabs(t.latency.p50Ns - 1'000) <= 50, QByteArray::number(t.latency.p50Ns).constData());
    QVERIFY2(std::fabs(t.latency.p99Ns - 1'000'000) <= 50'000, QByteArray::number(t.latency.p99Ns).constData());
    QVERIFY2(std::fabs(t.latency.meanNs - 100'900) <= 5'045, QByteArray::number(t.latency.meanNs).constData());
    QVERIFY(t.latency.maxNs >= 1'000'000);
}

void TestMetrics::summarizeEmptyAndFilled()
{
    const LatencySummary empty = metrics::summarize(LatencyHistogram{});
    QCOMPARE(quint64(empty.count), quint64(0));
    QCOMPARE(empty.p50Ns, 0.0);
    QCOMPARE(empty.maxNs, 0.0);

    LatencyHistogram h;
    for (std::uint64_t v = 1; v <= 10'000; ++v)
        h.counts[histogramBucket(v * 100)] += 1; // uniform 100 ns .. 1 ms
    const LatencySummary s = metrics::summarize(h);
    QCOMPARE(quint64(s.count), quint64(10'000));
    const std::pair<double, double> checks[] = {
        {s.p50Ns, 500'000}, {s.p90Ns, 900'000}, {s.p99Ns, 990'000}, {s.p999Ns, 999'000}, {s.meanNs, 500'050}};
    for (const auto &[got, want] : checks)
        QVERIFY2(std::fabs(got - want) <= 0.05 * want, describe("summary", got, want).constData());
    QVERIFY(s.p50Ns <= s.p90Ns && s.p90Ns <= s.p99Ns && s.p99Ns <= s.p999Ns && s.p999Ns <= s.maxNs);
    QVERIFY(s.maxNs >= 1'000'000);
}

QTEST_GUILESS_MAIN(TestMetrics)
#include "tst_metrics.moc"
