/* SPDX-License-Identifier: MIT */
#include "remedy/sandbox-image.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "remedy/containerd-config.h"
#include "remedy/containerd-node.h"
#include "remedy/exec-util.h"
#include "remedy/fileio.h"
#include "remedy/kubelet-cmdline.h"
#include "remedy/macro.h"
#include "remedy/strv.h"
#include "remedy/toml-edit.h"

#define CTR_TIMEOUT_MS 20000
#define CTR_OUTPUT_MAX (4u << 20)

/* The CRI plugin's table per configuration version, for the key that names the sandbox image. */
#define CRI_TABLE_V1 "plugins.cri"
#define CRI_TABLE_V2 "plugins.\"io.containerd.grpc.v1.cri\""
#define IMAGES_TABLE_V3 "plugins.\"io.containerd.cri.v1.images\".pinned_images"

void sandbox_image_done(SandboxImage *s) {
        free(s->config_path);
        free(s->image);
        free(s->image_file);
        free(s->edit_file);
        free(s->edit_table);
        free(s->edit_key);
        free(s->kubelet_image);
        free(s->kubelet_source);
        free(s->store_error);
        strv_free(s->pause_images);
        free(s->replacement);
        *s = (SandboxImage) {};
}

/* An image reference as containerd's reference normalization spells it in the store
 * (docker/reference ParseNormalizedNamed): "pause:3.9" is docker.io/library/pause:3.9, a first
 * component without '.' or ':' (and not "localhost") is a Docker Hub path, no tag is :latest. */
static char *normalized_ref(const char *ref) {
        const char *slash = strchr(ref, '/');
        const char *prefix = "";
        if (!slash)
                prefix = "docker.io/library/";
        else {
                size_t n = (size_t) (slash - ref);
                if (!memchr(ref, '.', n) && !memchr(ref, ':', n) && !(n == 9 && strncmp(ref, "localhost", 9) == 0))
                        prefix = "docker.io/";
        }
        const char *last = strrchr(ref, '/');
        last = last ? last + 1 : ref;
        bool tagged = strchr(last, ':') || strchr(ref, '@');
        char *s = NULL;
        if (asprintf(&s, "%s%s%s", prefix, ref, tagged ? "" : ":latest") < 0)
                return NULL;
        return s;
}

bool sandbox_image_listed(char * const *listing, const char *image) {
        _cleanup_free_ char *want = normalized_ref(image);
        if (!want)
                return false;
        STRV_FOREACH(l, listing) {
                _cleanup_free_ char *have = normalized_ref(*l);
                if (have && streq(have, want))
                        return true;
        }
        return false;
}

/* ".../pause:TAG" (not a digest-only name). */
static bool is_pause_image(const char *name) {
        const char *last = strrchr(name, '/');
        last = last ? last + 1 : name;
        return startswith(last, "pause:") && !strchr(name, '@');
}

static int compare_tags(const void *a, const void *b) {
        const char *x = strrchr(*(char * const *) a, ':'), *y = strrchr(*(char * const *) b, ':');
        int r = strverscmp(x ? x : "", y ? y : "");
        return r != 0 ? r : strcmp(*(char * const *) a, *(char * const *) b);
}

static const char *ctr_binary(void) {
        static const char * const candidates[] = { "/usr/local/bin/ctr", "/usr/bin/ctr", NULL };
        for (const char * const *p = candidates; *p; p++)
                if (access(*p, X_OK) == 0)
                        return *p;
        return NULL;
}

/* `ctr --address ADDRESS -n k8s.io images ls -q`: the store's image names. */
static int read_store(const char *address, char ***ret, char **ret_error) {
        _cleanup_free_ char *out = NULL;
        _cleanup_strv_free_ char **names = NULL;
        size_t size = 0;
        int status = 0, r;
        const char *ctr = ctr_binary();

        *ret = NULL;
        if (!ctr)
                return (*ret_error = strdup("no ctr (containerd's client) on this machine")) ? -ENOENT : -ENOMEM;
        char *argv[] = { (char *) ctr, (char *) "--address", (char *) address, (char *) "--namespace", (char *) "k8s.io",
                         (char *) "images", (char *) "ls", (char *) "--quiet", NULL };
        r = exec_capture(argv, CTR_TIMEOUT_MS, CTR_OUTPUT_MAX, &out, &size, &status);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return asprintf(ret_error, "%s: %s", ctr, strerror(-r)) < 0 ? -ENOMEM : r;
        if (status != 0)
                return asprintf(ret_error, "%s images ls exited with status %d (is containerd running?)", ctr, status) < 0
                        ? -ENOMEM : -EIO;
        for (char *p = out, *nl; p && *p; p = nl ? nl + 1 : NULL) {
                nl = strchr(p, '\n');
                if (nl)
                        *nl = 0;
                if (*p && strv_extend(&names, p) < 0)
                        return -ENOMEM;
        }
        *ret = TAKE_PTR(names);
        return 0;
}

/* The sandbox image the node's containerd uses by default, from its own `config dump`. */
static int default_image_live(const char *config_path, bool config_exists, int rules, char **ret) {
        _cleanup_free_ char *out = NULL, *error = NULL;
        const char *binary;
        size_t size = 0;
        int status = 0, r;

        *ret = NULL;
        if (containerd_binary(&binary) < 0)
                return 0;
        char *dump[] = { (char *) binary, (char *) "--config", (char *) config_path, (char *) "config", (char *) "dump", NULL };
        char *defaults[] = { (char *) binary, (char *) "config", (char *) "default", NULL };
        r = exec_capture(config_exists ? dump : defaults, CTR_TIMEOUT_MS, CTR_OUTPUT_MAX, &out, &size, &status);
        if (r == -ENOMEM)
                return r;
        if (r < 0 || status != 0)
                return 0;
        r = toml_edit_get(out, size, rules >= 2 ? "plugins.\"io.containerd.cri.v1.images\".pinned_images.sandbox"
                                                : "plugins.\"io.containerd.grpc.v1.cri\".sandbox_image", ret, &error);
        return r == -ENOMEM ? r : 0;
}

/* The table and key for the sandbox image in a file of this configuration version. */
static int edit_place(int version, char **ret_table, char **ret_key) {
        const char *table = version >= 3 ? IMAGES_TABLE_V3 : version == 2 ? CRI_TABLE_V2 : CRI_TABLE_V1;
        if (!(*ret_table = strdup(table)) || !(*ret_key = strdup(version >= 3 ? "sandbox" : "sandbox_image")))
                return -ENOMEM;
        return 0;
}

int sandbox_image_judge(Context *c, SandboxImage *ret) {
        _cleanup_(sandbox_image_done) SandboxImage s = {};
        _cleanup_(containerd_config_done) ContainerdConfig cfg = {};
        _cleanup_(containerd_settings_done) ContainerdSettings settings = {};
        _cleanup_(kubelet_cmdline_done) KubeletCommandLine cl = {};
        _cleanup_free_ char *error = NULL, *version = NULL;
        const NodeFS fs = ctx_node_fs(c);
        const NodeFile *f;
        int r;

        if ((r = containerd_node_config_path(c, &s.config_path)) < 0)
                return r;
        if ((r = containerd_node_present(c, s.config_path)) < 0)
                return r;
        if (r == 0)
                return -ENODEV;
        r = containerd_config_load(&fs, s.config_path, containerd_node_rules(&fs), &cfg, &error);
        if (r < 0)
                return r == -ENOMEM ? r : ctx_error(c, -EINVAL, "%s", error ? error : strerror(-r));
        if ((r = containerd_config_settings(&fs, &cfg, &settings, &error)) < 0)
                return r == -ENOMEM ? r : ctx_error(c, -EINVAL, "%s", error ? error : strerror(-r));

        if (settings.sandbox_image) {
                s.image = TAKE_PTR(settings.sandbox_image);
                s.image_file = TAKE_PTR(settings.sandbox_image_file);
        }
        const char *target = s.image_file ? s.image_file : cfg.cri_file ? cfg.cri_file : s.config_path;
        if (!(s.edit_file = strdup(target)))
                return -ENOMEM;
        if ((r = ctx_read(c, s.edit_file, true, &f)) < 0)
                return r;
        bool exists = f->kind == FILE_REGULAR;
        int file_version = exists ? 1 : cfg.max_version;
        if (exists) {
                free(error);
                error = NULL;
                r = toml_edit_get(f->data, f->size, "version", &version, &error);
                if (r == -ENOMEM)
                        return r;
                if (r > 0)
                        file_version = atoi(version);
        }
        if (exists && cfg.rules >= 2 && file_version < 3) {
                /* 2.x's plugin ids in an older-version file (AKS writes them with version = 2):
                 * its pinned_images.sandbox, where it has one, is the key containerd reads. */
                _cleanup_free_ char *pinned = NULL;
                free(error);
                error = NULL;
                r = toml_edit_get(f->data, f->size, IMAGES_TABLE_V3 ".sandbox", &pinned, &error);
                if (r == -ENOMEM)
                        return r;
                if (r > 0)
                        file_version = 3;
        }
        if ((r = edit_place(file_version, &s.edit_table, &s.edit_key)) < 0)
                return r;

        /* The kubelet's --pod-infra-container-image (kubeadm writes it for kubelets before 1.27). */
        free(error);
        error = NULL;
        r = kubelet_cmdline_resolve(&fs, "kubelet.service", NULL, &cl, &error);
        if (r == -ENOMEM)
                return r;
        if (r >= 0) {
                const KubeletArg *a = kubelet_cmdline_find(&cl, "pod-infra-container-image");
                if (a && a->value && *a->value &&
                    (!(s.kubelet_image = strdup(a->value)) || !(s.kubelet_source = strdup(a->source))))
                        return -ENOMEM;
        }

        if (c->offline || !root_is_host(c->root)) {
                if (!(s.store_error = strdup(c->offline ? "not checked offline" : "not checked for another machine")))
                        return -ENOMEM;
        } else {
                _cleanup_strv_free_ char **listing = NULL;
                if (!s.image && (r = default_image_live(s.config_path, cfg.files && cfg.files[0], cfg.rules,
                                                        &s.image)) < 0)
                        return r;
                r = read_store(cfg.grpc_address, &listing, &s.store_error);
                if (r == -ENOMEM)
                        return r;
                if (r >= 0) {
                        s.store_checked = true;
                        s.in_store = s.image && sandbox_image_listed(listing, s.image);
                        STRV_FOREACH(l, listing)
                                if (is_pause_image(*l) && (r = strv_extend(&s.pause_images, *l)) < 0)
                                        return r;
                        if (s.pause_images)
                                qsort(s.pause_images, strv_length(s.pause_images), sizeof(char *), compare_tags);
                        const char *pick = s.kubelet_image && sandbox_image_listed(listing, s.kubelet_image)
                                                   ? s.kubelet_image
                                                   : s.pause_images ? s.pause_images[strv_length(s.pause_images) - 1]
                                                                    : NULL;
                        if (pick && !(s.replacement = strdup(pick)))
                                return -ENOMEM;
                }
        }
        *ret = s;
        s = (SandboxImage) {};
        return 0;
}
