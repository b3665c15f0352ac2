// The runner's subcommands and their terminal output (progress bar or plain lines, summary table).
#include "runner_cli.h"

#include "experiment_file.h"
#include "result_file.h"
#include "run_supervisor.h"
#include "stats_ring.h"
#include "summary_table.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QTextStream>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <exception>
#include <sys/prctl.h>
#include <unistd.h>

namespace clab::runner {

namespace {

std::atomic<int> g_interrupt{0};

extern "C" void onStopSignal(int)
{
    // First signal: stop gracefully; second: kill the workers at once.
    g_interrupt.fetch_add(1, std::memory_order_relaxed);
}

void installStopHandlers()
{
    struct sigaction sa {};
    sa.sa_handler = onStopSignal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
    sigaction(SIGHUP, &sa, nullptr);
    std::signal(SIGPIPE, SIG_IGN);
}

void err(const QString &s)
{
    std::fputs(s.toLocal8Bit().constData(), stderr);
    std::fputc('\n', stderr);
}

void out(const std::string &s)
{
    std::fputs(s.c_str(), stdout);
}

const char *kUsage =
    "Usage: concurrency-lab-runner <command> [options]\n"
    "\n"
    "Runs Concurrency Lab experiments on this machine's real primitives, without a display.\n"
    "\n"
    "Commands:\n"
    "  run FILE|PRESET [--out RESULT.json] [--csv SAMPLES.csv] [--progress auto|bar|lines|none]\n"
    "                  [--set PATH=VALUE]... [--ring NAME] [--exit-with-parent]\n"
    "                  [--stall-timeout SECONDS] [--grace SECONDS]\n"
    "      Runs the experiment (every point of its sweep, if it has one) and prints a summary\n"
    "      table. PRESET is a preset's file name without .cclab (see list-presets).\n"
    "      --set changes one field for this run, e.g. --set workers=8 --set duration=\"200 ms\"\n"
    "      --set primitive.guard=none (VALUE is JSON, or a plain string).\n"
    "      --ring attaches to a stats ring another program created (the desktop app does\n"
    "      this) instead of creating a private one.\n"
    "  validate FILE...   Checks experiment files; prints every error with its field.\n"
    "  list-presets       Lists the shipped presets with their topic and description.\n"
    "\n"
    "Options:\n"
    "  -h, --help         Shows this help.\n"
    "  -v, --version      Shows the version.\n"
    "\n"
    "Exit status: 0 success; 1 the run failed or a file is invalid; 2 bad command line or\n"
    "unreadable input; 3 internal error.\n"
    "Stopping: Ctrl-C (SIGINT) or SIGTERM stops the run cleanly and still writes the result;\n"
    "a second one kills the workers at once.\n";

class Progress {
public:
    enum Mode { None, Bar, Lines };
    explicit Progress(Mode m) : m_mode(m) {}
    void update(const RunProgress &p)
    {
        if (m_mode == None)
            return;
        const double elapsed = static_cast<double>(p.elapsedNs) / 1e9;
        double frac = 0;
        if (p.plannedNs > 0)
            frac = static_cast<double>(p.elapsedNs) / static_cast<double>(p.plannedNs);
        else if (p.opsPlanned > 0)
            frac = static_cast<double>(p.opsDone) / static_cast<double>(p.opsPlanned);
        frac = std::clamp(frac, 0.0, 1.0);
        char what[160];
        if (p.plannedNs > 0)
            std::snprintf(what, sizeof what, "%-9s %5.1f / %.1f s  %u running  %llu samples  %llu dropped", p.phase,
                          elapsed, static_cast<double>(p.plannedNs) / 1e9, p.workersRunning,
                          static_cast<unsigned long long>(p.samplesReceived), static_cast<unsigned long long>(p.samplesDropped));
        else
            std::snprintf(what, sizeof what, "%-9s %5.1f s  %s / %s ops  %u running  %llu dropped", p.phase, elapsed,
                          humanCount(static_cast<double>(p.opsDone)).c_str(),
                          humanCount(static_cast<double>(p.opsPlanned)).c_str(), p.workersRunning,
                          static_cast<unsigned long long>(p.samplesDropped));
        if (m_mode == Bar) {
            constexpr int kWidth = 30;
            const int filled = static_cast<int>(frac * kWidth);
            std::string bar(static_cast<std::size_t>(filled), '#');
            bar += std::string(static_cast<std::size_t>(kWidth - filled), '.');
            std::fprintf(stderr, "\r[%s] %3d%%  %s\033[K", bar.c_str(), static_cast<int>(frac * 100), what);
            std::fflush(stderr);
            m_dirty = true;
        } else if (p.elapsedNs >= m_nextLineNs) {
            std::fprintf(stderr, "progress: %3d%%  %s\n", static_cast<int>(frac * 100), what);
            m_nextLineNs = p.elapsedNs + 1'000'000'000ULL;
        }
    }
    // Clears a bar from the terminal and starts afresh (the next sweep point restarts its clock).
    void finish()
    {
        if (m_dirty)
            std::fputs("\r\033[K", stderr);
        m_dirty = false;
        m_nextLineNs = 0;
    }

private:
    Mode m_mode;
    bool m_dirty = false;
    std::uint64_t m_nextLineNs = 0;
};

bool parseSeconds(const QString &text, std::uint64_t &ns)
{
    bool ok = false;
    const double s = text.toDouble(&ok);
    if (!ok || !(s >= 0) || s > 86400)
        return false;
    ns = static_cast<std::uint64_t>(s * 1e9);
    return true;
}

int cmdValidate(const QStringList &files)
{
    if (files.isEmpty()) {
        err(QStringLiteral("validate: name at least one experiment file"));
        return ExitBadInput;
    }
    int rc = ExitOk;
    for (const QString &f : files) {
        const model::ExperimentLoad load = model::loadExperiment(resolveExperimentPath(f));
        if (load.ok()) {
            QString note;
            if (load.migratedFromVersion >= 0)
                note = QStringLiteral(" (schema version %1, will be updated when saved)").arg(load.migratedFromVersion);
            std::printf("%s: valid%s\n", f.toLocal8Bit().constData(), note.toLocal8Bit().constData());
        } else {
            err(load.errorText());
            rc = ExitRunFailed;
        }
    }
    return rc;
}

int cmdListPresets()
{
    int count = 0;
    QSet<QString> seen;
    for (const QString &dir : presetDirectories()) {
        const QFileInfoList files = QDir(dir).entryInfoList({QStringLiteral("*.cclab")}, QDir::Files, QDir::Name);
        for (const QFileInfo &fi : files) {
            if (seen.contains(fi.completeBaseName()))
                continue;
            seen.insert(fi.completeBaseName());
            const model::ExperimentLoad load = model::loadExperiment(fi.absoluteFilePath());
            if (!load.ok()) {
                std::printf("%-28s  (invalid: %s)\n", fi.completeBaseName().toLocal8Bit().constData(),
                            load.errorText().toLocal8Bit().constData());
                continue;
            }
            const ExperimentSpec &s = *load.spec;
            std::printf("%-28s  %-14s %s\n%-28s  %-14s %s\n", fi.completeBaseName().toLocal8Bit().constData(),
                        s.topic.c_str(), s.name.c_str(), "", "", s.description.c_str());
            ++count;
        }
    }
    if (count == 0) {
        err(QStringLiteral("no presets found; searched: ") + presetDirectories().join(QStringLiteral(", ")));
        return ExitBadInput;
    }
    std::printf("\n%d preset%s. Run one with: concurrency-lab-runner run NAME\n", count, count == 1 ? "" : "s");
    return ExitOk;
}

int cmdRun(const QStringList &args)
{
    QCommandLineParser p;
    p.setSingleDashWordOptionMode(QCommandLineParser::ParseAsLongOptions);
    const QCommandLineOption outOpt(QStringLiteral("out"), QString(), QStringLiteral("file"));
    const QCommandLineOption csvOpt(QStringLiteral("csv"), QString(), QStringLiteral("file"));
    const QCommandLineOption ringOpt(QStringLiteral("ring"), QString(), QStringLiteral("name"));
    const QCommandLineOption progressOpt(QStringLiteral("progress"), QString(), QStringLiteral("mode"), QStringLiteral("auto"));
    const QCommandLineOption stallOpt(QStringLiteral("stall-timeout"), QString(), QStringLiteral("seconds"), QStringLiteral("0"));
    const QCommandLineOption graceOpt(QStringLiteral("grace"), QString(), QStringLiteral("seconds"), QStringLiteral("5"));
    const QCommandLineOption parentOpt(QStringLiteral("exit-with-parent"));
    const QCommandLineOption setOpt(QStringLiteral("set"), QString(), QStringLiteral("path=value"));
    p.addOptions({outOpt, csvOpt, ringOpt, progressOpt, stallOpt, graceOpt, parentOpt, setOpt});
    if (!p.parse(QStringList{QStringLiteral("run")} + args)) {
        err(QStringLiteral("run: ") + p.errorText());
        return ExitBadInput;
    }
    const QStringList pos = p.positionalArguments();
    if (pos.size() != 1) {
        err(QStringLiteral("run: name exactly one experiment file or preset (got %1)").arg(pos.size()));
        return ExitBadInput;
    }
    SupervisorOptions opts;
    if (!parseSeconds(p.value(stallOpt), opts.stallTimeoutNs)) {
        err(QStringLiteral("run: --stall-timeout must be a number of seconds 0..86400, got \"%1\"").arg(p.value(stallOpt)));
        return ExitBadInput;
    }
    if (!parseSeconds(p.value(graceOpt), opts.graceNs)) {
        err(QStringLiteral("run: --grace must be a number of seconds 0..86400, got \"%1\"").arg(p.value(graceOpt)));
        return ExitBadInput;
    }
    Progress::Mode mode = Progress::Lines;
    const QString pm = p.value(progressOpt);
    if (pm == QLatin1String("auto"))
        mode = isatty(STDERR_FILENO) ? Progress::Bar : Progress::Lines;
    else if (pm == QLatin1String("bar"))
        mode = Progress::Bar;
    else if (pm == QLatin1String("lines"))
        mode = Progress::Lines;
    else if (pm == QLatin1String("none"))
        mode = Progress::None;
    else {
        err(QStringLiteral("run: --progress must be auto, bar, lines or none, got \"%1\"").arg(pm));
        return ExitBadInput;
    }
    if (p.isSet(parentOpt)) {
        const pid_t parent = getppid();
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (getppid() != parent)
            return ExitRunFailed;
    }

    const QString path = resolveExperimentPath(pos.front());
    const model::ExperimentLoad load = model::loadExperiment(path);
    if (!load.ok()) {
        err(load.errorText());
        return ExitBadInput;
    }
    ExperimentSpec spec = *load.spec;
    if (p.isSet(setOpt)) {
        QList<QPair<QString, QString>> overrides;
        for (const QString &kv : p.values(setOpt)) {
            const qsizetype eq = kv.indexOf(QLatin1Char('='));
            if (eq <= 0) {
                err(QStringLiteral("run: --set needs PATH=VALUE (e.g. --set duration=\"200 ms\"), got \"%1\"").arg(kv));
                return ExitBadInput;
            }
            overrides.append({kv.left(eq), kv.mid(eq + 1)});
        }
        QList<model::FieldError> errors;
        const std::optional<ExperimentSpec> changed = model::applyOverrides(spec, overrides, &errors);
        if (!changed) {
            for (const auto &e : errors)
                err(path + QStringLiteral(": ") + e.toString());
            return ExitBadInput;
        }
        spec = *changed;
    }
    QList<model::FieldError> sweepErrors;
    const QList<model::SweepPoint> points = model::expandSweep(spec, &sweepErrors);
    if (!sweepErrors.isEmpty() || points.isEmpty()) {
        for (const auto &e : sweepErrors)
            err(path + QStringLiteral(": ") + e.toString());
        return ExitBadInput;
    }
    const bool isSweep = !spec.variants.empty() || !spec.sweep.empty();

    std::uint32_t lanes = 0;
    std::uint64_t finestInterval = UINT64_MAX;
    for (const auto &pt : points) {
        lanes = std::max(lanes, pt.spec.workers);
        finestInterval = std::min(finestInterval, pt.spec.sampleIntervalNs);
    }
    StatsRing ring;
    try {
        if (p.isSet(ringOpt)) {
            ring = StatsRing::attach(p.value(ringOpt).toStdString());
            // Both parties have it mapped now: remove the name so nothing can outlive the run.
            ring.unlink();
            if (ring.laneCount() < lanes) {
                err(QStringLiteral("run: the stats ring %1 has %2 lanes but %3 needs %4 (its largest worker count)")
                        .arg(p.value(ringOpt)).arg(ring.laneCount()).arg(path).arg(lanes));
                return ExitBadInput;
            }
        } else {
            ring = StatsRing::createAnonymous(lanes, recommendedLaneCapacity(finestInterval));
        }
    } catch (const std::exception &e) {
        err(QStringLiteral("run: ") + QString::fromLocal8Bit(e.what()));
        return ExitBadInput;
    }

    installStopHandlers();
    Progress progress(mode);
    RunHooks hooks;
    hooks.interrupt = &g_interrupt;
    hooks.onProgress = [&](const RunProgress &pr) { progress.update(pr); };
    std::vector<model::PointResult> results;
    results.reserve(static_cast<std::size_t>(points.size()));
    QString cannotRun; // a later sweep point that could not start
    for (qsizetype i = 0; i < points.size(); ++i) {
        if (g_interrupt.load() != 0)
            break;
        const model::SweepPoint &pt = points.at(i);
        if (isSweep && mode != Progress::None)
            std::fprintf(stderr, "point %lld/%lld: %s\n", static_cast<long long>(i + 1), static_cast<long long>(points.size()),
                         pt.label.toLocal8Bit().constData());
        opts.pointIndex = static_cast<std::uint32_t>(i);
        opts.pointCount = static_cast<std::uint32_t>(points.size());
        model::PointResult pr{pt.label, pt.values, pt.spec, {}};
        try {
            pr.result = runExperiment(pt.spec, ring, opts, hooks);
        } catch (const std::exception &e) {
            progress.finish();
            cannotRun = path + QStringLiteral(": cannot run") +
                        (isSweep ? QStringLiteral(" point \"") + pt.label + QStringLiteral("\"") : QString()) + QStringLiteral(": ") +
                        QString::fromLocal8Bit(e.what());
            if (results.empty()) {
                err(cannotRun);
                return ExitBadInput;
            }
            break; // the points that ran are still saved and compared
        }
        progress.finish();
        results.push_back(std::move(pr));
        if (runLeftStuckThreads())
            break; // a stuck worker thread still runs: no further point can be trusted
    }

    bool failed = false;
    for (const auto &r : results)
        failed = failed || r.result.status == "failed";
    if (!isSweep) {
        out(formatSummary(results.front().spec, results.front().result));
    } else {
        std::vector<SweepRow> rows;
        for (const auto &r : results)
            rows.push_back({r.label.toStdString(), &r.spec, &r.result});
        const std::size_t perVariant = static_cast<std::size_t>(points.size()) / std::max<std::size_t>(1, spec.variants.size());
        out(formatSweepSummary(spec, rows, perVariant));
        if (results.size() < static_cast<std::size_t>(points.size()))
            std::printf("stopped after %zu of %lld points\n", results.size(), static_cast<long long>(points.size()));
    }

    int rc = !cannotRun.isEmpty() ? ExitBadInput : failed ? ExitRunFailed : ExitOk;
    QString error;
    if (p.isSet(outOpt)) {
        const bool saved = isSweep ? model::saveSweepResult(spec, results, p.value(outOpt), &error)
                                   : model::saveResult(results.front().spec, results.front().result, p.value(outOpt), &error);
        if (saved)
            std::printf("result written to %s\n", p.value(outOpt).toLocal8Bit().constData());
        else {
            err(error);
            rc = ExitRunFailed;
        }
    }
    if (p.isSet(csvOpt)) {
        const bool saved = isSweep ? model::saveSweepSamplesCsv(results, p.value(csvOpt), &error)
                                   : model::saveSamplesCsv(results.front().result, p.value(csvOpt), &error);
        if (saved)
            std::printf("samples written to %s\n", p.value(csvOpt).toLocal8Bit().constData());
        else {
            err(error);
            rc = ExitRunFailed;
        }
    }
    for (const auto &r : results) {
        if (r.result.status == "failed")
            err(QStringLiteral("run failed") + (isSweep ? QStringLiteral(" at point \"") + r.label + QStringLiteral("\"") : QString()) +
                QStringLiteral(": ") + QString::fromStdString(r.result.error));
    }
    if (!cannotRun.isEmpty())
        err(cannotRun);
    std::fflush(nullptr);
    if (runLeftStuckThreads())
        _exit(rc); // a worker thread is blocked for good: leave without joining it
    return rc;
}

} // namespace

QStringList presetDirectories()
{
    QStringList dirs;
    const QString env = qEnvironmentVariable("CLAB_PRESETS_DIR");
    if (!env.isEmpty())
        dirs << env;
    const QString exeDir = QFileInfo(QStringLiteral("/proc/self/exe")).canonicalPath();
    dirs << QDir(exeDir).absoluteFilePath(QStringLiteral("../share/concurrency-lab/presets"));
    dirs << QStringLiteral(CLAB_SOURCE_PRESETS_DIR);
    QStringList existing;
    for (const QString &d : dirs) {
        const QString clean = QDir::cleanPath(d);
        if (QFileInfo(clean).isDir() && !existing.contains(clean))
            existing << clean;
    }
    return existing;
}

QString resolveExperimentPath(const QString &arg)
{
    if (QFileInfo::exists(arg) || arg.contains(QLatin1Char('/')) || arg.endsWith(QLatin1String(".cclab")))
        return arg;
    for (const QString &dir : presetDirectories()) {
        const QString candidate = QDir(dir).absoluteFilePath(arg + QStringLiteral(".cclab"));
        if (QFileInfo::exists(candidate))
            return candidate;
    }
    return arg;
}

int runnerMain(int argc, char **argv)
{
    QStringList args;
    for (int i = 1; i < argc; ++i)
        args << QString::fromLocal8Bit(argv[i]);
    if (args.isEmpty()) {
        std::fputs(kUsage, stderr);
        return ExitBadInput;
    }
    const QString cmd = args.takeFirst();
    try {
        if (cmd == QLatin1String("-h") || cmd == QLatin1String("--help") || cmd == QLatin1String("help")) {
            std::fputs(kUsage, stdout);
            return ExitOk;
        }
        if (cmd == QLatin1String("-v") || cmd == QLatin1String("--version")) {
            std::printf("concurrency-lab-runner %s\n", CLAB_VERSION);
            return ExitOk;
        }
        if (cmd == QLatin1String("run"))
            return cmdRun(args);
        if (cmd == QLatin1String("validate"))
            return cmdValidate(args);
        if (cmd == QLatin1String("list-presets"))
            return cmdListPresets();
    } catch (const std::exception &e) {
        err(QStringLiteral("internal error: ") + QString::fromLocal8Bit(e.what()));
        return ExitInternal;
    }
    err(QStringLiteral("unknown command \"%1\"; try --help").arg(cmd));
    return ExitBadInput;
}

} // namespace clab::runner
