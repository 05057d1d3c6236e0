/* veritee composite: the binding value a CPU report must carry, and the
 * container that bundles it with device reports (docs/formats/composite.md). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"

#define PART_FILE_MAX (1u << 20)

enum { O_NONCE = 256, O_PUB, O_DEVICE, O_CPU, O_CPU_PLATFORM, O_CPU_COLL, O_OUT, O_JSON };

static void composite_usage(FILE *f)
{
    fprintf(f,
            "usage: veritee composite binding --nonce HEX [--pubkey HEX] --device REPORT... [--json]\n"
            "       veritee composite build --cpu FILE [--cpu-platform P] [--cpu-collateral DIR]\n"
            "                               --device REPORT[,FILE...]... --nonce HEX [--pubkey HEX] --out FILE\n\n"
            "A composite binds GPU/NVSwitch reports to the CPU TEE they serve: every device report is\n"
            "collected with the same 32-byte nonce, and the CPU report_data is\n"
            "  SHA-512(\"veritee-composite-v1\" || u32be(32) || nonce || u32be(len) || pubkey\n"
            "          || u32be(n) || SHA-384(device 1) || ... || SHA-384(device n))\n\n"
            "binding  prints that value (hex): ask the CPU TEE for a report with it as report_data\n"
            "build    writes the container (JSON); verify it with 'veritee verify FILE'\n\n"
            "  --nonce HEX          the 32-byte nonce every device report carries\n"
            "  --pubkey HEX         the attester's public key (optional)\n"
            "  --device REPORT[,FILE...]  a device report (NVIDIA SPDM evidence), in order; each FILE\n"
            "                       (its certchain.pem, RIMs or reference values) is carried with it\n"
            "  --cpu FILE           the CPU report (TDX quote, SEV-SNP report, ...)\n"
            "  --cpu-platform P     its platform (default: recognized from the bytes)\n"
            "  --cpu-collateral DIR collateral carried with the CPU report (every file of DIR)\n"
            "  --out FILE           where to write the container\n"
            "  --json               binding: print {\"binding\": HEX}\n");
}

typedef struct dev_arg {
    vt_buf report;
    vt_collateral *certs;
} dev_arg;

static vt_status load_device(dev_arg *d, const char *arg, vt_err *err)
{
    char path[4096];
    const char *comma = strchr(arg, ',');
    size_t n = comma != NULL ? (size_t)(comma - arg) : strlen(arg);
    vt_status rc;

    if (n == 0 || n >= sizeof(path))
        return vt_err_set(err, VT_E_ARG, "composite: --device needs a file name");
    memcpy(path, arg, n);
    path[n] = '\0';
    rc = vt_cli_read(&d->report, path, PART_FILE_MAX, err);
    if (rc != VT_OK || comma == NULL)
        return rc;
    rc = vt_collateral_new(&d->certs, err);
    /* Every further comma-separated file travels with the report (certchain.pem, reference values). */
    while (rc == VT_OK && comma != NULL) {
        const char *f = comma + 1, *next = strchr(f, ',');
        const char *slash;
        vt_buf cb;

        n = next != NULL ? (size_t)(next - f) : strlen(f);
        if (n == 0 || n >= sizeof(path))
            return vt_err_set(err, VT_E_ARG, "composite: --device: empty or overlong file name");
        memcpy(path, f, n);
        path[n] = '\0';
        slash = strrchr(path, '/');
        vt_buf_init(&cb);
        rc = vt_cli_read(&cb, path, PART_FILE_MAX, err);
        if (rc == VT_OK)
            rc = vt_collateral_add(d->certs, slash != NULL ? slash + 1 : path, cb.data, cb.len, err);
        vt_buf_free(&cb);
        comma = next;
    }
    return rc;
}

int vt_cmd_composite(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "nonce", required_argument, NULL, O_NONCE },
        { "pubkey", required_argument, NULL, O_PUB },
        { "device", required_argument, NULL, O_DEVICE },
        { "cpu", required_argument, NULL, O_CPU },
        { "cpu-platform", required_argument, NULL, O_CPU_PLATFORM },
        { "cpu-collateral", required_argument, NULL, O_CPU_COLL },
        { "out", required_argument, NULL, O_OUT },
        { "json", no_argument, NULL, O_JSON },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *devs[VT_COMPOSITE_DEVICES_MAX];
    size_t ndev = 0;
    dev_arg *d = NULL;
    vt_composite_part parts[VT_COMPOSITE_DEVICES_MAX], cpu;
    uint8_t (*digests)[VT_COMPOSITE_DIGEST_LEN] = NULL;
    const char *nonce_hex = NULL, *pub_hex = NULL, *cpu_path = NULL, *cpu_coll = NULL, *out = NULL;
    vt_tee_kind cpu_kind = VT_TEE_NONE;
    bool json = false, build;
    vt_buf nonce, pub, cpu_ev, text;
    vt_collateral *ccoll = NULL;
    uint8_t binding[VT_REPORT_DATA_LEN];
    char hex[2 * VT_REPORT_DATA_LEN + 1];
    vt_err err = { 0 };
    vt_status rc = VT_OK;
    int ch, ex = VT_EXIT_USAGE;

    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        composite_usage(stdout);
        return VT_EXIT_OK;
    }
    if (argc < 2 || (strcmp(argv[1], "binding") != 0 && strcmp(argv[1], "build") != 0)) {
        composite_usage(stderr);
        return vt_cli_usage_error("composite: say 'binding' or 'build'");
    }
    build = strcmp(argv[1], "build") == 0;
    argc--;
    argv++;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (ch) {
        case O_NONCE: nonce_hex = optarg; break;
        case O_PUB: pub_hex = optarg; break;
        case O_DEVICE:
            if (ndev >= VT_COMPOSITE_DEVICES_MAX)
                return vt_cli_usage_error("composite: at most %d devices", VT_COMPOSITE_DEVICES_MAX);
            devs[ndev++] = optarg;
            break;
        case O_CPU: cpu_path = optarg; break;
        case O_CPU_PLATFORM:
            if (vt_tee_parse(&cpu_kind, optarg, &err) != VT_OK)
                return vt_cli_usage_error("%s", err.msg);
            break;
        case O_CPU_COLL: cpu_coll = optarg; break;
        case O_OUT: out = optarg; break;
        case O_JSON: json = true; break;
        case 'h': composite_usage(stdout); return VT_EXIT_OK;
        default: composite_usage(stderr); return VT_EXIT_USAGE;
        }
    }
    if (optind != argc)
        return vt_cli_usage_error("composite: unexpected argument '%s'", argv[optind]);
    if (nonce_hex == NULL || ndev == 0)
        return vt_cli_usage_error("composite: --nonce and at least one --device are required");
    if (build && (cpu_path == NULL || out == NULL))
        return vt_cli_usage_error("composite: build needs --cpu FILE and --out FILE");
    vt_buf_init(&nonce);
    vt_buf_init(&pub);
    vt_buf_init(&cpu_ev);
    vt_buf_init(&text);
    d = calloc(ndev, sizeof(*d));
    digests = calloc(ndev, sizeof(*digests));
    if (d == NULL || digests == NULL) {
        ex = vt_cli_usage_error("out of memory");
        goto out;
    }
    if (vt_hex_decode_buf(&nonce, nonce_hex, strlen(nonce_hex), VT_COMPOSITE_NONCE_LEN, &err) != VT_OK ||
        nonce.len != VT_COMPOSITE_NONCE_LEN) {
        ex = vt_cli_usage_error("composite: --nonce must be %d bytes of hex", VT_COMPOSITE_NONCE_LEN);
        goto out;
    }
    if (pub_hex != NULL && vt_hex_decode_buf(&pub, pub_hex, strlen(pub_hex), VT_COMPOSITE_PUB_MAX, &err) != VT_OK) {
        ex = vt_cli_usage_error("composite: --pubkey: %s", err.msg);
        goto out;
    }
    for (size_t i = 0; i < ndev && rc == VT_OK; i++) {
        rc = load_device(&d[i], devs[i], &err);
        if (rc == VT_OK)
            rc = vt_digest(VT_MD_SHA384, d[i].report.data, d[i].report.len, digests[i], &err);
        parts[i] = (vt_composite_part){ VT_TEE_NONE, d[i].report.data, d[i].report.len, d[i].certs };
    }
    if (rc == VT_OK && !build)
        rc = vt_composite_binding(binding, nonce.data, nonce.len, pub.data, pub.len,
                                  (const uint8_t(*)[VT_COMPOSITE_DIGEST_LEN])digests, ndev, &err);
    if (rc == VT_OK && build) {
        rc = vt_cli_read(&cpu_ev, cpu_path, PART_FILE_MAX, &err);
        if (rc == VT_OK && cpu_coll != NULL) {
            rc = vt_collateral_new(&ccoll, &err);
            if (rc == VT_OK)
                rc = vt_collateral_load_dir(ccoll, cpu_coll, &err);
        }
        cpu = (vt_composite_part){ cpu_kind, cpu_ev.data, cpu_ev.len, ccoll };
        if (rc == VT_OK)
            rc = vt_composite_build(&text, &cpu, parts, ndev, nonce.data, nonce.len, pub.data, pub.len, &err);
        if (rc == VT_OK)
            rc = vt_file_write(out, text.data, text.len, 0644, &err);
    }
    if (rc != VT_OK) {
        ex = vt_cli_fail(rc, &err);
        goto out;
    }
    if (build) {
        if (json)
            printf("{\"composite\": \"%s\", \"devices\": %zu}\n", out, ndev);
        else
            printf("wrote %s (CPU report and %zu device report%s)\n", out, ndev, ndev == 1 ? "" : "s");
    } else {
        vt_hex_encode(hex, binding, sizeof(binding));
        if (json)
            printf("{\"binding\": \"%s\"}\n", hex);
        else
            printf("%s\n", hex);
    }
    ex = VT_EXIT_OK;
out:
    for (size_t i = 0; d != NULL && i < ndev; i++) {
        vt_buf_free(&d[i].report);
        vt_collateral_free(d[i].certs);
    }
    free(d);
    free(digests);
    vt_collateral_free(ccoll);
    vt_buf_free(&nonce);
    vt_buf_free(&pub);
    vt_buf_free(&cpu_ev);
    vt_buf_free(&text);
    return ex;
}
