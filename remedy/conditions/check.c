/* SPDX-License-Identifier: MIT */
/*
 * `verify:` checks, run after apply (and shown by plan). Each one says what it saw, pass or fail,
 * so that the report can quote the evidence. Regular expressions are compiled when the playbook
 * loads: a typo in one is a load error with its position, not a failed verification.
 */
#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "remedy/action.h"
#include "remedy/context.h"
#include "remedy/pattern.h"

typedef struct FileCheck {
        Template *path;
        Pattern contains;
        Pattern absent;
} FileCheck;

static void file_check_free(void *args) {
        FileCheck *f = args;
        if (!f)
                return;
        template_free(f->path);
        pattern_done(&f->contains);
        pattern_done(&f->absent);
        free(f);
}
DEFINE_TRIVIAL_CLEANUP_FUNC(FileCheck *, file_check_free);

static int file_check_parse(ParseContext *pc, const YamlNode *args, void **ret) {
        static const char * const keys[] = { "path", "contains", "absent", NULL };
        _cleanup_(file_check_freep) FileCheck *f = NULL;
        int r;

        r = parse_check_keys(pc, args, "the file check", keys);
        if (r < 0)
                return r;
        f = calloc(1, sizeof(FileCheck));
        if (!f)
                return -ENOMEM;
        if ((r = parse_template(pc, args, "path", true, TEMPLATE_PATH, "a path", &f->path)) < 0)
                return r;
        if ((r = pattern_parse(pc, args, "contains", &f->contains)) < 0)
                return r;
        if ((r = pattern_parse(pc, args, "absent", &f->absent)) < 0)
                return r;
        if (!f->contains.compiled && !f->absent.compiled)
                return parse_error(pc, args, "the file check needs contains: or absent: (a regular expression)");
        *ret = TAKE_PTR(f);
        return 0;
}

static int file_check_run(Context *c, const void *args, char **ret_evidence) {
        const FileCheck *f = args;
        _cleanup_free_ char *path = NULL, *found = NULL, *unwanted = NULL;
        unsigned found_line = 0, unwanted_line = 0;
        const NodeFile *file;
        int r, k;

        *ret_evidence = NULL;
        if ((r = ctx_render(c, f->path, &path)) < 0)
                return r;
        if ((r = ctx_read(c, path, true, &file)) < 0)
                return r;

        if (file->kind == FILE_ABSENT)
                k = asprintf(ret_evidence, "%s does not exist", path);
        else if (file->kind != FILE_REGULAR)
                k = asprintf(ret_evidence, "%s is a %s, not a file", path, file_kind_name(file->kind));
        else {
                int has = 0, bad = 0;
                if (f->contains.compiled && (has = pattern_find(&f->contains, file->data, &found_line, &found)) < 0)
                        return has;
                if (f->absent.compiled && (bad = pattern_find(&f->absent, file->data, &unwanted_line, &unwanted)) < 0)
                        return bad;

                if (bad)
                        k = asprintf(ret_evidence, "%s:%u: '%s' matches /%s/, which should be absent", path,
                                     unwanted_line, unwanted, f->absent.source);
                else if (f->contains.compiled && !has)
                        k = asprintf(ret_evidence, "%s: no line matches /%s/", path, f->contains.source);
                else if (has)
                        k = asprintf(ret_evidence, "%s:%u: found '%s'%s", path, found_line, found,
                                     f->absent.compiled ? " and nothing that should be absent" : "");
                else
                        k = asprintf(ret_evidence, "%s: no line matches /%s/", path, f->absent.source);
                if (k < 0) {
                        *ret_evidence = NULL;
                        return -ENOMEM;
                }
                return !bad && (has || !f->contains.compiled);
        }
        if (k < 0) {
                *ret_evidence = NULL;
                return -ENOMEM;
        }
        /* A missing file passes a check that only wants something absent from it. */
        return file->kind == FILE_ABSENT && !f->contains.compiled;
}

static const CheckType check_file = {
        .key = "file",
        .parse = file_check_parse,
        .run = file_check_run,
        .free_args = file_check_free,
        .state = true,
};

const CheckType * const check_types[] = {
        &check_file,
        &check_unit,
        &check_journal,
        &check_swap,
        &check_ntp,
        &check_cni_plugins,
        &check_containerd_config,
        &check_kubelet_config,
        &check_kubelet_flags,
        &check_sysctl,
        &check_kernel_module,
        &check_kubelet_feature_gates,
        &check_kubelet_config_valid,
        &check_cri_endpoint,
        &check_sandbox_image,
        &check_kubelet_resolv_conf,
        NULL,
};

const CheckType *check_type_find(const char *key) {
        for (const CheckType * const *t = check_types; *t; t++)
                if (streq((*t)->key, key))
                        return *t;
        return NULL;
}
