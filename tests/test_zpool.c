/*  test_zpool.c: records compressed on a helper thread (hny_zpool.h):
    runs of every size from 0 to 70 items, of texts from empty to 200 KB,
    come back in the order they went, each frame decompresses to its text
    and says its size; the descriptor polls readable exactly while an item
    waits to be taken; items taken as they come (take) and all at once
    (wait) alike; destroy with items out compresses them first and leaves
    them to the caller; destroy stops a helper that never had an item.
    hny_zpool_map: every item run once, by thread 0 or 1, all finished
    when it returns, also while records wait to be compressed (which then
    come back as before). */
#include "hny_zpool.h"

#include <honyaku/util.h>

#include "hny_check.h"

#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

/* A text of len bytes that compresses some (words from a small set). */
static char *
s_text (size_t len, unsigned *seed)
{
    static const char *const words [] = { "budget ", "Akahata ", "assembly ", "\xe5\x85\xb1\xe7\x94\xa3 ",
                                          "workers ", "2026 ", "wage ", "\xef\xbd\x97\xef\xbd\x81 " };
    char *text = hny_malloc (len + 1);
    size_t at = 0;
    while (at < len) {
        *seed = *seed * 1103515245 + 12345;
        const char *w = words [(*seed >> 16) % 8];
        size_t n = strlen (w);
        memcpy (text + at, w, at + n <= len ? n : len - at);
        at += n;
    }
    text [len] = '\0';
    return text;
}

/* Every item's frame gives back its text. */
static void
s_check (const hny_zpool_item_t *items, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        CHECK (items [i].z != NULL);
        if (!items [i].z)
            continue;
        unsigned long long size = ZSTD_getFrameContentSize (items [i].z, items [i].z_len);
        CHECK (size == items [i].len);
        char *back = hny_malloc (items [i].len + 1);
        size_t got = ZSTD_decompress (back, items [i].len + 1, items [i].z, items [i].z_len);
        CHECK (!ZSTD_isError (got) && got == items [i].len);
        CHECK (memcmp (back, items [i].text, items [i].len) == 0);
        free (back);
    }
}

/* Whether the pool's descriptor polls readable within ms. */
static int
s_readable (hny_zpool_t *pool, int ms)
{
    struct pollfd p = { .fd = hny_zpool_fd (pool), .events = POLLIN };
    return poll (&p, 1, ms) == 1 && (p.revents & POLLIN);
}

/* n items of texts from empty to 200 KB. */
static hny_zpool_item_t *
s_items (size_t n, unsigned *seed)
{
    hny_zpool_item_t *items = hny_calloc (n ? n : 1, sizeof *items);
    for (size_t i = 0; i < n; i++) {
        size_t len = (i * 7919 + n * 104729) % (i % 9 == 0 ? 200000 : 20000);
        items [i].text = s_text (len, seed);
        items [i].len = len;
        items [i].arg = &items [i];
    }
    return items;
}

static void
s_items_free (hny_zpool_item_t *items, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free ((char *) items [i].text);
        free (items [i].z);
    }
    free (items);
}

/* A map's item: a checksum of its text, made by thread `thread`. */
typedef struct {
    const char *text;
    size_t len;
    int runs;
    int thread;
    uint64_t sum;
} s_job_t;

static uint64_t
s_sum (const char *text, size_t len)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char) text [i]) * 1099511628211ULL;
    return h;
}

static void
s_map_one (void *item, int thread, void *arg)
{
    s_job_t *j = item;
    uint64_t sum = s_sum (j->text, j->len) + (uint64_t) (uintptr_t) arg;
    /* seen only once done: a map that returned early shows it */
    j->sum = sum;
    j->thread = thread;
    j->runs++;
}

/* Maps of n items (records out to compress meanwhile when busy): each
   item once, finished, by thread 0 or 1; how many the helper ran. */
static size_t
s_map (hny_zpool_t *pool, size_t n, int busy, unsigned *seed)
{
    hny_zpool_item_t *records = busy ? s_items (12, seed) : NULL;
    for (int i = 0; busy && i < 12; i++)
        hny_zpool_submit (pool, &records [i]);
    s_job_t *jobs = hny_calloc (n ? n : 1, sizeof *jobs);
    void **items = hny_calloc (n ? n : 1, sizeof *items);
    for (size_t i = 0; i < n; i++) {
        /* mostly small, a few long (the helper may be in one when
           this thread has taken the last item) */
        jobs [i].len = i % 25 == 4 ? 1000000 : 1000 + (i * 7919) % 30000;
        jobs [i].text = s_text (jobs [i].len, seed);
        jobs [i].thread = -1;
        items [i] = &jobs [i];
    }
    hny_zpool_map (pool, s_map_one, items, n, (void *) 7);
    size_t helper = 0;
    for (size_t i = 0; i < n; i++) {
        CHECK (jobs [i].runs == 1);
        CHECK (jobs [i].thread == 0 || jobs [i].thread == 1);
        CHECK (jobs [i].sum == s_sum (jobs [i].text, jobs [i].len) + 7);
        helper += jobs [i].thread == 1;
        free ((char *) jobs [i].text);
    }
    for (int i = 0; busy && i < 12; i++)
        CHECK (hny_zpool_wait (pool) == &records [i]);
    if (busy) {
        CHECK (hny_zpool_out (pool) == 0);
        s_check (records, 12);
        s_items_free (records, 12);
    }
    free (jobs);
    free (items);
    return helper;
}

int
main (void)
{
    hny_zpool_t *pool = hny_zpool_new (-1);
    CHECK (pool != NULL);
    if (!pool)
        return s_check_done ("test_zpool");
    CHECK (hny_zpool_fd (pool) >= 0);           /* this machine starts threads */
    CHECK (!s_readable (pool, 0));
    CHECK (hny_zpool_take (pool) == NULL);
    CHECK (hny_zpool_wait (pool) == NULL);      /* none out: does not block */
    unsigned seed = 1;
    for (size_t n = 0; n <= 70; n++) {
        hny_zpool_item_t *items = s_items (n, &seed);
        for (size_t i = 0; i < n; i++)
            hny_zpool_submit (pool, &items [i]);
        CHECK (hny_zpool_out (pool) == n);
        /* Odd runs: taken as the descriptor says they are ready; even
           runs: waited for. Either way in the order they went. */
        for (size_t i = 0; i < n; i++) {
            hny_zpool_item_t *item;
            if (n % 2) {
                CHECK (s_readable (pool, 10000));
                item = hny_zpool_take (pool);
            }
            else
                item = hny_zpool_wait (pool);
            CHECK (item == &items [i]);
            CHECK (item && item->arg == &items [i]);
        }
        CHECK (hny_zpool_out (pool) == 0);
        CHECK (!s_readable (pool, 0));
        CHECK (hny_zpool_take (pool) == NULL);
        s_check (items, n);
        s_items_free (items, n);
    }
    /* Maps, alone and while records are out. */
    size_t helper = 0, all = 0;
    const size_t sizes [] = { 0, 1, 2, 3, 5, 17, 200, 1000 };
    for (size_t k = 0; k < sizeof sizes / sizeof sizes [0]; k++)
        for (int busy = 0; busy < 2; busy++) {
            helper += s_map (pool, sizes [k], busy, &seed);
            all += sizes [k];
        }
    printf ("test_zpool: the helper ran %zu of %zu items of the maps\n", helper, all);
    /* Now, on the caller's thread. */
    hny_zpool_item_t *one = s_items (1, &seed);
    hny_zpool_compress (pool, one);
    CHECK (hny_zpool_out (pool) == 0);
    s_check (one, 1);
    s_items_free (one, 1);
    /* Destroyed with items out: each is compressed, and stays ours. */
    hny_zpool_item_t *items = s_items (9, &seed);
    for (size_t i = 0; i < 9; i++)
        hny_zpool_submit (pool, &items [i]);
    hny_zpool_destroy (&pool);
    CHECK (pool == NULL);
    s_check (items, 9);
    s_items_free (items, 9);
    hny_zpool_destroy (&pool);      /* NULL is allowed */
    /* A pool that never compressed anything stops too. */
    pool = hny_zpool_new (3);
    CHECK (pool != NULL);
    hny_zpool_destroy (&pool);
    return s_check_done ("test_zpool");
}
