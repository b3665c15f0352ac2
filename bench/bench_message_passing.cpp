// Message passing against its peers, side by side in one run, placement pinned and stated.
//
// Usage: bench_message_passing [seconds-per-point] [rounds] [section...]
//   sections: perf roundtrip stream stressng shm (default: all)
//
// Every figure is a ratio of the engine's run (runExperiment in processes mode: the very path of
// concurrency-lab-runner, instrumented, sampled every 10 ms, payloads checked) to a peer measured
// right before or after it at the same placement; each ratio is the median over `rounds`
// interleaved rounds, because the machine is shared and noisy. Peers:
//   perf       `perf bench sched pipe` (linux-perf), started with taskset; for the cross-CPU
//              cases its two processes are re-pinned to one CPU each as soon as they exist.
//   roundtrip  minimal raw ping-pong loops written here (the same calls, nothing else).
//   stream     minimal raw streaming loops written here.
//   stressng   stress-ng --pipe / --mq / --sockpair with --metrics-brief (they measure
//              something else in places; each line says how).
//   shm        a bare single-producer/single-consumer ring in shared memory, a bare two-flag
//              busy-wait, and single-thread memcpy of the same bytes (the physical limit).
#include "experiment_spec.h"
#include "futex.h"
#include "machine_info.h"
#include "message_passing.h"
#include "run_supervisor.h"
#include "shm_channel.h"
#include "stats_ring.h"
#include "tsc_clock.h"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <functional>
#include <limits>
#include <mqueue.h>
#include <sched.h>
#include <spawn.h>
#include <string>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/msg.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

extern char **environ;

using namespace clab;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
double g_seconds = 0.5;
int g_rounds = 3;
int g_cpuA = 0, g_cpuB = 1;

struct Placement {
    const char *name;
    bool cross;
    bool awake;
};

std::string placementText(const Placement &p)
{
    char buf[96];
    std::snprintf(buf, sizeof buf, "%s (CPU %d → CPU %d)%s", p.cross ? "across CPUs" : "same CPU", g_cpuA,
                  p.cross ? g_cpuB : g_cpuA, p.awake ? ", CPUs kept awake" : "");
    return buf;
}

int cpuOfB(const Placement &p) { return p.cross ? g_cpuB : g_cpuA; }

cpu_set_t g_startAffinity; // what this process may use, saved before anything is pinned

void restoreAffinity() { sched_setaffinity(0, sizeof g_startAffinity, &g_startAffinity); }

void pinPid(pid_t pid, int cpu)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(static_cast<unsigned>(cpu), &set);
    sched_setaffinity(pid, sizeof set, &set);
}

double median(std::vector<double> v)
{
    v.erase(std::remove_if(v.begin(), v.end(), [](double x) { return !std::isfinite(x); }), v.end());
    if (v.empty())
        return kNaN;
    std::sort(v.begin(), v.end());
    return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

// Holds /dev/cpu_dma_latency at 0 for the peers' runs (the engine does it itself when asked).
class DmaHold {
public:
    explicit DmaHold(bool on)
    {
        if (!on)
            return;
        m_fd = open("/dev/cpu_dma_latency", O_WRONLY | O_CLOEXEC);
        const std::int32_t zero = 0;
        if (m_fd < 0 || write(m_fd, &zero, sizeof zero) != sizeof zero)
            std::fprintf(stderr, "warning: cannot hold /dev/cpu_dma_latency: %s\n", std::strerror(errno));
    }
    ~DmaHold()
    {
        if (m_fd >= 0)
            close(m_fd);
    }
    DmaHold(const DmaHold &) = delete;
    DmaHold &operator=(const DmaHold &) = delete;

private:
    int m_fd = -1;
};

// ---------------------------------------------------------------------------------------------
// The engine

double figure(const RunResult &r, const char *name)
{
    for (const auto &f : r.figures) {
        if (f.name == name)
            return f.value;
    }
    return kNaN;
}

RunResult runOurs(Transport t, MessagePattern p, std::uint32_t size, const Placement &pl,
                  WakeStrategy w = WakeStrategy::Blocking, std::uint32_t depth = 0)
{
    ExperimentSpec s;
    s.name = "bench";
    s.primitive = PrimitiveKind::MessagePassing;
    s.execution = ExecutionModel::Processes;
    s.workers = 2;
    s.durationNs = static_cast<std::uint64_t>(g_seconds * 1e9);
    s.warmupNs = 100'000'000;
    s.sampleIntervalNs = 10'000'000;
    s.placement = PlacementPolicy::CpuList;
    s.cpuList = {g_cpuA, cpuOfB(pl)};
    s.messaging.transport = t;
    s.messaging.pattern = p;
    s.messaging.messageSize = size;
    s.messaging.wake = w;
    s.messaging.queueDepth = depth;
    s.messaging.keepCpusAwake = pl.awake;
    StatsRing ring = StatsRing::createAnonymous(s.workers, recommendedLaneCapacity(s.sampleIntervalNs));
    RunResult r = runExperiment(s, ring, SupervisorOptions{}, RunHooks{});
    if (r.status != "finished")
        std::fprintf(stderr, "engine run %s %s: %s %s\n", toString(t), toString(p), r.status.c_str(), r.error.c_str());
    for (const auto &c : r.checks) {
        if (!c.passed)
            std::fprintf(stderr, "engine run %s %s: check %s failed: %s\n", toString(t), toString(p), c.name.c_str(),
                         c.detail.c_str());
    }
    return r;
}

double oursRoundTripNs(Transport t, std::uint32_t size, const Placement &pl, WakeStrategy w = WakeStrategy::Blocking)
{
    const RunResult r = runOurs(t, MessagePattern::PingPong, size, pl, w);
    const double rate = figure(r, "roundTripsPerSecond");
    return rate > 0 ? 1e9 / rate : kNaN;
}

double oursMessagesPerSecond(Transport t, std::uint32_t size, const Placement &pl,
                             WakeStrategy w = WakeStrategy::Blocking, std::uint32_t depth = 0)
{
    return figure(runOurs(t, MessagePattern::Streaming, size, pl, w, depth), "messagesPerSecond");
}

// ---------------------------------------------------------------------------------------------
// Child processes pinned apart, with a tiny shared block for the start handshake and end time

struct Shared {
    std::atomic<std::uint32_t> ready{0};
    std::atomic<std::uint32_t> go{0};
    std::uint64_t endNs = 0;
    std::uint64_t count = 0;
    double result = 0;
};

Shared *mapShared()
{
    void *p = mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    return new (p) Shared{};
}

// Runs `a` and `b` in two fresh forked processes pinned to cpuA and cpuB, released together from
// a futex gate, as the engine starts its workers (so both sides have the same scheduling history
// as the engine's); returns what `a` returns.
template<class A, class B>
double forkPair(int cpuA, int cpuB, A a, B b)
{
    Shared *sh = mapShared();
    auto start = [sh](int cpu) {
        pinPid(0, cpu);
        sh->ready.fetch_add(1);
        futexWakeAll(sh->ready);
        while (sh->go.load() == 0)
            futexWait(sh->go, 0);
    };
    const pid_t pa = fork();
    if (pa == 0) {
        start(cpuA);
        sh->result = a(*sh);
        _exit(0);
    }
    const pid_t pb = fork();
    if (pb == 0) {
        start(cpuB);
        b(*sh);
        _exit(0);
    }
    for (std::uint32_t r; (r = sh->ready.load()) < 2;)
        futexWait(sh->ready, r);
    sh->go.store(1);
    futexWakeAll(sh->go);
    int status = 0;
    waitpid(pa, &status, 0);
    waitpid(pb, &status, 0);
    const double v = sh->result;
    munmap(sh, 4096);
    return v;
}

// ---------------------------------------------------------------------------------------------
// Raw transports: the same calls the engine makes, and nothing else. Channel 0: A → B, 1: B → A.

struct RawPipe {
    int fd[2][2]{{-1, -1}, {-1, -1}};
    explicit RawPipe(std::size_t)
    {
        for (auto &p : fd) {
            if (pipe2(p, O_CLOEXEC) != 0)
                std::perror("pipe2");
        }
    }
    ~RawPipe()
    {
        for (auto &p : fd) {
            close(p[0]);
            close(p[1]);
        }
    }
    void send(int ch, const std::byte *b, std::size_t n)
    {
        for (std::size_t done = 0; done < n;) {
            const ssize_t r = write(fd[ch][1], b + done, n - done);
            if (r > 0)
                done += static_cast<std::size_t>(r);
        }
    }
    void recv(int ch, std::byte *b, std::size_t n)
    {
        for (std::size_t done = 0; done < n;) {
            const ssize_t r = read(fd[ch][0], b + done, n - done);
            if (r > 0)
                done += static_cast<std::size_t>(r);
        }
    }
};

// A FIFO is a pipe reached through a name: opened both ends, then unlinked, like the engine.
struct RawFifo : RawPipe {
    explicit RawFifo(std::size_t n) : RawPipe(n)
    {
        for (auto &p : fd) {
            close(p[0]);
            close(p[1]);
        }
        char dir[] = "/tmp/clab-bench-fifo-XXXXXX";
        if (!mkdtemp(dir))
            std::perror("mkdtemp");
        for (int i = 0; i < 2; ++i) {
            const std::string path = std::string(dir) + "/f" + std::to_string(i);
            mkfifo(path.c_str(), 0600);
            fd[i][0] = open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
            fd[i][1] = open(path.c_str(), O_WRONLY | O_CLOEXEC);
            fcntl(fd[i][0], F_SETFL, fcntl(fd[i][0], F_GETFL) & ~O_NONBLOCK);
            unlink(path.c_str());
        }
        rmdir(dir);
    }
};

struct RawPosixMq {
    mqd_t q[2]{-1, -1};
    explicit RawPosixMq(std::size_t n)
    {
        for (int i = 0; i < 2; ++i) {
            const std::string name = "/clab-bench-" + std::to_string(getpid()) + "-" + std::to_string(i);
            mq_attr a{};
            a.mq_maxmsg = 10;
            a.mq_msgsize = static_cast<long>(n);
            q[i] = mq_open(name.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600, &a);
            if (q[i] < 0)
                std::perror("mq_open");
            mq_unlink(name.c_str());
        }
    }
    ~RawPosixMq()
    {
        for (mqd_t d : q)
            mq_close(d);
    }
    void send(int ch, const std::byte *b, std::size_t n) { mq_send(q[ch], reinterpret_cast<const char *>(b), n, 0); }
    void recv(int ch, std::byte *b, std::size_t n) { mq_receive(q[ch], reinterpret_cast<char *>(b), n, nullptr); }
};

// System V: the payload follows the message type; b has 8 bytes of room before it.
struct RawSysv {
    int id[2]{-1, -1};
    explicit RawSysv(std::size_t)
    {
        for (int &i : id)
            i = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
    }
    ~RawSysv()
    {
        for (int i : id)
            msgctl(i, IPC_RMID, nullptr);
    }
    void send(int ch, std::byte *b, std::size_t n)
    {
        const long type = 1;
        std::memcpy(b - sizeof(long), &type, sizeof type);
        msgsnd(id[ch], b - sizeof(long), n, 0);
    }
    void recv(int ch, std::byte *b, std::size_t n) { msgrcv(id[ch], b - sizeof(long), n, 0, 0); }
};

template<int Type>
struct RawSocket {
    int sv[2]{-1, -1};
    explicit RawSocket(std::size_t)
    {
        if (socketpair(AF_UNIX, Type | SOCK_CLOEXEC, 0, sv) != 0)
            std::perror("socketpair");
    }
    ~RawSocket()
    {
        close(sv[0]);
        close(sv[1]);
    }
    // Channel 0 is written at sv[0] and read at sv[1]; channel 1 the other way.
    void send(int ch, const std::byte *b, std::size_t n)
    {
        for (std::size_t done = 0; done < n;) {
            const ssize_t r = ::send(sv[ch], b + done, n - done, MSG_NOSIGNAL);
            if (r > 0)
                done += static_cast<std::size_t>(r);
        }
    }
    void recv(int ch, std::byte *b, std::size_t n)
    {
        for (std::size_t done = 0; done < n;) {
            const ssize_t r = ::recv(sv[1 - ch], b + done, n - done, Type == SOCK_STREAM ? MSG_WAITALL : 0);
            if (r > 0)
                done += static_cast<std::size_t>(r);
        }
    }
};
using RawUnixStream = RawSocket<SOCK_STREAM>;
using RawUnixDgram = RawSocket<SOCK_DGRAM>;

// Untimed operations before a raw loop's timed ones, as the engine's 100 ms warm-up.
std::uint64_t warmup(std::uint64_t count) { return count / 5; }

// Cache-line aligned, with 64 bytes of room before the payload, as the engine's buffers.
struct Buffer {
    std::vector<std::byte> storage;
    std::byte *p;
    explicit Buffer(std::size_t n) : storage(n + 192, std::byte{0x5A})
    {
        const auto base = (reinterpret_cast<std::uintptr_t>(storage.data()) + 63) & ~std::uintptr_t{63};
        p = reinterpret_cast<std::byte *>(base) + 64;
    }
};

// Mean round trip (ns) of `count` raw round trips.
template<class Raw>
double rawRoundTripNs(std::uint32_t size, const Placement &pl, std::uint64_t count)
{
    Raw raw(size);
    return forkPair(
        g_cpuA, cpuOfB(pl),
        [&](Shared &) {
            Buffer b(size);
            for (std::uint64_t i = 0; i < warmup(count); ++i) {
                raw.send(0, b.p, size);
                raw.recv(1, b.p, size);
            }
            const std::uint64_t t0 = monotonicNs();
            for (std::uint64_t i = 0; i < count; ++i) {
                raw.send(0, b.p, size);
                raw.recv(1, b.p, size);
            }
            return static_cast<double>(monotonicNs() - t0) / static_cast<double>(count);
        },
        [&](Shared &) {
            Buffer b(size);
            for (std::uint64_t i = 0; i < warmup(count) + count; ++i) {
                raw.recv(0, b.p, size);
                raw.send(1, b.p, size);
            }
        });
}

// Messages per second of `count` raw messages, from the first send to the last receive.
template<class Raw>
double rawMessagesPerSecond(std::uint32_t size, const Placement &pl, std::uint64_t count)
{
    Raw raw(size);
    return forkPair(
        g_cpuA, cpuOfB(pl),
        [&](Shared &sh) {
            Buffer b(size);
            for (std::uint64_t i = 0; i < warmup(count); ++i)
                raw.send(0, b.p, size);
            // Timed from when the receiver has taken the warm-up messages, to its last receive.
            while (std::atomic_ref<std::uint64_t>(sh.count).load() == 0)
                sched_yield();
            const std::uint64_t t0 = std::atomic_ref<std::uint64_t>(sh.count).load();
            for (std::uint64_t i = 0; i < count; ++i)
                raw.send(0, b.p, size);
            while (std::atomic_ref<std::uint64_t>(sh.endNs).load() == 0)
                usleep(100);
            return static_cast<double>(count) * 1e9 / static_cast<double>(sh.endNs - t0);
        },
        [&](Shared &sh) {
            Buffer b(size);
            for (std::uint64_t i = 0; i < warmup(count); ++i)
                raw.recv(0, b.p, size);
            std::atomic_ref<std::uint64_t>(sh.count).store(monotonicNs());
            for (std::uint64_t i = 0; i < count; ++i)
                raw.recv(0, b.p, size);
            std::atomic_ref<std::uint64_t>(sh.endNs).store(monotonicNs());
        });
}

// ---------------------------------------------------------------------------------------------
// Peers started as programs

struct Spawned {
    pid_t pid = -1;
    int out = -1;
};

Spawned spawn(const std::vector<std::string> &args)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0)
        return {};
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, p[1], 1);
    posix_spawn_file_actions_adddup2(&fa, p[1], 2);
    std::vector<char *> argv;
    for (const auto &a : args)
        argv.push_back(const_cast<char *>(a.c_str()));
    argv.push_back(nullptr);
    Spawned s;
    if (posix_spawnp(&s.pid, argv[0], &fa, nullptr, argv.data(), environ) != 0)
        s.pid = -1;
    posix_spawn_file_actions_destroy(&fa);
    close(p[1]);
    s.out = p[0];
    return s;
}

std::string finish(Spawned &s)
{
    std::string text;
    char buf[4096];
    for (ssize_t r; (r = read(s.out, buf, sizeof buf)) > 0;)
        text.append(buf, static_cast<std::size_t>(r));
    close(s.out);
    int status = 0;
    waitpid(s.pid, &status, 0);
    return text;
}

std::vector<pid_t> childrenOf(pid_t pid)
{
    std::vector<pid_t> out;
    const std::string path = "/proc/" + std::to_string(pid) + "/task/" + std::to_string(pid) + "/children";
    if (FILE *f = std::fopen(path.c_str(), "re")) {
        int c = 0;
        while (std::fscanf(f, "%d", &c) == 1)
            out.push_back(c);
        std::fclose(f);
    }
    return out;
}

// Waits (up to 2 s) for `pid` to have a child and returns it, or -1.
pid_t waitForChild(pid_t pid)
{
    for (int i = 0; i < 20000; ++i) {
        const auto kids = childrenOf(pid);
        if (!kids.empty())
            return kids.front();
        usleep(100);
    }
    return -1;
}

// perf bench sched pipe: `loops` round trips of a 4-byte message between two processes.
double perfRoundTripNs(const Placement &pl, std::uint64_t loops)
{
    DmaHold hold(pl.awake);
    Spawned s = spawn({"taskset", "-c", std::to_string(g_cpuA), "perf", "bench", "sched", "pipe", "-l", std::to_string(loops)});
    if (s.pid < 0)
        return kNaN;
    if (pl.cross) {
        // taskset execs perf (same pid); perf forks its second process: move that one.
        const pid_t child = waitForChild(s.pid);
        if (child < 0)
            std::fprintf(stderr, "perf bench: could not find its second process to re-pin\n");
        else
            pinPid(child, g_cpuB);
    }
    const std::string out = finish(s);
    const auto at = out.find("usecs/op");
    if (at == std::string::npos) {
        std::fprintf(stderr, "perf bench said:\n%s\n", out.c_str());
        return kNaN;
    }
    const auto lineStart = out.rfind('\n', at);
    return std::atof(out.c_str() + (lineStart == std::string::npos ? 0 : lineStart + 1)) * 1000.0;
}

// stress-ng with one instance: the instance process writes, its child reads. Returns bogo ops/s
// (real time) as --metrics-brief prints it.
double stressNg(const std::string &stressor, const std::vector<std::string> &extra, const Placement &pl)
{
    std::vector<std::string> args = {"stress-ng", "--" + stressor, "1", "--metrics-brief", "-t",
                                     std::to_string(std::max(1, static_cast<int>(std::lround(g_seconds * 2)))),
                                     "--taskset", std::to_string(g_cpuA)};
    args.insert(args.end(), extra.begin(), extra.end());
    Spawned s = spawn(args);
    if (s.pid < 0)
        return kNaN;
    if (pl.cross) {
        const pid_t instance = waitForChild(s.pid);
        const pid_t reader = instance > 0 ? waitForChild(instance) : -1;
        if (reader < 0)
            std::fprintf(stderr, "stress-ng: could not find its reader process to re-pin\n");
        else
            pinPid(reader, g_cpuB);
    }
    const std::string out = finish(s);
    // "stress-ng: metrc: [pid] pipe   54993   1.00   0.16   0.26   55147.44   131630.85"
    const std::string key = "] " + stressor + " ";
    for (std::size_t pos = out.find(key); pos != std::string::npos; pos = out.find(key, pos + 1)) {
        const std::size_t eol = out.find('\n', pos);
        const std::string line = out.substr(pos + key.size(), eol - pos - key.size());
        double v[6];
        if (std::sscanf(line.c_str(), "%lf %lf %lf %lf %lf %lf", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) == 6)
            return v[4];
    }
    std::fprintf(stderr, "stress-ng said:\n%s\n", out.c_str());
    return kNaN;
}

// ---------------------------------------------------------------------------------------------
// Shared memory: a bare ring, a bare two-flag busy-wait, and memcpy

struct alignas(64) BareRing {
    alignas(64) std::atomic<std::uint64_t> head{0};
    alignas(64) std::atomic<std::uint64_t> tail{0};
};

inline void relax() { __builtin_ia32_pause(); }

// Bytes per second through a bare SPSC ring of `slots` slots of slotSize bytes: copy in, publish
// head (release); wait for head (acquire), copy out, publish tail (release). Indexes cached.
// publishEvery = 1 is the channel's discipline (every message visible at once). Larger values
// publish head and tail only every that many messages (and before waiting): faster for small
// records because the index lines move between the CPUs less often, but a message then waits for
// the ones after it, so that ring is shown for scale only, not as the channel's peer.
double bareRingBytesPerSecond(std::uint32_t size, std::uint64_t slots, const Placement &pl, std::uint64_t count,
                              std::uint64_t publishEvery = 1)
{
    const std::uint64_t slotSize = ShmRingHeader::slotSizeFor(size);
    const std::size_t bytes = sizeof(BareRing) + slots * slotSize;
    void *mem = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    auto *ring = new (mem) BareRing{};
    std::byte *base = static_cast<std::byte *>(mem) + sizeof(BareRing);
    const double rate = forkPair(
        g_cpuA, cpuOfB(pl),
        [&](Shared &sh) {
            Buffer b(size);
            std::uint64_t head = 0, cachedTail = 0, off = 0, published = 0;
            const std::uint64_t end = slots * slotSize;
            const std::uint64_t t0 = monotonicNs();
            for (std::uint64_t i = 0; i < count; ++i) {
                while (head - cachedTail == slots) {
                    if (published != head)
                        ring->head.store(published = head, std::memory_order_release);
                    cachedTail = ring->tail.load(std::memory_order_acquire);
                    if (head - cachedTail == slots)
                        relax();
                }
                std::memcpy(base + off, b.p, size);
                off += slotSize;
                if (off == end)
                    off = 0;
                if (++head - published >= publishEvery)
                    ring->head.store(published = head, std::memory_order_release);
            }
            ring->head.store(head, std::memory_order_release);
            while (std::atomic_ref<std::uint64_t>(sh.endNs).load() == 0)
                usleep(100);
            return static_cast<double>(count) * size * 1e9 / static_cast<double>(sh.endNs - t0);
        },
        [&](Shared &sh) {
            Buffer b(size);
            std::uint64_t tail = 0, cachedHead = 0, off = 0, published = 0;
            const std::uint64_t end = slots * slotSize;
            for (std::uint64_t i = 0; i < count; ++i) {
                while (tail == cachedHead) {
                    if (published != tail)
                        ring->tail.store(published = tail, std::memory_order_release);
                    cachedHead = ring->head.load(std::memory_order_acquire);
                    if (tail == cachedHead)
                        relax();
                }
                std::memcpy(b.p, base + off, size);
                off += slotSize;
                if (off == end)
                    off = 0;
                if (++tail - published >= publishEvery)
                    ring->tail.store(published = tail, std::memory_order_release);
            }
            std::atomic_ref<std::uint64_t>(sh.endNs).store(monotonicNs());
        });
    munmap(mem, bytes);
    return rate;
}

// The naive baseline behind the channel's interface: a process-shared mutex and two condition
// variables around the same slots (shm_channel.h, LockedShmQueue). Bytes per second.
double lockedQueueBytesPerSecond(std::uint32_t size, std::uint64_t slots, const Placement &pl, std::uint64_t count)
{
    const std::size_t bytes = LockedShmQueue::bytesFor(slots, size);
    void *mem = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    LockedShmQueue *q = nullptr;
    LockedShmQueue::create(mem, slots, size, &q);
    const std::atomic<bool> never{false};
    const double rate = forkPair(
        g_cpuA, cpuOfB(pl),
        [&](Shared &sh) {
            LockedShmEndpoint tx(q, &never);
            Buffer b(size);
            const std::uint64_t t0 = monotonicNs();
            for (std::uint64_t i = 0; i < count; ++i)
                tx.send(b.p, size);
            while (std::atomic_ref<std::uint64_t>(sh.endNs).load() == 0)
                usleep(100);
            return static_cast<double>(count) * size * 1e9 / static_cast<double>(sh.endNs - t0);
        },
        [&](Shared &sh) {
            LockedShmEndpoint rx(q, &never);
            Buffer b(size);
            for (std::uint64_t i = 0; i < count; ++i)
                rx.receive(b.p, size);
            std::atomic_ref<std::uint64_t>(sh.endNs).store(monotonicNs());
        });
    q->destroy();
    munmap(mem, bytes);
    return rate;
}

// Mean round trip (ns) of a bare busy-wait: A stores i in its flag and spins until B's flag says
// i; B spins on A's flag and answers. Two cache lines, nothing else.
double bareBusyWaitRoundTripNs(const Placement &pl, std::uint64_t count)
{
    void *mem = mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    auto *flags = new (mem) BareRing{}; // head: A's flag, tail: B's flag
    const double ns = forkPair(
        g_cpuA, cpuOfB(pl),
        [&](Shared &) {
            const std::uint64_t t0 = monotonicNs();
            for (std::uint64_t i = 1; i <= count; ++i) {
                flags->head.store(i, std::memory_order_release);
                while (flags->tail.load(std::memory_order_acquire) != i)
                    relax();
            }
            return static_cast<double>(monotonicNs() - t0) / static_cast<double>(count);
        },
        [&](Shared &) {
            for (std::uint64_t i = 1; i <= count; ++i) {
                while (flags->head.load(std::memory_order_acquire) != i)
                    relax();
                flags->tail.store(i, std::memory_order_release);
            }
        });
    munmap(mem, 4096);
    return ns;
}

// One thread copying the same bytes into a region the size of the ring: bytes per second.
double memcpyBytesPerSecond(std::uint32_t size, std::uint64_t slots, std::uint64_t count)
{
    pinPid(0, g_cpuA);
    const std::uint64_t slotSize = ShmRingHeader::slotSizeFor(size);
    std::vector<std::byte> dst(slots * slotSize);
    Buffer src(size);
    std::uint64_t off = 0;
    const std::uint64_t t0 = monotonicNs();
    for (std::uint64_t i = 0; i < count; ++i) {
        std::memcpy(dst.data() + off, src.p, size);
        asm volatile("" ::"r"(dst.data()) : "memory");
        off += slotSize;
        if (off == dst.size())
            off = 0;
    }
    const double rate = static_cast<double>(count) * size * 1e9 / static_cast<double>(monotonicNs() - t0);
    restoreAffinity();
    return rate;
}

// ---------------------------------------------------------------------------------------------

const Placement kSame{"same", false, false};
const Placement kCross{"cross", true, false};
const Placement kCrossAwake{"cross-awake", true, true};

std::uint64_t countFor(double perSecond)
{
    return std::max<std::uint64_t>(1000, static_cast<std::uint64_t>(perSecond * g_seconds));
}

void sectionPerf()
{
    std::printf("\n== pipe ping-pong round trip vs `perf bench sched pipe` (4-byte messages, two processes; target ≤ 1.10×)\n");
    for (const Placement &pl : {kSame, kCross, kCrossAwake}) {
        std::vector<double> ours, perf, ratio;
        for (int r = 0; r < g_rounds; ++r) {
            const double o = oursRoundTripNs(Transport::Pipe, 4, pl);
            const double p = perfRoundTripNs(pl, countFor(1e9 / o));
            ours.push_back(o);
            perf.push_back(p);
            ratio.push_back(o / p);
        }
        std::printf("pipe ping-pong, %-45s ours %8.2f µs  perf %8.2f µs  ratio %.2f× (target ≤ 1.10)\n",
                    placementText(pl).c_str(), median(ours) / 1e3, median(perf) / 1e3, median(ratio));
        std::fflush(stdout);
    }
}

struct RawKind {
    Transport transport;
    const char *name;
    double (*roundTrip)(std::uint32_t, const Placement &, std::uint64_t);
    double (*stream)(std::uint32_t, const Placement &, std::uint64_t);
    std::uint32_t maxSize;
};

const std::vector<RawKind> kRaw = {
    {Transport::Pipe, "pipe", rawRoundTripNs<RawPipe>, rawMessagesPerSecond<RawPipe>, 1U << 20},
    {Transport::Fifo, "fifo", rawRoundTripNs<RawFifo>, rawMessagesPerSecond<RawFifo>, 1U << 20},
    {Transport::PosixMq, "posix-mq", rawRoundTripNs<RawPosixMq>, rawMessagesPerSecond<RawPosixMq>, 8192},
    {Transport::SysvMq, "sysv-mq", rawRoundTripNs<RawSysv>, rawMessagesPerSecond<RawSysv>, 8192},
    {Transport::UnixStream, "unix-stream", rawRoundTripNs<RawUnixStream>, rawMessagesPerSecond<RawUnixStream>, 1U << 20},
    {Transport::UnixDgram, "unix-dgram", rawRoundTripNs<RawUnixDgram>, rawMessagesPerSecond<RawUnixDgram>, 1U << 20},
};

void sectionRoundTrip()
{
    std::printf("\n== round trips vs a minimal raw loop of the same calls (64-byte messages, two processes; target ≤ 1.20×)\n");
    for (const RawKind &k : kRaw) {
        for (const Placement &pl : {kSame, kCross}) {
            std::vector<double> ours, raw, ratio;
            for (int r = 0; r < g_rounds; ++r) {
                const double o = oursRoundTripNs(k.transport, 64, pl);
                const double w = k.roundTrip(64, pl, countFor(1e9 / o));
                ours.push_back(o);
                raw.push_back(w);
                ratio.push_back(o / w);
            }
            std::printf("%-12s ping-pong, %-30s ours %8.2f µs  raw %8.2f µs  ratio %.2f× (target ≤ 1.20)\n", k.name,
                        placementText(pl).c_str(), median(ours) / 1e3, median(raw) / 1e3, median(ratio));
            std::fflush(stdout);
        }
    }
}

void sectionStream()
{
    std::printf("\n== streaming throughput vs a minimal raw loop of the same calls (two processes; target ≥ 0.90×)\n");
    for (const RawKind &k : kRaw) {
        for (std::uint32_t size : {64U, std::min(65536U, k.maxSize)}) {
            for (const Placement &pl : {kSame, kCross}) {
                std::vector<double> ours, raw, ratio;
                for (int r = 0; r < g_rounds; ++r) {
                    const double o = oursMessagesPerSecond(k.transport, size, pl);
                    const double w = k.stream(size, pl, countFor(o));
                    ours.push_back(o);
                    raw.push_back(w);
                    ratio.push_back(o / w);
                }
                std::printf("%-12s %6u B, %-30s ours %10.0f msg/s (%7.1f MiB/s)  raw %10.0f msg/s  ratio %.2f× (target ≥ 0.90)\n",
                            k.name, size, placementText(pl).c_str(), median(ours), median(ours) * size / 1048576.0,
                            median(raw), median(ratio));
                std::fflush(stdout);
            }
        }
    }
}

void sectionStressNg()
{
    std::printf("\n== streaming vs stress-ng (one instance, --metrics-brief, bogo ops/s = messages written per second)\n");
    struct Case {
        const char *stressor;
        std::vector<std::string> extra;
        Transport transport;
        std::uint32_t size;
        const char *differs;
    };
    const std::vector<Case> cases = {
        {"pipe", {"--pipe-data-size", "64"}, Transport::Pipe, 64,
         "stress-ng opens its pipe in packet mode (O_DIRECT) and fills every 64-byte buffer before writing it; its reader does not check data without --verify"},
        {"mq", {}, Transport::PosixMq, 8,
         "stress-ng sends 8-byte messages with random priorities (0..127), alternates mq_send / mq_timedsend, and calls mq_getattr every 32 sends; queue of 10"},
        {"sockpair", {}, Transport::UnixStream, 64,
         "stress-ng writes 64 bytes round-robin over as many socket pairs as it can open (thousands), so it measures cache misses across sockets as much as the calls"},
    };
    for (const Case &c : cases) {
        for (const Placement &pl : {kSame, kCross}) {
            std::vector<double> ours, peer, ratio;
            for (int r = 0; r < g_rounds; ++r) {
                const double o = oursMessagesPerSecond(c.transport, c.size, pl);
                const double p = stressNg(c.stressor, c.extra, pl);
                ours.push_back(o);
                peer.push_back(p);
                ratio.push_back(o / p);
            }
            std::printf("%-9s %3u B, %-30s ours %10.0f msg/s  stress-ng %10.0f bogo ops/s  ratio %.2f×\n", c.stressor,
                        c.size, placementText(pl).c_str(), median(ours), median(peer), median(ratio));
        }
        std::printf("          (measures something else: %s)\n", c.differs);
        std::fflush(stdout);
    }
}

std::uint64_t shmDefaultSlots(std::uint32_t size)
{
    const std::uint64_t slot = ShmRingHeader::slotSizeFor(size);
    return std::max<std::uint64_t>(4, (256 * 1024 + slot - 1) / slot);
}

void sectionShm()
{
    std::printf("\n== shared-memory channel vs a bare SPSC ring in shared memory (same slots, two processes, %s; target ≥ 0.80×)\n",
                placementText(kCross).c_str());
    for (std::uint32_t size : {65536U, 64U}) {
        const std::uint64_t slots = shmDefaultSlots(size);
        std::vector<double> spin, block, bare, copy, locked, batched, rSpin, rBlock;
        for (int r = 0; r < g_rounds; ++r) {
            const double s = oursMessagesPerSecond(Transport::ShmChannel, size, kCross, WakeStrategy::Spinning,
                                                   static_cast<std::uint32_t>(slots)) * size;
            const double b = oursMessagesPerSecond(Transport::ShmChannel, size, kCross, WakeStrategy::Blocking,
                                                   static_cast<std::uint32_t>(slots)) * size;
            const double w = bareRingBytesPerSecond(size, slots, kCross, countFor(s / size));
            const double m = memcpyBytesPerSecond(size, slots, countFor(s / size) * 2);
            locked.push_back(lockedQueueBytesPerSecond(size, slots, kCross, countFor(b / size)));
            batched.push_back(bareRingBytesPerSecond(size, slots, kCross, countFor(w / size), 32));
            spin.push_back(s);
            block.push_back(b);
            bare.push_back(w);
            copy.push_back(m);
            rSpin.push_back(s / w);
            rBlock.push_back(b / w);
        }
        const double gib = 1024.0 * 1024.0 * 1024.0;
        std::printf("%6u B blocks, ring of %llu slots: bare ring %6.2f GiB/s (%6.1f M msg/s) | ours spinning %6.2f GiB/s, ratio %.2f× "
                    "(target ≥ 0.80) | ours blocking %6.2f GiB/s, ratio %.2f× | one-thread memcpy %6.2f GiB/s "
                    "(bare ring = %.2f of it, ours spinning = %.2f)\n",
                    size, static_cast<unsigned long long>(slots), median(bare) / gib, median(bare) / size / 1e6,
                    median(spin) / gib, median(rSpin), median(block) / gib, median(rBlock), median(copy) / gib,
                    median(bare) / median(copy), median(spin) / median(copy));
        std::printf("%6u B blocks: naive baseline (process-shared mutex + condition variables, same slots) %6.2f GiB/s; "
                    "ours blocking = %.2f× of it, ours spinning = %.2f×\n",
                    size, median(locked) / gib, median(block) / median(locked), median(spin) / median(locked));
        std::printf("%6u B blocks: for scale, a bare ring that publishes its indexes only every 32 messages (a message "
                    "waits for the 31 after it: not a message channel) %6.2f GiB/s (%6.1f M msg/s)\n",
                    size, median(batched) / gib, median(batched) / size / 1e6);
        std::fflush(stdout);
    }
    std::vector<double> ours, bare, ratio;
    for (int r = 0; r < g_rounds; ++r) {
        const double o = oursRoundTripNs(Transport::ShmChannel, 8, kCross, WakeStrategy::Spinning);
        const double b = bareBusyWaitRoundTripNs(kCross, countFor(1e9 / o));
        ours.push_back(o);
        bare.push_back(b);
        ratio.push_back(o / b);
    }
    std::printf("spinning round trip (8-byte messages), %s: ours %.3f µs  bare two-flag busy-wait %.3f µs  ratio %.2f× (target ≤ 1.20)\n",
                placementText(kCross).c_str(), median(ours) / 1e3, median(bare) / 1e3, median(ratio));
    std::fflush(stdout);
}

} // namespace

int main(int argc, char **argv)
{
    if (argc > 1)
        g_seconds = std::atof(argv[1]);
    if (argc > 2)
        g_rounds = std::max(1, std::atoi(argv[2]));
    std::vector<std::string> sections;
    for (int i = 3; i < argc; ++i)
        sections.emplace_back(argv[i]);
    auto want = [&](const char *s) { return sections.empty() || std::find(sections.begin(), sections.end(), s) != sections.end(); };
    sched_getaffinity(0, sizeof g_startAffinity, &g_startAffinity);
    const std::vector<int> cpus = allowedCpus();
    if (cpus.size() < 2) {
        std::printf("needs two CPUs (this process may use %zu)\n", cpus.size());
        return 0;
    }
    g_cpuA = cpus[0];
    g_cpuB = cpus[1];
    std::signal(SIGPIPE, SIG_IGN);
    errno = 0;
    const int niceness = getpriority(PRIO_PROCESS, 0);
    double load[3] = {0, 0, 0};
    getloadavg(load, 3);
    std::printf("message passing vs peers: %.2f s per point, median of %d interleaved rounds, engine = runExperiment "
                "in processes mode (sampled every 10 ms, payloads checked); nice %d (inherited by every peer); "
                "load average %.1f\n",
                g_seconds, g_rounds, niceness, load[0]);
    if (want("perf"))
        sectionPerf();
    if (want("roundtrip"))
        sectionRoundTrip();
    if (want("stream"))
        sectionStream();
    if (want("stressng"))
        sectionStressNg();
    if (want("shm"))
        sectionShm();
    return 0;
}
