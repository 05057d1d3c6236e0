/* Environments: the reference values and policy of one deployment, parsed
 * from untrusted JSON (an API body or a file) with every field checked. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "appraise_int.h"

#define ENV_MAX_AGE_LIMIT 86400           /* a day: older evidence says nothing about now */
#define ENV_LIFETIME_LIMIT (30 * 86400)   /* keyrings must keep keys at least this long */

static const struct {
    const char *name;
    int rank;
} tcb_ranks[] = {
    { "UpToDate", 0 },
    { "SWHardeningNeeded", 1 },
    { "ConfigurationNeeded", 2 },
    { "ConfigurationAndSWHardeningNeeded", 2 },
    { "OutOfDate", 3 },
    { "OutOfDateConfigurationNeeded", 3 },
    { "Revoked", 4 },
};

int vt__tcb_rank(const char *status)
{
    for (size_t i = 0; i < sizeof(tcb_ranks) / sizeof(tcb_ranks[0]); i++)
        if (strcmp(status, tcb_ranks[i].name) == 0)
            return tcb_ranks[i].rank;
    return -1;
}

bool vt_deployment_type_valid(const char *type)
{
    static const char *const types[] = { "full", "model", "app", "bridge" };
    for (size_t i = 0; type != NULL && i < sizeof(types) / sizeof(types[0]); i++)
        if (strcmp(type, types[i]) == 0)
            return true;
    return false;
}

bool vt_env_id_valid(const char *id)
{
    size_t n;

    if (id == NULL)
        return false;
    n = strlen(id);
    if (n == 0 || n >= VT_ENV_ID_MAX || id[0] == '.' || id[0] == '-')
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = id[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
              c == '-'))
            return false;
    }
    return true;
}

static bool claim_name_ok(const char *s)
{
    size_t n = strlen(s);

    if (n == 0 || n >= VT_CLAIM_NAME_MAX || s[0] == '.' || s[n - 1] == '.')
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_' || s[i] == '.'))
            return false;
    return true;
}

static vt_status hex_field(uint8_t *out, size_t *out_len, size_t max, const json_t *v, const char *field,
                           vt_err *err)
{
    vt_buf b;
    vt_status rc;
    size_t n;

    if (!json_is_string(v))
        return vt_err_set(err, VT_E_FORMAT, "env: %s is not a hex string", field);
    n = json_string_length(v);
    if (n == 0)
        return vt_err_set(err, VT_E_FORMAT, "env: %s is empty", field);
    if (n > 2 * max)
        return vt_err_set(err, VT_E_LIMIT, "env: %s is longer than %zu bytes", field, max);
    vt_buf_init(&b);
    rc = vt_hex_decode_buf(&b, json_string_value(v), n, max, NULL);
    if (rc == VT_OK) {
        memcpy(out, b.data, b.len);
        *out_len = b.len;
    } else {
        rc = vt_err_set(err, VT_E_FORMAT, "env: %s is not valid hex", field);
    }
    vt_buf_free(&b);
    return rc;
}

static vt_status parse_platforms(vt_env *env, const json_t *v, vt_err *err)
{
    size_t i;
    json_t *p;

    if (!json_is_array(v))
        return vt_err_set(err, VT_E_FORMAT, "env: platforms is not an array of platform names");
    json_array_foreach(v, i, p) {
        vt_tee_kind k;
        if (!json_is_string(p) || vt_tee_parse(&k, json_string_value(p), NULL) != VT_OK || k == VT_TEE_NONE)
            return vt_err_set(err, VT_E_FORMAT, "env: platforms[%zu] is not a platform name (mock, tdx, sevsnp, nitro, tpm, nvgpu)", i);
        if (env->platforms & (1u << k))
            return vt_err_set(err, VT_E_FORMAT, "env: platforms lists %s twice", vt_tee_name(k));
        env->platforms |= 1u << k;
    }
    return VT_OK;
}

static vt_status parse_registers(vt_env *env, const json_t *v, vt_err *err)
{
    const char *name;
    json_t *val;
    char field[64];
    vt_status rc;

    if (!json_is_object(v))
        return vt_err_set(err, VT_E_FORMAT, "env: registers is not an object of name: hex");
    if (json_object_size(v) > VT_ENV_MAX_VALUES)
        return vt_err_set(err, VT_E_LIMIT, "env: registers has more than %d entries", VT_ENV_MAX_VALUES);
    json_object_foreach((json_t *)v, name, val) {
        vt_env_register *r = &env->registers[env->register_count];
        if (!claim_name_ok(name))
            return vt_err_set(err, VT_E_FORMAT, "env: registers: \"%.32s\" is not a claim name ([a-z0-9_.], < %d)",
                              name, VT_CLAIM_NAME_MAX);
        snprintf(field, sizeof(field), "registers.%s", name);
        rc = hex_field(r->value, &r->len, VT_CLAIM_VALUE_MAX, val, field, err);
        if (rc != VT_OK)
            return rc;
        snprintf(r->name, sizeof(r->name), "%s", name);
        env->register_count++;
    }
    return VT_OK;
}

static vt_status parse_components(vt_env *env, const json_t *v, vt_err *err)
{
    const char *name;
    json_t *list;

    if (!json_is_object(v))
        return vt_err_set(err, VT_E_FORMAT, "env: components is not an object");
    json_object_foreach((json_t *)v, name, list) {
        vt_submod s = VT_SUBMOD_COUNT;
        size_t i;
        json_t *d;

        for (int k = VT_SUBMOD_MODEL; k < VT_SUBMOD_COUNT; k++)
            if (strcmp(name, vt_submod_name((vt_submod)k)) == 0)
                s = (vt_submod)k;
        if (s == VT_SUBMOD_COUNT)
            return vt_err_set(err, VT_E_FORMAT, "env: components.%.32s is not a component (model, auditors, runtime, config)",
                              name);
        if (!json_is_array(list))
            return vt_err_set(err, VT_E_FORMAT, "env: components.%s is not an array of hex digests", name);
        if (json_array_size(list) == 0)
            return vt_err_set(err, VT_E_FORMAT, "env: components.%s is empty (leave it out to not appraise %s)",
                              name, name);
        if (json_array_size(list) > VT_ENV_MAX_VALUES)
            return vt_err_set(err, VT_E_LIMIT, "env: components.%s has more than %d digests", name,
                              VT_ENV_MAX_VALUES);
        json_array_foreach(list, i, d) {
            vt_env_digest *dg = &env->digests[s][i];
            char field[64];
            vt_status rc;

            snprintf(field, sizeof(field), "components.%s[%zu]", name, i);
            rc = hex_field(dg->value, &dg->len, VT_MD_MAX, d, field, err);
            if (rc != VT_OK)
                return rc;
            if (dg->len != 32 && dg->len != 48 && dg->len != 64)
                return vt_err_set(err, VT_E_FORMAT, "env: %s is %zu bytes, not a SHA-256/384/512 digest", field,
                                  dg->len);
        }
        env->digest_count[s] = json_array_size(list);
    }
    return VT_OK;
}

static vt_status parse_seconds(int64_t *out, const json_t *v, const char *field, int64_t max, vt_err *err)
{
    if (!json_is_integer(v) || json_integer_value(v) <= 0 || json_integer_value(v) > max)
        return vt_err_set(err, VT_E_FORMAT, "env: %s must be an integer number of seconds in 1..%lld", field,
                          (long long)max);
    *out = (int64_t)json_integer_value(v);
    return VT_OK;
}

static vt_status parse_bool(bool *out, const json_t *v, const char *field, vt_err *err)
{
    if (!json_is_boolean(v))
        return vt_err_set(err, VT_E_FORMAT, "env: %s must be true or false", field);
    *out = json_is_true(v);
    return VT_OK;
}

static const char *const snp_products[VT_ENV_SNP_PRODUCTS] = { "milan", "genoa", "turin" };

static vt_status parse_spl(uint8_t *out, const json_t *o, const char *product, const char *name, vt_err *err)
{
    const json_t *v = json_object_get(o, name);

    if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 255)
        return vt_err_set(err, VT_E_FORMAT, "env: sevsnp_min_tcb.%s.%s must be an SPL value 0..255", product, name);
    *out = (uint8_t)json_integer_value(v);
    return VT_OK;
}

/* {"milan": {"bootloader":n, "tee":n, "snp":n, "microcode":n}, "turin": {... "fmc":n}} */
static vt_status parse_snp_min_tcb(vt_env *env, const json_t *v, vt_err *err)
{
    const char *prod, *key;
    json_t *o, *x;
    vt_status rc = VT_OK;

    if (!json_is_object(v))
        return vt_err_set(err, VT_E_FORMAT, "env: sevsnp_min_tcb is not an object of product line: TCB");
    json_object_foreach((json_t *)v, prod, o) {
        int p = -1;
        bool turin;
        vt_env_snp_tcb *t;

        for (int i = 0; i < VT_ENV_SNP_PRODUCTS; i++)
            if (strcmp(prod, snp_products[i]) == 0)
                p = i;
        if (p < 0)
            return vt_err_set(err, VT_E_FORMAT, "env: sevsnp_min_tcb.%.32s is not a product line (milan, genoa, turin)",
                              prod);
        if (!json_is_object(o))
            return vt_err_set(err, VT_E_FORMAT, "env: sevsnp_min_tcb.%s is not an object", prod);
        turin = p == 2;
        json_object_foreach(o, key, x) {
            if (strcmp(key, "bootloader") != 0 && strcmp(key, "tee") != 0 && strcmp(key, "snp") != 0 &&
                strcmp(key, "microcode") != 0 && !(turin && strcmp(key, "fmc") == 0))
                return vt_err_set(err, VT_E_FORMAT, "env: sevsnp_min_tcb.%s.%.32s is not a TCB component (%s)", prod,
                                  key, turin ? "fmc, bootloader, tee, snp, microcode" : "bootloader, tee, snp, microcode");
        }
        t = &env->snp_min_tcb[p];
        rc = parse_spl(&t->bootloader, o, prod, "bootloader", err);
        if (rc == VT_OK)
            rc = parse_spl(&t->tee, o, prod, "tee", err);
        if (rc == VT_OK)
            rc = parse_spl(&t->snp, o, prod, "snp", err);
        if (rc == VT_OK)
            rc = parse_spl(&t->microcode, o, prod, "microcode", err);
        if (rc == VT_OK && turin)
            rc = parse_spl(&t->fmc, o, prod, "fmc", err);
        if (rc != VT_OK)
            return rc;
        t->set = true;
    }
    return VT_OK;
}

/* TD_ATTRIBUTES as 16 hex digits in the quote's byte order (as `veritee inspect` shows it). */
static vt_status parse_attr(uint64_t *out, const json_t *v, const char *field, vt_err *err)
{
    uint8_t b[8];
    size_t n = 0;
    vt_status rc;

    if (!json_is_string(v) || json_string_length(v) != 16)
        return vt_err_set(err, VT_E_FORMAT, "env: %s must be 16 hex digits (8 bytes, quote byte order)", field);
    rc = hex_field(b, &n, sizeof(b), v, field, err);
    if (rc != VT_OK)
        return rc;
    *out = 0;
    for (int i = 7; i >= 0; i--)
        *out = (*out << 8) | b[i];
    return VT_OK;
}

static json_t *attr_json(uint64_t v)
{
    uint8_t b[8];

    for (int i = 0; i < 8; i++)
        b[i] = (uint8_t)(v >> (8 * i));
    return vt__hex_json(b, sizeof(b));
}

static vt_status parse_fields(vt_env *env, const json_t *doc, vt_err *err)
{
    const char *key;
    json_t *v;
    vt_status rc = VT_OK;

    json_object_foreach((json_t *)doc, key, v) {
        if (strcmp(key, "id") == 0) {
            if (!json_is_string(v) || !vt_env_id_valid(json_string_value(v)))
                return vt_err_set(err, VT_E_FORMAT, "env: id must be 1..%d characters of [A-Za-z0-9._-], not starting with '.' or '-'",
                                  VT_ENV_ID_MAX - 1);
            snprintf(env->id, sizeof(env->id), "%s", json_string_value(v));
        } else if (strcmp(key, "deployment_type") == 0) {
            if (!json_is_string(v) || !vt_deployment_type_valid(json_string_value(v)))
                return vt_err_set(err, VT_E_FORMAT, "env: deployment_type must be full, model, app or bridge");
            snprintf(env->deployment_type, sizeof(env->deployment_type), "%s", json_string_value(v));
        } else if (strcmp(key, "description") == 0) {
            const char *s = json_string_value(v);
            if (s == NULL || json_string_length(v) >= sizeof(env->description))
                return vt_err_set(err, VT_E_FORMAT, "env: description must be a string of at most %zu bytes",
                                  sizeof(env->description) - 1);
            for (size_t i = 0; s[i]; i++)
                if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
                    return vt_err_set(err, VT_E_FORMAT, "env: description contains a control character");
            snprintf(env->description, sizeof(env->description), "%s", s);
        } else if (strcmp(key, "platforms") == 0) {
            rc = parse_platforms(env, v, err);
        } else if (strcmp(key, "registers") == 0) {
            rc = parse_registers(env, v, err);
        } else if (strcmp(key, "components") == 0) {
            rc = parse_components(env, v, err);
        } else if (strcmp(key, "min_tcb_status") == 0) {
            const char *s = json_string_value(v);
            if (s == NULL || (strcmp(s, "any") != 0 && (vt__tcb_rank(s) < 0 || vt__tcb_rank(s) > 3)))
                return vt_err_set(err, VT_E_FORMAT, "env: min_tcb_status must be UpToDate, SWHardeningNeeded, "
                                                    "ConfigurationNeeded, OutOfDate or any");
            snprintf(env->min_tcb_status, sizeof(env->min_tcb_status), "%s", s);
        } else if (strcmp(key, "allow_debug") == 0) {
            rc = parse_bool(&env->allow_debug, v, key, err);
        } else if (strcmp(key, "allow_simulated") == 0) {
            rc = parse_bool(&env->allow_simulated, v, key, err);
        } else if (strcmp(key, "max_evidence_age") == 0) {
            rc = parse_seconds(&env->max_evidence_age, v, key, ENV_MAX_AGE_LIMIT, err);
        } else if (strcmp(key, "passport_lifetime") == 0) {
            rc = parse_seconds(&env->passport_lifetime, v, key, ENV_LIFETIME_LIMIT, err);
        } else if (strcmp(key, "sevsnp_min_tcb") == 0) {
            rc = parse_snp_min_tcb(env, v, err);
        } else if (strcmp(key, "sevsnp_allow_smt") == 0) {
            rc = parse_bool(&env->snp_allow_smt, v, key, err);
        } else if (strcmp(key, "sevsnp_allow_migration_agent") == 0) {
            rc = parse_bool(&env->snp_allow_migration_agent, v, key, err);
        } else if (strcmp(key, "sevsnp_max_vmpl") == 0) {
            if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 3)
                return vt_err_set(err, VT_E_FORMAT, "env: sevsnp_max_vmpl must be an integer 0..3");
            env->snp_max_vmpl = (uint32_t)json_integer_value(v);
        } else if (strcmp(key, "tdx_td_attributes") == 0) {
            rc = parse_attr(&env->tdx_attributes, v, key, err);
        } else if (strcmp(key, "tdx_td_attributes_mask") == 0) {
            rc = parse_attr(&env->tdx_attributes_mask, v, key, err);
        } else if (strcmp(key, "azure_tdx_td_attributes") == 0) {
            rc = parse_attr(&env->azure_tdx_attributes, v, key, err);
        } else if (strcmp(key, "azure_tdx_td_attributes_mask") == 0) {
            rc = parse_attr(&env->azure_tdx_attributes_mask, v, key, err);
        } else {
            return vt_err_set(err, VT_E_FORMAT, "env: unknown field \"%.40s\"", key);
        }
        if (rc != VT_OK)
            return rc;
    }
    return VT_OK;
}

vt_status vt_env_parse(vt_env *out, const char *json, size_t len, const char *id_override, vt_err *err)
{
    vt_status rc = VT_E_FORMAT;
    vt_env *env = NULL;
    json_t *doc = NULL;
    json_error_t jerr;

    memset(out, 0, sizeof(*out));
    if (json == NULL)
        return vt_err_set(err, VT_E_ARG, "env: no input");
    if (len > VT_ENV_MAX_BYTES)
        return vt_err_set(err, VT_E_LIMIT, "env: %zu bytes exceed %zu", len, VT_ENV_MAX_BYTES);
    if (id_override != NULL && !vt_env_id_valid(id_override))
        return vt_err_set(err, VT_E_ARG, "env: id \"%.64s\" is not a valid environment id", id_override);
    /* Built on the heap: an environment is ~40 KiB and out is untouched until it is whole. */
    env = calloc(1, sizeof(*env));
    if (env == NULL)
        return vt_err_set(err, VT_E_NOMEM, "env: out of memory");
    snprintf(env->min_tcb_status, sizeof(env->min_tcb_status), "%s", "UpToDate");
    snprintf(env->deployment_type, sizeof(env->deployment_type), "%s", "full");
    env->max_evidence_age = 300;
    env->passport_lifetime = 3600;
    env->snp_allow_smt = true;
    env->tdx_attributes = VT_ENV_TDX_ATTR_DEFAULT;
    env->tdx_attributes_mask = VT_ENV_TDX_ATTR_MASK_DEFAULT;
    env->azure_tdx_attributes = VT_ENV_AZURE_TDX_ATTR_DEFAULT;
    env->azure_tdx_attributes_mask = VT_ENV_AZURE_TDX_ATTR_MASK_DEFAULT;
    doc = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
    if (doc == NULL) {
        rc = vt_err_set(err, VT_E_FORMAT, "env: not JSON (line %d: %.80s)", jerr.line, jerr.text);
        goto out;
    }
    if (!json_is_object(doc)) {
        rc = vt_err_set(err, VT_E_FORMAT, "env: not a JSON object");
        goto out;
    }
    rc = parse_fields(env, doc, err);
    if (rc != VT_OK)
        goto out;
    if (id_override != NULL)
        snprintf(env->id, sizeof(env->id), "%s", id_override);
    if (env->id[0] == '\0') {
        rc = vt_err_set(err, VT_E_FORMAT, "env: id is missing");
        goto out;
    }
    if ((env->tdx_attributes & ~env->tdx_attributes_mask) != 0) {
        rc = vt_err_set(err, VT_E_FORMAT, "env: tdx_td_attributes sets bits outside tdx_td_attributes_mask");
        goto out;
    }
    if ((env->azure_tdx_attributes & ~env->azure_tdx_attributes_mask) != 0) {
        rc = vt_err_set(err, VT_E_FORMAT,
                        "env: azure_tdx_td_attributes sets bits outside azure_tdx_td_attributes_mask");
        goto out;
    }
    *out = *env;
    rc = VT_OK;
out:
    json_decref(doc);
    free(env);
    return rc;
}

vt_status vt_env_to_json(char **json_out, const vt_env *env, vt_err *err)
{
    json_t *doc = NULL, *plat, *regs, *comps;

    *json_out = NULL;
    if (env == NULL)
        return vt_err_set(err, VT_E_ARG, "env: no environment");
    plat = json_array();
    regs = json_object();
    comps = json_object();
    for (int k = VT_TEE_MOCK; k <= VT_TEE_NVGPU; k++)
        if (env->platforms & (1u << k))
            json_array_append_new(plat, json_string(vt_tee_name((vt_tee_kind)k)));
    for (size_t i = 0; i < env->register_count && i < VT_ENV_MAX_VALUES; i++)
        json_object_set_new(regs, env->registers[i].name, vt__hex_json(env->registers[i].value, env->registers[i].len));
    for (int s = VT_SUBMOD_MODEL; s < VT_SUBMOD_COUNT; s++) {
        json_t *list;
        if (env->digest_count[s] == 0)
            continue;
        list = json_array();
        for (size_t i = 0; i < env->digest_count[s] && i < VT_ENV_MAX_VALUES; i++)
            json_array_append_new(list, vt__hex_json(env->digests[s][i].value, env->digests[s][i].len));
        json_object_set_new(comps, vt_submod_name((vt_submod)s), list);
    }
    doc = json_pack("{s:s, s:s, s:s, s:o, s:o, s:o, s:s, s:b, s:b, s:I, s:I}", "id", env->id, "description",
                    env->description, "deployment_type", env->deployment_type[0] ? env->deployment_type : "full",
                    "platforms", plat, "registers", regs, "components", comps, "min_tcb_status",
                    env->min_tcb_status, "allow_debug", (int)env->allow_debug, "allow_simulated",
                    (int)env->allow_simulated, "max_evidence_age", (json_int_t)env->max_evidence_age,
                    "passport_lifetime", (json_int_t)env->passport_lifetime);
    if (doc != NULL) {
        json_t *snp = json_object();
        for (int p = 0; p < VT_ENV_SNP_PRODUCTS; p++) {
            const vt_env_snp_tcb *t = &env->snp_min_tcb[p];
            json_t *o;
            if (!t->set)
                continue;
            o = json_pack("{s:i, s:i, s:i, s:i}", "bootloader", t->bootloader, "tee", t->tee, "snp", t->snp,
                          "microcode", t->microcode);
            if (o != NULL && p == 2)
                json_object_set_new(o, "fmc", json_integer(t->fmc));
            json_object_set_new(snp, snp_products[p], o);
        }
        json_object_set_new(doc, "sevsnp_min_tcb", snp);
        json_object_set_new(doc, "sevsnp_allow_smt", json_boolean(env->snp_allow_smt));
        json_object_set_new(doc, "sevsnp_max_vmpl", json_integer(env->snp_max_vmpl));
        json_object_set_new(doc, "sevsnp_allow_migration_agent", json_boolean(env->snp_allow_migration_agent));
        json_object_set_new(doc, "tdx_td_attributes", attr_json(env->tdx_attributes));
        json_object_set_new(doc, "tdx_td_attributes_mask", attr_json(env->tdx_attributes_mask));
        json_object_set_new(doc, "azure_tdx_td_attributes", attr_json(env->azure_tdx_attributes));
        json_object_set_new(doc, "azure_tdx_td_attributes_mask", attr_json(env->azure_tdx_attributes_mask));
        *json_out = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    }
    json_decref(doc);
    if (*json_out == NULL)
        return vt_err_set(err, VT_E_NOMEM, "env: out of memory");
    return VT_OK;
}
