/**
 * Reads a Cline run's `--json` output (one JSON object per line) and keeps
 * what the agent needs: progress for people (iterations, last tool, tokens),
 * the submitted summary, how the run finished, and whether it is stuck.
 * Pure: time comes in as arguments, so the stall rules are unit-tested.
 *
 * Stuck means no event for `stallTimeoutMs` (a model or a command that hangs),
 * the same tool call, with the same input, `maxRepeatedToolCalls` times in a
 * row, or as many iterations in a row without any tool call (a model that only
 * talks: Cline prompts it again at once, thousands of times a minute). In
 * --yolo Cline never stops by itself.
 */
import { describeToolCall, isObject, LineSplitter, parseEventLine, type Json } from '../../common/cline-events.js';
import type { AgentProgress } from '../../common/model.js';

export interface MonitorSettings {
  stallTimeoutMs: number;
  maxRepeatedToolCalls: number;
}

/** Which rule found the run stuck: no event for the stall timeout, the same tool call again and again, iterations without a tool call. */
export const STALL_RULES = ['no_events', 'repeated_tool_call', 'no_tool_calls'] as const;
export type StallRule = (typeof STALL_RULES)[number];

export interface Stall {
  reason: 'stalled';
  rule: StallRule;
  message: string;
}

export class ClineMonitor {
  private readonly lines = new LineSplitter();
  private lastEventAtMs: number;
  private lastCall = '';
  private repeats = 0;
  /** Iterations in a row that ended without a tool call. */
  private idleIterations = 0;
  private pendingSummary: { summary: string; verified: boolean; toolCallId: string } | null = null;
  iterations = 0;
  inputTokens = 0;
  outputTokens = 0;
  costUsd = 0;
  lastTool = '';
  summary = '';
  verified = false;
  finishReason = '';
  lastError = '';
  /** Bumped on every change worth reporting. */
  version = 0;

  constructor(
    private readonly settings: MonitorSettings,
    startedAtMs: number,
  ) {
    this.lastEventAtMs = startedAtMs;
  }

  /** Feeds stdout bytes; complete lines are parsed, the rest kept. */
  push(text: string, nowMs: number): void {
    for (const line of this.lines.push(text)) {
      this.line(line, nowMs);
      // Stop counting at the limit, so the report says when the loop was caught.
      if (this.loop()) return;
    }
  }

  private line(line: string, nowMs: number): void {
    const parsed = parseEventLine(line);
    if (!parsed) return;
    this.lastEventAtMs = nowMs;
    if (parsed.type === 'run_result') {
      this.finishReason = String(parsed.finishReason ?? '');
      if (typeof parsed.iterations === 'number') this.iterations = parsed.iterations;
      this.version++;
      return;
    }
    if (parsed.type === 'agent_event' && isObject(parsed.event)) this.event(parsed.event);
  }

  private event(e: Json): void {
    switch (e.type) {
      case 'iteration_start':
        if (typeof e.iteration === 'number') this.iterations = e.iteration;
        this.version++;
        return;
      case 'usage':
        this.inputTokens = Number(e.totalInputTokens ?? this.inputTokens) || 0;
        this.outputTokens = Number(e.totalOutputTokens ?? this.outputTokens) || 0;
        this.costUsd = Number(e.totalCost ?? this.costUsd) || 0;
        this.version++;
        return;
      case 'iteration_end':
        this.idleIterations = e.hadToolCalls === false ? this.idleIterations + 1 : 0;
        return;
      case 'content_start':
        if (e.contentType === 'tool' && typeof e.toolName === 'string') this.toolCall(e.toolName, e.input, String(e.toolCallId ?? ''));
        return;
      case 'content_end':
        if (e.toolName === 'submit_and_exit' && this.pendingSummary && !e.error && String(e.toolCallId ?? '') === this.pendingSummary.toolCallId) {
          this.summary = this.pendingSummary.summary;
          this.verified = this.pendingSummary.verified;
        }
        return;
      case 'error':
        if (isObject(e.error)) this.lastError = String(e.error.message ?? '').slice(0, 500);
        return;
      default:
        return;
    }
  }

  private toolCall(toolName: string, input: unknown, toolCallId: string): void {
    const key = `${toolName}\0${JSON.stringify(input ?? null)}`;
    this.repeats = key === this.lastCall ? this.repeats + 1 : 1;
    this.lastCall = key;
    this.lastTool = describeToolCall(toolName, input);
    if (toolName === 'submit_and_exit' && isObject(input)) {
      this.pendingSummary = { summary: String(input.summary ?? ''), verified: input.verified === true, toolCallId };
    }
    this.version++;
  }

  private loop(): Stall | null {
    const max = this.settings.maxRepeatedToolCalls;
    if (this.repeats >= max) return { reason: 'stalled', rule: 'repeated_tool_call', message: `the same tool call ${this.repeats} times in a row: ${this.lastTool}` };
    if (this.idleIterations >= max) return { reason: 'stalled', rule: 'no_tool_calls', message: `${this.idleIterations} iterations in a row without a tool call` };
    return null;
  }

  /**
   * The stall clock starts when the container starts: cloning the repository
   * and making the container are the node's time, not Cline's.
   */
  containerStarted(nowMs: number): void {
    this.lastEventAtMs = Math.max(this.lastEventAtMs, nowMs);
  }

  /**
   * The fleet holds the run: a call of its waits in the gateway for a
   * provider's rate permit. That is the fleet's time, not Cline's: the stall
   * clock does not run meanwhile.
   */
  heldByFleet(nowMs: number): void {
    this.lastEventAtMs = Math.max(this.lastEventAtMs, nowMs);
  }

  /** Null while the run makes progress. */
  check(nowMs: number): Stall | null {
    const loop = this.loop();
    if (loop) return loop;
    const quietMs = nowMs - this.lastEventAtMs;
    if (quietMs >= this.settings.stallTimeoutMs) {
      return { reason: 'stalled', rule: 'no_events', message: `no Cline event for ${Math.round(quietMs / 1000)}s (stall timeout ${Math.round(this.settings.stallTimeoutMs / 1000)}s)` };
    }
    return null;
  }

  progress(nowMs: number): AgentProgress {
    return { iterations: this.iterations, inputTokens: this.inputTokens, outputTokens: this.outputTokens, costUsd: this.costUsd, lastTool: this.lastTool, updatedAtMs: nowMs };
  }
}
