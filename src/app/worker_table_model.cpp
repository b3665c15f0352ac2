// The per-worker table: figures through clab::metrics, formatted text for display, raw numbers for sorting.
#include "worker_table_model.h"

#include "format.h"
#include "live_store.h"

#include <QFont>

namespace clab::app {

WorkerRow WorkerRow::from(const WorkerResult &w, std::uint64_t totalOps, const QString &state)
{
    WorkerRow r;
    r.index = w.index;
    r.state = state;
    r.ops = w.ops;
    r.opsPerSecond = metrics::opsPerSecond(w);
    r.share = metrics::fraction(w.ops, totalOps);
    r.waitFraction = metrics::waitFraction(w);
    r.meanHoldNs = metrics::meanHoldNs(w);
    r.contendedFraction = metrics::contendedFraction(w);
    r.userNs = w.userNs;
    r.sysNs = w.sysNs;
    r.volCsw = w.volCsw;
    r.involCsw = w.involCsw;
    QStringList cpus;
    for (int c : w.cpusSeen)
        cpus << QString::number(c);
    r.cpus = cpus.join(QStringLiteral(", "));
    r.error = QString::fromStdString(w.error);
    return r;
}

WorkerTableModel::WorkerTableModel(QObject *parent)
    : QAbstractTableModel(parent)
{
}

void WorkerTableModel::update(const LiveRunStore &store)
{
    const std::vector<WorkerResult> &workers = store.workers();
    const metrics::Totals &totals = store.totals();
    std::vector<WorkerRow> rows;
    rows.reserve(workers.size());
    for (std::size_t i = 0; i < workers.size(); ++i) {
        const int state = i < store.workerCount() ? store.workerState(static_cast<std::uint32_t>(i)) : CLAB_WORKER_FINISHED;
        QString name = workerStateName(state);
        if (store.isFinal() && !workers[i].exitState.empty())
            name = QString::fromStdString(workers[i].exitState);
        rows.push_back(WorkerRow::from(workers[i], totals.ops, name));
    }
    apply(std::move(rows), totals);
}

void WorkerTableModel::setWorkers(const std::vector<WorkerResult> &workers, const std::vector<QString> &states,
                                  std::uint64_t wallNs)
{
    const metrics::Totals totals = metrics::totals(workers, wallNs);
    std::vector<WorkerRow> rows;
    rows.reserve(workers.size());
    for (std::size_t i = 0; i < workers.size(); ++i)
        rows.push_back(WorkerRow::from(workers[i], totals.ops, i < states.size() ? states[i] : QString()));
    apply(std::move(rows), totals);
}

void WorkerTableModel::clear()
{
    apply({}, metrics::Totals{});
}

void WorkerTableModel::apply(std::vector<WorkerRow> rows, const metrics::Totals &totals)
{
    const auto format = [this] {
        m_text.assign(m_rows.empty() ? 0 : m_rows.size() + 1, {});
        for (std::size_t r = 0; r < m_text.size(); ++r) {
            for (int c = 0; c < ColumnCount; ++c)
                m_text[r][static_cast<std::size_t>(c)] = cell(static_cast<int>(r), c, false);
        }
    };
    if (rows.size() == m_rows.size()) {
        m_rows = std::move(rows);
        m_totals = totals;
        format();
        if (!m_rows.empty())
            Q_EMIT dataChanged(index(0, 0), index(rowCount() - 1, ColumnCount - 1));
        return;
    }
    beginResetModel();
    m_rows = std::move(rows);
    m_totals = totals;
    format();
    endResetModel();
}

int WorkerTableModel::rowCount(const QModelIndex &parent) const
{
    if (parent.isValid() || m_rows.empty())
        return 0;
    return static_cast<int>(m_rows.size()) + 1; // + the total row
}

int WorkerTableModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant WorkerTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal)
        return {};
    if (role == Qt::DisplayRole) {
        switch (section) {
        case WorkerColumn: return tr("Worker");
        case StateColumn: return tr("State");
        case OpsColumn: return tr("Operations");
        case OpsPerSecondColumn: return tr("Ops/s");
        case ShareColumn: return tr("Share");
        case WaitColumn: return tr("Wait");
        case HoldColumn: return tr("Mean hold");
        case ContendedColumn: return tr("Contended");
        case UserCpuColumn: return tr("CPU user");
        case SysCpuColumn: return tr("CPU sys");
        case ContextSwitchColumn: return tr("Ctx switches");
        case CpusColumn: return tr("CPUs seen");
        }
    }
    if (role == Qt::ToolTipRole) {
        switch (section) {
        case OpsColumn: return tr("Operations completed in the measured phase");
        case OpsPerSecondColumn: return tr("Operations per second of the worker's measured time");
        case ShareColumn: return tr("The worker's part of all operations (equal shares mean a fair primitive)");
        case WaitColumn: return tr("Share of the worker's time spent acquiring the primitive");
        case HoldColumn: return tr("Mean time between acquire and release");
        case ContendedColumn: return tr("Acquisitions that could not succeed at once");
        case UserCpuColumn: return tr("CPU time in user mode");
        case SysCpuColumn: return tr("CPU time in the kernel");
        case ContextSwitchColumn: return tr("Voluntary / involuntary context switches");
        case CpusColumn: return tr("CPUs the worker was seen running on");
        }
    }
    if (role == Qt::TextAlignmentRole)
        return section <= StateColumn || section == CpusColumn ? int(Qt::AlignLeft | Qt::AlignVCenter)
                                                                : int(Qt::AlignRight | Qt::AlignVCenter);
    return {};
}

QVariant WorkerTableModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const bool total = index.row() == static_cast<int>(m_rows.size());
    if (role == IsTotalRole)
        return total;
    if (role == Qt::TextAlignmentRole)
        return headerData(index.column(), Qt::Horizontal, role);
    if (role == Qt::FontRole && total) {
        QFont f;
        f.setBold(true);
        return f;
    }
    if (total && role == Qt::ToolTipRole)
        return index.column() == OpsPerSecondColumn ? QVariant(tr("All operations over the run's wall time")) : QVariant();
    if (!total && role == Qt::ToolTipRole) {
        const WorkerRow &r = m_rows[static_cast<std::size_t>(index.row())];
        return r.error.isEmpty() ? QVariant() : QVariant(r.error);
    }
    if (role == Qt::DisplayRole)
        return m_text[static_cast<std::size_t>(index.row())][static_cast<std::size_t>(index.column())];
    if (role == SortRole)
        return cell(index.row(), index.column(), true);
    return {};
}

QVariant WorkerTableModel::cell(int row, int column, bool raw) const
{
    const metrics::Totals &t = m_totals;
    if (row == static_cast<int>(m_rows.size())) {
        switch (column) {
        case WorkerColumn: return raw ? QVariant(-1) : QVariant(tr("Total"));
        case StateColumn: return {};
        case OpsColumn: return raw ? QVariant::fromValue(t.ops) : QVariant(formatInteger(t.ops));
        case OpsPerSecondColumn: return raw ? QVariant(t.opsPerSecond) : QVariant(formatCount(t.opsPerSecond));
        case ShareColumn: return raw ? QVariant(t.ops > 0 ? 1.0 : 0.0) : QVariant(t.ops > 0 ? QStringLiteral("100 %") : QString());
        case WaitColumn: return raw ? QVariant(t.waitFraction) : QVariant(formatPercent(t.waitFraction));
        case HoldColumn: return raw ? QVariant(t.meanHoldNs) : QVariant(formatNs(t.meanHoldNs));
        case ContendedColumn: return raw ? QVariant(t.contendedFraction) : QVariant(formatPercent(t.contendedFraction));
        case UserCpuColumn: return raw ? QVariant::fromValue(t.userNs) : QVariant(formatNs(static_cast<double>(t.userNs)));
        case SysCpuColumn: return raw ? QVariant::fromValue(t.sysNs) : QVariant(formatNs(static_cast<double>(t.sysNs)));
        case ContextSwitchColumn:
            return raw ? QVariant::fromValue(t.volCsw + t.involCsw)
                       : QVariant(formatInteger(t.volCsw) + QStringLiteral(" / ") + formatInteger(t.involCsw));
        case CpusColumn: return {};
        }
        return {};
    }
    const WorkerRow &r = m_rows[static_cast<std::size_t>(row)];
    switch (column) {
    case WorkerColumn: return raw ? QVariant(r.index) : QVariant(QStringLiteral("W%1").arg(r.index));
    case StateColumn: return r.state;
    case OpsColumn: return raw ? QVariant::fromValue(r.ops) : QVariant(formatInteger(r.ops));
    case OpsPerSecondColumn: return raw ? QVariant(r.opsPerSecond) : QVariant(formatCount(r.opsPerSecond));
    case ShareColumn: return raw ? QVariant(r.share) : QVariant(formatPercent(r.share));
    case WaitColumn: return raw ? QVariant(r.waitFraction) : QVariant(formatPercent(r.waitFraction));
    case HoldColumn: return raw ? QVariant(r.meanHoldNs) : QVariant(formatNs(r.meanHoldNs));
    case ContendedColumn: return raw ? QVariant(r.contendedFraction) : QVariant(formatPercent(r.contendedFraction));
    case UserCpuColumn: return raw ? QVariant::fromValue(r.userNs) : QVariant(formatNs(static_cast<double>(r.userNs)));
    case SysCpuColumn: return raw ? QVariant::fromValue(r.sysNs) : QVariant(formatNs(static_cast<double>(r.sysNs)));
    case ContextSwitchColumn:
        return raw ? QVariant::fromValue(r.volCsw + r.involCsw)
                   : QVariant(formatInteger(r.volCsw) + QStringLiteral(" / ") + formatInteger(r.involCsw));
    case CpusColumn: return r.cpus;
    }
    return {};
}

} // namespace clab::app
