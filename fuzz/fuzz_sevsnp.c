/* libFuzzer: the SEV-SNP report parser, inspect, and the whole verify path on
 * arbitrary bytes (with and without a certificate blob as collateral, taken
 * from the input's tail so the collateral scanner gets fuzzed too). */
#include <stdlib.h>
#include <string.h>

#include "tee/sevsnp_report.h"
#include "veritee/veritee.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static vt__snp_report rep;
    static vt_result r;
    vt_verify_opts o;
    vt_collateral *c = NULL;
    char *json = NULL;
    size_t n = size < SNP_REPORT_LEN ? size : SNP_REPORT_LEN;

    (void)vt__snp_report_parse(&rep, data, size, NULL);
    (void)vt__snp_report_probe(data, size);
    if (vt_evidence_inspect(&json, VT_TEE_SEVSNP, data, size, NULL) == VT_OK)
        free(json);
    memset(&o, 0, sizeof(o));
    o.platform = VT_TEE_SEVSNP;
    o.now = 1775001600; /* 2026-04-01 */
    o.allow_missing_collateral = true;
    if (vt_evidence_verify(&r, data, size, &o, NULL) != VT_OK && r.valid)
        abort(); /* unreadable evidence must never come out valid */
    if (r.valid)
        abort(); /* no certificate: an SNP report can never be accepted */
    /* The first 1184 bytes as the report, the rest as a collateral blob. */
    if (size > n && vt_collateral_new(&c, NULL) == VT_OK) {
        if (vt_collateral_add(c, "blob", data + n, size - n, NULL) == VT_OK) {
            o.collateral = c;
            if (vt_evidence_verify(&r, data, n, &o, NULL) != VT_OK && r.valid)
                abort();
        }
        vt_collateral_free(c);
    }
    return 0;
}
