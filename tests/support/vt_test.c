#include "vt_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *vt_test_vectors(void)
{
    const char *v = getenv("VERITEE_VECTORS");
    struct stat st;

    if (v == NULL || *v == '\0')
        v = "../shared/vectors";
    if (stat(v, &st) != 0 || !S_ISDIR(st.st_mode))
        return NULL;
    return v;
}

void vt_test_require_vectors(void)
{
    if (vt_test_vectors() == NULL) {
        fprintf(stderr, "skipped: real vectors not found (set VERITEE_VECTORS)\n");
        exit(77);
    }
}

void vt_test_path(char *out, size_t out_len, const char *rel)
{
    const char *v = vt_test_vectors();
    int n;

    assert_non_null(v);
    n = snprintf(out, out_len, "%s/%s", v, rel);
    assert_true(n > 0 && (size_t)n < out_len);
}

void vt_test_load(vt_buf *b, const char *rel)
{
    char path[4096];
    vt_err err = { 0 };

    vt_test_path(path, sizeof(path), rel);
    if (vt_file_read(b, path, 64u << 20, &err) != VT_OK)
        fail_msg("%s", err.msg);
}

void vt_test_mkdtemp(char *out, size_t out_len)
{
    const char *base = getenv("VERITEE_TEST_TMP");
    vt_err err = { 0 };
    int n;

    if (base == NULL || *base == '\0')
        base = "/tmp";
    assert_int_equal(vt_mkdir_p(base, 0700, &err), VT_OK);
    n = snprintf(out, out_len, "%s/vt-XXXXXX", base);
    assert_true(n > 0 && (size_t)n < out_len);
    assert_non_null(mkdtemp(out));
}

void vt_test_rmdir(const char *dir)
{
    char cmd[4200];
    int n = snprintf(cmd, sizeof(cmd), "rm -rf -- '%s'", dir);

    if (n > 0 && (size_t)n < sizeof(cmd) && strchr(dir, '\'') == NULL && system(cmd) != 0)
        fprintf(stderr, "warning: could not remove %s\n", dir);
}

int vt_test_state_dir_setup(void **state)
{
    vt_test_state_dir *f = calloc(1, sizeof(*f));

    assert_non_null(f);
    vt_test_mkdtemp(f->state, sizeof(f->state));
    *state = f;
    return 0;
}

int vt_test_state_dir_teardown(void **state)
{
    vt_test_state_dir *f = *state;

    vt_test_rmdir(f->state);
    free(f);
    return 0;
}

vt_time vt_test_time(const char *s)
{
    vt_time t = 0;
    vt_err err = { 0 };

    if (vt_time_parse(&t, s, &err) != VT_OK)
        fail_msg("%s", err.msg);
    return t;
}

bool vt_test_has_error(const vt_result *r, const char *check)
{
    for (size_t i = 0; i < r->error_count; i++)
        if (strcmp(r->errors[i].check, check) == 0)
            return true;
    return false;
}

void vt_test_claim_hex(const vt_result *r, const char *name, const char *want)
{
    const vt_claim *c = vt_claims_get(&r->claims, name);
    char hex[2 * VT_CLAIM_VALUE_MAX + 1];

    if (c == NULL)
        fail_msg("no claim %s", name);
    vt_hex_encode(hex, c->value, c->len);
    assert_string_equal(hex, want);
}
