/* SPDX-License-Identifier: MIT */
/*
 * when: / match: {sysctl: {key: NAME, value: VALUE, at-least: BOOL, set: BOOL}}
 *                {kernel-module: {name: MODULE, loaded: BOOL}}
 * verify:        the same, with set: true / loaded: true (the default)
 *
 * A sysctl is set when the running kernel has the value now (live, on the node's own kernel) and
 * the sysctl.d files give it at boot; a module is loaded when it is in the kernel now and a
 * modules-load.d file loads it at boot (kernel-config.h). With set: false / loaded: false the
 * condition is true when it is not so, and adds what it found to the evidence.
 *
 * What the files alone can tell differs for the two uses. A check (verify) judges the files
 * offline and in a container: after a fix they must say so. A condition (match) offline or in a
 * container only finds what a file decides: a sysctl.d file that sets the key otherwise. A file
 * that does not mention it decides nothing there, since other parts of the node may set it at
 * runtime (a CNI plugin enables ip_forward, Docker loads br_netfilter), and a module's absence
 * from modules-load.d decides nothing either: only the running kernel can say it is missing.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "remedy/action.h"
#include "remedy/context.h"
#include "remedy/kernel-config.h"
#include "remedy/strv.h"

typedef struct SysctlCondArgs {
        char *key;
        Template *value;
        bool at_least;
        bool set;
} SysctlCondArgs;

static void sysctl_cond_free(void *p) {
        SysctlCondArgs *a = p;
        if (!a)
                return;
        free(a->key);
        template_free(a->value);
        free(a);
}
DEFINE_TRIVIAL_CLEANUP_FUNC(SysctlCondArgs *, sysctl_cond_free);

static int sysctl_cond_parse(ParseContext *pc, const YamlNode *args, void **ret) {
        static const char * const keys[] = { "key", "value", "at-least", "set", NULL };
        _cleanup_(sysctl_cond_freep) SysctlCondArgs *a = calloc(1, sizeof(SysctlCondArgs));
        _cleanup_free_ char *key = NULL;
        int r;

        if (!a)
                return -ENOMEM;
        a->set = true;
        if ((r = parse_check_keys(pc, args, "sysctl", keys)) < 0 || (r = parse_string(pc, args, "key", true, &key)) < 0 ||
            (r = parse_template(pc, args, "value", true, 0, "a value", &a->value)) < 0 ||
            (r = parse_bool(pc, args, "at-least", false, &a->at_least)) < 0 ||
            (r = parse_bool(pc, args, "set", false, &a->set)) < 0)
                return r;
        if (strpbrk(key, "*?[") || sysctl_name_normalize(key, &a->key) < 0)
                return parse_error(pc, yaml_node_get(args, "key"), "sysctl: \"%s\" is not a sysctl name like net.ipv4.ip_forward",
                                   key);
        *ret = TAKE_PTR(a);
        return 0;
}

/* >0 set, 0 not (with *ret_evidence saying why), <0 error. strict: files that do not set it count
 * as not set (a check); otherwise only a file that sets it otherwise does, offline (a match). */
static int sysctl_judge(Context *c, const SysctlCondArgs *a, bool strict, char **ret_evidence) {
        _cleanup_free_ char *want = NULL, *boot = NULL, *boot_file = NULL, *live = NULL, *text = NULL;
        _cleanup_fclose_ FILE *out = NULL;
        size_t size = 0;
        bool ok = true;
        int r;

        if ((r = ctx_render(c, a->value, &want)) < 0)
                return r;
        if ((r = sysctl_boot_value(c, a->key, want, a->at_least, &boot, &boot_file, NULL)) < 0)
                return r;
        if (!(out = open_memstream(&text, &size)))
                return -ENOMEM;
        bool nodes = kernel_is_nodes(c);
        if (nodes) {
                r = sysctl_live_read(a->key, &live);
                if (r < 0 && r != -ENOENT)
                        return ctx_error(c, r, "/proc/sys: reading %s: %s", a->key, strerror(-r));
                if (!live) {
                        fprintf(out, "%s does not exist now (no /proc/sys file: its module is not loaded)", a->key);
                        ok = false;
                } else if (!sysctl_value_satisfies(live, want, a->at_least)) {
                        fprintf(out, "%s is %s now (/proc/sys), not %s%s", a->key, live, a->at_least ? "at least " : "", want);
                        ok = false;
                }
        }
        bool boot_ok = boot && sysctl_value_satisfies(boot, want, a->at_least);
        if (!boot_ok && (boot || strict || nodes)) {
                if (boot)
                        fprintf(out, "%s%s sets %s = %s for boot", ok ? "" : "; ", boot_file, a->key, boot);
                else
                        fprintf(out, "%sno sysctl.d file sets %s for boot", ok ? "" : "; ", a->key);
                ok = false;
        }
        if (!nodes && !c->offline && !ok)
                fputs(" (the running kernel is the host's: only the files were judged)", out);
        else if (c->offline && !ok)
                fputs(" (offline: only the files were judged)", out);
        if (fclose(out) != 0) {
                out = NULL;
                return -ENOMEM;
        }
        out = NULL;
        if (!ok)
                *ret_evidence = TAKE_PTR(text);
        return ok;
}

static int sysctl_cond_eval(Context *c, const void *args, char **ret_error) {
        const SysctlCondArgs *a = args;
        _cleanup_free_ char *evidence = NULL;
        int r = sysctl_judge(c, a, false, &evidence);
        if (r < 0)
                return r;
        if (r == 0 && !a->set && strv_extend(&c->evidence, evidence) < 0)
                return -ENOMEM;
        return (r > 0) == a->set;
}

static int sysctl_check_run(Context *c, const void *args, char **ret_evidence) {
        const SysctlCondArgs *a = args;
        _cleanup_free_ char *evidence = NULL;
        int r = sysctl_judge(c, a, true, &evidence);
        if (r < 0)
                return r;
        if ((r > 0) == a->set)
                return 1;
        if (r > 0)
                return asprintf(ret_evidence, "%s is set", a->key) < 0 ? -ENOMEM : 0;
        *ret_evidence = TAKE_PTR(evidence);
        return 0;
}

const ConditionType condition_sysctl = {
        .key = "sysctl",
        .parse = sysctl_cond_parse,
        .eval = sysctl_cond_eval,
        .free_args = sysctl_cond_free,
};

const CheckType check_sysctl = {
        .key = "sysctl",
        .parse = sysctl_cond_parse,
        .run = sysctl_check_run,
        .free_args = sysctl_cond_free,
        .state = true,
};

typedef struct ModuleCondArgs {
        char *name;
        bool loaded;
} ModuleCondArgs;

static void module_cond_free(void *p) {
        ModuleCondArgs *a = p;
        if (!a)
                return;
        free(a->name);
        free(a);
}
DEFINE_TRIVIAL_CLEANUP_FUNC(ModuleCondArgs *, module_cond_free);

static int module_cond_parse(ParseContext *pc, const YamlNode *args, void **ret) {
        static const char * const keys[] = { "name", "loaded", NULL };
        _cleanup_(module_cond_freep) ModuleCondArgs *a = calloc(1, sizeof(ModuleCondArgs));
        _cleanup_free_ char *name = NULL;
        int r;

        if (!a)
                return -ENOMEM;
        a->loaded = true;
        if ((r = parse_check_keys(pc, args, "kernel-module", keys)) < 0 ||
            (r = parse_string(pc, args, "name", true, &name)) < 0 || (r = parse_bool(pc, args, "loaded", false, &a->loaded)) < 0)
                return r;
        if (kernel_module_name_normalize(name, &a->name) < 0)
                return parse_error(pc, yaml_node_get(args, "name"), "kernel-module: \"%s\" is not a module name", name);
        *ret = TAKE_PTR(a);
        return 0;
}

static int module_judge(Context *c, const ModuleCondArgs *a, bool strict, char **ret_evidence) {
        _cleanup_free_ char *boot_file = NULL;
        bool nodes = kernel_is_nodes(c), now = nodes && kernel_module_loaded(a->name);
        int r;

        if ((r = kernel_module_boot_file(c, a->name, &boot_file)) < 0)
                return r;
        if (nodes && !now && !boot_file)
                r = asprintf(ret_evidence, "%s is not loaded now (/proc/modules), and no modules-load.d file loads it at boot",
                             a->name);
        else if (nodes && !now)
                r = asprintf(ret_evidence, "%s is not loaded now (/proc/modules; %s loads it at boot)", a->name, boot_file);
        else if (!boot_file && (nodes || strict))
                r = asprintf(ret_evidence, "no modules-load.d file loads %s at boot%s", a->name,
                             nodes ? " (it is loaded now)"
                             : c->offline ? " (offline: only the files were judged)"
                                          : " (the running kernel is the host's: only the files were judged)");
        else
                return 1;
        return r < 0 ? -ENOMEM : 0;
}

static int module_cond_eval(Context *c, const void *args, char **ret_error) {
        const ModuleCondArgs *a = args;
        _cleanup_free_ char *evidence = NULL;
        int r = module_judge(c, a, false, &evidence);
        if (r < 0)
                return r;
        if (r == 0 && !a->loaded && strv_extend(&c->evidence, evidence) < 0)
                return -ENOMEM;
        return (r > 0) == a->loaded;
}

static int module_check_run(Context *c, const void *args, char **ret_evidence) {
        const ModuleCondArgs *a = args;
        _cleanup_free_ char *evidence = NULL;
        int r = module_judge(c, a, true, &evidence);
        if (r < 0)
                return r;
        if ((r > 0) == a->loaded)
                return 1;
        if (r > 0)
                return asprintf(ret_evidence, "%s is loaded", a->name) < 0 ? -ENOMEM : 0;
        *ret_evidence = TAKE_PTR(evidence);
        return 0;
}

const ConditionType condition_kernel_module = {
        .key = "kernel-module",
        .parse = module_cond_parse,
        .eval = module_cond_eval,
        .free_args = module_cond_free,
};

const CheckType check_kernel_module = {
        .key = "kernel-module",
        .parse = module_cond_parse,
        .run = module_check_run,
        .free_args = module_cond_free,
        .state = true,
};
