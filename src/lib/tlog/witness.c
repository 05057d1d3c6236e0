/* C2SP tlog-witness: the add-checkpoint request body ("old <size>\n", up to 63
 * base64 consistency-proof lines, a blank line, the signed checkpoint) and the
 * witness's decision on it, apart from any transport or storage. */
#include <stdio.h>
#include <string.h>

#include "tlog_int.h"

/* The next line of body from *pos (without its newline); false when none is left. */
static bool line_at(const uint8_t *body, size_t len, size_t *pos, const uint8_t **line, size_t *ll)
{
    const uint8_t *nl;

    if (*pos >= len)
        return false;
    nl = memchr(body + *pos, '\n', len - *pos);
    if (nl == NULL)
        return false;
    *line = body + *pos;
    *ll = (size_t)(nl - *line);
    *pos += *ll + 1;
    return true;
}

/* A decimal with no leading zeroes ("0" alone), at most 2^63 - 1. */
static bool decimal(uint64_t *out, const uint8_t *p, size_t n)
{
    uint64_t v = 0;

    if (n == 0 || n > 19 || (n > 1 && p[0] == '0'))
        return false;
    for (size_t i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return false;
        v = v * 10 + (uint64_t)(p[i] - '0');
    }
    if (v > VT_TLOG_SIZE_MAX)
        return false;
    *out = v;
    return true;
}

vt_status vt_witness_req_parse(vt_witness_req *out, const uint8_t *body, size_t len, vt_err *err)
{
    size_t pos = 0, ll = 0;
    const uint8_t *line = NULL;
    vt_buf h;

    memset(out, 0, sizeof(*out));
    if (len > VT_NOTE_MAX + 64 * 48)
        return vt_err_set(err, VT_E_LIMIT, "witness: request of %zu bytes is too large", len);
    if (!line_at(body, len, &pos, &line, &ll) || ll < 5 || memcmp(line, "old ", 4) != 0 ||
        !decimal(&out->old_size, line + 4, ll - 4))
        return vt_err_set(err, VT_E_FORMAT, "witness: the first line is not 'old <size>'");
    vt_buf_init(&h);
    for (;;) {
        if (!line_at(body, len, &pos, &line, &ll)) {
            vt_buf_free(&h);
            return vt_err_set(err, VT_E_FORMAT, "witness: no blank line before the checkpoint");
        }
        if (ll == 0)
            break;
        if (out->proof_count == VT_WITNESS_PROOF_MAX) {
            vt_buf_free(&h);
            return vt_err_set(err, VT_E_LIMIT, "witness: more than %d consistency proof lines",
                              VT_WITNESS_PROOF_MAX);
        }
        h.len = 0;
        if (vt__b64std_decode(&h, (const char *)line, ll, NULL) != VT_OK || h.len != 32) {
            vt_buf_free(&h);
            return vt_err_set(err, VT_E_FORMAT, "witness: proof line %zu is not a base64 SHA-256 hash",
                              out->proof_count + 1);
        }
        memcpy(out->proof[out->proof_count++], h.data, 32);
    }
    vt_buf_free(&h);
    if (pos >= len)
        return vt_err_set(err, VT_E_FORMAT, "witness: no checkpoint after the blank line");
    out->checkpoint = body + pos;
    out->checkpoint_len = len - pos;
    return VT_OK;
}

vt_status vt_witness_req_build(vt_buf *out, uint64_t old_size, const uint8_t (*proof)[32], size_t count,
                               const uint8_t *checkpoint, size_t len, vt_err *err)
{
    char num[32];
    vt_status rc;

    if (count > VT_WITNESS_PROOF_MAX)
        return vt_err_set(err, VT_E_LIMIT, "witness: %zu proof lines, at most %d", count, VT_WITNESS_PROOF_MAX);
    snprintf(num, sizeof(num), "old %llu\n", (unsigned long long)old_size);
    rc = vt_buf_append_str(out, num, err);
    for (size_t i = 0; rc == VT_OK && i < count; i++) {
        rc = vt_base64_encode(out, proof[i], 32, false, err);
        if (rc == VT_OK)
            rc = vt_buf_append_str(out, "\n", err);
    }
    if (rc == VT_OK)
        rc = vt_buf_append_str(out, "\n", err);
    if (rc == VT_OK)
        rc = vt_buf_append(out, checkpoint, len, err);
    return rc;
}

int vt_witness_check(vt_witness_state *st, size_t *text_len, const vt_witness_req *r, const vt_note_verifier *log,
                     vt_err *err)
{
    vt_checkpoint c;
    size_t tl = 0;
    vt_status rc;

    *text_len = 0;
    /* The origin first: a log this witness does not know is 404, whatever its signatures. */
    {
        const uint8_t *nl = memchr(r->checkpoint, '\n', r->checkpoint_len);
        const char *want = vt_note_verifier_name(log);
        if (nl == NULL || (size_t)(nl - r->checkpoint) != strlen(want) ||
            memcmp(r->checkpoint, want, strlen(want)) != 0) {
            vt_err_set(err, VT_E_NOTFOUND, "witness: unknown log origin");
            return 404;
        }
    }
    rc = vt_note_open(&tl, r->checkpoint, r->checkpoint_len, log, err);
    if (rc == VT_E_CRYPTO)
        return 403;
    if (rc == VT_OK)
        rc = vt_checkpoint_parse(&c, r->checkpoint, tl, err);
    if (rc != VT_OK)
        return 400;
    if (r->old_size > c.size) {
        vt_err_set(err, VT_E_FORMAT, "witness: old size %llu is above the checkpoint's %llu",
                   (unsigned long long)r->old_size, (unsigned long long)c.size);
        return 400;
    }
    if (r->old_size != (st->known ? st->size : 0)) {
        vt_err_set(err, VT_E_POLICY, "witness: old size %llu is not the latest cosigned size",
                   (unsigned long long)r->old_size);
        return 409;
    }
    if (st->known && r->old_size == c.size) {
        if (r->proof_count != 0 || !vt_ct_equal(st->root, c.root, 32)) {
            vt_err_set(err, VT_E_POLICY, "witness: same size, another root: the log forked");
            return 409;
        }
    } else if (r->old_size == 0) {
        if (r->proof_count != 0) {
            vt_err_set(err, VT_E_CRYPTO, "witness: a proof from size 0 must be empty");
            return 422;
        }
    } else if (vt_tlog_verify_consistency(st->size, c.size, (const uint8_t(*)[32])r->proof, r->proof_count,
                                          st->root, c.root, err) != VT_OK) {
        return 422;
    }
    st->known = true;
    st->size = c.size;
    memcpy(st->root, c.root, 32);
    *text_len = tl;
    return 200;
}
