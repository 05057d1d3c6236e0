/* A small Prometheus registry: counters, gauges and latency histograms keyed by a
 * rendered label string, under one mutex (updates are a few additions). */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "veritee/http.h"

#define M_FAMILIES 32
#define M_SERIES 1024
#define M_LABELS 160

static const double bounds[] = { 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10 };
#define M_BUCKETS (sizeof(bounds) / sizeof(bounds[0]))

struct family {
    const char *name;
    const char *help;
    const char *type; /* static: "counter", "gauge" or "histogram" */
    bool histogram;
};

struct series {
    size_t family;
    char labels[M_LABELS];
    double value;                 /* counter or gauge value, or histogram sum */
    uint64_t count;               /* histogram count */
    uint64_t buckets[M_BUCKETS];  /* non-cumulative */
};

struct vt_metrics {
    pthread_mutex_t mu;
    struct family fam[M_FAMILIES];
    size_t fam_count;
    struct series *ser;
    size_t ser_count;
};

vt_status vt_metrics_new(vt_metrics **out, vt_err *err)
{
    vt_metrics *m = calloc(1, sizeof(*m));

    *out = NULL;
    if (m == NULL || (m->ser = calloc(M_SERIES, sizeof(*m->ser))) == NULL) {
        free(m);
        return vt_err_set(err, VT_E_NOMEM, "metrics: out of memory");
    }
    pthread_mutex_init(&m->mu, NULL);
    *out = m;
    return VT_OK;
}

void vt_metrics_free(vt_metrics *m)
{
    if (m == NULL)
        return;
    pthread_mutex_destroy(&m->mu);
    free(m->ser);
    free(m);
}

static bool name_ok(const char *s)
{
    if (s == NULL || *s == '\0')
        return false;
    for (; *s != '\0'; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '_' ||
              *s == ':'))
            return false;
    return true;
}

vt_status vt_metrics_declare(vt_metrics *m, const char *name, const char *type, const char *help, vt_err *err)
{
    vt_status rc = VT_OK;
    bool hist;

    if (!name_ok(name) || help == NULL || type == NULL)
        return vt_err_set(err, VT_E_ARG, "metrics: bad metric name");
    if (strcmp(type, "counter") == 0)
        hist = false;
    else if (strcmp(type, "gauge") == 0)
        hist = false;
    else if (strcmp(type, "histogram") == 0)
        hist = true;
    else
        return vt_err_set(err, VT_E_ARG, "metrics: type must be counter, gauge or histogram");
    pthread_mutex_lock(&m->mu);
    for (size_t i = 0; i < m->fam_count; i++)
        if (strcmp(m->fam[i].name, name) == 0)
            goto out; /* declaring twice is harmless */
    if (m->fam_count >= M_FAMILIES) {
        rc = vt_err_set(err, VT_E_LIMIT, "metrics: more than %d families", M_FAMILIES);
        goto out;
    }
    m->fam[m->fam_count].name = name;
    m->fam[m->fam_count].help = help;
    m->fam[m->fam_count].type = hist ? "histogram" : strcmp(type, "gauge") == 0 ? "gauge" : "counter";
    m->fam[m->fam_count].histogram = hist;
    m->fam_count++;
out:
    pthread_mutex_unlock(&m->mu);
    return rc;
}

/* Called with the lock held. */
static struct series *find(vt_metrics *m, const char *name, const char *labels, bool histogram)
{
    size_t f;

    for (f = 0; f < m->fam_count; f++)
        if (strcmp(m->fam[f].name, name) == 0)
            break;
    if (f == m->fam_count || m->fam[f].histogram != histogram || strlen(labels) >= M_LABELS)
        return NULL;
    for (size_t i = 0; i < m->ser_count; i++)
        if (m->ser[i].family == f && strcmp(m->ser[i].labels, labels) == 0)
            return &m->ser[i];
    if (m->ser_count >= M_SERIES)
        return NULL; /* a cap on cardinality: a client cannot grow memory through labels */
    m->ser[m->ser_count].family = f;
    snprintf(m->ser[m->ser_count].labels, M_LABELS, "%s", labels);
    return &m->ser[m->ser_count++];
}

void vt_metrics_inc(vt_metrics *m, const char *name, const char *labels, double v)
{
    struct series *s;

    if (m == NULL)
        return;
    pthread_mutex_lock(&m->mu);
    s = find(m, name, labels != NULL ? labels : "", false);
    if (s != NULL)
        s->value += v;
    pthread_mutex_unlock(&m->mu);
}

void vt_metrics_observe(vt_metrics *m, const char *name, const char *labels, double seconds)
{
    struct series *s;

    if (m == NULL)
        return;
    pthread_mutex_lock(&m->mu);
    s = find(m, name, labels != NULL ? labels : "", true);
    if (s != NULL) {
        size_t b = 0;
        while (b < M_BUCKETS && seconds > bounds[b])
            b++;
        if (b < M_BUCKETS)
            s->buckets[b]++;
        s->count++;
        s->value += seconds;
    }
    pthread_mutex_unlock(&m->mu);
}

void vt_metrics_label_escape(char *out, size_t out_len, const char *s)
{
    size_t o = 0;

    if (out_len == 0)
        return;
    for (; s != NULL && *s != '\0'; s++) {
        const char *rep = NULL;
        char one[2] = { *s, '\0' };
        if (*s == '\\')
            rep = "\\\\";
        else if (*s == '"')
            rep = "\\\"";
        else if (*s == '\n')
            rep = "\\n";
        else
            rep = one;
        if (o + strlen(rep) + 1 > out_len)
            break;
        memcpy(out + o, rep, strlen(rep));
        o += strlen(rep);
    }
    out[o] = '\0';
}

static vt_status appendf(vt_buf *out, vt_err *err, const char *fmt, ...) VT_PRINTF(3, 4);
static vt_status appendf(vt_buf *out, vt_err *err, const char *fmt, ...)
{
    char line[512];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof(line))
        return vt_err_set(err, VT_E_LIMIT, "metrics: line too long");
    return vt_buf_append(out, line, (size_t)n, err);
}

vt_status vt_metrics_render(vt_buf *out, vt_metrics *m, vt_err *err)
{
    vt_status rc = VT_OK;

    pthread_mutex_lock(&m->mu);
    for (size_t f = 0; f < m->fam_count && rc == VT_OK; f++) {
        const struct family *fa = &m->fam[f];
        rc = appendf(out, err, "# HELP %s %s\n# TYPE %s %s\n", fa->name, fa->help, fa->name,
                     fa->type);
        for (size_t i = 0; i < m->ser_count && rc == VT_OK; i++) {
            const struct series *s = &m->ser[i];
            const char *sep = s->labels[0] != '\0' ? "," : "";
            uint64_t cum = 0;
            if (s->family != f)
                continue;
            if (!fa->histogram) {
                rc = s->labels[0] != '\0' ? appendf(out, err, "%s{%s} %.17g\n", fa->name, s->labels, s->value)
                                          : appendf(out, err, "%s %.17g\n", fa->name, s->value);
                continue;
            }
            for (size_t b = 0; b < M_BUCKETS && rc == VT_OK; b++) {
                cum += s->buckets[b];
                rc = appendf(out, err, "%s_bucket{%s%sle=\"%g\"} %llu\n", fa->name, s->labels, sep, bounds[b],
                             (unsigned long long)cum);
            }
            if (rc == VT_OK)
                rc = appendf(out, err, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", fa->name, s->labels, sep,
                             (unsigned long long)s->count);
            if (rc == VT_OK)
                rc = s->labels[0] != '\0'
                         ? appendf(out, err, "%s_sum{%s} %.9g\n%s_count{%s} %llu\n", fa->name, s->labels, s->value,
                                   fa->name, s->labels, (unsigned long long)s->count)
                         : appendf(out, err, "%s_sum %.9g\n%s_count %llu\n", fa->name, s->value, fa->name,
                                   (unsigned long long)s->count);
        }
    }
    pthread_mutex_unlock(&m->mu);
    if (rc == VT_OK)
        rc = vt_buf_terminate(out, err);
    return rc;
}
