// What one process has cost so far, read from /proc (Linux): CPU seconds (user + system, all of
// its threads) and peak resident memory. Read before the process is stopped: /proc forgets it.
import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';

// /proc/<pid>/stat counts in clock ticks; 100 a second on every Linux we run on, but ask anyway.
const TICKS_PER_SECOND = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** utime + stime of `pid` in seconds. */
export async function cpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) is in parentheses and may hold spaces: count fields after it.
  // Field 3 (state) is then index 0, so utime (14) and stime (15) are indexes 11 and 12.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(rest[11]) + Number(rest[12])) / TICKS_PER_SECOND;
}

/** The peak resident set size of `pid` (VmHWM) in MB. */
export async function peakRssMB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const m = /VmHWM:\s+(\d+) kB/.exec(status);
  if (!m) throw new Error(`no VmHWM in /proc/${pid}/status`);
  return Number(m[1]) / 1024;
}

/**
 * The pid of the process listening on a 127.0.0.1 port: how a broker JVM that the test harness
 * started (and does not hand out the pid of) is found. The listening socket's inode, from
 * /proc/net/tcp, is matched against every process's open descriptors.
 */
export async function listenerPid(port: number): Promise<number> {
  const { readdir, readlink } = await import('node:fs/promises');
  const hexPort = `:${port.toString(16).toUpperCase().padStart(4, '0')} `;
  // A JVM binds even an IPv4 address through a dual-stack socket, listed in tcp6.
  const tcp = (await readFile('/proc/net/tcp', 'utf8')) + (await readFile('/proc/net/tcp6', 'utf8').catch(() => ''));
  // Columns: sl local_address rem_address st ... inode (index 9); st 0A is LISTEN.
  const row = tcp.split('\n').map((l) => l.trim().split(/\s+/)).find((c) => `${c[1]} `.endsWith(hexPort) && c[3] === '0A');
  const inode = row?.[9];
  if (!inode) throw new Error(`nothing listens on 127.0.0.1:${port}`);
  for (const p of await readdir('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    const fds = await readdir(`/proc/${p}/fd`).catch(() => [] as string[]);
    for (const fd of fds) {
      if ((await readlink(`/proc/${p}/fd/${fd}`).catch(() => '')) === `socket:[${inode}]`) return Number(p);
    }
  }
  throw new Error(`no process owns the listener on 127.0.0.1:${port}`);
}

/** The machine's busy CPU seconds so far (all cores, everything but idle and iowait), from /proc/stat. */
export async function machineBusySeconds(): Promise<number> {
  const cpu = (await readFile('/proc/stat', 'utf8')).split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal
  const busy = cpu[0]! + cpu[1]! + cpu[2]! + cpu[5]! + cpu[6]! + cpu[7]!;
  return busy / TICKS_PER_SECOND;
}
