/* A tiny JSON reader for the C tests: enough to walk the files of tests/vectors.
 *
 * Every value keeps its raw text span, so a case's "input" reaches vxl_request_from_json
 * byte for byte (a re-serialised 2.0 would become 2 and change what the case proves).
 * Strings are decoded (escapes and \uXXXX, surrogate pairs included) into UTF-8.
 * Header-only; every function is static. Not a general-purpose parser: the test data is
 * trusted, and a malformed file makes mj_parse return NULL. */
#ifndef VXL_TEST_MINIJSON_H
#define VXL_TEST_MINIJSON_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum mj_type { MJ_NULL, MJ_BOOL, MJ_NUM, MJ_STR, MJ_ARR, MJ_OBJ } mj_type;

typedef struct mj_value {
    mj_type type;
    const char *raw; /* the value's text inside the document */
    size_t raw_len;
    int boolean;
    double num;
    char *str;                /* MJ_STR: decoded, NUL-terminated */
    size_t len;               /* MJ_ARR / MJ_OBJ: number of items */
    struct mj_value **items;  /* MJ_ARR / MJ_OBJ */
    char **keys;              /* MJ_OBJ: decoded keys */
} mj_value;

typedef struct mj_parser {
    const char *p;
    const char *end;
    int depth;
} mj_parser;

static inline void mj_free(mj_value *v) {
    size_t i;
    if (v == NULL) {
        return;
    }
    for (i = 0; i < v->len; i++) {
        mj_free(v->items[i]);
        if (v->keys != NULL) {
            free(v->keys[i]);
        }
    }
    free(v->items);
    free(v->keys);
    free(v->str);
    free(v);
}

static inline void mj_ws(mj_parser *ps) {
    while (ps->p < ps->end &&
           (*ps->p == ' ' || *ps->p == '\n' || *ps->p == '\r' || *ps->p == '\t')) {
        ps->p++;
    }
}

static inline int mj_hex4(const char *s, unsigned *out) {
    unsigned v = 0;
    int i;
    for (i = 0; i < 4; i++) {
        char c = s[i];
        v <<= 4;
        if (c >= '0' && c <= '9') {
            v |= (unsigned)(c - '0');
        } else if (c >= 'a' && c <= 'f') {
            v |= (unsigned)(c - 'a' + 10);
        } else if (c >= 'A' && c <= 'F') {
            v |= (unsigned)(c - 'A' + 10);
        } else {
            return 0;
        }
    }
    *out = v;
    return 1;
}

static inline size_t mj_utf8(unsigned cp, char *out) {
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Parses a string at ps->p (on the opening quote); returns a malloc'd UTF-8 copy. */
static inline char *mj_string(mj_parser *ps) {
    const char *s = ps->p + 1;
    /* The decoded text is never longer than the escaped text. */
    size_t cap = 1;
    const char *q = s;
    char *out;
    size_t n = 0;
    while (q < ps->end && *q != '"') {
        if (*q == '\\') {
            q++;
        }
        q++;
        cap += 4;
    }
    if (q >= ps->end) {
        return NULL;
    }
    out = malloc(cap);
    if (out == NULL) {
        return NULL;
    }
    while (s < ps->end && *s != '"') {
        if (*s != '\\') {
            out[n++] = *s++;
            continue;
        }
        s++;
        switch (*s) {
        case '"': out[n++] = '"'; s++; break;
        case '\\': out[n++] = '\\'; s++; break;
        case '/': out[n++] = '/'; s++; break;
        case 'b': out[n++] = '\b'; s++; break;
        case 'f': out[n++] = '\f'; s++; break;
        case 'n': out[n++] = '\n'; s++; break;
        case 'r': out[n++] = '\r'; s++; break;
        case 't': out[n++] = '\t'; s++; break;
        case 'u': {
            unsigned cp, lo;
            if (s + 5 > ps->end || !mj_hex4(s + 1, &cp)) {
                free(out);
                return NULL;
            }
            s += 5;
            if (cp >= 0xD800 && cp < 0xDC00 && s + 6 <= ps->end && s[0] == '\\' &&
                s[1] == 'u' && mj_hex4(s + 2, &lo) && lo >= 0xDC00 && lo < 0xE000) {
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                s += 6;
            }
            n += mj_utf8(cp, out + n);
            break;
        }
        default:
            free(out);
            return NULL;
        }
    }
    out[n] = '\0';
    ps->p = s + 1;
    return out;
}

static inline mj_value *mj_value_at(mj_parser *ps);

static inline int mj_push(mj_value *v, mj_value *item, char *key) {
    mj_value **items = realloc(v->items, (v->len + 1) * sizeof *items);
    if (items == NULL) {
        return 0;
    }
    v->items = items;
    if (v->type == MJ_OBJ) {
        char **keys = realloc(v->keys, (v->len + 1) * sizeof *keys);
        if (keys == NULL) {
            return 0;
        }
        v->keys = keys;
        v->keys[v->len] = key;
    }
    v->items[v->len++] = item;
    return 1;
}

static inline mj_value *mj_value_at(mj_parser *ps) {
    mj_value *v;
    mj_ws(ps);
    if (ps->p >= ps->end || ps->depth > 64) {
        return NULL;
    }
    v = calloc(1, sizeof *v);
    if (v == NULL) {
        return NULL;
    }
    v->raw = ps->p;
    switch (*ps->p) {
    case '{':
    case '[': {
        char close = *ps->p == '{' ? '}' : ']';
        v->type = *ps->p == '{' ? MJ_OBJ : MJ_ARR;
        ps->p++;
        ps->depth++;
        mj_ws(ps);
        if (ps->p < ps->end && *ps->p == close) {
            ps->p++;
            ps->depth--;
            break;
        }
        for (;;) {
            char *key = NULL;
            mj_value *item;
            mj_ws(ps);
            if (v->type == MJ_OBJ) {
                if (ps->p >= ps->end || *ps->p != '"' || (key = mj_string(ps)) == NULL) {
                    goto fail;
                }
                mj_ws(ps);
                if (ps->p >= ps->end || *ps->p != ':') {
                    free(key);
                    goto fail;
                }
                ps->p++;
            }
            item = mj_value_at(ps);
            if (item == NULL || !mj_push(v, item, key)) {
                mj_free(item);
                free(key);
                goto fail;
            }
            mj_ws(ps);
            if (ps->p < ps->end && *ps->p == ',') {
                ps->p++;
                continue;
            }
            if (ps->p < ps->end && *ps->p == close) {
                ps->p++;
                break;
            }
            goto fail;
        }
        ps->depth--;
        break;
    }
    case '"':
        v->type = MJ_STR;
        v->str = mj_string(ps);
        if (v->str == NULL) {
            goto fail;
        }
        break;
    case 't':
    case 'f':
    case 'n': {
        const char *word = *ps->p == 't' ? "true" : *ps->p == 'f' ? "false" : "null";
        size_t wl = strlen(word);
        if ((size_t)(ps->end - ps->p) < wl || memcmp(ps->p, word, wl) != 0) {
            goto fail;
        }
        v->type = *word == 'n' ? MJ_NULL : MJ_BOOL;
        v->boolean = *word == 't';
        ps->p += wl;
        break;
    }
    default: {
        char *endp;
        v->type = MJ_NUM;
        v->num = strtod(ps->p, &endp);
        if (endp == ps->p || endp > ps->end) {
            goto fail;
        }
        ps->p = endp;
        break;
    }
    }
    v->raw_len = (size_t)(ps->p - v->raw);
    return v;
fail:
    mj_free(v);
    return NULL;
}

/* Parses a whole document (which must stay alive as long as the tree: raw spans point in). */
static inline mj_value *mj_parse(const char *text, size_t len) {
    mj_parser ps;
    mj_value *v;
    ps.p = text;
    ps.end = text + len;
    ps.depth = 0;
    v = mj_value_at(&ps);
    if (v == NULL) {
        return NULL;
    }
    mj_ws(&ps);
    if (ps.p != ps.end) {
        mj_free(v);
        return NULL;
    }
    return v;
}

/* The member `key` of an object, or NULL. */
static inline const mj_value *mj_get(const mj_value *obj, const char *key) {
    size_t i;
    if (obj == NULL || obj->type != MJ_OBJ) {
        return NULL;
    }
    for (i = 0; i < obj->len; i++) {
        if (strcmp(obj->keys[i], key) == 0) {
            return obj->items[i];
        }
    }
    return NULL;
}

/* The string member `key`, or NULL. */
static inline const char *mj_str(const mj_value *obj, const char *key) {
    const mj_value *v = mj_get(obj, key);
    return v != NULL && v->type == MJ_STR ? v->str : NULL;
}

/* A malloc'd NUL-terminated copy of a value's raw text. */
static inline char *mj_raw_dup(const mj_value *v) {
    char *s = malloc(v->raw_len + 1);
    if (s != NULL) {
        memcpy(s, v->raw, v->raw_len);
        s[v->raw_len] = '\0';
    }
    return s;
}

/* Reads a whole file into a malloc'd NUL-terminated buffer; *len gets its size. */
static inline char *mj_read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long size;
    if (f == NULL) {
        return NULL;
    }
    if (fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
        buf = malloc((size_t)size + 1);
        if (buf != NULL && fread(buf, 1, (size_t)size, f) == (size_t)size) {
            buf[size] = '\0';
            *len = (size_t)size;
        } else {
            free(buf);
            buf = NULL;
        }
    }
    fclose(f);
    return buf;
}

#endif
