/** The `airlock` command line. */
import { Command, CommanderError } from 'commander';
import { EXIT_AIRLOCK_ERROR, describeError, runCommand } from './run-command';

const program = new Command()
  .name('airlock')
  .description('Run untrusted code in hardened, durable sandboxes')
  .option('--url <url>', 'Airlock API base URL', process.env.AIRLOCK_URL ?? 'http://127.0.0.1:8080')
  .exitOverride();

program
  .command('run')
  .description("run FILE in a fresh sandbox; print its output and exit with the program's exit code")
  .argument('<file>', 'source file to run')
  .option('-l, --lang <language>', 'runtime (default: inferred from the file extension)')
  .option('--stdin <file>', 'file to feed to the program on stdin')
  .option('--timeout <ms>', 'wall-clock limit in milliseconds')
  .action(async (file: string, opts: { lang?: string; stdin?: string; timeout?: string }) => {
    process.exitCode = await runCommand(file, { ...opts, url: program.opts<{ url: string }>().url });
  });

program.parseAsync(process.argv).catch((err: unknown) => {
  if (err instanceof CommanderError) {
    process.exitCode = err.exitCode === 0 ? 0 : EXIT_AIRLOCK_ERROR;
    return;
  }
  process.stderr.write(`airlock: ${describeError(err)}\n`);
  process.exitCode = EXIT_AIRLOCK_ERROR;
});
