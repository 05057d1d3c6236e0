/* Internal: raw JSON member spans (see json.c). */
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

#endif
