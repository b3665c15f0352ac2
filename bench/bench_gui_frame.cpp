// GUI frame cost with 64 workers sampling at 1 kHz: drain + store + table + chart replace + paint,
// per frame on the GUI thread, p50/p99/max; and the process's resident memory over the run.
//
//   bench_gui_frame [SECONDS] [WORKERS] [SAMPLE_HZ] [AXIS]      (defaults: 10 64 1000 planned)
//
// AXIS says what the charts' time axis spans. `planned` (the default): the run's planned duration,
// SECONDS, as in the app; the lines fill the charts' width only at the run's end. `growing`: the
// run is bounded by operations, as `operations: N` runs are; the axis then grows by a quarter
// whenever the data reaches its end, so the charts are 80 to 100 % full all along: what the GUI
// holds is at its largest from the first seconds, and resident memory shows whether it stays
// there (it must: the store is bounded and so is what each chart draws).
//
// A real stats ring (anonymous: nothing is left in /dev/shm) is fed by WORKERS producer threads
// publishing cumulative samples at SAMPLE_HZ, as runner workers do; no runner is needed. The GUI
// side is the app's own code: RingFeed → LiveRunStore → RunDashboard. Every frame ends with a
// synchronous repaint of what the frame dirtied, so paint cost is measured, not deferred: the
// visible chart page every frame, the worker table when its model changed (as in the app, four
// times a second). The dashboard's page changes every two seconds so every chart is measured.
// Run it under a real X server (xvfb-run) for paint costs like a desktop's; offscreen also works.
#include "live_store.h"
#include "ring_feed.h"
#include "run_dashboard.h"
#include "run_supervisor.h"
#include "stats_ring.h"

#include <QApplication>
#include <QElapsedTimer>
#include <QTableView>
#include <QTabWidget>
#include <QTimer>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <iterator>
#include <limits>
#include <malloc.h>
#include <map>
#include <random>
#include <string_view>
#include <thread>
#include <unistd.h>
#include <vector>

namespace {

std::uint64_t nowNs()
{
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000ULL + static_cast<std::uint64_t>(ts.tv_nsec);
}

// CPU time of the calling thread: the frame's own cost, without the time the scheduler gave to
// the 64 producer threads meanwhile (on a 2-core machine that is most of the wall time).
double threadCpuMs()
{
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

double rssMiB()
{
    std::ifstream statm("/proc/self/statm");
    long pages = 0, resident = 0;
    statm >> pages >> resident;
    return static_cast<double>(resident) * static_cast<double>(sysconf(_SC_PAGESIZE)) / (1024.0 * 1024.0);
}

// Bytes handed out by malloc in all arenas: separates what the program holds from what the
// allocator keeps mapped (resident memory includes both).
double heapMiB()
{
    const struct mallinfo2 mi = mallinfo2();
    return static_cast<double>(mi.uordblks + mi.hblkhd) / (1024.0 * 1024.0);
}

double percentile(std::vector<double> v, double q)
{
    if (v.empty())
        return 0;
    std::sort(v.begin(), v.end());
    const auto idx = static_cast<std::size_t>(std::ceil(q * static_cast<double>(v.size()))) - 1;
    return v[std::min(idx, v.size() - 1)];
}

// One worker: cumulative counters with some noise, the state cycling, latencies recorded.
void produce(clab::StatsLaneWriter lane, std::uint32_t index, std::uint64_t startNs, std::uint64_t periodNs,
             const std::atomic<bool> &stop)
{
    std::mt19937_64 rng(index * 7919 + 1);
    std::uniform_int_distribution<std::uint64_t> ops(800, 1200);
    clab_sample s{};
    std::uint64_t next = startNs + periodNs;
    lane.setIdentity(index, static_cast<int>(getpid()), 0);
    lane.setState(CLAB_WORKER_RUNNING);
    std::uint32_t tick = 0;
    while (!stop.load(std::memory_order_relaxed)) {
        timespec ts{static_cast<time_t>(next / 1'000'000'000ULL), static_cast<long>(next % 1'000'000'000ULL)};
        clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr);
        const std::uint64_t now = nowNs();
        const std::uint64_t d = ops(rng) * (index % 4 + 1);
        s.t_ns = now - startNs;
        s.ops += d;
        s.wait_ns += periodNs / (index % 5 + 2);
        s.hold_ns += periodNs / 10;
        s.contended += d / 3;
        s.user_ns += periodNs * 9 / 10;
        s.state = 1 + (tick / 7 + index) % 4; // running, waiting, holding, io
        s.cpu = static_cast<std::int32_t>(index % 2);
        lane.recordLatency(200 + (rng() % 5000), 3);
        lane.noteCpu(s.cpu);
        lane.publish(s);
        ++tick;
        next += periodNs;
        if (next < now)
            next = now + periodNs;
    }
    lane.setState(CLAB_WORKER_FINISHED);
}

} // namespace

int main(int argc, char **argv)
{
    QApplication app(argc, argv);
    const double seconds = argc > 1 ? std::max(1.0, std::atof(argv[1])) : 10.0;
    const auto workers = static_cast<std::uint32_t>(argc > 2 ? std::max(1, std::atoi(argv[2])) : 64);
    const double hz = argc > 3 ? std::max(1.0, std::atof(argv[3])) : 1000.0;
    const auto periodNs = static_cast<std::uint64_t>(1e9 / hz);
    const bool growingAxis = argc > 4 && std::string_view(argv[4]) == "growing";

    clab::ExperimentSpec spec;
    spec.name = "bench";
    spec.workers = workers;
    spec.sampleIntervalNs = periodNs;
    if (growingAxis)
        spec.operationsPerWorker = std::numeric_limits<std::uint64_t>::max(); // the producers stop on the clock
    else
        spec.durationNs = static_cast<std::uint64_t>(seconds * 1e9);

    clab::StatsRing ring = clab::StatsRing::createAnonymous(workers, clab::recommendedLaneCapacity(periodNs));
    std::vector<clab::StatsLaneWriter> writers;
    for (std::uint32_t i = 0; i < workers; ++i)
        writers.push_back(ring.writer(i));
    clab::app::RingFeed feed(std::move(ring)); // consumer slot 1 becomes active before producers start

    clab::app::LiveRunStore store;
    store.reset(clab::app::LiveRunStore::configFor(spec));
    clab::app::RunDashboard dashboard;
    dashboard.resize(1280, 800);
    dashboard.show();
    dashboard.beginRun(spec, store);

    std::atomic<bool> stop{false};
    const std::uint64_t start = nowNs();
    std::vector<std::thread> producers;
    for (std::uint32_t i = 0; i < workers; ++i)
        producers.emplace_back(produce, writers[i], i, start, periodNs, std::cref(stop));

    std::vector<double> all, cpuMs, drainMs, updateMs, paintMs, pagePaintMs, tablePaintMs;
    std::vector<double> cpuNumbersMs, cpuChartsOnlyMs; // frames that refreshed the table and summary, and the others
    // Everything the GUI thread did from one frame's start to the next: the frame, and what the
    // event loop did between frames (labels repainting, layout requests, X events).
    std::vector<double> periodCpuMs;
    double lastFrameCpu = -1;
    std::map<int, std::vector<double>> byPage;
    std::vector<std::pair<double, double>> rss; // (seconds, MiB)
    std::vector<double> heap;                   // MiB the allocator has handed out, at the same times
    std::uint64_t frames = 0;
    QTimer frameTimer;
    frameTimer.setTimerType(Qt::PreciseTimer);
    frameTimer.setInterval(40); // the app's 25 Hz drain
    double nextRss = 0;
    int lastPage = -1;
    int sinceSwitch = 0;
    std::vector<double> switchMs; // first frames on a page: its chart's first layout
    // The benchmark's own records are allocated up front, so the heap and resident memory it
    // reports are the app's alone (growing vectors here once looked like a slow leak there).
    const auto framesExpected = static_cast<std::size_t>(seconds * 25 * 1.2) + 100;
    for (std::vector<double> *v :
         {&all, &cpuMs, &drainMs, &updateMs, &paintMs, &pagePaintMs, &tablePaintMs, &switchMs, &cpuNumbersMs, &cpuChartsOnlyMs, &periodCpuMs})
        v->reserve(framesExpected);
    for (int page = 0; page < clab::app::RunDashboard::ScalingPage; ++page)
        byPage[page].reserve(framesExpected / 4);
    rss.reserve(64);
    heap.reserve(64);
    bool tableChanged = true;
    const QAbstractItemModel *tableModel = dashboard.tableView()->model();
    QObject::connect(tableModel, &QAbstractItemModel::dataChanged, [&] { tableChanged = true; });
    QObject::connect(tableModel, &QAbstractItemModel::modelReset, [&] { tableChanged = true; });
    QObject::connect(tableModel, &QAbstractItemModel::layoutChanged, [&] { tableChanged = true; });
    QObject::connect(&frameTimer, &QTimer::timeout, [&] {
        const double elapsed = static_cast<double>(nowNs() - start) / 1e9;
        // The live pages (the Scaling page only fills when a sweep has ended).
        const int page = static_cast<int>(elapsed / 2) % clab::app::RunDashboard::ScalingPage;
        if (page != dashboard.currentPage())
            dashboard.setCurrentPage(static_cast<clab::app::RunDashboard::Page>(page));
        const double cpu0 = threadCpuMs();
        if (lastFrameCpu >= 0)
            periodCpuMs.push_back(cpu0 - lastFrameCpu);
        lastFrameCpu = cpu0;
        QElapsedTimer t;
        t.start();
        feed.pump(store);
        const qint64 tDrain = t.nsecsElapsed();
        dashboard.showFrame();
        const qint64 tUpdate = t.nsecsElapsed();
        // Synchronous paint of what a frame changes: the visible chart page and the table.
        dashboard.pageWidget(dashboard.currentPage())->repaint();
        const qint64 tPage = t.nsecsElapsed();
        const bool numbers = tableChanged;
        if (numbers) // as in the app: the table repaints when its numbers change (4 times a second)
            dashboard.tableView()->viewport()->repaint();
        tableChanged = false;
        pagePaintMs.push_back(static_cast<double>(tPage - tUpdate) / 1e6);
        tablePaintMs.push_back(static_cast<double>(t.nsecsElapsed() - tPage) / 1e6);
        const double ms = static_cast<double>(t.nsecsElapsed()) / 1e6;
        cpuMs.push_back(threadCpuMs() - cpu0);
        (numbers ? cpuNumbersMs : cpuChartsOnlyMs).push_back(cpuMs.back());
        drainMs.push_back(static_cast<double>(tDrain) / 1e6);
        updateMs.push_back(static_cast<double>(tUpdate - tDrain) / 1e6);
        paintMs.push_back(ms - static_cast<double>(tUpdate) / 1e6);
        all.push_back(ms);
        sinceSwitch = page == lastPage ? sinceSwitch + 1 : 0;
        lastPage = page;
        if (sinceSwitch < 2)
            switchMs.push_back(ms);
        else
            byPage[page].push_back(ms); // steady state of the page
        ++frames;
        if (elapsed >= nextRss) {
            rss.emplace_back(elapsed, rssMiB());
            heap.push_back(heapMiB());
            nextRss += std::max(1.0, seconds / 10);
        }
        if (elapsed >= seconds) {
            frameTimer.stop();
            QApplication::quit();
        }
    });
    frameTimer.start();
    QApplication::exec();
    stop.store(true);
    for (std::thread &t : producers)
        t.join();
    rss.emplace_back(static_cast<double>(nowNs() - start) / 1e9, rssMiB());
    heap.push_back(heapMiB());

    static const char *pageNames[] = {"throughput", "contention", "latency", "state", "timeline"};
    static_assert(std::size(pageNames) == clab::app::RunDashboard::ScalingPage);
    std::printf("bench_gui_frame: %u workers at %.0f Hz for %.0f s (time axis: %s), platform %s, %llu frames, "
                "%llu samples, %llu dropped\n",
                workers, hz, seconds, growingAxis ? "growing, as when bounded by operations" : "the planned duration", qPrintable(QGuiApplication::platformName()), static_cast<unsigned long long>(frames),
                static_cast<unsigned long long>(store.samplesIngested()), static_cast<unsigned long long>(feed.drops()));
    std::printf("frame wall time (drain + store + table + chart replace + paint), ms:  p50 %.2f  p99 %.2f  max %.2f  %s\n",
                percentile(all, 0.5), percentile(all, 0.99), all.empty() ? 0.0 : *std::max_element(all.begin(), all.end()),
                percentile(all, 0.99) <= 16.0 ? "(p99 within the 16 ms budget)" : "(p99 OVER the 16 ms budget)");
    std::printf("GUI thread CPU time per frame, ms:  p50 %.2f  p99 %.2f  max %.2f  %s\n", percentile(cpuMs, 0.5),
                percentile(cpuMs, 0.99), cpuMs.empty() ? 0.0 : *std::max_element(cpuMs.begin(), cpuMs.end()),
                percentile(cpuMs, 0.99) <= 16.0 ? "(p99 within 16 ms)" : "(p99 OVER 16 ms)");
    std::printf("GUI thread CPU time per frame period (the frame and the event loop's work until the next), ms:  p50 %.2f  p99 %.2f  max %.2f\n",
                percentile(periodCpuMs, 0.5), percentile(periodCpuMs, 0.99),
                periodCpuMs.empty() ? 0.0 : *std::max_element(periodCpuMs.begin(), periodCpuMs.end()));
    std::printf("  CPU, frames that refresh the numbers (table, summary; %zu): p50 %.2f p99 %.2f | the others (%zu): p50 %.2f p99 %.2f\n",
                cpuNumbersMs.size(), percentile(cpuNumbersMs, 0.5), percentile(cpuNumbersMs, 0.99), cpuChartsOnlyMs.size(),
                percentile(cpuChartsOnlyMs, 0.5), percentile(cpuChartsOnlyMs, 0.99));
    std::printf("  wall time  drain+store p50 %.2f p99 %.2f | table+charts p50 %.2f p99 %.2f | paint p50 %.2f p99 %.2f\n",
                percentile(drainMs, 0.5), percentile(drainMs, 0.99), percentile(updateMs, 0.5), percentile(updateMs, 0.99),
                percentile(paintMs, 0.5), percentile(paintMs, 0.99));
    std::printf("  paint: chart page p50 %.2f p99 %.2f | worker table p50 %.2f p99 %.2f\n", percentile(pagePaintMs, 0.5),
                percentile(pagePaintMs, 0.99), percentile(tablePaintMs, 0.5), percentile(tablePaintMs, 0.99));
    std::printf("  page switches (first two frames on a page, %zu frames): max %.2f\n", switchMs.size(),
                switchMs.empty() ? 0.0 : *std::max_element(switchMs.begin(), switchMs.end()));
    std::printf("steady state per page (wall time, ms):\n");
    for (const auto &[page, v] : byPage)
        std::printf("  %-10s  p50 %.2f  p99 %.2f  max %.2f  (%zu frames)\n", pageNames[page], percentile(v, 0.5),
                    percentile(v, 0.99), *std::max_element(v.begin(), v.end()), v.size());
    std::printf("resident memory, MiB:");
    for (const auto &[t, mib] : rss)
        std::printf("  %.0fs %.1f", t, mib);
    std::printf("\nheap in use (malloc), MiB:");
    for (std::size_t i = 0; i < heap.size(); ++i)
        std::printf("  %.0fs %.1f", rss[i].first, heap[i]);
    // Resident memory the allocator holds free (pages of freed blocks it has not returned):
    // what malloc_trim gives back is not held by the program.
    const double beforeTrim = rssMiB();
    malloc_trim(0);
    std::printf("\nresident memory after malloc_trim (freed memory returned to the system): %.1f MiB (was %.1f)",
                rssMiB(), beforeTrim);
    std::printf("\nstore: %.1f MiB of series (bounded: %zu slots per series)\n",
                static_cast<double>(store.memoryBytes()) / (1024.0 * 1024.0), store.slotsPerSeries());
    return 0;
}
