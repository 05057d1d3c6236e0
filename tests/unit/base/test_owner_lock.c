/* One owner process per lock file (base/owner_lock.h): the second taker is refused and told
 * the owner's pid; closing lets go; a disk that refuses the pid does not stop the owner (the
 * second is then told no pid); a path that cannot be opened is an error naming it. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "vt_test.h"

#include "base/owner_lock.h"

static void test_base_owner_lock(void **state)
{
    char dir[4096], path[4200], owner[VT_OWNER_PID_MAX], me[VT_OWNER_PID_MAX];
    int fd = -1, fd2 = -1;
    struct rlimit was, none;
    vt_err err = { 0 };
    (void)state;

    vt_test_mkdtemp(dir, sizeof(dir));
    snprintf(path, sizeof(path), "%s/lock", dir);
    snprintf(me, sizeof(me), "%ld", (long)getpid());
    assert_int_equal(vt__owner_lock(&fd, owner, path, &err), VT_OK);
    /* a second taker (another open file, as another process has) is refused, told who owns it */
    assert_int_equal(vt__owner_lock(&fd2, owner, path, &err), VT_E_POLICY);
    assert_int_equal(fd2, -1);
    assert_string_equal(owner, me);
    close(fd); /* lets go */
    assert_int_equal(vt__owner_lock(&fd, owner, path, &err), VT_OK);
    close(fd);

    /* a disk that takes no byte (a file-size limit of 0 stands in for it): still the owner */
    signal(SIGXFSZ, SIG_IGN);
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &was), 0);
    none = was;
    none.rlim_cur = 0;
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &none), 0);
    assert_int_equal(vt__owner_lock(&fd, owner, path, &err), VT_OK);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &was), 0);
    signal(SIGXFSZ, SIG_DFL);
    assert_int_equal(vt__owner_lock(&fd2, owner, path, &err), VT_E_POLICY);
    assert_string_equal(owner, ""); /* it wrote no pid */
    close(fd);

    snprintf(path, sizeof(path), "%s/missing/lock", dir);
    assert_int_equal(vt__owner_lock(&fd, owner, path, &err), VT_E_IO);
    assert_non_null(strstr(err.msg, path));
    assert_int_equal(fd, -1);
    vt_test_rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_base_owner_lock),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
