/* SPDX-License-Identifier: MIT */
/*
 * verify: {cni-plugins: {conf_dir: PATH, bin_dir: PATH}}
 *
 * Every plugin the CNI configurations in conf_dir name (a .conflist's plugins[].type, a .conf's
 * or .json's type) is an executable in bin_dir. containerd loads a config whose plugin binary is
 * missing without complaint and then fails every pod sandbox ("failed to find plugin "bridge" in
 * path [/opt/cni/bin]"), so a placeholder is not a fix until its plugins are there. Read through
 * the Context: it works offline on a node disk.
 */
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "remedy/action.h"
#include "remedy/context.h"
#include "remedy/strv.h"

typedef struct CniArgs {
        Template *conf_dir;
        Template *bin_dir;
} CniArgs;

static void cni_args_free(void *p) {
        CniArgs *a = p;
        if (!a)
                return;
        template_free(a->conf_dir);
        template_free(a->bin_dir);
        free(a);
}
DEFINE_TRIVIAL_CLEANUP_FUNC(CniArgs *, cni_args_free);
DEFINE_TRIVIAL_CLEANUP_FUNC(json_object *, json_object_put);

static int cni_args_parse(ParseContext *pc, const YamlNode *args, void **ret) {
        static const char * const keys[] = { "conf_dir", "bin_dir", NULL };
        _cleanup_(cni_args_freep) CniArgs *a = calloc(1, sizeof(CniArgs));
        int r;

        if (!a)
                return -ENOMEM;
        if ((r = parse_check_keys(pc, args, "cni-plugins", keys)) < 0 ||
            (r = parse_template(pc, args, "conf_dir", true, TEMPLATE_PATH, "a path", &a->conf_dir)) < 0 ||
            (r = parse_template(pc, args, "bin_dir", true, TEMPLATE_PATH, "a path", &a->bin_dir)) < 0)
                return r;
        *ret = TAKE_PTR(a);
        return 0;
}

static void add_type(json_object *o, char ***types) {
        json_object *t;
        if (json_object_is_type(o, json_type_object) && json_object_object_get_ex(o, "type", &t) &&
            json_object_is_type(t, json_type_string))
                (void) strv_extend_unique(types, json_object_get_string(t));
}

/* The plugin types a config names; a config that is not JSON is reported as such. */
static int config_types(Context *c, const char *path, char ***types) {
        _cleanup_(json_object_putp) json_object *root = NULL;
        const NodeFile *f;
        int r = ctx_read(c, path, true, &f);
        if (r < 0)
                return r;
        if (f->kind != FILE_REGULAR)
                return 0;
        json_tokener *tok = json_tokener_new();
        if (!tok)
                return -ENOMEM;
        root = json_tokener_parse_ex(tok, f->data, (int) f->size);
        enum json_tokener_error jerr = json_tokener_get_error(tok);
        json_tokener_free(tok);
        if (!root || jerr != json_tokener_success)
                return ctx_error(c, -EINVAL, "%s: not a JSON CNI configuration (%s)", path, json_tokener_error_desc(jerr));
        json_object *plugins;
        if (json_object_object_get_ex(root, "plugins", &plugins) && json_object_is_type(plugins, json_type_array)) {
                for (size_t i = 0; i < json_object_array_length(plugins); i++)
                        add_type(json_object_array_get_idx(plugins, i), types);
        } else
                add_type(root, types);
        return 0;
}

static int cni_check_run(Context *c, const void *args, char **ret_evidence) {
        const CniArgs *a = args;
        _cleanup_free_ char *conf_dir = NULL, *bin_dir = NULL, *text = NULL;
        size_t size = 0;
        int r;

        if ((r = ctx_render(c, a->conf_dir, &conf_dir)) < 0 || (r = ctx_render(c, a->bin_dir, &bin_dir)) < 0)
                return r;
        FILE *out = open_memstream(&text, &size);
        if (!out)
                return -ENOMEM;
        static const char * const suffixes[] = { "*.conflist", "*.conf", "*.json" };
        for (size_t s = 0; s < ELEMENTSOF(suffixes); s++) {
                _cleanup_free_ char *pattern = NULL;
                _cleanup_strv_free_ char **paths = NULL;
                if (asprintf(&pattern, "%s/%s", conf_dir, suffixes[s]) < 0 || (r = ctx_glob(c, pattern, &paths)) < 0)
                        goto done;
                STRV_FOREACH(path, paths) {
                        _cleanup_strv_free_ char **types = NULL;
                        if ((r = config_types(c, *path, &types)) < 0)
                                goto done;
                        STRV_FOREACH(t, types) {
                                _cleanup_free_ char *binary = NULL;
                                FileKind kind;
                                mode_t mode;
                                if (strchr(*t, '/')) {
                                        fprintf(out, "%s%s names plugin '%s', which is not a file name", ftell(out) ? "; " : "",
                                                *path, *t);
                                        continue;
                                }
                                if (asprintf(&binary, "%s/%s", bin_dir, *t) < 0) {
                                        r = -ENOMEM;
                                        goto done;
                                }
                                if ((r = ctx_stat(c, binary, &kind, &mode)) < 0)
                                        goto done;
                                if (kind == FILE_REGULAR && (mode & 0111))
                                        continue;
                                fprintf(out, "%s%s names plugin '%s', but %s is %s", ftell(out) ? "; " : "", *path, *t,
                                        binary, kind == FILE_ABSENT ? "missing" : "not an executable file");
                        }
                }
        }
        r = 0;
done:
        if (fclose(out) != 0)
                return -ENOMEM;
        if (r < 0)
                return r;
        if (size == 0)
                return 1;
        *ret_evidence = TAKE_PTR(text);
        return 0;
}

const CheckType check_cni_plugins = {
        .key = "cni-plugins",
        .parse = cni_args_parse,
        .run = cni_check_run,
        .free_args = cni_args_free,
        .state = true,
};
