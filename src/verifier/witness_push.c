/* Offering checkpoints to witnesses (witness_push.h).  One thread, so a slow or
 * absent witness delays only cosignatures, never an append. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "verifier/log.h"
#include "base/cond.h"
#include "verifier/store.h"
#include "verifier/verifier.h"
#include "verifier/witness_push.h"

#define RETRY_SECS 10
#define WITNESS_TIMEOUT_MS 5000

struct witness {
    char url[512];
    vt_note_verifier *key;
    uint64_t size;  /* the size it last cosigned (as far as we know; 409 tells us otherwise) */
    vt_buf text;    /* the checkpoint text of the kept cosignature */
    vt_buf line;    /* that cosignature line */
};

struct vf_witnesses {
    struct witness w[VF_WITNESSES_MAX];
    size_t n;
    vs_store *st;
    pthread_t th;
    bool started, stop, kicked;
    pthread_mutex_t mu; /* guards stop, kicked and every witness's text and line */
    pthread_cond_t cv;
    vf_witness_ahead_fn ahead; /* NULL = nobody to tell */
    void *ahead_arg;
};

static void log_line(const char *level, const char *msg, const char *url, const char *detail)
{
    vf_log_line_at(level, msg, "witness", url, detail);
}

/* x says it cosigned a tree of `have` entries, more than the checkpoint offered: unless the log
 * grew meanwhile (another replica's commit, offered to x first), the stored log is smaller than
 * a tree this log signed, and whoever waits for that is told.  The size in a 409 is not signed:
 * a forged one can only stop releases. */
static void witness_ahead(vf_witnesses *ws, const struct witness *x, uint64_t have)
{
    uint64_t size = 0;
    char *cp = NULL, why[700];
    vt_err e = { 0 };

    if (ws->ahead == NULL || ws->st->log->head(ws->st, &size, &cp, &e) != VT_OK || size >= have) {
        free(cp);
        return;
    }
    free(cp);
    snprintf(why, sizeof(why), "the witness %s cosigned a tree of %llu entries; the stored log holds %llu", x->url,
             (unsigned long long)have, (unsigned long long)size);
    ws->ahead(ws->ahead_arg, why);
}

/* One offer of the checkpoint note (text[0..tl) + signatures) of `size` to witness x.
 * Returns true when x now holds a cosignature of it. */
static bool offer(vf_witnesses *ws, struct witness *x, const char *note, size_t tl, uint64_t size)
{
    uint8_t proof[VT_TLOG_PROOF_MAX][32];
    size_t n = 0, ctl = 0;
    uint64_t t = 0;
    char url[600];
    vt_buf body, cosigned, mine;
    vt_http_response r;
    vt_http_client_opts o;
    vt_err e = { 0 };
    bool ok = false;

    memset(&r, 0, sizeof(r));
    vt_buf_init(&body);
    vt_buf_init(&cosigned);
    vt_buf_init(&mine);
    memset(&o, 0, sizeof(o));
    o.timeout_ms = WITNESS_TIMEOUT_MS;
    o.max_response = 64 << 10;
    snprintf(url, sizeof(url), "%s/add-checkpoint", x->url);
    for (int attempt = 0; attempt < 2 && !ok; attempt++) {
        uint64_t old = x->size <= size ? x->size : 0;
        n = 0;
        body.len = 0;
        vt_http_response_clear(&r);
        if ((old != 0 && old < size &&
             vt_tlog_prove_consistency(proof, &n, old, size, vf_log_read, ws->st, &e) != VT_OK) ||
            n > VT_WITNESS_PROOF_MAX ||
            vt_witness_req_build(&body, old, (const uint8_t(*)[32])proof, n, (const uint8_t *)note, strlen(note),
                                 &e) != VT_OK ||
            vt_buf_terminate(&body, &e) != VT_OK) {
            log_line("error", "witness request not built", x->url, e.msg);
            break;
        }
        if (vt_http_request(&r, "POST", url, (const char *)body.data, &o, &e) != VT_OK) {
            log_line("warn", "witness unreachable", x->url, e.msg);
            break;
        }
        if (r.status == 409) {
            /* Its size differs from ours (a restart on either side): retry from what it says. */
            unsigned long long have = 0;
            if (sscanf((const char *)r.body.data, "%llu", &have) != 1) {
                log_line("warn", "witness 409 without a size", x->url, "");
                break;
            }
            if (have > size)
                witness_ahead(ws, x, have);
            x->size = have;
            continue;
        }
        if (r.status != 200) {
            char st[64];
            snprintf(st, sizeof(st), "HTTP %ld", r.status);
            log_line("warn", "witness refused the checkpoint", x->url, st);
            break;
        }
        /* Keep only the answer's lines that are x's cosignature and verify over this very text: any
         * other line (under the log's name, say) would be served with the checkpoint, and one that
         * does not verify under a key a client holds makes the client reject the whole note. */
        mine.len = 0;
        for (size_t at = 0, ll; at < r.body.len; at += ll + 1) {
            const uint8_t *nl = memchr(r.body.data + at, '\n', r.body.len - at);
            if (nl == NULL)
                break;
            ll = (size_t)(nl - (r.body.data + at));
            cosigned.len = 0;
            if (vt_buf_append(&cosigned, note, tl, &e) == VT_OK && vt_buf_append_str(&cosigned, "\n", &e) == VT_OK &&
                vt_buf_append(&cosigned, r.body.data + at, ll + 1, &e) == VT_OK &&
                vt_note_open_cosigned(&ctl, &t, cosigned.data, cosigned.len, x->key, &e) == VT_OK &&
                vt_buf_append(&mine, r.body.data + at, ll + 1, &e) != VT_OK)
                break;
        }
        if (mine.len == 0) {
            log_line("warn", "witness answer has no valid cosignature", x->url, e.msg);
            break;
        }
        pthread_mutex_lock(&ws->mu);
        x->text.len = 0;
        x->line.len = 0;
        ok = vt_buf_append(&x->text, note, tl, NULL) == VT_OK &&
             vt_buf_append(&x->line, mine.data, mine.len, NULL) == VT_OK;
        pthread_mutex_unlock(&ws->mu);
        x->size = size;
    }
    vt_http_response_clear(&r);
    vt_buf_free(&body);
    vt_buf_free(&cosigned);
    vt_buf_free(&mine);
    return ok;
}

static void *pusher(void *arg)
{
    vf_witnesses *ws = arg;
    uint64_t done_size[VF_WITNESSES_MAX] = { 0 };
    bool done[VF_WITNESSES_MAX] = { false };

    pthread_mutex_lock(&ws->mu);
    while (!ws->stop) {
        struct timespec until;
        uint64_t size = 0;
        char *cp = NULL;
        vt_err e = { 0 };
        bool pending = false;

        ws->kicked = false;
        pthread_mutex_unlock(&ws->mu);
        if (ws->st->log->head(ws->st, &size, &cp, &e) == VT_OK && cp != NULL) {
            const char *sep = strstr(cp, "\n\n");
            size_t tl = sep != NULL ? (size_t)(sep - cp) + 1 : 0;
            for (size_t i = 0; i < ws->n && tl != 0; i++) {
                if (done[i] && done_size[i] == size)
                    continue;
                done[i] = offer(ws, &ws->w[i], cp, tl, size);
                done_size[i] = size;
                pending |= !done[i];
            }
        }
        free(cp);
        pthread_mutex_lock(&ws->mu);
        until = vt__cond_deadline((int64_t)RETRY_SECS * 1000);
        while (!ws->stop && !ws->kicked)
            if (pthread_cond_timedwait(&ws->cv, &ws->mu, &until) != 0)
                break; /* retry the ones that failed, and pick up a missed kick */
        (void)pending;
    }
    pthread_mutex_unlock(&ws->mu);
    return NULL;
}

vt_status vf_witnesses_open(vf_witnesses **out, const char *const *specs, size_t n, const char *db_url,
                            vf_witness_ahead_fn ahead, void *ahead_arg, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    vf_witnesses *ws;

    *out = NULL;
    if (n > VF_WITNESSES_MAX)
        return vt_err_set(err, VT_E_ARG, "witness: at most %d witnesses", VF_WITNESSES_MAX);
    ws = calloc(1, sizeof(*ws));
    if (ws == NULL)
        return vt_err_set(err, VT_E_NOMEM, "witness: out of memory");
    pthread_mutex_init(&ws->mu, NULL);
    (void)vt__cond_init(&ws->cv);
    ws->ahead = ahead;
    ws->ahead_arg = ahead_arg;
    for (size_t i = 0; i < n; i++) {
        struct witness *x = &ws->w[i];
        const char *comma = strchr(specs[i], ',');
        size_t ul = comma != NULL ? (size_t)(comma - specs[i]) : 0;
        vt_buf_init(&x->text);
        vt_buf_init(&x->line);
        ws->n = i + 1;
        if (comma == NULL || ul == 0 || ul >= sizeof(x->url) ||
            (strncmp(specs[i], "http://", 7) != 0 && strncmp(specs[i], "https://", 8) != 0)) {
            rc = vt_err_set(err, VT_E_ARG, "witness: '%.80s' is not URL,VKEY", specs[i]);
            goto fail;
        }
        memcpy(x->url, specs[i], ul);
        while (ul > 0 && x->url[ul - 1] == '/')
            x->url[--ul] = '\0';
        rc = vt_note_verifier_parse(&x->key, comma + 1, strlen(comma + 1), err);
        if (rc != VT_OK)
            goto fail;
    }
    rc = vs_open(&ws->st, db_url, err);
    if (rc != VT_OK)
        goto fail;
    if (pthread_create(&ws->th, NULL, pusher, ws) != 0) {
        rc = vt_err_set(err, VT_E_INTERNAL, "witness: cannot start the thread");
        goto fail;
    }
    ws->started = true;
    *out = ws;
    return VT_OK;
fail:
    vf_witnesses_close(ws);
    return rc;
}

void vf_witnesses_close(vf_witnesses *ws)
{
    if (ws == NULL)
        return;
    pthread_mutex_lock(&ws->mu);
    ws->stop = true;
    pthread_cond_signal(&ws->cv);
    pthread_mutex_unlock(&ws->mu);
    if (ws->started)
        pthread_join(ws->th, NULL);
    for (size_t i = 0; i < ws->n; i++) {
        vt_note_verifier_free(ws->w[i].key);
        vt_buf_free(&ws->w[i].text);
        vt_buf_free(&ws->w[i].line);
    }
    vs_close(ws->st);
    pthread_mutex_destroy(&ws->mu);
    pthread_cond_destroy(&ws->cv);
    free(ws);
}

void vf_witnesses_kick(vf_witnesses *ws)
{
    if (ws == NULL)
        return;
    pthread_mutex_lock(&ws->mu);
    ws->kicked = true;
    pthread_cond_signal(&ws->cv);
    pthread_mutex_unlock(&ws->mu);
}

vt_status vf_witnesses_lines(vf_witnesses *ws, vt_buf *out, const char *text, size_t text_len, vt_err *err)
{
    vt_status rc = VT_OK;

    if (ws == NULL)
        return VT_OK;
    pthread_mutex_lock(&ws->mu);
    for (size_t i = 0; i < ws->n && rc == VT_OK; i++) {
        const struct witness *x = &ws->w[i];
        if (x->line.len != 0 && x->text.len == text_len && memcmp(x->text.data, text, text_len) == 0)
            rc = vt_buf_append(out, x->line.data, x->line.len, err);
    }
    pthread_mutex_unlock(&ws->mu);
    return rc;
}
