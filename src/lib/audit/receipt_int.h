/* Internal: what receipt.c (signing, the tree road of parsing) and receipt_tokens.c (the token
 * road) share about a receipt's payload. */
#ifndef VT_AUDIT_RECEIPT_INT_H
#define VT_AUDIT_RECEIPT_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "veritee/receipt.h"

#define RECEIPT_AUDITORS_MAX ((size_t)32 << 10) /* "auditors" written compact, bytes */
#define RECEIPT_DEPLOYMENTS_MAX 16
#define RECEIPT_DEPLOYMENT_VALUE_MAX 512

/* Every member a payload may have, "deployments" the only optional one. */
extern const char *const vt__receipt_members[20];
#define RECEIPT_NMEMBERS 20
/* The members of one "deployments" entry, in strcmp order (as a sorted dump writes them). */
extern const char *const vt__receipt_deployment_members[5];
#define RECEIPT_NDEPMEMBERS 5

/*
 * The token road of parsing a payload: fills r (initialised as the tree road
 * does) when p[0..len) is a payload the tree road accepts and can be read
 * without a tree — the JSON within the token reader's subset, no NUL in any
 * string, and "auditors", "coverage.unaudited" and "deployments" already in
 * the form their compact, key-sorted dump takes (keys in order, integers
 * only), which is how a gateway writes them.  Those three are then copied as
 * that dump writes them, byte for byte.  false: r is cleared and the tree
 * road decides, errors included.
 */
bool vt__receipt_payload_tokens(vt_receipt *r, const uint8_t *p, size_t len);
/* The tree road (jansson): the definition of a valid payload, and every error message. */
vt_status vt__receipt_parse_tree(vt_receipt *r, const uint8_t *p, size_t len, vt_err *err);

#endif
