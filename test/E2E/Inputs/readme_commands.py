"""Runs every command line of the READMEs' ```sh blocks as a user would paste
it, from a directory laid out like a checkout: build/ (the build tree),
examples/, scripts/, runtime/, the Fashion-MNIST files under the names the
READMEs use, and small input files.

A block right after the comment `<!-- readme-test: parse only -->` (the full
test command, installation) is only checked: bash -n parses it, and every
path in it that has a '/' and no wildcard must exist (build/ is the build
tree). Commands end at a line without a trailing backslash; comments are
dropped. Each runs with bash -e -o pipefail and a time limit.

usage: readme_commands.py SOURCE_ROOT BUILD_DIR WORK_DIR README...
"""
import gzip
import os
import re
import shlex
import subprocess
import sys

import numpy as np

MARK = "<!-- readme-test: parse only"
FMNIST = "/usr/share/datasets/fashion-mnist"


def blocks(path):
    """(line number, parse_only, lines) of each ```sh block of `path`."""
    lines = open(path).read().split("\n")
    out, i, last_text = [], 0, ""
    while i < len(lines):
        if lines[i].strip() == "```sh":
            start, body = i + 1, []
            i += 1
            while i < len(lines) and lines[i].strip() != "```":
                body.append(lines[i])
                i += 1
            out.append((start + 1, last_text.startswith(MARK), body))
        elif lines[i].strip():
            last_text = lines[i].strip()
        i += 1
    return out


def commands(body, first_line):
    """(line number, command) of each command of a block, comments dropped."""
    out, cur, at = [], "", first_line
    for n, line in enumerate(body):
        # A '#' that starts a word starts a comment.
        text = re.sub(r"(^|\s)#.*$", "", line).rstrip()
        if not cur:
            at = first_line + n
        if text.endswith("\\"):
            cur += text[:-1] + " "
            continue
        cur += text
        if cur.strip():
            out.append((at, cur.strip()))
        cur = ""
    return out


def setup(src, build, work):
    os.makedirs(work, exist_ok=True)
    links = {"build": build}
    for d in ("examples", "scripts", "runtime", "compiler", "dsl", "test"):
        links[d] = os.path.join(src, d)
    for name, f in (("train-images.gz", "train-images-idx3-ubyte.gz"),
                    ("train-labels.gz", "train-labels-idx1-ubyte.gz"),
                    ("t10k-images.gz", "t10k-images-idx3-ubyte.gz"),
                    ("t10k-labels.gz", "t10k-labels-idx1-ubyte.gz")):
        links[name] = os.path.join(FMNIST, f)
    for name, target in links.items():
        p = os.path.join(work, name)
        if not os.path.lexists(p):
            os.symlink(target, p)
    with gzip.open(os.path.join(FMNIST, "t10k-images-idx3-ubyte.gz")) as f:
        x = np.frombuffer(f.read()[16:], np.uint8).reshape(-1, 784)[:100]
    np.save(os.path.join(work, "inputs.npy"), (x / 255.0).astype(np.float32))
    np.save(os.path.join(work, "x.npy"), (x / 255.0).astype(np.float32))
    # examples/rnn_notes.lam's input: 4 steps of 2 values per record.
    np.savetxt(os.path.join(work, "x.csv"),
               np.array([[1, 0, 0, 1, 0.5, -0.5, 2, 1],
                         [-1, 2, 0.3, 0.3, -2, -1, 1, -1]]), delimiter=",")


def check_paths(cmd, src, build):
    """The paths of `cmd` (with a '/', no wildcard) that do not exist."""
    missing = []
    for tok in shlex.split(cmd):
        if "/" not in tok or tok.startswith("-") and "=" not in tok:
            continue
        path = tok.split("=", 1)[1] if tok.startswith("-") else tok
        if any(c in path for c in "*$<>[]") or "..." in path:
            continue
        if path.startswith("build/"):
            full = os.path.join(build, path[len("build/"):])
        else:
            full = path if os.path.isabs(path) else os.path.join(src, path)
        if not os.path.exists(full):
            missing.append(path)
    return missing


def main():
    src, build, work = sys.argv[1:4]
    setup(src, build, work)
    failed = 0
    for readme in sys.argv[4:]:
        ran = parsed = 0
        name = os.path.relpath(readme, src)
        for line, parse_only, body in blocks(readme):
            for at, cmd in commands(body, line):
                where = f"{name}:{at}"
                if parse_only:
                    parsed += 1
                    r = subprocess.run(["bash", "-n", "-c", cmd],
                                       capture_output=True, text=True)
                    missing = check_paths(cmd, src, build)
                    if r.returncode != 0 or missing:
                        failed += 1
                        print(f"{where}: FAILED to parse or names missing "
                              f"files {missing}: {cmd}\n{r.stderr}")
                    continue
                ran += 1
                try:
                    r = subprocess.run(
                        ["bash", "-e", "-o", "pipefail", "-c", cmd], cwd=work,
                        capture_output=True, text=True, timeout=600)
                    ok, out = r.returncode == 0, r.stdout + r.stderr
                except subprocess.TimeoutExpired:
                    ok, out = False, "timed out after 600 s"
                if not ok:
                    failed += 1
                    print(f"{where}: FAILED: {cmd}\n{out[-3000:]}")
        print(f"{name}: ran {ran} commands, parsed {parsed}")
    print(f"{failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
