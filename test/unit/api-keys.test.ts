/**
 * The key store: scopes and policy bindings as each key ends up with them, key files from before
 * scopes keeping their powers, and changes made at once by several processes all kept.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { ApiKeyStore, LEGACY_SCOPES } from '../../lib/node/api-keys';
import { PROJECT_ROOT } from '../../lib/node/paths';

const run = promisify(execFile);
let file: string;
beforeEach(() => {
  file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-keys-')), 'keys.json');
});

test('a new key may only submit unless told otherwise, and runs under any policy, "default" by default', () => {
  const store = new ApiKeyStore(file);
  const { key } = store.create('acme', 'agent');
  expect(store.verify(key)).toMatchObject({
    tenant: 'acme',
    label: 'agent',
    scopes: ['submit'],
    policies: { allowed: null, default: 'default', from: 'none' },
  });
});

test('a key file from before scopes keeps working, each key with the powers it had', () => {
  const store = new ApiKeyStore(file);
  const { key, record } = store.create('acme', 'old');
  const legacy = JSON.parse(fs.readFileSync(file, 'utf8'));
  delete legacy.keys[0].scopes;
  delete legacy.tenants;
  fs.writeFileSync(file, JSON.stringify(legacy));
  const reread = new ApiKeyStore(file);
  expect(reread.verify(key)).toMatchObject({ keyId: record.id, scopes: [...LEGACY_SCOPES] });
  expect(LEGACY_SCOPES).toEqual(['submit', 'approve']);
});

test('bindings: the key’s own, else its tenant’s, else none; the default is one of the allowed', () => {
  const store = new ApiKeyStore(file);
  store.bindTenant('acme', { policies: ['strict', 'ci-gate'] });
  const tenantKey = store.create('acme', 'a').key;
  const ownKey = store.create('acme', 'b', { policies: ['ci-gate'], defaultPolicy: 'ci-gate' }).key;
  expect(store.verify(tenantKey)?.policies).toEqual({
    allowed: ['strict', 'ci-gate'],
    default: 'strict',
    from: 'tenant',
  });
  expect(store.verify(ownKey)?.policies).toEqual({ allowed: ['ci-gate'], default: 'ci-gate', from: 'key' });
  expect(() => store.create('acme', 'c', { defaultPolicy: 'strict' })).toThrow(/must be one of policies/);
  expect(() => store.bindTenant('acme', { policies: ['strict'], defaultPolicy: 'default' })).toThrow(
    /must be one of policies/,
  );
  store.bindTenant('acme', {});
  expect(store.verify(tenantKey)?.policies.from).toBe('none');
});

test('revoking within a tenant finds only that tenant’s keys', () => {
  const store = new ApiKeyStore(file);
  const { key, record } = store.create('acme', 'a');
  expect(store.revoke(record.id, 'globex')).toBe(false);
  expect(store.verify(key)).not.toBeNull();
  expect(store.revoke(record.id, 'acme')).toBe(true);
  expect(store.verify(key)).toBeNull();
});

test('keys created by several processes at once are all kept (the file is changed under a lock)', async () => {
  // The compiled store, as `airlock keys` runs it (the suite builds dist/ first).
  const compiled = path.join(PROJECT_ROOT, 'dist', 'lib', 'node', 'api-keys.js');
  const script = `
    const { ApiKeyStore } = require(${JSON.stringify(compiled)});
    const store = new ApiKeyStore(process.argv[1]);
    for (let i = 0; i < 10; i++) store.create('acme', process.argv[2] + '-' + i);
  `;
  await Promise.all(['a', 'b', 'c', 'd'].map((who) => run(process.execPath, ['-e', script, file, who])));
  const labels = new ApiKeyStore(file).list().map((r) => r.label);
  expect(labels).toHaveLength(40);
  expect(new Set(labels).size).toBe(40);
  expect(fs.existsSync(`${file}.lock`)).toBe(false);
});

test('a keys file broken after the start keeps the last good keys in force, and says so once', () => {
  const writer = new ApiKeyStore(file);
  const { key } = writer.create('acme', 'before');
  const problems: string[] = [];
  const api = new ApiKeyStore(file, { onInvalid: (err) => problems.push(err.message) });
  expect(api.verify(key)?.tenant).toBe('acme');

  // A hand edit gone wrong: every request used to become a 500 from here on.
  fs.writeFileSync(file, '{ "version": 1, "keys": [ ');
  fs.utimesSync(file, new Date(), new Date(Date.now() + 5_000));
  expect(api.list().map((r) => r.label)).toEqual(['before']);
  expect(api.verify(key)?.tenant).toBe('acme');
  expect(api.list()).toHaveLength(1);
  expect(problems).toHaveLength(1);
  expect(problems[0]).toMatch(/keys\.json: not valid JSON/);

  // Fixed again: the file is read as it now is.
  fs.writeFileSync(file, JSON.stringify({ version: 1, keys: [], tenants: {} }));
  fs.utimesSync(file, new Date(), new Date(Date.now() + 10_000));
  expect(api.list()).toEqual([]);
  expect(api.verify(key)).toBeNull();
});

test('a keys file that never parsed fails the start with its name and the reason', () => {
  fs.writeFileSync(file, JSON.stringify({ version: 1, keys: [{ id: 'nope' }] }));
  expect(() => new ApiKeyStore(file)).toThrow(/keys\.json: keys\.0\.id: /);
});
