/* The SQLite store: the cases both backends must show (store_cases.h). */
#include <string.h>

#include "vt_test.h"

#include "store_cases.h"
#include "verifier_fx.h"

static void test_store_sqlite_replay_records(void **state)
{
    struct fx *f = *state;
    vs_store *b = NULL;
    vt_err err = { 0 };

    assert_int_equal(vs_open(&b, f->url, &err), VT_OK);
    store_case_replay_records(f->st, b, "lite");
    vs_close(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_store_sqlite_replay_records, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
