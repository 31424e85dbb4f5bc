#!/usr/bin/env python3
"""The import graph between the top-level modules of each Rust crate, and a check that it
has no circles.

For every `.rs` file under a crate's `src/`, the module it belongs to is the first part of
its path (`core/src/sync/push.rs` belongs to `sync`; `lib.rs` is the crate root). Every
`crate::x` and `super::x` path in the file (use trees and `#[cfg(test)]` modules included:
a test that reaches into a module above its own makes the same circle; comments left out)
becomes an edge to the module that defines `x`: a module of that name, or, for
a name the root re-exports (`pub use store::Store`), the module it comes from, or the
root itself for an item defined in `lib.rs`; the root's own code adds an edge for each
module it names. A circle is a strongly connected component
of more than one module; any circle fails the check.

    scripts/check-imports.py            # check core, server, bindings, cli
    scripts/check-imports.py --graph    # and print every edge
"""

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CRATES = ["core/src", "server/src", "bindings/src", "cli/src", "fixtures/src", "sim/src"]
CRATE_ROOT = "(root)"


def strip(text):
    """Source without comments and string literals."""
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    text = re.sub(r"//[^\n]*", "", text)
    text = re.sub(r'r#*"(?:.|\n)*?"#*', '""', text)
    text = re.sub(r'"(?:\\.|[^"\\])*"', '""', text)
    return text


def module_path(src, file):
    parts = list(file.relative_to(src).with_suffix("").parts)
    if parts[-1] in ("lib", "main"):
        parts = parts[:-1]
    elif parts[-1] == "mod":
        parts = parts[:-1]
    return parts


def first_names(tree):
    """The first path segment of each branch of a use tree's `{...}` body."""
    names, depth, current = [], 0, ""
    for ch in tree:
        if ch == "{":
            depth += 1
            if depth == 1:
                continue
        elif ch == "}":
            depth -= 1
        if depth == 1 and ch == ",":
            names.append(current)
            current = ""
        elif depth >= 1:
            current += ch
    names.append(current)
    out = []
    for n in names:
        n = n.strip()
        m = re.match(r"(\w+)", n)
        if m:
            out.append(m.group(1))
    return out


def root_names(lib_text):
    """Modules the root declares, names it re-exports (to their module), items it defines."""
    modules = set(re.findall(r"^\s*(?:pub(?:\([^)]*\))?\s+)?mod\s+(\w+)\s*;", lib_text, re.M))
    exported = {}
    for m in re.finditer(r"^\s*pub(?:\([^)]*\))?\s+use\s+(?:self::|crate::)?(\w+)::([^;]*);", lib_text, re.M):
        module, rest = m.group(1), m.group(2).strip()
        if module not in modules:
            continue  # another crate's item
        if rest == "*" or rest.endswith("::*"):
            exported.setdefault("*", []).append(module)
        for name in re.findall(r"(\w+)\s*(?:[,}]|$)", rest.replace(" as ", " as_")):
            exported[name.split("as_")[-1]] = module
        for alias in re.findall(r"\bas\s+(\w+)", rest):
            exported[alias] = module
    return modules, exported


def defined_in(text):
    return set(
        re.findall(r"^\s*(?:pub(?:\([^)]*\))?\s+)?(?:struct|enum|fn|trait|type|const|static|mod)\s+(\w+)", text, re.M)
    )


def crate_graph(src):
    lib = src / "lib.rs"
    if not lib.exists():
        lib = src / "main.rs"
    lib_text = strip(lib.read_text())
    modules, exported = root_names(lib_text)
    glob_modules = exported.pop("*", [])
    glob_items = {m: defined_in("\n".join(p.read_text() for p in module_files(src, m))) for m in glob_modules}
    root_items = defined_in(lib_text)

    def resolve(name, file):
        if name in ("self", "super", "crate"):
            return None
        if name in modules:
            return name
        if name in exported:
            return exported[name]
        for m, items in glob_items.items():
            if name in items:
                return m
        if name in root_items:
            return CRATE_ROOT
        raise SystemExit(f"check-imports: {file}: cannot tell which module defines `{name}`")

    edges = {}
    for file in sorted(src.rglob("*.rs")):
        parts = module_path(src, file)
        here = parts[0] if parts else CRATE_ROOT
        text = strip(file.read_text())
        targets = []
        for m in re.finditer(r"\b(crate::|(?:super::)+)(\{|\w+)", text):
            head, name = m.group(1), m.group(2)
            if head == "crate::":
                base = []
            else:
                ups = head.count("super")
                if ups > len(parts):
                    continue
                base = parts[: len(parts) - ups]
            if name == "{":
                # Take the whole brace group.
                start = m.end() - 1
                depth, i = 0, start
                while i < len(text):
                    depth += {"{": 1, "}": -1}.get(text[i], 0)
                    if depth == 0:
                        break
                    i += 1
                names = first_names(text[start : i + 1])
            else:
                names = [name]
            for n in names:
                if base:
                    target = base[0]  # still inside a top-level module
                else:
                    target = resolve(n, file)
                if target and target != here:
                    targets.append(target)
        if not parts:
            # The root's own code names its modules by bare paths (`http::router`);
            # its `pub use` re-exports are the facade, resolved above, not edges.
            code = re.sub(r"^\s*pub(?:\([^)]*\))?\s+use\s[^;]*;", "", text, flags=re.M)
            for m in re.finditer(r"(?<![\w:])(\w+)::", code):
                if m.group(1) in modules:
                    targets.append(m.group(1))
        for t in targets:
            edges.setdefault(here, set()).add(t)
    return edges


def module_files(src, module):
    single = src / f"{module}.rs"
    if single.exists():
        yield single
    folder = src / module
    if folder.is_dir():
        yield from folder.rglob("*.rs")


def circles(edges):
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]
    nodes = set(edges) | {t for ts in edges.values() for t in ts}

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(nodes):
        if v not in index:
            visit(v)
    return out


def layers(edges):
    """Modules in dependency order: each after everything it imports."""
    nodes = set(edges) | {t for ts in edges.values() for t in ts}
    done, order = set(), []
    while len(done) < len(nodes):
        ready = sorted(n for n in nodes - done if edges.get(n, set()) <= done)
        if not ready:
            break
        order.append(ready)
        done |= set(ready)
    return order


def self_test():
    """The check finds a circle in a crate that has one (else it could never fail)."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp)
        (src / "lib.rs").write_text("mod a;\nmod b;\nmod c;\npub use c::Z;\n")
        (src / "a.rs").write_text("use crate::b::X;\npub struct Y;\n")
        (src / "b").mkdir()
        (src / "b" / "mod.rs").write_text("mod inner;\npub struct X;\n")
        (src / "b" / "inner.rs").write_text("use crate::{Z, c::W};\n")
        (src / "c.rs").write_text("// use crate::a::Y; is a comment\npub struct Z;\npub struct W;\n"
                                  "fn f() { let _ = super::a::Y; }\n")
        edges = crate_graph(src)
        assert edges == {"a": {"b"}, "b": {"c"}, "c": {"a"}}, edges
        assert circles(edges) == [["a", "b", "c"]], circles(edges)
        edges["c"].clear()
        assert circles(edges) == [] and layers(edges) == [["c"], ["b"], ["a"]]


def main():
    self_test()
    show = "--graph" in sys.argv
    failed = False
    for crate in CRATES:
        src = ROOT / crate
        if not src.is_dir():
            continue
        edges = crate_graph(src)
        found = circles(edges)
        order = " <- ".join("{" + ", ".join(l) + "}" if len(l) > 1 else l[0] for l in layers(edges))
        if found:
            failed = True
            for c in found:
                inner = {a: sorted(edges[a] & set(c)) for a in c}
                print(f"check-imports: {crate}: circle between {', '.join(c)}: {inner}")
        else:
            print(f"check-imports: {crate}: no circles; {order or 'one module'}")
        if show:
            for a in sorted(edges):
                print(f"  {a} -> {', '.join(sorted(edges[a]))}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
