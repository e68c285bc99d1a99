/* SPDX-License-Identifier: MIT */
/*
 * StrIndex (see str-index.h): linear probing over a power-of-two table, FNV-1a hashes, grown to
 * twice the size at 70% load. No removal: the lists it indexes only grow.
 */
#include "remedy/str-index.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct Slot {
        char *key;   /* NULL: empty */
        size_t value;
        uint64_t hash;
} Slot;

struct StrIndex {
        Slot *slots;
        size_t n_slots;   /* a power of two */
        size_t n_used;
};

static uint64_t hash_string(const char *s) {
        uint64_t h = 14695981039346656037ULL;
        for (; *s; s++) {
                h ^= (unsigned char) *s;
                h *= 1099511628211ULL;
        }
        return h;
}

StrIndex *str_index_free(StrIndex *x) {
        if (!x)
                return NULL;
        for (size_t i = 0; i < x->n_slots; i++)
                free(x->slots[i].key);
        free(x->slots);
        free(x);
        return NULL;
}

/* The slot holding key, or the empty one where it belongs. */
static Slot *find_slot(Slot *slots, size_t n_slots, const char *key, uint64_t hash) {
        for (size_t i = hash & (n_slots - 1);; i = (i + 1) & (n_slots - 1))
                if (!slots[i].key || (slots[i].hash == hash && strcmp(slots[i].key, key) == 0))
                        return &slots[i];
}

static int grow(StrIndex *x) {
        size_t n = x->n_slots ? x->n_slots * 2 : 64;
        Slot *slots = calloc(n, sizeof(Slot));

        if (!slots)
                return -ENOMEM;
        for (size_t i = 0; i < x->n_slots; i++)
                if (x->slots[i].key)
                        *find_slot(slots, n, x->slots[i].key, x->slots[i].hash) = x->slots[i];
        free(x->slots);
        x->slots = slots;
        x->n_slots = n;
        return 0;
}

int str_index_put(StrIndex **xp, const char *key, size_t value) {
        StrIndex *x;
        uint64_t hash;
        Slot *s;
        int r;

        if (!xp || !key)
                return -EINVAL;
        if (!*xp && !(*xp = calloc(1, sizeof(StrIndex))))
                return -ENOMEM;
        x = *xp;
        if ((x->n_used + 1) * 10 > x->n_slots * 7 && (r = grow(x)) < 0)
                return r;

        hash = hash_string(key);
        s = find_slot(x->slots, x->n_slots, key, hash);
        if (s->key) {
                s->value = value;
                return 1;
        }
        s->key = strdup(key);
        if (!s->key)
                return -ENOMEM;
        s->hash = hash;
        s->value = value;
        x->n_used++;
        return 0;
}

bool str_index_get(const StrIndex *x, const char *key, size_t *ret) {
        if (!x || !key || x->n_slots == 0)
                return false;
        const Slot *s = find_slot(x->slots, x->n_slots, key, hash_string(key));
        if (!s->key)
                return false;
        if (ret)
                *ret = s->value;
        return true;
}
