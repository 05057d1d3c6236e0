/* C2SP signed notes with Ed25519 keys: key ids, signer and verifier key
 * strings (the forms of Go's golang.org/x/mod/sumdb/note), signing, opening;
 * and C2SP tlog-cosignature v1 (key type 0x04): a witness's timestamped
 * signature over "cosignature/v1\ntime <t>\n" and the note text. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tlog_int.h"

#define SIG_DASH "\xe2\x80\x94 " /* U+2014 em dash, then a space */
#define ALG_ED25519 0x01
#define ALG_COSIG_V1 0x04
#define COSIG_HEADER "cosignature/v1\ntime "
#define KEY_STRING_MAX 512

struct vt_note_signer {
    char name[VT_NOTE_NAME_MAX + 1];
    uint8_t alg; /* ALG_ED25519 or ALG_COSIG_V1 */
    uint32_t id;
    uint8_t pub[32];
    vt_pkey *key; /* owned reference */
};

struct vt_note_verifier {
    char name[VT_NOTE_NAME_MAX + 1];
    uint8_t alg;
    uint32_t id;
    vt_pkey *key; /* owned */
};

/* One UTF-8 sequence at p (left bytes available): its code point and length, 0 when invalid. */
static size_t utf8_next(const uint8_t *p, size_t left, uint32_t *cp)
{
    uint32_t c = p[0], min;
    size_t n;

    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if ((c & 0xe0) == 0xc0) {
        n = 2, c &= 0x1f, min = 0x80;
    } else if ((c & 0xf0) == 0xe0) {
        n = 3, c &= 0x0f, min = 0x800;
    } else if ((c & 0xf8) == 0xf0) {
        n = 4, c &= 0x07, min = 0x10000;
    } else {
        return 0;
    }
    if (n > left)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        c = c << 6 | (p[i] & 0x3f);
    }
    if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
        return 0;
    *cp = c;
    return n;
}

bool vt__note_text_ok(const uint8_t *p, size_t len)
{
    size_t i = 0;

    while (i < len) {
        uint32_t cp;
        size_t n = utf8_next(p + i, len - i, &cp);
        if (n == 0 || (cp < 0x20 && cp != '\n'))
            return false;
        i += n;
    }
    return true;
}

/* Unicode White_Space (what Go's unicode.IsSpace reports), which key names must not contain. */
static bool unicode_space(uint32_t c)
{
    return (c >= 0x09 && c <= 0x0d) || c == 0x20 || c == 0x85 || c == 0xa0 || c == 0x1680 ||
           (c >= 0x2000 && c <= 0x200a) || c == 0x2028 || c == 0x2029 || c == 0x202f || c == 0x205f || c == 0x3000;
}

static bool name_ok(const uint8_t *p, size_t len)
{
    size_t i = 0;

    if (len == 0 || len > VT_NOTE_NAME_MAX)
        return false;
    while (i < len) {
        uint32_t cp;
        size_t n = utf8_next(p + i, len - i, &cp);
        if (n == 0 || cp < 0x20 || cp == 0x7f || cp == '+' || unicode_space(cp))
            return false;
        i += n;
    }
    return true;
}

bool vt_note_name_valid(const char *name)
{
    return name != NULL && name_ok((const uint8_t *)name, strnlen(name, VT_NOTE_NAME_MAX + 1));
}

vt_status vt__b64std_decode(vt_buf *out, const char *in, size_t len, vt_err *err)
{
    size_t pad = 0;

    if (len % 4 != 0)
        return vt_err_set(err, VT_E_FORMAT, "base64: length %zu is not a multiple of 4", len);
    for (size_t i = 0; i < len; i++) {
        char c = in[i];
        if (c == '=' && i + 2 >= len && (i + 1 == len || in[i + 1] == '=')) {
            pad++;
            continue;
        }
        if (pad != 0 || !((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                          c == '+' || c == '/'))
            return vt_err_set(err, VT_E_FORMAT, "base64: invalid character at position %zu", i);
    }
    return vt_base64_decode(out, in, len, err);
}

/* First 4 bytes of SHA-256(name || 0x0A || alg || pub), big-endian. */
static vt_status key_id(uint32_t *out, const char *name, uint8_t alg, const uint8_t pub[32], vt_err *err)
{
    const uint8_t sep[2] = { '\n', alg };
    const void *p[3] = { name, sep, pub };
    size_t l[3] = { strlen(name), sizeof(sep), 32 };
    uint8_t h[32];
    vt_status rc;

    *out = 0;
    rc = vt_digestv(VT_MD_SHA256, p, l, 3, h, err);
    if (rc == VT_OK)
        *out = (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 | (uint32_t)h[2] << 8 | h[3];
    return rc;
}

vt_status vt_note_key_id(uint32_t *out, const char *name, const uint8_t pub[32], vt_err *err)
{
    return key_id(out, name, ALG_ED25519, pub, err);
}

static vt_status signer_new(vt_note_signer **out, const char *name, uint8_t alg, vt_pkey *key, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    vt_note_signer *s = NULL;
    vt_buf pub;

    *out = NULL;
    vt_buf_init(&pub);
    if (!vt_note_name_valid(name)) {
        rc = vt_err_set(err, VT_E_ARG, "note: key name '%.64s' is empty, too long or has a space or '+'",
                        name != NULL ? name : "");
        goto out;
    }
    if (vt_pkey_type(key) != VT_KEY_ED25519) {
        rc = vt_err_set(err, VT_E_ARG, "note: signer key is not Ed25519");
        goto out;
    }
    s = calloc(1, sizeof(*s));
    if (s == NULL) {
        rc = vt_err_set(err, VT_E_NOMEM, "note: out of memory");
        goto out;
    }
    snprintf(s->name, sizeof(s->name), "%s", name);
    rc = vt_pkey_public_raw(&pub, key, err);
    if (rc == VT_OK && pub.len != 32)
        rc = vt_err_set(err, VT_E_INTERNAL, "note: Ed25519 public key of %zu bytes", pub.len);
    if (rc != VT_OK)
        goto out;
    memcpy(s->pub, pub.data, 32);
    s->alg = alg;
    rc = key_id(&s->id, s->name, alg, s->pub, err);
    if (rc != VT_OK)
        goto out;
    s->key = vt_pkey_ref(key);
    *out = s;
    s = NULL;
out:
    vt_buf_free(&pub);
    vt_note_signer_free(s);
    return rc;
}

vt_status vt_note_signer_new(vt_note_signer **out, const char *name, vt_pkey *key, vt_err *err)
{
    return signer_new(out, name, ALG_ED25519, key, err);
}

vt_status vt_note_cosigner_new(vt_note_signer **out, const char *name, vt_pkey *key, vt_err *err)
{
    return signer_new(out, name, ALG_COSIG_V1, key, err);
}

void vt_note_signer_free(vt_note_signer *s)
{
    if (s == NULL)
        return;
    vt_pkey_free(s->key);
    vt_wipe(s, sizeof(*s));
    free(s);
}

void vt_note_verifier_free(vt_note_verifier *v)
{
    if (v == NULL)
        return;
    vt_pkey_free(v->key);
    free(v);
}

const char *vt_note_verifier_name(const vt_note_verifier *v)
{
    return v->name;
}

uint32_t vt_note_verifier_id(const vt_note_verifier *v)
{
    return v->id;
}

/* "<name>+<8 hex>+<base64(0x01 || 32 bytes)>": name, id and the 32 key bytes (checked: id matches
 * when the key is public; for a private seed the caller checks after deriving the public key). */
static vt_status key_string(char name[VT_NOTE_NAME_MAX + 1], uint8_t *alg, uint32_t *id, uint8_t key[32],
                            const char *s, size_t len, const char *what, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    const char *p1, *p2;
    uint8_t idb[4];
    vt_buf b;

    vt_buf_init(&b);
    p1 = memchr(s, '+', len);
    p2 = p1 != NULL ? memchr(p1 + 1, '+', len - (size_t)(p1 + 1 - s)) : NULL;
    if (len > KEY_STRING_MAX || p1 == NULL || p2 == NULL || !name_ok((const uint8_t *)s, (size_t)(p1 - s))) {
        rc = vt_err_set(err, VT_E_FORMAT, "note: %s is not <name>+<key id>+<base64 key>", what);
        goto out;
    }
    if (p2 - p1 - 1 != 8 || vt_hex_decode(idb, 4, p1 + 1, 8, NULL) != VT_OK) {
        rc = vt_err_set(err, VT_E_FORMAT, "note: %s key id is not 8 hex digits", what);
        goto out;
    }
    rc = vt__b64std_decode(&b, p2 + 1, len - (size_t)(p2 + 1 - s), err);
    if (rc != VT_OK)
        goto out;
    if (b.len != 33 || (b.data[0] != ALG_ED25519 && b.data[0] != ALG_COSIG_V1)) {
        rc = vt_err_set(err, VT_E_UNSUPPORTED,
                        "note: %s is not an Ed25519 key (type 0x01, or 0x04 for a cosigner; 32 bytes)", what);
        goto out;
    }
    *alg = b.data[0];
    memcpy(name, s, (size_t)(p1 - s));
    name[p1 - s] = '\0';
    *id = (uint32_t)idb[0] << 24 | (uint32_t)idb[1] << 16 | (uint32_t)idb[2] << 8 | idb[3];
    memcpy(key, b.data + 1, 32);
    rc = VT_OK;
out:
    vt_buf_free(&b);
    return rc;
}

vt_status vt_note_verifier_parse(vt_note_verifier **out, const char *vkey, size_t len, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    vt_note_verifier *v = NULL;
    uint8_t pub[32];
    uint32_t want;

    *out = NULL;
    v = calloc(1, sizeof(*v));
    if (v == NULL)
        return vt_err_set(err, VT_E_NOMEM, "note: out of memory");
    rc = key_string(v->name, &v->alg, &v->id, pub, vkey, len, "verifier key", err);
    if (rc == VT_OK)
        rc = key_id(&want, v->name, v->alg, pub, err);
    if (rc == VT_OK && want != v->id)
        rc = vt_err_set(err, VT_E_FORMAT, "note: verifier key id %08x is not that of its name and key (%08x)",
                        v->id, want);
    if (rc == VT_OK)
        rc = vt_pkey_from_ed25519_raw(&v->key, pub, false, err);
    if (rc != VT_OK)
        goto out;
    *out = v;
    v = NULL;
out:
    vt_note_verifier_free(v);
    return rc;
}

vt_status vt_note_signer_parse(vt_note_signer **out, const char *skey, vt_err *err)
{
    static const char prefix[] = "PRIVATE+KEY+";
    vt_status rc = VT_E_INTERNAL;
    char name[VT_NOTE_NAME_MAX + 1];
    uint8_t seed[32];
    uint32_t id = 0;
    uint8_t alg = 0;
    vt_pkey *k = NULL;
    size_t len = strnlen(skey, KEY_STRING_MAX + 1);

    *out = NULL;
    if (strncmp(skey, prefix, sizeof(prefix) - 1) != 0) {
        rc = vt_err_set(err, VT_E_FORMAT, "note: signer key does not start with PRIVATE+KEY+");
        goto out;
    }
    rc = key_string(name, &alg, &id, seed, skey + sizeof(prefix) - 1, len - (sizeof(prefix) - 1), "signer key",
                    err);
    if (rc == VT_OK)
        rc = vt_pkey_from_ed25519_raw(&k, seed, true, err);
    if (rc == VT_OK)
        rc = signer_new(out, name, alg, k, err);
    if (rc == VT_OK && (*out)->id != id) {
        vt_note_signer_free(*out);
        *out = NULL;
        rc = vt_err_set(err, VT_E_FORMAT, "note: signer key id %08x is not that of its name and key", id);
    }
out:
    vt_wipe(seed, sizeof(seed));
    vt_pkey_free(k);
    return rc;
}

vt_status vt_note_signer_vkey(vt_buf *out, const vt_note_signer *s, vt_err *err)
{
    uint8_t k[33];
    char hex[9];
    vt_status rc;

    k[0] = s->alg;
    memcpy(k + 1, s->pub, 32);
    snprintf(hex, sizeof(hex), "%08x", s->id);
    rc = vt_buf_append_str(out, s->name, err);
    if (rc == VT_OK)
        rc = vt_buf_append_str(out, "+", err);
    if (rc == VT_OK)
        rc = vt_buf_append_str(out, hex, err);
    if (rc == VT_OK)
        rc = vt_buf_append_str(out, "+", err);
    if (rc == VT_OK)
        rc = vt_base64_encode(out, k, sizeof(k), false, err);
    if (rc == VT_OK)
        rc = vt_buf_terminate(out, err);
    return rc;
}

/* "— <name> <base64(blob)>\n": one signature line. */
static vt_status sig_line(vt_buf *out, const char *name, const uint8_t *blob, size_t len, vt_err *err)
{
    vt_status rc = vt_buf_append_str(out, SIG_DASH, err);

    if (rc == VT_OK)
        rc = vt_buf_append_str(out, name, err);
    if (rc == VT_OK)
        rc = vt_buf_append_str(out, " ", err);
    if (rc == VT_OK)
        rc = vt_base64_encode(out, blob, len, false, err);
    if (rc == VT_OK)
        rc = vt_buf_append_str(out, "\n", err);
    return rc;
}

vt_status vt_note_sign(vt_buf *out, const char *text, size_t len, const vt_note_signer *s, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    uint8_t blob[4 + 64];
    vt_buf sig;

    vt_buf_init(&sig);
    if (s->alg != ALG_ED25519) {
        rc = vt_err_set(err, VT_E_ARG, "note: a cosigner key makes cosignatures (vt_note_cosign), not notes");
        goto out;
    }
    if (len == 0 || len > VT_NOTE_MAX / 2 || text[len - 1] != '\n' || !vt__note_text_ok((const uint8_t *)text, len)) {
        rc = vt_err_set(err, VT_E_ARG, "note: text must be non-empty UTF-8 ending in a newline, without control "
                                       "characters");
        goto out;
    }
    rc = vt_sig_sign(&sig, s->key, VT_MD_SHA256, false, text, len, err);
    if (rc == VT_OK && sig.len != 64)
        rc = vt_err_set(err, VT_E_INTERNAL, "note: Ed25519 signature of %zu bytes", sig.len);
    if (rc != VT_OK)
        goto out;
    blob[0] = (uint8_t)(s->id >> 24);
    blob[1] = (uint8_t)(s->id >> 16);
    blob[2] = (uint8_t)(s->id >> 8);
    blob[3] = (uint8_t)s->id;
    memcpy(blob + 4, sig.data, 64);
    rc = vt_buf_append(out, text, len, err);
    if (rc == VT_OK)
        rc = vt_buf_append_str(out, "\n", err);
    if (rc == VT_OK)
        rc = sig_line(out, s->name, blob, sizeof(blob), err);
out:
    vt_buf_free(&sig);
    return rc;
}

/* "cosignature/v1\ntime <t>\n" || text: what a v1 cosignature signs. */
static vt_status cosig_message(vt_buf *out, uint64_t t, const void *text, size_t len, vt_err *err)
{
    char line[32];
    vt_status rc;

    snprintf(line, sizeof(line), "%llu\n", (unsigned long long)t);
    rc = vt_buf_append_str(out, COSIG_HEADER, err);
    if (rc == VT_OK)
        rc = vt_buf_append_str(out, line, err);
    if (rc == VT_OK)
        rc = vt_buf_append(out, text, len, err);
    return rc;
}

vt_status vt_note_cosign(vt_buf *out, const char *text, size_t len, const vt_note_signer *s, uint64_t timestamp,
                         vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    uint8_t blob[4 + 8 + 64];
    vt_buf msg, sig;

    vt_buf_init(&msg);
    vt_buf_init(&sig);
    if (s->alg != ALG_COSIG_V1) {
        rc = vt_err_set(err, VT_E_ARG, "note: %s is not a cosigner key (type 0x04)", s->name);
        goto out;
    }
    if (timestamp > INT64_MAX || len == 0 || len > VT_NOTE_MAX / 2 || text[len - 1] != '\n' ||
        !vt__note_text_ok((const uint8_t *)text, len)) {
        rc = vt_err_set(err, VT_E_ARG, "note: cosigned text must be non-empty UTF-8 ending in a newline");
        goto out;
    }
    rc = cosig_message(&msg, timestamp, text, len, err);
    if (rc == VT_OK)
        rc = vt_sig_sign(&sig, s->key, VT_MD_SHA256, false, msg.data, msg.len, err);
    if (rc == VT_OK && sig.len != 64)
        rc = vt_err_set(err, VT_E_INTERNAL, "note: Ed25519 signature of %zu bytes", sig.len);
    if (rc != VT_OK)
        goto out;
    for (int i = 0; i < 4; i++)
        blob[i] = (uint8_t)(s->id >> (24 - 8 * i));
    for (int i = 0; i < 8; i++)
        blob[4 + i] = (uint8_t)(timestamp >> (56 - 8 * i));
    memcpy(blob + 12, sig.data, 64);
    rc = sig_line(out, s->name, blob, sizeof(blob), err);
out:
    vt_buf_free(&msg);
    vt_buf_free(&sig);
    return rc;
}

/* Verifies one signature blob (key id stripped by the caller's check) of v over text. */
static bool sig_ok(const vt_note_verifier *v, const uint8_t *blob, size_t blen, const uint8_t *text, size_t tlen,
                   uint64_t *t_out)
{
    uint64_t t = 0;
    vt_buf msg;
    bool ok;

    if (v->alg == ALG_ED25519)
        return blen == 4 + 64 && vt_sig_verify(v->key, VT_MD_SHA256, false, text, tlen, blob + 4, 64, NULL) == VT_OK;
    if (blen != 4 + 8 + 64)
        return false;
    for (int i = 0; i < 8; i++)
        t = t << 8 | blob[4 + i];
    if (t > INT64_MAX)
        return false;
    vt_buf_init(&msg);
    ok = cosig_message(&msg, t, text, tlen, NULL) == VT_OK &&
         vt_sig_verify(v->key, VT_MD_SHA256, false, msg.data, msg.len, blob + 12, 64, NULL) == VT_OK;
    vt_buf_free(&msg);
    if (ok)
        *t_out = t;
    return ok;
}

static vt_status note_open(size_t *text_len, uint64_t *t_out, const uint8_t *note, size_t len,
                           const vt_note_verifier *v, vt_err *err);

vt_status vt_note_open(size_t *text_len, const uint8_t *note, size_t len, const vt_note_verifier *v, vt_err *err)
{
    uint64_t t;

    if (v->alg != ALG_ED25519)
        return vt_err_set(err, VT_E_ARG, "note: %s is a cosigner key: use vt_note_open_cosigned", v->name);
    return note_open(text_len, &t, note, len, v, err);
}

vt_status vt_note_open_cosigned(size_t *text_len, uint64_t *timestamp, const uint8_t *note, size_t len,
                                const vt_note_verifier *v, vt_err *err)
{
    *timestamp = 0;
    if (v->alg != ALG_COSIG_V1)
        return vt_err_set(err, VT_E_ARG, "note: %s is not a cosigner key (type 0x04)", v->name);
    return note_open(text_len, timestamp, note, len, v, err);
}

static vt_status note_open(size_t *text_len, uint64_t *t_out, const uint8_t *note, size_t len,
                           const vt_note_verifier *v, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    size_t sep = 0, nsig = 0, i;
    bool found = false, verified = false;
    vt_buf b;

    *text_len = 0;
    vt_buf_init(&b);
    if (len > VT_NOTE_MAX) {
        rc = vt_err_set(err, VT_E_LIMIT, "note: %zu bytes, more than %zu", len, VT_NOTE_MAX);
        goto out;
    }
    if (!vt__note_text_ok(note, len)) {
        rc = vt_err_set(err, VT_E_FORMAT, "note: not UTF-8 text without control characters");
        goto out;
    }
    /* The text ends at the last blank line. */
    for (i = len; i >= 2 && !found; i--)
        if (note[i - 1] == '\n' && note[i - 2] == '\n') {
            sep = i - 2;
            found = true;
        }
    if (!found || sep == 0 || len == sep + 2 || note[len - 1] != '\n') {
        rc = vt_err_set(err, VT_E_FORMAT, "note: no text, blank line and signature lines");
        goto out;
    }
    for (i = sep + 2; i < len;) {
        const uint8_t *line = note + i, *eol = memchr(line, '\n', len - i), *sp;
        size_t ll = (size_t)(eol - line), nl;
        uint32_t id;

        i += ll + 1;
        if (++nsig > VT_NOTE_SIGS_MAX) {
            rc = vt_err_set(err, VT_E_LIMIT, "note: more than %d signatures", VT_NOTE_SIGS_MAX);
            goto out;
        }
        sp = ll > 4 ? memchr(line + 4, ' ', ll - 4) : NULL;
        if (ll < 4 || memcmp(line, SIG_DASH, 4) != 0 || sp == NULL) {
            rc = vt_err_set(err, VT_E_FORMAT, "note: signature line %zu is not '— <name> <base64>'", nsig);
            goto out;
        }
        nl = (size_t)(sp - line - 4);
        b.len = 0;
        if (!name_ok(line + 4, nl) ||
            vt__b64std_decode(&b, (const char *)sp + 1, (size_t)(eol - sp - 1), NULL) != VT_OK || b.len < 5) {
            rc = vt_err_set(err, VT_E_FORMAT, "note: signature line %zu has a bad name or signature", nsig);
            goto out;
        }
        id = (uint32_t)b.data[0] << 24 | (uint32_t)b.data[1] << 16 | (uint32_t)b.data[2] << 8 | b.data[3];
        if (id != v->id || nl != strlen(v->name) || memcmp(line + 4, v->name, nl) != 0)
            continue; /* another key's: ignored */
        /* A known key's signature must verify, or the whole note is rejected. */
        if (!sig_ok(v, b.data, b.len, note, sep + 1, t_out)) {
            rc = vt_err_set(err, VT_E_CRYPTO, "note: signature by %s (%08x) does not verify", v->name, v->id);
            goto out;
        }
        verified = true;
    }
    if (!verified) {
        rc = vt_err_set(err, VT_E_CRYPTO, "note: no signature by %s (%08x)", v->name, v->id);
        goto out;
    }
    *text_len = sep + 1;
    rc = VT_OK;
out:
    vt_buf_free(&b);
    return rc;
}
