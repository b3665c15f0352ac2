// Run control: ring + runner process + fixed-rate drain, and plain-words reports of how a run ended.
#include "run_controller.h"

#include "experiment_file.h"
#include "result_file.h"
#include "run_supervisor.h"
#include "sweep_feed.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QStandardPaths>
#include <QTemporaryDir>

#include <algorithm>
#include <csignal>
#include <cstring>
#include <ctime>
#include <exception>

namespace clab::app {

namespace {

constexpr qsizetype kMaxStderrBytes = 64 * 1024;

std::uint64_t monotonicNowNs()
{
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000ULL + static_cast<std::uint64_t>(ts.tv_nsec);
}

QString signalText(int sig)
{
    const char *abbrev = sigabbrev_np(sig);
    const char *desc = strsignal(sig);
    QString s = QString::number(sig);
    if (abbrev)
        s += QStringLiteral(" (SIG") + QString::fromLatin1(abbrev) + QStringLiteral(": ")
            + QString::fromLocal8Bit(desc ? desc : "") + QLatin1Char(')');
    return s;
}

QString phaseText(clab_run_state s)
{
    switch (s) {
    case CLAB_RUN_CREATED: return RunController::tr("starting");
    case CLAB_RUN_PREPARING: return RunController::tr("preparing");
    case CLAB_RUN_WARMUP: return RunController::tr("warm-up");
    case CLAB_RUN_MEASURING: return RunController::tr("measuring");
    case CLAB_RUN_STOPPING: return RunController::tr("stopping");
    case CLAB_RUN_FINISHED: return RunController::tr("finished");
    case CLAB_RUN_FAILED: return RunController::tr("failed");
    }
    return {};
}

// The last line of the runner's stderr that starts with `prefix`, without it.
QString lineAfter(const QString &text, const QString &prefix)
{
    const QStringList lines = text.split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    for (auto it = lines.crbegin(); it != lines.crend(); ++it) {
        if (it->startsWith(prefix))
            return it->mid(prefix.size()).trimmed();
    }
    return {};
}

QString countOfPoints(int n)
{
    return n == 1 ? RunController::tr("1 point") : RunController::tr("%1 points").arg(n);
}

QString sentence(QString s)
{
    s = s.trimmed();
    if (!s.isEmpty() && !s.endsWith(QLatin1Char('.')))
        s += QLatin1Char('.');
    return s;
}

} // namespace

QString runStateText(RunState state)
{
    switch (state) {
    case RunState::Idle: return RunController::tr("Ready");
    case RunState::Starting: return RunController::tr("Starting");
    case RunState::Running: return RunController::tr("Running");
    case RunState::Stopping: return RunController::tr("Stopping");
    case RunState::Finished: return RunController::tr("Finished");
    case RunState::Stopped: return RunController::tr("Stopped");
    case RunState::Failed: return RunController::tr("Failed");
    }
    return {};
}

RunController::RunController(QObject *parent)
    : QObject(parent)
    , m_runnerPath(defaultRunnerPath())
{
    m_tick.setTimerType(Qt::PreciseTimer);
    m_tick.setInterval(40);
    connect(&m_tick, &QTimer::timeout, this, &RunController::onTick);
    m_stopTimer.setSingleShot(true);
    connect(&m_stopTimer, &QTimer::timeout, this, &RunController::escalateStop);
}

RunController::~RunController()
{
    m_tick.stop();
    m_stopTimer.stop();
    if (m_process) {
        // The app is going away: the runner must not outlive it (--exit-with-parent would end
        // it too, but only once this process is gone).
        m_process->disconnect(this);
        if (m_process->state() != QProcess::NotRunning) {
            m_process->kill();
            m_process->waitForFinished(3000);
        }
        delete m_process;
        m_process = nullptr;
    }
    if (m_feed)
        m_feed->unlink();
    m_feed.reset();
}

QString RunController::defaultRunnerPath()
{
    const QString env = qEnvironmentVariable("CLAB_RUNNER");
    if (!env.isEmpty())
        return env;
    const QString beside = QDir(QCoreApplication::applicationDirPath()).filePath(QStringLiteral("concurrency-lab-runner"));
    if (QFileInfo(beside).isExecutable())
        return beside;
    const QString onPath = QStandardPaths::findExecutable(QStringLiteral("concurrency-lab-runner"));
    return onPath.isEmpty() ? beside : onPath;
}

void RunController::setRunnerPath(const QString &path)
{
    m_runnerPath = path;
}

QString RunController::runnerPath() const
{
    return m_runnerPath;
}

void RunController::setStallTimeout(double seconds)
{
    m_stallTimeout = seconds < 0 ? 0 : seconds;
}

double RunController::stallTimeout() const
{
    return m_stallTimeout;
}

void RunController::setFrameInterval(int ms)
{
    m_tick.setInterval(std::max(5, ms));
}

int RunController::frameInterval() const
{
    return m_tick.interval();
}

bool RunController::isActive() const
{
    return m_state == RunState::Starting || m_state == RunState::Running || m_state == RunState::Stopping;
}

void RunController::setState(RunState s)
{
    if (s == m_state)
        return;
    m_state = s;
    Q_EMIT stateChanged(s);
}

void RunController::failToStart(const QString &reason)
{
    if (m_feed)
        m_feed->unlink();
    m_feed.reset();
    RunOutcome outcome;
    outcome.kind = RunOutcome::Kind::Failed;
    outcome.message = reason;
    outcome.startedAt = m_startedAt;
    outcome.spec = m_spec;
    outcome.files = m_dir;
    m_dir.reset();
    setState(RunState::Failed);
    Q_EMIT resultAvailable(outcome);
    Q_EMIT runFailed(reason);
}

bool RunController::start(const ExperimentSpec &spec)
{
    if (isActive())
        return false;
    m_spec = spec;
    m_stderr.clear();
    m_runnerPid = 0;
    m_stopRequested = false;
    m_stopStep = 0;
    m_frozenElapsed = -1;
    m_dropped = 0;
    m_rateWindow.clear();
    m_startedAt = QDateTime::currentDateTime();
    m_sinceStart.start();
    // A sweep runs its points one after another on one ring, as the runner does on its own: the
    // ring has as many lanes as the largest point has workers, and its header says which point
    // the samples belong to. A single run is a sweep of one point.
    m_isSweep = !spec.variants.empty() || !spec.sweep.empty();
    m_point = 0;
    QList<model::FieldError> sweepErrors;
    m_points = model::expandSweep(spec, &sweepErrors);
    m_store.reset(LiveRunStore::configFor(m_points.isEmpty() ? spec : m_points.front().spec));
    setState(RunState::Starting);

    if (!sweepErrors.isEmpty() || m_points.isEmpty()) {
        QStringList lines;
        for (const model::FieldError &e : std::as_const(sweepErrors))
            lines << e.toString();
        m_points.clear();
        failToStart(tr("Cannot run: the sweep does not give runnable points: %1").arg(lines.join(QStringLiteral("; "))));
        return false;
    }
    std::uint32_t lanes = 0;
    std::uint64_t finestInterval = UINT64_MAX;
    std::vector<std::uint32_t> workersPerPoint;
    workersPerPoint.reserve(static_cast<std::size_t>(m_points.size()));
    for (const model::SweepPoint &pt : std::as_const(m_points)) {
        lanes = std::max(lanes, pt.spec.workers);
        finestInterval = std::min(finestInterval, pt.spec.sampleIntervalNs);
        workersPerPoint.push_back(pt.spec.workers);
    }
    if (!QFileInfo(m_runnerPath).isExecutable()) {
        failToStart(tr("Cannot run: the runner program was not found at %1. Build the target "
                       "concurrency-lab-runner, or point the environment variable CLAB_RUNNER at it.")
                        .arg(QDir::toNativeSeparators(m_runnerPath)));
        return false;
    }
    m_dir = std::make_shared<QTemporaryDir>(QDir::temp().filePath(QStringLiteral("concurrency-lab-run-XXXXXX")));
    if (!m_dir->isValid()) {
        failToStart(tr("Cannot run: no temporary folder for the run's files (%1).").arg(m_dir->errorString()));
        return false;
    }
    const QString experimentPath = m_dir->filePath(QStringLiteral("experiment.cclab"));
    QString error;
    if (!model::saveExperiment(spec, experimentPath, &error)) {
        failToStart(tr("Cannot run: the experiment could not be written for the runner: %1").arg(error));
        return false;
    }
    try {
        StatsRing ring = StatsRing::create(StatsRing::uniqueName(), lanes, recommendedLaneCapacity(finestInterval));
        m_feed = std::make_unique<SweepFeed>(std::move(ring), std::move(workersPerPoint));
    } catch (const std::exception &e) {
        failToStart(tr("Cannot run: the shared memory for live data could not be created: %1")
                        .arg(QString::fromLocal8Bit(e.what())));
        return false;
    }
    m_ringName = QString::fromStdString(m_feed->name());

    QStringList args{QStringLiteral("run"), experimentPath,
                     QStringLiteral("--ring"), m_ringName,
                     QStringLiteral("--out"), m_dir->filePath(QStringLiteral("result.json")),
                     QStringLiteral("--csv"), m_dir->filePath(QStringLiteral("samples.csv")),
                     QStringLiteral("--progress"), QStringLiteral("none"),
                     QStringLiteral("--exit-with-parent")};
    if (m_stallTimeout > 0)
        args << QStringLiteral("--stall-timeout") << QString::number(m_stallTimeout);

    m_process = new QProcess(this);
    m_process->setProcessChannelMode(QProcess::SeparateChannels);
    m_process->setProgram(m_runnerPath);
    m_process->setArguments(args);
    connect(m_process, &QProcess::started, this, &RunController::onProcessStarted);
    connect(m_process, &QProcess::finished, this, &RunController::onProcessFinished);
    connect(m_process, &QProcess::errorOccurred, this, &RunController::onProcessError);
    connect(m_process, &QProcess::readyReadStandardError, this, [this] {
        m_stderr += m_process->readAllStandardError();
        if (m_stderr.size() > kMaxStderrBytes)
            m_stderr = m_stderr.right(kMaxStderrBytes);
    });
    // The summary table on stdout is for terminals; the app reads the result file instead.
    connect(m_process, &QProcess::readyReadStandardOutput, this, [this] { m_process->readAllStandardOutput(); });
    m_process->start();
    m_tick.start();
    return true;
}

void RunController::onProcessStarted()
{
    m_runnerPid = m_process->processId();
    setState(m_stopRequested ? RunState::Stopping : RunState::Running);
    Q_EMIT runStarted();
}

void RunController::onProcessError(QProcess::ProcessError error)
{
    if (error != QProcess::FailedToStart)
        return; // crashes and exits arrive through finished()
    m_tick.stop();
    m_stopTimer.stop();
    const QString reason = tr("Cannot run: the runner %1 could not be started: %2")
                               .arg(QDir::toNativeSeparators(m_runnerPath), m_process->errorString());
    m_process->deleteLater();
    m_process = nullptr;
    failToStart(reason);
}

void RunController::stop()
{
    if (!isActive() || !m_process)
        return;
    if (m_state == RunState::Stopping) {
        escalateStop(); // asked again: do not make the user wait
        return;
    }
    m_stopRequested = true;
    setState(RunState::Stopping);
    if (m_process->state() == QProcess::Running) {
        m_process->terminate(); // SIGTERM: the runner stops its workers and writes its result
        m_stopStep = 0;
        m_stopTimer.start(5000);
    }
}

void RunController::escalateStop()
{
    if (!m_process || m_process->state() == QProcess::NotRunning)
        return;
    if (m_stopStep == 0) {
        m_stopStep = 1;
        m_process->terminate(); // a second SIGTERM: the runner kills its workers at once
        m_stopTimer.start(2000);
    } else {
        m_stopStep = 2;
        m_process->kill(); // workers die with it (PR_SET_PDEATHSIG)
    }
}

double RunController::elapsedSeconds() const
{
    if (m_frozenElapsed >= 0)
        return m_frozenElapsed;
    if (!m_feed)
        return 0;
    const std::uint64_t start = m_feed->startMonotonicNs();
    if (start == 0)
        return 0;
    const std::uint64_t now = monotonicNowNs();
    return now > start ? static_cast<double>(now - start) / 1e9 : 0.0;
}

RunStatus RunController::status() const
{
    RunStatus s;
    s.state = m_state;
    s.elapsedSeconds = elapsedSeconds();
    s.plannedSeconds = static_cast<double>(m_store.config().plannedNs) / 1e9;
    s.samples = m_store.samplesIngested();
    s.dropped = m_dropped;
    s.runnerPid = m_runnerPid;
    s.workers = m_point < m_points.size() ? m_points.at(m_point).spec.workers : m_spec.workers;
    s.pointIndex = m_point;
    s.pointCount = m_isSweep ? std::max(1, static_cast<int>(m_points.size())) : 1;
    if (m_isSweep && m_point < m_points.size())
        s.pointLabel = m_points.at(m_point).label;
    if (m_feed && isActive())
        s.phase = phaseText(m_feed->runState());
    if (m_rateWindow.size() >= 2 && isActive()) {
        const auto &a = m_rateWindow.front();
        const auto &b = m_rateWindow.back();
        if (b.first > a.first)
            s.samplesPerSecond = static_cast<double>(b.second - a.second) * 1000.0 / static_cast<double>(b.first - a.first);
    }
    return s;
}

void RunController::onTick()
{
    if (!m_feed)
        return;
    const std::size_t n = m_feed->pump(m_store, [this](std::uint32_t p) { beginPoint(p); });
    m_dropped = m_feed->drops();
    if (m_runnerPid == 0 && m_feed->runnerPid() > 0)
        m_runnerPid = m_feed->runnerPid();
    const qint64 now = m_sinceStart.elapsed();
    m_rateWindow.emplace_back(now, m_store.samplesIngested());
    while (m_rateWindow.size() > 2 && now - m_rateWindow.front().first > 1000)
        m_rateWindow.pop_front();
    (void)n;
    Q_EMIT frameAvailable();
}

void RunController::beginPoint(std::uint32_t index)
{
    if (static_cast<qsizetype>(index) >= m_points.size())
        return;
    m_point = static_cast<int>(index);
    m_store.reset(LiveRunStore::configFor(m_points.at(m_point).spec));
    m_rateWindow.clear();
    Q_EMIT pointStarted(m_point);
}

QString RunController::pointText(int index) const
{
    if (index < 0 || index >= m_points.size())
        return {};
    return tr("point %1 of %2 (%3)").arg(index + 1).arg(m_points.size()).arg(m_points.at(index).label);
}

QString RunController::describeSweepEnd(int exitCode, QProcess::ExitStatus status, const std::vector<model::PointResult> *points,
                                        RunOutcome::Kind *kind, int *signal) const
{
    const QString errors = QString::fromLocal8Bit(m_stderr).trimmed();
    const int planned = static_cast<int>(m_points.size());
    const int ran = points ? static_cast<int>(points->size()) : 0;
    const QString at = pointText(m_point);
    if (status == QProcess::CrashExit) {
        const int sig = exitCode;
        *signal = sig;
        if (m_stopRequested && (sig == SIGTERM || sig == SIGKILL)) {
            *kind = RunOutcome::Kind::Stopped;
            return tr("Stopped the sweep during %1. The runner had to be ended by force, so it wrote no result; "
                      "the charts keep the live data of that point.")
                .arg(at);
        }
        *kind = RunOutcome::Kind::Failed;
        return tr("The runner (process %1) was killed by signal %2 during %3, so it wrote no result for the sweep. "
                  "The charts keep the live data of that point. You can run again.")
            .arg(m_runnerPid)
            .arg(signalText(sig), at);
    }
    // Points that failed, in plain words: "point 4 of 18 (…) failed: reason".
    QStringList failures;
    if (points) {
        for (int i = 0; i < ran; ++i) {
            const model::PointResult &p = points->at(static_cast<std::size_t>(i));
            if (p.result.status == "failed")
                failures << tr("point %1 of %2 (%3) failed: %4")
                                .arg(i + 1)
                                .arg(planned)
                                .arg(p.label, sentence(QString::fromStdString(p.result.error)));
        }
    }
    const bool stopped = points && ran > 0 && (ran < planned || points->back().result.status == "stopped");
    switch (exitCode) {
    case 0:
        if (!points) {
            *kind = RunOutcome::Kind::Failed;
            return tr("The runner finished the sweep but its result file could not be read.");
        }
        if (stopped) {
            *kind = RunOutcome::Kind::Stopped;
            if (points->back().result.status == "stopped")
                return tr("Stopped the sweep during point %1 of %2; the Scaling tab shows the %3 that ran (the last one "
                          "in part).")
                    .arg(ran)
                    .arg(planned)
                    .arg(countOfPoints(ran));
            return tr("Stopped the sweep after point %1 of %2; the Scaling tab shows the %3 that ran.")
                .arg(ran)
                .arg(planned)
                .arg(countOfPoints(ran));
        }
        *kind = RunOutcome::Kind::Finished;
        return tr("Finished all %1.").arg(countOfPoints(planned));
    case 1: {
        *kind = RunOutcome::Kind::Failed;
        if (failures.isEmpty()) {
            const QString why = errors.isEmpty() ? tr("the runner gave no reason") : errors;
            return tr("The sweep failed: %1 The data gathered so far is kept.").arg(sentence(why));
        }
        QString text = failures.size() == 1 ? tr("The sweep ran %1 of %2 points, but %3")
                                                  .arg(ran)
                                                  .arg(planned)
                                                  .arg(failures.front())
                                            : tr("The sweep ran %1 of %2 points, but %3 of them failed; the first, %4")
                                                  .arg(ran)
                                                  .arg(planned)
                                                  .arg(failures.size())
                                                  .arg(failures.front());
        return text + QLatin1Char(' ') + tr("The other points' figures and the charts are kept.");
    }
    case 2:
        *kind = RunOutcome::Kind::Failed;
        return tr("The runner refused %1: %2 It stopped the sweep there and wrote no result; the charts keep the "
                  "live data received until then.")
            .arg(at, sentence(errors.isEmpty() ? tr("no reason given") : errors));
    case 3:
        *kind = RunOutcome::Kind::Failed;
        return tr("The runner hit an internal error during %1: %2").arg(at, sentence(errors.isEmpty() ? tr("no details") : errors));
    default:
        *kind = RunOutcome::Kind::Failed;
        return tr("The runner ended with exit code %1 during %2. %3").arg(exitCode).arg(at, errors);
    }
}

QString RunController::describeEnd(int exitCode, QProcess::ExitStatus status, const std::optional<RunResult> &result,
                                   RunOutcome::Kind *kind, int *signal) const
{
    const QString errors = QString::fromLocal8Bit(m_stderr).trimmed();
    const QString elapsed = QString::number(elapsedSeconds(), 'f', 1);
    if (status == QProcess::CrashExit) {
        const int sig = exitCode; // QProcess reports the signal as the exit code of a crash
        *signal = sig;
        if (m_stopRequested && (sig == SIGTERM || sig == SIGKILL)) {
            *kind = RunOutcome::Kind::Stopped;
            return tr("Stopped after %1 s. The runner had to be ended by force, so it wrote no result; "
                      "the charts keep the data received until then.")
                .arg(elapsed);
        }
        *kind = RunOutcome::Kind::Failed;
        return tr("The runner (process %1) was killed by signal %2, %3 s into the run, so it wrote no result. "
                  "The charts keep the data received until then. You can run again.")
            .arg(m_runnerPid)
            .arg(signalText(sig), elapsed);
    }
    switch (exitCode) {
    case 0:
        if (result && result->status == "stopped") {
            *kind = RunOutcome::Kind::Stopped;
            return tr("Stopped after %1 s; the figures cover the part that ran.").arg(elapsed);
        }
        if (!result) {
            *kind = RunOutcome::Kind::Failed;
            return tr("The runner finished but its result file could not be read.");
        }
        *kind = RunOutcome::Kind::Finished;
        return tr("Finished.");
    case 1: {
        *kind = RunOutcome::Kind::Failed;
        QString why = lineAfter(errors, QStringLiteral("run failed:"));
        if (why.isEmpty() && result)
            why = QString::fromStdString(result->error);
        if (why.isEmpty())
            why = errors.isEmpty() ? tr("the runner gave no reason") : errors;
        return tr("The run failed: %1 The data gathered so far is kept.").arg(sentence(why));
    }
    case 2:
        *kind = RunOutcome::Kind::Failed;
        return tr("The runner refused the experiment: %1").arg(sentence(errors.isEmpty() ? tr("no reason given") : errors));
    case 3:
        *kind = RunOutcome::Kind::Failed;
        return tr("The runner hit an internal error: %1").arg(sentence(errors.isEmpty() ? tr("no details") : errors));
    default:
        *kind = RunOutcome::Kind::Failed;
        return tr("The runner ended with exit code %1. %2").arg(exitCode).arg(errors);
    }
}

void RunController::onProcessFinished(int exitCode, QProcess::ExitStatus status)
{
    m_tick.stop();
    m_stopTimer.stop();
    m_stderr += m_process->readAllStandardError();
    if (m_feed) {
        m_feed->pump(m_store, [this](std::uint32_t p) { beginPoint(p); }); // whatever arrived after the last frame
        m_dropped = m_feed->drops();
        m_feed->unlink();      // the runner unlinked it already unless it died before attaching
    }
    m_frozenElapsed = elapsedSeconds();

    RunOutcome outcome;
    outcome.startedAt = m_startedAt;
    outcome.runnerPid = m_runnerPid;
    outcome.runnerErrors = QString::fromLocal8Bit(m_stderr).trimmed();
    outcome.spec = m_spec;
    outcome.files = m_dir;
    outcome.experimentPath = m_dir ? m_dir->filePath(QStringLiteral("experiment.cclab")) : QString();
    outcome.elapsedSeconds = m_frozenElapsed;
    if (status == QProcess::NormalExit)
        outcome.exitCode = exitCode;
    const QString resultPath = m_dir ? m_dir->filePath(QStringLiteral("result.json")) : QString();
    QString loadError;
    std::optional<RunResult> shownResult; // the run of the point the store shows
    if (!resultPath.isEmpty() && QFileInfo::exists(resultPath)) {
        model::ResultLoad load = model::loadResult(resultPath);
        if (load.ok()) {
            if (load.isSweep()) {
                const QString shownLabel = m_points.isEmpty() ? QString() : m_points.at(m_point).label;
                for (const model::PointResult &p : load.points) {
                    if (p.label == shownLabel)
                        shownResult = p.result;
                }
                outcome.result = load.points.back().result;
                outcome.sweep = std::make_shared<const std::vector<model::PointResult>>(std::move(load.points));
            } else {
                outcome.result = std::move(load.result);
                shownResult = outcome.result;
            }
            outcome.resultPath = resultPath;
            const QString csv = m_dir->filePath(QStringLiteral("samples.csv"));
            if (QFileInfo::exists(csv))
                outcome.csvPath = csv;
        } else {
            loadError = load.error;
        }
    }
    RunOutcome::Kind kind = RunOutcome::Kind::Failed;
    int sig = 0;
    if (m_isSweep) {
        outcome.pointsPlanned = static_cast<int>(m_points.size());
        outcome.message = describeSweepEnd(exitCode, status, outcome.sweep.get(), &kind, &sig);
    } else {
        outcome.message = describeEnd(exitCode, status, outcome.result, &kind, &sig);
    }
    if (!loadError.isEmpty())
        outcome.message += QLatin1Char(' ') + tr("(The result file could not be read: %1)").arg(loadError);
    outcome.kind = kind;
    outcome.signal = sig;

    m_store.finish();
    if (shownResult)
        m_store.applyResult(*shownResult);
    m_process->deleteLater();
    m_process = nullptr;
    m_feed.reset();
    m_dir.reset();
    finishRun(std::move(outcome));
}

void RunController::finishRun(RunOutcome outcome)
{
    switch (outcome.kind) {
    case RunOutcome::Kind::Finished: setState(RunState::Finished); break;
    case RunOutcome::Kind::Stopped: setState(RunState::Stopped); break;
    case RunOutcome::Kind::Failed: setState(RunState::Failed); break;
    }
    Q_EMIT frameAvailable();
    Q_EMIT resultAvailable(outcome);
    if (outcome.kind == RunOutcome::Kind::Failed)
        Q_EMIT runFailed(outcome.message);
    else
        Q_EMIT runFinished(outcome);
}

} // namespace clab::app
