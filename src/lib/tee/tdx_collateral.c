/*
 * Intel TDX collateral: TCB Info v3 and TD QE Identity v2 (Intel PCS v4).
 *
 * The signature covers the exact bytes of the "tcbInfo" / "enclaveIdentity"
 * value as served, so a small scanner finds that byte range in the document
 * and the fields we use are parsed (with jansson) from those same bytes:
 * what is evaluated is exactly what was signed.  Duplicate keys are
 * rejected everywhere, so no two readers can disagree about a member.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "tee/plugin.h"
#include "tee/sim_root.h"
#include "base/json.h"
#include "tee/tdx_collateral.h"

/* Copies a C string, truncating to fit (always terminated). */
static void str_copy(char *dst, size_t n, const char *src)
{
    size_t len = strnlen(src, n - 1);

    memcpy(dst, src, len);
    dst[len] = '\0';
}

/* ---- statuses ---- */

static const char *const status_names[] = {
    [TDX_ST_UP_TO_DATE] = "UpToDate",
    [TDX_ST_SW_HARDENING_NEEDED] = "SWHardeningNeeded",
    [TDX_ST_CONFIGURATION_NEEDED] = "ConfigurationNeeded",
    [TDX_ST_CONFIGURATION_AND_SW_HARDENING_NEEDED] = "ConfigurationAndSWHardeningNeeded",
    [TDX_ST_OUT_OF_DATE] = "OutOfDate",
    [TDX_ST_OUT_OF_DATE_CONFIGURATION_NEEDED] = "OutOfDateConfigurationNeeded",
    [TDX_ST_REVOKED] = "Revoked",
    [TDX_ST_NO_MATCH] = "NoMatchingTcbLevel",
};

const char *vt__tdx_status_name(vt__tdx_status s)
{
    if ((size_t)s < sizeof(status_names) / sizeof(status_names[0]))
        return status_names[s];
    return "unknown";
}

static bool status_parse(vt__tdx_status *out, const char *s)
{
    for (size_t i = 0; i <= TDX_ST_REVOKED; i++) {
        if (strcmp(s, status_names[i]) == 0) {
            *out = (vt__tdx_status)i;
            return true;
        }
    }
    return false;
}

static bool st_outdated(vt__tdx_status s)
{
    return s == TDX_ST_OUT_OF_DATE || s == TDX_ST_OUT_OF_DATE_CONFIGURATION_NEEDED;
}

static bool st_config(vt__tdx_status s)
{
    return s == TDX_ST_CONFIGURATION_NEEDED || s == TDX_ST_CONFIGURATION_AND_SW_HARDENING_NEEDED ||
           s == TDX_ST_OUT_OF_DATE_CONFIGURATION_NEEDED;
}

static bool st_swh(vt__tdx_status s)
{
    return s == TDX_ST_SW_HARDENING_NEEDED || s == TDX_ST_CONFIGURATION_AND_SW_HARDENING_NEEDED;
}

vt__tdx_status vt__tdx_status_combine(vt__tdx_status a, vt__tdx_status b)
{
    bool outdated, config, swh;

    if (a == TDX_ST_REVOKED || b == TDX_ST_REVOKED)
        return TDX_ST_REVOKED;
    if (a == TDX_ST_NO_MATCH || b == TDX_ST_NO_MATCH)
        return TDX_ST_NO_MATCH;
    outdated = st_outdated(a) || st_outdated(b);
    config = st_config(a) || st_config(b);
    swh = st_swh(a) || st_swh(b);
    if (outdated)
        return config ? TDX_ST_OUT_OF_DATE_CONFIGURATION_NEEDED : TDX_ST_OUT_OF_DATE;
    if (config)
        return swh ? TDX_ST_CONFIGURATION_AND_SW_HARDENING_NEEDED : TDX_ST_CONFIGURATION_NEEDED;
    return swh ? TDX_ST_SW_HARDENING_NEEDED : TDX_ST_UP_TO_DATE;
}

/* ---- the signed byte range ---- */

vt_status vt__tdx_signed_doc_split(vt__tdx_signed_doc *out, const uint8_t *json, size_t len, const char *key,
                                   vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    json_t *doc = NULL;
    json_error_t jerr;
    const char *sig;

    memset(out, 0, sizeof(*out));
    if (len > TDX_COLL_JSON_MAX)
        return vt_err_set(err, VT_E_LIMIT, "tdx: collateral JSON of %zu bytes above the limit", len);
    rc = vt__json_member_raw(&out->value, &out->value_len, json, len, key, err);
    if (rc != VT_OK)
        goto out;
    doc = json_loadb((const char *)json, len, JSON_REJECT_DUPLICATES, &jerr);
    if (doc == NULL || !json_is_object(doc)) {
        rc = vt_err_set(err, VT_E_FORMAT, "tdx: %s JSON invalid: %s", key, doc == NULL ? jerr.text : "not an object");
        goto out;
    }
    sig = json_string_value(json_object_get(doc, "signature"));
    if (sig == NULL || strlen(sig) != 128) {
        rc = vt_err_set(err, VT_E_FORMAT, "tdx: %s signature missing or not 128 hex digits", key);
        goto out;
    }
    rc = vt_hex_decode(out->sig, sizeof(out->sig), sig, 128, err);
    if (rc != VT_OK) {
        rc = vt_err_set(err, VT_E_FORMAT, "tdx: %s signature is not hex", key);
        goto out;
    }
    rc = VT_OK;
out:
    json_decref(doc);
    if (rc != VT_OK)
        memset(out, 0, sizeof(*out));
    return rc;
}

/* ---- field readers ---- */

typedef struct jctx {
    const char *what; /* "tcb_info" / "qe_identity" */
    vt_err *err;
    vt_status rc;
} jctx;

static bool jfail(jctx *j, vt_status code, const char *field, const char *problem)
{
    if (j->rc == VT_OK)
        j->rc = vt_err_set(j->err, code, "tdx: %s %s %s", j->what, field, problem);
    return false;
}

static bool jstr(jctx *j, const json_t *o, const char *key, const char **out)
{
    *out = json_string_value(json_object_get(o, key));
    return *out != NULL || jfail(j, VT_E_FORMAT, key, "missing or not a string");
}

static bool juint(jctx *j, const json_t *o, const char *key, uint32_t max, uint32_t *out)
{
    const json_t *v = json_object_get(o, key);
    json_int_t n;

    *out = 0;
    if (!json_is_integer(v))
        return jfail(j, VT_E_FORMAT, key, "missing or not an integer");
    n = json_integer_value(v);
    if (n < 0 || (uint64_t)n > max)
        return jfail(j, VT_E_FORMAT, key, "out of range");
    *out = (uint32_t)n;
    return true;
}

static bool jhex(jctx *j, const json_t *o, const char *key, uint8_t *out, size_t n)
{
    const char *s = json_string_value(json_object_get(o, key));

    if (s == NULL || strlen(s) != 2 * n || vt_hex_decode(out, n, s, 2 * n, NULL) != VT_OK)
        return jfail(j, VT_E_FORMAT, key, "missing or not the expected hex length");
    return true;
}

static bool jtime(jctx *j, const json_t *o, const char *key, vt_time *out)
{
    const char *s = json_string_value(json_object_get(o, key));

    *out = 0;
    if (s == NULL || vt_time_parse(out, s, NULL) != VT_OK)
        return jfail(j, VT_E_FORMAT, key, "missing or not a date");
    return true;
}

static bool jstatus(jctx *j, const json_t *level, vt__tdx_status *out)
{
    const char *s = json_string_value(json_object_get(level, "tcbStatus"));

    if (s == NULL || !status_parse(out, s))
        return jfail(j, VT_E_FORMAT, "tcbStatus", "missing or unknown");
    return true;
}

static bool jadvisories(jctx *j, const json_t *level, char (*pool)[TDX_ADVISORY_LEN], size_t pool_max,
                        size_t *pool_count, vt__tdx_adv_range *out)
{
    const json_t *arr = json_object_get(level, "advisoryIDs");
    size_t i;
    const json_t *v;

    out->first = (uint16_t)*pool_count;
    out->count = 0;
    if (arr == NULL)
        return true;
    if (!json_is_array(arr))
        return jfail(j, VT_E_FORMAT, "advisoryIDs", "not an array");
    json_array_foreach(arr, i, v) {
        const char *s = json_string_value(v);
        if (s == NULL || strlen(s) == 0 || strlen(s) >= TDX_ADVISORY_LEN)
            return jfail(j, VT_E_FORMAT, "advisoryIDs", "entry not a short string");
        if (*pool_count >= pool_max)
            return jfail(j, VT_E_LIMIT, "advisoryIDs", "too many in total");
        snprintf(pool[*pool_count], TDX_ADVISORY_LEN, "%s", s);
        (*pool_count)++;
        out->count++;
    }
    return true;
}

static const json_t *jarray(jctx *j, const json_t *o, const char *key, size_t min, size_t max)
{
    const json_t *a = json_object_get(o, key);

    if (!json_is_array(a)) {
        jfail(j, VT_E_FORMAT, key, "missing or not an array");
        return NULL;
    }
    if (json_array_size(a) < min || json_array_size(a) > max) {
        jfail(j, json_array_size(a) > max ? VT_E_LIMIT : VT_E_FORMAT, key, "has an unsupported number of entries");
        return NULL;
    }
    return a;
}

static bool jcomponents(jctx *j, const json_t *tcb, const char *key, uint8_t out[16])
{
    const json_t *a = jarray(j, tcb, key, 16, 16), *c;
    size_t i;
    uint32_t svn;

    if (a == NULL)
        return false;
    json_array_foreach(a, i, c) {
        if (!json_is_object(c) || !juint(j, c, "svn", 255, &svn))
            return jfail(j, VT_E_FORMAT, key, "entry malformed");
        out[i] = (uint8_t)svn;
    }
    return true;
}

static json_t *jload(jctx *j, const uint8_t *value, size_t len)
{
    json_error_t jerr;
    json_t *o;

    if (len > TDX_COLL_JSON_MAX) {
        jfail(j, VT_E_LIMIT, "value", "too large");
        return NULL;
    }
    o = json_loadb((const char *)value, len, JSON_REJECT_DUPLICATES, &jerr);
    if (o == NULL || !json_is_object(o)) {
        json_decref(o);
        jfail(j, VT_E_FORMAT, "value", "is not a JSON object");
        return NULL;
    }
    return o;
}

/* ---- TCB info v3 ---- */

static bool tcb_module_ids(jctx *j, vt__tdx_tcb_info *t, const json_t *root)
{
    const json_t *ids = json_object_get(root, "tdxModuleIdentities"), *m, *lv;
    size_t i, k;

    if (ids == NULL)
        return true; /* TDX 1.0-only TCB info */
    ids = jarray(j, root, "tdxModuleIdentities", 0, TDX_MODULE_IDS_MAX);
    if (ids == NULL)
        return false;
    json_array_foreach(ids, i, m) {
        vt__tdx_module_id *mi = &t->modules[t->module_count++];
        const json_t *levels;
        const char *id;

        if (!json_is_object(m) || !jstr(j, m, "id", &id))
            return jfail(j, VT_E_FORMAT, "tdxModuleIdentities", "entry malformed");
        if (strlen(id) == 0 || strlen(id) >= sizeof(mi->id))
            return jfail(j, VT_E_FORMAT, "tdxModuleIdentities.id", "empty or too long");
        snprintf(mi->id, sizeof(mi->id), "%s", id);
        if (!jhex(j, m, "mrsigner", mi->mrsigner, 48) || !jhex(j, m, "attributes", mi->attributes, 8) ||
            !jhex(j, m, "attributesMask", mi->attributes_mask, 8))
            return false;
        levels = jarray(j, m, "tcbLevels", 1, TDX_MODULE_LEVELS_MAX);
        if (levels == NULL)
            return false;
        json_array_foreach(levels, k, lv) {
            vt__tdx_module_level *ml = &mi->levels[mi->level_count++];
            const json_t *tcb = json_object_get(lv, "tcb");
            uint32_t svn;

            if (!json_is_object(lv) || !json_is_object(tcb))
                return jfail(j, VT_E_FORMAT, "tdxModuleIdentities.tcbLevels", "entry malformed");
            if (!juint(j, tcb, "isvsvn", 255, &svn) || !jtime(j, lv, "tcbDate", &ml->tcb_date) ||
                !jstatus(j, lv, &ml->status) ||
                !jadvisories(j, lv, t->adv_pool, TDX_ADVISORY_POOL_MAX, &t->adv_count, &ml->adv))
                return false;
            ml->isvsvn = (uint8_t)svn;
        }
    }
    return true;
}

static bool tcb_levels(jctx *j, vt__tdx_tcb_info *t, const json_t *root)
{
    const json_t *levels = jarray(j, root, "tcbLevels", 1, TDX_TCB_LEVELS_MAX), *lv;
    size_t i;

    if (levels == NULL)
        return false;
    json_array_foreach(levels, i, lv) {
        vt__tdx_tcb_level *l = &t->levels[t->level_count++];
        const json_t *tcb = json_object_get(lv, "tcb");
        uint32_t pcesvn;

        if (!json_is_object(lv) || !json_is_object(tcb))
            return jfail(j, VT_E_FORMAT, "tcbLevels", "entry malformed");
        if (!jcomponents(j, tcb, "sgxtcbcomponents", l->sgx_comp) || !juint(j, tcb, "pcesvn", 65535, &pcesvn) ||
            !jcomponents(j, tcb, "tdxtcbcomponents", l->tdx_comp) || !jtime(j, lv, "tcbDate", &l->tcb_date) ||
            !jstatus(j, lv, &l->status) ||
            !jadvisories(j, lv, t->adv_pool, TDX_ADVISORY_POOL_MAX, &t->adv_count, &l->adv))
            return false;
        l->pcesvn = (uint16_t)pcesvn;
    }
    return true;
}

vt_status vt__tdx_tcb_info_parse(vt__tdx_tcb_info *out, const uint8_t *value, size_t len, vt_err *err)
{
    jctx j = { "tcb_info", err, VT_OK };
    json_t *root = NULL;
    const json_t *mod;
    const char *id = NULL;
    uint32_t tcb_type = 0;

    memset(out, 0, sizeof(*out));
    root = jload(&j, value, len);
    if (root == NULL)
        goto out;
    if (!jstr(&j, root, "id", &id))
        goto out;
    if (strcmp(id, "TDX") != 0) {
        jfail(&j, VT_E_UNSUPPORTED, "id", "is not \"TDX\" (an SGX TCB info?)");
        goto out;
    }
    if (!juint(&j, root, "version", 1000, &out->version))
        goto out;
    if (out->version != 3) {
        jfail(&j, VT_E_UNSUPPORTED, "version", "is not 3");
        goto out;
    }
    if (!jtime(&j, root, "issueDate", &out->issue_date) || !jtime(&j, root, "nextUpdate", &out->next_update) ||
        !jhex(&j, root, "fmspc", out->fmspc, 6) || !jhex(&j, root, "pceId", out->pceid, 2) ||
        !juint(&j, root, "tcbType", 1000, &tcb_type) ||
        !juint(&j, root, "tcbEvaluationDataNumber", UINT32_MAX, &out->tcb_eval_num))
        goto out;
    out->tcb_type = tcb_type;
    if (tcb_type != 0) {
        jfail(&j, VT_E_UNSUPPORTED, "tcbType", "is not 0");
        goto out;
    }
    mod = json_object_get(root, "tdxModule");
    if (!json_is_object(mod)) {
        jfail(&j, VT_E_FORMAT, "tdxModule", "missing");
        goto out;
    }
    if (!jhex(&j, mod, "mrsigner", out->mod_mrsigner, 48) || !jhex(&j, mod, "attributes", out->mod_attributes, 8) ||
        !jhex(&j, mod, "attributesMask", out->mod_attributes_mask, 8))
        goto out;
    if (!tcb_module_ids(&j, out, root) || !tcb_levels(&j, out, root))
        goto out;
out:
    json_decref(root);
    if (j.rc != VT_OK)
        memset(out, 0, sizeof(*out));
    else if (root == NULL)
        j.rc = vt_err_set(err, VT_E_INTERNAL, "tdx: tcb_info parse state");
    return j.rc;
}

/* ---- TD QE identity v2 ---- */

vt_status vt__tdx_qe_identity_parse(vt__tdx_qe_identity *out, const uint8_t *value, size_t len, vt_err *err)
{
    jctx j = { "qe_identity", err, VT_OK };
    json_t *root = NULL;
    const json_t *levels, *lv;
    const char *id = NULL;
    uint32_t prodid = 0;
    size_t i;

    memset(out, 0, sizeof(*out));
    root = jload(&j, value, len);
    if (root == NULL)
        goto out;
    if (!jstr(&j, root, "id", &id))
        goto out;
    if (strlen(id) >= sizeof(out->id)) {
        jfail(&j, VT_E_FORMAT, "id", "too long");
        goto out;
    }
    snprintf(out->id, sizeof(out->id), "%s", id);
    if (!juint(&j, root, "version", 1000, &out->version))
        goto out;
    if (out->version != 2) {
        jfail(&j, VT_E_UNSUPPORTED, "version", "is not 2");
        goto out;
    }
    if (!jtime(&j, root, "issueDate", &out->issue_date) || !jtime(&j, root, "nextUpdate", &out->next_update) ||
        !juint(&j, root, "tcbEvaluationDataNumber", UINT32_MAX, &out->tcb_eval_num) ||
        !jhex(&j, root, "miscselect", out->miscselect, 4) ||
        !jhex(&j, root, "miscselectMask", out->miscselect_mask, 4) ||
        !jhex(&j, root, "attributes", out->attributes, 16) ||
        !jhex(&j, root, "attributesMask", out->attributes_mask, 16) || !jhex(&j, root, "mrsigner", out->mrsigner, 32) ||
        !juint(&j, root, "isvprodid", 65535, &prodid))
        goto out;
    out->isvprodid = (uint16_t)prodid;
    levels = jarray(&j, root, "tcbLevels", 1, TDX_QE_LEVELS_MAX);
    if (levels == NULL)
        goto out;
    json_array_foreach(levels, i, lv) {
        vt__tdx_qe_level *l = &out->levels[out->level_count++];
        const json_t *tcb = json_object_get(lv, "tcb");
        uint32_t svn;

        if (!json_is_object(lv) || !json_is_object(tcb)) {
            jfail(&j, VT_E_FORMAT, "tcbLevels", "entry malformed");
            goto out;
        }
        if (!juint(&j, tcb, "isvsvn", 65535, &svn) || !jtime(&j, lv, "tcbDate", &l->tcb_date) ||
            !jstatus(&j, lv, &l->status) ||
            !jadvisories(&j, lv, out->adv_pool, sizeof(out->adv_pool) / sizeof(out->adv_pool[0]), &out->adv_count,
                         &l->adv))
            goto out;
        l->isvsvn = (uint16_t)svn;
    }
out:
    json_decref(root);
    if (j.rc != VT_OK)
        memset(out, 0, sizeof(*out));
    else if (root == NULL)
        j.rc = vt_err_set(err, VT_E_INTERNAL, "tdx: qe_identity parse state");
    return j.rc;
}

/* ---- evaluation ---- */

static void add_advisories(vt__tdx_tcb_eval *e, const char (*pool)[TDX_ADVISORY_LEN], vt__tdx_adv_range r)
{
    for (size_t i = 0; i < r.count; i++) {
        const char *id = pool[r.first + i];
        bool dup = false;

        for (size_t k = 0; k < e->advisory_count && !dup; k++)
            dup = strcmp(e->advisories[k], id) == 0;
        if (!dup && e->advisory_count < sizeof(e->advisories) / sizeof(e->advisories[0]))
            snprintf(e->advisories[e->advisory_count++], TDX_ADVISORY_LEN, "%s", id);
    }
}

static bool masked_equal(const uint8_t *value, const uint8_t *mask, const uint8_t *want, size_t n)
{
    uint8_t diff = 0;

    for (size_t i = 0; i < n; i++)
        diff |= (uint8_t)((value[i] & mask[i]) ^ want[i]);
    return diff == 0;
}

static void mismatch(bool *ok, char *problem, size_t problem_len, const char *what)
{
    if (*ok)
        snprintf(problem, problem_len, "tdx: %s", what);
    *ok = false;
}
#define MODULE_MISMATCH(e, what) mismatch(&(e)->module_ok, (e)->module_problem, sizeof((e)->module_problem), what)
#define QE_MISMATCH(e, what) mismatch(&(e)->qe_ok, (e)->qe_problem, sizeof((e)->qe_problem), what)

static bool platform_level_matches(const vt__tdx_tcb_level *l, const vt__tdx_tcb_input *in)
{
    size_t start = in->tee_tcb_svn[1] > 0 ? 2 : 0;

    for (size_t i = 0; i < 16; i++)
        if (l->sgx_comp[i] > in->pck_comp_svn[i])
            return false;
    if (l->pcesvn > in->pck_pcesvn)
        return false;
    for (size_t i = start; i < 16; i++)
        if (l->tdx_comp[i] > in->tee_tcb_svn[i])
            return false;
    return true;
}

static void eval_module(vt__tdx_tcb_eval *e, const vt__tdx_tcb_info *tcb, const vt__tdx_tcb_input *in)
{
    const vt__tdx_module_id *mi = NULL;

    e->module = TDX_ST_UP_TO_DATE;
    if (!vt_ct_equal(in->mrsignerseam, tcb->mod_mrsigner, 48))
        MODULE_MISMATCH(e, "mrsignerseam does not match tcb_info tdxModule.mrsigner");
    if (!masked_equal(in->seam_attributes, tcb->mod_attributes_mask, tcb->mod_attributes, 8))
        MODULE_MISMATCH(e, "seam_attributes do not match tcb_info tdxModule.attributes under its mask");
    if (in->tee_tcb_svn[1] == 0)
        return; /* TDX 1.0 module: no module identity to evaluate */
    snprintf(e->module_id, sizeof(e->module_id), "TDX_%02X", (unsigned)in->tee_tcb_svn[1]);
    for (size_t i = 0; i < tcb->module_count && mi == NULL; i++)
        if (strcasecmp(tcb->modules[i].id, e->module_id) == 0)
            mi = &tcb->modules[i];
    e->module = TDX_ST_NO_MATCH;
    if (mi == NULL)
        return;
    if (!vt_ct_equal(in->mrsignerseam, mi->mrsigner, 48))
        MODULE_MISMATCH(e, "mrsignerseam does not match the TDX module identity mrsigner");
    if (!masked_equal(in->seam_attributes, mi->attributes_mask, mi->attributes, 8))
        MODULE_MISMATCH(e, "seam_attributes do not match the TDX module identity attributes under its mask");
    for (size_t i = 0; i < mi->level_count; i++) {
        if (mi->levels[i].isvsvn <= in->tee_tcb_svn[0]) {
            e->module = mi->levels[i].status;
            add_advisories(e, (const char(*)[TDX_ADVISORY_LEN])tcb->adv_pool, mi->levels[i].adv);
            return;
        }
    }
}

static void eval_qe(vt__tdx_tcb_eval *e, const vt__tdx_qe_identity *qe, const vt__tdx_tcb_input *in)
{
    if (!masked_equal(in->qe_miscselect, qe->miscselect_mask, qe->miscselect, 4))
        QE_MISMATCH(e, "QE report miscselect does not match the TD_QE identity under its mask");
    if (!masked_equal(in->qe_attributes, qe->attributes_mask, qe->attributes, 16))
        QE_MISMATCH(e, "QE report attributes do not match the TD_QE identity under its mask");
    if (!vt_ct_equal(in->qe_mrsigner, qe->mrsigner, 32))
        QE_MISMATCH(e, "QE report mrsigner does not match the TD_QE identity");
    if (in->qe_isvprodid != qe->isvprodid)
        QE_MISMATCH(e, "QE report isvprodid does not match the TD_QE identity");
    e->qe = TDX_ST_NO_MATCH;
    for (size_t i = 0; i < qe->level_count; i++) {
        if (qe->levels[i].isvsvn <= in->qe_isvsvn) {
            e->qe = qe->levels[i].status;
            add_advisories(e, (const char(*)[TDX_ADVISORY_LEN])qe->adv_pool, qe->levels[i].adv);
            return;
        }
    }
}

void vt__tdx_tcb_evaluate(vt__tdx_tcb_eval *out, const vt__tdx_tcb_info *tcb, const vt__tdx_qe_identity *qe,
                          const vt__tdx_tcb_input *in)
{
    memset(out, 0, sizeof(*out));
    out->module_ok = true;
    out->qe_ok = true;
    out->platform = TDX_ST_NO_MATCH;
    for (size_t i = 0; i < tcb->level_count; i++) {
        if (platform_level_matches(&tcb->levels[i], in)) {
            out->platform = tcb->levels[i].status;
            add_advisories(out, (const char(*)[TDX_ADVISORY_LEN])tcb->adv_pool, tcb->levels[i].adv);
            break;
        }
    }
    eval_module(out, tcb, in);
    eval_qe(out, qe, in);
    out->combined = vt__tdx_status_combine(vt__tdx_status_combine(out->platform, out->module), out->qe);
}

/* ---- collateral sets ---- */

static bool has_text(const uint8_t *p, size_t len, const char *needle)
{
    return memmem(p, len, needle, strlen(needle)) != NULL;
}

static bool looks_json(const uint8_t *p, size_t len)
{
    size_t i = 0;

    while (i < len && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n'))
        i++;
    return i < len && p[i] == '{';
}

vt_status vt__tdx_coll_set_load(vt__tdx_coll_set *set, const vt_collateral *c, vt_err *err)
{
    memset(set, 0, sizeof(*set));
    return vt__tdx_coll_set_add(set, c, err);
}

vt_status vt__tdx_coll_set_add(vt__tdx_coll_set *set, const vt_collateral *c, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    size_t count = c == NULL ? 0 : vt_collateral_count(c);

    for (size_t i = 0; i < count; i++) {
        const char *name = NULL;
        size_t len = 0;
        const uint8_t *p = vt_collateral_get(c, i, &name, &len);
        vt_crl *crl = NULL;
        vt_x509 *one = NULL;
        vt_err e2 = { 0 };

        if (name == NULL)
            name = "?";
        if (p == NULL || len == 0) {
            set->ignored++;
        } else if (looks_json(p, len)) {
            if (set->json_count >= TDX_COLL_JSON_DOCS_MAX) {
                rc = vt_err_set(err, VT_E_LIMIT, "tdx: collateral has more than %u JSON documents",
                                (unsigned)TDX_COLL_JSON_DOCS_MAX);
                goto out;
            }
            set->json[set->json_count] = p;
            set->json_len[set->json_count++] = len;
        } else if (has_text(p, len, "-----BEGIN CERTIFICATE-----")) {
            size_t n = 0;
            if (set->chain_count >= TDX_COLL_CHAINS_MAX) {
                rc = vt_err_set(err, VT_E_LIMIT, "tdx: collateral has more than %u certificate chains",
                                (unsigned)TDX_COLL_CHAINS_MAX);
                goto out;
            }
            rc = vt_x509_list_from_pem(set->chains[set->chain_count], &n, TDX_COLL_CHAIN_LEN_MAX, (const char *)p,
                                       len, &e2);
            if (rc != VT_OK) {
                for (size_t k = 0; k < n; k++)
                    vt_x509_free(set->chains[set->chain_count][k]);
                rc = vt_err_set(err, rc, "tdx: collateral %s: %s", name, e2.msg);
                goto out;
            }
            set->chain_len[set->chain_count++] = n;
        } else if (vt_crl_parse(&crl, p, len, NULL) == VT_OK) {
            if (set->crl_count >= TDX_COLL_CRLS_MAX) {
                vt_crl_free(crl);
                rc = vt_err_set(err, VT_E_LIMIT, "tdx: collateral has more than %u CRLs",
                                (unsigned)TDX_COLL_CRLS_MAX);
                goto out;
            }
            set->crls[set->crl_count++] = crl;
        } else if (has_text(p, len, "-----BEGIN X509 CRL-----")) {
            rc = vt_err_set(err, VT_E_FORMAT, "tdx: collateral %s: CRL does not parse", name);
            goto out;
        } else if (p[0] == 0x30 && vt_x509_from_der(&one, p, len, NULL) == VT_OK) {
            if (set->chain_count >= TDX_COLL_CHAINS_MAX) {
                vt_x509_free(one);
                rc = vt_err_set(err, VT_E_LIMIT, "tdx: collateral has more than %u certificate chains",
                                (unsigned)TDX_COLL_CHAINS_MAX);
                goto out;
            }
            set->chains[set->chain_count][0] = one;
            set->chain_len[set->chain_count++] = 1;
        } else {
            set->ignored++; /* not TDX collateral (a README, a checksum list, ...) */
        }
    }
    rc = VT_OK;
out:
    if (rc != VT_OK)
        vt__tdx_coll_set_free(set);
    return rc;
}

void vt__tdx_coll_set_free(vt__tdx_coll_set *set)
{
    if (set == NULL)
        return;
    for (size_t i = 0; i < set->chain_count; i++)
        for (size_t k = 0; k < set->chain_len[i]; k++)
            vt_x509_free(set->chains[i][k]);
    for (size_t i = 0; i < TDX_COLL_CHAINS_MAX; i++)
        vt_pkey_free(set->signers[i].key);
    for (size_t i = 0; i < set->crl_count; i++)
        vt_crl_free(set->crls[i]);
    memset(set, 0, sizeof(*set));
}

static void coll_destroy(vt__cached *base)
{
    vt__tdx_coll *c = (vt__tdx_coll *)base;

    free(c);
}

void vt__tdx_coll_release(vt__tdx_coll *c)
{
    if (c != NULL)
        vt__cached_release(&c->base);
}

/* Whether chain i can sign collateral at now: an "Intel SGX TCB Signing" leaf chained to a root. */
static void signer_prepare(vt__tdx_signer *s, vt__tdx_coll_set *set, size_t i, vt_x509 *const *roots,
                           size_t root_count, size_t prod_root_count, vt_time now)
{
    vt_chain_result cr;
    vt_err e2 = { 0 };
    char cn[128];

    vt_pkey_free(s->key);
    memset(s, 0, sizeof(*s));
    s->tried = true;
    vt_x509_subject_cn(set->chains[i][0], cn, sizeof(cn));
    vt_x509_subject(set->chains[i][0], s->subject, sizeof(s->subject));
    if (vt_chain_verify(&cr, set->chains[i], set->chain_len[i], roots, root_count, set->crls, set->crl_count, now,
                        &e2) != VT_OK) {
        str_copy(s->problem, sizeof(s->problem), e2.msg);
        return;
    }
    /* Intel's name under the Intel root; the simulator's also accepted under a simulation root. */
    if (strcmp(cn, TDX_TCB_SIGNER_CN) != 0 && (cr.root_index < prod_root_count || strcmp(cn, VT_SIM_TCB_CN) != 0)) {
        snprintf(s->problem, sizeof(s->problem), "certificate \"%.100s\" is not an %s certificate", cn,
                 TDX_TCB_SIGNER_CN);
        return;
    }
    if (vt_x509_pubkey(&s->key, set->chains[i][0], &e2) != VT_OK || vt_pkey_type(s->key) != VT_KEY_EC_P256) {
        snprintf(s->problem, sizeof(s->problem), "TCB signing key is not ECDSA P-256");
        vt_pkey_free(s->key);
        s->key = NULL;
        return;
    }
    s->ok = true;
    s->not_before = cr.not_before;
    s->not_after = cr.not_after;
    s->root_index = cr.root_index;
}

/* The first prepared signer whose key verifies the document; -1 when none. */
static int doc_signer(const vt__tdx_signed_doc *d, const vt__tdx_coll_set *set)
{
    for (size_t i = 0; i < set->chain_count; i++) {
        const vt__tdx_signer *s = &set->signers[i];
        if (s->ok && vt_ecdsa_verify_raw(s->key, VT_MD_SHA256, d->value, d->value_len, d->sig, sizeof(d->sig), NULL) ==
                         VT_OK)
            return (int)i;
    }
    return -1;
}

/* Keeps the most specific reason a document was not usable. */
typedef struct why {
    int rank;
    char msg[224];
} why;

static void why_set(why *w, int rank, const char *fmt, ...) VT_PRINTF(3, 4);
static void why_set(why *w, int rank, const char *fmt, ...)
{
    va_list ap;

    if (rank < w->rank)
        return;
    w->rank = rank;
    va_start(ap, fmt);
    vsnprintf(w->msg, sizeof(w->msg), fmt, ap);
    va_end(ap);
}

enum { WHY_OTHER_FMSPC = 1, WHY_PARSE = 2, WHY_PCEID = 3, WHY_SIGNATURE = 4, WHY_TIME = 5, WHY_ROLLBACK = 6 };

static void signer_why(why *w, const char *what, const vt__tdx_coll_set *set, vt_time now)
{
    char t[32];
    const char *problem = NULL;

    for (size_t i = 0; i < set->chain_count && problem == NULL; i++)
        if (set->signers[i].ok)
            problem = "";
    for (size_t i = 0; i < set->chain_count && problem == NULL; i++)
        if (set->signers[i].problem[0] != '\0')
            problem = set->signers[i].problem;
    vt_time_format(t, now);
    if (set->chain_count == 0)
        why_set(w, WHY_SIGNATURE, "tdx: %s signature cannot be checked: no signing certificate chain in the collateral",
                what);
    else if (problem != NULL && problem[0] != '\0')
        why_set(w, WHY_SIGNATURE, "tdx: %s signature cannot be checked: no usable TCB signing chain at %s (%s)", what,
                t, problem);
    else
        why_set(w, WHY_SIGNATURE, "tdx: %s signature does not verify with the TCB signing key", what);
}

static bool window_ok(why *w, const char *what, vt_time issue, vt_time next, vt_time now)
{
    char a[32], b[32];

    vt_time_format(a, issue);
    vt_time_format(b, now);
    if (now < issue) {
        why_set(w, WHY_TIME, "tdx: %s not yet valid: issueDate %s is after %s", what, a, b);
        return false;
    }
    vt_time_format(a, next);
    if (now > next) {
        why_set(w, WHY_TIME, "tdx: %s expired: nextUpdate %s is before %s", what, a, b);
        return false;
    }
    return true;
}

static void narrow(vt_time *nb, vt_time *na, vt_time b, vt_time a)
{
    if (b > *nb)
        *nb = b;
    if (a < *na)
        *na = a;
}

/* Below the highest evaluation number already verified (tdx_eval.h): recorded as a rollback. */
static bool rolled_back(why *w, const char *what, const vt__tdx_eval_floor *f, uint32_t num, vt_time now)
{
    char t[32];

    if (!vt__tdx_eval_refused(f, num, now))
        return false;
    vt_time_format(t, f->since);
    why_set(w, WHY_ROLLBACK,
            "tdx: %s tcbEvaluationDataNumber %u is older than %u, verified before (issued %s): refused as a rollback",
            what, num, f->num, t);
    return true;
}

/* Of two verified documents the one Intel published last: the higher evaluation number, then the later issueDate. */
static bool newer(uint32_t num, vt_time issue, uint32_t than_num, vt_time than_issue)
{
    return num > than_num || (num == than_num && issue > than_issue);
}

/* The window in which a verified document holds: its own and its signer chain's. */
typedef struct held {
    bool ok;
    vt_time nb, na;
} held;

static void held_set(held *h, vt_time issue, vt_time next, const vt__tdx_signer *s)
{
    h->ok = true;
    h->nb = INT64_MIN;
    h->na = INT64_MAX;
    narrow(&h->nb, &h->na, issue, next);
    narrow(&h->nb, &h->na, s->not_before, s->not_after);
}

void vt__tdx_coll_verify(vt__tdx_coll **out, vt__tdx_coll_set *set, const uint8_t fmspc[6], const uint8_t pceid[2],
                         vt_x509 *const *roots, size_t root_count, size_t prod_root_count, vt_time now,
                         const vt__tdx_eval_floor *tcb_floor, const vt__tdx_eval_floor *qe_floor, vt_result *res)
{
    vt__tdx_coll *c = NULL;
    vt__tdx_tcb_info *tcb_tmp = NULL;
    vt__tdx_qe_identity *qe_tmp = NULL;
    why tw = { 0, "" }, qw = { 0, "" };
    held th = { false, 0, 0 }, qh = { false, 0, 0 };
    char want[13], got[13];

    *out = NULL;
    c = calloc(1, sizeof(*c));
    tcb_tmp = calloc(1, sizeof(*tcb_tmp));
    qe_tmp = calloc(1, sizeof(*qe_tmp));
    if (c == NULL || tcb_tmp == NULL || qe_tmp == NULL) {
        vt__result_fail(res, "collateral", "tdx: out of memory verifying collateral");
        goto out;
    }
    vt__cached_init(&c->base, coll_destroy);
    for (size_t i = 0; i < set->chain_count; i++)
        signer_prepare(&set->signers[i], set, i, roots, root_count, prod_root_count, now);
    vt_hex_encode(want, fmspc, 6);
    /* Every document is looked at: of several that verify, the last Intel published is used. */
    for (size_t i = 0; i < set->json_count; i++) {
        vt__tdx_signed_doc d;
        vt_err e2 = { 0 };
        vt_status st;
        int si;

        st = vt__tdx_signed_doc_split(&d, set->json[i], set->json_len[i], "tcbInfo", &e2);
        if (st == VT_OK) {
            if (vt__tdx_tcb_info_parse(tcb_tmp, d.value, d.value_len, &e2) != VT_OK) {
                why_set(&tw, WHY_PARSE, "%s", e2.msg);
                continue;
            }
            if (!vt_ct_equal(tcb_tmp->fmspc, fmspc, 6)) {
                vt_hex_encode(got, tcb_tmp->fmspc, 6);
                why_set(&tw, WHY_OTHER_FMSPC, "tdx: tcb_info is for FMSPC %s, not the PCK FMSPC %s", got, want);
                continue;
            }
            if (!vt_ct_equal(tcb_tmp->pceid, pceid, 2)) {
                why_set(&tw, WHY_PCEID, "tdx: tcb_info pceId %02x%02x differs from the PCK PCE-ID %02x%02x",
                        tcb_tmp->pceid[0], tcb_tmp->pceid[1], pceid[0], pceid[1]);
                continue;
            }
            si = doc_signer(&d, set);
            if (si < 0) {
                signer_why(&tw, "tcb_info", set, now);
                continue;
            }
            if (!window_ok(&tw, "tcb_info", tcb_tmp->issue_date, tcb_tmp->next_update, now) ||
                rolled_back(&tw, "tcb_info", tcb_floor, tcb_tmp->tcb_eval_num, now))
                continue;
            if (th.ok && !newer(tcb_tmp->tcb_eval_num, tcb_tmp->issue_date, c->tcb.tcb_eval_num, c->tcb.issue_date))
                continue;
            memcpy(&c->tcb, tcb_tmp, sizeof(c->tcb));
            snprintf(c->tcb_signer, sizeof(c->tcb_signer), "%s", set->signers[si].subject);
            held_set(&th, tcb_tmp->issue_date, tcb_tmp->next_update, &set->signers[si]);
            continue;
        }
        if (st == VT_E_FORMAT || st == VT_E_LIMIT) {
            why_set(&tw, WHY_PARSE, "%s", e2.msg);
            why_set(&qw, WHY_PARSE, "%s", e2.msg);
            continue;
        }
        st = vt__tdx_signed_doc_split(&d, set->json[i], set->json_len[i], "enclaveIdentity", &e2);
        if (st != VT_OK) {
            if (st == VT_E_FORMAT || st == VT_E_LIMIT)
                why_set(&qw, WHY_PARSE, "%s", e2.msg);
            continue;
        }
        if (vt__tdx_qe_identity_parse(qe_tmp, d.value, d.value_len, &e2) != VT_OK) {
            why_set(&qw, WHY_PARSE, "%s", e2.msg);
            continue;
        }
        if (strcmp(qe_tmp->id, "TD_QE") != 0) {
            why_set(&qw, WHY_OTHER_FMSPC, "tdx: qe_identity id \"%s\" is not TD_QE", qe_tmp->id);
            continue;
        }
        si = doc_signer(&d, set);
        if (si < 0) {
            signer_why(&qw, "qe_identity", set, now);
            continue;
        }
        if (!window_ok(&qw, "qe_identity", qe_tmp->issue_date, qe_tmp->next_update, now) ||
            rolled_back(&qw, "qe_identity", qe_floor, qe_tmp->tcb_eval_num, now))
            continue;
        if (qh.ok && !newer(qe_tmp->tcb_eval_num, qe_tmp->issue_date, c->qe.tcb_eval_num, c->qe.issue_date))
            continue;
        memcpy(&c->qe, qe_tmp, sizeof(c->qe));
        snprintf(c->qe_signer, sizeof(c->qe_signer), "%s", set->signers[si].subject);
        held_set(&qh, qe_tmp->issue_date, qe_tmp->next_update, &set->signers[si]);
    }
    if (!th.ok)
        vt__result_fail(res, "tcb_info", "%s",
                        tw.rank > 0 ? tw.msg
                                    : "tdx: tcb_info missing from the collateral (TDX TCB info for the PCK FMSPC)");
    if (!qh.ok)
        vt__result_fail(res, "qe_identity", "%s",
                        qw.rank > 0 ? qw.msg : "tdx: qe_identity missing from the collateral (TD_QE identity)");
    if (th.ok && qh.ok) {
        c->not_before = th.nb > qh.nb ? th.nb : qh.nb;
        c->not_after = th.na < qh.na ? th.na : qh.na;
        *out = c;
        c = NULL;
    }
out:
    free(tcb_tmp);
    free(qe_tmp);
    vt__tdx_coll_release(c);
}
