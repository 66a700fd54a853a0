/**
 * Shared by the node agent (stall detection, the gateway's SSE usage count)
 * and fleetctl (readable logs): Cline's `--json` event lines and the line
 * splitting they all need.
 */

/** A tool call in a few words: `run_commands ["npm test"]`. */
export function describeToolCall(toolName: string, input: unknown, maxChars = 120): string {
  const text = input === undefined ? '' : (JSON.stringify(input) ?? '');
  const short = text.length > maxChars ? `${text.slice(0, maxChars - 1)}…` : text;
  return short ? `${toolName} ${short}` : toolName;
}

export type Json = Record<string, unknown>;

export function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Splits a byte stream into lines, keeping the partial last one for the next push. */
export class LineSplitter {
  private rest = '';

  constructor(private readonly maxLineChars = 4 * 1024 * 1024) {}

  push(text: string): string[] {
    const lines = (this.rest + text).split('\n');
    this.rest = lines.pop() ?? '';
    if (this.rest.length > this.maxLineChars) this.rest = '';
    return lines;
  }

  end(): string[] {
    const last = this.rest;
    this.rest = '';
    return last ? [last] : [];
  }
}

/** Parses one line as a Cline JSON event; null for anything else. */
export function parseEventLine(line: string): Json | null {
  const trimmed = line.trim();
  if (!trimmed.startsWith('{')) return null;
  try {
    const parsed: unknown = JSON.parse(trimmed);
    return isObject(parsed) ? parsed : null;
  } catch {
    return null;
  }
}
