/*  test_record.c: unit test of the record assembly (daemon/hny_record.c)
    over a real store: a record read a page of two segments at a time is
    the same as one read whole, with the members of PROTOCOL.md 12 in
    their order; failed pairs, warnings and a fallback's name land where
    12.2 and 12.3 say; metadata is merged in the order of 12.1; a job that
    failed before it had segments has that one error. */
#include "hny_record.h"
#include "hny_store.h"

#include <honyaku/util.h>

#include "hny_check.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The whole record text of a job, read limit segments at a time. */
static char *
s_assemble (hny_store_t *store, int64_t job, int limit, int fail_code)
{
    hny_record_t *rec = hny_record_new (job, fail_code, HNY_CLASS_TRANSIENT, fail_code ? "prepare: no" : NULL);
    int more, pages = 0;
    while ((more = hny_record_read (rec, store, limit)) > 0)
        pages++;
    CHECK (more == 0);
    hny_job_row_t row = { 0 };
    CHECK (hny_store_job_get (store, job, &row) == 1);
    char *text = hny_record_text (rec, &row);
    hny_job_row_clear (&row);
    hny_record_destroy (&rec);
    CHECK (rec == NULL);
    return text;
}

int
main (void)
{
    hny_log_init ("test_record", HNY_LOG_WARN);
    char dir [] = "/tmp/hny-record.XXXXXX";
    assert (mkdtemp (dir));
    char *path = hny_sprintf ("%s/honyaku.db", dir);
    char *error = NULL;
    hny_store_t *store = hny_store_new (path, &error);
    CHECK (store && !error);

    CHECK (hny_store_begin (store) == 0);
    hny_job_row_t jr = { .key = "k1", .hash = "h", .from = "en", .to = "ja", .backend = "deepl",
                         .format = "html", .source = "a/b.html",
                         .metadata = "{\"author\":\"Given\",\"charset\":\"lie\",\"title\":\"Client's\"}" };
    int64_t job = 0, bad = 0;
    CHECK (hny_store_job_insert (store, &jr, "x", 1, &job) == 0);
    jr.key = "k2";
    CHECK (hny_store_job_insert (store, &jr, "y", 1, &bad) == 0);
    CHECK (hny_store_job_set_prepared (store, job, "{\"metadata\":{\"title\":\"Prepared\",\"date\":\"2021-03-06\"},"
                                                 "\"charset\":\"EUC-JP\",\"format\":\"html\",\"replaced\":0}", HNY_JOB_TRANSLATING) == 0);
    const char *srcs [] = { "Title", "One.", "Two.", "Three.", "Four." };
    const int paras [] = { -1, 0, 0, 1, 2 }, idxs [] = { 0, 0, 1, 0, 0 };
    /* The title and the last are TM hits, written done at once (as the
       pipeline writes hits); the others wait for their translation. */
    const char *hits [] = { "TITLE", NULL, NULL, NULL, "FOUR." };
    for (int i = 0; i < 5; i++)
        CHECK ((hits [i] ? hny_store_segment_add_done (store, job, paras [i], idxs [i], srcs [i], hits [i], 1)
                         : hny_store_segment_add (store, job, paras [i], idxs [i], srcs [i])) == 0);
    CHECK (hny_store_segment_done (store, job, 0, 0, srcs [1], "ONE.", "markup lost", NULL, NULL) == 0);
    CHECK (hny_store_segment_fail (store, job, 0, 1, srcs [2], 503, HNY_CLASS_TRANSIENT, "busy (after 5 tries)") == 0);
    CHECK (hny_store_segment_done (store, job, 1, 0, srcs [3], "THREE.", NULL, NULL, "pseudo") == 0);
    CHECK (hny_store_commit (store) == 0);

    char *whole = s_assemble (store, job, 1000, 0);
    char *paged = s_assemble (store, job, 2, 0);
    json_error_t jerr;
    json_t *a = json_loads (whole, JSON_REJECT_DUPLICATES, &jerr);
    json_t *b = json_loads (paged, JSON_REJECT_DUPLICATES, &jerr);
    CHECK (a && b);
    /* finished and time_ms may differ by a millisecond between the two. */
    json_object_del (json_object_get (a, "stats"), "time_ms");
    json_object_del (json_object_get (b, "stats"), "time_ms");
    CHECK (json_is_integer (json_object_get (a, "finished")));
    json_object_del (a, "finished");
    json_object_del (b, "finished");
    CHECK (json_equal (a, b));
    /* The members, in their order. */
    const char *order [] = { "schema", "job", "key", "source_lang", "target_lang", "backend", "metadata",
                             "title", "paragraphs", "errors", "stats" };
    void *it = json_object_iter (a);
    for (size_t i = 0; i < 11; i++, it = json_object_iter_next (a, it))
        CHECK (it && strcmp (json_object_iter_key (it), order [i]) == 0);
    CHECK (it == NULL);
    json_t *md = json_object_get (a, "metadata");
    CHECK (strcmp (json_string_value (json_object_get (md, "title")), "Client's") == 0);
    CHECK (strcmp (json_string_value (json_object_get (md, "charset")), "EUC-JP") == 0);
    CHECK (strcmp (json_string_value (json_object_get (md, "author")), "Given") == 0);
    CHECK (strcmp (json_string_value (json_object_get (md, "date")), "2021-03-06") == 0);
    CHECK (strcmp (json_string_value (json_object_get (md, "source")), "a/b.html") == 0);
    CHECK (json_integer_value (json_object_get (md, "replaced")) == 0);
    json_t *title = json_object_get (a, "title");
    CHECK (json_is_true (json_object_get (title, "tm")) && strcmp (json_string_value (json_object_get (title, "tgt")), "TITLE") == 0);
    json_t *ps = json_object_get (a, "paragraphs");
    CHECK (json_array_size (ps) == 3);
    json_t *p0 = json_object_get (json_array_get (ps, 0), "segments");
    CHECK (json_array_size (p0) == 2);
    CHECK (strcmp (json_string_value (json_object_get (json_array_get (p0, 0), "warning")), "markup lost") == 0);
    CHECK (json_is_null (json_object_get (json_array_get (p0, 1), "tgt")));
    CHECK (json_is_false (json_object_get (json_array_get (p0, 1), "tm")));
    json_t *p1 = json_object_get (json_array_get (ps, 1), "segments");
    CHECK (strcmp (json_string_value (json_object_get (json_array_get (p1, 0), "backend")), "pseudo") == 0);
    json_t *errors = json_object_get (a, "errors");
    CHECK (json_array_size (errors) == 1);
    json_t *e = json_array_get (errors, 0);
    CHECK (json_integer_value (json_object_get (e, "paragraph")) == 0 && json_integer_value (json_object_get (e, "segment")) == 1);
    CHECK (strcmp (json_string_value (json_object_get (e, "class")), "transient") == 0);
    json_t *st = json_object_get (a, "stats");
    CHECK (json_integer_value (json_object_get (st, "segments")) == 5);
    CHECK (json_integer_value (json_object_get (st, "tm_hits")) == 2);
    CHECK (json_integer_value (json_object_get (st, "chars")) == 5 + 4 + 4 + 6 + 5);
    json_decref (a);
    json_decref (b);
    free (whole);
    free (paged);

    /* A job that failed before it had segments. */
    char *failed = s_assemble (store, bad, 2, 500);
    json_t *f = json_loads (failed, 0, &jerr);
    CHECK (json_is_null (json_object_get (f, "title")) && json_array_size (json_object_get (f, "paragraphs")) == 0);
    json_t *fe = json_array_get (json_object_get (f, "errors"), 0);
    CHECK (json_is_null (json_object_get (fe, "paragraph")) && json_integer_value (json_object_get (fe, "code")) == 500);
    CHECK (strcmp (json_string_value (json_object_get (fe, "class")), "transient") == 0);
    CHECK (json_object_get (json_object_get (f, "metadata"), "charset") == NULL);
    json_decref (f);
    free (failed);

    hny_store_destroy (&store);
    char *cmd = hny_sprintf ("rm -rf '%s'", dir);
    CHECK (system (cmd) == 0);
    free (cmd);
    free (path);
    return s_check_done ("test_record");
}
