/* SPDX-License-Identifier: MIT */
/*
 * The `value:` and `type:` arguments of the steps that set one scalar (yaml-set,
 * kubelet-config-set): the value a template, its type given or read off how the playbook wrote
 * it. See include/remedy/playbook.h.
 */
#include <errno.h>
#include <stdlib.h>

#include "remedy/edit-value.h"
#include "remedy/playbook.h"

/* The type a value without `type:` has, as the playbook's own YAML reads it. */
static int infer_type(ParseContext *pc, const char *action, const YamlNode *node, const Template *value,
                      EditValueType *ret) {
        const Param *param = template_sole_param(value);
        const char *literal = template_literal(value);
        EditValue as_int;

        if (param) {
                *ret = param->type == PARAM_BOOL  ? EDIT_VALUE_BOOL
                       : param->type == PARAM_INT ? EDIT_VALUE_INT
                                                  : EDIT_VALUE_STRING;
                return 0;
        }
        *ret = EDIT_VALUE_STRING;
        if (!literal || !value->plain)
                return 0;

        as_int = (EditValue) { .type = EDIT_VALUE_INT, .text = literal };
        if (streq(literal, "true") || streq(literal, "false"))
                *ret = EDIT_VALUE_BOOL;
        else if (edit_value_check(&as_int) == 0)
                *ret = EDIT_VALUE_INT;
        else if (!edit_value_yaml_plain_is_string(literal))
                /* yes, True, ~, 1.5, 0x10: YAML versions disagree on what these are. */
                return parse_error(pc, node,
                                   "%s: value '%s' is ambiguous: write true or false for a bool, quote it for a "
                                   "string, or give type:", action, literal);
        return 0;
}

int typed_value_parse(ParseContext *pc, const YamlNode *args, const char *action, Template **ret_value,
                      EditValueType *ret_type) {
        _cleanup_free_ char *type = NULL;
        const char *literal;
        int r;

        if ((r = parse_template(pc, args, "value", true, 0, "a YAML value", ret_value)) < 0 ||
            (r = parse_string(pc, args, "type", false, &type)) < 0)
                return r;
        if (type) {
                r = edit_value_type_from_string(type);
                if (r < 0)
                        return parse_error(pc, yaml_node_get(args, "type"), "%s: type '%s' is not one of string, bool, int",
                                           action, type);
                *ret_type = r;
        } else if ((r = infer_type(pc, action, yaml_node_get(args, "value"), *ret_value, ret_type)) < 0)
                return r;

        /* What the author wrote is checked now; what parameters bring, when planning. */
        literal = template_literal(*ret_value);
        if (literal && edit_value_check(&(EditValue) { .type = *ret_type, .text = literal }) < 0)
                return parse_error(pc, yaml_node_get(args, "value"), "%s: value '%s' is not a valid %s%s", action, literal,
                                   edit_value_type_name(*ret_type),
                                   *ret_type == EDIT_VALUE_BOOL ? " (write true or false)" : "");
        return 0;
}
