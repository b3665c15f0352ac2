// The inline message strip: colour, icon AND wording carry the kind of message.
#include "message_banner.h"

#include <QDialog>
#include <QDialogButtonBox>
#include <QEvent>
#include <QFontDatabase>
#include <QHBoxLayout>
#include <QLabel>
#include <QPlainTextEdit>
#include <QStyle>
#include <QToolButton>
#include <QVBoxLayout>

namespace clab::app {

MessageBanner::MessageBanner(QWidget *parent)
    : QFrame(parent)
{
    setObjectName(QStringLiteral("messageBanner"));
    setFrameShape(QFrame::StyledPanel);
    setAutoFillBackground(true);
    auto *layout = new QHBoxLayout(this);
    layout->setContentsMargins(8, 4, 4, 4);
    m_icon = new QLabel(this);
    m_text = new QLabel(this);
    m_text->setObjectName(QStringLiteral("bannerText"));
    m_text->setWordWrap(true);
    m_text->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_details = new QToolButton(this);
    m_details->setObjectName(QStringLiteral("bannerDetails"));
    m_details->setText(tr("Details…"));
    m_details->setToolTip(tr("What the runner printed"));
    m_close = new QToolButton(this);
    m_close->setObjectName(QStringLiteral("bannerClose"));
    m_close->setAutoRaise(true);
    m_close->setIcon(style()->standardIcon(QStyle::SP_TitleBarCloseButton));
    m_close->setToolTip(tr("Hide this message"));
    layout->addWidget(m_icon, 0, Qt::AlignTop);
    layout->addWidget(m_text, 1);
    layout->addWidget(m_details, 0, Qt::AlignTop);
    layout->addWidget(m_close, 0, Qt::AlignTop);
    connect(m_close, &QToolButton::clicked, this, &QWidget::hide);
    connect(m_details, &QToolButton::clicked, this, [this] {
        auto *dialog = new QDialog(this);
        dialog->setAttribute(Qt::WA_DeleteOnClose);
        dialog->setWindowTitle(tr("Runner output"));
        auto *v = new QVBoxLayout(dialog);
        auto *text = new QPlainTextEdit(m_detailText, dialog);
        text->setReadOnly(true);
        text->setLineWrapMode(QPlainTextEdit::NoWrap);
        text->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
        auto *buttons = new QDialogButtonBox(QDialogButtonBox::Close, dialog);
        connect(buttons, &QDialogButtonBox::rejected, dialog, &QDialog::close);
        v->addWidget(text);
        v->addWidget(buttons);
        dialog->resize(720, 360);
        dialog->show(); // not modal: a run can go on meanwhile
    });
    hide();
}

void MessageBanner::showMessage(Kind kind, const QString &text, const QString &details)
{
    m_kind = kind;
    m_text->setText(text);
    m_detailText = details;
    m_details->setVisible(!details.trimmed().isEmpty());
    QStyle::StandardPixmap icon = QStyle::SP_MessageBoxInformation;
    if (kind == Kind::Warning)
        icon = QStyle::SP_MessageBoxWarning;
    else if (kind == Kind::Error)
        icon = QStyle::SP_MessageBoxCritical;
    else if (kind == Kind::Positive)
        icon = QStyle::SP_DialogApplyButton;
    const int size = style()->pixelMetric(QStyle::PM_SmallIconSize, nullptr, this);
    m_icon->setPixmap(style()->standardIcon(icon).pixmap(size, size));
    updateColors();
    show();
}

QString MessageBanner::text() const
{
    return isHidden() ? QString() : m_text->text();
}

void MessageBanner::updateColors()
{
    QPalette pal = parentWidget() ? parentWidget()->palette() : palette();
    const bool dark = pal.color(QPalette::Window).lightness() < 128;
    QColor bg;
    switch (m_kind) {
    case Kind::Information: bg = dark ? QColor(0x1d, 0x33, 0x4d) : QColor(0xe3, 0xee, 0xfb); break;
    case Kind::Positive: bg = dark ? QColor(0x1b, 0x3a, 0x22) : QColor(0xe3, 0xf4, 0xe6); break;
    case Kind::Warning: bg = dark ? QColor(0x4a, 0x3b, 0x12) : QColor(0xfd, 0xf3, 0xd8); break;
    case Kind::Error: bg = dark ? QColor(0x4a, 0x1c, 0x1c) : QColor(0xfd, 0xe4, 0xe1); break;
    }
    pal.setColor(QPalette::Window, bg);
    setPalette(pal);
}

void MessageBanner::changeEvent(QEvent *event)
{
    QFrame::changeEvent(event);
    if (event->type() == QEvent::ParentChange)
        updateColors();
}

} // namespace clab::app
