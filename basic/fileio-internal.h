/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * Private to backups/: what fileio.c (the Root, resolving paths in it, reading) and
 * fileio-write.c (changing the tree) share beyond include/remedy/fileio.h.
 */

#include "remedy/fileio.h"

/* Opens a directory given by a canonical path, refusing any symlink on the way: canonical paths
 * have none, so one appearing means the tree changed under us. */
int open_canonical_dir(Root *r, const char *dir);
