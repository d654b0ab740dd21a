/*  hny_tmnew.h: the in-memory index of the TM's recent entries, for
    honyakud's store (hny_store.c, table tm_new): (hash, tmkey) -> the id
    of that key's row.

    Why: the tm table is a B-tree keyed by random 64-bit hashes. Written
    one entry at a time, every entry dirtied a leaf of its own, and once the
    index outgrew any fixed cache every entry also read one: a cost per
    article that grew with the store (bench/README.md, "What changed: the
    TM's recent entries"). New machine entries are now appended to tm_new,
    a table in id order (a commit's rows share a page or two), and found
    through this index; the store merges them into tm in hash order, a
    slice of the hash space at a time, so that a leaf of tm is written once
    for all the entries a merge puts on it.

    The index is one open-addressed table of HNY_TMNEW_SLOTS slots (24
    bytes each), allocated once: at most HNY_TMNEW_MAX entries. (hny_map,
    the broker's string-keyed table, would hold each of these 64-bit keys
    as text in an allocation of its own, and cannot hand out a slice of
    the hash space in order.) A key has
    at most one entry; the store keeps at most one row per key too, so an
    entry is exact, never a guess. Slices are taken in the hash's signed
    order, the order of tm's primary key. */
#ifndef HNY_TMNEW_H
#define HNY_TMNEW_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define HNY_TMNEW_SLOTS     (1u << 18)                      /* 6 MiB */
#define HNY_TMNEW_MAX       (HNY_TMNEW_SLOTS / 4 * 3)       /* load factor 3/4 */

/* An entry as hny_tmnew_slice hands it out. */
typedef struct {
    int64_t hash;
    int64_t tmkey;
    int64_t id;                 /* the row's id in tm_new, > 0 */
} hny_tmnew_entry_t;

typedef struct _hny_tmnew_t hny_tmnew_t;

/* Caller owns the result. */
hny_tmnew_t *hny_tmnew_new (void);
void hny_tmnew_destroy (hny_tmnew_t **self_p);

/* Set the row of (hash, tmkey) to id (> 0), replacing the key's old one.
   0, or -1 when the key is new and HNY_TMNEW_MAX entries are kept: the
   caller makes room (hny_tmnew_drop_upto) first. */
int hny_tmnew_set (hny_tmnew_t *self, int64_t hash, int64_t tmkey, int64_t id);
/* The row id of (hash, tmkey), or 0. */
int64_t hny_tmnew_get (const hny_tmnew_t *self, int64_t hash, int64_t tmkey);
/* Remove the entry of (hash, tmkey); returns its id, or 0. */
int64_t hny_tmnew_delete (hny_tmnew_t *self, int64_t hash, int64_t tmkey);
/* The entries of hash under any tmkey, at most max, into out; returns
   how many there are (may exceed max). */
size_t hny_tmnew_of_hash (const hny_tmnew_t *self, int64_t hash, hny_tmnew_entry_t *out, size_t max);

/* The entries with id <= upto whose hash falls in slice `slice` of
   `slices` equal slices of the signed 64-bit range (slices a power of 2,
   at most 65536), sorted by (hash, tmkey). *out is the caller's to free;
   returns the count. */
size_t hny_tmnew_slice (const hny_tmnew_t *self, int64_t upto, unsigned slice, unsigned slices,
                        hny_tmnew_entry_t **out);
/* Remove every entry with id <= upto. */
void hny_tmnew_drop_upto (hny_tmnew_t *self, int64_t upto);
/* Remove every entry. */
void hny_tmnew_clear (hny_tmnew_t *self);
size_t hny_tmnew_size (const hny_tmnew_t *self);

#ifdef __cplusplus
}
#endif
#endif
