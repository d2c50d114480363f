#!/usr/bin/env python3
"""Finds import circles between the modules of each Rust crate in the workspace.

A module is a file under a crate's src/ (`a.rs` and `a/mod.rs` are module `a`, `a/b.rs` is
`a::b`; lib.rs/main.rs is the crate root). Module A depends on B when A's code names
`crate::B...`, `super::...` or `self::...` resolving into B, or `use`s such a path (use trees
with braces included). Paths through a `pub use` re-export are followed to the module that
defines the item, so `crate::Error` counts as a use of `error` when lib.rs re-exports it.
`mod` declarations and re-exports themselves are not dependencies. Comments and string literals
are ignored.

Usage: scripts/check-module-cycles.py [REPO_ROOT]
Exit 1 printing every cycle found (one line each), else exit 0 with a one-line summary.
Python 3 standard library only.
"""

import os
import re
import sys

IDENT = r"[A-Za-z_][A-Za-z0-9_]*"


def strip_comments_and_strings(text):
    """The source with comments and string/char literals blanked (newlines kept)."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            i = j
        elif text.startswith("/*", i):
            depth, j = 1, i + 2
            while j < n and depth:
                if text.startswith("/*", j):
                    depth, j = depth + 1, j + 2
                elif text.startswith("*/", j):
                    depth, j = depth - 1, j + 2
                else:
                    j += 1
            out.append("\n" * text.count("\n", i, j))
            i = j
        elif c == "r" and re.match(r'r#*"', text[i:i + 40]) and not re.match(r"\w", text[i - 1:i] or " "):
            m = re.match(r'r(#*)"', text[i:])
            end = text.find('"' + m.group(1), i + len(m.group(0)))
            end = n if end < 0 else end + 1 + len(m.group(1))
            out.append('""' + "\n" * text.count("\n", i, end))
            i = end
        elif c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            out.append('""' + "\n" * text.count("\n", i, j))
            i = j + 1
        elif c == "'":
            # A char literal ('a', '\n', '\u{..}'), not a lifetime ('a).
            m = re.match(r"'(\\.[^']*|[^\\'])'", text[i:])
            if m:
                out.append("' '")
                i += len(m.group(0))
            else:
                out.append(c)
                i += 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def expand_use_tree(tree):
    """`a::{b, c::{d, e}}` -> ['a::b', 'a::c::d', 'a::c::e'] (aliases and globs dropped)."""
    tree = re.sub(r"\s+", "", tree)
    brace = tree.find("{")
    if brace < 0:
        tree = re.sub(r"as\w+$", "", tree.replace("::*", ""))
        return [tree.split(" as ")[0]] if tree else []
    prefix, inner = tree[:brace], tree[brace + 1:tree.rfind("}")]
    parts, depth, cur = [], 0, ""
    for ch in inner:
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
            continue
        depth += ch == "{"
        depth -= ch == "}"
        cur += ch
    parts.append(cur)
    out = []
    for part in parts:
        if not part or part == "self":
            if prefix:
                out.append(prefix.rstrip(":"))
            continue
        out.extend(expand_use_tree(prefix + part) if prefix else expand_use_tree(part))
    return out


def module_path(src, path):
    rel = os.path.relpath(path, src)[:-3].split(os.sep)
    if rel in (["lib"], ["main"]):
        return ()
    if rel[-1] == "mod":
        rel = rel[:-1]
    return tuple(rel)


class Crate:
    def __init__(self, src):
        self.src = src
        self.files = {}  # module path -> stripped text
        for root, dirs, files in os.walk(src):
            dirs[:] = sorted(d for d in dirs if d != "bin")
            for f in sorted(files):
                if f.endswith(".rs"):
                    p = os.path.join(root, f)
                    with open(p, encoding="utf-8") as fh:
                        self.files[module_path(src, p)] = strip_comments_and_strings(fh.read())
        # Re-exports: module -> {name: full path}.
        self.reexports = {}
        for mod, text in self.files.items():
            table = {}
            for m in re.finditer(r"\bpub(?:\([^)]*\))?\s+use\s+([^;]+);", text):
                for full in expand_use_tree(m.group(1)):
                    resolved = self.absolute(full, mod)
                    alias = re.search(r"\bas\s+(" + IDENT + r")\s*$", full)
                    if resolved:
                        table[alias.group(1) if alias else resolved[-1]] = resolved
            self.reexports[mod] = table

    def absolute(self, path, mod):
        """`crate::a::b` / `super::a` / `self::a` / `child::x` seen in `mod` -> segment tuple."""
        segs = [s for s in re.sub(r"\s+", "", path).split("::") if s]
        segs = [re.sub(r"^(" + IDENT + r").*$", r"\1", s) for s in segs]
        if not segs:
            return None
        base = list(mod)
        if segs[0] == "crate":
            base, segs = [], segs[1:]
        elif segs[0] in ("super", "self"):
            while segs and segs[0] in ("super", "self"):
                if segs.pop(0) == "super":
                    if not base:
                        return None
                    base.pop()
        elif tuple(base + [segs[0]]) not in self.files:
            return None  # an external crate or a local item
        return tuple(base + segs)

    def target(self, segs, depth=0):
        """The file module a path ends in, following re-exports."""
        for k in range(len(segs), -1, -1):
            if segs[:k] in self.files:
                mod, rest = segs[:k], segs[k:]
                if rest and depth < 8 and rest[0] in self.reexports.get(mod, {}):
                    via = self.reexports[mod][rest[0]]
                    if via != segs[: len(via)]:
                        return self.target(via + rest[1:], depth + 1)
                return mod
        return None

    def edges(self):
        graph = {m: set() for m in self.files}
        for mod, text in self.files.items():
            # Inline modules (`mod tests { ... }`) shift what `super`/`self` mean inside them.
            inline = []  # (name, brace depth at which it closes)
            depth = 0
            refs = []
            tokens = re.finditer(
                r"(?P<mod>\bmod\s+(?P<name>" + IDENT + r")\s*\{)"
                r"|(?P<use>\b(?P<pub>pub(?:\([^)]*\))?\s+)?use\s+(?P<tree>[^;]+);)"
                r"|(?P<path>(?<![\w:$])(?:crate|super|self)(?:\s*::\s*" + IDENT + r")+)"
                r"|(?P<open>\{)|(?P<close>\})",
                text,
            )
            for t in tokens:
                here = tuple(mod) + tuple(name for name, _ in inline)
                if t.group("mod"):
                    depth += 1
                    inline.append((t.group("name"), depth))
                elif t.group("open"):
                    depth += 1
                elif t.group("close"):
                    if inline and inline[-1][1] == depth:
                        inline.pop()
                    depth -= 1
                elif t.group("use"):
                    if t.group("pub") and not self.is_code_module(mod):
                        continue  # a facade's re-export is not a dependency
                    for full in expand_use_tree(t.group("tree")):
                        refs.append(self.absolute(full, here))
                else:
                    refs.append(self.absolute(t.group("path"), here))
            for segs in refs:
                if segs is None:
                    continue
                dest = self.target(segs)
                if dest is not None and dest != mod and not is_ancestor(dest, mod):
                    graph[mod].add(dest)
        return graph

    def is_code_module(self, mod):
        """Whether re-exports in this module count as uses (only a crate root is a facade)."""
        return mod != ()


def is_ancestor(a, b):
    """`a` contains `b` (a parent module naming its child's items is not a circle)."""
    return len(a) < len(b) and b[: len(a)] == a


def cycles(graph):
    """Every elementary cycle, as a list of modules, found by DFS from each node (deduplicated)."""
    found, seen = [], set()
    index = {}

    def strongconnect(nodes):
        # Tarjan's strongly connected components.
        stack, on, low, idx, comps = [], set(), {}, {}, []
        counter = [0]

        def visit(v):
            idx[v] = low[v] = counter[0]
            counter[0] += 1
            stack.append(v)
            on.add(v)
            for w in sorted(graph[v]):
                if w not in idx:
                    visit(w)
                    low[v] = min(low[v], low[w])
                elif w in on:
                    low[v] = min(low[v], idx[w])
            if low[v] == idx[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                comps.append(comp)

        for v in sorted(nodes):
            if v not in idx:
                visit(v)
        return comps

    sys.setrecursionlimit(10000)
    for comp in strongconnect(graph):
        if len(comp) < 2:
            continue
        members = set(comp)
        # One shortest cycle through each member, so each circle is named at least once.
        for start in sorted(comp):
            prev, frontier = {start: None}, [start]
            cycle = None
            while frontier and cycle is None:
                nxt = []
                for v in frontier:
                    for w in sorted(graph[v] & members):
                        if w == start:
                            cycle = [v]
                            while prev[cycle[-1]] is not None:
                                cycle.append(prev[cycle[-1]])
                            cycle.reverse()
                            break
                        if w not in prev:
                            prev[w] = v
                            nxt.append(w)
                    if cycle:
                        break
                frontier = nxt
            if cycle:
                k = cycle.index(min(cycle))
                key = tuple(cycle[k:] + cycle[:k])
                if key not in seen:
                    seen.add(key)
                    found.append(list(key))
    del index
    return found


def name(mod):
    return "::".join(mod) if mod else "crate"


def main():
    root = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), ".."))
    crates, bad = 0, 0
    for group in ("crates", "bindings"):
        base = os.path.join(root, group)
        if not os.path.isdir(base):
            continue
        for d in sorted(os.listdir(base)):
            src = os.path.join(base, d, "src")
            if not os.path.isdir(src):
                continue
            crates += 1
            crate = Crate(src)
            for cyc in cycles(crate.edges()):
                bad += 1
                print(f"{group}/{d}: " + " -> ".join(name(m) for m in cyc + [cyc[0]]))
    if bad:
        print(f"{bad} module cycle(s) found")
        return 1
    print(f"no module cycles in {crates} crates")
    return 0


if __name__ == "__main__":
    sys.exit(main())
