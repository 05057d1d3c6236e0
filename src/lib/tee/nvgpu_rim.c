/*
 * NVIDIA RIMs (tee/nvgpu_rim.h): SWID XML parsed with libxml2 (no DTD, no
 * network, no entities), the enveloped XML-DSig verified with xmlsec1.
 */
/* xmlsec1's OpenSSL headers still name the pre-3.0 key types (DSA, EC_KEY, RSA);
 * this file calls none of those functions. */
#undef OPENSSL_NO_DEPRECATED
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <xmlsec/crypto.h>
#include <xmlsec/xmldsig.h>
#include <xmlsec/xmlsec.h>
#include <xmlsec/xmltree.h>

#include "tee/nvgpu_rim.h"

#define SWID_NS "http://standards.iso.org/iso/19770/-2/2015/schema.xsd"
#define HASH_NS "http://www.w3.org/2001/04/xmlenc#sha384"
#define DSIG_NS "http://www.w3.org/2000/09/xmldsig#"

static pthread_once_t xmlsec_once = PTHREAD_ONCE_INIT;
static bool xmlsec_ready;

static void xmlsec_init(void)
{
    xmlInitParser();
    if (xmlSecInit() < 0)
        return;
    if (xmlSecCheckVersion() != 1 || xmlSecCryptoAppInit(NULL) < 0 || xmlSecCryptoInit() < 0)
        return;
    xmlsec_ready = true;
}

static bool named(const xmlNode *n, const char *name, const char *ns)
{
    return n->type == XML_ELEMENT_NODE && xmlStrcmp(n->name, BAD_CAST name) == 0 && n->ns != NULL &&
           xmlStrcmp(n->ns->href, BAD_CAST ns) == 0;
}

static const xmlNode *child(const xmlNode *parent, const char *name, const char *ns)
{
    for (const xmlNode *c = parent->children; c != NULL; c = c->next)
        if (named(c, name, ns))
            return c;
    return NULL;
}

/* An attribute (no namespace, or ns) copied into out; false when absent or too long. */
static bool attr(char *out, size_t cap, const xmlNode *n, const char *name, const char *ns)
{
    xmlChar *v = ns != NULL ? xmlGetNsProp(n, BAD_CAST name, BAD_CAST ns) : xmlGetNoNsProp(n, BAD_CAST name);
    bool ok = v != NULL && strlen((const char *)v) < cap;

    out[0] = '\0';
    if (ok)
        snprintf(out, cap, "%s", (const char *)v);
    xmlFree(v);
    return ok;
}

static bool uint_of(unsigned long *out, const char *s, unsigned long max)
{
    char *end = NULL;

    if (s[0] < '0' || s[0] > '9')
        return false;
    *out = strtoul(s, &end, 10);
    return *end == '\0' && *out <= max;
}

static vt_status parse_resource(vt__nvgpu_rim *r, const xmlNode *n, vt_err *err)
{
    vt__nvgpu_rim_meas *m;
    char s[2 * VT_NVGPU_RIM_VALUE_MAX + 2], name[32];
    unsigned long idx, alts, size;

    if (!attr(s, sizeof(s), n, "type", NULL) || strcmp(s, "Measurement") != 0)
        return VT_OK; /* other resources carry no golden values */
    if (r->meas_count >= VT_NVGPU_RIM_MEAS_MAX)
        return vt_err_set(err, VT_E_LIMIT, "nvgpu: rim has more than %d measurements", VT_NVGPU_RIM_MEAS_MAX);
    if (!attr(s, sizeof(s), n, "index", NULL) || !uint_of(&idx, s, 255))
        return vt_err_set(err, VT_E_FORMAT, "nvgpu: rim Resource index missing or not 0..255");
    if (vt__nvgpu_rim_find(r, (unsigned)idx) != NULL)
        return vt_err_set(err, VT_E_FORMAT, "nvgpu: rim index %lu appears twice", idx);
    if (!attr(s, sizeof(s), n, "alternatives", NULL) || !uint_of(&alts, s, VT_NVGPU_RIM_ALT_MAX) || alts == 0)
        return vt_err_set(err, VT_E_FORMAT, "nvgpu: rim index %lu alternatives missing or not 1..%d", idx,
                          VT_NVGPU_RIM_ALT_MAX);
    if (!attr(s, sizeof(s), n, "size", NULL) || !uint_of(&size, s, VT_NVGPU_RIM_VALUE_MAX) || size == 0)
        return vt_err_set(err, VT_E_FORMAT, "nvgpu: rim index %lu size missing or not 1..%d", idx,
                          VT_NVGPU_RIM_VALUE_MAX);
    m = &r->meas[r->meas_count];
    memset(m, 0, sizeof(*m));
    m->index = (unsigned)idx;
    m->len = size;
    m->alt_count = alts;
    if (!attr(s, sizeof(s), n, "active", NULL) || (strcmp(s, "True") != 0 && strcmp(s, "False") != 0))
        return vt_err_set(err, VT_E_FORMAT, "nvgpu: rim index %lu active is not True or False", idx);
    m->active = strcmp(s, "True") == 0;
    for (unsigned long a = 0; a < alts; a++) {
        snprintf(name, sizeof(name), "Hash%u", (unsigned)a);
        if (!attr(s, sizeof(s), n, name, HASH_NS) || strlen(s) != 2 * size ||
            vt_hex_decode(m->alt[a], size, s, 2 * size, NULL) != VT_OK)
            return vt_err_set(err, VT_E_FORMAT, "nvgpu: rim index %lu %s missing or not %lu bytes of hex", idx, name,
                              size);
    }
    r->meas_count++;
    return VT_OK;
}

static vt_status parse_tree(vt__nvgpu_rim *r, const xmlDoc *doc, vt_err *err)
{
    const xmlNode *root = xmlDocGetRootElement(doc), *meta, *payload;
    vt_status rc;

    if (doc->intSubset != NULL || doc->extSubset != NULL)
        return vt_err_set(err, VT_E_FORMAT, "nvgpu: rim has a DTD");
    if (root == NULL || !named(root, "SoftwareIdentity", SWID_NS))
        return vt_err_set(err, VT_E_FORMAT, "nvgpu: rim is not a SWID SoftwareIdentity");
    meta = child(root, "Meta", SWID_NS);
    if (meta == NULL || !attr(r->version, sizeof(r->version), meta, "colloquialVersion", NULL) || r->version[0] == '\0')
        return vt_err_set(err, VT_E_FORMAT, "nvgpu: rim Meta colloquialVersion missing");
    if (!attr(r->product, sizeof(r->product), meta, "product", NULL))
        return vt_err_set(err, VT_E_FORMAT, "nvgpu: rim Meta product missing");
    payload = child(root, "Payload", SWID_NS);
    if (payload == NULL)
        return vt_err_set(err, VT_E_FORMAT, "nvgpu: rim Payload missing");
    for (const xmlNode *c = payload->children; c != NULL; c = c->next) {
        if (!named(c, "Resource", SWID_NS))
            continue;
        rc = parse_resource(r, c, err);
        if (rc != VT_OK)
            return rc;
    }
    if (r->meas_count == 0)
        return vt_err_set(err, VT_E_FORMAT, "nvgpu: rim lists no measurements");
    return VT_OK;
}

static vt_status read_doc(xmlDoc **out, const uint8_t *p, size_t len, vt_err *err)
{
    *out = NULL;
    if (len == 0 || len > VT_NVGPU_RIM_MAX)
        return vt_err_set(err, VT_E_LIMIT, "nvgpu: rim is %zu bytes (1..%u allowed)", len, VT_NVGPU_RIM_MAX);
    pthread_once(&xmlsec_once, xmlsec_init);
    /* No network, no DTD loading, no entity substitution (the defaults), no huge nodes. */
    *out = xmlReadMemory((const char *)p, (int)len, "rim.xml", NULL, XML_PARSE_NONET | XML_PARSE_NOERROR |
                                                                       XML_PARSE_NOWARNING);
    if (*out == NULL)
        return vt_err_set(err, VT_E_FORMAT, "nvgpu: rim is not well-formed XML");
    return VT_OK;
}

vt_status vt__nvgpu_rim_parse(vt__nvgpu_rim *out, const uint8_t *p, size_t len, vt_err *err)
{
    xmlDoc *doc = NULL;
    vt_status rc;

    memset(out, 0, sizeof(*out));
    rc = read_doc(&doc, p, len, err);
    if (rc == VT_OK)
        rc = parse_tree(out, doc, err);
    xmlFreeDoc(doc);
    if (rc != VT_OK)
        memset(out, 0, sizeof(*out));
    return rc;
}

const vt__nvgpu_rim_meas *vt__nvgpu_rim_find(const vt__nvgpu_rim *rim, unsigned index)
{
    for (size_t i = 0; i < rim->meas_count; i++)
        if (rim->meas[i].index == index)
            return &rim->meas[i];
    return NULL;
}

/* The KeyInfo certificates, signer first. */
static vt_status key_chain(vt_x509 **chain, size_t *n, xmlNode *sig, vt_err *err)
{
    const xmlNode *ki = child(sig, "KeyInfo", DSIG_NS), *xd = ki != NULL ? child(ki, "X509Data", DSIG_NS) : NULL;

    *n = 0;
    if (xd == NULL)
        return vt_err_set(err, VT_E_FORMAT, "nvgpu: rim signature has no KeyInfo/X509Data");
    for (const xmlNode *c = xd->children; c != NULL; c = c->next) {
        xmlChar *b64;
        vt_buf der;
        vt_status rc;

        if (!named(c, "X509Certificate", DSIG_NS))
            continue;
        if (*n >= VT_NVGPU_RIM_CERTS_MAX)
            return vt_err_set(err, VT_E_LIMIT, "nvgpu: rim KeyInfo holds more than %d certificates",
                              VT_NVGPU_RIM_CERTS_MAX);
        b64 = xmlNodeGetContent(c);
        vt_buf_init(&der);
        rc = VT_E_FORMAT;
        if (b64 != NULL) {
            /* base64 with line breaks: drop the white space first */
            size_t k = 0;
            for (size_t i = 0; b64[i] != '\0'; i++)
                if (b64[i] != ' ' && b64[i] != '\n' && b64[i] != '\r' && b64[i] != '\t')
                    b64[k++] = b64[i];
            b64[k] = '\0';
            rc = vt_base64_decode(&der, (const char *)b64, k, NULL);
        }
        if (rc == VT_OK)
            rc = vt_x509_from_der(&chain[*n], der.data, der.len, NULL);
        xmlFree(b64);
        vt_buf_free(&der);
        if (rc != VT_OK)
            return vt_err_set(err, VT_E_FORMAT, "nvgpu: rim KeyInfo certificate %zu does not parse", *n);
        (*n)++;
    }
    if (*n == 0)
        return vt_err_set(err, VT_E_FORMAT, "nvgpu: rim KeyInfo holds no certificate");
    return VT_OK;
}

/* The one Reference must be URI="" (the whole document, enveloped). */
static bool whole_document(xmlNode *sig)
{
    const xmlNode *si = child(sig, "SignedInfo", DSIG_NS);
    size_t refs = 0;
    bool ok = true;

    if (si == NULL)
        return false;
    for (const xmlNode *c = si->children; c != NULL; c = c->next) {
        char uri[8];
        if (!named(c, "Reference", DSIG_NS))
            continue;
        refs++;
        ok = ok && attr(uri, sizeof(uri), c, "URI", NULL) && uri[0] == '\0';
    }
    return ok && refs == 1;
}

vt_status vt__nvgpu_rim_verify(vt__nvgpu_rim *out, const uint8_t *p, size_t len, vt_x509 *const *roots,
                               size_t root_count, vt_time now, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    xmlDoc *doc = NULL;
    xmlNode *sig = NULL;
    xmlSecDSigCtxPtr ctx = NULL;
    vt_x509 *chain[VT_NVGPU_RIM_CERTS_MAX] = { NULL };
    size_t n = 0, der_len = 0;
    const uint8_t *der;
    vt_chain_result cr;
    vt_err e = { 0 };

    memset(out, 0, sizeof(*out));
    rc = read_doc(&doc, p, len, err);
    if (rc != VT_OK)
        goto out;
    rc = parse_tree(out, doc, err);
    if (rc != VT_OK)
        goto out;
    rc = VT_E_INTERNAL;
    if (!xmlsec_ready) {
        rc = vt_err_set(err, VT_E_INTERNAL, "nvgpu: xmlsec1 did not initialise");
        goto out;
    }
    sig = xmlSecFindNode(xmlDocGetRootElement(doc), xmlSecNodeSignature, xmlSecDSigNs);
    if (sig == NULL || sig->parent != xmlDocGetRootElement(doc)) {
        rc = vt_err_set(err, VT_E_FORMAT, "nvgpu: rim has no enveloped Signature");
        goto out;
    }
    if (!whole_document(sig)) {
        rc = vt_err_set(err, VT_E_FORMAT, "nvgpu: rim signature must have one Reference, URI=\"\"");
        goto out;
    }
    rc = key_chain(chain, &n, sig, err);
    if (rc != VT_OK)
        goto out;
    if (vt_chain_verify(&cr, chain, n, roots, root_count, NULL, 0, now, &e) != VT_OK) {
        rc = vt_err_set(err, VT_E_CRYPTO, "nvgpu: rim signing chain does not verify: %s", e.msg);
        goto out;
    }
    ctx = xmlSecDSigCtxCreate(NULL);
    if (ctx == NULL) {
        rc = vt_err_set(err, VT_E_NOMEM, "nvgpu: xmlsec1 context");
        goto out;
    }
    ctx->enabledReferenceUris = xmlSecTransformUriTypeEmpty; /* nothing outside this document */
    der = vt_x509_der(chain[0], &der_len);
    ctx->signKey = xmlSecCryptoAppKeyLoadMemory(der, (xmlSecSize)der_len, xmlSecKeyDataFormatCertDer, NULL, NULL,
                                                NULL);
    if (ctx->signKey == NULL) {
        rc = vt_err_set(err, VT_E_CRYPTO, "nvgpu: rim signer key cannot be loaded");
        goto out;
    }
    if (xmlSecDSigCtxVerify(ctx, sig) < 0 || ctx->status != xmlSecDSigStatusSucceeded) {
        rc = vt_err_set(err, VT_E_CRYPTO, "nvgpu: rim signature does not verify");
        goto out;
    }
    vt_x509_subject(chain[0], out->signer, sizeof(out->signer));
    out->not_before = cr.not_before;
    out->not_after = cr.not_after;
    rc = VT_OK;
out:
    if (ctx != NULL)
        xmlSecDSigCtxDestroy(ctx);
    for (size_t i = 0; i < n; i++)
        vt_x509_free(chain[i]);
    xmlFreeDoc(doc);
    if (rc != VT_OK)
        memset(out, 0, sizeof(*out));
    return rc;
}
