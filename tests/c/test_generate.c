/* The network half of the C API against the emulator binary: a real generation saved to
 * disk, reading it back, and every error path. Needs VISIONXL_EMULATOR (the runner sets it). */
#include "client_suite.h"


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
    if (!suite_start(0)) {
        return suite_end("test_generate");
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
    RUN(broken_answer_is_recovered_not_paid_twice);
    RUN(dropped_after_charge_is_flagged_not_retried);
    RUN(budget_is_enforced_before_sending);
    RUN(closed_port_is_connection_error);
    RUN(slow_answer_is_timeout);
    RUN(bad_arguments_of_the_client_api);
    return suite_end("test_generate");
}
