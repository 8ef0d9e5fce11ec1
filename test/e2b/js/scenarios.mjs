// The stock `e2b` npm SDK, unchanged, in a plain Node process as a user runs it: pointed at Airlock
// by E2B_API_URL, E2B_SANDBOX_URL and E2B_API_KEY alone. test/e2b/e2b-sdks.test.ts runs each
// scenario by name (`node scenarios.mjs <name>`), with the shared sandbox's id in SANDBOX_ID.
import assert from 'node:assert/strict';
import { CommandExitError, FileNotFoundError, InvalidArgumentError, NotFoundError, Sandbox, SandboxError } from 'e2b';

const RUN = process.env.RUN_ID ?? 'run';

async function rejects(promise, check) {
  const err = await promise.then(
    () => assert.fail('expected a rejection'),
    (e) => e,
  );
  check(err);
  return err;
}

const sandbox = () => Sandbox.connect(process.env.SANDBOX_ID);

const scenarios = {
  async create() {
    const sbx = await Sandbox.create('python', {
      metadata: { run: RUN, suite: 'js' },
      envs: { GREETING: 'hello-env' },
    });
    return { sandboxId: sbx.sandboxId };
  },

  async 'run streams output in the workspace as the sandbox user with the create-time env'() {
    const sbx = await sandbox();
    const live = [];
    const result = await sbx.commands.run('echo "$GREETING"; echo oops >&2; pwd; id -un', {
      onStdout: (d) => void live.push(d),
    });
    assert.equal(result.exitCode, 0);
    assert.equal(result.stdout, 'hello-env\n/workspace\nsandbox\n');
    assert.equal(result.stderr, 'oops\n');
    assert.equal(live.join(''), result.stdout);
  },

  async 'a non-zero exit raises CommandExitError with its code and output'() {
    const sbx = await sandbox();
    await rejects(sbx.commands.run('echo partial; exit 3'), (err) => {
      assert.ok(err instanceof CommandExitError, String(err));
      assert.equal(err.exitCode, 3);
      assert.equal(err.stdout, 'partial\n');
      assert.equal(err.error, 'exit status 3');
    });
  },

  async 'one command has its own envs and cwd; /home/user is the workspace'() {
    const sbx = await sandbox();
    await sbx.files.makeDir('/home/user/sub');
    const result = await sbx.commands.run('echo "$ONLY_HERE" && pwd && ls -d /home/user/sub', {
      envs: { ONLY_HERE: 'just-this-once' },
      cwd: '/home/user/sub',
    });
    assert.equal(result.stdout, 'just-this-once\n/home/user/sub\n/home/user/sub\n');
  },

  async 'a background command returns at its start and its handle waits for the end'() {
    const sbx = await sandbox();
    const handle = await sbx.commands.run('sleep 0.3; echo done-late', { background: true });
    assert.ok(handle.pid > 0);
    assert.equal((await handle.wait()).stdout, 'done-late\n');
  },

  async 'background commands: list, connect and kill; a killed one ends "signal: killed"'() {
    const sbx = await sandbox();
    const seen = [];
    const handle = await sbx.commands.run('for i in 1 2 3 4 5 6 7 8 9; do echo tick $i; sleep 1; done', {
      background: true,
      envs: { TICKS: 'nine' },
    });
    // The handle's stream and a second one, attached later, both start from the first line.
    const again = await sbx.commands.connect(handle.pid, { onStdout: (line) => seen.push(line) });
    const listed = await sbx.commands.list();
    assert.deepEqual(
      listed.map(({ pid, cmd, envs, cwd }) => ({ pid, cmd, envs, cwd })),
      [{ pid: handle.pid, cmd: '/bin/bash', envs: { TICKS: 'nine' }, cwd: '/home/user' }],
    );
    assert.match(listed[0].args.join(' '), /tick \$i/);
    // Queued behind the running command: it runs once that one is killed.
    const next = sbx.commands.run('echo after');
    while (!seen.join('').includes('tick 2')) await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(await sbx.commands.kill(handle.pid), true);
    for (const h of [handle, again]) {
      await rejects(h.wait(), (err) => {
        assert.ok(err instanceof CommandExitError, String(err));
        assert.equal(err.exitCode, -1);
        assert.equal(err.error, 'signal: killed');
      });
    }
    assert.ok(!seen.join('').includes('tick 9'), seen.join(''));
    assert.equal((await next).stdout, 'after\n');
    // Gone: a second kill finds nothing; connect replays how it ended.
    assert.equal(await sbx.commands.kill(handle.pid), false);
    assert.deepEqual(await sbx.commands.list(), []);
    const replay = await sbx.commands.connect(handle.pid);
    await rejects(replay.wait(), (err) => assert.equal(err.error, 'signal: killed'));
    await rejects(sbx.commands.connect(12345), (err) => assert.match(err.message, /not found/));
  },

  // Run under a key whose policy blocks secrets: the policy is the key's, never the SDK's choice.
  async 'a command the gates block fails with the gate reason and never runs'() {
    const sbx = await Sandbox.create();
    await rejects(sbx.commands.run('echo AKIAIOSFODNN7EXAMPLE > leaked.txt'), (err) => {
      assert.ok(err instanceof CommandExitError, String(err));
      assert.equal(err.exitCode, 126);
      assert.match(err.error, /^blocked by Airlock: .*secret/i);
    });
    assert.equal(await sbx.files.exists('leaked.txt'), false);
    return { sandboxId: sbx.sandboxId };
  },

  async 'root, PTY, stdin and watching answer clear errors'() {
    const sbx = await sandbox();
    await rejects(sbx.commands.run('id', { user: 'root' }), (err) => assert.match(err.message, /sandbox user only/));
    await rejects(sbx.pty.create({ cols: 80, rows: 24, onData: () => undefined }), (err) =>
      assert.match(err.message, /PTY/),
    );
    await rejects(sbx.commands.sendStdin(1, 'x'), (err) => assert.match(err.message, /not supported yet/));
    await rejects(
      sbx.files.watchDir('/home/user', () => undefined),
      (err) => assert.match(err.message, /watching is not supported/),
    );
    assert.deepEqual(await sbx.commands.list(), []);
  },

  async 'files: text, bytes, streams and several at once'() {
    const sbx = await sandbox();
    await sbx.files.write('/home/user/dir/a.txt', 'text one');
    await sbx.files.write('bytes.bin', new Uint8Array([0, 1, 2, 255]).buffer);
    const many = await sbx.files.write([
      { path: 'm/one.txt', data: 'one' },
      { path: '/home/user/m/two.txt', data: new Blob(['two']) },
    ]);
    assert.deepEqual(
      many.map((w) => w.path),
      ['/home/user/m/one.txt', '/home/user/m/two.txt'],
    );
    assert.equal(await sbx.files.read('dir/a.txt'), 'text one');
    assert.deepEqual([...(await sbx.files.read('bytes.bin', { format: 'bytes' }))], [0, 1, 2, 255]);
    const stream = await sbx.files.read('/home/user/m/two.txt', { format: 'stream' });
    assert.equal(await new Response(stream).text(), 'two');
    assert.equal((await sbx.commands.run('cat m/one.txt m/two.txt')).stdout, 'onetwo');
  },

  async 'files: list, exists, getInfo, makeDir, rename and remove'() {
    const sbx = await sandbox();
    await sbx.files.write('tree/x/y.txt', 'deep');
    const listed = await sbx.files.list('/home/user/tree', { depth: 2 });
    assert.deepEqual(
      listed.map((e) => [e.path, e.type]),
      [
        ['/home/user/tree/x', 'dir'],
        ['/home/user/tree/x/y.txt', 'file'],
      ],
    );
    const info = await sbx.files.getInfo('tree/x/y.txt');
    assert.equal(info.name, 'y.txt');
    assert.equal(info.type, 'file');
    assert.equal(info.size, 4);
    assert.equal(info.owner, 'sandbox');
    assert.equal(info.mode, 0o644);
    assert.equal(info.permissions, '-rw-r--r--');
    assert.equal(await sbx.files.exists('tree/x'), true);
    assert.equal(await sbx.files.exists('tree/nope'), false);
    assert.equal(await sbx.files.makeDir('tree/new/deeper'), true);
    assert.equal(await sbx.files.makeDir('tree/new/deeper'), false);
    const moved = await sbx.files.rename('tree/x/y.txt', 'tree/new/y2.txt');
    assert.equal(moved.path, '/home/user/tree/new/y2.txt');
    await sbx.files.remove('tree');
    assert.equal(await sbx.files.exists('tree'), false);
    // Removing what is not there is no error, as in envd.
    await sbx.files.remove('tree');
  },

  async 'files: missing files and paths outside the workspace are the errors E2B raises'() {
    const sbx = await sandbox();
    await rejects(sbx.files.read('no/such.txt'), (err) => assert.ok(err instanceof FileNotFoundError, String(err)));
    await rejects(sbx.files.read('/etc/passwd'), (err) => assert.match(err.message, /outside the workspace/));
    await rejects(sbx.files.write('/home/user/../../etc/x', 'x'), (err) =>
      assert.match(err.message, /outside the workspace/),
    );
    await rejects(sbx.files.list('/proc'), (err) => assert.ok(err instanceof InvalidArgumentError, String(err)));
  },

  async 'control plane: getInfo, connect, list by metadata, setTimeout'() {
    const sbx = await sandbox();
    const info = await sbx.getInfo();
    assert.equal(info.sandboxId, process.env.SANDBOX_ID);
    assert.equal(info.templateId, 'python');
    assert.equal(info.state, 'running');
    assert.deepEqual(info.metadata, { run: RUN, suite: 'js' });
    assert.equal(await sbx.isRunning(), true);
    assert.equal((await sbx.commands.run('echo via-connect')).stdout, 'via-connect\n');
    const mine = await Sandbox.list({ query: { metadata: { run: RUN, suite: 'js' } } }).nextItems();
    assert.deepEqual(
      mine.map((s) => s.sandboxId),
      [process.env.SANDBOX_ID],
    );
    assert.deepEqual(await Sandbox.list({ query: { metadata: { run: `${RUN}-other` } } }).nextItems(), []);
    await sbx.setTimeout(600_000);
  },

  async 'control plane: unknown templates and pause are refused clearly'() {
    await rejects(Sandbox.create('no-such-runtime'), (err) =>
      assert.match(err.message, /templateID: unknown template/),
    );
    const sbx = await sandbox();
    await rejects(sbx.pause(), (err) => {
      assert.ok(err instanceof SandboxError, String(err));
      assert.match(err.message, /cannot be paused/);
    });
  },

  async 'kill ends a sandbox: not running, not found, a second kill is false'() {
    const doomed = await Sandbox.create({ metadata: { run: RUN, doomed: 'yes' } });
    await doomed.kill();
    assert.equal(await doomed.isRunning(), false);
    await rejects(doomed.getInfo(), (err) => assert.ok(err instanceof NotFoundError, String(err)));
    assert.equal(await Sandbox.kill(doomed.sandboxId), false);
    return { sandboxId: doomed.sandboxId };
  },

  async "another tenant's key finds no sandbox"() {
    const other = { apiKey: process.env.OTHER_TENANT_KEY };
    await rejects(Sandbox.connect(process.env.SANDBOX_ID, other), (err) =>
      assert.ok(err instanceof NotFoundError, String(err)),
    );
    await rejects(Sandbox.getInfo(process.env.SANDBOX_ID, other), (err) =>
      assert.ok(err instanceof NotFoundError, String(err)),
    );
    assert.equal(await Sandbox.kill(process.env.SANDBOX_ID, other), false);
    assert.deepEqual(await Sandbox.list({ ...other, query: { metadata: { run: RUN } } }).nextItems(), []);
  },
};

const name = process.argv[2];
const scenario = scenarios[name];
if (!scenario) {
  console.error(`no scenario "${name}"; have: ${Object.keys(scenarios).join(' | ')}`);
  process.exit(2);
}
const answer = await scenario();
console.log(JSON.stringify(answer ?? {}));
