// The tests under a real systemd (test/systemd.test.ts), run after the others: `npm test` runs both.
import base from './ava.config.js';

export default {
  ...base,
  files: ['test/systemd.test.ts'],
  concurrency: 1,
};
