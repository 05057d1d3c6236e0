/*
 * TLS for the HTTP servers (see include/veritee/tls.h, docs/transport.md).
 *
 * One SSL_CTX per server, shared by every event loop (OpenSSL contexts are
 * thread-safe once configured); each accepted connection gets its own SSL in
 * a libevent bufferevent_openssl made with fd -1: evhttp binds the socket
 * later, as for a plain bufferevent.  BEV_OPT_CLOSE_ON_FREE makes libevent
 * free the SSL and close the socket when the last reference goes (evhttp then
 * only shuts the socket down for writing; the connection guard's reference
 * delays the close to its next tick, as it does for plain connections' slots).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>

#include "crypto/crypto_int.h"
#include "veritee/tls.h"

#define CERT_CHAIN_MAX 8
#define CERT_FILE_MAX (256u * 1024u)
#define SELF_SIGNED_DAYS 365

struct vt_tls_server {
    SSL_CTX *ctx;      /* the server's */
    SSL_CTX *self_ctx; /* a client's, for connections to ourselves */
    vt_pkey *key;      /* a reference */
    uint8_t spki[32];  /* SHA-256 of the key's SubjectPublicKeyInfo */
    char pin[64];
    char *cert_pem;
    bool tls12;
};

static vt_status ssl_error(vt_err *err, const char *what)
{
    unsigned long e = ERR_get_error();
    char buf[160] = "";

    if (e != 0)
        ERR_error_string_n(e, buf, sizeof(buf));
    ERR_clear_error();
    return vt_err_set(err, VT_E_CRYPTO, "tls: %s%s%s", what, buf[0] ? ": " : "", buf);
}

/* subjectAltName DNS:<name>, DNS:localhost, IP:127.0.0.1, IP:::1 as DER (OPENSSL_free). */
static vt_status san_der(unsigned char **der, int *len, const char *name, vt_err *err)
{
    static const unsigned char v4[4] = { 127, 0, 0, 1 }, v6[16] = { [15] = 1 };
    GENERAL_NAMES *gens = sk_GENERAL_NAME_new_null();
    const char *dns[2] = { name, "localhost" };
    vt_status rc = VT_E_NOMEM;

    *der = NULL;
    for (int i = 0; gens != NULL && i < 4; i++) {
        GENERAL_NAME *g = GENERAL_NAME_new();
        ASN1_STRING *s = i < 2 ? (ASN1_STRING *)ASN1_IA5STRING_new() : ASN1_OCTET_STRING_new();
        if (i == 1 && strcmp(name, "localhost") == 0) {
            GENERAL_NAME_free(g);
            ASN1_STRING_free(s);
            continue;
        }
        if (g == NULL || s == NULL ||
            (i < 2 ? ASN1_STRING_set(s, dns[i], (int)strlen(dns[i]))
                   : ASN1_OCTET_STRING_set(s, i == 2 ? v4 : v6, i == 2 ? 4 : 16)) != 1) {
            GENERAL_NAME_free(g);
            ASN1_STRING_free(s);
            goto out;
        }
        GENERAL_NAME_set0_value(g, i < 2 ? GEN_DNS : GEN_IPADD, s);
        if (sk_GENERAL_NAME_push(gens, g) <= 0) {
            GENERAL_NAME_free(g);
            goto out;
        }
    }
    if (gens != NULL)
        *len = i2d_GENERAL_NAMES(gens, der);
    rc = *der != NULL && *len > 0 ? VT_OK : VT_E_NOMEM;
out:
    GENERAL_NAMES_free(gens);
    return rc == VT_OK ? VT_OK : vt_err_set(err, rc, "tls: cannot encode the certificate's names");
}

/* A self-signed certificate for t->key, valid from a day before now for a year. */
static vt_status self_signed(vt_x509 **out, const vt_tls_server *t, const char *name, vt_time now, vt_err *err)
{
    vt_x509_spec spec;
    vt_x509_ext_spec ext;
    unsigned char *der = NULL;
    uint8_t rnd[8];
    int len = 0;
    vt_status rc;

    memset(&spec, 0, sizeof(spec));
    rc = san_der(&der, &len, name, err);
    if (rc == VT_OK)
        rc = vt_random(rnd, sizeof(rnd), err);
    if (rc != VT_OK)
        goto out;
    ext = (vt_x509_ext_spec){ "2.5.29.17", der, (size_t)len, false };
    spec.subject_cn = name;
    spec.subject_o = "veritee (key bound to the attestation, not to this certificate)";
    memcpy(&spec.serial, rnd, sizeof(spec.serial));
    spec.serial = (spec.serial >> 1) | 1u; /* positive, non-zero */
    spec.not_before = now - 86400;
    spec.not_after = now + (vt_time)SELF_SIGNED_DAYS * 86400;
    spec.exts = &ext;
    spec.ext_count = 1;
    rc = vt_x509_issue(out, &spec, t->key, NULL, t->key, err);
out:
    OPENSSL_free(der);
    return rc;
}

/* The configured chain: every certificate in the PEM file, the leaf's key ours. */
static vt_status load_chain(vt_x509 **chain, size_t *count, const vt_tls_server *t, const char *path, vt_err *err)
{
    vt_buf pem;
    vt_pkey *leaf = NULL;
    vt_status rc;

    vt_buf_init(&pem);
    *count = 0;
    rc = vt_file_read(&pem, path, CERT_FILE_MAX, err);
    if (rc == VT_OK)
        rc = vt_x509_list_from_pem(chain, count, CERT_CHAIN_MAX, (const char *)pem.data, pem.len, err);
    if (rc == VT_OK && *count == 0)
        rc = vt_err_set(err, VT_E_FORMAT, "tls: certificate file %s holds no PEM certificate", path);
    if (rc == VT_OK)
        rc = vt_x509_pubkey(&leaf, chain[0], err);
    if (rc == VT_OK && EVP_PKEY_eq(vt__pkey_get(leaf), vt__pkey_get(t->key)) != 1)
        rc = vt_err_set(err, VT_E_ARG,
                        "tls: certificate %s is not for this gateway's TLS key (the key made inside the TEE at "
                        "boot): its first certificate must carry that key", path);
    ERR_clear_error();
    vt_pkey_free(leaf);
    vt_buf_free(&pem);
    return rc;
}

static vt_status server_ctx(vt_tls_server *t, vt_x509 *const *chain, size_t count, vt_err *err)
{
    t->ctx = SSL_CTX_new(TLS_server_method());
    if (t->ctx == NULL)
        return ssl_error(err, "cannot make a server context");
    if (SSL_CTX_set_min_proto_version(t->ctx, t->tls12 ? TLS1_2_VERSION : TLS1_3_VERSION) != 1 ||
        SSL_CTX_set_max_proto_version(t->ctx, TLS1_3_VERSION) != 1)
        return ssl_error(err, "cannot set the protocol versions");
    SSL_CTX_set_options(t->ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
    if (t->tls12 && SSL_CTX_set_cipher_list(t->ctx, "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
                                                    "ECDHE-ECDSA-CHACHA20-POLY1305") != 1)
        return ssl_error(err, "cannot set the TLS 1.2 ciphers");
    if (SSL_CTX_use_certificate(t->ctx, vt__x509_get(chain[0])) != 1)
        return ssl_error(err, "the certificate is refused");
    for (size_t i = 1; i < count; i++)
        if (SSL_CTX_add1_chain_cert(t->ctx, vt__x509_get(chain[i])) != 1)
            return ssl_error(err, "a chain certificate is refused");
    if (SSL_CTX_use_PrivateKey(t->ctx, vt__pkey_get(t->key)) != 1 || SSL_CTX_check_private_key(t->ctx) != 1)
        return ssl_error(err, "the key does not match the certificate");
    return VT_OK;
}

/* The client context for connections to ourselves: the server must present our key. */
static int self_verify(X509_STORE_CTX *xs, void *arg)
{
    const vt_tls_server *t = arg;
    X509 *leaf = X509_STORE_CTX_get0_cert(xs);
    EVP_PKEY *pk = leaf != NULL ? X509_get0_pubkey(leaf) : NULL;

    return pk != NULL && EVP_PKEY_eq(pk, vt__pkey_get(t->key)) == 1 ? 1 : 0;
}

static vt_status self_ctx(vt_tls_server *t, vt_err *err)
{
    t->self_ctx = SSL_CTX_new(TLS_client_method());
    if (t->self_ctx == NULL)
        return ssl_error(err, "cannot make a client context");
    if (SSL_CTX_set_min_proto_version(t->self_ctx, TLS1_3_VERSION) != 1)
        return ssl_error(err, "cannot set the client's protocol version");
    SSL_CTX_set_verify(t->self_ctx, SSL_VERIFY_PEER, NULL);
    SSL_CTX_set_cert_verify_callback(t->self_ctx, self_verify, t);
    return VT_OK;
}

vt_status vt_tls_server_new(vt_tls_server **out, const vt_tls_server_opts *o, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    vt_tls_server *t = NULL;
    vt_x509 *chain[CERT_CHAIN_MAX] = { NULL };
    size_t count = 0;
    vt_buf b64, pem;

    *out = NULL;
    vt_buf_init(&b64);
    vt_buf_init(&pem);
    if (o == NULL || o->key == NULL ||
        (vt_pkey_type(o->key) != VT_KEY_EC_P256 && vt_pkey_type(o->key) != VT_KEY_EC_P384))
        return vt_err_set(err, VT_E_ARG, "tls: key must be an ECDSA P-256 or P-384 key");
    t = calloc(1, sizeof(*t));
    if (t == NULL)
        return vt_err_set(err, VT_E_NOMEM, "tls: out of memory");
    t->key = vt_pkey_ref((vt_pkey *)o->key);
    t->tls12 = o->tls12;
    rc = vt_pkey_spki_sha256(t->spki, t->key, err);
    if (rc == VT_OK)
        rc = vt_base64_encode(&b64, t->spki, sizeof(t->spki), false, err);
    if (rc != VT_OK)
        goto out;
    snprintf(t->pin, sizeof(t->pin), "sha256//%.*s", (int)b64.len, (const char *)b64.data);
    if (o->cert_path != NULL) {
        rc = load_chain(chain, &count, t, o->cert_path, err);
    } else {
        rc = self_signed(&chain[0], t, o->name != NULL ? o->name : "veritee", o->now != 0 ? o->now : vt_time_now(),
                         err);
        count = rc == VT_OK ? 1 : 0;
    }
    for (size_t i = 0; rc == VT_OK && i < count; i++)
        rc = vt_x509_to_pem(&pem, chain[i], err);
    if (rc == VT_OK)
        rc = vt_buf_terminate(&pem, err);
    if (rc != VT_OK)
        goto out;
    t->cert_pem = (char *)pem.data;
    vt_buf_init(&pem);
    rc = server_ctx(t, chain, count, err);
    if (rc == VT_OK)
        rc = self_ctx(t, err);
    if (rc != VT_OK)
        goto out;
    *out = t;
    t = NULL;
out:
    for (size_t i = 0; i < CERT_CHAIN_MAX; i++)
        vt_x509_free(chain[i]);
    vt_buf_free(&b64);
    vt_buf_free(&pem);
    vt_tls_server_free(t);
    return rc;
}

void vt_tls_server_free(vt_tls_server *t)
{
    if (t == NULL)
        return;
    SSL_CTX_free(t->ctx);
    SSL_CTX_free(t->self_ctx);
    vt_pkey_free(t->key);
    free(t->cert_pem);
    free(t);
}

const char *vt_tls_server_pin(const vt_tls_server *t)
{
    return t->pin;
}

const char *vt_tls_server_cert_pem(const vt_tls_server *t)
{
    return t->cert_pem;
}

const char *vt_tls_server_versions(const vt_tls_server *t)
{
    return t->tls12 ? "TLSv1.2+TLSv1.3" : "TLSv1.3";
}

/*
 * bufferevent_openssl calls SSL_write once per evbuffer chain, and evhttp adds a
 * response as separate chains (status and headers, then the body, then each
 * streamed piece), so a small response would leave as two TLS records and two
 * write(2)s.  This callback runs on every addition to the connection's output and
 * makes its first record's worth of bytes one chain, so they go out as one
 * SSL_write: one record per response up to 16 KiB, full records after.  The copy
 * happens only while the head is fragmented, and bytes never move between
 * responses out of order (pullup keeps the buffer's content and length).
 */
#define TLS_RECORD_MAX 16384

static void coalesce_output(struct evbuffer *out, const struct evbuffer_cb_info *info, void *arg)
{
    size_t len = evbuffer_get_length(out);

    (void)arg;
    if (info->n_added == 0 || len < 2)
        return;
    /* A NULL return (out of memory, or a frozen head) leaves the buffer as it was: only
     * the record split differs. */
    (void)evbuffer_pullup(out, (ev_ssize_t)(len < TLS_RECORD_MAX ? len : TLS_RECORD_MAX));
}

struct bufferevent *vt_tls_server_bev(void *arg, struct event_base *base)
{
    vt_tls_server *t = arg;
    SSL *ssl = SSL_new(t->ctx);
    struct bufferevent *bev;

    if (ssl == NULL)
        return NULL;
    bev = bufferevent_openssl_socket_new(base, -1, ssl, BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
    if (bev == NULL) {
        SSL_free(ssl);
        return NULL;
    }
    /* A client that closes without close_notify ends its connection as an EOF, not an error. */
    bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
    if (evbuffer_add_cb(bufferevent_get_output(bev), coalesce_output, NULL) == NULL) {
        bufferevent_free(bev); /* frees ssl */
        return NULL;
    }
    return bev;
}

struct evhttp_connection *vt_tls_self_connection(const vt_tls_server *t, struct event_base *base, const char *host,
                                                 uint16_t port)
{
    SSL *ssl = SSL_new(t->self_ctx);
    struct bufferevent *bev;
    struct evhttp_connection *evcon;

    if (ssl == NULL)
        return NULL;
    bev = bufferevent_openssl_socket_new(base, -1, ssl, BUFFEREVENT_SSL_CONNECTING,
                                         BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
    if (bev == NULL) {
        SSL_free(ssl);
        return NULL;
    }
    bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
    evcon = evhttp_connection_base_bufferevent_new(base, NULL, bev, host, port);
    if (evcon == NULL)
        bufferevent_free(bev);
    return evcon;
}
