/*  test_store.c: unit test of honyakud's store (daemon/hny_store.c):
    schema creation and version, idempotency keys, resume (leased tasks go
    back to the queue), the translation memory, group commit (a rolled-back
    pass leaves nothing; a committed one survives reopening; a failed write
    poisons its pass), records, listing, statistics, paging through
    segments, a store that is full (max_store_bytes) and recovers, and the
    rows of align jobs. */
#include "hny_store.h"

#include <honyaku/util.h>

#include "hny_check.h"

#include <assert.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int64_t
s_add_job (hny_store_t *store, const char *key, const char *hash)
{
    hny_job_row_t row = { .key = (char *) key, .hash = (char *) hash, .from = "en", .to = "es",
                          .backend = "pseudo", .format = "text", .source = "a.txt",
                          .metadata = "{\"issue\":\"7\"}" };
    int64_t id = 0;
    CHECK (hny_store_job_insert (store, &row, "Hello world.", 12, &id) == 0);
    CHECK (id > 0);
    return id;
}

typedef struct { int count, leased; int64_t last; } s_tasks_t;

static int
s_count_task (const hny_task_row_t *row, void *arg)
{
    s_tasks_t *t = arg;
    t->count++;
    t->leased += row->leased;
    t->last = row->id;
    return 0;
}

static int
s_count_active (const hny_job_row_t *row, void *arg)
{
    (void) row;
    (*(int *) arg)++;
    return 0;
}

static int
s_collect_segment (const hny_segment_row_t *row, void *arg)
{
    char *out = arg;
    char line [128];
    snprintf (line, sizeof line, "%d.%d:%s:%s:%s%s%s|", row->para, row->idx,
              hny_seg_state_name (row->state), row->src,
              row->tgt ? row->tgt : "-", row->backend ? "@" : "", row->backend ? row->backend : "");
    strcat (out, line);
    return 0;
}

int
main (void)
{
    hny_log_init ("test_store", HNY_LOG_WARN);
    char dir [] = "/tmp/hny-store.XXXXXX";
    assert (mkdtemp (dir));
    char *path = hny_sprintf ("%s/honyaku.db", dir);
    char *error = NULL;

    hny_store_t *store = hny_store_new (path, &error);
    CHECK (store && !error);

    /* Idempotent key: the key is UNIQUE; a lookup finds the first job. */
    CHECK (hny_store_begin (store) == 0);
    int64_t j1 = s_add_job (store, "k1", "h1");
    hny_job_row_t row = { 0 };
    CHECK (hny_store_job_by_key (store, "k1", &row) == 1);
    CHECK (row.id == j1 && strcmp (row.hash, "h1") == 0 && row.state == HNY_JOB_QUEUED);
    CHECK (strcmp (row.metadata, "{\"issue\":\"7\"}") == 0 && strcmp (row.source, "a.txt") == 0);
    hny_job_row_clear (&row);
    CHECK (hny_store_job_by_key (store, "nope", &row) == 0);
    int64_t unused = 0;
    uint8_t *content = NULL;
    size_t size = 0;
    CHECK (hny_store_job_content (store, j1, &content, &size) == 1);
    CHECK (size == 12 && memcmp (content, "Hello world.", 12) == 0);
    free (content);

    /* Tasks: one leased, one queued. */
    int64_t t1 = 0, t2 = 0;
    CHECK (hny_store_task_add (store, HNY_TASK_PREPARE, j1, NULL, &t1) == 0);
    CHECK (hny_store_task_add (store, HNY_TASK_TRANSLATE, j1, "{\"segments\":[]}", &t2) == 0);
    CHECK (hny_store_task_lease (store, t1, "w#1", hny_clock_wall_ms () + 1000, 1, 0) == 0);
    CHECK (hny_store_job_set_state (store, j1, HNY_JOB_PREPARING, NULL, 0) == 0);
    CHECK (hny_store_commit (store) == 0);
    CHECK (!hny_store_in_transaction (store));

    /* Group commit: the changes of one pass become visible (durable) all
       together at commit, never one by one. */
    CHECK (hny_store_begin (store) == 0);
    int64_t j2 = s_add_job (store, "k2", "h2");
    CHECK (hny_store_segment_add (store, j2, -1, 0, "Title") == 0);
    CHECK (hny_store_segment_add (store, j2, 0, 0, "One.") == 0);
    CHECK (hny_store_segment_add (store, j2, 0, 1, "Two.") == 0);
    CHECK (hny_store_segment_fill (store, j2, 0, 0, "UNO.", 1) == 0);
    CHECK (hny_store_segment_set_backend (store, j2, 0, 0, "pseudo") == 0);
    CHECK (hny_store_segment_fail (store, j2, 0, 1, 503, HNY_CLASS_TRANSIENT, "busy") == 0);
    /* Another connection sees nothing of the open transaction. */
    sqlite3 *other = NULL;
    CHECK (sqlite3_open (path, &other) == SQLITE_OK);
    sqlite3_stmt *stmt = NULL;
    CHECK (sqlite3_prepare_v2 (other, "SELECT count(*) FROM jobs", -1, &stmt, NULL) == SQLITE_OK);
    CHECK (sqlite3_step (stmt) == SQLITE_ROW && sqlite3_column_int (stmt, 0) == 1);
    sqlite3_reset (stmt);
    CHECK (hny_store_commit (store) == 0);
    CHECK (sqlite3_step (stmt) == SQLITE_ROW && sqlite3_column_int (stmt, 0) == 2);
    sqlite3_finalize (stmt);
    sqlite3_close (other);

    char segs [512] = "";
    CHECK (hny_store_segments (store, j2, s_collect_segment, segs) == 0);
    CHECK (strcmp (segs, "-1.0:pending:Title:-|0.0:done:One.:UNO.@pseudo|0.1:failed:Two.:-|") == 0);
    int total, done, failed;
    CHECK (hny_store_segment_counts (store, j2, &total, &done, &failed) == 0);
    CHECK (total == 3 && done == 1 && failed == 1);

    /* Translation memory: exact match on source, languages and profile. */
    CHECK (hny_store_begin (store) == 0);
    CHECK (hny_store_tm_put (store, "en", "es", "pseudo", "Hello.", "Hola.") == 0);
    char *tgt = NULL;
    CHECK (hny_store_tm_get (store, "en", "es", "pseudo", "Hello.", &tgt) == 1);
    CHECK (tgt && strcmp (tgt, "Hola.") == 0);
    free (tgt);
    tgt = NULL;
    CHECK (hny_store_tm_get (store, "en", "fr", "pseudo", "Hello.", &tgt) == 0);
    CHECK (hny_store_tm_get (store, "en", "es", "deepl", "Hello.", &tgt) == 0);
    CHECK (hny_store_tm_get (store, "en", "es", "pseudo", "Hello", &tgt) == 0);
    CHECK (tgt == NULL);
    CHECK (hny_store_tm_put (store, "en", "es", "pseudo", "Hello.", "¡Hola!") == 0);
    CHECK (hny_store_tm_get (store, "en", "es", "pseudo", "Hello.", &tgt) == 1);
    CHECK (tgt && strcmp (tgt, "¡Hola!") == 0);
    free (tgt);

    /* Records, prepared output, stats, listing. */
    CHECK (hny_store_job_set_prepared (store, j2, "{\"charset\":\"UTF-8\"}") == 0);
    CHECK (hny_store_job_content (store, j2, &content, &size) == 0);    /* dropped */
    CHECK (hny_store_record_put (store, j2, "{\"job\":\"2\"}") == 0);
    CHECK (hny_store_job_set_state (store, j2, HNY_JOB_FAILED, "1 of 3 segments failed: busy", 503) == 0);
    CHECK (hny_store_stats_add (store, "pseudo", 1, 2, 30, 4, 5) == 0);
    CHECK (hny_store_stats_add (store, "pseudo", 1, 0, 0, 1, 1) == 0);
    CHECK (hny_store_commit (store) == 0);
    char *json = NULL;
    CHECK (hny_store_record_get (store, j2, &json) == 1 && strcmp (json, "{\"job\":\"2\"}") == 0);
    free (json);
    CHECK (hny_store_record_get (store, j1, &json) == 0);
    json_t *stats = hny_store_stats (store);
    json_t *p = json_object_get (stats, "pseudo");
    CHECK (json_integer_value (json_object_get (p, "tm_hits")) == 2);
    CHECK (json_integer_value (json_object_get (p, "requests")) == 5);
    CHECK (json_integer_value (json_object_get (p, "chars_billed")) == 30);
    json_decref (stats);
    int more = 0;
    json_t *page = hny_store_job_list (store, 0, 1, NULL, &more);
    CHECK (json_array_size (page) == 1 && more == 1);
    json_decref (page);
    page = hny_store_job_list (store, j1, 10, NULL, &more);
    CHECK (json_array_size (page) == 1 && more == 0);
    json_decref (page);
    page = hny_store_job_list (store, 0, 10, "failed", &more);
    CHECK (json_array_size (page) == 1);
    json_decref (page);
    json_t *counts = hny_store_job_counts (store);
    CHECK (json_integer_value (json_object_get (counts, "preparing")) == 1);
    CHECK (json_integer_value (json_object_get (counts, "failed")) == 1);
    json_decref (counts);

    /* Closing the store with a pass open commits it. */
    CHECK (hny_store_begin (store) == 0);
    s_add_job (store, "k3", "h3");
    hny_store_destroy (&store);     /* destroy commits an open pass */
    store = hny_store_new (path, &error);
    CHECK (store);
    CHECK (hny_store_job_by_key (store, "k3", &row) == 1);
    hny_job_row_clear (&row);

    /* Resume: the leased task goes back to queued, the preparing job too. */
    s_tasks_t t = { 0 };
    CHECK (hny_store_tasks (store, s_count_task, &t) == 0);
    CHECK (t.count == 2 && t.leased == 1);
    CHECK (hny_store_begin (store) == 0);
    CHECK (hny_store_resume (store) == 1);
    CHECK (hny_store_commit (store) == 0);
    memset (&t, 0, sizeof t);
    CHECK (hny_store_tasks (store, s_count_task, &t) == 0);
    CHECK (t.count == 2 && t.leased == 0 && t.last == t2);
    CHECK (hny_store_job_get (store, j1, &row) == 1 && row.state == HNY_JOB_QUEUED);
    hny_job_row_clear (&row);
    int active = 0;
    CHECK (hny_store_jobs_active (store, s_count_active, &active) == 0);
    CHECK (active == 2);    /* k1 (queued) and k3 (queued); k2 failed */
    CHECK (hny_store_begin (store) == 0);
    CHECK (hny_store_task_delete (store, t1) == 0);
    CHECK (hny_store_commit (store) == 0);
    memset (&t, 0, sizeof t);
    CHECK (hny_store_tasks (store, s_count_task, &t) == 0 && t.count == 1);

    /* Paging through a job's segments, and forgetting them. */
    segs [0] = '\0';
    CHECK (hny_store_segments_page (store, j2, -2, 0, 2, s_collect_segment, segs) == 2);
    CHECK (strcmp (segs, "-1.0:pending:Title:-|0.0:done:One.:UNO.@pseudo|") == 0);
    segs [0] = '\0';
    CHECK (hny_store_segments_page (store, j2, 0, 0, 2, s_collect_segment, segs) == 1);
    CHECK (strcmp (segs, "0.1:failed:Two.:-|") == 0);
    CHECK (hny_store_segments_page (store, j2, 0, 1, 2, s_collect_segment, segs) == 0);

    /* A failed write (here the UNIQUE key) poisons its pass: the commit
       fails and undoes it all. */
    CHECK (hny_store_begin (store) == 0);
    s_add_job (store, "k4", "h4");
    hny_job_row_t again = { .key = "k4", .hash = "h", .from = "en", .to = "es", .backend = "pseudo" };
    CHECK (hny_store_job_insert (store, &again, "x", 1, &unused) == -1);
    CHECK (hny_store_commit (store) == -1 && !hny_store_in_transaction (store));
    CHECK (hny_store_job_by_key (store, "k4", &row) == 0);
    CHECK (!hny_store_full (store) && *hny_store_error (store));

    /* A full store (max_store_bytes): writes fail as on a full disk, the
       pass is undone, reads still work, and a probe tells when it has room
       again. */
    CHECK (hny_store_set_max_bytes (store, 1) == 0);     /* the 16-page floor */
    CHECK (hny_store_begin (store) == 0);
    char *big = hny_malloc (200000);
    memset (big, 'x', 199999);
    big [199999] = 0;
    CHECK (hny_store_segment_add (store, j2, 5, 0, big) == -1);
    CHECK (hny_store_full (store));
    CHECK (hny_store_commit (store) == -1);
    CHECK (hny_store_probe (store) == -1 && hny_store_full (store));
    CHECK (hny_store_job_get (store, j2, &row) == 1);
    hny_job_row_clear (&row);
    CHECK (hny_store_set_max_bytes (store, 0) == 0);
    CHECK (hny_store_probe (store) == 0 && !hny_store_full (store));
    CHECK (hny_store_begin (store) == 0);
    CHECK (hny_store_segment_add (store, j2, 5, 0, big) == 0);
    CHECK (hny_store_segments_delete (store, j2) == 0);
    CHECK (hny_store_commit (store) == 0);
    CHECK (hny_store_segment_counts (store, j2, &total, &done, &failed) == 0 && total == 0);
    free (big);

    /* Schema version is recorded; a newer one is refused. */
    hny_store_destroy (&store);
    CHECK (sqlite3_open (path, &other) == SQLITE_OK);
    CHECK (sqlite3_exec (other, "PRAGMA user_version=99", NULL, NULL, NULL) == SQLITE_OK);
    sqlite3_close (other);
    store = hny_store_new (path, &error);
    CHECK (!store && error && strstr (error, "newer"));
    free (error);

    /* A version 1 store (no segments.backend) is upgraded in place. */
    char *old = hny_sprintf ("%s/v1.db", dir);
    CHECK (sqlite3_open (old, &other) == SQLITE_OK);
    CHECK (sqlite3_exec (other, "CREATE TABLE segments (job INTEGER NOT NULL, para INTEGER NOT NULL,"
                                " idx INTEGER NOT NULL, src TEXT NOT NULL, tgt TEXT, tm INTEGER NOT NULL"
                                " DEFAULT 0, state TEXT NOT NULL DEFAULT 'pending', code INTEGER NOT NULL"
                                " DEFAULT 0, class TEXT, reason TEXT, PRIMARY KEY (job, para, idx));"
                                " INSERT INTO segments (job, para, idx, src) VALUES (5, 0, 0, 'Old.');"
                                " PRAGMA user_version=1;", NULL, NULL, NULL) == SQLITE_OK);
    sqlite3_close (other);
    error = NULL;
    store = hny_store_new (old, &error);
    CHECK (store && !error);
    if (store) {
        CHECK (hny_store_begin (store) == 0);
        CHECK (hny_store_segment_set_backend (store, 5, 0, 0, "fb") == 0);
        CHECK (hny_store_commit (store) == 0);
        segs [0] = '\0';
        CHECK (hny_store_segments (store, 5, s_collect_segment, segs) == 0);
        CHECK (strcmp (segs, "0.0:pending:Old.:-@fb|") == 0);
        hny_store_destroy (&store);
    }
    free (error);
    free (old);

    /* Align jobs: their row (the split, the target's path, each side's
       prepared article), kept across a reopen; once aligned, the sides go
       and the count of links stays. */
    char *apath = hny_sprintf ("%s/align.db", dir);
    store = hny_store_new (apath, &error);
    CHECK (store && !error);
    if (store) {
        CHECK (hny_store_begin (store) == 0);
        int64_t ja = s_add_job (store, "align-1", "h-align");
        hny_align_row_t al = { .job = ja, .src_bytes = 5, .target_source = "ja/a.txt",
                               .prepared = { NULL, "{\"paragraphs\":[]}" } };
        CHECK (hny_store_align_insert (store, &al) == 0);
        CHECK (hny_store_align_set_side (store, ja, 0, "{\"title\":null}") == 0);
        CHECK (hny_store_commit (store) == 0);
        hny_store_destroy (&store);
        store = hny_store_new (apath, &error);
        CHECK (store && !error);
        hny_align_row_t got = { 0 };
        CHECK (store && hny_store_align_get (store, ja, &got) == 1);
        CHECK (got.job == ja && got.src_bytes == 5 && got.links == -1);
        CHECK (got.target_source && strcmp (got.target_source, "ja/a.txt") == 0);
        CHECK (got.prepared [0] && strcmp (got.prepared [0], "{\"title\":null}") == 0);
        CHECK (got.prepared [1] && strcmp (got.prepared [1], "{\"paragraphs\":[]}") == 0);
        hny_align_row_clear (&got);
        CHECK (hny_store_begin (store) == 0);
        CHECK (hny_store_align_done (store, ja, 7) == 0);
        CHECK (hny_store_commit (store) == 0);
        CHECK (hny_store_align_get (store, ja, &got) == 1);
        CHECK (got.links == 7 && !got.prepared [0] && !got.prepared [1] && got.src_bytes == 5);
        hny_align_row_clear (&got);
        CHECK (hny_store_align_get (store, ja + 1, &got) == 0 && got.links == -1 && !got.target_source);
        hny_store_destroy (&store);
    }
    free (error);
    free (apath);
    error = NULL;

    char *cmd = hny_sprintf ("rm -rf '%s'", dir);
    CHECK (system (cmd) == 0);
    free (cmd);
    free (path);
    return s_check_done ("test_store");
}
