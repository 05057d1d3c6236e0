/* A program outside the tree that embeds libveritee: it sees only the
 * installed headers and library (pkg-config veritee).  It makes a simulated
 * TDX quote, verifies it, and checks that a flipped bit is refused. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <veritee/veritee.h>

int main(int argc, char **argv)
{
    vt_sim_tdx_opts so;
    vt_verify_opts vo;
    vt_collateral *coll = NULL;
    vt_result *res = NULL;
    vt_buf q;
    vt_err err = { 0 };
    int ex = 1;
    bool named;

    if (argc != 2) {
        fprintf(stderr, "usage: consumer STATE_DIR\n");
        return 2;
    }
    vt_buf_init(&q);
    memset(&so, 0, sizeof(so));
    so.version = 4;
    so.now = vt_time_now();
    so.state_dir = argv[1];
    for (int i = 0; i < 64; i++)
        so.report_data[i] = (uint8_t)i;
    res = calloc(3, sizeof(*res));
    if (res == NULL || vt_collateral_new(&coll, &err) != VT_OK || vt_sim_tdx(&q, coll, &so, &err) != VT_OK) {
        fprintf(stderr, "simulate: %s\n", err.msg);
        goto out;
    }
    memset(&vo, 0, sizeof(vo));
    vo.platform = VT_TEE_TDX;
    vo.now = so.now;
    vo.collateral = coll;
    vo.expected_report_data = so.report_data;
    vo.expected_report_data_len = 64;
    vo.trust_sim = true;
    vo.state_dir = argv[1];
    if (vt_evidence_verify(&res[0], q.data, q.len, &vo, &err) != VT_OK || !res[0].valid) {
        fprintf(stderr, "verify: %s (%s)\n", err.msg, res[0].error_count ? res[0].errors[0].msg : "");
        goto out;
    }
    printf("quote: %s\n", vt_verdict_name(res[0].verdict));
    q.data[q.len / 2] ^= 0x01;
    if (vt_evidence_verify(&res[1], q.data, q.len, &vo, &err) == VT_OK && res[1].valid) {
        fprintf(stderr, "a flipped bit was accepted\n");
        goto out;
    }
    printf("flipped: refused\n");
    /* The core has no network transport of its own: asking for collateral
     * over the network fails with a clear error, and nothing is sent. */
    q.data[q.len / 2] ^= 0x01;
    vo.collateral = NULL;
    vo.fetch = true;
    vo.pcs_url = "http://127.0.0.1:9";
    memset(&err, 0, sizeof(err));
    if (vt_evidence_verify(&res[2], q.data, q.len, &vo, &err) == VT_OK && res[2].valid) {
        fprintf(stderr, "verified without collateral\n");
        goto out;
    }
    named = strstr(err.msg, "no network transport") != NULL;
    for (size_t i = 0; i < res[2].error_count; i++)
        named = named || strstr(res[2].errors[i].msg, "no network transport") != NULL;
    if (!named) {
        fprintf(stderr, "fetching without a transport: '%s' / '%s'\n", err.msg,
                res[2].error_count ? res[2].errors[0].msg : "");
        goto out;
    }
    printf("no transport: offline\n");
    ex = 0;
out:
    vt_collateral_free(coll);
    vt_buf_free(&q);
    free(res);
    return ex;
}
