// Tests of the message-passing family on real transports: every transport and pattern in threads
// and processes mode, payload checks, machine limits, a peer or the runner killed mid-run, and
// that nothing of a run is left behind (System V queues, POSIX queue names, FIFOs, processes).
#include "experiment_spec.h"
#include "message_passing.h"
#include "run_supervisor.h"
#include "shm_channel.h"
#include "stats_ring.h"
#include "tsc_clock.h"

#include "tsan_qt_suppressions.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QProcess>
#include <QScopeGuard>
#include <QSet>
#include <QTemporaryDir>
#include <QTest>

#include <atomic>
#include <csignal>
#include <cstring>
#include <climits>
#include <cmath>
#include <dirent.h>
#include <linux/futex.h>
#include <sched.h>
#include <mqueue.h>
#include <stdexcept>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

using namespace clab;

Q_DECLARE_METATYPE(clab::Transport)
Q_DECLARE_METATYPE(clab::MessagePattern)
Q_DECLARE_METATYPE(clab::ExecutionModel)
Q_DECLARE_METATYPE(clab::WakeStrategy)
Q_DECLARE_METATYPE(clab::PlacementPolicy)

// Under ThreadSanitizer, message-passing worker *processes* cannot run inside this test: QtTest's
// watchdog thread makes the test process multi-threaded when the supervisor forks, and every
// worker process then starts its PeerWatch thread, which GCC 12's libtsan does not support in the
// child of a multi-threaded fork (the child dies with exit code 66: "starting new threads after
// multi-threaded fork is not supported", or with die_after_fork=0 "dup thread with used id"). Such
// a child would not be checked anyway: libtsan turns itself off in it. Processes mode still runs
// under TSan through the real runner, which forks while single-threaded (tst_presets runs the
// ipc-* presets, processes mode, and tst_runner the message-queue rows). Threads mode is tested here.
#if defined(__SANITIZE_THREAD__)
constexpr bool kUnderTsan = true;
#else
constexpr bool kUnderTsan = false;
#endif
constexpr bool kForkedWorkersRunHere = !kUnderTsan;
#define SKIP_FORKED_WORKERS_UNDER_TSAN(execution)                                                                       \
    do {                                                                                                              \
        if (!kForkedWorkersRunHere && (execution) == ExecutionModel::Processes)                                        \
            QSKIP("TSan: worker processes forked from this multi-threaded test cannot start threads (see top of file)"); \
    } while (false)

namespace {

const std::vector<std::pair<Transport, WakeStrategy>> kAllTransports = {
    {Transport::Pipe, WakeStrategy::Blocking},       {Transport::Fifo, WakeStrategy::Blocking},
    {Transport::PosixMq, WakeStrategy::Blocking},    {Transport::SysvMq, WakeStrategy::Blocking},
    {Transport::UnixStream, WakeStrategy::Blocking}, {Transport::UnixDgram, WakeStrategy::Blocking},
    {Transport::ShmChannel, WakeStrategy::Blocking}, {Transport::ShmChannel, WakeStrategy::Spinning},
};

QByteArray transportName(Transport t, WakeStrategy w)
{
    QByteArray n = toString(t);
    if (t == Transport::ShmChannel)
        n += w == WakeStrategy::Spinning ? " spinning" : " blocking";
    return n;
}

ExperimentSpec messagingSpec(Transport t, MessagePattern p, ExecutionModel e, std::uint32_t size,
                             WakeStrategy w = WakeStrategy::Blocking)
{
    ExperimentSpec s;
    s.name = "message passing test";
    s.primitive = PrimitiveKind::MessagePassing;
    s.execution = e;
    s.workers = 2;
    s.durationNs = 120'000'000;
    s.warmupNs = 20'000'000;
    s.sampleIntervalNs = 10'000'000;
    // Across both CPUs: a spinning pair on one CPU would only progress at scheduler time slices.
    s.placement = PlacementPolicy::Spread;
    s.messaging.transport = t;
    s.messaging.pattern = p;
    s.messaging.messageSize = size;
    s.messaging.wake = w;
    return s;
}

RunResult run(const ExperimentSpec &spec, const RunHooks &hooks = {}, StatsRing *ringOut = nullptr)
{
    StatsRing ring = StatsRing::createAnonymous(spec.workers, recommendedLaneCapacity(spec.sampleIntervalNs));
    (void)ringOut;
    return runExperiment(spec, ring, SupervisorOptions{}, hooks);
}

const ResultCheck *findCheck(const RunResult &r, const char *name)
{
    for (const auto &c : r.checks) {
        if (c.name == name)
            return &c;
    }
    return nullptr;
}

const NamedFigure *findFigure(const RunResult &r, const char *name)
{
    for (const auto &f : r.figures) {
        if (f.name == name)
            return &f;
    }
    return nullptr;
}

QByteArray describe(const RunResult &r)
{
    QByteArray out = "status " + QByteArray::fromStdString(r.status) + " " + QByteArray::fromStdString(r.error);
    for (const auto &w : r.workers)
        out += "\n  worker " + QByteArray::number(w.index) + " " + QByteArray::fromStdString(w.exitState) + " ops " +
               QByteArray::number(qulonglong(w.ops)) + " bytes " + QByteArray::number(qulonglong(w.bytes)) + " " +
               QByteArray::fromStdString(w.error);
    for (const auto &c : r.checks)
        out += "\n  check " + QByteArray::fromStdString(c.name) + (c.passed ? " passed: " : " FAILED: ") +
               QByteArray::fromStdString(c.detail);
    return out;
}

#define VERIFY_CHECK(result, name)                                                                                        \
    do {                                                                                                                  \
        const ResultCheck *c_ = findCheck((result), (name));                                                              \
        QVERIFY2(c_ != nullptr, QByteArray(QByteArray("no check ") + (name) + "\n" + describe(result)).constData());    \
        QVERIFY2(c_->passed, QByteArray(QByteArray("check ") + (name) + " failed\n" + describe(result)).constData());   \
    } while (false)

// System V message queue ids, from /proc/sysvipc/msg (what `ipcs -q` prints).
QSet<int> sysvQueueIds()
{
    QSet<int> ids;
    QFile f(QStringLiteral("/proc/sysvipc/msg"));
    if (!f.open(QIODevice::ReadOnly))
        return ids;
    f.readLine(); // header
    while (!f.atEnd()) {
        const QList<QByteArray> cols = f.readLine().simplified().split(' ');
        if (cols.size() > 1)
            ids.insert(cols[1].toInt());
    }
    return ids;
}

// Children of every thread of this process (workers, clean-up process) still in the table.
QList<int> childProcesses(int pid = 0)
{
    QList<int> out;
    const QString base = pid ? QStringLiteral("/proc/%1/task").arg(pid) : QStringLiteral("/proc/self/task");
    const QStringList tasks = QDir(base).entryList(QDir::Dirs | QDir::NoDotAndDotDot);
    for (const QString &t : tasks) {
        QFile f(base + QLatin1Char('/') + t + QStringLiteral("/children"));
        if (f.open(QIODevice::ReadOnly)) {
            const QList<QByteArray> pids = f.readAll().simplified().split(' ');
            for (const QByteArray &p : pids) {
                if (!p.isEmpty())
                    out.append(p.toInt());
            }
        }
    }
    return out;
}

bool processGone(int pid)
{
    if (kill(pid, 0) != 0)
        return errno == ESRCH;
    // A zombie still answers kill(); it is gone for our purposes once nothing runs.
    QFile f(QStringLiteral("/proc/%1/stat").arg(pid));
    if (!f.open(QIODevice::ReadOnly))
        return true;
    const QByteArray stat = f.readAll();
    const qsizetype close = stat.lastIndexOf(')');
    return close > 0 && stat.size() > close + 2 && stat.at(close + 2) == 'Z';
}

} // namespace

class TestMessagePassing : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void init();
    void cleanup();

    void transports_data();
    void transports();
    void payloadSizes_data();
    void payloadSizes();
    void operationBound_data();
    void operationBound();
    void severalPairs();
    void userStopWhileBlocked();
    void keepCpusAwake();
    void overLimit_data();
    void overLimit();
    void posixQueueMemoryLimit();
    void badSpecs_data();
    void badSpecs();
    void peerKilled_data();
    void peerKilled();
    void shmRingAgainstLockedBaseline_data();
    void shmRingAgainstLockedBaseline();
    void shmRingWakeUps_data();
    void shmRingWakeUps();
    void shmRingWakerClearsOnlyWhatItSatisfies();
    void shmQueuedCounts();
    void queueDepthSlowReceiver_data();
    void queueDepthSlowReceiver();
    void queueDepthPingPong_data();
    void queueDepthPingPong();
    // Last on purpose: under ThreadSanitizer, a QProcess started from this (multi-threaded) test
    // leaves the test unable to start threads. Debian's Qt 6.4 starts children with a vfork-like
    // clone(CLONE_VM | CLONE_VFORK), and GCC 12's libtsan runs its fork-child hook for clone() in
    // that child, i.e. on the parent's own memory: the parent's main thread is put under TSan's
    // "after multi-threaded fork" ignores and its next pthread_create dies ("starting new threads
    // after multi-threaded fork is not supported"). The threads of the tests above must not come
    // after it. It still runs under TSan (the client it starts is instrumented).
    void runnerKilled_data();
    void runnerKilled();

private:
    void verifyNothingLeft();

    QTemporaryDir m_tmp;       // TMPDIR of the runs: where FIFO directories are made
    QTemporaryDir m_mqMount;   // an mqueue file system mounted here when /dev/mqueue is not
    QString m_mqDir;           // where POSIX queue names can be listed ("" if nowhere)
    bool m_mounted = false;
    bool m_privateIpc = false; // this test has its own IPC namespace (its sysctls are its own)
    QSet<int> m_sysvBefore;
};

void TestMessagePassing::initTestCase()
{
    QVERIFY(m_tmp.isValid());
    qputenv("TMPDIR", QFile::encodeName(m_tmp.path()));
    // Private IPC and mount namespaces for this thread and everything it starts (workers, the
    // clean-up process, the client program): the System V and POSIX queues seen here are then only
    // this test's, even when another copy of it runs at the same time, and the mqueue file system
    // mounted to list queue names disappears with the process, even if it is killed.
    if (unshare(CLONE_NEWIPC | CLONE_NEWNS) == 0) {
        m_privateIpc = true;
        mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr);
        if (m_mqMount.isValid() &&
            mount("mqueue", QFile::encodeName(m_mqMount.path()).constData(), "mqueue", 0, nullptr) == 0) {
            m_mqDir = m_mqMount.path();
            m_mounted = true;
        }
        return;
    }
    qInfo("cannot make private IPC and mount namespaces (%s): the clean-up checks see every process's "
          "queues, so a program creating System V queues at the same time would make them fail",
          std::strerror(errno));
    // POSIX queue names are only visible through an mqueue file system.
    QFile mounts(QStringLiteral("/proc/mounts"));
    if (mounts.open(QIODevice::ReadOnly)) {
        for (const QByteArray &line : mounts.readAll().split('\n')) {
            const QList<QByteArray> cols = line.split(' ');
            if (cols.size() > 2 && cols[2] == "mqueue") {
                m_mqDir = QString::fromLocal8Bit(cols[1]);
                break;
            }
        }
    }
    if (m_mqDir.isEmpty() && m_mqMount.isValid() &&
        mount("mqueue", QFile::encodeName(m_mqMount.path()).constData(), "mqueue", 0, nullptr) == 0) {
        m_mqDir = m_mqMount.path();
        m_mounted = true;
    }
    if (m_mqDir.isEmpty())
        qInfo("no mqueue file system to list POSIX queue names in: that part of the clean-up checks is skipped");
}

void TestMessagePassing::cleanupTestCase()
{
    if (m_mounted)
        umount(QFile::encodeName(m_mqMount.path()).constData());
}

void TestMessagePassing::init()
{
    m_sysvBefore = sysvQueueIds();
}

void TestMessagePassing::cleanup()
{
    verifyNothingLeft();
}

void TestMessagePassing::verifyNothingLeft()
{
    const QSet<int> now = sysvQueueIds();
    QSet<int> extra = now - m_sysvBefore;
    QVERIFY2(extra.isEmpty(), "System V message queues left behind");
    QVERIFY2(QDir(m_tmp.path()).entryList(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::System).isEmpty(),
             "a FIFO directory was left in TMPDIR");
    if (!m_mqDir.isEmpty()) {
        const QString prefix = QStringLiteral("clab-mq-%1-").arg(getpid());
        const QStringList names = QDir(m_mqDir).entryList(QDir::Files | QDir::System);
        for (const QString &n : names)
            QVERIFY2(!n.startsWith(prefix), qPrintable(QStringLiteral("POSIX queue left behind: ") + n));
    }
    const QList<int> kids = childProcesses();
    QVERIFY2(kids.isEmpty(), "a worker or clean-up process outlived its run");
}

void TestMessagePassing::transports_data()
{
    QTest::addColumn<Transport>("transport");
    QTest::addColumn<WakeStrategy>("wake");
    QTest::addColumn<MessagePattern>("pattern");
    QTest::addColumn<ExecutionModel>("execution");
    for (const auto &[t, w] : kAllTransports) {
        for (MessagePattern p : {MessagePattern::PingPong, MessagePattern::Streaming}) {
            for (ExecutionModel e : {ExecutionModel::Threads, ExecutionModel::Processes}) {
                QTest::addRow("%s %s %s", transportName(t, w).constData(), toString(p), toString(e)) << t << w << p << e;
            }
        }
    }
}

// Every transport moves the bytes it should, intact, in both patterns and both execution models.
void TestMessagePassing::transports()
{
    QFETCH(Transport, transport);
    QFETCH(WakeStrategy, wake);
    QFETCH(MessagePattern, pattern);
    QFETCH(ExecutionModel, execution);
    SKIP_FORKED_WORKERS_UNDER_TSAN(execution);
    constexpr std::uint32_t size = 100; // not a multiple of 8 or 64: the stamps' edges are exercised
    ExperimentSpec spec = messagingSpec(transport, pattern, execution, size, wake);
    // Two spinning workers fill both CPUs: give the supervisor, which shares them, time to
    // switch phases (it opens and closes the measured phase).
    if (wake == WakeStrategy::Spinning)
        spec.durationNs = 400'000'000;
    const RunResult r = run(spec);
    QVERIFY2(r.status == "finished", describe(r).constData());
    QCOMPARE(r.workers.size(), std::size_t{2});
    for (const auto &w : r.workers) {
        QVERIFY2(w.finalValid, describe(r).constData());
        QVERIFY2(w.ops > 0, describe(r).constData());
        // Ping-pong: each side moves a message each way per round trip.
        const std::uint64_t perOp = pattern == MessagePattern::PingPong ? 2 * size : size;
        QCOMPARE(w.bytes, w.ops * perOp);
        QCOMPARE(w.pinnedCpu, w.cpusSeen.size() == 1 ? w.cpusSeen.front() : w.pinnedCpu);
    }
    VERIFY_CHECK(r, "payloadIntact");
    VERIFY_CHECK(r, "pairsEndedCleanly");
    VERIFY_CHECK(r, "allDelivered");
    // The round trip counts of both sides of a pair agree to within the phase switch.
    const NamedFigure *wake0 = findFigure(r, "wakeStrategy");
    QVERIFY(wake0);
    QCOMPARE(wake0->value, transport != Transport::ShmChannel ? 0.0 : wake == WakeStrategy::Spinning ? 2.0 : 1.0);
    QVERIFY(!wake0->label.empty());
    const NamedFigure *cross = findFigure(r, "pairsCrossCpu");
    QVERIFY(cross);
    QCOMPARE(cross->value, 1.0);
    if (pattern == MessagePattern::PingPong) {
        QVERIFY2(r.workers[0].histogram.total() > 0, "the initiator timed no round trip");
        QCOMPARE(r.workers[1].histogram.total(), std::uint64_t{0});
        const NamedFigure *p50 = findFigure(r, "roundTripP50");
        QVERIFY(p50 && p50->value > 0);
        QVERIFY(findFigure(r, "cpuPerRoundTripInitiator"));
        QVERIFY(findFigure(r, "cpuPerRoundTripResponder"));
        QVERIFY(findFigure(r, "roundTripsPerSecond")->value > 0);
    } else {
        QVERIFY(findFigure(r, "cpuPerMessageSender"));
        QVERIFY(findFigure(r, "cpuPerMessageReceiver"));
        QVERIFY(findFigure(r, "bytesPerSecond")->value > 0);
    }
}

void TestMessagePassing::payloadSizes_data()
{
    QTest::addColumn<Transport>("transport");
    QTest::addColumn<WakeStrategy>("wake");
    QTest::addColumn<MessagePattern>("pattern");
    QTest::addColumn<std::uint32_t>("size");
    const std::uint32_t sizes[] = {1, 7, 15, 4096, 65536, 1U << 20};
    for (std::uint32_t n : sizes) {
        for (MessagePattern p : {MessagePattern::PingPong, MessagePattern::Streaming}) {
            QTest::addRow("pipe %s %u B", toString(p), n) << Transport::Pipe << WakeStrategy::Blocking << p << n;
            QTest::addRow("unix-stream %s %u B", toString(p), n) << Transport::UnixStream << WakeStrategy::Blocking << p << n;
            QTest::addRow("shm-channel %s %u B", toString(p), n) << Transport::ShmChannel << WakeStrategy::Blocking << p << n;
        }
        if (n <= 8192)
            QTest::addRow("posix-mq streaming %u B", n) << Transport::PosixMq << WakeStrategy::Blocking
                                                         << MessagePattern::Streaming << n;
    }
    QTest::addRow("unix-dgram streaming 1 MiB (buffer raised to fit)")
        << Transport::UnixDgram << WakeStrategy::Blocking << MessagePattern::Streaming << (1U << 20);
}

// Receivers check content at every size, including messages larger than the pipe (several
// reads per message) and than one page.
void TestMessagePassing::payloadSizes()
{
    QFETCH(Transport, transport);
    QFETCH(WakeStrategy, wake);
    QFETCH(MessagePattern, pattern);
    QFETCH(std::uint32_t, size);
    ExperimentSpec spec = messagingSpec(transport, pattern, ExecutionModel::Threads, size, wake);
    // Under ThreadSanitizer every copy is checked byte range by byte range (a 1 MiB message takes
    // milliseconds): 60 ms, 20 of them warm-up, could end before one measured message arrived.
    spec.durationNs = kUnderTsan ? 300'000'000 : 60'000'000;
    const RunResult r = run(spec);
    QVERIFY2(r.status == "finished", describe(r).constData());
    VERIFY_CHECK(r, "payloadIntact");
    VERIFY_CHECK(r, "allDelivered");
    const ResultCheck *intact = findCheck(r, "payloadIntact");
    QVERIFY2(QByteArray::fromStdString(intact->detail).contains("byte for byte"), intact->detail.c_str());
    QCOMPARE(findFigure(r, "messageSize")->value, double(size));
}

void TestMessagePassing::operationBound_data()
{
    QTest::addColumn<Transport>("transport");
    QTest::addColumn<MessagePattern>("pattern");
    QTest::addColumn<ExecutionModel>("execution");
    for (MessagePattern p : {MessagePattern::PingPong, MessagePattern::Streaming}) {
        for (ExecutionModel e : {ExecutionModel::Threads, ExecutionModel::Processes}) {
            QTest::addRow("pipe %s %s", toString(p), toString(e)) << Transport::Pipe << p << e;
            QTest::addRow("shm-channel %s %s", toString(p), toString(e)) << Transport::ShmChannel << p << e;
            QTest::addRow("sysv-mq %s %s", toString(p), toString(e)) << Transport::SysvMq << p << e;
        }
    }
}

// A run bounded by operations ends by itself, with a warm-up whose phase switch each side sees
// at a different moment: the side that finishes first says bye and the other is not left waiting.
void TestMessagePassing::operationBound()
{
    QFETCH(Transport, transport);
    QFETCH(MessagePattern, pattern);
    QFETCH(ExecutionModel, execution);
    SKIP_FORKED_WORKERS_UNDER_TSAN(execution);
    ExperimentSpec spec = messagingSpec(transport, pattern, execution, 64);
    spec.durationNs = 0;
    spec.operationsPerWorker = 2000;
    spec.warmupNs = 30'000'000;
    QElapsedTimer t;
    t.start();
    const RunResult r = run(spec);
    QVERIFY2(r.status == "finished", describe(r).constData());
    for (const auto &w : r.workers) {
        QVERIFY2(w.ops <= 2000, describe(r).constData());
        QVERIFY2(w.finalValid, describe(r).constData());
    }
    // At least one side of the pair did exactly its operations.
    QVERIFY2(r.workers[0].ops == 2000 || r.workers[1].ops == 2000, describe(r).constData());
    VERIFY_CHECK(r, "pairsEndedCleanly");
    VERIFY_CHECK(r, "allDelivered");
    VERIFY_CHECK(r, "payloadIntact");
    QVERIFY2(t.elapsed() < 10'000, "an operation-bounded run took far too long");
}

// Several pairs at once, each on its own channel; the totals of each pair balance.
void TestMessagePassing::severalPairs()
{
    for (ExecutionModel e : {ExecutionModel::Threads, ExecutionModel::Processes}) {
        if (!kForkedWorkersRunHere && e == ExecutionModel::Processes) {
            qInfo("processes mode not run under TSan (see SKIP_FORKED_WORKERS_UNDER_TSAN)");
            continue;
        }
        ExperimentSpec spec = messagingSpec(Transport::PosixMq, MessagePattern::PingPong, e, 256);
        spec.workers = 6;
        spec.placement = PlacementPolicy::Unpinned;
        const RunResult r = run(spec);
        QVERIFY2(r.status == "finished", describe(r).constData());
        QCOMPARE(r.workers.size(), std::size_t{6});
        for (const auto &w : r.workers)
            QVERIFY2(w.ops > 0, describe(r).constData());
        VERIFY_CHECK(r, "allDelivered");
        VERIFY_CHECK(r, "pairsEndedCleanly");
        QVERIFY(QByteArray::fromStdString(findCheck(r, "pairsEndedCleanly")->detail).contains("3 pairs"));
        verifyNothingLeft();
    }
}

// A stop requested by the user while workers sit in blocking calls ends the run cleanly: the
// bye exchange wakes whoever waits.
void TestMessagePassing::userStopWhileBlocked()
{
    for (const auto &[t, w] : kAllTransports) {
        for (MessagePattern p : {MessagePattern::PingPong, MessagePattern::Streaming}) {
            ExperimentSpec spec = messagingSpec(t, p, ExecutionModel::Threads, 512, w);
            spec.durationNs = 30'000'000'000ULL;
            std::atomic<int> stop{0};
            RunHooks hooks;
            hooks.interrupt = &stop;
            hooks.onProgress = [&](const RunProgress &pr) {
                if (std::strcmp(pr.phase, "measuring") == 0 && pr.opsDone > 0)
                    stop.store(1);
            };
            QElapsedTimer timer;
            timer.start();
            const RunResult r = run(spec, hooks);
            const QByteArray what = transportName(t, w) + " " + toString(p) + ": " + describe(r);
            QVERIFY2(r.status == "stopped", what.constData());
            QVERIFY2(timer.elapsed() < 5'000, what.constData());
            for (const auto &wr : r.workers)
                QVERIFY2(wr.exitState == "finished", what.constData());
            VERIFY_CHECK(r, "pairsEndedCleanly");
            VERIFY_CHECK(r, "allDelivered");
            verifyNothingLeft();
        }
    }
}

void TestMessagePassing::keepCpusAwake()
{
    ExperimentSpec spec = messagingSpec(Transport::Pipe, MessagePattern::PingPong, ExecutionModel::Threads, 64);
    spec.messaging.keepCpusAwake = true;
    if (access("/dev/cpu_dma_latency", W_OK) != 0) {
        // Without write access the run must be refused with the parameter named, not run anyway.
        try {
            run(spec);
            QFAIL("a run that cannot keep CPUs awake was not refused");
        } catch (const std::runtime_error &e) {
            QVERIFY2(std::strstr(e.what(), "primitive.keepCpusAwake") != nullptr, e.what());
        }
        QSKIP("no write access to /dev/cpu_dma_latency: only the refusal is tested");
    }
    const RunResult r = run(spec);
    QVERIFY2(r.status == "finished", describe(r).constData());
    const NamedFigure *f = findFigure(r, "keepCpusAwake");
    QVERIFY(f);
    QCOMPARE(f->value, 1.0);
    // The request is held only while the run lasts: the file is closed again.
    QDir fds(QStringLiteral("/proc/self/fd"));
    for (const QString &fd : fds.entryList(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::System))
        QVERIFY(QFile::symLinkTarget(fds.filePath(fd)) != QStringLiteral("/dev/cpu_dma_latency"));
}

void TestMessagePassing::overLimit_data()
{
    QTest::addColumn<Transport>("transport");
    QTest::addColumn<std::uint32_t>("size");
    QTest::addColumn<std::uint32_t>("depth");
    QTest::addColumn<QByteArray>("mustSay"); // '|'-separated pieces the error must contain
    const IpcLimits lim = readIpcLimits();
    if (lim.mqMsgsizeMax > 0 && lim.mqMsgsizeMax < long(limits::kMaxMessageSize)) {
        const auto over = std::uint32_t(lim.mqMsgsizeMax * 2);
        QTest::addRow("posix-mq message over msgsize_max")
            << Transport::PosixMq << over << 0U
            << QByteArray("primitive.messageSize: " + QByteArray::number(over) +
                          " bytes is over this machine's POSIX message-queue limit of " +
                          QByteArray::number(qlonglong(lim.mqMsgsizeMax)) + " (/proc/sys/fs/mqueue/msgsize_max)|sysctl");
    }
    if (lim.mqMsgMax > 0)
        QTest::addRow("posix-mq depth over msg_max")
            << Transport::PosixMq << 64U << std::uint32_t(lim.mqMsgMax + 1)
            << QByteArray("primitive.queueDepth|" + QByteArray::number(qlonglong(lim.mqMsgMax)) + "|/proc/sys/fs/mqueue/msg_max");
    if (lim.sysvMsgMax > 0 && lim.sysvMsgMax < long(limits::kMaxMessageSize))
        QTest::addRow("sysv-mq message over msgmax")
            << Transport::SysvMq << std::uint32_t(lim.sysvMsgMax + 1) << 0U
            << QByteArray("primitive.messageSize|" + QByteArray::number(qlonglong(lim.sysvMsgMax)) + "|/proc/sys/kernel/msgmax");
    if (lim.unixMaxDgramQlen > 0)
        QTest::addRow("unix-dgram depth over max_dgram_qlen")
            << Transport::UnixDgram << 64U << std::uint32_t(lim.unixMaxDgramQlen + 1)
            << QByteArray("primitive.queueDepth|/proc/sys/net/unix/max_dgram_qlen");
    QTest::addRow("shm-channel ring over 1 GiB")
        << Transport::ShmChannel << (1U << 20) << 2048U << QByteArray("primitive.queueDepth|MiB");
}

// A request beyond the machine's limits is refused before anything runs, with the parameter,
// the limit and where it comes from named; nothing is created or left behind.
void TestMessagePassing::overLimit()
{
    QFETCH(Transport, transport);
    QFETCH(std::uint32_t, size);
    QFETCH(std::uint32_t, depth);
    QFETCH(QByteArray, mustSay);
    ExperimentSpec spec = messagingSpec(transport, MessagePattern::PingPong, ExecutionModel::Processes, size);
    spec.messaging.queueDepth = depth;
    try {
        const RunResult r = run(spec);
        QFAIL(QByteArray("the request was not refused: " + describe(r)).constData());
    } catch (const std::runtime_error &e) {
        for (const QByteArray &piece : mustSay.split('|'))
            QVERIFY2(std::strstr(e.what(), piece.constData()) != nullptr,
                     QByteArray(QByteArray("error lacks \"") + piece + "\": " + e.what()).constData());
    }
}

// More POSIX queues than this user's RLIMIT_MSGQUEUE allows: refused plainly, naming the limit.
void TestMessagePassing::posixQueueMemoryLimit()
{
    const IpcLimits lim = readIpcLimits();
    if (lim.mqBytesRlimit == UINT64_MAX || lim.mqMsgsizeMax <= 0 || lim.mqMsgDefault <= 0)
        QSKIP("RLIMIT_MSGQUEUE is unlimited here: there is no limit to run into");
    const std::uint64_t perQueue = posixMqCharge(std::uint64_t(lim.mqMsgDefault), std::uint64_t(lim.mqMsgsizeMax));
    const std::uint64_t queues = lim.mqBytesRlimit / perQueue + 1;
    ExperimentSpec spec = messagingSpec(Transport::PosixMq, MessagePattern::Streaming, ExecutionModel::Threads,
                                        std::uint32_t(lim.mqMsgsizeMax));
    spec.workers = std::uint32_t(2 * queues);
    spec.placement = PlacementPolicy::Unpinned;
    try {
        run(spec);
        QFAIL("more queues than RLIMIT_MSGQUEUE allows were not refused");
    } catch (const std::runtime_error &e) {
        QVERIFY2(std::strstr(e.what(), "RLIMIT_MSGQUEUE") != nullptr, e.what());
        QVERIFY2(std::strstr(e.what(), "ulimit -q") != nullptr, e.what());
    }
}

void TestMessagePassing::badSpecs_data()
{
    QTest::addColumn<int>("workers");
    QTest::addColumn<ExecutionModel>("execution");
    QTest::addColumn<Transport>("transport");
    QTest::addColumn<WakeStrategy>("wake");
    QTest::addColumn<QByteArray>("mustSay");
    QTest::addRow("odd worker count") << 3 << ExecutionModel::Threads << Transport::Pipe << WakeStrategy::Blocking
                                      << QByteArray("workers: ");
    QTest::addRow("sequential") << 1 << ExecutionModel::Sequential << Transport::Pipe << WakeStrategy::Blocking
                                << QByteArray("execution: ");
    QTest::addRow("spinning pipe") << 2 << ExecutionModel::Threads << Transport::Pipe << WakeStrategy::Spinning
                                   << QByteArray("primitive.wake: ");
}

void TestMessagePassing::badSpecs()
{
    QFETCH(int, workers);
    QFETCH(ExecutionModel, execution);
    QFETCH(Transport, transport);
    QFETCH(WakeStrategy, wake);
    QFETCH(QByteArray, mustSay);
    ExperimentSpec spec = messagingSpec(transport, MessagePattern::PingPong, execution, 64, wake);
    spec.workers = std::uint32_t(workers);
    spec.placement = PlacementPolicy::Unpinned;
    if (execution == ExecutionModel::Sequential) {
        spec.durationNs = 0;
        spec.operationsPerWorker = 10;
    }
    try {
        run(spec);
        QFAIL("the experiment was not refused");
    } catch (const std::runtime_error &e) {
        QVERIFY2(std::strncmp(e.what(), mustSay.constData(), std::size_t(mustSay.size())) == 0, e.what());
    }
}

void TestMessagePassing::peerKilled_data()
{
    QTest::addColumn<Transport>("transport");
    QTest::addColumn<WakeStrategy>("wake");
    QTest::addColumn<MessagePattern>("pattern");
    QTest::addColumn<int>("victim");
    for (const auto &[t, w] : kAllTransports) {
        QTest::addRow("%s ping-pong, responder killed", transportName(t, w).constData())
            << t << w << MessagePattern::PingPong << 1;
        QTest::addRow("%s ping-pong, initiator killed", transportName(t, w).constData())
            << t << w << MessagePattern::PingPong << 0;
    }
    QTest::addRow("pipe streaming, receiver killed") << Transport::Pipe << WakeStrategy::Blocking << MessagePattern::Streaming << 1;
    QTest::addRow("sysv-mq streaming, sender killed") << Transport::SysvMq << WakeStrategy::Blocking << MessagePattern::Streaming << 0;
    QTest::addRow("shm-channel streaming, receiver killed")
        << Transport::ShmChannel << WakeStrategy::Blocking << MessagePattern::Streaming << 1;
}

// SIGKILL one worker process mid-run: the run fails naming that worker, the survivor's blocking
// call returns (it is not left for the supervisor's SIGKILL) and it says why it stopped.
void TestMessagePassing::peerKilled()
{
    QFETCH(Transport, transport);
    QFETCH(WakeStrategy, wake);
    QFETCH(MessagePattern, pattern);
    QFETCH(int, victim);
    SKIP_FORKED_WORKERS_UNDER_TSAN(ExecutionModel::Processes);
    ExperimentSpec spec = messagingSpec(transport, pattern, ExecutionModel::Processes, 256, wake);
    spec.durationNs = 30'000'000'000ULL;
    StatsRing ring = StatsRing::createAnonymous(spec.workers, recommendedLaneCapacity(spec.sampleIntervalNs));
    bool killed = false;
    RunHooks hooks;
    hooks.onProgress = [&](const RunProgress &p) {
        if (killed || std::strcmp(p.phase, "measuring") != 0 || p.opsDone == 0)
            return;
        const auto *prod = reinterpret_cast<const clab_lane_producer *>(ring.lane(std::uint32_t(victim)));
        const int pid = std::atomic_ref<const std::int32_t>(prod->pid).load();
        if (pid > 0 && kill(pid, SIGKILL) == 0)
            killed = true;
    };
    QElapsedTimer timer;
    timer.start();
    const RunResult r = runExperiment(spec, ring, SupervisorOptions{}, hooks);
    const qint64 ms = timer.elapsed();
    QVERIFY(killed);
    QVERIFY2(r.status == "failed", describe(r).constData());
    const QByteArray error = QByteArray::fromStdString(r.error);
    const QByteArray victimName = "worker " + QByteArray::number(victim);
    QVERIFY2(error.contains(victimName) && error.contains("SIGKILL"), describe(r).constData());
    const int survivor = victim ^ 1;
    // The survivor ended on its own (its blocking call returned), not by the supervisor's kill.
    QVERIFY2(r.workers[std::size_t(survivor)].exitState == "finished", describe(r).constData());
    const ResultCheck *ended = findCheck(r, "pairsEndedCleanly");
    QVERIFY(ended);
    QVERIFY(!ended->passed);
    QVERIFY2(QByteArray::fromStdString(ended->detail).contains(victimName), ended->detail.c_str());
    QVERIFY2(ms < 10'000, "the run took far too long to end after a peer died");
}

void TestMessagePassing::runnerKilled_data()
{
    QTest::addColumn<QString>("transport");
    QTest::addColumn<QString>("execution");
    for (const char *t : {"sysv-mq", "fifo", "posix-mq"}) {
        for (const char *e : {"threads", "processes"})
            QTest::addRow("%s %s", t, e) << QString::fromLatin1(t) << QString::fromLatin1(e);
    }
}

// SIGKILL the runner itself mid-run: its workers die with it, and the clean-up process removes
// the System V queues (which have no name to remove early), then exits.
void TestMessagePassing::runnerKilled()
{
    QFETCH(QString, transport);
    QFETCH(QString, execution);
    QProcess client;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("TMPDIR"), m_tmp.path());
    client.setProcessEnvironment(env);
    client.start(QStringLiteral(CLAB_MP_CLIENT), {transport, execution});
    QVERIFY2(client.waitForStarted(5000), qPrintable(client.errorString()));
    QByteArray line;
    QElapsedTimer timer;
    timer.start();
    while (!line.startsWith("measuring") && timer.elapsed() < 15'000) {
        if (!client.canReadLine())
            client.waitForReadyRead(200);
        if (client.canReadLine())
            line = client.readLine().trimmed();
        QVERIFY2(!line.startsWith("error"), line.constData());
    }
    QVERIFY2(line.startsWith("measuring"), "the client did not start measuring");
    QList<int> pids;
    for (const QByteArray &p : line.split(' ').mid(1))
        pids.append(p.toInt());
    const int runnerPid = pids.takeFirst();
    QVERIFY(!pids.isEmpty()); // at least the clean-up process
    const QSet<int> sysvDuring = sysvQueueIds();
    if (transport == QLatin1String("sysv-mq"))
        QVERIFY2(sysvDuring.size() > m_sysvBefore.size(), "the run's System V queues are not visible");
    QCOMPARE(kill(runnerPid, SIGKILL), 0);
    QVERIFY(client.waitForFinished(5000));
    QTRY_VERIFY_WITH_TIMEOUT(std::all_of(pids.begin(), pids.end(), processGone), 5000);
    QTRY_VERIFY_WITH_TIMEOUT((sysvQueueIds() - m_sysvBefore).isEmpty(), 5000);
    if (!m_mqDir.isEmpty()) {
        const QString prefix = QStringLiteral("clab-mq-%1-").arg(runnerPid);
        const QStringList names = QDir(m_mqDir).entryList(QDir::Files | QDir::System);
        for (const QString &n : names)
            QVERIFY2(!n.startsWith(prefix), qPrintable(QStringLiteral("POSIX queue left behind: ") + n));
    }
    // cleanup() checks the FIFO directory and our own children.
}

void TestMessagePassing::shmRingAgainstLockedBaseline_data()
{
    QTest::addColumn<int>("impl"); // 0: ring blocking, 1: ring spinning, 2: locked baseline
    QTest::addColumn<std::uint32_t>("size");
    for (std::uint32_t n : {1U, 64U, 100U, 4096U}) {
        QTest::addRow("ring blocking %u B", n) << 0 << n;
        QTest::addRow("ring spinning %u B", n) << 1 << n;
        QTest::addRow("locked baseline %u B", n) << 2 << n;
    }
}

// The ring and its naive baseline behind the same interface move a long stream in order, through
// a small ring that fills and empties many times (so both wait paths are taken).
void TestMessagePassing::shmRingAgainstLockedBaseline()
{
    QFETCH(int, impl);
    QFETCH(std::uint32_t, size);
    constexpr std::uint64_t kSlots = 8, kMessages = 20'000;
    const std::uint64_t bytes = std::max(ShmRingHeader::bytesFor(kSlots, size), LockedShmQueue::bytesFor(kSlots, size));
    std::vector<std::byte> storage(bytes + 64);
    void *mem = reinterpret_cast<void *>((reinterpret_cast<std::uintptr_t>(storage.data()) + 63) & ~std::uintptr_t{63});
    std::atomic<bool> interrupt{false};
    std::uint64_t bad = 0;
    auto body = [&](auto tx, auto rx) {
        std::thread consumer([&] {
            std::vector<std::byte> buf(size);
            for (std::uint64_t i = 0; i < kMessages; ++i) {
                if (rx.receive(buf.data(), size) != ChannelStatus::Ok)
                    return;
                std::uint64_t v = 0;
                std::memcpy(&v, buf.data(), std::min<std::size_t>(size, 8));
                const std::uint64_t want = size >= 8 ? i : i & ((1ULL << (8 * size)) - 1);
                bad += v != want;
            }
        });
        std::vector<std::byte> buf(size);
        for (std::uint64_t i = 0; i < kMessages; ++i) {
            std::memcpy(buf.data(), &i, std::min<std::size_t>(size, 8));
            QCOMPARE(tx.send(buf.data(), size), ChannelStatus::Ok);
        }
        consumer.join();
    };
    if (impl == 2) {
        LockedShmQueue *q = nullptr;
        QCOMPARE(LockedShmQueue::create(mem, kSlots, size, &q), 0);
        body(LockedShmEndpoint(q, &interrupt), LockedShmEndpoint(q, &interrupt));
        q->destroy();
    } else {
        ShmRingHeader *h = ShmRingHeader::create(mem, kSlots, size);
        if (impl == 0)
            body(ShmRingProducer<ShmWait::Blocking>(h, &interrupt), ShmRingConsumer<ShmWait::Blocking>(h, &interrupt));
        else
            body(ShmRingProducer<ShmWait::Spinning>(h, &interrupt), ShmRingConsumer<ShmWait::Spinning>(h, &interrupt));
        QCOMPARE(h->head.load(), kMessages);
        QCOMPARE(h->tail.load(), kMessages);
        QCOMPARE(h->sizeGuess(), std::uint64_t{0});
    }
    QCOMPARE(bad, std::uint64_t{0});
}

void TestMessagePassing::shmRingWakeUps_data()
{
    QTest::addColumn<std::uint64_t>("slots");
    QTest::addColumn<std::uint64_t>("messages");
    QTest::addColumn<std::uint64_t>("yieldOneIn"); // each side yields at random, about one step in this many
    QTest::addRow("1 slot, yields") << std::uint64_t{1} << std::uint64_t{40'000} << std::uint64_t{6};
    QTest::addRow("4 slots, rare yields") << std::uint64_t{4} << std::uint64_t{100'000} << std::uint64_t{512};
    QTest::addRow("64 slots, no yields") << std::uint64_t{64} << std::uint64_t{400'000} << std::uint64_t{0};
}

// The blocking ring's sleep and wake-up under churn: each side keeps going to sleep just as the
// other makes progress. A lost wake-up leaves both asleep; the watchdog then interrupts them and
// the test fails instead of hanging.
void TestMessagePassing::shmRingWakeUps()
{
    QFETCH(std::uint64_t, slots);
    QFETCH(std::uint64_t, messages);
    QFETCH(std::uint64_t, yieldOneIn);
    constexpr std::uint32_t size = 16;
    std::vector<std::byte> storage(ShmRingHeader::bytesFor(slots, size) + 64);
    void *mem = reinterpret_cast<void *>((reinterpret_cast<std::uintptr_t>(storage.data()) + 63) & ~std::uintptr_t{63});
    ShmRingHeader *h = ShmRingHeader::create(mem, slots, size);
    std::atomic<bool> interrupt{false};
    std::atomic<bool> done{false};
    std::uint64_t received = 0, bad = 0;
    std::thread watchdog([&] {
        const std::uint64_t until = monotonicNs() + 20'000'000'000ULL;
        while (!done.load() && monotonicNs() < until)
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        if (done.load())
            return;
        interrupt.store(true);
        // Kick both sides out of their futex waits (a wake-up with nobody asleep is harmless).
        for (int i = 0; i < 100 && !done.load(); ++i) {
            syscall(SYS_futex, reinterpret_cast<std::uint32_t *>(&h->head), FUTEX_WAKE, INT_MAX, nullptr, nullptr, 0);
            syscall(SYS_futex, reinterpret_cast<std::uint32_t *>(&h->tail), FUTEX_WAKE, INT_MAX, nullptr, nullptr, 0);
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
    });
    std::thread consumer([&] {
        ShmRingConsumer<ShmWait::Blocking> rx(h, &interrupt);
        std::uint64_t rng = 0x9E3779B97F4A7C15ULL;
        std::byte buf[size];
        for (std::uint64_t i = 0; i < messages; ++i) {
            if (rx.receive(buf, size) != ChannelStatus::Ok)
                return;
            std::uint64_t v = 0;
            std::memcpy(&v, buf, 8);
            bad += v != i;
            ++received;
            rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
            if (yieldOneIn != 0 && rng % yieldOneIn == 0)
                sched_yield();
        }
    });
    ShmRingProducer<ShmWait::Blocking> tx(h, &interrupt);
    std::uint64_t rng = 0x2545F4914F6CDD1DULL;
    std::byte buf[size] = {};
    for (std::uint64_t i = 0; i < messages; ++i) {
        std::memcpy(buf, &i, 8);
        if (tx.send(buf, size) != ChannelStatus::Ok)
            break;
        rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
        if (yieldOneIn != 0 && rng % (yieldOneIn + 1) == 0)
            sched_yield();
    }
    consumer.join();
    done.store(true);
    watchdog.join();
    QVERIFY2(!interrupt.load(), "producer and consumer were both asleep: a wake-up was lost");
    QCOMPARE(received, messages);
    QCOMPARE(bad, std::uint64_t{0});
    QCOMPARE(h->consumerWaitsFor.load(), std::uint64_t{0});
}

// The blocking ring's sleep word holds the index that ends the sleep. A waker clears it (and makes
// the wake-up call) only when its own progress reaches that index: a waker that read the word for
// an earlier sleep must not clear a later one, or that later sleep would never be woken.
void TestMessagePassing::shmRingWakerClearsOnlyWhatItSatisfies()
{
    std::vector<std::byte> storage(ShmRingHeader::bytesFor(4, 8) + 64);
    void *mem = reinterpret_cast<void *>((reinterpret_cast<std::uintptr_t>(storage.data()) + 63) & ~std::uintptr_t{63});
    ShmRingHeader *h = ShmRingHeader::create(mem, 4, 8);
    h->consumerWaitsFor.store(7); // asleep until head reaches 7
    shm_detail::wakeIfWaiting(h->consumerWaitsFor, 6, h->head);
    QCOMPARE(h->consumerWaitsFor.load(), std::uint64_t{7});
    shm_detail::wakeIfWaiting(h->consumerWaitsFor, 7, h->head);
    QCOMPARE(h->consumerWaitsFor.load(), std::uint64_t{0});
    shm_detail::wakeIfWaiting(h->consumerWaitsFor, 8, h->head); // nobody asleep: nothing to do
    QCOMPARE(h->consumerWaitsFor.load(), std::uint64_t{0});
    // Through the real ends: a consumer asleep for a second message is not cleared by the first.
    std::atomic<bool> never{false};
    ShmRingProducer<ShmWait::Blocking> tx(h, &never);
    h->consumerWaitsFor.store(2);
    std::byte msg[8] = {};
    QCOMPARE(tx.send(msg, 8), ChannelStatus::Ok); // head 1: does not satisfy a wait for 2
    QCOMPARE(h->consumerWaitsFor.load(), std::uint64_t{2});
    QCOMPARE(tx.send(msg, 8), ChannelStatus::Ok); // head 2: does
    QCOMPARE(h->consumerWaitsFor.load(), std::uint64_t{0});
}

// queued() of both ends of the ring and of its baseline: the messages sent and not yet received.
void TestMessagePassing::shmQueuedCounts()
{
    constexpr std::uint64_t kSlots = 4;
    constexpr std::uint32_t size = 24;
    const std::uint64_t bytes = std::max(ShmRingHeader::bytesFor(kSlots, size), LockedShmQueue::bytesFor(kSlots, size));
    std::vector<std::byte> storage(bytes + 64);
    void *mem = reinterpret_cast<void *>((reinterpret_cast<std::uintptr_t>(storage.data()) + 63) & ~std::uintptr_t{63});
    std::atomic<bool> never{false};
    std::byte msg[size] = {};
    auto exercise = [&](auto tx, auto rx) {
        QCOMPARE(tx.queued(), std::uint64_t{0});
        for (int i = 0; i < 3; ++i)
            QCOMPARE(tx.send(msg, size), ChannelStatus::Ok);
        QCOMPARE(tx.queued(), std::uint64_t{3});
        QCOMPARE(rx.queued(), std::uint64_t{3});
        QCOMPARE(rx.receive(msg, size), ChannelStatus::Ok);
        QCOMPARE(tx.queued(), std::uint64_t{2});
        QCOMPARE(rx.queued(), std::uint64_t{2});
        for (int i = 0; i < 2; ++i)
            QCOMPARE(tx.send(msg, size), ChannelStatus::Ok);
        QCOMPARE(rx.queued(), kSlots); // full
        for (std::uint64_t i = 0; i < kSlots; ++i)
            QCOMPARE(rx.receive(msg, size), ChannelStatus::Ok);
        QCOMPARE(tx.queued(), std::uint64_t{0});
    };
    ShmRingHeader *h = ShmRingHeader::create(mem, kSlots, size);
    exercise(ShmRingProducer<ShmWait::Blocking>(h, &never), ShmRingConsumer<ShmWait::Blocking>(h, &never));
    h = ShmRingHeader::create(mem, kSlots, size);
    exercise(ShmRingProducer<ShmWait::Spinning>(h, &never), ShmRingConsumer<ShmWait::Spinning>(h, &never));
    LockedShmQueue *q = nullptr;
    QCOMPARE(LockedShmQueue::create(mem, kSlots, size, &q), 0);
    exercise(LockedShmEndpoint(q, &never), LockedShmEndpoint(q, &never));
    q->destroy();
}

namespace {

// What a run's figures say a transport holds, in messages: `queueDepth`, or for a byte stream
// whose buffer counts bytes (unix-stream) the buffer over the message size, which the kernel's
// per-send overhead keeps well above what really fits.
double capacityInMessages(const RunResult &r, std::uint32_t size)
{
    if (const NamedFigure *d = findFigure(r, "queueDepth"); d && d->value > 0)
        return d->value;
    if (const NamedFigure *b = findFigure(r, "bufferBytes"); b && b->value > 0)
        return std::floor(b->value / size);
    return 0;
}

QByteArray gaugeTrace(const RunResult &r)
{
    QByteArray out;
    for (const SeriesPoint &p : r.series)
        out += " w" + QByteArray::number(p.worker) + ":" + QByteArray::number(qlonglong(p.sample.gauge0));
    return out;
}

} // namespace

void TestMessagePassing::queueDepthSlowReceiver_data()
{
    QTest::addColumn<Transport>("transport");
    QTest::addColumn<WakeStrategy>("wake");
    QTest::addColumn<std::uint32_t>("size");
    QTest::addColumn<std::uint32_t>("depth"); // primitive.queueDepth (0: the transport's default)
    // Each channel holds well over 256 messages (see below why).
    QTest::addRow("pipe") << Transport::Pipe << WakeStrategy::Blocking << 64U << 0U;          // 64 KiB: 1024
    QTest::addRow("fifo") << Transport::Fifo << WakeStrategy::Blocking << 64U << 0U;          // 1024
    QTest::addRow("posix-mq") << Transport::PosixMq << WakeStrategy::Blocking << 64U << 1024U; // msg_max raised below
    QTest::addRow("sysv-mq") << Transport::SysvMq << WakeStrategy::Blocking << 32U << 0U;     // 16 KiB: 512
    QTest::addRow("unix-stream") << Transport::UnixStream << WakeStrategy::Blocking << 64U << 3000U; // about 500 fit
    QTest::addRow("shm-channel blocking") << Transport::ShmChannel << WakeStrategy::Blocking << 64U << 0U; // 4096
    QTest::addRow("shm-channel spinning") << Transport::ShmChannel << WakeStrategy::Spinning << 64U << 0U;
}

// Streaming with a receiver slower than its sender: the receiver process is stopped (SIGSTOP) for
// a tenth of a second, three times, so the sender fills the channel and blocks. Gauge 0, the
// messages waiting in the channel, must then be seen above 0 and never above the capacity.
// Why a sample above 0 is certain: a stopped receiver resumes with a full channel and, having
// been away for more than a sample interval, publishes at its next clock check, which the worker
// loop makes at most 256 operations later; each takes one message out, so a channel of more than
// 256 messages still holds some then (its sender only adds).
void TestMessagePassing::queueDepthSlowReceiver()
{
    QFETCH(Transport, transport);
    QFETCH(WakeStrategy, wake);
    QFETCH(std::uint32_t, size);
    QFETCH(std::uint32_t, depth);
    SKIP_FORKED_WORKERS_UNDER_TSAN(ExecutionModel::Processes); // a thread cannot be stopped alone
    // POSIX queues hold at most fs.mqueue.msg_max messages (10 by default): raised for this row,
    // in this test's own IPC namespace only, and put back after.
    QByteArray oldMsgMax;
    QFile msgMax(QStringLiteral("/proc/sys/fs/mqueue/msg_max"));
    if (transport == Transport::PosixMq) {
        if (!m_privateIpc)
            QSKIP("no private IPC namespace: fs.mqueue.msg_max (10) cannot be raised for this test alone");
        if (!msgMax.open(QIODevice::ReadWrite))
            QSKIP("fs.mqueue.msg_max cannot be written here (not root in this IPC namespace)");
        oldMsgMax = msgMax.readAll().trimmed();
        msgMax.seek(0);
        QVERIFY(msgMax.write(QByteArray::number(depth) + '\n') > 0);
        msgMax.close();
    }
    auto restoreMsgMax = qScopeGuard([&] {
        if (!oldMsgMax.isEmpty() && msgMax.open(QIODevice::WriteOnly))
            msgMax.write(oldMsgMax + '\n');
    });
    ExperimentSpec spec = messagingSpec(transport, MessagePattern::Streaming, ExecutionModel::Processes, size, wake);
    spec.messaging.queueDepth = depth;
    spec.durationNs = 800'000'000;
    StatsRing ring = StatsRing::createAnonymous(spec.workers, recommendedLaneCapacity(spec.sampleIntervalNs));
    bool stopped = false;
    int pauses = 0;
    int receiverPid = 0;
    RunHooks hooks;
    hooks.onProgress = [&](const RunProgress &p) {
        if (receiverPid <= 0) {
            const auto *prod = reinterpret_cast<const clab_lane_producer *>(ring.lane(1));
            receiverPid = std::atomic_ref<const std::int32_t>(prod->pid).load();
        }
        if (receiverPid <= 0)
            return;
        if (stopped) { // one progress tick (about 100 ms) later, whatever the phase
            kill(receiverPid, SIGCONT);
            stopped = false;
            ++pauses;
            return;
        }
        const bool roomLeft = p.plannedNs > p.elapsedNs + 300'000'000;
        if (pauses < 3 && std::strcmp(p.phase, "measuring") == 0 && roomLeft && kill(receiverPid, SIGSTOP) == 0)
            stopped = true;
    };
    const RunResult r = runExperiment(spec, ring, SupervisorOptions{}, hooks);
    QVERIFY2(!stopped, "the receiver was left stopped");
    QVERIFY2(r.status == "finished", describe(r).constData());
    QVERIFY2(pauses > 0, "the receiver was never stopped");
    VERIFY_CHECK(r, "allDelivered");
    VERIFY_CHECK(r, "pairsEndedCleanly");
    const double capacity = capacityInMessages(r, size);
    QVERIFY2(capacity > 256, QByteArray("the channel must hold more than 256 messages for this test, it holds " +
                                        QByteArray::number(capacity)).constData());
    std::int64_t maxSeen[2] = {0, 0};
    for (const SeriesPoint &p : r.series) {
        QVERIFY2(p.sample.gauge0 >= 0 && double(p.sample.gauge0) <= capacity,
                 QByteArray("gauge0 " + QByteArray::number(qlonglong(p.sample.gauge0)) + " of worker " +
                            QByteArray::number(p.worker) + " outside 0.." + QByteArray::number(capacity))
                     .constData());
        maxSeen[p.worker & 1] = std::max(maxSeen[p.worker & 1], p.sample.gauge0);
    }
    QVERIFY2(maxSeen[1] > 0, QByteArray("the receiver never saw a message waiting:" + gaugeTrace(r)).constData());
    // Both sides publish the same quantity. The sender's first check after a pause also comes
    // within 256 of its own sends, by which time the receiver would have to have taken the whole
    // channel and 256 more to leave it empty: not certain like the above, but three pauses make it so.
    QVERIFY2(maxSeen[0] > 0, QByteArray("the sender never saw a message waiting:" + gaugeTrace(r)).constData());
    qInfo("capacity %.0f messages; most seen waiting: sender %lld, receiver %lld", capacity,
          static_cast<long long>(maxSeen[0]), static_cast<long long>(maxSeen[1]));
}

void TestMessagePassing::queueDepthPingPong_data()
{
    QTest::addColumn<Transport>("transport");
    QTest::addColumn<WakeStrategy>("wake");
    for (const auto &[t, w] : kAllTransports)
        QTest::addRow("%s", transportName(t, w).constData()) << t << w;
}

// Ping-pong has at most one message in the forward channel (the initiator waits for each echo);
// unix-dgram publishes no depth at all (the kernel gives no count of waiting datagrams).
void TestMessagePassing::queueDepthPingPong()
{
    QFETCH(Transport, transport);
    QFETCH(WakeStrategy, wake);
    ExperimentSpec spec = messagingSpec(transport, MessagePattern::PingPong, ExecutionModel::Threads, 100, wake);
    if (wake == WakeStrategy::Spinning)
        spec.durationNs = 400'000'000;
    const RunResult r = run(spec);
    QVERIFY2(r.status == "finished", describe(r).constData());
    QVERIFY(!r.series.empty());
    for (const SeriesPoint &p : r.series) {
        if (transport == Transport::UnixDgram)
            QVERIFY2(p.sample.gauge0 == 0, gaugeTrace(r).constData());
        else
            QVERIFY2(p.sample.gauge0 >= 0 && p.sample.gauge0 <= 1, gaugeTrace(r).constData());
    }
}

QTEST_GUILESS_MAIN(TestMessagePassing)
#include "tst_message_passing.moc"
