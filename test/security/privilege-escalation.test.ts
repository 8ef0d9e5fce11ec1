import { NR, hostileCase, useHostileHarness } from './harness';

const h = useHostileHarness();

describe('hostile: privilege escalation', () => {
  hostileCase(h, 'P1 no setuid or setgid binary exists, and no-new-privileges is set', async (h, marker) => {
    const { result, out } = await h.probe(
      `import stat
found = []
for root, dirs, files in os.walk("/", onerror=lambda e: None):
    if root.startswith(("/proc", "/sys", "/dev")):
        dirs[:] = []
        continue
    for name in files:
        try:
            if os.lstat(os.path.join(root, name)).st_mode & (stat.S_ISUID | stat.S_ISGID):
                found.append(os.path.join(root, name))
        except OSError:
            pass
status = dict(l.split(":\\t", 1) for l in open("/proc/self/status").read().splitlines() if ":\\t" in l)
report(found=found, nnp=status["NoNewPrivs"].strip(), uid=os.getuid(), euid=os.geteuid())`,
      marker,
    );
    expect(out).toEqual({ found: [], nnp: '1', uid: 10001, euid: 10001 });
    return result;
  });

  hostileCase(h, 'P2 su cannot become root', async (h, marker) => {
    const { result, out } = await h.probe(
      `import subprocess
p = subprocess.run(["su", "-c", "id -u", "root"], input="\\n", capture_output=True, text=True, timeout=10)
report(code=p.returncode, out=p.stdout, uid=os.geteuid())`,
      marker,
    );
    expect(out.code).not.toBe(0);
    expect(out.out).not.toContain('0');
    expect(out.uid).toBe(10001);
    return result;
  });

  hostileCase(h, 'P3 mount is refused', async (h, marker) => {
    const { result, out } = await h.probe(
      `import subprocess
cmd = subprocess.run(["mount", "-t", "tmpfs", "none", "/mnt"], capture_output=True)
report(syscall=sc(${NR.mount}, 0, 0, 0, 0, 0), command=cmd.returncode)`,
      marker,
    );
    expect(out.syscall).toBe('EPERM');
    expect(out.command).not.toBe(0);
    return result;
  });

  hostileCase(h, 'P4 a user namespace cannot be created (unshare, clone flags, setns)', async (h, marker) => {
    const { result, out } = await h.probe(
      `CLONE_NEWUSER, CLONE_NEWNS = 0x10000000, 0x00020000
report(
    unshare_user=sc(${NR.unshare}, CLONE_NEWUSER),
    unshare_mount=sc(${NR.unshare}, CLONE_NEWNS),
    clone_user=sc(56, CLONE_NEWUSER | 17, 0, 0, 0, 0),
    setns=sc(${NR.setns}, 0, 0),
)`,
      marker,
    );
    expect(out).toEqual({ unshare_user: 'EPERM', unshare_mount: 'EPERM', clone_user: 'EPERM', setns: 'EPERM' });
    return result;
  });

  hostileCase(h, 'P5 ptrace is refused, even on its own child', async (h, marker) => {
    const { result, out } = await h.probe(
      `import time
child = os.fork()
if child == 0:
    time.sleep(30)
    os._exit(0)
attach = sc(${NR.ptrace}, 16, child, 0, 0)
os.kill(child, 9)
os.waitpid(child, 0)
report(attach=attach, traceme=sc(${NR.ptrace}, 0, 0, 0, 0))`,
      marker,
    );
    expect(out).toEqual({ attach: 'EPERM', traceme: 'EPERM' });
    return result;
  });

  hostileCase(h, 'P6 mknod of a device node is refused', async (h, marker) => {
    const { result, out } = await h.probe(
      `import stat
report(char=attempt(lambda: os.mknod("/tmp/mem", 0o600 | stat.S_IFCHR, os.makedev(1, 1))),
       block=attempt(lambda: os.mknod("/tmp/sda", 0o600 | stat.S_IFBLK, os.makedev(8, 0))))`,
      marker,
    );
    expect(out).toEqual({ char: 'EPERM', block: 'EPERM' });
    return result;
  });

  hostileCase(h, 'P7 the clock cannot be set', async (h, marker) => {
    const { result, out } = await h.probe(
      `import subprocess
ts = (ctypes.c_long * 2)(978307200, 0)
cmd = subprocess.run(["date", "-s", "2001-01-01"], capture_output=True)
report(clock_settime=sc(${NR.clock_settime}, 0, ctypes.addressof(ts)), date=cmd.returncode)`,
      marker,
    );
    expect(out.clock_settime).toBe('EPERM');
    expect(out.date).not.toBe(0);
    return result;
  });

  hostileCase(h, 'P8 kernel modules cannot be loaded', async (h, marker) => {
    const { result, out } = await h.probe(
      `fd = os.open("/dev/null", os.O_RDONLY)
empty = ctypes.c_char_p(b"")
report(finit=sc(${NR.finit_module}, fd, ctypes.cast(empty, ctypes.c_void_p).value, 0),
       init=sc(${NR.init_module}, 0, 0, ctypes.cast(empty, ctypes.c_void_p).value),
       kexec=sc(${NR.kexec_load}, 0, 0, 0, 0))`,
      marker,
    );
    expect(out).toEqual({ finit: 'EPERM', init: 'EPERM', kexec: 'EPERM' });
    return result;
  });

  hostileCase(h, 'P9 bpf is refused', async (h, marker) => {
    const { result, out } = await h.probe(`report(bpf=sc(${NR.bpf}, 0, 0, 0))`, marker);
    expect(out.bpf).toBe('EPERM');
    return result;
  });

  hostileCase(h, 'P10 the kernel keyring is unreachable (keyctl, add_key)', async (h, marker) => {
    const { result, out } = await h.probe(
      `report(keyctl=sc(${NR.keyctl}, 0, 0, 0), add_key=sc(${NR.add_key}, 0, 0, 0, 0, 0))`,
      marker,
    );
    expect(out).toEqual({ keyctl: 'EPERM', add_key: 'EPERM' });
    return result;
  });

  hostileCase(h, 'P11 io_uring is refused', async (h, marker) => {
    const { result, out } = await h.probe(
      `params = ctypes.create_string_buffer(120)
report(setup=sc(${NR.io_uring_setup}, 8, ctypes.addressof(params)))`,
      marker,
    );
    expect(out.setup).toBe('EPERM');
    return result;
  });

  hostileCase(h, 'P12 AF_ALG and AF_VSOCK sockets are refused', async (h, marker) => {
    const { result, out } = await h.probe(
      `report(alg=attempt(lambda: socket.socket(38, socket.SOCK_SEQPACKET, 0)),
       vsock=attempt(lambda: socket.socket(40, socket.SOCK_STREAM, 0)))`,
      marker,
    );
    expect(out).toEqual({ alg: 'EPERM', vsock: 'EPERM' });
    return result;
  });

  hostileCase(h, 'P13 the process has no capabilities and a seccomp filter', async (h, marker) => {
    const { result, out } = await h.probe(
      `status = dict(l.split(":\\t", 1) for l in open("/proc/self/status").read().splitlines() if ":\\t" in l)
report(**{k: status[k].strip() for k in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb", "Seccomp")})`,
      marker,
    );
    const none = '0000000000000000';
    expect(out).toEqual({ CapInh: none, CapPrm: none, CapEff: none, CapBnd: none, CapAmb: none, Seccomp: '2' });
    return result;
  });

  hostileCase(h, 'P14 files cannot be given to root, and system files cannot be changed', async (h, marker) => {
    const { result, out } = await h.probe(
      `open("mine", "w").close()
report(chown=attempt(lambda: os.chown("mine", 0, 0)), passwd=attempt(lambda: open("/etc/passwd", "a")))`,
      marker,
    );
    expect(out.chown).toBe('EPERM');
    expect(out.passwd).toMatch(/^(EROFS|EACCES)$/);
    return result;
  });

  hostileCase(h, 'P15 perf events, userfaultfd and pivot_root are refused', async (h, marker) => {
    const { result, out } = await h.probe(
      `report(perf=sc(${NR.perf_event_open}, 0, 0, -1, -1, 0), userfaultfd=sc(${NR.userfaultfd}, 0), pivot_root=sc(${NR.pivot_root}, 0, 0))`,
      marker,
    );
    expect(out).toEqual({ perf: 'EPERM', userfaultfd: 'EPERM', pivot_root: 'EPERM' });
    return result;
  });

  hostileCase(
    h,
    'P16 no-new-privileges cannot be turned off, and holds in every program started after it',
    async (h, marker) => {
      const { result, out } = await h.probe(
        `import subprocess
PR_SET_NO_NEW_PRIVS, PR_GET_NO_NEW_PRIVS = 38, 39
get = libc.prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0)
ctypes.set_errno(0)
clear = "ok" if libc.prctl(PR_SET_NO_NEW_PRIVS, 0, 0, 0, 0) == 0 else errno.errorcode[ctypes.get_errno()]
# Through two execs (sh, then cat): under no-new-privileges an exec ignores setuid bits and file
# capabilities, so a program started here, setuid or not, gets no more than this.
status = subprocess.run(["/bin/sh", "-c", "exec cat /proc/self/status"], capture_output=True, text=True).stdout
fields = dict(l.split(":\\t", 1) for l in status.splitlines() if ":\\t" in l)
report(get=get, clear=clear, setuid=attempt(lambda: os.setuid(0)),
       child={k: fields[k].strip() for k in ("NoNewPrivs", "Seccomp", "CapPrm", "CapEff", "Uid")})`,
        marker,
      );
      const none = '0000000000000000';
      expect(out).toEqual({
        get: 1,
        // The kernel takes only 1 here: once set, the flag stays for the process and all it starts.
        clear: 'EINVAL',
        setuid: 'EPERM',
        child: { NoNewPrivs: '1', Seccomp: '2', CapPrm: none, CapEff: none, Uid: '10001\t10001\t10001\t10001' },
      });
      return result;
    },
  );

  hostileCase(
    h,
    'P17 no file the program writes can carry privilege: writable mounts are nosuid, file capabilities are refused',
    async (h, marker) => {
      const { result, out } = await h.probe(
        `import struct
writable = []
for line in open("/proc/self/mountinfo"):
    fields = line.split(" - ")[0].split()
    opts = fields[5].split(",")
    if "rw" in opts:
        writable.append({"point": fields[4], "nosuid": "nosuid" in opts})
for path in ("escalate", "/tmp/escalate"):
    open(path, "wb").close()
# security.capability, revision 2, effective: CAP_SETUID (7) granted on exec.
caps = struct.pack("<5I", 0x02000001, 1 << 7, 0, 0, 0)
report(cwd=os.getcwd(), writable=writable,
       setcap=attempt(lambda: os.setxattr("escalate", "security.capability", caps)),
       setcap_tmp=attempt(lambda: os.setxattr("/tmp/escalate", "security.capability", caps)))`,
        marker,
      );
      const writable = out.writable as Array<{ point: string; nosuid: boolean }>;
      // The program's own scratch space is among them, so the check below is not over an empty list.
      expect(writable.map((m) => m.point)).toEqual(expect.arrayContaining([out.cwd, '/tmp', '/dev/shm']));
      expect(writable.filter((m) => !m.nosuid)).toEqual([]);
      // Setting file capabilities needs CAP_SETFCAP; the sandbox has none.
      expect(out).toMatchObject({ setcap: 'EPERM', setcap_tmp: 'EPERM' });
      return result;
    },
  );
});
