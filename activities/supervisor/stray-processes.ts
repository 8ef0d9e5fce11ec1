import fs from 'node:fs';
import type Docker from 'dockerode';
import type { ContainerCgroup } from './cgroup-metrics';

interface ProcStat {
  ppid: number;
  startTime: number;
}

/** Fields 4 (ppid) and 22 (start time) of /proc/<pid>/stat; the command name may hold spaces, so parse after it. */
function procStat(pid: number): ProcStat | null {
  try {
    const text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(fields[1]), startTime: Number(fields[19]) };
  } catch {
    return null;
  }
}

/**
 * Kills whatever a stage left running — daemons, background jobs, a fork bomb's survivors — so the
 * next stage starts with only the container's init and its idle process. The container is frozen
 * first, so nothing can fork while it is swept. Returns how many processes were killed.
 */
export async function killStrayProcesses(
  container: Docker.Container,
  initPid: number,
  cgroup: ContainerCgroup,
): Promise<number> {
  const strays = (): number[] => {
    const children = cgroup
      .processes()
      .filter((pid) => pid !== initPid)
      .map((pid) => ({ pid, stat: procStat(pid) }))
      .filter((p) => p.stat !== null);
    // The idle process is the init's first child; everything else came from a stage.
    const idle = children
      .filter((p) => p.stat!.ppid === initPid)
      .sort((a, b) => a.stat!.startTime - b.stat!.startTime)[0];
    return children.filter((p) => p !== idle).map((p) => p.pid);
  };
  if (strays().length === 0) return 0;
  await container.pause();
  let killed: number[] = [];
  try {
    killed = strays().filter((pid) => {
      try {
        process.kill(pid, 'SIGKILL');
        return true;
      } catch {
        return false; // gone already
      }
    });
  } finally {
    // Frozen processes take the signal as they thaw.
    await container.unpause();
  }
  for (let i = 0; i < 100 && killed.some((pid) => cgroup.processes().includes(pid)); i++) {
    await new Promise((r) => setTimeout(r, 10));
  }
  return killed.length;
}
