/*
 * The simulation CA in <state_dir>/sim/ (see sim_root.h): made on first use,
 * reused afterwards.  Creation holds an exclusive flock on sim/.lock so that
 * two processes starting together end up with one CA; each file is written
 * atomically (temp + rename) and a certificate is written only after its key,
 * so a certificate on disk always has its key beside it.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tee/plugin.h"
#include "tee/sim_root.h"
#include "veritee/sim.h"

#define SIM_FILE_MAX (64 * 1024)
#define SIM_PATH_MAX 4096

typedef struct sim_item {
    const char *file;      /* base name: <file>.pem and <file>.key */
    const char *cn;
    bool ca;
    int pathlen;
    vt_key_type type;
    const char *org;
} sim_item;

static const sim_item SIM_ROOT = { "root_ca", VT_SIM_ROOT_CN, true, 1, VT_KEY_EC_P256, VT_SIM_ORG };
static const sim_item SIM_PCK_CA = { "tdx_pck_platform_ca", VT_SIM_PCK_CA_CN, true, 0, VT_KEY_EC_P256, VT_SIM_ORG };
static const sim_item SIM_TCB = { "tdx_tcb_signing", VT_SIM_TCB_CN, false, -1, VT_KEY_EC_P256, VT_SIM_ORG };
static const sim_item SIM_SNP_ASK = { "snp_ask", VT_SIM_SNP_ASK_CN, true, 0, VT_KEY_EC_P384, VT_SIM_SNP_ORG };
#define SIM_QE_KEY_FILE "tdx_qe_attestation"

static vt_status sim_path(char out[SIM_PATH_MAX], const char *state_dir, const char *file, const char *ext,
                          vt_err *err)
{
    int n = snprintf(out, SIM_PATH_MAX, "%s/sim%s%s%s", state_dir, file != NULL ? "/" : "",
                     file != NULL ? file : "", ext != NULL ? ext : "");
    if (n < 0 || n >= SIM_PATH_MAX)
        return vt_err_set(err, VT_E_ARG, "sim: state_dir path is too long");
    return VT_OK;
}

static vt_status load_cert(vt_x509 **out, const char *path, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    vt_buf b = { 0 };
    size_t count = 0;

    *out = NULL;
    rc = vt_file_read(&b, path, SIM_FILE_MAX, err);
    if (rc == VT_OK)
        rc = vt_x509_list_from_pem(out, &count, 1, (const char *)b.data, b.len, err);
    if (rc == VT_OK && count != 1)
        rc = vt_err_set(err, VT_E_FORMAT, "sim: %s holds no certificate", path);
    if (rc != VT_OK) {
        if (count == 1)
            vt_x509_free(*out);
        *out = NULL;
    }
    vt_buf_free(&b);
    return rc;
}

static vt_status load_key(vt_pkey **out, const char *path, vt_key_type type, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    vt_buf b = { 0 };

    *out = NULL;
    rc = vt_file_read(&b, path, SIM_FILE_MAX, err);
    if (rc == VT_OK)
        rc = vt_pkey_from_pem(out, (const char *)b.data, b.len, err);
    if (rc == VT_OK && vt_pkey_type(*out) != type) {
        rc = vt_err_set(err, VT_E_FORMAT, "sim: %s is not a %s key", path, type == VT_KEY_EC_P384 ? "P-384" : "P-256");
        vt_pkey_free(*out);
        *out = NULL;
    }
    vt_buf_free(&b); /* wipes the private key PEM */
    return rc;
}

static vt_status save_key(const char *path, const vt_pkey *k, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    vt_buf b = { 0 };

    rc = vt_pkey_to_pem(&b, k, true, err);
    if (rc == VT_OK)
        rc = vt_file_write(path, b.data, b.len, 0600, err);
    vt_buf_free(&b);
    return rc;
}

static vt_status save_cert(const char *path, const vt_x509 *c, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    vt_buf b = { 0 };

    rc = vt_x509_to_pem(&b, c, err);
    if (rc == VT_OK)
        rc = vt_file_write(path, b.data, b.len, 0644, err);
    vt_buf_free(&b);
    return rc;
}

vt_status vt__sim_random_serial(uint64_t *out, vt_err *err)
{
    uint8_t r[8];
    uint64_t v = 0;
    vt_status rc = vt_random(r, sizeof(r), err);

    if (rc != VT_OK)
        return rc;
    for (size_t i = 0; i < sizeof(r); i++)
        v = (v << 8) | r[i];
    v &= 0x7fffffffffffffffull; /* a positive INTEGER of at most 8 bytes */
    *out = v != 0 ? v : 1;
    return VT_OK;
}

/* Loads <item>.pem and <item>.key, or makes and saves them when the certificate is absent. */
static vt_status load_or_make(vt_x509 **cert, vt_pkey **key, const char *state_dir, const sim_item *it,
                              const vt_x509 *issuer, const vt_pkey *issuer_key, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    char cpath[SIM_PATH_MAX], kpath[SIM_PATH_MAX];
    vt_x509 *c = NULL;
    vt_pkey *k = NULL;
    vt_x509_spec spec;

    *cert = NULL;
    *key = NULL;
    rc = sim_path(cpath, state_dir, it->file, ".pem", err);
    if (rc == VT_OK)
        rc = sim_path(kpath, state_dir, it->file, ".key", err);
    if (rc != VT_OK)
        goto out;
    rc = load_cert(&c, cpath, err);
    if (rc == VT_OK) {
        rc = load_key(&k, kpath, it->type, err);
        if (rc == VT_E_NOTFOUND)
            rc = vt_err_set(err, VT_E_IO, "sim: %s has no key beside it; remove %s/sim to start over", cpath,
                            state_dir);
        goto done;
    }
    if (rc != VT_E_NOTFOUND)
        goto out;

    memset(&spec, 0, sizeof(spec));
    spec.subject_cn = it->cn;
    spec.subject_o = it->org;
    spec.not_before = vt_time_from_utc(2020, 1, 1, 0, 0, 0);
    spec.not_after = vt_time_from_utc(2050, 1, 1, 0, 0, 0);
    spec.ca = it->ca;
    spec.pathlen = it->pathlen;
    rc = vt__sim_random_serial(&spec.serial, err);
    if (rc == VT_OK)
        rc = vt_pkey_generate(&k, it->type, err);
    if (rc == VT_OK)
        rc = vt_x509_issue(&c, &spec, k, issuer, issuer != NULL ? issuer_key : k, err);
    if (rc == VT_OK)
        rc = save_key(kpath, k, err);
    if (rc == VT_OK)
        rc = save_cert(cpath, c, err); /* last: the certificate marks the pair complete */
done:
    if (rc != VT_OK)
        goto out;
    *cert = c;
    *key = k;
    c = NULL;
    k = NULL;
out:
    vt_x509_free(c);
    vt_pkey_free(k);
    return rc;
}

static vt_status load_or_make_key(vt_pkey **key, const char *state_dir, const char *file, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    char kpath[SIM_PATH_MAX];
    vt_pkey *k = NULL;

    *key = NULL;
    rc = sim_path(kpath, state_dir, file, ".key", err);
    if (rc == VT_OK)
        rc = load_key(&k, kpath, VT_KEY_EC_P256, err);
    if (rc == VT_E_NOTFOUND) {
        rc = vt_pkey_generate(&k, VT_KEY_EC_P256, err);
        if (rc == VT_OK)
            rc = save_key(kpath, k, err);
    }
    if (rc != VT_OK)
        goto out;
    *key = k;
    k = NULL;
out:
    vt_pkey_free(k);
    return rc;
}

/* Creates <state_dir>/sim (0700) and takes the creation lock; *fd = -1 when the
 * directory is read-only (then nothing can be created, only loaded). */
static vt_status sim_lock(int *fd, const char *state_dir, vt_err *err)
{
    char path[SIM_PATH_MAX];
    vt_status rc;

    *fd = -1;
    rc = sim_path(path, state_dir, NULL, NULL, err);
    if (rc == VT_OK)
        rc = vt_mkdir_p(path, 0700, err);
    if (rc == VT_OK)
        rc = sim_path(path, state_dir, ".lock", NULL, err);
    if (rc != VT_OK)
        return rc;
    *fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (*fd < 0) {
        if (errno == EROFS || errno == EACCES || errno == EPERM)
            return VT_OK;
        return vt_err_set(err, VT_E_IO, "sim: cannot open %s: %s", path, strerror(errno));
    }
    while (flock(*fd, LOCK_EX) != 0) {
        if (errno != EINTR) {
            int e = errno;
            close(*fd);
            *fd = -1;
            return vt_err_set(err, VT_E_IO, "sim: cannot lock %s: %s", path, strerror(e));
        }
    }
    return VT_OK;
}

void vt__sim_ca_clear(vt__sim_ca *ca)
{
    if (ca == NULL)
        return;
    vt_x509_free(ca->root);
    vt_pkey_free(ca->root_key);
    vt_x509_free(ca->pck_ca);
    vt_pkey_free(ca->pck_ca_key);
    vt_x509_free(ca->tcb);
    vt_pkey_free(ca->tcb_key);
    vt_pkey_free(ca->qe_key);
    vt_x509_free(ca->snp_ask);
    vt_pkey_free(ca->snp_ask_key);
    memset(ca, 0, sizeof(*ca));
}

/* The last CA loaded, kept in memory: decoding its keys and certificates costs
 * milliseconds (OpenSSL 3's decoders), far more than the quote it signs.  Reused
 * only while every file is the very one it was read from (inode, size, mtime). */
#define SIM_CA_FILES 9
static pthread_mutex_t ca_cache_lock = PTHREAD_MUTEX_INITIALIZER;
static char ca_cache_dir[SIM_PATH_MAX];
typedef struct sim_file_sig {
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtime;
} sim_file_sig;
static sim_file_sig ca_cache_sig[SIM_CA_FILES];
static vt__sim_ca ca_cache;

static bool file_sig(sim_file_sig *out, const char *path)
{
    struct stat st;

    if (stat(path, &st) != 0)
        return false;
    memset(out, 0, sizeof(*out));
    out->dev = st.st_dev;
    out->ino = st.st_ino;
    out->size = st.st_size;
    out->mtime = st.st_mtim;
    return true;
}

static bool ca_files_sig(sim_file_sig out[SIM_CA_FILES], const char *state_dir)
{
    static const char *const files[SIM_CA_FILES] = { "root_ca.pem", "root_ca.key", "tdx_pck_platform_ca.pem",
                                                     "tdx_pck_platform_ca.key", "tdx_tcb_signing.pem",
                                                     "tdx_tcb_signing.key", "snp_ask.pem", "snp_ask.key",
                                                     SIM_QE_KEY_FILE ".key" };
    char path[SIM_PATH_MAX];

    for (size_t i = 0; i < SIM_CA_FILES; i++) {
        if (snprintf(path, sizeof(path), "%s/sim/%s", state_dir, files[i]) >= (int)sizeof(path) || !file_sig(&out[i], path))
            return false;
    }
    return true;
}

static void ca_copy_refs(vt__sim_ca *dst, const vt__sim_ca *src)
{
    dst->root = vt_x509_ref(src->root);
    dst->root_key = vt_pkey_ref(src->root_key);
    dst->pck_ca = vt_x509_ref(src->pck_ca);
    dst->pck_ca_key = vt_pkey_ref(src->pck_ca_key);
    dst->tcb = vt_x509_ref(src->tcb);
    dst->tcb_key = vt_pkey_ref(src->tcb_key);
    dst->qe_key = vt_pkey_ref(src->qe_key);
    dst->snp_ask = vt_x509_ref(src->snp_ask);
    dst->snp_ask_key = vt_pkey_ref(src->snp_ask_key);
}

static bool ca_cached(vt__sim_ca *out, const char *state_dir)
{
    sim_file_sig sig[SIM_CA_FILES];
    bool hit;

    if (!ca_files_sig(sig, state_dir))
        return false;
    pthread_mutex_lock(&ca_cache_lock);
    hit = ca_cache.root != NULL && strcmp(ca_cache_dir, state_dir) == 0 && memcmp(sig, ca_cache_sig, sizeof(sig)) == 0;
    if (hit)
        ca_copy_refs(out, &ca_cache);
    pthread_mutex_unlock(&ca_cache_lock);
    return hit;
}

static void ca_remember(const vt__sim_ca *ca, const char *state_dir)
{
    sim_file_sig sig[SIM_CA_FILES];

    if (strlen(state_dir) >= sizeof(ca_cache_dir) || !ca_files_sig(sig, state_dir))
        return;
    pthread_mutex_lock(&ca_cache_lock);
    vt__sim_ca_clear(&ca_cache);
    ca_copy_refs(&ca_cache, ca);
    memcpy(ca_cache_sig, sig, sizeof(sig));
    snprintf(ca_cache_dir, sizeof(ca_cache_dir), "%s", state_dir);
    pthread_mutex_unlock(&ca_cache_lock);
}

vt_status vt__sim_ca_load(vt__sim_ca *out, const char *state_dir, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    vt__sim_ca ca;
    int fd = -1;

    memset(out, 0, sizeof(*out));
    memset(&ca, 0, sizeof(ca));
    if (state_dir == NULL || state_dir[0] == '\0')
        return vt_err_set(err, VT_E_ARG, "sim: state_dir is required");
    if (ca_cached(out, state_dir))
        return VT_OK;
    rc = sim_lock(&fd, state_dir, err);
    if (rc == VT_OK)
        rc = load_or_make(&ca.root, &ca.root_key, state_dir, &SIM_ROOT, NULL, NULL, err);
    if (rc == VT_OK)
        rc = load_or_make(&ca.pck_ca, &ca.pck_ca_key, state_dir, &SIM_PCK_CA, ca.root, ca.root_key, err);
    if (rc == VT_OK)
        rc = load_or_make(&ca.tcb, &ca.tcb_key, state_dir, &SIM_TCB, ca.root, ca.root_key, err);
    if (rc == VT_OK)
        rc = load_or_make_key(&ca.qe_key, state_dir, SIM_QE_KEY_FILE, err);
    if (rc == VT_OK)
        rc = load_or_make(&ca.snp_ask, &ca.snp_ask_key, state_dir, &SIM_SNP_ASK, ca.root, ca.root_key, err);
    if (rc != VT_OK)
        goto out;
    ca_remember(&ca, state_dir);
    *out = ca;
    memset(&ca, 0, sizeof(ca));
out:
    if (fd >= 0)
        close(fd); /* releases the lock */
    vt__sim_ca_clear(&ca);
    return rc;
}

/* The root certificate alone, as a verifier reads it for every simulated quote: kept while the
 * file is the very one it was read from, like the CA above. */
static pthread_mutex_t root_cache_lock = PTHREAD_MUTEX_INITIALIZER;
static char root_cache_path[SIM_PATH_MAX];
static sim_file_sig root_cache_sig;
static vt_x509 *root_cache;

static bool root_cached(vt_x509 **out, const char *path)
{
    sim_file_sig sig;
    bool hit;

    if (!file_sig(&sig, path))
        return false;
    pthread_mutex_lock(&root_cache_lock);
    hit = root_cache != NULL && strcmp(root_cache_path, path) == 0 && memcmp(&sig, &root_cache_sig, sizeof(sig)) == 0;
    if (hit)
        *out = vt_x509_ref(root_cache);
    pthread_mutex_unlock(&root_cache_lock);
    return hit;
}

static void root_remember(vt_x509 *root, const char *path)
{
    sim_file_sig sig;

    if (strlen(path) >= sizeof(root_cache_path) || !file_sig(&sig, path))
        return;
    pthread_mutex_lock(&root_cache_lock);
    vt_x509_free(root_cache);
    root_cache = vt_x509_ref(root);
    root_cache_sig = sig;
    snprintf(root_cache_path, sizeof(root_cache_path), "%s", path);
    pthread_mutex_unlock(&root_cache_lock);
}

vt_status vt__sim_root_load(vt_x509 **out, const char *state_dir, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    vt__sim_ca ca;

    char path[SIM_PATH_MAX];

    *out = NULL;
    if (state_dir == NULL || state_dir[0] == '\0')
        return vt_err_set(err, VT_E_ARG, "sim: state_dir is required");
    /* A verifier needs only the certificate: no private key is read when it exists. */
    rc = sim_path(path, state_dir, SIM_ROOT.file, ".pem", err);
    if (rc == VT_OK && root_cached(out, path))
        return VT_OK;
    if (rc == VT_OK)
        rc = load_cert(out, path, err);
    if (rc == VT_OK)
        root_remember(*out, path);
    if (rc != VT_E_NOTFOUND)
        return rc;
    vt_err_clear(err);
    rc = vt__sim_ca_load(&ca, state_dir, err);
    if (rc != VT_OK)
        return rc;
    *out = ca.root;
    ca.root = NULL;
    vt__sim_ca_clear(&ca);
    return VT_OK;
}

vt_status vt__sim_root_load_file(vt_x509 **out, const char *path, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    char cn[128];

    *out = NULL;
    rc = load_cert(out, path, err);
    if (rc == VT_E_NOTFOUND)
        return vt_err_set(err, rc, "sim: simulation root %s does not exist (a prover makes <state>/sim/root_ca.pem "
                          "on its first simulated attestation)", path);
    if (rc != VT_OK)
        return rc;
    vt_x509_subject_cn(*out, cn, sizeof(cn));
    if (strcmp(cn, VT_SIM_ROOT_CN) != 0) {
        vt_x509_free(*out);
        *out = NULL;
        return vt_err_set(err, VT_E_ARG, "sim: %s is not a simulation root (CN \"%.64s\", not \"%s\")", path, cn,
                          VT_SIM_ROOT_CN);
    }
    return VT_OK;
}

vt_status vt_sim_root_check(const char *path, vt_err *err)
{
    vt_x509 *root = NULL;
    vt_status rc = vt__sim_root_load_file(&root, path, err);

    vt_x509_free(root);
    return rc;
}

vt_status vt_sim_root_path(char *out, size_t out_len, const char *state_dir, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    char path[SIM_PATH_MAX];
    vt_x509 *root = NULL;
    size_t n;

    if (out == NULL || out_len == 0)
        return vt_err_set(err, VT_E_ARG, "sim: no room for the root path");
    out[0] = '\0';
    rc = vt__sim_root_load(&root, state_dir, err);
    if (rc == VT_OK)
        rc = sim_path(path, state_dir, SIM_ROOT.file, ".pem", err);
    if (rc != VT_OK)
        goto out;
    n = strlen(path);
    if (n >= out_len) {
        rc = vt_err_set(err, VT_E_LIMIT, "sim: root path needs %zu bytes, %zu given", n + 1, out_len);
        goto out;
    }
    memcpy(out, path, n + 1);
    rc = VT_OK;
out:
    vt_x509_free(root);
    return rc;
}
