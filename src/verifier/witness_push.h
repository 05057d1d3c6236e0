/* The log's side of C2SP tlog-witness: a thread that offers every new
 * checkpoint to the configured witnesses (POST <url>/add-checkpoint with a
 * consistency proof from the size each last cosigned) and keeps the newest
 * cosignature of each, checked against that witness's key, for
 * GET /v1/log/checkpoint to append (docs/log.md, "Witnesses"). */
#ifndef VT_VERIFIER_WITNESS_PUSH_H
#define VT_VERIFIER_WITNESS_PUSH_H

#include "veritee/veritee.h"

#define VF_WITNESSES_MAX 8

typedef struct vf_witnesses vf_witnesses;

/* A witness cosigned a larger tree than the stored log holds (why: which, and the sizes).  On
 * the witnesses' thread. */
typedef void (*vf_witness_ahead_fn)(void *arg, const char *why);
/* specs: "URL,VKEY" each (VKEY: the witness's cosigner key, type 0x04).  db_url: a store of
 * its own for reading proofs.  ahead (or NULL) is told when a witness answers, to an offer, that
 * it cosigned a larger tree (its 409's size) than the stored log holds after the answer: asked
 * at start (the first offer) and with each new checkpoint.  Caller owns, vf_witnesses_close(). */
vt_status vf_witnesses_open(vf_witnesses **out, const char *const *specs, size_t n, const char *db_url,
                            vf_witness_ahead_fn ahead, void *ahead_arg, vt_err *err);
void vf_witnesses_close(vf_witnesses *w);
/* A new checkpoint exists: the thread offers it soon.  Never blocks on the network. */
void vf_witnesses_kick(vf_witnesses *w);
/* Appends to out every kept cosignature line made over exactly this checkpoint text. */
vt_status vf_witnesses_lines(vf_witnesses *w, vt_buf *out, const char *text, size_t text_len, vt_err *err);

#endif
