// The main window: preset gallery, experiment form, run control, live dashboard, run history.
#pragma once

#include "experiment_spec.h"
#include "run_controller.h"

#include <QMainWindow>

#include <memory>

class QAction;
class QDockWidget;
class QLabel;
class QProgressBar;
class QToolButton;
class QTreeView;
class QTableView;
class QUndoStack;

namespace Ui {
class MainWindow;
}

namespace clab::app {

class ExperimentForm;
class LiveRunStore;
class MessageBanner;
class PresetModel;
class RunDashboard;
class RunHistoryModel;

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(QWidget *parent = nullptr);
    ~MainWindow() override;

    // Opens an experiment file into the editor (a new document). On failure the banner names
    // the problem and the editor keeps what it had; returns false.
    bool openExperiment(const QString &path);
    // Opens a result file a run wrote and shows it (charts, table, verdict) without running.
    bool openResult(const QString &path);
    // Opens either kind of file, by its content.
    bool openFile(const QString &path);
    // Shows an experiment in the editor as a new, unsaved document (a preset, a new experiment).
    void loadSpec(const ExperimentSpec &spec, const QString &presetPath = QString());
    bool saveExperimentTo(const QString &path);
    // Writes the chart on screen as PNG or SVG (by the suffix).
    bool exportCurrentChart(const QString &path);

    // Whether closing or replacing the document asks about unsaved changes (off in tests).
    void setConfirmDiscard(bool ask) { m_confirmDiscard = ask; }

    ExperimentForm *form() const { return m_form; }
    RunController *controller() const { return m_controller; }
    RunDashboard *dashboard() const { return m_dashboard; }
    PresetModel *presetModel() const { return m_presets; }
    RunHistoryModel *historyModel() const { return m_history; }
    QUndoStack *undoStack() const { return m_undo; }
    QAction *runAction() const;
    QAction *stopAction() const;
    QString bannerText() const;
    // The status bar's fields, joined with " · ".
    QString statusText() const;
    QString documentPath() const { return m_path; }

public Q_SLOTS:
    void run();
    void stop();

protected:
    void closeEvent(QCloseEvent *event) override;
    void changeEvent(QEvent *event) override;

private:
    void setupDocks();
    void setupActions();
    void setupStatusBar();
    void restoreSettings();
    void saveSettings();
    void resetLayout();
    void updateActions();
    void updateTitle();
    void updateStatus();
    void updateRunSummary();
    void onStateChanged(RunState state);
    void onFrame();
    void onPointStarted(int index);
    void showSweepPoint(int point);
    void onResult(const RunOutcome &outcome);
    void onPresetActivated(const QModelIndex &index);
    void onHistoryActivated(const QModelIndex &index);
    void showRunFromHistory(int row);
    bool maybeDiscardChanges();
    void fileOpen();
    void fileOpenResult();
    bool fileSave();
    bool fileSaveAs();
    void fileExportResult();
    void exportChartInteractive(const QString &suffix);
    void showHelp();
    void showAbout();
    void selectPresetFor(const QString &path);

    std::unique_ptr<Ui::MainWindow> ui;
    QUndoStack *m_undo = nullptr;
    ExperimentForm *m_form = nullptr;
    RunController *m_controller = nullptr;
    RunDashboard *m_dashboard = nullptr;
    MessageBanner *m_banner = nullptr;
    PresetModel *m_presets = nullptr;
    RunHistoryModel *m_history = nullptr;
    QTreeView *m_presetView = nullptr;
    QTableView *m_historyView = nullptr;
    QDockWidget *m_presetDock = nullptr;
    QDockWidget *m_formDock = nullptr;
    QDockWidget *m_historyDock = nullptr;
    QLabel *m_runSummary = nullptr;
    QLabel *m_stateLabel = nullptr;
    QProgressBar *m_progress = nullptr;
    QLabel *m_elapsedLabel = nullptr;
    QLabel *m_workersLabel = nullptr;
    QLabel *m_samplesLabel = nullptr;
    QLabel *m_droppedLabel = nullptr;
    QLabel *m_pidLabel = nullptr;
    QLabel *m_pointLabel = nullptr;
    QByteArray m_defaultState;
    // The dashboard shows either the controller's live store or a past run loaded here.
    std::unique_ptr<LiveRunStore> m_viewStore;
    bool m_showingLive = false;
    std::optional<RunOutcome> m_shownOutcome;
    QString m_path;       // the experiment file being edited ("" for a preset copy or a new one)
    QString m_presetPath; // the preset it came from, if any
    bool m_confirmDiscard = true;
};

} // namespace clab::app
