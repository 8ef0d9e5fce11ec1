/**
 * The pip that installs an image's pinned PyPI wheels: one release, pinned by its hash, run from its
 * own wheel (pip can run from a wheel on sys.path), so no image carries pip or Debian's pip patches.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

const PIP = {
  version: '26.3',
  file: 'pip-26.3-py3-none-any.whl',
  url: 'https://files.pythonhosted.org/packages/07/25/ee8c38ae72d66b844ce8eb9711ba905dba21ca1a8a0c960057c41cd23337/pip-26.3-py3-none-any.whl',
  sha256: 'f3b60b20ffaadd4415ed7957212a38ac63fa4c5fa375bd0f4a797777940fad13',
};

/** The certificates the build machine trusts (Debian's path); pip in the chroot is given them. */
export const HOST_CA_BUNDLE = process.env.AIRLOCK_CA_BUNDLE ?? '/etc/ssl/certs/ca-certificates.crt';

/** The index pip reads; a mirror can stand in for PyPI. */
export const PYPI_INDEX = process.env.AIRLOCK_PYPI_INDEX ?? 'https://pypi.org/simple';

/**
 * The pinned pip wheel in `dir`: the copy there if its hash is right, else downloaded and checked.
 * A download whose hash differs is refused, never used.
 */
export async function pipWheel(dir: string): Promise<string> {
  const file = path.join(dir, PIP.file);
  if (fs.existsSync(file) && sha256(fs.readFileSync(file)) === PIP.sha256) return file;
  const response = await fetch(process.env.AIRLOCK_PIP_WHEEL_URL ?? PIP.url);
  if (!response.ok) throw new Error(`downloading pip ${PIP.version}: HTTP ${response.status}`);
  const bytes = Buffer.from(await response.arrayBuffer());
  const got = sha256(bytes);
  if (got !== PIP.sha256) throw new Error(`pip ${PIP.version} has sha256 ${got}, not the pinned ${PIP.sha256}`);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(`${file}.tmp`, bytes);
  fs.renameSync(`${file}.tmp`, file);
  return file;
}

function sha256(bytes: Buffer): string {
  return crypto.createHash('sha256').update(bytes).digest('hex');
}
