/* SPDX-License-Identifier: MIT */
/*
 * when: / match: {kubelet-node-ip: {on_host: BOOL}}
 *
 * Whether every address of the kubelet's --node-ip (one, or two for dual-stack, comma-separated)
 * is an address of one of this host's interfaces, as the kubelet's node status checks it
 * (pkg/kubelet/nodestatus/setters.go validateNodeIP: "node IP: \"X\" not found in the host's
 * network interfaces"; the unspecified address 0.0.0.0 or :: means "detect" and is not checked).
 * Judged live only, with getifaddrs(3) in remedy's own network namespace, which live is the
 * node's: a node disk does not say which addresses its interfaces had, so offline (--root) this is
 * neither true nor false but not judged: {on_host: false} does not match, {on_host: true} does.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "remedy/action.h"
#include "remedy/context.h"
#include "remedy/kubelet-cmdline.h"
#include "remedy/strv.h"

typedef struct NodeIpArgs {
        bool on_host;
} NodeIpArgs;

static int node_ip_parse(ParseContext *pc, const YamlNode *args, void **ret) {
        static const char * const keys[] = { "on_host", NULL };
        NodeIpArgs *a = calloc(1, sizeof(NodeIpArgs));
        int r;

        if (!a)
                return -ENOMEM;
        if ((r = parse_check_keys(pc, args, "kubelet-node-ip", keys)) < 0 ||
            (r = parse_bool(pc, args, "on_host", true, &a->on_host)) < 0) {
                free(a);
                return r;
        }
        *ret = a;
        return 0;
}

/* 1 when the address is on an interface, 0 not, -EINVAL when it is not an address. */
static int address_on_host(const struct ifaddrs *list, const char *text) {
        unsigned char want[sizeof(struct in6_addr)];
        int family = strchr(text, ':') ? AF_INET6 : AF_INET;
        if (inet_pton(family, text, want) != 1)
                return -EINVAL;
        size_t len = family == AF_INET ? sizeof(struct in_addr) : sizeof(struct in6_addr);
        if (memcmp(want, (unsigned char[sizeof(struct in6_addr)]) {}, len) == 0)
                return 1;   /* 0.0.0.0 / ::: the kubelet picks an address itself */
        for (const struct ifaddrs *i = list; i; i = i->ifa_next) {
                if (!i->ifa_addr || i->ifa_addr->sa_family != family)
                        continue;
                const void *have = family == AF_INET ? (const void *) &((const struct sockaddr_in *) i->ifa_addr)->sin_addr
                                                     : (const void *) &((const struct sockaddr_in6 *) i->ifa_addr)->sin6_addr;
                if (memcmp(have, want, len) == 0)
                        return 1;
        }
        return 0;
}

static int node_ip_eval(Context *c, const void *args, char **ret_error) {
        const NodeIpArgs *a = args;
        _cleanup_(kubelet_cmdline_done) KubeletCommandLine cl = {};
        _cleanup_free_ char *error = NULL, *evidence = NULL;
        const NodeFS fs = ctx_node_fs(c);
        struct ifaddrs *list = NULL;
        int r, missing = 0;

        if (c->offline)
                return a->on_host;   /* not judged: see above */
        r = kubelet_cmdline_resolve(&fs, "kubelet.service", NULL, &cl, &error);
        if (r == -ENOENT && !error)
                return a->on_host;
        if (r < 0)
                return r == -ENOMEM ? r : ctx_error(c, r, "kubelet.service: %s", error ? error : strerror(-r));
        const KubeletArg *arg = kubelet_cmdline_find(&cl, "node-ip");
        if (!arg || !arg->value || !*arg->value)
                return a->on_host;   /* detected by the kubelet itself */
        if (getifaddrs(&list) < 0)
                return ctx_error(c, -errno, "getifaddrs: %m");
        _cleanup_strv_free_ char **ips = NULL;
        for (const char *p = arg->value; *p;) {
                size_t n = strcspn(p, ",");
                if (strv_consume(&ips, strndup(p, n)) < 0) {
                        freeifaddrs(list);
                        return -ENOMEM;
                }
                p += n + (p[n] == ',');
        }
        STRV_FOREACH(ip, ips) {
                r = address_on_host(list, *ip);
                if (r == 0 && !evidence &&
                    asprintf(&evidence, "--node-ip %s (%s%s%s): %s is on none of this host's interfaces", arg->value,
                             arg->source, arg->variable ? " $" : "", strempty(arg->variable), *ip) < 0) {
                        freeifaddrs(list);
                        return -ENOMEM;
                }
                missing += r == 0;
        }
        freeifaddrs(list);
        if ((missing > 0) == a->on_host)
                return 0;
        if (evidence && strv_consume(&c->evidence, TAKE_PTR(evidence)) < 0)
                return -ENOMEM;
        return 1;
}

const ConditionType condition_kubelet_node_ip = {
        .key = "kubelet-node-ip",
        .parse = node_ip_parse,
        .eval = node_ip_eval,
        .free_args = free,
};
