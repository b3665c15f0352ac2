// Thread lifecycle: create, start, name, join(timeout), is_alive, and daemon vs non-daemon workers
// when the main worker finishes.
//
// create-join: every operation creates a child and joins it; the latency histogram is create ->
// joined, every operation timed.
//   threads (and sequential): pthread_create, pthread_setname_np, then pthread_join, or
//     pthread_clockjoin_np on CLOCK_MONOTONIC when joinTimeout > 0 (a join that times out is
//     counted, is_alive() would say true, and the child is then joined without a timeout: nothing
//     is ever left unjoined). The child runs the workload's CPU and memory work (Python's
//     Thread(target=work)); the workload's IO wait and think time stay in the worker, between
//     operations.
//   processes: fork, then in the child either execve("/bin/true") (execChild, the default) or the
//     workload's CPU and memory work and _exit(0); the worker reaps it with waitpid, or waits for
//     it with a pidfd and poll() when joinTimeout > 0. Children die with their worker
//     (PR_SET_PDEATHSIG), so nothing outlives a killed run.
// daemon: worker 0 is the main worker; it does the workload for mainWork of wall time, then
//   joins every non-daemon in turn (join(timeout) when joinTimeout > 0: a join that times out is
//   counted and the main goes on), then, as CPython's interpreter exit does
//   (threading._shutdown), waits for every non-daemon that is still running, and exits. Workers
//   1..daemonWorkers are daemons: they do the workload until the main exits and are then
//   abandoned ("killed with the main worker", as Python ends daemon threads at interpreter exit;
//   here they stop at their next operation boundary). The others are non-daemons: they do their
//   `operations` and finish on their own. The main worker's timeline shows running -> waiting
//   (joining) -> finished, published at the instant each change happens.
#include "experiment_family.h"
#include "metrics.h"
#include "worker_loop_impl.h"
#include "workload.h"

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <new>
#include <poll.h>
#include <pthread.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

namespace clab {

namespace {

constexpr const char *kTrue = "/bin/true";
// Longest single wait of the main worker while it joins: the loop then checks the run's phase, so
// a stop (or a non-daemon that died) never leaves it hanging.
constexpr std::uint64_t kJoinSliceNs = 2'000'000;

// Memory ordering: a non-daemon stores its `done` with release after its last operation and the
// main worker loads it with acquire; the main worker writes mainExitNs, then stores mainExited
// with release, which the daemons load with acquire before each operation. Both are futex words
// (woken with a shared futex, so the same code works across processes).
struct alignas(CLAB_CACHE_LINE) LifecycleShared {
    // Daemon mode: set (release) when the main worker exits; futex word the daemons may sleep on.
    std::atomic<std::uint32_t> mainExited{0};
    std::uint64_t mainStartNs = 0; // CLOCK_MONOTONIC, written by the main worker before mainExited
    std::uint64_t mainExitNs = 0;
    std::uint64_t joinTimeouts = 0;
};

// What one worker did, copied to its slot after its loop.
struct LifecycleTally {
    std::int32_t error = 0;             // errno of a failed create / fork
    std::uint64_t doneNs = 0;           // CLOCK_MONOTONIC when done (non-daemon) or abandoned (daemon)
    std::uint64_t created = 0;
    std::uint64_t joined = 0;
    std::uint64_t joinTimeouts = 0;     // join(timeout) returned with the child still alive
    std::uint64_t aliveAtJoin = 0;      // is_alive() was still true when the join began
    std::uint64_t childFailures = 0;    // processes: a child that did not exit with status 0
    std::int32_t firstFailureStatus = 0;
    std::uint32_t killedWithMain = 0;   // daemon: stopped because the main worker exited
    std::uint64_t ops = 0;              // operations the worker did (measured phase)
};

// One per worker, on its own cache line, written by that worker only (read by the main worker
// through `done`, and by finish() after the run).
struct alignas(CLAB_CACHE_LINE) LifecycleWorkerSlot {
    std::atomic<std::uint32_t> done{0}; // non-daemon: its operations are done (futex word the main joins on)
    LifecycleTally t;
};
static_assert(std::atomic<std::uint32_t>::is_always_lock_free);

std::size_t roundUp(std::size_t n) { return (n + CLAB_CACHE_LINE - 1) / CLAB_CACHE_LINE * CLAB_CACHE_LINE; }
LifecycleShared *sharedOf(void *mem) { return static_cast<LifecycleShared *>(mem); }
LifecycleWorkerSlot *slotsOf(void *mem)
{
    return reinterpret_cast<LifecycleWorkerSlot *>(static_cast<std::byte *>(mem) + roundUp(sizeof(LifecycleShared)));
}
std::size_t sharedSize(const ExperimentSpec &spec) { return roundUp(sizeof(LifecycleShared)) + sizeof(LifecycleWorkerSlot) * spec.workers; }

bool usesProcesses(const ExperimentSpec &spec) { return spec.execution == ExecutionModel::Processes; }

std::string checkParams(const ExperimentSpec &spec)
{
    const LifecycleParams &p = spec.lifecycle;
    if (spec.workload.criticalSectionNs != 0)
        return "workload.criticalSection: the lifecycle experiment has no critical section; use workload.cpuWork";
    if (p.mode == LifecycleMode::Daemon) {
        if (spec.execution == ExecutionModel::Sequential)
            return "execution: the daemon experiment needs threads or processes (run one after another, the main worker "
                   "would wait for workers that only start after it)";
        if (spec.workers < 2)
            return "workers: the daemon experiment needs a main worker and at least one other, got " + std::to_string(spec.workers);
        if (p.daemonWorkers > spec.workers - 1)
            return "primitive.daemonWorkers: at most " + std::to_string(spec.workers - 1) +
                   " (every worker but the main one, worker 0), got " + std::to_string(p.daemonWorkers);
        if (spec.operationsPerWorker == 0)
            return "operations: the daemon experiment needs an operation count (the work each non-daemon does before it "
                   "finishes); a duration would stop every worker at once";
        if (spec.warmupNs != 0)
            return "warmup: must be 0 for the daemon experiment (the main worker's life is the experiment)";
    } else if (usesProcesses(spec) && p.execChild && access(kTrue, X_OK) != 0) {
        return std::string("primitive.execChild: ") + kTrue + " cannot be executed here (" + std::strerror(errno) + ")";
    }
    return checkWorkload(spec);
}

std::string init(void *mem, const ExperimentSpec &spec, bool)
{
    if (std::string error = checkParams(spec); !error.empty())
        return error;
    new (mem) LifecycleShared{};
    for (std::uint32_t w = 0; w < spec.workers; ++w)
        new (slotsOf(mem) + w) LifecycleWorkerSlot{};
    return {};
}

void cleanup(void *, const ExperimentSpec &, bool) {}

timespec monotonicIn(std::uint64_t ns)
{
    const std::uint64_t t = monotonicNs() + ns;
    return timespec{static_cast<time_t>(t / 1'000'000'000ULL), static_cast<long>(t % 1'000'000'000ULL)};
}

// What every create-join operation shares: the workload the child runs, the timing and the tally.
struct CreateJoinBase {
    OperationWork work;
    TickClock clock;
    LifecycleWorkerSlot *slot;
    std::uint64_t joinTimeoutNs;
    std::uint64_t opsLimit;
    std::uint64_t opsDone = 0;
    LifecycleTally tally{};

    // Stops the worker when a creation failed (a machine limit), or after its operations.
    bool finished() const noexcept { return tally.error != 0 || (opsLimit != 0 && opsDone >= opsLimit); }

    void book(WorkerCounters &c, StatsLaneWriter &lane, bool measuring, std::uint64_t t0) noexcept
    {
        const std::uint64_t ns = clock.toNs(clock.now() - t0);
        ++c.latencyCount;
        c.latencySumNs += ns;
        if (measuring)
            lane.recordLatency(ns);
        if (measuring)
            ++opsDone;
    }
};

// threads: pthread_create + pthread_setname_np + join.
struct ThreadCreateJoinOp : CreateJoinBase {
    char name[16];
    std::atomic<std::uint32_t> childDone{0};

    static void *body(void *arg) noexcept
    {
        auto *self = static_cast<ThreadCreateJoinOp *>(arg);
        self->work.run();
        self->childDone.store(1, std::memory_order_release);
        return nullptr;
    }

    bool operator()(WorkerCounters &c, StatsLaneWriter &lane, bool measuring) noexcept
    {
        const std::uint64_t t0 = clock.now();
        childDone.store(0, std::memory_order_relaxed);
        pthread_t th;
        if (const int rc = pthread_create(&th, nullptr, &ThreadCreateJoinOp::body, this); rc != 0) {
            tally.error = rc;
            return false;
        }
        ++tally.created;
        pthread_setname_np(th, name);
        if (childDone.load(std::memory_order_acquire) == 0)
            ++tally.aliveAtJoin; // is_alive() before join
        if (joinTimeoutNs != 0) {
            const timespec deadline = monotonicIn(joinTimeoutNs);
            if (pthread_clockjoin_np(th, nullptr, CLOCK_MONOTONIC, &deadline) == ETIMEDOUT) {
                ++tally.joinTimeouts; // join(timeout) returned, is_alive() is true: join for good
                pthread_join(th, nullptr);
            }
        } else {
            pthread_join(th, nullptr);
        }
        ++tally.joined;
        book(c, lane, measuring, t0);
        return true;
    }
};

// processes: fork + (execve /bin/true | workload + _exit) + waitpid.
struct ProcessCreateJoinOp : CreateJoinBase {
    bool exec;
    pid_t parent;
    char *argv[2];
    char *envp[1];

    int reap(pid_t pid, int &status) noexcept
    {
        if (joinTimeoutNs != 0) {
            // join(timeout): a pidfd becomes readable when the child exits.
            const int fd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
            if (fd >= 0) {
                pollfd pfd{fd, POLLIN, 0};
                const int ms = static_cast<int>(std::min<std::uint64_t>((joinTimeoutNs + 999'999) / 1'000'000, INT32_MAX));
                int r;
                while ((r = poll(&pfd, 1, ms)) < 0 && errno == EINTR) {
                }
                if (r == 0)
                    ++tally.joinTimeouts;
                close(fd);
            }
        }
        pid_t r;
        while ((r = waitpid(pid, &status, 0)) < 0 && errno == EINTR) {
        }
        return r == pid ? 0 : errno;
    }

    bool operator()(WorkerCounters &c, StatsLaneWriter &lane, bool measuring) noexcept
    {
        const std::uint64_t t0 = clock.now();
        const pid_t pid = fork();
        if (pid < 0) {
            tally.error = errno;
            return false;
        }
        if (pid == 0) {
            // The child dies with its worker, whatever kills the worker.
            prctl(PR_SET_PDEATHSIG, SIGKILL);
            if (getppid() != parent)
                _exit(126);
            if (exec) {
                execve(argv[0], argv, envp);
                _exit(127);
            }
            work.run();
            _exit(0);
        }
        ++tally.created;
        int status = 0;
        if (const int e = reap(pid, status); e != 0) {
            tally.error = e;
            return false;
        }
        ++tally.joined;
        if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
            if (tally.childFailures++ == 0)
                tally.firstFailureStatus = status;
        }
        book(c, lane, measuring, t0);
        return true;
    }
};

// Daemon mode: one op type, three roles.
struct DaemonOp {
    enum class Role { Main, Daemon, NonDaemon };
    enum class Stage { Working, Joining, ShuttingDown, Exited };
    Role role;
    LifecycleShared *shared;
    LifecycleWorkerSlot *slots;
    LifecycleWorkerSlot *mine;
    std::uint32_t workers;
    std::uint32_t firstNonDaemon;
    OperationWork work;
    TickClock clock;
    std::uint64_t mainWorkNs;
    std::uint64_t joinTimeoutNs;
    std::uint64_t opsLimit;
    std::uint64_t opsDone = 0;
    Stage stage = Stage::Working;
    std::uint32_t joining = 0;
    std::uint64_t joinDeadline = 0;
    clab_worker_state current = CLAB_WORKER_RUNNING;

    clab_worker_state state() const noexcept { return current; }
    bool finished() const noexcept
    {
        switch (role) {
        case Role::Main: return stage == Stage::Exited;
        case Role::Daemon: return shared->mainExited.load(std::memory_order_acquire) != 0;
        case Role::NonDaemon: return opsDone >= opsLimit;
        }
        return true;
    }

    // Waits (bounded) for non-daemon `w` to be done; the wait is booked as wait time.
    bool waitFor(WorkerCounters &c, std::uint32_t w, std::uint64_t maxNs) noexcept
    {
        std::atomic<std::uint32_t> &done = slots[w].done;
        if (done.load(std::memory_order_acquire) != 0)
            return true;
        const std::uint64_t ns = std::min(maxNs, kJoinSliceNs);
        const timespec ts{static_cast<time_t>(ns / 1'000'000'000ULL), static_cast<long>(ns % 1'000'000'000ULL)};
        const std::uint64_t t0 = clock.now();
        futexWait(done, 0, &ts);
        c.waitTicks += clock.now() - t0;
        return done.load(std::memory_order_acquire) != 0;
    }

    bool operator()(WorkerCounters &c, StatsLaneWriter &, bool) noexcept
    {
        switch (role) {
        case Role::Daemon:
            work.run();
            ++opsDone;
            return true;
        case Role::NonDaemon:
            work.run();
            if (++opsDone == opsLimit) {
                mine->t.doneNs = monotonicNs();
                mine->done.store(1, std::memory_order_release);
                futexWakeAll(mine->done);
            }
            return true;
        case Role::Main: break;
        }
        const std::uint64_t now = monotonicNs();
        switch (stage) {
        case Stage::Working:
            if (shared->mainStartNs == 0)
                shared->mainStartNs = now;
            if (now - shared->mainStartNs < mainWorkNs) {
                work.run();
                ++opsDone;
                return true;
            }
            stage = Stage::Joining; // the main's own code is done: join the non-daemons in turn
            current = CLAB_WORKER_WAITING;
            joining = firstNonDaemon;
            joinDeadline = now + joinTimeoutNs;
            return false;
        case Stage::Joining:
            if (joining >= workers) {
                stage = Stage::ShuttingDown;
                return false;
            }
            if (waitFor(c, joining, joinTimeoutNs != 0 && joinDeadline > now ? joinDeadline - now : kJoinSliceNs)) {
                ++joining;
                joinDeadline = monotonicNs() + joinTimeoutNs;
            } else if (joinTimeoutNs != 0 && monotonicNs() >= joinDeadline) {
                ++shared->joinTimeouts; // join(timeout) returned; is_alive() is true
                ++joining;
                joinDeadline = monotonicNs() + joinTimeoutNs;
            }
            return false;
        case Stage::ShuttingDown:
            // Interpreter exit: wait for every non-daemon still running, then end the daemons.
            for (std::uint32_t w = firstNonDaemon; w < workers; ++w) {
                if (!waitFor(c, w, kJoinSliceNs))
                    return false;
            }
            shared->mainExitNs = monotonicNs();
            shared->mainExited.store(1, std::memory_order_release);
            futexWakeAll(shared->mainExited);
            stage = Stage::Exited;
            return false;
        case Stage::Exited: return false;
        }
        return false;
    }
};

int runCreateJoin(WorkerEnv &env) noexcept
{
    const ExperimentSpec &spec = *env.spec;
    LifecycleWorkerSlot *slot = slotsOf(env.primitiveShared) + env.index;
    int rc = 0;
    if (usesProcesses(spec)) {
        static char truePath[] = "/bin/true";
        ProcessCreateJoinOp op{{OperationWork(spec.workload, env.work, 0x9E3779B97F4A7C15ULL * (env.index + 1)), env.clock, slot,
                                spec.lifecycle.joinTimeoutNs, spec.operationsPerWorker},
                               spec.lifecycle.execChild, getpid(), {truePath, nullptr}, {nullptr}};
        if (const int e = op.work.prepare(); e != 0)
            return e;
        rc = detail::workerLoop(env, op);
        op.tally.ops = op.opsDone;
        slot->t = op.tally;
        return rc != 0 ? rc : op.tally.error;
    }
    ThreadCreateJoinOp op{{OperationWork(spec.workload, env.work, 0x9E3779B97F4A7C15ULL * (env.index + 1)), env.clock, slot,
                           spec.lifecycle.joinTimeoutNs, spec.operationsPerWorker},
                          {},
                          {0}};
    std::snprintf(op.name, sizeof op.name, "clab-w%u-child", env.index);
    if (const int e = op.work.prepare(); e != 0)
        return e;
    rc = detail::workerLoop(env, op);
    op.tally.ops = op.opsDone;
    slot->t = op.tally;
    return rc != 0 ? rc : op.tally.error;
}

int runDaemon(WorkerEnv &env) noexcept
{
    const ExperimentSpec &spec = *env.spec;
    const LifecycleParams &p = spec.lifecycle;
    const auto role = env.index == 0                ? DaemonOp::Role::Main
                      : env.index <= p.daemonWorkers ? DaemonOp::Role::Daemon
                                                     : DaemonOp::Role::NonDaemon;
    LifecycleWorkerSlot *slots = slotsOf(env.primitiveShared);
    DaemonOp op{role,
                sharedOf(env.primitiveShared),
                slots,
                slots + env.index,
                spec.workers,
                1 + p.daemonWorkers,
                OperationWork(spec.workload, env.work, 0x9E3779B97F4A7C15ULL * (env.index + 1)),
                env.clock,
                p.mainWorkNs,
                p.joinTimeoutNs,
                spec.operationsPerWorker};
    if (const int e = op.work.prepare(); e != 0)
        return e;
    const int rc = detail::workerLoop(env, op);
    LifecycleWorkerSlot &mine = slots[env.index];
    mine.t.ops = op.opsDone;
    if (role == DaemonOp::Role::Daemon && op.finished()) {
        mine.t.killedWithMain = 1;
        mine.t.doneNs = monotonicNs();
    }
    return rc;
}

int runLifecycleWorker(WorkerEnv &env) noexcept
{
    return env.spec->lifecycle.mode == LifecycleMode::Daemon ? runDaemon(env) : runCreateJoin(env);
}

// --- the tally --------------------------------------------------------------------------------

void addFigure(RunResult &r, std::string name, std::string label, double value, std::string unit = {})
{
    r.figures.push_back(NamedFigure{std::move(name), std::move(label), value, std::move(unit)});
}

std::string limitText(int error, bool processes)
{
    std::string s = std::strerror(error);
    if (error == EAGAIN) {
        rlimit rl{};
        getrlimit(RLIMIT_NPROC, &rl);
        s += rl.rlim_cur == RLIM_INFINITY ? std::string(" (RLIMIT_NPROC: unlimited") : " (RLIMIT_NPROC = " + std::to_string(rl.rlim_cur);
        if (std::FILE *f = std::fopen("/proc/sys/kernel/threads-max", "re")) {
            unsigned long long v = 0;
            if (std::fscanf(f, "%llu", &v) == 1)
                s += ", /proc/sys/kernel/threads-max = " + std::to_string(v);
            std::fclose(f);
        }
        s += ")";
    }
    return std::string(processes ? "fork failed: " : "pthread_create failed: ") + s;
}

void finishCreateJoin(void *mem, const ExperimentSpec &spec, bool allFinished, RunResult &result)
{
    const LifecycleWorkerSlot *slots = slotsOf(mem);
    const bool processes = usesProcesses(spec);
    std::uint64_t created = 0, joined = 0, timeouts = 0, alive = 0, failures = 0;
    std::string errors;
    for (std::uint32_t i = 0; i < spec.workers; ++i) {
        created += slots[i].t.created;
        joined += slots[i].t.joined;
        timeouts += slots[i].t.joinTimeouts;
        alive += slots[i].t.aliveAtJoin;
        failures += slots[i].t.childFailures;
        if (slots[i].t.error != 0)
            errors += "worker " + std::to_string(i) + ": " + limitText(slots[i].t.error, processes) + "; ";
    }
    LatencyHistogram all;
    for (const WorkerResult &w : result.workers)
        all += w.histogram;
    const LatencySummary lat = metrics::summarize(all);
    addFigure(result, "created", processes ? "child processes created" : "threads created", static_cast<double>(created));
    addFigure(result, "joined", processes ? "child processes reaped" : "threads joined", static_cast<double>(joined));
    addFigure(result, "joinTimeouts", "joins that timed out (is_alive() true after join(timeout))", static_cast<double>(timeouts));
    if (!processes)
        addFigure(result, "aliveAtJoin", "children still alive when the join began (is_alive())", static_cast<double>(alive));
    else
        addFigure(result, "childFailures", "children that did not exit with status 0", static_cast<double>(failures));
    addFigure(result, "createJoinMedian", "create -> joined, median", lat.p50Ns, "ns");
    addFigure(result, "createJoinP99", "create -> joined, 99th percentile", lat.p99Ns, "ns");
    addFigure(result, "createJoinMean", "create -> joined, mean", lat.meanNs, "ns");

    ResultCheck check;
    check.name = "allJoined";
    check.description = processes ? (spec.lifecycle.execChild ? "every child (fork + execve /bin/true) exited with status 0 and was reaped"
                                                              : "every child (fork + _exit) exited with status 0 and was reaped")
                                  : "every thread created (pthread_create + pthread_setname_np) was joined";
    check.passed = allFinished && errors.empty() && created == joined && failures == 0;
    check.detail = std::to_string(created) + " created, " + std::to_string(joined) + (processes ? " reaped" : " joined");
    if (failures != 0) {
        int st = 0;
        for (std::uint32_t i = 0; i < spec.workers && st == 0; ++i)
            st = slots[i].t.firstFailureStatus;
        check.detail += ", " + std::to_string(failures) + " failed (first: " +
                        (WIFEXITED(st) ? "exit code " + std::to_string(WEXITSTATUS(st)) : "signal " + std::to_string(WTERMSIG(st))) + ")";
    }
    if (!errors.empty())
        check.detail += "; " + errors;
    result.checks.push_back(std::move(check));
}

void finishDaemon(void *mem, const ExperimentSpec &spec, bool allFinished, RunResult &result)
{
    const LifecycleShared *s = sharedOf(mem);
    const LifecycleWorkerSlot *slots = slotsOf(mem);
    const std::uint32_t firstNonDaemon = 1 + spec.lifecycle.daemonWorkers;
    const bool exited = s->mainExited.load(std::memory_order_acquire) != 0;
    std::uint32_t killed = 0, completed = 0;
    std::string notKilled, notCompleted;
    for (std::uint32_t i = 1; i < spec.workers; ++i) {
        const LifecycleWorkerSlot &slot = slots[i];
        const LifecycleTally &w = slot.t;
        if (i < firstNonDaemon) {
            if (w.killedWithMain != 0 && w.doneNs >= s->mainExitNs)
                ++killed;
            else
                notKilled += " " + std::to_string(i);
        } else {
            const bool ok = slot.done.load(std::memory_order_acquire) != 0 && w.ops == spec.operationsPerWorker && w.doneNs <= s->mainExitNs;
            if (ok)
                ++completed;
            else
                notCompleted += " " + std::to_string(i);
        }
    }
    const std::uint32_t daemons = spec.lifecycle.daemonWorkers;
    const std::uint32_t nonDaemons = spec.workers - 1 - daemons;
    if (exited)
        addFigure(result, "mainLifetime", "the main worker's life, start to exit (main work, joins, shutdown)",
                  static_cast<double>(s->mainExitNs - s->mainStartNs) / 1e9, "s");
    addFigure(result, "daemons", "daemon workers", daemons);
    addFigure(result, "daemonsKilledWithMain", "daemon workers still running when the main worker exited, ended with it", killed);
    addFigure(result, "nonDaemonsFinished", "non-daemon workers that finished their work before the main worker exited", completed);
    addFigure(result, "joinTimeouts", "joins of the main worker that timed out (is_alive() true after join(timeout))",
              static_cast<double>(s->joinTimeouts));
    if (!allFinished)
        return;
    ResultCheck d;
    d.name = "daemonsAbandoned";
    d.description = "daemon workers run until the main worker exits and are then killed with it";
    d.passed = exited && killed == daemons;
    d.detail = std::to_string(killed) + " of " + std::to_string(daemons) + " daemons ended with the main worker";
    if (!notKilled.empty())
        d.detail += "; not:" + notKilled;
    result.checks.push_back(std::move(d));
    ResultCheck n;
    n.name = "nonDaemonsCompleted";
    n.description = "the main worker's exit waits for every non-daemon worker, which finishes all its operations";
    n.passed = exited && completed == nonDaemons;
    n.detail = std::to_string(completed) + " of " + std::to_string(nonDaemons) + " non-daemons finished their " +
               std::to_string(spec.operationsPerWorker) + " operations before the main worker exited";
    if (!notCompleted.empty())
        n.detail += "; not:" + notCompleted;
    result.checks.push_back(std::move(n));
}

void finish(void *mem, const ExperimentSpec &spec, bool allFinished, RunResult &result)
{
    if (spec.lifecycle.mode == LifecycleMode::Daemon)
        finishDaemon(mem, spec, allFinished, result);
    else
        finishCreateJoin(mem, spec, allFinished, result);
}

} // namespace

const ExperimentFamily kLifecycleFamily{PrimitiveKind::Lifecycle, sharedSize, init, runLifecycleWorker, finish, cleanup};

} // namespace clab
