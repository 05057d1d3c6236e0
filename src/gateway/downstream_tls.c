/*
 * Attested TLS to downstream deployments (downstream_tls.h): the client side of the key pin.
 */
#include <stdlib.h>
#include <string.h>

#include <event2/bufferevent_ssl.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "gateway/downstream_tls.h"

struct vt_gw_tls_client {
    SSL_CTX *ctx;
};

static pthread_once_t idx_once = PTHREAD_ONCE_INIT;
static int pin_idx = -1;     /* SSL ex_data: the vt_gw_tls_pin the handshake checks against */
static int refused_idx = -1; /* SSL ex_data: non-NULL once the server's key was refused */

static void make_indices(void)
{
    pin_idx = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
    refused_idx = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
}

/* SHA-256 of the certificate's DER SubjectPublicKeyInfo (what vt_pkey_spki_sha256 digests). */
static bool leaf_key_digest(uint8_t out[32], X509 *leaf)
{
    unsigned char *der = NULL;
    int len = leaf != NULL ? i2d_X509_PUBKEY(X509_get_X509_PUBKEY(leaf), &der) : -1;

    if (len <= 0)
        return false;
    SHA256(der, (size_t)len, out);
    OPENSSL_free(der);
    return true;
}

/*
 * OpenSSL's chain verdict does not matter (there is no CA store: a downstream gateway's
 * certificate is self-signed or from a CA nobody here trusts for this); the leaf's key does.
 * Called for every certificate and every error; only depth 0 decides.
 */
static int verify_key(int ok, X509_STORE_CTX *xs)
{
    SSL *ssl = X509_STORE_CTX_get_ex_data(xs, SSL_get_ex_data_X509_STORE_CTX_idx());
    vt_gw_tls_pin *pin = ssl != NULL ? SSL_get_ex_data(ssl, pin_idx) : NULL;
    uint8_t d[32];
    bool match = false;

    (void)ok;
    if (X509_STORE_CTX_get_error_depth(xs) > 0)
        return 1;
    if (pin != NULL && leaf_key_digest(d, X509_STORE_CTX_get_current_cert(xs))) {
        pthread_mutex_lock(&pin->mu);
        match = pin->set && CRYPTO_memcmp(d, pin->spki_sha256, sizeof(d)) == 0;
        pin->refused = pin->refused || !match;
        pthread_mutex_unlock(&pin->mu);
    }
    if (!match) {
        if (ssl != NULL)
            (void)SSL_set_ex_data(ssl, refused_idx, ssl);
        X509_STORE_CTX_set_error(xs, X509_V_ERR_APPLICATION_VERIFICATION);
        return 0;
    }
    X509_STORE_CTX_set_error(xs, X509_V_OK);
    return 1;
}

vt_status vt_gw_tls_client_new(vt_gw_tls_client **out, vt_err *err)
{
    vt_gw_tls_client *c = calloc(1, sizeof(*c));

    *out = NULL;
    pthread_once(&idx_once, make_indices);
    if (c == NULL)
        return vt_err_set(err, VT_E_NOMEM, "gateway: out of memory");
    c->ctx = pin_idx >= 0 && refused_idx >= 0 ? SSL_CTX_new(TLS_client_method()) : NULL;
    if (c->ctx == NULL || SSL_CTX_set_min_proto_version(c->ctx, TLS1_2_VERSION) != 1) {
        vt_gw_tls_client_free(c);
        return vt_err_set(err, VT_E_CRYPTO, "gateway: cannot make the TLS client context for downstream deployments");
    }
    SSL_CTX_set_verify(c->ctx, SSL_VERIFY_PEER, verify_key);
    *out = c;
    return VT_OK;
}

void vt_gw_tls_client_free(vt_gw_tls_client *c)
{
    if (c == NULL)
        return;
    SSL_CTX_free(c->ctx);
    free(c);
}

void vt_gw_tls_pin_init(vt_gw_tls_pin *p)
{
    memset(p, 0, sizeof(*p));
    pthread_mutex_init(&p->mu, NULL);
}

void vt_gw_tls_pin_destroy(vt_gw_tls_pin *p)
{
    pthread_mutex_destroy(&p->mu);
}

void vt_gw_tls_pin_set(vt_gw_tls_pin *p, const uint8_t spki_sha256[32])
{
    pthread_mutex_lock(&p->mu);
    memcpy(p->spki_sha256, spki_sha256, sizeof(p->spki_sha256));
    p->set = true;
    p->refused = false;
    pthread_mutex_unlock(&p->mu);
}

bool vt_gw_tls_pin_refused(vt_gw_tls_pin *p)
{
    bool r;

    pthread_mutex_lock(&p->mu);
    r = p->refused;
    pthread_mutex_unlock(&p->mu);
    return r;
}

struct bufferevent *vt_gw_tls_client_bev(vt_gw_tls_client *c, struct event_base *base, vt_gw_tls_pin *pin,
                                         const char *sni)
{
    SSL *ssl = SSL_new(c->ctx);
    struct bufferevent *bev;

    if (ssl == NULL)
        return NULL;
    if (SSL_set_ex_data(ssl, pin_idx, pin) != 1 || (sni != NULL && SSL_set_tlsext_host_name(ssl, sni) != 1)) {
        SSL_free(ssl);
        return NULL;
    }
    bev = bufferevent_openssl_socket_new(base, -1, ssl, BUFFEREVENT_SSL_CONNECTING, BEV_OPT_CLOSE_ON_FREE);
    if (bev == NULL) {
        SSL_free(ssl);
        return NULL;
    }
    /* No dirty shutdown: a body framed by the connection's end is whole only at the server's
     * close_notify, so a party on the path that cuts the connection (a TCP FIN it forged)
     * gets an error, not a shortened answer. */
    return bev;
}

bool vt_gw_tls_client_key_refused(struct bufferevent *bev)
{
    SSL *ssl = bev != NULL ? bufferevent_openssl_get_ssl(bev) : NULL;

    return ssl != NULL && SSL_get_ex_data(ssl, refused_idx) != NULL;
}
