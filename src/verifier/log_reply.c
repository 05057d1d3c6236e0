/* Replies that wait for the log's commit (log_reply.h): the handler queues its entries
 * and returns; the sequencer wakes the request's loop after the commit. */
#include <stdlib.h>
#include <string.h>

#include "verifier/log_reply.h"

struct log_wait {
    vt_http_later *later;
    vf_logged_fn logged;
    void *ctx;
    vt_status rc;
    vt_err err;
    uint64_t index[];
};

/* On the sequencer's thread: keep the outcome, hand the rest to the request's loop. */
static void log_wait_done(void *arg, const uint64_t *index, size_t n, vt_status rc, const vt_err *err)
{
    struct log_wait *w = arg;

    w->rc = rc;
    if (err != NULL)
        w->err = *err;
    memcpy(w->index, index, n * sizeof(*index));
    vt_http_later_wake(w->later);
}

/* On the request's loop. */
static void log_wait_finish(vt_http_resp *resp, void *arg)
{
    struct log_wait *w = arg;

    w->logged(resp, w->ctx, w->index, w->rc, &w->err);
    free(w);
}

void vf_reply_after_log(vt_http_resp *resp, const vt_http_req *req, vf_log *log, const vf_log_entry *e, size_t n,
                        vf_logged_fn logged, void *ctx)
{
    struct log_wait *w = calloc(1, sizeof(*w) + n * sizeof(w->index[0]));
    vt_err err = { 0 };

    if (w == NULL) {
        vt_err_set(&err, VT_E_NOMEM, "out of memory");
        logged(resp, ctx, NULL, VT_E_NOMEM, &err);
        return;
    }
    w->logged = logged;
    w->ctx = ctx;
    w->later = vt_http_reply_later(resp, req, log_wait_finish, w);
    if (w->later != NULL) {
        /* Once queued, w belongs to the sequencer until log_wait_done: nothing here writes it. */
        vt_status rc = vf_log_append_async(log, e, n, log_wait_done, w, &err);
        if (rc != VT_OK) { /* not queued: log_wait_done never runs */
            w->rc = rc;
            w->err = err;
            vt_http_later_wake(w->later);
        }
        return;
    }
    w->rc = vf_log_append_many(log, w->index, e, n, &w->err);
    log_wait_finish(resp, w);
}
