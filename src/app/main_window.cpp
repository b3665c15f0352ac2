// The main window: wiring of gallery, form, run control, dashboard, history, files and settings.
#include "main_window.h"

#include "ui_main_window.h"

#include "app_theme.h"
#include "chart_panel.h"
#include "experiment_file.h"
#include "experiment_form.h"
#include "format.h"
#include "live_store.h"
#include "message_banner.h"
#include "prediction.h"
#include "preset_model.h"
#include "result_file.h"
#include "run_dashboard.h"
#include "run_history_model.h"
#include "sweep_summary.h"

#include <QAction>
#include <QActionGroup>
#include <QApplication>
#include <QCloseEvent>
#include <QDateTime>
#include <QDir>
#include <QDockWidget>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QHeaderView>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QLocale>
#include <QMessageBox>
#include <QPainter>
#include <QProgressBar>
#include <QRegularExpression>
#include <QSettings>
#include <QStandardPaths>
#include <QStatusBar>
#include <QStyledItemDelegate>
#include <QTableView>
#include <QToolBar>
#include <QToolButton>
#include <QTreeView>
#include <QUndoStack>
#include <QVBoxLayout>

namespace clab::app {

namespace {

const QString kExperimentFilter = QStringLiteral("Concurrency Lab experiments (*.cclab);;All files (*)");
const QString kResultFilter = QStringLiteral("Concurrency Lab results (*.json);;All files (*)");

// Gallery rows: the preset's name in bold, its one-line description below in a quieter colour.
class PresetDelegate : public QStyledItemDelegate {
public:
    using QStyledItemDelegate::QStyledItemDelegate;

    void paint(QPainter *painter, const QStyleOptionViewItem &option, const QModelIndex &index) const override
    {
        if (index.data(PresetModel::IsTopicRole).toBool()) {
            QStyleOptionViewItem o = option;
            o.font.setBold(true);
            QStyledItemDelegate::paint(painter, o, index);
            return;
        }
        QStyleOptionViewItem o = option;
        initStyleOption(&o, index);
        const QString description = index.data(PresetModel::DescriptionRole).toString();
        o.text.clear();
        const QWidget *w = option.widget;
        QStyle *style = w ? w->style() : QApplication::style();
        style->drawControl(QStyle::CE_ItemViewItem, &o, painter, w);
        const QRect r = style->subElementRect(QStyle::SE_ItemViewItemText, &o, w).adjusted(2, 2, -2, -2);
        const bool selected = (option.state & QStyle::State_Selected) != 0;
        const bool enabled = (index.flags() & Qt::ItemIsEnabled) != 0;
        QFont bold = o.font;
        bold.setBold(true);
        const QFontMetrics fmBold(bold), fm(o.font);
        painter->save();
        const QPalette::ColorGroup group = enabled ? QPalette::Normal : QPalette::Disabled;
        painter->setPen(option.palette.color(group, selected ? QPalette::HighlightedText : QPalette::Text));
        painter->setFont(bold);
        painter->drawText(QRect(r.left(), r.top(), r.width(), fmBold.height()), Qt::AlignLeft | Qt::AlignVCenter,
                          fmBold.elidedText(index.data(Qt::DisplayRole).toString(), Qt::ElideRight, r.width()));
        painter->setFont(o.font);
        QColor quiet = option.palette.color(group, selected ? QPalette::HighlightedText : QPalette::Text);
        quiet.setAlphaF(selected ? 0.85f : 0.7f);
        painter->setPen(quiet);
        painter->drawText(QRect(r.left(), r.top() + fmBold.height() + 1, r.width(), fm.height()),
                          Qt::AlignLeft | Qt::AlignVCenter, fm.elidedText(description, Qt::ElideRight, r.width()));
        painter->restore();
    }

    QSize sizeHint(const QStyleOptionViewItem &option, const QModelIndex &index) const override
    {
        QSize s = QStyledItemDelegate::sizeHint(option, index);
        if (!index.data(PresetModel::IsTopicRole).toBool())
            s.setHeight(option.fontMetrics.height() * 2 + 10);
        return s;
    }
};

QString experimentSummary(const ExperimentSpec &s)
{
    QStringList parts;
    parts << workerCount(s.workers);
    parts << QString::fromLatin1(toString(s.execution));
    if (s.primitive == PrimitiveKind::LockContention)
        parts << MainWindow::tr("guard: %1").arg(QString::fromLatin1(toString(s.lock.guard)));
    parts << (s.operationsPerWorker != 0 ? MainWindow::tr("%1 ops each").arg(formatCount(static_cast<double>(s.operationsPerWorker)))
                                         : model::formatDuration(s.durationNs));
    return parts.join(QStringLiteral(" · "));
}

} // namespace

MainWindow::MainWindow(QWidget *parent)
    : QMainWindow(parent)
    , ui(std::make_unique<Ui::MainWindow>())
{
    ui->setupUi(this);
    setWindowIcon(QIcon(QStringLiteral(":/icons/concurrency-lab.svg")));
    m_undo = new QUndoStack(this);
    m_controller = new RunController(this);
    m_viewStore = std::make_unique<LiveRunStore>();

    auto *central = ui->centralWidget;
    auto *centralLayout = new QVBoxLayout(central);
    centralLayout->setContentsMargins(0, 0, 0, 0);
    centralLayout->setSpacing(2);
    m_banner = new MessageBanner(central);
    m_dashboard = new RunDashboard(central);
    m_dashboard->setObjectName(QStringLiteral("runDashboard"));
    centralLayout->addWidget(m_banner);
    centralLayout->addWidget(m_dashboard, 1);

    setupDocks();
    setupActions();
    setupStatusBar();

    connect(m_controller, &RunController::stateChanged, this, &MainWindow::onStateChanged);
    connect(m_controller, &RunController::frameAvailable, this, &MainWindow::onFrame);
    connect(m_controller, &RunController::pointStarted, this, &MainWindow::onPointStarted);
    connect(m_dashboard, &RunDashboard::sweepPointActivated, this, &MainWindow::showSweepPoint);
    connect(m_controller, &RunController::resultAvailable, this, &MainWindow::onResult);
    connect(m_form, &ExperimentForm::validityChanged, this, &MainWindow::updateActions);
    connect(m_form, &ExperimentForm::changed, this, &MainWindow::updateRunSummary);
    connect(m_undo, &QUndoStack::cleanChanged, this, &MainWindow::updateTitle);
    connect(qApp, &QCoreApplication::aboutToQuit, this, &MainWindow::saveSettings);

    resize(1400, 880);
    m_defaultState = saveState();
    restoreSettings();

    m_presets->reload();
    m_presetView->expandAll();
    const QModelIndex preferred = m_presets->indexOfId(QStringLiteral("lock-contention"));
    const PresetEntry *first = m_presets->preset(preferred);
    for (int t = 0; !first && t < m_presets->rowCount(); ++t) {
        for (int r = 0; !first && r < m_presets->rowCount(m_presets->index(t, 0)); ++r) {
            const PresetEntry *e = m_presets->preset(m_presets->index(r, 0, m_presets->index(t, 0)));
            if (e && e->spec)
                first = e;
        }
    }
    if (first && first->spec)
        loadSpec(*first->spec, first->path);
    else {
        ExperimentSpec blank;
        blank.name = tr("New experiment").toStdString();
        loadSpec(blank);
    }
    if (m_presets->presetCount() == 0)
        m_banner->showMessage(MessageBanner::Kind::Warning,
                              tr("No presets were found (looked in: %1). Set CLAB_PRESETS_DIR to a folder of .cclab files, "
                                 "or start from File → New Experiment.")
                                  .arg(presetDirectories().join(QStringLiteral(", "))));
    updateActions();
    updateStatus();
}

MainWindow::~MainWindow()
{
    // The undo stack is a child, deleted after this destructor by QWidget's, and it says
    // cleanChanged() as it goes: by then this is no longer a MainWindow (UBSan caught the call).
    m_undo->disconnect(this);
}

void MainWindow::setupDocks()
{
    m_presets = new PresetModel(this);
    m_presetView = new QTreeView;
    m_presetView->setObjectName(QStringLiteral("presetView"));
    m_presetView->setModel(m_presets);
    m_presetView->setHeaderHidden(true);
    m_presetView->setItemDelegate(new PresetDelegate(m_presetView));
    m_presetView->setUniformRowHeights(false);
    m_presetView->setRootIsDecorated(true);
    m_presetView->setExpandsOnDoubleClick(true);
    m_presetView->setMouseTracking(true);
    m_presetView->setTextElideMode(Qt::ElideRight);
    connect(m_presetView, &QTreeView::activated, this, &MainWindow::onPresetActivated);
    connect(m_presetView, &QTreeView::clicked, this, &MainWindow::onPresetActivated);
    m_presetDock = new QDockWidget(tr("Presets"), this);
    m_presetDock->setObjectName(QStringLiteral("presetDock"));
    m_presetDock->setWidget(m_presetView);
    m_presetDock->setToolTip(tr("Experiments that come with the app, by course topic. Click one to load it."));

    m_form = new ExperimentForm;
    m_form->setObjectName(QStringLiteral("experimentForm"));
    m_form->setUndoStack(m_undo);
    // The form's tabs scroll on their own, below a tab bar that stays in view.
    m_formDock = new QDockWidget(tr("Experiment"), this);
    m_formDock->setObjectName(QStringLiteral("experimentDock"));
    m_formDock->setWidget(m_form);

    m_history = new RunHistoryModel(this);
    m_historyView = new QTableView;
    m_historyView->setObjectName(QStringLiteral("historyView"));
    m_historyView->setModel(m_history);
    m_historyView->verticalHeader()->hide();
    m_historyView->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_historyView->setSelectionMode(QAbstractItemView::SingleSelection);
    m_historyView->horizontalHeader()->setSectionResizeMode(RunHistoryModel::ExperimentColumn, QHeaderView::Stretch);
    m_historyView->horizontalHeader()->setSectionResizeMode(RunHistoryModel::NumberColumn, QHeaderView::ResizeToContents);
    m_historyView->setWordWrap(false);
    m_historyView->setToolTip(tr("Runs of this session. Double-click one to show its charts and table again."));
    connect(m_historyView, &QTableView::activated, this, &MainWindow::onHistoryActivated);
    m_historyDock = new QDockWidget(tr("Run history"), this);
    m_historyDock->setObjectName(QStringLiteral("historyDock"));
    m_historyDock->setWidget(m_historyView);

    addDockWidget(Qt::LeftDockWidgetArea, m_presetDock);
    addDockWidget(Qt::LeftDockWidgetArea, m_formDock);
    splitDockWidget(m_presetDock, m_formDock, Qt::Vertical);
    addDockWidget(Qt::RightDockWidgetArea, m_historyDock);
    // The form gets the larger share: at the default size the first tab shows every field of the
    // largest family (message passing) without scrolling; the gallery scrolls.
    resizeDocks({m_presetDock, m_formDock}, {260, 560}, Qt::Vertical);
    resizeDocks({m_presetDock, m_historyDock}, {340, 230}, Qt::Horizontal);
}

void MainWindow::setupActions()
{
    ui->actionRun->setIcon(QIcon(QStringLiteral(":/icons/run.svg")));
    ui->actionStop->setIcon(QIcon(QStringLiteral(":/icons/stop.svg")));
    ui->actionStop->setShortcuts({QKeySequence(Qt::Key_Escape), QKeySequence(Qt::CTRL | Qt::Key_Period)});
    ui->actionOpen->setShortcut(QKeySequence::Open);
    ui->actionSave->setShortcut(QKeySequence::Save);
    ui->actionSaveAs->setShortcut(QKeySequence::SaveAs);
    ui->actionQuit->setShortcut(QKeySequence::Quit);
    ui->actionNew->setShortcut(QKeySequence::New);

    // The Run button is the one thing a newcomer must find: large and bold.
    if (QWidget *runButton = ui->runToolBar->widgetForAction(ui->actionRun)) {
        runButton->setObjectName(QStringLiteral("runButton"));
        QFont f = runButton->font();
        f.setBold(true);
        f.setPointSizeF(f.pointSizeF() * 1.15);
        runButton->setFont(f);
        runButton->setMinimumWidth(88);
    }
    ui->runToolBar->setIconSize(QSize(24, 24));
    m_runSummary = new QLabel(this);
    m_runSummary->setObjectName(QStringLiteral("experimentSummary"));
    m_runSummary->setTextFormat(Qt::RichText);
    m_runSummary->setContentsMargins(8, 0, 8, 0);
    ui->runToolBar->addWidget(m_runSummary);

    QAction *undo = m_undo->createUndoAction(this, tr("&Undo"));
    undo->setShortcut(QKeySequence::Undo);
    undo->setObjectName(QStringLiteral("actionUndo"));
    undo->setIcon(QIcon::fromTheme(QStringLiteral("edit-undo")));
    QAction *redo = m_undo->createRedoAction(this, tr("&Redo"));
    redo->setShortcut(QKeySequence::Redo);
    redo->setObjectName(QStringLiteral("actionRedo"));
    redo->setIcon(QIcon::fromTheme(QStringLiteral("edit-redo")));
    ui->menuEdit->addAction(undo);
    ui->menuEdit->addAction(redo);

    // Run → stall timeout: a run with no progress for this long fails instead of hanging.
    QSettings settings;
    const double stall = settings.value(QStringLiteral("run/stallTimeout"), 10.0).toDouble();
    m_controller->setStallTimeout(stall);
    QMenu *stallMenu = ui->menuRun->addMenu(tr("Fail a Run With No &Progress After"));
    stallMenu->setObjectName(QStringLiteral("menuStallTimeout"));
    auto *stallGroup = new QActionGroup(this);
    for (const double s : {0.0, 5.0, 10.0, 30.0, 60.0}) {
        QAction *a = stallMenu->addAction(s == 0 ? tr("Never") : tr("%1 s").arg(s));
        a->setCheckable(true);
        a->setChecked(s == stall);
        stallGroup->addAction(a);
        connect(a, &QAction::triggered, this, [this, s] {
            m_controller->setStallTimeout(s);
            QSettings().setValue(QStringLiteral("run/stallTimeout"), s);
        });
    }

    ui->menuView->addAction(m_presetDock->toggleViewAction());
    ui->menuView->addAction(m_formDock->toggleViewAction());
    ui->menuView->addAction(m_historyDock->toggleViewAction());
    ui->menuView->addAction(ui->runToolBar->toggleViewAction());
    QMenu *colors = ui->menuView->addMenu(tr("&Colours"));
    colors->setObjectName(QStringLiteral("menuColours"));
    auto *colorGroup = new QActionGroup(this);
    const ColorScheme current = colorSchemeFromString(settings.value(QStringLiteral("view/colorScheme")).toString());
    const std::pair<ColorScheme, QString> schemes[] = {
        {ColorScheme::System, tr("Follow the &System")}, {ColorScheme::Light, tr("&Light")}, {ColorScheme::Dark, tr("&Dark")}};
    for (const auto &[scheme, label] : schemes) {
        QAction *a = colors->addAction(label);
        a->setCheckable(true);
        a->setChecked(scheme == current);
        colorGroup->addAction(a);
        connect(a, &QAction::triggered, this, [scheme] {
            applyColorScheme(scheme);
            QSettings().setValue(QStringLiteral("view/colorScheme"), colorSchemeName(scheme));
        });
    }

    connect(ui->actionRun, &QAction::triggered, this, &MainWindow::run);
    connect(ui->actionStop, &QAction::triggered, this, &MainWindow::stop);
    connect(ui->actionNew, &QAction::triggered, this, [this] {
        if (!maybeDiscardChanges())
            return;
        ExperimentSpec s;
        s.name = tr("New experiment").toStdString();
        loadSpec(s);
        m_presetView->clearSelection();
    });
    connect(ui->actionOpen, &QAction::triggered, this, &MainWindow::fileOpen);
    connect(ui->actionSave, &QAction::triggered, this, &MainWindow::fileSave);
    connect(ui->actionSaveAs, &QAction::triggered, this, &MainWindow::fileSaveAs);
    connect(ui->actionOpenResult, &QAction::triggered, this, &MainWindow::fileOpenResult);
    connect(ui->actionSaveResult, &QAction::triggered, this, &MainWindow::fileExportResult);
    connect(ui->actionQuit, &QAction::triggered, this, &QWidget::close);
    connect(ui->actionExportPng, &QAction::triggered, this, [this] { exportChartInteractive(QStringLiteral("png")); });
    connect(ui->actionExportSvg, &QAction::triggered, this, [this] { exportChartInteractive(QStringLiteral("svg")); });
    connect(ui->actionResetLayout, &QAction::triggered, this, &MainWindow::resetLayout);
    connect(ui->actionReloadPresets, &QAction::triggered, this, [this] {
        m_presets->reload();
        m_presetView->expandAll();
        selectPresetFor(m_presetPath);
    });
    connect(ui->actionHelp, &QAction::triggered, this, &MainWindow::showHelp);
    connect(ui->actionAbout, &QAction::triggered, this, &MainWindow::showAbout);
    connect(ui->actionAboutQt, &QAction::triggered, qApp, &QApplication::aboutQt);
}

void MainWindow::setupStatusBar()
{
    const auto label = [this](const QString &name, const QString &tip) {
        auto *l = new QLabel(this);
        l->setObjectName(name);
        l->setToolTip(tip);
        l->setContentsMargins(6, 0, 6, 0);
        return l;
    };
    m_stateLabel = label(QStringLiteral("stateLabel"), tr("What the app is doing"));
    QFont f = m_stateLabel->font();
    f.setBold(true);
    m_stateLabel->setFont(f);
    m_progress = new QProgressBar(this);
    m_progress->setObjectName(QStringLiteral("runProgress"));
    m_progress->setRange(0, 1000);
    m_progress->setTextVisible(false);
    m_progress->setMaximumWidth(140);
    m_progress->setMaximumHeight(14);
    m_elapsedLabel = label(QStringLiteral("elapsedLabel"), tr("Time since the start gate / planned length (warm-up + duration)"));
    m_workersLabel = label(QStringLiteral("workersLabel"), tr("Workers in the run"));
    m_samplesLabel = label(QStringLiteral("samplesLabel"), tr("Samples the app received per second over the last second"));
    m_droppedLabel = label(QStringLiteral("droppedLabel"),
                           tr("Samples lost because a reader fell behind; counters are cumulative, so totals stay exact"));
    m_pidLabel = label(QStringLiteral("pidLabel"), tr("Process id of concurrency-lab-runner"));
    m_pointLabel = label(QStringLiteral("pointLabel"), tr("The sweep's point being run, of all its points"));
    statusBar()->addWidget(m_stateLabel);
    statusBar()->addWidget(m_pointLabel);
    statusBar()->addWidget(m_progress);
    statusBar()->addWidget(m_elapsedLabel);
    statusBar()->addPermanentWidget(m_workersLabel);
    statusBar()->addPermanentWidget(m_samplesLabel);
    statusBar()->addPermanentWidget(m_droppedLabel);
    statusBar()->addPermanentWidget(m_pidLabel);
}

void MainWindow::restoreSettings()
{
    QSettings s;
    const QByteArray geometry = s.value(QStringLiteral("window/geometry")).toByteArray();
    if (!geometry.isEmpty())
        restoreGeometry(geometry);
    const QByteArray state = s.value(QStringLiteral("window/state")).toByteArray();
    if (!state.isEmpty())
        restoreState(state);
}

void MainWindow::saveSettings()
{
    QSettings s;
    s.setValue(QStringLiteral("window/geometry"), saveGeometry());
    s.setValue(QStringLiteral("window/state"), saveState());
}

void MainWindow::resetLayout()
{
    for (QDockWidget *d : {m_presetDock, m_formDock, m_historyDock}) {
        d->setFloating(false);
        d->show();
    }
    restoreState(m_defaultState);
}

QAction *MainWindow::runAction() const
{
    return ui->actionRun;
}

QAction *MainWindow::stopAction() const
{
    return ui->actionStop;
}

QString MainWindow::bannerText() const
{
    return m_banner->text();
}

QString MainWindow::statusText() const
{
    QStringList parts;
    for (QLabel *l : {m_stateLabel, m_pointLabel, m_elapsedLabel, m_workersLabel, m_samplesLabel, m_droppedLabel, m_pidLabel}) {
        if (!l->text().isEmpty())
            parts << l->text();
    }
    return parts.join(QStringLiteral(" · "));
}

void MainWindow::updateActions()
{
    const bool active = m_controller->isActive();
    const bool valid = m_form->isValid();
    ui->actionRun->setEnabled(valid && !active);
    ui->actionRun->setToolTip(active ? tr("A run is in progress")
                              : valid ? tr("Run the experiment (Ctrl+R)")
                                      : tr("Fix the problems marked in the experiment form first"));
    ui->actionStop->setEnabled(active);
    ui->actionOpenResult->setEnabled(!active);
    ui->actionSaveResult->setEnabled(!active && m_shownOutcome && !m_shownOutcome->resultPath.isEmpty());
    m_historyView->setEnabled(!active);
}

void MainWindow::updateTitle()
{
    const ExperimentSpec s = m_form->spec();
    QString doc = QString::fromStdString(s.name);
    if (!m_path.isEmpty())
        doc += QStringLiteral(" — ") + QFileInfo(m_path).fileName();
    setWindowTitle(doc + QStringLiteral("[*] — Concurrency Lab"));
    setWindowModified(!m_undo->isClean());
}

void MainWindow::updateRunSummary()
{
    const ExperimentSpec s = m_form->spec();
    m_runSummary->setText(QStringLiteral("<b>") + QString::fromStdString(s.name).toHtmlEscaped() + QStringLiteral("</b>  ")
                          + experimentSummary(s).toHtmlEscaped());
    updateTitle();
}

void MainWindow::updateStatus()
{
    const RunStatus st = m_controller->status();
    QString state = runStateText(st.state);
    const QString symbol = st.state == RunState::Running || st.state == RunState::Starting ? QStringLiteral("▶ ")
                           : st.state == RunState::Failed                                ? QStringLiteral("⚠ ")
                           : st.state == RunState::Stopping                              ? QStringLiteral("■ ")
                                                                                         : QString();
    if (m_controller->isActive() && !st.phase.isEmpty())
        state += QStringLiteral(" (") + st.phase + QLatin1Char(')');
    m_stateLabel->setText(symbol + state);
    const bool any = st.state != RunState::Idle;
    m_progress->setVisible(any && st.plannedSeconds > 0);
    if (st.plannedSeconds > 0) {
        // A sweep's bar covers all its points: the points done, plus the share of the current one.
        const double within = std::clamp(st.elapsedSeconds / st.plannedSeconds, 0.0, 1.0);
        const double done = st.pointCount > 1 ? (st.pointIndex + within) / st.pointCount : within;
        m_progress->setValue(static_cast<int>(done * 1000));
    }
    // "point 3 of 18: pipe, 64 B" while a sweep runs (also after it ended: the point on show).
    const QString pointText = m_controller->isSweep() && any && m_showingLive
                                  ? tr("point %1 of %2: %3").arg(st.pointIndex + 1).arg(st.pointCount).arg(st.pointLabel)
                                  : QString();
    if (m_pointLabel->text() != pointText) {
        m_pointLabel->setText(pointText);
        m_pointLabel->setToolTip(pointText);
    }
    if (!any) {
        m_elapsedLabel->clear();
        m_workersLabel->clear();
        m_samplesLabel->clear();
        m_droppedLabel->clear();
        m_pidLabel->clear();
        m_stateLabel->setText(tr("Ready — press Run (Ctrl+R)"));
        return;
    }
    m_elapsedLabel->setText(st.plannedSeconds > 0 ? tr("%1 / %2").arg(formatSeconds(std::min(st.elapsedSeconds, st.plannedSeconds * 1.5)),
                                                                     formatSeconds(st.plannedSeconds))
                                                  : formatSeconds(st.elapsedSeconds));
    if (st.pointCount > 1) // a sweep's clock restarts at every point
        m_elapsedLabel->setText(m_controller->isActive() ? tr("%1 of this point").arg(m_elapsedLabel->text()) : QString());
    m_workersLabel->setText(workerCount(st.workers));
    m_samplesLabel->setText(m_controller->isActive() ? tr("%1 samples/s").arg(formatCount(st.samplesPerSecond))
                                                     : tr("%1 samples").arg(formatInteger(st.samples)));
    m_droppedLabel->setText(tr("%1 dropped").arg(formatInteger(st.dropped)));
    m_pidLabel->setText(st.runnerPid > 0 ? tr("runner %1").arg(st.runnerPid) : QString());
}

void MainWindow::run()
{
    if (m_controller->isActive())
        return;
    if (!m_form->isValid()) {
        m_banner->showMessage(MessageBanner::Kind::Warning, tr("The experiment has problems (marked in the form); fix them to run it."));
        return;
    }
    const ExperimentSpec spec = m_form->spec();
    m_banner->hide();
    m_showingLive = true;
    m_shownOutcome.reset();
    m_controller->store().reset(LiveRunStore::configFor(spec));
    m_dashboard->beginRun(spec, m_controller->store());
    m_dashboard->setPointIndicator(QString());
    const bool sweep = !spec.variants.empty() || !spec.sweep.empty();
    m_dashboard->clearSweep(sweep ? tr("The sweep is running. When its last point has run, this page compares them all.")
                                  : tr("This experiment is a single run: there are no points to compare. Experiments "
                                       "with variants or a sweep are compared here."));
    if (m_controller->start(spec) && m_controller->isSweep())
        onPointStarted(0);
    updateActions();
    updateStatus();
}

void MainWindow::onPointStarted(int index)
{
    if (!m_showingLive || index < 0 || index >= m_controller->pointCount())
        return;
    const model::SweepPoint &p = m_controller->point(index);
    m_dashboard->beginRun(p.spec, m_controller->store());
    m_dashboard->setPointIndicator(tr("Point %1 of %2: %3").arg(index + 1).arg(m_controller->pointCount()).arg(p.label));
    m_dashboard->clearSweep(tr("The sweep is running (point %1 of %2). When its last point has run, this page compares them all.")
                                .arg(index + 1)
                                .arg(m_controller->pointCount()));
    updateStatus();
}

void MainWindow::showSweepPoint(int point)
{
    if (m_controller->isActive() || !m_shownOutcome || !m_shownOutcome->sweep || point < 0
        || point >= static_cast<int>(m_shownOutcome->sweep->size()))
        return;
    const model::PointResult &p = m_shownOutcome->sweep->at(static_cast<std::size_t>(point));
    m_showingLive = false;
    m_viewStore->loadResult(p.spec, p.result);
    m_dashboard->beginRun(p.spec, *m_viewStore);
    RunOutcome shown = *m_shownOutcome;
    shown.result = p.result;
    shown.message = tr("Point %1 of %2 (%3): %4.")
                        .arg(point + 1)
                        .arg(m_shownOutcome->pointsPlanned)
                        .arg(p.label, QString::fromStdString(p.result.status));
    m_dashboard->showOutcome(shown);
    m_dashboard->setPointIndicator(tr("Showing point %1 of %2: %3").arg(point + 1).arg(m_shownOutcome->pointsPlanned).arg(p.label));
    updateStatus();
}

void MainWindow::stop()
{
    m_controller->stop();
    updateStatus();
}

void MainWindow::onStateChanged(RunState)
{
    updateActions();
    updateStatus();
}

void MainWindow::onFrame()
{
    if (m_showingLive)
        m_dashboard->showFrame();
    updateStatus();
}

void MainWindow::onResult(const RunOutcome &outcome)
{
    m_history->addRun(outcome);
    if (m_showingLive) {
        m_shownOutcome = outcome;
        m_dashboard->showOutcome(outcome);
        if (outcome.sweep && outcome.spec) {
            // The sweep's answer is the comparison: show it (the other pages keep the last point).
            m_dashboard->showSweep(summarizeSweep(*outcome.spec, *outcome.sweep));
            m_dashboard->setCurrentPage(RunDashboard::ScalingPage);
        } else if (m_controller->isSweep()) {
            m_dashboard->clearSweep(tr("The sweep left no result file, so there are no points to compare; the other "
                                       "pages keep the live data of the last point."));
        }
    }
    const QString name = outcome.spec ? QString::fromStdString(outcome.spec->name) : QString();
    if (outcome.sweep && outcome.kind == RunOutcome::Kind::Finished) {
        m_banner->showMessage(MessageBanner::Kind::Positive,
                              tr("Finished %1: all %2 points ran. The Scaling tab compares them; double-click a point "
                                 "there to see its charts.")
                                  .arg(name)
                                  .arg(outcome.sweep->size()));
        updateActions();
        updateStatus();
        return;
    }
    switch (outcome.kind) {
    case RunOutcome::Kind::Finished: {
        const metrics::Totals &t = m_controller->store().totals();
        QString text = tr("Finished %1: %2 in total, fairness %3.")
                           .arg(name, formatRate(t.opsPerSecond))
                           .arg(t.fairness, 0, 'f', 3);
        if (outcome.spec && outcome.result) {
            const PredictionCheck check = checkLostUpdates(*outcome.spec, outcome.result->counter);
            if (check.verdict == PredictionCheck::Verdict::Contradicted) {
                m_banner->showMessage(MessageBanner::Kind::Warning,
                                      text + QLatin1Char(' ') + tr("The outcome contradicts the prediction: %1, expected: %2.")
                                                                    .arg(check.outcome, check.expectation));
                break;
            }
            if (!check.outcome.isEmpty())
                text += QLatin1Char(' ') + tr("%1 — as predicted.").arg(check.outcome);
        }
        m_banner->showMessage(MessageBanner::Kind::Positive, text);
        break;
    }
    case RunOutcome::Kind::Stopped:
        m_banner->showMessage(MessageBanner::Kind::Information, outcome.message, outcome.runnerErrors);
        break;
    case RunOutcome::Kind::Failed:
        m_banner->showMessage(MessageBanner::Kind::Error, outcome.message, outcome.runnerErrors);
        break;
    }
    updateActions();
    updateStatus();
}

void MainWindow::onPresetActivated(const QModelIndex &index)
{
    const PresetEntry *e = m_presets->preset(index);
    if (!e || !e->spec)
        return;
    if (e->path == m_presetPath && m_path.isEmpty() && m_undo->isClean())
        return; // already shown as it is
    if (!maybeDiscardChanges()) {
        selectPresetFor(m_presetPath);
        return;
    }
    loadSpec(*e->spec, e->path);
}

void MainWindow::selectPresetFor(const QString &path)
{
    const QModelIndex idx = path.isEmpty() ? QModelIndex() : m_presets->indexOfPath(path);
    if (idx.isValid())
        m_presetView->setCurrentIndex(idx);
    else
        m_presetView->clearSelection();
}

void MainWindow::loadSpec(const ExperimentSpec &spec, const QString &presetPath)
{
    m_form->setSpec(spec);
    m_undo->clear();
    m_undo->setClean();
    m_path.clear();
    m_presetPath = presetPath;
    selectPresetFor(presetPath);
    updateRunSummary();
    updateTitle();
    updateActions();
}

bool MainWindow::maybeDiscardChanges()
{
    if (m_undo->isClean() || !m_confirmDiscard)
        return true;
    const auto answer = QMessageBox::question(this, tr("Unsaved changes"),
                                              tr("The experiment \"%1\" has changes that are not saved. Save them first?")
                                                  .arg(QString::fromStdString(m_form->spec().name)),
                                              QMessageBox::Save | QMessageBox::Discard | QMessageBox::Cancel, QMessageBox::Save);
    if (answer == QMessageBox::Cancel)
        return false;
    if (answer == QMessageBox::Save)
        return fileSave();
    return true;
}

bool MainWindow::openFile(const QString &path)
{
    // Result files say so in their "format"; anything else is tried as an experiment (whose
    // loader then names the problem).
    QFile f(path);
    if (f.open(QIODevice::ReadOnly) && f.size() < model::kMaxResultFileBytes) {
        const QByteArray head = f.peek(4096);
        if (head.contains("\"concurrency-lab-result\""))
            return openResult(path);
    }
    return openExperiment(path);
}

bool MainWindow::openExperiment(const QString &path)
{
    const model::ExperimentLoad load = model::loadExperiment(path);
    if (!load.ok()) {
        m_banner->showMessage(MessageBanner::Kind::Error,
                              tr("Cannot open %1:").arg(QDir::toNativeSeparators(path)) + QLatin1Char('\n') + load.errorText());
        return false;
    }
    loadSpec(*load.spec);
    m_path = QFileInfo(path).absoluteFilePath();
    if (m_presets->indexOfPath(m_path).isValid())
        selectPresetFor(m_path);
    QSettings().setValue(QStringLiteral("files/lastDir"), QFileInfo(path).absolutePath());
    updateTitle();
    if (load.migratedFromVersion >= 0)
        m_banner->showMessage(MessageBanner::Kind::Information,
                              tr("%1 was saved in an older format (schema version %2); saving it will update the file.")
                                  .arg(QFileInfo(path).fileName())
                                  .arg(load.migratedFromVersion));
    else
        m_banner->hide();
    return true;
}

bool MainWindow::openResult(const QString &path)
{
    if (m_controller->isActive()) {
        m_banner->showMessage(MessageBanner::Kind::Warning, tr("Stop the running experiment before opening a result."));
        return false;
    }
    model::ResultLoad load = model::loadResult(path);
    if (!load.ok()) {
        m_banner->showMessage(MessageBanner::Kind::Error,
                              tr("Cannot open the result %1:").arg(QDir::toNativeSeparators(path)) + QLatin1Char('\n') + load.error);
        return false;
    }
    RunOutcome outcome;
    outcome.spec = load.spec;
    outcome.result = std::move(load.result);
    if (load.isSweep()) {
        // A sweep's file: every point, compared on the Scaling page; the other pages show the last.
        QList<model::FieldError> errors;
        outcome.pointsPlanned = static_cast<int>(model::expandSweep(*load.spec, &errors).size());
        outcome.result = load.points.back().result;
        outcome.sweep = std::make_shared<const std::vector<model::PointResult>>(std::move(load.points));
    }
    outcome.resultPath = QFileInfo(path).absoluteFilePath();
    const QString csv = QFileInfo(path).absoluteDir().filePath(QFileInfo(path).completeBaseName() + QStringLiteral(".csv"));
    if (QFileInfo::exists(csv))
        outcome.csvPath = csv;
    const std::string &status = outcome.result->status;
    outcome.kind = status == "finished"  ? RunOutcome::Kind::Finished
                   : status == "stopped" ? RunOutcome::Kind::Stopped
                                         : RunOutcome::Kind::Failed;
    outcome.startedAt = QDateTime::fromMSecsSinceEpoch(static_cast<qint64>(outcome.result->startRealtimeNs / 1'000'000));
    outcome.message = tr("Result file %1 (run %2 on %3).")
                          .arg(QFileInfo(path).fileName(), QLocale().toString(outcome.startedAt, QLocale::ShortFormat),
                               QString::fromStdString(outcome.result->machine.cpuModel));
    if (!outcome.result->error.empty())
        outcome.message += QLatin1Char(' ') + QString::fromStdString(outcome.result->error);
    outcome.elapsedSeconds = static_cast<double>(outcome.result->wallNs) / 1e9;
    m_history->addRun(outcome);
    showRunFromHistory(0);
    QSettings().setValue(QStringLiteral("files/lastDir"), QFileInfo(path).absolutePath());
    return true;
}

void MainWindow::onHistoryActivated(const QModelIndex &index)
{
    if (index.isValid())
        showRunFromHistory(index.row());
}

void MainWindow::showRunFromHistory(int row)
{
    if (m_controller->isActive() || row < 0 || row >= m_history->runCount())
        return;
    const RunOutcome &o = m_history->run(row);
    if (!o.result || !o.spec) {
        m_banner->showMessage(MessageBanner::Kind::Information,
                              tr("That run left no result to show: %1").arg(o.message));
        return;
    }
    m_showingLive = false;
    if (o.sweep && !o.sweep->empty()) {
        const model::PointResult &last = o.sweep->back();
        m_viewStore->loadResult(last.spec, last.result);
        m_dashboard->beginRun(last.spec, *m_viewStore);
        m_dashboard->showOutcome(o);
        m_dashboard->showSweep(summarizeSweep(*o.spec, *o.sweep));
        m_dashboard->setPointIndicator(tr("Showing point %1 of %2: %3").arg(o.sweep->size()).arg(o.pointsPlanned).arg(last.label));
        m_dashboard->setCurrentPage(RunDashboard::ScalingPage);
    } else {
        m_viewStore->loadResult(*o.spec, *o.result);
        m_dashboard->beginRun(*o.spec, *m_viewStore);
        m_dashboard->showOutcome(o);
        m_dashboard->setPointIndicator(QString());
        m_dashboard->clearSweep(tr("This run is not a sweep: there are no points to compare."));
    }
    m_shownOutcome = o;
    m_banner->showMessage(MessageBanner::Kind::Information, tr("Showing an earlier run: %1").arg(o.message));
    m_historyView->selectRow(row);
    updateActions();
}

bool MainWindow::saveExperimentTo(const QString &path)
{
    if (!m_form->isValid()) {
        m_banner->showMessage(MessageBanner::Kind::Warning,
                              tr("The experiment has problems (marked in the form); fix them before saving."));
        return false;
    }
    QString error;
    if (!model::saveExperiment(m_form->spec(), path, &error)) {
        m_banner->showMessage(MessageBanner::Kind::Error, tr("Could not save: %1").arg(error));
        return false;
    }
    m_path = QFileInfo(path).absoluteFilePath();
    m_presetPath.clear();
    m_undo->setClean();
    QSettings().setValue(QStringLiteral("files/lastDir"), QFileInfo(path).absolutePath());
    updateTitle();
    statusBar()->showMessage(tr("Saved %1").arg(QDir::toNativeSeparators(m_path)), 4000);
    return true;
}

void MainWindow::fileOpen()
{
    if (!maybeDiscardChanges())
        return;
    const QString dir = QSettings().value(QStringLiteral("files/lastDir"), QDir::homePath()).toString();
    const QString path = QFileDialog::getOpenFileName(this, tr("Open Experiment"), dir, kExperimentFilter);
    if (!path.isEmpty())
        openExperiment(path);
}

void MainWindow::fileOpenResult()
{
    const QString dir = QSettings().value(QStringLiteral("files/lastDir"), QDir::homePath()).toString();
    const QString path = QFileDialog::getOpenFileName(this, tr("Open Result"), dir, kResultFilter);
    if (!path.isEmpty())
        openResult(path);
}

bool MainWindow::fileSave()
{
    if (m_path.isEmpty())
        return fileSaveAs();
    return saveExperimentTo(m_path);
}

bool MainWindow::fileSaveAs()
{
    const QString dir = QSettings().value(QStringLiteral("files/lastDir"), QDir::homePath()).toString();
    QString base = QString::fromStdString(m_form->spec().name).toLower();
    base.replace(QRegularExpression(QStringLiteral("[^a-z0-9]+")), QStringLiteral("-"));
    const QString suggestion = QDir(dir).filePath((base.isEmpty() ? QStringLiteral("experiment") : base) + QStringLiteral(".cclab"));
    QString path = QFileDialog::getSaveFileName(this, tr("Save Experiment As"), suggestion, kExperimentFilter);
    if (path.isEmpty())
        return false;
    if (QFileInfo(path).suffix().isEmpty())
        path += QStringLiteral(".cclab");
    return saveExperimentTo(path);
}

void MainWindow::fileExportResult()
{
    if (!m_shownOutcome || m_shownOutcome->resultPath.isEmpty())
        return;
    const QString dir = QSettings().value(QStringLiteral("files/lastDir"), QDir::homePath()).toString();
    QString path = QFileDialog::getSaveFileName(this, tr("Export Result"), QDir(dir).filePath(QStringLiteral("result.json")),
                                                kResultFilter);
    if (path.isEmpty())
        return;
    if (QFileInfo(path).suffix().isEmpty())
        path += QStringLiteral(".json");
    const auto copy = [](const QString &from, const QString &to) {
        QFile::remove(to);
        return QFile::copy(from, to);
    };
    bool ok = copy(m_shownOutcome->resultPath, path);
    QString csvTarget;
    if (ok && !m_shownOutcome->csvPath.isEmpty()) {
        csvTarget = QFileInfo(path).absoluteDir().filePath(QFileInfo(path).completeBaseName() + QStringLiteral(".csv"));
        ok = copy(m_shownOutcome->csvPath, csvTarget);
    }
    if (!ok) {
        m_banner->showMessage(MessageBanner::Kind::Error, tr("Could not write %1.").arg(QDir::toNativeSeparators(path)));
        return;
    }
    statusBar()->showMessage(csvTarget.isEmpty() ? tr("Result written to %1").arg(path)
                                                 : tr("Result written to %1 and %2").arg(path, csvTarget),
                             6000);
}

bool MainWindow::exportCurrentChart(const QString &path)
{
    // The whole page: the throughput and contention pages hold two charts each.
    QWidget *page = m_dashboard->pageWidget(m_dashboard->currentPage());
    if (!page)
        return false;
    m_dashboard->refreshAllPages();
    QString error;
    bool ok = false;
    if (path.endsWith(QLatin1String(".svg"), Qt::CaseInsensitive)) {
        ok = charts::renderToSvg(page, path, &error);
    } else {
        ok = charts::renderToImage(page).save(path);
        if (!ok)
            error = tr("%1: cannot write the image").arg(path);
    }
    if (!ok)
        m_banner->showMessage(MessageBanner::Kind::Error, tr("Export failed: %1").arg(error));
    else
        statusBar()->showMessage(tr("Chart written to %1").arg(QDir::toNativeSeparators(path)), 5000);
    return ok;
}

void MainWindow::exportChartInteractive(const QString &suffix)
{
    const QString dir = QSettings().value(QStringLiteral("files/lastDir"), QDir::homePath()).toString();
    const QString name = m_dashboard->tabs()->tabText(m_dashboard->tabs()->currentIndex()).remove(QLatin1Char('&')).toLower();
    const QString filter = suffix == QLatin1String("svg") ? tr("SVG drawings (*.svg)") : tr("PNG images (*.png)");
    QString path = QFileDialog::getSaveFileName(this, tr("Export Chart"), QDir(dir).filePath(name + QLatin1Char('.') + suffix), filter);
    if (path.isEmpty())
        return;
    if (QFileInfo(path).suffix().isEmpty())
        path += QLatin1Char('.') + suffix;
    exportCurrentChart(path);
}

void MainWindow::showHelp()
{
    auto *box = new QMessageBox(QMessageBox::Information, tr("How to read the charts"),
                                tr("<p><b>Throughput</b>: operations per second of all workers together (top) and of each "
                                   "worker (bottom). Lines that split apart mean an unfair primitive.</p>"
                                   "<p><b>Contention</b>: the share of the workers' time spent waiting to acquire the guard, "
                                   "and the share of acquisitions that had to wait.</p>"
                                   "<p><b>Latency</b>: how long an acquisition took, as a histogram on a logarithmic axis "
                                   "with p50, p90, p99, p99.9 and the maximum marked; the numbers are listed beside it.</p>"
                                   "<p><b>State</b>: the primitive's own state (semaphore value, waiters …) where it has one.</p>"
                                   "<p><b>Timeline</b>: what each worker was mostly doing in each moment — running, waiting, "
                                   "holding, in IO — drawn with a colour and a pattern per state.</p>"
                                   "<p><b>Scaling</b>: after a sweep (an experiment with variants or a sweep), its points "
                                   "compared: the headline figure per point over the swept parameter, the same numbers and "
                                   "the speed-up over the first variant in the table below.</p>"
                                   "<p>The <b>table</b> lists the same figures per worker; the panel beside it compares the "
                                   "outcome with the experiment's prediction. See docs/app.md for more.</p>"),
                                QMessageBox::Close, this);
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->setModal(false);
    box->show();
}

void MainWindow::showAbout()
{
    QMessageBox::about(this, tr("About Concurrency Lab"),
                       tr("<h3>Concurrency Lab %1</h3><p>A laboratory for concurrency primitives: run an experiment on "
                          "this machine's real threads, processes and locks and watch throughput and contention live.</p>"
                          "<p>Runner: %2</p><p>Licensed under the GNU GPL v3.</p>")
                           .arg(QStringLiteral(CLAB_VERSION), QDir::toNativeSeparators(m_controller->runnerPath()).toHtmlEscaped()));
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    if (m_controller->isActive() && m_confirmDiscard) {
        const auto answer = QMessageBox::question(this, tr("A run is in progress"),
                                                  tr("Quitting stops the running experiment. Quit anyway?"),
                                                  QMessageBox::Yes | QMessageBox::No, QMessageBox::No);
        if (answer != QMessageBox::Yes) {
            event->ignore();
            return;
        }
    }
    if (!maybeDiscardChanges()) {
        event->ignore();
        return;
    }
    saveSettings();
    event->accept();
}

void MainWindow::changeEvent(QEvent *event)
{
    QMainWindow::changeEvent(event);
    if (event->type() == QEvent::PaletteChange)
        m_banner->updateColors();
}

} // namespace clab::app
