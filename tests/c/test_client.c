/* The network half of the C API against the emulator binary: a real generation saved to
 * disk, reading it back, every error path, cancellation from another thread, and one client
 * shared by several threads. Needs VISIONXL_EMULATOR (the runner sets it). */
#include <time.h>

#include <dirent.h>
#include <pthread.h>
#include <sys/stat.h>

#include "emulator.h"
#include "vxl_test.h"

#define KEY "vxl-emulator-key"
#define POOR_KEY "vxl-poor-key-0001"

static emu E;
/* A second emulator whose generations take SLOW_MS: async records stay PROCESSING that long
 * and a synchronous POST answers only after it. */
static emu SLOW;
enum { SLOW_MS = 4000 };
static char tmp_dir[256];

/* A client for the emulator: no retries (one fault = one answer), no pacing delays. */
static vxl_client *test_client(const char *key, uint64_t timeout_ms, uint64_t budget) {
    vxl_client_options *opts = NULL;
    vxl_client *client = NULL;
    vxl_error *err = NULL;
    EXPECT_OK(vxl_client_options_new(&opts, &err), err);
    EXPECT_OK(vxl_client_options_set_api_key(opts, key, &err), err);
    EXPECT_OK(vxl_client_options_set_base_url(opts, E.base_url, &err), err);
    EXPECT_OK(vxl_client_options_set_max_retries(opts, 0, &err), err);
    EXPECT_OK(vxl_client_options_set_requests_per_minute(opts, 100000, &err), err);
    if (timeout_ms > 0) {
        EXPECT_OK(vxl_client_options_set_timeout_ms(opts, timeout_ms, &err), err);
    }
    if (budget > 0) {
        EXPECT_OK(vxl_client_options_set_budget(opts, budget, &err), err);
    }
    EXPECT_OK(vxl_client_new_with_options(opts, &client, &err), err);
    vxl_client_options_free(opts);
    return client;
}

/* A client for emulator `e` with the test key, no retries and no pacing; `timeout_ms` and
 * `poll_timeout_ms` 0 keep the defaults. */
static vxl_client *client_for(const emu *e, uint64_t timeout_ms, uint64_t poll_timeout_ms,
                              bool async_mode) {
    vxl_client_options *opts = NULL;
    vxl_client *client = NULL;
    vxl_error *err = NULL;
    EXPECT_OK(vxl_client_options_new(&opts, &err), err);
    EXPECT_OK(vxl_client_options_set_api_key(opts, KEY, &err), err);
    EXPECT_OK(vxl_client_options_set_base_url(opts, e->base_url, &err), err);
    EXPECT_OK(vxl_client_options_set_max_retries(opts, 0, &err), err);
    EXPECT_OK(vxl_client_options_set_requests_per_minute(opts, 100000, &err), err);
    EXPECT_OK(vxl_client_options_set_async_mode(opts, async_mode, &err), err);
    if (timeout_ms > 0) {
        EXPECT_OK(vxl_client_options_set_timeout_ms(opts, timeout_ms, &err), err);
    }
    if (poll_timeout_ms > 0) {
        EXPECT_OK(vxl_client_options_set_poll_timeout_ms(opts, poll_timeout_ms, &err), err);
    }
    EXPECT_OK(vxl_client_new_with_options(opts, &client, &err), err);
    vxl_client_options_free(opts);
    return client;
}

static vxl_request *small_request(const char *prompt, uint64_t seed) {
    vxl_request *req = NULL;
    vxl_error *err = NULL;
    EXPECT_OK(vxl_request_new(prompt, &req, &err), err);
    EXPECT_OK(vxl_request_set_size(req, "512x512", &err), err);
    EXPECT_OK(vxl_request_set_seed(req, seed, &err), err);
    return req;
}

/* Reads the first bytes of a file; returns how many. */
static size_t head_of(const char *path, unsigned char *buf, size_t n) {
    FILE *f = fopen(path, "rb");
    size_t got;
    if (f == NULL) {
        return 0;
    }
    got = fread(buf, 1, n, f);
    fclose(f);
    return got;
}

static int is_image(const char *path) {
    unsigned char b[12];
    size_t n = head_of(path, b, sizeof b);
    return (n == 12 && memcmp(b, "RIFF", 4) == 0 && memcmp(b + 8, "WEBP", 4) == 0) ||
           (n >= 8 && memcmp(b, "\x89PNG\r\n\x1a\n", 8) == 0);
}

static int file_contains(const char *path, const char *needle) {
    static char buf[1 << 16];
    FILE *f = fopen(path, "rb");
    size_t n;
    if (f == NULL) {
        return 0;
    }
    n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    return strstr(buf, needle) != NULL;
}

/* Runs a generation expected to fail; checks code and HTTP status and returns the error
 * (the caller frees it). */
static vxl_error *expect_generate_error(vxl_client *client, const vxl_request *req,
                                        const char *code, uint16_t http_status) {
    vxl_generation *gen = NULL;
    vxl_error *err = NULL;
    vxl_status st = vxl_generate(client, req, &gen, &err);
    CHECK(st == VXL_ERROR, "status %d, want VXL_ERROR", (int)st);
    CHECK(gen == NULL, "a generation on failure");
    CHECK(vt_streq(vxl_error_code(err), code), "code %s (%s), want %s",
          vt_s(vxl_error_code(err)), vt_s(vxl_error_message(err)), code);
    CHECK(vxl_error_http_status(err) == http_status, "HTTP %u, want %u",
          (unsigned)vxl_error_http_status(err), (unsigned)http_status);
    CHECK(vxl_error_message(err) != NULL && vxl_error_message(err)[0] != '\0', "no message");
    CHECK(vxl_error_message(err) == NULL || strstr(vxl_error_message(err), KEY) == NULL,
          "the API key leaked into the message");
    vxl_generation_free(gen);
    return err;
}

/* The call was refused as an invalid argument whose message names `param` ("api_key must not
 * be NULL", "api_key is not valid UTF-8"); frees the error. */
static void expect_names_argument(vxl_status st, vxl_error **err, const char *param) {
    const char *msg = vxl_error_message(*err);
    size_t n = strlen(param);
    CHECK(st == VXL_INVALID_ARGUMENT, "status %d for %s", (int)st, param);
    CHECK(msg != NULL && strncmp(msg, param, n) == 0 && msg[n] == ' ',
          "the message does not name %s: %s", param, vt_s(msg));
    vxl_error_free(*err);
    *err = NULL;
}

/* ---- cases ---------------------------------------------------------------------------- */

static void missing_key_and_key_from_environment(void) {
    vxl_client *client = NULL;
    vxl_generation *gen = NULL;
    vxl_request *req = small_request("env client", 1);
    vxl_error *err = NULL;
    /* No key anywhere: authentication_error before anything is sent. */
    EXPECT_ERR(vxl_client_new(NULL, E.base_url, &client, &err), err, VXL_ERROR,
               "authentication_error");
    CHECK(client == NULL, "client on failure");
    /* NULL key and URL: both from the environment. */
    setenv("ONEMIN_API_KEY", KEY, 1);
    setenv("ONEMIN_BASE_URL", E.base_url, 1);
    EXPECT_OK(vxl_client_new(NULL, NULL, &client, &err), err);
    EXPECT_OK(vxl_generate(client, req, &gen, &err), err);
    CHECK(vxl_generation_image_count(gen) == 1, "%zu images", vxl_generation_image_count(gen));
    vxl_generation_free(gen);
    vxl_client_free(client);
    vxl_request_free(req);
}

static void plain_http_to_a_remote_host_is_refused(void) {
    vxl_client *client = NULL;
    vxl_error *err = NULL;
    /* Refused while building the client: nothing is ever sent there. */
    EXPECT_ERR(vxl_client_new(KEY, "http://api.example.com", &client, &err), err, VXL_ERROR,
               "validation_error");
    EXPECT_ERR(vxl_client_new(KEY, "not a url", &client, &err), err, VXL_ERROR,
               "validation_error");
    CHECK(client == NULL, "client on failure");
}

static char first_id[128];

static void generate_and_save(void) {
    vxl_client *client = NULL;
    vxl_request *req = small_request("a lighthouse at dusk, oil painting", 42);
    vxl_generation *gen = NULL;
    vxl_paths *paths = NULL;
    vxl_error *err = NULL;
    char dir[512], path[1024], file[1024];
    size_t i;

    EXPECT_OK(vxl_client_new(KEY, E.base_url, &client, &err), err);
    EXPECT_OK(vxl_request_set_n(req, 2, &err), err);
    EXPECT_OK(vxl_generate(client, req, &gen, &err), err);
    if (gen == NULL) {
        vxl_client_free(client);
        vxl_request_free(req);
        return;
    }
    snprintf(first_id, sizeof first_id, "%s", vt_s(vxl_generation_id(gen)));
    CHECK(strlen(first_id) >= 32, "record id %s", first_id);
    CHECK(vt_streq(vxl_generation_status(gen), "SUCCESS"), "status %s",
          vt_s(vxl_generation_status(gen)));
    CHECK(vxl_generation_image_count(gen) == 2, "%zu images", vxl_generation_image_count(gen));
    CHECK(vxl_generation_credits(gen) == 234, "credits %lld",
          (long long)vxl_generation_credits(gen));
    /* The flag reflects the record's own "emulated" marker. */
    CHECK(vxl_generation_is_emulated(gen) ==
              (strstr(vt_s(vxl_generation_raw_json(gen)), "\"emulated\":true") != NULL),
          "is_emulated disagrees with the record");
    CHECK(vxl_generation_warning_count(gen) == 0, "%zu warnings",
          vxl_generation_warning_count(gen));
    for (i = 0; i < 2; i++) {
        CHECK(vxl_generation_image_url(gen, i) != NULL &&
                  strncmp(vxl_generation_image_url(gen, i), E.base_url, strlen(E.base_url)) == 0,
              "url %zu: %s", i, vt_s(vxl_generation_image_url(gen, i)));
        CHECK(vxl_generation_image_path(gen, i) != NULL &&
                  strstr(vxl_generation_image_path(gen, i), "images/") != NULL,
              "path %zu: %s", i, vt_s(vxl_generation_image_path(gen, i)));
        CHECK(vxl_generation_image_file_name(gen, i) != NULL &&
                  strchr(vxl_generation_image_file_name(gen, i), '/') == NULL,
              "file name %zu: %s", i, vt_s(vxl_generation_image_file_name(gen, i)));
    }
    CHECK(vxl_generation_image_url(gen, 2) == NULL, "url past the end");
    CHECK(vxl_generation_image_path(gen, 99) == NULL, "path past the end");
    CHECK(strstr(vt_s(vxl_generation_json(gen)), first_id) != NULL, "json: %s",
          vt_s(vxl_generation_json(gen)));
    CHECK(strstr(vt_s(vxl_generation_json(gen)),
                 vxl_generation_is_emulated(gen) ? "\"emulated\":true" : "\"emulated\":false") !=
              NULL,
          "json: %s", vt_s(vxl_generation_json(gen)));
    CHECK(strstr(vt_s(vxl_generation_json(gen)), "\"credits\":234") != NULL, "json: %s",
          vt_s(vxl_generation_json(gen)));
    CHECK(strstr(vt_s(vxl_generation_raw_json(gen)), "aiRecord") != NULL, "raw: %s",
          vt_s(vxl_generation_raw_json(gen)));

    /* Saved to disk: real images with sidecars naming the record. */
    snprintf(dir, sizeof dir, "%s/out", tmp_dir);
    EXPECT_OK(vxl_generation_save(client, gen, dir, &err), err);
    EXPECT_OK(vxl_generation_save_ex(client, gen, dir, true, NULL, &paths, &err), err);
    CHECK(vxl_paths_count(paths) == 2, "%zu paths", vxl_paths_count(paths));
    for (i = 0; i < vxl_paths_count(paths); i++) {
        const char *p = vxl_paths_get(paths, i);
        CHECK(p != NULL && strncmp(p, dir, strlen(dir)) == 0, "path %s inside %s", vt_s(p), dir);
        CHECK(p != NULL && is_image(p), "%s is not an image", vt_s(p));
        snprintf(file, sizeof file, "%s.json", vt_s(p));
        CHECK(file_contains(file, first_id), "sidecar %s does not name the record", file);
    }
    CHECK(vxl_paths_get(paths, 2) == NULL, "paths past the end");
    vxl_paths_free(paths);
    paths = NULL;
    /* Never overwritten silently. */
    EXPECT_ERR(vxl_generation_save(client, gen, dir, &err), err, VXL_ERROR, "io_error");
    /* One image to a chosen file. */
    snprintf(path, sizeof path, "%s/single.webp", tmp_dir);
    EXPECT_OK(vxl_generation_save_image(client, gen, 1, path, &paths, &err), err);
    CHECK(vxl_paths_count(paths) == 1 && is_image(vt_s(vxl_paths_get(paths, 0))),
          "single image at %s", vt_s(vxl_paths_get(paths, 0)));
    vxl_paths_free(paths);
    EXPECT_ERR(vxl_generation_save_image(client, gen, 2, path, NULL, &err), err,
               VXL_INVALID_ARGUMENT, "invalid_argument");
    /* Charged exactly once. */
    CHECK(emu_charges_for(&E, first_id) == 1, "charged %d times", emu_charges_for(&E, first_id));
    vxl_generation_free(gen);
    vxl_client_free(client);
    vxl_request_free(req);
}

static void generation_outlives_its_client(void) {
    vxl_client *client = NULL;
    vxl_client *other = NULL;
    vxl_request *req = small_request("a fox", 7);
    vxl_generation *gen = NULL;
    vxl_error *err = NULL;
    char dir[512];
    EXPECT_OK(vxl_client_new(KEY, E.base_url, &client, &err), err);
    EXPECT_OK(vxl_client_new(KEY, E.base_url, &other, &err), err);
    EXPECT_OK(vxl_generate(client, req, &gen, &err), err);
    vxl_client_free(client);
    CHECK(vxl_generation_image_count(gen) == 1, "images after the client is gone");
    snprintf(dir, sizeof dir, "%s/outlive", tmp_dir);
    EXPECT_OK(vxl_generation_save(other, gen, dir, &err), err);
    vxl_generation_free(gen);
    vxl_client_free(other);
    vxl_request_free(req);
}

static void get_generation_reads_the_record_again(void) {
    vxl_client *client = NULL;
    vxl_generation *gen = NULL;
    vxl_error *err = NULL;
    EXPECT_OK(vxl_client_new(KEY, E.base_url, &client, &err), err);
    CHECK(first_id[0] != '\0', "no record from the generation case");
    EXPECT_OK(vxl_get_generation(client, first_id, &gen, &err), err);
    CHECK(vt_streq(vxl_generation_id(gen), first_id), "id %s", vt_s(vxl_generation_id(gen)));
    CHECK(vxl_generation_image_count(gen) == 2, "%zu images", vxl_generation_image_count(gen));
    CHECK(vt_streq(vxl_generation_status(gen), "SUCCESS"), "status");
    vxl_generation_free(gen);
    gen = NULL;
    EXPECT_ERR(vxl_get_generation(client, "00000000-0000-4000-8000-000000000000", &gen, &err),
               err, VXL_ERROR, "not_found");
    CHECK(gen == NULL, "generation for an unknown id");
    vxl_client_free(client);
}

static void invalid_request_is_refused_before_sending(void) {
    vxl_client *client = test_client(KEY, 0, 0);
    vxl_request *req = small_request("a fox", 1);
    vxl_error *err;
    vxl_violation v;
    int before = emu_charge_count(&E);
    vxl_request_set_n(req, 9, NULL);
    vxl_request_set_guidance_scale(req, 0, NULL);
    err = expect_generate_error(client, req, "validation_error", 0);
    CHECK(vxl_error_violation_count(err) == 2, "%zu violations", vxl_error_violation_count(err));
    CHECK(vxl_error_violation(err, 0, &v, NULL) == VXL_OK, "violation 0");
    vxl_error_free(err);
    CHECK(emu_charge_count(&E) == before, "something was charged");
    vxl_client_free(client);
    vxl_request_free(req);
}

static void wrong_key_is_authentication_error(void) {
    vxl_client *client = test_client("vxl-wrong-key-123", 0, 0);
    vxl_request *req = small_request("a fox", 1);
    vxl_error_free(expect_generate_error(client, req, "authentication_error", 401));
    vxl_client_free(client);
    vxl_request_free(req);
}

static void poor_key_is_insufficient_credits(void) {
    vxl_client *client = test_client(POOR_KEY, 0, 0);
    vxl_request *req = small_request("a fox", 1);
    vxl_error *err = expect_generate_error(client, req, "insufficient_credits", 402);
    CHECK(vt_contains_ci(vxl_error_message(err), "credit"), "message: %s",
          vt_s(vxl_error_message(err)));
    vxl_error_free(err);
    vxl_client_free(client);
    vxl_request_free(req);
}

static void rate_limited_carries_retry_after(void) {
    vxl_client *client = test_client(KEY, 0, 0);
    vxl_request *req = small_request("a fox", 1);
    vxl_generation *gen = NULL;
    vxl_error *err;
    CHECK(emu_fault(&E, "{\"kind\":\"rate_limit\",\"retry_after_secs\":3,\"count\":1,"
                        "\"path\":\"/api/features\"}"),
          "fault not accepted");
    err = expect_generate_error(client, req, "rate_limited", 429);
    CHECK(vxl_error_retry_after_ms(err) == 3000, "retry after %lld ms",
          (long long)vxl_error_retry_after_ms(err));
    vxl_error_free(err);
    err = NULL;
    /* The fault is spent: the next call goes through. */
    EXPECT_OK(vxl_generate(client, req, &gen, &err), err);
    vxl_generation_free(gen);
    vxl_client_free(client);
    vxl_request_free(req);
}

static void server_errors_json_and_html(void) {
    vxl_client *client = test_client(KEY, 0, 0);
    vxl_request *req = small_request("a fox", 1);
    vxl_error *err;
    CHECK(emu_fault(&E, "{\"kind\":\"status\",\"status\":503,\"path\":\"/api/features\"}"),
          "fault not accepted");
    vxl_error_free(expect_generate_error(client, req, "server_error", 503));
    CHECK(emu_fault(&E, "{\"kind\":\"cloudflare\",\"path\":\"/api/features\"}"),
          "fault not accepted");
    err = expect_generate_error(client, req, "server_error", 522);
    CHECK(vt_contains_ci(vxl_error_message(err), "HTML") &&
              strstr(vt_s(vxl_error_message(err)), "<html") == NULL,
          "an HTML page is summarised, not pasted: %s", vt_s(vxl_error_message(err)));
    vxl_error_free(err);
    vxl_client_free(client);
    vxl_request_free(req);
}

static void client_errors_403_and_400(void) {
    vxl_client *client = test_client(KEY, 0, 0);
    vxl_request *req = small_request("a fox", 1);
    CHECK(emu_fault(&E, "{\"kind\":\"status\",\"status\":403,\"path\":\"/api/features\"}"),
          "fault not accepted");
    vxl_error_free(expect_generate_error(client, req, "permission_denied", 403));
    CHECK(emu_fault(&E, "{\"kind\":\"status\",\"status\":400,\"path\":\"/api/features\"}"),
          "fault not accepted");
    vxl_error_free(expect_generate_error(client, req, "bad_request", 400));
    vxl_client_free(client);
    vxl_request_free(req);
}

static void expired_download_is_download_error(void) {
    vxl_client *client = test_client(KEY, 0, 0);
    vxl_request *req = small_request("a fox", 3);
    vxl_generation *gen = NULL;
    vxl_error *err = NULL;
    char dir[512];
    EXPECT_OK(vxl_generate(client, req, &gen, &err), err);
    /* The next download answers 403 "Request has expired" (a stale signed URL). */
    CHECK(emu_fault(&E, "{\"kind\":\"expired_asset\"}"), "fault not accepted");
    snprintf(dir, sizeof dir, "%s/expired", tmp_dir);
    EXPECT_ERR(vxl_generation_save(client, gen, dir, &err), err, VXL_ERROR, "download_error");
    vxl_generation_free(gen);
    vxl_client_free(client);
    vxl_request_free(req);
}

/* A client of E whose images may be at most `max_image_bytes` bytes; NULL when refused (the
 * error then in *err_out, which the caller frees). */
static vxl_client *capped_client(uint64_t max_image_bytes, vxl_error **err_out) {
    vxl_client_options *opts = NULL;
    vxl_client *client = NULL;
    vxl_error *err = NULL;
    EXPECT_OK(vxl_client_options_new(&opts, &err), err);
    EXPECT_OK(vxl_client_options_set_api_key(opts, KEY, &err), err);
    EXPECT_OK(vxl_client_options_set_base_url(opts, E.base_url, &err), err);
    EXPECT_OK(vxl_client_options_set_max_retries(opts, 0, &err), err);
    EXPECT_OK(vxl_client_options_set_requests_per_minute(opts, 100000, &err), err);
    EXPECT_OK(vxl_client_options_set_max_image_bytes(opts, max_image_bytes, &err), err);
    if (vxl_client_new_with_options(opts, &client, err_out) != VXL_OK) {
        client = NULL;
    }
    vxl_client_options_free(opts);
    return client;
}

/* Counts the entries of `dir` that are not sidecars (missing directory: 0). */
static int images_in(const char *dir) {
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;
    size_t len;
    if (d == NULL) {
        return 0;
    }
    while ((e = readdir(d)) != NULL) {
        len = strlen(e->d_name);
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 ||
            (len > 5 && strcmp(e->d_name + len - 5, ".json") == 0)) {
            continue;
        }
        n++;
    }
    closedir(d);
    return n;
}

static void max_image_bytes_caps_saves(void) {
    vxl_client *client = test_client(KEY, 0, 0);
    vxl_client *tiny = NULL;
    vxl_client *big = NULL;
    vxl_client *none = NULL;
    vxl_request *req = small_request("a capped lighthouse", 9);
    vxl_generation *gen = NULL;
    vxl_generation *again = NULL;
    vxl_generation *capped = NULL;
    vxl_error *err = NULL;
    vxl_paths *paths = NULL;
    vxl_violation v;
    char dir[512];
    const char *msg;
    EXPECT_OK(vxl_generate(client, req, &gen, &err), err);
    if (gen == NULL) {
        vxl_client_free(client);
        vxl_request_free(req);
        return;
    }
    /* 1000 bytes: a 512x512 image is larger, so the save fails naming the limit and the
     * record, and leaves no image behind. */
    tiny = capped_client(1000, &err);
    CHECK(tiny != NULL, "1000 refused: %s", vt_s(vxl_error_message(err)));
    vxl_error_free(err);
    err = NULL;
    snprintf(dir, sizeof dir, "%s/capped", tmp_dir);
    if (tiny != NULL) {
        /* A generation downloads with the settings of the client it came from: read it again
         * through the capped client. */
        EXPECT_OK(vxl_get_generation(tiny, vxl_generation_id(gen), &capped, &err), err);
    }
    if (capped != NULL) {
        CHECK(vxl_generation_save(tiny, capped, dir, &err) == VXL_ERROR, "a 1000-byte cap saved");
        msg = vxl_error_message(err);
        CHECK(vt_streq(vxl_error_code(err), "download_error"), "code %s (%s)",
              vt_s(vxl_error_code(err)), vt_s(msg));
        CHECK(msg != NULL && strstr(msg, "1000") != NULL && strstr(msg, "max_image_bytes") != NULL,
              "the message does not name the limit: %s", vt_s(msg));
        CHECK(vt_streq(vxl_error_record_id(err), vxl_generation_id(gen)), "record id %s",
              vt_s(vxl_error_record_id(err)));
        vxl_error_free(err);
        err = NULL;
        CHECK(images_in(dir) == 0, "%d images left in %s", images_in(dir), dir);
    }
    /* 1 GiB: accepted; the same record saves. */
    big = capped_client((uint64_t)1 << 30, &err);
    CHECK(big != NULL, "1 GiB refused: %s", vt_s(vxl_error_message(err)));
    vxl_error_free(err);
    err = NULL;
    if (big != NULL) {
        EXPECT_OK(vxl_get_generation(big, vxl_generation_id(gen), &again, &err), err);
        snprintf(dir, sizeof dir, "%s/uncapped", tmp_dir);
        EXPECT_OK(vxl_generation_save_ex(big, again, dir, false, NULL, &paths, &err), err);
        CHECK(vxl_paths_count(paths) == 1 && is_image(vt_s(vxl_paths_get(paths, 0))),
              "%zu paths, first %s", vxl_paths_count(paths), vt_s(vxl_paths_get(paths, 0)));
        vxl_paths_free(paths);
    }
    /* 0: refused when the client is built, a validation_error naming the option. */
    none = capped_client(0, &err);
    CHECK(none == NULL, "a client with max_image_bytes 0");
    CHECK(vt_streq(vxl_error_code(err), "validation_error"), "code %s (%s)",
          vt_s(vxl_error_code(err)), vt_s(vxl_error_message(err)));
    CHECK(strstr(vt_s(vxl_error_message(err)), "max_image_bytes") != NULL, "message %s",
          vt_s(vxl_error_message(err)));
    CHECK(vxl_error_violation_count(err) == 1 && vxl_error_violation(err, 0, &v, NULL) == VXL_OK &&
              vt_streq(v.field, "max_image_bytes") && vt_streq(v.code, "out_of_range"),
          "violations: %zu", vxl_error_violation_count(err));
    vxl_error_free(err);
    err = NULL;
    expect_names_argument(vxl_client_options_set_max_image_bytes(NULL, 1, &err), &err, "opts");
    CHECK(emu_charges_for(&E, vxl_generation_id(gen)) == 1, "charged %d times",
          emu_charges_for(&E, vxl_generation_id(gen)));
    vxl_client_free(none);
    vxl_client_free(big);
    vxl_client_free(tiny);
    vxl_generation_free(again);
    vxl_generation_free(capped);
    vxl_generation_free(gen);
    vxl_client_free(client);
    vxl_request_free(req);
}

static void failed_generation_carries_record_id(void) {
    vxl_client *client = test_client(KEY, 0, 0);
    vxl_request *req = small_request("a fox", 1);
    vxl_error *err;
    CHECK(emu_fault(&E, "{\"kind\":\"generation_failure\",\"message\":\"NSFW content "
                        "detected\"}"),
          "fault not accepted");
    err = expect_generate_error(client, req, "generation_failed", 200);
    CHECK(vxl_error_record_id(err) != NULL && strlen(vxl_error_record_id(err)) >= 32,
          "record id %s", vt_s(vxl_error_record_id(err)));
    CHECK(vt_contains_ci(vxl_error_message(err), "NSFW"), "message: %s",
          vt_s(vxl_error_message(err)));
    if (vxl_error_record_id(err) != NULL) {
        CHECK(emu_charges_for(&E, vxl_error_record_id(err)) == 0, "a failed record was charged");
    }
    vxl_error_free(err);
    vxl_client_free(client);
    vxl_request_free(req);
}

static void broken_answer_is_recovered_not_paid_twice(void) {
    vxl_client *client = test_client(KEY, 0, 0);
    vxl_request *req = small_request("a fox", 1);
    vxl_generation *gen = NULL;
    vxl_error *err = NULL;
    /* The service charges, then answers 200 with broken JSON: the client reads the record
     * it paid for instead of sending the request again. */
    CHECK(emu_fault(&E, "{\"kind\":\"malformed_json\",\"path\":\"/api/features\"}"),
          "fault not accepted");
    EXPECT_OK(vxl_generate(client, req, &gen, &err), err);
    CHECK(vxl_generation_image_count(gen) == 1, "%zu images", vxl_generation_image_count(gen));
    if (gen != NULL) {
        CHECK(emu_charges_for(&E, vxl_generation_id(gen)) == 1, "record %s charged %d times",
              vxl_generation_id(gen), emu_charges_for(&E, vxl_generation_id(gen)));
    }
    vxl_generation_free(gen);
    vxl_client_free(client);
    vxl_request_free(req);
}

static void dropped_after_charge_is_flagged_not_retried(void) {
    vxl_client *client = test_client(KEY, 0, 0);
    vxl_request *req = small_request("a fox", 1);
    vxl_error *err;
    int before = emu_charge_count(&E);
    /* Charged, then the connection closes before any answer: the caller must know it may
     * have paid, and the client must not send it again on its own. */
    CHECK(emu_fault(&E, "{\"kind\":\"drop_after_charge\",\"path\":\"/api/features\"}"),
          "fault not accepted");
    err = expect_generate_error(client, req, "connection_error", 0);
    CHECK(vxl_error_may_have_been_charged(err), "may_have_been_charged not set");
    vxl_error_free(err);
    CHECK(emu_charge_count(&E) == before + 1, "charged %d times, want once",
          emu_charge_count(&E) - before);
    vxl_client_free(client);
    vxl_request_free(req);
}

static void budget_is_enforced_before_sending(void) {
    vxl_client *client = test_client(KEY, 0, 300);
    vxl_request *req = NULL;
    vxl_generation *gen = NULL;
    vxl_error *err = NULL;
    int before;
    EXPECT_OK(vxl_request_new("a fox", &req, &err), err); /* 1024x1024 n=1: 286 credits */
    CHECK(vxl_client_budget_remaining(client) == 300, "budget %lld",
          (long long)vxl_client_budget_remaining(client));
    EXPECT_OK(vxl_generate(client, req, &gen, &err), err);
    vxl_generation_free(gen);
    CHECK(vxl_client_budget_remaining(client) == 14, "budget %lld",
          (long long)vxl_client_budget_remaining(client));
    before = emu_charge_count(&E);
    vxl_error_free(expect_generate_error(client, req, "budget_exceeded", 0));
    CHECK(emu_charge_count(&E) == before, "sent despite the budget");
    vxl_client_free(client);
    vxl_request_free(req);
}

static void closed_port_is_connection_error(void) {
    struct sockaddr_in addr;
    socklen_t len = sizeof addr;
    char url[64];
    vxl_client_options *opts = NULL;
    vxl_client *client = NULL;
    vxl_request *req = small_request("a fox", 1);
    vxl_error *err = NULL;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    /* A port that was free a moment ago and has no listener. */
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    CHECK(fd >= 0 && bind(fd, (struct sockaddr *)&addr, sizeof addr) == 0 &&
              getsockname(fd, (struct sockaddr *)&addr, &len) == 0,
          "no free port");
    close(fd);
    snprintf(url, sizeof url, "http://127.0.0.1:%u", (unsigned)ntohs(addr.sin_port));
    EXPECT_OK(vxl_client_options_new(&opts, &err), err);
    EXPECT_OK(vxl_client_options_set_api_key(opts, KEY, &err), err);
    EXPECT_OK(vxl_client_options_set_base_url(opts, url, &err), err);
    EXPECT_OK(vxl_client_options_set_max_retries(opts, 0, &err), err);
    EXPECT_OK(vxl_client_new_with_options(opts, &client, &err), err);
    vxl_error_free(expect_generate_error(client, req, "connection_error", 0));
    vxl_client_options_free(opts);
    vxl_client_free(client);
    vxl_request_free(req);
}

static void slow_answer_is_timeout(void) {
    vxl_client *client = test_client(KEY, 1000, 0);
    vxl_request *req = small_request("a fox", 1);
    CHECK(emu_fault(&E, "{\"kind\":\"delay\",\"ms\":8000,\"path\":\"/api/features\"}"),
          "fault not accepted");
    vxl_error_free(expect_generate_error(client, req, "timeout", 0));
    CHECK(emu_reset(&E), "reset"); /* drop the fault if the request never reached it */
    vxl_client_free(client);
    vxl_request_free(req);
}

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

static void uploaded_asset_as_init_image(void) {
    /* A 1x1 PNG. */
    static const unsigned char png[] = {
        0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48,
        0x44, 0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00,
        0x00, 0x1F, 0x15, 0xC4, 0x89, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x44, 0x41, 0x54, 0x78,
        0x9C, 0x63, 0xF8, 0xCF, 0xC0, 0xF0, 0x1F, 0x00, 0x05, 0x00, 0x01, 0xFF, 0x89, 0x99,
        0x3D, 0x1D, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82};
    char path[512];
    FILE *f;
    vxl_client *client = test_client(KEY, 0, 0);
    vxl_request *req = small_request("a portrait", 5);
    vxl_generation *gen = NULL;
    vxl_error *err = NULL;
    vxl_cancel_token *token = NULL;
    char *reference = NULL;
    snprintf(path, sizeof path, "%s/init.png", tmp_dir);
    f = fopen(path, "wb");
    CHECK(f != NULL && fwrite(png, 1, sizeof png, f) == sizeof png, "write %s", path);
    if (f != NULL) {
        fclose(f);
    }
    EXPECT_OK(vxl_upload_asset_dup(client, path, &reference, &err), err);
    CHECK(reference != NULL && reference[0] != '\0', "no reference");
    if (reference != NULL) {
        EXPECT_OK(vxl_request_set_init_image_id(req, reference, &err), err);
        EXPECT_OK(vxl_request_set_init_strength(req, 0.4, &err), err);
        EXPECT_OK(vxl_generate(client, req, &gen, &err), err);
        CHECK(vxl_generation_image_count(gen) == 1, "%zu images",
              vxl_generation_image_count(gen));
    }
    vxl_string_free(reference);
    reference = NULL;
    snprintf(path, sizeof path, "%s/missing.png", tmp_dir);
    EXPECT_ERR(vxl_upload_asset_dup(client, path, &reference, &err), err, VXL_ERROR,
               "io_error");
    CHECK(reference == NULL, "reference on failure");
    /* The cancellable variant: a live token uploads, a cancelled one stops it. */
    snprintf(path, sizeof path, "%s/init.png", tmp_dir);
    EXPECT_OK(vxl_cancel_token_new(&token, &err), err);
    EXPECT_OK(vxl_upload_asset_dup_cancellable(client, path, token, &reference, &err), err);
    CHECK(reference != NULL && reference[0] != '\0', "no reference from the cancellable upload");
    vxl_string_free(reference);
    reference = NULL;
    vxl_cancel(token);
    EXPECT_ERR(vxl_upload_asset_dup_cancellable(client, path, token, &reference, &err), err,
               VXL_ERROR, "cancelled");
    CHECK(reference == NULL, "reference after cancel");
    vxl_cancel_token_free(token);
    vxl_generation_free(gen);
    vxl_client_free(client);
    vxl_request_free(req);
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

/* ---- one generation saved from several threads; one request generated from several ---- */

enum { SAVERS = 4 };

typedef enum save_mode { OWN_DIR, SAME_FILES, SAME_DIR } save_mode;

typedef struct saver {
    const vxl_client *client;
    const vxl_generation *gen;
    pthread_barrier_t *start;
    save_mode mode;
    char dir[512];
    int mismatches;   /* concurrent reads that disagreed with the main thread's */
    vxl_status st[2]; /* per image (SAME_FILES), or st[0] for the whole save */
    vxl_error *err[2];
    size_t paths;
    int images_ok;
} saver;

static void *save_worker(void *arg) {
    saver *w = arg;
    const vxl_generation *g = w->gen;
    char path[1024];
    vxl_paths *paths = NULL;
    size_t i, count = vxl_generation_image_count(g);
    pthread_barrier_wait(w->start);
    /* Reads race with the other threads' saves. */
    if (vxl_generation_id(g) == NULL || strstr(vt_s(vxl_generation_json(g)),
                                               vt_s(vxl_generation_id(g))) == NULL) {
        w->mismatches++;
    }
    for (i = 0; i < count; i++) {
        if (vxl_generation_image_url(g, i) == NULL ||
            vxl_generation_image_file_name(g, i) == NULL) {
            w->mismatches++;
        }
    }
    switch (w->mode) {
    case OWN_DIR:
        w->st[0] = vxl_generation_save_ex(w->client, g, w->dir, false, NULL, &paths, &w->err[0]);
        w->paths = vxl_paths_count(paths);
        for (i = 0; i < w->paths; i++) {
            w->images_ok += is_image(vt_s(vxl_paths_get(paths, i)));
        }
        vxl_paths_free(paths);
        break;
    case SAME_FILES:
        for (i = 0; i < 2 && i < count; i++) {
            snprintf(path, sizeof path, "%s/image-%zu.webp", w->dir, i);
            w->st[i] = vxl_generation_save_image(w->client, g, i, path, NULL, &w->err[i]);
        }
        break;
    case SAME_DIR:
        w->st[0] = vxl_generation_save(w->client, g, w->dir, &w->err[0]);
        break;
    }
    return NULL;
}

/* Runs SAVERS threads saving `gen` in `mode`, started together: into `dir`/<thread number>
 * (OWN_DIR) or all into `dir`. */
static void run_savers(saver *w, const vxl_client *client, const vxl_generation *gen,
                       save_mode mode, const char *dir) {
    pthread_t threads[SAVERS];
    pthread_barrier_t start;
    int i, started = 0;
    pthread_barrier_init(&start, NULL, SAVERS);
    memset(w, 0, sizeof(saver) * SAVERS);
    for (i = 0; i < SAVERS; i++) {
        w[i].client = client;
        w[i].gen = gen;
        w[i].start = &start;
        w[i].mode = mode;
        if (mode == OWN_DIR) {
            snprintf(w[i].dir, sizeof w[i].dir, "%s/%d", dir, i);
        } else {
            snprintf(w[i].dir, sizeof w[i].dir, "%s", dir);
        }
    }
    for (i = 0; i < SAVERS; i++) {
        if (pthread_create(&threads[i], NULL, save_worker, &w[i]) == 0) {
            started++;
        }
    }
    CHECK(started == SAVERS, "started %d threads", started);
    for (i = 0; i < started; i++) {
        pthread_join(threads[i], NULL);
    }
    pthread_barrier_destroy(&start);
}

/* Checks that exactly one of the savers' results `slot` is VXL_OK and every other is an
 * io_error saying the file exists; frees the errors. */
static void expect_one_winner(saver *w, int slot, const char *what) {
    int i, ok = 0, exists = 0;
    for (i = 0; i < SAVERS; i++) {
        const vxl_error *e = w[i].err[slot];
        if (w[i].st[slot] == VXL_OK) {
            ok++;
        } else if (w[i].st[slot] == VXL_ERROR && vt_streq(vxl_error_code(e), "io_error") &&
                   vt_contains_ci(vxl_error_message(e), "exists")) {
            exists++;
        } else {
            CHECK(0, "%s, thread %d: status %d, %s: %s", what, i, (int)w[i].st[slot],
                  vt_s(vxl_error_code(w[i].err[slot])), vt_s(vxl_error_message(w[i].err[slot])));
        }
        vxl_error_free(w[i].err[slot]);
        w[i].err[slot] = NULL;
    }
    CHECK(ok == 1 && exists == SAVERS - 1, "%s: %d saved, %d refused (exists), want 1 and %d",
          what, ok, exists, SAVERS - 1);
}

/* Counts the files of `dir`: images, sidecars (.json) and leftovers (hidden or .part). */
static void count_files(const char *dir, int *images, int *sidecars, int *leftovers) {
    DIR *d = opendir(dir);
    struct dirent *e;
    *images = *sidecars = *leftovers = 0;
    if (d == NULL) {
        return;
    }
    while ((e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) {
            continue;
        }
        if (e->d_name[0] == '.' || strstr(e->d_name, ".part") != NULL) {
            (*leftovers)++;
        } else if (n > 5 && strcmp(e->d_name + n - 5, ".json") == 0) {
            (*sidecars)++;
        } else {
            (*images)++;
        }
    }
    closedir(d);
}

static void one_generation_saved_from_many_threads(void) {
    vxl_client *client = test_client(KEY, 0, 0);
    vxl_request *req = small_request("a harbour at night", 21);
    vxl_generation *two = NULL, *one = NULL;
    vxl_error *err = NULL;
    saver w[SAVERS];
    char dir[512], name[64];
    int i, images, sidecars, leftovers;
    EXPECT_OK(vxl_request_set_n(req, 2, &err), err);
    EXPECT_OK(vxl_generate(client, req, &two, &err), err);
    EXPECT_OK(vxl_request_set_n(req, 1, &err), err);
    EXPECT_OK(vxl_generate(client, req, &one, &err), err);
    if (two == NULL || one == NULL) {
        vxl_generation_free(two);
        vxl_generation_free(one);
        vxl_client_free(client);
        vxl_request_free(req);
        return;
    }
    /* Separate folders: every thread saves both images. */
    snprintf(dir, sizeof dir, "%s/threads-own", tmp_dir);
    run_savers(w, client, two, OWN_DIR, dir);
    for (i = 0; i < SAVERS; i++) {
        CHECK(w[i].st[0] == VXL_OK, "thread %d: %s: %s", i, vt_s(vxl_error_code(w[i].err[0])),
              vt_s(vxl_error_message(w[i].err[0])));
        vxl_error_free(w[i].err[0]);
        CHECK(w[i].paths == 2 && w[i].images_ok == 2, "thread %d: %zu paths, %d images", i,
              w[i].paths, w[i].images_ok);
        CHECK(w[i].mismatches == 0, "thread %d: %d reads disagreed", i, w[i].mismatches);
        count_files(w[i].dir, &images, &sidecars, &leftovers);
        CHECK(images == 2 && sidecars == 2 && leftovers == 0,
              "%s: %d images, %d sidecars, %d leftovers", w[i].dir, images, sidecars, leftovers);
    }
    /* The same files: exactly one thread writes each, the others are refused. */
    snprintf(dir, sizeof dir, "%s/threads-same-files", tmp_dir);
    run_savers(w, client, two, SAME_FILES, dir);
    for (i = 0; i < SAVERS; i++) {
        CHECK(w[i].mismatches == 0, "thread %d: %d reads disagreed", i, w[i].mismatches);
    }
    expect_one_winner(w, 0, "image-0.webp");
    expect_one_winner(w, 1, "image-1.webp");
    count_files(dir, &images, &sidecars, &leftovers);
    CHECK(images == 2 && sidecars == 2 && leftovers == 0,
          "%s: %d images, %d sidecars, %d leftovers", dir, images, sidecars, leftovers);
    for (i = 0; i < 2; i++) {
        char path[1024];
        snprintf(name, sizeof name, "image-%d.webp", i);
        snprintf(path, sizeof path, "%s/%s", dir, name);
        CHECK(is_image(path), "%s is not an image", path);
    }
    /* The same folder, whole saves of a one-image generation: one saves, the rest refused. */
    snprintf(dir, sizeof dir, "%s/threads-same-dir", tmp_dir);
    run_savers(w, client, one, SAME_DIR, dir);
    expect_one_winner(w, 0, "vxl_generation_save into one folder");
    count_files(dir, &images, &sidecars, &leftovers);
    CHECK(images == 1 && sidecars == 1 && leftovers == 0,
          "%s: %d images, %d sidecars, %d leftovers", dir, images, sidecars, leftovers);
    vxl_generation_free(two);
    vxl_generation_free(one);
    vxl_client_free(client);
    vxl_request_free(req);
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
    pthread_t threads[SAVERS];
    pthread_barrier_t start;
    shared_req_worker w[SAVERS];
    int i, j, started = 0;
    EXPECT_OK(vxl_request_set_n(req, 2, &err), err);
    EXPECT_OK(vxl_request_to_json_dup(req, &before, &err), err);
    pthread_barrier_init(&start, NULL, SAVERS);
    memset(w, 0, sizeof w);
    for (i = 0; i < SAVERS; i++) {
        w[i].client = client;
        w[i].req = req; /* the same const request on every thread */
        w[i].start = &start;
        if (pthread_create(&threads[i], NULL, generate_shared_request, &w[i]) == 0) {
            started++;
        }
    }
    CHECK(started == SAVERS, "started %d threads", started);
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

static void bad_arguments_of_the_client_api(void) {
    vxl_client *client = test_client(KEY, 0, 0);
    vxl_request *req = small_request("a fox", 1);
    vxl_client_options *opts = NULL;
    vxl_generation *gen = NULL;
    vxl_error *err = NULL;
    vxl_violation v;
    char *ref = NULL;
    const char bad[] = {'h', (char)0xC3, (char)0x28, '\0'};
    vxl_client *none = NULL;
    EXPECT_ERR(vxl_client_new(KEY, E.base_url, NULL, &err), err, VXL_INVALID_ARGUMENT,
               "invalid_argument");
    EXPECT_ERR(vxl_client_new(bad, E.base_url, &none, &err), err, VXL_INVALID_ARGUMENT,
               "invalid_argument");
    CHECK(none == NULL, "out not reset");
    EXPECT_ERR(vxl_client_new_with_options(NULL, &none, &err), err, VXL_INVALID_ARGUMENT,
               "invalid_argument");
    EXPECT_OK(vxl_client_options_new(&opts, &err), err);
    EXPECT_ERR(vxl_client_options_set_base_url(opts, NULL, &err), err, VXL_INVALID_ARGUMENT,
               "invalid_argument");
    EXPECT_ERR(vxl_client_options_set_api_key(opts, bad, &err), err, VXL_INVALID_ARGUMENT,
               "invalid_argument");
    EXPECT_ERR(vxl_client_options_set_budget(NULL, 1, &err), err, VXL_INVALID_ARGUMENT,
               "invalid_argument");
    EXPECT_ERR(vxl_client_options_new(NULL, &err), err, VXL_INVALID_ARGUMENT,
               "invalid_argument");
    vxl_client_options_free(opts);
    EXPECT_ERR(vxl_generate(NULL, req, &gen, &err), err, VXL_INVALID_ARGUMENT,
               "invalid_argument");
    EXPECT_ERR(vxl_generate(client, NULL, &gen, &err), err, VXL_INVALID_ARGUMENT,
               "invalid_argument");
    EXPECT_ERR(vxl_generate(client, req, NULL, &err), err, VXL_INVALID_ARGUMENT,
               "invalid_argument");
    EXPECT_ERR(vxl_get_generation(client, NULL, &gen, &err), err, VXL_INVALID_ARGUMENT,
               "invalid_argument");
    EXPECT_ERR(vxl_get_generation(client, bad, &gen, &err), err, VXL_INVALID_ARGUMENT,
               "invalid_argument");
    EXPECT_ERR(vxl_generation_save(client, NULL, "/tmp", &err), err, VXL_INVALID_ARGUMENT,
               "invalid_argument");
    EXPECT_ERR(vxl_generation_save_image(NULL, NULL, 0, "/tmp/x", NULL, &err), err,
               VXL_INVALID_ARGUMENT, "invalid_argument");
    EXPECT_ERR(vxl_upload_asset_dup(client, NULL, &ref, &err), err, VXL_INVALID_ARGUMENT,
               "invalid_argument");
    EXPECT_ERR(vxl_wait_for_generation(client, NULL, &gen, &err), err, VXL_INVALID_ARGUMENT,
               "invalid_argument");
    EXPECT_ERR(vxl_wait_for_generation_cancellable(NULL, "x", NULL, &gen, &err), err,
               VXL_INVALID_ARGUMENT, "invalid_argument");
    /* Messages name the parameter the caller got wrong. */
    EXPECT_OK(vxl_client_options_new(&opts, &err), err);
    expect_names_argument(vxl_client_options_set_api_key(opts, NULL, &err), &err, "api_key");
    expect_names_argument(vxl_client_options_set_base_url(opts, NULL, &err), &err, "base_url");
    expect_names_argument(vxl_client_options_set_asset_base_url(opts, NULL, &err), &err,
                          "asset_base_url");
    expect_names_argument(vxl_client_options_set_api_key(opts, bad, &err), &err, "api_key");
    expect_names_argument(vxl_client_options_set_async_mode(NULL, true, &err), &err, "opts");
    vxl_client_options_free(opts);
    opts = NULL;
    expect_names_argument(vxl_upload_asset_dup(client, "/tmp/x.png", NULL, &err), &err,
                          "out_reference");
    expect_names_argument(vxl_upload_asset_dup_cancellable(client, NULL, NULL, &ref, &err),
                          &err, "path");
    expect_names_argument(vxl_wait_for_generation(client, "x", NULL, &err), &err, "out");
    expect_names_argument(vxl_wait_for_generation(client, NULL, &gen, &err), &err, "id");
    expect_names_argument(vxl_get_generation(NULL, "x", &gen, &err), &err, "client");
    EXPECT_ERR(vxl_generation_warning(NULL, 0, &v, &err), err, VXL_INVALID_ARGUMENT,
               "invalid_argument");
    EXPECT_ERR(vxl_cancel_token_new(NULL, &err), err, VXL_INVALID_ARGUMENT, "invalid_argument");
    CHECK(gen == NULL && ref == NULL, "outs set on failure");
    CHECK(vxl_generation_id(NULL) == NULL && vxl_generation_status(NULL) == NULL &&
              vxl_generation_image_count(NULL) == 0 && vxl_generation_image_url(NULL, 0) == NULL &&
              vxl_generation_json(NULL) == NULL && vxl_generation_raw_json(NULL) == NULL &&
              vxl_generation_credits(NULL) == -1 && !vxl_generation_is_emulated(NULL) &&
              vxl_generation_warning_count(NULL) == 0,
          "generation accessors on NULL");
    CHECK(vxl_client_budget_remaining(NULL) == -1 && vxl_client_budget_remaining(client) == -1,
          "budget without one");
    CHECK(vxl_paths_count(NULL) == 0 && vxl_paths_get(NULL, 0) == NULL, "paths on NULL");
    CHECK(!vxl_cancel_token_is_cancelled(NULL), "NULL token");
    vxl_client_free(NULL);
    vxl_client_options_free(NULL);
    vxl_generation_free(NULL);
    vxl_cancel_token_free(NULL);
    vxl_paths_free(NULL);
    vxl_client_free(client);
    vxl_request_free(req);
}

int main(void) {
    char keys[512];
    FILE *f;
    const char *base = getenv("TMPDIR");
    /* The environment decides nothing here unless a case sets it. */
    unsetenv("ONEMIN_API_KEY");
    unsetenv("ONEMIN_BASE_URL");
    unsetenv("ONEMIN_ASSET_BASE_URL");
    snprintf(tmp_dir, sizeof tmp_dir, "%s/vxl-c-test-XXXXXX", base != NULL ? base : "/tmp");
    vt_begin("emulator starts");
    CHECK(mkdtemp(tmp_dir) != NULL, "mkdtemp");
    snprintf(keys, sizeof keys, "%s/keys.json", tmp_dir);
    f = fopen(keys, "w");
    CHECK(f != NULL, "keys file");
    if (f != NULL) {
        fprintf(f, "[{\"key\":\"%s\",\"credits\":100000},{\"key\":\"%s\",\"credits\":100}]\n", KEY,
                POOR_KEY);
        fclose(f);
    }
    CHECK(emu_start(&E, keys), "the emulator did not start");
    CHECK(emu_start_with(&SLOW, NULL, SLOW_MS), "the slow emulator did not start");
    vt_end();
    if (E.port == 0 || SLOW.port == 0) {
        emu_stop(&E);
        emu_stop(&SLOW);
        return vt_summary("test_client");
    }
    RUN(missing_key_and_key_from_environment);
    RUN(plain_http_to_a_remote_host_is_refused);
    RUN(generate_and_save);
    RUN(generation_outlives_its_client);
    RUN(get_generation_reads_the_record_again);
    RUN(invalid_request_is_refused_before_sending);
    RUN(wrong_key_is_authentication_error);
    RUN(poor_key_is_insufficient_credits);
    RUN(rate_limited_carries_retry_after);
    RUN(server_errors_json_and_html);
    RUN(client_errors_403_and_400);
    RUN(failed_generation_carries_record_id);
    RUN(expired_download_is_download_error);
    RUN(max_image_bytes_caps_saves);
    RUN(broken_answer_is_recovered_not_paid_twice);
    RUN(dropped_after_charge_is_flagged_not_retried);
    RUN(budget_is_enforced_before_sending);
    RUN(closed_port_is_connection_error);
    RUN(slow_answer_is_timeout);
    RUN(cancel_from_another_thread);
    RUN(one_client_many_threads);
    RUN(one_generation_saved_from_many_threads);
    RUN(one_request_generated_from_many_threads);
    RUN(get_generation_reads_once_wait_for_generation_waits);
    RUN(wait_for_generation_ends_on_timeout_failure_and_cancel);
    RUN(async_mode_outlasts_the_request_timeout);
    RUN(uploaded_asset_as_init_image);
    RUN(bad_arguments_of_the_client_api);
    emu_stop(&E);
    emu_stop(&SLOW);
    return vt_summary("test_client");
}
