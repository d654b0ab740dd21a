/*  test_map.c: unit test of the broker's string-keyed hash table
    (daemon/hny_map.c): insert, replace, get, delete, size and foreach
    agree with a plain array searched by strcmp over 50,000 random
    operations on keys of every length from 0 to 300 bytes (every tail of
    the word-at-a-time hash), keys that differ only in their last, first or
    one middle byte, and keys of bytes above 0x7F; the map grows through
    several doublings and empties again. */
#include "hny_map.h"

#include <honyaku/util.h>

#include "hny_check.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_KEYS      2000    /* distinct keys the operations draw from */
#define S_OPS       50000

/* The plain model: present [i] says key i is in, value [i] its value. */
typedef struct {
    char *key [S_KEYS];
    int present [S_KEYS];
    void *value [S_KEYS];
    size_t size;
} s_model_t;

/* Candidate key i: a family of look-alikes. Lengths cycle 0-300; keys of
   one length share all bytes but one, placed last, first or in the
   middle (some candidates repeat an earlier one: main keeps the first). */
static char *
s_key (size_t i)
{
    size_t len = i % 301;
    char *k = hny_malloc (len + 8);
    for (size_t j = 0; j < len; j++)
        k [j] = (char) ('a' + (j * 7) % 26);
    if (len > 0) {
        unsigned char mark = (unsigned char) (0x21 + (i / 301) % 90);
        size_t at = (i / 301) % 3 == 0 ? len - 1 : (i / 301) % 3 == 1 ? 0 : len / 2;
        k [at] = (char) mark;
        if (i % 5 == 0)
            k [len / 3] = (char) 0xE3;     /* a byte above 0x7F */
    }
    k [len] = '\0';
    return k;
}

typedef struct {
    const s_model_t *model;
    size_t seen;
    int bad;
} s_walk_t;

static void
s_visit (const char *key, void *value, void *arg)
{
    s_walk_t *w = arg;
    w->seen++;
    size_t i = (size_t) (uintptr_t) value - 1;
    if (i >= S_KEYS || !w->model->present [i] || strcmp (w->model->key [i], key) != 0)
        w->bad++;
}

int
main (void)
{
    s_model_t *m = hny_calloc (1, sizeof *m);
    /* the look-alikes, each once (a short length has fewer of them) */
    for (size_t c = 0, n = 0; n < S_KEYS; c++) {
        char *k = s_key (c);
        size_t j = 0;
        while (j < n && strcmp (m->key [j], k) != 0)
            j++;
        if (j < n)
            free (k);
        else
            m->key [n++] = k;
    }
    hny_map_t *map = hny_map_new ();
    srand (11);
    size_t mismatches = 0, max_size = 0;
    for (int op = 0; op < S_OPS; op++) {
        size_t i = (size_t) rand () % S_KEYS;
        int what = rand () % 10;
        if (op > S_OPS * 4 / 5)
            what = 9;               /* the last fifth empties the map */
        if (what < 5) {
            /* insert or replace: the value names the key (+1: never NULL) */
            hny_map_set (map, m->key [i], (void *) (uintptr_t) (i + 1));
            if (!m->present [i])
                m->size++;
            m->present [i] = 1;
            m->value [i] = (void *) (uintptr_t) (i + 1);
        }
        else if (what < 8) {
            void *got = hny_map_get (map, m->key [i]);
            mismatches += got != (m->present [i] ? m->value [i] : NULL);
        }
        else {
            void *got = hny_map_delete (map, m->key [i]);
            mismatches += got != (m->present [i] ? m->value [i] : NULL);
            if (m->present [i])
                m->size--;
            m->present [i] = 0;
        }
        mismatches += hny_map_size (map) != m->size;
        if (m->size > max_size)
            max_size = m->size;
        if (op % 5000 == 0) {
            s_walk_t w = { m, 0, 0 };
            hny_map_foreach (map, s_visit, &w);
            mismatches += w.seen != m->size || w.bad != 0;
        }
    }
    CHECK (mismatches == 0);
    CHECK (max_size > 1000);        /* grown past 64 buckets several times */
    /* every key read back after a full fill */
    for (size_t i = 0; i < S_KEYS; i++)
        hny_map_set (map, m->key [i], (void *) (uintptr_t) (i + 1));
    size_t wrong = 0;
    for (size_t i = 0; i < S_KEYS; i++)
        wrong += hny_map_get (map, m->key [i]) != (void *) (uintptr_t) (i + 1);
    CHECK (wrong == 0);
    CHECK (hny_map_size (map) == S_KEYS);
    CHECK (hny_map_get (map, "not a key") == NULL);
    CHECK (hny_map_delete (map, "not a key") == NULL);
    hny_map_destroy (&map);
    CHECK (map == NULL);
    for (size_t i = 0; i < S_KEYS; i++)
        free (m->key [i]);
    free (m);
    printf ("test_map: %d operations, at most %zu keys, %zu mismatches\n", S_OPS, max_size, mismatches);
    return s_check_done ("test_map");
}
