/* libFuzzer: the request walker against jansson's full parse.  The first
 * byte picks the route and whether the policy allows token IDs, unknown
 * fields and media; the rest is the body.
 *
 *   1. A body jansson refuses (or not an object) is refused by the walker.
 *   2. When the walker accepts a body, it saw every string of the parsed
 *      tree exactly once, at the same JSON path: every string value and
 *      every object key, whether scanned, a validated control value or let
 *      through unaudited by the policy (multisets of (path, key?, bytes)).
 *   3. The forwarded body re-parses to exactly the audited tree (redactions
 *      included), and vt_audit_request agrees with the walker on acceptance. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "audit/audit_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Annotates only, every built-in type (the others' defaults redact or block): nothing is
 * redacted, so the tree keeps the jansson paths. */
#define CFG_SEE "[{\"name\":\"pii\",\"actions\":{\"email\":\"annotate\",\"phone\":\"annotate\",\"card\":\"annotate\"," \
                "\"ssn\":\"annotate\",\"iban\":\"annotate\",\"ip\":\"annotate\",\"secret\":\"annotate\"}}"
#define CFG_RED "[{\"name\":\"pii\",\"actions\":{\"email\":\"redact\",\"card\":\"redact\",\"ip\":\"redact\"}}"
#define ALLOW ",{\"name\":\"policy\",\"allow_token_ids\":true,\"allow_unknown_fields\":true,\"allow_media\":true}"

typedef struct entries {
    char **v;
    size_t len, cap;
} entries;

/* One entry: "K" or "V", the path, NUL, the bytes (length-prefixed so NULs compare). */
static void add(entries *e, const char *path, bool key, const char *s, size_t n)
{
    size_t pl = strlen(path);
    char *x = malloc(1 + pl + 1 + sizeof(size_t) + n);

    if (x == NULL)
        __builtin_trap();
    x[0] = key ? 'K' : 'V';
    memcpy(x + 1, path, pl + 1);
    memcpy(x + 2 + pl, &n, sizeof(size_t));
    memcpy(x + 2 + pl + sizeof(size_t), s, n);
    if (e->len == e->cap) {
        e->cap = e->cap ? e->cap * 2 : 16;
        e->v = realloc(e->v, e->cap * sizeof(*e->v));
        if (e->v == NULL)
            __builtin_trap();
    }
    e->v[e->len++] = x;
}

static size_t entry_len(const char *x)
{
    size_t pl = strlen(x + 1), n;
    memcpy(&n, x + 2 + pl, sizeof(size_t));
    return 2 + pl + sizeof(size_t) + n;
}

static int cmp(const void *a, const void *b)
{
    const char *x = *(char *const *)a, *y = *(char *const *)b;
    size_t lx = entry_len(x), ly = entry_len(y);
    int c = memcmp(x, y, lx < ly ? lx : ly);
    return c != 0 ? c : (lx > ly) - (lx < ly);
}

static void entries_free(entries *e)
{
    for (size_t i = 0; i < e->len; i++)
        free(e->v[i]);
    free(e->v);
}

static void on_visit(void *arg, const char *path, bool key, const char *s, size_t len, audit_req_how how)
{
    (void)how;
    add(arg, path, key, s, len);
}

/* The walker names an empty path "(body)": the root, a member named "" at the top, and one
 * named "(body)" all read so there. */
static const char *walker_path(const vt_buf *path)
{
    return path->len > 0 ? (const char *)path->data : "(body)";
}

/* jansson's view: every string and key, with the walker's path syntax. */
static void collect(entries *e, json_t *v, vt_buf *path)
{
    const char *k;
    json_t *c;
    size_t i, mark = path->len;
    char idx[32];

    if (json_is_string(v)) {
        add(e, walker_path(path), false, json_string_value(v), json_string_length(v));
    } else if (json_is_object(v)) {
        json_object_foreach(v, k, c) {
            if ((path->len > 0 && vt_buf_append(path, ".", 1, NULL) != VT_OK) || vt_buf_append_str(path, k, NULL) != VT_OK ||
                vt_buf_terminate(path, NULL) != VT_OK)
                __builtin_trap();
            add(e, walker_path(path), true, k, strlen(k));
            collect(e, c, path);
            path->len = mark;
            if (path->data != NULL)
                path->data[mark] = '\0';
        }
    } else if (json_is_array(v)) {
        json_array_foreach(v, i, c) {
            snprintf(idx, sizeof(idx), "[%zu]", i);
            if (vt_buf_append_str(path, idx, NULL) != VT_OK || vt_buf_terminate(path, NULL) != VT_OK)
                __builtin_trap();
            collect(e, c, path);
            path->len = mark;
            if (path->data != NULL)
                path->data[mark] = '\0';
        }
    }
}

static vt_audit_ctx *ctx_of(const char *cfg, vt_audit_chain **keep)
{
    vt_audit_ctx *x = NULL;
    if (vt_audit_chain_new(keep, cfg, strlen(cfg), NULL) != VT_OK || vt_audit_ctx_new(&x, *keep, NULL) != VT_OK)
        __builtin_trap();
    return x;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static vt_audit_chain *chains[4];
    static vt_audit_ctx *ctxs[4];
    static vt_audit_report *rep;
    vt_audit_route route;
    bool allow;
    json_t *doc, *see = NULL, *red = NULL, *fwdj = NULL;
    audit_state st;
    audit_req_view view;
    entries want = { 0 }, got = { 0 };
    vt_buf path = { 0 }, fwd = { 0 };
    vt_status a, b, r;

    if (rep == NULL) {
        ctxs[0] = ctx_of(CFG_SEE "]", &chains[0]);
        ctxs[1] = ctx_of(CFG_SEE ALLOW "]", &chains[1]);
        ctxs[2] = ctx_of(CFG_RED "]", &chains[2]);
        ctxs[3] = ctx_of(CFG_RED ALLOW "]", &chains[3]);
        rep = malloc(sizeof(*rep));
        if (rep == NULL)
            __builtin_trap();
    }
    if (size < 1)
        return 0;
    route = (vt_audit_route)(1 + data[0] % 3);
    allow = (data[0] >> 2) & 1;
    data++;
    size--;
    vt_audit_report_init(rep);
    r = vt_audit_request(rep, &fwd, ctxs[2 + allow], route, data, size, NULL);
    doc = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, NULL);
    if (doc == NULL || !json_is_object(doc)) {
        if (r == VT_OK) /* 1. */
            __builtin_trap();
        goto out;
    }
    see = json_deep_copy(doc);
    red = json_deep_copy(doc);
    if (see == NULL || red == NULL)
        goto out;
    /* 2. */
    memset(&st, 0, sizeof(st));
    st.db = &chains[allow]->req;
    st.phase = VT_AUDIT_REQUEST;
    view.visit = on_visit;
    view.arg = &got;
    vt_audit_report_init(rep);
    a = vt__audit_request_tree(rep, ctxs[allow], &st, route, see, &view, NULL);
    if (a == VT_OK) {
        if (vt_buf_terminate(&path, NULL) != VT_OK)
            __builtin_trap();
        collect(&want, doc, &path);
        if (want.len != got.len)
            __builtin_trap();
        if (want.len > 0) { /* qsort's base may not be NULL, even for nothing (an empty object) */
            qsort(want.v, want.len, sizeof(char *), cmp);
            qsort(got.v, got.len, sizeof(char *), cmp);
        }
        for (size_t i = 0; i < want.len; i++)
            if (cmp(&want.v[i], &got.v[i]) != 0)
                __builtin_trap();
        if (!json_equal(see, doc)) /* annotating changes nothing */
            __builtin_trap();
    }
    /* 3. */
    memset(&st, 0, sizeof(st));
    st.db = &chains[2 + allow]->req;
    st.phase = VT_AUDIT_REQUEST;
    vt_audit_report_init(rep);
    b = vt__audit_request_tree(rep, ctxs[2 + allow], &st, route, red, NULL, NULL);
    /* Redaction can only add a refusal (two keys equal once redacted). */
    if ((b == VT_OK && a != VT_OK) || (b == VT_OK) != (r == VT_OK))
        __builtin_trap();
    if (r == VT_OK) {
        fwdj = json_loadb((const char *)fwd.data, fwd.len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, NULL);
        if (fwdj == NULL || !json_equal(fwdj, red))
            __builtin_trap();
    }
out:
    entries_free(&want);
    entries_free(&got);
    vt_buf_free(&path);
    vt_buf_free(&fwd);
    json_decref(doc);
    json_decref(see);
    json_decref(red);
    json_decref(fwdj);
    return 0;
}
