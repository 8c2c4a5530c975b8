// Memory of a process tree as the desktop benchmarks read it (BENCHMARKS.md, "Desktop"): used by
// the e2e (run.mjs) on the app, and from the command line by bench/webkit_floor.sh on a bare
// WebKitGTK window, so both are measured the same way.
//
// Usage: node ui/e2e/memory.mjs PID   prints per process its PSS, largest holders and PSS by kind
// of mapping, then the total.
import { readFileSync, readdirSync } from "node:fs";
import { argv } from "node:process";
import { fileURLToPath } from "node:url";

/**
 * Memory in KiB of a process and all its descendants (the app, WebKit's web and network
 * processes): resident set (VmRSS) summed, which counts the pages of shared libraries (WebKit's
 * are ~100 MB) once per process; proportional set size (Pss, shared pages split between the
 * processes that map them), the honest total; and private anonymous memory (RssAnon, heaps).
 */
export function treeRssKiB(rootPid) {
  const parent = new Map();
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      parent.set(Number(d), ppid);
    } catch {
      // exited meanwhile
    }
  }
  const tree = new Set([rootPid]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [pid, ppid] of parent) if (!tree.has(pid) && tree.has(ppid)) (tree.add(pid), (grew = true));
  }
  let total = 0;
  let pss = 0;
  let anon = 0;
  const parts = {};
  for (const pid of tree) {
    try {
      const status = readFileSync(`/proc/${pid}/status`, "utf8");
      const field = (text, name) => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(text)?.[1] ?? 0);
      const name = /Name:\s+(.+)/.exec(status)?.[1] ?? String(pid);
      const part = { rss: field(status, "VmRSS"), anon: field(status, "RssAnon"), pss: 0, ...mappings(pid) };
      try {
        part.pss = field(readFileSync(`/proc/${pid}/smaps_rollup`, "utf8"), "Pss");
      } catch {
        // no smaps_rollup (older kernel or another user's process)
      }
      total += part.rss;
      pss += part.pss;
      anon += part.anon;
      parts[name] = part;
    } catch {
      // exited meanwhile
    }
  }
  return { total, pss, anon, parts };
}

/**
 * A process's Pss in KiB by mapping, from one read of `/proc/PID/smaps`: `top`, its 6 largest
 * holders (a file, e.g. libwebkit2gtk, or anonymous memory); and `kinds`, its Pss by the kind of
 * mapping that holds it: `heap` (glibc's main heap, `[heap]`), `anon` (other anonymous memory:
 * glibc's other arenas and large blocks, bmalloc's and JavaScriptCore's heaps), `jit` (anonymous
 * and executable: compiled JavaScript), `code` (a file's executable pages: libraries), `file` (a
 * file's other pages: libraries' data, fonts, ICU's tables), `shared` (memfd, /dev/shm, SysV),
 * `device` (/dev, e.g. the GPU's), `stack` and `other` (vdso and the like). Both empty when smaps
 * cannot be read.
 */
function mappings(pid) {
  const by = new Map();
  const kinds = {};
  let name = null;
  let kind = null;
  try {
    for (const line of readFileSync(`/proc/${pid}/smaps`, "utf8").split("\n")) {
      const head = /^[0-9a-f]+-[0-9a-f]+ (\S+) \S+ \S+ \d+\s*(.*)$/.exec(line);
      if (head) {
        name = head[2].split("/").pop() || "[anon]";
        kind = mappingKind(head[1], head[2]);
        continue;
      }
      const pss = /^Pss:\s+(\d+)/.exec(line);
      if (pss && name) {
        by.set(name, (by.get(name) ?? 0) + Number(pss[1]));
        kinds[kind] = (kinds[kind] ?? 0) + Number(pss[1]);
      }
    }
  } catch {
    return { top: {}, kinds: {} };
  }
  return { top: Object.fromEntries([...by].sort((a, b) => b[1] - a[1]).slice(0, 6)), kinds };
}

/** The kind (see `mappings`) of a mapping with permissions `perms` ("rwxp") and `path`. */
function mappingKind(perms, path) {
  if (path === "[heap]") return "heap";
  if (path.startsWith("[stack")) return "stack";
  if (path === "") return perms.includes("x") ? "jit" : "anon";
  if (path.startsWith("/memfd:") || path.startsWith("/dev/shm/") || path.startsWith("/SYSV")) return "shared";
  if (path.startsWith("/dev/")) return "device";
  if (path.startsWith("[")) return "other";
  return perms.includes("x") ? "code" : "file";
}

if (argv[1] === fileURLToPath(import.meta.url)) {
  const mb = (kib) => (kib / 1024).toFixed(1);
  const tree = treeRssKiB(Number(argv[2]));
  for (const [name, part] of Object.entries(tree.parts)) {
    const top = Object.entries(part.top).map(([file, kib]) => `${file.replace(/[.]so.*/, "")} ${mb(kib)}`);
    console.log(`${name.padEnd(16)} ${mb(part.pss).padStart(6)} MB   ${top.join(", ")}`);
    const kinds = Object.entries(part.kinds).sort((a, b) => b[1] - a[1]);
    console.log(`${"".padEnd(16)} by kind: ${kinds.map(([kind, kib]) => `${kind} ${mb(kib)}`).join(", ")}`);
  }
  console.log(`total PSS ${mb(tree.pss)} MB`);
}
