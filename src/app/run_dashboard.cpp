// The run dashboard: chart pages fed from the live store, the worker table and the verdict panel.
#include "run_dashboard.h"

#include "figure_list.h"
#include "format.h"
#include "histogram_chart.h"
#include "latency_histogram.h"
#include "live_store.h"
#include "metrics.h"
#include "prediction.h"
#include "run_controller.h"
#include "scaling_chart.h"
#include "sweep_summary.h"
#include "sweep_table_model.h"
#include "text_cell_delegate.h"
#include "time_series_chart.h"
#include "timeline_view.h"
#include "worker_table_model.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QScrollArea>
#include <QSignalBlocker>
#include <QSortFilterProxyModel>
#include <QSplitter>
#include <QTabWidget>
#include <QTableView>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>
#include <numeric>

namespace clab::app {

// Sorts workers by any column while the total row stays at the bottom.
class WorkerSortProxy : public QSortFilterProxyModel {
public:
    using QSortFilterProxyModel::QSortFilterProxyModel;

protected:
    bool lessThan(const QModelIndex &l, const QModelIndex &r) const override
    {
        const bool lt = l.data(WorkerTableModel::IsTotalRole).toBool();
        const bool rt = r.data(WorkerTableModel::IsTotalRole).toBool();
        if (lt != rt)
            return sortOrder() == Qt::AscendingOrder ? rt : lt;
        const QVariant a = l.data(WorkerTableModel::SortRole);
        const QVariant b = r.data(WorkerTableModel::SortRole);
        return QVariant::compare(a, b) == QPartialOrdering::Less;
    }
};

namespace {

// Matched by the file format's spelling of the kind, so new families need no change here to build.
QString latencyQuantity(PrimitiveKind kind)
{
    const QLatin1String k(toString(kind));
    if (k == QLatin1String("lock-contention"))
        return RunDashboard::tr("Time to acquire the guard");
    if (k == QLatin1String("message-passing"))
        return RunDashboard::tr("Round-trip / hand-off time");
    if (k == QLatin1String("semaphore"))
        return RunDashboard::tr("Time to acquire a permit");
    if (k == QLatin1String("event"))
        return RunDashboard::tr("Wake-up latency after set()");
    return RunDashboard::tr("Latency");
}

// What gauge0 / gauge1 mean for a primitive (DESIGN.md); empty when it has no state of its own.
QStringList gaugeNames(PrimitiveKind kind)
{
    const QLatin1String k(toString(kind));
    if (k == QLatin1String("semaphore"))
        return {RunDashboard::tr("semaphore value"), RunDashboard::tr("waiters")};
    if (k == QLatin1String("event"))
        return {RunDashboard::tr("event set (1) / clear (0)"), RunDashboard::tr("waiters")};
    if (k == QLatin1String("work"))
        return {RunDashboard::tr("GIL holder (worker + 1; 0 = free)")};
    return {};
}

Qt::PenStyle dashFor(int i)
{
    static const Qt::PenStyle styles[] = {Qt::SolidLine, Qt::DashLine, Qt::DotLine, Qt::DashDotLine};
    return styles[i % 4];
}

// What the scaling chart can plot; the chooser offers the ones a sweep has.
enum class ScalingMetric { OpsPerSecond, BytesPerSecond, P50, P99, SpeedUp };

QList<charts::StateStyle> timelineStates()
{
    // Colour AND pattern for each state, so the timeline reads in grey scale and for colour-blind eyes.
    return {
        {workerStateName(CLAB_WORKER_CREATED), QColor(0xbd, 0xbd, 0xbd), Qt::Dense6Pattern},
        {workerStateName(CLAB_WORKER_RUNNING), QColor(0x4c, 0xaf, 0x50), Qt::SolidPattern},
        {workerStateName(CLAB_WORKER_WAITING), QColor(0xe6, 0x55, 0x1f), Qt::BDiagPattern},
        {workerStateName(CLAB_WORKER_HOLDING), QColor(0x1f, 0x6f, 0xd0), Qt::CrossPattern},
        {workerStateName(CLAB_WORKER_IO), QColor(0x9e, 0x9a, 0xc8), Qt::Dense4Pattern},
        {workerStateName(CLAB_WORKER_FINISHED), QColor(0x75, 0x75, 0x75), Qt::HorPattern},
        {workerStateName(CLAB_WORKER_FAILED), QColor(0x20, 0x20, 0x20), Qt::DiagCrossPattern},
    };
}

} // namespace

RunDashboard::RunDashboard(QWidget *parent)
    : QWidget(parent)
{
    m_tabs = new QTabWidget(this);
    m_tabs->setObjectName(QStringLiteral("chartTabs"));
    m_tabs->setDocumentMode(true);

    // Throughput: the total on top, the workers below (one scale each, so neither squashes the other).
    auto *throughput = new QSplitter(Qt::Vertical);
    throughput->setObjectName(QStringLiteral("throughputSplitter"));
    m_totalRate = new charts::TimeSeriesChart;
    m_totalRate->setObjectName(QStringLiteral("totalThroughputChart"));
    m_totalRate->setQuantity(QString(), tr("ops/s"));
    m_totalRate->setSeries({{tr("all workers"), charts::seriesColor(0), Qt::SolidLine, 2.0}});
    m_workerRate = new charts::TimeSeriesChart;
    m_workerRate->setObjectName(QStringLiteral("workerThroughputChart"));
    m_workerRate->setQuantity(QString(), tr("ops/s"));
    throughput->addWidget(m_totalRate);
    throughput->addWidget(m_workerRate);
    throughput->setChildrenCollapsible(false);
    m_tabs->addTab(throughput, tr("&Throughput"));

    // Contention: two charts, each with its own scale (contended acquisitions are often a
    // fraction of a percent while waiting takes half the time).
    auto *contention = new QSplitter(Qt::Vertical);
    contention->setObjectName(QStringLiteral("contentionSplitter"));
    m_contention = new charts::TimeSeriesChart;
    m_contention->setObjectName(QStringLiteral("waitChart"));
    m_contended = new charts::TimeSeriesChart;
    m_contended->setObjectName(QStringLiteral("contendedChart"));
    setupContentionCharts();
    contention->addWidget(m_contention);
    contention->addWidget(m_contended);
    contention->setChildrenCollapsible(false);
    m_tabs->addTab(contention, tr("&Contention"));

    auto *latencyPage = new QWidget;
    latencyPage->setObjectName(QStringLiteral("latencyPage"));
    auto *latencyLayout = new QHBoxLayout(latencyPage);
    latencyLayout->setContentsMargins(0, 0, 0, 0);
    m_latency = new charts::HistogramChart;
    m_latency->setObjectName(QStringLiteral("latencyChart"));
    m_latencyFigures = new FigureList;
    m_latencyFigures->setObjectName(QStringLiteral("latencyFigures"));
    auto *latencySide = new QVBoxLayout;
    latencySide->setContentsMargins(8, 8, 8, 8);
    latencySide->addWidget(m_latencyFigures);
    latencySide->addStretch(1);
    latencyLayout->addWidget(m_latency, 1);
    latencyLayout->addLayout(latencySide);
    m_tabs->addTab(latencyPage, tr("&Latency"));

    m_state = new charts::TimeSeriesChart;
    m_state->setObjectName(QStringLiteral("stateChart"));
    m_state->setQuantity(tr("Primitive state"), QString());
    m_tabs->addTab(m_state, tr("&State"));

    m_timeline = new charts::TimelineView;
    m_timeline->setObjectName(QStringLiteral("timelineView"));
    m_timeline->setStates(timelineStates());
    m_tabs->addTab(m_timeline, tr("T&imeline"));

    // Scaling: a finished sweep's points compared, chart above, the same numbers in the table below.
    auto *scalingPage = new QWidget;
    scalingPage->setObjectName(QStringLiteral("scalingPage"));
    auto *scalingLayout = new QVBoxLayout(scalingPage);
    scalingLayout->setContentsMargins(0, 2, 0, 0);
    auto *scalingBar = new QHBoxLayout;
    scalingBar->setContentsMargins(6, 0, 6, 0);
    m_scalingNote = new QLabel;
    m_scalingNote->setObjectName(QStringLiteral("scalingNote"));
    m_scalingNote->setWordWrap(true);
    m_scalingNote->setTextFormat(Qt::PlainText);
    m_scalingMetric = new QComboBox;
    m_scalingMetric->setObjectName(QStringLiteral("scalingMetric"));
    m_scalingMetric->setToolTip(tr("What the chart compares; the table lists every figure"));
    m_scalingMetric->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    auto *metricLabel = new QLabel(tr("&Plot:"));
    metricLabel->setObjectName(QStringLiteral("scalingMetricLabel"));
    metricLabel->setBuddy(m_scalingMetric);
    scalingBar->addWidget(m_scalingNote, 1);
    scalingBar->addWidget(metricLabel);
    scalingBar->addWidget(m_scalingMetric);
    m_scaling = new charts::ScalingChart;
    m_scaling->setObjectName(QStringLiteral("scalingChart"));
    m_scaling->setMinimumHeight(300);
    m_sweepModel = new SweepTableModel(this);
    m_sweepTable = new QTableView;
    m_sweepTable->setObjectName(QStringLiteral("sweepTable"));
    m_sweepTable->setModel(m_sweepModel);
    m_sweepTable->setAlternatingRowColors(true);
    m_sweepTable->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_sweepTable->setSelectionMode(QAbstractItemView::SingleSelection);
    m_sweepTable->verticalHeader()->hide();
    m_sweepTable->verticalHeader()->setDefaultSectionSize(m_sweepTable->fontMetrics().height() + 6);
    m_sweepTable->horizontalHeader()->setStretchLastSection(true);
    m_sweepTable->setWordWrap(false);
    m_sweepTable->setToolTip(tr("Double-click a point to show its charts and worker table"));
    auto *scalingSplit = new QSplitter(Qt::Vertical);
    scalingSplit->setObjectName(QStringLiteral("scalingSplitter"));
    scalingSplit->addWidget(m_scaling);
    scalingSplit->addWidget(m_sweepTable);
    scalingSplit->setStretchFactor(0, 3);
    scalingSplit->setStretchFactor(1, 2);
    scalingSplit->setChildrenCollapsible(false);
    scalingSplit->setSizes({440, 260});
    scalingLayout->addLayout(scalingBar);
    scalingLayout->addWidget(scalingSplit, 1);
    m_tabs->addTab(scalingPage, tr("Sc&aling"));
    connect(m_scalingMetric, &QComboBox::currentIndexChanged, this, [this] { updateScaling(); });
    connect(m_sweepTable, &QTableView::activated, this, [this](const QModelIndex &index) {
        if (index.isValid())
            Q_EMIT sweepPointActivated(m_sweepModel->summary().points[static_cast<std::size_t>(index.row())].point);
    });

    m_model = new WorkerTableModel(this);
    m_proxy = new WorkerSortProxy(this);
    m_proxy->setSourceModel(m_model);
    m_proxy->setSortRole(WorkerTableModel::SortRole);
    m_table = new QTableView;
    m_table->setObjectName(QStringLiteral("workerTable"));
    m_table->setModel(m_proxy);
    m_table->setSortingEnabled(true);
    m_table->sortByColumn(WorkerTableModel::WorkerColumn, Qt::AscendingOrder);
    m_table->setAlternatingRowColors(true);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->verticalHeader()->hide();
    m_table->verticalHeader()->setDefaultSectionSize(m_table->fontMetrics().height() + 6);
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::Interactive);
    m_table->horizontalHeader()->setStretchLastSection(true);
    m_table->setWordWrap(false);
    m_table->setHorizontalScrollMode(QAbstractItemView::ScrollPerPixel);
    m_table->setItemDelegate(new TextCellDelegate(m_table));
    {
        const QFontMetrics fm = m_table->fontMetrics();
        const int widths[] = {60, 90, 100, 80, 60, 70, 80, 80, 80, 80, 110, 80};
        for (int c = 0; c < WorkerTableModel::ColumnCount; ++c)
            m_table->setColumnWidth(c, std::max(widths[c], fm.horizontalAdvance(m_model->headerData(c, Qt::Horizontal).toString()) + 24));
    }

    auto *side = new QWidget;
    side->setObjectName(QStringLiteral("resultPanel"));
    auto *sideLayout = new QVBoxLayout(side);
    sideLayout->setContentsMargins(8, 4, 4, 4);
    m_summary = new QLabel;
    m_summary->setObjectName(QStringLiteral("summaryLabel"));
    m_summary->setTextFormat(Qt::RichText);
    m_summary->setWordWrap(true);
    m_summary->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_prediction = new QLabel;
    m_prediction->setObjectName(QStringLiteral("predictionLabel"));
    m_prediction->setTextFormat(Qt::RichText);
    m_prediction->setWordWrap(true);
    m_prediction->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_prediction->setAutoFillBackground(true);
    m_prediction->setMargin(6);
    // The prediction first: the claim the run measures, with its verdict.
    m_figures = new FigureList;
    m_figures->setObjectName(QStringLiteral("summaryFigures"));
    sideLayout->addWidget(m_prediction);
    sideLayout->addWidget(m_summary);
    sideLayout->addWidget(m_figures);
    sideLayout->addStretch(1);
    auto *sideScroll = new QScrollArea;
    sideScroll->setWidget(side);
    sideScroll->setWidgetResizable(true);
    sideScroll->setFrameShape(QFrame::NoFrame);
    sideScroll->setMinimumWidth(270);

    auto *bottom = new QSplitter(Qt::Horizontal);
    bottom->setObjectName(QStringLiteral("tableSplitter"));
    bottom->addWidget(m_table);
    bottom->addWidget(sideScroll);
    bottom->setStretchFactor(0, 3);
    bottom->setStretchFactor(1, 1);
    bottom->setChildrenCollapsible(false);
    m_bottom = bottom;

    m_pointIndicator = new QLabel;
    m_pointIndicator->setObjectName(QStringLiteral("pointIndicator"));
    m_pointIndicator->setTextFormat(Qt::PlainText);
    m_pointIndicator->setContentsMargins(8, 2, 8, 2);
    {
        QFont f = m_pointIndicator->font();
        f.setBold(true);
        m_pointIndicator->setFont(f);
    }
    m_pointIndicator->hide();
    auto *top = new QWidget;
    auto *topLayout = new QVBoxLayout(top);
    topLayout->setContentsMargins(0, 0, 0, 0);
    topLayout->setSpacing(0);
    topLayout->addWidget(m_pointIndicator);
    topLayout->addWidget(m_tabs, 1);

    m_split = new QSplitter(Qt::Vertical, this);
    m_split->setObjectName(QStringLiteral("dashboardSplitter"));
    m_split->addWidget(top);
    m_split->addWidget(bottom);
    m_split->setStretchFactor(0, 3);
    m_split->setStretchFactor(1, 2);
    m_split->setSizes({560, 280});
    m_summaryClock.invalidate();
    m_split->setChildrenCollapsible(false);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_split);

    connect(m_tabs, &QTabWidget::currentChanged, this, [this](int page) {
        // The comparison has its own table of points; one point's worker table would only take its room.
        m_bottom->setVisible(page != ScalingPage);
        updateChart(static_cast<Page>(page));
    });
    clearRun();
}

RunDashboard::~RunDashboard()
{
    m_timeline->setSource(nullptr);
}

RunDashboard::Page RunDashboard::currentPage() const
{
    return static_cast<Page>(m_tabs->currentIndex());
}

void RunDashboard::setCurrentPage(Page page)
{
    // A disabled page (Scaling before a sweep has ended) is not shown: it would be empty.
    if (m_tabs->isTabEnabled(page))
        m_tabs->setCurrentIndex(page);
}

charts::ChartPanel *RunDashboard::chart(Page page) const
{
    switch (page) {
    case ThroughputPage: return m_workerRate;
    case ContentionPage: return m_contention;
    case LatencyPage: return m_latency;
    case StatePage: return m_state;
    case TimelinePage: return m_timeline;
    case ScalingPage: return m_scaling;
    case PageCount: break;
    }
    return nullptr;
}

charts::ChartPanel *RunDashboard::currentChart() const
{
    return chart(currentPage());
}

QWidget *RunDashboard::pageWidget(Page page) const
{
    return m_tabs->widget(page);
}

void RunDashboard::clearRun()
{
    m_store = nullptr;
    m_haveRun = false;
    m_final = false;
    m_contradicted = false;
    m_outcomeLine.clear();
    m_timeline->setSource(nullptr);
    const QString hint = tr("Press Run (Ctrl+R) to start the experiment shown on the left,\n"
                            "or pick another one in the gallery. Live charts appear here within a second.");
    for (charts::ChartPanel *c : {static_cast<charts::ChartPanel *>(m_totalRate), static_cast<charts::ChartPanel *>(m_workerRate),
                                  static_cast<charts::ChartPanel *>(m_contention), static_cast<charts::ChartPanel *>(m_contended),
                                  static_cast<charts::ChartPanel *>(m_latency), static_cast<charts::ChartPanel *>(m_state),
                                  static_cast<charts::ChartPanel *>(m_timeline)}) {
        c->clear();
        c->setPlaceholderText(hint);
    }
    m_totalRate->setPlaceholderText(hint);
    m_workerRate->setPlaceholderText(QString());
    m_model->clear();
    m_figures->clear();
    m_summary->show();
    m_summary->setText(tr("<b>No run yet.</b><br>The table lists every worker's throughput, its share of the work, "
                          "time spent waiting, hold time and CPU use once a run starts."));
    m_prediction->setText(QString());
    m_prediction->hide();
    setPointIndicator(QString());
    clearSweep(tr("Experiments with variants or a sweep run one point after another; when all have run, this page "
                  "compares them: the headline figure of every point as a chart, with the same numbers in a table."));
}

void RunDashboard::setPointIndicator(const QString &text)
{
    m_pointIndicator->setText(text);
    m_pointIndicator->setVisible(!text.isEmpty());
}

QString RunDashboard::pointIndicatorText() const
{
    return m_pointIndicator->text();
}

void RunDashboard::clearSweep(const QString &hint)
{
    // Nothing to compare: the tab stays in its place (the page numbers are the app's and the
    // benchmark's), disabled, and says why.
    if (m_tabs->currentIndex() == ScalingPage)
        m_tabs->setCurrentIndex(ThroughputPage);
    m_tabs->setTabEnabled(ScalingPage, false);
    m_tabs->setTabToolTip(ScalingPage, hint);
    m_sweepModel->clear();
    m_scaling->clear();
    m_scaling->setPlaceholderText(hint);
    const QSignalBlocker block(m_scalingMetric);
    m_scalingMetric->clear();
    m_scalingMetric->setEnabled(false);
    m_scalingMetric->hide();
    if (auto *label = findChild<QLabel *>(QStringLiteral("scalingMetricLabel")))
        label->hide();
    m_scalingNote->clear();
    for (int c = 0; c < SweepTableModel::ColumnCount; ++c)
        m_sweepTable->setColumnHidden(c, !m_sweepModel->columnApplies(c));
}

void RunDashboard::showSweep(const SweepSummary &summary)
{
    m_tabs->setTabEnabled(ScalingPage, true);
    m_tabs->setTabToolTip(ScalingPage, tr("The sweep's points compared: the headline figure per point, the same "
                                          "numbers in the table; double-click a point to see its charts"));
    m_sweepModel->setSummary(summary);
    for (int c = 0; c < SweepTableModel::ColumnCount; ++c)
        m_sweepTable->setColumnHidden(c, !m_sweepModel->columnApplies(c));
    m_sweepTable->resizeColumnsToContents();
    {
        const QSignalBlocker block(m_scalingMetric);
        const int previous = m_scalingMetric->currentData().isValid() ? m_scalingMetric->currentData().toInt() : -1;
        m_scalingMetric->clear();
        switch (summary.headline) {
        case SweepHeadline::RoundTrip:
            m_scalingMetric->addItem(tr("Round trip, median (p50)"), static_cast<int>(ScalingMetric::P50));
            m_scalingMetric->addItem(tr("Round trip, 99th percentile (p99)"), static_cast<int>(ScalingMetric::P99));
            m_scalingMetric->addItem(tr("Throughput (ops/s)"), static_cast<int>(ScalingMetric::OpsPerSecond));
            break;
        case SweepHeadline::Streaming:
            m_scalingMetric->addItem(tr("Payload throughput (B/s)"), static_cast<int>(ScalingMetric::BytesPerSecond));
            m_scalingMetric->addItem(tr("Throughput (ops/s)"), static_cast<int>(ScalingMetric::OpsPerSecond));
            break;
        case SweepHeadline::Throughput:
            m_scalingMetric->addItem(tr("Throughput (ops/s)"), static_cast<int>(ScalingMetric::OpsPerSecond));
            break;
        }
        if (!summary.baseline.isEmpty())
            m_scalingMetric->addItem(tr("Speed-up vs %1").arg(summary.baseline), static_cast<int>(ScalingMetric::SpeedUp));
        const int keep = m_scalingMetric->findData(previous);
        m_scalingMetric->setCurrentIndex(keep >= 0 ? keep : 0);
        m_scalingMetric->setEnabled(m_scalingMetric->count() > 1);
        m_scalingMetric->show();
        if (auto *label = findChild<QLabel *>(QStringLiteral("scalingMetricLabel")))
            label->show();
    }
    int failed = 0;
    for (const SweepPointFigures &p : summary.points)
        failed += p.status == QLatin1String("failed") ? 1 : 0;
    QString note = tr("%1 of %2 points").arg(summary.points.size()).arg(summary.pointsPlanned);
    if (failed > 0)
        note += QStringLiteral(" · ") + tr("%1 failed (not plotted; see the Status column)").arg(failed);
    if (!summary.baseline.isEmpty())
        note += QStringLiteral(" · ") + tr("speed-up: ops/s over %1 at the same values").arg(summary.baseline);
    m_scalingNote->setText(note);
    updateScaling();
}

void RunDashboard::updateScaling()
{
    const SweepSummary &s = m_sweepModel->summary();
    if (s.points.empty() || m_scalingMetric->count() == 0) {
        m_scaling->setSeries({});
        return;
    }
    const auto metric = static_cast<ScalingMetric>(m_scalingMetric->currentData().toInt());
    QString quantity, unit, title;
    charts::ScalingUnit kind = charts::ScalingUnit::Plain;
    QString better = tr("higher is better");
    switch (metric) {
    case ScalingMetric::OpsPerSecond:
        quantity = tr("Throughput");
        unit = tr("ops/s");
        break;
    case ScalingMetric::BytesPerSecond:
        quantity = tr("Payload throughput");
        unit = tr("B/s");
        break;
    case ScalingMetric::P50:
    case ScalingMetric::P99:
        quantity = s.headline == SweepHeadline::RoundTrip ? (metric == ScalingMetric::P50 ? tr("Round trip p50")
                                                                                           : tr("Round trip p99"))
                                                          : (metric == ScalingMetric::P50 ? tr("Wait p50") : tr("Wait p99"));
        kind = charts::ScalingUnit::Nanoseconds;
        better = tr("lower is better");
        break;
    case ScalingMetric::SpeedUp:
        quantity = tr("Speed-up vs %1").arg(s.baseline);
        unit = QStringLiteral("×");
        break;
    }
    title = tr("%1 by %2 — %3").arg(m_scalingMetric->currentText(), s.xTitle.toLower(), better);

    // Colour by the other sweep values, dash by variant; colour by series when only variants differ.
    QStringList groups;
    std::vector<int> groupOf(static_cast<std::size_t>(s.series.size()), 0);
    for (qsizetype i = 0; i < s.series.size(); ++i) {
        QString key = s.series[i];
        if (!s.baseline.isEmpty()) {
            const qsizetype comma = key.lastIndexOf(QStringLiteral(", "));
            key = comma >= 0 ? key.left(comma) : QString();
        }
        qsizetype g = groups.indexOf(key);
        if (g < 0) {
            g = groups.size();
            groups << key;
        }
        groupOf[static_cast<std::size_t>(i)] = static_cast<int>(g);
    }
    static const Qt::PenStyle dashes[] = {Qt::SolidLine, Qt::DashLine, Qt::DotLine, Qt::DashDotLine};
    QList<charts::ScalingSeries> series;
    for (qsizetype i = 0; i < s.series.size(); ++i) {
        charts::ScalingSeries line;
        line.name = s.series[i];
        line.colorIndex = groups.size() > 1 ? groupOf[static_cast<std::size_t>(i)] : static_cast<int>(i);
        const int variant = s.seriesVariant[static_cast<std::size_t>(i)];
        line.dash = groups.size() > 1 ? dashes[variant % 4] : Qt::SolidLine;
        for (const SweepPointFigures &p : s.points) {
            if (p.series != i || p.status == QLatin1String("failed"))
                continue;
            double y = 0;
            switch (metric) {
            case ScalingMetric::OpsPerSecond: y = p.opsPerSecond; break;
            case ScalingMetric::BytesPerSecond: y = p.bytesPerSecond; break;
            case ScalingMetric::P50: y = p.p50Ns; break;
            case ScalingMetric::P99: y = p.p99Ns; break;
            case ScalingMetric::SpeedUp: y = p.speedUp; break;
            }
            if (std::isfinite(y))
                line.points.append(QPointF(p.x, y));
        }
        series.append(line);
    }
    QList<charts::AxisTick> ticks;
    for (qsizetype i = 0; i < s.xCategories.size(); ++i)
        ticks.append({s.xNumeric ? s.xValues[static_cast<std::size_t>(i)] : static_cast<double>(i), s.xCategories[i]});
    QString xTitle = s.xTitle;
    if (s.xLog)
        xTitle += tr(" (log scale)");
    m_scaling->setTitle(title);
    m_scaling->setXAxis(xTitle, ticks, s.xLog, s.xNumeric);
    m_scaling->setYAxis(quantity, unit, kind);
    m_scaling->setSeries(series);
    if (!m_scaling->hasData())
        m_scaling->setPlaceholderText(tr("No point of the sweep has this figure (nothing was timed, or every point failed)."));
}

void RunDashboard::beginRun(const ExperimentSpec &spec, const LiveRunStore &store)
{
    m_summaryClock.invalidate();
    m_spec = spec;
    m_store = &store;
    m_haveRun = true;
    m_final = false;
    m_contradicted = false;
    m_outcomeLine.clear();
    m_perWorker = spec.workers <= kMaxWorkerLines;
    QList<charts::SeriesStyle> styles;
    if (m_perWorker) {
        for (std::uint32_t i = 0; i < spec.workers; ++i)
            styles.append({QStringLiteral("W%1").arg(i), charts::seriesColor(static_cast<int>(i)), dashFor(static_cast<int>(i / 2)), 1.5});
    } else {
        styles.append({tr("fastest"), charts::seriesColor(2), Qt::SolidLine, 1.5});
        styles.append({tr("slowest"), charts::seriesColor(1), Qt::DashLine, 1.5});
    }
    m_workerRate->setSeries(styles);
    m_workerRate->setQuantity(QString(), tr("ops/s"));
    setupContentionCharts();
    const QStringList gauges = gaugeNames(spec.primitive);
    QList<charts::SeriesStyle> gaugeStyles;
    for (qsizetype i = 0; i < gauges.size(); ++i)
        gaugeStyles.append({gauges[i], charts::seriesColor(static_cast<int>(i)), dashFor(static_cast<int>(i)), 2.0});
    m_state->setSeries(gaugeStyles);

    const QString waiting = tr("Waiting for the first samples…");
    for (charts::ChartPanel *c : {static_cast<charts::ChartPanel *>(m_totalRate), static_cast<charts::ChartPanel *>(m_workerRate),
                                  static_cast<charts::ChartPanel *>(m_contention), static_cast<charts::ChartPanel *>(m_contended),
                                  static_cast<charts::ChartPanel *>(m_latency), static_cast<charts::ChartPanel *>(m_timeline)}) {
        c->clear();
        c->setPlaceholderText(waiting);
    }
    m_workerRate->setPlaceholderText(QString());
    if (messaging()) {
        if (spec.messaging.pattern == MessagePattern::Streaming)
            m_contention->setPlaceholderText(tr("Streaming times no round trips: the chart below shows how many messages "
                                                "wait for the receiver."));
        else if (store.isFinal())
            m_contention->setPlaceholderText(tr("Round trips over time are drawn while a run is live; the result file "
                                                "keeps the whole run's histogram (Latency tab)."));
        if (spec.messaging.transport == Transport::UnixDgram)
            m_contended->setPlaceholderText(tr("A datagram socket gives no count of the messages waiting in it, so "
                                               "this chart stays empty."));
    }
    m_latency->setPlaceholderText(tr("No timed acquisitions yet. With the guard \"none\" or \"atomic\" there is no lock "
                                     "to wait for, so this chart stays empty."));
    m_latency->setQuantity(latencyQuantity(spec.primitive));
    m_state->clear();
    m_state->setPlaceholderText(!gauges.isEmpty() ? tr("Waiting for the first samples…")
                                : spec.primitive == PrimitiveKind::MessagePassing
                                    ? tr("A channel's state, the messages waiting in it, is drawn on the Contention tab "
                                         "beside the round trips. The Timeline tab shows what each worker was doing.")
                                    : tr("This experiment's primitive has no state of its own to plot (a lock is "
                                         "either free or held). The Timeline tab shows what each worker was doing."));
    m_timeline->setSource(&store);
    const double warm = static_cast<double>(spec.warmupNs) / 1e9;
    for (charts::TimeSeriesChart *c : {m_totalRate, m_workerRate, m_contention, m_contended, m_state})
        c->setBand(0, warm, tr("warm-up"));
    m_t1 = 0;
    applyTimeRange();
    m_model->clear();
    showFrame();
}

void RunDashboard::applyTimeRange()
{
    if (!m_store)
        return;
    // The whole planned run from the start, so the line grows left to right; runs bounded by
    // operations grow the axis as they go.
    const double planned = static_cast<double>(m_store->config().plannedNs) / 1e9;
    const double latest = m_store->latestTime();
    double t1 = planned > 0 ? std::max(planned, latest) : std::max(1.0, latest * 1.25);
    if (planned <= 0 && m_t1 > 0 && latest <= m_t1)
        t1 = m_t1; // only grows
    if (m_final && latest > 0 && planned <= 0)
        t1 = latest;
    if (t1 == m_t1)
        return;
    m_t1 = t1;
    for (charts::TimeSeriesChart *c : {m_totalRate, m_workerRate, m_contention, m_contended, m_state})
        c->setTimeRange(0, t1);
    m_timeline->setTimeRange(0, t1);
}

void RunDashboard::showFrame()
{
    if (!m_store)
        return;
    applyTimeRange();
    // Numbers change four times a second (as fast as anyone reads them; rich text re-layouts on
    // every change), the table and the panel together so they always agree. Charts move every frame.
    if (!m_summaryClock.isValid() || m_summaryClock.elapsed() >= 250 || m_final || m_store->isFinal()) {
        m_model->update(*m_store);
        updateSummary();
        m_summaryClock.start();
    }
    updateChart(currentPage());
}

void RunDashboard::refreshAllPages()
{
    for (int p = 0; p < PageCount; ++p)
        updateChart(static_cast<Page>(p));
}

void RunDashboard::updateChart(Page page)
{
    if (!m_store)
        return;
    switch (page) {
    case ThroughputPage: updateThroughput(); break;
    case ContentionPage: updateContention(); break;
    case LatencyPage: updateLatency(); break;
    case StatePage: updateState(); break;
    case TimelinePage: updateTimeline(); break;
    case ScalingPage: break; // drawn when the sweep's result arrives
    case PageCount: break;
    }
}

void RunDashboard::updateThroughput()
{
    const LiveRunStore &s = *m_store;
    m_totalRate->setSeriesData(0, s.totalRate().points());
    m_totalRate->commit();
    if (m_perWorker) {
        for (std::uint32_t i = 0; i < s.workerCount() && static_cast<int>(i) < m_workerRate->seriesCount(); ++i)
            m_workerRate->setSeriesData(static_cast<int>(i), s.workerRate(i).points());
    } else if (s.workerCount() > 0) {
        // Fastest and slowest by their measured ops/s so far (clab::metrics, as in the table).
        const std::vector<WorkerResult> &w = s.workers();
        std::uint32_t fast = 0, slow = 0;
        for (std::uint32_t i = 1; i < w.size() && i < s.workerCount(); ++i) {
            if (metrics::opsPerSecond(w[i]) > metrics::opsPerSecond(w[fast]))
                fast = i;
            if (metrics::opsPerSecond(w[i]) < metrics::opsPerSecond(w[slow]))
                slow = i;
        }
        m_workerRate->setSeriesName(0, tr("fastest (W%1)").arg(fast));
        m_workerRate->setSeriesName(1, tr("slowest (W%1)").arg(slow));
        m_workerRate->setSeriesData(0, s.workerRate(fast).points());
        m_workerRate->setSeriesData(1, s.workerRate(slow).points());
    }
    m_workerRate->commit();
}

bool RunDashboard::messaging() const
{
    return m_spec.primitive == PrimitiveKind::MessagePassing;
}

void RunDashboard::setupContentionCharts()
{
    if (messaging()) {
        // Message passing has no lock to contend for: its page shows how long a round trip takes
        // and how many messages wait in a channel, both over time.
        m_contention->setValueScale(charts::ValueScale::Duration);
        m_contention->setQuantity(tr("Round trip"), QString());
        m_contention->setSeries({{tr("median (p50)"), QColor(0x00, 0x72, 0xB2), Qt::SolidLine, 2.0},
                                 {tr("99th percentile (p99)"), QColor(0xD5, 0x5E, 0x00), Qt::DashLine, 2.0}});
        m_contended->setValueScale(charts::ValueScale::Plain);
        m_contended->setQuantity(tr("Messages waiting"), QString());
        m_contended->setSeries({{tr("in a pair's channel (fewest and most over the pairs)"), QColor(0x00, 0x9E, 0x73),
                                 Qt::SolidLine, 2.0}});
        return;
    }
    m_contention->setValueScale(charts::ValueScale::Percent);
    m_contention->setQuantity(tr("Waiting"), QString());
    m_contention->setSeries({{tr("time spent acquiring"), QColor(0xD5, 0x5E, 0x00), Qt::SolidLine, 2.0}});
    m_contended->setValueScale(charts::ValueScale::Percent);
    m_contended->setQuantity(tr("Contended"), QString());
    m_contended->setSeries({{tr("acquisitions that had to wait"), QColor(0x00, 0x72, 0xB2), Qt::DashLine, 2.0}});
}

void RunDashboard::updateContention()
{
    if (messaging()) {
        m_contention->setSeriesData(0, m_store->latencyP50().points());
        m_contention->setSeriesData(1, m_store->latencyP99().points());
        m_contention->commit();
        m_contended->setSeriesData(0, m_store->hasGauges() ? m_store->gauge0().points() : std::span<const charts::MinMaxPoint>{});
        m_contended->commit();
        return;
    }
    m_contention->setSeriesData(0, m_store->waitFraction().points());
    m_contention->commit();
    m_contended->setSeriesData(0, m_store->contendedFraction().points());
    m_contended->commit();
}

void RunDashboard::updateLatency()
{
    const LatencyHistogram &h = m_store->latency();
    const std::uint64_t total = h.total();
    std::vector<charts::HistogramBin> bins;
    if (total > 0) {
        bins.reserve(256);
        for (std::uint32_t i = 0; i < CLAB_HIST_BUCKETS; ++i) {
            const std::uint64_t c = h.counts[i];
            if (c == 0)
                continue;
            bins.push_back({static_cast<double>(histogramBucketLower(i)), static_cast<double>(histogramBucketUpper(i)),
                            static_cast<double>(c) / static_cast<double>(total)});
        }
    }
    const LatencySummary sum = metrics::summarize(h);
    QList<charts::ValueMarker> markers;
    if (total > 0)
        markers = {{QStringLiteral("p50"), sum.p50Ns}, {QStringLiteral("p90"), sum.p90Ns}, {QStringLiteral("p99"), sum.p99Ns},
                   {QStringLiteral("p99.9"), sum.p999Ns}, {QStringLiteral("max"), sum.maxNs}};
    m_latency->setHistogram(bins, markers);
    if (total == 0) {
        m_latencyFigures->clear();
        return;
    }
    m_latencyFigures->setHeading(latencyQuantity(m_spec.primitive));
    m_latencyFigures->setRows({{tr("timed"), formatInteger(sum.count), QString()},
                               {tr("mean"), formatNs(sum.meanNs), QString()},
                               {QStringLiteral("p50"), formatNs(sum.p50Ns), QString()},
                               {QStringLiteral("p90"), formatNs(sum.p90Ns), QString()},
                               {QStringLiteral("p99"), formatNs(sum.p99Ns), QString()},
                               {QStringLiteral("p99.9"), formatNs(sum.p999Ns), QString()},
                               {tr("max"), formatNs(sum.maxNs), QString()}});
    m_latencyFigures->setFootnote(tr("All workers together. Percentiles are within 1.6 % of the true value."));
}

void RunDashboard::updateState()
{
    if (m_state->seriesCount() == 0 || !m_store->hasGauges()) {
        m_state->commit(); // keeps the explanation visible
        return;
    }
    m_state->setSeriesData(0, m_store->gauge0().points());
    if (m_state->seriesCount() > 1)
        m_state->setSeriesData(1, m_store->gauge1().points());
    m_state->commit();
}

void RunDashboard::updateTimeline()
{
    m_timeline->refresh();
}

void RunDashboard::updateSummary()
{
    const LiveRunStore &s = *m_store;
    const metrics::Totals &t = s.totals();
    using Row = FigureList::Row;
    QList<Row> rows{{tr("Throughput"), formatRate(t.opsPerSecond), QString()},
                    {tr("Operations"), formatInteger(t.ops), QString()},
                    {tr("Fairness"), QString::number(t.fairness, 'f', 3), tr("(Jain; 1 = equal shares)")},
                    {tr("Waiting"), formatPercent(t.waitFraction), tr("of worker time")},
                    {tr("Contended"), formatPercent(t.contendedFraction), tr("of acquisitions")}};
    if (s.counter())
        rows.append({tr("Lost updates"), formatInteger(static_cast<std::uint64_t>(std::max<std::int64_t>(s.counter()->lost(), 0))),
                     (m_spec.warmupNs > 0 ? tr("of %1, counted with the warm-up") : tr("of %1"))
                         .arg(formatInteger(s.counter()->expected))});
    else if (m_spec.primitive == PrimitiveKind::LockContention)
        rows.append({tr("Lost updates"), QString(),
                     s.isFinal() ? tr("not counted (the run did not finish)") : tr("counted when the run ends")});
    m_figures->setRows(rows);
    // The outcome line changes once per run; while there is none, the label is not shown at all.
    m_summary->setVisible(!m_outcomeLine.isEmpty());
    if (m_summary->text() != m_outcomeLine)
        m_summary->setText(m_outcomeLine);

    const PredictionCheck check = checkLostUpdates(m_spec, s.counter());
    const QString prediction = QString::fromStdString(m_spec.prediction).trimmed();
    if (prediction.isEmpty() && check.expectation.isEmpty()) {
        m_prediction->hide();
        return;
    }
    QString p = QStringLiteral("<b>") + tr("Prediction") + QStringLiteral("</b><br>");
    p += prediction.isEmpty() ? check.expectation.toHtmlEscaped() : prediction.toHtmlEscaped();
    QPalette pal = palette();
    const bool dark = pal.color(QPalette::Window).lightness() < 128;
    m_contradicted = check.verdict == PredictionCheck::Verdict::Contradicted;
    switch (check.verdict) {
    case PredictionCheck::Verdict::Unknown:
        p += QStringLiteral("<br><small>") + tr("Checked when the run ends (expected: %1).").arg(check.expectation.toHtmlEscaped())
            + QStringLiteral("</small>");
        break;
    case PredictionCheck::Verdict::Consistent:
        p += QStringLiteral("<br>✔ ") + tr("<b>Holds:</b> %1 (expected: %2).").arg(check.outcome.toHtmlEscaped(), check.expectation.toHtmlEscaped());
        pal.setColor(QPalette::Window, dark ? QColor(0x1b, 0x3a, 0x22) : QColor(0xe3, 0xf4, 0xe6));
        break;
    case PredictionCheck::Verdict::Contradicted:
        p += QStringLiteral("<br>⚠ ") + tr("<b>Contradicted:</b> %1, but the prediction is that %2.")
                                          .arg(check.outcome.toHtmlEscaped(), check.expectation.toHtmlEscaped());
        pal.setColor(QPalette::Window, dark ? QColor(0x4a, 0x1c, 0x1c) : QColor(0xfd, 0xe4, 0xe1));
        break;
    }
    if (m_prediction->palette().color(QPalette::Window) != pal.color(QPalette::Window))
        m_prediction->setPalette(pal);
    if (m_prediction->text() != p)
        m_prediction->setText(p);
    m_prediction->show();
}

void RunDashboard::showOutcome(const RunOutcome &outcome)
{
    m_final = true;
    const QString icon = outcome.kind == RunOutcome::Kind::Failed ? QStringLiteral("⚠ ") : QString();
    m_outcomeLine = QStringLiteral("<p>") + icon + outcome.message.toHtmlEscaped() + QStringLiteral("</p>");
    if (!m_store)
        return;
    showFrame();
    refreshAllPages();
}

QString RunDashboard::summaryText() const
{
    const QString outcome = m_summary->isHidden() ? QString() : m_summary->text();
    const QString figures = m_figures->text();
    return outcome.isEmpty() ? figures : figures.isEmpty() ? outcome : outcome + QLatin1Char('\n') + figures;
}

QString RunDashboard::predictionText() const
{
    return m_prediction->isHidden() ? QString() : m_prediction->text();
}

} // namespace clab::app
