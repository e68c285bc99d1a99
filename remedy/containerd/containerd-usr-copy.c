/* SPDX-License-Identifier: MIT */
/*
 * containerd's main configuration read from the OS image: Flatcar's containerd.service passes
 * --config ${CONTAINERD_CONFIG}, /usr/share/containerd/config.toml by default, in the read-only
 * /usr (and an OS update replaces /usr whole where it is writable). An edit there would fail or
 * not last, so every action that edits containerd's configuration (containerd-runtimes,
 * containerd-sandbox-image, containerd-enable-cri) goes through the one copy below, as Flatcar
 * documents: the file copied to /etc/containerd/config.toml and containerd.service pointed at
 * the copy with a drop-in that sets the variable.
 */
#include "remedy/containerd-node.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "remedy/context.h"
#include "remedy/macro.h"

#define CONTAINERD_USR_DROPIN "/etc/systemd/system/containerd.service.d/50-remedy-config.conf"

int containerd_copy_out_of_usr(Context *c, Change *change, const char *usr_path, char **ret_path, FILE *note) {
        static const char dropin_text[] = "# Written by remedy: containerd reads the copy of its OS image's configuration\n"
                                          "[Service]\nEnvironment=CONTAINERD_CONFIG=" CONTAINERD_CONFIG_PATH "\n";
        _cleanup_free_ char *copy = NULL, *now = NULL;
        const NodeFile *f;
        int r;

        if ((r = ctx_read(c, CONTAINERD_CONFIG_PATH, true, &f)) < 0)
                return r;
        if (f->kind != FILE_ABSENT)
                return ctx_error(c, -EEXIST,
                                 "%s: containerd reads this file of the OS image (/usr, read-only on Flatcar), and %s is "
                                 "there but not read: make containerd read it (a containerd.service drop-in: "
                                 "Environment=CONTAINERD_CONFIG=%s on Flatcar), or remove it, and run this again",
                                 usr_path, CONTAINERD_CONFIG_PATH, CONTAINERD_CONFIG_PATH);
        if ((r = ctx_read_regular(c, usr_path, "containerd's configuration", &f)) < 0)
                return r;
        /* f belongs to the overlay: copied before the plan wants another file */
        if (!(copy = strndup(f->data, f->size)))
                return -ENOMEM;
        size_t size = f->size;
        if ((r = ctx_want_file(c, change, CONTAINERD_CONFIG_PATH, copy, size, 0644, 0, 0)) < 0 ||
            (r = ctx_want_file(c, change, CONTAINERD_USR_DROPIN, dropin_text, strlen(dropin_text), 0644, 0, 0)) < 0)
                return r;
        c->units_dirty = true;   /* systemd must read the drop-in before containerd restarts */
        if ((r = containerd_node_config_path(c, &now)) < 0)
                return r;
        if (!streq(now, CONTAINERD_CONFIG_PATH))
                return ctx_error(c, -EROFS,
                                 "%s: belongs to the OS image (/usr, read-only on Flatcar), and containerd.service does not "
                                 "take its configuration from $CONTAINERD_CONFIG (with the drop-in it would read %s): copy "
                                 "it to %s, make containerd read that one (a containerd.service drop-in: ExecStart= then "
                                 "ExecStart=containerd --config %s), and run this again",
                                 usr_path, now, CONTAINERD_CONFIG_PATH, CONTAINERD_CONFIG_PATH);
        fprintf(note, "%s%s copied to %s, which containerd.service reads from now on (drop-in %s: "
                "Environment=CONTAINERD_CONFIG=%s, as Flatcar documents)", ftell(note) > 0 ? "; " : "", usr_path,
                CONTAINERD_CONFIG_PATH, CONTAINERD_USR_DROPIN, CONTAINERD_CONFIG_PATH);
        *ret_path = TAKE_PTR(now);
        return 1;
}
