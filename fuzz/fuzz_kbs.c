/* libFuzzer: the key broker's release request body and release policy parsers (kbs.h). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "veritee/veritee.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t nonce[VT_KBS_NONCE_MAX];
    size_t n = 0;
    char *canon = NULL;
    vt_kbs_subject s;
    char clause[64];

    (void)vt_kbs_request_parse(nonce, &n, data, size, NULL);
    if (vt_kbs_policy_parse(&canon, (const char *)data, size, NULL) == VT_OK) {
        memset(&s, 0, sizeof(s));
        s.environment = "dev";
        s.tee_type = "tdx";
        s.status = "affirming";
        s.tcb_status = "UpToDate";
        (void)vt_kbs_policy_check(canon, &s, clause, sizeof(clause), NULL);
        free(canon);
    }
    return 0;
}
