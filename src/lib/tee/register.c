/* Measurement registers (veritee/register.h): the implementation for a
 * platform (<platform>_register.c, beside each plugin), and the verifier's side: which claim a
 * platform's log replays to, in which bank (registry.c and appraise.c ask
 * vt_register_spec_get), and the REPORT_DATA binding of a platform without
 * a register. */
#include <stdlib.h>
#include <string.h>

#include "tee/register_impl.h"

static const vt__register_ops *pick(vt_tee_kind platform, bool simulate)
{
    switch (platform) {
    case VT_TEE_MOCK: return &vt__register_mock;
    case VT_TEE_TDX: return simulate ? &vt__register_tdx_sim : &vt__register_tdx;
    case VT_TEE_SEVSNP: return &vt__register_sevsnp;
    case VT_TEE_NITRO: return simulate ? &vt__register_nitro_sim : &vt__register_nitro;
    /* An Azure confidential VM is platform tpm: its register is PCR 23 of the vTPM. */
    case VT_TEE_TPM: return &vt__register_tpm;
    default: return NULL;
    }
}

vt_status vt_register_open(vt_register **out, const vt_register_opts *o, vt_err *err)
{
    const vt__register_ops *ops;

    *out = NULL;
    if (o == NULL)
        return vt_err_set(err, VT_E_ARG, "register: no options");
    ops = pick(o->platform, o->simulate);
    if (ops == NULL)
        return vt_err_set(err, VT_E_UNSUPPORTED, "register: %s has no measurement register veritee can extend",
                          vt_tee_name(o->platform));
    *out = calloc(1, sizeof(**out));
    if (*out == NULL)
        return vt_err_set(err, VT_E_NOMEM, "register: out of memory");
    (*out)->ops = ops;
    (*out)->o = *o;
    return VT_OK;
}

void vt_register_free(vt_register *r)
{
    free(r);
}

const char *vt_register_describe(const vt_register *r)
{
    return r->ops->describe;
}

vt_status vt_register_reset(vt_register *r, vt_err *err)
{
    return r->ops->reset != NULL ? r->ops->reset(r, err) : VT_OK;
}

vt_status vt_register_extend_event(vt_register *r, const vt_mlog_event *e, uint8_t *new_value, vt_err *err)
{
    uint8_t d[VT_REGISTER_LEN];
    vt_status rc;

    if (r->ops->extend == NULL) {
        if (new_value != NULL)
            memset(new_value, 0, vt_md_len(r->ops->md));
        return VT_OK;
    }
    rc = vt_mlog_event_digest(d, r->ops->md, e, err);
    return rc == VT_OK ? r->ops->extend(r, d, new_value, err) : rc;
}

vt_status vt_register_lock(vt_register *r, vt_err *err)
{
    return r->ops->lock != NULL ? r->ops->lock(r, err) : VT_OK;
}

void vt_register_spec_get(vt_register_spec *out, vt_tee_kind platform)
{
    memset(out, 0, sizeof(*out));
    out->md = VT_MD_SHA384;
    switch (platform) {
    case VT_TEE_MOCK: out->binding = VT_REGISTER_EXTENDED; out->claim = "mr"; break;
    case VT_TEE_TDX: out->binding = VT_REGISTER_EXTENDED; out->claim = "rtmr3"; break;
    case VT_TEE_NITRO: out->binding = VT_REGISTER_EXTENDED; out->claim = "pcr16"; break;
    case VT_TEE_TPM:
        out->binding = VT_REGISTER_EXTENDED;
        out->claim = "pcr23";
        out->md = VT_MD_SHA256;
        break;
    case VT_TEE_SEVSNP: out->binding = VT_REGISTER_REPORT_DATA; out->claim = "log_sha384"; break;
    default: out->binding = VT_REGISTER_NONE; break;
    }
}

vt_status vt__register_bind_replay(uint8_t out[VT_REPORT_DATA_LEN], const uint8_t report_data[VT_REPORT_DATA_LEN],
                                   const uint8_t replay[VT_REGISTER_LEN], vt_err *err)
{
    static const char label[] = "veritee-log-binding-v1";
    uint8_t rd[VT_REPORT_DATA_LEN];
    const void *parts[3] = { label, rd, replay };
    size_t lens[3] = { sizeof(label), sizeof(rd), VT_REGISTER_LEN };

    memcpy(rd, report_data, sizeof(rd)); /* out may alias report_data */
    return vt_digestv(VT_MD_SHA512, parts, lens, 3, out, err);
}

vt_status vt_register_bind_report_data(uint8_t out[VT_REPORT_DATA_LEN], const uint8_t report_data[VT_REPORT_DATA_LEN],
                                       const vt_mlog *log, vt_err *err)
{
    uint8_t replay[VT_REGISTER_LEN];
    vt_status rc;

    if (log == NULL)
        return vt_err_set(err, VT_E_ARG, "register: binding needs a measurement log");
    rc = vt_mlog_replay_md(replay, VT_MD_SHA384, log, err);
    return rc == VT_OK ? vt__register_bind_replay(out, report_data, replay, err) : rc;
}
