/* Proves the thread-safety claims of the header for the handles that need no network:
 *  - a const vxl_request may be validated, serialised and priced by many threads at once;
 *  - a vxl_report, vxl_plan and vxl_error are immutable and readable from many threads;
 *  - independent handles on different threads never interfere (no hidden global state).
 * Every thread compares what it reads with what the main thread read alone. */
#include <pthread.h>

#include "vxl_test.h"

enum { THREADS = 8, ROUNDS = 40 };

typedef struct shared {
    const vxl_request *req;
    const vxl_report *report;
    const vxl_plan *plan;
    const vxl_error *err;
    const char *want_json;
    size_t want_warnings;
    uint32_t want_credits;
} shared;

typedef struct result {
    int mismatches;
    int calls;
} result;

typedef struct job {
    const shared *s;
    result r;
    unsigned id;
} job;

/* Runs `fn` on THREADS threads at once, each with a job of its own sharing `s`, and adds up
 * what they found. */
static result run_jobs(void *(*fn)(void *), const shared *s) {
    pthread_t threads[THREADS];
    job jobs[THREADS];
    result total = {0, 0};
    int i, started = 0;
    for (i = 0; i < THREADS; i++) {
        jobs[i].s = s;
        jobs[i].r.mismatches = 0;
        jobs[i].r.calls = 0;
        jobs[i].id = (unsigned)i;
        if (pthread_create(&threads[i], NULL, fn, &jobs[i]) == 0) {
            started++;
        }
    }
    CHECK(started == THREADS, "started %d threads", started);
    for (i = 0; i < started; i++) {
        pthread_join(threads[i], NULL);
        total.mismatches += jobs[i].r.mismatches;
        total.calls += jobs[i].r.calls;
    }
    return total;
}

static void *reader(void *arg) {
    job *j = arg;
    const shared *s = j->s;
    int round;
    for (round = 0; round < ROUNDS; round++) {
        char *json = NULL;
        vxl_report *report = NULL;
        uint32_t credits = 0;
        vxl_violation v;
        size_t i;
        if (vxl_request_to_json_dup(s->req, &json, NULL) != VXL_OK || !vt_streq(json, s->want_json)) {
            j->r.mismatches++;
        }
        vxl_string_free(json);
        if (vxl_validate(s->req, &report, NULL) != VXL_OK || !vxl_report_is_valid(report) ||
            vxl_report_warning_count(report) != s->want_warnings) {
            j->r.mismatches++;
        }
        vxl_report_free(report);
        if (vxl_request_credits(s->req, &credits, NULL) != VXL_OK || credits != s->want_credits) {
            j->r.mismatches++;
        }
        for (i = 0; i < vxl_report_warning_count(s->report); i++) {
            if (vxl_report_warning(s->report, i, &v, NULL) != VXL_OK || v.message == NULL) {
                j->r.mismatches++;
            }
        }
        if (vxl_plan_total_credits(s->plan) != 494 || vxl_plan_call_count(s->plan) != 2) {
            j->r.mismatches++;
        }
        if (!vt_streq(vxl_error_code(s->err), "validation_error") ||
            vxl_error_violation(s->err, 0, &v, NULL) != VXL_OK || !vt_streq(v.field, "n")) {
            j->r.mismatches++;
        }
        j->r.calls += 6;
    }
    return NULL;
}

static void shared_const_handles_are_read_concurrently(void) {
    vxl_request *req = NULL;
    vxl_report *report = NULL;
    vxl_plan *plan = NULL;
    vxl_error *verr = NULL;
    vxl_error *err = NULL;
    char *json = NULL;
    uint32_t credits = 0;
    shared s;
    result total;

    EXPECT_OK(vxl_request_from_json("{\"prompt\":\"a harbour at night\",\"size\":\"512x512\","
                                    "\"leonardo_preset_style\":\"leonardo\","
                                    "\"leonardo_seed\":7}",
                                    &req, &err),
              err);
    EXPECT_OK(vxl_request_to_json_dup(req, &json, &err), err);
    EXPECT_OK(vxl_validate(req, &report, &err), err);
    EXPECT_OK(vxl_request_credits(req, &credits, &err), err);
    EXPECT_OK(vxl_plan_batches("512x512", 5, &plan, &err), err);
    CHECK(vxl_estimate_credits("512x512", 7, &credits, &verr) == VXL_ERROR, "n=7");
    CHECK(vxl_report_warning_count(report) == 2, "warnings: price hint and unusual style, got %zu",
          vxl_report_warning_count(report));
    s.req = req;
    s.report = report;
    s.plan = plan;
    s.err = verr;
    s.want_json = json;
    s.want_warnings = vxl_report_warning_count(report);
    s.want_credits = 234;
    total = run_jobs(reader, &s);
    CHECK(total.mismatches == 0, "%d of %d concurrent reads disagreed", total.mismatches,
          total.calls);
    CHECK(total.calls == THREADS * ROUNDS * 6, "%d calls", total.calls);
    vxl_error_free(verr);
    vxl_plan_free(plan);
    vxl_report_free(report);
    vxl_string_free(json);
    vxl_request_free(req);
}

static void *builder(void *arg) {
    job *j = arg;
    int round;
    char prompt[64];
    for (round = 0; round < ROUNDS; round++) {
        vxl_request *req = NULL;
        char *json = NULL;
        char want[160];
        uint32_t n = (j->id + (unsigned)round) % 4 + 1;
        snprintf(prompt, sizeof prompt, "thread %u round %d", j->id, round);
        if (vxl_request_new(prompt, &req, NULL) != VXL_OK ||
            vxl_request_set_n(req, n, NULL) != VXL_OK ||
            vxl_request_set_seed(req, (uint64_t)j->id * 1000u + (uint64_t)round, NULL) != VXL_OK ||
            vxl_request_to_json_dup(req, &json, NULL) != VXL_OK) {
            j->r.mismatches++;
        } else {
            snprintf(want, sizeof want,
                     "{\"prompt\":\"%s\",\"size\":\"1024x1024\",\"n\":%u,\"leonardo_seed\":%u}",
                     prompt, n, j->id * 1000u + (unsigned)round);
            if (!vt_streq(json, want)) {
                j->r.mismatches++;
            }
        }
        vxl_string_free(json);
        vxl_request_free(req);
        j->r.calls++;
    }
    return NULL;
}

static void independent_handles_on_many_threads(void) {
    result total;
    total = run_jobs(builder, NULL);
    CHECK(total.mismatches == 0, "%d of %d requests built on threads were wrong",
          total.mismatches, total.calls);
    CHECK(total.calls == THREADS * ROUNDS, "%d calls", total.calls);
}

int main(void) {
    RUN(shared_const_handles_are_read_concurrently);
    RUN(independent_handles_on_many_threads);
    return vt_summary("test_threads");
}
