/* SPDX-License-Identifier: MIT */
/*
 * Asking the node's containerd binary for its merged view (`containerd config dump`), which
 * containerd-config.cc parses: the one part of containerd-config.h that runs a program.
 */

#include "remedy/containerd-config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "remedy/exec-util.h"
#include "remedy/fileio.h"
#include "remedy/macro.h"

/* `config dump` loads every plugin's defaults before it prints: slow on a loaded node. */
#define CONTAINERD_DUMP_TIMEOUT_MS 30000U

int containerd_config_dump(const char *containerd_binary, const char *config_path, ContainerdConfig *ret,
                           char **ret_error) {
        if (!containerd_binary || containerd_binary[0] != '/' || !ret)
                return -EINVAL;
        *ret = (ContainerdConfig) {};

        char *argv[] = { (char *) containerd_binary, (char *) "--config", (char *) config_path, (char *) "config",
                         (char *) "dump", NULL };
        char *argv_default[] = { (char *) containerd_binary, (char *) "config", (char *) "dump", NULL };
        _cleanup_free_ char *out = NULL;
        size_t size = 0;
        int status = 0;
        int r = exec_capture(config_path ? argv : argv_default, CONTAINERD_DUMP_TIMEOUT_MS, NODE_FILE_MAX, &out, &size,
                             &status);
        if (r < 0)
                return r;
        if (status != 0) {
                if (ret_error && asprintf(ret_error, "%s config dump exited with status %d", containerd_binary, status) < 0) {
                        *ret_error = NULL;
                        return -ENOMEM;
                }
                return -EIO;
        }
        return containerd_config_from_dump(out, size, ret, ret_error);
}
