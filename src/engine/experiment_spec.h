// The experiment as plain data: what the file format loads and the engine runs (no Qt here).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace clab {

enum class ExecutionModel { Threads, Processes, Sequential };
enum class PlacementPolicy { Unpinned, SameCpu, Spread, CpuList };
enum class PrimitiveKind { LockContention };
// How the lock-contention experiment guards its shared counter.
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
};

struct LockContentionParams {
    Guard guard = Guard::Mutex;
    // One uncontended acquisition in this many is timed (contended ones always are).
    std::uint32_t timingSampleEvery = 64;
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
    LockContentionParams lock;
    Workload workload;
    std::uint64_t sampleIntervalNs = 10'000'000;
    PlacementPolicy placement = PlacementPolicy::Unpinned;
    std::vector<int> cpuList; // only for PlacementPolicy::CpuList
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
} // namespace limits

const char *toString(ExecutionModel m);
const char *toString(PlacementPolicy p);
const char *toString(PrimitiveKind k);
const char *toString(Guard g);

} // namespace clab
