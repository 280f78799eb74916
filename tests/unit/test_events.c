/* SPDX-License-Identifier: MIT */
/* test_events.c -- unit tests of the run event bus. */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/events.h"

START_TEST(test_order_and_types)
{
    struct events *ev = events_new(16, 4);
    struct events_sub *s = events_subscribe(ev, 7, 0);
    ck_assert_ptr_nonnull(s);
    events_publish(ev, 7, "job", "{\"n\":1}");
    events_publish(ev, 8, "job", "{\"other\":1}");
    events_publish(ev, 7, "progress", "{\"n\":2}");
    struct events_item it;
    ck_assert(events_sub_next(s, &it));
    ck_assert_uint_eq(it.seq, 1);
    ck_assert_str_eq(it.type, "job");
    ck_assert_str_eq(it.data, "{\"n\":1}");
    events_item_fini(&it);
    ck_assert(events_sub_next(s, &it));
    ck_assert_uint_eq(it.seq, 2);
    ck_assert_str_eq(it.type, "progress");
    events_item_fini(&it);
    ck_assert(!events_sub_next(s, &it));
    events_unsubscribe(s);
    events_free(ev);
}
END_TEST

START_TEST(test_backlog_cap_and_resume)
{
    struct events *ev = events_new(3, 4);
    char data[32];
    for (int i = 1; i <= 5; i++) {
        snprintf(data, sizeof(data), "{\"i\":%d}", i);
        events_publish(ev, 1, "progress", data);
    }
    /* Late subscriber: only the last 3 remain (seq 3..5). */
    struct events_sub *s = events_subscribe(ev, 1, 0);
    struct events_item it;
    ck_assert(events_sub_next(s, &it));
    ck_assert_uint_eq(it.seq, 3);
    ck_assert_str_eq(it.data, "{\"i\":3}");
    events_item_fini(&it);
    events_unsubscribe(s);
    /* Resume after seq 4: only 5 follows. */
    s = events_subscribe(ev, 1, 4);
    ck_assert(events_sub_next(s, &it));
    ck_assert_uint_eq(it.seq, 5);
    events_item_fini(&it);
    ck_assert(!events_sub_next(s, &it));
    events_unsubscribe(s);
    events_forget(ev, 1);
    s = events_subscribe(ev, 1, 0);
    ck_assert(!events_sub_next(s, &it));
    events_unsubscribe(s);
    events_free(ev);
}
END_TEST

START_TEST(test_max_subs)
{
    struct events *ev = events_new(4, 2);
    struct events_sub *a = events_subscribe(ev, 1, 0);
    struct events_sub *b = events_subscribe(ev, 2, 0);
    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_nonnull(b);
    ck_assert_ptr_null(events_subscribe(ev, 3, 0));
    events_unsubscribe(a);
    a = events_subscribe(ev, 3, 0);
    ck_assert_ptr_nonnull(a);
    events_unsubscribe(a);
    events_unsubscribe(b);
    events_free(ev);
}
END_TEST

START_TEST(test_wait_timeout)
{
    struct events *ev = events_new(4, 2);
    struct events_sub *s = events_subscribe(ev, 1, 0);
    ck_assert(!events_sub_wait(s, 20));
    events_publish(ev, 1, "run", "{}");
    ck_assert(events_sub_wait(s, 20));
    events_unsubscribe(s);
    events_free(ev);
}
END_TEST

static void count_notify(void *ctx)
{
    int *n = ctx;
    __atomic_add_fetch(n, 1, __ATOMIC_SEQ_CST);
}

struct pub_arg {
    struct events *ev;
    int n;
};

static void *publisher(void *arg)
{
    struct pub_arg *pa = arg;
    for (int i = 0; i < pa->n; i++)
        events_publish(pa->ev, 42, "progress", "{\"x\":1}");
    return NULL;
}

START_TEST(test_concurrent_publish)
{
    enum { THREADS = 4, PER = 250 };
    struct events *ev = events_new(THREADS * PER, 4);
    struct events_sub *s = events_subscribe(ev, 42, 0);
    int n_notify = 0;
    events_sub_set_notify(s, count_notify, &n_notify);
    pthread_t th[THREADS];
    struct pub_arg pa = {ev, PER};
    for (int i = 0; i < THREADS; i++)
        pthread_create(&th[i], NULL, publisher, &pa);
    /* Read while they publish; sequence numbers must rise by one each time. */
    uint64_t want = 1;
    while (want <= THREADS * PER) {
        if (!events_sub_wait(s, 2000))
            break;
        struct events_item it;
        while (events_sub_next(s, &it)) {
            ck_assert_uint_eq(it.seq, want);
            want++;
            events_item_fini(&it);
        }
    }
    for (int i = 0; i < THREADS; i++)
        pthread_join(th[i], NULL);
    ck_assert_uint_eq(want, THREADS * PER + 1);
    events_sub_set_notify(s, NULL, NULL);
    ck_assert_int_eq(__atomic_load_n(&n_notify, __ATOMIC_SEQ_CST), THREADS * PER);
    events_unsubscribe(s);
    events_free(ev);
}
END_TEST

int main(void)
{
    Suite *su = suite_create("events");
    TCase *tc = tcase_create("bus");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_order_and_types);
    tcase_add_test(tc, test_backlog_cap_and_resume);
    tcase_add_test(tc, test_max_subs);
    tcase_add_test(tc, test_wait_timeout);
    tcase_add_test(tc, test_concurrent_publish);
    suite_add_tcase(su, tc);
    SRunner *sr = srunner_create(su);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
