// What a run produced, as plain data: per-worker summaries, totals and the sampled series.
#pragma once

#include "latency_histogram.h"
#include "stats_ring_layout.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace clab {

struct MachineInfo {
    std::string cpuModel;
    int logicalCpus = 0;
    std::string kernel;   // uname -sr
    std::string hostname;
    std::string compiler; // e.g. "GCC 12.2.0"
    std::string appVersion;
    std::string buildType;
    std::string clockSource; // "tsc" or "clock_gettime"
    double tscTicksPerNs = 0.0;
};

struct LatencySummary {
    std::uint64_t count = 0;
    double meanNs = 0, p50Ns = 0, p90Ns = 0, p99Ns = 0, p999Ns = 0, maxNs = 0;
};

struct WorkerResult {
    std::uint32_t index = 0;
    int pid = 0;
    int tid = 0;
    int pinnedCpu = -1;          // -1 when not pinned
    std::vector<int> cpusSeen;   // CPUs it was observed on
    std::string exitState;       // "finished", "crashed", "killed", "stopped", "exited"
    std::string error;           // plain words when it did not finish
    bool finalValid = false;     // the worker wrote its final block (else: last sample)
    std::uint64_t ops = 0;       // measured phase
    std::uint64_t opsTotal = 0;  // warm-up + measured
    std::uint64_t bytes = 0;
    std::uint64_t waitNs = 0;
    std::uint64_t holdNs = 0;
    std::uint64_t contended = 0;
    std::uint64_t measuredNs = 0;
    std::uint64_t userNs = 0;
    std::uint64_t sysNs = 0;
    std::uint64_t volCsw = 0;
    std::uint64_t involCsw = 0;
    std::uint64_t ownerDied = 0;
    std::uint64_t drops = 0;
    LatencySummary latency;
    LatencyHistogram histogram;
};

struct SeriesPoint {
    std::uint32_t worker = 0;
    clab_sample sample{};
};

struct CounterCheck {
    std::uint64_t expected = 0; // increments the workers made
    std::uint64_t actual = 0;   // value the shared counter holds
    std::int64_t lost() const { return static_cast<std::int64_t>(expected) - static_cast<std::int64_t>(actual); }
};

// A figure a family reports beside the standard metrics (e.g. "maximum concurrent holders").
struct NamedFigure {
    std::string name;  // stable key, camelCase, for files and scripts
    std::string label; // for people
    double value = 0;
    std::string unit;  // SI unit or empty
};

// A claim the experiment checks on its own result (e.g. "the semaphore never admits more than K").
struct ResultCheck {
    std::string name;
    std::string description;
    bool passed = false;
    std::string detail;
};

struct RunResult {
    std::string status; // "finished", "failed", "stopped"
    std::string error;  // plain words when not finished
    std::uint64_t startRealtimeNs = 0;
    std::uint64_t wallNs = 0; // measured phase, from the start gate to the last worker's end
    MachineInfo machine;
    std::vector<WorkerResult> workers;
    std::optional<CounterCheck> counter;
    std::vector<NamedFigure> figures;
    std::vector<ResultCheck> checks;
    std::vector<SeriesPoint> series;
    std::uint64_t samplesReceived = 0;
    std::uint64_t samplesDropped = 0;
};

} // namespace clab
