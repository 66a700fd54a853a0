/** A secret (an API key, a forge token) read from a file or standard input: never from argv. */
import { readFileSync } from 'node:fs';
import { CliError } from './client.js';

const MAX_SECRET_FILE_BYTES = 64 * 1024;

/** The file's one line; `flag` names the option in every error ("-" reads standard input). */
export function readSecretFile(flag: string, path: string, what: string): string {
  let text: string;
  try {
    const data = readFileSync(path === '-' ? 0 : path);
    if (data.length > MAX_SECRET_FILE_BYTES) throw new CliError(`${flag}: ${path} is ${data.length} bytes; a ${what} file holds one ${what}`, 2);
    text = data.toString('utf8').trim();
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw new CliError(`${flag}: cannot read ${path}: ${(err as Error).message}`, 2);
  }
  if (text === '') throw new CliError(`${flag}: ${path} is empty`, 2);
  if (/\s/.test(text)) throw new CliError(`${flag}: ${path} must hold the ${what} alone, on one line`, 2);
  return text;
}
