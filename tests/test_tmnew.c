/*  test_tmnew.c: unit test of the index of the TM's recent entries
    (daemon/hny_tmnew.c): set, get, delete and the entries of a hash on
    long runs of one home slot and across the table's end; slices cover
    the signed range in order, each sorted as tm's key; the cap; and
    200,000 random operations on clustered hashes agree with a plain
    array searched one by one. */
#include "hny_tmnew.h"

#include <honyaku/util.h>

#include "hny_check.h"

#include <stdlib.h>

/* A hash with the given home slot (its low 18 bits) and high bits. */
static int64_t
s_hash (uint64_t home, uint64_t high)
{
    return (int64_t) ((high << 32) | (home & (HNY_TMNEW_SLOTS - 1)));
}

static void
s_basics (void)
{
    hny_tmnew_t *ix = hny_tmnew_new ();
    CHECK (hny_tmnew_size (ix) == 0 && hny_tmnew_get (ix, 5, 1) == 0);
    /* Ten hashes on the last home slot: their run wraps past the end. */
    uint64_t last = HNY_TMNEW_SLOTS - 1;
    for (uint64_t i = 0; i < 10; i++)
        CHECK (hny_tmnew_set (ix, s_hash (last, i + 1), 7, (int64_t) i + 1) == 0);
    CHECK (hny_tmnew_set (ix, s_hash (0, 99), 7, 50) == 0);    /* home 0, inside the run */
    CHECK (hny_tmnew_set (ix, s_hash (last, 3), 8, 60) == 0);  /* another tmkey of a hash */
    CHECK (hny_tmnew_size (ix) == 12);
    for (uint64_t i = 0; i < 10; i++)
        CHECK (hny_tmnew_get (ix, s_hash (last, i + 1), 7) == (int64_t) i + 1);
    CHECK (hny_tmnew_get (ix, s_hash (last, 3), 8) == 60);
    CHECK (hny_tmnew_get (ix, s_hash (0, 99), 7) == 50);
    hny_tmnew_entry_t of [4];
    CHECK (hny_tmnew_of_hash (ix, s_hash (last, 3), of, 4) == 2);
    CHECK (of [0].tmkey + of [1].tmkey == 15 && of [0].id + of [1].id == 63);
    CHECK (hny_tmnew_of_hash (ix, s_hash (last, 77), of, 4) == 0);
    /* A replaced row keeps one entry; removals shift the run back, so
       every other entry is still found, the one at home 0 too. */
    CHECK (hny_tmnew_set (ix, s_hash (last, 4), 7, 70) == 0 && hny_tmnew_size (ix) == 12);
    CHECK (hny_tmnew_delete (ix, s_hash (last, 1), 7) == 1);
    CHECK (hny_tmnew_delete (ix, s_hash (last, 1), 7) == 0);
    CHECK (hny_tmnew_delete (ix, s_hash (last, 5), 7) == 5);
    CHECK (hny_tmnew_size (ix) == 10);
    CHECK (hny_tmnew_get (ix, s_hash (0, 99), 7) == 50);
    CHECK (hny_tmnew_get (ix, s_hash (last, 4), 7) == 70);
    CHECK (hny_tmnew_get (ix, s_hash (last, 10), 7) == 10);
    /* Dropped up to id 9: 10, 50, 60 and 70 stay. */
    hny_tmnew_drop_upto (ix, 9);
    CHECK (hny_tmnew_size (ix) == 4);
    CHECK (hny_tmnew_get (ix, s_hash (last, 10), 7) == 10 && hny_tmnew_get (ix, s_hash (last, 2), 7) == 0);
    CHECK (hny_tmnew_get (ix, s_hash (0, 99), 7) == 50 && hny_tmnew_get (ix, s_hash (last, 3), 8) == 60);
    hny_tmnew_clear (ix);
    CHECK (hny_tmnew_size (ix) == 0 && hny_tmnew_get (ix, s_hash (0, 99), 7) == 0);
    /* A run that wraps onto an entry at home 0 (slot 0, set first): the
       removal at the last slot must leave it there and shift the run's
       own entry from slot 1 back past the end. */
    CHECK (hny_tmnew_set (ix, s_hash (0, 5), 1, 1) == 0);
    for (uint64_t i = 0; i < 3; i++)
        CHECK (hny_tmnew_set (ix, s_hash (last - 1, i + 1), 1, (int64_t) i + 2) == 0);
    CHECK (hny_tmnew_delete (ix, s_hash (last - 1, 2), 1) == 3);
    CHECK (hny_tmnew_get (ix, s_hash (0, 5), 1) == 1);
    CHECK (hny_tmnew_get (ix, s_hash (last - 1, 1), 1) == 2 && hny_tmnew_get (ix, s_hash (last - 1, 3), 1) == 4);
    hny_tmnew_clear (ix);
    hny_tmnew_destroy (&ix);
    CHECK (ix == NULL);
}

/* Slices: 4 of the signed range, in order from the most negative hash;
   ids above upto left out; each slice sorted by (hash, tmkey). */
static void
s_slices (void)
{
    hny_tmnew_t *ix = hny_tmnew_new ();
    int64_t hashes [] = { INT64_MIN, -5, INT64_MIN / 2 + 3, -1, 0, 12345, INT64_MAX / 2 + 9, INT64_MAX,
                          INT64_MIN / 2 - 1, INT64_MAX / 2 - 1 };
    size_t n = sizeof hashes / sizeof hashes [0];
    for (size_t i = 0; i < n; i++) {
        CHECK (hny_tmnew_set (ix, hashes [i], 2, (int64_t) i + 1) == 0);
        CHECK (hny_tmnew_set (ix, hashes [i], 1, (int64_t) i + 100) == 0);
    }
    int64_t prev_hash = INT64_MIN, prev_key = 0;
    size_t total = 0;
    int first = 1;
    for (unsigned s = 0; s < 4; s++) {
        hny_tmnew_entry_t *list = NULL;
        size_t got = hny_tmnew_slice (ix, 1000, s, 4, &list);
        for (size_t i = 0; i < got; i++) {
            /* Slice s holds [INT64_MIN + s * 2^62, INT64_MIN + (s + 1) * 2^62). */
            uint64_t order = (uint64_t) list [i].hash ^ ((uint64_t) 1 << 63);
            CHECK ((order >> 62) == s);
            CHECK (first || list [i].hash > prev_hash || (list [i].hash == prev_hash && list [i].tmkey > prev_key));
            prev_hash = list [i].hash;
            prev_key = list [i].tmkey;
            first = 0;
        }
        total += got;
        free (list);
    }
    CHECK (total == 2 * n);
    /* Only ids <= 5: five hashes under tmkey 2. */
    total = 0;
    for (unsigned s = 0; s < 1; s++) {
        hny_tmnew_entry_t *list = NULL;
        total += hny_tmnew_slice (ix, 5, 0, 1, &list);
        for (size_t i = 0; list && i < 5; i++)
            CHECK (list [i].id <= 5 && list [i].tmkey == 2);
        free (list);
    }
    CHECK (total == 5);
    hny_tmnew_destroy (&ix);
}

/* The cap: HNY_TMNEW_MAX keys, then a new key is refused while a known
   one is still replaced. */
static void
s_cap (void)
{
    hny_tmnew_t *ix = hny_tmnew_new ();
    int refused = 0;
    for (uint64_t i = 0; i < HNY_TMNEW_MAX; i++)
        refused += hny_tmnew_set (ix, (int64_t) (i * 0x9E3779B97F4A7C15ull), 1, (int64_t) i + 1) != 0;
    CHECK (refused == 0 && hny_tmnew_size (ix) == HNY_TMNEW_MAX);
    CHECK (hny_tmnew_set (ix, 42, 99, 7) == -1);
    CHECK (hny_tmnew_set (ix, (int64_t) (3 * 0x9E3779B97F4A7C15ull), 1, 999999) == 0);
    CHECK (hny_tmnew_get (ix, (int64_t) (3 * 0x9E3779B97F4A7C15ull), 1) == 999999);
    hny_tmnew_destroy (&ix);
}

/* The reference: a plain array of (hash, tmkey, id), searched in full. */
typedef struct {
    hny_tmnew_entry_t *e;
    size_t n;
} s_ref_t;

static size_t
s_ref_find (const s_ref_t *ref, int64_t hash, int64_t tmkey)
{
    for (size_t i = 0; i < ref->n; i++)
        if (ref->e [i].hash == hash && ref->e [i].tmkey == tmkey)
            return i;
    return ref->n;
}

/* Random operations on hashes crowded on 64 home slots (long runs that
   meet and wrap), against the reference. */
static void
s_random (void)
{
    hny_tmnew_t *ix = hny_tmnew_new ();
    s_ref_t ref = { hny_calloc (4096, sizeof (hny_tmnew_entry_t)), 0 };
    srand (11);
    int64_t next_id = 1;
    int bad = 0;
    for (int op = 0; op < 200000 && !bad; op++) {
        uint64_t home = (uint64_t) (rand () % 64) * 4096 + (rand () % 2 ? HNY_TMNEW_SLOTS - 40 : 0);
        int64_t hash = s_hash (home, (uint64_t) (rand () % 48));
        int64_t tmkey = rand () % 3 + 1;
        size_t at = s_ref_find (&ref, hash, tmkey);
        int what = rand () % 100;
        if (what < 50) {
            if (at == ref.n) {
                if (ref.n == 4096)
                    continue;
                ref.e [ref.n++] = (hny_tmnew_entry_t) { hash, tmkey, next_id };
            }
            else
                ref.e [at].id = next_id;
            bad |= hny_tmnew_set (ix, hash, tmkey, next_id++) != 0;
        }
        else if (what < 75) {
            int64_t want = at < ref.n ? ref.e [at].id : 0;
            if (at < ref.n)
                ref.e [at] = ref.e [--ref.n];
            bad |= hny_tmnew_delete (ix, hash, tmkey) != want;
        }
        else if (what < 99) {
            bad |= hny_tmnew_get (ix, hash, tmkey) != (at < ref.n ? ref.e [at].id : 0);
            hny_tmnew_entry_t of [8];
            size_t want = 0;
            for (size_t i = 0; i < ref.n; i++)
                want += ref.e [i].hash == hash;
            bad |= hny_tmnew_of_hash (ix, hash, of, 8) != want;
        }
        else {
            int64_t upto = next_id - 1 - rand () % 200;
            size_t w = 0;
            for (size_t i = 0; i < ref.n; i++)
                if (ref.e [i].id > upto)
                    ref.e [w++] = ref.e [i];
            ref.n = w;
            hny_tmnew_drop_upto (ix, upto);
        }
        bad |= hny_tmnew_size (ix) != ref.n;
        if (bad)
            fprintf (stderr, "random: op %d disagrees\n", op);
    }
    CHECK (!bad);
    /* Every entry of the reference is found, and the slices hold exactly
       the reference. */
    size_t found = 0, sliced = 0;
    for (size_t i = 0; i < ref.n; i++)
        found += hny_tmnew_get (ix, ref.e [i].hash, ref.e [i].tmkey) == ref.e [i].id;
    for (unsigned s = 0; s < 16; s++) {
        hny_tmnew_entry_t *list = NULL;
        size_t got = hny_tmnew_slice (ix, INT64_MAX, s, 16, &list);
        for (size_t i = 0; i < got; i++) {
            size_t at = s_ref_find (&ref, list [i].hash, list [i].tmkey);
            sliced += at < ref.n && ref.e [at].id == list [i].id;
        }
        free (list);
    }
    CHECK (found == ref.n && sliced == ref.n);
    free (ref.e);
    hny_tmnew_destroy (&ix);
}

int
main (void)
{
    s_basics ();
    s_slices ();
    s_cap ();
    s_random ();
    return s_check_done ("test_tmnew");
}
