/**
 * Writes an execution's workflow history as proto-JSON, decrypted: the form replay and auditors read.
 *
 *   node dist/scripts/export-history.js EXECUTION_ID [OUT_FILE]
 */
import fs from 'node:fs';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { loadConfig } from '../lib/node/config';
import { connectWithRetry, createClient } from '../lib/node/temporal';
import { decodeHistory } from '../lib/node/payload-codec';

async function main(): Promise<void> {
  const [executionId, outFile] = process.argv.slice(2);
  if (!executionId) throw new Error('usage: export-history EXECUTION_ID [OUT_FILE]');
  const config = loadConfig();
  const connection = await connectWithRetry(config.temporal, 10_000);
  try {
    const history = await createClient(connection, config.namespace).workflow.getHandle(executionId).fetchHistory();
    const json = historyToJSON(await decodeHistory(history));
    if (outFile) fs.writeFileSync(outFile, `${json}\n`);
    else process.stdout.write(`${json}\n`);
  } finally {
    await connection.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`export-history: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
