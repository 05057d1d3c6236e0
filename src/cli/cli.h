/* Shared helpers of the veritee program's commands. */
#ifndef VT_CLI_H
#define VT_CLI_H

#include <stdio.h>

#include "veritee/veritee.h"

/* Exit statuses: 0 ok, 1 verification failed / rejected, 2 usage or input error. */
#define VT_EXIT_OK 0
#define VT_EXIT_REJECTED 1
#define VT_EXIT_USAGE 2

/* Maps a library status to an exit status (the one place that does, HS-7). */
int vt_cli_exit(vt_status rc);
/* Prints "veritee: <msg>" to stderr and returns VT_EXIT_USAGE. */
int vt_cli_usage_error(const char *fmt, ...) VT_PRINTF(1, 2);
/* Prints the library error and returns its exit status. */
int vt_cli_fail(vt_status rc, const vt_err *err);
/* The state directory: --state, else $VERITEE_STATE, else ~/.local/state/veritee. */
const char *vt_cli_state_dir(const char *flag);
/* VERITEE_SIMULATE=tdx|sevsnp|nitro|nvgpu|tpm (simulated evidence of that TEE) and
 * VERITEE_TEE=mock|tdx|... (the platform), for a command whose flags named neither:
 * flags always win.  False after printing a usage error for a value it cannot use. */
bool vt_cli_env_platform(vt_tee_kind *platform, bool *simulate, bool platform_flag, bool simulate_flag);
/* Reads a file ("-" = stdin) with a size cap. */
vt_status vt_cli_read(vt_buf *out, const char *path, size_t max, vt_err *err);
/* Parses --report-data HEX / --nonce HEX [--pubkey HEX] into 64 bytes (zero-padded); *len_out is
 * the length given (--report-data: the decoded bytes; --nonce: 64), 0 when neither was. */
vt_status vt_cli_report_data(uint8_t out[64], size_t *len_out, const char *rd_hex, const char *nonce_hex,
                             const char *pub_hex, vt_err *err);

/* --sevsnp-min-tcb PRODUCT:name=N,name=N... into snp[PRODUCT] = {name: N} (env JSON's
 * sevsnp_min_tcb form; vt_env_parse checks names and ranges).  0, or -1 after printing a
 * usage error prefixed with cmd. */
struct json_t;
int vt_cli_snp_min_tcb(struct json_t *snp, const char *arg, const char *cmd);
/* Reads a 32-byte symmetric key from a private file (mode 0600): 64 hex
 * characters (surrounding whitespace ignored) or exactly 32 raw bytes. */
vt_status vt_cli_read_key32(uint8_t key[32], const char *path, vt_err *err);

int vt_cmd_verify(int argc, char **argv);
int vt_cmd_inspect(int argc, char **argv);
int vt_cmd_attest(int argc, char **argv);
int vt_cmd_hardware(int argc, char **argv);
int vt_cmd_gpu(int argc, char **argv);
/* NVML for 'gpu' and 'hardware' (cmd_gpu.c): the flag, else $VERITEE_NVML_LIBRARY, else NULL (the default). */
const char *vt_cli_nvml_library(const char *flag);
struct vt_nvgpu_status;
void vt_cli_gpu_status_print(const struct vt_nvgpu_status *st);
int vt_cmd_sim(int argc, char **argv);
/* cmd_sim_tpm.c: the TPM's TCTI ($VERITEE_TPM_TCTI, else $TPM2TOOLS_TCTI; NULL =
 * /dev/tpmrm0), and the TPM collection options from the environment (docs/formats/tpm.md). */
const char *vt_cli_tpm_tcti(void);
/* $VERITEE_TPM_HW_CERTS: the HCL report's certificates (`veritee sim tpm start --azure` prints it), or NULL. */
const char *vt_cli_tpm_hw_certs(void);
struct vt_collect_opts;
int vt_cli_tpm_collect_opts(struct vt_collect_opts *o);
int vt_cmd_measure(int argc, char **argv);
int vt_cmd_log(int argc, char **argv);
int vt_cmd_verifier(int argc, char **argv);
int vt_cmd_env(int argc, char **argv);
int vt_cmd_passport(int argc, char **argv);
int vt_cmd_composite(int argc, char **argv);
int vt_cmd_gateway(int argc, char **argv);
int vt_cmd_receipt(int argc, char **argv);
int vt_cmd_workflow(int argc, char **argv);
int vt_cmd_chat(int argc, char **argv);
int vt_cmd_model(int argc, char **argv);
int vt_cmd_seal(int argc, char **argv);
int vt_cmd_unseal(int argc, char **argv);
int vt_cmd_key(int argc, char **argv);

#endif
