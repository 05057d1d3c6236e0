/*
 * Internal: the small line-per-record text files veritee keeps in state directories
 * (lines.c): one record per LF-ended line, its fields separated by single spaces.  Read
 * strictly, so that what is accepted is exactly what the writer writes: no other blank, no NUL,
 * no empty field, no line cut short.
 */
#ifndef VT_BASE_LINES_H
#define VT_BASE_LINES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The line at *at of [p, p + len), split into exactly n fields, copied NUL-terminated into buf
 * (cap bytes) with fields[i] pointing into it; *at moves past the line.  False, *at unchanged,
 * when the line is not that (or not ended by LF, or longer than cap - 1). */
bool vt__line_fields(const uint8_t *p, size_t len, size_t *at, char *buf, size_t cap, char **fields, size_t n);
/* A decimal number written as a writer writes it (no sign, no leading zero), in 1..max. */
bool vt__line_count(const char *s, uint64_t max, uint64_t *out);

#endif
