// Chart math without a window: time→pixel mapping, min/max decimation, nice axis numbers.
#include "plot_data.h"

#include <QTest>

#include <cmath>
#include <vector>

using clab::charts::MinMaxPoint;
using clab::charts::TimeAxis;

namespace {
MinMaxPoint pt(double t, double v)
{
    return {t, v, v, v, v};
}
} // namespace

class TestPlotData : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void toPixel_data();
    void toPixel();
    void columnClamps();
    void roundTrip();
    void decimateKeepsPeaks();
    void decimateBoundsPoints_data();
    void decimateBoundsPoints();
    void decimateSinglePointsKeepTheirTime();
    void decimateSkipsOutside();
    void decimateOrderFollowsDirection();
    void decimateEmptyAxis();
    void niceCeiling_data();
    void niceCeiling();
    void unitPrefix_data();
    void unitPrefix();
};

void TestPlotData::toPixel_data()
{
    QTest::addColumn<double>("t0");
    QTest::addColumn<double>("t1");
    QTest::addColumn<int>("pixels");
    QTest::addColumn<double>("t");
    QTest::addColumn<double>("px");
    QTest::addColumn<int>("column");
    QTest::addRow("start") << 0.0 << 10.0 << 100 << 0.0 << 0.0 << 0;
    QTest::addRow("middle") << 0.0 << 10.0 << 100 << 5.0 << 50.0 << 50;
    QTest::addRow("end is the last column") << 0.0 << 10.0 << 100 << 10.0 << 100.0 << 99;
    QTest::addRow("offset origin") << 2.0 << 4.0 << 200 << 3.0 << 100.0 << 100;
    QTest::addRow("just before a border") << 0.0 << 1.0 << 10 << 0.0999 << 0.999 << 0;
    QTest::addRow("before the range clamps") << 0.0 << 1.0 << 10 << -1.0 << -10.0 << 0;
    QTest::addRow("after the range clamps") << 0.0 << 1.0 << 10 << 2.0 << 20.0 << 9;
}

void TestPlotData::toPixel()
{
    QFETCH(double, t0);
    QFETCH(double, t1);
    QFETCH(int, pixels);
    QFETCH(double, t);
    QFETCH(double, px);
    QFETCH(int, column);
    const TimeAxis axis{t0, t1, pixels};
    QVERIFY(std::abs(axis.toPixel(t) - px) < 1e-9);
    QCOMPARE(axis.column(t), column);
}

void TestPlotData::columnClamps()
{
    const TimeAxis axis{0, 1, 10};
    QCOMPARE(axis.column(std::nan("")), 0);
    const TimeAxis empty{0, 0, 10};
    QCOMPARE(empty.toPixel(5), 0.0);
    QCOMPARE(empty.column(5), 0);
    const TimeAxis none{0, 1, 0};
    QCOMPARE(none.column(0.5), 0);
    QCOMPARE(none.secondsPerPixel(), 0.0);
}

void TestPlotData::roundTrip()
{
    const TimeAxis axis{1.5, 9.5, 640};
    for (double px : {0.0, 1.0, 319.5, 639.0, 640.0})
        QVERIFY(std::abs(axis.toPixel(axis.toTime(px)) - px) < 1e-9);
    QCOMPARE(axis.secondsPerPixel(), 8.0 / 640);
}

void TestPlotData::decimateKeepsPeaks()
{
    // 10 000 points over 100 pixels with one spike: the spike must survive.
    std::vector<MinMaxPoint> in;
    for (int i = 0; i < 10'000; ++i)
        in.push_back(pt(i * 1e-4, i == 4321 ? 1000.0 : 1.0 + (i % 7) * 0.01));
    QList<QPointF> out;
    clab::charts::decimateMinMax(in, TimeAxis{0, 1, 100}, out);
    QVERIFY(out.size() <= 200);
    double max = 0, min = 1e9;
    for (const QPointF &p : out) {
        max = std::max(max, p.y());
        min = std::min(min, p.y());
    }
    QCOMPARE(max, 1000.0);
    QCOMPARE(min, 1.0);
}

void TestPlotData::decimateBoundsPoints_data()
{
    QTest::addColumn<int>("points");
    QTest::addColumn<int>("pixels");
    QTest::addRow("fewer points than pixels") << 50 << 800;
    QTest::addRow("as many as pixels") << 800 << 800;
    QTest::addRow("ten per pixel") << 8000 << 800;
    QTest::addRow("a thousand per pixel") << 100'000 << 100;
}

void TestPlotData::decimateBoundsPoints()
{
    QFETCH(int, points);
    QFETCH(int, pixels);
    std::vector<MinMaxPoint> in;
    for (int i = 0; i < points; ++i)
        in.push_back(pt((i + 0.5) / points, std::sin(i * 0.37)));
    QList<QPointF> out;
    clab::charts::decimateMinMax(in, TimeAxis{0, 1, pixels}, out);
    QVERIFY(out.size() <= 2 * pixels);
    QVERIFY(out.size() <= 2 * points);
    // x never goes backwards: the line is drawn left to right.
    for (qsizetype i = 1; i < out.size(); ++i)
        QVERIFY(out[i].x() >= out[i - 1].x());
}

void TestPlotData::decimateSinglePointsKeepTheirTime()
{
    const std::vector<MinMaxPoint> in{pt(0.123, 5), pt(0.5, 6)};
    QList<QPointF> out;
    clab::charts::decimateMinMax(in, TimeAxis{0, 1, 10}, out);
    QCOMPARE(out.size(), 2);
    QCOMPARE(out[0], QPointF(0.123, 5));
    QCOMPARE(out[1], QPointF(0.5, 6));
}

void TestPlotData::decimateSkipsOutside()
{
    const std::vector<MinMaxPoint> in{pt(-1, 100), pt(0.5, 1), pt(3, 100)};
    QList<QPointF> out;
    clab::charts::decimateMinMax(in, TimeAxis{0, 1, 10}, out);
    QCOMPARE(out.size(), 1);
    QCOMPARE(out[0].y(), 1.0);
}

void TestPlotData::decimateOrderFollowsDirection()
{
    QList<QPointF> out;
    // Falling inside one column: high first, then low.
    std::vector<MinMaxPoint> falling{pt(0.01, 9), pt(0.02, 5), pt(0.03, 1)};
    clab::charts::decimateMinMax(falling, TimeAxis{0, 1, 10}, out);
    QCOMPARE(out.size(), 2);
    QCOMPARE(out[0].y(), 9.0);
    QCOMPARE(out[1].y(), 1.0);
    std::vector<MinMaxPoint> rising{pt(0.01, 1), pt(0.02, 5), pt(0.03, 9)};
    clab::charts::decimateMinMax(rising, TimeAxis{0, 1, 10}, out);
    QCOMPARE(out[0].y(), 1.0);
    QCOMPARE(out[1].y(), 9.0);
}

void TestPlotData::decimateEmptyAxis()
{
    const std::vector<MinMaxPoint> in{pt(0.5, 1)};
    QList<QPointF> out{QPointF(1, 1)};
    clab::charts::decimateMinMax(in, TimeAxis{0, 1, 0}, out);
    QVERIFY(out.isEmpty());
    clab::charts::decimateMinMax({}, TimeAxis{0, 1, 100}, out);
    QVERIFY(out.isEmpty());
}

void TestPlotData::niceCeiling_data()
{
    QTest::addColumn<double>("in");
    QTest::addColumn<double>("out");
    QTest::addRow("zero") << 0.0 << 1.0;
    QTest::addRow("negative") << -5.0 << 1.0;
    QTest::addRow("one") << 1.0 << 1.0;
    QTest::addRow("1.1") << 1.1 << 2.0;
    QTest::addRow("2.2") << 2.2 << 2.5;
    QTest::addRow("3") << 3.0 << 5.0;
    QTest::addRow("7") << 7.0 << 10.0;
    QTest::addRow("millions") << 3.4e6 << 5e6;
    QTest::addRow("small") << 0.012 << 0.02;
}

void TestPlotData::niceCeiling()
{
    QFETCH(double, in);
    QFETCH(double, out);
    QVERIFY(std::abs(clab::charts::niceCeiling(in) - out) < out * 1e-12);
}

void TestPlotData::unitPrefix_data()
{
    QTest::addColumn<double>("max");
    QTest::addColumn<double>("divisor");
    QTest::addColumn<QString>("prefix");
    QTest::addRow("plain") << 5000.0 << 1.0 << QString();
    QTest::addRow("kilo") << 20000.0 << 1e3 << QStringLiteral("k");
    QTest::addRow("mega") << 2.5e6 << 1e6 << QStringLiteral("M");
    QTest::addRow("giga") << 1e9 << 1e9 << QStringLiteral("G");
}

void TestPlotData::unitPrefix()
{
    QFETCH(double, max);
    QFETCH(double, divisor);
    QFETCH(QString, prefix);
    const auto p = clab::charts::unitPrefixFor(max);
    QCOMPARE(p.divisor, divisor);
    QCOMPARE(p.prefix, prefix);
}

QTEST_GUILESS_MAIN(TestPlotData)
#include "tst_plot_data.moc"
