/**
 * Files the control plane reads secrets from (keys, seeds, passwords): read
 * whole, and refused when others may read them, as a secret readable by
 * others is a secret shared with them. Errors name the flag.
 */
import { readFileSync, statSync } from 'node:fs';

export function readFile(path: string, flag: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`${flag}: cannot read ${path}: ${(err as Error).message}`);
  }
}

export function readPrivateFile(path: string, flag: string): string {
  const text = readFile(path, flag);
  if ((statSync(path).mode & 0o077) !== 0) throw new Error(`${flag}: ${path} is readable by others; chmod 600 it`);
  return text;
}
