// Tests of the shared-memory stats ring: segment life cycle, the SPSC protocol across processes
// and threads, wrap-around, two consumers, histograms and final blocks.
#include "stats_ring.h"

#include "tsan_qt_suppressions.h"

#include <QDir>
#include <QRegularExpression>
#include <QTest>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <functional>
#include <optional>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdexcept>
#include <string>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <system_error>
#include <thread>
#include <unistd.h>
#include <vector>

using namespace clab;

namespace {

using Clock = std::chrono::steady_clock;

// How long a test waits for a condition before it fails (never a fixed sleep: a bound on a wait).
constexpr std::chrono::seconds kWaitLimit{60};

std::uint64_t mix(std::uint64_t x)
{
    // splitmix64's finaliser: every output bit depends on every input bit.
    x += 0x9E3779B97F4A7C15ULL;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
    return x ^ (x >> 31);
}

// The sample a stress producer publishes as attempt `seq` of `total` on `lane`. Every field is a
// function of (lane, seq), several of them hashes, so a torn or stale slot cannot pass for a
// good one: the checker rebuilds the sample from t_ns and compares all 128 bytes.
clab_sample sampleFor(std::uint32_t lane, std::uint64_t seq, std::uint64_t total)
{
    clab_sample s{};
    s.t_ns = seq;
    s.ops = seq + 1; // cumulative: the attempts so far, dropped ones included
    s.bytes = mix(seq ^ (std::uint64_t{lane} << 48));
    s.wait_ns = seq * 3;
    s.hold_ns = ~seq;
    s.contended = lane;
    s.latency_count = seq + 1;
    s.latency_sum_ns = mix(s.bytes);
    s.user_ns = mix(s.latency_sum_ns);
    s.sys_ns = seq << 7;
    s.vol_csw = seq ^ 0x5555555555555555ULL;
    s.invol_csw = mix(s.user_ns ^ seq);
    s.gauge0 = static_cast<std::int64_t>(lane);
    s.gauge1 = -static_cast<std::int64_t>(seq);
    s.state = CLAB_WORKER_RUNNING;
    s.cpu = static_cast<std::int32_t>(lane);
    s.flags = seq + 1 == total ? CLAB_SAMPLE_FINAL : 0u;
    s.reserved0 = static_cast<std::uint32_t>(mix(s.invol_csw) >> 32);
    return s;
}

bool sameSample(const clab_sample &a, const clab_sample &b)
{
    return std::memcmp(&a, &b, sizeof a) == 0; // no padding: all 128 bytes are fields
}

std::string shmPath(const std::string &name) { return "/dev/shm" + name; }

bool shmExists(const std::string &name)
{
    struct stat st {};
    return ::stat(shmPath(name).c_str(), &st) == 0;
}

// Segments this process created and left behind (names are "/clab-<pid>-<hex>").
QStringList leftoverSegments()
{
    const QString pattern = QStringLiteral("clab-%1-*").arg(getpid());
    return QDir(QStringLiteral("/dev/shm")).entryList({pattern}, QDir::Files | QDir::System | QDir::Hidden);
}

template<class Pred>
bool waitUntil(Pred &&pred, std::chrono::milliseconds limit = kWaitLimit)
{
    const auto end = Clock::now() + limit;
    while (!pred()) {
        if (Clock::now() > end)
            return false;
        sched_yield();
    }
    return true;
}

// Removes a name on scope exit if the test failed before it did.
struct ShmNameGuard {
    std::string name;
    ~ShmNameGuard()
    {
        if (!name.empty())
            shm_unlink(name.c_str());
    }
};

// Forked producers: reaped by the test, killed and reaped here if the test bailed out early.
class Children {
public:
    ~Children()
    {
        for (auto &c : m_children) {
            if (!c.reaped) {
                kill(c.pid, SIGKILL);
                waitpid(c.pid, nullptr, 0);
            }
        }
    }
    void add(pid_t pid) { m_children.push_back({pid, false, 0}); }
    std::size_t size() const { return m_children.size(); }
    pid_t pid(std::size_t i) const { return m_children[i].pid; }
    bool reaped(std::size_t i) const { return m_children[i].reaped; }
    int status(std::size_t i) const { return m_children[i].status; }
    // Non-blocking: notes which children have exited.
    void poll()
    {
        for (auto &c : m_children) {
            if (!c.reaped && waitpid(c.pid, &c.status, WNOHANG) == c.pid)
                c.reaped = true;
        }
    }
    // Waits (bounded) for child i to exit, on a pidfd so that no sleep is involved.
    bool reap(std::size_t i, std::chrono::milliseconds limit = kWaitLimit)
    {
        auto &c = m_children[i];
        if (c.reaped)
            return true;
        const int fd = static_cast<int>(syscall(SYS_pidfd_open, c.pid, 0));
        if (fd >= 0) {
            pollfd p{fd, POLLIN, 0};
            ::poll(&p, 1, static_cast<int>(limit.count()));
            close(fd);
            if (waitpid(c.pid, &c.status, WNOHANG) == c.pid)
                c.reaped = true;
            return c.reaped;
        }
        // No pidfd (old kernel): poll waitpid within the same bound.
        c.reaped = waitUntil([&] { return waitpid(c.pid, &c.status, WNOHANG) == c.pid; }, limit);
        return c.reaped;
    }

private:
    struct Child {
        pid_t pid;
        bool reaped;
        int status;
    };
    std::vector<Child> m_children;
};

QByteArray describeStatus(int status)
{
    if (WIFEXITED(status))
        return "exited with " + QByteArray::number(WEXITSTATUS(status));
    if (WIFSIGNALED(status))
        return "killed by signal " + QByteArray::number(WTERMSIG(status));
    return "status " + QByteArray::number(status);
}

clab_lane_consumer *consumersOf(const StatsRing &ring, std::uint32_t lane)
{
    // The layout header documents the consumer lines right after the producer's line.
    return reinterpret_cast<clab_lane_consumer *>(ring.lane(lane) + CLAB_CACHE_LINE);
}

clab_lane_producer *producerOf(const StatsRing &ring, std::uint32_t lane)
{
    return reinterpret_cast<clab_lane_producer *>(ring.lane(lane));
}

// ---- the stress producer ----------------------------------------------------------------------

enum class ProducerKind { ForkAttachByName, ForkInheritMapping, Thread };

struct StressPlan {
    ProducerKind kind = ProducerKind::Thread;
    std::uint32_t lanes = 4;
    std::uint32_t capacity = 8;
    std::uint64_t perLane = 0;
    bool waitForRoom = false;      // producer waits (outside publish) until the reader made room
    bool readerStartsLate = false; // reader lets every lane drop before it starts draining
};

// Exit codes of a forked producer.
constexpr int kChildOk = 0;
constexpr int kChildAttachFailed = 2;
constexpr int kChildTimedOut = 3;
constexpr int kChildPublishRefused = 4;

// Publishes plan.perLane samples on `lane`, then the final block. Returns one of kChild*.
int produceLane(const StatsRing &ring, std::uint32_t lane, const StressPlan &plan)
{
    StatsLaneWriter w = ring.writer(lane);
    w.setIdentity(lane, getpid(), static_cast<int>(gettid()));
    w.setState(CLAB_WORKER_RUNNING);
    clab_lane_consumer *cons = consumersOf(ring, lane);
    const auto end = Clock::now() + kWaitLimit;
    std::uint64_t accepted = 0;
    for (std::uint64_t seq = 0; seq < plan.perLane; ++seq) {
        if (plan.waitForRoom) {
            // Flow control outside the ring: wait until every active consumer is less than
            // `capacity` behind. The ring must then accept the sample (no false "full").
            for (;;) {
                std::uint64_t minTail = accepted;
                for (std::uint32_t c = 0; c < CLAB_MAX_CONSUMERS; ++c) {
                    if (std::atomic_ref<std::uint32_t>(cons[c].active).load(std::memory_order_acquire) != 0)
                        minTail = std::min(minTail, std::atomic_ref<std::uint64_t>(cons[c].tail).load(std::memory_order_acquire));
                }
                if (accepted - minTail < plan.capacity)
                    break;
                if (Clock::now() > end)
                    return kChildTimedOut;
                sched_yield();
            }
        }
        if (w.publish(sampleFor(lane, seq, plan.perLane)))
            ++accepted;
        else if (plan.waitForRoom)
            return kChildPublishRefused;
    }
    clab_lane_final f{};
    f.exit_state = CLAB_WORKER_FINISHED;
    f.ops = plan.perLane;
    f.ops_total = plan.perLane;
    f.bytes = mix(plan.perLane ^ lane);
    f.measured_ns = accepted;
    f.end_ns = plan.perLane;
    w.setState(CLAB_WORKER_FINISHED);
    w.writeFinal(f);
    return kChildOk;
}

[[noreturn]] void runForkedProducer(const StatsRing *inherited, const std::string &name, std::uint32_t lane, const StressPlan &plan)
{
    int code = kChildAttachFailed;
    try {
        if (inherited) {
            code = produceLane(*inherited, lane, plan);
        } else {
            const StatsRing ring = StatsRing::attach(name);
            code = produceLane(ring, lane, plan);
        }
    } catch (...) {
        code = kChildAttachFailed;
    }
    _exit(code); // no atexit handlers, no Qt teardown, no stdio flush in the child
}

// What the reader saw on one lane.
struct LaneCheck {
    std::uint64_t delivered = 0;
    std::uint64_t gaps = 0;   // sequence numbers skipped between delivered samples (and after the last)
    std::uint64_t errors = 0;
    std::int64_t lastSeq = -1;
    clab_sample last{};
    std::string firstError;

    void fail(std::string what)
    {
        if (errors++ == 0)
            firstError = std::move(what);
    }
};

} // namespace

Q_DECLARE_METATYPE(ProducerKind)

class TestStatsRing : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void cleanup();

    void uniqueNameIsPrivateAndFresh();
    void createMakesOwnerOnlySegment();
    void createRejectsBadArguments_data();
    void createRejectsBadArguments();
    void createRefusesExistingName();
    void attachSeesSameMemory();
    void attachRejectsCorruptSegment_data();
    void attachRejectsCorruptSegment();
    void createAnonymousLeavesNothing();
    void unlinkTwiceIsSafe();

    void stressAcrossProducers_data();
    void stressAcrossProducers();

    void wrapAroundMatchesModel_data();
    void wrapAroundMatchesModel();

    void twoConsumersLockstep_data();
    void twoConsumersLockstep();
    void twoConsumersConcurrent();
    void inactiveConsumerReleasesProducer_data();
    void inactiveConsumerReleasesProducer();
    void consumerSlotOutOfRangeThrows();
    void readerJoiningWhileProducerRuns();
    void laggingJoinTailNeverReadsAsFreeRoom();

    void histogramThroughRing_data();
    void histogramThroughRing();
    void histogramReadWhileRecording();
    void finalBlockOnlyAfterWrite();
    void laneIdentityStateAndCpuMask();
    void runStateVisibleThroughAttach();
    void resetLaneStatsClearsOnlyStatistics();
};

void TestStatsRing::cleanup()
{
    const QStringList left = leftoverSegments();
    QVERIFY2(left.isEmpty(), qPrintable(QStringLiteral("left in /dev/shm: ") + left.join(QStringLiteral(", "))));
}

// ---- segment life cycle -------------------------------------------------------------------------

void TestStatsRing::uniqueNameIsPrivateAndFresh()
{
    const QRegularExpression shape(QStringLiteral("^/clab-%1-[0-9a-f]{32}$").arg(getpid()));
    std::vector<std::string> seen;
    for (int i = 0; i < 200; ++i) {
        const std::string n = StatsRing::uniqueName();
        QVERIFY2(n.rfind("/clab-", 0) == 0, n.c_str());
        QVERIFY2(shape.match(QString::fromStdString(n)).hasMatch(), n.c_str());
        QVERIFY2(std::find(seen.begin(), seen.end(), n) == seen.end(), ("repeated name " + n).c_str());
        seen.push_back(n);
    }
}

void TestStatsRing::createMakesOwnerOnlySegment()
{
    const std::string name = StatsRing::uniqueName();
    ShmNameGuard guard{name};
    StatsRing ring = StatsRing::create(name, 3, 16);
    QVERIFY(ring.isMapped());
    QCOMPARE(QString::fromStdString(ring.name()), QString::fromStdString(name));

    const int fd = ::open(shmPath(name).c_str(), O_RDONLY | O_CLOEXEC);
    QVERIFY2(fd >= 0, ("cannot open " + shmPath(name)).c_str());
    struct stat st {};
    const int rc = fstat(fd, &st);
    close(fd);
    QCOMPARE(rc, 0);
    QCOMPARE(st.st_mode & 07777u, 0600u);
    QCOMPARE(st.st_uid, geteuid());
    QCOMPARE(quint64(st.st_size), quint64(segmentSize(3, 16)));

    const clab_ring_header *h = ring.header();
    QCOMPARE(quint64(h->magic), quint64(CLAB_RING_MAGIC));
    QCOMPARE(h->layout_version, CLAB_RING_LAYOUT_VERSION);
    QCOMPARE(h->header_size, CLAB_RING_HEADER_SIZE);
    QCOMPARE(h->lane_count, 3u);
    QCOMPARE(h->lane_capacity, 16u);
    QCOMPARE(h->sample_size, quint32(sizeof(clab_sample)));
    QCOMPARE(h->hist_buckets, CLAB_HIST_BUCKETS);
    QCOMPARE(quint64(h->lane_stride), quint64(laneStride(16)));
    QCOMPARE(quint64(h->lane_stride % CLAB_CACHE_LINE), quint64(0));
    QCOMPARE(quint64(h->segment_size), quint64(segmentSize(3, 16)));
    QCOMPARE(ring.runState(), CLAB_RUN_CREATED);
    for (std::uint32_t i = 0; i < 3; ++i) {
        QCOMPARE(producerOf(ring, i)->worker_index, i);
        QCOMPARE(quint64(producerOf(ring, i)->head), quint64(0));
        // Lanes are cache-line aligned so no two workers share a line.
        QCOMPARE(quint64(reinterpret_cast<std::uintptr_t>(ring.lane(i)) % CLAB_CACHE_LINE), quint64(0));
    }

    QVERIFY(ring.unlink());
    QVERIFY(!shmExists(name));
    guard.name.clear();
}

void TestStatsRing::createRejectsBadArguments_data()
{
    QTest::addColumn<quint32>("lanes");
    QTest::addColumn<quint32>("capacity");
    QTest::addColumn<QString>("mentions");

    QTest::addRow("no lanes") << 0u << 8u << QStringLiteral("got 0");
    QTest::addRow("more lanes than the layout allows") << CLAB_MAX_LANES + 1 << 8u << QStringLiteral("got 1025");
    QTest::addRow("capacity 0") << 1u << 0u << QStringLiteral("got 0");
    QTest::addRow("capacity 1 (too small to be a ring)") << 1u << 1u << QStringLiteral("got 1");
    QTest::addRow("capacity 3 (not a power of two)") << 1u << 3u << QStringLiteral("got 3");
    QTest::addRow("capacity 96 (not a power of two)") << 2u << 96u << QStringLiteral("got 96");
}

void TestStatsRing::createRejectsBadArguments()
{
    QFETCH(quint32, lanes);
    QFETCH(quint32, capacity);
    QFETCH(QString, mentions);
    const std::string name = StatsRing::uniqueName();
    ShmNameGuard guard{name};
    try {
        StatsRing r = StatsRing::create(name, lanes, capacity);
        QFAIL("create accepted invalid arguments");
    } catch (const std::invalid_argument &e) {
        QVERIFY2(QString::fromUtf8(e.what()).contains(mentions), e.what());
    }
    QVERIFY2(!shmExists(name), "a rejected create must not leave a segment");
}

void TestStatsRing::createRefusesExistingName()
{
    const std::string name = StatsRing::uniqueName();
    ShmNameGuard guard{name};
    StatsRing first = StatsRing::create(name, 1, 4);
    first.writer(0).publish(sampleFor(0, 7, 8));
    try {
        StatsRing second = StatsRing::create(name, 2, 8);
        QFAIL("create succeeded on a name that exists");
    } catch (const std::system_error &e) {
        QCOMPARE(e.code().value(), EEXIST);
        QVERIFY2(QString::fromUtf8(e.what()).contains(QString::fromStdString(name)), e.what());
    }
    // The existing segment is untouched.
    QCOMPARE(first.laneCount(), 1u);
    QCOMPARE(quint64(producerOf(first, 0)->head), quint64(1));
    QVERIFY(first.unlink());
}

void TestStatsRing::attachSeesSameMemory()
{
    const std::string name = StatsRing::uniqueName();
    ShmNameGuard guard{name};
    StatsRing created = StatsRing::create(name, 2, 8);
    StatsRingReader reader(created, 0);
    {
        StatsRing attached = StatsRing::attach(name);
        QCOMPARE(attached.laneCount(), 2u);
        QCOMPARE(attached.capacity(), 8u);
        QVERIFY(attached.lane(0) != created.lane(0)); // a second mapping, not the same pointer
        StatsLaneWriter w = attached.writer(1);
        QVERIFY(w.publish(sampleFor(1, 0, 3)));
        QVERIFY(w.publish(sampleFor(1, 1, 3)));
    } // unmapping the attached copy leaves the data in the segment
    QCOMPARE(quint64(reader.sizeGuess(1)), quint64(2));
    std::vector<std::uint64_t> seqs;
    std::vector<std::uint32_t> lanes;
    const std::size_t n = reader.drain([&](std::uint32_t lane, const clab_sample &s) {
        lanes.push_back(lane);
        seqs.push_back(s.t_ns);
    });
    QCOMPARE(n, std::size_t{2});
    QCOMPARE(lanes, (std::vector<std::uint32_t>{1, 1}));
    QCOMPARE(seqs, (std::vector<std::uint64_t>{0, 1}));
    QVERIFY(created.unlink());
    guard.name.clear();
}

void TestStatsRing::attachRejectsCorruptSegment_data()
{
    QTest::addColumn<QString>("corruption");
    QTest::addColumn<QString>("mentions");

    QTest::addRow("bad magic") << QStringLiteral("magic") << QStringLiteral("bad magic");
    QTest::addRow("layout version from the future") << QStringLiteral("version") << QStringLiteral("layout version 2");
    QTest::addRow("sample size differs") << QStringLiteral("sample_size") << QStringLiteral("sample or histogram size");
    QTest::addRow("histogram bucket count differs") << QStringLiteral("hist_buckets") << QStringLiteral("sample or histogram size");
    QTest::addRow("capacity not a power of two") << QStringLiteral("capacity") << QStringLiteral("bad lane count or capacity");
    QTest::addRow("lane count zero") << QStringLiteral("lanes") << QStringLiteral("bad lane count or capacity");
    QTest::addRow("segment size field lies") << QStringLiteral("segment_size") << QStringLiteral("sizes do not add up");
    QTest::addRow("segment shorter than its header says") << QStringLiteral("shorter") << QStringLiteral("sizes do not add up");
    QTest::addRow("segment smaller than a header") << QStringLiteral("tiny") << QStringLiteral("too small");
    QTest::addRow("readable by others (mode 0640)") << QStringLiteral("mode") << QStringLiteral("mode must be 0600");
}

void TestStatsRing::attachRejectsCorruptSegment()
{
    QFETCH(QString, corruption);
    QFETCH(QString, mentions);

    // A good ring, then a byte-for-byte copy under another name that gets corrupted.
    const std::string goodName = StatsRing::uniqueName();
    ShmNameGuard goodGuard{goodName};
    StatsRing good = StatsRing::create(goodName, 2, 8);
    QVERIFY(good.writer(0).publish(sampleFor(0, 0, 1)));
    const std::size_t size = segmentSize(2, 8);

    const std::string copyName = StatsRing::uniqueName();
    ShmNameGuard copyGuard{copyName};
    const int fd = shm_open(copyName.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    QVERIFY2(fd >= 0, std::strerror(errno));
    QCOMPARE(ftruncate(fd, static_cast<off_t>(size)), 0);
    void *p = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    QVERIFY(p != MAP_FAILED);
    std::memcpy(p, good.header(), size);
    auto *h = static_cast<clab_ring_header *>(p);

    // Sanity: the unmodified copy attaches.
    {
        StatsRing ok = StatsRing::attach(copyName);
        QCOMPARE(ok.laneCount(), 2u);
    }

    if (corruption == QLatin1String("magic"))
        h->magic ^= 0xFF;
    else if (corruption == QLatin1String("version"))
        h->layout_version = CLAB_RING_LAYOUT_VERSION + 1;
    else if (corruption == QLatin1String("sample_size"))
        h->sample_size = 64;
    else if (corruption == QLatin1String("hist_buckets"))
        h->hist_buckets = CLAB_HIST_BUCKETS / 2;
    else if (corruption == QLatin1String("capacity"))
        h->lane_capacity = 6;
    else if (corruption == QLatin1String("lanes"))
        h->lane_count = 0;
    else if (corruption == QLatin1String("segment_size"))
        h->segment_size += CLAB_CACHE_LINE;
    else if (corruption == QLatin1String("shorter"))
        QCOMPARE(ftruncate(fd, static_cast<off_t>(size - CLAB_CACHE_LINE)), 0);
    else if (corruption == QLatin1String("tiny"))
        QCOMPARE(ftruncate(fd, 100), 0);
    else if (corruption == QLatin1String("mode"))
        QCOMPARE(fchmod(fd, 0640), 0);
    munmap(p, size);
    close(fd);

    try {
        StatsRing bad = StatsRing::attach(copyName);
        QFAIL("attach accepted a corrupt segment");
    } catch (const std::runtime_error &e) {
        const QString msg = QString::fromUtf8(e.what());
        QVERIFY2(msg.contains(mentions), e.what());
        QVERIFY2(msg.contains(QString::fromStdString(copyName)), "the message must name the segment");
    }
    // A failed attach must not remove a segment that is not its own.
    QVERIFY(shmExists(copyName));
    QCOMPARE(shm_unlink(copyName.c_str()), 0);
    copyGuard.name.clear();
    QVERIFY(good.unlink());
    goodGuard.name.clear();
}

void TestStatsRing::createAnonymousLeavesNothing()
{
    const QStringList before = leftoverSegments();
    StatsRing ring = StatsRing::createAnonymous(2, 4);
    QVERIFY(ring.isMapped());
    QVERIFY(!ring.name().empty());
    QVERIFY2(!shmExists(ring.name()), ring.name().c_str());
    QCOMPARE(leftoverSegments(), before);
    QVERIFY(!ring.unlink()); // already gone

    // The mapping works and is shared with a forked child (workers inherit it).
    StatsRingReader reader(ring, 0);
    std::fflush(nullptr);
    Children kids;
    const pid_t pid = fork();
    QVERIFY(pid >= 0);
    if (pid == 0) {
        StatsLaneWriter w = ring.writer(1);
        _exit(w.publish(sampleFor(1, 41, 42)) ? 0 : 1);
    }
    kids.add(pid);
    QVERIFY(kids.reap(0));
    QVERIFY2(WIFEXITED(kids.status(0)) && WEXITSTATUS(kids.status(0)) == 0, describeStatus(kids.status(0)).constData());
    std::optional<clab_sample> got;
    QCOMPARE(reader.drain([&](std::uint32_t, const clab_sample &s) { got = s; }), std::size_t{1});
    QVERIFY(got.has_value());
    QVERIFY(sameSample(*got, sampleFor(1, 41, 42)));
}

void TestStatsRing::unlinkTwiceIsSafe()
{
    const std::string name = StatsRing::uniqueName();
    ShmNameGuard guard{name};
    StatsRing ring = StatsRing::create(name, 1, 2);
    QVERIFY(shmExists(name));
    QVERIFY(ring.unlink());
    QVERIFY(!shmExists(name));
    QVERIFY(!ring.unlink());
    QVERIFY(!ring.unlink());
    QVERIFY(ring.isMapped()); // the mapping outlives the name
    QVERIFY(ring.writer(0).publish(sampleFor(0, 0, 1)));
    try {
        StatsRing again = StatsRing::attach(name);
        QFAIL("attach found an unlinked name");
    } catch (const std::system_error &e) {
        QCOMPARE(e.code().value(), ENOENT);
    }

    // A moved-from ring has nothing to unlink; the moved-to one unlinks once.
    const std::string name2 = StatsRing::uniqueName();
    ShmNameGuard guard2{name2};
    StatsRing a = StatsRing::create(name2, 1, 2);
    StatsRing b = std::move(a);
    QVERIFY(!a.unlink()); // NOLINT(bugprone-use-after-move): the moved-from state is what is tested
    QVERIFY(!a.isMapped());
    QVERIFY(b.unlink());
    QVERIFY(!b.unlink());
    QVERIFY(!shmExists(name2));
}

// ---- the stress test ------------------------------------------------------------------------------

namespace {
std::uint64_t stressSamplesPerLane()
{
    if (const char *env = std::getenv("CLAB_STRESS_SAMPLES"))
        return std::strtoull(env, nullptr, 10);
#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
    return 200'000; // sanitizers slow each access 5-20x; the protocol is exercised all the same
#else
    return 2'000'000;
#endif
}
} // namespace

void TestStatsRing::stressAcrossProducers_data()
{
    QTest::addColumn<ProducerKind>("kind");
    QTest::addColumn<quint32>("capacity");
    QTest::addColumn<bool>("waitForRoom");
    QTest::addColumn<bool>("readerStartsLate");

    QTest::addRow("processes attach by name, capacity 8, slow reader: drops counted")
        << ProducerKind::ForkAttachByName << 8u << false << true;
    QTest::addRow("processes attach by name, capacity 4096, reader keeps up: no drops")
        << ProducerKind::ForkAttachByName << 4096u << true << false;
    QTest::addRow("processes inherit the mapping, capacity 8, slow reader: drops counted")
        << ProducerKind::ForkInheritMapping << 8u << false << true;
    QTest::addRow("processes inherit the mapping, capacity 64, reader keeps up: no drops")
        << ProducerKind::ForkInheritMapping << 64u << true << false;
    QTest::addRow("threads, capacity 8, slow reader: drops counted")
        << ProducerKind::Thread << 8u << false << true;
    QTest::addRow("threads, capacity 4096, reader keeps up: no drops")
        << ProducerKind::Thread << 4096u << true << false;
    QTest::addRow("threads, capacity 2 (minimum), reader keeps up: no drops")
        << ProducerKind::Thread << 2u << true << false;
    QTest::addRow("threads, capacity 16, free-running producers and reader")
        << ProducerKind::Thread << 16u << false << false;
}

void TestStatsRing::stressAcrossProducers()
{
    QFETCH(ProducerKind, kind);
    QFETCH(quint32, capacity);
    QFETCH(bool, waitForRoom);
    QFETCH(bool, readerStartsLate);

    StressPlan plan;
    plan.kind = kind;
    plan.lanes = 4;
    plan.capacity = capacity;
    plan.perLane = stressSamplesPerLane();
    plan.waitForRoom = waitForRoom;
    plan.readerStartsLate = readerStartsLate;
    // Minimum capacity and flow control means a hand-off per sample: fewer samples suffice.
    if (capacity <= 2)
        plan.perLane = std::min<std::uint64_t>(plan.perLane, 200'000);
    const std::uint64_t n = plan.perLane;

    const bool byName = kind == ProducerKind::ForkAttachByName;
    StatsRing ring = byName ? StatsRing::create(StatsRing::uniqueName(), plan.lanes, capacity)
                            : StatsRing::createAnonymous(plan.lanes, capacity);
    const std::string name = ring.name();
    ShmNameGuard guard{byName ? name : std::string()};
    // The consumer is active before any producer starts: nothing it must see is published earlier.
    StatsRingReader reader(ring, 0);

    Children kids;
    std::vector<std::thread> threads;
    std::vector<int> threadResults(plan.lanes, -1);
    auto joinThreads = [&] {
        for (auto &t : threads)
            if (t.joinable())
                t.join();
    };
    struct Joiner {
        std::function<void()> fn;
        ~Joiner() { fn(); }
    } joiner{joinThreads};

    if (kind == ProducerKind::Thread) {
        for (std::uint32_t lane = 0; lane < plan.lanes; ++lane)
            threads.emplace_back([&, lane] { threadResults[lane] = produceLane(ring, lane, plan); });
    } else {
        std::fflush(nullptr);
        for (std::uint32_t lane = 0; lane < plan.lanes; ++lane) {
            const pid_t pid = fork();
            QVERIFY2(pid >= 0, std::strerror(errno));
            if (pid == 0)
                runForkedProducer(byName ? nullptr : &ring, name, lane, plan);
            kids.add(pid);
        }
    }

    std::vector<LaneCheck> checks(plan.lanes);
    auto check = [&](std::uint32_t lane, const clab_sample &slot) {
        const clab_sample s = slot; // one read of the slot; everything below looks at the copy
        LaneCheck &c = checks[lane];
        ++c.delivered;
        const std::uint64_t seq = s.t_ns;
        if (seq >= n) {
            c.fail("lane " + std::to_string(lane) + ": sequence " + std::to_string(seq) + " was never published");
            return;
        }
        const clab_sample want = sampleFor(lane, seq, n);
        if (!sameSample(want, s)) {
            c.fail("lane " + std::to_string(lane) + ": sample " + std::to_string(seq) + " is torn or belongs to another lane (ops "
                   + std::to_string(s.ops) + ", gauge0 " + std::to_string(s.gauge0) + ")");
            return;
        }
        if (c.lastSeq >= 0 && seq <= static_cast<std::uint64_t>(c.lastSeq)) {
            c.fail("lane " + std::to_string(lane) + ": sequence went from " + std::to_string(c.lastSeq) + " to " + std::to_string(seq));
            return;
        }
        c.gaps += seq - static_cast<std::uint64_t>(c.lastSeq + 1);
        c.lastSeq = static_cast<std::int64_t>(seq);
        c.last = s;
    };

    auto finalValid = [&](std::uint32_t lane) {
        clab_lane_final f{};
        return reader.final(lane, f);
    };
    auto allFinal = [&] {
        for (std::uint32_t i = 0; i < plan.lanes; ++i)
            if (!finalValid(i))
                return false;
        return true;
    };
    // A producer process that died leaves its lane without a final block: stop waiting for it.
    auto anyChildGone = [&] {
        kids.poll();
        for (std::size_t i = 0; i < kids.size(); ++i)
            if (kids.reaped(i) && !finalValid(static_cast<std::uint32_t>(i)))
                return true;
        return false;
    };

    if (plan.readerStartsLate) {
        // A slow reader: it does not drain until every lane has had to drop samples.
        const bool dropped = waitUntil([&] {
            if (anyChildGone())
                return true;
            for (std::uint32_t i = 0; i < plan.lanes; ++i)
                if (reader.drops(i) == 0 && !finalValid(i))
                    return false;
            return true;
        });
        QVERIFY2(dropped, "producers did not fill their lanes in time");
        QVERIFY2(!anyChildGone(), "a producer process exited before writing its final block");
    }

    const auto end = Clock::now() + kWaitLimit;
    std::uint64_t rounds = 0;
    for (;;) {
        // Read the final flags before draining: a final block is written after the lane's last
        // publish, so the drain that follows sees every sample.
        const bool done = allFinal();
        const std::size_t got = reader.drain(check);
        if (done)
            break;
        if (got == 0)
            sched_yield();
        if ((++rounds & 0x3FF) == 0) {
            QVERIFY2(!anyChildGone(), "a producer process exited before writing its final block");
            QVERIFY2(Clock::now() < end, "producers did not finish in time");
        }
    }

    joinThreads();
    for (std::size_t i = 0; i < kids.size(); ++i) {
        QVERIFY2(kids.reap(i), "producer process did not exit");
        const int st = kids.status(i);
        QVERIFY2(WIFEXITED(st) && WEXITSTATUS(st) == kChildOk, ("producer " + std::to_string(i) + " " + describeStatus(st).toStdString()).c_str());
    }
    for (std::uint32_t i = 0; i < threadResults.size() && kind == ProducerKind::Thread; ++i)
        QCOMPARE(threadResults[i], kChildOk);

    std::uint64_t totalDrops = 0;
    for (std::uint32_t lane = 0; lane < plan.lanes; ++lane) {
        LaneCheck &c = checks[lane];
        QVERIFY2(c.errors == 0, (std::to_string(c.errors) + " bad samples; first: " + c.firstError).c_str());
        QVERIFY2(c.delivered > 0, "nothing delivered");
        c.gaps += n - 1 - static_cast<std::uint64_t>(c.lastSeq); // attempts after the last delivered
        const std::uint64_t drops = reader.drops(lane);
        totalDrops += drops;
        // Every attempt is either delivered or counted as a drop, and the drops are exactly the
        // sequence numbers the reader never saw.
        QCOMPARE(quint64(c.delivered + drops), quint64(n));
        QCOMPARE(quint64(c.gaps), quint64(drops));
        QCOMPARE(quint64(reader.sizeGuess(lane)), quint64(0));
        QCOMPARE(quint64(producerOf(ring, lane)->head), quint64(c.delivered));

        // Totals are never lost: the final block carries the full count, and so does the last
        // delivered sample unless the very last attempt was dropped.
        clab_lane_final f{};
        QVERIFY(reader.final(lane, f));
        QCOMPARE(f.valid, 1u);
        QCOMPARE(f.exit_state, quint32(CLAB_WORKER_FINISHED));
        QCOMPARE(quint64(f.ops), quint64(n));
        QCOMPARE(quint64(f.measured_ns), quint64(c.delivered));
        QVERIFY(c.last.ops <= n);
        if (drops == 0) {
            QCOMPARE(quint64(c.last.ops), quint64(n));
            QCOMPARE(c.last.flags, quint32(CLAB_SAMPLE_FINAL));
        }
        QCOMPARE(reader.workerState(lane), CLAB_WORKER_FINISHED);
        QCOMPARE(producerOf(ring, lane)->worker_index, lane);
    }
    if (plan.waitForRoom)
        QCOMPARE(quint64(totalDrops), quint64(0));
    if (plan.readerStartsLate) {
        for (std::uint32_t lane = 0; lane < plan.lanes; ++lane)
            QVERIFY2(reader.drops(lane) > 0, "a slow reader on a small ring must see drops counted");
    }
    qInfo("%u lanes x %llu samples, capacity %u: %llu delivered, %llu dropped", plan.lanes,
          static_cast<unsigned long long>(n), capacity, static_cast<unsigned long long>(plan.lanes * n - totalDrops),
          static_cast<unsigned long long>(totalDrops));

    if (byName) {
        QVERIFY(shmExists(name));
        QVERIFY(ring.unlink());
        guard.name.clear();
    }
    QVERIFY2(!shmExists(name), ("left in /dev/shm: " + name).c_str());
}

// ---- wrap-around against a reference model ----------------------------------------------------------

void TestStatsRing::wrapAroundMatchesModel_data()
{
    QTest::addColumn<quint32>("capacity");
    QTest::addColumn<quint64>("startHead");
    QTest::addColumn<quint64>("seed");

    QTest::addRow("capacity 4 from head 0") << 4u << quint64(0) << quint64(1);
    QTest::addRow("capacity 4 across 2^32") << 4u << quint64((1ULL << 32) - 5) << quint64(2);
    QTest::addRow("capacity 4 across 2^40") << 4u << quint64((1ULL << 40) - 3) << quint64(3);
    QTest::addRow("capacity 4 across 2^63") << 4u << quint64((1ULL << 63) - 7) << quint64(4);
    QTest::addRow("capacity 2 (minimum) across 2^32") << 2u << quint64((1ULL << 32) - 3) << quint64(5);
    QTest::addRow("capacity 8 from head 0") << 8u << quint64(0) << quint64(6);
}

void TestStatsRing::wrapAroundMatchesModel()
{
    QFETCH(quint32, capacity);
    QFETCH(quint64, startHead);
    QFETCH(quint64, seed);

    StatsRing ring = StatsRing::createAnonymous(1, capacity);
    // Start the lane as if `startHead` samples had gone through it already (the writer and the
    // reader both pick up head from the segment).
    producerOf(ring, 0)->head = startHead;
    StatsLaneWriter w = ring.writer(0);
    StatsRingReader reader(ring, 0);

    std::vector<std::uint64_t> model; // sequence numbers the ring holds, oldest first
    std::uint64_t seq = 0, accepted = 0, drops = 0, rng = seed;
    for (int round = 0; round < 20'000; ++round) {
        rng = mix(rng);
        const std::uint64_t burst = rng % (2 * capacity + 2); // 0 .. 2*capacity+1: under, at and over full
        for (std::uint64_t k = 0; k < burst; ++k, ++seq) {
            const bool room = model.size() < capacity;
            const bool ok = w.publish(sampleFor(0, seq, ~0ULL));
            QVERIFY2(ok == room, qPrintable(QStringLiteral("round %1: publish returned %2 with %3 of %4 slots used")
                                                 .arg(round)
                                                 .arg(ok ? QLatin1String("true") : QLatin1String("false"))
                                                 .arg(model.size())
                                                 .arg(capacity)));
            if (ok) {
                model.push_back(seq);
                ++accepted;
            } else {
                ++drops;
            }
        }
        QCOMPARE(quint64(producerOf(ring, 0)->head), quint64(startHead + accepted));
        QCOMPARE(quint64(reader.sizeGuess(0)), quint64(model.size()));
        QCOMPARE(quint64(reader.drops(0)), quint64(drops));
        if ((rng >> 32) % 3 != 0) { // drain two rounds in three, so the ring is sometimes full
            std::vector<std::uint64_t> got;
            bool consistent = true;
            reader.drain([&](std::uint32_t, const clab_sample &s) {
                consistent = consistent && sameSample(s, sampleFor(0, s.t_ns, ~0ULL));
                got.push_back(s.t_ns);
            });
            QVERIFY(consistent);
            QCOMPARE(got, model);
            model.clear();
            QCOMPARE(quint64(reader.sizeGuess(0)), quint64(0));
        }
    }
    QVERIFY(drops > 0);
    QVERIFY(accepted > 10u * capacity);
}

// ---- two consumers ------------------------------------------------------------------------------------

void TestStatsRing::twoConsumersLockstep_data()
{
    QTest::addColumn<quint32>("capacity");
    QTest::addRow("capacity 2") << 2u;
    QTest::addRow("capacity 8") << 8u;
    QTest::addRow("capacity 64") << 64u;
}

void TestStatsRing::twoConsumersLockstep()
{
    QFETCH(quint32, capacity);
    StatsRing ring = StatsRing::createAnonymous(1, capacity);
    StatsLaneWriter w = ring.writer(0);
    StatsRingReader fast(ring, 0);
    StatsRingReader slow(ring, 1);
    std::uint64_t seq = 0;
    std::vector<std::uint64_t> gotFast, gotSlow;
    auto drainInto = [](StatsRingReader &r, std::vector<std::uint64_t> &out) {
        return r.drain([&](std::uint32_t, const clab_sample &s) { out.push_back(s.t_ns); });
    };

    // Fill the ring; both consumers are behind by `capacity`.
    for (std::uint32_t i = 0; i < capacity; ++i)
        QVERIFY(w.publish(sampleFor(0, seq++, ~0ULL)));
    QVERIFY(!w.publish(sampleFor(0, seq++, ~0ULL)));
    QCOMPARE(quint64(fast.drops(0)), quint64(1));

    // The fast one drains; the producer still waits for the slow one.
    QCOMPARE(drainInto(fast, gotFast), std::size_t{capacity});
    QVERIFY(!w.publish(sampleFor(0, seq++, ~0ULL)));
    QCOMPARE(quint64(slow.drops(0)), quint64(2));
    QCOMPARE(quint64(fast.sizeGuess(0)), quint64(0));
    QCOMPARE(quint64(slow.sizeGuess(0)), quint64(capacity));

    // The slow one drains half: exactly that much room opens.
    std::size_t half = 0;
    slow.drainLane(0, [&](std::uint32_t, const clab_sample &s) { gotSlow.push_back(s.t_ns); ++half; });
    QCOMPARE(half, std::size_t{capacity});
    for (std::uint32_t i = 0; i < capacity; ++i)
        QVERIFY(w.publish(sampleFor(0, seq++, ~0ULL)));
    QVERIFY(!w.publish(sampleFor(0, seq++, ~0ULL)));

    // Both see the same samples in the same order.
    QCOMPARE(drainInto(slow, gotSlow), std::size_t{capacity});
    QCOMPARE(drainInto(fast, gotFast), std::size_t{capacity});
    QCOMPARE(gotFast, gotSlow);
    QCOMPARE(gotFast.size(), std::size_t{2 * capacity});
    QVERIFY(std::is_sorted(gotFast.begin(), gotFast.end()));
    QCOMPARE(quint64(fast.drops(0)), quint64(3));
}

void TestStatsRing::twoConsumersConcurrent()
{
    // One producer, two reader threads (one drains eagerly, one lazily). Whatever the producer
    // accepted, both must deliver, in the same order: the producer respects the slower one.
    const std::uint64_t n = std::min<std::uint64_t>(stressSamplesPerLane(), 500'000);
    StatsRing ring = StatsRing::createAnonymous(1, 32);
    StatsRingReader r0(ring, 0);
    StatsRingReader r1(ring, 1);
    std::atomic<bool> produced{false};

    struct Seen {
        std::uint64_t count = 0, hash = 0, bad = 0;
        std::int64_t last = -1;
    };
    auto consume = [&](StatsRingReader &r, Seen &seen, bool lazy) {
        auto fn = [&](std::uint32_t, const clab_sample &slot) {
            const clab_sample s = slot;
            if (!sameSample(s, sampleFor(0, s.t_ns, n)) || static_cast<std::int64_t>(s.t_ns) <= seen.last)
                ++seen.bad;
            seen.last = static_cast<std::int64_t>(s.t_ns);
            seen.hash = mix(seen.hash ^ s.t_ns);
            ++seen.count;
        };
        std::uint64_t spins = 0;
        for (;;) {
            const bool done = produced.load(std::memory_order_acquire);
            if (lazy && (++spins % 4) != 0) {
                sched_yield(); // the lazy reader drains one time in four
                continue;
            }
            r.drain(fn);
            if (done)
                break;
        }
    };
    Seen s0, s1;
    std::thread t0([&] { consume(r0, s0, false); });
    std::thread t1([&] { consume(r1, s1, true); });
    StatsLaneWriter w = ring.writer(0);
    std::uint64_t accepted = 0;
    for (std::uint64_t seq = 0; seq < n; ++seq)
        accepted += w.publish(sampleFor(0, seq, n)) ? 1u : 0u;
    produced.store(true, std::memory_order_release);
    t0.join();
    t1.join();

    QCOMPARE(quint64(s0.bad), quint64(0));
    QCOMPARE(quint64(s1.bad), quint64(0));
    QCOMPARE(quint64(s0.count), quint64(accepted));
    QCOMPARE(quint64(s1.count), quint64(accepted));
    QCOMPARE(quint64(s0.hash), quint64(s1.hash));
    QCOMPARE(quint64(accepted + r0.drops(0)), quint64(n));
}

void TestStatsRing::inactiveConsumerReleasesProducer_data()
{
    QTest::addColumn<bool>("leaveFull");
    QTest::addRow("second reader destroyed while the ring is full for it") << true;
    QTest::addRow("second reader destroyed while it is up to date") << false;
}

void TestStatsRing::inactiveConsumerReleasesProducer()
{
    QFETCH(bool, leaveFull);
    constexpr std::uint32_t cap = 8;
    StatsRing ring = StatsRing::createAnonymous(2, cap);
    StatsLaneWriter w = ring.writer(1);
    StatsRingReader keeper(ring, 0);
    std::uint64_t seq = 0;
    auto drainAll = [&] { return keeper.drain([](std::uint32_t, const clab_sample &) {}); };
    {
        StatsRingReader leaver(ring, 1);
        for (std::uint32_t i = 0; i < cap; ++i)
            QVERIFY(w.publish(sampleFor(1, seq++, ~0ULL)));
        QCOMPARE(drainAll(), std::size_t{cap});
        if (!leaveFull)
            leaver.drain([](std::uint32_t, const clab_sample &) {});
        // While the second reader is there and behind, it holds the producer back.
        if (leaveFull)
            QVERIFY(!w.publish(sampleFor(1, seq++, ~0ULL)));
        QCOMPARE(consumersOf(ring, 1)[1].active, 1u);
    }
    QCOMPARE(consumersOf(ring, 1)[1].active, 0u);
    QCOMPARE(consumersOf(ring, 0)[1].active, 0u);
    const std::uint64_t dropsBefore = keeper.drops(1);
    // Now only the keeper counts: many rounds of "fill, drain" never drop.
    for (int round = 0; round < 50; ++round) {
        for (std::uint32_t i = 0; i < cap; ++i)
            QVERIFY2(w.publish(sampleFor(1, seq++, ~0ULL)), "an inactive consumer still holds the producer back");
        QCOMPARE(drainAll(), std::size_t{cap});
    }
    QCOMPARE(quint64(keeper.drops(1)), quint64(dropsBefore));
    // ... and the keeper alone still limits it.
    for (std::uint32_t i = 0; i < cap; ++i)
        QVERIFY(w.publish(sampleFor(1, seq++, ~0ULL)));
    QVERIFY(!w.publish(sampleFor(1, seq++, ~0ULL)));
}

void TestStatsRing::consumerSlotOutOfRangeThrows()
{
    StatsRing ring = StatsRing::createAnonymous(1, 4);
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, StatsRingReader(ring, CLAB_MAX_CONSUMERS));
}

void TestStatsRing::readerJoiningWhileProducerRuns()
{
    // The app joins a run as the second consumer while workers publish. Each sample carries the
    // position it was published at (the producer counts only accepted samples), so within one
    // reader's life the positions it delivers must be consecutive and every sample intact: a
    // joining reader must never be handed a slot the producer overwrote or is writing.
    StatsRing ring = StatsRing::createAnonymous(1, 2); // the smallest ring refills on every other publish
    std::atomic<bool> stop{false};
    std::thread producer([&] {
        StatsLaneWriter w = ring.writer(0);
        std::uint64_t position = 0;
        while (!stop.load(std::memory_order_relaxed))
            position += w.publish(sampleFor(0, position, ~0ULL)) ? 1u : 0u;
    });
    std::uint64_t joins = 0, delivered = 0, bad = 0;
    std::string firstBad;
    for (; joins < 1'000'000 && bad == 0; ++joins) {
        StatsRingReader r(ring, 0);
        std::int64_t prev = -1;
        r.drainLane(0, [&](std::uint32_t, const clab_sample &slot) {
            const clab_sample s = slot;
            ++delivered;
            const bool intact = sameSample(s, sampleFor(0, s.t_ns, ~0ULL));
            if (!intact || (prev >= 0 && s.t_ns != static_cast<std::uint64_t>(prev) + 1)) {
                if (bad++ == 0)
                    firstBad = (intact ? "position " + std::to_string(s.t_ns) + " after " + std::to_string(prev) : "a torn sample");
            }
            prev = static_cast<std::int64_t>(s.t_ns);
        });
    }
    stop.store(true, std::memory_order_relaxed);
    producer.join();
    QVERIFY2(bad == 0, ("after " + std::to_string(joins) + " joins, " + std::to_string(delivered) + " samples: " + firstBad).c_str());
}

void TestStatsRing::laggingJoinTailNeverReadsAsFreeRoom()
{
    // The state a joining consumer leaves when it is preempted between reading head and setting
    // `active` while the producer runs more than `capacity` samples ahead: an active tail more
    // than `capacity` behind. The producer must treat that as full; computing capacity - (head -
    // tail) in unsigned arithmetic instead wraps to ~2^64 free slots, after which it never looks
    // at any consumer again and overwrites unread samples of every reader, uncounted.
    constexpr std::uint32_t cap = 4;
    StatsRing ring = StatsRing::createAnonymous(1, cap);
    StatsRingReader runner(ring, 0);
    StatsLaneWriter w = ring.writer(0);
    std::uint64_t seq = 0;
    for (int i = 0; i < 3; ++i) { // the runner keeps up while the producer gets 12 samples ahead
        for (std::uint32_t k = 0; k < cap; ++k)
            QVERIFY(w.publish(sampleFor(0, seq++, ~0ULL)));
        runner.drain([](std::uint32_t, const clab_sample &) {});
    }
    // A second consumer "joins" with the head it read long ago (what its constructor stores).
    clab_lane_consumer *joining = consumersOf(ring, 0) + 1;
    std::atomic_ref<std::uint64_t>(joining->tail).store(2, std::memory_order_relaxed);
    std::atomic_ref<std::uint32_t>(joining->active).store(1, std::memory_order_release);
    // The runner now stops draining: at most `cap` more samples may go in, the rest are drops.
    std::uint64_t accepted = 0;
    for (int i = 0; i < 100; ++i)
        accepted += w.publish(sampleFor(0, seq++, ~0ULL)) ? 1u : 0u;
    QVERIFY2(accepted <= cap, (std::to_string(accepted) + " samples accepted into a ring of " + std::to_string(cap)
                               + ": unread samples were overwritten").c_str());
    QCOMPARE(quint64(runner.drops(0)), quint64(100 - accepted));
}

// ---- histogram, final block, lane identity, run state ----------------------------------------------

void TestStatsRing::histogramThroughRing_data()
{
    QTest::addColumn<QList<quint64>>("values");
    QTest::addColumn<QList<quint64>>("weights");

    QTest::addRow("nothing recorded") << QList<quint64>{} << QList<quint64>{};
    QTest::addRow("exact small values") << QList<quint64>{0, 1, 2, 31} << QList<quint64>{1, 1, 1, 1};
    QTest::addRow("one value many times") << QList<quint64>{1500} << QList<quint64>{1000};
    QTest::addRow("weights sum within a bucket") << QList<quint64>{1000, 1001, 1002} << QList<quint64>{3, 4, 5};
    QTest::addRow("1 ns to 10 s") << QList<quint64>{1, 1'000, 1'000'000, 1'000'000'000, 10'000'000'000}
                                   << QList<quint64>{5, 4, 3, 2, 1};
    QTest::addRow("beyond the range is clamped into the last bucket")
        << QList<quint64>{1ULL << 40, ~0ULL} << QList<quint64>{2, 1};
}

void TestStatsRing::histogramThroughRing()
{
    QFETCH(QList<quint64>, values);
    QFETCH(QList<quint64>, weights);
    StatsRing ring = StatsRing::createAnonymous(3, 4);
    StatsRingReader reader(ring, 0);
    StatsLaneWriter w = ring.writer(1);
    LatencyHistogram want;
    std::uint64_t total = 0;
    for (qsizetype i = 0; i < values.size(); ++i) {
        w.recordLatency(values[i], weights[i]);
        want.counts[histogramBucket(values[i])] += weights[i];
        total += weights[i];
    }
    const LatencyHistogram got = reader.histogram(1);
    QVERIFY(got.counts == want.counts);
    QCOMPARE(quint64(got.total()), quint64(total));
    QCOMPARE(quint64(reader.histogram(0).total()), quint64(0));
    QCOMPARE(quint64(reader.histogram(2).total()), quint64(0));
    // The default weight is one observation.
    w.recordLatency(777);
    QCOMPARE(quint64(reader.histogram(1).counts[histogramBucket(777)]), quint64(want.counts[histogramBucket(777)] + 1));
}

void TestStatsRing::histogramReadWhileRecording()
{
    // The reader copies bucket by bucket while the worker records: each copy may be slightly
    // stale, but totals never go backwards and the last copy is exact. The worker records in
    // chunks and lets the reader take a copy between chunks, so the two really overlap.
    StatsRing ring = StatsRing::createAnonymous(1, 4);
    StatsRingReader reader(ring, 0);
    constexpr std::uint64_t kChunks = 100, kPerChunk = 2'000;
    std::atomic<bool> done{false};
    std::atomic<std::uint64_t> copies{0};
    std::thread worker([&] {
        StatsLaneWriter w = ring.writer(0);
        for (std::uint64_t c = 0; c < kChunks; ++c) {
            const std::uint64_t seen = copies.load(std::memory_order_acquire);
            for (std::uint64_t i = 0; i < kPerChunk; ++i)
                w.recordLatency(mix(c * kPerChunk + i) % 5'000'000);
            waitUntil([&] { return copies.load(std::memory_order_acquire) > seen; });
        }
        done.store(true, std::memory_order_release);
    });
    std::uint64_t lastTotal = 0;
    bool monotonic = true;
    while (!done.load(std::memory_order_acquire)) {
        const std::uint64_t t = reader.histogram(0).total();
        monotonic = monotonic && t >= lastTotal;
        lastTotal = t;
        copies.fetch_add(1, std::memory_order_release);
    }
    worker.join();
    QVERIFY(monotonic);
    QVERIFY(copies.load() >= kChunks);
    QCOMPARE(quint64(reader.histogram(0).total()), quint64(kChunks * kPerChunk));
}

void TestStatsRing::finalBlockOnlyAfterWrite()
{
    StatsRing ring = StatsRing::createAnonymous(2, 4);
    StatsRingReader reader(ring, 0);
    clab_lane_final out{};
    out.ops = 12345;
    QVERIFY(!reader.final(0, out));
    QVERIFY(!reader.final(1, out));
    QCOMPARE(quint64(out.ops), quint64(12345)); // untouched when there is nothing to read

    clab_lane_final f{};
    f.valid = 0; // the writer sets it, whatever the caller passed
    f.exit_state = CLAB_WORKER_FINISHED;
    f.ops = 1'000'000;
    f.ops_total = 1'200'000;
    f.bytes = 4096;
    f.wait_ns = 11;
    f.hold_ns = 22;
    f.contended = 33;
    f.measured_ns = 5'000'000'000;
    f.user_ns = 44;
    f.sys_ns = 55;
    f.vol_csw = 66;
    f.invol_csw = 77;
    f.cpu_mask = 0b1010;
    f.start_ns = 100;
    f.end_ns = 5'000'000'100;
    f.owner_died = 2;
    ring.writer(1).writeFinal(f);

    QVERIFY(!reader.final(0, out));
    QVERIFY(reader.final(1, out));
    QCOMPARE(out.valid, 1u);
    f.valid = 1;
    QVERIFY(std::memcmp(&out, &f, sizeof f) == 0); // every byte, reserved ones included
}

void TestStatsRing::laneIdentityStateAndCpuMask()
{
    StatsRing ring = StatsRing::createAnonymous(2, 4);
    StatsRingReader reader(ring, 0);
    StatsLaneWriter w = ring.writer(1);
    QCOMPARE(reader.workerState(1), CLAB_WORKER_CREATED);
    w.setIdentity(1, 4242, 4243);
    w.setState(CLAB_WORKER_WAITING);
    w.noteCpu(0);
    w.noteCpu(5);
    w.noteCpu(5);
    w.noteCpu(63);
    w.noteCpu(64); // beyond the mask: ignored
    w.noteCpu(-1);
    QCOMPARE(reader.workerState(1), CLAB_WORKER_WAITING);
    QCOMPARE(quint64(reader.cpuMask(1)), quint64((1ULL << 0) | (1ULL << 5) | (1ULL << 63)));
    QCOMPARE(quint64(reader.cpuMask(0)), quint64(0));
    QCOMPARE(producerOf(ring, 1)->pid, 4242);
    QCOMPARE(producerOf(ring, 1)->tid, 4243);
    QCOMPARE(w.producer(), producerOf(ring, 1));
}

void TestStatsRing::runStateVisibleThroughAttach()
{
    const std::string name = StatsRing::uniqueName();
    ShmNameGuard guard{name};
    StatsRing ring = StatsRing::create(name, 1, 2);
    StatsRing other = StatsRing::attach(name);
    for (auto s : {CLAB_RUN_PREPARING, CLAB_RUN_WARMUP, CLAB_RUN_MEASURING, CLAB_RUN_STOPPING, CLAB_RUN_FINISHED}) {
        other.setRunState(s);
        QCOMPARE(ring.runState(), s);
    }
    // Either side may remove the name; the other then finds it gone.
    QVERIFY(other.unlink());
    QVERIFY(!shmExists(name));
    QVERIFY(!ring.unlink());
    guard.name.clear();
}

void TestStatsRing::resetLaneStatsClearsOnlyStatistics()
{
    // Between the points of a sweep the ring is reused: a lane's cumulative statistics are
    // cleared, but head and tails stay, so readers carry on and unread samples stay readable.
    constexpr std::uint32_t cap = 8;
    StatsRing ring = StatsRing::createAnonymous(2, cap);
    StatsRingReader reader(ring, 0);
    StatsLaneWriter w = ring.writer(1);
    StatsLaneWriter other = ring.writer(0);
    for (std::uint64_t seq = 0; seq < cap + 3; ++seq) // 3 drops
        w.publish(sampleFor(1, seq, ~0ULL));
    w.recordLatency(1'000, 5);
    w.noteCpu(3);
    w.setState(CLAB_WORKER_FINISHED);
    clab_lane_final f{};
    f.ops = 99;
    w.writeFinal(f);
    other.recordLatency(2'000, 7);
    other.writeFinal(f);
    QVERIFY(other.publish(sampleFor(0, 0, ~0ULL)));

    ring.resetLaneStats(1);

    clab_lane_final out{};
    QVERIFY(!reader.final(1, out));
    QCOMPARE(quint64(reader.drops(1)), quint64(0));
    QCOMPARE(quint64(reader.histogram(1).total()), quint64(0));
    QCOMPARE(quint64(reader.cpuMask(1)), quint64(0));
    QCOMPARE(reader.workerState(1), CLAB_WORKER_CREATED);
    // The ring itself is untouched: the unread samples are still there, in order.
    QCOMPARE(quint64(producerOf(ring, 1)->head), quint64(cap));
    QCOMPARE(quint64(reader.sizeGuess(1)), quint64(cap));
    std::vector<std::uint64_t> got;
    reader.drainLane(1, [&](std::uint32_t, const clab_sample &s) { got.push_back(s.t_ns); });
    QCOMPARE(got.size(), std::size_t{cap});
    QCOMPARE(got.front(), std::uint64_t{0});
    QCOMPARE(got.back(), std::uint64_t{cap - 1});
    // A writer for the next point carries on from the same head.
    StatsLaneWriter next = ring.writer(1);
    QVERIFY(next.publish(sampleFor(1, 1000, ~0ULL)));
    QCOMPARE(quint64(producerOf(ring, 1)->head), quint64(cap + 1));
    QCOMPARE(quint64(reader.sizeGuess(1)), quint64(1));
    // The other lane keeps everything.
    QVERIFY(reader.final(0, out));
    QCOMPARE(quint64(reader.histogram(0).total()), quint64(7));
    QCOMPARE(quint64(reader.sizeGuess(0)), quint64(1));
}

QTEST_GUILESS_MAIN(TestStatsRing)
#include "tst_stats_ring.moc"
