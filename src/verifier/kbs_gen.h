/* The key broker's resources as the transparency log says they are (docs/keys.md, "Revocation
 * the database cannot undo"): per resource id, the highest generation logged and its event.
 * Built from the log's kbs_resource entries (vf_log_follow) and kept in memory: the database a
 * record is read from cannot roll it back. */
#ifndef VT_VERIFIER_KBS_GEN_H
#define VT_VERIFIER_KBS_GEN_H

#include <stdbool.h>
#include <stdint.h>

#include "veritee/veritee.h"

#define VF_KBS_RESOURCE_TYP "veritee-kbs-resource+jwt" /* the JWS typ of a kbs_resource entry */
#define VF_KBS_GENERATION_MAX ((uint64_t)1 << 53)      /* generations 1, 2, ... (exact in any JSON reader) */

typedef struct vf_kbs_gen vf_kbs_gen; /* caller owns, vf_kbs_gen_free(); thread-safe */

vt_status vf_kbs_gen_new(vf_kbs_gen **out, vt_err *err);
void vf_kbs_gen_free(vf_kbs_gen *g);
/*
 * One log entry (a vf_log_follow_fn; arg is the vf_kbs_gen): a compact JWS of typ
 * VF_KBS_RESOURCE_TYP whose payload is {"type":"kbs_resource","resource","generation","event":
 * "registered"|"revoked",...} raises its resource to that generation; at the same generation a
 * revocation wins.  Any other entry is ignored, and so is a malformed one (the log's tree was
 * checked against its signed checkpoint; only the verifier signs entries of this typ).
 */
void vf_kbs_gen_learn(void *g, uint64_t index, const uint8_t *entry, size_t len);
/* The map as text for STATE/log-follow (vf_log_follow_save_fn; arg is the vf_kbs_gen): one
 * line "GENERATION registered|revoked ID" per resource, sorted by id. */
vt_status vf_kbs_gen_save(void *g, vt_buf *out, vt_err *err);
/* Takes such text back (vf_log_follow_load_fn): every line raises its resource as an entry
 * would; VT_E_FORMAT at the first line that is not one (what came before stays learnt: raising
 * is idempotent, and the caller reads the whole log then). */
vt_status vf_kbs_gen_load(void *g, const uint8_t *p, size_t len, vt_err *err);
/* The highest generation of id and whether its event was "registered": false when the log
 * names id nowhere. */
bool vf_kbs_gen_get(vf_kbs_gen *g, const char *id, uint64_t *generation, bool *registered);
/* Resources known (for tests and the start-up line). */
size_t vf_kbs_gen_count(vf_kbs_gen *g);

#endif
