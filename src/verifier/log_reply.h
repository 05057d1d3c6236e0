/* A handler's reply that waits for its log entries' commit without holding the
 * event loop (attest, receipts, key releases). */
#ifndef VT_VERIFIER_LOG_REPLY_H
#define VT_VERIFIER_LOG_REPLY_H

#include "veritee/veritee.h"
#include "verifier/log.h"

/* A handler's second half, once its entries are committed: replies on resp
 * (NULL: nobody is left to answer, only release ctx) and owns ctx.  index is
 * read only when rc is VT_OK. */
typedef void (*vf_logged_fn)(vt_http_resp *resp, void *ctx, const uint64_t *index, vt_status rc, const vt_err *err);

/*
 * Appends e[0..n) to log and runs logged once they are committed.  An append
 * waits for a group commit and its fsync (milliseconds): behind a server, the
 * request's loop serves others meanwhile and logged runs on it after the
 * commit; without one (in-process calls) this call waits.  e's bytes must stay
 * valid until logged runs (ctx's or the request body's).
 */
void vf_reply_after_log(vt_http_resp *resp, const vt_http_req *req, vf_log *log, const vf_log_entry *e, size_t n,
                        vf_logged_fn logged, void *ctx);

#endif
