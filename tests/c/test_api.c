/* The core C API without a network: requests, setters, JSON, validation reports, prices,
 * errors, and every kind of bad argument. */
#include <math.h>

#include "minijson.h"
#include "vxl_test.h"

/* The C names the public API promises (bindings/visionxl-c/README.md), declared again verbatim: a header that drifts
 * from them (a renamed function, a changed parameter type) no longer compiles with this. */
typedef enum vxl_status vxl_status_as_designed;
vxl_status vxl_client_new(const char *api_key, const char *base_url, vxl_client **out,
                          vxl_error **err);
vxl_status vxl_request_from_json(const char *prompt_object_json, vxl_request **out,
                                 vxl_error **err);
vxl_status vxl_estimate_credits(const char *size, uint32_t n, uint32_t *out_credits,
                                vxl_error **err);
vxl_status vxl_generate(const vxl_client *client, const vxl_request *req, vxl_generation **out,
                        vxl_error **err);
size_t vxl_generation_image_count(const vxl_generation *gen);
const char *vxl_generation_image_url(const vxl_generation *gen, size_t index);
const char *vxl_generation_id(const vxl_generation *gen);
vxl_status vxl_generation_save(const vxl_client *client, const vxl_generation *gen,
                               const char *dir, vxl_error **err);
const char *vxl_error_code(const vxl_error *err);
const char *vxl_error_message(const vxl_error *err);
uint16_t vxl_error_http_status(const vxl_error *err);
void vxl_client_free(vxl_client *);
void vxl_request_free(vxl_request *);
void vxl_generation_free(vxl_generation *);
void vxl_error_free(vxl_error *);

/* Parses the wire JSON of a request (NULL when it has none). */
static mj_value *wire_of(const vxl_request *req, char **text) {
    vxl_error *err = NULL;
    vxl_status st = vxl_request_to_json_dup(req, text, &err);
    EXPECT_OK(st, err);
    if (*text == NULL) {
        return NULL;
    }
    return mj_parse(*text, strlen(*text));
}

/* The raw JSON text of member `key` equals `raw`. */
static int raw_is(const mj_value *obj, const char *key, const char *raw) {
    const mj_value *v = mj_get(obj, key);
    return v != NULL && strlen(raw) == v->raw_len && memcmp(v->raw, raw, v->raw_len) == 0;
}

static void version_is_semver(void) {
    const char *v = vxl_version();
    int major = -1, minor = -1, patch = -1;
    CHECK(v != NULL, "no version");
    CHECK(sscanf(v, "%d.%d.%d", &major, &minor, &patch) == 3, "version %s", vt_s(v));
    CHECK(vxl_version() == v, "version is one static string");
    CHECK(VXL_OK == 0 && VXL_INVALID_ARGUMENT == 1 && VXL_ERROR == 2, "status values");
    CHECK(sizeof(vxl_status_as_designed) == sizeof(int), "vxl_status is a C enum");
}

/* Every typed setter reaches its wire name, with the service's misspellings, and the 27
 * parameters of the spec are exactly what a fully set request sends. */
static void every_setter_reaches_its_wire_name(void) {
    static const char *const prompts[] = {"development/assets/a.png", "development/assets/b.png"};
    static const struct {
        const char *wire;
        const char *raw;
    } want[] = {
        {"prompt", "\"a lighthouse at dusk\""},
        {"negativePrompt", "\"blurry, text\""},
        {"size", "\"768x1024\""},
        {"n", "2"},
        {"leonardo_guidance_scale", "12"},
        {"leonardo_num_inference_steps", "45"},
        {"leonardo_seed", "9999999998"},
        {"leonardo_tilling", "true"},
        {"leonardo_transparency", "\"foreground_only\""},
        {"leonardo_preset_style", "\"CINEMATIC\""},
        {"leonardo_image_prompts", "[\"development/assets/a.png\",\"development/assets/b.png\"]"},
        {"leonardo_init_image_id", "\"development/assets/init.png\""},
        {"leonardo_init_strength", "0.35"},
        {"leonardo_fantasy_avatar", "true"},
        {"leonardo_alchemy", "true"},
        {"leonardo_contrast_ratio", "0.25"},
        {"leonardo_expanded_domain", "true"},
        {"leonardo_photo_real", "true"},
        {"leonardo_photo_real_version", "\"v2\""},
        {"leonardo_photo_real_strength", "0.5"},
        {"leonardo_prompt_magic", "true"},
        {"leonardo_prompt_magic_version", "\"v3\""},
        {"leonardo_prompt_magic_strength", "0.75"},
        {"leonardo_hight_constrast", "true"},
        {"leonardo_hight_resolution", "false"},
        {"leonardo_enhance_prompt", "true"},
        {"leonardo_enhance_prompt_instruction", "\"keep it moody\""},
    };
    vxl_request *req = NULL;
    vxl_error *err = NULL;
    vxl_report *report = NULL;
    mj_value *wire;
    char *text = NULL;
    size_t i;
    int failures = 0;
    uint32_t credits = 0;

    EXPECT_OK(vxl_request_new("placeholder", &req, &err), err);
    if (req == NULL) {
        return;
    }
#define SET(call)                                                                                \
    do {                                                                                         \
        vxl_status st_ = (call);                                                                 \
        if (st_ != VXL_OK) {                                                                     \
            failures++;                                                                          \
        }                                                                                        \
        EXPECT_OK(st_, err);                                                                     \
    } while (0)
    SET(vxl_request_set_prompt(req, "a lighthouse at dusk", &err));
    SET(vxl_request_set_negative_prompt(req, "blurry, text", &err));
    SET(vxl_request_set_size(req, "768x1024", &err));
    SET(vxl_request_set_n(req, 2, &err));
    SET(vxl_request_set_guidance_scale(req, 12, &err));
    SET(vxl_request_set_num_inference_steps(req, 45, &err));
    SET(vxl_request_set_seed(req, UINT64_C(9999999998), &err));
    SET(vxl_request_set_tiling(req, true, &err));
    SET(vxl_request_set_transparency(req, "foreground_only", &err));
    SET(vxl_request_set_preset_style(req, "cinematic", &err));
    SET(vxl_request_set_image_prompts(req, prompts, 2, &err));
    SET(vxl_request_set_init_image_id(req, "development/assets/init.png", &err));
    SET(vxl_request_set_init_strength(req, 0.35, &err));
    SET(vxl_request_set_fantasy_avatar(req, true, &err));
    SET(vxl_request_set_alchemy(req, true, &err));
    SET(vxl_request_set_contrast_ratio(req, 0.25, &err));
    SET(vxl_request_set_expanded_domain(req, true, &err));
    SET(vxl_request_set_photo_real(req, true, &err));
    SET(vxl_request_set_photo_real_version(req, "v2", &err));
    SET(vxl_request_set_photo_real_strength(req, 0.5, &err));
    SET(vxl_request_set_prompt_magic(req, true, &err));
    SET(vxl_request_set_prompt_magic_version(req, "v3", &err));
    SET(vxl_request_set_prompt_magic_strength(req, 0.75, &err));
    SET(vxl_request_set_high_contrast(req, true, &err));
    SET(vxl_request_set_high_resolution(req, false, &err));
    SET(vxl_request_set_enhance_prompt(req, true, &err));
    SET(vxl_request_set_enhance_prompt_instruction(req, "keep it moody", &err));
#undef SET
    CHECK(failures == 0, "%d setters failed", failures);

    EXPECT_OK(vxl_validate(req, &report, &err), err);
    CHECK(vxl_report_is_valid(report), "fully set request invalid (%zu errors)",
          vxl_report_error_count(report));
    vxl_report_free(report);

    wire = wire_of(req, &text);
    CHECK(wire != NULL && wire->len == sizeof want / sizeof want[0],
          "wire JSON has %zu keys, want %zu: %s", wire != NULL ? wire->len : 0,
          sizeof want / sizeof want[0], vt_s(text));
    for (i = 0; wire != NULL && i < sizeof want / sizeof want[0]; i++) {
        CHECK(raw_is(wire, want[i].wire, want[i].raw), "%s: want %s in %s", want[i].wire,
              want[i].raw, text);
    }
    EXPECT_OK(vxl_request_credits(req, &credits, &err), err);
    CHECK(credits == 312, "768x1024 n=2 costs 312, got %u", credits);
    mj_free(wire);
    vxl_string_free(text);
    vxl_request_free(req);
}

static void json_round_trip_keeps_every_value(void) {
    const char *in = "{\"prompt\":\"a fox\",\"size\":\"512x512\",\"n\":3,"
                     "\"leonardo_tilling\":true,\"leonardo_seed\":42,"
                     "\"leonardo_preset_style\":\"anime\",\"negativePrompt\":\"\"}";
    vxl_request *req = NULL;
    vxl_request *back = NULL;
    vxl_error *err = NULL;
    char *text = NULL;
    char *text2 = NULL;
    mj_value *wire;
    EXPECT_OK(vxl_request_from_json(in, &req, &err), err);
    wire = wire_of(req, &text);
    CHECK(wire != NULL, "no wire JSON");
    CHECK(raw_is(wire, "leonardo_preset_style", "\"ANIME\""), "style sent upper-case: %s",
          vt_s(text));
    CHECK(raw_is(wire, "negativePrompt", "\"\""), "empty negative prompt kept: %s", vt_s(text));
    CHECK(raw_is(wire, "n", "3") && raw_is(wire, "leonardo_seed", "42"), "numbers: %s",
          vt_s(text));
    /* Reading the wire JSON back gives the same wire JSON. */
    EXPECT_OK(vxl_request_from_json(text, &back, &err), err);
    mj_free(wire_of(back, &text2));
    CHECK(vt_streq(text, text2), "round trip: %s vs %s", vt_s(text), vt_s(text2));
    mj_free(wire);
    vxl_string_free(text);
    vxl_string_free(text2);
    vxl_request_free(req);
    vxl_request_free(back);
}

static void whole_request_body_is_accepted(void) {
    const char *body = "{\"type\":\"IMAGE_GENERATOR\",\"model\":\"5c232a9e-9061-4777-980a-"
                       "ddc8e65647c6\",\"promptObject\":{\"prompt\":\"a cat\",\"n\":4}}";
    vxl_request *req = NULL;
    vxl_error *err = NULL;
    uint32_t credits = 0;
    EXPECT_OK(vxl_request_from_json(body, &req, &err), err);
    EXPECT_OK(vxl_request_credits(req, &credits, &err), err);
    CHECK(credits == 468, "1024x1024 n=4 is 468, got %u", credits);
    vxl_request_free(req);
}

static void from_json_refuses_what_is_not_a_json_object(void) {
    static const char *const bad[] = {"", "not json", "{\"prompt\": ", "[1, 2]", "\"a cat\"",
                                      "null", "{\"prompt\":\"a\"} trailing"};
    size_t i;
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        static char sentinel;
        vxl_request *req = (vxl_request *)(void *)&sentinel;
        vxl_error *err = NULL;
        vxl_violation v;
        vxl_status st = vxl_request_from_json(bad[i], &req, &err);
        CHECK(req == NULL, "%s: out not reset to NULL", bad[i]);
        CHECK(vxl_error_violation_count(err) == 1, "%s: %zu violations", bad[i],
              vxl_error_violation_count(err));
        CHECK(vxl_error_violation(err, 0, &v, NULL) == VXL_OK &&
                  vt_streq(v.field, "promptObject") && vt_streq(v.code, "wrong_type"),
              "%s: violation (%s, %s)", bad[i], vt_s(v.field), vt_s(v.code));
        EXPECT_ERR(st, err, VXL_ERROR, "validation_error");
    }
}

static void invalid_request_is_kept_and_reported_in_full(void) {
    /* Four problems at once: all of them come back, from validate and from to_json. */
    const char *in = "{\"prompt\":\"  \",\"n\":9,\"leonardo_tiling\":true,\"size\":\"1024x1023\"}";
    vxl_request *req = NULL;
    vxl_report *report = NULL;
    vxl_error *err = NULL;
    char *text = NULL;
    vxl_violation v;
    size_t i;
    int saw_did_you_mean = 0;
    EXPECT_OK(vxl_request_from_json(in, &req, &err), err);
    EXPECT_OK(vxl_validate(req, &report, &err), err);
    CHECK(vxl_report_error_count(report) == 4, "%zu errors", vxl_report_error_count(report));
    CHECK(!vxl_report_is_valid(report), "invalid request reported valid");
    for (i = 0; i < vxl_report_error_count(report); i++) {
        CHECK(vxl_report_error(report, i, &v, NULL) == VXL_OK, "error %zu", i);
        if (vt_streq(v.field, "leonardo_tiling")) {
            CHECK(vt_streq(v.code, "unknown_field"), "code %s", v.code);
            saw_did_you_mean = vt_contains_ci(v.message, "did you mean") &&
                               vt_contains_ci(v.message, "leonardo_tilling");
        }
    }
    CHECK(saw_did_you_mean, "no did-you-mean for leonardo_tiling");
    vxl_report_free(report);
    CHECK(vxl_request_to_json_dup(req, &text, &err) == VXL_ERROR, "invalid request sent");
    CHECK(text == NULL, "text on failure");
    CHECK(vxl_error_violation_count(err) == 4, "%zu violations", vxl_error_violation_count(err));
    CHECK(vt_contains_ci(vxl_error_message(err), "4 problems"), "message: %s",
          vt_s(vxl_error_message(err)));
    EXPECT_ERR(VXL_ERROR, err, VXL_ERROR, "validation_error");
    vxl_request_free(req);
}

static void nonfinite_floats_are_reported_not_sent(void) {
    vxl_request *req = NULL;
    vxl_report *report = NULL;
    vxl_error *err = NULL;
    char *text = NULL;
    vxl_violation v;
    EXPECT_OK(vxl_request_new("a fox", &req, &err), err);
    EXPECT_OK(vxl_request_set_contrast_ratio(req, NAN, &err), err);
    EXPECT_OK(vxl_validate(req, &report, &err), err);
    CHECK(vxl_report_error_count(report) == 1, "%zu errors", vxl_report_error_count(report));
    CHECK(vxl_report_error(report, 0, &v, NULL) == VXL_OK &&
              vt_streq(v.field, "leonardo_contrast_ratio") && vt_streq(v.code, "not_finite"),
          "(%s, %s)", vt_s(v.field), vt_s(v.code));
    vxl_report_free(report);
    EXPECT_ERR(vxl_request_to_json_dup(req, &text, &err), err, VXL_ERROR, "validation_error");
    /* Setting it again to a finite value fixes the request (setters replace). */
    EXPECT_OK(vxl_request_set_contrast_ratio(req, 0.5, &err), err);
    EXPECT_OK(vxl_request_to_json_dup(req, &text, &err), err);
    vxl_string_free(text);
    vxl_request_free(req);
}

static void warnings_do_not_block(void) {
    vxl_request *req = NULL;
    vxl_report *report = NULL;
    vxl_error *err = NULL;
    vxl_violation v;
    char *text = NULL;
    EXPECT_OK(vxl_request_new("a fox", &req, &err), err);
    EXPECT_OK(vxl_request_set_size(req, "512x512", &err), err);
    EXPECT_OK(vxl_validate(req, &report, &err), err);
    CHECK(vxl_report_is_valid(report), "valid");
    CHECK(vxl_report_warning_count(report) == 1, "%zu warnings",
          vxl_report_warning_count(report));
    CHECK(vxl_report_warning(report, 0, &v, NULL) == VXL_OK && vt_streq(v.code, "price_hint") &&
              vt_streq(v.field, "n"),
          "(%s, %s)", vt_s(v.field), vt_s(v.code));
    EXPECT_ERR(vxl_report_warning(report, 1, &v, &err), err, VXL_INVALID_ARGUMENT,
               "invalid_argument");
    EXPECT_ERR(vxl_report_error(report, 0, &v, &err), err, VXL_INVALID_ARGUMENT,
               "invalid_argument");
    vxl_report_free(report);
    EXPECT_OK(vxl_request_to_json_dup(req, &text, &err), err);
    vxl_string_free(text);
    vxl_request_free(req);
}

static void presets_fill_only_what_is_unset(void) {
    vxl_request *req = NULL;
    vxl_error *err = NULL;
    char *text = NULL;
    mj_value *wire;
    EXPECT_OK(vxl_request_new("a castle", &req, &err), err);
    EXPECT_OK(vxl_request_set_guidance_scale(req, 14, &err), err);
    EXPECT_OK(vxl_request_set_preset(req, "MAX-DETAIL", &err), err);
    wire = wire_of(req, &text);
    CHECK(raw_is(wire, "leonardo_guidance_scale", "14"), "explicit wins: %s", vt_s(text));
    CHECK(raw_is(wire, "leonardo_num_inference_steps", "45"), "preset steps: %s", vt_s(text));
    CHECK(raw_is(wire, "leonardo_hight_resolution", "true"), "preset hi-res: %s", vt_s(text));
    mj_free(wire);
    vxl_string_free(text);
    text = NULL;
    EXPECT_ERR(vxl_request_set_preset(req, "max_detial", &err), err, VXL_ERROR,
               "validation_error");
    EXPECT_OK(vxl_request_set_preset(req, NULL, &err), err);
    wire = wire_of(req, &text);
    CHECK(mj_get(wire, "leonardo_num_inference_steps") == NULL, "preset removed: %s",
          vt_s(text));
    mj_free(wire);
    vxl_string_free(text);
    vxl_request_free(req);
}

/* A request is typed and checked once and kept for the calls that follow (vxl_generate in a
 * loop); every change made afterwards, by any setter, is seen by the next call. */
static void a_checked_request_sees_every_later_change(void) {
    vxl_request *req = NULL;
    vxl_request *copy = NULL;
    vxl_error *err = NULL;
    char *text = NULL;
    uint32_t credits = 0, one = 0, two = 0;
    mj_value *wire;
    EXPECT_OK(vxl_estimate_credits("1024x1024", 1, &one, &err), err);
    EXPECT_OK(vxl_estimate_credits("1024x1024", 2, &two, &err), err);
    EXPECT_OK(vxl_request_new("a mill by a river", &req, &err), err);
    EXPECT_OK(vxl_request_credits(req, &credits, &err), err);
    CHECK(credits == one && one != two, "n = 1: %u credits, want %u", credits, one);
    EXPECT_OK(vxl_request_set_n(req, 2, &err), err); /* typed setter */
    EXPECT_OK(vxl_request_credits(req, &credits, &err), err);
    CHECK(credits == two, "n = 2: %u credits, want %u", credits, two);
    EXPECT_OK(vxl_request_set_param(req, "size", "\"512x512\"", &err), err); /* by name */
    wire = wire_of(req, &text);
    CHECK(raw_is(wire, "size", "\"512x512\"") && raw_is(wire, "n", "2"), "changed: %s",
          vt_s(text));
    mj_free(wire);
    vxl_string_free(text);
    text = NULL;
    EXPECT_OK(vxl_request_clone(req, &copy, &err), err); /* a clone of a checked request */
    EXPECT_OK(vxl_request_set_n(req, 9, &err), err);     /* now invalid */
    EXPECT_ERR(vxl_request_to_json_dup(req, &text, &err), err, VXL_ERROR, "validation_error");
    EXPECT_ERR(vxl_request_credits(req, &credits, &err), err, VXL_ERROR, "validation_error");
    EXPECT_OK(vxl_request_unset(req, "n", &err), err); /* valid again: one image */
    wire = wire_of(req, &text);
    CHECK(raw_is(wire, "n", "1"), "n unset (the default is always sent): %s", vt_s(text));
    mj_free(wire);
    vxl_string_free(text);
    text = NULL;
    EXPECT_OK(vxl_request_set_preset(req, "max_detail", &err), err);
    wire = wire_of(req, &text);
    CHECK(raw_is(wire, "leonardo_num_inference_steps", "45"), "preset seen: %s", vt_s(text));
    mj_free(wire);
    vxl_string_free(text);
    text = NULL;
    /* The clone kept what it was given and is changed on its own. */
    wire = wire_of(copy, &text);
    CHECK(raw_is(wire, "n", "2") && mj_get(wire, "leonardo_num_inference_steps") == NULL,
          "clone: %s", vt_s(text));
    mj_free(wire);
    vxl_string_free(text);
    vxl_request_free(copy);
    vxl_request_free(req);
}

static void unset_and_clone(void) {
    vxl_request *req = NULL;
    vxl_request *copy = NULL;
    vxl_error *err = NULL;
    vxl_report *report = NULL;
    char *text = NULL;
    mj_value *wire;
    EXPECT_OK(vxl_request_from_json("{\"prompt\":\"a\",\"leonardo_tilling\":true,\"bogus\":1}",
                                    &req, &err),
              err);
    EXPECT_OK(vxl_request_clone(req, &copy, &err), err);
    EXPECT_OK(vxl_request_unset(req, "tiling", &err), err);       /* SDK name */
    EXPECT_OK(vxl_request_unset(req, "bogus", &err), err);        /* a name JSON brought */
    EXPECT_OK(vxl_request_unset(req, "leonardo_seed", &err), err); /* known, not set: no-op */
    EXPECT_ERR(vxl_request_unset(req, "tilling", &err), err, VXL_ERROR, "validation_error");
    wire = wire_of(req, &text);
    CHECK(wire != NULL && mj_get(wire, "leonardo_tilling") == NULL, "tiling unset: %s",
          vt_s(text));
    mj_free(wire);
    vxl_string_free(text);
    /* The copy is independent: it still has both, so it is invalid (unknown "bogus"). */
    EXPECT_OK(vxl_validate(copy, &report, &err), err);
    CHECK(vxl_report_error_count(report) == 1, "copy has %zu errors",
          vxl_report_error_count(report));
    vxl_report_free(report);
    vxl_request_free(req);
    vxl_request_free(copy);
}

static void null_arguments_are_invalid_arguments(void) {
    static const char *const one[] = {"x"};
    static const char *const with_null[] = {"x", NULL};
    vxl_request *req = NULL;
    vxl_request *good = NULL;
    vxl_report *report = NULL;
    vxl_plan *plan = NULL;
    vxl_error *err = NULL;
    char *text = NULL;
    uint32_t u = 0;
    vxl_violation v;

    EXPECT_OK(vxl_request_new("a fox", &good, &err), err);
    EXPECT_ERR(vxl_request_new(NULL, &req, &err), err, VXL_INVALID_ARGUMENT, "invalid_argument");
    CHECK(req == NULL, "out set on failure");
    EXPECT_ERR(vxl_request_new("x", NULL, &err), err, VXL_INVALID_ARGUMENT, "invalid_argument");
    EXPECT_ERR(vxl_request_from_json(NULL, &req, &err), err, VXL_INVALID_ARGUMENT,
               "invalid_argument");
    EXPECT_ERR(vxl_request_clone(NULL, &req, &err), err, VXL_INVALID_ARGUMENT,
               "invalid_argument");
    EXPECT_ERR(vxl_request_set_n(NULL, 1, &err), err, VXL_INVALID_ARGUMENT, "invalid_argument");
    EXPECT_ERR(vxl_request_set_size(good, NULL, &err), err, VXL_INVALID_ARGUMENT,
               "invalid_argument");
    EXPECT_ERR(vxl_request_set_tiling(NULL, true, &err), err, VXL_INVALID_ARGUMENT,
               "invalid_argument");
    EXPECT_ERR(vxl_request_set_init_strength(NULL, 0.5, &err), err, VXL_INVALID_ARGUMENT,
               "invalid_argument");
    EXPECT_ERR(vxl_request_set_image_prompts(good, NULL, 1, &err), err, VXL_INVALID_ARGUMENT,
               "invalid_argument");
    EXPECT_ERR(vxl_request_set_image_prompts(good, with_null, 2, &err), err,
               VXL_INVALID_ARGUMENT, "invalid_argument");
    EXPECT_OK(vxl_request_set_image_prompts(good, one, 1, &err), err);
    EXPECT_OK(vxl_request_set_image_prompts(good, NULL, 0, &err), err);
    EXPECT_ERR(vxl_request_unset(good, NULL, &err), err, VXL_INVALID_ARGUMENT,
               "invalid_argument");
    EXPECT_ERR(vxl_request_unset(NULL, "n", &err), err, VXL_INVALID_ARGUMENT,
               "invalid_argument");
    EXPECT_ERR(vxl_request_set_preset(NULL, "defaults", &err), err, VXL_INVALID_ARGUMENT,
               "invalid_argument");
    EXPECT_ERR(vxl_request_to_json_dup(NULL, &text, &err), err, VXL_INVALID_ARGUMENT,
               "invalid_argument");
    EXPECT_ERR(vxl_request_to_json_dup(good, NULL, &err), err, VXL_INVALID_ARGUMENT,
               "invalid_argument");
    EXPECT_ERR(vxl_request_credits(good, NULL, &err), err, VXL_INVALID_ARGUMENT,
               "invalid_argument");
    EXPECT_ERR(vxl_validate(NULL, &report, &err), err, VXL_INVALID_ARGUMENT, "invalid_argument");
    EXPECT_ERR(vxl_validate(good, NULL, &err), err, VXL_INVALID_ARGUMENT, "invalid_argument");
    EXPECT_ERR(vxl_report_error(NULL, 0, &v, &err), err, VXL_INVALID_ARGUMENT,
               "invalid_argument");
    EXPECT_OK(vxl_validate(good, &report, &err), err);
    EXPECT_ERR(vxl_report_warning(report, 0, NULL, &err), err, VXL_INVALID_ARGUMENT,
               "invalid_argument");
    vxl_report_free(report);
    EXPECT_ERR(vxl_estimate_credits(NULL, 1, &u, &err), err, VXL_INVALID_ARGUMENT,
               "invalid_argument");
    EXPECT_ERR(vxl_estimate_credits("512x512", 1, NULL, &err), err, VXL_INVALID_ARGUMENT,
               "invalid_argument");
    EXPECT_ERR(vxl_plan_batches(NULL, 3, &plan, &err), err, VXL_INVALID_ARGUMENT,
               "invalid_argument");
    EXPECT_ERR(vxl_plan_batches("512x512", 3, NULL, &err), err, VXL_INVALID_ARGUMENT,
               "invalid_argument");
    EXPECT_ERR(vxl_plan_call(NULL, 0, &u, &err), err, VXL_INVALID_ARGUMENT, "invalid_argument");
    /* err itself may be NULL: the status alone tells. */
    CHECK(vxl_request_new(NULL, &req, NULL) == VXL_INVALID_ARGUMENT, "NULL err");
    CHECK(vxl_estimate_credits("huge", 1, &u, NULL) == VXL_ERROR, "NULL err");
    vxl_request_free(good);
}

static void invalid_utf8_is_an_invalid_argument(void) {
    const char bad[] = {'a', (char)0xFF, (char)0xFE, 'b', '\0'};
    const char *items[1];
    vxl_request *req = NULL;
    vxl_error *err = NULL;
    uint32_t u = 0;
    items[0] = bad;
    CHECK(vxl_request_new(bad, &req, &err) == VXL_INVALID_ARGUMENT, "prompt");
    CHECK(vt_contains_ci(vxl_error_message(err), "UTF-8") &&
              vt_contains_ci(vxl_error_message(err), "prompt"),
          "message names the argument and UTF-8: %s", vt_s(vxl_error_message(err)));
    EXPECT_ERR(VXL_INVALID_ARGUMENT, err, VXL_INVALID_ARGUMENT, "invalid_argument");
    EXPECT_ERR(vxl_request_from_json(bad, &req, &err), err, VXL_INVALID_ARGUMENT,
               "invalid_argument");
    EXPECT_OK(vxl_request_new("ok", &req, &err), err);
    EXPECT_ERR(vxl_request_set_negative_prompt(req, bad, &err), err, VXL_INVALID_ARGUMENT,
               "invalid_argument");
    EXPECT_ERR(vxl_request_set_image_prompts(req, items, 1, &err), err, VXL_INVALID_ARGUMENT,
               "invalid_argument");
    EXPECT_ERR(vxl_estimate_credits(bad, 1, &u, &err), err, VXL_INVALID_ARGUMENT,
               "invalid_argument");
    vxl_request_free(req);
}

static void out_of_range_indexes_are_invalid_arguments(void) {
    vxl_plan *plan = NULL;
    vxl_error *err = NULL;
    vxl_error *verr = NULL;
    vxl_violation v;
    uint32_t n = 0;
    uint32_t credits = 0;
    EXPECT_OK(vxl_plan_batches("512x512", 5, &plan, &err), err);
    CHECK(vxl_plan_call_count(plan) == 2, "%zu calls", vxl_plan_call_count(plan));
    EXPECT_ERR(vxl_plan_call(plan, 2, &n, &err), err, VXL_INVALID_ARGUMENT, "invalid_argument");
    EXPECT_ERR(vxl_plan_call(plan, (size_t)-1, &n, &err), err, VXL_INVALID_ARGUMENT,
               "invalid_argument");
    EXPECT_ERR(vxl_plan_call(plan, 0, NULL, &err), err, VXL_INVALID_ARGUMENT,
               "invalid_argument");
    vxl_plan_free(plan);
    CHECK(vxl_estimate_credits("512x512", 0, &credits, &verr) == VXL_ERROR, "n=0");
    CHECK(vxl_error_violation_count(verr) == 1, "one violation");
    CHECK(vxl_error_violation(verr, 1, &v, &err) == VXL_INVALID_ARGUMENT, "index 1");
    CHECK(vt_contains_ci(vxl_error_message(err), "out of range"), "message: %s",
          vt_s(vxl_error_message(err)));
    EXPECT_ERR(VXL_INVALID_ARGUMENT, err, VXL_INVALID_ARGUMENT, "invalid_argument");
    EXPECT_ERR(vxl_error_violation(verr, 0, NULL, &err), err, VXL_INVALID_ARGUMENT,
               "invalid_argument");
    EXPECT_ERR(vxl_error_violation(NULL, 0, &v, &err), err, VXL_INVALID_ARGUMENT,
               "invalid_argument");
    vxl_error_free(verr);
}

static void accessors_and_frees_accept_null(void) {
    CHECK(vxl_error_code(NULL) == NULL, "code");
    CHECK(vxl_error_message(NULL) == NULL, "message");
    CHECK(vxl_error_http_status(NULL) == 0, "status");
    CHECK(vxl_error_record_id(NULL) == NULL, "record id");
    CHECK(vxl_error_service_code(NULL) == NULL, "service code");
    CHECK(vxl_error_retry_after_ms(NULL) == -1, "retry after");
    CHECK(!vxl_error_may_have_been_charged(NULL), "charged");
    CHECK(vxl_error_violation_count(NULL) == 0, "violations");
    CHECK(vxl_report_error_count(NULL) == 0 && vxl_report_warning_count(NULL) == 0, "report");
    CHECK(!vxl_report_is_valid(NULL), "NULL report is not valid");
    CHECK(vxl_plan_call_count(NULL) == 0 && vxl_plan_total_credits(NULL) == 0 &&
              vxl_plan_images(NULL) == 0,
          "plan");
    vxl_error_free(NULL);
    vxl_request_free(NULL);
    vxl_report_free(NULL);
    vxl_plan_free(NULL);
    vxl_string_free(NULL);
}

static void errors_are_left_alone_on_success(void) {
    static char sentinel;
    vxl_error *err = (vxl_error *)(void *)&sentinel;
    uint32_t credits = 0;
    CHECK(vxl_estimate_credits("1024x768", 3, &credits, &err) == VXL_OK, "ok");
    CHECK(err == (vxl_error *)(void *)&sentinel, "*err touched on success");
    CHECK(credits == 364, "credits %u", credits);
}

static void validation_error_details(void) {
    vxl_error *err = NULL;
    uint32_t credits = 0;
    vxl_violation v;
    CHECK(vxl_estimate_credits("1024x1000", 2, &credits, &err) == VXL_ERROR, "bad size");
    CHECK(vxl_error_http_status(err) == 0, "no HTTP status");
    CHECK(vxl_error_record_id(err) == NULL, "no record id");
    CHECK(vxl_error_service_code(err) == NULL, "no service code");
    CHECK(vxl_error_retry_after_ms(err) == -1, "no retry-after");
    CHECK(!vxl_error_may_have_been_charged(err), "nothing sent");
    CHECK(vxl_error_violation(err, 0, &v, NULL) == VXL_OK && vt_streq(v.field, "size") &&
              vt_streq(v.code, "not_allowed_value") && vt_contains_ci(v.message, "1024x1024"),
          "violation (%s, %s, %s)", vt_s(v.field), vt_s(v.code), vt_s(v.message));
    EXPECT_ERR(VXL_ERROR, err, VXL_ERROR, "validation_error");
}

/* The harness itself: EXPECT_OK and EXPECT_ERR evaluate the call once, also when it fails
 * (a second evaluation of a vxl_generate would be a second paid request, and would leak the
 * first error). */
static int counted_calls;

static vxl_status counted_call(int fail, vxl_error **err) {
    uint32_t credits = 0;
    counted_calls++;
    return vxl_estimate_credits("512x512", fail ? 9u : 1u, &credits, err);
}

static void expect_macros_evaluate_the_call_once(void) {
    vxl_error *err = NULL;
    int before, expected;
    counted_calls = 0;
    EXPECT_OK(counted_call(0, &err), err);
    EXPECT_ERR(counted_call(1, &err), err, VXL_ERROR, "validation_error");
    CHECK(counted_calls == 2, "passing expectations made %d calls, want 2", counted_calls);
    /* Failing expectations: counted here, then taken back (they are meant to fail). */
    before = vt_case_failures;
    vt_quiet = 1;
    EXPECT_OK(counted_call(1, &err), err);
    EXPECT_ERR(counted_call(1, &err), err, VXL_INVALID_ARGUMENT, "invalid_argument");
    EXPECT_ERR(counted_call(0, &err), err, VXL_ERROR, "validation_error");
    vt_quiet = 0;
    expected = vt_case_failures - before;
    vt_case_failures = before;
    CHECK(expected == 1 + 2 + 4, "%d failed checks in the failing expectations, want 7",
          expected);
    CHECK(counted_calls == 5, "failing expectations made %d calls in all, want 5",
          counted_calls);
    CHECK(err == NULL, "err not reset");
}

int main(void) {
    RUN(expect_macros_evaluate_the_call_once);
    RUN(version_is_semver);
    RUN(every_setter_reaches_its_wire_name);
    RUN(json_round_trip_keeps_every_value);
    RUN(whole_request_body_is_accepted);
    RUN(from_json_refuses_what_is_not_a_json_object);
    RUN(invalid_request_is_kept_and_reported_in_full);
    RUN(nonfinite_floats_are_reported_not_sent);
    RUN(warnings_do_not_block);
    RUN(presets_fill_only_what_is_unset);
    RUN(unset_and_clone);
    RUN(a_checked_request_sees_every_later_change);
    RUN(null_arguments_are_invalid_arguments);
    RUN(invalid_utf8_is_an_invalid_argument);
    RUN(out_of_range_indexes_are_invalid_arguments);
    RUN(accessors_and_frees_accept_null);
    RUN(errors_are_left_alone_on_success);
    RUN(validation_error_details);
    return vt_summary("test_api");
}
