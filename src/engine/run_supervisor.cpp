// Run supervision: start gate, phases, worker death, cooperative stop then kill, the final tally.
#include "run_supervisor.h"

#include "calibrated_work.h"
#include "experiment_family.h"
#include "machine_info.h"
#include "metrics.h"
#include "tsc_clock.h"
#include "worker_loop.h"

#include <algorithm>
#include <bit>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <dirent.h>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace clab {

namespace {

std::atomic<bool> g_stuckThreads{false};

std::uint64_t tvNs(const timeval &tv) noexcept
{
    return static_cast<std::uint64_t>(tv.tv_sec) * 1'000'000'000ULL + static_cast<std::uint64_t>(tv.tv_usec) * 1000ULL;
}

// Shared memory for the control block and the experiment's primitives: anonymous and shared,
// so forked workers inherit it and nothing has a name that could outlive the run.
class SharedBlock {
public:
    explicit SharedBlock(std::size_t size) : m_size(size)
    {
        m_p = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (m_p == MAP_FAILED)
            throw std::runtime_error(std::string("cannot map shared memory for the run: ") + std::strerror(errno));
    }
    ~SharedBlock()
    {
        if (!m_leak)
            munmap(m_p, m_size);
    }
    // A thread that could not be stopped may still touch the block: keep it mapped.
    void leak() { m_leak = true; }
    SharedBlock(const SharedBlock &) = delete;
    SharedBlock &operator=(const SharedBlock &) = delete;
    std::byte *data() const { return static_cast<std::byte *>(m_p); }

private:
    void *m_p;
    std::size_t m_size;
    bool m_leak = false;
};

// Exit codes of a worker process. Anything else (or a signal) is a death the worker did not
// choose; what a failed worker has to say is in its status line, not in the code.
constexpr int kWorkerExitFailed = 1;       // runWorker failed; the status line holds errno and what
constexpr int kWorkerExitRunnerGone = 127; // the runner died before the worker could set PDEATHSIG

struct WorkerSlot {
    std::uint32_t index = 0;
    pid_t pid = -1;                  // processes mode
    std::thread thread;              // threads mode
    std::atomic<bool> done{false};   // threads mode
    std::atomic<int> rc{0};          // threads mode: runWorker's return
    bool exited = false;
    int waitStatus = 0;
    rusage usage{};                  // from wait4, for a worker that never wrote its final block
    std::string failure;
    std::uint64_t failureOrder = 0;  // when the failure was seen (0: none): the first one names the run's failure
    bool strandedKill = false;       // killed because it stayed blocked after another worker failed
};

// "worker 3 (pid 1234) could not start: pinning to CPU 3 (sched_setaffinity): Invalid argument":
// the phase comes from whether the start gate had opened for the worker, the rest from its
// status line (the errno whole, whatever its value).
std::string describeFailure(std::uint32_t index, pid_t pid, const WorkerStatusLine &line, int fallbackError)
{
    const int error = line.error != 0 ? line.error : fallbackError;
    std::string out = "worker " + std::to_string(index);
    if (pid > 0)
        out += " (pid " + std::to_string(pid) + ")";
    out += line.started.load(std::memory_order_relaxed) != 0 ? " failed during the run: " : " could not start: ";
    const std::size_t whatLen = strnlen(line.what, sizeof line.what);
    if (line.error != 0 && whatLen > 0)
        out.append(line.what, whatLen).append(": ");
    out += std::strerror(error);
    return out;
}

std::string describeStatus(std::uint32_t index, pid_t pid, int status, const WorkerStatusLine &line)
{
    char buf[200];
    if (WIFSIGNALED(status)) {
        const int sig = WTERMSIG(status);
        const char *name = sigabbrev_np(sig);
        std::snprintf(buf, sizeof buf, "worker %u (pid %d) was killed by signal %d (SIG%s: %s)", index, pid, sig,
                      name ? name : "?", strsignal(sig));
    } else if (WIFEXITED(status) && WEXITSTATUS(status) == kWorkerExitFailed && line.error != 0) {
        return describeFailure(index, pid, line, 0);
    } else if (WIFEXITED(status) && WEXITSTATUS(status) == kWorkerExitRunnerGone) {
        std::snprintf(buf, sizeof buf, "worker %u (pid %d) exited with code %d: the runner had gone before it started",
                      index, pid, WEXITSTATUS(status));
    } else if (WIFEXITED(status)) {
        std::snprintf(buf, sizeof buf, "worker %u (pid %d) exited with code %d", index, pid, WEXITSTATUS(status));
    } else {
        std::snprintf(buf, sizeof buf, "worker %u (pid %d) ended with status 0x%x", index, pid, status);
    }
    return buf;
}

// Whether a worker process still does anything: one of its threads runnable, or CPU time or a
// context switch gained since the last look (from /proc/PID/task/*/stat and schedstat). A worker
// blocked for good (pthread_barrier_wait whose party died, a condition variable whose internal
// lock a dead process held) does none of these; one that is leaving, even slowly on a loaded
// machine, does one of them.
class ActivityProbe {
public:
    // True when the process looked active since the previous call (or cannot be read: then it
    // is given the benefit of the doubt).
    bool active(pid_t pid)
    {
        std::uint64_t signature = 0;
        bool runnable = false;
        const std::string taskDir = "/proc/" + std::to_string(pid) + "/task";
        DIR *d = opendir(taskDir.c_str());
        if (!d)
            return true;
        bool readable = false;
        while (const dirent *e = readdir(d)) {
            if (e->d_name[0] < '0' || e->d_name[0] > '9')
                continue;
            const std::string base = taskDir + "/" + e->d_name;
            char buf[512];
            if (readSmall((base + "/stat").c_str(), buf, sizeof buf)) {
                const char *paren = std::strrchr(buf, ')'); // the state follows the name in parentheses
                if (paren && paren[1] == ' ' && paren[2] == 'R')
                    runnable = true;
            }
            if (readSmall((base + "/schedstat").c_str(), buf, sizeof buf)) {
                unsigned long long runNs = 0, delayNs = 0, timeslices = 0;
                if (std::sscanf(buf, "%llu %llu %llu", &runNs, &delayNs, &timeslices) == 3) {
                    readable = true;
                    signature += runNs + timeslices + 1; // +1: a thread that appears or goes counts too
                }
            }
        }
        closedir(d);
        if (!readable)
            return true;
        auto [it, inserted] = m_last.try_emplace(pid, signature);
        const bool changed = !inserted && it->second != signature;
        it->second = signature;
        return runnable || changed || inserted;
    }

private:
    static bool readSmall(const char *path, char *buf, std::size_t size)
    {
        FILE *f = std::fopen(path, "re");
        if (!f)
            return false;
        const std::size_t n = std::fread(buf, 1, size - 1, f);
        std::fclose(f);
        buf[n] = '\0';
        return n > 0;
    }
    std::map<pid_t, std::uint64_t> m_last;
};

const char *phaseName(RunPhase p)
{
    switch (p) {
    case RunPhase::Preparing: return "preparing";
    case RunPhase::Warmup: return "warmup";
    case RunPhase::Measuring: return "measuring";
    case RunPhase::Stop: return "stopping";
    }
    return "?";
}

// Keeps the stored series bounded: past the limit, every other point is dropped and only every
// `stride`-th new one kept. Samples are cumulative, so this loses resolution, never totals.
class SeriesStore {
public:
    SeriesStore(std::vector<SeriesPoint> &out, std::size_t maxPoints, std::uint32_t lanes)
        : m_out(out), m_max(std::max<std::size_t>(maxPoints, 1024)), m_seen(lanes, 0)
    {
        m_out.reserve(std::min<std::size_t>(m_max, 65536));
    }
    void add(std::uint32_t lane, const clab_sample &s)
    {
        const bool keep = (s.flags & CLAB_SAMPLE_FINAL) != 0 || m_seen[lane]++ % m_stride == 0;
        if (!keep)
            return;
        m_out.push_back({lane, s});
        if (m_out.size() >= m_max) {
            std::size_t w = 0;
            for (std::size_t r = 0; r < m_out.size(); ++r) {
                if (r % 2 == 0 || (m_out[r].sample.flags & CLAB_SAMPLE_FINAL) != 0)
                    m_out[w++] = m_out[r];
            }
            m_out.resize(w);
            m_stride *= 2;
        }
    }

private:
    std::vector<SeriesPoint> &m_out;
    std::size_t m_max;
    std::uint64_t m_stride = 1;
    std::vector<std::uint64_t> m_seen;
};

} // namespace

bool runLeftStuckThreads() noexcept { return g_stuckThreads.load(); }

std::uint32_t recommendedLaneCapacity(std::uint64_t sampleIntervalNs, std::uint64_t drainPeriodNs)
{
    const std::uint64_t perDrain = drainPeriodNs / std::max<std::uint64_t>(sampleIntervalNs, 1) + 1;
    const std::uint64_t want = std::clamp<std::uint64_t>(perDrain * 8, 64, 8192);
    return static_cast<std::uint32_t>(std::bit_ceil(want));
}

PlacementPlan planPlacement(const ExperimentSpec &spec, const std::vector<int> &allowed)
{
    PlacementPlan plan;
    plan.cpus.assign(spec.workers, -1);
    if (spec.placement == PlacementPolicy::Unpinned)
        return plan;
    if (allowed.empty()) {
        plan.error = "placement: cannot read which CPUs this process may use";
        return plan;
    }
    for (std::uint32_t i = 0; i < spec.workers; ++i) {
        switch (spec.placement) {
        case PlacementPolicy::Unpinned: break;
        case PlacementPolicy::SameCpu: plan.cpus[i] = allowed.front(); break;
        case PlacementPolicy::Spread: plan.cpus[i] = allowed[i % allowed.size()]; break;
        case PlacementPolicy::CpuList: plan.cpus[i] = spec.cpuList[i % spec.cpuList.size()]; break;
        }
    }
    if (spec.placement == PlacementPolicy::CpuList) {
        for (std::size_t k = 0; k < spec.cpuList.size(); ++k) {
            const int cpu = spec.cpuList[k];
            if (std::find(allowed.begin(), allowed.end(), cpu) == allowed.end()) {
                std::string list;
                for (int a : allowed)
                    list += (list.empty() ? "" : ",") + std::to_string(a);
                plan.error = "placement[" + std::to_string(k) + "]: CPU " + std::to_string(cpu) +
                             " is not available here (this process may use CPUs " + list + ")";
                return plan;
            }
        }
    }
    return plan;
}

RunResult runExperiment(const ExperimentSpec &spec, StatsRing &ring, const SupervisorOptions &opts, const RunHooks &hooks)
{
    if (ring.laneCount() < spec.workers)
        throw std::runtime_error("stats ring has " + std::to_string(ring.laneCount()) + " lanes but the experiment has " +
                                 std::to_string(spec.workers) + " workers");
    const PlacementPlan placement = planPlacement(spec, allowedCpus());
    if (!placement.error.empty())
        throw std::runtime_error(placement.error);

    RunResult result;
    const TickClock clock = TickClock::calibrate();
    const CalibratedWork work = CalibratedWork::calibrate();
    result.machine = collectMachineInfo(clock);

    const bool processes = spec.execution == ExecutionModel::Processes;
    const std::size_t controlSize = (sizeof(RunControl) + CLAB_CACHE_LINE - 1) / CLAB_CACHE_LINE * CLAB_CACHE_LINE;
    const std::size_t statusSize = sizeof(WorkerStatusLine) * spec.workers; // whole cache lines
    const ExperimentFamily &family = familyFor(spec.primitive);
    SharedBlock shared(controlSize + statusSize + family.sharedSize(spec));
    auto *control = new (shared.data()) RunControl{};
    auto *statusLines = reinterpret_cast<WorkerStatusLine *>(shared.data() + controlSize);
    for (std::uint32_t i = 0; i < spec.workers; ++i)
        new (statusLines + i) WorkerStatusLine{};
    void *familyShared = shared.data() + controlSize + statusSize;
    if (const std::string error = family.init(familyShared, spec, processes); !error.empty()) {
        family.cleanup(familyShared, spec, false);
        throw std::runtime_error(error);
    }
    // From here on the family's OS objects are released whatever happens.
    struct FamilyCleanup {
        const ExperimentFamily &family;
        void *shared;
        const ExperimentSpec &spec;
        ~FamilyCleanup() { family.cleanup(shared, spec, g_stuckThreads.load()); }
    } familyCleanup{family, familyShared, spec};

    for (std::uint32_t i = 0; i < spec.workers; ++i)
        ring.resetLaneStats(i);
    StatsRingReader reader(ring, opts.consumer);
    auto *header = ring.header();
    header->runner_pid = getpid();
    header->sample_interval_ns = spec.sampleIntervalNs;
    header->planned_duration_ns = spec.operationsPerWorker == 0 ? spec.warmupNs + spec.durationNs : 0;
    header->active_lanes = spec.workers;
    header->point_index = opts.pointIndex;
    header->point_count = opts.pointCount;
    ring.setRunState(CLAB_RUN_PREPARING);

    std::vector<WorkerEnv> envs(spec.workers);
    for (std::uint32_t i = 0; i < spec.workers; ++i) {
        envs[i].index = i;
        envs[i].spec = &spec;
        envs[i].control = control;
        envs[i].lane = ring.writer(i);
        envs[i].clock = clock;
        envs[i].work = work;
        envs[i].pinCpu = placement.cpus[i];
        envs[i].primitiveShared = familyShared;
        envs[i].status = statusLines + i;
    }

    // Start the workers. Fork happens while this process has no other threads of its own.
    std::vector<std::unique_ptr<WorkerSlot>> slots;
    slots.reserve(spec.workers);
    std::string failure;
    const pid_t self = getpid();
    std::fflush(nullptr);
    const bool sequential = spec.execution == ExecutionModel::Sequential;
    if (sequential) {
        // One thread runs every worker's body in turn: the first opens the start gate, the
        // others start measuring as soon as the one before them is done.
        auto slot = std::make_unique<WorkerSlot>();
        WorkerSlot *s = slot.get();
        std::vector<WorkerEnv> *all = &envs;
        slot->thread = std::thread([s, all] {
            pthread_setname_np(pthread_self(), "clab-seq");
            for (WorkerEnv &env : *all) {
                if (const int rc = runWorker(env); rc != 0) {
                    noteWorkerFailure(env, rc, ""); // names the worker that failed
                    s->rc.store(rc);
                    break;
                }
            }
            s->done.store(true, std::memory_order_release);
        });
        slots.push_back(std::move(slot));
    }
    for (std::uint32_t i = 0; i < spec.workers && failure.empty() && !sequential; ++i) {
        auto slot = std::make_unique<WorkerSlot>();
        slot->index = i;
        if (processes) {
            const pid_t pid = fork();
            if (pid < 0) {
                failure = std::string("cannot start worker ") + std::to_string(i) + ": fork failed: " + std::strerror(errno);
                break;
            }
            if (pid == 0) {
                // The worker dies with the runner, whatever kills the runner.
                prctl(PR_SET_PDEATHSIG, SIGKILL);
                if (getppid() != self)
                    _exit(kWorkerExitRunnerGone);
                std::signal(SIGINT, SIG_IGN); // a terminal's Ctrl-C is the runner's to handle
                std::signal(SIGTERM, SIG_DFL);
                std::signal(SIGPIPE, SIG_DFL);
                const int rc = runWorker(envs[i]);
                if (rc != 0)
                    noteWorkerFailure(envs[i], rc, ""); // keeps a more precise report made earlier
                _exit(rc == 0 ? 0 : kWorkerExitFailed);
            }
            slot->pid = pid;
        } else {
            WorkerSlot *s = slot.get();
            WorkerEnv *env = &envs[i];
            slot->thread = std::thread([s, env] {
                char name[16];
                std::snprintf(name, sizeof name, "clab-w%u", env->index);
                pthread_setname_np(pthread_self(), name);
                const int rc = runWorker(*env);
                if (rc != 0)
                    noteWorkerFailure(*env, rc, "");
                s->rc.store(rc);
                s->done.store(true, std::memory_order_release);
            });
        }
        slots.push_back(std::move(slot));
    }

    auto interruptLevel = [&] { return hooks.interrupt ? hooks.interrupt->load(std::memory_order_relaxed) : 0; };
    std::uint64_t reapPass = 0;
    auto reap = [&](bool block) {
        std::uint32_t running = 0;
        ++reapPass;
        for (auto &s : slots) {
            if (s->exited)
                continue;
            if (s->pid > 0) {
                int status = 0;
                const pid_t r = wait4(s->pid, &status, block ? 0 : WNOHANG, &s->usage);
                if (r == s->pid) {
                    s->exited = true;
                    s->waitStatus = status;
                    if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0) && !s->strandedKill) {
                        s->failure = describeStatus(s->index, s->pid, status, statusLines[s->index]);
                        s->failureOrder = reapPass;
                    }
                    continue;
                }
            } else if (s->done.load(std::memory_order_acquire)) {
                s->thread.join();
                s->exited = true;
                if (const int rc = s->rc.load(); rc != 0) {
                    std::uint32_t who = s->index; // sequential: the one whose status line has the error
                    for (std::uint32_t i = 0; sequential && i < spec.workers; ++i) {
                        if (statusLines[i].error != 0) {
                            who = i;
                            break;
                        }
                    }
                    s->failure = describeFailure(who, -1, statusLines[who], rc);
                    s->failureOrder = reapPass;
                }
                continue;
            }
            ++running;
        }
        return running;
    };
    // The failure seen first names the run's failure; among those seen at the same look, a worker
    // killed by a signal (the cause) before one that failed because of it (a peer that left).
    auto firstFailure = [&]() -> std::string {
        const WorkerSlot *first = nullptr;
        for (auto &s : slots) {
            if (s->failure.empty())
                continue;
            const bool signaled = s->pid > 0 && WIFSIGNALED(s->waitStatus);
            if (!first || s->failureOrder < first->failureOrder ||
                (s->failureOrder == first->failureOrder && signaled && !(first->pid > 0 && WIFSIGNALED(first->waitStatus))))
                first = s.get();
        }
        return first ? first->failure : std::string();
    };
    auto setPhase = [&](RunPhase p) {
        control->advance(p); // never back: a worker may have announced the planned stop already
        futexWakeAll(control->phase);
    };

    // Start gate: wait until every worker is ready (or one died on the way).
    const std::uint64_t gateDeadline = monotonicNs() + opts.startTimeoutNs;
    bool workerFailed = false; // the run failed because a worker did (not a timeout or a stop)
    while (failure.empty()) {
        const std::uint32_t ready = control->ready.load(std::memory_order_acquire);
        if (ready >= slots.size())
            break;
        reap(false);
        failure = firstFailure();
        workerFailed = !failure.empty();
        if (!failure.empty())
            break;
        if (interruptLevel() != 0) {
            failure = "stopped before the workers started";
            break;
        }
        if (monotonicNs() > gateDeadline) {
            failure = "workers did not get ready within " + std::to_string(opts.startTimeoutNs / 1'000'000'000ULL) + " s";
            break;
        }
        const timespec ts{0, 5'000'000};
        futexWait(control->ready, ready, &ts);
    }

    SeriesStore series(result.series, opts.maxSeriesPoints, spec.workers);
    std::vector<clab_sample> last(spec.workers);
    std::vector<bool> haveLast(spec.workers, false);
    auto drain = [&] {
        const std::size_t n = reader.drain([&](std::uint32_t lane, const clab_sample &s) {
            if (lane >= spec.workers)
                return; // a lane this point does not use (a sweep shares one ring)
            if ((s.flags & CLAB_SAMPLE_WARMUP) == 0) {
                last[lane] = s;
                haveLast[lane] = true;
            }
            series.add(lane, s);
            if (hooks.onSample)
                hooks.onSample(lane, s);
        });
        result.samplesReceived += n;
        return n;
    };

    bool stoppedByUser = false;
    const std::uint64_t startMono = monotonicNs();
    result.startRealtimeNs = realtimeNs();
    if (failure.empty()) {
        control->startMonotonicNs = startMono;
        header->start_monotonic_ns = startMono;
        header->start_realtime_ns = result.startRealtimeNs;
        const RunPhase first = spec.warmupNs > 0 ? RunPhase::Warmup : RunPhase::Measuring;
        const std::uint64_t measureStart = startMono + spec.warmupNs;
        const std::uint64_t stopAt = spec.operationsPerWorker == 0 ? measureStart + spec.durationNs : 0;
        // The plan, published with the first phase: workers change phase by it themselves, so
        // neither the end of the warm-up nor the planned end waits for this thread to get a CPU.
        control->measureStartNs = measureStart;
        control->stopAtNs = stopAt;
        ring.setRunState(first == RunPhase::Warmup ? CLAB_RUN_WARMUP : CLAB_RUN_MEASURING);
        setPhase(first);

        RunPhase phase = first;
        std::uint64_t lastProgressNs = 0, lastOpsChangeNs = startMono, lastOps = 0;
        for (;;) {
            // Wake at the next drain or at the phase boundary, whichever comes first.
            std::uint64_t wake = monotonicNs() + opts.drainPeriodNs;
            if (phase == RunPhase::Warmup)
                wake = std::min(wake, measureStart);
            else if (stopAt != 0)
                wake = std::min(wake, stopAt);
            const timespec ts{static_cast<time_t>(wake / 1'000'000'000ULL), static_cast<long>(wake % 1'000'000'000ULL)};
            while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) == EINTR) {
            }
            drain();
            const std::uint64_t now = monotonicNs();
            const std::uint32_t running = reap(false);
            failure = firstFailure();
            workerFailed = !failure.empty();
            if (!failure.empty())
                break;
            const int irq = interruptLevel();
            if (irq != 0) {
                stoppedByUser = true;
                break;
            }
            if (phase == RunPhase::Warmup && now >= measureStart) {
                phase = RunPhase::Measuring;
                ring.setRunState(CLAB_RUN_MEASURING);
                setPhase(phase);
            }
            std::uint64_t ops = 0;
            for (std::uint32_t i = 0; i < spec.workers; ++i)
                ops += haveLast[i] ? last[i].ops : 0;
            if (ops != lastOps || phase != RunPhase::Measuring) {
                lastOps = ops;
                lastOpsChangeNs = now;
            } else if (opts.stallTimeoutNs != 0 && now - lastOpsChangeNs > opts.stallTimeoutNs) {
                failure = "no worker made progress for " + std::to_string(opts.stallTimeoutNs / 1'000'000) +
                          " ms: the experiment looks deadlocked";
                break;
            }
            if (hooks.onProgress && now - lastProgressNs >= 100'000'000) {
                lastProgressNs = now;
                RunProgress p;
                p.phase = phaseName(phase);
                p.elapsedNs = now - startMono;
                p.plannedNs = header->planned_duration_ns;
                p.opsDone = ops;
                p.opsPlanned = static_cast<std::uint64_t>(spec.workers) * spec.operationsPerWorker;
                p.samplesReceived = result.samplesReceived;
                for (std::uint32_t i = 0; i < spec.workers; ++i)
                    p.samplesDropped += reader.drops(i);
                p.workersRunning = running;
                hooks.onProgress(p);
            }
            if (running == 0)
                break; // operation-bounded runs end when every worker is done
            if (stopAt != 0 && phase == RunPhase::Measuring && now >= stopAt)
                break;
        }
    }

    // Stop: cooperatively first, then by force after the grace period. The phase word's futex
    // wakes every worker asleep on it; waits of the families are cut into slices that look at it.
    ring.setRunState(CLAB_RUN_STOPPING);
    setPhase(RunPhase::Stop);
    const std::uint64_t stopNs = monotonicNs();
    const std::uint64_t graceEnd = stopNs + opts.graceNs;
    // When a worker process failed (died), the run has failed already and the survivors are only
    // asked to leave with their figures. One blocked where no stop reaches it (pthread_barrier_wait
    // waiting for the dead party, a condition variable whose internal lock the dead one held)
    // never will: it is killed once it has done nothing at all for kStrandedIdleNs, instead of
    // after the whole grace period. One still doing something keeps the grace period.
    constexpr std::uint64_t kStrandedIdleNs = 1'000'000'000;
    constexpr std::uint64_t kActivityPollNs = 50'000'000;
    bool watchStranded = workerFailed && processes;
    ActivityProbe probe;
    std::vector<std::uint64_t> lastActive(slots.size(), stopNs);
    std::uint64_t nextProbe = stopNs;
    bool killed = false;
    while (reap(false) > 0) {
        drain();
        const std::uint64_t now = monotonicNs();
        if (interruptLevel() >= 2 || now > graceEnd) {
            for (auto &s : slots) {
                if (!s->exited && s->pid > 0)
                    kill(s->pid, SIGKILL);
            }
            killed = true;
            break;
        }
        if (!watchStranded && processes && !firstFailure().empty()) {
            watchStranded = true; // a worker died while the others were leaving
            std::fill(lastActive.begin(), lastActive.end(), now);
        }
        if (watchStranded && now >= nextProbe) {
            nextProbe = now + kActivityPollNs;
            for (std::size_t k = 0; k < slots.size(); ++k) {
                WorkerSlot &s = *slots[k];
                if (s.exited || s.pid <= 0 || s.strandedKill)
                    continue;
                if (probe.active(s.pid))
                    lastActive[k] = now;
                else if (now - lastActive[k] >= kStrandedIdleNs) {
                    s.strandedKill = true; // reaped below as killed, not as a failure of its own
                    kill(s.pid, SIGKILL);
                }
            }
        }
        const timespec ts{0, 2'000'000};
        nanosleep(&ts, nullptr);
    }
    if (killed) {
        for (auto &s : slots) {
            if (!s->exited && s->pid > 0) {
                int status = 0;
                if (wait4(s->pid, &status, 0, &s->usage) == s->pid) {
                    s->exited = true;
                    s->waitStatus = status;
                }
            }
        }
    }
    drain();
    // A worker that died or failed while the others were leaving has failed the run too.
    if (failure.empty())
        failure = firstFailure();
    std::vector<std::uint32_t> stuck;
    for (auto &s : slots) {
        if (!s->exited && s->thread.joinable()) {
            stuck.push_back(s->index);
            s->thread.detach(); // cannot be killed; the process must end without joining it
            g_stuckThreads.store(true);
        }
    }

    // Tally.
    std::uint64_t runStart = UINT64_MAX, runEnd = 0;
    const std::size_t expectedSlots = sequential ? 1 : spec.workers;
    bool allFinal = slots.size() == expectedSlots;
    auto slotFor = [&](std::uint32_t lane) -> WorkerSlot * {
        const std::size_t k = sequential ? 0 : lane;
        return k < slots.size() ? slots[k].get() : nullptr;
    };
    for (std::uint32_t i = 0; i < spec.workers; ++i) {
        WorkerResult w;
        w.index = i;
        w.pinnedCpu = placement.cpus[i];
        const clab_lane_producer *prod = reinterpret_cast<const clab_lane_producer *>(ring.lane(i));
        w.pid = std::atomic_ref<const std::int32_t>(prod->pid).load(std::memory_order_relaxed);
        w.tid = std::atomic_ref<const std::int32_t>(prod->tid).load(std::memory_order_relaxed);
        clab_lane_final f{};
        if (reader.final(i, f)) {
            w.finalValid = true;
            w.ops = f.ops;
            w.opsTotal = f.ops_total;
            w.bytes = f.bytes;
            w.waitNs = f.wait_ns;
            w.holdNs = f.hold_ns;
            w.contended = f.contended;
            w.measuredNs = f.measured_ns;
            w.userNs = f.user_ns;
            w.sysNs = f.sys_ns;
            w.volCsw = f.vol_csw;
            w.involCsw = f.invol_csw;
            w.ownerDied = f.owner_died;
            if (f.measured_ns > 0) { // a worker that measured nothing does not stretch the wall time
                runStart = std::min(runStart, f.start_ns);
                runEnd = std::max(runEnd, f.end_ns);
            }
        } else {
            allFinal = false;
            if (haveLast[i]) {
                // Keep what the worker published before it stopped.
                const clab_sample &s = last[i];
                w.ops = s.ops;
                w.bytes = s.bytes;
                w.waitNs = s.wait_ns;
                w.holdNs = s.hold_ns;
                w.contended = s.contended;
                const std::uint64_t measureStartRel = spec.warmupNs;
                w.measuredNs = s.t_ns > measureStartRel ? s.t_ns - measureStartRel : 0;
                w.userNs = s.user_ns;
                w.sysNs = s.sys_ns;
                w.volCsw = s.vol_csw;
                w.involCsw = s.invol_csw;
                runStart = std::min(runStart, measureStartRel);
                runEnd = std::max(runEnd, s.t_ns);
            }
        }
        const std::uint64_t mask = reader.cpuMask(i);
        for (int c = 0; c < 64; ++c) {
            if (mask & (1ULL << static_cast<unsigned>(c)))
                w.cpusSeen.push_back(c);
        }
        w.drops = reader.drops(i);
        result.samplesDropped += w.drops;
        w.histogram = reader.histogram(i);
        w.latency = metrics::summarize(w.histogram);

        WorkerSlot *slot = slotFor(i);
        if (!slot) {
            w.exitState = "not started";
        } else if (std::find(stuck.begin(), stuck.end(), i) != stuck.end()) {
            w.exitState = "stuck";
            w.error = "worker " + std::to_string(i) + " did not stop within the grace period";
        } else if (!slot->failure.empty()) {
            w.exitState = slot->pid > 0 && WIFSIGNALED(slot->waitStatus) ? "crashed" : "failed";
            w.error = slot->failure;
        } else if (slot->strandedKill) {
            w.exitState = "killed";
            w.error = "worker " + std::to_string(i) + " stayed blocked after the run failed and was killed";
        } else if (killed && slot->pid > 0 && WIFSIGNALED(slot->waitStatus)) {
            w.exitState = "killed";
            w.error = "worker " + std::to_string(i) + " did not stop within the grace period and was killed";
        } else {
            w.exitState = w.finalValid ? "finished" : "stopped";
        }
        if (!w.finalValid && slot && slot->pid > 0 && slot->exited) {
            // Crashed process: its CPU use comes from wait4.
            w.userNs = tvNs(slot->usage.ru_utime);
            w.sysNs = tvNs(slot->usage.ru_stime);
            w.volCsw = static_cast<std::uint64_t>(slot->usage.ru_nvcsw);
            w.involCsw = static_cast<std::uint64_t>(slot->usage.ru_nivcsw);
        }
        result.workers.push_back(std::move(w));
    }
    result.wallNs = runEnd > runStart ? runEnd - runStart : 0;
    family.finish(familyShared, spec, allFinal && stuck.empty(), result);

    if (failure.empty() && !stuck.empty())
        failure = "worker " + std::to_string(stuck.front()) + " did not stop within the grace period";
    if (!failure.empty()) {
        result.status = "failed";
        result.error = failure;
        ring.setRunState(CLAB_RUN_FAILED);
    } else if (stoppedByUser) {
        result.status = "stopped";
        result.error = "stopped before the planned end";
        ring.setRunState(CLAB_RUN_FINISHED);
    } else {
        result.status = "finished";
        ring.setRunState(CLAB_RUN_FINISHED);
    }
    if (!stuck.empty())
        shared.leak();
    return result;
}

} // namespace clab
