/** The `airlock` command line. */
import { Command, CommanderError, Option } from 'commander';
import { EXIT_AIRLOCK_ERROR, UsageError, describeError, runCommand } from './run-command';
import {
  keysBootstrap,
  keysCreate,
  keysList,
  keysQuota,
  keysRevoke,
  keysTenant,
  type GrantOptions,
  type QuotaOptions,
} from './keys-command';
import { DEFAULT_KEY_FILE, resolveApiKey } from '../lib/node/api-key-file';
import { baseUrlFromEnv } from '../sdk/src';
import { apiClient, type ApiTarget } from './client';
import { GATE_ERROR, gateCommand, type GateOptions } from './gate-command';
import { runtimesCommand } from './runtimes-command';
import { toE2bKeySpelling } from '../lib/e2b-key-spelling';
import {
  templateBuildCommand,
  templateDeleteCommand,
  templateListCommand,
  templateLogCommand,
} from './template-command';
import { auditCommand, auditKeysCommand, auditKeysRotateCommand, auditVerifyCommand } from './audit-command';
import { encryptionInit, encryptionKeys, encryptionRotate, type EncryptionOptions } from './encryption-command';

const program = new Command()
  .name('airlock')
  .description('Run untrusted code in hardened, durable sandboxes')
  .option('--url <url>', 'Airlock API base URL (default: $AIRLOCK_URL, else the embedded service)', baseUrlFromEnv())
  .option('--key <key>', `API key (default: $AIRLOCK_API_KEY, else ${DEFAULT_KEY_FILE})`)
  .exitOverride();

/** `-l/--lang` and `--language`: the API's own field name is accepted beside the short one. */
interface LanguageOpts {
  lang?: string;
  language?: string;
}

/** An option under the API field's name, beside the CLI's shorter `--short` one; either, not both. */
function apiName(flags: string, short: string): Option {
  return new Option(flags, `the same as --${short}, under the API field's name`).conflicts(short);
}

program
  .command('run')
  .description("run FILE in a fresh sandbox; print its output and exit with the program's exit code")
  .argument('<file>', 'source file to run')
  .option('-l, --lang <language>', 'runtime (default: inferred from the file extension)')
  .addOption(apiName('--language <language>', 'lang'))
  .option('--runtime-version <version>', "the runtime's version, from `airlock runtimes` (default: its newest)")
  .option('--template <id>', 'run on one of your templates (`airlock template list`) instead of the bare runtime')
  .option('--stdin <file>', 'file to feed to the program on stdin')
  .option('--timeout <ms>', 'wall-clock limit in milliseconds')
  .addOption(apiName('--timeout-ms <ms>', 'timeout'))
  .option('--artifacts <dir>', 'save the charts and typed files the program wrote under DIR, by their names')
  .action(
    async (
      file: string,
      opts: LanguageOpts & {
        runtimeVersion?: string;
        template?: string;
        stdin?: string;
        timeout?: string;
        timeoutMs?: string;
        artifacts?: string;
      },
    ) => {
      const { language, lang, timeoutMs, timeout, ...rest } = opts;
      process.exitCode = await runCommand(file, {
        ...rest,
        lang: language ?? lang,
        timeout: timeoutMs ?? timeout,
        ...program.opts<ApiTarget>(),
      });
    },
  );

program
  .command('gate')
  .description('run files through Airlock as a CI/CD deployment gate: exit 0 pass, 1 gate failed, 2 error')
  .argument('[paths...]', 'files or directories (default: .)')
  .option('-l, --lang <language>', 'runtime (default: inferred from the files)')
  .addOption(apiName('--language <language>', 'lang'))
  .option('--runtime-version <version>', "the runtime's version, from `airlock runtimes` (default: its newest)")
  .option('--policy <policy>', 'policy to gate under', 'ci-gate')
  .option('--test <command>', "test command (default: the runtime's test runner)")
  .option('--tests-from <dir>', "take the tests from DIR (say, the base branch's checkout), not from the change")
  .option('--entrypoint <file>', 'also run this file before the tests')
  .option('--sarif <file>', 'where to write the SARIF findings', 'airlock.sarif')
  .option('--junit <file>', 'where to write the JUnit test results', 'airlock-junit.xml')
  .action(async (paths: string[], opts: LanguageOpts & Omit<GateOptions, 'url' | 'key' | 'lang'>) => {
    const { language, lang, ...rest } = opts;
    process.exitCode = await gateCommand(paths, {
      ...rest,
      lang: language ?? lang,
      ...program.opts<ApiTarget>(),
    });
  });

const template = program
  .command('template')
  .description('images you define on top of a runtime: Debian packages, pinned wheels, files, env, a setup');
template
  .command('build')
  .description("build the spec in FILE (YAML or JSON, the body of POST /v1/templates); print the template's id")
  .argument('<file>', 'the spec')
  .option('--json', 'print the template as JSON')
  .action(async (file: string, opts: { json?: boolean }) => {
    process.exitCode = await templateBuildCommand(file, { ...opts, ...program.opts<ApiTarget>() });
  });
template
  .command('list')
  .description('your templates: id, status, runtime, name and the size they add')
  .option('--json', 'print the API answer as JSON')
  .action(async (opts: { json?: boolean }) => {
    process.exitCode = await templateListCommand({ ...opts, ...program.opts<ApiTarget>() });
  });
template
  .command('log')
  .description("print a template's whole build log")
  .argument('<id>', 'template id')
  .action(async (id: string) => {
    process.exitCode = await templateLogCommand(id, program.opts<ApiTarget>());
  });
template
  .command('delete')
  .description('delete a template and its image (refused while an execution or sandbox uses it)')
  .argument('<id>', 'template id')
  .action(async (id: string) => {
    process.exitCode = await templateDeleteCommand(id, program.opts<ApiTarget>());
  });

program
  .command('runtimes')
  .description('list the languages this service runs, each with its versions (the default first)')
  .option('--json', 'print the API answer as JSON')
  .action(async (opts: { json?: boolean }) => {
    process.exitCode = await runtimesCommand({ ...opts, ...program.opts<ApiTarget>() });
  });

program
  .command('e2b-key')
  .description('print the API key (--key, $AIRLOCK_API_KEY or the local one) spelt e2b_<hex>, for older E2B SDKs')
  .action(() => {
    const key = resolveApiKey(program.opts<ApiTarget>().key);
    if (!key) throw new UsageError('no API key: pass --key, set AIRLOCK_API_KEY, or run `npm start` here');
    process.stdout.write(`${toE2bKeySpelling(key)}\n`);
  });

const audit = program
  .command('audit')
  .description(
    "fetch an execution's history, check its seal, replay it against this workflow code, and print its audit timeline",
  )
  .argument('<id>', 'execution id')
  .option('--json <file>', 'also write the report as JSON')
  .option('--history <file>', 'also save the history (for `audit verify`)')
  .option('--keys <file>', "check the seal with these public keys (`audit keys --json`), not the API's")
  .action(async (id: string, opts: { json?: string; history?: string; keys?: string }) => {
    process.exitCode = await auditCommand(id, { ...opts, ...program.opts<ApiTarget>() });
  });
/** Commander hands an option both `audit` and a subcommand declare to `audit` itself. */
const auditOpt = (name: 'json' | 'keys', own: string | undefined) => own ?? audit.opts<Record<string, string>>()[name];
audit
  .command('verify')
  .description("the same checks on an exported history file: the seal's signature and every sealed part, and replay")
  .argument('<file>', 'history JSON (from --history, the API or `temporal workflow show --output json`)')
  .option('--json <file>', 'also write the report as JSON')
  .option('--keys <file>', "public keys to check the seal with (default: the API's, else this machine's)")
  .action(async (file: string, opts: { json?: string; keys?: string }) => {
    const json = auditOpt('json', opts.json);
    const keys = auditOpt('keys', opts.keys);
    process.exitCode = await auditVerifyCommand(file, {
      ...(json ? { json } : {}),
      ...(keys ? { keys } : {}),
      ...program.opts<ApiTarget>(),
    });
  });
const auditKeys = audit
  .command('keys')
  .description("the deployment's public audit keys, which check seals")
  .option('--local', "this machine's key directory rather than the API's answer")
  .option('--json <file>', 'also write them as JSON (for --keys)')
  .action(async (opts: { local?: boolean; json?: string }) => {
    const json = auditOpt('json', opts.json);
    await auditKeysCommand({
      ...(opts.local ? { local: true } : {}),
      ...(json ? { json } : {}),
      ...program.opts<ApiTarget>(),
    });
  });
auditKeys
  .command('rotate')
  .description(
    'make a new signing key the active one (run where the orchestration worker runs); old seals still verify',
  )
  .action(() => auditKeysRotateCommand());

for (const [report, format] of [
  ['sarif', 'SARIF 2.1.0 findings'],
  ['junit', 'JUnit XML test results'],
] as const) {
  program
    .command(report)
    .description(`print an execution's ${format}`)
    .argument('<id>', 'execution id')
    .action(async (id: string) => {
      process.stdout.write(await apiClient(program.opts<ApiTarget>()).executions.handle(id).report(report));
    });
}

for (const decision of ['approve', 'reject'] as const) {
  program
    .command(decision)
    .description(`${decision} an execution waiting for approval`)
    .argument('<id>', 'execution id')
    .option('--comment <text>', 'why (the decision is recorded with the key that made it)')
    .option('--reviewer <name>', 'free text kept in the comment; the reviewer is the key')
    .action(async (id: string, opts: { reviewer?: string; comment?: string }) => {
      const body = await apiClient(program.opts<ApiTarget>()).executions.handle(id)[decision](opts);
      process.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
    });
}

program
  .command('mcp')
  .description('serve Airlock to AI agents over the Model Context Protocol: stdio (default) or streamable HTTP')
  .option('--http', 'serve streamable HTTP at /mcp instead of stdio; each session authenticates with its own key')
  .option('--host <host>', 'address to bind with --http', process.env.AIRLOCK_MCP_HOST ?? '127.0.0.1')
  .option('--port <port>', 'port with --http', process.env.AIRLOCK_MCP_PORT ?? '8090')
  .option('--allowed-host <name...>', 'Host header names to accept with --http (default: loopback names)')
  .action(async (opts: { http?: boolean; host: string; port: string; allowedHost?: string[] }) => {
    const { url, key } = program.opts<ApiTarget>();
    // Loaded here, not at the top: the MCP SDK and express stay out of every other command's start-up.
    if (opts.http) {
      const port = Number(opts.port);
      if (!Number.isInteger(port) || port < 0 || port > 65_535)
        throw new UsageError(`--port must be a port number, got "${opts.port}"`);
      const { runHttp } = await import('../mcp/http');
      await runHttp({
        apiUrl: url,
        host: opts.host,
        port,
        ...(opts.allowedHost ? { allowedHosts: opts.allowedHost } : {}),
      });
    } else {
      // stdout is the protocol from here on: nothing else may write to it.
      const { serveStdio } = await import('../mcp/stdio');
      await serveStdio({ apiUrl: url, apiKey: resolveApiKey(key) });
    }
  });

const keys = program
  .command('keys')
  .description("manage API keys (operator commands, run where the API runs; they edit the API's key file)")
  .option('--file <path>', 'key file (default: $AIRLOCK_KEYS_FILE or .airlock/keys.json)');
keys
  .command('create')
  .description('make a key for a tenant; it is printed once, only its hash is stored')
  .requiredOption('--tenant <tenant>', 'tenant the key acts for')
  .option('--label <label>', 'a note on who or what uses it (shown as the approver when it approves)')
  .option('--scopes <list>', 'what it may do: submit, approve, admin, codec (comma-separated)', 'submit')
  .option('--policies <list>', "the only policies its requests may name (default: the tenant's, else any)")
  .option('--default-policy <name>', 'the policy of requests that name none (one of --policies; default its first)')
  .action((opts: { tenant: string; label?: string } & GrantOptions) =>
    keysCreate({ ...opts, ...keys.opts<{ file?: string }>() }),
  );
keys
  .command('tenant')
  .description("set the policies a tenant's keys may name (keys with policies of their own keep them)")
  .argument('<tenant>', 'tenant')
  .option('--policies <list>', 'the only policies its requests may name')
  .option('--default-policy <name>', 'the policy of requests that name none (one of --policies)')
  .option('--clear', 'remove the binding: its keys may name any policy again')
  .action((tenant: string, opts: GrantOptions & { clear?: boolean }) =>
    keysTenant(tenant, { ...opts, ...keys.opts<{ file?: string }>() }),
  );
keys
  .command('quota')
  .description("set a tenant's quotas (only those given; the rest stay), or show them")
  .argument('<tenant>', 'tenant')
  .option('--executions <n>', 'executions admitted at once (from start to teardown)')
  .option('--sandboxes <n>', 'sandboxes alive at once')
  .option('--memory-mb <n>', 'memory its executions and sandboxes may ask for together')
  .option('--cpus <n>', 'CPUs its executions and sandboxes may ask for together')
  .option('--queued-steps <n>', "steps waiting in one sandbox's queue (new sandboxes)")
  .option('--rate <n>', 'requests per second per key (a token bucket)')
  .option('--burst <n>', 'requests a key may send at once (default: one second of --rate)')
  .option('--over-quota <mode>', 'executions over a quota: refuse (429) or queue (wait their turn)')
  .option('--clear', 'remove every quota of the tenant')
  .action((tenant: string, opts: QuotaOptions) => keysQuota(tenant, { ...opts, ...keys.opts<{ file?: string }>() }));
keys
  .command('list')
  .description('list keys (ids, tenants, status; never the keys)')
  .action(() => keysList(keys.opts<{ file?: string }>()));
keys
  .command('revoke')
  .description('revoke a key by id')
  .argument('<id>', 'key id, as `keys list` shows it')
  .action((id: string) => keysRevoke(id, keys.opts<{ file?: string }>()));
keys
  .command('bootstrap')
  .description('make the first key for the default tenant if there is none, and save it to --out')
  .option('--out <path>', 'where to save the key', DEFAULT_KEY_FILE)
  .action((opts: { out: string }) => keysBootstrap({ ...opts, ...keys.opts<{ file?: string }>() }));

const encryption = program
  .command('encryption')
  .description(
    'the payload keys that encrypt what Temporal stores (operator commands, run where the keys file is; every process of the deployment reads the same file)',
  )
  .option('--file <path>', 'keys file (default: $AIRLOCK_PAYLOAD_KEYS_FILE or .airlock/payload-keys.json)');
encryption
  .command('keys')
  .description('list the payload keys (ids and dates, never the keys)')
  .action(() => encryptionKeys(encryption.opts<EncryptionOptions>()));
encryption
  .command('init')
  .description('make the first payload key if there is none')
  .action(() => encryptionInit(encryption.opts<EncryptionOptions>()));
encryption
  .command('rotate')
  .description('make a new payload key the one that encrypts; older keys stay, so stored payloads still decrypt')
  .action(() => encryptionRotate(encryption.opts<EncryptionOptions>()));

// `airlock gate` promises 2 for any error of its own; other commands use 125, as `docker run` does.
const errorExit = (): number => (process.argv.slice(2).includes('gate') ? GATE_ERROR : EXIT_AIRLOCK_ERROR);

program.parseAsync(process.argv).catch((err: unknown) => {
  if (err instanceof CommanderError) {
    process.exitCode = err.exitCode === 0 ? 0 : errorExit();
    return;
  }
  process.stderr.write(`airlock: ${describeError(err)}\n`);
  process.exitCode = errorExit();
});
