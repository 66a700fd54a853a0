import test from 'ava';
import { ValidationError } from '../../common/errors.js';
import { compileProviderInput, providerToProto } from './providers.js';

const ok = { name: 'openai', baseUrl: 'https://api.example.com/v1/', model: 'gpt-x', apiKey: ' sk-123 \n' };

test('a provider input is trimmed and kept', (t) => {
  t.deepEqual(compileProviderInput(ok), { name: 'openai', baseUrl: 'https://api.example.com/v1', model: 'gpt-x', apiKey: 'sk-123' });
});

test('each bad field is named', (t) => {
  const cases: Array<[Partial<typeof ok>, string]> = [
    [{ name: 'Open AI' }, 'name: provider names are lower-case letters, digits, "-" and "_" (at most 63)'],
    [{ baseUrl: 'not a url' }, 'base_url: "not a url" is not a URL (e.g. https://api.example.com/v1)'],
    [{ baseUrl: 'ftp://h/v1' }, 'base_url: must be an http:// or https:// URL'],
    [{ baseUrl: 'https://user:pw@h/v1' }, 'base_url: must not carry credentials: give the key with --api-key-file'],
    [{ baseUrl: 'https://h/v1?key=x' }, 'base_url: must be a plain base URL without query or fragment'],
    [{ model: '' }, 'model: is required: the model name the provider expects, without spaces'],
    [{ apiKey: '' }, 'api_key: is required'],
    [{ apiKey: 'two words' }, 'api_key: must be one line without spaces, at most 8192 characters'],
  ];
  for (const [change, message] of cases) {
    t.throws(() => compileProviderInput({ ...ok, ...change }), { instanceOf: ValidationError, message });
  }
});

test('the API view never carries the key', (t) => {
  const view = providerToProto({ name: 'p', baseUrl: 'https://h', model: 'm', sealedKey: 'v1:secret', createdAtMs: 1, updatedAtMs: 2 });
  t.deepEqual(view, { name: 'p', baseUrl: 'https://h', model: 'm', updatedAtMs: 2, hasApiKey: true });
});
