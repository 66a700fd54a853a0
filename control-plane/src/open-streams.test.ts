import test from 'ava';
import { UnavailableError } from '../../common/errors.js';
import { OpenStreams } from './open-streams.js';

test('a stopping replica ends every open stream with UNAVAILABLE and its reason, once', (t) => {
  const streams = new OpenStreams();
  const ended: string[] = [];
  streams.add((err) => ended.push(`a: ${err.code} ${err.message}`));
  const forgetB = streams.add((err) => ended.push(`b: ${err.message}`));
  streams.add((err) => ended.push(`c: ${err.message}`));
  forgetB();
  t.is(streams.count, 2, 'a stream that ended by itself is forgotten');
  t.is(streams.endAll('replica 3b8ec8cf is stopping'), 2);
  t.deepEqual(ended, ['a: UNAVAILABLE replica 3b8ec8cf is stopping', 'c: replica 3b8ec8cf is stopping']);
  t.is(streams.count, 0);
  t.is(streams.endAll('again'), 0, 'nothing is ended twice');
});

test('a stream that begins while the replica stops is ended at once', (t) => {
  const streams = new OpenStreams();
  streams.endAll('stopping');
  let got: UnavailableError | undefined;
  const forget = streams.add((err) => (got = err));
  t.true(got instanceof UnavailableError);
  t.is(got?.message, 'stopping');
  forget();
  t.is(streams.count, 0);
});
