/* A minimal test harness for the C tests of libvisionxl.
 *
 * A test case is a function run with RUN(fn) (or a named block between vt_begin/vt_end);
 * CHECK records a failed expectation with its location and goes on. Each program ends with
 * vt_summary(), which prints "NAME: N passed, M failed" (cases, not checks) and returns the
 * exit status. The runner (run.sh) adds the programs' lines up. */
#ifndef VXL_TEST_H
#define VXL_TEST_H

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "visionxl.h"

static int vt_passed;
static int vt_failed;
static int vt_quiet; /* set by the harness's own tests: failed checks are counted (and their
                       * messages formatted), not printed */
static int vt_case_failures;
static const char *vt_case;
static char vt_case_buf[512];

static inline void vt_begin(const char *name) {
    snprintf(vt_case_buf, sizeof vt_case_buf, "%s", name);
    vt_case = vt_case_buf;
    vt_case_failures = 0;
}

static inline void vt_end(void) {
    if (vt_case_failures == 0) {
        vt_passed++;
    } else {
        vt_failed++;
        fprintf(stderr, "not ok: %s (%d failed checks)\n", vt_case, vt_case_failures);
    }
    fflush(stderr);
}

#define RUN(fn)                                                                                  \
    do {                                                                                         \
        vt_begin(#fn);                                                                           \
        fn();                                                                                    \
        vt_end();                                                                                \
    } while (0)

/* CHECK(condition, printf-format, args...): the format is required (ISO C needs one argument
 * for the "..."). */
#define CHECK(cond, ...)                                                                         \
    do {                                                                                         \
        if (!(cond)) {                                                                           \
            char vt_msg_[2048];                                                                  \
            vt_case_failures++;                                                                  \
            snprintf(vt_msg_, sizeof vt_msg_, __VA_ARGS__);                                      \
            if (!vt_quiet) {                                                                     \
                fprintf(stderr, "%s:%d: [%s] check failed: %s: %s\n", __FILE__, __LINE__,       \
                        vt_case, #cond, vt_msg_);                                                \
            }                                                                                    \
        }                                                                                        \
    } while (0)

/* Null-safe string equality. */
static inline int vt_streq(const char *a, const char *b) {
    return a != NULL && b != NULL && strcmp(a, b) == 0;
}

static inline const char *vt_s(const char *s) {
    return s != NULL ? s : "(null)";
}

/* Case-insensitive (ASCII) substring test. */
static inline int vt_contains_ci(const char *hay, const char *needle) {
    size_t n, i, j;
    if (hay == NULL || needle == NULL) {
        return 0;
    }
    n = strlen(needle);
    for (i = 0; hay[i] != '\0'; i++) {
        for (j = 0; j < n && hay[i + j] != '\0'; j++) {
            if (tolower((unsigned char)hay[i + j]) != tolower((unsigned char)needle[j])) {
                break;
            }
        }
        if (j == n) {
            return 1;
        }
    }
    return n == 0;
}

/* The EXPECT_ macros evaluate their status argument exactly once (it is usually the call under
 * test, and a second evaluation could send a second, paid request); `err` must be a plain
 * vxl_error * variable (it is read, freed and set to NULL). */

/* EXPECT_ERR(status, err, want_status, want_code): the call returned want_status and filled
 * err with an error of want_code (and a non-empty message); frees err and sets it to NULL. */
#define EXPECT_ERR(st, err, want_status, want_code)                                              \
    do {                                                                                         \
        const vxl_status vt_st_ = (st);                                                          \
        const vxl_status vt_want_st_ = (want_status);                                            \
        const char *const vt_want_code_ = (want_code);                                           \
        CHECK(vt_st_ == vt_want_st_, "status %d, want %d", (int)vt_st_, (int)vt_want_st_);      \
        CHECK((err) != NULL, "no error was filled for status %d", (int)vt_st_);                 \
        CHECK(vt_streq(vxl_error_code(err), vt_want_code_), "code %s (%s), want %s",            \
              vt_s(vxl_error_code(err)), vt_s(vxl_error_message(err)), vt_want_code_);          \
        CHECK(vxl_error_message(err) != NULL && vxl_error_message(err)[0] != '\0',              \
              "empty message for code %s", vt_s(vxl_error_code(err)));                          \
        vxl_error_free(err);                                                                     \
        (err) = NULL;                                                                            \
    } while (0)

/* EXPECT_OK(status, err): the call succeeded and left err untouched (NULL). On failure the
 * error is printed and freed. */
#define EXPECT_OK(st, err)                                                                       \
    do {                                                                                         \
        const vxl_status vt_st_ = (st);                                                          \
        CHECK(vt_st_ == VXL_OK, "status %d: %s: %s", (int)vt_st_, vt_s(vxl_error_code(err)),    \
              vt_s(vxl_error_message(err)));                                                     \
        vxl_error_free(err);                                                                     \
        (err) = NULL;                                                                            \
    } while (0)

/* Prints the closing line and returns the exit status for main. */
static inline int vt_summary(const char *program) {
    printf("%s: %d passed, %d failed\n", program, vt_passed, vt_failed);
    fflush(stdout);
    return vt_failed == 0 ? 0 : 1;
}

#endif
