/* SPDX-License-Identifier: MIT */
/*
 * The manifest of a transaction: freeing it, and writing it as JSON (json-c) with every field
 * present, so that what is saved is what manifest-parse.c, strict about each field, reads back.
 */
#include "remedy/backup.h"

#include <json-c/json.h>

#include "remedy/strv.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(json_object *, json_object_put);

static void manifest_playbook_done(ManifestPlaybook *p) {
        free(p->name);
        free(p->path);
        strv_free(p->param_names);
        strv_free(p->param_values);
}

Manifest *manifest_free(Manifest *m) {
        if (!m)
                return NULL;
        free(m->id);
        free(m->created);
        free(m->updated);
        free(m->host);
        free(m->remedy_version);
        free(m->root);
        free(m->command);
        free(m->archive);
        free(m->journal_cursor);
        free(m->error);
        free(m->reverts);
        free(m->rolled_back_by);
        for (size_t i = 0; i < m->n_playbooks; i++)
                manifest_playbook_done(&m->playbooks[i]);
        free(m->playbooks);
        for (size_t i = 0; i < m->n_entries; i++) {
                free(m->entries[i].path);
                free(m->entries[i].kind);
                path_state_done(&m->entries[i].after);
        }
        free(m->entries);
        for (size_t i = 0; i < m->n_dirs; i++)
                free(m->dirs[i].path);
        free(m->dirs);
        for (size_t i = 0; i < m->n_units; i++) {
                free(m->units[i].name);
                free(m->units[i].unit_file_state);
                free(m->units[i].active_state);
        }
        free(m->units);
        for (size_t i = 0; i < m->n_kernel; i++) {
                free(m->kernel[i].kind);
                free(m->kernel[i].name);
                free(m->kernel[i].before);
        }
        free(m->kernel);
        free(m);
        return NULL;
}

void manifest_list_free(Manifest **l, size_t n) {
        if (!l)
                return;
        for (size_t i = 0; i < n; i++)
                manifest_free(l[i]);
        free(l);
}

/* ---- Serialising ---- */

static int add_value(json_object *o, const char *key, json_object *v) {
        if (!v)
                return -ENOMEM;
        if (json_object_object_add(o, key, v) < 0) {
                json_object_put(v);
                return -ENOMEM;
        }
        return 0;
}

/* NULL is written as JSON null, so that optional fields are always present. */
static int add_string(json_object *o, const char *key, const char *s) {
        if (!s)
                return json_object_object_add(o, key, NULL) < 0 ? -ENOMEM : 0;
        return add_value(o, key, json_object_new_string(s));
}

static int append_value(json_object *array, json_object *v) {
        if (!v)
                return -ENOMEM;
        if (json_object_array_add(array, v) < 0) {
                json_object_put(v);
                return -ENOMEM;
        }
        return 0;
}

static json_object *playbook_to_json(const ManifestPlaybook *p) {
        _cleanup_(json_object_putp) json_object *o = json_object_new_object(), *params = json_object_new_array();
        size_t n = strv_length(p->param_names);

        if (!o || !params || strv_length(p->param_values) != n)
                return NULL;
        for (size_t i = 0; i < n; i++) {
                _cleanup_(json_object_putp) json_object *kv = json_object_new_object();
                if (!kv || add_string(kv, "name", p->param_names[i]) < 0 ||
                    add_string(kv, "value", p->param_values[i]) < 0 || append_value(params, TAKE_PTR(kv)) < 0)
                        return NULL;
        }
        if (add_string(o, "name", p->name) < 0 || add_string(o, "path", p->path) < 0 ||
            add_string(o, "sha256", p->sha256) < 0 || add_value(o, "params", TAKE_PTR(params)) < 0)
                return NULL;
        return TAKE_PTR(o);
}

/* JSON null while the state is not known. */
static int add_path_state(json_object *o, const char *key, const PathState *s) {
        if (!s->known)
                return json_object_object_add(o, key, NULL) < 0 ? -ENOMEM : 0;

        _cleanup_(json_object_putp) json_object *v = json_object_new_object();
        if (!v || add_string(v, "kind", s->kind) < 0 || add_string(v, "sha256", s->sha256) < 0 ||
            add_value(v, "mode", json_object_new_int((int) s->mode)) < 0 ||
            add_value(v, "uid", json_object_new_int64((int64_t) s->uid)) < 0 ||
            add_value(v, "gid", json_object_new_int64((int64_t) s->gid)) < 0)
                return -ENOMEM;
        return add_value(o, key, TAKE_PTR(v));
}

static json_object *entry_to_json(const ManifestEntry *e) {
        _cleanup_(json_object_putp) json_object *o = json_object_new_object();

        if (!o || add_string(o, "path", e->path) < 0 || add_value(o, "existed", json_object_new_boolean(e->existed)) < 0 ||
            add_string(o, "kind", e->kind) < 0 || add_string(o, "sha256", e->sha256) < 0 ||
            add_path_state(o, "after", &e->after) < 0)
                return NULL;
        return TAKE_PTR(o);
}

static json_object *dir_to_json(const ManifestDir *d) {
        _cleanup_(json_object_putp) json_object *o = json_object_new_object(), *mtime = json_object_new_object();

        if (!o || !mtime || add_value(mtime, "sec", json_object_new_int64(d->mtime.tv_sec)) < 0 ||
            add_value(mtime, "nsec", json_object_new_int64(d->mtime.tv_nsec)) < 0 ||
            add_string(o, "path", d->path) < 0 || add_value(o, "existed", json_object_new_boolean(d->existed)) < 0 ||
            add_value(o, "mtime", TAKE_PTR(mtime)) < 0)
                return NULL;
        return TAKE_PTR(o);
}

static json_object *unit_to_json(const ManifestUnit *u) {
        _cleanup_(json_object_putp) json_object *o = json_object_new_object();

        if (!o || add_string(o, "name", u->name) < 0 || add_string(o, "unit_file_state", u->unit_file_state) < 0 ||
            add_string(o, "active_state", u->active_state) < 0)
                return NULL;
        return TAKE_PTR(o);
}

static json_object *kernel_to_json(const ManifestKernel *k) {
        _cleanup_(json_object_putp) json_object *o = json_object_new_object();

        if (!o || add_string(o, "kind", k->kind) < 0 || add_string(o, "name", k->name) < 0 ||
            add_string(o, "before", k->before) < 0)
                return NULL;
        return TAKE_PTR(o);
}

int manifest_to_json(const Manifest *m, char **ret) {
        _cleanup_(json_object_putp) json_object *o = json_object_new_object(), *archive = json_object_new_object(),
                                                *playbooks = json_object_new_array(), *entries = json_object_new_array(),
                                                *dirs = json_object_new_array(), *units = json_object_new_array();
        const char *text;
        int r;

        if (!m || !ret)
                return -EINVAL;
        if (!o || !archive || !playbooks || !entries || !dirs || !units)
                return -ENOMEM;

        for (size_t i = 0; i < m->n_playbooks; i++)
                if (append_value(playbooks, playbook_to_json(&m->playbooks[i])) < 0)
                        return -ENOMEM;
        for (size_t i = 0; i < m->n_entries; i++)
                if (append_value(entries, entry_to_json(&m->entries[i])) < 0)
                        return -ENOMEM;
        for (size_t i = 0; i < m->n_dirs; i++)
                if (append_value(dirs, dir_to_json(&m->dirs[i])) < 0)
                        return -ENOMEM;
        for (size_t i = 0; i < m->n_units; i++)
                if (append_value(units, unit_to_json(&m->units[i])) < 0)
                        return -ENOMEM;
        /* Only when there is one: a manifest without kernel steps stays as older remedy wrote it. */
        _cleanup_(json_object_putp) json_object *kernel = NULL;
        if (m->n_kernel > 0) {
                if (!(kernel = json_object_new_array()))
                        return -ENOMEM;
                for (size_t i = 0; i < m->n_kernel; i++)
                        if (append_value(kernel, kernel_to_json(&m->kernel[i])) < 0)
                                return -ENOMEM;
        }

        if (add_string(archive, "name", m->archive) < 0 ||
            add_value(archive, "size", json_object_new_int64((int64_t) m->archive_size)) < 0 ||
            add_string(archive, "sha256", m->archive_sha256) < 0)
                return -ENOMEM;

        const struct {
                const char *key, *value;
        } strings[] = {
                { "id", m->id },
                { "state", txn_state_to_string(m->state) },
                { "created", m->created },
                { "updated", m->updated },
                { "host", m->host },
                { "remedy_version", m->remedy_version },
                { "root", m->root },
                { "command", m->command },
                { "journal_cursor", m->journal_cursor },
                { "error", m->error },
                { "reverts", m->reverts },
                { "rolled_back_by", m->rolled_back_by },
        };
        r = add_value(o, "format", json_object_new_int((int) m->format));
        for (size_t i = 0; r >= 0 && i < ELEMENTSOF(strings); i++)
                r = add_string(o, strings[i].key, strings[i].value);
        if (r >= 0)
                r = add_value(o, "archive", TAKE_PTR(archive));
        if (r >= 0)
                r = add_value(o, "playbooks", TAKE_PTR(playbooks));
        if (r >= 0)
                r = add_value(o, "entries", TAKE_PTR(entries));
        if (r >= 0)
                r = add_value(o, "dirs", TAKE_PTR(dirs));
        if (r >= 0)
                r = add_value(o, "units", TAKE_PTR(units));
        if (r >= 0 && kernel)
                r = add_value(o, "kernel", TAKE_PTR(kernel));
        if (r < 0)
                return r;

        text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
                                                         JSON_C_TO_STRING_NOSLASHESCAPE);
        if (!text)
                return -ENOMEM;
        if (asprintf(ret, "%s\n", text) < 0)
                return -ENOMEM;
        return 0;
}
