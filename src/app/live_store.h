// Everything a run has shown so far, in bounded memory: per-worker series, totals, states and
// the per-worker summaries the table shows. Fed sample by sample; no widgets, no clocks.
#pragma once

#include "bounded_series.h"
#include "experiment_spec.h"
#include "latency_histogram.h"
#include "metrics.h"
#include "run_result.h"
#include "sample_math.h"
#include "stats_ring_layout.h"
#include "timeline_view.h"

#include <cstdint>
#include <algorithm>
#include <deque>
#include <optional>
#include <vector>

namespace clab::app {

// Sums of all workers' activity per fixed time slot. A worker's interval is spread over the slots
// it overlaps in proportion to the overlap, so samples that drift across slot borders do not make
// the total jump. A slot is closed (reported) once every worker that is still running has
// reported past its end; a worker that stalls cannot hold more than `maxOpenSlots` slots open.
class TotalsAccumulator {
public:
    struct Sums {
        double ops = 0, waitNs = 0, holdNs = 0, contended = 0, workerNs = 0;
    };
    struct Slot {
        double t0 = 0, t1 = 0; // seconds
        Sums sums;
    };

    void reset(std::uint32_t workers, std::uint64_t slotNs, std::size_t maxOpenSlots = 512);
    void add(std::uint32_t worker, const SampleDelta &d);
    // The worker will report no more (finished or failed): it no longer keeps slots open.
    void workerDone(std::uint32_t worker);
    // Hands every slot ready to close to fn(const Slot&), oldest first.
    template<class Fn>
    void closeReady(Fn &&fn)
    {
        const std::uint64_t limit = readyLimit();
        while (!m_open.empty() && ((m_firstSlot + 1) * m_slotNs <= limit || m_open.size() > m_maxOpen))
            popFront(fn, (m_firstSlot + 1) * m_slotNs);
    }
    // End of data: closes everything still open; the last slot ends at the last reported time.
    template<class Fn>
    void closeAll(Fn &&fn)
    {
        while (!m_open.empty())
            popFront(fn, std::min((m_firstSlot + 1) * m_slotNs, m_maxSeenNs));
    }
    std::size_t openSlots() const { return m_open.size(); }
    std::uint64_t slotNs() const { return m_slotNs; }
    // Contributions that arrived for slots already closed (a worker far behind the others).
    std::uint64_t lateContributions() const { return m_late; }

private:
    std::uint64_t readyLimit() const;
    template<class Fn>
    void popFront(Fn &fn, std::uint64_t endNs)
    {
        const std::uint64_t startNs = m_firstSlot * m_slotNs;
        Slot s;
        s.t0 = static_cast<double>(startNs) / 1e9;
        s.t1 = static_cast<double>(endNs) / 1e9;
        s.sums = m_open.front();
        m_open.pop_front();
        ++m_firstSlot;
        if (endNs > startNs)
            fn(static_cast<const Slot &>(s));
    }

    std::uint64_t m_slotNs = 10'000'000;
    std::size_t m_maxOpen = 512;
    std::uint64_t m_firstSlot = 0; // index of m_open.front()
    std::deque<Sums> m_open;
    std::vector<std::uint64_t> m_progressNs; // per worker: the latest time it reported
    std::vector<bool> m_done;
    std::uint64_t m_maxSeenNs = 0;
    std::uint64_t m_late = 0;
};

// Names and the timeline's styles of the worker states (index = clab_worker_state).
QString workerStateName(int state);

class LiveRunStore : public charts::TimelineSource {
public:
    struct Config {
        std::uint32_t workers = 0;
        std::uint64_t sampleIntervalNs = 10'000'000;
        std::uint64_t warmupNs = 0;
        std::uint64_t plannedNs = 0; // warm-up + duration; 0 when bounded by operations
        // Slots per series; 0 picks one from the worker count so the whole store stays bounded.
        std::size_t slotsPerSeries = 0;
        // The gauges mean something from the first sample even when zero (a channel's queue
        // depth); otherwise they are kept from the first non-zero one on (a primitive without
        // state of its own publishes none).
        bool gaugesFromStart = false;
    };

    LiveRunStore();
    ~LiveRunStore() override;

    void reset(const Config &config);
    static Config configFor(const ExperimentSpec &spec);
    const Config &config() const { return m_config; }

    // One sample of lane `worker`, in the lane's order.
    void ingest(std::uint32_t worker, const clab_sample &s);
    // Everything the lane shows outside its samples; call once per frame.
    void updateLane(std::uint32_t worker, const LatencyHistogram &histogram, std::uint64_t drops,
                    std::uint64_t cpuMask, clab_worker_state state);
    // Closes total slots that every worker has passed; call once per frame after ingesting.
    void settle();
    // The run ended: close every open slot.
    void finish();
    // The runner's authoritative summaries replace the live ones (the table then shows the file's figures).
    void applyResult(const RunResult &result);
    // Rebuilds the whole view of a run from a result file's stored series, then applies its summaries.
    void loadResult(const ExperimentSpec &spec, const RunResult &result);

    std::uint32_t workerCount() const { return m_config.workers; }
    const BinnedSeries &workerRate(std::uint32_t w) const { return m_workers[w].rate; }
    const BinnedSeries &totalRate() const { return m_totalRate; }
    const BinnedSeries &waitFraction() const { return m_waitFraction; }
    const BinnedSeries &contendedFraction() const { return m_contended; }
    const BinnedSeries &gauge0() const { return m_gauge0; }
    const BinnedSeries &gauge1() const { return m_gauge1; }
    bool hasGauges() const { return m_gaugesSeen; }
    // Timed operations over time (ns): the median and 99th percentile of what was timed between
    // two consecutive settles (about one frame), from the workers' cumulative histograms. Live
    // only: a result file keeps the whole run's histogram, not its course.
    const BinnedSeries &latencyP50() const { return m_latencyP50; }
    const BinnedSeries &latencyP99() const { return m_latencyP99; }

    // Per-worker summaries in clab::WorkerResult form (live: from the latest measured sample).
    const std::vector<WorkerResult> &workers() const { return m_results; }
    // Totals over workers via metrics::totals (one definition of each figure).
    const metrics::Totals &totals() const { return m_totals; }
    std::uint64_t wallNs() const { return m_wallNs; }
    // Live state of worker w (clab_worker_state).
    int workerState(std::uint32_t w) const { return m_workers[w].state; }
    bool isFinal() const { return m_final; }
    const std::optional<CounterCheck> &counter() const { return m_counter; }
    // The latency histogram of all workers together.
    const LatencyHistogram &latency() const { return m_latency; }

    std::uint64_t samplesIngested() const { return m_samples; }
    // Latest sample time seen, seconds since the start gate.
    double latestTime() const { return static_cast<double>(m_latestNs) / 1e9; }
    // Bytes held by the series and tracks (bounded by the configuration, whatever the run's length).
    std::size_t memoryBytes() const;
    std::size_t slotsPerSeries() const { return m_slots; }
    // Bumped whenever summaries change; views skip work when it is unchanged.
    std::uint64_t revision() const { return m_revision; }

    // charts::TimelineSource
    int rowCount() const override;
    QString rowLabel(int row) const override;
    void accumulate(int row, const charts::TimeAxis &axis, std::span<charts::StateCounts> columns) const override;
    std::optional<Tail> tail(int row) const override;

private:
    struct WorkerLive {
        BinnedSeries rate;
        StateTrack states;
        clab_sample prev{};
        bool havePrev = false;
        bool prevWarm = false;
        std::uint64_t measuredStartNs = 0;
        bool measuring = false;
        bool done = false;
        int state = CLAB_WORKER_CREATED;
    };
    void recomputeTotals();
    void addTotalSlot(const TotalsAccumulator::Slot &slot);

    Config m_config;
    std::size_t m_slots = 2048;
    std::vector<WorkerLive> m_workers;
    std::vector<WorkerResult> m_results;
    BinnedSeries m_totalRate, m_waitFraction, m_contended, m_gauge0, m_gauge1;
    bool m_gaugesSeen = false;
    TotalsAccumulator m_acc;
    metrics::Totals m_totals;
    LatencyHistogram m_latency;
    LatencyHistogram m_latencySettled; // m_latency when the interval series last took a point
    BinnedSeries m_latencyP50, m_latencyP99;
    std::optional<CounterCheck> m_counter;
    std::uint64_t m_wallNs = 0;
    std::uint64_t m_samples = 0;
    std::uint64_t m_latestNs = 0;
    std::uint64_t m_revision = 0;
    bool m_final = false;
    bool m_dirty = false;
};

} // namespace clab::app
