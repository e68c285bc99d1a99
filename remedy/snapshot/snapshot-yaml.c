/* SPDX-License-Identifier: MIT */
/*
 * A JSON document written as YAML through libyaml's emitter, block style, in the document's own
 * member order. A string that a YAML 1.1 reader (the kubelet's go-yaml v2, PyYAML) would take for
 * something else — a boolean, a number, null, a date — is double-quoted, so that the YAML and
 * the JSON form of a snapshot say the same thing. Control characters are escaped by the emitter.
 */
#include "remedy/snapshot.h"

#include <errno.h>
#include <string.h>
#include <yaml.h>

static int emit(yaml_emitter_t *e, yaml_event_t *ev) {
        return yaml_emitter_emit(e, ev) ? 0 : -EIO;
}

static bool string_needs_quotes(const char *s) {
        _cleanup_(json_object_putp) json_object *typed = NULL;
        if (!*s || strchr("0123456789+-.", s[0]))
                return true;
        if (yaml_scalar_to_json(s, strlen(s), true, &typed) < 0)
                return true;
        return !typed || !json_object_is_type(typed, json_type_string);
}

static int emit_scalar(yaml_emitter_t *e, const char *text, bool quoted) {
        yaml_event_t ev;
        if (!yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *) text, (int) strlen(text), 1, 1,
                                          quoted ? YAML_DOUBLE_QUOTED_SCALAR_STYLE : YAML_ANY_SCALAR_STYLE))
                return -ENOMEM;
        return emit(e, &ev);
}

static int emit_value(yaml_emitter_t *e, json_object *o) {
        yaml_event_t ev;
        int r;

        switch (json_object_get_type(o)) {
        case json_type_null:
                return emit_scalar(e, "null", false);
        case json_type_boolean:
        case json_type_int:
        case json_type_double:
                return emit_scalar(e, json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN), false);
        case json_type_string: {
                const char *s = json_object_get_string(o);
                return emit_scalar(e, s, string_needs_quotes(s));
        }
        case json_type_array:
                if (!yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_SEQUENCE_STYLE) ||
                    (r = emit(e, &ev)) < 0)
                        return -EIO;
                for (size_t i = 0; i < json_object_array_length(o); i++)
                        if ((r = emit_value(e, json_object_array_get_idx(o, i))) < 0)
                                return r;
                yaml_sequence_end_event_initialize(&ev);
                return emit(e, &ev);
        case json_type_object:
                if (!yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE) ||
                    (r = emit(e, &ev)) < 0)
                        return -EIO;
                json_object_object_foreach(o, key, value) {
                        if ((r = emit_scalar(e, key, string_needs_quotes(key))) < 0 || (r = emit_value(e, value)) < 0)
                                return r;
                }
                yaml_mapping_end_event_initialize(&ev);
                return emit(e, &ev);
        }
        return -EINVAL;
}

static int write_handler(void *data, unsigned char *buffer, size_t size) {
        return fwrite(buffer, 1, size, data) == size;
}

int snapshot_write_yaml(json_object *doc, FILE *out) {
        yaml_emitter_t e;
        yaml_event_t ev;
        int r = -EIO;

        if (!yaml_emitter_initialize(&e))
                return -ENOMEM;
        yaml_emitter_set_output(&e, write_handler, out);
        yaml_emitter_set_unicode(&e, 1);
        yaml_emitter_set_width(&e, -1);   /* no folding: one value, one line */
        yaml_emitter_set_indent(&e, 2);
        if (!yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING) || emit(&e, &ev) < 0 ||
            !yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 0) || emit(&e, &ev) < 0)
                goto finish;
        if ((r = emit_value(&e, doc)) < 0)
                goto finish;
        r = -EIO;
        if (!yaml_document_end_event_initialize(&ev, 1) || emit(&e, &ev) < 0 ||
            !yaml_stream_end_event_initialize(&ev) || emit(&e, &ev) < 0 || !yaml_emitter_flush(&e))
                goto finish;
        r = 0;
finish:
        yaml_emitter_delete(&e);
        return r;
}
