/* SPDX-License-Identifier: MIT */
/*
 * containerd-runtimes: {systemd_cgroup: BOOL, path: PATH}    (path: containerd's main config,
 *                                                             the one its unit passes)
 *
 * Puts every runtime containerd runs pods with on the cgroup driver asked for, in the file and
 * the table that decide it, every other byte kept. Which runtimes, and what decides each, is the
 * effective configuration as containerd-config.h reads it with the rules of the node's
 * containerd (its imports merged, its version's plugin ids):
 *
 *   - the default runtime and every configured runc runtime (io.containerd.runc.v2, runc.v1,
 *     1.x's v1 linux shim): a GPU node's default "nvidia" as well as runc. A runtime that is not
 *     runc-based (kata, gVisor) is left alone, and the note says so;
 *   - a runc runtime gets options.SystemdCgroup (the key's existing spelling kept) in the file
 *     whose value wins, else the last file that defines the runtime, else the file whose CRI
 *     table containerd reads (the main file, or under 1.x the import whose CRI table replaced
 *     the main file's);
 *   - the v1 linux shim without an options table follows the CRI plugin's systemd_cgroup: that
 *     is set instead;
 *   - runtime_type is named only where the runtime's table is created or containerd would see
 *     none (1.x reads a table without it as a runtime of no type, whose options it ignores);
 *   - containerd 1.x refuses to load its CRI plugin when the deprecated systemd_cgroup = true is
 *     set and the default runtime is not the v1 linux shim: that key is then set to false, as the
 *     runtime's own option replaces it.
 *
 * Without a main file containerd runs on its compiled-in defaults (runc, cgroupfs); the step then
 * writes one that says only what it changes: the version header and the runtime's table (version
 * 2 with the 1.x plugin id, which 2.x reads too, unless the node's containerd package says 2.x),
 * so that every other setting stays containerd's default.
 *
 * A configuration remedy cannot read (a version newer than the node's containerd reads, a value
 * of the wrong type, a missing import) is bad input: the step fails with the file and line.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "remedy/containerd-node.h"
#include "remedy/context.h"
#include "remedy/edit-value.h"
#include "remedy/strv.h"
#include "remedy/toml-edit.h"

#define RUNC_V2 "io.containerd.runc.v2"
#define LINUX_V1 "io.containerd.runtime.v1.linux"
#define CRI_V1 "cri"
#define CRI_V2 "io.containerd.grpc.v1.cri"
#define CRI_RUNTIME_V3 "io.containerd.cri.v1.runtime"

typedef struct RuntimesArgs {
        bool systemd_cgroup;
        Template *path;
} RuntimesArgs;

static void runtimes_free(void *p) {
        RuntimesArgs *a = p;
        if (!a)
                return;
        template_free(a->path);
        free(a);
}

static int runtimes_parse(ParseContext *pc, const YamlNode *args, void **ret) {
        static const char * const keys[] = { "systemd_cgroup", "path", NULL };
        RuntimesArgs *a = calloc(1, sizeof(RuntimesArgs));
        int r;

        if (!a)
                return -ENOMEM;
        if ((r = parse_check_keys(pc, args, "containerd-runtimes", keys)) < 0 ||
            (r = parse_bool(pc, args, "systemd_cgroup", true, &a->systemd_cgroup)) < 0 ||
            (r = parse_template(pc, args, "path", false, TEMPLATE_PATH, "a path", &a->path)) < 0) {
                runtimes_free(a);
                return r;
        }
        *ret = a;
        return 0;
}

/*
 * The same key in the template k3s or RKE2 renders generated from (containerd-node.h): the
 * template edited as TOML, or, where there is none, created from the rendered file as k3s
 * documents (its marker kept, so that the file rendered from it is still known for k3s's). A
 * template with Go template actions ({{ ... }}) is not TOML remedy can edit: refused, named.
 */
static int set_key_in_template(Context *c, Change *change, const char *generated, const char *template_path,
                               const char *tool, const char *table, const char *key, const EditValue *value,
                               FILE *note) {
        _cleanup_free_ char *data = NULL, *error = NULL;
        const NodeFile *f, *t;
        size_t size = 0;
        mode_t mode = (mode_t) -1;
        uid_t uid = (uid_t) -1;
        gid_t gid = (gid_t) -1;
        int r;

        if ((r = ctx_read(c, template_path, true, &t)) < 0)
                return r;
        bool create = t->kind == FILE_ABSENT;
        if (!create && t->kind != FILE_REGULAR)
                return ctx_error(c, -EINVAL, "%s: %s renders %s from it, and it is not a regular file", template_path, tool,
                                 generated);
        if (!create && memmem(t->data, t->size, "{{", 2))
                return ctx_error(c, -EROFS,
                                 "%s: %s renders %s from this template at every start, and it holds Go template actions "
                                 "remedy does not edit: set %s = %s in [%s] there, then restart %s",
                                 template_path, tool, generated, key, value->text, table, tool);
        if (create) {
                if ((r = ctx_read_regular(c, generated, "containerd's configuration", &f)) < 0)
                        return r;
                mode = f->mode, uid = f->uid, gid = f->gid;
        } else
                f = t;
        /* f is the template's or the rendered file's planned state: read before the template is
         * wanted anew */
        r = toml_edit_set(f->data, f->size, table, key, value, &data, &size, &error);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return ctx_edit_error(c, -EINVAL, create ? generated : template_path, error, strerror(-r));
        if (r == 0)
                return 0;   /* no template is made for a value the rendered file has already */
        r = ctx_want_file(c, change, template_path, data, size, mode, uid, gid);
        if (r <= 0)
                return r;
        if (create)
                fprintf(note, "%s%s = %s in [%s] of %s (new: %s renders %s from it at every start; made from that file, "
                        "as k3s documents, so its other values no longer follow %s's upgrades)",
                        ftell(note) > 0 ? "; " : "", key, value->text, table, template_path, tool, generated, tool);
        else
                fprintf(note, "%s%s = %s in [%s] of %s (%s's template)", ftell(note) > 0 ? "; " : "", key, value->text,
                        table, template_path, tool);
        return 1;
}

/* One key of one table of a file, set in the plan: 1 changed, 0 already so. note gets a line. */
static int set_key(Context *c, Change *change, const char *path, const char *table, const char *key,
                   const EditValue *value, FILE *note) {
        _cleanup_free_ char *data = NULL, *error = NULL, *old = NULL;
        const NodeFile *f;
        size_t size = 0;
        int r;

        /* /usr is the OS image's (read-only on Flatcar, replaced whole by an update elsewhere):
         * an edit there would fail or not last */
        if (startswith(path, "/usr/"))
                return ctx_error(c, -EROFS,
                                 "%s: belongs to the OS image (/usr, read-only on Flatcar): copy it to "
                                 "/etc/containerd/config.toml, make containerd read that one (a containerd.service "
                                 "drop-in: ExecStart= then ExecStart=containerd --config /etc/containerd/config.toml, "
                                 "or Environment=CONTAINERD_CONFIG=/etc/containerd/config.toml on Flatcar), and run "
                                 "this again", path);

        if ((r = ctx_read_regular(c, path, "containerd's configuration", &f)) < 0)
                return r;
        _cleanup_free_ char *template_path = NULL;
        const char *tool;
        if ((r = containerd_generated_template(c, path, f, &template_path, &tool)) < 0)
                return r;
        if (r > 0) {
                /* The template, for the next start; the rendered file too, for containerd as it runs
                 * now and for what remedy judges, as k3s will render it from the template. */
                if ((r = set_key_in_template(c, change, path, template_path, tool, table, key, value, note)) < 0 ||
                    (r = ctx_read_regular(c, path, "containerd's configuration", &f)) < 0)
                        return r;
        }
        _cleanup_free_ char *refusal = NULL;
        if ((r = containerd_generated_refusal(c, path, f, &refusal)) < 0)
                return r;
        if (r > 0)
                return ctx_error(c, -EROFS, "%s", refusal);
        r = toml_edit_set(f->data, f->size, table, key, value, &data, &size, &error);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return ctx_edit_error(c, -EINVAL, path, error, strerror(-r));
        if (r == 0)
                return 0;
        if (toml_edit_get_key(f->data, f->size, table, key, &old, NULL) == -ENOMEM)
                return -ENOMEM;
        /* f belongs to the overlay and is gone once we want the new content */
        r = ctx_want_file(c, change, path, data, size, (mode_t) -1, (uid_t) -1, (gid_t) -1);
        if (r <= 0)
                return r;
        fprintf(note, "%s%s = %s in [%s] of %s (was %s)", ftell(note) > 0 ? "; " : "", key, value->text, table, path,
                old ? old : "unset");
        return 1;
}

/* Whether the planned state of path has the table (a dotted key from the root). */
static int has_table(Context *c, const char *path, const char *table) {
        _cleanup_free_ char *value = NULL;
        const NodeFile *f;
        int r;

        if ((r = ctx_read(c, path, true, &f)) < 0)
                return r;
        if (f->kind != FILE_REGULAR)
                return 0;
        r = toml_edit_get(f->data, f->size, table, &value, NULL);
        return r < 0 ? (r == -ENOMEM ? r : 0) : r;
}

static int file_version(Context *c, const char *path) {
        _cleanup_free_ char *value = NULL;
        const NodeFile *f;
        int r;

        if ((r = ctx_read(c, path, true, &f)) < 0)
                return r;
        if (f->kind != FILE_REGULAR || toml_edit_get(f->data, f->size, "version", &value, NULL) <= 0)
                return 0;
        return atoi(value);
}

/*
 * The CRI plugin's table in file, as that file must spell it for containerd to read it there:
 * the id under which the file already defines the runtime (table_path), else the one the file
 * uses at all, else the one of its version.
 */
static int cri_table_in(Context *c, const ContainerdConfig *cfg, const char *file, const char *table_path, char **ret) {
        const char *ids_2[] = { CRI_RUNTIME_V3, CRI_V2, CRI_V1, NULL };
        const char *ids_1[] = { cfg->version <= 1 ? CRI_V1 : CRI_V2, NULL };
        const char * const *ids = cfg->rules == 2 ? ids_2 : ids_1;
        int r;

        for (int pass = 0; pass < 2; pass++)
                for (const char * const *id = ids; *id; id++) {
                        _cleanup_free_ char *plugin = NULL, *runtime = NULL;
                        if (asprintf(&plugin, "plugins.\"%s\"", *id) < 0 || asprintf(&runtime, "%s.%s", plugin, table_path) < 0)
                                return -ENOMEM;
                        if ((r = has_table(c, file, pass == 0 ? runtime : plugin)) < 0)
                                return r;
                        if (r > 0) {
                                *ret = TAKE_PTR(plugin);
                                return 0;
                        }
                }
        const char *id = cfg->rules == 1 ? ids_1[0] : file_version(c, file) >= 3 ? CRI_RUNTIME_V3
                                                      : file_version(c, file) <= 1 ? CRI_V1 : CRI_V2;
        return asprintf(ret, "plugins.\"%s\"", id) < 0 ? -ENOMEM : 0;
}

/* The file an edit of runtime rt belongs in (see the top of this file). */
static const char *target_file(const ContainerdConfig *cfg, const ContainerdRuntime *rt, const char *main_path) {
        if (rt && rt->systemd_cgroup_file)
                return rt->systemd_cgroup_file;
        if (rt && rt->table_file)
                return rt->table_file;
        return cfg->cri_file ? cfg->cri_file : main_path;
}

static int fix_runtime(Context *c, Change *change, const ContainerdConfig *cfg, const ContainerdRuntime *rt,
                       const char *main_path, bool want, FILE *note) {
        const char *file = target_file(cfg, rt, main_path);
        _cleanup_free_ char *plugin = NULL, *table = NULL, *options = NULL;
        const EditValue value = { .type = EDIT_VALUE_BOOL, .text = want ? "true" : "false" };
        int r, changed = 0;

        if (streq(rt->type, LINUX_V1) && !rt->has_options) {
                /* the v1 linux shim without options goes by the CRI plugin's own key */
                file = cfg->cri_systemd_cgroup_file ? cfg->cri_systemd_cgroup_file : target_file(cfg, NULL, main_path);
                if ((r = cri_table_in(c, cfg, file, rt->table_path, &plugin)) < 0)
                        return r;
                return set_key(c, change, file, plugin, "systemd_cgroup", &value, note);
        }

        if ((r = cri_table_in(c, cfg, file, rt->table_path, &plugin)) < 0)
                return r;
        if (asprintf(&table, "%s.%s", plugin, rt->table_path) < 0 || asprintf(&options, "%s.options", table) < 0)
                return -ENOMEM;
        int exists = has_table(c, file, table);
        if (exists < 0)
                return exists;
        if (!exists || !*rt->type) {
                const EditValue type = { .type = EDIT_VALUE_STRING, .text = *rt->type ? rt->type : RUNC_V2 };
                if ((r = set_key(c, change, file, table, "runtime_type", &type, note)) < 0)
                        return r;
                changed |= r;
        }
        /* an existing spelling of the key is kept where it is the one that wins */
        const char *key = rt->options_key && rt->systemd_cgroup_file && streq(rt->systemd_cgroup_file, file) ? rt->options_key
                                                                                                           : "SystemdCgroup";
        if ((r = set_key(c, change, file, options, key, &value, note)) < 0)
                return r;
        return changed | r;
}

/* Whether the plan below changes anything: a runtime that runs pods not as wanted, or 1.x's
 * refused systemd_cgroup = true. */
static bool needs_change(const ContainerdConfig *cfg, bool want) {
        const ContainerdRuntime *d = containerd_config_runtime(cfg, cfg->default_runtime);
        if (cfg->rules == 1 && cfg->cri_systemd_cgroup == 1 && d && !streq(d->type, LINUX_V1))
                return true;
        for (size_t i = 0; i < cfg->n_runtimes; i++)
                if (cfg->runtimes[i].pods && !(cfg->runtimes[i].systemd_cgroup == want && *cfg->runtimes[i].type))
                        return true;
        return false;
}

/* A main file that holds nothing but its version: containerd's defaults, to be edited. */
static int create_minimal(Context *c, Change *change, const char *path, ContainerdRules rules) {
        const char *text = rules == CONTAINERD_RULES_2 || rules == CONTAINERD_RULES_2_3 ? "version = 3\n" : "version = 2\n";
        return ctx_want_file(c, change, path, text, strlen(text), 0644, 0, 0);
}

static int runtimes_plan(Context *c, const void *p, Change *change) {
        const RuntimesArgs *a = p;
        _cleanup_free_ char *path = NULL, *error = NULL, *text = NULL;
        _cleanup_(containerd_config_done) ContainerdConfig cfg = {};
        size_t size = 0;
        int r, changed = 0;

        if ((r = a->path ? ctx_render(c, a->path, &path) : containerd_node_config_path(c, &path)) < 0)
                return r;
        if ((r = containerd_node_present(c, path)) < 0)
                return r;
        if (r == 0) {
                change->status = CHANGE_SKIPPED;
                return change_set_note(change, "containerd is not installed on this node (no %s, no containerd.service, no "
                                       "containerd binary): nothing to set", path);
        }
        const NodeFS fs = ctx_node_fs(c);
        ContainerdRules rules = containerd_node_rules(&fs);
        r = containerd_config_load(&fs, path, rules, &cfg, &error);
        if (r < 0)
                return ctx_error(c, r == -ENOMEM ? r : -EINVAL, "%s", error ? error : strerror(-r));
        if (!cfg.files) {
                /* read again, as containerd will read the file planned */
                containerd_config_done(&cfg);
                if ((r = create_minimal(c, change, path, rules)) < 0 ||
                    (r = containerd_config_load(&fs, path, rules, &cfg, &error)) < 0)
                        return r == -ENOMEM ? r : ctx_error(c, -EINVAL, "%s", error ? error : strerror(-r));
        }

        FILE *note = open_memstream(&text, &size);
        if (!note)
                return -ENOMEM;
        if (!a->path && startswith(path, "/usr/") && needs_change(&cfg, a->systemd_cgroup)) {
                /* the OS image's file (Flatcar): the edits go to a copy containerd is pointed at */
                _cleanup_free_ char *copy = NULL;
                if ((r = containerd_copy_out_of_usr(c, change, path, &copy, note)) < 0)
                        goto fail;
                containerd_config_done(&cfg);
                if ((r = containerd_config_load(&fs, copy, rules, &cfg, &error)) < 0) {
                        r = r == -ENOMEM ? r : ctx_error(c, -EINVAL, "%s", error ? error : strerror(-r));
                        goto fail;
                }
                free(path);
                path = TAKE_PTR(copy);
                changed = 1;
        }
        /* 1.x refuses its CRI plugin with the deprecated key on a runtime that is not the v1 shim */
        const ContainerdRuntime *d = containerd_config_runtime(&cfg, cfg.default_runtime);
        if (cfg.rules == 1 && cfg.cri_systemd_cgroup == 1 && d && !streq(d->type, LINUX_V1)) {
                const char *file = cfg.cri_systemd_cgroup_file ? cfg.cri_systemd_cgroup_file : path;
                _cleanup_free_ char *plugin = NULL;
                if ((r = cri_table_in(c, &cfg, file, d->table_path, &plugin)) >= 0)
                        r = set_key(c, change, file, plugin, "systemd_cgroup", &(EditValue) { EDIT_VALUE_BOOL, "false" }, note);
                if (r < 0)
                        goto fail;
                changed |= r;
        }
        for (size_t i = 0; i < cfg.n_runtimes; i++) {
                const ContainerdRuntime *rt = &cfg.runtimes[i];
                if (!rt->pods || (rt->systemd_cgroup == a->systemd_cgroup && *rt->type))
                        continue;
                if ((r = fix_runtime(c, change, &cfg, rt, path, a->systemd_cgroup, note)) < 0)
                        goto fail;
                changed |= r;
        }
        bool first = true;
        for (size_t i = 0; i < cfg.n_runtimes; i++)
                if (!cfg.runtimes[i].pods && cfg.runtimes[i].configured) {
                        fprintf(note, "%s%s (%s)", first ? (ftell(note) > 0 ? "; left alone: " : "left alone: ") : ", ",
                                cfg.runtimes[i].name, *cfg.runtimes[i].type ? cfg.runtimes[i].type : "no runtime_type");
                        first = false;
                }
        if (fclose(note) != 0)
                return -ENOMEM;
        if (size > 0)
                (void) change_set_note(change, "%s", text);
        return changed;
fail:
        fclose(note);
        return r;
}

const ActionType action_containerd_runtimes = {
        .key = "containerd-runtimes",
        .summary = "every runtime containerd runs pods with on one cgroup driver, in the file and table that decide it",
        .parse = runtimes_parse,
        .plan = runtimes_plan,
        .free_args = runtimes_free,
};
