// The experiment editor: every field, every family's parameters, the memory-bound workload and
// the sweep's values included, round-trips to ExperimentSpec, the model's rules flag bad input at
// its field (and disable Run), edits undo and redo, and the sweep's points are summed up.
#include "experiment_file.h"
#include "experiment_form.h"
#include "main_window.h"

#include <QAction>
#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QLabel>
#include <QLineEdit>
#include <QSet>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTabWidget>
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

// baseSpec() with another family, its parameters changed by `change`.
template<typename Change> ExperimentSpec familySpec(PrimitiveKind kind, std::uint32_t workers, Change change)
{
    ExperimentSpec s = baseSpec();
    s.primitive = kind;
    s.workers = workers;
    change(s);
    return s;
}

ExperimentSpec familySpec(PrimitiveKind kind, std::uint32_t workers)
{
    return familySpec(kind, workers, [](ExperimentSpec &) {});
}

// Message passing with variants and a sweep, like the ipc-comparison preset: 2 × 2 × 2 points.
ExperimentSpec sweepSpec()
{
    ExperimentSpec s = familySpec(PrimitiveKind::MessagePassing, 2);
    s.execution = ExecutionModel::Processes;
    s.variants = {Variant{"same CPU", {{"placement", "\"same-cpu\""}}},
                  Variant{"across CPUs", {{"placement", "\"spread\""}}}};
    s.sweep = {SweepAxis{"primitive.transport", {"\"pipe\"", "\"posix-mq\""}},
               SweepAxis{"primitive.messageSize", {"64", "\"1 KiB\""}}};
    return s;
}

int pointCount(const ExperimentSpec &s)
{
    QList<model::FieldError> errors;
    return static_cast<int>(model::expandSweep(s, &errors).size());
}

// Every family's parameters, one editor each: {family, JSON path, editor's object name}.
struct ParameterEditor {
    PrimitiveKind family;
    const char *path;
    const char *editor;
};
const ParameterEditor kParameterEditors[] = {
    {PrimitiveKind::LockContention, "primitive.guard", "guardCombo"},
    {PrimitiveKind::LockContention, "primitive.timingSampleEvery", "timingSampleEverySpin"},
    {PrimitiveKind::SharedValue, "primitive.type", "elementTypeCombo"},
    {PrimitiveKind::SharedValue, "primitive.guard", "valueGuardCombo"},
    {PrimitiveKind::SharedValue, "primitive.length", "arrayLengthSpin"},
    {PrimitiveKind::SharedValue, "primitive.initial", "initialValuesEdit"},
    {PrimitiveKind::SharedValue, "primitive.initialText", "initialTextEdit"},
    {PrimitiveKind::MessagePassing, "primitive.transport", "transportCombo"},
    {PrimitiveKind::MessagePassing, "primitive.pattern", "messagePatternCombo"},
    {PrimitiveKind::MessagePassing, "primitive.messageSize", "messageSizeEdit"},
    {PrimitiveKind::MessagePassing, "primitive.queueDepth", "queueDepthSpin"},
    {PrimitiveKind::MessagePassing, "primitive.wake", "wakeCombo"},
    {PrimitiveKind::MessagePassing, "primitive.keepCpusAwake", "keepCpusAwakeCheck"},
    {PrimitiveKind::Semaphore, "primitive.pattern", "semaphorePatternCombo"},
    {PrimitiveKind::Semaphore, "primitive.permits", "permitsSpin"},
    {PrimitiveKind::Event, "primitive.pattern", "eventPatternCombo"},
    {PrimitiveKind::Event, "primitive.implementation", "eventImplementationCombo"},
    {PrimitiveKind::Event, "primitive.waitTimeout", "waitTimeoutEdit"},
    {PrimitiveKind::Event, "primitive.setInterval", "setIntervalEdit"},
    {PrimitiveKind::Sync, "primitive.lock", "syncKindCombo"},
    {PrimitiveKind::Sync, "primitive.readShare", "readShareEdit"},
    {PrimitiveKind::Sync, "primitive.recursionDepth", "recursionDepthSpin"},
    {PrimitiveKind::Sync, "primitive.queueCapacity", "queueCapacitySpin"},
    {PrimitiveKind::Sync, "primitive.barrierImplementation", "barrierImplementationCombo"},
    {PrimitiveKind::Work, "primitive.gil", "gilCheck"},
    {PrimitiveKind::Work, "primitive.switchInterval", "switchIntervalEdit"},
    {PrimitiveKind::Lifecycle, "primitive.mode", "lifecycleModeCombo"},
    {PrimitiveKind::Lifecycle, "primitive.daemonWorkers", "daemonWorkersSpin"},
    {PrimitiveKind::Lifecycle, "primitive.joinTimeout", "joinTimeoutEdit"},
    {PrimitiveKind::Lifecycle, "primitive.mainWork", "mainWorkEdit"},
    {PrimitiveKind::Lifecycle, "primitive.execChild", "execChildCheck"},
};
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
    void familyParameterRoundTrip_data();
    void familyParameterRoundTrip();
    void presetShownInFields_data();
    void presetShownInFields();
    void everyPresetRoundTrips();
    void invalidFamilyParameterFlaggedAndBlocksRun_data();
    void invalidFamilyParameterFlaggedAndBlocksRun();
    void onlySelectedFamilyShown();
    void switchingFamilyKeepsValues();
    void hiddenFamilyDoesNotBlockRun();
    void inapplicableParametersDisabled();
    void durationText_data();
    void durationText();
    void sweepSummaryFollowsEdits();
    void sweepValuesText_data();
    void sweepValuesText();
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
    s = baseSpec();
    s.workload.memoryBytes = 64 * 1024;
    s.workload.memoryStride = 128;
    s.workload.memoryBufferBytes = 16 * 1024 * 1024;
    QTest::addRow("memory-bound work") << s;
    s.workload.memoryBytes = 0;
    s.workload.memoryStride = 4096;
    s.workload.memoryBufferBytes = 4096;
    QTest::addRow("memory stride and buffer without memory work") << s;
    QTest::addRow("variants and a sweep") << sweepSpec();
    s = sweepSpec();
    s.variants.clear();
    s.sweep.push_back(SweepAxis{"placement", {"\"same-cpu\"", "[0,1]"}});
    QTest::addRow("a sweep with a CPU list") << s;
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
    QTest::addRow("name") << QStringLiteral("name") << QVariant(QStringLiteral("Renamed"))
                          << QStringLiteral("\"Renamed\"");
    QTest::addRow("topic") << QStringLiteral("topic") << QVariant(QStringLiteral("Semaphores"))
                           << QStringLiteral("\"Semaphores\"");
    QTest::addRow("description") << QStringLiteral("description") << QVariant(QStringLiteral("New words"))
                                 << QStringLiteral("\"New words\"");
    QTest::addRow("prediction") << QStringLiteral("prediction") << QVariant(QStringLiteral("It will"))
                                << QStringLiteral("\"It will\"");
    QTest::addRow("execution") << QStringLiteral("execution") << QVariant(1) << QStringLiteral("\"processes\"");
    QTest::addRow("workers") << QStringLiteral("workers") << QVariant(7) << QStringLiteral("\"workers\": 7");
    QTest::addRow("duration") << QStringLiteral("duration") << QVariant(QStringLiteral("750 ms"))
                              << QStringLiteral("750 ms");
    QTest::addRow("warmup") << QStringLiteral("warmup") << QVariant(QStringLiteral("2 s"))
                            << QStringLiteral("\"warmup\": \"2 s\"");
    QTest::addRow("sample interval") << QStringLiteral("sampleInterval") << QVariant(QStringLiteral("20ms"))
                                     << QStringLiteral("20 ms");
    QTest::addRow("placement") << QStringLiteral("placement") << QVariant(2) << QStringLiteral("\"spread\"");
    QTest::addRow("guard") << QStringLiteral("primitive.guard") << QVariant(2) << QStringLiteral("\"spinlock\"");
    QTest::addRow("timing sample") << QStringLiteral("primitive.timingSampleEvery") << QVariant(16)
                                   << QStringLiteral("\"timingSampleEvery\": 16");
    QTest::addRow("cpu work") << QStringLiteral("workload.cpuWork") << QVariant(QStringLiteral("1.5 us"))
                              << QStringLiteral("1.5 us");
    QTest::addRow("critical section") << QStringLiteral("workload.criticalSection")
                                      << QVariant(QStringLiteral("300 ns")) << QStringLiteral("300 ns");
    QTest::addRow("think time") << QStringLiteral("workload.thinkTime") << QVariant(QStringLiteral("1 ms"))
                                << QStringLiteral("\"thinkTime\": \"1 ms\"");
    QTest::addRow("io wait") << QStringLiteral("workload.ioWait") << QVariant(QStringLiteral("2 ms"))
                             << QStringLiteral("\"ioWait\": \"2 ms\"");
    QTest::addRow("memory written") << QStringLiteral("workload.memory") << QVariant(QStringLiteral("64 KiB"))
                                    << QStringLiteral("\"memory\": \"64 KiB\"");
    QTest::addRow("memory stride") << QStringLiteral("workload.memoryStride") << QVariant(QStringLiteral("128"))
                                   << QStringLiteral("\"memoryStride\": \"128 B\"");
    QTest::addRow("memory buffer") << QStringLiteral("workload.memoryBuffer") << QVariant(QStringLiteral("16MiB"))
                                   << QStringLiteral("\"memoryBuffer\": \"16 MiB\"");
    QTest::addRow("bare number is seconds")
        << QStringLiteral("duration") << QVariant(QStringLiteral("3")) << QStringLiteral("\"duration\": \"3 s\"");
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
    QTest::addRow("duration not a duration")
        << QStringLiteral("duration") << QVariant(QStringLiteral("soon")) << QString();
    QTest::addRow("duration too short") << QStringLiteral("duration") << QVariant(QStringLiteral("1 ms"))
                                        << QStringLiteral("10 ms");
    QTest::addRow("sample interval too fast")
        << QStringLiteral("sampleInterval") << QVariant(QStringLiteral("1 us")) << QStringLiteral("100 us");
    QTest::addRow("warm-up too long") << QStringLiteral("warmup") << QVariant(QStringLiteral("2 h")) << QString();
    QTest::addRow("cpu work too long") << QStringLiteral("workload.cpuWork") << QVariant(QStringLiteral("11 s"))
                                       << QStringLiteral("10 s");
    QTest::addRow("timing sample zero") << QStringLiteral("primitive.timingSampleEvery") << QVariant(0) << QString();
    QTest::addRow("memory stride zero") << QStringLiteral("workload.memoryStride") << QVariant(QStringLiteral("0"))
                                        << QStringLiteral("1..4096");
    QTest::addRow("memory stride beyond 4 GiB")
        << QStringLiteral("workload.memoryStride") << QVariant(QStringLiteral("5 GiB")) << QStringLiteral("1..4096");
    QTest::addRow("memory buffer too small")
        << QStringLiteral("workload.memoryBuffer") << QVariant(QStringLiteral("1 KiB")) << QStringLiteral("4096..");
    QTest::addRow("memory not a size") << QStringLiteral("workload.memory") << QVariant(QStringLiteral("lots"))
                                       << QString();
    QTest::addRow("memory over 1 GiB") << QStringLiteral("workload.memory") << QVariant(QStringLiteral("2 GiB"))
                                       << QStringLiteral("1073741824");
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

void TestExperimentForm::familyParameterRoundTrip_data()
{
    QTest::addColumn<ExperimentSpec>("spec");
    QTest::addColumn<QString>("path");
    QTest::addColumn<QVariant>("shown");       // what the field shows for `spec`
    QTest::addColumn<QVariant>("edited");      // what the user sets
    QTest::addColumn<QString>("jsonFragment"); // in the saved experiment afterwards, not before

    using K = PrimitiveKind;
    const auto row = [](const char *name, const ExperimentSpec &spec, const char *path, const QVariant &shown,
                        const QVariant &edited, const char *fragment) {
        QTest::addRow("%s", name) << spec << QString::fromLatin1(path) << shown << edited
                                  << QString::fromUtf8(fragment);
    };
    row("kind", baseSpec(), "primitive.kind", 0, 3, "\"kind\": \"semaphore\"");

    row("shared value: type", familySpec(K::SharedValue, 2, [](auto &s) { s.sharedValue.type = ElementType::Int64; }),
        "primitive.type", 1, 2, "\"type\": \"double\"");
    row("shared value: guard", familySpec(K::SharedValue, 2, [](auto &s) { s.sharedValue.guard = Guard::Mutex; }),
        "primitive.guard", 1, 2, "\"guard\": \"atomic\"");
    row("shared value: length", familySpec(K::SharedValue, 2, [](auto &s) { s.sharedValue.length = 8; }),
        "primitive.length", 8, 16, "\"length\": 16");
    row("shared value: initial values",
        familySpec(K::SharedValue, 2,
                   [](auto &s) {
                       s.sharedValue.initial = {1, 2, -3};
                   }),
        "primitive.initial", QStringLiteral("1, 2, -3"), QStringLiteral("4 5;6"), "\"initial\": [4, 5, 6]");
    row("shared value: initial doubles",
        familySpec(K::SharedValue, 2,
                   [](auto &s) {
                       s.sharedValue.type = ElementType::Double;
                       s.sharedValue.initial = {0.5};
                   }),
        "primitive.initial", QStringLiteral("0.5"), QStringLiteral("0.25, 1e3"), "\"initial\": [0.25, 1000]");
    row("shared value: initial text",
        familySpec(K::SharedValue, 2,
                   [](auto &s) {
                       s.sharedValue.type = ElementType::Char;
                       s.sharedValue.initialText = "abc";
                   }),
        "primitive.initialText", QStringLiteral("abc"), QStringLiteral("hello, world"),
        "\"initialText\": \"hello, world\"");

    row("messaging: transport",
        familySpec(K::MessagePassing, 2, [](auto &s) { s.messaging.transport = Transport::Fifo; }),
        "primitive.transport", 1, 6, "\"transport\": \"shm-channel\"");
    row("messaging: pattern",
        familySpec(K::MessagePassing, 2, [](auto &s) { s.messaging.pattern = MessagePattern::Streaming; }),
        "primitive.pattern", 1, 0, "\"pattern\": \"ping-pong\"");
    row("messaging: message size", familySpec(K::MessagePassing, 2, [](auto &s) { s.messaging.messageSize = 4096; }),
        "primitive.messageSize", QStringLiteral("4 KiB"), QStringLiteral("1 MiB"), "\"messageSize\": \"1 MiB\"");
    row("messaging: message size in bytes", familySpec(K::MessagePassing, 2), "primitive.messageSize",
        QStringLiteral("64 B"), QStringLiteral("1500"), "\"messageSize\": \"1500 B\"");
    row("messaging: queue depth", familySpec(K::MessagePassing, 2, [](auto &s) { s.messaging.queueDepth = 8; }),
        "primitive.queueDepth", 8, 32, "\"queueDepth\": 32");
    row("messaging: wake",
        familySpec(K::MessagePassing, 2,
                   [](auto &s) {
                       s.messaging.transport = Transport::ShmChannel;
                       s.messaging.wake = WakeStrategy::Spinning;
                   }),
        "primitive.wake", 1, 0, "\"wake\": \"blocking\"");
    row("messaging: keep CPUs awake",
        familySpec(K::MessagePassing, 2, [](auto &s) { s.messaging.keepCpusAwake = true; }), "primitive.keepCpusAwake",
        true, false, "\"keepCpusAwake\": false");

    row("semaphore: pattern", familySpec(K::Semaphore, 4, [](auto &s) { s.semaphore.permits = 3; }),
        "primitive.pattern", 0, 1, "\"pattern\": \"ping-pong\"");
    row("semaphore: permits", familySpec(K::Semaphore, 4, [](auto &s) { s.semaphore.permits = 3; }),
        "primitive.permits", 3, 5, "\"permits\": 5");

    row("event: pattern", familySpec(K::Event, 4), "primitive.pattern", 0, 1, "\"pattern\": \"gate\"");
    row("event: implementation",
        familySpec(K::Event, 2, [](auto &s) { s.event.implementation = EventImplementation::CondVar; }),
        "primitive.implementation", 1, 0, "\"implementation\": \"futex\"");
    row("event: wait timeout", familySpec(K::Event, 2, [](auto &s) { s.event.waitTimeoutNs = 5'000'000; }),
        "primitive.waitTimeout", QStringLiteral("5 ms"), QStringLiteral("250 us"), "\"waitTimeout\": \"250 us\"");
    row("event: set interval", familySpec(K::Event, 2, [](auto &s) { s.event.setIntervalNs = 2'000'000; }),
        "primitive.setInterval", QStringLiteral("2 ms"), QStringLiteral("0"), "\"setInterval\": \"0 ns\"");

    row("sync: object", familySpec(K::Sync, 3), "primitive.lock", 0, 3, "\"lock\": \"spinlock\"");
    row("sync: read share",
        familySpec(K::Sync, 3,
                   [](auto &s) {
                       s.sync.kind = SyncKind::RwLock;
                       s.sync.readShare = 0.75;
                   }),
        "primitive.readShare", QStringLiteral("0.75"), QStringLiteral("0.5"), "\"readShare\": 0.5");
    row("sync: recursion depth",
        familySpec(K::Sync, 3,
                   [](auto &s) {
                       s.sync.kind = SyncKind::RecursiveMutex;
                       s.sync.recursionDepth = 3;
                   }),
        "primitive.recursionDepth", 3, 5, "\"recursionDepth\": 5");
    row("sync: queue capacity",
        familySpec(K::Sync, 4,
                   [](auto &s) {
                       s.sync.kind = SyncKind::CondVar;
                       s.sync.queueCapacity = 4;
                   }),
        "primitive.queueCapacity", 4, 64, "\"queueCapacity\": 64");
    row("sync: barrier implementation",
        familySpec(K::Sync, 3,
                   [](auto &s) {
                       s.sync.kind = SyncKind::Barrier;
                       s.sync.barrierImplementation = BarrierImplementation::Futex;
                   }),
        "primitive.barrierImplementation", 1, 0, "\"barrierImplementation\": \"pthread\"");

    row("work: gil", familySpec(K::Work, 3, [](auto &s) { s.work.gil = true; }), "primitive.gil", true, false,
        "\"gil\": false");
    row("work: switch interval", familySpec(K::Work, 3, [](auto &s) { s.work.switchIntervalNs = 10'000'000; }),
        "primitive.switchInterval", QStringLiteral("10 ms"), QStringLiteral("1ms"), "\"switchInterval\": \"1 ms\"");

    row("lifecycle: mode", familySpec(K::Lifecycle, 3), "primitive.mode", 0, 1, "\"mode\": \"daemon\"");
    const auto daemon = [](ExperimentSpec &s) {
        s.lifecycle.mode = LifecycleMode::Daemon;
        s.lifecycle.daemonWorkers = 1;
        s.lifecycle.mainWorkNs = 50'000'000;
    };
    row("lifecycle: daemon workers", familySpec(K::Lifecycle, 3, daemon), "primitive.daemonWorkers", 1, 2,
        "\"daemonWorkers\": 2");
    row("lifecycle: join timeout", familySpec(K::Lifecycle, 3, [](auto &s) { s.lifecycle.joinTimeoutNs = 20'000'000; }),
        "primitive.joinTimeout", QStringLiteral("20 ms"), QStringLiteral("1 s"), "\"joinTimeout\": \"1 s\"");
    row("lifecycle: main work", familySpec(K::Lifecycle, 3, daemon), "primitive.mainWork", QStringLiteral("50 ms"),
        QStringLiteral("200 ms"), "\"mainWork\": \"200 ms\"");
    row("lifecycle: exec child", familySpec(K::Lifecycle, 3, [](auto &s) { s.lifecycle.execChild = false; }),
        "primitive.execChild", false, true, "\"execChild\": true");

    // The memory-bound workload, written only once it differs from the defaults.
    row("workload: memory written", baseSpec(), "workload.memory", QStringLiteral("0 B"), QStringLiteral("64 KiB"),
        "\"memory\": \"64 KiB\"");
    row("workload: memory stride", baseSpec(), "workload.memoryStride", QStringLiteral("64 B"), QStringLiteral("256"),
        "\"memoryStride\": \"256 B\"");
    row("workload: memory buffer", baseSpec(), "workload.memoryBuffer", QStringLiteral("8 MiB"),
        QStringLiteral("32 MiB"), "\"memoryBuffer\": \"32 MiB\"");

    // A sweep axis's values: text as it is, numbers as numbers.
    row("sweep: transports", sweepSpec(), "sweep[0].values", QStringLiteral("pipe, posix-mq"),
        QStringLiteral("pipe, posix-mq, shm-channel"), "\"values\": [\"pipe\", \"posix-mq\", \"shm-channel\"]");
    row("sweep: message sizes", sweepSpec(), "sweep[1].values", QStringLiteral("64, 1 KiB"),
        QStringLiteral("64 B, 4 KiB,64 KiB"), "\"values\": [\"64 B\", \"4 KiB\", \"64 KiB\"]");
}

void TestExperimentForm::familyParameterRoundTrip()
{
    QFETCH(ExperimentSpec, spec);
    QFETCH(QString, path);
    QFETCH(QVariant, shown);
    QFETCH(QVariant, edited);
    QFETCH(QString, jsonFragment);
    QVERIFY2(model::validateExperiment(spec).isEmpty(), "the row itself must be valid");
    ExperimentForm form;
    QUndoStack stack;
    form.setUndoStack(&stack);
    form.setSpec(spec);
    QVERIFY2(form.isValid(), qPrintable(form.errors().value(0).toString()));
    // Loaded: the field shows the value, and the form gives back the same experiment.
    QVERIFY(form.editorFor(path));
    QVERIFY(form.fieldPaths().contains(path));
    QCOMPARE(form.fieldValue(path), shown);
    const QByteArray before = text(spec);
    QCOMPARE(text(form.spec()), before);
    QVERIFY2(!QString::fromUtf8(before).contains(jsonFragment), before.constData());

    // Edited: the experiment (and so the file) has the new value.
    form.editField(path, edited);
    QCOMPARE(form.fieldValue(path), edited);
    QVERIFY2(form.isValid(), qPrintable(form.errors().value(0).toString()));
    const QByteArray after = text(form.spec());
    QVERIFY2(QString::fromUtf8(after).contains(jsonFragment), after.constData());
    const model::ExperimentLoad reloaded = model::parseExperiment(after);
    QVERIFY2(reloaded.ok(), qPrintable(reloaded.errorText()));
    ExperimentForm again;
    again.setSpec(*reloaded.spec);
    QCOMPARE(text(again.spec()), after);

    // Undone: as loaded; redone: as edited.
    QCOMPARE(stack.count(), 1);
    stack.undo();
    QCOMPARE(form.fieldValue(path), shown);
    QCOMPARE(text(form.spec()), before);
    stack.redo();
    QCOMPARE(form.fieldValue(path), edited);
    QCOMPARE(text(form.spec()), after);
}

namespace {
QString presetsDir()
{
    return qEnvironmentVariable("CLAB_PRESETS_DIR");
}
} // namespace

void TestExperimentForm::presetShownInFields_data()
{
    QTest::addColumn<QString>("preset");
    QTest::addColumn<QString>("path");
    QTest::addColumn<QVariant>("shown");
    QTest::addRow("semaphore-gate permits")
        << QStringLiteral("semaphore-gate") << QStringLiteral("primitive.permits") << QVariant(1);
    QTest::addRow("semaphore-gate pattern")
        << QStringLiteral("semaphore-gate") << QStringLiteral("primitive.pattern") << QVariant(0);
    QTest::addRow("ipc-streaming pattern")
        << QStringLiteral("ipc-streaming") << QStringLiteral("primitive.pattern") << QVariant(1);
    QTest::addRow("ipc-comparison message size")
        << QStringLiteral("ipc-comparison") << QStringLiteral("primitive.messageSize")
        << QVariant(QStringLiteral("64 B"));
    QTest::addRow("event-gate pattern") << QStringLiteral("event-gate") << QStringLiteral("primitive.pattern")
                                        << QVariant(1);
    QTest::addRow("event-gate set interval")
        << QStringLiteral("event-gate") << QStringLiteral("primitive.setInterval") << QVariant(QStringLiteral("2 ms"));
    QTest::addRow("rwlock read share") << QStringLiteral("rwlock") << QStringLiteral("primitive.readShare")
                                       << QVariant(QStringLiteral("0.9"));
    QTest::addRow("rwlock object") << QStringLiteral("rwlock") << QStringLiteral("primitive.lock") << QVariant(2);
    QTest::addRow("condvar queue capacity")
        << QStringLiteral("condvar") << QStringLiteral("primitive.queueCapacity") << QVariant(1);
    QTest::addRow("shared-array type") << QStringLiteral("shared-array") << QStringLiteral("primitive.type")
                                       << QVariant(1);
    QTest::addRow("shared-array length") << QStringLiteral("shared-array") << QStringLiteral("primitive.length")
                                         << QVariant(8);
    QTest::addRow("shared-string text") << QStringLiteral("shared-string") << QStringLiteral("primitive.initialText")
                                        << QVariant(QString(40, QLatin1Char('-')));
    QTest::addRow("gil-cpu-bound gil") << QStringLiteral("gil-cpu-bound") << QStringLiteral("primitive.gil")
                                       << QVariant(true);
    QTest::addRow("thread-daemon daemons")
        << QStringLiteral("thread-daemon") << QStringLiteral("primitive.daemonWorkers") << QVariant(2);
    QTest::addRow("thread-daemon main work")
        << QStringLiteral("thread-daemon") << QStringLiteral("primitive.mainWork") << QVariant(QStringLiteral("50 ms"));
    QTest::addRow("thread-daemon join timeout")
        << QStringLiteral("thread-daemon") << QStringLiteral("primitive.joinTimeout")
        << QVariant(QStringLiteral("20 ms"));
}

void TestExperimentForm::presetShownInFields()
{
    QFETCH(QString, preset);
    QFETCH(QString, path);
    QFETCH(QVariant, shown);
    if (presetsDir().isEmpty())
        QSKIP("CLAB_PRESETS_DIR is not set (CTest sets it to resources/presets)");
    const model::ExperimentLoad load =
        model::loadExperiment(QDir(presetsDir()).filePath(preset + QStringLiteral(".cclab")));
    QVERIFY2(load.ok(), qPrintable(load.errorText()));
    ExperimentForm form;
    form.setSpec(*load.spec);
    QCOMPARE(form.fieldValue(path), shown);
    QVERIFY(form.editorFor(path)->isVisibleTo(&form));
}

void TestExperimentForm::everyPresetRoundTrips()
{
    if (presetsDir().isEmpty())
        QSKIP("CLAB_PRESETS_DIR is not set (CTest sets it to resources/presets)");
    const QStringList files = QDir(presetsDir()).entryList({QStringLiteral("*.cclab")}, QDir::Files, QDir::Name);
    QVERIFY(files.size() >= 8);
    QSet<int> families;
    for (const QString &file : files) {
        const model::ExperimentLoad load = model::loadExperiment(QDir(presetsDir()).filePath(file));
        QVERIFY2(load.ok(), qPrintable(load.errorText()));
        ExperimentForm form;
        form.setSpec(*load.spec);
        QVERIFY2(form.isValid(), qPrintable(file + QStringLiteral(": ") + form.errors().value(0).toString()));
        QCOMPARE(text(form.spec()), text(*load.spec));
        families.insert(static_cast<int>(load.spec->primitive));
    }
    QCOMPARE(families.size(), 8); // every family has a preset, so every page was loaded
}

void TestExperimentForm::invalidFamilyParameterFlaggedAndBlocksRun_data()
{
    QTest::addColumn<ExperimentSpec>("spec");
    QTest::addColumn<QString>("path");
    QTest::addColumn<QVariant>("value");
    QTest::addColumn<QString>("at"); // where the error shows
    QTest::addColumn<QString>("messagePart");

    using K = PrimitiveKind;
    const auto row = [](const char *name, const ExperimentSpec &spec, const char *path, const QVariant &value,
                        const char *at, const char *part) {
        QTest::addRow("%s", name) << spec << QString::fromLatin1(path) << value << QString::fromLatin1(at)
                                  << QString::fromUtf8(part);
    };
    const auto charType = [](ExperimentSpec &s) { s.sharedValue.type = ElementType::Char; };
    row("shared value: length 0", familySpec(K::SharedValue, 2), "primitive.length", 0, "primitive.length",
        "1..1000000");
    row("shared value: initial not a number", familySpec(K::SharedValue, 2), "primitive.initial",
        QStringLiteral("1, x"), "primitive.initial", "\"x\" is not a number");
    row("shared value: fraction for int32", familySpec(K::SharedValue, 2), "primitive.initial",
        QStringLiteral("1, 1.5"), "primitive.initial", "primitive.initial[1]: must be an integer");
    row("shared value: int64 beyond 2^53",
        familySpec(K::SharedValue, 2, [](auto &s) { s.sharedValue.type = ElementType::Int64; }), "primitive.initial",
        QStringLiteral("9007199254740993"), "primitive.initial", "exactly");
    row("shared value: atomic text", familySpec(K::SharedValue, 2, charType), "primitive.guard", 2, "primitive.guard",
        "must not be atomic");
    row("messaging: message size too large", familySpec(K::MessagePassing, 2), "primitive.messageSize",
        QStringLiteral("2 MiB"), "primitive.messageSize", "1..1048576 bytes");
    row("messaging: message size no unit", familySpec(K::MessagePassing, 2), "primitive.messageSize",
        QStringLiteral("64 kb"), "primitive.messageSize", "");
    row("messaging: message size empty", familySpec(K::MessagePassing, 2), "primitive.messageSize", QString(),
        "primitive.messageSize", "required");
    row("messaging: queue depth", familySpec(K::MessagePassing, 2), "primitive.queueDepth", 70000,
        "primitive.queueDepth", "0..65536");
    row("messaging: spinning pipe", familySpec(K::MessagePassing, 2), "primitive.wake", 1, "primitive.wake",
        "shm-channel");
    row("messaging: odd workers", familySpec(K::MessagePassing, 2), "workers", 3, "workers", "even");
    row("semaphore: no permits", familySpec(K::Semaphore, 4), "primitive.permits", 0, "primitive.permits", "1..1024");
    row("semaphore: ping-pong of 3", familySpec(K::Semaphore, 3), "primitive.pattern", 1, "workers", "even");
    row("event: wait timeout over 24 h", familySpec(K::Event, 2), "primitive.waitTimeout", QStringLiteral("25 h"),
        "primitive.waitTimeout", "");
    row("event: set interval too long", familySpec(K::Event, 2), "primitive.setInterval", QStringLiteral("11 s"),
        "primitive.setInterval", "10 s");
    row("event: hand-off of 3", familySpec(K::Event, 3, [](auto &s) { s.event.pattern = EventPattern::Gate; }),
        "primitive.pattern", 0, "workers", "hand-off");
    row("sync: read share above 1", familySpec(K::Sync, 3, [](auto &s) { s.sync.kind = SyncKind::RwLock; }),
        "primitive.readShare", QStringLiteral("1.5"), "primitive.readShare", "0..1");
    row("sync: read share not a number", familySpec(K::Sync, 3, [](auto &s) { s.sync.kind = SyncKind::RwLock; }),
        "primitive.readShare", QStringLiteral("most"), "primitive.readShare", "not a number");
    row("sync: recursion too deep", familySpec(K::Sync, 3, [](auto &s) { s.sync.kind = SyncKind::RecursiveMutex; }),
        "primitive.recursionDepth", 65, "primitive.recursionDepth", "1..64");
    row("sync: empty queue", familySpec(K::Sync, 4, [](auto &s) { s.sync.kind = SyncKind::CondVar; }),
        "primitive.queueCapacity", 0, "primitive.queueCapacity", "1..65536");
    row("sync: barrier of one", familySpec(K::Sync, 1), "primitive.lock", 5, "workers", "at least 2");
    row("work: switch interval too long", familySpec(K::Work, 3), "primitive.switchInterval", QStringLiteral("2 s"),
        "primitive.switchInterval", "");
    row("work: switch interval empty", familySpec(K::Work, 3), "primitive.switchInterval", QString(),
        "primitive.switchInterval", "required");
    row("lifecycle: every worker a daemon",
        familySpec(K::Lifecycle, 3, [](auto &s) { s.lifecycle.mode = LifecycleMode::Daemon; }),
        "primitive.daemonWorkers", 3, "primitive.daemonWorkers", "never a daemon");
    row("lifecycle: main work over 24 h",
        familySpec(K::Lifecycle, 3, [](auto &s) { s.lifecycle.mode = LifecycleMode::Daemon; }), "primitive.mainWork",
        QStringLiteral("1441 min"), "primitive.mainWork", "");
    row("lifecycle: join timeout not a duration", familySpec(K::Lifecycle, 3), "primitive.joinTimeout",
        QStringLiteral("soon"), "primitive.joinTimeout", "");

    row("workload: memory stride 0", baseSpec(), "workload.memoryStride", QStringLiteral("0"), "workload.memoryStride",
        "must be 1..4096 bytes, got 0");
    row("workload: memory buffer not a size", baseSpec(), "workload.memoryBuffer", QStringLiteral("big"),
        "workload.memoryBuffer", "");

    // A sweep's values are checked as every point they give: the error names the value.
    row("sweep: message size too large", sweepSpec(), "sweep[1].values", QStringLiteral("64, 2 MiB"), "sweep[1].values",
        "sweep[1].values[1]");
    row("sweep: not a transport", sweepSpec(), "sweep[0].values", QStringLiteral("pipe, carrier pigeon"),
        "sweep[0].values", "sweep[0].values[1]");
    row("sweep: a value twice", sweepSpec(), "sweep[0].values", QStringLiteral("pipe, pipe"), "sweep[0].values",
        "same as values[0]");
    row("sweep: no values", sweepSpec(), "sweep[0].values", QString(), "sweep[0].values", "must not be empty");
    row("sweep: quote not closed", sweepSpec(), "sweep[0].values", QStringLiteral("\"pipe, fifo"), "sweep[0].values",
        "not closed");
}

void TestExperimentForm::invalidFamilyParameterFlaggedAndBlocksRun()
{
    QFETCH(ExperimentSpec, spec);
    QFETCH(QString, path);
    QFETCH(QVariant, value);
    QFETCH(QString, at);
    QFETCH(QString, messagePart);
    QVERIFY2(model::validateExperiment(spec).isEmpty(), "the row itself must be valid");
    MainWindow window;
    window.setConfirmDiscard(false);
    window.loadSpec(spec);
    ExperimentForm *form = window.form();
    QVERIFY2(form->isValid(), qPrintable(form->errors().value(0).toString()));
    QVERIFY(window.runAction()->isEnabled());

    form->editField(path, value);
    QVERIFY(!form->isValid());
    QVERIFY(!window.runAction()->isEnabled());
    const QString message = form->errorAt(at);
    QVERIFY2(!message.isEmpty(), qPrintable(form->errors().value(0).toString()));
    QVERIFY2(message.contains(messagePart), qPrintable(message));
    QVERIFY(form->editorFor(at)->property("invalid").toBool());
    // Only that field is flagged.
    for (const QString &other : form->fieldPaths()) {
        if (form->editorFor(other) != form->editorFor(at))
            QVERIFY2(form->errorAt(other).isEmpty(), qPrintable(other + QStringLiteral(": ") + form->errorAt(other)));
    }
    window.run(); // refused
    QVERIFY(!window.controller()->isActive());

    // Undo takes the problem back, and Run with it.
    QVERIFY(window.form()->undoStack()->canUndo());
    window.form()->undoStack()->undo();
    QVERIFY2(form->isValid(), qPrintable(form->errors().value(0).toString()));
    QVERIFY(form->errorAt(at).isEmpty());
    QVERIFY(window.runAction()->isEnabled());
    QCOMPARE(text(form->spec()), text(spec));
}

void TestExperimentForm::onlySelectedFamilyShown()
{
    ExperimentForm form;
    form.setSpec(baseSpec());
    auto *kind = qobject_cast<QComboBox *>(form.editorFor(QStringLiteral("primitive.kind")));
    QVERIFY(kind);
    QCOMPARE(kind->count(), 8);
    for (int k = 0; k < kind->count(); ++k) {
        form.editField(QStringLiteral("primitive.kind"), k);
        QCOMPARE(static_cast<int>(form.spec().primitive), k);
        for (const ParameterEditor &p : kParameterEditors) {
            auto *editor = form.findChild<QWidget *>(QLatin1String(p.editor));
            QVERIFY2(editor, p.editor);
            const bool selected = static_cast<int>(p.family) == k;
            QVERIFY2(editor->isVisibleTo(&form) == selected, p.editor);
            if (selected) {
                QVERIFY2(form.fieldPaths().contains(QLatin1String(p.path)), p.path);
                QCOMPARE(form.editorFor(QLatin1String(p.path)), editor);
            }
        }
    }
    // A key the selected family does not have has no field.
    form.editField(QStringLiteral("primitive.kind"), static_cast<int>(PrimitiveKind::Work));
    QVERIFY(!form.editorFor(QStringLiteral("primitive.permits")));
    QVERIFY(!form.fieldPaths().contains(QStringLiteral("primitive.guard")));
}

void TestExperimentForm::switchingFamilyKeepsValues()
{
    ExperimentForm form;
    QUndoStack stack;
    form.setUndoStack(&stack);
    const ExperimentSpec start = familySpec(PrimitiveKind::Semaphore, 4, [](auto &s) { s.semaphore.permits = 3; });
    form.setSpec(start);
    form.editField(QStringLiteral("primitive.permits"), 5);
    form.editField(QStringLiteral("primitive.kind"), static_cast<int>(PrimitiveKind::Event));
    QCOMPARE(form.fieldValue(QStringLiteral("primitive.pattern")), QVariant(0)); // the event's, not the semaphore's
    form.editField(QStringLiteral("primitive.pattern"), 1);
    form.editField(QStringLiteral("primitive.setInterval"), QStringLiteral("3 ms"));
    QVERIFY2(form.isValid(), qPrintable(form.errors().value(0).toString()));
    QCOMPARE(form.spec().event.pattern, EventPattern::Gate);
    QCOMPARE(form.spec().event.setIntervalNs, std::uint64_t{3'000'000});
    QVERIFY(!text(form.spec()).contains("permits"));

    // Back to the semaphore: its values are as the user left them, and so are the event's.
    form.editField(QStringLiteral("primitive.kind"), static_cast<int>(PrimitiveKind::Semaphore));
    QCOMPARE(form.fieldValue(QStringLiteral("primitive.permits")), QVariant(5));
    QCOMPARE(form.fieldValue(QStringLiteral("primitive.pattern")), QVariant(0));
    QCOMPARE(form.spec().semaphore.permits, 5u);
    QVERIFY(text(form.spec()).contains("\"permits\": 5"));
    form.editField(QStringLiteral("primitive.kind"), static_cast<int>(PrimitiveKind::Event));
    QCOMPARE(form.fieldValue(QStringLiteral("primitive.setInterval")), QVariant(QStringLiteral("3 ms")));
    QVERIFY(text(form.spec()).contains("\"pattern\": \"gate\""));

    // Every step undoes, in order, to where it started. Going to the semaphore and back to the
    // event is no change: the two edits of the kind merged away.
    QCOMPARE(stack.count(), 4);
    stack.undo(); // set interval
    QCOMPARE(form.fieldValue(QStringLiteral("primitive.setInterval")), QVariant(QStringLiteral("1 ms")));
    stack.undo(); // the event's pattern
    QCOMPARE(form.fieldValue(QStringLiteral("primitive.pattern")), QVariant(0));
    stack.undo(); // kind
    QCOMPARE(form.spec().primitive, PrimitiveKind::Semaphore);
    stack.undo(); // permits
    QCOMPARE(form.fieldValue(QStringLiteral("primitive.permits")), QVariant(3));
    QVERIFY(!stack.canUndo());
    QCOMPARE(text(form.spec()), text(start));
}

void TestExperimentForm::hiddenFamilyDoesNotBlockRun()
{
    ExperimentForm form;
    form.setSpec(familySpec(PrimitiveKind::Event, 2));
    form.editField(QStringLiteral("primitive.waitTimeout"), QStringLiteral("soon"));
    QVERIFY(!form.isValid());
    QVERIFY(!form.errorAt(QStringLiteral("primitive.waitTimeout")).isEmpty());
    // The semaphore does not use the event's timeout: nothing to fix there.
    form.editField(QStringLiteral("primitive.kind"), static_cast<int>(PrimitiveKind::Semaphore));
    QVERIFY2(form.isValid(), qPrintable(form.errors().value(0).toString()));
    // Back on the event page the problem is still there, at its field.
    form.editField(QStringLiteral("primitive.kind"), static_cast<int>(PrimitiveKind::Event));
    QVERIFY(!form.isValid());
    QVERIFY(!form.errorAt(QStringLiteral("primitive.waitTimeout")).isEmpty());
}

void TestExperimentForm::inapplicableParametersDisabled()
{
    ExperimentForm form;
    const auto enabled = [&form](const char *path) {
        QWidget *editor = form.editorFor(QLatin1String(path));
        return editor && editor->isEnabled();
    };
    form.setSpec(familySpec(PrimitiveKind::Sync, 3));
    QVERIFY(!enabled("primitive.readShare"));
    QVERIFY(!enabled("primitive.recursionDepth"));
    QVERIFY(!enabled("primitive.queueCapacity"));
    QVERIFY(!enabled("primitive.barrierImplementation"));
    form.editField(QStringLiteral("primitive.lock"), static_cast<int>(SyncKind::RwLock));
    QVERIFY(enabled("primitive.readShare"));
    QVERIFY(!enabled("primitive.recursionDepth"));
    form.editField(QStringLiteral("primitive.lock"), static_cast<int>(SyncKind::Barrier));
    QVERIFY(enabled("primitive.barrierImplementation"));
    QVERIFY(!enabled("primitive.readShare"));
    // A bad read share on a lock that does not read is not this experiment's problem.
    form.editField(QStringLiteral("primitive.lock"), static_cast<int>(SyncKind::RwLock));
    form.editField(QStringLiteral("primitive.readShare"), QStringLiteral("lots"));
    QVERIFY(!form.isValid());
    form.editField(QStringLiteral("primitive.lock"), static_cast<int>(SyncKind::Mutex));
    QVERIFY2(form.isValid(), qPrintable(form.errors().value(0).toString()));

    form.setSpec(familySpec(PrimitiveKind::Semaphore, 4));
    QVERIFY(enabled("primitive.permits"));
    form.editField(QStringLiteral("primitive.pattern"), static_cast<int>(SemaphorePattern::PingPong));
    QVERIFY(!enabled("primitive.permits"));

    form.setSpec(familySpec(PrimitiveKind::Lifecycle, 3));
    QVERIFY(!enabled("primitive.daemonWorkers"));
    QVERIFY(!enabled("primitive.mainWork"));
    QVERIFY(enabled("primitive.execChild"));
    form.editField(QStringLiteral("primitive.mode"), static_cast<int>(LifecycleMode::Daemon));
    QVERIFY(enabled("primitive.daemonWorkers"));
    QVERIFY(enabled("primitive.mainWork"));
    QVERIFY(!enabled("primitive.execChild"));

    // The contents of a shared value: numbers or a text, and a length only without them.
    form.setSpec(familySpec(PrimitiveKind::SharedValue, 2));
    QVERIFY(enabled("primitive.length"));
    QVERIFY(enabled("primitive.initial"));
    QVERIFY(!enabled("primitive.initialText"));
    form.editField(QStringLiteral("primitive.initial"), QStringLiteral("1, 2"));
    QVERIFY(!enabled("primitive.length"));
    QVERIFY(form.spec().sharedValue.initial == (std::vector<double>{1, 2}));
    form.editField(QStringLiteral("primitive.type"), static_cast<int>(ElementType::Char));
    QVERIFY(enabled("primitive.length")); // the numbers are not the text's
    QVERIFY(enabled("primitive.initialText"));
    QVERIFY(form.spec().sharedValue.initial.empty());
    QVERIFY2(form.isValid(), qPrintable(form.errors().value(0).toString()));
    // and back: the numbers are still there
    form.editField(QStringLiteral("primitive.type"), static_cast<int>(ElementType::Int32));
    QVERIFY(form.spec().sharedValue.initial == (std::vector<double>{1, 2}));
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

void TestExperimentForm::sweepSummaryFollowsEdits()
{
    ExperimentForm form;
    QUndoStack stack;
    form.setUndoStack(&stack);
    auto *tabs = form.findChild<QTabWidget *>(QStringLiteral("formTabs"));
    QVERIFY(tabs);
    const int sweepTab = tabs->indexOf(form.findChild<QWidget *>(QStringLiteral("sweepTab")));
    QVERIFY(sweepTab >= 0);

    // An experiment that runs once has nothing to sum up, and no sweep tab.
    form.setSpec(baseSpec());
    QVERIFY(form.sweepSummary().isEmpty());
    QVERIFY(!tabs->isTabVisible(sweepTab));

    const ExperimentSpec spec = sweepSpec();
    QCOMPARE(pointCount(spec), 8);
    form.setSpec(spec);
    QVERIFY(tabs->isTabVisible(sweepTab));
    QCOMPARE(form.sweepSummary(), QStringLiteral("Runs 8 points: 2 variants (same CPU, across CPUs) × sweep over "
                                                 "primitive.transport (2 values) × primitive.messageSize (2 values)"));
    const QString variants = form.findChild<QLabel *>(QStringLiteral("variantsLabel"))->text();
    QVERIFY2(variants.contains(QStringLiteral("same CPU: placement = same-cpu")), qPrintable(variants));
    QVERIFY2(variants.contains(QStringLiteral("across CPUs: placement = spread")), qPrintable(variants));
    // The first tab says which values the points set: those fields are not what runs.
    const QString note = form.findChild<QLabel *>(QStringLiteral("sweepNoteLabel"))->text();
    QVERIFY2(note.contains(QStringLiteral("Runs 8 points")) && note.contains(QStringLiteral("primitive.transport")),
             qPrintable(note));

    // A value more: the model's expansion, and the summary, have its points.
    form.editField(QStringLiteral("sweep[0].values"), QStringLiteral("pipe, posix-mq, shm-channel"));
    QVERIFY2(form.isValid(), qPrintable(form.errors().value(0).toString()));
    QCOMPARE(pointCount(form.spec()), 12);
    QVERIFY2(form.sweepSummary().startsWith(QStringLiteral("Runs 12 points: ")), qPrintable(form.sweepSummary()));
    QVERIFY(form.sweepSummary().contains(QStringLiteral("primitive.transport (3 values)")));

    // The base experiment edited into a problem: no count until it is fixed.
    form.editField(QStringLiteral("workers"), 3); // message passing needs pairs
    QVERIFY(!form.isValid());
    QVERIFY2(!form.sweepSummary().contains(QStringLiteral("12")), qPrintable(form.sweepSummary()));
    QVERIFY2(form.sweepSummary().contains(QStringLiteral("once the problems marked are fixed")),
             qPrintable(form.sweepSummary()));
    stack.undo();
    QVERIFY(form.sweepSummary().startsWith(QStringLiteral("Runs 12 points: ")));
    stack.undo();
    QVERIFY(form.sweepSummary().startsWith(QStringLiteral("Runs 8 points: ")));
    QCOMPARE(form.fieldValue(QStringLiteral("sweep[0].values")), QVariant(QStringLiteral("pipe, posix-mq")));
    QCOMPARE(text(form.spec()), text(spec));

    // Another experiment: its own axes, the old ones gone.
    ExperimentSpec workers = baseSpec();
    workers.sweep = {SweepAxis{"workers", {"1", "2", "4"}}};
    form.setSpec(workers);
    QCOMPARE(form.sweepSummary(), QStringLiteral("Runs 3 points: sweep over workers (3 values)"));
    QCOMPARE(form.fieldValue(QStringLiteral("sweep[0].values")), QVariant(QStringLiteral("1, 2, 4")));
    QVERIFY(!form.editorFor(QStringLiteral("sweep[1].values")));
    QVERIFY(form.findChild<QLabel *>(QStringLiteral("variantsLabel"))->isHidden() ||
            !form.findChild<QWidget *>(QStringLiteral("variantsGroup"))->isVisibleTo(&form));
}

void TestExperimentForm::sweepValuesText_data()
{
    QTest::addColumn<QStringList>("json"); // as kept in ExperimentSpec::sweep, compact
    QTest::addColumn<QString>("shown");
    QTest::addRow("texts") << QStringList{QStringLiteral("\"pipe\""), QStringLiteral("\"shm-channel\"")}
                           << QStringLiteral("pipe, shm-channel");
    QTest::addRow("numbers and sizes") << QStringList{QStringLiteral("64"), QStringLiteral("\"1 KiB\"")}
                                       << QStringLiteral("64, 1 KiB");
    QTest::addRow("a number as text stays text")
        << QStringList{QStringLiteral("\"64\""), QStringLiteral("\"true\"")} << QStringLiteral("\"64\", \"true\"");
    QTest::addRow("a comma inside a text")
        << QStringList{QStringLiteral("\"a, b\""), QStringLiteral("\"c\"")} << QStringLiteral("\"a, b\", c");
    QTest::addRow("lists and booleans") << QStringList{QStringLiteral("[0,1]"), QStringLiteral("true")}
                                        << QStringLiteral("[0,1], true");
}

void TestExperimentForm::sweepValuesText()
{
    QFETCH(QStringList, json);
    QFETCH(QString, shown);
    std::vector<std::string> values;
    for (const QString &j : std::as_const(json))
        values.push_back(j.toStdString());
    QCOMPARE(clab::app::sweepValuesText(values), shown);
    QString error;
    const auto parsed = parseSweepValuesText(shown, &error);
    QVERIFY2(parsed.has_value(), qPrintable(error));
    QVERIFY(*parsed == values);
    // Spaces and an empty entry at the end do not matter; an open quote is refused.
    const auto loose = parseSweepValuesText(QStringLiteral("  ") + shown + QStringLiteral(" ,"), &error);
    QVERIFY(loose.has_value() && *loose == values);
    QVERIFY(!parseSweepValuesText(shown + QStringLiteral(", \"open"), &error).has_value());
    QVERIFY(!error.isEmpty());
}

QTEST_MAIN(TestExperimentForm)
#include "tst_experiment_form.moc"
