/* SPDX-License-Identifier: MIT */
/*
 * kubelet-config-set: {key, value, type}
 *
 * Sets one field of the kubelet's configuration where the kubelet will read it, every other byte
 * kept: the file is not named by the playbook but found the way the kubelet finds it
 * (kubelet-cmdline.h), from kubelet.service's effective command line:
 *
 *   - the file that decides the key now: the last --config-dir drop-in setting it, else the file
 *     of the last --config (a JSON KubeletConfiguration, as EKS writes it, stays JSON: yaml-edit
 *     writes JSON into a JSON document);
 *   - a command-line flag that overrides the key (--cgroup-driver for cgroupDriver,
 *     --fail-swap-on for failSwapOn) is removed from the environment file that carries it, as
 *     kubeadm moved those flags into the configuration, and the file is set;
 *   - a flag written literally on ExecStart= is not rewritten: the step fails saying which unit
 *     file and line to change.
 *
 * key is a dotted path (memorySwap.swapBehavior), value and type as for yaml-set. A kubelet
 * without a --config (or without a unit at all) is refused in one line: there is no file the
 * kubelet reads to put the setting in.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "remedy/action.h"
#include "remedy/context.h"
#include "remedy/edit-value.h"
#include "remedy/kubelet-cmdline.h"
#include "remedy/kubelet-flags.h"
#include "remedy/kubelet-node.h"
#include "remedy/playbook.h"
#include "remedy/strv.h"
#include "remedy/yaml-edit.h"

#define KUBELET_UNIT "kubelet.service"

typedef struct KubeletConfigSetArgs {
        char *key;
        Template *value;
        EditValueType type;
} KubeletConfigSetArgs;

static void kubelet_config_set_free(void *p) {
        KubeletConfigSetArgs *a = p;
        if (!a)
                return;
        free(a->key);
        template_free(a->value);
        free(a);
}

static int kubelet_config_set_parse(ParseContext *pc, const YamlNode *args, void **ret) {
        static const char * const keys[] = { "key", "value", "type", NULL };
        KubeletConfigSetArgs *a = calloc(1, sizeof(KubeletConfigSetArgs));
        int r;

        if (!a)
                return -ENOMEM;
        if ((r = parse_check_keys(pc, args, "kubelet-config-set", keys)) < 0 ||
            (r = parse_string(pc, args, "key", true, &a->key)) < 0 ||
            (r = typed_value_parse(pc, args, "kubelet-config-set", &a->value, &a->type)) < 0)
                goto fail;
        if (yaml_edit_keypath_check(a->key) < 0) {
                r = parse_error(pc, yaml_node_get(args, "key"),
                                "kubelet-config-set: key '%s' is not a key path like memorySwap.swapBehavior", a->key);
                goto fail;
        }
        *ret = a;
        return 0;
fail:
        kubelet_config_set_free(a);
        return r;
}

/* Removes the overriding flag from the environment file that carries it. */
static int remove_flag(Context *c, Change *change, const KubeletSetting *s, FILE *note) {
        _cleanup_(kubelet_flag_set_freep) KubeletFlagSet *known = NULL;
        _cleanup_strv_free_ char **removed = NULL;
        _cleanup_free_ char *path = kubelet_source_file(s->source), *data = NULL, *error = NULL;
        const NodeFile *f;
        size_t size = 0;
        int r;

        if (!path)
                return -ENOMEM;
        if (!s->variable)
                return ctx_error(c, -EOPNOTSUPP,
                                 "%s: %s is written on ExecStart= itself and overrides the kubelet's configuration; "
                                 "remedy does not rewrite ExecStart=: remove the flag there, or set it to the value wanted",
                                 s->source, s->word);
        /* which flags take a value decides how "--flag value" reads; unknown is fine for one name */
        if (kubelet_node_flag_set(c, NULL, NULL, false, &known) < 0) {
                free(c->error);
                c->error = NULL;
                known = NULL;
        }
        if ((r = ctx_read_regular(c, path, "an environment file", &f)) < 0)
                return r;
        char *remove[] = { s->flag, NULL };
        r = kubelet_flags_edit(f->data, f->size, s->variable, remove, known, false, &data, &size, &removed, &error);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return ctx_error(c, r, "%s:%s", path, error ? error : " cannot remove the flag");
        if (r == 0)
                return ctx_error(c, -EINVAL, "%s: %s not found in $%s", path, s->word, s->variable);
        if ((r = ctx_want_file(c, change, path, data, size, (mode_t) -1, (uid_t) -1, (gid_t) -1)) < 0)
                return r;
        fprintf(note, "removes %s from $%s in %s (it overrides the configuration); ", removed ? removed[0] : s->word,
                s->variable, path);
        return 1;
}

static int kubelet_config_set_plan(Context *c, const void *p, Change *change) {
        const KubeletConfigSetArgs *a = p;
        _cleanup_(kubelet_cmdline_done) KubeletCommandLine cl = {};
        _cleanup_(kubelet_setting_done) KubeletSetting s = {};
        _cleanup_free_ char *text = NULL, *error = NULL, *target = NULL, *edited = NULL, *old = NULL, *notes = NULL;
        size_t edited_size = 0, notes_size = 0;
        const NodeFS fs = ctx_node_fs(c);
        const NodeFile *f;
        int r, changed = 0;

        if ((r = ctx_render(c, a->value, &text)) < 0)
                return r;
        EditValue value = { .type = a->type, .text = text };
        if (edit_value_check(&value) < 0)
                return ctx_error(c, -EINVAL, "kubelet-config-set: value '%s' for %s is not a valid %s", text, a->key,
                                 edit_value_type_name(a->type));

        r = kubelet_cmdline_resolve(&fs, KUBELET_UNIT, NULL, &cl, &error);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return ctx_error(c, r, "%s: %s", KUBELET_UNIT, error ? error : strerror(-r));
        if (!cl.config_path)
                return ctx_error(c, -ENOENT, "%s: the kubelet is started without --config (%s): there is no configuration "
                                 "file to set %s in", KUBELET_UNIT, cl.unit.exec_source, a->key);
        r = kubelet_cmdline_setting(&cl, &fs, a->key, &s, &error);
        if (r == -ENOENT)
                return ctx_error(c, r, "%s (the node may not have joined the cluster yet: kubeadm writes the "
                                 "kubelet's configuration when it joins)", error ? error : strerror(-r));
        if (r < 0)
                return r == -ENOMEM ? r : ctx_error(c, r, "%s", error ? error : strerror(-r));

        FILE *note = open_memstream(&notes, &notes_size);
        if (!note)
                return -ENOMEM;
        if (s.flag) {
                r = remove_flag(c, change, &s, note);
                if (r < 0)
                        goto fail;
                changed = r;
                /* the file decides now: where would it be set without the flag? */
                kubelet_setting_done(&s);
                KubeletCommandLine files_only = cl;
                files_only.n_args = 0;
                r = kubelet_cmdline_setting(&files_only, &fs, a->key, &s, &error);
                if (r < 0) {
                        r = r == -ENOMEM ? r : ctx_error(c, r, "%s", error ? error : strerror(-r));
                        goto fail;
                }
        }
        /* the file that decides the key now (a --config-dir drop-in wins over --config), else the
         * --config file, taken from "/" when relative as the kubelet's working directory is */
        if (s.set && s.source)
                target = kubelet_source_file(s.source);
        else if (asprintf(&target, "%s%s", cl.config_path[0] == '/' ? "" : "/", cl.config_path) < 0)
                target = NULL;
        if (!target) {
                r = -ENOMEM;
                goto fail;
        }

        if ((r = ctx_read(c, target, true, &f)) < 0)
                goto fail;
        if (f->kind != FILE_REGULAR) {
                r = ctx_error(c, -ENOENT, "%s: the kubelet's --config file %s (the node may not have joined the cluster "
                              "yet)", target, f->kind == FILE_ABSENT ? "does not exist" : "is not a file");
                goto fail;
        }
        r = yaml_edit_set(f->data, f->size, a->key, &value, &edited, &edited_size, &error);
        if (r == -ENOMEM)
                goto fail;
        if (r < 0) {
                r = ctx_edit_error(c, r, target, error, "cannot edit");
                goto fail;
        }
        if (r > 0) {
                if (yaml_edit_get(f->data, f->size, a->key, &old, NULL) <= 0)
                        old = NULL;
                fprintf(note, "%s: %s → %s in %s", a->key, !old ? "(unset)" : *old ? old : "\"\"", *text ? text : "\"\"",
                        target);
                if ((r = ctx_want_file(c, change, target, edited, edited_size, (mode_t) -1, (uid_t) -1, (gid_t) -1)) < 0)
                        goto fail;
                changed = 1;
        }
        if (fclose(note) != 0)
                return -ENOMEM;
        if (changed && notes_size > 0) {
                size_t n = strlen(notes);
                if (n >= 2 && streq(notes + n - 2, "; "))
                        notes[n - 2] = 0;
                (void) change_set_note(change, "%s", notes);
        }
        return changed;
fail:
        fclose(note);
        return r;
}

const ActionType action_kubelet_config_set = {
        .key = "kubelet-config-set",
        .summary = "one field of the kubelet's configuration set in the file the kubelet reads it from",
        .parse = kubelet_config_set_parse,
        .plan = kubelet_config_set_plan,
        .free_args = kubelet_config_set_free,
};
