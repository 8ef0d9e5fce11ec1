import { hostileCase, useHostileHarness } from './harness';

const CANARY = `canary-${process.pid}-do-not-leak`;
// Before the harness starts: its worker processes inherit this, as they would a real service secret.
beforeAll(() => {
  process.env.AIRLOCK_TEST_SERVICE_SECRET = CANARY;
});
afterAll(() => {
  delete process.env.AIRLOCK_TEST_SERVICE_SECRET;
});
const h = useHostileHarness();

describe('hostile: host data', () => {
  hostileCase(h, "H1 /etc/shadow is the image's own and unreadable", async (h, marker) => {
    const { result, out } = await h.probe(`report(read=attempt(lambda: open("/etc/shadow").read()))`, marker);
    expect(out.read).toBe('EACCES');
    return result;
  });

  hostileCase(h, 'H2 no Docker or containerd socket exists anywhere', async (h, marker) => {
    const { result, out } = await h.probe(
      `import stat
found = []
for root, dirs, files in os.walk("/", onerror=lambda e: None):
    if root.startswith(("/proc", "/sys")):
        dirs[:] = []
        continue
    for name in files:
        p = os.path.join(root, name)
        try:
            if stat.S_ISSOCK(os.lstat(p).st_mode) or name.endswith(("docker.sock", "containerd.sock")):
                found.append(p)
        except OSError:
            pass
report(found=found)`,
      marker,
    );
    expect(out.found).toEqual([]);
    return result;
  });

  hostileCase(h, "H3 the service's environment does not reach the sandbox", async (h, marker) => {
    const { result, out } = await h.probe(
      `texts = [repr(dict(os.environ))]
for pid in [p for p in os.listdir("/proc") if p.isdigit()]:
    try:
        texts.append(open(f"/proc/{pid}/environ", "rb").read().decode(errors="replace"))
    except OSError:
        pass
blob = "\\n".join(texts)
report(canary=${JSON.stringify(CANARY)} in blob, temporal="TEMPORAL" in blob, keys=sorted(os.environ))`,
      marker,
    );
    expect(out.canary).toBe(false);
    expect(out.temporal).toBe(false);
    // The sandbox's own variables and the runtime's (images/python/runtime.yaml), nothing of the service's.
    expect(out.keys).toEqual([
      'HOME',
      'HOSTNAME',
      'LANG',
      'MPLBACKEND',
      'MPLCONFIGDIR',
      'PATH',
      'PYTHONDONTWRITEBYTECODE',
      'PYTHONUNBUFFERED',
      'TMPDIR',
    ]);
    return result;
  });

  hostileCase(h, 'H4 /proc/kcore is hidden', async (h, marker) => {
    const { result, out } = await h.probe(`report(read=attempt(lambda: open("/proc/kcore", "rb").read(16)))`, marker);
    expect(out.read).toMatch(/^(ENOENT|EACCES|EPERM)$/);
    return result;
  });

  hostileCase(h, 'H5 /sys/firmware is empty', async (h, marker) => {
    const { result, out } = await h.probe(
      `try:
    entries = os.listdir("/sys/firmware")
except OSError as e:
    entries = errno.errorcode[e.errno]
report(entries=entries)`,
      marker,
    );
    expect([[], 'ENOENT', 'EACCES']).toContainEqual(out.entries);
    return result;
  });

  hostileCase(h, 'H6 mountinfo shows a read-only root, tmpfs scratch space and no host paths', async (h, marker) => {
    const { result, out } = await h.probe(
      `mounts = []
for line in open("/proc/self/mountinfo"):
    left, right = line.split(" - ")
    fields, rest = left.split(), right.split()
    mounts.append({"point": fields[4], "opts": fields[5], "type": rest[0]})
report(mounts=mounts)`,
      marker,
    );
    const mounts = out.mounts as Array<{ point: string; opts: string; type: string }>;
    const root = mounts.find((m) => m.point === '/')!;
    expect(root.opts.split(',')).toContain('ro');
    const writable = mounts.filter((m) => m.opts.split(',').includes('rw')).map((m) => `${m.point} ${m.type}`);
    // Writable: only tmpfs scratch space and the kernel's own pseudo-filesystems.
    for (const mount of writable) expect(mount).toMatch(/^\S+ (tmpfs|proc|devpts|mqueue|sysfs|cgroup2?)$/);
    expect(mounts.map((m) => m.point)).not.toEqual(
      expect.arrayContaining([expect.stringMatching(/docker\.sock|containerd/)]),
    );
    // Docker's own per-container files are the only bind mounts, and they are read-only here.
    for (const point of ['/etc/hosts', '/etc/hostname', '/etc/resolv.conf']) {
      const mount = mounts.find((m) => m.point === point);
      if (mount) expect(mount.opts.split(',')).toContain('ro');
    }
    return result;
  });
});
