/**
 * Turns Cline's `--json` event lines into lines a person can follow in
 * `fleetctl task logs`: iterations, tool calls and their input in short,
 * command output, tokens so far, and how the run ended.
 */
import { describeToolCall, isObject, LineSplitter, parseEventLine, type Json } from '../../common/cline-events.js';

const OUTPUT_LINES_SHOWN = 20;

function indent(text: string, prefix: string, maxLines = OUTPUT_LINES_SHOWN): string[] {
  const lines = text.replace(/\n+$/, '').split('\n');
  const shown = lines.slice(0, maxLines).map((l) => `${prefix}${l}`);
  if (lines.length > maxLines) shown.push(`${prefix}… ${lines.length - maxLines} more lines`);
  return text.trim() === '' ? [] : shown;
}

function short(text: unknown, max = 300): string {
  const s = typeof text === 'string' ? text : JSON.stringify(text) ?? '';
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

export class ClineRenderer {
  private readonly lines = new LineSplitter();
  /** Tool calls whose output was already shown as it streamed. */
  private readonly streamed = new Set<string>();

  push(text: string): string[] {
    return this.lines.push(text).flatMap((line) => this.render(line));
  }

  end(): string[] {
    return this.lines.end().flatMap((line) => this.render(line));
  }

  private render(line: string): string[] {
    const parsed = parseEventLine(line);
    if (!parsed) return line.trim() === '' ? [] : [line];
    if (parsed.type === 'run_result') {
      const usage = isObject(parsed.usage) ? parsed.usage : {};
      return [
        `■ run ${String(parsed.finishReason ?? '?')}: ${String(parsed.iterations ?? 0)} iterations, ` +
          `${Number(usage.inputTokens ?? 0)} in / ${Number(usage.outputTokens ?? 0)} out tokens, ` +
          `$${Number(usage.totalCost ?? 0).toFixed(4)}, ${(Number(parsed.durationMs ?? 0) / 1000).toFixed(1)}s`,
      ];
    }
    if (parsed.type === 'agent_event' && isObject(parsed.event)) return this.event(parsed.event);
    return [];
  }

  private event(e: Json): string[] {
    const id = String(e.toolCallId ?? '');
    switch (e.type) {
      case 'iteration_start':
        return [`── iteration ${String(e.iteration)} ──`];
      case 'usage':
        return [`   tokens so far: ${Number(e.totalInputTokens ?? 0)} in / ${Number(e.totalOutputTokens ?? 0)} out, $${Number(e.totalCost ?? 0).toFixed(4)}`];
      case 'content_start':
        if (e.contentType === 'tool') return [`→ ${describeToolCall(String(e.toolName), e.input)}`];
        return [];
      case 'content_update': {
        const update = isObject(e.update) ? e.update : null;
        if (e.contentType === 'tool' && update && typeof update.chunk === 'string' && update.chunk !== '') {
          this.streamed.add(id);
          return indent(update.chunk, '   │ ');
        }
        return [];
      }
      case 'content_end':
        return this.contentEnd(e, id);
      case 'error':
        return [`! ${short(isObject(e.error) ? e.error.message : e.error)}`];
      case 'done':
        return [`✔ done (${String(e.reason)}) after ${String(e.iterations ?? 0)} iterations`];
      default:
        return [];
    }
  }

  private contentEnd(e: Json, id: string): string[] {
    if (e.contentType === 'text' && typeof e.text === 'string') return indent(e.text, '   ');
    if (e.contentType !== 'tool') return [];
    if (e.error) return [`   ✗ ${String(e.toolName)}: ${short(e.error)}`];
    const out: string[] = [];
    if (!this.streamed.has(id) && Array.isArray(e.output)) {
      for (const item of e.output) {
        if (isObject(item) && typeof item.result === 'string') out.push(...indent(item.result, '   │ '));
      }
    }
    out.push(`   ✓ ${String(e.toolName)}${typeof e.durationMs === 'number' ? ` (${e.durationMs}ms)` : ''}`);
    return out;
  }
}
