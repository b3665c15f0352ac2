// The work an operation does besides its primitive: calibrated CPU work and strided memory writes.
#pragma once

#include "calibrated_work.h"
#include "experiment_spec.h"

#include <cstddef>
#include <cstdint>
#include <string>

namespace clab {

// Checks a workload against what the machine can give it (in the runner, from a family's init()).
// Returns "" or a plain-words error naming the parameter and the limit, e.g. when the workers'
// memory buffers together exceed the memory available.
std::string checkWorkload(const ExperimentSpec &spec);

// Memory-bound work. Each operation walks `memoryBytes` of a private buffer of
// `memoryBufferBytes`, storing one byte every `memoryStride` bytes: ceil(memoryBytes / stride)
// stores per operation. The walk goes on where the previous operation stopped and starts again
// at offset 0 when it reaches the end of the buffer, so the stores always land on multiples of
// the stride. Stride 64 dirties every cache line of the span once (memory traffic = memoryBytes);
// stride 4096 touches one line per page (TLB-bound); stride 1 writes every byte.
// Requires: prepare() before the start gate (it maps and pre-faults the buffer), one owner.
// Guarantees: runStores() never allocates, blocks or calls the kernel; every store happens (the
// compiler may not drop or merge them away: a compiler barrier follows each batch).
// Memory ordering: plain stores to private memory; nothing is shared.
class MemoryWalk {
public:
    MemoryWalk() = default;
    ~MemoryWalk();
    MemoryWalk(const MemoryWalk &) = delete;
    MemoryWalk &operator=(const MemoryWalk &) = delete;

    // Maps the buffer (MAP_POPULATE: its pages are faulted in now, not in the measured loop).
    // Returns 0 or an errno value. A workload without memory work maps nothing.
    int prepare(const Workload &w) noexcept;
    bool active() const noexcept { return m_storesPerOp != 0; }
    std::uint64_t storesPerOp() const noexcept { return m_storesPerOp; }
    std::uint64_t bytesPerOp() const noexcept { return m_bytesPerOp; }

    // One operation's walk.
    void run() noexcept
    {
        nextValue();
        runStores(m_storesPerOp);
    }
    // Part of an operation's walk (the GIL emulation checks its drop request between parts);
    // call nextValue() once per operation first.
    void runStores(std::uint64_t n) noexcept
    {
        std::size_t pos = m_pos;
        const unsigned char v = m_value;
        for (std::uint64_t i = 0; i < n; ++i) {
            m_buf[pos] = v;
            pos += m_stride;
            if (pos >= m_size)
                pos = 0;
        }
        m_pos = pos;
        m_stores += n;
        asm volatile("" ::: "memory"); // the stores are observable: they must all happen
    }
    void nextValue() noexcept { m_value = static_cast<unsigned char>(m_value % 255U + 1U); } // never 0

    // Stores done so far (all phases).
    std::uint64_t storesDone() const noexcept { return m_stores; }
    // Distinct stride positions the walk can reach: ceil(buffer / stride).
    std::uint64_t positions() const noexcept { return m_stride == 0 ? 0 : (m_size + m_stride - 1) / m_stride; }
    // Counts the bytes of the buffer that hold a written (non-zero) value: after N stores it must be
    // min(N, positions()), which checks that the walk touched the bytes it claims (O(buffer) scan,
    // after the run only).
    std::uint64_t countWrittenBytes() const noexcept;

private:
    unsigned char *m_buf = nullptr;
    std::size_t m_size = 0;
    std::size_t m_stride = 0;
    std::size_t m_pos = 0;
    std::uint64_t m_storesPerOp = 0;
    std::uint64_t m_bytesPerOp = 0;
    std::uint64_t m_stores = 0;
    unsigned char m_value = 0;
};

// Everything an operation does outside its primitive, in this order: calibrated CPU work
// (workload.cpuWorkNs, the spinWork kernel) and the memory walk (workload.memoryBytes). Think time
// and IO waits are the worker loop's Pauses (they sleep; this only computes).
// Requires: prepare() in the worker before the start gate (it allocates); one owner.
// Guarantees: run() and runSliced() never allocate; runSliced() does the same work as run().
class OperationWork {
public:
    OperationWork(const Workload &w, const CalibratedWork &cal, std::uint64_t seed) noexcept;
    OperationWork(const OperationWork &) = delete;
    OperationWork &operator=(const OperationWork &) = delete;

    int prepare() noexcept { return m_memory.prepare(m_workload); }
    bool any() const noexcept { return m_cpuUnits != 0 || m_memory.active(); }

    void run() noexcept
    {
        if (m_cpuUnits != 0)
            m_seed = spinWork(m_cpuUnits, m_seed);
        if (m_memory.active())
            m_memory.run();
    }

    // The same work in slices of about kSliceNs, calling poll() between slices (and once before
    // the first): the GIL emulation's eval breaker checks its drop request there, the way
    // CPython's interpreter loop does between bytecodes.
    static constexpr std::uint64_t kSliceNs = 2'000;
    static constexpr std::uint64_t kStoresPerSlice = 2'048;
    template<class Poll>
    void runSliced(Poll &&poll) noexcept
    {
        poll();
        for (std::uint64_t left = m_cpuUnits; left != 0;) {
            const std::uint64_t n = left < m_sliceUnits ? left : m_sliceUnits;
            m_seed = spinWork(n, m_seed);
            left -= n;
            poll();
        }
        if (m_memory.active()) {
            m_memory.nextValue();
            for (std::uint64_t left = m_memory.storesPerOp(); left != 0;) {
                const std::uint64_t n = left < kStoresPerSlice ? left : kStoresPerSlice;
                m_memory.runStores(n);
                left -= n;
                poll();
            }
        }
    }

    const MemoryWalk &memory() const noexcept { return m_memory; }
    std::uint64_t cpuUnits() const noexcept { return m_cpuUnits; }
    std::uint64_t seed() const noexcept { return m_seed; }

private:
    Workload m_workload;
    std::uint64_t m_cpuUnits;
    std::uint64_t m_sliceUnits;
    std::uint64_t m_seed;
    MemoryWalk m_memory;
};

} // namespace clab
