/* The verifier's signing key ring: creation, rotation, retirement, and two
 * processes opening one directory at once. */
#include "vt_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static vt_jwks *published(const vt_keyring *kr, vt_time now)
{
    char *json = NULL;
    vt_jwks *set = NULL;

    assert_int_equal(vt_keyring_jwks(&json, kr, now, NULL), VT_OK);
    assert_int_equal(vt_jwks_parse(&set, json, strlen(json), NULL), VT_OK);
    free(json);
    return set;
}

static void test_appraise_keyring__create_reopen_sign(void **state)
{
    char dir[512], path[700], kid1[64], thumb[44];
    vt_keyring *kr = NULL, *again = NULL;
    const char *kid = NULL;
    const vt_pkey *k;
    struct stat st;
    char *tok = NULL;
    vt_jwks *set;
    vt_jws j;

    (void)state;
    vt_test_mkdtemp(dir, sizeof(dir));
    snprintf(path, sizeof(path), "%s/ring", dir);
    assert_int_equal(vt_keyring_open(&kr, path, NULL), VT_OK);
    k = vt_keyring_current(kr, &kid);
    assert_non_null(k);
    assert_int_equal(vt_pkey_type(k), VT_KEY_EC_P256);
    assert_int_equal(vt_jwk_thumbprint(thumb, k, NULL), VT_OK);
    assert_string_equal(kid, thumb); /* kid = RFC 7638 thumbprint */
    snprintf(kid1, sizeof(kid1), "%s", kid);
    snprintf(path, sizeof(path), "%s/ring/%s.pem", dir, kid1);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);

    /* A token signed with the current key verifies with the published set. */
    assert_int_equal(vt_jws_sign(&tok, k, kid, "JWT", (const uint8_t *)"{}", 2, NULL), VT_OK);
    set = published(kr, vt_time_now());
    assert_int_equal(vt_jwks_count(set), 1);
    assert_int_equal(vt_jws_parse(&j, tok, strlen(tok), NULL), VT_OK);
    assert_int_equal(vt_jws_verify(&j, vt_jwks_find(set, j.kid), NULL), VT_OK);
    vt_jws_clear(&j);
    vt_jwks_free(set);
    free(tok);

    snprintf(path, sizeof(path), "%s/ring", dir);
    assert_int_equal(vt_keyring_open(&again, path, NULL), VT_OK);
    vt_keyring_current(again, &kid);
    assert_string_equal(kid, kid1);
    vt_keyring_free(again);
    vt_keyring_free(kr);
    vt_test_rmdir(dir);
}

static void test_appraise_keyring__rotate_keeps_then_retires(void **state)
{
    char dir[512], old_kid[64], mid_kid[64], path[700];
    vt_keyring *kr = NULL, *again = NULL;
    const char *kid = NULL;
    vt_time t0 = vt_time_now();
    vt_jwks *set;

    (void)state;
    vt_test_mkdtemp(dir, sizeof(dir));
    assert_int_equal(vt_keyring_open(&kr, dir, NULL), VT_OK);
    vt_keyring_current(kr, &kid);
    snprintf(old_kid, sizeof(old_kid), "%s", kid);

    assert_int_equal(vt_keyring_rotate(kr, t0, 3600, NULL), VT_OK);
    vt_keyring_current(kr, &kid);
    assert_string_not_equal(kid, old_kid);
    snprintf(mid_kid, sizeof(mid_kid), "%s", kid);
    set = published(kr, t0 + 10);
    assert_int_equal(vt_jwks_count(set), 2);
    assert_non_null(vt_jwks_find(set, old_kid));
    assert_non_null(vt_jwks_find(set, mid_kid));
    vt_jwks_free(set);
    /* After keep, the retired key is no longer published. */
    set = published(kr, t0 + 3600);
    assert_int_equal(vt_jwks_count(set), 1);
    assert_null(vt_jwks_find(set, old_kid));
    vt_jwks_free(set);

    /* Reopening sees the rotation; a later rotation deletes the expired key. */
    assert_int_equal(vt_keyring_open(&again, dir, NULL), VT_OK);
    vt_keyring_current(again, &kid);
    assert_string_equal(kid, mid_kid);
    assert_int_equal(vt_keyring_rotate(again, t0 + 4000, 600, NULL), VT_OK);
    snprintf(path, sizeof(path), "%s/%s.pem", dir, old_kid);
    assert_int_not_equal(access(path, F_OK), 0);
    set = published(again, t0 + 4001);
    assert_int_equal(vt_jwks_count(set), 2);
    assert_non_null(vt_jwks_find(set, mid_kid));
    vt_jwks_free(set);
    /* The first handle rotates from the disk state, not its stale copy. */
    assert_int_equal(vt_keyring_rotate(kr, t0 + 4002, 600, NULL), VT_OK);
    set = published(kr, t0 + 4003);
    assert_int_equal(vt_jwks_count(set), 3);
    vt_jwks_free(set);
    assert_int_equal(vt_keyring_rotate(kr, t0, -1, NULL), VT_E_ARG);
    vt_keyring_free(again);
    vt_keyring_free(kr);
    vt_test_rmdir(dir);
}

static void test_appraise_keyring__readable_key_refused(void **state)
{
    char dir[512], path[700];
    vt_keyring *kr = NULL;
    const char *kid;
    vt_err err = { 0 };

    (void)state;
    vt_test_mkdtemp(dir, sizeof(dir));
    assert_int_equal(vt_keyring_open(&kr, dir, NULL), VT_OK);
    vt_keyring_current(kr, &kid);
    snprintf(path, sizeof(path), "%s/%s.pem", dir, kid);
    vt_keyring_free(kr);
    assert_int_equal(chmod(path, 0644), 0);
    assert_int_equal(vt_keyring_open(&kr, dir, &err), VT_E_POLICY);
    assert_non_null(strstr(err.msg, "chmod 600"));
    assert_null(kr);
    assert_int_equal(chmod(path, 0600), 0);
    /* A key of mode 0600 that another user owns is that user's choice of key (only root can make
     * one here: skipped otherwise). */
    if (geteuid() == 0) {
        assert_int_equal(chown(path, 65534, 65534), 0);
        assert_int_equal(vt_keyring_open(&kr, dir, &err), VT_E_POLICY);
        assert_non_null(strstr(err.msg, "owned by uid 65534"));
        assert_null(kr);
        assert_int_equal(chown(path, 0, 0), 0);
    }
    /* A ring.json that is not ours. */
    snprintf(path, sizeof(path), "%s/ring.json", dir);
    assert_int_equal(vt_file_write(path, "{\"keys\":[]}", 11, 0600, NULL), VT_OK);
    assert_int_equal(vt_keyring_open(&kr, dir, &err), VT_E_FORMAT);
    vt_test_rmdir(dir);
}

static void test_appraise_keyring__concurrent_open_makes_one_key(void **state)
{
    char dir[512], path[700];
    pid_t pids[4];
    vt_keyring *kr = NULL;
    vt_jwks *set;

    (void)state;
    vt_test_mkdtemp(dir, sizeof(dir));
    snprintf(path, sizeof(path), "%s/shared", dir);
    for (int i = 0; i < 4; i++) {
        pids[i] = fork();
        assert_true(pids[i] >= 0);
        if (pids[i] == 0) {
            vt_keyring *c = NULL;
            int ok = vt_keyring_open(&c, path, NULL) == VT_OK;
            vt_keyring_free(c);
            _exit(ok ? 0 : 1);
        }
    }
    for (int i = 0; i < 4; i++) {
        int st = 0;
        assert_int_equal(waitpid(pids[i], &st, 0), pids[i]);
        assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    }
    assert_int_equal(vt_keyring_open(&kr, path, NULL), VT_OK);
    set = published(kr, vt_time_now());
    assert_int_equal(vt_jwks_count(set), 1);
    vt_jwks_free(set);
    vt_keyring_free(kr);
    vt_test_rmdir(dir);
}

/* A revoked key leaves the published set at once, current or retired, and stays gone after reopening. */
static void test_appraise_keyring__revoke_removes_at_once(void **state)
{
    char dir[512], k1[64], k2[64], now_kid[64], path[700];
    vt_keyring *kr = NULL, *again = NULL;
    const char *kid = NULL;
    vt_time t0 = vt_time_now();
    vt_jwks *set;

    (void)state;
    vt_test_mkdtemp(dir, sizeof(dir));
    assert_int_equal(vt_keyring_open(&kr, dir, NULL), VT_OK);
    vt_keyring_current(kr, &kid);
    snprintf(k1, sizeof(k1), "%s", kid);
    assert_int_equal(vt_keyring_rotate(kr, t0, 7 * 86400, NULL), VT_OK);
    vt_keyring_current(kr, &kid);
    snprintf(k2, sizeof(k2), "%s", kid);

    /* Failure cases first: unknown and malformed kids change nothing. */
    assert_int_equal(vt_keyring_revoke(kr, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", t0, NULL, NULL), VT_E_NOTFOUND);
    assert_int_equal(vt_keyring_revoke(kr, "../ring", t0, NULL, NULL), VT_E_ARG);
    assert_int_equal(vt_keyring_revoke(kr, "", t0, NULL, NULL), VT_E_ARG);
    assert_int_equal(vt_keyring_revoke(NULL, k1, t0, NULL, NULL), VT_E_ARG);
    set = published(kr, t0 + 1);
    assert_int_equal(vt_jwks_count(set), 2);
    vt_jwks_free(set);

    /* The retired key, inside its 7-day window: gone now. */
    assert_int_equal(vt_keyring_revoke(kr, k1, t0 + 1, now_kid, NULL), VT_OK);
    assert_string_equal(now_kid, k2);
    set = published(kr, t0 + 2);
    assert_int_equal(vt_jwks_count(set), 1);
    assert_null(vt_jwks_find(set, k1));
    vt_jwks_free(set);
    snprintf(path, sizeof(path), "%s/%s.pem", dir, k1);
    assert_int_not_equal(access(path, F_OK), 0);

    /* The current key: a new key signs, the old one is not published. */
    assert_int_equal(vt_keyring_revoke(kr, k2, t0 + 3, now_kid, NULL), VT_OK);
    assert_string_not_equal(now_kid, k2);
    vt_keyring_current(kr, &kid);
    assert_string_equal(kid, now_kid);
    set = published(kr, t0 + 4);
    assert_int_equal(vt_jwks_count(set), 1);
    assert_null(vt_jwks_find(set, k2));
    assert_non_null(vt_jwks_find(set, now_kid));
    vt_jwks_free(set);

    /* Another handle opened later sees the revocations. */
    assert_int_equal(vt_keyring_open(&again, dir, NULL), VT_OK);
    vt_keyring_current(again, &kid);
    assert_string_equal(kid, now_kid);
    set = published(again, t0 + 5);
    assert_int_equal(vt_jwks_count(set), 1);
    vt_jwks_free(set);
    vt_keyring_free(again);
    vt_keyring_free(kr);
    vt_test_rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_appraise_keyring__create_reopen_sign),
        cmocka_unit_test(test_appraise_keyring__rotate_keeps_then_retires),
        cmocka_unit_test(test_appraise_keyring__readable_key_refused),
        cmocka_unit_test(test_appraise_keyring__revoke_removes_at_once),
        cmocka_unit_test(test_appraise_keyring__concurrent_open_makes_one_key),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
