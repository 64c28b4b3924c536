/* A small read-only YAML document tree (scalars, mappings, sequences) built with libyaml, for
 * model.yaml and version.yaml. Anchors and aliases are refused; tags are ignored. */
#ifndef FERRY_CORE_YAML_DOC_H
#define FERRY_CORE_YAML_DOC_H

#include <stdbool.h>
#include <stddef.h>

#include "ferry/status.h"

typedef enum ynode_kind { YNODE_SCALAR, YNODE_MAP, YNODE_SEQ } ynode_kind;

typedef struct ynode ynode;
struct ynode {
    ynode_kind kind;
    char *scalar;  /* YNODE_SCALAR: the text */
    bool quoted;   /* the scalar was quoted ('…' or "…"): always a string */
    size_t n;      /* children (SEQ items, or MAP values with keys[]) */
    ynode **items; /* children */
    char **keys;   /* MAP keys, one per item */
    int line;      /* 1-based source line, for error messages */
};

/* Parses a whole file into *root (an empty file gives an empty map). The caller frees the tree with
 * ynode_free. Fails with NOT_FOUND for a missing file, INVALID_ARG naming file and line for bad
 * YAML. */
ferry_status yaml_doc_load_file(const char *path, ynode **root, ferry_error *err) FERRY_MUST_CHECK;

/* Parses YAML text of `len` bytes; `what` names it in errors. */
ferry_status yaml_doc_load_string(const char *text, size_t len, const char *what, ynode **root,
                                  ferry_error *err) FERRY_MUST_CHECK;

/* The value for `key` in a map, or NULL (also when node is NULL or not a map). */
const ynode *ynode_get(const ynode *map, const char *key);

/* The text of a scalar value for `key`, or NULL when absent or not a scalar. */
const char *ynode_get_scalar(const ynode *map, const char *key);

/* Converts a tree to JSON: maps to objects, sequences to arrays, plain scalars that read as
 * integers, reals, true/false or null to those, everything else (and quoted scalars) to strings.
 * Returns a new reference, or NULL when out of memory. */
struct json_t;
struct json_t *ynode_to_json(const ynode *node);

/* Replaces (or appends) the top-level `key: value` entry of a YAML text, keeping every other line
 * and comment as it is; value NULL removes the entry. The entry spans the key's line and the
 * indented (or "- ") lines after it. *out is malloc'ed; the caller frees it. */
ferry_status yaml_set_top_level(const char *text, const char *key, const char *value, char **out,
                                ferry_error *err) FERRY_MUST_CHECK;

/* Frees a tree. Accepts NULL. */
void ynode_free(ynode *node);

#endif
