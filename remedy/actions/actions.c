/* SPDX-License-Identifier: MIT */
#include "remedy/action.h"

const ActionType * const action_types[] = {
        &action_file,
        &action_dropin,
        &action_remove,
        &action_copy,
        &action_yaml_set,
        &action_kubelet_config_set,
        &action_toml_set,
        &action_kubelet_flags,
        &action_kubelet_feature_gates,
        &action_unit,
        &action_daemon_reload,
        &action_kubeconfig_install,
        &action_swap_off,
        &action_containerd_default_config,
        &action_containerd_runtimes,
        &action_sysctl,
        &action_kernel_module,
        &action_containerd_enable_cri,
        &action_cri_endpoint,
        &action_containerd_sandbox_image,
        NULL,
};

const ActionType *action_type_find(const char *key) {
        for (const ActionType * const *t = action_types; *t; t++)
                if (streq((*t)->key, key))
                        return *t;
        return NULL;
}
