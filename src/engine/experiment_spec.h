// The experiment as plain data: what the file format loads and the engine runs (no Qt here).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace clab {

// threads: one thread per worker in the runner; processes: one forked process per worker;
// sequential: the workers' bodies run one after another on a single thread (the course's
// "single process" case; needs an operation count when there is more than one worker).
enum class ExecutionModel { Threads, Processes, Sequential };
enum class PlacementPolicy { Unpinned, SameCpu, Spread, CpuList };
// Experiment families; JSON spellings in toString(). Each has its params struct below.
enum class PrimitiveKind { LockContention, SharedValue, MessagePassing, Semaphore, Event, Sync, Work, Lifecycle };
// How a shared counter / value is guarded. SharedValue allows None, Mutex, Atomic only.
enum class Guard { None, Mutex, Spinlock, Atomic };

struct Workload {
    // Calibrated CPU work done per operation outside the critical section.
    std::uint64_t cpuWorkNs = 0;
    // Calibrated CPU work done inside the critical section (between read and write of the counter).
    std::uint64_t criticalSectionNs = 0;
    // Idle pause (the worker sleeps) between operations.
    std::uint64_t thinkTimeNs = 0;
    // Blocking wait on a file descriptor per operation (the worker is in the IO state).
    std::uint64_t ioWaitNs = 0;
    // Memory-bound work per operation: this many bytes written with the given stride over a
    // private buffer of memoryBufferBytes (0: none).
    std::uint64_t memoryBytes = 0;
    std::uint32_t memoryStride = 64;
    std::uint64_t memoryBufferBytes = 8ULL << 20;
};

struct LockContentionParams {
    Guard guard = Guard::Mutex;
    // One uncontended acquisition in this many is timed (contended ones always are).
    std::uint32_t timingSampleEvery = 64;
};

// The course's Value(ctype, data) / Array(ctype, init_or_size).
enum class ElementType { Int32, Int64, Double, Char };
struct SharedValueParams {
    ElementType type = ElementType::Int32;
    // 1: a Value; > 1: an Array of this many elements. Ignored when `initial` is given.
    std::uint32_t length = 1;
    // Initial contents (numbers), or empty for zeros.
    std::vector<double> initial;
    // For ElementType::Char: initial text; the experiment writes whole strings and counts torn reads.
    std::string initialText;
    Guard guard = Guard::None; // None, Mutex or Atomic (Atomic: not for Char)
};

enum class Transport { Pipe, Fifo, PosixMq, SysvMq, UnixStream, UnixDgram, ShmChannel };
enum class MessagePattern { PingPong, Streaming };
// How a receiver waits for a message; only the shared-memory channel offers both.
enum class WakeStrategy { Blocking, Spinning };
struct MessagingParams {
    Transport transport = Transport::Pipe;
    MessagePattern pattern = MessagePattern::PingPong;
    std::uint32_t messageSize = 64;   // bytes, 1 .. 1 MiB (further bounded by the transport's limits)
    std::uint32_t queueDepth = 0;     // messages in flight the transport may hold; 0: the transport's default
    WakeStrategy wake = WakeStrategy::Blocking;
    // Hold /dev/cpu_dma_latency at 0 while the run lasts, so idle CPUs do not halt (as cyclictest does).
    bool keepCpusAwake = false;
};

// gate: N workers share K permits, each holds one for workload.criticalSection per operation.
// ping-pong: workers in pairs pass a token back and forth through two semaphores (round trips;
// needs an even number of workers; `permits` is not used).
enum class SemaphorePattern { Gate, PingPong };
struct SemaphoreParams {
    std::uint32_t permits = 2; // K; each worker holds a permit for workload.criticalSection
    SemaphorePattern pattern = SemaphorePattern::Gate;
};

enum class EventPattern { HandOff, Gate };
// futex: the event is one futex word (what the lab recommends); condvar: the obvious baseline,
// a flag under a process-shared pthread mutex with a condition variable.
enum class EventImplementation { Futex, CondVar };
struct EventParams {
    EventPattern pattern = EventPattern::HandOff;
    std::uint64_t waitTimeoutNs = 0; // wait(timeout); 0: wait without a timeout
    // Pause of the setter between rounds (gate and hand-off); 0: back to back, which makes the
    // hand-off a ping-pong of round trips.
    std::uint64_t setIntervalNs = 1'000'000;
    EventImplementation implementation = EventImplementation::Futex;
};

enum class SyncKind { Mutex, RecursiveMutex, RwLock, Spinlock, CondVar, Barrier };
// pthread: pthread_barrier_t (has no timeout and no abort: a worker that dies strands the others
// until the runner kills them); futex: an abortable barrier on a futex word, like Python's
// threading.Barrier (a stop or a dead worker breaks it and releases everyone).
enum class BarrierImplementation { Pthread, Futex };
struct SyncParams {
    SyncKind kind = SyncKind::Mutex;
    double readShare = 0.9;          // rwlock: fraction of operations that only read
    std::uint32_t recursionDepth = 2; // recursive mutex: nested acquisitions per operation
    std::uint32_t queueCapacity = 16; // condvar producer/consumer: bounded queue size
    BarrierImplementation barrierImplementation = BarrierImplementation::Pthread; // barrier only
};

// The course's performance test and the GIL: workers run the workload and nothing else.
struct WorkParams {
    bool gil = false;                          // emulate CPython's global interpreter lock (threads)
    std::uint64_t switchIntervalNs = 5'000'000; // sys.getswitchinterval()
};

enum class LifecycleMode { CreateJoin, Daemon };
struct LifecycleParams {
    LifecycleMode mode = LifecycleMode::CreateJoin;
    std::uint32_t daemonWorkers = 0;   // Daemon mode: how many of the workers are daemons
    std::uint64_t joinTimeoutNs = 0;   // join(timeout) used by the main worker; 0: no timeout
    std::uint64_t mainWorkNs = 100'000'000; // Daemon mode: how long the main worker runs before it finishes
    // CreateJoin in processes mode: true: the child execs /bin/true (fork + exec + waitpid);
    // false: the child runs the workload and calls _exit (fork + _exit + waitpid).
    bool execChild = true;
};

// Parameter sweeps, expanded by the model into one experiment per point and run one after
// another. Values and paths are the file format's (JSON text at a JSON path such as
// "primitive.messageSize"); the engine never interprets them.
struct SweepAxis {
    std::string parameter;           // JSON path
    std::vector<std::string> values; // JSON texts, e.g. "64", "\"pipe\""
};
struct Variant {
    std::string label;
    std::vector<std::pair<std::string, std::string>> set; // JSON path -> JSON text
};

struct ExperimentSpec {
    std::string name;
    std::string description;
    // What the course predicts, shown beside the result (free text).
    std::string prediction;
    // Course topic the experiment belongs to, for the preset gallery (e.g. "Locks").
    std::string topic;
    ExecutionModel execution = ExecutionModel::Threads;
    std::uint32_t workers = 2;
    // The measured phase lasts durationNs, or until each worker has done operationsPerWorker;
    // exactly one of the two is non-zero.
    std::uint64_t durationNs = 1'000'000'000;
    std::uint64_t operationsPerWorker = 0;
    std::uint64_t warmupNs = 0;
    PrimitiveKind primitive = PrimitiveKind::LockContention;
    // The parameters of `primitive`'s family; the others keep their defaults and are not saved.
    LockContentionParams lock;
    SharedValueParams sharedValue;
    MessagingParams messaging;
    SemaphoreParams semaphore;
    EventParams event;
    SyncParams sync;
    WorkParams work;
    LifecycleParams lifecycle;
    Workload workload;
    std::uint64_t sampleIntervalNs = 10'000'000;
    PlacementPolicy placement = PlacementPolicy::Unpinned;
    std::vector<int> cpuList; // only for PlacementPolicy::CpuList
    // Points = variants × the cartesian product of the sweep axes (first axis varies slowest).
    std::vector<Variant> variants;
    std::vector<SweepAxis> sweep;
};

// Limits the file format validates against (one place, used by model and engine).
namespace limits {
inline constexpr std::uint32_t kMinWorkers = 1;
inline constexpr std::uint32_t kMaxWorkers = 1024;
inline constexpr std::uint64_t kMinDurationNs = 10'000'000;           // 10 ms
inline constexpr std::uint64_t kMaxDurationNs = 86'400'000'000'000ULL; // 24 h
inline constexpr std::uint64_t kMaxWarmupNs = 3'600'000'000'000ULL;    // 1 h
inline constexpr std::uint64_t kMaxOperationsPerWorker = 1'000'000'000'000ULL;
inline constexpr std::uint64_t kMinSampleIntervalNs = 100'000;          // 100 µs
inline constexpr std::uint64_t kMaxSampleIntervalNs = 10'000'000'000ULL; // 10 s
inline constexpr std::uint64_t kMaxWorkNs = 10'000'000'000ULL;          // 10 s per operation
inline constexpr std::uint32_t kMaxTimingSampleEvery = 1'000'000;
inline constexpr std::uint32_t kMaxArrayLength = 1'000'000;
inline constexpr std::uint32_t kMaxMessageSize = 1U << 20;       // 1 MiB
inline constexpr std::uint32_t kMaxQueueDepth = 65'536;
inline constexpr std::uint32_t kMaxPermits = 1024;
inline constexpr std::uint32_t kMaxRecursionDepth = 64;
inline constexpr std::uint32_t kMaxQueueCapacity = 65'536;
inline constexpr std::uint64_t kMaxMemoryBufferBytes = 1ULL << 30; // 1 GiB
inline constexpr std::uint64_t kMinSwitchIntervalNs = 1'000;        // 1 µs
inline constexpr std::uint64_t kMaxSwitchIntervalNs = 1'000'000'000; // 1 s
} // namespace limits

const char *toString(ExecutionModel m);
const char *toString(PlacementPolicy p);
const char *toString(PrimitiveKind k);
const char *toString(Guard g);
const char *toString(ElementType t);
const char *toString(Transport t);
const char *toString(MessagePattern p);
const char *toString(WakeStrategy w);
const char *toString(EventPattern p);
const char *toString(SyncKind k);
const char *toString(SemaphorePattern p);
const char *toString(EventImplementation i);
const char *toString(BarrierImplementation i);
const char *toString(LifecycleMode m);

} // namespace clab
