/*  test_waiters.c: unit test of the clients waiting for jobs
    (daemon/hny_waiters.c): a job's waiters come out in arrival order when
    it ends, expired ones earliest first, the cap and the routing id's
    length are kept, and 20,000 random operations agree with a plain
    list scanned the way the front used to scan it. */
#include "hny_waiters.h"

#include <honyaku/util.h>

#include "hny_check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What fn saw, as "job:deadline:rid:req|" lines. */
static void
s_note (const hny_waiter_t *w, void *arg)
{
    char line [128];
    snprintf (line, sizeof line, "%lld:%lld:%.*s:%s|", (long long) w->job, (long long) w->deadline,
              (int) w->rid_size, (const char *) w->rid, w->req ? json_string_value (w->req) : "-");
    strcat (arg, line);
}

static void
s_basics (void)
{
    hny_waiters_t *ws = hny_waiters_new (5);
    CHECK (hny_waiters_deadline (ws) == INT64_MAX);
    json_t *req = json_string ("r1");
    CHECK (hny_waiters_add (ws, (const uint8_t *) "A", 1, req, 1, 500) == 0);
    CHECK (hny_waiters_add (ws, (const uint8_t *) "B", 1, NULL, 2, 300) == 0);
    CHECK (hny_waiters_add (ws, (const uint8_t *) "C", 1, NULL, 1, 100) == 0);
    CHECK (hny_waiters_add (ws, (const uint8_t *) "D", 1, NULL, 3, 400) == 0);
    CHECK (hny_waiters_add (ws, (const uint8_t *) "E", 1, NULL, 2, 200) == 0);
    json_decref (req);          /* the waiter keeps its own reference */
    CHECK (hny_waiters_add (ws, (const uint8_t *) "F", 1, NULL, 4, 50) == -1);     /* the cap */
    CHECK (hny_waiters_count (ws) == 5 && hny_waiters_deadline (ws) == 100);
    char got [1024] = "";
    /* Job 1's, in the order they came. */
    CHECK (hny_waiters_take_job (ws, 1, s_note, got) == 2);
    CHECK_STR (got, "1:500:A:r1|1:100:C:-|");
    CHECK (hny_waiters_take_job (ws, 1, s_note, got) == 0);
    CHECK (hny_waiters_deadline (ws) == 200);
    /* Expired, earliest first. */
    got [0] = 0;
    CHECK (hny_waiters_take_expired (ws, 300, s_note, got) == 2);
    CHECK_STR (got, "2:200:E:-|2:300:B:-|");
    CHECK (hny_waiters_take_job (ws, 2, s_note, got) == 0);
    /* A routing id longer than ZeroMQ's is refused. */
    uint8_t long_rid [HNY_WAITER_RID_MAX + 1];
    memset (long_rid, 'x', sizeof long_rid);
    CHECK (hny_waiters_add (ws, long_rid, sizeof long_rid, NULL, 9, 1) == -1);
    CHECK (hny_waiters_add (ws, long_rid, HNY_WAITER_RID_MAX, NULL, 9, 1) == 0);
    got [0] = 0;
    CHECK (hny_waiters_take_all (ws, NULL, NULL) == 2 && hny_waiters_count (ws) == 0);
    CHECK (hny_waiters_deadline (ws) == INT64_MAX);
    hny_waiters_destroy (&ws);
    CHECK (ws == NULL);
}

/* The model: a plain array in arrival order. */
typedef struct {
    int64_t job, deadline;
    int id;
} s_model_t;

typedef struct {
    int ids [4096];
    size_t n;
} s_seen_t;

static void
s_seen (const hny_waiter_t *w, void *arg)
{
    s_seen_t *seen = arg;
    int id = 0;
    memcpy (&id, w->rid, sizeof id);
    seen->ids [seen->n++] = id;
}

static int
s_by_deadline (const void *a, const void *b)
{
    const s_model_t *x = a, *y = b;
    return x->deadline < y->deadline ? -1 : x->deadline > y->deadline ? 1 : x->id - y->id;
}

static void
s_random (void)
{
    enum { MAX = 3000 };
    hny_waiters_t *ws = hny_waiters_new (MAX);
    static s_model_t model [MAX];
    size_t n = 0;
    int next_id = 1;
    int64_t now = 0;
    srand (11);
    for (int op = 0; op < 20000; op++) {
        int r = rand () % 10;
        if (r < 6) {
            int id = next_id++;
            int64_t job = rand () % 200, deadline = now + 1 + rand () % 1000;
            int rc = hny_waiters_add (ws, (const uint8_t *) &id, sizeof id, NULL, job, deadline);
            CHECK (rc == (n < MAX ? 0 : -1));
            if (rc == 0)
                model [n++] = (s_model_t) { job, deadline, id };
        }
        else if (r < 8) {
            /* A job ends: its waiters in arrival order. */
            int64_t job = rand () % 200;
            s_seen_t seen = { .n = 0 };
            hny_waiters_take_job (ws, job, s_seen, &seen);
            size_t k = 0, kept = 0;
            for (size_t i = 0; i < n; i++)
                if (model [i].job == job)
                    CHECK (k < seen.n && seen.ids [k++] == model [i].id);
                else
                    model [kept++] = model [i];
            CHECK (k == seen.n);
            n = kept;
        }
        else {
            /* Time passes: the expired ones, earliest first (ties: any
               order, compared as sets of the same deadlines). */
            now += rand () % 300;
            s_seen_t seen = { .n = 0 };
            hny_waiters_take_expired (ws, now, s_seen, &seen);
            static s_model_t gone [MAX];
            size_t g = 0, kept = 0;
            for (size_t i = 0; i < n; i++)
                if (model [i].deadline <= now)
                    gone [g++] = model [i];
                else
                    model [kept++] = model [i];
            n = kept;
            CHECK (g == seen.n);
            qsort (gone, g, sizeof *gone, s_by_deadline);
            for (size_t i = 0; i < g && i < seen.n; i++) {
                /* same deadline at each place, and the same ids overall */
                int found = 0;
                for (size_t j = 0; j < g; j++)
                    found |= gone [j].id == seen.ids [i] && gone [j].deadline == gone [i].deadline;
                CHECK (found);
            }
        }
        int64_t earliest = INT64_MAX;
        for (size_t i = 0; i < n; i++)
            if (model [i].deadline < earliest)
                earliest = model [i].deadline;
        CHECK (hny_waiters_count (ws) == n && hny_waiters_deadline (ws) == earliest);
    }
    hny_waiters_destroy (&ws);
}

int
main (void)
{
    hny_log_init ("test_waiters", HNY_LOG_ERROR);
    s_basics ();
    s_random ();
    return s_check_done ("test_waiters");
}
