/*  test_store.c: unit test of honyakud's store (daemon/hny_store.c):
    schema creation and version, idempotency keys, resume (leased tasks go
    back to the queue), the translation memory, group commit (a rolled-back
    pass leaves nothing; a committed one survives reopening; a failed write
    poisons its pass), records, listing, statistics, paging through
    segments, a store that is full (max_store_bytes) and recovers, and the
    rows of align jobs. Schema 4: a store of schema 3 as honyakud wrote it
    (tests/data/store-v3.sql, given as the first argument) is upgraded and
    keeps its jobs, records and TM; records are kept compressed and a
    damaged or oversized one is an error of its own (the decompression
    cap); a long article's segments are swept a slice at a time; free pages
    go back to the file system (hny_store_trim); the TM's filter misses
    no entry. */
#include "hny_store.h"

#include <honyaku/proto.h>
#include <honyaku/util.h>

#include "hny_check.h"

#include <assert.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <zstd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
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

/* Collect the qa of each segment ("-" when none), '|' after each. */
static int
s_collect_qa (const hny_segment_row_t *row, void *arg)
{
    strcat (arg, row->qa ? row->qa : "-");
    strcat (arg, "|");
    return 0;
}

/* The flags of the checks (segments.qa): kept with a translation (tgt),
   read back, NULL unless set. want: the qa of each segment, 'Q' for the
   one set here. */
static void
s_check_qa (hny_store_t *store, int64_t job, int para, int idx, const char *tgt, const char *want)
{
    static const char *const qa = "[{\"check\":\"number\",\"what\":\"7\",\"detail\":\"d\"}]";
    CHECK (hny_store_begin (store) == 0);
    CHECK (hny_store_segment_done (store, job, para, idx, "unused: the row is there", tgt, NULL, qa, NULL) == 0);
    CHECK (hny_store_commit (store) == 0);
    char got [1024] = "";
    CHECK (hny_store_segments (store, job, s_collect_qa, got) == 0);
    char expect [1024] = "";
    for (const char *w = want; *w; w++)
        if (*w == 'Q')
            strcat (expect, qa);
        else
            strncat (expect, w, 1);
    CHECK_STR (got, expect);
}

/* Every column of a job's segments, one line each, into out. */
static int
s_collect_all (const hny_segment_row_t *row, void *arg)
{
    char line [512];
    snprintf (line, sizeof line, "%d.%d:%s:%s:%d:%s:%d:%d:%s:%s:%s|", row->para, row->idx, row->src,
              row->tgt ? row->tgt : "-", row->tm, hny_seg_state_name (row->state), row->code,
              row->err_class, row->reason ? row->reason : "-", row->backend ? row->backend : "-",
              row->qa ? row->qa : "-");
    strcat (arg, line);
    return 0;
}

/* hny_store_segment_done writes a translation with what came with it, in
   one statement: the target (tm 0, state done), a warning (class
   "warning" and its reason), the flags of the checks and the profile that
   translated it, each NULL left as the column was. */
static void
s_segment_done (const char *dir)
{
    char *path = hny_sprintf ("%s/done.db", dir), *error = NULL;
    hny_store_t *store = hny_store_new (path, &error);
    CHECK (store && !error);
    free (path);
    if (!store)
        return;
    static const char *const qa = "[{\"check\":\"number\",\"what\":\"7\",\"detail\":\"d\"}]";
    static const struct {
        const char *warning, *qa, *backend;
    } cases [] = {
        { NULL, NULL, NULL }, { "markup lost", NULL, NULL }, { NULL, qa, NULL },
        { NULL, NULL, "fallback" }, { "markup lost", qa, "fallback" },
    };
    size_t n = sizeof cases / sizeof cases [0];
    CHECK (hny_store_begin (store) == 0);
    int64_t one = s_add_job (store, "done-1", "hd1"), four = s_add_job (store, "done-4", "hd4");
    char want [4096] = "";
    for (size_t i = 0; i < n; i++) {
        char *src = hny_sprintf ("Sentence %zu.", i), *tgt = hny_sprintf ("SENTENCE %zu.", i);
        CHECK (hny_store_segment_add (store, one, 0, (int) i, src) == 0);
        CHECK (hny_store_segment_add (store, four, 0, (int) i, src) == 0);
        CHECK (hny_store_segment_done (store, one, 0, (int) i, src, tgt, cases [i].warning, cases [i].qa,
                                       cases [i].backend) == 0);
        CHECK (hny_store_segment_done (store, four, 0, (int) i, src, tgt, cases [i].warning, cases [i].qa,
                                       cases [i].backend) == 0);
        hny_segment_row_t row = {
            .para = 0, .idx = (int) i, .src = src, .tgt = tgt, .state = HNY_SEG_DONE,
            .err_class = cases [i].warning ? HNY_CLASS_WARNING : -1, .reason = (char *) cases [i].warning,
            .backend = (char *) cases [i].backend, .qa = (char *) cases [i].qa,
        };
        s_collect_all (&row, want);
        free (src);
        free (tgt);
    }
    /* A NULL leaves the column as it was: a second write without them. */
    CHECK (hny_store_segment_done (store, four, 0, 4, "Sentence 4.", "SENTENCE 4.", NULL, NULL, NULL) == 0);
    CHECK (hny_store_commit (store) == 0);
    char a [4096] = "", b [4096] = "";
    CHECK (hny_store_segments (store, one, s_collect_all, a) == 0);
    CHECK (hny_store_segments (store, four, s_collect_all, b) == 0);
    CHECK_STR (a, want);
    CHECK_STR (b, want);
    CHECK (strstr (a, "0.4:Sentence 4.:SENTENCE 4.:0:done:0:") && strstr (a, ":markup lost:fallback:[{"));

    /* Retired, a job keeps its counts; with drop its metadata goes, and
       prepare's output too when a segment failed. HNY_RETIRE_NO_ROWS does
       the same to the row of a job without segment rows (rowless) and
       deletes nothing: given for a job with rows (sixth), they stay. */
    int64_t three = s_add_job (store, "done-3", "hd3");
    int64_t rowless = s_add_job (store, "done-5", "hd5");
    int64_t sixth = s_add_job (store, "done-6", "hd6");
    int64_t jobs [5] = { one, four, three, rowless, sixth };
    CHECK (hny_store_begin (store) == 0);
    for (int i = 0; i < 5; i++)
        CHECK (hny_store_segment_add (store, sixth, 0, i, "Kept.") == 0);
    for (size_t i = 0; i < 5; i++)
        CHECK (hny_store_job_set_prepared (store, jobs [i], "{\"charset\":\"UTF-8\"}", HNY_JOB_TRANSLATING) == 0);
    hny_retire_t done5 = { 5, 5, 0, 0, HNY_JOB_DONE, NULL, 0, NULL };
    CHECK (hny_store_segments_retire (store, one, &done5) == 0);
    done5.drop = 1;
    CHECK (hny_store_segments_retire (store, four, &done5) == 0);
    CHECK (hny_store_segments_retire (store, three, &(hny_retire_t) { 5, 4, 1, 1, HNY_JOB_FAILED,
                                                                      "1 of 5 segments failed", 422,
                                                                      NULL }) == 0);
    done5.drop = HNY_RETIRE_NO_ROWS;
    CHECK (hny_store_segments_retire (store, sixth, &done5) == 0);
    /* prepare's output written with the retire (a job from the TM alone) */
    done5.prepared = "{\"charset\":\"EUC-JP\"}";
    CHECK (hny_store_segments_retire (store, rowless, &done5) == 0);
    CHECK (hny_store_commit (store) == 0);
    static const struct {
        int metadata, prepared, segments, done;
    } kept [5] = { { 1, 1, 5, 5 }, { 0, 1, 0, 5 }, { 0, 0, 0, 4 }, { 0, 1, 0, 5 }, { 0, 1, 5, 5 } };
    for (size_t i = 0; i < 5; i++) {
        hny_job_row_t row = { 0 };
        int total = -1, done = -1, failed = -1;
        CHECK (hny_store_job_get (store, jobs [i], &row) == 1);
        CHECK (row.seg_total == 5 && row.seg_done == kept [i].done && row.seg_failed == 5 - kept [i].done);
        CHECK (!row.metadata == !kept [i].metadata && !row.prepared == !kept [i].prepared);
        CHECK (!row.prepared || strcmp (row.prepared, jobs [i] == rowless ? "{\"charset\":\"EUC-JP\"}"
                                                                          : "{\"charset\":\"UTF-8\"}") == 0);
        CHECK (hny_store_segment_counts (store, jobs [i], &total, &done, &failed) == 0
               && total == kept [i].segments);
        /* the final state, in the same write */
        CHECK (row.state == (jobs [i] == three ? HNY_JOB_FAILED : HNY_JOB_DONE));
        CHECK (jobs [i] == three ? row.error && strcmp (row.error, "1 of 5 segments failed") == 0
                                   && row.error_code == 422
                                 : !row.error && row.error_code == 0);
        hny_job_row_clear (&row);
    }
    hny_store_destroy (&store);
}

/* An integer a query on another connection gives, or -1. */
static int64_t
s_sql_int (const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *stmt = NULL;
    int64_t value = -1;
    if (sqlite3_open (path, &db) == SQLITE_OK && sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL) == SQLITE_OK
    &&  sqlite3_step (stmt) == SQLITE_ROW)
        value = sqlite3_column_int64 (stmt, 0);
    sqlite3_finalize (stmt);
    sqlite3_close (db);
    return value;
}

static int64_t
s_file_size (const char *path)
{
    struct stat st;
    return stat (path, &st) == 0 ? (int64_t) st.st_size : -1;
}

/* The WAL is checkpointed once it holds an eighth of the file system's
   free room, 1 to 8 MiB (hny_store_checkpoint), not before, and its file
   stays within twice that and one transaction (the checkpointer thread
   copies while the loop commits; at twice the limit the loop copies). */
static void
s_wal_limit (const char *dir)
{
    char *path = hny_sprintf ("%s/wal.db", dir), *wal = hny_sprintf ("%s/wal.db-wal", dir);
    char *error = NULL;
    hny_store_t *store = hny_store_new (path, &error);
    CHECK (store && !error);
    struct statvfs fs;
    CHECK (statvfs (path, &fs) == 0);
    int64_t want = (int64_t) fs.f_bavail * (int64_t) fs.f_frsize / 8 / 4096;
    want = want < 256 ? 256 : want > 2048 ? 2048 : want;
    const int64_t frame = 4096 + 24, slack = 80;    /* a transaction here: 64 pages and a few */
    size_t size = 256 << 10;
    uint8_t *blob = hny_calloc (1, size);
    int64_t frames_at = -1, biggest = 0;
    for (int i = 0; i < 48 && store; i++) {
        char key [32];
        snprintf (key, sizeof key, "wal-%d", i);
        hny_job_row_t row = { .key = key, .hash = key, .from = "en", .to = "es", .backend = "pseudo",
                              .format = "text" };
        int64_t id;
        CHECK (hny_store_begin (store) == 0);
        CHECK (hny_store_job_insert (store, &row, blob, size, &id) == 0);
        CHECK (hny_store_commit (store) == 0);
        int64_t bytes = s_file_size (wal);
        biggest = bytes > biggest ? bytes : biggest;
        int rc = hny_store_checkpoint (store);
        CHECK (rc >= 0);
        if (rc == 1 && frames_at < 0)
            frames_at = (bytes - 32) / frame;
    }
    CHECK (frames_at >= want && frames_at < want + slack);
    CHECK (biggest <= (2 * want + slack) * frame + 32);
    if (frames_at < want || frames_at >= want + slack)
        fprintf (stderr, "first checkpoint at %lld frames, limit %lld\n", (long long) frames_at,
                 (long long) want);
    /* The checkpointer thread, asked at the limit, copies while commits
       go on (one every 2 ms here, as a loop's passes would); once it is
       done the loop copies what they added and a commit starts the WAL
       over, cut back to its limit: within 10 s, and before the WAL
       reaches twice its limit (where the loop would copy it all itself,
       which would hide a checkpointer that does nothing). */
    int64_t deadline = hny_clock_mono_ms () + 10000;
    for (int i = 0; store && s_file_size (wal) > want * frame + 32; i++) {
        CHECK (hny_clock_mono_ms () < deadline);
        CHECK (s_file_size (wal) < 2 * want * frame);
        if (hny_clock_mono_ms () >= deadline || s_file_size (wal) >= 2 * want * frame)
            break;
        nanosleep (&(struct timespec) { 0, 2000000 }, NULL);
        char key [32];
        snprintf (key, sizeof key, "wal-small-%d", i);
        hny_job_row_t row = { .key = key, .hash = key, .from = "en", .to = "es", .backend = "pseudo",
                              .format = "text" };
        int64_t id;
        CHECK (hny_store_begin (store) == 0);
        CHECK (hny_store_job_insert (store, &row, blob, 16, &id) == 0);
        CHECK (hny_store_commit (store) == 0);
        CHECK (hny_store_checkpoint (store) >= 0);
    }
    free (blob);
    hny_store_destroy (&store);
    free (path);
    free (wal);
}

/* Schema 3 as honyakud 71e4450 wrote it (store-v3.sql): upgraded in
   place, nothing lost. */
static void
s_upgrade_v3 (const char *dir, const char *dump)
{
    char *sql = NULL;
    size_t size = 0;
    CHECK (hny_file_read (dump, 1 << 20, &sql, &size) == 0);
    if (!sql)
        return;
    char *path = hny_sprintf ("%s/v3.db", dir);
    sqlite3 *db = NULL;
    CHECK (sqlite3_open (path, &db) == SQLITE_OK);
    CHECK (sqlite3_exec (db, sql, NULL, NULL, NULL) == SQLITE_OK);
    sqlite3_close (db);
    free (sql);
    CHECK (s_sql_int (path, "PRAGMA user_version") == 3);

    char *error = NULL;
    hny_store_t *store = hny_store_new (path, &error);
    CHECK (store && !error);
    if (!store) {
        fprintf (stderr, "upgrade: %s\n", error ? error : "?");
        free (error);
        free (path);
        return;
    }
    CHECK (s_sql_int (path, "PRAGMA user_version") == HNY_STORE_SCHEMA_VERSION);
    CHECK (s_sql_int (path, "PRAGMA auto_vacuum") == 2);        /* compacted once */
    CHECK (s_sql_int (path, "SELECT count(*) FROM pragma_table_info('jobs') WHERE name='content'") == 0);
    /* The queued job's article moved to contents. */
    uint8_t *content = NULL;
    size_t len = 0;
    CHECK (hny_store_job_content (store, 4, &content, &len) == 1);
    const char *queued = "Title: Queued\nNo worker took this one.\n";
    CHECK (content && len == strlen (queued) && memcmp (content, queued, len) == 0);
    free (content);
    /* Final jobs kept their counts and dropped their segments; the one
       still translating kept them. */
    hny_job_row_t row = { 0 };
    CHECK (hny_store_job_get (store, 1, &row) == 1);
    CHECK (row.state == HNY_JOB_DONE && row.seg_total == 5 && row.seg_done == 5 && row.seg_failed == 0);
    CHECK (row.metadata == NULL && row.prepared == NULL);
    hny_job_row_clear (&row);
    CHECK (hny_store_job_get (store, 2, &row) == 1);
    CHECK (row.state == HNY_JOB_FAILED && row.seg_total == 5 && row.seg_done == 4 && row.seg_failed == 1);
    hny_job_row_clear (&row);
    CHECK (hny_store_job_get (store, 3, &row) == 1);
    CHECK (row.state == HNY_JOB_TRANSLATING && row.seg_total == -1 && row.prepared != NULL);
    hny_job_row_clear (&row);
    int total = -1, done = -1, failed = -1;
    CHECK (hny_store_segment_counts (store, 1, &total, &done, &failed) == 0 && total == 0);
    CHECK (hny_store_segment_counts (store, 3, &total, &done, &failed) == 0 && total == 2 && done == 0);
    /* Records read as they were written. */
    char *json = NULL;
    CHECK (hny_store_record_get (store, 1, &json) == 1);
    CHECK (json && strncmp (json, "{\"schema\":\"honyaku.record/1\",\"job\":\"1\",\"key\":\"one\"", 46) == 0);
    CHECK (json && strstr (json, "\"tgt\":\"THEY CALLED IT \\\"A GIFT\\\" TO ARMS MAKERS.\""));
    free (json);
    /* The TM kept its text entries, now under a 64-bit key. */
    hny_tm_entry_t entry;
    CHECK (hny_store_tm_get (store, "en", "es", "pseudo", "They called it \"a gift\" to arms makers.",
                             &entry) == 1);
    CHECK_STR (entry.tgt, "THEY CALLED IT \"A GIFT\" TO ARMS MAKERS.");
    free (entry.tgt);
    CHECK (hny_store_tm_get (store, "en", "es", "pseudo", "A refused sentence.", &entry) == 0);
    CHECK (s_sql_int (path, "SELECT count(*) FROM tm") == 8);
    /* The tasks are there to be resumed; new jobs follow the old ids. */
    s_tasks_t t = { 0 };
    CHECK (hny_store_tasks (store, s_count_task, &t) == 0 && t.count == 2 && t.leased == 2);
    CHECK (hny_store_begin (store) == 0);
    CHECK (hny_store_resume (store) == 2);
    int64_t id = s_add_job (store, "five", "h5");
    CHECK (id == 5);
    CHECK (hny_store_record_put (store, id, "{\"job\":\"5\"}") == 0);
    CHECK (hny_store_commit (store) == 0);
    CHECK (hny_store_record_get (store, id, &json) == 1);
    CHECK_STR (json, "{\"job\":\"5\"}");
    free (json);
    hny_store_destroy (&store);
    /* Opened again: the schema as it is. */
    store = hny_store_new (path, &error);
    CHECK (store && !error);
    CHECK (store && hny_store_job_by_key (store, "four", &row) == 1 && row.id == 4);
    hny_job_row_clear (&row);
    hny_store_destroy (&store);
    free (path);
}

/* hny_store_tm_page's callback: counts the rows, keeps the last. */
typedef struct {
    int count, human;
    int64_t hash, key;
} s_page_t;

static int
s_page_row (const hny_tm_row_t *row, void *arg)
{
    s_page_t *p = arg;
    p->count++;
    p->human += row->origin != NULL;
    p->hash = row->hash;
    p->key = row->tmkey;
    return 0;
}

/* Schema 5: human TM entries. A store of schema 4 (this store's layout
   without tm.origin and stats.tm_human_hits) is upgraded in place, its
   entries machine ones; then a human entry answers before the profile's
   own, for every profile of its pair and no other, a machine put never
   replaces it, and its put drops the machine entries of its source. */
static void
s_human_tm (const char *dir)
{
    char *path = hny_sprintf ("%s/v4.db", dir), *error = NULL;
    hny_store_t *store = hny_store_new (path, &error);
    CHECK (store);
    if (!store) {
        free (error);
        free (path);
        return;
    }
    CHECK (hny_store_begin (store) == 0);
    CHECK (hny_store_tm_put (store, "en", "ja", "deepl", "Old sentence.", "古い文。") == 0);
    CHECK (hny_store_tm_put (store, "en", "ja", "deepl", "Wages fell.", "機械訳") == 0);
    CHECK (hny_store_tm_put (store, "en", "ja", "llm", "Wages fell.", "別の機械訳") == 0);
    CHECK (hny_store_tm_put (store, "en", "es", "deepl", "Wages fell.", "Los salarios cayeron.") == 0);
    CHECK (hny_store_stats_add (store, "deepl", 2, 1, 10, 1, 1) == 0);
    CHECK (hny_store_commit (store) == 0);
    /* Schema 4 kept every entry in tm: the recent ones go there, and the
       tables of schema 6 go. */
    CHECK (hny_store_tm_flush (store) == 0);
    hny_store_destroy (&store);
    sqlite3 *db = NULL;
    CHECK (sqlite3_open (path, &db) == SQLITE_OK);
    CHECK (sqlite3_exec (db, "ALTER TABLE tm DROP COLUMN origin; ALTER TABLE stats DROP COLUMN tm_human_hits;"
                             " DROP TABLE tm_new; DROP TABLE tm_merge;"
                             " PRAGMA user_version=4", NULL, NULL, NULL) == SQLITE_OK);
    sqlite3_close (db);
    CHECK (s_sql_int (path, "SELECT count(*) FROM pragma_table_info('tm') WHERE name='origin'") == 0);

    store = hny_store_new (path, &error);
    CHECK (store && !error);
    if (!store) {
        free (error);
        free (path);
        return;
    }
    CHECK (s_sql_int (path, "PRAGMA user_version") == HNY_STORE_SCHEMA_VERSION);
    CHECK (s_sql_int (path, "SELECT count(*) FROM tm WHERE origin IS NULL") == 4);
    CHECK (s_sql_int (path, "SELECT count(*) FROM tm_new") == 0);     /* made by the upgrade */
    int64_t human = -1, machine = -1;
    CHECK (hny_store_tm_count (store, "en", "ja", &human, &machine) == 0 && human == 0 && machine == 3);
    hny_tm_entry_t e;
    CHECK (hny_store_tm_get (store, "en", "ja", "deepl", "Wages fell.", &e) == 1 && !e.human);
    CHECK_STR (e.tgt, "機械訳");
    free (e.tgt);
    json_t *stats = hny_store_stats (store);
    CHECK (json_integer_value (json_object_get (json_object_get (stats, "deepl"), "tm_human_hits")) == 0
           && json_integer_value (json_object_get (json_object_get (stats, "deepl"), "tm_hits")) == 2);
    json_decref (stats);

    /* A human entry: the machine ones of its source in en-ja go, es stays. */
    CHECK (hny_store_begin (store) == 0);
    CHECK (hny_store_tm_put_human (store, "en", "ja", "Wages fell.", "賃金が下落した。", "wages.tmx") == 0);
    CHECK (hny_store_commit (store) == 0);
    CHECK (hny_store_tm_count (store, "en", "ja", &human, &machine) == 0 && human == 1 && machine == 1);
    CHECK (hny_store_tm_count (store, NULL, NULL, &human, &machine) == 0 && human == 1 && machine == 2);
    const char *profiles [] = { "deepl", "llm", "a-profile-never-seen" };
    for (size_t i = 0; i < 3; i++) {
        CHECK (hny_store_tm_get (store, "en", "ja", profiles [i], "Wages fell.", &e) == 1 && e.human);
        CHECK_STR (e.tgt, "賃金が下落した。");
        free (e.tgt);
    }
    CHECK (hny_store_tm_get (store, "en", "es", "deepl", "Wages fell.", &e) == 1 && !e.human);
    CHECK_STR (e.tgt, "Los salarios cayeron.");
    free (e.tgt);
    /* A machine put afterwards does not win; a second human one does. */
    CHECK (hny_store_begin (store) == 0);
    CHECK (hny_store_tm_put (store, "en", "ja", "deepl", "Wages fell.", "新しい機械訳") == 0);
    CHECK (hny_store_tm_put_human (store, "en", "ja", "Old sentence.", "見直した古い文。", "review.xlf") == 0);
    CHECK (hny_store_stats_human_add (store, "deepl", 3) == 0);
    CHECK (hny_store_commit (store) == 0);
    CHECK (hny_store_tm_get (store, "en", "ja", "deepl", "Wages fell.", &e) == 1 && e.human);
    CHECK_STR (e.tgt, "賃金が下落した。");
    free (e.tgt);
    CHECK (hny_store_tm_get (store, "en", "ja", "deepl", "Old sentence.", &e) == 1 && e.human);
    CHECK_STR (e.tgt, "見直した古い文。");
    free (e.tgt);
    stats = hny_store_stats (store);
    CHECK (json_integer_value (json_object_get (json_object_get (stats, "deepl"), "tm_human_hits")) == 3);
    json_decref (stats);
    /* Pages: all, human, machine; two pages of 2 go through the 3 en-ja. */
    s_page_t p = { 0 };
    CHECK (hny_store_tm_page (store, "en", "ja", 0, INT64_MIN, INT64_MIN, 10, s_page_row, &p) == 3
           && p.count == 3 && p.human == 2);
    p = (s_page_t) { 0 };
    CHECK (hny_store_tm_page (store, NULL, NULL, 1, INT64_MIN, INT64_MIN, 10, s_page_row, &p) == 2 && p.human == 2);
    p = (s_page_t) { 0 };
    CHECK (hny_store_tm_page (store, NULL, NULL, 2, INT64_MIN, INT64_MIN, 10, s_page_row, &p) == 2 && p.human == 0);
    p = (s_page_t) { 0 };
    CHECK (hny_store_tm_page (store, "en", "ja", 0, INT64_MIN, INT64_MIN, 2, s_page_row, &p) == 2);
    s_page_t q = { 0 };
    CHECK (hny_store_tm_page (store, "en", "ja", 0, p.hash, p.key, 2, s_page_row, &q) == 1);
    hny_store_destroy (&store);
    free (path);
}

/* Records are zstd frames in the store; reading one back is capped at
   HNY_PROTO_BODY_MAX (checked before anything is allocated), and a bad
   one is an error of its own read: the open pass still commits. */
static void
s_records_compressed (hny_store_t *store, const char *path, int64_t job)
{
    hny_buf_t big = HNY_BUF_INIT (1 << 20);
    hny_buf_adds (&big, "{\"paragraphs\":[");
    for (int i = 0; i < 2000; i++)
        hny_buf_adds (&big, i ? ",{\"src\":\"The same words again.\",\"tgt\":\"LAS MISMAS.\"}"
                              : "{\"src\":\"The same words again.\",\"tgt\":\"LAS MISMAS.\"}");
    hny_buf_adds (&big, "]}");
    CHECK (hny_store_begin (store) == 0);
    CHECK (hny_store_record_put (store, job, big.data) == 0);
    CHECK (hny_store_commit (store) == 0);
    char *json = NULL;
    CHECK (hny_store_record_get (store, job, &json) == 1);
    CHECK (json && strcmp (json, big.data) == 0);
    free (json);
    char *q = hny_sprintf ("SELECT length(json) FROM records WHERE job=%lld AND typeof(json)='blob'",
                           (long long) job);
    int64_t stored = s_sql_int (path, q);
    free (q);
    CHECK (stored > 0 && stored < (int64_t) big.len / 10);

    /* A frame that says it holds more than a RECORD may: refused unread. */
    size_t over = (size_t) HNY_PROTO_BODY_MAX + 1;
    char *zeros = hny_calloc (1, over);
    size_t bound = ZSTD_compressBound (over);
    void *z = hny_malloc (bound);
    size_t zsize = ZSTD_compress (z, bound, zeros, over, 1);
    free (zeros);
    CHECK (!ZSTD_isError (zsize) && zsize < 64 * 1024);
    sqlite3 *db = NULL;
    sqlite3_stmt *stmt = NULL;
    CHECK (sqlite3_open (path, &db) == SQLITE_OK);
    CHECK (sqlite3_prepare_v2 (db, "UPDATE records SET json=? WHERE job=?", -1, &stmt, NULL) == SQLITE_OK);
    for (int damaged = 0; damaged < 2; damaged++) {
        /* Oversized, then damaged (a frame cut short). */
        sqlite3_bind_blob (stmt, 1, z, (int) (damaged ? zsize / 2 : zsize), SQLITE_STATIC);
        sqlite3_bind_int64 (stmt, 2, job);
        CHECK (sqlite3_step (stmt) == SQLITE_DONE);
        sqlite3_reset (stmt);
        CHECK (hny_store_begin (store) == 0);
        json = NULL;
        CHECK (hny_store_record_get (store, job, &json) == -1 && json == NULL);
        CHECK (strstr (hny_store_error (store), damaged ? "record of job" : "larger than a RECORD"));
        /* It did not spoil the pass. */
        char key [32];
        snprintf (key, sizeof key, "after-bad-record-%d", damaged);
        s_add_job (store, key, "h");
        CHECK (hny_store_commit (store) == 0);
        hny_job_row_t row = { 0 };
        CHECK (hny_store_job_by_key (store, key, &row) == 1);
        hny_job_row_clear (&row);
    }
    sqlite3_finalize (stmt);
    sqlite3_close (db);
    free (z);
    hny_buf_free (&big);
}

/* What a finished job no longer needs goes, and its pages go back to the
   file system once trimmed. */
static void
s_trim (hny_store_t *store, const char *path, int64_t job)
{
    char *text = hny_malloc (1001);
    memset (text, 'w', 1000);
    text [1000] = 0;
    CHECK (hny_store_begin (store) == 0);
    for (int i = 0; i < 5000; i++)
        CHECK (hny_store_segment_add (store, job, 100 + i / 10, i % 10, text) == 0);
    CHECK (hny_store_commit (store) == 0);
    CHECK (hny_store_probe (store) == 0);       /* the WAL into the file */
    int64_t full = s_file_size (path);
    CHECK (full > 1000 * 5000);
    /* 5,000 segments are more than go at once: swept, 2,000 a slice. */
    CHECK (hny_store_begin (store) == 0);
    CHECK (hny_store_segments_retire (store, job, &(hny_retire_t) { 5000, 5000, 0, 1, HNY_JOB_DONE,
                                                                    NULL, 0, NULL }) == 0);
    CHECK (hny_store_commit (store) == 0);
    hny_job_row_t row = { 0 };
    CHECK (hny_store_job_get (store, job, &row) == 1 && row.seg_total == 5000 && row.seg_done == 5000);
    hny_job_row_clear (&row);
    int total = 0, done = 0, failed = 0;
    CHECK (hny_store_segment_counts (store, job, &total, &done, &failed) == 0 && total == 5000);
    int slices = 0;
    CHECK (hny_store_begin (store) == 0);
    while (hny_store_sweep (store, 2000) == 1 && slices < 10) {
        CHECK (hny_store_segment_counts (store, job, &total, &done, &failed) == 0);
        CHECK (total == (slices < 2 ? 5000 - 2000 * (slices + 1) : 0));
        slices++;
    }
    CHECK (hny_store_commit (store) == 0);
    CHECK (slices == 3 && total == 0);
    CHECK (hny_store_sweep (store, 2000) == 0);
    int rounds = 0, rc;
    do {
        CHECK (hny_store_begin (store) == 0);
        rc = hny_store_trim (store, 128);
        CHECK (hny_store_commit (store) == 0);
    } while (rc == 1 && ++rounds < 100);
    CHECK (rc == 0 && rounds > 1);              /* 128 pages a round */
    CHECK (s_sql_int (path, "PRAGMA freelist_count") == 0);
    CHECK (s_file_size (path) < full / 4);
    char *wal = hny_sprintf ("%s-wal", path);
    CHECK (s_file_size (wal) <= 0);             /* emptied after the trimming commit */
    free (wal);
    free (text);
}

/* The TM's filter: a lookup of a source the store never wrote skips the
   index, and no entry is ever missed: every entry written through the
   store is found (also after a rollback of others, and across a reopen),
   and the entries already in the file when it opens (an older honyakud's,
   an upgrade's) are read into the filter at open. One written behind the
   store's back, by another connection while it is open, is therefore not
   seen until the next open: honyakud is the store's only writer. */
static void
s_tm_filter (const char *dir)
{
    char *path = hny_sprintf ("%s/filter.db", dir);
    char *error = NULL;
    hny_store_t *store = hny_store_new (path, &error);
    CHECK (store && !error);
    enum { N = 3000 };
    char src [64], tgt [64];
    CHECK (hny_store_begin (store) == 0);
    for (int i = 0; i < N; i++) {
        snprintf (src, sizeof src, "Sentence %d.", i);
        snprintf (tgt, sizeof tgt, "Frase %d.", i);
        if (i % 3 == 0)
            CHECK (hny_store_tm_put (store, "en", "es", "deepl", src, tgt) == 0);
        else if (i % 3 == 1)
            CHECK (hny_store_tm_put_ref (store, "en", "es", "deepl", src, 1 + i, 0, 0) == 0);
        else
            CHECK (hny_store_tm_put_human (store, "en", "es", src, tgt, "f.tmx") == 0);
    }
    CHECK (hny_store_commit (store) == 0);
    /* A pass undone: its entries are gone, though the filter keeps them. */
    CHECK (hny_store_begin (store) == 0);
    CHECK (hny_store_tm_put (store, "en", "es", "deepl", "Undone.", "Deshecho.") == 0);
    hny_store_rollback (store);
    hny_tm_entry_t e;
    CHECK (hny_store_tm_get (store, "en", "es", "deepl", "Undone.", &e) == 0);

    /* Behind the store's back: a row it never wrote. */
    int64_t key = s_sql_int (path, "SELECT id FROM tm_keys WHERE profile='deepl'");
    CHECK (key > 0);
    char *sql = hny_sprintf ("INSERT INTO tm (hash, tmkey, src, tgt) VALUES (%lld, %lld, 'Behind.', 'Detrás.')",
                             (long long) hny_store_text_hash ("Behind."), (long long) key);
    CHECK (s_sql_int (path, sql) == -1);    /* no row: the INSERT ran */
    free (sql);
    CHECK (s_sql_int (path, "SELECT count(*) FROM tm WHERE src='Behind.'") == 1);
    CHECK (hny_store_tm_get (store, "en", "es", "deepl", "Behind.", &e) == 0);

    for (int round = 0; round < 2; round++) {
        int found = 0, unseen = 0;
        for (int i = 0; i < N; i++) {
            snprintf (src, sizeof src, "Sentence %d.", i);
            if (hny_store_tm_get (store, "en", "es", "deepl", src, &e) == 1)
                found++;
            free (e.tgt);
            snprintf (src, sizeof src, "Unseen sentence %d.", i);
            unseen += hny_store_tm_get (store, "en", "es", "deepl", src, &e) != 0;
        }
        CHECK (found == N && unseen == 0);
        /* Reopened: the filter is filled from the file. */
        hny_store_destroy (&store);
        store = hny_store_new (path, &error);
        CHECK (store && !error);
    }
    CHECK (hny_store_tm_get (store, "en", "es", "deepl", "Behind.", &e) == 1);
    CHECK (e.tgt && strcmp (e.tgt, "Detrás.") == 0);
    free (e.tgt);
    hny_store_destroy (&store);
    free (path);
}

/* The TM's recent entries (schema 6: tm_new, merged into tm by slices).
   With merges at 40 entries: every entry is found before, during and
   after a merge and across a reopen in the middle of one; a merge ends
   with its rows in tm and gone from tm_new; a key given a new target
   during a merge ends with the new one; a rollback undoes its rows and
   its removals; a human entry drops the machine rows of its source; the
   counts never count a key twice; an export sees every entry. */
static int
s_recent_found (hny_store_t *store, int n, int humans, const char *changed)
{
    int found = 0;
    char src [64], want [64];
    for (int i = 0; i < n; i++) {
        if (humans && (i == 3 || i == 45))
            continue;               /* human entries answer for these */
        snprintf (src, sizeof src, "Recent %d.", i);
        snprintf (want, sizeof want, i % 2 ? "Reciente %d." : "", i);
        if (changed && i == 7)
            snprintf (want, sizeof want, "%s", changed);
        hny_tm_entry_t e;
        int rc = hny_store_tm_get (store, "en", "es", "deepl", src, &e);
        if (rc == 1 && (i % 2 || (changed && i == 7)) ? e.tgt && strcmp (e.tgt, want) == 0
                                                      : rc == 1 && e.job == 100 + i && e.idx == i)
            found++;
        else
            fprintf (stderr, "recent: %s not found as it was kept (rc %d)\n", src, rc);
        free (e.tgt);
    }
    return found;
}

/* s_sources: the context of every segment of a job at a few caps, as
   one string. */
static void
s_contexts (hny_store_t *store, int64_t job, const int *paras, const int *idxs, int n, char *out,
            size_t size)
{
    const size_t caps [] = { 1, 7, 20, 60, 1000 };
    out [0] = '\0';
    for (int i = 0; i < n; i++)
        for (size_t c = 0; c < sizeof caps / sizeof caps [0]; c++) {
            char *text = NULL;
            CHECK (hny_store_context (store, job, paras [i], idxs [i], caps [c], &text) == 0);
            size_t len = strlen (out);
            snprintf (out + len, size - len, "%d.%d/%zu:%s|", paras [i], idxs [i], caps [c],
                      text ? text : "-");
            free (text);
        }
}

/* A job's segments written the two ways (hny_store.h "segments"): as
   rows from the start, and as sources with rows only for what happened
   to them; every reader gives the same for both, at every step. */
static void
s_sources (const char *dir)
{
    char *path = hny_sprintf ("%s/sources.db", dir);
    char *error = NULL;
    hny_store_t *store = hny_store_new (path, &error);
    CHECK (store && !error);
    if (!store)
        return;
    enum { N = 40 };
    int paras [N], idxs [N];
    char *srcs [N];
    for (int i = 0, p = -1, k = 0; i < N; i++) {
        paras [i] = p;
        idxs [i] = k++;
        if (p == -1 || k == 1 + (p * 7 + i) % 5)
            p++, k = 0;
        /* multi-byte text, so that a cut context lands inside a character */
        srcs [i] = hny_sprintf ("S\xC3\xA9ntence %d of \xE6\x97\xA5 para %d.", i, paras [i]);
    }
    CHECK (hny_store_begin (store) == 0);
    int64_t rows = s_add_job (store, "rows", "h-rows"), compact = s_add_job (store, "compact", "h-compact");
    hny_buf_t list = HNY_BUF_INIT (1 << 20);
    sqlite3 *db = NULL;
    for (int i = 0; i < N; i++) {
        CHECK (hny_store_segment_add (store, rows, paras [i], idxs [i], srcs [i]) == 0);
        CHECK (hny_store_sources_add (&list, paras [i], idxs [i], srcs [i]) == 0);
    }
    CHECK (hny_store_sources_put (store, compact, &list, N) == 0);
    /* a third job, its sources row of other texts (for the reader below) */
    int64_t shifted = s_add_job (store, "shifted", "h-shifted");
    hny_buf_t other = HNY_BUF_INIT (1 << 20);
    for (int i = 0; i < N; i++)
        CHECK (hny_store_sources_add (&other, paras [i], idxs [i], srcs [(i + 1) % N]) == 0);
    CHECK (hny_store_sources_put (store, shifted, &other, N) == 0);
    hny_buf_free (&other);
    CHECK (hny_store_commit (store) == 0);
    char a [16384], b [16384];
    unsigned seed = 7;
    /* Sources by place (a restart's read of translate tasks), from the
       rows and from the sources row alike, the jobs asked for in turns
       and in runs (the reader keeps one job's row); places that are not
       there, and a job that is not there, are none. */
    hny_store_srcs_t *reader = hny_store_srcs_new (store);
    for (int k = 0; k < 4 * N; k++) {
        int i = (int) ((seed = seed * 1103515245 + 12345) >> 8) % N;
        int64_t job = (k / 3) % 3 == 0 ? rows : (k / 3) % 3 == 1 ? compact : shifted;
        char *got = NULL;
        CHECK (hny_store_srcs_get (reader, job, paras [i], idxs [i], &got) == 1);
        CHECK_STR (got ? got : "", srcs [job == shifted ? (i + 1) % N : i]);
        hny_free (&got);
        CHECK (hny_store_srcs_get (reader, job, paras [i], idxs [i] + 100, &got) == 0 && !got);
        CHECK (hny_store_srcs_get (reader, job, -7, 0, &got) == 0 && !got);
    }
    char *none = NULL;
    CHECK (hny_store_srcs_get (reader, shifted + 1000, 0, 0, &none) == 0 && !none);
    hny_store_srcs_destroy (&reader);
    CHECK (!reader);
    for (int step = 0; step <= N; step++) {
        /* Compare every reader. */
        a [0] = b [0] = '\0';
        CHECK (hny_store_segments (store, rows, s_collect_all, a) == 0);
        CHECK (hny_store_segments (store, compact, s_collect_all, b) == 0);
        CHECK_STR (b, a);
        for (int limit = 1; limit <= 7; limit += 3)
            for (int i = -1; i < N; i++) {
                int para = i < 0 ? -2 : paras [i], idx = i < 0 ? 0 : idxs [i];
                a [0] = b [0] = '\0';
                int na = hny_store_segments_page (store, rows, para, idx, limit, s_collect_all, a);
                int nb = hny_store_segments_page (store, compact, para, idx, limit, s_collect_all, b);
                CHECK (na == nb && na >= 0);
                CHECK_STR (b, a);
            }
        int ta, da, fa, tb, dn, fb;
        CHECK (hny_store_segment_counts (store, rows, &ta, &da, &fa) == 0);
        CHECK (hny_store_segment_counts (store, compact, &tb, &dn, &fb) == 0);
        CHECK (ta == N && tb == ta && dn == da && fb == fa);
        if (step % 10 == 0) {
            s_contexts (store, rows, paras, idxs, N, a, sizeof a);
            s_contexts (store, compact, paras, idxs, N, b, sizeof b);
            CHECK_STR (b, a);
        }
        if (step == N)
            break;
        /* Then one more thing happens to a segment, to both jobs alike:
           a TM hit, a translation (with or without a warning, flags, a
           fallback), a failure, and again a translation of a failed one. */
        int i = (int) ((seed = seed * 1103515245 + 12345) >> 8) % N;
        int what = (int) (seed >> 20) % 4;
        char *tgt = hny_sprintf ("T%d.%d", step, i);
        CHECK (hny_store_begin (store) == 0);
        for (int j = 0; j < 2; j++) {
            int64_t job = j ? compact : rows;
            if (what == 0) {
                /* a hit is written whole at once, as the pipeline's load does */
                CHECK (hny_store_segment_add_done (store, job, paras [i], idxs [i], srcs [i], tgt, 1) == 0);
            }
            else if (what == 1)
                CHECK (hny_store_segment_done (store, job, paras [i], idxs [i], srcs [i], tgt,
                                               step % 3 ? NULL : "markup lost",
                                               step % 2 ? NULL : "[{\"check\":\"number\"}]",
                                               step % 5 ? NULL : "fallback") == 0);
            else
                CHECK (hny_store_segment_fail (store, job, paras [i], idxs [i], srcs [i], 500 + what,
                                               HNY_CLASS_TRANSIENT, "busy") == 0);
        }
        CHECK (hny_store_commit (store) == 0);
        free (tgt);
    }
    /* Translations gathered a RESULT at a time (hny_store_translated_*),
       each segment once, in random order, with the TM's hits and the
       failures as rows: the same again as the rows. */
    int64_t gathered = 0, plain = 0;
    CHECK (hny_store_begin (store) == 0);
    plain = s_add_job (store, "plain", "h-plain");
    gathered = s_add_job (store, "gathered", "h-gathered");
    for (int i = 0; i < N; i++)
        CHECK (hny_store_segment_add (store, plain, paras [i], idxs [i], srcs [i]) == 0);
    CHECK (hny_store_sources_put (store, gathered, &list, N) == 0);
    CHECK (hny_store_commit (store) == 0);
    int order [N];
    for (int i = 0; i < N; i++)
        order [i] = i;
    for (int i = N - 1; i > 0; i--) {
        int j = (int) ((seed = seed * 1103515245 + 12345) >> 8) % (i + 1), t = order [i];
        order [i] = order [j];
        order [j] = t;
    }
    hny_buf_t tr = HNY_BUF_INIT (1 << 20);
    CHECK (hny_store_begin (store) == 0);
    for (int step = 0; step < N; step++) {
        int i = order [step], what = step % 7;
        char *tgt = hny_sprintf ("G%d", i);
        const char *warning = step % 3 ? NULL : "markup lost", *flags = step % 2 ? NULL : "[]";
        const char *fb = step % 5 ? NULL : "fallback";
        if (what == 0) {
            CHECK (hny_store_segment_add_done (store, plain, paras [i], idxs [i], srcs [i], tgt, 1) == 0);
            CHECK (hny_store_segment_add_done (store, gathered, paras [i], idxs [i], srcs [i], tgt, 1) == 0);
        }
        else if (what == 1) {
            CHECK (hny_store_segment_fail (store, plain, paras [i], idxs [i], srcs [i], 502,
                                           HNY_CLASS_PERMANENT, "no") == 0);
            CHECK (hny_store_segment_fail (store, gathered, paras [i], idxs [i], srcs [i], 502,
                                           HNY_CLASS_PERMANENT, "no") == 0);
        }
        else {
            CHECK (hny_store_segment_done (store, plain, paras [i], idxs [i], srcs [i], tgt, warning, flags,
                                           fb) == 0);
            CHECK (hny_store_translated_add (&tr, paras [i], idxs [i], tgt, warning, flags, fb) == 0);
        }
        free (tgt);
        if (step % 4 == 3 || step == N - 1) {
            /* a RESULT's end: its row, then every reader as above */
            CHECK (hny_store_translated_put (store, gathered, &tr) == 0);
            hny_buf_reset (&tr);
            CHECK (hny_store_commit (store) == 0);
            a [0] = b [0] = '\0';
            CHECK (hny_store_segments (store, plain, s_collect_all, a) == 0);
            CHECK (hny_store_segments (store, gathered, s_collect_all, b) == 0);
            CHECK_STR (b, a);
            for (int k = -1; k < N; k += 3) {
                a [0] = b [0] = '\0';
                int na = hny_store_segments_page (store, plain, k < 0 ? -2 : paras [k], k < 0 ? 0 : idxs [k],
                                                  4, s_collect_all, a);
                int nb = hny_store_segments_page (store, gathered, k < 0 ? -2 : paras [k], k < 0 ? 0 : idxs [k],
                                                  4, s_collect_all, b);
                CHECK (na == nb);
                CHECK_STR (b, a);
            }
            int ta, da, fa, tb, dn, fb2;
            CHECK (hny_store_segment_counts (store, plain, &ta, &da, &fa) == 0);
            CHECK (hny_store_segment_counts (store, gathered, &tb, &dn, &fb2) == 0);
            CHECK (ta == tb && da == dn && fa == fb2);
            /* the TM's places resolve the same (a pair: translated only) */
            for (int k = 0; k < N; k++) {
                char *s1 = NULL, *t1 = NULL, *s2 = NULL, *t2 = NULL;
                int r1 = hny_store_segment_pair (store, plain, paras [k], idxs [k], &s1, &t1);
                int r2 = hny_store_segment_pair (store, gathered, paras [k], idxs [k], &s2, &t2);
                CHECK (r1 == r2);
                CHECK (r1 != 1 || (strcmp (s1, s2) == 0 && strcmp (t1, t2) == 0));
                free (s1), free (t1), free (s2), free (t2);
            }
            CHECK (hny_store_begin (store) == 0);
        }
    }
    CHECK (hny_store_commit (store) == 0);
    hny_buf_free (&tr);
    /* An entry past a list's cap is refused whole: the list stays as it
       was and usable (the pipeline writes that one alone). */
    hny_buf_t small = HNY_BUF_INIT (2 * (8 + 4 * 4 + 3));
    CHECK (hny_store_translated_add (&small, paras [0], idxs [0], "ONE", NULL, NULL, NULL) == 0);
    CHECK (hny_store_translated_add (&small, paras [1], idxs [1], "TWO", NULL, NULL, NULL) == 0);
    size_t full = small.len;
    CHECK (hny_store_translated_add (&small, paras [2], idxs [2], "THREE", NULL, NULL, NULL) == -1);
    CHECK (small.len == full && !small.toobig && hny_buf_room (&small) == 0);
    CHECK (hny_store_begin (store) == 0);
    int64_t capped = s_add_job (store, "capped", "h-capped");
    CHECK (hny_store_sources_put (store, capped, &list, N) == 0);
    CHECK (hny_store_translated_put (store, capped, &small) == 0);
    CHECK (hny_store_commit (store) == 0);
    int ct, cd, cf;
    CHECK (hny_store_segment_counts (store, capped, &ct, &cd, &cf) == 0 && ct == N && cd == 2 && cf == 0);
    hny_buf_free (&small);
    CHECK (hny_store_begin (store) == 0);
    CHECK (hny_store_segments_delete (store, capped) == 0);
    CHECK (hny_store_commit (store) == 0);

    /* A translation's row without its target is damaged too. */
    CHECK (sqlite3_open (path, &db) == SQLITE_OK);
    CHECK (sqlite3_exec (db, "UPDATE translated SET data=substr(data, 1, 8) || x'FFFFFFFF'"
                             " || substr(data, 13)", NULL, NULL, NULL) == SQLITE_OK);
    sqlite3_close (db);
    b [0] = '\0';
    CHECK (hny_store_segments (store, gathered, s_collect_all, b) == -1);
    /* Retired, a job's sources and translations go with its segments. */
    CHECK (hny_store_begin (store) == 0);
    CHECK (hny_store_segments_retire (store, gathered, &(hny_retire_t) { N, 0, 0, 1, HNY_JOB_DONE,
                                                                         NULL, 0, NULL }) == 0);
    CHECK (hny_store_commit (store) == 0);
    CHECK (s_sql_int (path, "SELECT count(*) FROM translated") == 0);
    CHECK (s_sql_int (path, "SELECT count(*) FROM sources WHERE job IN (SELECT id FROM jobs WHERE key='gathered')") == 0);

    /* A damaged row is an error for every reader, not a guess. */
    CHECK (sqlite3_open (path, &db) == SQLITE_OK);
    CHECK (sqlite3_exec (db, "UPDATE sources SET data=substr(data, 1, 30)", NULL, NULL, NULL) == SQLITE_OK);
    sqlite3_close (db);
    int t, d, f;
    char *text = NULL;
    CHECK (hny_store_segments (store, compact, s_collect_all, b) == -1);
    CHECK (hny_store_segment_counts (store, compact, &t, &d, &f) == -1);
    CHECK (hny_store_context (store, compact, 3, 0, 100, &text) == -1 && !text);
    CHECK (strstr (hny_store_error (store), "damaged"));
    /* The sources go with the segments. */
    CHECK (hny_store_begin (store) == 0);
    CHECK (hny_store_segments_delete (store, compact) == 0);
    CHECK (hny_store_commit (store) == 0);
    CHECK (hny_store_segment_counts (store, compact, &t, &d, &f) == 0 && t == 0);
    hny_buf_free (&list);
    for (int i = 0; i < N; i++)
        free (srcs [i]);
    hny_store_destroy (&store);
    free (path);
}

static void
s_tm_recent (const char *dir)
{
    char *path = hny_sprintf ("%s/recent.db", dir), *error = NULL;
    hny_store_t *store = hny_store_new (path, &error);
    CHECK (store && !error);
    hny_store_set_tm_merge_at (store, 40);
    char src [64], tgt [64];
    /* 50 entries, 10 a commit: odd ones text, even ones places. */
    for (int i = 0; i < 50; i++) {
        if (i % 10 == 0)
            CHECK (hny_store_begin (store) == 0);
        snprintf (src, sizeof src, "Recent %d.", i);
        snprintf (tgt, sizeof tgt, "Reciente %d.", i);
        if (i % 2)
            CHECK (hny_store_tm_put (store, "en", "es", "deepl", src, tgt) == 0);
        else
            CHECK (hny_store_tm_put_ref (store, "en", "es", "deepl", src, 100 + i, 0, i) == 0);
        if (i % 10 == 9)
            CHECK (hny_store_commit (store) == 0);
    }
    /* The commit after the 40th entry began a merge of the first 40 and
       wrote its first slice; the 10 after it are not in the merge. */
    CHECK (s_sql_int (path, "SELECT upto FROM tm_merge") == 40);
    CHECK (s_sql_int (path, "SELECT slice FROM tm_merge") == 2);
    CHECK (s_recent_found (store, 50, 0, NULL) == 50);
    /* Entry 7 (in the merge) gets a new target, entry 45 (not in it)
       another row id; a pass that is undone puts one and drops one. */
    CHECK (hny_store_begin (store) == 0);
    CHECK (hny_store_tm_put (store, "en", "es", "deepl", "Recent 7.", "Cambiada.") == 0);
    CHECK (hny_store_commit (store) == 0);
    CHECK (s_sql_int (path, "SELECT count(*) FROM tm_new WHERE src='Recent 7.'") == 1);
    CHECK (hny_store_begin (store) == 0);
    CHECK (hny_store_tm_put (store, "en", "es", "deepl", "Undone.", "Deshecho.") == 0);
    CHECK (hny_store_tm_put_human (store, "en", "es", "Recent 9.", "Humana.", "f.tmx") == 0);
    hny_tm_entry_t e;
    CHECK (hny_store_tm_get (store, "en", "es", "deepl", "Recent 9.", &e) == 1 && e.human);
    free (e.tgt);
    hny_store_rollback (store);
    CHECK (hny_store_tm_get (store, "en", "es", "deepl", "Undone.", &e) == 0);
    CHECK (s_recent_found (store, 50, 0, "Cambiada.") == 50);
    int64_t human = -1, machine = -1;
    CHECK (hny_store_tm_count (store, "en", "es", &human, &machine) == 0 && human == 0 && machine == 50);

    /* Reopened in the middle of the merge: it goes on where it was. */
    int slice = (int) s_sql_int (path, "SELECT slice FROM tm_merge");
    CHECK (slice > 2 && slice < 64);
    hny_store_destroy (&store);
    store = hny_store_new (path, &error);
    CHECK (store && !error);
    hny_store_set_tm_merge_at (store, 40);
    CHECK (s_recent_found (store, 50, 0, "Cambiada.") == 50);
    int commits = 0;
    while (s_sql_int (path, "SELECT upto FROM tm_merge") != 0 && commits < 100) {
        CHECK (hny_store_begin (store) == 0);
        CHECK (hny_store_commit (store) == 0);
        commits++;
    }
    CHECK (commits == 64 - slice);
    /* Merged: the first 40 but 7 are in tm alone; 7 (new row) and the
       last 10 are recent (tm holds 7's old place too if its slice went
       before the new target came). */
    CHECK (s_sql_int (path, "SELECT count(*) FROM tm WHERE hash NOT IN (SELECT hash FROM tm_new)") == 39);
    CHECK (s_sql_int (path, "SELECT count(*) FROM tm_new") == 11);
    CHECK (s_recent_found (store, 50, 0, "Cambiada.") == 50);
    CHECK (hny_store_tm_count (store, "en", "es", &human, &machine) == 0 && human == 0 && machine == 50);

    /* A human entry drops the machine rows of its source, recent or not. */
    CHECK (hny_store_begin (store) == 0);
    CHECK (hny_store_tm_put_human (store, "en", "es", "Recent 45.", "Humana.", "f.tmx") == 0);
    CHECK (hny_store_tm_put_human (store, "en", "es", "Recent 3.", "Humana.", "f.tmx") == 0);
    CHECK (hny_store_commit (store) == 0);
    CHECK (s_sql_int (path, "SELECT count(*) FROM tm_new WHERE src='Recent 45.'") == 0);
    CHECK (hny_store_tm_count (store, "en", "es", &human, &machine) == 0 && human == 2 && machine == 48);
    CHECK (hny_store_tm_get (store, "en", "es", "deepl", "Recent 45.", &e) == 1 && e.human);
    free (e.tgt);

    /* The export's first page merges everything: 50 entries, the new
       target of 7 among them. */
    s_page_t page = { 0 };
    CHECK (hny_store_tm_page (store, "en", "es", 0, INT64_MIN, INT64_MIN, 1000, s_page_row, &page) == 50);
    CHECK (page.count == 50 && page.human == 2);
    CHECK (s_sql_int (path, "SELECT count(*) FROM tm_new") == 0);
    CHECK (s_sql_int (path, "SELECT count(*) FROM tm WHERE src='Recent 7.' AND tgt='Cambiada.'") == 1);
    hny_store_destroy (&store);
    store = hny_store_new (path, &error);
    CHECK (store && !error);
    CHECK (s_recent_found (store, 50, 1, "Cambiada.") == 48);

    /* One source under 20 profiles: more than the human put deletes one
       by one, so they are merged first; none is left either way. */
    CHECK (hny_store_begin (store) == 0);
    for (int p = 0; p < 20; p++) {
        char profile [16];
        snprintf (profile, sizeof profile, "p%d", p);
        CHECK (hny_store_tm_put (store, "en", "es", profile, "Many.", "Muchos.") == 0);
    }
    CHECK (hny_store_commit (store) == 0);
    CHECK (s_sql_int (path, "SELECT count(*) FROM tm_new WHERE src='Many.'") == 20);
    CHECK (hny_store_begin (store) == 0);
    CHECK (hny_store_tm_put_human (store, "en", "es", "Many.", "Muchísimos.", "f.tmx") == 0);
    CHECK (hny_store_commit (store) == 0);
    CHECK (s_sql_int (path, "SELECT count(*) FROM tm_new WHERE src='Many.'") == 0);
    CHECK (s_sql_int (path, "SELECT count(*) FROM tm WHERE src='Many.' AND origin IS NULL") == 0);
    CHECK (s_sql_int (path, "SELECT count(*) FROM tm WHERE src='Many.' AND origin IS NOT NULL") == 1);
    hny_tm_entry_t many;
    CHECK (hny_store_tm_get (store, "en", "es", "p7", "Many.", &many) == 1 && many.human);
    CHECK (many.tgt && strcmp (many.tgt, "Muchísimos.") == 0);
    free (many.tgt);
    hny_store_destroy (&store);
    free (path);
}

int
main (int argc, char **argv)
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
    CHECK (hny_store_segment_done (store, j2, 0, 0, "One.", "UNO.", NULL, NULL, "pseudo") == 0);
    CHECK (hny_store_segment_fail (store, j2, 0, 1, "Two.", 503, HNY_CLASS_TRANSIENT, "busy") == 0);
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
    s_check_qa (store, j2, 0, 0, "UNO.", "-|Q|-|");

    /* Translation memory: exact match on source, languages and profile;
       an entry holds its text, or the place of a segment that does. */
    CHECK (hny_store_begin (store) == 0);
    CHECK (hny_store_tm_put (store, "en", "es", "pseudo", "Hello.", "Hola.") == 0);
    hny_tm_entry_t entry;
    CHECK (hny_store_tm_get (store, "en", "es", "pseudo", "Hello.", &entry) == 1);
    CHECK (entry.tgt && strcmp (entry.tgt, "Hola.") == 0 && entry.job == 0);
    free (entry.tgt);
    CHECK (hny_store_tm_get (store, "en", "fr", "pseudo", "Hello.", &entry) == 0);
    CHECK (hny_store_tm_get (store, "en", "es", "deepl", "Hello.", &entry) == 0);
    CHECK (hny_store_tm_get (store, "en", "es", "pseudo", "Hello", &entry) == 0);
    CHECK (entry.tgt == NULL);
    CHECK (hny_store_tm_put (store, "en", "es", "pseudo", "Hello.", "¡Hola!") == 0);
    CHECK (hny_store_tm_get (store, "en", "es", "pseudo", "Hello.", &entry) == 1);
    CHECK (entry.tgt && strcmp (entry.tgt, "¡Hola!") == 0);
    free (entry.tgt);
    CHECK (hny_store_tm_put_ref (store, "en", "es", "pseudo", "One.", j2, 0, 0) == 0);
    CHECK (hny_store_tm_get (store, "en", "es", "pseudo", "One.", &entry) == 1);
    CHECK (!entry.tgt && entry.job == j2 && entry.para == 0 && entry.idx == 0);
    char *pair_src = NULL, *pair_tgt = NULL;
    CHECK (hny_store_segment_pair (store, j2, 0, 0, &pair_src, &pair_tgt) == 1);
    CHECK (strcmp (pair_src, "One.") == 0 && strcmp (pair_tgt, "UNO.") == 0);
    free (pair_src);
    free (pair_tgt);
    CHECK (hny_store_segment_pair (store, j2, 0, 1, &pair_src, &pair_tgt) == 0);    /* failed */

    /* Records, prepared output, stats, listing. */
    CHECK (hny_store_job_set_prepared (store, j2, "{\"charset\":\"UTF-8\"}", HNY_JOB_TRANSLATING) == 0);
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
        CHECK (hny_store_segment_done (store, 5, 0, 0, "Old.", "OLD.", NULL, NULL, "fb") == 0);
        CHECK (hny_store_commit (store) == 0);
        segs [0] = '\0';
        CHECK (hny_store_segments (store, 5, s_collect_segment, segs) == 0);
        CHECK (strcmp (segs, "0.0:done:Old.:OLD.@fb|") == 0);
        s_check_qa (store, 5, 0, 0, "OLD.", "Q|");
        hny_store_destroy (&store);
    }
    free (error);

    /* A store of this version made before segments.qa gets the column. */
    CHECK (sqlite3_open (old, &other) == SQLITE_OK);
    CHECK (sqlite3_exec (other, "ALTER TABLE segments DROP COLUMN qa", NULL, NULL, NULL) == SQLITE_OK);
    sqlite3_close (other);
    error = NULL;
    store = hny_store_new (old, &error);
    CHECK (store && !error);
    if (store) {
        segs [0] = '\0';
        CHECK (hny_store_segments (store, 5, s_collect_qa, segs) == 0);
        CHECK_STR (segs, "-|");
        s_check_qa (store, 5, 0, 0, "OLD.", "Q|");
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

    CHECK (sqlite3_open (path, &other) == SQLITE_OK);
    CHECK (sqlite3_exec (other, "PRAGMA user_version=4", NULL, NULL, NULL) == SQLITE_OK);
    sqlite3_close (other);
    error = NULL;
    store = hny_store_new (path, &error);
    CHECK (store);
    if (store) {
        s_records_compressed (store, path, j2);
        s_trim (store, path, j1);
        hny_store_destroy (&store);
    }
    s_human_tm (dir);
    s_segment_done (dir);
    s_wal_limit (dir);
    s_tm_filter (dir);
    s_tm_recent (dir);
    s_sources (dir);
    if (argc > 1)
        s_upgrade_v3 (dir, argv [1]);
    else
        CHECK (!"usage: test_store STORE-V3.SQL");

    char *cmd = hny_sprintf ("rm -rf '%s'", dir);
    CHECK (system (cmd) == 0);
    free (cmd);
    free (path);
    return s_check_done ("test_store");
}
