// The tests that must have the machine to themselves, run one file at a time after the others (`npm test`):
// systemd booted in a container (test/systemd.test.ts) and twenty real Cline runs (test/provider-rates.test.ts).
import base from './ava.config.js';

export default {
  ...base,
  files: ['test/systemd.test.ts', 'test/provider-rates.test.ts'],
  concurrency: 1,
};
