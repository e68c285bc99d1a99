/* SPDX-License-Identifier: MIT */
/*
 * kubelet-resolv-conf: {loopback: BOOL} | {missing: BOOL}    (a condition for match:/when:, and a
 * check for verify:)
 *
 * The file the kubelet gives pods as their resolv.conf (its effective resolvConf: config.yaml,
 * the --config-dir drop-ins, --resolv-conf; the kubelet's default /etc/resolv.conf):
 *
 *   loopback: every nameserver it lists is a loopback address (127.0.0.0/8, ::1), as the stub
 *     file of systemd-resolved lists 127.0.0.53 (FAILURES.md B.17): a pod cannot reach the
 *     node's loopback, and CoreDNS forwarding to it loops ("plugin/loop: Loop ... detected").
 *   loopback: false: at least one nameserver, and one that is not a loopback address.
 *     A file without nameservers holds for neither value: the kubelet gives pods what it lists,
 *     none, and systemd-resolved without an upstream writes just that ("# No DNS servers
 *     known."), so pointing the kubelet at it fixes nothing and its verify must fail.
 *   missing: the file does not exist (B.18: "open /run/systemd/resolve/resolv.conf: no such
 *     file or directory" for every new sandbox). Live only: a node's /run is a tmpfs, and a
 *     tree of configuration files has no resolv.conf to prove anything by.
 *
 * resolvConf "" (the kubelet takes no DNS from the host), a kubelet without a configuration
 * (before join), and missing offline hold for neither value.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "remedy/action.h"
#include "remedy/context.h"
#include "remedy/kubelet-cmdline.h"
#include "remedy/strv.h"

#define RESOLV_CONF_DEFAULT "/etc/resolv.conf"

typedef struct ResolvConfArgs {
        int loopback;   /* -1: not asked */
        int missing;
} ResolvConfArgs;

static int resolv_conf_parse(ParseContext *pc, const YamlNode *args, void **ret) {
        static const char * const keys[] = { "loopback", "missing", NULL };
        ResolvConfArgs *a = calloc(1, sizeof(ResolvConfArgs));
        bool v;
        int r;

        if (!a)
                return -ENOMEM;
        a->loopback = a->missing = -1;
        if ((r = parse_check_keys(pc, args, "kubelet-resolv-conf", keys)) < 0)
                goto fail;
        if ((r = parse_bool(pc, args, "loopback", false, &v)) < 0)
                goto fail;
        if (r > 0)
                a->loopback = v;
        if ((r = parse_bool(pc, args, "missing", false, &v)) < 0)
                goto fail;
        if (r > 0)
                a->missing = v;
        if ((a->loopback < 0) == (a->missing < 0)) {
                r = parse_error(pc, args, "kubelet-resolv-conf needs one of loopback or missing");
                goto fail;
        }
        *ret = a;
        return 0;
fail:
        free(a);
        return r;
}

static bool is_loopback(const char *address) {
        return startswith(address, "127.") || streq(address, "::1") || streq(address, "0:0:0:0:0:0:0:1");
}

/* The nameservers of a resolv.conf, as glibc's resolver reads them ("nameserver ADDRESS", the
 * first word after the keyword; '#' and ';' start comments). */
static int nameservers(const char *data, char ***ret) {
        _cleanup_strv_free_ char **l = NULL;
        for (const char *p = data; p && *p;) {
                const char *end = strchrnul(p, '\n');
                const char *q = p + strspn(p, " \t");
                if (startswith(q, "nameserver") && (q[10] == ' ' || q[10] == '\t')) {
                        q += 10;
                        q += strspn(q, " \t");
                        size_t n = strcspn(q, " \t\r\n#;");
                        if (n > 0 && q + n <= end) {
                                char *w = strndup(q, n);
                                if (!w || strv_consume(&l, w) < 0)
                                        return -ENOMEM;
                        }
                }
                p = *end ? end + 1 : end;
        }
        *ret = TAKE_PTR(l);
        return 0;
}

/* >0 as wanted, 0 not, with evidence either way; -ENODEV nothing to judge. */
static int judge(Context *c, const ResolvConfArgs *a, char **ret_evidence) {
        _cleanup_(kubelet_cmdline_done) KubeletCommandLine cl = {};
        _cleanup_(kubelet_setting_done) KubeletSetting s = {};
        _cleanup_strv_free_ char **servers = NULL;
        _cleanup_free_ char *error = NULL, *where = NULL;
        const NodeFS fs = ctx_node_fs(c);
        const NodeFile *f;
        int r;

        r = kubelet_cmdline_resolve(&fs, "kubelet.service", NULL, &cl, &error);
        if (r < 0 || !cl.config_path)
                return r == -ENOMEM ? r : -ENODEV;
        r = kubelet_cmdline_setting(&cl, &fs, "resolvConf", &s, &error);
        if (r < 0)
                return r == -ENOMEM ? r : -ENODEV;   /* config.yaml missing: before join */
        const char *path = s.set && s.value ? s.value : RESOLV_CONF_DEFAULT;
        if (!*path || path[0] != '/')
                return -ENODEV;   /* "": no DNS from the host */
        if (asprintf(&where, "the kubelet's resolvConf %s (%s%s)", path, s.set ? "set at " : "the kubelet's default",
                     s.set ? s.source : "") < 0)
                return -ENOMEM;
        if ((r = ctx_read(c, path, true, &f)) < 0)
                return r == -ENOMEM ? r : -ENODEV;

        if (a->missing >= 0) {
                if (c->offline)
                        return -ENODEV;
                bool missing = f->kind == FILE_ABSENT;
                if (asprintf(ret_evidence, "%s %s", where, missing ? "does not exist: every new pod sandbox fails on it"
                                                                    : "exists") < 0)
                        return -ENOMEM;
                return missing == (bool) a->missing;
        }

        if (f->kind != FILE_REGULAR)
                return -ENODEV;
        if ((r = nameservers(f->data, &servers)) < 0)
                return r;
        bool loopback = servers != NULL;
        STRV_FOREACH(n, servers)
                if (!is_loopback(*n))
                        loopback = false;
        size_t size = 0;
        _cleanup_free_ char *list = NULL;
        FILE *m = open_memstream(&list, &size);
        if (!m)
                return -ENOMEM;
        STRV_FOREACH(n, servers)
                fprintf(m, "%s%s", n == servers ? "" : ", ", *n);
        if (fclose(m) != 0)
                return -ENOMEM;
        if (asprintf(ret_evidence, "%s%s%s lists %s%s%s", where, streq(f->path, path) ? "" : ", which is ",
                     streq(f->path, path) ? "" : f->path, servers ? "nameservers " : "no nameserver", list,
                     loopback ? ": loopback only, which pods cannot reach (systemd-resolved's stub)" : "") < 0)
                return -ENOMEM;
        if (!servers)
                return 0;
        return loopback == (bool) a->loopback;
}

static int resolv_conf_eval(Context *c, const void *args, char **ret_error) {
        _cleanup_free_ char *evidence = NULL;
        int r = judge(c, args, &evidence);
        if (r == -ENODEV)
                return 0;
        if (r > 0 && evidence && strv_extend(&c->evidence, evidence) < 0)
                return -ENOMEM;
        return r;
}

static int resolv_conf_check_run(Context *c, const void *args, char **ret_evidence) {
        _cleanup_free_ char *evidence = NULL;
        int r = judge(c, args, &evidence);
        if (r == -ENODEV)
                return (*ret_evidence = strdup("no kubelet configuration or resolv.conf to judge here")) ? -EOPNOTSUPP
                                                                                                       : -ENOMEM;
        if (r >= 0)
                *ret_evidence = TAKE_PTR(evidence);
        return r;
}

const ConditionType condition_kubelet_resolv_conf = {
        .key = "kubelet-resolv-conf",
        .parse = resolv_conf_parse,
        .eval = resolv_conf_eval,
        .free_args = free,
};

const CheckType check_kubelet_resolv_conf = {
        .key = "kubelet-resolv-conf",
        .parse = resolv_conf_parse,
        .run = resolv_conf_check_run,
        .free_args = free,
        .state = true,
};
