// Thread and process create+join in the lifecycle experiment vs the same calls in a bare loop,
// side by side, everything pinned to one CPU. Target: experiment / raw <= 1.2 per operation.
//
//   bench_lifecycle [seconds per trial = 0.3] [trials = 3]
//
// The experiment's cost per operation is its worker's measured time / operations (loop, timing and
// sampling included). The raw loops make the same calls and nothing else, in the same kind of
// context: the thread loop in a thread of this process, the fork loops in a forked child of this
// process (the experiment's workers are forked from it too, so fork copies the same address
// space). Trials alternate raw and experiment; the best trial of each is compared.
#include "experiment_spec.h"
#include "run_supervisor.h"
#include "stats_ring.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <pthread.h>
#include <sched.h>
#include <stdexcept>
#include <string>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

using namespace clab;

namespace {

using Clock = std::chrono::steady_clock;

enum class Case { Thread, ForkExec, ForkExit };

const char *caseName(Case c)
{
    switch (c) {
    case Case::Thread: return "thread create+join (pthread_create, setname, join)";
    case Case::ForkExec: return "fork + execve /bin/true + waitpid";
    case Case::ForkExit: return "fork + _exit + waitpid";
    }
    return "?";
}

int g_cpu = 0;

bool pinSelf(int cpu)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(static_cast<unsigned>(cpu), &set);
    return sched_setaffinity(0, sizeof set, &set) == 0;
}

void *emptyBody(void *) { return nullptr; }

// The raw calls for `seconds`; returns ns per operation.
double rawLoop(Case c, double seconds)
{
    if (c == Case::Thread) {
        double perOp = 0;
        std::thread t([&] {
            pinSelf(g_cpu);
            std::uint64_t n = 0;
            const auto t0 = Clock::now();
            const auto end = t0 + std::chrono::duration<double>(seconds);
            while (Clock::now() < end) {
                for (int k = 0; k < 16; ++k) {
                    pthread_t th;
                    if (pthread_create(&th, nullptr, emptyBody, nullptr) != 0)
                        std::abort();
                    pthread_setname_np(th, "raw-child");
                    pthread_join(th, nullptr);
                    ++n;
                }
            }
            perOp = std::chrono::duration<double, std::nano>(Clock::now() - t0).count() / static_cast<double>(n);
        });
        t.join();
        return perOp;
    }
    int fds[2];
    if (pipe(fds) != 0)
        std::abort();
    const pid_t loop = fork();
    if (loop == 0) {
        close(fds[0]);
        pinSelf(g_cpu);
        static char truePath[] = "/bin/true";
        char *argv[] = {truePath, nullptr};
        char *envp[] = {nullptr};
        std::uint64_t n = 0;
        const auto t0 = Clock::now();
        const auto end = t0 + std::chrono::duration<double>(seconds);
        while (Clock::now() < end) {
            const pid_t pid = fork();
            if (pid == 0) {
                if (c == Case::ForkExec)
                    execve(argv[0], argv, envp);
                _exit(0);
            }
            int status = 0;
            while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
            }
            ++n;
        }
        const double perOp = std::chrono::duration<double, std::nano>(Clock::now() - t0).count() / static_cast<double>(n);
        if (write(fds[1], &perOp, sizeof perOp) != sizeof perOp)
            _exit(1);
        _exit(0);
    }
    close(fds[1]);
    double perOp = 0;
    if (read(fds[0], &perOp, sizeof perOp) != sizeof perOp)
        perOp = 0;
    close(fds[0]);
    waitpid(loop, nullptr, 0);
    return perOp;
}

// The lifecycle experiment, one worker pinned to the same CPU; returns ns per operation.
double experiment(Case c, double seconds)
{
    ExperimentSpec spec;
    spec.name = "bench lifecycle";
    spec.primitive = PrimitiveKind::Lifecycle;
    spec.lifecycle.mode = LifecycleMode::CreateJoin;
    spec.lifecycle.execChild = c == Case::ForkExec;
    spec.execution = c == Case::Thread ? ExecutionModel::Threads : ExecutionModel::Processes;
    spec.workers = 1;
    spec.placement = PlacementPolicy::CpuList;
    spec.cpuList = {g_cpu};
    spec.durationNs = static_cast<std::uint64_t>(seconds * 1e9);
    spec.sampleIntervalNs = 10'000'000;
    StatsRing ring = StatsRing::createAnonymous(1, recommendedLaneCapacity(spec.sampleIntervalNs));
    const RunResult r = runExperiment(spec, ring, SupervisorOptions{}, RunHooks{});
    if (r.status != "finished" || r.workers.empty() || r.workers[0].ops == 0) {
        std::fprintf(stderr, "experiment failed: %s\n", r.error.c_str());
        std::exit(1);
    }
    return static_cast<double>(r.workers[0].measuredNs) / static_cast<double>(r.workers[0].ops);
}

} // namespace

int main(int argc, char **argv)
{
    const double seconds = argc > 1 ? std::atof(argv[1]) : 0.3;
    const int trials = argc > 2 ? std::max(1, std::atoi(argv[2])) : 3;
    cpu_set_t allowed;
    sched_getaffinity(0, sizeof allowed, &allowed);
    for (std::size_t c = 0; c < static_cast<std::size_t>(CPU_SETSIZE); ++c) {
        if (CPU_ISSET(c, &allowed)) {
            g_cpu = static_cast<int>(c);
            break;
        }
    }
    std::printf("bench_lifecycle: create+join in the lifecycle experiment vs the raw calls in a bare loop\n");
    std::printf("placement: the experiment's worker, the raw loop and every child pinned to CPU %d; %.2f s per trial, best of %d\n",
                g_cpu, seconds, trials);
    bool allMet = true;
    for (Case c : {Case::Thread, Case::ForkExec, Case::ForkExit}) {
        double bestRaw = 1e300, bestExp = 1e300;
        for (int t = 0; t < trials; ++t) {
            bestRaw = std::min(bestRaw, rawLoop(c, seconds));
            bestExp = std::min(bestExp, experiment(c, seconds));
        }
        const double ratio = bestExp / bestRaw;
        const bool met = ratio <= 1.2;
        allMet &= met;
        std::printf("%-52s experiment %9.1f us/op   raw %9.1f us/op   ratio %.3f (target <= 1.2) %s\n", caseName(c),
                    bestExp / 1e3, bestRaw / 1e3, ratio, met ? "met" : "NOT MET");
    }
    return allMet ? 0 : 1;
}
