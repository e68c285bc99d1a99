// SPDX-License-Identifier: MIT
/* CRI-O's cgroup manager from its configuration files: see include/remedy/crio-config.h. */

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <toml++/toml.h>

#include "edit/cc-boundary.hh"

extern "C" {
#include "remedy/crio-config.h"
#include "remedy/strv.h"
}

namespace {

using remedy_cc::fail;

struct CStrv {
        char **v = nullptr;
        ~CStrv() { strv_free(v); }
};

std::string at(const std::string &file, const toml::source_region &r) {
        return file + ":" + std::to_string(r.begin.line) + ":" + std::to_string(r.begin.column) + ": ";
}

/* Sets manager and source when file sets cgroup_manager. */
void read_one(const NodeFS *fs, const std::string &file, std::string &manager, std::string &source) {
        const NodeFile *f = nullptr;
        int r = fs->read(fs->userdata, file.c_str(), true, &f);
        if (r == -ENOMEM)
                throw std::bad_alloc();
        if (r < 0 || f->kind != FILE_REGULAR)
                return;
        toml::table doc;
        try {
                doc = toml::parse(std::string_view(f->data, f->size), std::string_view(file));
        } catch (const toml::parse_error &e) {
                fail(-EINVAL, at(file, e.source()) + std::string(e.description()));
        }
        const toml::node *n = doc.at_path("crio.runtime.cgroup_manager").node();
        if (!n)
                return;
        if (!n->is_string())
                fail(-EINVAL, at(file, n->source()) + "crio.runtime.cgroup_manager: expected a string");
        manager = n->as_string()->get();
        source = file + ":" + std::to_string(n->source().begin.line);
}

int cgroup_manager(const NodeFS *fs, char **ret_manager, char **ret_source) {
        std::string manager = "systemd", source;
        read_one(fs, CRIO_CONFIG_PATH, manager, source);
        CStrv paths;
        int r = fs->glob(fs->userdata, CRIO_CONFIG_DIR "/*", &paths.v);
        if (r == -ENOMEM)
                throw std::bad_alloc();
        std::vector<std::string> files;
        if (r >= 0)
                STRV_FOREACH(p, paths.v)
                        files.push_back(*p);
        std::sort(files.begin(), files.end());
        for (const std::string &file : files)
                read_one(fs, file, manager, source);
        if (!(*ret_manager = strdup(manager.c_str())))
                throw std::bad_alloc();
        *ret_source = source.empty() ? nullptr : strdup(source.c_str());
        if (!source.empty() && !*ret_source) {
                free(*ret_manager);
                throw std::bad_alloc();
        }
        return 0;
}

} // namespace

int crio_cgroup_manager(const NodeFS *fs, char **ret_manager, char **ret_source, char **ret_error) {
        *ret_manager = *ret_source = nullptr;
        return remedy_cc::guarded(ret_error, [&]() -> int { return cgroup_manager(fs, ret_manager, ret_source); });
}
