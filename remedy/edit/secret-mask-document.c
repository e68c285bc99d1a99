/* SPDX-License-Identifier: MIT */
/*
 * Secrets by meaning in YAML and JSON texts, kubeconfigs above all. A line-based look cannot see
 * that `users: [{name: x, user: {client-key-data: ...}}]`, a one-line JSON kubeconfig, a key
 * written "client-key-\u0064ata" or an explicit "? client-key-data" hold a private key; the
 * kubelet's YAML reader can. So the text is parsed with libyaml (JSON is read as YAML's flow
 * style), each scalar's place decides whether it is a credential, and the scalar's source bytes,
 * from its start mark to its end mark, are marked: quotes, escapes and folded lines included.
 *
 * A scalar is a credential when the key it is the value of is a secret name (secret_name():
 * client-key-data, token, password, ...), when it lies below such a key, anywhere in an
 * auth-provider's config, as the value of an exec plugin's env entry, or after a secret flag
 * ("--token", then the value) in a sequence (an exec plugin's args). An alias in such a place
 * marks what its anchor names. Every other occurrence of the value of a secret key, flag or env
 * entry is marked too, so that a copy under an innocent key does not show it.
 *
 * A text that is not YAML stops the parser at its first error: what was read before it counts,
 * the rest is left to the line rules. Nothing here refuses anything; it only marks.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#include "remedy/macro.h"
#include "remedy/utf8.h"
#include "secret-mask.h"

/* Nesting deeper than this is no kubeconfig: everything from there on is marked. */
#define DOCUMENT_MAX_DEPTH 256U
/* Shorter values are not searched for elsewhere: "true" or "1" would mask half a file. */
#define VALUE_MIN_REPEAT 6U
/* Each value is searched for in the whole text: a bound keeps a file of many thousand tokens
 * linear. Past it, values are still marked where they are. */
#define VALUES_MAX 64U

typedef enum Place {
        PLACE_PLAIN,
        PLACE_AUTH_PROVIDER, /* users[].user.auth-provider: its config holds tokens */
        PLACE_ENV,           /* users[].user.exec.env: a list of {name, value} */
        PLACE_ENV_ITEM,
} Place;

typedef struct Frame {
        bool mapping;
        bool secret;         /* every scalar below is a credential */
        Place place;
        bool want_key;       /* mapping: the next node is a key */
        bool in_key;         /* mapping: this collection is a (non-scalar) key of its parent */
        char *key;           /* mapping: the current key, decoded; NULL for a non-scalar key */
        size_t key_len;
        bool flag_value;     /* sequence: the previous item was a secret flag without "=" */
        char *anchor;        /* the anchor of this collection, registered with its range at the end */
        size_t start;
} Frame;

typedef struct Anchor {
        char *name;
        size_t start, end;
} Anchor;

typedef struct Walker {
        const char *text;    /* after the BOM */
        size_t size, bom;
        size_t chars, bytes; /* the cursor that turns libyaml's character marks into bytes */
        uint8_t *marks;      /* of the whole text, BOM included */
        Frame *frames;
        size_t n_frames, allocated;
        Anchor *anchors;
        size_t n_anchors;
        char **values;       /* credentials' decoded values, to find their copies */
        size_t *value_sizes;
        size_t n_values;
} Walker;

/* A NUL-terminated copy of size bytes that may hold NUL bytes themselves. */
static char *dup_bytes(const char *s, size_t size) {
        char *d = malloc(size + 1);
        if (!d)
                return NULL;
        memcpy(d, s, size);
        d[size] = 0;
        return d;
}

static bool utf8_continuation(char c) {
        return ((unsigned char) c & 0xC0) == 0x80;
}

/* libyaml's mark.index counts characters from after the BOM. Marks arrive in nearly increasing
 * order, so one cursor walked both ways keeps the conversion linear. */
static size_t walker_offset(Walker *w, const yaml_mark_t *m) {
        while (w->chars < m->index && w->bytes < w->size) {
                do
                        w->bytes++;
                while (w->bytes < w->size && utf8_continuation(w->text[w->bytes]));
                w->chars++;
        }
        while (w->chars > m->index && w->bytes > 0) {
                do
                        w->bytes--;
                while (w->bytes > 0 && utf8_continuation(w->text[w->bytes]));
                w->chars--;
        }
        return w->bom + w->bytes;
}

static void mark_bytes(Walker *w, size_t from, size_t to) {
        to = MIN(to, w->bom + w->size);
        if (from < to)
                memset(w->marks + from, 1, to - from);
}

static int remember_value(Walker *w, const char *value, size_t size) {
        if (size < VALUE_MIN_REPEAT || w->n_values >= VALUES_MAX)
                return 0;
        for (size_t i = 0; i < w->n_values; i++)
                if (w->value_sizes[i] == size && memcmp(w->values[i], value, size) == 0)
                        return 0;
        char **v = realloc(w->values, sizeof(char *) * (w->n_values + 1));
        if (!v)
                return -ENOMEM;
        w->values = v;
        size_t *s = realloc(w->value_sizes, sizeof(size_t) * (w->n_values + 1));
        if (!s)
                return -ENOMEM;
        w->value_sizes = s;
        if (!(w->values[w->n_values] = dup_bytes(value, size)))
                return -ENOMEM;
        w->value_sizes[w->n_values++] = size;
        return 0;
}

static int remember_anchor(Walker *w, const char *name, size_t start, size_t end) {
        Anchor *a = realloc(w->anchors, sizeof(Anchor) * (w->n_anchors + 1));
        if (!a)
                return -ENOMEM;
        w->anchors = a;
        if (!(a[w->n_anchors].name = strdup(name)))
                return -ENOMEM;
        a[w->n_anchors].start = start;
        a[w->n_anchors++].end = end;
        return 0;
}

static bool key_is(const Frame *f, const char *name) {
        return f->key && f->key_len == strlen(name) && strncasecmp(f->key, name, f->key_len) == 0;
}

/* Where the node that starts now sits, and so whether it is a credential and what it is. */
typedef struct Slot {
        bool secret;
        bool named;          /* secret for itself (its key, its flag, an env value), not for a key above */
        bool is_key;
        Place place;
} Slot;

static Slot slot_of_next(const Walker *w) {
        if (w->n_frames == 0)
                return (Slot) {};
        const Frame *f = &w->frames[w->n_frames - 1];
        if (!f->mapping)
                return (Slot) {
                        .secret = f->secret || f->flag_value,
                        .named = f->flag_value,
                        .place = f->place == PLACE_ENV ? PLACE_ENV_ITEM : PLACE_PLAIN,
                };
        if (f->want_key)
                return (Slot) { .secret = f->secret, .is_key = true };

        Slot s = { .named = f->key && secret_name(f->key, f->key_len) };
        if (f->place == PLACE_ENV_ITEM && key_is(f, "value"))
                s.named = true;
        /* An auth provider's config holds tokens under names of its own choosing. */
        s.secret = s.named || f->secret || (f->place == PLACE_AUTH_PROVIDER && key_is(f, "config"));
        if (key_is(f, "auth-provider"))
                s.place = PLACE_AUTH_PROVIDER;
        else if (key_is(f, "env"))
                s.place = PLACE_ENV;
        return s;
}

/* The node in the top frame's slot is complete: a mapping wants its next key, or the value. */
static void slot_done(Walker *w, bool was_key, const char *scalar, size_t size) {
        if (w->n_frames == 0)
                return;
        Frame *f = &w->frames[w->n_frames - 1];
        if (!f->mapping) {
                bool has_value = false;
                f->flag_value = scalar && secret_flag(scalar, size, &has_value) && !has_value;
                return;
        }
        if (was_key) {
                f->want_key = false;
                return;
        }
        f->key = mfree(f->key);
        f->key_len = 0;
        f->want_key = true;
}

static int on_scalar(Walker *w, const yaml_event_t *e) {
        const char *value = (const char *) e->data.scalar.value;
        size_t size = e->data.scalar.length;
        size_t start = walker_offset(w, &e->start_mark), end = walker_offset(w, &e->end_mark);
        Slot s = slot_of_next(w);
        bool has_value = false;
        int r;

        if (s.is_key) {
                Frame *f = &w->frames[w->n_frames - 1];
                free(f->key);
                if (!(f->key = dup_bytes(value, size)))
                        return -ENOMEM;
                f->key_len = size;
        } else {
                if (w->n_frames > 0 && !w->frames[w->n_frames - 1].mapping && secret_flag(value, size, &has_value) &&
                    has_value)
                        s.secret = s.named = true;
                if (s.secret)
                        mark_bytes(w, start, end);
                /* Only a value secret in itself is looked for elsewhere: the cluster name "kubernetes"
                 * beside a token in an auth provider's config is no secret to hunt. */
                if (s.named && (r = remember_value(w, value, size)) < 0)
                        return r;
        }
        if (e->data.scalar.anchor && (r = remember_anchor(w, (const char *) e->data.scalar.anchor, start, end)) < 0)
                return r;
        slot_done(w, s.is_key, value, size);
        return 0;
}

static int on_alias(Walker *w, const yaml_event_t *e) {
        Slot s = slot_of_next(w);
        if (s.secret && !s.is_key)
                for (size_t i = w->n_anchors; i > 0; i--)
                        if (streq(w->anchors[i - 1].name, (const char *) e->data.alias.anchor)) {
                                mark_bytes(w, w->anchors[i - 1].start, w->anchors[i - 1].end);
                                break;
                        }
        slot_done(w, s.is_key, NULL, 0);
        return 0;
}

static int on_collection_start(Walker *w, const yaml_event_t *e, bool mapping) {
        const yaml_char_t *anchor = mapping ? e->data.mapping_start.anchor : e->data.sequence_start.anchor;
        Slot s = slot_of_next(w);

        if (w->n_frames >= DOCUMENT_MAX_DEPTH) {
                mark_bytes(w, walker_offset(w, &e->start_mark), w->bom + w->size);
                return -E2BIG;
        }
        if (w->n_frames == w->allocated) {
                size_t n = MAX(w->allocated * 2, (size_t) 16);
                Frame *f = realloc(w->frames, sizeof(Frame) * n);
                if (!f)
                        return -ENOMEM;
                w->frames = f;
                w->allocated = n;
        }
        if (s.is_key) {
                /* A mapping or sequence as a key: it names nothing we know. */
                Frame *parent = &w->frames[w->n_frames - 1];
                parent->key = mfree(parent->key);
                parent->key_len = 0;
        }
        w->frames[w->n_frames++] = (Frame) {
                .mapping = mapping,
                .secret = s.secret,
                .place = s.place,
                .want_key = true,
                .in_key = s.is_key,
                .anchor = anchor ? strdup((const char *) anchor) : NULL,
                .start = walker_offset(w, &e->start_mark),
        };
        if (anchor && !w->frames[w->n_frames - 1].anchor)
                return -ENOMEM;
        return 0;
}

static int on_collection_end(Walker *w, const yaml_event_t *e) {
        if (w->n_frames == 0)
                return 0;
        Frame *f = &w->frames[--w->n_frames];
        _cleanup_free_ char *anchor = f->anchor;
        bool in_key = f->in_key;
        int r = 0;

        if (anchor)
                r = remember_anchor(w, anchor, f->start, walker_offset(w, &e->end_mark));
        free(f->key);
        slot_done(w, in_key, NULL, 0);
        return r;
}

static int walker_event(Walker *w, const yaml_event_t *e) {
        switch (e->type) {
        case YAML_SCALAR_EVENT:
                return on_scalar(w, e);
        case YAML_ALIAS_EVENT:
                return on_alias(w, e);
        case YAML_SEQUENCE_START_EVENT:
                return on_collection_start(w, e, false);
        case YAML_MAPPING_START_EVENT:
                return on_collection_start(w, e, true);
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT:
                return on_collection_end(w, e);
        default:
                return 0;
        }
}

static void walker_done(Walker *w) {
        for (size_t i = 0; i < w->n_frames; i++) {
                free(w->frames[i].key);
                free(w->frames[i].anchor);
        }
        free(w->frames);
        for (size_t i = 0; i < w->n_anchors; i++)
                free(w->anchors[i].name);
        free(w->anchors);
        for (size_t i = 0; i < w->n_values; i++)
                free(w->values[i]);
        free(w->values);
        free(w->value_sizes);
}

static void parser_deletep(yaml_parser_t **p) {
        if (*p)
                yaml_parser_delete(*p);
}

/* Marks every other occurrence of a credential's value in the text. */
static void mark_copies(Walker *w, const char *data, size_t size) {
        for (size_t i = 0; i < w->n_values; i++)
                for (const char *p = data, *end = data + size;
                     (p = memmem(p, (size_t) (end - p), w->values[i], w->value_sizes[i]));
                     p += w->value_sizes[i])
                        memset(w->marks + (p - data), 1, w->value_sizes[i]);
}

int secret_mark_document(const char *data, size_t size, uint8_t *marks) {
        _cleanup_(walker_done) Walker w = { .marks = marks };
        _cleanup_(parser_deletep) yaml_parser_t *parser_cleanup = NULL;
        yaml_parser_t parser;
        int r = 0;

        /* The character-to-byte conversion needs UTF-8; anything else is no YAML we print. */
        if (size == 0 || memchr(data, 0, size) || !utf8_is_valid_n(data, size))
                return 0;
        w.bom = size >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
        w.text = data + w.bom;
        w.size = size - w.bom;

        if (!yaml_parser_initialize(&parser))
                return -ENOMEM;
        parser_cleanup = &parser;
        yaml_parser_set_input_string(&parser, (const unsigned char *) w.text, w.size);
        yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING);

        for (bool end = false; !end && r >= 0;) {
                yaml_event_t event;
                /* A syntax error ends what YAML can tell; the line rules still run. */
                if (!yaml_parser_parse(&parser, &event))
                        break;
                r = walker_event(&w, &event);
                end = event.type == YAML_STREAM_END_EVENT;
                yaml_event_delete(&event);
        }
        mark_copies(&w, data, size);
        return r == -E2BIG ? 0 : r;
}
