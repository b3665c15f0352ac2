// The lost-update rule behind the prediction flag (tested in tests/app/tst_prediction.cpp).
#include "prediction.h"

#include "format.h"

#include <QCoreApplication>

namespace clab::app {

PredictionCheck checkLostUpdates(const ExperimentSpec &spec, const std::optional<CounterCheck> &counter)
{
    PredictionCheck c;
    if (spec.primitive != PrimitiveKind::LockContention)
        return c;
    const bool expectLoss = spec.lock.guard == Guard::None && spec.workers > 1;
    c.expectation = expectLoss ? QCoreApplication::translate("clab", "an unguarded counter loses updates")
                               : QCoreApplication::translate("clab", "no update is lost");
    if (!counter)
        return c;
    const std::int64_t lost = counter->lost();
    if (lost < 0) {
        // More increments seen than made: the check itself is broken; that contradicts any prediction.
        c.verdict = PredictionCheck::Verdict::Contradicted;
        c.outcome = QCoreApplication::translate("clab", "the counter holds %1 more than the workers added")
                        .arg(formatInteger(static_cast<std::uint64_t>(-lost)));
        return c;
    }
    // The counter also counts the warm-up's increments, so beside the measured operations its
    // total is larger: say so.
    c.outcome =
        (spec.warmupNs > 0 ? QCoreApplication::translate("clab", "%1 of %2 updates lost (counted with the warm-up)")
                           : QCoreApplication::translate("clab", "%1 of %2 updates lost"))
            .arg(formatInteger(static_cast<std::uint64_t>(lost)), formatInteger(counter->expected));
    c.verdict = (lost > 0) == expectLoss ? PredictionCheck::Verdict::Consistent : PredictionCheck::Verdict::Contradicted;
    return c;
}

} // namespace clab::app
