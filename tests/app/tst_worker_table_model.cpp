// The per-worker table: figures from clab::metrics, a total row, and only dataChanged during a run.
#include "live_store.h"
#include "metrics.h"
#include "worker_table_model.h"

#include <QAbstractItemModelTester>
#include <QSignalSpy>
#include <QTest>

using namespace clab;
using namespace clab::app;

namespace {
std::vector<WorkerResult> workers(std::uint32_t n)
{
    std::vector<WorkerResult> out;
    for (std::uint32_t i = 0; i < n; ++i) {
        WorkerResult w;
        w.index = i;
        w.ops = 1000 * (i + 1);
        w.waitNs = 250'000'000;
        w.holdNs = 1000 * (i + 1) * 50;
        w.contended = 100;
        w.measuredNs = 1'000'000'000;
        w.userNs = 900'000'000;
        w.sysNs = 10'000'000;
        w.volCsw = 3;
        w.involCsw = 4;
        w.cpusSeen = {0, 1};
        out.push_back(w);
    }
    return out;
}
} // namespace

class TestWorkerTableModel : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void tester();
    void figuresComeFromMetrics();
    void sameSizeEmitsOneDataChanged();
    void totalRowMatchesTotals();
    void liveStoreUpdates();
};

void TestWorkerTableModel::tester()
{
    WorkerTableModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.setWorkers(workers(3), {QStringLiteral("running"), QStringLiteral("waiting"), QStringLiteral("running")}, 1'000'000'000);
    QCOMPARE(model.rowCount(), 4);
    QCOMPARE(model.columnCount(), int(WorkerTableModel::ColumnCount));
    model.setWorkers(workers(3), {}, 1'000'000'000);
    model.setWorkers(workers(5), {}, 1'000'000'000);
    model.clear();
    QCOMPARE(model.rowCount(), 0);
}

void TestWorkerTableModel::figuresComeFromMetrics()
{
    WorkerTableModel model;
    const auto ws = workers(2);
    model.setWorkers(ws, {}, 1'000'000'000);
    const auto raw = [&](int row, int col) { return model.data(model.index(row, col), WorkerTableModel::SortRole); };
    QCOMPARE(raw(1, WorkerTableModel::OpsPerSecondColumn).toDouble(), metrics::opsPerSecond(ws[1]));
    QCOMPARE(raw(1, WorkerTableModel::WaitColumn).toDouble(), metrics::waitFraction(ws[1]));
    QCOMPARE(raw(1, WorkerTableModel::HoldColumn).toDouble(), metrics::meanHoldNs(ws[1]));
    QCOMPARE(raw(1, WorkerTableModel::ContendedColumn).toDouble(), metrics::contendedFraction(ws[1]));
    QCOMPARE(raw(0, WorkerTableModel::ShareColumn).toDouble(), 1000.0 / 3000.0);
    QCOMPARE(model.data(model.index(0, WorkerTableModel::WorkerColumn)).toString(), QStringLiteral("W0"));
    QCOMPARE(model.data(model.index(0, WorkerTableModel::WaitColumn)).toString(), QStringLiteral("25.0 %"));
    QCOMPARE(model.data(model.index(0, WorkerTableModel::CpusColumn)).toString(), QStringLiteral("0, 1"));
}

void TestWorkerTableModel::sameSizeEmitsOneDataChanged()
{
    WorkerTableModel model;
    model.setWorkers(workers(4), {}, 1'000'000'000);
    QSignalSpy reset(&model, &QAbstractItemModel::modelReset);
    QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
    QSignalSpy layout(&model, &QAbstractItemModel::layoutChanged);
    for (int i = 0; i < 10; ++i)
        model.setWorkers(workers(4), {}, 1'000'000'000 + static_cast<std::uint64_t>(i));
    QCOMPARE(reset.count(), 0);
    QCOMPARE(layout.count(), 0);
    QCOMPARE(changed.count(), 10);
    const QModelIndex tl = changed.last().at(0).toModelIndex();
    const QModelIndex br = changed.last().at(1).toModelIndex();
    QCOMPARE(tl, model.index(0, 0));
    QCOMPARE(br, model.index(4, WorkerTableModel::ColumnCount - 1)); // one contiguous range, total row included
}

void TestWorkerTableModel::totalRowMatchesTotals()
{
    WorkerTableModel model;
    const auto ws = workers(3);
    model.setWorkers(ws, {}, 2'000'000'000);
    const metrics::Totals t = metrics::totals(ws, 2'000'000'000);
    const int total = model.rowCount() - 1;
    QVERIFY(model.data(model.index(total, 0), WorkerTableModel::IsTotalRole).toBool());
    QCOMPARE(model.data(model.index(total, WorkerTableModel::OpsColumn), WorkerTableModel::SortRole).toULongLong(), t.ops);
    QCOMPARE(model.data(model.index(total, WorkerTableModel::OpsPerSecondColumn), WorkerTableModel::SortRole).toDouble(),
             t.opsPerSecond);
    QCOMPARE(model.data(model.index(total, WorkerTableModel::WorkerColumn)).toString(), QStringLiteral("Total"));
}

void TestWorkerTableModel::liveStoreUpdates()
{
    LiveRunStore store;
    LiveRunStore::Config c;
    c.workers = 3;
    store.reset(c);
    WorkerTableModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.update(store);
    QCOMPARE(model.workerCount(), 3);
    QSignalSpy reset(&model, &QAbstractItemModel::modelReset);
    for (std::uint64_t k = 1; k <= 20; ++k) {
        for (std::uint32_t w = 0; w < 3; ++w) {
            clab_sample s{};
            s.t_ns = k * 10'000'000;
            s.ops = k * 100 * (w + 1);
            s.state = CLAB_WORKER_HOLDING;
            store.ingest(w, s);
        }
        store.settle();
        model.update(store);
    }
    QCOMPARE(reset.count(), 0);
    QCOMPARE(model.row(2).ops, std::uint64_t{6000});
    QCOMPARE(model.data(model.index(0, WorkerTableModel::StateColumn)).toString(), workerStateName(CLAB_WORKER_CREATED));
}

QTEST_MAIN(TestWorkerTableModel)
#include "tst_worker_table_model.moc"
