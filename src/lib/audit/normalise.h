/* Internal: the PII scanner's text normalisation (normalise.c).  Unicode
 * look-alikes of the characters the detectors key on (space separators,
 * full-width and small forms, mathematical digits and letters, a few dots
 * and dashes) fold into their ASCII form before matching; a map takes every
 * offset in the folded text back to the original, so redactions cover
 * exactly the original bytes.  docs/auditors.md lists what folds. */
#ifndef VT_AUDIT_NORMALISE_H
#define VT_AUDIT_NORMALISE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "veritee/base.h"

/* A folded character: its offset in the folded text, and how many bytes
 * the folding removed up to and including it. */
typedef struct audit_fold {
    size_t at, cum;
} audit_fold;

/* Reused across scans; a zeroed struct is empty.  Owned by the vt_audit_ctx. */
typedef struct audit_norm {
    vt_buf text;   /* the folded text, when folded (wiped when freed: it is user text) */
    audit_fold *f; /* fold points, increasing .at */
    size_t len, cap;
    bool folded;   /* false: nothing to fold, scan the original bytes */
} audit_norm;

/*
 * Folds b[0..n).  When nothing in it folds (all text without the
 * characters listed, which is nearly all text), sets nm->folded = false
 * and copies nothing.  Otherwise nm->text holds the folded text (each
 * folded character one ASCII byte, every other byte as it was, ill-formed
 * UTF-8 included) and nm->folded = true.  VT_E_NOMEM on allocation failure.
 */
vt_status vt__audit_norm(audit_norm *nm, const uint8_t *b, size_t n, vt_err *err);

/* The original offset of folded offset i (0 <= i <= folded length): the
 * start of the character at i, or for i at the end, the end of the text.
 * A match [s, e) of the folded text is the original [orig(s), orig(e)). */
size_t vt__audit_norm_orig(const audit_norm *nm, size_t i);

/* The ASCII byte that the character at b[i..n) folds to, its length in
 * *len; 0 when it does not fold (an ASCII byte, another character, or
 * bytes that are not well-formed UTF-8). */
uint8_t vt__audit_fold_at(const uint8_t *b, size_t n, size_t i, size_t *len);

void vt__audit_norm_free(audit_norm *nm);

#endif
