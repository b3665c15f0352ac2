// The message-passing family: transports, the ping-pong and streaming operations, limits, clean-up.
#include "message_passing.h"

#include "metrics.h"
#include "shm_channel.h"
#include "worker_loop_impl.h"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <concepts>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <memory>
#include <mqueue.h>
#include <new>
#include <pthread.h>
#include <string>
#include <sys/ioctl.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

namespace clab {

// ---------------------------------------------------------------------------------------------
// Machine limits

namespace {

long readProcLong(const char *path)
{
    FILE *f = std::fopen(path, "re");
    if (!f)
        return -1;
    long v = -1;
    if (std::fscanf(f, "%ld", &v) != 1)
        v = -1;
    std::fclose(f);
    return v;
}

} // namespace

IpcLimits readIpcLimits()
{
    IpcLimits l;
    l.mqMsgMax = readProcLong("/proc/sys/fs/mqueue/msg_max");
    l.mqMsgsizeMax = readProcLong("/proc/sys/fs/mqueue/msgsize_max");
    l.mqMsgDefault = readProcLong("/proc/sys/fs/mqueue/msg_default");
    l.mqQueuesMax = readProcLong("/proc/sys/fs/mqueue/queues_max");
    rlimit rl{};
    if (getrlimit(RLIMIT_MSGQUEUE, &rl) == 0)
        l.mqBytesRlimit = rl.rlim_cur == RLIM_INFINITY ? UINT64_MAX : static_cast<std::uint64_t>(rl.rlim_cur);
    l.sysvMsgMax = readProcLong("/proc/sys/kernel/msgmax");
    l.sysvMsgMnb = readProcLong("/proc/sys/kernel/msgmnb");
    l.pipeMaxSize = readProcLong("/proc/sys/fs/pipe-max-size");
    l.wmemMax = readProcLong("/proc/sys/net/core/wmem_max");
    l.wmemDefault = readProcLong("/proc/sys/net/core/wmem_default");
    l.unixMaxDgramQlen = readProcLong("/proc/sys/net/unix/max_dgram_qlen");
    return l;
}

std::uint64_t posixMqCharge(std::uint64_t maxMessages, std::uint64_t messageSize)
{
    // sizeof(struct msg_msg) is 48 and sizeof(struct posix_msg_tree_node) 40 on 64-bit kernels.
    constexpr std::uint64_t kMsgHeader = 48, kTreeNode = 40, kPrioMax = 32768;
    return maxMessages * kMsgHeader + std::min(maxMessages, kPrioMax) * kTreeNode + maxMessages * messageSize;
}

namespace {

// ---------------------------------------------------------------------------------------------
// Shared layout

constexpr std::uint64_t kMagic = 0x31505043424C4143ULL; // "CLABCPP1"
constexpr std::uint64_t kShmDefaultRingBytes = 256 * 1024;
constexpr std::uint64_t kShmMinDefaultSlots = 4;
constexpr std::uint64_t kShmMaxBytes = 1ULL << 30;
constexpr std::uint64_t kPeerGraceNs = 500'000'000; // after Stop, before a silent peer is given up
constexpr std::size_t kPathBytes = 112;
constexpr std::size_t kHeadroom = 64; // before each payload: the System V message type lives there

enum class EndReason : std::uint32_t {
    Running = 0,
    Normal,      // left the loop (stop, operation count) and exchanged byes
    PeerLeft,    // its peer said bye first
    Interrupted, // gave up on a peer that did not answer after the stop (processes mode)
    PeerClosed,  // end of file / queue removed: the other side is gone
    Failed,      // a call failed; see err / call
};

// One worker's account, written by that worker only, once, when it ends.
struct alignas(CLAB_CACHE_LINE) WorkerReport {
    std::atomic<std::uint32_t> done{0};
    EndReason reason = EndReason::Running;
    int err = 0;
    char call[24] = {};
    std::uint64_t sent = 0;        // messages, warm-up included, byes excluded
    std::uint64_t received = 0;    // messages, including those read after the loop while waiting for bye
    std::uint64_t checked = 0;     // messages whose sequence stamps were checked
    std::uint64_t checkedFull = 0; // messages compared byte for byte
    std::uint64_t corrupt = 0;
    std::uint64_t firstCorrupt = UINT64_MAX; // sequence number
    std::uint32_t byeSent = 0;
    std::uint32_t byeSeen = 0;
};

// One direction of one pair. The first line is written once, by the channel's writer, when it
// leaves; the rest is the runner's and read-only while workers run.
struct alignas(CLAB_CACHE_LINE) ChannelShared {
    std::atomic<std::uint64_t> byeAfter{UINT64_MAX}; // messages the writer sent before its bye
    alignas(CLAB_CACHE_LINE) int readFd = -1;  // pipe/fifo read end, mq descriptor, reader's socket
    int writeFd = -1;                           // pipe/fifo write end, mq descriptor, writer's socket
    int sysvId = -1;
    std::uint64_t ringOffset = 0;               // shm-channel: from the start of the family block
    char path[kPathBytes] = {};                 // a FIFO path or mq name while it exists
};

// The runner's part (and what the janitor reads), then the reports, channels and rings.
struct MessagingShared {
    std::uint64_t magic = 0;
    std::uint32_t pairs = 0;
    std::uint32_t channelsPerPair = 0;
    std::uint64_t reportsOffset = 0;
    std::uint64_t channelsOffset = 0;
    int dmaFd = -1;         // /dev/cpu_dma_latency while CPUs are kept awake
    int janitorFd = -1;     // write end of the janitor's pipe
    pid_t janitorPid = -1;
    int ownsSockets = 0;    // socketpairs: channel 0 of each pair holds both ends
    char fifoDir[kPathBytes] = {};
    // Facts about the transport as set up, for the result.
    std::int64_t depth = 0;        // messages the transport holds (0: not a message count)
    std::int64_t bufferBytes = 0;  // pipe capacity, socket send buffer, System V queue bytes, ring bytes
    std::uint32_t raised = 0;      // a limit was raised above the machine's default limit
    char note[320] = {};           // plain words on how the limits were applied

    WorkerReport *reports() { return reinterpret_cast<WorkerReport *>(reinterpret_cast<std::byte *>(this) + reportsOffset); }
    ChannelShared *channels()
    {
        return reinterpret_cast<ChannelShared *>(reinterpret_cast<std::byte *>(this) + channelsOffset);
    }
    ChannelShared &channel(std::uint32_t pair, std::uint32_t dir) { return channels()[pair * channelsPerPair + dir]; }
    std::uint32_t channelCount() const { return pairs * channelsPerPair; }
};

constexpr std::uint64_t roundUp(std::uint64_t v, std::uint64_t a) { return (v + a - 1) / a * a; }

struct Layout {
    std::uint32_t pairs = 0, channelsPerPair = 0;
    std::uint64_t reportsOffset = 0, channelsOffset = 0, ringsOffset = 0;
    std::uint64_t slots = 0, ringBytes = 0, total = 0;
    std::string error;
};

std::uint64_t shmSlotsFor(const MessagingParams &m)
{
    if (m.queueDepth != 0)
        return m.queueDepth;
    const std::uint64_t slot = ShmRingHeader::slotSizeFor(m.messageSize);
    return std::max<std::uint64_t>(kShmMinDefaultSlots, (kShmDefaultRingBytes + slot - 1) / slot);
}

Layout layoutFor(const ExperimentSpec &spec)
{
    Layout l;
    const MessagingParams &m = spec.messaging;
    l.pairs = spec.workers / 2;
    l.channelsPerPair = m.pattern == MessagePattern::PingPong ? 2 : 1;
    l.reportsOffset = roundUp(sizeof(MessagingShared), CLAB_CACHE_LINE);
    l.channelsOffset = l.reportsOffset + std::uint64_t{spec.workers} * sizeof(WorkerReport);
    l.ringsOffset = l.channelsOffset + std::uint64_t{l.pairs} * l.channelsPerPair * sizeof(ChannelShared);
    l.total = l.ringsOffset;
    if (m.transport == Transport::ShmChannel && m.messageSize >= 1 && m.messageSize <= limits::kMaxMessageSize) {
        l.slots = shmSlotsFor(m);
        l.ringBytes = roundUp(ShmRingHeader::bytesFor(l.slots, m.messageSize), CLAB_CACHE_LINE);
        const std::uint64_t rings = l.ringBytes * l.pairs * l.channelsPerPair;
        if (rings > kShmMaxBytes) {
            l.error = "primitive.queueDepth: " + std::to_string(l.slots) + " slots of " +
                      std::to_string(ShmRingHeader::slotSizeFor(m.messageSize)) + " bytes in " +
                      std::to_string(l.pairs * l.channelsPerPair) + " shared-memory rings need " +
                      std::to_string(rings >> 20) + " MiB, over the channel's limit of " +
                      std::to_string(kShmMaxBytes >> 20) + " MiB; ask for fewer slots, smaller messages or fewer workers";
            return l;
        }
        l.total += rings;
    }
    return l;
}

// ---------------------------------------------------------------------------------------------
// Interruption (processes mode): the watcher sets this flag and kicks the blocking call.

// Each worker has its own flag (its PeerWatch's), so in threads mode one pair given up on does not
// make another pair look interrupted. The signal only makes the blocking call return.
const std::atomic<bool> g_neverInterrupted{false};
thread_local const std::atomic<bool> *t_interrupt = &g_neverInterrupted;

void onInterruptSignal(int) {}

bool interrupted() noexcept { return t_interrupt->load(std::memory_order_relaxed); }

// Interrupts this worker's blocking call when the runner has said Stop and the peer has not let
// it finish within kPeerGraceNs: the peer may be dead, and a read on a channel whose other end
// the runner still holds open would never see end-of-file. Sleeps on the phase futex meanwhile,
// so it costs the measurement nothing. Memory ordering: done is release/acquire; the phase is
// read with acquire as the worker loop does.
class PeerWatch {
public:
    ~PeerWatch()
    {
        stop();
        if (t_interrupt == &m_interrupt)
            t_interrupt = &g_neverInterrupted;
    }

    // Returns 0 or an errno value.
    int start(RunControl *control) noexcept
    {
        struct sigaction sa{};
        sa.sa_handler = onInterruptSignal;
        sigemptyset(&sa.sa_mask);
        sa.sa_flags = 0; // no SA_RESTART: the blocking call must return EINTR
        if (sigaction(SIGRTMIN, &sa, nullptr) != 0)
            return errno;
        m_control = control;
        m_pid = getpid();
        m_tid = gettid();
        t_interrupt = &m_interrupt;
        if (const int rc = pthread_create(&m_thread, nullptr, &PeerWatch::entry, this); rc != 0)
            return rc;
        m_started = true;
        return 0;
    }

    void stop() noexcept
    {
        if (!m_started)
            return;
        m_done.store(1, std::memory_order_release);
        futexWakeAll(m_done);
        // The watcher may be about to sleep on the phase word it read before `done` was set:
        // keep waking it until it has gone.
        for (;;) {
            futexWakeAll(m_control->phase);
            timespec deadline{};
            clock_gettime(CLOCK_REALTIME, &deadline);
            deadline.tv_nsec += 2'000'000;
            if (deadline.tv_nsec >= 1'000'000'000) {
                deadline.tv_nsec -= 1'000'000'000;
                ++deadline.tv_sec;
            }
            if (pthread_timedjoin_np(m_thread, nullptr, &deadline) == 0)
                break;
        }
        m_started = false;
    }

    // Set (by the watcher) when this worker should give up waiting.
    const std::atomic<bool> *flag() const noexcept { return &m_interrupt; }

private:
    static void *entry(void *self)
    {
        static_cast<PeerWatch *>(self)->run();
        return nullptr;
    }
    bool done() const noexcept { return m_done.load(std::memory_order_acquire) != 0; }
    void run() noexcept
    {
        for (;;) {
            const std::uint32_t p = m_control->phase.load(std::memory_order_acquire);
            if (done())
                return;
            if (p == static_cast<std::uint32_t>(RunPhase::Stop))
                break;
            futexWait(m_control->phase, p);
        }
        const std::uint64_t until = monotonicNs() + kPeerGraceNs;
        while (!done()) {
            const std::uint64_t now = monotonicNs();
            if (now >= until)
                break;
            const timespec ts{static_cast<time_t>((until - now) / 1'000'000'000ULL),
                              static_cast<long>((until - now) % 1'000'000'000ULL)};
            futexWait(m_done, 0, &ts);
        }
        while (!done()) {
            m_interrupt.store(true, std::memory_order_relaxed);
            syscall(SYS_tgkill, m_pid, m_tid, SIGRTMIN);
            const timespec ts{0, 20'000'000};
            futexWait(m_done, 0, &ts);
        }
    }

    RunControl *m_control = nullptr;
    pid_t m_pid = 0, m_tid = 0;
    pthread_t m_thread{};
    bool m_started = false;
    std::atomic<std::uint32_t> m_done{0};
    std::atomic<bool> m_interrupt{false};
};

// ---------------------------------------------------------------------------------------------
// Endpoints: one per transport and direction, all with the same shape:
//   IoStatus send(std::byte *p, std::size_t n) / receive(std::byte *p, std::size_t n)
// p has kHeadroom writable bytes before it. `err` and kSendCall/kReceiveCall say what failed.
// Where the transport can tell, an endpoint also has
//   std::int64_t queuedMessages(std::size_t n) const
// the messages of n bytes waiting in its channel now (-1: the call failed), for the live
// queue-depth gauge; it costs a system call, so it is read once per sample, never per message.
// The unix-dgram endpoints have none: SIOCINQ gives only the first datagram's size and SIOCOUTQ
// the kernel's memory (payload plus per-datagram overhead), neither a count of datagrams.

enum class IoStatus { Ok, Interrupted, Closed, Failed };

// Messages of n bytes in a byte stream holding what FIONREAD says (a message partly in the
// stream counts as waiting); -1 when the call fails.
std::int64_t fionreadMessages(int fd, std::size_t n) noexcept
{
    int bytes = 0;
    if (fd < 0 || ioctl(fd, FIONREAD, &bytes) != 0 || bytes < 0)
        return -1;
    return (static_cast<std::int64_t>(bytes) + static_cast<std::int64_t>(n) - 1) / static_cast<std::int64_t>(n);
}

// pipe and FIFO: a byte stream, so a message may take several calls.
struct PipeWriter {
    static constexpr const char *kCall = "write";
    int fd = -1;
    int err = 0;
    // FIONREAD answers on either end of a pipe or FIFO: the bytes in the pipe.
    std::int64_t queuedMessages(std::size_t n) const noexcept { return fionreadMessages(fd, n); }
    IoStatus send(std::byte *p, std::size_t n) noexcept
    {
        std::size_t done = 0;
        for (;;) {
            const ssize_t r = ::write(fd, p + done, n - done);
            if (r >= 0) {
                done += static_cast<std::size_t>(r);
                if (done == n)
                    return IoStatus::Ok;
                continue;
            }
            if (errno == EINTR) {
                if (interrupted())
                    return IoStatus::Interrupted;
                continue;
            }
            err = errno;
            return IoStatus::Failed;
        }
    }
};

struct PipeReader {
    static constexpr const char *kCall = "read";
    int fd = -1;
    int err = 0;
    std::int64_t queuedMessages(std::size_t n) const noexcept { return fionreadMessages(fd, n); }
    IoStatus receive(std::byte *p, std::size_t n) noexcept
    {
        std::size_t done = 0;
        for (;;) {
            const ssize_t r = ::read(fd, p + done, n - done);
            if (r > 0) {
                done += static_cast<std::size_t>(r);
                if (done == n)
                    return IoStatus::Ok;
                continue;
            }
            if (r == 0)
                return IoStatus::Closed;
            if (errno == EINTR) {
                if (interrupted())
                    return IoStatus::Interrupted;
                continue;
            }
            err = errno;
            return IoStatus::Failed;
        }
    }
};

struct StreamSocketWriter {
    static constexpr const char *kCall = "send";
    int fd = -1;
    int peerFd = -1; // the receiving socket of this channel (every worker holds the run's descriptors)
    int err = 0;
    // A Unix stream socket has no send queue: what is sent waits in the receiving socket, whose
    // FIONREAD counts exactly the unread payload. SIOCOUTQ on this end would not do: it is the
    // kernel's memory for those buffers (payload plus about 700 bytes per send) and does not drop
    // when part of a buffer is read. So the writer asks the receiving socket too.
    std::int64_t queuedMessages(std::size_t n) const noexcept { return fionreadMessages(peerFd, n); }
    IoStatus send(std::byte *p, std::size_t n) noexcept
    {
        std::size_t done = 0;
        for (;;) {
            const ssize_t r = ::send(fd, p + done, n - done, MSG_NOSIGNAL);
            if (r >= 0) {
                done += static_cast<std::size_t>(r);
                if (done == n)
                    return IoStatus::Ok;
                continue;
            }
            if (errno == EINTR) {
                if (interrupted())
                    return IoStatus::Interrupted;
                continue;
            }
            err = errno;
            return errno == EPIPE || errno == ECONNRESET ? IoStatus::Closed : IoStatus::Failed;
        }
    }
};

struct StreamSocketReader {
    static constexpr const char *kCall = "recv";
    int fd = -1;
    int err = 0;
    std::int64_t queuedMessages(std::size_t n) const noexcept { return fionreadMessages(fd, n); }
    IoStatus receive(std::byte *p, std::size_t n) noexcept
    {
        std::size_t done = 0;
        for (;;) {
            const ssize_t r = ::recv(fd, p + done, n - done, MSG_WAITALL);
            if (r > 0) {
                done += static_cast<std::size_t>(r);
                if (done == n)
                    return IoStatus::Ok;
                continue;
            }
            if (r == 0)
                return IoStatus::Closed;
            if (errno == EINTR) {
                if (interrupted())
                    return IoStatus::Interrupted;
                continue;
            }
            err = errno;
            return errno == ECONNRESET ? IoStatus::Closed : IoStatus::Failed;
        }
    }
};

struct DgramSocketWriter {
    static constexpr const char *kCall = "send";
    int fd = -1;
    int err = 0;
    IoStatus send(std::byte *p, std::size_t n) noexcept
    {
        for (;;) {
            const ssize_t r = ::send(fd, p, n, MSG_NOSIGNAL);
            if (r == static_cast<ssize_t>(n))
                return IoStatus::Ok;
            if (r < 0 && errno == EINTR) {
                if (interrupted())
                    return IoStatus::Interrupted;
                continue;
            }
            err = r < 0 ? errno : EMSGSIZE;
            return r < 0 && (errno == ECONNREFUSED || errno == ECONNRESET) ? IoStatus::Closed : IoStatus::Failed;
        }
    }
};

struct DgramSocketReader {
    static constexpr const char *kCall = "recv";
    int fd = -1;
    int err = 0;
    IoStatus receive(std::byte *p, std::size_t n) noexcept
    {
        for (;;) {
            const ssize_t r = ::recv(fd, p, n, 0);
            if (r == static_cast<ssize_t>(n))
                return IoStatus::Ok;
            if (r < 0 && errno == EINTR) {
                if (interrupted())
                    return IoStatus::Interrupted;
                continue;
            }
            err = r < 0 ? errno : EMSGSIZE;
            return IoStatus::Failed;
        }
    }
};

// mq_curmsgs of the queue (both ends hold the same descriptor).
std::int64_t posixMqMessages(mqd_t q) noexcept
{
    mq_attr a{};
    return mq_getattr(q, &a) == 0 ? static_cast<std::int64_t>(a.mq_curmsgs) : -1;
}

struct PosixMqWriter {
    static constexpr const char *kCall = "mq_send";
    mqd_t q = -1;
    int err = 0;
    std::int64_t queuedMessages(std::size_t) const noexcept { return posixMqMessages(q); }
    IoStatus send(std::byte *p, std::size_t n) noexcept
    {
        for (;;) {
            if (mq_send(q, reinterpret_cast<const char *>(p), n, 0) == 0)
                return IoStatus::Ok;
            if (errno == EINTR) {
                if (interrupted())
                    return IoStatus::Interrupted;
                continue;
            }
            err = errno;
            return IoStatus::Failed;
        }
    }
};

struct PosixMqReader {
    static constexpr const char *kCall = "mq_receive";
    mqd_t q = -1;
    int err = 0;
    std::int64_t queuedMessages(std::size_t) const noexcept { return posixMqMessages(q); }
    IoStatus receive(std::byte *p, std::size_t n) noexcept
    {
        for (;;) {
            const ssize_t r = mq_receive(q, reinterpret_cast<char *>(p), n, nullptr);
            if (r == static_cast<ssize_t>(n))
                return IoStatus::Ok;
            if (r < 0 && errno == EINTR) {
                if (interrupted())
                    return IoStatus::Interrupted;
                continue;
            }
            err = r < 0 ? errno : EMSGSIZE;
            return IoStatus::Failed;
        }
    }
};

// msg_qnum of the queue.
std::int64_t sysvMessages(int id) noexcept
{
    msqid_ds ds{};
    return id >= 0 && msgctl(id, IPC_STAT, &ds) == 0 ? static_cast<std::int64_t>(ds.msg_qnum) : -1;
}

// System V: the message type (a long, always 1) sits in the headroom just before the payload.
struct SysvWriter {
    static constexpr const char *kCall = "msgsnd";
    int id = -1;
    int err = 0;
    std::int64_t queuedMessages(std::size_t) const noexcept { return sysvMessages(id); }
    IoStatus send(std::byte *p, std::size_t n) noexcept
    {
        const long type = 1;
        std::memcpy(p - sizeof(long), &type, sizeof type);
        for (;;) {
            if (msgsnd(id, p - sizeof(long), n, 0) == 0)
                return IoStatus::Ok;
            if (errno == EINTR) {
                if (interrupted())
                    return IoStatus::Interrupted;
                continue;
            }
            err = errno;
            return errno == EIDRM ? IoStatus::Closed : IoStatus::Failed;
        }
    }
};

struct SysvReader {
    static constexpr const char *kCall = "msgrcv";
    int id = -1;
    int err = 0;
    std::int64_t queuedMessages(std::size_t) const noexcept { return sysvMessages(id); }
    IoStatus receive(std::byte *p, std::size_t n) noexcept
    {
        for (;;) {
            const ssize_t r = msgrcv(id, p - sizeof(long), n, 0, 0);
            if (r == static_cast<ssize_t>(n))
                return IoStatus::Ok;
            if (r < 0 && errno == EINTR) {
                if (interrupted())
                    return IoStatus::Interrupted;
                continue;
            }
            err = r < 0 ? errno : EMSGSIZE;
            return r < 0 && errno == EIDRM ? IoStatus::Closed : IoStatus::Failed;
        }
    }
};

template<ShmWait W>
struct ShmWriter {
    static constexpr const char *kCall = "shm send";
    ShmRingProducer<W> ring;
    int err = 0;
    std::int64_t queuedMessages(std::size_t) const noexcept { return static_cast<std::int64_t>(ring.queued()); }
    IoStatus send(std::byte *p, std::size_t n) noexcept
    {
        return ring.send(p, n) == ChannelStatus::Ok ? IoStatus::Ok : IoStatus::Interrupted;
    }
};

template<ShmWait W>
struct ShmReader {
    static constexpr const char *kCall = "shm receive";
    ShmRingConsumer<W> ring;
    int err = 0;
    std::int64_t queuedMessages(std::size_t) const noexcept { return static_cast<std::int64_t>(ring.queued()); }
    IoStatus receive(std::byte *p, std::size_t n) noexcept
    {
        return ring.receive(p, n) == ChannelStatus::Ok ? IoStatus::Ok : IoStatus::Interrupted;
    }
};

// ---------------------------------------------------------------------------------------------
// Payloads: a fixed byte pattern, with the message's sequence number stamped over its first
// eight bytes and its complement over its last eight (fewer for short messages).

std::byte patternByte(std::size_t i) noexcept { return static_cast<std::byte>((i * 151U + 17U) & 0xFFU); }

void fillPattern(std::byte *p, std::size_t n) noexcept
{
    for (std::size_t i = 0; i < n; ++i)
        p[i] = patternByte(i);
}

inline void stamp(std::byte *p, std::size_t n, std::uint64_t seq) noexcept
{
    if (n >= 16) [[likely]] {
        const std::uint64_t inv = ~seq;
        std::memcpy(p, &seq, 8);
        std::memcpy(p + n - 8, &inv, 8);
        return;
    }
    const std::size_t head = std::min<std::size_t>(n, 8);
    std::memcpy(p, &seq, head);
    if (n > 8) {
        const std::uint64_t inv = ~seq;
        std::memcpy(p + 8, &inv, n - 8);
    }
}

// What one worker counts across phases (the worker loop's counters restart at each phase).
struct Tally {
    std::uint64_t sent = 0, received = 0, checked = 0, checkedFull = 0, corrupt = 0;
    std::uint64_t firstCorrupt = UINT64_MAX;
    bool peerLeft = false;
    bool byeSent = false;
    IoStatus status = IoStatus::Ok; // how the last failed call ended
    int err = 0;
    const char *call = nullptr;

    void noteEnd(IoStatus s, int e, const char *c) noexcept
    {
        status = s;
        err = e;
        call = c;
    }
    bool channelUsable() const noexcept { return status == IoStatus::Ok; }

    // Checks message `seq`: its stamps always, all its bytes one time in kFullCheckEvery against
    // `want` (the pattern; restamped here when `restamp`, already stamped for an echo).
    void verify(const std::byte *got, std::byte *want, std::size_t n, std::uint64_t seq, bool restamp) noexcept
    {
        bool ok;
        if (n >= 16) [[likely]] {
            std::uint64_t head, tail;
            std::memcpy(&head, got, 8);
            std::memcpy(&tail, got + n - 8, 8);
            ok = head == seq && tail == ~seq;
        } else {
            if (restamp)
                stamp(want, n, seq);
            ok = std::memcmp(got, want, n) == 0;
        }
        ++checked;
        if (seq % kFullCheckEvery == 0) {
            ++checkedFull;
            if (restamp && n >= 16)
                stamp(want, n, seq);
            ok = ok && std::memcmp(got, want, n) == 0;
        }
        if (!ok) [[unlikely]] {
            if (corrupt++ == 0)
                firstCorrupt = seq;
        }
    }
};

template<class Out>
[[gnu::always_inline]] inline bool sendOne(Out &out, std::byte *buf, std::size_t n, Tally &t) noexcept
{
    const IoStatus s = out.send(buf, n);
    if (s != IoStatus::Ok) [[unlikely]] {
        t.noteEnd(s, out.err, Out::kCall);
        return false;
    }
    ++t.sent;
    return true;
}

// Receives one message; false when the call failed or the message was the peer's bye.
template<class In>
[[gnu::always_inline]] inline bool receiveOne(In &in, std::byte *buf, std::size_t n, Tally &t, const ChannelShared &ch) noexcept
{
    const IoStatus s = in.receive(buf, n);
    if (s != IoStatus::Ok) [[unlikely]] {
        t.noteEnd(s, in.err, In::kCall);
        return false;
    }
    // The bye is message byeAfter + 1; its writer published byeAfter before sending it, and the
    // channel orders that store before our receive.
    if (t.received + 1 > ch.byeAfter.load(std::memory_order_acquire)) [[unlikely]] {
        t.peerLeft = true;
        return false;
    }
    ++t.received;
    return true;
}

// ---------------------------------------------------------------------------------------------
// Operations

template<class End>
concept CountsQueued = requires(const End &e, std::size_t n) {
    { e.queuedMessages(n) } -> std::same_as<std::int64_t>;
};

// gauge0 of every role: the messages waiting in the pair's forward channel (initiator / sender →
// responder / receiver), read when a sample is published (the worker loop's sampleGauges hook),
// so both sides of a pair show the same quantity. A failed read leaves the gauge as it was.
template<class End>
void sampleForwardDepth(const End &forward, std::size_t n, WorkerCounters &c) noexcept
{
    if (const std::int64_t q = forward.queuedMessages(n); q >= 0)
        c.gauge0 = q;
}

struct Buffers {
    std::unique_ptr<std::byte[]> storage;
    std::byte *send = nullptr;     // what this side sends
    std::byte *receive = nullptr;  // where messages arrive
    std::byte *expected = nullptr; // the pattern, restamped with the sequence number expected

    bool allocate(std::size_t n) noexcept
    {
        const std::size_t each = roundUp(kHeadroom + n, CLAB_CACHE_LINE);
        storage.reset(new (std::nothrow) std::byte[3 * each + CLAB_CACHE_LINE]);
        if (!storage)
            return false;
        auto base = reinterpret_cast<std::uintptr_t>(storage.get());
        base = roundUp(base, CLAB_CACHE_LINE);
        auto *b = reinterpret_cast<std::byte *>(base);
        send = b + kHeadroom;
        receive = b + each + kHeadroom;
        expected = b + 2 * each + kHeadroom;
        fillPattern(send, n);
        fillPattern(receive, n);
        fillPattern(expected, n);
        return true;
    }
};

// What every role shares. The worker loop sees two things here: an operation returns false when
// it did not happen (the peer left, the channel failed, the watcher gave up), and finished()
// ends the measured phase, both when the pair is over and when operationsPerWorker is reached
// (an op with finished() bounds itself, so the loop leaves that count to it).
struct OpCommon {
    Tally tally;
    Buffers buf;
    std::size_t n = 0;
    ChannelShared *out = nullptr; // the channel this worker writes (null: none)
    ChannelShared *in = nullptr;  // the channel this worker reads (null: none)
    bool ended = false;
    std::uint64_t measuredOps = 0;
    std::uint64_t opsLimit = 0;

    bool finished() const noexcept { return ended || (opsLimit != 0 && measuredOps >= opsLimit); }

    // The pair is over but the run is still warming up: do not spin while waiting for the phase.
    bool endedAgain() noexcept
    {
        const timespec ts{0, 1'000'000};
        nanosleep(&ts, nullptr);
        return false;
    }
    bool end() noexcept
    {
        ended = true;
        return false;
    }
    bool done(bool measuring) noexcept
    {
        measuredOps += measuring ? 1 : 0;
        return true;
    }
};

// Ping-pong, the initiator: send, wait for the echo, time the round trip.
template<class Out, class In>
struct InitiatorOp : OpCommon {
    Out tx;
    In rx;
    TickClock clock;
    std::uint64_t timeEvery = 1;
    std::uint64_t countdown = 1;

    bool operator()(WorkerCounters &c, StatsLaneWriter &lane, bool measuring) noexcept
    {
        if (ended) [[unlikely]]
            return endedAgain();
        const std::uint64_t seq = tally.sent;
        stamp(buf.send, n, seq);
        const bool timed = --countdown == 0;
        const std::uint64_t t0 = timed ? clock.now() : 0;
        if (!sendOne(tx, buf.send, n, tally))
            return end();
        if (!receiveOne(rx, buf.receive, n, tally, *in))
            return end();
        if (timed) {
            const std::uint64_t ns = clock.toNs(clock.now() - t0);
            countdown = timeEvery;
            c.latencyCount += timeEvery;
            c.latencySumNs += ns * timeEvery;
            if (measuring)
                lane.recordLatency(ns, timeEvery);
        }
        tally.verify(buf.receive, buf.send, n, seq, false); // an echo: it must be what we sent
        c.bytes += 2 * n;
        return done(measuring);
    }
    void sampleGauges(WorkerCounters &c) const noexcept
        requires CountsQueued<Out>
    {
        sampleForwardDepth(tx, n, c);
    }
};

// Ping-pong, the responder: receive, check, send the same bytes back.
template<class Out, class In>
struct ResponderOp : OpCommon {
    Out tx;
    In rx;

    bool operator()(WorkerCounters &c, StatsLaneWriter &, bool measuring) noexcept
    {
        if (ended) [[unlikely]]
            return endedAgain();
        if (!receiveOne(rx, buf.receive, n, tally, *in))
            return end();
        const std::uint64_t seq = tally.received - 1;
        tally.verify(buf.receive, buf.expected, n, seq, true);
        if (!sendOne(tx, buf.receive, n, tally))
            return end();
        c.bytes += 2 * n;
        return done(measuring);
    }
    void sampleGauges(WorkerCounters &c) const noexcept
        requires CountsQueued<In>
    {
        sampleForwardDepth(rx, n, c);
    }
};

template<class Out>
struct SenderOp : OpCommon {
    Out tx;

    bool operator()(WorkerCounters &c, StatsLaneWriter &, bool measuring) noexcept
    {
        if (ended) [[unlikely]]
            return endedAgain();
        stamp(buf.send, n, tally.sent);
        if (!sendOne(tx, buf.send, n, tally))
            return end();
        c.bytes += n;
        return done(measuring);
    }
    void sampleGauges(WorkerCounters &c) const noexcept
        requires CountsQueued<Out>
    {
        sampleForwardDepth(tx, n, c);
    }
};

template<class In>
struct ReceiverOp : OpCommon {
    In rx;

    bool operator()(WorkerCounters &c, StatsLaneWriter &, bool measuring) noexcept
    {
        if (ended) [[unlikely]]
            return endedAgain();
        if (!receiveOne(rx, buf.receive, n, tally, *in))
            return end();
        const std::uint64_t seq = tally.received - 1;
        tally.verify(buf.receive, buf.expected, n, seq, true);
        c.bytes += n;
        return done(measuring);
    }
    void sampleGauges(WorkerCounters &c) const noexcept
        requires CountsQueued<In>
    {
        sampleForwardDepth(rx, n, c);
    }
};

// After the loop. The pair's two directions must never both wait in a send (a message larger
// than a channel's buffer cannot be sent until the other side reads), so the end is ordered:
//   initiator: says bye (all its pings are answered by then), then reads until the responder's bye;
//   responder: keeps answering pings until the initiator's bye, then says bye;
//   sender:    says bye;       receiver: reads until the sender's bye.
// A bye is one more message after the writer has published how many it sent before it.
template<class Out>
void sayBye(OpCommon &op, Out &tx) noexcept
{
    Tally &t = op.tally;
    op.out->byeAfter.store(t.sent, std::memory_order_release);
    stamp(op.buf.send, op.n, t.sent);
    const IoStatus s = tx.send(op.buf.send, op.n);
    if (s == IoStatus::Ok)
        t.byeSent = true;
    else
        t.noteEnd(s, tx.err, Out::kCall);
}

template<class In>
void readUntilBye(OpCommon &op, In &rx) noexcept
{
    while (receiveOne(rx, op.buf.receive, op.n, op.tally, *op.in)) {
        // Sent before the peer saw the stop: counted as delivered, not checked.
    }
}

template<class Out, class In>
void answerUntilBye(OpCommon &op, Out &tx, In &rx) noexcept
{
    while (receiveOne(rx, op.buf.receive, op.n, op.tally, *op.in)) {
        if (!sendOne(tx, op.buf.receive, op.n, op.tally))
            return;
    }
}

enum class Role { Initiator, Responder, Sender, Receiver };

template<Role R, class Out, class In>
void endGracefully(OpCommon &op, Out *tx, In *rx) noexcept
{
    Tally &t = op.tally;
    auto usable = [&] { return !interrupted() && t.channelUsable(); };
    if constexpr (R == Role::Initiator) {
        if (usable())
            sayBye(op, *tx);
        if (usable() && !t.peerLeft)
            readUntilBye(op, *rx);
    } else if constexpr (R == Role::Responder) {
        if (usable() && !t.peerLeft)
            answerUntilBye(op, *tx, *rx);
        if (usable())
            sayBye(op, *tx);
    } else if constexpr (R == Role::Sender) {
        if (usable())
            sayBye(op, *tx);
    } else {
        if (usable() && !t.peerLeft)
            readUntilBye(op, *rx);
    }
}

EndReason reasonOf(const Tally &t)
{
    if (interrupted() || t.status == IoStatus::Interrupted)
        return EndReason::Interrupted;
    switch (t.status) {
    case IoStatus::Ok: return t.peerLeft ? EndReason::PeerLeft : EndReason::Normal;
    case IoStatus::Interrupted: return EndReason::Interrupted;
    case IoStatus::Closed: return EndReason::PeerClosed;
    case IoStatus::Failed: return EndReason::Failed;
    }
    return EndReason::Failed;
}

// Runs one worker's role with endpoints tx / rx and writes its report.
template<Role R, class Op, class Out, class In>
int runRole(WorkerEnv &env, Op &op, Out *tx, In *rx, WorkerReport &report)
{
    const int loopRc = detail::workerLoop(env, op);
    endGracefully<R>(op, tx, rx);
    const Tally &t = op.tally;
    report.reason = reasonOf(t);
    report.err = t.err;
    if (t.call)
        std::snprintf(report.call, sizeof report.call, "%s", t.call);
    report.sent = t.sent;
    report.received = t.received;
    report.checked = t.checked;
    report.checkedFull = t.checkedFull;
    report.corrupt = t.corrupt;
    report.firstCorrupt = t.firstCorrupt;
    report.byeSent = t.byeSent ? 1 : 0;
    report.byeSeen = t.peerLeft ? 1 : 0;
    report.done.store(1, std::memory_order_release);
    if (loopRc != 0)
        return loopRc;
    // A transport that failed fails the run: the worker's status line says which call and why.
    if (report.reason != EndReason::Failed)
        return 0;
    const int err = t.err != 0 ? t.err : EIO;
    noteWorkerFailure(env, err, t.call ? t.call : "transport");
    return err;
}

struct WorkerPlace {
    std::uint32_t pair = 0;
    bool first = true; // 2k: initiator / sender; 2k+1: responder / receiver
};

template<class Out, class In>
int runPair(WorkerEnv &env, MessagingShared &s, WorkerPlace place, Out tx, In rx, WorkerReport &report)
{
    const ExperimentSpec &spec = *env.spec;
    const std::size_t n = spec.messaging.messageSize;
    const bool pingPong = spec.messaging.pattern == MessagePattern::PingPong;
    ChannelShared &c0 = s.channel(place.pair, 0);
    ChannelShared *c1 = pingPong ? &s.channel(place.pair, 1) : nullptr;
    auto setUp = [&](OpCommon *op, ChannelShared *out, ChannelShared *in) {
        if (!op)
            return false;
        op->n = n;
        op->out = out;
        op->in = in;
        op->opsLimit = spec.operationsPerWorker;
        return op->buf.allocate(n);
    };
    if (pingPong && place.first) {
        std::unique_ptr<InitiatorOp<Out, In>> op(new (std::nothrow) InitiatorOp<Out, In>());
        if (!setUp(op.get(), &c0, c1))
            return ENOMEM;
        op->tx = tx;
        op->rx = rx;
        op->clock = env.clock;
        op->timeEvery = spec.messaging.transport == Transport::ShmChannel && spec.messaging.wake == WakeStrategy::Spinning
                            ? kShmTimingSampleEvery
                            : 1;
        op->countdown = 1 + env.index % op->timeEvery;
        return runRole<Role::Initiator>(env, *op, &op->tx, &op->rx, report);
    }
    if (pingPong) {
        std::unique_ptr<ResponderOp<Out, In>> op(new (std::nothrow) ResponderOp<Out, In>());
        if (!setUp(op.get(), c1, &c0))
            return ENOMEM;
        op->tx = tx;
        op->rx = rx;
        return runRole<Role::Responder>(env, *op, &op->tx, &op->rx, report);
    }
    if (place.first) {
        std::unique_ptr<SenderOp<Out>> op(new (std::nothrow) SenderOp<Out>());
        if (!setUp(op.get(), &c0, nullptr))
            return ENOMEM;
        op->tx = tx;
        return runRole<Role::Sender>(env, *op, &op->tx, static_cast<In *>(nullptr), report);
    }
    std::unique_ptr<ReceiverOp<In>> op(new (std::nothrow) ReceiverOp<In>());
    if (!setUp(op.get(), nullptr, &c0))
        return ENOMEM;
    op->rx = rx;
    return runRole<Role::Receiver>(env, *op, static_cast<Out *>(nullptr), &op->rx, report);
}

// The channel a worker writes / reads: in ping-pong, 2k writes channel 0 and reads channel 1.
struct Ends {
    ChannelShared *out = nullptr;
    ChannelShared *in = nullptr;
};
Ends endsOf(MessagingShared &s, WorkerPlace place, bool pingPong)
{
    ChannelShared *c0 = &s.channel(place.pair, 0);
    ChannelShared *c1 = pingPong ? &s.channel(place.pair, 1) : nullptr;
    if (place.first)
        return {c0, c1};
    return {c1, c0};
}

template<ShmWait W>
int runShm(WorkerEnv &env, MessagingShared &s, WorkerPlace place, Ends e, WorkerReport &report,
           const std::atomic<bool> *interrupt)
{
    auto *base = reinterpret_cast<std::byte *>(&s);
    ShmWriter<W> tx;
    ShmReader<W> rx;
    if (e.out)
        tx.ring = ShmRingProducer<W>(reinterpret_cast<ShmRingHeader *>(base + e.out->ringOffset), interrupt);
    if (e.in)
        rx.ring = ShmRingConsumer<W>(reinterpret_cast<ShmRingHeader *>(base + e.in->ringOffset), interrupt);
    return runPair(env, s, place, tx, rx, report);
}

int runMessagingWorker(WorkerEnv &env) noexcept
{
    auto &s = *static_cast<MessagingShared *>(env.primitiveShared);
    const ExperimentSpec &spec = *env.spec;
    const MessagingParams &m = spec.messaging;
    const WorkerPlace place{env.index / 2, env.index % 2 == 0};
    const bool pingPong = m.pattern == MessagePattern::PingPong;
    WorkerReport &report = s.reports()[env.index];
    const Ends e = endsOf(s, place, pingPong);

    // In threads mode a peer cannot die alone, but the watcher still bounds how long a worker can
    // wait after the stop, so no protocol mishap can leave a thread the runner cannot stop.
    PeerWatch watch;
    if (const int rc = watch.start(env.control); rc != 0)
        return rc;
    const int wOut = e.out ? e.out->writeFd : -1;
    const int rIn = e.in ? e.in->readFd : -1;
    switch (m.transport) {
    case Transport::Pipe:
    case Transport::Fifo: return runPair(env, s, place, PipeWriter{wOut}, PipeReader{rIn}, report);
    case Transport::UnixStream:
        return runPair(env, s, place, StreamSocketWriter{wOut, e.out ? e.out->readFd : -1}, StreamSocketReader{rIn}, report);
    case Transport::UnixDgram: return runPair(env, s, place, DgramSocketWriter{wOut}, DgramSocketReader{rIn}, report);
    case Transport::PosixMq: return runPair(env, s, place, PosixMqWriter{wOut}, PosixMqReader{rIn}, report);
    case Transport::SysvMq:
        return runPair(env, s, place, SysvWriter{e.out ? e.out->sysvId : -1}, SysvReader{e.in ? e.in->sysvId : -1}, report);
    case Transport::ShmChannel:
        if (m.wake == WakeStrategy::Spinning)
            return runShm<ShmWait::Spinning>(env, s, place, e, report, watch.flag());
        return runShm<ShmWait::Blocking>(env, s, place, e, report, watch.flag());
    }
    return EINVAL;
}

// ---------------------------------------------------------------------------------------------
// The janitor: a process that outlives the runner only long enough to remove the run's named
// objects if the runner dies (SIGKILL included). It waits for end-of-file on a pipe whose write
// end only the runner and its workers hold (both die together), then removes what the shared
// block still lists. It is forked from a process that may have other threads, so from fork on
// it makes async-signal-safe calls only.

[[noreturn]] void janitorMain(MessagingShared *s, int readFd, bool fifo)
{
    // Leave the process group so a Ctrl-C or a group kill aimed at the runner does not take
    // the janitor with it before it has cleaned up; ignore the usual termination signals.
    setpgid(0, 0);
    struct sigaction ign{};
    ign.sa_handler = SIG_IGN;
    sigaction(SIGINT, &ign, nullptr);
    sigaction(SIGTERM, &ign, nullptr);
    sigaction(SIGHUP, &ign, nullptr);
    sigaction(SIGQUIT, &ign, nullptr);
    sigaction(SIGPIPE, &ign, nullptr);
    // Hold nothing of the runner's open but the pipe (stats ring, other pipes, terminals).
    if (readFd > 0)
        syscall(SYS_close_range, 0U, static_cast<unsigned>(readFd - 1), 0U);
    syscall(SYS_close_range, static_cast<unsigned>(readFd + 1), ~0U, 0U);
    prctl(PR_SET_NAME, "clab-janitor");
    char b;
    for (;;) {
        const ssize_t r = read(readFd, &b, 1);
        if (r < 0 && errno == EINTR)
            continue;
        break; // end of file: the runner has finished, or died
    }
    const std::uint32_t count = s->channelCount();
    ChannelShared *ch = s->channels();
    for (std::uint32_t i = 0; i < count; ++i) {
        const int id = std::atomic_ref<int>(ch[i].sysvId).load(std::memory_order_acquire);
        if (id >= 0)
            msgctl(id, IPC_RMID, nullptr);
        if (ch[i].path[0] != '\0') {
            if (fifo)
                unlink(ch[i].path);
            else
                mq_unlink(ch[i].path);
        }
    }
    if (s->fifoDir[0] != '\0')
        rmdir(s->fifoDir);
    _exit(0);
}

std::string errnoText(int e) { return std::strerror(e); }

std::string startJanitor(MessagingShared &s, bool fifo)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0)
        return "primitive.transport: cannot create the clean-up pipe: " + errnoText(errno);
    std::fflush(nullptr);
    const pid_t pid = fork();
    if (pid < 0) {
        const int e = errno;
        close(p[0]);
        close(p[1]);
        return "primitive.transport: cannot start the clean-up process: " + errnoText(e);
    }
    if (pid == 0) {
        close(p[1]);
        janitorMain(&s, p[0], fifo);
    }
    close(p[0]);
    s.janitorPid = pid;
    s.janitorFd = p[1];
    return {};
}

void stopJanitor(MessagingShared &s)
{
    if (s.janitorFd >= 0) {
        close(s.janitorFd);
        s.janitorFd = -1;
    }
    if (s.janitorPid > 0) {
        int status = 0;
        while (waitpid(s.janitorPid, &status, 0) < 0 && errno == EINTR) {
        }
        s.janitorPid = -1;
    }
}

// ---------------------------------------------------------------------------------------------
// init: create the transport in the runner

void appendNote(MessagingShared &s, const std::string &text)
{
    std::string cur = s.note;
    if (!cur.empty())
        cur += "; ";
    cur += text;
    std::snprintf(s.note, sizeof s.note, "%s", cur.c_str());
}

std::string randomHex()
{
    std::uint64_t r = 0;
    if (getrandom(&r, sizeof r, 0) != static_cast<ssize_t>(sizeof r))
        r = static_cast<std::uint64_t>(monotonicNs()) * 0x9E3779B97F4A7C15ULL;
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(r));
    return buf;
}

// Pipe capacity for queueDepth messages: raised with F_SETPIPE_SZ (the kernel rounds up to a
// power-of-two number of pages) or refused with the limit named.
std::string sizePipe(MessagingShared &s, int fd, const MessagingParams &m, const IpcLimits &lim, bool first)
{
    if (m.queueDepth != 0) {
        const std::uint64_t want = std::uint64_t{m.queueDepth} * m.messageSize;
        if (want > static_cast<std::uint64_t>(INT32_MAX))
            return "primitive.queueDepth: " + std::to_string(m.queueDepth) + " messages of " + std::to_string(m.messageSize) +
                   " bytes need a pipe of " + std::to_string(want) + " bytes, more than any pipe can hold";
        if (fcntl(fd, F_SETPIPE_SZ, static_cast<int>(want)) < 0) {
            const int e = errno;
            if (e == EPERM || e == EINVAL)
                return "primitive.queueDepth: " + std::to_string(m.queueDepth) + " messages of " +
                       std::to_string(m.messageSize) + " bytes need a pipe of " + std::to_string(want) +
                       " bytes, over this machine's pipe size limit of " + std::to_string(lim.pipeMaxSize) +
                       " bytes (/proc/sys/fs/pipe-max-size) or this user's pipe memory (/proc/sys/fs/pipe-user-pages-*); "
                       "raise it with `sysctl fs.pipe-max-size=" + std::to_string(want) +
                       "` or ask for fewer or smaller messages";
            return "primitive.queueDepth: cannot resize the pipe to " + std::to_string(want) + " bytes: " + errnoText(e);
        }
        if (first && lim.pipeMaxSize > 0 && want > static_cast<std::uint64_t>(lim.pipeMaxSize)) {
            s.raised = 1;
            appendNote(s, "pipe raised above fs.pipe-max-size (" + std::to_string(lim.pipeMaxSize) +
                              " bytes), which this privileged user may do");
        }
    }
    const int cap = fcntl(fd, F_GETPIPE_SZ);
    if (first) {
        s.bufferBytes = cap;
        s.depth = cap > 0 ? cap / static_cast<int>(m.messageSize) : 0;
        if (m.queueDepth == 0)
            appendNote(s, "pipe capacity is the kernel's default, " + std::to_string(cap) + " bytes");
        else if (static_cast<std::uint64_t>(cap) != std::uint64_t{m.queueDepth} * m.messageSize)
            appendNote(s, "pipe capacity " + std::to_string(cap) + " bytes: the kernel rounds " +
                              std::to_string(std::uint64_t{m.queueDepth} * m.messageSize) +
                              " bytes up to a power of two pages");
    }
    return {};
}

std::string createPipes(MessagingShared &s, const MessagingParams &m, const IpcLimits &lim)
{
    for (std::uint32_t i = 0; i < s.channelCount(); ++i) {
        int p[2];
        if (pipe2(p, O_CLOEXEC) != 0)
            return "primitive.transport: cannot create pipe " + std::to_string(i + 1) + " of " +
                   std::to_string(s.channelCount()) + ": " + errnoText(errno);
        s.channels()[i].readFd = p[0];
        s.channels()[i].writeFd = p[1];
        if (std::string e = sizePipe(s, p[1], m, lim, i == 0); !e.empty())
            return e;
    }
    return {};
}

std::string tempDirBase()
{
    const char *t = std::getenv("TMPDIR");
    if (t && t[0] == '/' && std::strlen(t) < kPathBytes - 40)
        return t;
    return "/tmp";
}

std::string createFifos(MessagingShared &s, const MessagingParams &m, const IpcLimits &lim)
{
    const std::string tmpl = tempDirBase() + "/clab-fifo-XXXXXX";
    std::snprintf(s.fifoDir, sizeof s.fifoDir, "%s", tmpl.c_str());
    if (!mkdtemp(s.fifoDir)) { // creates the directory with mode 0700
        const int e = errno;
        s.fifoDir[0] = '\0';
        return "primitive.transport: cannot create a private directory for the FIFOs in " + tempDirBase() + ": " +
               errnoText(e);
    }
    for (std::uint32_t i = 0; i < s.channelCount(); ++i) {
        ChannelShared &c = s.channels()[i];
        const std::string path = std::string(s.fifoDir) + "/c" + std::to_string(i);
        if (path.size() >= sizeof c.path)
            return "primitive.transport: the FIFO path " + path + " is too long";
        std::memcpy(c.path, path.c_str(), path.size() + 1);
        if (mkfifo(c.path, 0600) != 0) {
            const int e = errno;
            c.path[0] = '\0';
            return "primitive.transport: cannot create FIFO " + std::to_string(i + 1) + ": " + errnoText(e);
        }
        // The read end first, non-blocking (no writer yet), then the write end, which then
        // finds a reader and does not block; reads block again from here on.
        c.readFd = open(c.path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
        if (c.readFd >= 0)
            c.writeFd = open(c.path, O_WRONLY | O_CLOEXEC);
        if (c.readFd < 0 || c.writeFd < 0)
            return "primitive.transport: cannot open FIFO " + std::string(c.path) + ": " + errnoText(errno);
        fcntl(c.readFd, F_SETFL, fcntl(c.readFd, F_GETFL) & ~O_NONBLOCK);
        // Both ends are open: the name is no longer needed.
        unlink(c.path);
        std::atomic_ref<char>(c.path[0]).store('\0', std::memory_order_release);
        if (std::string e = sizePipe(s, c.writeFd, m, lim, i == 0); !e.empty())
            return e;
    }
    rmdir(s.fifoDir);
    std::atomic_ref<char>(s.fifoDir[0]).store('\0', std::memory_order_release);
    return {};
}

std::string createPosixMqs(MessagingShared &s, const MessagingParams &m, const IpcLimits &lim)
{
    if (lim.mqMsgsizeMax > 0 && m.messageSize > static_cast<std::uint64_t>(lim.mqMsgsizeMax))
        return "primitive.messageSize: " + std::to_string(m.messageSize) +
               " bytes is over this machine's POSIX message-queue limit of " + std::to_string(lim.mqMsgsizeMax) +
               " (/proc/sys/fs/mqueue/msgsize_max); raise it with `sysctl fs.mqueue.msgsize_max=" +
               std::to_string(m.messageSize) + "` or use a smaller message (the streaming presets cover larger sizes "
               "with pipes, sockets and shared memory)";
    long depth = m.queueDepth;
    if (depth == 0) {
        depth = lim.mqMsgDefault > 0 ? lim.mqMsgDefault : 10;
        if (lim.mqMsgMax > 0)
            depth = std::min(depth, lim.mqMsgMax);
    } else if (lim.mqMsgMax > 0 && depth > lim.mqMsgMax) {
        return "primitive.queueDepth: " + std::to_string(depth) +
               " messages is over this machine's POSIX message-queue limit of " + std::to_string(lim.mqMsgMax) +
               " (/proc/sys/fs/mqueue/msg_max); raise it with `sysctl fs.mqueue.msg_max=" + std::to_string(depth) +
               "` or ask for fewer messages";
    }
    const std::uint64_t charge = posixMqCharge(static_cast<std::uint64_t>(depth), m.messageSize);
    const std::uint32_t count = s.channelCount();
    if (lim.mqBytesRlimit != 0 && lim.mqBytesRlimit != UINT64_MAX && charge * count > lim.mqBytesRlimit)
        return "primitive.transport: posix-mq needs " + std::to_string(count) + " message queues of " +
               std::to_string(depth) + " × " + std::to_string(m.messageSize) + " bytes, about " +
               std::to_string(charge * count) + " bytes in all, over this user's message-queue memory limit of " +
               std::to_string(lim.mqBytesRlimit) + " bytes (RLIMIT_MSGQUEUE, `ulimit -q`); use fewer workers, "
               "fewer or smaller messages, or raise the limit";
    const std::string prefix = "/clab-mq-" + std::to_string(getpid()) + "-" + randomHex() + "-";
    for (std::uint32_t i = 0; i < count; ++i) {
        ChannelShared &c = s.channels()[i];
        std::snprintf(c.path, sizeof c.path, "%s%u", prefix.c_str(), i);
        mq_attr attr{};
        attr.mq_maxmsg = depth;
        attr.mq_msgsize = m.messageSize;
        const mqd_t q = mq_open(c.path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600, &attr);
        if (q == static_cast<mqd_t>(-1)) {
            const int e = errno;
            c.path[0] = '\0';
            const std::string which = "primitive.transport: cannot create POSIX message queue " + std::to_string(i + 1) +
                                      " of " + std::to_string(count) + ": ";
            if (e == EMFILE)
                return which + "this user's message-queue memory (RLIMIT_MSGQUEUE, " + std::to_string(lim.mqBytesRlimit) +
                       " bytes, `ulimit -q`) is used up, other programs' queues included (each of these takes about " +
                       std::to_string(charge) + " bytes), or the process is out of file descriptors; use fewer "
                       "workers or smaller messages";
            if (e == ENOSPC)
                return which + "the machine's number of message queues is used up (" + std::to_string(lim.mqQueuesMax) +
                       ", /proc/sys/fs/mqueue/queues_max)";
            return which + errnoText(e);
        }
        c.readFd = q;
        c.writeFd = q;
        mq_unlink(c.path);
        std::atomic_ref<char>(c.path[0]).store('\0', std::memory_order_release);
    }
    mq_attr got{};
    mq_getattr(s.channels()[0].readFd, &got);
    s.depth = got.mq_maxmsg;
    s.bufferBytes = got.mq_maxmsg * got.mq_msgsize;
    if (m.queueDepth == 0)
        appendNote(s, "queue depth is this machine's default, " + std::to_string(got.mq_maxmsg) +
                          " messages (/proc/sys/fs/mqueue/msg_default)");
    return {};
}

std::string createSysvQueues(MessagingShared &s, const MessagingParams &m, const IpcLimits &lim)
{
    if (lim.sysvMsgMax > 0 && m.messageSize > static_cast<std::uint64_t>(lim.sysvMsgMax))
        return "primitive.messageSize: " + std::to_string(m.messageSize) +
               " bytes is over this machine's System V message limit of " + std::to_string(lim.sysvMsgMax) +
               " (/proc/sys/kernel/msgmax); raise it with `sysctl kernel.msgmax=" + std::to_string(m.messageSize) +
               "` or use a smaller message";
    const std::uint64_t mnb = lim.sysvMsgMnb > 0 ? static_cast<std::uint64_t>(lim.sysvMsgMnb) : 16384;
    std::uint64_t qbytes = 0;
    if (m.queueDepth != 0)
        qbytes = std::uint64_t{m.queueDepth} * m.messageSize;
    else
        qbytes = std::max<std::uint64_t>(mnb / m.messageSize, 1) * m.messageSize;
    for (std::uint32_t i = 0; i < s.channelCount(); ++i) {
        ChannelShared &c = s.channels()[i];
        const int id = msgget(IPC_PRIVATE, IPC_CREAT | IPC_EXCL | 0600);
        if (id < 0) {
            const int e = errno;
            if (e == ENOSPC)
                return "primitive.transport: cannot create System V message queue " + std::to_string(i + 1) +
                       ": the machine's number of queues is used up (/proc/sys/kernel/msgmni)";
            return "primitive.transport: cannot create System V message queue " + std::to_string(i + 1) + ": " +
                   errnoText(e);
        }
        std::atomic_ref<int>(c.sysvId).store(id, std::memory_order_release);
        if (qbytes != mnb) {
            msqid_ds ds{};
            msgctl(id, IPC_STAT, &ds);
            ds.msg_qbytes = qbytes;
            if (msgctl(id, IPC_SET, &ds) != 0) {
                const int e = errno;
                if (e == EPERM)
                    return "primitive.queueDepth: " + std::to_string(m.queueDepth) + " messages of " +
                           std::to_string(m.messageSize) + " bytes need a System V queue of " + std::to_string(qbytes) +
                           " bytes, over this machine's limit of " + std::to_string(mnb) +
                           " (/proc/sys/kernel/msgmnb); raise it with `sysctl kernel.msgmnb=" + std::to_string(qbytes) +
                           "` or ask for fewer messages";
                return "primitive.queueDepth: cannot size the System V queue to " + std::to_string(qbytes) + " bytes: " +
                       errnoText(e);
            }
        }
    }
    s.depth = static_cast<std::int64_t>(qbytes / m.messageSize);
    s.bufferBytes = static_cast<std::int64_t>(qbytes);
    if (qbytes > mnb) {
        s.raised = 1;
        appendNote(s, "queue raised above kernel.msgmnb (" + std::to_string(mnb) +
                          " bytes), which this privileged user may do");
    } else if (m.queueDepth == 0) {
        appendNote(s, "queue holds this machine's default of " + std::to_string(mnb) +
                          " bytes (/proc/sys/kernel/msgmnb)");
    }
    return {};
}

// Unix sockets: the sender's buffer bounds the bytes in flight. queueDepth asks for room for that
// many messages; above net.core.wmem_max it is forced where this user may, else refused.
std::string sizeSocket(MessagingShared &s, int fd, std::uint64_t want, const IpcLimits &lim, const std::string &why,
                       bool first)
{
    if (want > static_cast<std::uint64_t>(INT32_MAX / 2))
        return why + " needs a socket buffer of " + std::to_string(want) + " bytes, more than a socket can have";
    const int v = static_cast<int>(want);
    if (lim.wmemMax > 0 && want > static_cast<std::uint64_t>(lim.wmemMax)) {
        if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &v, sizeof v) != 0)
            return why + " needs a socket send buffer of " + std::to_string(want) +
                   " bytes, over this machine's limit of " + std::to_string(lim.wmemMax) +
                   " (/proc/sys/net/core/wmem_max); raise it with `sysctl net.core.wmem_max=" + std::to_string(want) +
                   "` or ask for fewer or smaller messages";
        if (first) {
            s.raised = 1;
            appendNote(s, "socket buffer raised above net.core.wmem_max (" + std::to_string(lim.wmemMax) +
                              " bytes), which this privileged user may do");
        }
    } else if (setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof v) != 0) {
        return why + ": cannot set the socket send buffer: " + errnoText(errno);
    }
    return {};
}

std::string createSocketPairs(MessagingShared &s, const MessagingParams &m, const IpcLimits &lim, bool stream)
{
    if (!stream && m.queueDepth != 0 && lim.unixMaxDgramQlen > 0 && m.queueDepth > lim.unixMaxDgramQlen)
        return "primitive.queueDepth: " + std::to_string(m.queueDepth) +
               " messages is over this machine's Unix datagram queue limit of " + std::to_string(lim.unixMaxDgramQlen) +
               " (/proc/sys/net/unix/max_dgram_qlen); raise it with `sysctl net.unix.max_dgram_qlen=" +
               std::to_string(m.queueDepth) + "` or ask for fewer messages";
    s.ownsSockets = 1;
    for (std::uint32_t p = 0; p < s.pairs; ++p) {
        int sv[2];
        if (socketpair(AF_UNIX, (stream ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC, 0, sv) != 0)
            return "primitive.transport: cannot create Unix socket pair " + std::to_string(p + 1) + ": " +
                   errnoText(errno);
        ChannelShared &c0 = s.channel(p, 0);
        c0.writeFd = sv[0];
        c0.readFd = sv[1];
        if (s.channelsPerPair == 2) {
            ChannelShared &c1 = s.channel(p, 1);
            c1.writeFd = sv[1];
            c1.readFd = sv[0];
        }
        for (int fd : sv) {
            std::uint64_t want = 0;
            std::string why;
            if (m.queueDepth != 0) {
                want = std::uint64_t{m.queueDepth} * m.messageSize;
                why = "primitive.queueDepth: " + std::to_string(m.queueDepth) + " messages of " +
                      std::to_string(m.messageSize) + " bytes";
            }
            // A datagram must fit in the sender's buffer (less 32 bytes the kernel keeps).
            if (!stream && lim.wmemDefault > 0 && m.messageSize + 32 > std::max<std::uint64_t>(want, static_cast<std::uint64_t>(lim.wmemDefault))) {
                want = m.messageSize + 32;
                why = "primitive.messageSize: a datagram of " + std::to_string(m.messageSize) + " bytes";
                if (p == 0 && fd == sv[0])
                    appendNote(s, "socket buffer raised to fit one " + std::to_string(m.messageSize) + "-byte datagram");
            }
            if (want != 0) {
                if (std::string e = sizeSocket(s, fd, want, lim, why, p == 0 && fd == sv[0]); !e.empty())
                    return e;
            }
        }
    }
    int buf = 0;
    socklen_t len = sizeof buf;
    getsockopt(s.channels()[0].writeFd, SOL_SOCKET, SO_SNDBUF, &buf, &len);
    s.bufferBytes = buf;
    if (stream) {
        s.depth = 0; // a byte stream: the buffer counts bytes and the kernel's overhead, not messages
        appendNote(s, "send buffer " + std::to_string(buf) +
                          " bytes as the kernel counts it (payload plus per-message overhead)");
    } else {
        s.depth = m.queueDepth != 0 ? m.queueDepth : lim.unixMaxDgramQlen;
        if (m.queueDepth == 0)
            appendNote(s, "datagram queue holds this machine's default of " + std::to_string(lim.unixMaxDgramQlen) +
                              " messages (/proc/sys/net/unix/max_dgram_qlen)");
        else
            appendNote(s, "datagram queue limited to " + std::to_string(m.queueDepth) +
                              " messages by the send buffer; the kernel's own limit is " +
                              std::to_string(lim.unixMaxDgramQlen));
    }
    return {};
}

std::string createShmRings(MessagingShared &s, const Layout &l, const MessagingParams &m)
{
    std::uint64_t off = l.ringsOffset;
    for (std::uint32_t i = 0; i < s.channelCount(); ++i) {
        ShmRingHeader::create(reinterpret_cast<std::byte *>(&s) + off, l.slots, m.messageSize);
        s.channels()[i].ringOffset = off;
        off += l.ringBytes;
    }
    s.depth = static_cast<std::int64_t>(l.slots);
    s.bufferBytes = static_cast<std::int64_t>(l.slots * ShmRingHeader::slotSizeFor(m.messageSize));
    if (m.queueDepth == 0)
        appendNote(s, "ring of " + std::to_string(l.slots) + " slots of " +
                          std::to_string(ShmRingHeader::slotSizeFor(m.messageSize)) + " bytes (the default: about " +
                          std::to_string(kShmDefaultRingBytes / 1024) + " KiB)");
    return {};
}

std::string keepCpusAwake(MessagingShared &s)
{
    // A PM QoS request of 0 µs held while the file stays open: idle CPUs poll instead of halting.
    const int fd = open("/dev/cpu_dma_latency", O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return "primitive.keepCpusAwake: cannot open /dev/cpu_dma_latency: " + errnoText(errno) +
               " (it needs write access, usually root); turn keepCpusAwake off or run as a user who may write it";
    const std::int32_t zero = 0;
    if (write(fd, &zero, sizeof zero) != static_cast<ssize_t>(sizeof zero)) {
        const int e = errno;
        close(fd);
        return "primitive.keepCpusAwake: cannot write 0 to /dev/cpu_dma_latency: " + errnoText(e);
    }
    s.dmaFd = fd;
    return {};
}

std::string initMessaging(void *mem, const ExperimentSpec &spec, bool /*processShared*/)
{
    const Layout l = layoutFor(spec);
    auto *s = new (mem) MessagingShared{};
    s->pairs = l.pairs;
    s->channelsPerPair = l.channelsPerPair;
    s->reportsOffset = l.reportsOffset;
    s->channelsOffset = l.channelsOffset;
    for (std::uint32_t i = 0; i < spec.workers; ++i)
        new (s->reports() + i) WorkerReport{};
    for (std::uint32_t i = 0; i < l.pairs * l.channelsPerPair; ++i)
        new (s->channels() + i) ChannelShared{};
    s->magic = kMagic;

    const MessagingParams &m = spec.messaging;
    if (spec.execution == ExecutionModel::Sequential)
        return "execution: message passing cannot run sequentially: a message needs its receiver running at the "
               "same time as its sender; use threads or processes";
    if (spec.workers < 2 || spec.workers % 2 != 0)
        return "workers: message passing runs workers in pairs (worker 2k sends to worker 2k+1), so the count "
               "must be even, got " + std::to_string(spec.workers);
    if (m.messageSize < 1 || m.messageSize > limits::kMaxMessageSize)
        return "primitive.messageSize: must be 1 byte..1 MiB, got " + std::to_string(m.messageSize);
    if (m.queueDepth > limits::kMaxQueueDepth)
        return "primitive.queueDepth: must be at most " + std::to_string(limits::kMaxQueueDepth) + ", got " +
               std::to_string(m.queueDepth);
    if (m.wake == WakeStrategy::Spinning && m.transport != Transport::ShmChannel)
        return std::string("primitive.wake: spinning is offered by the shared-memory channel only; ") +
               toString(m.transport) + " waits in the kernel";
    if (!l.error.empty())
        return l.error;

    const IpcLimits lim = readIpcLimits();
    std::string error;
    switch (m.transport) {
    case Transport::Pipe: error = createPipes(*s, m, lim); break;
    case Transport::Fifo:
        error = startJanitor(*s, true);
        if (error.empty())
            error = createFifos(*s, m, lim);
        break;
    case Transport::PosixMq:
        error = startJanitor(*s, false);
        if (error.empty())
            error = createPosixMqs(*s, m, lim);
        break;
    case Transport::SysvMq:
        error = startJanitor(*s, false);
        if (error.empty())
            error = createSysvQueues(*s, m, lim);
        break;
    case Transport::UnixStream: error = createSocketPairs(*s, m, lim, true); break;
    case Transport::UnixDgram: error = createSocketPairs(*s, m, lim, false); break;
    case Transport::ShmChannel: error = createShmRings(*s, l, m); break;
    }
    if (error.empty() && m.keepCpusAwake)
        error = keepCpusAwake(*s);
    return error;
}

// ---------------------------------------------------------------------------------------------
// finish: figures and checks

const char *wakeLabel(const MessagingParams &m)
{
    switch (m.transport) {
    case Transport::Pipe: return "Wake strategy: blocking read()/write() in the kernel (pipe)";
    case Transport::Fifo: return "Wake strategy: blocking read()/write() in the kernel (FIFO)";
    case Transport::PosixMq: return "Wake strategy: blocking mq_receive()/mq_send() in the kernel";
    case Transport::SysvMq: return "Wake strategy: blocking msgrcv()/msgsnd() in the kernel";
    case Transport::UnixStream: return "Wake strategy: blocking recv()/send() in the kernel (stream socket)";
    case Transport::UnixDgram: return "Wake strategy: blocking recv()/send() in the kernel (datagram socket)";
    case Transport::ShmChannel:
        return m.wake == WakeStrategy::Spinning
                   ? "Wake strategy: busy-wait with pause on shared memory (spinning: no system call, a CPU kept busy)"
                   : "Wake strategy: futex sleep, woken only when the receiver sleeps (blocking shared-memory channel)";
    }
    return "Wake strategy: ?";
}

const char *reasonText(EndReason r)
{
    switch (r) {
    case EndReason::Running: return "did not report (it was killed or crashed)";
    case EndReason::Normal: return "ended normally";
    case EndReason::PeerLeft: return "ended when its peer said bye";
    case EndReason::Interrupted: return "gave up waiting for its peer";
    case EndReason::PeerClosed: return "found its channel closed";
    case EndReason::Failed: return "failed";
    }
    return "?";
}

void finishMessaging(void *mem, const ExperimentSpec &spec, bool allFinished, RunResult &result)
{
    auto *s = static_cast<MessagingShared *>(mem);
    if (s->magic != kMagic)
        return;
    const MessagingParams &m = spec.messaging;
    const bool pingPong = m.pattern == MessagePattern::PingPong;
    auto fig = [&](const char *name, std::string label, double value, const char *unit) {
        result.figures.push_back(NamedFigure{name, std::move(label), value, unit});
    };
    const double wake = m.transport == Transport::ShmChannel ? (m.wake == WakeStrategy::Spinning ? 2 : 1) : 0;
    fig("wakeStrategy", wakeLabel(m), wake, "");
    std::string awake = m.keepCpusAwake ? "CPUs kept awake: /dev/cpu_dma_latency held at 0 µs during the run (1 = yes)"
                                        : "CPUs kept awake: no, idle CPUs may halt between messages (0 = no)";
    if (m.keepCpusAwake) {
        // The request is honoured by cpuidle governors; with no cpuidle driver the idle loop
        // halts whatever is asked, and the result should say so rather than imply otherwise.
        char driver[64] = {};
        if (FILE *f = std::fopen("/sys/devices/system/cpu/cpuidle/current_driver", "re")) {
            if (!std::fgets(driver, sizeof driver, f))
                driver[0] = '\0';
            std::fclose(f);
        }
        driver[std::strcspn(driver, "\n")] = '\0';
        if (std::strcmp(driver, "none") == 0 || driver[0] == '\0')
            awake += "; note: this kernel has no cpuidle driver, so idle CPUs may halt regardless of the request";
        else
            awake += std::string("; cpuidle driver: ") + driver;
    }
    fig("keepCpusAwake", awake, m.keepCpusAwake ? 1 : 0, "");
    fig("messageSize", "Message size", m.messageSize, "B");
    if (s->depth > 0)
        fig("queueDepth", std::string("Messages the transport holds") + (s->note[0] ? std::string(" (") + s->note + ")" : ""),
            static_cast<double>(s->depth), "");
    if (s->bufferBytes > 0) {
        const char *what = "Buffer";
        switch (m.transport) {
        case Transport::Pipe:
        case Transport::Fifo: what = "Pipe capacity"; break;
        case Transport::PosixMq: what = "Queue capacity (messages × size)"; break;
        case Transport::SysvMq: what = "Queue capacity (msg_qbytes)"; break;
        case Transport::UnixStream:
        case Transport::UnixDgram: what = "Socket send buffer (SO_SNDBUF)"; break;
        case Transport::ShmChannel: what = "Ring size (slots × slot size)"; break;
        }
        fig("bufferBytes", std::string(what) + (s->depth <= 0 && s->note[0] ? std::string(" (") + s->note + ")" : ""),
            static_cast<double>(s->bufferBytes), "B");
    }
    if (s->raised)
        fig("limitRaised", std::string("A machine limit was raised for this run: ") + s->note, 1, "");

    // Placement of each pair, from the CPUs its workers were seen on.
    std::uint32_t sameCpu = 0, crossCpu = 0, moved = 0;
    for (std::uint32_t p = 0; p < s->pairs; ++p) {
        const std::uint32_t a = 2 * p, b = 2 * p + 1;
        if (b >= result.workers.size())
            break;
        const auto &ca = result.workers[a].cpusSeen;
        const auto &cb = result.workers[b].cpusSeen;
        if (ca.empty() || cb.empty())
            continue; // a worker that never ran says nothing about placement
        if (ca.size() == 1 && cb.size() == 1)
            (ca[0] == cb[0] ? sameCpu : crossCpu) += 1;
        else
            ++moved;
    }
    fig("pairsSameCpu", "Pairs whose two workers ran on one and the same CPU", sameCpu, "");
    fig("pairsCrossCpu", "Pairs whose two workers each stayed on a different CPU", crossCpu, "");
    if (moved)
        fig("pairsMoved", "Pairs with a worker seen on more than one CPU (not pinned: the kernel moved it)", moved, "");

    // Throughput, latency and CPU per message, by side.
    const std::uint64_t wall = result.wallNs;
    std::uint64_t firstOps = 0, secondOps = 0, secondBytes = 0, firstCpu = 0, secondCpu = 0;
    LatencyHistogram rtt;
    for (const auto &w : result.workers) {
        const bool first = w.index % 2 == 0;
        (first ? firstOps : secondOps) += w.ops;
        (first ? firstCpu : secondCpu) += w.userNs + w.sysNs;
        if (!first)
            secondBytes += w.bytes;
        if (first && pingPong)
            rtt += w.histogram;
    }
    if (pingPong) {
        fig("roundTripsPerSecond", "Round trips per second (all pairs)", metrics::rate(firstOps, wall), "1/s");
        const LatencySummary l = metrics::summarize(rtt);
        if (l.count > 0) {
            const std::string sampled =
                m.transport == Transport::ShmChannel && m.wake == WakeStrategy::Spinning
                    ? " (one in " + std::to_string(kShmTimingSampleEvery) + " timed)"
                    : std::string();
            fig("roundTripP50", "Round trip, median" + sampled, l.p50Ns, "ns");
            fig("roundTripP99", "Round trip, 99th percentile" + sampled, l.p99Ns, "ns");
            fig("roundTripMean", "Round trip, mean" + sampled, l.meanNs, "ns");
        }
        if (firstOps)
            fig("cpuPerRoundTripInitiator", "CPU time (user + system) of the initiating side per round trip (one send, one receive)",
                static_cast<double>(firstCpu) / static_cast<double>(firstOps), "ns");
        if (secondOps)
            fig("cpuPerRoundTripResponder", "CPU time (user + system) of the answering side per round trip (one receive, one send)",
                static_cast<double>(secondCpu) / static_cast<double>(secondOps), "ns");
    } else {
        fig("messagesPerSecond", "Messages received per second (all pairs)", metrics::rate(secondOps, wall), "1/s");
        fig("bytesPerSecond", "Payload bytes received per second (all pairs)", metrics::rate(secondBytes, wall), "B/s");
        if (firstOps)
            fig("cpuPerMessageSender", "CPU time (user + system) of the sending side per message",
                static_cast<double>(firstCpu) / static_cast<double>(firstOps), "ns");
        if (secondOps)
            fig("cpuPerMessageReceiver", "CPU time (user + system) of the receiving side per message",
                static_cast<double>(secondCpu) / static_cast<double>(secondOps), "ns");
    }

    // Claims checked on the run itself.
    WorkerReport *rep = s->reports();
    const std::uint32_t workers = spec.workers;
    std::uint64_t checked = 0, full = 0, corrupt = 0;
    std::string corruptDetail;
    for (std::uint32_t i = 0; i < workers; ++i) {
        const WorkerReport &r = rep[i];
        if (std::atomic_ref<const std::uint32_t>(r.done).load(std::memory_order_acquire) == 0)
            continue;
        checked += r.checked;
        full += r.checkedFull;
        corrupt += r.corrupt;
        if (r.corrupt && corruptDetail.empty())
            corruptDetail = "worker " + std::to_string(i) + " received " + std::to_string(r.corrupt) +
                            " corrupt messages, the first with sequence number " + std::to_string(r.firstCorrupt);
    }
    ResultCheck intact{"payloadIntact", "Every message arrived with the bytes that were sent, in order", false, {}};
    intact.passed = corrupt == 0 && checked > 0;
    intact.detail = corrupt ? corruptDetail
                            : std::to_string(checked) + " messages checked for their sequence number, " +
                                  std::to_string(full) + " of them byte for byte" +
                                  (checked == 0 ? std::string(" (nothing arrived)") : std::string());
    result.checks.push_back(std::move(intact));

    // Clean ends, and the delivery balance of each channel.
    std::string endDetail;
    bool clean = true;
    for (std::uint32_t i = 0; i < workers; ++i) {
        const WorkerReport &r = rep[i];
        const bool done = std::atomic_ref<const std::uint32_t>(r.done).load(std::memory_order_acquire) != 0;
        const EndReason why = done ? r.reason : EndReason::Running;
        if (why == EndReason::Normal || why == EndReason::PeerLeft)
            continue;
        clean = false;
        const std::uint32_t peer = i ^ 1U;
        std::string line = "worker " + std::to_string(i) + " " + reasonText(why);
        if (why == EndReason::Interrupted)
            line += ": worker " + std::to_string(peer) + ", its peer, did not answer within " +
                    std::to_string(kPeerGraceNs / 1'000'000) + " ms of the stop (it had ended or been killed)";
        else if (why == EndReason::PeerClosed)
            line += ": worker " + std::to_string(peer) + ", its peer, is gone";
        else if (why == EndReason::Failed)
            line += std::string(": ") + r.call + ": " + std::strerror(r.err);
        endDetail += (endDetail.empty() ? "" : "; ") + line;
    }
    ResultCheck ended{"pairsEndedCleanly", "Every pair ended by saying bye, with no message lost in flight", clean, {}};
    ended.detail = clean ? (s->pairs == 1 ? std::string("the pair exchanged byes")
                                          : "all " + std::to_string(s->pairs) + " pairs exchanged byes")
                         : endDetail;
    result.checks.push_back(std::move(ended));

    if (clean && allFinished) {
        bool balanced = true;
        std::uint64_t total = 0;
        std::string bad;
        for (std::uint32_t p = 0; p < s->pairs; ++p) {
            const WorkerReport &a = rep[2 * p], &b = rep[2 * p + 1];
            total += a.sent + (pingPong ? b.sent : 0);
            if (a.sent != b.received || (pingPong && b.sent != a.received)) {
                balanced = false;
                bad = "pair " + std::to_string(p) + ": worker " + std::to_string(2 * p) + " sent " + std::to_string(a.sent) +
                      ", worker " + std::to_string(2 * p + 1) + " received " + std::to_string(b.received);
                if (pingPong)
                    bad += "; back: sent " + std::to_string(b.sent) + ", received " + std::to_string(a.received);
            }
        }
        ResultCheck delivered{"allDelivered", "Every message sent was received (warm-up included)", balanced, {}};
        delivered.detail = balanced ? std::to_string(total) + " messages sent and received" : bad;
        result.checks.push_back(std::move(delivered));
    }
}

// ---------------------------------------------------------------------------------------------
// cleanup: release everything init created, whatever happened

void cleanupMessaging(void *mem, const ExperimentSpec &spec, bool stuckThreads)
{
    auto *s = static_cast<MessagingShared *>(mem);
    if (s->magic != kMagic)
        return;
    const Transport t = spec.messaging.transport;
    const std::uint32_t count = s->channelCount();
    for (std::uint32_t i = 0; i < count; ++i) {
        ChannelShared &c = s->channels()[i];
        // A System V queue has no descriptor to close: remove it (a stuck thread blocked in it
        // gets EIDRM), and only then tell the janitor it is gone.
        if (c.sysvId >= 0) {
            msgctl(c.sysvId, IPC_RMID, nullptr);
            std::atomic_ref<int>(c.sysvId).store(-1, std::memory_order_release);
        }
        if (c.path[0] != '\0') {
            if (t == Transport::Fifo)
                unlink(c.path);
            else
                mq_unlink(c.path);
            std::atomic_ref<char>(c.path[0]).store('\0', std::memory_order_release);
        }
        // A thread that could not be stopped may still use its descriptors: leave them open
        // rather than let it read a recycled descriptor number (the process is about to exit).
        if (!stuckThreads) {
            const bool sharedEnds = s->ownsSockets && i % s->channelsPerPair != 0;
            if (!sharedEnds) {
                if (c.readFd >= 0)
                    close(c.readFd);
                if (c.writeFd >= 0 && c.writeFd != c.readFd)
                    close(c.writeFd);
            }
            c.readFd = c.writeFd = -1;
        }
    }
    if (s->fifoDir[0] != '\0') {
        rmdir(s->fifoDir);
        s->fifoDir[0] = '\0';
    }
    if (s->dmaFd >= 0) {
        close(s->dmaFd);
        s->dmaFd = -1;
    }
    stopJanitor(*s);
}

std::size_t sharedSizeMessaging(const ExperimentSpec &spec)
{
    return static_cast<std::size_t>(layoutFor(spec).total);
}

} // namespace

const ExperimentFamily kMessagePassingFamily{PrimitiveKind::MessagePassing, sharedSizeMessaging, initMessaging,
                                             runMessagingWorker, finishMessaging, cleanupMessaging};

} // namespace clab
