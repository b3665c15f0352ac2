// The experiment editor: field registry, one page of parameters per family, undo commands, and
// validation through the model's rules.
#include "experiment_form.h"

#include "ui_experiment_form.h"

#include <QAction>
#include <QCheckBox>
#include <QComboBox>
#include <QEvent>
#include <QFormLayout>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonValue>
#include <QKeyEvent>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QRegularExpression>
#include <QSpinBox>
#include <QStyle>
#include <QTabWidget>
#include <QUndoCommand>
#include <QUndoStack>

#include <array>
#include <cmath>
#include <initializer_list>
#include <limits>

namespace clab::app {

namespace {

// A field's text through the file format's own parser: empty is an error that shows an example; a
// bare number is read as the JSON number the format takes (seconds, bytes), anything else as the
// format's "<number> <unit>" string.
template<class Parse>
std::optional<std::uint64_t> parseFieldText(const QString &text, const QString &example, bool integerOnly, Parse parse,
                                            QString *error)
{
    const QString t = text.trimmed();
    if (t.isEmpty()) {
        if (error)
            *error = ExperimentForm::tr("required (e.g. %1)").arg(example);
        return std::nullopt;
    }
    bool isNumber = false;
    QJsonValue value(t);
    if (integerOnly) {
        const qlonglong n = t.toLongLong(&isNumber);
        if (isNumber)
            value = QJsonValue(n);
    } else {
        const double d = t.toDouble(&isNumber);
        if (isNumber)
            value = QJsonValue(d);
    }
    QString parseError;
    const std::optional<std::uint64_t> parsed = parse(value, &parseError);
    if (!parsed && error)
        *error = parseError;
    return parsed;
}

} // namespace

std::optional<std::uint64_t> parseDurationText(const QString &text, QString *error)
{
    // A bare number means seconds, as in the file format.
    return parseFieldText(text, QStringLiteral("2 s, 500 ms, 100 us"), false, model::parseDuration, error);
}

QString durationText(std::uint64_t ns)
{
    return model::formatDuration(ns);
}

std::optional<std::uint64_t> parseByteSizeText(const QString &text, QString *error)
{
    // A bare whole number means bytes, as in the file format.
    return parseFieldText(text, QStringLiteral("64 B, 4 KiB"), true, model::parseByteSize, error);
}

QString sweepValuesText(const std::vector<std::string> &values)
{
    static const QRegularExpression special(QStringLiteral("[,\"\\[\\]{}]"));
    QStringList parts;
    parts.reserve(static_cast<qsizetype>(values.size()));
    for (const std::string &text : values) {
        const auto value = model::detail::parseJsonText(text);
        if (!value) { // only possible in memory; the validator names it
            parts << QString::fromStdString(text);
            continue;
        }
        // Text bare where it reads back as the same text, so "pipe" but "\"64\"" (64 is a number).
        if (value->isString()) {
            const QString t = value->toString();
            if (!t.isEmpty() && t == t.trimmed() && !t.contains(special) && model::overrideValue(t).isString()) {
                parts << t;
                continue;
            }
        }
        parts << QString::fromStdString(model::detail::jsonText(*value));
    }
    return parts.join(QStringLiteral(", "));
}

std::optional<std::vector<std::string>> parseSweepValuesText(const QString &text, QString *error)
{
    QStringList items;
    QString current;
    int depth = 0;
    bool quoted = false;
    bool escaped = false;
    for (const QChar c : text) {
        if (quoted) {
            if (escaped)
                escaped = false;
            else if (c == QLatin1Char('\\'))
                escaped = true;
            else if (c == QLatin1Char('"'))
                quoted = false;
        } else if (c == QLatin1Char('"')) {
            quoted = true;
        } else if (c == QLatin1Char('[') || c == QLatin1Char('{')) {
            ++depth;
        } else if ((c == QLatin1Char(']') || c == QLatin1Char('}')) && depth > 0) {
            --depth;
        } else if (c == QLatin1Char(',') && depth == 0) {
            items << current;
            current.clear();
            continue;
        }
        current += c;
    }
    if (quoted || depth != 0) {
        if (error)
            *error =
                ExperimentForm::tr("a quote or a bracket is not closed; separate values with commas, e.g. pipe, fifo");
        return std::nullopt;
    }
    items << current;
    std::vector<std::string> out;
    for (const QString &item : std::as_const(items)) {
        const QString t = item.trimmed();
        if (!t.isEmpty())
            out.push_back(model::detail::jsonText(model::overrideValue(t)));
    }
    return out;
}

namespace {

// Combo boxes whose items are not in the enumeration's order carry the value as item data.
template<typename E> void setChoices(QComboBox *combo, std::initializer_list<E> values)
{
    Q_ASSERT(combo->count() == static_cast<int>(values.size()));
    int i = 0;
    for (const E v : values)
        combo->setItemData(i++, static_cast<int>(v));
}

template<typename E> E choice(const QComboBox *combo, E fallback)
{
    const QVariant v = combo->currentData();
    return v.isValid() ? static_cast<E>(v.toInt()) : fallback;
}

// A value with no item (only possible in memory) leaves no item selected; the validator then
// sees the fallback of choice(), the value as it was.
template<typename E> void choose(QComboBox *combo, E value)
{
    combo->setCurrentIndex(combo->findData(static_cast<int>(value)));
}

void setSpinValue(QSpinBox *spin, std::uint64_t value)
{
    spin->setValue(static_cast<int>(std::min<std::uint64_t>(value, static_cast<std::uint64_t>(spin->maximum()))));
}

std::uint32_t spinValue(const QSpinBox *spin)
{
    return static_cast<std::uint32_t>(std::max(0, spin->value()));
}

// Doubles hold every integer up to 2^53 exactly.
constexpr double kMaxExactInteger = 9007199254740992.0;

QString numberText(double d)
{
    if (std::isfinite(d) && d == std::trunc(d) && std::fabs(d) <= kMaxExactInteger)
        return QString::number(static_cast<qint64>(d));
    return QString::number(d, 'g', QLocale::FloatingPointShortest);
}

QString numberListText(const std::vector<double> &values)
{
    QStringList parts;
    parts.reserve(static_cast<qsizetype>(values.size()));
    for (const double d : values)
        parts << numberText(d);
    return parts.join(QStringLiteral(", "));
}

// Numbers separated by commas, semicolons or spaces. Whether each fits the element type is the
// validator's to say; here only what is not a number at all, or a whole number a double cannot
// hold exactly (it would silently become another one).
std::optional<std::vector<double>> parseNumberList(const QString &text, bool wholeNumbers, QString *error)
{
    static const QRegularExpression separators(QStringLiteral("[,;\\s]+"));
    const QStringList parts = text.split(separators, Qt::SkipEmptyParts);
    std::vector<double> out;
    out.reserve(static_cast<std::size_t>(parts.size()));
    for (const QString &p : parts) {
        bool ok = false;
        const double d = p.toDouble(&ok);
        if (!ok) {
            *error = ExperimentForm::tr("\"%1\" is not a number; list values like 1, 2, 3").arg(p);
            return std::nullopt;
        }
        bool isInteger = false;
        const qlonglong n = p.toLongLong(&isInteger);
        if (wholeNumbers && isInteger && std::fabs(d) <= kMaxExactInteger && static_cast<qlonglong>(d) != n) {
            *error = ExperimentForm::tr("%1 cannot be kept exactly (whole numbers up to %2)")
                         .arg(p, QString::number(static_cast<qint64>(kMaxExactInteger)));
            return std::nullopt;
        }
        out.push_back(d);
    }
    return out;
}

QString fractionText(double d)
{
    return QString::number(d, 'g', QLocale::FloatingPointShortest);
}

} // namespace

// One user edit of one field. Consecutive edits of the same field merge into one step, so undo
// takes back a whole word typed, not a letter.
class FieldEditCommand : public QUndoCommand {
public:
    FieldEditCommand(ExperimentForm *form, QString fieldId, const QString &title, QVariant before, QVariant after)
        : QUndoCommand(ExperimentForm::tr("Edit %1").arg(title))
        , m_form(form)
        , m_fieldId(std::move(fieldId))
        , m_before(std::move(before))
        , m_after(std::move(after))
    {}
    int id() const override { return 0x434c4142; }
    bool mergeWith(const QUndoCommand *other) override
    {
        const auto *o = static_cast<const FieldEditCommand *>(other);
        if (o->m_fieldId != m_fieldId)
            return false;
        m_after = o->m_after;
        // Typed back to where it started: nothing left to undo.
        if (m_after == m_before)
            setObsolete(true);
        return true;
    }
    void undo() override { m_form->applyField(m_fieldId, m_before); }
    void redo() override
    {
        if (m_first) { // the widget already shows the new value
            m_first = false;
            return;
        }
        m_form->applyField(m_fieldId, m_after);
    }

private:
    ExperimentForm *m_form;
    QString m_fieldId;
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
    setChoices(ui->primitiveCombo, {PrimitiveKind::LockContention, PrimitiveKind::SharedValue,
                                    PrimitiveKind::MessagePassing, PrimitiveKind::Semaphore, PrimitiveKind::Event,
                                    PrimitiveKind::Sync, PrimitiveKind::Work, PrimitiveKind::Lifecycle});
    setChoices(ui->elementTypeCombo, {ElementType::Int32, ElementType::Int64, ElementType::Double, ElementType::Char});
    setChoices(ui->valueGuardCombo, {Guard::None, Guard::Mutex, Guard::Atomic});
    setChoices(ui->transportCombo, {Transport::Pipe, Transport::Fifo, Transport::PosixMq, Transport::SysvMq,
                                    Transport::UnixStream, Transport::UnixDgram, Transport::ShmChannel});
    setChoices(ui->messagePatternCombo, {MessagePattern::PingPong, MessagePattern::Streaming});
    setChoices(ui->wakeCombo, {WakeStrategy::Blocking, WakeStrategy::Spinning});
    setChoices(ui->semaphorePatternCombo, {SemaphorePattern::Gate, SemaphorePattern::PingPong});
    setChoices(ui->eventPatternCombo, {EventPattern::HandOff, EventPattern::Gate});
    setChoices(ui->eventImplementationCombo, {EventImplementation::Futex, EventImplementation::CondVar});
    setChoices(ui->syncKindCombo, {SyncKind::Mutex, SyncKind::RecursiveMutex, SyncKind::RwLock, SyncKind::Spinlock,
                                   SyncKind::CondVar, SyncKind::Barrier});
    setChoices(ui->barrierImplementationCombo, {BarrierImplementation::Pthread, BarrierImplementation::Futex});
    setChoices(ui->lifecycleModeCombo, {LifecycleMode::CreateJoin, LifecycleMode::Daemon});

    using Accessors = std::pair<std::function<QVariant()>, std::function<void(const QVariant &)>>;
    const auto text = [](QLineEdit *e) {
        return Accessors{[e] { return QVariant(e->text()); }, [e](const QVariant &v) { e->setText(v.toString()); }};
    };
    const auto plain = [](QPlainTextEdit *e) {
        return Accessors{[e] { return QVariant(e->toPlainText()); },
                         [e](const QVariant &v) { e->setPlainText(v.toString()); }};
    };
    const auto spin = [](QSpinBox *e) {
        return Accessors{[e] { return QVariant(e->value()); }, [e](const QVariant &v) { e->setValue(v.toInt()); }};
    };
    const auto combo = [](QComboBox *e) {
        return Accessors{[e] { return QVariant(e->currentIndex()); },
                         [e](const QVariant &v) { e->setCurrentIndex(v.toInt()); }};
    };
    const auto check = [](QCheckBox *e) {
        return Accessors{[e] { return QVariant(e->isChecked()); },
                         [e](const QVariant &v) { e->setChecked(v.toBool()); }};
    };
    const auto add = [this](const QString &path, const QString &title, QWidget *w, const Accessors &accessors,
                            std::function<bool()> applies = {}) {
        addField(path, title, w, accessors.first, accessors.second, std::nullopt, std::move(applies));
    };
    // A parameter of one family: shown on that family's page only.
    const auto param = [this](PrimitiveKind family, const QString &key, const QString &title, QWidget *w,
                              const Accessors &accessors, std::function<bool()> applies = {}) {
        addField(QStringLiteral("primitive.") + key, title, w, accessors.first, accessors.second, family,
                 std::move(applies));
    };

    const auto byOperations = [this] { return ui->lengthModeCombo->currentIndex() == 1; };
    add(QStringLiteral("name"), tr("Name"), ui->nameEdit, text(ui->nameEdit));
    add(QStringLiteral("topic"), tr("Topic"), ui->topicEdit, text(ui->topicEdit));
    add(QStringLiteral("description"), tr("Description"), ui->descriptionEdit, plain(ui->descriptionEdit));
    add(QStringLiteral("prediction"), tr("Prediction"), ui->predictionEdit, plain(ui->predictionEdit));
    add(QStringLiteral("execution"), tr("Execution"), ui->executionCombo, combo(ui->executionCombo));
    add(QStringLiteral("workers"), tr("Workers"), ui->workersSpin, spin(ui->workersSpin));
    add(QStringLiteral("lengthMode"), tr("Length"), ui->lengthModeCombo, combo(ui->lengthModeCombo));
    add(QStringLiteral("duration"), tr("Duration"), ui->durationEdit, text(ui->durationEdit),
        [byOperations] { return !byOperations(); });
    add(QStringLiteral("operations"), tr("Operations"), ui->operationsEdit, text(ui->operationsEdit), byOperations);
    add(QStringLiteral("warmup"), tr("Warm-up"), ui->warmupEdit, text(ui->warmupEdit));
    add(QStringLiteral("sampleInterval"), tr("Sample interval"), ui->sampleIntervalEdit, text(ui->sampleIntervalEdit));
    add(QStringLiteral("placement"), tr("Placement"), ui->placementCombo, combo(ui->placementCombo));
    add(QStringLiteral("cpuList"), tr("CPU list"), ui->cpuListEdit, text(ui->cpuListEdit),
        [this] { return ui->placementCombo->currentIndex() == static_cast<int>(PlacementPolicy::CpuList); });
    add(QStringLiteral("primitive.kind"), tr("Primitive"), ui->primitiveCombo, combo(ui->primitiveCombo));

    // Lock contention. Timing only matters where there is a lock to acquire.
    param(PrimitiveKind::LockContention, QStringLiteral("guard"), tr("Guard"), ui->guardCombo, combo(ui->guardCombo));
    param(PrimitiveKind::LockContention, QStringLiteral("timingSampleEvery"), tr("Timing sample"),
          ui->timingSampleEverySpin, spin(ui->timingSampleEverySpin), [this] {
              const auto guard = static_cast<Guard>(ui->guardCombo->currentIndex());
              return guard == Guard::Mutex || guard == Guard::Spinlock;
          });

    // Shared value: a length of zeros, numbers, or (for char) a text; the contents set the length.
    const auto isText = [this] { return choice(ui->elementTypeCombo, m_base.sharedValue.type) == ElementType::Char; };
    param(PrimitiveKind::SharedValue, QStringLiteral("type"), tr("Element type"), ui->elementTypeCombo,
          combo(ui->elementTypeCombo));
    param(PrimitiveKind::SharedValue, QStringLiteral("guard"), tr("Guard"), ui->valueGuardCombo,
          combo(ui->valueGuardCombo));
    param(PrimitiveKind::SharedValue, QStringLiteral("length"), tr("Length"), ui->arrayLengthSpin,
          spin(ui->arrayLengthSpin), [this, isText] {
              return isText() ? ui->initialTextEdit->text().isEmpty()
                              : ui->initialValuesEdit->text().trimmed().isEmpty();
          });
    param(PrimitiveKind::SharedValue, QStringLiteral("initial"), tr("Initial values"), ui->initialValuesEdit,
          text(ui->initialValuesEdit), [isText] { return !isText(); });
    param(PrimitiveKind::SharedValue, QStringLiteral("initialText"), tr("Initial text"), ui->initialTextEdit,
          text(ui->initialTextEdit), isText);

    param(PrimitiveKind::MessagePassing, QStringLiteral("transport"), tr("Transport"), ui->transportCombo,
          combo(ui->transportCombo));
    param(PrimitiveKind::MessagePassing, QStringLiteral("pattern"), tr("Pattern"), ui->messagePatternCombo,
          combo(ui->messagePatternCombo));
    param(PrimitiveKind::MessagePassing, QStringLiteral("messageSize"), tr("Message size"), ui->messageSizeEdit,
          text(ui->messageSizeEdit));
    param(PrimitiveKind::MessagePassing, QStringLiteral("queueDepth"), tr("Queue depth"), ui->queueDepthSpin,
          spin(ui->queueDepthSpin));
    param(PrimitiveKind::MessagePassing, QStringLiteral("wake"), tr("Receiver waits"), ui->wakeCombo,
          combo(ui->wakeCombo));
    param(PrimitiveKind::MessagePassing, QStringLiteral("keepCpusAwake"), tr("Keep CPUs awake"), ui->keepCpusAwakeCheck,
          check(ui->keepCpusAwakeCheck));

    param(PrimitiveKind::Semaphore, QStringLiteral("pattern"), tr("Pattern"), ui->semaphorePatternCombo,
          combo(ui->semaphorePatternCombo));
    param(PrimitiveKind::Semaphore, QStringLiteral("permits"), tr("Permits"), ui->permitsSpin, spin(ui->permitsSpin),
          [this] { return choice(ui->semaphorePatternCombo, m_base.semaphore.pattern) == SemaphorePattern::Gate; });

    param(PrimitiveKind::Event, QStringLiteral("pattern"), tr("Pattern"), ui->eventPatternCombo,
          combo(ui->eventPatternCombo));
    param(PrimitiveKind::Event, QStringLiteral("implementation"), tr("Built on"), ui->eventImplementationCombo,
          combo(ui->eventImplementationCombo));
    param(PrimitiveKind::Event, QStringLiteral("waitTimeout"), tr("Wait timeout"), ui->waitTimeoutEdit,
          text(ui->waitTimeoutEdit));
    param(PrimitiveKind::Event, QStringLiteral("setInterval"), tr("Set interval"), ui->setIntervalEdit,
          text(ui->setIntervalEdit));

    const auto syncIs = [this](SyncKind k) {
        return [this, k] { return choice(ui->syncKindCombo, m_base.sync.kind) == k; };
    };
    param(PrimitiveKind::Sync, QStringLiteral("lock"), tr("Object"), ui->syncKindCombo, combo(ui->syncKindCombo));
    param(PrimitiveKind::Sync, QStringLiteral("readShare"), tr("Read share"), ui->readShareEdit,
          text(ui->readShareEdit), syncIs(SyncKind::RwLock));
    param(PrimitiveKind::Sync, QStringLiteral("recursionDepth"), tr("Recursion depth"), ui->recursionDepthSpin,
          spin(ui->recursionDepthSpin), syncIs(SyncKind::RecursiveMutex));
    param(PrimitiveKind::Sync, QStringLiteral("queueCapacity"), tr("Queue capacity"), ui->queueCapacitySpin,
          spin(ui->queueCapacitySpin), syncIs(SyncKind::CondVar));
    param(PrimitiveKind::Sync, QStringLiteral("barrierImplementation"), tr("Barrier type"),
          ui->barrierImplementationCombo, combo(ui->barrierImplementationCombo), syncIs(SyncKind::Barrier));

    // The switch interval is kept (and checked) without the GIL too, as in the file format.
    param(PrimitiveKind::Work, QStringLiteral("gil"), tr("GIL"), ui->gilCheck, check(ui->gilCheck));
    param(PrimitiveKind::Work, QStringLiteral("switchInterval"), tr("Switch interval"), ui->switchIntervalEdit,
          text(ui->switchIntervalEdit));

    const auto daemon = [this] {
        return choice(ui->lifecycleModeCombo, m_base.lifecycle.mode) == LifecycleMode::Daemon;
    };
    param(PrimitiveKind::Lifecycle, QStringLiteral("mode"), tr("Mode"), ui->lifecycleModeCombo,
          combo(ui->lifecycleModeCombo));
    param(PrimitiveKind::Lifecycle, QStringLiteral("daemonWorkers"), tr("Daemons"), ui->daemonWorkersSpin,
          spin(ui->daemonWorkersSpin), daemon);
    param(PrimitiveKind::Lifecycle, QStringLiteral("joinTimeout"), tr("Join timeout"), ui->joinTimeoutEdit,
          text(ui->joinTimeoutEdit));
    param(PrimitiveKind::Lifecycle, QStringLiteral("mainWork"), tr("Main work"), ui->mainWorkEdit,
          text(ui->mainWorkEdit), daemon);
    param(PrimitiveKind::Lifecycle, QStringLiteral("execChild"), tr("Child process"), ui->execChildCheck,
          check(ui->execChildCheck), [daemon] { return !daemon(); });

    add(QStringLiteral("workload.cpuWork"), tr("CPU work"), ui->cpuWorkEdit, text(ui->cpuWorkEdit));
    add(QStringLiteral("workload.criticalSection"), tr("Critical section"), ui->criticalSectionEdit,
        text(ui->criticalSectionEdit));
    add(QStringLiteral("workload.thinkTime"), tr("Think time"), ui->thinkTimeEdit, text(ui->thinkTimeEdit));
    add(QStringLiteral("workload.ioWait"), tr("IO wait"), ui->ioWaitEdit, text(ui->ioWaitEdit));
    // The stride and the buffer are kept (and checked) without memory work too, as in the file format.
    add(QStringLiteral("workload.memory"), tr("Memory written"), ui->memoryEdit, text(ui->memoryEdit));
    add(QStringLiteral("workload.memoryStride"), tr("Memory stride"), ui->memoryStrideEdit, text(ui->memoryStrideEdit));
    add(QStringLiteral("workload.memoryBuffer"), tr("Memory buffer"), ui->memoryBufferEdit, text(ui->memoryBufferEdit));

    // Editors' own signals that report user edits (programmatic changes are filtered by m_applying).
    const auto connectField = [this](const QString &id, QWidget *w) {
        if (auto *l = qobject_cast<QLineEdit *>(w))
            connect(l, &QLineEdit::textEdited, this, [this, id] { userEdited(id); });
        else if (auto *p = qobject_cast<QPlainTextEdit *>(w))
            connect(p, &QPlainTextEdit::textChanged, this, [this, id] { userEdited(id); });
        else if (auto *s = qobject_cast<QSpinBox *>(w))
            connect(s, &QSpinBox::valueChanged, this, [this, id] { userEdited(id); });
        else if (auto *c = qobject_cast<QComboBox *>(w))
            connect(c, &QComboBox::currentIndexChanged, this, [this, id] { userEdited(id); });
        else if (auto *b = qobject_cast<QCheckBox *>(w))
            connect(b, &QCheckBox::toggled, this, [this, id] { userEdited(id); });
    };
    for (const Field &f : m_fields)
        connectField(f.id, f.editor);

    connect(ui->sweepNoteLabel, &QLabel::linkActivated, this, [this] { ui->formTabs->setCurrentWidget(ui->sweepTab); });
    setSpec(ExperimentSpec{});
}

ExperimentForm::~ExperimentForm() = default;

void ExperimentForm::addField(const QString &path, const QString &title, QWidget *editor, std::function<QVariant()> get,
                              std::function<void(const QVariant &)> set, std::optional<PrimitiveKind> family,
                              std::function<bool()> applies)
{
    Field f;
    f.path = path;
    f.family = family;
    f.id = family ? QString::fromLatin1(toString(*family)) + QLatin1Char(':') + path : path;
    f.title = title;
    f.editor = editor;
    f.get = std::move(get);
    f.set = std::move(set);
    f.applies = std::move(applies);
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

ExperimentForm::Field *ExperimentForm::fieldById(const QString &id)
{
    for (Field &f : m_fields) {
        if (f.id == id)
            return &f;
    }
    return nullptr;
}

const ExperimentForm::Field *ExperimentForm::fieldById(const QString &id) const
{
    for (const Field &f : m_fields) {
        if (f.id == id)
            return &f;
    }
    return nullptr;
}

const ExperimentForm::Field *ExperimentForm::fieldOfEditor(const QWidget *editor) const
{
    for (const Field &f : m_fields) {
        if (f.editor == editor)
            return &f;
    }
    return nullptr;
}

PrimitiveKind ExperimentForm::currentKind() const
{
    return choice(ui->primitiveCombo, m_base.primitive);
}

QString ExperimentForm::resolveId(const QString &path) const
{
    if (fieldById(path))
        return path;
    const PrimitiveKind kind = currentKind();
    for (const Field &f : m_fields) {
        if (f.path == path && (!f.family || *f.family == kind))
            return f.id;
    }
    return {};
}

bool ExperimentForm::isActive(const Field &f) const
{
    return (!f.family || *f.family == currentKind()) && (!f.applies || f.applies());
}

QStringList ExperimentForm::fieldPaths() const
{
    const PrimitiveKind kind = currentKind();
    QStringList out;
    for (const Field &f : m_fields) {
        if (!f.family || *f.family == kind)
            out << f.path;
    }
    return out;
}

QWidget *ExperimentForm::editorFor(const QString &path) const
{
    const Field *f = fieldById(fieldForErrorPath(path));
    return f ? f->editor : nullptr;
}

QString ExperimentForm::errorAt(const QString &path) const
{
    const Field *f = fieldById(fieldForErrorPath(path));
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
    // A long name reads from its start, not scrolled to the cursor at its end.
    ui->nameEdit->setCursorPosition(0);
    ui->topicEdit->setCursorPosition(0);
    ui->descriptionEdit->setPlainText(QString::fromStdString(s.description));
    ui->predictionEdit->setPlainText(QString::fromStdString(s.prediction));
    ui->executionCombo->setCurrentIndex(static_cast<int>(s.execution));
    setSpinValue(ui->workersSpin, s.workers);
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
        // Not a family (only possible in memory): show it as it is, never a silently different
        // experiment; the validator names the problem.
        ui->primitiveCombo->addItem(tr("%1 (unknown)").arg(static_cast<int>(s.primitive)),
                                    static_cast<int>(s.primitive));
        kindIndex = ui->primitiveCombo->count() - 1;
    }
    ui->primitiveCombo->setCurrentIndex(kindIndex);

    ui->guardCombo->setCurrentIndex(static_cast<int>(s.lock.guard));
    setSpinValue(ui->timingSampleEverySpin, s.lock.timingSampleEvery);

    const SharedValueParams &v = s.sharedValue;
    choose(ui->elementTypeCombo, v.type);
    choose(ui->valueGuardCombo, v.guard);
    setSpinValue(ui->arrayLengthSpin, v.length);
    ui->initialValuesEdit->setText(numberListText(v.initial));
    ui->initialTextEdit->setText(QString::fromStdString(v.initialText));

    const MessagingParams &m = s.messaging;
    choose(ui->transportCombo, m.transport);
    choose(ui->messagePatternCombo, m.pattern);
    ui->messageSizeEdit->setText(model::formatByteSize(m.messageSize));
    setSpinValue(ui->queueDepthSpin, m.queueDepth);
    choose(ui->wakeCombo, m.wake);
    ui->keepCpusAwakeCheck->setChecked(m.keepCpusAwake);

    choose(ui->semaphorePatternCombo, s.semaphore.pattern);
    setSpinValue(ui->permitsSpin, s.semaphore.permits);

    choose(ui->eventPatternCombo, s.event.pattern);
    choose(ui->eventImplementationCombo, s.event.implementation);
    ui->waitTimeoutEdit->setText(durationText(s.event.waitTimeoutNs));
    ui->setIntervalEdit->setText(durationText(s.event.setIntervalNs));

    choose(ui->syncKindCombo, s.sync.kind);
    ui->readShareEdit->setText(fractionText(s.sync.readShare));
    setSpinValue(ui->recursionDepthSpin, s.sync.recursionDepth);
    setSpinValue(ui->queueCapacitySpin, s.sync.queueCapacity);
    choose(ui->barrierImplementationCombo, s.sync.barrierImplementation);

    ui->gilCheck->setChecked(s.work.gil);
    ui->switchIntervalEdit->setText(durationText(s.work.switchIntervalNs));

    const LifecycleParams &l = s.lifecycle;
    choose(ui->lifecycleModeCombo, l.mode);
    setSpinValue(ui->daemonWorkersSpin, l.daemonWorkers);
    ui->joinTimeoutEdit->setText(durationText(l.joinTimeoutNs));
    ui->mainWorkEdit->setText(durationText(l.mainWorkNs));
    ui->execChildCheck->setChecked(l.execChild);

    ui->cpuWorkEdit->setText(durationText(s.workload.cpuWorkNs));
    ui->criticalSectionEdit->setText(durationText(s.workload.criticalSectionNs));
    ui->thinkTimeEdit->setText(durationText(s.workload.thinkTimeNs));
    ui->ioWaitEdit->setText(durationText(s.workload.ioWaitNs));
    ui->memoryEdit->setText(model::formatByteSize(s.workload.memoryBytes));
    ui->memoryStrideEdit->setText(model::formatByteSize(s.workload.memoryStride));
    ui->memoryBufferEdit->setText(model::formatByteSize(s.workload.memoryBufferBytes));

    rebuildSweepFields(s);
    m_values.clear();
    for (const Field &f : m_fields)
        m_values.insert(f.id, f.get());
    m_applying = false;
    updateEnabled();
    revalidate();
    Q_EMIT changed();
}

void ExperimentForm::editField(const QString &path, const QVariant &value)
{
    const QString id = resolveId(path);
    Field *f = fieldById(id);
    if (!f)
        return;
    m_applying = true;
    f->set(value);
    m_applying = false;
    userEdited(id);
}

QVariant ExperimentForm::fieldValue(const QString &path) const
{
    const Field *f = fieldById(resolveId(path));
    return f ? f->get() : QVariant();
}

void ExperimentForm::userEdited(const QString &id)
{
    if (m_applying)
        return;
    Field *f = fieldById(id);
    if (!f)
        return;
    const QVariant before = m_values.value(id);
    const QVariant after = f->get();
    if (before == after)
        return;
    m_values.insert(id, after);
    if (m_undo)
        m_undo->push(new FieldEditCommand(this, id, f->title, before, after));
    updateEnabled();
    revalidate();
    Q_EMIT changed();
}

void ExperimentForm::applyField(const QString &id, const QVariant &value)
{
    Field *f = fieldById(id);
    if (!f)
        return;
    m_applying = true;
    f->set(value);
    m_applying = false;
    m_values.insert(id, value);
    updateEnabled();
    revalidate();
    // Show the user what the undo or redo changed.
    if (isVisible()) {
        revealEditor(f->editor);
        f->editor->setFocus(Qt::OtherFocusReason);
    }
    Q_EMIT changed();
}

void ExperimentForm::updateEnabled()
{
    // One page of parameters per family, in the order of PrimitiveKind; the others' pages keep
    // their values, hidden. (Not a QStackedWidget: that is as tall as its tallest page.)
    const std::array pages{ui->lockPage,  ui->sharedValuePage, ui->messagingPage, ui->semaphorePage,
                           ui->eventPage, ui->syncPage,        ui->workPage,      ui->lifecyclePage};
    const auto page = static_cast<std::size_t>(currentKind());
    for (std::size_t i = 0; i < pages.size(); ++i)
        pages[i]->setVisible(i == page);
    for (Field &f : m_fields) {
        if (f.applies)
            f.editor->setEnabled(f.applies());
    }
    // Of the two lengths only the one chosen: a row less on the first tab.
    const bool byOperations = ui->lengthModeCombo->currentIndex() == 1;
    ui->runLayout->setRowVisible(ui->durationEdit, !byOperations);
    ui->runLayout->setRowVisible(ui->operationsEdit, byOperations);
}

ExperimentSpec ExperimentForm::buildSpec(QList<model::FieldError> *parseErrors) const
{
    ExperimentSpec s = m_base;
    // A field's text is checked only where it counts: on show and applicable.
    const auto fail = [this, parseErrors](const QWidget *editor, const QString &path, const QString &message) {
        const Field *f = fieldOfEditor(editor);
        if (parseErrors && (!f || isActive(*f)))
            parseErrors->append({path, message});
    };
    s.name = ui->nameEdit->text().toStdString();
    s.topic = ui->topicEdit->text().toStdString();
    s.description = ui->descriptionEdit->toPlainText().toStdString();
    s.prediction = ui->predictionEdit->toPlainText().toStdString();
    s.execution = static_cast<ExecutionModel>(std::max(0, ui->executionCombo->currentIndex()));
    s.workers = spinValue(ui->workersSpin);

    const auto duration = [&](QLineEdit *e, const QString &path, std::uint64_t &out, bool emptyIsZero) {
        if (emptyIsZero && e->text().trimmed().isEmpty()) {
            out = 0;
            return;
        }
        QString error;
        if (const auto ns = parseDurationText(e->text(), &error))
            out = *ns;
        else
            fail(e, path, error);
    };
    if (ui->lengthModeCombo->currentIndex() == 1) {
        s.durationNs = 0;
        QString t = ui->operationsEdit->text().trimmed();
        t.remove(QLatin1Char('_')).remove(QLatin1Char(' ')).remove(QChar(0x2009)).remove(QLatin1Char(','));
        bool ok = false;
        const qulonglong n = t.toULongLong(&ok);
        if (!ok || n == 0)
            fail(ui->operationsEdit, QStringLiteral("operations"),
                 t.isEmpty() ? tr("required: operations per worker, e.g. 1000000")
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
                fail(ui->cpuListEdit, QStringLiteral("placement"),
                     tr("\"%1\" is not a CPU number; list CPUs like 0, 2, 3").arg(p));
                continue;
            }
            s.cpuList.push_back(cpu);
        }
    }
    s.primitive = currentKind();

    // Every family's parameters, whichever is selected: the others wait on their pages.
    s.lock.guard = static_cast<Guard>(std::max(0, ui->guardCombo->currentIndex()));
    s.lock.timingSampleEvery = spinValue(ui->timingSampleEverySpin);

    SharedValueParams &v = s.sharedValue;
    v.type = choice(ui->elementTypeCombo, v.type);
    v.guard = choice(ui->valueGuardCombo, v.guard);
    v.length = spinValue(ui->arrayLengthSpin);
    // Only the contents that go with the type: the other editor keeps its text for a switch back.
    if (v.type == ElementType::Char) {
        v.initial.clear();
        v.initialText = ui->initialTextEdit->text().toStdString();
    } else {
        v.initialText.clear();
        QString error;
        const bool wholeNumbers = v.type == ElementType::Int32 || v.type == ElementType::Int64;
        if (const auto values = parseNumberList(ui->initialValuesEdit->text(), wholeNumbers, &error))
            v.initial = *values;
        else
            fail(ui->initialValuesEdit, QStringLiteral("primitive.initial"), error);
    }

    MessagingParams &m = s.messaging;
    m.transport = choice(ui->transportCombo, m.transport);
    m.pattern = choice(ui->messagePatternCombo, m.pattern);
    {
        QString error;
        if (const auto bytes = parseByteSizeText(ui->messageSizeEdit->text(), &error)) {
            if (*bytes <= std::numeric_limits<std::uint32_t>::max())
                m.messageSize = static_cast<std::uint32_t>(*bytes);
            else // beyond what the experiment can hold, so the validator cannot say it
                fail(ui->messageSizeEdit, QStringLiteral("primitive.messageSize"),
                     tr("must be at most %1, got %2")
                         .arg(model::formatByteSize(limits::kMaxMessageSize), model::formatByteSize(*bytes)));
        } else {
            fail(ui->messageSizeEdit, QStringLiteral("primitive.messageSize"), error);
        }
    }
    m.queueDepth = spinValue(ui->queueDepthSpin);
    m.wake = choice(ui->wakeCombo, m.wake);
    m.keepCpusAwake = ui->keepCpusAwakeCheck->isChecked();

    s.semaphore.pattern = choice(ui->semaphorePatternCombo, s.semaphore.pattern);
    s.semaphore.permits = spinValue(ui->permitsSpin);

    s.event.pattern = choice(ui->eventPatternCombo, s.event.pattern);
    s.event.implementation = choice(ui->eventImplementationCombo, s.event.implementation);
    duration(ui->waitTimeoutEdit, QStringLiteral("primitive.waitTimeout"), s.event.waitTimeoutNs, true);
    duration(ui->setIntervalEdit, QStringLiteral("primitive.setInterval"), s.event.setIntervalNs, true);

    s.sync.kind = choice(ui->syncKindCombo, s.sync.kind);
    {
        const QString t = ui->readShareEdit->text().trimmed();
        bool ok = false;
        const double share = t.toDouble(&ok);
        if (ok)
            s.sync.readShare = share;
        else
            fail(ui->readShareEdit, QStringLiteral("primitive.readShare"),
                 t.isEmpty() ? tr("required: the share of reads, 0..1, e.g. 0.9")
                             : tr("\"%1\" is not a number; give the share of reads, 0..1, e.g. 0.9").arg(t));
    }
    s.sync.recursionDepth = spinValue(ui->recursionDepthSpin);
    s.sync.queueCapacity = spinValue(ui->queueCapacitySpin);
    s.sync.barrierImplementation = choice(ui->barrierImplementationCombo, s.sync.barrierImplementation);

    s.work.gil = ui->gilCheck->isChecked();
    duration(ui->switchIntervalEdit, QStringLiteral("primitive.switchInterval"), s.work.switchIntervalNs, false);

    LifecycleParams &l = s.lifecycle;
    l.mode = choice(ui->lifecycleModeCombo, l.mode);
    l.daemonWorkers = spinValue(ui->daemonWorkersSpin);
    duration(ui->joinTimeoutEdit, QStringLiteral("primitive.joinTimeout"), l.joinTimeoutNs, true);
    duration(ui->mainWorkEdit, QStringLiteral("primitive.mainWork"), l.mainWorkNs, true);
    l.execChild = ui->execChildCheck->isChecked();

    duration(ui->cpuWorkEdit, QStringLiteral("workload.cpuWork"), s.workload.cpuWorkNs, true);
    duration(ui->criticalSectionEdit, QStringLiteral("workload.criticalSection"), s.workload.criticalSectionNs, true);
    duration(ui->thinkTimeEdit, QStringLiteral("workload.thinkTime"), s.workload.thinkTimeNs, true);
    duration(ui->ioWaitEdit, QStringLiteral("workload.ioWait"), s.workload.ioWaitNs, true);

    // Sizes: "64 KiB", "64 B", a bare whole number of bytes. Ranges are the validator's to check.
    const auto byteSize = [&](QLineEdit *e, const QString &path, bool emptyIsZero) -> std::optional<std::uint64_t> {
        if (emptyIsZero && e->text().trimmed().isEmpty())
            return 0;
        QString error;
        const auto bytes = parseByteSizeText(e->text(), &error);
        if (!bytes)
            fail(e, path, error);
        return bytes;
    };
    if (const auto bytes = byteSize(ui->memoryEdit, QStringLiteral("workload.memory"), true))
        s.workload.memoryBytes = *bytes;
    if (const auto bytes = byteSize(ui->memoryStrideEdit, QStringLiteral("workload.memoryStride"), false)) {
        // The file format allows 1..4096 bytes; beyond what the experiment can hold the validator
        // cannot say it.
        if (*bytes <= std::numeric_limits<std::uint32_t>::max())
            s.workload.memoryStride = static_cast<std::uint32_t>(*bytes);
        else
            fail(ui->memoryStrideEdit, QStringLiteral("workload.memoryStride"),
                 tr("must be 1..4096 bytes, got %1").arg(*bytes));
    }
    if (const auto bytes = byteSize(ui->memoryBufferEdit, QStringLiteral("workload.memoryBuffer"), false))
        s.workload.memoryBufferBytes = *bytes;

    // The sweep's values; its axes and the variants pass through as they came.
    for (std::size_t j = 0; j < s.sweep.size(); ++j) {
        const QString path = QStringLiteral("sweep[%1].values").arg(j);
        const Field *f = fieldById(path);
        auto *edit = f ? qobject_cast<QLineEdit *>(f->editor) : nullptr;
        // Untouched, the values stay exactly as given.
        if (!edit || edit->text() == sweepValuesText(m_base.sweep[j].values))
            continue;
        QString error;
        if (const auto values = parseSweepValuesText(edit->text(), &error))
            s.sweep[j].values = *values;
        else
            fail(edit, path, error);
    }
    return s;
}

ExperimentSpec ExperimentForm::spec() const
{
    return buildSpec(nullptr);
}

QString ExperimentForm::fieldForErrorPath(const QString &path) const
{
    // "placement[1]" belongs to the CPU list, "primitive.initial[3]" to the initial values;
    // "primitive.*" to the selected family's parameter; the rest map one to one.
    if (path.startsWith(QLatin1String("placement[")))
        return QStringLiteral("cpuList");
    if (path == QLatin1String("placement") &&
        ui->placementCombo->currentIndex() == static_cast<int>(PlacementPolicy::CpuList))
        return QStringLiteral("cpuList");
    if (path.startsWith(QLatin1String("primitive.initial[")))
        return resolveId(QStringLiteral("primitive.initial"));
    // "sweep[1].values[2]", "sweep[1].values", "sweep[1].parameter": that axis's values.
    static const QRegularExpression axis(QStringLiteral("^sweep\\[(\\d+)\\]"));
    if (const QRegularExpressionMatch m = axis.match(path); m.hasMatch())
        return resolveId(QStringLiteral("sweep[%1].values").arg(m.captured(1)));
    return resolveId(path);
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
        const QString id = fieldForErrorPath(e.path);
        // An element's error keeps its index: "placement[1]: CPU 7 listed twice".
        if (fieldById(id))
            byField[id] << (e.path.contains(QLatin1Char('[')) ? e.toString() : e.message);
        else
            unplaced << e.toString();
    }
    const QIcon warning = style()->standardIcon(QStyle::SP_MessageBoxWarning);
    for (Field &f : m_fields) {
        const QStringList msgs = byField.value(f.id);
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
    // A tab with a problem on it is marked, and named above the tabs: it may not be the one on show.
    QStringList badTabs;
    for (int t = 0; t < ui->formTabs->count(); ++t) {
        const QWidget *page = ui->formTabs->widget(t);
        const bool bad = std::any_of(m_fields.cbegin(), m_fields.cend(), [&byField, page](const Field &f) {
            return byField.contains(f.id) && page->isAncestorOf(f.editor);
        });
        ui->formTabs->setTabIcon(t, bad ? warning : QIcon());
        if (bad)
            badTabs << ui->formTabs->tabText(t).remove(QLatin1Char('&'));
    }
    updateSweepSummary(s, errors.isEmpty());
    if (errors.isEmpty()) {
        ui->summaryLabel->hide();
    } else {
        QString text = errors.size() == 1 ? tr("⚠ One problem to fix before the experiment can run")
                                          : tr("⚠ %1 problems to fix before the experiment can run").arg(errors.size());
        const QString tabs = badTabs.join(QStringLiteral(", ")).toHtmlEscaped();
        text += badTabs.isEmpty()     ? QStringLiteral(".")
                : badTabs.size() == 1 ? QLatin1Char(' ') + tr("(on the %1 tab).").arg(tabs)
                                      : QLatin1Char(' ') + tr("(on the tabs %1).").arg(tabs);
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

QString ExperimentForm::sweepSummary() const
{
    return ui->sweepSummaryLabel->text();
}

void ExperimentForm::rebuildSweepFields(const ExperimentSpec &s)
{
    for (auto it = m_fields.begin(); it != m_fields.end();) {
        if (it->id.startsWith(QLatin1String("sweep["))) {
            ui->sweepLayout->removeRow(it->error);
            ui->sweepLayout->removeRow(it->editor);
            it = m_fields.erase(it);
        } else {
            ++it;
        }
    }
    for (std::size_t j = 0; j < s.sweep.size(); ++j) {
        const QString parameter = QString::fromStdString(s.sweep[j].parameter);
        const QString path = QStringLiteral("sweep[%1].values").arg(j);
        auto *edit = new QLineEdit(this);
        edit->setObjectName(QStringLiteral("sweepValuesEdit%1").arg(j));
        edit->setPlaceholderText(tr("values separated by commas"));
        edit->setToolTip(tr("The values of %1 the sweep runs, a point each (with every value of the other "
                            "parameters); separated by commas")
                             .arg(parameter));
        // The parameter as the form calls it where it has a field ("Message size"), and as the file does.
        const Field *named = fieldById(resolveId(parameter));
        auto *label =
            new QLabel(named ? tr("%1 (%2):").arg(named->title, parameter) : parameter + QLatin1Char(':'), this);
        label->setObjectName(edit->objectName() + QStringLiteral("Label"));
        label->setBuddy(edit);
        ui->sweepLayout->addRow(label, edit);
        addField(
            path, tr("Sweep of %1").arg(parameter), edit, [edit] { return QVariant(edit->text()); },
            [edit](const QVariant &v) { edit->setText(v.toString()); }, std::nullopt, {});
        edit->setText(sweepValuesText(s.sweep[j].values));
        connect(edit, &QLineEdit::textEdited, this, [this, path] { userEdited(path); });
    }
    ui->variantsGroup->setVisible(!s.variants.empty());
    ui->sweepGroup->setVisible(!s.sweep.empty());
    QStringList variants;
    for (std::size_t i = 0; i < s.variants.size(); ++i) {
        const Variant &v = s.variants[i];
        QStringList set;
        for (const auto &[key, value] : v.set)
            set << QString::fromStdString(key) + QStringLiteral(" = ") + sweepValuesText({value});
        const QString label = v.label.empty() ? tr("variant %1").arg(i + 1) : QString::fromStdString(v.label);
        variants << label + QStringLiteral(": ") +
                        (set.isEmpty() ? tr("the experiment as it is") : set.join(QStringLiteral("; ")));
    }
    ui->variantsLabel->setText(variants.join(QLatin1Char('\n')));
    const bool sweep = !s.variants.empty() || !s.sweep.empty();
    if (!sweep && ui->formTabs->currentWidget() == ui->sweepTab)
        ui->formTabs->setCurrentWidget(ui->setupTab);
    ui->formTabs->setTabVisible(ui->formTabs->indexOf(ui->sweepTab), sweep);
}

void ExperimentForm::updateSweepSummary(const ExperimentSpec &s, bool valid)
{
    if (s.variants.empty() && s.sweep.empty()) {
        ui->sweepSummaryLabel->clear();
        ui->sweepNoteLabel->clear();
        ui->sweepNoteLabel->hide();
        return;
    }
    const QString times = QStringLiteral(" × ");
    QStringList factors;
    QStringList paths; // what the points set, for the note on the first tab
    if (!s.variants.empty()) {
        QStringList labels;
        for (std::size_t i = 0; i < s.variants.size(); ++i) {
            const Variant &v = s.variants[i];
            labels << (v.label.empty() ? tr("variant %1").arg(i + 1) : QString::fromStdString(v.label));
            for (const auto &set : v.set) {
                if (const QString p = QString::fromStdString(set.first); !paths.contains(p))
                    paths << p;
            }
        }
        const QString list = labels.join(QStringLiteral(", "));
        factors << (s.variants.size() == 1 ? tr("1 variant (%1)").arg(list)
                                           : tr("%1 variants (%2)").arg(s.variants.size()).arg(list));
    }
    if (!s.sweep.empty()) {
        QStringList axes;
        for (const SweepAxis &a : s.sweep) {
            const QString p = QString::fromStdString(a.parameter);
            axes << (a.values.size() == 1 ? tr("%1 (1 value)").arg(p)
                                          : tr("%1 (%2 values)").arg(p).arg(a.values.size()));
            if (!paths.contains(p))
                paths << p;
        }
        factors << tr("sweep over %1").arg(axes.join(times));
    }
    const QString what = factors.join(times);
    // The number of points as the runner will run them: the model's own expansion.
    qsizetype points = 0;
    if (valid) {
        QList<model::FieldError> errors;
        points = model::expandSweep(s, &errors).size();
    }
    ui->sweepSummaryLabel->setText(
        points == 1  ? tr("Runs 1 point: %1").arg(what)
        : points > 1 ? tr("Runs %1 points: %2").arg(points).arg(what)
                     : tr("Runs every combination of %1, once the problems marked are fixed.").arg(what));
    const QString link = QStringLiteral("<a href=\"sweep\">") + tr("Sweep tab") + QStringLiteral("</a>");
    const QString set = paths.join(QStringLiteral(", ")).toHtmlEscaped();
    ui->sweepNoteLabel->setText(points > 1 ? tr("Runs %1 points: the %2 sets %3 for each.").arg(points).arg(link, set)
                                           : tr("The %1 sets %2 for each point.").arg(link, set));
    ui->sweepNoteLabel->show();
}

void ExperimentForm::revealEditor(QWidget *editor)
{
    for (int t = 0; t < ui->formTabs->count(); ++t) {
        if (ui->formTabs->widget(t)->isAncestorOf(editor)) {
            ui->formTabs->setCurrentIndex(t);
            return;
        }
    }
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
