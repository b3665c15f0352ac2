// The lost-update rule that flags a run contradicting its prediction.
#include "prediction.h"

#include <QTest>

using namespace clab;
using clab::app::PredictionCheck;

Q_DECLARE_METATYPE(clab::Guard)
Q_DECLARE_METATYPE(PredictionCheck::Verdict)

class TestPrediction : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void verdict_data();
    void verdict();
    void unknownWithoutCounter();
};

void TestPrediction::verdict_data()
{
    QTest::addColumn<Guard>("guard");
    QTest::addColumn<int>("workers");
    QTest::addColumn<qint64>("expected");
    QTest::addColumn<qint64>("actual");
    QTest::addColumn<PredictionCheck::Verdict>("verdict");
    using V = PredictionCheck::Verdict;
    QTest::addRow("unguarded loses: as predicted") << Guard::None << 4 << qint64(1000) << qint64(900) << V::Consistent;
    QTest::addRow("unguarded lost nothing: contradicted") << Guard::None << 4 << qint64(1000) << qint64(1000) << V::Contradicted;
    QTest::addRow("one unguarded worker cannot race") << Guard::None << 1 << qint64(1000) << qint64(1000) << V::Consistent;
    QTest::addRow("mutex loses nothing") << Guard::Mutex << 4 << qint64(1000) << qint64(1000) << V::Consistent;
    QTest::addRow("mutex lost updates: contradicted") << Guard::Mutex << 4 << qint64(1000) << qint64(999) << V::Contradicted;
    QTest::addRow("spinlock loses nothing") << Guard::Spinlock << 2 << qint64(10) << qint64(10) << V::Consistent;
    QTest::addRow("atomic loses nothing") << Guard::Atomic << 8 << qint64(10) << qint64(10) << V::Consistent;
    QTest::addRow("more than added is never right") << Guard::Mutex << 2 << qint64(10) << qint64(11) << V::Contradicted;
}

void TestPrediction::verdict()
{
    QFETCH(Guard, guard);
    QFETCH(int, workers);
    QFETCH(qint64, expected);
    QFETCH(qint64, actual);
    QFETCH(PredictionCheck::Verdict, verdict);
    ExperimentSpec spec;
    spec.lock.guard = guard;
    spec.workers = static_cast<std::uint32_t>(workers);
    const auto c = clab::app::checkLostUpdates(spec, CounterCheck{static_cast<std::uint64_t>(expected), static_cast<std::uint64_t>(actual)});
    QCOMPARE(c.verdict, verdict);
    QVERIFY(!c.expectation.isEmpty());
    QVERIFY(!c.outcome.isEmpty());
}

void TestPrediction::unknownWithoutCounter()
{
    ExperimentSpec spec;
    const auto c = clab::app::checkLostUpdates(spec, std::nullopt);
    QCOMPARE(c.verdict, PredictionCheck::Verdict::Unknown);
    QVERIFY(!c.expectation.isEmpty());
}

QTEST_GUILESS_MAIN(TestPrediction)
#include "tst_prediction.moc"
