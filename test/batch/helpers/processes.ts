import { readdirSync, readFileSync } from 'node:fs';

interface ProcInfo {
  pid: number;
  state: string;
  pgrp: number;
  comm: string;
}

function info(pid: number): ProcInfo | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const close = stat.lastIndexOf(')');
    const comm = stat.slice(stat.indexOf('(') + 1, close);
    const [state, , pgrp] = stat.slice(close + 2).split(' ');
    return { pid, state: state!, pgrp: Number(pgrp), comm };
  } catch {
    return undefined;
  }
}

/** The live processes of a process group (zombies excluded), from /proc. */
export function groupMembers(pgrp: number): ProcInfo[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map((d) => info(Number(d)))
    .filter((p): p is ProcInfo => p !== undefined && p.pgrp === pgrp && p.state !== 'Z');
}

/** True while the process exists and is not a zombie waiting to be reaped. */
export function alive(pid: number): boolean {
  const p = info(pid);
  return p !== undefined && p.state !== 'Z';
}

/** Polls until `check` returns a value (not undefined), or gives up after `tries`. */
export async function eventually<T>(check: () => T | undefined, tries = 400, everyMs = 25): Promise<T> {
  for (let i = 0; i < tries; i++) {
    const v = check();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error('condition not met in time');
}

/** Polls an async check until it returns a value (not undefined). */
export async function eventuallyAsync<T>(
  check: () => Promise<T | undefined>,
  tries = 400,
  everyMs = 25,
): Promise<T> {
  for (let i = 0; i < tries; i++) {
    const v = await check();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error('condition not met in time');
}
