/* libFuzzer: audit receipts (docs/receipts.md).  First byte even: the rest
 * is a token, decoded and verified against a fixed enclave key; odd: the
 * rest is a payload the harness signs with that key, so the strict payload
 * parser behind a good signature sees arbitrary JSON.  Whatever parses
 * formats back to JSON.  Every payload also goes through both roads of the
 * parser (receipt_int.h): whatever the token road takes, the tree road takes
 * too, to the same receipt, or the harness traps. */
#include <stdlib.h>
#include <string.h>

#include "audit/receipt_int.h"
#include "veritee/jws.h"
#include "veritee/receipt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static vt_pkey *key;

static void check(const char *tok, size_t len)
{
    vt_receipt r;
    char *json = NULL;

    memset(&r, 0, sizeof(r));
    if (vt_receipt_verify(&r, tok, len, key, NULL) == VT_OK) {
        if (vt_receipt_to_json(&json, &r, NULL) != VT_OK)
            __builtin_trap();
        free(json);
    }
    vt_receipt_clear(&r);
    memset(&r, 0, sizeof(r));
    if (vt_receipt_decode(&r, tok, len, NULL) == VT_OK) {
        json = NULL;
        if (vt_receipt_to_json(&json, &r, NULL) != VT_OK)
            __builtin_trap();
        free(json);
    }
    vt_receipt_clear(&r);
}

static bool same_str(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* The token road must only take what the tree road takes, and read it the same. */
static void both_roads(const uint8_t *p, size_t len)
{
    vt_receipt a, b, x, y;
    char *ja = NULL, *jb = NULL;

    if (!vt__receipt_payload_tokens(&a, p, len))
        return;
    if (vt__receipt_parse_tree(&b, p, len, NULL) != VT_OK)
        __builtin_trap();
    /* Both start from a zeroed receipt: every fixed field, padding included, compares bytewise. */
    memcpy(&x, &a, sizeof(x));
    memcpy(&y, &b, sizeof(y));
    x.auditors = y.auditors = x.unaudited = y.unaudited = x.deployments = y.deployments = NULL;
    if (memcmp(&x, &y, sizeof(x)) != 0)
        __builtin_trap();
    if (!same_str(a.auditors, b.auditors) || !same_str(a.unaudited, b.unaudited) ||
        !same_str(a.deployments, b.deployments))
        __builtin_trap();
    if (vt_receipt_to_json(&ja, &a, NULL) != VT_OK || vt_receipt_to_json(&jb, &b, NULL) != VT_OK ||
        strcmp(ja, jb) != 0)
        __builtin_trap();
    free(ja);
    free(jb);
    vt_receipt_clear(&a);
    vt_receipt_clear(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *tok = NULL;

    if (key == NULL && vt_pkey_generate(&key, VT_KEY_EC_P256, NULL) != VT_OK)
        __builtin_trap();
    if (size == 0)
        return 0;
    if ((data[0] & 1) == 0) {
        check((const char *)data + 1, size - 1);
        return 0;
    }
    both_roads(data + 1, size - 1);
    if (vt_jws_sign(&tok, key, NULL, data[0] & 2 ? "JWT" : "veritee-receipt+jwt", data + 1, size - 1, NULL) != VT_OK)
        __builtin_trap();
    check(tok, strlen(tok));
    free(tok);
    return 0;
}
