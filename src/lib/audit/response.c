/*
 * The response walker (docs/auditors.md, "Response"): what the client reads
 * passes the response auditors, or it is not sent.
 *
 * An upstream body is parsed strictly by jansson (duplicate keys, trailing
 * bytes, invalid UTF-8, NUL in keys and numbers out of range are refused),
 * every string value and every object key anywhere in the tree is scanned
 * and redacted (keys too: legacy logprobs use tokens as keys), and the body
 * sent on is the audited tree serialised again, never the upstream's bytes.
 *
 * Streams: each event's JSON is audited the same way, except the text
 * fields that continue across events (content, refusal, reasoning,
 * completion text), which go through a holdback scanner (vt_audit_stream)
 * per choice, per holder (delta or message) and per field (a field written as
 * a list of parts fed part after part, its reasoning in thinking parts with a
 * scanner of its own), so a match split across events is still caught and no
 * choice's text is dropped, and the
 * tool calls' arguments and custom input, which are held per call until the
 * call is complete and then audited whole (the arguments decoded) as a whole
 * body's are (sse_int.h, sse_args).
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "audit/sse_int.h"
#include "audit/tokens.h"
#include "base/json.h"
#include "base/json_tokens.h"

#define MAX_DEPTH 64

/* ---- one tree ---- */

/* Scans one string; *repl is the redacted string (owned) when it changed, else NULL. */
static vt_status scan_str(vt_audit_ctx *x, audit_state *st, const char *s, size_t n, json_t **repl, vt_err *err)
{
    vt_status rc = vt__audit_scan_text(x, st, (const uint8_t *)s, n, err);

    *repl = NULL;
    if (rc != VT_OK || !st->changed)
        return rc;
    *repl = json_stringn(x->red.len > 0 ? (const char *)x->red.data : "", x->red.len);
    if (*repl == NULL)
        return vt_err_set(err, VT_E_FORMAT, "audit: a redacted response string is not valid UTF-8");
    return VT_OK;
}

static vt_status audit_value(vt_audit_ctx *x, audit_state *st, json_t *v, json_t **repl, int depth, vt_err *err);

/* Object keys: scanned like values; when one changes the object is rebuilt (*repl). */
static vt_status audit_keys(vt_audit_ctx *x, audit_state *st, json_t *o, json_t **repl, vt_err *err)
{
    json_t *renamed = NULL, *n = NULL, *v, *k;
    const char *key;
    size_t klen, i = 0;
    bool any = false;
    vt_status rc = VT_OK;

    renamed = json_array();
    if (renamed == NULL)
        return vt_err_set(err, VT_E_NOMEM, "audit: out of memory");
    json_object_keylen_foreach(o, key, klen, v) {
        json_t *r = NULL;
        rc = scan_str(x, st, key, klen, &r, err);
        if (rc != VT_OK)
            goto out;
        any |= r != NULL;
        json_array_append_new(renamed, r != NULL ? r : json_null());
    }
    if (!any)
        goto out;
    n = json_object();
    if (n == NULL) {
        rc = vt_err_set(err, VT_E_NOMEM, "audit: out of memory");
        goto out;
    }
    json_object_keylen_foreach(o, key, klen, v) {
        /* (key itself drives the iteration: the new name goes in nk) */
        const char *nk = key;
        size_t nlen = klen;
        k = json_array_get(renamed, i++);
        if (json_is_string(k)) {
            nk = json_string_value(k);
            nlen = json_string_length(k);
        }
        if (json_object_getn(n, nk, nlen) != NULL) {
            rc = vt_err_set(err, VT_E_FORMAT, "audit: two response keys are the same after redaction");
            goto out;
        }
        if (json_object_setn_new(n, nk, nlen, json_incref(v)) != 0) {
            rc = vt_err_set(err, VT_E_NOMEM, "audit: out of memory");
            goto out;
        }
    }
    *repl = n;
    n = NULL;
out:
    json_decref(n);
    json_decref(renamed);
    return rc;
}

/*
 * A tool call's "arguments": a string holding JSON, which the client's program decodes.  What is
 * inside is audited decoded, as the request side audits it, so an escape inside the string
 * (\u0040 for an @, \n between a card's groups) hides nothing from the scan.  The string is sent
 * again only when the audit changed something inside (then as the audited JSON, compact), so
 * clean arguments reach the client byte for byte.  Text that is not JSON is audited as text.
 */
/*
 * Arguments that are not strict JSON (a key twice, a number past a double, a lone surrogate, a
 * string cut short by the token limit): there is no tree to audit decoded, so they are scanned
 * as text.  But the client's reader may be lenient (JavaScript's JSON.parse keeps the last of
 * two keys; a streaming client reads a prefix) and still decode the escapes in them, so they
 * are also scanned with every escape decoded, and a finding only that copy shows (jane\u0040
 * example.com) is refused: it can be neither redacted in place nor let through.  That scan
 * counts nothing: the one of the text as sent does.
 */
static vt_status audit_arguments_text(vt_audit_ctx *x, audit_state *st, const char *s, size_t n, json_t **repl,
                                      vt_err *err)
{
    uint32_t counts[AUDIT_MAX_TYPES];
    bool decoded = false;
    vt_status rc;
    vt_buf dec;

    vt_buf_init(&dec);
    rc = vt__json_unescape_lenient(&dec, (const uint8_t *)s, n, &decoded, err);
    if (rc == VT_OK && decoded) {
        memcpy(counts, st->counts, sizeof(counts));
        rc = vt__audit_scan_text(x, st, dec.data != NULL ? dec.data : (const uint8_t *)"", dec.len, err);
        if (rc == VT_OK && st->changed)
            rc = vt_err_set(err, VT_E_FORMAT,
                            "audit: tool-call arguments that are not JSON hide a finding behind an escape");
        memcpy(st->counts, counts, sizeof(counts));
    }
    vt_buf_free(&dec);
    if (rc != VT_OK)
        return rc;
    return scan_str(x, st, n > 0 ? s : "", n, repl, err);
}

static vt_status audit_arguments(vt_audit_ctx *x, audit_state *st, const char *s, size_t n, json_t **repl, int depth,
                                 vt_err *err)
{
    json_t *doc = n > 0 ? json_loadb(s, n, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, NULL) : NULL;
    json_t *r = NULL;
    char *before = NULL, *after = NULL;
    vt_status rc;

    *repl = NULL;
    if (doc == NULL)
        return audit_arguments_text(x, st, s, n, repl, err);
    before = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
    rc = before != NULL ? audit_value(x, st, doc, &r, depth, err) : vt_err_set(err, VT_E_NOMEM, "audit: out of memory");
    if (rc == VT_OK && (after = json_dumps(r != NULL ? r : doc, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY)) ==
                           NULL)
        rc = vt_err_set(err, VT_E_NOMEM, "audit: out of memory");
    if (rc == VT_OK && strcmp(before, after) != 0 && (*repl = json_string(after)) == NULL)
        rc = vt_err_set(err, VT_E_NOMEM, "audit: out of memory");
    free(before);
    free(after);
    json_decref(r);
    json_decref(doc);
    return rc;
}

static vt_status audit_value(vt_audit_ctx *x, audit_state *st, json_t *v, json_t **repl, int depth, vt_err *err)
{
    vt_status rc = VT_OK;

    *repl = NULL;
    if (depth > MAX_DEPTH)
        return vt_err_set(err, VT_E_LIMIT, "audit: response nests deeper than %d", MAX_DEPTH);
    if (json_is_string(v))
        return scan_str(x, st, json_string_value(v), json_string_length(v), repl, err);
    if (json_is_array(v)) {
        for (size_t i = 0; rc == VT_OK && i < json_array_size(v); i++) {
            json_t *r = NULL;
            rc = audit_value(x, st, json_array_get(v, i), &r, depth + 1, err);
            if (rc == VT_OK && r != NULL && json_array_set_new(v, i, r) != 0)
                rc = vt_err_set(err, VT_E_NOMEM, "audit: out of memory");
        }
        return rc;
    }
    if (json_is_object(v)) {
        const char *key;
        size_t klen;
        json_t *c;
        json_object_keylen_foreach(v, key, klen, c) {
            json_t *r = NULL;
            if (klen == 9 && memcmp(key, "arguments", 9) == 0 && json_is_string(c))
                rc = audit_arguments(x, st, json_string_value(c), json_string_length(c), &r, depth + 1, err);
            else
                rc = audit_value(x, st, c, &r, depth + 1, err);
            /* Replacing the value of an existing key keeps the iteration valid. */
            if (rc == VT_OK && r != NULL && json_object_setn_new(v, key, klen, r) != 0)
                rc = vt_err_set(err, VT_E_NOMEM, "audit: out of memory");
            if (rc != VT_OK)
                return rc;
        }
        return audit_keys(x, st, v, repl, err);
    }
    return VT_OK; /* numbers, true, false, null */
}

static void state_init(audit_state *st, const vt_audit_chain *c)
{
    memset(st, 0, sizeof(*st));
    st->db = &c->resp;
    st->phase = VT_AUDIT_RESPONSE;
}

/* The type of a part of a text field written as a list: the string "type" of an object, else NULL. */
static const char *part_type(const json_t *part)
{
    return json_string_value(json_object_get(part, "type"));
}

/* Is type one of the parts Mistral's API documents (its ContentChunk) but text and thinking? */
static bool part_known(const char *type)
{
    static const char *const known[] = { "image_url", "document_url", "reference", "file", "input_audio" };

    for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
        if (strcmp(type, known[i]) == 0)
            return true;
    return false;
}

/* Does v hold a string anywhere (an object's keys aside), but a part's own "type" (top)? */
static bool holds_string(json_t *v, bool top, int depth)
{
    const char *key;
    json_t *m;
    size_t i;

    if (json_is_string(v) || depth > MAX_DEPTH)
        return true;
    if (json_is_object(v)) {
        json_object_foreach(v, key, m) {
            if (!(top && strcmp(key, "type") == 0) && holds_string(m, false, depth + 1))
                return true;
        }
    }
    json_array_foreach(v, i, m) {
        if (holds_string(m, false, depth + 1))
            return true;
    }
    return false;
}

/* A part of a type that is neither text, thinking nor known (part_known): refused when it holds a
 * string, since how a client reads it (joined with the text, per type, by place) is unknown. */
static vt_status part_unknown(json_t *part, const char *type, int choice, const char *key, vt_err *err)
{
    if (!part_known(type) && holds_string(part, true, 0))
        return vt_err_set(err, VT_E_FORMAT, "audit: choice %d's %s holds a part of a type not known that holds a "
                          "string", choice, key);
    return VT_OK;
}

/* Findings of every kind a scan of p makes, counted in a state of its own (nothing is recorded). */
static vt_status count_found(vt_audit_ctx *x, const uint8_t *p, size_t n, uint32_t *found, vt_err *err)
{
    audit_state like;

    state_init(&like, x->c);
    return vt__audit_count_found(x, &like, p, n, found, err);
}

/* Appends the text of text part p (audited; nothing when it has none) to views a and b, and what a
 * scan of it alone finds to their counts. */
static vt_status view_add(vt_audit_ctx *x, vt_buf *view, uint32_t *alone, int a, int b, const json_t *p,
                          vt_err *err)
{
    json_t *t = json_object_get(p, "text");
    const uint8_t *s = (const uint8_t *)json_string_value(t);
    size_t n = json_string_length(t);
    uint32_t found = 0;
    vt_status rc;

    if (s == NULL || n == 0)
        return VT_OK;
    rc = count_found(x, s, n, &found, err);
    if (rc == VT_OK)
        rc = vt_buf_append(&view[a], s, n, err);
    if (rc == VT_OK)
        rc = vt_buf_append(&view[b], s, n, err);
    alone[a] += found;
    alone[b] += found;
    return rc;
}

/*
 * A whole body's text field written as a list of parts (Mistral's API: text parts, a reasoning
 * model's thinking parts holding text parts before them), audited in place like every string:
 * a client joins the text parts' text (the answer), the thinking parts' text parts (the
 * reasoning), or both in order, and reads side by side what was scanned apart.  A finding that
 * only a joined view shows cannot be redacted in the parts, and fails the body; so does a part of
 * a type not known that holds a string (part_unknown), which a client may join with either.
 */
static vt_status parts_joined(vt_audit_ctx *x, const json_t *list, int choice, const char *key, vt_err *err)
{
    vt_buf view[3]; /* the answer, the reasoning, both */
    uint32_t alone[3] = { 0 }, joined = 0;
    vt_status rc = VT_OK;

    for (int v = 0; v < 3; v++)
        vt_buf_init(&view[v]);
    for (size_t i = 0; rc == VT_OK && i < json_array_size(list); i++) {
        json_t *p = json_array_get(list, i), *inner = json_object_get(p, "thinking");
        const char *type = part_type(p);
        if (type != NULL && strcmp(type, "text") == 0)
            rc = view_add(x, view, alone, 0, 2, p, err);
        else if (type != NULL && strcmp(type, "thinking") != 0)
            rc = part_unknown(p, type, choice, key, err);
        for (size_t k = 0; rc == VT_OK && type != NULL && strcmp(type, "thinking") == 0 && k < json_array_size(inner);
             k++) {
            const char *it = part_type(json_array_get(inner, k));
            if (it != NULL && strcmp(it, "text") == 0)
                rc = view_add(x, view, alone, 1, 2, json_array_get(inner, k), err);
            else if (it != NULL)
                rc = part_unknown(json_array_get(inner, k), it, choice, key, err);
        }
    }
    for (int v = 0; rc == VT_OK && v < 3; v++) {
        if (view[v].len > 0)
            rc = count_found(x, view[v].data, view[v].len, &joined, err);
        if (rc == VT_OK && view[v].len > 0 && joined > alone[v])
            rc = vt_err_set(err, VT_E_FORMAT, "audit: choice %d's %s written as parts holds a finding only the "
                            "joined parts show", choice, key);
    }
    for (int v = 0; v < 3; v++)
        vt_buf_free(&view[v]);
    return rc;
}

/* The text fields of every choice's message (and a completion's text) written as lists of parts,
 * checked joined (parts_joined). */
static vt_status body_parts(vt_audit_ctx *x, const json_t *doc, vt_err *err)
{
    static const char *const fields[] = { "content", "refusal", "reasoning_content", "reasoning" };
    const json_t *chs = json_object_get(doc, "choices");
    vt_status rc = VT_OK;

    for (size_t i = 0; rc == VT_OK && i < json_array_size(chs); i++) {
        const json_t *ch = json_array_get(chs, i), *m = json_object_get(ch, "message");
        if (json_is_array(json_object_get(ch, "text")))
            rc = parts_joined(x, json_object_get(ch, "text"), (int)i, "text", err);
        for (size_t k = 0; rc == VT_OK && k < sizeof(fields) / sizeof(fields[0]); k++)
            if (json_is_array(json_object_get(m, fields[k])))
                rc = parts_joined(x, json_object_get(m, fields[k]), (int)i, fields[k], err);
    }
    return rc;
}

/* Does the token list hold a text field's name with a list as its value anywhere?  Such a body goes
 * through the tree walk, which checks its parts joined (body_parts). */
static bool tokens_have_parts(const audit_tokens *w)
{
    static const char *const fields[] = { "content", "refusal", "reasoning_content", "reasoning", "text" };
    const vt_jt_list *l = &w->l;

    for (size_t i = 0; i + 1 < l->n; i++)
        for (size_t k = 0; l->t[i + 1].kind == VT_JT_ARR && k < sizeof(fields) / sizeof(fields[0]); k++)
            if (vt__jt_key_is(l, &l->t[i], fields[k]))
                return true;
    return false;
}

/* Strict parse of an upstream JSON object; the error names the problem, never the bytes. */
static vt_status parse_strict(json_t **out, const uint8_t *p, size_t len, const char *what, vt_err *err)
{
    json_error_t je;
    const char *why;
    json_t *doc;

    *out = NULL;
    if (len > VT_AUDIT_MAX_BODY)
        return vt_err_set(err, VT_E_LIMIT, "audit: %s of %zu bytes exceeds %zu", what, len, VT_AUDIT_MAX_BODY);
    doc = json_loadb((const char *)p, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &je);
    if (doc != NULL && json_is_object(doc)) {
        *out = doc;
        return VT_OK;
    }
    json_decref(doc);
    if (doc != NULL)
        return vt_err_set(err, VT_E_FORMAT, "audit: %s is not a JSON object", what);
    switch (json_error_code(&je)) {
    case json_error_duplicate_key: why = "has a duplicate key"; break;
    case json_error_end_of_input_expected: why = "has bytes after the JSON value"; break;
    case json_error_invalid_utf8: why = "is not valid UTF-8"; break;
    case json_error_premature_end_of_input: why = "is truncated"; break;
    case json_error_null_byte_in_key: why = "has a NUL in a key"; break;
    case json_error_numeric_overflow: why = "has a number out of range"; break;
    case json_error_stack_overflow: why = "nests too deeply"; break;
    case json_error_out_of_memory: return vt_err_set(err, VT_E_NOMEM, "audit: out of memory");
    default: why = "is not valid JSON"; break;
    }
    return vt_err_set(err, VT_E_FORMAT, "audit: %s %s (byte %d)", what, why, je.position);
}

static vt_status dump_to(vt_buf *out, const json_t *doc, vt_err *err)
{
    if (vt__json_dump_buf(out, doc, JSON_COMPACT | JSON_PRESERVE_ORDER, NULL) != VT_OK)
        return vt_err_set(err, VT_E_NOMEM, "audit: cannot serialise the audited response");
    return VT_OK;
}

/*
 * The whole body as a token list (tokens.c), without a tree: the same scans in
 * the same order, the body written from the tokens.  *done false: the body
 * was not read (outside the token reader's subset, or deeper or longer than
 * below), holds tool-call arguments (audited decoded, by the tree walk:
 * audit_arguments) or a key would be renamed; nothing was sent and the tree
 * walk decides.
 */
#define BODY_MAX_TOKENS 4096
#define BODY_MAX_DEPTH 16
static vt_status response_tokens(vt_audit_report *rep, vt_buf *forward, vt_audit_ctx *x, audit_state *st,
                                 const uint8_t *body, size_t len, bool *done, vt_err *err)
{
    size_t next;
    bool renamed = false;
    vt_status rc;

    *done = false;
    if (x->no_fast || len > VT_AUDIT_MAX_BODY)
        return VT_OK;
    if (x->tw == NULL && (x->tw = calloc(1, sizeof(*x->tw))) == NULL)
        return VT_OK; /* the tree walk, which reports the shortage */
    if (!vt__audit_tokens_read(x->tw, body, len, BODY_MAX_TOKENS, BODY_MAX_DEPTH) ||
        vt__audit_tokens_has_arguments(x->tw) || tokens_have_parts(x->tw))
        return VT_OK;
    rc = vt__audit_tokens_scan(x->tw, x, st, 0, &next, &renamed, err);
    if (rc == VT_OK && renamed)
        return VT_OK;
    *done = true;
    if (rc == VT_OK)
        rc = vt__audit_tokens_write(x->tw, forward, body, err);
    if (rc == VT_OK) {
        vt__audit_entries(rep, x->c, st, NULL, len, true);
        vt_audit_report_covered(rep, VT_AUDIT_RESPONSE);
    }
    return rc;
}

void vt__audit_ctx_set_fast(vt_audit_ctx *x, bool on)
{
    x->no_fast = !on;
}

vt_status vt_audit_response(vt_audit_report *rep, vt_buf *forward, vt_audit_ctx *x, const uint8_t *body, size_t len,
                            vt_err *err)
{
    audit_state st;
    json_t *doc = NULL, *r = NULL;
    size_t mark = forward->len;
    bool done = false;
    vt_status rc;

    state_init(&st, x->c);
    rc = response_tokens(rep, forward, x, &st, body, len, &done, err);
    if (done || rc != VT_OK)
        return rc;
    state_init(&st, x->c); /* a rename found after other findings: the tree walk counts them again */
    rc = parse_strict(&doc, body, len, "response body", err);
    if (rc == VT_OK)
        rc = audit_value(x, &st, doc, &r, 0, err);
    if (rc == VT_OK)
        rc = body_parts(x, r != NULL ? r : doc, err);
    if (rc == VT_OK)
        rc = dump_to(forward, r != NULL ? r : doc, err);
    if (rc == VT_OK) {
        vt__audit_entries(rep, x->c, &st, NULL, len, true);
        vt_audit_report_covered(rep, VT_AUDIT_RESPONSE);
    } else {
        forward->len = mark;
    }
    json_decref(r);
    json_decref(doc);
    return rc;
}

/* ---- streams ---- */

const char *const vt__sse_holder_name[H_COUNT] = { "delta", "message" };

const char *const vt__sse_field_name[F_COUNT] = { "content", "refusal",   "reasoning_content", "reasoning",
                                                 "text",    "arguments", "arguments",         "input" };

/* A tool call's text, held whole until the call is complete (sse_args), not fed to a holdback. */
static bool held_whole(int kind)
{
    return kind == F_TOOL_ARGS || kind == F_FUNC_ARGS || kind == F_TOOL_INPUT;
}

/* One of choices[].delta.tool_calls[] (per index), which the next call of its choice ends. */
static bool tool_call_kind(int kind)
{
    return kind == F_TOOL_ARGS || kind == F_TOOL_INPUT;
}

/* A streamed string taken out of an event while the rest of it is audited. */
typedef struct taken {
    size_t pos;       /* position in choices[] */
    const char *holder; /* "delta", "message" or NULL (the choice itself) */
    size_t tpos;      /* position in tool_calls[] */
    sse_field *f;
    json_t *text;     /* owned */
    json_t *part;     /* a text part: the object whose "text" this was, "" until the release (owned) */
    json_t *list;     /* the list of parts holding it (owned), at position at */
    size_t at;
} taken;

vt_status vt_audit_sse_new(vt_audit_sse **out, vt_audit_ctx *x, vt_err *err)
{
    vt_audit_sse *s = calloc(1, sizeof(*s));

    *out = NULL;
    if (s == NULL)
        return vt_err_set(err, VT_E_NOMEM, "audit: out of memory");
    s->x = x;
    state_init(&s->st, x->c);
    vt_audit_exec_init(&s->usage);
    *out = s;
    return VT_OK;
}

void vt_audit_sse_free(vt_audit_sse *s)
{
    if (s == NULL)
        return;
    for (size_t i = 0; i < s->nf; i++) {
        vt_audit_stream_free(s->f[i].s);
        if (s->f[i].a != NULL)
            vt_buf_free(&s->f[i].a->held);
        free(s->f[i].a);
    }
    free(s->joins);
    vt_buf_free(&s->last_raw);
    vt_buf_free(&s->txt);
    if (s->tw != NULL)
        vt__audit_tokens_free(s->tw);
    free(s->tw);
    free(s);
}

static bool state_blocked(const vt_audit_chain *c, const audit_state *st)
{
    for (size_t t = 0; t < c->type_len; t++)
        if (c->types[t].action == ACT_BLOCK && st->counts[t] > 0)
            return true;
    return false;
}

/* The findings of one streamed field: its holdback scanner's, or the audit of its held call. */
static const audit_state *field_state(const sse_field *f)
{
    return f->a != NULL ? &f->a->st : vt__audit_stream_state(f->s);
}

bool vt_audit_sse_blocked(const vt_audit_sse *s)
{
    if (state_blocked(s->x->c, &s->st))
        return true;
    for (size_t i = 0; i < s->nf; i++)
        if (state_blocked(s->x->c, field_state(&s->f[i])))
            return true;
    return false;
}

vt_status vt__sse_field_get(sse_field **out, vt_audit_sse *s, int choice, int holder, int kind, int tool,
                            vt_err *err)
{
    sse_field *f;
    vt_status rc;

    for (size_t i = 0; i < s->nf; i++) {
        f = &s->f[i];
        if (f->choice == choice && f->holder == holder && f->kind == kind && f->tool == tool) {
            *out = f;
            return VT_OK;
        }
    }
    if (s->nf == SSE_MAX_FIELDS)
        return vt_err_set(err, VT_E_LIMIT, "audit: a stream with more than %d text fields cannot be audited",
                          SSE_MAX_FIELDS);
    f = &s->f[s->nf];
    memset(f, 0, sizeof(*f));
    if (held_whole(kind)) {
        f->a = calloc(1, sizeof(*f->a));
        if (f->a == NULL)
            return vt_err_set(err, VT_E_NOMEM, "audit: out of memory");
        state_init(&f->a->st, s->x->c);
    } else {
        rc = vt_audit_stream_new(&f->s, s->x, err);
        if (rc != VT_OK)
            return rc;
    }
    f->born = s->events;
    f->choice = choice;
    f->holder = holder;
    f->kind = kind;
    f->tool = tool;
    s->nf++;
    *out = f;
    return VT_OK;
}

/* An integer "index" in [0, SSE_MAX_INDEX], or dflt when absent. */
static vt_status index_of(int *out, const json_t *o, size_t dflt, const char *what, vt_err *err)
{
    json_t *v = json_object_get(o, "index");

    if (v == NULL) {
        if (dflt > SSE_MAX_INDEX)
            return vt_err_set(err, VT_E_LIMIT, "audit: more than %d %s cannot be audited", SSE_MAX_INDEX + 1, what);
        *out = (int)dflt;
        return VT_OK;
    }
    if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > SSE_MAX_INDEX)
        return vt_err_set(err, VT_E_FORMAT, "audit: %s index is not an integer in [0, %d]", what, SSE_MAX_INDEX);
    *out = (int)json_integer_value(v);
    return VT_OK;
}

/* Was tool call tool of choice sent whole already, because a later call of its choice started?  A
 * call is its index, whether it writes function.arguments or custom.input. */
static bool call_superseded(const vt_audit_sse *s, int choice, int tool)
{
    for (size_t i = 0; i < s->nf; i++)
        if (s->f[i].choice == choice && s->f[i].tool == tool && tool_call_kind(s->f[i].kind) && s->f[i].superseded)
            return true;
    return false;
}

/* H_* of a taken string's holder name. */
static int holder_of(const char *holder)
{
    return holder != NULL && strcmp(holder, "message") == 0 ? H_MESSAGE : H_DELTA;
}

/* The text part at position at of list (an object whose "text" must be a string), a piece of field f:
 * its text taken out and "" left in its place (where the key is) until the release is put there. */
static vt_status take_part(taken *t, size_t *nt, json_t *list, size_t at, sse_field *f, size_t pos,
                           const char *holder, const char *key, vt_err *err)
{
    json_t *part = json_array_get(list, at), *v = json_object_get(part, "text"), *empty;

    if (!json_is_string(v))
        return vt_err_set(err, VT_E_FORMAT, "audit: choice %d streams a text part of its %s without a string text",
                          f->choice, key);
    if (*nt == SSE_MAX_FIELDS)
        return vt_err_set(err, VT_E_LIMIT, "audit: an event with more than %d text fields cannot be audited",
                          SSE_MAX_FIELDS);
    empty = json_string("");
    if (empty == NULL)
        return vt_err_set(err, VT_E_NOMEM, "audit: out of memory");
    t[*nt] = (taken){ pos, holder, 0, f, json_incref(v), json_incref(part), json_incref(list), at };
    (*nt)++;
    if (json_object_set_new(part, "text", empty) != 0)
        return vt_err_set(err, VT_E_NOMEM, "audit: out of memory");
    return VT_OK;
}

/*
 * A text field written as a list of parts (Mistral's API, for content only; docs/auditors.md,
 * "Text written as parts"): each text part's text is a piece of the field, fed to the scanner the
 * string form feeds, and the text parts inside a thinking part are pieces of the field's reasoning
 * (SSE_THINKING), in the order they come.  The other parts Mistral documents (an image_url, a
 * reference, ...) stay where they are and are audited with the rest of the event as a whole body's
 * are, their strings joined across events per type (join_parts_walk).  Anything that is not a
 * part, a text part without a string text, a thinking part without a list and a part of another
 * type holding a string are refused.
 */
static vt_status take_parts(taken *t, size_t *nt, vt_audit_sse *s, json_t *list, const char *key, int choice,
                            int kind, size_t pos, const char *holder, vt_err *err)
{
    sse_field *f = NULL, *th = NULL;
    vt_status rc = vt__sse_field_get(&f, s, choice, holder_of(holder), kind, -1, err);

    for (size_t i = 0; rc == VT_OK && i < json_array_size(list); i++) {
        json_t *part = json_array_get(list, i), *inner = json_object_get(part, "thinking");
        const char *type = part_type(part);
        if (type == NULL) {
            rc = vt_err_set(err, VT_E_FORMAT, "audit: choice %d streams a part of its %s that is not an object "
                            "with a string type", choice, key);
        } else if (strcmp(type, "text") == 0) {
            rc = take_part(t, nt, list, i, f, pos, holder, key, err);
        } else if (strcmp(type, "thinking") != 0) {
            rc = part_unknown(part, type, choice, key, err);
        } else {
            if (!json_is_array(inner))
                rc = vt_err_set(err, VT_E_FORMAT, "audit: choice %d streams a thinking part of its %s without a "
                                "list of parts", choice, key);
            if (rc == VT_OK && th == NULL)
                rc = vt__sse_field_get(&th, s, choice, holder_of(holder), kind, SSE_THINKING, err);
            for (size_t k = 0; rc == VT_OK && k < json_array_size(inner); k++) {
                const char *it = part_type(json_array_get(inner, k));
                if (it == NULL)
                    rc = vt_err_set(err, VT_E_FORMAT, "audit: choice %d streams a part of its %s that is not an "
                                    "object with a string type", choice, key);
                else if (strcmp(it, "text") == 0)
                    rc = take_part(t, nt, inner, k, th, pos, holder, key, err);
                else
                    rc = part_unknown(json_array_get(inner, k), it, choice, key, err);
            }
        }
    }
    return rc;
}

static vt_status take_one(taken *t, size_t *nt, vt_audit_sse *s, json_t *obj, const char *key, int choice, int kind,
                          int tool, size_t pos, const char *holder, size_t tpos, vt_err *err)
{
    json_t *v = json_object_get(obj, key);
    sse_field *f = NULL;
    vt_status rc;

    /* Parts are Mistral's form of content only: no server streams another text field as a list. */
    if (json_is_array(v) && kind == F_CONTENT)
        return take_parts(t, nt, s, v, key, choice, kind, pos, holder, err);
    if (json_is_array(v) && !held_whole(kind))
        return vt_err_set(err, VT_E_FORMAT, "audit: choice %d streams its %s as a list of parts, which only "
                          "content may be", choice, key);
    /* Text written as an object, a number or a boolean: how a client would join it is unknown. */
    if (v != NULL && !json_is_string(v) && !json_is_null(v) && !held_whole(kind))
        return vt_err_set(err, VT_E_FORMAT, "audit: choice %d streams its %s as something other than a string, "
                          "null or a list of parts", choice, key);
    if (!json_is_string(v))
        return VT_OK; /* null, absent, or a call's structured text: audited with the rest of the event */
    if (*nt == SSE_MAX_FIELDS)
        return vt_err_set(err, VT_E_LIMIT, "audit: an event with more than %d text fields cannot be audited",
                          SSE_MAX_FIELDS);
    rc = vt__sse_field_get(&f, s, choice, holder_of(holder), kind, tool, err);
    if (rc != VT_OK)
        return rc;
    /* Sent whole already (a later call of its choice started): a piece now would reach the client
     * unaudited with the rest. */
    if (tool_call_kind(kind) && call_superseded(s, choice, tool))
        return vt_err_set(err, VT_E_FORMAT, "audit: choice %d streams tool call %d's %s after a later call started",
                          choice, tool, key);
    t[*nt] = (taken){ pos, holder, tpos, f, json_incref(v), NULL, NULL, 0 };
    (*nt)++;
    json_object_del(obj, key);
    return VT_OK;
}

bool vt__sse_choice_finished(const vt_audit_sse *s, int choice)
{
    return (s->choice_done[choice / 8] >> (choice % 8)) & 1;
}

bool vt__sse_choice_thinks(const vt_audit_sse *s, int choice)
{
    for (size_t i = 0; i < s->nf; i++)
        if (s->f[i].choice == choice && s->f[i].tool == SSE_THINKING)
            return true;
    return false;
}

/* The reasoning written as thinking parts of text field f (SSE_THINKING), or NULL. */
static sse_field *thinking_of(vt_audit_sse *s, const sse_field *f)
{
    for (size_t i = 0; i < s->nf; i++)
        if (s->f[i].choice == f->choice && s->f[i].holder == f->holder && s->f[i].kind == f->kind &&
            s->f[i].tool == SSE_THINKING)
            return &s->f[i];
    return NULL;
}

/* Is v hidden states a server sends after a choice's finish_reason: a list of at most
 * SSE_MAX_HIDDEN_STATES numbers (SGLang's return_hidden_states, the last token's vector)? */
static bool hidden_states_ok(const json_t *v)
{
    size_t i;
    json_t *m;

    if (!json_is_array(v) || json_array_size(v) > SSE_MAX_HIDDEN_STATES)
        return false;
    json_array_foreach(v, i, m) {
        if (!json_is_number(m))
            return false;
    }
    return true;
}

/* Does v carry nothing of a reply: absent, null, or an object whose members are all null, but, in a
 * holder (a delta or a message), hidden states (hidden_states_ok)? */
static bool empty_part(json_t *v, bool holder)
{
    const char *key;
    json_t *m;

    if (v == NULL || json_is_null(v))
        return true;
    if (!json_is_object(v))
        return false;
    json_object_foreach(v, key, m) {
        if (!json_is_null(m) && !(holder && strcmp(key, "hidden_states") == 0 && hidden_states_ok(m)))
            return false;
    }
    return true;
}

/*
 * Choice idx after its finish_reason: nothing more of its reply may come (docs/auditors.md).  Its
 * delta or message (any member that is not null: text of any field, seen before or new, a tool
 * call of any index, function or custom, a call's name alone, a role, a member no one has
 * invented yet), its text and its logprobs are refused, in this event, which is not sent; a piece
 * there would be audited and sent after the client's program took the choice as complete.  What
 * servers send after it passes: an empty delta or message ({}, null members; whatever holder the
 * choice streamed in: it adds no text, so no holder layout is kept after the finish), the
 * finish_reason again, the usage-only last chunk (no choice at all), members that write no reply
 * (an annotation such as content_filter_results), audited where they are like the rest of the
 * event, and hidden states: a list of numbers, which writes no text, in the delta or message
 * (SGLang's chat) or in the choice beside an empty text (SGLang's completions).  Hidden states that
 * are anything else (strings, lists, objects: text a client may read) are refused.
 */
static vt_status after_finish(json_t *ch, int idx, vt_err *err)
{
    static const char *const reply[] = { "delta", "message", "text", "logprobs" };
    json_t *hs = json_object_get(ch, "hidden_states"), *text = json_object_get(ch, "text");
    bool hidden = hs != NULL && !json_is_null(hs);

    if (hidden && !hidden_states_ok(hs))
        return vt_err_set(err, VT_E_FORMAT, "audit: choice %d streams hidden_states after its finish_reason that "
                          "are not a list of at most %d numbers", idx, SSE_MAX_HIDDEN_STATES);
    for (size_t i = 0; i < sizeof(reply) / sizeof(reply[0]); i++) {
        json_t *v = json_object_get(ch, reply[i]);
        if (v == text && hidden && json_is_string(v) && json_string_length(v) == 0)
            continue; /* a completion's hidden states: the text beside them is "" */
        if (!empty_part(v, i < 2))
            return vt_err_set(err, VT_E_FORMAT, "audit: choice %d streams more of its %s after its finish_reason",
                              idx, reply[i]);
    }
    return VT_OK;
}

/*
 * A choice's finish_reason is a string (it finishes the choice: "" too), null or absent (it goes
 * on).  Any other value (a number, a boolean, an object, a list: a buggy server) is refused, the
 * event not sent: clients disagree on whether it ends the choice (a test `!= null` ends it at 0 or
 * false, a truthy test does not), and the rule that nothing of a choice follows its end, held text
 * released there and more refused, needs the end where every client sees it.
 */
static vt_status finish_reason_ok(const json_t *ch, int idx, vt_err *err)
{
    const json_t *fr = json_object_get(ch, "finish_reason");

    if (fr != NULL && !json_is_null(fr) && !json_is_string(fr))
        return vt_err_set(err, VT_E_FORMAT, "audit: choice %d's finish_reason is neither a string nor null", idx);
    return VT_OK;
}

/*
 * Choice idx's holder layout in this event (sse_int.h, L_*) must be the one its first event with a
 * holder had: a switch (the delta, then the message; both, then one; a delta that was not empty
 * beside a message, then an empty one) would have a client that reads the delta when there is
 * one, and the message otherwise, read what two scanners released side by side.
 */
static vt_status holder_layout(vt_audit_sse *s, json_t *ch, int idx, vt_err *err)
{
    json_t *d = json_object_get(ch, "delta"), *m = json_object_get(ch, "message");
    int l = L_NONE;

    if (m != NULL && !json_is_null(m))
        l = d == NULL                   ? L_MESSAGE
            : json_is_null(d)           ? L_MESSAGE_DELTA_NULL
            : !json_is_object(d)        ? L_BOTH_OTHER
            : json_object_size(d) == 0 ? L_BOTH_EMPTY
                                        : L_BOTH;
    else if (d != NULL && !json_is_null(d))
        l = L_DELTA;
    if (l == L_NONE)
        return VT_OK;
    if (s->layout[idx] == L_NONE)
        s->layout[idx] = (uint8_t)l;
    if (s->layout[idx] != l)
        return vt_err_set(err, VT_E_FORMAT, "audit: choice %d switches between a delta and a message", idx);
    return VT_OK;
}

/* Takes the streamed text fields out of holder h (H_*) of one choice: its delta or its message. */
static vt_status take_holder(taken *t, size_t *nt, vt_audit_sse *s, json_t *ch, int h, int idx, size_t pos,
                             vt_err *err)
{
    static const int held[] = { F_CONTENT, F_REFUSAL, F_REASONING_CONTENT, F_REASONING };
    const char *hname = vt__sse_holder_name[h];
    json_t *o = json_object_get(ch, hname), *tc, *fc;
    vt_status rc = VT_OK;

    if (!json_is_object(o))
        return VT_OK;
    for (size_t i = 0; rc == VT_OK && i < sizeof(held) / sizeof(held[0]); i++)
        rc = take_one(t, nt, s, o, vt__sse_field_name[held[i]], idx, held[i], -1, pos, hname, 0, err);
    tc = json_object_get(o, "tool_calls");
    for (size_t k = 0; rc == VT_OK && k < json_array_size(tc); k++) {
        json_t *call = json_array_get(tc, k), *fn = json_object_get(call, "function");
        json_t *cu = json_object_get(call, "custom");
        sse_field *f = NULL;
        int tool = 0;
        if (!json_is_object(call))
            continue;
        rc = index_of(&tool, call, k, "tool calls", err);
        /* A call's field is made when the call first shows, with or without its text (some servers
         * send the name first): a call that starts ends the choice's earlier ones (sse_event). */
        if (rc == VT_OK && json_is_object(fn))
            rc = vt__sse_field_get(&f, s, idx, h, F_TOOL_ARGS, tool, err);
        if (rc == VT_OK && json_is_object(fn))
            rc = take_one(t, nt, s, fn, "arguments", idx, F_TOOL_ARGS, tool, pos, hname, k, err);
        if (rc == VT_OK && json_is_object(cu))
            rc = vt__sse_field_get(&f, s, idx, h, F_TOOL_INPUT, tool, err);
        if (rc == VT_OK && json_is_object(cu))
            rc = take_one(t, nt, s, cu, "input", idx, F_TOOL_INPUT, tool, pos, hname, k, err);
    }
    fc = json_object_get(o, "function_call");
    if (rc == VT_OK && json_is_object(fc))
        rc = take_one(t, nt, s, fc, "arguments", idx, F_FUNC_ARGS, -1, pos, hname, 0, err);
    return rc;
}

/* Takes the streamed text fields out of one choice: its text, its delta's, its message's. */
static vt_status take_choice(taken *t, size_t *nt, vt_audit_sse *s, json_t *ch, int idx, size_t pos, vt_err *err)
{
    vt_status rc = take_one(t, nt, s, ch, "text", idx, F_TEXT, -1, pos, NULL, 0, err);

    for (int h = 0; rc == VT_OK && h < H_COUNT; h++)
        rc = take_holder(t, nt, s, ch, h, idx, pos, err);
    return rc;
}

/* Child object named key of o, created when absent. */
static json_t *child(json_t *o, const char *key)
{
    json_t *c = json_object_get(o, key);

    if (json_is_object(c))
        return c;
    c = json_object();
    if (c == NULL || json_object_set_new(o, key, c) != 0)
        return NULL;
    return c;
}

/* The tool call with the given index in h.tool_calls (position tpos when known), created when absent:
 * before the first call with a greater index, so a call ended by the next one is read first. */
static json_t *tool_call(json_t *h, int tool, size_t tpos)
{
    json_t *tc = json_object_get(h, "tool_calls"), *call;
    size_t at;

    if (!json_is_array(tc)) {
        tc = json_array();
        if (tc == NULL || json_object_set_new(h, "tool_calls", tc) != 0)
            return NULL;
    }
    call = json_array_get(tc, tpos);
    if (json_is_object(call) && (json_object_get(call, "index") == NULL ||
                                 json_integer_value(json_object_get(call, "index")) == tool))
        return call;
    for (size_t k = 0; k < json_array_size(tc); k++) {
        call = json_array_get(tc, k);
        if (json_is_object(call) && json_integer_value(json_object_get(call, "index")) == tool)
            return call;
    }
    for (at = 0; at < json_array_size(tc); at++)
        if (json_integer_value(json_object_get(json_array_get(tc, at), "index")) > tool)
            break;
    call = json_pack("{s:i}", "index", tool);
    if (call == NULL || json_array_insert_new(tc, at, call) != 0)
        return NULL;
    return call;
}

/* A part holding text p: {"type":"text","text":p}, or (thinking) {"type":"thinking","thinking":
 * [{"type":"text","text":p}]}; NULL when out of memory or p is not UTF-8. */
static json_t *part_new(bool thinking, const uint8_t *p, size_t n)
{
    json_t *v = json_stringn(n > 0 ? (const char *)p : "", n);
    json_t *part = v != NULL ? json_pack("{s:s, s:o}", "type", "text", "text", v) : NULL;

    if (part == NULL || !thinking)
        return part;
    return json_pack("{s:s, s:[o]}", "type", "thinking", "thinking", part);
}

/* Puts part (owned; NULL: a failure to make it) into the list o[name], before the part before when
 * it is there, else at the end; a list is made where there was none (a string that is not empty
 * becoming its first text part). */
static vt_status list_put(json_t *o, const char *name, json_t *part, const json_t *before, vt_err *err)
{
    json_t *list = json_object_get(o, name);
    size_t at;

    if (part == NULL)
        return vt_err_set(err, VT_E_FORMAT, "audit: released stream text is not valid UTF-8");
    if (!json_is_array(list)) {
        json_t *first = json_string_length(list) > 0 ? part_new(false, (const uint8_t *)json_string_value(list),
                                                                json_string_length(list))
                                                     : NULL;
        list = json_string_length(list) > 0 ? json_pack("[o]", first) : json_array();
        if (list == NULL || json_object_set_new(o, name, list) != 0) {
            json_decref(part);
            return vt_err_set(err, VT_E_NOMEM, "audit: out of memory");
        }
    }
    for (at = 0; at < json_array_size(list) && json_array_get(list, at) != before; at++)
        ;
    if (json_array_insert_new(list, at, part) != 0)
        return vt_err_set(err, VT_E_NOMEM, "audit: out of memory");
    return VT_OK;
}

/* Puts released text for field f into choice ch (appending to what is there). */
static vt_status put_text(json_t *ch, const char *holder, size_t tpos, const sse_field *f, const uint8_t *p, size_t n,
                          vt_err *err)
{
    json_t *o = ch, *old, *v;
    vt_buf cat = { 0 };
    vt_status rc = VT_OK;

    if (f->kind != F_TEXT)
        o = child(ch, holder != NULL ? holder : "delta");
    if (o != NULL && tool_call_kind(f->kind)) {
        o = tool_call(o, f->tool, tpos);
        o = o != NULL ? child(o, f->kind == F_TOOL_INPUT ? "custom" : "function") : NULL;
    } else if (o != NULL && f->kind == F_FUNC_ARGS) {
        o = child(o, "function_call");
    }
    if (o == NULL)
        return vt_err_set(err, VT_E_NOMEM, "audit: out of memory");
    old = json_object_get(o, vt__sse_field_name[f->kind]);
    /* Reasoning goes out as a thinking part; text as a text part where the field is a list. */
    if (!held_whole(f->kind) && (f->tool == SSE_THINKING || json_is_array(old)))
        return list_put(o, vt__sse_field_name[f->kind], part_new(f->tool == SSE_THINKING, p, n), NULL, err);
    if (json_is_string(old)) {
        rc = vt_buf_append(&cat, json_string_value(old), json_string_length(old), err);
        if (rc == VT_OK)
            rc = vt_buf_append(&cat, p, n, err);
        p = cat.data;
        n = cat.len;
    }
    v = rc == VT_OK ? json_stringn(n > 0 ? (const char *)p : "", n) : NULL;
    if (rc == VT_OK && (v == NULL || json_object_set_new(o, vt__sse_field_name[f->kind], v) != 0))
        rc = vt_err_set(err, VT_E_FORMAT, "audit: released stream text is not valid UTF-8");
    vt_buf_free(&cat);
    return rc;
}

/* Held pieces go out as "" in their events; the whole, audited, when the call is complete. */
static vt_status call_hold(vt_audit_sse *s, sse_field *f, const char *p, size_t n, vt_err *err)
{
    size_t held;

    if (!vt_add_ok(s->held, n, &held) || held > SSE_MAX_HELD)
        return vt_err_set(err, VT_E_LIMIT, "audit: tool-call arguments and input of more than %zu bytes held in one "
                          "stream cannot be audited", (size_t)SSE_MAX_HELD);
    s->held = held;
    return vt_buf_append(&f->a->held, p, n, err);
}

/*
 * A complete call's text, audited by the code that audits a whole body's, appended to out: the
 * held string as it came when nothing in it was redacted, else the audited text.  Arguments are
 * JSON, audited decoded (audit_arguments) at the depth they have in an event, so the nesting
 * limit counts as in a whole body: 7 for choices[].delta.tool_calls[].function.arguments, 5 for
 * .function_call.arguments.  A custom call's input is plain text, scanned as text (scan_str).
 */
static vt_status call_finish(vt_audit_sse *s, sse_field *f, vt_buf *out, vt_err *err)
{
    vt_buf *h = &f->a->held;
    const char *p = h->len > 0 ? (const char *)h->data : "";
    json_t *r = NULL;
    vt_status rc = f->kind == F_TOOL_INPUT ? scan_str(s->x, &f->a->st, p, h->len, &r, err)
                                           : audit_arguments(s->x, &f->a->st, p, h->len, &r,
                                                             f->kind == F_TOOL_ARGS ? 7 : 5, err);

    if (rc == VT_OK)
        rc = r != NULL ? vt_buf_append(out, json_string_value(r), json_string_length(r), err)
                       : vt_buf_append(out, h->data, h->len, err);
    json_decref(r);
    s->held -= h->len;
    vt_buf_free(h);
    return rc;
}

/* Ends field f: what it still holds, audited, appended to out. */
static vt_status field_finish(vt_audit_sse *s, sse_field *f, vt_buf *out, vt_err *err)
{
    f->done = true;
    return f->a != NULL ? call_finish(s, f, out, err) : vt_audit_stream_finish(f->s, out, NULL, err);
}

static vt_status put_released(vt_audit_sse *s, json_t *ch, const char *holder, size_t tpos, sse_field *f,
                              const uint8_t *p, size_t n, vt_err *err);

/* Ends field f and puts what it still held, audited, into choice ch. */
static vt_status release_into(vt_audit_sse *s, json_t *ch, sse_field *f, vt_err *err)
{
    vt_status rc;

    s->txt.len = 0;
    rc = field_finish(s, f, &s->txt, err);
    if (rc == VT_OK && s->txt.len > 0 && !state_blocked(s->x->c, field_state(f)))
        rc = put_released(s, ch, vt__sse_holder_name[f->holder], SIZE_MAX, f, s->txt.data, s->txt.len, err);
    return rc;
}

/* Releases the rest of every field of choice idx into ch (its finish_reason arrived). */
static vt_status finish_choice(vt_audit_sse *s, json_t *ch, int idx, vt_err *err)
{
    vt_status rc = VT_OK;

    for (size_t i = 0; rc == VT_OK && i < s->nf; i++)
        if (s->f[i].choice == idx && !s->f[i].done)
            rc = release_into(s, ch, &s->f[i], err);
    return rc;
}

/*
 * A tool call of choice idx started in this event: the choice's calls held from earlier events
 * are complete (a model writes one call's arguments or input, then the next call's, function or
 * custom alike), and go out in this event, before the new call.  A piece for one of them after
 * this is refused (take_one).
 */
static vt_status supersede_calls(vt_audit_sse *s, json_t *ch, int idx, vt_err *err)
{
    bool started = false;
    vt_status rc = VT_OK;

    for (size_t i = 0; i < s->nf; i++)
        started |= s->f[i].choice == idx && tool_call_kind(s->f[i].kind) && s->f[i].born == s->events;
    for (size_t i = 0; started && rc == VT_OK && i < s->nf; i++) {
        sse_field *f = &s->f[i];
        if (f->choice != idx || !tool_call_kind(f->kind) || f->done || f->born == s->events)
            continue;
        f->superseded = true;
        rc = release_into(s, ch, f, err);
    }
    return rc;
}

/* The place at path, made when absent. */
static vt_status join_at(sse_join **out, vt_audit_sse *s, const char *path, size_t plen, vt_err *err)
{
    sse_join *j;

    *out = NULL;
    for (size_t i = 0; i < s->njoins; i++)
        if (s->joins[i].path_len == plen && memcmp(s->joins[i].path, path, plen) == 0) {
            *out = &s->joins[i];
            return VT_OK;
        }
    if (s->njoins == SSE_MAX_JOINS)
        return vt_err_set(err, VT_E_LIMIT, "audit: a stream with more than %d joined strings cannot be audited",
                          SSE_MAX_JOINS);
    if (s->njoins == s->joins_cap) {
        size_t cap = s->joins_cap == 0 ? 8 : s->joins_cap * 2;
        sse_join *n = realloc(s->joins, cap * sizeof(*n));
        if (n == NULL)
            return vt_err_set(err, VT_E_NOMEM, "audit: out of memory");
        s->joins = n;
        s->joins_cap = cap;
    }
    j = &s->joins[s->njoins++];
    memset(j, 0, sizeof(*j));
    memcpy(j->path, path, plen);
    j->path_len = plen;
    *out = j;
    return VT_OK;
}

/*
 * One piece (as sent, audited) of the string at path: what a client that joins the pieces reads
 * is the place's tail and this piece side by side.  Each was scanned on its own; a finding only
 * the join shows (it spans them) cannot be redacted in what was sent already, so it fails the
 * stream.  The place keeps the last VT_AUDIT_HOLDBACK bytes of the join, from a character's start.
 */
static vt_status join_check(vt_audit_sse *s, const char *path, size_t plen, const char *p, size_t n, vt_err *err)
{
    vt_buf cat;
    sse_join *j = NULL;
    uint32_t both = 0, piece = 0;
    size_t from;
    vt_status rc = n > 0 ? join_at(&j, s, path, plen, err) : VT_OK;

    if (rc != VT_OK || n == 0)
        return rc;
    vt_buf_init(&cat);
    rc = vt_buf_append(&cat, j->tail, j->tail_len, err);
    if (rc == VT_OK)
        rc = vt_buf_append(&cat, p, n, err);
    if (rc == VT_OK && j->tail_len > 0)
        rc = count_found(s->x, cat.data, cat.len, &both, err);
    if (rc == VT_OK && j->tail_len > 0)
        rc = count_found(s->x, (const uint8_t *)p, n, &piece, err);
    if (rc == VT_OK && both > j->tail_found + piece)
        rc = vt_err_set(err, VT_E_FORMAT, "audit: a string joined across stream events holds a finding no piece "
                        "of it does");
    from = cat.len > sizeof(j->tail) ? cat.len - sizeof(j->tail) : 0;
    while (rc == VT_OK && from < cat.len && (cat.data[from] & 0xC0) == 0x80)
        from++;
    if (rc == VT_OK) {
        j->tail_len = cat.len - from;
        memcpy(j->tail, cat.data + from, j->tail_len);
        rc = count_found(s->x, j->tail, j->tail_len, &j->tail_found, err);
    }
    vt_buf_free(&cat);
    return rc;
}

/* What join_walk walks: a choice (its own members), a choice's delta or message, or a value in one. */
enum { J_CHOICE, J_HOLDER, J_INNER };

static vt_status join_walk(vt_audit_sse *s, json_t *v, char *path, size_t plen, int depth, int at, vt_err *err);

/*
 * The strings of a content list's parts at path (a text part's text was taken out: ""), joined
 * across events per type ("<path>/@image_url/image_url/url"), as a client that gathers a type's
 * parts reads them, not by their place in the list, which moves from event to event; a thinking
 * part's list likewise.  take_parts refused what is not a part, and a part of a type not known that
 * holds a string.
 */
static vt_status join_parts_walk(vt_audit_sse *s, json_t *list, char *path, size_t plen, int depth, vt_err *err)
{
    const char *key;
    json_t *part, *m;
    vt_status rc = VT_OK;
    size_t i;

    if (depth > MAX_DEPTH)
        return vt_err_set(err, VT_E_LIMIT, "audit: response nests deeper than %d", MAX_DEPTH);
    json_array_foreach(list, i, part) {
        const char *type = part_type(part);
        size_t tl = type != NULL ? strlen(type) : 0, tlen = plen + 2 + tl;
        if (type == NULL)
            continue;
        if (tlen >= SSE_MAX_PATH)
            return vt_err_set(err, VT_E_LIMIT, "audit: a stream event's member is too deep to be audited joined");
        memcpy(path + plen, "/@", 2);
        memcpy(path + plen + 2, type, tl);
        json_object_foreach(part, key, m) {
            size_t klen = strlen(key);
            if (strcmp(key, "index") == 0 || strcmp(key, "type") == 0 || json_is_null(m) || json_is_number(m) ||
                json_is_boolean(m))
                continue;
            if (tlen + 1 + klen >= SSE_MAX_PATH)
                return vt_err_set(err, VT_E_LIMIT, "audit: a stream event's member is too deep to be audited joined");
            path[tlen] = '/';
            memcpy(path + tlen + 1, key, klen);
            if (strcmp(type, "thinking") == 0 && strcmp(key, "thinking") == 0 && json_is_array(m))
                rc = join_parts_walk(s, m, path, tlen + 1 + klen, depth + 2, err);
            else
                rc = join_walk(s, m, path, tlen + 1 + klen, depth + 2, J_INNER, err);
            if (rc != VT_OK)
                return rc;
        }
    }
    return rc;
}

/*
 * A member of a choice that join_walk leaves out: its finish_reason (replaced, not joined), its
 * text (a streamed field, fed to its own scanner) and its logprobs (tokens a client lists, each
 * scanned on its own with the rest of the event).
 */
static bool join_skip_choice(const char *key)
{
    return strcmp(key, "finish_reason") == 0 || strcmp(key, "text") == 0 || strcmp(key, "logprobs") == 0;
}

/*
 * The strings of v at path, as the OpenAI SDKs join them across events: an object's members by
 * key, but "index" and "type", which replace; a list's objects by their "index".  v is a choice
 * (at: J_CHOICE; path its index), whose own members a client may join as it joins its delta's (a
 * member no one has invented yet), and whose delta and message (J_HOLDER) are walked the same way
 * (a content list's parts per type: join_parts_walk), or a value in one of them (J_INNER).  The
 * streamed fields were taken out already.
 */
static vt_status join_walk(vt_audit_sse *s, json_t *v, char *path, size_t plen, int depth, int at, vt_err *err)
{
    const char *key;
    json_t *m;
    vt_status rc = VT_OK;
    size_t i;

    if (json_is_string(v))
        return join_check(s, path, plen, json_string_value(v), json_string_length(v), err);
    if (depth > MAX_DEPTH)
        return vt_err_set(err, VT_E_LIMIT, "audit: response nests deeper than %d", MAX_DEPTH);
    if (json_is_object(v)) {
        json_object_foreach(v, key, m) {
            size_t klen = strlen(key);
            bool holder = at == J_CHOICE && (strcmp(key, "delta") == 0 || strcmp(key, "message") == 0);
            if (strcmp(key, "index") == 0 || strcmp(key, "type") == 0 || json_is_null(m) || json_is_number(m) ||
                json_is_boolean(m) || (at == J_CHOICE && join_skip_choice(key)))
                continue;
            if (plen + 1 + klen >= SSE_MAX_PATH)
                return vt_err_set(err, VT_E_LIMIT, "audit: a stream event's member is too deep to be audited joined");
            path[plen] = '/';
            memcpy(path + plen + 1, key, klen);
            if (at == J_HOLDER && strcmp(key, "content") == 0 && json_is_array(m))
                rc = join_parts_walk(s, m, path, plen + 1 + klen, depth + 1, err);
            else
                rc = join_walk(s, m, path, plen + 1 + klen, depth + 1, holder ? J_HOLDER : J_INNER, err);
            if (rc != VT_OK)
                return rc;
        }
    } else if (json_is_array(v)) {
        json_array_foreach(v, i, m) {
            json_t *ix = json_object_get(m, "index");
            char seg[32];
            int sl = json_is_integer(ix) ? snprintf(seg, sizeof(seg), "/[%lld]", (long long)json_integer_value(ix))
                                         : snprintf(seg, sizeof(seg), "/#%zu", i);
            if (plen + (size_t)sl >= SSE_MAX_PATH)
                return vt_err_set(err, VT_E_LIMIT, "audit: a stream event's member is too deep to be audited joined");
            memcpy(path + plen, seg, (size_t)sl);
            rc = join_walk(s, m, path, plen + (size_t)sl, depth + 1, J_INNER, err);
            if (rc != VT_OK)
                return rc;
        }
    }
    return rc;
}

/*
 * Text p released by field f, as a client that joins every text of the field's list of parts
 * reads it: the reasoning's and the answer's one after the other.  Each has its own scanner, so a
 * finding across the end of the reasoning and the start of the answer is seen by neither; it is
 * checked as the other joined strings are (join_check), and fails the stream.  Only fields that
 * streamed reasoning as parts are checked.
 */
static vt_status join_parts(vt_audit_sse *s, const sse_field *f, const uint8_t *p, size_t n, vt_err *err)
{
    char path[SSE_MAX_PATH];
    int plen;

    if (f->a != NULL || (f->tool != SSE_THINKING && thinking_of(s, f) == NULL))
        return VT_OK;
    /* (a path join_walk never makes: those start with the choice's index) */
    plen = snprintf(path, sizeof(path), "*%d/%s/%s", f->choice, vt__sse_holder_name[f->holder],
                    vt__sse_field_name[f->kind]);
    return join_check(s, path, (size_t)plen, n > 0 ? (const char *)p : "", n, err);
}

/* Puts text p released by field f into choice ch (put_text), joined with the field's other text
 * first where a client reads the reasoning and the answer side by side (join_parts). */
static vt_status put_released(vt_audit_sse *s, json_t *ch, const char *holder, size_t tpos, sse_field *f,
                              const uint8_t *p, size_t n, vt_err *err)
{
    vt_status rc = join_parts(s, f, p, n, err);

    return rc == VT_OK ? put_text(ch, holder, tpos, f, p, n, err) : rc;
}

/*
 * Feeds a piece t of a text field to its holdback scanner and puts what the scanner releases where
 * the piece was: into its text part, or the field's string.  Reasoning written as parts comes
 * before the answer (Magistral writes the one, then the other): once the answer has started, more
 * of it is refused, and the answer's first text ends it, what it still held going out first, in a
 * thinking part of its own before the answer's part (or string) in this event.
 */
static vt_status text_feed(vt_audit_sse *s, json_t *ch, taken *t, bool *blocked, vt_err *err)
{
    sse_field *f = t->f, *th = f->tool == SSE_THINKING ? NULL : thinking_of(s, f), *text = NULL;
    const char *p = json_string_value(t->text);
    size_t n = json_string_length(t->text);
    json_t *v;
    vt_status rc = VT_OK;

    if (f->tool == SSE_THINKING) {
        rc = vt__sse_field_get(&text, s, f->choice, f->holder, f->kind, -1, err);
        if (rc == VT_OK && text->wrote)
            rc = vt_err_set(err, VT_E_FORMAT, "audit: choice %d streams reasoning in its %s after its text",
                            f->choice, vt__sse_field_name[f->kind]);
    } else if (th != NULL && !th->done && n > 0) {
        json_t *o = t->holder != NULL ? child(ch, t->holder) : ch;
        s->txt.len = 0;
        rc = o != NULL ? field_finish(s, th, &s->txt, err) : vt_err_set(err, VT_E_NOMEM, "audit: out of memory");
        *blocked = state_blocked(s->x->c, field_state(th));
        if (rc != VT_OK || *blocked)
            return rc;
        if (s->txt.len > 0)
            rc = join_parts(s, th, s->txt.data, s->txt.len, err);
        if (rc == VT_OK && s->txt.len > 0)
            rc = list_put(o, vt__sse_field_name[f->kind], part_new(true, s->txt.data, s->txt.len), t->part, err);
    }
    f->wrote |= n > 0;
    s->txt.len = 0;
    if (rc == VT_OK)
        rc = vt_audit_stream_feed(f->s, p, n, &s->txt, err);
    *blocked = state_blocked(s->x->c, field_state(f));
    if (rc != VT_OK || *blocked)
        return rc;
    if (t->part == NULL)
        return put_released(s, ch, t->holder, t->tpos, f, s->txt.data, s->txt.len, err);
    rc = join_parts(s, f, s->txt.data, s->txt.len, err);
    v = rc == VT_OK ? json_stringn(s->txt.len > 0 ? (const char *)s->txt.data : "", s->txt.len) : NULL;
    if (rc == VT_OK && (v == NULL || json_object_set_new(t->part, "text", v) != 0))
        rc = vt_err_set(err, VT_E_FORMAT, "audit: released stream text is not valid UTF-8");
    return rc;
}

static vt_status sse_event(vt_audit_sse *s, json_t *doc, vt_err *err)
{
    taken t[SSE_MAX_FIELDS];
    size_t nt = 0;
    json_t *chs = json_object_get(doc, "choices"), *r = NULL, *ch;
    int idx[SSE_MAX_INDEX + 1];
    uint8_t seen[(SSE_MAX_INDEX + 8) / 8] = { 0 };
    size_t nch = json_array_size(chs);
    vt_status rc = VT_OK;

    if (nch > SSE_MAX_INDEX + 1)
        return vt_err_set(err, VT_E_LIMIT, "audit: more than %d choices cannot be audited", SSE_MAX_INDEX + 1);
    s->events++;
    for (size_t i = 0; rc == VT_OK && i < nch; i++) {
        ch = json_array_get(chs, i);
        idx[i] = -1;
        if (!json_is_object(ch))
            continue;
        rc = index_of(&idx[i], ch, i, "choices", err);
        /* Twice in one event: its text is fed in array order, but what its finish_reason releases
         * goes into the object that has it, so a client joining them in order would read pieces
         * side by side that the scan read apart. */
        if (rc == VT_OK && (seen[idx[i] / 8] >> (idx[i] % 8)) & 1)
            rc = vt_err_set(err, VT_E_FORMAT, "audit: choice %d is twice in one stream event", idx[i]);
        if (rc == VT_OK)
            seen[idx[i] / 8] |= (uint8_t)(1u << (idx[i] % 8));
        if (rc == VT_OK)
            rc = finish_reason_ok(ch, idx[i], err);
        /* Finished: nothing in it to take (after_finish), and no layout kept (what comes writes no text). */
        if (rc == VT_OK && vt__sse_choice_finished(s, idx[i])) {
            rc = after_finish(ch, idx[i], err);
            continue;
        }
        if (rc == VT_OK)
            rc = holder_layout(s, ch, idx[i], err);
        if (rc == VT_OK)
            rc = take_choice(t, &nt, s, ch, idx[i], i, err);
    }
    /* Everything else in the event: audited where it is. */
    if (rc == VT_OK)
        rc = audit_value(s->x, &s->st, doc, &r, 0, err);
    if (rc == VT_OK && r != NULL) /* a key of the top-level object was redacted */
        rc = vt_err_set(err, VT_E_FORMAT, "audit: a stream event's top-level key holds a finding");
    chs = json_object_get(doc, "choices");
    /* The other strings of each choice, its delta and its message, as the client joins them. */
    for (size_t i = 0; rc == VT_OK && i < nch; i++) {
        char path[SSE_MAX_PATH];
        int plen = snprintf(path, sizeof(path), "%d", idx[i]);
        if (idx[i] >= 0)
            rc = join_walk(s, json_array_get(chs, i), path, (size_t)plen, 1, J_CHOICE, err);
    }
    /* A text part the audit rebuilt (a key of it redacted) is no longer in its list. */
    for (size_t i = 0; rc == VT_OK && i < nt; i++)
        if (t[i].part != NULL && json_array_get(t[i].list, t[i].at) != t[i].part)
            rc = vt_err_set(err, VT_E_FORMAT, "audit: a key of a streamed text part holds a finding");
    for (size_t i = 0; rc == VT_OK && i < nt; i++) {
        const char *p = json_string_value(t[i].text);
        size_t n = json_string_length(t[i].text);
        ch = json_array_get(chs, t[i].pos);
        if (ch == NULL) {
            rc = vt_err_set(err, VT_E_FORMAT, "audit: a choice changed shape while audited");
            break;
        }
        if (t[i].f->a == NULL) {
            bool blocked = false;
            rc = text_feed(s, ch, &t[i], &blocked, err);
            if (rc != VT_OK || blocked)
                break;
            continue;
        }
        s->txt.len = 0;
        rc = call_hold(s, t[i].f, p, n, err);
        if (rc == VT_OK && state_blocked(s->x->c, field_state(t[i].f)))
            break;
        if (rc == VT_OK)
            rc = put_text(ch, t[i].holder, t[i].tpos, t[i].f, s->txt.data, s->txt.len, err);
    }
    for (size_t i = 0; rc == VT_OK && i < nch && !vt_audit_sse_blocked(s); i++)
        if (idx[i] >= 0)
            rc = supersede_calls(s, json_array_get(chs, i), idx[i], err);
    for (size_t i = 0; rc == VT_OK && i < nch && !vt_audit_sse_blocked(s); i++) {
        ch = json_array_get(chs, i);
        if (idx[i] < 0 || !json_is_string(json_object_get(ch, "finish_reason")))
            continue;
        s->choice_done[idx[i] / 8] |= (uint8_t)(1u << (idx[i] % 8));
        rc = finish_choice(s, ch, idx[i], err);
    }
    for (size_t i = 0; i < nt; i++) {
        json_decref(t[i].text);
        json_decref(t[i].part);
        json_decref(t[i].list);
    }
    json_decref(r);
    return rc;
}

vt_status vt__sse_keep_last(vt_audit_sse *s, const vt_buf *out, size_t mark, vt_err *err)
{
    if (out->len == mark) /* nothing sent (a blocked stream): the last event sent stays */
        return VT_OK;
    s->last_raw.len = 0;
    return vt_buf_append(&s->last_raw, out->data + mark, out->len - mark, err);
}

vt_status vt_audit_sse_event(vt_audit_sse *s, vt_buf *out, const uint8_t *data, size_t len, vt_err *err)
{
    json_t *doc = NULL;
    size_t mark = out->len;
    vt_status rc;

    if (s->finished || s->failed)
        return vt_err_set(err, VT_E_ARG, "audit: stream already %s", s->failed ? "failed" : "finished");
    if (!s->no_fast) {
        bool done = false;
        rc = vt__audit_sse_fast(s, out, data, len, &done, err);
        if (rc != VT_OK)
            s->failed = true;
        if (rc != VT_OK || done)
            return rc;
    }
    rc = parse_strict(&doc, data, len, "stream event", err);
    if (rc == VT_OK) {
        vt__audit_usage_from(&s->usage, doc); /* from this parse: no second one for the receipt */
        rc = sse_event(s, doc, err);
    }
    if (rc == VT_OK && !vt_audit_sse_blocked(s))
        rc = dump_to(out, doc, err);
    if (rc == VT_OK)
        rc = vt__sse_keep_last(s, out, mark, err);
    if (rc != VT_OK) {
        out->len = mark;
        s->failed = true;
    }
    json_decref(doc);
    return rc;
}

void vt_audit_sse_usage(const vt_audit_sse *s, vt_audit_exec *e)
{
    if (s->usage.prompt_tokens >= 0)
        e->prompt_tokens = s->usage.prompt_tokens;
    if (s->usage.completion_tokens >= 0)
        e->completion_tokens = s->usage.completion_tokens;
    if (s->usage.total_tokens >= 0)
        e->total_tokens = s->usage.total_tokens;
}

vt_status vt_audit_sse_finish(vt_audit_sse *s, vt_buf *out, vt_audit_report *rep, vt_err *err)
{
    audit_state total = s->st;
    vt_buf rest[SSE_MAX_FIELDS];
    json_t *chunk = NULL, *chs = NULL, *last = NULL;
    bool unsent = out == NULL || s->failed || vt_audit_sse_blocked(s);
    vt_status rc = VT_OK;

    if (s->finished)
        return vt_err_set(err, VT_E_ARG, "audit: stream already finished");
    s->finished = true;
    memset(rest, 0, sizeof(rest));
    /* Every field's held-back text is scanned first: a block found there releases nothing.  The
     * arguments or input of a call still open are audited only when they can be sent: those of a
     * stream that failed, was cut or blocked were never sent, and are dropped unread. */
    for (size_t i = 0; i < s->nf; i++) {
        sse_field *f = &s->f[i];
        if (!f->done && f->a != NULL && unsent)
            f->done = true;
        if (!f->done) {
            vt_status frc = field_finish(s, f, &rest[i], err);
            if (frc != VT_OK && rc == VT_OK)
                rc = frc;
        }
        for (size_t t = 0; t < AUDIT_MAX_TYPES; t++)
            total.counts[t] += field_state(f)->counts[t];
    }
    if (rc == VT_OK && out != NULL && !s->failed && !vt_audit_sse_blocked(s)) {
        const char *obj;
        /* the last event sent, read again once: its id, object, created and model */
        last = s->last_raw.len > 0 ? json_loadb((const char *)s->last_raw.data, s->last_raw.len, 0, NULL) : NULL;
        obj = json_string_value(json_object_get(last, "object"));
        chunk = json_pack("{s:O?, s:s, s:O?, s:O?, s:[]}", "id", json_object_get(last, "id"), "object",
                          obj != NULL ? obj : "chat.completion.chunk", "created", json_object_get(last, "created"),
                          "model", json_object_get(last, "model"), "choices");
        chs = json_object_get(chunk, "choices");
        if (chunk == NULL)
            rc = vt_err_set(err, VT_E_NOMEM, "audit: out of memory");
        for (size_t i = 0; rc == VT_OK && i < s->nf; i++) {
            sse_field *f = &s->f[i];
            json_t *ch = NULL;
            if (rest[i].len == 0)
                continue;
            for (size_t k = 0; k < json_array_size(chs); k++)
                if (json_integer_value(json_object_get(json_array_get(chs, k), "index")) == f->choice)
                    ch = json_array_get(chs, k);
            if (ch == NULL) {
                ch = json_pack("{s:i, s:n}", "index", f->choice, "finish_reason");
                if (ch == NULL || json_array_append_new(chs, ch) != 0)
                    ch = NULL;
            }
            rc = ch != NULL ? put_released(s, ch, vt__sse_holder_name[f->holder], SIZE_MAX, f, rest[i].data,
                                           rest[i].len, err)
                            : vt_err_set(err, VT_E_NOMEM, "audit: out of memory");
        }
        if (rc == VT_OK && json_array_size(chs) > 0)
            rc = dump_to(out, chunk, err);
    }
    json_decref(chunk);
    json_decref(last);
    for (size_t i = 0; i < s->nf; i++)
        vt_buf_free(&rest[i]);
    if (rep != NULL) {
        vt__audit_entries(rep, s->x->c, &total, NULL, 0, false);
        if (s->failed || rc != VT_OK)
            vt_audit_report_failed(rep, VT_AUDIT_RESPONSE);
        else
            vt_audit_report_covered(rep, VT_AUDIT_RESPONSE);
    }
    return rc;
}
