// Compares a run's outcome with what its experiment predicts, so a contradiction is flagged, not hidden.
#pragma once

#include "experiment_spec.h"
#include "run_result.h"

#include <QString>

#include <optional>

namespace clab::app {

struct PredictionCheck {
    enum class Verdict { Unknown, Consistent, Contradicted };
    Verdict verdict = Verdict::Unknown;
    QString expectation; // what the rule expects, e.g. "no update is lost"
    QString outcome;     // what happened, e.g. "0 of 1 234 567 updates lost (counted with the warm-up)"
};

// Lost updates of the shared counter: an unguarded counter with more than one worker is expected
// to lose updates; a mutex, a spinlock or an atomic increment is expected to lose none.
// Unknown while the run has no counter check (live, or a run that did not finish).
PredictionCheck checkLostUpdates(const ExperimentSpec &spec, const std::optional<CounterCheck> &counter);

} // namespace clab::app
