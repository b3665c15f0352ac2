# Warnings and Qt hygiene applied per target through clab_project_options (no global flags).
add_library(clab_project_options INTERFACE)
target_compile_features(clab_project_options INTERFACE cxx_std_20)
target_compile_options(clab_project_options INTERFACE
    -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast -Wcast-align
    -Woverloaded-virtual -Wconversion -Wsign-conversion -Wnull-dereference -Wdouble-promotion
    -Wformat=2 -Wimplicit-fallthrough
    $<$<BOOL:${CLAB_WERROR}>:-Werror>)
target_compile_definitions(clab_project_options INTERFACE
    QT_NO_CAST_FROM_ASCII QT_NO_FOREACH QT_USE_QSTRINGBUILDER QT_NO_KEYWORDS
    CLAB_VERSION="${PROJECT_VERSION}"
    CLAB_BUILD_TYPE="$<IF:$<CONFIG:>,unknown,$<CONFIG>>")

# Where the runner looks for presets when run from the build tree.
set(CLAB_SOURCE_PRESETS_DIR "${PROJECT_SOURCE_DIR}/resources/presets")
