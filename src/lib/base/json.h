/* Internal: raw JSON member spans, a fast load and a fast dump of jansson trees (see json.c). */
#ifndef VT_BASE_JSON_H
#define VT_BASE_JSON_H

#include <jansson.h>

#include "veritee/base.h"

/*
 * Finds the top-level member `key` of the JSON object in json[0..len) and
 * points *val at the exact bytes of its value (borrowed from json).
 * VT_E_NOTFOUND when the object has no such member, VT_E_FORMAT when the text
 * is not one well-formed object or the member appears twice.  The scanner
 * checks structure (strings, nesting, separators), not scalar grammar: parse
 * the document with jansson as well before trusting any value.
 */
vt_status vt__json_member_raw(const uint8_t **val, size_t *val_len, const uint8_t *json, size_t len, const char *key,
                              vt_err *err);

/*
 * Serialises doc (jansson flags) straight onto the end of out: no intermediate
 * string (json_dumps would allocate one, measure it and copy it).  JSON_COMPACT
 * (with JSON_SORT_KEYS or JSON_PRESERVE_ORDER or neither) is written by our own
 * writer, byte for byte as jansson writes it; other flags, and documents with
 * real numbers or NUL in a key, by jansson.  On failure out keeps its length
 * from before the call.
 */
vt_status vt__json_dump_buf(vt_buf *out, const json_t *doc, size_t flags, vt_err *err);

/*
 * json_loadb(p, n, flags, je), the same tree (same values, members in the same order),
 * built from the strict token reader (json_tokens.h) instead of jansson's lexer when
 * flags are at most JSON_REJECT_DUPLICATES and JSON_ALLOW_NUL and p holds an object in the
 * reader's subset (and no NUL in a string unless JSON_ALLOW_NUL): ≈ 12×
 * faster on documents of long strings (a 17 KB attestation request took 152 µs in
 * jansson, 12 µs here).  Everything else, and every error with its message, is jansson's
 * own load; a document with a duplicate key is jansson's too (the reader refuses it, and
 * without JSON_REJECT_DUPLICATES jansson keeps the last).  fuzz_json_tokens checks the two
 * give the same.
 */
json_t *vt__json_loadb(const char *p, size_t n, size_t flags, json_error_t *je);

#endif
