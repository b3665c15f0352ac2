// Tests of the log-linear latency histogram: bucket mapping, bucket widths, quantiles and arithmetic.
#include "latency_histogram.h"

#include "tsan_qt_suppressions.h"

#include <QTest>

#include <cmath>
#include <cstdint>
#include <map>
#include <string>

using namespace clab;

namespace {

constexpr std::uint32_t kSub = 1U << CLAB_HIST_SUB_BITS;
constexpr std::uint32_t kOctaves = CLAB_HIST_BUCKETS / kSub; // octave 0 holds the exact values 0..31
constexpr std::uint64_t kRangeEnd = 1ULL << 34;              // first value past the documented range

std::uint64_t mix(std::uint64_t x)
{
    x += 0x9E3779B97F4A7C15ULL;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
    return x ^ (x >> 31);
}

void record(LatencyHistogram &h, std::uint64_t ns, std::uint64_t n = 1) { h.counts[histogramBucket(ns)] += n; }

// The distributions the quantile rows refer to, built once.
const LatencyHistogram &distribution(const QString &name)
{
    static std::map<QString, LatencyHistogram> cache;
    auto it = cache.find(name);
    if (it != cache.end())
        return it->second;
    LatencyHistogram h;
    if (name == QLatin1String("uniform 1..1e6")) {
        for (std::uint64_t v = 1; v <= 1'000'000; ++v)
            record(h, v);
    } else if (name == QLatin1String("two-point 90% 1 us, 10% 1 ms")) {
        record(h, 1'000, 900);
        record(h, 1'000'000, 100);
    } else if (name == QLatin1String("single 12345 ns")) {
        record(h, 12'345, 1000);
    } else if (name == QLatin1String("single 7 ns")) {
        record(h, 7, 3);
    } else if (name == QLatin1String("single 10 s")) {
        record(h, 10'000'000'000ULL, 2);
    } else if (name == QLatin1String("empty")) {
        // nothing
    } else {
        qFatal("unknown distribution %s", qPrintable(name));
    }
    return cache.emplace(name, h).first->second;
}

bool within(double got, double want, double relative)
{
    if (want == 0.0)
        return got == 0.0;
    return std::fabs(got - want) <= relative * std::fabs(want);
}

QByteArray describe(double got, double want)
{
    return "got " + QByteArray::number(got, 'g', 12) + ", want " + QByteArray::number(want, 'g', 12);
}

} // namespace

class TestLatencyHistogram : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void bucketBoundaries_data();
    void bucketBoundaries();
    void relativeWidth_data();
    void relativeWidth();
    void wholeRangeIsContiguous();
    void randomValuesFallInTheirBucket();
    void valuesRepresentable_data();
    void valuesRepresentable();
    void quantiles_data();
    void quantiles();
    void meanAndMax_data();
    void meanAndMax();
    void sinceClampsCountsThatWentBackwards_data();
    void sinceClampsCountsThatWentBackwards();
    void additionAndTotal();
};

void TestLatencyHistogram::bucketBoundaries_data()
{
    QTest::addColumn<quint32>("octave");
    QTest::addRow("exact values 0..31") << 0u;
    for (std::uint32_t k = 1; k < kOctaves; ++k)
        QTest::addRow("octave %u: [2^%u, 2^%u)", k, k + CLAB_HIST_SUB_BITS - 1, k + CLAB_HIST_SUB_BITS) << k;
}

void TestLatencyHistogram::bucketBoundaries()
{
    QFETCH(quint32, octave);
    const std::uint32_t first = octave * kSub;
    for (std::uint32_t i = first; i < first + kSub; ++i) {
        const std::uint64_t lo = histogramBucketLower(i);
        const std::uint64_t hi = histogramBucketUpper(i);
        const QByteArray where = "bucket " + QByteArray::number(i) + " [" + QByteArray::number(quint64(lo)) + ", "
                                 + QByteArray::number(quint64(hi)) + ")";
        QVERIFY2(hi > lo, where.constData());
        QVERIFY2(histogramBucket(lo) == i, where.constData());
        QVERIFY2(histogramBucket(hi - 1) == i, where.constData());
        QVERIFY2(histogramBucket(lo + (hi - lo) / 2) == i, where.constData());
        if (i > 0) {
            QVERIFY2(histogramBucketUpper(i - 1) == lo, QByteArray("gap or overlap before " + where).constData());
            QVERIFY2(histogramBucket(lo - 1) == i - 1, where.constData());
        }
        if (i + 1 < CLAB_HIST_BUCKETS)
            QVERIFY2(histogramBucket(hi) == i + 1, where.constData());
    }
    // The octave covers exactly [2^(k+4), 2^(k+5)) (octave 0: [0, 32)).
    const std::uint64_t octaveLo = octave == 0 ? 0 : 1ULL << (octave + CLAB_HIST_SUB_BITS - 1);
    const std::uint64_t octaveHi = 1ULL << (octave + CLAB_HIST_SUB_BITS);
    QCOMPARE(quint64(histogramBucketLower(first)), quint64(octaveLo));
    QCOMPARE(quint64(histogramBucketUpper(first + kSub - 1)), quint64(octaveHi));
}

void TestLatencyHistogram::relativeWidth_data() { bucketBoundaries_data(); }

void TestLatencyHistogram::relativeWidth()
{
    QFETCH(quint32, octave);
    const std::uint32_t first = octave * kSub;
    for (std::uint32_t i = first; i < first + kSub; ++i) {
        const std::uint64_t lo = histogramBucketLower(i);
        const std::uint64_t hi = histogramBucketUpper(i);
        if (lo < kSub) {
            QCOMPARE(quint64(hi - lo), quint64(1)); // exact buckets hold one value
            continue;
        }
        const double width = static_cast<double>(hi - lo) / static_cast<double>(lo);
        QVERIFY2(width <= 0.05, QByteArray("bucket " + QByteArray::number(i) + " is " + QByteArray::number(width * 100, 'f', 2) + " % wide").constData());
        QVERIFY2(width <= 1.0 / kSub + 1e-12, "wider than the documented 1/32");
    }
}

void TestLatencyHistogram::wholeRangeIsContiguous()
{
    // Lower bounds strictly increase, each bucket starts where the previous ends, and the last
    // one ends at 2^34: the mapping is monotonic and covers 0 .. 2^34 without holes.
    QCOMPARE(quint64(histogramBucketLower(0)), quint64(0));
    for (std::uint32_t i = 1; i < CLAB_HIST_BUCKETS; ++i) {
        QVERIFY(histogramBucketLower(i) > histogramBucketLower(i - 1));
        QCOMPARE(quint64(histogramBucketLower(i)), quint64(histogramBucketUpper(i - 1)));
    }
    QCOMPARE(quint64(histogramBucketUpper(CLAB_HIST_BUCKETS - 1)), quint64(kRangeEnd));
    QCOMPARE(histogramBucket(kRangeEnd - 1), CLAB_HIST_BUCKETS - 1);
    // Beyond the range everything lands in the last bucket (clamped, never out of bounds).
    QCOMPARE(histogramBucket(kRangeEnd), CLAB_HIST_BUCKETS - 1);
    QCOMPARE(histogramBucket(~0ULL), CLAB_HIST_BUCKETS - 1);
}

void TestLatencyHistogram::randomValuesFallInTheirBucket()
{
    std::uint64_t rng = 42;
    std::uint64_t prevValue = 0;
    std::uint32_t prevBucket = 0;
    for (int n = 0; n < 200'000; ++n) {
        rng = mix(rng);
        // Spread over every octave: a random shift, then a random value below it.
        const unsigned bits = static_cast<unsigned>(rng % 35);
        const std::uint64_t v = bits == 0 ? 0 : (mix(rng) & ((1ULL << bits) - 1));
        const std::uint32_t b = histogramBucket(v);
        QVERIFY(b < CLAB_HIST_BUCKETS);
        QVERIFY2(histogramBucketLower(b) <= v && v < histogramBucketUpper(b), QByteArray::number(quint64(v)).constData());
        if (v >= prevValue)
            QVERIFY(b >= prevBucket);
        else
            QVERIFY(b <= prevBucket);
        prevValue = v;
        prevBucket = b;
    }
}

void TestLatencyHistogram::valuesRepresentable_data()
{
    QTest::addColumn<quint64>("ns");
    QTest::addColumn<bool>("clamped");
    QTest::addRow("0 ns") << quint64(0) << false;
    QTest::addRow("1 ns") << quint64(1) << false;
    QTest::addRow("31 ns (last exact bucket)") << quint64(31) << false;
    QTest::addRow("32 ns (first wide bucket)") << quint64(32) << false;
    QTest::addRow("1 us") << quint64(1'000) << false;
    QTest::addRow("1 ms") << quint64(1'000'000) << false;
    QTest::addRow("1 s") << quint64(1'000'000'000) << false;
    QTest::addRow("10 s") << quint64(10'000'000'000ULL) << false;
    QTest::addRow("2^34 - 1 ns (last in range)") << quint64(kRangeEnd - 1) << false;
    QTest::addRow("2^34 ns (clamped)") << quint64(kRangeEnd) << true;
    QTest::addRow("1 hour (clamped)") << quint64(3'600'000'000'000ULL) << true;
}

void TestLatencyHistogram::valuesRepresentable()
{
    QFETCH(quint64, ns);
    QFETCH(bool, clamped);
    const std::uint32_t b = histogramBucket(ns);
    QVERIFY(b < CLAB_HIST_BUCKETS);
    const std::uint64_t lo = histogramBucketLower(b);
    const std::uint64_t hi = histogramBucketUpper(b);
    QCOMPARE(lo <= ns && ns < hi, !clamped);
    if (clamped) {
        QCOMPARE(b, CLAB_HIST_BUCKETS - 1);
        return;
    }
    if (ns < kSub)
        QCOMPARE(quint64(lo), quint64(ns)); // exact
    // A histogram holding just this value reports it within 5 %.
    LatencyHistogram h;
    record(h, ns, 3);
    QVERIFY2(within(h.quantile(0.5), static_cast<double>(ns), 0.05), describe(h.quantile(0.5), static_cast<double>(ns)).constData());
    QVERIFY2(within(h.mean(), static_cast<double>(ns), 0.05), describe(h.mean(), static_cast<double>(ns)).constData());
    QVERIFY(h.maxValue() >= static_cast<double>(ns));
}

void TestLatencyHistogram::quantiles_data()
{
    QTest::addColumn<QString>("dist");
    QTest::addColumn<double>("q");
    QTest::addColumn<double>("expected");

    const QString uni = QStringLiteral("uniform 1..1e6");
    QTest::addRow("uniform 1..1e6, q=0 (the minimum)") << uni << 0.0 << 1.0;
    QTest::addRow("uniform 1..1e6, p0.1") << uni << 0.001 << 1'000.0;
    QTest::addRow("uniform 1..1e6, p10") << uni << 0.10 << 100'000.0;
    QTest::addRow("uniform 1..1e6, p50") << uni << 0.50 << 500'000.0;
    QTest::addRow("uniform 1..1e6, p90") << uni << 0.90 << 900'000.0;
    QTest::addRow("uniform 1..1e6, p99") << uni << 0.99 << 990'000.0;
    QTest::addRow("uniform 1..1e6, p99.9") << uni << 0.999 << 999'000.0;
    QTest::addRow("uniform 1..1e6, q=1 (the maximum)") << uni << 1.0 << 1'000'000.0;
    QTest::addRow("uniform 1..1e6, q<0 clamps to 0") << uni << -0.5 << 1.0;
    QTest::addRow("uniform 1..1e6, q>1 clamps to 1") << uni << 1.5 << 1'000'000.0;

    const QString two = QStringLiteral("two-point 90% 1 us, 10% 1 ms");
    QTest::addRow("two-point, p50") << two << 0.50 << 1'000.0;
    QTest::addRow("two-point, p90 (last of the low point)") << two << 0.90 << 1'000.0;
    QTest::addRow("two-point, p90.1 (first of the high point)") << two << 0.901 << 1'000'000.0;
    QTest::addRow("two-point, p99") << two << 0.99 << 1'000'000.0;

    const QString one = QStringLiteral("single 12345 ns");
    QTest::addRow("single value, q=0") << one << 0.0 << 12'345.0;
    QTest::addRow("single value, p50") << one << 0.5 << 12'345.0;
    QTest::addRow("single value, p99.9") << one << 0.999 << 12'345.0;
    QTest::addRow("single exact value 7 ns, p50") << QStringLiteral("single 7 ns") << 0.5 << 7.0;
    QTest::addRow("single value 10 s, p99") << QStringLiteral("single 10 s") << 0.99 << 1e10;
    QTest::addRow("empty, p50 is 0") << QStringLiteral("empty") << 0.5 << 0.0;
}

void TestLatencyHistogram::quantiles()
{
    QFETCH(QString, dist);
    QFETCH(double, q);
    QFETCH(double, expected);
    const double got = distribution(dist).quantile(q);
    QVERIFY2(within(got, expected, 0.05), describe(got, expected).constData());
}

void TestLatencyHistogram::meanAndMax_data()
{
    QTest::addColumn<QString>("dist");
    QTest::addColumn<double>("mean");
    QTest::addColumn<double>("max");

    QTest::addRow("uniform 1..1e6") << QStringLiteral("uniform 1..1e6") << 500'000.5 << 1'000'000.0;
    QTest::addRow("two-point") << QStringLiteral("two-point 90% 1 us, 10% 1 ms") << 100'900.0 << 1'000'000.0;
    QTest::addRow("single 12345 ns") << QStringLiteral("single 12345 ns") << 12'345.0 << 12'345.0;
    QTest::addRow("single exact 7 ns") << QStringLiteral("single 7 ns") << 7.0 << 7.0;
    QTest::addRow("single 10 s") << QStringLiteral("single 10 s") << 1e10 << 1e10;
    QTest::addRow("empty") << QStringLiteral("empty") << 0.0 << 0.0;
}

void TestLatencyHistogram::meanAndMax()
{
    QFETCH(QString, dist);
    QFETCH(double, mean);
    QFETCH(double, max);
    const LatencyHistogram &h = distribution(dist);
    QVERIFY2(within(h.mean(), mean, 0.05), describe(h.mean(), mean).constData());
    // maxValue is the top of the highest non-empty bucket: never below the true max, at most one
    // bucket (≤ 3.1 %) above it.
    QVERIFY2(h.maxValue() >= max && within(h.maxValue(), max, 0.05), describe(h.maxValue(), max).constData());
    if (max > 0 && max < kSub)
        QCOMPARE(h.maxValue(), max); // exact buckets are exact
}

void TestLatencyHistogram::sinceClampsCountsThatWentBackwards_data()
{
    // Counts in buckets 0, 5, 100 and 959 (the last).
    QTest::addColumn<QList<quint64>>("earlier");
    QTest::addColumn<QList<quint64>>("later");
    QTest::addColumn<QList<quint64>>("expected");

    QTest::addRow("all grew") << QList<quint64>{1, 2, 3, 4} << QList<quint64>{11, 2, 13, 5} << QList<quint64>{10, 0, 10, 1};
    QTest::addRow("nothing changed") << QList<quint64>{7, 7, 7, 7} << QList<quint64>{7, 7, 7, 7} << QList<quint64>{0, 0, 0, 0};
    QTest::addRow("one bucket went backwards") << QList<quint64>{5, 10, 0, 0} << QList<quint64>{6, 4, 2, 0}
                                               << QList<quint64>{1, 0, 2, 0};
    QTest::addRow("all went backwards (reset)") << QList<quint64>{5, 10, 20, 1} << QList<quint64>{0, 0, 0, 0}
                                                << QList<quint64>{0, 0, 0, 0};
    QTest::addRow("huge counts") << QList<quint64>{0, 1ULL << 62, 0, 0} << QList<quint64>{~0ULL, (1ULL << 62) + 1, 0, 0}
                                 << QList<quint64>{~0ULL, 1, 0, 0};
}

void TestLatencyHistogram::sinceClampsCountsThatWentBackwards()
{
    QFETCH(QList<quint64>, earlier);
    QFETCH(QList<quint64>, later);
    QFETCH(QList<quint64>, expected);
    const std::uint32_t where[] = {0, 5, 100, CLAB_HIST_BUCKETS - 1};
    LatencyHistogram a, b;
    for (qsizetype k = 0; k < 4; ++k) {
        a.counts[where[k]] = earlier[k];
        b.counts[where[k]] = later[k];
    }
    const LatencyHistogram d = b.since(a);
    for (std::uint32_t i = 0; i < CLAB_HIST_BUCKETS; ++i) {
        quint64 want = 0;
        for (qsizetype k = 0; k < 4; ++k)
            if (where[k] == i)
                want = expected[k];
        QVERIFY2(d.counts[i] == want, QByteArray("bucket " + QByteArray::number(i)).constData());
    }
}

void TestLatencyHistogram::additionAndTotal()
{
    LatencyHistogram a, b;
    record(a, 10, 2);
    record(a, 5'000, 3);
    record(b, 5'000, 4);
    record(b, 10'000'000'000ULL, 1);
    QCOMPARE(quint64(a.total()), quint64(5));
    QCOMPARE(quint64(b.total()), quint64(5));
    a += b;
    QCOMPARE(quint64(a.total()), quint64(10));
    QCOMPARE(quint64(a.counts[histogramBucket(10)]), quint64(2));
    QCOMPARE(quint64(a.counts[histogramBucket(5'000)]), quint64(7));
    QCOMPARE(quint64(a.counts[histogramBucket(10'000'000'000ULL)]), quint64(1));
    // Adding then taking away the same histogram gives back the original.
    const LatencyHistogram back = a.since(b);
    QCOMPARE(quint64(back.total()), quint64(5));
    QCOMPARE(quint64(back.counts[histogramBucket(5'000)]), quint64(3));
    QCOMPARE(LatencyHistogram{}.quantile(0.5), 0.0);
    QCOMPARE(LatencyHistogram{}.mean(), 0.0);
    QCOMPARE(LatencyHistogram{}.maxValue(), 0.0);
    QCOMPARE(quint64(LatencyHistogram{}.total()), quint64(0));
}

QTEST_GUILESS_MAIN(TestLatencyHistogram)
#include "tst_latency_histogram.moc"
