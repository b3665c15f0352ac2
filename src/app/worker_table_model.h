// Per-worker figures of a run (live or final) as a table: one row per worker plus a total row.
#pragma once

#include "metrics.h"
#include "run_result.h"

#include <QAbstractTableModel>

#include <array>
#include <vector>

namespace clab::app {

class LiveRunStore;

// One row of the table, every figure computed by clab::metrics from a WorkerResult.
struct WorkerRow {
    std::uint32_t index = 0;
    QString state;
    std::uint64_t ops = 0;
    double opsPerSecond = 0;
    double share = 0;             // of all workers' operations, 0..1
    double waitFraction = 0;      // 0..1
    double meanHoldNs = 0;
    double contendedFraction = 0; // 0..1
    std::uint64_t userNs = 0, sysNs = 0, volCsw = 0, involCsw = 0;
    QString cpus;                 // "0, 1" (CPUs it was seen on)
    QString error;                // why it did not finish, if so

    static WorkerRow from(const WorkerResult &w, std::uint64_t totalOps, const QString &state);
};

class WorkerTableModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column {
        WorkerColumn,
        StateColumn,
        OpsColumn,
        OpsPerSecondColumn,
        ShareColumn,
        WaitColumn,
        HoldColumn,
        ContendedColumn,
        UserCpuColumn,
        SysCpuColumn,
        ContextSwitchColumn,
        CpusColumn,
        ColumnCount
    };
    // Raw numbers for sorting and tests (Qt::DisplayRole is formatted text).
    static constexpr int SortRole = Qt::UserRole + 1;
    static constexpr int IsTotalRole = Qt::UserRole + 2;

    explicit WorkerTableModel(QObject *parent = nullptr);

    // Takes the store's current summaries. With the same number of workers as before it emits
    // one dataChanged over the whole table (never a reset during a run); otherwise it resets.
    void update(const LiveRunStore &store);
    // The same from plain data (tests, a result file); states[i] names worker i's state.
    void setWorkers(const std::vector<WorkerResult> &workers, const std::vector<QString> &states, std::uint64_t wallNs);
    void clear();

    int workerCount() const { return static_cast<int>(m_rows.size()); }
    const metrics::Totals &totals() const { return m_totals; }
    const WorkerRow &row(int i) const { return m_rows[static_cast<std::size_t>(i)]; }

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    void apply(std::vector<WorkerRow> rows, const metrics::Totals &totals);
    // The cell's number (raw: for sorting) or its text.
    QVariant cell(int row, int column, bool raw) const;

    std::vector<WorkerRow> m_rows;
    metrics::Totals m_totals;
    // Every cell's text, formatted once per update: a view asks for it on every paint, and the
    // table repaints far more often than its numbers change.
    std::vector<std::array<QVariant, ColumnCount>> m_text;
};

} // namespace clab::app
