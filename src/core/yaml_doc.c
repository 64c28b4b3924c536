/* Builds a ynode tree from libyaml's event stream; see yaml_doc.h. */
#include "core/yaml_doc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include <math.h>
#include <yaml.h>

#define YAML_MAX_DEPTH 64

static ynode *node_new(ynode_kind kind, int line)
{
    ynode *n = calloc(1, sizeof *n);
    if (n != NULL) {
        n->kind = kind;
        n->line = line;
    }
    return n;
}

void ynode_free(ynode *node)
{
    if (node == NULL)
        return;
    for (size_t i = 0; i < node->n; i++) {
        ynode_free(node->items[i]);
        if (node->keys != NULL)
            free(node->keys[i]);
    }
    free(node->items);
    free(node->keys);
    free(node->scalar);
    free(node);
}

/* Appends child (and key, for maps) to parent; takes ownership of both on success only. */
static bool node_append(ynode *parent, char *key, ynode *child)
{
    ynode **items = realloc(parent->items, (parent->n + 1) * sizeof *items);
    if (items == NULL)
        return false;
    parent->items = items;
    if (parent->kind == YNODE_MAP) {
        char **keys = realloc(parent->keys, (parent->n + 1) * sizeof *keys);
        if (keys == NULL)
            return false;
        parent->keys = keys;
        keys[parent->n] = key;
    }
    items[parent->n++] = child;
    return true;
}

typedef struct parse_state {
    yaml_parser_t parser;
    const char *what;
    ferry_error *err;
} parse_state;

static ferry_status parse_node(parse_state *ps, yaml_event_t *first, int depth, ynode **out);

static ferry_status parse_error(parse_state *ps)
{
    return ferry_error_set(ps->err, FERRY_INVALID_ARG, "%s: YAML error at line %zu: %s", ps->what,
                           ps->parser.problem_mark.line + 1,
                           ps->parser.problem ? ps->parser.problem : "syntax error");
}

static ferry_status next_event(parse_state *ps, yaml_event_t *ev)
{
    if (!yaml_parser_parse(&ps->parser, ev))
        return parse_error(ps);
    return FERRY_OK;
}

/* Parses children until the closing event of a map or sequence. */
static ferry_status parse_children(parse_state *ps, ynode *node, yaml_event_type_t end, int depth)
{
    for (;;) {
        yaml_event_t ev;
        ferry_status st = next_event(ps, &ev);
        if (st != FERRY_OK)
            return st;
        if (ev.type == end) {
            yaml_event_delete(&ev);
            return FERRY_OK;
        }
        char *key = NULL;
        if (node->kind == YNODE_MAP) {
            if (ev.type != YAML_SCALAR_EVENT) {
                int line = (int)ev.start_mark.line + 1;
                yaml_event_delete(&ev);
                return ferry_error_set(ps->err, FERRY_INVALID_ARG,
                                       "%s: line %d: mapping keys must be plain scalars", ps->what,
                                       line);
            }
            int key_line = (int)ev.start_mark.line + 1;
            key = strdup((const char *)ev.data.scalar.value);
            yaml_event_delete(&ev);
            if (key == NULL)
                return ferry_error_set(ps->err, FERRY_NO_MEMORY, "%s: out of memory", ps->what);
            if (ynode_get(node, key) != NULL) { /* which one would win is nobody's guess */
                st = ferry_error_set(ps->err, FERRY_INVALID_ARG, "%s: line %d: duplicate key '%s'",
                                     ps->what, key_line, key);
                free(key);
                return st;
            }
            st = next_event(ps, &ev);
            if (st != FERRY_OK) {
                free(key);
                return st;
            }
        }
        ynode *child = NULL;
        st = parse_node(ps, &ev, depth + 1, &child);
        if (st == FERRY_OK && !node_append(node, key, child)) {
            ynode_free(child);
            st = ferry_error_set(ps->err, FERRY_NO_MEMORY, "%s: out of memory", ps->what);
        }
        if (st != FERRY_OK) {
            free(key);
            return st;
        }
    }
}

/* Builds the node that starts with event `first` (consumed here). */
static ferry_status parse_node(parse_state *ps, yaml_event_t *first, int depth, ynode **out)
{
    int line = (int)first->start_mark.line + 1;
    if (depth > YAML_MAX_DEPTH) {
        yaml_event_delete(first);
        return ferry_error_set(ps->err, FERRY_INVALID_ARG, "%s: line %d: nested too deeply",
                               ps->what, line);
    }
    ynode *node = NULL;
    ferry_status st = FERRY_OK;
    switch (first->type) {
    case YAML_SCALAR_EVENT:
        node = node_new(YNODE_SCALAR, line);
        if (node != NULL) {
            node->scalar = strdup((const char *)first->data.scalar.value);
            node->quoted = first->data.scalar.style == YAML_SINGLE_QUOTED_SCALAR_STYLE ||
                           first->data.scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE;
            if (node->scalar == NULL) {
                ynode_free(node);
                node = NULL;
            }
        }
        yaml_event_delete(first);
        if (node == NULL)
            return ferry_error_set(ps->err, FERRY_NO_MEMORY, "%s: out of memory", ps->what);
        break;
    case YAML_MAPPING_START_EVENT:
    case YAML_SEQUENCE_START_EVENT: {
        bool is_map = first->type == YAML_MAPPING_START_EVENT;
        yaml_event_delete(first);
        node = node_new(is_map ? YNODE_MAP : YNODE_SEQ, line);
        if (node == NULL)
            return ferry_error_set(ps->err, FERRY_NO_MEMORY, "%s: out of memory", ps->what);
        st = parse_children(ps, node, is_map ? YAML_MAPPING_END_EVENT : YAML_SEQUENCE_END_EVENT,
                            depth);
        break;
    }
    case YAML_ALIAS_EVENT:
        yaml_event_delete(first);
        return ferry_error_set(ps->err, FERRY_INVALID_ARG,
                               "%s: line %d: YAML aliases are not supported", ps->what, line);
    default:
        yaml_event_delete(first);
        return ferry_error_set(ps->err, FERRY_INVALID_ARG, "%s: line %d: unexpected YAML event",
                               ps->what, line);
    }
    if (st != FERRY_OK) {
        ynode_free(node);
        return st;
    }
    *out = node;
    return FERRY_OK;
}

/* Skips stream/document start events and parses the first document's root node. */
static ferry_status parse_document(parse_state *ps, ynode **root)
{
    for (;;) {
        yaml_event_t ev;
        ferry_status st = next_event(ps, &ev);
        if (st != FERRY_OK)
            return st;
        if (ev.type == YAML_STREAM_START_EVENT || ev.type == YAML_DOCUMENT_START_EVENT) {
            yaml_event_delete(&ev);
            continue;
        }
        if (ev.type == YAML_STREAM_END_EVENT) {
            yaml_event_delete(&ev);
            *root = node_new(YNODE_MAP, 1);
            return *root ? FERRY_OK
                         : ferry_error_set(ps->err, FERRY_NO_MEMORY, "%s: out of memory", ps->what);
        }
        return parse_node(ps, &ev, 0, root);
    }
}

ferry_status yaml_doc_load_string(const char *text, size_t len, const char *what, ynode **root,
                                  ferry_error *err)
{
    parse_state ps = {.what = what, .err = err};
    if (!yaml_parser_initialize(&ps.parser))
        return ferry_error_set(err, FERRY_NO_MEMORY, "%s: cannot start the YAML parser", what);
    yaml_parser_set_input_string(&ps.parser, (const unsigned char *)text, len);
    ynode *doc = NULL;
    ferry_status st = parse_document(&ps, &doc);
    yaml_parser_delete(&ps.parser);
    if (st == FERRY_OK && doc->kind == YNODE_SCALAR && doc->scalar[0] == '\0' && !doc->quoted) {
        ynode_free(doc); /* a file holding only comments parses as one empty scalar */
        doc = node_new(YNODE_MAP, 1);
        if (doc == NULL)
            st = ferry_error_set(err, FERRY_NO_MEMORY, "%s: out of memory", what);
    }
    if (st != FERRY_OK)
        return st;
    *root = doc;
    return FERRY_OK;
}

ferry_status yaml_doc_load_file(const char *path, ynode **root, ferry_error *err)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return ferry_error_set(err, errno == ENOENT ? FERRY_NOT_FOUND : FERRY_IO, "%s: %s", path,
                               strerror(errno));
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    ferry_status st = FERRY_OK;
    if (mem == NULL) {
        st = ferry_error_set(err, FERRY_NO_MEMORY, "%s: out of memory", path);
    } else {
        char chunk[4096];
        size_t n;
        while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
            if (fwrite(chunk, 1, n, mem) != n)
                break;
        if (ferror(f))
            st = ferry_error_set(err, FERRY_IO, "%s: read failed", path);
        if (fclose(mem) != 0 && st == FERRY_OK)
            st = ferry_error_set(err, FERRY_NO_MEMORY, "%s: out of memory", path);
    }
    fclose(f);
    if (st == FERRY_OK)
        st = yaml_doc_load_string(text, len, path, root, err);
    free(text);
    return st;
}

const ynode *ynode_get(const ynode *map, const char *key)
{
    if (map == NULL || map->kind != YNODE_MAP)
        return NULL;
    for (size_t i = 0; i < map->n; i++)
        if (strcmp(map->keys[i], key) == 0)
            return map->items[i];
    return NULL;
}

const char *ynode_get_scalar(const ynode *map, const char *key)
{
    const ynode *v = ynode_get(map, key);
    return v != NULL && v->kind == YNODE_SCALAR ? v->scalar : NULL;
}

/* ------------------------------------------------------------------------------------------ */
/* JSON view and top-level edits                                                               */
/* ------------------------------------------------------------------------------------------ */

static json_t *scalar_to_json(const ynode *node)
{
    const char *s = node->scalar;
    if (node->quoted)
        return json_string(s);
    if (strcmp(s, "true") == 0 || strcmp(s, "True") == 0)
        return json_true();
    if (strcmp(s, "false") == 0 || strcmp(s, "False") == 0)
        return json_false();
    if (s[0] == '\0' || strcmp(s, "null") == 0 || strcmp(s, "~") == 0)
        return json_null();
    char *end;
    errno = 0;
    long long i = strtoll(s, &end, 10);
    if (*end == '\0' && errno == 0)
        return json_integer(i);
    double d = strtod(s, &end);
    if (*end == '\0' && isfinite(d))
        return json_real(d);
    return json_string(s);
}

struct json_t *ynode_to_json(const ynode *node)
{
    if (node->kind == YNODE_SCALAR)
        return scalar_to_json(node);
    json_t *out = node->kind == YNODE_MAP ? json_object() : json_array();
    for (size_t i = 0; out != NULL && i < node->n; i++) {
        json_t *child = ynode_to_json(node->items[i]);
        int rc = child == NULL             ? -1
                 : node->kind == YNODE_MAP ? json_object_set_new(out, node->keys[i], child)
                                           : json_array_append_new(out, child);
        if (rc != 0) {
            json_decref(out);
            out = NULL;
        }
    }
    return out;
}

/* True when `line` starts the top-level entry `key` ("key:" at column 0). */
static bool starts_entry(const char *line, const char *key)
{
    size_t n = strlen(key);
    if (strncmp(line, key, n) != 0)
        return false;
    const char *p = line + n;
    while (*p == ' ' || *p == '\t')
        p++;
    return *p == ':';
}

/* True for a line that continues the entry above it (indented, or a block sequence item). */
static bool continues_entry(const char *line)
{
    return line[0] == ' ' || line[0] == '\t' || (line[0] == '-' && strncmp(line, "---", 3) != 0);
}

/* True for a blank line or a comment at column 0. */
static bool is_filler(const char *line)
{
    size_t n = strspn(line, " \t\r");
    return line[n] == '\n' || line[n] == '\0' || line[0] == '#';
}

/* While skipping an entry: true when `line` is part of it. Blank lines and comments belong to it
 * when the entry continues after them (an `options:` block with a blank line inside). */
static bool inside_entry(const char *line)
{
    while (!continues_entry(line) && is_filler(line)) {
        const char *nl = strchr(line, '\n');
        if (nl == NULL)
            return false;
        line = nl + 1;
    }
    return continues_entry(line);
}

ferry_status yaml_set_top_level(const char *text, const char *key, const char *value, char **out,
                                ferry_error *err)
{
    char *result = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&result, &len);
    if (mem == NULL)
        return ferry_error_set(err, FERRY_NO_MEMORY, "out of memory editing YAML");
    bool replaced = false, skipping = false;
    for (const char *line = text; *line != '\0';) {
        const char *nl = strchr(line, '\n');
        size_t line_len = nl ? (size_t)(nl - line) + 1 : strlen(line);
        if (skipping && inside_entry(line)) {
            line += line_len;
            continue;
        }
        skipping = false;
        if (!replaced && starts_entry(line, key)) {
            if (value != NULL)
                fprintf(mem, "%s: %s\n", key, value);
            replaced = skipping = true;
        } else {
            fwrite(line, 1, line_len, mem);
            if (nl == NULL)
                fputc('\n', mem);
        }
        line += line_len;
    }
    if (!replaced && value != NULL)
        fprintf(mem, "%s: %s\n", key, value);
    if (fclose(mem) != 0) {
        free(result);
        return ferry_error_set(err, FERRY_NO_MEMORY, "out of memory editing YAML");
    }
    *out = result;
    return FERRY_OK;
}
