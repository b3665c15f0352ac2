// The preset gallery's data: every *.cclab in the preset folders, grouped by course topic.
#pragma once

#include "experiment_spec.h"

#include <QAbstractItemModel>
#include <QStringList>

#include <optional>
#include <vector>

namespace clab::app {

struct PresetEntry {
    QString path;
    QString id;       // file name without .cclab
    QString name;     // the experiment's name, or the id when the file is invalid
    QString topic;
    QString description;
    QString prediction;
    QString error;    // why the file does not load (the entry is then disabled)
    std::optional<ExperimentSpec> spec;
};

// Folders searched, in order: $CLAB_PRESETS_DIR, <exe dir>/../share/concurrency-lab/presets,
// then the source tree's resources/presets (build-tree runs). Only existing folders are listed.
QStringList presetDirectories();
// Loads every preset; a preset id found in an earlier folder hides later ones.
std::vector<PresetEntry> scanPresets(const QStringList &directories);

class PresetModel : public QAbstractItemModel {
    Q_OBJECT
public:
    enum Roles {
        DescriptionRole = Qt::UserRole + 1,
        PathRole,
        PredictionRole,
        IsTopicRole,
        ErrorRole,
        IdRole,
    };

    explicit PresetModel(QObject *parent = nullptr);

    void setPresets(std::vector<PresetEntry> presets);
    void reload(); // scans presetDirectories() again
    int presetCount() const { return static_cast<int>(m_presets.size()); }
    const PresetEntry *preset(const QModelIndex &index) const;
    QModelIndex indexOfPath(const QString &path) const;
    QModelIndex indexOfId(const QString &id) const;

    QModelIndex index(int row, int column, const QModelIndex &parent = {}) const override;
    QModelIndex parent(const QModelIndex &child) const override;
    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    Qt::ItemFlags flags(const QModelIndex &index) const override;

private:
    struct Topic {
        QString name;
        std::vector<int> presets; // indices into m_presets
    };
    std::vector<PresetEntry> m_presets;
    std::vector<Topic> m_topics;
};

} // namespace clab::app
