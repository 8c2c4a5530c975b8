"""Memory of a process and every process under it, as the desktop e2e measures it (ui/e2e/run.mjs,
treeRssKiB): PSS from /proc/PID/smaps_rollup (shared pages split between the processes mapping
them), and per process its largest holders by PSS (a file, or [anon]). Usage: python3 pss.py PID.
Prints one line per process and the total in MB (MiB)."""
import collections
import os
import re
import sys


def children_tree(root):
    parent = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                stat = open(f"/proc/{d}/stat").read()
                parent[int(d)] = int(stat[stat.rindex(")") + 2 :].split()[1])
            except OSError:
                pass
    tree, grew = {root}, True
    while grew:
        grew = False
        for pid, ppid in parent.items():
            if pid not in tree and ppid in tree:
                tree.add(pid)
                grew = True
    return sorted(tree)


def holders(pid):
    by, name = collections.Counter(), None
    for line in open(f"/proc/{pid}/smaps"):
        head = re.match(r"^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \d+\s*(.*)$", line)
        if head:
            name = head.group(1).split("/")[-1] or "[anon]"
            continue
        pss = re.match(r"^Pss:\s+(\d+)", line)
        if pss and name:
            by[name] += int(pss.group(1))
    return by


total = 0
for pid in children_tree(int(sys.argv[1])):
    try:
        comm = open(f"/proc/{pid}/comm").read().strip()
        pss = int(re.search(r"Pss:\s+(\d+)", open(f"/proc/{pid}/smaps_rollup").read()).group(1))
        top = holders(pid).most_common(5)
    except (OSError, AttributeError):
        continue
    total += pss
    print(f"{comm:16s} {pss / 1024:6.1f} MB   " + ", ".join(f"{re.sub(r'[.]so.*', '', k)} {v / 1024:.1f}" for k, v in top))
print(f"total PSS {total / 1024:.1f} MB")
