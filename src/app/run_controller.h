// Runs one experiment (or every point of its sweep) at a time: creates the ring, starts
// concurrency-lab-runner with QProcess, drains the ring on a fixed-rate timer, follows the sweep's
// points and reports the run's end in plain words. Never blocks.
#pragma once

#include "experiment_file.h"
#include "experiment_spec.h"
#include "live_store.h"
#include "result_file.h"
#include "run_result.h"

#include <QDateTime>
#include <QElapsedTimer>
#include <QObject>
#include <QProcess>
#include <QString>
#include <QTimer>

#include <deque>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

class QTemporaryDir;

namespace clab::app {

class SweepFeed;

enum class RunState { Idle, Starting, Running, Stopping, Finished, Stopped, Failed };
QString runStateText(RunState state);

// Everything known about a run that ended (finished, stopped or failed): a plain value.
struct RunOutcome {
    enum class Kind { Finished, Stopped, Failed };
    Kind kind = Kind::Failed;
    QString message;        // plain words for the user
    QString runnerErrors;   // the runner's stderr, for the details
    QString resultPath;     // result.json when the runner wrote one, else empty
    QString csvPath;
    QString experimentPath;
    int exitCode = -1;      // when the runner exited normally
    int signal = 0;         // when it was killed by a signal
    qint64 runnerPid = 0;
    QDateTime startedAt;
    double elapsedSeconds = 0;
    std::optional<ExperimentSpec> spec;     // for a sweep, the base experiment (with its sweep)
    std::optional<RunResult> result;        // for a sweep, the run of the last point that ran
    // A sweep's points as the result file holds them (each with its own experiment and run);
    // null for a single run. Shared: outcomes are copied around and points hold their series.
    std::shared_ptr<const std::vector<model::PointResult>> sweep;
    int pointsPlanned = 0;                  // points the sweep gives (0 for a single run)
    // Keeps the run's files on disk while any copy of the outcome lives (removed at exit).
    std::shared_ptr<QTemporaryDir> files;
};

// What the status bar shows.
struct RunStatus {
    RunState state = RunState::Idle;
    double elapsedSeconds = 0;
    double plannedSeconds = 0;      // 0 when bounded by operations
    double samplesPerSecond = 0;    // received by the app over the last second
    std::uint64_t samples = 0;
    std::uint64_t dropped = 0;
    qint64 runnerPid = 0;
    std::uint32_t workers = 0;
    QString phase;                  // "preparing", "warm-up", "measuring", "stopping"
    // A sweep's point being run (0-based) and its label; pointCount is 1 for a single run.
    int pointIndex = 0;
    int pointCount = 1;
    QString pointLabel;
};

class RunController : public QObject {
    Q_OBJECT
public:
    explicit RunController(QObject *parent = nullptr);
    ~RunController() override; // ends a running runner and removes the ring

    // $CLAB_RUNNER, else concurrency-lab-runner beside this executable, else on PATH.
    static QString defaultRunnerPath();
    void setRunnerPath(const QString &path);
    QString runnerPath() const;
    // A run with no progress for this long fails ("looks deadlocked"); 0 turns the check off.
    void setStallTimeout(double seconds);
    double stallTimeout() const;
    // Drain period of the ring (default 40 ms: 25 frames a second).
    void setFrameInterval(int ms);
    int frameInterval() const;

    // Starts `spec` (which must be valid). Returns false when it could not start; runFailed()
    // has then been emitted with the reason.
    bool start(const ExperimentSpec &spec);
    // Asks the runner to stop cleanly (it still writes its result). Called again, or when the
    // runner does not comply within a few seconds, it ends the runner by force.
    void stop();

    RunState state() const { return m_state; }
    bool isActive() const;
    RunStatus status() const;
    const LiveRunStore &store() const { return m_store; }
    LiveRunStore &store() { return m_store; }
    const ExperimentSpec &spec() const { return m_spec; }
    // Sweeps: the points of the current (or last) run, in the order they run. A single run has one
    // point with an empty label.
    bool isSweep() const { return m_isSweep; }
    int pointCount() const { return static_cast<int>(m_points.size()); }
    // The point whose live data store() holds.
    int currentPoint() const { return m_point; }
    const model::SweepPoint &point(int i) const { return m_points.at(i); }
    // The shared-memory name of the current (or last) run's ring, e.g. "/clab-123-…".
    QString ringName() const { return m_ringName; }
    qint64 runnerPid() const { return m_runnerPid; }

Q_SIGNALS:
    void stateChanged(clab::app::RunState state);
    void runStarted();
    // A sweep moved on to point `index` (store() was reset for it); the first point is announced
    // by runStarted().
    void pointStarted(int index);
    // New data is in store(); emitted once per frame while samples arrive.
    void frameAvailable();
    // Every run's end, whatever its kind, with whatever was kept.
    void resultAvailable(const clab::app::RunOutcome &outcome);
    void runFinished(const clab::app::RunOutcome &outcome); // finished or stopped by the user
    void runFailed(const QString &reason);

private:
    void setState(RunState s);
    void onTick();
    void onProcessStarted();
    void onProcessFinished(int exitCode, QProcess::ExitStatus status);
    void onProcessError(QProcess::ProcessError error);
    void escalateStop();
    void beginPoint(std::uint32_t index);
    QString pointText(int index) const;
    QString describeSweepEnd(int exitCode, QProcess::ExitStatus status, const std::vector<model::PointResult> *points,
                             RunOutcome::Kind *kind, int *signal) const;
    void failToStart(const QString &reason);
    void finishRun(RunOutcome outcome);
    double elapsedSeconds() const;
    QString describeEnd(int exitCode, QProcess::ExitStatus status, const std::optional<RunResult> &result,
                        RunOutcome::Kind *kind, int *signal) const;

    QString m_runnerPath;
    double m_stallTimeout = 10;
    QTimer m_tick;
    QTimer m_stopTimer;
    int m_stopStep = 0;
    RunState m_state = RunState::Idle;
    ExperimentSpec m_spec;
    LiveRunStore m_store;
    std::unique_ptr<SweepFeed> m_feed;
    QList<model::SweepPoint> m_points;
    bool m_isSweep = false;
    int m_point = 0;
    QString m_ringName;
    QProcess *m_process = nullptr;
    std::shared_ptr<QTemporaryDir> m_dir;
    QByteArray m_stderr;
    qint64 m_runnerPid = 0;
    bool m_stopRequested = false;
    QDateTime m_startedAt;
    QElapsedTimer m_sinceStart;
    double m_frozenElapsed = -1;
    std::uint64_t m_dropped = 0;
    std::deque<std::pair<qint64, std::uint64_t>> m_rateWindow; // (ms since start, samples so far)
};

} // namespace clab::app
