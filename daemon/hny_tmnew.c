/*  hny_tmnew.c: the index of the TM's recent entries (see hny_tmnew.h).

    Linear probing from the hash's low bits, so that every entry of a hash
    (one per profile of its languages) sits in one run of slots; deletion
    shifts the run back (no tombstones: a lookup stops at the first empty
    slot, and the table never fills with dead slots). id 0 marks an empty
    slot: SQLite's row ids start at 1. */
#include "hny_tmnew.h"

#include <honyaku/util.h>

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#define S_MASK  (HNY_TMNEW_SLOTS - 1)

struct _hny_tmnew_t {
    hny_tmnew_entry_t *slots;   /* HNY_TMNEW_SLOTS, owned */
    size_t size;                /* slots in use */
};

/* The first slot a hash probes. */
static inline size_t
s_home (int64_t hash)
{
    return (size_t) ((uint64_t) hash & S_MASK);
}

/* The slot of (hash, tmkey), or the empty slot that ends its run. */
static size_t
s_find (const hny_tmnew_t *self, int64_t hash, int64_t tmkey)
{
    size_t i = s_home (hash);
    while (self->slots [i].id && (self->slots [i].hash != hash || self->slots [i].tmkey != tmkey))
        i = (i + 1) & S_MASK;
    return i;
}

hny_tmnew_t *
hny_tmnew_new (void)
{
    hny_tmnew_t *self = hny_calloc (1, sizeof *self);
    self->slots = hny_calloc (HNY_TMNEW_SLOTS, sizeof *self->slots);
    return self;
}

void
hny_tmnew_destroy (hny_tmnew_t **self_p)
{
    assert (self_p);
    hny_tmnew_t *self = *self_p;
    if (!self)
        return;
    free (self->slots);
    free (self);
    *self_p = NULL;
}

int
hny_tmnew_set (hny_tmnew_t *self, int64_t hash, int64_t tmkey, int64_t id)
{
    assert (id > 0);
    size_t i = s_find (self, hash, tmkey);
    if (!self->slots [i].id) {
        /* A new key; the load factor stays at most 3/4, so runs stay short
           and s_find always meets an empty slot. */
        if (self->size >= HNY_TMNEW_MAX)
            return -1;
        self->size++;
        self->slots [i].hash = hash;
        self->slots [i].tmkey = tmkey;
    }
    self->slots [i].id = id;
    return 0;
}

int64_t
hny_tmnew_get (const hny_tmnew_t *self, int64_t hash, int64_t tmkey)
{
    return self->slots [s_find (self, hash, tmkey)].id;
}

/* Empty slot i and shift the rest of its run back, so that every entry
   stays reachable from its home slot without passing an empty one. */
static void
s_remove_at (hny_tmnew_t *self, size_t i)
{
    size_t j = i;
    for (;;) {
        j = (j + 1) & S_MASK;
        if (!self->slots [j].id)
            break;
        /* The entry at j may move to i only if its home is not in the
           cyclic range (i, j]: it would then be found before i. */
        size_t home = s_home (self->slots [j].hash);
        int stays = i <= j ? (home > i && home <= j) : (home > i || home <= j);
        if (!stays) {
            self->slots [i] = self->slots [j];
            i = j;
        }
    }
    memset (&self->slots [i], 0, sizeof self->slots [i]);
    self->size--;
}

int64_t
hny_tmnew_delete (hny_tmnew_t *self, int64_t hash, int64_t tmkey)
{
    size_t i = s_find (self, hash, tmkey);
    int64_t id = self->slots [i].id;
    if (id)
        s_remove_at (self, i);
    return id;
}

size_t
hny_tmnew_of_hash (const hny_tmnew_t *self, int64_t hash, hny_tmnew_entry_t *out, size_t max)
{
    size_t n = 0;
    for (size_t i = s_home (hash); self->slots [i].id; i = (i + 1) & S_MASK)
        if (self->slots [i].hash == hash) {
            if (n < max)
                out [n] = self->slots [i];
            n++;
        }
    return n;
}

/* tm's primary key order: the hash signed, then the tmkey. */
static int
s_cmp (const void *a, const void *b)
{
    const hny_tmnew_entry_t *x = a, *y = b;
    if (x->hash != y->hash)
        return x->hash < y->hash ? -1 : 1;
    return (x->tmkey > y->tmkey) - (x->tmkey < y->tmkey);
}

/* The hash's place in signed order as an unsigned number: its top bits
   number the slices from the most negative hash up. */
static inline uint64_t
s_order (int64_t hash)
{
    return (uint64_t) hash ^ ((uint64_t) 1 << 63);
}

size_t
hny_tmnew_slice (const hny_tmnew_t *self, int64_t upto, unsigned slice, unsigned slices,
                 hny_tmnew_entry_t **out)
{
    assert (slices >= 1 && slices <= 65536 && (slices & (slices - 1)) == 0 && slice < slices);
    unsigned bits = 0;
    while ((1u << bits) < slices)
        bits++;
    size_t n = 0, cap = 0;
    hny_tmnew_entry_t *list = NULL;
    for (size_t i = 0; i < HNY_TMNEW_SLOTS; i++) {
        const hny_tmnew_entry_t *e = &self->slots [i];
        if (!e->id || e->id > upto || (bits && (s_order (e->hash) >> (64 - bits)) != slice))
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 256;
            list = hny_realloc (list, cap * sizeof *list);
        }
        list [n++] = *e;
    }
    if (n > 1)
        qsort (list, n, sizeof *list, s_cmp);
    *out = list;
    return n;
}

void
hny_tmnew_drop_upto (hny_tmnew_t *self, int64_t upto)
{
    if (self->size == 0)
        return;
    /* The walk starts after an empty slot and goes once round the table.
       A removal shifts later entries of the run back into the slot just
       looked at, which is looked at again; no entry ever shifts across
       the empty slot the walk started from (runs do not cross an empty
       slot, and an entry never moves before its home), so every entry is
       looked at once, in place, with no copy of the table. */
    size_t start = 0;
    while (self->slots [start].id)
        start++;                /* there is one: the load stays under 3/4 */
    size_t i = (start + 1) & S_MASK;
    for (size_t seen = 0; seen < HNY_TMNEW_SLOTS - 1; ) {
        if (self->slots [i].id && self->slots [i].id <= upto)
            s_remove_at (self, i);      /* slot i again: a later entry may be there now */
        else {
            i = (i + 1) & S_MASK;
            seen++;
        }
    }
}

void
hny_tmnew_clear (hny_tmnew_t *self)
{
    memset (self->slots, 0, HNY_TMNEW_SLOTS * sizeof *self->slots);
    self->size = 0;
}

size_t
hny_tmnew_size (const hny_tmnew_t *self)
{
    return self->size;
}
