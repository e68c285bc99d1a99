/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * What the unit-file tests (test-unit-file.c, test-unit-dropin.c) share: a NodeFS over a plain
 * directory that holds a node root (DiskFS, declared with DISK_FS() and released with
 * disk_fs_done()), and the judge, real `systemctl --root`, run on copies of such a root.
 *
 *     DISK_FS(fs, root);
 *     r = unit_file_get_state(&fs, "kubelet.service", &state, &error);
 *     disk_fs_done(fs.userdata);
 *
 * The helpers abort the test when the machine fails them (cp, mkdir, symlink), so a failure
 * shows as a crash, never as a passing check. compare_with_systemctl() and check_state() make
 * TAP checks: they are defined here, static inline, because tap.h keeps its counters per
 * translation unit, so they must be compiled into the test that reports them.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>

#include "remedy/unit-file.h"
#include "tap.h"
#include "test-util.h"

/* ---- a NodeFS over a plain directory, resolving symlinks inside it ---- */

typedef struct DiskFS {
        char *root;
        NodeFile **files;   /* handed out, kept until disk_fs_done() */
        size_t n_files;
} DiskFS;

/* NodeFS.read and NodeFS.glob for a DiskFS; use them through DISK_FS(). */
int disk_read(void *userdata, const char *path, bool follow, const NodeFile **ret);
int disk_glob(void *userdata, const char *pattern, char ***ret_paths);
void disk_fs_done(DiskFS *fs);

#define DISK_FS(fs_, root_) NodeFS fs_ = { disk_read, disk_glob, &(DiskFS) { .root = (char *) (root_) } }

/* ---- node roots and systemctl ---- */

/* Runs argv (no shell) and aborts the test unless it exits 0. */
void run_ok(char * const *argv);
/* A fresh temporary directory holding a copy of root. */
char *copy_root(const char *root, const char *name);
/* `systemctl --root=ROOT VERB UNIT`: the first line of its stdout; the exit status in *ret_status. */
char *systemctl(const char *root, const char *verb, const char *unit, int *ret_status);
/* "path -> target" of every symlink under /etc/systemd/system, sorted, one per line. */
char *links_listing(const char *root);
/* What the engine will do with the planned links, done by hand. */
void apply_links(const char *root, const UnitLinks *l);

/* ---- checks against systemctl ---- */

typedef int (*PlanFn)(const NodeFS *fs, const char *name, UnitLinks *ret, char **ret_error);

/*
 * Runs `systemctl VERB UNIT` on a copy of root and our plan on another copy; both must leave the
 * same symlinks. Applies our plan to root itself too (the next step starts from there). Returns
 * the number of planned links.
 */
static inline size_t compare_with_systemctl(const char *root, const char *verb, PlanFn plan, const char *unit) {
        char *theirs = copy_root(root, "theirs");
        UnitLinks links = {};
        char *error = NULL;
        DISK_FS(fs, root);

        int status;
        free(systemctl(theirs, verb, unit, &status));
        int r = plan(&fs, unit, &links, &error);
        ok(r == 0, "%s %s: planned (%s)", verb, unit, error ?: "no error");
        is_int(status, 0, "%s %s: systemctl succeeds too", verb, unit);
        apply_links(root, &links);

        char *want = links_listing(theirs), *got = links_listing(root);
        is_str(got, want, "%s %s: same symlinks as systemctl %s", verb, unit, verb);

        size_t n = links.n_items;
        unit_links_done(&links);
        disk_fs_done(fs.userdata);
        free(error);
        free(want);
        free(got);
        rm_rf(theirs);
        free(theirs);
        return n;
}

static inline void check_state(const char *root, const char *unit, const char *want) {
        char *error = NULL, *judge = systemctl(root, "is-enabled", unit, NULL);
        UnitFileState state = _UNIT_FILE_STATE_MAX;
        DISK_FS(fs, root);

        int r = unit_file_get_state(&fs, unit, &state, &error);
        is_str(judge, want, "systemctl is-enabled %s", unit);
        ok(r == 0, "state of %s computed (%s)", unit, error ?: "no error");
        is_str(r == 0 ? unit_file_state_name(state) : error, judge, "our state of %s matches systemctl", unit);
        disk_fs_done(fs.userdata);
        free(error);
        free(judge);
}
