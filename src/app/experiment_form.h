// The experiment editor (ui/experiment_form.ui): every field of ExperimentSpec, every family's parameters
// on a page of their own, validated as you type by model::validateExperiment (the file format's own
// rules), with undoable edits. Tabs, each scrolling on its own: what is changed most (execution,
// workers, length, the family's parameters) first; the workload and timing, the sweep, and the
// texts about the experiment behind.
#pragma once

#include "experiment_file.h"
#include "experiment_spec.h"

#include <QHash>
#include <QList>
#include <QVariant>
#include <QWidget>

#include <functional>
#include <memory>
#include <optional>
#include <vector>

class QLabel;
class QUndoStack;

namespace Ui {
class ExperimentForm;
}

namespace clab::app {

class ExperimentForm : public QWidget {
    Q_OBJECT
public:
    explicit ExperimentForm(QWidget *parent = nullptr);
    ~ExperimentForm() override;

    // Edits made by the user become commands on `stack` (nullptr: edits are not undoable).
    void setUndoStack(QUndoStack *stack);
    QUndoStack *undoStack() const { return m_undo; }

    // Shows an experiment (a new document: not an undoable edit). Every family's parameters are
    // shown, on their family's page, so switching the family and back keeps them.
    void setSpec(const ExperimentSpec &spec);
    // The experiment as the fields describe it, with every family's parameters (the file keeps
    // only the selected family's). Fields whose text does not parse contribute the value of the
    // last setSpec(); isValid() is false then.
    ExperimentSpec spec() const;
    bool isValid() const { return m_errors.isEmpty(); }
    // Problems as shown, with the JSON paths of the file format ("workers", "workload.cpuWork" …).
    QList<model::FieldError> errors() const { return m_errors; }

    // Fields are named by the file format's JSON paths. A "primitive.*" path means the parameter
    // of the selected family, as in a file: "primitive.pattern" is the semaphore's pattern while
    // the kind is semaphore and the event's while it is event. A sweep axis's values are the field
    // "sweep[N].values" (one per axis of the experiment last given to setSpec()).
    // The message shown beside the field with this path ("" when none).
    QString errorAt(const QString &path) const;
    // The editor for a path, e.g. "primitive.guard" → the guard combo box.
    QWidget *editorFor(const QString &path) const;
    // The paths of the fields on show: the common ones and the selected family's.
    QStringList fieldPaths() const;

    // Sets a field as if the user had typed or chosen it (one undoable command). Values: QString
    // for text fields, int for spin boxes and for combo boxes (the index), bool for check boxes.
    void editField(const QString &path, const QVariant &value);
    QVariant fieldValue(const QString &path) const;

    // What the variants and the sweep run, e.g. "Runs 18 points: 2 variants (same CPU, across
    // CPUs) × sweep over primitive.transport (3 values) × primitive.messageSize (3 values)"; empty
    // for an experiment that runs once.
    QString sweepSummary() const;

Q_SIGNALS:
    void validityChanged(bool valid);
    // Any change of content: a user edit, an undo or redo, or setSpec().
    void changed();

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;
    void changeEvent(QEvent *event) override;

private:
    friend class FieldEditCommand;
    struct Field {
        // Unique: the path, or "family:path" for a family's parameter ("semaphore:primitive.pattern").
        QString id;
        QString path;                        // JSON path, as the validator reports it
        std::optional<PrimitiveKind> family; // unset: a field of every experiment
        QString title;                       // for the undo text: "Edit Workers"
        QWidget *editor = nullptr;
        QLabel *error = nullptr;
        std::function<QVariant()> get;
        std::function<void(const QVariant &)> set;
        // Whether the field means anything with the other fields as they are (unset: always);
        // a field that does not is disabled, and its text is not checked.
        std::function<bool()> applies;
    };
    void addField(const QString &path, const QString &title, QWidget *editor, std::function<QVariant()> get,
                  std::function<void(const QVariant &)> set, std::optional<PrimitiveKind> family,
                  std::function<bool()> applies);
    Field *fieldById(const QString &id);
    const Field *fieldById(const QString &id) const;
    const Field *fieldOfEditor(const QWidget *editor) const;
    // The id of a field given by id, or by JSON path among the common fields and the selected
    // family's ("" when none).
    QString resolveId(const QString &path) const;
    bool isActive(const Field &f) const;
    PrimitiveKind currentKind() const;
    void userEdited(const QString &id);
    // Applies a value from an undo/redo command.
    void applyField(const QString &id, const QVariant &value);
    void updateEnabled();
    void revalidate();
    ExperimentSpec buildSpec(QList<model::FieldError> *parseErrors) const;
    // The id of the field an error with this JSON path is shown at ("" when none).
    QString fieldForErrorPath(const QString &path) const;
    void updateErrorColors();
    // One field per sweep axis of `spec`, replacing those of the previous experiment.
    void rebuildSweepFields(const ExperimentSpec &spec);
    void updateSweepSummary(const ExperimentSpec &spec, bool valid);
    // The tab an editor is on is brought forward (an undo shows what it changed).
    void revealEditor(QWidget *editor);

    std::unique_ptr<Ui::ExperimentForm> ui;
    std::vector<Field> m_fields;
    QHash<QString, QVariant> m_values; // by field id: last value each field was committed with
    QUndoStack *m_undo = nullptr;
    ExperimentSpec m_base; // values a field that does not parse falls back to
    QList<model::FieldError> m_errors;
    bool m_applying = false;
    bool m_valid = true;
};

// Text ↔ value helpers shared with tests: "2 s", "500ms", a bare number (seconds).
std::optional<std::uint64_t> parseDurationText(const QString &text, QString *error);
QString durationText(std::uint64_t ns);
// "64 B", "4 KiB", "1.5 MiB", a bare whole number (bytes), as in the file format.
std::optional<std::uint64_t> parseByteSizeText(const QString &text, QString *error);
// A sweep axis's values (compact JSON texts) as one line: text as it is ("pipe, 4 KiB"), other
// values as JSON ("64, true, [0,1]", and the text 64 quoted); and back, a value that is
// not JSON taken as text, as the runner's --set does. Commas inside quotes or brackets do not
// separate values.
QString sweepValuesText(const std::vector<std::string> &values);
std::optional<std::vector<std::string>> parseSweepValuesText(const QString &text, QString *error);

} // namespace clab::app
