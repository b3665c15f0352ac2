// Shared by tst_semaphore, tst_event and tst_sync: run an ExperimentSpec through the engine,
// look up family figures and checks, kill a worker process in the middle of a run.
#pragma once

#include "experiment_spec.h"
#include "run_result.h"
#include "run_supervisor.h"
#include "stats_ring.h"

#include <QByteArray>
#include <QString>
#include <QTest>

#include <atomic>
#include <csignal>
#include <optional>
#include <string>

namespace clab::testing {

inline ExperimentSpec baseSpec(PrimitiveKind kind, ExecutionModel execution, std::uint32_t workers)
{
    ExperimentSpec s;
    s.name = "test";
    s.primitive = kind;
    s.execution = execution;
    s.workers = workers;
    s.durationNs = 200'000'000;
    s.warmupNs = 0;
    s.sampleIntervalNs = 10'000'000;
    return s;
}

inline ExperimentSpec opsSpec(ExperimentSpec s, std::uint64_t ops)
{
    s.durationNs = 0;
    s.operationsPerWorker = ops;
    return s;
}

struct RunOptions {
    std::uint64_t graceNs = 2'000'000'000;
    int killWorker = -1; // processes: SIGKILL this worker once it has published progress
};

inline RunResult runSpec(const ExperimentSpec &spec, const RunOptions &o = {})
{
    StatsRing ring = StatsRing::createAnonymous(spec.workers, recommendedLaneCapacity(spec.sampleIntervalNs));
    SupervisorOptions opts;
    opts.graceNs = o.graceNs;
    RunHooks hooks;
    bool killed = false;
    if (o.killWorker >= 0) {
        hooks.onProgress = [&](const RunProgress &p) {
            if (killed || p.opsDone == 0)
                return;
            const auto *prod = reinterpret_cast<const clab_lane_producer *>(ring.lane(static_cast<std::uint32_t>(o.killWorker)));
            const int pid = std::atomic_ref<const std::int32_t>(prod->pid).load(std::memory_order_relaxed);
            if (pid > 0 && pid != getpid()) {
                ::kill(pid, SIGKILL);
                killed = true;
            }
        };
    }
    return runExperiment(spec, ring, opts, hooks);
}

inline std::optional<double> figure(const RunResult &r, const std::string &name)
{
    for (const NamedFigure &f : r.figures) {
        if (f.name == name)
            return f.value;
    }
    return std::nullopt;
}

inline const ResultCheck *check(const RunResult &r, const std::string &name)
{
    for (const ResultCheck &c : r.checks) {
        if (c.name == name)
            return &c;
    }
    return nullptr;
}

// "status (error) | worker states" for failure messages.
inline QByteArray describe(const RunResult &r)
{
    QByteArray out = QByteArray::fromStdString(r.status);
    if (!r.error.empty())
        out += " (" + QByteArray::fromStdString(r.error) + ")";
    out += " | workers:";
    for (const WorkerResult &w : r.workers)
        out += " " + QByteArray::number(w.index) + "=" + QByteArray::fromStdString(w.exitState) + "/" + QByteArray::number(w.ops);
    for (const ResultCheck &c : r.checks)
        out += " | " + QByteArray::fromStdString(c.name) + (c.passed ? " ok: " : " FAILED: ") + QByteArray::fromStdString(c.detail);
    return out;
}

// The message runExperiment throws for a spec the family refuses ("" when it ran).
inline std::string refusal(const ExperimentSpec &spec)
{
    try {
        runSpec(spec);
    } catch (const std::exception &e) {
        return e.what();
    }
    return {};
}

} // namespace clab::testing

// Asserts a named check exists and passed, printing the run on failure.
#define CLAB_VERIFY_CHECK(result, name)                                                                                \
    do {                                                                                                               \
        const clab::ResultCheck *c_ = clab::testing::check((result), (name));                                         \
        QVERIFY2(c_ != nullptr && c_->passed,                                                                          \
                 QByteArray(QByteArray(c_ ? "" : "no check named ") + (c_ ? "" : (name)) + " " +                       \
                            clab::testing::describe(result))                                                           \
                     .constData());                                                                                    \
    } while (false)

// Declares `double var` holding the named figure; fails the test when there is no such figure.
#define CLAB_GET_FIGURE(var, result, name)                                                                             \
    double var = 0;                                                                                                    \
    do {                                                                                                               \
        const auto v_ = clab::testing::figure((result), (name));                                                       \
        QVERIFY2(v_.has_value(), QByteArray(QByteArray("no figure named ") + (name)).constData());                               \
        var = *v_;                                                                                                     \
    } while (false)
