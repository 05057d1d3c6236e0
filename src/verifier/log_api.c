/* The verifier's /v1/log routes (docs/log.md): the signed checkpoint, the note
 * verifier key, C2SP tlog-tiles (hash tiles and entry bundles), and inclusion
 * and consistency proofs computed from the stored hashes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "verifier/verifier.h"

#define TILE_IMMUTABLE "public, max-age=31536000, immutable"
#define TILE_PARTIAL "public, max-age=60"

vt_status vf_log_routes(vf_service *svc, vt_err *err);

static vs_store *store_of(const vt_http_req *req)
{
    return (vs_store *)req->thread_ctx;
}

/* Replies with j (stolen) as JSON. */
static void reply(vt_http_resp *resp, int status, json_t *j)
{
    char *s = j != NULL ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;

    if (s == NULL || vt_http_reply_json(resp, status, s, NULL) != VT_OK)
        vt_http_reply_error(resp, 500, "internal", "cannot encode the reply");
    free(s);
    json_decref(j);
}

static json_t *b64(const uint8_t *p, size_t len)
{
    vt_buf b;
    json_t *j = NULL;

    vt_buf_init(&b);
    if (vt_base64_encode(&b, p, len, false, NULL) == VT_OK)
        j = json_stringn((const char *)b.data, b.len);
    vt_buf_free(&b);
    return j;
}

static void h_checkpoint(vt_http_resp *resp, const vt_http_req *req, void *ctx)
{
    vf_service *svc = ctx;
    vs_store *st = store_of(req);
    uint64_t size = 0;
    char *cp = NULL;
    vt_buf note;
    vt_err e = { 0 };

    vt_buf_init(&note);
    if (st->log->head(st, &size, &cp, &e) != VT_OK) {
        vf_reply_store_error(resp, &e);
        return;
    }
    if (cp == NULL) {
        vt_http_reply_error(resp, 503, "log_unavailable", "the log has no checkpoint yet");
        return;
    }
    /* With the witnesses' cosignatures of this very checkpoint, when they have made them. */
    if (vf_log_cosigned(svc->log, &note, cp, NULL) != VT_OK ||
        vt_http_reply_text(resp, 200, "text/plain; charset=utf-8", (const char *)note.data, note.len, NULL) !=
            VT_OK)
        vt_http_reply_error(resp, 500, "internal", "out of memory");
    resp->cache_control = "no-cache, max-age=0";
    vt_buf_free(&note);
    free(cp);
}

static void h_key(vt_http_resp *resp, const vt_http_req *req, void *ctx)
{
    vf_service *svc = ctx;
    char line[600];

    (void)req;
    snprintf(line, sizeof(line), "%s\n", vf_log_vkey(svc->log));
    if (vt_http_reply_text(resp, 200, "text/plain; charset=utf-8", line, strlen(line), NULL) != VT_OK)
        vt_http_reply_error(resp, 500, "internal", "out of memory");
}

static vt_status bundle_one(void *arg, const uint8_t *p, size_t len, vt_err *err)
{
    return vt_tile_bundle_append(arg, p, len, err);
}

/* GET /v1/log/tile/<L>/<N>[.p/<W>] and /v1/log/tile/entries/<N>[.p/<W>]. */
static void h_tile(vt_http_resp *resp, const vt_http_req *req, void *ctx)
{
    static const char prefix[] = "/v1/log/";
    vs_store *st = store_of(req);
    const char *path = req->path + sizeof(prefix) - 1;
    uint64_t size = 0, have;
    char *cp = NULL;
    vt_tile t;
    vt_buf out;
    vt_err e = { 0 };
    vt_status rc;

    (void)ctx;
    vt_buf_init(&out);
    if (strncmp(req->path, prefix, sizeof(prefix) - 1) != 0 ||
        vt_tile_path_parse(&t, path, strlen(path), &e) != VT_OK) {
        vt_http_reply_error(resp, 404, "tile_unknown", "%s", e.msg[0] ? e.msg : "no such tile");
        goto out;
    }
    if (st->log->head(st, &size, &cp, &e) != VT_OK) {
        vf_reply_store_error(resp, &e);
        goto out;
    }
    /* Hashes (or entries) this level has in the committed tree. */
    have = t.level == VT_TILE_ENTRIES ? size : 8 * (unsigned)t.level >= 64 ? 0 : size >> (8 * (unsigned)t.level);
    if (t.index > (have / VT_TILE_WIDTH) || t.index * VT_TILE_WIDTH + t.width > have) {
        vt_http_reply_error(resp, 404, "tile_unknown", "the tree of %llu leaves has no such tile yet",
                            (unsigned long long)size);
        goto out;
    }
    if (t.level == VT_TILE_ENTRIES) {
        rc = st->log->entries(st, t.index * VT_TILE_WIDTH, t.width, bundle_one, &out, &e);
    } else {
        rc = vt_buf_reserve(&out, (size_t)t.width * 32, &e);
        for (unsigned i = 0; i < t.width && rc == VT_OK; i++) {
            rc = st->log->hash(st, out.data + out.len,
                               vt_tlog_stored_index(8 * (unsigned)t.level, t.index * VT_TILE_WIDTH + i), &e);
            if (rc == VT_OK)
                out.len += 32;
        }
    }
    if (rc != VT_OK) {
        vf_reply_store_error(resp, &e);
        goto out;
    }
    if (vt_http_reply_text(resp, 200, "application/octet-stream", (const char *)out.data, out.len, NULL) != VT_OK) {
        vt_http_reply_error(resp, 500, "internal", "out of memory");
        goto out;
    }
    resp->cache_control = t.width == VT_TILE_WIDTH ? TILE_IMMUTABLE : TILE_PARTIAL;
out:
    free(cp);
    vt_buf_free(&out);
}

/* A decimal query parameter; false (and a 400 reply) when present but malformed. */
static bool query_u64(vt_http_resp *resp, uint64_t *out, bool *present, const vt_http_req *req, const char *name)
{
    char v[24];
    char *end = NULL;
    vt_status rc = vt_http_query_get(v, sizeof(v), req->query, name, NULL);

    *present = false;
    if (rc == VT_E_NOTFOUND)
        return true;
    if (rc == VT_OK && v[0] >= '0' && v[0] <= '9')
        *out = strtoull(v, &end, 10);
    if (end == NULL || *end != '\0' || strlen(v) > 19) {
        vt_http_reply_error(resp, 400, "bad_request", "%s: a decimal number", name);
        return false;
    }
    *present = true;
    return true;
}

static json_t *hashes_json(uint8_t (*p)[32], size_t n)
{
    json_t *a = json_array();

    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, b64(p[i], 32));
    return a;
}

/* GET /v1/log/proof?size=N&(index=I | hash=<base64 leaf hash> | receipt=ID | passport=ID). */
static void h_proof(vt_http_resp *resp, const vt_http_req *req, void *ctx)
{
    vs_store *st = store_of(req);
    uint64_t head = 0, size = 0, index = 0;
    bool has_size, has_index;
    uint8_t proof[VT_TLOG_PROOF_MAX][32], leaf[32];
    size_t count = 0;
    char *cp = NULL, q[96];
    vt_buf b;
    vt_err e = { 0 };
    vt_status rc;

    (void)ctx;
    vt_buf_init(&b);
    if (!query_u64(resp, &size, &has_size, req, "size") || !query_u64(resp, &index, &has_index, req, "index"))
        goto out;
    if (st->log->head(st, &head, &cp, &e) != VT_OK) {
        vf_reply_store_error(resp, &e);
        goto out;
    }
    if (!has_size)
        size = head;
    if (size > head || size == 0) {
        vt_http_reply_error(resp, 400, "bad_request", "size: 1..%llu (the current tree size)",
                            (unsigned long long)head);
        goto out;
    }
    if (!has_index) {
        if (vt_http_query_get(q, sizeof(q), req->query, "hash", NULL) == VT_OK) {
            if (vt_base64_decode(&b, q, strlen(q), NULL) != VT_OK || b.len != 32) {
                vt_http_reply_error(resp, 400, "bad_request", "hash: the base64 leaf hash SHA-256(0x00 || entry)");
                goto out;
            }
            rc = st->log->index_of(st, &index, b.data, &e);
        } else if (vt_http_query_get(q, sizeof(q), req->query, "receipt", NULL) == VT_OK) {
            rc = st->log->find(st, &index, NULL, NULL, "receipt", q, &e);
        } else if (vt_http_query_get(q, sizeof(q), req->query, "passport", NULL) == VT_OK) {
            rc = st->log->find(st, &index, NULL, NULL, "passport", q, &e);
        } else {
            vt_http_reply_error(resp, 400, "bad_request", "one of index, hash, receipt or passport is required");
            goto out;
        }
        if (rc == VT_E_NOTFOUND) {
            vt_http_reply_error(resp, 404, "entry_unknown", "%s", e.msg);
            goto out;
        }
        if (rc != VT_OK) {
            vf_reply_store_error(resp, &e);
            goto out;
        }
    }
    if (index >= size) {
        vt_http_reply_error(resp, 404, "entry_unknown", "entry %llu is not in the tree of %llu leaves",
                            (unsigned long long)index, (unsigned long long)size);
        goto out;
    }
    rc = st->log->hash(st, leaf, vt_tlog_stored_index(0, index), &e);
    if (rc == VT_OK)
        rc = vt_tlog_prove_inclusion(proof, &count, index, size, vf_log_read, st, &e);
    if (rc != VT_OK) {
        vf_reply_store_error(resp, &e);
        goto out;
    }
    reply(resp, 200, json_pack("{s:I, s:I, s:o, s:o}", "index", (json_int_t)index, "tree_size", (json_int_t)size,
                               "leaf_hash", b64(leaf, 32), "hashes", hashes_json(proof, count)));
out:
    free(cp);
    vt_buf_free(&b);
}

/* GET /v1/log/consistency?from=M[&to=N]. */
static void h_consistency(vt_http_resp *resp, const vt_http_req *req, void *ctx)
{
    vs_store *st = store_of(req);
    uint64_t head = 0, from = 0, to = 0;
    bool has_from, has_to;
    uint8_t proof[VT_TLOG_PROOF_MAX][32];
    size_t count = 0;
    char *cp = NULL;
    vt_err e = { 0 };

    (void)ctx;
    if (!query_u64(resp, &from, &has_from, req, "from") || !query_u64(resp, &to, &has_to, req, "to"))
        goto out;
    if (st->log->head(st, &head, &cp, &e) != VT_OK) {
        vf_reply_store_error(resp, &e);
        goto out;
    }
    if (!has_to)
        to = head;
    if (!has_from || from > to || to > head) {
        vt_http_reply_error(resp, 400, "bad_request", "from <= to <= %llu (the current tree size) are required",
                            (unsigned long long)head);
        goto out;
    }
    if (vt_tlog_prove_consistency(proof, &count, from, to, vf_log_read, st, &e) != VT_OK) {
        vf_reply_store_error(resp, &e);
        goto out;
    }
    reply(resp, 200, json_pack("{s:I, s:I, s:o}", "from", (json_int_t)from, "to", (json_int_t)to, "hashes",
                               hashes_json(proof, count)));
out:
    free(cp);
}

vt_status vf_log_routes(vf_service *svc, vt_err *err)
{
    static const struct {
        const char *pattern;
        vt_http_handler fn;
    } t[] = {
        { "/v1/log/checkpoint", h_checkpoint },
        { "/v1/log/key", h_key },
        { "/v1/log/tile/*", h_tile },
        { "/v1/log/proof", h_proof },
        { "/v1/log/consistency", h_consistency },
    };
    vt_status rc = VT_OK;

    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]) && rc == VT_OK; i++)
        rc = vt_http_router_add(&svc->router, "GET", t[i].pattern, t[i].fn, svc, err);
    return rc;
}
