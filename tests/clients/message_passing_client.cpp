// A runner stand-in for tst_message_passing: runs one long message-passing experiment so the test
// can SIGKILL this process mid-run and check that nothing of the run outlives it.
//
// Usage: message_passing_client <transport> <threads|processes>
// Prints "measuring <pid> <child pid>..." once the measured phase has begun (the children are
// the workers and the clean-up process), then runs until killed (at most 60 s).
#include "experiment_spec.h"
#include "run_supervisor.h"
#include "stats_ring.h"

#include <cstdio>
#include <cstring>
#include <dirent.h>
#include <string>
#include <unistd.h>

using namespace clab;

namespace {

bool parseTransport(const char *s, Transport &t)
{
    for (Transport c : {Transport::Pipe, Transport::Fifo, Transport::PosixMq, Transport::SysvMq, Transport::UnixStream,
                        Transport::UnixDgram, Transport::ShmChannel}) {
        if (std::strcmp(s, toString(c)) == 0) {
            t = c;
            return true;
        }
    }
    return false;
}

// Children of every thread of this process, from /proc.
std::string childPids()
{
    std::string out;
    DIR *d = opendir("/proc/self/task");
    if (!d)
        return out;
    while (dirent *e = readdir(d)) {
        if (e->d_name[0] == '.')
            continue;
        const std::string path = std::string("/proc/self/task/") + e->d_name + "/children";
        if (FILE *f = std::fopen(path.c_str(), "re")) {
            int pid = 0;
            while (std::fscanf(f, "%d", &pid) == 1)
                out += " " + std::to_string(pid);
            std::fclose(f);
        }
    }
    closedir(d);
    return out;
}

} // namespace

int main(int argc, char **argv)
{
    ExperimentSpec spec;
    if (argc != 3 || !parseTransport(argv[1], spec.messaging.transport)) {
        std::fprintf(stderr, "usage: %s <transport> <threads|processes>\n", argv[0]);
        return 2;
    }
    spec.name = "killed runner";
    spec.primitive = PrimitiveKind::MessagePassing;
    spec.execution = std::strcmp(argv[2], "processes") == 0 ? ExecutionModel::Processes : ExecutionModel::Threads;
    spec.workers = 4;
    spec.durationNs = 60'000'000'000ULL;
    spec.sampleIntervalNs = 10'000'000;
    spec.messaging.pattern = MessagePattern::PingPong;
    spec.messaging.messageSize = 64;
    StatsRing ring = StatsRing::createAnonymous(spec.workers, recommendedLaneCapacity(spec.sampleIntervalNs));
    bool announced = false;
    RunHooks hooks;
    hooks.onProgress = [&](const RunProgress &p) {
        if (!announced && std::strcmp(p.phase, "measuring") == 0 && p.opsDone > 0) {
            announced = true;
            std::printf("measuring %d%s\n", static_cast<int>(getpid()), childPids().c_str());
            std::fflush(stdout);
        }
    };
    try {
        const RunResult r = runExperiment(spec, ring, SupervisorOptions{}, hooks);
        std::printf("ended %s %s\n", r.status.c_str(), r.error.c_str());
    } catch (const std::exception &e) {
        std::printf("error %s\n", e.what());
        return 1;
    }
    return 0;
}
