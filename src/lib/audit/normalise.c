/* Folding of Unicode look-alikes into ASCII before the PII scan, with the
 * map back to the original offsets.  A table, not full NFKC: the
 * characters whose NFKC form is the single ASCII character a detector
 * keys on, plus the rest of the space separators and a few dashes and dots
 * that NFKC leaves alone (docs/auditors.md lists them all).  Text without
 * any of them (nearly all text, and all ASCII text) is not copied. */
#include <stdlib.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "audit/normalise.h"

/* NFKC of U+FE4D..U+FE6B (small forms and low lines); ' ' = does not fold
 * to ASCII. */
static const char small_forms[] = "___, . ;:?! (){}  #&*+-<>= \\$%@";

static uint8_t fold_cp(uint32_t cp)
{
    /* Zs: NFKC makes all of them U+0020 except U+1680 (folded too) */
    if (cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x202F || cp == 0x205F ||
        cp == 0x3000)
        return ' ';
    if (cp == 0x2028 || cp == 0x2029) /* line and paragraph separators */
        return '\n';
    if ((cp >= 0x2010 && cp <= 0x2013) || cp == 0x2212) /* hyphens, figure and en dash, minus: not NFKC */
        return '-';
    if (cp == 0x2024) /* one dot leader (NFKC) */
        return '.';
    if (cp == 0x3002 || cp == 0xFF61) /* ideographic full stops: IDNA label separators, not NFKC */
        return '.';
    if (cp >= 0xFF01 && cp <= 0xFF5E) /* full-width forms of ASCII (NFKC) */
        return (uint8_t)(cp - 0xFF01 + 0x21);
    if (cp >= 0xFE4D && cp <= 0xFE6B)
        return small_forms[cp - 0xFE4D] != ' ' ? (uint8_t)small_forms[cp - 0xFE4D] : 0;
    /* Mathematical alphanumerics (NFKC): 13 alphabets of A-Z a-z, then 5
     * sets of digits.  The few unassigned code points among the letters
     * fold as their place says; they never occur in valid text. */
    if (cp >= 0x1D400 && cp < 0x1D6A4)
        return (uint8_t)"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"[(cp - 0x1D400) % 52];
    if (cp >= 0x1D7CE && cp <= 0x1D7FF)
        return (uint8_t)('0' + (cp - 0x1D7CE) % 10);
    return 0;
}

static inline uint8_t fold_at(const uint8_t *b, size_t n, size_t i, size_t *len)
{
    uint8_t c = b[i];
    uint32_t cp;
    size_t k;

    /* Only these lead bytes begin a character that folds. */
    if (c == 0xC2) {
        k = 2;
        cp = c & 0x1fu;
    } else if (c == 0xE1 || c == 0xE2 || c == 0xE3 || c == 0xEF) {
        k = 3;
        cp = c & 0x0fu;
    } else if (c == 0xF0) {
        k = 4;
        cp = 0;
    } else {
        return 0;
    }
    if (n - i < k)
        return 0;
    for (size_t j = 1; j < k; j++) {
        if ((b[i + j] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (b[i + j] & 0x3fu);
    }
    if (k == 4 && cp < 0x10000) /* overlong; the 2- and 3-byte leads above cannot be */
        return 0;
    *len = k;
    return fold_cp(cp);
}

uint8_t vt__audit_fold_at(const uint8_t *b, size_t n, size_t i, size_t *len) { return fold_at(b, n, i, len); }

/* Whether c may begin a character that folds (vt__audit_fold_at's leads). */
static bool is_lead(uint8_t c) { return c == 0xC2 || (c >= 0xE1 && c <= 0xE3) || c == 0xEF || c == 0xF0; }

#if defined(__SSE2__)
/* Bit k set when byte k of v is a lead. */
static unsigned lead_mask(__m128i v)
{
    const __m128i e1 = _mm_cmplt_epi8(_mm_add_epi8(v, _mm_set1_epi8((char)(0x80 - 0xE1))), _mm_set1_epi8((char)(3 - 0x80)));
    const __m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8((char)0xC2)), e1),
                                   _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8((char)0xEF)),
                                                _mm_cmpeq_epi8(v, _mm_set1_epi8((char)0xF0))));
    return (unsigned)_mm_movemask_epi8(m);
}
#endif

/* The first lead in b[i..n), or n.  ASCII text goes 64 bytes a step. */
static size_t next_lead(const uint8_t *b, size_t i, size_t n)
{
#if defined(__SSE2__)
    for (; i + 64 <= n; i += 64) {
        const __m128i *p = (const __m128i *)(const void *)(b + i);
        __m128i o = _mm_or_si128(_mm_or_si128(_mm_loadu_si128(p), _mm_loadu_si128(p + 1)),
                                 _mm_or_si128(_mm_loadu_si128(p + 2), _mm_loadu_si128(p + 3)));
        if (_mm_movemask_epi8(o) != 0)
            break;
    }
    for (; i + 16 <= n; i += 16) {
        unsigned m = lead_mask(_mm_loadu_si128((const __m128i *)(const void *)(b + i)));
        if (m != 0)
            return i + (size_t)__builtin_ctz(m);
    }
#endif
    while (i < n && !is_lead(b[i]))
        i++;
    return i;
}

static vt_status fold_push(audit_norm *nm, size_t at, size_t cum, vt_err *err)
{
    if (nm->len == nm->cap) {
        size_t cap = nm->cap ? nm->cap * 2 : 64;
        audit_fold *p = realloc(nm->f, cap * sizeof(*p));
        if (p == NULL)
            return vt_err_set(err, VT_E_NOMEM, "audit: out of memory");
        nm->f = p;
        nm->cap = cap;
    }
    nm->f[nm->len].at = at;
    nm->f[nm->len].cum = cum;
    nm->len++;
    return VT_OK;
}

vt_status vt__audit_norm(audit_norm *nm, const uint8_t *b, size_t n, vt_err *err)
{
    size_t i = next_lead(b, 0, n), w, k = 0, cum = 0;
    uint8_t *o;
    vt_status rc;

    nm->folded = false;
    nm->len = 0;
    nm->text.len = 0;
    while (i < n && fold_at(b, n, i, &k) == 0)
        i = next_lead(b, i + 1, n);
    if (i >= n)
        return VT_OK; /* the common case: scan the original */
    /* The folded text is never longer than the original; 16 more bytes
     * let the copy below store whole vectors. */
    rc = vt_buf_reserve(&nm->text, n + 16, err);
    if (rc != VT_OK)
        return rc;
    o = nm->text.data;
    memcpy(o, b, i);
    w = i;
    for (;;) {
        uint8_t c = fold_at(b, n, i, &k); /* b[i] is a lead */
        if (c != 0) {
            cum += k - 1;
            rc = fold_push(nm, w, cum, err);
            if (rc != VT_OK)
                return rc;
            o[w++] = c;
            i += k;
        } else {
            o[w++] = b[i++];
        }
        /* copy up to the next lead */
#if defined(__SSE2__)
        for (; i + 16 <= n; i += 16, w += 16) {
            __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(b + i));
            unsigned m = lead_mask(v);
            _mm_storeu_si128((__m128i *)(void *)(o + w), v);
            if (m != 0) {
                i += (size_t)__builtin_ctz(m);
                w += (size_t)__builtin_ctz(m);
                break;
            }
        }
#endif
        while (i < n && !is_lead(b[i]))
            o[w++] = b[i++];
        if (i >= n)
            break;
    }
    nm->text.len = w;
    nm->folded = true;
    return VT_OK;
}

size_t vt__audit_norm_orig(const audit_norm *nm, size_t i)
{
    size_t lo = 0, hi = nm->len;

    /* the last fold point before i: its cum is what was removed before i */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (nm->f[mid].at < i)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo == 0 ? i : i + nm->f[lo - 1].cum;
}

void vt__audit_norm_free(audit_norm *nm)
{
    vt_buf_free(&nm->text);
    free(nm->f);
    memset(nm, 0, sizeof(*nm));
}
