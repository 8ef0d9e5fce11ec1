import fs from 'node:fs';
import path from 'node:path';

export interface CgroupSample {
  cpuNs: number | null;
  peakBytes: number | null;
  oomKills: number | null;
  /**
   * The container's memory limit (v1 `memory.limit_in_bytes`, v2 `memory.max`): an OOM kill whose
   * peak stayed well under it is the host's, not the limit's. (The limit-hit counters cannot say:
   * v1 leaves `failcnt` at 0 for a charge that goes straight to the OOM killer.) Absent from fakes
   * that predate it.
   */
  limitBytes?: number | null;
}

/**
 * A container's resource counters, read from the host's cgroup filesystem: CPU time, peak memory
 * and OOM kills, for cgroup v1 and v2. The engine's stats API cannot serve here: on dockerd 20.10
 * every call after the first takes a full second. Reads are synchronous (pseudo-files, microseconds)
 * so a sample can be taken right before a kill.
 */
export abstract class ContainerCgroup {
  abstract sample(): CgroupSample;
  /** Host pids of every process in the container. */
  abstract processes(): number[];
  /** Starts peak memory afresh, so a stage's peak is its own (v1 only; v2 peaks cover the container's life). */
  abstract resetPeak(): void;

  /** The cgroup of the container whose init process is `pid` (a host pid), or null if this process cannot see it. */
  static forPid(pid: number, roots = { proc: '/proc', cgroup: '/sys/fs/cgroup' }): ContainerCgroup | null {
    let lines: string[];
    try {
      lines = fs
        .readFileSync(path.join(roots.proc, String(pid), 'cgroup'), 'utf8')
        .trim()
        .split('\n');
    } catch {
      return null;
    }
    const entries = lines.map((line) => {
      const [, controllers = '', cgroupPath = ''] = line.split(':');
      return { controllers: controllers.split(','), cgroupPath };
    });
    const unified = entries.length === 1 && entries[0]!.controllers[0] === '';
    if (unified) return new CgroupV2(path.join(roots.cgroup, entries[0]!.cgroupPath));
    const dirFor = (controller: string): string | null => {
      const entry = entries.find((e) => e.controllers.includes(controller));
      return entry ? path.join(roots.cgroup, controller, entry.cgroupPath) : null;
    };
    const memory = dirFor('memory');
    const cpuacct = dirFor('cpuacct');
    const pids = dirFor('pids');
    return memory && cpuacct && pids ? new CgroupV1(memory, cpuacct, pids) : null;
  }
}

class CgroupV1 extends ContainerCgroup {
  constructor(
    private readonly memoryDir: string,
    private readonly cpuacctDir: string,
    private readonly pidsDir: string,
  ) {
    super();
  }

  processes(): number[] {
    return readPids(path.join(this.pidsDir, 'cgroup.procs'));
  }

  sample(): CgroupSample {
    return {
      cpuNs: readNumber(path.join(this.cpuacctDir, 'cpuacct.usage')),
      peakBytes: readNumber(path.join(this.memoryDir, 'memory.max_usage_in_bytes')),
      oomKills: readKey(path.join(this.memoryDir, 'memory.oom_control'), 'oom_kill'),
      limitBytes: readNumber(path.join(this.memoryDir, 'memory.limit_in_bytes')),
    };
  }

  resetPeak(): void {
    try {
      fs.writeFileSync(path.join(this.memoryDir, 'memory.max_usage_in_bytes'), '0');
    } catch {
      // read-only cgroupfs: the peak then covers the container's life so far
    }
  }
}

class CgroupV2 extends ContainerCgroup {
  constructor(private readonly dir: string) {
    super();
  }

  sample(): CgroupSample {
    const usageUsec = readKey(path.join(this.dir, 'cpu.stat'), 'usage_usec');
    return {
      cpuNs: usageUsec === null ? null : usageUsec * 1000,
      peakBytes: readNumber(path.join(this.dir, 'memory.peak')),
      oomKills: readKey(path.join(this.dir, 'memory.events'), 'oom_kill'),
      limitBytes: readNumber(path.join(this.dir, 'memory.max')),
    };
  }

  resetPeak(): void {}

  processes(): number[] {
    return readPids(path.join(this.dir, 'cgroup.procs'));
  }
}

function readPids(file: string): number[] {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

function readNumber(file: string): number | null {
  try {
    const value = Number(fs.readFileSync(file, 'utf8').trim());
    return Number.isFinite(value) ? value : null;
  } catch {
    return null;
  }
}

/** A `key value` line from a flat-keyed cgroup file. */
function readKey(file: string, key: string): number | null {
  try {
    const line = fs
      .readFileSync(file, 'utf8')
      .split('\n')
      .find((l) => l.startsWith(`${key} `));
    return line ? Number(line.slice(key.length + 1)) : null;
  } catch {
    return null;
  }
}
