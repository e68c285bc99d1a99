/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * kubelet's command-line flags as they sit in environment files: KUBELET_KUBEADM_ARGS in
 * /var/lib/kubelet/kubeadm-flags.env and KUBELET_EXTRA_ARGS in /etc/default/kubelet or
 * /etc/sysconfig/kubelet. The files are read as systemd reads an EnvironmentFile= (VAR=value
 * lines, single or double quotes, backslash escapes, # and ; comments; env-file.h), the value is
 * split into words as systemd splits "$KUBELET_EXTRA_ARGS" on the ExecStart= line (quotes inside
 * the value removed: in KUBELET_EXTRA_ARGS="--node-labels='a=b c'" the flag's value is "a=b c"),
 * and flags are removed token by token so that every other byte stays as it was.
 *
 * A KubeletFlagSet is the set of flags a kubelet accepts, with which ones are boolean (a boolean
 * flag takes no separate value: in "--fail-swap-on false" the "false" is not its value). It
 * comes from the installed kubelet's --help (live) or from the shipped per-minor-version list
 * (data/kubelet-flags.tsv, built from kubelet's source).
 */

#include <stdbool.h>
#include <stddef.h>

#include "remedy/macro.h"

typedef struct KubeletFlagSet KubeletFlagSet;

KubeletFlagSet *kubelet_flag_set_free(KubeletFlagSet *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(KubeletFlagSet *, kubelet_flag_set_free);

/* From the shipped list, for a minor version "1.33". -ENOENT for a version the list lacks,
 * -EBADMSG (with "LINE: reason") for a malformed list. */
int kubelet_flag_set_from_data(const char *data, size_t size, const char *minor, KubeletFlagSet **ret,
                               char **ret_error);
/* From the text `kubelet --help` prints (pflag's usage format). */
int kubelet_flag_set_from_help(const char *help, size_t size, KubeletFlagSet **ret);

/* name without dashes: "fail-swap-on". */
bool kubelet_flag_set_has(const KubeletFlagSet *s, const char *name);
bool kubelet_flag_set_is_bool(const KubeletFlagSet *s, const char *name);
/* Across every version the shipped list covers: with every false, the flags some version
 * accepts (a flag outside it is a typo, accepted by no kubelet); with every true, the flags all
 * of them accept. For a kubelet whose version cannot be known. Errors as above. */
int kubelet_flag_set_across_versions(const char *data, size_t size, bool every, KubeletFlagSet **ret,
                                     char **ret_error);

/* The minor versions the shipped list covers, oldest first (strv). */
int kubelet_flag_data_versions(const char *data, size_t size, char ***ret);
/* The minor of a kubelet version: "1.33", "v1.33.2", "1.33.1-1.1" -> 33. -EINVAL otherwise. */
int kubelet_version_minor(const char *version, unsigned *ret);

typedef struct KubeletFlag {
        char *name;           /* without dashes */
        char *value;          /* NULL when none was given */
        unsigned line;        /* 1-based line of the file */
        size_t start, end;    /* byte range of the token(s) in the file */
} KubeletFlag;

/* The flags in variable's value, in order. 0 when the variable is not set (n = 0). The flag set
 * (may be NULL) decides whether "--flag value" is one flag with a value. */
int kubelet_flags_parse(const char *data, size_t size, const char *variable, const KubeletFlagSet *known,
                        KubeletFlag **ret, size_t *ret_n, char **ret_error);
void kubelet_flags_free(KubeletFlag *f, size_t n);

/*
 * Removes from variable's value every flag named in remove (names without dashes) and, with
 * unknown_from (not NULL), every flag that set does not have. Returns 0 when nothing was removed,
 * 1 when *ret_data holds the new file; *ret_removed lists "--flag[=value]" as they were written
 * (the file's bytes of each word, quotes included; "--flag value" joined by one space).
 */
int kubelet_flags_remove(const char *data, size_t size, const char *variable, char * const *remove,
                         const KubeletFlagSet *unknown_from, char **ret_data, size_t *ret_size, char ***ret_removed,
                         char **ret_error);
/*
 * The same with the two roles of the flag set apart: known (may be NULL) decides which flags are
 * boolean, and with remove_unknown (which needs known) every flag it lacks is removed too. Returns
 * -EBADMSG with "LINE:COLUMN: reason" for a file systemd would read differently than intended
 * (an unterminated quote; a comment ending in a backslash, which systemd 252 continues onto the
 * next line and 254 does not), one systemd refuses (a NUL byte, invalid UTF-8 in a key or value),
 * or when a removal cannot be done without rewriting quotes. kubelet_flags_parse() refuses the
 * same files.
 */
int kubelet_flags_edit(const char *data, size_t size, const char *variable, char * const *remove,
                       const KubeletFlagSet *known, bool remove_unknown, char **ret_data, size_t *ret_size,
                       char ***ret_removed, char **ret_error);
