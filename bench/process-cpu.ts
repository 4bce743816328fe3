import { readdirSync, readFileSync } from 'node:fs';

/** CPU seconds (user + system, every thread) processes have used so far, by role. */
export type CpuSnapshot = Map<string, number>;

const TICKS_PER_SECOND = 100;

/** utime + stime of one process from /proc; 0 when it is gone. */
function cpuSecondsOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

/** Every PostgreSQL server process on the machine: the bench's database shares the server with whatever else runs on it. */
function postgresPids(): number[] {
  return readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .map(Number)
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'postgres';
      } catch {
        return false;
      }
    });
}

/**
 * CPU time by role, so a run can say where each task's cost went. Unlike a
 * rate, CPU seconds barely move when the shared machine is busy with other
 * work (only the PostgreSQL figure can include other databases' work).
 * `postgres: true` adds the server's processes as role `postgres`.
 */
export function cpuSnapshot(roles: Record<string, readonly number[]>, options: { postgres?: boolean } = {}): CpuSnapshot {
  const all: Record<string, readonly number[]> = options.postgres ? { ...roles, postgres: postgresPids() } : roles;
  return new Map(Object.entries(all).map(([role, pids]) => [role, pids.reduce((sum, pid) => sum + cpuSecondsOf(pid), 0)]));
}

/** Milliseconds of CPU per task by role between two snapshots (a server process started in between counts from zero). */
export function cpuPerTask(before: CpuSnapshot, after: CpuSnapshot, tasks: number): Map<string, number> {
  return new Map([...after].map(([role, seconds]) => [role, (1000 * Math.max(0, seconds - (before.get(role) ?? 0))) / tasks]));
}

/** `workers 1.40, scheduler 1.72, ... = total 4.86 ms` */
export function formatCpu(perTask: Map<string, number>): string {
  const total = [...perTask.values()].reduce((a, b) => a + b, 0);
  return `${[...perTask].map(([role, ms]) => `${role} ${ms.toFixed(2)}`).join(', ')} = ${total.toFixed(2)} ms`;
}

export const totalCpu = (perTask: Map<string, number>): number => [...perTask.values()].reduce((a, b) => a + b, 0);
