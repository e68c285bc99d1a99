/* SPDX-License-Identifier: MIT */
/*
 * kubeconfig-install: {source, dest, node_name}
 *
 * Installs a kubeconfig the operator made on the control plane (`kubeadm kubeconfig user
 * --client-name=system:node:NODE --org system:nodes`) as the kubelet's, after checking in plan,
 * before anything is touched, that it can work on this node: it parses, its client certificate
 * and key are a pair, the certificate names this node in the system:nodes group and is valid now,
 * and it is for the same cluster as the kubeconfig it replaces (same server, same CA, certificate
 * signed by that CA). A kubeconfig that fails any of this is refused (exit status 2) naming the
 * file: installing it would only trade one crash loop for another, or join the node to another
 * cluster.
 *
 * source and dest are node paths (the operator copies the file to the node); dest defaults to the
 * kubeconfig the kubelet uses, its --kubeconfig (kubelet_cmdline_kubeconfig()). The node name is
 * node_name when given, else the name in the current dest's client certificate
 * (CN=system:node:NAME), else the node's /etc/hostname.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "remedy/context.h"
#include "remedy/kubeconfig.h"
#include "remedy/kubelet-cmdline.h"
#include "remedy/strv.h"

#define NODE_CN_PREFIX "system:node:"
#define NODES_GROUP "system:nodes"

typedef struct KubeconfigInstallArgs {
        Template *source;
        Template *dest;
        Template *node_name;   /* NULL or rendering empty: found on the node */
} KubeconfigInstallArgs;

static void kubeconfig_install_free(void *p) {
        KubeconfigInstallArgs *a = p;
        if (!a)
                return;
        template_free(a->source);
        template_free(a->dest);
        template_free(a->node_name);
        free(a);
}

static int kubeconfig_install_parse(ParseContext *pc, const YamlNode *args, void **ret) {
        static const char * const keys[] = { "source", "dest", "node_name", NULL };
        KubeconfigInstallArgs *a = calloc(1, sizeof(KubeconfigInstallArgs));
        int r;

        if (!a)
                return -ENOMEM;
        if ((r = parse_check_keys(pc, args, "kubeconfig-install", keys)) < 0 ||
            (r = parse_template(pc, args, "source", true, TEMPLATE_PATH, "a path", &a->source)) < 0 ||
            (r = parse_template(pc, args, "dest", false, TEMPLATE_PATH, "a path", &a->dest)) < 0 ||
            (r = parse_template(pc, args, "node_name", false, 0, "a node name", &a->node_name)) < 0) {
                kubeconfig_install_free(a);
                return r;
        }
        *ret = a;
        return 0;
}

/* Reads and parses a kubeconfig on the node; 0 with *ret NULL when there is no file. */
static int read_kubeconfig(Context *c, const char *path, bool required, Kubeconfig **ret) {
        _cleanup_free_ char *error = NULL;
        const NodeFile *f;
        int r;

        *ret = NULL;
        if ((r = ctx_read(c, path, true, &f)) < 0)
                return r;
        if (f->kind == FILE_ABSENT) {
                if (required)
                        return ctx_error(c, -ENOENT, "%s: no such file: copy the new kubeconfig to the node first",
                                         path);
                return 0;
        }
        if (f->kind != FILE_REGULAR)
                return ctx_error(c, -EINVAL, "%s: not a regular file (%s)", path, file_kind_name(f->kind));
        r = kubeconfig_parse(path, f->data, f->size, ret, &error);
        if (r < 0)
                return ctx_error(c, r, "%s", error ?: "cannot parse the kubeconfig");
        return 0;
}

/*
 * The kubeconfig becomes the kubelet's credentials: one that a user of the node other than root
 * could have written, or replaced through a directory on its path, is refused, as remedy
 * refuses such playbooks (a sticky directory such as /tmp may be writable by all).
 */
static int check_source_trusted(Context *c, const char *source) {
        const NodeFile *f;
        int r;

        if ((r = ctx_read(c, source, true, &f)) < 0)
                return r;
        if (f->kind == FILE_ABSENT)
                return 0;   /* read_kubeconfig() says so */
        _cleanup_free_ char *path = strdup(f->path);
        if (!path)
                return -ENOMEM;
        for (;;) {
                bool sticky_dir = f->kind == FILE_DIRECTORY && (f->mode & S_ISVTX);
                if (f->uid != 0)
                        return ctx_error(c, -EPERM, "%s: %s is owned by uid %u, not root; remedy refuses to install "
                                         "credentials anyone else could change (chown root %s)", source,
                                         f->path, (unsigned) f->uid, f->path);
                if ((f->mode & (S_IWGRP | S_IWOTH)) && !sticky_dir)
                        return ctx_error(c, -EPERM, "%s: %s is writable by %s (mode %04o); remedy refuses to install "
                                         "credentials anyone else could change (chmod go-w %s)", source, f->path,
                                         f->mode & S_IWOTH ? "everyone" : "its group", (unsigned) f->mode, f->path);
                if (streq(path, "/"))
                        return 0;
                char *parent = path_dirname(path);
                if (!parent)
                        return -ENOMEM;
                free(path);
                path = parent;
                if ((r = ctx_read(c, path, true, &f)) < 0)
                        return r;
        }
}

/* The node's name as the kubelet registers it by default: the hostname, lower-cased. */
static int hostname_node_name(Context *c, char **ret) {
        const NodeFile *f;
        int r;

        if ((r = ctx_read(c, "/etc/hostname", true, &f)) < 0)
                return r;
        if (f->kind != FILE_REGULAR)
                return ctx_error(c, -ENOENT, "/etc/hostname: missing; give the node name with --set node_name=NAME");
        size_t n = strcspn(f->data, "\n");
        while (n > 0 && isspace((unsigned char) f->data[n - 1]))
                n--;
        if (n == 0)
                return ctx_error(c, -EINVAL, "/etc/hostname: empty; give the node name with --set node_name=NAME");
        char *s = strndup(f->data, n);
        if (!s)
                return -ENOMEM;
        for (char *p = s; *p; p++)
                *p = (char) tolower((unsigned char) *p);
        *ret = s;
        return 0;
}

/* The node name from the current kubeconfig's client certificate; 0 with *ret NULL when it does
 * not say (no file, no certificate, not a node certificate). */
static int current_node_name(Context *c, Kubeconfig *current, char **ret) {
        _cleanup_free_ char *error = NULL;
        _cleanup_(cert_info_freep) CertInfo *info = NULL;
        const char *name;

        *ret = NULL;
        if (!current || kubeconfig_load(current, c, KUBECONFIG_CLIENT_CERT, &error) < 0 ||
            !current->client_cert.data ||
            cert_info_from_pem(current->file, current->client_cert.data, current->client_cert.size, &info, &error) < 0)
                return 0;
        if (!info->common_name || !(name = startswith(info->common_name, NODE_CN_PREFIX)) || !*name)
                return 0;
        *ret = strdup(name);
        return *ret ? 0 : -ENOMEM;
}

static int check_same_cluster(Context *c, Kubeconfig *kc, Kubeconfig *current) {
        _cleanup_free_ char *error = NULL;
        int r;

        if (!streq_ptr(kc->server, current->server))
                return ctx_error(c, -EINVAL, "%s: server %s is not the server of %s (%s): the kubeconfig is for another cluster",
                                 kc->file, kc->server, current->file, strempty(current->server));
        if ((r = kubeconfig_load(current, c, KUBECONFIG_CA, &error)) < 0)
                return ctx_error(c, r, "%s", error);
        if (!current->ca.data)
                return ctx_error(c, -EINVAL, "%s: cluster '%s' has no certificate authority to compare %s with",
                                 current->file, current->cluster_name, kc->file);
        r = cert_same(kc->file, kc->ca.data, kc->ca.size, current->file, current->ca.data, current->ca.size, &error);
        if (r < 0)
                return ctx_error(c, r, "%s", error);
        if (r == 0)
                return ctx_error(c, -EINVAL, "%s: its cluster CA is not the CA of %s: the kubeconfig is for another cluster",
                                 kc->file, current->file);
        return 0;
}

/* "a, b", or "none" for an empty list. */
static int join_list(char * const *l, char **ret) {
        size_t n = 1;
        STRV_FOREACH(s, l)
                n += strlen(*s) + 2;
        char *out = malloc(MAX(n, sizeof("none")));
        if (!out)
                return -ENOMEM;
        strcpy(out, l && *l ? "" : "none");
        STRV_FOREACH(s, l) {
                if (s != l)
                        strcat(out, ", ");
                strcat(out, *s);
        }
        *ret = out;
        return 0;
}

static int check_client(Context *c, Kubeconfig *kc, const char *node_name, const char *name_from, CertInfo **ret_info) {
        _cleanup_free_ char *error = NULL, *when = NULL, *from = NULL, *orgs = NULL;
        _cleanup_(cert_info_freep) CertInfo *info = NULL;
        int r;

        if (!kc->client_cert.data)
                return ctx_error(c, -EINVAL, "%s: user '%s' has no client certificate (client-certificate-data or client-certificate)",
                                 kc->file, kc->user_name);
        if (!kc->client_key.data)
                return ctx_error(c, -EINVAL, "%s: user '%s' has no client key (client-key-data or client-key)", kc->file,
                                 kc->user_name);
        if ((r = cert_info_from_pem(kc->file, kc->client_cert.data, kc->client_cert.size, &info, &error)) < 0)
                return ctx_error(c, r, "%s (the client certificate)", error);
        r = cert_matches_key(kc->file, kc->client_cert.data, kc->client_cert.size, kc->file, kc->client_key.data,
                             kc->client_key.size, &error);
        if (r < 0)
                return ctx_error(c, r, "%s (the client key)", error);
        if (r == 0)
                return ctx_error(c, -EINVAL, "%s: the client key does not belong to the client certificate", kc->file);

        if (!info->common_name || !startswith(info->common_name, NODE_CN_PREFIX) ||
            !streq(info->common_name + strlen(NODE_CN_PREFIX), node_name))
                return ctx_error(c, -EINVAL, "%s: the client certificate is for '%s', not '" NODE_CN_PREFIX "%s' (the node name, from %s)",
                                 kc->file, strempty(info->common_name), node_name, name_from);
        if (!strv_contains(info->organizations, NODES_GROUP)) {
                if ((r = join_list(info->organizations, &orgs)) < 0)
                        return r;
                return ctx_error(c, -EINVAL, "%s: the client certificate's organizations (%s) do not include " NODES_GROUP
                                 ": the API server would not authorize it as a node (kubeadm kubeconfig user --org " NODES_GROUP ")",
                                 kc->file, orgs);
        }

        time_t now = time(NULL);
        switch (cert_validity(info, now)) {
        case CERT_EXPIRED:
                if ((r = format_utc(info->not_after, &when)) < 0)
                        return r;
                return ctx_error(c, -EKEYEXPIRED, "%s: client certificate expired on %s", kc->file, when);
        case CERT_NOT_YET_VALID:
                if ((r = format_utc(info->not_before, &when)) < 0 || (r = format_utc(now, &from)) < 0)
                        return r;
                return ctx_error(c, -EINVAL, "%s: client certificate is not valid before %s (the node's clock says %s)",
                                 kc->file, when, from);
        case CERT_VALID:
                break;
        }

        if (!kc->server || !*kc->server)
                return ctx_error(c, -EINVAL, "%s: cluster '%s' has no server", kc->file, kc->cluster_name);
        *ret_info = TAKE_PTR(info);
        return 0;
}

static int kubeconfig_install_plan(Context *c, const void *p, Change *change) {
        const KubeconfigInstallArgs *a = p;
        _cleanup_free_ char *source = NULL, *dest = NULL, *node_name = NULL, *error = NULL, *until = NULL;
        _cleanup_free_ char *data = NULL;
        _cleanup_(kubeconfig_freep) Kubeconfig *kc = NULL, *current = NULL;
        _cleanup_(cert_info_freep) CertInfo *info = NULL;
        const char *name_from = "node_name";
        const NodeFile *f;
        int r;

        const NodeFS fs = ctx_node_fs(c);
        if ((r = ctx_render(c, a->source, &source)) < 0 ||
            (r = a->dest ? ctx_render(c, a->dest, &dest) : kubelet_cmdline_kubeconfig(&fs, &dest)) < 0 ||
            (a->node_name && (r = ctx_render(c, a->node_name, &node_name)) < 0))
                return r;

        if ((r = check_source_trusted(c, source)) < 0 || (r = read_kubeconfig(c, source, true, &kc)) < 0)
                return r;
        /* The bytes to install, taken now: the overlay entry is replaced by later wants. */
        if ((r = ctx_read(c, source, true, &f)) < 0)
                return r;
        size_t size = f->size;
        if (!(data = malloc(size + 1)))
                return -ENOMEM;
        memcpy(data, f->data, size + 1);

        if ((r = kubeconfig_load(kc, c, KUBECONFIG_CA | KUBECONFIG_CLIENT_CERT | KUBECONFIG_CLIENT_KEY, &error)) < 0)
                return ctx_error(c, r, "%s", error);
        if ((r = read_kubeconfig(c, dest, false, &current)) < 0)
                return r;

        if (!node_name || !*node_name) {
                free(node_name);
                node_name = NULL;
                name_from = dest;
                if ((r = current_node_name(c, current, &node_name)) < 0)
                        return r;
                if (!node_name) {
                        name_from = "/etc/hostname";
                        if ((r = hostname_node_name(c, &node_name)) < 0)
                                return r;
                }
        }

        if ((r = check_client(c, kc, node_name, name_from, &info)) < 0)
                return r;
        if (current && (r = check_same_cluster(c, kc, current)) < 0)
                return r;
        if (!kc->ca.data)
                return ctx_error(c, -EINVAL, "%s: cluster '%s' has no certificate-authority-data or certificate-authority",
                                 kc->file, kc->cluster_name);
        r = cert_signed_by(kc->file, kc->client_cert.data, kc->client_cert.size, kc->file, kc->ca.data, kc->ca.size, &error);
        if (r < 0)
                return ctx_error(c, r, "%s (the cluster CA)", error);
        if (r == 0)
                return ctx_error(c, -EINVAL, "%s: the client certificate (issuer %s) is not signed by the cluster CA", kc->file,
                                 info->issuer);

        if ((r = format_utc(info->not_after, &until)) < 0)
                return r;
        r = ctx_want_file(c, change, dest, data, size, 0600, 0, 0);
        if (r < 0)
                return r;
        (void) change_set_note(change, "client certificate for %s, valid until %s, signed by %s", info->common_name,
                               until, info->issuer);
        return r;
}

const ActionType action_kubeconfig_install = {
        .key = "kubeconfig-install",
        .summary = "install a kubelet kubeconfig after checking it is for this node and cluster and valid now",
        .parse = kubeconfig_install_parse,
        .plan = kubeconfig_install_plan,
        .free_args = kubeconfig_install_free,
};
