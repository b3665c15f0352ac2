// The run history table: one row per run, throughput from clab::metrics over the runner's result.
#include "run_history_model.h"

#include "format.h"
#include "metrics.h"

#include <QDir>
#include <QLocale>

namespace clab::app {

RunHistoryModel::RunHistoryModel(QObject *parent)
    : QAbstractTableModel(parent)
{
}

int RunHistoryModel::addRun(const RunOutcome &outcome)
{
    const double rate = outcome.result ? metrics::totals(outcome.result->workers, outcome.result->wallNs).opsPerSecond : -1;
    beginInsertRows({}, 0, 0);
    m_runs.push_front(Entry{m_next, outcome, rate});
    endInsertRows();
    return m_next++;
}

const RunOutcome &RunHistoryModel::run(int row) const
{
    return m_runs.at(static_cast<std::size_t>(row)).outcome;
}

void RunHistoryModel::clear()
{
    beginResetModel();
    m_runs.clear();
    endResetModel();
}

int RunHistoryModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : static_cast<int>(m_runs.size());
}

int RunHistoryModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant RunHistoryModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case NumberColumn: return tr("#");
    case ExperimentColumn: return tr("Experiment");
    case StatusColumn: return tr("Outcome");
    case ThroughputColumn: return tr("Ops/s");
    case StartedColumn: return tr("Started");
    }
    return {};
}

QVariant RunHistoryModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Entry &e = m_runs[static_cast<std::size_t>(index.row())];
    const RunOutcome &o = e.outcome;
    if (role == ResultPathRole)
        return o.resultPath;
    if (role == HasResultRole)
        return o.result.has_value();
    if (role == Qt::ToolTipRole) {
        QString tip = o.message;
        if (!o.resultPath.isEmpty())
            tip += QLatin1Char('\n') + QDir::toNativeSeparators(o.resultPath);
        return tip;
    }
    if (role == Qt::TextAlignmentRole)
        return index.column() == ThroughputColumn || index.column() == NumberColumn
                   ? int(Qt::AlignRight | Qt::AlignVCenter)
                   : int(Qt::AlignLeft | Qt::AlignVCenter);
    if (role != Qt::DisplayRole)
        return {};
    switch (index.column()) {
    case NumberColumn: return e.number;
    case ExperimentColumn: {
        if (!o.spec)
            return tr("(unknown)");
        const ExperimentSpec &s = *o.spec;
        QString text = QString::fromStdString(s.name);
        if (s.primitive == PrimitiveKind::LockContention)
            text += QStringLiteral(" · ") + QString::fromLatin1(toString(s.lock.guard));
        return QString(text + QStringLiteral(" · ") + workerCount(s.workers));
    }
    case StatusColumn:
        switch (o.kind) {
        case RunOutcome::Kind::Finished: return tr("finished");
        case RunOutcome::Kind::Stopped: return tr("stopped");
        case RunOutcome::Kind::Failed: return tr("failed");
        }
        return {};
    case ThroughputColumn:
        return e.opsPerSecond < 0 ? QStringLiteral("–") : formatCount(e.opsPerSecond);
    case StartedColumn:
        return o.startedAt.isValid() ? QLocale().toString(o.startedAt.time(), QLocale::ShortFormat) : QString();
    }
    return {};
}

} // namespace clab::app
