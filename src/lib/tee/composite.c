/*
 * Composite CPU+device evidence (include/veritee/composite.h,
 * docs/formats/composite.md).  A JSON container holds one CPU report and the
 * device reports collected with the same nonce; each part is verified through
 * vt_evidence_verify (so through its own platform plugin and the caller's
 * policy), and this file adds what no single part can show: every device
 * echoes the composite nonce, every device report is the one the container
 * lists, and the CPU report_data commits to the nonce, the public key and the
 * digest of every device report.  No platform file is included (HS-2): parts
 * go through the registry like any caller's evidence.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "tee/plugin.h"
#include "veritee/composite.h"

#define PART_EVIDENCE_MAX (1u << 20)   /* one part's evidence bytes */
#define PART_COLL_MAX 32               /* collateral blobs per part */
#define PART_COLL_BYTES (4u << 20)     /* collateral bytes per part */
#define PART_COLL_NAME_MAX 64
#define PROBE_WINDOW 256               /* the builder writes "format" first */

static const char tag[] = VT_COMPOSITE_FORMAT;

typedef struct part {
    vt_tee_kind platform;
    vt_buf evidence;
    vt_collateral *coll;               /* NULL when none travels with it */
    uint8_t sha384[VT_COMPOSITE_DIGEST_LEN]; /* listed (devices only) */
    char label[24];                    /* "cpu", "devices[3]": in messages */
    char short_name[8];                /* "cpu", "dev3": claim and signer prefix */
} part;

typedef struct composite {
    uint8_t nonce[VT_COMPOSITE_NONCE_LEN];
    uint8_t pub[VT_COMPOSITE_PUB_MAX];
    size_t pub_len;
    part cpu;
    part dev[VT_COMPOSITE_DEVICES_MAX];
    size_t dev_count;
} composite;

static void composite_clear(composite *c)
{
    part *all[VT_COMPOSITE_DEVICES_MAX + 1];
    size_t n = 0;

    all[n++] = &c->cpu;
    for (size_t i = 0; i < c->dev_count; i++)
        all[n++] = &c->dev[i];
    for (size_t i = 0; i < n; i++) {
        vt_buf_free(&all[i]->evidence);
        vt_collateral_free(all[i]->coll);
        all[i]->coll = NULL;
    }
    c->dev_count = 0;
}

/* ---- the binding ---- */

static void be32(uint8_t out[4], size_t v)
{
    out[0] = (uint8_t)(v >> 24);
    out[1] = (uint8_t)(v >> 16);
    out[2] = (uint8_t)(v >> 8);
    out[3] = (uint8_t)v;
}

vt_status vt_composite_binding(uint8_t out[VT_REPORT_DATA_LEN], const uint8_t *nonce, size_t nonce_len,
                               const uint8_t *pub, size_t pub_len,
                               const uint8_t (*device_sha384)[VT_COMPOSITE_DIGEST_LEN], size_t device_count,
                               vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    vt_digest_ctx *d = NULL;
    uint8_t n[4];

    if (out == NULL || nonce == NULL || nonce_len != VT_COMPOSITE_NONCE_LEN)
        return vt_err_set(err, VT_E_ARG, "composite: the nonce must be %d bytes", VT_COMPOSITE_NONCE_LEN);
    if ((pub == NULL && pub_len > 0) || pub_len > VT_COMPOSITE_PUB_MAX)
        return vt_err_set(err, VT_E_ARG, "composite: public key missing or over %d bytes", VT_COMPOSITE_PUB_MAX);
    if (device_count > VT_COMPOSITE_DEVICES_MAX || (device_sha384 == NULL && device_count > 0))
        return vt_err_set(err, VT_E_ARG, "composite: at most %d devices", VT_COMPOSITE_DEVICES_MAX);
    rc = vt_digest_ctx_new(&d, VT_MD_SHA512, err);
    if (rc == VT_OK)
        rc = vt_digest_ctx_update(d, tag, sizeof(tag) - 1, err);
    be32(n, nonce_len);
    if (rc == VT_OK)
        rc = vt_digest_ctx_update(d, n, 4, err);
    if (rc == VT_OK)
        rc = vt_digest_ctx_update(d, nonce, nonce_len, err);
    be32(n, pub_len);
    if (rc == VT_OK)
        rc = vt_digest_ctx_update(d, n, 4, err);
    if (rc == VT_OK && pub_len > 0)
        rc = vt_digest_ctx_update(d, pub, pub_len, err);
    be32(n, device_count);
    if (rc == VT_OK)
        rc = vt_digest_ctx_update(d, n, 4, err);
    for (size_t i = 0; rc == VT_OK && i < device_count; i++)
        rc = vt_digest_ctx_update(d, device_sha384[i], VT_COMPOSITE_DIGEST_LEN, err);
    if (rc == VT_OK)
        rc = vt_digest_ctx_final(d, out, err);
    vt_digest_ctx_free(d);
    return rc;
}

/* ---- building ---- */

static json_t *b64(const uint8_t *p, size_t len, vt_err *err)
{
    vt_buf b;
    json_t *j = NULL;

    vt_buf_init(&b);
    if (vt_base64_encode(&b, p, len, false, err) == VT_OK && vt_buf_terminate(&b, err) == VT_OK)
        j = json_stringn((const char *)b.data, b.len);
    vt_buf_free(&b);
    return j;
}

static json_t *hexj(const uint8_t *p, size_t len)
{
    char *s = malloc(2 * len + 1);
    json_t *j;

    if (s == NULL)
        return NULL;
    vt_hex_encode(s, p, len);
    j = json_string(s);
    free(s);
    return j;
}

static vt_status build_part(json_t **out, const vt_composite_part *p, bool device, const char *label, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    vt_tee_kind kind;
    json_t *o = NULL, *coll = NULL;
    uint8_t h[VT_COMPOSITE_DIGEST_LEN];

    *out = NULL;
    if (p == NULL || (p->evidence == NULL && p->len > 0) || p->len == 0 || p->len > PART_EVIDENCE_MAX)
        return vt_err_set(err, VT_E_ARG, "composite: %s evidence is missing or over %u bytes", label,
                          PART_EVIDENCE_MAX);
    kind = p->platform != VT_TEE_NONE ? p->platform : vt_evidence_probe(p->evidence, p->len);
    if (kind == VT_TEE_NONE || kind == VT_TEE_COMPOSITE || (!device && kind == VT_TEE_NVGPU))
        return vt_err_set(err, VT_E_ARG, "composite: %s evidence is %s, which cannot be a composite %s", label,
                          vt_tee_name(kind), device ? "device" : "CPU part");
    if (vt_evidence_probe(p->evidence, p->len) != kind)
        return vt_err_set(err, VT_E_ARG, "composite: %s evidence is not %s evidence", label, vt_tee_name(kind));
    o = json_object();
    coll = json_object();
    if (o == NULL || coll == NULL)
        goto nomem;
    if (json_object_set_new(o, "platform", json_string(vt_tee_name(kind))) != 0)
        goto nomem;
    if (device) {
        rc = vt_digest(VT_MD_SHA384, p->evidence, p->len, h, err);
        if (rc != VT_OK)
            goto fail;
        if (json_object_set_new(o, "sha384", hexj(h, sizeof(h))) != 0)
            goto nomem;
    }
    if (json_object_set_new(o, "evidence", b64(p->evidence, p->len, err)) != 0)
        goto nomem;
    for (size_t i = 0; p->collateral != NULL && i < vt_collateral_count(p->collateral); i++) {
        const char *name;
        size_t len;
        const uint8_t *blob = vt_collateral_get(p->collateral, i, &name, &len);

        if (blob == NULL || name == NULL || strlen(name) > PART_COLL_NAME_MAX || i >= PART_COLL_MAX) {
            rc = vt_err_set(err, VT_E_ARG, "composite: %s collateral: at most %d blobs with names of at most %d bytes",
                            label, PART_COLL_MAX, PART_COLL_NAME_MAX);
            goto fail;
        }
        if (json_object_set_new(coll, name, b64(blob, len, err)) != 0)
            goto nomem;
    }
    if (json_object_set_new(o, "collateral", coll) != 0) {
        coll = NULL;
        goto nomem;
    }
    *out = o;
    return VT_OK;
nomem:
    rc = vt_err_set(err, VT_E_NOMEM, "composite: out of memory building %s", label);
fail:
    json_decref(coll);
    json_decref(o);
    return rc;
}

vt_status vt_composite_build(vt_buf *out, const vt_composite_part *cpu, const vt_composite_part *devices,
                             size_t device_count, const uint8_t *nonce, size_t nonce_len, const uint8_t *pub,
                             size_t pub_len, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    json_t *root = NULL, *arr = NULL, *pj = NULL;
    char *text = NULL, label[24];

    if (out == NULL || nonce == NULL || nonce_len != VT_COMPOSITE_NONCE_LEN)
        return vt_err_set(err, VT_E_ARG, "composite: the nonce must be %d bytes", VT_COMPOSITE_NONCE_LEN);
    if ((pub == NULL && pub_len > 0) || pub_len > VT_COMPOSITE_PUB_MAX)
        return vt_err_set(err, VT_E_ARG, "composite: public key missing or over %d bytes", VT_COMPOSITE_PUB_MAX);
    if (device_count == 0 || device_count > VT_COMPOSITE_DEVICES_MAX || devices == NULL)
        return vt_err_set(err, VT_E_ARG, "composite: 1..%d devices needed", VT_COMPOSITE_DEVICES_MAX);
    root = json_object();
    arr = json_array();
    if (root == NULL || arr == NULL || json_object_set_new(root, "format", json_string(tag)) != 0 ||
        json_object_set_new(root, "nonce", hexj(nonce, nonce_len)) != 0 ||
        json_object_set_new(root, "public_key", hexj(pub_len > 0 ? pub : (const uint8_t *)"", pub_len)) != 0) {
        rc = vt_err_set(err, VT_E_NOMEM, "composite: out of memory");
        goto out;
    }
    rc = build_part(&pj, cpu, false, "cpu", err);
    if (rc != VT_OK)
        goto out;
    if (json_object_set_new(root, "cpu", pj) != 0) {
        rc = vt_err_set(err, VT_E_NOMEM, "composite: out of memory");
        goto out;
    }
    for (size_t i = 0; i < device_count; i++) {
        snprintf(label, sizeof(label), "devices[%u]", (unsigned)(i % 100)); /* i < 16 */
        rc = build_part(&pj, &devices[i], true, label, err);
        if (rc != VT_OK)
            goto out;
        if (json_array_append_new(arr, pj) != 0) {
            rc = vt_err_set(err, VT_E_NOMEM, "composite: out of memory");
            goto out;
        }
    }
    rc = json_object_set_new(root, "devices", arr) == 0 ? VT_OK : vt_err_set(err, VT_E_NOMEM, "composite: out of memory");
    arr = NULL;
    if (rc != VT_OK)
        goto out;
    text = json_dumps(root, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
    if (text == NULL) {
        rc = vt_err_set(err, VT_E_NOMEM, "composite: cannot serialize the container");
        goto out;
    }
    if (strlen(text) + 1 > VT_COMPOSITE_MAX) {
        rc = vt_err_set(err, VT_E_LIMIT, "composite: container would exceed %u bytes", VT_COMPOSITE_MAX);
        goto out;
    }
    rc = vt_buf_append(out, text, strlen(text), err);
    if (rc == VT_OK)
        rc = vt_buf_append(out, "\n", 1, err);
out:
    free(text);
    json_decref(arr);
    json_decref(root);
    return rc;
}

/* ---- parsing ---- */

/* A hex string of exactly want bytes (or up to max when want is 0) into out. */
static vt_status get_hex(uint8_t *out, size_t *len_out, const json_t *j, size_t want, size_t max, const char *what,
                         vt_err *err)
{
    const char *s;
    size_t n;

    if (!json_is_string(j))
        return vt_err_set(err, VT_E_FORMAT, "composite: %s is missing or not a string", what);
    s = json_string_value(j);
    n = json_string_length(j);
    if (n % 2 != 0 || (want != 0 && n != 2 * want) || n > 2 * max)
        return vt_err_set(err, VT_E_FORMAT, "composite: %s must be %s%zu bytes of hex", what,
                          want != 0 ? "" : "at most ", want != 0 ? want : max);
    if (vt_hex_decode(out, n / 2, s, n, NULL) != VT_OK)
        return vt_err_set(err, VT_E_FORMAT, "composite: %s is not hex", what);
    if (len_out != NULL)
        *len_out = n / 2;
    return VT_OK;
}

static vt_status get_b64(vt_buf *out, const json_t *j, size_t max, const char *what, vt_err *err)
{
    size_t n;

    if (!json_is_string(j))
        return vt_err_set(err, VT_E_FORMAT, "composite: %s is missing or not a string", what);
    n = json_string_length(j);
    if (n / 4 * 3 > max + 3)
        return vt_err_set(err, VT_E_LIMIT, "composite: %s is over %zu bytes", what, max);
    if (vt_base64_decode(out, json_string_value(j), n, NULL) != VT_OK)
        return vt_err_set(err, VT_E_FORMAT, "composite: %s is not base64", what);
    if (out->len > max)
        return vt_err_set(err, VT_E_LIMIT, "composite: %s is over %zu bytes", what, max);
    return VT_OK;
}

/* Every key of o must be one of keys (a NULL-terminated list). */
static vt_status only_keys(const json_t *o, const char *const *keys, const char *what, vt_err *err)
{
    const char *k;
    json_t *v;

    json_object_foreach((json_t *)o, k, v) {
        bool known = false;
        (void)v;
        for (size_t i = 0; keys[i] != NULL; i++)
            known = known || strcmp(k, keys[i]) == 0;
        if (!known)
            return vt_err_set(err, VT_E_FORMAT, "composite: %s has an unknown member \"%.40s\"", what, k);
    }
    return VT_OK;
}

static vt_status parse_part(part *p, const json_t *j, bool device, vt_err *err)
{
    static const char *const keys[] = { "platform", "sha384", "evidence", "collateral", NULL };
    char what[64];
    const json_t *coll;
    vt_status rc;
    vt_tee_kind probed;
    vt_err e = { 0 };
    const char *k;
    json_t *v;
    size_t total = 0, count = 0;

    if (!json_is_object(j))
        return vt_err_set(err, VT_E_FORMAT, "composite: %s is missing or not an object", p->label);
    rc = only_keys(j, keys, p->label, err);
    if (rc != VT_OK)
        return rc;
    if (!json_is_string(json_object_get(j, "platform")) ||
        vt_tee_parse(&p->platform, json_string_value(json_object_get(j, "platform")), &e) != VT_OK ||
        p->platform == VT_TEE_NONE)
        return vt_err_set(err, VT_E_FORMAT, "composite: %s.platform is missing or not a platform name", p->label);
    if (p->platform == VT_TEE_COMPOSITE || (!device && p->platform == VT_TEE_NVGPU))
        return vt_err_set(err, VT_E_FORMAT, "composite: %s.platform %s is not allowed there", p->label,
                          vt_tee_name(p->platform));
    snprintf(what, sizeof(what), "%s.sha384", p->label);
    if (device) {
        rc = get_hex(p->sha384, NULL, json_object_get(j, "sha384"), VT_COMPOSITE_DIGEST_LEN, VT_COMPOSITE_DIGEST_LEN,
                     what, err);
        if (rc != VT_OK)
            return rc;
    } else if (json_object_get(j, "sha384") != NULL) {
        return vt_err_set(err, VT_E_FORMAT, "composite: cpu has a sha384 member (only devices are listed by digest)");
    }
    snprintf(what, sizeof(what), "%s.evidence", p->label);
    rc = get_b64(&p->evidence, json_object_get(j, "evidence"), PART_EVIDENCE_MAX, what, err);
    if (rc != VT_OK)
        return rc;
    probed = vt_evidence_probe(p->evidence.data, p->evidence.len);
    if (probed != p->platform)
        return vt_err_set(err, VT_E_FORMAT, "composite: %s.evidence is not %s evidence (its bytes look like %s)",
                          p->label, vt_tee_name(p->platform), probed == VT_TEE_NONE ? "nothing known" : vt_tee_name(probed));
    coll = json_object_get(j, "collateral");
    if (coll == NULL)
        return VT_OK;
    if (!json_is_object(coll) || json_object_size(coll) > PART_COLL_MAX)
        return vt_err_set(err, VT_E_FORMAT, "composite: %s.collateral must be an object of at most %d blobs",
                          p->label, PART_COLL_MAX);
    rc = vt_collateral_new(&p->coll, err);
    json_object_foreach((json_t *)coll, k, v) {
        vt_buf b;

        if (rc != VT_OK)
            break;
        if (strlen(k) == 0 || strlen(k) > PART_COLL_NAME_MAX || strchr(k, '/') != NULL) {
            rc = vt_err_set(err, VT_E_FORMAT, "composite: %s.collateral name \"%.40s\" is not a plain file name",
                            p->label, k);
            break;
        }
        snprintf(what, sizeof(what), "%s.collateral[%zu]", p->label, count++);
        vt_buf_init(&b);
        rc = get_b64(&b, v, PART_COLL_BYTES, what, err);
        if (rc == VT_OK && b.len > PART_COLL_BYTES - total)
            rc = vt_err_set(err, VT_E_LIMIT, "composite: %s.collateral is over %u bytes", p->label, PART_COLL_BYTES);
        if (rc == VT_OK) {
            total += b.len;
            rc = vt_collateral_add(p->coll, k, b.data, b.len, err);
        }
        vt_buf_free(&b);
    }
    return rc;
}

static vt_status composite_parse(composite *c, const uint8_t *p, size_t len, vt_err *err)
{
    static const char *const keys[] = { "format", "nonce", "public_key", "cpu", "devices", NULL };
    vt_status rc = VT_E_INTERNAL;
    json_t *root = NULL, *devs;
    json_error_t je;

    memset(c, 0, sizeof(*c));
    snprintf(c->cpu.label, sizeof(c->cpu.label), "cpu");
    snprintf(c->cpu.short_name, sizeof(c->cpu.short_name), "cpu");
    if (len > VT_COMPOSITE_MAX)
        return vt_err_set(err, VT_E_LIMIT, "composite: %zu bytes is over the %u-byte limit", len, VT_COMPOSITE_MAX);
    root = json_loadb((const char *)p, len, JSON_REJECT_DUPLICATES, &je);
    if (root == NULL) {
        rc = vt_err_set(err, VT_E_FORMAT, "composite: not well-formed JSON (line %d: %.80s)", je.line, je.text);
        goto out;
    }
    if (!json_is_object(root)) {
        rc = vt_err_set(err, VT_E_FORMAT, "composite: the container is not a JSON object");
        goto out;
    }
    rc = only_keys(root, keys, "the container", err);
    if (rc != VT_OK)
        goto out;
    if (!json_is_string(json_object_get(root, "format")) ||
        strcmp(json_string_value(json_object_get(root, "format")), tag) != 0) {
        rc = vt_err_set(err, VT_E_UNSUPPORTED, "composite: format is not \"%s\"", tag);
        goto out;
    }
    rc = get_hex(c->nonce, NULL, json_object_get(root, "nonce"), VT_COMPOSITE_NONCE_LEN, VT_COMPOSITE_NONCE_LEN,
                 "nonce", err);
    if (rc == VT_OK)
        rc = get_hex(c->pub, &c->pub_len, json_object_get(root, "public_key"), 0, VT_COMPOSITE_PUB_MAX, "public_key",
                     err);
    if (rc == VT_OK)
        rc = parse_part(&c->cpu, json_object_get(root, "cpu"), false, err);
    if (rc != VT_OK)
        goto out;
    devs = json_object_get(root, "devices");
    if (!json_is_array(devs) || json_array_size(devs) == 0 || json_array_size(devs) > VT_COMPOSITE_DEVICES_MAX) {
        rc = vt_err_set(err, VT_E_FORMAT, "composite: devices must be an array of 1..%d parts",
                        VT_COMPOSITE_DEVICES_MAX);
        goto out;
    }
    for (size_t i = 0; i < json_array_size(devs) && rc == VT_OK; i++) {
        part *d = &c->dev[c->dev_count++];
        snprintf(d->label, sizeof(d->label), "devices[%u]", (unsigned)(i % 100));
        snprintf(d->short_name, sizeof(d->short_name), "dev%u", (unsigned)(i % 100));
        rc = parse_part(d, json_array_get(devs, i), true, err);
    }
out:
    json_decref(root);
    if (rc != VT_OK)
        composite_clear(c);
    return rc;
}

/* ---- verifying ---- */

static bool probe(const uint8_t *p, size_t len)
{
    static const char needle[] = "\"" VT_COMPOSITE_FORMAT "\"";
    size_t n = len < PROBE_WINDOW ? len : PROBE_WINDOW, i = 0;

    while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n'))
        i++;
    if (i >= n || p[i] != '{')
        return false;
    for (; i + sizeof(needle) - 1 <= n; i++)
        if (memcmp(p + i, needle, sizeof(needle) - 1) == 0)
            return true;
    return false;
}

/* Outer collateral (what the caller passed) plus the CPU part's own. */
static vt_status cpu_collateral(vt_collateral **out, const vt_collateral *outer, const vt_collateral *inner,
                                vt_err *err)
{
    const vt_collateral *src[2] = { outer, inner };
    vt_status rc = vt_collateral_new(out, err);

    for (size_t s = 0; s < 2 && rc == VT_OK; s++)
        for (size_t i = 0; src[s] != NULL && i < vt_collateral_count(src[s]) && rc == VT_OK; i++) {
            const char *name;
            size_t len;
            const uint8_t *b = vt_collateral_get(src[s], i, &name, &len);
            rc = vt_collateral_add(*out, name, b, len, err);
        }
    return rc;
}

/* Copies a part's findings, claims and signers into the composite result. */
static void merge(vt_result *res, const vt_result *pr, const part *p, bool first)
{
    vt_claims *c = &res->claims;
    const vt_claims *pc = &pr->claims;
    char role[40], prefix[40];

    snprintf(prefix, sizeof(prefix), "%s (%s)", p->label, vt_tee_name(p->platform));
    for (size_t i = 0; i < pr->error_count; i++)
        vt__result_fail(res, pr->errors[i].check, "%s: %s", prefix, pr->errors[i].msg);
    for (size_t i = 0; i < pr->warning_count; i++)
        vt__result_warn(res, pr->warnings[i].check, "%s: %s", prefix, pr->warnings[i].msg);
    res->signature_valid = (first || res->signature_valid) && pr->signature_valid;
    res->chain_valid = (first || res->chain_valid) && pr->chain_valid;
    res->collateral_verified = (first || res->collateral_verified) && pr->collateral_verified;
    c->hardware_attested = (first || c->hardware_attested) && pc->hardware_attested;
    c->debug = c->debug || pc->debug;
    if (pc->not_before != 0 || pc->not_after != 0)
        vt__claims_window(c, pc->not_before, pc->not_after);
    for (size_t i = 0; i < pc->signer_count; i++) {
        snprintf(role, sizeof(role), "%s.%s", p->short_name, pc->signers[i].role);
        vt__claims_add_signer(c, role, pc->signers[i].value);
    }
}

/* Composite claims: nonce, public key, binding, each device's digest, then
 * the CPU's claims as cpu.<name>, then each device's fwid when room is left. */
static void add_claims(vt_result *res, const composite *c, const vt_result *cpu, vt_result *const *dev,
                       const uint8_t binding[VT_REPORT_DATA_LEN])
{
    vt_claims *cl = &res->claims;
    char name[VT_CLAIM_NAME_MAX + 16];
    uint8_t h[32];

    vt__claims_add(cl, "nonce", c->nonce, sizeof(c->nonce));
    if (c->pub_len == 0)
        ; /* nothing bound besides the nonce */
    else if (c->pub_len <= VT_CLAIM_VALUE_MAX)
        vt__claims_add(cl, "public_key", c->pub, c->pub_len);
    else if (vt_digest(VT_MD_SHA256, c->pub, c->pub_len, h, NULL) == VT_OK)
        vt__claims_add(cl, "public_key_sha256", h, sizeof(h));
    vt__claims_add(cl, "binding", binding, VT_REPORT_DATA_LEN);
    vt__claims_add_text(cl, "cpu_platform", vt_tee_name(c->cpu.platform)); /* whose rules the cpu.* claims take */
    for (size_t i = 0; i < c->dev_count; i++) {
        snprintf(name, sizeof(name), "dev%zu.sha384", i);
        vt__claims_add(cl, name, c->dev[i].sha384, VT_COMPOSITE_DIGEST_LEN);
    }
    for (size_t i = 0; i < cpu->claims.field_count && cl->field_count < VT_CLAIMS_MAX; i++) {
        const vt_claim *f = &cpu->claims.fields[i];
        int n = snprintf(name, sizeof(name), "cpu.%s", f->name);
        if (n > 0 && (size_t)n < VT_CLAIM_NAME_MAX)
            vt__claims_copy(cl, name, f);
    }
    for (size_t i = 0; i < c->dev_count && cl->field_count < VT_CLAIMS_MAX; i++) {
        const vt_claim *f = vt_claims_get(&dev[i]->claims, "fwid");
        snprintf(name, sizeof(name), "dev%zu.fwid", i);
        if (f != NULL)
            vt__claims_add(cl, name, f->value, f->len);
    }
    for (size_t i = 0; i < cpu->claims.advisory_count; i++)
        vt__claims_add_advisory(cl, cpu->claims.advisory_ids[i]);
}

/* Verifies one part with the caller's policy; its own nonce rules are ours. */
static vt_status verify_part(vt_result *pr, const part *p, const vt_collateral *coll, const vt__verify_req *req,
                             bool cpu, vt_err *err)
{
    vt_verify_opts o = *req->opts;

    o.platform = p->platform;
    o.collateral = coll;
    o.expected_report_data = NULL;
    o.expected_report_data_len = 0;
    if (!cpu)
        o.mlog = NULL; /* a measurement log describes the CPU TEE */
    return vt_evidence_verify(pr, p->evidence.data, p->evidence.len, &o, err);
}

static vt_status composite_verify(const vt__verify_req *req, vt_result *res, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    composite *c = NULL;
    vt_result *cpu = NULL, *dev[VT_COMPOSITE_DEVICES_MAX] = { NULL };
    vt_collateral *ccoll = NULL;
    uint8_t (*digests)[VT_COMPOSITE_DIGEST_LEN] = NULL;
    uint8_t binding[VT_REPORT_DATA_LEN], h[VT_COMPOSITE_DIGEST_LEN], padded[VT_REPORT_DATA_LEN];
    vt_err e = { 0 };
    const void *parts[2];
    size_t lens[2];

    res->claims.platform = VT_TEE_COMPOSITE;
    snprintf(res->claims.tcb_status, sizeof(res->claims.tcb_status), "%s", "unknown");
    c = calloc(1, sizeof(*c));
    cpu = calloc(1, sizeof(*cpu));
    digests = calloc(VT_COMPOSITE_DEVICES_MAX, sizeof(*digests));
    if (c == NULL || cpu == NULL || digests == NULL) {
        rc = vt_err_set(err, VT_E_NOMEM, "composite: out of memory");
        goto out;
    }
    rc = composite_parse(c, req->evidence, req->len, &e);
    if (rc != VT_OK) {
        vt__result_fail(res, "composite_format", "%s", e.msg);
        rc = vt_err_set(err, rc, "%s", e.msg);
        goto out;
    }
    /* The CPU part, with the caller's collateral and the part's own. */
    rc = cpu_collateral(&ccoll, req->opts->collateral, c->cpu.coll, err);
    if (rc != VT_OK)
        goto out;
    rc = verify_part(cpu, &c->cpu, ccoll, req, true, &e);
    if (rc != VT_OK) {
        rc = vt_err_set(err, rc, "composite: cpu (%s): %s", vt_tee_name(c->cpu.platform), e.msg);
        goto out;
    }
    merge(res, cpu, &c->cpu, true);
    res->claims.version = 1;
    snprintf(res->claims.tcb_status, sizeof(res->claims.tcb_status), "%s", cpu->claims.tcb_status);
    memcpy(padded, c->nonce, sizeof(c->nonce));
    memset(padded + sizeof(c->nonce), 0, sizeof(padded) - sizeof(c->nonce));
    for (size_t i = 0; i < c->dev_count; i++) {
        part *p = &c->dev[i];

        dev[i] = calloc(1, sizeof(*dev[i]));
        if (dev[i] == NULL) {
            rc = vt_err_set(err, VT_E_NOMEM, "composite: out of memory");
            goto out;
        }
        rc = verify_part(dev[i], p, p->coll, req, false, &e);
        if (rc != VT_OK) {
            rc = vt_err_set(err, rc, "composite: %s (%s): %s", p->label, vt_tee_name(p->platform), e.msg);
            goto out;
        }
        merge(res, dev[i], p, false);
        /* The composite is only as current as its least current part ("Unknown" counts). */
        if (strcmp(dev[i]->claims.tcb_status, "unknown") == 0)
            snprintf(res->claims.tcb_status, sizeof(res->claims.tcb_status), "%s", "unknown");
        else if (strcmp(res->claims.tcb_status, "UpToDate") == 0 && strcmp(dev[i]->claims.tcb_status, "UpToDate") != 0)
            snprintf(res->claims.tcb_status, sizeof(res->claims.tcb_status), "%s", dev[i]->claims.tcb_status);
        rc = vt_digest(VT_MD_SHA384, p->evidence.data, p->evidence.len, h, err);
        if (rc != VT_OK)
            goto out;
        if (!vt_ct_equal(h, p->sha384, sizeof(h)))
            vt__result_fail(res, "binding",
                            "composite: %s (%s) is not the report the CPU committed to: its SHA-384 differs from "
                            "%s.sha384 (spliced in from elsewhere?)",
                            p->label, vt_tee_name(p->platform), p->label);
        if (!vt_ct_equal(dev[i]->claims.report_data, padded, sizeof(padded)))
            vt__result_fail(res, "binding",
                            "composite: %s (%s) was not collected with the composite nonce (a report from another "
                            "attestation?)",
                            p->label, vt_tee_name(p->platform));
        memcpy(digests[i], p->sha384, VT_COMPOSITE_DIGEST_LEN);
    }
    rc = vt_composite_binding(binding, c->nonce, sizeof(c->nonce), c->pub, c->pub_len,
                              (const uint8_t(*)[VT_COMPOSITE_DIGEST_LEN])digests, c->dev_count, err);
    if (rc != VT_OK)
        goto out;
    if (!vt_ct_equal(cpu->claims.report_data, binding, sizeof(binding)))
        vt__result_fail(res, "binding",
                        "composite: cpu (%s) report_data does not commit to this nonce, public key and these %zu "
                        "device reports",
                        vt_tee_name(c->cpu.platform), c->dev_count);
    add_claims(res, c, cpu, dev, binding);
    /* What --nonce/--pubkey expect: the composite's own nonce binding. */
    parts[0] = c->nonce;
    lens[0] = sizeof(c->nonce);
    parts[1] = c->pub;
    lens[1] = c->pub_len;
    rc = vt_digestv(VT_MD_SHA512, parts, lens, 2, res->claims.report_data, err);
out:
    for (size_t i = 0; i < VT_COMPOSITE_DEVICES_MAX; i++)
        free(dev[i]);
    free(cpu);
    free(digests);
    vt_collateral_free(ccoll);
    if (c != NULL) {
        composite_clear(c);
        free(c);
    }
    res->claims.platform = VT_TEE_COMPOSITE;
    return rc;
}

/* ---- inspect ---- */

static json_t *inspect_part(const part *p, bool device)
{
    json_t *o = json_object(), *names = json_array(), *sub = NULL;
    char *text = NULL;
    vt_err e = { 0 };
    uint8_t h[VT_COMPOSITE_DIGEST_LEN];

    json_object_set_new(o, "platform", json_string(vt_tee_name(p->platform)));
    if (device) {
        json_object_set_new(o, "sha384", hexj(p->sha384, sizeof(p->sha384)));
        if (vt_digest(VT_MD_SHA384, p->evidence.data, p->evidence.len, h, NULL) == VT_OK)
            json_object_set_new(o, "sha384_matches_evidence", json_boolean(vt_ct_equal(h, p->sha384, sizeof(h))));
    }
    json_object_set_new(o, "evidence_length", json_integer((json_int_t)p->evidence.len));
    for (size_t i = 0; p->coll != NULL && i < vt_collateral_count(p->coll); i++) {
        const char *name = NULL;
        size_t len;
        if (vt_collateral_get(p->coll, i, &name, &len) != NULL && name != NULL)
            json_array_append_new(names, json_string(name));
    }
    json_object_set_new(o, "collateral", names);
    if (vt_evidence_inspect(&text, p->platform, p->evidence.data, p->evidence.len, &e) == VT_OK)
        sub = json_loads(text, 0, NULL);
    json_object_set_new(o, "inspect", sub != NULL ? sub : json_pack("{s:s}", "error", e.msg));
    free(text);
    return o;
}

static vt_status composite_inspect(const uint8_t *p, size_t len, char **json_out, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    composite *c = calloc(1, sizeof(*c));
    uint8_t (*digests)[VT_COMPOSITE_DIGEST_LEN] = calloc(VT_COMPOSITE_DEVICES_MAX, sizeof(*digests));
    uint8_t binding[VT_REPORT_DATA_LEN];
    json_t *o = NULL, *devs;

    *json_out = NULL;
    if (c == NULL || digests == NULL) {
        rc = vt_err_set(err, VT_E_NOMEM, "composite: out of memory");
        goto out;
    }
    rc = composite_parse(c, p, len, err);
    if (rc != VT_OK)
        goto out;
    for (size_t i = 0; i < c->dev_count; i++)
        memcpy(digests[i], c->dev[i].sha384, VT_COMPOSITE_DIGEST_LEN);
    rc = vt_composite_binding(binding, c->nonce, sizeof(c->nonce), c->pub, c->pub_len,
                              (const uint8_t(*)[VT_COMPOSITE_DIGEST_LEN])digests, c->dev_count, err);
    if (rc != VT_OK)
        goto out;
    o = json_object();
    devs = json_array();
    json_object_set_new(o, "platform", json_string("composite"));
    json_object_set_new(o, "format", json_string(tag));
    json_object_set_new(o, "nonce", hexj(c->nonce, sizeof(c->nonce)));
    json_object_set_new(o, "public_key", hexj(c->pub, c->pub_len));
    json_object_set_new(o, "binding", hexj(binding, sizeof(binding)));
    json_object_set_new(o, "cpu", inspect_part(&c->cpu, false));
    for (size_t i = 0; i < c->dev_count; i++)
        json_array_append_new(devs, inspect_part(&c->dev[i], true));
    json_object_set_new(o, "devices", devs);
    *json_out = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    rc = *json_out != NULL ? VT_OK : vt_err_set(err, VT_E_NOMEM, "composite: cannot serialize as JSON");
out:
    json_decref(o);
    if (c != NULL) {
        composite_clear(c);
        free(c);
    }
    free(digests);
    return rc;
}

const vt__tee_ops vt__tee_composite = {
    .abi = VT_TEE_OPS_ABI,
    .kind = VT_TEE_COMPOSITE,
    .name = "composite",
    .caps = VT_TEE_CAN_VERIFY | VT_TEE_POLICY_IN_PARTS,
    .probe = probe,
    .detect = NULL,
    .collect = NULL, /* assembled by the attester from parts: vt_composite_build */
    .verify = composite_verify,
    .inspect = composite_inspect,
};
