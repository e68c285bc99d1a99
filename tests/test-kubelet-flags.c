/* SPDX-License-Identifier: MIT */
/*
 * kubelet flags in environment files: systemd's EnvironmentFile= reading, pflag's reading of
 * the words, byte-exact removals, the shipped per-version list, kubelet's --help, and the
 * kubelet-flags action planned against a node tree.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "remedy/context.h"
#include "remedy/kubelet-flags.h"
#include "remedy/strv.h"
#include "tap.h"
#include "test-util.h"

extern const char kubelet_flags_data[];
extern const size_t kubelet_flags_data_size;

static KubeletFlagSet *set_for(const char *minor) {
        KubeletFlagSet *s = NULL;
        _cleanup_free_ char *error = NULL;
        int r = kubelet_flag_set_from_data(kubelet_flags_data, kubelet_flags_data_size, minor, &s, &error);
        if (r < 0) {
                diag("no flag set for %s: %d %s", minor, r, strempty(error));
                abort();
        }
        return s;
}

static void test_data(void) {
        _cleanup_strv_free_ char **versions = NULL;
        ok(kubelet_flag_data_versions(kubelet_flags_data, kubelet_flags_data_size, &versions) == 0, "versions listed");
        is_int(strv_length(versions), 16, "1.20 to 1.35 is 16 minors");
        is_str(versions ? versions[0] : NULL, "1.20", "oldest 1.20");
        is_str(versions ? versions[15] : NULL, "1.35", "newest 1.35");

        _cleanup_(kubelet_flag_set_freep) KubeletFlagSet *s23 = set_for("1.23"), *s24 = set_for("1.24"),
                                                        *s34 = set_for("v1.34.2"), *s35 = set_for("1.35");
        ok(kubelet_flag_set_has(s23, "network-plugin"), "1.23 accepts --network-plugin");
        ok(!kubelet_flag_set_has(s24, "network-plugin"), "1.24 does not accept --network-plugin");
        ok(kubelet_flag_set_has(s24, "container-runtime"), "1.24 still accepts --container-runtime");
        ok(kubelet_flag_set_has(s34, "pod-infra-container-image"), "1.34 accepts --pod-infra-container-image");
        ok(!kubelet_flag_set_has(s35, "pod-infra-container-image"), "1.35 does not");
        ok(!kubelet_flag_set_has(s34, "cloud-config") && !kubelet_flag_set_has(s34, "register-schedulable"),
           "1.34 dropped --cloud-config and --register-schedulable");
        ok(kubelet_flag_set_has(s23, "logtostderr") && kubelet_flag_set_has(s24, "log-dir"), "klog flags before 1.26");
        ok(kubelet_flag_set_has(s35, "v") && kubelet_flag_set_has(s35, "vmodule"), "-v and --vmodule stay");
        ok(kubelet_flag_set_is_bool(s35, "fail-swap-on") && kubelet_flag_set_is_bool(s35, "seccomp-default"),
           "boolean flags are boolean");
        ok(!kubelet_flag_set_is_bool(s35, "node-ip") && kubelet_flag_set_has(s35, "node-ip"), "--node-ip takes a value");
        ok(!kubelet_flag_set_has(s35, "improve-speed"), "the seed's --improve-speed is no kubelet flag");

        KubeletFlagSet *none = NULL;
        is_int(kubelet_flag_set_from_data(kubelet_flags_data, kubelet_flags_data_size, "1.19", &none, NULL), -ENOENT,
               "1.19 is not covered");
        is_int(kubelet_flag_set_from_data(kubelet_flags_data, kubelet_flags_data_size, "1.36", &none, NULL), -ENOENT,
               "1.36 is not covered");

        static const char bad[] = "@covers\t1.20\t1.21\n# fine\nnode-ip\tvalue\t1.20\t*\nfail-swap-on\tboolean\t1.20\t*\n";
        _cleanup_free_ char *error = NULL;
        is_int(kubelet_flag_set_from_data(bad, sizeof(bad) - 1, "1.20", &none, &error), -EBADMSG, "bad kind refused");
        is_str(error, "4: malformed line", "error names the line");
}

/* Every flag kubeadm wrote in each era is accepted by the kubelet of that era. */
static void test_kubeadm_eras(void) {
        static const struct {
                const char *file, *minor;
        } eras[] = {
                { "kubelet/kubeadm-flags-1.23-docker.env", "1.23" }, { "kubelet/kubeadm-flags-1.26.env", "1.26" },
                { "kubelet/kubeadm-flags-1.31.env", "1.31" },        { "kubelet/kubeadm-flags-1.34.env", "1.34" },
        };
        for (size_t i = 0; i < ELEMENTSOF(eras); i++) {
                size_t size, n = 0;
                _cleanup_free_ char *data = read_fixture(eras[i].file, &size);
                _cleanup_(kubelet_flag_set_freep) KubeletFlagSet *s = set_for(eras[i].minor);
                KubeletFlag *f = NULL;
                ok(kubelet_flags_parse(data, size, "KUBELET_KUBEADM_ARGS", s, &f, &n, NULL) == 0 && n >= 2, "%s parses",
                   eras[i].file);
                size_t unknown = 0;
                for (size_t j = 0; j < n; j++)
                        if (!kubelet_flag_set_has(s, f[j].name)) {
                                diag("%s: --%s unknown to %s", eras[i].file, f[j].name, eras[i].minor);
                                unknown++;
                        }
                is_int(unknown, 0, "kubelet %s accepts all of %s", eras[i].minor, eras[i].file);
                kubelet_flags_free(f, n);
        }
        /* 10-kubeadm.conf's own arguments */
        _cleanup_(kubelet_flag_set_freep) KubeletFlagSet *s20 = set_for("1.20"), *s35 = set_for("1.35");
        ok(kubelet_flag_set_has(s20, "bootstrap-kubeconfig") && kubelet_flag_set_has(s35, "bootstrap-kubeconfig") &&
           kubelet_flag_set_has(s20, "kubeconfig") && kubelet_flag_set_has(s35, "config"),
           "10-kubeadm.conf flags accepted from 1.20 to 1.35");
}

static void test_help(void) {
        size_t size;
        _cleanup_free_ char *help = read_fixture("kubelet/help-1.33-excerpt.txt", &size);
        _cleanup_(kubelet_flag_set_freep) KubeletFlagSet *s = NULL;
        ok(kubelet_flag_set_from_help(help, size, &s) == 0, "help parses");
        ok(kubelet_flag_set_has(s, "address") && !kubelet_flag_set_is_bool(s, "address"), "--address string");
        ok(kubelet_flag_set_is_bool(s, "anonymous-auth"), "--anonymous-auth is boolean (no type word)");
        ok(!kubelet_flag_set_is_bool(s, "feature-gates"), "--feature-gates <comma-separated ...> takes a value");
        ok(!kubelet_flag_set_is_bool(s, "register-with-taints"), "--register-with-taints []v1.Taint takes a value");
        ok(kubelet_flag_set_is_bool(s, "help") && kubelet_flag_set_is_bool(s, "version"), "--help, --version[=true]");
        ok(!kubelet_flag_set_is_bool(s, "v") && !kubelet_flag_set_is_bool(s, "vmodule"), "-v, --v Level takes a value");
        ok(kubelet_flag_set_is_bool(s, "seccomp-default"), "--seccomp-default RuntimeDefault is boolean");
        ok(!kubelet_flag_set_has(s, "APIResponseCompression=true|false") && !kubelet_flag_set_has(s, "kubelet"),
           "usage continuation lines are no flags");
        ok(!kubelet_flag_set_has(s, "network-plugin"), "--network-plugin absent");

        /* "-v 4" is the shorthand of --v */
        static const char env[] = "KUBELET_EXTRA_ARGS=-v 4 --fail-swap-on=false\n";
        KubeletFlag *f = NULL;
        size_t n = 0;
        ok(kubelet_flags_parse(env, sizeof(env) - 1, "KUBELET_EXTRA_ARGS", s, &f, &n, NULL) == 0 && n == 2, "two flags");
        if (n == 2) {
                is_str(f[0].name, "v", "-v is --v");
                is_str(f[0].value, "4", "its value is the next word");
                is_str(f[1].value, "false", "--fail-swap-on=false");
        }
        kubelet_flags_free(f, n);
}

static void test_parse_default_file(void) {
        size_t size, n = 0;
        _cleanup_free_ char *data = read_fixture("kubelet/default-kubelet", &size);
        _cleanup_(kubelet_flag_set_freep) KubeletFlagSet *s = set_for("1.33");
        KubeletFlag *f = NULL;

        ok(kubelet_flags_parse(data, size, "KUBELET_EXTRA_ARGS", s, &f, &n, NULL) == 0, "default file parses");
        is_int(n, 4, "the last assignment has four flags");
        if (n == 4) {
                is_str(f[0].name, "node-ip", "first: --node-ip");
                is_str(f[0].value, "192.168.56.11", "\"--node-ip VALUE\" takes the next word");
                is_int(f[0].line, 6, "on line 6");
                is_str(f[1].name, "fail-swap-on", "second: --fail-swap-on");
                ok(f[1].value == NULL, "a boolean flag does not take the next word \"false\"");
                is_int(f[1].line, 7, "continued onto line 7");
                is_str(f[2].value, "systemd", "--cgroup-driver=systemd");
                is_str(f[3].name, "log-dir", "--log_dir is normalised like kubelet's flag set does");
                is_int(f[3].start, 377, "byte offset of --log_dir");
        }
        kubelet_flags_free(f, n);

        /* without a flag set, "false" looks like a value */
        ok(kubelet_flags_parse(data, size, "KUBELET_EXTRA_ARGS", NULL, &f, &n, NULL) == 0 && n == 4, "parse without set");
        if (n == 4)
                is_str(f[1].value, "false", "unknown boolness: next non-dash word is the value");
        kubelet_flags_free(f, n);

        ok(kubelet_flags_parse(data, size, "KUBELET_KUBEADM_ARGS", s, &f, &n, NULL) == 0 && n == 0, "unset variable: none");
        kubelet_flags_free(f, n);

        static const char empty[] = "# defaults\nKUBELET_EXTRA_ARGS=\n";
        ok(kubelet_flags_parse(empty, sizeof(empty) - 1, "KUBELET_EXTRA_ARGS", s, &f, &n, NULL) == 0 && n == 0,
           "KUBELET_EXTRA_ARGS= has no flags");
        kubelet_flags_free(f, n);
}

static void check_remove(const char *what, const char *data, size_t size, const char *variable, char **remove,
                         const KubeletFlagSet *known, bool remove_unknown, const char *want, const char *want_removed) {
        _cleanup_free_ char *out = NULL, *error = NULL, *joined = NULL;
        _cleanup_strv_free_ char **removed = NULL;
        size_t n = 0;
        int r = kubelet_flags_edit(data, size, variable, remove, known, remove_unknown, &out, &n, &removed, &error);
        if (r < 0)
                diag("%s: %s", what, strempty(error));
        is_int(r, want ? 1 : 0, "%s: %s", what, want ? "changed" : "nothing to remove");
        if (!want)
                return;
        is_str(out, want, "%s: byte-exact result", what);
        is_int(n, strlen(want), "%s: size", what);
        STRV_FOREACH(x, removed) {
                char *j;
                if (asprintf(&j, "%s%s%s", strempty(joined), joined ? "|" : "", *x) < 0)
                        abort();
                free(joined);
                joined = j;
        }
        is_str(joined, want_removed, "%s: removed flags as written", what);
}

static void test_remove(void) {
        size_t size;
        _cleanup_(kubelet_flag_set_freep) KubeletFlagSet *s24 = set_for("1.24"), *s33 = set_for("1.33"),
                                                        *s34 = set_for("1.34"), *s35 = set_for("1.35");
        _cleanup_free_ char *seed = read_fixture("kubelet/kubeadm-flags-seed.env", &size);
        char *improve[] = { (char *) "--improve-speed", NULL };

        check_remove("seed, named", seed, size, "KUBELET_KUBEADM_ARGS", improve, s33, false,
                     "KUBELET_KUBEADM_ARGS=\"--pod-infra-container-image=registry.k8s.io/pause:3.10.1\"\n", "--improve-speed");
        check_remove("seed, unknown to 1.33", seed, size, "KUBELET_KUBEADM_ARGS", NULL, s33, true,
                     "KUBELET_KUBEADM_ARGS=\"--pod-infra-container-image=registry.k8s.io/pause:3.10.1\"\n", "--improve-speed");
        check_remove("seed, unknown to 1.35", seed, size, "KUBELET_KUBEADM_ARGS", NULL, s35, true,
                     "KUBELET_KUBEADM_ARGS=\"\"\n",
                     "--pod-infra-container-image=registry.k8s.io/pause:3.10.1|--improve-speed");

        size_t s1;
        _cleanup_free_ char *docker = read_fixture("kubelet/kubeadm-flags-1.23-docker.env", &s1);
        check_remove("1.23 file on 1.24 (first flag)", docker, s1, "KUBELET_KUBEADM_ARGS", NULL, s24, true,
                     "KUBELET_KUBEADM_ARGS=\"--pod-infra-container-image=k8s.gcr.io/pause:3.6\"\n", "--network-plugin=cni");

        size_t s2;
        _cleanup_free_ char *k134 = read_fixture("kubelet/kubeadm-flags-1.34.env", &s2);
        check_remove("1.34 file on 1.35 (last flag)", k134, s2, "KUBELET_KUBEADM_ARGS", NULL, s35, true,
                     "KUBELET_KUBEADM_ARGS=\"--container-runtime-endpoint=unix:///var/run/containerd/containerd.sock "
                     "--node-ip=10.0.0.12\"\n",
                     "--pod-infra-container-image=registry.k8s.io/pause:3.10.1");
        char *nodeip[] = { (char *) "node-ip", NULL };
        check_remove("middle flag", k134, s2, "KUBELET_KUBEADM_ARGS", nodeip, s34, false,
                     "KUBELET_KUBEADM_ARGS=\"--container-runtime-endpoint=unix:///var/run/containerd/containerd.sock "
                     "--pod-infra-container-image=registry.k8s.io/pause:3.10.1\"\n",
                     "--node-ip=10.0.0.12");
        check_remove("1.34 file on 1.34: all known", k134, s2, "KUBELET_KUBEADM_ARGS", NULL, s34, true, NULL, NULL);

        size_t s3;
        _cleanup_free_ char *def = read_fixture("kubelet/default-kubelet", &s3);
        static const char head[] =
                "# Managed by hand. kubeadm reads KUBELET_KUBEADM_ARGS from /var/lib/kubelet/kubeadm-flags.env;\n"
                "; this file is for last-resort overrides.\n"
                "KUBELET_EXTRA_ARGS=\n"
                "# an older attempt, overridden below (last assignment wins):\n"
                "KUBELET_EXTRA_ARGS='--node-ip 192.168.56.11 --network-plugin=cni'\n";
        static const char tail[] = "OTHER_VAR=\"keep me # not a comment\"\n";
        char want[1024];

        snprintf(want, sizeof(want), "%sKUBELET_EXTRA_ARGS=\"--fail-swap-on false --cgroup-driver=systemd "
                 "--log_dir=/var/log/kubelet\"\n%s", head, tail);
        check_remove("first flag, value as next word, across a continuation", def, s3, "KUBELET_EXTRA_ARGS", nodeip,
                     s33, false, want, "--node-ip 192.168.56.11");

        char *swap[] = { (char *) "fail-swap-on", NULL };
        snprintf(want, sizeof(want), "%sKUBELET_EXTRA_ARGS=\"--node-ip 192.168.56.11 \\\n"
                 "  --cgroup-driver=systemd --log_dir=/var/log/kubelet\"\n%s", head, tail);
        check_remove("boolean flag, boolness unknown: takes \"false\" along", def, s3, "KUBELET_EXTRA_ARGS", swap, NULL,
                     false, want, "--fail-swap-on false");
        snprintf(want, sizeof(want), "%sKUBELET_EXTRA_ARGS=\"--node-ip 192.168.56.11 \\\n"
                 "  false --cgroup-driver=systemd --log_dir=/var/log/kubelet\"\n%s", head, tail);
        check_remove("boolean flag, known boolean: \"false\" is not its value", def, s3, "KUBELET_EXTRA_ARGS", swap, s33,
                     false, want, "--fail-swap-on");

        char *logdir[] = { (char *) "log-dir", NULL };
        snprintf(want, sizeof(want), "%sKUBELET_EXTRA_ARGS=\"--node-ip 192.168.56.11 \\\n"
                 "  --fail-swap-on false --cgroup-driver=systemd\"\n%s", head, tail);
        check_remove("last flag, --log_dir named as log-dir", def, s3, "KUBELET_EXTRA_ARGS", logdir, s33, false, want,
                     "--log_dir=/var/log/kubelet");

        char *netplugin[] = { (char *) "network-plugin", NULL };
        check_remove("only the last assignment counts", def, s3, "KUBELET_EXTRA_ARGS", netplugin, s24, false, NULL, NULL);

        size_t s4;
        _cleanup_free_ char *sysconfig = read_fixture("kubelet/sysconfig-kubelet", &s4);
        check_remove("unquoted value on 1.34", sysconfig, s4, "KUBELET_EXTRA_ARGS", NULL, s34, true,
                     "KUBELET_EXTRA_ARGS=--cloud-provider=external -v=2\n",
                     "--register-schedulable=false|--cloud-config /etc/kubernetes/cloud.conf");

        static const char single[] = "KUBELET_EXTRA_ARGS='--node-ip 10.0.0.5 --network-plugin=cni'\n";
        check_remove("single quotes", single, sizeof(single) - 1, "KUBELET_EXTRA_ARGS", NULL, s24, true,
                     "KUBELET_EXTRA_ARGS='--node-ip 10.0.0.5'\n", "--network-plugin=cni");

        static const char no_newline[] = "KUBELET_EXTRA_ARGS=--max-pods=200 --improve-speed";
        check_remove("no trailing newline", no_newline, sizeof(no_newline) - 1, "KUBELET_EXTRA_ARGS", improve, s33, false,
                     "KUBELET_EXTRA_ARGS=--max-pods=200", "--improve-speed");

        static const char spaced[] = "  KUBELET_EXTRA_ARGS = \"--improve-speed  --max-pods=200\"  \n";
        check_remove("whitespace around key and words", spaced, sizeof(spaced) - 1, "KUBELET_EXTRA_ARGS", improve, s33,
                     false, "  KUBELET_EXTRA_ARGS = \"--max-pods=200\"  \n", "--improve-speed");
}

/* Quotes inside the value: systemd removes them when it splits $KUBELET_EXTRA_ARGS into argv, so
 * "--node-labels='a=b c'" is one flag with the value "a=b c". */
static void test_quoted(void) {
        _cleanup_(kubelet_flag_set_freep) KubeletFlagSet *s33 = set_for("1.33");
        char *improve[] = { (char *) "improve-speed", NULL }, *labels[] = { (char *) "node-labels", NULL },
             *taints[] = { (char *) "register-with-taints", NULL };
        KubeletFlag *f = NULL;
        size_t n = 0;

        static const char single_in_double[] = "KUBELET_EXTRA_ARGS=\"--node-labels='a=b c' --improve-speed\"\n";
        ok(kubelet_flags_parse(single_in_double, sizeof(single_in_double) - 1, "KUBELET_EXTRA_ARGS", s33, &f, &n, NULL) == 0,
           "single quotes inside a double-quoted value parse");
        is_int(n, 2, "two flags, not three words");
        if (n == 2) {
                is_str(f[0].name, "node-labels", "--node-labels");
                is_str(f[0].value, "a=b c", "its value has the quotes removed and keeps the blank");
                is_int(f[0].start, 20, "starts after the double quote");
                is_int(f[0].end, 41, "ends after the closing single quote");
                is_str(f[1].name, "improve-speed", "then --improve-speed");
                is_int(f[1].line, 1, "on line 1");
        }
        kubelet_flags_free(f, n);
        check_remove("quoted label kept byte for byte", single_in_double, sizeof(single_in_double) - 1,
                     "KUBELET_EXTRA_ARGS", improve, s33, false, "KUBELET_EXTRA_ARGS=\"--node-labels='a=b c'\"\n",
                     "--improve-speed");
        check_remove("unknown to 1.33: the same", single_in_double, sizeof(single_in_double) - 1, "KUBELET_EXTRA_ARGS",
                     NULL, s33, true, "KUBELET_EXTRA_ARGS=\"--node-labels='a=b c'\"\n", "--improve-speed");
        check_remove("quoted label removed whole", single_in_double, sizeof(single_in_double) - 1, "KUBELET_EXTRA_ARGS",
                     labels, s33, false, "KUBELET_EXTRA_ARGS=\"--improve-speed\"\n", "--node-labels='a=b c'");

        static const char double_in_single[] =
                "KUBELET_EXTRA_ARGS='--node-labels=\"a=b c\" --register-with-taints=\"gpu=true:NoSchedule\" --improve-speed'\n";
        ok(kubelet_flags_parse(double_in_single, sizeof(double_in_single) - 1, "KUBELET_EXTRA_ARGS", s33, &f, &n, NULL) == 0,
           "double quotes inside a single-quoted value parse");
        is_int(n, 3, "three flags");
        if (n == 3) {
                is_str(f[0].value, "a=b c", "--node-labels=\"a=b c\"");
                is_str(f[1].value, "gpu=true:NoSchedule", "--register-with-taints=\"gpu=true:NoSchedule\"");
        }
        kubelet_flags_free(f, n);
        check_remove("double-quoted values kept", double_in_single, sizeof(double_in_single) - 1, "KUBELET_EXTRA_ARGS",
                     improve, s33, false,
                     "KUBELET_EXTRA_ARGS='--node-labels=\"a=b c\" --register-with-taints=\"gpu=true:NoSchedule\"'\n",
                     "--improve-speed");
        check_remove("middle double-quoted flag removed", double_in_single, sizeof(double_in_single) - 1,
                     "KUBELET_EXTRA_ARGS", taints, s33, false,
                     "KUBELET_EXTRA_ARGS='--node-labels=\"a=b c\" --improve-speed'\n",
                     "--register-with-taints=\"gpu=true:NoSchedule\"");

        static const char separate[] = "KUBELET_EXTRA_ARGS=\"--node-labels 'a=b c' --v=2\"\n";
        check_remove("\"--flag 'quoted value'\" removed with its value", separate, sizeof(separate) - 1,
                     "KUBELET_EXTRA_ARGS", labels, s33, false, "KUBELET_EXTRA_ARGS=\"--v=2\"\n",
                     "--node-labels 'a=b c'");

        static const char escaped[] = "KUBELET_EXTRA_ARGS=\"--node-labels=\\\"a=b c\\\" --improve-speed\"\n";
        check_remove("escaped double quotes inside double quotes", escaped, sizeof(escaped) - 1, "KUBELET_EXTRA_ARGS",
                     improve, s33, false, "KUBELET_EXTRA_ARGS=\"--node-labels=\\\"a=b c\\\"\"\n", "--improve-speed");

        _cleanup_free_ char *error = NULL, *out = NULL;
        char **removed = NULL;
        static const char across[] = "KUBELET_EXTRA_ARGS='--max-pods=200 '\"--improve-speed\"\n";
        is_int(kubelet_flags_edit(across, sizeof(across) - 1, "KUBELET_EXTRA_ARGS", improve, s33, false, &out, &n,
                                  &removed, &error),
               -EBADMSG, "a removal across a closing and an opening quote is refused");
        is_str(error, "1:38: cannot remove the flag without changing the quoting around it; edit the file by hand",
               "and says where");
        free(error);
        error = NULL;

        static const char continued[] = "# old flags, see below \\\nKUBELET_EXTRA_ARGS=--improve-speed\n";
        is_int(kubelet_flags_edit(continued, sizeof(continued) - 1, "KUBELET_EXTRA_ARGS", improve, s33, false, &out, &n,
                                  &removed, &error),
               -EBADMSG, "a comment ending in a backslash before the assignment is refused");
        ok(error && startswith(error, "2:1: the comment before this line ends in a backslash"), "%s", strempty(error));
}

static void test_errors(void) {
        size_t size;
        _cleanup_free_ char *data = read_fixture("kubelet/unterminated.env", &size);
        _cleanup_free_ char *error = NULL, *out = NULL;
        KubeletFlag *f = NULL;
        size_t n = 0;
        char *improve[] = { (char *) "improve-speed", NULL };

        is_int(kubelet_flags_parse(data, size, "KUBELET_EXTRA_ARGS", NULL, &f, &n, &error), -EBADMSG,
               "unterminated quote refused");
        is_str(error, "1:20: unterminated double quote", "error has line and column of the quote");
        error = mfree(error);

        static const char twisted[] = "KUBELET_EXTRA_ARGS=\"--max-pods=200 \"--improve-speed\n";
        char **removed = NULL;
        is_int(kubelet_flags_remove(twisted, sizeof(twisted) - 1, "KUBELET_EXTRA_ARGS", improve, NULL, &out, &n,
                                    &removed, &error),
               -EBADMSG, "a removal that would break the quoting is refused");
        is_str(error, "1:37: cannot remove the flag without changing the quoting around it; edit the file by hand",
               "and says where");
        error = mfree(error);

        static const char nul[] = "KUBELET_EXTRA_ARGS=--a\0\n";
        is_int(kubelet_flags_parse(nul, sizeof(nul) - 1, "KUBELET_EXTRA_ARGS", NULL, &f, &n, &error), -EBADMSG,
               "NUL byte refused");
        is_str(error, "1:23: NUL byte in environment file", "at its position");
}

/* ---- the action, planned on a node tree ---- */

typedef struct Planned {
        int r;
        Change change;
        char *error;   /* parse or plan error */
} Planned;

static void planned_done(Planned *p) {
        change_done(&p->change);
        free(p->error);
}

static Planned plan_yaml_mode(const char *root_dir, const char *yaml, bool offline) {
        Planned p = {};
        _cleanup_(yaml_document_freep) YamlDocument *doc = NULL;
        _cleanup_(root_freep) Root *root = NULL;
        _cleanup_(context_freep) Context *c = NULL;
        ParseContext pc = { .file = "test.yaml" };
        void *args = NULL;

        if (yaml_document_parse("test.yaml", yaml, strlen(yaml), &doc, &p.error) < 0) {
                p.r = -EBADMSG;
                return p;
        }
        p.r = action_kubelet_flags.parse(&pc, doc->root, &args);
        if (p.r < 0) {
                p.error = pc.error;
                return p;
        }
        free(pc.error);
        if (root_open(root_dir, &root) < 0 || context_new(root, offline, &c) < 0)
                abort();
        p.r = action_kubelet_flags.plan(c, args, &p.change);
        if (c->error)
                p.error = strdup(c->error);
        action_kubelet_flags.free_args(args);
        return p;
}

static Planned plan_yaml(const char *root_dir, const char *yaml) {
        return plan_yaml_mode(root_dir, yaml, true);
}

static void put(const char *root, const char *path, const char *fixture) {
        _cleanup_free_ char *full = NULL, *dir = NULL;
        size_t size;
        _cleanup_free_ char *data = read_fixture(fixture, &size);
        if (asprintf(&full, "%s%s", root, path) < 0 || !(dir = strdup(full)))
                abort();
        for (char *slash = strchr(dir + strlen(root) + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
                *slash = 0;
                (void) mkdir(dir, 0755);
                *slash = '/';
        }
        write_file(full, data, size);
}

static void test_action(void) {
        _cleanup_free_ char *root = make_temp_dir("kflags");
        Planned p;

        put(root, "/var/lib/kubelet/kubeadm-flags.env", "kubelet/kubeadm-flags-seed.env");
        put(root, "/var/lib/dpkg/status", "kubelet/dpkg-status");

        p = plan_yaml(root, "path: /var/lib/kubelet/kubeadm-flags.env\nremove_unknown: true\n");
        is_int(p.r, 1, "seed: unknown flag found with the dpkg version (1.33)");
        is_int(p.change.n_ops, 1, "one file write");
        if (p.change.n_ops == 1 && p.change.ops[0].after)
                is_str(p.change.ops[0].after->data,
                       "KUBELET_KUBEADM_ARGS=\"--pod-infra-container-image=registry.k8s.io/pause:3.10.1\"\n",
                       "the planned file");
        ok(p.change.note && strstr(p.change.note, "--improve-speed") && strstr(p.change.note, "KUBELET_KUBEADM_ARGS"),
           "note names the removed flag and the variable: %s", strempty(p.change.note));
        planned_done(&p);

        p = plan_yaml(root, "path: /var/lib/kubelet/kubeadm-flags.env\nremove_unknown: true\nkubelet_version: \"1.35\"\n");
        is_int(p.r, 1, "kubelet_version overrides dpkg");
        if (p.change.n_ops == 1 && p.change.ops[0].after)
                is_str(p.change.ops[0].after->data, "KUBELET_KUBEADM_ARGS=\"\"\n", "1.35 drops the sandbox image flag too");
        planned_done(&p);

        p = plan_yaml(root, "path: /var/lib/kubelet/kubeadm-flags.env\nremove_unknown: true\nkubelet_version: \"\"\n");
        is_int(p.r, 1, "empty kubelet_version: the dpkg version (1.33) is used");
        if (p.change.n_ops == 1 && p.change.ops[0].after)
                is_str(p.change.ops[0].after->data,
                       "KUBELET_KUBEADM_ARGS=\"--pod-infra-container-image=registry.k8s.io/pause:3.10.1\"\n",
                       "only --improve-speed removed");
        planned_done(&p);

        p = plan_yaml(root, "path: /var/lib/kubelet/kubeadm-flags.env\nremove: [--pod-infra-container-image]\n");
        is_int(p.r, 1, "named flag removed");
        if (p.change.n_ops == 1 && p.change.ops[0].after)
                is_str(p.change.ops[0].after->data, "KUBELET_KUBEADM_ARGS=\"--improve-speed\"\n", "only the named one");
        planned_done(&p);

        p = plan_yaml(root, "path: /etc/default/kubelet\nremove_unknown: true\n");
        is_int(p.r, 0, "missing file: nothing to do");
        is_int(p.change.n_ops, 0, "no ops");
        planned_done(&p);

        put(root, "/etc/default/kubelet", "kubelet/unterminated.env");
        p = plan_yaml(root, "path: /etc/default/kubelet\nremove: [improve-speed]\n");
        is_int(p.r, -EBADMSG, "unparseable file is an error");
        is_str(p.error, "/etc/default/kubelet:1:20: unterminated double quote", "FILE:LINE:COLUMN");
        planned_done(&p);

        _cleanup_free_ char *status = NULL;
        if (asprintf(&status, "%s/var/lib/dpkg/status", root) < 0)
                abort();
        (void) unlink(status);
        /* No version anywhere (an RPM node, a binary install): only what no kubelet accepts goes. */
        p = plan_yaml(root, "path: /var/lib/kubelet/kubeadm-flags.env\nremove_unknown: true\n");
        is_int(p.r, 1, "no version: still removes what no kubelet version accepts");
        if (p.change.n_ops == 1 && p.change.ops[0].after)
                ok(!strstr(p.change.ops[0].after->data, "--improve-speed") &&
                   strstr(p.change.ops[0].after->data, "--pod-infra-container-image"),
                   "no version: the typo is removed, a flag some versions accept is kept");
        ok(p.change.note && strstr(p.change.note, "not judged") && strstr(p.change.note, "--pod-infra-container-image") &&
           strstr(p.change.note, "kubelet_version"), "no version: the flag it could not judge is named: %s",
           strempty(p.change.note));
        planned_done(&p);

        p = plan_yaml(root, "path: /var/lib/kubelet/kubeadm-flags.env\nremove_unknown: true\nkubelet_version: \"1.19\"\n");
        ok(p.r < 0 && p.error && strstr(p.error, "1.20 to 1.35"), "uncovered version named: %s", strempty(p.error));
        planned_done(&p);

        p = plan_yaml(root, "path: /var/lib/kubelet/kubeadm-flags.env\n");
        ok(p.r < 0 && p.error && strstr(p.error, "remove_unknown"), "neither remove nor remove_unknown: %s",
           strempty(p.error));
        planned_done(&p);

        p = plan_yaml(root, "path: /var/lib/kubelet/kubeadm-flags.env\nremove: [\"--bad flag\"]\n");
        ok(p.r < 0 && p.error && strstr(p.error, "not a flag name"), "bad flag name refused: %s", strempty(p.error));
        planned_done(&p);

        rm_rf(root);
}

/* Live, the flags come from the kubelet's own --help. The stand-in binary prints the help text
 * in pflag's format; it is a test stand-in for the real kubelet, which Debian does not package. */
static void test_action_live(void) {
        _cleanup_free_ char *root = make_temp_dir("kflags-live"), *tool = make_temp_dir("kflags-bin");
        _cleanup_free_ char *fake = NULL, *garbage = NULL, *yaml = NULL, *help = NULL;
        Planned p;

        put(root, "/var/lib/kubelet/kubeadm-flags.env", "kubelet/kubeadm-flags-seed.env");
        if (asprintf(&help, "%s/kubelet/help-1.33-excerpt.txt", getenv("FIXTURES") ? getenv("FIXTURES") : "tests/fixtures") < 0 ||
            asprintf(&fake, "%s/kubelet", tool) < 0 || asprintf(&garbage, "%s/not-kubelet", tool) < 0)
                abort();
        _cleanup_free_ char *script = NULL;
        if (asprintf(&script, "#!/bin/sh\ntest \"$1\" = --help || exit 2\nexec cat '%s'\n", help) < 0)
                abort();
        write_file(fake, script, strlen(script));
        const char *not_kubelet = "#!/bin/sh\necho 'Usage: something else'\n";
        write_file(garbage, not_kubelet, strlen(not_kubelet));
        ok(chmod(fake, 0755) == 0 && chmod(garbage, 0755) == 0, "stand-in kubelet binaries");

        if (asprintf(&yaml, "path: /var/lib/kubelet/kubeadm-flags.env\nremove_unknown: true\nkubelet: %s\n", fake) < 0)
                abort();
        p = plan_yaml_mode(root, yaml, false);
        is_int(p.r, 1, "live: --help of the installed kubelet decides (no dpkg status needed)");
        if (p.change.n_ops == 1 && p.change.ops[0].after)
                is_str(p.change.ops[0].after->data,
                       "KUBELET_KUBEADM_ARGS=\"--pod-infra-container-image=registry.k8s.io/pause:3.10.1\"\n",
                       "live: only the flag --help does not list is removed");
        planned_done(&p);

        free(yaml);
        if (asprintf(&yaml, "path: /var/lib/kubelet/kubeadm-flags.env\nremove_unknown: true\nkubelet: %s\n", garbage) < 0)
                abort();
        p = plan_yaml_mode(root, yaml, false);
        ok(p.r < 0 && p.error && strstr(p.error, "did not print kubelet's flags"),
           "live: help text that is not kubelet's is refused rather than removing every flag: %s", strempty(p.error));
        planned_done(&p);

        free(yaml);
        if (asprintf(&yaml, "path: /var/lib/kubelet/kubeadm-flags.env\nremove_unknown: true\nkubelet: %s/missing\n", tool) < 0)
                abort();
        p = plan_yaml_mode(root, yaml, false);
        ok(p.r == 1 && p.change.note && strstr(p.change.note, "kubelet_version"),
           "live without a kubelet binary or package: removes what no kubelet accepts, says what to pass: %s",
           strempty(p.change.note));
        planned_done(&p);

        rm_rf(root);
        rm_rf(tool);
}

int main(void) {
        test_data();
        test_kubeadm_eras();
        test_help();
        test_parse_default_file();
        test_remove();
        test_quoted();
        test_errors();
        test_action();
        test_action_live();
        return tap_done();
}
