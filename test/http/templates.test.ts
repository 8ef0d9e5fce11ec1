/**
 * Templates users define, on a real cluster and engine: a spec with one Debian package and one
 * pinned wheel builds (streamed over SSE, its log kept), runs in executions and sandboxes with its
 * hash in the result and the audit report, is refused where it does not belong, cannot keep a
 * setuid file or reach a network at build time, and cannot be deleted while in use.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';
import request from 'supertest';
import type { Express } from 'express';
import type { TemplateInfo } from '../../lib/schemas/template';
import type { ExecutionResult } from '../../lib/schemas/execution-result';
import { auditReport } from '../../lib/node/audit/timeline';
import { TestCluster } from '../support/cluster';
import { eventually } from '../support/docker';
import { createTestApi, listen, type TestApi } from '../support/api';
import { readEvents, streamedText } from '../support/sse';
import { runCli } from '../support/cli';
import { Airlock, AirlockTemplateBuildError } from '../../sdk/src';

const docker = new Docker();
let cluster: TestCluster;
let api: TestApi;
let app: Express;
let server: Awaited<ReturnType<typeof listen>>;

// A unique name per run: the spec's hash is the template's id, so a run never finds an earlier one's.
const RUN = `${process.pid}-${Date.now()}`;
const SPEC = {
  name: `tabulate-toolz-${RUN}`,
  runtime: { language: 'python' },
  debian: ['python3-toolz'],
  pip: ['tabulate==0.9.0'],
  env: { TEMPLATE_GREETING: 'hello from the env' },
  files: [{ path: '/opt/airlock-test/greeting.txt', content: 'hello from a file\n' }],
  // A setuid copy of a shell is the oldest way up: the build must not keep the bit.
  setup: 'echo setup ran; cp /bin/sh /usr/local/bin/rootsh; chmod 4755 /usr/local/bin/rootsh',
};

beforeAll(async () => {
  cluster = await TestCluster.start();
  api = createTestApi(cluster);
  app = api.app;
  server = await listen(app);
});

afterAll(async () => {
  await server?.close();
  await cluster?.stop();
});

const auth = (key = api.key) => ({ authorization: `Bearer ${key}` });
const post = (path: string, body: object, key?: string) => request(app).post(path).set(auth(key)).send(body);
const get = (path: string, key?: string) => request(app).get(path).set(auth(key));

async function built(spec: object): Promise<{ info: TemplateInfo; events: Awaited<ReturnType<typeof readEvents>> }> {
  const res = await post('/v1/templates', spec);
  expect(res.status).toBe(202);
  expect(res.body.status).toBe('building');
  const events = await readEvents(`${server.url}/v1/templates/${res.body.id}/events`, auth(), { timeoutMs: 600_000 });
  const end = events.events.at(-1)!.event;
  expect(end.type).toBe('end');
  return { info: (await get(`/v1/templates/${res.body.id}`)).body as TemplateInfo, events };
}

describe('a template with one PyPI and one Debian package', () => {
  let info: TemplateInfo;

  beforeAll(async () => {
    const result = await built(SPEC);
    info = result.info;
    // Every step streamed while it ran, under its own name.
    const steps = new Set(
      result.events.events.map((e) => e.event).flatMap((e) => (e.type === 'stdout' ? [e.data.stage] : [])),
    );
    expect([...steps]).toEqual(['fetch', 'install', 'harden', 'commit', 'check']);
    expect(streamedText(result.events.events, 'stdout', 'install')).toContain('setup ran');
  }, 600_000);

  test('is ready, content-addressed, and names what it installed', async () => {
    expect(info).toMatchObject({ status: 'ready', name: SPEC.name, runtime: { language: 'python', version: '3.13' } });
    expect(info.id).toBe(`tpl-${info.sha256.slice(0, 24)}`);
    expect(info.installed?.debian.some((d) => d.startsWith('python3-toolz='))).toBe(true);
    expect(info.installed?.pip).toEqual([
      { name: 'tabulate', version: '0.9.0', sha256: expect.stringMatching(/^[0-9a-f]{64}$/) },
    ]);
    expect(info.sizeBytes).toBeGreaterThan(0);
    // The same spec again is the same template, not a second build.
    const again = await post('/v1/templates', SPEC);
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(info.id);
    expect((await get('/v1/templates')).body.templates.map((t: TemplateInfo) => t.id)).toContain(info.id);
  });

  test('keeps its whole build log, with the setuid bit it stripped', async () => {
    const log = await get(`/v1/templates/${info.id}/log`);
    expect(log.status).toBe(200);
    expect(log.headers['content-type']).toMatch(/^text\/plain/);
    expect(log.text).toContain('### setup');
    expect(log.text).toContain('stripped setuid/setgid: /usr/local/bin/rootsh');
    const image = await docker.getImage(info.image!).inspect();
    expect(image.Config.Labels).toMatchObject({
      'io.airlock.template': info.id,
      'io.airlock.template-sha256': info.sha256,
    });
    expect(image.Config.User).toBe('10001:10001');
  });

  test('runs code that imports both, with its env and files, and the result and audit name its hash', async () => {
    const code = [
      'import os, stat, tabulate, toolz',
      'print(tabulate.__version__, toolz.__name__)',
      'print(os.environ["TEMPLATE_GREETING"])',
      'print(open("/opt/airlock-test/greeting.txt").read().strip())',
      'print("setuid" if os.stat("/usr/local/bin/rootsh").st_mode & stat.S_ISUID else "no setuid")',
    ].join('\n');
    const res = await request(app)
      .post('/v1/executions?wait=true')
      .set(auth())
      .send({ language: 'python', template: info.id, code });
    expect(res.status).toBe(200);
    const result = res.body as ExecutionResult;
    expect(result.status).toBe('succeeded');
    expect(result.run?.stdout).toBe('0.9.0 toolz\nhello from the env\nhello from a file\nno setuid\n');
    expect(result.image?.template).toEqual({ id: info.id, sha256: info.sha256 });
    const report = auditReport((await get(`/v1/executions/${result.id}/history`)).body);
    expect(report.template).toEqual({ id: info.id, sha256: info.sha256 });
    expect(report.image?.template).toEqual({ id: info.id, sha256: info.sha256 });
  });

  test('is refused where it does not belong, with the field named', async () => {
    const run = (body: object, key?: string) => post('/v1/executions', { code: 'print(1)', ...body }, key);
    const cases: Array<[object, string | undefined, string]> = [
      // Another tenant's template is no template at all.
      [{ language: 'python', template: info.id }, api.otherTenantKey, 'template'],
      [{ language: 'javascript', template: info.id }, undefined, 'template'],
      [{ language: 'python', version: '3.11', template: info.id }, undefined, 'version'],
      // The strict policy gates imports: a template could carry what it denies.
      [{ language: 'python', template: info.id, policy: 'strict' }, undefined, 'template'],
      [{ language: 'python', template: 'tpl-not-an-id' }, undefined, 'template'],
    ];
    for (const [body, key, field] of cases) {
      const res = await run(body, key);
      expect([res.status, res.body.error.field]).toEqual([400, field]);
    }
    expect((await get(`/v1/templates/${info.id}`, api.otherTenantKey)).status).toBe(404);
    expect((await request(app).delete(`/v1/templates/${info.id}`).set(auth(api.otherTenantKey))).status).toBe(404);
  });

  test('the CLI lists it, runs a file on it, and prints its log', async () => {
    const target = { url: server.url, apiKey: api.key };
    const listed = await runCli(target, 'template', 'list');
    expect(listed.stdout).toMatch(new RegExp(`${info.id}\\s+ready\\s+python 3\\.13\\s+${SPEC.name}`));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-template-cli-'));
    fs.writeFileSync(path.join(dir, 'table.py'), 'import tabulate\nprint(tabulate.tabulate([["a", 1]]))\n');
    // No --lang: the template's language is the run's.
    const run = await runCli(target, 'run', '--template', info.id, path.join(dir, 'table.py'));
    expect([run.code, run.stdout]).toEqual([0, '-  -\na  1\n-  -\n']);
    expect((await runCli(target, 'template', 'log', info.id)).stdout).toContain('### check');
  });

  test('runs in a sandbox, and cannot be deleted while the sandbox is open', async () => {
    const created = await post('/v1/sandboxes', { language: 'python', template: info.id });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    const step = await post(`/v1/sandboxes/${id}/exec`, {
      code: 'import tabulate, toolz; print(tabulate.__version__)',
    });
    expect(step.body.process.stdout).toBe('0.9.0\n');

    const refused = await request(app).delete(`/v1/templates/${info.id}`).set(auth());
    expect([refused.status, refused.body.error.code]).toEqual([409, 'template_in_use']);

    expect((await request(app).delete(`/v1/sandboxes/${id}`).set(auth())).status).toBe(200);
    const deleted = await eventually('the template deleted once its sandbox is gone', async () => {
      const res = await request(app).delete(`/v1/templates/${info.id}`).set(auth());
      return res.status === 200 ? (res.body as TemplateInfo) : undefined;
    });
    expect(deleted.status).toBe('deleted');
    expect((await get(`/v1/templates/${info.id}`)).status).toBe(404);
    await expect(docker.getImage(info.image!).inspect()).rejects.toMatchObject({ statusCode: 404 });
    const after = await post('/v1/executions', { language: 'python', template: info.id, code: 'print(1)' });
    expect([after.status, after.body.error.field]).toEqual([400, 'template']);
  });
});

test('a setup that reaches for the network fails the build, with its own status and the log tail', async () => {
  // Through the SDK: its build() follows the stream and throws with the failed template.
  const sdk = new Airlock({ baseUrl: server.url, apiKey: api.key, maxRetries: 0 });
  const spec = {
    name: `offline-${RUN}`,
    runtime: { language: 'python', version: '3.11' },
    setup: 'python3 -c "import socket; socket.create_connection((\'deb.debian.org\', 80), timeout=5)"',
  };
  const failure = await sdk.templates.build(spec).catch((err: unknown) => err);
  expect(failure).toBeInstanceOf(AirlockTemplateBuildError);
  const info = (failure as AirlockTemplateBuildError).template;
  expect(info.status).toBe('failed');
  expect(await sdk.templates.log(info.id)).toContain('### setup');
  expect(info.error).toMatch(/the install step exited 1 in "setup"/);
  expect(info.logTail).toMatch(/OSError|gaierror|Network is unreachable|Temporary failure in name resolution/);
  expect((await get(`/v1/templates/${info.id}/log`)).text).toContain('the build failed');
  expect(info.image).toBeNull();
  // A failed template is no base for an execution.
  const res = await post('/v1/executions', { language: 'python', template: info.id, code: 'print(1)' });
  expect([res.status, res.body.error.field]).toEqual([400, 'template']);
  // The same spec again is a new build of the same template (a failure may have been the network's).
  const again = await built(spec);
  expect([again.info.id, again.info.status]).toEqual([info.id, 'failed']);
  expect(again.info.createdAt > info.createdAt).toBe(true);
  expect((await request(app).delete(`/v1/templates/${info.id}`).set(auth())).status).toBe(200);
}, 600_000);

test.each([
  [{ name: 'x', runtime: { language: 'python', version: '2.7' } }, 'runtime.version', null],
  [{ name: 'x', runtime: { language: 'cobol' } }, 'runtime.language', null],
  [{ name: 'x', runtime: { language: 'python' }, pip: ['numpy>=1'] }, 'pip.0', null],
  [{ name: 'x', runtime: { language: 'javascript' }, pip: ['tabulate==0.9.0'] }, 'pip', null],
  [{ name: 'x', runtime: { language: 'python' }, debian: ['-o=APT::Evil'] }, 'debian.0', null],
  [
    { name: 'x', runtime: { language: 'python' }, files: [{ path: '/opt/../etc/shadow', content: '' }] },
    'files.0.path',
    null,
  ],
  [
    { name: 'x', runtime: { language: 'python' }, files: [{ path: '/workspace/x', content: '' }] },
    'files.0.path',
    null,
  ],
  [{ name: 'x', runtime: { language: 'python' }, env: { PATH: '/evil' } }, 'env.PATH', null],
  // Each file under its bound, together over theirs: the spec travels in workflow history.
  [
    {
      name: 'x',
      runtime: { language: 'python' },
      files: ['/opt/a', '/opt/b'].map((p) => ({ path: p, content: 'x'.repeat(600_000) })),
    },
    'files',
    /over 1048576/,
  ],
  [{ name: 'Bad Name', runtime: { language: 'python' } }, 'name', null],
  // An unknown key is named in the message; the body as a whole is at fault.
  [{ name: 'x', runtime: { language: 'python' }, dockerfile: 'FROM x' }, '(body)', /dockerfile/],
])('a bad spec is a 400 naming the field (%j)', async (spec: object, field: string, message: RegExp | null) => {
  const res = await post('/v1/templates', spec);
  expect(res.status).toBe(400);
  expect(res.body.error.field).toBe(field);
  if (message) expect(res.body.error.message).toMatch(message);
});
