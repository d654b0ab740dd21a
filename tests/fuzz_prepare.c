/*  fuzz_prepare.c: fuzz target over hny_prepare, the decoder of untrusted
    article bytes (charset detection, text and HTML extraction, ICU).

    Built with -DHNY_LIBFUZZER and clang -fsanitize=fuzzer it is a libFuzzer
    target. Built plainly (as CTest does) it is a deterministic driver: it
    loads the files of the directories given on the command line as seeds
    and runs a fixed number of seeded mutations of them (byte flips,
    insertions of tokens that matter to the parsers, truncations, splices)
    through the same entry point, every format and lenient mode included.
    Usage: fuzz_prepare DIR... (env HNY_FUZZ_ITERATIONS overrides the count) */
#include "honyaku/prepare.h"
#include "honyaku/util.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* The first byte picks format and mode, the rest is the article. */
int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    static hny_preparer_t *preparer;
    static const char *formats[] = { "auto", "text", "plain", "html", "jpw" };
    if (!preparer) {
        hny_log_init ("fuzz_prepare", HNY_LOG_ERROR);
        preparer = hny_preparer_new ();
    }
    if (size == 0)
        return 0;
    hny_prepare_opts_t opts = {
        .format = formats[data[0] % 5],
        .lang = data[0] & 0x20 ? "ja" : "en",
        .lenient = (data[0] & 0x40) != 0,
        .source = data[0] & 0x80 ? "2005/428/page.html" : NULL,
        .max_bytes = 1 << 20,
    };
    int status = 0;
    char *reason = NULL;
    json_t *out = hny_prepare (preparer, data + 1, size - 1, &opts, &status, &reason);
    if (out) {
        /* whatever came out must serialize */
        char *text = json_dumps (out, JSON_COMPACT);
        if (!text)
            abort ();
        free (text);
        json_decref (out);
    }
    else if (!reason || (status != 413 && status != 415 && status != 422))
        abort ();   /* a failure must say why, with a documented status */
    free (reason);
    return 0;
}

#ifndef HNY_LIBFUZZER

#define S_MAX_SEEDS 64
#define S_MAX_INPUT (256 * 1024)

static uint64_t s_rng = 0x9E3779B97F4A7C15ull;

/* xorshift64*: the same sequence on every run */
static uint64_t
s_rand (void)
{
    s_rng ^= s_rng >> 12;
    s_rng ^= s_rng << 25;
    s_rng ^= s_rng >> 27;
    return s_rng * 0x2545F4914F6CDD1Dull;
}

static const char *s_tokens[] = {
    "<div>", "</div>", "<p>", "<br>", "<b>", "</html>", "<!--", "<![CDATA[", "&amp;", "&#xFFFF;",
    "<meta charset=shift_jis>", "<meta charset=utf-16>", "\xEF\xBB\xBF", "\xFF\xFE", "\x1B$B",
    "\xE3\x81", "\x82\xA0", "\xC2\xA0", "\n\n", "\r\n", "> ", " [", "]", "2019 April 17 - 23 [X]",
    "April 21, 2019", "Past related articles:\n", "> List of Past issues\n", "Photo NEWS\n",
    "Read moer\n", " -- Akahata editorial, January 31", "\0", "\x7F", "。", "２０２１年６月９日"
};

static void
s_mutate (uint8_t *buf, size_t *len, size_t cap)
{
    switch (s_rand () % 5) {
    case 0:     /* flip bytes */
        for (int k = 0; k < 4 && *len; k++)
            buf[s_rand () % *len] ^= (uint8_t) (1u << (s_rand () % 8));
        break;
    case 1: {   /* insert a token */
        const char *tok = s_tokens[s_rand () % (sizeof s_tokens / sizeof s_tokens[0])];
        size_t tl = *tok ? strlen (tok) : 1, at = *len ? s_rand () % (*len + 1) : 0;
        if (*len + tl <= cap) {
            memmove (buf + at + tl, buf + at, *len - at);
            memcpy (buf + at, tok, tl);
            *len += tl;
        }
        break;
    }
    case 2:     /* truncate */
        if (*len)
            *len = s_rand () % *len;
        break;
    case 3: {   /* duplicate a slice */
        if (!*len)
            break;
        size_t from = s_rand () % *len, n = s_rand () % (*len - from) + 1;
        if (*len + n <= cap) {
            size_t at = s_rand () % (*len + 1);
            memmove (buf + at + n, buf + at, *len - at);
            memmove (buf + at, buf + (at <= from ? from + n : from), n);
            *len += n;
        }
        break;
    }
    default:    /* random bytes */
        for (int k = 0; k < 8 && *len; k++)
            buf[s_rand () % *len] = (uint8_t) s_rand ();
        break;
    }
}

int
main (int argc, char **argv)
{
    uint8_t *seeds[S_MAX_SEEDS];
    size_t sizes[S_MAX_SEEDS], count = 0;
    for (int a = 1; a < argc; a++) {
        DIR *dir = opendir (argv[a]);
        if (!dir) {
            fprintf (stderr, "cannot open %s\n", argv[a]);
            return 2;
        }
        struct dirent *entry;
        while ((entry = readdir (dir)) && count < S_MAX_SEEDS) {
            if (entry->d_name[0] == '.')
                continue;
            char *path = hny_sprintf ("%s/%s", argv[a], entry->d_name);
            char *data;
            size_t size;
            if (hny_file_read (path, S_MAX_INPUT / 2, &data, &size) == 0) {
                seeds[count] = (uint8_t *) data;
                sizes[count++] = size;
            }
            free (path);
        }
        closedir (dir);
    }
    if (count == 0) {
        fprintf (stderr, "no seed files\n");
        return 2;
    }
    long iterations = getenv ("HNY_FUZZ_ITERATIONS") ? atol (getenv ("HNY_FUZZ_ITERATIONS")) : 4000;
    uint8_t *buf = hny_malloc (S_MAX_INPUT);
    int64_t start = hny_clock_mono_ms ();
    for (long i = 0; i < iterations; i++) {
        size_t s = (size_t) (s_rand () % count);
        size_t len = sizes[s];     /* the article, after the mode byte */
        buf[0] = (uint8_t) s_rand ();
        memcpy (buf + 1, seeds[s], sizes[s]);
        int rounds = 1 + (int) (s_rand () % 8);
        for (int r = 0; r < rounds; r++)
            s_mutate (buf + 1, &len, S_MAX_INPUT - 1);
        LLVMFuzzerTestOneInput (buf, len + 1);
    }
    /* the seeds themselves, in every mode */
    for (size_t s = 0; s < count; s++)
        for (int mode = 0; mode < 256; mode += 37) {
            buf[0] = (uint8_t) mode;
            memcpy (buf + 1, seeds[s], sizes[s]);
            LLVMFuzzerTestOneInput (buf, sizes[s] + 1);
        }
    printf ("fuzz_prepare: %ld mutated inputs from %zu seeds in %lld ms: OK\n", iterations, count,
            (long long) (hny_clock_mono_ms () - start));
    free (buf);
    for (size_t s = 0; s < count; s++)
        free (seeds[s]);
    return 0;
}
#endif
