/* libFuzzer: the gateway's gateway.json (docs/gateway.md) and its listen /
 * upstream strings.  A configuration that parses and checks formats back to
 * JSON that parses again. */
#include <stdlib.h>
#include <string.h>

#include "gateway/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    vt_gw_config c, d;
    char *json = NULL, *s;

    vt_gw_config_defaults(&c);
    if (vt_gw_config_parse(&c, (const char *)data, size, NULL) == VT_OK && vt_gw_config_check(&c, NULL) == VT_OK) {
        if (vt_gw_config_to_json(&json, &c, NULL) != VT_OK)
            __builtin_trap();
        vt_gw_config_defaults(&d);
        /* the pinned key set's path survives the round trip as given */
        if (vt_gw_config_parse(&d, json, strlen(json), NULL) == VT_OK &&
            (c.verifier_jwks == NULL) != (d.verifier_jwks == NULL))
            __builtin_trap();
        if (c.verifier_jwks != NULL && d.verifier_jwks != NULL && strcmp(c.verifier_jwks, d.verifier_jwks) != 0)
            __builtin_trap();
        vt_gw_config_free(&d);
        free(json);
    }
    vt_gw_config_free(&c);
    /* the command-line strings: NUL-terminated copies of the input */
    s = malloc(size + 1);
    if (s == NULL)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    vt_gw_config_defaults(&c);
    (void)vt_gw_config_set_listen(&c, s, NULL);
    (void)vt_gw_config_set_upstream(&c, s, NULL);
    vt_gw_config_free(&c);
    free(s);
    return 0;
}
