#!/usr/bin/env node
/** fleetctl: runs the command tree; expected errors are one line, never a stack trace. */
import { safeText } from './safe-text.js';
import { CommanderError } from 'commander';
import { CliError } from './client.js';
import { buildProgram } from './program.js';

// A reader that stops early (`fleetctl task list | head`) is not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
});

const { program, context } = buildProgram({ out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) });

try {
  await program.parseAsync(process.argv);
  context()?.close();
} catch (err) {
  if (err instanceof CommanderError) {
    // Commander has printed its message already (help, usage errors).
    process.exitCode = err.exitCode === 0 ? 0 : 2;
  } else if (err instanceof CliError) {
    // A server's message may quote what a node or a caller sent.
    if (err.message) process.stderr.write(`fleetctl: ${safeText(err.message)}\n`);
    process.exitCode = err.exitCode;
  } else {
    process.stderr.write(`fleetctl: unexpected error: ${(err as Error)?.stack ?? err}\n`);
    process.exitCode = 1;
  }
}
// Open gRPC channels must not keep the process alive after the answer.
setImmediate(() => process.exit(process.exitCode ?? 0));
