/* Shared by the network tests of the C API (test_generate.c, test_concurrency.c,
 * test_saves.c, test_batch.c): the emulators, clients for them and file helpers. Each program
 * calls suite_start() first and returns suite_end("NAME"). Header-only. */
#ifndef VXL_TEST_CLIENT_SUITE_H
#define VXL_TEST_CLIENT_SUITE_H
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
static inline vxl_client *test_client(const char *key, uint64_t timeout_ms, uint64_t budget) {
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
static inline vxl_client *client_for(const emu *e, uint64_t timeout_ms, uint64_t poll_timeout_ms,
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

static inline vxl_request *small_request(const char *prompt, uint64_t seed) {
    vxl_request *req = NULL;
    vxl_error *err = NULL;
    EXPECT_OK(vxl_request_new(prompt, &req, &err), err);
    EXPECT_OK(vxl_request_set_size(req, "512x512", &err), err);
    EXPECT_OK(vxl_request_set_seed(req, seed, &err), err);
    return req;
}

/* Reads the first bytes of a file; returns how many. */
static inline size_t head_of(const char *path, unsigned char *buf, size_t n) {
    FILE *f = fopen(path, "rb");
    size_t got;
    if (f == NULL) {
        return 0;
    }
    got = fread(buf, 1, n, f);
    fclose(f);
    return got;
}

static inline int is_image(const char *path) {
    unsigned char b[12];
    size_t n = head_of(path, b, sizeof b);
    return (n == 12 && memcmp(b, "RIFF", 4) == 0 && memcmp(b + 8, "WEBP", 4) == 0) ||
           (n >= 8 && memcmp(b, "\x89PNG\r\n\x1a\n", 8) == 0);
}

static inline int file_contains(const char *path, const char *needle) {
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
static inline vxl_error *expect_generate_error(vxl_client *client, const vxl_request *req,
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
static inline void expect_names_argument(vxl_status st, vxl_error **err, const char *param) {
    const char *msg = vxl_error_message(*err);
    size_t n = strlen(param);
    CHECK(st == VXL_INVALID_ARGUMENT, "status %d for %s", (int)st, param);
    CHECK(msg != NULL && strncmp(msg, param, n) == 0 && msg[n] == ' ',
          "the message does not name %s: %s", param, vt_s(msg));
    vxl_error_free(*err);
    *err = NULL;
}

/* A client of E whose images may be at most `max_image_bytes` bytes; NULL when refused (the
 * error then in *err_out, which the caller frees). */
static inline vxl_client *capped_client(uint64_t max_image_bytes, vxl_error **err_out) {
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
static inline int images_in(const char *dir) {
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

/* Starts the emulators (the slow one only when `slow`) in a fresh temporary directory; 0 when
 * they did not start (then return suite_end at once). */
static inline int suite_start(int slow) {
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
    if (slow) {
        CHECK(emu_start_with(&SLOW, NULL, SLOW_MS), "the slow emulator did not start");
    }
    vt_end();
    return E.port != 0 && (!slow || SLOW.port != 0);
}

/* Stops the emulators and prints the program's summary line. */
static inline int suite_end(const char *program) {
    emu_stop(&E);
    if (SLOW.port != 0) {
        emu_stop(&SLOW);
    }
    return vt_summary(program);
}

#endif
