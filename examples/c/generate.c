/* Generate images with Leonardo Vision XL (1min.ai) from C, and save them.
 *
 *   cc generate.c $(pkg-config --cflags --libs visionxl) -o generate
 *   ONEMIN_API_KEY=... ./generate "a lighthouse at dusk, oil painting" out/
 *
 * ONEMIN_BASE_URL points it at another server, e.g. the emulator:
 *   visionxl-emulator --port 0    # prints its base URL; its key is vxl-emulator-key
 */
#include <stdio.h>
#include <stdlib.h>

#include <visionxl.h>

/* Prints what went wrong (every violation of an invalid request) and frees the error. */
static void report(const char *what, vxl_error *err) {
    size_t i;
    fprintf(stderr, "%s failed: %s: %s\n", what, vxl_error_code(err), vxl_error_message(err));
    if (vxl_error_http_status(err) != 0) {
        fprintf(stderr, "  HTTP status %u\n", (unsigned)vxl_error_http_status(err));
    }
    if (vxl_error_record_id(err) != NULL) {
        fprintf(stderr, "  record %s (read it again with vxl_get_generation)\n",
                vxl_error_record_id(err));
    }
    for (i = 0; i < vxl_error_violation_count(err); i++) {
        vxl_violation v;
        if (vxl_error_violation(err, i, &v, NULL) == VXL_OK) {
            fprintf(stderr, "  - %s [%s]: %s\n", v.field, v.code, v.message);
        }
    }
    vxl_error_free(err);
}

int main(int argc, char **argv) {
    const char *prompt = argc > 1 ? argv[1] : "a lighthouse at dusk, oil painting";
    const char *dir = argc > 2 ? argv[2] : "visionxl-out";
    vxl_request *req = NULL;
    vxl_client *client = NULL;
    vxl_generation *gen = NULL;
    vxl_paths *saved = NULL;
    vxl_error *err = NULL;
    uint32_t credits = 0;
    size_t i;
    int rc = EXIT_FAILURE;

    /* The request: typed setters (or vxl_request_from_json with the service's names). */
    if (vxl_request_new(prompt, &req, &err) != VXL_OK ||
        vxl_request_set_size(req, "1024x768", &err) != VXL_OK ||
        vxl_request_set_n(req, 2, &err) != VXL_OK ||
        vxl_request_set_preset_style(req, "cinematic", &err) != VXL_OK ||
        vxl_request_set_negative_prompt(req, "blurry, text", &err) != VXL_OK) {
        report("building the request", err);
        goto done;
    }
    /* Every rule is checked here, all problems at once; nothing has been sent yet. */
    if (vxl_request_credits(req, &credits, &err) != VXL_OK) {
        report("checking the request", err);
        goto done;
    }
    printf("visionxl %s: this request costs %u credits\n", vxl_version(), credits);

    /* NULL, NULL: the key from ONEMIN_API_KEY, the URL from ONEMIN_BASE_URL (or 1min.ai). */
    if (vxl_client_new(NULL, NULL, &client, &err) != VXL_OK) {
        report("creating the client", err);
        goto done;
    }
    if (vxl_generate(client, req, &gen, &err) != VXL_OK) {
        report("generating", err);
        goto done;
    }
    printf("record %s: %zu image(s), %lld credits\n", vxl_generation_id(gen),
           vxl_generation_image_count(gen), (long long)vxl_generation_credits(gen));
    for (i = 0; i < vxl_generation_image_count(gen); i++) {
        printf("  [%zu] %s\n", i, vxl_generation_image_url(gen, i));
    }

    /* Saved with a sidecar NAME.json each; existing files are never overwritten. */
    if (vxl_generation_save_ex(client, gen, dir, false, NULL, &saved, &err) != VXL_OK) {
        report("saving", err);
        goto done;
    }
    for (i = 0; i < vxl_paths_count(saved); i++) {
        printf("saved %s\n", vxl_paths_get(saved, i));
    }
    rc = EXIT_SUCCESS;

done:
    vxl_paths_free(saved);
    vxl_generation_free(gen);
    vxl_client_free(client);
    vxl_request_free(req);
    return rc;
}
