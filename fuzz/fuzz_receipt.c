/* libFuzzer: audit receipts (docs/receipts.md).  First byte even: the rest
 * is a token, decoded and verified against a fixed enclave key; odd: the
 * rest is a payload the harness signs with that key, so the strict payload
 * parser behind a good signature sees arbitrary JSON.  Whatever parses
 * formats back to JSON. */
#include <stdlib.h>
#include <string.h>

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
    if (vt_jws_sign(&tok, key, NULL, data[0] & 2 ? "JWT" : "veritee-receipt+jwt", data + 1, size - 1, NULL) != VT_OK)
        __builtin_trap();
    check(tok, strlen(tok));
    free(tok);
    return 0;
}
