// Tests of the experiment file format: round trips, every validation rule, migration, file errors, atomic saves.
#include "experiment_file.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QRandomGenerator>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <array>
#include <cmath>
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
    QCOMPARE(static_cast<int>(a.sharedValue.type), static_cast<int>(b.sharedValue.type));
    QCOMPARE(a.sharedValue.length, b.sharedValue.length);
    QCOMPARE(a.sharedValue.initial, b.sharedValue.initial);
    QCOMPARE(QString::fromStdString(a.sharedValue.initialText), QString::fromStdString(b.sharedValue.initialText));
    QCOMPARE(static_cast<int>(a.sharedValue.guard), static_cast<int>(b.sharedValue.guard));
    QCOMPARE(static_cast<int>(a.messaging.transport), static_cast<int>(b.messaging.transport));
    QCOMPARE(static_cast<int>(a.messaging.pattern), static_cast<int>(b.messaging.pattern));
    QCOMPARE(a.messaging.messageSize, b.messaging.messageSize);
    QCOMPARE(a.messaging.queueDepth, b.messaging.queueDepth);
    QCOMPARE(static_cast<int>(a.messaging.wake), static_cast<int>(b.messaging.wake));
    QCOMPARE(a.messaging.keepCpusAwake, b.messaging.keepCpusAwake);
    QCOMPARE(a.semaphore.permits, b.semaphore.permits);
    QCOMPARE(static_cast<int>(a.semaphore.pattern), static_cast<int>(b.semaphore.pattern));
    QCOMPARE(static_cast<int>(a.event.pattern), static_cast<int>(b.event.pattern));
    QCOMPARE(static_cast<int>(a.event.implementation), static_cast<int>(b.event.implementation));
    QCOMPARE(a.event.waitTimeoutNs, b.event.waitTimeoutNs);
    QCOMPARE(a.event.setIntervalNs, b.event.setIntervalNs);
    QCOMPARE(static_cast<int>(a.sync.kind), static_cast<int>(b.sync.kind));
    QCOMPARE(a.sync.readShare, b.sync.readShare);
    QCOMPARE(a.sync.recursionDepth, b.sync.recursionDepth);
    QCOMPARE(a.sync.queueCapacity, b.sync.queueCapacity);
    QCOMPARE(static_cast<int>(a.sync.barrierImplementation), static_cast<int>(b.sync.barrierImplementation));
    QCOMPARE(a.work.gil, b.work.gil);
    QCOMPARE(a.work.switchIntervalNs, b.work.switchIntervalNs);
    QCOMPARE(static_cast<int>(a.lifecycle.mode), static_cast<int>(b.lifecycle.mode));
    QCOMPARE(a.lifecycle.daemonWorkers, b.lifecycle.daemonWorkers);
    QCOMPARE(a.lifecycle.joinTimeoutNs, b.lifecycle.joinTimeoutNs);
    QCOMPARE(a.lifecycle.mainWorkNs, b.lifecycle.mainWorkNs);
    QCOMPARE(a.lifecycle.execChild, b.lifecycle.execChild);
    QCOMPARE(a.workload.cpuWorkNs, b.workload.cpuWorkNs);
    QCOMPARE(a.workload.criticalSectionNs, b.workload.criticalSectionNs);
    QCOMPARE(a.workload.thinkTimeNs, b.workload.thinkTimeNs);
    QCOMPARE(a.workload.ioWaitNs, b.workload.ioWaitNs);
    QCOMPARE(a.workload.memoryBytes, b.workload.memoryBytes);
    QCOMPARE(a.workload.memoryStride, b.workload.memoryStride);
    QCOMPARE(a.workload.memoryBufferBytes, b.workload.memoryBufferBytes);
    QCOMPARE(a.sampleIntervalNs, b.sampleIntervalNs);
    QCOMPARE(static_cast<int>(a.placement), static_cast<int>(b.placement));
    QCOMPARE(a.cpuList, b.cpuList);
    QCOMPARE(a.variants.size(), b.variants.size());
    for (std::size_t i = 0; i < a.variants.size(); ++i) {
        QCOMPARE(QString::fromStdString(a.variants[i].label), QString::fromStdString(b.variants[i].label));
        QCOMPARE(a.variants[i].set, b.variants[i].set);
    }
    QCOMPARE(a.sweep.size(), b.sweep.size());
    for (std::size_t i = 0; i < a.sweep.size(); ++i) {
        QCOMPARE(QString::fromStdString(a.sweep[i].parameter), QString::fromStdString(b.sweep[i].parameter));
        QCOMPARE(a.sweep[i].values, b.sweep[i].values);
    }
}

// The base spec turned into another family, with the fewest changes that make it valid.
clab::ExperimentSpec kindSpec(clab::PrimitiveKind kind)
{
    clab::ExperimentSpec s = baseSpec();
    s.primitive = kind;
    if (kind == clab::PrimitiveKind::Event)
        s.workers = 2; // hand-off: one pair of setter and waiter
    return s;
}

QJsonObject primitiveOf(const clab::ExperimentSpec &s)
{
    return clab::model::experimentToJson(s).value(u"primitive").toObject();
}

// The order in which `keys` appear in the serialized text of the object at the top of `bytes`.
QStringList keysInTextOrder(const QByteArray &bytes, const QStringList &keys)
{
    QList<QPair<qsizetype, QString>> found;
    for (const QString &k : keys) {
        const qsizetype at = bytes.indexOf(QByteArray('"' + k.toUtf8() + "\":"));
        if (at >= 0)
            found.append({at, k});
    }
    std::sort(found.begin(), found.end());
    QStringList out;
    for (const auto &f : found)
        out.append(f.second);
    return out;
}

clab::Variant variant(const std::string &label, std::vector<std::pair<std::string, std::string>> set)
{
    return clab::Variant{label, std::move(set)};
}

clab::SweepAxis axis(const std::string &parameter, std::vector<std::string> values)
{
    return clab::SweepAxis{parameter, std::move(values)};
}

// The brief's example: a message-passing experiment as one process and as four threads, over
// three transports and three message sizes (2 × 3 × 3 = 18 points).
clab::ExperimentSpec transportSweepSpec()
{
    clab::ExperimentSpec s = kindSpec(clab::PrimitiveKind::MessagePassing);
    s.workers = 2;
    s.durationNs = 0;
    s.operationsPerWorker = 10'000;
    s.variants = {variant("single process", {{"execution", "\"sequential\""}}),
                  variant("4 threads", {{"execution", "\"threads\""}, {"workers", "4"}})};
    s.sweep = {axis("primitive.transport", {"\"pipe\"", "\"posix-mq\"", "\"shm-channel\""}),
               axis("primitive.messageSize", {"64", "\"4 KiB\"", "\"64 KiB\""})};
    return s;
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

// The semaphore pattern, event implementation, barrier implementation and child of a process of
// the spec's own family, as the file spells them ("" for the other families).
QString familyChoiceOf(const clab::ExperimentSpec &s)
{
    switch (s.primitive) {
    case clab::PrimitiveKind::Semaphore:
        return QString::fromLatin1(clab::toString(s.semaphore.pattern));
    case clab::PrimitiveKind::Event:
        return QString::fromLatin1(clab::toString(s.event.implementation));
    case clab::PrimitiveKind::Sync:
        return QString::fromLatin1(clab::toString(s.sync.barrierImplementation));
    case clab::PrimitiveKind::Lifecycle:
        return s.lifecycle.execChild ? u"exec"_s : u"_exit"_s;
    default:
        return {};
    }
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
    void savedPrimitiveKeys_data();
    void savedPrimitiveKeys();
    void memoryWorkloadWrittenOnlyWhenUsed();
    void patternAndImplementationFields_data();
    void patternAndImplementationFields();
    void pairedWorkers_data();
    void pairedWorkers();
    void patternAndImplementationInSweeps_data();
    void patternAndImplementationInSweeps();
    void elementErrorsAreCapped();
    void parseByteSize_data();
    void parseByteSize();
    void parseByteSizeErrors_data();
    void parseByteSizeErrors();
    void formatByteSize_data();
    void formatByteSize();
    void sweepExpansion_data();
    void sweepExpansion();
    void sweepPointsApplyTheirValues();
    void sweepSettingOneAlternativeRemovesTheOther();
    void sweepPointsStartFromExplicitParametersOnly();
    void expandSweepOfInvalidExperiment();
    void everySweepErrorIsReported();
    void overrides_data();
    void overrides();
    void overrideErrors_data();
    void overrideErrors();
    void mutatedSweepFilesLoadOnlyValidSpecs();
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
    QTest::addRow("sequential with 4 workers and operations") << SpecEdit([](clab::ExperimentSpec &s) {
        s.execution = clab::ExecutionModel::Sequential;
        s.durationNs = 0;
        s.operationsPerWorker = 1000;
    });
    QTest::addRow("memory-bound workload") << SpecEdit([](clab::ExperimentSpec &s) {
        s.workload.memoryBytes = 1 << 20;
        s.workload.memoryStride = 4096;
        s.workload.memoryBufferBytes = clab::limits::kMaxMemoryBufferBytes;
    });
    QTest::addRow("memory knobs without memory work, odd sizes") << SpecEdit([](clab::ExperimentSpec &s) {
        s.workload.memoryStride = 1;
        s.workload.memoryBufferBytes = 4097;
    });
    QTest::addRow("shared-value: int32 Value") << SpecEdit([](clab::ExperimentSpec &s) {
        s.primitive = clab::PrimitiveKind::SharedValue;
    });
    QTest::addRow("shared-value: int64 Array by length, atomic") << SpecEdit([](clab::ExperimentSpec &s) {
        s.primitive = clab::PrimitiveKind::SharedValue;
        s.sharedValue.type = clab::ElementType::Int64;
        s.sharedValue.length = clab::limits::kMaxArrayLength;
        s.sharedValue.guard = clab::Guard::Atomic;
    });
    QTest::addRow("shared-value: int64 initial at +-2^53") << SpecEdit([](clab::ExperimentSpec &s) {
        s.primitive = clab::PrimitiveKind::SharedValue;
        s.sharedValue.type = clab::ElementType::Int64;
        s.sharedValue.initial = {-9007199254740992.0, 0, 9007199254740992.0};
        s.sharedValue.length = 3;
    });
    QTest::addRow("shared-value: double initial, mutex") << SpecEdit([](clab::ExperimentSpec &s) {
        s.primitive = clab::PrimitiveKind::SharedValue;
        s.sharedValue.type = clab::ElementType::Double;
        s.sharedValue.initial = {0.1, -2.5e-300, 1e300, 3};
        s.sharedValue.length = 4;
        s.sharedValue.guard = clab::Guard::Mutex;
    });
    QTest::addRow("shared-value: int32 initial at the int32 limits") << SpecEdit([](clab::ExperimentSpec &s) {
        s.primitive = clab::PrimitiveKind::SharedValue;
        s.sharedValue.initial = {-2147483648.0, 2147483647.0};
        s.sharedValue.length = 2;
    });
    QTest::addRow("shared-value: char text, mutex") << SpecEdit([](clab::ExperimentSpec &s) {
        s.primitive = clab::PrimitiveKind::SharedValue;
        s.sharedValue.type = clab::ElementType::Char;
        s.sharedValue.initialText = "Grüße, \"world\"";
        s.sharedValue.length = 16; // UTF-8 bytes
        s.sharedValue.guard = clab::Guard::Mutex;
    });
    QTest::addRow("shared-value: char array by length") << SpecEdit([](clab::ExperimentSpec &s) {
        s.primitive = clab::PrimitiveKind::SharedValue;
        s.sharedValue.type = clab::ElementType::Char;
        s.sharedValue.length = 32;
    });
    QTest::addRow("message-passing: every field") << SpecEdit([](clab::ExperimentSpec &s) {
        s.primitive = clab::PrimitiveKind::MessagePassing;
        s.messaging = {clab::Transport::ShmChannel, clab::MessagePattern::Streaming, 4096, 16,
                       clab::WakeStrategy::Spinning, true};
    });
    QTest::addRow("message-passing: sizes at the limits") << SpecEdit([](clab::ExperimentSpec &s) {
        s.primitive = clab::PrimitiveKind::MessagePassing;
        s.workers = 1024;
        s.messaging.transport = clab::Transport::SysvMq;
        s.messaging.messageSize = clab::limits::kMaxMessageSize;
        s.messaging.queueDepth = clab::limits::kMaxQueueDepth;
    });
    QTest::addRow("message-passing: 1 byte, every transport but the channel")
        << SpecEdit([](clab::ExperimentSpec &s) {
               s.primitive = clab::PrimitiveKind::MessagePassing;
               s.messaging.transport = clab::Transport::UnixDgram;
               s.messaging.messageSize = 1;
           });
    QTest::addRow("message-passing: 1000 bytes") << SpecEdit([](clab::ExperimentSpec &s) {
        s.primitive = clab::PrimitiveKind::MessagePassing;
        s.messaging.transport = clab::Transport::Fifo;
        s.messaging.messageSize = 1000;
    });
    QTest::addRow("semaphore") << SpecEdit([](clab::ExperimentSpec &s) {
        s.primitive = clab::PrimitiveKind::Semaphore;
        s.semaphore.permits = clab::limits::kMaxPermits;
    });
    QTest::addRow("semaphore: ping-pong of 2 pairs") << SpecEdit([](clab::ExperimentSpec &s) {
        s.primitive = clab::PrimitiveKind::Semaphore;
        s.semaphore.pattern = clab::SemaphorePattern::PingPong;
        s.workers = 4;
    });
    QTest::addRow("event: hand-off of 3 pairs, condvar") << SpecEdit([](clab::ExperimentSpec &s) {
        s.primitive = clab::PrimitiveKind::Event;
        s.workers = 6;
        s.event.implementation = clab::EventImplementation::CondVar;
    });
    QTest::addRow("event: gate, condvar") << SpecEdit([](clab::ExperimentSpec &s) {
        s.primitive = clab::PrimitiveKind::Event;
        s.workers = 3;
        s.event.pattern = clab::EventPattern::Gate;
        s.event.implementation = clab::EventImplementation::CondVar;
    });
    QTest::addRow("event: hand-off with a timeout") << SpecEdit([](clab::ExperimentSpec &s) {
        s.primitive = clab::PrimitiveKind::Event;
        s.workers = 2;
        s.event.waitTimeoutNs = 250'000'000;
        s.event.setIntervalNs = 0;
    });
    QTest::addRow("event: gate of 9") << SpecEdit([](clab::ExperimentSpec &s) {
        s.primitive = clab::PrimitiveKind::Event;
        s.workers = 9;
        s.event.pattern = clab::EventPattern::Gate;
        s.event.setIntervalNs = clab::limits::kMaxWorkNs;
    });
    QTest::addRow("sync: rwlock") << SpecEdit([](clab::ExperimentSpec &s) {
        s.primitive = clab::PrimitiveKind::Sync;
        s.sync.kind = clab::SyncKind::RwLock;
        s.sync.readShare = 0.75;
    });
    QTest::addRow("sync: rwlock writers only") << SpecEdit([](clab::ExperimentSpec &s) {
        s.primitive = clab::PrimitiveKind::Sync;
        s.sync.kind = clab::SyncKind::RwLock;
        s.sync.readShare = 0;
    });
    QTest::addRow("sync: recursive mutex") << SpecEdit([](clab::ExperimentSpec &s) {
        s.primitive = clab::PrimitiveKind::Sync;
        s.sync.kind = clab::SyncKind::RecursiveMutex;
        s.sync.recursionDepth = clab::limits::kMaxRecursionDepth;
    });
    QTest::addRow("sync: condvar") << SpecEdit([](clab::ExperimentSpec &s) {
        s.primitive = clab::PrimitiveKind::Sync;
        s.sync.kind = clab::SyncKind::CondVar;
        s.sync.queueCapacity = 1;
    });
    QTest::addRow("sync: barrier") << SpecEdit([](clab::ExperimentSpec &s) {
        s.primitive = clab::PrimitiveKind::Sync;
        s.sync.kind = clab::SyncKind::Barrier;
    });
    QTest::addRow("sync: futex barrier") << SpecEdit([](clab::ExperimentSpec &s) {
        s.primitive = clab::PrimitiveKind::Sync;
        s.sync.kind = clab::SyncKind::Barrier;
        s.sync.barrierImplementation = clab::BarrierImplementation::Futex;
    });
    QTest::addRow("sync: spinlock") << SpecEdit([](clab::ExperimentSpec &s) {
        s.primitive = clab::PrimitiveKind::Sync;
        s.sync.kind = clab::SyncKind::Spinlock;
    });
    QTest::addRow("work: with the GIL") << SpecEdit([](clab::ExperimentSpec &s) {
        s.primitive = clab::PrimitiveKind::Work;
        s.work.gil = true;
        s.work.switchIntervalNs = clab::limits::kMinSwitchIntervalNs;
    });
    QTest::addRow("work: no GIL, switch interval kept") << SpecEdit([](clab::ExperimentSpec &s) {
        s.primitive = clab::PrimitiveKind::Work;
        s.work.switchIntervalNs = clab::limits::kMaxSwitchIntervalNs;
    });
    QTest::addRow("thread-lifecycle: create-join") << SpecEdit([](clab::ExperimentSpec &s) {
        s.primitive = clab::PrimitiveKind::Lifecycle;
        s.lifecycle.joinTimeoutNs = 1'500'000;
    });
    QTest::addRow("thread-lifecycle: processes, fork + _exit") << SpecEdit([](clab::ExperimentSpec &s) {
        s.primitive = clab::PrimitiveKind::Lifecycle;
        s.execution = clab::ExecutionModel::Processes;
        s.workers = 1;
        s.lifecycle.execChild = false;
    });
    QTest::addRow("thread-lifecycle: daemon") << SpecEdit([](clab::ExperimentSpec &s) {
        s.primitive = clab::PrimitiveKind::Lifecycle;
        s.lifecycle.mode = clab::LifecycleMode::Daemon;
        s.lifecycle.daemonWorkers = 3;
        s.lifecycle.mainWorkNs = 2'000'000'000;
        s.lifecycle.joinTimeoutNs = 0;
    });
    QTest::addRow("variants and sweep") << SpecEdit([](clab::ExperimentSpec &s) { s = transportSweepSpec(); });
    QTest::addRow("sweep values of every JSON type") << SpecEdit([](clab::ExperimentSpec &s) {
        // Texts as QJsonDocument writes them (compact), so they come back exactly.
        s.variants = {variant("", {{"workload.cpuWork", "0.5"}}),
                      variant("pinned", {{"placement", "[0,1]"}, {"workload.thinkTime", "\"1 ms\""}})};
        s.sweep = {axis("workers", {"1", "2", "3"}), axis("description", {"\"a, b\"", "\"é \\\" \\\\\""}),
                   axis("primitive", {"{\"guard\":\"none\",\"kind\":\"lock-contention\"}"})};
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
    row("sequential with 4 workers and a duration", {{u"execution"_s, u"sequential"_s}}, u"duration"_s,
        u"sequential execution runs the 4 workers' bodies one after another, so a duration would give all of it "
        u"to the first; give \"operations\" instead"_s);
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
        u"must be one of lock-contention, shared-value, message-passing, semaphore, event, sync, work, "
        u"thread-lifecycle, got \"barrier\""_s);
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

    // Families: the keys of one in another's object name the right kind.
    const auto prim = [](QJsonObject o) { return QJsonObject{{u"primitive"_s, o}}; };
    const auto with = [](QJsonObject a, const QJsonObject &b) {
        for (auto it = b.begin(); it != b.end(); ++it)
            a.insert(it.key(), it.value());
        return a;
    };
    row("transport in lock-contention", {{u"primitive.transport"_s, u"pipe"_s}}, u"primitive.transport"_s,
        u"only for kind message-passing"_s);
    row("guard in semaphore", prim({{u"kind"_s, u"semaphore"_s}, {u"guard"_s, u"mutex"_s}}), u"primitive.guard"_s,
        u"only for kind lock-contention or shared-value"_s);
    row("pattern in sync", prim({{u"kind"_s, u"sync"_s}, {u"lock"_s, u"mutex"_s}, {u"pattern"_s, u"gate"_s}}),
        u"primitive.pattern"_s, u"only for kind message-passing or semaphore or event"_s);
    row("implementation in sync",
        prim({{u"kind"_s, u"sync"_s}, {u"lock"_s, u"mutex"_s}, {u"implementation"_s, u"futex"_s}}),
        u"primitive.implementation"_s, u"only for kind event"_s);
    row("barrierImplementation in event",
        with(prim({{u"kind"_s, u"event"_s}, {u"barrierImplementation"_s, u"futex"_s}}), {{u"workers"_s, 2}}),
        u"primitive.barrierImplementation"_s, u"only for kind sync"_s);
    row("execChild in work", prim({{u"kind"_s, u"work"_s}, {u"execChild"_s, false}}), u"primitive.execChild"_s,
        u"only for kind thread-lifecycle"_s);
    row("misspelt key of the kind", prim({{u"kind"_s, u"semaphore"_s}, {u"permit"_s, 3}}), u"primitive.permit"_s,
        u"unknown field (did you mean \"permits\"?)"_s);
    row("misspelt key of another kind", prim({{u"kind"_s, u"semaphore"_s}, {u"transprt"_s, u"pipe"_s}}),
        u"primitive.transprt"_s, u"unknown field (did you mean \"transport\"?)"_s);
    row("nested key at the top level", {{u"transport"_s, u"pipe"_s}}, u"transport"_s,
        u"unknown field (did you mean \"primitive.transport\"?)"_s);

    // shared-value
    const QJsonObject value{{u"kind"_s, u"shared-value"_s}, {u"type"_s, u"int32"_s}};
    const QJsonObject chars{{u"kind"_s, u"shared-value"_s}, {u"type"_s, u"char"_s}};
    const QJsonObject int64{{u"kind"_s, u"shared-value"_s}, {u"type"_s, u"int64"_s}};
    row("shared-value: type missing", prim({{u"kind"_s, u"shared-value"_s}}), u"primitive.type"_s, u"required"_s);
    row("shared-value: type unknown", prim(with(value, {{u"type"_s, u"float"_s}})), u"primitive.type"_s,
        u"must be one of int32, int64, double, char, got \"float\""_s);
    row("shared-value: guard spinlock", prim(with(value, {{u"guard"_s, u"spinlock"_s}})), u"primitive.guard"_s,
        u"must be one of none, mutex, atomic, got \"spinlock\""_s);
    row("shared-value: atomic char", prim(with(chars, {{u"guard"_s, u"atomic"_s}})), u"primitive.guard"_s,
        u"must not be atomic for type char: a string cannot be updated atomically; use none or mutex"_s);
    row("shared-value: length and initial", prim(with(value, {{u"length"_s, 2}, {u"initial"_s, QJsonArray{1, 2}}})),
        u"primitive.initial"_s, u"give only one of \"length\", \"initial\" and \"initialText\""_s);
    row("shared-value: length and initialText", prim(with(chars, {{u"length"_s, 2}, {u"initialText"_s, u"ab"_s}})),
        u"primitive.initialText"_s, u"give only one of \"length\", \"initial\" and \"initialText\""_s);
    row("shared-value: length zero", prim(with(value, {{u"length"_s, 0}})), u"primitive.length"_s,
        u"must be 1..1000000, got 0"_s);
    row("shared-value: length too large", prim(with(value, {{u"length"_s, 1000001}})), u"primitive.length"_s,
        u"must be 1..1000000, got 1000001"_s);
    row("shared-value: initial not an array", prim(with(value, {{u"initial"_s, 5}})), u"primitive.initial"_s,
        u"must be an array of numbers, got 5"_s);
    row("shared-value: initial empty", prim(with(value, {{u"initial"_s, QJsonArray{}}})), u"primitive.initial"_s,
        u"must have 1..1000000 elements, got 0"_s);
    QJsonArray tooMany;
    for (int i = 0; i < 1000001; ++i)
        tooMany.append(0);
    row("shared-value: initial too long", prim(with(value, {{u"initial"_s, tooMany}})), u"primitive.initial"_s,
        u"must have 1..1000000 elements, got 1000001"_s);
    row("shared-value: initial element not a number", prim(with(value, {{u"initial"_s, QJsonArray{1, u"x"_s}}})),
        u"primitive.initial[1]"_s, u"must be a number, got \"x\""_s);
    row("shared-value: int32 above its range", prim(with(value, {{u"initial"_s, QJsonArray{2147483648LL}}})),
        u"primitive.initial[0]"_s, u"must be an integer -2147483648..2147483647 (type int32), got 2147483648"_s);
    row("shared-value: int32 below its range", prim(with(value, {{u"initial"_s, QJsonArray{0, -2147483649LL}}})),
        u"primitive.initial[1]"_s, u"must be an integer -2147483648..2147483647 (type int32), got -2147483649"_s);
    row("shared-value: int32 fraction", prim(with(value, {{u"initial"_s, QJsonArray{1.5}}})), u"primitive.initial[0]"_s,
        u"must be an integer -2147483648..2147483647 (type int32), got 1.5"_s);
    row("shared-value: int64 beyond int64", prim(with(int64, {{u"initial"_s, QJsonArray{1e19}}})),
        u"primitive.initial[0]"_s,
        u"must be an integer -9223372036854775808..9223372036854775807 (type int64), got 1e+19"_s);
    row("shared-value: int64 beyond 2^53 is not kept exactly",
        prim(with(int64, {{u"initial"_s, QJsonArray{9007199254740993LL}}})), u"primitive.initial[0]"_s,
        u"must be -9007199254740992..9007199254740992: initial values are held as doubles, which would change "
        u"larger integers, got 9007199254740993"_s);
    row("shared-value: initial for char", prim(with(chars, {{u"initial"_s, QJsonArray{65}}})),
        u"primitive.initial"_s, u"not for type char (use \"initialText\")"_s);
    row("shared-value: initialText for numbers", prim(with(value, {{u"initialText"_s, u"12"_s}})),
        u"primitive.initialText"_s, u"only for type char (use \"initial\" for numbers)"_s);
    row("shared-value: initialText empty", prim(with(chars, {{u"initialText"_s, u""_s}})), u"primitive.initialText"_s,
        u"must be 1..1000000 bytes of UTF-8 text, got 0"_s);
    row("shared-value: initialText too long in bytes",
        prim(with(chars, {{u"initialText"_s, QString(500001, QChar(0xe4))}})), u"primitive.initialText"_s,
        u"must be 1..1000000 bytes of UTF-8 text, got 1000002"_s);

    // message-passing
    const QJsonObject mp{{u"kind"_s, u"message-passing"_s}, {u"transport"_s, u"pipe"_s}};
    row("message-passing: transport missing", prim({{u"kind"_s, u"message-passing"_s}}), u"primitive.transport"_s,
        u"required"_s);
    row("message-passing: transport unknown", prim(with(mp, {{u"transport"_s, u"tcp"_s}})), u"primitive.transport"_s,
        u"must be one of pipe, fifo, posix-mq, sysv-mq, unix-stream, unix-dgram, shm-channel, got \"tcp\""_s);
    row("message-passing: pattern unknown", prim(with(mp, {{u"pattern"_s, u"broadcast"_s}})), u"primitive.pattern"_s,
        u"must be one of ping-pong, streaming, got \"broadcast\""_s);
    row("message-passing: messageSize zero", prim(with(mp, {{u"messageSize"_s, 0}})), u"primitive.messageSize"_s,
        u"must be 1..1048576 bytes, got 0"_s);
    row("message-passing: messageSize 2 MiB", prim(with(mp, {{u"messageSize"_s, u"2 MiB"_s}})),
        u"primitive.messageSize"_s, u"must be 1..1048576 bytes, got 2097152"_s);
    row("message-passing: messageSize 1.1 MB (powers of ten)", prim(with(mp, {{u"messageSize"_s, u"1.1 MB"_s}})),
        u"primitive.messageSize"_s, u"must be 1..1048576 bytes, got 1100000"_s);
    row("message-passing: messageSize unit in lower case", prim(with(mp, {{u"messageSize"_s, u"4 kb"_s}})),
        u"primitive.messageSize"_s, u"unknown unit \"kb\" (use B, KiB, MiB, GiB, kB, MB, GB)"_s);
    row("message-passing: messageSize not whole bytes", prim(with(mp, {{u"messageSize"_s, u"1.5 B"_s}})),
        u"primitive.messageSize"_s, u"must be a whole number of bytes, got \"1.5 B\""_s);
    row("message-passing: messageSize a fraction", prim(with(mp, {{u"messageSize"_s, 2.5}})),
        u"primitive.messageSize"_s, u"must be a whole number of bytes, got 2.5"_s);
    row("message-passing: messageSize negative", prim(with(mp, {{u"messageSize"_s, -1}})), u"primitive.messageSize"_s,
        u"must not be negative, got -1"_s);
    row("message-passing: messageSize a boolean", prim(with(mp, {{u"messageSize"_s, true}})),
        u"primitive.messageSize"_s, u"must be a size like \"4 KiB\" or a number of bytes, got true"_s);
    row("message-passing: messageSize without unit", prim(with(mp, {{u"messageSize"_s, u"64"_s}})),
        u"primitive.messageSize"_s, u"missing unit in \"64\" (use B, KiB, MiB, GiB, kB, MB, GB)"_s);
    row("message-passing: queueDepth too deep", prim(with(mp, {{u"queueDepth"_s, 65537}})), u"primitive.queueDepth"_s,
        u"must be 0..65536, got 65537"_s);
    row("message-passing: spinning on a pipe", prim(with(mp, {{u"wake"_s, u"spinning"_s}})), u"primitive.wake"_s,
        u"must be blocking for transport pipe: only shm-channel can be polled by spinning (the other transports "
        u"wait in the kernel)"_s);
    row("message-passing: spinning on a POSIX queue",
        prim(with(mp, {{u"transport"_s, u"posix-mq"_s}, {u"wake"_s, u"spinning"_s}})), u"primitive.wake"_s,
        u"must be blocking for transport posix-mq: only shm-channel can be polled by spinning (the other "
        u"transports wait in the kernel)"_s);
    row("message-passing: wake unknown", prim(with(mp, {{u"wake"_s, u"polling"_s}})), u"primitive.wake"_s,
        u"must be one of blocking, spinning, got \"polling\""_s);
    row("message-passing: keepCpusAwake not a boolean", prim(with(mp, {{u"keepCpusAwake"_s, 1}})),
        u"primitive.keepCpusAwake"_s, u"must be true or false, got 1"_s);
    row("message-passing: odd number of workers", with(prim(mp), {{u"workers"_s, 3}}), u"workers"_s,
        u"must be an even number of at least 2 for message-passing (pairs of sender and receiver), got 3"_s);
    row("message-passing: one worker", with(prim(mp), {{u"workers"_s, 1}}), u"workers"_s,
        u"must be an even number of at least 2 for message-passing (pairs of sender and receiver), got 1"_s);

    // semaphore
    row("semaphore: no permits", prim({{u"kind"_s, u"semaphore"_s}, {u"permits"_s, 0}}), u"primitive.permits"_s,
        u"must be 1..1024, got 0"_s);
    row("semaphore: too many permits", prim({{u"kind"_s, u"semaphore"_s}, {u"permits"_s, 1025}}),
        u"primitive.permits"_s, u"must be 1..1024, got 1025"_s);
    const QJsonObject sem{{u"kind"_s, u"semaphore"_s}};
    const QJsonObject pingPong = with(sem, {{u"pattern"_s, u"ping-pong"_s}});
    row("semaphore: pattern unknown", prim(with(sem, {{u"pattern"_s, u"relay"_s}})), u"primitive.pattern"_s,
        u"must be one of gate, ping-pong, got \"relay\""_s);
    row("semaphore: pattern wrong case", prim(with(sem, {{u"pattern"_s, u"Gate"_s}})), u"primitive.pattern"_s,
        u"must be one of gate, ping-pong, got \"Gate\""_s);
    row("semaphore: pattern not a string", prim(with(sem, {{u"pattern"_s, 2}})), u"primitive.pattern"_s,
        u"must be a string, got 2"_s);
    row("semaphore: permits with ping-pong", prim(with(pingPong, {{u"permits"_s, 2}})), u"primitive.permits"_s,
        u"only for pattern gate"_s);
    row("semaphore: ping-pong with 3 workers", with(prim(pingPong), {{u"workers"_s, 3}}), u"workers"_s,
        u"must be an even number of at least 2 for semaphore pattern ping-pong (pairs passing a token), got 3"_s);
    row("semaphore: ping-pong with 1 worker", with(prim(pingPong), {{u"workers"_s, 1}}), u"workers"_s,
        u"must be an even number of at least 2 for semaphore pattern ping-pong (pairs passing a token), got 1"_s);

    // event
    const QJsonObject ev{{u"kind"_s, u"event"_s}};
    row("event: pattern unknown", with(prim(with(ev, {{u"pattern"_s, u"latch"_s}})), {{u"workers"_s, 2}}),
        u"primitive.pattern"_s, u"must be one of hand-off, gate, got \"latch\""_s);
    row("event: hand-off with 3 workers", with(prim(ev), {{u"workers"_s, 3}}), u"workers"_s,
        u"must be an even number of at least 2 for event pattern hand-off (pairs of setter and waiter), got 3"_s);
    row("event: hand-off with 1 worker", with(prim(ev), {{u"workers"_s, 1}}), u"workers"_s,
        u"must be an even number of at least 2 for event pattern hand-off (pairs of setter and waiter), got 1"_s);
    row("event: implementation unknown", with(prim(with(ev, {{u"implementation"_s, u"spin"_s}})), {{u"workers"_s, 2}}),
        u"primitive.implementation"_s, u"must be one of futex, condvar, got \"spin\""_s);
    row("event: implementation spelt cond-var",
        with(prim(with(ev, {{u"implementation"_s, u"cond-var"_s}})), {{u"workers"_s, 2}}),
        u"primitive.implementation"_s, u"must be one of futex, condvar, got \"cond-var\""_s);
    row("event: implementation not a string", with(prim(with(ev, {{u"implementation"_s, true}})), {{u"workers"_s, 2}}),
        u"primitive.implementation"_s, u"must be a string, got true"_s);
    row("event: gate with 1 worker", with(prim(with(ev, {{u"pattern"_s, u"gate"_s}})), {{u"workers"_s, 1}}),
        u"workers"_s, u"must be at least 2 for event pattern gate (one setter and the others waiting), got 1"_s);
    row("event: waitTimeout too long", with(prim(with(ev, {{u"waitTimeout"_s, u"1441 min"_s}})), {{u"workers"_s, 2}}),
        u"primitive.waitTimeout"_s, u"must be at most 1440 min, got 1441 min"_s);
    row("event: setInterval too long", with(prim(with(ev, {{u"setInterval"_s, u"11 s"_s}})), {{u"workers"_s, 2}}),
        u"primitive.setInterval"_s, u"must be at most 10 s, got 11 s"_s);

    // sync
    const auto lock = [](const QString &kind) {
        return QJsonObject{{u"kind"_s, u"sync"_s}, {u"lock"_s, kind}};
    };
    row("sync: lock missing", prim({{u"kind"_s, u"sync"_s}}), u"primitive.lock"_s, u"required"_s);
    row("sync: lock unknown", prim(lock(u"seqlock"_s)), u"primitive.lock"_s,
        u"must be one of mutex, recursive-mutex, rwlock, spinlock, condvar, barrier, got \"seqlock\""_s);
    row("sync: readShare with a mutex", prim(with(lock(u"mutex"_s), {{u"readShare"_s, 0.5}})), u"primitive.readShare"_s,
        u"only for lock rwlock"_s);
    row("sync: recursionDepth with an rwlock", prim(with(lock(u"rwlock"_s), {{u"recursionDepth"_s, 2}})),
        u"primitive.recursionDepth"_s, u"only for lock recursive-mutex"_s);
    row("sync: queueCapacity with a barrier", prim(with(lock(u"barrier"_s), {{u"queueCapacity"_s, 4}})),
        u"primitive.queueCapacity"_s, u"only for lock condvar"_s);
    row("sync: barrierImplementation with a mutex",
        prim(with(lock(u"mutex"_s), {{u"barrierImplementation"_s, u"futex"_s}})), u"primitive.barrierImplementation"_s,
        u"only for lock barrier"_s);
    row("sync: barrierImplementation with a condvar",
        prim(with(lock(u"condvar"_s), {{u"barrierImplementation"_s, u"pthread"_s}})),
        u"primitive.barrierImplementation"_s, u"only for lock barrier"_s);
    row("sync: barrierImplementation unknown",
        prim(with(lock(u"barrier"_s), {{u"barrierImplementation"_s, u"sense-reversing"_s}})),
        u"primitive.barrierImplementation"_s, u"must be one of pthread, futex, got \"sense-reversing\""_s);
    row("sync: barrierImplementation not a string", prim(with(lock(u"barrier"_s), {{u"barrierImplementation"_s, 0}})),
        u"primitive.barrierImplementation"_s, u"must be a string, got 0"_s);
    row("sync: readShare above 1", prim(with(lock(u"rwlock"_s), {{u"readShare"_s, 1.5}})), u"primitive.readShare"_s,
        u"must be 0..1, got 1.5"_s);
    row("sync: readShare negative", prim(with(lock(u"rwlock"_s), {{u"readShare"_s, -0.1}})), u"primitive.readShare"_s,
        u"must be 0..1, got -0.1"_s);
    row("sync: readShare a word", prim(with(lock(u"rwlock"_s), {{u"readShare"_s, u"most"_s}})),
        u"primitive.readShare"_s, u"must be a number, got \"most\""_s);
    row("sync: recursionDepth too deep", prim(with(lock(u"recursive-mutex"_s), {{u"recursionDepth"_s, 65}})),
        u"primitive.recursionDepth"_s, u"must be 1..64, got 65"_s);
    row("sync: queueCapacity zero", prim(with(lock(u"condvar"_s), {{u"queueCapacity"_s, 0}})),
        u"primitive.queueCapacity"_s, u"must be 1..65536, got 0"_s);
    row("sync: condvar with 1 worker", with(prim(lock(u"condvar"_s)), {{u"workers"_s, 1}}), u"workers"_s,
        u"must be an even number of at least 2 for lock condvar (half producers, half consumers), got 1"_s);
    row("sync: condvar with 3 workers", with(prim(lock(u"condvar"_s)), {{u"workers"_s, 3}}), u"workers"_s,
        u"must be an even number of at least 2 for lock condvar (half producers, half consumers), got 3"_s);
    row("sync: barrier with 1 worker", with(prim(lock(u"barrier"_s)), {{u"workers"_s, 1}}), u"workers"_s,
        u"must be at least 2 for lock barrier (a barrier of one never waits), got 1"_s);

    // work
    const QJsonObject work{{u"kind"_s, u"work"_s}};
    row("work: gil not a boolean", prim(with(work, {{u"gil"_s, u"yes"_s}})), u"primitive.gil"_s,
        u"must be true or false, got \"yes\""_s);
    row("work: switchInterval too short", prim(with(work, {{u"switchInterval"_s, u"500 ns"_s}})),
        u"primitive.switchInterval"_s, u"must be 1 us..1 s, got 500 ns"_s);
    row("work: switchInterval too long", prim(with(work, {{u"switchInterval"_s, 2}})), u"primitive.switchInterval"_s,
        u"must be 1 us..1 s, got 2 s"_s);

    // thread-lifecycle
    const QJsonObject life{{u"kind"_s, u"thread-lifecycle"_s}};
    const QJsonObject daemon = with(life, {{u"mode"_s, u"daemon"_s}});
    row("thread-lifecycle: mode unknown", prim(with(life, {{u"mode"_s, u"detached"_s}})), u"primitive.mode"_s,
        u"must be one of create-join, daemon, got \"detached\""_s);
    row("thread-lifecycle: daemonWorkers in create-join mode", prim(with(life, {{u"daemonWorkers"_s, 1}})),
        u"primitive.daemonWorkers"_s, u"only for mode daemon"_s);
    row("thread-lifecycle: mainWork in create-join mode", prim(with(life, {{u"mainWork"_s, u"1 s"_s}})),
        u"primitive.mainWork"_s, u"only for mode daemon"_s);
    row("thread-lifecycle: every worker a daemon", prim(with(daemon, {{u"daemonWorkers"_s, 4}})),
        u"primitive.daemonWorkers"_s, u"must be 0..3 (the main worker is never a daemon), got 4"_s);
    row("thread-lifecycle: joinTimeout negative", prim(with(life, {{u"joinTimeout"_s, -1}})), u"primitive.joinTimeout"_s,
        u"must not be negative, got -1"_s);
    row("thread-lifecycle: mainWork too long", prim(with(daemon, {{u"mainWork"_s, u"1441 min"_s}})),
        u"primitive.mainWork"_s, u"must be at most 1440 min, got 1441 min"_s);
    row("thread-lifecycle: execChild not a boolean", prim(with(life, {{u"execChild"_s, u"yes"_s}})),
        u"primitive.execChild"_s, u"must be true or false, got \"yes\""_s);
    row("thread-lifecycle: execChild a number", prim(with(life, {{u"execChild"_s, 1}})), u"primitive.execChild"_s,
        u"must be true or false, got 1"_s);
    row("thread-lifecycle: execChild in daemon mode", prim(with(daemon, {{u"execChild"_s, false}})),
        u"primitive.execChild"_s, u"only for mode create-join"_s);

    // Memory-bound workload
    row("workload.memory too large", {{u"workload.memory"_s, u"2 GiB"_s}}, u"workload.memory"_s,
        u"must be 0..1073741824 bytes, got 2147483648"_s);
    row("workload.memory unknown unit", {{u"workload.memory"_s, u"1 KB"_s}}, u"workload.memory"_s,
        u"unknown unit \"KB\" (use B, KiB, MiB, GiB, kB, MB, GB)"_s);
    row("workload.memoryStride zero", {{u"workload.memoryStride"_s, 0}}, u"workload.memoryStride"_s,
        u"must be 1..4096 bytes, got 0"_s);
    row("workload.memoryStride 8 KiB", {{u"workload.memoryStride"_s, u"8 KiB"_s}}, u"workload.memoryStride"_s,
        u"must be 1..4096 bytes, got 8192"_s);
    row("workload.memoryBuffer below 4 KiB", {{u"workload.memoryBuffer"_s, u"1 KiB"_s}}, u"workload.memoryBuffer"_s,
        u"must be 4096..1073741824 bytes, got 1024"_s);
    row("workload.memoryBuffer above 1 GiB", {{u"workload.memoryBuffer"_s, u"1.5 GiB"_s}}, u"workload.memoryBuffer"_s,
        u"must be 4096..1073741824 bytes, got 1610612736"_s);
    row("workload key misspelt", {{u"workload.memorystrid"_s, 64}}, u"workload.memorystrid"_s,
        u"unknown field (did you mean \"memoryStride\"?)"_s);

    // Variants and sweep: shape
    const auto arr = [](std::initializer_list<QJsonValue> v) { return QJsonArray(v); };
    const QJsonObject setWorkers{{u"set"_s, QJsonObject{{u"workers"_s, 2}}}};
    row("variants not an array", {{u"variants"_s, setWorkers}}, u"variants"_s,
        u"must be an array of {\"label\": ..., \"set\": {...}} objects, got {\"set\":{\"workers\":2}}"_s);
    row("variants empty", {{u"variants"_s, QJsonArray{}}}, u"variants"_s,
        u"must not be empty (leave it out for no variants)"_s);
    row("variant not an object", {{u"variants"_s, arr({4})}}, u"variants[0]"_s, u"must be an object, got 4"_s);
    row("variant without set", {{u"variants"_s, arr({QJsonObject{{u"label"_s, u"a"_s}}})}}, u"variants[0].set"_s,
        u"required"_s);
    row("variant set not an object", {{u"variants"_s, arr({QJsonObject{{u"set"_s, 4}}})}}, u"variants[0].set"_s,
        u"must be an object of JSON path: value, got 4"_s);
    row("variant key misspelt", {{u"variants"_s, arr({with(setWorkers, {{u"lable"_s, u"a"_s}})})}},
        u"variants[0].lable"_s, u"unknown field (did you mean \"label\"?)"_s);
    row("variant label not a string", {{u"variants"_s, arr({with(setWorkers, {{u"label"_s, 1}})})}},
        u"variants[0].label"_s, u"must be a string, got 1"_s);
    row("variant label empty", {{u"variants"_s, arr({setWorkers, with(setWorkers, {{u"label"_s, u""_s}})})}},
        u"variants[1].label"_s, u"must not be empty (leave it out to get \"variant 2\")"_s);
    row("variant label blank", {{u"variants"_s, arr({with(setWorkers, {{u"label"_s, u"  "_s}})})}},
        u"variants[0].label"_s, u"must not be blank"_s);
    row("variant labels alike",
        {{u"variants"_s, arr({with(setWorkers, {{u"label"_s, u"a"_s}}), with(setWorkers, {{u"label"_s, u"a"_s}})})}},
        u"variants[1].label"_s, u"\"a\" is also the label of variants[0]"_s);
    row("variant label alike an unlabelled one",
        {{u"variants"_s, arr({setWorkers, with(setWorkers, {{u"label"_s, u"variant 1"_s}})})}},
        u"variants[1].label"_s, u"\"variant 1\" is also the label of variants[0]"_s);
    const auto axisOf = [](const QString &parameter, QJsonArray values) {
        return QJsonObject{{u"parameter"_s, parameter}, {u"values"_s, values}};
    };
    row("sweep not an array", {{u"sweep"_s, u"workers"_s}}, u"sweep"_s,
        u"must be an array of {\"parameter\": ..., \"values\": [...]} objects, got \"workers\""_s);
    row("sweep empty", {{u"sweep"_s, QJsonArray{}}}, u"sweep"_s, u"must not be empty (leave it out for a single run)"_s);
    row("sweep axis not an object", {{u"sweep"_s, arr({u"workers"_s})}}, u"sweep[0]"_s,
        u"must be an object, got \"workers\""_s);
    row("sweep parameter missing", {{u"sweep"_s, arr({QJsonObject{{u"values"_s, arr({1})}}})}},
        u"sweep[0].parameter"_s, u"required"_s);
    row("sweep parameter not a string",
        {{u"sweep"_s, arr({QJsonObject{{u"parameter"_s, 5}, {u"values"_s, arr({1})}}})}}, u"sweep[0].parameter"_s,
        u"must be a string, got 5"_s);
    row("sweep values missing", {{u"sweep"_s, arr({QJsonObject{{u"parameter"_s, u"workers"_s}}})}},
        u"sweep[0].values"_s, u"required"_s);
    row("sweep values not an array",
        {{u"sweep"_s, arr({QJsonObject{{u"parameter"_s, u"workers"_s}, {u"values"_s, 4}}})}}, u"sweep[0].values"_s,
        u"must be an array, got 4"_s);
    row("sweep key misspelt", {{u"sweep"_s, arr({with(axisOf(u"workers"_s, arr({1})), {{u"value"_s, 1}})})}},
        u"sweep[0].value"_s, u"unknown field (did you mean \"values\"?)"_s);

    // Variants and sweep: meaning
    const auto variantSet = [](const QJsonObject &set) {
        return QJsonArray{QJsonObject{{u"label"_s, u"v"_s}, {u"set"_s, set}}};
    };
    row("variant sets an unknown path", {{u"variants"_s, variantSet({{u"wrkers"_s, 2}})}}, u"variants[0].set.wrkers"_s,
        u"unknown field (did you mean \"workers\"?)"_s);
    row("variant sets a nested key without its object", {{u"variants"_s, variantSet({{u"messageSize"_s, 2}})}},
        u"variants[0].set.messageSize"_s, u"unknown field (did you mean \"primitive.messageSize\"?)"_s);
    row("variant sets the format", {{u"variants"_s, variantSet({{u"format"_s, u"x"_s}})}}, u"variants[0].set.format"_s,
        u"cannot be varied"_s);
    row("variant sets overlapping paths",
        {{u"variants"_s, variantSet({{u"primitive"_s, QJsonObject{}}, {u"primitive.guard"_s, u"none"_s}})}},
        u"variants[0].set.\"primitive.guard\""_s, u"overlaps \"primitive\" (set one or the other)"_s);
    row("variant value invalid", {{u"variants"_s, variantSet({{u"workers"_s, 0}})}}, u"variants[0].set.workers"_s,
        u"must be 1..1024, got 0"_s);
    row("variant value invalid under a dotted path", {{u"variants"_s, variantSet({{u"primitive.guard"_s, u"futex"_s}})}},
        u"variants[0].set.\"primitive.guard\""_s, u"must be one of none, mutex, spinlock, atomic, got \"futex\""_s);
    row("variant replaces an object with a bad field",
        {{u"variants"_s, variantSet({{u"primitive"_s, QJsonObject{{u"kind"_s, u"semaphore"_s}, {u"permits"_s, 0}}}})}},
        u"variants[0].set.primitive"_s, u"primitive.permits: must be 1..1024, got 0"_s);
    row("sweep parameter unknown", {{u"sweep"_s, arr({axisOf(u"primitive.transprt"_s, arr({u"pipe"_s}))})}},
        u"sweep[0].parameter"_s, u"unknown field \"primitive.transprt\" (did you mean \"primitive.transport\"?)"_s);
    row("sweep parameter under the wrong object", {{u"sweep"_s, arr({axisOf(u"workload.guard"_s, arr({u"none"_s}))})}},
        u"sweep[0].parameter"_s, u"unknown field \"workload.guard\" (did you mean \"primitive.guard\"?)"_s);
    row("sweep parameter empty", {{u"sweep"_s, arr({axisOf(u""_s, arr({1}))})}}, u"sweep[0].parameter"_s,
        u"must not be empty"_s);
    row("sweep of the sweep", {{u"sweep"_s, arr({axisOf(u"sweep"_s, arr({1}))})}}, u"sweep[0].parameter"_s,
        u"\"sweep\" cannot be varied"_s);
    row("sweep parameter twice",
        {{u"sweep"_s, arr({axisOf(u"workers"_s, arr({1})), axisOf(u"workers"_s, arr({2}))})}}, u"sweep[1].parameter"_s,
        u"\"workers\" is already swept by sweep[0]"_s);
    row("sweep parameters overlap",
        {{u"sweep"_s, arr({axisOf(u"primitive"_s, arr({QJsonObject{{u"kind"_s, u"semaphore"_s}}})),
                           axisOf(u"primitive.guard"_s, arr({u"none"_s}))})}},
        u"sweep[1].parameter"_s, u"\"primitive.guard\" overlaps \"primitive\" of sweep[0]"_s);
    row("sweep parameter also set by a variant",
        {{u"variants"_s, variantSet({{u"workers"_s, 2}})}, {u"sweep"_s, arr({axisOf(u"workers"_s, arr({1, 4}))})}},
        u"sweep[0].parameter"_s,
        u"\"workers\" is also set by variants[0] (a value may come from the variant or the sweep, not both)"_s);
    row("sweep values empty", {{u"sweep"_s, arr({axisOf(u"workers"_s, QJsonArray{})})}}, u"sweep[0].values"_s,
        u"must not be empty"_s);
    row("sweep value repeated", {{u"sweep"_s, arr({axisOf(u"workers"_s, arr({1, 2, 1}))})}}, u"sweep[0].values[2]"_s,
        u"same as values[0]"_s);
    row("sweep value invalid",
        {{u"primitive"_s, mp},
         {u"workers"_s, 2},
         {u"sweep"_s, arr({axisOf(u"primitive.transport"_s, arr({u"pipe"_s})),
                           axisOf(u"primitive.messageSize"_s, arr({0, u"4 KiB"_s}))})}},
        u"sweep[1].values[0]"_s, u"primitive.messageSize: must be 1..1048576 bytes, got 0"_s);
    row("sweep value of another family",
        {{u"sweep"_s, arr({axisOf(u"primitive.transport"_s, arr({u"pipe"_s}))})}}, u"sweep[0].values[0]"_s,
        u"primitive.transport: only for kind message-passing"_s);
    row("a combination no single value causes",
        {{u"variants"_s, arr({QJsonObject{{u"label"_s, u"single process"_s},
                                          {u"set"_s, QJsonObject{{u"execution"_s, u"sequential"_s}}}}})}},
        u"duration"_s,
        u"sequential execution runs the 4 workers' bodies one after another, so a duration would give all of it "
        u"to the first; give \"operations\" instead (in point \"single process\")"_s);
    row("a value that fails with another axis",
        {{u"primitive"_s, mp},
         {u"workers"_s, 2},
         {u"sweep"_s, arr({axisOf(u"primitive.transport"_s, arr({u"shm-channel"_s, u"pipe"_s})),
                           axisOf(u"primitive.wake"_s, arr({u"blocking"_s, u"spinning"_s}))})}},
        u"sweep[1].values[1]"_s,
        u"primitive.wake: must be blocking for transport pipe: only shm-channel can be polled by spinning (the "
        u"other transports wait in the kernel)"_s);
    row("a combination in several points",
        {{u"variants"_s, arr({QJsonObject{{u"label"_s, u"single process"_s},
                                          {u"set"_s, QJsonObject{{u"execution"_s, u"sequential"_s}}}}})},
         {u"sweep"_s, arr({axisOf(u"warmup"_s, arr({0, u"1 ms"_s, u"2 ms"_s}))})}},
        u"duration"_s,
        u"sequential execution runs the 4 workers' bodies one after another, so a duration would give all of it "
        u"to the first; give \"operations\" instead (in point \"single process, warmup=0\" and 2 more)"_s);
    row("more than 1000 points",
        {{u"sweep"_s, arr({axisOf(u"warmup"_s, arr({0, 1, 2, 3, 4, 5, 6})),
                           axisOf(u"workload.cpuWork"_s, arr({0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10})),
                           axisOf(u"workload.thinkTime"_s, arr({0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}))})}},
        u"sweep"_s, u"gives 1001 points (7 \u00d7 11 \u00d7 13); at most 1000 are allowed"_s);
    QJsonArray manyVariants;
    for (int i = 0; i < 1001; ++i)
        manyVariants.append(QJsonObject{{u"set"_s, QJsonObject{{u"workers"_s, 1 + i % 8}}}});
    row("more than 1000 variants", {{u"variants"_s, manyVariants}}, u"variants"_s,
        u"gives 1001 points (1001 variants); at most 1000 are allowed"_s);
    QJsonArray thousand;
    for (int i = 0; i < 1000; ++i)
        thousand.append(i);
    row("an astronomically large sweep",
        {{u"sweep"_s, arr({axisOf(u"warmup"_s, thousand), axisOf(u"workload.cpuWork"_s, thousand),
                           axisOf(u"workload.thinkTime"_s, thousand), axisOf(u"workload.ioWait"_s, thousand),
                           axisOf(u"workload.criticalSection"_s, thousand)})}},
        u"sweep"_s,
        u"gives more than 1000000000000 points (1000 \u00d7 1000 \u00d7 1000 \u00d7 1000 \u00d7 1000); at most 1000 "
        u"are allowed"_s);
    row("variants times the sweep over 1000",
        {{u"variants"_s, arr({setWorkers, setWorkers})},
         {u"sweep"_s, arr({axisOf(u"warmup"_s, [] {
             QJsonArray a;
             for (int i = 0; i < 501; ++i)
                 a.append(i);
             return a;
         }())})}},
        u"sweep"_s, u"gives 1002 points (2 variants \u00d7 501); at most 1000 are allowed"_s);
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
        "sequential with 2 workers needs operations",
        [](auto &s) {
            s.execution = clab::ExecutionModel::Sequential;
            s.workers = 2;
        },
        u"duration"_s,
        u"sequential execution runs the 2 workers' bodies one after another, so a duration would give all of it "
        u"to the first; give \"operations\" instead"_s);
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
    const auto kind = [](clab::PrimitiveKind k, std::function<void(clab::ExperimentSpec &)> more) {
        return SpecEdit([k, more](clab::ExperimentSpec &s) {
            s.primitive = k;
            more(s);
        });
    };
    using K = clab::PrimitiveKind;
    row("shared-value: atomic char", kind(K::SharedValue, [](auto &s) {
            s.sharedValue.type = clab::ElementType::Char;
            s.sharedValue.guard = clab::Guard::Atomic;
        }),
        u"primitive.guard"_s,
        u"must not be atomic for type char: a string cannot be updated atomically; use none or mutex"_s);
    row("shared-value: spinlock guard",
        kind(K::SharedValue, [](auto &s) { s.sharedValue.guard = clab::Guard::Spinlock; }), u"primitive.guard"_s,
        u"must be one of none, mutex, atomic, got \"spinlock\""_s);
    row("shared-value: numbers for char", kind(K::SharedValue, [](auto &s) {
            s.sharedValue.type = clab::ElementType::Char;
            s.sharedValue.initial = {65};
        }),
        u"primitive.initial"_s, u"not for type char (use \"initialText\")"_s);
    row("shared-value: text for int32", kind(K::SharedValue, [](auto &s) { s.sharedValue.initialText = "12"; }),
        u"primitive.initialText"_s, u"only for type char (use \"initial\" for numbers)"_s);
    row("shared-value: length zero", kind(K::SharedValue, [](auto &s) { s.sharedValue.length = 0; }),
        u"primitive.length"_s, u"must be 1..1000000, got 0"_s);
    row("shared-value: int32 overflow", kind(K::SharedValue, [](auto &s) { s.sharedValue.initial = {1, 3e9}; }),
        u"primitive.initial[1]"_s, u"must be an integer -2147483648..2147483647 (type int32), got 3000000000"_s);
    row("shared-value: int64 beyond 2^53", kind(K::SharedValue, [](auto &s) {
            s.sharedValue.type = clab::ElementType::Int64;
            s.sharedValue.initial = {9007199254740994.0};
        }),
        u"primitive.initial[0]"_s,
        u"must be -9007199254740992..9007199254740992: initial values are held as doubles, which would change "
        u"larger integers, got 9007199254740994"_s);
    row("shared-value: NaN double", kind(K::SharedValue, [](auto &s) {
            s.sharedValue.type = clab::ElementType::Double;
            s.sharedValue.initial = {std::nan("")};
        }),
        u"primitive.initial[0]"_s, u"must be a finite number (type double), got NaN"_s, false);
    row("message-passing: empty messages", kind(K::MessagePassing, [](auto &s) { s.messaging.messageSize = 0; }),
        u"primitive.messageSize"_s, u"must be 1..1048576 bytes, got 0"_s);
    row("message-passing: queue too deep", kind(K::MessagePassing, [](auto &s) { s.messaging.queueDepth = 70000; }),
        u"primitive.queueDepth"_s, u"must be 0..65536, got 70000"_s);
    row("message-passing: spinning on a socket", kind(K::MessagePassing, [](auto &s) {
            s.messaging.transport = clab::Transport::UnixStream;
            s.messaging.wake = clab::WakeStrategy::Spinning;
        }),
        u"primitive.wake"_s,
        u"must be blocking for transport unix-stream: only shm-channel can be polled by spinning (the other "
        u"transports wait in the kernel)"_s);
    row("message-passing: odd workers", kind(K::MessagePassing, [](auto &s) { s.workers = 5; }), u"workers"_s,
        u"must be an even number of at least 2 for message-passing (pairs of sender and receiver), got 5"_s);
    row("message-passing: transport out of the enum",
        kind(K::MessagePassing, [](auto &s) { s.messaging.transport = static_cast<clab::Transport>(40); }),
        u"primitive.transport"_s,
        u"must be one of pipe, fifo, posix-mq, sysv-mq, unix-stream, unix-dgram, shm-channel, got 40"_s, false);
    row("semaphore: no permits", kind(K::Semaphore, [](auto &s) { s.semaphore.permits = 0; }), u"primitive.permits"_s,
        u"must be 1..1024, got 0"_s);
    row("semaphore: ping-pong with 3 workers",
        kind(K::Semaphore,
             [](auto &s) {
                 s.semaphore.pattern = clab::SemaphorePattern::PingPong;
                 s.workers = 3;
             }),
        u"workers"_s,
        u"must be an even number of at least 2 for semaphore pattern ping-pong (pairs passing a token), got 3"_s);
    row("semaphore: pattern out of the enum",
        kind(K::Semaphore, [](auto &s) { s.semaphore.pattern = static_cast<clab::SemaphorePattern>(5); }),
        u"primitive.pattern"_s, u"must be one of gate, ping-pong, got 5"_s, false);
    row("event: hand-off with 3 workers", kind(K::Event, [](auto &s) { s.workers = 3; }), u"workers"_s,
        u"must be an even number of at least 2 for event pattern hand-off (pairs of setter and waiter), got 3"_s);
    row("event: implementation out of the enum",
        kind(K::Event,
             [](auto &s) {
                 s.workers = 2;
                 s.event.implementation = static_cast<clab::EventImplementation>(4);
             }),
        u"primitive.implementation"_s, u"must be one of futex, condvar, got 4"_s, false);
    row("event: gate with 1 worker", kind(K::Event, [](auto &s) {
            s.workers = 1;
            s.event.pattern = clab::EventPattern::Gate;
        }),
        u"workers"_s, u"must be at least 2 for event pattern gate (one setter and the others waiting), got 1"_s);
    row("event: waitTimeout over a day", kind(K::Event, [](auto &s) {
            s.workers = 2;
            s.event.waitTimeoutNs = clab::limits::kMaxDurationNs + 60'000'000'000ULL;
        }),
        u"primitive.waitTimeout"_s, u"must be at most 1440 min, got 1441 min"_s);
    row("sync: readShare above 1", kind(K::Sync, [](auto &s) {
            s.sync.kind = clab::SyncKind::RwLock;
            s.sync.readShare = 1.5;
        }),
        u"primitive.readShare"_s, u"must be 0..1, got 1.5"_s);
    row("sync: readShare NaN", kind(K::Sync, [](auto &s) {
            s.sync.kind = clab::SyncKind::RwLock;
            s.sync.readShare = std::nan("");
        }),
        u"primitive.readShare"_s, u"must be 0..1, got NaN"_s, false);
    row("sync: recursion depth zero", kind(K::Sync, [](auto &s) {
            s.sync.kind = clab::SyncKind::RecursiveMutex;
            s.sync.recursionDepth = 0;
        }),
        u"primitive.recursionDepth"_s, u"must be 1..64, got 0"_s);
    row("sync: condvar with 1 worker", kind(K::Sync, [](auto &s) {
            s.sync.kind = clab::SyncKind::CondVar;
            s.workers = 1;
        }),
        u"workers"_s, u"must be an even number of at least 2 for lock condvar (half producers, half consumers), got 1"_s);
    row("sync: barrier implementation out of the enum",
        kind(K::Sync,
             [](auto &s) {
                 s.sync.kind = clab::SyncKind::Barrier;
                 s.sync.barrierImplementation = static_cast<clab::BarrierImplementation>(2);
             }),
        u"primitive.barrierImplementation"_s, u"must be one of pthread, futex, got 2"_s, false);
    row("sync: lock out of the enum", kind(K::Sync, [](auto &s) { s.sync.kind = static_cast<clab::SyncKind>(12); }),
        u"primitive.lock"_s,
        u"must be one of mutex, recursive-mutex, rwlock, spinlock, condvar, barrier, got 12"_s, false);
    row("work: switch interval zero", kind(K::Work, [](auto &s) { s.work.switchIntervalNs = 0; }),
        u"primitive.switchInterval"_s, u"must be 1 us..1 s, got 0 ns"_s);
    row("thread-lifecycle: too many daemons", kind(K::Lifecycle, [](auto &s) {
            s.lifecycle.mode = clab::LifecycleMode::Daemon;
            s.lifecycle.daemonWorkers = 7;
        }),
        u"primitive.daemonWorkers"_s, u"must be 0..3 (the main worker is never a daemon), got 7"_s);
    row("thread-lifecycle: mode out of the enum",
        kind(K::Lifecycle, [](auto &s) { s.lifecycle.mode = static_cast<clab::LifecycleMode>(3); }), u"primitive.mode"_s,
        u"must be one of create-join, daemon, got 3"_s, false);
    row(
        "kind out of the enum", [](auto &s) { s.primitive = static_cast<clab::PrimitiveKind>(30); },
        u"primitive.kind"_s,
        u"must be one of lock-contention, shared-value, message-passing, semaphore, event, sync, work, "
        u"thread-lifecycle, got 30"_s,
        false);
    row(
        "memory above 1 GiB", [](auto &s) { s.workload.memoryBytes = (1ULL << 30) + 1; }, u"workload.memory"_s,
        u"must be 0..1073741824 bytes, got 1073741825"_s);
    row(
        "memory stride zero", [](auto &s) { s.workload.memoryStride = 0; }, u"workload.memoryStride"_s,
        u"must be 1..4096 bytes, got 0"_s);
    row(
        "memory buffer below 4 KiB", [](auto &s) { s.workload.memoryBufferBytes = 4095; }, u"workload.memoryBuffer"_s,
        u"must be 4096..1073741824 bytes, got 4095"_s);
    row(
        "variant sets an unknown path", [](auto &s) { s.variants = {variant("a", {{"wrkers", "2"}})}; },
        u"variants[0].set.wrkers"_s, u"unknown field (did you mean \"workers\"?)"_s);
    row(
        "variant label blank", [](auto &s) { s.variants = {variant(" ", {{"workers", "2"}})}; },
        u"variants[0].label"_s, u"must not be blank"_s);
    row(
        "variant labels alike",
        [](auto &s) { s.variants = {variant("x", {{"workers", "2"}}), variant("x", {{"workers", "3"}})}; },
        u"variants[1].label"_s, u"\"x\" is also the label of variants[0]"_s);
    row(
        "variant sets a path twice",
        [](auto &s) { s.variants = {variant("x", {{"workers", "2"}, {"workers", "3"}})}; },
        u"variants[0].set.workers"_s, u"set more than once"_s, false);
    row(
        "variant value not JSON", [](auto &s) { s.variants = {variant("x", {{"workers", "[2"}})}; },
        u"variants[0].set.workers"_s, u"not a JSON value: \"[2\""_s, false);
    row(
        "variant value invalid", [](auto &s) { s.variants = {variant("x", {{"workers", "0"}})}; },
        u"variants[0].set.workers"_s, u"must be 1..1024, got 0"_s);
    row(
        "sweep parameter unknown", [](auto &s) { s.sweep = {axis("wokers", {"1"})}; }, u"sweep[0].parameter"_s,
        u"unknown field \"wokers\" (did you mean \"workers\"?)"_s);
    row(
        "sweep without values", [](auto &s) { s.sweep = {axis("workers", {})}; }, u"sweep[0].values"_s,
        u"must not be empty"_s);
    row(
        "sweep value invalid", [](auto &s) { s.sweep = {axis("duration", {"\"1 s\"", "\"1 h\""})}; },
        u"sweep[0].values[1]"_s, u"duration: unknown unit \"h\" (use ns, us, ms, s, min)"_s);
    row(
        "sweep of 32 x 32 points",
        [](auto &s) {
            std::vector<std::string> values;
            for (int i = 1; i <= 32; ++i)
                values.push_back(std::to_string(i));
            s.sweep = {axis("workers", values), axis("primitive.timingSampleEvery", values)};
        },
        u"sweep"_s, u"gives 1024 points (32 \u00d7 32); at most 1000 are allowed"_s);
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
        u"duration: unknown unit \"xs\" (use ns, us, ms, s, min)"_s,
        u"duration: sequential execution runs the 4 workers' bodies one after another, so a duration would give "
        u"all of it to the first; give \"operations\" instead"_s,
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

void TestExperimentFile::savedPrimitiveKeys_data()
{
    QTest::addColumn<SpecEdit>("edit");
    QTest::addColumn<QStringList>("keys");
    const auto row = [](const char *name, SpecEdit edit, const QStringList &keys) {
        QTest::addRow("%s", name) << edit << keys;
    };
    using K = clab::PrimitiveKind;
    const auto kind = [](K k, std::function<void(clab::ExperimentSpec &)> more = {}) {
        return SpecEdit([k, more](clab::ExperimentSpec &s) {
            s = kindSpec(k);
            if (more)
                more(s);
        });
    };
    row("lock-contention", kind(K::LockContention), {u"kind"_s, u"guard"_s, u"timingSampleEvery"_s});
    row("shared-value by length", kind(K::SharedValue), {u"kind"_s, u"type"_s, u"guard"_s, u"length"_s});
    row("shared-value with initial numbers", kind(K::SharedValue, [](auto &s) { s.sharedValue.initial = {1, 2}; }),
        {u"kind"_s, u"type"_s, u"guard"_s, u"initial"_s});
    row("shared-value with initial text", kind(K::SharedValue, [](auto &s) {
            s.sharedValue.type = clab::ElementType::Char;
            s.sharedValue.initialText = "abc";
        }),
        {u"kind"_s, u"type"_s, u"guard"_s, u"initialText"_s});
    row("message-passing", kind(K::MessagePassing),
        {u"kind"_s, u"transport"_s, u"pattern"_s, u"messageSize"_s, u"queueDepth"_s, u"wake"_s, u"keepCpusAwake"_s});
    row("semaphore", kind(K::Semaphore), {u"kind"_s, u"pattern"_s, u"permits"_s});
    row("semaphore ping-pong (no permits)",
        kind(K::Semaphore, [](auto &s) { s.semaphore.pattern = clab::SemaphorePattern::PingPong; }),
        {u"kind"_s, u"pattern"_s});
    row("event", kind(K::Event), {u"kind"_s, u"pattern"_s, u"implementation"_s, u"waitTimeout"_s, u"setInterval"_s});
    row("sync mutex", kind(K::Sync), {u"kind"_s, u"lock"_s});
    row("sync rwlock", kind(K::Sync, [](auto &s) { s.sync.kind = clab::SyncKind::RwLock; }),
        {u"kind"_s, u"lock"_s, u"readShare"_s});
    row("sync recursive mutex", kind(K::Sync, [](auto &s) { s.sync.kind = clab::SyncKind::RecursiveMutex; }),
        {u"kind"_s, u"lock"_s, u"recursionDepth"_s});
    row("sync condvar", kind(K::Sync, [](auto &s) { s.sync.kind = clab::SyncKind::CondVar; }),
        {u"kind"_s, u"lock"_s, u"queueCapacity"_s});
    row("sync barrier", kind(K::Sync, [](auto &s) { s.sync.kind = clab::SyncKind::Barrier; }),
        {u"kind"_s, u"lock"_s, u"barrierImplementation"_s});
    row("work", kind(K::Work), {u"kind"_s, u"gil"_s, u"switchInterval"_s});
    row("thread-lifecycle create-join", kind(K::Lifecycle), {u"kind"_s, u"mode"_s, u"joinTimeout"_s, u"execChild"_s});
    row("thread-lifecycle daemon", kind(K::Lifecycle, [](auto &s) { s.lifecycle.mode = clab::LifecycleMode::Daemon; }),
        {u"kind"_s, u"mode"_s, u"daemonWorkers"_s, u"joinTimeout"_s, u"mainWork"_s});
}

void TestExperimentFile::savedPrimitiveKeys()
{
    QFETCH(SpecEdit, edit);
    QFETCH(QStringList, keys);
    clab::ExperimentSpec spec = baseSpec();
    // Other families' parameters away from their defaults: none of them may be written.
    spec.lock.timingSampleEvery = 7;
    spec.messaging.messageSize = 99;
    spec.semaphore.permits = 9;
    spec.sync.readShare = 0.5;
    edit(spec);
    using K = clab::PrimitiveKind;
    if (spec.primitive != K::LockContention)
        spec.lock = {};
    if (spec.primitive != K::MessagePassing)
        spec.messaging.messageSize = 99;
    // Parameters that do not apply here, away from their defaults: none of them may be written.
    if (spec.primitive != K::Semaphore)
        spec.semaphore.pattern = clab::SemaphorePattern::PingPong;
    else if (spec.semaphore.pattern == clab::SemaphorePattern::PingPong)
        spec.semaphore.permits = 9;
    if (spec.primitive != K::Event)
        spec.event.implementation = clab::EventImplementation::CondVar;
    if (spec.primitive != K::Sync || spec.sync.kind != clab::SyncKind::Barrier)
        spec.sync.barrierImplementation = clab::BarrierImplementation::Futex;
    if (spec.primitive != K::Lifecycle || spec.lifecycle.mode != clab::LifecycleMode::CreateJoin)
        spec.lifecycle.execChild = false;
    QVERIFY2(clab::model::validateExperiment(spec).isEmpty(), qPrintable(errorsText(clab::model::validateExperiment(spec))));
    QStringList saved = primitiveOf(spec).keys();
    QStringList sortedKeys = keys;
    sortedKeys.sort();
    QCOMPARE(saved, sortedKeys);
    // ... and in the documented order.
    const QByteArray bytes = clab::model::serializeExperiment(spec);
    const QByteArray primitive = bytes.mid(bytes.indexOf("\"primitive\""));
    QCOMPARE(keysInTextOrder(primitive.left(primitive.indexOf('}')), keys), keys);
}

void TestExperimentFile::memoryWorkloadWrittenOnlyWhenUsed()
{
    // Files that do not use memory-bound work keep the form they had before it existed.
    clab::ExperimentSpec spec = baseSpec();
    QJsonObject workload = clab::model::experimentToJson(spec).value(u"workload").toObject();
    QCOMPARE(workload.keys(), (QStringList{u"cpuWork"_s, u"criticalSection"_s, u"ioWait"_s, u"thinkTime"_s}));
    spec.workload.memoryStride = 128;
    workload = clab::model::experimentToJson(spec).value(u"workload").toObject();
    QCOMPARE(workload.value(u"memory").toString(), u"0 B"_s);
    QCOMPARE(workload.value(u"memoryStride").toString(), u"128 B"_s);
    QCOMPARE(workload.value(u"memoryBuffer").toString(), u"8 MiB"_s);
    const QByteArray bytes = clab::model::serializeExperiment(spec);
    QCOMPARE(keysInTextOrder(bytes, {u"ioWait"_s, u"memoryBuffer"_s, u"memoryStride"_s, u"memory"_s}),
             (QStringList{u"ioWait"_s, u"memory"_s, u"memoryStride"_s, u"memoryBuffer"_s}));
}

void TestExperimentFile::patternAndImplementationFields_data()
{
    // A top-level patch of the base file, the spec it must give, and the key and value a save
    // writes back for it.
    QTest::addColumn<QJsonObject>("patch");
    QTest::addColumn<SpecEdit>("expected");
    QTest::addColumn<QString>("key");
    QTest::addColumn<QJsonValue>("written");
    using K = clab::PrimitiveKind;
    const auto row = [](const char *name, const QJsonObject &primitive, int workers, const QString &execution,
                        std::function<void(clab::ExperimentSpec &)> edit, const QString &key,
                        const QJsonValue &written) {
        const QJsonObject patch{{u"primitive"_s, primitive}, {u"workers"_s, workers}, {u"execution"_s, execution}};
        QTest::addRow("%s", name) << patch << SpecEdit(std::move(edit)) << key << written;
    };
    const QString threads = u"threads"_s;
    row(
        "semaphore: pattern ping-pong", {{u"kind"_s, u"semaphore"_s}, {u"pattern"_s, u"ping-pong"_s}}, 4, threads,
        [](auto &s) {
            s.primitive = K::Semaphore;
            s.semaphore.pattern = clab::SemaphorePattern::PingPong;
        },
        u"pattern"_s, u"ping-pong"_s);
    row(
        "semaphore: pattern gate with permits",
        {{u"kind"_s, u"semaphore"_s}, {u"pattern"_s, u"gate"_s}, {u"permits"_s, 3}}, 3, threads,
        [](auto &s) {
            s.primitive = K::Semaphore;
            s.workers = 3;
            s.semaphore.permits = 3;
        },
        u"pattern"_s, u"gate"_s);
    row(
        "semaphore: no pattern is gate", {{u"kind"_s, u"semaphore"_s}, {u"permits"_s, 3}}, 3, threads,
        [](auto &s) {
            s.primitive = K::Semaphore;
            s.workers = 3;
            s.semaphore.permits = 3;
        },
        u"pattern"_s, u"gate"_s);
    row(
        "event: implementation condvar", {{u"kind"_s, u"event"_s}, {u"implementation"_s, u"condvar"_s}}, 2, threads,
        [](auto &s) {
            s.primitive = K::Event;
            s.workers = 2;
            s.event.implementation = clab::EventImplementation::CondVar;
        },
        u"implementation"_s, u"condvar"_s);
    row(
        "event: implementation futex, processes", {{u"kind"_s, u"event"_s}, {u"implementation"_s, u"futex"_s}}, 2,
        u"processes"_s,
        [](auto &s) {
            s.primitive = K::Event;
            s.execution = clab::ExecutionModel::Processes;
            s.workers = 2;
        },
        u"implementation"_s, u"futex"_s);
    row(
        "event: no implementation is futex", {{u"kind"_s, u"event"_s}}, 2, threads,
        [](auto &s) {
            s.primitive = K::Event;
            s.workers = 2;
        },
        u"implementation"_s, u"futex"_s);
    row(
        "event: condvar gate",
        {{u"kind"_s, u"event"_s}, {u"pattern"_s, u"gate"_s}, {u"implementation"_s, u"condvar"_s}}, 5, threads,
        [](auto &s) {
            s.primitive = K::Event;
            s.workers = 5;
            s.event.pattern = clab::EventPattern::Gate;
            s.event.implementation = clab::EventImplementation::CondVar;
        },
        u"implementation"_s, u"condvar"_s);
    row(
        "sync: futex barrier",
        {{u"kind"_s, u"sync"_s}, {u"lock"_s, u"barrier"_s}, {u"barrierImplementation"_s, u"futex"_s}}, 4, threads,
        [](auto &s) {
            s.primitive = K::Sync;
            s.sync.kind = clab::SyncKind::Barrier;
            s.sync.barrierImplementation = clab::BarrierImplementation::Futex;
        },
        u"barrierImplementation"_s, u"futex"_s);
    row(
        "sync: pthread barrier, processes",
        {{u"kind"_s, u"sync"_s}, {u"lock"_s, u"barrier"_s}, {u"barrierImplementation"_s, u"pthread"_s}}, 2,
        u"processes"_s,
        [](auto &s) {
            s.primitive = K::Sync;
            s.execution = clab::ExecutionModel::Processes;
            s.workers = 2;
            s.sync.kind = clab::SyncKind::Barrier;
        },
        u"barrierImplementation"_s, u"pthread"_s);
    row(
        "sync: no barrierImplementation is pthread", {{u"kind"_s, u"sync"_s}, {u"lock"_s, u"barrier"_s}}, 4, threads,
        [](auto &s) {
            s.primitive = K::Sync;
            s.sync.kind = clab::SyncKind::Barrier;
        },
        u"barrierImplementation"_s, u"pthread"_s);
    row(
        "thread-lifecycle: fork + _exit",
        {{u"kind"_s, u"thread-lifecycle"_s}, {u"mode"_s, u"create-join"_s}, {u"execChild"_s, false}}, 1, u"processes"_s,
        [](auto &s) {
            s.primitive = K::Lifecycle;
            s.execution = clab::ExecutionModel::Processes;
            s.workers = 1;
            s.lifecycle.execChild = false;
        },
        u"execChild"_s, false);
    row(
        "thread-lifecycle: fork + exec", {{u"kind"_s, u"thread-lifecycle"_s}, {u"execChild"_s, true}}, 1,
        u"processes"_s,
        [](auto &s) {
            s.primitive = K::Lifecycle;
            s.execution = clab::ExecutionModel::Processes;
            s.workers = 1;
        },
        u"execChild"_s, true);
    row(
        "thread-lifecycle: no execChild is exec", {{u"kind"_s, u"thread-lifecycle"_s}}, 1, u"processes"_s,
        [](auto &s) {
            s.primitive = K::Lifecycle;
            s.execution = clab::ExecutionModel::Processes;
            s.workers = 1;
        },
        u"execChild"_s, true);
    // Kept with threads, where it does nothing: a sweep over "execution" can leave it in place.
    row(
        "thread-lifecycle: execChild kept with threads", {{u"kind"_s, u"thread-lifecycle"_s}, {u"execChild"_s, false}},
        2, threads,
        [](auto &s) {
            s.primitive = K::Lifecycle;
            s.workers = 2;
            s.lifecycle.execChild = false;
        },
        u"execChild"_s, false);
}

void TestExperimentFile::patternAndImplementationFields()
{
    QFETCH(QJsonObject, patch);
    QFETCH(SpecEdit, expected);
    QFETCH(QString, key);
    QFETCH(QJsonValue, written);
    clab::ExperimentSpec want = baseSpec();
    expected(want);
    QVERIFY2(clab::model::validateExperiment(want).isEmpty(),
             qPrintable(errorsText(clab::model::validateExperiment(want))));

    // Parses to the expected value...
    const QJsonObject base = clab::model::experimentToJson(baseSpec());
    const auto load = clab::model::parseExperiment(toBytes(patched(base, patch)), u"t.cclab"_s);
    QVERIFY2(load.ok(), qPrintable(load.errorText()));
    compareSpecs(*load.spec, want);
    // ... is written back under its key, with its value spelt as the file spells it ...
    const QJsonObject primitive = primitiveOf(*load.spec);
    QVERIFY2(primitive.contains(key), qPrintable(key + u" is not written"_s));
    QCOMPARE(primitive.value(key), written);
    // ... and reads back the same (write -> read gives the same spec and the same bytes).
    const QByteArray bytes = clab::model::serializeExperiment(*load.spec);
    const auto again = clab::model::parseExperiment(bytes);
    QVERIFY2(again.ok(), qPrintable(again.errorText()));
    compareSpecs(*again.spec, want);
    QCOMPARE(clab::model::serializeExperiment(*again.spec), bytes);
}

void TestExperimentFile::pairedWorkers_data()
{
    QTest::addColumn<QJsonObject>("primitive");
    QTest::addColumn<SpecEdit>("family");
    QTest::addColumn<int>("workers");
    QTest::addColumn<QString>("error"); // at "workers"; empty when the count is allowed

    const QJsonObject handOff{{u"kind"_s, u"event"_s}, {u"pattern"_s, u"hand-off"_s}};
    const QJsonObject eventGate{{u"kind"_s, u"event"_s}, {u"pattern"_s, u"gate"_s}};
    const QJsonObject pingPong{{u"kind"_s, u"semaphore"_s}, {u"pattern"_s, u"ping-pong"_s}};
    const QJsonObject semGate{{u"kind"_s, u"semaphore"_s}, {u"pattern"_s, u"gate"_s}};
    const SpecEdit handOffSpec([](clab::ExperimentSpec &s) { s.primitive = clab::PrimitiveKind::Event; });
    const SpecEdit eventGateSpec([](clab::ExperimentSpec &s) {
        s.primitive = clab::PrimitiveKind::Event;
        s.event.pattern = clab::EventPattern::Gate;
    });
    const SpecEdit pingPongSpec([](clab::ExperimentSpec &s) {
        s.primitive = clab::PrimitiveKind::Semaphore;
        s.semaphore.pattern = clab::SemaphorePattern::PingPong;
    });
    const SpecEdit semGateSpec([](clab::ExperimentSpec &s) { s.primitive = clab::PrimitiveKind::Semaphore; });
    const QString pairs = u"must be an even number of at least 2 for event pattern hand-off (pairs of setter and "
                          u"waiter), got "_s;
    const QString tokens = u"must be an even number of at least 2 for semaphore pattern ping-pong (pairs passing a "
                           u"token), got "_s;
    for (const int n : {1, 2, 3, 4, 5, 6, 1023, 1024}) {
        const bool even = n % 2 == 0;
        QTest::addRow("event hand-off, %d workers", n)
            << handOff << handOffSpec << n << (even ? QString() : pairs + QString::number(n));
        QTest::addRow("semaphore ping-pong, %d workers", n)
            << pingPong << pingPongSpec << n << (even ? QString() : tokens + QString::number(n));
    }
    // The rule belongs to the pattern: the gates take any number their own rule allows.
    QTest::addRow("event gate, 3 workers") << eventGate << eventGateSpec << 3 << QString();
    QTest::addRow("semaphore gate, 3 workers") << semGate << semGateSpec << 3 << QString();
    QTest::addRow("semaphore gate, 1 worker") << semGate << semGateSpec << 1 << QString();
}

void TestExperimentFile::pairedWorkers()
{
    QFETCH(QJsonObject, primitive);
    QFETCH(SpecEdit, family);
    QFETCH(int, workers);
    QFETCH(QString, error);
    const QString expected = error.isEmpty() ? QString() : FieldError{u"workers"_s, error}.toString();

    // The file...
    const QJsonObject json =
        patched(clab::model::experimentToJson(baseSpec()), {{u"primitive"_s, primitive}, {u"workers"_s, workers}});
    const auto load = clab::model::parseExperiment(toBytes(json));
    QCOMPARE(errorsText(load.errors), expected);
    QCOMPARE(load.ok(), error.isEmpty());
    if (load.ok())
        QCOMPARE(load.spec->workers, static_cast<std::uint32_t>(workers));
    // ... and the editor's validation of the struct say the same.
    clab::ExperimentSpec spec = baseSpec();
    family(spec);
    spec.workers = static_cast<std::uint32_t>(workers);
    QCOMPARE(errorsText(clab::model::validateExperiment(spec)), expected);
}

void TestExperimentFile::patternAndImplementationInSweeps_data()
{
    QTest::addColumn<SpecEdit>("spec");
    QTest::addColumn<QStringList>("choices"); // familyChoiceOf each point, in order
    QTest::addColumn<QString>("errors");      // of expandSweep; empty when it gives the points
    using K = clab::PrimitiveKind;
    const auto spec = [](K k, std::function<void(clab::ExperimentSpec &)> more) {
        return SpecEdit([k, more](clab::ExperimentSpec &s) {
            s = kindSpec(k);
            more(s);
        });
    };
    QTest::addRow("variants: pthread vs futex barrier") << spec(K::Sync, [](auto &s) {
        s.sync.kind = clab::SyncKind::Barrier;
        s.variants = {variant("pthread", {{"primitive.barrierImplementation", "\"pthread\""}}),
                      variant("futex", {{"primitive.barrierImplementation", "\"futex\""}})};
    }) << QStringList{u"pthread"_s, u"futex"_s} << QString();
    QTest::addRow("variants: futex vs condvar event") << spec(K::Event, [](auto &s) {
        s.event.implementation = clab::EventImplementation::CondVar;
        s.variants = {variant("futex", {{"primitive.implementation", "\"futex\""}}),
                      variant("condvar", {{"primitive.implementation", "\"condvar\""}})};
    }) << QStringList{u"futex"_s, u"condvar"_s} << QString();
    QTest::addRow("sweep: exec vs _exit") << spec(K::Lifecycle,
                                                  [](auto &s) {
                                                      s.execution = clab::ExecutionModel::Processes;
                                                      s.workers = 1;
                                                      s.sweep = {axis("primitive.execChild", {"true", "false"})};
                                                  })
                                          << QStringList{u"exec"_s, u"_exit"_s} << QString();
    QTest::addRow("sweep: semaphore gate and ping-pong") << spec(K::Semaphore, [](auto &s) {
        s.sweep = {axis("primitive.pattern", {"\"gate\"", "\"ping-pong\""})};
    }) << QStringList{u"gate"_s, u"ping-pong"_s} << QString();
    QTest::addRow("sweep: the lock, barrier implementation set only for the barrier") << spec(K::Sync, [](auto &s) {
        s.variants = {variant("mutex", {{"primitive.lock", "\"mutex\""}}),
                      variant("futex barrier",
                              {{"primitive.lock", "\"barrier\""}, {"primitive.barrierImplementation", "\"futex\""}})};
    }) << QStringList{u"pthread"_s, u"futex"_s} << QString();
    QTest::addRow("sweep: event hand-off pairs") << spec(K::Event,
                                                         [](auto &s) {
                                                             s.sweep = {axis("workers", {"2", "4", "8"})};
                                                         })
                                                 << QStringList{u"futex"_s, u"futex"_s, u"futex"_s} << QString();
    QTest::addRow("error: a bad implementation in a variant")
        << spec(K::Event,
                [](auto &s) {
                    s.variants = {variant("spin", {{"primitive.implementation", "\"spin\""}})};
                })
        << QStringList()
        << u"variants[0].set.\"primitive.implementation\": must be one of futex, condvar, got \"spin\""_s;
    QTest::addRow("error: a barrier implementation for a mutex")
        << spec(K::Sync,
                [](auto &s) {
                    s.sync.kind = clab::SyncKind::Barrier;
                    s.sync.barrierImplementation = clab::BarrierImplementation::Futex;
                    s.sweep = {axis("primitive.lock", {"\"barrier\"", "\"mutex\""})};
                })
        << QStringList()
        << u"primitive.barrierImplementation: only for lock barrier (in point \"primitive.lock=mutex\")"_s;
    QTest::addRow("error: permits the experiment sets, in a ping-pong") << spec(K::Semaphore, [](auto &s) {
        s.semaphore.permits = 3;
        s.sweep = {axis("primitive.pattern", {"\"gate\"", "\"ping-pong\""})};
    }) << QStringList() << u"primitive.permits: only for pattern gate (in point \"primitive.pattern=ping-pong\")"_s;
    QTest::addRow("error: execChild in daemon mode") << spec(K::Lifecycle, [](auto &s) {
        s.workers = 2;
        s.durationNs = 0;
        s.operationsPerWorker = 10;
        s.variants = {variant("daemon", {{"primitive.mode", "\"daemon\""}, {"primitive.execChild", "false"}})};
    }) << QStringList() << u"variants[0].set.\"primitive.execChild\": only for mode create-join"_s;
    QTest::addRow("error: odd workers for a hand-off")
        << spec(K::Event,
                [](auto &s) {
                    s.sweep = {axis("workers", {"2", "3"})};
                })
        << QStringList()
        << u"sweep[0].values[1]: workers: must be an even number of at least 2 for event pattern hand-off (pairs "
           u"of setter and waiter), got 3"_s;
}

void TestExperimentFile::patternAndImplementationInSweeps()
{
    QFETCH(SpecEdit, spec);
    QFETCH(QStringList, choices);
    QFETCH(QString, errors);
    clab::ExperimentSpec s = baseSpec();
    spec(s);
    QList<FieldError> found;
    const QList<clab::model::SweepPoint> points = clab::model::expandSweep(s, &found);
    QCOMPARE(errorsText(found), errors);
    QStringList got;
    for (const clab::model::SweepPoint &p : points)
        got.append(familyChoiceOf(p.spec));
    QCOMPARE(got, choices);
    // The file says the same: the sweep is written, read back and expanded to the same points.
    const auto load = clab::model::parseExperiment(clab::model::serializeExperiment(s));
    QCOMPARE(errorsText(load.errors), errors);
    if (load.ok()) {
        QStringList fromFile;
        for (const clab::model::SweepPoint &p : clab::model::expandSweep(*load.spec, nullptr))
            fromFile.append(familyChoiceOf(p.spec));
        QCOMPARE(fromFile, choices);
    }
}

void TestExperimentFile::elementErrorsAreCapped()
{
    QJsonObject json = clab::model::experimentToJson(baseSpec());
    QJsonArray initial;
    for (int i = 0; i < 13; ++i)
        initial.append(0.5);
    json.insert(u"primitive",
                QJsonObject{{u"kind"_s, u"shared-value"_s}, {u"type"_s, u"int32"_s}, {u"initial"_s, initial}});
    const auto load = clab::model::parseExperiment(toBytes(json));
    QStringList expected;
    for (int i = 0; i < 10; ++i)
        expected.append(u"primitive.initial["_s + QString::number(i) +
                        u"]: must be an integer -2147483648..2147483647 (type int32), got 0.5"_s);
    expected.append(u"primitive.initial: 3 more elements are invalid"_s);
    QCOMPARE(errorLines(load.errors), expected);

    clab::ExperimentSpec spec = baseSpec();
    spec.primitive = clab::PrimitiveKind::SharedValue;
    spec.sharedValue.initial.assign(13, 0.5);
    QCOMPARE(errorLines(clab::model::validateExperiment(spec)), expected);
}

void TestExperimentFile::parseByteSize_data()
{
    QTest::addColumn<QJsonValue>("input");
    QTest::addColumn<quint64>("bytes");
    QTest::addRow("integer") << QJsonValue(64) << quint64(64);
    QTest::addRow("zero") << QJsonValue(0) << quint64(0);
    QTest::addRow("64 B") << QJsonValue(u"64 B"_s) << quint64(64);
    QTest::addRow("no space") << QJsonValue(u"4KiB"_s) << quint64(4096);
    QTest::addRow("4 KiB") << QJsonValue(u"4 KiB"_s) << quint64(4096);
    QTest::addRow("1.5 KiB") << QJsonValue(u"1.5 KiB"_s) << quint64(1536);
    QTest::addRow("64 MiB") << QJsonValue(u"64 MiB"_s) << quint64(64ULL << 20);
    QTest::addRow("1 GiB") << QJsonValue(u"1 GiB"_s) << quint64(1ULL << 30);
    QTest::addRow("kB is 1000") << QJsonValue(u"4 kB"_s) << quint64(4000);
    QTest::addRow("MB is 10^6") << QJsonValue(u"1.5 MB"_s) << quint64(1'500'000);
    QTest::addRow("GB is 10^9") << QJsonValue(u"2 GB"_s) << quint64(2'000'000'000);
    QTest::addRow("exponent") << QJsonValue(u"1e3 B"_s) << quint64(1000);
    QTest::addRow("trailing zeros of a fraction") << QJsonValue(u"2.000 B"_s) << quint64(2);
    QTest::addRow("largest") << QJsonValue(u"18446744073709551615 B"_s) << quint64(18446744073709551615ULL);
    QTest::addRow("2^53 + 1 as an integer") << QJsonValue(qint64(9007199254740993)) << quint64(9007199254740993ULL);
}

void TestExperimentFile::parseByteSize()
{
    QFETCH(QJsonValue, input);
    QFETCH(quint64, bytes);
    QString error;
    const auto parsed = clab::model::parseByteSize(input, &error);
    QVERIFY2(parsed.has_value(), qPrintable(error));
    QCOMPARE(quint64(*parsed), bytes);
}

void TestExperimentFile::parseByteSizeErrors_data()
{
    QTest::addColumn<QJsonValue>("input");
    QTest::addColumn<QString>("message");
    const QString hint = u" (use B, KiB, MiB, GiB, kB, MB, GB)"_s;
    QTest::addRow("unit in lower case") << QJsonValue(u"4 kib"_s) << u"unknown unit \"kib\""_s + hint;
    QTest::addRow("bits are not bytes") << QJsonValue(u"4 Kb"_s) << u"unknown unit \"Kb\""_s + hint;
    QTest::addRow("no unit") << QJsonValue(u"64"_s) << u"missing unit in \"64\""_s + hint;
    QTest::addRow("half a byte") << QJsonValue(u"0.5 B"_s) << u"must be a whole number of bytes, got \"0.5 B\""_s;
    QTest::addRow("a fraction of a KiB") << QJsonValue(u"1.0001 KiB"_s)
                                         << u"must be a whole number of bytes, got \"1.0001 KiB\""_s;
    QTest::addRow("fractional number") << QJsonValue(2.5) << u"must be a whole number of bytes, got 2.5"_s;
    QTest::addRow("negative text") << QJsonValue(u"-1 B"_s) << u"must not be negative, got \"-1 B\""_s;
    QTest::addRow("negative number") << QJsonValue(-4) << u"must not be negative, got -4"_s;
    QTest::addRow("NaN") << QJsonValue(u"nan B"_s) << u"not a number: \"nan B\""_s;
    QTest::addRow("only a unit") << QJsonValue(u"KiB"_s)
                                 << u"must be a size like \"4 KiB\" or a number of bytes, got \"KiB\""_s;
    QTest::addRow("boolean") << QJsonValue(false) << u"must be a size like \"4 KiB\" or a number of bytes, got false"_s;
    QTest::addRow("null") << QJsonValue(QJsonValue::Null)
                          << u"must be a size like \"4 KiB\" or a number of bytes, got null"_s;
    QTest::addRow("too large text") << QJsonValue(u"16777216 TiB"_s) << u"unknown unit \"TiB\""_s + hint;
    QTest::addRow("too large in GiB") << QJsonValue(u"17179869184 GiB"_s) << u"too large, got \"17179869184 GiB\""_s;
    QTest::addRow("too large number") << QJsonValue(1e20) << u"too large, got 1e+20"_s;
    QTest::addRow("huge exponent") << QJsonValue(u"1e999999 B"_s) << u"too large, got \"1e999999 B\""_s;
}

void TestExperimentFile::parseByteSizeErrors()
{
    QFETCH(QJsonValue, input);
    QFETCH(QString, message);
    QString error;
    QVERIFY(!clab::model::parseByteSize(input, &error).has_value());
    QCOMPARE(error, message);
}

void TestExperimentFile::formatByteSize_data()
{
    QTest::addColumn<quint64>("bytes");
    QTest::addColumn<QString>("text");
    QTest::addRow("zero") << quint64(0) << u"0 B"_s;
    QTest::addRow("64") << quint64(64) << u"64 B"_s;
    QTest::addRow("1000 stays bytes") << quint64(1000) << u"1000 B"_s;
    QTest::addRow("1023") << quint64(1023) << u"1023 B"_s;
    QTest::addRow("1 KiB") << quint64(1024) << u"1 KiB"_s;
    QTest::addRow("1.5 KiB") << quint64(1536) << u"1.5 KiB"_s;
    QTest::addRow("1.125 KiB") << quint64(1152) << u"1.125 KiB"_s;
    QTest::addRow("1025 has no short form") << quint64(1025) << u"1025 B"_s;
    QTest::addRow("4 KiB") << quint64(4096) << u"4 KiB"_s;
    QTest::addRow("8 MiB") << quint64(8ULL << 20) << u"8 MiB"_s;
    QTest::addRow("1.5 MiB") << quint64(3ULL << 19) << u"1.5 MiB"_s;
    QTest::addRow("1 GiB") << quint64(1ULL << 30) << u"1 GiB"_s;
    QTest::addRow("UINT64_MAX") << quint64(18446744073709551615ULL) << u"18446744073709551615 B"_s;
}

void TestExperimentFile::formatByteSize()
{
    QFETCH(quint64, bytes);
    QFETCH(QString, text);
    QCOMPARE(clab::model::formatByteSize(bytes), text);
    QString error;
    const auto back = clab::model::parseByteSize(QJsonValue(text), &error);
    QVERIFY2(back.has_value(), qPrintable(error));
    QCOMPARE(quint64(*back), bytes);
}

void TestExperimentFile::sweepExpansion_data()
{
    QTest::addColumn<SpecEdit>("edit");
    QTest::addColumn<QStringList>("labels");
    QTest::addRow("no sweep: one point without a label") << SpecEdit([](clab::ExperimentSpec &) {}) << QStringList{{}};
    QTest::addRow("variants only") << SpecEdit([](clab::ExperimentSpec &s) {
        s.variants = {variant("mutex", {{"primitive.guard", "\"mutex\""}}),
                      variant("none", {{"primitive.guard", "\"none\""}})};
    }) << QStringList{u"mutex"_s, u"none"_s};
    QTest::addRow("one axis") << SpecEdit([](clab::ExperimentSpec &s) {
        s.sweep = {axis("workers", {"1", "2", "4"})};
    }) << QStringList{u"workers=1"_s, u"workers=2"_s, u"workers=4"_s};
    QTest::addRow("two axes: the first varies slowest") << SpecEdit([](clab::ExperimentSpec &s) {
        s.sweep = {axis("workers", {"1", "2"}), axis("primitive.guard", {"\"none\"", "\"atomic\"", "\"mutex\""})};
    }) << QStringList{u"workers=1, primitive.guard=none"_s,  u"workers=1, primitive.guard=atomic"_s,
                      u"workers=1, primitive.guard=mutex"_s, u"workers=2, primitive.guard=none"_s,
                      u"workers=2, primitive.guard=atomic"_s, u"workers=2, primitive.guard=mutex"_s};
    QTest::addRow("unlabelled variants") << SpecEdit([](clab::ExperimentSpec &s) {
        s.variants = {variant("", {{"workers", "1"}}), variant("two", {{"workers", "2"}}), variant("", {})};
        s.sweep = {axis("warmup", {"0", "\"10 ms\""})};
    }) << QStringList{u"variant 1, warmup=0"_s,  u"variant 1, warmup=10 ms"_s, u"two, warmup=0"_s,
                      u"two, warmup=10 ms"_s,    u"variant 3, warmup=0"_s,    u"variant 3, warmup=10 ms"_s};
    QTest::addRow("values of every JSON type in labels") << SpecEdit([](clab::ExperimentSpec &s) {
        s.sweep = {axis("placement", {"\"spread\"", "[0,1]"}), axis("workload.cpuWork", {"0.25"})};
    }) << QStringList{u"placement=spread, workload.cpuWork=0.25"_s, u"placement=[0,1], workload.cpuWork=0.25"_s};
    QTest::addRow("the brief's example") << SpecEdit([](clab::ExperimentSpec &s) { s = transportSweepSpec(); })
                                         << [] {
                                                QStringList labels;
                                                for (const char *v : {"single process", "4 threads"})
                                                    for (const char *t : {"pipe", "posix-mq", "shm-channel"})
                                                        for (const char *m : {"64", "4 KiB", "64 KiB"})
                                                            labels.append(QString::fromUtf8(v) +
                                                                          u", primitive.transport="_s +
                                                                          QString::fromUtf8(t) +
                                                                          u", primitive.messageSize="_s +
                                                                          QString::fromUtf8(m));
                                                return labels;
                                            }();
    QTest::addRow("exactly 1000 points") << SpecEdit([](clab::ExperimentSpec &s) {
        std::vector<std::string> ten;
        for (int i = 1; i <= 10; ++i)
            ten.push_back(std::to_string(i));
        s.sweep = {axis("workers", ten), axis("primitive.timingSampleEvery", ten),
                   axis("workload.criticalSection", {"\"1 ns\"", "\"2 ns\"", "\"3 ns\"", "\"4 ns\"", "\"5 ns\"",
                                                     "\"6 ns\"", "\"7 ns\"", "\"8 ns\"", "\"9 ns\"", "\"10 ns\""})};
    }) << QStringList();
}

void TestExperimentFile::sweepExpansion()
{
    QFETCH(SpecEdit, edit);
    QFETCH(QStringList, labels);
    clab::ExperimentSpec spec = baseSpec();
    edit(spec);
    QList<FieldError> errors{{u"x"_s, u"stale"_s}};
    const QList<clab::model::SweepPoint> points = clab::model::expandSweep(spec, &errors);
    QVERIFY2(errors.isEmpty(), qPrintable(errorsText(errors)));
    QVERIFY(clab::model::validateExperiment(spec).isEmpty());
    QStringList got;
    for (const auto &p : points)
        got.append(p.label);
    if (labels.isEmpty()) { // the 1000-point row: count and a few labels
        QCOMPARE(points.size(), 1000);
        QCOMPARE(got.first(), u"workers=1, primitive.timingSampleEvery=1, workload.criticalSection=1 ns"_s);
        QCOMPARE(got.last(), u"workers=10, primitive.timingSampleEvery=10, workload.criticalSection=10 ns"_s);
        QCOMPARE(points.at(123).spec.workers, 2u);
        QCOMPARE(points.at(123).spec.lock.timingSampleEvery, 3u);
        QCOMPARE(points.at(123).spec.workload.criticalSectionNs, 4u);
    } else {
        QCOMPARE(got, labels);
    }
    // Each point holds its variant's "set" entries, then one value per axis.
    const qsizetype perVariant = points.size() / std::max<qsizetype>(1, qsizetype(spec.variants.size()));
    for (qsizetype i = 0; i < points.size(); ++i) {
        const clab::model::SweepPoint &p = points.at(i);
        QVERIFY(p.spec.variants.empty() && p.spec.sweep.empty());
        QVERIFY2(clab::model::validateExperiment(p.spec).isEmpty(), qPrintable(p.label));
        const qsizetype fromVariant =
            spec.variants.empty() ? 0 : qsizetype(spec.variants.at(static_cast<std::size_t>(i / perVariant)).set.size());
        QCOMPARE(p.values.size(), fromVariant + qsizetype(spec.sweep.size()));
    }
    if (spec.variants.empty() && spec.sweep.empty()) {
        QCOMPARE(points.size(), 1);
        QVERIFY(points.first().values.isEmpty());
        compareSpecs(points.first().spec, spec);
    }
}

void TestExperimentFile::sweepPointsApplyTheirValues()
{
    const clab::ExperimentSpec spec = transportSweepSpec();
    QList<FieldError> errors;
    const auto points = clab::model::expandSweep(spec, &errors);
    QVERIFY2(errors.isEmpty(), qPrintable(errorsText(errors)));
    QCOMPARE(points.size(), 18);
    // Point 7: "4 threads"? No: variants vary slowest, so 0..8 are "single process".
    const clab::model::SweepPoint &p7 = points.at(7);
    QCOMPARE(p7.label, u"single process, primitive.transport=shm-channel, primitive.messageSize=4 KiB"_s);
    QCOMPARE(p7.values, (QList<QPair<QString, QJsonValue>>{{u"execution"_s, QJsonValue(u"sequential"_s)},
                                                            {u"primitive.transport"_s, QJsonValue(u"shm-channel"_s)},
                                                            {u"primitive.messageSize"_s, QJsonValue(u"4 KiB"_s)}}));
    QCOMPARE(static_cast<int>(p7.spec.execution), static_cast<int>(clab::ExecutionModel::Sequential));
    QCOMPARE(p7.spec.workers, 2u);
    QCOMPARE(static_cast<int>(p7.spec.messaging.transport), static_cast<int>(clab::Transport::ShmChannel));
    QCOMPARE(p7.spec.messaging.messageSize, 4096u);
    QCOMPARE(p7.spec.operationsPerWorker, 10'000u);
    const clab::model::SweepPoint &p12 = points.at(12);
    QCOMPARE(p12.label, u"4 threads, primitive.transport=posix-mq, primitive.messageSize=64"_s);
    QCOMPARE(p12.values.first(), (QPair<QString, QJsonValue>{u"execution"_s, QJsonValue(u"threads"_s)}));
    QCOMPARE(p12.values.at(1), (QPair<QString, QJsonValue>{u"workers"_s, QJsonValue(4)}));
    QCOMPARE(static_cast<int>(p12.spec.execution), static_cast<int>(clab::ExecutionModel::Threads));
    QCOMPARE(p12.spec.workers, 4u);
    QCOMPARE(static_cast<int>(p12.spec.messaging.transport), static_cast<int>(clab::Transport::PosixMq));
    QCOMPARE(p12.spec.messaging.messageSize, 64u);
    // Everything not swept is the base experiment's.
    for (const auto &p : points) {
        QCOMPARE(p.spec.name, spec.name);
        QCOMPARE(p.spec.workload.criticalSectionNs, spec.workload.criticalSectionNs);
        QCOMPARE(static_cast<int>(p.spec.primitive), static_cast<int>(clab::PrimitiveKind::MessagePassing));
    }
}

void TestExperimentFile::sweepSettingOneAlternativeRemovesTheOther()
{
    // "operations" replaces the base's "duration" (and back); "initial" replaces "length".
    clab::ExperimentSpec spec = baseSpec();
    spec.variants = {variant("single process", {{"execution", "\"sequential\""}, {"operations", "1000"}}),
                     variant("timed", {})};
    QList<FieldError> errors;
    auto points = clab::model::expandSweep(spec, &errors);
    QVERIFY2(errors.isEmpty(), qPrintable(errorsText(errors)));
    QCOMPARE(points.at(0).spec.operationsPerWorker, 1000u);
    QCOMPARE(points.at(0).spec.durationNs, 0u);
    QCOMPARE(points.at(1).spec.durationNs, 1'000'000'000u);

    spec = baseSpec();
    spec.durationNs = 0;
    spec.operationsPerWorker = 50;
    spec.sweep = {axis("duration", {"\"20 ms\""})};
    points = clab::model::expandSweep(spec, &errors);
    QVERIFY2(errors.isEmpty(), qPrintable(errorsText(errors)));
    QCOMPARE(points.at(0).spec.durationNs, 20'000'000u);
    QCOMPARE(points.at(0).spec.operationsPerWorker, 0u);

    spec = kindSpec(clab::PrimitiveKind::SharedValue);
    spec.sharedValue.length = 8;
    spec.sweep = {axis("primitive.initial", {"[1,2,3]", "[4]"})};
    points = clab::model::expandSweep(spec, &errors);
    QVERIFY2(errors.isEmpty(), qPrintable(errorsText(errors)));
    QCOMPARE(points.at(0).spec.sharedValue.initial, (std::vector<double>{1, 2, 3}));
    QCOMPARE(points.at(0).spec.sharedValue.length, 3u);
    QCOMPARE(points.at(1).spec.sharedValue.length, 1u);

    // Both alternatives in one point: the file's rule applies.
    spec = baseSpec();
    spec.variants = {variant("both", {{"duration", "1"}, {"operations", "10"}})};
    points = clab::model::expandSweep(spec, &errors);
    QVERIFY(points.isEmpty());
    QCOMPARE(errorsText(errors), u"variants[0].set.operations: give either \"duration\" or \"operations\", not both"_s);
}

void TestExperimentFile::sweepPointsStartFromExplicitParametersOnly()
{
    // A default the file never spelled out does not get in the way of another lock...
    clab::ExperimentSpec spec = kindSpec(clab::PrimitiveKind::Sync);
    spec.sync.kind = clab::SyncKind::RwLock;
    spec.sweep = {axis("primitive.lock", {"\"rwlock\"", "\"mutex\"", "\"recursive-mutex\""})};
    QList<FieldError> errors;
    auto points = clab::model::expandSweep(spec, &errors);
    QVERIFY2(errors.isEmpty(), qPrintable(errorsText(errors)));
    QCOMPARE(points.size(), 3);
    QCOMPARE(points.at(2).spec.sync.recursionDepth, clab::SyncParams{}.recursionDepth);
    // ... but a value the experiment sets is kept, and refused where it does not apply.
    spec.sync.readShare = 0.5;
    points = clab::model::expandSweep(spec, &errors);
    QVERIFY(points.isEmpty());
    QCOMPARE(errorLines(errors), (QStringList{u"primitive.readShare: only for lock rwlock (in point "
                                              u"\"primitive.lock=mutex\" and 1 more)"_s}));
    // The file loader says the same.
    const auto load = clab::model::parseExperiment(clab::model::serializeExperiment(spec));
    QCOMPARE(errorLines(load.errors), errorLines(errors));
}

void TestExperimentFile::expandSweepOfInvalidExperiment()
{
    clab::ExperimentSpec spec = transportSweepSpec();
    spec.workers = 3;
    QList<FieldError> errors;
    QVERIFY(clab::model::expandSweep(spec, &errors).isEmpty());
    // The base is reported; its points are not (each would repeat the same problem).
    QCOMPARE(errorLines(errors),
             (QStringList{u"workers: must be an even number of at least 2 for message-passing (pairs of sender and "
                          u"receiver), got 3"_s}));
    QVERIFY(clab::model::expandSweep(spec, nullptr).isEmpty());
}

void TestExperimentFile::everySweepErrorIsReported()
{
    // A file with problems in the base's sweep shape, a variant and a sweep value: all reported.
    QJsonObject json = clab::model::experimentToJson(transportSweepSpec());
    json.insert(u"variants", QJsonArray{QJsonObject{{u"label"_s, u"one"_s}, {u"set"_s, QJsonObject{{u"workers"_s, 3}}}},
                                        QJsonObject{{u"label"_s, u"two"_s}, {u"set"_s, QJsonObject{{u"wrkers"_s, 4}}}}});
    json.insert(u"sweep", QJsonArray{QJsonObject{{u"parameter"_s, u"primitive.messageSize"_s},
                                                 {u"values"_s, QJsonArray{64, u"2 MiB"_s, u"1 KiB"_s}}}});
    auto load = clab::model::parseExperiment(toBytes(json));
    QCOMPARE(errorLines(load.errors), (QStringList{u"variants[1].set.wrkers: unknown field (did you mean \"workers\"?)"_s}));
    // With the path fixed, every point is validated and every distinct problem reported.
    QJsonArray variants = json.value(u"variants").toArray();
    variants.replace(1, QJsonObject{{u"label"_s, u"two"_s}, {u"set"_s, QJsonObject{{u"workers"_s, 4}}}});
    json.insert(u"variants", variants);
    load = clab::model::parseExperiment(toBytes(json), u"sweep.cclab"_s);
    QVERIFY(!load.spec.has_value());
    QCOMPARE(errorLines(load.errors),
             (QStringList{u"variants[0].set.workers: must be an even number of at least 2 for message-passing (pairs "
                          u"of sender and receiver), got 3"_s,
                          u"sweep[0].values[1]: primitive.messageSize: must be 1..1048576 bytes, got 2097152"_s}));
    QVERIFY(load.errorText().startsWith(u"sweep.cclab: variants[0].set.workers: "_s));
}

void TestExperimentFile::overrides_data()
{
    QTest::addColumn<SpecEdit>("base");
    QTest::addColumn<QStringList>("overrides"); // PATH=VALUE, split at the first '='
    QTest::addColumn<SpecEdit>("expected");     // the base edited as the overrides should
    const SpecEdit none([](clab::ExperimentSpec &) {});
    QTest::addRow("JSON number") << none << QStringList{u"workers=8"_s}
                                 << SpecEdit([](clab::ExperimentSpec &s) { s.workers = 8; });
    QTest::addRow("seconds as a number") << none << QStringList{u"duration=0.2"_s}
                                         << SpecEdit([](clab::ExperimentSpec &s) { s.durationNs = 200'000'000; });
    QTest::addRow("a quoted JSON string") << none << QStringList{u"duration=\"200 ms\""_s}
                                          << SpecEdit([](clab::ExperimentSpec &s) { s.durationNs = 200'000'000; });
    QTest::addRow("a bare string") << none << QStringList{u"duration=200 ms"_s}
                                   << SpecEdit([](clab::ExperimentSpec &s) { s.durationNs = 200'000'000; });
    QTest::addRow("a bare word") << none << QStringList{u"primitive.guard=spinlock"_s}
                                 << SpecEdit([](clab::ExperimentSpec &s) { s.lock.guard = clab::Guard::Spinlock; });
    QTest::addRow("a boolean") << SpecEdit([](clab::ExperimentSpec &s) { s = kindSpec(clab::PrimitiveKind::Work); })
                               << QStringList{u"primitive.gil=true"_s} << SpecEdit([](clab::ExperimentSpec &s) {
                                      s = kindSpec(clab::PrimitiveKind::Work);
                                      s.work.gil = true;
                                  });
    QTest::addRow("an array") << none << QStringList{u"placement=[2, 3]"_s} << SpecEdit([](clab::ExperimentSpec &s) {
        s.placement = clab::PlacementPolicy::CpuList;
        s.cpuList = {2, 3};
    });
    QTest::addRow("a whole object") << none << QStringList{u"primitive={\"kind\": \"semaphore\", \"permits\": 3}"_s}
                                    << SpecEdit([](clab::ExperimentSpec &s) {
                                           s.primitive = clab::PrimitiveKind::Semaphore;
                                           s.semaphore.permits = 3;
                                       });
    QTest::addRow("operations replace the duration")
        << none << QStringList{u"operations=500"_s} << SpecEdit([](clab::ExperimentSpec &s) {
               s.durationNs = 0;
               s.operationsPerWorker = 500;
           });
    QTest::addRow("a size and a new workload key") << none << QStringList{u"workload.memory=1 MiB"_s}
                                                   << SpecEdit([](clab::ExperimentSpec &s) { s.workload.memoryBytes = 1 << 20; });
    QTest::addRow("several, and '=' in a value") << none
                                                 << QStringList{u"execution=sequential"_s, u"operations=10"_s,
                                                                u"description=a=b"_s}
                                                 << SpecEdit([](clab::ExperimentSpec &s) {
                                                        s.execution = clab::ExecutionModel::Sequential;
                                                        s.durationNs = 0;
                                                        s.operationsPerWorker = 10;
                                                        s.description = "a=b";
                                                    });
    QTest::addRow("the sweep is kept") << SpecEdit([](clab::ExperimentSpec &s) { s = transportSweepSpec(); })
                                       << QStringList{u"primitive.queueDepth=8"_s} << SpecEdit([](clab::ExperimentSpec &s) {
                                              s = transportSweepSpec();
                                              s.messaging.queueDepth = 8;
                                          });
    QTest::addRow("nothing to override") << none << QStringList() << none;
    QTest::addRow("semaphore pattern") << SpecEdit([](clab::ExperimentSpec &s) {
        s = kindSpec(clab::PrimitiveKind::Semaphore);
    }) << QStringList{u"primitive.pattern=ping-pong"_s}
                                       << SpecEdit([](clab::ExperimentSpec &s) {
                                              s = kindSpec(clab::PrimitiveKind::Semaphore);
                                              s.semaphore.pattern = clab::SemaphorePattern::PingPong;
                                          });
    QTest::addRow("event implementation")
        << SpecEdit([](clab::ExperimentSpec &s) { s = kindSpec(clab::PrimitiveKind::Event); })
        << QStringList{u"primitive.implementation=condvar"_s} << SpecEdit([](clab::ExperimentSpec &s) {
               s = kindSpec(clab::PrimitiveKind::Event);
               s.event.implementation = clab::EventImplementation::CondVar;
           });
    QTest::addRow("event hand-off of 2 pairs")
        << SpecEdit([](clab::ExperimentSpec &s) { s = kindSpec(clab::PrimitiveKind::Event); })
        << QStringList{u"workers=4"_s} << SpecEdit([](clab::ExperimentSpec &s) {
               s = kindSpec(clab::PrimitiveKind::Event);
               s.workers = 4;
           });
    QTest::addRow("barrier implementation") << SpecEdit([](clab::ExperimentSpec &s) {
        s = kindSpec(clab::PrimitiveKind::Sync);
        s.sync.kind = clab::SyncKind::Barrier;
    }) << QStringList{u"primitive.barrierImplementation=futex"_s}
                                            << SpecEdit([](clab::ExperimentSpec &s) {
                                                   s = kindSpec(clab::PrimitiveKind::Sync);
                                                   s.sync.kind = clab::SyncKind::Barrier;
                                                   s.sync.barrierImplementation = clab::BarrierImplementation::Futex;
                                               });
    QTest::addRow("execChild") << SpecEdit([](clab::ExperimentSpec &s) {
        s = kindSpec(clab::PrimitiveKind::Lifecycle);
        s.execution = clab::ExecutionModel::Processes;
    }) << QStringList{u"primitive.execChild=false"_s}
                               << SpecEdit([](clab::ExperimentSpec &s) {
                                      s = kindSpec(clab::PrimitiveKind::Lifecycle);
                                      s.execution = clab::ExecutionModel::Processes;
                                      s.lifecycle.execChild = false;
                                  });
}

void TestExperimentFile::overrides()
{
    QFETCH(SpecEdit, base);
    QFETCH(QStringList, overrides);
    QFETCH(SpecEdit, expected);
    clab::ExperimentSpec spec = baseSpec();
    base(spec);
    clab::ExperimentSpec want = baseSpec();
    expected(want);
    QList<QPair<QString, QString>> pairs;
    for (const QString &o : std::as_const(overrides))
        pairs.append({o.section(u'=', 0, 0), o.section(u'=', 1)});
    QList<FieldError> errors{{u"x"_s, u"stale"_s}};
    const auto result = clab::model::applyOverrides(spec, pairs, &errors);
    QVERIFY2(result.has_value(), qPrintable(errorsText(errors)));
    QVERIFY(errors.isEmpty());
    compareSpecs(*result, want);
}

void TestExperimentFile::overrideErrors_data()
{
    QTest::addColumn<SpecEdit>("base");
    QTest::addColumn<QStringList>("overrides");
    QTest::addColumn<QString>("errors");
    const SpecEdit none([](clab::ExperimentSpec &) {});
    QTest::addRow("unknown path") << none << QStringList{u"wrkers=2"_s}
                                  << u"--set wrkers: unknown field (did you mean \"workers\"?)"_s;
    QTest::addRow("nested key without its object")
        << none << QStringList{u"guard=none"_s} << u"--set guard: unknown field (did you mean \"primitive.guard\"?)"_s;
    QTest::addRow("not variable") << none << QStringList{u"schemaVersion=2"_s}
                                  << u"--set schemaVersion: cannot be varied"_s;
    QTest::addRow("empty path") << none << QStringList{u"=2"_s} << u"--set : must not be empty"_s;
    QTest::addRow("invalid value") << none << QStringList{u"workers=0"_s} << u"--set workers: must be 1..1024, got 0"_s;
    QTest::addRow("a bare word where a number belongs")
        << none << QStringList{u"workers=four"_s} << u"--set workers: must be an integer, got \"four\""_s;
    QTest::addRow("invalid value inside an object")
        << none << QStringList{u"primitive={\"kind\": \"semaphore\", \"permits\": 0}"_s}
        << u"--set primitive: primitive.permits: must be 1..1024, got 0"_s;
    QTest::addRow("a key of another family") << none << QStringList{u"primitive.transport=pipe"_s}
                                             << u"--set primitive.transport: only for kind message-passing"_s;
    QTest::addRow("given twice") << none << QStringList{u"workers=2"_s, u"workers=3"_s}
                                 << u"--set workers: given more than once"_s;
    QTest::addRow("overlapping") << none << QStringList{u"primitive={\"kind\": \"semaphore\"}"_s, u"primitive.guard=none"_s}
                                 << u"--set primitive.guard: overlaps --set primitive (give one or the other)"_s;
    QTest::addRow("a path the sweep sets")
        << SpecEdit([](clab::ExperimentSpec &s) { s = transportSweepSpec(); }) << QStringList{u"primitive.transport=fifo"_s}
        << u"--set primitive.transport: the sweep sets this for every point (sweep[0]), so the override would have "
           u"no effect"_s;
    QTest::addRow("a path every variant sets")
        << SpecEdit([](clab::ExperimentSpec &s) { s = transportSweepSpec(); }) << QStringList{u"execution=processes"_s}
        << u"--set execution: every variant sets this, so the override would have no effect"_s;
    QTest::addRow("a combination")
        << none << QStringList{u"execution=sequential"_s}
        << u"duration: sequential execution runs the 4 workers' bodies one after another, so a duration would give "
           u"all of it to the first; give \"operations\" instead (with --set execution=sequential)"_s;
    QTest::addRow("breaks a sweep point")
        << SpecEdit([](clab::ExperimentSpec &s) {
               s = transportSweepSpec();
               s.messaging.transport = clab::Transport::ShmChannel;
               s.variants.clear();
               s.sweep = {axis("primitive.transport", {"\"shm-channel\"", "\"pipe\""})};
           })
        << QStringList{u"primitive.wake=spinning"_s}
        << u"primitive.wake: must be blocking for transport pipe: only shm-channel can be polled by spinning (the "
           u"other transports wait in the kernel) (in point \"primitive.transport=pipe\") (with --set "
           u"primitive.wake=spinning)"_s;
    QTest::addRow("every override error at once")
        << none << QStringList{u"wrkers=2"_s, u"warmup=2 h"_s, u"sampleInterval=1"_s}
        << u"--set wrkers: unknown field (did you mean \"workers\"?)"_s;
    QTest::addRow("every value error at once")
        << none << QStringList{u"warmup=2 h"_s, u"sampleInterval=11"_s}
        << u"--set warmup: unknown unit \"h\" (use ns, us, ms, s, min)\n--set sampleInterval: must be 100 us..10 s, got 11 s"_s;
    QTest::addRow("a bad event implementation")
        << SpecEdit([](clab::ExperimentSpec &s) { s = kindSpec(clab::PrimitiveKind::Event); })
        << QStringList{u"primitive.implementation=spin"_s}
        << u"--set primitive.implementation: must be one of futex, condvar, got \"spin\""_s;
    QTest::addRow("a bad barrier implementation") << SpecEdit([](clab::ExperimentSpec &s) {
        s = kindSpec(clab::PrimitiveKind::Sync);
        s.sync.kind = clab::SyncKind::Barrier;
    }) << QStringList{u"primitive.barrierImplementation=futx"_s}
                                                  << u"--set primitive.barrierImplementation: must be one of pthread, "
                                                     u"futex, got \"futx\""_s;
    QTest::addRow("a barrier implementation for a mutex")
        << SpecEdit([](clab::ExperimentSpec &s) { s = kindSpec(clab::PrimitiveKind::Sync); })
        << QStringList{u"primitive.barrierImplementation=futex"_s}
        << u"--set primitive.barrierImplementation: only for lock barrier"_s;
    QTest::addRow("execChild not a boolean")
        << SpecEdit([](clab::ExperimentSpec &s) { s = kindSpec(clab::PrimitiveKind::Lifecycle); })
        << QStringList{u"primitive.execChild=no"_s}
        << u"--set primitive.execChild: must be true or false, got \"no\""_s;
    QTest::addRow("ping-pong meets the permits the experiment sets")
        << SpecEdit([](clab::ExperimentSpec &s) {
               s = kindSpec(clab::PrimitiveKind::Semaphore);
               s.semaphore.permits = 3;
           })
        << QStringList{u"primitive.pattern=ping-pong"_s}
        << u"primitive.permits: only for pattern gate (with "
           u"--set primitive.pattern=ping-pong)"_s;
    QTest::addRow("an odd hand-off")
        << SpecEdit([](clab::ExperimentSpec &s) { s = kindSpec(clab::PrimitiveKind::Event); })
        << QStringList{u"workers=3"_s}
        << u"--set workers: must be an even number of at least 2 for event pattern hand-off (pairs of setter and "
           u"waiter), got 3"_s;
    QTest::addRow("an invalid experiment is reported as it is")
        << SpecEdit([](clab::ExperimentSpec &s) { s.workers = 0; }) << QStringList{u"workers=2"_s}
        << u"workers: must be 1..1024, got 0"_s;
}

void TestExperimentFile::overrideErrors()
{
    QFETCH(SpecEdit, base);
    QFETCH(QStringList, overrides);
    QFETCH(QString, errors);
    clab::ExperimentSpec spec = baseSpec();
    base(spec);
    QList<QPair<QString, QString>> pairs;
    for (const QString &o : std::as_const(overrides))
        pairs.append({o.section(u'=', 0, 0), o.section(u'=', 1)});
    QList<FieldError> found;
    QVERIFY(!clab::model::applyOverrides(spec, pairs, &found).has_value());
    QCOMPARE(errorsText(found), errors);
}

void TestExperimentFile::mutatedSweepFilesLoadOnlyValidSpecs()
{
    // Byte-level damage to a sweep of every family: never a crash, and what loads is valid.
    const std::array<clab::ExperimentSpec, 3> specs{transportSweepSpec(), [] {
        clab::ExperimentSpec s = kindSpec(clab::PrimitiveKind::SharedValue);
        s.sharedValue.type = clab::ElementType::Int64;
        s.sharedValue.initial = {1, -2, 3};
        s.workload.memoryBytes = 4096;
        s.variants = {variant("v", {{"primitive.guard", "\"atomic\""}}), variant("", {{"workers", "1"}})};
        return s;
    }(), [] {
        clab::ExperimentSpec s = kindSpec(clab::PrimitiveKind::Lifecycle);
        s.lifecycle.mode = clab::LifecycleMode::Daemon;
        s.lifecycle.daemonWorkers = 1;
        s.sweep = {axis("primitive.mainWork", {"\"1 ms\"", "\"2 ms\""}), axis("workers", {"2", "3"})};
        return s;
    }()};
    QRandomGenerator rng(11);
    int loaded = 0;
    for (const clab::ExperimentSpec &spec : specs) {
        QVERIFY2(clab::model::validateExperiment(spec).isEmpty(), qPrintable(errorsText(clab::model::validateExperiment(spec))));
        const QByteArray original = clab::model::serializeExperiment(spec);
        for (int i = 0; i < 1500; ++i) {
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
                QList<FieldError> errors;
                clab::model::expandSweep(*load.spec, &errors);
                QVERIFY2(errors.isEmpty(), bytes.constData());
            }
        }
    }
    QVERIFY(loaded > 0 && loaded < 4500);
}

QTEST_GUILESS_MAIN(TestExperimentFile)
#include "tst_experiment_file.moc"
