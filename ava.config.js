// TypeScript runs through tsx in child processes: worker threads do not take the loader.
export default {
  files: [
    'common/**/*.test.ts',
    'control-plane/src/**/*.test.ts',
    'node-agent/src/**/*.test.ts',
    'cli/src/**/*.test.ts',
    'installers/**/*.test.ts',
    'test/**/*.test.ts',
    // Boots systemd in a container and copies the whole tree into it: run on
    // its own afterwards (ava.systemd.config.js), so that its load does not
    // skew the timing of the tests that share the machine.
    '!test/systemd.test.ts',
    // Twenty real Cline runs on two cores for ten minutes: beside another
    // file, its load times out that file's tasks (CI runs 11 and 12). Run on
    // its own afterwards too (ava.alone.config.js).
    '!test/provider-rates.test.ts',
    // Real Cline on two agents with a forge, and two timing-bound files that interfere with others: alone too.
    '!test/delivery.test.ts',
    '!test/node-certificates.test.ts',
    '!test/control-plane-restart.test.ts',
    // Sixty-three containers in a burst, then eight Cline runs on two agents: beside whole-path in CI run 19,
    // whole-path's tasks were retried and a cancel took over 10 s. Alone too.
    '!test/teams.test.ts',
  ],
  extensions: { ts: 'module' },
  nodeArguments: ['--import=tsx'],
  workerThreads: false,
  timeout: '3m',
  concurrency: 2,
  verbose: true,
};
