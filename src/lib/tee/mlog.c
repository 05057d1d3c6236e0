/* The measurement log (docs/formats/mlog.md): events, their extend data, the
 * replay, and a JSON form parsed with hard caps. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "veritee/mlog.h"

struct vt_mlog {
    vt_mlog_event *ev;
    size_t count, cap;
};

static const char *const comp_names[] = {
    [VT_COMPONENT_MODEL] = "model",   [VT_COMPONENT_AUDITOR] = "auditor", [VT_COMPONENT_RUNTIME] = "runtime",
    [VT_COMPONENT_CONFIG] = "config", [VT_COMPONENT_OTHER] = "other",
};

const char *vt_component_name(vt_component c)
{
    if ((size_t)c < sizeof(comp_names) / sizeof(comp_names[0]) && comp_names[c] != NULL)
        return comp_names[c];
    return "unknown";
}

vt_status vt_component_parse(vt_component *out, const char *name, vt_err *err)
{
    for (size_t i = 1; i < sizeof(comp_names) / sizeof(comp_names[0]); i++) {
        if (strcmp(name, comp_names[i]) == 0) {
            *out = (vt_component)i;
            return VT_OK;
        }
    }
    return vt_err_set(err, VT_E_ARG, "mlog: unknown component '%.32s' (model, auditor, runtime, config, other)",
                      name);
}

vt_status vt_mlog_new(vt_mlog **out, vt_err *err)
{
    *out = calloc(1, sizeof(**out));
    return *out == NULL ? vt_err_set(err, VT_E_NOMEM, "mlog: out of memory") : VT_OK;
}

void vt_mlog_free(vt_mlog *l)
{
    if (l == NULL)
        return;
    free(l->ev);
    free(l);
}

size_t vt_mlog_count(const vt_mlog *l)
{
    return l->count;
}

const vt_mlog_event *vt_mlog_get(const vt_mlog *l, size_t i)
{
    return i < l->count ? &l->ev[i] : NULL;
}

static const char event_label[] = "veritee-event-v1";

vt_status vt_mlog_event_digest(uint8_t *out, vt_md md, const vt_mlog_event *e, vt_err *err)
{
    size_t nlen = strnlen(e->name, sizeof(e->name));
    uint8_t head[3] = { (uint8_t)e->component, (uint8_t)nlen, (uint8_t)(nlen >> 8) };
    uint8_t tail[2] = { (uint8_t)e->alg, (uint8_t)e->digest_len };
    const void *parts[5] = { event_label, head, e->name, tail, e->digest };
    size_t lens[5] = { sizeof(event_label), sizeof(head), nlen, sizeof(tail), e->digest_len };

    if (md != VT_MD_SHA256 && md != VT_MD_SHA384)
        return vt_err_set(err, VT_E_ARG, "mlog: a register bank is sha256 or sha384");
    return vt_digestv(md, parts, lens, 5, out, err);
}

vt_status vt_mlog_event_data(uint8_t data48[48], const vt_mlog_event *e, vt_err *err)
{
    return vt_mlog_event_digest(data48, VT_MD_SHA384, e, err);
}

vt_status vt_mlog_append(vt_mlog *l, vt_component c, const char *name, vt_md alg, const uint8_t *digest,
                         size_t digest_len, uint8_t data48[48], vt_err *err)
{
    vt_mlog_event *e;
    size_t nlen = strlen(name);

    if (vt_component_name(c)[0] == 'u')
        return vt_err_set(err, VT_E_ARG, "mlog: unknown component %d", (int)c);
    if (nlen == 0 || nlen >= VT_MLOG_NAME_MAX)
        return vt_err_set(err, VT_E_ARG, "mlog: event name must be 1..%d bytes", VT_MLOG_NAME_MAX - 1);
    if (vt_md_len(alg) == 0 || digest_len != vt_md_len(alg))
        return vt_err_set(err, VT_E_ARG, "mlog: a %s digest is %zu bytes, not %zu", vt_md_name(alg),
                          vt_md_len(alg), digest_len);
    if (l->count >= VT_MLOG_MAX_EVENTS)
        return vt_err_set(err, VT_E_LIMIT, "mlog: more than %d events", VT_MLOG_MAX_EVENTS);
    if (l->count == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        vt_mlog_event *n = realloc(l->ev, cap * sizeof(*n));
        if (n == NULL)
            return vt_err_set(err, VT_E_NOMEM, "mlog: out of memory");
        l->ev = n;
        l->cap = cap;
    }
    e = &l->ev[l->count];
    memset(e, 0, sizeof(*e));
    e->component = c;
    memcpy(e->name, name, nlen);
    e->alg = alg;
    memcpy(e->digest, digest, digest_len);
    e->digest_len = digest_len;
    if (data48 != NULL) {
        vt_status rc = vt_mlog_event_data(data48, e, err);
        if (rc != VT_OK)
            return rc;
    }
    l->count++;
    return VT_OK;
}

vt_status vt_mlog_replay_md(uint8_t *reg, vt_md md, const vt_mlog *l, vt_err *err)
{
    size_t n = vt_md_len(md);

    if (md != VT_MD_SHA256 && md != VT_MD_SHA384)
        return vt_err_set(err, VT_E_ARG, "mlog: a register bank is sha256 or sha384");
    memset(reg, 0, n);
    for (size_t i = 0; i < l->count; i++) {
        uint8_t data[VT_REGISTER_LEN];
        const void *parts[2] = { reg, data };
        size_t lens[2] = { n, n };
        vt_status rc = vt_mlog_event_digest(data, md, &l->ev[i], err);
        if (rc == VT_OK)
            rc = vt_digestv(md, parts, lens, 2, reg, err);
        if (rc != VT_OK)
            return rc;
    }
    return VT_OK;
}

vt_status vt_mlog_replay(uint8_t reg[VT_REGISTER_LEN], const vt_mlog *l, vt_err *err)
{
    return vt_mlog_replay_md(reg, VT_MD_SHA384, l, err);
}

vt_status vt_mlog_to_json(char **json_out, const vt_mlog *l, vt_err *err)
{
    json_t *o = json_object(), *a = json_array();
    char hex[2 * VT_MD_MAX + 1];

    for (size_t i = 0; i < l->count; i++) {
        vt_hex_encode(hex, l->ev[i].digest, l->ev[i].digest_len);
        json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:s}", "component", vt_component_name(l->ev[i].component),
                                           "name", l->ev[i].name, "alg", vt_md_name(l->ev[i].alg), "digest", hex));
    }
    json_object_set_new(o, "format", json_string(VT_MLOG_FORMAT));
    json_object_set_new(o, "register", json_string("sha384"));
    json_object_set_new(o, "events", a);
    *json_out = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(o);
    return *json_out == NULL ? vt_err_set(err, VT_E_NOMEM, "mlog: cannot serialize") : VT_OK;
}

static vt_status parse_alg(vt_md *out, const char *s, vt_err *err)
{
    static const vt_md algs[] = { VT_MD_SHA256, VT_MD_SHA384, VT_MD_SHA512 };

    for (size_t i = 0; i < sizeof(algs) / sizeof(algs[0]); i++) {
        if (strcmp(s, vt_md_name(algs[i])) == 0) {
            *out = algs[i];
            return VT_OK;
        }
    }
    return vt_err_set(err, VT_E_FORMAT, "mlog: unknown digest algorithm '%.16s'", s);
}

vt_status vt_mlog_parse(vt_mlog **out, const uint8_t *p, size_t len, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    vt_mlog *l = NULL;
    json_error_t jerr;
    json_t *doc = NULL, *events, *ev;
    const char *fmt, *reg;
    size_t idx;

    *out = NULL;
    if (len > VT_MLOG_MAX_BYTES)
        return vt_err_set(err, VT_E_LIMIT, "mlog: %zu bytes exceed the limit of %zu", len, VT_MLOG_MAX_BYTES);
    doc = json_loadb((const char *)p, len, JSON_REJECT_DUPLICATES, &jerr);
    if (doc == NULL) {
        rc = vt_err_set(err, VT_E_FORMAT, "mlog: not JSON: %s (line %d)", jerr.text, jerr.line);
        goto out;
    }
    fmt = json_string_value(json_object_get(doc, "format"));
    reg = json_string_value(json_object_get(doc, "register"));
    events = json_object_get(doc, "events");
    if (fmt == NULL || strcmp(fmt, VT_MLOG_FORMAT) != 0) {
        rc = vt_err_set(err, VT_E_FORMAT, "mlog: format is not %s", VT_MLOG_FORMAT);
        goto out;
    }
    if (reg == NULL || strcmp(reg, "sha384") != 0) {
        rc = vt_err_set(err, VT_E_UNSUPPORTED, "mlog: register must be sha384");
        goto out;
    }
    if (!json_is_array(events)) {
        rc = vt_err_set(err, VT_E_FORMAT, "mlog: events is not an array");
        goto out;
    }
    if (json_array_size(events) > VT_MLOG_MAX_EVENTS) {
        rc = vt_err_set(err, VT_E_LIMIT, "mlog: %zu events exceed the limit of %d", json_array_size(events),
                        VT_MLOG_MAX_EVENTS);
        goto out;
    }
    rc = vt_mlog_new(&l, err);
    if (rc != VT_OK)
        goto out;
    json_array_foreach(events, idx, ev) {
        const char *comp = json_string_value(json_object_get(ev, "component"));
        const char *name = json_string_value(json_object_get(ev, "name"));
        const char *alg = json_string_value(json_object_get(ev, "alg"));
        const char *dig = json_string_value(json_object_get(ev, "digest"));
        uint8_t d[VT_MD_MAX];
        vt_component c = VT_COMPONENT_OTHER;
        vt_md md = VT_MD_SHA256;
        vt_err e2 = { 0 };

        if (comp == NULL || name == NULL || alg == NULL || dig == NULL || json_object_size(ev) != 4) {
            rc = vt_err_set(err, VT_E_FORMAT, "mlog: event %zu needs exactly component, name, alg, digest", idx);
            goto out;
        }
        rc = vt_component_parse(&c, comp, &e2);
        if (rc == VT_OK)
            rc = parse_alg(&md, alg, &e2);
        if (rc == VT_OK)
            rc = vt_hex_decode(d, vt_md_len(md), dig, strlen(dig), &e2);
        if (rc == VT_OK)
            rc = vt_mlog_append(l, c, name, md, d, vt_md_len(md), NULL, &e2);
        if (rc != VT_OK) {
            rc = vt_err_set(err, rc == VT_E_LIMIT ? VT_E_LIMIT : VT_E_FORMAT, "mlog: event %zu: %.200s", idx, e2.msg);
            goto out;
        }
    }
    *out = l;
    l = NULL;
    rc = VT_OK;
out:
    vt_mlog_free(l);
    json_decref(doc);
    return rc;
}
