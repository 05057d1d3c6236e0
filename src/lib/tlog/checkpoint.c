/* C2SP tlog-checkpoint: the note text "<origin>\n<size>\n<base64 root>\n[extensions]". */
#include <stdio.h>
#include <string.h>

#include "tlog_int.h"

vt_status vt_checkpoint_text(vt_buf *out, const vt_checkpoint *c, vt_err *err)
{
    char num[24];
    vt_status rc;

    if (c->origin[0] == '\0' || strchr(c->origin, '\n') != NULL ||
        !vt__note_text_ok((const uint8_t *)c->origin, strlen(c->origin)))
        return vt_err_set(err, VT_E_ARG, "checkpoint: origin must be one non-empty line");
    if (c->size > VT_TLOG_SIZE_MAX)
        return vt_err_set(err, VT_E_ARG, "checkpoint: tree size %llu is past 2^63 - 1", (unsigned long long)c->size);
    snprintf(num, sizeof(num), "%llu", (unsigned long long)c->size);
    rc = vt_buf_append_str(out, c->origin, err);
    if (rc == VT_OK)
        rc = vt_buf_append_str(out, "\n", err);
    if (rc == VT_OK)
        rc = vt_buf_append_str(out, num, err);
    if (rc == VT_OK)
        rc = vt_buf_append_str(out, "\n", err);
    if (rc == VT_OK)
        rc = vt_base64_encode(out, c->root, 32, false, err);
    if (rc == VT_OK)
        rc = vt_buf_append_str(out, "\n", err);
    return rc;
}

/* The next line of r (without its newline); false when no newline is left. */
static bool next_line(vt_rd *r, const uint8_t **line, size_t *len)
{
    const uint8_t *nl = r->failed ? NULL : memchr(r->p, '\n', r->left);

    if (nl == NULL) {
        r->failed = true;
        return false;
    }
    *len = (size_t)(nl - r->p);
    *line = vt_rd_take(r, *len + 1);
    return *line != NULL;
}

vt_status vt_checkpoint_parse(vt_checkpoint *out, const uint8_t *text, size_t len, vt_err *err)
{
    vt_checkpoint c;
    const uint8_t *origin = NULL, *size = NULL, *root = NULL, *ext = NULL;
    size_t olen = 0, slen = 0, rlen = 0, elen = 0;
    uint64_t n = 0;
    vt_buf b;
    vt_rd r;

    memset(out, 0, sizeof(*out));
    memset(&c, 0, sizeof(c));
    if (len > VT_NOTE_MAX)
        return vt_err_set(err, VT_E_LIMIT, "checkpoint: %zu bytes, more than %zu", len, VT_NOTE_MAX);
    if (!vt__note_text_ok(text, len))
        return vt_err_set(err, VT_E_FORMAT, "checkpoint: not UTF-8 text without control characters");
    vt_rd_init(&r, text, len);
    next_line(&r, &origin, &olen);
    next_line(&r, &size, &slen);
    next_line(&r, &root, &rlen);
    if (!vt_rd_ok(&r))
        return vt_err_set(err, VT_E_FORMAT, "checkpoint: fewer than three lines");
    if (olen == 0 || olen > VT_NOTE_NAME_MAX)
        return vt_err_set(err, VT_E_FORMAT, "checkpoint: origin is empty or longer than %d bytes",
                          VT_NOTE_NAME_MAX);
    if (slen == 0 || slen > 19 || (size[0] == '0' && slen > 1))
        return vt_err_set(err, VT_E_FORMAT, "checkpoint: tree size is not a decimal without leading zeroes");
    for (size_t i = 0; i < slen; i++) {
        if (size[i] < '0' || size[i] > '9')
            return vt_err_set(err, VT_E_FORMAT, "checkpoint: tree size is not a decimal without leading zeroes");
        n = n * 10 + (uint64_t)(size[i] - '0'); /* 19 digits cannot overflow */
    }
    if (n > VT_TLOG_SIZE_MAX)
        return vt_err_set(err, VT_E_LIMIT, "checkpoint: tree size %llu is past 2^63 - 1", (unsigned long long)n);
    while (vt_rd_ok(&r) && r.left > 0) {
        if (!next_line(&r, &ext, &elen) || elen == 0)
            return vt_err_set(err, VT_E_FORMAT, "checkpoint: extension line empty or without a newline");
    }
    vt_buf_init(&b);
    if (rlen != 44 || vt__b64std_decode(&b, (const char *)root, rlen, NULL) != VT_OK || b.len != 32) {
        vt_buf_free(&b);
        return vt_err_set(err, VT_E_FORMAT, "checkpoint: root hash is not 32 bytes of base64");
    }
    memcpy(c.root, b.data, 32);
    vt_buf_free(&b);
    memcpy(c.origin, origin, olen);
    c.size = n;
    *out = c;
    return VT_OK;
}

vt_status vt_checkpoint_open(vt_checkpoint *out, const uint8_t *note, size_t len, const vt_note_verifier *v,
                             const char *origin, vt_err *err)
{
    size_t tl = 0;
    vt_status rc;

    memset(out, 0, sizeof(*out));
    rc = vt_note_open(&tl, note, len, v, err);
    if (rc == VT_OK)
        rc = vt_checkpoint_parse(out, note, tl, err);
    if (rc == VT_OK && origin != NULL && strcmp(out->origin, origin) != 0) {
        rc = vt_err_set(err, VT_E_CRYPTO, "checkpoint: origin '%.64s' is not the expected '%.64s'", out->origin,
                        origin);
        memset(out, 0, sizeof(*out));
    }
    return rc;
}
