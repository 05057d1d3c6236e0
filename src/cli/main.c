/* veritee: one program, many roles.  Each command group lives in its own file. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "veritee/http.h"

struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
    bool holds_keys; /* loads a private key: signing, enclave (mock), simulation CA */
};

static const struct command commands[] = {
    { "verify", vt_cmd_verify, "verify TEE evidence down to the vendor root and print the verdict", false },
    { "inspect", vt_cmd_inspect, "parse evidence without verifying it; every field as JSON", false },
    { "attest", vt_cmd_attest, "collect evidence from this machine's TEE (mock when there is none)", true },
    { "hardware", vt_cmd_hardware, "list the TEE interfaces this machine offers", false },
    { "gpu", vt_cmd_gpu, "NVIDIA GPU confidential computing through NVML: CC state, evidence per GPU", false },
    { "measure", vt_cmd_measure, "measure a model, auditor set, runtime or config (tree digest on all cores)", false },
    { "model", vt_cmd_model, "encrypt and decrypt model weights (streaming AES-256-GCM, digest checked)", true },
    { "seal", vt_cmd_seal, "seal data to this enclave (SEV-SNP derived key; mock state key in simulation)", true },
    { "unseal", vt_cmd_unseal, "open data sealed by 'veritee seal' on this platform", true },
    { "log", vt_cmd_log, "keep the measurement log: append (and extend the register), show, replay", false },
    { "composite", vt_cmd_composite, "bind GPU/NVSwitch reports to a CPU TEE report: binding value, container", false },
    { "sim", vt_cmd_sim, "make simulated evidence in a platform's real format (sim tdx, sevsnp, nitro, nvgpu)", true },
    { "verifier", vt_cmd_verifier, "run the verifier service: challenges, appraisal, AI Passports (docs/verifier.md)", true },
    { "key", vt_cmd_key, "the verifier's key broker: register a key with its release policy, list, revoke, release", true },
    { "env", vt_cmd_env, "manage a verifier's environments (reference values); check their latest passport", true },
    { "passport", vt_cmd_passport, "show, verify or decode an AI Passport (the verifier's EAR token)", false },
    { "gateway", vt_cmd_gateway, "run the confidential inference gateway (OpenAI-compatible proxy)", true },
    { "chat", vt_cmd_chat, "verify a gateway (evidence, passport, measurements), then chat and verify the receipt", false },
    { "receipt", vt_cmd_receipt, "verify or show a gateway receipt against its passport", false },
    { "workflow", vt_cmd_workflow, "validate or compile a workflow of deployments (docs/workflows.md)", false },
};

static void usage(FILE *f)
{
    fprintf(f, "usage: veritee <command> [options]\n\n"
               "veritee makes confidential AI verifiable: it collects and verifies TEE evidence.\n\n"
               "commands:\n");
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "  %-10s %s\n\n", "version", "print the version");
    fprintf(f, "Run 'veritee <command> --help' for a command's options.\n"
               "Exit status: 0 accepted/ok, 1 rejected, 2 usage or input error.\n"
               "Environment: VERITEE_STATE (state directory, default ~/.local/state/veritee).\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return VT_EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return VT_EXIT_OK;
    }
    if (strcmp(argv[1], "version") == 0 || strcmp(argv[1], "--version") == 0) {
        printf("veritee %s\n", VT_VERSION_STRING);
        return VT_EXIT_OK;
    }
    /* Collateral (Intel PCS, AMD KDS, NVIDIA) is fetched with libcurl; the
     * core library itself has no network transport. */
    vt_http_fetch_install();
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (strcmp(argv[1], commands[i].name) == 0) {
            if (commands[i].holds_keys) {
                vt_err err = { 0 };
                /* No core dump or same-user ptrace can copy a key out of this
                 * process, and every file it creates is private (0600/0700). */
                if (vt_proc_protect_secrets(&err) != VT_OK)
                    return vt_cli_fail(err.code, &err);
                umask(077);
            }
            return commands[i].run(argc - 1, argv + 1);
        }
    fprintf(stderr, "veritee: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return VT_EXIT_USAGE;
}
