/* Threads and waiting: cancellation from another thread, one client and one request
 * shared by several threads, single reads vs waits on async records. Needs VISIONXL_EMULATOR (the runner sets it). */
#include "client_suite.h"


typedef struct cancel_job {
    vxl_client *client;
    vxl_request *req;
    vxl_cancel_token *token;
    vxl_status status;
    vxl_error *err;
    vxl_generation *gen;
} cancel_job;

static void *generate_in_thread(void *arg) {
    cancel_job *j = arg;
    j->status = vxl_generate_cancellable(j->client, j->req, j->token, &j->gen, &j->err);
    return NULL;
}

static void cancel_from_another_thread(void) {
    cancel_job job;
    pthread_t thread;
    vxl_error *err = NULL;
    vxl_generation *gen = NULL;
    struct timespec pause = {0, 200 * 1000 * 1000};
    memset(&job, 0, sizeof job);
    job.client = test_client(KEY, 0, 0);
    job.req = small_request("a fox", 1);
    EXPECT_OK(vxl_cancel_token_new(&job.token, &err), err);
    CHECK(!vxl_cancel_token_is_cancelled(job.token), "fresh token is cancelled");
    /* The service takes 20 s: only the cancel can end the call early. */
    CHECK(emu_fault(&E, "{\"kind\":\"delay\",\"ms\":20000,\"path\":\"/api/features\"}"),
          "fault not accepted");
    CHECK(pthread_create(&thread, NULL, generate_in_thread, &job) == 0, "thread");
    nanosleep(&pause, NULL);
    vxl_cancel(job.token);
    vxl_cancel(job.token); /* idempotent */
    pthread_join(thread, NULL);
    CHECK(vxl_cancel_token_is_cancelled(job.token), "token not cancelled");
    EXPECT_ERR(job.status, job.err, VXL_ERROR, "cancelled");
    CHECK(job.gen == NULL, "generation after cancel");
    /* A cancelled token stops the next call before it starts. */
    EXPECT_ERR(vxl_generate_cancellable(job.client, job.req, job.token, &gen, &err), err,
               VXL_ERROR, "cancelled");
    EXPECT_ERR(vxl_get_generation_cancellable(job.client, "x", job.token, &gen, &err), err,
               VXL_ERROR, "cancelled");
    CHECK(emu_reset(&E), "reset");
    vxl_cancel(NULL);
    vxl_cancel_token_free(job.token);
    vxl_client_free(job.client);
    vxl_request_free(job.req);
}

enum { WORKERS = 4 };

typedef struct worker {
    const vxl_client *client;
    unsigned seed;
    vxl_status status;
    vxl_error *err;
    char id[128];
    size_t images;
} worker;

static void *generate_worker(void *arg) {
    worker *w = arg;
    vxl_request *req = NULL;
    vxl_generation *gen = NULL;
    char prompt[64];
    snprintf(prompt, sizeof prompt, "thread %u: a red fox in the snow", w->seed);
    w->status = vxl_request_new(prompt, &req, &w->err);
    if (w->status == VXL_OK) {
        vxl_request_set_size(req, "512x512", NULL);
        vxl_request_set_seed(req, w->seed, NULL);
        w->status = vxl_generate(w->client, req, &gen, &w->err);
    }
    if (w->status == VXL_OK) {
        snprintf(w->id, sizeof w->id, "%s", vt_s(vxl_generation_id(gen)));
        w->images = vxl_generation_image_count(gen);
    }
    vxl_generation_free(gen);
    vxl_request_free(req);
    return NULL;
}

static void one_client_many_threads(void) {
    vxl_client *client = NULL;
    vxl_error *err = NULL;
    pthread_t threads[WORKERS];
    worker workers[WORKERS];
    int i, j, started = 0;
    EXPECT_OK(vxl_client_new(KEY, E.base_url, &client, &err), err);
    memset(workers, 0, sizeof workers);
    for (i = 0; i < WORKERS; i++) {
        workers[i].client = client;
        workers[i].seed = 100u + (unsigned)i;
        if (pthread_create(&threads[i], NULL, generate_worker, &workers[i]) == 0) {
            started++;
        }
    }
    CHECK(started == WORKERS, "started %d threads", started);
    for (i = 0; i < started; i++) {
        pthread_join(threads[i], NULL);
    }
    for (i = 0; i < started; i++) {
        CHECK(workers[i].status == VXL_OK, "worker %d: %s: %s", i,
              vt_s(vxl_error_code(workers[i].err)), vt_s(vxl_error_message(workers[i].err)));
        vxl_error_free(workers[i].err);
        CHECK(workers[i].images == 1, "worker %d: %zu images", i, workers[i].images);
        CHECK(emu_charges_for(&E, workers[i].id) == 1, "worker %d: record %s charged %d times",
              i, workers[i].id, emu_charges_for(&E, workers[i].id));
        for (j = 0; j < i; j++) {
            CHECK(!vt_streq(workers[i].id, workers[j].id), "workers %d and %d share an id", i, j);
        }
    }
    vxl_client_free(client);
}

/* ---- reading records: a single read vs waiting (async records on the slow emulator) ---- */

static void get_generation_reads_once_wait_for_generation_waits(void) {
    vxl_client *client = client_for(&SLOW, 0, 0, false);
    vxl_generation *gen = NULL;
    vxl_error *err = NULL;
    char id[128], dir[512], path[1024];
    CHECK(emu_submit_async(&SLOW, KEY, "an async lighthouse", id, sizeof id), "async submit");
    /* A single read: the record as it is now, still processing, no images. */
    EXPECT_OK(vxl_get_generation(client, id, &gen, &err), err);
    CHECK(vt_streq(vxl_generation_status(gen), "PROCESSING"), "status %s, want PROCESSING",
          vt_s(vxl_generation_status(gen)));
    CHECK(vt_streq(vxl_generation_id(gen), id), "id %s, want %s", vt_s(vxl_generation_id(gen)),
          id);
    CHECK(vxl_generation_image_count(gen) == 0, "%zu images while processing",
          vxl_generation_image_count(gen));
    vxl_generation_free(gen);
    gen = NULL;
    /* Waiting: polled until it is finished. */
    EXPECT_OK(vxl_wait_for_generation(client, id, &gen, &err), err);
    CHECK(vt_streq(vxl_generation_status(gen), "SUCCESS"), "status %s after waiting",
          vt_s(vxl_generation_status(gen)));
    CHECK(vt_streq(vxl_generation_id(gen), id), "id %s", vt_s(vxl_generation_id(gen)));
    CHECK(vxl_generation_image_count(gen) == 1, "%zu images", vxl_generation_image_count(gen));
    snprintf(dir, sizeof dir, "%s/waited", tmp_dir);
    EXPECT_OK(vxl_generation_save(client, gen, dir, &err), err);
    snprintf(path, sizeof path, "%s/%s", dir, vt_s(vxl_generation_image_file_name(gen, 0)));
    CHECK(is_image(path), "%s is not an image", path);
    vxl_generation_free(gen);
    gen = NULL;
    /* Finished: a single read sees it finished too. */
    EXPECT_OK(vxl_get_generation(client, id, &gen, &err), err);
    CHECK(vt_streq(vxl_generation_status(gen), "SUCCESS"), "status %s",
          vt_s(vxl_generation_status(gen)));
    CHECK(vxl_generation_image_count(gen) == 1, "%zu images", vxl_generation_image_count(gen));
    vxl_generation_free(gen);
    gen = NULL;
    EXPECT_ERR(vxl_wait_for_generation(client, "00000000-0000-4000-8000-000000000000", &gen,
                                       &err),
               err, VXL_ERROR, "not_found");
    CHECK(gen == NULL, "generation for an unknown id");
    CHECK(emu_charges_for(&SLOW, id) == 1, "charged %d times", emu_charges_for(&SLOW, id));
    vxl_client_free(client);
}

typedef struct wait_job {
    vxl_client *client;
    const char *id;
    vxl_cancel_token *token;
    vxl_status status;
    vxl_error *err;
    vxl_generation *gen;
} wait_job;

static void *wait_in_thread(void *arg) {
    wait_job *j = arg;
    j->status = vxl_wait_for_generation_cancellable(j->client, j->id, j->token, &j->gen, &j->err);
    return NULL;
}

static void wait_for_generation_ends_on_timeout_failure_and_cancel(void) {
    vxl_client *impatient = client_for(&SLOW, 0, 300, false);
    vxl_client *client = client_for(&SLOW, 0, 0, false);
    vxl_generation *gen = NULL;
    vxl_error *err = NULL;
    vxl_status st;
    wait_job job;
    pthread_t thread;
    struct timespec pause = {0, 200 * 1000 * 1000};
    char id[128];
    /* Still processing when the poll timeout is over: "timeout" naming the record. */
    CHECK(emu_submit_async(&SLOW, KEY, "a slow fox", id, sizeof id), "async submit");
    st = vxl_wait_for_generation(impatient, id, &gen, &err);
    CHECK(st == VXL_ERROR && vt_streq(vxl_error_code(err), "timeout"), "status %d, %s: %s",
          (int)st, vt_s(vxl_error_code(err)), vt_s(vxl_error_message(err)));
    CHECK(vt_streq(vxl_error_record_id(err), id), "record id %s, want %s",
          vt_s(vxl_error_record_id(err)), id);
    CHECK(gen == NULL, "generation on timeout");
    vxl_error_free(err);
    err = NULL;
    /* Cancelled from another thread while waiting (a fresh record: still processing). */
    CHECK(emu_submit_async(&SLOW, KEY, "a cancelled fox", id, sizeof id), "async submit");
    memset(&job, 0, sizeof job);
    job.client = client;
    job.id = id;
    EXPECT_OK(vxl_cancel_token_new(&job.token, &err), err);
    CHECK(pthread_create(&thread, NULL, wait_in_thread, &job) == 0, "thread");
    nanosleep(&pause, NULL);
    vxl_cancel(job.token);
    pthread_join(thread, NULL);
    EXPECT_ERR(job.status, job.err, VXL_ERROR, "cancelled");
    CHECK(job.gen == NULL, "generation after cancel");
    vxl_cancel_token_free(job.token);
    /* Ends as FAILURE: "generation_failed" naming the record. */
    CHECK(emu_fault(&SLOW, "{\"kind\":\"generation_failure\",\"message\":\"NSFW content "
                           "detected\"}"),
          "fault not accepted");
    CHECK(emu_submit_async(&SLOW, KEY, "a failing fox", id, sizeof id), "async submit");
    st = vxl_wait_for_generation(client, id, &gen, &err);
    CHECK(st == VXL_ERROR && vt_streq(vxl_error_code(err), "generation_failed"),
          "status %d, %s: %s", (int)st, vt_s(vxl_error_code(err)), vt_s(vxl_error_message(err)));
    CHECK(vt_streq(vxl_error_record_id(err), id), "record id %s, want %s",
          vt_s(vxl_error_record_id(err)), id);
    CHECK(vt_contains_ci(vxl_error_message(err), "NSFW"), "message: %s",
          vt_s(vxl_error_message(err)));
    CHECK(gen == NULL, "generation for a failed record");
    vxl_error_free(err);
    vxl_client_free(impatient);
    vxl_client_free(client);
}

static void async_mode_outlasts_the_request_timeout(void) {
    /* Each request may take 1.5 s, a generation takes 4 s: only async mode (POST answered at
     * once, then short reads) can finish; the synchronous POST times out. */
    vxl_client *async_client = client_for(&SLOW, 1500, 0, true);
    vxl_client *sync_client = client_for(&SLOW, 1500, 0, false);
    vxl_request *req = small_request("an async fox", 11);
    vxl_generation *gen = NULL;
    vxl_error *err = NULL;
    EXPECT_OK(vxl_generate(async_client, req, &gen, &err), err);
    CHECK(vt_streq(vxl_generation_status(gen), "SUCCESS"), "status %s",
          vt_s(vxl_generation_status(gen)));
    CHECK(vxl_generation_image_count(gen) == 1, "%zu images", vxl_generation_image_count(gen));
    if (gen != NULL) {
        CHECK(emu_charges_for(&SLOW, vxl_generation_id(gen)) == 1, "charged %d times",
              emu_charges_for(&SLOW, vxl_generation_id(gen)));
    }
    vxl_error_free(expect_generate_error(sync_client, req, "timeout", 0));
    vxl_generation_free(gen);
    vxl_request_free(req);
    vxl_client_free(async_client);
    vxl_client_free(sync_client);
}

typedef struct shared_req_worker {
    const vxl_client *client;
    const vxl_request *req;
    pthread_barrier_t *start;
    vxl_status status;
    vxl_error *err;
    char id[128];
    size_t images;
    int64_t credits;
} shared_req_worker;

static void *generate_shared_request(void *arg) {
    shared_req_worker *w = arg;
    vxl_generation *gen = NULL;
    pthread_barrier_wait(w->start);
    w->status = vxl_generate(w->client, w->req, &gen, &w->err);
    if (w->status == VXL_OK) {
        snprintf(w->id, sizeof w->id, "%s", vt_s(vxl_generation_id(gen)));
        w->images = vxl_generation_image_count(gen);
        w->credits = vxl_generation_credits(gen);
    }
    vxl_generation_free(gen);
    return NULL;
}

static void one_request_generated_from_many_threads(void) {
    vxl_client *client = test_client(KEY, 0, 0);
    vxl_request *req = small_request("one request, many threads", 33);
    vxl_error *err = NULL;
    char *before = NULL, *after = NULL;
    pthread_t threads[WORKERS];
    pthread_barrier_t start;
    shared_req_worker w[WORKERS];
    int i, j, started = 0;
    EXPECT_OK(vxl_request_set_n(req, 2, &err), err);
    EXPECT_OK(vxl_request_to_json_dup(req, &before, &err), err);
    pthread_barrier_init(&start, NULL, WORKERS);
    memset(w, 0, sizeof w);
    for (i = 0; i < WORKERS; i++) {
        w[i].client = client;
        w[i].req = req; /* the same const request on every thread */
        w[i].start = &start;
        if (pthread_create(&threads[i], NULL, generate_shared_request, &w[i]) == 0) {
            started++;
        }
    }
    CHECK(started == WORKERS, "started %d threads", started);
    for (i = 0; i < started; i++) {
        pthread_join(threads[i], NULL);
    }
    pthread_barrier_destroy(&start);
    for (i = 0; i < started; i++) {
        CHECK(w[i].status == VXL_OK, "thread %d: %s: %s", i, vt_s(vxl_error_code(w[i].err)),
              vt_s(vxl_error_message(w[i].err)));
        vxl_error_free(w[i].err);
        CHECK(w[i].images == 2 && w[i].credits == 234, "thread %d: %zu images, %lld credits", i,
              w[i].images, (long long)w[i].credits);
        CHECK(emu_charges_for(&E, w[i].id) == 1, "thread %d: record %s charged %d times", i,
              w[i].id, emu_charges_for(&E, w[i].id));
        for (j = 0; j < i; j++) {
            CHECK(!vt_streq(w[i].id, w[j].id), "threads %d and %d share a record", i, j);
        }
    }
    /* The request is unchanged by the concurrent use. */
    EXPECT_OK(vxl_request_to_json_dup(req, &after, &err), err);
    CHECK(vt_streq(before, after), "request changed: %s -> %s", vt_s(before), vt_s(after));
    vxl_string_free(before);
    vxl_string_free(after);
    vxl_client_free(client);
    vxl_request_free(req);
}

int main(void) {
    if (!suite_start(1)) {
        return suite_end("test_concurrency");
    }
    RUN(cancel_from_another_thread);
    RUN(one_client_many_threads);
    RUN(get_generation_reads_once_wait_for_generation_waits);
    RUN(wait_for_generation_ends_on_timeout_failure_and_cancel);
    RUN(async_mode_outlasts_the_request_timeout);
    RUN(one_request_generated_from_many_threads);
    return suite_end("test_concurrency");
}
