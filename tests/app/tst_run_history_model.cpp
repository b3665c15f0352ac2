// The run history: newest first, figures from the runner's result, no result for failed runs.
#include "run_history_model.h"

#include <QAbstractItemModelTester>
#include <QTest>

using namespace clab;
using namespace clab::app;

class TestRunHistoryModel : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void newestFirst();
};

void TestRunHistoryModel::newestFirst()
{
    RunHistoryModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    RunOutcome failed;
    failed.kind = RunOutcome::Kind::Failed;
    failed.message = QStringLiteral("The runner was killed");
    failed.spec = ExperimentSpec{};
    failed.spec->name = "First";
    QCOMPARE(model.addRun(failed), 1);

    RunOutcome ok;
    ok.kind = RunOutcome::Kind::Finished;
    ok.spec = ExperimentSpec{};
    ok.spec->name = "Second";
    ok.spec->workers = 4;
    RunResult r;
    r.wallNs = 1'000'000'000;
    WorkerResult w;
    w.ops = 2'000'000;
    w.measuredNs = 1'000'000'000;
    r.workers = {w};
    ok.result = r;
    ok.resultPath = QStringLiteral("/tmp/result.json");
    QCOMPARE(model.addRun(ok), 2);

    QCOMPARE(model.rowCount(), 2);
    QCOMPARE(model.index(0, RunHistoryModel::NumberColumn).data().toInt(), 2);
    QVERIFY(model.index(0, RunHistoryModel::ExperimentColumn).data().toString().startsWith(QStringLiteral("Second")));
    QVERIFY(model.index(0, RunHistoryModel::ExperimentColumn).data().toString().contains(QStringLiteral("4 workers")));
    QCOMPARE(model.index(0, RunHistoryModel::StatusColumn).data().toString(), QStringLiteral("finished"));
    QCOMPARE(model.index(0, RunHistoryModel::ThroughputColumn).data().toString(), QStringLiteral("2.00 M"));
    QVERIFY(model.index(0, 0).data(RunHistoryModel::HasResultRole).toBool());
    QCOMPARE(model.index(1, RunHistoryModel::StatusColumn).data().toString(), QStringLiteral("failed"));
    QVERIFY(!model.index(1, 0).data(RunHistoryModel::HasResultRole).toBool());
    QCOMPARE(model.index(1, 0).data(Qt::ToolTipRole).toString(), failed.message);
    QCOMPARE(model.run(1).spec->name, std::string("First"));
    model.clear();
    QCOMPARE(model.rowCount(), 0);
}

QTEST_GUILESS_MAIN(TestRunHistoryModel)
#include "tst_run_history_model.moc"
