/* Internal: the validators of the built-in PII types (validate.c) and the
 * ASCII character classes they share with the scanner (scan.c).  The
 * validators see text already folded by normalise.c, so ASCII classes are
 * all they need. */
#ifndef VT_AUDIT_VALIDATE_H
#define VT_AUDIT_VALIDATE_H

#include "audit/audit_int.h"

/* ---- character classes (ASCII only: locale-independent) ---- */
static inline bool is_digit(uint8_t c) { return c >= '0' && c <= '9'; }
static inline bool is_alpha(uint8_t c) { return (c | 0x20) >= 'a' && (c | 0x20) <= 'z'; }
static inline bool is_alnum(uint8_t c) { return is_digit(c) || is_alpha(c); }
static inline bool is_upper(uint8_t c) { return c >= 'A' && c <= 'Z'; }
static inline bool is_hex(uint8_t c) { return is_digit(c) || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f'); }
static inline bool is_local(uint8_t c) { return is_alnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-'; }
static inline bool is_dom(uint8_t c) { return is_alnum(c) || c == '.' || c == '-'; }
static inline bool is_tok(uint8_t c) { return is_alnum(c) || c == '_' || c == '-'; }
static inline bool is_jwt(uint8_t c) { return is_tok(c) || c == '.'; }
static inline bool is_v6(uint8_t c) { return is_hex(c) || c == ':' || c == '.'; }
/* What may stand between two digits of a card: ' ' and '-' anywhere; tab,
 * newline, '.' and '/' only as the card's one separator between groups
 * (validate.c's card_groups).  Unicode spaces arrive folded to ' '. */
static inline bool is_card_sep(uint8_t c)
{
    return c == ' ' || c == '-' || c == '\t' || c == '\n' || c == '.' || c == '/';
}

/* Byte at i, or 0 outside the buffer (0 is in no class). */
static inline uint8_t at(const uint8_t *b, size_t n, size_t i) { return i < n ? b[i] : 0; }
static inline uint8_t before(const uint8_t *b, size_t s) { return s > 0 ? b[s - 1] : 0; }

/*
 * Runs the validator of det d on a candidate match [*s, *e) of b[0..n):
 * true when it is a finding; it may move *s and *e to the value's real
 * extent and set CF_* bits in *flags.  Reads only b[0..n).
 */
bool vt__audit_check(const audit_det *d, const uint8_t *b, size_t n, size_t *s, size_t *e, uint8_t *flags);

#endif
