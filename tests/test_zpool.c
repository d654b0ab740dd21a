/*  test_zpool.c: records compressed on two threads (hny_zpool.h): batches
    of every size from 0 to 70, of texts from empty to 200 KB, each frame
    decompresses to its text and says its size; destroy stops the helper
    right after a batch, and when it never had one. */
#include "hny_zpool.h"

#include <honyaku/util.h>

#include "hny_check.h"

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

int
main (void)
{
    hny_zpool_t *pool = hny_zpool_new (-1);
    CHECK (pool != NULL);
    if (!pool)
        return s_check_done ("test_zpool");
    unsigned seed = 1;
    for (size_t n = 0; n <= 70; n++) {
        hny_zpool_item_t *items = hny_calloc (n ? n : 1, sizeof *items);
        for (size_t i = 0; i < n; i++) {
            size_t len = (i * 7919 + n * 104729) % (i % 9 == 0 ? 200000 : 20000);
            items [i].text = s_text (len, &seed);
            items [i].len = len;
        }
        hny_zpool_compress (pool, items, n);
        s_check (items, n);
        for (size_t i = 0; i < n; i++) {
            free ((char *) items [i].text);
            free (items [i].z);
        }
        free (items);
    }
    hny_zpool_destroy (&pool);
    CHECK (pool == NULL);
    hny_zpool_destroy (&pool);      /* NULL is allowed */
    /* A pool that never compressed anything stops too. */
    pool = hny_zpool_new (3);
    CHECK (pool != NULL);
    hny_zpool_destroy (&pool);
    return s_check_done ("test_zpool");
}
