/* SPDX-License-Identifier: MIT */
/*
 * Reading the manifest of a transaction from JSON (json-c). The parser is strict because rollback
 * acts on what it reads: every path must be a canonical absolute node path, every hash 64 hex
 * digits, the archive name must be the one derived from the ID, so that a tampered or corrupted
 * manifest is refused before it can direct a write. manifest.c writes it.
 */
#include "remedy/backup.h"

#include <ctype.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdarg.h>

#include "remedy/str-index.h"
#include "remedy/strv.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(json_object *, json_object_put);
DEFINE_TRIVIAL_CLEANUP_FUNC(json_tokener *, json_tokener_free);

/* Manifests are small; a few MiB is far beyond any real one and bounds what a corrupt file costs. */
#define MANIFEST_SIZE_MAX (8U * 1024U * 1024U)
#define MANIFEST_DEPTH_MAX 16

static bool isempty_str(const char *s) {
        return !s || !*s;
}

static bool sha256_hex_is_valid(const char *s) {
        if (!s || strlen(s) != SHA256_HEX_SIZE - 1)
                return false;
        for (const char *p = s; *p; p++)
                if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
                        return false;
        return true;
}

static bool node_path_is_canonical(const char *path) {
        _cleanup_free_ char *normalized = NULL;

        if (!path || path_normalize(path, &normalized) < 0)
                return false;
        return streq(normalized, path);
}

_printf_(2, 3) static int parse_fail(char **ret_error, const char *fmt, ...) {
        va_list ap;

        if (ret_error) {
                free(*ret_error);
                *ret_error = NULL;
                va_start(ap, fmt);
                if (vasprintf(ret_error, fmt, ap) < 0)
                        *ret_error = NULL;
                va_end(ap);
        }
        return -EBADMSG;
}

static int get_field(json_object *o, const char *key, json_type type, bool nullable, const char *where,
                     json_object **ret, char **ret_error) {
        json_object *v = NULL;

        if (!json_object_object_get_ex(o, key, &v))
                return parse_fail(ret_error, "%s%s: missing", where, key);
        if (!v && nullable) {
                *ret = NULL;
                return 0;
        }
        if (!json_object_is_type(v, type))
                return parse_fail(ret_error, "%s%s: expected %s", where, key, json_type_to_name(type));
        *ret = v;
        return 0;
}

/* Strings must not hold NUL: they become paths and names. */
static int get_string(json_object *o, const char *key, bool nullable, const char *where, char **ret, char **ret_error) {
        json_object *v = NULL;
        int r;

        r = get_field(o, key, json_type_string, nullable, where, &v, ret_error);
        if (r < 0)
                return r;
        if (!v) {
                *ret = NULL;
                return 0;
        }
        if ((size_t) json_object_get_string_len(v) != strlen(json_object_get_string(v)))
                return parse_fail(ret_error, "%s%s: contains a NUL character", where, key);
        *ret = strdup(json_object_get_string(v));
        return *ret ? 0 : -ENOMEM;
}

static int get_nonempty_string(json_object *o, const char *key, const char *where, char **ret, char **ret_error) {
        int r = get_string(o, key, false, where, ret, ret_error);
        if (r < 0)
                return r;
        if (isempty_str(*ret))
                return parse_fail(ret_error, "%s%s: empty", where, key);
        return 0;
}

static int get_int64(json_object *o, const char *key, const char *where, int64_t min, int64_t max, int64_t *ret,
                     char **ret_error) {
        json_object *v = NULL;
        int64_t i;
        int r;

        r = get_field(o, key, json_type_int, false, where, &v, ret_error);
        if (r < 0)
                return r;
        errno = 0;
        i = json_object_get_int64(v);
        if (errno != 0 || i < min || i > max)
                return parse_fail(ret_error, "%s%s: out of range", where, key);
        *ret = i;
        return 0;
}

static int get_bool(json_object *o, const char *key, const char *where, bool *ret, char **ret_error) {
        json_object *v = NULL;
        int r = get_field(o, key, json_type_boolean, false, where, &v, ret_error);
        if (r < 0)
                return r;
        *ret = json_object_get_boolean(v);
        return 0;
}

static int get_sha256(json_object *o, const char *key, bool allow_empty, const char *where, char ret[static SHA256_HEX_SIZE],
                      char **ret_error) {
        _cleanup_free_ char *s = NULL;
        int r = get_string(o, key, false, where, &s, ret_error);
        if (r < 0)
                return r;
        if (!(allow_empty && isempty_str(s)) && !sha256_hex_is_valid(s))
                return parse_fail(ret_error, "%s%s: not a SHA-256 in lowercase hex", where, key);
        strcpy(ret, s);
        return 0;
}

static int get_canonical_path(json_object *o, const char *key, const char *where, bool allow_root, char **ret,
                              char **ret_error) {
        int r = get_string(o, key, false, where, ret, ret_error);
        if (r < 0)
                return r;
        if (!node_path_is_canonical(*ret) || (!allow_root && streq(*ret, "/")))
                return parse_fail(ret_error, "%s%s: \"%s\" is not a canonical absolute path", where, key, *ret);
        return 0;
}

static int parse_playbook(json_object *o, const char *where, void *elem, char **ret_error) {
        ManifestPlaybook *p = elem;
        json_object *params = NULL;
        size_t n;
        int r;

        r = get_nonempty_string(o, "name", where, &p->name, ret_error);
        if (r >= 0)
                r = get_string(o, "path", false, where, &p->path, ret_error);
        if (r >= 0)
                r = get_sha256(o, "sha256", false, where, p->sha256, ret_error);
        if (r >= 0)
                r = get_field(o, "params", json_type_array, false, where, &params, ret_error);
        if (r < 0)
                return r;

        n = json_object_array_length(params);
        for (size_t i = 0; i < n; i++) {
                json_object *kv = json_object_array_get_idx(params, i);
                _cleanup_free_ char *name = NULL, *value = NULL;
                char param_where[96];

                if (!json_object_is_type(kv, json_type_object))
                        return parse_fail(ret_error, "%sparams[%zu]: expected an object", where, i);
                /* An error names the parameter's own field, not the playbook's. */
                (void) snprintf(param_where, sizeof param_where, "%sparams[%zu].", where, i);
                r = get_nonempty_string(kv, "name", param_where, &name, ret_error);
                if (r < 0)
                        return r;  /* an empty name was copied: the cleanup frees it */
                r = strv_consume(&p->param_names, TAKE_PTR(name));
                if (r < 0)
                        return r;
                r = get_string(kv, "value", false, param_where, &value, ret_error);
                if (r < 0)
                        return r;
                r = strv_consume(&p->param_values, TAKE_PTR(value));
                if (r < 0)
                        return r;
        }
        return 0;
}

static int parse_path_state(json_object *o, const char *key, const char *where, PathState *s, char **ret_error) {
        json_object *v = NULL;
        int64_t mode, uid, gid;
        char state_where[96];
        int r;

        r = get_field(o, key, json_type_object, true, where, &v, ret_error);
        if (r < 0 || !v)
                return r;
        (void) snprintf(state_where, sizeof state_where, "%s%s.", where, key);
        r = get_string(v, "kind", false, state_where, &s->kind, ret_error);
        if (r < 0)
                return r;
        if (!streq(s->kind, "file") && !streq(s->kind, "symlink") && !streq(s->kind, "absent") &&
            !streq(s->kind, "other"))
                return parse_fail(ret_error, "%skind: unknown kind \"%s\"", state_where, s->kind);
        r = get_sha256(v, "sha256", !streq(s->kind, "file") && !streq(s->kind, "symlink"), state_where, s->sha256,
                       ret_error);
        if (r >= 0)
                r = get_int64(v, "mode", state_where, 0, 07777, &mode, ret_error);
        if (r >= 0)
                r = get_int64(v, "uid", state_where, 0, UINT32_MAX - 1, &uid, ret_error);
        if (r >= 0)
                r = get_int64(v, "gid", state_where, 0, UINT32_MAX - 1, &gid, ret_error);
        if (r < 0)
                return r;
        s->mode = (mode_t) mode;
        s->uid = (uid_t) uid;
        s->gid = (gid_t) gid;
        s->known = true;
        return 0;
}

static int parse_entry(json_object *o, const char *where, void *elem, char **ret_error) {
        ManifestEntry *e = elem;
        int r;

        r = get_canonical_path(o, "path", where, false, &e->path, ret_error);
        if (r >= 0)
                r = get_bool(o, "existed", where, &e->existed, ret_error);
        if (r >= 0)
                r = get_string(o, "kind", false, where, &e->kind, ret_error);
        if (r < 0)
                return r;
        if (!streq(e->kind, "file") && !streq(e->kind, "symlink") && !streq(e->kind, "absent"))
                return parse_fail(ret_error, "%skind: unknown kind \"%s\"", where, e->kind);
        if (e->existed != !streq(e->kind, "absent"))
                return parse_fail(ret_error, "%sexisted: contradicts kind \"%s\"", where, e->kind);
        return get_sha256(o, "sha256", !streq(e->kind, "file"), where, e->sha256, ret_error);
}

/* Format 2 records what the transaction left each path as (null until it finished). */
static int parse_entry_v2(json_object *o, const char *where, void *elem, char **ret_error) {
        ManifestEntry *e = elem;
        int r = parse_entry(o, where, elem, ret_error);
        if (r < 0)
                return r;
        return parse_path_state(o, "after", where, &e->after, ret_error);
}

static int parse_dir(json_object *o, const char *where, void *elem, char **ret_error) {
        ManifestDir *d = elem;
        json_object *mtime = NULL;
        int64_t sec, nsec;
        char mtime_where[96];
        int r;

        r = get_canonical_path(o, "path", where, true, &d->path, ret_error);
        if (r >= 0)
                r = get_bool(o, "existed", where, &d->existed, ret_error);
        if (r >= 0)
                r = get_field(o, "mtime", json_type_object, false, where, &mtime, ret_error);
        if (r < 0)
                return r;
        (void) snprintf(mtime_where, sizeof mtime_where, "%smtime.", where);
        r = get_int64(mtime, "sec", mtime_where, INT64_MIN, INT64_MAX, &sec, ret_error);
        if (r >= 0)
                r = get_int64(mtime, "nsec", mtime_where, 0, 999999999, &nsec, ret_error);
        if (r < 0)
                return r;
        d->mtime.tv_sec = (time_t) sec;
        d->mtime.tv_nsec = (long) nsec;
        return 0;
}

static int parse_unit(json_object *o, const char *where, void *elem, char **ret_error) {
        ManifestUnit *u = elem;
        int r;

        r = get_nonempty_string(o, "name", where, &u->name, ret_error);
        if (r >= 0)
                r = get_string(o, "unit_file_state", false, where, &u->unit_file_state, ret_error);
        if (r >= 0)
                r = get_string(o, "active_state", false, where, &u->active_state, ret_error);
        if (r < 0)
                return r;
        if (strchr(u->name, '/'))
                return parse_fail(ret_error, "%sname: \"%s\" is not a unit name", where, u->name);
        return 0;
}

static int parse_kernel(json_object *o, const char *where, void *elem, char **ret_error) {
        ManifestKernel *k = elem;
        int r;

        r = get_nonempty_string(o, "kind", where, &k->kind, ret_error);
        if (r >= 0)
                r = get_nonempty_string(o, "name", where, &k->name, ret_error);
        if (r >= 0)
                r = get_string(o, "before", false, where, &k->before, ret_error);
        if (r < 0)
                return r;
        /* The names end up in /proc/sys paths and delete_module(2): checked again where used,
         * refused here already when they are not what remedy writes. */
        if (!streq(k->kind, "sysctl") && !streq(k->kind, "module"))
                return parse_fail(ret_error, "%skind: \"%s\" is not sysctl or module", where, k->kind);
        for (const char *p = k->name; *p; p++)
                if (!isalnum((unsigned char) *p) && !strchr("._-/:@+", *p))
                        return parse_fail(ret_error, "%sname: \"%s\" is not a kernel setting", where, k->name);
        if (strstr(k->name, "..") || *k->name == '.' || *k->name == '/')
                return parse_fail(ret_error, "%sname: \"%s\" is not a kernel setting", where, k->name);
        return 0;
}

typedef int (*ParseElement)(json_object *o, const char *where, void *elem, char **ret_error);

/* Parses an array of objects into a calloc'd C array. The count is set before parsing so that a
 * half-parsed array (zeroed elements free cleanly) is released by manifest_free(). */
static int parse_array(json_object *o, const char *key, size_t elem_size, ParseElement parse, void **ret, size_t *ret_n,
                       char **ret_error) {
        json_object *array = NULL;
        size_t n;
        int r;

        r = get_field(o, key, json_type_array, false, "", &array, ret_error);
        if (r < 0)
                return r;
        n = json_object_array_length(array);
        if (n == 0)
                return 0;
        *ret = calloc(n, elem_size);
        if (!*ret)
                return -ENOMEM;
        *ret_n = n;
        for (size_t i = 0; i < n; i++) {
                json_object *e = json_object_array_get_idx(array, i);
                char where[64];

                if (!json_object_is_type(e, json_type_object))
                        return parse_fail(ret_error, "%s[%zu]: expected an object", key, i);
                (void) snprintf(where, sizeof where, "%s[%zu].", key, i);
                r = parse(e, where, (char *) *ret + i * elem_size, ret_error);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int parse_archive(json_object *o, Manifest *m, char **ret_error) {
        _cleanup_free_ char *expected = NULL;
        json_object *archive = NULL;
        int64_t size;
        int r;

        r = get_field(o, "archive", json_type_object, false, "", &archive, ret_error);
        if (r >= 0)
                r = get_string(archive, "name", false, "archive.", &m->archive, ret_error);
        if (r >= 0)
                r = get_int64(archive, "size", "archive.", 0, INT64_MAX, &size, ret_error);
        if (r >= 0)
                r = get_sha256(archive, "sha256", false, "archive.", m->archive_sha256, ret_error);
        if (r < 0)
                return r;
        m->archive_size = (uint64_t) size;

        /* The name is derived, never trusted: a manifest cannot point rollback at another file. */
        if (asprintf(&expected, "%s" TXN_ARCHIVE_SUFFIX, m->id) < 0)
                return -ENOMEM;
        if (!streq(m->archive, expected))
                return parse_fail(ret_error, "archive.name: \"%s\" is not \"%s\"", m->archive, expected);
        return 0;
}

static int parse_manifest(json_object *o, Manifest *m, char **ret_error) {
        _cleanup_free_ char *state = NULL;
        int64_t format;
        int r;

        if (!json_object_is_type(o, json_type_object))
                return parse_fail(ret_error, "not a JSON object");

        r = get_int64(o, "format", "", INT64_MIN, INT64_MAX, &format, ret_error);
        if (r < 0)
                return r;
        if (format < MANIFEST_FORMAT_MIN || format > MANIFEST_FORMAT)
                return parse_fail(ret_error, "format: unsupported manifest format %" PRIi64, format);
        m->format = (unsigned) format;

        r = get_string(o, "id", false, "", &m->id, ret_error);
        if (r < 0)
                return r;
        if (!txn_id_is_valid(m->id))
                return parse_fail(ret_error, "id: \"%s\" is not a transaction ID", m->id);

        r = get_string(o, "state", false, "", &state, ret_error);
        if (r < 0)
                return r;
        r = txn_state_from_string(state);
        if (r < 0)
                return parse_fail(ret_error, "state: unknown state \"%s\"", state);
        m->state = r;

        r = get_nonempty_string(o, "created", "", &m->created, ret_error);
        if (r >= 0)
                r = get_nonempty_string(o, "updated", "", &m->updated, ret_error);
        if (r >= 0)
                r = get_string(o, "host", false, "", &m->host, ret_error);
        if (r >= 0)
                r = get_string(o, "remedy_version", false, "", &m->remedy_version, ret_error);
        if (r >= 0)
                r = get_canonical_path(o, "root", "", true, &m->root, ret_error);
        if (r >= 0)
                r = get_string(o, "command", false, "", &m->command, ret_error);
        if (r >= 0)
                r = get_string(o, "journal_cursor", true, "", &m->journal_cursor, ret_error);
        if (r >= 0)
                r = get_string(o, "error", true, "", &m->error, ret_error);
        if (r >= 0 && m->format >= 2)
                r = get_string(o, "reverts", true, "", &m->reverts, ret_error);
        if (r >= 0 && m->format >= 2)
                r = get_string(o, "rolled_back_by", true, "", &m->rolled_back_by, ret_error);
        if (r >= 0)
                r = parse_archive(o, m, ret_error);
        if (r < 0)
                return r;
        if (m->reverts && !txn_id_is_valid(m->reverts))
                return parse_fail(ret_error, "reverts: \"%s\" is not a transaction ID", m->reverts);
        if (m->rolled_back_by && !txn_id_is_valid(m->rolled_back_by))
                return parse_fail(ret_error, "rolled_back_by: \"%s\" is not a transaction ID", m->rolled_back_by);

        r = parse_array(o, "playbooks", sizeof(ManifestPlaybook), parse_playbook, (void **) &m->playbooks, &m->n_playbooks,
                        ret_error);
        if (r >= 0)
                r = parse_array(o, "entries", sizeof(ManifestEntry), m->format >= 2 ? parse_entry_v2 : parse_entry,
                                (void **) &m->entries, &m->n_entries, ret_error);
        if (r >= 0)
                r = parse_array(o, "dirs", sizeof(ManifestDir), parse_dir, (void **) &m->dirs, &m->n_dirs, ret_error);
        if (r >= 0)
                r = parse_array(o, "units", sizeof(ManifestUnit), parse_unit, (void **) &m->units, &m->n_units, ret_error);
        if (r >= 0 && json_object_object_get_ex(o, "kernel", NULL))
                r = parse_array(o, "kernel", sizeof(ManifestKernel), parse_kernel, (void **) &m->kernel, &m->n_kernel,
                                ret_error);
        if (r < 0)
                return r;

        _cleanup_(str_index_freep) StrIndex *seen = NULL;
        for (size_t i = 0; i < m->n_entries; i++) {
                if (str_index_get(seen, m->entries[i].path, NULL))
                        return parse_fail(ret_error, "entries[%zu].path: \"%s\" listed twice", i, m->entries[i].path);
                if ((r = str_index_put(&seen, m->entries[i].path, i)) < 0)
                        return r;
        }
        return 0;
}

/* LINE:COLUMN (1-based) of a byte offset, for syntax errors. */
static void offset_to_line_column(const char *data, size_t offset, unsigned *ret_line, unsigned *ret_column) {
        unsigned line = 1, column = 1;

        for (size_t i = 0; i < offset; i++) {
                if (data[i] == '\n') {
                        line++;
                        column = 1;
                } else
                        column++;
        }
        *ret_line = line;
        *ret_column = column;
}

int manifest_from_json(const char *data, size_t size, Manifest **ret, char **ret_error) {
        _cleanup_(json_tokener_freep) json_tokener *tok = NULL;
        _cleanup_(json_object_putp) json_object *o = NULL;
        _cleanup_(manifest_freep) Manifest *m = NULL;
        enum json_tokener_error jerr;
        size_t consumed;
        int r;

        if (!data || !ret)
                return -EINVAL;
        if (ret_error)
                *ret_error = NULL;
        if (size > MANIFEST_SIZE_MAX || size > INT32_MAX)
                return parse_fail(ret_error, "manifest too large (%zu bytes)", size);
        if (memchr(data, 0, size))
                return parse_fail(ret_error, "manifest contains a NUL byte");

        tok = json_tokener_new_ex(MANIFEST_DEPTH_MAX);
        if (!tok)
                return -ENOMEM;
        json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
        o = json_tokener_parse_ex(tok, data, (int) size);
        jerr = json_tokener_get_error(tok);
        consumed = json_tokener_get_parse_end(tok);
        if (!o || jerr != json_tokener_success) {
                unsigned line, column;
                offset_to_line_column(data, MIN(consumed, size), &line, &column);
                if (jerr == json_tokener_continue)
                        return parse_fail(ret_error, "%u:%u: unexpected end of manifest", line, column);
                return parse_fail(ret_error, "%u:%u: %s", line, column, json_tokener_error_desc(jerr));
        }
        for (size_t i = consumed; i < size; i++)
                if (!strchr(" \t\r\n", data[i])) {
                        unsigned line, column;
                        offset_to_line_column(data, i, &line, &column);
                        return parse_fail(ret_error, "%u:%u: trailing data after the manifest", line, column);
                }

        m = calloc(1, sizeof(Manifest));
        if (!m)
                return -ENOMEM;
        r = parse_manifest(o, m, ret_error);
        if (r < 0)
                return r;

        *ret = TAKE_PTR(m);
        return 0;
}
