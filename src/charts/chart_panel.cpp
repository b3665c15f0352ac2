// Placeholder overlay and PNG/SVG export shared by every chart view.
#include "chart_panel.h"

#include <QFileInfo>
#include <QLabel>
#include <QPainter>
#include <QResizeEvent>
#include <QSaveFile>
#include <QSvgGenerator>

namespace clab::charts {

ChartPanel::ChartPanel(QWidget *parent)
    : QWidget(parent)
    , m_placeholder(new QLabel(this))
{
    m_placeholder->setObjectName(QStringLiteral("chartPlaceholder"));
    m_placeholder->setAlignment(Qt::AlignCenter);
    m_placeholder->setWordWrap(true);
    m_placeholder->setAttribute(Qt::WA_TransparentForMouseEvents);
    m_placeholder->setForegroundRole(QPalette::PlaceholderText);
    QFont f = m_placeholder->font();
    f.setPointSizeF(f.pointSizeF() * 1.15);
    m_placeholder->setFont(f);
    m_placeholder->hide();
}

ChartPanel::~ChartPanel() = default;

void ChartPanel::setPlaceholderText(const QString &text)
{
    m_placeholder->setText(text);
}

QString ChartPanel::placeholderText() const
{
    return m_placeholder->text();
}

void ChartPanel::setPlaceholderVisible(bool visible)
{
    if (visible == !m_placeholder->isHidden())
        return;
    m_placeholder->setVisible(visible);
    if (visible)
        m_placeholder->raise();
}

bool ChartPanel::isPlaceholderVisible() const
{
    return !m_placeholder->isHidden();
}

void ChartPanel::resizeEvent(QResizeEvent *event)
{
    QWidget::resizeEvent(event);
    // Keep clear of the axes: the hint sits in the middle two thirds.
    const QRect r = rect();
    m_placeholder->setGeometry(r.adjusted(r.width() / 6, r.height() / 4, -r.width() / 6, -r.height() / 4));
}

QImage ChartPanel::toImage()
{
    return renderToImage(exportWidget());
}

bool ChartPanel::saveSvg(const QString &path, QString *error)
{
    return renderToSvg(exportWidget(), path, error);
}

namespace {

// Every chart in (or being) `w` draws for export while it lives.
class ExportQuality {
public:
    explicit ExportQuality(QWidget *w)
        : m_charts(w->findChildren<ChartPanel *>())
    {
        if (auto *self = qobject_cast<ChartPanel *>(w))
            m_charts.append(self);
        for (ChartPanel *c : std::as_const(m_charts))
            c->setExportQuality(true);
    }
    ~ExportQuality()
    {
        for (ChartPanel *c : std::as_const(m_charts))
            c->setExportQuality(false);
    }
    ExportQuality(const ExportQuality &) = delete;
    ExportQuality &operator=(const ExportQuality &) = delete;

private:
    QList<ChartPanel *> m_charts;
};

} // namespace

QImage renderToImage(QWidget *w)
{
    const ExportQuality quality(w);
    const qreal dpr = w->devicePixelRatioF();
    QImage image(w->size() * dpr, QImage::Format_ARGB32_Premultiplied);
    image.setDevicePixelRatio(dpr);
    image.fill(w->palette().color(QPalette::Window));
    QPainter painter(&image);
    w->render(&painter, QPoint(), QRegion(), QWidget::DrawChildren);
    painter.end();
    return image;
}

bool renderToSvg(QWidget *w, const QString &path, QString *error)
{
    const ExportQuality quality(w);
    // QSvgGenerator writes through a QIODevice: a QSaveFile keeps a half-written file from
    // replacing a good one.
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly)) {
        if (error)
            *error = QStringLiteral("%1: %2").arg(path, file.errorString());
        return false;
    }
    QSvgGenerator generator;
    generator.setOutputDevice(&file);
    generator.setSize(w->size());
    generator.setViewBox(QRect(QPoint(), w->size()));
    generator.setTitle(QFileInfo(path).completeBaseName());
    generator.setDescription(QStringLiteral("Chart exported by Concurrency Lab"));
    {
        QPainter painter(&generator);
        painter.fillRect(QRect(QPoint(), w->size()), w->palette().color(QPalette::Window));
        w->render(&painter, QPoint(), QRegion(), QWidget::DrawChildren);
    }
    if (!file.commit()) {
        if (error)
            *error = QStringLiteral("%1: %2").arg(path, file.errorString());
        return false;
    }
    return true;
}

} // namespace clab::charts
