// SPDX-License-Identifier: MIT
/*
 * containerd's configuration as containerd merges it. The rules, and where they come from:
 *
 * Loading (LoadConfig in services/server/config/config.go for 1.6/1.7, LoadConfigWithPlugins in
 * cmd/containerd/server/config/config.go for 2.x): a queue that starts with the main file; each
 * file is decoded, merged into the result, and its own `imports` are resolved and appended to the
 * queue, so imports of imports are followed, breadth first. A path already loaded is skipped (the
 * string, not the file: that is what stops circular imports).
 *
 * resolveImports: a non-glob import is filepath.Clean'ed and, when relative, joined to the
 * importing file's directory. An import containing '*' is a filepath.Glob pattern: in 1.x it is
 * globbed as written, so a relative pattern is relative to containerd's working directory ("/"
 * under systemd); in 2.x it is joined to the importing file's directory first. Glob results come
 * directory by directory in byte order, and '*' matches dot files too (Go's filepath.Match).
 *
 * A missing main file is containerd's defaults (1.x main.go stats the default path first; 2.x
 * ignores os.IsNotExist); a missing import makes containerd fail to start.
 *
 * mergeConfig, 1.x: after mergo, `to.Plugins[k] = v` replaces each plugin's whole table with the
 * later file's. Version: mergo.WithOverride, so the last non-zero version wins; GetVersion() makes
 * 0 into 1, and Config.Decode reads a plugin's table by its short ID ("cri") in version 1 and by
 * its URI ("io.containerd.grpc.v1.cri") otherwise.
 *
 * mergeConfig, 2.x (containerd PR #9982): mergo alone, which merges map[string]any tables key by
 * key (darccio/mergo merge.go deepMerge, reflect.Map): nested tables recursively, while a later
 * scalar or array replaces the earlier one, even when it is empty or false. Before merging, a file
 * whose version is below the newest its containerd reads (3 for 2.0 - 2.2, 4 for 2.3 and later,
 * whose version 4 only moved server settings) is migrated on its own: v1Migrate renames "cri" to
 * its URI, then the CRI runtime plugin's configMigration (plugins/cri/runtime/plugin.go,
 * migrateConfig) copies the io.containerd.grpc.v1.cri keys into io.containerd.cri.v1.runtime where
 * that file does not set them (cni.bin_dir becoming cni.bin_dirs = [bin_dir]; `runtimes` is taken
 * whole or not at all). The first file with a version fixes the root version; a drop-in with a
 * higher one is refused. disabled_plugins lists are appended, file by file.
 *
 * Which containerd: the caller says, or the main file decides: version 4 is 2.3's, version 3
 * 2.0's, and so is a file that names the plugins 2.x split the CRI plugin into whatever its
 * version line says; anything else is read as 1.x. A version newer than those rules read is
 * refused with a line naming it, as containerd refuses it.
 *
 * The merged CRI table is decoded as the CRI plugin decodes it in containerd-runtimes.cc.
 *
 * Nothing may throw across the C boundary: the entry points run inside guarded().
 */

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <map>
#include <new>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fnmatch.h>

#include "containerd-config-internal.hh"

namespace remedy_containerd {

namespace {

using remedy_cc::fail;

/* Go's filepath.Clean for the absolute paths containerd builds ("/a/./b/../c" is "/a/c"). */
std::string clean_path(std::string_view p) {
        std::vector<std::string_view> parts;
        size_t i = 0;
        while (i < p.size()) {
                size_t j = p.find('/', i);
                if (j == std::string_view::npos)
                        j = p.size();
                std::string_view c = p.substr(i, j - i);
                if (c == "..") {
                        if (!parts.empty())
                                parts.pop_back();
                } else if (!c.empty() && c != ".")
                        parts.push_back(c);
                i = j + 1;
        }
        std::string out;
        for (std::string_view c : parts)
                out.append("/").append(c);
        return out.empty() ? "/" : out;
}

std::string dir_of(const std::string &path) {
        size_t slash = path.rfind('/');
        return slash == 0 || slash == std::string::npos ? "/" : path.substr(0, slash);
}

std::string join(const std::string &dir, std::string_view name) {
        return clean_path(dir + "/" + std::string(name));
}

/* filepath.Glob treats these as pattern characters (and '\\' as an escape) on Unix. */
bool has_meta(std::string_view s) {
        return s.find_first_of("*?[\\") != std::string_view::npos;
}

struct CStrv {
        char **v = nullptr;
        ~CStrv() { strv_free(v); }
};

/* The file at path as fs sees it (a final symlink followed, as os.Open does): nullptr when there
 * is none; errors thrown. */
const NodeFile *read_node(const NodeFS *fs, const std::string &path) {
        const NodeFile *f = nullptr;
        int r = fs->read(fs->userdata, path.c_str(), true, &f);
        if (r == -ENOMEM)
                throw std::bad_alloc();
        if (r < 0)
                fail(r, path + ": " + strerror(-r));
        return f->kind == FILE_ABSENT ? nullptr : f;
}

/* The names in dir, dot files included (Go's filepath.Match lets '*' match a leading '.'): the
 * NodeFS glob is a shell's, so ask it for "*" and ".*". Names only: containerd keeps the paths it
 * built, not their canonical form. */
std::vector<std::string> names_in(const NodeFS *fs, const std::string &dir) {
        std::vector<std::string> out;
        for (const char *all : {"*", ".*"}) {
                CStrv paths;
                int r = fs->glob(fs->userdata, join(dir, all).c_str(), &paths.v);
                if (r == -ENOMEM)
                        throw std::bad_alloc();
                if (r < 0)
                        continue;   /* I/O errors mean no match, as in Go */
                STRV_FOREACH(p, paths.v) {
                        const char *slash = strrchr(*p, '/');
                        std::string name = slash ? slash + 1 : *p;
                        if (name != "." && name != "..")
                                out.push_back(name);
                }
        }
        std::sort(out.begin(), out.end());
        out.erase(std::unique(out.begin(), out.end()), out.end());
        return out;
}

/* filepath.Glob inside the node: matches come directory by directory, names in byte order;
 * fnmatch(3) without flags matches one path component the way filepath.Match does. */
std::vector<std::string> glob(const NodeFS *fs, const std::string &pattern) {
        std::vector<std::string> out;
        if (!has_meta(pattern)) {
                const NodeFile *f = nullptr;
                int r = fs->read(fs->userdata, pattern.c_str(), false, &f);
                if (r == -ENOMEM)
                        throw std::bad_alloc();
                if (r >= 0 && f->kind != FILE_ABSENT)
                        out.push_back(pattern);
                return out;
        }
        std::string dir = dir_of(pattern), file = pattern.substr(pattern.rfind('/') + 1);
        std::vector<std::string> dirs = has_meta(dir) ? glob(fs, dir) : std::vector<std::string>{dir};
        for (const std::string &d : dirs)
                for (const std::string &n : names_in(fs, d))
                        if (fnmatch(file.c_str(), n.c_str(), 0) == 0)
                                out.push_back(join(d, n));
        return out;
}

toml::table parse_file(const std::string &file, std::string_view data) {
        try {
                return toml::parse(data, std::string_view(file));
        } catch (const toml::parse_error &e) {
                fail(-EINVAL, at(file, e.source()) + std::string(e.description()));
        }
}

int file_version(const toml::table &doc, const std::string &file) {
        const toml::node *n = doc.get("version");
        if (!n)
                return 0;
        if (!n->is_integer() || n->as_integer()->get() < 0 || n->as_integer()->get() > 1000)
                fail(-EINVAL, at(file, n->source()) + "version: expected a small non-negative integer");
        return static_cast<int>(n->as_integer()->get());
}

const toml::table *plugin_table(const toml::table &doc, std::string_view id) {
        const toml::node *n = lookup(&doc, Path{"plugins", std::string(id)});
        return n ? n->as_table() : nullptr;
}

/* A file written for containerd 2.x whatever its version line says: it names the plugins 2.x
 * split the CRI plugin into (AKS writes "version = 2" with them for containerd 2.0 - 2.2). */
bool uses_2x_plugins(const toml::table &doc) {
        return plugin_table(doc, CRI_RUNTIME_V3) || plugin_table(doc, "io.containerd.cri.v1.images");
}

/* disabled_plugins, which containerd appends across files; version 1's short ids renamed as
 * v1Migrate renames them. required_plugins only for the check of their ids. */
void add_disabled(Effective &e, const toml::table &doc, const std::string &file, int version) {
        for (const char *key : {"disabled_plugins", "required_plugins"}) {
                const toml::node *n = doc.get(key);
                if (!n)
                        continue;
                const toml::array *a = n->as_array();
                if (!a)
                        fail(-EINVAL, at(file, n->source()) + key + ": expected an array of strings");
                for (const toml::node &d : *a) {
                        if (!d.is_string())
                                fail(-EINVAL, at(file, d.source()) + key + ": expected an array of strings");
                        std::string id = d.as_string()->get();
                        e.plugin_ids.push_back({id, at(file, d.source())});
                        if (std::string_view(key) == "disabled_plugins") {
                                e.disabled_plugins.insert(version <= 1 && e.rules == 2 && id == CRI_V1 ? CRI_V2 : id);
                                e.disabled_at.push_back({id, at(file, d.source())});
                        }
                }
        }
}

/* ValidateVersion (1.6 ValidateV2, 2.x alike): from version 2 on, plugins are named by their URI;
 * a short id makes containerd refuse the whole configuration. */
void check_plugin_ids(const Effective &e) {
        if (e.version < 2)
                return;
        for (const auto &[id, where] : e.plugin_ids)
                if (id.find('.') == std::string::npos)
                        fail(-EINVAL, where + "plugin \"" + id + "\" is not a URI like io.containerd.grpc.v1." + id +
                                              ": containerd refuses a version " + std::to_string(e.version) +
                                              " configuration with it and does not start");
}

/* 2.x: one file's io.containerd.cri.v1.runtime table after the migrations its version needs
 * (every version below the newest the rules know: 2.3 migrates version 3 files too). */
Layer migrated_runtime(const std::string &file, const toml::table &doc, int version, int max_version) {
        const toml::table *own = plugin_table(doc, CRI_RUNTIME_V3);
        Layer layer{file, own ? *own : toml::table{}, {}};
        if (own)
                layer.originals.push_back(own);
        toml::table &dst = layer.table;
        if (version >= max_version)
                return layer;
        /* v1Migrate: "cri" is io.containerd.grpc.v1.cri in a version 0/1 file */
        const toml::table *src = version <= 1 ? plugin_table(doc, CRI_V1) : nullptr;
        if (!src)
                src = plugin_table(doc, CRI_V2);
        if (!src)
                return layer;
        layer.originals.push_back(src);

        static const std::set<std::string_view> moved_elsewhere = {
                "cni", "containerd", "sandbox_image", "registry", "image_decryption", "max_concurrent_downloads",
                "image_pull_progress_timeout", "image_pull_with_sync_fs", "stats_collect_period",
                "disable_tcp_service", "stream_server_address", "stream_server_port", "stream_idle_timeout",
                "enable_tls_streaming", "x509_key_pair_streaming"};
        for (auto &&[k, v] : *src)
                if (!moved_elsewhere.count(k.str()) && !dst.contains(k.str()))
                        put(dst, k.str(), v);

        if (const toml::table *cni = src->get_as<toml::table>("cni")) {
                toml::table out = dst.get_as<toml::table>("cni") ? *dst.get_as<toml::table>("cni") : toml::table{};
                for (auto &&[k, v] : *cni) {
                        if (k.str() == "bin_dir") {
                                /* the migration's []string check never matches a decoded TOML array */
                                toml::array dirs;
                                v.visit([&](auto &&x) { dirs.push_back(x); });
                                out.insert_or_assign("bin_dirs", std::move(dirs));
                        } else if (!out.contains(k.str()))
                                put(out, k.str(), v);
                }
                dst.insert_or_assign("cni", std::move(out));
        }
        if (const toml::table *ctr = src->get_as<toml::table>("containerd")) {
                static const std::set<std::string_view> images = {"snapshotter", "disable_snapshot_annotations",
                                                                  "discard_unpacked_layers"};
                toml::table out = dst.get_as<toml::table>("containerd") ? *dst.get_as<toml::table>("containerd")
                                                                         : toml::table{};
                for (auto &&[k, v] : *ctr)
                        if (!images.count(k.str()) && !out.contains(k.str()))
                                put(out, k.str(), v);
                dst.insert_or_assign("containerd", std::move(out));
        }
        return layer;
}

/* Where the CRI plugin is disabled, when decode() found that it is: the first disabled_plugins
 * entry that names it, "FILE:LINE:COLUMN: disabled_plugins names ID". */
void note_cri_disabled(const Effective &e, ContainerdConfig *ret) {
        if (!ret->cri_error || std::strncmp(ret->cri_error, "the CRI plugin is disabled", 26) != 0)
                return;
        for (const auto &[id, where] : e.disabled_at)
                if (id == CRI_V1 || id == CRI_V2 || id == CRI_RUNTIME_V3) {
                        ret->cri_disabled = dup(where + "disabled_plugins names \"" + id + "\"");
                        return;
                }
}

inline constexpr char GRPC_ADDRESS_DEFAULT[] = "/run/containerd/containerd.sock";

/* [grpc] address of one file: both mergers keep the last file's non-empty value (1.x mergo
 * WithOverride skips empty values; 2.x's map merge replaces, and "" is containerd's default). */
void note_grpc_address(const toml::table &doc, const std::string &file, std::string &address, std::string &from) {
        const toml::node *n = lookup(&doc, Path{"grpc", "address"});
        if (!n)
                return;
        if (!n->is_string())
                fail(-EINVAL, at(file, n->source()) + "grpc.address: expected a string");
        if (n->as_string()->get().empty())
                return;
        address = n->as_string()->get();
        from = file;
}

void set_grpc_address(ContainerdConfig *ret, const std::string &address, const std::string &from) {
        ret->grpc_address = dup(address.empty() ? std::string(GRPC_ADDRESS_DEFAULT) : address);
        if (!from.empty())
                ret->grpc_address_file = dup(from);
}

struct Pending {
        std::string path;
        std::string parent;           /* empty for the main file */
        toml::source_region where{};  /* the imports entry that named it */
};

/* The resolved imports of one file, in containerd's order. */
void resolve_imports(const NodeFS *fs, int rules, const std::string &file, const toml::table &doc,
                     std::deque<Pending> &pending) {
        const toml::node *n = doc.get("imports");
        if (!n)
                return;
        const toml::array *a = n->as_array();
        if (!a)
                fail(-EINVAL, at(file, n->source()) + "imports: expected an array of strings");
        for (const toml::node &entry : *a) {
                if (!entry.is_string())
                        fail(-EINVAL, at(file, entry.source()) + "imports: expected an array of strings");
                std::string imp = entry.as_string()->get();
                bool pattern = imp.find('*') != std::string::npos;
                if (imp.empty() || (imp[0] != '/' && (!pattern || rules == 2)))
                        imp = join(dir_of(file), imp);
                else
                        /* 1.x globs a relative pattern from containerd's working directory, "/" */
                        imp = clean_path(imp);
                if (pattern)
                        for (std::string &m : glob(fs, imp))
                                pending.push_back({std::move(m), file, entry.source()});
                else
                        pending.push_back({std::move(imp), file, entry.source()});
        }
}

void set_rules(Effective &e, ContainerdRules rules) {
        e.rules = rules == CONTAINERD_RULES_2 || rules == CONTAINERD_RULES_2_3 ? 2 : 1;
        e.max_version = rules == CONTAINERD_RULES_2_3 ? 4 : rules == CONTAINERD_RULES_2 ? 3 : 2;
}

int load(const NodeFS *fs, const char *path, ContainerdRules wanted, ContainerdConfig *ret) {
        if (!path || path[0] != '/')
                fail(-EINVAL, "containerd's configuration path must be absolute");
        Effective e;
        set_rules(e, wanted);
        std::map<std::string, Layer> cri_by_id; /* 1.x: the last whole table of each CRI plugin id */
        std::set<std::string> loaded;
        std::deque<toml::table> docs;
        std::deque<Pending> pending = {{clean_path(path), "", {}}};
        int root_version = 0, last_version = 0;
        std::string grpc_address, grpc_address_from;

        while (!pending.empty()) {
                Pending p = std::move(pending.front());
                pending.pop_front();
                if (loaded.count(p.path))
                        continue;

                const NodeFile *f = read_node(fs, p.path);
                if (f && f->kind != FILE_REGULAR)
                        fail(-EINVAL, (p.parent.empty() ? p.path + ": " : at(p.parent, p.where)) + p.path + " is a " +
                                              file_kind_name(f->kind) + ", not a file");
                if (!f && p.parent.empty()) {
                        /* no main file: containerd runs on its defaults */
                        if (e.rules == 2)
                                e.version = e.max_version;
                        e.runtime_plugin = e.rules == 2;
                        decode(e, p.path, ret);
                        set_grpc_address(ret, "", "");
                        return 0;
                }
                if (!f)
                        fail(-ENOENT, at(p.parent, p.where) + "cannot read the imported file " + p.path +
                                              ": No such file or directory (containerd does not start without it)");

                /* kept until the end: layers point into them for error positions */
                const toml::table *doc = &docs.emplace_back(parse_file(p.path, std::string_view(f->data, f->size)));
                int version = file_version(*doc, p.path);
                if (p.parent.empty() && wanted == CONTAINERD_RULES_AUTO) {
                        if (version >= 4)
                                set_rules(e, CONTAINERD_RULES_2_3);
                        else if (version == 3 || uses_2x_plugins(*doc))
                                set_rules(e, CONTAINERD_RULES_2);
                }
                add_disabled(e, *doc, p.path, version);
                note_grpc_address(*doc, p.path, grpc_address, grpc_address_from);

                if (e.rules == 2) {
                        if (root_version == 0)
                                root_version = version;
                        const toml::node *vn = doc->get("version");
                        std::string where = vn ? at(p.path, vn->source()) : p.path + ": ";
                        if (version > root_version)
                                fail(-EINVAL, where + "drop-in config version " + std::to_string(version) +
                                                      " higher than root config version " + std::to_string(root_version) +
                                                      " (containerd refuses this)");
                        if (version > e.max_version)
                                fail(-EINVAL, where + "containerd config version " + std::to_string(version) +
                                                      ": remedy knows versions 1 to " + std::to_string(e.max_version) +
                                                      " for this containerd");
                        e.layers.push_back(migrated_runtime(p.path, *doc, version, e.max_version));
                } else {
                        if (version != 0)
                                last_version = version;
                        for (const char *id : {CRI_V1, CRI_V2})
                                if (const toml::table *t = plugin_table(*doc, id))
                                        cri_by_id[id] = {p.path, *t, {t}};
                }

                resolve_imports(fs, e.rules, p.path, *doc, pending);
                loaded.insert(p.path);
                e.files.push_back(p.path);
        }

        if (e.rules == 2) {
                e.runtime_plugin = true;
                e.version = root_version == 0 ? 1 : root_version;
        } else {
                e.version = last_version == 0 ? 1 : last_version;
                auto it = cri_by_id.find(e.version == 1 ? CRI_V1 : CRI_V2);
                if (it != cri_by_id.end())
                        e.layers.push_back(std::move(it->second));
                /* containerd 1.x knows the CRI plugin by its full id whatever the version */
                if (e.disabled_plugins.erase(CRI_V1) && e.version == 1)
                        e.disabled_plugins.insert(CRI_V2);
        }
        check_plugin_ids(e);
        decode(e, path, ret);
        note_cri_disabled(e, ret);
        set_grpc_address(ret, grpc_address, grpc_address_from);
        return 0;
}

int from_dump(std::string_view text, ContainerdConfig *ret) {
        const std::string name = "dump";
        toml::table doc = parse_file(name, text);
        Effective e;
        int version = file_version(doc, name);
        e.version = version == 0 ? 1 : version;
        set_rules(e, e.version >= 4 ? CONTAINERD_RULES_2_3 : e.version == 3 ? CONTAINERD_RULES_2 : CONTAINERD_RULES_1);
        e.runtime_plugin = e.rules == 2;
        add_disabled(e, doc, name, e.version);
        const char *id = e.rules == 2 ? CRI_RUNTIME_V3 : e.version == 1 ? CRI_V1 : CRI_V2;
        if (const toml::table *t = plugin_table(doc, id))
                e.layers.push_back({name, *t, {t}});
        decode(e, name, ret);
        note_cri_disabled(e, ret);
        std::string grpc_address, unused;
        note_grpc_address(doc, name, grpc_address, unused);
        set_grpc_address(ret, grpc_address, "");
        /* the dump is one merged view: no file to name */
        free(ret->cni_conf_dir_file);
        ret->cni_conf_dir_file = nullptr;
        free(ret->systemd_cgroup_file);
        ret->systemd_cgroup_file = nullptr;
        free(ret->cri_systemd_cgroup_file);
        ret->cri_systemd_cgroup_file = nullptr;
        free(ret->cri_file);
        ret->cri_file = nullptr;
        for (size_t i = 0; i < ret->n_runtimes; i++) {
                free(ret->runtimes[i].systemd_cgroup_file);
                free(ret->runtimes[i].table_file);
                ret->runtimes[i].systemd_cgroup_file = ret->runtimes[i].table_file = nullptr;
        }
        return 0;
}

} // namespace

} // namespace remedy_containerd

int containerd_config_load(const NodeFS *fs, const char *path, ContainerdRules rules, ContainerdConfig *ret,
                           char **ret_error) {
        if (!fs || !ret)
                return -EINVAL;
        *ret = ContainerdConfig{};
        return remedy_cc::guarded(ret_error, [&]() -> int { return remedy_containerd::load(fs, path, rules, ret); });
}

int containerd_config_from_dump(const char *text, size_t size, ContainerdConfig *ret, char **ret_error) {
        if (!text || !ret)
                return -EINVAL;
        *ret = ContainerdConfig{};
        return remedy_cc::guarded(ret_error,
                                  [&]() -> int { return remedy_containerd::from_dump(std::string_view(text, size), ret); });
}
