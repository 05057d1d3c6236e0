/*
 * veritee chat: attested TLS (docs/transport.md).  The gateway's TLS server
 * key is its enclave key, the key the evidence binds (report_data) and the
 * passport's cnf names; so the client needs no CA: it compares the key the
 * TLS server presented with the attested one and then pins it.  The listeners
 * the gateway serves are a measurement-log event, shown to the user.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "tls_check.h"

#define TRANSPORT_EVENT "transport" /* gateway/transport.h VT_GW_TRANSPORT_EVENT */

/* The listeners: att's "transport" text must be the preimage of the log's transport event. */
static vt_status check_transport(char *detail, size_t dlen, const json_t *att, const vt_mlog *log, vt_err *err)
{
    const char *t = json_string_value(json_object_get(att, "transport"));
    const vt_mlog_event *ev = NULL;
    uint8_t d[32];
    json_t *j;
    vt_status rc;

    for (size_t i = 0; i < vt_mlog_count(log); i++) {
        const vt_mlog_event *e = vt_mlog_get(log, i);
        if (e != NULL && e->component == VT_COMPONENT_OTHER && strcmp(e->name, TRANSPORT_EVENT) == 0)
            ev = e; /* the last one counts */
    }
    if (ev == NULL && t == NULL) {
        snprintf(detail, dlen, "the gateway's log names no listeners (an older gateway)");
        return VT_OK;
    }
    if (ev == NULL || t == NULL)
        return vt_err_set(err, VT_E_POLICY, "transport: the attestation's \"transport\" and the log's %s event %s",
                          TRANSPORT_EVENT, ev == NULL ? "are not both there (no event)" : "are not both there (no text)");
    rc = vt_digest(VT_MD_SHA256, t, strlen(t), d, err);
    if (rc != VT_OK)
        return rc;
    if (ev->digest_len != sizeof(d) || !vt_ct_equal(ev->digest, d, sizeof(d)))
        return vt_err_set(err, VT_E_POLICY, "transport: the attestation's listeners are not those the log measured");
    j = json_loads(t, 0, NULL);
    snprintf(detail, dlen, "attested listeners: https %s, plain http %s",
             json_string_value(json_object_get(j, "https")) != NULL ? json_string_value(json_object_get(j, "https"))
                                                                    : "none",
             json_string_value(json_object_get(j, "plain")) != NULL ? json_string_value(json_object_get(j, "plain"))
                                                                    : "none");
    json_decref(j);
    return VT_OK;
}

int vt_cli_chat_check_tls(vt_cli_report *rep, char *pin, size_t pin_len, const char *gateway,
                          const uint8_t tls_key[32], const vt_pkey *enclave, const json_t *att, const vt_mlog *log)
{
    uint8_t mine[32];
    char detail[256];
    vt_buf b64;
    vt_err err = { 0 };
    vt_status rc;

    pin[0] = '\0';
    rc = check_transport(detail, sizeof(detail), att, log, &err);
    if (!vt_cli_check(rep, "listeners", rc, &err, "%s", detail))
        return VT_EXIT_REJECTED;
    if (gateway == NULL || strncmp(gateway, "https://", 8) != 0)
        return VT_EXIT_OK; /* plain HTTP, or reached only through an Oblivious HTTP relay */
    vt_buf_init(&b64);
    rc = vt_pkey_spki_sha256(mine, enclave, &err);
    if (rc == VT_OK)
        rc = vt_base64_encode(&b64, mine, sizeof(mine), false, &err);
    if (rc == VT_OK && !vt_ct_equal(mine, tls_key, sizeof(mine)))
        rc = vt_err_set(&err, VT_E_POLICY,
                        "tls: the gateway's TLS server key is not the attested enclave key: refusing the connection "
                        "(a proxy or another server terminates TLS)");
    if (rc == VT_OK && (size_t)snprintf(pin, pin_len, "sha256//%.*s", (int)b64.len, (const char *)b64.data) >= pin_len)
        rc = vt_err_set(&err, VT_E_INTERNAL, "tls: pin too long");
    vt_buf_free(&b64);
    if (!vt_cli_check(rep, "tls", rc, &err, "the TLS server key is the attested enclave key; pinned (%.24s…)", pin)) {
        pin[0] = '\0';
        return VT_EXIT_REJECTED;
    }
    return VT_EXIT_OK;
}
