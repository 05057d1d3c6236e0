/* Private files and directories, and the process setting for key holders. */
#include "vt_test.h"

#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

static void write_mode(const char *path, const char *text, mode_t mode)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    assert_int_equal(chmod(path, mode), 0);
}

static void test_base_file__read_private_refuses_shared_files(void **state)
{
    static const mode_t bad[] = { 0644, 0640, 0604, 0620, 0602, 0660, 0666 };
    char dir[512], path[700];
    vt_buf b;
    vt_err err = { 0 };

    (void)state;
    vt_test_mkdtemp(dir, sizeof(dir));
    snprintf(path, sizeof(path), "%s/token", dir);
    vt_buf_init(&b);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        write_mode(path, "secret-token-0123456789", bad[i]);
        memset(&err, 0, sizeof(err));
        assert_int_equal(vt_file_read_private(&b, path, 4096, &err), VT_E_POLICY);
        assert_int_equal(b.len, 0); /* nothing read */
        assert_non_null(strstr(err.msg, path));
        assert_non_null(strstr(err.msg, "chmod 600"));
        assert_null(strstr(err.msg, "secret-token"));
    }
    write_mode(path, "secret-token-0123456789", 0600);
    assert_int_equal(vt_file_read_private(&b, path, 4096, &err), VT_OK);
    assert_int_equal(b.len, 23);
    write_mode(path, "x", 0400);
    b.len = 0;
    assert_int_equal(vt_file_read_private(&b, path, 4096, &err), VT_OK);
    snprintf(path, sizeof(path), "%s/missing", dir);
    assert_int_equal(vt_file_read_private(&b, path, 4096, &err), VT_E_NOTFOUND);
    vt_buf_free(&b);
    vt_test_rmdir(dir);
}

static void test_base_file__dir_private_tightens(void **state)
{
    char dir[512], path[700];
    struct stat st;
    vt_err err = { 0 };

    (void)state;
    vt_test_mkdtemp(dir, sizeof(dir));
    /* Created 0700 with its parents, whatever the umask. */
    snprintf(path, sizeof(path), "%s/a/b", dir);
    assert_int_equal(vt_dir_private(path, &err), VT_OK);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    /* An existing wide directory is tightened. */
    assert_int_equal(chmod(path, 0755), 0);
    assert_int_equal(vt_dir_private(path, &err), VT_OK);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    /* A file is not a directory. */
    snprintf(path, sizeof(path), "%s/f", dir);
    write_mode(path, "x", 0600);
    assert_int_not_equal(vt_dir_private(path, &err), VT_OK);
    /* Another user's directory is refused (needs root to make one). */
    if (geteuid() == 0) {
        snprintf(path, sizeof(path), "%s/theirs", dir);
        assert_int_equal(mkdir(path, 0755), 0);
        assert_int_equal(chown(path, 65534, 65534), 0);
        assert_int_equal(vt_dir_private(path, &err), VT_E_POLICY);
        assert_non_null(strstr(err.msg, "owned by uid 65534"));
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_mode & 0777, 0755); /* left alone */
    }
    vt_test_rmdir(dir);
}

/* The temporary file a write goes through is made by this call, never one found in its place: a
 * file left there (a wide mode) or a symbolic link (to anywhere) would receive the secret. */
static void test_base_file__write_makes_its_own_temporary(void **state)
{
    char dir[512], path[700], tmp[800], elsewhere[700];
    struct stat st;
    vt_buf b;
    vt_err err = { 0 };

    (void)state;
    vt_test_mkdtemp(dir, sizeof(dir));
    vt_buf_init(&b);
    snprintf(path, sizeof(path), "%s/secret", dir);
    snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
    snprintf(elsewhere, sizeof(elsewhere), "%s/elsewhere", dir);
    /* A readable file waiting under the temporary name. */
    write_mode(tmp, "", 0666);
    assert_int_equal(vt_file_write(path, "secret-bytes", 12, 0600, &err), VT_OK);
    assert_int_equal(lstat(path, &st), 0);
    assert_true(S_ISREG(st.st_mode));
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(vt_file_read_private(&b, path, 64, &err), VT_OK);
    assert_int_equal(b.len, 12);
    /* A symbolic link under the temporary name: the link's target is left alone. */
    write_mode(elsewhere, "untouched", 0644);
    assert_int_equal(unlink(path), 0);
    assert_int_equal(symlink(elsewhere, tmp), 0);
    assert_int_equal(vt_file_write(path, "secret-bytes", 12, 0600, &err), VT_OK);
    assert_int_equal(lstat(path, &st), 0);
    assert_true(S_ISREG(st.st_mode));
    assert_int_equal(st.st_mode & 0777, 0600);
    b.len = 0;
    assert_int_equal(vt_file_read(&b, elsewhere, 64, &err), VT_OK);
    assert_int_equal(b.len, 9);
    assert_memory_equal(b.data, "untouched", 9);
    assert_int_equal(lstat(tmp, &st), -1); /* nothing left behind */
    vt_buf_free(&b);
    vt_test_rmdir(dir);
}

/* vt_file_create makes a file only where there is none, and keeps what it finds. */
static void test_base_file__create_keeps_an_existing_file(void **state)
{
    char dir[512], path[700];
    struct stat st;
    vt_buf b;
    vt_err err = { 0 };
    bool made = false;

    (void)state;
    vt_test_mkdtemp(dir, sizeof(dir));
    vt_buf_init(&b);
    snprintf(path, sizeof(path), "%s/root.key", dir);
    assert_int_equal(vt_file_create(&made, path, "first", 5, 0600, &err), VT_OK);
    assert_true(made);
    assert_int_equal(vt_file_create(&made, path, "second", 6, 0600, &err), VT_OK);
    assert_false(made);
    assert_int_equal(vt_file_read_private(&b, path, 64, &err), VT_OK);
    assert_int_equal(b.len, 5);
    assert_memory_equal(b.data, "first", 5);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_nlink, 1); /* no temporary left linked to it */
    vt_buf_free(&b);
    vt_test_rmdir(dir);
}

static void test_base_file__protect_secrets_no_core(void **state)
{
    struct rlimit rl;

    (void)state;
    assert_int_equal(vt_proc_protect_secrets(NULL), VT_OK);
    assert_int_equal(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), 0);
    assert_int_equal(getrlimit(RLIMIT_CORE, &rl), 0);
    assert_true(rl.rlim_cur == 0 && rl.rlim_max == 0);
    /* Idempotent. */
    assert_int_equal(vt_proc_protect_secrets(NULL), VT_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_base_file__read_private_refuses_shared_files),
        cmocka_unit_test(test_base_file__dir_private_tightens),
        cmocka_unit_test(test_base_file__write_makes_its_own_temporary),
        cmocka_unit_test(test_base_file__create_keeps_an_existing_file),
        cmocka_unit_test(test_base_file__protect_secrets_no_core),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
