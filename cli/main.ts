/** The `airlock` command line. */
import { Command, CommanderError } from 'commander';
import { EXIT_AIRLOCK_ERROR, describeError, runCommand } from './run-command';
import { keysBootstrap, keysCreate, keysList, keysRevoke } from './keys-command';
import { DEFAULT_KEY_FILE } from './api-client';

const program = new Command()
  .name('airlock')
  .description('Run untrusted code in hardened, durable sandboxes')
  .option('--url <url>', 'Airlock API base URL', process.env.AIRLOCK_URL ?? 'http://127.0.0.1:8080')
  .option('--key <key>', `API key (default: $AIRLOCK_API_KEY, else ${DEFAULT_KEY_FILE})`)
  .exitOverride();

program
  .command('run')
  .description("run FILE in a fresh sandbox; print its output and exit with the program's exit code")
  .argument('<file>', 'source file to run')
  .option('-l, --lang <language>', 'runtime (default: inferred from the file extension)')
  .option('--stdin <file>', 'file to feed to the program on stdin')
  .option('--timeout <ms>', 'wall-clock limit in milliseconds')
  .action(async (file: string, opts: { lang?: string; stdin?: string; timeout?: string }) => {
    process.exitCode = await runCommand(file, { ...opts, ...program.opts<{ url: string; key?: string }>() });
  });

const keys = program
  .command('keys')
  .description("manage API keys (operator commands, run where the API runs; they edit the API's key file)")
  .option('--file <path>', 'key file (default: $AIRLOCK_KEYS_FILE or .airlock/keys.json)');
keys
  .command('create')
  .description('make a key for a tenant; it is printed once, only its hash is stored')
  .requiredOption('--tenant <tenant>', 'tenant the key acts for')
  .option('--label <label>', 'a note on who or what uses it')
  .action((opts: { tenant: string; label?: string }) => keysCreate({ ...opts, ...keys.opts<{ file?: string }>() }));
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

program.parseAsync(process.argv).catch((err: unknown) => {
  if (err instanceof CommanderError) {
    process.exitCode = err.exitCode === 0 ? 0 : EXIT_AIRLOCK_ERROR;
    return;
  }
  process.stderr.write(`airlock: ${describeError(err)}\n`);
  process.exitCode = EXIT_AIRLOCK_ERROR;
});
