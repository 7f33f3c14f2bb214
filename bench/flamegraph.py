#!/usr/bin/env python3
"""Turns `perf script` output into a flame graph (SVG), with Swift symbols demangled.

  perf record -F 999 -g -p PID -o perf.data -- sleep 10
  perf script -i perf.data | bench/flamegraph.py --title "sluice serve, SQLite, C=64" > flame.svg

Each stack is folded root first; a box's width is its share of the samples, and hovering shows
the frame and its share. Only the standard library and `swift demangle` (from the toolchain,
when on PATH) are used.
"""
import argparse, collections, html, re, shutil, subprocess, sys


def read_stacks(lines):
    """Yields (thread name, [frames from leaf to root]) for each sample of `perf script`."""
    stack, comm = [], None
    for line in lines:
        line = line.rstrip("\n")
        if not line.strip():
            if stack:
                yield comm, stack
            stack, comm = [], None
            continue
        if not line.startswith((" ", "\t")):
            comm = line.split()[0]
            continue
        parts = line.strip().split(None, 1)
        if len(parts) < 2:
            continue
        symbol = re.sub(r" \([^)]*\)$", "", parts[1])
        symbol = re.sub(r"\+0x[0-9a-f]+$", "", symbol)
        stack.append(symbol)
    if stack:
        yield comm, stack


def demangler(symbols):
    """A map from mangled Swift names to short readable ones."""
    swift = shutil.which("swift-demangle") or shutil.which("swift")
    mangled = sorted(s for s in symbols if s.startswith(("$s", "_$s")))
    if not swift or not mangled:
        return {}
    args = [swift] if swift.endswith("swift-demangle") else [swift, "demangle"]
    out = subprocess.run(args + ["--simplified", "--compact"], input="\n".join(mangled), capture_output=True, text=True).stdout.splitlines()
    names = {}
    for m, d in zip(mangled, out):
        d = re.sub(r"\(.*\)", "(…)", d, count=1) if len(d) > 120 else d
        names[m] = d[:160]
    return names


def fold(samples):
    folded = collections.Counter()
    for comm, stack in samples:
        frames = [f for f in reversed(stack) if f != "[unknown]"]
        folded[tuple(frames)] += 1
    return folded


def build_tree(folded):
    root = {"name": "all", "value": 0, "children": {}}
    for frames, n in folded.items():
        root["value"] += n
        node = root
        for f in frames:
            child = node["children"].setdefault(f, {"name": f, "value": 0, "children": {}})
            child["value"] += n
            node = child
    return root


def color(name):
    h = sum(name.encode()) % 60
    if "Sluice" in name:
        return f"rgb(230,{120 + h},{40 + h // 2})"
    if "sqlite" in name.lower() or "GRDB" in name:
        return f"rgb({80 + h},{150 + h},220)"
    if "NIO" in name or "Hummingbird" in name or "llhttp" in name:
        return f"rgb({120 + h},200,{100 + h})"
    if name.startswith("swift_") or "swift::" in name:
        return f"rgb(200,{90 + h},{90 + h})"
    return f"rgb(220,{170 + h // 2},{90 + h})"


def render(root, title, width=1400, row=16):
    total = root["value"]
    rects = []
    depth_max = [0]

    def walk(node, x, depth):
        w = node["value"] / total * width
        if w < 0.5:
            return
        depth_max[0] = max(depth_max[0], depth)
        rects.append((x, depth, w, node["name"], node["value"]))
        cx = x
        for child in sorted(node["children"].values(), key=lambda c: c["name"]):
            walk(child, cx, depth + 1)
            cx += child["value"] / total * width

    walk(root, 0, 0)
    height = (depth_max[0] + 1) * row + 40
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="monospace" font-size="11">',
           f'<rect width="100%" height="100%" fill="#fdfdf8"/>',
           f'<text x="{width / 2}" y="18" text-anchor="middle" font-size="14">{html.escape(title)} ({total} samples)</text>']
    for x, depth, w, name, value in rects:
        y = height - (depth + 1) * row
        share = value / total * 100
        label = html.escape(name)
        out.append(f'<g><title>{label} — {share:.2f}% ({value} samples)</title>'
                   f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{row - 1}" fill="{color(name)}" rx="1"/>')
        chars = int(w / 6.6)
        if chars >= 3:
            text = name if len(name) <= chars else name[: chars - 1] + "…"
            out.append(f'<text x="{x + 2:.1f}" y="{y + row - 4}">{html.escape(text)}</text>')
        out.append("</g>")
    out.append("</svg>")
    return "\n".join(out)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--title", default="flame graph")
    p.add_argument("--width", type=int, default=1400)
    args = p.parse_args()
    samples = list(read_stacks(sys.stdin))
    if not samples:
        sys.exit("flamegraph: no samples on standard input (pipe `perf script` into it)")
    names = demangler({f for _, s in samples for f in s})
    samples = [(c, [names.get(f, f) for f in s]) for c, s in samples]
    print(render(build_tree(fold(samples)), args.title, width=args.width))


if __name__ == "__main__":
    main()
