// The experiment editor: field registry, undo commands, and validation through the model's rules.
#include "experiment_form.h"

#include "ui_experiment_form.h"

#include <QAction>
#include <QComboBox>
#include <QEvent>
#include <QFormLayout>
#include <QJsonValue>
#include <QKeyEvent>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QRegularExpression>
#include <QSpinBox>
#include <QStyle>
#include <QUndoCommand>
#include <QUndoStack>

namespace clab::app {

std::optional<std::uint64_t> parseDurationText(const QString &text, QString *error)
{
    const QString t = text.trimmed();
    if (t.isEmpty()) {
        if (error)
            *error = ExperimentForm::tr("required (e.g. 2 s, 500 ms, 100 us)");
        return std::nullopt;
    }
    bool isNumber = false;
    const double seconds = t.toDouble(&isNumber);
    QString parseError;
    // A bare number means seconds, as in the file format.
    const auto ns = isNumber ? model::parseDuration(QJsonValue(seconds), &parseError)
                             : model::parseDuration(QJsonValue(t), &parseError);
    if (!ns && error)
        *error = parseError;
    return ns;
}

QString durationText(std::uint64_t ns)
{
    return model::formatDuration(ns);
}

// One user edit of one field. Consecutive edits of the same field merge into one step, so undo
// takes back a whole word typed, not a letter.
class FieldEditCommand : public QUndoCommand {
public:
    FieldEditCommand(ExperimentForm *form, QString path, const QString &title, QVariant before, QVariant after)
        : QUndoCommand(ExperimentForm::tr("Edit %1").arg(title))
        , m_form(form)
        , m_path(std::move(path))
        , m_before(std::move(before))
        , m_after(std::move(after))
    {
    }
    int id() const override { return 0x434c4142; }
    bool mergeWith(const QUndoCommand *other) override
    {
        const auto *o = static_cast<const FieldEditCommand *>(other);
        if (o->m_path != m_path)
            return false;
        m_after = o->m_after;
        // Typed back to where it started: nothing left to undo.
        if (m_after == m_before)
            setObsolete(true);
        return true;
    }
    void undo() override { m_form->applyField(m_path, m_before); }
    void redo() override
    {
        if (m_first) { // the widget already shows the new value
            m_first = false;
            return;
        }
        m_form->applyField(m_path, m_after);
    }

private:
    ExperimentForm *m_form;
    QString m_path;
    QVariant m_before;
    QVariant m_after;
    bool m_first = true;
};

ExperimentForm::ExperimentForm(QWidget *parent)
    : QWidget(parent)
    , ui(std::make_unique<Ui::ExperimentForm>())
{
    ui->setupUi(this);
    ui->summaryLabel->hide();
    // Items carry their PrimitiveKind: families without a page of their own yet are added on demand.
    ui->primitiveCombo->setItemData(0, static_cast<int>(PrimitiveKind::LockContention));

    const auto text = [](QLineEdit *e) {
        return std::pair<std::function<QVariant()>, std::function<void(const QVariant &)>>{
            [e] { return QVariant(e->text()); }, [e](const QVariant &v) { e->setText(v.toString()); }};
    };
    const auto plain = [](QPlainTextEdit *e) {
        return std::pair<std::function<QVariant()>, std::function<void(const QVariant &)>>{
            [e] { return QVariant(e->toPlainText()); }, [e](const QVariant &v) { e->setPlainText(v.toString()); }};
    };
    const auto spin = [](QSpinBox *e) {
        return std::pair<std::function<QVariant()>, std::function<void(const QVariant &)>>{
            [e] { return QVariant(e->value()); }, [e](const QVariant &v) { e->setValue(v.toInt()); }};
    };
    const auto combo = [](QComboBox *e) {
        return std::pair<std::function<QVariant()>, std::function<void(const QVariant &)>>{
            [e] { return QVariant(e->currentIndex()); }, [e](const QVariant &v) { e->setCurrentIndex(v.toInt()); }};
    };
    const auto add = [this](const QString &path, const QString &title, QWidget *w, auto accessors) {
        addField(path, title, w, accessors.first, accessors.second);
    };
    add(QStringLiteral("name"), tr("Name"), ui->nameEdit, text(ui->nameEdit));
    add(QStringLiteral("topic"), tr("Topic"), ui->topicEdit, text(ui->topicEdit));
    add(QStringLiteral("description"), tr("Description"), ui->descriptionEdit, plain(ui->descriptionEdit));
    add(QStringLiteral("prediction"), tr("Prediction"), ui->predictionEdit, plain(ui->predictionEdit));
    add(QStringLiteral("execution"), tr("Execution"), ui->executionCombo, combo(ui->executionCombo));
    add(QStringLiteral("workers"), tr("Workers"), ui->workersSpin, spin(ui->workersSpin));
    add(QStringLiteral("lengthMode"), tr("Length"), ui->lengthModeCombo, combo(ui->lengthModeCombo));
    add(QStringLiteral("duration"), tr("Duration"), ui->durationEdit, text(ui->durationEdit));
    add(QStringLiteral("operations"), tr("Operations"), ui->operationsEdit, text(ui->operationsEdit));
    add(QStringLiteral("warmup"), tr("Warm-up"), ui->warmupEdit, text(ui->warmupEdit));
    add(QStringLiteral("sampleInterval"), tr("Sample interval"), ui->sampleIntervalEdit, text(ui->sampleIntervalEdit));
    add(QStringLiteral("placement"), tr("Placement"), ui->placementCombo, combo(ui->placementCombo));
    add(QStringLiteral("cpuList"), tr("CPU list"), ui->cpuListEdit, text(ui->cpuListEdit));
    add(QStringLiteral("primitive.kind"), tr("Primitive"), ui->primitiveCombo, combo(ui->primitiveCombo));
    add(QStringLiteral("primitive.guard"), tr("Guard"), ui->guardCombo, combo(ui->guardCombo));
    add(QStringLiteral("primitive.timingSampleEvery"), tr("Timing sample"), ui->timingSampleEverySpin,
        spin(ui->timingSampleEverySpin));
    add(QStringLiteral("workload.cpuWork"), tr("CPU work"), ui->cpuWorkEdit, text(ui->cpuWorkEdit));
    add(QStringLiteral("workload.criticalSection"), tr("Critical section"), ui->criticalSectionEdit,
        text(ui->criticalSectionEdit));
    add(QStringLiteral("workload.thinkTime"), tr("Think time"), ui->thinkTimeEdit, text(ui->thinkTimeEdit));
    add(QStringLiteral("workload.ioWait"), tr("IO wait"), ui->ioWaitEdit, text(ui->ioWaitEdit));

    // Editors' own signals that report user edits (programmatic changes are filtered by m_applying).
    const auto connectField = [this](const QString &path, QWidget *w) {
        if (auto *l = qobject_cast<QLineEdit *>(w))
            connect(l, &QLineEdit::textEdited, this, [this, path] { userEdited(path); });
        else if (auto *p = qobject_cast<QPlainTextEdit *>(w))
            connect(p, &QPlainTextEdit::textChanged, this, [this, path] { userEdited(path); });
        else if (auto *s = qobject_cast<QSpinBox *>(w))
            connect(s, &QSpinBox::valueChanged, this, [this, path] { userEdited(path); });
        else if (auto *c = qobject_cast<QComboBox *>(w))
            connect(c, &QComboBox::currentIndexChanged, this, [this, path] { userEdited(path); });
    };
    for (const Field &f : m_fields)
        connectField(f.path, f.editor);

    setSpec(ExperimentSpec{});
}

ExperimentForm::~ExperimentForm() = default;

void ExperimentForm::addField(const QString &path, const QString &title, QWidget *editor, std::function<QVariant()> get,
                              std::function<void(const QVariant &)> set)
{
    Field f;
    f.path = path;
    f.title = title;
    f.editor = editor;
    f.get = std::move(get);
    f.set = std::move(set);
    // The error goes right under its field, in the field column of the same form layout.
    auto *error = new QLabel(this);
    error->setObjectName(editor->objectName() + QStringLiteral("Error"));
    error->setWordWrap(true);
    error->setTextInteractionFlags(Qt::TextSelectableByMouse);
    error->hide();
    f.error = error;
    for (QFormLayout *layout : findChildren<QFormLayout *>()) {
        int row = -1;
        QFormLayout::ItemRole role{};
        layout->getWidgetPosition(editor, &row, &role);
        if (row >= 0) {
            layout->insertRow(row + 1, QString(), error);
            break;
        }
    }
    editor->setProperty("baseToolTip", editor->toolTip());
    editor->installEventFilter(this);
    if (auto *spinBox = qobject_cast<QSpinBox *>(editor)) {
        if (auto *inner = spinBox->findChild<QLineEdit *>())
            inner->installEventFilter(this);
    }
    if (auto *p = qobject_cast<QPlainTextEdit *>(editor))
        p->setUndoRedoEnabled(false); // the form's undo stack owns undo
    m_fields.push_back(std::move(f));
    updateErrorColors();
}

ExperimentForm::Field *ExperimentForm::field(const QString &path)
{
    for (Field &f : m_fields) {
        if (f.path == path)
            return &f;
    }
    return nullptr;
}

const ExperimentForm::Field *ExperimentForm::field(const QString &path) const
{
    for (const Field &f : m_fields) {
        if (f.path == path)
            return &f;
    }
    return nullptr;
}

QStringList ExperimentForm::fieldPaths() const
{
    QStringList out;
    for (const Field &f : m_fields)
        out << f.path;
    return out;
}

QWidget *ExperimentForm::editorFor(const QString &path) const
{
    const Field *f = field(fieldForErrorPath(path));
    return f ? f->editor : nullptr;
}

QString ExperimentForm::errorAt(const QString &path) const
{
    const Field *f = field(fieldForErrorPath(path));
    return f && !f->error->isHidden() ? f->error->text() : QString();
}

void ExperimentForm::setUndoStack(QUndoStack *stack)
{
    m_undo = stack;
}

void ExperimentForm::setSpec(const ExperimentSpec &s)
{
    m_applying = true;
    m_base = s;
    ui->nameEdit->setText(QString::fromStdString(s.name));
    ui->topicEdit->setText(QString::fromStdString(s.topic));
    ui->descriptionEdit->setPlainText(QString::fromStdString(s.description));
    ui->predictionEdit->setPlainText(QString::fromStdString(s.prediction));
    ui->executionCombo->setCurrentIndex(static_cast<int>(s.execution));
    ui->workersSpin->setValue(static_cast<int>(std::min<std::uint32_t>(s.workers, 99999)));
    const bool byOps = s.operationsPerWorker != 0;
    ui->lengthModeCombo->setCurrentIndex(byOps ? 1 : 0);
    ui->durationEdit->setText(byOps ? durationText(ExperimentSpec{}.durationNs) : durationText(s.durationNs));
    ui->operationsEdit->setText(byOps ? QString::number(s.operationsPerWorker) : QStringLiteral("1000000"));
    ui->warmupEdit->setText(durationText(s.warmupNs));
    ui->sampleIntervalEdit->setText(durationText(s.sampleIntervalNs));
    ui->placementCombo->setCurrentIndex(static_cast<int>(s.placement));
    QStringList cpus;
    for (int c : s.cpuList)
        cpus << QString::number(c);
    ui->cpuListEdit->setText(cpus.join(QStringLiteral(", ")));
    int kindIndex = ui->primitiveCombo->findData(static_cast<int>(s.primitive));
    if (kindIndex < 0) {
        // A family this form has no fields for: show it, and pass its parameters through unchanged
        // (never a silently different experiment).
        ui->primitiveCombo->addItem(tr("%1 (parameters as in the file)").arg(QString::fromLatin1(toString(s.primitive))),
                                    static_cast<int>(s.primitive));
        kindIndex = ui->primitiveCombo->count() - 1;
    }
    ui->primitiveCombo->setCurrentIndex(kindIndex);
    ui->guardCombo->setCurrentIndex(static_cast<int>(s.lock.guard));
    ui->timingSampleEverySpin->setValue(static_cast<int>(std::min<std::uint32_t>(s.lock.timingSampleEvery, 99999999)));
    ui->cpuWorkEdit->setText(durationText(s.workload.cpuWorkNs));
    ui->criticalSectionEdit->setText(durationText(s.workload.criticalSectionNs));
    ui->thinkTimeEdit->setText(durationText(s.workload.thinkTimeNs));
    ui->ioWaitEdit->setText(durationText(s.workload.ioWaitNs));
    m_values.clear();
    for (const Field &f : m_fields)
        m_values.insert(f.path, f.get());
    m_applying = false;
    updateEnabled();
    revalidate();
    Q_EMIT changed();
}

void ExperimentForm::editField(const QString &path, const QVariant &value)
{
    Field *f = field(path);
    if (!f)
        return;
    m_applying = true;
    f->set(value);
    m_applying = false;
    userEdited(path);
}

QVariant ExperimentForm::fieldValue(const QString &path) const
{
    const Field *f = field(path);
    return f ? f->get() : QVariant();
}

void ExperimentForm::userEdited(const QString &path)
{
    if (m_applying)
        return;
    Field *f = field(path);
    if (!f)
        return;
    const QVariant before = m_values.value(path);
    const QVariant after = f->get();
    if (before == after)
        return;
    m_values.insert(path, after);
    if (m_undo)
        m_undo->push(new FieldEditCommand(this, path, f->title, before, after));
    updateEnabled();
    revalidate();
    Q_EMIT changed();
}

void ExperimentForm::applyField(const QString &path, const QVariant &value)
{
    Field *f = field(path);
    if (!f)
        return;
    m_applying = true;
    f->set(value);
    m_applying = false;
    m_values.insert(path, value);
    updateEnabled();
    revalidate();
    // Show the user what the undo or redo changed.
    if (isVisible())
        f->editor->setFocus(Qt::OtherFocusReason);
    Q_EMIT changed();
}

void ExperimentForm::updateEnabled()
{
    const bool byOps = ui->lengthModeCombo->currentIndex() == 1;
    ui->durationEdit->setEnabled(!byOps);
    ui->operationsEdit->setEnabled(byOps);
    ui->cpuListEdit->setEnabled(ui->placementCombo->currentIndex() == static_cast<int>(PlacementPolicy::CpuList));
    // Timing only matters where there is a lock to acquire.
    const bool lock = ui->primitiveCombo->currentData().toInt() == static_cast<int>(PrimitiveKind::LockContention);
    const auto guard = static_cast<Guard>(ui->guardCombo->currentIndex());
    ui->guardCombo->setEnabled(lock);
    ui->timingSampleEverySpin->setEnabled(lock && (guard == Guard::Mutex || guard == Guard::Spinlock));
}

ExperimentSpec ExperimentForm::buildSpec(QList<model::FieldError> *parseErrors) const
{
    ExperimentSpec s = m_base;
    const auto fail = [parseErrors](const QString &path, const QString &message) {
        if (parseErrors)
            parseErrors->append({path, message});
    };
    s.name = ui->nameEdit->text().toStdString();
    s.topic = ui->topicEdit->text().toStdString();
    s.description = ui->descriptionEdit->toPlainText().toStdString();
    s.prediction = ui->predictionEdit->toPlainText().toStdString();
    s.execution = static_cast<ExecutionModel>(std::max(0, ui->executionCombo->currentIndex()));
    s.workers = static_cast<std::uint32_t>(std::max(0, ui->workersSpin->value()));

    const auto duration = [&](QLineEdit *e, const QString &path, std::uint64_t &out, bool emptyIsZero) {
        if (emptyIsZero && e->text().trimmed().isEmpty()) {
            out = 0;
            return;
        }
        QString error;
        if (const auto ns = parseDurationText(e->text(), &error))
            out = *ns;
        else
            fail(path, error);
    };
    if (ui->lengthModeCombo->currentIndex() == 1) {
        s.durationNs = 0;
        QString t = ui->operationsEdit->text().trimmed();
        t.remove(QLatin1Char('_')).remove(QLatin1Char(' ')).remove(QChar(0x2009)).remove(QLatin1Char(','));
        bool ok = false;
        const qulonglong n = t.toULongLong(&ok);
        if (!ok || n == 0)
            fail(QStringLiteral("operations"), t.isEmpty() ? tr("required: operations per worker, e.g. 1000000")
                                                           : tr("must be a whole number of operations, at least 1"));
        else
            s.operationsPerWorker = n;
        if (!ok || n == 0)
            s.operationsPerWorker = m_base.operationsPerWorker != 0 ? m_base.operationsPerWorker : 1;
    } else {
        s.operationsPerWorker = 0;
        if (s.durationNs == 0)
            s.durationNs = ExperimentSpec{}.durationNs;
        duration(ui->durationEdit, QStringLiteral("duration"), s.durationNs, false);
    }
    duration(ui->warmupEdit, QStringLiteral("warmup"), s.warmupNs, true);
    duration(ui->sampleIntervalEdit, QStringLiteral("sampleInterval"), s.sampleIntervalNs, false);

    s.placement = static_cast<PlacementPolicy>(std::max(0, ui->placementCombo->currentIndex()));
    s.cpuList.clear();
    if (s.placement == PlacementPolicy::CpuList) {
        const QStringList parts =
            ui->cpuListEdit->text().split(QRegularExpression(QStringLiteral("[,;\\s]+")), Qt::SkipEmptyParts);
        for (const QString &p : parts) {
            bool ok = false;
            const int cpu = p.toInt(&ok);
            if (!ok) {
                fail(QStringLiteral("placement"), tr("\"%1\" is not a CPU number; list CPUs like 0, 2, 3").arg(p));
                continue;
            }
            s.cpuList.push_back(cpu);
        }
    }
    s.primitive = static_cast<PrimitiveKind>(ui->primitiveCombo->currentData().toInt());
    s.lock.guard = static_cast<Guard>(std::max(0, ui->guardCombo->currentIndex()));
    s.lock.timingSampleEvery = static_cast<std::uint32_t>(std::max(0, ui->timingSampleEverySpin->value()));
    duration(ui->cpuWorkEdit, QStringLiteral("workload.cpuWork"), s.workload.cpuWorkNs, true);
    duration(ui->criticalSectionEdit, QStringLiteral("workload.criticalSection"), s.workload.criticalSectionNs, true);
    duration(ui->thinkTimeEdit, QStringLiteral("workload.thinkTime"), s.workload.thinkTimeNs, true);
    duration(ui->ioWaitEdit, QStringLiteral("workload.ioWait"), s.workload.ioWaitNs, true);
    return s;
}

ExperimentSpec ExperimentForm::spec() const
{
    return buildSpec(nullptr);
}

QString ExperimentForm::fieldForErrorPath(const QString &path) const
{
    // "placement[1]" belongs to the CPU list; "primitive.kind" etc. map one to one.
    if (path.startsWith(QLatin1String("placement[")))
        return QStringLiteral("cpuList");
    if (path == QLatin1String("placement") && ui->placementCombo->currentIndex() == static_cast<int>(PlacementPolicy::CpuList))
        return QStringLiteral("cpuList");
    return path;
}

void ExperimentForm::revalidate()
{
    QList<model::FieldError> parseErrors;
    const ExperimentSpec s = buildSpec(&parseErrors);
    // One implementation of the rules: the file format's validator.
    QList<model::FieldError> errors = model::validateExperiment(s);
    // A field that does not parse has no value to check: its parse error replaces the rule's.
    errors.removeIf([&parseErrors](const model::FieldError &e) {
        return std::any_of(parseErrors.cbegin(), parseErrors.cend(),
                           [&e](const model::FieldError &p) { return p.path == e.path; });
    });
    errors = parseErrors + errors;
    m_errors = errors;

    QHash<QString, QStringList> byField;
    QStringList unplaced;
    for (const model::FieldError &e : std::as_const(errors)) {
        const QString f = fieldForErrorPath(e.path);
        if (field(f))
            byField[f] << (e.path.startsWith(QLatin1String("placement[")) ? e.toString() : e.message);
        else
            unplaced << e.toString();
    }
    const QIcon warning = style()->standardIcon(QStyle::SP_MessageBoxWarning);
    for (Field &f : m_fields) {
        const QStringList msgs = byField.value(f.path);
        const bool bad = !msgs.isEmpty();
        if (bad)
            f.error->setText(QStringLiteral("⚠ ") + msgs.join(QStringLiteral("\n⚠ ")));
        f.error->setVisible(bad);
        f.editor->setProperty("invalid", bad);
        f.editor->setAccessibleDescription(bad ? msgs.join(QLatin1Char(' ')) : QString());
        f.editor->setToolTip(bad ? msgs.join(QLatin1Char('\n')) : f.editor->property("baseToolTip").toString());
        if (auto *line = qobject_cast<QLineEdit *>(f.editor)) {
            // A warning sign inside the field as well, visible even when the label scrolls away.
            QAction *mark = line->property("errorAction").value<QAction *>();
            if (bad && !mark) {
                mark = line->addAction(warning, QLineEdit::TrailingPosition);
                line->setProperty("errorAction", QVariant::fromValue(mark));
            }
            if (mark)
                mark->setVisible(bad);
        }
    }
    if (errors.isEmpty()) {
        ui->summaryLabel->hide();
    } else {
        QString text = errors.size() == 1 ? tr("⚠ One problem to fix before the experiment can run.")
                                          : tr("⚠ %1 problems to fix before the experiment can run.").arg(errors.size());
        for (const QString &u : std::as_const(unplaced))
            text += QStringLiteral("<br>") + u.toHtmlEscaped();
        ui->summaryLabel->setText(text);
        ui->summaryLabel->show();
    }
    const bool valid = errors.isEmpty();
    if (valid != m_valid) {
        m_valid = valid;
        Q_EMIT validityChanged(valid);
    }
}

void ExperimentForm::updateErrorColors()
{
    // Readable red on both light and dark backgrounds.
    const bool dark = palette().color(QPalette::Window).lightness() < 128;
    QPalette pal = palette();
    pal.setColor(QPalette::WindowText, dark ? QColor(0xff, 0x8a, 0x80) : QColor(0xb0, 0x00, 0x20));
    for (Field &f : m_fields)
        f.error->setPalette(pal);
    ui->summaryLabel->setPalette(pal);
}

void ExperimentForm::changeEvent(QEvent *event)
{
    QWidget::changeEvent(event);
    if (event->type() == QEvent::PaletteChange)
        updateErrorColors();
}

bool ExperimentForm::eventFilter(QObject *watched, QEvent *event)
{
    // Let Ctrl+Z / Ctrl+Shift+Z reach the window's undo actions instead of the editors' own undo.
    if (event->type() == QEvent::ShortcutOverride) {
        auto *key = static_cast<QKeyEvent *>(event);
        if (key->matches(QKeySequence::Undo) || key->matches(QKeySequence::Redo)) {
            event->ignore();
            return true;
        }
    }
    return QWidget::eventFilter(watched, event);
}

} // namespace clab::app
