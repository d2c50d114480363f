/* The shared vectors (tests/vectors/validation.json, pricing.json and options.json) through the
 * C API.
 *
 * Usage: test_vectors VECTORS_DIR */
#include <math.h>

#include "minijson.h"
#include "vxl_test.h"

typedef struct pair {
    const char *field;
    const char *code;
} pair;

static int pair_in(const pair *list, size_t n, const char *field, const char *code) {
    size_t i;
    for (i = 0; i < n; i++) {
        if (vt_streq(list[i].field, field) && vt_streq(list[i].code, code)) {
            return 1;
        }
    }
    return 0;
}

/* Compares got (from the library) with want (a JSON array of {field, code}) as sets. */
static void compare_sets(const char *what, const pair *got, size_t ngot, const mj_value *want) {
    size_t i;
    CHECK(want != NULL && want->type == MJ_ARR, "%s: expected list missing", what);
    if (want == NULL || want->type != MJ_ARR) {
        return;
    }
    for (i = 0; i < want->len; i++) {
        const char *f = mj_str(want->items[i], "field");
        const char *c = mj_str(want->items[i], "code");
        CHECK(pair_in(got, ngot, f, c), "%s: (%s, %s) expected but not reported", what, vt_s(f),
              vt_s(c));
    }
    for (i = 0; i < ngot; i++) {
        size_t j;
        int found = 0;
        for (j = 0; j < want->len; j++) {
            if (vt_streq(mj_str(want->items[j], "field"), got[i].field) &&
                vt_streq(mj_str(want->items[j], "code"), got[i].code)) {
                found = 1;
            }
        }
        CHECK(found, "%s: (%s, %s) reported but not expected", what, got[i].field, got[i].code);
    }
}

typedef vxl_status (*float_setter)(vxl_request *, double, vxl_error **);

static float_setter float_setter_for(const char *wire) {
    if (vt_streq(wire, "leonardo_init_strength")) {
        return vxl_request_set_init_strength;
    }
    if (vt_streq(wire, "leonardo_contrast_ratio")) {
        return vxl_request_set_contrast_ratio;
    }
    if (vt_streq(wire, "leonardo_photo_real_strength")) {
        return vxl_request_set_photo_real_strength;
    }
    if (vt_streq(wire, "leonardo_prompt_magic_strength")) {
        return vxl_request_set_prompt_magic_strength;
    }
    return NULL;
}

static double nonfinite(const char *spelling) {
    if (vt_streq(spelling, "NaN")) {
        return NAN;
    }
    if (vt_streq(spelling, "Infinity")) {
        return INFINITY;
    }
    if (vt_streq(spelling, "-Infinity")) {
        return -INFINITY;
    }
    return 0.0;
}

static void validation_case(const mj_value *c) {
    const mj_value *input = mj_get(c, "input");
    const mj_value *nf = mj_get(c, "nonfinite");
    const mj_value *want_errors = mj_get(c, "errors");
    const mj_value *want_warnings = mj_get(c, "warnings");
    const mj_value *contains = mj_get(c, "message_contains");
    vxl_request *req = NULL;
    vxl_report *report = NULL;
    vxl_error *err = NULL;
    pair *errors = NULL;
    pair *warnings = NULL;
    size_t ne = 0, nw = 0, i;
    char *raw;
    char *json = NULL;
    vxl_status st;

    CHECK(input != NULL, "case without input");
    if (input == NULL) {
        return;
    }
    raw = mj_raw_dup(input);
    st = vxl_request_from_json(raw, &req, &err);
    free(raw);
    EXPECT_OK(st, err);
    if (req == NULL) {
        return;
    }
    /* Non-finite floats go through the typed setters, as the vectors' README says. */
    for (i = 0; nf != NULL && i < nf->len; i++) {
        float_setter set = float_setter_for(nf->keys[i]);
        double v = nonfinite(nf->items[i]->str);
        CHECK(set != NULL, "no float setter for %s", nf->keys[i]);
        CHECK(!isfinite(v), "unknown non-finite spelling %s", vt_s(nf->items[i]->str));
        if (set != NULL) {
            st = set(req, v, &err);
            EXPECT_OK(st, err);
        }
    }

    st = vxl_validate(req, &report, &err);
    EXPECT_OK(st, err);
    ne = vxl_report_error_count(report);
    nw = vxl_report_warning_count(report);
    errors = calloc(ne + 1, sizeof *errors);
    warnings = calloc(nw + 1, sizeof *warnings);
    for (i = 0; i < ne; i++) {
        vxl_violation v;
        st = vxl_report_error(report, i, &v, &err);
        EXPECT_OK(st, err);
        errors[i].field = v.field;
        errors[i].code = v.code;
        CHECK(v.message != NULL && v.message[0] != '\0', "error %zu has no message", i);
    }
    for (i = 0; i < nw; i++) {
        vxl_violation v;
        st = vxl_report_warning(report, i, &v, &err);
        EXPECT_OK(st, err);
        warnings[i].field = v.field;
        warnings[i].code = v.code;
        CHECK(v.message != NULL && v.message[0] != '\0', "warning %zu has no message", i);
    }
    compare_sets("errors", errors, ne, want_errors);
    compare_sets("warnings", warnings, nw, want_warnings);
    CHECK(vxl_report_is_valid(report) == (ne == 0), "is_valid disagrees with %zu errors", ne);

    for (i = 0; contains != NULL && i < contains->len; i++) {
        size_t j;
        int found = 0;
        for (j = 0; j < ne; j++) {
            vxl_violation v;
            if (vxl_report_error(report, j, &v, NULL) == VXL_OK &&
                vt_contains_ci(v.message, contains->items[i]->str)) {
                found = 1;
            }
        }
        CHECK(found, "no error message contains \"%s\"", contains->items[i]->str);
    }

    /* The same verdict where it matters: the wire JSON exists exactly when the request is
     * valid, and a refusal carries the same violations as the report. */
    st = vxl_request_to_json_dup(req, &json, &err);
    if (ne == 0) {
        CHECK(st == VXL_OK && json != NULL, "valid request without wire JSON: %s",
              vt_s(vxl_error_message(err)));
        if (json != NULL) {
            mj_value *wire = mj_parse(json, strlen(json));
            CHECK(wire != NULL && wire->type == MJ_OBJ, "wire JSON is not an object: %s", json);
            CHECK(mj_str(wire, "prompt") != NULL, "wire JSON without prompt: %s", json);
            CHECK(mj_str(wire, "size") != NULL, "wire JSON without size: %s", json);
            CHECK(mj_get(wire, "n") != NULL, "wire JSON without n: %s", json);
            mj_free(wire);
        }
        vxl_error_free(err);
        err = NULL;
    } else {
        CHECK(st == VXL_ERROR && json == NULL, "invalid request gave wire JSON (status %d)",
              (int)st);
        CHECK(vt_streq(vxl_error_code(err), "validation_error"), "code %s",
              vt_s(vxl_error_code(err)));
        CHECK(vxl_error_violation_count(err) == ne, "error carries %zu violations, report %zu",
              vxl_error_violation_count(err), ne);
        for (i = 0; i < vxl_error_violation_count(err); i++) {
            vxl_violation v;
            vxl_status vs = vxl_error_violation(err, i, &v, NULL);
            CHECK(vs == VXL_OK && pair_in(errors, ne, v.field, v.code),
                  "error violation %zu (%s, %s) not in the report", i, vt_s(v.field),
                  vt_s(v.code));
        }
        CHECK(vxl_error_http_status(err) == 0, "validation error with an HTTP status");
        vxl_error_free(err);
        err = NULL;
    }
    vxl_string_free(json);
    free(errors);
    free(warnings);
    vxl_report_free(report);
    vxl_request_free(req);
}

static void price_case(const mj_value *p) {
    const char *size = mj_str(p, "size");
    uint32_t n = (uint32_t)mj_get(p, "n")->num;
    uint32_t want = (uint32_t)mj_get(p, "credits")->num;
    uint32_t got = 0;
    vxl_error *err = NULL;
    vxl_status st = vxl_estimate_credits(size, n, &got, &err);
    EXPECT_OK(st, err);
    CHECK(got == want, "%s n=%u: %u credits, want %u", size, n, got, want);
}

static void invalid_price_case(const mj_value *c) {
    const char *size = mj_str(c, "size");
    const mj_value *images = mj_get(c, "images");
    vxl_error *err = NULL;
    vxl_status st;
    vxl_violation v;
    if (images != NULL) {
        static char sentinel;
        vxl_plan *plan = (vxl_plan *)(void *)&sentinel; /* must be reset to NULL on failure */
        st = vxl_plan_batches(size, (uint32_t)images->num, &plan, &err);
        CHECK(plan == NULL, "out not reset to NULL on failure");
        if (plan != (vxl_plan *)(void *)&sentinel) {
            vxl_plan_free(plan);
        }
    } else {
        uint32_t credits = 12345;
        st = vxl_estimate_credits(size, (uint32_t)mj_get(c, "n")->num, &credits, &err);
        CHECK(credits == 12345, "credits written on failure");
    }
    CHECK(st == VXL_ERROR, "status %d, want VXL_ERROR", (int)st);
    CHECK(vt_streq(vxl_error_code(err), "validation_error"), "code %s",
          vt_s(vxl_error_code(err)));
    CHECK(vxl_error_violation_count(err) == 1, "%zu violations",
          vxl_error_violation_count(err));
    CHECK(vxl_error_violation(err, 0, &v, NULL) == VXL_OK, "no violation 0");
    CHECK(vt_streq(v.field, mj_str(c, "field")), "field %s, want %s", vt_s(v.field),
          vt_s(mj_str(c, "field")));
    CHECK(vt_streq(v.code, mj_str(c, "code")), "code %s, want %s", vt_s(v.code),
          vt_s(mj_str(c, "code")));
    vxl_error_free(err);
}

static void plan_case(const mj_value *p) {
    const char *size = mj_str(p, "size");
    uint32_t images = (uint32_t)mj_get(p, "images")->num;
    const mj_value *calls = mj_get(p, "calls");
    uint32_t total = (uint32_t)mj_get(p, "total")->num;
    vxl_plan *plan = NULL;
    vxl_error *err = NULL;
    size_t i;
    vxl_status st = vxl_plan_batches(size, images, &plan, &err);
    EXPECT_OK(st, err);
    CHECK(vxl_plan_call_count(plan) == calls->len, "%s x%u: %zu calls, want %zu", size, images,
          vxl_plan_call_count(plan), calls->len);
    for (i = 0; i < calls->len && i < vxl_plan_call_count(plan); i++) {
        uint32_t n = 0;
        st = vxl_plan_call(plan, i, &n, &err);
        EXPECT_OK(st, err);
        CHECK(n == (uint32_t)calls->items[i]->num, "%s x%u: call %zu is %u, want %u", size,
              images, i, n, (uint32_t)calls->items[i]->num);
    }
    CHECK(vxl_plan_total_credits(plan) == total, "%s x%u: total %u, want %u", size, images,
          vxl_plan_total_credits(plan), total);
    CHECK(vxl_plan_images(plan) == images, "images %u", vxl_plan_images(plan));
    vxl_plan_free(plan);
}

/* True when the case lists `lang` in its "skip" array. */
static int skipped_for(const mj_value *c, const char *lang) {
    const mj_value *skip = mj_get(c, "skip");
    size_t i;
    for (i = 0; skip != NULL && skip->type == MJ_ARR && i < skip->len; i++) {
        if (skip->items[i]->type == MJ_STR && vt_streq(skip->items[i]->str, lang)) {
            return 1;
        }
    }
    return 0;
}

/* Sets `option` (snake_case) to `value` with the typed setter of the C API (durations in
 * milliseconds); 0 when the C API has no setter for it. */
static int set_option(vxl_client_options *opts, const char *option, double value,
                      vxl_error **err) {
    uint64_t ms = (uint64_t)(value * 1000.0 + 0.5);
    if (vt_streq(option, "requests_per_minute")) {
        return vxl_client_options_set_requests_per_minute(opts, (uint32_t)value, err) == VXL_OK;
    }
    if (vt_streq(option, "max_retries")) {
        return vxl_client_options_set_max_retries(opts, (uint32_t)value, err) == VXL_OK;
    }
    if (vt_streq(option, "budget")) {
        return vxl_client_options_set_budget(opts, (uint64_t)value, err) == VXL_OK;
    }
    if (vt_streq(option, "max_image_bytes")) {
        return vxl_client_options_set_max_image_bytes(opts, (uint64_t)value, err) == VXL_OK;
    }
    if (vt_streq(option, "timeout")) {
        return vxl_client_options_set_timeout_ms(opts, ms, err) == VXL_OK;
    }
    if (vt_streq(option, "connect_timeout")) {
        return vxl_client_options_set_connect_timeout_ms(opts, ms, err) == VXL_OK;
    }
    if (vt_streq(option, "download_timeout")) {
        return vxl_client_options_set_download_timeout_ms(opts, ms, err) == VXL_OK;
    }
    if (vt_streq(option, "poll_timeout")) {
        return vxl_client_options_set_poll_timeout_ms(opts, ms, err) == VXL_OK;
    }
    return 0;
}

/* One case of options.json: the option set with its C setter, then the client built. */
static void option_case(const mj_value *c) {
    const char *option = mj_str(c, "option");
    const mj_value *value = mj_get(c, "value");
    const mj_value *ok = mj_get(c, "ok");
    vxl_client_options *opts = NULL;
    vxl_client *client = NULL;
    vxl_error *err = NULL;
    vxl_violation v;
    EXPECT_OK(vxl_client_options_new(&opts, &err), err);
    EXPECT_OK(vxl_client_options_set_api_key(opts, "a-key-of-some-length", &err), err);
    EXPECT_OK(vxl_client_options_set_base_url(opts, "http://127.0.0.1:1", &err), err);
    CHECK(value != NULL && value->type == MJ_NUM, "%s: C cases need a number", vt_s(option));
    CHECK(set_option(opts, option, value != NULL ? value->num : 0, &err),
          "%s: no C setter, or the setter failed (%s)", vt_s(option),
          vt_s(err ? vxl_error_message(err) : NULL));
    vxl_error_free(err);
    err = NULL;
    if (ok != NULL && ok->boolean) {
        EXPECT_OK(vxl_client_new_with_options(opts, &client, &err), err);
    } else {
        CHECK(vxl_client_new_with_options(opts, &client, &err) == VXL_ERROR, "%s: built",
              vt_s(option));
        CHECK(vt_streq(vxl_error_code(err), "validation_error"), "code %s",
              vt_s(vxl_error_code(err)));
        CHECK(vxl_error_violation_count(err) == 1 &&
                  vxl_error_violation(err, 0, &v, NULL) == VXL_OK && vt_streq(v.field, option) &&
                  vt_streq(v.code, mj_str(c, "code")),
              "%s: %s", vt_s(option), vt_s(vxl_error_message(err)));
    }
    vxl_error_free(err);
    vxl_client_free(client);
    vxl_client_options_free(opts);
}

/* Whether two JSON values are equal (numbers by value, objects whatever their key order). */
static int json_equal(const mj_value *a, const mj_value *b) {
    size_t i;
    if (a == NULL || b == NULL || a->type != b->type) {
        return 0;
    }
    switch (a->type) {
    case MJ_NULL:
        return 1;
    case MJ_BOOL:
        return a->boolean == b->boolean;
    case MJ_NUM:
        return a->num == b->num;
    case MJ_STR:
        return strcmp(a->str, b->str) == 0;
    case MJ_ARR:
        if (a->len != b->len) {
            return 0;
        }
        for (i = 0; i < a->len; i++) {
            if (!json_equal(a->items[i], b->items[i])) {
                return 0;
            }
        }
        return 1;
    case MJ_OBJ:
        if (a->len != b->len) {
            return 0;
        }
        for (i = 0; i < a->len; i++) {
            if (!json_equal(a->items[i], mj_get(b, a->keys[i]))) {
                return 0;
            }
        }
        return 1;
    }
    return 0;
}

/* every_field.json through vxl_request_set_param: every parameter of the table set by its
 * SDK name, then by its wire name, from JSON text, serialises to the vector's wire object. */
static void every_field_by_name(const mj_value *doc, const char *spelling) {
    const mj_value *given = mj_get(doc, spelling);
    const mj_value *want = mj_get(doc, "wire");
    vxl_request *req = NULL;
    vxl_error *err = NULL;
    char *json = NULL;
    char *value;
    mj_value *got;
    size_t i;
    CHECK(given != NULL && want != NULL && given->len == 27, "every_field.json: %s",
          spelling);
    if (given == NULL || want == NULL) {
        return;
    }
    EXPECT_OK(vxl_request_new("placeholder", &req, &err), err);
    for (i = 0; i < given->len; i++) {
        value = mj_raw_dup(given->items[i]);
        EXPECT_OK(vxl_request_set_param(req, given->keys[i], value, &err), err);
        free(value);
    }
    EXPECT_OK(vxl_request_to_json_dup(req, &json, &err), err);
    got = json != NULL ? mj_parse(json, strlen(json)) : NULL;
    CHECK(json_equal(got, want), "by %s name: %s", spelling, vt_s(json));
    mj_free(got);
    vxl_string_free(json);
    /* An unknown name is refused with a suggestion; text that is not JSON names the field. */
    CHECK(vxl_request_set_param(req, "guidance_scal", "7", &err) == VXL_ERROR &&
              vt_streq(vxl_error_code(err), "validation_error") &&
              strstr(vt_s(vxl_error_message(err)), "guidance_scale") != NULL,
          "unknown name: %s", vt_s(vxl_error_message(err)));
    vxl_error_free(err);
    err = NULL;
    CHECK(vxl_request_set_param(req, "n", "two", &err) == VXL_ERROR &&
              vt_streq(vxl_error_code(err), "validation_error") &&
              strstr(vt_s(vxl_error_message(err)), "n") != NULL,
          "not JSON: %s", vt_s(vxl_error_message(err)));
    vxl_error_free(err);
    err = NULL;
    /* A value of the wrong type is stored and reported by validation, as by JSON. */
    EXPECT_OK(vxl_request_set_param(req, "leonardo_guidance_scale", "\"high\"", &err), err);
    CHECK(vxl_request_to_json_dup(req, &json, &err) == VXL_ERROR, "a string guidance passed");
    vxl_error_free(err);
    vxl_request_free(req);
}

static mj_value *load(const char *dir, const char *name, char **text) {
    char path[4096];
    size_t len = 0;
    mj_value *doc;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    *text = mj_read_file(path, &len);
    if (*text == NULL) {
        fprintf(stderr, "cannot read %s\n", path);
        return NULL;
    }
    doc = mj_parse(*text, len);
    if (doc == NULL) {
        fprintf(stderr, "cannot parse %s\n", path);
    }
    return doc;
}

int main(int argc, char **argv) {
    const char *dir = argc > 1 ? argv[1] : "tests/vectors";
    char *vtext = NULL;
    char *ptext = NULL;
    mj_value *vdoc = load(dir, "validation.json", &vtext);
    mj_value *pdoc = load(dir, "pricing.json", &ptext);
    char *otext = NULL;
    mj_value *odoc = load(dir, "options.json", &otext);
    char *ftext = NULL;
    mj_value *fdoc = NULL;
    const mj_value *list;
    size_t i;
    char name[300];

    vt_begin("vector files load");
    CHECK(vdoc != NULL && pdoc != NULL && odoc != NULL, "vector files missing in %s", dir);
    list = mj_get(vdoc, "cases");
    CHECK(list != NULL && list->len >= 80, "validation.json has too few cases");
    vt_end();

    for (i = 0; list != NULL && i < list->len; i++) {
        snprintf(name, sizeof name, "validation/%s", vt_s(mj_str(list->items[i], "id")));
        vt_begin(name);
        validation_case(list->items[i]);
        vt_end();
    }
    list = mj_get(pdoc, "prices");
    for (i = 0; list != NULL && i < list->len; i++) {
        snprintf(name, sizeof name, "price/%s/n=%d", vt_s(mj_str(list->items[i], "size")),
                 (int)mj_get(list->items[i], "n")->num);
        vt_begin(name);
        price_case(list->items[i]);
        vt_end();
    }
    list = mj_get(pdoc, "invalid");
    for (i = 0; list != NULL && i < list->len; i++) {
        snprintf(name, sizeof name, "pricing-invalid/%s", vt_s(mj_str(list->items[i], "id")));
        vt_begin(name);
        invalid_price_case(list->items[i]);
        vt_end();
    }
    list = mj_get(pdoc, "plans");
    for (i = 0; list != NULL && i < list->len; i++) {
        snprintf(name, sizeof name, "plan/%s/%d", vt_s(mj_str(list->items[i], "size")),
                 (int)mj_get(list->items[i], "images")->num);
        vt_begin(name);
        plan_case(list->items[i]);
        vt_end();
    }
    list = mj_get(odoc, "cases");
    for (i = 0; list != NULL && i < list->len; i++) {
        if (skipped_for(list->items[i], "c")) {
            continue;
        }
        snprintf(name, sizeof name, "options/%s", vt_s(mj_str(list->items[i], "id")));
        vt_begin(name);
        option_case(list->items[i]);
        vt_end();
    }
    fdoc = load(dir, "every_field.json", &ftext);
    vt_begin("every_field/set_param by sdk name");
    every_field_by_name(fdoc, "sdk");
    vt_end();
    vt_begin("every_field/set_param by wire name");
    every_field_by_name(fdoc, "wire");
    vt_end();
    mj_free(fdoc);
    free(ftext);
    mj_free(vdoc);
    mj_free(pdoc);
    mj_free(odoc);
    free(vtext);
    free(ptext);
    free(otext);
    return vt_summary("test_vectors");
}
