// Preset discovery and the two-level (topic → preset) gallery model.
#include "preset_model.h"

#include "experiment_file.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QSet>

#include <algorithm>

#ifndef CLAB_SOURCE_PRESETS_DIR
#define CLAB_SOURCE_PRESETS_DIR ""
#endif

namespace clab::app {

namespace {
// Topics in the order of the course (DESIGN.md); others follow alphabetically.
const QStringList kCourseOrder{
    QStringLiteral("Shared memory"), QStringLiteral("IPC"),    QStringLiteral("Semaphores"),
    QStringLiteral("Threads"),       QStringLiteral("Critical sections"), QStringLiteral("Events"),
    QStringLiteral("Locks"),         QStringLiteral("GIL"),    QStringLiteral("Performance")};

int courseRank(const QString &topic)
{
    for (qsizetype i = 0; i < kCourseOrder.size(); ++i) {
        if (topic.compare(kCourseOrder[i], Qt::CaseInsensitive) == 0)
            return static_cast<int>(i);
    }
    return static_cast<int>(kCourseOrder.size());
}

constexpr quintptr kTopicId = 0; // internalId of topic rows; preset rows carry topic row + 1
} // namespace

QStringList presetDirectories()
{
    QStringList dirs;
    const QString env = qEnvironmentVariable("CLAB_PRESETS_DIR");
    if (!env.isEmpty())
        dirs << env;
    dirs << QDir(QCoreApplication::applicationDirPath()).filePath(QStringLiteral("../share/concurrency-lab/presets"));
    const QString source = QStringLiteral(CLAB_SOURCE_PRESETS_DIR);
    if (!source.isEmpty())
        dirs << source;
    QStringList existing;
    for (const QString &d : dirs) {
        const QString clean = QDir::cleanPath(d);
        if (QFileInfo(clean).isDir() && !existing.contains(clean))
            existing << clean;
    }
    return existing;
}

std::vector<PresetEntry> scanPresets(const QStringList &directories)
{
    std::vector<PresetEntry> out;
    QSet<QString> seen;
    for (const QString &dir : directories) {
        const QFileInfoList files = QDir(dir).entryInfoList({QStringLiteral("*.cclab")}, QDir::Files, QDir::Name);
        for (const QFileInfo &fi : files) {
            const QString id = fi.completeBaseName();
            if (seen.contains(id))
                continue;
            seen.insert(id);
            PresetEntry e;
            e.path = fi.absoluteFilePath();
            e.id = id;
            const model::ExperimentLoad load = model::loadExperiment(e.path);
            if (load.ok()) {
                e.spec = load.spec;
                e.name = QString::fromStdString(load.spec->name);
                e.topic = QString::fromStdString(load.spec->topic);
                e.description = QString::fromStdString(load.spec->description);
                e.prediction = QString::fromStdString(load.spec->prediction);
            } else {
                e.name = id;
                e.error = load.errorText();
            }
            if (e.topic.trimmed().isEmpty())
                e.topic = QCoreApplication::translate("clab", "Other");
            out.push_back(std::move(e));
        }
    }
    return out;
}

PresetModel::PresetModel(QObject *parent)
    : QAbstractItemModel(parent)
{
}

void PresetModel::reload()
{
    setPresets(scanPresets(presetDirectories()));
}

void PresetModel::setPresets(std::vector<PresetEntry> presets)
{
    beginResetModel();
    m_presets = std::move(presets);
    m_topics.clear();
    for (std::size_t i = 0; i < m_presets.size(); ++i) {
        const QString &topic = m_presets[i].topic;
        auto it = std::find_if(m_topics.begin(), m_topics.end(), [&](const Topic &t) { return t.name == topic; });
        if (it == m_topics.end()) {
            m_topics.push_back({topic, {}});
            it = std::prev(m_topics.end());
        }
        it->presets.push_back(static_cast<int>(i));
    }
    std::stable_sort(m_topics.begin(), m_topics.end(), [](const Topic &a, const Topic &b) {
        const int ra = courseRank(a.name), rb = courseRank(b.name);
        return ra != rb ? ra < rb : a.name.localeAwareCompare(b.name) < 0;
    });
    for (Topic &t : m_topics) {
        std::stable_sort(t.presets.begin(), t.presets.end(), [this](int a, int b) {
            return m_presets[static_cast<std::size_t>(a)].name.localeAwareCompare(m_presets[static_cast<std::size_t>(b)].name) < 0;
        });
    }
    endResetModel();
}

const PresetEntry *PresetModel::preset(const QModelIndex &index) const
{
    if (!index.isValid() || index.model() != this || index.internalId() == kTopicId)
        return nullptr;
    const auto topic = static_cast<std::size_t>(index.internalId() - 1);
    if (topic >= m_topics.size())
        return nullptr;
    const std::vector<int> &rows = m_topics[topic].presets;
    if (index.row() < 0 || index.row() >= static_cast<int>(rows.size()))
        return nullptr;
    return &m_presets[static_cast<std::size_t>(rows[static_cast<std::size_t>(index.row())])];
}

QModelIndex PresetModel::indexOfPath(const QString &path) const
{
    const QString canonical = QFileInfo(path).canonicalFilePath();
    for (std::size_t t = 0; t < m_topics.size(); ++t) {
        for (std::size_t r = 0; r < m_topics[t].presets.size(); ++r) {
            const PresetEntry &e = m_presets[static_cast<std::size_t>(m_topics[t].presets[r])];
            if (QFileInfo(e.path).canonicalFilePath() == canonical)
                return createIndex(static_cast<int>(r), 0, quintptr(t + 1));
        }
    }
    return {};
}

QModelIndex PresetModel::indexOfId(const QString &id) const
{
    for (std::size_t t = 0; t < m_topics.size(); ++t) {
        for (std::size_t r = 0; r < m_topics[t].presets.size(); ++r) {
            if (m_presets[static_cast<std::size_t>(m_topics[t].presets[r])].id == id)
                return createIndex(static_cast<int>(r), 0, quintptr(t + 1));
        }
    }
    return {};
}

QModelIndex PresetModel::index(int row, int column, const QModelIndex &parent) const
{
    if (row < 0 || column != 0)
        return {};
    if (!parent.isValid())
        return row < static_cast<int>(m_topics.size()) ? createIndex(row, 0, kTopicId) : QModelIndex();
    if (parent.internalId() != kTopicId || parent.row() >= static_cast<int>(m_topics.size()))
        return {};
    const Topic &t = m_topics[static_cast<std::size_t>(parent.row())];
    if (row >= static_cast<int>(t.presets.size()))
        return {};
    return createIndex(row, 0, quintptr(parent.row()) + 1);
}

QModelIndex PresetModel::parent(const QModelIndex &child) const
{
    if (!child.isValid() || child.internalId() == kTopicId)
        return {};
    return createIndex(static_cast<int>(child.internalId() - 1), 0, kTopicId);
}

int PresetModel::rowCount(const QModelIndex &parent) const
{
    if (!parent.isValid())
        return static_cast<int>(m_topics.size());
    if (parent.column() != 0 || parent.internalId() != kTopicId)
        return 0;
    const auto t = static_cast<std::size_t>(parent.row());
    return t < m_topics.size() ? static_cast<int>(m_topics[t].presets.size()) : 0;
}

int PresetModel::columnCount(const QModelIndex &) const
{
    return 1;
}

Qt::ItemFlags PresetModel::flags(const QModelIndex &index) const
{
    if (!index.isValid())
        return Qt::NoItemFlags;
    if (index.internalId() == kTopicId)
        return Qt::ItemIsEnabled;
    const PresetEntry *e = preset(index);
    if (!e)
        return Qt::NoItemFlags;
    // An invalid preset stays visible (with its error) but cannot be chosen.
    return e->error.isEmpty() ? Qt::ItemIsEnabled | Qt::ItemIsSelectable | Qt::ItemNeverHasChildren
                              : Qt::ItemNeverHasChildren;
}

QVariant PresetModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid))
        return {};
    if (index.internalId() == kTopicId) {
        const Topic &t = m_topics[static_cast<std::size_t>(index.row())];
        switch (role) {
        case Qt::DisplayRole: return t.name;
        case IsTopicRole: return true;
        case Qt::ToolTipRole:
            return t.presets.size() == 1 ? tr("One experiment about %1").arg(t.name)
                                         : tr("%1 experiments about %2").arg(t.presets.size()).arg(t.name);
        default: return {};
        }
    }
    const PresetEntry *e = preset(index);
    if (!e)
        return {};
    switch (role) {
    case Qt::DisplayRole: return e->name;
    case DescriptionRole: return e->error.isEmpty() ? e->description : tr("Cannot be loaded: %1").arg(e->error);
    case PathRole: return e->path;
    case PredictionRole: return e->prediction;
    case IsTopicRole: return false;
    case ErrorRole: return e->error;
    case IdRole: return e->id;
    case Qt::ToolTipRole: {
        QString tip = QStringLiteral("<b>") + e->name.toHtmlEscaped() + QStringLiteral("</b>");
        if (!e->description.isEmpty())
            tip += QStringLiteral("<p>") + e->description.toHtmlEscaped() + QStringLiteral("</p>");
        if (!e->prediction.isEmpty())
            tip += QStringLiteral("<p><i>") + tr("Prediction:") + QStringLiteral("</i> ") + e->prediction.toHtmlEscaped()
                + QStringLiteral("</p>");
        if (!e->error.isEmpty())
            tip += QStringLiteral("<p>") + e->error.toHtmlEscaped() + QStringLiteral("</p>");
        tip += QStringLiteral("<p><small>") + QDir::toNativeSeparators(e->path).toHtmlEscaped() + QStringLiteral("</small></p>");
        return tip;
    }
    default: return {};
    }
}

} // namespace clab::app
