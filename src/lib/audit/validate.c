/* The validators of the built-in PII types: each confirms a candidate
 * (checksums, ranges, edges) and fixes its extent.  They run on the text
 * the scanner matched (folded by normalise.c when it held look-alikes), so
 * they deal in ASCII only. */
#include <arpa/inet.h>
#include <string.h>

#include "audit/validate.h"

#define H VT_AUDIT_HOLDBACK

static bool chk_email(const uint8_t *b, size_t n, size_t *s, size_t *e)
{
    size_t a = *e - 2, i = a, j = a + 1, lab = 0, labs = 0, last = a + 1;

    while (i > 0 && a - i < 64 && is_local(b[i - 1]))
        i--;
    while (i < a && b[i] == '.')
        i++;
    if (i == a)
        return false;
    while (j < n && j - (a + 1) < 190 && is_dom(b[j]))
        j++;
    while (j > a + 1 && (b[j - 1] == '.' || b[j - 1] == '-'))
        j--;
    /* Labels: none empty, none starting or ending with '-', the last alphabetic. */
    for (size_t k = a + 1; k <= j; k++) {
        if (k == j || b[k] == '.') {
            if (lab == 0 || b[k - lab] == '-' || b[k - 1] == '-')
                return false;
            labs++;
            last = k - lab;
            lab = 0;
        } else {
            lab++;
        }
    }
    if (labs < 2 || j - last < 2)
        return false;
    for (size_t k = last; k < j; k++)
        if (!is_alpha(b[k]))
            return false;
    *s = i;
    *e = j;
    return true;
}

static size_t count_digits(const uint8_t *b, size_t s, size_t e)
{
    size_t d = 0;
    for (size_t i = s; i < e; i++)
        d += is_digit(b[i]);
    return d;
}

/* A tab, newline or '/' may stand inside a '+' number ("+44 20<LF>7946 0958",
 * "+49 89/1234567", "+44<TAB>20<TAB>7946<TAB>0958") where the digits before
 * it are not yet a number (fewer than 8), or where it is the one separator
 * the number uses: otherwise a number on the next line or in the next
 * field would be taken into the phone's span. */
static bool chk_phone_intl(const uint8_t *b, size_t n, size_t s, size_t e)
{
    size_t d = count_digits(b, s, e);
    uint8_t sep = 0;
    bool mixed = false;
    int open = 0;

    if (is_alnum(before(b, s)) || is_digit(at(b, n, e)))
        return false;
    for (size_t i = s + 1; i < e; i++) {
        if (b[i] == '(')
            open++;
        else if (b[i] == ')' && --open < 0)
            return false;
        if (is_digit(b[i]))
            continue;
        if ((b[i] == '\t' || b[i] == '\n' || b[i] == '/') && (mixed || (sep != 0 && sep != b[i])) &&
            count_digits(b, s, i) >= 8)
            return false;
        mixed |= sep != 0 && sep != b[i];
        sep = b[i];
    }
    return open == 0 && d >= 8 && d <= 15;
}

static bool chk_phone_nanp(const uint8_t *b, size_t n, size_t s, size_t e)
{
    size_t d = count_digits(b, s, e);
    bool open = b[s] == '(', close = false;

    for (size_t i = s; i < e; i++)
        close |= b[i] == ')';
    if (open != close)
        return false;
    if (is_alnum(before(b, s)) || before(b, s) == '+' || before(b, s) == '-' || before(b, s) == '.')
        return false;
    if (is_alnum(at(b, n, e)) || (at(b, n, e) == '-' && is_digit(at(b, n, e + 1))))
        return false;
    return d == 10;
}

static bool luhn(const uint8_t *b, size_t s, size_t e)
{
    unsigned sum = 0, k = 0;
    bool nonzero = false;

    for (size_t i = e; i > s; i--) {
        unsigned v;
        if (!is_digit(b[i - 1]))
            continue;
        v = b[i - 1] - '0';
        nonzero |= v != 0;
        if (k++ & 1) {
            v *= 2;
            if (v > 9)
                v -= 9;
        }
        sum += v;
    }
    return nonzero && sum % 10 == 0;
}

/* Spaces and dashes may stand anywhere between a card's digits, as they
 * always did.  A card that also uses a tab, newline, '.' or '/' must use
 * that one separator throughout, between groups of 4 then 3 to 6 digits
 * (4-4-4-4, 4-6-5, 4-4-4-4-3): so a date, a version, a decimal or a number
 * with thousands separators is never a card. */
static bool card_groups(const uint8_t *b, size_t s, size_t e)
{
    uint8_t sep = 0;
    size_t g = 0, groups = 0;
    bool weak = false, same = true, sized = true;

    for (size_t i = s; i < e; i++) {
        if (is_digit(b[i])) {
            g++;
            continue;
        }
        weak |= b[i] != ' ' && b[i] != '-';
        same &= sep == 0 || b[i] == sep;
        sep = b[i];
        sized &= groups++ == 0 ? g == 4 : g >= 3 && g <= 6;
        g = 0;
    }
    return !weak || (same && sized && g >= 3 && g <= 6);
}

/* Hyperscan reports the leftmost start for each end; a card preceded by
 * another short number ("ref 12 4111 1111 ...") is found by retrying from
 * each later digit group. */
static bool chk_card(const uint8_t *b, size_t n, size_t *s, size_t e)
{
    size_t st = *s;
    bool glued = is_digit(before(b, st)) || is_alpha(before(b, st)), weak = false;

    if (is_digit(at(b, n, e)) || is_alpha(at(b, n, e)))
        return false;
    /* A start glued to a letter or digit rejects the whole run, unless the
     * run reached past a tab, newline, '.' or '/': those used to end it, so
     * the groups after them are still tried. */
    for (size_t i = st; i < e && glued; i++)
        weak |= !is_digit(b[i]) && b[i] != ' ' && b[i] != '-';
    if (glued && !weak)
        return false;
    for (;;) {
        size_t d = count_digits(b, st, e);
        if (d < 13)
            return false;
        if (!glued && d <= 19 && luhn(b, st, e) && card_groups(b, st, e)) {
            *s = st;
            return true;
        }
        glued = false;
        while (st < e && is_digit(b[st]))
            st++;
        while (st < e && !is_digit(b[st]))
            st++;
    }
}

static unsigned num(const uint8_t *p, size_t k)
{
    unsigned v = 0;
    for (size_t i = 0; i < k; i++)
        v = v * 10 + (unsigned)(p[i] - '0');
    return v;
}

static bool chk_ssn(const uint8_t *b, size_t n, size_t s, size_t e)
{
    unsigned area = num(b + s, 3), grp = num(b + s + 4, 2), ser = num(b + s + 7, 4);
    uint8_t p = before(b, s), q = at(b, n, e);

    if (is_alnum(p) || p == '-' || is_alnum(q) || ((q == '-' || q == ' ') && is_digit(at(b, n, e + 1))))
        return false;
    return area != 0 && area != 666 && area < 900 && grp != 0 && ser != 0;
}

static bool chk_iban(const uint8_t *b, size_t n, size_t s, size_t e)
{
    uint8_t v[40];
    size_t k = 0;
    unsigned rem = 0;

    if (is_alnum(before(b, s)) || is_alnum(at(b, n, e)))
        return false;
    for (size_t i = s; i < e; i++) {
        if (b[i] == ' ')
            continue;
        if (k == sizeof(v))
            return false;
        v[k++] = b[i];
    }
    if (k < 15 || k > 34)
        return false;
    /* ISO 13616: move the first four characters to the end, letters count
     * as 10..35, and the number is 1 mod 97. */
    for (size_t i = 0; i < k; i++) {
        uint8_t c = v[(i + 4) % k];
        if (is_digit(c))
            rem = (rem * 10 + (unsigned)(c - '0')) % 97;
        else
            rem = (rem * 100 + (unsigned)(c - 'A' + 10)) % 97;
    }
    return rem == 1;
}

static bool chk_ipv4(const uint8_t *b, size_t n, size_t s, size_t e)
{
    uint8_t p = before(b, s), q = at(b, n, e);
    size_t i = s;

    if (is_alnum(p) || p == '.' || is_alnum(q) || (q == '.' && is_digit(at(b, n, e + 1))))
        return false;
    for (int oct = 0; oct < 4; oct++) {
        size_t st = i;
        unsigned v = 0;
        while (i < e && is_digit(b[i]))
            v = v * 10 + (unsigned)(b[i++] - '0');
        if (i - st == 0 || i - st > 3 || v > 255 || (i - st > 1 && b[st] == '0'))
            return false;
        i++; /* the dot */
    }
    return true;
}

/* [*s, *e) is a whole run of IPv6 characters (at most 45) that holds one
 * of the two anchors; trims it to the address and parses that. */
static bool chk_ipv6(const uint8_t *b, size_t n, size_t *s, size_t *e)
{
    size_t a = *s, z = *e, colons = 0, hex = 0;
    char tmp[48];
    struct in6_addr addr;

    if (z - a > 45)
        return false;
    if (b[a] == '.' || (b[a] == ':' && at(b, n, a + 1) != ':'))
        a++;
    while (z > a && b[z - 1] == '.')
        z--;
    if (z - a >= 2 && b[z - 1] == ':' && b[z - 2] != ':')
        z--;
    if (z <= a || is_alnum(before(b, a)) || before(b, a) == '_' || is_alnum(at(b, n, z)) || at(b, n, z) == '_')
        return false;
    for (size_t i = a; i < z; i++) {
        colons += b[i] == ':';
        hex += is_hex(b[i]);
    }
    if (colons < 2 || hex < 4)
        return false;
    memcpy(tmp, b + a, z - a);
    tmp[z - a] = '\0';
    if (inet_pton(AF_INET6, tmp, &addr) != 1)
        return false;
    *s = a;
    *e = z;
    return true;
}

/* A private-key line "-----BEGIN (?:[A-Z0-9]+ ){0,3}PRIVATE KEY-----" (or
 * END) ends at e: its start is where the literal lead-in ends after zero
 * to three words, walking back.  The words cannot hold '-', so only one
 * lead-in can be reached and it is the leftmost start. */
static bool pem_start(const uint8_t *b, size_t e, const char *lead, size_t *s)
{
    size_t ll = strlen(lead), w = e - 16;

    for (int words = 0; words <= 3; words++) {
        size_t v;
        if (w >= ll && memcmp(b + w - ll, lead, ll) == 0) {
            *s = w - ll;
            return true;
        }
        if (w < 2 || b[w - 1] != ' ')
            return false;
        v = w - 1;
        while (v > 0 && (is_digit(b[v - 1]) || (b[v - 1] >= 'A' && b[v - 1] <= 'Z')))
            v--;
        if (v == w - 1)
            return false;
        w = v;
    }
    return false;
}

/* A token that may run on: extend over its class up to the longest match;
 * if it goes on beyond that, the release step swallows the rest. */
static bool chk_token(const uint8_t *b, size_t n, size_t s, size_t *e, bool (*cls)(uint8_t), size_t min,
                      uint8_t *flags)
{
    size_t z = *e;

    if (cls(before(b, s)))
        return false;
    while (z < n && z - s < H && cls(b[z]))
        z++;
    if (z - s < min)
        return false;
    if (z < n && cls(b[z]))
        *flags |= CF_CONT;
    *e = z;
    return true;
}

static bool chk_jwt(const uint8_t *b, size_t n, size_t s, size_t *e, uint8_t *flags)
{
    size_t dots = 0, seg = 0;

    if (!chk_token(b, n, s, e, is_jwt, 20, flags))
        return false;
    for (size_t i = s; i < *e; i++) {
        if (b[i] == '.') {
            if (dots < 2 && seg < 4)
                return false;
            dots++;
            seg = 0;
        } else {
            seg++;
        }
    }
    return dots >= 2;
}

bool vt__audit_check(const audit_det *d, const uint8_t *b, size_t n, size_t *s, size_t *e, uint8_t *flags)
{
    switch ((audit_chk)d->chk) {
    case CHK_NONE:
        return true;
    case CHK_PEM:
        return *e >= 16 && pem_start(b, *e, "-----BEGIN ", s);
    case CHK_MARK:
        return *e >= 16 && pem_start(b, *e, "-----END ", s);
    case CHK_EMAIL:
        return chk_email(b, n, s, e);
    case CHK_PHONE_INTL:
        return chk_phone_intl(b, n, *s, *e);
    case CHK_PHONE_NANP:
        return chk_phone_nanp(b, n, *s, *e);
    case CHK_CARD:
        return chk_card(b, n, s, *e);
    case CHK_SSN:
        return chk_ssn(b, n, *s, *e);
    case CHK_IBAN:
        return chk_iban(b, n, *s, *e);
    case CHK_IPV4:
        return chk_ipv4(b, n, *s, *e);
    case CHK_IPV6:
        return chk_ipv6(b, n, s, e);
    case CHK_WORD:
        return !is_alnum(before(b, *s)) && !is_alnum(at(b, n, *e)) && before(b, *s) != '_' && at(b, n, *e) != '_';
    case CHK_TOKEN:
        return chk_token(b, n, *s, e, is_tok, 20, flags);
    case CHK_JWT:
        return chk_jwt(b, n, *s, e, flags);
    case CHK_COUNT:
        break;
    }
    return false;
}
