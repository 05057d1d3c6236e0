/* veritee sim tpm: a software TPM (swtpm) for running the gateway simulated
 * on the TPM platform, and the PCR extend its measurement register uses.
 *
 *   veritee sim tpm start --state DIR [--port N]   swtpm on 127.0.0.1:N (N+1 control), state in DIR/swtpm;
 *                                                  records its AK in DIR/sim/tpm_ak_sha256 (trusted by a
 *                                                  verifier with --trust-sim --state DIR); prints
 *                                                  VERITEE_TPM_TCTI=swtpm:host=127.0.0.1,port=N
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

int vt_cli_tpm_collect_opts(vt_collect_opts *o)
{
    const char *pcrs = getenv("VERITEE_TPM_PCRS"), *bank = getenv("VERITEE_TPM_BANK");
    const char *alg = getenv("VERITEE_TPM_AK_ALG"), *h = getenv("VERITEE_TPM_AK_HANDLE");
    char *end;

    o->tpm_tcti = vt_cli_tpm_tcti();
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
    return vt_cli_usage_error("usage: veritee sim tpm start --state DIR [--port N] | stop --state DIR | "
                              "--extend HEX [--pcr N]");
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
    for (int i = 0; rc == VT_OK && i < 50; i++) { /* the daemon may take a moment to answer */
        rc = vt_evidence_collect(&ev, &kind, &co, err);
        if (rc != VT_E_IO)
            break;
        usleep(100000);
        rc = VT_OK;
        if (i == 49)
            rc = vt_err_set(err, VT_E_IO, "the TPM at %s does not answer", tcti);
    }
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

static int sim_tpm_start(const char *state, unsigned port)
{
    char dir[4096], pid[4096], srv[128], ctl[128], tpmstate[4200], pidarg[4200];
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
    if (pin_ak(state, srv, &err) != VT_OK) {
        fprintf(stderr, "veritee: sim tpm: swtpm started, but its AK could not be recorded: %s\n", err.msg);
        return VT_EXIT_REJECTED;
    }
    printf("VERITEE_TPM_TCTI=%s\n", srv);
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
        return sim_tpm_start(state, port);
    if (strcmp(argv[2], "stop") == 0)
        return sim_tpm_stop(state);
    return sim_tpm_usage();
}
