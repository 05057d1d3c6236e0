/* The PII scanner: Hyperscan finds the literal-led candidates, a hand
 * scanner the digit-led ones (and IPv6), the validators (validate.c)
 * confirm and delimit them, overlapping ones merge, and the release step
 * writes the text with placeholders.  One engine serves whole strings (final scan) and
 * streams (a window that holds back the longest possible match). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#elif defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "audit/validate.h"

#define H VT_AUDIT_HOLDBACK
#define MAX_CANDS ((size_t)1 << 22)

/*
 * Built-in patterns.  Only literal-led ones go to Hyperscan, all without
 * start-of-match tracking: the validator rather than the regex decides
 * edges, checksums and ranges, and finds the start itself (fixed width, or
 * a bounded walk back from the end).  The digit-led types (card, phones,
 * SSN, IBAN, IPv4) and IPv6 have no literal to key on; they have no regex
 * here (re NULL) and are found by scan_hand() below, which walks the digit
 * runs and colons once and parses each type from there.  The comment on
 * each gives the regex whose matches it reproduces exactly: every end
 * offset with its leftmost start, as Hyperscan would report them.
 */
static const audit_expr builtin[] = {
    { "[A-Za-z0-9._%+\\-]@[A-Za-z0-9]", 0, { T_EMAIL, CHK_EMAIL, 0 } },
    /* \+[1-9][0-9 ().\-]{6,20}[0-9] */
    { NULL, 0, { T_PHONE, CHK_PHONE_INTL, 0 } },
    /* \(?[2-9][0-9]{2}\)?[ .\-]?[2-9][0-9]{2}[ .\-][0-9]{4} */
    { NULL, 0, { T_PHONE, CHK_PHONE_NANP, 0 } },
    /* [0-9](?:[ \-]?[0-9]){12,18} */
    { NULL, 0, { T_CARD, CHK_CARD, 0 } },
    /* [0-9]{3}-[0-9]{2}-[0-9]{4} and [0-9]{3} [0-9]{2} [0-9]{4} */
    { NULL, 0, { T_SSN, CHK_SSN, 11 } },
    /* [A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]){11,30} */
    { NULL, 0, { T_IBAN, CHK_IBAN, 0 } },
    /* [0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3} */
    { NULL, 0, { T_IP, CHK_IPV4, 0 } },
    /* [0-9A-Fa-f]:[0-9A-Fa-f]{0,4}: and ::[0-9A-Fa-f] */
    { NULL, 0, { T_IP, CHK_IPV6, 0 } },
    { "(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}", 0, { T_SECRET, CHK_WORD, 20 } },
    { "gh[pousr]_[A-Za-z0-9]{36}", 0, { T_SECRET, CHK_WORD, 40 } },
    { "github_pat_[A-Za-z0-9_]{82}", 0, { T_SECRET, CHK_WORD, 93 } },
    { "AIza[0-9A-Za-z_\\-]{35}", 0, { T_SECRET, CHK_WORD, 39 } },
    { "xox[abposr]-[0-9A-Za-z]{8}", 0, { T_SECRET, CHK_TOKEN, 13 } },
    { "sk-[A-Za-z0-9_\\-]{20}", 0, { T_SECRET, CHK_TOKEN, 23 } },
    { "eyJ[A-Za-z0-9_\\-]{8}", 0, { T_SECRET, CHK_JWT, 11 } },
    { "-----BEGIN (?:[A-Z0-9]+ ){0,3}PRIVATE KEY-----", 0, { T_SECRET, CHK_PEM, 0 } },
    { "-----END (?:[A-Z0-9]+ ){0,3}PRIVATE KEY-----", 0, { TYPE_MARKER, CHK_MARK, 0 } },
};

size_t vt__audit_builtin(const audit_expr **out)
{
    *out = builtin;
    return sizeof(builtin) / sizeof(builtin[0]);
}


static bool vec_push(audit_vec *v, const audit_cand *c)
{
    if (v->len == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 64;
        audit_cand *p;
        if (cap > MAX_CANDS)
            return false;
        p = realloc(v->v, cap * sizeof(*p));
        if (p == NULL)
            return false;
        v->v = p;
        v->cap = cap;
    }
    v->v[v->len++] = *c;
    return true;
}

typedef struct scan_cb {
    vt_audit_ctx *x;
    audit_state *st;
    const uint8_t *b;
    size_t n, cnt_from, R;
    bool failed;
    const audit_norm *nm; /* b is folded text: map offsets back; NULL: b is the original */
} scan_cb;

/* Validates a match of det id over [s, e) and records it. */
static void found(scan_cb *cb, size_t id, size_t s, size_t e)
{
    const audit_det *d = &cb->st->db->dets[id];
    audit_cand c = { 0 };

    c.s = s;
    c.e = e;
    c.type = d->type;
    if (d->chk == CHK_PEM)
        c.flags = CF_PEM;
    if (!vt__audit_check(d, cb->b, cb->n, &c.s, &c.e, &c.flags))
        return;
    if (cb->nm != NULL) {
        c.s = vt__audit_norm_orig(cb->nm, c.s);
        c.e = vt__audit_norm_orig(cb->nm, c.e);
    }
    if (d->type == TYPE_MARKER) {
        if (!vec_push(&cb->x->marks, &c))
            cb->failed = true;
        return;
    }
    if (cb->x->c->a[cb->x->c->types[d->type].auditor].kind == A_POLICY) {
        /* Policy terms and patterns only count; they never edit text. */
        if (c.s >= cb->cnt_from && c.s < cb->R)
            cb->st->counts[d->type]++;
        return;
    }
    if (!vec_push(&cb->x->cands, &c))
        cb->failed = true;
}

static int on_match(unsigned int id, unsigned long long from, unsigned long long to, unsigned int flags, void *ctx)
{
    scan_cb *cb = ctx;
    const audit_db *db = cb->st->db;
    size_t e = (size_t)to;

    (void)flags;
    if (id >= db->det_len || to > cb->n)
        return 0;
    found(cb, id, db->dets[id].width ? e - db->dets[id].width : (size_t)from, e);
    return cb->failed ? 1 : 0;
}

/*
 * The hand scanner.  Every digit-led built-in ends in a digit and is
 * rejected by its validator when a digit follows, so its matches end where
 * a digit run ends; the phone '+' and IBAN prefixes begin right before a
 * digit run.  One pass finds the digit runs (and the colons, for IPv6), and
 * small parsers recover from each run end the leftmost start the regex
 * would have: the same candidates as the regexes, without a regex.
 */
/* NANP separators: ' ', '.', '-' and the pasted-text ones '/', tab, newline
 * (Unicode spaces arrive folded to ' '). */
static bool is_sep(uint8_t c) { return c == ' ' || c == '.' || c == '-' || c == '/' || c == '\t' || c == '\n'; }
static bool is_d29(uint8_t c) { return c >= '2' && c <= '9'; }
static bool is_updig(uint8_t c) { return is_digit(c) || (c >= 'A' && c <= 'Z'); }
static bool is_phone(uint8_t c) { return is_digit(c) || c == '(' || c == ')' || is_sep(c); }

/* b[e - k], or 0 before the buffer (0 is in no class). */
static uint8_t bk(const uint8_t *b, size_t e, size_t k) { return k <= e ? b[e - k] : 0; }

static bool digits_bk(const uint8_t *b, size_t e, size_t from, size_t to)
{
    for (size_t k = from; k <= to; k++)
        if (!is_digit(bk(b, e, k)))
            return false;
    return true;
}

/* [0-9](?:[ \-\t\n./]?[0-9]){12,18}: the leftmost start is as many digits
 * back (at most 19) as single separators allow. */
static void card_end(scan_cb *cb, size_t id, size_t e)
{
    const uint8_t *b = cb->b;
    size_t i = e - 1, d = 1;

    while (d < 19) {
        if (is_digit(bk(b, i, 1)))
            i -= 1;
        else if (is_card_sep(bk(b, i, 1)) && is_digit(bk(b, i, 2)))
            i -= 2;
        else
            break;
        d++;
    }
    if (d >= 13)
        found(cb, id, i, e);
}

/* [0-9]{3}-[0-9]{2}-[0-9]{4} and the same with spaces: fixed width 11. */
static void ssn_end(scan_cb *cb, size_t id, size_t e)
{
    const uint8_t *b = cb->b;
    uint8_t c = bk(b, e, 5);

    if ((c == '-' || c == ' ') && bk(b, e, 8) == c && digits_bk(b, e, 1, 4) && digits_bk(b, e, 6, 7) &&
        digits_bk(b, e, 9, 11))
        found(cb, id, e - 11, e);
}

/* \(?[2-9][0-9]{2}\)?S?[2-9][0-9]{2}S[0-9]{4}, S = [ .\-/\t\n]: the byte before the
 * exchange decides the gap ("", ")", sep, ")sep"), hence where the area
 * code starts; a '(' before it belongs to the leftmost match. */
static void nanp_end(scan_cb *cb, size_t id, size_t e)
{
    const uint8_t *b = cb->b;
    uint8_t c = bk(b, e, 9);
    size_t g, s;

    if (!is_sep(bk(b, e, 5)) || !digits_bk(b, e, 1, 4) || !is_d29(bk(b, e, 8)) || !digits_bk(b, e, 6, 7))
        return;
    if (is_digit(c))
        g = 11;
    else if (c == ')')
        g = 12;
    else if (is_sep(c))
        g = bk(b, e, 10) == ')' ? 13 : 12;
    else
        return;
    if (!is_d29(bk(b, e, g)) || !digits_bk(b, e, g - 2, g - 1))
        return;
    s = e - g;
    if (bk(b, e, g + 1) == '(')
        s--;
    found(cb, id, s, e);
}

/* [0-9]{1,3}(\.[0-9]{1,3}){3}: the last three octets are whole digit runs
 * after a dot; the first takes up to three digits. */
static void ipv4_end(scan_cb *cb, size_t id, size_t e)
{
    const uint8_t *b = cb->b;
    size_t i = e, k;

    for (int oct = 0; oct < 3; oct++) {
        for (k = 0; k < 4 && is_digit(bk(b, i, k + 1)); k++)
            ;
        if (k == 0 || k > 3 || bk(b, i, k + 1) != '.')
            return;
        i -= k + 1;
    }
    for (k = 0; k < 3 && is_digit(bk(b, i, k + 1)); k++)
        ;
    if (k > 0)
        found(cb, id, i - k, e);
}

/* \+[1-9][0-9 ().\-/\t\n]{6,20}[0-9] from the '+' at s: one match per end; no
 * earlier start reaches an end past s, since '+' is not in the class. */
static void phone_start(scan_cb *cb, size_t id, size_t s)
{
    const uint8_t *b = cb->b;
    size_t m = s + 2;

    while (m < cb->n && m < s + 23 && is_phone(b[m]))
        m++;
    for (size_t e = s + 9; e <= m; e++)
        if (is_digit(b[e - 1]) && !is_digit(at(b, cb->n, e)))
            found(cb, id, s, e);
}

/* Whether b[s, e) is a match of [A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]){11,30}. */
static bool iban_re(const uint8_t *b, size_t s, size_t e)
{
    size_t q = s + 4, items = 0;

    if (e < s + 15 || !is_upper(b[s]) || !is_upper(b[s + 1]) || !is_digit(b[s + 2]) || !is_digit(b[s + 3]))
        return false;
    while (q < e) {
        if (b[q] == ' ' && ++q == e)
            return false;
        if (!is_updig(b[q++]))
            return false;
        items++;
    }
    return items >= 11 && items <= 30;
}

/* The IBAN regex from s: every end it reaches, unless an earlier start
 * (at most 64 bytes back) also matches there and is the leftmost. */
static void iban_start(scan_cb *cb, size_t id, size_t s)
{
    const uint8_t *b = cb->b;
    size_t n = cb->n, q = s + 4, items = 0;

    while (items < 30) {
        size_t e, s2;
        if (q + 1 < n && b[q] == ' ' && is_updig(b[q + 1]))
            q += 2;
        else if (q < n && is_updig(b[q]))
            q++;
        else
            break;
        if (++items < 11)
            continue;
        e = q;
        for (s2 = e > 64 ? e - 64 : 0; s2 < s && !iban_re(b, s2, e); s2++)
            ;
        if (s2 == s)
            found(cb, id, s, e);
    }
}

/* Whether a match of [0-9A-Fa-f]:[0-9A-Fa-f]{0,4}: or ::[0-9A-Fa-f] has its
 * first colon at i. */
static bool ipv6_anchor(const uint8_t *b, size_t n, size_t i)
{
    size_t m = i + 1;

    if (at(b, n, m) == ':' && is_hex(at(b, n, m + 1)))
        return true;
    if (!is_hex(before(b, i)))
        return false;
    while (m - i - 1 < 4 && is_hex(at(b, n, m)))
        m++;
    return at(b, n, m) == ':';
}

/* Both anchors consist of IPv6 characters, so each lies in one run of
 * them, and the validator's extent depends on that run only, not on which
 * anchor matched or where: one candidate per run holding an anchor stands
 * for all of its matches.  Returns the run's end. */
static size_t ipv6_colon(scan_cb *cb, size_t id, size_t i)
{
    const uint8_t *b = cb->b;
    size_t n = cb->n, a = i, z = i;

    while (a > 0 && is_v6(b[a - 1]))
        a--;
    while (z < n && is_v6(b[z]))
        z++;
    if (z - a <= 45)
        found(cb, id, a, z);
    return z;
}

/* Per 64 bytes, bit k set when byte k is of the class; lead: '+' or a
 * capital (what may come right before a phone's or an IBAN's digits). */
typedef struct hand_masks {
    uint64_t digit, colon, sep, dot, lead;
} hand_masks;

#if defined(__x86_64__) && defined(__GNUC__)
#define VT_HAND_AVX2 1
/* The same classes 32 bytes at a time where the CPU has AVX2. */
__attribute__((target("avx2"))) static inline void hand_classify_avx2(const uint8_t *w, hand_masks *m)
{
    hand_masks r = { 0 };

    for (unsigned k = 0; k < 64; k += 32) {
        const __m256i v = _mm256_loadu_si256((const __m256i *)(const void *)(w + k));
        const __m256i dg = _mm256_cmpgt_epi8(_mm256_set1_epi8((char)(10 - 0x80)),
                                             _mm256_add_epi8(v, _mm256_set1_epi8((char)(0x80 - '0'))));
        const __m256i up = _mm256_cmpgt_epi8(_mm256_set1_epi8((char)(26 - 0x80)),
                                             _mm256_add_epi8(v, _mm256_set1_epi8((char)(0x80 - 'A'))));
        const __m256i dot = _mm256_cmpeq_epi8(v, _mm256_set1_epi8('.'));
        const __m256i sep = _mm256_or_si256(
            _mm256_or_si256(_mm256_or_si256(_mm256_cmpeq_epi8(v, _mm256_set1_epi8(' ')),
                                            _mm256_cmpeq_epi8(v, _mm256_set1_epi8('-'))),
                            _mm256_or_si256(_mm256_cmpeq_epi8(v, _mm256_set1_epi8('/')),
                                            /* tab, newline */
                                            _mm256_cmpgt_epi8(_mm256_set1_epi8((char)(2 - 0x80)),
                                                              _mm256_add_epi8(v, _mm256_set1_epi8((char)(0x80 - '\t')))))),
            dot);
        const __m256i lead = _mm256_or_si256(up, _mm256_cmpeq_epi8(v, _mm256_set1_epi8('+')));
        r.digit |= (uint64_t)(uint32_t)_mm256_movemask_epi8(dg) << k;
        r.colon |= (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(v, _mm256_set1_epi8(':'))) << k;
        r.sep |= (uint64_t)(uint32_t)_mm256_movemask_epi8(sep) << k;
        r.dot |= (uint64_t)(uint32_t)_mm256_movemask_epi8(dot) << k;
        r.lead |= (uint64_t)(uint32_t)_mm256_movemask_epi8(lead) << k;
    }
    *m = r;
}
#endif

#if defined(__SSE2__)
/* x in [lo, lo + cnt), bytewise */
static inline __m128i in_range(__m128i x, int lo, int cnt)
{
    return _mm_cmplt_epi8(_mm_add_epi8(x, _mm_set1_epi8((char)(0x80 - lo))), _mm_set1_epi8((char)(cnt - 0x80)));
}

static inline uint64_t bits16(__m128i x, unsigned k) { return (uint64_t)(unsigned)_mm_movemask_epi8(x) << k; }

static inline void classify16(const uint8_t *w, unsigned k, hand_masks *m)
{
    const __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(w + k));
    const __m128i dot = _mm_cmpeq_epi8(v, _mm_set1_epi8('.'));

    m->digit |= bits16(in_range(v, '0', 10), k);
    m->colon |= bits16(_mm_cmpeq_epi8(v, _mm_set1_epi8(':')), k);
    m->dot |= bits16(dot, k);
    m->sep |= bits16(_mm_or_si128(_mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8(' ')),
                                                            _mm_cmpeq_epi8(v, _mm_set1_epi8('-'))),
                                               _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('/')), in_range(v, '\t', 2))),
                                  dot),
                     k);
    m->lead |= bits16(_mm_or_si128(in_range(v, 'A', 26), _mm_cmpeq_epi8(v, _mm_set1_epi8('+'))), k);
}
#endif

static void hand_classify(const uint8_t *w, hand_masks *m)
{
    hand_masks r = { 0 };

#if defined(__SSE2__)
    classify16(w, 0, &r);
    classify16(w, 16, &r);
    classify16(w, 32, &r);
    classify16(w, 48, &r);
#else
    for (unsigned k = 0; k < 64; k++) {
        r.digit |= (uint64_t)is_digit(w[k]) << k;
        r.colon |= (uint64_t)(w[k] == ':') << k;
        r.sep |= (uint64_t)is_sep(w[k]) << k;
        r.dot |= (uint64_t)(w[k] == '.') << k;
        r.lead |= (uint64_t)(is_upper(w[k]) || w[k] == '+') << k;
    }
#endif
    *m = r;
}

/* x << k with the top k bits of the previous window's px shifted in. */
#define SH(x, px, k) (((x) << (k)) | ((px) >> (64 - (k))))

/*
 * One pass over the text in 64-byte windows; shifted masks carry in the
 * previous window's bits (bytes before the text are 0, in no class).
 * Bitwise, necessary (not sufficient) conditions pick the few digit runs
 * worth parsing; the parsers then check everything.
 *   card end:  no two adjacent non-digits in the 12 bytes before the end
 *              (13 digits with single separators cover them);
 *   SSN/NANP:  four digits after a separator after two digits;
 *   IPv4 end:  the dotted-quad regex itself, bitwise;
 *   '+' phone / IBAN start: '+' or a capital right before the run;
 *   IPv6:      a colon with another one at most five bytes on (the last
 *              five of a window cannot see that far and are kept).
 */
static inline __attribute__((always_inline)) void scan_hand_body(scan_cb *cb, bool avx2)
{
    const uint8_t *b = cb->b;
    const uint16_t *h = cb->st->db->hand;
    size_t n = cb->n, v6_done = 0;
    uint8_t pad[64];
    hand_masks m;
    uint64_t pd = 0, psep = 0, pdot = 0, plead = 0, ppairs = ~(uint64_t)0, pq1 = ~(uint64_t)0, pq2 = ~(uint64_t)0,
             pq4 = ~(uint64_t)0, pv0 = 0, pv1 = 0, pv2 = 0;

    for (size_t p = 0; p <= n && !cb->failed; p += 64) {
        const uint8_t *w = pad;
        uint64_t d, nd, d1, d2, d3, ends, starts, pairs, q1, q2, q4, q, sn, ip, card, want_s, want_e, colons, r1, r2,
            r3, v0, v1, v2, v3, dt;

        if (n - p >= 64) {
            w = b + p;
        } else {
            memset(pad, 0, sizeof(pad));
            memcpy(pad, b + p, n - p);
        }
#ifdef VT_HAND_AVX2
        if (avx2)
            hand_classify_avx2(w, &m);
        else
#endif
            hand_classify(w, &m);
        d = m.digit;
        if ((d | m.colon | (pd >> 63)) == 0) {
            /* most windows of prose: no run starts or ends here */
            pd = pv0 = pv1 = pv2 = 0;
            ppairs = pq1 = pq2 = pq4 = ~(uint64_t)0;
            psep = m.sep;
            pdot = m.dot;
            plead = m.lead;
            continue;
        }
        nd = ~d;
        d1 = SH(d, pd, 1);
        d2 = SH(d, pd, 2);
        d3 = SH(d, pd, 3);
        ends = nd & d1;
        starts = d & ~d1;
        pairs = nd & SH(nd, ~pd, 1);
        /* pairs shifted by 1..12: a pair of non-digits in [e - 12, e - 1] */
        q1 = SH(pairs, ppairs, 1);
        q2 = q1 | SH(q1, pq1, 1);
        q4 = q2 | SH(q2, pq2, 2);
        q = q4 | SH(q4, pq4, 4) | SH(q4, pq4, 8);
        card = h[CHK_CARD] ? ends & ~q : 0;
        sn = ends & d1 & d2 & d3 & SH(d, pd, 4) & SH(m.sep, psep, 5) & SH(d, pd, 6) & SH(d, pd, 7);
        sn = h[CHK_SSN] || h[CHK_PHONE_NANP] ? sn : 0;
        /* r1..r3: one to three digits after a dot end here; v3: the dotted
         * quad regex matches ending here */
        dt = m.dot;
        r1 = d1 & SH(dt, pdot, 2);
        r2 = d1 & d2 & SH(dt, pdot, 3);
        r3 = d1 & d2 & d3 & SH(dt, pdot, 4);
        v0 = d1;
        v1 = (r1 & SH(v0, pv0, 2)) | (r2 & SH(v0, pv0, 3)) | (r3 & SH(v0, pv0, 4));
        v2 = (r1 & SH(v1, pv1, 2)) | (r2 & SH(v1, pv1, 3)) | (r3 & SH(v1, pv1, 4));
        v3 = (r1 & SH(v2, pv2, 2)) | (r2 & SH(v2, pv2, 3)) | (r3 & SH(v2, pv2, 4));
        ip = h[CHK_IPV4] ? ends & v3 : 0;
        want_s = h[CHK_PHONE_INTL] || h[CHK_IBAN] ? starts & SH(m.lead, plead, 1) : 0;
        colons = m.colon & ((m.colon >> 1) | (m.colon >> 2) | (m.colon >> 3) | (m.colon >> 4) | (m.colon >> 5) |
                            ((uint64_t)0x1f << 59));
        colons = h[CHK_IPV6] ? colons : 0;
        want_e = card | sn | ip;
        pd = d;
        psep = m.sep;
        pdot = dt;
        plead = m.lead;
        ppairs = pairs;
        pq1 = q1;
        pq2 = q2;
        pq4 = q4;
        pv0 = v0;
        pv1 = v1;
        pv2 = v2;
        for (uint64_t all = want_e | want_s | colons; all != 0 && !cb->failed; all &= all - 1) {
            unsigned k = (unsigned)__builtin_ctzll(all);
            uint64_t bit = (uint64_t)1 << k;
            size_t i = p + k;
            if (i > n)
                break;
            /* a colon may also end a digit run: no continue */
            if ((colons & bit) && i >= v6_done && ipv6_anchor(b, n, i))
                v6_done = ipv6_colon(cb, h[CHK_IPV6] - 1u, i);
            if (want_s & bit) {
                if (h[CHK_PHONE_INTL] && b[i - 1] == '+' && b[i] != '0')
                    phone_start(cb, h[CHK_PHONE_INTL] - 1u, i - 1);
                else if (h[CHK_IBAN] && is_upper(b[i - 1]) && is_upper(bk(b, i, 2)) && is_digit(at(b, n, i + 1)))
                    iban_start(cb, h[CHK_IBAN] - 1u, i - 2);
                continue;
            }
            if (card & bit)
                card_end(cb, h[CHK_CARD] - 1u, i);
            if (sn & bit) {
                if (h[CHK_SSN])
                    ssn_end(cb, h[CHK_SSN] - 1u, i);
                if (h[CHK_PHONE_NANP])
                    nanp_end(cb, h[CHK_PHONE_NANP] - 1u, i);
            }
            if (ip & bit)
                ipv4_end(cb, h[CHK_IPV4] - 1u, i);
        }
    }
}
#undef SH

/* The scan compiled twice, so that the AVX2 classes inline into it. */
#ifdef VT_HAND_AVX2
__attribute__((target("avx2"))) static void scan_hand_avx2(scan_cb *cb) { scan_hand_body(cb, true); }
#endif
static void scan_hand_generic(scan_cb *cb) { scan_hand_body(cb, false); }

static void scan_hand(scan_cb *cb)
{
#ifdef VT_HAND_AVX2
    if (__builtin_cpu_supports("avx2")) {
        scan_hand_avx2(cb);
        return;
    }
#endif
    scan_hand_generic(cb);
}

static int cand_cmp(const void *pa, const void *pb)
{
    const audit_cand *a = pa, *b = pb;

    if (a->s != b->s)
        return a->s < b->s ? -1 : 1;
    if (a->e != b->e)
        return a->e > b->e ? -1 : 1;
    return (int)a->type - (int)b->type;
}

static vt_status placeholder(vt_buf *out, const audit_type *t, uint32_t k, vt_err *err)
{
    char ph[VT_AUDIT_NAME_MAX + 16];
    int m = snprintf(ph, sizeof(ph), "[%s_%u]", t->tag, k);

    return vt_buf_append(out, ph, (size_t)m, err);
}

vt_status vt__audit_run(vt_audit_ctx *x, audit_state *st, const uint8_t *buf, size_t n, size_t rel, size_t cnt_from,
                        bool final, vt_buf *out, size_t *rel_out, vt_err *err)
{
    const vt_audit_chain *c = x->c;
    size_t R = final ? n : (n > H + 1 ? n - H - 1 : 0), pos, gi = 0, mi = 0;
    scan_cb cb = { x, st, buf, n, cnt_from, R, false, NULL };
    audit_vec *g = &x->groups;
    vt_status rc;

    *rel_out = rel;
    if (R <= rel && !final)
        return VT_OK;
    x->cands.len = x->marks.len = g->len = 0;
    if ((st->db->db != NULL || st->db->hand_any) && n > 0) {
        /* Look-alikes fold to ASCII first; candidates come back in
         * original offsets, so all below works on the original text. */
        rc = vt__audit_norm(&x->norm, buf, n, err);
        if (rc != VT_OK)
            return rc;
        if (x->norm.folded) {
            cb.b = x->norm.text.data;
            cb.n = x->norm.text.len;
            cb.nm = &x->norm;
        }
    }
    if (st->db->db != NULL && cb.n > 0) {
        hs_error_t he = hs_scan(st->db->db, (const char *)cb.b, (unsigned)cb.n, 0, x->scratch, on_match, &cb);
        if (cb.failed)
            return vt_err_set(err, VT_E_LIMIT, "audit: too many candidate matches in %zu bytes", n);
        if (he != HS_SUCCESS)
            return vt_err_set(err, VT_E_INTERNAL, "audit: hs_scan failed (%d)", he);
    }
    if (st->db->hand_any && cb.n > 0) {
        scan_hand(&cb);
        if (cb.failed)
            return vt_err_set(err, VT_E_LIMIT, "audit: too many candidate matches in %zu bytes", n);
    }
    if (x->cands.len > 1)
        qsort(x->cands.v, x->cands.len, sizeof(audit_cand), cand_cmp);
    if (x->marks.len > 1)
        qsort(x->marks.v, x->marks.len, sizeof(audit_cand), cand_cmp);

    /* Overlapping candidates merge into one group; the group takes the
     * strongest action and, among equals, the first (leftmost, longest) type. */
    for (size_t i = 0; i < x->cands.len; i++) {
        audit_cand k = x->cands.v[i];
        uint8_t act = c->types[k.type].action;
        if (k.e <= rel)
            continue;
        if (k.s < rel)
            k.s = rel; /* began in text already released: redact the rest */
        if (k.s >= R)
            break;
        if (g->len > 0 && k.s < g->v[g->len - 1].e) {
            audit_cand *last = &g->v[g->len - 1];
            if (act > c->types[last->type].action)
                last->type = k.type;
            if (k.e > last->e) {
                last->e = k.e;
                last->flags = (uint8_t)((last->flags & CF_PEM) | k.flags);
            } else {
                last->flags |= (uint8_t)(k.flags & CF_PEM);
            }
            continue;
        }
        if (!vec_push(g, &k))
            return vt_err_set(err, VT_E_NOMEM, "audit: out of memory");
    }

    /* A partial release ends at a character boundary: each released piece
     * becomes a JSON string of its own, which must be valid UTF-8.  At most
     * three bytes back (stray continuation bytes do not hold more).  Policy
     * hits are still counted up to the unmoved R (cb.R), where the next
     * scan's counting begins. */
    for (int k = 0; k < 3 && !final && R > rel && (buf[R] & 0xc0) == 0x80; k++)
        R--;
    pos = rel;
    while (pos < R) {
        size_t next;
        if (st->sw == SW_PEM) {
            while (mi < x->marks.len && x->marks.v[mi].s < pos)
                mi++;
            if (mi < x->marks.len && x->marks.v[mi].s < R) {
                pos = x->marks.v[mi].e;
                st->sw = SW_NONE;
            } else {
                pos = R;
            }
            st->changed = true;
            continue;
        }
        if (st->sw == SW_TOKEN) {
            while (pos < R && is_jwt(buf[pos])) {
                pos++;
                st->changed = true;
            }
            if (pos < R)
                st->sw = SW_NONE;
            continue;
        }
        while (gi < g->len && g->v[gi].e <= pos)
            gi++;
        next = gi < g->len ? (g->v[gi].s > pos ? g->v[gi].s : pos) : R;
        if (next > R)
            next = R;
        rc = vt_buf_append(out, buf + pos, next - pos, err);
        if (rc != VT_OK)
            return rc;
        pos = next;
        if (gi < g->len && g->v[gi].s <= pos && pos < R) {
            const audit_cand *k = &g->v[gi++];
            const audit_type *t = &c->types[k->type];
            st->counts[k->type]++;
            if (t->action >= ACT_REDACT) {
                rc = placeholder(out, t, ++st->ph_next[k->type], err);
                if (rc != VT_OK)
                    return rc;
                st->changed = true;
                if (k->flags & CF_PEM)
                    st->sw = SW_PEM;
                else if (k->flags & CF_CONT)
                    st->sw = SW_TOKEN;
            } else {
                rc = vt_buf_append(out, buf + pos, k->e - pos, err);
                if (rc != VT_OK)
                    return rc;
            }
            pos = k->e;
        }
    }
    *rel_out = pos;
    return VT_OK;
}

vt_status vt__audit_compile(audit_db *db, const audit_expr *ex, size_t n, vt_err *err)
{
    const char **res = NULL;
    unsigned *flags = NULL, *ids = NULL, m = 0;
    hs_compile_error_t *ce = NULL;
    vt_status rc = VT_E_INTERNAL;

    memset(db, 0, sizeof(*db));
    if (n == 0)
        return VT_OK;
    res = calloc(n, sizeof(*res));
    flags = calloc(n, sizeof(*flags));
    ids = calloc(n, sizeof(*ids));
    db->dets = calloc(n, sizeof(*db->dets));
    if (res == NULL || flags == NULL || ids == NULL || db->dets == NULL) {
        rc = vt_err_set(err, VT_E_NOMEM, "audit: out of memory");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        db->dets[i] = ex[i].det;
        if (ex[i].re == NULL) {
            /* found by the hand scanner, which knows one det per validator */
            if (ex[i].det.chk >= CHK_COUNT || db->hand[ex[i].det.chk] != 0) {
                rc = vt_err_set(err, VT_E_INTERNAL, "audit: built-in detector %zu listed twice", i);
                goto out;
            }
            db->hand[ex[i].det.chk] = (uint16_t)(i + 1);
            db->hand_any = true;
            continue;
        }
        res[m] = ex[i].re;
        flags[m] = ex[i].flags;
        ids[m++] = (unsigned)i;
    }
    db->det_len = n;
    if (m > 0 && hs_compile_multi(res, flags, ids, m, HS_MODE_BLOCK, NULL, &db->db, &ce) != HS_SUCCESS) {
        rc = vt_err_set(err, VT_E_FORMAT, "audit: pattern '%.60s' does not compile: %s",
                        ce != NULL && ce->expression >= 0 ? res[ce->expression] : "?",
                        ce != NULL ? ce->message : "unknown error");
        hs_free_compile_error(ce);
        goto out;
    }
    rc = VT_OK;
out:
    free(res);
    free(flags);
    free(ids);
    if (rc != VT_OK)
        vt__audit_db_free(db);
    return rc;
}

void vt__audit_db_free(audit_db *db)
{
    hs_free_database(db->db);
    free(db->dets);
    memset(db, 0, sizeof(*db));
}

/* FNV-1a: a slot for a short string; equality is still checked byte for byte. */
static size_t clean_slot(const uint8_t *s, size_t n)
{
    uint32_t h = 2166136261u;

    for (size_t i = 0; i < n; i++)
        h = (h ^ s[i]) * 16777619u;
    return (h ^ h >> 16) % AUDIT_CLEAN_SLOTS;
}

vt_status vt__audit_scan_text(vt_audit_ctx *x, audit_state *st, const uint8_t *s, size_t n, vt_err *err)
{
    uint32_t counts[AUDIT_MAX_TYPES];
    audit_clean *slot = NULL;
    size_t rel;
    vt_status rc;

    x->red.len = 0;
    st->changed = false;
    st->sw = SW_NONE;
    if (n <= AUDIT_CLEAN_MAX) {
        slot = &x->clean[clean_slot(s, n)];
        if (slot->db == st->db && slot->len == n && memcmp(slot->b, s, n) == 0)
            return VT_OK;
        memcpy(counts, st->counts, sizeof(counts));
    }
    rc = vt__audit_run(x, st, s, n, 0, 0, true, &x->red, &rel, err);
    st->sw = SW_NONE;
    /* Clean: nothing redacted and nothing counted (an annotation or a policy hit counts). */
    if (rc == VT_OK && slot != NULL && !st->changed && memcmp(counts, st->counts, sizeof(counts)) == 0) {
        slot->db = st->db;
        slot->len = (uint8_t)n;
        memcpy(slot->b, s, n);
    }
    return rc;
}

vt_status vt__audit_count_found(vt_audit_ctx *x, const audit_state *like, const uint8_t *p, size_t n,
                                uint32_t *found, vt_err *err)
{
    audit_state st;
    vt_status rc;

    memset(&st, 0, sizeof(st));
    st.db = like->db;
    st.phase = like->phase;
    rc = vt__audit_scan_text(x, &st, n > 0 ? p : (const uint8_t *)"", n, err);
    *found = 0;
    for (size_t t = 0; t < AUDIT_MAX_TYPES; t++)
        *found += st.counts[t];
    return rc;
}
