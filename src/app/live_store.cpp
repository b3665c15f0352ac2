// The live run store: samples in, bounded series and clab::metrics summaries out.
#include "live_store.h"

#include <QCoreApplication>

#include <algorithm>
#include <cmath>

namespace clab::app {

namespace {
std::uint64_t roundCount(double v)
{
    return v > 0 ? static_cast<std::uint64_t>(std::llround(v)) : 0;
}
} // namespace

// ---- TotalsAccumulator ------------------------------------------------------------------------

void TotalsAccumulator::reset(std::uint32_t workers, std::uint64_t slotNs, std::size_t maxOpenSlots)
{
    m_slotNs = std::max<std::uint64_t>(slotNs, 1);
    m_maxOpen = std::max<std::size_t>(maxOpenSlots, 2);
    m_firstSlot = 0;
    m_open.clear();
    m_progressNs.assign(workers, 0);
    m_done.assign(workers, false);
    m_maxSeenNs = 0;
    m_late = 0;
}

void TotalsAccumulator::add(std::uint32_t worker, const SampleDelta &d)
{
    if (worker >= m_progressNs.size())
        return;
    m_progressNs[worker] = std::max(m_progressNs[worker], d.t1Ns);
    m_maxSeenNs = std::max(m_maxSeenNs, d.t1Ns);
    const std::uint64_t dt = d.dtNs();
    const auto addTo = [&](std::uint64_t slot, double share, std::uint64_t overlapNs) {
        if (slot < m_firstSlot) {
            ++m_late; // that slot was already drawn: its total stays as it was
            return;
        }
        const std::uint64_t idx = slot - m_firstSlot;
        if (idx >= m_open.size())
            m_open.resize(static_cast<std::size_t>(idx + 1));
        Sums &s = m_open[static_cast<std::size_t>(idx)];
        s.ops += static_cast<double>(d.ops) * share;
        s.waitNs += static_cast<double>(d.waitNs) * share;
        s.holdNs += static_cast<double>(d.holdNs) * share;
        s.contended += static_cast<double>(d.contended) * share;
        s.workerNs += static_cast<double>(overlapNs);
    };
    if (dt == 0) {
        addTo(d.t1Ns / m_slotNs, 1.0, 0);
        return;
    }
    const std::uint64_t first = d.t0Ns / m_slotNs;
    const std::uint64_t last = (d.t1Ns - 1) / m_slotNs;
    for (std::uint64_t k = first; k <= last; ++k) {
        const std::uint64_t a = std::max(d.t0Ns, k * m_slotNs);
        const std::uint64_t b = std::min(d.t1Ns, (k + 1) * m_slotNs);
        if (b > a)
            addTo(k, static_cast<double>(b - a) / static_cast<double>(dt), b - a);
    }
}

void TotalsAccumulator::workerDone(std::uint32_t worker)
{
    if (worker < m_done.size())
        m_done[worker] = true;
}

std::uint64_t TotalsAccumulator::readyLimit() const
{
    std::uint64_t limit = UINT64_MAX;
    bool any = false;
    for (std::size_t i = 0; i < m_progressNs.size(); ++i) {
        if (m_done[i])
            continue;
        limit = std::min(limit, m_progressNs[i]);
        any = true;
    }
    // When every worker is done, what they reported is complete up to the last time seen.
    return any ? limit : m_maxSeenNs;
}

// ---- LiveRunStore -----------------------------------------------------------------------------

QString workerStateName(int state)
{
    switch (state) {
    case CLAB_WORKER_CREATED: return QCoreApplication::translate("clab", "created");
    case CLAB_WORKER_RUNNING: return QCoreApplication::translate("clab", "running");
    case CLAB_WORKER_WAITING: return QCoreApplication::translate("clab", "waiting");
    case CLAB_WORKER_HOLDING: return QCoreApplication::translate("clab", "holding");
    case CLAB_WORKER_IO: return QCoreApplication::translate("clab", "IO / sleeping");
    case CLAB_WORKER_FINISHED: return QCoreApplication::translate("clab", "finished");
    case CLAB_WORKER_FAILED: return QCoreApplication::translate("clab", "failed");
    default: return QCoreApplication::translate("clab", "unknown");
    }
}

LiveRunStore::LiveRunStore() = default;
LiveRunStore::~LiveRunStore() = default;

LiveRunStore::Config LiveRunStore::configFor(const ExperimentSpec &spec)
{
    Config c;
    c.workers = spec.workers;
    c.sampleIntervalNs = spec.sampleIntervalNs;
    c.warmupNs = spec.warmupNs;
    c.plannedNs = spec.operationsPerWorker == 0 ? spec.warmupNs + spec.durationNs : 0;
    c.gaugesFromStart = spec.primitive == PrimitiveKind::MessagePassing && spec.messaging.transport != Transport::UnixDgram;
    return c;
}

void LiveRunStore::reset(const Config &config)
{
    m_config = config;
    const std::uint32_t n = std::max<std::uint32_t>(config.workers, 1);
    // About 128 Ki slots over all per-worker series: 2048 each up to 64 workers, fewer beyond.
    m_slots = config.slotsPerSeries != 0 ? config.slotsPerSeries
                                         : std::clamp<std::size_t>((std::size_t{1} << 17) / n, 256, 2048);
    const double width = static_cast<double>(std::max<std::uint64_t>(config.sampleIntervalNs, 1000)) / 1e9;
    if (m_workers.size() != config.workers || (!m_workers.empty() && m_workers.front().rate.capacity() != m_slots)) {
        m_workers.clear();
        m_workers.reserve(config.workers);
        for (std::uint32_t i = 0; i < config.workers; ++i)
            m_workers.push_back(WorkerLive{BinnedSeries(m_slots, width), StateTrack(m_slots, width)});
    }
    for (WorkerLive &w : m_workers) {
        w.rate.reset(width);
        w.states.reset(width);
        w.prev = {};
        w.havePrev = false;
        w.prevWarm = false;
        w.measuredStartNs = 0;
        w.measuring = false;
        w.done = false;
        w.state = CLAB_WORKER_CREATED;
    }
    m_results.assign(config.workers, WorkerResult{});
    for (std::uint32_t i = 0; i < config.workers; ++i) {
        m_results[i].index = i;
        m_results[i].exitState = "created";
    }
    // Totals are finer than per-worker slots would need to be: keep them at 4× the per-worker budget.
    for (BinnedSeries *s : {&m_totalRate, &m_waitFraction, &m_contended, &m_gauge0, &m_gauge1, &m_latencyP50, &m_latencyP99}) {
        if (s->capacity() != m_slots * 2)
            s->setCapacity(m_slots * 2);
        s->reset(width);
    }
    m_gaugesSeen = config.gaugesFromStart;
    m_acc.reset(config.workers, std::max<std::uint64_t>(config.sampleIntervalNs, 100'000));
    m_totals = metrics::Totals{};
    m_latency = LatencyHistogram{};
    m_latencySettled = LatencyHistogram{};
    m_counter.reset();
    m_wallNs = 0;
    m_samples = 0;
    m_latestNs = 0;
    m_final = false;
    m_dirty = false;
    ++m_revision;
}

void LiveRunStore::ingest(std::uint32_t worker, const clab_sample &s)
{
    if (worker >= m_workers.size() || m_final)
        return;
    WorkerLive &w = m_workers[worker];
    const bool warm = (s.flags & CLAB_SAMPLE_WARMUP) != 0;
    clab_sample before{};
    if (w.havePrev && w.prevWarm == warm) {
        before = w.prev;
    } else {
        // A new phase: its counters start at zero when the previous phase's last sample was taken
        // (the worker publishes that sample as it switches), or at the start gate.
        if (w.havePrev)
            before.t_ns = w.prev.t_ns;
        else if (!warm && m_config.warmupNs > 0)
            before.t_ns = m_config.warmupNs; // its warm-up samples were dropped: use the plan
        if (!warm) {
            w.measuredStartNs = before.t_ns;
            w.measuring = true;
        }
    }
    const SampleDelta d = sampleDelta(before, s);
    const IntervalFigures f = intervalFigures(d);
    const double tMid = (static_cast<double>(d.t0Ns) + static_cast<double>(d.t1Ns)) / 2e9;
    if (d.dtNs() > 0)
        w.rate.add(tMid, f.opsPerSecond);
    w.states.add(static_cast<double>(d.t0Ns) / 1e9, static_cast<double>(d.t1Ns) / 1e9, static_cast<int>(s.state));
    m_acc.add(worker, d);
    if (s.gauge0 != 0 || s.gauge1 != 0)
        m_gaugesSeen = true;
    if (m_gaugesSeen) {
        const double t = static_cast<double>(s.t_ns) / 1e9;
        m_gauge0.add(t, static_cast<double>(s.gauge0));
        m_gauge1.add(t, static_cast<double>(s.gauge1));
    }
    w.prev = s;
    w.havePrev = true;
    w.prevWarm = warm;
    if (!warm) {
        WorkerResult &r = m_results[worker];
        r.ops = s.ops;
        r.bytes = s.bytes;
        r.waitNs = s.wait_ns;
        r.holdNs = s.hold_ns;
        r.contended = s.contended;
        r.measuredNs = s.t_ns > w.measuredStartNs ? s.t_ns - w.measuredStartNs : 0;
        r.userNs = s.user_ns;
        r.sysNs = s.sys_ns;
        r.volCsw = s.vol_csw;
        r.involCsw = s.invol_csw;
        m_dirty = true;
    }
    if ((s.flags & CLAB_SAMPLE_FINAL) != 0) {
        w.done = true;
        m_acc.workerDone(worker);
    }
    m_latestNs = std::max(m_latestNs, s.t_ns);
    ++m_samples;
}

void LiveRunStore::updateLane(std::uint32_t worker, const LatencyHistogram &histogram, std::uint64_t drops,
                              std::uint64_t cpuMask, clab_worker_state state)
{
    if (worker >= m_workers.size() || m_final)
        return;
    WorkerResult &r = m_results[worker];
    r.histogram = histogram;
    r.drops = drops;
    r.cpusSeen.clear();
    for (int c = 0; c < 64; ++c) {
        if ((cpuMask & (std::uint64_t{1} << static_cast<unsigned>(c))) != 0)
            r.cpusSeen.push_back(c);
    }
    m_workers[worker].state = static_cast<int>(state);
    if (state == CLAB_WORKER_FAILED && !m_workers[worker].done) {
        m_workers[worker].done = true;
        m_acc.workerDone(worker);
    }
    r.exitState = workerStateName(static_cast<int>(state)).toStdString();
    m_dirty = true;
}

void LiveRunStore::addTotalSlot(const TotalsAccumulator::Slot &slot)
{
    const double t = (slot.t0 + slot.t1) / 2;
    const auto lenNs = static_cast<std::uint64_t>(std::llround((slot.t1 - slot.t0) * 1e9));
    m_totalRate.add(t, metrics::rate(roundCount(slot.sums.ops), lenNs));
    m_waitFraction.add(t, metrics::fraction(roundCount(slot.sums.waitNs), roundCount(slot.sums.workerNs)));
    m_contended.add(t, metrics::fraction(roundCount(slot.sums.contended), roundCount(slot.sums.ops)));
}

void LiveRunStore::settle()
{
    m_acc.closeReady([this](const TotalsAccumulator::Slot &slot) { addTotalSlot(slot); });
    if (m_dirty)
        recomputeTotals();
}

void LiveRunStore::finish()
{
    const auto add = [this](const TotalsAccumulator::Slot &slot) { addTotalSlot(slot); };
    m_acc.closeReady(add);
    m_acc.closeAll(add);
    if (m_dirty)
        recomputeTotals();
}

void LiveRunStore::recomputeTotals()
{
    std::uint64_t start = UINT64_MAX, end = 0;
    for (std::size_t i = 0; i < m_workers.size(); ++i) {
        const WorkerLive &w = m_workers[i];
        if (!w.measuring)
            continue;
        start = std::min(start, w.measuredStartNs);
        end = std::max(end, w.measuredStartNs + m_results[i].measuredNs);
    }
    m_wallNs = end > start && start != UINT64_MAX ? end - start : 0;
    m_totals = metrics::totals(m_results, m_wallNs);
    m_latency = LatencyHistogram{};
    for (const WorkerResult &r : m_results)
        m_latency += r.histogram;
    const LatencyHistogram interval = m_latency.since(m_latencySettled);
    if (interval.total() > 0) {
        const double t = static_cast<double>(m_latestNs) / 1e9;
        m_latencyP50.add(t, interval.quantile(0.5));
        m_latencyP99.add(t, interval.quantile(0.99));
        m_latencySettled = m_latency;
    }
    m_dirty = false;
    ++m_revision;
}

void LiveRunStore::applyResult(const RunResult &result)
{
    finish();
    m_results = result.workers;
    m_wallNs = result.wallNs;
    m_totals = metrics::totals(m_results, m_wallNs);
    m_latency = LatencyHistogram{};
    for (const WorkerResult &r : m_results)
        m_latency += r.histogram;
    m_counter = result.counter;
    for (std::size_t i = 0; i < m_results.size() && i < m_workers.size(); ++i) {
        const std::string &st = m_results[i].exitState;
        m_workers[i].state = st == "finished" || st == "stopped" ? CLAB_WORKER_FINISHED : CLAB_WORKER_FAILED;
    }
    m_final = true;
    m_dirty = false;
    ++m_revision;
}

void LiveRunStore::loadResult(const ExperimentSpec &spec, const RunResult &result)
{
    reset(configFor(spec));
    for (const SeriesPoint &p : result.series)
        ingest(p.worker, p.sample);
    finish();
    applyResult(result);
}

std::size_t LiveRunStore::memoryBytes() const
{
    std::size_t bytes = 0;
    for (const WorkerLive &w : m_workers)
        bytes += w.rate.memoryBytes() + w.states.memoryBytes();
    for (const BinnedSeries *s : {&m_totalRate, &m_waitFraction, &m_contended, &m_gauge0, &m_gauge1, &m_latencyP50, &m_latencyP99})
        bytes += s->memoryBytes();
    bytes += m_acc.openSlots() * sizeof(TotalsAccumulator::Sums);
    return bytes;
}

int LiveRunStore::rowCount() const
{
    return static_cast<int>(m_workers.size());
}

QString LiveRunStore::rowLabel(int row) const
{
    return QStringLiteral("W%1").arg(row);
}

void LiveRunStore::accumulate(int row, const charts::TimeAxis &axis, std::span<charts::StateCounts> columns) const
{
    if (row < 0 || row >= rowCount())
        return;
    m_workers[static_cast<std::size_t>(row)].states.accumulate(axis, columns);
}

std::optional<charts::TimelineSource::Tail> LiveRunStore::tail(int row) const
{
    if (row < 0 || row >= rowCount())
        return std::nullopt;
    const StateTrack &t = m_workers[static_cast<std::size_t>(row)].states;
    return Tail{t.unsettledFrom(), t.generation()};
}

} // namespace clab::app
