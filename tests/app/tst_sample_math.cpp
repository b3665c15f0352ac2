// Rates from cumulative samples: counters in, per-interval figures out; backwards counters clamp to zero.
#include "sample_math.h"

#include <QTest>

Q_DECLARE_METATYPE(clab_sample)

using clab::app::intervalFigures;
using clab::app::sampleDelta;

namespace {
clab_sample sample(std::uint64_t tNs, std::uint64_t ops, std::uint64_t waitNs = 0, std::uint64_t holdNs = 0,
                   std::uint64_t contended = 0)
{
    clab_sample s{};
    s.t_ns = tNs;
    s.ops = ops;
    s.wait_ns = waitNs;
    s.hold_ns = holdNs;
    s.contended = contended;
    return s;
}
} // namespace

class TestSampleMath : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void rates_data();
    void rates();
};

void TestSampleMath::rates_data()
{
    QTest::addColumn<clab_sample>("before");
    QTest::addColumn<clab_sample>("after");
    QTest::addColumn<double>("opsPerSecond");
    QTest::addColumn<double>("waitFraction");
    QTest::addColumn<double>("contendedFraction");
    QTest::addColumn<double>("holdFraction");

    QTest::addRow("1000 ops in 10 ms") << sample(0, 0) << sample(10'000'000, 1000) << 100'000.0 << 0.0 << 0.0 << 0.0;
    QTest::addRow("half the time waiting")
        << sample(10'000'000, 100, 1'000'000) << sample(20'000'000, 300, 6'000'000, 2'000'000, 50) << 20'000.0 << 0.5
        << 0.25 << 0.2;
    QTest::addRow("no time passed") << sample(5, 10) << sample(5, 20) << 0.0 << 0.0 << 0.0 << 0.0;
    QTest::addRow("ops went backwards") << sample(0, 500) << sample(10'000'000, 400) << 0.0 << 0.0 << 0.0 << 0.0;
    QTest::addRow("wait went backwards") << sample(0, 0, 9'000'000) << sample(10'000'000, 10, 1) << 1000.0 << 0.0 << 0.0 << 0.0;
    QTest::addRow("time went backwards") << sample(20, 0) << sample(10, 100) << 0.0 << 0.0 << 0.0 << 0.0;
    QTest::addRow("wait longer than the interval clamps to 1")
        << sample(0, 0) << sample(1'000'000, 1, 3'000'000) << 1000.0 << 1.0 << 0.0 << 0.0;
    QTest::addRow("every acquisition contended") << sample(0, 0) << sample(1'000'000'000, 7, 0, 0, 7) << 7.0 << 0.0 << 1.0 << 0.0;
}

void TestSampleMath::rates()
{
    QFETCH(clab_sample, before);
    QFETCH(clab_sample, after);
    QFETCH(double, opsPerSecond);
    QFETCH(double, waitFraction);
    QFETCH(double, contendedFraction);
    QFETCH(double, holdFraction);
    const auto f = intervalFigures(sampleDelta(before, after));
    QCOMPARE(f.opsPerSecond, opsPerSecond);
    QCOMPARE(f.waitFraction, waitFraction);
    QCOMPARE(f.contendedFraction, contendedFraction);
    QCOMPARE(f.holdFraction, holdFraction);
}

QTEST_GUILESS_MAIN(TestSampleMath)
#include "tst_sample_math.moc"
