// The experiment editor (ui/experiment_form.ui): every field of ExperimentSpec, validated as you type
// by model::validateExperiment (the file format's own rules), with undoable edits.
#pragma once

#include "experiment_file.h"
#include "experiment_spec.h"

#include <QHash>
#include <QList>
#include <QVariant>
#include <QWidget>

#include <functional>
#include <memory>
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

    // Shows an experiment (a new document: not an undoable edit).
    void setSpec(const ExperimentSpec &spec);
    // The experiment as the fields describe it. Fields whose text does not parse contribute
    // their last valid value; isValid() is false then.
    ExperimentSpec spec() const;
    bool isValid() const { return m_errors.isEmpty(); }
    // Problems as shown, with the JSON paths of the file format ("workers", "workload.cpuWork" …).
    QList<model::FieldError> errors() const { return m_errors; }
    // The message shown beside the field with this path ("" when none).
    QString errorAt(const QString &path) const;
    // The editor for a path, e.g. "primitive.guard" → the guard combo box.
    QWidget *editorFor(const QString &path) const;
    QStringList fieldPaths() const;

    // Sets a field as if the user had typed or chosen it (one undoable command). Values: QString
    // for text fields, int for spin boxes and for combo boxes (the index).
    void editField(const QString &path, const QVariant &value);
    QVariant fieldValue(const QString &path) const;

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
        QString path;
        QString title; // for the undo text: "Edit Workers"
        QWidget *editor = nullptr;
        QLabel *error = nullptr;
        std::function<QVariant()> get;
        std::function<void(const QVariant &)> set;
    };
    void addField(const QString &path, const QString &title, QWidget *editor, std::function<QVariant()> get,
                  std::function<void(const QVariant &)> set);
    Field *field(const QString &path);
    const Field *field(const QString &path) const;
    void userEdited(const QString &path);
    // Applies a value from an undo/redo command.
    void applyField(const QString &path, const QVariant &value);
    void updateEnabled();
    void revalidate();
    ExperimentSpec buildSpec(QList<model::FieldError> *parseErrors) const;
    QString fieldForErrorPath(const QString &path) const;
    void updateErrorColors();

    std::unique_ptr<Ui::ExperimentForm> ui;
    std::vector<Field> m_fields;
    QHash<QString, QVariant> m_values; // last value each field was committed with
    QUndoStack *m_undo = nullptr;
    ExperimentSpec m_base; // values a field that does not parse falls back to
    QList<model::FieldError> m_errors;
    bool m_applying = false;
    bool m_valid = true;
};

// Text ↔ value helpers shared with tests: "2 s", "500ms", a bare number (seconds).
std::optional<std::uint64_t> parseDurationText(const QString &text, QString *error);
QString durationText(std::uint64_t ns);

} // namespace clab::app
