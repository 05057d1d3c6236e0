/* Helpers shared by the commands: exit statuses, errors, state dir, input. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "cli.h"

int vt_cli_exit(vt_status rc)
{
    switch (rc) {
    case VT_OK: return VT_EXIT_OK;
    case VT_E_CRYPTO:
    case VT_E_POLICY: return VT_EXIT_REJECTED;
    default: return VT_EXIT_USAGE;
    }
}

int vt_cli_usage_error(const char *fmt, ...)
{
    va_list ap;

    fputs("veritee: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return VT_EXIT_USAGE;
}

int vt_cli_fail(vt_status rc, const vt_err *err)
{
    fprintf(stderr, "veritee: %s\n", err->msg[0] ? err->msg : vt_status_str(rc));
    return vt_cli_exit(rc);
}

const char *vt_cli_state_dir(const char *flag)
{
    static char buf[4096];
    const char *v = flag, *home;

    if (v == NULL || *v == '\0')
        v = getenv("VERITEE_STATE");
    if (v != NULL && *v != '\0')
        return v;
    home = getenv("HOME");
    snprintf(buf, sizeof(buf), "%s/.local/state/veritee", home != NULL && *home ? home : "/tmp");
    return buf;
}

bool vt_cli_env_platform(vt_tee_kind *platform, bool *simulate, bool platform_flag, bool simulate_flag)
{
    const char *sim = getenv("VERITEE_SIMULATE"), *tee = getenv("VERITEE_TEE");
    vt_tee_kind k = VT_TEE_NONE;
    vt_err err = { 0 };

    if (sim != NULL && *sim != '\0' && !simulate_flag) {
        if (vt_tee_parse(&k, sim, &err) != VT_OK || k == VT_TEE_MOCK) {
            vt_cli_usage_error("VERITEE_SIMULATE=%.32s: not a simulated platform (tdx, sevsnp, nitro, nvgpu, tpm)", sim);
            return false;
        }
        if (!platform_flag)
            *platform = k;
        *simulate = *platform == k; /* --platform naming another TEE wins: no simulation */
        return true;
    }
    if (tee != NULL && *tee != '\0' && !platform_flag && !simulate_flag) {
        if (vt_tee_parse(&k, tee, &err) != VT_OK) {
            vt_cli_usage_error("VERITEE_TEE=%.32s: %s", tee, err.msg);
            return false;
        }
        *platform = k;
    }
    return true;
}

vt_status vt_cli_read(vt_buf *out, const char *path, size_t max, vt_err *err)
{
    if (strcmp(path, "-") != 0)
        return vt_file_read(out, path, max, err);
    for (;;) {
        ssize_t n;
        vt_status rc = vt_buf_reserve(out, 65536, err);
        if (rc != VT_OK)
            return rc;
        n = read(0, out->data + out->len, 65536);
        if (n < 0)
            return vt_err_set(err, VT_E_IO, "cli: cannot read standard input");
        if (n == 0)
            return VT_OK;
        out->len += (size_t)n;
        if (out->len > max)
            return vt_err_set(err, VT_E_LIMIT, "cli: standard input exceeds %zu bytes", max);
    }
}

vt_status vt_cli_report_data(uint8_t out[64], size_t *len_out, const char *rd_hex, const char *nonce_hex,
                             const char *pub_hex, vt_err *err)
{
    vt_buf a, b;
    vt_status rc = VT_OK;

    memset(out, 0, 64);
    *len_out = 0;
    if (rd_hex != NULL && nonce_hex != NULL)
        return vt_err_set(err, VT_E_ARG, "cli: give --report-data or --nonce, not both");
    if (pub_hex != NULL && nonce_hex == NULL)
        return vt_err_set(err, VT_E_ARG, "cli: --pubkey needs --nonce");
    vt_buf_init(&a);
    vt_buf_init(&b);
    if (rd_hex != NULL) {
        rc = vt_hex_decode_buf(&a, rd_hex, strlen(rd_hex), 64, err);
        if (rc == VT_OK) {
            memcpy(out, a.data, a.len);
            *len_out = a.len; /* out is zero-padded: platforms compare the whole slot, TPM the exact length */
        }
    } else if (nonce_hex != NULL) {
        rc = vt_hex_decode_buf(&a, nonce_hex, strlen(nonce_hex), 1024, err);
        if (rc == VT_OK && a.len == 0)
            rc = vt_err_set(err, VT_E_ARG, "cli: --nonce is empty");
        if (rc == VT_OK && pub_hex != NULL)
            rc = vt_hex_decode_buf(&b, pub_hex, strlen(pub_hex), 1024, err);
        if (rc == VT_OK)
            rc = vt_report_data_bind(out, a.data, a.len, b.data, b.len, err);
        if (rc == VT_OK)
            *len_out = 64;
    }
    vt_buf_free(&a);
    vt_buf_free(&b);
    return rc;
}

/* PRODUCT:name=N,name=N... into snp[PRODUCT] = {name: N}; the verifier checks names and ranges. */
int vt_cli_snp_min_tcb(json_t *snp, const char *arg, const char *cmd)
{
    char buf[256], *colon, *p, *next;
    json_t *o;

    if (snprintf(buf, sizeof(buf), "%s", arg) >= (int)sizeof(buf) || (colon = strchr(buf, ':')) == NULL ||
        colon == buf || colon[1] == '\0') {
        vt_cli_usage_error("%s: --sevsnp-min-tcb PRODUCT:bootloader=N,tee=N,snp=N,microcode=N[,fmc=N]", cmd);
        return -1;
    }
    *colon = '\0';
    o = json_object();
    for (p = colon + 1; p != NULL; p = next) {
        char *eq = strchr(p, '='), *end;
        long v;
        next = strchr(p, ',');
        if (next != NULL)
            *next++ = '\0';
        if (eq == NULL || eq == p) {
            json_decref(o);
            vt_cli_usage_error("%s: --sevsnp-min-tcb: '%s' is not NAME=N", cmd, p);
            return -1;
        }
        *eq = '\0';
        v = strtol(eq + 1, &end, 10);
        if (*end != '\0' || eq[1] == '\0') {
            json_decref(o);
            vt_cli_usage_error("%s: --sevsnp-min-tcb: %s is not a number", cmd, p);
            return -1;
        }
        json_object_set_new(o, p, json_integer(v));
    }
    json_object_set_new(snp, buf, o);
    return 0;
}

vt_status vt_cli_read_key32(uint8_t key[32], const char *path, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    vt_buf b;
    size_t s = 0, e;

    vt_buf_init(&b);
    rc = vt_file_read_private(&b, path, 256, err);
    if (rc != VT_OK)
        goto out;
    e = b.len;
    if (e == 32) {
        memcpy(key, b.data, 32);
        goto out;
    }
    while (s < e && isspace(b.data[s]))
        s++;
    while (e > s && isspace(b.data[e - 1]))
        e--;
    if (e - s != 64 || vt_hex_decode(key, 32, (const char *)b.data + s, 64, NULL) != VT_OK)
        rc = vt_err_set(err, VT_E_FORMAT, "key: %s is not a 32-byte key (64 hex characters or 32 raw bytes)", path);
out:
    if (b.data != NULL)
        OPENSSL_cleanse(b.data, b.len);
    vt_buf_free(&b);
    return rc;
}
