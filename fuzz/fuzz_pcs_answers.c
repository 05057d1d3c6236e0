/* libFuzzer: what a PCS (or whoever sits on the way to it, or in the cache
 * directory) can hand the TDX collateral fetcher.  First byte even: the four
 * answers and their issuer chains, "\n@@\n" between them (TCB info, its chain,
 * QE identity, its chain, PCK CRL, its chain, Root CA CRL), each checked on its
 * own against the pinned Intel root (tee/tdx_pcs.c, vt__tdx_pcs_check).  Odd:
 * the rollback floor file of tee/tdx_eval.c, read back. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tee/plugin.h"
#include "tee/tdx_eval.h"
#include "tee/tdx_pcs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const names[7] = { "pcs-tcb_info", "pcs-tcb_info-issuer-chain.pem", "pcs-qe_identity",
                                      "pcs-qe_identity-issuer-chain.pem", "pcs-pck_crl",
                                      "pcs-pck_crl-issuer-chain.pem", "pcs-root_ca_crl" };

static void answers(const uint8_t *p, size_t len)
{
    static const uint8_t fmspc[6] = { 0x90, 0xc0, 0x6f, 0, 0, 0 };
    vt__tdx_pcs_set *s = calloc(1, sizeof(*s));
    vt_x509 *root = NULL;
    char why[200];
    size_t k = 0;

    if (s == NULL || vt_collateral_new(&s->coll, NULL) != VT_OK || vt__roots_intel_sgx(&root, NULL) != VT_OK)
        goto out;
    snprintf(s->ca, sizeof(s->ca), "platform");
    for (int i = 0; i < 4; i++)
        snprintf(s->urls[i], sizeof(s->urls[i]), "http://pcs/%d", i);
    while (k < 7) {
        const uint8_t *sep = memmem(p, len, "\n@@\n", 4);
        size_t n = sep != NULL ? (size_t)(sep - p) : len;

        if (n > 0 && vt_collateral_add(s->coll, names[k], p, n, NULL) != VT_OK)
            goto out;
        k++;
        if (sep == NULL)
            break;
        p = sep + 4;
        len -= n + 4;
    }
    why[0] = '\0';
    if (vt__tdx_pcs_check(s, fmspc, &root, 1, 1, why, sizeof(why), NULL) >= 0 && why[0] == '\0')
        __builtin_trap(); /* a refusal always says why */
out:
    if (s != NULL)
        vt_collateral_free(s->coll);
    free(s);
}

static void floor_file(const uint8_t *p, size_t len)
{
    static char dir[64];
    char path[128];
    vt__tdx_eval_floor f;
    FILE *fp;

    if (dir[0] == '\0') {
        snprintf(dir, sizeof(dir), "/tmp/fuzz_pcs_answers.XXXXXX");
        if (mkdtemp(dir) == NULL)
            abort();
    }
    snprintf(path, sizeof(path), "%s/tdx-eval-x", dir);
    fp = fopen(path, "wb");
    if (fp == NULL)
        abort();
    if (len > 0 && fwrite(p, 1, len, fp) != len)
        abort();
    fclose(fp);
    vt__tdx_eval_floor_get(&f, NULL, dir, "x");
    if (f.num != 0 && (len < 3 || memcmp(p, "v1 ", 3) != 0))
        __builtin_trap(); /* only the one format is taken */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    if (data[0] % 2 == 0)
        answers(data + 1, size - 1);
    else
        floor_file(data + 1, size - 1);
    return 0;
}
