// CPU work of a chosen length: a dependent arithmetic kernel whose cost per unit is measured at start.
#pragma once

#include <cstdint>

namespace clab {

// Runs `units` iterations of a dependent xorshift chain the compiler cannot drop or vectorise.
// Returns the chain's value so callers can feed it back (and keep it alive).
std::uint64_t spinWork(std::uint64_t units, std::uint64_t seed) noexcept;

class CalibratedWork {
public:
    // Measures units per ns on this CPU (a few ms, best of several trials to ignore preemption).
    static CalibratedWork calibrate();
    std::uint64_t unitsFor(std::uint64_t ns) const noexcept
    {
        return static_cast<std::uint64_t>(static_cast<double>(ns) * m_unitsPerNs + 0.5);
    }
    double unitsPerNs() const noexcept { return m_unitsPerNs; }

private:
    double m_unitsPerNs = 1.0;
};

} // namespace clab
