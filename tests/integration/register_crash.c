/* Crash safety of `ferry register`: 50 times, start the real binary on a 16 MiB artifact and kill
 * it with SIGKILL at a random moment (half the runs at a random point of the whole command, half
 * while its temporary folder exists, i.e. during the copy, fsync and rename). After every kill,
 * every numbered version folder in the model folder is complete: version.yaml parses and the
 * artifact it names has the size and sha256 it records. No partly written version is ever
 * visible; model.yaml and history.jsonl still read; a later register works, gets the next number
 * and removes the temporary folders the killed runs left. Set FERRY_CRASH_SEED to replay a run. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/hash.h"
#include "core/yaml_doc.h"
#include "serving/history.h"
#include "test_support.h"

#define KILLS          50
#define ARTIFACT_BYTES (16u << 20)
#define MAX_VERSIONS   256
#define TMP_PREFIX     ".tmp-register-"

static struct {
    char *tmp;
    char repo[4096];
    char model_dir[4200];
    char artifact[4200];
    bool verified[MAX_VERSIONS + 1]; /* versions already checked (a version never changes) */
} g;

static uint64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void sleep_us(uint64_t us)
{
    struct timespec ts = {.tv_sec = (time_t)(us / 1000000u),
                          .tv_nsec = (long)(us % 1000000u) * 1000};
    while (nanosleep(&ts, &ts) != 0)
        ;
}

/* A valid JSON file with a .json name: register detects the backend by name and never loads it. */
static void write_big_artifact(const char *path)
{
    ts_write_file(path, "");
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs("{\"learner\":\"", f);
    uint32_t x = 2463534242u;
    for (size_t i = 0; i < ARTIFACT_BYTES; i++) {
        x ^= x << 13, x ^= x >> 17, x ^= x << 5;
        fputc('a' + (int)(x % 26), f);
    }
    fputs("\"}\n", f);
    assert_int_equal(fclose(f), 0);
}

/* ------------------------------------------------------------------------------------------ */
/* Running and killing register                                                                 */
/* ------------------------------------------------------------------------------------------ */

static const char *child_stderr_path(void)
{
    static char path[4300];
    snprintf(path, sizeof path, "%s/register-stderr.txt", g.tmp);
    return path;
}

/* What the last run wrote on stderr (a static buffer). */
static const char *child_stderr(void)
{
    static char text[4096];
    char *data = ts_read_file(child_stderr_path(), NULL);
    snprintf(text, sizeof text, "%s", data ? data : "");
    free(data);
    return text;
}

static pid_t start_register(void)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int devnull = open("/dev/null", O_WRONLY);
        int errors = open(child_stderr_path(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(devnull, STDOUT_FILENO);
        dup2(errors, STDERR_FILENO);
        execl(ts_ferry_bin(), "ferry", "register", "big", g.artifact, "--repo", g.repo,
              (char *)NULL);
        _exit(127);
    }
    return pid;
}

/* The temporary folders in the model folder (left by killed runs, or of a run in progress). */
typedef struct temp_names {
    char names[KILLS + 8][64];
    size_t n;
} temp_names;

static void list_temp_folders(temp_names *t)
{
    DIR *dir = opendir(g.model_dir);
    assert_non_null(dir);
    t->n = 0;
    struct dirent *ent;
    while ((ent = readdir(dir)) != NULL)
        if (strncmp(ent->d_name, TMP_PREFIX, strlen(TMP_PREFIX)) == 0 &&
            t->n < sizeof t->names / sizeof t->names[0])
            snprintf(t->names[t->n++], sizeof t->names[0], "%s", ent->d_name);
    closedir(dir);
}

/* True when a temporary folder exists that is not in `before`. */
static bool new_temp_folder(const temp_names *before)
{
    temp_names now;
    list_temp_folders(&now);
    for (size_t i = 0; i < now.n; i++) {
        bool old = false;
        for (size_t j = 0; !old && j < before->n; j++)
            old = strcmp(now.names[i], before->names[j]) == 0;
        if (!old)
            return true;
    }
    return false;
}

/* Waits (up to 30 s: fsync can stall on a busy machine) for the run's own temporary folder. False
 * when the run succeeded first (then reaped): on a busy machine a fast run can slip between two
 * looks. */
static bool wait_for_temp_folder(pid_t pid, const temp_names *before)
{
    for (uint64_t start = now_us(); now_us() - start < 30000000u; sleep_us(100)) {
        if (new_temp_folder(before))
            return true;
        int status = 0;
        if (waitpid(pid, &status, WNOHANG) == pid) {
            if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                fail_msg("ferry register failed (status 0x%x); its stderr: %s", (unsigned)status,
                         child_stderr());
            return false;
        }
    }
    fail_msg("no temporary folder within 30 s");
    return false;
}

/* Kills pid and reaps it; true when the signal ended it (false: it had already finished). */
static bool kill_and_reap(pid_t pid)
{
    kill(pid, SIGKILL);
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    if (WIFEXITED(status))
        assert_int_equal(WEXITSTATUS(status), 0); /* finished first: it must have succeeded */
    return WIFSIGNALED(status);
}

/* ------------------------------------------------------------------------------------------ */
/* Checking the model folder                                                                    */
/* ------------------------------------------------------------------------------------------ */

static bool parse_version_name(const char *s, uint64_t *v)
{
    if (s[0] < '1' || s[0] > '9' || strspn(s, "0123456789") != strlen(s) || strlen(s) > 6)
        return false;
    *v = strtoull(s, NULL, 10);
    return true;
}

/* Asserts that version folder `v` is complete: version.yaml and an artifact matching it. */
static void check_version(uint64_t v)
{
    char path[4400];
    snprintf(path, sizeof path, "%s/%" PRIu64 "/version.yaml", g.model_dir, v);
    ynode *yaml = NULL;
    ferry_error err = {0};
    if (yaml_doc_load_file(path, &yaml, &err) != FERRY_OK)
        fail_msg("version %" PRIu64 " is visible but incomplete: %s", v, err.message);
    const char *sha = ynode_get_scalar(yaml, "sha256"), *size = ynode_get_scalar(yaml, "size");
    const char *artifact = ynode_get_scalar(yaml, "artifact");
    assert_non_null(sha);
    assert_non_null(size);
    assert_non_null(artifact);
    snprintf(path, sizeof path, "%s/%" PRIu64 "/%s", g.model_dir, v, artifact);
    char actual[HASH_SHA256_HEX_LEN + 1];
    uint64_t actual_size = 0;
    if (hash_file_sha256(path, actual, &actual_size, &err) != FERRY_OK)
        fail_msg("version %" PRIu64 " is visible without its artifact: %s", v, err.message);
    if (strcmp(actual, sha) != 0 || actual_size != strtoull(size, NULL, 10))
        fail_msg("version %" PRIu64 ": %s has %" PRIu64 " bytes, sha256 %s; version.yaml says %s "
                 "bytes, %s",
                 v, path, actual_size, actual, size, sha);
    ynode_free(yaml);
}

/* Checks every numbered folder not yet checked; returns the highest version. */
static uint64_t check_model_folder(bool recheck_all)
{
    DIR *dir = opendir(g.model_dir);
    assert_non_null(dir);
    uint64_t highest = 0, v;
    struct dirent *ent;
    while ((ent = readdir(dir)) != NULL) {
        if (!parse_version_name(ent->d_name, &v))
            continue;
        assert_true(v <= MAX_VERSIONS);
        highest = v > highest ? v : highest;
        if (!g.verified[v] || recheck_all)
            check_version(v);
        g.verified[v] = true;
    }
    closedir(dir);
    return highest;
}

/* model.yaml still names version 1 (registering never changes production) and history reads. */
static void check_model_state(void)
{
    char path[4300];
    snprintf(path, sizeof path, "%s/model.yaml", g.model_dir);
    ynode *yaml = NULL;
    ferry_error err = {0};
    if (yaml_doc_load_file(path, &yaml, &err) != FERRY_OK)
        fail_msg("model.yaml: %s", err.message);
    assert_string_equal(ynode_get_scalar(yaml, "production"), "1");
    ynode_free(yaml);
    history_event *events = NULL;
    size_t count = 0, skipped = 0;
    if (history_read(g.model_dir, &events, &count, &skipped, &err) != FERRY_OK)
        fail_msg("history.jsonl: %s", err.message);
    assert_true(count >= 2);
    free(events);
}

/* ------------------------------------------------------------------------------------------ */
/* The test                                                                                     */
/* ------------------------------------------------------------------------------------------ */

static int setup(void **state)
{
    (void)state;
    g.tmp = ts_mkdtemp();
    snprintf(g.repo, sizeof g.repo, "%s/repo", g.tmp);
    snprintf(g.model_dir, sizeof g.model_dir, "%s/big", g.repo);
    snprintf(g.artifact, sizeof g.artifact, "%s/artifact/model.json", g.tmp);
    write_big_artifact(g.artifact);
    char keep[4300];
    snprintf(keep, sizeof keep, "%s/.keep", g.repo);
    ts_write_file(keep, "");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    ts_rmtree(g.tmp);
    free(g.tmp);
    return 0;
}

/* Runs register to completion; returns the version it printed. */
static uint64_t register_fully(bool create)
{
    char cmd[12800], *out = NULL;
    snprintf(cmd, sizeof cmd, "'%s' register big '%s' --repo '%s' %s", ts_ferry_bin(), g.artifact,
             g.repo, create ? "--create" : "");
    assert_int_equal(ts_run(cmd, &out), 0);
    uint64_t v = strtoull(out, NULL, 10);
    free(out);
    return v;
}

/* Times one register: the whole command and the part after its temporary folder appears. False
 * when the folder was not seen. */
static bool time_one_register(uint64_t *total_us, uint64_t *copy_us)
{
    temp_names before;
    list_temp_folders(&before);
    uint64_t start = now_us();
    pid_t pid = start_register();
    if (!wait_for_temp_folder(pid, &before))
        return false;
    uint64_t seen = now_us();
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    *total_us = now_us() - start;
    *copy_us = now_us() - seen;
    return true;
}

/* The fastest of three registers: one slowed down by a stalled fsync on a busy machine would
 * otherwise stretch every delay past the end of the runs it is meant to interrupt. */
static void calibrate(uint64_t *total_us, uint64_t *copy_us)
{
    *total_us = *copy_us = UINT64_MAX;
    int timed = 0;
    for (int tries = 0; timed < 3 && tries < 20; tries++) {
        uint64_t total = 0, copy = 0;
        if (!time_one_register(&total, &copy))
            continue;
        *total_us = total < *total_us ? total : *total_us;
        *copy_us = copy < *copy_us ? copy : *copy_us;
        timed++;
    }
    assert_true(timed > 0);
}

static void test_kill_register(void **state)
{
    (void)state;
    assert_int_equal(register_fully(true), 1);
    uint64_t total_us = 0, copy_us = 0;
    calibrate(&total_us, &copy_us);
    const char *seed_env = getenv("FERRY_CRASH_SEED");
    unsigned seed = seed_env ? (unsigned)strtoul(seed_env, NULL, 10) : (unsigned)time(NULL);
    srand(seed);
    int signalled = 0, left_temp = 0;
    uint64_t started = now_us();
    for (int i = 0; i < KILLS; i++) {
        temp_names before;
        list_temp_folders(&before);
        pid_t pid = start_register();
        bool running = true;
        if (i % 2 == 0)
            sleep_us((uint64_t)rand() % (total_us + total_us / 10 + 1));
        else if ((running = wait_for_temp_folder(pid, &before)))
            sleep_us((uint64_t)rand() % (copy_us + 1));
        if (running)
            signalled += kill_and_reap(pid);
        left_temp += new_temp_folder(&before);
        check_model_folder(false);
        check_model_state();
    }
    uint64_t highest = check_model_folder(true);
    /* A later register works, takes the next number and clears what the killed runs left. */
    assert_int_equal(register_fully(false), highest + 1);
    temp_names left;
    list_temp_folders(&left);
    assert_int_equal(left.n, 0);
    check_model_folder(false);
    check_model_state();
    fprintf(stderr,
            "register_crash: seed %u; one register takes %.0f ms (%.0f ms after its temporary "
            "folder appears); %d of %d kills landed mid-run, %d left a temporary folder; %" PRIu64
            " versions published; %.1f s\n",
            seed, (double)total_us / 1000.0, (double)copy_us / 1000.0, signalled, KILLS, left_temp,
            highest + 1, (double)(now_us() - started) / 1e6);
    /* Half the kills were aimed at the copy: most of them must have interrupted a run. */
    assert_true(signalled >= KILLS / 4);
    assert_true(left_temp >= 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kill_register),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
