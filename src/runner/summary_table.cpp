// Summary table: per worker and total, all figures from clab::metrics.
#include "summary_table.h"

#include "metrics.h"
#include "result_file.h"

#include <cmath>
#include <cstdio>
#include <sstream>
#include <vector>

namespace clab::runner {

std::string humanCount(double v)
{
    char buf[32];
    const double a = std::fabs(v);
    if (a >= 1e9)
        std::snprintf(buf, sizeof buf, "%.2f G", v / 1e9);
    else if (a >= 1e6)
        std::snprintf(buf, sizeof buf, "%.2f M", v / 1e6);
    else if (a >= 1e4)
        std::snprintf(buf, sizeof buf, "%.1f k", v / 1e3);
    else
        std::snprintf(buf, sizeof buf, "%.0f", v);
    return buf;
}

std::string humanDuration(double ns)
{
    char buf[32];
    if (ns <= 0)
        return "0";
    if (ns < 1e3)
        std::snprintf(buf, sizeof buf, "%.0f ns", ns);
    else if (ns < 1e6)
        std::snprintf(buf, sizeof buf, "%.1f µs", ns / 1e3);
    else if (ns < 1e9)
        std::snprintf(buf, sizeof buf, "%.1f ms", ns / 1e6);
    else
        std::snprintf(buf, sizeof buf, "%.2f s", ns / 1e9);
    return buf;
}

namespace {
std::string pct(double f)
{
    char buf[16];
    std::snprintf(buf, sizeof buf, "%.1f%%", f * 100.0);
    return buf;
}

std::string secs(std::uint64_t ns)
{
    char buf[24];
    std::snprintf(buf, sizeof buf, "%.3f", static_cast<double>(ns) / 1e9);
    return buf;
}

std::string cpus(const WorkerResult &w)
{
    std::string s;
    for (int c : w.cpusSeen)
        s += (s.empty() ? "" : ",") + std::to_string(c);
    if (w.pinnedCpu >= 0)
        s += " (pinned)";
    return s.empty() ? "-" : s;
}

// Column-aligned table: every row the same number of cells; the first column left-aligned.
std::string render(const std::vector<std::vector<std::string>> &rows, bool lastIsTotal)
{
    std::vector<std::size_t> width;
    auto displayWidth = [](const std::string &s) {
        std::size_t n = 0;
        for (char ch : s)
            n += (static_cast<unsigned char>(ch) & 0xC0U) != 0x80U; // count UTF-8 code points
        return n;
    };
    for (const auto &r : rows) {
        width.resize(std::max(width.size(), r.size()));
        for (std::size_t i = 0; i < r.size(); ++i)
            width[i] = std::max(width[i], displayWidth(r[i]));
    }
    std::ostringstream out;
    for (std::size_t ri = 0; ri < rows.size(); ++ri) {
        const auto &r = rows[ri];
        for (std::size_t i = 0; i < r.size(); ++i) {
            const std::string pad(width[i] - displayWidth(r[i]), ' ');
            out << (i == 0 ? r[i] + pad : pad + r[i]) << (i + 1 < r.size() ? "  " : "");
        }
        out << '\n';
        if (ri == 0 || (lastIsTotal && ri + 2 == rows.size())) {
            std::size_t total = 0;
            for (auto w : width)
                total += w + 2;
            out << std::string(total - 2, '-') << '\n';
        }
    }
    return out.str();
}
} // namespace

std::string formatSummary(const ExperimentSpec &spec, const RunResult &r)
{
    std::ostringstream out;
    out << spec.name << " — " << toString(spec.primitive);
    if (spec.primitive == PrimitiveKind::LockContention)
        out << " (guard " << toString(spec.lock.guard) << ")";
    out << ", " << toString(spec.execution) << ", " << spec.workers << " worker" << (spec.workers == 1 ? "" : "s")
        << ", placement " << toString(spec.placement) << "\n";
    out << "status: " << r.status;
    if (!r.error.empty())
        out << " — " << r.error;
    out << "\nmeasured " << humanDuration(static_cast<double>(r.wallNs)) << " on " << r.machine.cpuModel << " ("
        << r.machine.logicalCpus << " CPUs, " << r.machine.kernel << "), clock " << r.machine.clockSource << "\n\n";

    std::vector<std::vector<std::string>> rows;
    rows.push_back({"worker", "cpu", "ops/s", "share", "wait", "contended", "hold", "p50", "p99", "user s", "sys s",
                    "vcsw", "ivcsw", "state"});
    const metrics::Totals t = metrics::totals(r.workers, r.wallNs);
    for (const auto &w : r.workers) {
        rows.push_back({std::to_string(w.index), cpus(w), humanCount(metrics::opsPerSecond(w)),
                        pct(metrics::fraction(w.ops, t.ops)), pct(metrics::waitFraction(w)),
                        pct(metrics::contendedFraction(w)), humanDuration(metrics::meanHoldNs(w)),
                        humanDuration(w.latency.p50Ns), humanDuration(w.latency.p99Ns), secs(w.userNs), secs(w.sysNs),
                        std::to_string(w.volCsw), std::to_string(w.involCsw), w.exitState});
    }
    rows.push_back({"total", "", humanCount(t.opsPerSecond), "100%", pct(t.waitFraction), pct(t.contendedFraction),
                    humanDuration(t.meanHoldNs), humanDuration(t.latency.p50Ns), humanDuration(t.latency.p99Ns),
                    secs(t.userNs), secs(t.sysNs), std::to_string(t.volCsw), std::to_string(t.involCsw), ""});
    out << render(rows, true);
    char buf[160];
    std::snprintf(buf, sizeof buf, "\nfairness (Jain's index over ops/s): %.3f   samples: %llu received, %llu dropped\n",
                  t.fairness, static_cast<unsigned long long>(r.samplesReceived),
                  static_cast<unsigned long long>(r.samplesDropped));
    out << buf;
    out << "wait, p50 and p99 are acquisition waits; hold is mean time inside the critical section.\n";
    for (const auto &f : r.figures) {
        char v[64];
        std::snprintf(v, sizeof v, "%.6g", f.value);
        out << f.label << ": " << v << (f.unit.empty() ? "" : " ") << f.unit << "\n";
    }
    for (const auto &c : r.checks)
        out << (c.passed ? "check passed: " : "CHECK FAILED: ") << c.description << (c.detail.empty() ? "" : " — ") << c.detail << "\n";
    if (r.counter) {
        const auto lost = r.counter->lost();
        // The counter also counts the warm-up's increments (the table's operations do not): say so.
        out << "shared counter" << (spec.warmupNs > 0 ? " (counted with the warm-up)" : "") << ": expected "
            << r.counter->expected << ", actual " << r.counter->actual << ", lost updates " << lost;
        if (r.counter->expected > 0) {
            std::snprintf(buf, sizeof buf, " (%.3f%%)",
                          100.0 * static_cast<double>(lost) / static_cast<double>(r.counter->expected));
            out << buf;
        }
        out << "\n";
    } else if (spec.primitive == PrimitiveKind::LockContention) {
        out << "shared counter: not checked (not every worker finished)\n";
    }
    return out.str();
}

std::string formatSweepSummary(const ExperimentSpec &base, const std::vector<SweepRow> &points, std::size_t pointsPerVariant)
{
    std::ostringstream out;
    out << base.name << " — " << points.size() << " points\n\n";
    std::vector<std::vector<std::string>> rows;
    rows.push_back({"point", "ops/s", "speed-up", "wall", "p50", "p99", "wait", "user s", "sys s", "lost", "status"});
    std::vector<const RunResult *> results;
    results.reserve(points.size());
    for (const SweepRow &p : points)
        results.push_back(p.result);
    const std::vector<double> speedUps = model::sweepSpeedUps(results, pointsPerVariant);
    for (std::size_t i = 0; i < points.size(); ++i) {
        const RunResult &r = *points[i].result;
        const metrics::Totals t = metrics::totals(r.workers, r.wallNs);
        char speed[32] = "-";
        if (!std::isnan(speedUps[i]))
            std::snprintf(speed, sizeof speed, "%.2fx", speedUps[i]);
        rows.push_back({points[i].label.empty() ? std::to_string(i + 1) : points[i].label, humanCount(t.opsPerSecond),
                        speed, humanDuration(static_cast<double>(r.wallNs)), humanDuration(t.latency.p50Ns),
                        humanDuration(t.latency.p99Ns), pct(t.waitFraction), secs(t.userNs), secs(t.sysNs),
                        r.counter ? std::to_string(r.counter->lost()) : "-", r.status});
    }
    out << render(rows, false);
    out << "speed-up: ops/s relative to the first variant at the same sweep values.\n";
    for (std::size_t i = 0; i < points.size(); ++i) {
        const RunResult &r = *points[i].result;
        if (!r.error.empty())
            out << points[i].label << ": " << r.error << "\n";
        for (const auto &c : r.checks) {
            if (!c.passed)
                out << points[i].label << ": check failed: " << c.description << (c.detail.empty() ? "" : " — ") << c.detail << "\n";
        }
    }
    return out.str();
}

} // namespace clab::runner
