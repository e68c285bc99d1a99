/* SPDX-License-Identifier: MIT */
/*
 * kubelet-feature-gates: {remove: [GATE...], remove_rejected: BOOL, kubelet_version: VERSION}
 *
 * Removes feature gates from wherever the kubelet's effective configuration sets them
 * (kubelet-feature-gates.h): from each --feature-gates word of an environment file of
 * kubelet.service ("NAME=BOOL" and one comma, or the whole flag when no gate is left), and from
 * featureGates: of the --config file and the --config-dir drop-ins (the gate's line; featureGates:
 * itself when it was the last). remove names gates; remove_rejected adds every gate the node's
 * kubelet rejects: the shipped list for its version, and the gate its own journal names. A gate
 * written on ExecStart= itself or in a unit file's Environment= is named in the note, not
 * rewritten, and the check after it still fails.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "remedy/context.h"
#include "remedy/kubelet-feature-gates.h"
#include "remedy/strv.h"
#include "remedy/yaml-edit.h"

typedef struct KubeletFeatureGatesArgs {
        char **remove;
        bool remove_rejected;
        Template *kubelet_version;
} KubeletFeatureGatesArgs;

static void kubelet_feature_gates_args_free(void *p) {
        KubeletFeatureGatesArgs *a = p;
        if (!a)
                return;
        strv_free(a->remove);
        template_free(a->kubelet_version);
        free(a);
}

static int kubelet_feature_gates_parse_args(ParseContext *pc, const YamlNode *args, void **ret) {
        static const char * const keys[] = { "remove", "remove_rejected", "kubelet_version", NULL };
        KubeletFeatureGatesArgs *a = calloc(1, sizeof(KubeletFeatureGatesArgs));
        int r;

        if (!a)
                return -ENOMEM;
        if ((r = parse_check_keys(pc, args, "kubelet-feature-gates", keys)) < 0 ||
            (r = parse_string_list(pc, args, "remove", false, &a->remove)) < 0 ||
            (r = parse_bool(pc, args, "remove_rejected", false, &a->remove_rejected)) < 0 ||
            (r = parse_template(pc, args, "kubelet_version", false, 0, "a kubelet version", &a->kubelet_version)) < 0)
                goto fail;
        if (strv_length(a->remove) == 0 && !a->remove_rejected) {
                r = parse_error(pc, args, "kubelet-feature-gates: give remove (a list of gates) or remove_rejected: true");
                goto fail;
        }
        *ret = a;
        return 0;
fail:
        kubelet_feature_gates_args_free(a);
        return r;
}

static int edit_config(Context *c, Change *change, const char *file, char * const *gates, FILE *note) {
        _cleanup_free_ char *data = NULL;
        const NodeFile *f;
        size_t size;
        int r, changed = 0;

        if ((r = ctx_read_regular(c, file, "a kubelet configuration file", &f)) < 0)
                return r;
        if (!(data = malloc(f->size + 1)))
                return -ENOMEM;
        memcpy(data, f->data, f->size);
        data[f->size] = 0;
        size = f->size;
        STRV_FOREACH(g, gates) {
                _cleanup_free_ char *key = NULL, *edited = NULL, *error = NULL;
                size_t edited_size = 0;
                if (asprintf(&key, "featureGates.%s", *g) < 0)
                        return -ENOMEM;
                r = yaml_edit_remove(data, size, key, &edited, &edited_size, &error);
                if (r == -ENOMEM)
                        return r;
                if (r < 0)
                        return ctx_edit_error(c, r, file, error, "cannot remove the feature gate");
                if (r == 0)
                        continue;
                free(data);
                data = TAKE_PTR(edited);
                size = edited_size;
                fprintf(note, "%sremoves featureGates.%s from %s", ftell(note) > 0 ? "; " : "", *g, file);
                changed = 1;
        }
        if (changed && (r = ctx_want_file(c, change, file, data, size, (mode_t) -1, (uid_t) -1, (gid_t) -1)) < 0)
                return r;
        return changed;
}

static int edit_env(Context *c, Change *change, const char *file, const char *variable, char * const *gates, FILE *note) {
        _cleanup_free_ char *data = NULL, *error = NULL;
        const NodeFile *f;
        size_t size = 0;
        int r;

        if ((r = ctx_read_regular(c, file, "an environment file", &f)) < 0)
                return r;
        r = kubelet_feature_gates_edit_env(f->data, f->size, variable, gates, &data, &size, &error);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return ctx_error(c, r, "%s:%s", file, error ? error : " cannot edit");
        if (r == 0)
                return 0;
        if ((r = ctx_want_file(c, change, file, data, size, (mode_t) -1, (uid_t) -1, (gid_t) -1)) < 0)
                return r;
        fprintf(note, "%sremoves ", ftell(note) > 0 ? "; " : "");
        STRV_FOREACH(g, gates)
                fprintf(note, "%s%s", g == gates ? "" : ", ", *g);
        fprintf(note, " from --feature-gates in $%s of %s", variable, file);
        return 1;
}

static int kubelet_feature_gates_plan(Context *c, const void *p, Change *change) {
        const KubeletFeatureGatesArgs *a = p;
        _cleanup_(kubelet_gate_uses_freep) KubeletGateUses *uses = NULL;
        _cleanup_strv_free_ char **gates = NULL, **groups = NULL;
        _cleanup_free_ char *version = NULL, *unjudged = NULL, *text = NULL;
        size_t size = 0;
        int r, changed = 0;

        if (a->kubelet_version && (r = ctx_render(c, a->kubelet_version, &version)) < 0)
                return r;
        if ((r = kubelet_feature_gates_collect(c, &uses)) < 0)
                return r;
        if (a->remove_rejected && (r = kubelet_feature_gates_rejected(c, version, uses, &gates, &unjudged)) < 0)
                return r;
        STRV_FOREACH(g, a->remove)
                if (strv_extend_unique(&gates, *g) < 0)
                        return -ENOMEM;

        FILE *note = open_memstream(&text, &size);
        if (!note)
                return -ENOMEM;
        /* Each file (and variable) once, with the gates to take out of it. */
        for (size_t i = 0; i < uses->n; i++) {
                const KubeletGateUse *u = &uses->uses[i];
                _cleanup_free_ char *group = NULL;
                if (!strv_contains(gates, u->gate))
                        continue;
                if (u->literal) {
                        fprintf(note, "%sfeature gate %s is set %s (%s): remedy does not rewrite unit files' command "
                                "lines, remove it there", ftell(note) > 0 ? "; " : "", u->gate,
                                u->variable ? "in an Environment= line" : "on ExecStart= itself", u->source);
                        continue;
                }
                if (asprintf(&group, "%s\t%s", u->file, strempty(u->variable)) < 0 ||
                    strv_extend_unique(&groups, group) < 0) {
                        r = -ENOMEM;
                        goto fail;
                }
        }
        STRV_FOREACH(g, groups) {
                _cleanup_strv_free_ char **here = NULL;
                char *tab = strchr(*g, '\t');
                *tab = 0;
                for (size_t i = 0; i < uses->n; i++) {
                        const KubeletGateUse *u = &uses->uses[i];
                        if (!u->literal && streq(u->file, *g) && streq(strempty(u->variable), tab + 1) &&
                            strv_contains(gates, u->gate) && strv_extend_unique(&here, u->gate) < 0) {
                                r = -ENOMEM;
                                goto fail;
                        }
                }
                r = tab[1] ? edit_env(c, change, *g, tab + 1, here, note) : edit_config(c, change, *g, here, note);
                if (r < 0)
                        goto fail;
                changed |= r;
        }
        if (unjudged)
                fprintf(note, "%s%s", ftell(note) > 0 ? "; " : "", unjudged);
        if (fclose(note) != 0)
                return -ENOMEM;
        if (size > 0)
                (void) change_set_note(change, "%s", text);
        return changed;
fail:
        fclose(note);
        return r;
}

const ActionType action_kubelet_feature_gates = {
        .key = "kubelet-feature-gates",
        .summary = "feature gates removed from where the kubelet's configuration sets them (named, or rejected by the node's kubelet)",
        .parse = kubelet_feature_gates_parse_args,
        .plan = kubelet_feature_gates_plan,
        .free_args = kubelet_feature_gates_args_free,
};
