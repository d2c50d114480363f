/* Batches through the C API (vxl_generate_many over the client's batch runner): items saved
 * and reported to the callback, resume from the manifest (also after a run killed mid-batch),
 * the callback stopping the batch, a cancel token stopping it, and requests refused before
 * anything is sent. Needs VISIONXL_EMULATOR (the runner sets it). */
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include "client_suite.h"

extern char **environ;

enum { MAX_ITEMS = 8 };

/* What the callback saw, per index. */
typedef struct seen {
    int calls;
    int stop_after; /* return non-zero once this many items were seen (0: never) */
    const char *marker; /* a file to create at the first item (the killed child) */
    int hang;           /* then sleep until killed */
    const vxl_client *reader; /* read each record again from inside the callback */
    int reads_ok;
    int count[MAX_ITEMS];
    char status[MAX_ITEMS][16];
    char record_id[MAX_ITEMS][64];
    char code[MAX_ITEMS][32];
    int charged[MAX_ITEMS];
    int resumed[MAX_ITEMS];
    size_t paths[MAX_ITEMS];
    int images_ok[MAX_ITEMS];
} seen;

static int on_item(const vxl_batch_item *item, void *user_data) {
    seen *s = user_data;
    size_t i;
    FILE *f;
    s->calls++;
    if (item->index < MAX_ITEMS) {
        i = item->index;
        s->count[i]++;
        snprintf(s->status[i], sizeof s->status[i], "%s", vt_s(item->status));
        snprintf(s->record_id[i], sizeof s->record_id[i], "%s", vt_s(item->record_id));
        snprintf(s->code[i], sizeof s->code[i], "%s", vt_s(vxl_error_code(item->error)));
        s->charged[i] = vxl_error_may_have_been_charged(item->error);
        s->resumed[i] = item->resumed;
        s->paths[i] = item->path_count;
        s->images_ok[i] = 1;
        for (size_t p = 0; p < item->path_count; p++) {
            s->images_ok[i] &= is_image(item->paths[p]);
        }
    }
    if (s->reader != NULL && item->record_id != NULL) {
        /* A blocking call on the batch's own client, from the callback. */
        vxl_generation *again = NULL;
        if (vxl_get_generation(s->reader, item->record_id, &again, NULL) == VXL_OK &&
            vt_streq(vxl_generation_id(again), item->record_id)) {
            s->reads_ok++;
        }
        vxl_generation_free(again);
    }
    if (s->marker != NULL && s->calls == 1) {
        f = fopen(s->marker, "w");
        if (f != NULL) {
            fclose(f);
        }
        while (s->hang) {
            sleep(1);
        }
    }
    return s->stop_after > 0 && s->calls >= s->stop_after;
}

/* `n` requests "PREFIX i", seeds 1..n. */
static void make_requests(vxl_request **reqs, size_t n, const char *prefix) {
    char prompt[128];
    for (size_t i = 0; i < n; i++) {
        snprintf(prompt, sizeof prompt, "%s %zu", prefix, i);
        reqs[i] = small_request(prompt, i + 1);
    }
}

static void free_requests(vxl_request **reqs, size_t n) {
    for (size_t i = 0; i < n; i++) {
        vxl_request_free(reqs[i]);
    }
}

static vxl_batch_options *batch_options(size_t concurrency, const char *manifest,
                                        const char *out_dir) {
    vxl_batch_options *o = NULL;
    vxl_error *err = NULL;
    EXPECT_OK(vxl_batch_options_new(&o, &err), err);
    EXPECT_OK(vxl_batch_options_set_concurrency(o, concurrency, &err), err);
    EXPECT_OK(vxl_batch_options_set_manifest(o, manifest, &err), err);
    EXPECT_OK(vxl_batch_options_set_out_dir(o, out_dir, &err), err);
    return o;
}

static void batch_saves_reports_and_resumes(void) {
    vxl_client *client = test_client(KEY, 0, 0);
    vxl_request *reqs[3];
    vxl_batch_options *opts = NULL;
    vxl_batch_summary sum;
    vxl_error *err = NULL;
    seen s;
    char manifest[512], out[512];
    int before = emu_charge_count(&E);
    snprintf(manifest, sizeof manifest, "%s/batch.jsonl", tmp_dir);
    snprintf(out, sizeof out, "%s/batch-out", tmp_dir);
    make_requests(reqs, 3, "a batch tile");
    opts = batch_options(2, manifest, out);
    memset(&s, 0, sizeof s);
    s.reader = client;
    EXPECT_OK(vxl_generate_many(client, (const vxl_request *const *)reqs, 3, opts, NULL, on_item,
                                &s, &sum, &err),
              err);
    CHECK(s.reads_ok == 3, "%d records read again from the callback", s.reads_ok);
    CHECK(sum.total == 3 && sum.ok == 3 && sum.failed == 0 && sum.not_run == 0,
          "summary %zu/%zu/%zu/%zu", sum.total, sum.ok, sum.failed, sum.not_run);
    CHECK(s.calls == 3, "%d callbacks", s.calls);
    for (int i = 0; i < 3; i++) {
        CHECK(s.count[i] == 1 && vt_streq(s.status[i], "ok") && !s.resumed[i],
              "item %d: %d calls, %s", i, s.count[i], s.status[i]);
        CHECK(s.paths[i] == 1 && s.images_ok[i], "item %d: %zu paths", i, s.paths[i]);
        CHECK(emu_charges_for(&E, s.record_id[i]) == 1, "item %d (%s) charged %d times", i,
              s.record_id[i], emu_charges_for(&E, s.record_id[i]));
    }
    CHECK(images_in(out) == 3, "%d images in %s", images_in(out), out);
    CHECK(emu_charge_count(&E) == before + 3, "%d charges", emu_charge_count(&E) - before);
    /* The same batch again with the same manifest: nothing is sent, every item is resumed. */
    memset(&s, 0, sizeof s);
    EXPECT_OK(vxl_generate_many(client, (const vxl_request *const *)reqs, 3, opts, NULL, on_item,
                                &s, &sum, &err),
              err);
    CHECK(sum.ok == 3, "rerun: %zu ok", sum.ok);
    for (int i = 0; i < 3; i++) {
        CHECK(vt_streq(s.status[i], "ok") && s.resumed[i], "rerun item %d: %s resumed=%d", i,
              s.status[i], s.resumed[i]);
    }
    CHECK(emu_charge_count(&E) == before + 3, "the rerun paid: %d charges",
          emu_charge_count(&E) - before);
    /* NULL options, NULL callback and NULL summary are allowed. */
    EXPECT_OK(vxl_generate_many(client, (const vxl_request *const *)reqs, 1, NULL, NULL, NULL,
                                NULL, NULL, &err),
              err);
    CHECK(emu_charge_count(&E) == before + 4, "%d charges", emu_charge_count(&E) - before);
    vxl_batch_options_free(opts);
    free_requests(reqs, 3);
    vxl_client_free(client);
}

static void invalid_requests_fail_before_sending(void) {
    vxl_client *client = test_client(KEY, 0, 0);
    vxl_request *reqs[2];
    vxl_batch_options *opts = NULL;
    vxl_error *err = NULL;
    vxl_batch_summary sum;
    seen s;
    int before = emu_charge_count(&E);
    make_requests(reqs, 2, "an invalid batch");
    EXPECT_OK(vxl_request_set_n(reqs[1], 99, &err), err);
    memset(&s, 0, sizeof s);
    CHECK(vxl_generate_many(client, (const vxl_request *const *)reqs, 2, NULL, NULL, on_item, &s,
                            &sum, &err) == VXL_ERROR,
          "an invalid request ran");
    CHECK(vt_streq(vxl_error_code(err), "validation_error") &&
              strstr(vt_s(vxl_error_message(err)), "requests[1]") != NULL,
          "code %s (%s)", vt_s(vxl_error_code(err)), vt_s(vxl_error_message(err)));
    vxl_error_free(err);
    err = NULL;
    /* A bad concurrency is refused naming the option. */
    vxl_request_free(reqs[1]);
    reqs[1] = small_request("a valid one", 3);
    EXPECT_OK(vxl_batch_options_new(&opts, &err), err);
    EXPECT_OK(vxl_batch_options_set_concurrency(opts, 0, &err), err);
    CHECK(vxl_generate_many(client, (const vxl_request *const *)reqs, 2, opts, NULL, on_item, &s,
                            &sum, &err) == VXL_ERROR,
          "concurrency 0 ran");
    CHECK(strstr(vt_s(vxl_error_message(err)), "concurrency") != NULL, "message %s",
          vt_s(vxl_error_message(err)));
    vxl_error_free(err);
    err = NULL;
    /* Misuse: NULL client, NULL array, a NULL element. */
    expect_names_argument(vxl_generate_many(NULL, (const vxl_request *const *)reqs, 2, NULL,
                                            NULL, NULL, NULL, NULL, &err),
                          &err, "client");
    expect_names_argument(
        vxl_generate_many(client, NULL, 2, NULL, NULL, NULL, NULL, NULL, &err), &err, "requests");
    {
        const vxl_request *holes[2] = {reqs[0], NULL};
        CHECK(vxl_generate_many(client, holes, 2, NULL, NULL, NULL, NULL, NULL, &err) ==
                  VXL_INVALID_ARGUMENT,
              "a NULL request accepted");
        CHECK(strstr(vt_s(vxl_error_message(err)), "requests[1]") != NULL, "message %s",
              vt_s(vxl_error_message(err)));
        vxl_error_free(err);
        err = NULL;
    }
    expect_names_argument(vxl_batch_options_set_concurrency(NULL, 1, &err), &err, "opts");
    CHECK(s.calls == 0, "the callback ran %d times", s.calls);
    CHECK(emu_charge_count(&E) == before, "%d charges", emu_charge_count(&E) - before);
    vxl_batch_options_free(opts);
    free_requests(reqs, 2);
    vxl_client_free(client);
}

/* The callback returns non-zero after the first item: nothing more is sent. */
static void callback_stops_the_batch(void) {
    vxl_client *client = test_client(KEY, 0, 0);
    vxl_request *reqs[4];
    vxl_batch_options *opts = batch_options(1, NULL, NULL);
    vxl_batch_summary sum;
    vxl_error *err = NULL;
    seen s;
    int before = emu_charge_count(&E);
    make_requests(reqs, 4, "a stopped batch");
    memset(&s, 0, sizeof s);
    s.stop_after = 1;
    EXPECT_OK(vxl_generate_many(client, (const vxl_request *const *)reqs, 4, opts, NULL, on_item,
                                &s, &sum, &err),
              err);
    CHECK(sum.total == 4 && sum.ok >= 1 && sum.ok + sum.failed + sum.not_run == 4 &&
              sum.not_run >= 2,
          "summary %zu/%zu/%zu/%zu", sum.total, sum.ok, sum.failed, sum.not_run);
    CHECK(emu_charge_count(&E) - before == (int)sum.ok, "%d charges for %zu ok",
          emu_charge_count(&E) - before, sum.ok);
    vxl_batch_options_free(opts);
    free_requests(reqs, 4);
    vxl_client_free(client);
}

typedef struct batch_job {
    vxl_client *client;
    vxl_request **reqs;
    size_t n;
    vxl_batch_options *opts;
    vxl_cancel_token *token;
    seen s;
    vxl_batch_summary sum;
    vxl_status st;
    vxl_error *err;
} batch_job;

static void *batch_in_thread(void *arg) {
    batch_job *j = arg;
    j->st = vxl_generate_many(j->client, (const vxl_request *const *)j->reqs, j->n, j->opts,
                              j->token, on_item, &j->s, &j->sum, &j->err);
    return NULL;
}

/* A cancel token fired from another thread while every request is in flight: the batch
 * returns, the items in flight say they may have been charged, and a rerun with the manifest
 * does not send them again. */
static void cancel_mid_batch(void) {
    batch_job job;
    pthread_t thread;
    vxl_request *reqs[2];
    vxl_error *err = NULL;
    vxl_batch_summary sum;
    seen s;
    char manifest[512];
    struct timespec pause = {0, 300 * 1000 * 1000};
    memset(&job, 0, sizeof job);
    snprintf(manifest, sizeof manifest, "%s/cancelled.jsonl", tmp_dir);
    make_requests(reqs, 2, "a cancelled batch");
    job.client = test_client(KEY, 0, 0);
    job.reqs = reqs;
    job.n = 2;
    job.opts = batch_options(2, manifest, NULL);
    EXPECT_OK(vxl_cancel_token_new(&job.token, &err), err);
    CHECK(emu_fault(&E, "{\"kind\":\"delay\",\"ms\":20000,\"path\":\"/api/features\"}"),
          "fault not accepted");
    CHECK(emu_fault(&E, "{\"kind\":\"delay\",\"ms\":20000,\"path\":\"/api/features\"}"),
          "fault not accepted");
    CHECK(pthread_create(&thread, NULL, batch_in_thread, &job) == 0, "thread");
    nanosleep(&pause, NULL);
    vxl_cancel(job.token);
    pthread_join(thread, NULL);
    EXPECT_OK(job.st, job.err);
    CHECK(job.sum.ok == 0 && job.sum.failed + job.sum.not_run == 2, "summary %zu/%zu/%zu",
          job.sum.ok, job.sum.failed, job.sum.not_run);
    for (int i = 0; i < 2; i++) {
        if (job.s.count[i] == 1) {
            CHECK(vt_streq(job.s.status[i], "failed") && vt_streq(job.s.code[i], "cancelled"),
                  "item %d: %s %s", i, job.s.status[i], job.s.code[i]);
        }
    }
    CHECK(emu_reset(&E), "reset");
    /* The rerun sends nothing again for an item that may have been charged. */
    memset(&s, 0, sizeof s);
    EXPECT_OK(vxl_generate_many(job.client, (const vxl_request *const *)reqs, 2, job.opts, NULL,
                                on_item, &s, &sum, &err),
              err);
    for (int i = 0; i < 2; i++) {
        if (job.s.count[i] == 1 && job.s.charged[i]) {
            CHECK(vt_streq(s.status[i], "failed") && s.charged[i],
                  "rerun item %d: %s charged=%d", i, s.status[i], s.charged[i]);
        }
    }
    vxl_cancel_token_free(job.token);
    vxl_batch_options_free(job.opts);
    free_requests(reqs, 2);
    vxl_client_free(job.client);
}

/* The child of resume_after_a_killed_run: runs the batch and hangs in the first callback. */
static int killed_child(const char *base_url, const char *manifest, const char *out,
                        const char *marker) {
    vxl_client *client = NULL;
    vxl_request *reqs[3];
    vxl_batch_options *opts = NULL;
    seen s;
    if (vxl_client_new(KEY, base_url, &client, NULL) != VXL_OK) {
        return 2;
    }
    make_requests(reqs, 3, "a killed batch");
    opts = batch_options(1, manifest, out);
    memset(&s, 0, sizeof s);
    s.marker = marker;
    s.hang = 1;
    vxl_generate_many(client, (const vxl_request *const *)reqs, 3, opts, NULL, on_item, &s, NULL,
                      NULL);
    return 3; /* never reached: killed in the callback */
}

static const char *self_path;

/* A run killed (SIGKILL) after its first item: the rerun with the manifest keeps that item
 * without paying again and generates the others, each charged once. */
static void resume_after_a_killed_run(void) {
    char manifest[512], out[512], marker[512];
    char *argv[7];
    pid_t pid;
    int status = 0, waited = 0;
    vxl_client *client = test_client(KEY, 0, 0);
    vxl_request *reqs[3];
    vxl_batch_options *opts = NULL;
    vxl_batch_summary sum;
    vxl_error *err = NULL;
    seen s;
    struct timespec tick = {0, 100 * 1000 * 1000};
    int before = emu_charge_count(&E);
    snprintf(manifest, sizeof manifest, "%s/killed.jsonl", tmp_dir);
    snprintf(out, sizeof out, "%s/killed-out", tmp_dir);
    snprintf(marker, sizeof marker, "%s/killed.marker", tmp_dir);
    argv[0] = (char *)self_path;
    argv[1] = "--killed-child";
    argv[2] = E.base_url;
    argv[3] = manifest;
    argv[4] = out;
    argv[5] = marker;
    argv[6] = NULL;
    CHECK(posix_spawn(&pid, self_path, NULL, NULL, argv, environ) == 0, "spawn %s", self_path);
    while (access(marker, F_OK) != 0 && waited < 1200) {
        nanosleep(&tick, NULL);
        waited++;
    }
    CHECK(access(marker, F_OK) == 0, "the child never finished an item");
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    CHECK(WIFSIGNALED(status), "the child was not killed");
    CHECK(emu_charge_count(&E) - before == 1, "the killed run paid %d times",
          emu_charge_count(&E) - before);
    make_requests(reqs, 3, "a killed batch");
    opts = batch_options(1, manifest, out);
    memset(&s, 0, sizeof s);
    EXPECT_OK(vxl_generate_many(client, (const vxl_request *const *)reqs, 3, opts, NULL, on_item,
                                &s, &sum, &err),
              err);
    CHECK(sum.ok == 3, "summary %zu/%zu/%zu", sum.ok, sum.failed, sum.not_run);
    CHECK(s.resumed[0] && !s.resumed[1] && !s.resumed[2], "resumed %d %d %d", s.resumed[0],
          s.resumed[1], s.resumed[2]);
    for (int i = 0; i < 3; i++) {
        CHECK(emu_charges_for(&E, s.record_id[i]) == 1, "item %d charged %d times", i,
              emu_charges_for(&E, s.record_id[i]));
    }
    CHECK(images_in(out) == 3, "%d images", images_in(out));
    CHECK(emu_charge_count(&E) - before == 3, "%d charges in all", emu_charge_count(&E) - before);
    vxl_batch_options_free(opts);
    free_requests(reqs, 3);
    vxl_client_free(client);
}

int main(int argc, char **argv) {
    if (argc == 6 && strcmp(argv[1], "--killed-child") == 0) {
        return killed_child(argv[2], argv[3], argv[4], argv[5]);
    }
    /* The runner starts programs by path (under valgrind /proc/self/exe is valgrind). */
    self_path = strchr(argv[0], '/') != NULL ? argv[0] : "/proc/self/exe";
    if (!suite_start(0)) {
        return suite_end("test_batch");
    }
    RUN(batch_saves_reports_and_resumes);
    RUN(invalid_requests_fail_before_sending);
    RUN(callback_stops_the_batch);
    RUN(cancel_mid_batch);
    RUN(resume_after_a_killed_run);
    return suite_end("test_batch");
}
