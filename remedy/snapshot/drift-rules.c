/* SPDX-License-Identifier: MIT */
/*
 * The kubelet's defaults for the fields drift compares, from SetDefaults_KubeletConfiguration
 * (kubernetes/kubernetes pkg/kubelet/apis/config/v1beta1/defaults.go, read at commit 030891da,
 * the 1.34/1.35 cycle). A field that the defaulting sets when it is "zero" (a duration of 0, an
 * empty string, an integer 0: `if obj.X == zeroDuration`, `== ""`, `== 0`) has the same
 * effective value when written as its zero value, which kubeadm's ConfigMap does for most
 * durations ("syncFrequency: 0s"); a pointer field (`if obj.X == nil`) is defaulted only when
 * absent, so an explicit false or 0 there is a value of its own.
 */
#include "drift-rules.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "remedy/macro.h"
#include "remedy/yaml-json.h"

typedef enum FieldKind {
        KIND_DURATION,   /* metav1.Duration: Go's time.ParseDuration; logging's also a number of ns */
        KIND_BOOL,
        KIND_NUMBER,
        KIND_STRING,
        KIND_LIST,
} FieldKind;

/* Sorted by path. Fields SetDefaults_KubeletConfiguration leaves alone default to Go's zero
 * value: those a kubeadm ConfigMap or a node's config.yaml commonly write are listed with it. */
static const struct {
        const char *path;
        FieldKind kind;
        const char *value;   /* the default, as its kind's text */
        bool zero;           /* the zero value means the default */
} kubelet_defaults[] = {
        { "address", KIND_STRING, "0.0.0.0", true },
        { "authentication.anonymous.enabled", KIND_BOOL, "false", false },
        { "authentication.webhook.cacheTTL", KIND_DURATION, "2m", true },
        { "authentication.webhook.enabled", KIND_BOOL, "true", false },
        { "authorization.mode", KIND_STRING, "Webhook", true },
        { "authorization.webhook.cacheAuthorizedTTL", KIND_DURATION, "5m", true },
        { "authorization.webhook.cacheUnauthorizedTTL", KIND_DURATION, "30s", true },
        { "cgroupDriver", KIND_STRING, "cgroupfs", true },
        { "cgroupRoot", KIND_STRING, "", true },
        { "cgroupsPerQOS", KIND_BOOL, "true", false },
        { "clusterDomain", KIND_STRING, "", true },
        { "configMapAndSecretChangeDetectionStrategy", KIND_STRING, "Watch", true },
        { "containerLogMaxFiles", KIND_NUMBER, "5", false },
        { "containerLogMaxSize", KIND_STRING, "10Mi", true },
        { "containerLogMaxWorkers", KIND_NUMBER, "1", false },
        { "containerLogMonitorInterval", KIND_DURATION, "10s", false },
        { "containerRuntimeEndpoint", KIND_STRING, "unix:///run/containerd/containerd.sock", true },
        { "contentType", KIND_STRING, "application/vnd.kubernetes.protobuf", true },
        { "cpuCFSQuota", KIND_BOOL, "true", false },
        { "cpuCFSQuotaPeriod", KIND_DURATION, "100ms", false },
        { "cpuManagerPolicy", KIND_STRING, "none", true },
        { "cpuManagerReconcilePeriod", KIND_DURATION, "10s", true },
        { "enableControllerAttachDetach", KIND_BOOL, "true", false },
        { "enableDebugFlagsHandler", KIND_BOOL, "true", false },
        { "enableDebuggingHandlers", KIND_BOOL, "true", false },
        { "enableProfilingHandler", KIND_BOOL, "true", false },
        { "enableServer", KIND_BOOL, "true", false },
        { "enableSystemLogHandler", KIND_BOOL, "true", false },
        { "enforceNodeAllocatable", KIND_LIST, "[\"pods\"]", false },
        { "eventBurst", KIND_NUMBER, "100", true },
        { "eventRecordQPS", KIND_NUMBER, "50", false },
        { "evictionPressureTransitionPeriod", KIND_DURATION, "5m", true },
        { "failCgroupV1", KIND_BOOL, "false", false },
        { "failSwapOn", KIND_BOOL, "true", false },
        { "fileCheckFrequency", KIND_DURATION, "20s", true },
        { "hairpinMode", KIND_STRING, "promiscuous-bridge", true },
        { "healthzBindAddress", KIND_STRING, "127.0.0.1", true },
        { "healthzPort", KIND_NUMBER, "10248", false },
        { "httpCheckFrequency", KIND_DURATION, "20s", true },
        { "imageGCHighThresholdPercent", KIND_NUMBER, "85", false },
        { "imageGCLowThresholdPercent", KIND_NUMBER, "80", false },
        /* not defaulted: 0 (off) is the default */
        { "imageMaximumGCAge", KIND_DURATION, "0s", true },
        { "imageMinimumGCAge", KIND_DURATION, "2m", true },
        { "iptablesDropBit", KIND_NUMBER, "15", false },
        { "iptablesMasqueradeBit", KIND_NUMBER, "14", false },
        { "kubeAPIBurst", KIND_NUMBER, "100", true },
        { "kubeAPIQPS", KIND_NUMBER, "50", false },
        { "kubeletCgroups", KIND_STRING, "", true },
        { "localStorageCapacityIsolation", KIND_BOOL, "true", false },
        /* logsapi.SetRecommendedLoggingConfiguration (component-base/logs/api/v1/types.go) */
        { "logging.flushFrequency", KIND_DURATION, "5s", true },
        { "logging.format", KIND_STRING, "text", true },
        { "logging.options.json.infoBufferSize", KIND_STRING, "0", true },
        { "logging.options.text.infoBufferSize", KIND_STRING, "0", true },
        { "logging.verbosity", KIND_NUMBER, "0", true },
        { "makeIPTablesUtilChains", KIND_BOOL, "true", false },
        { "maxOpenFiles", KIND_NUMBER, "1000000", true },
        { "maxPods", KIND_NUMBER, "110", true },
        { "memoryManagerPolicy", KIND_STRING, "None", true },
        { "memoryThrottlingFactor", KIND_NUMBER, "0.9", false },
        { "mergeDefaultEvictionSettings", KIND_BOOL, "false", false },
        { "nodeLeaseDurationSeconds", KIND_NUMBER, "40", true },
        { "nodeStatusMaxImages", KIND_NUMBER, "50", false },
        /* 5m unless nodeStatusUpdateFrequency is set: then that value (not modelled) */
        { "nodeStatusReportFrequency", KIND_DURATION, "5m", true },
        { "nodeStatusUpdateFrequency", KIND_DURATION, "10s", true },
        { "oomScoreAdj", KIND_NUMBER, "-999", false },
        { "podHousekeepingPeriod", KIND_DURATION, "2s", false },
        { "podLogsDir", KIND_STRING, "/var/log/pods", true },
        { "podPidsLimit", KIND_NUMBER, "-1", false },
        { "port", KIND_NUMBER, "10250", true },
        { "protectKernelDefaults", KIND_BOOL, "false", false },
        { "readOnlyPort", KIND_NUMBER, "0", true },
        { "registerNode", KIND_BOOL, "true", false },
        { "registryBurst", KIND_NUMBER, "10", true },
        { "registryPullQPS", KIND_NUMBER, "5", false },
        { "resolvConf", KIND_STRING, "/etc/resolv.conf", false },
        { "rotateCertificates", KIND_BOOL, "false", false },
        { "runtimeRequestTimeout", KIND_DURATION, "2m", true },
        { "seccompDefault", KIND_BOOL, "false", false },
        /* serializeImagePulls: true unless maxParallelImagePulls >= 2 (not modelled) */
        { "serializeImagePulls", KIND_BOOL, "true", false },
        { "serverTLSBootstrap", KIND_BOOL, "false", false },
        /* not defaulted: 0 (no graceful shutdown) is the default */
        { "shutdownGracePeriod", KIND_DURATION, "0s", true },
        { "shutdownGracePeriodCriticalPods", KIND_DURATION, "0s", true },
        { "staticPodPath", KIND_STRING, "", true },
        { "streamingConnectionIdleTimeout", KIND_DURATION, "4h", true },
        { "syncFrequency", KIND_DURATION, "1m", true },
        { "systemCgroups", KIND_STRING, "", true },
        { "topologyManagerPolicy", KIND_STRING, "none", true },
        { "topologyManagerScope", KIND_STRING, "container", true },
        { "volumePluginDir", KIND_STRING, "/usr/libexec/kubernetes/kubelet-plugins/volume/exec/", true },
        { "volumeStatsAggPeriod", KIND_DURATION, "1m", true },
};

static int find_default(const char *path) {
        for (size_t i = 0; i < ELEMENTSOF(kubelet_defaults); i++)
                if (streq(kubelet_defaults[i].path, path))
                        return (int) i;
        return -1;
}

const char *kubelet_default_text(const char *config_path) {
        int i = find_default(config_path);
        return i < 0 ? NULL : kubelet_defaults[i].value;
}

/* Go's time.ParseDuration, to nanoseconds: "1h2m3.5s", "300ms", "0". -EINVAL otherwise. */
static int parse_duration(const char *s, double *ret) {
        static const struct {
                const char *unit;
                double ns;
        } units[] = { { "ns", 1 }, { "us", 1e3 }, { "µs", 1e3 }, { "ms", 1e6 }, { "s", 1e9 }, { "m", 60e9 }, { "h", 3600e9 } };
        double total = 0, sign = 1;

        if (*s == '-' || *s == '+')
                sign = *s++ == '-' ? -1 : 1;
        if (streq(s, "0")) {
                *ret = 0;
                return 0;
        }
        if (!*s)
                return -EINVAL;
        while (*s) {
                char *end;
                if (!isdigit((unsigned char) *s) && *s != '.')
                        return -EINVAL;
                double v = strtod(s, &end);
                if (end == s)
                        return -EINVAL;
                s = end;
                size_t best = 0, best_len = 0;
                for (size_t i = 0; i < ELEMENTSOF(units); i++) {
                        size_t n = strlen(units[i].unit);
                        if (strncmp(s, units[i].unit, n) == 0 && n > best_len) {
                                best = i;
                                best_len = n;
                        }
                }
                if (best_len == 0)
                        return -EINVAL;
                total += v * units[best].ns;
                s += best_len;
        }
        *ret = sign * total;
        return 0;
}

/* The text of v by the field's kind; NULL when v is not of that kind (compared as written). */
static char *kind_text(FieldKind kind, json_object *v) {
        char *text = NULL;
        switch (kind) {
        case KIND_DURATION: {
                double ns;
                if (json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double))
                        ns = json_object_get_double(v);   /* TimeOrMetaDuration: a number is nanoseconds */
                else if (!json_object_is_type(v, json_type_string) || parse_duration(json_object_get_string(v), &ns) < 0)
                        return NULL;
                return asprintf(&text, "%.0fns", ns) < 0 ? NULL : text;
        }
        case KIND_BOOL:
                if (json_object_is_type(v, json_type_boolean))
                        return strdup(json_object_get_boolean(v) ? "true" : "false");
                return NULL;
        case KIND_NUMBER:
                if (json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double))
                        return asprintf(&text, "%.17g", json_object_get_double(v)) < 0 ? NULL : text;
                return NULL;
        case KIND_STRING:
        case KIND_LIST:
                return json_value_text(v);
        }
        return NULL;
}

static bool kind_zero(FieldKind kind, const char *text) {
        switch (kind) {
        case KIND_DURATION:
                return streq(text, "0ns") || streq(text, "-0ns");
        case KIND_NUMBER:
                return streq(text, "0");
        case KIND_STRING:
                return streq(text, "") || streq(text, "null");
        default:
                return false;
        }
}

static int default_text(int i, char **ret) {
        _cleanup_(json_object_putp) json_object *v = NULL;
        int r;
        FieldKind kind = kubelet_defaults[i].kind;
        if (kind == KIND_LIST || kind == KIND_STRING)
                return (*ret = strdup(kubelet_defaults[i].value)) ? 0 : -ENOMEM;
        if ((r = yaml_scalar_to_json(kubelet_defaults[i].value, strlen(kubelet_defaults[i].value), true, &v)) < 0)
                return r;
        if (kind == KIND_DURATION && !v)
                return -ENOMEM;
        *ret = kind_text(kind, v);
        return *ret ? 0 : -ENOMEM;
}

int drift_effective_text(const char *path, json_object *value, bool present, char **ret) {
        const char *config = startswith(path, "kubelet.");
        int i = config ? find_default(config) : -1;
        _cleanup_free_ char *text = NULL;

        *ret = NULL;
        if (present) {
                text = i >= 0 ? kind_text(kubelet_defaults[i].kind, value) : NULL;
                if (!text && !(text = json_value_text(value)))
                        return -ENOMEM;
                /* /var/run is a link to /run on every systemd distribution */
                const char *rest = startswith(text, "unix:///var/run/");
                if (rest) {
                        char *shorter;
                        if (asprintf(&shorter, "unix:///run/%s", rest) < 0)
                                return -ENOMEM;
                        free(text);
                        text = shorter;
                }
                if (i < 0 || !kubelet_defaults[i].zero || !kind_zero(kubelet_defaults[i].kind, text)) {
                        *ret = TAKE_PTR(text);
                        return 0;
                }
        }
        if (i < 0)
                return 0;
        return default_text(i, ret);
}

/* By nature different on every node, or chosen per node: names, addresses, the node's own
 * certificates and keys and the kubeconfigs that hold them, the cloud's id, per-node CIDRs and
 * CPU sets, labels and taints (a control-plane node carries its own). resolvConf too: kubeadm
 * leaves it out of the ConfigMap and sets it on each node that runs systemd-resolved
 * (cmd/kubeadm/app/componentconfigs/kubelet_unix.go, mutateResolverConfig). */
static const char * const node_specific[] = {
        "kubelet.authentication.x509.clientCAFile",
        "kubelet.podCIDR",
        "kubelet.providerID",
        "kubelet.registerWithTaints",
        "kubelet.reservedSystemCPUs",
        "kubelet.resolvConf",
        "kubelet.staticPodURLHeader",
        "kubelet.tlsCertFile",
        "kubelet.tlsPrivateKeyFile",
        "kubelet.flags.bootstrap-kubeconfig",
        "kubelet.flags.cert-dir",
        "kubelet.flags.cloud-provider",
        "kubelet.flags.hostname-override",
        "kubelet.flags.kubeconfig",
        "kubelet.flags.node-ip",
        "kubelet.flags.node-labels",
        "kubelet.flags.provider-id",
        "kubelet.flags.register-with-taints",
};

bool drift_path_node_specific(const char *path) {
        for (size_t i = 0; i < ELEMENTSOF(node_specific); i++) {
                const char *rest = startswith(path, node_specific[i]);
                if (rest && (*rest == 0 || *rest == '.'))
                        return true;
        }
        return false;
}

const char *drift_playbook(const char *path, const char *baseline_text) {
        if (!baseline_text)
                return NULL;
        if (streq(path, "kubelet.cgroupDriver") && streq(baseline_text, "systemd"))
                return "cgroup-driver-systemd";
        if (startswith(path, "containerd.runtimes.") && endswith(path, ".systemd_cgroup") && streq(baseline_text, "true"))
                return "cgroup-driver-systemd";
        if (streq(path, "kubelet.failSwapOn") && streq(baseline_text, "false"))
                return "kubelet-allow-swap";
        return NULL;
}
