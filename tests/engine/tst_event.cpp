// The event experiment through the engine: every set reaches its waiter, wake-up latencies are
// recorded, timeouts are counted, the gate releases every waiter each round, stops and dead
// workers end the run, bad parameters are refused. Futex and condition-variable events alike.
#include "sync_test_support.h"
#include "tsan_qt_suppressions.h"

#include <QTest>

using namespace clab;
using namespace clab::testing;

Q_DECLARE_METATYPE(clab::ExecutionModel)
Q_DECLARE_METATYPE(clab::EventImplementation)
Q_DECLARE_METATYPE(clab::EventPattern)

namespace {

ExperimentSpec eventSpec(ExecutionModel m, EventImplementation impl, EventPattern pattern, std::uint32_t workers)
{
    ExperimentSpec s = baseSpec(PrimitiveKind::Event, m, workers);
    s.event.implementation = impl;
    s.event.pattern = pattern;
    return s;
}

void addModelRows()
{
    QTest::addColumn<ExecutionModel>("execution");
    QTest::addColumn<EventImplementation>("impl");
    QTest::addRow("threads, futex") << ExecutionModel::Threads << EventImplementation::Futex;
    QTest::addRow("threads, condvar") << ExecutionModel::Threads << EventImplementation::CondVar;
    QTest::addRow("processes, futex") << ExecutionModel::Processes << EventImplementation::Futex;
    QTest::addRow("processes, condvar") << ExecutionModel::Processes << EventImplementation::CondVar;
}

} // namespace

class TestEvent : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void handOffDeliversEverySet_data() { addModelRows(); }
    void handOffDeliversEverySet();
    void handOffPairsPaced_data() { addModelRows(); }
    void handOffPairsPaced();
    void timeoutsCountedWhenNobodySets_data() { addModelRows(); }
    void timeoutsCountedWhenNobodySets();
    void gateReleasesAllWaiters_data() { addModelRows(); }
    void gateReleasesAllWaiters();
    void stopEndsBlockedGate_data() { addModelRows(); }
    void stopEndsBlockedGate();
    void killedWaiterFailsRunNamingIt_data();
    void killedWaiterFailsRunNamingIt();
    void refusesBadParameters_data();
    void refusesBadParameters();
};

// Back to back (setInterval 0): a ping-pong; 1000 sets, each seen once, each with a wake-up latency.
void TestEvent::handOffDeliversEverySet()
{
    QFETCH(ExecutionModel, execution);
    QFETCH(EventImplementation, impl);
    ExperimentSpec s = opsSpec(eventSpec(execution, impl, EventPattern::HandOff, 2), 1000);
    s.event.setIntervalNs = 0;
    s.placement = PlacementPolicy::SameCpu;
    const RunResult r = runSpec(s);
    QVERIFY2(r.status == "finished", describe(r).constData());
    CLAB_VERIFY_CHECK(r, "everySetDelivered");
    QCOMPARE(r.workers[0].ops, quint64(1000));
    QCOMPARE(r.workers[1].ops, quint64(1000));
    // The waiter records one wake-up latency per set; the setter records none in its lane.
    QCOMPARE(r.workers[1].latency.count, quint64(1000));
    QCOMPARE(r.workers[0].latency.count, quint64(0));
    CLAB_GET_FIGURE(sets, r, "sets");
    CLAB_GET_FIGURE(trips, r, "roundTrips");
    CLAB_GET_FIGURE(wakeP50, r, "wakeUpP50Ns");
    CLAB_GET_FIGURE(tripMean, r, "roundTripMeanNs");
    QCOMPARE(sets, 1000.0);
    QCOMPARE(trips, 1000.0);
    QVERIFY(wakeP50 > 0);
    QVERIFY(tripMean > 0);
    CLAB_GET_FIGURE(timeouts, r, "waitTimeouts");
    QCOMPARE(timeouts, 0.0); // no timeout was asked for
}

// Two pairs, the setter pausing 200 µs between sets, bounded by time: the set in flight at the
// stop is the only one a waiter may miss.
void TestEvent::handOffPairsPaced()
{
    QFETCH(ExecutionModel, execution);
    QFETCH(EventImplementation, impl);
    ExperimentSpec s = eventSpec(execution, impl, EventPattern::HandOff, 4);
    s.event.setIntervalNs = 200'000;
    s.durationNs = 200'000'000;
    const RunResult r = runSpec(s);
    QVERIFY2(r.status == "finished", describe(r).constData());
    CLAB_VERIFY_CHECK(r, "everySetDelivered");
    for (std::uint32_t i = 1; i < 4; i += 2) {
        QVERIFY2(r.workers[i].latency.count > 10, describe(r).constData());
        // A waiter that slept through the 200 µs pause was woken: a contended wait, timed.
        QVERIFY(r.workers[i].contended > 0);
        QVERIFY(r.workers[i].waitNs > 0);
    }
}

// The setter sleeps for 10 s between sets, so nobody sets during the run: every wait(10 ms)
// times out, and the stop still ends both the setter's pause and the waiter's wait.
void TestEvent::timeoutsCountedWhenNobodySets()
{
    QFETCH(ExecutionModel, execution);
    QFETCH(EventImplementation, impl);
    ExperimentSpec s = eventSpec(execution, impl, EventPattern::HandOff, 2);
    s.event.setIntervalNs = 10'000'000'000ULL;
    s.event.waitTimeoutNs = 10'000'000;
    s.durationNs = 200'000'000;
    const RunResult r = runSpec(s, RunOptions{3'000'000'000, -1});
    QVERIFY2(r.status == "finished", describe(r).constData());
    for (const WorkerResult &w : r.workers) {
        QVERIFY2(w.exitState == "finished" || w.exitState == "stopped", describe(r).constData());
        QCOMPARE(w.ops, quint64(0)); // abandoned operations are not counted
    }
    CLAB_GET_FIGURE(timeouts, r, "waitTimeouts");
    CLAB_GET_FIGURE(sets, r, "sets");
    QCOMPARE(sets, 0.0);
    // About 20 in 200 ms (the run ends on the runner's next 20 ms tick); a loose floor for a noisy
    // machine, and a ceiling that the 5 ms stop slices would break if they were counted too.
    QVERIFY2(timeouts >= 5 && timeouts <= 30, QByteArray::number(timeouts).constData());
    // The waiter's sampled gauges: is_set() = 0, the running count of timeouts.
    std::int64_t lastTimeouts = -1;
    for (const SeriesPoint &p : r.series) {
        if (p.worker == 1)
            lastTimeouts = std::max(lastTimeouts, p.sample.gauge1);
    }
    QVERIFY(lastTimeouts <= std::int64_t(timeouts));
}

void TestEvent::gateReleasesAllWaiters()
{
    QFETCH(ExecutionModel, execution);
    QFETCH(EventImplementation, impl);
    ExperimentSpec s = opsSpec(eventSpec(execution, impl, EventPattern::Gate, 4), 200);
    s.event.setIntervalNs = 200'000;
    const RunResult r = runSpec(s);
    QVERIFY2(r.status == "finished", describe(r).constData());
    CLAB_VERIFY_CHECK(r, "everyRoundReleasedAll");
    for (const WorkerResult &w : r.workers)
        QCOMPARE(w.ops, quint64(200));
    // The setter books one "last waiter" time per round; waiters book none in their lanes.
    QCOMPARE(r.workers[0].latency.count, quint64(200));
    CLAB_GET_FIGURE(rounds, r, "gateRounds");
    CLAB_GET_FIGURE(last, r, "lastWaiterMeanNs");
    CLAB_GET_FIGURE(first, r, "firstWaiterMeanNs");
    CLAB_GET_FIGURE(any, r, "waiterWakeUpMeanNs");
    QCOMPARE(rounds, 200.0);
    QVERIFY(first > 0);
    // The last of three can come no sooner than the first, nor than the average one (the
    // histogram rounds to its bucket midpoints: 1.6 %).
    QVERIFY2(last * 1.02 >= any && any >= first,
             QByteArray(QByteArray::number(first) + " " + QByteArray::number(any) + " " + QByteArray::number(last)).constData());
}

// The setter pauses 5 s before its first set: three waiters are blocked when the stop comes.
void TestEvent::stopEndsBlockedGate()
{
    QFETCH(ExecutionModel, execution);
    QFETCH(EventImplementation, impl);
    ExperimentSpec s = eventSpec(execution, impl, EventPattern::Gate, 4);
    s.event.setIntervalNs = 5'000'000'000ULL;
    s.durationNs = 60'000'000;
    const RunResult r = runSpec(s, RunOptions{3'000'000'000, -1});
    QVERIFY2(r.status == "finished", describe(r).constData());
    for (const WorkerResult &w : r.workers) {
        QVERIFY2(w.exitState == "finished" || w.exitState == "stopped", describe(r).constData());
        QCOMPARE(w.ops, quint64(0));
    }
    CLAB_VERIFY_CHECK(r, "everyRoundReleasedAll");
}

void TestEvent::killedWaiterFailsRunNamingIt_data()
{
    QTest::addColumn<EventImplementation>("impl");
    QTest::addColumn<EventPattern>("pattern");
    QTest::addRow("futex hand-off") << EventImplementation::Futex << EventPattern::HandOff;
    QTest::addRow("futex gate") << EventImplementation::Futex << EventPattern::Gate;
    // The baseline's pthread condition variable is not robust: a waiter killed inside
    // pthread_cond_wait may die holding the condvar's internal lock, and the setter then blocks
    // in pthread_cond_broadcast for good, so the runner kills it after the grace period.
    QTest::addRow("condvar hand-off") << EventImplementation::CondVar << EventPattern::HandOff;
}

// SIGKILL the waiter (worker 1) mid-run: the setter waits for an ack that will never come; the
// run must fail naming worker 1 and the setter must leave by itself.
void TestEvent::killedWaiterFailsRunNamingIt()
{
    QFETCH(EventImplementation, impl);
    QFETCH(EventPattern, pattern);
    ExperimentSpec s = eventSpec(ExecutionModel::Processes, impl, pattern, pattern == EventPattern::Gate ? 3 : 2);
    s.event.setIntervalNs = 100'000;
    s.durationNs = 1'500'000'000;
    const RunResult r = runSpec(s, RunOptions{1'500'000'000, 1});
    QVERIFY2(r.status == "failed", describe(r).constData());
    QVERIFY2(r.error.find("worker 1") != std::string::npos, describe(r).constData());
    QCOMPARE(r.workers[1].exitState, std::string("crashed"));
    if (impl == EventImplementation::Futex) {
        for (const WorkerResult &w : r.workers)
            QVERIFY2(w.exitState != "killed", describe(r).constData());
    }
}

void TestEvent::refusesBadParameters_data()
{
    QTest::addColumn<int>("which");
    QTest::addColumn<QString>("mentions");
    QTest::addRow("hand-off with 3 workers") << 0 << QStringLiteral("workers");
    QTest::addRow("gate with 1 worker") << 1 << QStringLiteral("workers");
    QTest::addRow("sequential") << 2 << QStringLiteral("execution");
    QTest::addRow("warm-up with an operation count") << 3 << QStringLiteral("warmup");
}

void TestEvent::refusesBadParameters()
{
    QFETCH(int, which);
    QFETCH(QString, mentions);
    ExperimentSpec s = eventSpec(ExecutionModel::Threads, EventImplementation::Futex, EventPattern::HandOff, 2);
    s.durationNs = 20'000'000;
    switch (which) {
    case 0: s.workers = 3; break;
    case 1:
        s.event.pattern = EventPattern::Gate;
        s.workers = 1;
        break;
    case 2: s = opsSpec(s, 10); s.execution = ExecutionModel::Sequential; break;
    case 3:
        s = opsSpec(s, 100);
        s.warmupNs = 10'000'000;
        break;
    }
    const std::string why = refusal(s);
    QVERIFY2(why.find(mentions.toStdString()) == 0, why.c_str());
}

QTEST_GUILESS_MAIN(TestEvent)
#include "tst_event.moc"
