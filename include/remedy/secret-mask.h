/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The one way remedy masks secrets in what it prints. Every string that came from the node or from
 * the command line (notes, evidence, errors, the kubelet's command line, parameters, a transaction's
 * command) goes through secret_mask() before it is printed, and every JSON document through
 * secret_mask_json(); diffs mask the same way as they print (remedy/diff.h). Masking happens
 * before escaping, and never touches what is written to the node.
 *
 *     _cleanup_free_ char *note = secret_mask(change->note);
 *     printf("%s\n", strempty(note));
 *
 * What is a secret: see remedy/diff.h. A secret becomes "<redacted>", whatever its length.
 */

#include <json-c/json.h>

/* A copy of s with every secret masked; NULL for a NULL s and when out of memory. */
char *secret_mask(const char *s);

/* Masks o in place: each string as secret_mask() does, and whole values by their place: a member
 * whose name is a secret name ("db_password": ...), "value" beside a "name", "flag" or "key" that
 * is one, the array item after a secret flag ("--token", then its value). "diff" members are left
 * as they are: diffs are masked when made, knowing the whole file. */
void secret_mask_json(json_object *o);
