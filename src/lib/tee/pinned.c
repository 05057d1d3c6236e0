/* Loading the compiled-in pinned certificate sets (tee/pinned.h). */
#include <pthread.h>

#include "tee/pinned.h"

static pthread_mutex_t pinned_lock = PTHREAD_MUTEX_INITIALIZER;

/* Parses one PEM certificate and checks it against its pinned SHA-256 (belt and
 * braces: the text must be the certificate we documented).  NULL on any mismatch. */
static vt_x509 *load_one(const vt__pin *p)
{
    vt_x509 *one[1] = { NULL };
    size_t n = 0;
    uint8_t fp[32];

    if (vt_x509_list_from_pem(one, &n, 1, p->pem, p->len, NULL) != VT_OK || n != 1)
        return NULL;
    vt_x509_fingerprint(one[0], fp);
    if (!vt_ct_equal(fp, p->sha256, sizeof(fp))) {
        vt_x509_free(one[0]);
        return NULL;
    }
    return one[0];
}

static int load_all(vt__pinned_set *s)
{
    size_t i;

    for (i = 0; i < s->count; i++) {
        s->certs[i] = load_one(&s->pins[i]);
        if (s->certs[i] == NULL)
            break;
    }
    if (i == s->count)
        return 1;
    for (size_t j = 0; j < i; j++) {
        vt_x509_free(s->certs[j]);
        s->certs[j] = NULL;
    }
    return -1;
}

vt_status vt__pinned_load(vt__pinned_set *s, vt_err *err)
{
    int state = __atomic_load_n(&s->state, __ATOMIC_ACQUIRE);

    if (state == 0) {
        pthread_mutex_lock(&pinned_lock);
        state = s->state;
        if (state == 0) {
            state = load_all(s);
            __atomic_store_n(&s->state, state, __ATOMIC_RELEASE);
        }
        pthread_mutex_unlock(&pinned_lock);
    }
    if (state != 1)
        return vt_err_set(err, VT_E_INTERNAL, "roots: pinned %s failed to load", s->what);
    return VT_OK;
}
