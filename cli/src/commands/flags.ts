/** Flag parsers shared by the commands: each refuses bad input with the flag's name (exit 2). */
import { parseDuration } from '../../../common/duration.js';
import { ValidationError } from '../../../common/errors.js';
import { ID_PATTERN } from '../../../common/ids.js';
import { CliError } from '../client.js';

export function keyValue(flag: string) {
  return (text: string, previous: Record<string, string>): Record<string, string> => {
    const eq = text.indexOf('=');
    if (eq <= 0) throw new CliError(`${flag}: "${text.slice(0, 80)}" is not KEY=VALUE`, 2);
    return { ...previous, [text.slice(0, eq)]: text.slice(eq + 1) };
  };
}

export function selectors(text: string, previous: Record<string, string>): Record<string, string> {
  return text.split(',').filter(Boolean).reduce((acc, pair) => keyValue('--label-selector')(pair, acc), previous);
}

/** `k=v,k2=v2`, repeatable; the server checks keys and values. */
export function labelList(flag: string) {
  return (text: string, previous: Record<string, string>): Record<string, string> => text.split(',').map((p) => p.trim()).filter(Boolean).reduce((acc, pair) => keyValue(flag)(pair, acc), previous);
}

export function flagValue<T>(flag: string, parse: (field: string, text: string) => T) {
  return (text: string): T => {
    try {
      return parse(flag, text);
    } catch (err) {
      throw new CliError(err instanceof ValidationError ? err.message : String(err), 2);
    }
  };
}

export function wholeNumber(flag: string, min: number, max = Number.MAX_SAFE_INTEGER) {
  return flagValue(flag, (field, text) => {
    if (!/^-?\d+$/.test(text.trim())) throw new ValidationError(field, `"${text}" is not a whole number`);
    const n = Number(text);
    if (n < min) throw new ValidationError(field, min === 0 ? `must not be negative, got ${n}` : `must be at least ${min}, got ${n}`);
    if (n > max) throw new ValidationError(field, `must be at most ${max}, got ${n}`);
    return n;
  });
}

export const durationFlag = (flag: string) => flagValue(flag, parseDuration);

export const taskIdFlag = (flag: string) =>
  flagValue(flag, (field, text) => {
    if (!ID_PATTERN.test(text) || !text.startsWith('task_')) throw new ValidationError(field, `"${text.slice(0, 40)}" is not a task id`);
    return text;
  });

/** `a,b`, repeatable, in order; the server checks each name. */
export function nameList(text: string, previous: string[]): string[] {
  return [...previous, ...text.split(',').map((n) => n.trim()).filter(Boolean)];
}
