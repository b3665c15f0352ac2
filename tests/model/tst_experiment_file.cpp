// Tests of the experiment file format: round trips, every validation rule, migration, file errors, atomic saves.
#include "experiment_file.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QRandomGenerator>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>
#include <functional>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace Qt::StringLiterals;
using clab::model::FieldError;

using SpecEdit = std::function<void(clab::ExperimentSpec &)>;
Q_DECLARE_METATYPE(SpecEdit)

namespace {

// Marks a key to delete in a patch (QJsonObject cannot hold "undefined").
const QString kRemove = u"\x01remove"_s;

clab::ExperimentSpec baseSpec()
{
    clab::ExperimentSpec s;
    s.name = "Base";
    s.topic = "Locks";
    s.execution = clab::ExecutionModel::Threads;
    s.workers = 4;
    s.durationNs = 1'000'000'000;
    s.operationsPerWorker = 0;
    s.warmupNs = 0;
    s.sampleIntervalNs = 10'000'000;
    s.placement = clab::PlacementPolicy::Unpinned;
    s.primitive = clab::PrimitiveKind::LockContention;
    s.lock.guard = clab::Guard::Mutex;
    s.lock.timingSampleEvery = 64;
    s.workload.criticalSectionNs = 100;
    return s;
}

// Applies {"a.b": value} edits to a JSON object; kRemove deletes the key.
QJsonObject patched(QJsonObject o, const QJsonObject &patch)
{
    for (auto it = patch.begin(); it != patch.end(); ++it) {
        const QStringList parts = it.key().split(u'.');
        const bool remove = it.value() == QJsonValue(kRemove);
        if (parts.size() == 1) {
            if (remove)
                o.remove(parts[0]);
            else
                o.insert(parts[0], it.value());
        } else {
            QJsonObject child = o.value(parts[0]).toObject();
            if (remove)
                child.remove(parts[1]);
            else
                child.insert(parts[1], it.value());
            o.insert(parts[0], child);
        }
    }
    return o;
}

QByteArray toBytes(const QJsonObject &o)
{
    return QJsonDocument(o).toJson();
}

void compareSpecs(const clab::ExperimentSpec &a, const clab::ExperimentSpec &b)
{
    QCOMPARE(QString::fromStdString(a.name), QString::fromStdString(b.name));
    QCOMPARE(QString::fromStdString(a.description), QString::fromStdString(b.description));
    QCOMPARE(QString::fromStdString(a.prediction), QString::fromStdString(b.prediction));
    QCOMPARE(QString::fromStdString(a.topic), QString::fromStdString(b.topic));
    QCOMPARE(static_cast<int>(a.execution), static_cast<int>(b.execution));
    QCOMPARE(a.workers, b.workers);
    QCOMPARE(a.durationNs, b.durationNs);
    QCOMPARE(a.operationsPerWorker, b.operationsPerWorker);
    QCOMPARE(a.warmupNs, b.warmupNs);
    QCOMPARE(static_cast<int>(a.primitive), static_cast<int>(b.primitive));
    QCOMPARE(static_cast<int>(a.lock.guard), static_cast<int>(b.lock.guard));
    QCOMPARE(a.lock.timingSampleEvery, b.lock.timingSampleEvery);
    QCOMPARE(a.workload.cpuWorkNs, b.workload.cpuWorkNs);
    QCOMPARE(a.workload.criticalSectionNs, b.workload.criticalSectionNs);
    QCOMPARE(a.workload.thinkTimeNs, b.workload.thinkTimeNs);
    QCOMPARE(a.workload.ioWaitNs, b.workload.ioWaitNs);
    QCOMPARE(a.sampleIntervalNs, b.sampleIntervalNs);
    QCOMPARE(static_cast<int>(a.placement), static_cast<int>(b.placement));
    QCOMPARE(a.cpuList, b.cpuList);
}

QStringList errorLines(const QList<FieldError> &errors)
{
    QStringList lines;
    for (const FieldError &e : errors)
        lines.append(e.toString());
    return lines;
}

QString errorsText(const QList<FieldError> &errors)
{
    return errorLines(errors).join(u'\n');
}

bool writeFile(const QString &path, const QByteArray &bytes)
{
    QFile f(path);
    return f.open(QIODevice::WriteOnly) && f.write(bytes) == bytes.size();
}

QByteArray readFile(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

QStringList dirEntries(const QString &dir)
{
    return QDir(dir).entryList(QDir::AllEntries | QDir::Hidden | QDir::System | QDir::NoDotAndDotDot, QDir::Name);
}

} // namespace

class TestExperimentFile : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void roundTrip_data();
    void roundTrip();
    void serializedKeyOrder();
    void jsonValidation_data();
    void jsonValidation();
    void structValidation_data();
    void structValidation();
    void everyErrorIsReported();
    void unknownFields_data();
    void unknownFields();
    void duplicateKeys();
    void migrationFromV0();
    void migrationKeepsErrorsVisible();
    void newerSchemaVersionRefused();
    void notAnExperimentFile_data();
    void notAnExperimentFile();
    void fileErrors_data();
    void fileErrors();
    void byteOrderMarkIsAccepted();
    void malformedJsonGivesLineAndColumn();
    void randomBytesNeverLoad();
    void mutatedFilesLoadOnlyValidSpecs();
    void pathologicalInput_data();
    void pathologicalInput();
    void parseDuration_data();
    void parseDuration();
    void parseDurationErrors_data();
    void parseDurationErrors();
    void formatDuration_data();
    void formatDuration();
    void saveLeavesNoTemporaryFiles();
    void saveIntoMissingDirectoryFails();
    void failedWriteLeavesOriginalUntouched();
    void readOnlyDirectoryLeavesOriginalUntouched();
    void invalidSpecIsNotSaved();
    void shippedLockContentionPreset();
    void everyShippedPresetIsValid_data();
    void everyShippedPresetIsValid();
};

void TestExperimentFile::roundTrip_data()
{
    QTest::addColumn<SpecEdit>("edit");
    QTest::addRow("threads, mutex, duration, unpinned") << SpecEdit([](clab::ExperimentSpec &) {});
    QTest::addRow("processes, spinlock, operations, CPU list") << SpecEdit([](clab::ExperimentSpec &s) {
        s.execution = clab::ExecutionModel::Processes;
        s.lock.guard = clab::Guard::Spinlock;
        s.durationNs = 0;
        s.operationsPerWorker = 1'000'000;
        s.placement = clab::PlacementPolicy::CpuList;
        s.cpuList = {0, 1, 5, 1023};
    });
    QTest::addRow("sequential, no guard, spread, full workload") << SpecEdit([](clab::ExperimentSpec &s) {
        s.execution = clab::ExecutionModel::Sequential;
        s.workers = 1;
        s.lock.guard = clab::Guard::None;
        s.placement = clab::PlacementPolicy::Spread;
        s.warmupNs = 200'000'000;
        s.workload = {1'500'000, 250, 3'000'000'000, 7};
    });
    QTest::addRow("atomic, same CPU, unicode and escapes") << SpecEdit([](clab::ExperimentSpec &s) {
        s.lock.guard = clab::Guard::Atomic;
        s.lock.timingSampleEvery = 1;
        s.placement = clab::PlacementPolicy::SameCpu;
        s.name = "Zähler — 10 µs \"quoted\"";
        s.description = "line one\nline two\ttab \\ backslash";
        s.prediction = "Ünïcödé ✓";
    });
    QTest::addRow("every limit at its maximum") << SpecEdit([](clab::ExperimentSpec &s) {
        s.workers = clab::limits::kMaxWorkers;
        s.durationNs = clab::limits::kMaxDurationNs;
        s.warmupNs = clab::limits::kMaxWarmupNs;
        s.sampleIntervalNs = clab::limits::kMaxSampleIntervalNs;
        s.lock.timingSampleEvery = clab::limits::kMaxTimingSampleEvery;
        s.workload = {clab::limits::kMaxWorkNs, clab::limits::kMaxWorkNs, clab::limits::kMaxWorkNs,
                      clab::limits::kMaxWorkNs};
        s.name = std::string(200, 'n');
    });
    QTest::addRow("every limit at its minimum") << SpecEdit([](clab::ExperimentSpec &s) {
        s.workers = clab::limits::kMinWorkers;
        s.durationNs = clab::limits::kMinDurationNs;
        s.sampleIntervalNs = clab::limits::kMinSampleIntervalNs;
        s.lock.timingSampleEvery = 1;
        s.workload = {};
    });
    QTest::addRow("maximum operations") << SpecEdit([](clab::ExperimentSpec &s) {
        s.durationNs = 0;
        s.operationsPerWorker = clab::limits::kMaxOperationsPerWorker;
    });
}

void TestExperimentFile::roundTrip()
{
    QFETCH(SpecEdit, edit);
    clab::ExperimentSpec spec = baseSpec();
    edit(spec);
    QVERIFY2(clab::model::validateExperiment(spec).isEmpty(),
             qPrintable(errorsText(clab::model::validateExperiment(spec))));

    const QByteArray bytes = clab::model::serializeExperiment(spec);
    const clab::model::ExperimentLoad load = clab::model::parseExperiment(bytes, u"memory"_s);
    QVERIFY2(load.ok(), qPrintable(load.errorText()));
    QCOMPARE(load.migratedFromVersion, -1);
    compareSpecs(*load.spec, spec);
    // Saving what was loaded gives the same bytes: the format is stable.
    QCOMPARE(clab::model::serializeExperiment(*load.spec), bytes);
}

void TestExperimentFile::serializedKeyOrder()
{
    clab::ExperimentSpec spec = baseSpec();
    spec.description = "d";
    spec.prediction = "p";
    const QByteArray bytes = clab::model::serializeExperiment(spec);
    const QStringList order{u"format"_s,
                            u"schemaVersion"_s,
                            u"name"_s,
                            u"topic"_s,
                            u"description"_s,
                            u"prediction"_s,
                            u"execution"_s,
                            u"workers"_s,
                            u"duration"_s,
                            u"warmup"_s,
                            u"sampleInterval"_s,
                            u"placement"_s,
                            u"primitive"_s,
                            u"kind"_s,
                            u"guard"_s,
                            u"timingSampleEvery"_s,
                            u"workload"_s,
                            u"cpuWork"_s,
                            u"criticalSection"_s,
                            u"thinkTime"_s,
                            u"ioWait"_s};
    qsizetype last = -1;
    for (const QString &key : order) {
        const qsizetype at = bytes.indexOf(QByteArray('"' + key.toUtf8() + "\":"));
        QVERIFY2(at > last, qPrintable(key + u" is out of order in\n"_s + QString::fromUtf8(bytes)));
        last = at;
    }
    QVERIFY(!bytes.contains("\"operations\""));
    QVERIFY(bytes.contains("    \"duration\": \"1 s\",\n"));
    QVERIFY(bytes.endsWith("}\n"));
}

void TestExperimentFile::jsonValidation_data()
{
    QTest::addColumn<QJsonObject>("patch");
    QTest::addColumn<QString>("path");
    QTest::addColumn<QString>("message");

    const auto row = [](const char *name, QJsonObject patch, const QString &path, const QString &message) {
        QTest::addRow("%s", name) << patch << path << message;
    };
    row("name missing", {{u"name"_s, kRemove}}, u"name"_s, u"required"_s);
    row("name empty", {{u"name"_s, u""_s}}, u"name"_s, u"must not be empty"_s);
    row("name blank", {{u"name"_s, u"   "_s}}, u"name"_s, u"must not be empty"_s);
    row("name too long", {{u"name"_s, QString(201, u'x')}}, u"name"_s, u"must be at most 200 characters, got 201"_s);
    row("name not a string", {{u"name"_s, 5}}, u"name"_s, u"must be a string, got 5"_s);
    row("topic not a string", {{u"topic"_s, true}}, u"topic"_s, u"must be a string, got true"_s);
    row("description not a string", {{u"description"_s, QJsonArray{1}}}, u"description"_s,
        u"must be a string, got [1]"_s);
    row("execution missing", {{u"execution"_s, kRemove}}, u"execution"_s, u"required"_s);
    row("execution unknown", {{u"execution"_s, u"fibers"_s}}, u"execution"_s,
        u"must be one of threads, processes, sequential, got \"fibers\""_s);
    row("workers missing", {{u"workers"_s, kRemove}}, u"workers"_s, u"required"_s);
    row("workers zero", {{u"workers"_s, 0}}, u"workers"_s, u"must be 1..1024, got 0"_s);
    row("workers too many", {{u"workers"_s, 1025}}, u"workers"_s, u"must be 1..1024, got 1025"_s);
    row("workers negative", {{u"workers"_s, -3}}, u"workers"_s, u"must be 1..1024, got -3"_s);
    row("workers 2^70", {{u"workers"_s, 1180591620717411303424.0}}, u"workers"_s,
        u"must be 1..1024, got 1180591620717411303424"_s);
    row("workers fractional", {{u"workers"_s, 2.5}}, u"workers"_s, u"must be an integer, got 2.5"_s);
    row("workers a word", {{u"workers"_s, u"four"_s}}, u"workers"_s, u"must be an integer, got \"four\""_s);
    row("sequential with 4 workers", {{u"execution"_s, u"sequential"_s}}, u"workers"_s,
        u"must be 1 for sequential execution (one worker does all the work), got 4"_s);
    row("neither duration nor operations", {{u"duration"_s, kRemove}}, u"duration"_s,
        u"required (or \"operations\" for a fixed number of operations per worker)"_s);
    row("both duration and operations", {{u"operations"_s, 1000}}, u"operations"_s,
        u"give either \"duration\" or \"operations\", not both"_s);
    row("duration too short", {{u"duration"_s, u"5 ms"_s}}, u"duration"_s, u"must be 10 ms..1440 min, got 5 ms"_s);
    row("duration too long", {{u"duration"_s, u"1441 min"_s}}, u"duration"_s,
        u"must be 10 ms..1440 min, got 1441 min"_s);
    row("duration unknown unit", {{u"duration"_s, u"2 xs"_s}}, u"duration"_s,
        u"unknown unit \"xs\" (use ns, us, ms, s, min)"_s);
    row("duration without unit", {{u"duration"_s, u"2"_s}}, u"duration"_s,
        u"missing unit in \"2\" (use ns, us, ms, s, min)"_s);
    row("duration negative text", {{u"duration"_s, u"-1 s"_s}}, u"duration"_s, u"must not be negative, got \"-1 s\""_s);
    row("duration negative number", {{u"duration"_s, -1}}, u"duration"_s, u"must not be negative, got -1"_s);
    row("duration NaN", {{u"duration"_s, u"NaN ms"_s}}, u"duration"_s, u"not a number: \"NaN ms\""_s);
    row("duration boolean", {{u"duration"_s, true}}, u"duration"_s,
        u"must be a duration like \"10 ms\" or a number of seconds, got true"_s);
    row("operations zero", {{u"duration"_s, kRemove}, {u"operations"_s, 0}}, u"operations"_s,
        u"must be 1..1000000000000, got 0"_s);
    row("operations too many", {{u"duration"_s, kRemove}, {u"operations"_s, 1000000000001.0}}, u"operations"_s,
        u"must be 1..1000000000000, got 1000000000001"_s);
    row("operations fractional", {{u"duration"_s, kRemove}, {u"operations"_s, 10.5}}, u"operations"_s,
        u"must be an integer, got 10.5"_s);
    row("warmup too long", {{u"warmup"_s, u"61 min"_s}}, u"warmup"_s, u"must be at most 60 min, got 61 min"_s);
    row("warmup unknown unit", {{u"warmup"_s, u"3 h"_s}}, u"warmup"_s,
        u"unknown unit \"h\" (use ns, us, ms, s, min)"_s);
    row("sampleInterval too short", {{u"sampleInterval"_s, u"50 us"_s}}, u"sampleInterval"_s,
        u"must be 100 us..10 s, got 50 us"_s);
    row("sampleInterval too long", {{u"sampleInterval"_s, 11}}, u"sampleInterval"_s,
        u"must be 100 us..10 s, got 11 s"_s);
    row("placement unknown", {{u"placement"_s, u"everywhere"_s}}, u"placement"_s,
        u"must be one of unpinned, same-cpu, spread or a list of CPU numbers, got \"everywhere\""_s);
    row("placement a number", {{u"placement"_s, 5}}, u"placement"_s,
        u"must be one of unpinned, same-cpu, spread or a list of CPU numbers, got 5"_s);
    row("placement empty list", {{u"placement"_s, QJsonArray{}}}, u"placement"_s, u"CPU list must not be empty"_s);
    row("placement CPU too high", {{u"placement"_s, QJsonArray{0, 2000}}}, u"placement[1]"_s,
        u"must be a CPU number 0..1023, got 2000"_s);
    row("placement CPU negative", {{u"placement"_s, QJsonArray{-1}}}, u"placement[0]"_s,
        u"must be a CPU number 0..1023, got -1"_s);
    row("placement CPU not a number", {{u"placement"_s, QJsonArray{0, u"1"_s}}}, u"placement[1]"_s,
        u"must be an integer, got \"1\""_s);
    row("placement CPU twice", {{u"placement"_s, QJsonArray{3, 7, 7}}}, u"placement[2]"_s, u"CPU 7 listed twice"_s);
    row("primitive missing", {{u"primitive"_s, kRemove}}, u"primitive"_s, u"required"_s);
    row("primitive not an object", {{u"primitive"_s, u"mutex"_s}}, u"primitive"_s,
        u"must be an object, got \"mutex\""_s);
    row("primitive.kind missing", {{u"primitive.kind"_s, kRemove}}, u"primitive.kind"_s, u"required"_s);
    row("primitive.kind unknown", {{u"primitive.kind"_s, u"barrier"_s}}, u"primitive.kind"_s,
        u"must be one of lock-contention, got \"barrier\""_s);
    row("primitive.guard missing", {{u"primitive.guard"_s, kRemove}}, u"primitive.guard"_s, u"required"_s);
    row("primitive.guard unknown", {{u"primitive.guard"_s, u"futex"_s}}, u"primitive.guard"_s,
        u"must be one of none, mutex, spinlock, atomic, got \"futex\""_s);
    row("primitive.guard wrong case", {{u"primitive.guard"_s, u"Mutex"_s}}, u"primitive.guard"_s,
        u"must be one of none, mutex, spinlock, atomic, got \"Mutex\""_s);
    row("timingSampleEvery zero", {{u"primitive.timingSampleEvery"_s, 0}}, u"primitive.timingSampleEvery"_s,
        u"must be 1..1000000, got 0"_s);
    row("timingSampleEvery too large", {{u"primitive.timingSampleEvery"_s, 1000001}}, u"primitive.timingSampleEvery"_s,
        u"must be 1..1000000, got 1000001"_s);
    row("workload not an object", {{u"workload"_s, 3}}, u"workload"_s, u"must be an object, got 3"_s);
    row("workload.criticalSection unknown unit", {{u"workload.criticalSection"_s, u"100 xs"_s}},
        u"workload.criticalSection"_s, u"unknown unit \"xs\" (use ns, us, ms, s, min)"_s);
    row("workload.cpuWork too long", {{u"workload.cpuWork"_s, u"11 s"_s}}, u"workload.cpuWork"_s,
        u"must be at most 10 s, got 11 s"_s);
    row("workload.thinkTime too long", {{u"workload.thinkTime"_s, u"10.5 s"_s}}, u"workload.thinkTime"_s,
        u"must be at most 10 s, got 10.5 s"_s);
    row("workload.ioWait negative", {{u"workload.ioWait"_s, u"-2 ms"_s}}, u"workload.ioWait"_s,
        u"must not be negative, got \"-2 ms\""_s);
}

void TestExperimentFile::jsonValidation()
{
    QFETCH(QJsonObject, patch);
    QFETCH(QString, path);
    QFETCH(QString, message);
    const QJsonObject base = clab::model::experimentToJson(baseSpec());
    const clab::model::ExperimentLoad load = clab::model::parseExperiment(toBytes(patched(base, patch)), u"t.cclab"_s);
    QVERIFY(!load.ok());
    QVERIFY(!load.spec.has_value());
    QCOMPARE(errorsText(load.errors), (FieldError{path, message}.toString()));
    QCOMPARE(load.errorText(), u"t.cclab: "_s + path + u": "_s + message);
}

void TestExperimentFile::structValidation_data()
{
    QTest::addColumn<SpecEdit>("edit");
    QTest::addColumn<QString>("path");
    QTest::addColumn<QString>("message");
    // Whether the parser must report the identical error for the serialized struct (false only
    // for enum values no file can spell).
    QTest::addColumn<bool>("sameInFile");

    const auto row = [](const char *name, SpecEdit edit, const QString &path, const QString &message,
                        bool sameInFile = true) { QTest::addRow("%s", name) << edit << path << message << sameInFile; };
    row(
        "name empty", [](auto &s) { s.name.clear(); }, u"name"_s, u"must not be empty"_s);
    row(
        "name 201 characters", [](auto &s) { s.name = std::string(201, 'a'); }, u"name"_s,
        u"must be at most 200 characters, got 201"_s);
    row(
        "name of 200 two-byte characters is fine, 201 is not",
        [](auto &s) {
            s.name.clear();
            for (int i = 0; i < 201; ++i)
                s.name += "ä";
        },
        u"name"_s, u"must be at most 200 characters, got 201"_s);
    row(
        "workers zero", [](auto &s) { s.workers = 0; }, u"workers"_s, u"must be 1..1024, got 0"_s);
    row(
        "workers too many", [](auto &s) { s.workers = 5000; }, u"workers"_s, u"must be 1..1024, got 5000"_s);
    row(
        "sequential needs one worker",
        [](auto &s) {
            s.execution = clab::ExecutionModel::Sequential;
            s.workers = 2;
        },
        u"workers"_s, u"must be 1 for sequential execution (one worker does all the work), got 2"_s);
    row(
        "duration zero and no operations", [](auto &s) { s.durationNs = 0; }, u"duration"_s,
        u"must be 10 ms..1440 min, got 0 ns"_s);
    row(
        "duration too short", [](auto &s) { s.durationNs = 9'999'999; }, u"duration"_s,
        u"must be 10 ms..1440 min, got 9999.999 us"_s);
    row(
        "duration and operations both set", [](auto &s) { s.operationsPerWorker = 10; }, u"operations"_s,
        u"give either \"duration\" or \"operations\", not both"_s);
    row(
        "operations too many",
        [](auto &s) {
            s.durationNs = 0;
            s.operationsPerWorker = clab::limits::kMaxOperationsPerWorker + 1;
        },
        u"operations"_s, u"must be 1..1000000000000, got 1000000000001"_s);
    row(
        "warmup too long", [](auto &s) { s.warmupNs = clab::limits::kMaxWarmupNs + 1; }, u"warmup"_s,
        u"must be at most 60 min, got 3600000000.001 us"_s);
    row(
        "sampleInterval too short", [](auto &s) { s.sampleIntervalNs = 99'999; }, u"sampleInterval"_s,
        u"must be 100 us..10 s, got 99.999 us"_s);
    row(
        "CPU list empty", [](auto &s) { s.placement = clab::PlacementPolicy::CpuList; }, u"placement"_s,
        u"CPU list must not be empty"_s);
    row(
        "CPU out of range",
        [](auto &s) {
            s.placement = clab::PlacementPolicy::CpuList;
            s.cpuList = {1, 1024};
        },
        u"placement[1]"_s, u"must be a CPU number 0..1023, got 1024"_s);
    row(
        "CPU listed twice",
        [](auto &s) {
            s.placement = clab::PlacementPolicy::CpuList;
            s.cpuList = {7, 1, 7};
        },
        u"placement[2]"_s, u"CPU 7 listed twice"_s);
    row(
        "timingSampleEvery zero", [](auto &s) { s.lock.timingSampleEvery = 0; }, u"primitive.timingSampleEvery"_s,
        u"must be 1..1000000, got 0"_s);
    row(
        "criticalSection too long", [](auto &s) { s.workload.criticalSectionNs = clab::limits::kMaxWorkNs + 1000; },
        u"workload.criticalSection"_s, u"must be at most 10 s, got 10000.001 ms"_s);
    row(
        "ioWait too long", [](auto &s) { s.workload.ioWaitNs = 20'000'000'000; }, u"workload.ioWait"_s,
        u"must be at most 10 s, got 20 s"_s);
    row(
        "guard out of the enum", [](auto &s) { s.lock.guard = static_cast<clab::Guard>(9); }, u"primitive.guard"_s,
        u"must be one of none, mutex, spinlock, atomic, got 9"_s, false);
    row(
        "execution out of the enum", [](auto &s) { s.execution = static_cast<clab::ExecutionModel>(7); },
        u"execution"_s, u"must be one of threads, processes, sequential, got 7"_s, false);
}

void TestExperimentFile::structValidation()
{
    QFETCH(SpecEdit, edit);
    QFETCH(QString, path);
    QFETCH(QString, message);
    QFETCH(bool, sameInFile);
    clab::ExperimentSpec spec = baseSpec();
    edit(spec);
    const QList<FieldError> errors = clab::model::validateExperiment(spec);
    QCOMPARE(errorsText(errors), (FieldError{path, message}.toString()));
    if (sameInFile) {
        // The editor and the file loader must agree: same rule, same path, same words.
        const auto load = clab::model::parseExperiment(clab::model::serializeExperiment(spec));
        QCOMPARE(errorsText(load.errors), errorsText(errors));
    }
}

void TestExperimentFile::everyErrorIsReported()
{
    const QString path = QFINDTESTDATA("fixtures/many-errors.cclab");
    QVERIFY(!path.isEmpty());
    const clab::model::ExperimentLoad load = clab::model::loadExperiment(path);
    QVERIFY(!load.ok());
    const QStringList expected{
        u"worker: unknown field (did you mean \"workers\"?)"_s,
        u"name: must not be empty"_s,
        u"workers: must be 1 for sequential execution (one worker does all the work), got 4"_s,
        u"duration: unknown unit \"xs\" (use ns, us, ms, s, min)"_s,
        u"sampleInterval: must be 100 us..10 s, got 1 us"_s,
        u"placement[2]: CPU 7 listed twice"_s,
        u"primitive.guard: must be one of none, mutex, spinlock, atomic, got \"futex\""_s,
        u"primitive.timingSampleEvery: must be 1..1000000, got 0"_s,
        u"workload.cpuWrok: unknown field (did you mean \"cpuWork\"?)"_s,
        u"workload.criticalSection: unknown unit \"xs\" (use ns, us, ms, s, min)"_s,
    };
    QCOMPARE(errorLines(load.errors), expected);
    // Every line of the text names the file.
    const QStringList lines = load.errorText().split(u'\n');
    QCOMPARE(lines.size(), expected.size());
    for (const QString &line : lines)
        QVERIFY2(line.startsWith(path + u": "_s), qPrintable(line));
}

void TestExperimentFile::unknownFields_data()
{
    QTest::addColumn<QString>("key");
    QTest::addColumn<QString>("expected");
    QTest::addRow("misspelt top-level key") << u"worker"_s << u"worker: unknown field (did you mean \"workers\"?)"_s;
    QTest::addRow("wrong case") << u"SampleInterval"_s
                                << u"SampleInterval: unknown field (did you mean \"sampleInterval\"?)"_s;
    QTest::addRow("transposed letters") << u"primitive.gaurd"_s
                                        << u"primitive.gaurd: unknown field (did you mean \"guard\"?)"_s;
    QTest::addRow("nested misspelling")
        << u"workload.criticalSectoin"_s
        << u"workload.criticalSectoin: unknown field (did you mean \"criticalSection\"?)"_s;
    QTest::addRow("v0 spelling in a v1 file")
        << u"sample_interval_ns"_s << u"sample_interval_ns: unknown field (did you mean \"sampleInterval\"?)"_s;
    QTest::addRow("nested key at the top level")
        << u"guard"_s << u"guard: unknown field (did you mean \"primitive.guard\"?)"_s;
    QTest::addRow("nothing similar") << u"colour"_s << u"colour: unknown field"_s;
    QTest::addRow("control characters are escaped") << u"a\nb"_s << u"\"a\\nb\": unknown field"_s;
    QTest::addRow("a long key is shortened, no guess")
        << QString(100, u'w') << QString(u'"' + QString(56, u'w') + u"...: unknown field"_s);
}

void TestExperimentFile::unknownFields()
{
    QFETCH(QString, key);
    QFETCH(QString, expected);
    const QJsonObject json = patched(clab::model::experimentToJson(baseSpec()), {{key, 4}});
    const auto load = clab::model::parseExperiment(toBytes(json));
    QVERIFY(!load.ok());
    QCOMPARE(errorsText(load.errors), expected);
}

void TestExperimentFile::duplicateKeys()
{
    QByteArray json = clab::model::serializeExperiment(baseSpec());
    json.replace("\"workers\": 4,", "\"workers\": 4,\n    \"workers\": 8,");
    json.replace("\"guard\": \"mutex\",", "\"guard\": \"mutex\", \"gu\\u0061rd\": \"none\",");
    const auto load = clab::model::parseExperiment(json);
    QVERIFY(!load.ok());
    QCOMPARE(errorsText(load.errors), u"workers: appears more than once (only the last one would count)\n"
                                      u"primitive.guard: appears more than once (only the last one would count)"_s);
}

void TestExperimentFile::migrationFromV0()
{
    const QString v0Path = QFINDTESTDATA("fixtures/v0-lock-contention.cclab");
    const QString v1Path = QFINDTESTDATA("fixtures/v1-lock-contention.cclab");
    QVERIFY(!v0Path.isEmpty() && !v1Path.isEmpty());
    const auto v0 = clab::model::loadExperiment(v0Path);
    const auto v1 = clab::model::loadExperiment(v1Path);
    QVERIFY2(v0.ok(), qPrintable(v0.errorText()));
    QVERIFY2(v1.ok(), qPrintable(v1.errorText()));
    QCOMPARE(v0.migratedFromVersion, 0);
    QCOMPARE(v1.migratedFromVersion, -1);
    compareSpecs(*v0.spec, *v1.spec);
    QCOMPARE(v0.spec->operationsPerWorker, 500'000u);
    QCOMPARE(v0.spec->durationNs, 0u);
    QCOMPARE(v0.spec->workload.cpuWorkNs, 1500u);
    // Saving a migrated file writes the current version, identical to the v1 fixture's canonical form.
    QCOMPARE(clab::model::serializeExperiment(*v0.spec), clab::model::serializeExperiment(*v1.spec));

    // The chain applied to the object renames every v0 key.
    QJsonObject raw = QJsonDocument::fromJson(readFile(v0Path)).object();
    const QJsonObject migrated = clab::model::migrateExperiment(raw, 0);
    QCOMPARE(migrated.value(u"schemaVersion").toInt(), 1);
    QVERIFY(!migrated.contains(u"schema_version"));
    QCOMPARE(migrated.value(u"sampleInterval").toString(), u"5 ms"_s);
    QCOMPARE(migrated.value(u"workload").toObject().value(u"criticalSection").toString(), u"250 ns"_s);
    QCOMPARE(migrated.value(u"primitive").toObject().value(u"timingSampleEvery").toInt(), 16);
    // Migrating an object already at the current version changes nothing.
    const QJsonObject current = clab::model::experimentToJson(baseSpec());
    QCOMPARE(clab::model::migrateExperiment(current, clab::model::kExperimentSchemaVersion), current);
}

void TestExperimentFile::migrationKeepsErrorsVisible()
{
    // A bad value in an old file is still reported (under its new name), and so is a stray key.
    QJsonObject raw = QJsonDocument::fromJson(readFile(QFINDTESTDATA("fixtures/v0-lock-contention.cclab"))).object();
    raw.insert(u"sample_interval_ns", 5);
    raw.insert(u"warmup_ns", -1);
    raw.insert(u"wrkers", 2);
    const auto load = clab::model::parseExperiment(toBytes(raw));
    QVERIFY(!load.ok());
    QCOMPARE(load.migratedFromVersion, 0);
    QCOMPARE(errorsText(load.errors), u"wrkers: unknown field (did you mean \"workers\"?)\n"
                                      u"warmup: must not be negative, got \"-1 ns\"\n"
                                      u"sampleInterval: must be 100 us..10 s, got 5 ns"_s);
}

void TestExperimentFile::newerSchemaVersionRefused()
{
    const QString path = QFINDTESTDATA("fixtures/newer-version.cclab");
    QVERIFY(!path.isEmpty());
    const auto load = clab::model::loadExperiment(path);
    QVERIFY(!load.spec.has_value());
    QCOMPARE(load.errorText(), path + u": schemaVersion 7 is newer than this version of Concurrency Lab supports (1); "
                                      u"update the app to open this file"_s);
}

void TestExperimentFile::notAnExperimentFile_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<QString>("expected");
    QTest::addRow("no format")
        << readFile(QFINDTESTDATA("fixtures/not-an-experiment.json"))
        << u"format: not a Concurrency Lab experiment file (it has no \"format\": \"concurrency-lab\")"_s;
    QTest::addRow("other format")
        << QByteArray(R"({"format": "my-lab", "schemaVersion": 1})")
        << u"format: not a Concurrency Lab experiment file (\"format\" is \"my-lab\", expected \"concurrency-lab\")"_s;
    QTest::addRow("format not a string")
        << QByteArray(R"({"format": 1})")
        << u"format: not a Concurrency Lab experiment file (\"format\" is 1, expected \"concurrency-lab\")"_s;
    QTest::addRow("a result file")
        << QByteArray(R"({"format": "concurrency-lab-result", "schemaVersion": 1})")
        << u"format: not a Concurrency Lab experiment file: this is a result file; open it as a result"_s;
    QTest::addRow("no schema version") << QByteArray(R"({"format": "concurrency-lab", "name": "x"})")
                                       << u"schemaVersion: required"_s;
    QTest::addRow("schema version a string") << QByteArray(R"({"format": "concurrency-lab", "schemaVersion": "1"})")
                                             << u"schemaVersion: must be an integer, got \"1\""_s;
    QTest::addRow("schema version negative") << QByteArray(R"({"format": "concurrency-lab", "schemaVersion": -1})")
                                             << u"schemaVersion: must not be negative, got -1"_s;
    QTest::addRow("old key with a new version")
        << QByteArray(R"({"format": "concurrency-lab", "schema_version": 1})")
        << u"schema_version: only version 0 files use \"schema_version\"; later versions spell it \"schemaVersion\""_s;
}

void TestExperimentFile::notAnExperimentFile()
{
    QFETCH(QByteArray, json);
    QFETCH(QString, expected);
    const auto load = clab::model::parseExperiment(json);
    QVERIFY(!load.spec.has_value());
    QCOMPARE(errorsText(load.errors), expected);
}

void TestExperimentFile::fileErrors_data()
{
    QTest::addColumn<QString>("kind");
    QTest::addColumn<QString>("expected");
    QTest::addRow("missing file") << u"missing"_s << u"file not found"_s;
    QTest::addRow("a directory") << u"directory"_s << u"is a directory, not a file"_s;
    QTest::addRow("a FIFO (must not block)") << u"fifo"_s << u"not a regular file"_s;
    QTest::addRow("empty file") << u"empty"_s << u"empty file"_s;
    QTest::addRow("only whitespace") << u"whitespace"_s << u"empty file"_s;
    QTest::addRow("not UTF-8") << u"latin1"_s << u"not valid UTF-8 text (at line 2, column 15)"_s;
    QTest::addRow("top level array") << u"array"_s << u"the top level must be a JSON object, got an array"_s;
    QTest::addRow("too large") << u"huge"_s << u"too large (over 4 MiB) to be a Concurrency Lab file"_s;
    QTest::addRow("unreadable") << u"unreadable"_s << u"cannot be read: Permission denied"_s;
}

void TestExperimentFile::fileErrors()
{
    QFETCH(QString, kind);
    QFETCH(QString, expected);
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    QString path = dir.filePath(u"x.cclab"_s);
    if (kind == u"directory") {
        QVERIFY(QDir(dir.path()).mkdir(u"x.cclab"_s));
    } else if (kind == u"fifo") {
        QVERIFY(::mkfifo(QFile::encodeName(path).constData(), 0600) == 0);
    } else if (kind == u"empty") {
        QVERIFY(writeFile(path, {}));
    } else if (kind == u"whitespace") {
        QVERIFY(writeFile(path, " \n\t\n"));
    } else if (kind == u"latin1") {
        QVERIFY(writeFile(path, "{\n    \"name\": \"Z\xe4hler\"\n}"));
    } else if (kind == u"array") {
        QVERIFY(writeFile(path, "[1, 2]"));
    } else if (kind == u"huge") {
        QVERIFY(writeFile(path, QByteArray(clab::model::kMaxExperimentFileBytes + 1, ' ')));
    } else if (kind == u"unreadable") {
        if (::geteuid() == 0)
            QSKIP("running as root: file permissions do not stop root from reading");
        QVERIFY(writeFile(path, "{}"));
        QVERIFY(QFile::setPermissions(path, QFileDevice::WriteOwner));
    }
    const auto load = clab::model::loadExperiment(path);
    QVERIFY(!load.spec.has_value());
    QCOMPARE(load.errorText(), path + u": "_s + expected);
}

void TestExperimentFile::byteOrderMarkIsAccepted()
{
    // Some Windows editors start UTF-8 files with a byte order mark.
    const auto load = clab::model::parseExperiment("\xEF\xBB\xBF" + clab::model::serializeExperiment(baseSpec()));
    QVERIFY2(load.ok(), qPrintable(load.errorText()));
    compareSpecs(*load.spec, baseSpec());
}

void TestExperimentFile::malformedJsonGivesLineAndColumn()
{
    const QString path = QFINDTESTDATA("fixtures/malformed.cclab");
    QVERIFY(!path.isEmpty());
    const auto load = clab::model::loadExperiment(path);
    QVERIFY(!load.spec.has_value());
    QCOMPARE(load.errorText(), path + u": not valid JSON at line 5, column 5: unterminated object"_s);

    // Columns count characters, not bytes: "ä" before the error is one column.
    const auto unicode = clab::model::parseExperiment("{\"ä\": 1 x}");
    QCOMPARE(errorsText(unicode.errors), u"not valid JSON at line 1, column 9: unterminated object"_s);
}

void TestExperimentFile::randomBytesNeverLoad()
{
    QRandomGenerator rng(20240501);
    for (int i = 0; i < 64; ++i) {
        QByteArray bytes(static_cast<qsizetype>(rng.bounded(1, 2048)), '\0');
        for (char &c : bytes)
            c = static_cast<char>(rng.bounded(256));
        const auto load = clab::model::parseExperiment(bytes, u"random"_s);
        QVERIFY2(!load.ok() && !load.errors.isEmpty(), qPrintable(QString::number(i)));
        QVERIFY(!load.errorText().isEmpty());
    }
}

void TestExperimentFile::mutatedFilesLoadOnlyValidSpecs()
{
    // Byte-level damage to a valid file: never a crash, and whatever still loads is valid.
    clab::ExperimentSpec spec = baseSpec();
    spec.placement = clab::PlacementPolicy::CpuList;
    spec.cpuList = {0, 1};
    const QByteArray original = clab::model::serializeExperiment(spec);
    QRandomGenerator rng(7);
    int loaded = 0;
    for (int i = 0; i < 2000; ++i) {
        QByteArray bytes = original;
        const int edits = static_cast<int>(rng.bounded(1, 4));
        for (int k = 0; k < edits; ++k) {
            const auto at = static_cast<qsizetype>(rng.bounded(static_cast<quint32>(bytes.size())));
            switch (rng.bounded(3)) {
            case 0:
                bytes[at] = static_cast<char>(rng.bounded(256));
                break;
            case 1:
                bytes.remove(at, 1);
                break;
            default:
                bytes.insert(at, static_cast<char>(rng.bounded(32, 127)));
                break;
            }
        }
        const auto load = clab::model::parseExperiment(bytes);
        QCOMPARE(load.ok(), load.errors.isEmpty());
        if (load.ok()) {
            ++loaded;
            QVERIFY2(clab::model::validateExperiment(*load.spec).isEmpty(), bytes.constData());
        }
    }
    QVERIFY(loaded < 2000);
}

void TestExperimentFile::pathologicalInput_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<QString>("expected");
    const QByteArray head = R"({"format": "concurrency-lab", "schemaVersion": 1, "name": "x", "execution": "threads", )"
                            R"("primitive": {"kind": "lock-contention", "guard": "mutex"}, )";
    QTest::addRow("number beyond double") << QByteArray(head + R"("workers": 1e400, "duration": "1 s"})")
                                          << u"not valid JSON at line 1, column 163: illegal number"_s;
    QTest::addRow("workers 2^70") << QByteArray(head + R"("workers": 1180591620717411303424, "duration": "1 s"})")
                                  << u"workers: must be 1..1024, got 1180591620717411303424"_s;
    QTest::addRow("duration 1e300 seconds")
        << QByteArray(head + R"("workers": 1, "duration": 1e300})") << u"duration: too large, got 1e+300"_s;
    QTest::addRow("duration exponent huge") << QByteArray(head + R"("workers": 1, "duration": "1e999999999 s"})")
                                            << u"duration: too large, got \"1e999999999 s\""_s;
    QTest::addRow("duration exponent tiny") << QByteArray(head + R"("workers": 1, "duration": "1e-999999999 s"})")
                                            << u"duration: must be 10 ms..1440 min, got 0 ns"_s;
    QTest::addRow("duration 60 digits") << QByteArray(head + R"("workers": 1, "duration": ")" + QByteArray(60, '9') +
                                                      R"( ns"})")
                                        << QString(u"duration: too large, got \""_s + QString(56, u'9') + u"..."_s);
    QTest::addRow("deeply nested arrays") << QByteArray(QByteArray(100000, '[') + QByteArray(100000, ']'))
                                          << u"not valid JSON at line 1, column 1025: too deeply nested document"_s;
    QTest::addRow("deeply nested value") << QByteArray(head + R"("workers": )" + QByteArray(5000, '[') +
                                                       QByteArray(5000, ']') + "}")
                                         << u"not valid JSON at line 1, column 1182: too deeply nested document"_s;
    QTest::addRow("nested but allowed") << QByteArray(head + R"("workers": 1, "duration": "1 s", "workload": )" +
                                                      QByteArray(500, '[') + QByteArray(500, ']') + "}")
                                        << QString(u"workload: must be an object, got "_s + QString(57, u'[') +
                                                   u"..."_s);
    QTest::addRow("megabyte name") << QByteArray(head + R"("workers": 1, "duration": "1 s", "name2": ")" +
                                                 QByteArray(1 << 20, 'a') + "\"}")
                                   << u"name2: unknown field (did you mean \"name\"?)"_s;
    QTest::addRow("NUL bytes") << QByteArray("{\"format\"\0: 1}", 14)
                               << u"not valid JSON at line 1, column 10: missing name separator"_s;
}

void TestExperimentFile::pathologicalInput()
{
    QFETCH(QByteArray, json);
    QFETCH(QString, expected);
    const auto load = clab::model::parseExperiment(json);
    QVERIFY(!load.ok());
    QCOMPARE(errorsText(load.errors), expected);
}

void TestExperimentFile::parseDuration_data()
{
    QTest::addColumn<QJsonValue>("input");
    QTest::addColumn<quint64>("ns");
    QTest::addRow("100 ns") << QJsonValue(u"100 ns"_s) << quint64(100);
    QTest::addRow("no space") << QJsonValue(u"100ns"_s) << quint64(100);
    QTest::addRow("1.5ms") << QJsonValue(u"1.5ms"_s) << quint64(1'500'000);
    QTest::addRow("1.5 ms") << QJsonValue(u"1.5 ms"_s) << quint64(1'500'000);
    QTest::addRow("2 s") << QJsonValue(u"2 s"_s) << quint64(2'000'000'000);
    QTest::addRow("0.1 s is exact") << QJsonValue(u"0.1 s"_s) << quint64(100'000'000);
    QTest::addRow("250 us") << QJsonValue(u"250 us"_s) << quint64(250'000);
    QTest::addRow("250 µs (micro sign)") << QJsonValue(u"250 \u00b5s"_s) << quint64(250'000);
    QTest::addRow("250 μs (Greek mu)") << QJsonValue(u"250 \u03bcs"_s) << quint64(250'000);
    QTest::addRow("1 min") << QJsonValue(u"1 min"_s) << quint64(60'000'000'000);
    QTest::addRow("1.25 min") << QJsonValue(u"1.25 min"_s) << quint64(75'000'000'000);
    QTest::addRow("exponent") << QJsonValue(u"1e3 ns"_s) << quint64(1000);
    QTest::addRow("negative exponent") << QJsonValue(u"2.5E-3 s"_s) << quint64(2'500'000);
    QTest::addRow("leading dot") << QJsonValue(u".5 s"_s) << quint64(500'000'000);
    QTest::addRow("surrounding spaces") << QJsonValue(u"  7 ms "_s) << quint64(7'000'000);
    QTest::addRow("zero") << QJsonValue(u"0 s"_s) << quint64(0);
    QTest::addRow("half a nanosecond rounds up") << QJsonValue(u"0.5 ns"_s) << quint64(1);
    QTest::addRow("0.4 ns rounds down") << QJsonValue(u"0.4 ns"_s) << quint64(0);
    QTest::addRow("number is seconds") << QJsonValue(2) << quint64(2'000'000'000);
    QTest::addRow("fractional seconds") << QJsonValue(0.25) << quint64(250'000'000);
    QTest::addRow("0.1 seconds as a number") << QJsonValue(0.1) << quint64(100'000'000);
    QTest::addRow("zero number") << QJsonValue(0) << quint64(0);
    QTest::addRow("largest whole seconds") << QJsonValue(u"18446744073 s"_s) << quint64(18'446'744'073'000'000'000ULL);
    QTest::addRow("UINT64_MAX ns") << QJsonValue(u"18446744073709551615 ns"_s) << quint64(18446744073709551615ULL);
}

void TestExperimentFile::parseDuration()
{
    QFETCH(QJsonValue, input);
    QFETCH(quint64, ns);
    QString error;
    const auto parsed = clab::model::parseDuration(input, &error);
    QVERIFY2(parsed.has_value(), qPrintable(error));
    QCOMPARE(quint64(*parsed), ns);
}

void TestExperimentFile::parseDurationErrors_data()
{
    QTest::addColumn<QJsonValue>("input");
    QTest::addColumn<QString>("message");
    QTest::addRow("unknown unit") << QJsonValue(u"10 xs"_s) << u"unknown unit \"xs\" (use ns, us, ms, s, min)"_s;
    QTest::addRow("upper-case unit") << QJsonValue(u"10 MS"_s) << u"unknown unit \"MS\" (use ns, us, ms, s, min)"_s;
    QTest::addRow("hours are not a unit") << QJsonValue(u"1 h"_s) << u"unknown unit \"h\" (use ns, us, ms, s, min)"_s;
    QTest::addRow("no unit") << QJsonValue(u"10"_s) << u"missing unit in \"10\" (use ns, us, ms, s, min)"_s;
    QTest::addRow("negative") << QJsonValue(u"-1 ms"_s) << u"must not be negative, got \"-1 ms\""_s;
    QTest::addRow("negative number") << QJsonValue(-0.5) << u"must not be negative, got -0.5"_s;
    QTest::addRow("NaN") << QJsonValue(u"NaN ms"_s) << u"not a number: \"NaN ms\""_s;
    QTest::addRow("infinity") << QJsonValue(u"inf s"_s) << u"not a number: \"inf s\""_s;
    QTest::addRow("only a unit") << QJsonValue(u"ms"_s)
                                 << u"must be a duration like \"10 ms\" or a number of seconds, got \"ms\""_s;
    QTest::addRow("empty text") << QJsonValue(u""_s)
                                << u"must be a duration like \"10 ms\" or a number of seconds, got \"\""_s;
    QTest::addRow("two numbers") << QJsonValue(u"1 2 s"_s) << u"unknown unit \"2 s\" (use ns, us, ms, s, min)"_s;
    QTest::addRow("thousands separator") << QJsonValue(u"1,000 ns"_s)
                                         << u"unknown unit \",000 ns\" (use ns, us, ms, s, min)"_s;
    QTest::addRow("boolean") << QJsonValue(true)
                             << u"must be a duration like \"10 ms\" or a number of seconds, got true"_s;
    QTest::addRow("null") << QJsonValue(QJsonValue::Null)
                          << u"must be a duration like \"10 ms\" or a number of seconds, got null"_s;
    QTest::addRow("array") << QJsonValue(QJsonArray{1, u"s"_s})
                           << u"must be a duration like \"10 ms\" or a number of seconds, got [1,\"s\"]"_s;
    QTest::addRow("too large text") << QJsonValue(u"18446744074 s"_s) << u"too large, got \"18446744074 s\""_s;
    QTest::addRow("too large number") << QJsonValue(1e11) << u"too large, got 100000000000"_s;
}

void TestExperimentFile::parseDurationErrors()
{
    QFETCH(QJsonValue, input);
    QFETCH(QString, message);
    QString error;
    QVERIFY(!clab::model::parseDuration(input, &error).has_value());
    QCOMPARE(error, message);
}

void TestExperimentFile::formatDuration_data()
{
    QTest::addColumn<quint64>("ns");
    QTest::addColumn<QString>("text");
    QTest::addRow("zero") << quint64(0) << u"0 ns"_s;
    QTest::addRow("1 ns") << quint64(1) << u"1 ns"_s;
    QTest::addRow("100 ns") << quint64(100) << u"100 ns"_s;
    QTest::addRow("999 ns") << quint64(999) << u"999 ns"_s;
    QTest::addRow("1 us") << quint64(1000) << u"1 us"_s;
    QTest::addRow("1.5 us") << quint64(1500) << u"1.5 us"_s;
    QTest::addRow("1.001 us") << quint64(1001) << u"1.001 us"_s;
    QTest::addRow("1.5 ms") << quint64(1'500'000) << u"1.5 ms"_s;
    QTest::addRow("10 ms") << quint64(10'000'000) << u"10 ms"_s;
    QTest::addRow("200 ms") << quint64(200'000'000) << u"200 ms"_s;
    QTest::addRow("2 s") << quint64(2'000'000'000) << u"2 s"_s;
    QTest::addRow("2.25 s") << quint64(2'250'000'000) << u"2.25 s"_s;
    QTest::addRow("long decimal falls to a smaller unit") << quint64(1'234'567) << u"1234.567 us"_s;
    QTest::addRow("1000.5 ms") << quint64(1'000'500'000) << u"1000.5 ms"_s;
    QTest::addRow("microseconds always fit three places") << quint64(1'000'000'001) << u"1000000.001 us"_s;
    QTest::addRow("90 s stays seconds") << quint64(90'000'000'000) << u"90 s"_s;
    QTest::addRow("1 min") << quint64(60'000'000'000) << u"1 min"_s;
    QTest::addRow("24 h") << quint64(86'400'000'000'000) << u"1440 min"_s;
    QTest::addRow("UINT64_MAX") << quint64(18446744073709551615ULL) << u"18446744073709551.615 us"_s;
}

void TestExperimentFile::formatDuration()
{
    QFETCH(quint64, ns);
    QFETCH(QString, text);
    QCOMPARE(clab::model::formatDuration(ns), text);
    // What is written reads back to the same nanoseconds.
    QString error;
    const auto back = clab::model::parseDuration(QJsonValue(text), &error);
    QVERIFY2(back.has_value(), qPrintable(error));
    QCOMPARE(quint64(*back), ns);
}

void TestExperimentFile::saveLeavesNoTemporaryFiles()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(u"lab.cclab"_s);
    QVERIFY(writeFile(path, "old content"));
    clab::ExperimentSpec spec = baseSpec();
    QString error;
    QVERIFY2(clab::model::saveExperiment(spec, path, &error), qPrintable(error));
    QCOMPARE(dirEntries(dir.path()), QStringList{u"lab.cclab"_s});
    QCOMPARE(readFile(path), clab::model::serializeExperiment(spec));
    const auto load = clab::model::loadExperiment(path);
    QVERIFY2(load.ok(), qPrintable(load.errorText()));
    compareSpecs(*load.spec, spec);
}

void TestExperimentFile::saveIntoMissingDirectoryFails()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(u"no/such/dir/lab.cclab"_s);
    QString error;
    QVERIFY(!clab::model::saveExperiment(baseSpec(), path, &error));
    QVERIFY2(error.startsWith(u"cannot save \""_s + path + u"\": "_s), qPrintable(error));
    QVERIFY(dirEntries(dir.path()).isEmpty());
}

void TestExperimentFile::failedWriteLeavesOriginalUntouched()
{
    // A file-size limit makes the write fail half-way (like a full disk) even when running as
    // root, where permission bits would not stop it.
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(u"lab.cclab"_s);
    const QByteArray original = "ORIGINAL CONTENT\n";
    QVERIFY(writeFile(path, original));
    clab::ExperimentSpec spec = baseSpec();
    spec.description = std::string(256 * 1024, 'd');

    rlimit old{};
    QCOMPARE(::getrlimit(RLIMIT_FSIZE, &old), 0);
    rlimit small = old;
    small.rlim_cur = 4096;
    const auto oldHandler = std::signal(SIGXFSZ, SIG_IGN);
    QCOMPARE(::setrlimit(RLIMIT_FSIZE, &small), 0);
    QString error;
    const bool saved = clab::model::saveExperiment(spec, path, &error);
    ::setrlimit(RLIMIT_FSIZE, &old);
    std::signal(SIGXFSZ, oldHandler);

    QVERIFY(!saved);
    QVERIFY2(error.startsWith(u"cannot save \""_s + path + u"\": "_s), qPrintable(error));
    QCOMPARE(readFile(path), original);
    QCOMPARE(dirEntries(dir.path()), QStringList{u"lab.cclab"_s});
}

void TestExperimentFile::readOnlyDirectoryLeavesOriginalUntouched()
{
    if (::geteuid() == 0)
        QSKIP(
            "running as root: a read-only directory does not stop root (failedWriteLeavesOriginalUntouched covers it)");
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(u"lab.cclab"_s);
    const QByteArray original = "ORIGINAL CONTENT\n";
    QVERIFY(writeFile(path, original));
    QVERIFY(QFile::setPermissions(dir.path(), QFileDevice::ReadOwner | QFileDevice::ExeOwner));
    QString error;
    const bool saved = clab::model::saveExperiment(baseSpec(), path, &error);
    QFile::setPermissions(dir.path(), QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner);
    QVERIFY(!saved);
    QVERIFY2(error.contains(path), qPrintable(error));
    QCOMPARE(readFile(path), original);
    QCOMPARE(dirEntries(dir.path()), QStringList{u"lab.cclab"_s});
}

void TestExperimentFile::invalidSpecIsNotSaved()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(u"lab.cclab"_s);
    const QByteArray original = "ORIGINAL CONTENT\n";
    QVERIFY(writeFile(path, original));
    clab::ExperimentSpec spec = baseSpec();
    spec.workers = 0;
    QString error;
    QVERIFY(!clab::model::saveExperiment(spec, path, &error));
    QCOMPARE(error,
             u"cannot save \""_s + path + u"\": the experiment is not valid (workers: must be 1..1024, got 0)"_s);
    QCOMPARE(readFile(path), original);
    QCOMPARE(dirEntries(dir.path()), QStringList{u"lab.cclab"_s});
}

void TestExperimentFile::shippedLockContentionPreset()
{
    const QString presets = qEnvironmentVariable("CLAB_PRESETS_DIR");
    if (presets.isEmpty())
        QSKIP("CLAB_PRESETS_DIR is not set (CTest sets it to resources/presets)");
    const QString path = QDir(presets).filePath(u"lock-contention.cclab"_s);
    const auto load = clab::model::loadExperiment(path);
    QVERIFY2(load.ok(), qPrintable(load.errorText()));
    const clab::ExperimentSpec &s = *load.spec;
    QCOMPARE(QString::fromStdString(s.name), u"Lock contention"_s);
    QCOMPARE(QString::fromStdString(s.topic), u"Locks"_s);
    QVERIFY(!s.description.empty());
    QVERIFY(!s.prediction.empty());
    QCOMPARE(static_cast<int>(s.execution), static_cast<int>(clab::ExecutionModel::Threads));
    QCOMPARE(s.workers, 4u);
    QCOMPARE(s.durationNs, 2'000'000'000u);
    QCOMPARE(s.operationsPerWorker, 0u);
    QCOMPARE(s.warmupNs, 200'000'000u);
    QCOMPARE(s.sampleIntervalNs, 10'000'000u);
    QCOMPARE(static_cast<int>(s.placement), static_cast<int>(clab::PlacementPolicy::Unpinned));
    QCOMPARE(static_cast<int>(s.primitive), static_cast<int>(clab::PrimitiveKind::LockContention));
    QCOMPARE(static_cast<int>(s.lock.guard), static_cast<int>(clab::Guard::Mutex));
    QCOMPARE(s.lock.timingSampleEvery, 64u);
    QCOMPARE(s.workload.criticalSectionNs, 100u);
    QCOMPARE(s.workload.cpuWorkNs, 200u);
    QCOMPARE(s.workload.thinkTimeNs, 0u);
    QCOMPARE(s.workload.ioWaitNs, 0u);
    // Presets are kept in the canonical form the app saves, so saving one changes nothing.
    QCOMPARE(QString::fromUtf8(readFile(path)), QString::fromUtf8(clab::model::serializeExperiment(s)));
}

void TestExperimentFile::everyShippedPresetIsValid_data()
{
    QTest::addColumn<QString>("path");
    const QString presets = qEnvironmentVariable("CLAB_PRESETS_DIR");
    if (presets.isEmpty())
        return;
    const QFileInfoList files = QDir(presets).entryInfoList({u"*.cclab"_s}, QDir::Files, QDir::Name);
    for (const QFileInfo &fi : files)
        QTest::addRow("%s", qPrintable(fi.fileName())) << fi.absoluteFilePath();
}

void TestExperimentFile::everyShippedPresetIsValid()
{
    if (qEnvironmentVariable("CLAB_PRESETS_DIR").isEmpty())
        QSKIP("CLAB_PRESETS_DIR is not set (CTest sets it to resources/presets)");
    QFETCH(QString, path);
    const auto load = clab::model::loadExperiment(path);
    QVERIFY2(load.ok(), qPrintable(load.errorText()));
    QCOMPARE(load.migratedFromVersion, -1);
}

QTEST_GUILESS_MAIN(TestExperimentFile)
#include "tst_experiment_file.moc"
