/* `ferry history NAME`: the model's deployment changes from history.jsonl, oldest first, as a
 * table or JSON. Lines that do not parse (a write cut short by a crash) are skipped and reported
 * on stderr; they never make the command fail. */
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "cli/repo_cli.h"
#include "serving/registry.h"

static const char history_help[] =
    "usage: ferry history NAME [--repo DIR] [--json]\n"
    "\n"
    "Lists model NAME's changes (register, deploy, rollback, archive, load, unload), oldest "
    "first:\n"
    "time (UTC), actor, action, from and to versions, reason.\n"
    "  --repo DIR   model repository (env FERRY_REPO; default ./models)\n"
    "  --json       {\"name\", \"events\": [{\"ts\", \"actor\", \"action\", \"from\", \"to\",\n"
    "               \"reason\"}], \"skipped_lines\"}\n";

static json_t *version_json(uint64_t v)
{
    return v ? json_integer((json_int_t)v) : json_null();
}

static int print_json(const char *name, const history_event *events, size_t count, size_t skipped)
{
    json_t *list = json_array();
    for (size_t i = 0; list != NULL && i < count; i++) {
        const history_event *e = &events[i];
        json_t *item = json_pack("{s:s, s:s, s:s, s:o, s:o, s:s}", "ts", e->ts, "actor", e->actor,
                                 "action", e->action, "from", version_json(e->from), "to",
                                 version_json(e->to), "reason", e->reason);
        if (json_array_append_new(list, item) != 0) {
            json_decref(list);
            list = NULL;
        }
    }
    return repo_cli_print_json("history", json_pack("{s:s, s:o, s:I}", "name", name, "events", list,
                                                    "skipped_lines", (json_int_t)skipped));
}

static void format_version(char *buf, size_t len, uint64_t v)
{
    snprintf(buf, len, v ? "%" PRIu64 : "-", v);
}

static int print_table(const history_event *events, size_t count)
{
    static const char *const headers[] = {"TIME", "ACTOR", "ACTION", "FROM", "TO", "REASON"};
    repo_table *table = repo_table_create(6, headers);
    bool ok = table != NULL;
    for (size_t i = 0; ok && i < count; i++) {
        const history_event *e = &events[i];
        char from[24], to[24];
        format_version(from, sizeof from, e->from);
        format_version(to, sizeof to, e->to);
        const char *cells[] = {e->ts, e->actor, e->action, from, to, e->reason};
        ok = repo_table_add(table, cells);
    }
    if (ok)
        repo_table_print(table);
    else
        fprintf(stderr, "ferry history: out of memory\n");
    repo_table_destroy(table);
    return ok ? CLI_OK : CLI_FAILURE;
}

int cli_history(int argc, char **argv)
{
    repo_cli_args a = {.cmd = "history",
                       .help = history_help,
                       .allow_json = true,
                       .min_positional = 1,
                       .max_positional = 1,
                       .positional_names = "NAME"};
    int rc = repo_cli_parse(argc, argv, &a, NULL, NULL);
    if (rc != CLI_OK)
        return rc < 0 ? CLI_OK : rc;
    history_event *events = NULL;
    size_t count = 0, skipped = 0;
    ferry_error err;
    if (registry_history(a.repo, a.positional[0], &events, &count, &skipped, &err) != FERRY_OK)
        return repo_cli_fail("history", &err);
    if (skipped > 0)
        fprintf(stderr,
                "ferry history: %s: skipped %zu unreadable line(s) in %s/%s/history.jsonl "
                "(a write cut short by a crash?)\n",
                a.positional[0], skipped, a.repo, a.positional[0]);
    rc = a.json ? print_json(a.positional[0], events, count, skipped) : print_table(events, count);
    free(events);
    return rc;
}
