/* veritee gpu: NVIDIA GPU confidential computing through NVML (loaded at run
 * time): the CC state, and evidence collection per GPU. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"
#include "veritee/nvgpu.h"

enum { O_NONCE = 256, O_OUT, O_GPU, O_LIB, O_JSON };

static void gpu_usage(FILE *f)
{
    fprintf(f, "usage: veritee gpu status [--nvml-library PATH] [--json]\n"
               "       veritee gpu collect --nonce HEX --out DIR [--gpu N] [--nvml-library PATH] [--json]\n\n"
               "status   what NVML says: driver, GPU count, confidential computing on / off / devtools\n"
               "collect  per GPU, the attestation report for the 32-byte nonce and its certificate chain:\n"
               "         DIR/gpuN/report.bin and DIR/gpuN/certchain.pem (verify with 'veritee verify\n"
               "         --certs DIR/gpuN/certchain.pem DIR/gpuN/report.bin', or bind them to the CPU TEE\n"
               "         with 'veritee composite').  A GPU without CC gives no evidence (nothing is made up).\n\n"
               "  --gpu N               only GPU N (default: every GPU)\n"
               "  --nvml-library PATH   NVML to load (default $VERITEE_NVML_LIBRARY, else libnvidia-ml.so.1)\n");
}

static const char *cc_name(vt_nvgpu_cc cc)
{
    switch (cc) {
    case VT_NVGPU_CC_ON: return "on";
    case VT_NVGPU_CC_OFF: return "off";
    case VT_NVGPU_CC_DEVTOOLS: return "devtools";
    default: return "unknown";
    }
}

/* Used by 'veritee hardware' too. */
const char *vt_cli_nvml_library(const char *flag)
{
    const char *e = getenv("VERITEE_NVML_LIBRARY");

    if (flag != NULL)
        return flag;
    return e != NULL && e[0] != '\0' ? e : NULL;
}

void vt_cli_gpu_status_print(const vt_nvgpu_status *st)
{
    if (!st->nvml) {
        printf("%-8s %-8s %s\n", "nvml", "absent", st->message);
        return;
    }
    printf("%-8s %-8s NVML, driver %s, %u GPU%s, confidential computing %s%s%s\n", "nvml",
           st->cc == VT_NVGPU_CC_ON || st->cc == VT_NVGPU_CC_DEVTOOLS ? "present" : "absent",
           st->driver_version[0] ? st->driver_version : "?", st->gpu_count, st->gpu_count == 1 ? "" : "s",
           cc_name(st->cc), st->message[0] ? ": " : "", st->message);
}

static json_t *gpu_status_json(const vt_nvgpu_status *st)
{
    return json_pack("{s:b, s:s, s:i, s:s, s:b, s:s}", "nvml", st->nvml, "driver_version", st->driver_version,
                     "gpu_count", (int)st->gpu_count, "cc", cc_name(st->cc), "cc_production", st->cc_production,
                     "message", st->message);
}

int vt_cmd_gpu(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "nonce", required_argument, NULL, O_NONCE }, { "out", required_argument, NULL, O_OUT },
        { "gpu", required_argument, NULL, O_GPU },     { "nvml-library", required_argument, NULL, O_LIB },
        { "json", no_argument, NULL, O_JSON },         { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *nonce_hex = NULL, *out = NULL, *lib = NULL;
    long only = -1;
    bool json = false, collect;
    vt_nvgpu_status st;
    vt_buf nonce;
    vt_err err = { 0 };
    json_t *arr = NULL;
    int ch, ex = VT_EXIT_USAGE;

    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        gpu_usage(stdout);
        return VT_EXIT_OK;
    }
    if (argc < 2 || (strcmp(argv[1], "status") != 0 && strcmp(argv[1], "collect") != 0)) {
        gpu_usage(stderr);
        return vt_cli_usage_error("gpu: say 'status' or 'collect'");
    }
    collect = strcmp(argv[1], "collect") == 0;
    argc--;
    argv++;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (ch) {
        case O_NONCE: nonce_hex = optarg; break;
        case O_OUT: out = optarg; break;
        case O_GPU: {
            char *end = NULL;
            only = strtol(optarg, &end, 10);
            if (end == optarg || *end != '\0' || only < 0 || only > 63)
                return vt_cli_usage_error("gpu: --gpu N, 0..63");
            break;
        }
        case O_LIB: lib = optarg; break;
        case O_JSON: json = true; break;
        case 'h': gpu_usage(stdout); return VT_EXIT_OK;
        default: gpu_usage(stderr); return VT_EXIT_USAGE;
        }
    }
    if (optind != argc)
        return vt_cli_usage_error("gpu: unexpected argument '%s'", argv[optind]);
    lib = vt_cli_nvml_library(lib);
    vt_nvgpu_status_get(&st, lib);
    if (!collect) {
        if (json) {
            json_t *o = gpu_status_json(&st);
            char *s = o != NULL ? json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
            if (s != NULL)
                printf("%s\n", s);
            free(s);
            json_decref(o);
        } else {
            vt_cli_gpu_status_print(&st);
        }
        return VT_EXIT_OK;
    }
    if (nonce_hex == NULL || out == NULL)
        return vt_cli_usage_error("gpu: collect needs --nonce HEX and --out DIR");
    vt_buf_init(&nonce);
    if (vt_hex_decode_buf(&nonce, nonce_hex, strlen(nonce_hex), VT_NVGPU_NONCE_LEN, &err) != VT_OK ||
        nonce.len != VT_NVGPU_NONCE_LEN) {
        vt_buf_free(&nonce);
        return vt_cli_usage_error("gpu: --nonce must be %d bytes of hex", VT_NVGPU_NONCE_LEN);
    }
    arr = json_array();
    ex = VT_EXIT_OK;
    for (unsigned i = only >= 0 ? (unsigned)only : 0; ex == VT_EXIT_OK && (only >= 0 ? i == (unsigned)only : i < st.gpu_count);
         i++) {
        vt_buf rep, pem;
        char dir[4096], path[4200];
        vt_status rc;

        vt_buf_init(&rep);
        vt_buf_init(&pem);
        rc = vt_nvgpu_collect(&rep, &pem, i, nonce.data, lib, &err);
        snprintf(dir, sizeof(dir), "%s/gpu%u", out, i);
        if (rc == VT_OK)
            rc = vt_mkdir_p(dir, 0755, &err);
        snprintf(path, sizeof(path), "%s/report.bin", dir);
        if (rc == VT_OK)
            rc = vt_file_write(path, rep.data, rep.len, 0644, &err);
        snprintf(path, sizeof(path), "%s/certchain.pem", dir);
        if (rc == VT_OK)
            rc = vt_file_write(path, pem.data, pem.len, 0644, &err);
        if (rc != VT_OK)
            ex = vt_cli_fail(rc, &err);
        else if (json)
            json_array_append_new(arr, json_pack("{s:i, s:s, s:i}", "gpu", (int)i, "dir", dir, "report_bytes",
                                                 (int)rep.len));
        else
            printf("gpu%u: wrote %s/report.bin (%zu bytes) and %s/certchain.pem\n", i, dir, rep.len, dir);
        vt_buf_free(&rep);
        vt_buf_free(&pem);
    }
    if (ex == VT_EXIT_OK && only < 0 && st.gpu_count == 0)
        ex = vt_cli_fail(VT_E_UNSUPPORTED, (vt_err_set(&err, VT_E_UNSUPPORTED, "gpu: no GPU to collect from: %s",
                                                         st.message[0] ? st.message : "none found"),
                                            &err));
    if (ex == VT_EXIT_OK && json) {
        char *s = json_dumps(arr, JSON_INDENT(2));
        if (s != NULL)
            printf("%s\n", s);
        free(s);
    }
    json_decref(arr);
    vt_buf_free(&nonce);
    return ex;
}
