// SPDX-License-Identifier: MIT
#pragma once

/*
 * Between containerd-config.cc (reading the files and merging them as containerd loads its
 * configuration) and containerd-runtimes.cc (decoding the merged CRI table as the CRI plugin
 * does: CNI directories, runtimes and their cgroup driver, what makes the plugin refuse to
 * load), with the TOML helpers both use (containerd-toml.cc). The loader hands the decoder an
 * Effective; the decoder knows nothing of files beyond it.
 */

#include <optional>
#include <set>
#include <string>
#include <vector>

#include <toml++/toml.h>

#include "edit/cc-boundary.hh"

extern "C" {
#include "remedy/containerd-config.h"
#include "remedy/strv.h"
}

namespace remedy_containerd {

inline constexpr char CRI_V1[] = "cri";
inline constexpr char CRI_V2[] = "io.containerd.grpc.v1.cri";
inline constexpr char CRI_RUNTIME_V3[] = "io.containerd.cri.v1.runtime";

using Path = std::vector<std::string>;

/* One file's contribution to the CRI plugin table that decides what we report. Merging copies
 * nodes, and toml++ copies carry no source position: originals are the parsed tables the
 * contribution was taken from (in precedence order), kept to say where a bad value is. */
struct Layer {
        std::string file;
        toml::table table;
        std::vector<const toml::table *> originals;
};

struct Effective {
        int version = 1;
        int rules = 1;                 /* 1: containerd 1.x; 2: 2.x */
        int max_version = 2;           /* the newest config version the rules read */
        std::vector<std::string> files;
        std::vector<Layer> layers;     /* in merge order; the merged table is layers folded */
        bool runtime_plugin = false;   /* 2.x io.containerd.cri.v1.runtime, else the 1.x cri plugin */
        std::set<std::string> disabled_plugins;  /* every file's, as containerd appends them */
        std::vector<std::pair<std::string, std::string>> plugin_ids;  /* disabled_plugins and
                                                  * required_plugins as written, with "FILE:LINE:COLUMN: " */
        std::vector<std::pair<std::string, std::string>> disabled_at;  /* disabled_plugins entries as
                                                  * written, with "FILE:LINE:COLUMN: " */
};

/* containerd-toml.cc: */

/* "FILE:LINE:COLUMN: " of a source region. */
std::string at(const std::string &file, const toml::source_region &r);
const toml::node *lookup(const toml::table *t, const Path &path);
/* Sets key to a copy of n. */
void put(toml::table &t, std::string_view key, const toml::node &n);
/* 2.x: mergo's map merge, tables recursively, everything else replaced. */
void deep_merge(toml::table &to, const toml::table &from);
/* The last layer that sets path: what a key-by-key merge keeps, and with 1.x's single layer the
 * file whose whole table won. */
const Layer *provenance(const Effective &e, const Path &path);
/* Throws a Failure naming "FILE:LINE:COLUMN: KEY: what" for the value that won at path. */
[[noreturn]] void fail_at(const Effective &e, const Path &path, const std::string &fallback, const std::string &what);
char *dup(const std::string &s);
void push(char ***l, const std::string &s);

/* Decodes the merged CRI table onto the plugin's defaults and fills ret (containerd-runtimes.cc). */
void decode(const Effective &e, const std::string &name_for_errors, ContainerdConfig *ret);

} // namespace remedy_containerd
