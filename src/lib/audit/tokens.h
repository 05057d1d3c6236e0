/* Internal: auditing a JSON document as a flat token list instead of a jansson
 * tree (tokens.c), for the whole-body walker (response.c) and the stream fast
 * path (sse_fast.c). */
#ifndef VT_AUDIT_TOKENS_H
#define VT_AUDIT_TOKENS_H

#include "audit/audit_int.h"
#include "base/json_tokens.h"

#define AUDIT_TOK_OWN UINT32_MAX           /* the token is sent as it was read */
#define AUDIT_TOK_TAKEN (UINT32_MAX - 1)   /* a streamed field's key or text: not scanned here */

struct audit_tokens {
    vt_jt_list l;   /* the document's tokens */
    uint32_t *repl; /* per token: AUDIT_TOK_OWN, AUDIT_TOK_TAKEN, or where its text is in rel */
    size_t repl_cap;
    vt_buf rel;     /* texts sent in place of the document's: a u32 length, then the bytes */
};

/*
 * Reads one object into w (base/json_tokens.h: a strict subset of jansson's
 * strict load; at most max_tokens tokens, nesting at most max_depth), every
 * token marked as its own.  false: not read; the caller uses jansson.
 */
bool vt__audit_tokens_read(audit_tokens *w, const uint8_t *p, size_t n, size_t max_tokens, unsigned max_depth);
void vt__audit_tokens_free(audit_tokens *w);

/* Does the document hold a member "arguments" whose value is a string?  A tool call's arguments
 * are audited decoded (the JSON inside the string), which only response.c's tree walk does: a
 * document that holds one is left to it, whole body or stream event alike. */
bool vt__audit_tokens_has_arguments(const audit_tokens *w);

/* Token i is sent as p[0..n) instead of its own text. */
vt_status vt__audit_tokens_replace(audit_tokens *w, size_t i, const uint8_t *p, size_t n, vt_err *err);

/*
 * Scans the value at token i and everything in it, in the order response.c's
 * tree walk scans (an object's values, then its keys), taken tokens left out;
 * a redacted string is replaced.  *renamed: a key would change, which only the
 * tree walk can do (rename in place, refuse a collision): the caller restores
 * st and uses jansson.
 */
vt_status vt__audit_tokens_scan(audit_tokens *w, vt_audit_ctx *x, audit_state *st, size_t i, size_t *next,
                                bool *renamed, vt_err *err);

/* Appends the document to out as compact JSON: strings re-encoded (replaced ones from rel),
 * numbers as read.  On failure out keeps its length. */
vt_status vt__audit_tokens_write(const audit_tokens *w, vt_buf *out, const uint8_t *data, vt_err *err);

#endif
