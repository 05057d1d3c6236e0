/*
 * The receipt sink (trust.h): every signed receipt goes into the durable queue
 * (receipt_queue.h) on the request's thread; one thread makes the queue durable
 * (group commit), uploads the oldest receipts in batches to the verifier's
 * POST /v1/receipts:batch over one keep-alive connection, signed under the
 * gateway's passport, and acknowledges them in the queue once the verifier has
 * logged them.  Failures back off exponentially with jitter; nothing is dropped
 * silently: a full queue is an error line (at most one a second, with a count)
 * and a metric.  Receipts a full disk refuses are held in memory by the queue
 * (up to 8 MiB) and written once it takes them; that is said once each way.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "gateway/trust.h"
#include "base/cond.h"

#define SINK_BATCH_BYTES ((size_t)512 << 10) /* under the verifier's 1 MiB body limit */
#define SINK_BATCH_ANON 16                    /* VF_RECEIPT_BATCH_ANON: without a valid passport */
#define SINK_IDLE_MS 50                       /* the longest an idle sink sleeps */
#define SINK_SYNC_MS 20                       /* group commit: one fdatasync per this while busy */
#define SINK_BACKOFF_MIN_MS 100
#define SINK_BACKOFF_MAX_MS 30000
#define SINK_QUEUE_BYTES ((uint64_t)256 << 20)

/* ---- producer: the request threads ---- */

static void drop_note(vt_gw_trust *t, const char *why)
{
    long long now = vt_time_mono_ms(), last = atomic_load(&t->drop_logged_ms);
    unsigned long long n = atomic_fetch_add(&t->drop_unlogged, 1) + 1;

    /* One line a second at most, with the count since the previous line. */
    if (now - last >= 1000 && atomic_compare_exchange_strong(&t->drop_logged_ms, &last, now)) {
        char m[400];
        atomic_fetch_sub(&t->drop_unlogged, n);
        snprintf(m, sizeof(m), "%llu receipt(s) not kept: %s (veritee_gateway_receipts_dropped_total)", n, why);
        vt__gw_log("error", "receipt_dropped", m);
    }
}

void vt__gw_receipt_queue(vt_gw_trust *t, const char *token)
{
    vt_err e = { 0 };

    if (t->rq == NULL) {
        atomic_fetch_add(&t->not_queued, 1);
        drop_note(t, "the receipt queue is not open");
        return;
    }
    if (vt_gw_rq_push(t->rq, (const uint8_t *)token, strlen(token), &e) != VT_OK) {
        drop_note(t, e.msg);
        return;
    }
    if (atomic_exchange(&t->sink_idle, false)) {
        pthread_mutex_lock(&t->qmu);
        pthread_cond_signal(&t->qcv);
        pthread_mutex_unlock(&t->qmu);
    }
}

/* ---- metrics ---- */

vt_status vt__gw_receipt_metrics(vt_gw_trust *t, vt_buf *out, vt_err *err)
{
    vt_gw_rq_stats st;
    char s[4096];
    int n;

    memset(&st, 0, sizeof(st));
    if (t->rq != NULL)
        vt_gw_rq_stats_get(t->rq, &st);
    n = snprintf(s, sizeof(s),
                 "# HELP veritee_gateway_receipts_queued Receipts waiting for the verifier's acknowledgement.\n"
                 "# TYPE veritee_gateway_receipts_queued gauge\n"
                 "veritee_gateway_receipts_queued %" PRIu64 "\n"
                 "# HELP veritee_gateway_receipts_queue_bytes Bytes of the receipt queue on disk.\n"
                 "# TYPE veritee_gateway_receipts_queue_bytes gauge\n"
                 "veritee_gateway_receipts_queue_bytes %" PRIu64 "\n"
                 "# HELP veritee_gateway_receipts_dropped_total Receipts not kept (queue full or write error).\n"
                 "# TYPE veritee_gateway_receipts_dropped_total counter\n"
                 "veritee_gateway_receipts_dropped_total %" PRIu64 "\n"
                 "# HELP veritee_gateway_receipts_held Receipts the disk refused, kept in memory until it takes them.\n"
                 "# TYPE veritee_gateway_receipts_held gauge\n"
                 "veritee_gateway_receipts_held %" PRIu64 "\n"
                 "# HELP veritee_gateway_receipts_reserve_bytes Disk space reserved ahead of the receipt queue (a full disk still takes this much).\n"
                 "# TYPE veritee_gateway_receipts_reserve_bytes gauge\n"
                 "veritee_gateway_receipts_reserve_bytes %" PRIu64 "\n"
                 "# HELP veritee_gateway_receipts_sent_total Receipts the verifier acknowledged.\n"
                 "# TYPE veritee_gateway_receipts_sent_total counter\n"
                 "veritee_gateway_receipts_sent_total %" PRIu64 "\n"
                 "# HELP veritee_gateway_receipts_rejected_total Receipts the verifier refused for their content.\n"
                 "# TYPE veritee_gateway_receipts_rejected_total counter\n"
                 "veritee_gateway_receipts_rejected_total %llu\n"
                 "# HELP veritee_gateway_receipt_upload_failures_total Batch uploads that failed and were retried.\n"
                 "# TYPE veritee_gateway_receipt_upload_failures_total counter\n"
                 "veritee_gateway_receipt_upload_failures_total %llu\n"
                 "# HELP veritee_gateway_receipts_recovered Receipts replayed from disk at start.\n"
                 "# TYPE veritee_gateway_receipts_recovered gauge\n"
                 "veritee_gateway_receipts_recovered %" PRIu64 "\n"
                 "# HELP veritee_gateway_passports_refused_total Passports the verifier returned that were not this "
                 "gateway's for its round (key, environment, nonce, measurements, signature, expiry): not installed.\n"
                 "# TYPE veritee_gateway_passports_refused_total counter\n"
                 "veritee_gateway_passports_refused_total %llu\n",
                 st.depth, st.bytes, st.dropped + (uint64_t)atomic_load(&t->not_queued), st.held, st.reserve, st.acked,
                 (unsigned long long)atomic_load(&t->rejected), (unsigned long long)atomic_load(&t->upload_failures),
                 st.recovered, (unsigned long long)atomic_load(&t->passports_refused));
    if (n < 0 || (size_t)n >= sizeof(s))
        return vt_err_set(err, VT_E_INTERNAL, "gateway: metrics do not fit");
    return vt_buf_append(out, s, (size_t)n, err);
}

static void metrics_file(vt_gw_trust *t)
{
    char dir[4200], path[4300];
    vt_buf b;
    vt_err e = { 0 };

    vt_buf_init(&b);
    snprintf(dir, sizeof(dir), "%s/metrics", t->o.state_dir);
    snprintf(path, sizeof(path), "%s/receipts.prom", dir);
    if (vt_mkdir_p(dir, 0700, &e) != VT_OK || vt__gw_receipt_metrics(t, &b, &e) != VT_OK ||
        vt_file_write(path, b.data, b.len, 0600, &e) != VT_OK)
        vt__gw_log("warn", "metrics", e.msg);
    vt_buf_free(&b);
}

/* ---- the upload ---- */

static bool token_chars_ok(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
              c == '.'))
            return false;
    }
    return true;
}

/* {"receipts":[...]} of the first n receipts of b (compact JWS need no escaping; anything else is refused). */
static vt_status batch_body(vt_buf *out, const vt_gw_rq_batch *b, size_t n, vt_err *err)
{
    vt_status rc = vt_buf_append_str(out, "{\"receipts\":[", err);

    for (size_t i = 0; rc == VT_OK && i < n; i++) {
        const char *tok = (const char *)b->data.data + b->off[i];
        size_t len = b->len[i];
        if (!token_chars_ok(tok, len)) {
            tok = "not-a-compact-jws"; /* the verifier refuses it and says so; the rest go on */
            len = strlen(tok);
        }
        rc = vt_buf_append_str(out, i > 0 ? ",\"" : "\"", err);
        if (rc == VT_OK)
            rc = vt_buf_append(out, tok, len, err);
        if (rc == VT_OK)
            rc = vt_buf_append(out, "\"", 1, err);
    }
    if (rc == VT_OK)
        rc = vt_buf_append_str(out, "]}", err);
    if (rc == VT_OK)
        rc = vt_buf_terminate(out, err);
    return rc;
}

enum upload { UP_DONE, UP_RETRY, UP_SMALLER };

/* Sends the first n receipts of b.  UP_DONE: the verifier answered for each (accepted or refused for its
 * content); UP_SMALLER: send fewer at once; UP_RETRY: try again later. */
static enum upload upload(vt_gw_trust *t, vt_http_conn *conn, const vt_gw_rq_batch *b, size_t n)
{
    char url[2048], *passport = NULL, *authz = NULL, m[400];
    vt_http_client_opts co;
    vt_http_response r;
    vt_buf body;
    vt_err e = { 0 };
    json_t *reply = NULL, *res;
    enum upload u = UP_RETRY;
    size_t i, bad = 0;

    memset(&r, 0, sizeof(r));
    memset(&co, 0, sizeof(co));
    vt_buf_init(&body);
    snprintf(url, sizeof(url), "%s/v1/receipts:batch", t->o.cfg->verifier_url);
    co.timeout_ms = 15000;
    co.conn = conn;
    vt__gw_passport_for_auth(t, &passport);
    if (batch_body(&body, b, n, &e) != VT_OK) {
        vt__gw_log("error", "receipt_send", e.msg);
        goto out;
    }
    if (passport != NULL) {
        if (vt_passport_auth_sign(&authz, passport, t->key, "POST", url, body.data, body.len, vt_time_now(), &e) !=
            VT_OK) {
            vt__gw_log("error", "receipt_send", e.msg);
            goto out;
        }
        co.authorization = authz;
    } else if (n > SINK_BATCH_ANON) {
        u = UP_SMALLER; /* anonymous batches are small */
        goto out;
    }
    if (vt_http_request(&r, "POST", url, (const char *)body.data, &co, &e) != VT_OK) {
        snprintf(m, sizeof(m), "%s (%zu receipt(s) stay queued)", e.msg, n);
        vt__gw_log("warn", "receipt_send", m);
        goto out;
    }
    if (r.status == 413 || (r.status == 400 && n > 1)) {
        u = UP_SMALLER;
        goto out;
    }
    if (r.status == 400) {
        /* one receipt the verifier cannot read at all: it never will */
        vt_http_response_error(m, sizeof(m), &r);
        vt__gw_log("error", "receipt_rejected", m);
        atomic_fetch_add(&t->rejected, 1);
        u = UP_DONE;
        goto out;
    }
    if (r.status != 200) {
        char em[160];
        vt_http_response_error(em, sizeof(em), &r);
        snprintf(m, sizeof(m), "POST %.100s: %.160s (HTTP %ld; %zu receipt(s) stay queued)", url, em, r.status, n);
        vt__gw_log("warn", "receipt_send", m);
        goto out;
    }
    reply = json_loadb((const char *)r.body.data, r.body.len, 0, NULL);
    res = json_object_get(reply, "results");
    if (!json_is_array(res) || json_array_size(res) != n) {
        vt__gw_log("warn", "receipt_send", "the verifier's batch reply does not list every receipt");
        goto out;
    }
    for (i = 0; i < n; i++) {
        json_t *er = json_object_get(json_array_get(res, i), "error");
        if (er != NULL && bad++ == 0) {
            const char *c = json_string_value(json_object_get(er, "code")), *msg = json_string_value(json_object_get(er, "message"));
            snprintf(m, sizeof(m), "%s: %s", c != NULL ? c : "?", msg != NULL ? msg : "");
            vt__gw_log("error", "receipt_rejected", m);
        }
    }
    atomic_fetch_add(&t->rejected, bad);
    u = UP_DONE;
out:
    if (u == UP_RETRY)
        atomic_fetch_add(&t->upload_failures, 1);
    json_decref(reply);
    vt_http_response_clear(&r);
    vt_buf_free(&body);
    free(authz);
    free(passport);
    return u;
}

/* Says when receipts start to be held in memory (the disk refuses them) and when they are on
 * disk again: once each way, not per receipt.  *said: what was said last. */
static void held_note(vt_gw_trust *t, bool *said)
{
    vt_gw_rq_stats st;
    char m[400];

    vt_gw_rq_stats_get(t->rq, &st);
    if (st.held > 0 && !*said) {
        snprintf(m, sizeof(m),
                 "the receipt queue cannot write to disk (%s): %" PRIu64 " receipt(s) kept in memory until it can "
                 "(veritee_gateway_receipts_held)",
                 st.held_why, st.held);
        vt__gw_log("error", "receipt_held", m);
        *said = true;
    } else if (st.held == 0 && *said) {
        vt__gw_log("info", "receipt_held", "the receipts kept in memory are on disk again");
        *said = false;
    }
}

static void *sink_main(void *arg)
{
    vt_gw_trust *t = arg;
    vt_http_conn *conn = NULL;
    vt_gw_rq_batch b;
    long backoff = 0;
    size_t max_n = VT_GW_RQ_BATCH_MAX;
    int64_t next_metrics = 0, stop_at = 0, next_sync = 0;
    bool held_said = false;
    vt_err e = { 0 };

    memset(&b, 0, sizeof(b));
    if (vt_http_conn_new(&conn, &e) != VT_OK)
        vt__gw_log("error", "receipt_send", e.msg); /* requests then use a fresh connection each */
    for (;;) {
        long wait_ms = SINK_IDLE_MS;
        bool stop;
        int64_t now;

        now = vt_time_mono_ms();
        /* Group commit of what the request threads pushed: at most one fdatasync per SINK_SYNC_MS
         * while batches flow (the uploads do not wait for it; a kill -9 loses nothing written). */
        if (now >= next_sync) {
            int64_t took;
            if (vt_gw_rq_sync(t->rq, &e) != VT_OK)
                vt__gw_log("error", "receipt_queue", e.msg);
            took = vt_time_mono_ms() - now; /* a slow disk: upload at least as long as the sync took */
            now += took;
            next_sync = now + (took > SINK_SYNC_MS ? took : SINK_SYNC_MS);
            held_note(t, &held_said);
        }
        if (now >= next_metrics) {
            metrics_file(t);
            next_metrics = now + 1000;
        }
        pthread_mutex_lock(&t->qmu);
        stop = t->qstop;
        pthread_mutex_unlock(&t->qmu);
        if (stop && stop_at == 0)
            stop_at = now + 2000; /* at shutdown: a last try for what is queued, 2 s at most */
        if (stop && (backoff > 0 || now >= stop_at))
            break; /* the rest stays on disk for the next start */
        if (vt_gw_rq_peek(t->rq, &b, max_n, SINK_BATCH_BYTES, &e) != VT_OK) {
            vt__gw_log("error", "receipt_queue", e.msg);
            wait_ms = 1000;
        } else if (b.count == 0 && stop) {
            break;
        } else if (b.count > 0) {
            enum upload u = upload(t, conn, &b, b.count);
            if (u == UP_DONE) {
                if (vt_gw_rq_ack(t->rq, &b, &e) != VT_OK)
                    vt__gw_log("error", "receipt_queue", e.msg);
                backoff = 0;
                wait_ms = 0;
                if (max_n < VT_GW_RQ_BATCH_MAX)
                    max_n *= 2;
            } else if (u == UP_SMALLER) {
                max_n = b.count > 1 ? b.count / 2 : 1;
                wait_ms = 0;
            } else {
                backoff = backoff == 0 ? SINK_BACKOFF_MIN_MS : backoff * 2;
                if (backoff > SINK_BACKOFF_MAX_MS)
                    backoff = SINK_BACKOFF_MAX_MS;
                wait_ms = vt__gw_jitter_ms(backoff);
            }
        }
        vt_gw_rq_batch_clear(&b);
        if (wait_ms > 0 && stop)
            break;
        if (wait_ms > 0) {
            if (vt_gw_rq_sync(t->rq, &e) != VT_OK) /* before sleeping, everything pushed is durable */
                vt__gw_log("error", "receipt_queue", e.msg);
            pthread_mutex_lock(&t->qmu);
            /* A push wakes an idle sink at once; while backing off it waits the full delay. */
            atomic_store(&t->sink_idle, backoff == 0);
            if (!t->qstop && !t->sink_kick)
                (void)vt__cond_wait_ms(&t->qcv, &t->qmu, wait_ms);
            t->sink_kick = false;
            atomic_store(&t->sink_idle, false);
            pthread_mutex_unlock(&t->qmu);
        }
    }
    if (vt_gw_rq_sync(t->rq, &e) != VT_OK)
        vt__gw_log("error", "receipt_queue", e.msg);
    metrics_file(t);
    vt_gw_rq_batch_clear(&b);
    vt_http_conn_free(conn);
    return NULL;
}

vt_status vt__gw_sink_start(vt_gw_trust *t, vt_err *err)
{
    char dir[4200];
    vt_gw_rq_opts o;
    vt_gw_rq_stats st;
    vt_status rc;

    memset(&o, 0, sizeof(o));
    snprintf(dir, sizeof(dir), "%s/receipts", t->o.state_dir);
    o.dir = dir;
    o.max_bytes = SINK_QUEUE_BYTES;
    rc = vt_gw_rq_open(&t->rq, &o, err);
    if (rc != VT_OK)
        return rc;
    vt_gw_rq_stats_get(t->rq, &st);
    if (st.recovered > 0 || st.discarded > 0) {
        char m[300];
        snprintf(m, sizeof(m), "%" PRIu64 " receipt(s) not yet acknowledged by the verifier are sent again%s", st.recovered,
                 st.discarded > 0 ? "; a torn record at the end of the queue was cut off (a crash mid-write)" : "");
        vt__gw_log(st.discarded > 0 ? "warn" : "info", "receipt_queue", m);
    }
    if (st.reserve_why[0] != '\0') {
        char m[300];
        snprintf(m, sizeof(m), "cannot reserve disk space for the receipt queue (%s): on a full disk receipts are kept "
                 "in memory only, and a crash then loses them", st.reserve_why);
        vt__gw_log("warn", "receipt_queue", m);
    }
    if (pthread_create(&t->sink, NULL, sink_main, t) != 0)
        return vt_err_set(err, VT_E_INTERNAL, "gateway: cannot start the receipts thread");
    t->sink_started = true;
    return VT_OK;
}

void vt__gw_sink_kick(vt_gw_trust *t)
{
    if (!t->sink_started)
        return;
    pthread_mutex_lock(&t->qmu);
    t->sink_kick = true; /* seen before the next wait too: a signal alone is lost if nobody waits yet */
    pthread_cond_signal(&t->qcv);
    pthread_mutex_unlock(&t->qmu);
}

void vt__gw_sink_stop(vt_gw_trust *t)
{
    if (t->sink_started) {
        pthread_mutex_lock(&t->qmu);
        t->qstop = true; /* what is queued stays on disk and is sent after the next start */
        pthread_cond_signal(&t->qcv);
        pthread_mutex_unlock(&t->qmu);
        pthread_join(t->sink, NULL);
        t->sink_started = false;
    }
    if (t->rq != NULL) {
        vt_gw_rq_stats st;
        uint64_t lost;
        vt_gw_rq_stats_get(t->rq, &st); /* why the disk refused them, if it still does */
        lost = vt_gw_rq_close(t->rq);   /* a last try for the receipts held in memory */
        if (lost > 0) {
            char m[400];
            snprintf(m, sizeof(m), "%" PRIu64 " receipt(s) kept in memory are lost: the disk still refuses them (%s)",
                     lost, st.held_why);
            vt__gw_log("error", "receipt_dropped", m);
        }
    }
    t->rq = NULL;
}
