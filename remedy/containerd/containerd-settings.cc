// SPDX-License-Identifier: MIT
/*
 * The CRI settings beside the runtimes that a snapshot reports: the sandbox (pause) image and
 * the gRPC address, with the file that sets each, read from the files containerd merged (in the
 * order containerd_config_load() merged them), by the same rules:
 *
 * - [grpc] address: a top-level setting; a later file's value wins under both 1.x and 2.x.
 * - 1.x: sandbox_image of the CRI plugin's table, which comes whole from one file (cri_file).
 * - 2.x: pinned_images.sandbox of io.containerd.cri.v1.images; a file of an older version is
 *   migrated first (sandbox_image of its io.containerd.grpc.v1.cri table, or "cri" in version 1,
 *   moves there unless the file sets the new key), then a later file's value wins.
 *
 * Unset, containerd uses its compiled-in pause image (which changes with its version):
 * sandbox_image stays NULL.
 */

#include <cerrno>
#include <string>

#include "containerd-config-internal.hh"

namespace remedy_containerd {

namespace {

const toml::table *parsed(const NodeFS *fs, const std::string &path, toml::table &keep) {
        const NodeFile *f = nullptr;
        int r = fs->read(fs->userdata, path.c_str(), true, &f);
        if (r == -ENOMEM)
                throw std::bad_alloc();
        if (r < 0 || f->kind != FILE_REGULAR)
                return nullptr;
        try {
                keep = toml::parse(std::string_view(f->data, f->size), std::string_view(path));
        } catch (const toml::parse_error &) {
                return nullptr;   /* containerd_config_load() has reported it */
        }
        return &keep;
}

const std::string *string_at(const toml::table &doc, const Path &path) {
        const toml::node *n = lookup(&doc, path);
        const toml::value<std::string> *s = n ? n->as_string() : nullptr;
        return s ? &s->get() : nullptr;
}

int settings(const NodeFS *fs, const ContainerdConfig *cfg, ContainerdSettings *ret) {
        std::string sandbox, sandbox_file, grpc = "/run/containerd/containerd.sock", grpc_file;
        STRV_FOREACH(f, cfg->files) {
                toml::table keep;
                const toml::table *doc = parsed(fs, *f, keep);
                if (!doc)
                        continue;
                if (const std::string *s = string_at(*doc, Path{"grpc", "address"})) {
                        grpc = *s;
                        grpc_file = *f;
                }
                const toml::node *vn = doc->get("version");
                int version = vn && vn->is_integer() ? static_cast<int>(vn->as_integer()->get()) : 1;
                const std::string *s = nullptr;
                if (cfg->rules == 2) {
                        s = string_at(*doc, Path{"plugins", "io.containerd.cri.v1.images", "pinned_images", "sandbox"});
                        if (!s && version < cfg->max_version)
                                s = string_at(*doc, Path{"plugins", version <= 1 ? CRI_V1 : CRI_V2, "sandbox_image"});
                } else if (cfg->cri_file && *f == std::string(cfg->cri_file))
                        s = string_at(*doc, Path{"plugins", cfg->version == 1 ? CRI_V1 : CRI_V2, "sandbox_image"});
                if (s) {
                        sandbox = *s;
                        sandbox_file = *f;
                }
        }
        ret->grpc_address = dup(grpc);
        ret->grpc_address_file = grpc_file.empty() ? nullptr : dup(grpc_file);
        ret->sandbox_image = sandbox_file.empty() ? nullptr : dup(sandbox);
        ret->sandbox_image_file = sandbox_file.empty() ? nullptr : dup(sandbox_file);
        return 0;
}

} // namespace

} // namespace remedy_containerd

void containerd_settings_done(ContainerdSettings *s) {
        free(s->sandbox_image);
        free(s->sandbox_image_file);
        free(s->grpc_address);
        free(s->grpc_address_file);
        *s = ContainerdSettings{};
}

int containerd_config_settings(const NodeFS *fs, const ContainerdConfig *cfg, ContainerdSettings *ret, char **ret_error) {
        if (!fs || !cfg || !ret)
                return -EINVAL;
        *ret = ContainerdSettings{};
        int r = remedy_cc::guarded(ret_error, [&]() -> int { return remedy_containerd::settings(fs, cfg, ret); });
        if (r < 0)
                containerd_settings_done(ret);
        return r;
}
