/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * What drift.c knows about the fields it compares (drift-rules.c): the kubelet's defaults, so
 * that a field set to its default on one side and absent on the other is not drift; the fields
 * that differ between nodes by nature; and the shipped playbooks that bring a field to the
 * baseline's value.
 */

#include <json-c/json.h>
#include <stdbool.h>

/* The text two values of a field compare by: durations in nanoseconds ("4h0m0s" and "4h" are
 * one value), booleans as true/false, a field's zero value (which the kubelet's defaulting
 * replaces) and an absent value as the kubelet's default where it has one. path is the field's
 * path under kubelet's config ("cgroupDriver"); for other fields the value's json_value_text().
 * value NULL: absent. *ret NULL: absent and without a known default. 0 or -ENOMEM. */
int drift_effective_text(const char *path, json_object *value, bool present, char **ret);

/* The kubelet's default of a config field as text ("cgroupfs"), or NULL when none is known. */
const char *kubelet_default_text(const char *config_path);

/* Whether a compared path ("kubelet.providerID", "kubelet.flags.node-ip") is node-specific. */
bool drift_path_node_specific(const char *path);

/* The shipped playbook that makes the node's value the baseline's, or NULL. */
const char *drift_playbook(const char *path, const char *baseline_text);
