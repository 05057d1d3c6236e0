/*
 * The gateway's durable receipt queue (docs/gateway.md, "Receipt queue").
 *
 * Receipts wait here until the verifier acknowledges them.  On disk, in a
 * private directory (0700) of the state directory:
 *
 *   <dir>/<first-seq, 20 digits>.seg   append-only segments (0600) of records
 *                                      u32le len | u32le crc32(len_le || data) | data
 *   <dir>/cursor                       the first sequence number not yet acknowledged
 *                                      (overwritten in place; a cursor that lags after a power
 *                                      loss re-sends receipts the verifier already logged)
 *
 *   <dir>/spare                        the next segment, made ahead (empty)
 *
 * Each segment's whole room (segment_bytes and one record) is reserved on disk
 * when it is made (fallocate, the size unchanged), and so is the spare's: when the
 * disk fills up, the queue still writes what is left of the last segment and a
 * whole segment more, durably, before it holds receipts in memory.
 *
 * vt_gw_rq_push writes the record at once (it survives kill -9 of the gateway);
 * vt_gw_rq_sync makes everything pushed so far durable with one fdatasync (group
 * commit: the sink thread calls it once per round, not once per receipt), after
 * an fsync of the directory when a segment was started since (its name).  A
 * segment is closed only once its records are synced.  At
 * open the segments are scanned: a torn or corrupt record ends its segment (the
 * last segment is truncated there, which is what a crash mid-write leaves) and
 * the receipts from the cursor on are replayed.  Disk use is bounded by
 * max_bytes: a push beyond it is refused with VT_E_LIMIT and counted in
 * `dropped`, so the caller can tell the operator.  Acknowledged segments are
 * deleted.
 *
 * One producer side (push, any thread) and one consumer (peek/ack/sync, the
 * sink thread); every function is thread-safe.
 */
#ifndef VT_GW_RECEIPT_QUEUE_H
#define VT_GW_RECEIPT_QUEUE_H

#include <stdint.h>

#include "veritee/veritee.h"

#define VT_GW_RQ_BATCH_MAX 256 /* receipts in one batch at most */

typedef struct vt_gw_rq vt_gw_rq; /* caller owns, vt_gw_rq_close() */

typedef struct vt_gw_rq_opts {
    const char *dir;        /* borrowed for the call; created 0700 when missing */
    uint64_t max_bytes;     /* disk budget of the segments; 0 = 256 MiB */
    uint64_t segment_bytes; /* a new segment starts above this; 0 = 4 MiB */
    uint64_t hold_bytes;    /* memory for receipts the disk refuses (a full disk); 0 = 8 MiB */
} vt_gw_rq_opts;

typedef struct vt_gw_rq_stats {
    uint64_t depth;     /* receipts pushed and not acknowledged */
    uint64_t bytes;     /* bytes of segment files on disk */
    uint64_t segments;  /* segment files */
    uint64_t pushed;    /* since open */
    uint64_t acked;     /* since open */
    uint64_t dropped;   /* refused since open (full queue, or a write error with the hold full) */
    uint64_t held;      /* receipts the disk refused, kept in memory until it takes them */
    char held_why[160]; /* why the disk last refused a write ("No space left on device") */
    uint64_t reserve;   /* bytes reserved on disk ahead of the queue: what a full disk still takes */
    char reserve_why[160]; /* why room could not be reserved ("Operation not supported"); "" = it is */
    uint64_t recovered; /* unacknowledged receipts found at open */
    uint64_t discarded; /* bytes of torn or corrupt records dropped at open */
} vt_gw_rq_stats;

/* A run of the oldest unacknowledged receipts, read by vt_gw_rq_peek. */
typedef struct vt_gw_rq_batch {
    vt_buf data;                      /* owned: the receipts, each NUL-terminated, back to back */
    size_t count;
    size_t off[VT_GW_RQ_BATCH_MAX];   /* receipt i is (char *)data.data + off[i] */
    size_t len[VT_GW_RQ_BATCH_MAX];
    uint64_t first_seq, end_seq;      /* sequence numbers [first, end) */
} vt_gw_rq_batch;

/* Opens (and recovers) the queue.  VT_E_IO naming the file on a filesystem error. */
VT_NODISCARD vt_status vt_gw_rq_open(vt_gw_rq **out, const vt_gw_rq_opts *o, vt_err *err);
/* Writes the receipts held in memory if the disk takes them now, syncs and frees.  Returns
 * how many held receipts were lost (the disk still refused them).  NULL-safe. */
uint64_t vt_gw_rq_close(vt_gw_rq *q);
/*
 * Appends one receipt (1 .. VT_RECEIPT_MAX bytes; borrowed for the call).
 * When the disk refuses the write (a full disk) the receipt is held in memory,
 * in order, and written by the next push or sync that the disk takes (stats:
 * held; lost only if the queue is closed while the disk still refuses).
 * VT_E_LIMIT when the queue is full (counted as dropped), VT_E_IO when the write
 * fails with the hold full (counted as dropped; the segment is cut back to its
 * last whole record), VT_E_ARG for an empty or oversized receipt.
 */
VT_NODISCARD vt_status vt_gw_rq_push(vt_gw_rq *q, const uint8_t *p, size_t len, vt_err *err);
/* Group commit: writes the held receipts the disk takes now, then one fdatasync of what was
 * pushed since the last sync (nothing to do: VT_OK). */
VT_NODISCARD vt_status vt_gw_rq_sync(vt_gw_rq *q, vt_err *err);
/*
 * Reads up to max_count (<= VT_GW_RQ_BATCH_MAX) of the oldest unacknowledged
 * receipts into b (cleared first; release with vt_gw_rq_batch_clear), stopping
 * before max_bytes unless the batch would be empty.  b->count 0 = nothing waits.
 */
VT_NODISCARD vt_status vt_gw_rq_peek(vt_gw_rq *q, vt_gw_rq_batch *b, size_t max_count, size_t max_bytes,
                                     vt_err *err);
/* The receipts of b are acknowledged: moves the cursor past them (written at once, not
 * fsynced) and deletes the segments that hold nothing unacknowledged. */
VT_NODISCARD vt_status vt_gw_rq_ack(vt_gw_rq *q, const vt_gw_rq_batch *b, vt_err *err);
void vt_gw_rq_batch_clear(vt_gw_rq_batch *b);
void vt_gw_rq_stats_get(vt_gw_rq *q, vt_gw_rq_stats *out);

#endif
