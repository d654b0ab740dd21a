/*  hny_map.c: string-keyed hash table (see hny_map.h). A word-at-a-time
    multiplicative hash (s_hash); the keys are the broker's own (job ids,
    source texts it stored), so hash flooding is not a concern here. */
#include "hny_map.h"

#include <honyaku/util.h>

#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct _s_item_t s_item_t;
struct _s_item_t {
    s_item_t *next;
    uint64_t hash;
    char *key;
    void *value;
};

struct _hny_map_t {
    s_item_t **buckets;
    size_t bucket_count;        /* a power of two */
    size_t size;
};

static uint64_t
s_hash (const char *key)
{
    /* Eight bytes a step (a pending segment's key holds its whole source,
       100-200 bytes, and is hashed three times over its life: FNV-1a's
       byte a step cost a few hundred instructions each), each word mixed
       in by a multiply and a shift (splitmix64's constants); the tail
       word zero-padded, the length mixed in first. */
    size_t len = strlen (key);
    const unsigned char *p = (const unsigned char *) key;
    uint64_t h = 0x9E3779B97F4A7C15ULL ^ len;
    for (; len >= 8; p += 8, len -= 8) {
        uint64_t v;
        memcpy (&v, p, 8);
        h = (h ^ v) * 0xBF58476D1CE4E5B9ULL;
        h ^= h >> 31;
    }
    uint64_t v = 0;
    memcpy (&v, p, len);
    h = (h ^ v) * 0x94D049BB133111EBULL;
    return h ^ (h >> 29);
}

hny_map_t *
hny_map_new (void)
{
    hny_map_t *self = hny_calloc (1, sizeof *self);
    self->bucket_count = 64;
    self->buckets = hny_calloc (self->bucket_count, sizeof *self->buckets);
    return self;
}

void
hny_map_destroy (hny_map_t **self_p)
{
    assert (self_p);
    hny_map_t *self = *self_p;
    if (!self)
        return;
    for (size_t i = 0; i < self->bucket_count; i++)
        for (s_item_t *item = self->buckets [i], *next; item; item = next) {
            next = item->next;
            free (item->key);
            free (item);
        }
    free (self->buckets);
    free (self);
    *self_p = NULL;
}

static s_item_t **
s_find (const hny_map_t *self, const char *key, uint64_t hash)
{
    s_item_t **slot = &self->buckets [hash & (self->bucket_count - 1)];
    while (*slot && ((*slot)->hash != hash || strcmp ((*slot)->key, key) != 0))
        slot = &(*slot)->next;
    return slot;
}

static void
s_grow (hny_map_t *self)
{
    size_t count = self->bucket_count * 2;
    s_item_t **buckets = hny_calloc (count, sizeof *buckets);
    for (size_t i = 0; i < self->bucket_count; i++)
        for (s_item_t *item = self->buckets [i], *next; item; item = next) {
            next = item->next;
            s_item_t **slot = &buckets [item->hash & (count - 1)];
            item->next = *slot;
            *slot = item;
        }
    free (self->buckets);
    self->buckets = buckets;
    self->bucket_count = count;
}

void
hny_map_set (hny_map_t *self, const char *key, void *value)
{
    uint64_t hash = s_hash (key);
    s_item_t **slot = s_find (self, key, hash);
    if (*slot) {
        (*slot)->value = value;
        return;
    }
    s_item_t *item = hny_calloc (1, sizeof *item);
    item->hash = hash;
    item->key = hny_strdup (key);
    item->value = value;
    *slot = item;
    if (++self->size > self->bucket_count)
        s_grow (self);
}

void *
hny_map_get (const hny_map_t *self, const char *key)
{
    s_item_t **slot = s_find (self, key, s_hash (key));
    return *slot ? (*slot)->value : NULL;
}

void *
hny_map_delete (hny_map_t *self, const char *key)
{
    s_item_t **slot = s_find (self, key, s_hash (key));
    s_item_t *item = *slot;
    if (!item)
        return NULL;
    void *value = item->value;
    *slot = item->next;
    free (item->key);
    free (item);
    self->size--;
    return value;
}

size_t
hny_map_size (const hny_map_t *self)
{
    return self->size;
}

void
hny_map_foreach (hny_map_t *self, void (*fn) (const char *key, void *value, void *arg), void *arg)
{
    for (size_t i = 0; i < self->bucket_count; i++)
        for (s_item_t *item = self->buckets [i]; item; item = item->next)
            fn (item->key, item->value, arg);
}
