// The live store: bounded series whatever the run's length, totals spread across slots, phases,
// and summaries identical to clab::metrics over the same counters.
#include "live_store.h"

#include <QTest>

#include <cmath>

using namespace clab;
using namespace clab::app;

namespace {
clab_sample sample(std::uint64_t tNs, std::uint64_t ops, std::uint32_t flags = 0, std::uint64_t waitNs = 0)
{
    clab_sample s{};
    s.t_ns = tNs;
    s.ops = ops;
    s.wait_ns = waitNs;
    s.hold_ns = ops * 10;
    s.contended = ops / 4;
    s.user_ns = tNs / 2;
    s.state = CLAB_WORKER_RUNNING;
    s.flags = flags;
    return s;
}
} // namespace

class TestLiveStore : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void binnedSeriesStaysBounded_data();
    void binnedSeriesStaysBounded();
    void binnedSeriesKeepsExtremes();
    void stateTrackStaysBounded();
    void stateTrackAccumulatesIntoColumns();
    void totalsSpreadAcrossSlots();
    void totalsWaitForEveryWorker();
    void totalsBoundOpenSlots();
    void storeTotalsAreMetricsTotals();
    void storeMemoryIsBounded();
    void latencyOverTimeIsPerInterval();
    void queueDepthKeptFromTheStart();
    void storeWarmupRestartsCounters();
    void storeTimelineSource();
    void applyResultReplacesSummaries();
    void loadResultReplaysSeries();
};

void TestLiveStore::binnedSeriesStaysBounded_data()
{
    QTest::addColumn<int>("capacity");
    QTest::addColumn<int>("points");
    QTest::addRow("under capacity") << 256 << 100;
    QTest::addRow("ten times capacity") << 256 << 2560;
    QTest::addRow("5 min at 1 kHz") << 2048 << 300'000;
}

void TestLiveStore::binnedSeriesStaysBounded()
{
    QFETCH(int, capacity);
    QFETCH(int, points);
    BinnedSeries s(static_cast<std::size_t>(capacity), 0.001);
    const std::size_t bytesBefore = s.memoryBytes();
    for (int i = 0; i < points; ++i) {
        s.add(i * 0.001, std::sin(i * 0.01));
        QVERIFY(s.size() <= static_cast<std::size_t>(capacity));
    }
    QCOMPARE(s.memoryBytes(), bytesBefore); // reserved once, never grown
    // The whole history is still covered, from the first point to the last.
    QVERIFY(s.points().front().t <= 0.001);
    QVERIFY(s.points().back().t >= (points - 1) * 0.001 - s.binWidth());
    for (std::size_t i = 1; i < s.size(); ++i)
        QVERIFY(s.points()[i].t > s.points()[i - 1].t);
}

void TestLiveStore::binnedSeriesKeepsExtremes()
{
    BinnedSeries s(64, 0.01);
    for (int i = 0; i < 10'000; ++i)
        s.add(i * 0.01, i == 777 ? 500.0 : (i == 4000 ? -3.0 : 1.0));
    double hi = -1e9, lo = 1e9;
    for (const auto &p : s.points()) {
        hi = std::max(hi, p.hi);
        lo = std::min(lo, p.lo);
    }
    QCOMPARE(hi, 500.0);
    QCOMPARE(lo, -3.0);
    QCOMPARE(s.lastValue(), 1.0);
}

void TestLiveStore::stateTrackStaysBounded()
{
    StateTrack t(128, 0.001);
    for (int i = 0; i < 100'000; ++i)
        t.add(i * 0.001, (i + 1) * 0.001, i % 3);
    QVERIFY(t.size() <= 128);
    charts::StateCounts all;
    t.accumulate(charts::TimeAxis{0, 1000, 1}, std::span<charts::StateCounts>(&all, 1));
    QCOMPARE(all.total(), std::uint64_t{100'000}); // merging loses resolution, never counts
}

void TestLiveStore::stateTrackAccumulatesIntoColumns()
{
    StateTrack t(1024, 0.1);
    for (int i = 0; i < 10; ++i)
        t.add(i * 0.1, (i + 1) * 0.1, i < 5 ? CLAB_WORKER_WAITING : CLAB_WORKER_HOLDING);
    std::vector<charts::StateCounts> cols(2);
    t.accumulate(charts::TimeAxis{0, 1, 2}, cols);
    QCOMPARE(cols[0].dominant(), int(CLAB_WORKER_WAITING));
    QCOMPARE(cols[1].dominant(), int(CLAB_WORKER_HOLDING));
    QCOMPARE(cols[0].total() + cols[1].total(), std::uint64_t{10});
    // Sparse samples still fill every column they cover: one 0.5 s interval over 100 columns.
    StateTrack sparse(64, 0.01);
    sparse.add(0.0, 0.5, CLAB_WORKER_WAITING);
    sparse.add(0.5, 1.0, CLAB_WORKER_RUNNING);
    std::vector<charts::StateCounts> many(100);
    sparse.accumulate(charts::TimeAxis{0, 1, 100}, many);
    for (int c = 0; c < 100; ++c)
        QCOMPARE(many[static_cast<std::size_t>(c)].dominant(), c < 50 ? int(CLAB_WORKER_WAITING) : int(CLAB_WORKER_RUNNING));
}

void TestLiveStore::totalsSpreadAcrossSlots()
{
    TotalsAccumulator acc;
    acc.reset(1, 10'000'000);
    // One interval of 1000 ops from 5 ms to 15 ms: half in each 10 ms slot.
    SampleDelta d;
    d.t0Ns = 5'000'000;
    d.t1Ns = 15'000'000;
    d.ops = 1000;
    acc.add(0, d);
    std::vector<TotalsAccumulator::Slot> closed;
    acc.closeReady([&](const TotalsAccumulator::Slot &s) { closed.push_back(s); });
    QCOMPARE(closed.size(), std::size_t{1}); // slot 0 ended at 10 ms <= 15 ms
    QCOMPARE(closed[0].sums.ops, 500.0);
    QCOMPARE(closed[0].sums.workerNs, 5'000'000.0);
    acc.closeAll([&](const TotalsAccumulator::Slot &s) { closed.push_back(s); });
    QCOMPARE(closed.size(), std::size_t{2});
    QCOMPARE(closed[1].sums.ops, 500.0);
    QCOMPARE(closed[1].t1, 0.015); // the last slot ends at the last reported time
}

void TestLiveStore::totalsWaitForEveryWorker()
{
    TotalsAccumulator acc;
    acc.reset(2, 10'000'000);
    SampleDelta a;
    a.t0Ns = 0;
    a.t1Ns = 30'000'000;
    a.ops = 300;
    acc.add(0, a);
    int closed = 0;
    acc.closeReady([&](const TotalsAccumulator::Slot &) { ++closed; });
    QCOMPARE(closed, 0); // worker 1 has not reported yet
    SampleDelta b;
    b.t0Ns = 0;
    b.t1Ns = 10'000'000;
    b.ops = 100;
    acc.add(1, b);
    double ops = 0;
    acc.closeReady([&](const TotalsAccumulator::Slot &s) {
        ++closed;
        ops += s.sums.ops;
    });
    QCOMPARE(closed, 1);
    QCOMPARE(ops, 200.0);
    acc.workerDone(1); // finished: no longer holds slots open
    acc.closeReady([&](const TotalsAccumulator::Slot &) { ++closed; });
    QCOMPARE(closed, 3);
}

void TestLiveStore::totalsBoundOpenSlots()
{
    TotalsAccumulator acc;
    acc.reset(2, 1'000'000, 16);
    // Worker 1 stalls forever; worker 0 reports 1000 slots.
    for (int i = 0; i < 1000; ++i) {
        SampleDelta d;
        d.t0Ns = static_cast<std::uint64_t>(i) * 1'000'000;
        d.t1Ns = d.t0Ns + 1'000'000;
        d.ops = 1;
        acc.add(0, d);
        acc.closeReady([](const TotalsAccumulator::Slot &) {});
        QVERIFY(acc.openSlots() <= 17);
    }
}

void TestLiveStore::storeTotalsAreMetricsTotals()
{
    LiveRunStore store;
    LiveRunStore::Config c;
    c.workers = 2;
    c.sampleIntervalNs = 10'000'000;
    c.plannedNs = 1'000'000'000;
    store.reset(c);
    for (int i = 1; i <= 50; ++i) {
        const auto t = static_cast<std::uint64_t>(i) * 10'000'000;
        store.ingest(0, sample(t, static_cast<std::uint64_t>(i) * 100, 0, t / 4));
        store.ingest(1, sample(t + 1'000'000, static_cast<std::uint64_t>(i) * 300));
    }
    store.settle();
    const auto &w = store.workers();
    QCOMPARE(w.size(), std::size_t{2});
    QCOMPARE(w[0].ops, std::uint64_t{5000});
    QCOMPARE(w[1].ops, std::uint64_t{15000});
    QCOMPARE(w[0].measuredNs, std::uint64_t{500'000'000});
    const metrics::Totals expected = metrics::totals(w, store.wallNs());
    QCOMPARE(store.totals().ops, expected.ops);
    QCOMPARE(store.totals().opsPerSecond, expected.opsPerSecond);
    QCOMPARE(store.totals().fairness, expected.fairness);
    QVERIFY(store.totals().fairness < 1.0);
    QCOMPARE(store.wallNs(), std::uint64_t{501'000'000});
    // The total rate series: 400 ops every 10 ms = 40 000 ops/s once both workers report.
    QVERIFY(!store.totalRate().empty());
    const auto pts = store.totalRate().points();
    QVERIFY(std::abs(pts[pts.size() / 2].hi - 40'000) < 1);
    // Wait fraction of the total: worker 0 waits 1/4 of its time, worker 1 not at all.
    QVERIFY(std::abs(store.waitFraction().points()[pts.size() / 2].hi - 0.125) < 1e-6);
    QCOMPARE(store.samplesIngested(), std::uint64_t{100});
}

void TestLiveStore::storeMemoryIsBounded()
{
    LiveRunStore store;
    LiveRunStore::Config c;
    c.workers = 64;
    c.sampleIntervalNs = 1'000'000;
    store.reset(c);
    store.settle();
    const std::size_t start = store.memoryBytes();
    // 20 simulated minutes at 1 kHz would be 76.8 M samples; 2 minutes already fill every slot.
    for (std::uint64_t ms = 1; ms <= 120'000; ++ms) {
        for (std::uint32_t w = 0; w < 64; w += 8) // a subset keeps the test fast; bounds are per series
            store.ingest(w, sample(ms * 1'000'000, ms * 10));
        if (ms % 40 == 0)
            store.settle();
    }
    store.settle();
    for (std::uint32_t w = 0; w < 64; ++w)
        QVERIFY(store.workerRate(w).size() <= store.slotsPerSeries());
    QVERIFY(store.totalRate().size() <= store.slotsPerSeries() * 2);
    // Reserved up front; a stalled worker can hold at most the open-slot bound.
    QVERIFY2(store.memoryBytes() <= start + 512 * sizeof(TotalsAccumulator::Sums) + 1024,
             qPrintable(QStringLiteral("%1 > %2").arg(store.memoryBytes()).arg(start)));
}

void TestLiveStore::latencyOverTimeIsPerInterval()
{
    LiveRunStore store;
    LiveRunStore::Config c;
    c.workers = 2;
    c.sampleIntervalNs = 10'000'000;
    store.reset(c);
    LatencyHistogram h0, h1;
    const auto record = [](LatencyHistogram &h, std::uint64_t ns, std::uint64_t n) {
        h.counts[histogramBucket(ns)] += n;
    };
    // Frame 1: 900 round trips of about 2 µs.
    record(h0, 2'000, 500);
    record(h1, 2'000, 400);
    store.ingest(0, sample(10'000'000, 500));
    store.ingest(1, sample(10'000'000, 400));
    store.updateLane(0, h0, 0, 1, CLAB_WORKER_RUNNING);
    store.updateLane(1, h1, 0, 1, CLAB_WORKER_RUNNING);
    store.settle();
    QCOMPARE(store.latencyP50().size(), std::size_t{1});
    QVERIFY(std::abs(store.latencyP50().lastValue() - 2'000) < 2'000 * 0.02);
    // Frame 2: only 100 new ones, all about 50 µs. The whole run's median is still 2 µs; the
    // interval's is 50 µs, and that is what the series shows.
    record(h0, 50'000, 100);
    store.ingest(0, sample(20'000'000, 600));
    store.ingest(1, sample(20'000'000, 400));
    store.updateLane(0, h0, 0, 1, CLAB_WORKER_RUNNING);
    store.settle();
    QCOMPARE(store.latencyP50().size(), std::size_t{2});
    QVERIFY(std::abs(store.latency().quantile(0.5) - 2'000) < 2'000 * 0.02);
    QVERIFY(std::abs(store.latencyP50().lastValue() - 50'000) < 50'000 * 0.02);
    QVERIFY(std::abs(store.latencyP99().lastValue() - 50'000) < 50'000 * 0.02);
    // Frame 3: samples but nothing timed: no point (not a zero).
    store.ingest(0, sample(30'000'000, 700));
    store.updateLane(0, h0, 0, 1, CLAB_WORKER_RUNNING);
    store.settle();
    QCOMPARE(store.latencyP50().size(), std::size_t{2});
    // A new run starts from nothing.
    store.reset(c);
    QVERIFY(store.latencyP50().empty());
    QVERIFY(store.latencyP99().empty());
}

void TestLiveStore::queueDepthKeptFromTheStart()
{
    ExperimentSpec spec;
    spec.workers = 2;
    spec.durationNs = 1'000'000'000;
    spec.primitive = PrimitiveKind::MessagePassing;
    spec.messaging.transport = Transport::PosixMq;
    QVERIFY(LiveRunStore::configFor(spec).gaugesFromStart);
    LiveRunStore store;
    store.reset(LiveRunStore::configFor(spec));
    // An empty queue is a depth of 0, and is drawn as such.
    QVERIFY(store.hasGauges());
    store.ingest(0, sample(10'000'000, 10));
    QCOMPARE(store.gauge0().size(), std::size_t{1});
    QCOMPARE(store.gauge0().lastValue(), 0.0);
    // A datagram socket gives no count; and a lock has no state: both wait for a non-zero gauge.
    spec.messaging.transport = Transport::UnixDgram;
    QVERIFY(!LiveRunStore::configFor(spec).gaugesFromStart);
    spec.primitive = PrimitiveKind::LockContention;
    store.reset(LiveRunStore::configFor(spec));
    QVERIFY(!store.hasGauges());
    store.ingest(0, sample(10'000'000, 10));
    QVERIFY(store.gauge0().empty());
}

void TestLiveStore::storeWarmupRestartsCounters()
{
    LiveRunStore store;
    LiveRunStore::Config c;
    c.workers = 1;
    c.sampleIntervalNs = 10'000'000;
    c.warmupNs = 20'000'000;
    store.reset(c);
    store.ingest(0, sample(10'000'000, 1000, CLAB_SAMPLE_WARMUP));
    store.ingest(0, sample(20'000'000, 2000, CLAB_SAMPLE_WARMUP));
    // Measured phase: counters restart from zero at 20 ms.
    store.ingest(0, sample(30'000'000, 1000));
    store.ingest(0, sample(40'000'000, 2000, CLAB_SAMPLE_FINAL));
    store.finish();
    QCOMPARE(store.workers()[0].ops, std::uint64_t{2000});
    QCOMPARE(store.workers()[0].measuredNs, std::uint64_t{20'000'000});
    // Every interval is 1000 ops / 10 ms: the rate never dips at the phase change.
    for (const auto &p : store.workerRate(0).points()) {
        QCOMPARE(p.lo, 100'000.0);
        QCOMPARE(p.hi, 100'000.0);
    }
    QCOMPARE(store.workerRate(0).size(), std::size_t{4});
}

void TestLiveStore::storeTimelineSource()
{
    LiveRunStore store;
    LiveRunStore::Config c;
    c.workers = 3;
    store.reset(c);
    QCOMPARE(store.rowCount(), 3);
    QCOMPARE(store.rowLabel(2), QStringLiteral("W2"));
    clab_sample s = sample(10'000'000, 5);
    s.state = CLAB_WORKER_WAITING;
    store.ingest(1, s);
    charts::StateCounts c1;
    store.accumulate(1, charts::TimeAxis{0, 1, 1}, std::span<charts::StateCounts>(&c1, 1));
    QCOMPARE(c1.dominant(), int(CLAB_WORKER_WAITING));
    charts::StateCounts c0;
    store.accumulate(0, charts::TimeAxis{0, 1, 1}, std::span<charts::StateCounts>(&c0, 1));
    QCOMPARE(c0.dominant(), -1);
}

void TestLiveStore::applyResultReplacesSummaries()
{
    LiveRunStore store;
    LiveRunStore::Config c;
    c.workers = 2;
    store.reset(c);
    store.ingest(0, sample(10'000'000, 10));
    store.settle();
    RunResult r;
    r.status = "finished";
    r.wallNs = 1'000'000'000;
    for (std::uint32_t i = 0; i < 2; ++i) {
        WorkerResult w;
        w.index = i;
        w.ops = 1000 * (i + 1);
        w.measuredNs = 1'000'000'000;
        w.exitState = "finished";
        w.histogram.counts[100] = 5;
        r.workers.push_back(w);
    }
    r.counter = CounterCheck{3000, 3000};
    store.applyResult(r);
    QVERIFY(store.isFinal());
    QCOMPARE(store.totals().ops, std::uint64_t{3000});
    QCOMPARE(store.totals().opsPerSecond, 3000.0);
    QCOMPARE(store.latency().total(), std::uint64_t{10});
    QVERIFY(store.counter().has_value());
    QCOMPARE(store.workerState(1), int(CLAB_WORKER_FINISHED));
    // A late sample after the end changes nothing.
    store.ingest(0, sample(20'000'000, 99999));
    QCOMPARE(store.totals().ops, std::uint64_t{3000});
}

void TestLiveStore::loadResultReplaysSeries()
{
    ExperimentSpec spec;
    spec.workers = 2;
    spec.sampleIntervalNs = 10'000'000;
    spec.durationNs = 1'000'000'000;
    RunResult r;
    r.status = "finished";
    r.wallNs = 100'000'000;
    for (std::uint32_t i = 0; i < 2; ++i) {
        WorkerResult w;
        w.index = i;
        w.ops = 1000;
        w.measuredNs = 100'000'000;
        w.exitState = "finished";
        r.workers.push_back(w);
        for (int k = 1; k <= 10; ++k)
            r.series.push_back({i, sample(static_cast<std::uint64_t>(k) * 10'000'000, static_cast<std::uint64_t>(k) * 100,
                                          k == 10 ? CLAB_SAMPLE_FINAL : 0u)});
    }
    LiveRunStore store;
    store.loadResult(spec, r);
    QCOMPARE(store.workerRate(0).size(), std::size_t{10});
    QVERIFY(!store.totalRate().empty());
    QCOMPARE(store.totals().ops, std::uint64_t{2000});
    QCOMPARE(store.totals().opsPerSecond, 20'000.0);
}

QTEST_GUILESS_MAIN(TestLiveStore)
#include "tst_live_store.moc"
