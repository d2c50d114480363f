/* Saving and uploading: the size cap, saves with the settings of the client passed in,
 * one generation saved from several threads, uploads from a file and from memory. Needs VISIONXL_EMULATOR (the runner sets it). */
#include "client_suite.h"

/* A 1x1 PNG. */
static const unsigned char png[] = {
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48,
    0x44, 0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00,
    0x00, 0x1F, 0x15, 0xC4, 0x89, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x44, 0x41, 0x54, 0x78,
    0x9C, 0x63, 0xF8, 0xCF, 0xC0, 0xF0, 0x1F, 0x00, 0x05, 0x00, 0x01, 0xFF, 0x89, 0x99,
    0x3D, 0x1D, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82};


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
        /* Read again through the capped client (any client's generation saves with the
         * settings of the client passed to the save: save_uses_the_clients_settings). */
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

static void uploaded_asset_as_init_image(void) {
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

/* Checks that `dir` holds `want` images, as many sidecars and nothing left over. */
static void expect_files(const char *dir, int want) {
    int images, sidecars, leftovers;
    count_files(dir, &images, &sidecars, &leftovers);
    CHECK(images == want && sidecars == want && leftovers == 0,
          "%s: %d images, %d sidecars, %d leftovers (want %d, %d, 0)", dir, images, sidecars,
          leftovers, want, want);
}

static void one_generation_saved_from_many_threads(void) {
    vxl_client *client = test_client(KEY, 0, 0);
    vxl_request *req = small_request("a harbour at night", 21);
    vxl_generation *two = NULL, *one = NULL;
    vxl_error *err = NULL;
    saver w[SAVERS];
    char dir[512], name[64];
    int i;
    EXPECT_OK(vxl_request_set_n(req, 2, &err), err);
    EXPECT_OK(vxl_generate(client, req, &two, &err), err);
    EXPECT_OK(vxl_request_set_n(req, 1, &err), err);
    EXPECT_OK(vxl_generate(client, req, &one, &err), err);
    if (two == NULL || one == NULL) {
        goto done;
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
        expect_files(w[i].dir, 2);
    }
    /* The same files: exactly one thread writes each, the others are refused. */
    snprintf(dir, sizeof dir, "%s/threads-same-files", tmp_dir);
    run_savers(w, client, two, SAME_FILES, dir);
    for (i = 0; i < SAVERS; i++) {
        CHECK(w[i].mismatches == 0, "thread %d: %d reads disagreed", i, w[i].mismatches);
    }
    expect_one_winner(w, 0, "image-0.webp");
    expect_one_winner(w, 1, "image-1.webp");
    expect_files(dir, 2);
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
    expect_files(dir, 1);
done:
    vxl_generation_free(two);
    vxl_generation_free(one);
    vxl_client_free(client);
    vxl_request_free(req);
}

/* vxl_generation_save* download with the settings of the `client` argument, not those of the
 * client that made the generation. */
static void save_uses_the_clients_settings(void) {
    vxl_client *maker = test_client(KEY, 0, 0);
    vxl_client *tiny = NULL;
    vxl_request *req = small_request("a lighthouse saved elsewhere", 21);
    vxl_generation *gen = NULL;
    vxl_generation *capped = NULL;
    vxl_error *err = NULL;
    vxl_paths *paths = NULL;
    char dir[512];
    char file[600];
    tiny = capped_client(1000, &err);
    CHECK(tiny != NULL, "1000 refused: %s", vt_s(vxl_error_message(err)));
    EXPECT_OK(vxl_generate(maker, req, &gen, &err), err);
    if (tiny == NULL || gen == NULL) {
        goto done;
    }
    /* Made by an uncapped client, saved with the capped one: the cap applies. */
    snprintf(dir, sizeof dir, "%s/save-rule-capped", tmp_dir);
    CHECK(vxl_generation_save(tiny, gen, dir, &err) == VXL_ERROR, "saved past a 1000-byte cap");
    CHECK(vt_streq(vxl_error_code(err), "download_error") &&
              strstr(vt_s(vxl_error_message(err)), "1000") != NULL,
          "code %s (%s)", vt_s(vxl_error_code(err)), vt_s(vxl_error_message(err)));
    vxl_error_free(err);
    err = NULL;
    snprintf(file, sizeof file, "%s/one.webp", dir);
    CHECK(vxl_generation_save_image(tiny, gen, 0, file, NULL, &err) == VXL_ERROR,
          "save_image past the cap");
    CHECK(vt_streq(vxl_error_code(err), "download_error"), "code %s",
          vt_s(vxl_error_code(err)));
    vxl_error_free(err);
    err = NULL;
    CHECK(images_in(dir) == 0, "%d images left in %s", images_in(dir), dir);
    /* Read by the capped client, saved with the uncapped one: it saves. */
    EXPECT_OK(vxl_get_generation(tiny, vxl_generation_id(gen), &capped, &err), err);
    snprintf(dir, sizeof dir, "%s/save-rule-uncapped", tmp_dir);
    EXPECT_OK(vxl_generation_save_ex(maker, capped, dir, false, NULL, &paths, &err), err);
    CHECK(vxl_paths_count(paths) == 1 && is_image(vt_s(vxl_paths_get(paths, 0))),
          "%zu paths", vxl_paths_count(paths));
    CHECK(emu_charges_for(&E, vxl_generation_id(gen)) == 1, "charged %d times",
          emu_charges_for(&E, vxl_generation_id(gen)));
done:
    vxl_error_free(err);
    vxl_paths_free(paths);
    vxl_generation_free(capped);
    vxl_generation_free(gen);
    vxl_client_free(tiny);
    vxl_client_free(maker);
    vxl_request_free(req);
}

/* vxl_upload_asset_bytes_dup: an image held in memory, used as the init image. */
static void upload_from_memory(void) {
    vxl_client *client = test_client(KEY, 0, 0);
    vxl_request *req = small_request("a portrait from memory", 6);
    vxl_generation *gen = NULL;
    vxl_error *err = NULL;
    vxl_cancel_token *token = NULL;
    char *reference = NULL;
    static const char text[] = "not an image";
    EXPECT_OK(vxl_upload_asset_bytes_dup(client, png, sizeof png, "init.png", &reference, &err),
              err);
    CHECK(reference != NULL && reference[0] != '\0', "no reference");
    if (reference != NULL) {
        EXPECT_OK(vxl_request_set_init_image_id(req, reference, &err), err);
        EXPECT_OK(vxl_generate(client, req, &gen, &err), err);
        CHECK(vxl_generation_image_count(gen) == 1, "%zu images",
              vxl_generation_image_count(gen));
    }
    vxl_string_free(reference);
    reference = NULL;
    /* Bytes that are not an image, and no bytes: refused. */
    EXPECT_ERR(vxl_upload_asset_bytes_dup(client, (const uint8_t *)text, sizeof text - 1,
                                          "note.png", &reference, &err),
               err, VXL_ERROR, "validation_error");
    EXPECT_ERR(vxl_upload_asset_bytes_dup(client, NULL, 0, "empty.png", &reference, &err), err,
               VXL_ERROR, "validation_error");
    CHECK(reference == NULL, "reference on failure");
    /* Misuse names the argument. */
    expect_names_argument(
        vxl_upload_asset_bytes_dup(client, NULL, 5, "x.png", &reference, &err), &err, "data");
    expect_names_argument(vxl_upload_asset_bytes_dup(client, png, sizeof png, NULL, &reference,
                                                     &err),
                          &err, "file_name");
    /* Cancellable: a cancelled token stops it. */
    EXPECT_OK(vxl_cancel_token_new(&token, &err), err);
    vxl_cancel(token);
    EXPECT_ERR(vxl_upload_asset_bytes_dup_cancellable(client, png, sizeof png, "init.png", token,
                                                      &reference, &err),
               err, VXL_ERROR, "cancelled");
    CHECK(reference == NULL, "reference after cancel");
    vxl_cancel_token_free(token);
    vxl_generation_free(gen);
    vxl_client_free(client);
    vxl_request_free(req);
}

int main(void) {
    if (!suite_start(0)) {
        return suite_end("test_saves");
    }
    RUN(max_image_bytes_caps_saves);
    RUN(uploaded_asset_as_init_image);
    RUN(one_generation_saved_from_many_threads);
    RUN(save_uses_the_clients_settings);
    RUN(upload_from_memory);
    return suite_end("test_saves");
}
