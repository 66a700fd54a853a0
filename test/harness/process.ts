/** Child processes for tests: output kept in a file, waits on log lines, SIGTERM or SIGKILL. */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

export class TestProcess {
  readonly child: ChildProcess;
  private output = '';
  readonly exited: Promise<number | null>;

  constructor(
    readonly name: string,
    command: string,
    args: string[],
    readonly logPath: string,
    env: NodeJS.ProcessEnv = {},
  ) {
    const file = createWriteStream(logPath, { flags: 'a' });
    this.child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const onData = (d: Buffer) => {
      this.output += d.toString();
      file.write(d);
    };
    this.child.stdout!.on('data', onData);
    this.child.stderr!.on('data', onData);
    // 'close', not 'exit': the pipes may still hold output when the process has exited.
    this.exited = new Promise((resolve) =>
      this.child.once('close', (code, signal) => {
        file.end();
        resolve(code ?? (signal ? 128 : null));
      }),
    );
  }

  get text(): string {
    return this.output;
  }

  /** JSON log lines, parsed; other lines are skipped. */
  logLines(): Array<Record<string, unknown>> {
    return this.output
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => {
        try {
          return JSON.parse(l) as Record<string, unknown>;
        } catch {
          return {};
        }
      });
  }

  async waitForLog(msg: string, timeoutMs = 20_000): Promise<Record<string, unknown>> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const line = this.logLines().find((l) => l.msg === msg);
      if (line) return line;
      if (this.child.exitCode !== null) throw new Error(`${this.name} exited (${this.child.exitCode}) before logging "${msg}":\n${this.output.slice(-3000)}`);
      await sleep(50);
    }
    throw new Error(`${this.name} did not log "${msg}" within ${timeoutMs}ms:\n${this.output.slice(-3000)}`);
  }

  async waitForText(text: string, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.output.includes(text)) {
      if (this.child.exitCode !== null) throw new Error(`${this.name} exited (${this.child.exitCode}) before printing "${text}":\n${this.output.slice(-3000)}`);
      if (Date.now() > deadline) throw new Error(`${this.name} did not print "${text}" within ${timeoutMs}ms:\n${this.output.slice(-3000)}`);
      await sleep(50);
    }
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 15_000): Promise<number | null> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return this.child.exitCode;
    this.child.kill(signal);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }
}

export function readLog(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}
