// The experiment editor: every field round-trips to ExperimentSpec, the model's rules flag bad input
// at its field (and disable Run), and edits undo and redo.
#include "experiment_file.h"
#include "experiment_form.h"
#include "main_window.h"

#include <QAction>
#include <QComboBox>
#include <QLineEdit>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTest>
#include <QUndoStack>

using namespace clab;
using namespace clab::app;

Q_DECLARE_METATYPE(clab::ExperimentSpec)

namespace {
ExperimentSpec baseSpec()
{
    ExperimentSpec s;
    s.name = "Form test";
    s.topic = "Locks";
    s.description = "A description";
    s.prediction = "A prediction";
    s.workers = 3;
    s.durationNs = 1'500'000'000;
    s.warmupNs = 100'000'000;
    s.sampleIntervalNs = 5'000'000;
    return s;
}

// The canonical file text: two specs are the same experiment when they serialise the same.
QByteArray text(const ExperimentSpec &s)
{
    return model::serializeExperiment(s);
}
} // namespace

class TestExperimentForm : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void roundTrip_data();
    void roundTrip();
    void eachFieldReachesTheSpec_data();
    void eachFieldReachesTheSpec();
    void invalidInputFlaggedAtField_data();
    void invalidInputFlaggedAtField();
    void invalidInputDisablesRun();
    void undoRedo();
    void typingMergesIntoOneStep();
    void durationText_data();
    void durationText();
};

void TestExperimentForm::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
}

void TestExperimentForm::roundTrip_data()
{
    QTest::addColumn<ExperimentSpec>("spec");
    QTest::addRow("defaults") << baseSpec();
    ExperimentSpec s = baseSpec();
    s.execution = ExecutionModel::Processes;
    s.workers = 16;
    s.lock.guard = Guard::Spinlock;
    s.lock.timingSampleEvery = 8;
    s.workload = {250, 75, 1000, 2'000'000};
    QTest::addRow("processes, spinlock, workload") << s;
    s = baseSpec();
    s.durationNs = 0;
    s.operationsPerWorker = 123'456;
    s.warmupNs = 0;
    s.lock.guard = Guard::None;
    QTest::addRow("bounded by operations, unguarded") << s;
    s = baseSpec();
    s.placement = PlacementPolicy::CpuList;
    s.cpuList = {0, 1};
    s.lock.guard = Guard::Atomic;
    QTest::addRow("cpu list, atomic") << s;
    s = baseSpec();
    s.execution = ExecutionModel::Sequential;
    s.workers = 1;
    s.placement = PlacementPolicy::Spread;
    s.sampleIntervalNs = 100'000;
    QTest::addRow("sequential, spread, fastest sampling") << s;
    s = baseSpec();
    s.placement = PlacementPolicy::SameCpu;
    s.name = "Ünïcödé — “quotes”";
    QTest::addRow("same cpu, unicode name") << s;
}

void TestExperimentForm::roundTrip()
{
    QFETCH(ExperimentSpec, spec);
    QVERIFY2(model::validateExperiment(spec).isEmpty(), "the row itself must be valid");
    ExperimentForm form;
    form.setSpec(spec);
    QVERIFY2(form.isValid(), qPrintable(form.errors().value(0).toString()));
    QCOMPARE(text(form.spec()), text(spec));
}

void TestExperimentForm::eachFieldReachesTheSpec_data()
{
    QTest::addColumn<QString>("path");
    QTest::addColumn<QVariant>("value");
    QTest::addColumn<QString>("jsonFragment"); // appears in the serialised experiment afterwards
    QTest::addRow("name") << QStringLiteral("name") << QVariant(QStringLiteral("Renamed")) << QStringLiteral("\"Renamed\"");
    QTest::addRow("topic") << QStringLiteral("topic") << QVariant(QStringLiteral("Semaphores")) << QStringLiteral("\"Semaphores\"");
    QTest::addRow("description") << QStringLiteral("description") << QVariant(QStringLiteral("New words")) << QStringLiteral("\"New words\"");
    QTest::addRow("prediction") << QStringLiteral("prediction") << QVariant(QStringLiteral("It will")) << QStringLiteral("\"It will\"");
    QTest::addRow("execution") << QStringLiteral("execution") << QVariant(1) << QStringLiteral("\"processes\"");
    QTest::addRow("workers") << QStringLiteral("workers") << QVariant(7) << QStringLiteral("\"workers\": 7");
    QTest::addRow("duration") << QStringLiteral("duration") << QVariant(QStringLiteral("750 ms")) << QStringLiteral("750 ms");
    QTest::addRow("warmup") << QStringLiteral("warmup") << QVariant(QStringLiteral("2 s")) << QStringLiteral("\"warmup\": \"2 s\"");
    QTest::addRow("sample interval") << QStringLiteral("sampleInterval") << QVariant(QStringLiteral("20ms")) << QStringLiteral("20 ms");
    QTest::addRow("placement") << QStringLiteral("placement") << QVariant(2) << QStringLiteral("\"spread\"");
    QTest::addRow("guard") << QStringLiteral("primitive.guard") << QVariant(2) << QStringLiteral("\"spinlock\"");
    QTest::addRow("timing sample") << QStringLiteral("primitive.timingSampleEvery") << QVariant(16) << QStringLiteral("\"timingSampleEvery\": 16");
    QTest::addRow("cpu work") << QStringLiteral("workload.cpuWork") << QVariant(QStringLiteral("1.5 us")) << QStringLiteral("1.5 us");
    QTest::addRow("critical section") << QStringLiteral("workload.criticalSection") << QVariant(QStringLiteral("300 ns")) << QStringLiteral("300 ns");
    QTest::addRow("think time") << QStringLiteral("workload.thinkTime") << QVariant(QStringLiteral("1 ms")) << QStringLiteral("\"thinkTime\": \"1 ms\"");
    QTest::addRow("io wait") << QStringLiteral("workload.ioWait") << QVariant(QStringLiteral("2 ms")) << QStringLiteral("\"ioWait\": \"2 ms\"");
    QTest::addRow("bare number is seconds") << QStringLiteral("duration") << QVariant(QStringLiteral("3")) << QStringLiteral("\"duration\": \"3 s\"");
}

void TestExperimentForm::eachFieldReachesTheSpec()
{
    QFETCH(QString, path);
    QFETCH(QVariant, value);
    QFETCH(QString, jsonFragment);
    ExperimentForm form;
    form.setSpec(baseSpec());
    QVERIFY(form.editorFor(path));
    QSignalSpy changed(&form, &ExperimentForm::changed);
    form.editField(path, value);
    QCOMPARE(changed.count(), 1);
    QVERIFY2(form.isValid(), qPrintable(form.errors().value(0).toString()));
    const QString json = QString::fromUtf8(text(form.spec()));
    QVERIFY2(json.contains(jsonFragment), qPrintable(json));
    // And back: the spec the form produced shows the same value when loaded again.
    ExperimentForm again;
    again.setSpec(form.spec());
    QCOMPARE(text(again.spec()), text(form.spec()));
}

void TestExperimentForm::invalidInputFlaggedAtField_data()
{
    QTest::addColumn<QString>("path");
    QTest::addColumn<QVariant>("value");
    QTest::addColumn<QString>("messagePart");
    QTest::addRow("no name") << QStringLiteral("name") << QVariant(QStringLiteral("  ")) << QStringLiteral("empty");
    QTest::addRow("zero workers") << QStringLiteral("workers") << QVariant(0) << QStringLiteral("1..1024");
    QTest::addRow("too many workers") << QStringLiteral("workers") << QVariant(5000) << QStringLiteral("1..1024");
    QTest::addRow("duration not a duration") << QStringLiteral("duration") << QVariant(QStringLiteral("soon")) << QString();
    QTest::addRow("duration too short") << QStringLiteral("duration") << QVariant(QStringLiteral("1 ms")) << QStringLiteral("10 ms");
    QTest::addRow("sample interval too fast") << QStringLiteral("sampleInterval") << QVariant(QStringLiteral("1 us")) << QStringLiteral("100 us");
    QTest::addRow("warm-up too long") << QStringLiteral("warmup") << QVariant(QStringLiteral("2 h")) << QString();
    QTest::addRow("cpu work too long") << QStringLiteral("workload.cpuWork") << QVariant(QStringLiteral("11 s")) << QStringLiteral("10 s");
    QTest::addRow("timing sample zero") << QStringLiteral("primitive.timingSampleEvery") << QVariant(0) << QString();
    QTest::addRow("sequential with two workers and a duration")
        << QStringLiteral("execution") << QVariant(2) << QStringLiteral("operations");
}

void TestExperimentForm::invalidInputFlaggedAtField()
{
    QFETCH(QString, path);
    QFETCH(QVariant, value);
    QFETCH(QString, messagePart);
    ExperimentForm form;
    form.setSpec(baseSpec());
    QVERIFY(form.isValid());
    QSignalSpy validity(&form, &ExperimentForm::validityChanged);
    form.editField(path, value);
    QVERIFY(!form.isValid());
    QCOMPARE(validity.count(), 1);
    QCOMPARE(validity.at(0).at(0).toBool(), false);
    // The error sits at the field it belongs to: sequential execution of several workers needs an
    // operation count, so the model flags the duration.
    const QString at = path == QLatin1String("execution") ? QStringLiteral("duration") : path;
    const QString message = form.errorAt(at);
    QVERIFY2(!message.isEmpty(), qPrintable(form.errors().value(0).toString()));
    QVERIFY2(message.contains(messagePart), qPrintable(message));
    QVERIFY(form.editorFor(at)->property("invalid").toBool());
    // Only that field is flagged.
    for (const QString &other : form.fieldPaths()) {
        if (other != at)
            QVERIFY2(form.errorAt(other).isEmpty(), qPrintable(other));
    }
}

void TestExperimentForm::invalidInputDisablesRun()
{
    MainWindow window;
    window.setConfirmDiscard(false);
    window.loadSpec(baseSpec());
    QVERIFY(window.runAction()->isEnabled());
    window.form()->editField(QStringLiteral("workers"), 0);
    QVERIFY(!window.runAction()->isEnabled());
    window.run(); // refused, with a word why
    QVERIFY(!window.controller()->isActive());
    QVERIFY(!window.bannerText().isEmpty());
    window.form()->editField(QStringLiteral("workers"), 2);
    QVERIFY(window.runAction()->isEnabled());
}

void TestExperimentForm::undoRedo()
{
    ExperimentForm form;
    QUndoStack stack;
    form.setUndoStack(&stack);
    form.setSpec(baseSpec());
    form.editField(QStringLiteral("workers"), 8);
    form.editField(QStringLiteral("primitive.guard"), 0);
    form.editField(QStringLiteral("duration"), QStringLiteral("5 s"));
    QCOMPARE(stack.count(), 3);
    QCOMPARE(form.spec().durationNs, std::uint64_t{5'000'000'000});
    stack.undo();
    QCOMPARE(form.spec().durationNs, std::uint64_t{1'500'000'000});
    stack.undo();
    QCOMPARE(form.spec().lock.guard, Guard::Mutex);
    stack.undo();
    QCOMPARE(form.spec().workers, 3u);
    QCOMPARE(text(form.spec()), text(baseSpec()));
    QVERIFY(!stack.canUndo());
    stack.redo();
    stack.redo();
    QCOMPARE(form.spec().workers, 8u);
    QCOMPARE(form.spec().lock.guard, Guard::None);
    // Undo also takes back an invalid state and its error.
    form.editField(QStringLiteral("workers"), 0);
    QVERIFY(!form.isValid());
    stack.undo();
    QVERIFY(form.isValid());
    QCOMPARE(form.spec().workers, 8u);
    QVERIFY(stack.undoText().contains(QStringLiteral("Guard")));
}

void TestExperimentForm::typingMergesIntoOneStep()
{
    ExperimentForm form;
    QUndoStack stack;
    form.setUndoStack(&stack);
    form.setSpec(baseSpec());
    auto *name = qobject_cast<QLineEdit *>(form.editorFor(QStringLiteral("name")));
    QVERIFY(name);
    name->selectAll();
    QTest::keyClicks(name, QStringLiteral("Typed"));
    QCOMPARE(form.spec().name, std::string("Typed"));
    QCOMPARE(stack.count(), 1); // five key presses, one undo step
    stack.undo();
    QCOMPARE(form.spec().name, std::string("Form test"));
}

void TestExperimentForm::durationText_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<qulonglong>("ns");
    QTest::addColumn<bool>("ok");
    QTest::addRow("seconds") << QStringLiteral("2 s") << qulonglong(2'000'000'000) << true;
    QTest::addRow("no space") << QStringLiteral("500ms") << qulonglong(500'000'000) << true;
    QTest::addRow("micro ascii") << QStringLiteral("100 us") << qulonglong(100'000) << true;
    QTest::addRow("micro sign") << QStringLiteral("100 µs") << qulonglong(100'000) << true;
    QTest::addRow("bare number") << QStringLiteral("0.25") << qulonglong(250'000'000) << true;
    QTest::addRow("empty") << QString() << qulonglong(0) << false;
    QTest::addRow("words") << QStringLiteral("a while") << qulonglong(0) << false;
}

void TestExperimentForm::durationText()
{
    QFETCH(QString, text);
    QFETCH(qulonglong, ns);
    QFETCH(bool, ok);
    QString error;
    const auto parsed = parseDurationText(text, &error);
    QCOMPARE(parsed.has_value(), ok);
    if (ok)
        QCOMPARE(qulonglong(*parsed), ns);
    else
        QVERIFY(!error.isEmpty());
}

QTEST_MAIN(TestExperimentForm)
#include "tst_experiment_form.moc"
