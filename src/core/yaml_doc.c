/* Builds a ynode tree from libyaml's event stream; see yaml_doc.h. */
#include "core/yaml_doc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
            key = strdup((const char *)ev.data.scalar.value);
            yaml_event_delete(&ev);
            if (key == NULL)
                return ferry_error_set(ps->err, FERRY_NO_MEMORY, "%s: out of memory", ps->what);
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
