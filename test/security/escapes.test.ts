import { NR, hostileCase, useHostileHarness } from './harness';

const h = useHostileHarness();

describe('hostile: escape classics', () => {
  hostileCase(h, 'E1 cgroup release_agent: hidden, unwritable, and no cgroup can be mounted', async (h, marker) => {
    const { result, out } = await h.probe(
      `import glob
agents = glob.glob("/sys/fs/cgroup/**/release_agent", recursive=True)
writes = {a: attempt(lambda a=a: open(a, "w").write("/tmp/x")) for a in agents}
os.makedirs("/tmp/cg", exist_ok=True)
cg = ctypes.c_char_p(b"cgroup")
mnt = ctypes.c_char_p(b"/tmp/cg")
opts = ctypes.c_char_p(b"memory")
mount = sc(${NR.mount}, ctypes.cast(cg, ctypes.c_void_p).value, ctypes.cast(mnt, ctypes.c_void_p).value,
           ctypes.cast(cg, ctypes.c_void_p).value, 0, ctypes.cast(opts, ctypes.c_void_p).value)
report(writable=[a for a, w in writes.items() if w == "ok"], mount=mount, cgroup=open("/proc/self/cgroup").read())`,
      marker,
    );
    expect(out.writable).toEqual([]);
    expect(out.mount).toBe('EPERM');
    // Private cgroup namespace: the container's own cgroup is its root.
    for (const line of (out.cgroup as string).trim().split('\n')) expect(line).toMatch(/:\/$/);
    return result;
  });

  hostileCase(h, 'E2 core_pattern cannot be rewritten', async (h, marker) => {
    const { result, out } = await h.probe(
      `report(write=attempt(lambda: open("/proc/sys/kernel/core_pattern", "w").write("|/tmp/pwn")),
       value=open("/proc/sys/kernel/core_pattern").read().strip())`,
      marker,
    );
    expect(out.write).toMatch(/^(EROFS|EACCES)$/);
    expect(out.value).not.toContain('/tmp/pwn');
    return result;
  });

  hostileCase(h, 'E3 /proc/self/exe (the runtime binary) cannot be overwritten', async (h, marker) => {
    const { result, out } = await h.probe(
      `report(self_exe=attempt(lambda: open("/proc/self/exe", "r+b")),
       interpreter=attempt(lambda: open(os.path.realpath(sys.executable), "r+b")),
       init=attempt(lambda: open("/proc/1/exe", "r+b")))`,
      marker,
    );
    for (const key of ['self_exe', 'interpreter', 'init'])
      expect([key, out[key]]).toEqual([key, expect.stringMatching(/^E/)]);
    return result;
  });

  hostileCase(h, 'E4 the magic SysRq trigger and kernel parameters are out of reach', async (h, marker) => {
    const { result, out } = await h.probe(
      `report(sysrq=attempt(lambda: open("/proc/sysrq-trigger", "w").write("b")),
       sysctl=attempt(lambda: open("/proc/sys/kernel/hostname", "w").write("pwned")),
       uevent=attempt(lambda: open("/sys/kernel/uevent_helper", "w").write("/tmp/x")))`,
      marker,
    );
    for (const key of ['sysrq', 'sysctl', 'uevent'])
      expect([key, out[key]]).toEqual([key, expect.stringMatching(/^E/)]);
    return result;
  });
});
