// Runs of this session (and results opened from disk), newest first, for the Run history dock.
#pragma once

#include "run_controller.h"

#include <QAbstractTableModel>

#include <deque>

namespace clab::app {

class RunHistoryModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { NumberColumn, ExperimentColumn, StatusColumn, ThroughputColumn, StartedColumn, ColumnCount };
    static constexpr int ResultPathRole = Qt::UserRole + 1;
    static constexpr int HasResultRole = Qt::UserRole + 2;

    explicit RunHistoryModel(QObject *parent = nullptr);

    // Adds a run at the top; returns its number.
    int addRun(const RunOutcome &outcome);
    // The run shown in `row` (0 = newest).
    const RunOutcome &run(int row) const;
    int runCount() const { return static_cast<int>(m_runs.size()); }
    void clear();

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    struct Entry {
        int number = 0;
        RunOutcome outcome;
        double opsPerSecond = -1; // -1: no result
    };
    std::deque<Entry> m_runs; // newest first (a deque: entries never move, and GCC 12 warns falsely on vector::insert here)
    int m_next = 1;
};

} // namespace clab::app
