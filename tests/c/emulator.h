/* Runs the visionxl emulator binary for a C test and talks to its control endpoints.
 *
 * emu_start spawns `$VISIONXL_EMULATOR --port 0 [--keys FILE]` (the runner sets the variable to
 * target/debug/visionxl-emulator), reads the base URL from the first line of its stdout, and
 * emu_stop ends it (SIGTERM, then waits). emu_http sends one plain HTTP/1.1 request to it
 * over loopback (the fault, ledger and reset endpoints). Header-only; POSIX. */
#ifndef VXL_TEST_EMULATOR_H
#define VXL_TEST_EMULATOR_H

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

typedef struct emu {
    pid_t pid;
    int out_fd; /* read end of its stdout, kept open so it never gets SIGPIPE */
    char base_url[256];
    unsigned short port;
} emu;

/* Starts the emulator; returns 1 on success. `keys_file` may be NULL; `latency_ms` is how long
 * a generation takes (`--latency-ms`: a synchronous POST answers after it, an async record
 * stays PROCESSING that long). */
static inline int emu_start_with(emu *e, const char *keys_file, unsigned latency_ms) {
    const char *bin = getenv("VISIONXL_EMULATOR");
    int fds[2];
    posix_spawn_file_actions_t fa;
    char *argv[9];
    char latency[24];
    int argc = 0;
    size_t n = 0;
    char c;
    const char *colon;
    memset(e, 0, sizeof *e);
    e->pid = -1;
    e->out_fd = -1;
    if (bin == NULL || bin[0] == '\0') {
        fprintf(stderr, "VISIONXL_EMULATOR is not set (path of target/debug/visionxl-emulator)\n");
        return 0;
    }
    if (pipe(fds) != 0) {
        return 0;
    }
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
    posix_spawn_file_actions_addclose(&fa, fds[0]);
    posix_spawn_file_actions_addclose(&fa, fds[1]);
    argv[argc++] = (char *)bin;
    argv[argc++] = (char *)"--port";
    argv[argc++] = (char *)"0";
    if (keys_file != NULL) {
        argv[argc++] = (char *)"--keys";
        argv[argc++] = (char *)keys_file;
    }
    if (latency_ms > 0) {
        snprintf(latency, sizeof latency, "%u", latency_ms);
        argv[argc++] = (char *)"--latency-ms";
        argv[argc++] = latency;
    }
    argv[argc] = NULL;
    if (posix_spawn(&e->pid, bin, &fa, NULL, argv, environ) != 0) {
        posix_spawn_file_actions_destroy(&fa);
        close(fds[0]);
        close(fds[1]);
        e->pid = -1;
        fprintf(stderr, "cannot start %s\n", bin);
        return 0;
    }
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);
    e->out_fd = fds[0];
    /* The first line of stdout is the base URL, printed once it accepts connections. */
    while (n + 1 < sizeof e->base_url) {
        ssize_t r = read(e->out_fd, &c, 1);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r <= 0 || c == '\n') {
            break;
        }
        e->base_url[n++] = c;
    }
    e->base_url[n] = '\0';
    colon = strrchr(e->base_url, ':');
    if (strncmp(e->base_url, "http://127.0.0.1:", 17) != 0 || colon == NULL) {
        fprintf(stderr, "unexpected first line from the emulator: \"%s\"\n", e->base_url);
        return 0;
    }
    e->port = (unsigned short)atoi(colon + 1);
    return e->port != 0;
}

/* Starts the emulator with no latency; returns 1 on success. `keys_file` may be NULL. */
static inline int emu_start(emu *e, const char *keys_file) {
    return emu_start_with(e, keys_file, 0);
}

static inline void emu_stop(emu *e) {
    int status;
    if (e->pid > 0) {
        kill(e->pid, SIGTERM);
        while (waitpid(e->pid, &status, 0) < 0 && errno == EINTR) {
        }
        e->pid = -1;
    }
    if (e->out_fd >= 0) {
        close(e->out_fd);
        e->out_fd = -1;
    }
}

/* One HTTP/1.1 request to the emulator, with the header `API-KEY: key` when `key` is not NULL;
 * returns the status code (0 on failure) and copies up to cap-1 bytes of the body into `body`
 * (NUL-terminated) when `body` is not NULL. */
static inline int emu_http_key(const emu *e, const char *method, const char *path,
                               const char *key, const char *json, char *body, size_t cap) {
    struct sockaddr_in addr;
    char head[512];
    static char resp[1 << 20];
    size_t got = 0;
    int fd, status = 0;
    const char *sep;
    size_t jl = json != NULL ? strlen(json) : 0;
    if (body != NULL && cap > 0) {
        body[0] = '\0';
    }
    fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) {
        return 0;
    }
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons(e->port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
        close(fd);
        return 0;
    }
    snprintf(head, sizeof head,
             "%s %s HTTP/1.1\r\nHost: 127.0.0.1:%u\r\nContent-Type: application/json\r\n"
             "%s%s%sContent-Length: %zu\r\nConnection: close\r\n\r\n",
             method, path, (unsigned)e->port, key != NULL ? "API-KEY: " : "",
             key != NULL ? key : "", key != NULL ? "\r\n" : "", jl);
    if (write(fd, head, strlen(head)) < 0 || (jl > 0 && write(fd, json, jl) < 0)) {
        close(fd);
        return 0;
    }
    for (;;) {
        ssize_t r = read(fd, resp + got, sizeof resp - 1 - got);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r <= 0) {
            break;
        }
        got += (size_t)r;
        if (got == sizeof resp - 1) {
            break;
        }
    }
    close(fd);
    resp[got] = '\0';
    if (sscanf(resp, "HTTP/1.%*d %d", &status) != 1) {
        return 0;
    }
    sep = strstr(resp, "\r\n\r\n");
    if (body != NULL && cap > 0 && sep != NULL) {
        snprintf(body, cap, "%s", sep + 4);
    }
    return status;
}

/* One HTTP/1.1 request to the emulator's control endpoints (no API key); see emu_http_key. */
static inline int emu_http(const emu *e, const char *method, const char *path,
                           const char *json, char *body, size_t cap) {
    return emu_http_key(e, method, path, NULL, json, body, cap);
}

/* Submits a generation in async mode ("async": true, as a client built with async mode
 * would) with `key`, bypassing the library: the emulator answers PROCESSING at once. Copies
 * the record id into `id` and returns 1 when the answer was 200 with a PROCESSING record. */
static inline int emu_submit_async(const emu *e, const char *key, const char *prompt, char *id,
                                   size_t cap) {
    char json[512];
    char body[4096];
    const char *p, *q;
    snprintf(json, sizeof json,
             "{\"type\":\"IMAGE_GENERATOR\",\"model\":\"5c232a9e-9061-4777-980a-ddc8e65647c6\","
             "\"promptObject\":{\"prompt\":\"%s\",\"size\":\"512x512\",\"n\":1},"
             "\"async\":true}",
             prompt);
    id[0] = '\0';
    if (emu_http_key(e, "POST", "/api/features", key, json, body, sizeof body) != 200 ||
        strstr(body, "\"PROCESSING\"") == NULL || (p = strstr(body, "\"uuid\":\"")) == NULL) {
        fprintf(stderr, "async submit failed: %s\n", body);
        return 0;
    }
    p += strlen("\"uuid\":\"");
    q = strchr(p, '"');
    if (q == NULL || (size_t)(q - p) >= cap) {
        return 0;
    }
    memcpy(id, p, (size_t)(q - p));
    id[q - p] = '\0';
    return 1;
}

/* Queues a fault (JSON as POST /_emulator/faults takes it); returns 1 when accepted. */
static inline int emu_fault(const emu *e, const char *fault_json) {
    return emu_http(e, "POST", "/_emulator/faults", fault_json, NULL, 0) == 200;
}

/* Resets balances, records, faults and the ledger. */
static inline int emu_reset(const emu *e) {
    return emu_http(e, "POST", "/_emulator/reset", "{}", NULL, 0) == 200;
}

/* How many ledger charges mention `record_id` (-1 when the ledger cannot be read). The
 * ledger is JSON; a record id is a UUID, so counting its quoted occurrences among the
 * charges is exact. */
static inline int emu_charges_for(const emu *e, const char *record_id) {
    static char ledger[1 << 20];
    char needle[128];
    const char *p;
    int count = 0;
    if (emu_http(e, "GET", "/_emulator/ledger", NULL, ledger, sizeof ledger) != 200) {
        return -1;
    }
    snprintf(needle, sizeof needle, "\"record_id\":\"%s\"", record_id);
    for (p = strstr(ledger, needle); p != NULL; p = strstr(p + 1, needle)) {
        count++;
    }
    return count;
}

/* The number of charges in the ledger (-1 when it cannot be read). */
static inline int emu_charge_count(const emu *e) {
    static char ledger[1 << 20];
    const char *p;
    int count = 0;
    if (emu_http(e, "GET", "/_emulator/ledger", NULL, ledger, sizeof ledger) != 200) {
        return -1;
    }
    for (p = strstr(ledger, "\"record_id\""); p != NULL; p = strstr(p + 1, "\"record_id\"")) {
        count++;
    }
    return count;
}

#endif
