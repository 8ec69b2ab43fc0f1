/* yaml.h: one untrusted YAML document (.terrateam/config.yml) as cJSON. */
/* SPDX-License-Identifier: MIT */
#ifndef TT_YAML_H
#define TT_YAML_H

#include <stddef.h>

#include "tt.h"

struct tt_arena;
struct cJSON;

#define TT_YAML_MAX_BYTES	(512 * 1024)	/* larger input refused */
#define TT_YAML_MAX_DEPTH	64
#define TT_YAML_MAX_NODES	100000

/*
 * Parses text (len bytes, need not be NUL-terminated) as one YAML document
 * into a cJSON tree owned by the arena (use tt_json_own from json.h so the
 * arena frees it). Mappings become objects (keys must be scalars; a
 * duplicate key is an error), sequences arrays, scalars strings, except
 * plain (unquoted, untagged) scalars that are YAML 1.2 core-schema null
 * (~, null, Null, NULL, empty), booleans (true/false/True/False/TRUE/FALSE)
 * or numbers (decimal ints, floats, not .inf/.nan) which become
 * null/bool/number. An empty document or empty input gives an empty object.
 * Refused with TT_EINVAL and a message in err like
 * "line 3, column 5: <what>" (1-based): syntax errors (libyaml's problem
 * text), more than one document, anchors and aliases (billion-laughs
 * defence), depth > TT_YAML_MAX_DEPTH, more than TT_YAML_MAX_NODES nodes,
 * input longer than TT_YAML_MAX_BYTES, a NUL byte, invalid UTF-8, a
 * non-scalar mapping key. Never crashes or leaks on any input.
 *
 * Details: keys are always their scalar text ("1: a" has the key "1"), so
 * 1 and "1" as keys of one mapping are duplicates; a tagged scalar is a
 * string whatever its tag, and tags on collections are ignored; a number
 * that does not fit a finite double (1e999) stays a string; a NUL that
 * a quoted scalar spells as an escape ("\0") is refused like a raw one; a
 * document that is one non-empty scalar gives that scalar, not an object.
 * A node counts every key, value and collection. On TT_OK *out is set; on
 * error *out is NULL and err (if errlen > 0) holds the NUL-terminated,
 * possibly truncated, message.
 */
enum tt_err	 tt_yaml_parse(struct tt_arena *, const char *text, size_t len,
		    struct cJSON **out, char *err, size_t errlen);

#endif
