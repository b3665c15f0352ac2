// What sampling costs in a real-sized run: 64 workers publishing at 1 kHz, one reader at 30 Hz.
//
//   bench_sampling_cost [seconds]       (default 5)
//
// 64 producer threads each publish one sample per millisecond (clock_nanosleep on absolute
// deadlines) into a 64-lane ring sized by recommendedLaneCapacity(1 ms, 40 ms); one reader
// thread drains all lanes 30 times a second. Prints what was published, delivered and dropped,
// the reader thread's CPU time (getrusage RUSAGE_THREAD, in the reader) as a share of one core,
// and the time producers spent inside publish(). Exits 1 if any sample was dropped or lost.
#include "run_supervisor.h"
#include "stats_ring.h"
#include "tsc_clock.h"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <sys/resource.h>
#include <thread>
#include <vector>

using namespace clab;

namespace {

constexpr std::uint32_t kProducers = 64;
constexpr std::uint64_t kSampleIntervalNs = 1'000'000;      // 1 kHz
constexpr std::uint64_t kDrainPeriodNs = 1'000'000'000 / 30; // 30 Hz
constexpr std::uint64_t kNsPerSec = 1'000'000'000;

timespec toTimespec(std::uint64_t ns)
{
    timespec ts{};
    ts.tv_sec = static_cast<time_t>(ns / kNsPerSec);
    ts.tv_nsec = static_cast<long>(ns % kNsPerSec);
    return ts;
}

void sleepUntil(std::uint64_t monotonicNsDeadline)
{
    const timespec ts = toTimespec(monotonicNsDeadline);
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) == EINTR) {
    }
}

std::uint64_t threadCpuNs(std::uint64_t *userNs = nullptr, std::uint64_t *sysNs = nullptr)
{
    rusage ru{};
    getrusage(RUSAGE_THREAD, &ru);
    const auto ns = [](const timeval &tv) {
        return static_cast<std::uint64_t>(tv.tv_sec) * kNsPerSec + static_cast<std::uint64_t>(tv.tv_usec) * 1000;
    };
    if (userNs)
        *userNs = ns(ru.ru_utime);
    if (sysNs)
        *sysNs = ns(ru.ru_stime);
    return ns(ru.ru_utime) + ns(ru.ru_stime);
}

struct alignas(64) ProducerStats { // one cache line each: the producers share nothing
    std::uint64_t attempts = 0;
    std::uint64_t accepted = 0;
    std::uint64_t missedPeriods = 0; // wake-ups so late that a whole period was skipped
    std::uint64_t publishTicks = 0;
    std::uint64_t cpuNs = 0;
};

struct ReaderStats {
    std::uint64_t delivered = 0;
    std::uint64_t drains = 0;
    std::uint64_t drainNsTotal = 0;
    std::uint64_t drainNsMax = 0;
    std::uint64_t cpuNs = 0, userNs = 0, sysNs = 0;
    std::uint64_t wallNs = 0;
    std::uint64_t outOfOrder = 0;
};

} // namespace

int main(int argc, char **argv)
{
    double seconds = 5.0;
    if (argc > 1) {
        char *end = nullptr;
        seconds = std::strtod(argv[1], &end);
        if (end == argv[1] || *end != '\0' || !(seconds > 0.0) || seconds > 3600.0) {
            std::fprintf(stderr, "usage: %s [seconds]   (a duration in seconds, default 5)\n", argv[0]);
            return 2;
        }
    }
    const auto durationNs = static_cast<std::uint64_t>(seconds * 1e9);
    const std::uint32_t capacity = recommendedLaneCapacity(kSampleIntervalNs, 40'000'000);
    StatsRing ring = StatsRing::createAnonymous(kProducers, capacity);
    const TickClock clock = TickClock::calibrate();

    // Cost of the timestamps around publish() themselves, subtracted from the publish cost.
    std::uint64_t timerTicks = 0;
    {
        constexpr int kReps = 100'000;
        std::uint64_t acc = 0;
        for (int i = 0; i < kReps; ++i) {
            const std::uint64_t a = clock.now();
            const std::uint64_t b = clock.now();
            acc += b - a;
        }
        timerTicks = acc / kReps;
    }

    std::printf("bench_sampling_cost: %u producers x %.0f Hz for %.1f s, lane capacity %u (recommendedLaneCapacity(1 ms, 40 ms)), "
                "reader at %.0f Hz, clock %s\n",
                kProducers, 1e9 / static_cast<double>(kSampleIntervalNs), seconds, capacity,
                1e9 / static_cast<double>(kDrainPeriodNs), clock.sourceName());
    std::fflush(stdout);

    // Everything starts on one deadline, after the reader has joined the ring.
    std::atomic<bool> readerJoined{false}, producersDone{false};
    std::atomic<std::uint64_t> startNs{0}; // set once every producer thread exists
    ReaderStats rs;
    std::thread reader([&] {
        StatsRingReader r(ring, 0);
        std::vector<std::uint64_t> lastOps(kProducers, 0);
        readerJoined.store(true, std::memory_order_release);
        std::uint64_t next = 0;
        while ((next = startNs.load(std::memory_order_acquire)) == 0)
            std::this_thread::yield();
        const std::uint64_t cpu0 = threadCpuNs();
        std::uint64_t u0 = 0, s0 = 0;
        threadCpuNs(&u0, &s0);
        const std::uint64_t wall0 = monotonicNs();
        auto onSample = [&](std::uint32_t lane, const clab_sample &s) {
            rs.outOfOrder += s.ops <= lastOps[lane] ? 1u : 0u;
            lastOps[lane] = s.ops;
        };
        for (;;) {
            const bool last = producersDone.load(std::memory_order_acquire);
            const std::uint64_t t0 = monotonicNs();
            rs.delivered += r.drain(onSample);
            const std::uint64_t dt = monotonicNs() - t0;
            ++rs.drains;
            rs.drainNsTotal += dt;
            rs.drainNsMax = std::max(rs.drainNsMax, dt);
            if (last)
                break;
            next += kDrainPeriodNs;
            sleepUntil(next);
        }
        std::uint64_t u1 = 0, s1 = 0;
        rs.cpuNs = threadCpuNs(&u1, &s1) - cpu0;
        rs.userNs = u1 - u0;
        rs.sysNs = s1 - s0;
        rs.wallNs = monotonicNs() - wall0;
    });
    while (!readerJoined.load(std::memory_order_acquire))
        std::this_thread::yield();

    const std::uint64_t start = monotonicNs() + 50'000'000; // time for every thread to be created
    const std::uint64_t end = start + durationNs;
    std::vector<ProducerStats> ps(kProducers);
    std::vector<std::thread> producers;
    producers.reserve(kProducers);
    for (std::uint32_t lane = 0; lane < kProducers; ++lane) {
        producers.emplace_back([&, lane] {
            StatsLaneWriter w = ring.writer(lane);
            ProducerStats &st = ps[lane];
            const std::uint64_t cpu0 = threadCpuNs();
            clab_sample s{};
            s.state = CLAB_WORKER_RUNNING;
            std::uint64_t next = start;
            for (;;) {
                sleepUntil(next);
                const std::uint64_t now = monotonicNs();
                if (now >= end)
                    break;
                ++s.ops;
                s.t_ns = now - start;
                s.bytes += 64;
                const std::uint64_t t0 = clock.now();
                const bool ok = w.publish(s);
                const std::uint64_t t1 = clock.now();
                st.publishTicks += t1 - t0;
                ++st.attempts;
                st.accepted += ok ? 1u : 0u;
                next += kSampleIntervalNs;
                while (next + kSampleIntervalNs <= now) { // woke more than a period late: skip, as a worker would
                    next += kSampleIntervalNs;
                    ++st.missedPeriods;
                }
            }
            st.cpuNs = threadCpuNs() - cpu0;
        });
    }
    // The reader's clock starts with the producers'.
    startNs.store(start, std::memory_order_release);
    for (auto &t : producers)
        t.join();
    producersDone.store(true, std::memory_order_release);
    reader.join();

    ProducerStats sum;
    for (const auto &p : ps) {
        sum.attempts += p.attempts;
        sum.accepted += p.accepted;
        sum.missedPeriods += p.missedPeriods;
        sum.publishTicks += p.publishTicks;
        sum.cpuNs += p.cpuNs;
    }
    std::uint64_t drops = 0;
    for (std::uint32_t lane = 0; lane < kProducers; ++lane)
        drops += ring.writer(lane).producer()->drops;

    const double wallS = static_cast<double>(rs.wallNs) / 1e9;
    const double readerPct = 100.0 * static_cast<double>(rs.cpuNs) / static_cast<double>(rs.wallNs);
    const double publishNsGross = static_cast<double>(clock.toNs(sum.publishTicks));
    const double timerNs = static_cast<double>(clock.toNs(timerTicks * sum.attempts));
    const double publishNsNet = std::max(0.0, publishNsGross - timerNs);
    const double attempts = static_cast<double>(std::max<std::uint64_t>(sum.attempts, 1));
    const double expected = static_cast<double>(kProducers) * seconds * 1e9 / static_cast<double>(kSampleIntervalNs);

    std::printf("samples published:    %llu of %llu attempts (%.1f %% of the %.0f a perfect 1 kHz schedule gives; %llu periods missed by late wake-ups)\n",
                static_cast<unsigned long long>(sum.accepted), static_cast<unsigned long long>(sum.attempts),
                100.0 * static_cast<double>(sum.attempts) / expected, expected, static_cast<unsigned long long>(sum.missedPeriods));
    std::printf("samples delivered:    %llu\n", static_cast<unsigned long long>(rs.delivered));
    std::printf("samples dropped:      %llu\n", static_cast<unsigned long long>(drops));
    std::printf("reader CPU:           %.3f ms over %.2f s = %.4f %% of one core (target < 1 %%; user %.3f ms, sys %.3f ms)\n",
                static_cast<double>(rs.cpuNs) / 1e6, wallS, readerPct, static_cast<double>(rs.userNs) / 1e6,
                static_cast<double>(rs.sysNs) / 1e6);
    std::printf("reader drains:        %llu, mean %.1f us, max %.1f us, %.0f samples per drain\n",
                static_cast<unsigned long long>(rs.drains),
                static_cast<double>(rs.drainNsTotal) / 1e3 / static_cast<double>(std::max<std::uint64_t>(rs.drains, 1)),
                static_cast<double>(rs.drainNsMax) / 1e3,
                static_cast<double>(rs.delivered) / static_cast<double>(std::max<std::uint64_t>(rs.drains, 1)));
    std::printf("publish cost:         %.3f ms in publish() across all producers = %.4f %% of one core, %.1f ns per publish "
                "(timer overhead %.1f ns per call subtracted)\n",
                publishNsNet / 1e6, 100.0 * publishNsNet / static_cast<double>(durationNs), publishNsNet / attempts,
                static_cast<double>(clock.toNs(timerTicks)));
    std::printf("producer threads CPU: %.1f ms total = %.2f %% of one core (mostly the 1 kHz sleep/wake-ups, not publish)\n",
                static_cast<double>(sum.cpuNs) / 1e6, 100.0 * static_cast<double>(sum.cpuNs) / static_cast<double>(durationNs));

    const bool lost = rs.delivered + drops != sum.attempts || sum.accepted != rs.delivered || rs.outOfOrder != 0;
    const bool ok = drops == 0 && !lost;
    std::printf("result:               %s (drops %s 0, reader %s 1 %% of a core%s)\n", ok ? "PASS" : "FAIL", drops == 0 ? "==" : ">",
                readerPct < 1.0 ? "<" : ">=", lost ? ", SAMPLES LOST OR OUT OF ORDER" : "");
    return ok ? 0 : 1;
}
