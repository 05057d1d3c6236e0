/* veritee sim tpm: a software TPM (swtpm) for running the gateway simulated
 * on the TPM platform, and the PCR extend its measurement register uses.
 *
 *   veritee sim tpm start --state DIR [--port N]   swtpm on 127.0.0.1:N (N+1 control), state in DIR/swtpm;
 *                                                  records its AK in DIR/sim/tpm_ak_sha256 (trusted by a
 *                                                  verifier with --trust-sim --state DIR); prints
 *                                                  VERITEE_TPM_TCTI=swtpm:host=127.0.0.1,port=N
 *   veritee sim tpm start --azure --state DIR      the same swtpm as the vTPM of a simulated Azure SEV-SNP
 *                                                  CVM: its AK is bound by an HCL report in NV 0x01400001
 *                                                  (instead of being recorded); also prints
 *                                                  VERITEE_TPM_HW_CERTS=DIR/sim/azure_hw_certs.pem
 *   veritee sim tpm stop --state DIR               stops the swtpm that start left running
 *   veritee sim tpm --extend HEX [--pcr N]         PCR N (default 23) of the SHA-256 bank, through the
 *                                                  configured TCTI ($VERITEE_TPM_TCTI)
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "veritee/sim.h"
#include "veritee/tee.h"
#include "veritee/tpm.h"

int vt_cmd_sim_tpm(int argc, char **argv);

const char *vt_cli_tpm_tcti(void)
{
    const char *e = getenv("VERITEE_TPM_TCTI");

    if (e == NULL || *e == '\0')
        e = getenv("TPM2TOOLS_TCTI");
    return e != NULL && *e != '\0' ? e : NULL;
}

const char *vt_cli_tpm_hw_certs(void)
{
    const char *e = getenv("VERITEE_TPM_HW_CERTS");

    return e != NULL && *e != '\0' ? e : NULL;
}

int vt_cli_tpm_collect_opts(vt_collect_opts *o)
{
    const char *pcrs = getenv("VERITEE_TPM_PCRS"), *bank = getenv("VERITEE_TPM_BANK");
    const char *alg = getenv("VERITEE_TPM_AK_ALG"), *h = getenv("VERITEE_TPM_AK_HANDLE");
    char *end;

    o->tpm_tcti = vt_cli_tpm_tcti();
    o->tpm_hw_certs = vt_cli_tpm_hw_certs();
    if (pcrs != NULL && *pcrs != '\0') { /* "0-7,23" */
        const char *s = pcrs;
        while (*s != '\0') {
            unsigned long a = strtoul(s, &end, 10), b = a;
            if (end == s)
                goto bad_pcrs;
            if (*end == '-') {
                s = end + 1;
                b = strtoul(s, &end, 10);
                if (end == s)
                    goto bad_pcrs;
            }
            if (a > b || b > 23)
                goto bad_pcrs;
            for (unsigned long i = a; i <= b; i++)
                o->tpm_pcrs |= 1u << i;
            s = *end == ',' ? end + 1 : end;
            if (*end != ',' && *end != '\0')
                goto bad_pcrs;
        }
    }
    if (bank != NULL && *bank != '\0') {
        if (strcmp(bank, "sha1") == 0)
            o->tpm_bank = 0x0004;
        else if (strcmp(bank, "sha256") == 0)
            o->tpm_bank = 0x000b;
        else if (strcmp(bank, "sha384") == 0)
            o->tpm_bank = 0x000c;
        else
            return vt_cli_usage_error("VERITEE_TPM_BANK must be sha1, sha256 or sha384");
    }
    if (alg != NULL && *alg != '\0') {
        if (strcmp(alg, "ecc") == 0 || strcmp(alg, "p256") == 0)
            o->tpm_ak_ecc = true;
        else if (strcmp(alg, "rsa") != 0)
            return vt_cli_usage_error("VERITEE_TPM_AK_ALG must be rsa or ecc");
    }
    if (h != NULL && *h != '\0') {
        unsigned long v = strtoul(h, &end, 16);
        if (*end != '\0' || v < 0x81000000ul || v > 0x81fffffful)
            return vt_cli_usage_error("VERITEE_TPM_AK_HANDLE must be a persistent handle 0x81xxxxxx");
        o->tpm_ak_handle = (uint32_t)v;
    }
    return VT_EXIT_OK;
bad_pcrs:
    return vt_cli_usage_error("VERITEE_TPM_PCRS must list PCRs 0..23 (like 0-7,23)");
}

static int sim_tpm_usage(void)
{
    return vt_cli_usage_error("usage: veritee sim tpm start [--azure] --state DIR [--port N] | stop --state DIR | "
                              "--extend HEX [--pcr N]");
}

static int sim_tpm_help(void)
{
    printf("usage: veritee sim tpm start [--azure] --state DIR [--port N]\n"
           "       veritee sim tpm stop --state DIR\n"
           "       veritee sim tpm --extend HEX [--pcr N]\n\n"
           "start: a software TPM (swtpm) on 127.0.0.1:N (default 2321; N+1 is its control port), its state\n"
           "in DIR/swtpm.  Records the AK collection quotes with in DIR/sim/tpm_ak_sha256, which a verifier\n"
           "trusts with --trust-sim --state DIR (never as hardware).  Prints VERITEE_TPM_TCTI=... for the\n"
           "gateway (--platform tpm --simulate), veritee attest and tpm2-tools.\n\n"
           "--azure: the swtpm is instead the vTPM of a simulated Azure SEV-SNP confidential VM\n"
           "(docs/formats/azure-cvm.md): NV index 0x01400001 holds an HCL report whose runtime data names the\n"
           "swtpm's AK as HCLAkPub and whose SEV-SNP report (simulated under DIR's simulation root) carries\n"
           "SHA-256 of that runtime data; the AK is not recorded, the HCL report binds it.  Also prints\n"
           "VERITEE_TPM_HW_CERTS=DIR/sim/azure_hw_certs.pem (the simulated VCEK and ASK), which collection\n"
           "carries in the evidence as Azure's THIM certificates would be.  The HCL report is made once:\n"
           "there is no user-data index (0x01400002) and no refresh, so its user-data is zero and freshness\n"
           "comes from the TPM quote's extraData alone.\n\n"
           "stop: stops the swtpm that start left running under DIR.\n\n"
           "--extend: PCR N (default 23, the gateway's register) of the SHA-256 bank := SHA-256(PCR || HEX),\n"
           "through $VERITEE_TPM_TCTI.\n");
    return VT_EXIT_OK;
}

/* Waits until the daemon answers (it may take a moment after it forked). */
static vt_status tpm_ready(const char *tcti, vt_err *err)
{
    uint8_t pcr[32];
    vt_status rc = VT_E_IO;

    for (int i = 0; i < 50 && rc == VT_E_IO; i++) {
        rc = vt_tpm_pcr_read(tcti, VT_TPM_APP_PCR, 0x000b, pcr, sizeof(pcr), NULL);
        if (rc == VT_E_IO)
            usleep(100000);
    }
    return rc == VT_OK ? VT_OK : vt_err_set(err, VT_E_IO, "the TPM at %s does not answer", tcti);
}

/* An Azure SEV-SNP CVM's vTPM: the HCL report binding the AK in NV (vt_sim_azure_tpm); the
 * hardware report's certificates in <state>/sim/azure_hw_certs.pem, whose path is *certs_path. */
static vt_status provision_azure(const char *state, const char *tcti, char *certs_path, size_t n, vt_err *err)
{
    vt_collect_opts co;
    vt_sim_azure_opts ao;
    vt_collateral *certs = NULL;
    vt_buf pem;
    vt_status rc;

    vt_buf_init(&pem);
    memset(&co, 0, sizeof(co));
    co.platform = VT_TEE_TPM;
    co.tpm_tcti = tcti;
    memset(&ao, 0, sizeof(ao));
    ao.version = 1;
    ao.now = vt_time_now();
    ao.state_dir = state;
    if (snprintf(certs_path, n, "%s/sim/azure_hw_certs.pem", state) >= (int)n)
        return vt_err_set(err, VT_E_ARG, "--state path too long");
    rc = vt_collateral_new(&certs, err);
    if (rc == VT_OK)
        rc = vt_sim_azure_tpm(certs, &co, &ao, err);
    for (size_t i = 0; rc == VT_OK && i < vt_collateral_count(certs); i++) {
        size_t len;
        const uint8_t *b = vt_collateral_get(certs, i, NULL, &len);
        rc = vt_buf_append(&pem, b, len, err);
    }
    if (rc == VT_OK)
        rc = vt_file_write(certs_path, pem.data, pem.len, 0600, err);
    vt_collateral_free(certs);
    vt_buf_free(&pem);
    return rc;
}

/* Records the AK the collector makes on this TPM (the default one: RSA-2048, transient) in
 * <state>/sim/tpm_ak_sha256, which a verifier trusts with --trust-sim (vt_sim_tpm_pin_ak). */
static vt_status pin_ak(const char *state, const char *tcti, vt_err *err)
{
    static const uint8_t nonce[1] = { 0 };
    vt_collect_opts co;
    vt_verify_opts vo;
    vt_result *res = calloc(1, sizeof(*res));
    const vt_claim *ak;
    vt_tee_kind kind;
    vt_buf ev;
    vt_status rc = res == NULL ? vt_err_set(err, VT_E_NOMEM, "out of memory") : VT_OK;

    vt_buf_init(&ev);
    memset(&co, 0, sizeof(co));
    co.platform = VT_TEE_TPM;
    co.tpm_tcti = tcti;
    co.tpm_pcrs = 1u << VT_TPM_APP_PCR;
    rc = rc == VT_OK ? vt_report_data_bind(co.report_data, nonce, sizeof(nonce), NULL, 0, err) : rc;
    if (rc == VT_OK)
        rc = vt_evidence_collect(&ev, &kind, &co, err);
    memset(&vo, 0, sizeof(vo));
    vo.platform = VT_TEE_TPM;
    vo.now = vt_time_now();
    if (rc == VT_OK)
        rc = vt_evidence_verify(res, ev.data, ev.len, &vo, err);
    ak = rc == VT_OK ? vt_claims_get(&res->claims, "ak_sha256") : NULL;
    if (rc == VT_OK && (ak == NULL || ak->len != 32 || !res->signature_valid))
        rc = vt_err_set(err, VT_E_CRYPTO, "the TPM's quote does not verify under its AK");
    if (rc == VT_OK)
        rc = vt_sim_tpm_pin_ak(state, ak->value, err);
    vt_buf_free(&ev);
    free(res);
    return rc;
}

static int sim_tpm_start(const char *state, unsigned port, bool azure)
{
    char dir[4096], pid[4096], srv[128], ctl[128], tpmstate[4200], pidarg[4200], certs[4200];
    pid_t ch;
    int st = 0;

    if (snprintf(dir, sizeof(dir), "%s/swtpm", state) >= (int)sizeof(dir) ||
        snprintf(pid, sizeof(pid), "%s/swtpm.pid", state) >= (int)sizeof(pid))
        return vt_cli_usage_error("sim tpm: --state path too long");
    vt_err err = { 0 };
    if (vt_dir_private(state, &err) != VT_OK || (mkdir(dir, 0700) != 0 && errno != EEXIST))
        return vt_cli_usage_error("sim tpm: cannot create %s", dir);
    snprintf(srv, sizeof(srv), "type=tcp,port=%u,bindaddr=127.0.0.1", port);
    snprintf(ctl, sizeof(ctl), "type=tcp,port=%u,bindaddr=127.0.0.1", port + 1);
    snprintf(tpmstate, sizeof(tpmstate), "dir=%s", dir);
    snprintf(pidarg, sizeof(pidarg), "file=%s", pid);
    ch = fork();
    if (ch == 0) {
        execlp("swtpm", "swtpm", "socket", "--tpm2", "--tpmstate", tpmstate, "--flags", "not-need-init,startup-clear",
               "--server", srv, "--ctrl", ctl, "--pid", pidarg, "--daemon", (char *)NULL);
        _exit(127);
    }
    if (ch < 0 || waitpid(ch, &st, 0) != ch || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        fprintf(stderr, "veritee: sim tpm: swtpm did not start (%s)\n",
                WIFEXITED(st) && WEXITSTATUS(st) == 127 ? "swtpm not installed: scripts/install-deps" : "port in use?");
        return VT_EXIT_REJECTED;
    }
    snprintf(srv, sizeof(srv), "swtpm:host=127.0.0.1,port=%u", port);
    if (tpm_ready(srv, &err) != VT_OK ||
        (azure ? provision_azure(state, srv, certs, sizeof(certs), &err) : pin_ak(state, srv, &err)) != VT_OK) {
        fprintf(stderr, "veritee: sim tpm: swtpm started, but %s: %s\n",
                azure ? "its HCL report could not be provisioned" : "its AK could not be recorded", err.msg);
        return VT_EXIT_REJECTED;
    }
    printf("VERITEE_TPM_TCTI=%s\n", srv);
    if (azure)
        printf("VERITEE_TPM_HW_CERTS=%s\n", certs);
    return VT_EXIT_OK;
}

static int sim_tpm_stop(const char *state)
{
    char path[4096];
    vt_buf b;
    vt_err err = { 0 };
    long p;

    if (snprintf(path, sizeof(path), "%s/swtpm.pid", state) >= (int)sizeof(path))
        return vt_cli_usage_error("sim tpm: --state path too long");
    vt_buf_init(&b);
    if (vt_file_read(&b, path, 32, &err) != VT_OK || vt_buf_terminate(&b, &err) != VT_OK) {
        vt_buf_free(&b);
        return vt_cli_usage_error("sim tpm: no running swtpm under %s", state);
    }
    p = strtol((const char *)b.data, NULL, 10);
    vt_buf_free(&b);
    if (p <= 1 || kill((pid_t)p, SIGTERM) != 0)
        return vt_cli_usage_error("sim tpm: swtpm %ld is not running", p);
    unlink(path);
    return VT_EXIT_OK;
}

int vt_cmd_sim_tpm(int argc, char **argv)
{
    const char *state = NULL, *extend = NULL;
    unsigned port = 2321, pcr = VT_TPM_APP_PCR;
    bool azure = false;
    uint8_t d[32];
    size_t dl = 0;
    vt_err err = { 0 };

    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--state") == 0 && i + 1 < argc)
            state = argv[++i];
        else if (strcmp(argv[i], "--port") == 0 && i + 1 < argc)
            port = (unsigned)strtoul(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--pcr") == 0 && i + 1 < argc)
            pcr = (unsigned)strtoul(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--extend") == 0 && i + 1 < argc)
            extend = argv[++i];
        else if (strcmp(argv[i], "--azure") == 0)
            azure = true;
        else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return sim_tpm_help();
        else if (i == 1 || (strcmp(argv[i], "start") != 0 && strcmp(argv[i], "stop") != 0))
            return sim_tpm_usage();
    }
    if (extend != NULL) {
        dl = sizeof(d);
        if (strlen(extend) != 64 || vt_hex_decode(d, sizeof(d), extend, 64, &err) != VT_OK)
            return vt_cli_usage_error("sim tpm: --extend takes a 32-byte SHA-256 digest in hex");
        if (vt_tpm_pcr_extend(vt_cli_tpm_tcti(), pcr, 0x000b, d, dl, &err) != VT_OK)
            return vt_cli_fail(VT_E_IO, &err);
        return VT_EXIT_OK;
    }
    if (argc < 3 || state == NULL || port == 0 || port > 65534)
        return sim_tpm_usage();
    if (strcmp(argv[2], "start") == 0)
        return sim_tpm_start(state, port, azure);
    if (strcmp(argv[2], "stop") == 0)
        return sim_tpm_stop(state);
    return sim_tpm_usage();
}
