// Light and dark colour schemes (Fusion style with a tuned palette) and the system default.
#pragma once

#include <QString>

namespace clab::app {

enum class ColorScheme { System, Light, Dark };

ColorScheme colorSchemeFromString(const QString &name);
QString colorSchemeName(ColorScheme scheme);
// Applies the scheme to the whole application; widgets follow through QEvent::PaletteChange.
void applyColorScheme(ColorScheme scheme);

// Ends the event loop cleanly on SIGINT, SIGTERM or SIGHUP (a running experiment's runner is then
// stopped and its ring removed by the normal destructors). Call once, after QApplication exists.
void quitOnTerminationSignals();

} // namespace clab::app
