/*  test_tm.c: unit test of the translation memory over a real store
    (daemon/hny_tm.c): an entry that keeps the place of its target is
    followed to the job's segment while the job runs and to its compressed
    record once the segments are gone; a place that holds another source,
    or nothing, is a miss; records read are cached, and the cache goes
    when the store undoes a pass. A done job's pairs are given whole or
    not at all (hny_tm_article_pairs). The record walker finds every pair of a
    record whose strings need every kind of escape and whose metadata
    holds decoys (nested "src", "title", "paragraphs"), agrees with
    jansson, and gives nothing (without reading past the end) for every
    truncation of that record. */
#include "hny_json.h"
#include "hny_record.h"
#include "hny_store.h"
#include "hny_tm.h"

#include <honyaku/util.h>

#include "hny_check.h"

#include <assert.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Sources with quotes, backslashes, a slash, control characters, DEL,
   U+2028, an astral emoji, and plain Japanese; the targets likewise. */
static const char *s_srcs [] = {
    "A \"quoted\" title / with a slash",
    "Back\\slash and tab\there, and a last backslash \\",
    "Bell \x07 and form feed \x0c and \x1f end.",
    "DEL \x7f, line\xe2\x80\xa8separator, emoji \xf0\x9f\x98\x80.",
    "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe3\x81\xae\xe6\x96\x87\xe3\x80\x82",
    "Last one.",
};
static const int s_paras [] = { -1, 0, 0, 1, 1, 3 };   /* paragraph 2 is empty: none */
static const int s_idxs [] = { 0, 0, 1, 0, 1, 0 };
#define S_COUNT 6

static char *
s_target (const char *src)
{
    return hny_sprintf ("<%s>\n", src);
}

/* The record of a job, read from the store page by page. */
static char *
s_record (hny_store_t *store, int64_t job)
{
    hny_record_t *rec = hny_record_new (job, 0, HNY_CLASS_PERMANENT, NULL);
    while (hny_record_read (rec, store, 2) > 0)
        ;
    hny_job_row_t row = { 0 };
    CHECK (hny_store_job_get (store, job, &row) == 1);
    char *text = hny_record_text (rec, &row);
    hny_job_row_clear (&row);
    hny_record_destroy (&rec);
    return text;
}

/* Every source is found with its target; a place that holds another
   source, or nothing, is a miss. */
static void
s_lookups (hny_tm_t *tm)
{
    char *tgt = NULL;
    for (int i = 0; i < S_COUNT; i++) {
        char *want = s_target (s_srcs [i]);
        CHECK (hny_tm_get (tm, "en", "ja", "pseudo", s_srcs [i], &tgt) == 1);
        CHECK_STR (tgt, want);
        free (tgt);
        free (want);
    }
    CHECK (hny_tm_get (tm, "en", "ja", "pseudo", "Not there.", &tgt) == 0);
    CHECK (hny_tm_get (tm, "en", "ja", "pseudo", "Nowhere.", &tgt) == 0);
}

static void
s_walker (const char *text)
{
    size_t len = strlen (text);
    /* Byte for byte what jansson writes of the same JSON. */
    json_error_t err;
    json_t *doc = json_loads (text, JSON_REJECT_DUPLICATES, &err);
    CHECK (doc != NULL);
    char *again = json_dumps (doc, JSON_COMPACT);
    CHECK (again && strcmp (again, text) == 0);
    free (again);
    json_decref (doc);
    for (int i = 0; i < S_COUNT; i++) {
        char *src = NULL, *tgt = NULL, *want = s_target (s_srcs [i]);
        CHECK (hny_tm_record_pair (text, len, s_paras [i], s_idxs [i], &src, &tgt) == 1);
        CHECK_STR (src, s_srcs [i]);
        CHECK_STR (tgt, want);
        free (src);
        free (tgt);
        free (want);
    }
    char *src = NULL, *tgt = NULL;
    CHECK (hny_tm_record_pair (text, len, 0, 2, &src, &tgt) == 0);
    CHECK (hny_tm_record_pair (text, len, 2, 0, &src, &tgt) == 0);     /* the empty paragraph */
    CHECK (hny_tm_record_pair (text, len, 4, 0, &src, &tgt) == 0);
    CHECK (hny_tm_record_pair (text, len, -1, 1, &src, &tgt) == 0);
    CHECK (hny_tm_record_pair (text, len, -2, 0, &src, &tgt) == 0);
    /* Every truncation: nothing, never a read past the end (ASan). */
    for (size_t cut = 0; cut < len; cut++) {
        char *part = hny_malloc (cut ? cut : 1);
        memcpy (part, text, cut);
        int found = hny_tm_record_pair (part, cut, 1, 1, &src, &tgt);
        if (found) {
            s_failures++;
            fprintf (stderr, "a record cut at %zu gave a pair\n", cut);
            free (src);
            free (tgt);
        }
        free (part);
    }
    CHECK (hny_tm_record_pair ("[]", 2, 0, 0, &src, &tgt) == 0);
    CHECK (hny_tm_record_pair ("{\"paragraphs\":[{\"segments\":[\"x\"]}]}", 35, 0, 0, &src, &tgt) == 0);
    const char *escaped = "{\"paragraphs\":[{\"segments\":[{\"src\":\"a\\u00e9\\ud83d\\ude00\\n\",\"tgt\":null}]}]}";
    CHECK (hny_tm_record_pair (escaped, strlen (escaped), 0, 0, &src, &tgt) == 1);
    CHECK_STR (src, "a\xc3\xa9\xf0\x9f\x98\x80\n");
    CHECK (tgt == NULL);
    free (src);
    const char *lone = "{\"paragraphs\":[{\"segments\":[{\"src\":\"\\udc00\",\"tgt\":\"x\"}]}]}";
    CHECK (hny_tm_record_pair (lone, strlen (lone), 0, 0, &src, &tgt) == 0);
}

/* A literal hny_tm_article_pairs gives: a JSON string in the writer's
   form; decoded (caller frees), or NULL. */
static char *
s_literal (const char *lit, size_t len)
{
    json_t *value = json_loadb (lit, len, JSON_DECODE_ANY, NULL);
    char *text = json_is_string (value) ? hny_strdup (json_string_value (value)) : NULL;
    json_decref (value);
    CHECK (text != NULL);
    if (text) {
        hny_buf_t again = HNY_BUF_INIT (1 << 20);
        hny_json_put_str (&again, text, strlen (text));
        CHECK (again.len == len && memcmp (again.data, lit, len) == 0);
        hny_buf_free (&again);
    }
    return text;
}

/* The pairs as "para.idx src => tgt" lines. */
static void
s_line (hny_buf_t *buf, int para, int idx, const char *src, const char *tgt)
{
    char *line = hny_sprintf ("%d.%d %s => %s|", para, idx, src, tgt);
    hny_buf_adds (buf, line);
    free (line);
}

/* hny_tm_article_pairs' callback: each pair's literals decoded, checked
   (the writer's form, the source's characters), and written as a line. */
static void
s_collect (int para, int idx, const hny_tm_pair_t *pair, void *arg)
{
    char *src = s_literal (pair->src, pair->src_len), *tgt = s_literal (pair->tgt, pair->tgt_len);
    size_t chars = 0;
    for (const char *c = src; c && *c; c++)
        chars += ((unsigned char) *c & 0xC0) != 0x80;
    CHECK (src && pair->src_chars == chars);
    s_line (arg, para, idx, src ? src : "?", tgt ? tgt : "?");
    free (src);
    free (tgt);
}

/* A done job (key prefix and i) whose record is text: its id. */
static int64_t
s_job_with_record (hny_store_t *store, const char *prefix, size_t i, const char *text)
{
    char key [16];
    snprintf (key, sizeof key, "%s%zu", prefix, i);
    hny_job_row_t jr = { .key = key, .hash = "h-other", .from = "en", .to = "ja", .backend = "pseudo",
                         .format = "text" };
    int64_t job = 0;
    CHECK (hny_store_begin (store) == 0);
    CHECK (hny_store_job_insert (store, &jr, "x", 1, &job) == 0);
    CHECK (hny_store_record_put (store, job, text) == 0);
    CHECK (hny_store_commit (store) == 0);
    return job;
}

/* A job's pairs given whole (a job done again with the same content), or
   not at all: a pair without a target, a fallback's pair, too many pairs,
   no record. */
static void
s_article_pairs (hny_store_t *store, hny_tm_t *tm, int64_t job)
{
    hny_buf_t buf = HNY_BUF_INIT (1 << 20), want = HNY_BUF_INIT (1 << 20);   /* a test's pairs */
    CHECK (hny_tm_article_pairs (tm, job, S_COUNT, s_collect, &buf) == 1);
    for (int i = 0; i < S_COUNT; i++) {
        char *tgt = s_target (s_srcs [i]);
        s_line (&want, s_paras [i] == 3 ? 2 : s_paras [i], s_idxs [i], s_srcs [i], tgt);
        free (tgt);
    }
    CHECK (buf.len == want.len && memcmp (buf.data, want.data, buf.len) == 0);
    buf.len = 0;
    CHECK (hny_tm_article_pairs (tm, job, S_COUNT - 1, s_collect, &buf) == 0 && buf.len == 0);
    const char *records [] = {
        "{\"paragraphs\":[{\"segments\":[{\"src\":\"a\",\"tgt\":\"b\",\"tm\":false},"
        "{\"src\":\"c\",\"tgt\":\"d\",\"tm\":false,\"backend\":\"pseudo\"}]}]}",
        "{\"paragraphs\":[{\"segments\":[{\"src\":\"a\",\"tgt\":\"b\",\"tm\":false},"
        "{\"src\":\"c\",\"tgt\":null,\"tm\":false}]}]}",
        "{\"paragraphs\":[{\"segments\":[{\"src\":\"\",\"tgt\":\"b\",\"tm\":false}]}]}",
        "{\"paragraphs\":[]}",
    };
    for (size_t i = 0; i < sizeof records / sizeof records [0]; i++) {
        int64_t other = s_job_with_record (store, "kr", i, records [i]);
        CHECK (hny_tm_article_pairs (tm, other, 100, s_collect, &buf) == 0);
        CHECK (buf.len == 0);
    }
    CHECK (hny_tm_article_pairs (tm, 999999, 100, s_collect, &buf) == 0 && buf.len == 0);
    /* Another writer's escapes (\/, \u for letters, a surrogate pair):
       given in the writer's form; a lone surrogate: nothing. */
    const char *others [] = {
        "{\"title\":{\"src\":\"a\\/b \\u00e9\\ud83d\\ude00\",\"tgt\":\"\\u30c6\\\"x\\\"\"},"
        "\"paragraphs\":[{\"segments\":[{\"src\":\"tab\\there\",\"tgt\":\"t\"}]}]}",
        "{\"paragraphs\":[{\"segments\":[{\"src\":\"\\udc00\",\"tgt\":\"b\"}]}]}",
    };
    const char *others_want = "-1.0 a/b \xc3\xa9\xf0\x9f\x98\x80 => \xe3\x83\x86\"x\"|0.0 tab\there => t|";
    for (size_t i = 0; i < 2; i++) {
        int64_t other = s_job_with_record (store, "ko", i, others [i]);
        buf.len = 0;
        CHECK (hny_tm_article_pairs (tm, other, 100, s_collect, &buf) == (i == 0));
        CHECK (i == 0 ? buf.len == strlen (others_want) && memcmp (buf.data, others_want, buf.len) == 0
                      : buf.len == 0);
    }
    hny_buf_free (&buf);
    hny_buf_free (&want);
}

/* Records read ahead (hny_tm_prefetch) give what records read one at a
   time give: HNY_TM_AHEAD_MAX + 8 done jobs of records of their own (some
   that cannot serve), asked for with a job without a record, a repeat and
   a damaged frame among them; the first HNY_TM_AHEAD_MAX with a record
   are cached, the rest and the damaged one are read as usual. */
static void
s_prefetch (hny_store_t *store, const char *path)
{
    enum { N = HNY_TM_AHEAD_MAX + 8 };
    int64_t jobs [N + 3];
    for (size_t i = 0; i < N; i++) {
        char *text = i % 7 == 3
            ? hny_sprintf ("{\"paragraphs\":[{\"segments\":[{\"src\":\"p%zu\",\"tgt\":null}]}]}", i)
            : hny_sprintf ("{\"title\":{\"src\":\"T%zu\",\"tgt\":\"t%zu\"},\"paragraphs\":"
                           "[{\"segments\":[{\"src\":\"A %zu.\",\"tgt\":\"a %zu.\"},"
                           "{\"src\":\"B \\u00e9 %zu.\",\"tgt\":\"b %zu.\"}]}]}", i, i, i, i, i, i);
        jobs [i] = s_job_with_record (store, "kp", i, text);
        free (text);
    }
    /* a damaged frame: the record of job jobs [1] overwritten by junk */
    sqlite3 *db = NULL;
    CHECK (sqlite3_open (path, &db) == SQLITE_OK);
    char *sql = hny_sprintf ("UPDATE records SET json = x'28b52ffd0000' WHERE job = %lld",
                             (long long) jobs [1]);
    CHECK (sqlite3_exec (db, sql, NULL, NULL, NULL) == SQLITE_OK);
    free (sql);
    sqlite3_close (db);
    jobs [N] = 999999;
    jobs [N + 1] = jobs [0];
    jobs [N + 2] = jobs [2];
    hny_tm_t *ahead = hny_tm_new (store), *plain = hny_tm_new (store);
    int64_t order [N + 3] = { jobs [N], jobs [N + 1] };
    for (size_t i = 0; i < N; i++)
        order [i + 2] = jobs [i];
    order [N + 2] = jobs [N + 2];
    hny_tm_prefetch (ahead, order, N + 3);
    size_t cached = 0;
    for (size_t i = 0; i < N; i++) {
        int in = hny_tm_cached (ahead, jobs [i]);
        cached += (size_t) in;
        /* the first AHEAD_MAX distinct jobs with a record, but the damaged one */
        CHECK (in == (i != 1 && i < HNY_TM_AHEAD_MAX));
    }
    CHECK (cached == HNY_TM_AHEAD_MAX - 1 && !hny_tm_cached (ahead, 999999));
    hny_buf_t a = HNY_BUF_INIT (1 << 20), b = HNY_BUF_INIT (1 << 20);
    for (size_t i = 0; i < N; i++) {
        a.len = b.len = 0;
        int ra = hny_tm_article_pairs (ahead, jobs [i], 100, s_collect, &a);
        int rb = hny_tm_article_pairs (plain, jobs [i], 100, s_collect, &b);
        CHECK (ra == rb && ra == (i == 1 ? -1 : i % 7 == 3 ? 0 : 1));
        CHECK (a.len == b.len && memcmp (a.data, b.data, a.len) == 0);
    }
    hny_buf_free (&a);
    hny_buf_free (&b);
    hny_tm_destroy (&ahead);
    hny_tm_destroy (&plain);
}

/* A read-ahead stops at HNY_TM_AHEAD_BYTES of text (as the frames say),
   but always takes its first record: a burst of large articles reused
   holds no more memory at once than half the cache. */
static void
s_prefetch_bytes (hny_store_t *store)
{
    size_t third = HNY_TM_AHEAD_BYTES / 3 + 1024;       /* two fit, three do not */
    int64_t jobs [4];
    for (size_t i = 0; i < 4; i++) {
        size_t len = i == 3 ? HNY_TM_AHEAD_BYTES + 4096 : third;    /* the last alone passes it */
        char *src = hny_malloc (len + 1);
        memset (src, 'a' + (int) i, len);
        src [len] = 0;
        char *text = hny_sprintf ("{\"paragraphs\":[{\"segments\":[{\"src\":\"%s\",\"tgt\":\"t\"}]}]}", src);
        jobs [i] = s_job_with_record (store, "kb", i, text);
        free (text);
        free (src);
    }
    hny_tm_t *tm = hny_tm_new (store);
    hny_tm_prefetch (tm, jobs, 3);
    CHECK (hny_tm_cached (tm, jobs [0]) && hny_tm_cached (tm, jobs [1]) && !hny_tm_cached (tm, jobs [2]));
    hny_tm_destroy (&tm);
    tm = hny_tm_new (store);
    int64_t big_first [2] = { jobs [3], jobs [0] };
    hny_tm_prefetch (tm, big_first, 2);
    CHECK (hny_tm_cached (tm, jobs [3]) && !hny_tm_cached (tm, jobs [0]));
    hny_tm_destroy (&tm);
}

int
main (void)
{
    hny_log_init ("test_tm", HNY_LOG_ERROR);
    char dir [] = "/tmp/hny-tm.XXXXXX";
    assert (mkdtemp (dir));
    char *path = hny_sprintf ("%s/honyaku.db", dir);
    char *error = NULL;
    hny_store_t *store = hny_store_new (path, &error);
    CHECK (store && !error);
    hny_tm_t *tm = hny_tm_new (store);

    /* A job whose metadata holds decoys for the walker. */
    CHECK (hny_store_begin (store) == 0);
    hny_job_row_t jr = { .key = "k1", .hash = "h", .from = "en", .to = "ja", .backend = "pseudo",
                         .format = "text",
                         .metadata = "{\"title\":{\"src\":\"Last one.\",\"tgt\":\"WRONG\"},"
                                     "\"paragraphs\":[{\"segments\":[{\"src\":\"Last one.\",\"tgt\":\"WRONG\"}]}],"
                                     "\"deep\":[[[{\"a\":[1,2.5e3,true,false,null]}]]]}" };
    int64_t job = 0;
    CHECK (hny_store_job_insert (store, &jr, "x", 1, &job) == 0);
    for (int i = 0; i < S_COUNT; i++)
        CHECK (hny_store_segment_add (store, job, s_paras [i], s_idxs [i], s_srcs [i]) == 0);
    /* Translated, and the TM keeps the place of each. */
    for (int i = 0; i < S_COUNT; i++) {
        char *tgt = s_target (s_srcs [i]);
        CHECK (hny_store_segment_done (store, job, s_paras [i], s_idxs [i], s_srcs [i], tgt, NULL, NULL, NULL) == 0);
        CHECK (hny_tm_put (tm, "en", "ja", "pseudo", s_srcs [i], tgt, job, s_paras [i], s_idxs [i]) == 0);
        free (tgt);
    }
    /* A place that holds another source, and one that holds nothing. */
    CHECK (hny_tm_put (tm, "en", "ja", "pseudo", "Not there.", "X", job, 0, 0) == 0);
    CHECK (hny_tm_put (tm, "en", "ja", "pseudo", "Nowhere.", "X", job, 7, 7) == 0);
    CHECK (hny_tm_put (tm, "en", "ja", "pseudo", "Kept as text.", "TEXT.", 0, 0, 0) == 0);
    CHECK (hny_store_commit (store) == 0);

    /* While the job runs: from its segments. */
    s_lookups (tm);
    char *tgt = NULL;
    CHECK (hny_tm_get (tm, "en", "ja", "pseudo", "Kept as text.", &tgt) == 1);
    CHECK_STR (tgt, "TEXT.");
    free (tgt);
    CHECK (hny_tm_get (tm, "en", "fr", "pseudo", s_srcs [5], &tgt) == 0);
    CHECK (hny_tm_get (tm, "en", "ja", "deepl", s_srcs [5], &tgt) == 0);

    /* The record, and the walker over it. */
    char *text = s_record (store, job);
    CHECK (text != NULL);
    if (text)
        s_walker (text);

    /* The job ends: the record holds the text, the segments go. */
    CHECK (hny_store_begin (store) == 0);
    CHECK (hny_store_record_put (store, job, text) == 0);
    CHECK (hny_store_segments_retire (store, job, &(hny_retire_t) { S_COUNT, S_COUNT, 0, 1, HNY_JOB_DONE,
                                                                    NULL, 0, NULL }) == 0);
    CHECK (hny_store_commit (store) == 0);
    int total = -1, done, failed;
    CHECK (hny_store_segment_counts (store, job, &total, &done, &failed) == 0 && total == 0);
    s_lookups (tm);
    s_article_pairs (store, tm, job);
    s_prefetch (store, path);
    s_prefetch_bytes (store);
    /* The pair's human entries, which a reused job must look up. */
    CHECK (hny_store_tm_human_known (store, "en", "ja") == 0);
    CHECK (hny_store_begin (store) == 0);
    CHECK (hny_store_tm_put_human (store, "en", "ja", "Reviewed.", "TRANSLATED.", "test") == 0);
    CHECK (hny_store_commit (store) == 0);
    CHECK (hny_store_tm_human_known (store, "en", "ja") == 1);
    CHECK (hny_store_tm_human_known (store, "en", "fr") == 0);

    /* The record is cached: gone from the store, still found... */
    sqlite3 *db = NULL;
    CHECK (sqlite3_open (path, &db) == SQLITE_OK);
    CHECK (sqlite3_exec (db, "DELETE FROM records", NULL, NULL, NULL) == SQLITE_OK);
    sqlite3_close (db);
    CHECK (hny_tm_get (tm, "en", "ja", "pseudo", s_srcs [5], &tgt) == 1);
    free (tgt);
    /* ...until the store undoes a pass: then nothing read before counts. */
    CHECK (hny_store_begin (store) == 0);
    hny_store_rollback (store);
    CHECK (hny_tm_get (tm, "en", "ja", "pseudo", s_srcs [5], &tgt) == 0);

    free (text);
    hny_tm_destroy (&tm);
    CHECK (tm == NULL);
    hny_store_destroy (&store);
    char *cmd = hny_sprintf ("rm -rf '%s'", dir);
    CHECK (system (cmd) == 0);
    free (cmd);
    free (path);
    return s_check_done ("test_tm");
}
