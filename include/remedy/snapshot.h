/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * A node's effective configuration as one document (`remedy snapshot`), and its comparison with
 * a baseline (`remedy drift`).
 *
 *     _cleanup_(json_object_putp) json_object *doc = NULL;
 *     r = snapshot_node(root, offline, bus, &doc);            the document, secrets masked
 *     r = snapshot_write_yaml(doc, stdout);                   or json_object_to_json_string_ext()
 *
 *     _cleanup_(baseline_freep) Baseline *b = NULL;
 *     r = baseline_load(path, data, size, &b, &error);        -EBADMSG: "FILE:LINE: reason"
 *     _cleanup_(drift_report_done) DriftReport d = {};
 *     r = drift_compare(doc, b, &d);
 *
 * The document (snapshot.c), in a fixed order so that two snapshots of one node are identical
 * byte for byte and two nodes' snapshots diff line by line:
 *   remedy_snapshot: 1
 *   kubelet:    unit files, ExecStart= source, the command line, the flags with their sources,
 *               the environment, the configuration files in merge order, `config` (the
 *               KubeletConfiguration the kubelet will load: --config, the --config-dir drop-ins
 *               merged over it, the flags over both) and `sources` (each value of config by its
 *               path: "FILE:LINE", or "--flag=value at FILE:LINE"); `error` when it cannot be read
 *   containerd: the files merged, config version, CRI settings (default runtime, runtimes with type
 *               and SystemdCgroup, CNI directories, sandbox image, gRPC address)
 *   units:      kubelet.service and containerd.service: live their load, active and sub state and
 *               unit file state from systemd; offline the unit file state from the unit files
 *   packages:   installed versions (dpkg, RPM) of the Kubernetes node packages
 * Nothing in it depends on the time, PIDs or restart counts.
 */

#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>

#include "remedy/fileio.h"
#include "remedy/macro.h"
#include "remedy/systemd-bus.h"
#include "remedy/yaml-json.h"

#define SNAPSHOT_FORMAT 1

/* The node's snapshot; bus NULL offline. Problems with the node's files go into the document
 * (`error:` members), not into the return value: 0 or -ENOMEM. */
int snapshot_node(Root *root, bool offline, SystemdBus *bus, json_object **ret);

/* One YAML document, by libyaml's emitter: strings that YAML would read as something else are
 * quoted. 0, or -EIO. */
int snapshot_write_yaml(json_object *doc, FILE *out);

/* A configuration path as drift prints it: keys joined by '.', a key that holds a '.' (or is
 * empty, or holds a quote) written as a JSON string: evictionHard."memory.available". */
char *config_path_text(char * const *path);

typedef enum BaselineKind {
        BASELINE_CONFIGMAP,        /* kubeadm's kubelet-config ConfigMap, data.kubelet */
        BASELINE_KUBELET_CONFIG,   /* a KubeletConfiguration */
        BASELINE_SNAPSHOT,         /* another node's remedy snapshot */
} BaselineKind;

typedef struct Baseline {
        BaselineKind kind;
        char *file;
        json_object *doc;          /* a snapshot-shaped document: {kubelet: {config: ...}, ...} */
} Baseline;

Baseline *baseline_free(Baseline *b);
DEFINE_TRIVIAL_CLEANUP_FUNC(Baseline *, baseline_free);
const char *baseline_kind_name(BaselineKind k);

/* Reads a baseline (YAML or JSON). -EBADMSG with *ret_error "FILE:LINE: reason" for a file that
 * is none of the three, or does not parse; -ENOMEM. */
int baseline_load(const char *file, const char *data, size_t size, Baseline **ret, char **ret_error);

typedef struct DriftItem {
        char *path;                /* "kubelet.cgroupDriver" */
        char *node_value;          /* NULL: not set (with the default in node_note) */
        char *node_source;         /* "FILE:LINE", "--flag=value at FILE:LINE", NULL */
        char *baseline_value;
        char *baseline_source;     /* "FILE:LINE" in the baseline file */
        char *note;                /* "the kubelet's default is cgroupfs", NULL */
        const char *playbook;      /* the shipped playbook that brings the node to the baseline */
} DriftItem;

typedef struct DriftReport {
        DriftItem *drift;
        size_t n_drift;
        DriftItem *node_specific;  /* differ by nature: shown apart, not drift */
        size_t n_node_specific;
        size_t n_compared;
} DriftReport;

void drift_report_done(DriftReport *d);

/* Compares a node's snapshot with a baseline. 0 or -ENOMEM. */
int drift_compare(json_object *node, const Baseline *b, DriftReport *ret);
