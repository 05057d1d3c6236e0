/* veritee seal / unseal: data sealed to this enclave (format veritee-seal-v1, docs/keys.md). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "cli.h"

enum { O_KEY_ID = 256, O_PLATFORM, O_STATE, O_OUT, O_SYSROOT, O_EK_ROOTS, O_EK_CRLS };

static void seal_usage(FILE *f, const char *verb)
{
    fprintf(f,
            "usage: veritee %s --key-id ID [--platform auto|sevsnp|tpm|mock] [--state DIR] [--out FILE]\n"
            "                [--tpm-ek-roots PATH [--tpm-ek-crls PATH]] [FILE]\n\n"
            "%s FILE (default: standard input) to standard output (or --out FILE), with a key derived\n"
            "(HKDF-SHA256) from this platform's sealing root, the key id and the platform; the blob is\n"
            "nonce(12) || AES-256-GCM ciphertext || tag(16) (format veritee-seal-v1, docs/keys.md).\n\n"
            "  --key-id ID   domain separation: a blob sealed under one id never opens under another\n"
            "  --platform P  sevsnp: the firmware's derived key (VCEK root, mixing the launch measurement\n"
            "                and policy: only the same guest image on the same chip opens it);\n"
            "                tpm: a key the TPM derives from its owner seed under a policy on PCRs 0-7\n"
            "                (nothing secret stored; another boot chain derives another root, and the\n"
            "                state directory's pin refuses once those PCRs change);\n"
            "                mock: a random key in the state directory (simulation, NOT hardware);\n"
            "                auto (default): sevsnp when /dev/sev-guest exists, mock when no TEE is\n"
            "                present.  TDX and Nitro have no hardware sealing key: keys for them come\n"
            "                from the verifier's key broker instead (docs/keys.md).\n"
            "  --tpm-ek-roots PATH  tpm: the TPM must prove itself genuine: its endorsement key's certificate\n"
            "                (NV) must chain to these CAs of TPM makers or of a cloud's vTPMs (a PEM file, or a\n"
            "                directory of PEM/DER files; default $VERITEE_TPM_EK_ROOTS), and the root comes back\n"
            "                salted to that key.  Without it the TPM's identity is not checked: one answering\n"
            "                in its place could read the root (docs/formats/tpm.md).  EK certificates of ECC\n"
            "                P-256, P-384, P-521 and RSA 2048, 3072, 4096 (TCG EK Credential Profile); SM2:\n"
            "                refused\n"
            "  --tpm-ek-crls PATH  tpm, with --tpm-ek-roots: the makers' CRLs, downloaded by the operator\n"
            "                (a PEM file of CRLs, a DER CRL, or a directory of such files; default\n"
            "                $VERITEE_TPM_EK_CRLS; nothing is fetched).  Every certificate of the EK's chain\n"
            "                below its root then needs a current CRL of its issuer that verifies and does not\n"
            "                list it: a revoked EK or CA, a CRL that does not verify or has expired, or a\n"
            "                missing one is refused\n"
            "  --state DIR   state directory of the mock root and the TPM pin (default $VERITEE_STATE)\n"
            "  --out FILE    write there instead of standard output (mode 0600)\n\n"
            "Exit status: 0 done, 1 the blob does not open, 2 usage or input error.\n",
            verb, strcmp(verb, "seal") == 0 ? "Seals" : "Unseals");
}

static int root_for(vt_seal_root *root, const char *platform, const char *state, const char *sysroot,
                    const char *ek_roots, const char *ek_crls, bool quiet)
{
    vt_err err = { 0 };
    vt_status rc;

    if (strcmp(platform, "auto") == 0) {
        vt_hw_info hw;
        platform = "mock";
        vt_tee_detect(&hw, sysroot);
        for (size_t i = 0; i < hw.count; i++) {
            if (!hw.entries[i].present)
                continue;
            if (hw.entries[i].kind == VT_TEE_SEVSNP) {
                platform = "sevsnp";
                break;
            }
            if (hw.entries[i].kind == VT_TEE_TDX || hw.entries[i].kind == VT_TEE_NITRO)
                return vt_cli_usage_error("seal: %s has no hardware sealing key; obtain keys from the verifier's "
                                          "key broker (docs/keys.md), or pass --platform mock for simulation",
                                          vt_tee_name(hw.entries[i].kind));
        }
    }
    if (strcmp(platform, "sevsnp") == 0) {
        rc = vt_seal_root_sevsnp(root, sysroot, &err);
    } else if (strcmp(platform, "tpm") == 0) {
        vt_seal_tpm_ek ek = { .roots = ek_roots, .now = vt_time_now(), .crls = ek_crls };

        if (ek_crls != NULL && ek_roots == NULL)
            return vt_cli_usage_error("seal: --tpm-ek-crls (or VERITEE_TPM_EK_CRLS) needs --tpm-ek-roots: "
                                      "revocation is checked on the EK's chain to those roots");
        if (ek_roots == NULL)
            fprintf(stderr, "veritee: TPM sealing: the TPM's identity is not checked (no --tpm-ek-roots): one "
                            "answering in its place could read the sealing root\n");
        /* PCRs 0-7, docs/formats/tpm.md */
        rc = vt_seal_root_tpm_ek(root, vt_cli_tpm_tcti(), vt_cli_state_dir(state), 0, ek_roots != NULL ? &ek : NULL,
                                 &err);
    } else if (strcmp(platform, "mock") == 0) {
        rc = vt_seal_root_mock(root, vt_cli_state_dir(state), &err);
        if (rc == VT_OK && !quiet)
            fprintf(stderr, "veritee: sealing root: mock state-directory key (simulation, not hardware)\n");
    } else {
        return vt_cli_usage_error("seal: --platform takes auto, sevsnp, tpm or mock");
    }
    return rc == VT_OK ? VT_EXIT_OK : vt_cli_fail(rc, &err);
}


static int seal_common(int argc, char **argv, bool sealing)
{
    static const struct option longopts[] = {
        { "key-id", required_argument, NULL, O_KEY_ID },
        { "platform", required_argument, NULL, O_PLATFORM },
        { "state", required_argument, NULL, O_STATE },
        { "out", required_argument, NULL, O_OUT },
        { "sysroot", required_argument, NULL, O_SYSROOT },
        { "tpm-ek-roots", required_argument, NULL, O_EK_ROOTS },
        { "tpm-ek-crls", required_argument, NULL, O_EK_CRLS },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *verb = sealing ? "seal" : "unseal";
    const char *key_id = NULL, *platform = "auto", *state = NULL, *out_path = NULL, *sysroot = NULL, *in = "-";
    const char *ek_roots = getenv("VERITEE_TPM_EK_ROOTS"), *ek_crls = getenv("VERITEE_TPM_EK_CRLS");
    vt_seal_root root;
    vt_buf data, res;
    vt_err err = { 0 };
    vt_status rc;
    int ch, ex;

    optind = 1;
    while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (ch) {
        case O_KEY_ID: key_id = optarg; break;
        case O_PLATFORM: platform = optarg; break;
        case O_STATE: state = optarg; break;
        case O_OUT: out_path = optarg; break;
        case O_SYSROOT: sysroot = optarg; break;
        case O_EK_ROOTS:
            if (*optarg == '\0')
                return vt_cli_usage_error("%s: --tpm-ek-roots needs a file or directory", verb);
            ek_roots = optarg;
            break;
        case O_EK_CRLS:
            if (*optarg == '\0')
                return vt_cli_usage_error("%s: --tpm-ek-crls needs a file or directory", verb);
            ek_crls = optarg;
            break;
        case 'h': seal_usage(stdout, verb); return VT_EXIT_OK;
        default: seal_usage(stderr, verb); return VT_EXIT_USAGE;
        }
    }
    if (key_id == NULL || *key_id == '\0' || strlen(key_id) > VT_SEAL_KEY_ID_MAX)
        return vt_cli_usage_error("%s: --key-id ID (1..%d bytes) is required", verb, VT_SEAL_KEY_ID_MAX);
    if (argc - optind > 1)
        return vt_cli_usage_error("%s: at most one FILE", verb);
    if (argc - optind == 1)
        in = argv[optind];
    memset(&root, 0, sizeof(root));
    if (ek_roots != NULL && *ek_roots == '\0')
        ek_roots = NULL;
    if (ek_crls != NULL && *ek_crls == '\0')
        ek_crls = NULL;
    ex = root_for(&root, platform, state, sysroot, ek_roots, ek_crls, !sealing);
    if (ex != VT_EXIT_OK)
        return ex;
    vt_buf_init(&data);
    vt_buf_init(&res);
    rc = vt_cli_read(&data, in, VT_SEAL_MAX + VT_SEAL_OVERHEAD, &err);
    if (rc != VT_OK) {
        ex = vt_cli_fail(rc, &err);
        goto out;
    }
    if (sealing)
        rc = vt_seal(&res, &root, key_id, data.data, data.len, &err);
    else
        rc = vt_unseal(&res, &root, key_id, data.data, data.len, &err);
    if (rc != VT_OK) {
        /* A blob too short to be one does not open either. */
        ex = !sealing && rc == VT_E_FORMAT ? (vt_cli_fail(rc, &err), VT_EXIT_REJECTED) : vt_cli_fail(rc, &err);
        goto out;
    }
    if (out_path != NULL) {
        rc = vt_file_write(out_path, res.data, res.len, 0600, &err);
        ex = rc == VT_OK ? VT_EXIT_OK : vt_cli_fail(rc, &err);
    } else {
        ex = res.len == 0 || fwrite(res.data, 1, res.len, stdout) == res.len ? VT_EXIT_OK
                                                                             : vt_cli_usage_error("%s: write failed",
                                                                                                  verb);
        if (fflush(stdout) != 0)
            ex = vt_cli_usage_error("%s: write failed", verb);
    }
out:
    if (res.data != NULL)
        OPENSSL_cleanse(res.data, res.len);
    if (data.data != NULL)
        OPENSSL_cleanse(data.data, data.len);
    vt_buf_free(&res);
    vt_buf_free(&data);
    vt_seal_root_wipe(&root);
    return ex;
}

int vt_cmd_seal(int argc, char **argv)
{
    return seal_common(argc, argv, true);
}

int vt_cmd_unseal(int argc, char **argv)
{
    return seal_common(argc, argv, false);
}
