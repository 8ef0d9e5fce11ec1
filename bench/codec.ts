/**
 * What payload encryption costs per payload: converting a value to a payload and back, in the
 * clear and through the AES-256-GCM codec, side by side in one run, at the sizes Airlock writes
 * (a result's few KB, a 16 KiB output preview, a 1.5 MB request at the body limit).
 *
 *   node dist/bench/codec.js [--rounds N]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { defaultPayloadConverter } from '@temporalio/common';
import { AesGcmPayloadCodec } from '../lib/node/payload-codec';
import { PayloadKeyStore } from '../lib/node/payload-keys';
import { percentile, ratio } from './stats';

const SIZES = [2 * 1024, 16 * 1024, 1_500_000];

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { rounds: { type: 'string', default: '200' } } });
  const rounds = Number(values.rounds);
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-codec-bench-')), 'keys.json');
  const codec = new AesGcmPayloadCodec(new PayloadKeyStore(file));
  const lines = [
    '| payload | clear p50 µs | encrypted p50 µs | encrypted / clear | added µs |',
    '| --- | --- | --- | --- | --- |',
  ];
  for (const size of SIZES) {
    const value = { code: 'x'.repeat(size) };
    const clear: number[] = [];
    const sealed: number[] = [];
    for (let i = 0; i < rounds; i++) {
      // Alternating, so drift (GC, frequency) hits both alike.
      let t = performance.now();
      defaultPayloadConverter.fromPayload(defaultPayloadConverter.toPayload(value));
      clear.push((performance.now() - t) * 1000);
      t = performance.now();
      const [encoded] = await codec.encode([defaultPayloadConverter.toPayload(value)]);
      const [decoded] = await codec.decode([encoded!]);
      defaultPayloadConverter.fromPayload(decoded!);
      sealed.push((performance.now() - t) * 1000);
    }
    const c = percentile(
      clear.sort((a, b) => a - b),
      50,
    );
    const s = percentile(
      sealed.sort((a, b) => a - b),
      50,
    );
    lines.push(`| ${size} B | ${c.toFixed(0)} | ${s.toFixed(0)} | ${ratio(s, c)} | ${(s - c).toFixed(0)} |`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
  fs.rmSync(path.dirname(file), { recursive: true, force: true });
}

main().catch((err: unknown) => {
  process.stderr.write(`codec bench failed: ${String(err)}\n`);
  process.exit(1);
});
