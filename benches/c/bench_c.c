/* libvisionxl against a bare libcurl loop, side by side, against a running emulator.
 *
 *   bench_c --url http://127.0.0.1:PORT --key vxl-emulator-key [options]
 *   (or ONEMIN_BASE_URL / ONEMIN_API_KEY in the environment)
 *
 * Measures, in interleaved rounds (ABBA order, so drift in machine load hits both sides alike):
 *   (a) vxl_generate through libvisionxl: one client, one request ("a benchmark of
 *       lighthouses", 1024x768, n 2, seed 1), pacing off (requests_per_minute 0);
 *   (b) a bare libcurl loop doing the same POST /api/features (the same promptObject, from
 *       vxl_request_to_json_dup, in the same body; API-KEY header; one easy handle reused, so
 *       the connection is kept alive; the whole answer read into memory; status 200 checked);
 *   (c) with no network: building a request (vxl_request_new + 3 setters), validating and
 *       serialising it (vxl_request_to_json_dup) and freeing it, in ns per call;
 *   (c') the same for the every-field request of tests/vectors/every_field.json (shared with
 *       the other languages' core benchmarks; C has no setter by name, so it is parsed from the
 *       case's wire JSON with vxl_request_from_json and validated with vxl_validate), next to
 *       the same body written with snprintf around that JSON (no validation).
 * With --threads T (default 8; 0 skips it) the same comparison again with T threads, each with
 * its own client and its own curl handle.
 *
 * Defaults: 30 rounds x 500 requests per side (sequential), 10 rounds x 200 requests per
 * thread and side (threaded), 500000 request builds: a few seconds in all.
 *
 * Generation calls only create records on the emulator: no image is downloaded.
 * Only loopback URLs are accepted; proxies are never used.
 *
 * Prints RESULT lines (c_client sequential/threads, c_request_build) and exits 0, or 1 on any
 * failed request.
 */
#define _POSIX_C_SOURCE 200809L

#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <visionxl.h>

#include "minijson.h" /* tests/c: reads tests/vectors */

#define PROMPT "a benchmark of lighthouses"
#define SIZE "1024x768"
#define N_IMAGES 2
#define SEED 1
#define MODEL_ID "5c232a9e-9061-4777-980a-ddc8e65647c6"

struct settings {
    const char *url;
    const char *key;
    int rounds;       /* sequential rounds (each side runs per_round requests per round) */
    int per_round;    /* requests per side and round, sequential */
    int threads;      /* 0: no threaded comparison */
    int thread_rounds;
    int per_thread;   /* requests per thread, side and round */
    long build_iters; /* (c) */
    const char *every_field; /* tests/vectors/every_field.json, for (c') */
};

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die_vxl(const char *what, vxl_error *err) {
    fprintf(stderr, "bench_c: %s failed: %s: %s\n", what, err ? vxl_error_code(err) : "?",
            err ? vxl_error_message(err) : "?");
    vxl_error_free(err);
    exit(1);
}

/* Only http:// to a loopback host: 127.x.y.z (digits and dots only), localhost or [::1]. */
static int is_loopback_url(const char *url) {
    const char *host, *p;
    size_t len;
    if (strncmp(url, "http://", 7) != 0) {
        return 0;
    }
    host = url + 7;
    if (strncmp(host, "[::1]", 5) == 0) {
        return host[5] == ':' || host[5] == '/' || host[5] == '\0';
    }
    len = strcspn(host, ":/");
    if (len == 9 && strncmp(host, "localhost", 9) == 0) {
        return 1;
    }
    if (len < 4 || strncmp(host, "127.", 4) != 0) {
        return 0;
    }
    for (p = host; p < host + len; p++) {
        if ((*p < '0' || *p > '9') && *p != '.') {
            return 0;
        }
    }
    return 1;
}

/* ---- (a) libvisionxl ------------------------------------------------------------------- */

static vxl_request *make_request(void) {
    vxl_request *req = NULL;
    vxl_error *err = NULL;
    if (vxl_request_new(PROMPT, &req, &err) != VXL_OK ||
        vxl_request_set_size(req, SIZE, &err) != VXL_OK ||
        vxl_request_set_n(req, N_IMAGES, &err) != VXL_OK ||
        vxl_request_set_seed(req, SEED, &err) != VXL_OK) {
        die_vxl("building the request", err);
    }
    return req;
}

/* The every-field request (tests/vectors/every_field.json, shared with the Rust, Python and
 * Node benchmarks): its `wire` promptObject as compact JSON, set once by load_every_field. */
static char *every_field_wire;

/* Reads the case's `wire` object and keeps it as the SDK serialises it (compact). */
static void load_every_field(const char *path) {
    size_t len = 0;
    char *text = mj_read_file(path, &len), *raw = NULL;
    mj_value *doc = text != NULL ? mj_parse(text, len) : NULL;
    const mj_value *wire = mj_get(doc, "wire");
    vxl_request *req = NULL;
    vxl_error *err = NULL;
    if (wire == NULL || wire->type != MJ_OBJ || (raw = mj_raw_dup(wire)) == NULL) {
        fprintf(stderr, "bench_c: cannot read the \"wire\" object of %s\n", path);
        exit(2);
    }
    if (vxl_request_from_json(raw, &req, &err) != VXL_OK ||
        vxl_request_to_json_dup(req, &every_field_wire, &err) != VXL_OK) {
        die_vxl("reading every_field.json", err);
    }
    vxl_request_free(req);
    free(raw);
    mj_free(doc);
    free(text);
}

/* Every field set: parsed from the case's wire JSON and validated (refused unless valid). */
static vxl_request *make_full_request(void) {
    vxl_request *req = NULL;
    vxl_report *report = NULL;
    vxl_error *err = NULL;
    if (vxl_request_from_json(every_field_wire, &req, &err) != VXL_OK ||
        vxl_validate(req, &report, &err) != VXL_OK) {
        die_vxl("building the full request", err);
    }
    if (!vxl_report_is_valid(report)) {
        fprintf(stderr, "bench_c: every_field.json is not a valid request\n");
        exit(1);
    }
    vxl_report_free(report);
    return req;
}

/* The same body written by hand with snprintf around the case's wire JSON: no validation (the
 * C baseline). */
static size_t hand_written_body(char *buf, size_t cap) {
    int n = snprintf(buf, cap,
                     "{\"type\":\"IMAGE_GENERATOR\",\"model\":\"%s\",\"promptObject\":%s,"
                     "\"async\":false}",
                     MODEL_ID, every_field_wire);
    return n < 0 || (size_t)n >= cap ? 0 : (size_t)n;
}

static vxl_client *make_client(const struct settings *s) {
    vxl_client_options *opts = NULL;
    vxl_client *client = NULL;
    vxl_error *err = NULL;
    if (vxl_client_options_new(&opts, &err) != VXL_OK ||
        vxl_client_options_set_api_key(opts, s->key, &err) != VXL_OK ||
        vxl_client_options_set_base_url(opts, s->url, &err) != VXL_OK ||
        /* Pacing off: the default 180 requests per minute is the live service's limit. */
        vxl_client_options_set_requests_per_minute(opts, 0, &err) != VXL_OK ||
        vxl_client_new_with_options(opts, &client, &err) != VXL_OK) {
        vxl_client_options_free(opts);
        die_vxl("creating the client", err);
    }
    vxl_client_options_free(opts);
    return client;
}

/* n generations; returns the failures. */
static int client_loop(vxl_client *client, const vxl_request *req, int n) {
    int i, failures = 0;
    for (i = 0; i < n; i++) {
        vxl_generation *gen = NULL;
        vxl_error *err = NULL;
        if (vxl_generate(client, req, &gen, &err) != VXL_OK ||
            vxl_generation_image_count(gen) != N_IMAGES) {
            if (failures++ == 0) {
                fprintf(stderr, "bench_c: vxl_generate: %s: %s\n", err ? vxl_error_code(err) : "?",
                        err ? vxl_error_message(err) : "wrong image count");
            }
        }
        vxl_error_free(err);
        vxl_generation_free(gen);
    }
    return failures;
}

/* ---- (b) bare libcurl ------------------------------------------------------------------ */

struct buf {
    char *data;
    size_t len, cap;
};

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *userdata) {
    struct buf *b = userdata;
    size_t n = size * nmemb;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        char *p;
        while (cap < b->len + n + 1) {
            cap *= 2;
        }
        p = realloc(b->data, cap);
        if (p == NULL) {
            return 0; /* makes curl fail the transfer */
        }
        b->data = p;
        b->cap = cap;
    }
    memcpy(b->data + b->len, ptr, n);
    b->len += n;
    b->data[b->len] = '\0';
    return n;
}

struct bare {
    CURL *curl;
    struct curl_slist *headers;
    struct buf answer;
    char *body;
};

static void bare_init(struct bare *b, const struct settings *s, const char *body) {
    char url[1024], key_header[1024];
    memset(b, 0, sizeof *b);
    b->body = strdup(body);
    b->curl = curl_easy_init();
    if (b->curl == NULL || b->body == NULL) {
        fprintf(stderr, "bench_c: curl_easy_init failed\n");
        exit(1);
    }
    snprintf(url, sizeof url, "%s/api/features", s->url);
    snprintf(key_header, sizeof key_header, "API-KEY: %s", s->key);
    b->headers = curl_slist_append(b->headers, key_header);
    b->headers = curl_slist_append(b->headers, "Content-Type: application/json");
    curl_easy_setopt(b->curl, CURLOPT_URL, url);
    curl_easy_setopt(b->curl, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(b->curl, CURLOPT_HTTPHEADER, b->headers);
    curl_easy_setopt(b->curl, CURLOPT_POSTFIELDS, b->body);
    curl_easy_setopt(b->curl, CURLOPT_POSTFIELDSIZE, (long)strlen(b->body));
    curl_easy_setopt(b->curl, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(b->curl, CURLOPT_WRITEDATA, &b->answer);
    curl_easy_setopt(b->curl, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(b->curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(b->curl, CURLOPT_TIMEOUT, 30L);
}

static void bare_free(struct bare *b) {
    curl_easy_cleanup(b->curl);
    curl_slist_free_all(b->headers);
    free(b->answer.data);
    free(b->body);
}

/* n POSTs on one handle (keep-alive); returns the failures. */
static int bare_loop(struct bare *b, int n) {
    int i, failures = 0;
    for (i = 0; i < n; i++) {
        long status = 0;
        CURLcode rc;
        b->answer.len = 0;
        rc = curl_easy_perform(b->curl);
        curl_easy_getinfo(b->curl, CURLINFO_RESPONSE_CODE, &status);
        if (rc != CURLE_OK || status != 200 || b->answer.data == NULL ||
            strstr(b->answer.data, "\"SUCCESS\"") == NULL) {
            if (failures++ == 0) {
                fprintf(stderr, "bench_c: curl: %s, HTTP %ld\n", curl_easy_strerror(rc), status);
            }
        }
    }
    return failures;
}

/* The body libcurl sends: the client's own promptObject in the service's envelope. */
static char *request_body(const vxl_request *req) {
    char *prompt_object = NULL, *body;
    vxl_error *err = NULL;
    size_t len;
    if (vxl_request_to_json_dup(req, &prompt_object, &err) != VXL_OK) {
        die_vxl("serialising the request", err);
    }
    len = strlen(prompt_object) + 128;
    body = malloc(len);
    if (body == NULL) {
        exit(1);
    }
    snprintf(body, len, "{\"type\":\"IMAGE_GENERATOR\",\"model\":\"%s\",\"promptObject\":%s}",
             MODEL_ID, prompt_object);
    vxl_string_free(prompt_object);
    return body;
}

/* ---- threads ------------------------------------------------------------------------------ */

struct worker {
    pthread_t thread;
    const struct settings *s;
    const char *body;
    int side; /* 0 bare, 1 client */
    int n;
    int failures;
    vxl_client *client;
    const vxl_request *req;
    struct bare bare;
    pthread_barrier_t *start;
};

static void *worker_main(void *arg) {
    struct worker *w = arg;
    pthread_barrier_wait(w->start);
    w->failures = w->side ? client_loop(w->client, w->req, w->n) : bare_loop(&w->bare, w->n);
    return NULL;
}

/* One threaded round of one side: T threads, n requests each; returns the wall time. */
static double threaded_round(struct worker *ws, int threads, int side, int n, int *failures) {
    pthread_barrier_t start;
    double t0, t1;
    int i;
    pthread_barrier_init(&start, NULL, (unsigned)threads + 1);
    for (i = 0; i < threads; i++) {
        ws[i].side = side;
        ws[i].n = n;
        ws[i].failures = 0;
        ws[i].start = &start;
        if (pthread_create(&ws[i].thread, NULL, worker_main, &ws[i]) != 0) {
            fprintf(stderr, "bench_c: pthread_create failed\n");
            exit(1);
        }
    }
    t0 = now_s();
    pthread_barrier_wait(&start);
    for (i = 0; i < threads; i++) {
        pthread_join(ws[i].thread, NULL);
        *failures += ws[i].failures;
    }
    t1 = now_s();
    pthread_barrier_destroy(&start);
    return t1 - t0;
}

/* ---- main --------------------------------------------------------------------------------- */

static void usage(void) {
    fprintf(stderr,
            "usage: bench_c [--url URL] [--key KEY] [--rounds R] [--per-round N] [--threads T]\n"
            "               [--thread-rounds R] [--per-thread N] [--build-iters N]\n"
            "               [--every-field PATH (default tests/vectors/every_field.json)]\n"
            "URL and KEY default to ONEMIN_BASE_URL and ONEMIN_API_KEY; URL must be loopback.\n");
    exit(2);
}

int main(int argc, char **argv) {
    struct settings s = {NULL, NULL, 30, 500, 8, 10, 200, 500000, "tests/vectors/every_field.json"};
    vxl_request *req;
    vxl_client *client;
    struct bare bare;
    char *body;
    double t_client = 0, t_bare = 0, t0;
    int r, i, failures = 0;
    long k;

    setvbuf(stdout, NULL, _IOLBF, 0); /* each RESULT line as it comes, even into a pipe */
    s.url = getenv("ONEMIN_BASE_URL");
    s.key = getenv("ONEMIN_API_KEY");
    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (v == NULL) {
            usage();
        }
        if (strcmp(a, "--url") == 0) {
            s.url = v;
        } else if (strcmp(a, "--key") == 0) {
            s.key = v;
        } else if (strcmp(a, "--rounds") == 0) {
            s.rounds = atoi(v);
        } else if (strcmp(a, "--per-round") == 0) {
            s.per_round = atoi(v);
        } else if (strcmp(a, "--threads") == 0) {
            s.threads = atoi(v);
        } else if (strcmp(a, "--thread-rounds") == 0) {
            s.thread_rounds = atoi(v);
        } else if (strcmp(a, "--per-thread") == 0) {
            s.per_thread = atoi(v);
        } else if (strcmp(a, "--build-iters") == 0) {
            s.build_iters = atol(v);
        } else if (strcmp(a, "--every-field") == 0) {
            s.every_field = v;
        } else {
            usage();
        }
        i++;
    }
    if (s.url == NULL || s.key == NULL || s.rounds < 1 || s.per_round < 1 || s.threads < 0 ||
        s.thread_rounds < 1 || s.per_thread < 1 || s.build_iters < 1) {
        usage();
    }
    if (!is_loopback_url(s.url)) {
        fprintf(stderr, "bench_c: refusing %s: only http:// to a loopback host\n", s.url);
        return 2;
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        fprintf(stderr, "bench_c: curl_global_init failed\n");
        return 1;
    }
    printf("visionxl %s, %s\n", vxl_version(), curl_version());

    load_every_field(s.every_field);
    req = make_request();
    body = request_body(req);
    printf("body (%zu bytes): %s\n", strlen(body), body);

    /* (c) no network: build + validate + serialise, ns per call. */
    {
        double t;
        size_t sink = 0, json_len = 0;
        for (k = 0; k < s.build_iters / 10 + 1; k++) { /* warm-up */
            vxl_request *q = make_request();
            char *json = NULL;
            if (vxl_request_to_json_dup(q, &json, NULL) != VXL_OK) {
                return 1;
            }
            sink += strlen(json);
            vxl_string_free(json);
            vxl_request_free(q);
        }
        t0 = now_s();
        for (k = 0; k < s.build_iters; k++) {
            vxl_request *q = make_request();
            char *json = NULL;
            vxl_error *err = NULL;
            if (vxl_request_to_json_dup(q, &json, &err) != VXL_OK) {
                die_vxl("vxl_request_to_json_dup", err);
            }
            json_len = strlen(json);
            sink += json_len;
            vxl_string_free(json);
            vxl_request_free(q);
        }
        t = now_s() - t0;
        printf("RESULT c_request_build iters=%ld ns_per_call=%.0f (new + 3 setters + "
               "to_json_dup + free; %zu bytes of JSON; checksum %zu)\n",
               s.build_iters, t * 1e9 / (double)s.build_iters, json_len, sink);
    }

    /* (c') every field set, next to the same body written by hand with snprintf. */
    {
        double t_sdk = 1e300, t_hand = 1e300;
        size_t sink = 0;
        char buf[2048];
        long full_iters = s.build_iters / 5 + 1;
        int r;
        for (r = 0; r < 7; r++) {
            double t;
            t0 = now_s();
            for (k = 0; k < full_iters; k++) {
                vxl_request *q = make_full_request();
                char *json = NULL;
                vxl_error *err = NULL;
                if (vxl_request_to_json_dup(q, &json, &err) != VXL_OK) {
                    die_vxl("vxl_request_to_json_dup", err);
                }
                sink += strlen(json);
                vxl_string_free(json);
                vxl_request_free(q);
            }
            t = now_s() - t0;
            t_sdk = t < t_sdk ? t : t_sdk;
            t0 = now_s();
            for (k = 0; k < full_iters; k++) {
                char *copy;
                size_t len = hand_written_body(buf, sizeof buf);
                copy = malloc(len + 1); /* what to_json_dup hands over: an owned string */
                if (copy == NULL) {
                    return 1;
                }
                memcpy(copy, buf, len + 1);
                sink += strlen(copy);
                free(copy);
            }
            t = now_s() - t0;
            t_hand = t < t_hand ? t : t_hand;
        }
        printf("RESULT c_core sdk_ns_per_call=%.0f hand_snprintf_ns_per_call=%.0f "
               "ratio_sdk_over_hand=%.2f (every field; best of 7 x %ld; checksum %zu)\n",
               t_sdk * 1e9 / (double)full_iters, t_hand * 1e9 / (double)full_iters,
               t_sdk / t_hand, full_iters, sink);
    }

    /* (a) vs (b), sequential. One warm-up round each (connections, caches). */
    client = make_client(&s);
    bare_init(&bare, &s, body);
    failures += client_loop(client, req, 20) + bare_loop(&bare, 20);
    for (r = 0; r < s.rounds; r++) {
        int side, j;
        for (j = 0; j < 2; j++) {
            side = (r % 2) ^ j; /* ABBA */
            t0 = now_s();
            if (side) {
                failures += client_loop(client, req, s.per_round);
                t_client += now_s() - t0;
            } else {
                failures += bare_loop(&bare, s.per_round);
                t_bare += now_s() - t0;
            }
        }
    }
    {
        double calls = (double)s.rounds * s.per_round;
        printf("RESULT c_client sequential bare_curl_rps=%.0f visionxl_rps=%.0f ratio=%.3f "
               "(%d rounds x %d requests per side)\n",
               calls / t_bare, calls / t_client, t_bare / t_client, s.rounds, s.per_round);
    }
    bare_free(&bare);
    vxl_client_free(client);

    /* The same with T threads, each with its own client and curl handle. */
    if (s.threads > 0) {
        struct worker *ws = calloc((size_t)s.threads, sizeof *ws);
        double tc = 0, tb = 0, calls;
        if (ws == NULL) {
            return 1;
        }
        for (i = 0; i < s.threads; i++) {
            ws[i].s = &s;
            ws[i].req = req;
            ws[i].client = make_client(&s);
            bare_init(&ws[i].bare, &s, body);
        }
        threaded_round(ws, s.threads, 1, 10, &failures); /* warm-up */
        threaded_round(ws, s.threads, 0, 10, &failures);
        for (r = 0; r < s.thread_rounds; r++) {
            int j;
            for (j = 0; j < 2; j++) {
                int side = (r % 2) ^ j;
                double t = threaded_round(ws, s.threads, side, s.per_thread, &failures);
                if (side) {
                    tc += t;
                } else {
                    tb += t;
                }
            }
        }
        calls = (double)s.thread_rounds * s.per_thread * s.threads;
        printf("RESULT c_client threads=%d bare_curl_rps=%.0f visionxl_rps=%.0f ratio=%.3f "
               "(%d rounds x %d requests per thread and side; a client and a handle per "
               "thread)\n",
               s.threads, calls / tb, calls / tc, tb / tc, s.thread_rounds, s.per_thread);
        for (i = 0; i < s.threads; i++) {
            vxl_client_free(ws[i].client);
            bare_free(&ws[i].bare);
        }
        free(ws);
    }

    vxl_request_free(req);
    free(body);
    curl_global_cleanup();
    if (failures > 0) {
        fprintf(stderr, "bench_c: %d requests failed\n", failures);
        return 1;
    }
    return 0;
}
