/*
 * Internal: rollback protection for Intel TDX collateral (docs/collateral.md,
 * "Rollback").  Intel raises tcbEvaluationDataNumber with each TCB recovery,
 * but an older TCB info or QE identity stays validly signed until its own
 * nextUpdate: served after a newer one (by whoever sits on the network path,
 * a stale mirror, a file put back in the cache directory, or collateral passed
 * with a request) it would rate a platform by the levels of before the
 * recovery.  The highest number verified per document (the TCB info of one
 * FMSPC, the TD_QE identity) is kept with the issueDate of that document, in
 * the verification cache and in a directory the caller names (tdx.c: the state
 * directory's collateral-floors/, which clearing the cache leaves alone); from
 * that issueDate on, a document with a lower number is refused.
 */
#ifndef VT_TEE_TDX_EVAL_H
#define VT_TEE_TDX_EVAL_H

#include "tee/cache.h"
#include "veritee/base.h"

#define TDX_EVAL_NAME_MAX 48

typedef struct vt__tdx_eval_floor {
    uint32_t num; /* 0: none seen */
    vt_time since; /* issueDate of the document that carried num */
} vt__tdx_eval_floor;

/* The name of a floor: "tcb-<fmspc hex>" or "qe-TD_QE", prefixed "sim-" under a simulation root. */
void vt__tdx_eval_name(char out[TDX_EVAL_NAME_MAX], bool sim, const char *doc, const char *id);

/* The floor of name, from cache (when non-NULL) or else the file <dir>/tdx-eval-<name> (dir may be
 * NULL); { 0, 0 } when none was recorded.  An unreadable file counts as none. */
void vt__tdx_eval_floor_get(vt__tdx_eval_floor *out, vt_verify_cache *cache, const char *dir, const char *name);

/* True when a document numbered num is refused at now under f. */
bool vt__tdx_eval_refused(const vt__tdx_eval_floor *f, uint32_t num, vt_time now);

/* Records num (issued at since) when it is above the floor kept in cache and in dir (best effort:
 * a directory that cannot be written keeps the floor in memory only). */
void vt__tdx_eval_floor_raise(vt_verify_cache *cache, const char *dir, const char *name, uint32_t num, vt_time since);

#endif
