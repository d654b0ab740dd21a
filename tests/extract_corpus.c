/*  extract_corpus.c: run the prepare pipeline (hny_prepare, format "html")
    over HTML files and write what it extracted as the predictions of the
    article-extraction benchmark: { "KEY": { "articleBody": "..." } }, KEY
    being the file's name up to its first dot. The body is the text of the
    prepared article: its paragraphs' segments joined by spaces, paragraphs
    by newlines, inline markup removed. Also prints the slowest page and
    the peak memory, for bench/README.md.

    Usage: extract_corpus [-v] OUT.json FILE...   (-v: the scorer's debug log)
    Driven by test_extract_bench.py, which also scores the predictions. */
#include "honyaku/prepare.h"
#include "honyaku/util.h"
#include "hny_markup.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#define S_FILE_MAX (16u * 1024 * 1024)

/* The plain text of a prepared article (caller owns). */
static char *
s_body (json_t *article)
{
    hny_buf_t body = HNY_BUF_INIT (S_FILE_MAX);    /* a text of one page */
    size_t p, s;
    json_t *para, *seg;
    json_array_foreach (json_object_get (article, "paragraphs"), p, para) {
        if (body.len)
            hny_buf_add (&body, "\n", 1);
        json_array_foreach (json_object_get (para, "segments"), s, seg) {
            const char *src = json_string_value (json_object_get (seg, "src"));
            if (!src)
                continue;
            hny_markup_t *m = hny_markup_parse (src, strlen (src));
            size_t len = 0;
            const char *plain = hny_markup_text (m, &len);
            if (s > 0)
                hny_buf_add (&body, " ", 1);
            hny_buf_add (&body, plain, len);
            hny_markup_destroy (&m);
        }
    }
    return body.data ? body.data : hny_strdup ("");
}

int
main (int argc, char **argv)
{
    int arg = 1;
    hny_log_init ("extract_corpus", HNY_LOG_WARN);
    if (arg < argc && strcmp (argv[arg], "-v") == 0) {
        hny_log_set_level (HNY_LOG_DEBUG);
        arg++;
    }
    if (argc - arg < 2) {
        fprintf (stderr, "usage: extract_corpus [-v] OUT.json FILE...\n");
        return 2;
    }
    const char *out_path = argv[arg++];
    hny_preparer_t *preparer = hny_preparer_new ();
    json_t *out = json_object ();
    int64_t slowest = 0, total = 0;
    const char *slowest_name = "";
    size_t refused = 0, pages = 0;
    for (; arg < argc; arg++, pages++) {
        const char *path = argv[arg];
        char *data = NULL;
        size_t size = 0;
        if (hny_file_read (path, S_FILE_MAX, &data, &size) != 0) {
            fprintf (stderr, "cannot read %s\n", path);
            return 2;
        }
        const char *base = strrchr (path, '/');
        base = base ? base + 1 : path;
        char *key = hny_strndup (base, strcspn (base, "."));
        hny_prepare_opts_t opts = { .format = "html", .lang = "en", .source = base };
        int status = 0;
        char *reason = NULL;
        int64_t start = hny_clock_mono_ms ();
        json_t *article = hny_prepare (preparer, (const uint8_t *) data, size, &opts, &status, &reason);
        int64_t took = hny_clock_mono_ms () - start;
        total += took;
        if (took > slowest) {
            slowest = took;
            slowest_name = base;
        }
        char *body = article ? s_body (article) : hny_strdup ("");
        if (!article) {
            printf ("%s: %d %s\n", key, status, reason ? reason : "");
            refused++;
        }
        json_t *entry = json_object ();
        json_object_set_new (entry, "articleBody", json_string (body));
        if (article) {
            json_t *meta = json_object_get (article, "metadata");
            json_object_set (entry, "metadata", meta);
        }
        json_object_set_new (out, key, entry);
        json_decref (article);
        free (body);
        free (reason);
        free (key);
        free (data);
    }
    hny_preparer_destroy (&preparer);
    if (json_dump_file (out, out_path, JSON_INDENT (1) | JSON_SORT_KEYS) != 0) {
        fprintf (stderr, "cannot write %s\n", out_path);
        return 2;
    }
    json_decref (out);
    struct rusage ru;
    getrusage (RUSAGE_SELF, &ru);
    printf ("pages: %zu, refused: %zu, total %lld ms, slowest %lld ms (%s), peak RSS %ld KiB\n",
            pages, refused, (long long) total, (long long) slowest, slowest_name, ru.ru_maxrss);
    return 0;
}
