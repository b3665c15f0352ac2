// The one interface every chart view offers the app: a widget that shows a hint when empty and exports itself.
#pragma once

#include <QImage>
#include <QString>
#include <QWidget>

class QLabel;

namespace clab::charts {

// Base of all chart views. The app talks to charts only through this class and its subclasses'
// plain-data setters, never through a chart library's types, so the drawing library can change.
class ChartPanel : public QWidget {
    Q_OBJECT
public:
    explicit ChartPanel(QWidget *parent = nullptr);
    ~ChartPanel() override;

    // A centred hint shown instead of the chart while it has no data ("Press Run to …").
    void setPlaceholderText(const QString &text);
    QString placeholderText() const;
    void setPlaceholderVisible(bool visible);
    bool isPlaceholderVisible() const;

    // The chart as a picture at its current size (device pixel ratio honoured).
    virtual QImage toImage();
    // Writes the chart as SVG (vector lines and text). Returns false and sets *error on failure.
    virtual bool saveSvg(const QString &path, QString *error = nullptr);
    // Whether the chart has received data since the last clear (tests use it).
    virtual bool hasData() const = 0;
    // Forgets all data (a new run starts).
    virtual void clear() = 0;
    // Export quality on or off. On screen, charts draw what is cheap enough to redraw 25 times a
    // second (one-pixel lines); an export draws the styles as designed. renderToImage() and
    // renderToSvg() switch every chart of the widget they render for the time it takes.
    virtual void setExportQuality(bool on) { Q_UNUSED(on); }

protected:
    void resizeEvent(QResizeEvent *event) override;
    // The widget that is painted for export; by default the panel itself.
    virtual QWidget *exportWidget() { return this; }

private:
    QLabel *m_placeholder = nullptr;
};

// The same export for any widget (a whole page of charts): what is on screen, OpenGL-free.
QImage renderToImage(QWidget *widget);
bool renderToSvg(QWidget *widget, const QString &path, QString *error = nullptr);

} // namespace clab::charts
