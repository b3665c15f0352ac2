// The centre of the window: tabs of live charts over the per-worker table, fairness, lost updates
// and the preset's prediction with a flag when the run contradicts it.
#pragma once

#include "experiment_spec.h"

#include <QElapsedTimer>
#include <QWidget>

#include <memory>

class QComboBox;
class QLabel;
class QSplitter;
class QTabWidget;
class QTableView;

namespace clab::charts {
class ChartPanel;
class HistogramChart;
class ScalingChart;
class TimeSeriesChart;
class TimelineView;
} // namespace clab::charts

namespace clab::app {

class FigureList;
class LiveRunStore;
class SweepTableModel;
struct SweepSummary;
class WorkerTableModel;
class WorkerSortProxy;
struct RunOutcome;

class RunDashboard : public QWidget {
    Q_OBJECT
public:
    enum Page { ThroughputPage, ContentionPage, LatencyPage, StatePage, TimelinePage, ScalingPage, PageCount };

    explicit RunDashboard(QWidget *parent = nullptr);
    ~RunDashboard() override;

    // A run (or a re-opened result) begins: series are set up for its workers, charts cleared.
    void beginRun(const ExperimentSpec &spec, const LiveRunStore &store);
    // Takes the store's current data: table and summary always, charts of the visible page.
    void showFrame();
    // Redraws every page now (before an export, or in tests).
    void refreshAllPages();
    // The run ended: the final figures and the prediction verdict.
    void showOutcome(const RunOutcome &outcome);
    // Back to the empty state with a hint.
    void clearRun();

    // Sweeps. Above the charts: which point they show ("Point 3 of 18: pipe, 64 B"); empty hides it.
    void setPointIndicator(const QString &text);
    QString pointIndicatorText() const;
    // The Scaling page: empty and its tab disabled, the hint (a sweep is running, or the run is not
    // a sweep) as the tab's tooltip …
    void clearSweep(const QString &hint);
    // … or the points of a sweep, its tab enabled: the headline metric per point as a chart, the
    // same numbers in the table.
    void showSweep(const SweepSummary &summary);
    charts::ScalingChart *scalingChart() const { return m_scaling; }
    SweepTableModel *sweepModel() const { return m_sweepModel; }
    QTableView *sweepTableView() const { return m_sweepTable; }
    // What the scaling chart plots (an index into the metric chooser's entries).
    QComboBox *scalingMetricChooser() const { return m_scalingMetric; }

    QTabWidget *tabs() const { return m_tabs; }
    Page currentPage() const;
    void setCurrentPage(Page page);
    // The chart (or the main chart) of a page, for export and tests.
    charts::ChartPanel *chart(Page page) const;
    charts::ChartPanel *currentChart() const;
    // The whole page (e.g. both throughput charts), for export.
    QWidget *pageWidget(Page page) const;
    charts::TimeSeriesChart *workerThroughputChart() const { return m_workerRate; }
    charts::TimeSeriesChart *totalThroughputChart() const { return m_totalRate; }
    WorkerTableModel *tableModel() const { return m_model; }
    QTableView *tableView() const { return m_table; }
    QString summaryText() const;
    QString predictionText() const;
    // True when the last verdict contradicts the prediction.
    bool predictionContradicted() const { return m_contradicted; }

    // Workers drawn one by one up to this many; beyond, the total, slowest and fastest.
    static constexpr std::uint32_t kMaxWorkerLines = 16;

Q_SIGNALS:
    // A row of the sweep's table was activated: show that point's charts (index in the result).
    void sweepPointActivated(int point);

private:
    void updateChart(Page page);
    void updateThroughput();
    void updateContention();
    // The Contention page's two charts for the experiment shown: wait and contended shares, or
    // for message passing (messaging()) the round trip's p50/p99 and the messages waiting in a channel.
    void setupContentionCharts();
    bool messaging() const;
    void updateLatency();
    void updateState();
    void updateTimeline();
    void updateSummary();
    void applyTimeRange();
    void updateScaling();

    QTabWidget *m_tabs = nullptr;
    QSplitter *m_split = nullptr;
    charts::TimeSeriesChart *m_totalRate = nullptr;
    charts::TimeSeriesChart *m_workerRate = nullptr;
    charts::TimeSeriesChart *m_contention = nullptr; // wait fraction (message passing: round trip)
    charts::TimeSeriesChart *m_contended = nullptr;  // contended acquisitions (message passing: messages waiting)
    charts::HistogramChart *m_latency = nullptr;
    FigureList *m_latencyFigures = nullptr;
    charts::TimeSeriesChart *m_state = nullptr;
    charts::TimelineView *m_timeline = nullptr;
    QTableView *m_table = nullptr;
    WorkerTableModel *m_model = nullptr;
    WorkerSortProxy *m_proxy = nullptr;
    QLabel *m_summary = nullptr;       // what the run is or how it ended (changes rarely: rich text)
    FigureList *m_figures = nullptr;   // the live totals (four times a second: drawn directly)
    QLabel *m_prediction = nullptr;
    QLabel *m_pointIndicator = nullptr;
    QWidget *m_bottom = nullptr; // the worker table and verdict (one run's; hidden on the Scaling page)
    charts::ScalingChart *m_scaling = nullptr;
    QLabel *m_scalingNote = nullptr;
    QComboBox *m_scalingMetric = nullptr;
    QTableView *m_sweepTable = nullptr;
    SweepTableModel *m_sweepModel = nullptr;

    const LiveRunStore *m_store = nullptr;
    ExperimentSpec m_spec;
    bool m_haveRun = false;
    bool m_final = false;
    bool m_contradicted = false;
    bool m_perWorker = true;
    double m_t1 = 1;
    QString m_outcomeLine;
    QElapsedTimer m_summaryClock;
};

} // namespace clab::app
