/*  hny_map.h: a small string-keyed hash table (separate chaining, grows at
    load factor 1) for the broker's in-memory indexes: pending translations
    by source text, active jobs by id.

    The map copies keys and borrows values: destroying the map or deleting a
    key never frees a value. */
#ifndef HNY_MAP_H
#define HNY_MAP_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct _hny_map_t hny_map_t;

/* Caller owns the result. */
hny_map_t *hny_map_new (void);
void hny_map_destroy (hny_map_t **self_p);

/* Insert or replace the value of key. */
void hny_map_set (hny_map_t *self, const char *key, void *value);
/* The value of key, or NULL. */
void *hny_map_get (const hny_map_t *self, const char *key);
/* Remove key; returns its value or NULL. */
void *hny_map_delete (hny_map_t *self, const char *key);
size_t hny_map_size (const hny_map_t *self);
/* Call fn for each entry, in no order; fn must not change the map. */
void hny_map_foreach (hny_map_t *self, void (*fn) (const char *key, void *value, void *arg), void *arg);

#ifdef __cplusplus
}
#endif
#endif
