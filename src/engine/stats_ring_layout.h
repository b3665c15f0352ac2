/* The stats ring's shared-memory layout: plain C data, the one document of the wire format.
 *
 * A program in any language can publish to (or read) a Concurrency Lab run by mapping the
 * POSIX shared-memory segment and following this file. Everything is little-endian, naturally
 * aligned, and addressed by byte offsets from the start of the segment (never pointers), so the
 * segment can be mapped at any address in any process.
 *
 * Segment
 *   [clab_ring_header]                      offset 0, CLAB_RING_HEADER_SIZE bytes
 *   lane 0 .. lane (lane_count-1)            each lane_stride bytes, first at header_size
 *
 * Lane i (at header_size + i * lane_stride)
 *   [clab_lane_producer]   one cache line: written by the lane's worker only
 *   [clab_lane_consumer] × CLAB_MAX_CONSUMERS, one cache line each: written by that reader only
 *   [clab_lane_final]      written once by the worker when it finishes its measured phase
 *   uint64_t histogram[CLAB_HIST_BUCKETS]   cumulative latency counts, written by the worker only
 *   clab_sample samples[capacity]           the ring proper; capacity is a power of two
 *
 * Ring protocol (single producer, up to CLAB_MAX_CONSUMERS independent consumers)
 *   head: number of samples ever published in the lane (monotonic). Producer writes slot
 *         head % capacity, then stores head+1 with release ordering.
 *   tail[c]: number of samples consumer c has read. Consumer reads slots tail..head-1 after an
 *         acquire load of head, then stores the new tail with release ordering.
 *   A consumer is taken into account by the producer only while its `active` word is 1.
 *   If head - min(active tails) == capacity the ring is full: the producer does not write, it
 *   increments `drops`. Samples carry cumulative counters, so a drop loses time resolution,
 *   never totals.
 *
 * Histogram: log-linear. Value v in nanoseconds (v >= 0) maps to bucket
 *   if v < 2^CLAB_HIST_SUB_BITS:  v
 *   else with m = index of v's highest set bit:
 *        (m - CLAB_HIST_SUB_BITS + 1) * 2^CLAB_HIST_SUB_BITS + ((v >> (m - CLAB_HIST_SUB_BITS)) - 2^CLAB_HIST_SUB_BITS)
 *   clamped to CLAB_HIST_BUCKETS-1. With 5 sub-bits every bucket is at most 1/32 (3.1 %) wide
 *   relative to its lower bound, and the range reaches 2^34 ns (17 s), beyond the 10 s required.
 *   Counts are cumulative for the measured phase and only ever grow; readers load each bucket
 *   as a relaxed 64-bit atomic.
 *
 * Memory ordering: all fields written concurrently with a reader are 64-bit or 32-bit aligned
 * words accessed atomically (C11 atomics or std::atomic_ref). head/tail carry release/acquire;
 * everything else is relaxed.
 */
#ifndef CLAB_STATS_RING_LAYOUT_H
#define CLAB_STATS_RING_LAYOUT_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CLAB_RING_MAGIC 0x474E495242414C43ULL /* "CLABRING" read little-endian */
#define CLAB_RING_LAYOUT_VERSION 1u
#define CLAB_CACHE_LINE 64u
#define CLAB_RING_HEADER_SIZE 256u
#define CLAB_MAX_CONSUMERS 2u
#define CLAB_HIST_SUB_BITS 5u
#define CLAB_HIST_BUCKETS 960u /* (34 - 5 + 1) * 32: covers 0 .. 2^34 ns */
#define CLAB_MAX_LANES 1024u

/* Run states, in the order a run goes through them. */
enum clab_run_state {
    CLAB_RUN_CREATED = 0,   /* segment made, runner not attached yet */
    CLAB_RUN_PREPARING = 1, /* runner attached, workers being started */
    CLAB_RUN_WARMUP = 2,
    CLAB_RUN_MEASURING = 3,
    CLAB_RUN_STOPPING = 4,
    CLAB_RUN_FINISHED = 5,
    CLAB_RUN_FAILED = 6
};

/* Worker states carried in every sample (the app's timeline). */
enum clab_worker_state {
    CLAB_WORKER_CREATED = 0,
    CLAB_WORKER_RUNNING = 1, /* doing its own work, outside any primitive */
    CLAB_WORKER_WAITING = 2, /* blocked or spinning to acquire a primitive */
    CLAB_WORKER_HOLDING = 3, /* inside a critical section */
    CLAB_WORKER_IO = 4,      /* blocked on IO or sleeping */
    CLAB_WORKER_FINISHED = 5,
    CLAB_WORKER_FAILED = 6
};

/* Sample flags. */
#define CLAB_SAMPLE_WARMUP 0x1u /* taken during warm-up: counters are warm-up counters */
#define CLAB_SAMPLE_FINAL 0x2u  /* the last sample of the measured phase */

struct clab_ring_header {
    uint64_t magic;          /* CLAB_RING_MAGIC */
    uint32_t layout_version; /* CLAB_RING_LAYOUT_VERSION */
    uint32_t header_size;    /* CLAB_RING_HEADER_SIZE */
    uint32_t lane_count;     /* number of workers */
    uint32_t lane_capacity;  /* samples per lane, power of two */
    uint32_t sample_size;    /* sizeof(struct clab_sample) */
    uint32_t hist_buckets;   /* CLAB_HIST_BUCKETS */
    uint64_t lane_stride;    /* bytes between lanes, multiple of CLAB_CACHE_LINE */
    uint64_t segment_size;   /* total bytes */
    uint32_t run_state;      /* enum clab_run_state, written by the runner */
    int32_t runner_pid;      /* written by the runner when it attaches */
    uint64_t start_realtime_ns; /* CLOCK_REALTIME at the start gate */
    uint64_t start_monotonic_ns; /* CLOCK_MONOTONIC at the start gate: sample times are relative to it */
    uint64_t sample_interval_ns;
    uint64_t planned_duration_ns; /* warm-up + measured phase, 0 if the run is bounded by operations */
    uint32_t point_index;    /* sweep point being run (0 for a single run), written before its start gate */
    uint32_t point_count;    /* points in the sweep (1 for a single run) */
    uint32_t active_lanes;   /* workers of the current point (<= lane_count) */
    uint32_t reserved0;
    uint8_t reserved[CLAB_RING_HEADER_SIZE - 104];
};

/* One sample: cumulative counters of one worker since the start of its current phase. */
struct clab_sample {
    uint64_t t_ns;           /* CLOCK_MONOTONIC - start_monotonic_ns */
    uint64_t ops;            /* operations completed */
    uint64_t bytes;          /* payload bytes moved */
    uint64_t wait_ns;        /* time spent acquiring */
    uint64_t hold_ns;        /* time spent holding */
    uint64_t contended;      /* acquisitions that could not succeed at once */
    uint64_t latency_count;  /* latency observations (sum of histogram counts) */
    uint64_t latency_sum_ns; /* sum of observed latencies */
    uint64_t user_ns;        /* CPU time in user mode (this worker) */
    uint64_t sys_ns;         /* CPU time in kernel mode (this worker) */
    uint64_t vol_csw;        /* voluntary context switches */
    uint64_t invol_csw;      /* involuntary context switches */
    int64_t gauge0;          /* primitive's own state, e.g. semaphore value (meaning per experiment) */
    int64_t gauge1;          /* e.g. waiters */
    uint32_t state;          /* enum clab_worker_state */
    int32_t cpu;             /* CPU the worker was on when it published */
    uint32_t flags;          /* CLAB_SAMPLE_* */
    uint32_t reserved0;
};

struct clab_lane_producer {
    uint64_t head;     /* samples published (release) */
    uint64_t drops;    /* samples not published because the ring was full */
    int32_t pid;       /* process the worker runs in */
    int32_t tid;       /* its thread id */
    uint32_t worker_index;
    uint32_t state;    /* current enum clab_worker_state, updated on change */
    uint64_t cpu_mask; /* CPUs 0..63 the worker was seen on */
    uint8_t reserved[CLAB_CACHE_LINE - 40];
};

struct clab_lane_consumer {
    uint64_t tail;   /* samples consumed (release) */
    uint32_t active; /* 1 while this consumer takes part */
    uint8_t reserved[CLAB_CACHE_LINE - 12];
};

/* Written by the worker once, after its measured phase, then `valid` set to 1 (release). */
struct clab_lane_final {
    uint32_t valid;
    uint32_t exit_state;       /* enum clab_worker_state */
    uint64_t ops;              /* measured phase */
    uint64_t ops_total;        /* warm-up + measured: what the worker added to shared counters */
    uint64_t bytes;
    uint64_t wait_ns;
    uint64_t hold_ns;
    uint64_t contended;
    uint64_t measured_ns;      /* length of this worker's measured phase */
    uint64_t user_ns;
    uint64_t sys_ns;
    uint64_t vol_csw;
    uint64_t invol_csw;
    uint64_t cpu_mask;
    uint64_t start_ns;         /* measured phase start, relative to start_monotonic_ns */
    uint64_t end_ns;
    uint64_t owner_died;       /* robust-mutex recoveries this worker performed */
    uint8_t reserved[256 - 128];
};

#ifdef __cplusplus
} /* extern "C" */
static_assert(sizeof(clab_ring_header) == CLAB_RING_HEADER_SIZE);
static_assert(sizeof(clab_sample) == 128);
static_assert(sizeof(clab_lane_producer) == CLAB_CACHE_LINE);
static_assert(sizeof(clab_lane_consumer) == CLAB_CACHE_LINE);
static_assert(sizeof(clab_lane_final) == 256);
#endif

#endif
