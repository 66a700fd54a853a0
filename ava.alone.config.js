// The tests that must have the machine to themselves, run one file at a time after the others (`npm test`):
// systemd booted in a container (test/systemd.test.ts), twenty real Cline runs (test/provider-rates.test.ts),
// and real Cline runs on two agents with a forge (test/delivery.test.ts: beside other files in CI run 15, the
// timing-bound tests next to it failed).
import base from './ava.config.js';

export default {
  ...base,
  files: ['test/systemd.test.ts', 'test/provider-rates.test.ts', 'test/delivery.test.ts'],
  concurrency: 1,
};
